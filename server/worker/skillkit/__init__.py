"""skillkit: write an Alexa skill as plain Python functions.

A skill is a file ``skills/NAME/skill.py``::

    from skillkit import launch, intent, ask

    @launch
    def welcome(req):
        return ask("Welcome! Say thank you.")

    @intent("ThankYouIntent")
    def thanks(req):
        return f"You're welcome, {req.slot('name') or 'friend'}!"

Decorators (put them on the line above ``def``):

- ``@launch`` answers "Alexa, open <skill>" (LaunchRequest).
- ``@intent("Name", ...)`` answers one or more intents.
- ``@help``, ``@stop``, ``@cancel``, ``@fallback`` answer AMAZON.HelpIntent,
  AMAZON.StopIntent, AMAZON.CancelIntent and AMAZON.FallbackIntent.
- ``@session_ended`` runs when the session closes (SessionEndedRequest).
- ``@on("Type", ...)`` answers any other request type, e.g.
  ``@on("AudioPlayer.PlaybackStarted")``; ``@on("IntentRequest")`` answers
  every intent that has no handler of its own.
- ``@error`` is called as ``fn(req, exc)`` when a handler or interceptor
  raises an ``Exception``; what it returns is the answer. Without it the
  exception is reported as the skill's error (spoken back in ``--dev``).
- ``@before`` runs as ``fn(req)`` before the handler; returning a response
  answers at once. ``@after`` runs as ``fn(req, response)`` after it;
  returning a response replaces the answer. The order is: every @before, the
  handler (or @error on an exception), every @after.

A function may take fewer parameters than it is given (``def welcome():``
works). Two functions for the same intent, or two @error functions, are an
error when the skill is loaded.

What a handler returns:

- a ``str``: say it and end the session;
- an ``SSML`` value: the same, as SSML (``"Hi " + SSML(...)`` escapes "Hi ");
- ``ask(speech, reprompt=None)``: say it and keep listening (the reprompt,
  said when the user is silent, defaults to the speech);
- ``tell(speech)``: say it and end the session;
- a ``Response``, for cards (``SimpleCard``, ``StandardCard``,
  ``LinkAccountCard``, ``PermissionsCard``), directives, ``end_session``
  (True, False, None, or ``ABSENT`` to leave it out), ``session_attributes``
  and ``play_behavior``;
- a dict that is a complete Alexa response envelope (it has ``"response"``),
  sent as it is.

Speech may be a str, an SSML value, or a list/tuple of them, said in order
with a space between the parts. Anything else (None, a number, a list) is
reported as an error naming the handler, except that None is the empty
response for requests Alexa speaks no answer to (SessionEndedRequest,
AudioPlayer.*, PlaybackController.*, System.ExceptionEncountered), so a
@session_ended function need not return anything. ``raise SkillError("words")`` stops
a handler and says the words; it is an answer, not an error.

``req`` (a ``Request``) has ``req.type``, ``req.intent``, ``req.slot(name)``,
``req.slot_id(name)`` and ``req.slot_resolved(name)`` (entity resolution),
``req.slots``, ``req.session`` (session attributes: a dict you may change,
sent back to Alexa), ``req.persistent`` (a dict the server saves for this
user across sessions), ``req.locale``, ``req.user_id``, ``req.device_id``,
``req.request_id``, ``req.new_session``, ``req.dialog_state``,
``req.confirmation``, ``req.application_id``, ``req.supports(interface)`` and
``req.event`` (the whole request JSON).

Defaults when the skill has no handler for a request:

- LaunchRequest: "Welcome! What would you like to do?", listening.
- SessionEndedRequest: the empty response (Alexa speaks nothing anyway); an
  error Alexa reports there is written to the log.
- AMAZON.StopIntent, AMAZON.CancelIntent: "Goodbye!" and the session ends.
- AMAZON.HelpIntent: a short generic help sentence; the session stays open.
- AMAZON.NavigateHomeIntent: the @launch handler (the skill's home), else
  the default welcome.
- Any other intent: the @fallback handler if there is one, else "Sorry, I
  don't know how to do that yet. What would you like to do?", listening, and
  a warning in the log naming the intent (not for AMAZON.FallbackIntent).
- CanFulfillIntentRequest: canFulfill YES when the intent has a handler,
  else NO.
- System.ExceptionEncountered: the empty response; the error goes to the log.
- Every other request type (AudioPlayer.*, PlaybackController.*, unknown
  types): the empty response.

A classic AWS Lambda skill, a module-level ``lambda_handler(event, context)``
returning a response dict, runs unchanged; ``context`` is a
``LambdaContext``. What a skill prints (or logs with ``logging``) goes to
the server's log, never into the response.

To test a skill without the server, see ``skillkit.testing``.
"""
from __future__ import annotations

from . import ssml
from ._registry import (after, before, cancel, error, fallback, help, intent, launch, on,
                        session_ended, stop)
from .errors import DeadlineExceeded, SkillDefinitionError, SkillError
from .lambda_context import LambdaContext
from .request import Request, Slot
from .response import (ABSENT, Card, LinkAccountCard, PermissionsCard, Response, SimpleCard,
                       StandardCard, ask, tell)
from .ssml import SSML, escape

__version__ = "0.1.0"

__all__ = [
    "launch", "intent", "help", "stop", "cancel", "fallback", "session_ended", "on",
    "error", "before", "after",
    "ask", "tell", "Response", "ABSENT", "Card", "SimpleCard", "StandardCard",
    "LinkAccountCard", "PermissionsCard",
    "Request", "Slot", "SkillError", "DeadlineExceeded", "SkillDefinitionError",
    "LambdaContext", "SSML", "escape",
]

# Whatever else the SSML module offers (builders such as break_ or
# emphasis, when it has them) is part of the package's face too.
def _export_ssml() -> None:
    for name in getattr(ssml, "__all__", ()):
        if name not in globals():
            globals()[name] = getattr(ssml, name)
            __all__.append(name)


_export_ssml()
del _export_ssml
