"""A skill cannot hurt the server or the other skills: a runaway loop, 1.5 GiB
asked for in small steps, a fork bomb and an attempt to read the server's TLS
key are each answered in time with a valid response while another skill
keeps answering."""
import json
import os
import re
import shutil
import threading
import time
import unittest

from harness import SKILLS, TEST_SKILLS, Server, limit, make_endpoint_cert, sanitizers, temp_dir

MIB = 1024 * 1024

TIMEOUT_S = 4  # --handler-timeout for these tests (soft deadline at half)
# Past the deadline, how long a loaded machine may take to answer: generous,
# since the bound only has to catch a deadline that never fires.
SLACK_S = 60


def launch_body():
    with open(os.path.join(os.path.dirname(__file__), "..", "fixtures", "requests",
                           "launch.json"), "rb") as f:
        return f.read()


class Isolation(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = temp_dir("skillserver-isolation-")
        cls.tls = make_endpoint_cert(os.path.join(cls.tmp, "tls"))
        skills = os.path.join(cls.tmp, "skills")
        shutil.copytree(os.path.join(SKILLS, "thank_you"), os.path.join(skills, "thank_you"))
        for name in ("loops", "memory_hog", "fork_bomb"):
            shutil.copytree(os.path.join(TEST_SKILLS, name), os.path.join(skills, name))
        os.makedirs(os.path.join(skills, "reads_key"))
        with open(os.path.join(skills, "reads_key", "skill.py"), "w") as f:
            f.write("from skillkit import launch\n\n\n@launch\ndef welcome(req):\n"
                    "    try:\n"
                    f"        with open({cls.tls[1]!r}) as key:\n"
                    "            return 'I read the key: ' + key.read(40)\n"
                    "    except OSError:\n"
                    "        return 'The key is not mine to read.'\n")
        cls.srv = Server("--handler-timeout", str(TIMEOUT_S), skills=skills, tls=cls.tls)

    @classmethod
    def tearDownClass(cls):
        status = cls.srv.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        assert status == 0, f"serve exited with {status}"

    def launch(self, skill):
        start = time.monotonic()
        status, _, body = self.srv.request("POST", "/skills/" + skill, launch_body())
        return status, json.loads(body), time.monotonic() - start

    def assert_answered_while_others_work(self, skill):
        """skill gets a valid 200 in time, and thank_you answers meanwhile."""
        other = []

        def keep_asking():
            for _ in range(5):
                status, body, took = self.launch("thank_you")
                other.append((status, took, body))

        t = threading.Thread(target=keep_asking)
        t.start()
        status, body, took = self.launch(skill)
        t.join()
        self.assertEqual(status, 200, body)
        self.assertEqual(body["version"], "1.0")
        self.assertTrue(body["response"]["outputSpeech"]["text"])
        self.assertLess(took, TIMEOUT_S + SLACK_S, f"{skill} was answered after {took:.1f} s")
        for status, took, answer in other:
            self.assertEqual(status, 200)
            self.assertIn("thank you skill", answer["response"]["outputSpeech"]["text"])
        return body["response"]["outputSpeech"]["text"]

    def test_runaway_loop(self):
        text = self.assert_answered_while_others_work("loops")
        self.assertIn("took too long", text)

    def test_memory_limit(self):
        """The worker's address-space limit stops 1.5 GiB of 4 MiB steps with
        a MemoryError, near the limit and under it (CPython and its
        libraries take the rest)."""
        if "address" in sanitizers():
            self.skipTest("NOT APPLICABLE under ASan: the worker's 1 GiB address-space limit "
                          "(RLIMIT_AS in server/worker/sandbox.c) is compiled out, since ASan's "
                          "shadow memory reserves terabytes; the normal build tests it")
        text = self.assert_answered_while_others_work("memory_hog")
        m = re.fullmatch(r"MemoryError after (\d+) MiB\.", text)
        self.assertTrue(m, f"no MemoryError: {text!r}")
        got, cap = int(m.group(1)), limit("WORKER_MEMORY_BYTES") // MIB
        self.assertLess(got, cap, f"the skill got {got} MiB past a {cap} MiB limit")
        self.assertGreaterEqual(got, cap * 3 // 4,
                                f"the MemoryError came at {got} MiB, far below the {cap} MiB limit")

    def test_fork_bomb(self):
        text = self.assert_answered_while_others_work("fork_bomb")
        self.assertIn("fork: Operation not permitted", text)
        self.assertIn("subprocess: Operation not permitted", text)

    @unittest.skipUnless(os.geteuid() == 0, "workers drop privileges only when serve runs as root")
    def test_tls_key_is_out_of_reach(self):
        text = self.assert_answered_while_others_work("reads_key")
        self.assertEqual(text, "The key is not mine to read.")

    def test_server_still_healthy(self):
        status, _, body = self.srv.request("GET", "/healthz")
        self.assertEqual((status, body), (200, b"ok"))


if __name__ == "__main__":
    unittest.main()
