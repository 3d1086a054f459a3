"""The HTTP holes of issue 9, end to end against the real `skillserver serve`
over real sockets: request smuggling shapes (answered 400, connection
closed, nothing after the head answered), the loopback Host, Origin and JSON
Content-Type rules of the routes that run skills unverified (--no-verify,
the --dev simulator), --dev and --no-verify refused off loopback, the
per-address connection cap, a hostile run whose whole log is read back as
bytes, and /metrics on a listener of its own or turned off."""
import json
import os
import re
import signal
import socket
import subprocess
import time
import unittest

from harness import FIXTURES, SKILLSERVER, Server, copy_skills, limit, temp_dir

JSON_TYPE = "application/json;charset=UTF-8"


def fixture(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


def skills_dir(*names, files=None):
    """A temporary skills folder with copies of bundled or test skills, plus
    files {"skill/file": text}."""
    root = temp_dir("skillserver-hardening-")
    return copy_skills(root, names, files)


def ready(srv, *names):
    """Wait until the named skills have loaded: the server listens first and
    loads its skills after, and a first request's deadline counts from its
    arrival (starting CPython under ASan on a busy machine can take seconds)."""
    for name in names or ("thank_you",):
        assert srv.wait_for(r"skill %s ready" % name, 120), srv.log()
    return srv


def speech(body):
    out = json.loads(body)["response"]["outputSpeech"]
    return out.get("text") or out.get("ssml")


def exchange(port, data, timeout=5, source="127.0.0.1"):
    """Send data on a fresh connection; returns (bytes received, closed): closed
    is True when the server ended the connection, False when it was still open
    after timeout seconds of silence."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(source, 0))
    got = b""
    closed = False
    try:
        s.sendall(data)
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            got += chunk
    finally:
        s.close()
    return got, closed


def responses(data):
    """The HTTP responses in data, in order, as (status, head bytes, body bytes),
    each body cut at its Content-Length. Whatever follows that is not a
    response is left out (libmicrohttpd 0.9.75 sends the head of its own
    error pages twice, the second time inside the first one's body)."""
    out = []
    while data.startswith(b"HTTP/1."):
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            break
        m = re.search(rb"\r\nContent-Length: (\d+)", head, re.I)
        n = int(m.group(1)) if m else len(rest)
        out.append((int(head[9:12]), head, rest[:n]))
        data = rest[n:]
    return out


def statuses(data):
    """The status codes of every HTTP response in data, in order."""
    return [r[0] for r in responses(data)]


def json_error(test, data, status):
    """Check that data is exactly one response with status and a short JSON
    error; returns the error document."""
    test.assertEqual(statuses(data), [status], data[:300])
    _, head, body = responses(data)[0]
    test.assertIn(b"Content-Type: " + JSON_TYPE.encode(), head)
    doc = json.loads(body)
    test.assertIsInstance(doc["error"], str)
    test.assertIsInstance(doc["message"], str)
    test.assertLess(len(body), 1024)
    return doc


def wait_for_file(path, pattern, timeout, proc):
    """The first line of the log file at path matching pattern, or None."""
    rx = re.compile(pattern.encode())
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(path, "rb") as f:
            for line in f.read().split(b"\n"):
                if rx.search(line):
                    return line
        if proc.poll() is not None:
            return None
        time.sleep(0.1)
    return None


class Smuggling(unittest.TestCase):
    """Heads whose body length a proxy in front could read differently: 400,
    Connection: close, the connection closed, and the bytes after the head
    never answered as a request of their own. The access handler sees the head
    before libmicrohttpd reads a byte of the body, and answers then."""

    @classmethod
    def setUpClass(cls):
        cls.srv = ready(Server(skills=skills_dir("thank_you")))
        cls.body = fixture("intent_thank_you.json")
        cls.host = b"Host: 127.0.0.1:%d\r\n" % cls.srv.port
        # What a smuggler hides in the body: a request of its own.
        cls.hidden = b"GET /healthz HTTP/1.1\r\n" + cls.host + b"\r\n"

    @classmethod
    def tearDownClass(cls):
        status = cls.srv.stop()
        assert status == 0, f"serve exited with {status}:\n{cls.srv.log()}"

    def post_head(self, *headers, version=b"HTTP/1.1"):
        return (b"POST /skills/thank_you " + version + b"\r\n" + self.host +
                b"Content-Type: application/json\r\n" + b"".join(h + b"\r\n" for h in headers) +
                b"\r\n")

    def assert_refused(self, data, words):
        got, closed = exchange(self.srv.port, data)
        doc = json_error(self, got, 400)
        self.assertEqual(doc["error"], "request framing is ambiguous")
        self.assertIn(words, doc["message"])
        self.assertIn(b"\r\nConnection: close\r\n", responses(got)[0][1] + b"\r\n")
        self.assertTrue(closed, "the connection was left open")
        self.assertNotIn(b"\r\n\r\nok", got, "the hidden request was answered")
        return doc

    def test_two_different_lengths(self):
        n = len(self.body)
        self.assert_refused(self.post_head(b"Content-Length: %d" % n,
                                           b"Content-Length: %d" % (n + len(self.hidden))) +
                            self.body + self.hidden, "more than one Content-Length")
        # The other order: the first one would have hidden nothing.
        self.assert_refused(self.post_head(b"Content-Length: %d" % (n + len(self.hidden)),
                                           b"Content-Length: %d" % n) +
                            self.body + self.hidden, "more than one Content-Length")

    def test_two_equal_lengths_are_refused_too(self):
        # RFC 9110 §8.6 allows taking equal values as one; refusing keeps the
        # rule "exactly one Content-Length line" (libmicrohttpd already refuses
        # the one-line list "5, 5", and Alexa sends one).
        n = len(self.body)
        self.assert_refused(self.post_head(b"Content-Length: %d" % n, b"Content-Length: %d" % n) +
                            self.body + self.hidden, "more than one Content-Length")
        got, closed = exchange(self.srv.port, self.post_head(b"Content-Length: %d, %d" % (n, n)) +
                               self.body)
        self.assertEqual(statuses(got), [400], got[:200])
        self.assertTrue(closed)

    def test_length_with_chunked(self):
        chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(self.body), self.body)
        # Chunked says the body ends after the last chunk; Content-Length 4
        # says after "5a0\r" (or 0: the whole chunked body is the next request).
        for length in (4, 0, len(chunked) + len(self.hidden)):
            with self.subTest(length=length):
                self.assert_refused(self.post_head(b"Content-Length: %d" % length,
                                                   b"Transfer-Encoding: chunked") +
                                    chunked + self.hidden, "both Content-Length")
        self.assert_refused(self.post_head(b"Transfer-Encoding: chunked", b"Content-Length: 4") +
                            chunked + self.hidden, "both Content-Length")

    def test_codings_other_than_chunked(self):
        for te in (b"xchunked", b"identity", b"gzip, chunked", b"chunked, identity"):
            with self.subTest(te=te):
                self.assert_refused(self.post_head(b"Transfer-Encoding: " + te) + self.hidden,
                                    "only Transfer-Encoding")
        self.assert_refused(self.post_head(b"Transfer-Encoding: chunked",
                                           b"Transfer-Encoding: chunked") + self.hidden,
                            "more than one Transfer-Encoding")
        self.assert_refused(self.post_head(b"Transfer-Encoding: chunked", version=b"HTTP/1.0") +
                            b"0\r\n\r\n" + self.hidden, "HTTP/1.0")

    def test_malformed_header_names_and_values(self):
        n = len(self.body)
        # libmicrohttpd would keep "Content-Length " as a header of another
        # name and read no body; a lenient proxy reads n bytes.
        self.assert_refused(self.post_head(b"Content-Length : %d" % n) + self.body,
                            "header name")
        self.assert_refused(self.post_head(b"X-Pad: a\rContent-Length: 0",
                                           b"Content-Length: %d" % n) + self.body,
                            "control character")
        self.assert_refused(b"GET /healthz HTTP/1.1\r\n" + self.host + self.host + b"\r\n",
                            "more than one Host")

    def test_no_host_in_http11(self):
        got, closed = exchange(self.srv.port, b"GET /healthz HTTP/1.1\r\n\r\n")
        self.assertEqual(statuses(got), [400], got[:200])
        self.assertTrue(closed)

    def test_chunked_alone_is_read_by_its_chunks(self):
        # The one Transfer-Encoding taken: the body ends at the last chunk,
        # and what follows is the next request on the same connection.
        chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(self.body), self.body)
        got, closed = exchange(self.srv.port,
                               self.post_head(b"Transfer-Encoding: chunked") + chunked +
                               self.hidden, timeout=3)
        self.assertEqual(statuses(got), [200, 200], got[:300])
        self.assertIn(b"You're welcome!", got)
        self.assertEqual(responses(got)[1][2], b"ok")
        self.assertFalse(closed, "a well-framed request keeps its connection")

    def test_refusals_are_logged(self):
        exchange(self.srv.port, self.post_head(b"Content-Length: 1", b"Content-Length: 2") + b"xy")
        self.assertTrue(self.srv.wait_for(r'"status":400.*"error":"FRAMING"', 10), self.srv.log())


class LocalOnly(unittest.TestCase):
    """Routes that run skills unverified answer only requests addressed to this
    machine (a loopback Host, and Origin when there is one; else 403) with a
    JSON Content-Type (else 415): what no web page on another site can make a
    browser send. Nothing of a refused request reaches a skill."""

    @classmethod
    def setUpClass(cls):
        cls.srv = ready(Server(skills=skills_dir("thank_you")))
        cls.body = fixture("intent_thank_you.json")
        cls.local = f"127.0.0.1:{cls.srv.port}"

    @classmethod
    def tearDownClass(cls):
        status = cls.srv.stop()
        assert status == 0, f"serve exited with {status}:\n{cls.srv.log()}"

    def post(self, headers, path="/skills/thank_you", body=None, srv=None):
        srv = srv or self.srv
        hdrs = {"Host": f"127.0.0.1:{srv.port}", "Content-Type": "application/json"}
        hdrs.update(headers)
        hdrs = {k: v for k, v in hdrs.items() if v is not None}
        conn = srv.connection()
        try:
            conn.putrequest("POST", path, skip_host=True, skip_accept_encoding=True)
            data = self.body if body is None else body
            for k, v in hdrs.items():
                conn.putheader(k, v)
            conn.putheader("Content-Length", str(len(data)))
            conn.endheaders(data)
            resp = conn.getresponse()
            return resp.status, dict((k.lower(), v) for k, v in resp.getheaders()), resp.read()
        finally:
            conn.close()

    def assert_refused(self, answer, status, words):
        got_status, headers, body = answer
        self.assertEqual(got_status, status, body)
        self.assertEqual(headers["content-type"], JSON_TYPE)
        doc = json.loads(body)
        self.assertIn(words, doc["message"])
        return doc

    def test_loopback_hosts_are_served(self):
        for host in (self.local, "127.0.0.1", "localhost", f"localhost:{self.srv.port}",
                     f"LOCALHOST:{self.srv.port}", "127.1.2.3:80", "[::1]", f"[::1]:{self.srv.port}"):
            with self.subTest(host=host):
                status, _, body = self.post({"Host": host})
                self.assertEqual((status, speech(body)), (200, "You're welcome!"))
        status, _, _ = self.post({"Origin": f"http://localhost:{self.srv.port}"})
        self.assertEqual(status, 200)
        status, _, _ = self.post({"Content-Type": "application/json; charset=utf-8"})
        self.assertEqual(status, 200)

    def test_other_hosts_are_403(self):
        for host in ("evil.example", f"evil.example:{self.srv.port}",
                     f"rebind-to-127-0-0-1.evil.example:{self.srv.port}", "10.0.0.7:8443",
                     "localhost.evil.example", "127.0.0.1.evil.example", "0.0.0.0"):
            with self.subTest(host=host):
                doc = self.assert_refused(self.post({"Host": host}), 403, "Host")
                self.assertEqual(doc["error"], "request is not addressed to this machine")
                self.assertIn(host, doc["message"])
        # Also on /, and on a skill that does not exist (nothing is told about it).
        self.assert_refused(self.post({"Host": "evil.example"}, path="/"), 403, "Host")
        self.assert_refused(self.post({"Host": "evil.example"}, path="/skills/nope"), 403, "Host")
        # No skill ran: nothing was parsed or handled for any of them. (A
        # request is logged when libmicrohttpd reports it complete, a moment
        # after its answer.)
        deadline = time.monotonic() + 10
        while True:
            refused = [e for e in self.srv.access_log() if e.get("error") == "NOT_LOCAL"]
            if len(refused) >= 9 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertGreaterEqual(len(refused), 9)
        for e in refused:
            self.assertEqual((e["status"], e["handler_us"], e["request_id"]), (403, 0, None))
        self.assertTrue(any(e.get("host") == "rebind-to-127-0-0-1.evil.example:%d" % self.srv.port
                            for e in refused), refused)

    def test_no_host_is_403(self):
        # HTTP/1.0 may leave Host out (libmicrohttpd answers 400 to HTTP/1.1 without one).
        got, _ = exchange(self.srv.port,
                          b"POST /skills/thank_you HTTP/1.0\r\nContent-Type: application/json\r\n"
                          b"Content-Length: %d\r\n\r\n" % len(self.body) + self.body)
        self.assertIn("without a Host", json_error(self, got, 403)["message"])

    def test_other_origins_are_403(self):
        for origin in ("http://evil.example", "https://evil.example:8443", "null",
                       f"http://rebind.evil.example:{self.srv.port}"):
            with self.subTest(origin=origin):
                self.assert_refused(self.post({"Origin": origin}), 403, "Origin")

    def test_content_types_other_than_json_are_415(self):
        for ctype in ("text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
                      "multipart/form-data; boundary=x", "application/jsonp", None):
            with self.subTest(content_type=ctype):
                doc = self.assert_refused(self.post({"Content-Type": ctype}), 415, "Content-Type")
                self.assertEqual(doc["error"], "request body is not declared as JSON")

    def test_a_browsers_cross_site_form_post(self):
        # What <form method=post enctype=text/plain action=http://127.0.0.1:PORT/skills/...>
        # on another site makes a browser send: its own Origin, a form's type.
        headers = {"Origin": "https://evil.example", "Referer": "https://evil.example/page",
                   "Content-Type": "text/plain", "Sec-Fetch-Site": "cross-site",
                   "Sec-Fetch-Mode": "navigate"}
        self.assert_refused(self.post(headers), 403, "Origin")
        # A browser that leaves Origin out still has to use a form's type.
        headers.pop("Origin")
        self.assert_refused(self.post(headers), 415, "Content-Type")
        # DNS rebinding: the page's own name now points at 127.0.0.1; same
        # origin for the browser, so JSON is allowed, but the Host is the name.
        self.assert_refused(self.post({"Host": f"rebind.evil.example:{self.srv.port}",
                                       "Origin": f"http://rebind.evil.example:{self.srv.port}"}),
                            403, "Host")

    def test_probes_are_not_guarded(self):
        # /healthz and /metrics run no skill; load balancers probe them by any name.
        status, _, body = self.srv.request("GET", "/healthz", headers={"Host": "lb.example"})
        self.assertEqual((status, body), (200, b"ok"))

    def test_verified_routes_keep_their_rules(self):
        # With verification on, the Alexa routes are Amazon's: any Host, and a
        # request without a signature is refused by verification (400).
        with Server(skills=skills_dir("thank_you"), verify=True) as srv:
            status, _, body = self.post({"Host": "skills.example.com", "Content-Type": None},
                                        srv=srv)
            self.assertEqual(status, 400, body)
            self.assertEqual(json.loads(body)["error"], "request verification failed")
            # A body declared as something else than JSON stays a 400 there.
            status, _, body = self.post({"Content-Type": "text/plain"}, srv=srv)
            self.assertEqual(status, 400, body)
            self.assertIn("Content-Type", json.loads(body)["message"])
            self.assertEqual(srv.stop(), 0, srv.log())

    def test_allow_unverified_public_lifts_the_host_rule_only(self):
        with ready(Server("--allow-unverified-public", skills=skills_dir("thank_you"))) as srv:
            status, _, body = self.post({"Host": "skills.example.com"}, srv=srv)
            self.assertEqual((status, speech(body)), (200, "You're welcome!"))
            self.assert_refused(self.post({"Host": "skills.example.com",
                                           "Content-Type": "text/plain"}, srv=srv),
                                415, "Content-Type")
            self.assertEqual(srv.stop(), 0, srv.log())

    def test_the_simulator(self):
        with ready(Server("--dev", skills=skills_dir("thank_you"))) as srv:
            turn = json.dumps({"skill": None, "utterance": "thank you", "session": None}).encode()
            status, _, body = self.post({}, path="/simulator/turn", body=turn, srv=srv)
            self.assertEqual(status, 200, body)
            self.assert_refused(self.post({"Content-Type": "text/plain"}, path="/simulator/turn",
                                          body=turn, srv=srv), 415, "Content-Type")
            self.assert_refused(self.post({"Content-Type": None}, path="/simulator/turn",
                                          body=turn, srv=srv), 415, "Content-Type")
            self.assert_refused(self.post({"Origin": "http://evil.example"},
                                          path="/simulator/turn", body=turn, srv=srv),
                                403, "Origin")
            self.assert_refused(self.post({"Host": f"rebind.example:{srv.port}"},
                                          path="/simulator/turn", body=turn, srv=srv),
                                403, "Host")
            # The page and the skill list are not for other sites either.
            for path in ("/", "/simulator/skills", "/simulator/app.js"):
                with self.subTest(path=path):
                    status, _, body = srv.request("GET", path, headers={"Host": "rebind.example"})
                    self.assertEqual(status, 403, body)
                    status, _, _ = srv.request("GET", path)
                    self.assertEqual(status, 200)
            self.assertEqual(srv.stop(), 0, srv.log())


class Refusals(unittest.TestCase):
    """--dev and --no-verify are for loopback addresses; the listeners' options."""

    def serve(self, *args):
        data = temp_dir("skillserver-data-")
        return subprocess.run([SKILLSERVER, "serve", "--skills", skills_dir("thank_you"),
                               "--data", data, "--no-tls", *args],
                              capture_output=True, text=True, timeout=60)

    def test_dev_off_loopback(self):
        # Refused before anything is bound, so addresses this machine lacks do as well.
        for addr in ("0.0.0.0:0", "192.0.2.1:8443", "[::]:0", "[2001:db8::1]:8443"):
            with self.subTest(listen=addr):
                p = self.serve("--dev", "--listen", addr)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn("--dev", p.stderr)
                self.assertIn("127.0.0.1", p.stderr)
        # No flag lifts it.
        p = self.serve("--dev", "--no-verify", "--allow-unverified-public", "--listen", "0.0.0.0:0")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("--dev", p.stderr)

    def test_no_verify_off_loopback(self):
        for addr in ("0.0.0.0:0", "192.0.2.1:8443", "[::]:0"):
            with self.subTest(listen=addr):
                p = self.serve("--no-verify", "--listen", addr)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn("--allow-unverified-public", p.stderr)

    def test_bad_listener_options(self):
        p = self.serve("--metrics-listen", "127.0.0.1:0", "--no-metrics")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("do not go together", p.stderr)
        p = self.serve("--metrics-listen", "nonsense")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("--metrics-listen", p.stderr)
        for n in ("0", "-1", "x", "1000001"):
            p = self.serve("--max-connections-per-address", n)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn("--max-connections-per-address", p.stderr)


class PerAddressCap(unittest.TestCase):
    """--max-connections-per-address: one client address cannot hold every
    connection; others are served meanwhile (127.0.0.2 is another loopback
    address on Linux)."""

    def test_cap(self):
        with Server("--max-connections-per-address", "3", skills=skills_dir("thank_you")) as srv:
            self.assertTrue(srv.wait_for("3 per address", 1), srv.log())
            conns = [srv.connection(timeout=5) for _ in range(3)]
            for c in conns:
                self.assertEqual(srv.request("GET", "/healthz", conn=c)[0], 200)
            # A fourth from the same address is closed at once, unanswered.
            probe = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            got, closed = exchange(srv.port, probe, timeout=5)
            self.assertEqual((got, closed), (b"", True))
            # Another address is served while this one is at its cap.
            got, _ = exchange(srv.port, probe + b"", timeout=2, source="127.0.0.2")
            self.assertEqual(statuses(got), [200], got)
            # Once one of the three closes, the address gets a connection again.
            conns.pop().close()
            time.sleep(0.3)
            late = srv.connection(timeout=5)
            self.assertEqual(srv.request("GET", "/healthz", conn=late)[0], 200)
            # Refusals are counted, and reported in the log at most once a second.
            self.assertTrue(srv.wait_for(r"closed 1 new connection at once.*3 per address", 5),
                            srv.log())
            page = srv.request("GET", "/metrics", conn=late)[2].decode()
            self.assertIn("skillserver_connections_refused_total 1\n", page)
            for c in conns + [late]:
                c.close()
            self.assertEqual(srv.stop(), 0, srv.log())

    def test_default_is_in_the_start_up_line(self):
        default = limit("HTTP_CONNECTIONS_PER_ADDRESS")
        with Server(skills=skills_dir("thank_you")) as srv:
            self.assertTrue(srv.wait_for(r"%d per address" % default, 1), srv.log())
            self.assertEqual(srv.stop(), 0, srv.log())


# Under LIMIT_LOG_ID_BYTES, so the access log has all of it.
HOSTILE_ID = ("amzn1.echo-api.request.h\x1b[2J\x1b]0;owned\x07\r\n"
              '{"time":"2000-01-01T00:00:00.000Z","status":200}'
              "\u2028\u202e\u0085] [other_skill ok] ")

PRINTER = '''import sys

from skillkit import intent, launch


@launch
def welcome(req):
    print("plain line")
    print("\\x1b[2J\\x1b]0;owned\\x07 cleared\\r{\\"time\\":\\"forged\\",\\"status\\":200}")
    print('{"time":"2000-01-01T00:00:00.000Z","requestId":"forged","status":200}')
    sys.stderr.write("to stderr \\x1b[31m red \\u202e reversed \\u2028 separated \\u009b\\n")
    return "hello"


@intent("ThankYouIntent")
def thanks(req):
    raise ValueError("bad\\x1b[2J\\r\\n{\\"time\\":\\"forged\\"}")
'''


class LogEscaping(unittest.TestCase):
    """A hostile run: requestIds, paths, headers and skill output full of
    escape sequences, CR, LF and forged JSON records. The whole log, read as
    bytes, has no control byte but the newline after each record (and tabs),
    is UTF-8, and every line is one JSON record that parses (serve's log to a
    file is JSON lines), with the text that was printed or sent in it whole."""

    def start(self, log_path, *extra, verify=False):
        data = temp_dir("skillserver-data-")
        cmd = [SKILLSERVER, "serve", "--listen", "127.0.0.1:0", "--no-tls", "--skills",
               skills_dir(files={"printer/skill.py": PRINTER}), "--data", data, *extra]
        if not verify:
            cmd.append("--no-verify")
        log = open(log_path, "wb")
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=log)
        log.close()
        line = wait_for_file(log_path, r"listening on http://\S+:(\d+) ", 120, proc)
        if not line:
            proc.kill()
            proc.wait()
            with open(log_path, "rb") as f:
                raise AssertionError("the server did not start:\n" + f.read().decode("utf-8",
                                                                                    "replace"))
        # Skills load after the server listens.
        if not wait_for_file(log_path, r"skill printer ready", 120, proc):
            proc.kill()
            proc.wait()
            raise AssertionError("the printer skill did not load")
        return proc, int(re.search(rb":(\d+) ", line).group(1))

    def stop(self, proc):
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(60), 0)

    def request(self, port, body, path=b"/skills/printer", headers=b""):
        head = (b"POST " + path + b" HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                b"Content-Type: application/json\r\nConnection: close\r\n" % port + headers +
                b"Content-Length: %d\r\n\r\n" % len(body))
        return exchange(port, head + body, timeout=30)[0]

    def hostile(self, name, rid=HOSTILE_ID):
        doc = json.loads(fixture(name))
        doc["request"]["requestId"] = rid
        return json.dumps(doc).encode()

    def check_log(self, raw):
        for i, byte in enumerate(raw):
            # A newline ends each record; a tab separates fields (Lambda's format).
            if (byte < 0x20 and byte not in (0x0a, 0x09)) or byte == 0x7f:
                self.fail(f"control byte {byte:#04x} at {i}: {raw[max(0, i - 80):i + 40]!r}")
        text = raw.decode("utf-8")  # strict: no byte that is not UTF-8
        for ch in ("\u2028", "\u2029", "\u202e", "\u0085", "\u009b"):
            self.assertNotIn(ch, text)
        self.assertTrue(text.endswith("\n"))
        records = []
        for line in text.split("\n")[:-1]:
            self.assertRegex(line, r'^\{"time":"[^"]+","level":"(debug|info|warning|error)",'
                                   r'"source":"(server|access|skill)"', line)
            records.append(json.loads(line))
        return records

    def test_hostile_run(self):
        log_path = os.path.join(temp_dir("skillserver-log-"), "serve.log")
        proc, port = self.start(log_path)
        try:
            launch = self.hostile("launch.json")
            self.assertEqual(statuses(self.request(port, launch)), [200])
            self.assertEqual(statuses(self.request(port, self.hostile("intent_thank_you.json"))),
                             [200])
            # An id that looks ordinary stays as it is in the prefix.
            self.assertEqual(statuses(self.request(port, self.hostile(
                "launch.json", "amzn1.echo-api.request.plain-1"))), [200])
            # A path with escapes (libmicrohttpd decodes %XX) to nowhere, and
            # to / with a hostile applicationId.
            got = self.request(port, launch, path=b"/nowhere%1b%5b2J%0d%0a%7b%22x%22%7d%e2%80%ae")
            self.assertEqual(statuses(got), [404])
            doc = json.loads(launch)
            doc["context"]["System"]["application"]["applicationId"] = "app\x1b\r\n{}"
            self.assertEqual(statuses(self.request(port, json.dumps(doc).encode(), path=b"/")),
                             [200])
            # Headers: refused before they are logged (400), or shown escaped (403).
            self.request(port, launch, headers=b"X-Evil: \x1b[2J\r\n")
            self.request(port, launch, headers=b"X-Evil: a\rb\r\n")
            got = exchange(port, b"POST /skills/printer HTTP/1.1\r\nHost: evil\xe2\x80\xae"
                           b"\xc2\x9b.example\r\nContent-Length: 0\r\n\r\n")[0]
            self.assertEqual(statuses(got), [403])
            time.sleep(1)
        finally:
            self.stop(proc)
        with open(log_path, "rb") as f:
            raw = f.read()
        records = self.check_log(raw)
        text = raw.decode("utf-8")
        # The forged records stayed inside other records.
        for r in records:
            self.assertNotEqual(r.get("requestId"), "forged")
            self.assertNotEqual(r.get("time"), "forged")
            self.assertNotEqual(r.get("time"), "2000-01-01T00:00:00.000Z")
        # JSON escaping gives the exact id back.
        ids = [r["request_id"] for r in records
               if r.get("skill") == "printer" and r["source"] == "access"]
        self.assertLess(len(HOSTILE_ID.encode()), limit("LOG_ID_BYTES"))
        self.assertEqual(ids.count(HOSTILE_ID), 3, records)
        self.assertIn("amzn1.echo-api.request.plain-1", ids)
        self.assertTrue(any(r.get("path", "").startswith("/nowhere\x1b[2J\r\n") for r in records),
                        records)
        # The refused Host is in the access log, escaped.
        self.assertTrue(any(r.get("host") == "evil\u202e\u009b.example" for r in records),
                        records)
        # The skill's output: one record per line it printed, marked as the
        # skill's, its text and the hostile id whole inside JSON strings.
        printed = [r for r in records if r["source"] == "skill"]
        self.assertTrue(all(r["skill"] == "printer" for r in printed), printed)
        msgs = [r["msg"] for r in printed]
        self.assertIn("plain line", msgs)
        self.assertIn('\x1b[2J\x1b]0;owned\x07 cleared\r{"time":"forged","status":200}', msgs)
        self.assertIn('{"time":"2000-01-01T00:00:00.000Z","requestId":"forged","status":200}',
                      msgs)
        self.assertTrue(any(r.get("request_id") == HOSTILE_ID for r in printed), printed)
        self.assertTrue(any(r.get("request_id") == "amzn1.echo-api.request.plain-1" and
                            r["msg"] == "plain line" for r in printed), printed)
        self.assertTrue(any(m.endswith("to stderr \x1b[31m red \u202e reversed \u2028 "
                                       "separated \u009b") for m in msgs), msgs)
        traceback = [r for r in printed if r["level"] == "error"]
        self.assertTrue(any(r["msg"].startswith('ValueError: bad\x1b[2J\r') for r in traceback),
                        traceback)
        self.assertIn("\\u001b[2J\\u001b]0;owned\\u0007 cleared\\r{\\\"time", text)

    def test_verification_failure_reasons(self):
        # With verification on, a refusal logs its reason, which quotes the
        # client's SignatureCertChainUrl.
        log_path = os.path.join(temp_dir("skillserver-log-"), "serve.log")
        proc, port = self.start(log_path, verify=True)
        try:
            url = "https://s3.amazonaws.com/echo.api/\u202e\u2028x\u0085.pem".encode()
            got = self.request(port, fixture("launch.json"),
                               headers=b"SignatureCertChainUrl: " + url + b"\r\n"
                                       b"Signature-256: AAAA\r\n")
            self.assertEqual(statuses(got), [400])
            self.assertIsNotNone(wait_for_file(log_path, "refused by verification", 10, proc))
        finally:
            self.stop(proc)
        with open(log_path, "rb") as f:
            raw = f.read()
        self.check_log(raw)
        self.assertIn(b"refused by verification", raw)


class MetricsListener(unittest.TestCase):
    """/metrics on a listener of its own (--metrics-listen, plain HTTP, only
    /metrics and /healthz) or nowhere (--no-metrics); by default on the main
    listener as before."""

    def test_metrics_listen(self):
        with ready(Server("--metrics-listen", "127.0.0.1:0",
                          skills=skills_dir("thank_you"))) as srv:
            line = srv.wait_for(r"metrics: /metrics and /healthz on http://127\.0\.0\.1:\d+", 5)
            self.assertTrue(line, srv.log())
            mport = int(re.search(r"127\.0\.0\.1:(\d+)", line).group(1))
            self.assertNotEqual(mport, srv.port)
            status, _, _ = srv.request("POST", "/skills/thank_you", fixture("intent_thank_you.json"))
            self.assertEqual(status, 200)
            # The main listener no longer has /metrics; /healthz stays.
            status, _, body = srv.request("GET", "/metrics")
            self.assertEqual(status, 404, body)
            self.assertIn("--metrics-listen", json.loads(body)["message"])
            self.assertEqual(srv.request("GET", "/healthz")[0], 200)
            # The metrics listener has the same counters (a request is counted
            # when libmicrohttpd reports it complete, a moment after its answer).
            want = b'skillserver_requests_total{skill="thank_you",type="IntentRequest",' \
                   b'status="200"} 1\n'
            deadline = time.monotonic() + 10
            while True:
                got, _ = exchange(mport, b"GET /metrics HTTP/1.1\r\nHost: x\r\n"
                                         b"Connection: close\r\n\r\n")
                self.assertEqual(statuses(got), [200], got[:200])
                _, head, page = responses(got)[0]
                if want in page or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            self.assertIn(b"Content-Type: text/plain; version=0.0.4", head)
            self.assertIn(want, page)
            got, _ = exchange(mport, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close"
                                     b"\r\n\r\n")
            self.assertTrue(got.endswith(b"\r\n\r\nok"), got)
            # Nothing else is there.
            got, _ = exchange(mport, b"POST /skills/thank_you HTTP/1.1\r\nHost: x\r\n"
                                     b"Content-Type: application/json\r\nContent-Length: 2\r\n"
                                     b"\r\n{}")
            self.assertEqual(statuses(got), [404], got[:200])
            got, _ = exchange(mport, b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0"
                                     b"\r\n\r\n")
            self.assertEqual(statuses(got), [405], got[:200])
            self.assertIn(b"\r\nAllow: GET, HEAD\r\n", got)
            self.assertEqual(srv.stop(), 0, srv.log())
            with self.assertRaises(OSError):
                socket.create_connection(("127.0.0.1", mport), timeout=2)

    def test_no_metrics(self):
        with Server("--no-metrics", skills=skills_dir("thank_you")) as srv:
            self.assertTrue(srv.wait_for(r"metrics: off", 1), srv.log())
            status, _, body = srv.request("GET", "/metrics")
            self.assertEqual(status, 404, body)
            self.assertIn("--no-metrics", json.loads(body)["message"])
            self.assertEqual(srv.request("GET", "/healthz")[0], 200)
            self.assertEqual(srv.stop(), 0, srv.log())

    def test_metrics_listen_address_in_use(self):
        with Server(skills=skills_dir("thank_you")) as first:
            data = temp_dir("skillserver-data-")
            p = subprocess.run([SKILLSERVER, "serve", "--listen", "127.0.0.1:0", "--no-tls",
                                "--no-verify", "--skills", skills_dir("thank_you"), "--data", data,
                                "--metrics-listen", f"127.0.0.1:{first.port}"],
                               capture_output=True, text=True, timeout=120)
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertIn("cannot serve metrics", p.stderr)
            self.assertEqual(first.stop(), 0, first.log())
