"""The bundled skills (skills/): each loads without warnings, answers its
conversations and every request fixture sensibly, and has a well-formed
interaction model.

Run: python3 tests/taprun.py tests/unit/worker/test_skillkit_bundled.py
(SOURCE_ROOT may name the repository; otherwise it is found from this file.)
"""
import glob
import json
import os
import re
import unittest

from skillkit_support import SOURCE_ROOT, FIXTURES_DIR, fixture, RunnerCase, _runner, testing


SKILLS_DIR = os.path.join(SOURCE_ROOT, "skills")
BUNDLED = ("thank_you", "lambda_hello", "counter")


def bundled(name):
    return os.path.join(SKILLS_DIR, name, "skill.py")


class BundledSkillsTest(RunnerCase):

    def run_skill(self, name, event, **options):
        with self.quiet():
            return testing.run(bundled(name), event, **options)

    def test_each_loads_without_warnings(self):
        for name in BUNDLED:
            with self.quiet():
                result = json.loads(_runner.load(name, bundled(name), False))
            self.assertTrue(result["ok"], result)
            self.assertEqual(result["warnings"], [], name)
            with open(os.path.join(SKILLS_DIR, name, "skill.json"), encoding="utf-8") as f:
                self.assertEqual(json.load(f), {"locale": "en-US"})

    def test_thank_you(self):
        launch = self.run_skill("thank_you", testing.launch_request())
        self.assertIn("say thank you", testing.speech(launch).lower())
        self.assertFalse(testing.ends_session(launch))
        self.assertTrue(testing.reprompt(launch))
        result = self.run_skill("thank_you", testing.intent_request("ThankYouIntent", name="Sam"))
        self.assertEqual(testing.speech(result), "You're welcome, Sam!")
        self.assertTrue(testing.ends_session(result))
        result = self.run_skill("thank_you", testing.intent_request("ThankYouIntent", name=None))
        self.assertEqual(testing.speech(result), "You're welcome!")
        self.assertEqual(testing.speech(self.run_skill("thank_you",
                                                       fixture("intent_thank_you_name"))),
                         "You're welcome, Sam!")
        result = self.run_skill("thank_you", testing.intent_request("AMAZON.HelpIntent"))
        self.assertFalse(testing.ends_session(result))
        for stop in ("AMAZON.StopIntent", "AMAZON.CancelIntent"):
            result = self.run_skill("thank_you", testing.intent_request(stop))
            self.assertEqual(testing.speech(result), "Goodbye!")
            self.assertTrue(testing.ends_session(result))
        result = self.run_skill("thank_you", testing.intent_request("AMAZON.FallbackIntent"))
        self.assertFalse(testing.ends_session(result))

    def test_lambda_hello(self):
        result = self.run_skill("lambda_hello", testing.launch_request())
        self.assertEqual(result["reply"]["kind"], "envelope")
        self.assertIn("Say hello", testing.speech(result))
        self.assertFalse(testing.ends_session(result))
        result = self.run_skill("lambda_hello", testing.intent_request("HelloIntent", name="Ana"))
        self.assertEqual(testing.speech(result), "Hello, Ana! Nice to meet you.")
        self.assertEqual(testing.card(result)["type"], "Simple")
        self.assertTrue(testing.ends_session(result))
        self.assertEqual(testing.speech(self.run_skill(
            "lambda_hello", testing.intent_request("HelloIntent"))), "Hello there!")
        self.assertFalse(testing.ends_session(self.run_skill(
            "lambda_hello", testing.intent_request("AMAZON.HelpIntent"))))
        self.assertEqual(testing.speech(self.run_skill(
            "lambda_hello", testing.intent_request("AMAZON.StopIntent"))), "Goodbye!")
        result = self.run_skill("lambda_hello", testing.session_ended_request())
        self.assertEqual(result["reply"]["envelope"], {"version": "1.0", "response": {}})
        result = self.run_skill("lambda_hello", testing.can_fulfill_request("HelloIntent"))
        self.assertEqual(result["reply"]["envelope"]["response"]["canFulfillIntent"],
                         {"canFulfill": "YES"})

    def test_counter_conversation(self):
        chat = testing.Conversation(bundled("counter"))
        with self.quiet():
            self.assertEqual(testing.speech(chat.launch()), "Let's count! Say next to count.")
            self.assertEqual(testing.speech(chat.intent("NextIntent")), "One.")
            self.assertEqual(testing.speech(chat.intent("NextIntent")), "Two.")
            self.assertEqual(chat.session_attributes, {"count": 2, "record": 0})
            self.assertEqual(chat.persistent["best"], 2)
            result = chat.intent("AMAZON.StopIntent")
        self.assertEqual(testing.speech(result), "You counted to two. Your record is two. "
                                                 "Goodbye!")
        self.assertTrue(testing.ends_session(result))
        self.assertEqual(testing.card(result)["content"], "Count: 2\nRecord: 2")
        self.assertFalse(chat.session_open)
        # A new session: the count starts again, the record is remembered.
        with self.quiet():
            speech = testing.speech(chat.launch())
            self.assertIn("Your record is two", speech)
            self.assertEqual(testing.speech(chat.intent("AMAZON.YesIntent")), "One.")
            chat.intent("NextIntent")
            self.assertEqual(testing.speech(chat.intent("NextIntent")),
                             "Three. That's a new record!")
            self.assertEqual(testing.speech(chat.intent("NextIntent")), "Four.")
            chat.end()
        self.assertEqual(chat.persistent, {"best": 4, "games": 2})
        from importlib import util
        spec = util.spec_from_file_location("counter_words", bundled("counter"))
        module = util.module_from_spec(spec)
        spec.loader.exec_module(module)
        self.assertEqual([module.in_words(n) for n in (1, 13, 20, 42, 100, 999, 1234)],
                         ["one", "thirteen", "twenty", "forty-two", "one hundred",
                          "nine hundred and ninety-nine", "1234"])

    def test_every_fixture_gets_a_sensible_answer_from_every_skill(self):
        files = sorted(glob.glob(os.path.join(FIXTURES_DIR, "*.json")))
        self.assertGreater(len(files), 10)
        speaking = {"LaunchRequest", "IntentRequest"}
        for name in BUNDLED:
            for path in files:
                with open(path, encoding="utf-8") as f:
                    event = json.load(f)
                kind = event["request"]["type"]
                where = f"{name} / {os.path.basename(path)}"
                result = self.run_skill(name, event, soft_ms=2000)
                self.assertTrue(result["ok"], f"{where}: {result.get('error')}")
                text = testing.speech(result)
                if kind in speaking:
                    self.assertTrue(text, where)
                    self.assertIn(testing.ends_session(result), (True, False), where)
                elif kind != "CanFulfillIntentRequest":
                    self.assertIsNone(text, where)


class ModelTest(unittest.TestCase):

    SAMPLE = re.compile(r"^(?:[a-z' .]+|\{[A-Za-z_]+\})(?: (?:[a-z' .]+|\{[A-Za-z_]+\}))*$")

    def check_model(self, name):
        with open(os.path.join(SKILLS_DIR, name, "model.json"), encoding="utf-8") as f:
            model = json.load(f)
        language = model["interactionModel"]["languageModel"]
        invocation = language["invocationName"]
        self.assertEqual(invocation, invocation.lower())
        self.assertGreaterEqual(len(invocation.split()), 2)
        names = [i["name"] for i in language["intents"]]
        for required in ("AMAZON.HelpIntent", "AMAZON.StopIntent", "AMAZON.CancelIntent",
                         "AMAZON.NavigateHomeIntent", "AMAZON.FallbackIntent"):
            self.assertIn(required, names, name)
        seen = set()
        for entry in language["intents"]:
            if not entry["name"].startswith("AMAZON."):
                self.assertRegex(entry["name"], r"^[A-Za-z_]+$")
            slots = {s["name"] for s in entry.get("slots", [])}
            for sample in entry.get("samples", []):
                self.assertRegex(sample, self.SAMPLE, f"{name}: {sample!r}")
                self.assertNotIn(sample, seen, f"{name}: duplicate {sample!r}")
                seen.add(sample)
                for ref in re.findall(r"\{(\w+)\}", sample):
                    self.assertIn(ref, slots, f"{name}: {sample!r}")
        return language

    def test_models(self):
        language = self.check_model("thank_you")
        self.assertEqual(language["invocationName"], "thank you")
        thanks = next(i for i in language["intents"] if i["name"] == "ThankYouIntent")
        self.assertEqual(thanks["slots"], [{"name": "name", "type": "AMAZON.FirstName"}])
        for sample in ("thank you", "thanks", "thank you {name}", "thanks {name}",
                       "my name is {name}"):
            self.assertIn(sample, thanks["samples"])
        self.check_model("lambda_hello")
        language = self.check_model("counter")
        self.assertIn("NextIntent", [i["name"] for i in language["intents"]])


if __name__ == "__main__":
    unittest.main()
