"""Run serve as systemd would with StandardError=journal, against a
stand-in for journald, and print what reached it as JSON on stdout.

Run it in a mount namespace of its own (unshare -m, as root): a tmpfs is
mounted on /run/systemd there, so the socket bound at journald's path
(/run/systemd/journal/socket) is this script's and nothing of the real
system is touched. serve's stderr is a pipe named by JOURNAL_STREAM, as
systemd names the stream it hands a service.

    unshare -m --propagation private python3 journal_standin.py SKILLSERVER SKILLS DATA
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

SOCKET = "/run/systemd/journal/socket"


def fields(datagram):
    """journald's native protocol, as serve sends it: KEY=value lines."""
    out = {}
    for line in datagram.decode("utf-8").split("\n")[:-1]:
        key, _, value = line.partition("=")
        out.setdefault(key, value)
    return out


def main():
    exe, skills, data = sys.argv[1:4]
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", "/run/systemd"], check=True)
    os.makedirs(os.path.dirname(SOCKET))
    journal = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    journal.bind(SOCKET)
    os.chmod(SOCKET, 0o666)  # as journald's: serve gives up root once its port is bound
    journal.settimeout(60)
    r, w = os.pipe()
    st = os.fstat(w)
    env = dict(os.environ, JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}")
    env.pop("SKILLSERVER_LOG_FORMAT", None)
    proc = subprocess.Popen([exe, "serve", "--no-tls", "--no-verify", "--listen", "127.0.0.1:0",
                             "--skills", skills, "--data", data],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=w,
                            env=env)
    os.close(w)
    records = []
    try:
        port = None
        ready = False
        while port is None or not ready:
            rec = fields(journal.recv(65536))
            records.append(rec)
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+) ", rec.get("MESSAGE", ""))
            if m:
                port = int(m.group(1))
            ready = ready or rec.get("MESSAGE", "").startswith("skill prints ready")
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures",
                               "requests", "launch.json"), "rb") as f:
            body = f.read()
        req = urllib.request.Request(f"http://127.0.0.1:{port}/skills/prints", data=body,
                                     headers={"Content-Type": "application/json"})
        urllib.request.urlopen(req, timeout=60).read()
        # The access record is written once the answer has gone out.
        deadline = time.monotonic() + 60
        while not any(x.get("SKILLSERVER_SOURCE") == "access" for x in records):
            journal.settimeout(max(0.1, deadline - time.monotonic()))
            records.append(fields(journal.recv(65536)))
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(60)
        journal.settimeout(0.5)
        try:
            while True:
                records.append(fields(journal.recv(65536)))
        except (socket.timeout, BlockingIOError):
            pass
        with os.fdopen(r, "rb") as f:
            stderr = f.read().decode("utf-8", "replace")
    json.dump({"exit": code, "records": records, "stderr": stderr}, sys.stdout)


if __name__ == "__main__":
    main()
