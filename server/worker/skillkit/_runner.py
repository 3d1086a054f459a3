"""The two functions the worker's embedded CPython calls: ``load`` and ``handle``.

Contract with server/worker/python.c (keep it exactly; see DESIGN.md "Python side"):

- ``load(name, path, dev, handler=None, model=None) -> str`` imports the
  skill's file (skills/NAME/skill.py, or the file of ``handler``,
  "module.function", for a Lambda function or an ASK CLI project) under a
  private module name and answers JSON ``{"ok": true, "style": "skillkit" |
  "lambda", "handlers": [...], "warnings": [...], "model_paths": [...]}`` or
  ``{"ok": false, "error": ERROR}``. ``model`` is the interaction model the
  server found for the skill ("" for none); without it, model.json beside
  the code. ``model_paths`` runs beside ``warnings``: the JSON path in the
  model that a warning is about, or null.
- ``handle(message) -> str`` takes JSON ``{"event": envelope, "attributes":
  object | null, "soft_ms": int}`` and answers ``{"ok": true, "reply": REPLY,
  "attributes": object | null}`` (attributes only when the handler changed
  them) or ``{"ok": false, "error": ERROR}``.
- REPLY is the reply format of server/pipeline/response.h; ERROR is ``{"kind": "load"
  | "raised" | "result" | "timeout", "type", "message", "file", "line",
  "function", "traceback", "spoken"}``.

The keys of these messages are named once, in _message (server/worker/message.h
on the C side). The work is done by the modules around this one: _loader
(importing a skill), _routing and _defaults (which function answers),
_deadline (the soft deadline), _diagnose (errors in the author's words) and
_persist (what can be saved and sent).

Start-up: a zygote pays for every module imported before the skill's own
code runs, once per start (``skillserver invoke`` starts one per request).
So what every request needs is imported at the top of a module, and the
rest where it is used: typing only for annotations (``if TYPE_CHECKING``),
inspect, traceback, difflib, logging (configured by an import hook when the
skill imports it), importlib.metadata and _plain only on the paths that need
them; and JSON, signals and module specs come from the C modules behind
json, signal and importlib.util (_jsontext, _signal, and the frozen
_frozen_importlib and _frozen_importlib_external), since those packages
import re, enum and collections, and the importlib package warnings. A
skill that imports them pays for them itself. tests/unit/worker/test_skillkit_imports.py holds
the list of what start-up may import.

What must stay true: neither function ever raises (every failure, including a
bug here, becomes an ERROR); one skill is loaded at a time (loading another
unloads the first, which only the tests do); the soft deadline is armed only
while skill code runs for a request, and it is disarmed before anything is
returned.
"""
from __future__ import annotations

import os

from . import _deadline, _loader, _message, _output, _sdk_store
from ._diagnose import BadResult, bad_return, describe_type, error_for, exception_error
from ._persist import canonical, check_persistent, dumps, reply_text
from ._routing import Turn, answer, call, silent
from ._skill import Skill
from .lambda_context import LambdaContext
from .request import Request
from .response import Response, envelope_reply

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

__all__ = ["load", "handle"]

#: A module-level loop in a skill is interrupted after this long, well inside
#: the server's LIMIT_WORKER_START_MS (10 s), so the load error names its line.
LOAD_SOFT_SECONDS = 5.0

#: Lambda's X-Ray trace header, as its runtime sets it for each invocation.
TRACE_ENV = "_X_AMZN_TRACE_ID"

#: The skill loaded in this process (load() replaces it).
_skill: Optional[Skill] = None


#: Whether _X_AMZN_TRACE_ID may be in os.environ: removing a variable that
#: is not there costs os.environ a KeyError raised and caught (about 1 us).
_trace_set = TRACE_ENV in os.environ


def _set_trace(trace: Optional[str]) -> None:
    """As Lambda's runtime does for each invocation: the X-Ray trace header
    of this one in the environment, or none. (A value the skill itself puts
    there stays until a request with a trace replaces it.)"""
    global _trace_set
    if trace:
        os.environ[TRACE_ENV] = trace
        _trace_set = True
    elif _trace_set:
        os.environ.pop(TRACE_ENV, None)
        _trace_set = False


def _handle(message: str) -> str:
    skill = _skill
    if skill is None:
        return dumps(_message.failed(_message.error(
            _message.KIND_LOAD, "handle() was called before load()", "No skill is loaded.")))
    if skill.load_error is not None:
        return dumps(_message.failed(skill.load_error))
    meta: dict = {}
    event, attributes, soft_ms, split = _message.read_request(message, meta)
    _set_trace(meta.get(_message.TRACE))
    turn = Turn()

    if skill.lambda_handler is not None:
        if event is None:  # a classic handler gets the whole envelope
            event = Request._split(*split, None, skill.locale).event
        turn.handler = turn.producer = skill.lambda_handler
        body = event.get("request")
        request_id = body.get("requestId") if isinstance(body, dict) else None
        context = LambdaContext(skill.name, request_id, soft_ms)
        _output.set_request_id(request_id)
        _sdk_store.begin(attributes)
        _deadline.arm(soft_ms / 1000.0)
        try:
            out = call(skill.lambda_handler, event, context)
        finally:
            _deadline.disarm(keep_timer=True)
            saved = _sdk_store.end()
        if not isinstance(out, dict):
            raise bad_return(skill.lambda_handler, out, skill)
        reply = envelope_reply(out)
        return reply_text(_message.answered(reply, saved), reply, turn, skill)

    persistent = attributes if isinstance(attributes, dict) else {}
    if event is None:
        req = Request._split(*split, persistent, skill.locale)
    else:
        req = Request(event, persistent, default_locale=skill.locale)
    _output.set_request_id(req.request_id)
    original = canonical(req.persistent) if req.persistent else "{}"
    _deadline.arm(soft_ms / 1000.0)
    try:
        response = answer(skill, req, turn)
    finally:
        _deadline.disarm(keep_timer=True)
    if not isinstance(req.session, dict):
        raise BadResult(f"req.session must stay a dict, not {describe_type(req.session)}",
                        f"{skill.name} made req.session {describe_type(req.session)}. It "
                        f"must stay a dictionary.", turn.handler)
    changed = check_persistent(req, original, turn, skill)
    if isinstance(response, Response):
        # A request Alexa speaks no answer to (SessionEndedRequest) ends its
        # session: there is nothing to keep sessionAttributes in.
        reply = response.to_reply(req.has_session and not silent(req.type), req.session)
    else:
        reply = envelope_reply(response)
    return reply_text(_message.answered(reply, changed), reply, turn, skill)


def handle(message: str) -> str:
    """Answer one request; see the module docstring. Never raises."""
    try:
        return _handle(message)
    except BaseException as exc:  # noqa: BLE001 - every failure becomes an ERROR
        try:
            return dumps(_message.failed(error_for(exc, _skill)))
        except BaseException:  # noqa: BLE001
            return _message.LAST_RESORT
    finally:
        _deadline.disarm(keep_timer=True)
        _output.flush()


def load(name: str, path: str, dev: bool, handler: Optional[str] = None,
         model: Optional[str] = None) -> str:
    """Import the skill at path; see the module docstring. Never raises."""
    global _skill
    try:
        old, _skill = _skill, None
        _loader.unload(old)
        _skill = _loader.new_skill(str(name), str(path), bool(dev),
                                   str(handler) if handler else None,
                                   None if model is None else str(model))
        return dumps(_loader.load(_skill, LOAD_SOFT_SECONDS))
    except BaseException as exc:  # noqa: BLE001 - every failure becomes an ERROR
        try:
            error = exception_error(_message.KIND_LOAD, exc, _skill)
            if _skill is not None:
                _skill.load_error = error
            return dumps(_message.failed(error))
        except BaseException:  # noqa: BLE001
            return _message.LAST_RESORT
    finally:
        _output.flush()
