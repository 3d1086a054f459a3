"""The HTTP holes of issue 9, end to end against the real `skillserver serve`
over real sockets: request smuggling shapes (answered 400, connection
closed, nothing after the head answered)."""
import atexit
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from harness import FIXTURES, SKILLS, SKILLSERVER, TEST_SKILLS, Server, limit

JSON_TYPE = "application/json;charset=UTF-8"

TEMP_DIRS = []


@atexit.register
def remove_temp_dirs():
    # atexit rather than tearDownModule: tests/taprun.py does not run module fixtures.
    for d in TEMP_DIRS:
        shutil.rmtree(d, ignore_errors=True)


def fixture(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


def skills_dir(*names, files=None):
    """A temporary skills folder with copies of bundled or test skills, plus
    files {"skill/file": text}."""
    root = tempfile.mkdtemp(prefix="skillserver-hardening-")
    TEMP_DIRS.append(root)
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
        cls.srv = Server(skills=skills_dir("thank_you"))
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

