"""Test a skill without the server, under plain ``python3``.

Build realistic Alexa requests and run them through the same runner the
server's workers use (``skillkit._runner.load`` then ``handle``)::

    import unittest
    from skillkit import testing

    SKILL = "skills/thank_you/skill.py"

    class ThankYouTest(unittest.TestCase):
        def test_thanks_by_name(self):
            result = testing.run(SKILL, testing.intent_request("ThankYouIntent", name="Sam"))
            self.assertEqual(testing.speech(result), "You're welcome, Sam!")

        def test_a_whole_conversation(self):
            chat = testing.Conversation(SKILL)
            chat.launch()
            self.assertTrue(chat.session_open)
            result = chat.intent("ThankYouIntent")
            self.assertTrue(testing.ends_session(result))

``invoke`` runs the same request through the real server instead
(``skillserver invoke``): the answer then passes everything Alexa would
check (the SSML schema, the response limits), as in ``serve``::

    result = testing.invoke(SKILL, testing.intent_request("ThankYouIntent", name="Sam"))
    self.assertEqual(testing.speech(result), "You're welcome, Sam!")

``run`` returns the runner's answer as a dict: ``{"ok": True, "reply": ...,
"attributes": ...}`` or ``{"ok": False, "error": {...}}``. ``speech``,
``reprompt``, ``card``, ``ends_session`` and ``session_attributes`` read a
successful answer and raise AssertionError (with the skill's error and
traceback) on a failed one, so a broken skill fails the test readably.
"""
from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import tempfile
import types
import uuid
from typing import Any, Optional, Union

from . import _message, _runner

__all__ = [
    "launch_request", "intent_request", "session_ended_request", "can_fulfill_request",
    "request", "slot", "run", "invoke", "find_skillserver", "Conversation", "speech", "reprompt", "card",
    "ends_session", "session_attributes", "APPLICATION_ID", "USER_ID", "DEVICE_ID",
]

APPLICATION_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
USER_ID = "amzn1.ask.account.TESTUSER"
DEVICE_ID = "amzn1.ask.device.TESTDEVICE"

# Request types that Alexa sends outside a session (spec/alexa-protocol.md §2).
_SESSIONLESS_PREFIXES = ("AudioPlayer.", "PlaybackController.", "System.",
                         "AlexaSkillEvent.", "CanFulfillIntentRequest")

_STATIC_AUTHORITY = "amzn1.er-authority.echo-sdk."


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def request(request_type: str, /, *, session: Optional[bool] = None, new_session: bool = True,
            session_id: Optional[str] = None, session_attributes: Optional[dict] = None,
            locale: str = "en-US", user_id: str = USER_ID, device_id: str = DEVICE_ID,
            application_id: str = APPLICATION_ID,
            supported_interfaces: Optional[dict] = None, **fields: Any) -> dict:
    """A request envelope of any type; ``fields`` go into the request object.

    ``session`` says whether the envelope has a session; by default it has
    one unless Alexa sends that type without (AudioPlayer.*,
    PlaybackController.*, System.*, skill events, CanFulfillIntentRequest).
    """
    if session is None:
        session = not request_type.startswith(_SESSIONLESS_PREFIXES)
    body: dict = {"type": request_type,
                  "requestId": f"amzn1.echo-api.request.{uuid.uuid4()}",
                  "timestamp": _now(), "locale": locale}
    body.update(fields)
    system = {
        "application": {"applicationId": application_id},
        "user": {"userId": user_id},
        "device": {"deviceId": device_id,
                   "supportedInterfaces": dict(supported_interfaces or {})},
        "apiEndpoint": "https://api.amazonalexa.com",
        "apiAccessToken": "TEST.TOKEN",
    }
    envelope: dict = {"version": "1.0"}
    if session:
        envelope["session"] = {
            "new": new_session,
            "sessionId": session_id or f"amzn1.echo-api.session.{uuid.uuid4()}",
            "application": {"applicationId": application_id},
            "attributes": dict(session_attributes or {}),
            "user": {"userId": user_id},
        }
    envelope["context"] = {"System": system}
    envelope["request"] = body
    return envelope


def launch_request(**options: Any) -> dict:
    """"Alexa, open <skill>": a LaunchRequest starting a new session.

    Options are those of ``request`` (locale, user_id, session_attributes, ...).
    """
    options.setdefault("new_session", True)
    return request("LaunchRequest", **options)


def slot(value: Optional[str] = None, *, id: Optional[str] = None,  # noqa: A002
         resolved: Optional[str] = None, dynamic: bool = False, matched: Optional[bool] = None,
         confirmation: str = "NONE", slot_type: str = "SlotType") -> dict:
    """A slot with entity resolution, for ``intent_request(..., size=slot(...))``.

    With ``id`` or ``resolved`` the value matched (ER_SUCCESS_MATCH) in the
    static authority, or the dynamic one when ``dynamic``; ``matched=False``
    gives ER_SUCCESS_NO_MATCH. ``value=None`` is an empty slot.
    """
    raw: dict = {"confirmationStatus": confirmation}
    if value is None:
        return raw
    raw["value"] = value
    raw["source"] = "USER"
    if matched is None:
        matched = id is not None or resolved is not None
    authority = (f"{_STATIC_AUTHORITY}{'dynamic.' if dynamic else ''}"
                 f"{APPLICATION_ID}.{slot_type}")
    entry: dict = {"authority": authority,
                   "status": {"code": "ER_SUCCESS_MATCH" if matched else "ER_SUCCESS_NO_MATCH"}}
    if matched:
        entry["values"] = [{"value": {"name": resolved if resolved is not None else value,
                                      "id": id if id is not None else value.upper()}}]
    raw["resolutions"] = {"resolutionsPerAuthority": [entry]}
    return raw


def _slots(values: dict) -> dict:
    slots = {}
    for name, value in values.items():
        if isinstance(value, dict):
            raw = dict(value)
        elif value is None:
            raw = {"confirmationStatus": "NONE"}
        else:
            raw = {"value": str(value), "confirmationStatus": "NONE", "source": "USER"}
        raw["name"] = name
        slots[name] = raw
    return slots


def intent_request(intent_name: str, /, *, slots: Optional[dict] = None,
                   confirmation: str = "NONE", dialog_state: Optional[str] = None,
                   new_session: bool = False, **options: Any) -> dict:
    """An IntentRequest; slot values as keywords: ``intent_request("ThankYouIntent",
    name="Sam")``.

    A slot value is a str (filled), None (defined but empty) or ``slot(...)``
    (with entity resolution). Slots whose names clash with an option (such as
    ``locale``) go in ``slots={...}``. Other options are those of ``request``.
    """
    request_options = {key: options.pop(key) for key in list(options)
                       if key in _REQUEST_OPTIONS}
    values = dict(slots or {})
    values.update(options)
    intent: dict = {"name": intent_name, "confirmationStatus": confirmation}
    if values:
        intent["slots"] = _slots(values)
    fields: dict = {"intent": intent}
    if dialog_state is not None:
        fields["dialogState"] = dialog_state
    return request("IntentRequest", new_session=new_session, **request_options, **fields)


_REQUEST_OPTIONS = ("session", "session_id", "session_attributes", "locale", "user_id",
                    "device_id", "application_id", "supported_interfaces")


def session_ended_request(reason: str = "USER_INITIATED", *, error_type: Optional[str] = None,
                          error_message: Optional[str] = None, **options: Any) -> dict:
    """A SessionEndedRequest; ``error_type`` adds the error Alexa reports."""
    fields: dict = {"reason": reason}
    if error_type is not None:
        fields["error"] = {"type": error_type, "message": error_message or ""}
    options.setdefault("new_session", False)
    return request("SessionEndedRequest", **options, **fields)


def can_fulfill_request(intent_name: str, /, **slot_values: Any) -> dict:
    """A CanFulfillIntentRequest for intent_name with the given slots."""
    intent: dict = {"name": intent_name, "confirmationStatus": "NONE"}
    if slot_values:
        intent["slots"] = _slots(slot_values)
    return request("CanFulfillIntentRequest", intent=intent)


def _skill_path(skill: Union[str, os.PathLike, types.ModuleType]) -> str:
    if isinstance(skill, types.ModuleType):
        file = getattr(skill, "__file__", None)
        if not file:
            raise ValueError(f"module {skill.__name__} has no file to load")
        return os.path.abspath(file)
    path = os.path.abspath(os.fspath(skill))
    if os.path.isdir(path):
        path = os.path.join(path, "skill.py")
    return path


def run(skill: Union[str, os.PathLike, types.ModuleType], event: dict, *,
        attributes: Optional[dict] = None, soft_ms: int = 0, dev: bool = True,
        name: Optional[str] = None) -> dict:
    """Load skill (a path to skill.py, its folder, or a module) and answer event.

    The skill is loaded afresh for every call, as with the server's
    ``--fresh-worker``: module-level variables do not carry over. attributes
    are the user's persistent attributes before the request. Returns the
    runner's answer as a dict (a failed load is returned the same way).
    """
    path = _skill_path(skill)
    name = name or os.path.basename(os.path.dirname(path))
    loaded = json.loads(_runner.load(name, path, dev))
    if not loaded.get(_message.OK):
        return loaded
    return json.loads(_runner.handle(_message.request(event, attributes, soft_ms)))


def find_skillserver() -> str:
    """The skillserver program ``invoke`` runs: $SKILLSERVER, else the one
    installed with this copy of skillkit (PREFIX/bin beside
    PREFIX/lib/python3/dist-packages/skillkit), else the build tree's of the
    checkout this skillkit comes from (build/server), else ``skillserver``
    on PATH. Raises FileNotFoundError saying where it looked."""
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [os.environ.get("SKILLSERVER") or "",
                  os.path.join(here, "..", "..", "..", "..", "bin", "skillserver"),
                  os.path.join(here, "..", "..", "..", "build", "server", "skillserver"),
                  shutil.which("skillserver") or ""]
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return os.path.normpath(path)
    raise FileNotFoundError("cannot find the skillserver program: install it, or name it with "
                            "the SKILLSERVER environment variable or invoke(skillserver=...)")


def invoke(skill: Union[str, os.PathLike, types.ModuleType], event: dict, *,
           skillserver: Optional[str] = None, data: Optional[str] = None, dev: bool = True,
           timeout: float = 60) -> dict:
    """Answer event with the real server: ``skillserver invoke`` on the skill's folder.

    Unlike ``run``, the answer goes through everything the server checks
    before Alexa would see it (the SSML schema, the response limits, the
    sandbox), so a skill's own tests see what an Echo would say. The skill
    is given as for ``run``; its folder's name is the skill's name and the
    folder above it the skills folder. data is the folder for persistent
    attributes (default: a new empty one for this call). Returns the same
    shape as ``run``: ``{"ok": True, "reply": {"kind": "envelope",
    "envelope": RESPONSE}}`` when the skill answered, ``{"ok": False,
    "error": {"kind": "server", "message": WHY, "spoken": APOLOGY}}`` when the
    server had to answer for it (what it said is in message). Raises
    ValueError for a request the skill cannot take (such as another skill's
    applicationId) and FileNotFoundError when there is no skillserver.
    """
    path = _skill_path(skill)
    folder = os.path.dirname(path)
    program = skillserver or find_skillserver()
    with tempfile.TemporaryDirectory(prefix="skillkit-invoke-") as scratch:
        args = [program, "invoke", os.path.basename(folder), "-",
                "--skills", os.path.dirname(folder), "--data", data or scratch]
        if dev:
            args.append("--dev")
        done = subprocess.run(args, input=json.dumps(event), capture_output=True, text=True,
                              timeout=timeout, check=False)
    if done.returncode == 2:
        raise ValueError(f"skillserver invoke refused the request: {done.stderr.strip()}")
    try:
        envelope = json.loads(done.stdout)
    except ValueError:
        envelope = None
    if done.returncode == 0 and isinstance(envelope, dict):
        return {_message.OK: True, _message.REPLY: {"kind": "envelope", "envelope": envelope}}
    spoken = None
    if isinstance(envelope, dict):
        spoken = _output_speech(envelope.get("response", {}).get("outputSpeech"))
    return {_message.OK: False,
            _message.ERROR: {_message.KIND: "server",
                             _message.MESSAGE: done.stderr.strip() or f"exit {done.returncode}",
                             _message.SPOKEN: spoken}}


def _ok(result: dict) -> dict:
    if not isinstance(result, dict) or not result.get(_message.OK):
        error = (result or {}).get(_message.ERROR) or {}
        detail = error.get(_message.TRACEBACK) or ""
        raise AssertionError(f"the skill failed ({error.get(_message.KIND)}): "
                             f"{error.get(_message.SPOKEN) or error.get(_message.MESSAGE)}"
                             f"\n{detail}")
    return result[_message.REPLY]


def _text(segments: Optional[list]) -> Optional[str]:
    if not segments:
        return None
    return "".join(s.get("text", s.get("ssml", "")) for s in segments)


def _output_speech(output: Any) -> Optional[str]:
    if not isinstance(output, dict):
        return None
    return output.get("text", output.get("ssml"))


def speech(result: dict) -> Optional[str]:
    """What Alexa says (SSML as markup), or None when the answer is silent."""
    reply = _ok(result)
    if reply["kind"] == "envelope":
        return _output_speech(reply["envelope"].get("response", {}).get("outputSpeech"))
    return _text(reply.get("speech"))


def reprompt(result: dict) -> Optional[str]:
    """What Alexa says when the user stays silent, or None."""
    reply = _ok(result)
    if reply["kind"] == "envelope":
        again = reply["envelope"].get("response", {}).get("reprompt") or {}
        return _output_speech(again.get("outputSpeech"))
    return _text(reply.get("reprompt"))


def card(result: dict) -> Optional[dict]:
    """The card of the answer (an Alexa card object), or None."""
    reply = _ok(result)
    if reply["kind"] == "envelope":
        return reply["envelope"].get("response", {}).get("card")
    return reply.get("card")


def ends_session(result: dict) -> Optional[bool]:
    """shouldEndSession of the answer: True, False, or None when absent or null."""
    reply = _ok(result)
    if reply["kind"] == "envelope":
        return reply["envelope"].get("response", {}).get("shouldEndSession")
    return reply.get("shouldEndSession")


def session_attributes(result: dict) -> Optional[dict]:
    """The sessionAttributes the answer sends back, or None."""
    reply = _ok(result)
    if reply["kind"] == "envelope":
        return reply["envelope"].get("sessionAttributes")
    return reply.get("sessionAttributes")


class Conversation:
    """Several turns with one skill, the way Alexa and the server chain them.

    Session attributes of an answer come back with the next request while the
    session is open; a new session starts after an answer that ends it.
    Persistent attributes are kept in ``self.persistent`` across sessions,
    the way the server stores them.
    """

    def __init__(self, skill: Union[str, os.PathLike, types.ModuleType], *,
                 persistent: Optional[dict] = None, user_id: str = USER_ID,
                 locale: str = "en-US", soft_ms: int = 0, dev: bool = True) -> None:
        self.skill = skill
        self.persistent: dict = dict(persistent or {})
        self.user_id = user_id
        self.locale = locale
        self.soft_ms = soft_ms
        self.dev = dev
        self.session_open = False
        self.session_id: Optional[str] = None
        self.session_attributes: dict = {}
        self.last: Optional[dict] = None

    def _session_options(self) -> dict:
        new = not self.session_open
        if new:
            self.session_id = f"amzn1.echo-api.session.{uuid.uuid4()}"
            self.session_attributes = {}
        return {"new_session": new, "session_id": self.session_id,
                "session_attributes": self.session_attributes, "user_id": self.user_id,
                "locale": self.locale}

    def send(self, event: dict) -> dict:
        """Run an envelope as it is and update the conversation from the answer."""
        result = run(self.skill, event, attributes=self.persistent or None,
                     soft_ms=self.soft_ms, dev=self.dev)
        self.last = result
        if not result.get(_message.OK):
            return result
        if result.get(_message.ATTRIBUTES) is not None:
            self.persistent = result[_message.ATTRIBUTES]
        if "session" in event:
            reply = result[_message.REPLY]
            if reply["kind"] == "envelope":
                body = reply["envelope"].get("response", {})
                attributes = reply["envelope"].get("sessionAttributes")
            else:
                body = reply
                attributes = reply.get("sessionAttributes")
            # Absent, like True, ends the session on a voice-only device (§5.4).
            end = body.get("shouldEndSession", True)
            kind = event.get("request", {}).get("type")
            self.session_open = end is not True and kind != "SessionEndedRequest"
            self.session_attributes = dict(attributes or {}) if self.session_open else {}
        return result

    def launch(self) -> dict:
        """"Alexa, open <skill>" (always starts a new session)."""
        self.session_open = False
        return self.send(launch_request(**self._session_options()))

    def intent(self, intent_name: str, /, **slot_values: Any) -> dict:
        """Say something that Alexa maps to intent_name, with slot values."""
        return self.send(intent_request(intent_name, **self._session_options(),
                                        slots=slot_values))

    def end(self, reason: str = "USER_INITIATED") -> dict:
        """Close the session from Alexa's side ("exit", silence, an error)."""
        options = self._session_options()
        return self.send(session_ended_request(reason, **options))
