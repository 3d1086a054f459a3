#!/usr/bin/env python3
"""tests/bench/compare.py BUILD - skillserver side by side with its peer, the
official Alexa Skills Kit SDK for Node.js, run by `make bench-peer`.

The peer is tests/bench/peer/skill.js: ask-sdk-core handlers served by
ask-sdk-express-adapter on Express (pinned in tests/bench/peer/package.json;
`make bench-peer` runs `npm ci` there). skillserver serves
tests/bench/skills/welcome. Both answer ThankYouIntent with the same SSML,
<speak>You are welcome, Sam! <break time="200ms"/> Have a great day.</speak>,
on the same port kinds, with the same endpoint certificate
(certs/make-endpoint-cert.sh), and with verification on both check the
signature against the same throw-away chain (certs/make-test-chain.sh),
served by tests/chain_host.py as a stand-in for s3.amazonaws.com: skillserver
through --trust-ca and --cert-connect-to, the peer through
tests/bench/peer/preload.js (node -r).

Every case runs on both sides, the two up at once:
{verify, noverify} x {http, tls} x {keepalive, close} x {small, show}, where
close sends "Connection: close" (a new connection, and over TLS a new
handshake, per request), small is the 1.3 KB request of `skillserver request`
and show the 4.6 KB Echo Show request of tests/bench/requests/ (viewport and
APL context). Before measuring, each side must answer the signed request with
200 and the expected SSML and, with verification on, a request whose
signature was broken with 400; otherwise the case FAILED. wrk
(tests/bench/check.lua) then runs 2 s of warm-up on each side, and the
measurement: BENCH_SECONDS a side, in runs of BENCH_SEGMENT seconds that
alternate between the sides (peer, skillserver, skillserver, peer, ...; the
first side flips each round), with BENCH_CONNECTIONS connections, checking
every answer: status 200 and the SSML in the body. The speed of this shared
virtual machine drifts by 10-20% within a minute, and the runs in turn put
both sides in the same drift: the ratio of a case is the median of the
ratios of each pair of runs. Each side gets requests/s and CPU per request
over all its runs (user + system from /proc, reaped children included:
skillserver's launcher, zygote and workers, or the Node.js process), p50 and
p99 latency (the median of its runs', and the worst run's p99), the sum of
the PSS of all its processes at the end of the case, and the ratios
skillserver/peer. The request and its signature are made afresh for every
side of every case (Alexa's timestamp window is 150 s, which is why a side
gets at most 60 s). A case with any wrong answer or socket error is marked
FAILED.

Then: `skillserver invoke thank_you` on a canned request, start to exit,
median of BENCH_INVOKE_RUNS (20), with the machine's CPU per run; and the
memory of one skill: serve with --workers 1 after 20 requests, the PSS of
each process (front, launcher, zygote, the warm worker) and their sum. A summary table (medians over the
rounds) and the goals of issue 15 close the output.

Environment:
  BENCH_SECONDS       measured seconds per side and case (default 10, at most 60)
  BENCH_SEGMENT       seconds of each run in turn (default 5: each run opens its
                      connections afresh, and over TLS their handshakes, 2.5 ms
                      of the server's CPU each with RSA 2048, hold up the
                      requests of the connections that share their thread, which
                      shows in the p99 of a short run)
  BENCH_ROUNDS        rounds over all cases (default 1)
  BENCH_CONNECTIONS   wrk connections (default 32)
  BENCH_THREADS       wrk threads (default 2)
  BENCH_PEER_CASES    space-separated names or shell patterns of what to run
                      (default: all cases, invoke and memory), for example
                      "verify-http-keepalive-small verify-tls-* invoke"
  BENCH_INVOKE_RUNS   invoke runs (default 20)
  BENCH_PEER_PROCESSES  Node.js processes of the peer (default 1, as the SDK's
                      examples run; N uses node:cluster)
  NODE                the node command (default: node)
"""
import base64
import fnmatch
import http.client
import json
import os
import re
import shutil
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
PEER_DIR = os.path.join(ROOT, "tests", "bench", "peer")
CHECK_LUA = os.path.join(ROOT, "tests", "bench", "check.lua")
SHOW_REQUEST = os.path.join(ROOT, "tests", "bench", "requests", "echo_show_thank_you.json")
SKILL = "welcome"
CERT_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert.pem"
SSML = '<speak>You are welcome, Sam! <break time="200ms"/> Have a great day.</speak>'
# How the SSML appears inside either side's JSON answer.
EXPECT = json.dumps(SSML)[1:-1]

SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
SEGMENT_SECONDS = int(os.environ.get("BENCH_SEGMENT", "5"))
SEGMENTS = max(1, -(-SECONDS // SEGMENT_SECONDS)) if SEGMENT_SECONDS > 0 else 1
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "1"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
INVOKE_RUNS = int(os.environ.get("BENCH_INVOKE_RUNS", "20"))
PEER_PROCESSES = int(os.environ.get("BENCH_PEER_PROCESSES", "1"))
NODE = os.environ.get("NODE", "node")
HZ = os.sysconf("SC_CLK_TCK")

CASES = [f"{v}-{p}-{c}-{s}"
         for v in ("verify", "noverify")
         for p in ("http", "tls")
         for c in ("keepalive", "close")
         for s in ("small", "show")]
EXTRAS = ["invoke", "memory"]
SIDES = ("peer", "skillserver")


class Failure(Exception):
    """A side that cannot be measured: the message says why."""


def selected():
    patterns = os.environ.get("BENCH_PEER_CASES", "").split() or ["*"]
    names = [n for n in CASES + EXTRAS if any(fnmatch.fnmatchcase(n, p) for p in patterns)]
    unknown = [p for p in patterns if not any(fnmatch.fnmatchcase(n, p) for n in CASES + EXTRAS)]
    if unknown:
        sys.exit(f"compare.py: BENCH_PEER_CASES: nothing is called {' '.join(unknown)}; "
                 f"the names are {' '.join(CASES + EXTRAS)}")
    return names


# --- processes ---------------------------------------------------------------

def proc_table():
    """{pid: (ppid, ticks)} of every process: ticks is utime + stime +
    cutime + cstime (what it and the children it reaped spent)."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # The name (field 2) may hold spaces and parentheses: count from the last ")".
        fields = stat[stat.rfind(")") + 2:].split()
        table[int(name)] = (int(fields[1]), sum(int(x) for x in fields[11:15]))
    return table


def tree(pid, table=None):
    """pid and all its descendants."""
    table = table if table is not None else proc_table()
    children = {}
    for p, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(p)
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        if p in table:
            out.append(p)
            todo.extend(children.get(p, ()))
    return out


def cpu_ticks(pid):
    table = proc_table()
    return sum(table[p][1] for p in tree(pid, table))


def host_times():
    """The machine's CPU time so far, the part of it the hypervisor gave to
    other guests (steal, /proc/stat's eighth column), both in ticks, the
    context switches of every CPU so far (/proc/stat's ctxt), and the CPU
    time spent on anything (user, nice, system, irq and softirq) in ms."""
    with open("/proc/stat") as f:
        lines = f.read().splitlines()
    values = [int(v) for v in lines[0].split()[1:9]]
    ctxt = next((int(line.split()[1]) for line in lines if line.startswith("ctxt ")), 0)
    busy = sum(values[i] for i in (0, 1, 2, 5, 6)) * 1000.0 / HZ
    return sum(values), values[7] if len(values) > 7 else 0, ctxt, busy


def switches_per_request(before, after, requests):
    """The machine's context switches per request between two host_times():
    wrk's and the kernel's threads included, the same for both sides. Unlike
    requests/s it hardly moves with the host's load, so it shows a change in
    how often the processes of a request wake each other up."""
    return (after[2] - before[2]) / requests if requests else 0.0


def steal_percent(before, after):
    total, steal = after[0] - before[0], after[1] - before[1]
    return 100.0 * steal / total if total > 0 else 0.0


#: Above this share of stolen CPU during a measurement, its figures say more
#: about the host than about the program.
STEAL_WARN_PERCENT = 5.0


def pss_kib(pid):
    """The PSS of one process in KiB (smaps_rollup), or None if unreadable."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def process_name(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            args = f.read().split(b"\0")
    except OSError:
        return "?"
    words = [a.decode(errors="replace") for a in args if a]
    if not words:
        return "?"
    words[0] = os.path.basename(words[0])
    # The command and its first word, and the skill a worker process runs.
    shown = words[:2]
    if "--name" in words[:-1]:
        shown += ["--name", words[words.index("--name") + 1]]
    return " ".join(shown)


def tree_pss(pid):
    """(sum of PSS in MiB, number of processes, unreadable ones)."""
    total, unreadable = 0, 0
    pids = tree(pid)
    for p in pids:
        k = pss_kib(p)
        if k is None:
            unreadable += 1
        else:
            total += k
    return total / 1024, len(pids), unreadable


def stop(proc, name):
    """SIGTERM, then SIGKILL after 15 s; a complaint if it did not go well."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        print(f"   {name}: did not stop in 15 s; killed")
        proc.kill()
        proc.wait()


# --- the world both sides share ----------------------------------------------

class Bench:
    def __init__(self, build, tmp):
        self.bin = os.path.join(build, "server", "skillserver")
        self.tmp = tmp
        self.procs = []
        self.skills = os.path.join(tmp, "skills")
        self.data = os.path.join(tmp, "data")
        os.makedirs(self.data)
        shutil.copytree(os.path.join(ROOT, "tests", "bench", "skills", SKILL),
                        os.path.join(self.skills, SKILL))
        # invoke runs the bundled thank_you, from a folder of its own: the
        # servers' folder holds the one skill they are measured with.
        self.invoke_skills = os.path.join(tmp, "invoke-skills")
        shutil.copytree(os.path.join(ROOT, "skills", "thank_you"),
                        os.path.join(self.invoke_skills, "thank_you"))
        self.tls = os.path.join(tmp, "tls")
        self.run(["sh", os.path.join(ROOT, "certs", "make-endpoint-cert.sh"), "localhost", self.tls])
        self.tls_cert = os.path.join(self.tls, "certificate.pem")
        self.tls_key = os.path.join(self.tls, "private-key.pem")
        self.chain = os.path.join(tmp, "chain")
        self.run(["sh", os.path.join(ROOT, "certs", "make-test-chain.sh"), self.chain])
        www = os.path.join(tmp, "www", "echo.api")
        os.makedirs(www)
        shutil.copy(os.path.join(self.chain, "chain.pem"), os.path.join(www, "echo-api-cert.pem"))
        port_file = os.path.join(tmp, "chain-port")
        self.chain_log = os.path.join(tmp, "chain-host.log")
        host = self.spawn([sys.executable, os.path.join(ROOT, "tests", "chain_host.py"),
                           "--root", os.path.join(tmp, "www"),
                           "--cert", os.path.join(self.chain, "s3.pem"),
                           "--key", os.path.join(self.chain, "s3.key"),
                           "--port-file", port_file, "--log", self.chain_log])
        self.chain_port = self.wait_port_file(port_file, host, "the chain host")

    def run(self, args, **kw):
        p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
        if p.returncode != 0:
            raise Failure(f"{' '.join(args[:3])} failed ({p.returncode}): {p.stderr.strip()}")
        return p.stdout

    def spawn(self, args, **kw):
        p = subprocess.Popen(args, **kw)
        self.procs.append(p)
        return p

    def close(self):
        for p in reversed(self.procs):
            stop(p, " ".join(p.args[:2]))
        self.procs = []

    def wait_port_file(self, path, proc, what, seconds=60):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                with open(path) as f:
                    text = f.read().strip()
                if text:
                    return int(text)
            except FileNotFoundError:
                pass
            if proc.poll() is not None:
                raise Failure(f"{what} exited with status {proc.returncode} before it listened")
            time.sleep(0.05)
        raise Failure(f"{what} did not listen within {seconds} s")

    # The request of a case, made afresh (ids and timestamp), and its
    # signature headers.
    def request(self, size, name):
        body = os.path.join(self.tmp, f"{name}.json")
        if size == "small":
            text = self.run([self.bin, "request", SKILL, "ThankYouIntent", "name=Sam",
                             "--skills", self.skills])
        else:
            with open(SHOW_REQUEST) as f:
                req = json.load(f)
            req["session"]["sessionId"] = f"amzn1.echo-api.session.{uuid.uuid4()}"
            req["request"]["requestId"] = f"amzn1.echo-api.request.{uuid.uuid4()}"
            req["request"]["timestamp"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            # Alexa sends its JSON without spaces.
            text = json.dumps(req, separators=(",", ":"))
        with open(body, "w") as f:
            f.write(text)
        out = self.run([self.bin, "sign", "--key", os.path.join(self.chain, "leaf.key"),
                        "--cert-url", CERT_URL, body])
        headers = {}
        for line in out.splitlines():
            k, _, v = line.partition(": ")
            if v:
                headers[k] = v
        if "Signature-256" not in headers:
            raise Failure(f"skillserver sign printed no Signature-256 header: {out!r}")
        hfile = body + ".headers"
        with open(hfile, "w") as f:
            f.write(out)
        return body, text.encode(), headers, hfile

    # --- starting each side ---------------------------------------------------

    def start_skillserver(self, verify, tls, log):
        args = [self.bin, "serve", "--listen", "127.0.0.1:0", "--skills", self.skills,
                "--data", self.data]
        args += ["--tls-cert", self.tls_cert, "--tls-key", self.tls_key] if tls else ["--no-tls"]
        if verify:
            args += ["--trust-ca", os.path.join(self.chain, "root.pem"), "--cert-connect-to",
                     f"s3.amazonaws.com:443:127.0.0.1:{self.chain_port}"]
        else:
            args.append("--no-verify")
        return self.start(args, log, None, "skillserver", self.url_from_log)

    def start_peer(self, verify, tls, log):
        port_file = log + ".port"
        args = [NODE, "-r", os.path.join(PEER_DIR, "preload.js"),
                os.path.join(PEER_DIR, "skill.js"), "--listen", "127.0.0.1:0",
                "--port-file", port_file, "--processes", str(PEER_PROCESSES)]
        env = dict(os.environ)
        env.pop("PEER_CERT_CONNECT_TO", None)
        env.pop("PEER_TRUST_CA", None)
        if tls:
            args += ["--tls-cert", self.tls_cert, "--tls-key", self.tls_key]
        if verify:
            env["PEER_CERT_CONNECT_TO"] = f"127.0.0.1:{self.chain_port}"
            env["PEER_TRUST_CA"] = os.path.join(self.chain, "root.pem")
        else:
            args.append("--no-verify")
        scheme = "https" if tls else "http"

        def url(proc, _log):
            port = self.wait_port_file(port_file, proc, "the peer")
            return f"{scheme}://127.0.0.1:{port}"
        return self.start(args, log, env, "the peer", url)

    def start(self, args, log, env, what, find_url):
        with open(log, "w") as f:
            proc = self.spawn(args, stdout=f, stderr=subprocess.STDOUT, env=env, cwd=self.tmp)
        try:
            return proc, find_url(proc, log)
        except Failure:
            stop(proc, what)
            with open(log) as f:
                tail = f.read()[-2000:]
            raise Failure(f"{what} did not start:\n{tail}")

    def url_from_log(self, proc, log, seconds=60):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with open(log) as f:
                m = re.search(r"listening on (https?://\S+)", f.read())
            if m:
                return m.group(1).rstrip("/")
            if proc.poll() is not None:
                raise Failure(f"skillserver exited with status {proc.returncode}")
            time.sleep(0.05)
        raise Failure(f"skillserver did not listen within {seconds} s")


# --- one request, for the checks before measuring ----------------------------

def post(url, path, body, headers, cafile):
    scheme, _, hostport = url.partition("://")
    host, _, port = hostport.rpartition(":")
    if scheme == "https":
        ctx = ssl.create_default_context(cafile=cafile)
        conn = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=30)
    else:
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        h = {"Content-Type": "application/json; charset=utf-8"}
        h.update(headers)
        conn.request("POST", path, body=body, headers=h)
        resp = conn.getresponse()
        return resp.status, resp.read().decode(errors="replace")
    finally:
        conn.close()


def broken(headers):
    """The signature headers with one bit of the signature flipped."""
    sig = bytearray(base64.b64decode(headers["Signature-256"]))
    sig[len(sig) // 2] ^= 0x01
    return dict(headers, **{"Signature-256": base64.b64encode(bytes(sig)).decode()})


def check_side(url, body, headers, verify, cafile):
    status, text = post(url, "/skills/" + SKILL, body, headers, cafile)
    if status != 200 or EXPECT not in text:
        raise Failure(f"the signed request was answered {status}: {text[:300]}")
    if verify:
        status, text = post(url, "/skills/" + SKILL, body, broken(headers), cafile)
        if status != 400:
            raise Failure(f"a request with a broken signature was answered {status}, not 400: "
                          f"{text[:300]}")


# --- a case --------------------------------------------------------------------

def wrk(url, body_file, headers_file, close, seconds):
    env = dict(os.environ, BENCH_BODY=body_file, BENCH_HEADERS=headers_file,
               BENCH_EXPECT=EXPECT, BENCH_CLOSE="1" if close else "0")
    p = subprocess.run(["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s",
                        "--timeout", "10s", "-s", CHECK_LUA, url + "/skills/" + SKILL],
                       env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    m = re.search(r"^BENCH (.*)$", p.stdout, re.M)
    if not m:
        raise Failure("wrk said:\n" + p.stdout)
    return {k: float(v) for k, v in (kv.split("=") for kv in m.group(1).split())}


def start_side(bench, case, side, round_no):
    """Start one side for a case, with its own freshly signed request, and
    check that it answers right; a dict of what its segments need."""
    verify, proto, conn, size = case.split("-")
    verify, tls, close = verify == "verify", proto == "tls", conn == "close"
    name = f"{case}-{side}-{round_no}"
    body_file, body, headers, headers_file = bench.request(size, name)
    begin = bench.start_peer if side == "peer" else bench.start_skillserver
    proc, url = begin(verify, tls, os.path.join(bench.tmp, name + ".log"))
    try:
        check_side(url, body, headers if verify else {}, verify, bench.tls_cert)
    except Failure:
        stop(proc, side)
        bench.procs.remove(proc)
        raise
    return {"proc": proc, "url": url, "body": body_file, "headers": headers_file if verify else "",
            "close": close, "size": len(body), "segments": []}


def measure_segment(side, state, seconds):
    """One wrk run of `seconds` on a side that is up; appended to its segments."""
    proc = state["proc"]
    before, host_before = cpu_ticks(proc.pid), host_times()
    r = wrk(state["url"], state["body"], state["headers"], state["close"], seconds)
    after, host_after = cpu_ticks(proc.pid), host_times()
    if proc.poll() is not None:
        raise Failure(f"{side} exited during the run (status {proc.returncode})")
    n = r["requests"]
    state["segments"].append({
        "n": n, "seconds": r["seconds"], "p50": r["p50_us"] / 1000, "p99": r["p99_us"] / 1000,
        "rps": n / r["seconds"] if r["seconds"] else 0.0, "ticks": after - before,
        "responses": r["responses"], "bad_status": r["bad_status"], "bad_body": r["bad_body"],
        "errors": r["errors"], "host": (host_before, host_after)})


def side_result(state):
    """A side's figures over all its segments: requests/s and CPU per request
    over the whole, p50 and p99 the median of the segments'."""
    segs = state["segments"]
    n = sum(s["n"] for s in segs)
    secs = sum(s["seconds"] for s in segs)
    # host_times() summed over the runs, as if they had been one run.
    before = (0, 0, 0, 0.0)
    after = tuple(sum(s["host"][1][i] - s["host"][0][i] for s in segs) for i in range(4))
    bad_status = sum(s["bad_status"] for s in segs)
    bad_body = sum(s["bad_body"] for s in segs)
    errors = sum(s["errors"] for s in segs)
    responses = sum(s["responses"] for s in segs)
    pss, nproc, unreadable = tree_pss(state["proc"].pid)
    return {
        "rps": n / secs if secs else 0.0,
        "p50": statistics.median(s["p50"] for s in segs),
        "p99": statistics.median(s["p99"] for s in segs),
        "p99_max": max(s["p99"] for s in segs),
        "cpu": sum(s["ticks"] for s in segs) / HZ * 1e6 / n if n else 0.0,
        "pss": pss, "nproc": nproc, "unreadable": unreadable,
        "n": int(n), "responses": int(responses),
        "bad": int(bad_status + bad_body + errors),
        "right": int(responses - bad_status - bad_body),
        "detail": (f"{int(bad_status)} not 200, {int(bad_body)} without the SSML, "
                   f"{int(errors)} socket errors"),
        "size": state["size"],
        "steal": steal_percent(before, after),
        "cs": switches_per_request(before, after, n),
        "segment_rps": [s["rps"] for s in segs],
    }


def run_case(bench, case, round_no, order):
    """Both sides up at once, then SEGMENTS pairs of short wrk runs that
    alternate between them (the first side of a pair flips each pair), so
    that a change in the host's speed during the case falls on both sides
    alike. Returns {side: result}; a side that cannot be measured gets
    {"error": why}, and then the other is not measured either."""
    states, got = {}, {}
    try:
        for side in order:
            try:
                states[side] = start_side(bench, case, side, round_no)
            except Failure as e:
                got[side] = {"error": str(e)}
        if got:
            for side in order:
                got.setdefault(side, {"error": "not measured: the other side failed"})
            return got
        for side in order:
            s = states[side]
            wrk(s["url"], s["body"], s["headers"], s["close"], 2)
        for k in range(SEGMENTS):
            for side in (order if k % 2 == 0 else tuple(reversed(order))):
                try:
                    measure_segment(side, states[side], SEGMENT_SECONDS)
                except Failure as e:
                    return {s: ({"error": str(e)} if s == side else
                                {"error": "not measured: the other side failed"}) for s in order}
        for side in order:
            got[side] = side_result(states[side])
        return got
    finally:
        for side, s in states.items():
            stop(s["proc"], side)
            bench.procs.remove(s["proc"])


def pair_ratios(peer, ss):
    """skillserver/peer requests/s of each pair of segments, run back to back."""
    return [ratio(b, a) for a, b in zip(peer["segment_rps"], ss["segment_rps"])]


def describe(case, size_bytes):
    verify, proto, conn, size = case.split("-")
    return ", ".join([
        "verification on" if verify == "verify" else "verification off",
        "HTTP" if proto == "http" else "TLS",
        "keep-alive" if conn == "keepalive" else "a new connection per request",
        (f"{size_bytes / 1000:.1f} KB " if size_bytes else "")
        + ("request" if size == "small" else "Echo Show request"),
    ])


def row(side, r):
    if "error" in r:
        return f"   {side:<12} FAILED: {r['error']}"
    extra = f" ({r['unreadable']} unreadable)" if r["unreadable"] else ""
    bad = f"   FAILED: {r['detail']}" if r["bad"] else ""
    return (f"   {side:<12} {r['rps']:9.0f} req/s   p50 {r['p50']:7.2f} ms   "
            f"p99 {r['p99']:7.2f} ms (worst run {r['p99_max']:.2f})   {r['cpu']:7.1f} us CPU/req   {r['cs']:5.2f} cs/req   "
            f"PSS {r['pss']:6.1f} MiB in {r['nproc']} proc{extra}   "
            f"{r['right']}/{r['n']} right   host steal {r['steal']:.0f}%{bad}")


def ratio(a, b):
    return a / b if b else float("nan")


def ratio_row(peer, ss):
    if "error" in peer or "error" in ss:
        return "   ratio        (a side failed)"
    pairs = pair_ratios(peer, ss)
    return (f"   ratio        skillserver/peer: req/s {statistics.median(pairs):.2f}x "
            f"(median of {len(pairs)} pairs, {min(pairs):.2f}-{max(pairs):.2f}; "
            f"over the whole {ratio(ss['rps'], peer['rps']):.2f}x)   "
            f"p50 {ratio(ss['p50'], peer['p50']):.2f}x   p99 {ratio(ss['p99'], peer['p99']):.2f}x   "
            f"CPU/req {ratio(ss['cpu'], peer['cpu']):.2f}x   cs/req {ratio(ss['cs'], peer['cs']):.2f}x   "
            f"PSS {ratio(ss['pss'], peer['pss']):.2f}x")


def ok(r):
    return "error" not in r and r["bad"] == 0 and r["n"] > 0


# --- invoke and memory -----------------------------------------------------------

def invoke_case(bench):
    req = os.path.join(bench.tmp, "invoke.json")
    with open(req, "w") as f:
        f.write(bench.run([bench.bin, "request", "thank_you", "ThankYouIntent", "name=Sam",
                           "--skills", bench.invoke_skills]))
    times, failed = [], 0
    host_before = host_times()
    # invoke exits once its worker has finished, while the kernel still takes
    # the skill's processes down, and a namespace's init killed before it has
    # reaped the zygote leaves no account of the zygote's CPU to any parent.
    # So the CPU is the whole machine's over all the runs (and a moment after
    # the last), per run: on a quiet machine, that of invoke's processes.
    for _ in range(INVOKE_RUNS):
        t0 = time.monotonic()
        p = subprocess.run([bench.bin, "invoke", "thank_you", req, "--skills", bench.invoke_skills,
                            "--data", bench.data],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        times.append((time.monotonic() - t0) * 1000)
        if p.returncode != 0 or "You're welcome, Sam" not in p.stdout:
            failed += 1
    time.sleep(0.1)
    host_after = host_times()
    cpu = (host_after[3] - host_before[3]) / INVOKE_RUNS
    steal = steal_percent(host_before, host_after)
    times.sort()
    med = statistics.median(times)
    print(f"   invoke thank_you: median {med:.1f} ms of {INVOKE_RUNS} runs "
          f"(min {times[0]:.1f}, max {times[-1]:.1f}), the machine's CPU per run "
          f"{cpu:.1f} ms (all of its processes, mean), host steal {steal:.0f}%"
          + (f"   FAILED: {failed} runs did not answer" if failed else ""))
    return med, failed, steal


def memory_case(bench):
    log = os.path.join(bench.tmp, "memory.log")
    args = [bench.bin, "serve", "--listen", "127.0.0.1:0", "--skills", bench.skills,
            "--data", bench.data, "--no-tls", "--no-verify", "--workers", "1"]
    proc, url = bench.start(args, log, None, "skillserver", bench.url_from_log)
    try:
        for i in range(20):
            _, body, _, _ = bench.request("small", f"memory-{i}")
            check_side(url, body, {}, False, None)
        time.sleep(0.5)
        table = proc_table()
        rows = []

        def walk(pid, depth):
            rows.append((pid, "  " * depth + process_name(pid), pss_kib(pid)))
            for c in sorted(p for p, (ppid, _) in table.items() if ppid == pid):
                walk(c, depth + 1)
        walk(proc.pid, 0)
    finally:
        stop(proc, "skillserver")
        bench.procs.remove(proc)
    total = sum(k for _, _, k in rows if k is not None) / 1024
    print("   serve --workers 1 with one skill, after 20 requests:")
    for p, name, k in rows:
        print(f"     {p:>7}  {(k or 0) / 1024:6.1f} MiB  {name}" + ("  (unreadable)" if k is None else ""))
    print(f"     total    {total:6.1f} MiB PSS in {len(rows)} processes")
    return total


# --- main ------------------------------------------------------------------------

def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    build = build if os.path.isabs(build) else os.path.join(ROOT, build)
    names = selected()
    cases = [n for n in names if n in CASES]
    binary = os.path.join(build, "server", "skillserver")
    if not os.access(binary, os.X_OK):
        sys.exit(f"compare.py: {binary} not found; build first (make build)")
    if shutil.which("wrk") is None:
        sys.exit("compare.py: wrk is not installed (make test-deps installs it)")
    if cases and not os.path.isdir(os.path.join(PEER_DIR, "node_modules", "ask-sdk-express-adapter")):
        sys.exit(f"compare.py: the peer is not installed: run npm ci in {PEER_DIR} "
                 "(make bench-peer does)")
    if SEGMENT_SECONDS < 1 or SECONDS < 1:
        sys.exit("compare.py: BENCH_SECONDS and BENCH_SEGMENT are whole seconds, at least 1")
    if cases and 2 * SEGMENTS * SEGMENT_SECONDS + 4 > 124:
        sys.exit("compare.py: BENCH_SECONDS over 60 outlasts the signed request's 150 s window "
                 "(both sides are measured within it)")

    cpus = os.cpu_count()
    with open("/proc/cpuinfo") as f:
        model = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "?")
    print(f"== machine: {cpus} CPUs, {model}")
    if cases:
        node_version = subprocess.run([NODE, "--version"], stdout=subprocess.PIPE, text=True,
                                      check=False).stdout.strip()
        with open(os.path.join(PEER_DIR, "package.json")) as f:
            pinned = json.load(f)["dependencies"]
        print(f"== peer: node {node_version}, {PEER_PROCESSES} process(es), "
              + ", ".join(f"{k} {v}" for k, v in sorted(pinned.items())))
        print(f"== {len(cases)} cases x {ROUNDS} round(s), {SEGMENTS} pairs of {SEGMENT_SECONDS} s "
              f"runs in turn ({SEGMENTS * SEGMENT_SECONDS} s a side) after 2 s of warm-up, "
              f"wrk {CONNECTIONS} connections, {THREADS} threads")
    with open("/proc/loadavg") as f:
        print(f"== load average at start: {' '.join(f.read().split()[:3])}")

    tmp = tempfile.mkdtemp(prefix="skillserver-compare.")
    bench = None
    results = {}  # (case, side) -> [result per round]
    sizes = {}
    invoke_ms = memory_mib = None
    invoke_failed = 0
    invoke_steal = 0.0
    try:
        bench = Bench(build, tmp)
        for rnd in range(1, ROUNDS + 1):
            order = SIDES if rnd % 2 else tuple(reversed(SIDES))
            for case in cases:
                got = run_case(bench, case, rnd, order)
                for side in SIDES:
                    if "size" in got[side]:
                        sizes[case] = got[side]["size"]
                    results.setdefault((case, side), []).append(got[side])
                status = "" if all(ok(got[s]) for s in SIDES) else "   FAILED"
                label = describe(case, sizes.get(case, 0))
                print(f"== {case} (round {rnd}): {label}{status}")
                for side in SIDES:
                    print(row(side, got[side]))
                print(ratio_row(got["peer"], got["skillserver"]))
                sys.stdout.flush()
        if "invoke" in names:
            print("== invoke")
            invoke_ms, invoke_failed, invoke_steal = invoke_case(bench)
        if "memory" in names:
            print("== memory of one skill")
            memory_mib = memory_case(bench)
    except Failure as e:
        print(f"compare.py: {e}")
        return 1
    finally:
        if bench:
            bench.close()
        shutil.rmtree(tmp, ignore_errors=True)

    failed = 0
    if cases:
        print(f"== summary: medians of {ROUNDS} round(s); ss = skillserver, x = ss/peer req/s "
              "(the median of all pairs of runs in turn); "
              "p99 in ms, CPU in us per request, cs = the machine's context switches per request, "
              "PSS in MiB")
        cols = [("peer req/s", 10), ("ss req/s", 9), ("x", 6), ("peer p99", 9), ("ss p99", 7),
                ("peer CPU", 9), ("ss CPU", 7), ("peer cs", 8), ("ss cs", 6), ("peer PSS", 9),
                ("ss PSS", 7)]
        print(f"   {'case':<28}" + "".join(f" {h:>{w}}" for h, w in cols))
        med = {}
        for case in cases:
            rs = {s: results[(case, s)] for s in SIDES}
            good = all(ok(r) for s in SIDES for r in rs[s])
            failed += not good
            if not all(any(ok(r) for r in rs[s]) for s in SIDES):
                print(f"   {case:<28} FAILED")
                continue
            m = {s: {k: statistics.median(r[k] for r in rs[s] if ok(r))
                     for k in ("rps", "p99", "cpu", "cs", "pss")} for s in SIDES}
            # x: the median of every pair of runs in turn, over all rounds.
            m["x"] = statistics.median(x for p, q in zip(rs["peer"], rs["skillserver"])
                                       if ok(p) and ok(q) for x in pair_ratios(p, q))
            med[case] = m
            p, q = m["peer"], m["skillserver"]
            values = [f"{p['rps']:.0f}", f"{q['rps']:.0f}", f"{m['x']:.2f}",
                      f"{p['p99']:.2f}", f"{q['p99']:.2f}", f"{p['cpu']:.0f}", f"{q['cpu']:.0f}",
                      f"{p['cs']:.2f}", f"{q['cs']:.2f}", f"{p['pss']:.1f}", f"{q['pss']:.1f}"]
            print(f"   {case:<28}" + "".join(f" {v:>{w}}" for v, (_, w) in zip(values, cols))
                  + ("" if good else "   FAILED"))
    print("== goals (issue 15)")
    if cases:
        for case, what in (("verify-http-keepalive-small", "verification on, HTTP keep-alive"),
                           ("verify-tls-keepalive-small", "verification on, TLS keep-alive")):
            if case in med:
                q, x = med[case]["skillserver"], med[case]["x"]
                met = x >= 10 and q["p99"] <= 5
                print(f"   {what}: {x:.2f}x the peer's req/s (goal >= 10x), p99 {q['p99']:.2f} ms "
                      f"(goal <= 5 ms): {'met' if met else 'NOT met'}")
        for case, what in (("verify-tls-close-small", "verification on, TLS, a new connection per request"),):
            if case in med:
                p, q = med[case]["peer"], med[case]["skillserver"]
                print(f"   {what}: {q['rps']:.0f} req/s against the peer's {p['rps']:.0f} "
                      f"({med[case]['x']:.2f}x)")
    if invoke_ms is not None:
        print(f"   invoke thank_you: median {invoke_ms:.1f} ms (goal <= 40 ms): "
              f"{'met' if invoke_ms <= 40 and not invoke_failed else 'NOT met'}")
    if memory_mib is not None:
        print(f"   memory of one skill: {memory_mib:.1f} MiB PSS (goal < 30 MiB): "
              f"{'met' if memory_mib < 30 else 'NOT met'}")
    with open("/proc/loadavg") as f:
        print(f"== load average at end: {' '.join(f.read().split()[:3])}")
    stolen = [r["steal"] for rs in results.values() for r in rs if "steal" in r]
    stolen.append(invoke_steal)
    if stolen and max(stolen) > STEAL_WARN_PERCENT:
        print(f"== WARNING: the hypervisor took up to {max(stolen):.0f}% of this machine's CPU "
              f"during a measurement (steal time, /proc/stat): the figures of this run depend "
              f"on the host's other guests; measure again when `top` shows little \"st\"")
    if failed or invoke_failed:
        print(f"== FAILED: {failed} case(s) with a failed check or a wrong answer"
              + (f", {invoke_failed} failed invoke runs" if invoke_failed else ""))
        return 1
    return 0


if __name__ == "__main__":
    # SIGTERM unwinds like Ctrl-C, so that the servers started here are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
