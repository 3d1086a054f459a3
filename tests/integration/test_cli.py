"""The command line, the configuration file and SKILLSERVER_* variables,
end to end with the real binary: serve listens where the settings say
(loopback addresses 127.0.0.1, .2 and .3 tell the sources apart), the
command line wins over the environment, the environment over the file; a
mistake is named with its file and line, or with the closest real name."""
import os
import re
import signal
import subprocess
import unittest

from harness import SKILLS, SKILLSERVER, assert_no_sanitizer_report, run, temp_dir

LISTENING = re.compile(r"listening on (https?)://([0-9.]+):(\d+) ")


def write(folder, name, text):
    path = os.path.join(folder, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def clean_env(**extra):
    """The test's environment without SKILLSERVER_* settings, plus extra."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("SKILLSERVER_") or k == "SKILLSERVER_SANITIZE"}
    env.update(extra)
    return env


def serve_address(args, env, timeout=120):
    """Start serve with args and env, wait for its start-up line, stop it
    with SIGTERM; the (scheme, address) it listened on."""
    proc = subprocess.Popen([SKILLSERVER, "serve", *args], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True)
    lines = []
    try:
        for line in proc.stderr:
            lines.append(line)
            m = LISTENING.search(line)
            if m:
                return m.group(1), m.group(2)
        raise AssertionError("serve did not start:\n" + "".join(lines))
    finally:
        proc.send_signal(signal.SIGTERM)
        _, rest = proc.communicate(timeout=timeout)
        assert_no_sanitizer_report("".join(lines) + rest, "skillserver serve")


class Settings(unittest.TestCase):
    def setUp(self):
        self.dir = temp_dir("skillserver-cli-")
        self.data = os.path.join(self.dir, "data")
        self.conf = write(self.dir, "skillserver.conf",
                          "# what a service's file says\n"
                          "listen = 127.0.0.1:0\n"
                          "no-tls = true\n"
                          "no-verify = yes\n"
                          f"skills = {SKILLS}\n"
                          f"data = {self.data}\n"
                          "metrics-listen = 127.0.0.1:0\n")

    def test_the_file_alone(self):
        self.assertEqual(serve_address(["--config", self.conf], clean_env()),
                         ("http", "127.0.0.1"))

    def test_the_file_named_by_the_environment(self):
        env = clean_env(SKILLSERVER_CONFIG=self.conf)
        self.assertEqual(serve_address([], env), ("http", "127.0.0.1"))

    def test_the_environment_wins_over_the_file(self):
        env = clean_env(SKILLSERVER_CONFIG=self.conf, SKILLSERVER_LISTEN="127.0.0.2:0")
        self.assertEqual(serve_address([], env), ("http", "127.0.0.2"))

    def test_the_command_line_wins_over_both(self):
        env = clean_env(SKILLSERVER_LISTEN="127.0.0.2:0")
        self.assertEqual(serve_address(["--config", self.conf, "--listen", "127.0.0.3:0"], env),
                         ("http", "127.0.0.3"))

    def test_a_file_for_serve_serves_invoke_too(self):
        # listen, no-tls... are serve's: invoke leaves them, takes skills.
        p = subprocess.run([SKILLSERVER, "--config", self.conf, "request", "thank_you",
                            "ThankYouIntent"], capture_output=True, text=True, env=clean_env())
        self.assertEqual(p.returncode, 0, p.stderr)
        q = subprocess.run([SKILLSERVER, "invoke", "thank_you", "--config", self.conf],
                           input=p.stdout, capture_output=True, text=True, env=clean_env())
        self.assertEqual(q.returncode, 0, q.stderr)
        self.assertIn("welcome", q.stdout)

    def test_mistakes_in_the_file_name_file_and_line(self):
        bad = write(self.dir, "bad.conf", "listen = 127.0.0.1:0\n\nworkrs = 2\n")
        p = run("serve", "--config", bad)
        self.assertEqual(p.returncode, 2)
        self.assertIn(f"{bad}:3: 'workrs' is not a setting; did you mean workers?", p.stderr)
        p = run("serve", "--config", os.path.join(self.dir, "missing.conf"))
        self.assertEqual(p.returncode, 2)
        self.assertIn("cannot read the configuration file", p.stderr)

    def test_a_bad_value_in_the_environment(self):
        p = subprocess.run([SKILLSERVER, "serve"], capture_output=True, text=True,
                           env=clean_env(SKILLSERVER_WORKERS="many"))
        self.assertEqual(p.returncode, 2)
        self.assertIn("SKILLSERVER_WORKERS takes a number from 1 to", p.stderr)


class CommandLine(unittest.TestCase):
    def test_each_command_takes_its_own_options(self):
        p = run("invoke", "thank_you", "--user", "nobody")
        self.assertEqual(p.returncode, 2)
        self.assertIn("--user is an option of serve, not of invoke", p.stderr)
        p = run("ssml", "check", "--wav", "x.wav")
        self.assertIn("--wav is an option of say, not of ssml", p.stderr)
        p = run("sign", "--locale", "de-DE")
        self.assertIn("--locale is an option of request, ssml, model and say, not of sign",
                      p.stderr)

    def test_slips_get_the_closest_name(self):
        p = run("serve", "--listn", "127.0.0.1:0")
        self.assertEqual(p.returncode, 2)
        self.assertIn("unknown option '--listn'; did you mean --listen?", p.stderr)
        p = run("invok", "thank_you")
        self.assertEqual(p.returncode, 2)
        self.assertIn("'invok' is not a command; did you mean invoke?", p.stderr)

    def test_version_and_help_anywhere(self):
        for args in (["--version"], ["serve", "--version"], ["invoke", "thank_you", "--version"]):
            p = run(*args)
            self.assertEqual(p.returncode, 0, args)
            self.assertRegex(p.stdout, r"^skillserver \S+\n$")
        for args in (["say", "--help"], ["say", "hello", "--wav", "x", "--help"], ["help", "say"]):
            p = run(*args)
            self.assertEqual(p.returncode, 0, args)
            self.assertTrue(p.stdout.startswith("usage: skillserver say"), args)


if __name__ == "__main__":
    unittest.main()
