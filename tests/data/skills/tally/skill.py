"""Counts each user's visits in the persistent attributes, and takes a
moment between reading the count and returning the new one, so that two
requests of the same user overlap: the store's compare-and-set must keep
every visit (tests/unit/pipeline/test_dispatch.c,
tests/integration/test_store.py).

A LaunchRequest waits 20 ms; SlowIntent says what it read in the log and
waits 300 ms, long enough for a test to save something else meanwhile."""
import time

from skillkit import intent, launch


def visit(req, pause, say_read=False):
    n = req.persistent.get("count", 0)
    if say_read:
        print(f"read {n}")
    time.sleep(pause)
    req.persistent["count"] = n + 1
    return f"Count {n + 1}."


@launch
def welcome(req):
    return visit(req, 0.02)


@intent("SlowIntent")
def slow(req):
    return visit(req, 0.3, say_read=True)
