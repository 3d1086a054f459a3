"""Says in the log that a request reached it, so a test can prove that a
refused request never did."""
from skillkit import launch, on


@launch
def welcome(req):
    print("REACHED " + req.request_id)
    return "You reached the skill."


@on("IntentRequest")
def any_intent(req):
    print("REACHED " + req.request_id)
    return "You reached the skill."
