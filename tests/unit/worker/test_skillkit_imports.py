"""What skillkit imports before a skill's first answer (skillkit/_runner.py,
"Start-up"): a zygote pays for every module imported before the skill's own
code runs, so what a request does not need is imported where it is used.
These tests fail when a heavy import creeps back in, on any machine: they
compare module names, not times.

Run: python3 tests/taprun.py tests/unit/worker/test_skillkit_imports.py
"""
import functools
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

from skillkit_support import FIXTURES_DIR, SOURCE_ROOT, RunnerCase

SERVER_DIR = os.path.join(SOURCE_ROOT, "server", "worker")

#: What loading a skill and answering one request may import beyond a bare
#: interpreter (python3 -I -S): skillkit itself, the skill, and the few
#: standard modules every request needs. os and its helpers come with site
#: in a worker anyway; JSON goes through json's accelerator (_json) alone,
#: since the json package brings re, and re brings enum, functools and
#: collections (skillkit/_jsontext.py).
ALLOWED = {
    "__future__", "_collections_abc", "_json", "_stat", "genericpath", "os", "os.path",
    "posixpath", "stat",
}

#: What a request never needs and costs the most: named so that a failure
#: says which one came back (each is also outside ALLOWED).
HEAVY = ("typing", "inspect", "logging", "traceback", "linecache", "tokenize", "difflib",
         "datetime", "importlib.metadata", "importlib.util", "threading", "ast", "dis", "email",
         "zipfile", "json", "re", "enum", "signal", "collections", "functools", "contextlib",
         "importlib", "warnings", "types", "math")

# The worker's part, as python.c plays it: _skillserver (faked here) in
# place, the runner imported, the skill loaded and one request answered;
# then the modules that were not there before, one a line. Nothing is
# imported before the count starts.
WORKER = r"""
import sys
before = set(sys.modules)
records = []
fake = type(sys)("_skillserver")
fake.log = records.append
sys.modules["_skillserver"] = fake
server_dir, skill, event_file = sys.argv[1:]
sys.path.insert(0, server_dir)
from skillkit import _runner
hello = _runner.load("thank_you", skill, False)
with open(event_file, encoding="utf-8") as f:
    event = f.read()
answer = _runner.handle('{"event": %s, "attributes": null, "soft_ms": 5000}' % event)
out = sys.__stdout__
out.write(hello + "\n" + answer + "\n")
for name in sorted(set(sys.modules) - before):
    out.write(name + "\n")
for record in records:
    out.write("log: " + record + "\n")
"""


def run_worker(script, *args):
    """Run a script under a bare python3 (no site, no PYTHON* variables)."""
    result = subprocess.run([sys.executable, "-I", "-S", "-c", script, *args],
                            capture_output=True, text=True, timeout=60, check=False)
    if result.returncode != 0:
        raise AssertionError(f"the script failed:\n{result.stderr}")
    return result.stdout.splitlines()


class StartUpImports(unittest.TestCase):
    def test_a_request_imports_only_what_it_needs(self):
        skill = os.path.join(SOURCE_ROOT, "skills", "thank_you", "skill.py")
        event = os.path.join(FIXTURES_DIR, "intent_thank_you.json")
        lines = run_worker(WORKER, SERVER_DIR, skill, event)
        hello, answer, rest = lines[0], lines[1], lines[2:]
        self.assertIn('"ok":true', hello)
        self.assertIn('"ok":true', answer)
        modules = {line for line in rest if not line.startswith("log: ")}
        ours = {m for m in modules if m in ("skillkit", "_skillserver")
                or m.startswith(("skillkit.", "_skill_"))}
        self.assertIn("skillkit._runner", ours)
        heavy = sorted(set(HEAVY) & modules)
        self.assertEqual(heavy, [], "a module a request does not need is imported at start-up; "
                         "python3 -X importtime shows who imports it")
        extra = sorted(modules - ours - ALLOWED)
        self.assertEqual(extra, [], "start-up imports more than ALLOWED; import it where it "
                         "is used, or, if every request needs it, add it to ALLOWED")

    def assert_light(self, source, event_file):
        """source as a skill.py loads and answers event_file importing nothing HEAVY."""
        with tempfile.TemporaryDirectory() as folder:
            skill = os.path.join(folder, "skill.py")
            with open(skill, "w", encoding="utf-8") as f:
                f.write(textwrap.dedent(source))
            lines = run_worker(WORKER, SERVER_DIR, skill, event_file)
        hello, answer, rest = lines[0], lines[1], lines[2:]
        self.assertIn('"ok":true', hello)
        self.assertIn('"ok":true', answer)
        heavy = sorted(set(HEAVY) & {line for line in rest if not line.startswith("log: ")})
        self.assertEqual(heavy, [], "python3 -X importtime shows who imports it")
        return answer

    def test_a_plain_function_skill_imports_no_more(self):
        # A class's skill: its functions and their parameters are read
        # without inspect (ast, dis, tokenize, enum: 15 ms of every start).
        answer = self.assert_light("""
            def thank_you(name, times: int = 1):
                return "You're welcome, " + name + "!"

            def tell_me_a_joke():
                return "Why did the robot go on holiday? To recharge!"
            """, os.path.join(FIXTURES_DIR, "intent_thank_you.json"))
        self.assertIn("Dialog.ElicitSlot", answer)

    def test_speech_built_with_ssml_imports_no_more(self):
        # Escaping and break times without re (and enum, functools).
        answer = self.assert_light("""
            from skillkit import intent, ssml

            @intent("ThankYouIntent")
            def thanks(req):
                return "You're welcome & " + ssml.break_("200ms") + ssml.pause(1) + "bye"
            """, os.path.join(FIXTURES_DIR, "intent_thank_you.json"))
        self.assertIn('<break time=\\"200ms\\"/>', answer)

    def test_logging_gets_lambdas_format_when_the_skill_imports_it(self):
        script = WORKER.replace("for record in records:", textwrap.dedent("""\
            had_logging = "logging" in sys.modules
            import logging
            logging.getLogger("skill").warning("from logging")
            sys.stderr.flush()
            out.write(f"had logging: {had_logging}\\n")
            for record in records:"""))
        skill = os.path.join(SOURCE_ROOT, "skills", "thank_you", "skill.py")
        event = os.path.join(FIXTURES_DIR, "intent_thank_you.json")
        lines = run_worker(script, SERVER_DIR, skill, event)
        self.assertIn("had logging: False", lines)
        logged = [line for line in lines if line.startswith("log: ")]
        self.assertEqual(len(logged), 1, lines)
        self.assertRegex(logged[0], r"^log: \[WARNING\]\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d"
                                    r"\.\d{3}Z\t[^\t]*\tfrom logging$")


class JsonText(unittest.TestCase):
    """skillkit._jsontext calls json's accelerator as json does: the same
    text, the same values, the same errors."""

    def outcome(self, fn, *args, **kwargs):
        try:
            return "ok", fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the error is what is compared
            return type(exc).__name__, str(exc)

    def test_dumps_writes_what_json_writes(self):
        import json

        from skillkit import _jsontext

        loop = []
        loop.append(loop)
        values = [
            {"b": [1, 2.5, None, True, False, 'x\u00e9\U0001f600\n"\\\x00\x1f'], "a": {}},
            "plain", "\ud800 a lone surrogate", 1e300, -0.0, 3.0, 1.1, 12345678901234567890,
            [], {"z": 1, "a": {"c": 2, "b": 1}}, {1: "int key", None: "none key"},
            float("nan"), float("inf"), {"x": object()}, {(1, 2): "tuple key"}, loop,
        ]
        for value in values:
            for sort_keys in (False, True):
                with self.subTest(value=repr(value)[:40], sort_keys=sort_keys):
                    self.assertEqual(
                        self.outcome(_jsontext.dumps, value, sort_keys=sort_keys),
                        self.outcome(json.dumps, value, separators=(",", ":"),
                                     ensure_ascii=False, allow_nan=False, sort_keys=sort_keys))

    def test_a_failed_write_leaves_nothing_behind(self):
        import json

        from skillkit import _jsontext

        # The encoders are made once: a write that fails half-way must leave
        # nothing that changes the next write of the same containers.
        inner = {"a": [1]}
        bad = [inner, float("nan")]
        for _ in range(2):
            self.assertEqual(self.outcome(_jsontext.dumps, bad),
                             self.outcome(json.dumps, bad, allow_nan=False))
        self.assertEqual(_jsontext.dumps([inner, inner]), '[{"a":[1]},{"a":[1]}]')

    def test_threads_write_at_once(self):
        import threading

        from skillkit import _jsontext

        value = {"k": [{"x": i} for i in range(50)]}
        want = _jsontext.dumps(value)
        got = []

        def write():
            got.extend(_jsontext.dumps(value) for _ in range(200))
        threads = [threading.Thread(target=write) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(set(got), {want})

    def test_without_the_accelerator_json_does_the_work(self):
        from skillkit import _jsontext

        saved = _jsontext._scan
        _jsontext._scan = None
        try:
            self.assertEqual(_jsontext.dumps({"b": "\u00e9", "a": [1.5]}, sort_keys=True),
                             '{"a":[1.5],"b":"\u00e9"}')
            self.assertEqual(_jsontext.loads(' {"a": [1]} '), {"a": [1]})
            with self.assertRaises(ValueError):
                _jsontext.dumps(float("nan"))
        finally:
            _jsontext._scan = saved

    def test_loads_reads_what_json_reads(self):
        import json

        from skillkit import _jsontext

        texts = [' {"a": [1, 2.5e3, -0, 1E400, "\\u00e9\\ud83d\\ude00"]} \n', '"x"', "  3  ",
                 "NaN", "[Infinity, -Infinity]", '{"a":1,"a":2}', "", "  ", "[1,]", '{"a" 1}',
                 "[1] x", "\ufeff[1]", '"unterminated', '{"a":1}}', "tru", '"\x01"']
        for text in texts:
            with self.subTest(text=text):
                self.assertEqual(repr(self.outcome(_jsontext.loads, text)),
                                 repr(self.outcome(json.loads, text)))


def _decorated(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)
    return wrapper


class Callable:
    def __call__(self, req, extra=None):
        return "hi"

    def method(self, req):
        return "hi"


class ArgumentCounting(RunnerCase):
    """A handler's parameters are read from its code object (no inspect):
    the result must be inspect.signature's."""

    def test_the_code_object_reads_as_inspect_does(self):
        from skillkit import _registry

        namespace = {}
        exec(textwrap.dedent("""\
            def none(): pass
            def one(req): pass
            def default(req, extra=1): pass
            def positional_only(a, b, /, c=2): pass
            def keyword(req, *, key=1): pass
            def keyword_unfilled(req, *, key): pass
            def star(*args): pass
            def star_then_keyword(req, *args, key): pass
            def star_star(req, **kwargs): pass
            def everything(a, /, b=1, *args, c, d=2, **kwargs): pass
            def defaults_only(a=1, b=2): pass
            closure = (lambda: lambda req, x=1: None)()
            """), namespace)
        for name, fn in namespace.items():
            if name.startswith("__"):
                continue
            with self.subTest(name):
                self.assertTrue(_registry._is_plain_function(fn))
                handler = _registry.Handler.__new__(_registry.Handler)
                handler.fn = fn
                self.assertEqual(handler._count_plain(), handler._count_any())

    def test_other_callables_go_through_inspect(self):
        from skillkit import _registry

        for fn in (_decorated(lambda req: None), functools.partial(lambda a, req: None, 1),
                   Callable(), Callable().method, len):
            with self.subTest(repr(fn)):
                self.assertFalse(_registry._is_plain_function(fn))
        self.assertEqual(_registry.Handler(Callable(), "handler", "@launch").nargs, 1)
        self.assertEqual(_registry.Handler(_decorated(lambda: None), "handler", "@launch").nargs,
                         0)


if __name__ == "__main__":
    unittest.main()
