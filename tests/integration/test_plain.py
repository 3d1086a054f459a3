"""A plain function is a skill, end to end: skills of plain functions in a
temporary skills folder, driven through the real binary with say,
request | invoke and skillserver model (whose output is checked against the
shape of the ASK interaction model)."""
import json
import os
import re
import shutil
import textwrap
import unittest

from harness import SKILLS, copy_skills, load_json, run, temp_dir

ISSUE_EXAMPLE = """
    def thank_you(name):
        return "You're welcome, " + name + "!"

    def tell_me_a_joke():
        return "Why did the robot go on holiday? To recharge!"
    """

CLASH = """
    def thank_you():
        return "one"

    def thankYou():
        return "two"

    def add(a: int, b: int = 10):
        return f"{a} and {b} make {a + b}"
    """


def check_ask_model(test, doc):
    """The shape of an ASK interaction model (what the console and ask deploy read)."""
    test.assertLessEqual(set(doc), {"interactionModel", "version"})
    lm = doc["interactionModel"]["languageModel"]
    name = lm["invocationName"]
    test.assertIsInstance(name, str)
    test.assertEqual(name, name.lower())
    test.assertRegex(name, r"^[a-z][a-z .']*$")
    test.assertIsInstance(lm["intents"], list)
    test.assertIsInstance(lm.get("types", []), list)
    seen = set()
    for intent in lm["intents"]:
        test.assertRegex(intent["name"], r"^(AMAZON\.)?[A-Za-z_]+$")
        test.assertNotIn(intent["name"], seen)
        seen.add(intent["name"])
        test.assertIsInstance(intent["samples"], list)
        slots = {s["name"]: s["type"] for s in intent.get("slots", [])}
        for slot, type_ in slots.items():
            test.assertRegex(slot, r"^[A-Za-z_]+$")
            test.assertIsInstance(type_, str)
        for sample in intent["samples"]:
            test.assertRegex(sample, r"^[a-z' {}_]+$", sample)
            for ref in re.findall(r"{([^}]*)}", sample):
                test.assertIn(ref, slots, sample)
    for required in ("AMAZON.CancelIntent", "AMAZON.HelpIntent", "AMAZON.StopIntent",
                     "AMAZON.NavigateHomeIntent"):
        test.assertIn(required, seen)
    return lm


class PlainSkills(unittest.TestCase):
    def setUp(self):
        self.root = temp_dir("plain-skills-")
        self.addCleanup(shutil.rmtree, self.root, True)
        self.make("my_jokes", ISSUE_EXAMPLE)
        self.make("sums", CLASH)

    def make(self, name, source):
        os.makedirs(os.path.join(self.root, name))
        with open(os.path.join(self.root, name, "skill.py"), "w", encoding="utf-8") as f:
            f.write(textwrap.dedent(source).lstrip("\n"))

    def run_in(self, *args, stdin=None):
        return run(*args, "--skills", self.root, stdin=stdin)

    def test_say_the_issue_example(self):
        p = self.run_in("say", "--skill", "my_jokes", "thank you my name is Sam")
        self.assertEqual((p.returncode, p.stdout), (0, "You're welcome, Sam!\n"), p.stderr)
        self.assertIn("(heard by my_jokes: ThankYouIntent, name = \"Sam\")", p.stderr)
        p = self.run_in("say", "tell me a joke")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "Why did the robot go on holiday? To recharge!\n")
        self.assertNotIn("has no model.json", p.stderr)

    def test_a_skill_that_does_not_load_is_not_sent_to_write_a_model(self):
        # Its model comes from its functions once it loads: the syntax error
        # is the one thing to mend, not a model.json it does not need.
        self.make("broken", """
            def hello(name)
                return "hi " + name
            """)
        p = self.run_in("say", "--skill", "broken", "hello sam")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("broken does not load: ", p.stderr)
        self.assertRegex(p.stderr, r"broken/skill\.py:1: SyntaxError")
        self.assertNotIn("model.json", p.stderr)
        self.assertNotIn("no sample of", p.stderr)
        # The sentence for the author adds nothing to the error line here,
        # so it is not printed a third time.
        self.assertNotIn("There is a SyntaxError", p.stderr)
        self.assertIn("not working", p.stdout)

    def test_a_folder_name_with_a_digit_opens_as_its_model_names_it(self):
        # quiz2's invocation name is "quiz two" (Alexa takes no digits); a
        # skill called quiz beside it must not take "open quiz two".
        self.make("quiz2", """
            def welcome():
                return "Quiz two here."
            """)
        self.make("quiz", """
            def welcome():
                return "Quiz one here."
            """)
        model = load_json(self.run_in("model", "quiz2").stdout)
        self.assertEqual(model["interactionModel"]["languageModel"]["invocationName"],
                         "quiz two")
        p = self.run_in("say", "open quiz two")
        self.assertEqual((p.returncode, p.stdout), (0, "Quiz two here.\n"), p.stderr)
        p = self.run_in("say", "open quiz")
        self.assertEqual((p.returncode, p.stdout), (0, "Quiz one here.\n"), p.stderr)

    def test_a_quiz_hears_its_answer_said_bare(self):
        self.make("maths_quiz", """
            from skillkit import ask

            def welcome():
                return ask("What is 2 plus 2?")

            def answer(number: int):
                return "Correct!" if number == 4 else ask("Try again: what is 2 plus 2?")
            """)
        p = self.run_in("say", "--skill", "maths_quiz", stdin="open maths quiz\nfive\nit is 4\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('(heard by maths_quiz: AnswerIntent, number = "5")', p.stderr)
        self.assertIn("Try again: what is 2 plus 2?", p.stdout)
        self.assertIn("Correct!", p.stdout)

    def test_say_asks_for_a_missing_name(self):
        p = self.run_in("say", "--skill", "my_jokes", stdin="thank you\nLeo\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.splitlines()[0], "What is your name?")
        self.assertIn("You're welcome, Leo!", p.stdout)

    def test_say_open_by_folder_name(self):
        p = self.run_in("say", "open my jokes")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("(heard by my_jokes: LaunchRequest)", p.stderr)

    def test_request_pipes_into_invoke(self):
        req = self.run_in("request", "my_jokes", "ThankYouIntent", "name=Sam")
        self.assertEqual(req.returncode, 0, req.stderr)
        p = self.run_in("invoke", "my_jokes", "-", stdin=req.stdout)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(load_json(p.stdout)["response"]["outputSpeech"]["text"],
                         "You're welcome, Sam!")

    def test_request_knows_the_inferred_intents(self):
        p = self.run_in("request", "my_jokes", "ThankIntent")
        self.assertEqual(p.returncode, 2)
        self.assertIn("ThankYouIntent", p.stderr)
        req = self.run_in("request", "my_jokes", "ThankYouIntent")
        self.assertEqual(req.returncode, 0, req.stderr)
        slots = load_json(req.stdout)["request"]["intent"]["slots"]
        self.assertIn("name", slots, "the unfilled slot is sent, as Alexa sends it")

    def test_numbers_and_optional_parameters(self):
        req = self.run_in("request", "sums", "AddIntent", "a=3")
        p = self.run_in("invoke", "sums", "-", stdin=req.stdout)
        self.assertEqual(load_json(p.stdout)["response"]["outputSpeech"]["text"],
                         "3 and 10 make 13")
        p = self.run_in("say", "--skill", "sums", "add three and four")
        self.assertEqual(p.stdout, "3 and 4 make 7\n", p.stderr)

    def test_clash_is_a_warning(self):
        p = self.run_in("say", "--skill", "sums", "thank you")
        self.assertEqual(p.stdout, "one\n", p.stderr)
        self.assertIn("both become ThankYouIntent", p.stderr)

    def test_model_command(self):
        p = self.run_in("model", "my_jokes")
        self.assertEqual(p.returncode, 0, p.stderr)
        lm = check_ask_model(self, json.loads(p.stdout))
        self.assertEqual(lm["invocationName"], "my jokes")
        intents = {i["name"]: i for i in lm["intents"]}
        self.assertEqual(intents["ThankYouIntent"]["slots"],
                         [{"name": "name", "type": "AMAZON.FirstName"}])
        self.assertIn("tell me a joke", intents["TellMeAJokeIntent"]["samples"])

    def test_saved_model_wins(self):
        p = self.run_in("model", "my_jokes")
        doc = json.loads(p.stdout)
        intents = doc["interactionModel"]["languageModel"]["intents"]
        for intent in intents:
            if intent["name"] == "TellMeAJokeIntent":
                intent["samples"] = ["make me laugh"]
        with open(os.path.join(self.root, "my_jokes", "model.json"), "w") as f:
            json.dump(doc, f)
        p = self.run_in("say", "--skill", "my_jokes", "make me laugh")
        self.assertEqual(p.stdout, "Why did the robot go on holiday? To recharge!\n", p.stderr)
        p = self.run_in("model", "my_jokes")
        self.assertEqual(json.loads(p.stdout), doc)

    def test_export_takes_the_inferred_model(self):
        out = temp_dir("plain-export-")
        self.addCleanup(shutil.rmtree, out, True)
        project = os.path.join(out, "my_jokes")
        p = self.run_in("export", "my_jokes", project)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(project, "skill-package", "interactionModels", "custom",
                               "en-US.json")) as f:
            exported = json.load(f)
        self.assertEqual(exported, json.loads(self.run_in("model", "my_jokes").stdout))
        with open(os.path.join(project, "skill-package", "skill.json")) as f:
            manifest = json.load(f)
        self.assertIn("en-US", manifest["manifest"]["publishingInformation"]["locales"])
        self.assertTrue(os.path.isfile(os.path.join(project, "lambda", "skillkit", "_plain.py")))
        # The project runs unchanged as an ASK CLI project.
        p = run("say", "--skills", out, "--skill", "my_jokes", "thank you my name is Sam")
        self.assertEqual((p.returncode, p.stdout), (0, "You're welcome, Sam!\n"), p.stderr)

    def test_export_refuses_a_decorated_skill_without_a_model(self):
        copy_skills(self.root, ["thank_you"])
        os.remove(os.path.join(self.root, "thank_you", "model.json"))
        out = temp_dir("plain-export-")
        self.addCleanup(shutil.rmtree, out, True)
        p = self.run_in("export", "thank_you", os.path.join(out, "t"))
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("no interaction model", p.stderr)


class ModelCommand(unittest.TestCase):
    def test_bundled_models(self):
        for skill in ("thank_you", "counter", "joke_time"):
            with self.subTest(skill=skill):
                p = run("model", skill)
                self.assertEqual(p.returncode, 0, p.stderr)
                check_ask_model(self, json.loads(p.stdout))
        with open(os.path.join(SKILLS, "thank_you", "model.json")) as f:
            self.assertEqual(json.loads(run("model", "thank_you").stdout), json.load(f))

    def test_usage_and_failures(self):
        p = run("model")
        self.assertEqual(p.returncode, 2)
        self.assertIn("which skill?", p.stderr)
        p = run("model", "no_such_skill")
        self.assertEqual(p.returncode, 2)
        p = run("model", "--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn("skillserver model SKILL", p.stdout)

    def test_a_decorated_skill_without_a_model(self):
        root = temp_dir("plain-skills-")
        self.addCleanup(shutil.rmtree, root, True)
        copy_skills(root, ["thank_you"])
        os.remove(os.path.join(root, "thank_you", "model.json"))
        p = run("model", "thank_you", "--skills", root)
        self.assertEqual(p.returncode, 1)
        self.assertIn("Write a model.json", p.stderr)


if __name__ == "__main__":
    unittest.main()
