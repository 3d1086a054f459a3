"""`skillserver export SKILL DIR`: a skill as an ASK CLI v2 project for a real Echo.

The bundled skills, and an ASK project with two locales and a vendored
package, are exported; each project is checked against the layout `ask
deploy` reads (spec/skill-projects.md §1: the files and the JSON fields,
with their types), then put in a skills folder of its own and run
unchanged through `say` and `request | invoke`. skillserver runs it as an
ASK project, through lambda_function.lambda_handler, so skillkit.aws's
envelopes (SSML included) pass the C side's checks. Also the refusals: DIR
not empty, an unknown skill, a skill without a model, DIR inside the skill;
and that a refused export leaves nothing behind.
"""
import glob
import json
import os
import re
import shutil
import textwrap
import unittest

from harness import FIXTURES, SKILLS, ask_model as model, run, temp_dir

BUNDLED = ("thank_you", "counter", "lambda_hello")


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text if isinstance(text, str) else json.dumps(text, ensure_ascii=False))


def two_locales(root):
    """An ASK CLI v2 project in English and German whose code imports a
    package vendored beside it (as pip install -t puts it)."""
    p = os.path.join(root, "space")
    write(p, "ask-resources.json", {
        "askcliResourcesVersion": "2020-03-31", "profiles": {"default": {
            "skillMetadata": {"src": "./skill-package"}, "code": {"default": {"src": "./lambda"}},
            "skillInfrastructure": {"type": "@ask-cli/lambda-deployer", "userConfig": {
                "runtime": "python3.11", "handler": "lambda_function.lambda_handler",
                "awsRegion": "eu-west-1"}}}}})
    write(p, "skill-package/skill.json", {"manifest": {
        "publishingInformation": {"locales": {
            "en-US": {"name": "Space Facts", "summary": "Facts", "description": "Facts.",
                      "examplePhrases": ["Alexa, open space facts"]}},
            "isAvailableWorldwide": True, "category": "EDUCATION_AND_REFERENCE",
            "distributionCountries": []},
        "apis": {"custom": {"endpoint": {"uri": "arn:aws:lambda:eu-west-1:1:function:old"}}},
        "manifestVersion": "1.0"}})
    write(p, "skill-package/interactionModels/custom/en-US.json",
          model("space facts", [("FactIntent", ["tell me a fact", "a fact"])]))
    write(p, "skill-package/interactionModels/custom/de-DE.json",
          model("weltraum wissen", [("FactIntent", ["erzähl mir etwas", "ein fakt"])]))
    write(p, "lambda/lambda_function.py", textwrap.dedent("""\
        from skillkit import intent, launch, ask
        import starfacts

        @launch
        def hello(req):
            return ask("Hallo!" if req.locale == "de-DE" else "Hello!")

        @intent("FactIntent")
        def fact(req):
            return starfacts.fact(req.locale)
        """))
    write(p, "lambda/starfacts/__init__.py", textwrap.dedent("""\
        def fact(locale):
            return "Die Sonne ist ein Stern." if locale == "de-DE" else "The Sun is a star."
        """))
    write(p, "lambda/requirements.txt", "starfacts\n")
    return root


class Layout:
    """The structural check: what `ask deploy` reads, with its types."""

    def check(self, project, skill_locales=None):
        def load(rel):
            with open(os.path.join(project, rel), encoding="utf-8") as f:
                return json.load(f)

        res = load("ask-resources.json")
        self.assertIsInstance(res["askcliResourcesVersion"], str)
        profile = res["profiles"]["default"]
        meta = os.path.normpath(os.path.join(project, profile["skillMetadata"]["src"]))
        code = os.path.normpath(os.path.join(project, profile["code"]["default"]["src"]))
        self.assertEqual(meta, os.path.join(project, "skill-package"))
        self.assertEqual(code, os.path.join(project, "lambda"))
        infra = profile["skillInfrastructure"]
        self.assertEqual(infra["type"], "@ask-cli/lambda-deployer")
        config = infra["userConfig"]
        self.assertRegex(config["runtime"], r"^python3\.(1[1-9])$")
        self.assertIsInstance(config["awsRegion"], str)
        module, function = config["handler"].rsplit(".", 1)
        with open(os.path.join(code, module + ".py"), encoding="utf-8") as f:
            self.assertRegex(f.read(), r"(?m)^%s = " % function)

        manifest = load("skill-package/skill.json")["manifest"]
        self.assertEqual(manifest["manifestVersion"], "1.0")
        self.assertIsInstance(manifest["apis"]["custom"], dict)
        self.assertNotIn("endpoint", manifest["apis"]["custom"])
        pub = manifest["publishingInformation"]
        self.assertIsInstance(pub["isAvailableWorldwide"], bool)
        self.assertIsInstance(pub["category"], str)
        self.assertIsInstance(pub["distributionCountries"], list)
        locales = pub["locales"]
        self.assertEqual(sorted(locales), sorted(skill_locales or ["en-US"]))
        models = sorted(os.path.basename(p)[:-5] for p in glob.glob(
            os.path.join(meta, "interactionModels", "custom", "*.json")))
        self.assertEqual(models, sorted(locales))
        for locale, info in locales.items():
            for key in ("name", "summary", "description"):
                self.assertIsInstance(info[key], str)
                self.assertTrue(info[key])
            self.assertTrue(all(isinstance(p, str) and p.startswith("Alexa")
                                for p in info["examplePhrases"]))
            lm = load(f"skill-package/interactionModels/custom/{locale}.json")[
                "interactionModel"]["languageModel"]
            self.assertIsInstance(lm["invocationName"], str)
            for intent in lm["intents"]:
                self.assertIsInstance(intent["name"], str)
                self.assertIsInstance(intent["samples"], list)
            self.assertIn(lm["invocationName"], info["examplePhrases"][0])
        for rel in ("skillkit/__init__.py", "skillkit/aws.py", "skillkit/_loader.py"):
            self.assertTrue(os.path.isfile(os.path.join(code, rel)), rel)
        for rel in ("skillserver.json", "model.json", "skill.json"):
            self.assertFalse(os.path.exists(os.path.join(code, rel)), rel)
        self.assertEqual(glob.glob(os.path.join(code, "**", "__pycache__"), recursive=True), [])
        return config


class ExportBundled(Layout, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = temp_dir("export-")
        cls.out = os.path.join(cls.tmp, "skills")
        os.mkdir(cls.out)
        cls.runs = {}
        for name in BUNDLED:
            cls.runs[name] = run("export", name, os.path.join(cls.out, name))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_exports_and_layout(self):
        for name in BUNDLED:
            with self.subTest(name):
                p = self.runs[name]
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertIn("ask deploy", p.stdout)
                config = self.check(os.path.join(self.out, name))
                self.assertEqual(config["handler"], "lambda_function.lambda_handler")
                self.assertTrue(os.path.isfile(os.path.join(self.out, name, "lambda",
                                                            "skill.py")))
        self.assertEqual(glob.glob(os.path.join(self.out, "*.tmp-*")), [])

    def test_say_runs_the_exported_projects(self):
        cases = [("open thank you", "Hello! I'm the thank you skill."),
                 ("ask thank you to thank you", "You're welcome!"),
                 ("open counting game", "Let's count!"),
                 ("open hello lambda", "Hello! Say hello")]
        for utterance, expected in cases:
            with self.subTest(utterance):
                p = run("--skills", self.out, "say", utterance)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertIn(expected, p.stdout)

    def test_request_invoke_gives_what_the_original_says(self):
        for name, fixture in (("thank_you", "intent_thank_you_name.json"),
                              ("thank_you", "launch.json"), ("counter", "launch.json"),
                              ("counter", "intent_stop.json"), ("lambda_hello", "launch.json"),
                              ("thank_you", "session_ended_user.json")):
            with self.subTest(name=name, fixture=fixture):
                with open(os.path.join(FIXTURES, fixture), "rb") as f:
                    body = f.read()
                original = run("invoke", name, "-", stdin=body)
                exported = run("--skills", self.out, "invoke", name, "-", stdin=body)
                self.assertEqual(exported.returncode, 0, exported.stderr)
                a, b = json.loads(original.stdout), json.loads(exported.stdout)
                text = [env.get("response", {}).get("outputSpeech", {}) for env in (a, b)]
                said = [t.get("text") or re.sub(r"<[^>]+>", "", t.get("ssml", ""))
                        for t in text]
                self.assertEqual(said[1].replace("&apos;", "'"), said[0])
                self.assertEqual(a["response"].get("shouldEndSession"),
                                 b["response"].get("shouldEndSession"))
                if "ssml" in text[1]:
                    self.assertTrue(text[1]["ssml"].startswith("<speak>"))

    def test_request_pipe_invoke_on_the_exported_project(self):
        p = run("--skills", self.out, "request", "thank_you", "ThankYouIntent", "name=Sam")
        q = run("--skills", self.out, "invoke", "thank_you", "-", stdin=p.stdout)
        self.assertEqual(q.returncode, 0, q.stderr)
        speech = json.loads(q.stdout)["response"]["outputSpeech"]
        self.assertEqual(speech, {"type": "SSML",
                                  "ssml": "<speak>You&apos;re welcome, Sam!</speak>"})


class ExportTwoLocales(Layout, unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir("export-")
        self.skills = two_locales(os.path.join(self.tmp, "src"))
        self.out = os.path.join(self.tmp, "out")
        os.mkdir(self.out)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_two_locales_and_a_vendored_package(self):
        dest = os.path.join(self.out, "space")
        p = run("--skills", self.skills, "export", "space", dest)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("en-US", p.stdout)
        self.assertIn("de-DE", p.stdout)
        config = self.check(dest, ["en-US", "de-DE"])
        # The skill keeps its lambda_function.py; the entry gets another name.
        self.assertEqual(config["handler"], "skillkit_lambda.lambda_handler")
        self.assertEqual(config["awsRegion"], "eu-west-1")
        for rel in ("lambda_function.py", "starfacts/__init__.py", "requirements.txt"):
            self.assertTrue(os.path.isfile(os.path.join(dest, "lambda", rel)), rel)
        with open(os.path.join(dest, "skill-package", "skill.json"), encoding="utf-8") as f:
            locales = json.load(f)["manifest"]["publishingInformation"]["locales"]
        self.assertEqual(locales["en-US"]["name"], "Space Facts")  # the project's own
        self.assertIn("weltraum wissen", locales["de-DE"]["examplePhrases"][0])
        for locale, utterance, expected in (
                ("en-US", "ask space facts to tell me a fact", "The Sun is a star."),
                # say's matcher knows English carrier phrases only.
                ("de-DE", "ask weltraum wissen for ein fakt", "Die Sonne ist ein Stern."),
                ("de-DE", "open weltraum wissen", "Hallo!")):
            with self.subTest(utterance):
                q = run("--skills", self.out, "say", "--locale", locale, utterance)
                self.assertEqual(q.returncode, 0, q.stderr)
                self.assertIn(expected, q.stdout)


class Refusals(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir("export-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def assert_nothing_left(self, dest):
        self.assertEqual(glob.glob(dest + ".tmp-*"), [])

    def test_dir_not_empty(self):
        dest = os.path.join(self.tmp, "busy")
        write(dest, "mine.txt", "keep me")
        p = run("export", "thank_you", dest)
        self.assertEqual(p.returncode, 2)
        self.assertIn("is not empty", p.stderr)
        self.assertEqual(os.listdir(dest), ["mine.txt"])
        self.assert_nothing_left(dest)

    def test_empty_dir_is_fine(self):
        dest = os.path.join(self.tmp, "empty")
        os.mkdir(dest)
        p = run("export", "thank_you", dest)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(os.path.isfile(os.path.join(dest, "ask-resources.json")))

    def test_unknown_skill(self):
        dest = os.path.join(self.tmp, "x")
        p = run("export", "no_such_skill", dest)
        self.assertEqual(p.returncode, 2)
        self.assertIn("no_such_skill", p.stderr)
        self.assertIn("thank_you", p.stderr)  # the skills that exist
        self.assertFalse(os.path.exists(dest))
        self.assert_nothing_left(dest)

    def test_no_model(self):
        skills = os.path.join(self.tmp, "skills")
        write(skills, "bare/skill.py", "from skillkit import launch\n@launch\ndef hi():\n"
                                       "    return 'hi'\n")
        dest = os.path.join(self.tmp, "bare-out")
        p = run("--skills", skills, "export", "bare", dest)
        self.assertEqual(p.returncode, 2)
        self.assertIn("has no interaction model yet", p.stderr)
        self.assertIn("model.json", p.stderr)
        self.assertFalse(os.path.exists(dest))
        self.assert_nothing_left(dest)

    def test_inside_the_skill(self):
        skills = os.path.join(self.tmp, "skills")
        shutil.copytree(os.path.join(SKILLS, "thank_you"), os.path.join(skills, "thank_you"))
        dest = os.path.join(skills, "thank_you", "out")
        p = run("--skills", skills, "export", "thank_you", dest)
        self.assertEqual(p.returncode, 2)
        self.assertIn("inside the skill's own folder", p.stderr)
        self.assertFalse(os.path.exists(dest))

    def test_usage(self):
        p = run("export", "thank_you")
        self.assertEqual(p.returncode, 2)
        self.assertIn("skillserver export thank_you", p.stderr)


if __name__ == "__main__":
    unittest.main()
