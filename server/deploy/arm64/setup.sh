#!/bin/sh
# server/deploy/arm64/setup.sh: install, on Debian 12 amd64 as root, what
# cross-building skillserver for arm64 and testing it under qemu needs
# (`make arm64-deps` runs it; `make arm64` and `make test-arm64` use it).
#
# Debian's multiarch puts each arm64 -dev package beside its amd64 twin
# (their files live under /usr/lib/aarch64-linux-gnu), so the native build
# keeps working. Not python3.11-dev:arm64: it would replace the amd64
# python3.11 that compiles skillkit's bytecode at build time (bytecode is
# the same on every architecture); libpython3.11-dev:arm64 has what the
# arm64 worker links (python3-embed.pc comes from libpython3-dev:arm64,
# libpython3.11-pic.a from libpython3.11-dev:arm64).
set -eu

TOOLS="gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu qemu-user file
meson ninja-build pkg-config python3 python3.11"
# libpq5: not linked but loaded when a PostgreSQL store is opened (the
# store's unit test opens one under qemu).
LIBS="libjansson-dev libxml2-dev libssl-dev libsqlite3-dev libmicrohttpd-dev libgnutls28-dev
libcurl4-openssl-dev libseccomp-dev libpython3.11-dev libpython3-dev libexpat1-dev zlib1g-dev
libsystemd-dev libpq5"

missing=""
for p in $TOOLS; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
        missing="$missing $p"
done
for p in $LIBS; do
    dpkg-query -W -f='${Status}\n' "$p:arm64" 2>/dev/null | grep -q '^install ok installed' ||
        missing="$missing $p:arm64"
done
[ -n "$missing" ] || exit 0

if [ "$(id -u)" != 0 ]; then
    echo "arm64 setup: these packages are missing:$missing" >&2
    echo "arm64 setup: run it again as root (sudo make arm64-deps) to install them" >&2
    exit 1
fi
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    echo "arm64 setup: adding the arm64 architecture to dpkg"
    dpkg --add-architecture arm64
fi
echo "arm64 setup: installing$missing"
apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
