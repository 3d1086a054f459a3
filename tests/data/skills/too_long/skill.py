from skillkit import launch


@launch
def welcome(req):
    return "la " * 3000
