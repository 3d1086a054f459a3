"""Never finishes importing and blocks the soft limit's signal: only the
hard limit on a worker's start (LIMIT_WORKER_START_MS) stops it."""
import signal

from skillkit import launch

signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
while True:
    pass


@launch
def welcome(req):
    return "Never reached."
