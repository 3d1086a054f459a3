"""The answer is made but never returned."""
from skillkit import intent


@intent("ThankYouIntent")
def thanks(req):
    answer = "You're welcome!"
