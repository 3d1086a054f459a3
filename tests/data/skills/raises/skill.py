from skillkit import intent, launch


@launch
def welcome(req):
    return "hello"


@intent("ThankYouIntent")
def thanks(req):
    return "You're welcome, " + nme
