"""A skill with a dialog model: Alexa asks for the drink (Dialog.Delegate
and the model's prompts), the skill asks for sugar itself (Dialog.ElicitSlot)
and has the order confirmed (Dialog.ConfirmIntent)."""
from skillkit import Response, ask, intent, launch


@launch
def welcome(req):
    return ask("Welcome to the coffee corner. What would you like?")


@intent("OrderIntent")
def order(req):
    if req.dialog_state != "COMPLETED":
        return Response(directives=[{"type": "Dialog.Delegate"}])
    if req.confirmation == "DENIED":
        return "Okay, no coffee then."
    drink = req.slot_resolved("drink") or req.slot("drink")
    size = req.slot("size") or "regular"
    return f"One {size} {drink}, coming up!"


@intent("TeaIntent")
def tea(req):
    sugar = req.slot("sugar")
    if sugar is None:
        return Response("How many sugars?", "How many sugars would you like?",
                        directives=[{"type": "Dialog.ElicitSlot", "slotToElicit": "sugar"}])
    return f"Tea with {sugar} sugars."
