"""What leaves the worker as JSON: attributes that can be saved, answers that can be sent.

A handler may put anything into req.persistent, req.session or a response;
here it is found out, before the answer is written, whether JSON can carry
it, and if not, which path holds what (``req.persistent['when'] holds a
datetime``), as a BadResult naming the function that put it there.
"""
from __future__ import annotations

from . import _jsontext
from ._diagnose import BadResult, describe_type, who
from ._registry import Handler
from ._routing import Turn
from ._skill import Skill
from .request import Request

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

__all__ = ["check_persistent", "reply_text", "canonical", "saveable_text", "dumps",
           "find_unsaveable"]


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
        import math  # only when something could not be encoded

        return None if math.isfinite(value) else (path, f"the number {value!r}")
    if depth > 100:
        return path, "something nested too deep (maybe it contains itself)"
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}[{key!r}]"
            if not isinstance(key, str) and (strict_keys or not isinstance(
                    key, (int, float, bool, type(None)))):
                return inner, f"a key that is not a string ({describe_type(key)})"
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
    return path, describe_type(value)


def find_unsaveable(value: Any, path: str) -> Optional[tuple[str, str]]:
    """(path, what) of the first thing in value that JSON cannot carry, or
    that cannot be saved (a key that is not a str), or None."""
    return _unsaveable(value, path, False) or _unsaveable(value, path, True)


def _unsaveable_error(path: str, what: str, handler: Optional[Handler], skill: Skill,
                      saving: bool) -> BadResult:
    by = f"{who(handler, skill)}" if handler else skill.name
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
    return BadResult(message, spoken, handler)


def canonical(value: Any) -> str:
    """One text per JSON value whatever the key order, to see what changed."""
    return _jsontext.dumps(value, sort_keys=True)


def saveable_text(value: Any) -> str:
    """canonical(value), checked to be valid UTF-8 (the store keeps it as
    such); TypeError, ValueError or RecursionError when JSON cannot carry
    value (find_unsaveable() says where)."""
    text = canonical(value)
    if not text.isascii():
        text.encode("utf-8")  # raises UnicodeEncodeError on a lone surrogate
    return text


def dumps(value: Any) -> str:
    """Compact JSON that is valid UTF-8 (the C side encodes it as such)."""
    text = _jsontext.dumps(value)
    if not text.isascii():
        text.encode("utf-8")  # raises UnicodeEncodeError on a lone surrogate
    return text


def check_persistent(req: Request, original: str, turn: Turn, skill: Skill
                     ) -> Optional[dict]:
    """req.persistent when the handler changed it, else None."""
    persistent = req.persistent
    if not isinstance(persistent, dict):
        raise BadResult(
            f"req.persistent must stay a dict, not {describe_type(persistent)}",
            f"{skill.name} made req.persistent {describe_type(persistent)}. It must stay "
            f"a dictionary.", turn.handler)
    if not persistent and original == "{}":
        return None
    try:
        now = saveable_text(persistent)
    except (TypeError, ValueError, RecursionError):
        found = find_unsaveable(persistent, "req.persistent") or (
            "req.persistent", "something that is not JSON")
        raise _unsaveable_error(found[0], found[1], turn.handler, skill, True) from None
    return persistent if now != original else None


def reply_text(result: dict, reply: dict, turn: Turn, skill: Skill) -> str:
    """The JSON answer, or a result error naming what could not be encoded."""
    try:
        return dumps(result)
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
        found = find_unsaveable(value, label)
        if found:
            raise _unsaveable_error(found[0], found[1], turn.producer, skill, False)
    raise BadResult("the response cannot be turned into JSON",
                    f"{skill.name} returned a response that cannot be sent to Alexa.",
                    turn.producer)

