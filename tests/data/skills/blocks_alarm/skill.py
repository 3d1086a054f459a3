import signal

from skillkit import launch


@launch
def welcome(req):
    # Block the soft deadline's signal: only the hard deadline can stop this.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    # Said once the handler runs, so a test knows the request is in flight.
    print("blocking the soft deadline")
    while True:
        pass
