from skillkit import launch, intent


@launch
def welcome(req):
    while True:
        pass


@intent("ThankYouIntent")
def thanks(req):
    try:
        while True:
            pass
    except Exception:
        return "caught it"
