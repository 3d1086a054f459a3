import os
import signal

from skillkit import launch


@launch
def welcome(req):
    os.kill(os.getpid(), signal.SIGSEGV)
    return "unreachable"
