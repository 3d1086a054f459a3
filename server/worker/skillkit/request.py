"""The request object a handler receives: ``req``.

``Request`` is a read-only view of Alexa's request envelope (the raw dict stays
available as ``req.event``) plus two mutable dicts: ``req.session`` (session
attributes, returned to Alexa as ``sessionAttributes``) and ``req.persistent``
(attributes the server keeps for this user across sessions).

The view is lazy: a field is looked up when it is read, so a handler that
reads two fields pays for two lookups, not for parsing the whole envelope.
In a worker the envelope is not even read as a whole unless something asks
for more than its request and session (``req.event``, ``req.user_id``, ...):
the front sends those two apart (skillkit._message, a split REQUEST).
Envelopes are read leniently (spec/alexa-protocol.md: Alexa adds fields over
time): a missing or wrong-typed member reads as None, never as an exception.
"""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

__all__ = ["Request", "Slot"]

_STATIC_AUTHORITY = "amzn1.er-authority.echo-sdk."


def _obj(value: Any, key: str) -> dict:
    """Return value[key] when value is a dict and that member is a dict, else {}."""
    if isinstance(value, dict):
        member = value.get(key)
        if isinstance(member, dict):
            return member
    return {}


def _str(value: Any, key: str) -> Optional[str]:
    """Return value[key] when it is a str, else None."""
    if isinstance(value, dict):
        member = value.get(key)
        if isinstance(member, str):
            return member
    return None


def _resolve(resolutions: Any) -> tuple[Optional[str], Optional[str], Optional[str]]:
    """Pick the entity-resolution match of a slot: (id, canonical name, status).

    Following spec/alexa-protocol.md §3.2: among authorities with
    ER_SUCCESS_MATCH prefer a dynamic-entity match, then the skill's static
    slot type, then any other authority (Alexa Entities); the first value of
    the chosen authority wins. Without a match the status is the first
    authority's code (e.g. ER_SUCCESS_NO_MATCH) and id and name are None.
    """
    if not isinstance(resolutions, dict):
        return None, None, None
    per_authority = resolutions.get("resolutionsPerAuthority")
    if not isinstance(per_authority, list):
        return None, None, None
    best: Optional[tuple[int, dict]] = None
    first_status: Optional[str] = None
    for entry in per_authority:
        if not isinstance(entry, dict):
            continue
        status = _str(_obj(entry, "status"), "code")
        if first_status is None:
            first_status = status
        values = entry.get("values")
        if status != "ER_SUCCESS_MATCH" or not isinstance(values, list) or not values:
            continue
        authority = _str(entry, "authority") or ""
        if authority.startswith(_STATIC_AUTHORITY + "dynamic."):
            rank = 0
        elif authority.startswith(_STATIC_AUTHORITY):
            rank = 1
        else:
            rank = 2
        value = _obj(values[0], "value")
        if best is None or rank < best[0]:
            best = (rank, value)
    if best is None:
        return None, None, first_status
    return _str(best[1], "id"), _str(best[1], "name"), "ER_SUCCESS_MATCH"


class Slot:
    """One slot of an intent, as the user filled it (or not).

    Attributes:
        name: the slot's name in the interaction model.
        value: what the user said, as text; None when the slot is empty.
        id: the entity-resolution id of the matched value (custom slot
            types), or None when nothing matched.
        resolved: the canonical name of the matched value, or None.
        status: the entity-resolution status code (ER_SUCCESS_MATCH,
            ER_SUCCESS_NO_MATCH, ...) or None when the slot has none.
        confirmation: NONE, CONFIRMED or DENIED.
        values: every value of a multiple-value slot (a list slot); for an
            ordinary slot, [value] or [] when empty.
        raw: the slot object of the envelope.
    """

    __slots__ = ("name", "value", "id", "resolved", "status", "confirmation", "values", "raw")

    def __init__(self, name: str, raw: dict) -> None:
        self.name = name
        self.raw = raw
        value = _str(raw, "value")
        resolutions = raw.get("resolutions")
        slot_value = _obj(raw, "slotValue")
        values: list[str] = []
        if slot_value.get("type") == "List" and isinstance(slot_value.get("values"), list):
            values = [v["value"] for v in slot_value["values"]
                      if isinstance(v, dict) and isinstance(v.get("value"), str)]
        elif slot_value:
            if value is None:
                value = _str(slot_value, "value")
            if resolutions is None:
                resolutions = slot_value.get("resolutions")
        if not values and value is not None:
            values = [value]
        self.value = value
        self.values = values
        self.id, self.resolved, self.status = _resolve(resolutions)
        self.confirmation = _str(raw, "confirmationStatus") or "NONE"

    def __bool__(self) -> bool:
        """True when the user filled the slot."""
        return bool(self.values)

    def __repr__(self) -> str:
        return (f"Slot(name={self.name!r}, value={self.value!r}, id={self.id!r}, "
                f"resolved={self.resolved!r})")


class Request:
    """What Alexa asked, as handlers see it (``req``).

    Read-only fields: ``type``, ``intent``, ``slots``, ``locale``,
    ``user_id``, ``device_id``, ``person_id``, ``request_id``,
    ``session_id``, ``application_id``, ``new_session``, ``has_session``,
    ``dialog_state``, ``confirmation``, ``timestamp``, ``reason``,
    ``error``, ``access_token``, ``api_endpoint``, ``api_access_token``,
    ``body`` (the ``request`` object) and ``event`` (the whole envelope).

    Mutable: ``session`` (a dict of session attributes: what a handler leaves
    in it is sent back to Alexa and arrives again with the next request of
    the same session) and ``persistent`` (a dict the server stores for this
    user and skill across sessions; only JSON values can be saved).
    """

    __slots__ = ("session", "persistent", "_event", "_text", "_at", "_session_member", "_body",
                 "_system_found", "_slots", "_default_locale")

    def __init__(self, event: dict, persistent: Optional[dict] = None, *,
                 default_locale: str = "en-US") -> None:
        """Wrap envelope ``event``; ``persistent`` is the user's stored attributes."""
        if not isinstance(event, dict):
            event = {}
        self._event: Optional[dict] = event
        self._text: Optional[str] = None
        self._at = 0
        self._start(event.get("request"), event.get("session"), persistent, default_locale)

    @classmethod
    def _split(cls, request: Any, session: Any, text: str, at: int, persistent: Optional[dict],
               default_locale: str) -> "Request":
        """A Request of a split REQUEST (skillkit._message): the envelope's
        request and session members are given, and the envelope itself,
        text[at:], is read only when something asks for more of it."""
        self = cls.__new__(cls)
        self._event = None
        self._text = text
        self._at = at
        self._start(request, session, persistent, default_locale)
        return self

    def _start(self, request: Any, session: Any, persistent: Optional[dict],
               default_locale: str) -> None:
        # _obj() written out: this runs for every request.
        self._session_member = session
        attributes = session.get("attributes") if isinstance(session, dict) else None
        self.session: dict = dict(attributes) if isinstance(attributes, dict) else {}
        self.persistent: dict = persistent if isinstance(persistent, dict) else {}
        self._body = request if isinstance(request, dict) else {}
        self._system_found: Optional[dict] = None
        self._slots: Optional[dict[str, Slot]] = None
        self._default_locale = default_locale

    @property
    def event(self) -> dict:
        """The whole envelope as Alexa sent it."""
        event = self._event
        if event is None:
            event = self._event = self._read_event()
        return event

    def _read_event(self) -> dict:
        """The envelope of a split REQUEST, read now. Its request and session
        are the objects already read, so that ``req.body is
        req.event["request"]`` as for any Request."""
        from . import _jsontext  # noqa: PLC0415 - already imported by every worker

        try:
            event = _jsontext.loads(self._text[self._at:]) if self._text is not None else {}
        except ValueError as exc:
            raise ValueError(f"the server sent an envelope that is not JSON: {exc}") from None
        self._text = None
        if not isinstance(event, dict):
            return {}
        if isinstance(event.get("request"), dict):
            event["request"] = self._body
        if isinstance(event.get("session"), dict) and isinstance(self._session_member, dict):
            event["session"] = self._session_member
        return event

    @property
    def _system(self) -> dict:
        """context.System, or {}."""
        system = self._system_found
        if system is None:
            context = self.event.get("context")
            system = context.get("System") if isinstance(context, dict) else None
            system = self._system_found = system if isinstance(system, dict) else {}
        return system

    # The request object itself.

    @property
    def body(self) -> dict:
        """The envelope's ``request`` object (type-specific fields live here)."""
        return self._body

    # The fields every request reads (type, request_id, intent) look into
    # _body, which is always a dict, without the helpers' checks.

    @property
    def type(self) -> str:
        """The request type, e.g. ``LaunchRequest`` or ``IntentRequest``."""
        value = self._body.get("type")
        return value if isinstance(value, str) else ""

    @property
    def request_id(self) -> Optional[str]:
        """Alexa's id of this request (amzn1.echo-api.request....)."""
        value = self._body.get("requestId")
        return value if isinstance(value, str) else None

    @property
    def timestamp(self) -> Optional[str]:
        """When Alexa sent the request, ISO 8601 in UTC."""
        return _str(self._body, "timestamp")

    @property
    def locale(self) -> str:
        """The user's language, e.g. ``en-US`` (the skill's own when absent)."""
        return _str(self._body, "locale") or self._default_locale

    @property
    def intent(self) -> Optional[str]:
        """The intent name (``ThankYouIntent``, ``AMAZON.HelpIntent``) or None."""
        intent = self._body.get("intent")
        if isinstance(intent, dict):
            name = intent.get("name")
            if isinstance(name, str):
                return name
        return None

    @property
    def confirmation(self) -> Optional[str]:
        """The intent's confirmation status: NONE, CONFIRMED, DENIED, or None."""
        return _str(_obj(self._body, "intent"), "confirmationStatus")

    @property
    def dialog_state(self) -> Optional[str]:
        """STARTED, IN_PROGRESS or COMPLETED for skills with a dialog model."""
        return _str(self._body, "dialogState")

    @property
    def reason(self) -> Optional[str]:
        """Why a session ended (SessionEndedRequest): USER_INITIATED, ERROR, ..."""
        return _str(self._body, "reason")

    @property
    def error(self) -> Optional[dict]:
        """The ``error`` object of SessionEnded / ExceptionEncountered / PlaybackFailed."""
        return _obj(self._body, "error") or None

    @property
    def slots(self) -> dict[str, Slot]:
        """Every slot of the intent by name (empty slots included), {} without one."""
        if self._slots is None:
            raw = _obj(_obj(self._body, "intent"), "slots")
            self._slots = {name: Slot(name, slot) for name, slot in raw.items()
                           if isinstance(slot, dict)}
        return self._slots

    def slot(self, name: str, default: Optional[str] = None) -> Optional[str]:
        """What the user said for slot ``name``, or ``default`` when it is empty."""
        if self._slots is None:
            # The common case reads one plain value: skip building every Slot.
            intent = self._body.get("intent")
            slots = intent.get("slots") if isinstance(intent, dict) else None
            raw = slots.get(name) if isinstance(slots, dict) else None
            value = raw.get("value") if isinstance(raw, dict) else None
            if isinstance(value, str):
                return value
            # A slot the user left empty (or one the intent does not have),
            # in the format without slotValue: nothing else can fill it.
            if isinstance(slots, dict) and (
                    raw is None or (isinstance(raw, dict) and "slotValue" not in raw)):
                return default
        slot = self.slots.get(name)
        if slot is None or slot.value is None:
            return default
        return slot.value

    def slot_id(self, name: str) -> Optional[str]:
        """The entity-resolution id matched for slot ``name``, or None."""
        slot = self.slots.get(name)
        return slot.id if slot is not None else None

    def slot_resolved(self, name: str) -> Optional[str]:
        """The canonical value of slot ``name``; the spoken value when nothing matched."""
        slot = self.slots.get(name)
        if slot is None:
            return None
        return slot.resolved if slot.resolved is not None else slot.value

    # Session, user, device.

    @property
    def has_session(self) -> bool:
        """True when the request belongs to a session (AudioPlayer events do not)."""
        return isinstance(self._session_member, dict)

    @property
    def new_session(self) -> bool:
        """True on the first request of a session."""
        session = self._session_member
        return isinstance(session, dict) and session.get("new") is True

    @property
    def session_id(self) -> Optional[str]:
        """The session's id, or None without a session."""
        return _str(self._session_member, "sessionId")

    @property
    def application_id(self) -> Optional[str]:
        """The skill id Alexa addressed (amzn1.ask.skill....)."""
        return (_str(_obj(self._system, "application"), "applicationId")
                or _str(_obj(self._session_member, "application"), "applicationId"))

    @property
    def user_id(self) -> Optional[str]:
        """The user's id for this skill (amzn1.ask.account....)."""
        return (_str(_obj(self._system, "user"), "userId")
                or _str(_obj(self._session_member, "user"), "userId"))

    @property
    def access_token(self) -> Optional[str]:
        """The account-linking token, when the user linked an account."""
        return (_str(_obj(self._system, "user"), "accessToken")
                or _str(_obj(self._session_member, "user"), "accessToken"))

    @property
    def person_id(self) -> Optional[str]:
        """The recognised household member's id, when Alexa knows who speaks."""
        return _str(_obj(self._system, "person"), "personId")

    @property
    def device_id(self) -> Optional[str]:
        """The device's id for this skill (amzn1.ask.device....)."""
        return _str(_obj(self._system, "device"), "deviceId")

    @property
    def api_endpoint(self) -> Optional[str]:
        """The regional base URL of the Alexa APIs."""
        return _str(self._system, "apiEndpoint")

    @property
    def api_access_token(self) -> Optional[str]:
        """The bearer token for the Alexa APIs during this request."""
        return _str(self._system, "apiAccessToken")

    def supports(self, interface: str) -> bool:
        """True when the device lists ``interface`` (e.g. ``AudioPlayer``,
        ``Alexa.Presentation.APL``) among its supported interfaces."""
        supported = _obj(_obj(self._system, "device"), "supportedInterfaces")
        return interface in supported

    def __repr__(self) -> str:
        if self.intent:
            return f"Request({self.type} {self.intent}, slots={list(self.slots)})"
        return f"Request({self.type})"
