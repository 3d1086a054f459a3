"""What the skillkit test modules share: the package on the path, a folder
of skills written on the fly, and a test case that loads and calls them
through the runner the way server/worker/python.c does.

skillkit is imported from server/worker here, so a test module takes the
package's modules from this one (``from skillkit_support import testing``)
and finds the path set first, whatever order its imports are sorted in.
"""
import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
import textwrap
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

__all__ = ["SOURCE_ROOT", "NEVER_S", "FIXTURES_DIR", "fixture", "SkillDir", "RunnerCase",
           "intent", "skillkit", "_diagnose", "_output", "_runner", "testing", "Request"]

# A deadline of 0.1-0.2 s that fires at all fires long before this, even on
# a loaded machine; the bound only catches one that never fires.
NEVER_S = 30

FIXTURES_DIR = os.path.join(SOURCE_ROOT, "tests", "fixtures", "requests")


def fixture(name):
    with open(os.path.join(FIXTURES_DIR, name + ".json"), encoding="utf-8") as f:
        return json.load(f)


def write_skill(root, name, source, files=None, model=None, manifest=None):
    """Write root/name/skill.py (dedented), the other files, model.json and
    skill.json; return the path of skill.py."""
    folder = os.path.join(root, name)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "skill.py")
    with open(path, "w", encoding="utf-8") as f:
        f.write(textwrap.dedent(source).lstrip("\n"))
    for filename, text in (files or {}).items():
        os.makedirs(os.path.dirname(os.path.join(folder, filename)), exist_ok=True)
        with open(os.path.join(folder, filename), "w", encoding="utf-8") as f:
            f.write(textwrap.dedent(text).lstrip("\n"))
    if model is not None:
        with open(os.path.join(folder, "model.json"), "w", encoding="utf-8") as f:
            json.dump(model, f)
    if manifest is not None:
        with open(os.path.join(folder, "skill.json"), "w", encoding="utf-8") as f:
            json.dump(manifest, f)
    return path


class SkillDir:
    """Skill folders written into a temporary directory."""

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="skillkit-test-")

    def make(self, name, source, files=None, model=None, manifest=None):
        return write_skill(self.root, name, source, files, model, manifest)

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
