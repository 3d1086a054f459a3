"""Answers a sum with a number instead of words."""
from skillkit import intent


@intent("AddIntent")
def add(req):
    a = int(req.slot("a"))
    b = int(req.slot("b"))
    return a + b
