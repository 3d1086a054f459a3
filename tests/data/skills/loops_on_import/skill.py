"""Never finishes importing: the soft limit on loading stops it."""
from skillkit import launch

while True:
    pass


@launch
def welcome(req):
    return "Never reached."
