"""serve's log and /metrics, read whole (README "Logs and metrics").

One server runs a scenario with every outcome: answered (200), refused
(400), unknown skill (404), wrong method (405), a skill that prints, one that
raises, one that does not load, and a reload (SIGHUP). Every line it writes
on stderr must be one JSON record of the documented shape, and /metrics must
be a valid exposition with every series there from the start, at zero, and
counting afterwards.
"""
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
import unittest

import exposition
from harness import FIXTURES, SKILLSERVER, Server, assert_no_sanitizer_report, copy_skills, temp_dir

EVENT_S = 60
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
LEVELS = {"debug", "info", "warning", "error"}
SOURCES = {"server", "access", "skill"}
SKILLS = ("thank_you", "prints", "raises")
COMMON_TYPES = ("LaunchRequest", "IntentRequest", "SessionEndedRequest", "none")
STATUSES = ("200", "400", "404", "405", "413", "500", "503", "other")
PROCESS = ("process_cpu_seconds_total", "process_resident_memory_bytes",
           "process_virtual_memory_bytes", "process_open_fds", "process_max_fds",
           "process_start_time_seconds")


def fixture(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


def with_request_id(body, rid):
    doc = json.loads(body)
    doc["request"]["requestId"] = rid
    return json.dumps(doc).encode()


def series(samples, name, **labels):
    """The value of the series name{labels} (in any label order), or None."""
    want = set(labels.items())
    for (n, ls), v in samples.items():
        if n == name and set(ls) == want:
            return v
    return None


class LogAndMetrics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.root = temp_dir("skillserver-obs-")
        copy_skills(cls.root, SKILLS, files={"broken/skill.py": "def (:\n"})
        cls.srv = Server(skills=cls.root)
        for name in SKILLS:
            assert cls.srv.wait_for(r"skill %s ready" % name, EVENT_S), cls.srv.log()
        cls.first_page = cls.srv.request("GET", "/metrics")[2].decode()

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.srv.proc.poll() is None:
                cls.srv.stop()
        finally:
            shutil.rmtree(cls.root, ignore_errors=True)

    def check_page(self, page):
        problems = exposition.check(page)
        self.assertEqual(problems, [], page[:3000])
        promtool = shutil.which("promtool")
        if promtool:  # where Prometheus is installed, its own check too
            p = subprocess.run([promtool, "check", "metrics"], input=page, text=True,
                               capture_output=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        return exposition.parse(page)

    def test_1_metrics_at_start(self):
        s = self.check_page(self.first_page)
        for skill in SKILLS + ("-",):
            for t in COMMON_TYPES:
                for status in STATUSES:
                    self.assertEqual(series(s, "skillserver_requests_total", skill=skill, type=t,
                                            status=status), 0, (skill, t, status))
            self.assertEqual(series(s, "skillserver_request_duration_seconds_count",
                                    skill=skill), 0, skill)
            les = sorted(float(dict(ls)["le"]) for (n, ls) in s
                         if n == "skillserver_request_duration_seconds_bucket" and
                         dict(ls)["skill"] == skill)
            self.assertEqual(les[-2:], [8.0, float("inf")], "buckets up to Alexa's 8 s")
            self.assertLessEqual(les[0], 0.005)
        for skill in SKILLS:
            for err in ("skill_raised", "skill_timeout", "skill_crashed", "ssml"):
                self.assertEqual(series(s, "skillserver_skill_errors_total", skill=skill,
                                        error=err), 0, (skill, err))
        for name in ("skillserver_reloads_total", "skillserver_slow_clients_total",
                     "skillserver_connections_refused_total", "skillserver_worker_crashes_total"):
            self.assertEqual(series(s, name), 0, name)
        for name in PROCESS:
            self.assertIsNotNone(series(s, name), name)
        self.assertGreater(series(s, "process_resident_memory_bytes"), 1 << 20)
        self.assertLessEqual(abs(series(s, "process_start_time_seconds") - time.time()), 600)
        builds = [ls for (n, ls), v in s.items() if n == "skillserver_build_info" and v == 1]
        self.assertEqual(len(builds), 1)
        self.assertRegex(dict(builds[0])["version"], r"^\d+\.\d+")

    def test_2_scenario_log_and_counts(self):
        srv = self.srv
        rid = "amzn1.echo-api.request.obs-thank-you"
        status, _, _ = srv.request("POST", "/skills/thank_you",
                                   with_request_id(fixture("intent_thank_you.json"), rid))
        self.assertEqual(status, 200)
        self.assertEqual(srv.request("POST", "/skills/thank_you", b"{not json")[0], 400)
        self.assertEqual(srv.request("POST", "/skills/nobody", fixture("launch.json"))[0], 404)
        self.assertEqual(srv.request("GET", "/skills/thank_you")[0], 405)
        prints_id = "amzn1.echo-api.request.obs-prints"
        self.assertEqual(srv.request("POST", "/skills/prints",
                                     with_request_id(fixture("launch.json"), prints_id))[0], 200)
        raises_id = "amzn1.echo-api.request.obs-raises"
        self.assertEqual(srv.request("POST", "/skills/raises", with_request_id(
            fixture("intent_thank_you.json"), raises_id))[0], 200)
        mark = len(srv.lines)
        srv.proc.send_signal(signal.SIGHUP)
        self.assertTrue(srv.wait_for(r"skills? loaded", EVENT_S, start=mark), srv.log())

        # Counted: requests are counted once answered, a moment after the client has read it.
        deadline = time.monotonic() + EVENT_S
        while True:
            s = self.check_page(srv.request("GET", "/metrics")[2].decode())
            if series(s, "skillserver_requests_total", skill="raises", type="IntentRequest",
                      status="200") == 1 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(series(s, "skillserver_requests_total", skill="thank_you",
                                type="IntentRequest", status="200"), 1)
        self.assertEqual(series(s, "skillserver_requests_total", skill="thank_you", type="none",
                                status="400"), 1)
        self.assertEqual(series(s, "skillserver_requests_total", skill="-", type="none",
                                status="404"), 1)
        self.assertEqual(series(s, "skillserver_skill_errors_total", skill="raises",
                                error="skill_raised"), 1)
        self.assertEqual(series(s, "skillserver_reloads_total"), 1)
        self.assertEqual(series(s, "skillserver_request_duration_seconds_bucket",
                                skill="thank_you", le="8"), 2)
        self.assertEqual(series(s, "skillserver_request_duration_seconds_count",
                                skill="prints"), 1)

        # Stop, then read every line the server wrote.
        self.assertEqual(srv.stop(), 0)
        records = []
        for n, line in enumerate(srv.lines):
            try:
                r = json.loads(line)
            except ValueError as e:
                self.fail(f"line {n} is not JSON ({e}): {line!r}")
            self.assertIsInstance(r, dict, line)
            self.assertRegex(r.get("time", ""), TIME, line)
            self.assertIn(r.get("level"), LEVELS, line)
            self.assertIn(r.get("source"), SOURCES, line)
            self.assertIsInstance(r.get("msg"), str, line)
            self.assertEqual(list(r)[:3], ["time", "level", "source"], line)
            self.assertEqual(list(r)[-1], "msg", line)
            if r["source"] == "skill":
                self.assertIn(r.get("skill"), SKILLS + ("broken",), line)
            if r["source"] == "access":
                self.assertIsInstance(r.get("status"), int, line)
                for key in ("verify_us", "handler_us", "total_us"):
                    self.assertIsInstance(r.get(key), int, line)
            records.append(r)
        access = [r for r in records if r["source"] == "access"]
        self.assertEqual(sorted(r["status"] for r in access), [200, 200, 200, 400, 404, 405])
        ok = [r for r in access if r.get("request_id") == rid]
        self.assertEqual(len(ok), 1, access)
        self.assertEqual((ok[0]["level"], ok[0]["skill"], ok[0]["type"], ok[0]["intent"]),
                         ("info", "thank_you", "IntentRequest", "ThankYouIntent"))
        self.assertEqual(ok[0]["msg"], "200 thank_you IntentRequest ThankYouIntent")
        missing = [r for r in access if r["status"] == 404]
        self.assertEqual((missing[0]["path"], missing[0]["skill"]), ("/skills/nobody", None))
        printed = [r for r in records if r["source"] == "skill" and r["skill"] == "prints"]
        self.assertEqual([(r["msg"], r.get("request_id"), r["level"]) for r in printed],
                         [("printed by the skill", prints_id, "info"),
                          ("to stderr too", prints_id, "info")])
        traceback = [r for r in records if r["source"] == "skill" and r["skill"] == "raises"]
        self.assertTrue(traceback)
        self.assertTrue(all(r["level"] == "error" and r["request_id"] == raises_id
                            for r in traceback), traceback)
        self.assertTrue(any("NameError" in r["msg"] for r in traceback), traceback)
        apology = [r for r in records if r["source"] == "server" and r.get("skill") == "raises"]
        self.assertTrue(any(r["level"] == "error" and r["request_id"] == raises_id
                            for r in apology), apology)
        broken = [r for r in records if r["source"] == "server" and "broken" in r["msg"]]
        self.assertTrue(any(r["level"] == "error" and r.get("skill") == "broken"
                            for r in broken), broken)
        ready = [r for r in records if r["msg"].startswith("skill prints ready")]
        self.assertEqual([r.get("skill") for r in ready], ["prints"])
        self.assertTrue(any(r["msg"].startswith("reloading the skills") for r in records))
        self.assertTrue(any(r["msg"].startswith("listening on http://") for r in records))


class FormatChoice(unittest.TestCase):
    """SKILLSERVER_LOG_FORMAT decides over the default (json for serve
    writing to a pipe): text gives a person's lines back."""

    def test_text_when_asked(self):
        root = temp_dir("skillserver-obs-")
        try:
            copy_skills(root, ("thank_you",))
            env = dict(os.environ, SKILLSERVER_LOG_FORMAT="text")
            with Server(skills=root, env=env) as srv:
                self.assertTrue(srv.wait_for(r"^skillserver: skill thank_you ready", EVENT_S),
                                srv.log())
                srv.request("POST", "/skills/thank_you", fixture("intent_thank_you.json"))
                # Access records stay JSON lines, the rest is plain text.
                self.assertTrue(srv.wait_for(r'^\{"time":.*"source":"access"', EVENT_S),
                                srv.log())
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def test_text_at_a_terminal(self):
        # serve with stderr on a terminal (a pty here): a person is watching.
        root = temp_dir("skillserver-obs-")
        master, slave = os.openpty()
        proc = None
        try:
            copy_skills(root, ("thank_you",))
            env = dict(os.environ)
            env.pop("SKILLSERVER_LOG_FORMAT", None)
            proc = subprocess.Popen([SKILLSERVER, "serve", "--no-tls", "--no-verify", "--listen",
                                     "127.0.0.1:0", "--skills", root, "--data",
                                     os.path.join(root, "data")],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=slave, env=env)
            os.close(slave)
            slave = None
            seen = b""
            deadline = time.monotonic() + EVENT_S
            while b"skill thank_you ready" not in seen and time.monotonic() < deadline:
                ready, _, _ = select.select([master], [], [], 1)
                if ready:
                    try:
                        seen += os.read(master, 65536)
                    except OSError:  # the terminal's other end closed: serve exited
                        break
            lines = seen.decode("utf-8", "replace").replace("\r\n", "\n").splitlines()
            self.assertTrue(any(line.startswith("skillserver: skill thank_you ready")
                                for line in lines), lines)
            self.assertTrue(all(line.startswith("skillserver: ") for line in lines), lines)
        finally:
            if proc:
                proc.terminate()
                proc.wait(60)
            os.close(master)
            if slave is not None:
                os.close(slave)
            shutil.rmtree(root, ignore_errors=True)

    def test_unknown_format_is_named(self):
        root = temp_dir("skillserver-obs-")
        try:
            copy_skills(root, ("thank_you",))
            env = dict(os.environ, SKILLSERVER_LOG_FORMAT="yaml")
            with Server(skills=root, env=env) as srv:
                line = srv.wait_for(r"SKILLSERVER_LOG_FORMAT", EVENT_S)
                self.assertTrue(line, srv.log())
                r = json.loads(line)
                self.assertEqual(r["level"], "warning")
                self.assertIn("'yaml'", r["msg"])
        finally:
            shutil.rmtree(root, ignore_errors=True)


class Journal(unittest.TestCase):
    """serve under systemd semantics: stderr is the stream JOURNAL_STREAM
    names, so records go to journald's socket as native fields. A stand-in
    listens at that path inside a mount namespace of the test's own
    (journal_standin.py); where one cannot be made (not root, no
    unshare), the field building is still covered by the unit test."""

    def test_records_reach_journald(self):
        if os.geteuid() != 0 or not shutil.which("unshare"):
            self.skipTest("needs root and unshare(1) for a private mount namespace")
        probe = subprocess.run(["unshare", "-m", "--propagation", "private", "true"],
                               capture_output=True)
        if probe.returncode != 0:
            self.skipTest("no mount namespace here: " + probe.stderr.decode().strip())
        root = temp_dir("skillserver-obs-")
        try:
            copy_skills(root, ("prints",))
            os.mkdir(os.path.join(root, "data"))
            helper = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                  "journal_standin.py")
            p = subprocess.run(["unshare", "-m", "--propagation", "private", sys.executable,
                                helper, SKILLSERVER, root, os.path.join(root, "data")],
                               capture_output=True, text=True, timeout=300)
            self.assertEqual(p.returncode, 0, p.stderr)
            got = json.loads(p.stdout)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        assert_no_sanitizer_report(got["stderr"], "serve under the journal")
        self.assertEqual(got["exit"], 0, got)
        # Nothing but what the server cannot route (none here) goes to stderr.
        self.assertEqual(got["stderr"], "")
        records = got["records"]
        for r in records:
            self.assertEqual(r.get("SYSLOG_IDENTIFIER"), "skillserver", r)
            self.assertIn(r.get("PRIORITY"), {"3", "4", "6", "7"}, r)
            self.assertIn(r.get("SKILLSERVER_SOURCE"), SOURCES, r)
            self.assertIn("MESSAGE", r)
            for key in r:
                self.assertRegex(key, r"^[A-Z][A-Z0-9_]*$")
        access = [r for r in records if r["SKILLSERVER_SOURCE"] == "access"]
        self.assertEqual(len(access), 1, records)
        self.assertEqual((access[0]["SKILLSERVER_STATUS"], access[0]["SKILLSERVER_SKILL"],
                          access[0]["PRIORITY"], access[0]["MESSAGE"]),
                         ("200", "prints", "6", "200 prints LaunchRequest"))
        rid = access[0]["SKILLSERVER_REQUEST_ID"]
        printed = [r for r in records if r["SKILLSERVER_SOURCE"] == "skill"]
        self.assertEqual([(r["MESSAGE"], r["SKILLSERVER_SKILL"], r["SKILLSERVER_REQUEST_ID"])
                          for r in printed],
                         [("printed by the skill", "prints", rid), ("to stderr too", "prints", rid)])
        self.assertTrue(any(r["MESSAGE"].startswith("stopping") for r in records), records)


if __name__ == "__main__":
    unittest.main()
