"""Unit tests of the skillkit package and its runner, under plain python3.

Covers the runner contract with server/worker/python.c (load/handle JSON, every
ERROR kind with file and line, the soft deadline, persistent attributes),
the author's API (decorators, return forms, defaults, interceptors, the
request object), skillkit.testing, the log writer, and the bundled skills.

Run: python3 tests/taprun.py tests/unit/test_skillkit.py
(SOURCE_ROOT may name the repository; otherwise it is found from this file.)
"""
import contextlib
import glob
import io
import json
import logging
import os
import re
import shutil
import signal
import sys
import tempfile
import textwrap
import time
import types
import unittest

SOURCE_ROOT = os.environ.get("SOURCE_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
SERVER_DIR = os.path.join(SOURCE_ROOT, "server", "worker")
sys.dont_write_bytecode = True  # no __pycache__ in the skills folder
if SERVER_DIR not in sys.path:
    sys.path.insert(0, SERVER_DIR)

import skillkit  # noqa: E402
from skillkit import _diagnose, _output, _runner, testing  # noqa: E402
from skillkit.request import Request  # noqa: E402

# A deadline of 0.1-0.2 s that fires at all fires long before this, even on
# a loaded machine; the bound only catches one that never fires.
NEVER_S = 30

SKILLS_DIR = os.path.join(SOURCE_ROOT, "skills")
FIXTURES_DIR = os.path.join(SOURCE_ROOT, "tests", "fixtures", "requests")
BUNDLED = ("thank_you", "lambda_hello", "counter")


def fixture(name):
    with open(os.path.join(FIXTURES_DIR, name + ".json"), encoding="utf-8") as f:
        return json.load(f)


class SkillDir:
    """Skill folders written into a temporary directory."""

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="skillkit-test-")

    def make(self, name, source, files=None, model=None, manifest=None):
        folder = os.path.join(self.root, name)
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, "skill.py")
        with open(path, "w", encoding="utf-8") as f:
            f.write(textwrap.dedent(source).lstrip("\n"))
        for filename, text in (files or {}).items():
            with open(os.path.join(folder, filename), "w", encoding="utf-8") as f:
                f.write(textwrap.dedent(text).lstrip("\n"))
        if model is not None:
            with open(os.path.join(folder, "model.json"), "w", encoding="utf-8") as f:
                json.dump(model, f)
        if manifest is not None:
            with open(os.path.join(folder, "skill.json"), "w", encoding="utf-8") as f:
                json.dump(manifest, f)
        return path

    def cleanup(self):
        shutil.rmtree(self.root, ignore_errors=True)


class RunnerCase(unittest.TestCase):
    """Base: a temporary skills folder and quiet runner calls."""

    def setUp(self):
        # A fresh folder per test: a skill.py rewritten within the same second
        # could otherwise meet its own stale bytecode.
        self.skills = SkillDir()
        self.addCleanup(self.skills.cleanup)
        self.out = io.StringIO()
        self.err = io.StringIO()

    def quiet(self):
        stack = contextlib.ExitStack()
        stack.enter_context(contextlib.redirect_stdout(self.out))
        stack.enter_context(contextlib.redirect_stderr(self.err))
        return stack

    def load(self, source, name="thank_you", dev=True, **extra):
        path = self.skills.make(name, source, **extra)
        with self.quiet():
            text = _runner.load(name, path, dev)
        self.assertIsInstance(text, str)
        return json.loads(text), path

    def handle(self, event, attributes=None, soft_ms=0):
        message = json.dumps({"event": event, "attributes": attributes, "soft_ms": soft_ms})
        with self.quiet():
            text = _runner.handle(message)
        self.assertIsInstance(text, str)
        return json.loads(text)

    def reply(self, event, attributes=None, soft_ms=0):
        result = self.handle(event, attributes, soft_ms)
        self.assertTrue(result["ok"], result.get("error"))
        return result["reply"]

    def error(self, event, attributes=None, soft_ms=0):
        result = self.handle(event, attributes, soft_ms)
        self.assertFalse(result["ok"], result)
        self.assertEqual(set(result["error"]), {"kind", "type", "message", "file", "line",
                                                "function", "traceback", "spoken"})
        return result["error"]

    def assertLoaded(self, result):
        self.assertTrue(result["ok"], result.get("error"))


def intent(intent_name="ThankYouIntent", /, **slots):
    return testing.intent_request(intent_name, **slots)


# ---------------------------------------------------------------------------

class LoadTest(RunnerCase):

    def test_load_ok_lists_style_and_handlers(self):
        result, _ = self.load("""
            from skillkit import launch, intent, ask, session_ended, on, help
            @launch
            def welcome(req):
                return ask("Welcome! Say thank you.")
            @intent("ThankYouIntent", "ThanksIntent")
            def thanks(req):
                return "You're welcome!"
            @help
            def helping(req):
                return "Say thanks."
            @on("AudioPlayer.PlaybackStarted")
            def started(req):
                return None
            @session_ended
            def ended(req):
                pass
            """)
        self.assertLoaded(result)
        self.assertEqual(result["style"], "skillkit")
        self.assertEqual(result["handlers"], ["LaunchRequest", "ThankYouIntent", "ThanksIntent",
                                              "AMAZON.HelpIntent", "AudioPlayer.PlaybackStarted",
                                              "SessionEndedRequest"])
        self.assertEqual(result["warnings"], [])

    def test_syntax_error_names_file_and_line(self):
        result, path = self.load("""
            from skillkit import launch

            @launch
            def welcome(req)
                return "hi"
            """)
        self.assertFalse(result["ok"])
        error = result["error"]
        self.assertEqual(error["kind"], "load")
        self.assertEqual(error["type"], "SyntaxError")
        self.assertEqual(error["file"], path)
        self.assertEqual(error["line"], 4)
        self.assertIn("line 4", error["spoken"])
        self.assertIn("SyntaxError", error["spoken"])
        self.assertIn("def welcome(req)", error["traceback"])
        self.assertNotIn("importlib", error["traceback"])
        # A request to a skill that did not load gets the load error again.
        self.assertEqual(self.error(intent()), error)

    def test_indentation_error_uses_an(self):
        result, _ = self.load("""
            from skillkit import launch
            @launch
            def welcome(req):
            return "hi"
            """)
        self.assertEqual(result["error"]["type"], "IndentationError")
        self.assertTrue(result["error"]["spoken"].startswith("There is an IndentationError"),
                        result["error"]["spoken"])

    def test_import_error_names_module_and_line(self):
        result, path = self.load("""
            from skillkit import launch
            import reqests
            """)
        error = result["error"]
        self.assertEqual((error["kind"], error["type"]), ("load", "ModuleNotFoundError"))
        self.assertEqual((error["file"], error["line"]), (path, 2))
        self.assertIn("reqests", error["spoken"])
        self.assertIn("line 2", error["spoken"])

    def test_name_error_at_import(self):
        result, path = self.load("""
            from skillkit import launch

            greeting = "Hello, " + nme
            """)
        error = result["error"]
        self.assertEqual((error["kind"], error["type"], error["line"]), ("load", "NameError", 3))
        self.assertEqual(error["file"], path)
        self.assertIsNone(error["function"])
        self.assertEqual(error["spoken"],
                         "There is a NameError in thank_you, line 3: name 'nme' is not defined. "
                         "Check the spelling of nme, or give it a value before this line.")

    def test_error_in_sibling_module_names_that_file(self):
        result, _ = self.load("""
            import helpers
            """, name="sibling", files={"helpers.py": """
            x = 1
            y = 1 / 0
            """})
        error = result["error"]
        self.assertEqual(error["type"], "ZeroDivisionError")
        self.assertEqual(os.path.basename(error["file"]), "helpers.py")
        self.assertEqual(error["line"], 2)
        self.assertIn("file helpers.py, line 2", error["spoken"])

    def test_no_handlers_says_what_to_write(self):
        result, path = self.load("""
            import json
            def welcome(req):
                return "hi"
            """)
        error = result["error"]
        self.assertEqual(error["kind"], "load")
        self.assertEqual(error["file"], path)
        self.assertIn("@launch", error["message"])
        self.assertIn("lambda_handler(event, context)", error["message"])
        self.assertIn("lambda_handler", error["spoken"])

    def test_lambda_handler_that_is_not_a_function(self):
        result, _ = self.load("lambda_handler = 5\n")
        self.assertIn("lambda_handler", result["error"]["message"])
        self.assertIn("int", result["error"]["message"])

    def test_only_interceptors_is_no_handler(self):
        result, _ = self.load("""
            from skillkit import before
            @before
            def log(req):
                pass
            """)
        self.assertFalse(result["ok"])
        self.assertIn("no handler", result["error"]["message"])

    def test_missing_file(self):
        with self.quiet():
            result = json.loads(_runner.load("ghost", os.path.join(self.skills.root, "ghost",
                                                                   "skill.py"), True))
        self.assertFalse(result["ok"])
        self.assertEqual(result["error"]["type"], "FileNotFoundError")
        self.assertIn("skills/ghost/skill.py", result["error"]["spoken"])

    def test_duplicate_handlers_name_both_functions_and_lines(self):
        result, path = self.load("""
            from skillkit import intent

            @intent("ThankYouIntent")
            def thanks(req):
                return "a"

            @intent("ThanksIntent", "ThankYouIntent")
            def thanks_again(req):
                return "b"
            """)
        error = result["error"]
        self.assertEqual((error["kind"], error["type"]), ("load", "SkillDefinitionError"))
        self.assertEqual(error["file"], path)
        for part in ("ThankYouIntent", "thanks (line 4)", "thanks_again (line 8)"):
            self.assertIn(part, error["message"])
            self.assertIn(part, error["spoken"])
        self.assertIn(error["line"], (7, 8))

    def test_same_function_twice_is_not_a_duplicate(self):
        result, _ = self.load("""
            from skillkit import stop, cancel, intent
            @stop
            @cancel
            @intent("AMAZON.StopIntent")
            def bye(req):
                return "Bye"
            """)
        self.assertLoaded(result)

    def test_duplicate_stop_via_sugar_and_intent(self):
        result, _ = self.load("""
            from skillkit import stop, intent
            @stop
            def bye(req):
                return "Bye"
            @intent("AMAZON.StopIntent")
            def bye2(req):
                return "Bye"
            """)
        self.assertIn("AMAZON.StopIntent", result["error"]["message"])

    def test_two_error_handlers(self):
        result, _ = self.load("""
            from skillkit import error, launch
            @launch
            def hi(req): return "hi"
            @error
            def one(req, exc): return "1"
            @error
            def two(req, exc): return "2"
            """)
        self.assertIn("two @error handlers", result["error"]["message"])

    def test_intent_without_a_name(self):
        result, _ = self.load("""
            from skillkit import intent

            @intent
            def thanks(req):
                return "hi"
            """)
        error = result["error"]
        self.assertEqual(error["type"], "SkillDefinitionError")
        self.assertIn('@intent("ThankYouIntent")', error["message"])
        self.assertIn(error["line"], (3, 4))

    def test_launch_with_a_name_in_brackets(self):
        result, _ = self.load("""
            from skillkit import launch
            @launch("Hello")
            def hi(req): return "hi"
            """)
        self.assertEqual(result["error"]["type"], "SkillDefinitionError")

    def test_handler_needing_two_arguments(self):
        result, _ = self.load("""
            from skillkit import intent

            @intent("ThankYouIntent")
            def thanks(req, name):
                return name
            """)
        error = result["error"]
        self.assertEqual(error["type"], "SkillDefinitionError")
        self.assertIn("needs 2 arguments", error["message"])

    def test_module_level_loop_is_interrupted(self):
        saved = _runner.LOAD_SOFT_SECONDS
        _runner.LOAD_SOFT_SECONDS = 0.2
        try:
            start = time.monotonic()
            result, path = self.load("""
                from skillkit import launch
                n = 0
                while True:
                    n += 1
                """)
        finally:
            _runner.LOAD_SOFT_SECONDS = saved
        self.assertLess(time.monotonic() - start, NEVER_S)
        error = result["error"]
        self.assertEqual((error["kind"], error["type"]), ("load", "DeadlineExceeded"))
        self.assertIn(error["line"], (3, 4))
        self.assertIn("took too long to load", error["spoken"])
        self.assertEqual(signal.getitimer(signal.ITIMER_REAL), (0.0, 0.0))

    def test_skill_called_json_does_not_shadow_the_stdlib(self):
        result, path = self.load("""
            import json
            from skillkit import launch
            @launch
            def hi(req):
                return json.dumps({"a": 1})
            """, name="json")
        self.assertLoaded(result)
        self.assertIs(sys.modules["json"], json)
        self.assertIn("_skill_json", sys.modules)
        self.assertEqual(self.reply(testing.launch_request())["speech"], [{"text": '{"a": 1}'}])

    def test_siblings_import_and_do_not_leak_between_skills(self):
        first, _ = self.load("""
            from skillkit import launch
            import words
            @launch
            def hi(req):
                return words.GREETING
            """, name="first", files={"words.py": "GREETING = 'one'\n"})
        self.assertLoaded(first)
        self.assertEqual(self.reply(testing.launch_request())["speech"], [{"text": "one"}])
        second, _ = self.load("""
            from skillkit import launch, intent
            import words
            @intent("OtherIntent")
            def other(req):
                return words.GREETING
            """, name="second", files={"words.py": "GREETING = 'two'\n"})
        self.assertLoaded(second)
        self.assertEqual(second["handlers"], ["OtherIntent"])
        self.assertEqual(self.reply(intent("OtherIntent"))["speech"], [{"text": "two"}])
        self.assertNotIn("_skill_first", sys.modules)
        self.assertNotIn(os.path.join(self.skills.root, "first"), sys.path)

    def test_sibling_with_a_stdlib_name_warns(self):
        result, _ = self.load("""
            from skillkit import launch
            @launch
            def hi(req): return "hi"
            """, name="shadow", files={"random.py": "X = 1\n"})
        self.assertLoaded(result)
        self.assertTrue(any("random.py" in w for w in result["warnings"]), result["warnings"])

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

    def model_warnings(self, result):
        """{text: path} of the warnings about the model, which carry their JSON path."""
        self.assertLoaded(result)
        self.assertEqual(len(result["model_paths"]), len(result["warnings"]))
        return {w: p for w, p in zip(result["warnings"], result["model_paths"]) if p}

    def test_model_warnings_name_their_json_path(self):
        with open(os.path.join(SOURCE_ROOT, "tests", "data", "models", "coffee.json"),
                  encoding="utf-8") as f:
            coffee = json.load(f)
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
        with open(os.path.join(SOURCE_ROOT, "tests", "data", "models", "coffee.json"),
                  encoding="utf-8") as f:
            coffee = json.load(f)
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

    def test_missing_launch_warns(self):
        result, _ = self.load("""
            from skillkit import intent
            @intent("ThankYouIntent")
            def thanks(req): return "welcome"
            """)
        self.assertTrue(any("@launch" in w for w in result["warnings"]))

    def test_lambda_handler_beside_skillkit_handlers_warns(self):
        result, _ = self.load("""
            from skillkit import launch
            @launch
            def hi(req): return "hi"
            def lambda_handler(event, context):
                return {}
            """)
        self.assertEqual(result["style"], "skillkit")
        self.assertTrue(any("lambda_handler is not used" in w for w in result["warnings"]))

    def test_decorators_outside_a_load_return_the_function(self):
        def welcome(req):
            return "hi"
        self.assertIs(skillkit.launch(welcome), welcome)
        self.assertIs(skillkit.intent("X")(welcome), welcome)
        self.assertIs(skillkit.error(welcome), welcome)
        self.assertIs(skillkit.on("X")(welcome), welcome)

    def test_registries_are_per_load(self):
        self.load("""
            from skillkit import launch, intent
            @launch
            def hi(req): return "hi"
            @intent("A")
            def a(req): return "a"
            """, name="reg_a")
        result, _ = self.load("""
            from skillkit import intent
            @intent("B")
            def b(req): return "b"
            """, name="reg_b")
        self.assertEqual(result["handlers"], ["B"])
        # A's launch handler is gone: the default welcome answers.
        reply = self.reply(testing.launch_request())
        self.assertEqual(reply["speech"], [{"text": "Welcome! What would you like to do?"}])

    def test_handler_without_parameters(self):
        result, _ = self.load("""
            from skillkit import launch, error, after
            @launch
            def hi():
                return "hi"
            """)
        self.assertLoaded(result)
        self.assertEqual(self.reply(testing.launch_request())["speech"], [{"text": "hi"}])

    def test_load_never_raises_on_odd_arguments(self):
        with self.quiet():
            text = _runner.load(None, "", 0)
        result = json.loads(text)
        self.assertFalse(result["ok"])


# ---------------------------------------------------------------------------

class ReturnFormsTest(RunnerCase):

    def skill(self, body, name="forms"):
        result, path = self.load("from skillkit import *\n" + textwrap.dedent(body), name=name)
        self.assertLoaded(result)
        return path

    def test_string_speaks_and_ends(self):
        self.skill("""
            @intent("ThankYouIntent")
            def thanks(req):
                return f"You're welcome, {req.slot('name') or 'friend'}!"
            """)
        reply = self.reply(intent(name="Sam"))
        self.assertEqual(reply, {"kind": "reply", "speech": [{"text": "You're welcome, Sam!"}],
                                 "shouldEndSession": True, "sessionAttributes": {}})
        self.assertEqual(self.reply(intent())["speech"], [{"text": "You're welcome, friend!"}])

    def test_ssml_value(self):
        self.skill("""
            @launch
            def hi(req):
                return SSML('<say-as interpret-as="interjection">wow</say-as>')
            """)
        reply = self.reply(testing.launch_request())
        self.assertEqual(reply["speech"],
                         [{"ssml": '<say-as interpret-as="interjection">wow</say-as>'}])
        self.assertIs(reply["shouldEndSession"], True)

    def test_str_plus_ssml_escapes_the_str(self):
        self.skill("""
            @launch
            def hi(req):
                return "Tom & Jerry " + SSML('<break time="1s"/>')
            """)
        speech = self.reply(testing.launch_request())["speech"]
        self.assertEqual(speech, [{"ssml": 'Tom &amp; Jerry <break time="1s"/>'}])

    def test_list_speech_is_said_in_order_with_spaces(self):
        self.skill("""
            @launch
            def hi(req):
                return Response(["Hello.", "How are you?", SSML("<break/>"), "Bye.", " ok"])
            """)
        speech = self.reply(testing.launch_request())["speech"]
        self.assertEqual(speech, [{"text": "Hello. How are you? "}, {"ssml": "<break/>"},
                                  {"text": " Bye. ok"}])

    def test_ask_keeps_listening_and_reprompts_with_the_speech(self):
        self.skill("""
            @launch
            def hi(req):
                return ask("Welcome! Say thank you.")
            @intent("A")
            def a(req):
                return ask("Pick a number.", "Which number?")
            """)
        reply = self.reply(testing.launch_request())
        self.assertEqual(reply["speech"], [{"text": "Welcome! Say thank you."}])
        self.assertEqual(reply["reprompt"], [{"text": "Welcome! Say thank you."}])
        self.assertIs(reply["shouldEndSession"], False)
        reply = self.reply(intent("A"))
        self.assertEqual(reply["reprompt"], [{"text": "Which number?"}])

    def test_tell_ends(self):
        self.skill("""
            @launch
            def hi(req):
                return tell(["Bye", "now."])
            """)
        reply = self.reply(testing.launch_request())
        self.assertEqual(reply["speech"], [{"text": "Bye now."}])
        self.assertIs(reply["shouldEndSession"], True)

    def test_response_with_every_member(self):
        self.skill("""
            @intent("Simple")
            def simple(req):
                return Response("Hi", card=SimpleCard("Title", "Body"), play_behavior="ENQUEUE",
                                directives=[{"type": "Dialog.UpdateDynamicEntities",
                                             "updateBehavior": "CLEAR"}])
            @intent("Standard")
            def standard(req):
                return Response("Hi", card=StandardCard("T", "Text", "https://x/s.png",
                                                        "https://x/l.png"), end_session=False)
            @intent("Link")
            def link(req):
                return Response("Link please", card=LinkAccountCard(), end_session=None)
            @intent("Perm")
            def perm(req):
                return Response("Address?", card=PermissionsCard(
                    ["read::alexa:device:all:address"]), end_session=ABSENT)
            @intent("Attrs")
            def attrs(req):
                req.session["ignored"] = True
                return Response("Hi", session_attributes={"turn": 3})
            """)
        reply = self.reply(intent("Simple"))
        self.assertEqual(reply["card"], {"type": "Simple", "title": "Title", "content": "Body"})
        self.assertEqual(reply["playBehavior"], "ENQUEUE")
        self.assertEqual(reply["directives"][0]["type"], "Dialog.UpdateDynamicEntities")
        self.assertIs(reply["shouldEndSession"], True)
        reply = self.reply(intent("Standard"))
        self.assertEqual(reply["card"], {"type": "Standard", "title": "T", "text": "Text",
                                         "image": {"smallImageUrl": "https://x/s.png",
                                                   "largeImageUrl": "https://x/l.png"}})
        self.assertIs(reply["shouldEndSession"], False)
        reply = self.reply(intent("Link"))
        self.assertEqual(reply["card"], {"type": "LinkAccount"})
        self.assertIn("shouldEndSession", reply)
        self.assertIsNone(reply["shouldEndSession"])
        reply = self.reply(intent("Perm"))
        self.assertEqual(reply["card"], {"type": "AskForPermissionsConsent",
                                         "permissions": ["read::alexa:device:all:address"]})
        self.assertNotIn("shouldEndSession", reply)
        self.assertEqual(self.reply(intent("Attrs"))["sessionAttributes"], {"turn": 3})

    def test_fluent_response(self):
        self.skill("""
            @launch
            def hi(req):
                return (Response().speak("Pick a number.").speak(SSML("<break/>"))
                        .ask("Which number?").set_card(SimpleCard("Pick", "a number"))
                        .add_directive({"type": "Hint"}))
            """)
        reply = self.reply(testing.launch_request())
        self.assertEqual(reply["speech"], [{"text": "Pick a number. "}, {"ssml": "<break/>"}])
        self.assertEqual(reply["reprompt"], [{"text": "Which number?"}])
        self.assertIs(reply["shouldEndSession"], False)
        self.assertEqual(reply["directives"], [{"type": "Hint"}])

    def test_envelope_dict_passes_through(self):
        self.skill("""
            @launch
            def hi(req):
                return {"version": "1.0", "response": {"outputSpeech": {
                    "type": "PlainText", "text": "raw"}, "shouldEndSession": True}}
            """)
        reply = self.reply(testing.launch_request())
        self.assertEqual(reply["kind"], "envelope")
        self.assertEqual(reply["envelope"]["response"]["outputSpeech"]["text"], "raw")

    def test_sessionless_request_gets_no_session_members(self):
        self.skill("""
            @on("AudioPlayer.PlaybackNearlyFinished")
            def more(req):
                return Response(directives=[{"type": "AudioPlayer.ClearQueue",
                                             "clearBehavior": "CLEAR_ENQUEUED"}])
            """)
        reply = self.reply(fixture("audio_playback_nearly_finished"))
        self.assertEqual(reply, {"kind": "reply", "directives": [
            {"type": "AudioPlayer.ClearQueue", "clearBehavior": "CLEAR_ENQUEUED"}]})

    def test_video_launch_leaves_end_session_out_and_dialog_keeps_it_open(self):
        self.skill("""
            @intent("Video")
            def video(req):
                return Response(directives=[{"type": "VideoApp.Launch",
                                             "videoItem": {"source": "https://x/v.mp4"}}])
            @intent("Dialog")
            def dialog(req):
                return Response(directives=[{"type": "Dialog.Delegate"}])
            """)
        self.assertNotIn("shouldEndSession", self.reply(intent("Video")))
        self.assertIs(self.reply(intent("Dialog"))["shouldEndSession"], False)

    def test_can_fulfill_answer(self):
        self.skill("""
            @on("CanFulfillIntentRequest")
            def probe(req):
                return Response(can_fulfill="MAYBE")
            """)
        reply = self.reply(fixture("can_fulfill_intent"))
        self.assertEqual(reply["canFulfillIntent"], {"canFulfill": "MAYBE"})
        self.assertNotIn("shouldEndSession", reply)

    def test_async_handler(self):
        self.skill("""
            @launch
            async def hi(req):
                return "async hello"
            """)
        self.assertEqual(self.reply(testing.launch_request())["speech"],
                         [{"text": "async hello"}])

    def test_empty_string_is_silence(self):
        self.skill("""
            @launch
            def hi(req):
                return ""
            """)
        reply = self.reply(testing.launch_request())
        self.assertNotIn("speech", reply)
        self.assertIs(reply["shouldEndSession"], True)

    def test_unicode_speech(self):
        self.skill("""
            @launch
            def hi(req):
                return "Grüß dich, Zoë 👋"
            """)
        self.assertEqual(self.reply(testing.launch_request())["speech"],
                         [{"text": "Grüß dich, Zoë 👋"}])


# ---------------------------------------------------------------------------

class ChildMistakesTest(RunnerCase):
    """The mistakes children make most get a sentence that says what to change."""

    def test_misspelt_intent_in_a_decorator_is_spoken_in_dev(self):
        source = """
            from skillkit import fallback, intent
            @intent("ThankyouIntent")
            def thanks(req):
                return "You're welcome!"
            @fallback
            def other(req):
                return "I only know thank you."
            """
        self.load(source, dev=True)
        reply = self.reply(intent("ThankYouIntent"))
        self.assertEqual(reply["speech"], [{"text": (
            "thank_you has no function for ThankYouIntent. The function thanks on line 3 is for "
            "ThankyouIntent: check the spelling, it must be ThankYouIntent, with a capital Y.")}])
        self.assertIn("has no function for ThankYouIntent", self.err.getvalue())
        # Without --dev the skill's own fallback answers, as on Alexa.
        self.load(source, dev=False)
        self.assertEqual(self.reply(intent("ThankYouIntent"))["speech"],
                         [{"text": "I only know thank you."}])
        # An intent with no look-alike is not a misspelling.
        self.load(source, dev=True)
        self.assertEqual(self.reply(intent("GoodbyeIntent"))["speech"],
                         [{"text": "I only know thank you."}])

    def test_hints_for_common_exceptions(self):
        self.load("""
            from skillkit import intent
            @intent("Shout")
            def shout(req):
                name = req.slot("name")
                return "Hello " + name.upper()
            @intent("Age")
            def age(req):
                years = 10
                return "You are " + years
            @intent("Typo")
            def typo(req):
                name = "Sam"
                return "Hi " + nam
            @intent("Count")
            def count(req):
                return str(req.session["count"])
            """)
        cases = {
            "Shout": ("AttributeError", "a slot nobody said is None, so check it with if"),
            "Age": ("TypeError", "To put a number into words, write str(number)."),
            "Typo": ("NameError", "Did you mean name?"),
            "Count": ("KeyError", "use .get(key, default)"),
        }
        for name, (type_, hint) in cases.items():
            with self.subTest(intent=name):
                error = self.error(intent(name))
                self.assertEqual(error["type"], type_)
                self.assertIn(hint, error["spoken"])
                self.assertTrue(error["spoken"].startswith(f"There is {_diagnose.article(type_)} "
                                                           f"{type_} in thank_you, line "))

    def test_returning_a_number_says_how_to_make_words(self):
        self.load("""
            from skillkit import intent
            @intent("Add")
            def add(req):
                return 2 + 3
            """)
        error = self.error(intent("Add"))
        self.assertEqual(error["spoken"], "The function add in thank_you, line 3, returned the "
                                          "number 5. Alexa can only say words: make it words "
                                          "with str, like: return str(5).")


class ErrorTest(RunnerCase):

    def test_raised_error_names_file_line_function(self):
        result, path = self.load("""
            from skillkit import intent

            @intent("ThankYouIntent")
            def thank_you(req):
                return "Hi " + nme
            """)
        self.assertLoaded(result)
        error = self.error(intent())
        self.assertEqual((error["kind"], error["type"]), ("raised", "NameError"))
        self.assertEqual((error["file"], error["line"], error["function"]),
                         (path, 5, "thank_you"))
        self.assertEqual(error["message"], "name 'nme' is not defined")
        self.assertEqual(error["spoken"],
                         "There is a NameError in thank_you, line 5: name 'nme' is not defined. "
                         "Check the spelling of nme, or give it a value before this line.")
        self.assertIn('return "Hi " + nme', error["traceback"])
        self.assertNotIn("_runner.py", error["traceback"])

    def test_error_in_sibling_at_request_time(self):
        result, _ = self.load("""
            from skillkit import launch
            import maths
            @launch
            def hi(req):
                return maths.half(None)
            """, name="sib2", files={"maths.py": """
            def half(x):
                return x / 2
            """})
        self.assertLoaded(result)
        error = self.error(testing.launch_request())
        self.assertEqual(os.path.basename(error["file"]), "maths.py")
        self.assertEqual((error["line"], error["function"]), (2, "half"))
        self.assertIn("file maths.py, line 2", error["spoken"])

    def test_result_none_names_the_handler(self):
        result, path = self.load("""
            from skillkit import intent

            @intent("ThankYouIntent")
            def thanks(req):
                words = "You're welcome!"
            """)
        error = self.error(intent())
        self.assertEqual(error["kind"], "result")
        self.assertEqual((error["file"], error["line"], error["function"]), (path, 4, "thanks"))
        self.assertEqual(error["spoken"], "The function thanks in thank_you, line 4, returned "
                                          "nothing. Add a return line with the words for Alexa "
                                          "to say, like: return \"Hello!\".")
        self.assertIn("None", error["message"])

    def test_result_other_values(self):
        self.load("""
            from skillkit import intent
            @intent("Number")
            def number(req): return 42
            @intent("List")
            def a_list(req): return ["a", "b"]
            @intent("Tuple")
            def a_tuple(req): return "Hi",
            @intent("Dict")
            def a_dict(req): return {"speech": "hi"}
            @intent("Bool")
            def a_bool(req): return True
            @intent("Object")
            def an_object(req): return object()
            """)
        cases = {"Number": "the number 42", "List": "a list", "Tuple": "a tuple",
                 "Dict": "a dictionary without a response", "Bool": "True",
                 "Object": "an object"}
        for name, words in cases.items():
            error = self.error(intent(name))
            self.assertEqual(error["kind"], "result", name)
            self.assertIn(f"returned {words}.", error["spoken"])
        self.assertIn("comma", self.error(intent("Tuple"))["message"])

    def test_wrong_argument_type_points_at_the_skill_line(self):
        _, path = self.load("""
            from skillkit import launch, ask

            @launch
            def hi(req):
                return ask(5)
            """)
        error = self.error(testing.launch_request())
        self.assertEqual((error["kind"], error["type"]), ("raised", "TypeError"))
        self.assertEqual((error["file"], error["line"]), (path, 5))
        self.assertIn("the number 5", error["message"])
        self.assertNotIn("response.py", error["traceback"])

    def test_system_exit_does_not_exit(self):
        self.load("""
            import sys
            from skillkit import launch
            @launch
            def hi(req):
                sys.exit(3)
            """)
        error = self.error(testing.launch_request())
        self.assertEqual((error["kind"], error["type"], error["line"]), ("raised", "SystemExit", 5))

    def test_unserialisable_directive(self):
        self.load("""
            from skillkit import launch, Response
            @launch
            def hi(req):
                return Response("hi", directives=[{"type": "X", "items": {1, 2}}])
            """)
        error = self.error(testing.launch_request())
        self.assertEqual(error["kind"], "result")
        self.assertIn("directives[0]['items']", error["message"])
        self.assertIn("a set", error["spoken"])

    def test_lone_surrogate_in_speech(self):
        self.load("""
            from skillkit import launch
            @launch
            def hi(req):
                return "broken \\ud800 text"
            """)
        error = self.error(testing.launch_request())
        self.assertEqual(error["kind"], "result")
        self.assertIn("the speech", error["message"])

    def test_handle_before_load_and_bad_messages(self):
        saved = _runner._skill
        _runner._skill = None
        try:
            with self.quiet():
                result = json.loads(_runner.handle("{}"))
            self.assertEqual(result["error"]["kind"], "load")
        finally:
            _runner._skill = saved
        self.load("""
            from skillkit import launch
            @launch
            def hi(req): return "hi"
            """)
        for message in ("not json", "[]", '{"event": 5}', "", '{"event": {}, "soft_ms": "x"}'):
            with self.quiet():
                text = _runner.handle(message)
            result = json.loads(text)
            if message.startswith('{"event": {}'):
                # An empty event is a request of no known type: the empty answer.
                self.assertTrue(result["ok"], result)
                continue
            self.assertFalse(result["ok"], message)
            self.assertEqual(result["error"]["kind"], "raised")
            self.assertTrue(result["error"]["spoken"])
        with self.quiet():
            self.assertFalse(json.loads(_runner.handle(None))["ok"])


class DeadlineTest(RunnerCase):

    def tearDown(self):
        self.assertEqual(signal.getitimer(signal.ITIMER_REAL), (0.0, 0.0))
        super().tearDown()

    def test_busy_loop_reports_the_running_line(self):
        _, path = self.load("""
            from skillkit import intent

            @intent("ThankYouIntent")
            def thanks(req):
                while True:
                    pass
            """)
        start = time.monotonic()
        error = self.error(intent(), soft_ms=200)
        self.assertLess(time.monotonic() - start, NEVER_S)
        self.assertEqual((error["kind"], error["type"]), ("timeout", "DeadlineExceeded"))
        self.assertEqual((error["file"], error["function"]), (path, "thanks"))
        self.assertIn(error["line"], (5, 6))
        self.assertEqual(error["spoken"], f"thank_you took too long: it was still running line "
                                          f"{error['line']} after 0.2 seconds. Look for a loop "
                                          f"that never stops.")
        self.assertNotIn("_runner.py", error["traceback"])

    def test_except_exception_does_not_swallow_it(self):
        self.load("""
            from skillkit import intent

            @intent("ThankYouIntent")
            def thanks(req):
                n = 0
                while True:
                    try:
                        n += 1
                    except Exception:
                        return "swallowed"
            """)
        error = self.error(intent(), soft_ms=150)
        self.assertEqual(error["kind"], "timeout")
        self.assertIn(error["line"], (6, 7, 8))

    def test_error_handler_does_not_see_it_and_sleep_is_interrupted(self):
        self.load("""
            import time
            from skillkit import intent, error

            @intent("ThankYouIntent")
            def thanks(req):
                time.sleep(10)

            @error
            def oops(req, exc):
                return "handled"
            """)
        start = time.monotonic()
        error = self.error(intent(), soft_ms=100)
        self.assertLess(time.monotonic() - start, 8, "the 10 s sleep was not interrupted")
        self.assertEqual((error["kind"], error["line"]), ("timeout", 6))

    def test_timer_is_disarmed_after_a_fast_handler(self):
        self.load("""
            import time
            from skillkit import intent
            @intent("Fast")
            def fast(req): return "quick"
            @intent("Slow")
            def slow(req):
                time.sleep(0.3)
                return "slow but fine"
            """)
        self.assertEqual(self.reply(intent("Fast"), soft_ms=100)["speech"], [{"text": "quick"}])
        time.sleep(0.2)  # a stray SIGALRM would raise here
        # No deadline: a slow handler runs to the end.
        self.assertEqual(self.reply(intent("Slow"), soft_ms=0)["speech"],
                         [{"text": "slow but fine"}])

    def test_skill_recovers_after_a_timeout(self):
        self.load("""
            from skillkit import intent
            @intent("Loop")
            def loop(req):
                while True:
                    pass
            @intent("Ok")
            def ok(req): return "fine"
            """)
        self.assertEqual(self.error(intent("Loop"), soft_ms=100)["kind"], "timeout")
        self.assertEqual(self.reply(intent("Ok"), soft_ms=1000)["speech"], [{"text": "fine"}])

    def test_lambda_timeout(self):
        self.load("""
            def lambda_handler(event, context):
                while True:
                    pass
            """, name="lambda_loop")
        error = self.error(intent(), soft_ms=100)
        self.assertEqual((error["kind"], error["function"]), ("timeout", "lambda_handler"))


# ---------------------------------------------------------------------------

class AttributesTest(RunnerCase):

    def skill(self):
        self.load("""
            from skillkit import intent
            @intent("Read")
            def read(req):
                return str(req.persistent.get("best"))
            @intent("Bump")
            def bump(req):
                req.persistent["best"] = req.persistent.get("best", 0) + 1
                return "ok"
            @intent("Same")
            def same(req):
                req.persistent["best"] = req.persistent["best"]
                return "ok"
            @intent("Reorder")
            def reorder(req):
                req.persistent = dict(reversed(list(req.persistent.items())))
                return "ok"
            @intent("Nested")
            def nested(req):
                req.persistent.setdefault("scores", []).append(1)
                return "ok"
            @intent("Clear")
            def clear(req):
                req.persistent.clear()
                return "ok"
            @intent("Set")
            def bad_set(req):
                req.persistent["seen"] = {"a", "b"}
                return "ok"
            @intent("Nan")
            def bad_nan(req):
                req.persistent["x"] = float("nan")
                return "ok"
            @intent("Key")
            def bad_key(req):
                req.persistent[("a", 1)] = 1
                return "ok"
            @intent("Replace")
            def replace(req):
                req.persistent = 5
                return "ok"
            @intent("Session")
            def session(req):
                req.session["when"] = object()
                return "ok"
            """, name="attrs")

    def test_loaded_and_unchanged(self):
        self.skill()
        result = self.handle(intent("Read"), attributes={"best": 4})
        self.assertEqual(result["reply"]["speech"], [{"text": "4"}])
        self.assertIsNone(result["attributes"])
        self.assertIsNone(self.handle(intent("Read"))["attributes"])
        self.assertIsNone(self.handle(intent("Same"), attributes={"best": 4})["attributes"])
        self.assertIsNone(self.handle(intent("Reorder"),
                                      attributes={"a": 1, "b": {"c": 2, "d": 3}})["attributes"])

    def test_changes_are_returned(self):
        self.skill()
        self.assertEqual(self.handle(intent("Bump"))["attributes"], {"best": 1})
        self.assertEqual(self.handle(intent("Bump"), attributes={"best": 4, "x": "y"})
                         ["attributes"], {"best": 5, "x": "y"})
        self.assertEqual(self.handle(intent("Nested"), attributes={"scores": [3]})
                         ["attributes"], {"scores": [3, 1]})
        self.assertEqual(self.handle(intent("Clear"), attributes={"best": 4})["attributes"], {})

    def test_unsaveable_values_name_the_key(self):
        self.skill()
        error = self.error(intent("Set"))
        self.assertEqual((error["kind"], error["function"]), ("result", "bad_set"))
        self.assertIn("req.persistent['seen']", error["message"])
        self.assertIn("a set", error["spoken"])
        self.assertIn("req.persistent['x']", self.error(intent("Nan"))["message"])
        self.assertIn("key that is not a string", self.error(intent("Key"))["message"])
        self.assertIn("must stay a dict", self.error(intent("Replace"))["message"])
        error = self.error(intent("Session"))
        self.assertIn("req.session['when']", error["message"])

    def test_session_attributes_round_trip(self):
        self.load("""
            from skillkit import intent, ask
            @intent("Count")
            def count(req):
                req.session["n"] = req.session.get("n", 0) + 1
                return ask(str(req.session["n"]))
            """, name="sess")
        reply = self.reply(intent("Count"))
        self.assertEqual(reply["sessionAttributes"], {"n": 1})
        reply = self.reply(testing.intent_request("Count", session_attributes={"n": 4}))
        self.assertEqual(reply["sessionAttributes"], {"n": 5})
        self.assertEqual(reply["speech"], [{"text": "5"}])


# ---------------------------------------------------------------------------

class DefaultsTest(RunnerCase):

    def test_defaults_without_handlers(self):
        self.load("""
            from skillkit import intent
            @intent("OnlyIntent")
            def only(req): return "only"
            """, name="defaults")
        reply = self.reply(testing.launch_request())
        self.assertEqual(reply["speech"], [{"text": "Welcome! What would you like to do?"}])
        self.assertIs(reply["shouldEndSession"], False)
        for name in ("AMAZON.StopIntent", "AMAZON.CancelIntent"):
            reply = self.reply(intent(name))
            self.assertEqual(reply["speech"], [{"text": "Goodbye!"}])
            self.assertIs(reply["shouldEndSession"], True)
        reply = self.reply(intent("AMAZON.HelpIntent"))
        self.assertIn("stop", reply["speech"][0]["text"])
        self.assertIs(reply["shouldEndSession"], False)
        reply = self.reply(testing.session_ended_request())
        self.assertNotIn("speech", reply)
        self.assertNotIn("shouldEndSession", reply)
        for name in ("audio_playback_started", "playback_next", "skill_event_enabled",
                     "system_exception"):
            reply = self.reply(fixture(name))
            self.assertEqual(reply, {"kind": "reply"}, name)
        self.assertEqual(self.reply(fixture("can_fulfill_intent"))["canFulfillIntent"],
                         {"canFulfill": "NO"})
        self.assertEqual(self.reply(testing.can_fulfill_request("OnlyIntent"))
                         ["canFulfillIntent"], {"canFulfill": "YES"})

    def test_unknown_intent_default_warns_in_the_log(self):
        self.load("""
            from skillkit import launch
            @launch
            def hi(req): return "hi"
            """, name="unknown")
        reply = self.reply(intent("MysteryIntent"))
        self.assertIn("don't know how to do that yet", reply["speech"][0]["text"])
        self.assertIs(reply["shouldEndSession"], False)
        self.assertIn("MysteryIntent", self.err.getvalue())
        self.assertIn('@intent("MysteryIntent")', self.err.getvalue())
        self.err.truncate(0)
        self.reply(intent("AMAZON.FallbackIntent"))
        self.assertNotIn("warning", self.err.getvalue())
        # NavigateHome goes to the skill's own welcome.
        self.assertEqual(self.reply(intent("AMAZON.NavigateHomeIntent"))["speech"],
                         [{"text": "hi"}])

    def test_session_ended_error_goes_to_the_log(self):
        self.load("""
            from skillkit import launch
            @launch
            def hi(req): return "hi"
            """, name="ended")
        self.reply(fixture("session_ended_error"))
        self.assertIn("INVALID_RESPONSE", self.err.getvalue())

    def test_fallback_catches_unknown_intents_but_not_stop(self):
        self.load("""
            from skillkit import fallback, ask
            @fallback
            def fb(req): return ask(f"Fallback for {req.intent}")
            """, name="fb")
        self.assertEqual(self.reply(intent("MysteryIntent"))["speech"],
                         [{"text": "Fallback for MysteryIntent"}])
        self.assertEqual(self.err.getvalue(), "")
        self.assertEqual(self.reply(intent("AMAZON.StopIntent"))["speech"],
                         [{"text": "Goodbye!"}])

    def test_catch_all_intent_handler(self):
        self.load("""
            from skillkit import on, intent
            @on("IntentRequest")
            def any_intent(req): return f"any {req.intent}"
            @intent("Mine")
            def mine(req): return "mine"
            """, name="catchall")
        self.assertEqual(self.reply(intent("Mine"))["speech"], [{"text": "mine"}])
        self.assertEqual(self.reply(intent("AMAZON.StopIntent"))["speech"],
                         [{"text": "any AMAZON.StopIntent"}])

    def test_session_ended_handler_may_return_nothing(self):
        self.load("""
            from skillkit import session_ended, launch
            @launch
            def hi(req): return None
            @session_ended
            def bye(req):
                print("ended", req.reason)
            """, name="ended2")
        # No sessionAttributes: the session is over, there is nothing to keep them in.
        self.assertEqual(self.reply(testing.session_ended_request()), {"kind": "reply"})
        self.assertIn("ended USER_INITIATED", self.out.getvalue())
        # Elsewhere None is still a mistake.
        self.assertEqual(self.error(testing.launch_request())["kind"], "result")


class InterceptorTest(RunnerCase):

    def test_order_and_replacement(self):
        self.load("""
            from skillkit import before, after, intent, error, Response
            calls = []
            @before
            def first(req):
                calls.clear()
                calls.append("before1")
            @before
            def second(req):
                calls.append("before2")
                if req.intent == "Short":
                    return "short-circuit"
            @intent("Normal")
            def normal(req):
                calls.append("handler")
                return "normal"
            @intent("Short")
            def short(req):
                calls.append("handler")
                return "never"
            @intent("Boom")
            def boom(req):
                calls.append("handler")
                raise ValueError("boom")
            @error
            def oops(req, exc):
                calls.append(f"error:{type(exc).__name__}:{exc}")
                return "recovered"
            @after
            def keep(req, response):
                calls.append("after1")
            @after
            def add(req, response):
                calls.append("after2")
                assert isinstance(response, Response)
                return response.speak(" / ".join(calls))
            """, name="inter")
        self.assertEqual(self.reply(intent("Normal"))["speech"],
                         [{"text": "normal before1 / before2 / handler / after1 / after2"}])
        self.assertEqual(self.reply(intent("Short"))["speech"],
                         [{"text": "short-circuit before1 / before2 / after1 / after2"}])
        self.assertEqual(self.reply(intent("Boom"))["speech"], [{"text": (
            "recovered before1 / before2 / handler / error:ValueError:boom / after1 / after2")}])

    def test_error_in_before_goes_to_error_handler(self):
        self.load("""
            from skillkit import before, launch, error
            @before
            def check(req):
                raise KeyError("user")
            @launch
            def hi(req): return "hi"
            @error
            def oops(req, exc):
                return f"sorry {exc!r}"
            """, name="inter2")
        self.assertEqual(self.reply(testing.launch_request())["speech"],
                         [{"text": "sorry KeyError('user')"}])

    def test_error_handler_that_fails(self):
        _, path = self.load("""
            from skillkit import launch, error
            @launch
            def hi(req):
                return 1 / 0
            @error
            def oops(req, exc):
                return undefined_name
            """, name="inter3")
        error = self.error(testing.launch_request())
        self.assertEqual((error["type"], error["function"], error["line"]),
                         ("NameError", "oops", 7))
        self.assertIn("ZeroDivisionError", error["traceback"])
        self.load("""
            from skillkit import launch, error
            @launch
            def hi(req):
                return 1 / 0
            @error
            def oops(req, exc):
                pass
            """, name="inter4")
        error = self.error(testing.launch_request())
        self.assertEqual(error["kind"], "result")
        self.assertIn("@error handler oops", error["spoken"])

    def test_skill_error_speaks_and_skips_error_handler(self):
        self.load("""
            from skillkit import intent, error, SkillError
            @intent("End")
            def end(req):
                raise SkillError("I need a number.")
            @intent("Again")
            def again(req):
                raise SkillError("Which number?", reprompt="Say a number.")
            @error
            def oops(req, exc):
                return "error handler"
            """, name="skillerror")
        reply = self.reply(intent("End"))
        self.assertEqual((reply["speech"], reply["shouldEndSession"]),
                         ([{"text": "I need a number."}], True))
        reply = self.reply(intent("Again"))
        self.assertEqual((reply["reprompt"], reply["shouldEndSession"]),
                         ([{"text": "Say a number."}], False))

    def test_unhandled_exception_without_error_handler_is_the_error(self):
        self.load("""
            from skillkit import launch, after
            @launch
            def hi(req): raise RuntimeError("nope")
            @after
            def never(req, response): return "replaced"
            """, name="noerror")
        self.assertEqual(self.error(testing.launch_request())["type"], "RuntimeError")


# ---------------------------------------------------------------------------

class RequestTest(unittest.TestCase):

    def test_accessors_on_a_full_intent_request(self):
        event = fixture("intent_order_drink")
        req = Request(event, {"best": 1})
        self.assertEqual(req.type, "IntentRequest")
        self.assertEqual(req.intent, "OrderDrinkIntent")
        self.assertEqual(req.slot("drink"), "flat white")
        self.assertEqual(req.slot_id("drink"), "FLAT_WHITE")
        self.assertEqual(req.slot_resolved("drink"), "flat white")
        self.assertIsNone(req.slot("size"))
        self.assertEqual(req.slot("size", "medium"), "medium")
        self.assertIsNone(req.slot_id("size"))
        self.assertIsNone(req.slot("nonexistent"))
        self.assertEqual(set(req.slots), {"drink", "size"})
        self.assertFalse(req.slots["size"])
        self.assertEqual(req.slots["drink"].status, "ER_SUCCESS_MATCH")
        self.assertEqual(req.slots["drink"].confirmation, "NONE")
        self.assertEqual(req.dialog_state, "STARTED")
        self.assertEqual(req.confirmation, "NONE")
        self.assertEqual(req.locale, "en-US")
        self.assertTrue(req.user_id.startswith("amzn1.ask.account."))
        self.assertTrue(req.device_id.startswith("amzn1.ask.device."))
        self.assertEqual(req.request_id, event["request"]["requestId"])
        self.assertEqual(req.application_id,
                         "amzn1.ask.skill.00000000-0000-0000-0000-000000000000")
        self.assertFalse(req.new_session)
        self.assertTrue(req.has_session)
        self.assertEqual(req.session, {"lastIntent": "LaunchRequest", "turn": 1})
        self.assertEqual(req.persistent, {"best": 1})
        self.assertTrue(req.supports("Alexa.Presentation.APL"))
        self.assertFalse(req.supports("AudioPlayer"))
        self.assertEqual(req.access_token, "Atza|PLACEHOLDER-ACCOUNT-LINKING-TOKEN")
        self.assertIs(req.event, event)
        self.assertEqual(req.timestamp, event["request"]["timestamp"])
        # req.session is a copy: changing it leaves the envelope alone.
        req.session["turn"] = 2
        self.assertEqual(event["session"]["attributes"]["turn"], 1)

    def test_dynamic_entities_are_preferred(self):
        raw = {"name": "drink", "value": "house special", "resolutions": {
            "resolutionsPerAuthority": [
                {"authority": "amzn1.er-authority.echo-sdk.SKILL.DrinkType",
                 "status": {"code": "ER_SUCCESS_MATCH"},
                 "values": [{"value": {"name": "espresso", "id": "ESPRESSO"}}]},
                {"authority": "amzn1.er-authority.echo-sdk.dynamic.SKILL.DrinkType",
                 "status": {"code": "ER_SUCCESS_MATCH"},
                 "values": [{"value": {"name": "todays special", "id": "SPECIAL"}},
                            {"value": {"name": "other", "id": "OTHER"}}]}]}}
        event = testing.intent_request("OrderDrinkIntent", drink=raw)
        req = Request(event)
        self.assertEqual(req.slot_id("drink"), "SPECIAL")
        self.assertEqual(req.slot_resolved("drink"), "todays special")
        self.assertEqual(req.slot("drink"), "house special")

    def test_static_match_beats_alexa_entities(self):
        raw = {"value": "paris", "resolutions": {"resolutionsPerAuthority": [
            {"authority": "AlexaEntities", "status": {"code": "ER_SUCCESS_MATCH"},
             "values": [{"value": {"name": "Paris", "id": "https://ld.amazonalexa.com/x"}}]},
            {"authority": "amzn1.er-authority.echo-sdk.SKILL.City",
             "status": {"code": "ER_SUCCESS_MATCH"},
             "values": [{"value": {"name": "Paris", "id": "PAR"}}]}]}}
        req = Request(testing.intent_request("Go", city=raw))
        self.assertEqual(req.slot_id("city"), "PAR")

    def test_no_match_falls_back_to_the_spoken_value(self):
        req = Request(testing.intent_request("Go", drink=testing.slot("tea", matched=False)))
        self.assertIsNone(req.slot_id("drink"))
        self.assertEqual(req.slot_resolved("drink"), "tea")
        self.assertEqual(req.slots["drink"].status, "ER_SUCCESS_NO_MATCH")
        self.assertIsNone(req.slots["drink"].resolved)

    def test_slot_value_forms(self):
        multi = {"slotValue": {"type": "List", "values": [
            {"type": "Simple", "value": "apples"}, {"type": "Simple", "value": "pears"}]}}
        simple = {"slotValue": {"type": "Simple", "value": "tea", "resolutions": {
            "resolutionsPerAuthority": [{"authority": "amzn1.er-authority.echo-sdk.S.T",
                                         "status": {"code": "ER_SUCCESS_MATCH"},
                                         "values": [{"value": {"name": "Tea", "id": "TEA"}}]}]}}}
        req = Request(testing.intent_request("Buy", fruit=multi, drink=simple))
        self.assertIsNone(req.slot("fruit"))
        self.assertEqual(req.slots["fruit"].values, ["apples", "pears"])
        self.assertTrue(req.slots["fruit"])
        self.assertEqual(req.slot("drink"), "tea")
        self.assertEqual(req.slot_id("drink"), "TEA")

    def test_sessionless_request(self):
        req = Request(fixture("audio_playback_started"))
        self.assertEqual(req.type, "AudioPlayer.PlaybackStarted")
        self.assertFalse(req.has_session)
        self.assertFalse(req.new_session)
        self.assertIsNone(req.session_id)
        self.assertEqual(req.session, {})
        self.assertIsNone(req.intent)
        self.assertEqual(req.slots, {})
        self.assertTrue(req.application_id.startswith("amzn1.ask.skill."))
        self.assertEqual(req.body["token"], fixture("audio_playback_started")["request"]["token"])

    def test_malformed_envelopes_do_not_raise(self):
        for event in ({}, {"request": 5}, {"request": {"type": 7, "intent": "x"}},
                      {"session": [], "context": {"System": None}}, None):
            req = Request(event)
            self.assertEqual(req.type, "")
            self.assertIsNone(req.intent)
            self.assertEqual(req.slots, {})
            self.assertIsNone(req.user_id)
            self.assertFalse(req.supports("AudioPlayer"))
            self.assertEqual(req.locale, "en-US")

    def test_session_ended_fields(self):
        req = Request(fixture("session_ended_error"))
        self.assertEqual(req.reason, "ERROR")
        self.assertEqual(req.error["type"], "INVALID_RESPONSE")


class LocaleTest(RunnerCase):

    def test_locale_defaults_to_the_skill_manifest(self):
        self.load("""
            from skillkit import launch
            @launch
            def hi(req): return req.locale
            """, name="german", manifest={"locale": "de-DE"})
        event = testing.launch_request()
        del event["request"]["locale"]
        self.assertEqual(self.reply(event)["speech"], [{"text": "de-DE"}])
        self.assertEqual(self.reply(testing.launch_request(locale="en-GB"))["speech"],
                         [{"text": "en-GB"}])


class LambdaTest(RunnerCase):

    def test_lambda_skill_gets_event_and_context(self):
        result, _ = self.load("""
            def lambda_handler(event, context):
                return {"version": "1.0", "response": {"outputSpeech": {
                    "type": "PlainText", "text": " ".join([
                        event["request"]["type"], context.function_name,
                        context.aws_request_id, str(context.get_remaining_time_in_millis()),
                        context.memory_limit_in_mb, context.log_group_name])}}}
            """, name="classic")
        self.assertEqual((result["style"], result["handlers"]), ("lambda", ["lambda_handler"]))
        event = testing.launch_request()
        reply = self.reply(event, soft_ms=2000)
        self.assertEqual(reply["kind"], "envelope")
        words = reply["envelope"]["response"]["outputSpeech"]["text"].split()
        self.assertEqual(words[:3], ["LaunchRequest", "classic", event["request"]["requestId"]])
        self.assertTrue(0 < int(words[3]) <= 2000, words[3])
        self.assertEqual(words[4:], ["128", "/aws/lambda/classic"])

    def test_lambda_errors(self):
        _, path = self.load("""
            def lambda_handler(event, context):
                if event["request"]["type"] == "LaunchRequest":
                    return None
                return event["request"]["missing"]
            """, name="classic_bad")
        error = self.error(testing.launch_request())
        self.assertEqual((error["kind"], error["function"]), ("result", "lambda_handler"))
        self.assertEqual(error["spoken"], "The function lambda_handler in classic_bad returned "
                                          "nothing. Return the response dictionary.")
        error = self.error(intent())
        self.assertEqual((error["kind"], error["type"], error["line"], error["file"]),
                         ("raised", "KeyError", 4, path))

    def test_lambda_with_one_parameter(self):
        self.load("""
            def lambda_handler(event):
                return {"version": "1.0", "response": {}}
            """, name="classic_one")
        self.assertEqual(self.reply(testing.launch_request())["envelope"],
                         {"version": "1.0", "response": {}})

    def test_lambda_unserialisable(self):
        self.load("""
            def lambda_handler(event, context):
                return {"version": "1.0", "response": {}, "sessionAttributes": {"x": {1}}}
            """, name="classic_set")
        error = self.error(testing.launch_request())
        self.assertIn("the returned dictionary['sessionAttributes']['x']", error["message"])


# ---------------------------------------------------------------------------

class ResponseApiTest(unittest.TestCase):

    def test_type_checks_at_the_authors_line(self):
        R = skillkit.Response
        with self.assertRaisesRegex(TypeError, "the number 5"):
            R(5)
        with self.assertRaisesRegex(TypeError, "list holds"):
            R(["a", 3])
        with self.assertRaises(TypeError):
            R("x", card="a card")
        with self.assertRaises(TypeError):
            R("x", directives=[{"no": "type"}])
        with self.assertRaises(TypeError):
            R("x", directives={"type": "Hint"})
        with self.assertRaises(ValueError):
            R("x", play_behavior="LOUD")
        with self.assertRaises(TypeError):
            R("x", end_session="yes")
        with self.assertRaises(TypeError):
            R("x", session_attributes=[1])
        with self.assertRaises(TypeError):
            skillkit.SimpleCard("t", None)
        with self.assertRaises(TypeError):
            skillkit.PermissionsCard([])
        self.assertEqual(skillkit.PermissionsCard("a").to_json()["permissions"], ["a"])
        self.assertEqual(skillkit.StandardCard("t", "x").to_json(),
                         {"type": "Standard", "title": "t", "text": "x"})

    def test_text_and_repr(self):
        r = skillkit.ask(["Hi", skillkit.SSML("<break/>")], "Again?")
        self.assertEqual(r.text, "Hi <break/>")
        self.assertIn("Again?", repr(r))
        self.assertEqual(r.decide_end_session(True), False)
        self.assertIs(skillkit.Response("x").decide_end_session(False), skillkit.ABSENT)

    def test_exports(self):
        for name in skillkit.__all__:
            self.assertTrue(hasattr(skillkit, name), name)
        self.assertTrue(issubclass(skillkit.DeadlineExceeded, BaseException))
        self.assertFalse(issubclass(skillkit.DeadlineExceeded, Exception))
        self.assertIn("SessionEndedRequest", skillkit.__doc__)


# ---------------------------------------------------------------------------

class OutputTest(unittest.TestCase):

    def test_lines_are_sent_one_by_one(self):
        lines = []
        log = _output.LineLog(lines.append, "<test>")
        print("hello", "world", file=log)
        log.write("a\nb\n\nc")
        self.assertEqual(lines, ["hello world", "a", "b", ""])
        log.flush()
        self.assertEqual(lines[-1], "c")
        log.flush()
        self.assertEqual(len(lines), 5)
        with self.assertRaises(TypeError):
            log.write(b"bytes")
        self.assertFalse(log.isatty())
        self.assertTrue(log.writable())

    def test_long_lines_are_cut(self):
        lines = []
        log = _output.LineLog(lines.append, "<test>")
        log.write("x" * 40000 + "\nnext\n")
        self.assertEqual(len(lines), 2)
        self.assertLessEqual(len(lines[0].encode()), _output.LOG_RECORD_BYTES)
        self.assertTrue(lines[0].endswith("[line cut: too long]"))
        self.assertEqual(lines[1], "next")
        # Many small writes without a newline do not grow without end.
        for _ in range(5000):
            log.write("yyyyyyyyyy")
        log.write("\n")
        self.assertEqual(len(lines), 3)
        # Multi-byte characters are cut on a character boundary.
        log.write("é" * 10000 + "\n")
        self.assertLessEqual(len(lines[3].encode()), _output.LOG_RECORD_BYTES)
        lines[3].encode("utf-8")

    def test_a_failing_sink_does_not_fail_the_skill(self):
        def sink(line):
            raise OSError("closed")
        log = _output.LineLog(sink, "<test>")
        print("lost", file=log)

    def test_install_in_a_worker_redirects_everything(self):
        records = []
        fake = types.ModuleType("_skillserver")
        fake.log = records.append
        saved = (sys.stdout, sys.stderr, sys.stdin, list(_output._writers),
                 list(logging.getLogger().handlers))
        sys.modules["_skillserver"] = fake
        try:
            self.assertTrue(_output.install())
            print("from print")
            sys.stderr.write("from stderr\n")
            logging.getLogger("skill").warning("from logging")
            print("partial", end="")
            _output.flush()
            with self.assertRaises(EOFError):
                input()
        finally:
            sys.stdout, sys.stderr, sys.stdin = saved[:3]
            _output._writers[:] = saved[3]
            logging.getLogger().handlers[:] = saved[4]
            del sys.modules["_skillserver"]
        self.assertEqual(records[:2], ["from print", "from stderr"])
        # Lambda's format, as CloudWatch shows it: level, UTC time, request id.
        self.assertRegex(records[2], r"^\[WARNING\]\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d"
                                     r"\.\d{3}Z\t[^\t]*\tfrom logging$")
        self.assertEqual(records[3:], ["partial"])

    def test_worker_load_and_handle_send_prints_to_the_log(self):
        skills = SkillDir()
        records = []
        fake = types.ModuleType("_skillserver")
        fake.log = records.append
        saved = (sys.stdout, sys.stderr, sys.stdin, list(_output._writers),
                 list(logging.getLogger().handlers))
        sys.modules["_skillserver"] = fake
        try:
            path = skills.make("printer", """
                import logging
                from skillkit import launch
                print("loading")
                logger = logging.getLogger()
                logger.setLevel(logging.INFO)
                @launch
                def hi(req):
                    print("in handler", end="")
                    logger.info("info line")
                    return "hi"
                """)
            self.assertTrue(json.loads(_runner.load("printer", path, True))["ok"])
            event = testing.launch_request()
            result_request_id = event["request"]["requestId"]
            message = json.dumps({"event": event, "attributes": None, "soft_ms": 0})
            result = json.loads(_runner.handle(message))
            self.assertTrue(result["ok"])
        finally:
            sys.stdout, sys.stderr, sys.stdin = saved[:3]
            _output._writers[:] = saved[3]
            logging.getLogger().handlers[:] = saved[4]
            logging.getLogger().setLevel(logging.WARNING)
            del sys.modules["_skillserver"]
            skills.cleanup()
        self.assertEqual(records[0], "loading")
        self.assertRegex(records[1], r"^\[INFO\]\t\S+Z\t(.*)\tinfo line$")
        self.assertEqual(records[1].split("\t")[2], result_request_id)
        self.assertEqual(records[2:], ["in handler"])


# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------

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
