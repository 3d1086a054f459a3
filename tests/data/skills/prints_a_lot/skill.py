"""Prints far more than a request may log: 2 MiB on LaunchRequest (kept to
64 KiB, then answered), 5 MiB on ThankYouIntent (past the 4 MiB flood
limit: its worker is stopped). tests/unit/worker/test_pool_async.c."""
from skillkit import intent, launch

LINE = "x" * 1023


@launch
def welcome(req):
    for _ in range(2 * 1024):
        print(LINE)
    return "I printed a lot."


@intent("ThankYouIntent")
def thanks(req):
    for _ in range(5 * 1024):
        print(LINE)
    return "Not reached."
