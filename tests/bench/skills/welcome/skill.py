"""welcome: the benchmark's skill (tests/bench/compare.sh).

ThankYouIntent answers the same SSML as the Node.js skill in
tests/bench/peer/skill.js, so both sides of the comparison do the same work:
<speak>You are welcome, NAME! <break time="200ms"/> Have a great day.</speak>
"""
from skillkit import SSML, ask, intent, launch, session_ended


@launch
def hello(req):
    return ask("Welcome! Say thank you.", "Say thank you.")


@intent("ThankYouIntent")
def thanks(req):
    name = req.slot("name") or "friend"
    return "You are welcome, " + name + SSML('! <break time="200ms"/> Have a great day.')


@session_ended
def ended(req):
    return None
