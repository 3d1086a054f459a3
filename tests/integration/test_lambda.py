"""skillserver lambda against a local Runtime API emulator.

tests/lambda_emulator.py plays AWS Lambda's side as the API's documentation
describes it; these tests start the real binary as a custom runtime on it
and check every POST it makes: the Alexa answers to a launch, an intent and
a session end, the spoken apology for a handler that raises, the timeout
answer before Lambda-Runtime-Deadline-Ms, invocation errors for a malformed
event and for another skill's, init errors for skills that do not load,
the handler named the Lambda way, persistent attributes with and without a
store, a Runtime API that misbehaves, and a hostile skill that looks for the
Runtime API and the function's AWS credentials.
"""
import copy
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest

from harness import FIXTURES, SKILLSERVER, assert_no_sanitizer_report, limit, temp_dir

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from lambda_emulator import RuntimeAPI  # noqa: E402
import pg_cluster  # noqa: E402

# tests/no_namespaces.c: a command run where new namespaces are refused.
NO_NAMESPACES = os.environ.get("NO_NAMESPACES", os.path.join(
    os.path.dirname(SKILLSERVER), "..", "tests", "no_namespaces"))

APP_ID = "amzn1.ask.skill.11111111-2222-3333-4444-555555555555"
OTHER_APP_ID = "amzn1.ask.skill.99999999-8888-7777-6666-555555555555"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AWS_SESSION_TOKEN": "FwoGZXIvYXdzEXAMPLETOKEN",
}

# The skill: every case in one file. The Runtime API's port is written in
# when the emulator is up; the probe runs at import and again per request.
SKILL_PY = '''
import os
import socket
import time

from skillkit import ask, intent, launch, session_ended

PORT = @PORT@
SECRETS = @SECRETS@


def probe():
    seen = sorted(k for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                              "AWS_SESSION_TOKEN", "AWS_LAMBDA_RUNTIME_API")
                  if k in os.environ)
    leaked = []
    for path in ("/proc/1/environ", "/proc/%d/environ" % os.getppid(),
                 "/proc/self/environ"):
        try:
            with open(path, "rb") as f:
                text = f.read()
        except OSError:
            continue
        leaked += [path for s in SECRETS if s.encode() in text]
    try:
        socket.create_connection(("127.0.0.1", PORT), timeout=1).close()
        net = "reached"
    except OSError as e:
        net = "blocked " + type(e).__name__
    return "env %s, leaked %s, api %s" % (",".join(seen) or "none",
                                           ",".join(leaked) or "none", net)


AT_IMPORT = probe()


@launch
def start(req):
    return ask("Welcome to the lambda test.", "Say count.")


@intent("CountIntent")
def count(req):
    req.persistent["n"] = req.persistent.get("n", 0) + 1
    return "Count %d." % req.persistent["n"]


@intent("BoomIntent")
def boom(req):
    raise RuntimeError("boom on purpose")


@intent("SlowIntent")
def slow(req):
    # Swallows the soft deadline too: only the hard one stops it.
    while True:
        try:
            time.sleep(0.05)
        except BaseException:
            pass


@intent("ProbeIntent")
def probe_intent(req):
    return "import: %s. request: %s. trace %s." % (
        AT_IMPORT, probe(), os.environ.get("_X_AMZN_TRACE_ID", "none"))


@session_ended
def ended(req):
    return None
'''


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return json.load(f)


def for_app(event, app_id=APP_ID):
    event = copy.deepcopy(event)
    event["context"]["System"]["application"]["applicationId"] = app_id
    if "session" in event:
        event["session"]["application"]["applicationId"] = app_id
    return event


def intent_event(name):
    event = for_app(fixture("intent_thank_you.json"))
    event["request"]["intent"] = {"name": name, "confirmationStatus": "NONE", "slots": {}}
    return event


def speech(post):
    return post.json["response"]["outputSpeech"].get("text") or \
        post.json["response"]["outputSpeech"].get("ssml")


class Runtime:
    """`skillserver lambda` on an emulator, stopped (and checked) at the end."""

    def __init__(self, test, api, skills, *args, env=None, address=None, prefix=()):
        self.api = api
        full = dict(os.environ)
        full.update(CREDENTIALS)
        full["AWS_LAMBDA_RUNTIME_API"] = address or api.address
        full.update(env or {})
        self.proc = subprocess.Popen([*prefix, SKILLSERVER, "--skills", skills, "lambda", *args],
                                     env=full, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.err = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        test.addCleanup(self.kill)

    def _read(self):
        for line in self.proc.stderr:
            self.err.append(line.decode("utf-8", "replace"))

    @property
    def log(self):
        return "".join(self.err)

    def wait(self, timeout=30):
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"skillserver lambda did not exit:\n{self.log}") from None
        self.reader.join(5)
        assert_no_sanitizer_report(self.log, "skillserver lambda")
        return rc

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        return self.wait()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


class LambdaCase(unittest.TestCase):
    def setUp(self):
        self.api = RuntimeAPI().start()
        self.addCleanup(self.api.close)
        self.skills = temp_dir("skillserver-lambda-")
        self.addCleanup(shutil.rmtree, self.skills, True)
        port = self.api.server.server_address[1]
        self.write("lambda_test/skill.py", SKILL_PY.replace("@PORT@", str(port)).replace(
            "@SECRETS@", repr(sorted(CREDENTIALS.values()))))
        self.write("lambda_test/skill.json", json.dumps({"applicationId": APP_ID}))

    def write(self, path, text):
        full = os.path.join(self.skills, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)

    def start(self, *args, **kw):
        return Runtime(self, self.api, self.skills, *args, **kw)

    def assert_clean(self):
        self.assertEqual(self.api.problems, [], "the emulator found bad POSTs")

    def assert_response(self, post):
        """A documented, accepted invocation response holding an Alexa response."""
        self.assertEqual(post.kind, "response", post)
        self.assertEqual(post.status, 202, post)
        self.assertEqual(post.headers.get("content-type"), "application/json")
        self.assertIsInstance(post.json, dict, post)
        self.assertEqual(post.json.get("version"), "1.0")
        self.assertIsInstance(post.json.get("response"), dict)

    def assert_error(self, post, error_type, *words):
        self.assertEqual(post.kind, "error", post)
        self.assertEqual(post.status, 202, post)
        self.assertEqual(post.json["errorType"], error_type, post)
        self.assertEqual(post.headers.get("lambda-runtime-function-error-type"), error_type)
        for w in words:
            self.assertIn(w, post.json["errorMessage"])


class Invocations(LambdaCase):
    def test_a_conversation_and_its_failures(self):
        rt = self.start("lambda_test")
        api = self.api

        # Launch, an intent, the session's end: the skill's own answers.
        launch = api.invoke(for_app(fixture("launch.json")))
        post = api.post_for(launch)
        self.assert_response(post)
        self.assertEqual(speech(post), "Welcome to the lambda test.")
        self.assertFalse(post.json["response"]["shouldEndSession"])

        count = api.invoke(intent_event("CountIntent"))
        post = api.post_for(count)
        self.assert_response(post)
        self.assertEqual(speech(post), "Count 1.")

        ended = api.invoke(for_app(fixture("session_ended_user.json")))
        post = api.post_for(ended)
        self.assert_response(post)
        self.assertNotIn("outputSpeech", post.json["response"])

        # A handler that raises: the spoken apology, as a normal response.
        boom = api.invoke(intent_event("BoomIntent"))
        post = api.post_for(boom)
        self.assert_response(post)
        self.assertIn("something went wrong", speech(post))

        # Past the deadline: the timeout answer arrives before it.
        started = time.time()
        slow = api.invoke(intent_event("SlowIntent"), timeout_ms=1500)
        post = api.post_for(slow)
        self.assert_response(post)
        self.assertIn("took too long", speech(post))
        deadline = api.invocations[slow].deadline_ms / 1000.0
        self.assertLess(post.at, deadline, "the answer came after Lambda's deadline")
        self.assertGreater(post.at - started, 0.5, "the skill was stopped long before its time")

        # The worker that was stopped is replaced: the next event is answered.
        again = api.invoke(intent_event("CountIntent"))
        self.assert_response(api.post_for(again))

        # Not JSON, JSON but not an Alexa request, another skill's request.
        bad = api.invoke(b"{this is not json")
        self.assert_error(api.post_for(bad), "Skillserver.InvalidEvent", "lambda_test")
        odd = api.invoke({"key1": "value1", "key2": "value2"})
        self.assert_error(api.post_for(odd), "Skillserver.InvalidEvent", "lambda_test")
        other = api.invoke(for_app(fixture("launch.json"), OTHER_APP_ID))
        self.assert_error(api.post_for(other), "Skillserver.WrongApplication", "applicationId")

        # Larger than any Alexa request may be.
        big = for_app(fixture("launch.json"))
        big["padding"] = "x" * (limit("BODY_BYTES") + 10)
        large = api.invoke(big)
        self.assert_error(api.post_for(large), "Skillserver.EventTooLarge")

        # The runtime keeps going after all of that.
        last = api.invoke(for_app(fixture("launch.json")))
        self.assert_response(api.post_for(last))
        api.wait_waiting()
        self.assertEqual(len(api.posts), 11)
        self.assert_clean()
        self.assertEqual(rt.stop(), 0, rt.log)
        self.assertIn("persistent attributes: off", rt.log)
        self.assertIn("persistent attributes not saved", rt.log)

    def test_a_hostile_skill_finds_no_api_and_no_credentials(self):
        rt = self.start("lambda_test")
        trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
        rid = self.api.invoke(intent_event("ProbeIntent"), trace_id=trace)
        post = self.api.post_for(rid)
        self.assert_response(post)
        said = speech(post)
        self.assertIn("import: env none, leaked none, api blocked", said)
        self.assertIn("request: env none, leaked none, api blocked", said)
        # The invocation's trace header reaches the skill, as on Lambda.
        self.assertIn("trace " + trace, said)
        self.assert_clean()
        self.assertEqual(rt.stop(), 0, rt.log)

    def test_share_network_gives_the_network_back(self):
        # The probe above can tell: with --share-network it reaches the API.
        rt = self.start("lambda_test", "--share-network")
        post = self.api.post_for(self.api.invoke(intent_event("ProbeIntent")))
        self.assertIn("request: env none, leaked none, api reached", speech(post))
        self.assertEqual(rt.stop(), 0, rt.log)
        self.assertIn("--share-network", rt.log)

    def test_as_an_ordinary_user(self):
        # Lambda runs a function as an ordinary user: the sandbox then has
        # only what a user namespace gives.
        if os.geteuid() != 0:
            self.skipTest("already an ordinary user: the other tests ran as one")
        user = pwd.getpwnam("nobody")
        for dirpath, dirnames, filenames in os.walk(self.skills):
            os.chmod(dirpath, 0o755)
            for name in filenames:
                os.chmod(os.path.join(dirpath, name), 0o644)
        rt = self.start("lambda_test", prefix=["setpriv", f"--reuid={user.pw_uid}",
                                               f"--regid={user.pw_gid}", "--clear-groups",
                                               "--"])
        post = self.api.post_for(self.api.invoke(intent_event("ProbeIntent")))
        self.assert_response(post)
        self.assertIn("import: env none, leaked none, api blocked", speech(post))
        self.assertIn("request: env none, leaked none, api blocked", speech(post))
        self.assert_response(self.api.post_for(self.api.invoke(intent_event("BoomIntent"))))
        self.assertEqual(rt.stop(), 0, rt.log)
        self.assert_clean()

    def refused_namespaces(self, prefix=()):
        # As on AWS Lambda (no user namespaces): the skill is confined with
        # its limits and filters only, the log says so, and the probe
        # honestly finds the network; credentials stay out of its reach.
        rt = self.start("lambda_test", prefix=[*prefix, NO_NAMESPACES])
        post = self.api.post_for(self.api.invoke(intent_event("ProbeIntent")))
        self.assert_response(post)
        self.assertIn("import: env none, leaked none, api reached", speech(post))
        self.assertIn("request: env none, leaked none, api reached", speech(post))
        self.assert_response(self.api.post_for(self.api.invoke(intent_event("BoomIntent"))))
        self.assertEqual(rt.stop(), 0, rt.log)
        self.assertIn("the kernel refuses the namespaces that confine a skill", rt.log)
        self.assertIn("as AWS Lambda does", rt.log)
        self.assert_clean()

    def test_where_the_kernel_refuses_namespaces(self):
        # Started as root, the skill runs as nobody: without a mount
        # namespace, it needs the folders readable on the way.
        os.chmod(self.skills, 0o755)
        self.refused_namespaces()

    def test_where_the_kernel_refuses_namespaces_to_an_ordinary_user(self):
        if os.geteuid() != 0:
            self.skipTest("already an ordinary user: the test above ran as one")
        user = pwd.getpwnam("nobody")
        for dirpath, dirnames, filenames in os.walk(self.skills):
            os.chmod(dirpath, 0o755)
            for name in filenames:
                os.chmod(os.path.join(dirpath, name), 0o644)
        self.refused_namespaces(["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}",
                                 "--clear-groups", "--"])

    def test_invoke_there_refuses_to_run_unconfined(self):
        # Only lambda confines without namespaces; invoke (and serve) refuse.
        p = subprocess.run([NO_NAMESPACES, SKILLSERVER, "--skills", self.skills, "invoke",
                            "lambda_test"], input=json.dumps(intent_event("BoomIntent")),
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("the kernel refused the namespaces that confine a skill", p.stderr)
        self.assertNotIn("system-call filter only", p.stderr)

    def test_attributes_are_kept_in_the_store_named(self):
        store = temp_dir("skillserver-lambda-store-")
        self.addCleanup(shutil.rmtree, store, True)
        rt = self.start("lambda_test", env={"SKILLSERVER_STORE": store})
        said = [speech(self.api.post_for(self.api.invoke(intent_event("CountIntent"))))
                for _ in range(3)]
        self.assertEqual(said, ["Count 1.", "Count 2.", "Count 3."])
        self.assertEqual(rt.stop(), 0, rt.log)
        self.assertIn("SQLite in " + store, rt.log)
        self.assert_clean()

    @unittest.skipIf(pg_cluster.missing_reason(), pg_cluster.missing_reason() or "")
    def test_attributes_are_kept_in_postgresql(self):
        with pg_cluster.Cluster() as pg:
            rt = self.start("lambda_test", env={"SKILLSERVER_STORE": pg.url})
            said = [speech(self.api.post_for(self.api.invoke(intent_event("CountIntent"))))
                    for _ in range(3)]
            self.assertEqual(said, ["Count 1.", "Count 2.", "Count 3."])
            self.assertEqual(rt.stop(), 0, rt.log)
            self.assertIn("persistent attributes: " + pg.url_without_password(), rt.log)
            self.assertNotIn(pg.password, rt.log)
            self.assert_clean()

    def test_a_database_that_does_not_answer(self):
        rt = self.start("lambda_test", "--store", "postgresql://ann:hunter22@127.0.0.1:1/skills")
        post = self.api.post_for(self.api.invoke(intent_event("CountIntent")))
        self.assert_response(post)
        self.assertEqual(speech(post), "Sorry, I can't answer right now. Please try again.")
        self.assertEqual(rt.stop(), 0, rt.log)
        self.assertIn("cannot reach the PostgreSQL database postgresql://ann@127.0.0.1:1/skills",
                      rt.log)
        self.assertNotIn("hunter22", rt.log)
        self.assert_clean()

    def test_the_handler_named_the_lambda_way(self):
        # A Lambda function folder as Lambda unpacks it: LAMBDA_TASK_ROOT
        # holds app.py, and _HANDLER names app.handler; no SKILL argument.
        task = os.path.join(self.skills, "task")
        # The function's region is where the skill runs, whatever its
        # settings say.
        self.write("task/app.py", (
            "import os\n"
            "def handler(event, context):\n"
            "    return {'version': '1.0', 'response': {'outputSpeech': {\n"
            "        'type': 'PlainText', 'text': 'Hello from ' + context.function_name +\n"
            "        ' in ' + os.environ['AWS_REGION'] + ' ' + os.environ['AWS_DEFAULT_REGION']}}}\n"))
        self.write("task/skill.json", json.dumps({"applicationId": APP_ID, "region": "us-east-1"}))
        rt = self.start(env={"_HANDLER": "app.handler", "LAMBDA_TASK_ROOT": task,
                             "AWS_LAMBDA_FUNCTION_NAME": "hello-fn", "AWS_REGION": "eu-central-1"})
        post = self.api.post_for(self.api.invoke(for_app(fixture("launch.json"))))
        self.assert_response(post)
        self.assertEqual(speech(post), "Hello from hello-fn in eu-central-1 eu-central-1")
        other = self.api.invoke(for_app(fixture("launch.json"), OTHER_APP_ID))
        self.assert_error(self.api.post_for(other), "Skillserver.WrongApplication")
        self.assertEqual(rt.stop(), 0, rt.log)
        self.assert_clean()

    def test_a_skill_folder_named_by_the_handler(self):
        rt = self.start(env={"_HANDLER": "lambda_test"})
        post = self.api.post_for(self.api.invoke(for_app(fixture("launch.json"))))
        self.assert_response(post)
        self.assertEqual(rt.stop(), 0, rt.log)
        self.assert_clean()


class InitErrors(LambdaCase):
    def init_error(self, *args, env=None):
        rt = self.start(*args, env=env)
        post = self.api.wait_posts(1)[0]
        self.assertEqual(rt.wait(), 1, rt.log)
        self.assertEqual(post.kind, "init_error", post)
        self.assertEqual(post.status, 202)
        self.assertEqual(self.api.next_calls, 0, "the runtime asked for work after failing")
        self.assertEqual(len(self.api.posts), 1)
        self.assert_clean()
        return post, rt

    def test_a_syntax_error_names_file_and_line(self):
        self.write("broken/skill.py", "from skillkit import launch\n\n\ndef oops(:\n    pass\n")
        post, rt = self.init_error("broken")
        self.assertEqual(post.json["errorType"], "Runtime.UserCodeSyntaxError")
        self.assertIn("skill.py:4", post.json["errorMessage"])
        self.assertIn("SyntaxError", post.json["errorMessage"])

    def test_an_import_that_fails(self):
        self.write("noimport/skill.py", "import no_such_module_anywhere\n")
        post, rt = self.init_error("noimport")
        self.assertEqual(post.json["errorType"], "Runtime.ImportModuleError")
        self.assertIn("skill.py:1", post.json["errorMessage"])
        self.assertIn("no_such_module_anywhere", post.json["errorMessage"])
        self.assertTrue(any("no_such_module_anywhere" in line
                            for line in post.json["stackTrace"]), post.json)

    def test_a_skill_that_is_not_there(self):
        post, rt = self.init_error("nothing_here")
        self.assertEqual(post.json["errorType"], "Skillserver.SkillNotFound")
        self.assertIn("nothing_here", post.json["errorMessage"])

    def test_a_skill_whose_settings_are_broken(self):
        self.write("badsettings/skill.py", "from skillkit import launch\n")
        self.write("badsettings/skill.json", '{"applicationId": 42}')
        post, rt = self.init_error("badsettings")
        self.assertEqual(post.json["errorType"], "Skillserver.SkillConfigError")
        self.assertIn("skill.json", post.json["errorMessage"])

    def test_a_handler_whose_module_is_missing(self):
        task = os.path.join(self.skills, "empty_task")
        os.makedirs(task)
        post, rt = self.init_error(env={"_HANDLER": "app.handler", "LAMBDA_TASK_ROOT": task})
        self.assertEqual(post.json["errorType"], "Runtime.HandlerNotFound")
        self.assertIn("app.py", post.json["errorMessage"])

    def test_a_database_skillserver_cannot_use(self):
        post, rt = self.init_error("lambda_test", "--store", "mysql://ann:hunter22@db/skills")
        self.assertEqual(post.json["errorType"], "Skillserver.StoreUnavailable")
        self.assertIn("mysql:// URL", post.json["errorMessage"])
        self.assertNotIn("hunter22", post.json["errorMessage"] + rt.log)


class BrokenRuntimeAPI(LambdaCase):
    """A Runtime API that refuses, sends garbage or fails: a clear message, a
    bounded number of tries, a non-zero exit, never a crash or a hang."""

    def test_nothing_listening(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            closed = f"127.0.0.1:{s.getsockname()[1]}"
        rt = self.start("lambda_test", address=closed)
        self.assertEqual(rt.wait(), 1, rt.log)
        self.assertIn("cannot connect to the Runtime API", rt.log)

    def test_garbage_every_time(self):
        tries = limit("LAMBDA_TRIES")
        self.api.faults = ["garbage"] * (tries + 5)
        rt = self.start("lambda_test")
        self.assertEqual(rt.wait(), 1, rt.log)
        self.assertIn("not valid HTTP", rt.log)
        self.assertIn(f"gave up after {tries} tries", rt.log)
        self.assertEqual(self.api.next_calls, tries)

    def test_a_500_stops_the_runtime_at_once(self):
        self.api.faults = ["500"]
        rt = self.start("lambda_test")
        self.assertEqual(rt.wait(), 1, rt.log)
        self.assertIn("answered 500", rt.log)
        self.assertEqual(self.api.next_calls, 1)

    def test_a_passing_failure_is_retried(self):
        self.api.faults = ["refuse", "garbage", "503"]
        rt = self.start("lambda_test")
        post = self.api.post_for(self.api.invoke(for_app(fixture("launch.json"))))
        self.assert_response(post)
        self.assertEqual(rt.stop(), 0, rt.log)
        self.assertIn("trying again", rt.log)
        self.assert_clean()

    def test_no_runtime_api_address(self):
        env = dict(os.environ)
        env.pop("AWS_LAMBDA_RUNTIME_API", None)
        p = subprocess.run([SKILLSERVER, "--skills", self.skills, "lambda", "lambda_test"],
                           env=env, capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("AWS_LAMBDA_RUNTIME_API is not set", p.stderr)
        for bad in ("localhost:port", "::1:9001", "[::1", "host:70000", ""):
            env["AWS_LAMBDA_RUNTIME_API"] = bad
            p = subprocess.run([SKILLSERVER, "--skills", self.skills, "lambda", "lambda_test"],
                               env=env, capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 2, (bad, p.stderr))

    def test_help(self):
        p = subprocess.run([SKILLSERVER, "lambda", "--help"], capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(p.returncode, 0)
        self.assertIn("AWS_LAMBDA_RUNTIME_API", p.stdout)
        self.assertIn("_HANDLER", p.stdout)


if __name__ == "__main__":
    unittest.main()
