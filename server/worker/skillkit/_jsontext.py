"""JSON text in and out, exactly as the json module reads and writes it, through
json's C accelerator (_json) alone.

Every request crosses the worker's boundary as JSON text (_message), so a
zygote needs JSON before a skill's first line runs. The json package's own
modules import re, and re imports enum, functools and collections: that was
about half of what a zygote imported at start-up. json does this work in
_json's scanner and encoder, which need none of it, so they are called
here the way json calls them (json.decoder.JSONDecoder.raw_decode,
json.encoder.JSONEncoder.iterencode): the results are json's, byte for
byte, errors included (tests/unit/worker/test_skillkit_imports.py compares
them). json itself is imported only to report a decoding error, or where
_json is missing.
"""
from __future__ import annotations

try:
    from _json import encode_basestring as _quote
    from _json import make_encoder as _make_encoder
    from _json import make_scanner as _make_scanner
except ImportError:  # a Python without the accelerator: json does it all
    _make_scanner = None

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["loads", "loads_first", "dumps"]

#: What json.decoder skips around a document (its WHITESPACE pattern).
_WHITESPACE = " \t\n\r"


class _DecoderSettings:
    """The attributes _json.make_scanner reads from its context: a default
    json.JSONDecoder's."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {"-Infinity": float("-inf"), "Infinity": float("inf"),
                      "NaN": float("nan")}.__getitem__


_scan = _make_scanner(_DecoderSettings) if _make_scanner is not None else None


def _error(message: str, text: str, position: int) -> ValueError:
    """json's own JSONDecodeError (a ValueError)."""
    from json import JSONDecodeError

    return JSONDecodeError(message, text, position)


def _skip_whitespace(text: str, position: int) -> int:
    rest = text[position:]
    return position + len(rest) - len(rest.lstrip(_WHITESPACE))


def loads(text: str) -> Any:
    """json.loads(text) for a str."""
    if _scan is None:
        import json

        return json.loads(text)
    if not isinstance(text, str):
        raise TypeError(f"the JSON object must be str, not {text.__class__.__name__}")
    if text.startswith("\ufeff"):
        raise _error("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    # Whitespace is looked for (by copying the rest of the text) only where
    # there is some: the front's messages have none around them.
    start = _skip_whitespace(text, 0) if text[:1] in _WHITESPACE else 0
    try:
        value, end = _scan(text, start)
    except StopIteration as stop:
        raise _error("Expecting value", text, stop.value) from None
    if end != len(text):
        end = _skip_whitespace(text, end)
        if end != len(text):
            raise _error("Extra data", text, end)
    return value


def loads_first(text: str) -> tuple[Any, int]:
    """The first document in text (after any whitespace) and where it ends:
    json.JSONDecoder().raw_decode, which leaves what follows unread."""
    if _scan is None:
        import json

        return json.JSONDecoder().raw_decode(text, _skip_whitespace(text, 0))
    if not isinstance(text, str):
        raise TypeError(f"the JSON object must be str, not {text.__class__.__name__}")
    start = _skip_whitespace(text, 0) if text[:1] in _WHITESPACE else 0
    try:
        return _scan(text, start)
    except StopIteration as stop:
        raise _error("Expecting value", text, stop.value) from None


def _unencodable(value: Any) -> Any:
    """json.JSONEncoder.default: what is not JSON is a TypeError."""
    raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")


def _accelerator_works() -> bool:
    """Whether _json takes the arguments json 3.11 gives it (an exported
    skill may run on another Python, on Lambda): otherwise json does it."""
    try:
        encode = _make_encoder({}, _unencodable, _quote, None, ":", ",", True, False, False)
        return ("".join(encode({"b": [1, 2.5, None], "a": "\u00e9"}, 0))
                == '{"a":"\u00e9","b":[1,2.5,null]}' and _scan('[1, "x"]', 0) == ([1, "x"], 8))
    except Exception:  # noqa: BLE001 - any failure means "use json"
        return False


def dumps(value: Any, sort_keys: bool = False) -> str:
    """json.dumps(value, separators=(",", ":"), ensure_ascii=False,
    allow_nan=False, sort_keys=sort_keys): compact, the text as it is,
    TypeError or ValueError for what JSON cannot carry."""
    if _scan is None:
        import json

        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False,
                          sort_keys=sort_keys)
    if isinstance(value, str):
        return _quote(value)
    # json's encoder keeps a record of the containers being written, to
    # report a value that contains itself, and json makes a new encoder (and
    # record) for every call. Most values are written here by an encoder made
    # once without that record; a value that contains itself then ends in
    # RecursionError, and only then is it written again as json writes it,
    # which reports the same error json does. (So does a value nested past
    # the recursion limit, which fails json the same way.)
    try:
        return "".join((_write_sorted if sort_keys else _write)(value, 0))
    except RecursionError:
        pass
    encode = _make_encoder({}, _unencodable, _quote, None, ":", ",", sort_keys, False, False)
    return "".join(encode(value, 0))


if _scan is not None and not _accelerator_works():
    _scan = None

#: dumps()'s encoders without a record of containers (see there).
if _scan is not None:
    _write = _make_encoder(None, _unencodable, _quote, None, ":", ",", False, False, False)
    _write_sorted = _make_encoder(None, _unencodable, _quote, None, ":", ",", True, False, False)
