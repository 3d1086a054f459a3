"""Run Python unittest modules and report each test in TAP for meson.

Usage: python3 taprun.py MODULE_FILE [MODULE_FILE ...]

Module and class fixtures (setUpModule, tearDownModule, setUpClass,
tearDownClass) run as under `python3 -m unittest`, and an error in one is a
"not ok" line of its own. A skipped test is "ok N - name # SKIP reason",
which tests/summary.py counts as a skip. Modules with no tests at all fail:
an empty run proves nothing.
"""
import importlib.util
import os
import sys
import traceback
import unittest


class TapResult(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.n = 0

    def _line(self, test, status, detail=None):
        self.n += 1
        print(f"{status} {self.n} - {test.id()}", flush=True)
        if detail:
            for line in detail.rstrip().splitlines():
                print(f"#   {line}", flush=True)

    def addSuccess(self, test):
        super().addSuccess(test)
        self._line(test, "ok")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._line(test, "not ok", "".join(traceback.format_exception(*err)))

    def addError(self, test, err):
        super().addError(test, err)
        self._line(test, "not ok", "".join(traceback.format_exception(*err)))

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self._line(subtest, "not ok", "".join(traceback.format_exception(*err)))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.n += 1
        print(f"ok {self.n} - {test.id()} # SKIP {reason}", flush=True)

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._line(test, "ok")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._line(test, "not ok", "unexpected success")


def main(paths):
    suite = unittest.TestSuite()
    loader = unittest.TestLoader()
    for path in paths:
        name = os.path.splitext(os.path.basename(path))[0]
        sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        # unittest finds a module's fixtures through sys.modules: without
        # this, setUpModule and tearDownModule would silently not run.
        sys.modules[name] = module
        spec.loader.exec_module(module)
        suite.addTests(loader.loadTestsFromModule(module))
    result = TapResult()
    if suite.countTestCases() == 0:
        print(f"not ok 1 - there are no tests in {' '.join(paths)}", flush=True)
        print("1..1", flush=True)
        return 1
    suite.run(result)
    print(f"1..{result.n}", flush=True)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
