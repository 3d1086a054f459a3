"""The messages between the front and a worker: their keys, written once.

server/worker/message.h is the C side of this module: it documents the same
format and decodes every message a worker sends. tests/unit/worker/test_message.c
reads the ``NAME = "value"`` lines below and checks them against message.h,
so keep one constant a line in that form.

Worker -> front (the payloads of server/worker/proto.h's frames):

- HELLO, the load report: ``{"ok": true, "style": STYLE, "handlers": [str],
  "warnings": [str], "model_paths": [str | null], "model": object}`` or
  ``{"ok": false, "error": ERROR}``. ``model_paths`` runs beside
  ``warnings``: for a warning about model.json, the JSON path in it that the
  warning is about; null for the others. ``model`` (optional) is the
  interaction model inferred from a skill's plain functions (_plain), as a
  model.json document; it is sent only when the skill has no model file.
- ANSWER: ``{"ok": true, "reply": REPLY, "attributes": object | null}``
  (attributes only when the handler changed them) or ``{"ok": false,
  "error": ERROR}``. REPLY is the reply format of server/pipeline/response.h
  (skillkit.response builds it).
- ERROR: ``{"kind": KIND, "type", "message", "file", "line", "function",
  "traceback", "spoken"}``, each a str or null (line an int or null).
- LOG ``{"text": str}`` and DIED ``{"how": str}``, written by the C side.

Front -> worker: REQUEST ``{"event": envelope, "attributes": object | null,
"soft_ms": int, "soft_at": int}``: the soft deadline in ms from when the front sent it,
and as a CLOCK_MONOTONIC time in ms (``soft_at``, optional), which wins: a request may wait in
the socket behind the one before it. Or split, as the front writes it: ``{"request":
envelope["request"], "session": envelope["session"] (only when there is one), "attributes",
"soft_ms", "soft_at"}`` directly followed by the envelope's text. The first document is all
most requests need; the envelope is read when something asks for more of it
(request.Request.event).
"""
from __future__ import annotations

import time

from . import _jsontext

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

OK = "ok"
ERROR = "error"
REPLY = "reply"
ATTRIBUTES = "attributes"
STYLE = "style"
HANDLERS = "handlers"
WARNINGS = "warnings"
MODEL_PATHS = "model_paths"
MODEL = "model"
KIND = "kind"
TYPE = "type"
MESSAGE = "message"
FILE = "file"
LINE = "line"
FUNCTION = "function"
TRACEBACK = "traceback"
SPOKEN = "spoken"
TEXT = "text"
HOW = "how"
EVENT = "event"
REQUEST = "request"
SESSION = "session"
SOFT_MS = "soft_ms"
SOFT_AT = "soft_at"
TRACE = "trace"

KIND_LOAD = "load"
KIND_RAISED = "raised"
KIND_RESULT = "result"
KIND_TIMEOUT = "timeout"

STYLE_SKILLKIT = "skillkit"
STYLE_LAMBDA = "lambda"


def error(kind: str, message: str, spoken: str, *, type_: Optional[str] = None,
          file: Optional[str] = None, line: Optional[int] = None,
          function: Optional[str] = None, trace: Optional[str] = None) -> dict:
    """An ERROR."""
    return {KIND: kind, TYPE: type_, MESSAGE: message, FILE: file, LINE: line,
            FUNCTION: function, TRACEBACK: trace, SPOKEN: spoken}


def failed(error_: dict) -> dict:
    """A HELLO or an ANSWER that reports an ERROR."""
    return {OK: False, ERROR: error_}


def loaded(style: str, handlers: list[str],
           warnings: list[tuple[str, Optional[str]]], model: Optional[dict] = None) -> dict:
    """The HELLO of a skill that loaded; warnings are (text, model.json path or None);
    model is the interaction model inferred from plain functions, or None."""
    hello = {OK: True, STYLE: style, HANDLERS: handlers,
             WARNINGS: [text for text, _ in warnings],
             MODEL_PATHS: [path for _, path in warnings]}
    if model is not None:
        hello[MODEL] = model
    return hello


def answered(reply: dict, attributes: Optional[dict]) -> dict:
    """The ANSWER of a request the skill answered."""
    return {OK: True, REPLY: reply, ATTRIBUTES: attributes}


def request(event: dict, attributes: Optional[dict], soft_ms: int) -> str:
    """A REQUEST as the front writes it (skillkit.testing sends these)."""
    import json  # tests only: a worker never writes a REQUEST

    return json.dumps({EVENT: event, ATTRIBUTES: attributes, SOFT_MS: soft_ms})


def read_request(text: str, meta: Optional[dict] = None
                 ) -> tuple[Optional[dict], Any, int, Optional[tuple]]:
    """(event, attributes, soft_ms, split) of a REQUEST; ValueError when it is not one.

    meta, when given, gets "trace": Lambda's trace header, or None.

    A split REQUEST gives event None and split (request, session, text,
    at): the envelope's request and session members (session None when it
    has none), and where the envelope starts in text, for
    request.Request._split. A whole one gives split None.
    """
    try:
        data, end = _jsontext.loads_first(text)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"the server sent a message that is not JSON: {exc}") from None
    split = None
    if isinstance(data, dict) and EVENT not in data and REQUEST in data and end < len(text):
        split = (data[REQUEST], data.get(SESSION), text, end)
    else:
        if end < len(text) and not text[end:].isspace():
            raise ValueError("the server sent a message that is not JSON: "
                             f"extra data at character {end}")
        if not isinstance(data, dict) or not isinstance(data.get(EVENT), dict):
            raise ValueError("the server sent a message without an 'event' object")
    soft_ms = data.get(SOFT_MS)
    soft_ms = soft_ms if isinstance(soft_ms, int) and soft_ms > 0 else 0
    soft_at = data.get(SOFT_AT)
    if isinstance(soft_at, int) and soft_ms > 0:
        # The same clock as the front's (CLOCK_MONOTONIC): what is left now,
        # after any wait behind the request before this one.
        soft_ms = max(1, soft_at - int(time.monotonic() * 1000))
    if meta is not None:
        trace = data.get(TRACE)
        meta[TRACE] = trace if isinstance(trace, str) and trace else None
    return (None if split else data[EVENT]), data.get(ATTRIBUTES), soft_ms, split


def split_request(event: dict, attributes: Optional[dict], soft_ms: int) -> str:
    """A split REQUEST as the front writes it (for tests)."""
    import json  # tests only: a worker never writes a REQUEST

    head = {REQUEST: event.get(REQUEST)}
    if SESSION in event:
        head[SESSION] = event[SESSION]
    head.update({ATTRIBUTES: attributes, SOFT_MS: soft_ms})
    return json.dumps(head) + json.dumps(event)


#: What handle() and load() answer when even reporting an error failed.
LAST_RESORT = _jsontext.dumps(failed(error(KIND_RAISED, "skillkit could not report an error",
                                           "The skill failed.")))
