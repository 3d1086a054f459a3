#!/bin/sh
# Build and run the whole suite: the normal build, the same tests under
# AddressSanitizer + UndefinedBehaviorSanitizer, and each fuzz target for a
# few seconds. Prints per-suite results, every failure with its output, a
# line per skip, and ends with "N passed, M failed, K skipped"; exits 1 when
# anything failed. The parts are in tests/runner.sh.
# Each stage runs with TMPDIR set to an empty folder of its own; anything
# left in it afterwards is one more failure, named (runner.sh, fresh_tmp).
# Between the sanitizer run and the fuzzers, the arm64 cross-build and its
# unit and invoke tests under qemu-user (tests/arm64/run.sh; ARM64_BUILD
# "none" leaves it out).
#   tests/run-all.sh BUILD ASAN_BUILD FUZZ_BUILD FUZZ_SECONDS [ARM64_BUILD]
set -u
BUILD=${1:-build}
ASAN=${2:-build-asan}
FUZZ=${3:-build-fuzz}
SECONDS_EACH=${4:-10}
ARM64=${5:-build-arm64}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
RUNNER_TESTS=$ROOT/tests
RESULTS=$(mktemp)
SKIPS=$(mktemp)
trap 'rm -f "$RESULTS" "$SKIPS"' EXIT
. "$RUNNER_TESTS/runner.sh"

if [ -z "${FUZZ_ONLY:-}" ]; then
    if configure "$BUILD" plain; then
        fresh_tmp tests suite "$BUILD" "tests"
    else
        record build 0 1 0
    fi
    if configure "$ASAN" asan -Db_sanitize=address,undefined -Db_lundef=false; then
        fresh_tmp asan suite "$ASAN" "tests under ASan+UBSan" env PYTHONMALLOC=malloc
    else
        record asan-build 0 1 0
    fi
    if [ "$ARM64" != none ]; then
        fresh_tmp arm64 arm64_suite "$ARM64"
    fi
fi

step "fuzz targets, ${SECONDS_EACH}s each"
if CC=clang configure "$FUZZ" fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false; then
    fresh_tmp fuzz fuzz_all "$FUZZ" "$SECONDS_EACH"
else
    record fuzz-build 0 1 0
fi

total
