"""Takes 1.5 s to import, then says how many milliseconds its handler has
before the soft deadline: a cold start must not eat into them
(tests/integration/test_invoke.py)."""
import time

time.sleep(1.5)


def lambda_handler(event, context):
    left = context.get_remaining_time_in_millis()
    return {"version": "1.0",
            "response": {"outputSpeech": {"type": "PlainText", "text": str(left)}}}
