#!/bin/sh
# tests/selftest/run.sh SOURCE_ROOT WORKDIR - proves, in TAP, that the test
# runner can fail. It plants one failure of each kind in a small project of
# its own (tests/selftest/planted: a failed assertion, a crash, a leak,
# UBSan, skips, a test registered but not run, a failing tearDownModule),
# runs it with the functions tests/run-all.sh uses (tests/runner.sh) and
# checks that each is reported; then a test that is listed but missing, a
# build not configured as its name says, a run whose build breaks (no stale
# results), a fuzz target that trips UBSan, a build without fuzz targets and
# a stage that leaves files in its temporary folder.
#
# The runner's own output goes to files in WORKDIR, never to stdout: it is
# full of "not ok" lines and sanitizer reports that the outer run would
# count. On a failed check the relevant file is shown as TAP comments.
set -u
ROOT=$(cd "$1" && pwd)
WORK=$2
RUNNER_TESTS=$ROOT/tests
. "$RUNNER_TESTS/runner.sh"

rm -rf "$WORK"
mkdir -p "$WORK"
# The environment run-all.sh and meson's test setup give sanitized programs.
export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
unset LSAN_OPTIONS

n=0
failed=0
# check STATUS DESCRIPTION [FILE]: one TAP line; FILE is shown on failure.
check() {
    n=$((n + 1))
    if [ "$1" = 0 ]; then
        echo "ok $n - $2"
    else
        echo "not ok $n - $2"
        failed=1
        if [ -n "${3:-}" ] && [ -f "$3" ]; then
            sed 's/^/#   /' "$3" | tail -80
        fi
    fi
}
# has FILE TEXT: whether FILE holds TEXT (a fixed string).
has() { grep -qF -- "$2" "$1"; }
# results_of FILE NAME: the counts recorded for NAME ("PASSED FAILED SKIPPED").
results_of() { awk -v name="$2" '$1 == name {print $2, $3, $4}' "$1"; }

src=$WORK/src
cp -r "$ROOT/tests/selftest/planted" "$src"
taprun=-Dtaprun=$ROOT/tests/taprun.py

# ---- one run with every kind of failure and skip ----
RESULTS=$WORK/planted.results
SKIPS=$WORK/planted.skips
: >"$RESULTS"
: >"$SKIPS"
out=$WORK/planted.out
(cd "$src" && configure "$WORK/asan" asan -Db_sanitize=address,undefined -Db_lundef=false \
    "$taprun" && suite "$WORK/asan" planted) >"$out" 2>&1
check $? "the planted project builds under ASan+UBSan and runs" "$out"
got=$(results_of "$RESULTS" planted)
[ "$got" = "6 7 3" ]
check $? "6 passed, 7 failed, 3 skipped are counted (got: $got)" "$out"
has "$out" "FAILED assertion:" && has "$out" "not ok 2 - planted assertion"
check $? "a failed assertion is reported with its TAP line" "$out"
has "$out" "FAILED crash:" && has "$out" "(exit status -11)"
check $? "a crash after the last passing check is reported with its signal" "$out"
has "$out" "FAILED leak:" && has "$out" "LeakSanitizer: detected memory leaks"
check $? "a leak found at exit is reported with the LeakSanitizer report" "$out"
has "$out" "FAILED ubsan:" && has "$out" "signed integer overflow"
check $? "a UBSan report that halts is reported with the report" "$out"
has "$out" "FAILED ubsan-recovers: OK, with a sanitizer report in its output"
check $? "a UBSan report in a test that exits 0 is still a failure" "$out"
has "$out" "FAILED hidden is registered but did not run"
check $? "a registered test that did not run is a failure" "$out"
has "$out" "FAILED module-fixture:" && has "$out" "planted failure in tearDownModule"
check $? "taprun runs module fixtures: a failing tearDownModule is reported" "$out"
has "$SKIPS" "SKIP planted / skip-line: needs a thing: planted: the thing is not here" &&
    has "$SKIPS" "SKIP planted / skip-plan: the whole test: planted: nothing to run here" &&
    has "$SKIPS" "SKIP planted / skip-77: the whole test: exit status 77"
check $? "a skipped check, an empty plan and exit status 77 are each listed as a skip" "$SKIPS"
total >"$WORK/total.out" 2>&1
status=$?
[ "$status" = 1 ] && [ "$(tail -1 "$WORK/total.out")" = "6 passed, 7 failed, 3 skipped" ]
check $? "the closing line counts them and the run fails" "$WORK/total.out"
# (in the order the tests finished, which meson runs in parallel)
[ "$(wc -l <"$WORK/total.out")" = 4 ] && [ "$(head -3 "$WORK/total.out" | grep -c '^SKIP planted / ')" = 3 ]
check $? "the skips are listed above the closing line" "$WORK/total.out"

# ---- a run whose build breaks: no stale testlog.json may stand in ----
RESULTS=$WORK/broken.results
: >"$RESULTS"
echo 'this is not C' >>"$src/passes.c"
out=$WORK/broken.out
(suite "$WORK/asan" broken) >"$out" 2>&1
got=$(results_of "$RESULTS" broken)
[ "$(echo "$got" | cut -d' ' -f2)" -gt 0 ] 2>/dev/null && has "$out" "meson test did not finish"
check $? "a meson run that cannot rebuild fails, not the old results (got: $got)" "$out"

# ---- a listed test whose file does not exist ----
out=$WORK/missing.out
(cd "$src" && configure "$WORK/missing" plain -Dmissing=true "$taprun") >"$out" 2>&1
[ $? != 0 ] && has "$out" "absent.c does not exist"
check $? "a listed test whose file is missing stops the build" "$out"

# ---- a build folder not configured as its name says ----
out=$WORK/misnamed.out
(cd "$src" && meson setup "$WORK/misnamed" "$taprun" >/dev/null 2>&1 &&
    configure "$WORK/misnamed" asan) >"$out" 2>&1
[ $? != 0 ] && has "$out" "should be a 'asan' build but is not: b_sanitize is 'none'"
check $? "an 'ASan' build without sanitizers is refused" "$out"

# ---- the fuzz phase ----
RESULTS=$WORK/fuzz.results
: >"$RESULTS"
out=$WORK/fuzz.out
mkdir -p "$WORK/fuzz/seeds"
printf 'seed' >"$WORK/fuzz/seeds/one"
# Recoverable UBSan, as the builds were before -fno-sanitize-recover: only
# the runner's own settings can stop it.
if clang -g -fsanitize=fuzzer,address,undefined -o "$WORK/fuzz/fuzz_overflow" \
    "$ROOT/tests/selftest/fuzz_overflow.c" >"$out" 2>&1; then
    (fuzz_target "$WORK/fuzz/fuzz_overflow" "$WORK/fuzz/seeds" "$WORK/fuzz" 20 overflow) \
        >>"$out" 2>&1
    [ "$(results_of "$RESULTS" fuzz-overflow)" = "0 1 0" ] && has "$out" "fuzz overflow: FAILED"
    check $? "a fuzz target that trips UBSan fails" "$out"
else
    check 1 "clang builds the planted fuzz target (apt-get install clang; make test does)" "$out"
fi
out=$WORK/nofuzz.out
(fuzz_all "$WORK/asan" 1) >"$out" 2>&1
[ "$(results_of "$RESULTS" fuzz-targets)" = "0 1 0" ] && has "$out" "no fuzz targets"
check $? "a build that defines no fuzz targets fails the fuzz phase" "$out"

# ---- a stage that leaves files in its temporary folder ----
RESULTS=$WORK/tmp.results
: >"$RESULTS"
out=$WORK/tmp.out
outer=$WORK/outer-tmp
mkdir -p "$outer"
# The planted stage says where its TMPDIR is, leaves a file and a folder
# there, and fails; the clean one makes a file and removes it.
(TMPDIR=$outer fresh_tmp leaky sh -c 'echo "$TMPDIR" >"$1"; touch "$TMPDIR/left-file";
    mkdir "$TMPDIR/left-folder"; chmod 0 "$TMPDIR/left-folder"; exit 3' sh "$WORK/tmp.seen") \
    >"$out" 2>&1
status=$?
seen=$(cat "$WORK/tmp.seen" 2>/dev/null)
[ "$status" = 3 ]
check $? "a stage's exit status is passed on (got: $status)" "$out"
case $seen in "$outer"/skillserver-leaky.*) true ;; *) false ;; esac
check $? "the stage ran with a TMPDIR of its own inside the caller's (got: $seen)" "$out"
[ "$(results_of "$RESULTS" leaky-tmp)" = "0 1 0" ] && has "$out" "FAILED leaky-tmp:" &&
    has "$out" "$seen/left-file" && has "$out" "$seen/left-folder"
check $? "what a stage leaves in its TMPDIR is a failure that names each leftover" "$out"
[ -n "$seen" ] && [ ! -e "$seen" ] && [ -z "$(ls -A "$outer")" ]
check $? "the stage's TMPDIR is removed, leftovers and all" "$out"
(TMPDIR=$outer fresh_tmp tidy sh -c 'touch "$TMPDIR/x" && rm "$TMPDIR/x"') >"$out" 2>&1
[ $? = 0 ] && [ "$(results_of "$RESULTS" tidy-tmp)" = "1 0 0" ] && [ -z "$(ls -A "$outer")" ]
check $? "a stage that removes what it made passes the check" "$out"

# ---- the closing line when nothing failed, and when nothing ran ----
RESULTS=$WORK/clean.results
SKIPS=$WORK/clean.skips
echo "a 3 0 0" >"$RESULTS"
echo "b 2 0 1" >>"$RESULTS"
echo "SKIP b / t: planted" >"$SKIPS"
total >"$WORK/clean.out" 2>&1
status=$?
[ "$status" = 0 ] && [ "$(tail -1 "$WORK/clean.out")" = "5 passed, 0 failed, 1 skipped" ]
check $? "a skip alone does not fail the run, and is counted" "$WORK/clean.out"
: >"$RESULTS"
: >"$SKIPS"
total >"$WORK/empty.out" 2>&1
status=$?
[ "$status" = 1 ] && [ "$(tail -1 "$WORK/empty.out")" = "0 passed, 1 failed, 0 skipped" ]
check $? "a run in which nothing ran fails" "$WORK/empty.out"

echo "1..$n"
exit $failed
