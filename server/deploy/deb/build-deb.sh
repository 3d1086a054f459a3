#!/bin/sh
# build-deb.sh BUILD_DIR OUT_DIR - a Debian package of skillserver from a
# meson build folder (make deb runs it on ./build):
#
#   1. meson install into a staging folder (DESTDIR), then the installed
#      tree moved to /usr: an installation finds its files relative to its
#      binary (server/base/paths.h), so the build's own prefix does not
#      matter; the units name /usr/bin and skillkit's bytecode names
#      /usr/lib/python3/dist-packages.
#   2. DEBIAN/control made here: the version is meson's, the architecture
#      the build's (DEB_HOST_ARCH when set, for a cross build), and Depends
#      is dpkg-shlibdeps' reading of the two programs plus what skillserver
#      loads with dlopen, which no tool can see: libxml2 (the SSML
#      check), libmicrohttpd12 and libgnutls30 (serve), libcurl4 (fetching Amazon's signing chain),
#      libssl3 (its libcrypto: verification, signing, the class's passwords),
#      libsystemd0 (under systemd); openssl and adduser for the maintainer
#      scripts. libpq5, loaded with dlopen only for a --store postgresql://
#      database, is recommended rather than required.
#   3. The maintainer scripts (postinst, prerm, postrm beside this file):
#      the system user skillserver, the state folder with the example
#      skills and a self-signed certificate, and the service enabled.
#   4. dpkg-deb --build, owned by root, into OUT_DIR/skillserver_VERSION_ARCH.deb.
#
# Needs dpkg-dev (dpkg-shlibdeps) and meson. Writes only into OUT_DIR and
# a temporary folder it removes.
set -eu

if [ $# -ne 2 ]; then
    echo "usage: $0 BUILD_DIR OUT_DIR (BUILD_DIR: a meson build folder, built)" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/skillserver-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

option() { # the value of a meson build option
    meson introspect "$build" --buildoptions | python3 -c '
import json, sys
print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == sys.argv[1]))' "$1"
}
prefix=$(option prefix)
version=$(meson introspect "$build" --projectinfo | python3 -c '
import json, sys
print(json.load(sys.stdin)["version"])')
arch=${DEB_HOST_ARCH:-$(dpkg --print-architecture)}

# 1. The installed tree, moved to /usr. STAGED names a DESTDIR this build
# was already installed into (the tests have one), else it is made here.
staged=${STAGED:-}
if [ -z "$staged" ]; then
    staged="$work/stage"
    DESTDIR="$staged" meson install -C "$build" --no-rebuild --quiet
fi
pkg="$work/pkg"
mkdir -p "$pkg/usr"
cp -a "$staged$prefix/." "$pkg/usr/"
# The configuration file goes to /etc (outside the prefix, or below it when
# the build's prefix was another), and dpkg keeps an administrator's
# changes to it (conffiles).
mkdir -p "$pkg/etc"
for conf in "$staged/etc/skillserver" "$pkg/usr/etc/skillserver"; do
    if [ -d "$conf" ]; then
        cp -a "$conf" "$pkg/etc/"
    fi
done
rm -rf "$pkg/usr/etc"
sed -i "s|^ExecStart=[^ ]*/skillserver |ExecStart=/usr/bin/skillserver |" \
    "$pkg/usr/lib/systemd/system/skillserver.service"
# The bytecode of the Python the worker embeds (pkg-config's python3-embed,
# Debian's python3.11), not of whichever python3 comes first on PATH.
python=$(pkg-config --variable=exec_prefix python3-embed)/bin/python3.11
"$python" -I -m compileall -q -f -d /usr/lib/python3/dist-packages/skillkit \
    "$pkg/usr/lib/python3/dist-packages/skillkit" >/dev/null
gzip -9n "$pkg/usr/share/man/man1/skillserver.1"
doc="$pkg/usr/share/doc/skillserver"
mkdir -p "$doc"
cp "$here/copyright" "$doc/copyright"

# 2. The control file.
mkdir -p "$work/shlibs/debian"
printf 'Source: skillserver\n\nPackage: skillserver\nArchitecture: any\n' \
    >"$work/shlibs/debian/control"
# (It warns that the programs are not in debian/skillserver/, which is
# true and harmless; its output is shown only when it fails.)
shlibs=$(cd "$work/shlibs" && dpkg-shlibdeps -O \
    "$pkg/usr/bin/skillserver" "$pkg/usr/libexec/skillserver/skillserver-worker" \
    2>"$work/shlibdeps.log" | sed -n 's/^shlibs:Depends=//p') || true
if [ -z "$shlibs" ]; then
    cat "$work/shlibdeps.log" >&2
    echo "$0: dpkg-shlibdeps found no shared libraries; is dpkg-dev installed?" >&2
    exit 1
fi
size=$(du -sk "$pkg/usr" | cut -f1)
mkdir -p "$pkg/DEBIAN"
cat >"$pkg/DEBIAN/control" <<CONTROL
Package: skillserver
Version: $version
Architecture: $arch
Maintainer: skillserver maintainers <skillserver@localhost>
Installed-Size: $size
Depends: $shlibs, libpython3.11-stdlib, libxml2 (>= 2.9.14), libmicrohttpd12 (>= 0.9.71), libgnutls30 (>= 3.7.5), libcurl4 (>= 7.85), libssl3 (>= 3.0.0), libsystemd0, openssl, adduser
Recommends: espeak-ng, python3, libpq5
Section: net
Priority: optional
Homepage: https://github.com/skillserver/skillserver
Description: endpoint for Alexa custom skills written as Python functions
 skillserver runs Alexa custom skills written as Python functions, each in
 a sandboxed worker process, behind an HTTPS endpoint that verifies Amazon's
 signatures. The package installs the skillserver service (port 443, as the
 user skillserver, skills in /var/lib/skillserver/skills), the skillkit
 Python package and the bundled example skills.
CONTROL
(cd "$pkg" && find etc -type f | sed 's|^|/|') >"$pkg/DEBIAN/conffiles"
for script in postinst prerm postrm; do
    install -m 0755 "$here/$script" "$pkg/DEBIAN/$script"
done

# 4. The package.
deb="$out/skillserver_${version}_${arch}.deb"
# xz as Debian's own packages; DEB_COMPRESS=gzip is three times faster (the tests).
dpkg-deb --root-owner-group "-Z${DEB_COMPRESS:-xz}" --build "$pkg" "$deb" >/dev/null
echo "$deb"
