"""The two functions the worker's embedded CPython calls: ``load`` and ``handle``.

Contract with server/worker/python.c (keep it exactly; see DESIGN.md "Python side"):

- ``load(name, path, dev, handler=None) -> str`` imports the skill's file
  (skills/NAME/skill.py, or the file of ``handler``, "module.function", for a
  Lambda function or an ASK CLI project) under a private module name and
  answers JSON ``{"ok": true, "style": "skillkit" |
  "lambda", "handlers": [...], "warnings": [...]}`` or ``{"ok": false,
  "error": ERROR}``.
- ``handle(message) -> str`` takes JSON ``{"event": envelope, "attributes":
  object | null, "soft_ms": int}`` and answers ``{"ok": true, "reply": REPLY,
  "attributes": object | null}`` (attributes only when the handler changed
  them) or ``{"ok": false, "error": ERROR}``.
- REPLY is the reply format of server/pipeline/response.h; ERROR is ``{"kind": "load"
  | "raised" | "result" | "timeout", "type", "message", "file", "line",
  "function", "traceback", "spoken"}``.

What must stay true: neither function ever raises (every failure, including a
bug here, becomes an ERROR); one skill is loaded at a time (loading another
unloads the first, which only the tests do); the soft deadline is armed only
while skill code runs for a request, and it is disarmed before anything is
returned.
"""
from __future__ import annotations

import difflib
import importlib.util
import inspect
import json
import math
import os
import signal
import sys
import traceback
from typing import Any, Optional

from . import _output
from ._registry import INTENT_REQUEST, Handler, Registry, registering
from .errors import DeadlineExceeded, SkillDefinitionError, SkillError
from .lambda_context import LambdaContext
from .request import Request
from .response import ABSENT, Response, ask, tell
from .ssml import SSML

__all__ = ["load", "handle"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))

#: A module-level loop in a skill is interrupted after this long, well inside
#: the server's LIMIT_WORKER_START_MS (10 s), so the load error names its line.
LOAD_SOFT_SECONDS = 5.0

#: Exception text is cut to this many characters in the spoken sentence.
SPOKEN_DETAIL_CHARS = 120

_LAST_RESORT = ('{"ok":false,"error":{"kind":"raised","type":null,"message":'
                '"skillkit could not report an error","file":null,"line":null,'
                '"function":null,"traceback":null,"spoken":"The skill failed."}}')

_GOODBYE = "Goodbye!"
_WHAT_NOW = "What would you like to do?"
_WELCOME = "Welcome! " + _WHAT_NOW
_HELP = ("You can tell this skill what you want, or say stop to finish. " + _WHAT_NOW)
_UNKNOWN = "Sorry, I don't know how to do that yet. " + _WHAT_NOW


class _Skill:
    """The skill loaded in this process."""

    def __init__(self, name: str, path: str, dev: bool, handler: Optional[str] = None) -> None:
        self.name = name
        self.path = path
        self.handler = handler
        # The code folder: the file's folder, above the packages a dotted
        # handler ("package.module.function") names.
        self.folder = os.path.dirname(path)
        if handler:
            for _ in range(handler.rpartition(".")[0].count(".")):
                self.folder = os.path.dirname(self.folder)
        self.dev = dev
        self.module_name = "_skill_" + "".join(c if c.isalnum() else "_" for c in name)
        self.registry = Registry()
        self.lambda_handler: Optional[Handler] = None
        self.style = ""
        self.locale = "en-US"
        self.added_path = False
        self.load_error: Optional[dict] = None

    def owns(self, filename: Optional[str]) -> bool:
        """True when filename lies in the skill's folder."""
        if not filename:
            return False
        return os.path.abspath(filename).startswith(self.folder + os.sep)


_skill: Optional[_Skill] = None


class _BadResult(Exception):
    """A handler returned something that is not a response (kind "result")."""

    def __init__(self, message: str, spoken: str, handler: Optional[Handler]) -> None:
        super().__init__(message)
        self.message = message
        self.spoken = spoken
        self.handler = handler


class _Turn:
    """Which functions took part in one request, for error messages."""

    __slots__ = ("handler", "producer")

    def __init__(self) -> None:
        self.handler: Optional[Handler] = None
        self.producer: Optional[Handler] = None


# ---------------------------------------------------------------------------
# The soft deadline.

_alarm = {"installed": False, "armed": False, "set": False, "seconds": 0.0}


def _on_alarm(signum: int, frame: Any) -> None:
    """SIGALRM: interrupt whatever line of the skill is running."""
    if _alarm["armed"]:
        _alarm["armed"] = False
        raise DeadlineExceeded(f"still running after {_seconds(_alarm['seconds'])}")


def _install_alarm() -> Optional[str]:
    """Install the SIGALRM handler; return a warning when that is impossible."""
    if _alarm["installed"]:
        return None
    try:
        signal.signal(signal.SIGALRM, _on_alarm)
    except (ValueError, OSError, AttributeError) as exc:
        return f"no soft deadline in this process ({exc}); only the hard one applies"
    _alarm["installed"] = True
    return None


def _arm(seconds: float) -> None:
    if seconds <= 0 or not _alarm["installed"]:
        return
    _alarm["seconds"] = seconds
    _alarm["armed"] = True
    _alarm["set"] = True
    signal.setitimer(signal.ITIMER_REAL, seconds)


def _disarm() -> None:
    # Clear the flag first: a signal already on its way is then ignored.
    _alarm["armed"] = False
    if _alarm["set"]:
        _alarm["set"] = False
        signal.setitimer(signal.ITIMER_REAL, 0)


def _seconds(seconds: float) -> str:
    """Seconds as said aloud: whole from one second up, else two decimals."""
    amount = round(seconds) if seconds >= 1 else round(seconds, 2)
    return "1 second" if amount == 1 else f"{amount:g} seconds"


# ---------------------------------------------------------------------------
# Errors.

def _short(text: str) -> str:
    """First line of text, cut for speaking, without a final period."""
    text = text.strip().splitlines()[0] if text.strip() else ""
    if len(text) > SPOKEN_DETAIL_CHARS:
        text = text[:SPOKEN_DETAIL_CHARS - 3].rstrip() + "..."
    return text.rstrip(".")


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _article(word: str) -> str:
    return "an" if word[:1].upper() in "AEIOU" else "a"


def _where(skill: _Skill, file: Optional[str], line: Optional[int]) -> str:
    """'thank_you, line 5' or 'thank_you, file helpers.py, line 5'."""
    where = skill.name
    if file and os.path.abspath(file) != skill.path:
        where += f", file {os.path.basename(file)}"
    if line:
        where += f", line {line}"
    return where


def _internal(filename: str) -> bool:
    return (filename.startswith(_PACKAGE_DIR + os.sep)
            or filename.startswith("<frozen importlib"))


def _locate(exc: BaseException, skill: Optional[_Skill]
            ) -> tuple[Optional[str], Optional[int], Optional[str]]:
    """(file, line, function) where exc happened: the innermost frame in the
    skill's folder, else the innermost frame; a SyntaxError's own position."""
    if isinstance(exc, SyntaxError) and exc.filename and (
            skill is None or skill.owns(exc.filename) or exc.__traceback__ is None):
        return exc.filename, exc.lineno, None
    frames = list(traceback.walk_tb(exc.__traceback__))
    chosen = None
    for frame, lineno in frames:
        if skill is not None and skill.owns(frame.f_code.co_filename):
            chosen = (frame, lineno)
    if chosen is None and frames:
        chosen = frames[-1]
    if chosen is None:
        return (skill.path if skill else None), None, None
    frame, lineno = chosen
    function = frame.f_code.co_name
    return frame.f_code.co_filename, lineno, (None if function == "<module>" else function)


def _format_traceback(exc: BaseException) -> str:
    """The traceback as the author wants it: without skillkit's and
    importlib's frames before the skill's first one, nor skillkit's after its
    last one (the alarm handler that raised DeadlineExceeded, the check that
    rejected an argument). With no skill frame at all (a bug here), whole."""
    te = traceback.TracebackException(type(exc), exc, exc.__traceback__)
    frames = list(te.stack)
    first = 0
    while first < len(frames) and _internal(frames[first].filename):
        first += 1
    last = len(frames)
    while last > first and frames[last - 1].filename.startswith(_PACKAGE_DIR + os.sep):
        last -= 1
    if first < last:
        te.stack = traceback.StackSummary.from_list(frames[first:last])
    elif isinstance(exc, SyntaxError):
        te.stack = traceback.StackSummary.from_list([])
    return "".join(te.format())


def _error(kind: str, message: str, spoken: str, *, type_: Optional[str] = None,
           file: Optional[str] = None, line: Optional[int] = None,
           function: Optional[str] = None, trace: Optional[str] = None) -> dict:
    return {"kind": kind, "type": type_, "message": message, "file": file, "line": line,
            "function": function, "traceback": trace, "spoken": spoken}


def _innermost_frame(exc: BaseException) -> Any:
    frames = list(traceback.walk_tb(exc.__traceback__))
    return frames[-1][0] if frames else None


def _hint(exc: BaseException) -> str:
    """One more sentence for the exceptions beginners meet most, saying what
    to change; "" for the others. (Python 3.11 prints "Did you mean" only in
    its own tracebacks, so the suggestion is computed here.)"""
    message = str(exc)
    if isinstance(exc, NameError) and isinstance(getattr(exc, "name", None), str):
        frame = _innermost_frame(exc)
        known: list[str] = []
        if frame is not None:
            known = [*frame.f_locals, *frame.f_globals, *frame.f_builtins]
        close = difflib.get_close_matches(exc.name, [k for k in known if not k.startswith("_")],
                                          1)
        if close:
            return f"Did you mean {close[0]}?"
        return f"Check the spelling of {exc.name}, or give it a value before this line."
    if isinstance(exc, AttributeError) and getattr(exc, "obj", 0) is None:
        return ("Something there is None, which means nothing: a slot nobody said is None, "
                "so check it with if before using it.")
    if isinstance(exc, TypeError) and "NoneType" in message:
        return ("Something there is None, which means nothing: a slot nobody said is None, "
                "so check it with if before using it.")
    if isinstance(exc, TypeError) and ("concatenate str" in message or (
            "unsupported operand" in message and "'str'" in message)):
        return "To put a number into words, write str(number)."
    if isinstance(exc, KeyError):
        return ("That key is not in the dictionary yet: use .get(key, default) to get a "
                "default instead.")
    if isinstance(exc, IndexError):
        return "The list is shorter than that: count from 0, and check its length first."
    return ""


def _exception_error(kind: str, exc: BaseException, skill: Optional[_Skill]) -> dict:
    """An ERROR for an exception raised by skill code (or, for bugs, by us)."""
    file, line, function = _locate(exc, skill)
    type_name = type(exc).__name__
    if isinstance(exc, SyntaxError):
        message = exc.msg or str(exc)
    else:
        message = str(exc)
    if skill is None:
        spoken = _sentence(f"There is {_article(type_name)} {type_name}: {_short(message)}")
    elif isinstance(exc, DeadlineExceeded):
        seconds = _seconds(_alarm["seconds"])
        running = f" line {line}" if line and skill.owns(file) else ""
        if running and file and os.path.abspath(file) != skill.path:
            running += f" of {os.path.basename(file)}"
        task = "to load" if kind == "load" else ""
        spoken = (f"{skill.name} took too long{' ' + task if task else ''}: it was still "
                  f"running{running} after {seconds}. Look for a loop that never stops.")
        if kind == "load":
            message = f"the skill was still loading after {seconds}"
        else:
            message = f"the handler was still running after {seconds} (the soft deadline)"
    elif isinstance(exc, ModuleNotFoundError) and exc.name:
        place = f" on line {line}" if line else ""
        if file and os.path.abspath(file) != skill.path:
            place += f" of {os.path.basename(file)}"
        spoken = (f"{skill.name} imports a module called {exc.name}{place}, but there is no "
                  f"module with that name. Check the spelling.")
    elif isinstance(exc, SkillDefinitionError):
        spoken = _sentence(f"There is a mistake in {_where(skill, file, line)}: "
                           f"{_short(message)}")
    else:
        detail = _short(message)
        spoken = _sentence(f"There is {_article(type_name)} {type_name} in "
                           f"{_where(skill, file, line)}" + (f": {detail}" if detail else ""))
        if skill.owns(file):
            hint = _hint(exc)
            if hint:
                spoken += " " + hint
    return _error(kind, message, spoken, type_=type_name, file=file, line=line,
                  function=function, trace=_format_traceback(exc))


def _result_error(bad: _BadResult, skill: _Skill) -> dict:
    handler = bad.handler
    return _error("result", bad.message, bad.spoken,
                  file=handler.file if handler else skill.path,
                  line=handler.line if handler else None,
                  function=handler.name if handler else None)


def _error_for(exc: BaseException) -> dict:
    """The ERROR for an exception that escaped a request."""
    skill = _skill
    if isinstance(exc, _BadResult) and skill is not None:
        return _result_error(exc, skill)
    if isinstance(exc, DeadlineExceeded):
        return _exception_error("timeout", exc, skill)
    return _exception_error("raised", exc, skill)


# ---------------------------------------------------------------------------
# Checking what handlers return.

def _who(handler: Handler, skill: _Skill, line: bool = False) -> str:
    """'The function thanks in thank_you' (with line: ', line 5') and the like."""
    role = {"handler": "The function", "before": "The @before function",
            "after": "The @after function", "error": "The @error handler",
            "lambda": "The function"}[handler.role]
    where = f", line {handler.line}," if line and handler.line else ""
    return f"{role} {handler.name} in {skill.name}{where}"


def _what(value: Any) -> tuple[str, str, str]:
    """(for the spoken sentence, for the message, what to do) naming a returned value."""
    words = "Return the words for Alexa to say."
    if value is None:
        return ("nothing", "None (no return statement, or return without a value)",
                "Add a return line with the words for Alexa to say, like: return \"Hello!\"")
    if isinstance(value, bool):
        return str(value), str(value), "Alexa can only say words: put them in quotes."
    if isinstance(value, (int, float)):
        return (f"the number {value!r}", f"the number {value!r}",
                f"Alexa can only say words: make it words with str, like: "
                f"return str({value!r})")
    if isinstance(value, tuple):
        return "a tuple", ("a tuple (a comma after the words makes one: "
                           "return \"Hi\", is a tuple)"), (
                   "A comma after the words makes a tuple: take the comma away.")
    if isinstance(value, list):
        return ("a list",
                "a list (put the words in one string, or use Response(speech=[...]))",
                "Alexa says one piece of text: join the words together, like: "
                "return \" \".join(words)")
    if isinstance(value, dict):
        return ("a dictionary without a response",
                "a dict without a 'response' key (an Alexa response envelope has one)", words)
    name = type(value).__name__
    return f"{_article(name)} {name}", f"{_article(name)} {name} object", words


def _bad_return(handler: Handler, value: Any, skill: _Skill) -> _BadResult:
    spoken_what, message_what, todo = _what(value)
    if handler.role == "lambda":
        return _BadResult(
            f"{handler.name} returned {message_what}; it must return a response dict like "
            f"{{'version': '1.0', 'response': {{...}}}}",
            f"{_who(handler, skill)} returned {spoken_what}. Return the response dictionary.",
            handler)
    return _BadResult(
        f"{handler.name} returned {message_what}; return words (a str), SSML, ask(...), "
        f"tell(...), a Response, or an Alexa response dict",
        _sentence(f"{_who(handler, skill, line=True)} returned {spoken_what}. {todo}"),
        handler)


def _silent(request_type: str) -> bool:
    """True for requests whose answer Alexa never speaks (spec §6)."""
    return request_type in _SILENT_TYPES or request_type.startswith(_SILENT_PREFIXES)


_SILENT_TYPES = ("SessionEndedRequest", "System.ExceptionEncountered")
_SILENT_PREFIXES = ("AudioPlayer.", "PlaybackController.", "AlexaSkillEvent.")


def _normalise(value: Any, handler: Handler, skill: _Skill, req: Request) -> Any:
    """A Response or an envelope dict, from what a handler returned.

    None is the empty response for requests Alexa speaks no answer to
    (SessionEndedRequest, AudioPlayer.*, ...), so a @session_ended function
    need not return anything; elsewhere it is a mistake.
    """
    if isinstance(value, Response):
        return value
    if value is None and _silent(req.type):
        return Response(end_session=ABSENT)
    if isinstance(value, (str, SSML)):
        return Response(value)
    if isinstance(value, dict) and isinstance(value.get("response"), dict):
        return value
    raise _bad_return(handler, value, skill)


def _unsaveable(value: Any, path: str, strict_keys: bool, depth: int = 0
                ) -> Optional[tuple[str, str]]:
    """(path, what) of the first thing in value that JSON cannot carry."""
    if value is None or isinstance(value, (bool, int)):
        return None
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path, "text with a broken character in it"
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else (path, f"the number {value!r}")
    if depth > 100:
        return path, "something nested too deep (maybe it contains itself)"
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}[{key!r}]"
            if not isinstance(key, str) and (strict_keys or not isinstance(
                    key, (int, float, bool, type(None)))):
                return inner, f"a key that is not a string ({_describe_type(key)})"
            found = _unsaveable(item, inner, strict_keys, depth + 1)
            if found:
                return found
        return None
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = _unsaveable(item, f"{path}[{index}]", strict_keys, depth + 1)
            if found:
                return found
        return None
    return path, _describe_type(value)


def _describe_type(value: Any) -> str:
    name = type(value).__name__
    return f"{_article(name)} {name}"


def _find_unsaveable(value: Any, path: str) -> Optional[tuple[str, str]]:
    return _unsaveable(value, path, False) or _unsaveable(value, path, True)


def _unsaveable_error(path: str, what: str, handler: Optional[Handler], skill: _Skill,
                      saving: bool) -> _BadResult:
    by = f"{_who(handler, skill)}" if handler else skill.name
    if saving:
        message = (f"{path} holds {what}, which cannot be saved; use str, int, float, bool, "
                   f"None, list and dict (with str keys)")
        spoken = (f"{by} put {what} in {path}, which cannot be saved. Save words, numbers, "
                  f"lists or dictionaries.")
    else:
        message = (f"{path} holds {what}, which cannot be sent to Alexa; use str, int, "
                   f"float, bool, None, list and dict (with str keys)")
        spoken = (f"{by} put {what} in {path}, which cannot be sent to Alexa. Use words, "
                  f"numbers, lists or dictionaries.")
    return _BadResult(message, spoken, handler)


# Built once: json.dumps with options builds a new encoder on every call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
_CANONICAL = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False,
                              sort_keys=True)


def _canonical(value: Any) -> str:
    """One text per JSON value whatever the key order, to see what changed."""
    return _CANONICAL.encode(value)


def _dumps(value: Any) -> str:
    """Compact JSON that is valid UTF-8 (the C side encodes it as such)."""
    text = _ENCODER.encode(value)
    if not text.isascii():
        text.encode("utf-8")  # raises UnicodeEncodeError on a lone surrogate
    return text


# ---------------------------------------------------------------------------
# Default answers (documented in the package docstring).

def _default_launch(req: Request) -> Response:
    return ask(_WELCOME, _WHAT_NOW)


def _default_goodbye(req: Request) -> Response:
    return tell(_GOODBYE)


def _default_help(req: Request) -> Response:
    return ask(_HELP, _WHAT_NOW)


def _default_unknown(req: Request) -> Response:
    name = req.intent or "(no name)"
    if name != "AMAZON.FallbackIntent":
        skill_name = _skill.name if _skill else "the skill"
        print(f"warning: {skill_name} has no handler for the intent {name}; it got the "
              f"default answer. Put @intent(\"{name}\") above a function to answer it.",
              file=sys.stderr)
    return ask(_UNKNOWN, _WHAT_NOW)


def _default_empty(req: Request) -> Response:
    return Response(end_session=ABSENT)


def _default_session_ended(req: Request) -> Response:
    error = req.error
    if req.reason == "ERROR" and error:
        print(f"Alexa ended the session because of an error: {error.get('type')}: "
              f"{error.get('message')}", file=sys.stderr)
    return Response(end_session=ABSENT)


def _default_exception_encountered(req: Request) -> Response:
    error = req.error or {}
    print(f"Alexa reports that an earlier response failed: {error.get('type')}: "
          f"{error.get('message')}", file=sys.stderr)
    return Response(end_session=ABSENT)


def _default_can_fulfill(req: Request) -> Response:
    registry = _skill.registry if _skill else Registry()
    known = registry.handler_for(("intent", req.intent or "")) is not None
    return Response(end_session=ABSENT, can_fulfill="YES" if known else "NO")


_DEFAULTS = {name: Handler(fn, "handler", "default") for name, fn in (
    ("launch", _default_launch), ("goodbye", _default_goodbye), ("help", _default_help),
    ("unknown", _default_unknown), ("empty", _default_empty),
    ("session_ended", _default_session_ended),
    ("exception", _default_exception_encountered), ("can_fulfill", _default_can_fulfill))}

_DEFAULT_FOR_TYPE = {
    "LaunchRequest": "launch",
    "SessionEndedRequest": "session_ended",
    "System.ExceptionEncountered": "exception",
    "CanFulfillIntentRequest": "can_fulfill",
}


def _spelling(said: str, meant: str) -> str:
    """How two spellings of a name differ, in words a child can act on."""
    for a, b in zip(said, meant):
        if a != b:
            if a.lower() == b.lower():
                return f", with a {'capital' if b.isupper() else 'small'} {b}"
            break
    return ""


def _misspelt(registry: Registry, name: str) -> Optional[Handler]:
    """In --dev: for an intent nobody answers while a handler waits for a name
    that is nearly the same, a default that says so (the classic mistake:
    @intent("ThankyouIntent") for the model's ThankYouIntent)."""
    skill = _skill
    if skill is None or not skill.dev or not name:
        return None
    names = [key[1] for key in registry.routes if key[0] == "intent"]
    close = [n for n in names if n.lower() == name.lower()] or difflib.get_close_matches(
        name, names, 1, 0.8)
    if not close:
        return None
    handler = registry.routes[("intent", close[0])]
    line = f" on line {handler.line}" if handler.line else ""
    spoken = (f"{skill.name} has no function for {name}. The function {handler.name}{line} is "
              f"for {close[0]}: check the spelling, it must be {name}"
              f"{_spelling(close[0], name)}.")

    def misspelt(req: Request) -> Response:
        print(f"warning: {spoken}", file=sys.stderr)
        return tell(spoken)
    return Handler(misspelt, "handler", "default")


def _route(registry: Registry, req: Request) -> Handler:
    """The function that answers req: the skill's, or a default."""
    rtype = req.type
    routes = registry.routes
    if rtype == INTENT_REQUEST:
        name = req.intent or ""
        found = routes.get(("intent", name)) or routes.get(("type", INTENT_REQUEST))
        if found is not None:
            return found
        found = _misspelt(registry, name)
        if found is not None:
            return found
        if name in ("AMAZON.StopIntent", "AMAZON.CancelIntent"):
            return _DEFAULTS["goodbye"]
        if name == "AMAZON.HelpIntent":
            return _DEFAULTS["help"]
        if name == "AMAZON.NavigateHomeIntent":
            return routes.get(("type", "LaunchRequest")) or _DEFAULTS["launch"]
        return routes.get(("intent", "AMAZON.FallbackIntent")) or _DEFAULTS["unknown"]
    found = routes.get(("type", rtype))
    if found is not None:
        return found
    return _DEFAULTS[_DEFAULT_FOR_TYPE.get(rtype, "empty")]


# ---------------------------------------------------------------------------
# Running a request.

def _call(handler: Handler, *args: Any) -> Any:
    out = handler.call(*args)
    if inspect.iscoroutine(out):
        import asyncio  # only skills with async handlers pay for it
        out = asyncio.run(out)
    return out


def _skill_error_response(exc: SkillError) -> Response:
    return Response(exc.speech, exc.reprompt)


def _recover(skill: _Skill, req: Request, exc: BaseException, turn: _Turn) -> Any:
    """The answer after exc: SkillError's words, or the @error handler's."""
    if isinstance(exc, SkillError):
        return _skill_error_response(exc)
    handler = skill.registry.error
    if handler is None or not isinstance(exc, Exception) or isinstance(exc, _BadResult):
        raise exc
    try:
        out = _call(handler, req, exc)
    except SkillError as words:
        return _skill_error_response(words)
    turn.producer = handler
    return _normalise(out, handler, skill, req)


def _answer(skill: _Skill, req: Request, turn: _Turn) -> Any:
    """Interceptors and handler in order; a Response or an envelope dict."""
    registry = skill.registry
    response: Any = None
    try:
        for handler in registry.before:
            out = _call(handler, req)
            if out is not None:
                response = _normalise(out, handler, skill, req)
                turn.producer = handler
                break
        if response is None:
            handler = _route(registry, req)
            turn.handler = handler
            response = _normalise(_call(handler, req), handler, skill, req)
            turn.producer = handler
    except BaseException as exc:  # noqa: BLE001 - sorted out by _recover
        response = _recover(skill, req, exc, turn)
    try:
        for handler in registry.after:
            out = _call(handler, req, response)
            if out is not None:
                response = _normalise(out, handler, skill, req)
                turn.producer = handler
    except BaseException as exc:  # noqa: BLE001 - sorted out by _recover
        response = _recover(skill, req, exc, turn)
    return response


def _check_persistent(req: Request, original: str, turn: _Turn, skill: _Skill
                      ) -> Optional[dict]:
    """req.persistent when the handler changed it, else None."""
    persistent = req.persistent
    if not isinstance(persistent, dict):
        raise _BadResult(
            f"req.persistent must stay a dict, not {_describe_type(persistent)}",
            f"{skill.name} made req.persistent {_describe_type(persistent)}. It must stay "
            f"a dictionary.", turn.handler)
    if not persistent and original == "{}":
        return None
    try:
        now = _canonical(persistent)
        if not now.isascii():
            now.encode("utf-8")
    except (TypeError, ValueError, RecursionError):
        found = _find_unsaveable(persistent, "req.persistent") or (
            "req.persistent", "something that is not JSON")
        raise _unsaveable_error(found[0], found[1], turn.handler, skill, True) from None
    return persistent if now != original else None


def _reply_text(result: dict, reply: dict, turn: _Turn, skill: _Skill) -> str:
    """The JSON answer, or a result error naming what could not be encoded."""
    try:
        return _dumps(result)
    except (TypeError, ValueError, RecursionError):
        pass
    if reply.get("kind") == "envelope":
        parts = [("the returned dictionary", reply.get("envelope"))]
    else:
        parts = [("the speech", reply.get("speech")), ("the reprompt", reply.get("reprompt")),
                 ("the card", reply.get("card")), ("directives", reply.get("directives")),
                 ("req.session", reply.get("sessionAttributes")),
                 ("can_fulfill", reply.get("canFulfillIntent"))]
    for label, value in parts:
        found = _find_unsaveable(value, label)
        if found:
            raise _unsaveable_error(found[0], found[1], turn.producer, skill, False)
    raise _BadResult("the response cannot be turned into JSON",
                     f"{skill.name} returned a response that cannot be sent to Alexa.",
                     turn.producer)


def _handle(message: str) -> str:
    skill = _skill
    if skill is None:
        return _dumps({"ok": False, "error": _error(
            "load", "handle() was called before load()", "No skill is loaded.")})
    if skill.load_error is not None:
        return _dumps({"ok": False, "error": skill.load_error})
    try:
        data = json.loads(message)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"the server sent a message that is not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("event"), dict):
        raise ValueError("the server sent a message without an 'event' object")
    event = data["event"]
    soft_ms = data.get("soft_ms")
    soft_ms = soft_ms if isinstance(soft_ms, int) and soft_ms > 0 else 0
    attributes = data.get("attributes")
    turn = _Turn()

    if skill.lambda_handler is not None:
        turn.handler = turn.producer = skill.lambda_handler
        body = event.get("request")
        request_id = body.get("requestId") if isinstance(body, dict) else None
        context = LambdaContext(skill.name, request_id, soft_ms)
        _output.set_request_id(request_id)
        _arm(soft_ms / 1000.0)
        try:
            out = _call(skill.lambda_handler, event, context)
        finally:
            _disarm()
        if not isinstance(out, dict):
            raise _bad_return(skill.lambda_handler, out, skill)
        reply = {"kind": "envelope", "envelope": out}
        return _reply_text({"ok": True, "reply": reply, "attributes": None}, reply, turn,
                           skill)

    req = Request(event, attributes if isinstance(attributes, dict) else {},
                  default_locale=skill.locale)
    _output.set_request_id(req.request_id)
    original = _canonical(req.persistent) if req.persistent else "{}"
    _arm(soft_ms / 1000.0)
    try:
        response = _answer(skill, req, turn)
    finally:
        _disarm()
    if not isinstance(req.session, dict):
        raise _BadResult(f"req.session must stay a dict, not {_describe_type(req.session)}",
                         f"{skill.name} made req.session {_describe_type(req.session)}. It "
                         f"must stay a dictionary.", turn.handler)
    changed = _check_persistent(req, original, turn, skill)
    if isinstance(response, Response):
        # A request Alexa speaks no answer to (SessionEndedRequest) ends its
        # session: there is nothing to keep sessionAttributes in.
        reply = response.to_reply(req.has_session and not _silent(req.type), req.session)
    else:
        reply = {"kind": "envelope", "envelope": response}
    return _reply_text({"ok": True, "reply": reply, "attributes": changed}, reply, turn, skill)


def handle(message: str) -> str:
    """Answer one request; see the module docstring. Never raises."""
    try:
        return _handle(message)
    except BaseException as exc:  # noqa: BLE001 - every failure becomes an ERROR
        try:
            return _dumps({"ok": False, "error": _error_for(exc)})
        except BaseException:  # noqa: BLE001
            return _LAST_RESORT
    finally:
        _disarm()
        _output.flush()


# ---------------------------------------------------------------------------
# Loading a skill.

def _unload() -> None:
    """Forget the loaded skill: its module, its folder on sys.path, its siblings."""
    global _skill
    old, _skill = _skill, None
    if old is None:
        return
    sys.modules.pop(old.module_name, None)
    if not old.added_path:
        # Nothing of the skill ran, or its folder was on sys.path already
        # (then its modules are not the skill's alone): leave them be.
        return
    if old.folder in sys.path:
        sys.path.remove(old.folder)
    prefix = old.folder + os.sep
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if not isinstance(file, str):
            continue
        file = os.path.abspath(file)
        if file.startswith(prefix) and not file.startswith(_PACKAGE_DIR + os.sep):
            del sys.modules[name]


def _read_json(path: str) -> Any:
    with open(path, encoding="utf-8") as handle_:
        return json.load(handle_)


def _skill_locale(skill: _Skill) -> str:
    try:
        manifest = _read_json(os.path.join(skill.folder, "skill.json"))
    except (OSError, ValueError):
        return "en-US"
    locale = manifest.get("locale") if isinstance(manifest, dict) else None
    return locale if isinstance(locale, str) and locale else "en-US"


def _shadow_warnings(skill: _Skill) -> list[str]:
    """Sibling modules that `import` would never find (stdlib comes first)."""
    warnings = []
    try:
        entries = sorted(os.listdir(skill.folder))
    except OSError:
        return warnings
    for entry in entries:
        stem, ext = os.path.splitext(entry)
        if ext != ".py" or stem == "skill":
            continue
        if stem in sys.stdlib_module_names or stem in ("skillkit", "_skillserver"):
            warnings.append(f"{entry} has the same name as Python's {stem} module, so "
                            f"'import {stem}' gets Python's, not yours. Rename the file.")
    return warnings


def _model_warnings(skill: _Skill) -> list[str]:
    """Compare the handlers with the intents of model.json, to catch typos.

    `skillserver say` makes the same comparison in C (model_check() in
    server/catalog/model.c, with JSON paths) and leaves out the warnings that mention
    model.json; keep "model.json" in each of them.
    """
    path = os.path.join(skill.folder, "model.json")
    if not os.path.exists(path):
        return []
    try:
        model = _read_json(path)
        intents = model["interactionModel"]["languageModel"]["intents"]
        names = [i["name"] for i in intents if isinstance(i, dict) and isinstance(
            i.get("name"), str)]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [f"model.json cannot be read: {exc}"]
    warnings = []
    routes = skill.registry.routes
    for kind, name in routes:
        if kind == "intent" and name not in names:
            close = difflib.get_close_matches(name, names, 1)
            hint = f"; did you mean {close[0]}?" if close else "; Alexa never sends it"
            warnings.append(f"{name} has a handler but is not in model.json{hint}")
    catch_all = ("type", INTENT_REQUEST) in routes or (
        "intent", "AMAZON.FallbackIntent") in routes
    for name in names:
        if not name.startswith("AMAZON.") and ("intent", name) not in routes and not catch_all:
            warnings.append(f"model.json has {name} but no function answers it; put "
                            f"@intent(\"{name}\") above one")
    return warnings


#: At most this many files and folders are looked at for unreadable ones at
#: load time (a vendored SDK has a few thousand).
READABLE_CHECK_ENTRIES = 20000


def _unreadable(folder: str) -> Optional[str]:
    """The first folder or Python file under folder this process cannot read."""
    seen = 0
    for top, dirs, files in os.walk(folder, onerror=None):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d != "__pycache__"]
        for d in dirs:
            full = os.path.join(top, d)
            if not os.access(full, os.R_OK | os.X_OK):
                return full
        for f in files:
            full = os.path.join(top, f)
            if f.endswith((".py", ".json", ".txt")) and not os.access(full, os.R_OK):
                return full
        seen += len(dirs) + len(files)
        if seen > READABLE_CHECK_ENTRIES:
            break
    if not os.access(folder, os.R_OK | os.X_OK):
        return folder
    return None


def _vendored_index() -> int:
    """Where the code folder goes on sys.path: before the first folder of
    installed packages (site-packages, dist-packages)."""
    for i, entry in enumerate(sys.path):
        if entry.endswith(("site-packages", "dist-packages")):
            return i
    return len(sys.path)


#: Distributions whose module has another name than the distribution.
_MODULE_OF = {"python-dateutil": "dateutil", "pyyaml": "yaml", "beautifulsoup4": "bs4",
              "pillow": "PIL", "ask-sdk": "ask_sdk_core", "scikit-learn": "sklearn"}


def _requirements(folder: str) -> dict[str, str]:
    """requirements.txt beside the code: {module name: requirement name}."""
    found: dict[str, str] = {}
    try:
        with open(os.path.join(folder, "requirements.txt"), encoding="utf-8") as f:
            lines = f.read().splitlines()
    except (OSError, ValueError):
        return found
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        req = ""
        for ch in line:
            if not (ch.isalnum() or ch in "._-"):
                break
            req += ch
        if req:
            module = _MODULE_OF.get(req.lower(), req.replace("-", "_").replace(".", "_"))
            found[module] = req
    return found


def _pip_hint(skill: _Skill) -> str:
    return (f"run pip install -r requirements.txt -t . in {skill.folder} on a machine that has "
            f"pip, so the package sits beside your code")


def _missing_warnings(skill: _Skill, requirements: dict[str, str]) -> list[str]:
    """A warning for each requirement that cannot be imported."""
    import importlib.metadata
    warnings = []
    for module, req in requirements.items():
        try:
            importlib.metadata.distribution(req)
            continue
        except Exception:  # noqa: BLE001 - any failure means "not found"
            pass
        try:
            if importlib.util.find_spec(module) is not None:
                continue
        except (ImportError, ValueError):
            pass
        warnings.append(f"requirements.txt lists {req}, but it is not installed beside the "
                        f"code: {_pip_hint(skill)}")
    return warnings


def _explain_missing(skill: _Skill, missing: str, requirements: dict[str, str],
                     error: dict) -> None:
    """Make a load error for a missing module say how to vendor it."""
    top = missing.split(".")[0]
    req = requirements.get(top) or next(
        (r for m, r in requirements.items() if m.lower() == top.lower()), None)
    if req is None:
        return
    error["message"] = (f"No module named {missing!r}: requirements.txt lists {req}, but it "
                        f"is not installed: {_pip_hint(skill)}")
    error["spoken"] = (f"{skill.name} needs the package {req}, which is not installed. The "
                       f"log says how to install it.")


def _load(name: str, path: str, dev: bool, handler: Optional[str] = None) -> dict:
    global _skill
    _unload()
    path = os.path.abspath(path)
    skill = _Skill(name, path, dev, handler)
    _skill = skill
    _output.install()
    warnings: list[str] = []
    alarm_warning = _install_alarm()
    if alarm_warning:
        warnings.append(alarm_warning)

    if not os.path.isfile(path):
        skill.load_error = _error(
            "load", f"{path} does not exist or is not a file",
            f"{name} has no skill.py file. Put your skill in skills/{name}/skill.py.",
            type_="FileNotFoundError", file=path)
        return {"ok": False, "error": skill.load_error}
    skill.locale = _skill_locale(skill)
    unreadable = _unreadable(skill.folder)
    if unreadable:
        skill.load_error = _error(
            "load", f"{unreadable} cannot be read by the skill's workers (they run as another "
            f"user, with only read access): let everyone read the skill's files, for example "
            f"with chmod -R a+rX {skill.folder}",
            f"{name} cannot be loaded: some of its files cannot be read. The log says which.",
            type_="PermissionError", file=unreadable)
        return {"ok": False, "error": skill.load_error}
    if skill.folder not in sys.path:
        # Before the system's packages, so that packages vendored beside the
        # code (pip install -t) win, as on Lambda; after the standard library
        # and skillkit, so that a sibling file sharing a name with them does
        # not break the skill.
        sys.path.insert(_vendored_index(), skill.folder)
        skill.added_path = True
    requirements = _requirements(skill.folder)
    warnings.extend(_missing_warnings(skill, requirements))

    # Directory listings are cached by the import system; a sibling module
    # written a moment ago (tests, --dev reloads) must be found.
    importlib.invalidate_caches()
    spec = importlib.util.spec_from_file_location(skill.module_name, path)
    if spec is None or spec.loader is None:
        skill.load_error = _error("load", f"{path} cannot be imported as a Python module",
                                  f"{name} cannot be loaded: skill.py is not a Python file.",
                                  file=path)
        return {"ok": False, "error": skill.load_error}
    module = importlib.util.module_from_spec(spec)
    sys.modules[skill.module_name] = module
    try:
        with registering(skill.registry):
            _arm(LOAD_SOFT_SECONDS)
            try:
                spec.loader.exec_module(module)
            finally:
                _disarm()
    except BaseException as exc:  # noqa: BLE001 - any failure of the import is a load error
        sys.modules.pop(skill.module_name, None)
        skill.load_error = _exception_error("load", exc, skill)
        if isinstance(exc, ModuleNotFoundError) and exc.name:
            _explain_missing(skill, exc.name, requirements, skill.load_error)
        return {"ok": False, "error": skill.load_error}
    finally:
        _output.flush()

    registry = skill.registry
    function_name = skill.handler.rpartition(".")[2] if skill.handler else "lambda_handler"
    lambda_fn = getattr(module, function_name, None)
    if skill.handler and lambda_fn is None and not registry.routes:
        skill.load_error = _error(
            "load", f"the handler {skill.handler} names a function {function_name}, but "
            f"{os.path.basename(path)} has no {function_name}",
            f"{name} has no function called {function_name} in {os.path.basename(path)}. "
            f"Check the handler in the skill's settings.", file=path)
        return {"ok": False, "error": skill.load_error}
    if registry.routes:
        skill.style = "skillkit"
        handlers = registry.names()
        if lambda_fn is not None:
            warnings.append("lambda_handler is not used: the skill has skillkit handlers, "
                            "and they answer every request")
        if ("type", "LaunchRequest") not in registry.routes:
            warnings.append("no @launch handler: opening the skill gets the default welcome")
        warnings.extend(_model_warnings(skill))
    elif callable(lambda_fn):
        try:
            skill.lambda_handler = Handler(lambda_fn, "lambda", function_name)
        except SkillDefinitionError as exc:
            skill.load_error = _error("load", str(exc), _sentence(
                f"There is a mistake in {_where(skill, path, None)}: {_short(str(exc))}"),
                type_="SkillDefinitionError", file=path,
                line=getattr(getattr(lambda_fn, "__code__", None), "co_firstlineno", None),
                function="lambda_handler")
            return {"ok": False, "error": skill.load_error}
        skill.style = "lambda"
        handlers = [function_name]
        if registry.before or registry.after or registry.error:
            warnings.append("@before, @after and @error are not used by a lambda_handler skill")
    else:
        if lambda_fn is not None:
            detail = (f"lambda_handler in {os.path.basename(path)} is "
                      f"{_describe_type(lambda_fn)}, not a function")
        elif registry.before or registry.after or registry.error:
            detail = "it has @before, @after or @error functions but no handler"
        else:
            detail = "it has no handlers"
        message = (f"{detail}: put @launch or @intent(\"Name\") from skillkit above a "
                   f"function, or define lambda_handler(event, context)")
        spoken = (f"{name} has no handlers. Put @launch or @intent above a function, or "
                  f"write a function called lambda_handler.")
        skill.load_error = _error("load", message, spoken, file=path)
        return {"ok": False, "error": skill.load_error}
    warnings.extend(_shadow_warnings(skill))
    return {"ok": True, "style": skill.style, "handlers": handlers, "warnings": warnings}


def load(name: str, path: str, dev: bool, handler: Optional[str] = None) -> str:
    """Import the skill at path; see the module docstring. Never raises."""
    try:
        return _dumps(_load(str(name), str(path), bool(dev),
                            str(handler) if handler else None))
    except BaseException as exc:  # noqa: BLE001 - every failure becomes an ERROR
        try:
            error = _exception_error("load", exc, _skill)
            if _skill is not None:
                _skill.load_error = error
            return _dumps({"ok": False, "error": error})
        except BaseException:  # noqa: BLE001
            return _LAST_RESORT
    finally:
        _output.flush()
