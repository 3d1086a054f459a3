# tests/runner.sh - the parts of the test runner, sourced by tests/run-all.sh
# (the whole suite) and tests/selftest/run.sh (which plants failures and
# checks that these functions report each one). POSIX sh.
#
# The caller sets:
#   RUNNER_TESTS  this folder (for summary.py and buildcheck.py)
#   RESULTS       a file; each check adds a line "NAME PASSED FAILED SKIPPED"
#   SKIPS         a file; each skip adds a line "SKIP ...", listed by total()
#
# What must stay true: nothing here can turn a failure into a pass. A build
# that is not configured as its name says, a meson run that fails or runs
# fewer tests than it registered, a fuzz target that prints a sanitizer
# report, and an empty list of fuzz targets are all failures.

# The lines sanitizers print when they find something (kept in step with
# tests/summary.py and tests/integration/harness.py).
SANITIZER_REPORT='runtime error: |ERROR: (Address|Leak|UndefinedBehavior|Thread|Memory)Sanitizer|SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer'

step() { echo "== $*"; }

# record NAME PASSED FAILED SKIPPED
record() { echo "$1 $2 $3 $4" >>"$RESULTS"; }

# configure DIR KIND [MESON SETUP ARGS...]: set up DIR once (KIND: plain,
# asan or fuzz, see buildcheck.py), check that it is configured as KIND,
# then build it. Returns non-zero, having said why, when any step fails.
configure() {
    dir=$1
    kind=$2
    shift 2
    if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || {
            sed 's/^/   | /' "$dir.setup.log"
            echo "   setup of $dir failed"
            return 1
        }
        rm -f "$dir.setup.log"
    fi
    why=$(python3 "$RUNNER_TESTS/buildcheck.py" "$dir" "$kind") || {
        echo "   $why"
        return 1
    }
    ninja -C "$dir" >"$dir/build-output.txt" 2>&1 || {
        tail -60 "$dir/build-output.txt" | sed 's/^/   | /'
        echo "   build of $dir failed"
        return 1
    }
}

# suite DIR NAME [COMMAND PREFIX...]: run meson test in DIR (under the
# prefix, e.g. env VAR=value) and record its counts as NAME.
suite() {
    dir=$1
    name=$2
    shift 2
    step "$name"
    # A testlog.json from an earlier run must not stand in for this one.
    rm -f "$dir/meson-logs/testlog.json"
    meson introspect --tests "$dir" >"$dir/registered-tests.json" 2>"$dir/introspect-errors.txt" ||
        cat "$dir/introspect-errors.txt"
    "$@" meson test -C "$dir" --num-processes 2 >"$dir/test-output.txt" 2>&1
    status=$?
    grep -E '^ *[0-9]+/[0-9]+ ' "$dir/test-output.txt" | sed 's/^/   /'
    if [ ! -f "$dir/meson-logs/testlog.json" ]; then
        tail -40 "$dir/test-output.txt" | sed 's/^/   | /'
    fi
    python3 "$RUNNER_TESTS/summary.py" "$name" "$dir/meson-logs/testlog.json" \
        --registered "$dir/registered-tests.json" --meson-status "$status" \
        --skips "$SKIPS" >>"$RESULTS" || record "$(echo "$name" | tr ' ' _)" 0 1 0
}

# fuzz_target TARGET SEEDS WORKDIR SECONDS NAME: run one libFuzzer target for
# SECONDS from its seed folder (new inputs go to WORKDIR/corpus-NAME) and
# record it as fuzz-NAME.
fuzz_target() {
    target=$1
    seeds=$2
    work=$3
    seconds=$4
    name=$5
    corpus="$work/corpus-$name"
    log="$work/$name.log"
    mkdir -p "$corpus"
    # Every sanitizer report ends the run (the sanitized builds also compile
    # with -fno-sanitize-recover), and a report in the log fails the target
    # even if it exited 0.
    if env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        "$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=30 \
        -print_final_stats=1 -artifact_prefix="$work/" "$corpus" "$seeds" >"$log" 2>&1 &&
        ! grep -Eq "$SANITIZER_REPORT" "$log"; then
        runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$')
        echo "   fuzz $name: ok (${runs:-?} runs)"
        record "fuzz-$name" 1 0 0
    else
        echo "   fuzz $name: FAILED (log: $log)"
        tail -40 "$log" | sed 's/^/   | /'
        record "fuzz-$name" 0 1 0
    fi
}

# fuzz_all DIR SECONDS: every fuzz target the build in DIR defines, each
# for SECONDS. The list comes from meson, so a target that was not built
# fails, and a build that defines none is a failure, not a quiet pass.
fuzz_all() {
    dir=$1
    seconds=$2
    targets=$(meson introspect --targets "$dir" | python3 -c '
import json, sys
for t in json.load(sys.stdin):
    if t["type"] == "executable" and t["name"].startswith("fuzz_"):
        print(t["filename"][0])')
    if [ -z "$targets" ]; then
        echo "   no fuzz targets are defined in $dir"
        record fuzz-targets 0 1 0
        return
    fi
    for target in $targets; do
        name=$(basename "$target" | sed 's/^fuzz_//')
        if [ ! -x "$target" ]; then
            echo "   fuzz $name: FAILED ($target was not built)"
            record "fuzz-$name" 0 1 0
            continue
        fi
        fuzz_target "$target" "$RUNNER_TESTS/fuzz/seeds/$name" "$dir" "$seconds" "$name"
    done
}

# arm64_suite DIR: the arm64 build in DIR and its tests under qemu-user
# (tests/arm64/run.sh), counted like the other suites. Where the emulation
# cannot start (not root, or Linux before 6.7), one skip that says why.
arm64_suite() {
    dir=$1
    step "arm64: cross-build, then the unit and invoke tests under qemu-user"
    rm -f "$dir/meson-logs/testlog.json"
    sh "$RUNNER_TESTS/arm64/run.sh" "$dir" >"$dir.run.txt" 2>&1
    status=$?
    grep -E '^ *[0-9]+/[0-9]+ |^   server/|links' "$dir.run.txt" | sed 's/^ */   /'
    if [ "$status" = 125 ]; then
        reason=$(grep -E '^emulate.py:' "$dir.run.txt" | head -1)
        echo "SKIP arm64: the arm64 programs cannot be emulated here: ${reason:-see $dir.run.txt}" \
            >>"$SKIPS"
        record arm64 0 0 1
        return
    fi
    if [ ! -f "$dir/meson-logs/testlog.json" ] || [ ! -f "$dir/registered-tests.json" ]; then
        tail -40 "$dir.run.txt" | sed 's/^/   | /'
        record arm64 0 1 0
        return
    fi
    python3 "$RUNNER_TESTS/summary.py" "tests on arm64" "$dir/meson-logs/testlog.json" \
        --registered "$dir/registered-tests.json" --meson-status "$status" \
        --skips "$SKIPS" >>"$RESULTS" || record arm64 0 1 0
}

# fresh_tmp NAME COMMAND...: run COMMAND (a program or a function of this
# file) with TMPDIR set to a new, empty folder of its own, then record the
# check NAME-tmp: passed when the folder is empty again, failed with a line
# naming what is left in it otherwise (a test, or skillserver itself, left
# it behind). The folder is removed either way. It is made in the caller's
# TMPDIR (/tmp by default), so its paths stay short enough for unix
# sockets and it is outside the checkout (test_install hides the checkout
# from the installed program), and it is open to everyone like /tmp: some
# tests run programs as nobody. Returns COMMAND's status.
fresh_tmp() {
    ft_name=$1
    shift
    ft_dir=$(mktemp -d "${TMPDIR:-/tmp}/skillserver-$ft_name.XXXXXX") &&
        chmod 1777 "$ft_dir" || {
        echo "   FAILED $ft_name: cannot make a temporary folder in ${TMPDIR:-/tmp}"
        record "$ft_name-tmp" 0 1 0
        return 1
    }
    (
        TMPDIR=$ft_dir
        export TMPDIR
        "$@"
    )
    ft_status=$?
    ft_left=$(find "$ft_dir" -mindepth 1 -maxdepth 1 | sort)
    if [ -n "$ft_left" ]; then
        ft_count=$(echo "$ft_left" | wc -l)
        echo "   FAILED $ft_name-tmp: the tests left $ft_count entries in their temporary" \
            "folder (TMPDIR), where each test must remove what it makes:"
        echo "$ft_left" | head -20 | sed 's/^/   | /'
        [ "$ft_count" -le 20 ] || echo "   | ... and $((ft_count - 20)) more"
        record "$ft_name-tmp" 0 1 0
    else
        record "$ft_name-tmp" 1 0 0
    fi
    # Folders a test made unreadable are opened up so that they can go.
    chmod -R u+rwx "$ft_dir" 2>/dev/null
    rm -rf "$ft_dir"
    return $ft_status
}

# total: list the skips, then print the closing line "N passed, M failed,
# K skipped"; returns 1 when anything failed or nothing ran at all.
total() {
    if [ -s "$SKIPS" ]; then
        cat "$SKIPS"
    fi
    awk '{p += $(NF-2); f += $(NF-1); s += $NF}
        END {
            if (p + f == 0) { print "FAILED: no check ran at all"; f = 1 }
            printf "%d passed, %d failed, %d skipped\n", p, f, s
            exit (f > 0)
        }' "$RESULTS"
}
