"""Unit tests of skills written as plain functions (skillkit/_plain.py), under plain python3.

A skill.py with neither decorators nor lambda_handler: each public function
is an intent, its name the sample, its parameters the slots; the inferred
model travels in the load report. Covers names and variants, slot types by
name and annotation, optional parameters, what a request passes, clashes,
keyword-like names, imported functions, and decorated skills winning.
Run: python3 tests/taprun.py tests/unit/worker/test_plain.py
"""
import contextlib
import datetime
import io
import json
import os
import shutil
import sys
import tempfile
import unittest

SOURCE_ROOT = os.environ.get("SOURCE_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
SERVER_DIR = os.path.join(SOURCE_ROOT, "server", "worker")
sys.dont_write_bytecode = True
if SERVER_DIR not in sys.path:
    sys.path.insert(0, SERVER_DIR)

from skillkit import _plain, _runner  # noqa: E402
from skillkit_support import write_skill  # noqa: E402

ISSUE_EXAMPLE = """
    def thank_you(name):
        return "You're welcome, " + name + "!"

    def tell_me_a_joke():
        return "Why did the robot go on holiday? To recharge!"
    """


def intent_request(intent_name, /, **slots):
    return {"version": "1.0",
            "session": {"new": True, "sessionId": "s", "application": {"applicationId": "a"},
                        "user": {"userId": "u"}, "attributes": {}},
            "request": {"type": "IntentRequest", "requestId": "r", "locale": "en-US",
                        "timestamp": "2026-01-01T00:00:00Z",
                        "intent": {"name": intent_name, "confirmationStatus": "NONE",
                                   "slots": {k: {"name": k, "value": v}
                                             for k, v in slots.items()}}}}


def launch_request():
    event = intent_request("x")
    event["request"] = {"type": "LaunchRequest", "requestId": "r", "locale": "en-US",
                        "timestamp": "2026-01-01T00:00:00Z"}
    return event


class PlainCase(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="plain-test-")
        self.addCleanup(shutil.rmtree, self.root, True)

    def load(self, source, name="my_jokes", files=None, model=None):
        path = write_skill(self.root, name, source, files, model)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            hello = json.loads(_runner.load(name, path, True))
        self.assertTrue(hello["ok"], hello.get("error"))
        return hello

    def reply(self, event):
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            result = json.loads(_runner.handle(json.dumps(
                {"event": event, "attributes": None, "soft_ms": 0})))
        self.assertTrue(result["ok"], result.get("error"))
        return result["reply"]

    def said(self, event):
        return " ".join(part["text"] for part in self.reply(event)["speech"])

    @staticmethod
    def intents(hello):
        return {i["name"]: i for i in hello["model"]["interactionModel"]["languageModel"]
                ["intents"]}


class NamesTest(PlainCase):
    def test_intent_names(self):
        self.assertEqual(_plain.intent_name("thank_you"), "ThankYouIntent")
        self.assertEqual(_plain.intent_name("tellJoke"), "TellJokeIntent")
        self.assertEqual(_plain.intent_name("add2"), "AddTwoIntent")
        self.assertEqual(_plain.intent_name("greet_intent"), "GreetIntent")
        self.assertEqual(_plain.words_of("tell_me_a_joke"), "tell me a joke")

    def test_issue_example(self):
        hello = self.load(ISSUE_EXAMPLE)
        self.assertEqual(hello["style"], "skillkit")
        self.assertEqual(hello["warnings"], [])
        self.assertEqual(hello["handlers"][:2], ["ThankYouIntent", "TellMeAJokeIntent"])
        lm = hello["model"]["interactionModel"]["languageModel"]
        self.assertEqual(lm["invocationName"], "my jokes")
        intents = self.intents(hello)
        self.assertIn("thank you", intents["ThankYouIntent"]["samples"])
        self.assertIn("thank you my name is {name}", intents["ThankYouIntent"]["samples"])
        self.assertIn("thank you {name}", intents["ThankYouIntent"]["samples"])
        self.assertEqual(intents["ThankYouIntent"]["slots"],
                         [{"name": "name", "type": "AMAZON.FirstName"}])
        self.assertIn("tell me a joke", intents["TellMeAJokeIntent"]["samples"])
        for required in ("AMAZON.CancelIntent", "AMAZON.HelpIntent", "AMAZON.StopIntent",
                         "AMAZON.NavigateHomeIntent"):
            self.assertIn(required, intents)
        self.assertEqual(self.said(intent_request("ThankYouIntent", name="Sam")),
                         "You're welcome, Sam!")
        self.assertTrue(self.reply(intent_request("TellMeAJokeIntent"))["shouldEndSession"])

    def test_verb_variants(self):
        hello = self.load("def tell_me_a_joke():\n    return 'ha'\n")
        samples = self.intents(hello)["TellMeAJokeIntent"]["samples"]
        self.assertIn("please tell me a joke", samples)
        self.assertIn("tell me a joke please", samples)
        hello = self.load("def thank_you():\n    return 'ok'\n", name="other")
        self.assertEqual(self.intents(hello)["ThankYouIntent"]["samples"], ["thank you"])

    def test_a_parameter_named_like_by_joins_its_slot(self):
        hello = self.load("""
            def divide(number: int, by: int):
                return str(number / by)

            def fly(from_city, to_city):
                return "ok"

            def add(first: int, second: int):
                return "ok"
            """)
        intents = self.intents(hello)
        divide = intents["DivideIntent"]["samples"]
        self.assertIn("divide {number} by {by}", divide)
        self.assertNotIn("divide {number} and {by}", divide)
        self.assertIn("divide {number}", divide, "the first slot alone: Alexa asks for the rest")
        fly = intents["FlyIntent"]["samples"]
        self.assertIn("fly from {from_city} to {to_city}", fly)
        self.assertIn("fly {from_city} to {to_city}", fly)
        self.assertIn("add {first} and {second}", intents["AddIntent"]["samples"])
        for sample in divide + fly:
            self.assertRegex(sample, r"^[a-z {}_]+$")
        self.assertEqual(self.said(intent_request("DivideIntent", number="10", by="2")), "5.0")
        reply = self.reply(intent_request("DivideIntent", number="10"))
        self.assertEqual(reply["speech"][0]["text"], "By what?")
        self.assertEqual(reply["directives"][0]["slotToElicit"], "by")

    def test_my_favourite_is_said_as_children_say_it(self):
        hello = self.load("""
            def favourite_animal(animal):
                return "I like " + animal + " too"

            def best_friend(name):
                return name + " sounds great"

            def my_age(age):
                return "You are " + str(age)
            """)
        intents = self.intents(hello)
        age = intents["MyAgeIntent"]["samples"]
        self.assertIn("my age is {age}", age)
        self.assertFalse([s for s in age if "my my" in s], age)
        animal = intents["FavouriteAnimalIntent"]["samples"]
        for sample in ("my favourite animal is {animal}", "my favorite animal is {animal}",
                       "favorite animal {animal}", "favorite animal"):
            self.assertIn(sample, animal)
        self.assertIn("my best friend is {name}", intents["BestFriendIntent"]["samples"])
        self.assertFalse([s for s in intents["BestFriendIntent"]["samples"] if "favo" in s])
        # A missing slot is asked for as the speaker's own.
        self.assertEqual(self.reply(intent_request("FavouriteAnimalIntent"))["speech"][0]["text"],
                         "What is your favourite animal?")
        self.assertEqual(self.reply(intent_request("MyAgeIntent"))["speech"][0]["text"],
                         "What is your age?")
        self.assertEqual(self.reply(intent_request("BestFriendIntent"))["speech"][0]["text"],
                         "What is your name?")
        for sample in animal:
            self.assertRegex(sample, r"^[a-z {}_]+$")

    def test_a_fact_about_an_animal(self):
        hello = self.load("""
            def animal_fact(animal):
                return "ok"

            def joke_about(animal):
                return "ok"
            """)
        intents = self.intents(hello)
        self.assertIn("animal fact about {animal}", intents["AnimalFactIntent"]["samples"])
        joke = intents["JokeAboutIntent"]["samples"]
        self.assertIn("joke about {animal}", joke)
        self.assertFalse([s for s in joke if "about about" in s], joke)

    def test_an_answer_is_heard_bare(self):
        hello = self.load("""
            def answer(number: int):
                return "right" if number == 4 else "wrong"

            def guess(animal):
                return "yes" if animal == "cat" else "no"

            def answer_both(a, b):
                return "ok"
            """)
        intents = self.intents(hello)
        answer = intents["AnswerIntent"]["samples"]
        for sample in ("answer {number}", "{number}", "it is {number}", "the answer is {number}"):
            self.assertIn(sample, answer)
        self.assertIn("my guess is {animal}", intents["GuessIntent"]["samples"])
        self.assertFalse([s for s in intents["AnswerBothIntent"]["samples"] if s[0] == "{"])
        self.assertEqual(self.said(intent_request("AnswerIntent", number="4")), "right")

    def test_samples_are_words_amazon_takes(self):
        hello = self.load("def count_to3(number):\n    return 'ok'\n")
        for sample in self.intents(hello)["CountToThreeIntent"]["samples"]:
            self.assertRegex(sample, r"^[a-z {}_]+$")

    def test_special_functions(self):
        self.load("""
            from skillkit import ask
            def welcome():
                return ask("Hi there")
            def help():
                return "Say hello"
            def stop():
                return "Bye"
            def yes():
                return "Great"
            """)
        self.assertEqual(self.said(launch_request()), "Hi there")
        self.assertEqual(self.said(intent_request("AMAZON.HelpIntent")), "Say hello")
        self.assertEqual(self.said(intent_request("AMAZON.StopIntent")), "Bye")
        self.assertEqual(self.said(intent_request("AMAZON.CancelIntent")), "Bye")
        self.assertEqual(self.said(intent_request("AMAZON.YesIntent")), "Great")

    def test_cancel_of_its_own(self):
        self.load("def stop():\n    return 'Bye'\ndef cancel():\n    return 'Cancelled'\n")
        self.assertEqual(self.said(intent_request("AMAZON.CancelIntent")), "Cancelled")
        self.assertEqual(self.said(intent_request("AMAZON.StopIntent")), "Bye")


class SlotTest(PlainCase):
    def test_types_by_name(self):
        cases = {"name": "AMAZON.FirstName", "first_name": "AMAZON.FirstName",
                 "number": "AMAZON.NUMBER", "count": "AMAZON.NUMBER",
                 "city": "AMAZON.US_CITY", "date": "AMAZON.DATE", "time": "AMAZON.TIME",
                 "duration": "AMAZON.DURATION", "color": "AMAZON.Color",
                 "colour": "AMAZON.Color", "favourite_animal": "AMAZON.Animal",
                 "country": "AMAZON.Country", "wish": "AMAZON.SearchQuery"}
        for param, want in cases.items():
            self.assertEqual(_plain.slot_type(param), want, param)
        self.assertEqual(_plain.slot_type("city", locale="en-GB"), "AMAZON.GB_CITY")

    def test_types_by_annotation(self):
        self.assertEqual(_plain.slot_type("apples", int), "AMAZON.NUMBER")
        self.assertEqual(_plain.slot_type("height", float), "AMAZON.NUMBER")
        self.assertEqual(_plain.slot_type("party", datetime.date), "AMAZON.DATE")
        hello = self.load("""
            from __future__ import annotations
            def share(apples: int, friends: int = 2):
                return f"{apples // friends} each"
            """)
        slots = self.intents(hello)["ShareIntent"]["slots"]
        self.assertEqual(slots, [{"name": "apples", "type": "AMAZON.NUMBER"},
                                 {"name": "friends", "type": "AMAZON.NUMBER"}])

    def test_numbers_are_converted(self):
        self.load("def add(a: int, b: int):\n    return f'{a + b}'\n")
        self.assertEqual(self.said(intent_request("AddIntent", a="3", b="4")), "7")

    def test_optional_parameter(self):
        hello = self.load("""
            def greet(name="friend"):
                return "Hello " + name
            """)
        samples = self.intents(hello)["GreetIntent"]["samples"]
        self.assertIn("greet", samples)
        self.assertIn("greet {name}", samples)
        self.assertEqual(self.said(intent_request("GreetIntent")), "Hello friend")
        self.assertEqual(self.said(intent_request("GreetIntent", name="Leo")), "Hello Leo")

    def test_missing_required_slot_is_asked_for(self):
        self.load(ISSUE_EXAMPLE)
        reply = self.reply(intent_request("ThankYouIntent"))
        self.assertEqual(reply["speech"][0]["text"], "What is your name?")
        self.assertFalse(reply["shouldEndSession"])
        directive = reply["directives"][0]
        self.assertEqual(directive["type"], "Dialog.ElicitSlot")
        self.assertEqual(directive["slotToElicit"], "name")
        self.assertEqual(directive["updatedIntent"]["name"], "ThankYouIntent")

    def test_a_number_that_is_not_one_is_asked_again(self):
        self.load("def double(number: int):\n    return str(number * 2)\n")
        reply = self.reply(intent_request("DoubleIntent", number="?"))
        self.assertEqual(reply["directives"][0]["slotToElicit"], "number")


class ClashTest(PlainCase):
    def test_two_functions_one_intent(self):
        hello = self.load("""
            def thank_you():
                return "one"
            def thankYou():
                return "two"
            """)
        self.assertEqual(len(hello["warnings"]), 1)
        self.assertIn("both become ThankYouIntent", hello["warnings"][0])
        self.assertEqual(self.said(intent_request("ThankYouIntent")), "one")

    def test_keyword_like_names(self):
        hello = self.load("""
            def class_():
                return "class"
            def say_hi(list, type="x"):
                return "hi " + list
            """)
        self.assertIn("ClassIntent", self.intents(hello))
        self.assertEqual(self.intents(hello)["ClassIntent"]["samples"], ["class"])
        warnings = " ".join(hello["warnings"])
        self.assertIn("parameter list", warnings)
        self.assertIn("parameter type", warnings)
        self.assertEqual(self.said(intent_request("SayHiIntent", list="Mo")), "hi Mo")

    def test_function_named_like_a_builtin_intent_twice(self):
        hello = self.load("def welcome():\n    return 'a'\ndef launch():\n    return 'b'\n")
        self.assertIn("both answer LaunchRequest", hello["warnings"][0])
        self.assertEqual(self.said(launch_request()), "a")

    def test_two_any_words_slots_are_a_warning(self):
        hello = self.load("def remember(thing, wish):\n    return 'ok'\n")
        self.assertIn("one such slot per intent", " ".join(hello["warnings"]))


class WhatIsTakenTest(PlainCase):
    def test_imported_functions_are_not_intents(self):
        hello = self.load("""
            from os.path import join
            from helpers import shout
            from skillkit import ask
            def hello():
                return shout("hi")
            def _private():
                return "no"
            """, files={"helpers.py": "def shout(s):\n    return s.upper()\n"})
        names = [n for n in self.intents(hello) if not n.startswith("AMAZON.")]
        self.assertEqual(names, ["HelloIntent"])
        self.assertEqual(self.said(intent_request("HelloIntent")), "HI")

    def test_decorated_skill_wins(self):
        hello = self.load("""
            from skillkit import intent
            @intent("HelloIntent")
            def hi(req):
                return "decorated"
            def tell_me_a_joke():
                return "plain"
            """)
        self.assertNotIn("model", hello)
        self.assertEqual(hello["handlers"], ["HelloIntent"])

    def test_lambda_handler_wins(self):
        hello = self.load("""
            def lambda_handler(event, context):
                return {"version": "1.0", "response": {}}
            def helper():
                return "x"
            """)
        self.assertEqual(hello["style"], "lambda")
        self.assertNotIn("model", hello)

    def test_explicit_model_wins(self):
        model = {"interactionModel": {"languageModel": {
            "invocationName": "my jokes",
            "intents": [{"name": "TellMeAJokeIntent", "samples": ["a joke"]},
                        {"name": "AMAZON.HelpIntent", "samples": []},
                        {"name": "AMAZON.StopIntent", "samples": []},
                        {"name": "AMAZON.CancelIntent", "samples": []},
                        {"name": "AMAZON.NavigateHomeIntent", "samples": []}]}}}
        hello = self.load("def tell_me_a_joke():\n    return 'ha'\n", model=model)
        self.assertNotIn("model", hello)
        self.assertEqual(self.said(intent_request("TellMeAJokeIntent")), "ha")

    def test_functions_taking_req_need_decorators(self):
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            folder = os.path.join(self.root, "old")
            os.makedirs(folder)
            path = os.path.join(folder, "skill.py")
            with open(path, "w", encoding="utf-8") as f:
                f.write("def thanks(req):\n    return 'hi'\n")
            hello = json.loads(_runner.load("old", path, True))
        self.assertFalse(hello["ok"])
        self.assertIn("need a decorator", hello["error"]["message"])

    def test_bundled_joke_time(self):
        path = os.path.join(SOURCE_ROOT, "skills", "joke_time", "skill.py")
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            hello = json.loads(_runner.load("joke_time", path, True))
        self.assertTrue(hello["ok"], hello.get("error"))
        self.assertEqual(hello["warnings"], [])
        lm = hello["model"]["interactionModel"]["languageModel"]
        self.assertEqual(lm["invocationName"], "joke time")
        self.assertIn("TellMeAJokeAboutIntent", self.intents(hello))
        self.assertIn("cat", self.said(intent_request("TellMeAJokeAboutIntent", animal="cat")))


class WithoutInspectOrReTest(PlainCase):
    """_plain reads parameters from code objects and splits names by hand, so
    that a plain skill's start-up imports neither inspect nor re: here both
    are checked against what inspect.signature and the regular expressions
    they replace say."""

    NAMES = ["thank_you", "tellJoke2", "add2", "greet_intent", "HTTPServer", "aBcD", "a1B",
             "x__y", "_private", "caf\u00e9_time", "na\u00efveName", "ABc", "aBC", "a_B",
             "number42things", "\u0663rd", "tell_me_a_JOKE", "", "_", "9lives", "joke\u00c9Time"]

    @staticmethod
    def split_with_re(name):
        import re
        name = re.sub(r"([a-z])([A-Z])", r"\1_\2", name)
        words = []
        for part in name.split("_"):
            for piece in re.findall(r"[A-Za-z]+|[0-9]", part):
                words.append(_plain._DIGITS[int(piece)] if piece.isdigit() else piece.lower())
        return words

    def test_names_split_as_the_regular_expressions_did(self):
        for name in self.NAMES:
            with self.subTest(name=name):
                self.assertEqual(_plain._split(name), self.split_with_re(name))

    def test_parameters_are_what_inspect_says(self):
        import functools
        import inspect

        def plain(name, count: int = 2, *rest, city: str, when=None, **more) -> str:
            return name

        def positional_only(a, b=1, /, c=2, *, d):
            return a

        def nothing():
            return 1

        def annotated_later(apples: "int", friends: "int" = 2):
            return apples

        @functools.wraps(plain)
        def wrapper(*args, **kwargs):
            return plain(*args, **kwargs)

        def announced(*args, **kwargs):
            return args

        announced.__signature__ = inspect.signature(positional_only)

        for fn in (plain, positional_only, nothing, annotated_later, wrapper, announced,
                   (lambda x, y=3: x)):
            with self.subTest(fn=fn.__name__):
                want = [(p.name, int(p.kind), p.default, p.annotation)
                        for p in inspect.signature(fn).parameters.values()]
                empty = inspect.Parameter.empty
                got = [(p.name, p.kind, empty if p.default is _plain.EMPTY else p.default,
                        empty if p.annotation is _plain.EMPTY else p.annotation)
                       for p in _plain.parameters(fn)]
                self.assertEqual(got, want)

    def test_odd_annotations_load_as_they_did_with_inspect(self):
        # What a skill may hang on its functions: an annotations dict whose
        # get() raises (inspect copies it with dict()), and an annotation
        # whose __name__ raises (never read). The skill loads, its slots
        # typed by their names.
        hello = self.load("""
            class Ann(dict):
                def get(self, *args):
                    raise RuntimeError("annotations bite")

            class Named:
                @property
                def __name__(self):
                    raise RuntimeError("name bites")

            def tell_joke(topic):
                return topic
            tell_joke.__annotations__ = Ann(topic=str)

            def greet(name: Named()):
                return name
            """)
        self.assertTrue(hello["ok"], hello.get("error"))
        intents = self.intents(hello)
        self.assertEqual(intents["GreetIntent"]["slots"],
                         [{"name": "name", "type": "AMAZON.FirstName"}])
        self.assertEqual(intents["TellJokeIntent"]["slots"],
                         [{"name": "topic", "type": "AMAZON.SearchQuery"}])

    def test_datetime_annotations_without_importing_datetime(self):
        self.assertEqual(_plain.slot_type("when", datetime.time), "AMAZON.TIME")
        self.assertEqual(_plain.slot_type("long", datetime.timedelta), "AMAZON.DURATION")
        self.assertEqual(_plain.slot_type("stamp", datetime.datetime), "AMAZON.SearchQuery")

        class date:  # a class of the skill's own with datetime's name
            pass
        self.assertEqual(_plain.slot_type("stamp", date), "AMAZON.SearchQuery")
        self.assertEqual(_plain.slot_type("things", [int]), "AMAZON.SearchQuery")


if __name__ == "__main__":
    unittest.main()
