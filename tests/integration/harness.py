"""Shared helpers for the integration tests: where things are, and running
the real skillserver binary."""
import atexit
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

SOURCE_ROOT = os.environ.get(
    "SOURCE_ROOT", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
SKILLSERVER = os.environ.get("SKILLSERVER", os.path.join(SOURCE_ROOT, "build", "server", "skillserver"))
SKILLS = os.path.join(SOURCE_ROOT, "skills")
TEST_SKILLS = os.path.join(SOURCE_ROOT, "tests", "data", "skills")
FIXTURES = os.path.join(SOURCE_ROOT, "tests", "fixtures", "requests")

# The lines sanitizers print when they find something (kept in step with
# tests/summary.py and tests/runner.sh). Workers write theirs to the
# server's stderr, and a worker that dies of one is answered like any crash,
# so the output is checked as well as the exit status.
SANITIZER_REPORT = re.compile(r"runtime error: |ERROR: (?:Address|Leak|UndefinedBehavior|Thread|"
                              r"Memory)Sanitizer|SUMMARY: (?:Address|Leak|UndefinedBehavior)"
                              r"Sanitizer")


def sanitizers():
    """The sanitizers the binary under test was built with ({"address",
    "undefined"} under ASan+UBSan, empty normally). meson's test setup says
    (SKILLSERVER_SANITIZE, from b_sanitize); run by hand, ldd says."""
    value = os.environ.get("SKILLSERVER_SANITIZE")
    if value is None:
        libs = subprocess.run(["ldd", SKILLSERVER], capture_output=True, text=True).stdout
        value = ",".join(n for n, lib in (("address", "libasan"), ("undefined", "libubsan"))
                         if lib in libs)
    return set(value.split(",")) - {"none", ""}


def assert_no_sanitizer_report(text, what):
    m = SANITIZER_REPORT.search(text)
    if m:
        start = text.rfind("\n", 0, m.start()) + 1
        raise AssertionError(f"{what} printed a sanitizer report:\n{text[start:start + 4000]}")


def bundled_skills():
    return sorted(d for d in os.listdir(SKILLS)
                  if os.path.isfile(os.path.join(SKILLS, d, "skill.py")))


def fixtures():
    return sorted(f for f in os.listdir(FIXTURES) if f.endswith(".json"))


def remove_tree(path):
    """Remove the folder path and everything in it, also folders a test made
    unreadable or unwritable (they are opened up first); a path that is
    already gone is fine. Raises OSError when something stays."""
    def open_up(func, failed, exc_info):
        parent = os.path.dirname(failed)
        for folder in (parent, failed):
            try:
                if os.path.isdir(folder) and not os.path.islink(folder):
                    os.chmod(folder, 0o700)
            except OSError:
                pass
        if os.path.isdir(failed) and not os.path.islink(failed):
            shutil.rmtree(failed)
        elif os.path.lexists(failed):
            os.unlink(failed)
    if os.path.lexists(path):
        shutil.rmtree(path, onerror=open_up)


_temp_dirs = []  # made by temp_dir(), removed when the test process ends
_temp_dirs_owner = os.getpid()  # a forked child that exits leaves them alone


def temp_dir(prefix):
    """A new empty folder in the temporary folder ($TMPDIR, else /tmp) for a
    test's files, removed with everything in it when the test process ends,
    whether its tests passed or failed. Tests that make many folders remove
    each as soon as they are done with it (remove_tree)."""
    path = tempfile.mkdtemp(prefix=prefix)
    _temp_dirs.append(path)
    return path


def _remove_temp_dirs():
    """Remove every folder temp_dir() made; returns what could not be removed."""
    problems = []
    if os.getpid() != _temp_dirs_owner:
        return problems
    while _temp_dirs:
        path = _temp_dirs.pop()
        try:
            remove_tree(path)
        except OSError as e:
            problems.append(f"the test folder {path} could not be removed: {e}")
    return problems


def run(*args, stdin=None, timeout=60, data=None):
    """Run skillserver with args; returns CompletedProcess (text). Without
    data, the data folder is a new one, removed again before returning."""
    own_data = data is None
    if own_data:
        data = tempfile.mkdtemp(prefix="skillserver-test-")
    # Meson runs tests from the build folder: name the bundled skills unless
    # the test names a folder itself.
    skills = [] if "--skills" in args else ["--skills", SKILLS]
    cmd = [SKILLSERVER, *args, *skills, "--data", data]
    try:
        if isinstance(stdin, bytes):
            p = subprocess.run(cmd, input=stdin, capture_output=True, timeout=timeout)
            p.stdout = p.stdout.decode("utf-8", "replace")
            p.stderr = p.stderr.decode("utf-8", "replace")
        else:
            p = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=timeout)
    finally:
        if own_data:
            remove_tree(data)
    assert_no_sanitizer_report(p.stderr, "skillserver " + " ".join(args))
    return p


def copy_skills(root, names, files=None):
    """Copy bundled or test skills (by name) into the folder root, then write
    files {"skill/file": text} there; returns root."""
    for name in names:
        src = os.path.join(SKILLS, name)
        if not os.path.isdir(src):
            src = os.path.join(TEST_SKILLS, name)
        shutil.copytree(src, os.path.join(root, name))
    for path, text in (files or {}).items():
        os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
        with open(os.path.join(root, path), "w") as f:
            f.write(text)
    return root


def ask_model(invocation, intents):
    """An ASK interaction model: the invocation name, the (name, samples)
    intents, and the built-in intents every skill lists."""
    return {"interactionModel": {"languageModel": {
        "invocationName": invocation,
        "intents": [{"name": n, "samples": s} for n, s in intents] + [
            {"name": n, "samples": []} for n in (
                "AMAZON.HelpIntent", "AMAZON.StopIntent", "AMAZON.CancelIntent",
                "AMAZON.NavigateHomeIntent", "AMAZON.FallbackIntent")],
        "types": []}}}


def load_json(text):
    return json.loads(text)


# ---- `skillserver serve`, for tests/integration/test_serve.py ----

import http.client  # noqa: E402
import signal  # noqa: E402
import ssl  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

LIMITS_H = os.path.join(SOURCE_ROOT, "server", "base", "ss_limits.h")


def limit(name):
    """The value of LIMIT_<name> in server/base/ss_limits.h, so tests follow the
    constants instead of copying them (simple integer expressions only)."""
    with open(LIMITS_H) as f:
        text = f.read()
    m = re.search(r"^#define LIMIT_%s\s+(.+?)\s*$" % re.escape(name), text, re.M)
    if not m:
        raise KeyError(name)
    expr = re.sub(r"/\*.*?\*/", "", m.group(1)).replace("L", "")
    if not re.fullmatch(r"[0-9()*+\- ]+", expr):
        raise ValueError(f"LIMIT_{name} = {expr} is not a plain number")
    return int(eval(expr))  # digits and arithmetic only, checked above


def wait_for_port_file(path, proc, timeout=120):
    """The port a helper process (tests/chain_host.py) wrote to path once it
    listens; fails if it exits first or takes longer than timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path) as f:
                text = f.read()
            if text.strip():
                return int(text)
        if proc.poll() is not None:
            raise AssertionError(f"{' '.join(proc.args)} exited with {proc.returncode} "
                                 "before it listened")
        time.sleep(0.05)
    raise AssertionError(f"{' '.join(proc.args)} did not listen within {timeout} s")


def make_endpoint_cert(folder, domain="localhost", key_type=None):
    """Run certs/make-endpoint-cert.sh (--key-type key_type if given);
    returns (certificate, private key)."""
    script = os.path.join(SOURCE_ROOT, "certs", "make-endpoint-cert.sh")
    options = ["--key-type", key_type] if key_type else []
    subprocess.run(["sh", script, *options, domain, folder], check=True, capture_output=True,
                   timeout=60)
    return os.path.join(folder, "certificate.pem"), os.path.join(folder, "private-key.pem")


LOG_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def log_record_problem(line):
    """Why line is not a record of serve's JSON log (README "Logs and
    metrics"), or None when it is one."""
    try:
        r = json.loads(line)
    except ValueError as e:
        return f"is not JSON ({e})"
    if not isinstance(r, dict):
        return "is not a JSON object"
    if list(r)[:3] != ["time", "level", "source"] or list(r)[-1] != "msg":
        return "does not have time, level and source first and msg last"
    if not LOG_TIME.fullmatch(r["time"]):
        return "has a time that is not RFC 3339 UTC with milliseconds"
    if r["level"] not in ("debug", "info", "warning", "error"):
        return "has an unknown level"
    if r["source"] not in ("server", "access", "skill"):
        return "has an unknown source"
    if not isinstance(r["msg"], str) or (r["source"] == "skill" and
                                         not isinstance(r.get("skill"), str)):
        return "lacks its msg or its skill"
    if r["source"] == "access" and not isinstance(r.get("status"), int):
        return "is an access record without a status"
    return None


class Server:
    """A `skillserver serve` process on a free loopback port (--listen
    127.0.0.1:0; the port is read from its start-up line). Its stderr is
    collected line by line. stop() sends a signal, waits, and fails (raises
    AssertionError) unless the server exited 0 with no sanitizer report in
    its log; leaving the `with` block stops it the same way. A server a test
    never stops is stopped and checked when the test process ends, and the
    process then exits 1.

        with Server(skills=..., tls=(cert, key)) as srv:
            status, headers, body = srv.request("GET", "/healthz")
    """

    START_TIMEOUT = 120  # workers start CPython; slow under ASan
    running = set()  # every Server started and not yet stopped

    def __init__(self, *extra, skills=SKILLS, tls=None, verify=False, data=None, env=None,
                 prefix=None):
        """tls: (certificate, key), None for --no-tls, or False for neither.
        prefix: a command that runs the server (setpriv, to start it as
        another user)."""
        self._own_data = data is None
        self.data = data or temp_dir("skillserver-serve-")
        self.tls = tls
        cmd = [SKILLSERVER, "serve", "--listen", "127.0.0.1:0", "--skills", skills,
               "--data", self.data]
        if tls:
            cmd += ["--tls-cert", tls[0], "--tls-key", tls[1]]
        elif tls is None:
            cmd += ["--no-tls"]
        # tls=False: neither, so serve looks for DATA/tls/ itself.
        if not verify:
            cmd += ["--no-verify"]
        cmd += list(extra)
        cmd = list(prefix or []) + cmd
        self.cmd = cmd
        # serve's stderr is a pipe here: JSON lines, unless asked otherwise.
        self.json_log = (env or os.environ).get("SKILLSERVER_LOG_FORMAT", "json") == "json"
        self.lines = []
        self._cond = threading.Condition()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env=env)
        Server.running.add(self)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.port = None
        pattern = r"listening on (https?)://(\S+):(\d+) "
        line = self.wait_for(pattern, self.START_TIMEOUT)
        if not line:
            self.proc.kill()
            self.proc.wait()
            Server.running.discard(self)
            if self._own_data:
                remove_tree(self.data)
            raise AssertionError("the server did not start:\n" + self.log())
        m = re.search(pattern, line)
        self.scheme, self.port = m.group(1), int(m.group(3))

    def _read(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._cond:
                self.lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, pattern, timeout=30, start=0):
        """The first log line from index start on that matches pattern, or None."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.lines[start:]:
                    if rx.search(line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    return None
                self._cond.wait(min(left, 0.2))

    def log(self):
        with self._cond:
            return "\n".join(self.lines)

    def records(self, start=0):
        """Every log line from index start on, parsed (serve's stderr is not
        a terminal here, so it writes JSON lines: README "Logs")."""
        with self._cond:
            lines = list(self.lines[start:])
        return [json.loads(line) for line in lines]

    def access_log(self):
        """The access log's records, parsed."""
        return [e for e in self.records() if e.get("source") == "access"]

    def ssl_context(self, **versions):
        ctx = ssl.create_default_context(cafile=self.tls[0])
        for name, value in versions.items():
            setattr(ctx, name, value)
        return ctx

    def connection(self, timeout=30, context=None):
        """A new (keep-alive) http.client connection to the server."""
        if self.scheme == "https":
            return http.client.HTTPSConnection("localhost", self.port, timeout=timeout,
                                               context=context or self.ssl_context())
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, conn=None, timeout=30):
        """One request; returns (status, headers dict with lower-case names, body bytes)."""
        own = conn is None
        if own:
            conn = self.connection(timeout=timeout)
        try:
            hdrs = {"Content-Type": "application/json"} if body is not None else {}
            hdrs.update(headers or {})
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        finally:
            if own:
                conn.close()

    def rss_kb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self, sig=signal.SIGTERM, timeout=120):
        """Send sig and wait (kills after timeout); returns the exit status,
        0, or raises AssertionError with the log when the server exited
        otherwise, did not stop in time, or printed a sanitizer report."""
        hung = False
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            hung = True
            self.proc.kill()
            self.proc.wait()
        self._reader.join(30)
        Server.running.discard(self)
        if self._own_data:
            remove_tree(self.data)
        if hung:
            raise AssertionError(f"serve did not stop within {timeout} s of signal {sig}:\n"
                                 + self.log())
        if self.proc.returncode != 0:
            raise AssertionError(f"serve exited with status {self.proc.returncode}:\n" + self.log())
        assert_no_sanitizer_report(self.log(), "serve")
        if self.json_log:
            with self._cond:
                lines = list(self.lines)
            for n, line in enumerate(lines):
                problem = log_record_problem(line)
                if problem:
                    raise AssertionError(f"serve's log line {n} {problem}: {line!r}")
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        # With an exception already on its way out, that one is the test's
        # failure; a bad exit on top of it goes to stderr instead of hiding it.
        try:
            self.stop()
        except AssertionError as e:
            if exc_type is None:
                raise
            sys.stderr.write(f"also, on the way out: {e}\n")


@atexit.register
def _stop_forgotten_servers():
    """A server no test stopped was never checked: stop and check it now,
    and make the test process fail (meson then shows this on stderr). Then
    remove the folders temp_dir() made (after the servers that use them)."""
    problems = []
    for srv in list(Server.running):
        problems.append("a test left `%s` running" % " ".join(srv.cmd))
        try:
            srv.stop()
        except AssertionError as e:
            problems.append(str(e))
    problems += _remove_temp_dirs()
    if problems:
        sys.stdout.flush()
        sys.stderr.write("\n".join(problems) + "\n")
        sys.stderr.flush()
        os._exit(1)
