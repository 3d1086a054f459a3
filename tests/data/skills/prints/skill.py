import sys

from skillkit import launch


@launch
def welcome(req):
    print("printed by the skill")
    print("to stderr too", file=sys.stderr)
    return "I printed two lines"
