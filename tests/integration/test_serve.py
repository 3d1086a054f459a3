"""skillserver serve, end to end: the real binary on a free port, real sockets
(http.client, ssl, raw sockets for misbehaving clients), the bundled skills
and the test skills. Every server here runs with --no-verify except the one
that checks that verification is called at all.

One file of about a thousand lines on purpose: it is the contract of `serve`
(routes, TLS, limits, signals, reload, failures), one class per concern, and
the classes share the helpers at the top; the web simulator's API and the
attacks on the endpoint have files of their own (test_web_api.py,
test_http_hardening.py)."""
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
import unittest
import warnings

from harness import (FIXTURES, SKILLSERVER, SOURCE_ROOT, Server, copy_skills,
                     limit, make_endpoint_cert, wait_for_port_file, temp_dir)

# How long to wait for something that happens in well under a second on an
# idle machine: generous, because the suite also runs under ASan on two
# loaded cores. A test that waits this long has failed.
EVENT_S = 60

JSON_TYPE = "application/json;charset=UTF-8"
APPID = "amzn1.ask.skill.11111111-1111-1111-1111-111111111111"


def fixture(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


def with_application(body, app_id):
    doc = json.loads(body)
    doc["context"]["System"]["application"]["applicationId"] = app_id
    if "session" in doc:
        doc["session"]["application"]["applicationId"] = app_id
    return json.dumps(doc).encode()


def with_ids(body, context_id, session_id):
    """body naming context_id in context.System.application and session_id in
    session.application."""
    doc = json.loads(body)
    doc["context"]["System"]["application"]["applicationId"] = context_id
    doc["session"]["application"]["applicationId"] = session_id
    return json.dumps(doc).encode()


def speech(body):
    out = json.loads(body)["response"]["outputSpeech"]
    return out.get("text") or out.get("ssml")


def skills_dir(*names, files=None):
    """A temporary skills folder (removed when the module's tests end) with
    copies of bundled or test skills, plus files {"skill/file": text}."""
    root = temp_dir("skillserver-skills-")
    return copy_skills(root, names, files)


def version_skill(text):
    return ("from skillkit import launch\n\n\n@launch\ndef welcome(req):\n"
            f"    return {text!r}\n")


def raw_exchange(port, data, timeout=EVENT_S):
    """Send data on a fresh socket and return what comes back until close or timeout."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        got = b""
        while True:
            try:
                chunk = s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not chunk:
                break
            got += chunk
        return got
    finally:
        s.close()


def metric(page, name):
    """The value of the sample named exactly name (with labels) in a /metrics page."""
    for line in page.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return None


def metrics_when(srv, done):
    """The /metrics page once done(page) holds, or the last one read after
    EVENT_S. A request is counted when its answer has gone out (in
    libmicrohttpd's completion callback), a moment after the client has read
    that answer, so a page fetched at once may not count it yet."""
    deadline = time.monotonic() + EVENT_S
    while True:
        page = srv.request("GET", "/metrics")[2].decode()
        if done(page) or time.monotonic() > deadline:
            return page
        time.sleep(0.05)


def uses_asan(pid):
    with open(f"/proc/{pid}/maps") as f:
        return "libasan" in f.read()


class Routes(unittest.TestCase):
    """Every route and status code of the contract, over plain HTTP."""

    @classmethod
    def setUpClass(cls):
        cls.skills = skills_dir("thank_you", "appid", "raises", "crashes", "syntax_error",
                                files={"broken_json/skill.py": version_skill("x"),
                                       "broken_json/skill.json": "{\"locale\": }"})
        cls.srv = Server(skills=cls.skills)

    @classmethod
    def tearDownClass(cls):
        status = cls.srv.stop()
        shutil.rmtree(cls.skills, ignore_errors=True)
        assert status == 0, f"serve exited with {status}:\n{cls.srv.log()}"

    def post(self, path, body, **kw):
        return self.srv.request("POST", path, body, **kw)

    def assert_json_error(self, status, headers, body, want_status):
        self.assertEqual(status, want_status, body)
        self.assertEqual(headers["content-type"], JSON_TYPE)
        doc = json.loads(body)
        self.assertIsInstance(doc["error"], str)
        self.assertIsInstance(doc["message"], str)
        self.assertLess(len(body), 1024)
        return doc

    def test_healthz(self):
        status, headers, body = self.srv.request("GET", "/healthz")
        self.assertEqual((status, body), (200, b"ok"))
        self.assertTrue(headers["content-type"].startswith("text/plain"))
        status, _, body = self.srv.request("HEAD", "/healthz")
        self.assertEqual((status, body), (200, b""))

    def test_post_skill_by_name(self):
        status, headers, body = self.post("/skills/thank_you", fixture("intent_thank_you.json"))
        self.assertEqual(status, 200, body)
        self.assertEqual(headers["content-type"], JSON_TYPE)
        self.assertEqual(speech(body), "You're welcome!")
        self.assertEqual(json.loads(body)["version"], "1.0")

    def test_access_log_line(self):
        req = json.loads(fixture("intent_thank_you.json"))
        req["request"]["requestId"] = "amzn1.echo-api.request.access-log-\"quoted\"-test"
        status, _, _ = self.post("/skills/thank_you", json.dumps(req).encode())
        self.assertEqual(status, 200)
        self.assertTrue(self.srv.wait_for("access-log-", EVENT_S))
        line = [e for e in self.srv.access_log()
                if (e.get("request_id") or "").startswith("amzn1.echo-api.request.access-log-")]
        self.assertEqual(len(line), 1, self.srv.log())
        e = line[0]
        self.assertEqual(e["request_id"], req["request"]["requestId"])
        self.assertEqual((e["level"], e["msg"]), ("info", "200 thank_you IntentRequest ThankYouIntent"))
        self.assertEqual(e["skill"], "thank_you")
        self.assertEqual(e["type"], "IntentRequest")
        self.assertEqual(e["intent"], "ThankYouIntent")
        self.assertEqual(e["status"], 200)
        self.assertEqual(e["verify"], "off")
        self.assertEqual(e["verify_us"], 0)
        self.assertGreater(e["handler_us"], 0)
        self.assertGreaterEqual(e["total_us"], e["handler_us"])
        self.assertRegex(e["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

    def test_root_routes_by_application_id(self):
        status, _, body = self.post("/", with_application(fixture("launch.json"), APPID))
        self.assertEqual(status, 200, body)
        self.assertEqual(speech(body), "right application")
        doc = self.assert_json_error(*self.post("/", with_application(
            fixture("launch.json"), "amzn1.ask.skill.99999999-0000-0000-0000-000000000000")), 404)
        self.assertIn("amzn1.ask.skill.99999999", doc["message"])

    def test_wrong_application_is_400(self):
        self.assert_json_error(*self.post("/skills/appid", fixture("launch.json")), 400)

    def test_session_naming_another_skill_is_400(self):
        # --no-verify skips Amazon's signature and timestamp, never the
        # applicationId: a session naming another skill than the context
        # is refused, by name and when routed by the context's id.
        other = "amzn1.ask.skill.22222222-2222-2222-2222-222222222222"
        counted = 'skillserver_verification_failures_total{reason="application_id"}'
        before = metric(self.srv.request("GET", "/metrics")[2].decode(), counted) or 0
        for path in ("/skills/appid", "/"):
            with self.subTest(path=path):
                doc = self.assert_json_error(
                    *self.post(path, with_ids(fixture("launch.json"), APPID, other)), 400)
                self.assertEqual(doc["error"], "applicationId does not match the skill")
                for word in (APPID, other, "appid", "session.application.applicationId"):
                    self.assertIn(word, doc["message"])
        page = self.srv.request("GET", "/metrics")[2].decode()
        self.assertEqual(metric(page, counted), before + 2, "not counted as a verification failure")
        # Both ids the skill's: answered.
        status, _, body = self.post("/skills/appid", with_ids(fixture("launch.json"), APPID, APPID))
        self.assertEqual((status, speech(body)), (200, "right application"))

    def test_unknown_skill_and_path_are_404(self):
        doc = self.assert_json_error(*self.post("/skills/nope", fixture("launch.json")), 404)
        self.assertIn("nope", doc["message"])
        self.assert_json_error(*self.post("/skills/../skills/thank_you", b"{}"), 404)
        self.assert_json_error(*self.post("/elsewhere", b"{}"), 404)
        self.assert_json_error(*self.srv.request("GET", "/nothing"), 404)
        # A skill whose skill.json is broken is not served, and was named at start-up.
        self.assert_json_error(*self.post("/skills/broken_json", fixture("launch.json")), 404)
        self.assertTrue(self.srv.wait_for(r"broken_json.*skill\.json:1:", EVENT_S), self.srv.log())

    def test_wrong_method_is_405(self):
        status, headers, body = self.srv.request("GET", "/skills/thank_you")
        self.assert_json_error(status, headers, body, 405)
        self.assertEqual(headers["allow"], "POST")
        status, headers, body = self.post("/healthz", b"{}")
        self.assert_json_error(status, headers, body, 405)
        self.assertEqual(headers["allow"], "GET, HEAD")
        self.assert_json_error(*self.srv.request("DELETE", "/"), 405)
        self.assert_json_error(*self.srv.request("PUT", "/metrics", b"x"), 405)

    def test_malformed_requests_are_400(self):
        doc = self.assert_json_error(*self.post("/skills/thank_you", b"{\"version\": "), 400)
        self.assertIn("line 1", doc["message"])
        doc = self.assert_json_error(*self.post("/skills/thank_you", b"{}"), 400)
        self.assertIn("version", doc["message"])
        self.assert_json_error(*self.post("/skills/thank_you", b""), 400)
        # This server runs --no-verify: a body that is not declared as JSON is
        # refused with 415 (with verification on it is a 400, see
        # test_http_hardening.py).
        doc = self.assert_json_error(*self.post(
            "/skills/thank_you", fixture("launch.json"),
            headers={"Content-Type": "application/x-www-form-urlencoded"}), 415)
        self.assertIn("Content-Type", doc["message"])
        # Alexa's own spelling is accepted.
        status, _, _ = self.post("/skills/thank_you", fixture("launch.json"),
                                 headers={"Content-Type": "application/json; charset=utf-8"})
        self.assertEqual(status, 200)

    def test_body_limit(self):
        lim = limit("BODY_BYTES")
        doc = json.loads(fixture("launch.json"))
        doc["padding"] = ""
        base = len(json.dumps(doc).encode())
        doc["padding"] = "x" * (lim - base)
        exact = json.dumps(doc).encode()
        self.assertEqual(len(exact), lim)
        status, _, body = self.post("/skills/thank_you", exact)
        self.assertEqual(status, 200, body)
        self.assert_json_error(*self.post("/skills/thank_you", exact + b" "), 413)
        # A chunked body has no length to refuse up front: it is refused at the limit.
        conn = self.srv.connection()
        conn.putrequest("POST", "/skills/thank_you")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        piece = b"x" * 16384
        for _ in range(lim // len(piece) + 2):
            conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
        conn.send(b"0\r\n\r\n")
        resp = conn.getresponse()
        self.assertEqual(resp.status, 413)
        resp.read()
        conn.close()
        # A declared length far over the limit is answered without reading the body.
        got = raw_exchange(self.srv.port,
                           b"POST /skills/thank_you HTTP/1.1\r\nHost: x\r\n"
                           b"Content-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n")
        self.assertTrue(got.startswith(b"HTTP/1.1 413"), got[:100])

    def test_header_limit(self):
        lim = limit("HTTP_HEADER_BYTES")
        status, _, _ = self.srv.request("GET", "/healthz", headers={"X-Pad": "a" * (lim // 2)})
        self.assertEqual(status, 200)
        status, headers, body = self.srv.request("GET", "/healthz",
                                                 headers={"X-Pad": "a" * lim})
        self.assertEqual(status, 431, body)
        self.assertEqual(headers["content-type"], JSON_TYPE)
        # Far over: libmicrohttpd refuses it itself, still with 431.
        got = raw_exchange(self.srv.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " +
                           b"a" * (lim * 4) + b"\r\n\r\n")
        self.assertTrue(got.startswith(b"HTTP/1.1 431"), got[:100])
        self.assertEqual(self.srv.request("GET", "/healthz")[0], 200)

    def test_failing_skills_still_answer_200(self):
        status, _, body = self.post("/skills/raises", fixture("intent_thank_you.json"))
        self.assertEqual(status, 200, body)
        self.assertTrue(speech(body))
        rid = json.loads(fixture("intent_thank_you.json"))["request"]["requestId"]
        # The traceback is in the log with the request id.
        self.assertTrue(self.srv.wait_for(r'"source":"skill","skill":"raises","request_id":"%s",.*NameError' % rid, EVENT_S),
                        self.srv.log())
        status, _, body = self.post("/skills/crashes", fixture("launch.json"))
        self.assertEqual(status, 200, body)
        self.assertTrue(speech(body))
        status, _, body = self.post("/skills/syntax_error", fixture("launch.json"))
        self.assertEqual(status, 200, body)
        status, _, body = self.post("/skills/thank_you", fixture("intent_thank_you.json"))
        self.assertEqual((status, speech(body)), (200, "You're welcome!"))

    def test_startup_report_names_broken_skills(self):
        line = self.srv.wait_for(r"skill syntax_error does not load", EVENT_S)
        self.assertTrue(line, self.srv.log())
        self.assertRegex(line, r"skill\.py:\d+")
        self.assertTrue(self.srv.wait_for(r"skill thank_you ready", EVENT_S))

    def test_metrics(self):
        for _ in range(3):
            self.post("/skills/thank_you", fixture("intent_thank_you.json"))
        self.post("/skills/raises", fixture("intent_thank_you.json"))
        status, headers, body = self.srv.request("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/plain; version=0.0.4"))
        thank_you = ('skillserver_requests_total{skill="thank_you",type="IntentRequest",'
                     'status="200"}')
        raised = 'skillserver_skill_errors_total{skill="raises",error="skill_raised"}'
        page = metrics_when(self.srv, lambda p: (metric(p, thank_you) or 0) >= 3 and
                            (metric(p, raised) or 0) >= 1)
        n = metric(page, thank_you)
        self.assertGreaterEqual(n, 3)
        self.assertGreaterEqual(metric(page, 'skillserver_request_duration_seconds_count'
                                             '{skill="thank_you"}'), 3)
        self.assertIn('skillserver_request_duration_seconds_bucket{skill="thank_you",le="+Inf"}',
                      page)
        # Verification failures exist before verification ever runs.
        self.assertEqual(metric(page, 'skillserver_verification_failures_total'
                                      '{reason="signature_mismatch"}'), 0)
        self.assertEqual(metric(page, 'skillserver_handler_timeouts_total{skill="thank_you"}'), 0)
        self.assertGreaterEqual(metric(page, raised), 1)
        for name in ("skillserver_worker_restarts_total", "skillserver_workers_running",
                     "skillserver_http_connections", "skillserver_slow_clients_total"):
            self.assertIsNotNone(metric(page, name), name)


class Tls(unittest.TestCase):
    """HTTPS with a certificate made by certs/make-endpoint-cert.sh at test time."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = temp_dir("skillserver-tls-")
        cls.cert = make_endpoint_cert(cls.tmp)
        cls.srv = Server(skills=skills_dir("thank_you"), tls=cls.cert)

    @classmethod
    def tearDownClass(cls):
        status = cls.srv.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        assert status == 0, f"serve exited with {status}:\n{cls.srv.log()}"

    def test_certificate_is_what_the_console_accepts(self):
        key = os.stat(self.cert[1])
        self.assertEqual(key.st_mode & 0o077, 0, "the private key must not be readable by others")
        text = subprocess.run(["openssl", "x509", "-in", self.cert[0], "-noout", "-text"],
                              capture_output=True, text=True, check=True).stdout
        self.assertIn("DNS:localhost", text)
        self.assertIn("Public-Key: (2048 bit)", text)
        self.assertIn("TLS Web Server Authentication", text)

    def test_https_routes(self):
        self.assertEqual(self.srv.scheme, "https")
        self.assertEqual(self.srv.request("GET", "/healthz")[:3:2], (200, b"ok"))
        status, headers, body = self.srv.request("POST", "/skills/thank_you",
                                                 fixture("intent_thank_you.json"))
        self.assertEqual((status, speech(body)), (200, "You're welcome!"))
        self.assertEqual(headers["content-type"], JSON_TYPE)
        self.assertEqual(self.srv.request("POST", "/", fixture("intent_thank_you.json"))[0], 200)

    def test_keep_alive(self):
        conn = self.srv.connection()
        conn.connect()
        sock = conn.sock
        for _ in range(20):
            status, _, body = self.srv.request("POST", "/skills/thank_you",
                                               fixture("intent_thank_you.json"), conn=conn)
            self.assertEqual(status, 200)
        self.assertIs(conn.sock, sock, "the connection was not kept alive")
        conn.close()

    def test_tls_versions(self):
        for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            with self.subTest(version=version):
                ctx = self.srv.ssl_context(minimum_version=version, maximum_version=version)
                conn = self.srv.connection(context=ctx)
                status, _, _ = self.srv.request("GET", "/healthz", conn=conn)
                self.assertEqual(status, 200)
                self.assertEqual(conn.sock.version(),
                                 "TLSv1.2" if version == ssl.TLSVersion.TLSv1_2 else "TLSv1.3")
                conn.close()
        # These versions are deprecated, which is the point: no warnings about it.
        warnings.simplefilter("ignore", DeprecationWarning)
        for version in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
            with self.subTest(version=version):
                ctx = self.srv.ssl_context()
                ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
                ctx.minimum_version = version
                ctx.maximum_version = version
                if not self.old_tls_works(ctx, version):
                    self.skipTest(f"this OpenSSL cannot speak {version.name} at all")
                with self.assertRaises((ssl.SSLError, ConnectionError)):
                    self.srv.request("GET", "/healthz", conn=self.srv.connection(context=ctx))

    def old_tls_works(self, client_ctx, version):
        """Whether client_ctx completes a handshake at version with a server that
        allows it, so that a refusal by skillserver means skillserver refused."""
        server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        server_ctx.minimum_version = version
        server_ctx.maximum_version = version
        server_ctx.load_cert_chain(*self.cert)
        listener = socket.create_server(("127.0.0.1", 0))
        port = listener.getsockname()[1]

        def serve_one():
            try:
                conn, _ = listener.accept()
                with server_ctx.wrap_socket(conn, server_side=True):
                    pass
            except (OSError, ssl.SSLError):
                pass

        t = threading.Thread(target=serve_one)
        t.start()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=EVENT_S) as raw:
                with client_ctx.wrap_socket(raw, server_hostname="localhost"):
                    return True
        except (OSError, ssl.SSLError):
            return False
        finally:
            t.join(5)
            listener.close()

    def test_plain_http_on_the_tls_port_does_no_harm(self):
        raw_exchange(self.srv.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", timeout=3)
        self.assertEqual(self.srv.request("GET", "/healthz")[0], 200)

    def handshake(self, ctx, session=None):
        """One request on a new connection with ctx (resuming session if given);
        returns (status, whether the session was resumed, the session)."""
        conn = self.srv.connection(context=ctx)
        raw = socket.create_connection(("127.0.0.1", self.srv.port), timeout=EVENT_S)
        conn.sock = ctx.wrap_socket(raw, server_hostname="localhost", session=session)
        try:
            status, _, _ = self.srv.request("POST", "/skills/thank_you",
                                            fixture("intent_thank_you.json"), conn=conn)
            # A TLS 1.3 ticket comes after the handshake; reading the answer
            # has taken it in.
            return status, conn.sock.session_reused, conn.sock.session
        finally:
            conn.close()

    def test_tls13_session_is_resumed(self):
        ctx = self.srv.ssl_context(minimum_version=ssl.TLSVersion.TLSv1_3)
        status, reused, session = self.handshake(ctx)
        self.assertEqual((status, reused), (200, False))
        self.assertTrue(session.has_ticket, "the server sent no session ticket")
        for _ in range(2):
            status, reused, session = self.handshake(ctx, session)
            self.assertEqual((status, reused), (200, True))

    def test_closes_with_close_notify(self):
        # Without close_notify the end of the stream looks like a truncation:
        # RFC 8446 §6.1 asks for it, and OpenSSL clients drop the session
        # (no resumption) when it is missing.
        raw = socket.create_connection(("127.0.0.1", self.srv.port), timeout=EVENT_S)
        with self.srv.ssl_context().wrap_socket(raw, server_hostname="localhost",
                                                suppress_ragged_eofs=False) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)  # SSLEOFError without close_notify
                if not chunk:
                    break
                data += chunk
        self.assertTrue(data.startswith(b"HTTP/1.1 200"), data)

    def test_tls12_has_no_tickets(self):
        # A TLS 1.2 ticket would hold the session's master secret under the
        # server's ticket key, which undoes forward secrecy.
        ctx = self.srv.ssl_context(maximum_version=ssl.TLSVersion.TLSv1_2)
        status, reused, session = self.handshake(ctx)
        self.assertEqual((status, reused), (200, False))
        status, reused, _ = self.handshake(ctx, session)
        self.assertEqual((status, reused), (200, False))

    def test_no_hello_retry_for_the_clients_first_group(self):
        # A TLS 1.3 client sends a key share for its first group only; the
        # server must take it rather than ask for another (HelloRetryRequest:
        # one more round trip on every new connection).
        for groups in ("X25519:P-256", "P-256:X25519", "P-384:X25519"):
            with self.subTest(groups=groups):
                out = subprocess.run(
                    ["openssl", "s_client", "-connect", f"127.0.0.1:{self.srv.port}",
                     "-servername", "localhost", "-tls1_3", "-groups", groups, "-msg"],
                    input=b"", capture_output=True, timeout=EVENT_S)
                lines = out.stdout.decode("utf-8", "replace").splitlines()
                sent = [x for x in lines if x.startswith(">>>") and x.endswith("ClientHello")]
                got = [x for x in lines if x.startswith("<<<") and x.endswith("Finished")]
                self.assertTrue(got, "no handshake:\n" + out.stderr.decode("utf-8", "replace"))
                self.assertEqual(len(sent), 1, "the server asked for another key share")

    def test_a_silent_connection_costs_no_cpu(self):
        # libmicrohttpd in epoll mode polled a connection waiting for the
        # client's part of the handshake in a loop: one silent connection
        # kept a core busy.
        def cpu_s():
            with open(f"/proc/{self.srv.proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

        with socket.create_connection(("127.0.0.1", self.srv.port)) as s:
            before = cpu_s()
            time.sleep(1.0)
            spent = cpu_s() - before
            s.sendall(b"\x16")  # half a record: the server is mid-handshake now
            time.sleep(1.0)
            spent2 = cpu_s() - before - spent
        self.assertLess(spent, 0.2, "the server was busy with a connection that sent nothing")
        self.assertLess(spent2, 0.2, "the server was busy with a connection in its handshake")
        self.assertEqual(self.srv.request("GET", "/healthz")[0], 200)


class TlsEcdsa(unittest.TestCase):
    """make-endpoint-cert.sh --key-type ecdsa: a P-256 key that only signs,
    served like the RSA one."""

    def test_ecdsa_certificate_serves(self):
        tmp = temp_dir("skillserver-ecdsa-")
        try:
            cert = make_endpoint_cert(tmp, key_type="ecdsa")
            text = subprocess.run(["openssl", "x509", "-in", cert[0], "-noout", "-text"],
                                  capture_output=True, text=True, check=True).stdout
            self.assertIn("id-ecPublicKey", text)
            self.assertIn("prime256v1", text)
            self.assertIn("DNS:localhost", text)
            usage = text.split("X509v3 Key Usage:", 1)[1].split("\n")[1].strip()
            self.assertEqual(usage, "Digital Signature")
            self.assertEqual(os.stat(cert[1]).st_mode & 0o077, 0)
            with Server(skills=skills_dir("thank_you"), tls=cert) as srv:
                for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
                    with self.subTest(version=version):
                        ctx = srv.ssl_context(minimum_version=version, maximum_version=version)
                        conn = srv.connection(context=ctx)
                        status, _, body = srv.request("POST", "/skills/thank_you",
                                                      fixture("intent_thank_you.json"), conn=conn)
                        self.assertEqual((status, speech(body)), (200, "You're welcome!"))
                        if version == ssl.TLSVersion.TLSv1_2:  # 1.3 names no signature
                            self.assertIn("ECDSA", conn.sock.cipher()[0])
                        conn.close()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_unknown_key_type_is_refused(self):
        tmp = temp_dir("skillserver-ecdsa-")
        try:
            script = os.path.join(SOURCE_ROOT, "certs", "make-endpoint-cert.sh")
            out = subprocess.run(["sh", script, "--key-type", "dsa", "localhost", tmp],
                                 capture_output=True, text=True, timeout=60)
            self.assertEqual(out.returncode, 2)
            self.assertIn("--key-type takes rsa or ecdsa", out.stderr)
            self.assertFalse(os.path.exists(os.path.join(tmp, "private-key.pem")))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class SlowClients(unittest.TestCase):
    """Connection, idle and slow-client limits."""

    def test_trickling_clients_are_cut_off_while_others_are_served(self):
        receive_s = limit("HTTP_RECEIVE_MS") / 1000
        body = fixture("intent_thank_you.json")
        with Server(skills=skills_dir("thank_you")) as srv:
            results = {}

            def trickle(name, head, rest):
                s = socket.create_connection(("127.0.0.1", srv.port))
                t0 = time.monotonic()
                s.sendall(head)
                try:
                    for i in range(len(rest)):
                        s.send(rest[i:i + 1])
                        time.sleep(1)
                        if time.monotonic() - t0 > receive_s + EVENT_S:
                            results[name] = None
                            return
                        s.settimeout(0.001)
                        try:
                            if s.recv(1) == b"":
                                raise ConnectionResetError("closed")
                        except socket.timeout:
                            pass
                        s.settimeout(None)
                    results[name] = None
                except OSError:
                    results[name] = time.monotonic() - t0
                finally:
                    s.close()

            head = (b"POST /skills/thank_you HTTP/1.1\r\nHost: x\r\nContent-Type: "
                    b"application/json\r\nContent-Length: %d\r\n\r\n" % len(body))
            threads = [
                threading.Thread(target=trickle, args=("body", head, body)),
                threading.Thread(target=trickle, args=("head", b"", head + body)),
            ]
            for t in threads:
                t.start()
            # Meanwhile the server answers others: requests sent while both
            # tricklers are still connected are answered. (How fast is a
            # question for tests/bench, not for a loaded test machine.)
            served = 0
            while all(t.is_alive() for t in threads):
                status, _, _ = srv.request("POST", "/skills/thank_you", body)
                self.assertEqual(status, 200)
                if all(t.is_alive() for t in threads):
                    served += 1
                time.sleep(0.1)
            for t in threads:
                t.join()
            self.assertGreater(served, 0, "no request was answered while the tricklers were on")
            for name in ("body", "head"):
                self.assertIsNotNone(results[name], f"the {name} trickler was never cut off")
                # Not before the limit (the server's clock starts at accept,
                # a moment before t0), and by the limit plus a generous margin.
                self.assertGreaterEqual(results[name], receive_s - 0.5)
                self.assertLess(results[name], receive_s + EVENT_S)
            page = srv.request("GET", "/metrics")[2].decode()
            self.assertGreaterEqual(metric(page, "skillserver_slow_clients_total"), 2)
            self.assertTrue(srv.wait_for(r'"aborted":"cut off: too slow"', EVENT_S), srv.log())
            self.assertEqual(srv.stop(), 0, srv.log())

    def test_connection_limit(self):
        with Server("--max-connections", "4", skills=skills_dir("thank_you")) as srv:
            conns = [srv.connection(timeout=EVENT_S) for _ in range(4)]
            for c in conns:
                self.assertEqual(srv.request("GET", "/healthz", conn=c)[0], 200)
            # A fifth connection is not served while four are open...
            extra = srv.connection(timeout=1.5)
            with self.assertRaises((socket.timeout, TimeoutError, ConnectionError)):
                srv.request("GET", "/healthz", conn=extra)
            extra.close()
            # ...and is once one of them closes.
            conns.pop().close()
            late = srv.connection(timeout=EVENT_S)
            self.assertEqual(srv.request("GET", "/healthz", conn=late)[0], 200)
            for c in conns + [late]:
                c.close()
            self.assertEqual(srv.stop(), 0, srv.log())


class Lifecycle(unittest.TestCase):
    """Signals, reload, configuration refusals, and memory over many requests."""

    def test_sigterm_drains_requests_in_flight(self):
        # The soft deadline (half the handler timeout) must not cut the 4 s sleep.
        with Server("--handler-timeout", "20", skills=skills_dir("sleeps", "thank_you")) as srv:
            result = {}

            def slow_request():
                try:
                    result["answer"] = srv.request("POST", "/skills/sleeps", fixture("launch.json"))
                except Exception as e:  # recorded for the assertion below
                    result["error"] = e

            t = threading.Thread(target=slow_request)
            t.start()
            # The skill says it is going to sleep, and sleeps 4 s: the
            # request is in flight when the signal comes.
            self.assertTrue(srv.wait_for(r'"skill":"sleeps".*going to sleep', EVENT_S), srv.log())
            srv.proc.send_signal(signal.SIGTERM)
            self.assertTrue(srv.wait_for("stopping", EVENT_S), srv.log())
            # No new connections are taken while draining.
            with self.assertRaises(OSError):
                srv.request("GET", "/healthz", timeout=0.5)
            t.join(EVENT_S)
            self.assertFalse(t.is_alive(), "the request in flight was never answered")
            self.assertNotIn("error", result)
            status, headers, body = result["answer"]
            self.assertEqual((status, speech(body)), (200, "I woke up."))
            self.assertEqual(headers.get("connection"), "close")
            self.assertEqual(srv.stop(), 0, srv.log())
            self.assertTrue(srv.wait_for("stopped", EVENT_S))
            with self.assertRaises(OSError):
                socket.create_connection(("127.0.0.1", srv.port), timeout=2)

    def test_sigint_stops_too(self):
        srv = Server(skills=skills_dir("thank_you"))
        self.assertEqual(srv.request("GET", "/healthz")[0], 200)
        self.assertEqual(srv.stop(signal.SIGINT), 0, srv.log())

    def test_sighup_reloads_under_load_without_failing_a_request(self):
        skills = skills_dir(files={"version/skill.py": version_skill("version one")})
        srv = Server(skills=skills)
        self.addCleanup(srv.stop)  # also when an assertion fails half-way
        # Skills load after the server listens: version one must be up before
        # the load starts, or the reload below may come first.
        self.assertTrue(srv.wait_for(r"skill version ready", 60), srv.log())
        body = fixture("launch.json")
        stop = threading.Event()
        answers, errors = [], []

        def load():
            conn = srv.connection(timeout=EVENT_S)
            while not stop.is_set():
                try:
                    sent = time.monotonic()
                    status, _, got = srv.request("POST", "/skills/version", body, conn=conn)
                    answers.append((sent, status, speech(got) if status == 200 else got))
                except Exception as e:  # every failure counts against the reload
                    errors.append(repr(e))
                    conn.close()
                    conn = srv.connection(timeout=EVENT_S)
            conn.close()

        def wait_for_answers(n, since=0.0):
            """Until n requests sent after since were answered (or errors)."""
            deadline = time.monotonic() + EVENT_S
            while time.monotonic() < deadline and not errors:
                if sum(1 for a in list(answers) if a[0] > since) >= n:
                    return
                time.sleep(0.05)
            self.fail(f"fewer than {n} answers: {errors or answers[-5:]}")

        threads = [threading.Thread(target=load) for _ in range(3)]
        for t in threads:
            t.start()
        try:
            wait_for_answers(20)
            with open(os.path.join(skills, "version", "skill.py"), "w") as f:
                f.write(version_skill("version two"))
            mark = len(srv.lines)
            srv.proc.send_signal(signal.SIGHUP)
            self.assertTrue(srv.wait_for(r"skills? loaded", EVENT_S, start=mark), srv.log())
            # The server logs this after the new set is current: whatever is
            # sent from now on is answered by version two.
            reloaded_at = time.monotonic()
            wait_for_answers(20, since=reloaded_at)
            # A broken version is refused and the working one keeps serving.
            with open(os.path.join(skills, "version", "skill.py"), "w") as f:
                f.write("from skillkit import launch\n\n@launch\ndef welcome(req)\n    pass\n")
            mark = len(srv.lines)
            srv.proc.send_signal(signal.SIGHUP)
            line = srv.wait_for(r"skill version does not load", EVENT_S, start=mark)
            self.assertTrue(line, srv.log())
            self.assertRegex(line, r"skill\.py:4")
            self.assertIn("keeps serving", line)
            self.assertTrue(srv.wait_for(r"skills? loaded", EVENT_S, start=mark), srv.log())
            wait_for_answers(20, since=time.monotonic())
        finally:
            stop.set()
            for t in threads:
                t.join()
        self.assertEqual(errors, [])
        self.assertGreater(len(answers), 50)
        self.assertEqual({a[1] for a in answers}, {200})
        texts = [a[2] for a in answers]
        self.assertEqual(set(texts), {"version one", "version two"})
        self.assertEqual({a[2] for a in answers if a[0] > reloaded_at}, {"version two"})
        self.assertEqual(srv.stop(), 0, srv.log())
        shutil.rmtree(skills, ignore_errors=True)

    def test_dev_reloads_a_changed_skill(self):
        skills = skills_dir(files={"version/skill.py": version_skill("version one")})
        with Server("--dev", skills=skills) as srv:
            body = fixture("launch.json")
            self.assertEqual(speech(srv.request("POST", "/skills/version", body)[2]),
                             "version one")
            with open(os.path.join(skills, "version", "skill.py"), "w") as f:
                f.write(version_skill("version two, in dev mode"))
            self.assertTrue(srv.wait_for(r"skills? loaded", EVENT_S), srv.log())
            self.assertEqual(speech(srv.request("POST", "/skills/version", body)[2]),
                             "version two, in dev mode")
            # A broken save: the last good version keeps answering, and the
            # log names the file and line of the mistake.
            mark = len(srv.lines)
            with open(os.path.join(skills, "version", "skill.py"), "w") as f:
                f.write("from skillkit import launch\n\n@launch\ndef welcome(req)\n"
                        "    return 'broken'\n")
            self.assertTrue(srv.wait_for(r"skill\.py:4", EVENT_S, start=mark), srv.log())
            self.assertEqual(speech(srv.request("POST", "/skills/version", body)[2]),
                             "version two, in dev mode")
            self.assertEqual(srv.stop(), 0, srv.log())
        shutil.rmtree(skills, ignore_errors=True)

    def test_verification_is_on_by_default(self):
        with Server(skills=skills_dir("thank_you"), verify=True) as srv:
            self.assertTrue(srv.wait_for("requests verified", EVENT_S), srv.log())
            status, headers, body = srv.request("POST", "/skills/thank_you",
                                                fixture("intent_thank_you.json"))
            self.assertEqual(status, 400, body)
            self.assertEqual(json.loads(body)["error"], "request verification failed")
            # Unsigned: refused for a missing header (which one is checked first
            # is verify's business), counted under that reason, and logged.
            page = srv.request("GET", "/metrics")[2].decode()
            failures = {line.split('"')[1]: float(line.split()[-1]) for line in page.splitlines()
                        if line.startswith("skillserver_verification_failures_total{")}
            self.assertEqual(sum(failures.values()), 1, failures)
            reason = [k for k, v in failures.items() if v == 1][0]
            self.assertIn(reason, ("cert_url_missing", "signature_missing"))
            self.assertTrue(srv.wait_for(r'"verify":"%s"' % reason, EVENT_S), srv.log())
            self.assertEqual(srv.stop(), 0, srv.log())

    def test_refused_configurations(self):
        skills = skills_dir("thank_you")
        data = temp_dir("skillserver-data-")

        def serve(*args):
            return subprocess.run([SKILLSERVER, "serve", "--skills", skills, "--data", data,
                                   *args], capture_output=True, text=True, timeout=60)

        p = serve("--listen", "0.0.0.0:0", "--no-tls", "--no-verify")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("--allow-unverified-public", p.stderr)
        p = serve("--listen", "127.0.0.1:0")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("--tls-cert", p.stderr)
        p = serve("--no-tls", "--tls-cert", "x.pem", "--tls-key", "y.pem")
        self.assertEqual(p.returncode, 2, p.stderr)
        p = serve("--listen", "127.0.0.1:0", "--tls-cert", "x.pem")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("go together", p.stderr)
        p = serve("--listen", "nonsense", "--no-tls")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("ADDR:PORT", p.stderr)
        p = serve("--listen", "127.0.0.1:0", "--tls-cert", "/nonexistent.pem",
                  "--tls-key", "/nonexistent.key")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("/nonexistent.pem", p.stderr)
        p = serve("--no-tls", "--workers", "0")
        self.assertEqual(p.returncode, 2, p.stderr)
        p = serve("--no-tls", "extra-argument")
        self.assertEqual(p.returncode, 2, p.stderr)
        with Server(skills=skills) as first:
            p = serve("--listen", f"127.0.0.1:{first.port}", "--no-tls", "--no-verify")
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertIn("cannot serve", p.stderr)
            self.assertEqual(first.stop(), 0)
        # With the explicit flag it starts, and says so loudly.
        with Server("--allow-unverified-public", "--listen", "0.0.0.0:0",
                    skills=skills) as srv:
            self.assertTrue(srv.wait_for("ANYONE", EVENT_S), srv.log())
            self.assertEqual(srv.stop(), 0, srv.log())
        shutil.rmtree(skills, ignore_errors=True)
        shutil.rmtree(data, ignore_errors=True)

    def test_default_certificate_in_the_data_folder(self):
        data = temp_dir("skillserver-data-")
        cert = make_endpoint_cert(os.path.join(data, "tls"))
        srv = Server("--data", data, skills=skills_dir("thank_you"), tls=False)
        try:
            self.assertEqual(srv.scheme, "https", srv.log())
            srv.tls = cert
            self.assertEqual(srv.request("GET", "/healthz")[0], 200)
        finally:
            self.assertEqual(srv.stop(), 0, srv.log())
            shutil.rmtree(data, ignore_errors=True)

    def test_no_growth_over_10000_requests(self):
        body = fixture("intent_thank_you.json")
        with Server(skills=skills_dir("thank_you")) as srv:
            failures = []

            def run(n):
                conn = srv.connection()
                for _ in range(n):
                    status, _, _ = srv.request("POST", "/skills/thank_you", body, conn=conn)
                    if status != 200:
                        failures.append(status)
                conn.close()

            def burst(total, threads=4):
                ts = [threading.Thread(target=run, args=(total // threads,))
                      for _ in range(threads)]
                for t in ts:
                    t.start()
                for t in ts:
                    t.join()

            # (How fast they are answered is measured by tests/bench/run.sh.)
            burst(1000)  # warm up: worker, allocator arenas, connection pools
            rss_warm = srv.rss_kb()
            burst(9000)
            rss_end = srv.rss_kb()
            self.assertEqual(failures, [])
            if not uses_asan(srv.proc.pid):
                # (Under ASan the quarantine grows memory by design; its leak
                # check at exit, through the 0 exit status, is the test there.)
                self.assertLess(rss_end - rss_warm, 4096,
                                f"RSS grew from {rss_warm} to {rss_end} KiB")
            total = ('skillserver_requests_total{skill="thank_you",type="IntentRequest",'
                     'status="200"}')
            page = metrics_when(srv, lambda p: metric(p, total) == 10000 and
                                metric(p, "skillserver_http_requests_in_flight") == 1)
            self.assertEqual(metric(page, total), 10000)
            self.assertEqual(metric(page, "skillserver_http_requests_in_flight"), 1)
            self.assertEqual(srv.stop(), 0, srv.log())


class Verified(unittest.TestCase):
    """Verification on: a request signed with the test chain (certs/make-test-chain.sh,
    fetched from tests/chain_host.py through --cert-connect-to) is answered; the
    same request tampered with, or stale, is refused with 400 before any skill runs."""

    URL = "https://s3.amazonaws.com/echo.api/echo-api-cert.pem"

    @classmethod
    def setUpClass(cls):
        cls.dir = temp_dir("skillserver-verified-")
        subprocess.run(["sh", os.path.join(SOURCE_ROOT, "certs", "make-test-chain.sh"), cls.dir],
                       check=True, capture_output=True, timeout=120)
        www = os.path.join(cls.dir, "www", "echo.api")
        os.makedirs(www)
        shutil.copy(os.path.join(cls.dir, "chain.pem"), os.path.join(www, "echo-api-cert.pem"))
        port_file = os.path.join(cls.dir, "port")
        cls.host = subprocess.Popen(
            ["python3", os.path.join(SOURCE_ROOT, "tests", "chain_host.py"),
             "--root", os.path.join(cls.dir, "www"), "--cert", os.path.join(cls.dir, "s3.pem"),
             "--key", os.path.join(cls.dir, "s3.key"), "--port-file", port_file,
             "--log", os.path.join(cls.dir, "host.log")])
        port = wait_for_port_file(port_file, cls.host)
        cls.srv = Server("--trust-ca", os.path.join(cls.dir, "root.pem"),
                         "--cert-connect-to", f"s3.amazonaws.com:443:127.0.0.1:{port}",
                         skills=skills_dir("thank_you"), verify=True)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()  # fails unless serve exited 0
        finally:
            cls.host.terminate()
            host_status = cls.host.wait(60)
            shutil.rmtree(cls.dir, ignore_errors=True)
        assert host_status == 0, f"the chain host exited with {host_status}"

    def signed(self, body):
        path = os.path.join(self.dir, "body.json")
        with open(path, "wb") as f:
            f.write(body)
        p = subprocess.run([SKILLSERVER, "sign", "--key", os.path.join(self.dir, "leaf.key"),
                            "--cert-url", self.URL, path], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return dict(line.split(": ", 1) for line in p.stdout.splitlines())

    def fresh_request(self, request_id, age_s=0):
        doc = json.loads(fixture("intent_thank_you.json"))
        doc["request"]["requestId"] = request_id
        doc["request"]["timestamp"] = time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                    time.gmtime(time.time() - age_s))
        return json.dumps(doc).encode()

    def access(self, request_id):
        self.assertTrue(self.srv.wait_for(r'"source":"access","request_id":"%s"' % request_id,
                                          EVENT_S),
                        self.srv.log())
        for e in self.srv.access_log():
            if e.get("request_id") == request_id:
                return e
        return None

    def test_signed_request_is_answered(self):
        body = self.fresh_request("amzn1.echo-api.request.signed-ok")
        status, _, got = self.srv.request("POST", "/skills/thank_you", body,
                                          headers=self.signed(body))
        self.assertEqual((status, speech(got)), (200, "You're welcome!"))
        e = self.access("amzn1.echo-api.request.signed-ok")
        self.assertEqual(e["verify"], "ok")
        self.assertGreater(e["verify_us"], 0)

    def test_tampered_or_stale_requests_are_refused(self):
        body = self.fresh_request("amzn1.echo-api.request.signed-tampered")
        headers = self.signed(body)
        status, _, got = self.srv.request("POST", "/skills/thank_you", body + b" ",
                                          headers=headers)
        self.assertEqual(status, 400, got)
        self.assertEqual(json.loads(got)["error"], "request verification failed")
        stale = self.fresh_request("amzn1.echo-api.request.signed-stale",
                                   age_s=limit("VERIFY_TIMESTAMP_S") + 60)
        status, _, got = self.srv.request("POST", "/skills/thank_you", stale,
                                          headers=self.signed(stale))
        self.assertEqual(status, 400, got)
        refused = 'skillserver_requests_total{skill="thank_you",type="none",status="400"}'
        page = metrics_when(self.srv, lambda p: metric(p, refused) == 2)
        self.assertEqual(metric(page, 'skillserver_verification_failures_total'
                                      '{reason="signature_mismatch"}'), 1)
        self.assertEqual(metric(page, 'skillserver_verification_failures_total'
                                      '{reason="timestamp_too_old"}'), 1)
        # Neither reached dispatch: it would have counted them under their request type.
        self.assertEqual(metric(page, refused), 2)
        self.assertEqual(metric(page, 'skillserver_requests_total{skill="thank_you",'
                                      'type="IntentRequest",status="400"}'), 0)


def save(root, rel, content):
    """Write root/rel the way an editor saves: a hidden file beside it, then
    renamed over it, so a watcher never reads a half-written file."""
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".saving")
    with open(tmp, "w") as f:
        f.write(content if isinstance(content, str) else json.dumps(content))
    os.replace(tmp, path)


def skill_processes(folder):
    """The pids of the processes running the skill whose folder this is
    (its zygote's monitor, the zygote, its workers: skillserver-worker, told
    by --root FOLDER)."""
    want = os.fsencode(os.path.realpath(folder))
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if (os.path.basename(args[0]) == b"skillserver-worker"
                and any(a == b"--root" and b == want
                        for a, b in zip(args, args[1:]))):
            pids.append(int(entry))
    return pids


# A Lambda-style skill with two handlers that say which one runs and what
# its environment holds.
GREETER = """import os


def speak(text):
    return {"version": "1.0", "response": {
        "outputSpeech": {"type": "PlainText", "text": text}, "shouldEndSession": True}}


def first(event, context):
    return speak("first says " + os.environ.get("GREETING", "nothing"))


def second(event, context):
    return speak("second says " + os.environ.get("GREETING", "nothing"))
"""


class Reload(unittest.TestCase):
    """serve --dev: a change to any file that defines a skill (its settings,
    its code at any depth, a project's files) starts a new generation with
    a fresh description, and an edit that breaks the skill keeps the last
    good version answering."""

    def edit(self, srv, root, rel, content, expect=r"skills? loaded"):
        """Save a file and wait until the server has reloaded the skills."""
        mark = len(srv.lines)
        save(root, rel, content)
        line = srv.wait_for(expect, EVENT_S, start=mark)
        self.assertTrue(line, srv.log())
        self.assertTrue(srv.wait_for(r"skills? loaded", EVENT_S, start=mark), srv.log())
        return line

    def test_dev_reload_takes_the_new_environment_and_handler(self):
        skills = skills_dir(files={
            "greeter/app.py": GREETER,
            "greeter/skill.json": json.dumps({"handler": "app.first",
                                              "environment": {"GREETING": "hello"}})})
        body = fixture("launch.json")
        # A fresh worker for every request: each one is forked from the
        # zygote, so each answer shows what the current zygote was given.
        with Server("--dev", "--fresh-worker", skills=skills) as srv:
            def ask():
                status, _, got = srv.request("POST", "/skills/greeter", body)
                self.assertEqual(status, 200, got)
                return speech(got)

            self.assertTrue(srv.wait_for(r"skill greeter ready", EVENT_S), srv.log())
            self.assertEqual(ask(), "first says hello")
            self.edit(srv, skills, "greeter/skill.json",
                      {"handler": "app.first", "environment": {"GREETING": "bonjour"}})
            self.assertEqual(ask(), "first says bonjour")
            self.edit(srv, skills, "greeter/skill.json",
                      {"handler": "app.second", "environment": {"GREETING": "bonjour"}})
            self.assertEqual(ask(), "second says bonjour")

            # A skill.json that does not parse: the last good version keeps
            # answering, and the log says where the mistake is.
            line = self.edit(srv, skills, "greeter/skill.json", '{"handler": "app.first",\n',
                             expect=r"skill greeter does not load")
            self.assertRegex(line, r"skill\.json:2")
            self.assertIn("keeps serving", line)
            self.assertEqual(ask(), "second says bonjour")
            # A handler that is not there is refused the same way.
            line = self.edit(srv, skills, "greeter/skill.json", {"handler": "app.third"},
                             expect=r"skill greeter does not load")
            self.assertIn("third", line)
            self.assertEqual(ask(), "second says bonjour")
            self.edit(srv, skills, "greeter/skill.json",
                      {"handler": "app.first", "environment": {"GREETING": "hallo"}})
            self.assertEqual(ask(), "first says hallo")

            # When the skill's processes die (the OOM killer, an operator),
            # the zygote started in their place is the current version, not
            # the one the server started with.
            pids = skill_processes(os.path.join(skills, "greeter"))
            self.assertTrue(pids, "no process of the skill was found")
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            answers = [ask() for _ in range(3)]
            self.assertEqual(answers[-1], "first says hallo", answers)
            self.assertFalse([a for a in answers if "hello" in a or "second" in a], answers)
            self.assertEqual(srv.stop(), 0, srv.log())

    def test_dev_reload_sees_every_file_of_a_project(self):
        # An ASK CLI v2 project: the handler in lambda/, a module beside it,
        # the skill id in .ask/. None of these is at the top of the folder.
        other = "amzn1.ask.skill.22222222-2222-2222-2222-222222222222"
        skills = skills_dir(files={
            "project/ask-resources.json": json.dumps({
                "askcliResourcesVersion": "2020-03-31",
                "profiles": {"default": {
                    "skillMetadata": {"src": "./skill-package"},
                    "code": {"default": {"src": "./lambda"}},
                    "skillInfrastructure": {"type": "@ask-cli/lambda-deployer",
                                            "userConfig": {"runtime": "python3.11",
                                                           "handler": "app.handle"}}}}}),
            "project/skill-package/skill.json": json.dumps({"manifest": {
                "publishingInformation": {"locales": {"en-US": {"name": "Project"}}},
                "apis": {"custom": {}}, "manifestVersion": "1.0"}}),
            "project/.ask/ask-states.json": json.dumps({
                "askcliStatesVersion": "2020-03-31",
                "profiles": {"default": {"skillId": APPID}}}),
            "project/lambda/words.py": "TEXT = 'words one'\n",
            "project/lambda/app.py": (
                "import words\n\n\ndef handle(event, context):\n"
                "    return {'version': '1.0', 'response': {'outputSpeech': {\n"
                "        'type': 'PlainText', 'text': words.TEXT}, 'shouldEndSession': True}}\n"),
        })
        body = fixture("launch.json")
        with Server("--dev", skills=skills) as srv:
            def ask(app_id):
                status, _, got = srv.request("POST", "/skills/project",
                                             with_application(body, app_id))
                return status, speech(got) if status == 200 else json.loads(got)["error"]

            self.assertTrue(srv.wait_for(r"skill project ready", EVENT_S), srv.log())
            self.assertEqual(ask(APPID), (200, "words one"))
            self.edit(srv, skills, "project/lambda/words.py", "TEXT = 'words two'\n")
            self.assertEqual(ask(APPID), (200, "words two"))
            # The skill id is the project's: a new one in .ask/ is the one
            # requests must carry from the next request on.
            self.edit(srv, skills, "project/.ask/ask-states.json", {
                "askcliStatesVersion": "2020-03-31",
                "profiles": {"default": {"skillId": other}}})
            self.assertEqual(ask(other), (200, "words two"))
            self.assertEqual(ask(APPID)[0], 400)
            # A module that no longer imports: the last good version answers,
            # and the log names the file and line.
            line = self.edit(srv, skills, "project/lambda/words.py", "TEXT = (\n",
                             expect=r"skill project does not load")
            self.assertRegex(line, r"words\.py:1")
            self.assertEqual(ask(other), (200, "words two"))
            self.assertEqual(srv.stop(), 0, srv.log())


class SkillFailures(unittest.TestCase):
    """A skill that runs away or dies costs its own request, not the others'."""

    def test_runaway_and_crash_answered_while_another_skill_answers(self):
        timeout_s = 8  # the runaway's hard deadline: long enough to ask others meanwhile
        with Server("--handler-timeout", str(timeout_s),
                    skills=skills_dir("blocks_alarm", "crashes", "thank_you")) as srv:
            results = {}

            def call(name, skill, body):
                t0 = time.monotonic()
                results[name] = srv.request("POST", f"/skills/{skill}", body,
                                            timeout=timeout_s + EVENT_S) + (time.monotonic() - t0,)

            runaway = threading.Thread(target=call, args=("loops", "blocks_alarm",
                                                          fixture("launch.json")))
            crash = threading.Thread(target=call, args=("crashes", "crashes",
                                                        fixture("launch.json")))
            # The runaway starts alone, and the others follow once its
            # handler runs (the skill says so in the log): a connection
            # accepted before that can share its libmicrohttpd thread and
            # wait for it, which is known and not what this test is about.
            runaway.start()
            self.assertTrue(srv.wait_for(r'"skill":"blocks_alarm".*blocking the soft deadline', EVENT_S),
                            srv.log())
            crash.start()
            for _ in range(5):
                status, _, body = srv.request("POST", "/skills/thank_you",
                                              fixture("intent_thank_you.json"))
                self.assertEqual((status, speech(body)), (200, "You're welcome!"))
            crash.join(EVENT_S)
            # All answered while the runaway still ran: nobody waited for it.
            self.assertTrue(runaway.is_alive(), "the runaway was answered before the others")
            runaway.join(timeout_s + EVENT_S)
            for name in ("loops", "crashes"):
                status, _, body, took = results[name]
                self.assertEqual(status, 200, body)
                self.assertTrue(speech(body))
            # Stopped by its deadline, not before; by how much after is the
            # machine's business, bounded only to catch a missed deadline.
            self.assertGreaterEqual(results["loops"][3], timeout_s - 0.5)
            self.assertLess(results["loops"][3], timeout_s + EVENT_S)
            page = metrics_when(srv, lambda p: (metric(p, "skillserver_worker_restarts_total")
                                                or 0) >= 1)
            self.assertEqual(metric(page, 'skillserver_handler_timeouts_total'
                                          '{skill="blocks_alarm"}'), 1)
            self.assertGreaterEqual(metric(page, "skillserver_worker_restarts_total"), 1)
            # The crashed and the killed worker were replaced.
            self.assertEqual(srv.request("POST", "/skills/crashes", fixture("launch.json"))[0], 200)
            self.assertEqual(srv.stop(), 0, srv.log())


if __name__ == "__main__":
    unittest.main()
