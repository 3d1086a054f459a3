"""Says in the log that it is going to sleep, then answers four seconds later:
a request that is still in flight when the server is told to stop
(tests/integration/test_serve.py waits for the log line, then signals)."""
import time

from skillkit import launch


@launch
def welcome(req):
    print("going to sleep")
    time.sleep(4)
    return "I woke up."
