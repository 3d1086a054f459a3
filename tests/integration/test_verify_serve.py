"""Request verification against the real server: `skillserver serve` with
verification on, a local HTTPS host standing in for s3.amazonaws.com
(reached through --cert-connect-to), a throw-away chain from
certs/make-test-chain.sh, and requests signed by `skillserver sign`. Every
refused request is proven not to have reached the skill."""
import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import unittest
import uuid

from harness import (FIXTURES, SKILLSERVER, SOURCE_ROOT, TEST_SKILLS, Server, temp_dir,
                     wait_for_port_file)

GOOD = "https://s3.amazonaws.com/echo.api/echo-api-cert.pem"
APPID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"

# Every row of spec/request-verification.md §3.2: (URL, valid?).
URL_TABLE = [
    ("https://s3.amazonaws.com/echo.api/echo-api-cert.pem", True),
    ("https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem", True),
    ("https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem", True),
    ("http://s3.amazonaws.com/echo.api/echo-api-cert.pem", False),
    ("https://notamazon.com/echo.api/echo-api-cert.pem", False),
    ("https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem", False),
    ("https://s3.amazonaws.com/invalid.path/echo-api-cert.pem", False),
    ("https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem", False),
    ("HTTPS://S3.AMAZONAWS.COM/echo.api/echo-api-cert.pem", True),
    ("https://s3.amazonaws.com/echo.api/echo-api-cert-6-ats.pem", True),
    ("https://s3.amazonaws.com/echo.api/./echo-api-cert.pem", True),
    ("https://s3.amazonaws.com/echo.api/../x/cert.pem", False),
    ("https://s3.amazonaws.com/echo.api", False),
    ("https://s3.amazonaws.com/ECHO.API/echo-api-cert.pem", False),
    ("https://s3.amazonaws.com.evil.example/echo.api/cert.pem", False),
    ("https://evil.example/s3.amazonaws.com/echo.api/cert.pem", False),
    ("https://s3.amazonaws.com:8443/echo.api/echo-api-cert.pem", False),
    ("https://s3.amazonaws.com//echo.api/echo-api-cert.pem", False),
    ("https://s3.amazonaws.com/echo.api/%2e%2e/x/cert.pem", False),
    ("https://user:pw@s3.amazonaws.com/echo.api/echo-api-cert.pem", False),
    ("https://s3.amazonaws.com/echo.api/echo-api-cert.pem?x=1", False),
    ("https://s3.amazonaws.com/echo.api/echo-api-cert.pem#frag", False),
    ("https://s3.amazonaws.com:/echo.api/echo-api-cert.pem", False),
    ("https://52.216.0.1/echo.api/echo-api-cert.pem", False),
]

# Broken chains made by certs/make-test-chain.sh, and the reason each is refused for.
BROKEN_CHAINS = {
    "expired.pem": "cert_expired",
    "notyet.pem": "cert_not_yet_valid",
    "wrongsan.pem": "cert_san",
    "wildcard.pem": "cert_san",
    "nosan.pem": "cert_san",
    "untrusted.pem": "chain_untrusted",
    "selfsigned.pem": "chain_untrusted",
    "nointer.pem": "chain_untrusted",
}


def timestamp(offset=0):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def body(offset=0, app_id=APPID, session_app_id=None):
    """The launch fixture with a fresh request id and a timestamp now + offset,
    naming app_id in the context and session_app_id (default: app_id) in the
    session."""
    with open(os.path.join(FIXTURES, "launch.json")) as f:
        doc = json.load(f)
    doc["request"]["requestId"] = "amzn1.echo-api.request." + str(uuid.uuid4())
    doc["request"]["timestamp"] = timestamp(offset)
    doc["context"]["System"]["application"]["applicationId"] = app_id
    doc["session"]["application"]["applicationId"] = session_app_id or app_id
    return json.dumps(doc).encode()


def request_id(data):
    return json.loads(data)["request"]["requestId"]


class Verification(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = temp_dir("skillserver-verify-")
        cls.chain = os.path.join(cls.tmp, "chain")
        subprocess.run(["sh", os.path.join(SOURCE_ROOT, "certs", "make-test-chain.sh"),
                        cls.chain], check=True, capture_output=True, timeout=120)
        # What the chain host serves under /echo.api/.
        www = os.path.join(cls.tmp, "www", "echo.api")
        os.makedirs(www)
        for name in ("echo-api-cert.pem", "echo-api-cert-6-ats.pem", "cached.pem"):
            shutil.copy(os.path.join(cls.chain, "chain.pem"), os.path.join(www, name))
        for name in BROKEN_CHAINS:
            shutil.copy(os.path.join(cls.chain, name), os.path.join(www, name))
        cls.host_log = os.path.join(cls.tmp, "host.log")
        port_file = os.path.join(cls.tmp, "port")
        cls.host = subprocess.Popen(
            [sys.executable, os.path.join(SOURCE_ROOT, "tests", "chain_host.py"),
             "--root", os.path.join(cls.tmp, "www"), "--cert", os.path.join(cls.chain, "s3.pem"),
             "--key", os.path.join(cls.chain, "s3.key"), "--port-file", port_file,
             "--log", cls.host_log])
        cls.host_port = wait_for_port_file(port_file, cls.host)
        # The skills: one that reports being reached, one with an applicationId.
        cls.skills = os.path.join(cls.tmp, "skills")
        shutil.copytree(os.path.join(TEST_SKILLS, "reached"), os.path.join(cls.skills, "reached"))
        shutil.copytree(os.path.join(TEST_SKILLS, "reached"), os.path.join(cls.skills, "pinned"))
        with open(os.path.join(cls.skills, "pinned", "skill.json"), "w") as f:
            json.dump({"applicationId": "amzn1.ask.skill.22222222-2222-2222-2222-222222222222"}, f)
        cls.cache = os.path.join(cls.tmp, "cache")
        cls.srv = cls.start()

    @classmethod
    def start(cls):
        return Server("--trust-ca", os.path.join(cls.chain, "root.pem"),
                      "--cert-connect-to", f"s3.amazonaws.com:443:127.0.0.1:{cls.host_port}",
                      "--cert-cache", cls.cache, skills=cls.skills, verify=True)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()  # fails unless serve exited 0
        finally:
            cls.host.send_signal(signal.SIGTERM)
            host_status = cls.host.wait(60)
            shutil.rmtree(cls.tmp, ignore_errors=True)
        assert host_status == 0, f"the chain host exited with {host_status}"

    # -- helpers --

    def sign(self, data, url=GOOD, key="leaf.key", sha1=False):
        cmd = [SKILLSERVER, "sign", "--key", os.path.join(self.chain, key), "--cert-url", url]
        if sha1:
            cmd.append("--sha1")
        p = subprocess.run(cmd, input=data, capture_output=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        return dict(line.split(": ", 1) for line in p.stdout.decode().splitlines())

    def post(self, data, headers, skill="reached"):
        self.mark = len(self.srv.lines)
        status, _, answer = self.srv.request("POST", "/skills/" + skill, data, headers=headers)
        return status, answer

    def reached(self, data):
        """Whether the request last posted reached the skill. The skill
        prints before it answers and the access-log line is written after
        the answer is sent, by the same process: once that line is in, so
        is the print, if there was one. No window of time decides."""
        logged = self.srv.wait_for(r'^\{"time":', 60, start=self.mark)
        self.assertTrue(logged, "no access-log line for the request:\n" + self.srv.log())
        return any("REACHED " + request_id(data) in line for line in self.srv.lines[self.mark:])

    def assert_accepted(self, data, headers, skill="reached"):
        status, answer = self.post(data, headers, skill)
        self.assertEqual(status, 200, answer)
        self.assertIn(b"You reached the skill.", answer)
        # The same detector that finds refused requests did not reach the skill.
        self.assertTrue(self.reached(data), self.srv.log())

    def assert_refused(self, data, headers, reason, skill="reached"):
        before = self.failures(reason)
        status, answer = self.post(data, headers, skill)
        self.assertEqual(status, 400, answer)
        self.assertIsInstance(json.loads(answer)["error"], str)
        self.assertFalse(self.reached(data), "a refused request reached the skill")
        self.assertEqual(self.failures(reason), before + 1, f"reason {reason} not counted")

    def failures(self, reason):
        _, _, page = self.srv.request("GET", "/metrics")
        name = f'skillserver_verification_failures_total{{reason="{reason}"}} '
        for line in page.decode().splitlines():
            if line.startswith(name):
                return int(float(line.split()[-1]))
        return 0

    def downloads(self, path):
        with open(self.host_log) as f:
            return sum(1 for line in f if line.split()[0] == path)

    # -- the rules --

    def test_signed_request_is_answered(self):
        data = body()
        self.assert_accepted(data, self.sign(data))

    def test_url_table(self):
        for url, valid in URL_TABLE:
            with self.subTest(url=url):
                data = body()
                before = sum(1 for _ in open(self.host_log))
                if valid:
                    self.assert_accepted(data, self.sign(data, url=url))
                else:
                    self.assert_refused(data, self.sign(data, url=url), "cert_url_invalid")
                    after = sum(1 for _ in open(self.host_log))
                    self.assertEqual(after, before, "an invalid URL caused a download")

    def test_tampered_body(self):
        data = body()
        headers = self.sign(data)
        self.assert_refused(data.replace(b"LaunchRequest", b"LaunchRequesT"), headers,
                            "signature_mismatch")
        self.assert_refused(data + b" ", headers, "signature_mismatch")

    def test_wrong_key(self):
        data = body()
        self.assert_refused(data, self.sign(data, key="other.key"), "signature_mismatch")

    def test_garbage_base64(self):
        data = body()
        headers = self.sign(data)
        for garbage, reason in (("!!!!", "signature_base64"), ("abc", "signature_base64"),
                                ("", "signature_missing"),
                                # Valid base64, but 3 bytes are no RSA signature.
                                ("QUJD", "signature_mismatch"),
                                (headers["Signature-256"][:-4] + "****", "signature_base64")):
            with self.subTest(signature=garbage):
                self.assert_refused(data, dict(headers, **{"Signature-256": garbage}), reason)

    def test_missing_headers(self):
        data = body()
        headers = self.sign(data, sha1=True)
        self.assert_refused(data, {"Signature-256": headers["Signature-256"]}, "cert_url_missing")
        self.assert_refused(data, {"SignatureCertChainUrl": GOOD}, "signature_missing")
        # Only the legacy SHA-1 signature: refused by default (spec §6.3).
        self.assert_refused(data, {"SignatureCertChainUrl": GOOD,
                                   "Signature": headers["Signature"]}, "signature_legacy_only")
        # Both present: Signature-256 decides.
        self.assert_accepted(data, headers)

    def test_broken_chains(self):
        for name, reason in BROKEN_CHAINS.items():
            with self.subTest(chain=name):
                data = body()
                url = "https://s3.amazonaws.com/echo.api/" + name
                self.assert_refused(data, self.sign(data, url=url), reason)

    def test_timestamps_inside_and_outside_the_tolerance(self):
        # Well inside and well outside the 150 s tolerance, so that signing
        # and posting on a loaded machine cannot move a request across it;
        # the exact boundary is tested with a fixed clock in test_verify.c.
        for offset, ok in ((-100, True), (100, True), (-210, False), (210, False)):
            with self.subTest(offset=offset):
                data = body(offset)
                if ok:
                    self.assert_accepted(data, self.sign(data))
                else:
                    reason = "timestamp_too_old" if offset < 0 else "timestamp_in_future"
                    self.assert_refused(data, self.sign(data), reason)

    def test_application_id(self):
        data = body(app_id="amzn1.ask.skill.33333333-3333-3333-3333-333333333333")
        status, answer = self.post(data, self.sign(data), skill="pinned")
        self.assertEqual(status, 400, answer)
        self.assertFalse(self.reached(data))
        data = body(app_id="amzn1.ask.skill.22222222-2222-2222-2222-222222222222")
        self.assert_accepted(data, self.sign(data), skill="pinned")

    def test_session_naming_another_skill(self):
        # Signed by "Amazon" and fresh, the context naming the skill: the
        # session's id must be the skill's too (spec §8.1).
        pinned = "amzn1.ask.skill.22222222-2222-2222-2222-222222222222"
        other = "amzn1.ask.skill.33333333-3333-3333-3333-333333333333"
        data = body(app_id=pinned, session_app_id=other)
        self.assert_refused(data, self.sign(data), "application_id", skill="pinned")
        # Without a configured applicationId there is nothing to compare with.
        data = body(app_id=pinned, session_app_id=other)
        self.assert_accepted(data, self.sign(data), skill="reached")
        # The timestamp is checked before the applicationId.
        data = body(-210, app_id=pinned, session_app_id=other)
        self.assert_refused(data, self.sign(data), "timestamp_too_old", skill="pinned")

    def test_chain_is_downloaded_once_and_survives_a_restart(self):
        url = "https://s3.amazonaws.com/echo.api/cached.pem"
        for _ in range(20):
            data = body()
            self.assert_accepted(data, self.sign(data, url=url))
        self.assertEqual(self.downloads("/echo.api/cached.pem"), 1)
        type(self).srv.stop()
        type(self).srv = self.start()
        data = body()
        self.assert_accepted(data, self.sign(data, url=url))
        self.assertEqual(self.downloads("/echo.api/cached.pem"), 1, "the restart downloaded again")


if __name__ == "__main__":
    unittest.main()
