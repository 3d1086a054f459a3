"""A variable name with a typo in it."""
from skillkit import intent


@intent("ThankYouIntent")
def thanks(req):
    name = req.slot("name") or "friend"
    return "You're welcome, " + nmae + "!"
