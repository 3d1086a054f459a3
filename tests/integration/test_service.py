"""skillserver as a systemd service, with what can be checked without
systemd running: the units pass `systemd-analyze verify`; the hardening of
the unit keeps the skills' sandbox working (its mount settings re-created in
a private mount namespace); serve tells a NOTIFY_SOCKET listener READY,
RELOADING, STOPPING and WATCHDOG; it takes its socket from
systemd-socket-activate; and SIGHUP gives new connections a renewed TLS
certificate without a restart and without a failed request."""
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

from harness import FIXTURES, SKILLS, SKILLSERVER, SOURCE_ROOT, Server, make_endpoint_cert, temp_dir

BUILD_ROOT = os.environ.get("BUILD_ROOT", os.path.join(SOURCE_ROOT, "build"))
UNIT = os.path.join(BUILD_ROOT, "server", "deploy", "systemd", "skillserver.service")
SOCKET_UNIT = os.path.join(SOURCE_ROOT, "server", "deploy", "systemd", "skillserver.socket")
EVENT_S = 60

scratch = None


def setUpModule():
    global scratch
    scratch = temp_dir("skillserver-service-")
    # Started as root, serve becomes nobody, who must reach the sockets here.
    os.chmod(scratch, 0o755)


def tearDownModule():
    shutil.rmtree(scratch, ignore_errors=True)


def unit_settings(path):
    """{key: [values]} of a unit file."""
    settings = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"^([A-Za-z]+)=(.*)$", line.strip())
            if m:
                settings.setdefault(m.group(1), []).append(m.group(2))
    return settings


class Units(unittest.TestCase):
    def setUp(self):
        if not shutil.which("systemd-analyze"):
            self.skipTest("systemd-analyze is needed (package systemd; make test-deps)")

    def test_units_verify(self):
        # The unit names the installed binary; here it names the build's, and
        # man finds skillserver(1) in the build folder (Documentation=).
        units = tempfile.mkdtemp(dir=scratch)
        with open(UNIT) as f:
            text = f.read()
        self.assertRegex(text, r"\nExecStart=/\S+/bin/skillserver serve\b")
        text = re.sub(r"\nExecStart=\S+/skillserver\b", "\nExecStart=" + SKILLSERVER, text)
        with open(os.path.join(units, "skillserver.service"), "w") as f:
            f.write(text)
        shutil.copy(SOCKET_UNIT, units)
        man = os.path.join(units, "man", "man1")
        os.makedirs(man)
        shutil.copy(os.path.join(BUILD_ROOT, "server", "skillserver.1"), man)
        done = subprocess.run(["systemd-analyze", "verify",
                               os.path.join(units, "skillserver.service"),
                               os.path.join(units, "skillserver.socket")],
                              capture_output=True, text=True, timeout=120,
                              env=dict(os.environ, MANPATH=os.path.join(units, "man")))
        # verify exits 0 even for a misspelt setting: every line it prints is a problem.
        self.assertEqual((done.returncode, done.stdout + done.stderr), (0, ""))
        security = subprocess.run(["systemd-analyze", "security", "--offline=yes",
                                   os.path.join(units, "skillserver.service")],
                                  capture_output=True, text=True, timeout=120)
        m = re.search(r"Overall exposure level for skillserver.service: ([0-9.]+)",
                      security.stdout + security.stderr)
        self.assertIsNotNone(m, security.stdout + security.stderr)
        self.assertLessEqual(float(m.group(1)), 4.0, security.stdout)

    def test_unit_keeps_what_the_sandbox_needs(self):
        unit = unit_settings(UNIT)
        for key, want in [("Type", "notify"), ("ProtectSystem", "strict"),
                          ("StateDirectory", "skillserver"),
                          ("ConfigurationDirectory", "skillserver"),
                          ("AmbientCapabilities", "CAP_NET_BIND_SERVICE"),
                          ("Restart", "on-failure"), ("NoNewPrivileges", "yes")]:
            self.assertEqual(unit.get(key), [want], key)
        self.assertEqual(set(unit["RestrictNamespaces"][0].split()),
                         {"user", "mnt", "pid", "ipc", "uts"})
        # No skill reaches the cloud machine's credentials.
        self.assertEqual(set(unit["IPAddressDeny"][0].split()),
                         {"169.254.169.254", "fd00:ec2::254"})
        self.assertTrue({"@system-service", "@mount", "seccomp", "sethostname"}
                        <= set(unit["SystemCallFilter"][0].split()))
        # Each of these lays a mount over part of /proc, after which the
        # kernel refuses the worker's own /proc (see the test below).
        for key in ["ProtectKernelTunables", "ProtectKernelLogs", "ProtectProc", "PrivateUsers"]:
            self.assertNotIn(key, unit)


@unittest.skipUnless(os.geteuid() == 0 and shutil.which("unshare") and shutil.which("setpriv"),
                     "re-creating the unit's mounts needs root, unshare and setpriv")
class Hardening(unittest.TestCase):
    """The unit's file-system settings made the way systemd makes them (a
    read-only copy of /, tmpfs over /tmp and /home, a /dev of five devices)
    and a skill run as an unprivileged user with no capabilities and
    no_new_privs. The copy becomes the root as systemd 252 (Debian 12) does
    it, moved onto / over the old root, or as later versions do, with
    pivot_root and the old root detached."""

    DEVICES = ["null", "zero", "full", "random", "urandom"]
    # Any other /proc mounted on this machine (a container's, a chroot's)
    # would count as a whole /proc for the kernel; systemd's namespace has
    # only the one.
    OTHER_PROCS_GO = ("awk -v r=\"$r\" '{for (i = 7; i <= NF; i++) if ($i == \"-\") {"
                      "if ($(i + 1) == \"proc\" && index($5, r \"/\") == 1 && $5 != r \"/proc\")"
                      " print $5; break}}' /proc/self/mountinfo | sort -r | "
                      "xargs -r -n1 umount -l; ")

    def run_skill(self, extra_mounts="", switch="move"):
        root = tempfile.mkdtemp(dir=scratch)
        devs = " && ".join(f"touch $r/dev/{d} && mount --bind /dev/{d} $r/dev/{d}"
                           for d in self.DEVICES)
        script = (
            "set -e; r=$1; shift; "
            "mount --rbind / $r && mount -o remount,bind,ro $r; "              # ProtectSystem=strict
            + self.OTHER_PROCS_GO +
            "mount -t tmpfs -o mode=1777 tmpfs $r/tmp; "                       # PrivateTmp=
            "mkdir -m 777 $r/tmp/data; "                                       # StateDirectory=
            "mount -t tmpfs tmpfs $r/home; "                                   # ProtectHome=
            "mount -t tmpfs -o mode=755 tmpfs $r/dev && " + devs + "; "        # PrivateDevices=
            + extra_mounts +
            ("cd $r && mount --move . / && exec chroot . " if switch == "move" else
             "cd $r && pivot_root . . && umount -l . && cd / && exec ") +
            "setpriv --reuid=65534 --regid=65534 --clear-groups --no-new-privs "
            "--bounding-set=-all,+net_bind_service --inh-caps=-all \"$@\"")
        with open(os.path.join(FIXTURES, "launch.json")) as f:
            launch = f.read()
        return subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script,
                               "sh", root, SKILLSERVER, "--skills", SKILLS, "--data", "/tmp/data",
                               "invoke", "thank_you"],
                              input=launch, capture_output=True, text=True, timeout=120)

    def test_skills_run_sandboxed_under_the_units_settings(self):
        for switch in ("move", "pivot"):
            done = self.run_skill(switch=switch)
            self.assertEqual(done.returncode, 0, switch + ": " + done.stdout + done.stderr)
            self.assertIn("thank you skill", done.stdout)

    def test_a_mount_over_proc_would_stop_every_skill(self):
        # ProtectKernelTunables=yes: /proc/sys read-only. With the old root
        # detached, no /proc of the namespace is whole any more, and the
        # kernel refuses a new one in a user namespace.
        done = self.run_skill("mount --bind $r/proc/sys $r/proc/sys && "
                              "mount -o remount,bind,ro $r/proc/sys; ", switch="pivot")
        self.assertEqual(done.returncode, 1, done.stdout + done.stderr)
        self.assertIn("cannot mount /proc for the skill", done.stderr)


class NotifyListener:
    """A NOTIFY_SOCKET as systemd's: a datagram socket anyone may write to."""

    def __init__(self):
        self.path = os.path.join(tempfile.mkdtemp(dir=scratch), "notify")
        os.chmod(os.path.dirname(self.path), 0o755)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        os.chmod(self.path, 0o777)
        self.messages = []
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while True:
            try:
                data = self.sock.recv(4096)
            except OSError:
                return
            with self.cond:
                self.messages.append(dict(line.split("=", 1)
                                          for line in data.decode().splitlines() if "=" in line))
                self.cond.notify_all()

    def wait_for(self, key, start=0, timeout=EVENT_S):
        """The index of the first message from start on that sets key."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for i in range(start, len(self.messages)):
                    if key in self.messages[i]:
                        return i
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {key} from serve; it said {self.messages}")
                self.cond.wait(left)

    def close(self):
        self.sock.close()


class Notify(unittest.TestCase):
    def test_ready_reloading_stopping_and_watchdog(self):
        listener = NotifyListener()
        env = dict(os.environ, NOTIFY_SOCKET=listener.path, WATCHDOG_USEC="400000")
        try:
            srv = Server(skills=SKILLS, env=env)
            try:
                ready = listener.wait_for("READY")
                self.assertEqual(listener.messages[ready]["READY"], "1")
                self.assertRegex(listener.messages[ready].get("STATUS", ""),
                                 r"^serving \d+ skills on http://127\.0\.0\.1:%d$" % srv.port)
                # The skills were loaded before READY=1.
                self.assertTrue(srv.wait_for(r"skill thank_you ready", 1))
                watchdog = listener.wait_for("WATCHDOG", timeout=5)
                self.assertEqual(listener.messages[watchdog]["WATCHDOG"], "1")
                start = len(listener.messages)
                srv.proc.send_signal(signal.SIGHUP)
                reloading = listener.wait_for("RELOADING", start)
                self.assertRegex(listener.messages[reloading].get("MONOTONIC_USEC", ""), r"^\d+$")
                again = listener.wait_for("READY", reloading + 1)
                self.assertTrue(srv.wait_for(r"skills? loaded", 1))
                self.assertGreater(again, reloading)
                self.assertEqual(os.environ.get("LISTEN_FDS"), None)
            finally:
                start = len(listener.messages)
                srv.stop()
            listener.wait_for("STOPPING", start, timeout=5)
        finally:
            listener.close()

    def test_nothing_without_systemd(self):
        with Server(skills=SKILLS) as srv:
            self.assertEqual(srv.request("GET", "/healthz")[0], 200)
        self.assertNotIn("systemd", srv.log())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@unittest.skipUnless(shutil.which("systemd-socket-activate"),
                     "systemd-socket-activate is needed (package systemd; make test-deps)")
class SocketActivation(unittest.TestCase):
    def test_started_on_the_first_connection_with_the_passed_socket(self):
        port = free_port()
        data = tempfile.mkdtemp(dir=scratch)
        log = open(os.path.join(data, "log"), "w+")
        proc = subprocess.Popen(["systemd-socket-activate", "-l", f"127.0.0.1:{port}",
                                 SKILLSERVER, "serve", "--no-tls", "--no-verify",
                                 "--listen", "127.0.0.1:1", "--skills", SKILLS, "--data", data],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
        try:
            deadline = time.monotonic() + EVENT_S
            while True:
                try:
                    conn = socket.create_connection(("127.0.0.1", port), timeout=EVENT_S)
                    break
                except ConnectionRefusedError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise
                    time.sleep(0.05)
            with conn:
                conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             b"Connection: close\r\n\r\n")
                answer = b""
                while True:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    answer += chunk
            self.assertTrue(answer.startswith(b"HTTP/1.1 200"), answer)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(EVENT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.seek(0)
            text = log.read()
            log.close()
        self.assertEqual(proc.returncode, 0, text)
        self.assertIn(f"listening on the socket systemd passed (127.0.0.1:{port}), "
                      "not on --listen 127.0.0.1:1", text)
        self.assertIn(f"listening on http://127.0.0.1:{port} ", text)

    def test_more_than_one_socket_is_refused(self):
        ports = [free_port(), free_port()]
        data = tempfile.mkdtemp(dir=scratch)
        proc = subprocess.Popen(["systemd-socket-activate", "-l", f"127.0.0.1:{ports[0]}",
                                 "-l", f"127.0.0.1:{ports[1]}", SKILLSERVER, "serve", "--no-tls",
                                 "--no-verify", "--skills", SKILLS, "--data", data],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + EVENT_S
            while proc.poll() is None and time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", ports[0]), timeout=1).close()
                except OSError:
                    pass
                time.sleep(0.1)
            _, err = proc.communicate(timeout=EVENT_S)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.assertEqual(proc.returncode, 2, err)
        self.assertIn("systemd passed 2 sockets; serve takes one", err)


class CertificateReload(unittest.TestCase):
    def test_sighup_serves_the_renewed_certificate_without_a_failed_request(self):
        work = tempfile.mkdtemp(dir=scratch)
        old = make_endpoint_cert(os.path.join(work, "old"))
        new = make_endpoint_cert(os.path.join(work, "new"))
        live = os.path.join(work, "live")
        shutil.copytree(os.path.dirname(old[0]), live)
        os.chmod(live, 0o755)
        pems = {}
        for name, (cert, _) in (("old", old), ("new", new)):
            with open(cert) as f:
                pems[name] = ssl.PEM_cert_to_DER_cert(f.read())
        # Both are self-signed for localhost: told apart by their bytes, not
        # verified (OpenSSL would pick one of two roots of the same name).
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        seen, failures = [], []
        stop = threading.Event()

        with Server(skills=SKILLS, tls=(os.path.join(live, "certificate.pem"),
                                        os.path.join(live, "private-key.pem"))) as srv:
            kept = srv.connection(context=context)
            self.assertEqual(srv.request("GET", "/healthz", conn=kept)[0], 200)

            def client():
                while not stop.is_set():
                    try:
                        with socket.create_connection(("127.0.0.1", srv.port), timeout=30) as s, \
                                context.wrap_socket(s, server_hostname="localhost") as t:
                            t.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n"
                                      b"Connection: close\r\n\r\n")
                            answer = t.recv(64)
                            which = [k for k, v in pems.items() if v == t.getpeercert(True)]
                            if not answer.startswith(b"HTTP/1.1 200"):
                                failures.append(answer)
                            seen.append(which[0] if which else "unknown")
                    except (OSError, ssl.SSLError) as e:
                        failures.append(repr(e))

            thread = threading.Thread(target=client, daemon=True)
            thread.start()
            try:
                deadline = time.monotonic() + EVENT_S
                while seen.count("old") < 5 and time.monotonic() < deadline:
                    time.sleep(0.05)
                # Renewed in place, as certbot or make-endpoint-cert.sh --force does.
                for src, name in ((new[0], "certificate.pem"), (new[1], "private-key.pem")):
                    shutil.copy(src, os.path.join(live, name + ".tmp"))
                    os.replace(os.path.join(live, name + ".tmp"), os.path.join(live, name))
                mark = len(srv.lines)
                srv.proc.send_signal(signal.SIGHUP)
                self.assertTrue(srv.wait_for(r"TLS: new connections get the certificate", 30,
                                             mark), srv.log())
                while seen.count("new") < 5 and time.monotonic() < deadline:
                    time.sleep(0.05)
            finally:
                stop.set()
                thread.join(60)
            self.assertEqual(failures, [])
            self.assertGreaterEqual(seen.count("new"), 5, seen[-20:])
            first_new = seen.index("new")
            self.assertEqual(set(seen[:first_new]), {"old"})
            self.assertEqual(set(seen[first_new:]), {"new"}, "the old certificate came back")
            # A connection made before the reload goes on with its session.
            self.assertEqual(srv.request("GET", "/healthz", conn=kept)[0], 200)
            kept.close()

            # A key that is not the certificate's is refused; the new pair stays.
            shutil.copy(old[1], os.path.join(live, "private-key.pem"))
            mark = len(srv.lines)
            srv.proc.send_signal(signal.SIGHUP)
            self.assertTrue(srv.wait_for(r"do not make a certificate and its key.*certificate "
                                         r"in use is kept", 30, mark), srv.log())
            with socket.create_connection(("127.0.0.1", srv.port), timeout=30) as s, \
                    context.wrap_socket(s, server_hostname="localhost") as t:
                self.assertEqual(t.getpeercert(True), pems["new"])


if __name__ == "__main__":
    unittest.main()
