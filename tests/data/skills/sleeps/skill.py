"""Answers after a second and a half: a request that is still in flight when
the server is told to stop (tests/integration/test_serve.py)."""
import time

from skillkit import launch


@launch
def welcome(req):
    time.sleep(1.5)
    return "I woke up."
