from skillkit import launch


@launch
def welcome(req):
    message = "I forgot to return this"
