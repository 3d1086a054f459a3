#!/bin/sh
# tests/arm64/run.sh [BUILD_DIR]: cross-build skillserver for arm64 (the
# Raspberry Pi's architecture) and run its tests under qemu-user. `make
# test-arm64` runs it after installing what it needs (server/deploy/arm64/
# setup.sh). Run as root: see tests/arm64/emulate.py.
#
# What runs on arm64, emulated: every C unit test and skillserver-worker,
# CPython included (meson's exe_wrapper, server/deploy/arm64/cross.ini), and
# the `invoke` integration tests, whose skillserver and workers are the
# arm64 programs. What does not: the lint and layer checks (they read the
# sources, not the programs), the skillkit-* tests (pure Python, run by the
# normal build under this machine's python3), the other integration tests
# (the normal build's) and the skill processes' seccomp filter, which
# qemu-user cannot load (it would judge qemu's own calls):
# SKILLSERVER_ALLOW_NO_SECCOMP=1 lets skills run without it, and every
# skill says so in its output. The filters themselves are checked for arm64
# by the sandbox_filter unit test, here and in the normal build. The skill's
# own user namespace (taken when started as root) is refused too: qemu runs
# a thread of its own, and a threaded process cannot enter one, so skills
# run with the warning that says their task limit is shared.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-build-arm64}
cd "$ROOT"

say() { echo "== $*"; }
die() {
    echo "test-arm64: $*" >&2
    exit 1
}

command -v aarch64-linux-gnu-gcc >/dev/null || die "the cross compiler is missing: run make arm64-deps (as root)"
command -v qemu-aarch64 >/dev/null || die "qemu-aarch64 is missing: run make arm64-deps (as root)"
[ "$(id -u)" = 0 ] || die "run me as root (tests/arm64/emulate.py maps users into a namespace)"

say "cross-build in $BUILD"
if [ ! -f "$BUILD/build.ninja" ]; then
    meson setup "$BUILD" --cross-file server/deploy/arm64/cross.ini >"$BUILD.setup.log" 2>&1 || {
        tail -30 "$BUILD.setup.log"
        die "meson setup of $BUILD failed (log: $BUILD.setup.log)"
    }
    rm -f "$BUILD.setup.log"
fi
ninja -C "$BUILD" >"$BUILD/build-output.txt" 2>&1 || {
    tail -40 "$BUILD/build-output.txt"
    die "the arm64 build failed (log: $BUILD/build-output.txt)"
}

for program in server/skillserver server/skillserver-worker; do
    kind=$(file -b "$BUILD/$program")
    echo "   $program: $kind" | cut -c1-100
    case $kind in
    *"ARM aarch64"*) ;;
    *) die "$BUILD/$program is not an arm64 program" ;;
    esac
done
# The worker carries CPython itself (Debian's arm64 libpython3.11-pic.a),
# as on amd64, unless the build was set up with -Dpython_link=shared.
if aarch64-linux-gnu-readelf -d "$BUILD/server/skillserver-worker" | grep -q 'libpython3'; then
    echo "   skillserver-worker links the shared libpython3.11"
else
    echo "   skillserver-worker links CPython statically"
fi

# Every test that runs an arm64 program: not the lint and layer checks (they
# read the sources) nor the skillkit-* tests (skillkit under this machine's
# python3, as in the normal build).
tests=$(meson introspect --tests "$BUILD" | python3 -c '
import json, sys
names = [t["name"] for t in json.load(sys.stdin)
         if ("skillserver:unit" in t["suite"] or t["name"] == "integration-invoke")
         and t["name"] not in ("lint", "layers") and not t["name"].startswith("skillkit-")]
print(" ".join(names))')
[ -n "$tests" ] || die "meson lists no tests in $BUILD"
# What tests/runner.sh expects to have run (every one of them must).
meson introspect --tests "$BUILD" | python3 -c '
import json, sys
chosen = set(sys.argv[1].split())
json.dump([t for t in json.load(sys.stdin) if t["name"] in chosen], sys.stdout)' "$tests" \
    >"$BUILD/registered-tests.json"

say "unit and invoke tests on arm64, under qemu-aarch64"
rm -f "$BUILD/meson-logs/testlog.json"
# shellcheck disable=SC2086
SKILLSERVER_ALLOW_NO_SECCOMP=1 python3 tests/arm64/emulate.py \
    meson test -C "$BUILD" --no-rebuild --num-processes 2 --timeout-multiplier 3 $tests \
    >"$BUILD/test-output.txt" 2>&1
status=$?
grep -E '^ *[0-9]+/[0-9]+ |^(Ok|Fail|Skipped|Timeout):' "$BUILD/test-output.txt" | sed 's/^/   /'
if [ "$status" = 125 ]; then
    # emulate.py could not make its namespace (not root, or Linux before 6.7).
    grep -E '^emulate.py:' "$BUILD/test-output.txt" >&2
    exit 125
fi
if [ "$status" != 0 ]; then
    grep -E '^emulate.py:' "$BUILD/test-output.txt" >&2
    die "arm64 tests failed (output: $BUILD/test-output.txt, logs: $BUILD/meson-logs/testlog.txt)"
fi
say "arm64: all passed"
