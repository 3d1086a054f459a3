"""What went wrong, in words for the skill's author: ERRORs and their sentences.

Every failure of a skill becomes an ERROR (see _message): where it happened
(the innermost frame in the skill's folder), the traceback without
skillkit's frames, and a sentence to speak that a child can act on. A
handler that returns something Alexa cannot use raises BadResult (kind
"result"), which names the function and says what to return instead.
"""
from __future__ import annotations

import os

from . import _deadline, _message
from ._registry import Handler
from ._skill import PACKAGE_DIR, Skill
from .errors import DeadlineExceeded, SkillDefinitionError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

__all__ = ["BadResult", "exception_error", "error_for", "bad_return", "who", "short",
           "sentence", "article", "where", "describe_type"]

#: Exception text is cut to this many characters in the spoken sentence.
SPOKEN_DETAIL_CHARS = 120


class BadResult(Exception):
    """A handler returned something that is not a response (kind "result")."""

    def __init__(self, message: str, spoken: str, handler: Optional[Handler]) -> None:
        super().__init__(message)
        self.message = message
        self.spoken = spoken
        self.handler = handler


def short(text: str) -> str:
    """First line of text, cut for speaking, without a final period."""
    text = text.strip().splitlines()[0] if text.strip() else ""
    if len(text) > SPOKEN_DETAIL_CHARS:
        text = text[:SPOKEN_DETAIL_CHARS - 3].rstrip() + "..."
    return text.rstrip(".")


def sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def article(word: str) -> str:
    return "an" if word[:1].upper() in "AEIOU" else "a"


def where(skill: Skill, file: Optional[str], line: Optional[int]) -> str:
    """'thank_you, line 5', 'thank_you, file helpers.py, line 5', or for a
    file in a folder of the skill's (its own package, or one it brought
    along), 'thank_you, file ask_sdk_runtime/dispatch.py, line 164'."""
    place = skill.name
    if file and os.path.abspath(file) != skill.path:
        place += f", file {skill.relative(file) if skill.owns(file) else os.path.basename(file)}"
    if line:
        place += f", line {line}"
    return place


def _internal(filename: str) -> bool:
    return (filename.startswith(PACKAGE_DIR + os.sep)
            or filename.startswith("<frozen importlib"))


def _locate(exc: BaseException, skill: Optional[Skill]
            ) -> tuple[Optional[str], Optional[int], Optional[str], str]:
    """(file, line, function, inside) where exc happened: the innermost frame
    in the skill's folder that is the author's own, else the innermost frame
    in its folder, else the innermost frame; a SyntaxError's own position.
    inside is ", inside botocore/regions.py, line 277" when the error
    happened in a package installed beside the code (Skill.vendored) and
    the place is the author's line that led there; else ""."""
    if isinstance(exc, SyntaxError) and exc.filename and (
            skill is None or skill.owns(exc.filename) or exc.__traceback__ is None):
        return exc.filename, exc.lineno, None, ""
    import traceback  # errors only: not imported at start-up (see _runner)

    frames = list(traceback.walk_tb(exc.__traceback__))
    chosen = authored = None
    for frame, lineno in frames:
        if skill is not None and skill.owns(frame.f_code.co_filename):
            chosen = (frame, lineno)
            if not skill.vendored(frame.f_code.co_filename):
                authored = chosen
    inside = ""
    if skill is not None and authored is not None and chosen is not authored:
        inside = f", inside {skill.relative(chosen[0].f_code.co_filename)}, line {chosen[1]}"
        chosen = authored
    if chosen is None and frames:
        chosen = frames[-1]
    if chosen is None:
        return (skill.path if skill else None), None, None, ""
    frame, lineno = chosen
    function = frame.f_code.co_name
    return (frame.f_code.co_filename, lineno, (None if function == "<module>" else function),
            inside)


def _format_traceback(exc: BaseException) -> str:
    """The traceback as the author wants it: without skillkit's and
    importlib's frames before the skill's first one, nor skillkit's after its
    last one (the alarm handler that raised DeadlineExceeded, the check that
    rejected an argument). With no skill frame at all (a bug here), whole."""
    import traceback

    te = traceback.TracebackException(type(exc), exc, exc.__traceback__)
    frames = list(te.stack)
    first = 0
    while first < len(frames) and _internal(frames[first].filename):
        first += 1
    last = len(frames)
    while last > first and frames[last - 1].filename.startswith(PACKAGE_DIR + os.sep):
        last -= 1
    if first < last:
        te.stack = traceback.StackSummary.from_list(frames[first:last])
    elif isinstance(exc, SyntaxError):
        te.stack = traceback.StackSummary.from_list([])
    return "".join(te.format())


def _innermost_frame(exc: BaseException) -> Any:
    import traceback

    frames = list(traceback.walk_tb(exc.__traceback__))
    return frames[-1][0] if frames else None


def _hint(exc: BaseException) -> str:
    """One more sentence for the exceptions beginners meet most, saying what
    to change; "" for the others. (Python 3.11 prints "Did you mean" only in
    its own tracebacks, so the suggestion is computed here.)"""
    message = str(exc)
    if isinstance(exc, NameError) and isinstance(getattr(exc, "name", None), str):
        frame = _innermost_frame(exc)
        known: list[str] = []
        if frame is not None:
            known = [*frame.f_locals, *frame.f_globals, *frame.f_builtins]
        import difflib

        close = difflib.get_close_matches(exc.name, [k for k in known if not k.startswith("_")],
                                          1)
        if close:
            return f"Did you mean {close[0]}?"
        return f"Check the spelling of {exc.name}, or give it a value before this line."
    if isinstance(exc, AttributeError) and getattr(exc, "obj", 0) is None:
        return ("Something there is None, which means nothing: a slot nobody said is None, "
                "so check it with if before using it.")
    if isinstance(exc, TypeError) and "NoneType" in message:
        return ("Something there is None, which means nothing: a slot nobody said is None, "
                "so check it with if before using it.")
    if isinstance(exc, TypeError) and ("concatenate str" in message or (
            "unsupported operand" in message and "'str'" in message)):
        return "To put a number into words, write str(number)."
    if isinstance(exc, EOFError) and message == "EOF when reading a line":
        return ("A skill cannot use input(): nobody types to Alexa. To ask something, return "
                "ask(\"your question\"), and take the answer in a function with a parameter, "
                "like: def answer(number).")
    if isinstance(exc, KeyError):
        return ("That key is not in the dictionary yet: use .get(key, default) to get a "
                "default instead.")
    if isinstance(exc, IndexError):
        return "The list is shorter than that: count from 0, and check its length first."
    return ""


def _library_hint(exc: BaseException) -> str:
    """What to change for the errors of a library a skill brings (the ASK SDK,
    boto3) that mean something about running here, also when another
    library caught one and raised its own (the SDK's PersistenceException
    around boto3's NoCredentialsError); "" for the others."""
    seen: list[BaseException] = []
    at: Optional[BaseException] = exc
    while isinstance(at, BaseException) and len(seen) < 8 and not any(at is s for s in seen):
        seen.append(at)
        hint = _one_library_hint(at)
        if hint:
            return hint
        at = at.__cause__ or at.__context__
    return ""


def _one_library_hint(exc: BaseException) -> str:
    kind = type(exc)
    module = getattr(kind, "__module__", "")
    if not isinstance(module, str):
        return ""
    package = module.partition(".")[0]
    if package == "ask_sdk_runtime" and kind.__name__ == "DispatchException" and str(
            exc).startswith("Unable to find a suitable request handler"):
        return ("No request handler's can_handle said yes to this request. Add a handler "
                "for it, or an exception handler that answers what the others do not.")
    if package == "botocore" and kind.__name__ == "NoRegionError":
        return ("boto3 does not know which AWS region to use. Outside Lambda, name it in the "
                "skill's skillserver.json, like \"region\": \"us-east-1\".")
    if package == "botocore" and kind.__name__ in ("NoCredentialsError",
                                                   "PartialCredentialsError"):
        return ("boto3 has no AWS credentials: outside Lambda there is no execution role. Give "
                "the skill a key of its own under \"environment\" in its skillserver.json: "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.")
    return ""


def missing_module(exc: BaseException) -> Optional[str]:
    """The module an import did not find, when exc says so: a
    ModuleNotFoundError's name, if it is a str (a skill can raise one
    with anything there); else None."""
    if isinstance(exc, ModuleNotFoundError) and isinstance(exc.name, str) and exc.name:
        return exc.name
    return None


def _missing_module(name: str, skill: Skill) -> tuple[str, str]:
    """(the sentence to say, more for the log's message) for an import of
    name that found nothing: a name close to one of Python's own modules or
    the skill's files is a slip; another one is likely a package from PyPI,
    which has to be put beside the code."""
    import difflib
    import sys

    top = name.split(".")[0]
    known = [m for m in sys.stdlib_module_names if not m.startswith("_")]
    try:
        entries = os.listdir(skill.folder)
    except OSError:
        entries = []
    known += [e[:-3] if e.endswith(".py") else e for e in entries
              if e.endswith(".py") or os.path.isdir(os.path.join(skill.folder, e))]
    # A module's name is short; a longer one (raised by the skill itself)
    # is not compared, which would take difflib long.
    close = []
    if len(top) <= 100:
        close = difflib.get_close_matches(top, [k for k in known if k != top], 1)
    if close:
        return f"Did you mean {close[0]}? Check the spelling.", ""
    return (f"Check the spelling. If {top} is a package from the internet, it must be "
            f"put in the skill's folder first: the log says how.",
            f" (if it is a package from PyPI, put it beside the code: pip install {top} -t "
            f"{skill.folder}, on a machine that has pip)")


def exception_error(kind: str, exc: BaseException, skill: Optional[Skill]) -> dict:
    """An ERROR for an exception raised by skill code (or, for bugs, by us)."""
    file, line, function, inside = _locate(exc, skill)
    type_name = type(exc).__name__
    if isinstance(exc, SyntaxError):
        message = exc.msg or str(exc)
    else:
        message = str(exc)
    if skill is None:
        spoken = sentence(f"There is {article(type_name)} {type_name}: {short(message)}")
    elif isinstance(exc, DeadlineExceeded):
        seconds = _deadline.seconds_text(_deadline.last_seconds())
        running = f" line {line}" if line and skill.owns(file) else ""
        if running and file and os.path.abspath(file) != skill.path:
            running += f" of {os.path.basename(file)}"
        task = "to load" if kind == _message.KIND_LOAD else ""
        spoken = (f"{skill.name} took too long{' ' + task if task else ''}: it was still "
                  f"running{running} after {seconds}. Look for a loop that never stops.")
        if kind == _message.KIND_LOAD:
            message = f"the skill was still loading after {seconds}"
        else:
            message = f"the handler was still running after {seconds} (the soft deadline)"
    elif (missing := missing_module(exc)) is not None:
        place = f" on line {line}" if line else ""
        if file and os.path.abspath(file) != skill.path:
            place += f" of {os.path.basename(file)}"
        spoken_hint, log_hint = _missing_module(missing, skill)
        spoken = (f"{skill.name} imports a module called {missing}{place}, but there is no "
                  f"module with that name. {spoken_hint}")
        message += log_hint
    elif isinstance(exc, SkillDefinitionError):
        spoken = sentence(f"There is a mistake in {where(skill, file, line)}: "
                          f"{short(message)}")
    else:
        detail = short(message)
        spoken = sentence(f"There is {article(type_name)} {type_name} in "
                          f"{where(skill, file, line)}{inside}" +
                          (f": {detail}" if detail else ""))
        hint = _hint(exc) if skill.owns(file) else ""
        hint = hint or _library_hint(exc)
        if hint:
            spoken += " " + hint
    return _message.error(kind, message, spoken, type_=type_name, file=file, line=line,
                          function=function, trace=_format_traceback(exc))


def _result_error(bad: BadResult, skill: Skill) -> dict:
    handler = bad.handler
    return _message.error(_message.KIND_RESULT, bad.message, bad.spoken,
                          file=handler.file if handler else skill.path,
                          line=handler.line if handler else None,
                          function=handler.name if handler else None)


def error_for(exc: BaseException, skill: Optional[Skill]) -> dict:
    """The ERROR for an exception that escaped a request to skill."""
    if isinstance(exc, BadResult) and skill is not None:
        return _result_error(exc, skill)
    if isinstance(exc, DeadlineExceeded):
        return exception_error(_message.KIND_TIMEOUT, exc, skill)
    return exception_error(_message.KIND_RAISED, exc, skill)


# ---------------------------------------------------------------------------
# Checking what handlers return.

def who(handler: Handler, skill: Skill, line: bool = False) -> str:
    """'The function thanks in thank_you' (with line: ', line 5') and the like."""
    role = {"handler": "The function", "before": "The @before function",
            "after": "The @after function", "error": "The @error handler",
            "lambda": "The function"}[handler.role]
    place = f", line {handler.line}," if line and handler.line else ""
    return f"{role} {handler.name} in {skill.name}{place}"


def _what(value: Any) -> tuple[str, str, str]:
    """(for the spoken sentence, for the message, what to do) naming a returned value."""
    words = "Return the words for Alexa to say."
    if value is None:
        return ("nothing", "None (no return statement, or return without a value)",
                "Add a return line with the words for Alexa to say, like: return \"Hello!\"")
    if isinstance(value, bool):
        return str(value), str(value), "Alexa can only say words: put them in quotes."
    if isinstance(value, (int, float)):
        return (f"the number {value!r}", f"the number {value!r}",
                f"Alexa can only say words: make it words with str, like: "
                f"return str({value!r})")
    if isinstance(value, tuple):
        return "a tuple", ("a tuple (a comma after the words makes one: "
                           "return \"Hi\", is a tuple)"), (
                   "A comma after the words makes a tuple: take the comma away.")
    if isinstance(value, list):
        return ("a list",
                "a list (put the words in one string, or use Response(speech=[...]))",
                "Alexa says one piece of text: join the words together, like: "
                "return \" \".join(words)")
    if isinstance(value, dict):
        return ("a dictionary without a response",
                "a dict without a 'response' key (an Alexa response envelope has one)", words)
    name = type(value).__name__
    return f"{article(name)} {name}", f"{article(name)} {name} object", words


def bad_return(handler: Handler, value: Any, skill: Skill) -> BadResult:
    """The BadResult for handler returning value, which is not a response."""
    spoken_what, message_what, todo = _what(value)
    if handler.role == "lambda":
        return BadResult(
            f"{handler.name} returned {message_what}; it must return a response dict like "
            f"{{'version': '1.0', 'response': {{...}}}}",
            f"{who(handler, skill)} returned {spoken_what}. Return the response dictionary.",
            handler)
    return BadResult(
        f"{handler.name} returned {message_what}; return words (a str), SSML, ask(...), "
        f"tell(...), a Response, or an Alexa response dict",
        sentence(f"{who(handler, skill, line=True)} returned {spoken_what}. {todo}"),
        handler)


def describe_type(value: Any) -> str:
    """'a list', 'an int': value's type with its article."""
    name = type(value).__name__
    return f"{article(name)} {name}"

