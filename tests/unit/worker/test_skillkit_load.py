"""The runner's load() (skillkit/_runner.py, _loader.py, _registry.py), as
server/worker/python.c calls it: the load report's JSON, every way a skill
can fail to load with file and line, the registrations the decorators make,
module-level code under the soft deadline, skills imported under private
names, and the warnings a load gives.

Run: python3 tests/taprun.py tests/unit/worker/test_skillkit_load.py
(SOURCE_ROOT may name the repository; otherwise it is found from this file.)
"""
import json
import os
import signal
import sys
import time
import unittest

from skillkit_support import NEVER_S, RunnerCase, intent, skillkit, _runner, testing


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

    def test_handlers_lines_read_the_file_once(self):
        # Each handler's def line is looked up in its file (for the
        # messages that name it); five handlers must not mean five reads.
        opened = []
        watching = [False]

        def hook(event, args):
            if watching[0] and event == "open" and isinstance(args[0], str):
                opened.append(os.path.basename(args[0]))
        sys.addaudithook(hook)
        source = "from skillkit import launch, intent, help, stop, cancel\n" + "".join(
            f"@{d}\ndef h{i}(req):\n    return 'ok'\n" for i, d in enumerate(
                ["launch", "intent('A')", "help", "stop", "cancel"]))
        path = self.skills.make("five", source)
        # As in a worker, where nothing has imported linecache (this test
        # process has, for unittest's tracebacks).
        linecache = sys.modules.pop("linecache", None)
        self.addCleanup(lambda: linecache and sys.modules.setdefault("linecache", linecache))
        watching[0] = True
        try:
            with self.quiet():
                result = json.loads(_runner.load("five", path, True))
        finally:
            watching[0] = False
        self.assertLoaded(result)
        self.assertEqual(result["handlers"][:2], ["LaunchRequest", "A"])
        self.assertLessEqual(opened.count("skill.py"), 2, opened)
        # An edited file is read again, and the new lines are used.
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n\n" + source)
        with self.quiet():
            result = json.loads(_runner.load("five", path, True))
        self.assertLoaded(result)
        lines = sorted(h.line for h in _runner._skill.registry.routes.values())
        self.assertEqual(lines[0], 5)  # the def of h0, two lines further down

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

    def test_a_misspelt_module_is_named(self):
        result, _ = self.load("""
            import ranodm
            """)
        self.assertIn("imports a module called ranodm on line 1", result["error"]["spoken"])
        self.assertIn("Did you mean random?", result["error"]["spoken"])
        self.assertNotIn("pip install", result["error"]["message"])

    def test_a_package_not_installed_says_where_it_goes(self):
        result, path = self.load("""
            import pyjokes
            """)
        error = result["error"]
        self.assertIn("If pyjokes is a package from the internet, it must be put in the "
                      "skill's folder first", error["spoken"])
        self.assertIn("pip install pyjokes -t " + os.path.dirname(path), error["message"])

    def test_a_forged_missing_module_is_reported_at_once(self):
        # A hostile skill raises ModuleNotFoundError itself, with a name that
        # is not a str, or that difflib would take long to compare.
        for forged in ("123", "'x' * 100000"):
            result, _ = self.load(f"""
                raise ModuleNotFoundError("gone", name={forged})
                """)
            error = result["error"]
            self.assertEqual((error["type"], error["line"]), ("ModuleNotFoundError", 1))
            self.assertIn("gone", error["spoken"] + error["message"])
            self.assertNotIn("Did you mean", error["spoken"])

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


if __name__ == "__main__":
    unittest.main()
