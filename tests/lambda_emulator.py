"""A local stand-in for the AWS Lambda Runtime API (version 2018-06-01).

Written from the API's documentation (the OpenAPI description AWS publishes
as runtime-api.zip, and the "Using the Lambda runtime API for custom
runtimes" page), not from what skillserver sends, so that a test using it
checks skillserver against the API and not against itself:

- ``GET /2018-06-01/runtime/invocation/next`` is a blocking, iterator-style
  call: it waits, without a time limit, until an event is queued, then
  answers 200 with the event as the body and the headers
  Lambda-Runtime-Aws-Request-Id, Lambda-Runtime-Deadline-Ms (Unix epoch,
  milliseconds), Lambda-Runtime-Invoked-Function-Arn and
  Lambda-Runtime-Trace-Id.
- ``POST .../invocation/{AwsRequestId}/response``: the result; 202
  Accepted with a StatusResponse ``{"status": "OK"}``; 400 for an unknown or
  already answered request id; 413 above the 6 MB payload limit.
- ``POST .../invocation/{AwsRequestId}/error``: an ErrorRequest
  ``{"errorMessage", "errorType", "stackTrace"}`` with the content type
  ``application/vnd.aws.lambda.error+json`` and the header
  Lambda-Runtime-Function-Error-Type; 202 or 400 as above.
- ``POST .../init/error``: the same shape, when initialisation fails; the
  runtime should then exit.
- Errors are ErrorResponse objects ``{"errorMessage", "errorType"}``; a 500
  means "container error, non-recoverable": the runtime should exit.

Every POST is recorded (``posts``) with what was wrong with it, if anything
(``problems``), so a test can check each one. ``faults`` makes the API
misbehave for the runtime's next calls: ``"refuse"`` (close without an
answer), ``"garbage"`` (bytes that are not HTTP), ``"500"``.
"""
from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional

BASE = "/2018-06-01/runtime"
ERROR_CONTENT_TYPE = "application/vnd.aws.lambda.error+json"
PAYLOAD_LIMIT = 6 * 1024 * 1024
ARN = "arn:aws:lambda:us-east-1:123456789012:function:skill-test"


class Post:
    """One POST the runtime made."""

    def __init__(self, kind: str, request_id: Optional[str], headers: dict, body: bytes,
                 status: int) -> None:
        self.kind = kind              # "response", "error" or "init_error"
        self.request_id = request_id
        self.headers = headers        # lower-case names
        self.body = body
        self.status = status          # what the emulator answered
        self.at = time.time()
        try:
            self.json: Any = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            self.json = None

    def __repr__(self) -> str:
        return f"Post({self.kind}, {self.request_id}, {self.body[:300]!r})"


class Invocation:
    def __init__(self, body: bytes, request_id: str, deadline_ms: int, trace_id: str,
                 extra: dict) -> None:
        self.body = body
        self.request_id = request_id
        self.deadline_ms = deadline_ms
        self.trace_id = trace_id
        self.extra = extra
        self.handed_out_at: Optional[float] = None
        self.answered = False


def check_error_request(headers: dict, body: bytes) -> list:
    """What is wrong with an ErrorRequest, as the documentation describes it."""
    problems = []
    ctype = headers.get("content-type", "").split(";")[0].strip()
    if ctype != ERROR_CONTENT_TYPE:
        problems.append(f"Content-Type is {ctype!r}, not {ERROR_CONTENT_TYPE}")
    if not headers.get("lambda-runtime-function-error-type"):
        problems.append("no Lambda-Runtime-Function-Error-Type header")
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return problems + ["the body is not JSON"]
    if not isinstance(doc, dict):
        return problems + ["the body is not a JSON object"]
    for key in ("errorMessage", "errorType"):
        if not isinstance(doc.get(key), str) or not doc[key]:
            problems.append(f"{key} is missing or not a non-empty string")
    stack = doc.get("stackTrace")
    if not isinstance(stack, list) or not all(isinstance(s, str) for s in stack):
        problems.append("stackTrace is missing or not a list of strings")
    if doc.get("errorType") != headers.get("lambda-runtime-function-error-type"):
        problems.append("errorType and Lambda-Runtime-Function-Error-Type differ")
    return problems


class RuntimeAPI:
    """The emulator: start(), queue events with invoke(), read posts."""

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.queue: list = []
        self.invocations: dict = {}
        self.posts: list = []
        self.problems: list = []
        self.faults: list = []
        self.next_calls = 0
        self.closed = False
        self.server: Optional[ThreadingHTTPServer] = None
        self.thread: Optional[threading.Thread] = None

    # ---- the test's side ----

    def start(self) -> "RuntimeAPI":
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                api._get(self)

            def do_POST(self) -> None:
                api._post(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def address(self) -> str:
        assert self.server is not None
        return f"127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        with self.lock:
            self.closed = True
            self.lock.notify_all()
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    def invoke(self, event: Any, timeout_ms: int = 6000, request_id: Optional[str] = None,
               trace_id: Optional[str] = None, **extra: str) -> str:
        """Queue an event (a dict, or raw bytes/str); returns its request id."""
        if isinstance(event, (dict, list)):
            body = json.dumps(event).encode()
        elif isinstance(event, str):
            body = event.encode()
        else:
            body = event
        rid = request_id or str(uuid.uuid4())
        trace = trace_id or f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=0"
        inv = Invocation(body, rid, 0, trace, extra)
        inv.deadline_ms = timeout_ms  # made absolute when handed out
        with self.lock:
            self.invocations[rid] = inv
            self.queue.append(inv)
            self.lock.notify_all()
        return rid

    def wait_posts(self, count: int, timeout: float = 20.0) -> list:
        """Wait until count POSTs arrived; returns them all."""
        end = time.time() + timeout
        with self.lock:
            while len(self.posts) < count:
                left = end - time.time()
                if left <= 0:
                    raise AssertionError(
                        f"waited {timeout} s for {count} POSTs, got {len(self.posts)}: "
                        f"{self.posts!r}")
                self.lock.wait(left)
            return list(self.posts)

    def post_for(self, request_id: str, timeout: float = 20.0) -> Post:
        end = time.time() + timeout
        with self.lock:
            while True:
                for p in self.posts:
                    if p.request_id == request_id:
                        return p
                left = end - time.time()
                if left <= 0:
                    raise AssertionError(f"no POST for {request_id} within {timeout} s: "
                                         f"{self.posts!r}")
                self.lock.wait(left)

    def wait_waiting(self, timeout: float = 20.0) -> None:
        """Wait until the runtime is blocked in `next` with nothing queued."""
        end = time.time() + timeout
        with self.lock:
            while not (self.waiting and not self.queue):
                left = end - time.time()
                if left <= 0:
                    raise AssertionError("the runtime never asked for the next invocation")
                self.lock.wait(left)

    waiting = 0

    # ---- the runtime's side ----

    def _answer(self, h: BaseHTTPRequestHandler, status: int, doc: Any,
                headers: Optional[dict] = None) -> None:
        body = json.dumps(doc).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def _fault(self, h: BaseHTTPRequestHandler) -> bool:
        with self.lock:
            fault = self.faults.pop(0) if self.faults else None
        if fault is None:
            return False
        if fault == "refuse":
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
        elif fault == "garbage":
            h.wfile.write(b"\x00\xffthis is not HTTP at all\r\n\r\n")
            h.close_connection = True
        else:
            self._answer(h, int(fault), {"errorMessage": "injected fault",
                                         "errorType": "Emulator.Fault"})
        return True

    def _get(self, h: BaseHTTPRequestHandler) -> None:
        if h.path != BASE + "/invocation/next":
            self._answer(h, 404, {"errorMessage": "no such path", "errorType": "NotFound"})
            return
        with self.lock:
            self.next_calls += 1
        if self._fault(h):
            return
        with self.lock:
            self.waiting += 1
            self.lock.notify_all()
            while not self.queue and not self.closed:
                self.lock.wait(0.5)
            self.waiting -= 1
            if self.closed:
                return
            inv = self.queue.pop(0)
            inv.handed_out_at = time.time()
            inv.deadline_ms = int(time.time() * 1000) + inv.deadline_ms
        headers = {
            "Lambda-Runtime-Aws-Request-Id": inv.request_id,
            "Lambda-Runtime-Deadline-Ms": str(inv.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": ARN,
            "Lambda-Runtime-Trace-Id": inv.trace_id,
        }
        headers.update(inv.extra)
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        for k, v in headers.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(inv.body)))
        h.end_headers()
        h.wfile.write(inv.body)

    def _read_body(self, h: BaseHTTPRequestHandler) -> Optional[bytes]:
        length = h.headers.get("Content-Length")
        if length is None or not length.isdigit():
            return None
        return h.rfile.read(int(length))

    def _post(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path
        headers = {k.lower(): v for k, v in h.headers.items()}
        body = self._read_body(h)
        if body is None:
            self._record(Post("?", None, headers, b"", 400), ["a POST without Content-Length"])
            self._answer(h, 400, {"errorMessage": "no Content-Length",
                                  "errorType": "InvalidRequest"})
            return
        if self._fault(h):
            return
        if path == BASE + "/init/error":
            problems = check_error_request(headers, body)
            with self.lock:
                if self.next_calls:
                    problems.append("init/error after the runtime asked for an invocation")
            self._answer(h, 202, {"status": "OK"})
            self._record(Post("init_error", None, headers, body, 202), problems)
            return
        parts = path[len(BASE):].split("/") if path.startswith(BASE + "/invocation/") else []
        if len(parts) != 4 or parts[3] not in ("response", "error"):
            self._record(Post("?", None, headers, body, 404), [f"POST to unknown path {path}"])
            self._answer(h, 404, {"errorMessage": "no such path", "errorType": "NotFound"})
            return
        rid, kind = parts[2], parts[3]
        problems = []
        status = 202
        with self.lock:
            inv = self.invocations.get(rid)
            if inv is None or inv.handed_out_at is None:
                problems.append(f"{kind} for request id {rid!r}, which was never handed out")
                status = 400
            elif inv.answered:
                problems.append(f"a second answer for request id {rid}")
                status = 400
        # A malformed ErrorRequest is still accepted (Lambda then builds the
        # error from the header), but the test hears of it.
        if kind == "error":
            problems += check_error_request(headers, body)
        if len(body) > PAYLOAD_LIMIT:
            status = 413
            problems.append("a payload over 6 MB")
        with self.lock:
            if inv is not None and status == 202:
                inv.answered = True
        # Answered before it is recorded: a test that saw the POST may stop
        # the runtime, which must have had its 202 by then.
        if status == 202:
            self._answer(h, 202, {"status": "OK"})
        else:
            self._answer(h, status, {"errorMessage": "; ".join(problems),
                                     "errorType": "InvalidStateTransition"})
        self._record(Post(kind, rid, headers, body, status), problems)

    def _record(self, post: Post, problems: list) -> None:
        with self.lock:
            self.posts.append(post)
            self.problems += [f"{post.kind} {post.request_id}: {p}" for p in problems]
            self.lock.notify_all()
