"""A thread started by a request, and an atexit function: when the worker
ends, the thread is waited for and the function runs, as at any Python
exit, and what they print still reaches the log (test_python.c)."""
import atexit
import threading
import time

from skillkit import intent

atexit.register(print, "atexit ran")


@intent("ThankYouIntent")
def thanks(req):
    def later():
        time.sleep(0.2)
        print("thread finished")

    threading.Thread(target=later).start()
    return "started a thread"
