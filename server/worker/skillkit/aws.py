"""A skill on AWS Lambda, where there is no skillserver: skillkit answers Alexa by itself.

``skillserver export`` writes a ``lambda_function.py`` beside the skill's
code that does::

    from skillkit.aws import skill_handler
    lambda_handler = skill_handler("/var/task/skill.py", name="thank_you")

``skill_handler`` loads the skill's file once per Lambda container (at
import, so a broken skill shows in the log at once), in a registry of its
own, exactly as a worker of skillserver loads it (skillkit._loader), and
returns the ``lambda_handler(event, context)`` that Lambda calls. Each event
goes through the same routing as on skillserver (skillkit._routing: the
decorated functions, @before/@after/@error, skillkit's defaults), or, for a
classic skill, to its own ``lambda_handler``. What skillserver's C side
does with skillkit's reply (server/pipeline/response.h) is done here:
``envelope()`` builds the Alexa response envelope (version, outputSpeech as
SSML with the text escaped inside one ``<speak>``, reprompt, card,
directives, shouldEndSession, sessionAttributes, canFulfillIntent), keeping
only what the request type may carry (spec/alexa-protocol.md section 6).
When the skill fails, Alexa says the same apology skillserver says
(server/base/error.h) and the log (CloudWatch) gets the error.

What stays local: persistent attributes. On Lambda ``req.persistent`` is
empty at every request, and what a handler puts there is dropped with one
log line (skillserver keeps them in its own store; Lambda has none).

What must stay true: the handler never raises (every failure becomes the
apology); the module imports nothing outside the standard library and
skillkit; it runs under the Python versions Lambda offers (3.9 and newer).
"""
from __future__ import annotations

import os
import re
import sys
import traceback
from typing import Any, Callable, Optional

from . import _deadline, _loader, _message
from ._diagnose import BadResult, bad_return, describe_type, error_for
from ._persist import canonical, reply_text
from ._routing import Turn, answer, call, silent
from ._skill import Skill
from .request import Request
from .response import Response
from .ssml import _escape_all

__all__ = ["skill_handler", "envelope", "apology", "APOLOGIES"]

#: What Alexa says when the skill fails, by ERROR kind: the spoken words of
#: SKILL_LOAD, SKILL_RAISED, SKILL_TIMEOUT and SKILL_RESULT in
#: server/base/error.h (tests/unit/worker/test_aws.py checks they agree).
APOLOGIES = {
    _message.KIND_LOAD: "Sorry, this skill is not working right now. Please try again later.",
    _message.KIND_RAISED: "Sorry, something went wrong in this skill. Please try again.",
    _message.KIND_TIMEOUT: "Sorry, this skill took too long to answer. Please try again.",
    _message.KIND_RESULT: "Sorry, this skill gave an answer I can't say.",
}

#: The soft deadline ends this long before Lambda's own, so the skill is
#: interrupted with an apology instead of killed without an answer.
DEADLINE_MARGIN_MS = 1000

#: Request types whose answer may speak, and keep a session (spec section 6).
_SPEAKING = ("LaunchRequest", "IntentRequest", "Alexa.Presentation.APL.UserEvent",
             "Connections.Response", "Display.ElementSelected", "SessionResumedRequest")
#: Request types whose answer may carry only AudioPlayer directives.
_AUDIO_ONLY = ("AudioPlayer.PlaybackNearlyFinished", "AudioPlayer.PlaybackFailed")
#: ... and only AudioPlayer.Stop or AudioPlayer.ClearQueue.
_STOP_CLEAR = ("AudioPlayer.PlaybackStarted", "AudioPlayer.PlaybackFinished")


def _log(text: str) -> None:
    """One line in the function's log (CloudWatch on Lambda, the server's log here)."""
    print(text.replace("\n", " | "), file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Speech.

_SPEAK = re.compile(r"\s*<speak(\s[^>]*)?>(.*)</speak\s*>\s*\Z", re.S)
_EMPTY_SPEAK = re.compile(r"\s*<speak(\s[^>]*)?/>\s*\Z")


def _inner(markup: str) -> str:
    """An SSML segment without one outer <speak> pair around the whole of it."""
    if _EMPTY_SPEAK.match(markup):
        return ""
    m = _SPEAK.match(markup)
    # "<speak>a</speak> <speak>b</speak>" is two documents, not one: left as
    # it is, Alexa refuses it, as skillserver's check does.
    if m and "</speak" not in m.group(2) and "<speak" not in m.group(2):
        return m.group(2)
    return markup


def _speech(segments: Any, play_behavior: Optional[str] = None) -> Optional[dict]:
    """The outputSpeech for reply segments, or None when there is nothing to say."""
    if not isinstance(segments, list) or not segments:
        return None
    parts = []
    for seg in segments:
        if isinstance(seg, dict) and isinstance(seg.get("ssml"), str):
            parts.append(_inner(seg["ssml"]))
        elif isinstance(seg, dict) and isinstance(seg.get("text"), str):
            parts.append(_escape_all(seg["text"]))
    speech = {"type": "SSML", "ssml": "<speak>" + "".join(parts) + "</speak>"}
    if play_behavior:
        speech["playBehavior"] = play_behavior
    return speech


# ---------------------------------------------------------------------------
# The envelope.

def _request_type(event: Any) -> str:
    body = event.get("request") if isinstance(event, dict) else None
    rtype = body.get("type") if isinstance(body, dict) else None
    return rtype if isinstance(rtype, str) else ""


def _directive_allowed(rtype: str, directive: Any) -> bool:
    dtype = directive.get("type") if isinstance(directive, dict) else None
    if not isinstance(dtype, str):
        return False
    if rtype in _STOP_CLEAR:
        return dtype in ("AudioPlayer.Stop", "AudioPlayer.ClearQueue")
    if rtype in _AUDIO_ONLY or rtype.startswith("PlaybackController."):
        return dtype.startswith("AudioPlayer.")
    if rtype not in _SPEAKING:
        return False
    # The Dialog directives that drive an intent's dialog need an intent.
    return (rtype == "IntentRequest" or not dtype.startswith("Dialog.")
            or dtype == "Dialog.UpdateDynamicEntities")


def envelope(reply: dict, event: dict) -> dict:
    """The Alexa response envelope for a reply (server/pipeline/response.h's format).

    A reply of kind "envelope" (a dict the skill built itself) is sent as it
    is, with ``version`` added when missing. A reply of kind "reply" keeps
    what the request type may carry: speech, reprompt, card and session for
    launches and intents, canFulfillIntent for CanFulfillIntentRequest,
    AudioPlayer directives for AudioPlayer and PlaybackController requests,
    and nothing for SessionEndedRequest and the other silent types.
    """
    if reply.get("kind") == "envelope":
        out = dict(reply.get("envelope") or {})
        out.setdefault("version", "1.0")
        return out
    rtype = _request_type(event)
    response: dict = {}
    out: dict = {"version": "1.0"}
    if rtype == "CanFulfillIntentRequest":
        if isinstance(reply.get("canFulfillIntent"), dict):
            response["canFulfillIntent"] = reply["canFulfillIntent"]
        out["response"] = response
        return out
    if rtype in _SPEAKING:
        speech = _speech(reply.get("speech"), reply.get("playBehavior"))
        if speech:
            response["outputSpeech"] = speech
        if isinstance(reply.get("card"), dict):
            response["card"] = reply["card"]
        reprompt = _speech(reply.get("reprompt"))
        if reprompt:
            response["reprompt"] = {"outputSpeech": reprompt}
    directives = [d for d in reply.get("directives") or () if _directive_allowed(rtype, d)]
    if directives:
        response["directives"] = directives
    if rtype in _SPEAKING:
        if "shouldEndSession" in reply:
            response["shouldEndSession"] = reply["shouldEndSession"]
        if isinstance(reply.get("sessionAttributes"), dict):
            out["sessionAttributes"] = reply["sessionAttributes"]
    out["response"] = response
    return out


def apology(event: Any, kind: str = _message.KIND_RAISED) -> dict:
    """What Alexa says when the skill failed with an ERROR of this kind.

    PlainText that ends the session, as skillserver answers
    (server/pipeline/response/apology.c); the empty response for a request
    type whose answer may not speak.
    """
    if _request_type(event) not in _SPEAKING:
        return {"version": "1.0", "response": {}}
    text = APOLOGIES.get(kind, APOLOGIES[_message.KIND_RAISED])
    return {"version": "1.0", "response": {
        "outputSpeech": {"type": "PlainText", "text": text}, "shouldEndSession": True}}


# ---------------------------------------------------------------------------
# Loading and answering.

def _report(skill: Skill, error: dict) -> None:
    """The skill's error in the log: what, where, and the traceback."""
    where = ""
    if error.get(_message.FILE):
        where = f" ({os.path.basename(error[_message.FILE])}"
        where += f", line {error[_message.LINE]})" if error.get(_message.LINE) else ")"
    _log(f"{skill.name}: {error.get(_message.KIND)} error{where}: {error.get(_message.MESSAGE)}")
    if error.get(_message.TRACEBACK):
        _log(str(error[_message.TRACEBACK]).rstrip())


def _arm(context: Any) -> None:
    """A soft deadline a little before Lambda's, when the context says when that is."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if not callable(remaining):
        return
    try:
        budget = int(remaining()) - DEADLINE_MARGIN_MS
    except Exception:  # noqa: BLE001 - a context that cannot tell gets no soft deadline
        return
    if budget > 0:
        _deadline.arm(budget / 1000.0)


def _answer(skill: Skill, event: dict, context: Any) -> dict:
    """The envelope for one event; raises what the skill raised."""
    turn = Turn()
    if skill.lambda_handler is not None:
        turn.handler = turn.producer = skill.lambda_handler
        out = call(skill.lambda_handler, event, context)
        if not isinstance(out, dict):
            raise bad_return(skill.lambda_handler, out, skill)
        reply = {"kind": "envelope", "envelope": out}
        reply_text(_message.answered(reply, None), reply, turn, skill)
        return envelope(reply, event)
    req = Request(event, {}, default_locale=skill.locale)
    response = answer(skill, req, turn)
    if not isinstance(req.session, dict):
        raise BadResult(f"req.session must stay a dict, not {describe_type(req.session)}",
                        f"{skill.name} made req.session {describe_type(req.session)}. It "
                        f"must stay a dictionary.", turn.handler)
    if isinstance(req.persistent, dict) and req.persistent and canonical(req.persistent) != "{}":
        _log(f"{skill.name}: req.persistent is not saved on AWS Lambda (it stays on "
             f"skillserver); this change is dropped: {canonical(req.persistent)[:200]}")
    if isinstance(response, Response):
        reply = response.to_reply(req.has_session and not silent(req.type), req.session)
    else:
        reply = {"kind": "envelope", "envelope": response}
    # Fails, naming the function, when something in the answer is not JSON.
    reply_text(_message.answered(reply, None), reply, turn, skill)
    return envelope(reply, event)


def _load(path: str, name: str, function: str) -> Skill:
    """The skill at path, loaded as a worker loads it; its load_error says when it failed."""
    stem = os.path.splitext(os.path.basename(path))[0]
    handler = None if function == "lambda_handler" else f"{stem}.{function}"
    skill = _loader.new_skill(name, path, False, handler, "")
    # Its own module name: under skillserver, the file that called us holds
    # the worker's name for the skill.
    skill.module_name = "_skillkit_aws_" + "".join(c if c.isalnum() else "_" for c in name)
    hello = _loader.load(skill, 0.0)
    if not hello.get(_message.OK):
        _report(skill, hello.get(_message.ERROR) or {})
        if skill.load_error is None:
            skill.load_error = hello.get(_message.ERROR) or {}
    for warning in hello.get(_message.WARNINGS) or ():
        _log(f"{name}: warning: {warning}")
    return skill


def skill_handler(path: str, name: str = "skill", *, function: str = "lambda_handler",
                  environment: Optional[dict] = None) -> Callable[[dict, Any], dict]:
    """Load the skill's file at path now and return Lambda's ``lambda_handler``.

    name is the skill's name in messages. function is the classic handler's
    name for a skill without skillkit decorators. environment: variables the
    skill had in skillserver's settings, set when Lambda does not already
    have them. The returned function never raises.
    """
    for key, value in (environment or {}).items():
        os.environ.setdefault(str(key), str(value))
    skill = _load(os.path.abspath(path), name, function)

    def lambda_handler(event: dict, context: Any = None) -> dict:
        if skill.load_error is not None:
            return apology(event, _message.KIND_LOAD)
        try:
            _arm(context)
            try:
                return _answer(skill, event if isinstance(event, dict) else {}, context)
            finally:
                _deadline.disarm()
        except BaseException as exc:  # noqa: BLE001 - every failure becomes the apology
            try:
                error = error_for(exc, skill)
                _report(skill, error)
                kind = error.get(_message.KIND) or _message.KIND_RAISED
            except BaseException:  # noqa: BLE001
                _log(f"{name}: {traceback.format_exc()}")
                kind = _message.KIND_RAISED
            return apology(event, kind)

    lambda_handler.skill = skill  # type: ignore[attr-defined]  # for tests
    return lambda_handler
