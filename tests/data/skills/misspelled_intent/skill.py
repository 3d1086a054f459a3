"""A child's copy of thank_you with the intent name misspelt in the
decorator: model.json says ThankYouIntent, the decorator ThankyouIntent."""
from skillkit import ask, fallback, intent, launch


@launch
def welcome(req):
    return ask("Say thank you!")


@intent("ThankyouIntent")
def thanks(req):
    return "You're welcome!"


@fallback
def not_understood(req):
    return ask("Hmm, I only know thank you.")
