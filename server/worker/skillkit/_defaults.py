"""skillkit's own answers, for what a skill has no handler for.

Documented for authors in the package docstring: a welcome for a launch, a
goodbye for stop and cancel, help, a polite "I don't know how to do that
yet" for an intent nobody answers, the empty response for requests Alexa
speaks no answer to, and CanFulfillIntent from the intents the skill has.
"""
from __future__ import annotations

import sys

from ._registry import Handler
from ._skill import Skill
from .request import Request
from .response import ABSENT, Response, ask, tell

__all__ = ["make", "for_type"]

_GOODBYE = "Goodbye!"
_WHAT_NOW = "What would you like to do?"
_WELCOME = "Welcome! " + _WHAT_NOW
_HELP = ("You can tell this skill what you want, or say stop to finish. " + _WHAT_NOW)
_UNKNOWN = "Sorry, I don't know how to do that yet. " + _WHAT_NOW


def _default_launch(req: Request) -> Response:
    return ask(_WELCOME, _WHAT_NOW)


def _default_goodbye(req: Request) -> Response:
    return tell(_GOODBYE)


def _default_help(req: Request) -> Response:
    return ask(_HELP, _WHAT_NOW)


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


_SHARED = {name: Handler(fn, "handler", "default") for name, fn in (
    ("launch", _default_launch), ("goodbye", _default_goodbye), ("help", _default_help),
    ("empty", _default_empty), ("session_ended", _default_session_ended),
    ("exception", _default_exception_encountered))}

_FOR_TYPE = {
    "LaunchRequest": "launch",
    "SessionEndedRequest": "session_ended",
    "System.ExceptionEncountered": "exception",
    "CanFulfillIntentRequest": "can_fulfill",
}


def make(skill: Skill) -> dict[str, Handler]:
    """The default handlers for skill, by name ("launch", "unknown", ...)."""

    def _default_unknown(req: Request) -> Response:
        name = req.intent or "(no name)"
        if name != "AMAZON.FallbackIntent":
            print(f"warning: {skill.name} has no handler for the intent {name}; it got the "
                  f"default answer. Put @intent(\"{name}\") above a function to answer it.",
                  file=sys.stderr)
        return ask(_UNKNOWN, _WHAT_NOW)

    def _default_can_fulfill(req: Request) -> Response:
        known = skill.registry.handler_for(("intent", req.intent or "")) is not None
        return Response(end_session=ABSENT, can_fulfill="YES" if known else "NO")

    defaults = dict(_SHARED)
    defaults["unknown"] = Handler(_default_unknown, "handler", "default")
    defaults["can_fulfill"] = Handler(_default_can_fulfill, "handler", "default")
    return defaults


def for_type(request_type: str) -> str:
    """The name of the default that answers a request of this type (not an intent)."""
    return _FOR_TYPE.get(request_type, "empty")
