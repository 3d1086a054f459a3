"""The skill's handlers against the intents of its model.json, to catch typos.

`skillserver say` makes the same comparison in C (model_check() in
server/catalog/model.c, with JSON paths) and leaves out the warnings that
mention model.json; keep "model.json" in each of them.
"""
from __future__ import annotations

import difflib
import os
from typing import Optional

from ._registry import INTENT_REQUEST
from ._skill import Skill, read_json

__all__ = ["warnings"]


def warnings(skill: Skill) -> list[tuple[str, Optional[str]]]:
    """(text, None) for each disagreement between the handlers and model.json."""
    path = os.path.join(skill.folder, "model.json")
    if not os.path.exists(path):
        return []
    try:
        model = read_json(path)
        intents = model["interactionModel"]["languageModel"]["intents"]
        names = [i["name"] for i in intents if isinstance(i, dict) and isinstance(
            i.get("name"), str)]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [(f"model.json cannot be read: {exc}", None)]
    found = []
    routes = skill.registry.routes
    for kind, name in routes:
        if kind == "intent" and name not in names:
            close = difflib.get_close_matches(name, names, 1)
            hint = f"; did you mean {close[0]}?" if close else "; Alexa never sends it"
            found.append((f"{name} has a handler but is not in model.json{hint}", None))
    catch_all = ("type", INTENT_REQUEST) in routes or (
        "intent", "AMAZON.FallbackIntent") in routes
    for name in names:
        if not name.startswith("AMAZON.") and ("intent", name) not in routes and not catch_all:
            found.append((f"model.json has {name} but no function answers it; put "
                          f"@intent(\"{name}\") above one", None))
    return found
