"""SSML for skill authors: make Alexa pause, whisper, spell, or change voice.

An ``SSML`` value holds markup that goes into Alexa's ``<speak>`` document as
it is; a plain ``str`` is always text and is escaped when the two are joined,
so a slot value can never break the markup::

    from skillkit.ssml import p, pause, emphasis, whisper

    return p("Hello ", emphasis("there", level="strong"), "!") + pause(1) + \\
        whisper("I am not a human.")

Every helper returns an ``SSML``. Helpers that wrap other speech take any
number of parts (``str`` or ``SSML``); helpers whose content Alexa reads as
one piece of text (``say_as``, ``sub``, ``phoneme``, ``w``) take one ``str``.
Arguments are checked here where that is cheap, with a ``ValueError`` that
says what would be valid; the server checks every finished document against
Alexa's full schema (ssml/alexa-ssml.xsd) before it is sent.
"""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import re
    from typing import Optional, Union

    Part = Union[str, "SSML", int, float]

__all__ = [
    "SSML", "escape", "join", "speak",
    "break_", "pause", "emphasis", "prosody", "say_as", "sub", "phoneme",
    "audio", "voice", "lang", "p", "s", "w",
    "effect", "whisper", "emotion", "domain", "alexa_name",
]


class _Pattern:
    """A regular expression compiled when it is first used, so that a skill
    that builds no SSML does not import re for it."""

    __slots__ = ("_source", "_compiled")

    def __init__(self, source: str) -> None:
        self._source = source
        self._compiled: Optional[re.Pattern[str]] = None

    def _regex(self) -> re.Pattern[str]:
        if self._compiled is None:
            import re

            self._compiled = re.compile(self._source)
        return self._compiled

    def fullmatch(self, text: str) -> object:
        return self._regex().fullmatch(text)

    def sub(self, repl: object, text: str) -> str:
        return self._regex().sub(repl, text)


_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"}
#: The escapes after "&" (which goes first, or its entities would be escaped again).
_ESCAPE_ORDER = ("<", ">", '"', "'")
_UNESCAPES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
# Characters XML 1.0 forbids: C0 controls but TAB/LF/CR, surrogates,
# U+FFFE and U+FFFF. Alexa rejects the whole response if one is present.
# escape() runs for most speech, so it uses str methods, not re (whose
# import, with enum and functools, costs a worker about 10 ms).
_C0_FORBIDDEN = dict.fromkeys([c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)])
_ALL_FORBIDDEN: dict = {}


def _drop_forbidden(text: str) -> str:
    if text.isascii():
        return text.translate(_C0_FORBIDDEN) if not text.isprintable() else text
    if not _ALL_FORBIDDEN:
        table = dict(_C0_FORBIDDEN)
        table.update(dict.fromkeys(range(0xD800, 0xE000)))
        table.update({0xFFFE: None, 0xFFFF: None})
        _ALL_FORBIDDEN.update(table)
    return text.translate(_ALL_FORBIDDEN)


def _unescape_entities(text: str) -> str:
    """The five XML entities as the characters they stand for."""
    if "&" not in text:
        return text
    pieces = text.split("&")
    out = [pieces[0]]
    for piece in pieces[1:]:
        name, semicolon, rest = piece.partition(";")
        char = _UNESCAPES.get(name) if semicolon else None
        out.append(char + rest if char is not None else "&" + piece)
    return "".join(out)


def escape(text: object) -> str:
    """Return ``text`` as SSML character data.

    The five XML special characters become entities; entities that are
    already there are kept rather than escaped twice (as the ASK SDK's
    ``escapeXmlCharacters`` does), and characters XML does not allow are
    dropped.
    """
    return _escape_all(_unescape_entities(str(text)))


def _escape_all(text: str) -> str:
    """``text`` as character data with every special character escaped,
    entities too (for words that are not SSML at all), and characters XML
    does not allow dropped."""
    # One str.replace per character, in C: a loop over the characters in
    # Python costs about 80 ns each, a sentence's worth of microseconds.
    text = _drop_forbidden(text)
    if "&" in text:
        text = text.replace("&", "&amp;")
    for char in _ESCAPE_ORDER:
        if char in text:
            text = text.replace(char, _ESCAPES[char])
    return text


class SSML:
    """A piece of SSML markup (without the outer ``<speak>``)."""

    __slots__ = ("markup",)

    def __init__(self, markup: str = "") -> None:
        self.markup = str(markup)

    def __add__(self, other: object) -> "SSML":
        if isinstance(other, SSML):
            return SSML(self.markup + other.markup)
        if isinstance(other, str):
            return SSML(self.markup + escape(other))
        return NotImplemented

    def __radd__(self, other: object) -> "SSML":
        if isinstance(other, str):
            return SSML(escape(other) + self.markup)
        return NotImplemented

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SSML) and other.markup == self.markup

    def __hash__(self) -> int:
        return hash(self.markup)

    def __str__(self) -> str:
        return self.markup

    def __repr__(self) -> str:
        return f"SSML({self.markup!r})"


def __getattr__(name: str) -> object:
    """``Part``, the type of what the helpers join, for annotations in a
    skill's code: built on demand, so that typing is imported only by code
    that asks for it."""
    if name == "Part":
        from typing import Union

        return Union[str, SSML, int, float]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _markup(part: Part) -> str:
    """The markup of one part: SSML as it is, anything else escaped."""
    if isinstance(part, SSML):
        return part.markup
    if isinstance(part, bool) or not isinstance(part, (str, int, float)):
        raise TypeError(
            f"SSML parts must be text (str), numbers or SSML, got {type(part).__name__}")
    return escape(part)


def join(*parts: Part) -> SSML:
    """Join parts (text is escaped, SSML kept) into one SSML, with no spaces added."""
    return SSML("".join(_markup(part) for part in parts))


def speak(*parts: Part) -> str:
    """Return the whole document ``<speak>...</speak>`` as a string.

    Skills return ``SSML`` and the server adds ``<speak>`` itself; this is for
    tests and for code that builds a raw Alexa response.
    """
    return "<speak>" + join(*parts).markup + "</speak>"


def _attr(value: str) -> str:
    """An attribute value in double quotes."""
    return '"' + escape(value) + '"'


def _element(tag: str, attrs: dict, parts: tuple) -> SSML:
    """``<tag a="v">parts</tag>``, or ``<tag a="v"/>`` when there are no parts."""
    text = "".join(f" {name}={_attr(value)}" for name, value in attrs.items()
                   if value is not None)
    if not parts:
        return SSML(f"<{tag}{text}/>")
    return SSML(f"<{tag}{text}>" + join(*parts).markup + f"</{tag}>")


def _text_element(tag: str, attrs: dict, text: object) -> SSML:
    """An element whose content Alexa reads as plain text only."""
    if isinstance(text, SSML):
        raise TypeError(f"{tag} takes plain text, not SSML (it cannot contain other tags)")
    return _element(tag, attrs, (str(text),) if str(text) else ())


def _one_of(what: str, value: object, allowed: tuple) -> str:
    """Return value if it is one of allowed, else raise a ValueError listing them."""
    if value not in allowed:
        listed = ", ".join(allowed[:-1]) + " or " + allowed[-1]
        raise ValueError(f"{what} must be {listed}, got {value!r}")
    return str(value)


# --- break ---------------------------------------------------------------

_BREAK_STRENGTHS = ("none", "x-weak", "weak", "medium", "strong", "x-strong")
MAX_BREAK_SECONDS = 10
MAX_BREAK_MILLISECONDS = 10000


def _break_time_ok(time: str) -> bool:
    """Whole seconds up to 10 ("3s") or milliseconds up to 10000 ("250ms"),
    in ASCII digits without leading zeros: what Alexa takes."""
    if time.endswith("ms"):
        number, most = time[:-2], MAX_BREAK_MILLISECONDS
    elif time.endswith("s"):
        number, most = time[:-1], MAX_BREAK_SECONDS
    else:
        return False
    return (number.isascii() and number.isdigit() and (number == "0" or number[0] != "0")
            and int(number) <= most)


def _break_time(time: Union[str, int, float]) -> str:
    """A break time as Alexa writes it: a number is seconds."""
    if isinstance(time, bool):
        raise TypeError("break time must be a number of seconds or a string like '500ms'")
    if isinstance(time, (int, float)):
        if not 0 <= time <= MAX_BREAK_SECONDS:
            raise ValueError(
                f"break time must be between 0 and {MAX_BREAK_SECONDS} seconds, got {time}")
        if float(time).is_integer():
            return f"{int(time)}s"
        return f"{round(time * 1000)}ms"
    if not isinstance(time, str):
        raise TypeError("break time must be a number of seconds or a string like '500ms'")
    if not _break_time_ok(time):
        raise ValueError(
            "break time must be whole seconds or milliseconds such as '3s' or '250ms', "
            f"at most 10s, got {time!r}")
    return time


def break_(time: Union[str, int, float, None] = None,
           strength: Optional[str] = None) -> SSML:
    """A pause: ``time`` in seconds (``1.5``) or as ``"500ms"``/``"2s"``, at most
    10 seconds; or a ``strength`` (none, x-weak, weak, medium, strong, x-strong).
    With neither, a medium pause. Alexa takes one of the two, not both."""
    if time is not None and strength is not None:
        raise ValueError("break takes time or strength, not both")
    attrs = {}
    if time is not None:
        attrs["time"] = _break_time(time)
    if strength is not None:
        attrs["strength"] = _one_of("break strength", strength, _BREAK_STRENGTHS)
    return _element("break", attrs, ())


def pause(seconds: Union[int, float, str] = 1) -> SSML:
    """A pause of ``seconds`` (at most 10); same as ``break_(time=seconds)``."""
    return break_(time=seconds)


# --- emphasis and prosody ------------------------------------------------

_RATE = _Pattern(r"x-slow|slow|medium|fast|x-fast|(?:2[0-9]|[3-9][0-9]|[1-9][0-9]{2,3})%")
_PITCH = _Pattern(
    r"x-low|low|medium|high|x-high|\+(?:50(?:\.0+)?|[1-4]?[0-9](?:\.[0-9]+)?)%"
    r"|-(?:33(?:\.[0-2][0-9]*|\.30*)?|3[0-2](?:\.[0-9]+)?|[12]?[0-9](?:\.[0-9]+)?)%")
_VOLUME = _Pattern(
    r"silent|x-soft|soft|medium|loud|x-loud"
    r"|\+(?:[0-3](?:\.[0-9]+)?|4(?:\.0(?:[0-7][0-9]*|80*)?)?)dB|-[0-9]+(?:\.[0-9]+)?dB")


def emphasis(*parts: Part, level: str = "moderate") -> SSML:
    """Stress the words: level strong (louder, slower), moderate or reduced."""
    return _element("emphasis",
                    {"level": _one_of("emphasis level", level, ("strong", "moderate", "reduced"))},
                    parts)


def prosody(*parts: Part, rate: Optional[str] = None, pitch: Optional[str] = None,
            volume: Optional[str] = None) -> SSML:
    """Change speed, pitch or loudness; give at least one.

    rate: x-slow, slow, medium, fast, x-fast or a percentage from ``"20%"``;
    pitch: x-low .. x-high or ``"+10%"`` (from -33.3% to +50%);
    volume: silent, x-soft .. x-loud or ``"-6dB"`` (at most +4.08dB).
    """
    if rate is None and pitch is None and volume is None:
        raise ValueError("prosody needs at least one of rate, pitch or volume")
    checks = (("rate", rate, _RATE,
               "x-slow, slow, medium, fast, x-fast or a percentage such as '90%' (at least 20%)"),
              ("pitch", pitch, _PITCH,
               "x-low, low, medium, high, x-high or a signed percentage from '-33.3%' to '+50%'"),
              ("volume", volume, _VOLUME,
               "silent, x-soft, soft, medium, loud, x-loud or a signed change such as '-6dB' "
               "(at most '+4.08dB')"))
    for name, value, pattern, valid in checks:
        if value is not None and not (isinstance(value, str) and pattern.fullmatch(value)):
            raise ValueError(f"prosody {name} must be {valid}, got {value!r}")
    return _element("prosody", {"rate": rate, "pitch": pitch, "volume": volume}, parts)


# --- text read in a special way -----------------------------------------

_INTERPRET_AS = ("characters", "spell-out", "cardinal", "number", "ordinal", "digits",
                 "fraction", "unit", "date", "time", "telephone", "address",
                 "interjection", "expletive")
_DATE_FORMATS = ("mdy", "dmy", "ymd", "md", "dm", "ym", "my", "d", "m", "y")


def say_as(text: Union[str, int, float], interpret_as: str,
           format: Optional[str] = None) -> SSML:  # noqa: A002 - Alexa's name
    """Read ``text`` as characters, a number, a date, a phone number, ...

    ``format`` (mdy, dmy, ymd, md, dm, ym, my, d, m, y) is only for dates;
    ``interjection`` is a speechcon such as "bingo" (not inside ``voice``).
    """
    _one_of("say-as interpret_as", interpret_as, _INTERPRET_AS)
    if format is not None:
        if interpret_as != "date":
            raise ValueError(f"say-as format is only for interpret_as='date', not {interpret_as!r}")
        _one_of("say-as format", format, _DATE_FORMATS)
    return _text_element("say-as", {"interpret-as": interpret_as, "format": format}, text)


def sub(text: str, alias: str) -> SSML:
    """Show ``text`` but say ``alias`` instead: ``sub("Mg", "magnesium")``."""
    if not isinstance(alias, str) or not alias.strip():
        raise ValueError("sub alias must be the words to say instead, not empty")
    return _text_element("sub", {"alias": alias}, text)


def phoneme(text: str, ph: str, alphabet: str = "ipa") -> SSML:
    """Pronounce ``text`` as written in ``ph`` (alphabet ipa or x-sampa)."""
    _one_of("phoneme alphabet", alphabet, ("ipa", "x-sampa"))
    if not isinstance(ph, str) or not ph.strip():
        raise ValueError("phoneme ph must be the pronunciation, not empty")
    return _text_element("phoneme", {"alphabet": alphabet, "ph": ph}, text)


_ROLES = ("amazon:VB", "amazon:VBD", "amazon:NN", "amazon:SENSE_1")


def w(text: str, role: str) -> SSML:
    """Say a word as a verb (VB), past participle (VBD), noun (NN) or in its
    other sense (SENSE_1); ``"VB"`` and ``"amazon:VB"`` both work."""
    if isinstance(role, str) and not role.startswith("amazon:"):
        role = "amazon:" + role
    return _text_element("w", {"role": _one_of("w role", role, _ROLES)}, text)


# --- sound, voices and languages -------------------------------------------

_AUDIO_SRC = _Pattern(r"https://[^\s/?#]+(?:[/?#]\S*)?|soundbank://soundlibrary/[^\s/]+(?:/[^\s/]+)+")
MAX_AUDIO_SRC_CHARS = 2000


def audio(src: str) -> SSML:
    """Play an MP3 from an ``https://`` URL, or a sound from Alexa's sound
    library (``soundbank://soundlibrary/...``). At most 5 per response."""
    if not isinstance(src, str) or not _AUDIO_SRC.fullmatch(src):
        raise ValueError(
            "audio src must be an https:// URL without spaces or a "
            f"soundbank://soundlibrary/ sound, got {src!r}")
    if len(src) > MAX_AUDIO_SRC_CHARS:
        raise ValueError(f"audio src must be at most {MAX_AUDIO_SRC_CHARS} characters")
    return _element("audio", {"src": src}, ())


# The Polly voices Alexa offers; the same list as ssml/rules.c.
VOICES = ("Aditi", "Amy", "Bianca", "Brian", "Camila", "Carla", "Celine", "Chantal",
          "Conchita", "Emma", "Enrique", "Giorgio", "Hans", "Ivy", "Joanna", "Joey",
          "Justin", "Kendra", "Kimberly", "Lea", "Lucia", "Lupe", "Marlene", "Mathieu",
          "Matthew", "Mia", "Miguel", "Mizuki", "Nicole", "Penelope", "Raveena", "Ricardo",
          "Russell", "Salli", "Takumi", "Vicki", "Vitoria")

LANGUAGES = ("en-US", "en-GB", "en-IN", "en-AU", "en-CA", "de-DE", "es-ES", "es-MX",
             "es-US", "fr-FR", "fr-CA", "hi-IN", "it-IT", "ja-JP", "pt-BR")


def voice(*parts: Part, name: str) -> SSML:
    """Speak with an Amazon Polly voice: ``voice("Cheerio!", name="Brian")``."""
    if name not in VOICES:
        raise ValueError(
            f"voice name must be a Polly voice Alexa offers, such as Joanna, Matthew, Amy, "
            f"Brian or Celine, got {name!r} (all: {', '.join(VOICES)})")
    return _element("voice", {"name": name}, parts)


def lang(*parts: Part, code: str) -> SSML:
    """Pronounce the words as in another language: ``lang("Bonjour", code="fr-FR")``."""
    return _element("lang", {"xml:lang": _one_of("lang code", code, LANGUAGES)}, parts)


def p(*parts: Part) -> SSML:
    """A paragraph: a longer pause before and after."""
    return _element("p", {}, parts)


def s(*parts: Part) -> SSML:
    """A sentence: a sentence-length pause after it."""
    return _element("s", {}, parts)


# --- Alexa's own effects -------------------------------------------------------

def effect(*parts: Part, name: str = "whispered") -> SSML:
    """An Alexa voice effect; Alexa has one: ``whispered``."""
    name = _one_of("amazon:effect name", name, ("whispered",))
    if not parts:
        # Alexa wants the closing tag even when there is nothing inside.
        return SSML(f'<amazon:effect name="{name}"></amazon:effect>')
    return _element("amazon:effect", {"name": name}, parts)


def whisper(*parts: Part) -> SSML:
    """Whisper the words (``amazon:effect name="whispered"``)."""
    return effect(*parts, name="whispered")


def emotion(*parts: Part, name: str, intensity: str = "medium") -> SSML:
    """Sound excited or disappointed (intensity low, medium or high). Alexa's own
    voice only: not together with ``voice``, ``domain`` or ``emphasis``."""
    return _element("amazon:emotion", {
        "name": _one_of("amazon:emotion name", name, ("excited", "disappointed")),
        "intensity": _one_of("amazon:emotion intensity", intensity, ("low", "medium", "high")),
    }, parts)


def domain(*parts: Part, name: str) -> SSML:
    """A speaking style: conversational, long-form, music, news or fun."""
    return _element("amazon:domain", {
        "name": _one_of("amazon:domain name", name,
                        ("conversational", "long-form", "music", "news", "fun")),
    }, parts)


_PERSON_ID = _Pattern(r"amzn1\.ask\.person\.[A-Za-z0-9_\-.]+")


def alexa_name(person_id: str) -> SSML:
    """Say the first name of the recognised person (the request's
    ``context.System.person.personId``)."""
    if not isinstance(person_id, str) or not _PERSON_ID.fullmatch(person_id) \
            or len(person_id) > 255:
        raise ValueError(
            f"alexa_name needs a personId like 'amzn1.ask.person.ABC123', got {person_id!r}")
    return _element("alexa:name", {"type": "first", "personId": person_id}, ())
