"""Hello, written the way classic AWS Lambda skills were.

No skillkit here: one lambda_handler(event, context) that looks at the request
type and builds the response dictionaries by hand, like Amazon's old Python
samples. The same file runs unchanged on AWS Lambda and on skillserver.
"""
import logging

logger = logging.getLogger()
logger.setLevel(logging.INFO)

SKILL_TITLE = "Hello"


# --------------- Helpers that build the responses ----------------------

def build_speechlet_response(title, output, reprompt_text, should_end_session):
    response = {
        "outputSpeech": {"type": "PlainText", "text": output},
        "card": {"type": "Simple", "title": title, "content": output},
        "shouldEndSession": should_end_session,
    }
    if reprompt_text:
        response["reprompt"] = {
            "outputSpeech": {"type": "PlainText", "text": reprompt_text}
        }
    return response


def build_response(session_attributes, speechlet_response):
    return {
        "version": "1.0",
        "sessionAttributes": session_attributes,
        "response": speechlet_response,
    }


def empty_response():
    """For requests Alexa does not speak an answer to."""
    return {"version": "1.0", "response": {}}


# --------------- Functions that control the skill's behavior ------------------

def get_welcome_response():
    speech_output = "Hello! Say hello, and tell me your name if you like."
    reprompt_text = "You can say: hello, my name is Alex."
    return build_response({}, build_speechlet_response(
        SKILL_TITLE, speech_output, reprompt_text, False))


def get_help_response():
    speech_output = ("I say hello back. Try: hello, or: hello, my name is Alex. "
                     "To finish, say stop.")
    reprompt_text = "Say hello!"
    return build_response({}, build_speechlet_response(
        SKILL_TITLE, speech_output, reprompt_text, False))


def handle_session_end_request():
    return build_response({}, build_speechlet_response(
        SKILL_TITLE, "Goodbye!", None, True))


def say_hello(intent, session):
    slots = intent.get("slots") or {}
    name = (slots.get("name") or {}).get("value")
    if name:
        speech_output = "Hello, " + name + "! Nice to meet you."
    else:
        speech_output = "Hello there!"
    return build_response({}, build_speechlet_response(
        SKILL_TITLE, speech_output, None, True))


def not_understood():
    speech_output = "Sorry, I only know how to say hello. Try saying hello."
    return build_response({}, build_speechlet_response(
        SKILL_TITLE, speech_output, "Say hello!", False))


# --------------- Events ------------------

def on_session_started(session_started_request, session):
    logger.info("on_session_started requestId=%s, sessionId=%s",
                session_started_request.get("requestId"), session.get("sessionId"))


def on_launch(launch_request, session):
    logger.info("on_launch requestId=%s", launch_request.get("requestId"))
    return get_welcome_response()


def on_intent(intent_request, session):
    intent = intent_request.get("intent") or {}
    intent_name = intent.get("name")
    logger.info("on_intent %s", intent_name)
    if intent_name == "HelloIntent":
        return say_hello(intent, session)
    if intent_name == "AMAZON.HelpIntent":
        return get_help_response()
    if intent_name in ("AMAZON.CancelIntent", "AMAZON.StopIntent"):
        return handle_session_end_request()
    if intent_name == "AMAZON.NavigateHomeIntent":
        return get_welcome_response()
    return not_understood()


def on_session_ended(session_ended_request, session):
    logger.info("on_session_ended reason=%s", session_ended_request.get("reason"))
    return empty_response()


def on_can_fulfill(can_fulfill_request):
    intent = can_fulfill_request.get("intent") or {}
    answer = "YES" if intent.get("name") == "HelloIntent" else "NO"
    return {"version": "1.0",
            "response": {"canFulfillIntent": {"canFulfill": answer}}}


# --------------- Main handler ------------------

def lambda_handler(event, context):
    """Route the incoming request based on its type."""
    logger.info("%s: %d ms left", context.function_name,
                context.get_remaining_time_in_millis())
    request = event["request"]
    request_type = request.get("type")
    session = event.get("session")

    if session is None:
        # AudioPlayer, PlaybackController, System and skill events come
        # without a session; this skill plays no audio.
        if request_type == "CanFulfillIntentRequest":
            return on_can_fulfill(request)
        return empty_response()

    if session.get("new"):
        on_session_started(request, session)

    if request_type == "LaunchRequest":
        return on_launch(request, session)
    if request_type == "IntentRequest":
        return on_intent(request, session)
    if request_type == "SessionEndedRequest":
        return on_session_ended(request, session)
    return empty_response()
