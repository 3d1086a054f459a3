"""Counter: a counting game that shows session and persistent attributes.

While the session is open, req.session["count"] remembers how far we got:
"Say next to count." -> "One." -> "Two." -> ... Alexa sends req.session back
with every request of the same session, and forgets it when the session ends.

req.persistent["best"] is the highest count ever reached by this user. The
server saves req.persistent for each user, so the record survives from one
game (session) to the next.
"""
from skillkit import Response, SimpleCard, ask, cancel, fallback, help, intent, launch, stop
from skillkit import session_ended

ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
        "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
        "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def in_words(number):
    """1 -> "one", 42 -> "forty-two", 100 -> "one hundred"."""
    if number < 20:
        return ONES[number]
    if number < 100:
        tens, ones = divmod(number, 10)
        return TENS[tens] + ("-" + ONES[ones] if ones else "")
    if number < 1000:
        hundreds, rest = divmod(number, 100)
        words = ONES[hundreds] + " hundred"
        return words + (" and " + in_words(rest) if rest else "")
    return str(number)


def best(req):
    return req.persistent.get("best", 0)


@launch
def start(req):
    req.session["count"] = 0
    req.session["record"] = best(req)  # to cheer when this game beats it
    req.persistent["games"] = req.persistent.get("games", 0) + 1
    if best(req):
        speech = (f"Let's count! Your record is {in_words(best(req))}. "
                  "Can you beat it? Say next to count.")
    else:
        speech = "Let's count! Say next to count."
    return ask(speech, "Say next to count.")


@intent("NextIntent", "AMAZON.YesIntent")
def count_on(req):
    count = req.session.get("count", 0) + 1
    req.session["count"] = count
    number = in_words(count).capitalize() + "."
    if count > best(req):
        req.persistent["best"] = count
    record = req.session.get("record", 0)
    if record and count == record + 1:
        return ask(f"{number} That's a new record!", "Say next to keep counting.")
    return ask(number, "Say next to keep counting.")


def finish(req):
    count = req.session.get("count", 0)
    if count == 0:
        speech = "Okay, we'll count another time. Goodbye!"
    else:
        speech = (f"You counted to {in_words(count)}. "
                  f"Your record is {in_words(best(req))}. Goodbye!")
    return Response(speech, card=SimpleCard("Counter", f"Count: {count}\nRecord: {best(req)}"),
                    end_session=True)


@stop
@cancel
def stop_counting(req):
    return finish(req)


@intent("AMAZON.NoIntent")
def no_more(req):
    return finish(req)


@help
def explain(req):
    return ask("I count with you. Every time you say next, I say the next number. "
               "I remember your record, even next time. Say stop when you're done. "
               "Say next to count.", "Say next to count.")


@fallback
def not_understood(req):
    return ask("Say next to count, or stop to finish.", "Say next to count.")


@session_ended
def closed(req):
    # The record is already saved in req.persistent after every number;
    # nothing is spoken after the session has ended.
    print(f"counter: session ended ({req.reason}) at {req.session.get('count', 0)}")
