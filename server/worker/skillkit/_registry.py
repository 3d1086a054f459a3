"""The decorators and the per-skill registry they fill.

While the runner imports a skill it makes a fresh ``Registry`` the *active*
one; every decorator used during that import (in skill.py or in a sibling
module it imports) registers there. Outside a load (a skill file imported
with plain ``python3``, a doctest) the decorators only return the function,
so the file still imports. No registry is global: loading several skills in
one process (the tests do) keeps them apart.

Mistakes in registration raise ``SkillDefinitionError`` at the decorator, so
the load error points at the author's line.
"""
from __future__ import annotations

import os
import sys

from .errors import SkillDefinitionError

# Imported when used, not at start-up (see _runner): typing (for the
# annotations only), inspect (for callables that are not plain functions)
# and linecache.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Optional, TypeVar

    F = TypeVar("F", bound=Callable[..., Any])

__all__ = [
    "Registry", "Handler", "registering", "launch", "intent", "session_ended", "on",
    "help", "stop", "cancel", "fallback", "error", "before", "after",
]

INTENT_REQUEST = "IntentRequest"


#: The source file read last: (name, size, mtime in ns, lines). A skill
#: registers its handlers one after the other from one file; each would
#: otherwise read the whole file again.
_last_source: list = [None, -1, -1, []]


def _source_lines(filename: str) -> list[str]:
    """The lines of a function's source file ([] when it cannot be read).

    linecache also knows sources that are not files (doctest examples,
    IPython cells), so it is asked when something has loaded it already;
    otherwise the file is read here, which spares a worker the import of
    linecache and tokenize. Only decorators and ``def`` are looked for, so
    undecodable bytes may be replaced.
    """
    linecache = sys.modules.get("linecache")
    if linecache is not None:
        return linecache.getlines(filename)
    try:
        st = os.stat(filename)
    except (OSError, ValueError):
        return []
    name, size, mtime, lines = _last_source
    if name == filename and size == st.st_size and mtime == st.st_mtime_ns:
        return lines
    try:
        with open(filename, encoding="utf-8", errors="replace") as f:
            lines = f.readlines()
    except (OSError, ValueError):
        return []
    _last_source[:] = [filename, st.st_size, st.st_mtime_ns, lines]
    return lines


def def_line(fn: Callable[..., Any]) -> Optional[int]:
    """The line of ``def`` of a function (co_firstlineno names the first decorator)."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return None
    line = code.co_firstlineno
    lines = _source_lines(code.co_filename)
    for number in range(line, min(line + 50, len(lines) + 1)):
        text = lines[number - 1].lstrip()
        if not text:
            break
        if not text.startswith("@"):
            return number
    return line


#: co_flags bits of a function that takes *args, **kwargs (inspect.CO_VARARGS,
#: inspect.CO_VARKEYWORDS).
_CO_VARARGS = 0x04
_CO_VARKEYWORDS = 0x08


#: types.FunctionType and types.ModuleType, without importing types (see _runner).
FunctionType = type(lambda: None)
ModuleType = type(sys)


def _is_plain_function(fn: Any) -> bool:
    """True for a function whose signature inspect would read from its code
    object alone: not wrapped (functools.wraps), not given a __signature__,
    not made by functools.partialmethod."""
    return (type(fn) is FunctionType and not hasattr(fn, "__wrapped__")
            and not hasattr(fn, "__signature__") and not hasattr(fn, "_partialmethod"))


class Handler:
    """A registered function and where it was written.

    ``role`` says how it is called: "handler" fn(req), "error" fn(req, exc),
    "before" fn(req), "after" fn(req, response), "lambda" fn(event, context).
    A function that takes fewer parameters is called with fewer arguments
    (``def welcome():`` works).
    """

    __slots__ = ("fn", "role", "nargs", "name", "file", "line")

    ARGS = {"handler": ("req",), "before": ("req",), "error": ("req", "exc"),
            "after": ("req", "response"), "lambda": ("event", "context")}

    def __init__(self, fn: Callable[..., Any], role: str, label: str) -> None:
        if not callable(fn):
            raise SkillDefinitionError(f"{label} must be put above a function (a def), "
                                       f"not above {type(fn).__name__} {fn!r:.40}")
        self.fn = fn
        self.role = role
        self.name = getattr(fn, "__name__", repr(fn))
        code = getattr(fn, "__code__", None)
        self.file: Optional[str] = code.co_filename if code is not None else None
        self.line = def_line(fn)
        self.nargs = self._count_args(label)

    def _count_args(self, label: str) -> int:
        given = self.ARGS[self.role]
        counted = self._count_plain() if _is_plain_function(self.fn) else self._count_any()
        if counted is None:
            return len(given)
        positional, required, unfilled = counted
        if unfilled is not None:
            raise SkillDefinitionError(
                f"{self.name} (line {self.line}) has a keyword-only parameter "
                f"{unfilled!r} that no one fills in; a {label} function gets "
                f"{', '.join(given)}")
        if required > len(given):
            noun = "argument" if len(given) == 1 else "arguments"
            raise SkillDefinitionError(
                f"{self.name} (line {self.line}) needs {required} arguments, but a "
                f"{label} function is given {len(given)} {noun}: {', '.join(given)}")
        return min(positional, len(given))

    def _count_plain(self) -> Optional[tuple[int, int, Optional[str]]]:
        """(positional, required, a keyword-only parameter without a default
        or None) of a plain function, read from its code object as
        inspect.signature reads it; None when it takes *args."""
        code = self.fn.__code__
        if code.co_flags & _CO_VARARGS:
            return None
        positional = code.co_argcount
        required = positional - len(self.fn.__defaults__ or ())
        defaults = self.fn.__kwdefaults__ or {}
        keyword_only = code.co_varnames[positional:positional + code.co_kwonlyargcount]
        unfilled = next((name for name in keyword_only if name not in defaults), None)
        return positional, required, unfilled

    def _count_any(self) -> Optional[tuple[int, int, Optional[str]]]:
        """The same as _count_plain for any callable, through inspect.signature;
        None when it takes *args or has no signature to read."""
        import inspect

        try:
            signature = inspect.signature(self.fn)
        except (TypeError, ValueError):
            return None
        positional = 0
        required = 0
        for param in signature.parameters.values():
            if param.kind is param.VAR_POSITIONAL:
                return None
            if param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
                positional += 1
                if param.default is param.empty:
                    required += 1
            elif param.kind is param.KEYWORD_ONLY and param.default is param.empty:
                return positional, required, param.name
        return positional, required, None

    def call(self, *args: Any) -> Any:
        """Call the function with as many of args as it takes."""
        return self.fn(*args[:self.nargs])

    def where(self) -> str:
        """'name (line N)' for messages."""
        return f"{self.name} (line {self.line})" if self.line else self.name


class Registry:
    """Everything one skill registered.

    ``routes`` maps ("type", request type) and ("intent", intent name) to the
    handler; ("type", "IntentRequest") catches every intent without its own.
    """

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Handler] = {}
        self.before: list[Handler] = []
        self.after: list[Handler] = []
        self.error: Optional[Handler] = None

    def add_route(self, key: tuple[str, str], handler: Handler) -> None:
        old = self.routes.get(key)
        if old is not None and old.fn is not handler.fn:
            raise SkillDefinitionError(
                f"two handlers for {key[1]}: {old.where()} and {handler.where()}. "
                f"Keep one of them")
        self.routes[key] = handler

    def set_error(self, handler: Handler) -> None:
        if self.error is not None and self.error.fn is not handler.fn:
            raise SkillDefinitionError(
                f"two @error handlers: {self.error.where()} and {handler.where()}. "
                f"Keep one of them")
        self.error = handler

    def names(self) -> list[str]:
        """Request types and intent names with a handler, in registration order."""
        return [key[1] for key in self.routes]

    def handler_for(self, key: tuple[str, str]) -> Optional[Handler]:
        return self.routes.get(key)


_active: Optional[Registry] = None


class _Registering:
    """The context manager registering() returns."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._previous: Optional[Registry] = None

    def __enter__(self) -> Registry:
        global _active
        self._previous = _active
        _active = self._registry
        return self._registry

    def __exit__(self, *exc_info: Any) -> None:
        global _active
        _active = self._previous


def registering(registry: Registry) -> _Registering:
    """Make registry the one decorators fill, for the duration of a load
    (``with registering(registry):``)."""
    return _Registering(registry)


def _check_name(name: Any, decorator: str, example: str) -> str:
    if callable(name):
        raise SkillDefinitionError(f"{decorator} needs a name in brackets: {example}")
    if not isinstance(name, str) or not name.strip():
        raise SkillDefinitionError(f"{decorator} names must be words in quotes, like "
                                   f"{example}, not {name!r:.40}")
    return name.strip()


def _routes(keys: list[tuple[str, str]], label: str) -> Callable[[F], F]:
    def register(fn: F) -> F:
        handler = Handler(fn, "handler", label)
        if _active is not None:
            for key in keys:
                _active.add_route(key, handler)
        return fn
    return register


def _plain(keys: list[tuple[str, str]], label: str, fn: Optional[F]) -> Any:
    """A decorator usable as @name and as @name()."""
    if fn is None:
        return _routes(keys, label)
    if not callable(fn):
        raise SkillDefinitionError(f"{label} takes nothing in brackets: write {label} "
                                   f"on the line above def")
    return _routes(keys, label)(fn)


def launch(fn: Optional[F] = None) -> Any:
    """@launch: answer "Alexa, open <skill>" (LaunchRequest)."""
    return _plain([("type", "LaunchRequest")], "@launch", fn)


def session_ended(fn: Optional[F] = None) -> Any:
    """@session_ended: the session closed (SessionEndedRequest). Alexa does not
    speak the answer; use it to tidy up or save req.persistent."""
    return _plain([("type", "SessionEndedRequest")], "@session_ended", fn)


def intent(*names: str) -> Callable[[F], F]:
    """@intent("Name", ...): answer these intents."""
    example = '@intent("ThankYouIntent")'
    if not names:
        raise SkillDefinitionError(f"@intent needs the intent name: {example}")
    checked = [_check_name(n, "@intent", example) for n in names]
    return _routes([("intent", n) for n in checked], f"@intent({', '.join(map(repr, checked))})")


def on(*types: str) -> Callable[[F], F]:
    """@on("AudioPlayer.PlaybackStarted", ...): answer these request types.

    ``@on("IntentRequest")`` answers every intent that has no handler of its own.
    """
    example = '@on("AudioPlayer.PlaybackStarted")'
    if not types:
        raise SkillDefinitionError(f"@on needs a request type: {example}")
    checked = [_check_name(t, "@on", example) for t in types]
    return _routes([("type", t) for t in checked], f"@on({', '.join(map(repr, checked))})")


def help(fn: Optional[F] = None) -> Any:  # noqa: A001 - the name authors expect
    """@help: answer AMAZON.HelpIntent ("help")."""
    return _plain([("intent", "AMAZON.HelpIntent")], "@help", fn)


def stop(fn: Optional[F] = None) -> Any:
    """@stop: answer AMAZON.StopIntent ("stop")."""
    return _plain([("intent", "AMAZON.StopIntent")], "@stop", fn)


def cancel(fn: Optional[F] = None) -> Any:
    """@cancel: answer AMAZON.CancelIntent ("cancel")."""
    return _plain([("intent", "AMAZON.CancelIntent")], "@cancel", fn)


def fallback(fn: Optional[F] = None) -> Any:
    """@fallback: answer AMAZON.FallbackIntent and every intent without a handler."""
    return _plain([("intent", "AMAZON.FallbackIntent")], "@fallback", fn)


def error(fn: Optional[F] = None) -> Any:
    """@error: called as fn(req, exc) when a handler or interceptor raises;
    what it returns is the answer."""
    def register(func: F) -> F:
        handler = Handler(func, "error", "@error")
        if _active is not None:
            _active.set_error(handler)
        return func
    return register if fn is None else register(fn)


def before(fn: Optional[F] = None) -> Any:
    """@before: called as fn(req) before every handler; returning a response
    answers the request without calling the handler."""
    def register(func: F) -> F:
        handler = Handler(func, "before", "@before")
        if _active is not None:
            _active.before.append(handler)
        return func
    return register if fn is None else register(fn)


def after(fn: Optional[F] = None) -> Any:
    """@after: called as fn(req, response) after every handler; returning a
    response replaces it, returning None keeps it."""
    def register(func: F) -> F:
        handler = Handler(func, "after", "@after")
        if _active is not None:
            _active.after.append(handler)
        return func
    return register if fn is None else register(fn)
