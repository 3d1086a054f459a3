"""What a handler returns: plain words, ``ask``/``tell``, or a ``Response``.

A ``Response`` holds speech as a list of segments, ``{"text": ...}`` for plain
words and ``{"ssml": ...}`` for SSML markup, exactly as the reply format of
server/pipeline/response.h wants them: the C side escapes the text, wraps everything in
``<speak>``, checks the limits and validates the SSML. Nothing here escapes or
measures anything; what is checked here are the *types* an author passed, so
that a mistake is reported at the author's own line.

Speech given as a list or tuple is said one part after another with a space
between the parts (``["Hello.", "How are you?"]``); ``"Hi " + SSML(...)`` is
joined exactly as written (see skillkit.ssml).
"""
from __future__ import annotations

from .ssml import SSML

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterable, Optional, Sequence, Union

    Speech = Union[str, SSML, Sequence[Union[str, SSML]], None]

__all__ = [
    "ABSENT", "Response", "ask", "tell", "Card", "SimpleCard", "StandardCard",
    "LinkAccountCard", "PermissionsCard", "Speech", "envelope_reply",
]


def __getattr__(name: str) -> object:
    """``Speech``, the type of what may be said, for annotations in a skill's
    code: built on demand, so that typing is imported only by code that asks
    for it."""
    if name == "Speech":
        from typing import Sequence, Union

        return Union[str, SSML, Sequence[Union[str, SSML]], None]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


PLAY_BEHAVIORS = ("ENQUEUE", "REPLACE_ALL", "REPLACE_ENQUEUED")
CAN_FULFILL = ("YES", "NO", "MAYBE")


class _Marker:
    """A named sentinel value."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


#: ``end_session=ABSENT`` leaves shouldEndSession out of the response (the
#: screen-device behaviour of spec/alexa-protocol.md §5.4; needed with
#: VideoApp.Launch).
ABSENT = _Marker("ABSENT")

#: The default: the runner decides (see ``Response``).
AUTO = _Marker("AUTO")


def _describe(value: Any) -> str:
    """A few words naming value for an error message."""
    if value is None:
        return "None"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"a {type(value).__name__} {text}"


def _parts(value: Any, what: str) -> list[Union[str, SSML]]:
    """Check that value is speech and return its parts in order."""
    if value is None:
        return []
    if isinstance(value, (str, SSML)):
        return [value]
    if isinstance(value, (list, tuple)):
        parts: list[Union[str, SSML]] = []
        for item in value:
            if isinstance(item, (str, SSML)):
                parts.append(item)
            elif item is not None:
                raise TypeError(
                    f"{what} must be words in quotes (a str), SSML, or a list of them; "
                    f"the list holds {_describe(item)}. Use str() or an f-string.")
        return parts
    raise TypeError(f"{what} must be words in quotes (a str), SSML, or a list of them, "
                    f"not {_describe(value)}. Use str() or an f-string.")


def _add_parts(segments: list[dict], parts: Iterable[Union[str, SSML]]) -> None:
    """Append parts to segments, a space between parts, merging text runs."""
    for part in parts:
        if isinstance(part, SSML):
            key, content = "ssml", part.markup
        else:
            key, content = "text", part
        if not content:
            continue
        if segments:
            last = segments[-1]
            previous = last.get("text", last.get("ssml", ""))
            if previous and not previous[-1].isspace() and not content[0].isspace():
                if "text" in last:
                    last["text"] = previous + " "
                elif key == "text":
                    content = " " + content
                else:
                    segments.append({"text": " "})
        last = segments[-1] if segments else None
        if key == "text" and last is not None and "text" in last:
            last["text"] += content
        else:
            segments.append({key: content})


def segments(value: Speech, what: str = "speech") -> list[dict]:
    """Turn speech (str, SSML, or a list/tuple of them) into reply segments."""
    out: list[dict] = []
    _add_parts(out, _parts(value, what))
    return out


def _text_field(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be words in quotes (a str), not {_describe(value)}")
    return value


class Card:
    """A card shown in the Alexa app and on screen devices."""

    def to_json(self) -> dict:
        """The Alexa card object."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.to_json()!r})"


class SimpleCard(Card):
    """A card with a title and plain text."""

    def __init__(self, title: str, content: str) -> None:
        self.title = _text_field(title, "the card title")
        self.content = _text_field(content, "the card content")

    def to_json(self) -> dict:
        return {"type": "Simple", "title": self.title, "content": self.content}


class StandardCard(Card):
    """A card with a title, text and an optional image (HTTPS URLs)."""

    def __init__(self, title: str, text: str, small_image_url: Optional[str] = None,
                 large_image_url: Optional[str] = None) -> None:
        self.title = _text_field(title, "the card title")
        self.text = _text_field(text, "the card text")
        self.small_image_url = (None if small_image_url is None else
                                _text_field(small_image_url, "small_image_url"))
        self.large_image_url = (None if large_image_url is None else
                                _text_field(large_image_url, "large_image_url"))

    def to_json(self) -> dict:
        card: dict = {"type": "Standard", "title": self.title, "text": self.text}
        image = {}
        if self.small_image_url is not None:
            image["smallImageUrl"] = self.small_image_url
        if self.large_image_url is not None:
            image["largeImageUrl"] = self.large_image_url
        if image:
            card["image"] = image
        return card


class LinkAccountCard(Card):
    """Asks the user to link their account in the Alexa app."""

    def to_json(self) -> dict:
        return {"type": "LinkAccount"}


class PermissionsCard(Card):
    """Asks the user for permissions, e.g. ``read::alexa:device:all:address``."""

    def __init__(self, permissions: Union[str, Sequence[str]]) -> None:
        if isinstance(permissions, str):
            permissions = [permissions]
        if not isinstance(permissions, (list, tuple)) or not permissions:
            raise TypeError("PermissionsCard needs a list of permission scopes, like "
                            "['read::alexa:device:all:address']")
        self.permissions = [_text_field(p, "a permission") for p in permissions]

    def to_json(self) -> dict:
        return {"type": "AskForPermissionsConsent", "permissions": list(self.permissions)}


def _card(card: Any) -> Optional[dict]:
    if card is None:
        return None
    if isinstance(card, Card):
        return card.to_json()
    if isinstance(card, dict):
        return card
    raise TypeError(f"card must be SimpleCard(...), StandardCard(...), LinkAccountCard(), "
                    f"PermissionsCard(...) or a dict, not {_describe(card)}")


def _directive(directive: Any) -> dict:
    if not isinstance(directive, dict) or not isinstance(directive.get("type"), str):
        raise TypeError("a directive must be a dict with a 'type', like "
                        f"{{'type': 'Dialog.Delegate'}}, not {_describe(directive)}")
    return directive


def _end_session(value: Any) -> Any:
    if value is True or value is False or value is None or value is ABSENT or value is AUTO:
        return value
    raise TypeError(f"end_session must be True, False, None or ABSENT, not {_describe(value)}")


def _play_behavior(value: Any) -> Optional[str]:
    if value is None or value in PLAY_BEHAVIORS:
        return value
    raise ValueError(f"play_behavior must be one of {', '.join(PLAY_BEHAVIORS)}, "
                     f"not {_describe(value)}")


def _session_attributes(value: Any) -> Optional[dict]:
    if value is None or isinstance(value, dict):
        return value
    raise TypeError(f"session_attributes must be a dict, not {_describe(value)}")


def _can_fulfill(value: Any) -> Optional[dict]:
    if value is None or isinstance(value, dict):
        return value
    if value in CAN_FULFILL:
        return {"canFulfill": value}
    raise TypeError(f"can_fulfill must be 'YES', 'NO', 'MAYBE' or a dict, not {_describe(value)}")


class Response:
    """A full answer: speech, reprompt, card, directives, session control.

    Build it with keyword arguments::

        Response("Here is your card.", card=SimpleCard("Hi", "Hello there"))

    or fluently::

        Response().speak("Pick a number.").ask("Which number?").set_card(card)

    ``speech`` and ``reprompt`` are a str, an SSML value, or a list/tuple of
    them. ``end_session`` is True (end), False (keep listening), None (JSON
    null, which Alexa treats like False), ``ABSENT`` (leave the field out) or,
    by default, decided for you: False when there is a reprompt or a dialog
    directive, left out for VideoApp.Launch and for requests without a
    session, True otherwise. ``session_attributes`` replaces ``req.session``
    as the sessionAttributes sent back. ``can_fulfill`` answers a
    CanFulfillIntentRequest ('YES', 'NO', 'MAYBE' or the full dict).
    """

    __slots__ = ("speech", "reprompt", "card", "directives", "end_session",
                 "session_attributes", "play_behavior", "can_fulfill")

    def __init__(self, speech: Speech = None, reprompt: Speech = None, *,
                 card: Union[Card, dict, None] = None,
                 directives: Optional[Sequence[dict]] = None,
                 end_session: Any = AUTO,
                 session_attributes: Optional[dict] = None,
                 play_behavior: Optional[str] = None,
                 can_fulfill: Union[str, dict, None] = None) -> None:
        # Each check runs only for what was given: most responses are one
        # piece of text, and this runs for every request.
        if type(speech) is str:
            self.speech: list[dict] = [{"text": speech}] if speech else []
        else:
            self.speech = segments(speech, "speech")
        self.reprompt: Optional[list[dict]] = (None if reprompt is None
                                               else segments(reprompt, "reprompt"))
        self.card: Optional[dict] = None if card is None else _card(card)
        if directives is None:
            self.directives: list[dict] = []
        elif isinstance(directives, (list, tuple)):
            self.directives = [_directive(d) for d in directives]
        else:
            raise TypeError(f"directives must be a list of dicts, not {_describe(directives)}")
        self.end_session = end_session if end_session is AUTO else _end_session(end_session)
        self.session_attributes = (None if session_attributes is None
                                   else _session_attributes(session_attributes))
        self.play_behavior = None if play_behavior is None else _play_behavior(play_behavior)
        self.can_fulfill = None if can_fulfill is None else _can_fulfill(can_fulfill)

    # Fluent building: each method changes the response and returns it.

    def speak(self, *speech: Speech) -> "Response":
        """Add speech after what is already there."""
        for part in speech:
            _add_parts(self.speech, _parts(part, "speech"))
        return self

    def ask(self, *reprompt: Speech) -> "Response":
        """Set the reprompt (said when the user is silent) and keep listening."""
        self.reprompt = []
        for part in reprompt:
            _add_parts(self.reprompt, _parts(part, "reprompt"))
        if self.end_session is AUTO:
            self.end_session = False
        return self

    def set_card(self, card: Union[Card, dict, None]) -> "Response":
        """Show card in the Alexa app (None removes it)."""
        self.card = _card(card)
        return self

    def add_directive(self, directive: dict) -> "Response":
        """Append a directive, e.g. ``{"type": "Dialog.Delegate"}``."""
        self.directives.append(_directive(directive))
        return self

    def set_end_session(self, end: Any = True) -> "Response":
        """True, False, None or ABSENT; see the class docstring."""
        self.end_session = _end_session(end)
        return self

    def set_session_attributes(self, attributes: Optional[dict]) -> "Response":
        """Send these session attributes instead of ``req.session``."""
        self.session_attributes = _session_attributes(attributes)
        return self

    def set_play_behavior(self, behavior: Optional[str]) -> "Response":
        """ENQUEUE, REPLACE_ALL or REPLACE_ENQUEUED for the speech."""
        self.play_behavior = _play_behavior(behavior)
        return self

    def set_can_fulfill(self, answer: Union[str, dict, None]) -> "Response":
        """Answer a CanFulfillIntentRequest."""
        self.can_fulfill = _can_fulfill(answer)
        return self

    @property
    def text(self) -> str:
        """The speech as one string (SSML segments as their markup)."""
        return "".join(s.get("text", s.get("ssml", "")) for s in self.speech)

    def decide_end_session(self, has_session: bool) -> Any:
        """The shouldEndSession this response gets for a request (True, False,
        None, or ABSENT meaning leave it out)."""
        if self.end_session is not AUTO:
            return self.end_session
        if not self.directives:
            return (False if self.reprompt else True) if has_session else ABSENT
        types = [d["type"] for d in self.directives]
        if "VideoApp.Launch" in types or not has_session:
            return ABSENT
        if self.reprompt:
            return False
        if any(t.startswith("Dialog.") and t != "Dialog.UpdateDynamicEntities" for t in types):
            return False
        return True

    def to_reply(self, has_session: bool, session: Optional[dict]) -> dict:
        """The reply object of server/pipeline/response.h for this response.

        session is ``req.session``: sent as sessionAttributes when the request
        has a session and no explicit session_attributes were given.
        """
        reply: dict = {"kind": "reply"}
        if self.speech:
            reply["speech"] = self.speech
        if self.reprompt:
            reply["reprompt"] = self.reprompt
        if self.play_behavior is not None:
            reply["playBehavior"] = self.play_behavior
        if self.card is not None:
            reply["card"] = self.card
        if self.directives:
            reply["directives"] = self.directives
        end = self.decide_end_session(has_session)
        if end is not ABSENT:
            reply["shouldEndSession"] = end
        attributes = self.session_attributes
        if attributes is None and has_session:
            attributes = session
        if attributes is not None and has_session:
            reply["sessionAttributes"] = attributes
        if self.can_fulfill is not None:
            reply["canFulfillIntent"] = self.can_fulfill
        return reply

    def __repr__(self) -> str:
        fields = [f"speech={self.text!r}"]
        if self.reprompt is not None:
            fields.append("reprompt=" + repr("".join(
                s.get("text", s.get("ssml", "")) for s in self.reprompt)))
        for name in ("card", "directives", "session_attributes", "play_behavior",
                     "can_fulfill"):
            value = getattr(self, name)
            if value:
                fields.append(f"{name}={value!r}")
        if self.end_session is not AUTO:
            fields.append(f"end_session={self.end_session!r}")
        return f"Response({', '.join(fields)})"


def ask(speech: Speech, reprompt: Speech = None) -> Response:
    """Say speech and keep listening; reprompt (default: speech) is said
    again if the user stays silent."""
    return Response(speech, speech if reprompt is None else reprompt, end_session=False)


def tell(speech: Speech) -> Response:
    """Say speech and end the session."""
    return Response(speech, end_session=True)


def envelope_reply(envelope: dict) -> dict:
    """The reply object of server/pipeline/response.h for a complete Alexa
    response (what a lambda_handler returns)."""
    return {"kind": "envelope", "envelope": envelope}
