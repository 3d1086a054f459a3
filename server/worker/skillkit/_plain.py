"""A skill written as plain functions: its handlers and its interaction model, inferred.

Convention over configuration: when a skill's module has no decorated
handler and no ``lambda_handler``, every public function defined in the
module itself (not imported from elsewhere) answers something:

- ``welcome()`` (or ``launch()``) answers "Alexa, open <skill>";
  ``help()``, ``stop()`` (also cancel, unless there is a ``cancel()``),
  ``fallback()`` and functions named like another built-in intent
  (``yes``, ``no``, ``repeat``, ``start_over``, ...) answer that intent;
- any other function ``thank_you(name)`` is the intent ``ThankYouIntent``:
  its name said as words is a sample utterance (with a few natural
  variants), its parameters are slots (typed by name or annotation), and a
  parameter with a default is optional. Slots follow the name in their
  order, joined by "and", or by a parameter's own name when it is a word
  like "by" or "to": ``divide(number, by)`` is "divide {number} by {by}";
  ``favourite_color(color)`` is also "my favorite color is {color}".
  ``answer(number)`` (or ``guess``) with one parameter takes a bare reply
  to the skill's question too: "{number}", "it is {number}".

At request time the slot values are passed as arguments (numbers
converted for number slots, a missing optional slot gets its default);
a missing required slot is asked for (Dialog.ElicitSlot: "What is your
name?"). A module whose functions take ``req`` first is written for the decorators
and is not read this way (its load error says to add them).

The model goes to the server in the load report (``interactionModel``
JSON, as a model.json has it) when the skill has no model of its own; an
explicit model.json or an ASK project's model wins, and so do decorators.

Slot types: a parameter's annotation (int/float -> AMAZON.NUMBER, date,
time, timedelta), else its name or the last word of its name (name ->
AMAZON.FirstName, number/count -> AMAZON.NUMBER, city -> AMAZON.US_CITY,
...). Anything else is AMAZON.SearchQuery, which takes any words: a custom
type would need a list of values a function does not have, and Amazon
refuses a custom type without values. Amazon allows one SearchQuery slot
per intent, so a second one is a warning that says what to do.

Start-up: a class's ``say`` and ``invoke`` start a skill's zygote each
time, so reading the functions imports nothing a decorated skill does not:
parameters come from the function's code object (what inspect.signature
reads for a plain function, without inspect's ast, dis, tokenize and enum),
names are split without re, and datetime annotations are recognised
through the datetime module the skill itself imported.
"""
from __future__ import annotations

import builtins
import keyword
import sys

from ._registry import (_CO_VARARGS, _CO_VARKEYWORDS, FunctionType, Handler, ModuleType,
                        Registry, _is_plain_function, def_line)
from .request import Request
from .response import Response

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Optional

__all__ = ["plain_functions", "takes_req", "infer", "intent_name", "words_of", "slot_type"]

#: Functions with these names answer Alexa's own requests and intents.
SPECIAL = {
    "welcome": ("type", "LaunchRequest"),
    "launch": ("type", "LaunchRequest"),
    "help": ("intent", "AMAZON.HelpIntent"),
    "stop": ("intent", "AMAZON.StopIntent"),
    "cancel": ("intent", "AMAZON.CancelIntent"),
    "fallback": ("intent", "AMAZON.FallbackIntent"),
}

#: Built-in intents a function of the same name answers ("yes" -> AMAZON.YesIntent).
#: Alexa understands them without samples, so they carry none.
BUILTIN_INTENTS = ("Yes", "No", "Repeat", "StartOver", "Next", "Previous", "Pause", "Resume",
                   "More", "NavigateHome")

#: Amazon requires these in every custom model.
REQUIRED_INTENTS = ("AMAZON.CancelIntent", "AMAZON.HelpIntent", "AMAZON.StopIntent",
                    "AMAZON.NavigateHomeIntent", "AMAZON.FallbackIntent")

#: A parameter's name (or the last word of it) -> its slot type.
TYPE_BY_NAME = {
    "name": "AMAZON.FirstName", "firstname": "AMAZON.FirstName", "friend": "AMAZON.FirstName",
    "number": "AMAZON.NUMBER", "count": "AMAZON.NUMBER", "num": "AMAZON.NUMBER",
    "n": "AMAZON.NUMBER", "amount": "AMAZON.NUMBER", "age": "AMAZON.NUMBER",
    "times": "AMAZON.NUMBER", "many": "AMAZON.NUMBER", "x": "AMAZON.NUMBER",
    "y": "AMAZON.NUMBER", "a": "AMAZON.NUMBER", "b": "AMAZON.NUMBER",
    "city": "AMAZON.US_CITY", "town": "AMAZON.US_CITY",
    "date": "AMAZON.DATE", "day": "AMAZON.DATE", "birthday": "AMAZON.DATE",
    "time": "AMAZON.TIME", "duration": "AMAZON.DURATION", "minutes": "AMAZON.DURATION",
    "seconds": "AMAZON.DURATION", "long": "AMAZON.DURATION",
    "color": "AMAZON.Color", "colour": "AMAZON.Color",
    "animal": "AMAZON.Animal", "pet": "AMAZON.Animal", "country": "AMAZON.Country",
    "food": "AMAZON.Food", "dessert": "AMAZON.Dessert", "sport": "AMAZON.Sport",
    "weekday": "AMAZON.DayOfWeek", "month": "AMAZON.Month", "ordinal": "AMAZON.Ordinal",
    "place": "AMAZON.Ordinal", "phone": "AMAZON.PhoneNumber", "language": "AMAZON.Language",
    "book": "AMAZON.Book", "movie": "AMAZON.Movie", "film": "AMAZON.Movie",
    "song": "AMAZON.MusicRecording", "game": "AMAZON.Game", "person": "AMAZON.Person",
    "year": "AMAZON.FOUR_DIGIT_NUMBER",
}

#: An annotation -> its slot type.
TYPE_BY_ANNOTATION = {int: "AMAZON.NUMBER", float: "AMAZON.NUMBER"}

#: A class of the datetime module -> its slot type. A skill annotating a
#: parameter with one has imported datetime, so it is looked up in
#: sys.modules rather than imported here.
TYPE_BY_DATETIME = {"date": "AMAZON.DATE", "time": "AMAZON.TIME", "timedelta": "AMAZON.DURATION"}

ANY_WORDS = "AMAZON.SearchQuery"

#: The words a slot of a type follows in a sample, besides none at all.
CARRIERS = {
    "AMAZON.FirstName": ("my name is", "i am", "it is"),
    "AMAZON.US_CITY": ("in", "for"),
    "AMAZON.DATE": ("on", "for"),
    "AMAZON.TIME": ("at",),
    "AMAZON.DURATION": ("for",),
    "AMAZON.Country": ("in",),
    "AMAZON.Animal": ("a", "an", "about"),
}

#: A name ending in one of these ("joke_about") needs its slot after it: the
#: words alone are not a sample.
PREPOSITIONS = frozenset("about for with to of in on at from by like".split())

#: A parameter named with one of these first ("by", "to_city") has its slot
#: joined by that word rather than "and": divide(number, by) is said "divide
#: {number} by {by}", and fly(to_city) also "fly to {to_city}".
JOINERS = PREPOSITIONS | frozenset(("into", "over", "plus", "minus", "times"))

#: Words a sample may start with when a function's name starts with a verb:
#: a request sounds like one with them.
VERBS = frozenset("""add ask call check count find get give guess help make pick play read
roll say show sing spell start tell flip choose throw toss teach draw do open""".split())

#: A name starting with one of these is something of the speaker's own:
#: favourite_color(color) is also said "my favourite color is {color}", in
#: both spellings of favourite (Alexa's en-US hears "favorite"), my_age(age)
#: "my age is {age}", and a missing slot is asked for as "What is your
#: favourite color?".
MINE = {"favourite": "favorite", "favorite": "favourite", "best": None, "my": None}

#: A function named one of these takes the reply to a question the skill
#: asked: answer(number) also hears "4", "it is 4" and "the answer is 4".
ANSWERS = frozenset(("answer", "guess", "my answer", "my guess"))
ANSWER_CARRIERS = ("", "it is", "is it", "i think it is", "the answer is", "my answer is",
                   "my guess is")

#: Samples kept per intent (Amazon allows many more; these are for a person to read).
MAX_SAMPLES = 24

_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")
_UPPER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_DIGIT_CHARS = frozenset("0123456789")


def _split(name: str) -> list[str]:
    """The words of a Python name: snake_case and camelCase, digits spelled out.

    A word is a run of ASCII letters, broken where a lower-case letter is
    followed by a capital ("tellJoke"); each ASCII digit is a word of its
    own, spelled out; anything else (an underscore, a letter outside ASCII)
    separates words.
    """
    words: list[str] = []
    run: list[str] = []
    previous = ""
    for ch in name:
        if ch in _LOWER or ch in _UPPER:
            if run and previous in _LOWER and ch in _UPPER:
                words.append("".join(run).lower())
                run = []
            run.append(ch)
        else:
            if run:
                words.append("".join(run).lower())
                run = []
            if ch in _DIGIT_CHARS:
                words.append(_DIGITS[int(ch)])
        previous = ch
    if run:
        words.append("".join(run).lower())
    return words


def words_of(name: str) -> str:
    """'thank_you' -> 'thank you'; 'tellJoke2' -> 'tell joke two'."""
    return " ".join(_split(name))


def intent_name(function: str) -> str:
    """'thank_you' -> 'ThankYouIntent' (a trailing 'intent' is not doubled)."""
    words = _split(function)
    if words and words[-1] == "intent":
        words = words[:-1]
    return "".join(w[:1].upper() + w[1:] for w in words) + "Intent"


def _slot_name(param: str) -> str:
    """A parameter as a slot name: letters and underscores only (Amazon's rule)."""
    return "_".join(_split(param)) or "value"


class _Empty:
    """No default, no annotation (inspect.Parameter.empty's part here)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<empty>"


EMPTY = _Empty()

#: Parameter kinds, as inspect.Parameter names them.
POSITIONAL_ONLY, POSITIONAL_OR_KEYWORD, VAR_POSITIONAL, KEYWORD_ONLY, VAR_KEYWORD = range(5)



class Parameter:
    """One parameter of a function: what infer() needs of inspect.Parameter."""

    __slots__ = ("name", "kind", "default", "annotation")

    def __init__(self, name: str, kind: int, default: Any = EMPTY, annotation: Any = EMPTY,
                 ) -> None:
        self.name = name
        self.kind = kind
        self.default = default
        self.annotation = annotation


def parameters(fn: Callable[..., Any]) -> list[Parameter]:
    """fn's parameters in order, read from its code object as inspect.signature
    reads a plain function's (the same test as Handler's argument count). A
    function that another wraps (functools.wraps leaves __wrapped__), one
    given a __signature__, or anything else callable goes to
    inspect.signature, which knows those cases; it raises TypeError or
    ValueError as that does."""
    if not _is_plain_function(fn):
        import inspect

        return [Parameter(p.name, int(p.kind), EMPTY if p.default is p.empty else p.default,
                          EMPTY if p.annotation is p.empty else p.annotation)
                for p in inspect.signature(fn).parameters.values()]
    code = fn.__code__
    names = code.co_varnames
    positional = code.co_argcount
    keyword_only = code.co_kwonlyargcount
    defaults = fn.__defaults__ or ()
    kwdefaults = fn.__kwdefaults__ or {}
    # Copied as inspect copies it: a dict subclass's own get() is not called.
    annotations = dict(fn.__annotations__ or {})
    first_default = positional - len(defaults)
    out = []
    for i in range(positional):
        kind = POSITIONAL_ONLY if i < code.co_posonlyargcount else POSITIONAL_OR_KEYWORD
        default = defaults[i - first_default] if i >= first_default else EMPTY
        out.append(Parameter(names[i], kind, default, annotations.get(names[i], EMPTY)))
    at = positional + keyword_only
    if code.co_flags & _CO_VARARGS:
        out.append(Parameter(names[at], VAR_POSITIONAL,
                             annotation=annotations.get(names[at], EMPTY)))
        at += 1
    for name in names[positional:positional + keyword_only]:
        out.append(Parameter(name, KEYWORD_ONLY, kwdefaults.get(name, EMPTY),
                             annotations.get(name, EMPTY)))
    if code.co_flags & _CO_VARKEYWORDS:
        out.append(Parameter(names[at], VAR_KEYWORD, annotation=annotations.get(names[at], EMPTY)))
    return out


def _annotation(param: Parameter) -> Any:
    ann = param.annotation
    if isinstance(ann, str):  # from __future__ import annotations
        return {"int": int, "float": float, "str": str}.get(ann, ann)
    return ann


def _annotation_type(annotation: Any) -> Optional[str]:
    """The slot type an annotation that is a class names, if any."""
    try:
        found = TYPE_BY_ANNOTATION.get(annotation)
    except TypeError:  # an annotation that cannot be hashed
        return None
    # Compared by identity with the module's classes: nothing of the
    # annotation itself (a __name__ that raises, say) is run.
    dt = sys.modules.get("datetime")
    if found is None and type(dt) is ModuleType:
        for name, slot in TYPE_BY_DATETIME.items():
            if getattr(dt, name, None) is annotation:
                return slot
    return found


def slot_type(param: str, annotation: Any = EMPTY, locale: str = "en-US") -> str:
    """The slot type for a parameter, from its annotation, else its name."""
    found = _annotation_type(annotation) if not isinstance(annotation, str) else None
    if found is None:
        words = _split(param)
        whole = "".join(words)
        found = TYPE_BY_NAME.get(whole) or (TYPE_BY_NAME.get(words[-1]) if words else None)
        if found is None and isinstance(annotation, str):
            found = TYPE_BY_NAME.get(annotation.lower())
    if found == "AMAZON.US_CITY":
        found = {"en-GB": "AMAZON.GB_CITY", "de-DE": "AMAZON.DE_CITY"}.get(locale, found)
    return found or ANY_WORDS


def plain_functions(module: Any) -> list[tuple[str, Callable[..., Any]]]:
    """The public functions defined in module itself, in the order they were written."""
    found = []
    for name, value in list(vars(module).items()):
        if name.startswith("_") or not isinstance(value, FunctionType):
            continue
        if getattr(value, "__module__", None) != module.__name__:
            continue  # imported from elsewhere (skillkit's ask, a helper module)
        found.append((name, value))
    return found


def takes_req(module: Any) -> bool:
    """True when a public function of module takes req first: a skill written for
    the decorators that forgot them, not a plain one (its load error says so)."""
    for _, fn in plain_functions(module):
        try:
            params = [p.name for p in parameters(fn)]
        except (TypeError, ValueError):
            continue
        if params and params[0] in ("req", "request"):
            return True
    return False


class _Param:
    __slots__ = ("name", "slot", "type", "default", "optional", "kind")

    def __init__(self, param: Parameter, locale: str) -> None:
        self.name = param.name
        self.slot = _slot_name(param.name)
        self.type = slot_type(param.name, _annotation(param), locale)
        self.default = param.default
        self.optional = param.default is not EMPTY
        self.kind = _annotation(param)


class _Intent:
    """One inferred intent: its function, name, parameters and samples."""

    def __init__(self, function: str, fn: Callable[..., Any], name: str, locale: str) -> None:
        self.function = function
        self.fn = fn
        self.name = name
        self.params: list[_Param] = []
        for param in parameters(fn):
            if param.kind in (VAR_POSITIONAL, VAR_KEYWORD):
                continue
            self.params.append(_Param(param, locale))

    @property
    def slots(self) -> list[_Param]:
        return self.params


def _joiner(slot: _Param) -> Optional[str]:
    """The word of JOINERS the slot's parameter is named with first, or None."""
    word = words_of(slot.name).split(" ", 1)[0]
    return word if word in JOINERS else None


def _spoken(phrase: str, slot: _Param, mine: bool = False) -> list[str]:
    """Ways to say slot after phrase: "thank you {name}", "thank you my name is {name}";
    with mine (a name starting with a word of MINE) also "my favourite color is {color}"."""
    ref = "{" + slot.slot + "}"
    out = [f"{phrase} {ref}"]
    last = phrase.rsplit(" ", 1)[-1]
    out += [f"{phrase} {carrier} {ref}" for carrier in CARRIERS.get(slot.type, ())
            if carrier.split(" ", 1)[0] != last]  # "a joke about {animal}": no second about
    joiner = _joiner(slot)
    if joiner and last != joiner:
        out.append(f"{phrase} {joiner} {ref}")
    if slot.type == "AMAZON.FirstName":
        out.append(f"my name is {ref} {phrase}")
    if mine:
        out += [f"{phrase} is {ref}"] + ([] if phrase.split(" ", 1)[0] == "my" else
                                         [f"my {phrase} is {ref}"])
    return out


def samples_for(intent: _Intent) -> list[str]:
    """The sample utterances of an inferred intent."""
    words = words_of(intent.function)
    if words.endswith(" intent"):
        words = words[:-len(" intent")]
    phrases = [words]
    first = words.split(" ", 1)[0]
    if first in VERBS:
        phrases += [f"please {words}", f"{words} please", f"can you {words}"]
    mine = first in MINE
    if MINE.get(first):
        phrases.append(MINE[first] + words[len(first):])
    slots = intent.slots
    required = [s for s in slots if not s.optional]
    # The words alone too: for a required slot Alexa then asks for it.
    samples: list[str] = [] if words.rsplit(" ", 1)[-1] in PREPOSITIONS else list(phrases)
    # Every slot filled, then the required ones only, then the first of
    # several required ones (Alexa asks for the rest); the slots in their order.
    for chosen in (slots, required, required[:1] if len(required) > 1 else []):
        if not chosen:
            continue
        first_slot, rest = chosen[0], chosen[1:]
        tail = " ".join(f"{_joiner(s) or 'and'} {{{s.slot}}}" for s in rest)
        for phrase in phrases[:2]:
            for said in _spoken(phrase, first_slot, mine):
                samples.append(f"{said} {tail}".strip() if rest else said)
    if words in ANSWERS and len(slots) == 1:
        ref = "{" + slots[0].slot + "}"
        samples += [f"{carrier} {ref}".strip() for carrier in ANSWER_CARRIERS]
    seen: set[str] = set()
    unique = []
    for s in samples:
        if s not in seen:
            seen.add(s)
            unique.append(s)
    return unique[:MAX_SAMPLES]


def invocation_name(skill_name: str) -> str:
    """The folder's name as words: 'thank_you' -> 'thank you'."""
    return words_of(skill_name) or "my skill"


def _prompt(param: _Param, function: str) -> str:
    """What Alexa asks for a missing slot of param, of the function named so."""
    if param.type == "AMAZON.FirstName" and param.slot in ("name", "first_name"):
        return "What is your name?"
    words = words_of(param.name)
    if words in JOINERS:  # divide(number, by): "By what?"
        return f"{words.capitalize()} what?"
    said = words_of(function).split(" ")
    if len(said) > 1 and said[0] in MINE and said[-1] == words.split(" ")[-1]:
        # favourite_color(color): "What is your favourite color?"
        return f"What is your {' '.join(said[1:] if said[0] == 'my' else said)}?"
    return f"What is the {words}?"


def _convert(param: _Param, value: str) -> Any:
    """A slot's text as the parameter wants it; None when it cannot be."""
    if param.type != "AMAZON.NUMBER" and param.kind not in (int, float):
        return value
    try:
        number = float(value)
    except ValueError:
        return None
    if param.kind is float:
        return number
    return int(number) if number == int(number) else number


def _caller(intent: _Intent) -> Callable[[Request], Any]:
    """The handler that fills the function's parameters from the request's slots."""
    params = intent.params

    def plain(req: Request) -> Any:
        args: dict[str, Any] = {}
        for p in params:
            raw = req.slot(p.slot)
            value = None if raw in (None, "", "?") else _convert(p, raw)
            if value is None:
                if p.optional:
                    continue
                if req.type != "IntentRequest":
                    args[p.name] = None
                    continue
                # Alexa asks for it and sends the answer back to this intent.
                prompt = _prompt(p, intent.function)
                updated = req.body.get("intent") or {"name": intent.name}
                return Response(prompt, prompt, end_session=False, directives=[{
                    "type": "Dialog.ElicitSlot", "slotToElicit": p.slot,
                    "updatedIntent": updated}])
            args[p.name] = value
        return intent.fn(**args)
    return plain


def _handler(fn: Callable[..., Any], wrapper: Callable[[Request], Any]) -> Handler:
    """A Handler that calls wrapper and is reported as fn (its name, file and line)."""
    handler = Handler(wrapper, "handler", fn.__name__)
    handler.name = fn.__name__
    handler.file = fn.__code__.co_filename
    handler.line = def_line(fn)
    return handler


def infer(skill_name: str, module: Any, registry: Registry, locale: str = "en-US",
          ) -> tuple[Optional[dict], list[str]]:
    """Fill registry from the plain functions of module.

    Returns (the interaction model as a model.json document, warnings), or
    (None, []) when the module has no public function.
    """
    warnings: list[str] = []
    functions = plain_functions(module)
    if not functions:
        return None, warnings
    intents: list[_Intent] = []
    by_name: dict[str, str] = {}
    builtins_used: list[str] = []
    for function, fn in functions:
        key = SPECIAL.get(function.lower())
        builtin = next((b for b in BUILTIN_INTENTS if intent_name(function) == b + "Intent"),
                       None)
        if key is None and builtin is not None:
            key = ("intent", f"AMAZON.{builtin}Intent")
        if key is not None:
            if key in registry.routes:
                warnings.append(f"{function}() and {registry.routes[key].name}() both answer "
                                f"{key[1]}; {registry.routes[key].name}() is used. Rename one.")
                continue
            intent = _Intent(function, fn, key[1], locale)
            handler = _handler(fn, _caller(intent))
            registry.add_route(key, handler)
            if key[0] == "intent":
                builtins_used.append(key[1])
            if intent.slots:
                warnings.append(f"{function}() answers {key[1]}, which has no slots: its "
                                f"parameters ({', '.join(p.name for p in intent.slots)}) "
                                f"get their defaults or None")
            continue
        name = intent_name(function)
        if name in by_name:
            warnings.append(f"{by_name[name]}() and {function}() both become {name}; only "
                            f"{by_name[name]}() answers it. Give {function}() another name.")
            continue
        by_name[name] = function
        intent = _Intent(function, fn, name, locale)
        warnings.extend(_param_warnings(intent))
        registry.add_route(("intent", name), _handler(fn, _caller(intent)))
        intents.append(intent)
    # "cancel" means "stop" unless the skill says otherwise.
    stop_handler = registry.routes.get(("intent", "AMAZON.StopIntent"))
    if stop_handler is not None and ("intent", "AMAZON.CancelIntent") not in registry.routes:
        registry.add_route(("intent", "AMAZON.CancelIntent"), stop_handler)
    return _model(skill_name, intents, builtins_used), warnings


def _param_warnings(intent: _Intent) -> list[str]:
    warnings = []
    where = f"{intent.function}()"
    words = [p for p in intent.slots if p.type == ANY_WORDS]
    if len(words) > 1:
        warnings.append(
            f"{where} has {len(words)} parameters that can be any words "
            f"({', '.join(p.name for p in words)}); Amazon allows one such slot per intent. "
            f"Name the others after what they hold (name, number, city, color, ...) or "
            f"write a model.json")
    for p in intent.slots:
        if hasattr(builtins, p.name) or keyword.issoftkeyword(p.name):
            warnings.append(f"{where}'s parameter {p.name} has the name of Python's own "
                            f"{p.name}, which it hides inside {intent.function}: it still "
                            f"works as the slot {p.slot}, but another name is clearer")
    return warnings


def _model(skill_name: str, intents: list[_Intent], builtins_used: list[str]) -> dict:
    """The interactionModel document, as a model.json would have it."""
    listed = []
    for intent in intents:
        listed.append({
            "name": intent.name,
            "slots": [{"name": p.slot, "type": p.type} for p in intent.slots],
            "samples": samples_for(intent),
        })
    for name in list(REQUIRED_INTENTS) + builtins_used:
        if not any(i["name"] == name for i in listed):
            listed.append({"name": name, "samples": []})
    return {"interactionModel": {"languageModel": {
        "invocationName": invocation_name(skill_name),
        "intents": listed,
        "types": [],
    }}}
