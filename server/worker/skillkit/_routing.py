"""Which function answers a request, and running it with the interceptors.

A request goes to the skill's handler for its intent or type; failing that,
to a handler for every intent (@on("IntentRequest")), then in --dev to a
handler whose intent name is nearly the same (said aloud as a spelling
mistake), then to skillkit's defaults. @before functions run first and may
answer instead; @after functions may replace the answer; @error recovers
from what a handler raised. What a function returns becomes a Response or
an envelope dict here, or a BadResult.
"""
from __future__ import annotations

import sys

from . import _defaults
from ._diagnose import BadResult, bad_return
from ._registry import INTENT_REQUEST, Handler
from ._skill import Skill
from .errors import SkillError
from .request import Request
from .response import ABSENT, Response, tell
from .ssml import SSML

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

__all__ = ["Turn", "silent", "answer", "call"]


class Turn:
    """Which functions took part in one request, for error messages."""

    __slots__ = ("handler", "producer")

    def __init__(self) -> None:
        self.handler: Optional[Handler] = None
        self.producer: Optional[Handler] = None


def silent(request_type: str) -> bool:
    """True for requests whose answer Alexa never speaks (spec §6)."""
    return request_type in _SILENT_TYPES or request_type.startswith(_SILENT_PREFIXES)


_SILENT_TYPES = ("SessionEndedRequest", "System.ExceptionEncountered")
_SILENT_PREFIXES = ("AudioPlayer.", "PlaybackController.", "AlexaSkillEvent.")


def _normalise(value: Any, handler: Handler, skill: Skill, req: Request) -> Any:
    """A Response or an envelope dict, from what a handler returned.

    None is the empty response for requests Alexa speaks no answer to
    (SessionEndedRequest, AudioPlayer.*, ...), so a @session_ended function
    need not return anything; elsewhere it is a mistake.
    """
    if isinstance(value, Response):
        return value
    if value is None and silent(req.type):
        return Response(end_session=ABSENT)
    if isinstance(value, (str, SSML)):
        return Response(value)
    if isinstance(value, dict) and isinstance(value.get("response"), dict):
        return value
    raise bad_return(handler, value, skill)


def _spelling(said: str, meant: str) -> str:
    """How two spellings of a name differ, in words a child can act on."""
    for a, b in zip(said, meant):
        if a != b:
            if a.lower() == b.lower():
                return f", with a {'capital' if b.isupper() else 'small'} {b}"
            break
    return ""


def _misspelt(skill: Skill, name: str) -> Optional[Handler]:
    """In --dev: for an intent nobody answers while a handler waits for a name
    that is nearly the same, a default that says so (the classic mistake:
    @intent("ThankyouIntent") for the model's ThankYouIntent)."""
    if not skill.dev or not name:
        return None
    registry = skill.registry
    names = [key[1] for key in registry.routes if key[0] == "intent"]
    close = [n for n in names if n.lower() == name.lower()]
    if not close:
        import difflib  # --dev only: not imported at start-up (see _runner)

        close = difflib.get_close_matches(name, names, 1, 0.8)
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


def _route(skill: Skill, req: Request) -> Handler:
    """The function that answers req: the skill's, or a default."""
    rtype = req.type
    routes = skill.registry.routes
    defaults = skill.defaults
    if rtype == INTENT_REQUEST:
        name = req.intent or ""
        found = routes.get(("intent", name)) or routes.get(("type", INTENT_REQUEST))
        if found is not None:
            return found
        found = _misspelt(skill, name)
        if found is not None:
            return found
        if name in ("AMAZON.StopIntent", "AMAZON.CancelIntent"):
            return defaults["goodbye"]
        if name == "AMAZON.HelpIntent":
            return defaults["help"]
        if name == "AMAZON.NavigateHomeIntent":
            return routes.get(("type", "LaunchRequest")) or defaults["launch"]
        return routes.get(("intent", "AMAZON.FallbackIntent")) or defaults["unknown"]
    found = routes.get(("type", rtype))
    if found is not None:
        return found
    return defaults[_defaults.for_type(rtype)]


async def _coroutine() -> None:
    """Made once, for its type."""


_probe = _coroutine()
#: types.CoroutineType, without importing types (see _runner).
_CoroutineType = type(_probe)
_probe.close()
del _probe


def call(handler: Handler, *args: Any) -> Any:
    """Call handler with as many of args as it takes; run it to the end if async."""
    out = handler.call(*args)
    if isinstance(out, _CoroutineType):  # inspect.iscoroutine, without inspect
        import asyncio  # only skills with async handlers pay for it
        out = asyncio.run(out)
    return out


def _skill_error_response(exc: SkillError) -> Response:
    return Response(exc.speech, exc.reprompt)


def _recover(skill: Skill, req: Request, exc: BaseException, turn: Turn) -> Any:
    """The answer after exc: SkillError's words, or the @error handler's."""
    if isinstance(exc, SkillError):
        return _skill_error_response(exc)
    handler = skill.registry.error
    if handler is None or not isinstance(exc, Exception) or isinstance(exc, BadResult):
        raise exc
    try:
        out = call(handler, req, exc)
    except SkillError as words:
        return _skill_error_response(words)
    turn.producer = handler
    return _normalise(out, handler, skill, req)


def answer(skill: Skill, req: Request, turn: Turn) -> Any:
    """Interceptors and handler in order; a Response or an envelope dict."""
    registry = skill.registry
    response: Any = None
    try:
        for handler in registry.before:
            out = call(handler, req)
            if out is not None:
                response = _normalise(out, handler, skill, req)
                turn.producer = handler
                break
        if response is None:
            handler = _route(skill, req)
            turn.handler = handler
            response = _normalise(call(handler, req), handler, skill, req)
            turn.producer = handler
    except BaseException as exc:  # noqa: BLE001 - sorted out by _recover
        response = _recover(skill, req, exc, turn)
    try:
        for handler in registry.after:
            out = call(handler, req, response)
            if out is not None:
                response = _normalise(out, handler, skill, req)
                turn.producer = handler
    except BaseException as exc:  # noqa: BLE001 - sorted out by _recover
        response = _recover(skill, req, exc, turn)
    return response

