#!/usr/bin/env python3
"""A throw-away PostgreSQL server for the tests of the shared store.

Debian's server binaries (/usr/lib/postgresql/VERSION/bin, from the
postgresql package the Makefile's TEST_PACKAGES installs) run from a
temporary folder on a free loopback port, with password authentication
over TCP. initdb and postgres refuse to run as root, so under root (as in
CI) they run as `nobody`, in a folder given to nobody for the purpose.
Everything is removed at the end, also when a test fails: leave the `with`
block, or let the process exit (atexit).

    with Cluster() as pg:
        url = pg.url                 # postgresql://skillserver:PASSWORD@127.0.0.1:PORT/skills
        pg.sql("SELECT 1")           # through psql
        pg.stop(); pg.start()        # an outage, and the end of it

As a program, it runs a command with a cluster and SKILLSERVER_TEST_PG set
to its URL (for the C unit test of the store):

    python3 tests/pg_cluster.py run -- build/tests/test_store_pg

and when the binaries are missing prints a TAP plan that skips, saying what
to install.
"""
import atexit
import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

USER = "skillserver"
DATABASE = "skills"


def bin_dir():
    """The newest installed server's bin folder, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    return os.path.dirname(found[-1]) if found else None


def missing_reason():
    """Why no cluster can start here, or None."""
    if not bin_dir():
        return ("the PostgreSQL server is not installed (apt-get install postgresql, "
                "or make test-deps)")
    if not shutil.which("psql"):
        return "psql is not installed (apt-get install postgresql-client)"
    return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    START_TIMEOUT = 60

    running = set()

    def __init__(self):
        reason = missing_reason()
        if reason:
            raise RuntimeError(reason)
        self.bin = bin_dir()
        self.password = "pw-" + secrets.token_hex(8)
        self.root = tempfile.mkdtemp(prefix="skillserver-pg-")
        self.proc = None
        Cluster.running.add(self)
        try:
            self._prefix = []
            if os.geteuid() == 0:
                nobody = pwd.getpwnam("nobody")
                # The folder is root's; only the cluster's own folder in it is nobody's.
                os.chmod(self.root, 0o711)
                self._prefix = ["setpriv", f"--reuid={nobody.pw_uid}",
                                f"--regid={nobody.pw_gid}", "--clear-groups", "--"]
            self.home = os.path.join(self.root, "cluster")
            os.mkdir(self.home, 0o700)
            if os.geteuid() == 0:
                os.chown(self.home, nobody.pw_uid, nobody.pw_gid)
            self.data = os.path.join(self.home, "data")
            self.log_path = os.path.join(self.home, "postgres.log")
            pwfile = os.path.join(self.home, "pw")
            self._as_owner(["sh", "-c", 'umask 077 && printf "%s" "$1" > "$2"', "sh",
                            self.password, pwfile])
            self._as_owner([os.path.join(self.bin, "initdb"), "-D", self.data, "-U", USER,
                            "--pwfile", pwfile, "--auth-local=scram-sha-256",
                            "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C",
                            "--no-sync"])
            self._as_owner(["rm", "-f", pwfile])
            self.port = free_port()
            self.start()
            self.sql(f"CREATE DATABASE {DATABASE}", database="postgres")
        except BaseException:
            self.close()
            raise

    @property
    def url(self):
        return f"postgresql://{USER}:{self.password}@127.0.0.1:{self.port}/{DATABASE}"

    def url_without_password(self):
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{DATABASE}"

    def _as_owner(self, cmd, **kw):
        return subprocess.run(self._prefix + cmd, cwd=self.home, check=True,
                              capture_output=True, text=True, timeout=120, **kw)

    def start(self):
        """Start the server (again) and wait until it takes connections."""
        if self.proc and self.proc.poll() is None:
            return
        log = open(self.log_path, "ab")
        cmd = self._prefix + [
            os.path.join(self.bin, "postgres"), "-D", self.data, "-p", str(self.port),
            "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.home}",
            # fsync=off spares the disk and loses nothing when only the
            # server stops; synchronous_commit stays on, or a commit that
            # was answered could be lost by an immediate stop.
            "-c", "max_connections=40", "-c", "shared_buffers=16MB", "-c", "fsync=off",
            "-c", "full_page_writes=off",
            "-c", "logging_collector=off"]
        try:
            self.proc = subprocess.Popen(cmd, cwd=self.home, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=log, start_new_session=True)
        finally:
            log.close()
        deadline = time.monotonic() + self.START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("postgres exited with %s:\n%s" % (self.proc.returncode,
                                                                     self.log()))
            ready = subprocess.run([os.path.join(self.bin, "pg_isready"), "-q", "-h",
                                    "127.0.0.1", "-p", str(self.port)], timeout=30)
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("postgres did not take connections within %d s:\n%s"
                           % (self.START_TIMEOUT, self.log()))

    def stop(self, mode="fast"):
        """Stop the server: "fast" (SIGINT: sessions are ended, the server
        says goodbye) or "immediate" (SIGQUIT: everything stops at once)."""
        if not self.proc or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGQUIT if mode == "immediate" else signal.SIGINT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def sql(self, statement, database=DATABASE):
        """Run statement with psql; returns its unaligned, tuples-only output."""
        env = dict(os.environ, PGPASSWORD=self.password, PGCONNECT_TIMEOUT="10")
        p = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h",
                            "127.0.0.1", "-p", str(self.port), "-U", USER, "-d", database,
                            "-c", statement], env=env, capture_output=True, text=True,
                           timeout=60)
        if p.returncode != 0:
            raise RuntimeError(f"psql {statement!r}: {p.stderr.strip()}")
        return p.stdout.strip()

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return "(no log)"

    def close(self):
        """Stop the server and remove every file of it."""
        try:
            self.stop()
        finally:
            if self.proc and self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            shutil.rmtree(self.root, ignore_errors=True)
            Cluster.running.discard(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@atexit.register
def _close_forgotten():
    for c in list(Cluster.running):
        c.close()


def main(argv):
    if len(argv) < 3 or argv[1] != "run" or argv[2] != "--" or len(argv) < 4:
        sys.stderr.write("usage: pg_cluster.py run -- COMMAND [ARG...]\n")
        return 2
    reason = missing_reason()
    if reason:
        print(f"1..0 # SKIP {reason}")
        return 0
    # A signal from the test runner (a timeout) still removes the cluster.
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    with Cluster() as pg:
        env = dict(os.environ, SKILLSERVER_TEST_PG=pg.url)
        return subprocess.run(argv[3:], env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv))
