"""A module whose fixtures tests/taprun.py must run: setUpModule sets a flag
the test checks, and tearDownModule fails."""
import unittest

READY = []


def setUpModule():
    READY.append(True)


def tearDownModule():
    raise AssertionError("planted failure in tearDownModule")


class Fixture(unittest.TestCase):
    def test_setupmodule_ran(self):
        self.assertEqual(READY, [True])
