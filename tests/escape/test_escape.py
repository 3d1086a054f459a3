"""Hostile skills against the real server, as an attacker would write them.

Every boundary a skill meets is tried at import time (the zygote) and at
request time (a worker): the server's TLS key and store, another skill's
files and processes, the server's /proc entries, the terminal, inherited
descriptors, resources (threads, /tmp bytes and files, log volume, CPU
between requests), listening sockets, io_uring, new programs, and leftover
processes after the server stops. Each case asserts the refusal and that
another skill keeps answering. The serve cases run twice: with the server
started as root, and as an ordinary user.
"""
import json
import os
import pty
import pwd
import select
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import (SKILLSERVER, FIXTURES, Server, limit, make_endpoint_cert,  # noqa: E402
                     temp_dir)

UNDER_ASAN = "ASAN_OPTIONS" in os.environ and "build-asan" in SKILLSERVER

# The probe runs the same checks at import and for each request; every
# check reports "refused: ..." or "ALLOWED: ...".
PROBE = r'''
import ctypes, errno, fcntl, json, os, signal, socket, termios

from skillkit import launch, intent

HERE = os.path.dirname(os.path.abspath(__file__))
SECRETS = json.load(open(os.path.join(HERE, "secrets.json")))


def attempt(fn):
    try:
        got = fn()
    except BaseException as e:  # noqa: BLE001 - every refusal counts
        return "refused: " + type(e).__name__ + " " + str(getattr(e, "errno", "") or "")
    return "ALLOWED: " + repr(got)[:60]


def init_kill():
    """SIGKILL to the namespace's init, PID 1: from inside the namespace the
    kernel drops it, and the init, and so every process of the skill, lives on."""
    import time
    try:
        os.kill(1, signal.SIGKILL)
    except OSError as e:
        return "refused: " + str(e.errno)
    time.sleep(0.05)
    return "ignored" if os.path.exists("/proc/1") else "KILLED"


def status():
    out = {}
    for line in open("/proc/self/status"):
        k, _, v = line.partition(":")
        if k in ("CapEff", "CapPrm", "CapBnd", "Seccomp", "NoNewPrivs"):
            out[k] = v.strip()
    return out


def targets():
    try:
        return json.load(open(os.path.join(HERE, "pids.json")))
    except OSError:
        return {}


def io_uring_setup():
    libc = ctypes.CDLL(None, use_errno=True)
    params = ctypes.create_string_buffer(120)
    r = libc.syscall(425, 8, params)
    if r < 0:
        raise OSError(ctypes.get_errno(), "io_uring_setup")
    return r


def listen():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    return s.getsockname()


def tiocsti(fd):
    fcntl.ioctl(fd, termios.TIOCSTI, b"x")


def probe():
    r = status()
    p = targets()
    r["key"] = attempt(lambda: open(SECRETS["key"]).read(20))
    r["data"] = attempt(lambda: os.listdir(SECRETS["data"]))
    r["other_read"] = attempt(lambda: open(SECRETS["other"]).read(20))
    r["other_write"] = attempt(lambda: open(SECRETS["other"], "a").write("# pwned\n"))
    r["own_write"] = attempt(lambda: open(os.path.join(HERE, "skill.py"), "a").write("#\n"))
    r["etc_write"] = attempt(lambda: open("/etc/pwned", "w").write("x"))
    r["usr_write"] = attempt(lambda: open("/usr/pwned", "w").write("x"))
    r["front_proc"] = attempt(lambda: os.listdir("/proc/%d" % SECRETS["front"]))
    r["front_signal"] = attempt(lambda: os.kill(SECRETS["front"], 0))
    r["victim_stop"] = (attempt(lambda: [os.kill(pid, signal.SIGSTOP) for pid in p["victim"]])
                        if p.get("victim") else "refused: no victim pids")
    r["procs"] = sorted(int(x) for x in os.listdir("/proc") if x.isdigit())
    r["ppid"] = os.getppid()
    r["pid"] = os.getpid()
    r["init_kill"] = init_kill()
    r["dev_tty"] = attempt(lambda: open("/dev/tty", "w"))
    r["tiocsti"] = [attempt(lambda fd=fd: tiocsti(fd)) for fd in (0, 1, 2)]
    r["fds"] = {fd: os.readlink("/proc/self/fd/%d" % fd) for fd in (0, 1, 2)}
    r["open_fds"] = sorted(int(x) for x in os.listdir("/proc/self/fd"))
    r["listen"] = attempt(listen)
    r["io_uring"] = attempt(io_uring_setup)
    r["exec"] = attempt(lambda: os.execv("/bin/true", ["true"]))
    r["env"] = sorted(os.environ)
    r["tmp"] = attempt(lambda: open("/tmp/mine", "w").write("ok"))
    return r


AT_IMPORT = probe()


@launch
def welcome(req):
    return json.dumps({"import": AT_IMPORT, "request": probe()})
'''

VICTIM = '''
from skillkit import launch

@launch
def welcome(req):
    return "The victim is fine."
'''

# Resource hogs, each at request time.
THREADS = '''
import json, threading, time
from skillkit import launch

@launch
def welcome(req):
    started = 0
    try:
        for _ in range(5000):
            threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
            started += 1
    except RuntimeError:
        pass
    return json.dumps({"threads": started})
'''

TMP_FILL = '''
import json, os
from skillkit import launch

@launch
def welcome(req):
    written = 0
    err = None
    try:
        with open("/tmp/big", "wb") as f:
            for _ in range(1024):
                f.write(b"x" * (1 << 20))
                f.flush()
                written += 1
    except OSError as e:
        err = e.errno
    os.unlink("/tmp/big")
    files = 0
    try:
        for i in range(100000):
            open("/tmp/f%d" % i, "w").close()
            files += 1
    except OSError:
        pass
    return json.dumps({"mib": written, "files": files, "errno": err})
'''

IDLE_SPINNER = '''
import threading
from skillkit import launch

def spin():
    while True:
        pass

@launch
def welcome(req):
    threading.Thread(target=spin, daemon=True).start()
    return "spinning"
'''

LOG_FLOOD = '''
from skillkit import launch

@launch
def welcome(req):
    line = "flood " * 100
    for _ in range(100000):
        print(line)
    return "flooded"
'''

# Writes on the skill's own socket to the server, past skillkit: at
# request time a frame header that claims 4 GiB, then bytes that are no
# frame; the server must stop this worker, answer with an apology, and go
# on serving (the next request gets a new worker).
FORGER = '''
import os, stat, struct
from skillkit import launch

def forge():
    for fd in range(3, 64):
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.write(fd, struct.pack("=IB", 0xFFFFFFFF, ord("A")) + b"no frame" * 64)
        except OSError:
            pass

@launch
def welcome(req):
    forge()
    return "forged"
'''

# The same at import, in the zygote, before it says it loaded.
FORGER_AT_IMPORT = '''
import os, stat, struct
from skillkit import launch

for fd in range(3, 64):
    try:
        if stat.S_ISSOCK(os.fstat(fd).st_mode):
            os.write(fd, struct.pack("=IB", 16, ord("A")) + b"{not json at all")
    except OSError:
        pass

@launch
def welcome(req):
    return "forged at import"
'''

DAEMON = '''
import os, time

# At import, in the zygote: a double fork, the classic daemon.
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        while True:
            time.sleep(1)
    os._exit(0)

from skillkit import launch

@launch
def welcome(req):
    return "I left a daemon behind."
'''

HANGS = '''
while True:
    pass
'''


def launch_body():
    with open(os.path.join(FIXTURES, "launch.json"), "rb") as f:
        return f.read()


def write_skill(root, name, code, secrets=None):
    folder = os.path.join(root, name)
    os.makedirs(folder)
    with open(os.path.join(folder, "skill.py"), "w") as f:
        f.write(code)
    if secrets is not None:
        with open(os.path.join(folder, "secrets.json"), "w") as f:
            json.dump(secrets, f)
    return folder


def processes_with(marker):
    """Pids whose command line holds marker (any user)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if marker.encode() in f.read():
                    found.append(int(pid))
        except OSError:
            pass
    return found


def nobody():
    return pwd.getpwnam("nobody")


class HostileSkills:
    """The serve cases; subclasses say who starts the server."""

    AS_USER = False

    @classmethod
    def setUpClass(cls):
        if cls.AS_USER and os.geteuid() != 0:
            raise unittest.SkipTest("already an ordinary user: the other class covers it")
        if not cls.AS_USER and os.geteuid() != 0:
            raise unittest.SkipTest("needs root to start the server as root")
        cls.tmp = temp_dir("skillserver-escape-")
        os.chmod(cls.tmp, 0o755)
        cls.skills = os.path.join(cls.tmp, "skills")
        cls.data = os.path.join(cls.tmp, "data")
        os.makedirs(cls.data)
        cls.tls = make_endpoint_cert(os.path.join(cls.tmp, "tls"))
        cls.store_marker = os.path.join(cls.data, "written-by-the-test")
        with open(cls.store_marker, "w") as f:
            f.write("private")
        run_as = None
        if cls.AS_USER:
            user = nobody()
            for path in (cls.data, os.path.join(cls.tmp, "tls"), cls.tls[0], cls.tls[1],
                         cls.store_marker):
                os.chown(path, user.pw_uid, user.pw_gid)
            run_as = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}",
                      "--clear-groups", "--"]
        victim = write_skill(cls.skills, "victim", VICTIM)
        secrets = {"key": cls.tls[1], "data": cls.data, "other": os.path.join(victim, "skill.py"),
                   "front": 0}
        cls.probe_dir = write_skill(cls.skills, "probe", PROBE, secrets)
        write_skill(cls.skills, "threads", THREADS)
        write_skill(cls.skills, "tmpfill", TMP_FILL)
        write_skill(cls.skills, "spinner", IDLE_SPINNER)
        write_skill(cls.skills, "flood", LOG_FLOOD)
        write_skill(cls.skills, "daemon", DAEMON)
        write_skill(cls.skills, "hangs", HANGS)
        write_skill(cls.skills, "forger", FORGER)
        write_skill(cls.skills, "forger_at_import", FORGER_AT_IMPORT)
        for dirpath, dirnames, filenames in os.walk(cls.skills):
            os.chmod(dirpath, 0o755)
            for name in filenames:
                os.chmod(os.path.join(dirpath, name), 0o644)
        cls.victim_source = open(os.path.join(victim, "skill.py")).read()
        cls.srv = Server("--handler-timeout", "20", skills=cls.skills, tls=cls.tls,
                         data=cls.data, prefix=run_as)
        # The probe learns the front's pid (and the victim's processes, below)
        # from its own folder, as an attacker who guessed them would.
        secrets["front"] = cls.srv.proc.pid
        with open(os.path.join(cls.probe_dir, "secrets.json"), "w") as f:
            json.dump(secrets, f)

    @classmethod
    def tearDownClass(cls):
        status = cls.srv.stop()
        cls.leftovers = processes_with("--skills\0" + cls.skills) + processes_with(
            "--script\0" + cls.skills)
        shutil.rmtree(cls.tmp, ignore_errors=True)
        assert status == 0, f"serve exited with {status}:\n{cls.srv.log()[-3000:]}"
        assert not cls.leftovers, f"processes left after the server stopped: {cls.leftovers}"

    def launch(self, skill, timeout=60):
        status, _, body = self.srv.request("POST", "/skills/" + skill, launch_body(),
                                           timeout=timeout)
        self.assertEqual(status, 200, body)
        return json.loads(body)["response"]["outputSpeech"]["text"]

    def assert_victim_answers(self):
        self.assertEqual(self.launch("victim"), "The victim is fine.")

    def probe(self):
        self.launch("victim")  # so that its workers exist
        victims = processes_with("--name\0victim\0")
        with open(os.path.join(self.probe_dir, "pids.json"), "w") as f:
            json.dump({"victim": victims}, f)
        return json.loads(self.launch("probe"))

    def check_confined(self, r, when):
        for k in ("CapEff", "CapPrm", "CapBnd"):
            self.assertEqual(int(r[k], 16), 0, f"{when}: {k}")
        self.assertEqual(r["Seccomp"], "2", when)
        self.assertEqual(r["NoNewPrivs"], "1", when)
        for k in ("key", "data", "other_read", "other_write", "own_write", "etc_write",
                  "usr_write", "front_proc", "front_signal", "dev_tty", "listen", "io_uring",
                  "exec"):
            self.assertTrue(r[k].startswith("refused"), f"{when}: {k}: {r[k]}")
        for i, t in enumerate(r["tiocsti"]):
            self.assertTrue(t.startswith("refused"), f"{when}: TIOCSTI on {i}: {t}")
        self.assertEqual(r["fds"]["0"], "/dev/null", when)
        self.assertTrue(r["fds"]["1"].startswith("pipe:"), r["fds"])
        self.assertEqual(r["fds"]["1"], r["fds"]["2"])
        # Only its own processes: the namespace's init (1), the zygote (2)
        # and a worker or two.
        self.assertLessEqual(len(r["procs"]), 4, f"{when}: sees {r['procs']}")
        self.assertTrue(all(p < 100 for p in r["procs"]), r["procs"])
        # The parent is the init (1) or the zygote (2), both inside:
        # os.kill(os.getppid(), 9) can only hurt the skill itself.
        self.assertIn(r["ppid"], (1, 2), when)
        self.assertNotEqual(r["pid"], 1, f"{when}: the skill's code runs as PID 1")
        self.assertTrue(r["init_kill"].startswith("ignored"), f"{when}: {r['init_kill']}")
        env = set(r["env"]) - {"ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS"}
        # A fixed set: the locale, and what AWS Lambda sets for a function
        # (server/worker/launcher.h); nothing of the server's own environment.
        self.assertEqual(env, {"PATH", "LANG", "LC_ALL", "TZ", "LAMBDA_TASK_ROOT",
                               "LAMBDA_RUNTIME_DIR", "AWS_EXECUTION_ENV",
                               "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                               "AWS_LAMBDA_FUNCTION_TIMEOUT", "AWS_LAMBDA_FUNCTION_VERSION",
                               "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME",
                               "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_EC2_METADATA_DISABLED"}, when)
        self.assertTrue(r["tmp"].startswith("ALLOWED"), r["tmp"])

    def test_probe_at_import(self):
        self.check_confined(self.probe()["import"], "at import")
        self.assert_victim_answers()

    def test_probe_at_request(self):
        r = self.probe()["request"]
        self.check_confined(r, "at request")
        self.assertTrue(r["victim_stop"].startswith("refused"), r["victim_stop"])
        with open(os.path.join(self.skills, "victim", "skill.py")) as f:
            self.assertEqual(f.read(), self.victim_source)
        self.assert_victim_answers()

    def test_threads_are_bounded(self):
        started = json.loads(self.launch("threads"))["threads"]
        self.assertGreater(started, 10)
        self.assertLess(started, limit("SKILL_TASKS"))
        self.assert_victim_answers()

    def test_tmp_is_private_and_bounded(self):
        r = json.loads(self.launch("tmpfill"))
        self.assertLessEqual(r["mib"], limit("SKILL_TMP_BYTES") // (1 << 20))
        self.assertGreater(r["mib"], 8)
        self.assertLessEqual(r["files"], limit("SKILL_TMP_FILES"))
        self.assertGreater(r["files"], 100)
        self.assertFalse(os.path.exists("/tmp/big"))
        self.assert_victim_answers()

    def test_cpu_between_requests_is_stopped(self):
        mark = len(self.srv.lines)
        self.assertEqual(self.launch("spinner"), "spinning")
        line = self.srv.wait_for(r"skill spinner (left \d+ threads running|kept the CPU busy)",
                                 timeout=60, start=mark)
        self.assertIsNotNone(line, self.srv.log()[-2000:])
        self.assert_victim_answers()

    def test_log_volume_is_bounded(self):
        mark = len(self.srv.lines)
        text = self.launch("flood")
        self.assertNotEqual(text, "flooded")  # stopped, and apologised for
        self.srv.wait_for(r'"skill":"flood"', timeout=30, start=mark)
        flood = [r["msg"] for r in self.srv.records(mark) if "flood flood" in r["msg"]]
        printed = sum(len(line) + 1 for line in flood)
        self.assertLessEqual(printed, limit("SKILL_LOG_BYTES_PER_REQUEST") + 2000)
        self.assertTrue(any("more output during this request is dropped" in line
                            for line in self.srv.lines[mark:]))
        self.assert_victim_answers()

    def test_forged_frames_at_request_stop_only_that_worker(self):
        for _ in range(3):  # each time a new worker, each time stopped
            self.assertNotEqual(self.launch("forger"), "forged")
        self.assertIsNotNone(self.srv.wait_for(r"worker for forger sent a bad", timeout=30))
        self.assert_victim_answers()
        status, _, body = self.srv.request("GET", "/healthz")
        self.assertEqual((status, body), (200, b"ok"))

    def test_forged_frames_at_import_fail_the_load(self):
        for _ in range(2):
            self.assertNotEqual(self.launch("forger_at_import"), "forged at import")
        self.assert_victim_answers()

    def test_daemon_at_import_dies_with_the_server(self):
        # Checked in tearDownClass, after the server stopped; here it runs.
        self.assertEqual(self.launch("daemon"), "I left a daemon behind.")

    def test_hang_at_import_holds_nothing_up(self):
        start = time.monotonic()
        status, _, body = self.srv.request("GET", "/healthz")
        self.assertEqual((status, body), (200, b"ok"))
        self.assert_victim_answers()
        self.assertLess(time.monotonic() - start, 30)


class AsRoot(HostileSkills, unittest.TestCase):
    AS_USER = False


class AsUser(HostileSkills, unittest.TestCase):
    AS_USER = True


def invoke_in_pty(skills, skill):
    """Run `skillserver invoke SKILL` with a pseudo-terminal as its terminal
    (stdin, stdout and stderr); returns (exit status, everything it wrote)."""
    # Made before the fork: the child becomes skillserver and cannot remove them.
    scratch = temp_dir("skillserver-escape-pty-")
    path = os.path.join(scratch, "launch.json")
    data = os.path.join(scratch, "data")
    pid, master = pty.fork()
    if pid == 0:
        request = subprocess.run([SKILLSERVER, "request", skill, "--launch", "--skills", skills],
                                 capture_output=True).stdout
        with open(path, "wb") as f:
            f.write(request)
        os.execv(SKILLSERVER, [SKILLSERVER, "--skills", skills, "--data", data, "invoke", skill,
                               path])
    out = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        r, _, _ = select.select([master], [], [], 1)
        if r:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    _, status = os.waitpid(pid, 0)
    os.close(master)
    return status, out.decode("utf-8", "replace")


TERMINAL = r'''
import fcntl, json, os, termios
from skillkit import launch

def attempt(fn):
    try:
        fn()
    except OSError as e:
        return "refused " + str(e.errno)
    return "ALLOWED"

def tries():
    out = [attempt(lambda fd=fd: fcntl.ioctl(fd, termios.TIOCSTI, b"!")) for fd in (0, 1, 2)]
    out.append(attempt(lambda: open("/dev/tty", "w")))
    return out

AT_IMPORT = tries()
os.write(1, b"RAW-ONE at import\n")

@launch
def welcome(req):
    os.write(1, b"RAW-ONE during the request\n")
    os.write(2, b"RAW-TWO during the request\n")
    return json.dumps({"import": AT_IMPORT, "request": tries()})
'''


class Terminal(unittest.TestCase):
    """invoke and a skill that goes for the terminal and for descriptors 1, 2."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = temp_dir("skillserver-escape-tty-")
        os.chmod(cls.tmp, 0o755)
        write_skill(cls.tmp, "terminal", TERMINAL)
        os.chmod(os.path.join(cls.tmp, "terminal"), 0o755)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_raw_writes_never_reach_invokes_stdout(self):
        request = subprocess.run([SKILLSERVER, "request", "terminal", "--launch", "--skills",
                                  self.tmp], capture_output=True, check=True).stdout
        data = temp_dir("skillserver-escape-data-")
        p = subprocess.run([SKILLSERVER, "--skills", self.tmp, "--data", data, "invoke",
                            "terminal"], input=request, capture_output=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        json.loads(p.stdout)  # nothing but the response
        err = p.stderr.decode()
        self.assertIn("RAW-ONE during the request", err)
        self.assertIn("RAW-TWO during the request", err)
        self.assertIn("RAW-ONE at import", err)

    def test_tiocsti_under_a_terminal(self):
        status, out = invoke_in_pty(self.tmp, "terminal")
        self.assertEqual(os.waitstatus_to_exitcode(status), 0, out)
        start = out.index("{")
        # The front logs the skill's raw writes as they come, so on a loaded
        # machine such a line can land between the lines of the response.
        response = "\n".join(line for line in out[start:].splitlines()
                              if not line.startswith("[terminal] "))
        answer = json.loads(response[:response.rindex("}") + 1])
        spoken = json.loads(answer["response"]["outputSpeech"]["text"])
        for when in ("import", "request"):
            for what in spoken[when]:
                self.assertTrue(what.startswith("refused"), f"{when}: {spoken[when]}")
        self.assertNotIn("!", out[:start])  # nothing was typed into the terminal


if __name__ == "__main__":
    unittest.main()
