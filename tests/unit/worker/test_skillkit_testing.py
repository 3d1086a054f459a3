"""skillkit.testing: the request builders, run() and its readers, and the
conversation that carries the session from turn to turn.

Run: python3 tests/taprun.py tests/unit/worker/test_skillkit_testing.py
(SOURCE_ROOT may name the repository; otherwise it is found from this file.)
"""
import os
import types
import unittest

from skillkit_support import RunnerCase, testing, Request


class TestingHelpersTest(RunnerCase):

    def test_request_builders(self):
        launch = testing.launch_request()
        self.assertEqual(launch["request"]["type"], "LaunchRequest")
        self.assertTrue(launch["session"]["new"])
        self.assertRegex(launch["request"]["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertNotEqual(launch["request"]["requestId"],
                            testing.launch_request()["request"]["requestId"])
        event = testing.intent_request("ThankYouIntent", name="Sam", other=None,
                                       slots={"locale": "de"}, locale="en-GB",
                                       dialog_state="STARTED")
        self.assertEqual(event["request"]["locale"], "en-GB")
        slots = event["request"]["intent"]["slots"]
        self.assertEqual(slots["name"], {"name": "name", "value": "Sam",
                                         "confirmationStatus": "NONE", "source": "USER"})
        self.assertEqual(slots["other"], {"name": "other", "confirmationStatus": "NONE"})
        self.assertEqual(slots["locale"]["value"], "de")
        self.assertEqual(event["request"]["dialogState"], "STARTED")
        self.assertFalse(event["session"]["new"])
        ended = testing.session_ended_request("ERROR", error_type="INVALID_RESPONSE",
                                              error_message="bad")
        self.assertEqual(ended["request"]["error"], {"type": "INVALID_RESPONSE",
                                                     "message": "bad"})
        audio = testing.request("AudioPlayer.PlaybackStarted", token="t",
                                offsetInMilliseconds=0)
        self.assertNotIn("session", audio)
        self.assertEqual(audio["request"]["token"], "t")
        self.assertNotIn("session", testing.can_fulfill_request("X", a="b"))
        matched = testing.slot("flattie", id="FLAT_WHITE", resolved="flat white", dynamic=True)
        req = Request(testing.intent_request("Order", drink=matched))
        self.assertEqual((req.slot_id("drink"), req.slot_resolved("drink")),
                         ("FLAT_WHITE", "flat white"))

    def test_run_accepts_path_folder_and_module(self):
        path = self.skills.make("runner", """
            from skillkit import launch
            @launch
            def hi(req): return "from run"
            """)
        for skill in (path, os.path.dirname(path)):
            with self.quiet():
                result = testing.run(skill, testing.launch_request())
            self.assertEqual(testing.speech(result), "from run")
        module = types.ModuleType("some_module")
        module.__file__ = path
        with self.quiet():
            self.assertEqual(testing.speech(testing.run(module, testing.launch_request())),
                             "from run")

    def test_readers_and_failures(self):
        path = self.skills.make("readers", """
            from skillkit import launch, intent, ask, Response, SimpleCard
            @launch
            def hi(req): return ask("Hi", "Again?")
            @intent("Card")
            def card(req): return Response("c", card=SimpleCard("T", "C"))
            @intent("Broken")
            def broken(req): return nothing_here
            """)
        with self.quiet():
            result = testing.run(path, testing.launch_request())
        self.assertEqual((testing.speech(result), testing.reprompt(result),
                          testing.ends_session(result)), ("Hi", "Again?", False))
        self.assertEqual(testing.session_attributes(result), {})
        with self.quiet():
            result = testing.run(path, testing.intent_request("Card"))
        self.assertEqual(testing.card(result)["title"], "T")
        with self.quiet():
            result = testing.run(path, testing.intent_request("Broken"))
        with self.assertRaisesRegex(AssertionError, "NameError"):
            testing.speech(result)
        broken = self.skills.make("unloadable", "def (:\n")
        with self.quiet():
            result = testing.run(broken, testing.launch_request())
        self.assertEqual(result["error"]["kind"], "load")

    def test_conversation_carries_session_and_persistent(self):
        path = self.skills.make("convo", """
            from skillkit import launch, intent, ask
            @launch
            def hi(req):
                req.persistent["visits"] = req.persistent.get("visits", 0) + 1
                return ask(f"visit {req.persistent['visits']}")
            @intent("Add")
            def add(req):
                req.session["n"] = req.session.get("n", 0) + 1
                return ask(str(req.session["n"]))
            @intent("Done")
            def done(req):
                return f"done at {req.session.get('n', 0)}"
            """)
        chat = testing.Conversation(path)
        with self.quiet():
            self.assertEqual(testing.speech(chat.launch()), "visit 1")
            self.assertTrue(chat.session_open)
            self.assertEqual(testing.speech(chat.intent("Add")), "1")
            self.assertEqual(testing.speech(chat.intent("Add")), "2")
            self.assertEqual(chat.session_attributes, {"n": 2})
            self.assertEqual(testing.speech(chat.intent("Done")), "done at 2")
            self.assertFalse(chat.session_open)
            self.assertEqual(testing.speech(chat.intent("Done")), "done at 0")
            self.assertEqual(testing.speech(chat.launch()), "visit 2")
            self.assertEqual(chat.persistent, {"visits": 2})
            chat.end()
            self.assertFalse(chat.session_open)


if __name__ == "__main__":
    unittest.main()
