"""skillkit.aws under plain python3: the Lambda entry of an exported skill.

Events are the real-shaped ones of tests/fixtures/requests/; the envelopes
must be what Alexa takes (spec/alexa-protocol.md): version, SSML speech
inside one <speak> with the text escaped, reprompt, card, session, what each
request type may carry, and skillserver's apologies when the skill fails.
"""
import copy
import io
import json
import os
import re
import shutil
import sys
import tempfile
import textwrap
import unittest
from contextlib import redirect_stderr

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "server", "worker"))

from skillkit import aws  # noqa: E402

FIXTURES = os.path.join(ROOT, "tests", "fixtures", "requests")
SKILLS = os.path.join(ROOT, "skills")


def event(name, **changes):
    with open(os.path.join(FIXTURES, name + ".json"), encoding="utf-8") as f:
        ev = json.load(f)
    for key, value in changes.items():
        ev["request"][key] = value
    return ev


class Context:
    """What Lambda passes as context (the parts a skill reads)."""
    function_name = "skill"
    aws_request_id = "req"

    def __init__(self, ms=6000):
        self.ms = ms

    def get_remaining_time_in_millis(self):
        return self.ms


SCRATCH = []  # the folders handler_for made, removed when the module's tests end


def tearDownModule():
    while SCRATCH:
        shutil.rmtree(SCRATCH.pop())


def handler_for(source, name="t"):
    folder = tempfile.mkdtemp(prefix="aws-test-")
    SCRATCH.append(folder)
    path = os.path.join(folder, "skill.py")
    with open(path, "w", encoding="utf-8") as f:
        f.write(textwrap.dedent(source))
    with redirect_stderr(io.StringIO()):
        return aws.skill_handler(path, name)


def call(handler, ev, context=None):
    log = io.StringIO()
    with redirect_stderr(log):
        out = handler(ev, context or Context())
    json.dumps(out)  # what Lambda sends must be JSON
    return out, log.getvalue()


class BundledSkills(unittest.TestCase):
    def test_thank_you(self):
        h = aws.skill_handler(os.path.join(SKILLS, "thank_you", "skill.py"), "thank_you")
        out, _ = call(h, event("launch"))
        self.assertEqual(out["version"], "1.0")
        self.assertEqual(out["response"]["outputSpeech"], {
            "type": "SSML", "ssml": "<speak>Hello! I&apos;m the thank you skill. Say thank "
                                    "you, and I will answer you.</speak>"})
        self.assertEqual(out["response"]["reprompt"]["outputSpeech"]["ssml"],
                         "<speak>Go on, say thank you!</speak>")
        self.assertIs(out["response"]["shouldEndSession"], False)
        self.assertEqual(out["sessionAttributes"], {})
        out, _ = call(h, event("intent_thank_you_name"))
        self.assertEqual(out["response"]["outputSpeech"]["ssml"],
                         "<speak>You&apos;re welcome, Sam!</speak>")
        self.assertIs(out["response"]["shouldEndSession"], True)

    def test_counter_session_kept_and_persistent_dropped_with_one_line(self):
        h = aws.skill_handler(os.path.join(SKILLS, "counter", "skill.py"), "counter")
        out, log = call(h, event("launch"))
        self.assertEqual(out["sessionAttributes"], {"count": 0, "record": 0})
        self.assertEqual(len(log.strip().splitlines()), 1)
        self.assertIn("not saved on AWS Lambda", log)
        ev = event("intent_yes")
        ev["session"]["attributes"] = out["sessionAttributes"]
        ev["session"]["new"] = False
        out, _ = call(h, ev)
        self.assertEqual(out["sessionAttributes"]["count"], 1)
        self.assertEqual(out["response"]["outputSpeech"]["ssml"], "<speak>One.</speak>")
        out, _ = call(h, event("intent_stop"))
        self.assertEqual(out["response"]["card"]["type"], "Simple")

    def test_classic_lambda_handler_gets_the_real_context_and_its_dict_back(self):
        h = aws.skill_handler(os.path.join(SKILLS, "lambda_hello", "skill.py"), "lambda_hello")
        out, _ = call(h, event("launch"))
        self.assertEqual(out["response"]["outputSpeech"]["type"], "PlainText")
        self.assertTrue(out["response"]["outputSpeech"]["text"].startswith("Hello!"))
        out, _ = call(h, event("can_fulfill_intent"))
        self.assertIn("canFulfillIntent", out["response"])


class Envelope(unittest.TestCase):
    def test_text_is_escaped_and_ssml_kept_inside_one_speak(self):
        h = handler_for("""
            from skillkit import intent, Response, SSML, pause
            @intent("ThankYouIntent")
            def t(req):
                return Response(["Tom & Jerry <3",
                                 SSML("<speak><emphasis>yes</emphasis></speak>"), pause(1)])
        """)
        out, _ = call(h, event("intent_thank_you"))
        ssml = out["response"]["outputSpeech"]["ssml"]
        self.assertEqual(ssml.count("<speak>"), 1)
        self.assertTrue(ssml.startswith("<speak>Tom &amp; Jerry &lt;3 <emphasis>yes"))
        self.assertTrue(ssml.endswith("</speak>"))

    def test_what_each_request_type_may_carry(self):
        h = handler_for("""
            from skillkit import launch, session_ended, on, Response, SimpleCard
            @launch
            def hi(req):
                return Response("hi", card=SimpleCard("T", "c"), end_session=False,
                                directives=[{"type": "Dialog.Delegate"},
                                            {"type": "Alexa.Presentation.APL.RenderDocument"}])
            @session_ended
            def bye(req):
                return "never said"
            @on("AudioPlayer.PlaybackNearlyFinished")
            def more(req):
                return Response(directives=[{"type": "AudioPlayer.ClearQueue",
                                             "clearBehavior": "CLEAR_ENQUEUED"},
                                            {"type": "Dialog.Delegate"}])
        """)
        out, _ = call(h, event("launch"))
        self.assertEqual([d["type"] for d in out["response"]["directives"]],
                         ["Alexa.Presentation.APL.RenderDocument"])
        self.assertEqual(out["response"]["card"], {"type": "Simple", "title": "T",
                                                   "content": "c"})
        out, _ = call(h, event("session_ended_user"))
        self.assertEqual(out, {"version": "1.0", "response": {}})
        out, _ = call(h, event("audio_playback_nearly_finished"))
        self.assertEqual([d["type"] for d in out["response"]["directives"]],
                         ["AudioPlayer.ClearQueue"])
        self.assertNotIn("sessionAttributes", out)

    def test_a_returned_envelope_is_sent_as_it_is(self):
        h = handler_for("""
            def lambda_handler(event, context):
                return {"response": {"outputSpeech": {"type": "PlainText", "text": "raw"}},
                        "userAgent": "x"}
        """)
        out, _ = call(h, event("launch"))
        self.assertEqual(out["version"], "1.0")
        self.assertEqual(out["userAgent"], "x")
        self.assertEqual(out["response"]["outputSpeech"]["text"], "raw")


class Failures(unittest.TestCase):
    def spoken(self, name):
        with open(os.path.join(ROOT, "server", "base", "error.h"), encoding="utf-8") as f:
            text = f.read()
        m = re.search(r"X\(%s,.*?\"[^\"]*\",\s*\\?\s*\"([^\"]*)\"\)" % name, text, re.S)
        return m.group(1)

    def test_apologies_are_skillservers(self):
        for kind, name in (("load", "SKILL_LOAD"), ("raised", "SKILL_RAISED"),
                           ("timeout", "SKILL_TIMEOUT"), ("result", "SKILL_RESULT")):
            self.assertEqual(aws.APOLOGIES[kind], self.spoken(name), kind)

    def test_raised(self):
        h = handler_for("""
            from skillkit import launch
            @launch
            def hi(req):
                return 1 / 0
        """)
        out, log = call(h, event("launch"))
        self.assertEqual(out["response"], {
            "outputSpeech": {"type": "PlainText", "text": aws.APOLOGIES["raised"]},
            "shouldEndSession": True})
        self.assertIn("ZeroDivisionError", log)
        out, _ = call(h, event("session_ended_user"))
        self.assertEqual(out, {"version": "1.0", "response": {}})

    def test_bad_result(self):
        h = handler_for("""
            from skillkit import launch
            @launch
            def hi(req):
                return 42
        """)
        out, log = call(h, event("launch"))
        self.assertEqual(out["response"]["outputSpeech"]["text"], aws.APOLOGIES["result"])
        self.assertIn("hi", log)

    def test_load_error_answers_every_request_with_the_apology(self):
        h = handler_for("import no_such_module_here\n")
        out, _ = call(h, event("launch"))
        self.assertEqual(out["response"]["outputSpeech"]["text"], aws.APOLOGIES["load"])

    def test_soft_deadline_before_lambdas(self):
        h = handler_for("""
            from skillkit import launch
            @launch
            def hi(req):
                while True:
                    pass
        """)
        out, _ = call(h, event("launch"), Context(ms=aws.DEADLINE_MARGIN_MS + 200))
        self.assertEqual(out["response"]["outputSpeech"]["text"], aws.APOLOGIES["timeout"])

    def test_event_is_not_changed(self):
        h = aws.skill_handler(os.path.join(SKILLS, "counter", "skill.py"), "counter")
        ev = event("launch")
        before = copy.deepcopy(ev)
        call(h, ev)
        self.assertEqual(ev, before)


if __name__ == "__main__":
    unittest.main()
