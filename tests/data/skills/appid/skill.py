from skillkit import launch


@launch
def welcome(req):
    return "right application"
