"""The skill's handlers against the intents of its interaction model
(skillkit/_model_check.py), as the runner's load() reports them.

Run: python3 tests/taprun.py tests/unit/worker/test_skillkit_model.py
(SOURCE_ROOT may name the repository; otherwise it is found from this file.)
"""
import json
import os
import unittest

from skillkit_support import SOURCE_ROOT, RunnerCase, _runner


class ModelCheckTest(RunnerCase):
    """load()'s warnings about the model, each with the JSON path it is about."""

    def test_model_json_typos_and_missing_handlers_warn(self):
        model = {"interactionModel": {"languageModel": {"invocationName": "thank you",
                 "intents": [{"name": "ThankYouIntent", "samples": ["thanks"]},
                             {"name": "GoodbyeIntent", "samples": ["bye"]},
                             {"name": "AMAZON.StopIntent", "samples": []}]}}}
        result, _ = self.load("""
            from skillkit import launch, intent
            @launch
            def hi(req): return "hi"
            @intent("ThankyouIntent")
            def thanks(req): return "welcome"
            """, name="typo", model=model)
        self.assertLoaded(result)
        warnings = " | ".join(result["warnings"])
        self.assertIn("ThankyouIntent", warnings)
        self.assertIn("did you mean ThankYouIntent", warnings)
        self.assertIn("GoodbyeIntent", warnings)

    @staticmethod
    def coffee_model():
        """tests/data/models/coffee.json, the ASK model both model tests load."""
        with open(os.path.join(SOURCE_ROOT, "tests", "data", "models", "coffee.json"),
                  encoding="utf-8") as f:
            return json.load(f)

    def model_warnings(self, result):
        """{text: path} of the warnings about the model, which carry their JSON path."""
        self.assertLoaded(result)
        self.assertEqual(len(result["model_paths"]), len(result["warnings"]))
        return {w: p for w, p in zip(result["warnings"], result["model_paths"]) if p}

    def test_model_warnings_name_their_json_path(self):
        coffee = self.coffee_model()
        result, _ = self.load("""
            from skillkit import intent, launch, on, session_ended, stop
            @launch
            def hi(req): return "hi"
            @intent("OrderIntnet")
            def order(req): return "ordered"
            @intent("CountIntent")
            def count(req): return "counted"
            @intent("AMAZON.YesIntent")
            def yes(req): return "yes"
            @session_ended
            def ended(req): return None
            @on("AudioPlayer.PlaybackStarted", "CanFulfillIntentRequest")
            def other(req): return None
            @stop
            def bye(req): return "bye"
            """, name="coffee", model=coffee)
        found = self.model_warnings(result)
        lm = "interactionModel.languageModel."
        expected = {
            "skill.py has a handler for OrderIntnet, but model.json has no intent with that "
            "name, so Alexa never sends it. Did you mean OrderIntent? Check the spelling in "
            "@intent(...)": lm + "intents",
            "skill.py answers AMAZON.YesIntent, but model.json does not list it, so Alexa "
            "never sends it: add {\"name\": \"AMAZON.YesIntent\", \"samples\": []}": lm + "intents",
            "no function in skill.py answers OrderIntent: put @intent(\"OrderIntent\") above "
            "one (skill.py has @intent(\"OrderIntnet\"): did you mean OrderIntent?)":
                lm + "intents[0].name",
            "no function in skill.py answers BirthdayIntent: put @intent(\"BirthdayIntent\") "
            "above one": lm + "intents[2].name",
        }
        for text, path in expected.items():
            self.assertEqual(found.get(text), path, text)
        # Request types are not intents, and intents skillkit answers itself
        # (stop, help, ...) need no handler: the rest of coffee's intents do.
        self.assertEqual(len(found), 15, "\n".join(found))
        self.assertFalse(any("CountIntent" in w for w in found), found)
        self.assertFalse(any("HelpIntent" in w or "LaunchRequest" in w for w in found), found)

    def test_a_handler_for_every_intent_answers_the_whole_model(self):
        coffee = self.coffee_model()
        result, _ = self.load("""
            from skillkit import launch, on
            @launch
            def hi(req): return "hi"
            @on("IntentRequest")
            def every(req): return "yes"
            """, name="coffee", model=coffee)
        self.assertEqual(self.model_warnings(result), {})
        self.assertEqual(result["warnings"], [])

    def test_the_model_the_server_names_is_compared(self):
        model = {"interactionModel": {"languageModel": {"invocationName": "thank you",
                 "intents": [{"name": "GoodbyeIntent", "samples": ["bye"]}]}}}
        path = self.skills.make("named", """
            from skillkit import launch, intent
            @launch
            def hi(req): return "hi"
            @intent("ThankYouIntent")
            def thanks(req): return "welcome"
            """, model={"interactionModel": {"languageModel": {"intents": []}}})
        german = os.path.join(os.path.dirname(path), "models", "de-DE.json")
        os.makedirs(os.path.dirname(german))
        with open(german, "w", encoding="utf-8") as f:
            json.dump(model, f)
        with self.quiet():
            result = json.loads(_runner.load("named", path, True, None, german))
        found = self.model_warnings(result)
        self.assertIn("skill.py has a handler for ThankYouIntent, but de-DE.json has no intent "
                      "with that name, so Alexa never sends it: add the intent with samples, or "
                      "remove the handler", found)
        self.assertEqual(found.get("no function in skill.py answers GoodbyeIntent: put "
                                   "@intent(\"GoodbyeIntent\") above one"),
                         "interactionModel.languageModel.intents[0].name")
        # "" is the server's word for a skill without a model.
        with self.quiet():
            result = json.loads(_runner.load("named", path, True, None, ""))
        self.assertEqual(self.model_warnings(result), {})

    def test_a_model_that_cannot_be_read_is_a_warning_about_it(self):
        result, _ = self.load("""
            from skillkit import launch
            @launch
            def hi(req): return "hi"
            """, name="broken_model", model={"interactionModel": {}})
        found = self.model_warnings(result)
        self.assertEqual(len(found), 1, found)
        text, where = next(iter(found.items()))
        self.assertTrue(text.startswith("model.json cannot be read"), text)
        self.assertEqual(where, "interactionModel.languageModel.intents")


if __name__ == "__main__":
    unittest.main()
