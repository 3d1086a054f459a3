#!/bin/sh
# tests/bench/run.sh BUILD - the benchmarks, run by `make bench`.
#
# 1. The C micro-benchmarks of BUILD/tests/bench (their output, prefixed).
# 2. wrk against the real `skillserver serve` (BUILD/server/skillserver) with
#    only the thank_you skill, posting tests/fixtures/requests/
#    intent_thank_you.json over keep-alive connections: plain HTTP and TLS,
#    1 worker and N workers (N = CPUs), and --fresh-worker. Each case runs
#    BENCH_SECONDS (default 10) after a 2 s warm-up, and reports requests/s,
#    p50 and p99 latency, and the CPU the server and its workers spent per
#    request (from /proc, so it holds even on a busy machine). Two more cases
#    measure the HTTP layer alone: GET /healthz, and POST of the same body to
#    an unknown skill (body read, 404 JSON, access log), over plain HTTP.
#
# 3. invoke: `skillserver invoke thank_you` on a canned request, start to
#    exit, the median of BENCH_INVOKE_RUNS (default 20): a zygote's whole
#    start (sandbox, CPython, skillkit, the skill) plus one request.
#    invoke-ssml does the same with an answer built with skillkit.ssml (so
#    checked against the schema), invoke-plain with a skill of plain
#    functions, as a class writes them.
# 4. class-load: a `serve --class` with 30 children saving and talking to
#    their skills at once, 5 of them looping (tests/integration/
#    test_class_load.py): p50/p99 of the well-behaved answers, and a failure
#    when one takes over 2 s. It runs once, not per round.
#
# BENCH_COMPARE=OTHER_BINARY runs every case with that skillserver too,
# alternating with BUILD's, in the same run (for example the build of an
# earlier commit, to see what a change costs); its rows are marked "(other)".
#
# Environment: BENCH_SECONDS, BENCH_CONNECTIONS (default 32), BENCH_THREADS
# (wrk threads, default 2), BENCH_CASES (space-separated subset of: plain-1
# verify-1 plain-N tls-1 tls-N fresh-plain fresh-tls http-get http-post
# invoke invoke-ssml invoke-plain class-load), BENCH_SKIP_MICRO=1,
# BENCH_COMPARE, BENCH_INVOKE_RUNS.
set -eu

BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BIN=$BUILD/server/skillserver
SECONDS_EACH=${BENCH_SECONDS:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
WRK_THREADS=${BENCH_THREADS:-2}
CPUS=$(nproc)
CASES=${BENCH_CASES:-plain-1 verify-1 plain-N tls-1 tls-N fresh-plain fresh-tls http-get http-post invoke invoke-ssml invoke-plain class-load}
MAIN_BIN=$BIN
COMPARE=${BENCH_COMPARE:-}
label=

[ -x "$BIN" ] || { echo "run.sh: $BIN not found; build first (make build)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "run.sh: wrk is not installed" >&2; exit 2; }
cd "$ROOT"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/skillserver-bench.XXXXXX")
pid=
case_connections=
cleanup() {
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "== machine: $CPUS CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "== load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

if [ -z "${BENCH_SKIP_MICRO:-}" ]; then
    echo "== micro-benchmarks ($BUILD/tests/bench)"
    for b in "$BUILD"/tests/bench/bench_*; do
        if [ ! -f "$b" ] || [ ! -x "$b" ]; then continue; fi
        "$b" 2>&1 | sed "s|^|   $(basename "$b"): |" || echo "   $(basename "$b"): FAILED"
    done
fi

mkdir -p "$tmp/skills" "$tmp/data"
cp -r "$ROOT/skills/thank_you" "$tmp/skills/"
# invoke-ssml's skill: thank_you's answer with a pause in it.
mkdir -p "$tmp/skills/thanks_ssml" "$tmp/skills/thanks_plain"
cat >"$tmp/skills/thanks_ssml/skill.py" <<'EOF'
from skillkit import intent, ssml


@intent("ThankYouIntent")
def thanks(req):
    return "You're welcome, " + req.slot("name", "friend") + "!" + ssml.pause(0.2) + "Have a great day."
EOF
# invoke-plain's: a child's two functions.
cat >"$tmp/skills/thanks_plain/skill.py" <<'EOF'
def thank_you(name):
    return "You're welcome, " + name + "!"


def tell_me_a_joke():
    return "Why did the robot go on holiday? To recharge!"
EOF
sh "$ROOT/certs/make-endpoint-cert.sh" localhost "$tmp/tls" >/dev/null

# The process and all its descendants (the launcher, each skill's monitor
# and zygote, the workers).
tree() {
    echo "$1"
    for c in $(pgrep -P "$1" 2>/dev/null || true); do tree "$c"; done
}

# CPU ticks (user + system) of the server and every process below it, and
# of those they reaped (cutime + cstime: fresh workers live for one request).
cpu_ticks() {
    total=0
    for p in $(tree "$1"); do
        # Fields 14-17 of /proc/PID/stat (utime, stime, cutime, cstime); the
        # name (field 2) may hold spaces, so count from after it.
        t=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13 + $14 + $15}') || t=0
        total=$((total + ${t:-0}))
    done
    echo "$total"
}

# stop_server NAME: SIGTERM (the server drains and exits 0), SIGKILL after 30 s.
stop_server() {
    kill -TERM "$pid" 2>/dev/null || true
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 300 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "   $1: the server did not stop in 30 s; killed"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    status=0
    wait "$pid" || status=$?
    [ $status -eq 0 ] || echo "   $1: the server exited with status $status"
    pid=
}

# How serve checks requests: off, except in the verify-1 case.
verify_opts=--no-verify

# verify_setup: a throw-away signing chain served by a local HTTPS host
# standing in for s3.amazonaws.com, a fresh request signed with it (the
# timestamp must stay within 150 s of the run), and serve's options to use it.
verify_setup() {
    sh "$ROOT/certs/make-test-chain.sh" "$tmp/chain" >/dev/null
    mkdir -p "$tmp/www/echo.api"
    cp "$tmp/chain/chain.pem" "$tmp/www/echo.api/echo-api-cert.pem"
    # The port file of an earlier case names a host that is gone (BENCH_COMPARE).
    rm -f "$tmp/chain-port"
    python3 "$ROOT/tests/chain_host.py" --root "$tmp/www" --cert "$tmp/chain/s3.pem" \
        --key "$tmp/chain/s3.key" --port-file "$tmp/chain-port" --log "$tmp/chain-host.log" &
    chain_pid=$!
    i=0
    while [ ! -s "$tmp/chain-port" ] && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    "$BIN" request thank_you ThankYouIntent --skills "$tmp/skills" >"$tmp/signed.json"
    "$BIN" sign --key "$tmp/chain/leaf.key" \
        --cert-url https://s3.amazonaws.com/echo.api/echo-api-cert.pem "$tmp/signed.json" \
        >"$tmp/signed-headers.txt"
    verify_opts="--trust-ca $tmp/chain/root.pem --cert-connect-to s3.amazonaws.com:443:127.0.0.1:$(cat "$tmp/chain-port")"
    export BENCH_BODY="$tmp/signed.json" BENCH_HEADERS="$tmp/signed-headers.txt"
}

verify_teardown() {
    kill "$chain_pid" 2>/dev/null || true
    wait "$chain_pid" 2>/dev/null || true
    verify_opts=--no-verify
    unset BENCH_BODY BENCH_HEADERS
}

# run_case NAME SCHEME PATH SCRIPT serve-options...: SCRIPT "-" for a plain GET.
run_case() {
    name=$1 scheme=$2 path=$3 script=$4
    shift 4
    if [ "$script" = - ]; then script=tests/bench/get.lua; fi
    log=$tmp/$name-$scheme.log
    : >"$log"
    # shellcheck disable=SC2086
    "$BIN" serve --listen 127.0.0.1:0 --skills "$tmp/skills" --data "$tmp/data" $verify_opts \
        "$@" 2>"$log" &
    pid=$!
    url=
    i=0
    while [ $i -lt 600 ]; do
        url=$(sed -n 's/.*listening on \(https*:\/\/[^ ]*\) .*/\1/p' "$log")
        [ -n "$url" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
        i=$((i + 1))
    done
    if [ -z "$url" ]; then
        echo "   $name: the server did not start:"
        sed 's/^/     /' "$log"
        pid=
        return
    fi
    target=$url$path
    conns=${case_connections:-$CONNECTIONS}
    wrk -t"$WRK_THREADS" -c"$conns" -d2s -s "$script" "$target" >/dev/null || true
    hz=$(getconf CLK_TCK)
    before=$(cpu_ticks "$pid")
    out=$(wrk -t"$WRK_THREADS" -c"$conns" -d"${SECONDS_EACH}s" --timeout 10s \
        -s "$script" "$target" 2>&1) || true
    after=$(cpu_ticks "$pid")
    stop_server "$name"
    line=$(echo "$out" | grep '^BENCH ' || true)
    if [ -z "$line" ]; then
        echo "   $name: wrk said:"
        echo "$out" | sed 's/^/     /'
        return
    fi
    # shellcheck disable=SC2086
    eval "$(echo "$line" | sed 's/^BENCH //')"
    # requests seconds p50_us p99_us non2xx errors are set now.
    # shellcheck disable=SC2154
    awk -v name="$name$label" -v n="$requests" -v s="$seconds" -v p50="$p50_us" -v p99="$p99_us" \
        -v bad="$non2xx" -v err="$errors" -v ticks=$((after - before)) -v hz="$hz" \
        -v scheme="$scheme" -v conns="$conns" -v expect_200="$([ "$path" = /skills/none ] && echo 0 || echo 1)" 'BEGIN {
            cpu = n > 0 ? ticks / hz * 1e6 / n : 0
            printf "   %-20s %-5s %3d conn %10.0f req/s   p50 %7.2f ms   p99 %7.2f ms   %7.1f us CPU/req%s\n",
                name, scheme, conns, n / s, p50 / 1000, p99 / 1000, cpu,
                (bad * expect_200 + err > 0) ? sprintf("   (%d non-200, %d socket errors)", bad, err) : ""
        }'
}

echo "== wrk: thank_you, ${CONNECTIONS} keep-alive connections, $WRK_THREADS wrk threads, ${SECONDS_EACH}s per case"
tls="--tls-cert $tmp/tls/certificate.pem --tls-key $tmp/tls/private-key.pem"
ty=/skills/thank_you
post=tests/bench/post.lua
# invoke_case CASE SKILL: the median start-to-exit time of `invoke SKILL`
# on a ThankYouIntent with the name Sam. With BENCH_COMPARE the binaries
# take turns run by run: a start of 40 ms drifts by more than a change is
# worth from one minute to the next on a shared machine.
invoke_case() {
    runs=${BENCH_INVOKE_RUNS:-20}
    "$MAIN_BIN" request "$2" ThankYouIntent name=Sam --skills "$tmp/skills" >"$tmp/invoke.json"
    n=0
    for b in "$MAIN_BIN" $COMPARE; do
        : >"$tmp/invoke-times-$n"
        n=$((n + 1))
    done
    i=0
    while [ $i -lt "$runs" ]; do
        n=0
        for b in "$MAIN_BIN" $COMPARE; do
            start=$(date +%s%N)
            "$b" invoke "$2" "$tmp/invoke.json" --skills "$tmp/skills" --data "$tmp/data" \
                >"$tmp/invoke-out" 2>&1 || echo "   $1 ($b): run $i failed"
            end=$(date +%s%N)
            grep -q "welcome, Sam" "$tmp/invoke-out" || echo "   $1 ($b): run $i did not answer"
            echo $(((end - start) / 1000)) >>"$tmp/invoke-times-$n"
            n=$((n + 1))
        done
        i=$((i + 1))
    done
    n=0
    for b in "$MAIN_BIN" $COMPARE; do
        name=$1
        [ "$b" = "$MAIN_BIN" ] || name="$1 (other)"
        sort -n "$tmp/invoke-times-$n" | awk -v name="$name" -v runs="$runs" '
            { t[NR] = $1 }
            END { printf "   %-20s median %.1f ms of %d runs (min %.1f, max %.1f)\n", name,
                  t[int((NR + 1) / 2)] / 1000, runs, t[1] / 1000, t[NR] / 1000 }'
        n=$((n + 1))
    done
}

for c in $CASES; do
  for BIN in "$MAIN_BIN" $COMPARE; do
    label=
    [ "$BIN" = "$MAIN_BIN" ] || label=" (other)"
    # $tls is two options on purpose: split it.
    # shellcheck disable=SC2086
    case $c in
    plain-1) run_case plain-1 http "$ty" "$post" --no-tls --workers 1 ;;
    # The same with verification on: a signed request, the chain cached.
    verify-1)
        verify_setup
        run_case verify-1 http "$ty" "$post" --no-tls --workers 1
        verify_teardown
        ;;
    plain-N) run_case "plain-$CPUS" http "$ty" "$post" --no-tls --workers "$CPUS" ;;
    tls-1) run_case tls-1 https "$ty" "$post" $tls --workers 1 ;;
    tls-N) run_case "tls-$CPUS" https "$ty" "$post" $tls --workers "$CPUS" ;;
    # A fresh worker per request is slow by design: CPUs x 2 connections
    # measure its cost without a queue of waiting requests.
    fresh-plain)
        case_connections=$((CPUS * 2))
        run_case fresh http "$ty" "$post" --no-tls --fresh-worker --workers "$CPUS"
        case_connections=
        ;;
    fresh-tls)
        case_connections=$((CPUS * 2))
        run_case fresh https "$ty" "$post" $tls --fresh-worker --workers "$CPUS"
        case_connections=
        ;;
    http-get) run_case healthz http /healthz - --no-tls ;;
    http-post) run_case post-404 http /skills/none "$post" --no-tls ;;
    # Every binary in one call, run by run in turn (invoke_case).
    invoke) [ "$BIN" != "$MAIN_BIN" ] || invoke_case invoke thank_you ;;
    invoke-ssml) [ "$BIN" != "$MAIN_BIN" ] || invoke_case invoke-ssml thanks_ssml ;;
    invoke-plain) [ "$BIN" != "$MAIN_BIN" ] || invoke_case invoke-plain thanks_plain ;;
    class-load) ;;
    *) echo "   unknown case $c" ;;
    esac
  done
done
case " $CASES " in
*" class-load "*)
    echo "== class-load: 30 children, 5 endless loops, over HTTPS"
    SKILLSERVER="$BUILD/server/skillserver" SOURCE_ROOT="$ROOT" BUILD_ROOT="$BUILD" \
        python3 "$ROOT/tests/taprun.py" "$ROOT/tests/integration/test_class_load.py" 2>&1 |
        sed 's/^/   /' || true
    ;;
esac
echo "== load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
