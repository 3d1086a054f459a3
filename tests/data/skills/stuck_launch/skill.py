"""Launch never returns and cannot be interrupted (only the hard deadline
stops it); ThankYouIntent answers at once. tests/unit/worker/
test_pool_async.c sends a ThankYouIntent behind a launch on the same worker."""
import signal

from skillkit import intent, launch


@launch
def welcome(req):
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    while True:
        pass


@intent("ThankYouIntent")
def thanks(req):
    return "I am awake."
