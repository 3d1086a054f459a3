"""The skill's handlers against the intents of its interaction model, to catch typos.

This is the one place that makes this comparison: the runner knows which
intents the skill registered and which ones skillkit answers by default;
the server says where the skill's model is (its catalog picks the file for
the skill's locale, _runner.load's ``model``), and under plain python3 it
is the model.json beside the code. Each finding goes into the load report
as a warning with the JSON path in the model it is about, so `skillserver
say` prints it beside its own checks of the model (file and path), and the
server's log shows the sentence.

What is reported:

- a handler for an intent the model lacks (Alexa never sends it), with the
  model's closest name when there is one: the misspelt decorator;
- an intent of the model that no function answers, unless skillkit answers
  it by default (stop, cancel, help, navigate home, fallback) or a handler
  takes every intent (@on("IntentRequest")). A @fallback function answers
  such an intent too, but it is still reported: the author almost always
  forgot the intent's own handler.
"""
from __future__ import annotations

import os

from ._registry import INTENT_REQUEST
from ._skill import Skill, read_json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

__all__ = ["warnings", "closest"]

#: Where the intents are in a model.
INTENTS_PATH = "interactionModel.languageModel.intents"

#: Intents skillkit answers itself when the skill does not (see _routing).
ANSWERED_BY_DEFAULT = ("AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.HelpIntent",
                       "AMAZON.NavigateHomeIntent", "AMAZON.FallbackIntent")


def _distance(a: str, b: str) -> int:
    """Edits (insert, delete, change, swap two neighbours) from a to b, ignoring case."""
    a, b = a.lower(), b.lower()
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            best = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                best = min(best, prev2[j - 2] + 1)
            cur[j] = best
        prev2, prev = prev, cur
    return prev[len(b)]


def closest(word: str, names: list[str]) -> Optional[str]:
    """The name nearest to word, if it is near enough to be a misspelling of it
    (a third of word's length in edits, between 1 and 3)."""
    limit = max(1, min(3, len(word) // 3))
    best, best_distance = None, limit + 1
    for name in names:
        distance = _distance(word, name)
        if distance < best_distance:
            best, best_distance = name, distance
    return best


def _intents(model: Any) -> list[str]:
    """The names in the model's intents, by their index ("" for one without a name)."""
    intents = model["interactionModel"]["languageModel"]["intents"]
    if not isinstance(intents, list):
        raise TypeError("intents is not a list")
    return [i["name"] if isinstance(i, dict) and isinstance(i.get("name"), str) else ""
            for i in intents]


def warnings(skill: Skill) -> list[tuple[str, Optional[str]]]:
    """(sentence, JSON path in the model) for each disagreement; [] without a model."""
    path = skill.model_file()
    if path is None:
        return []
    model_name = os.path.basename(path)
    try:
        names = _intents(read_json(path))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [(f"{model_name} cannot be read: {exc}", INTENTS_PATH)]
    source = os.path.basename(skill.path)
    routes = skill.registry.routes
    handled = [name for kind, name in routes if kind == "intent"]
    known = [name for name in names if name]
    found: list[tuple[str, Optional[str]]] = []

    for name in handled:
        if name in known:
            continue
        close = closest(name, known)
        if name.startswith("AMAZON."):
            # Amazon's own intents differ by whole words (Yes, No), so only a
            # difference of case is taken for a misspelling here.
            close = next((k for k in known if k.lower() == name.lower()), None)
        if close:
            text = (f"{source} has a handler for {name}, but {model_name} has no intent with "
                    f"that name, so Alexa never sends it. Did you mean {close}? Check the "
                    f"spelling in @intent(...)")
        elif name.startswith("AMAZON."):
            text = (f"{source} answers {name}, but {model_name} does not list it, so Alexa "
                    f"never sends it: add {{\"name\": \"{name}\", \"samples\": []}}")
        else:
            text = (f"{source} has a handler for {name}, but {model_name} has no intent with "
                    f"that name, so Alexa never sends it: add the intent with samples, or "
                    f"remove the handler")
        found.append((text, INTENTS_PATH))

    if ("type", INTENT_REQUEST) in routes:
        return found
    for index, name in enumerate(names):
        if not name or name in handled or name in ANSWERED_BY_DEFAULT:
            continue
        hint = ""
        close = closest(name, handled)
        if close and close not in known:
            hint = f" ({source} has @intent(\"{close}\"): did you mean {name}?)"
        found.append((f"no function in {source} answers {name}: put @intent(\"{name}\") "
                      f"above one{hint}", f"{INTENTS_PATH}[{index}].name"))
    return found
