#!/bin/sh
# Build and run the whole suite: the normal build, the same tests under
# AddressSanitizer + UndefinedBehaviorSanitizer, and each fuzz target for a
# few seconds. Prints per-suite results and ends with "N passed, M failed".
#   tests/run-all.sh BUILD ASAN_BUILD FUZZ_BUILD FUZZ_SECONDS
set -u
BUILD=${1:-build}
ASAN=${2:-build-asan}
FUZZ=${3:-build-fuzz}
SECONDS_EACH=${4:-10}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
RESULTS=$(mktemp)
trap 'rm -f "$RESULTS"' EXIT

step() { echo "== $*"; }

# configure DIR ARGS...: set up a build dir once, then build it.
configure() {
    dir=$1; shift
    if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || {
            cat "$dir.setup.log"; echo "setup of $dir failed"; return 1; }
        rm -f "$dir.setup.log"
    fi
    ninja -C "$dir" >/dev/null || { ninja -C "$dir"; return 1; }
}

# suite DIR NAME: run meson test in DIR and add its counts to RESULTS.
suite() {
    dir=$1; name=$2; shift 2
    step "$name"
    "$@" meson test -C "$dir" --print-errorlogs --num-processes 2 >"$dir/test-output.txt" 2>&1
    python3 tests/summary.py "$name" "$dir/meson-logs/testlog.json" >>"$RESULTS" \
        || echo "$name 0 1" >>"$RESULTS"
    grep -E '^ *[0-9]+/[0-9]+ ' "$dir/test-output.txt" | sed 's/^/   /'
    grep -q 'FAIL\|TIMEOUT' "$dir/test-output.txt" && sed -n '/^=* *[0-9]*\/[0-9]* .*FAIL\|stdout:/,$p' "$dir/test-output.txt" | head -200
    return 0
}

if [ -z "${FUZZ_ONLY:-}" ]; then
    if configure "$BUILD"; then
        suite "$BUILD" "tests"
    else
        echo "build 0 1" >>"$RESULTS"
    fi
    if configure "$ASAN" -Db_sanitize=address,undefined -Db_lundef=false; then
        suite "$ASAN" "tests under ASan+UBSan" env PYTHONMALLOC=malloc
    else
        echo "asan-build 0 1" >>"$RESULTS"
    fi
fi

step "fuzz targets, ${SECONDS_EACH}s each"
if CC=clang configure "$FUZZ" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false; then
    for target in "$FUZZ"/tests/fuzz/fuzz_*; do
        [ -f "$target" ] && [ -x "$target" ] || continue
        name=$(basename "$target" | sed 's/^fuzz_//')
        corpus="$FUZZ/corpus-$name"
        mkdir -p "$corpus"
        # Every sanitizer report ends the run: without halt_on_error UBSan
        # prints "runtime error" and the target exits 0. A report in the log
        # fails the target even so.
        if env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
            UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
            "$target" -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
            -artifact_prefix="$FUZZ/" "$corpus" "tests/fuzz/seeds/$name" >"$FUZZ/$name.log" 2>&1 &&
            ! grep -Eq 'runtime error:|ERROR: (Address|Leak|UndefinedBehavior)Sanitizer' "$FUZZ/$name.log"; then
            echo "   fuzz $name: ok ($(grep -o 'stat::number_of_executed_units: [0-9]*' "$FUZZ/$name.log" | grep -o '[0-9]*$' || echo '?') runs)"
            echo "fuzz-$name 1 0" >>"$RESULTS"
        else
            echo "   fuzz $name: FAILED"; tail -40 "$FUZZ/$name.log"
            echo "fuzz-$name 0 1" >>"$RESULTS"
        fi
    done
else
    echo "fuzz-build 0 1" >>"$RESULTS"
fi

awk '{p += $(NF-1); f += $NF} END {printf "%d passed, %d failed\n", p, f; exit (f > 0)}' "$RESULTS"
