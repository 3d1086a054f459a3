"""skillserver ssml check: the command line over the real validator."""
import os
import tempfile
import unittest

import subprocess

from harness import SKILLSERVER, SOURCE_ROOT, assert_no_sanitizer_report, run, temp_dir

CORPUS = os.path.join(SOURCE_ROOT, "tests", "data", "ssml")


def corpus_document(path):
    """The document of a corpus file (tests/data/ssml/README.md), the
    command-line options its header lines ask for, and the message fragments
    it expects."""
    options, expects = [], []
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    while lines and lines[0].startswith(b"<!-- ") and lines[0].endswith(b" -->"):
        key, _, value = lines.pop(0)[5:-4].decode().partition(": ")
        if key == "locale":
            options += ["--locale", value]
        elif key == "where" and value == "reprompt":
            options.append("--reprompt")
        elif key == "expect":
            expects.append(value)
    return b"\n".join(lines), options, expects


class SsmlCheck(unittest.TestCase):
    def test_valid_document(self):
        p = run("ssml", "check", "-", stdin="<speak>Hello <break time='1s'/> world</speak>")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(p.stdout, "")

    def test_invalid_document_names_line_and_column(self):
        doc = "<speak>\n  <prosody rate='speedy'>hi</prosody>\n</speak>"
        p = run("ssml", "check", "-", stdin=doc)
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stdout, r"^-:2:\d+: ")
        self.assertIn("speedy", p.stdout)

    def test_file_argument_is_named(self):
        with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as f:
            f.write("<speak>Tom & Jerry</speak>")
        try:
            p = run("ssml", "check", f.name)
            self.assertEqual(p.returncode, 1)
            self.assertTrue(p.stdout.startswith(f.name + ":1:"), p.stdout)
            self.assertIn("&amp;", p.stdout)
        finally:
            os.unlink(f.name)

    def test_every_corpus_document(self):
        for kind, want in (("valid", 0), ("invalid", 1)):
            folder = os.path.join(CORPUS, kind)
            names = sorted(n for n in os.listdir(folder) if n.endswith(".xml"))
            self.assertGreaterEqual(len(names), 60)
            for name in names:
                with self.subTest(kind=kind, name=name):
                    doc, options, expects = corpus_document(os.path.join(folder, name))
                    p = run("ssml", "check", "-", *options, stdin=doc)
                    self.assertEqual(p.returncode, want, p.stdout)
                    if kind == "valid":
                        self.assertEqual(p.stdout, "")
                        continue
                    # The CLI says what the validator says: every message
                    # the corpus expects, on a line of its own with the place.
                    self.assertTrue(expects, f"{name} expects no message")
                    for fragment in expects:
                        self.assertIn(fragment, p.stdout)
                    for line in p.stdout.splitlines():
                        self.assertRegex(line, r"^-:\d+:\d+: ")

    def test_without_libxml2_says_what_to_install(self):
        # libxml2 is loaded when SSML is first checked (ssml/xmllib.c): where
        # it cannot be used, the check fails with the reason, never crashes
        # and never passes a document. The stand-in library has none of
        # libxml2's functions and is found first.
        folder = temp_dir("skillserver-noxml-")
        src = os.path.join(folder, "empty.c")
        with open(src, "w") as f:
            f.write("int skillserver_not_libxml2;\n")
        subprocess.run(["cc", "-shared", "-fPIC", "-o", os.path.join(folder, "libxml2.so.2"), src],
                       check=True)
        env = dict(os.environ, LD_LIBRARY_PATH=folder)
        p = subprocess.run([SKILLSERVER, "ssml", "check", "-"], input="<speak>Hello</speak>",
                           capture_output=True, text=True, env=env, timeout=60)
        assert_no_sanitizer_report(p.stderr, "ssml check without libxml2")
        self.assertGreater(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("(install libxml2)", p.stdout + p.stderr)

    def test_usage(self):
        self.assertEqual(run("ssml").returncode, 2)
        self.assertEqual(run("ssml", "validate").returncode, 2)
        p = run("ssml", "check", "/nonexistent.xml")
        self.assertEqual(p.returncode, 2)
        self.assertIn("/nonexistent.xml", p.stderr)


if __name__ == "__main__":
    unittest.main()
