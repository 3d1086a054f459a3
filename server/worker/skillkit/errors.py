"""Exceptions that skill authors raise or meet.

``SkillError`` is the one an author raises on purpose: its words are the
answer. ``DeadlineExceeded`` is raised *into* a handler by the runner when the
soft deadline passes; it derives from ``BaseException`` so that a skill's
``except Exception:`` cannot swallow it. ``SkillDefinitionError`` reports a
mistake in how a skill registers its handlers, while the skill is loaded.
"""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["SkillError", "DeadlineExceeded", "SkillDefinitionError"]


class SkillError(Exception):
    """Stop the handler and say ``speech`` instead of failing.

    ``raise SkillError("I need a number between one and ten.")`` is a
    controlled answer, not a crash: the words are spoken, the error handler is
    not called and nothing is reported as an error. Without ``reprompt`` the
    session ends (like returning a string); with one, Alexa keeps listening
    (like ``ask``).
    """

    def __init__(self, speech: Any, reprompt: Any = None) -> None:
        super().__init__(speech)
        self.speech = speech
        self.reprompt = reprompt


class DeadlineExceeded(BaseException):
    """The handler ran past its soft deadline.

    Raised by the runner's SIGALRM handler in whatever line of the skill was
    running, so the report can name that line. It is a ``BaseException``:
    ``except Exception`` in a skill does not catch it.
    """


class SkillDefinitionError(Exception):
    """A skill registers its handlers wrongly (found while it is loaded).

    For example two functions for the same intent, ``@intent`` without an
    intent name, or a handler that needs more arguments than it is given.
    """
