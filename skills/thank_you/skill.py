"""Thank you: the classroom demo.

"Alexa, open thank you" -> a welcome that asks the child to say thank you.
"Thank you" -> "You're welcome!"   "Thank you, I'm Sam" -> "You're welcome, Sam!"
"""
from skillkit import ask, cancel, fallback, help, intent, launch, stop


@launch
def welcome(req):
    return ask("Hello! I'm the thank you skill. Say thank you, and I will answer you.",
               "Go on, say thank you!")


@intent("ThankYouIntent")
def thanks(req):
    name = req.slot("name")
    if name:
        return f"You're welcome, {name}!"
    return "You're welcome!"


@help
def explain(req):
    return ask("Just say thank you, and I'll say you're welcome. "
               "You can tell me your name too, like: thanks, my name is Sam.",
               "Say thank you!")


@stop
@cancel
def goodbye(req):
    return "Goodbye!"


@fallback
def not_understood(req):
    return ask("Hmm, I only know thank you. Try saying thank you!", "Say thank you!")
