"""The log writer (skillkit/_output.py): a skill's prints and logging
records as one record per line, cut when too long, and what install() puts
in place inside a worker.

Run: python3 tests/taprun.py tests/unit/worker/test_skillkit_output.py
(SOURCE_ROOT may name the repository; otherwise it is found from this file.)
"""
import contextlib
import json
import logging
import sys
import types
import unittest

from skillkit_support import SkillDir, _output, _runner, testing


@contextlib.contextmanager
def fake_worker():
    """A `_skillserver` module as python.c provides it in a worker, whose log()
    appends to the list yielded; stdout, stderr, stdin, skillkit's writers and
    the root logger's handlers and level are put back afterwards."""
    records = []
    fake = types.ModuleType("_skillserver")
    fake.log = records.append
    root = logging.getLogger()
    saved = (sys.stdout, sys.stderr, sys.stdin, list(_output._writers), list(root.handlers),
             root.level)
    sys.modules["_skillserver"] = fake
    try:
        yield records
    finally:
        sys.stdout, sys.stderr, sys.stdin = saved[:3]
        _output._writers[:] = saved[3]
        root.handlers[:] = saved[4]
        root.setLevel(saved[5])
        del sys.modules["_skillserver"]


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
        with fake_worker() as records:
            self.assertTrue(_output.install())
            print("from print")
            sys.stderr.write("from stderr\n")
            logging.getLogger("skill").warning("from logging")
            print("partial", end="")
            _output.flush()
            with self.assertRaises(EOFError):
                input()
        self.assertEqual(records[:2], ["from print", "from stderr"])
        # Lambda's format, as CloudWatch shows it: level, UTC time, request id.
        self.assertRegex(records[2], r"^\[WARNING\]\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d"
                                     r"\.\d{3}Z\t[^\t]*\tfrom logging$")
        self.assertEqual(records[3:], ["partial"])

    def test_worker_load_and_handle_send_prints_to_the_log(self):
        skills = SkillDir()
        try:
            with fake_worker() as records:
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
            skills.cleanup()
        self.assertEqual(records[0], "loading")
        self.assertRegex(records[1], r"^\[INFO\]\t\S+Z\t(.*)\tinfo line$")
        self.assertEqual(records[1].split("\t")[2], result_request_id)
        self.assertEqual(records[2:], ["in handler"])


if __name__ == "__main__":
    unittest.main()
