"""skillserver invoke and request, end to end: the real binary, real worker
processes, the bundled skills and the misbehaving test skills."""
import json
import os
import re
import shutil
import subprocess
import time
import unittest

from harness import (FIXTURES, SKILLS, SKILLSERVER, SOURCE_ROOT, TEST_SKILLS, bundled_skills,
                     copy_skills, fixtures, load_json, run, temp_dir)

GOLDEN = os.path.join(SOURCE_ROOT, "tests", "data", "invoke")
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


class BundledSkillsAnswerEveryFixture(unittest.TestCase):
    """Every canned request type, through every bundled skill, compared with
    the expected response kept in tests/data/invoke/SKILL/FIXTURE."""

    def test_every_fixture(self):
        skills = bundled_skills()
        self.assertGreaterEqual(len(skills), 3)
        names = fixtures()
        self.assertGreaterEqual(len(names), 20)
        rewritten = []
        for skill in skills:
            for name in names:
                with self.subTest(skill=skill, fixture=name):
                    p = run("invoke", skill, os.path.join(FIXTURES, name))
                    self.assertEqual(p.returncode, 0, p.stderr)
                    got = load_json(p.stdout)
                    path = os.path.join(GOLDEN, skill, name)
                    want = None
                    if os.path.exists(path) or not UPDATE:
                        with open(path) as f:
                            want = json.load(f)
                    if UPDATE and got != want:
                        os.makedirs(os.path.dirname(path), exist_ok=True)
                        with open(path, "w") as f:
                            json.dump(got, f, indent=2)
                            f.write("\n")
                        rewritten.append(os.path.relpath(path, SOURCE_ROOT))
                        continue
                    self.assertEqual(got, want)
        # Rewriting expectations is never a pass: the new files are for a
        # person to review (git diff) before the next run compares them.
        self.assertEqual(rewritten, [], "UPDATE_GOLDEN=1 rewrote these; review them and run "
                                        "again without it")


class ThankYou(unittest.TestCase):
    def test_request_pipes_into_invoke(self):
        req = run("request", "thank_you", "ThankYouIntent", "name=Sam")
        self.assertEqual(req.returncode, 0, req.stderr)
        body = load_json(req.stdout)
        self.assertEqual(body["request"]["intent"]["slots"]["name"]["value"], "Sam")
        self.assertTrue(body["request"]["requestId"].startswith("amzn1.echo-api.request."))
        p = run("invoke", "thank_you", "-", stdin=req.stdout)
        self.assertEqual(p.returncode, 0, p.stderr)
        speech = load_json(p.stdout)["response"]["outputSpeech"]
        self.assertIn("Sam", json.dumps(speech))
        self.assertTrue(load_json(p.stdout)["response"]["shouldEndSession"])

    def test_launch_keeps_the_session_open(self):
        req = run("request", "thank_you", "--launch")
        self.assertEqual(req.returncode, 0, req.stderr)
        self.assertEqual(load_json(req.stdout)["request"]["type"], "LaunchRequest")
        p = run("invoke", "thank_you", stdin=req.stdout)
        out = load_json(p.stdout)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIs(out["response"]["shouldEndSession"], False)
        self.assertIn("reprompt", out["response"])

    def test_end_request(self):
        req = run("request", "thank_you", "--end")
        self.assertEqual(load_json(req.stdout)["request"]["type"], "SessionEndedRequest")
        p = run("invoke", "thank_you", stdin=req.stdout)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(load_json(p.stdout), {"version": "1.0", "response": {}})

    def test_request_fills_unfilled_slots_from_the_model(self):
        req = run("request", "thank_you", "ThankYouIntent")
        slots = load_json(req.stdout)["request"]["intent"]["slots"]
        self.assertEqual(slots["name"], {"name": "name", "confirmationStatus": "NONE"})

    def test_request_rejects_unknown_slot_and_intent(self):
        p = run("request", "thank_you", "ThankYouIntent", "nam=Sam")
        self.assertEqual(p.returncode, 2)
        self.assertIn("no slot called 'nam'", p.stderr)
        self.assertIn("name", p.stderr)
        p = run("request", "thank_you", "ThankYouIntnet")
        self.assertEqual(p.returncode, 2)
        self.assertIn("ThankYouIntent", p.stderr)

    def test_skills_option_before_or_after_the_subcommand(self):
        req = run("request", "thank_you", "--launch").stdout
        a = run("--skills", os.path.join(SOURCE_ROOT, "skills"), "invoke", "thank_you", stdin=req)
        b = run("invoke", "thank_you", "--skills", os.path.join(SOURCE_ROOT, "skills"), stdin=req)
        self.assertEqual(a.returncode, 0, a.stderr)
        self.assertEqual(a.stdout, b.stdout)

    def test_compact_output_is_one_line(self):
        req = run("request", "thank_you", "--launch").stdout
        p = run("invoke", "thank_you", "--compact", stdin=req)
        self.assertEqual(p.stdout.count("\n"), 1)


class Usage(unittest.TestCase):
    def test_help_on_every_subcommand(self):
        for cmd in ("invoke", "request", "ssml"):
            p = run(cmd, "--help")
            self.assertEqual(p.returncode, 0)
            self.assertIn("usage: skillserver " + cmd, p.stdout)
        p = run("--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn("invoke", p.stdout)

    def test_no_command(self):
        self.assertEqual(run().returncode, 2)

    def test_unknown_command_and_option(self):
        self.assertEqual(run("fly").returncode, 2)
        p = run("invoke", "thank_you", "--fast")
        self.assertEqual(p.returncode, 2)
        self.assertIn("unknown option '--fast'", p.stderr)

    def test_unknown_skill_lists_the_skills(self):
        p = run("invoke", "thank_yu", os.path.join(FIXTURES, "launch.json"))
        self.assertEqual(p.returncode, 2)
        self.assertIn("no skill called 'thank_yu'", p.stderr)
        self.assertIn("thank_you", p.stderr)

    def test_malformed_request_names_line_and_column(self):
        p = run("invoke", "thank_you", "-", stdin='{"version": "1.0",\n  "request": }')
        self.assertEqual(p.returncode, 2)
        self.assertIn("2", p.stderr)
        self.assertEqual(p.stdout, "")

    def test_missing_request_member(self):
        p = run("invoke", "thank_you", "-", stdin='{"version": "1.0", "context": {}}')
        self.assertEqual(p.returncode, 2)
        self.assertIn("request", p.stderr)

    def test_missing_file(self):
        p = run("invoke", "thank_you", "/nonexistent/request.json")
        self.assertEqual(p.returncode, 2)
        self.assertIn("/nonexistent/request.json", p.stderr)

    def test_bad_timeout(self):
        p = run("invoke", "thank_you", "--handler-timeout", "soon")
        self.assertEqual(p.returncode, 2)
        self.assertIn("--handler-timeout", p.stderr)


def launch_request():
    with open(os.path.join(FIXTURES, "launch.json")) as f:
        return f.read()


def intent_request(name="ThankYouIntent"):
    p = run("request", "thank_you", name)
    return p.stdout


#: A skill that says where its skillkit came from: the loader of each
#: skillkit module it names, the file, the code's file name, and whether a
#: traceback through skillkit reads its lines.
PROBE = """
import sys
import linecache
import skillkit
from skillkit import launch, tell


@launch
def where(req):
    from skillkit import _runner, errors
    out = {}
    for module in (skillkit, _runner, errors):
        out[module.__name__] = [type(module.__spec__.loader).__name__, module.__file__,
                                getattr(module, "__cached__", None)]
    out["path"] = list(skillkit.__path__)
    out["code"] = _runner.handle.__code__.co_filename
    out["line"] = linecache.getline(_runner.handle.__code__.co_filename,
                                    _runner.handle.__code__.co_firstlineno)
    out["probe"] = hasattr(errors, "BUNDLE_PROBE")
    return tell(repr(out))
"""


def probe_skill(parent):
    """skills/probe under parent, with PROBE as its skill.py."""
    os.makedirs(os.path.join(parent, "probe"))
    with open(os.path.join(parent, "probe", "skill.py"), "w") as f:
        f.write(PROBE)
    return parent


def probe(prefix=(), skills=None, data=None):
    """What the probe skill says, as a dict."""
    import ast
    p = subprocess.run([*prefix, SKILLSERVER, "--skills", skills, "--data", data, "invoke",
                        "probe"], input=launch_request(), capture_output=True, text=True,
                       timeout=120)
    if p.returncode != 0:
        raise AssertionError(p.stderr)
    return ast.literal_eval(load_json(p.stdout)["response"]["outputSpeech"]["text"])


class SkillkitFromTheWorker(unittest.TestCase):
    """The worker carries skillkit's bytecode (server/worker/skillkit_bundle.py)
    and imports it from memory: the modules must look as if read from their
    files, and an edited file must win over the bytecode."""

    def test_modules_come_from_the_bundle_with_their_files_names(self):
        folder = temp_dir("skillserver-probe-")
        said = probe(skills=probe_skill(folder), data=folder)
        package = os.path.join(SOURCE_ROOT, "server", "worker", "skillkit")
        for name, file in (("skillkit", "__init__"), ("skillkit._runner", "_runner"),
                           ("skillkit.errors", "errors")):
            loader, path, cached = said[name]
            self.assertEqual(loader, "BundleFinder", name)
            self.assertEqual(path, os.path.join(package, file + ".py"))
            self.assertEqual(cached, os.path.join(package, "__pycache__",
                                                  file + ".cpython-311.pyc"))
        self.assertEqual(said["path"], [package])
        self.assertEqual(said["code"], os.path.join(package, "_runner.py"))
        self.assertEqual(said["line"].strip(), "def handle(message: str) -> str:")
        self.assertFalse(said["probe"])


def write_skill(source):
    """A skills folder in a fresh temporary folder with source as skills/s/skill.py."""
    folder = temp_dir("skillserver-skill-")
    os.makedirs(os.path.join(folder, "s"))
    with open(os.path.join(folder, "s", "skill.py"), "w") as f:
        f.write(source)
    return folder


def invoke_folder(folder):
    """invoke of the skill s in folder (write_skill) on a launch request."""
    return subprocess.run([SKILLSERVER, "--skills", folder, "--data", folder, "invoke", "s"],
                          input=launch_request(), capture_output=True, text=True, timeout=120)


class OneRequestOneProcess(unittest.TestCase):
    """invoke answers its one request in the zygote itself, with no worker
    forked for it; the zygote is PID 2 of the skill's namespace, below a
    small init (server/worker/sandbox.h), so that its signals to itself act
    as they do anywhere else."""

    def said(self, source):
        """The Python value whose repr the skill of source says to a launch."""
        import ast
        p = invoke_folder(write_skill(source))
        self.assertEqual(p.returncode, 0, p.stderr)
        return ast.literal_eval(load_json(p.stdout)["response"]["outputSpeech"]["text"])

    def test_the_request_runs_in_the_process_that_imported_the_skill(self):
        (pid, ppid, threads), at_request = self.said(
            "import os\n"
            "from skillkit import launch, tell\n"
            "AT_IMPORT = (os.getpid(), os.getppid(), len(os.listdir('/proc/self/task')))\n"
            "@launch\n"
            "def hi(req):\n"
            "    return tell(repr([AT_IMPORT, (os.getpid(), os.getppid())]))\n")
        # The zygote is not PID 1 but the child of the namespace's init (PID
        # 2 natively; qemu-user's fork takes a number more).
        self.assertNotEqual(pid, 1)
        self.assertEqual(ppid, 1, "the zygote is the init's child")
        if os.environ.get("SKILLSERVER_ALLOW_NO_SECCOMP"):
            # Under qemu-user (tests/arm64/run.sh) the emulator keeps a
            # thread of its own in every process, so the zygote forks.
            self.assertEqual(at_request == (pid, ppid), threads == 1)
        else:
            self.assertEqual(threads, 1)
            self.assertEqual(at_request, (pid, ppid))

    def test_a_thread_from_import_means_a_forked_worker(self):
        # The worker's filter (no new processes) would cover only the thread
        # that loads it: a zygote running a thread of the skill's forks a
        # worker, which has none of them.
        at_import, at_request, threads = self.said(
            "import os, threading\n"
            "from skillkit import launch, tell\n"
            "AT_IMPORT = os.getpid()\n"
            "threading.Thread(target=threading.Event().wait, daemon=True).start()\n"
            "@launch\n"
            "def hi(req):\n"
            "    return tell(repr([AT_IMPORT, os.getpid(), threading.active_count()]))\n")
        self.assertNotEqual(at_import, at_request)
        self.assertEqual(threads, 1)

    def signals_itself(self, where):
        """A skill that sends itself SIGTERM at import or in its handler."""
        kill = "os.kill(os.getpid(), signal.SIGTERM)\n"
        return write_skill(
            "import os, signal\n" + (kill if where == "import" else "") +
            "from skillkit import launch\n"
            "@launch\n"
            "def hi(req):\n" + ("    " + kill if where == "handler" else "") +
            "    return 'still here'\n")

    def test_a_skill_that_signals_itself_on_import_ends(self):
        # As PID 1 of its namespace the zygote would ignore its own SIGTERM
        # and go on loading.
        p = invoke_folder(self.signals_itself("import"))
        self.assertNotIn("still here", p.stdout)
        self.assertIn("killed by signal 15", p.stderr)

    def test_a_worker_that_signals_itself_ends_and_says_how(self):
        p = invoke_folder(self.signals_itself("handler"))
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertNotIn("still here", p.stdout)
        self.assertIn("killed by signal 15", p.stderr)


class TheWorkersEnd(unittest.TestCase):
    """invoke ends once its worker has finished by itself (the skill's
    threads, its atexit functions, its last prints), without waiting for the
    kernel to take the skill's processes down (process_finish(),
    server/worker/process.h). What the skill prints while it finishes is
    shown; a skill that does not finish cannot hold the command."""

    def invoke(self, source):
        folder = write_skill(source)
        t0 = time.monotonic()
        p = invoke_folder(folder)
        return p, time.monotonic() - t0, folder

    def assert_answered(self, p):
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(load_json(p.stdout)["response"]["outputSpeech"]["text"], "hi")

    def test_what_it_prints_after_answering_is_shown(self):
        p, _, _ = self.invoke(
            "import atexit, os, threading, time\n"
            "from skillkit import launch, tell\n"
            "def bye():\n"
            "    print('printed at exit')\n"
            "    os.write(2, b'written at exit\\n')\n"
            "atexit.register(bye)\n"
            "def later():\n"
            "    time.sleep(0.2)\n"
            "    print('printed by a thread')\n"
            "    os.write(1, b'written by a thread\\n')\n"
            "@launch\n"
            "def hi(req):\n"
            "    threading.Thread(target=later).start()\n"
            "    return tell('hi')\n")
        self.assert_answered(p)
        for line in ("printed at exit", "written at exit", "printed by a thread",
                     "written by a thread"):
            self.assertIn(line, p.stderr[-2000:])

    def test_a_skill_that_never_finishes_is_stopped(self):
        p, took, _ = self.invoke(
            "import atexit, threading, time\n"
            "from skillkit import launch, tell\n"
            "atexit.register(time.sleep, 600)\n"
            "@launch\n"
            "def hi(req):\n"
            "    threading.Thread(target=time.sleep, args=(600,)).start()\n"
            "    return tell('hi')\n")
        self.assert_answered(p)
        self.assertLess(took, 30, "the worker's end is limited (LIMIT_WORKER_FINISH_MS)")

    def test_printing_without_end_at_exit_is_cut_off(self):
        p, took, _ = self.invoke(
            "import atexit, os\n"
            "from skillkit import launch, tell\n"
            "def flood():\n"
            "    while True:\n"
            "        print('x' * 1000)\n"
            "        os.write(2, b'y' * 1000 + b'\\n')\n"
            "atexit.register(flood)\n"
            "@launch\n"
            "def hi(req):\n"
            "    return tell('hi')\n")
        self.assert_answered(p)
        self.assertLess(took, 30)
        self.assertTrue("x" * 1000 in p.stderr, "a line printed at exit is shown")
        self.assertLess(len(p.stderr), 1024 * 1024, "what is shown of a flood is bounded")

    def test_nothing_of_the_skill_outlives_the_command_for_long(self):
        # The skill's processes end after the command has (their memory
        # handed back), but they end: a thread of the skill's that would run
        # on does not keep them.
        p, _, folder = self.invoke(
            "import threading, time\n"
            "from skillkit import launch, tell\n"
            "@launch\n"
            "def hi(req):\n"
            "    threading.Thread(target=time.sleep, args=(600,), daemon=True).start()\n"
            "    return tell('hi')\n")
        self.assert_answered(p)
        script = os.path.join(folder, "s", "skill.py").encode()
        deadline = time.monotonic() + 5
        while True:
            left = []
            for pid in os.listdir("/proc"):
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        if script in f.read():
                            left.append(pid)
                except OSError:
                    pass
            if not left or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        self.assertEqual(left, [], "processes of the skill still running 5 s after invoke")


class MisbehavingSkills(unittest.TestCase):
    """A failing skill still gets Alexa a valid response; invoke exits 1 and
    says why on stderr."""

    def invoke(self, skill, body=None, *extra):
        return run("--skills", TEST_SKILLS, "invoke", skill, *extra,
                   stdin=body if body is not None else launch_request())

    def assert_apology(self, p):
        self.assertEqual(p.returncode, 1, p.stderr)
        out = load_json(p.stdout)
        self.assertEqual(out["version"], "1.0")
        speech = out["response"]["outputSpeech"]
        self.assertEqual(speech["type"], "PlainText")
        self.assertTrue(speech["text"])
        return speech["text"]

    def test_exception_names_file_and_line(self):
        p = self.invoke("raises", intent_request())
        text = self.assert_apology(p)
        self.assertIn("Sorry", text)
        self.assertIn("skill.py:11", p.stderr)
        self.assertIn("NameError", p.stderr)
        # The sentence --dev speaks, for the author reading the terminal.
        self.assertIn("There is a NameError in raises, line 11: name 'nme' is not defined.",
                      p.stderr)

    def test_dev_speaks_the_error(self):
        p = self.invoke("raises", intent_request(), "--dev")
        text = self.assert_apology(p)
        self.assertIn("NameError", text)
        self.assertIn("11", text)
        self.assertEqual(p.stderr.count("There is a NameError"), 0, "spoken, not logged again")

    def test_syntax_error(self):
        p = self.invoke("syntax_error")
        self.assert_apology(p)
        self.assertIn("skill.py:4", p.stderr)
        self.assertIn("SyntaxError", p.stderr)

    def test_import_error(self):
        p = self.invoke("import_error")
        self.assert_apology(p)
        self.assertIn("no_such_module_for_skillserver_tests", p.stderr)

    def test_no_handlers(self):
        p = self.invoke("no_handlers")
        self.assert_apology(p)
        self.assertIn("no_handlers", p.stderr)

    def test_soft_deadline_names_the_running_line(self):
        start = time.monotonic()
        # The soft deadline comes at half the handler timeout: 2 s leave a
        # loaded machine time to raise it before the hard deadline kills.
        p = self.invoke("loops", None, "--handler-timeout", "4", "--dev")
        # Generous: it only has to catch a deadline that never fires.
        self.assertLess(time.monotonic() - start, 60)
        text = self.assert_apology(p)
        self.assertIn("line 6", text)

    def test_a_cold_start_does_not_eat_the_deadline(self):
        # The deadlines count from when the skill is ready: a slow import
        # (1.5 s here) leaves the handler its whole soft deadline (1 s).
        p = self.invoke("slow_start", None, "--handler-timeout", "2")
        self.assertEqual(p.returncode, 0, p.stderr)
        left = int(load_json(p.stdout)["response"]["outputSpeech"]["text"])
        self.assertGreater(left, 500, "the cold start ate into the soft deadline")
        self.assertLessEqual(left, 1000)

    def test_a_loop_at_import_is_stopped_by_the_load_limit(self):
        start = time.monotonic()
        p = self.invoke("loops_on_import", None, "--dev")
        self.assertLess(time.monotonic() - start, 60)
        text = self.assert_apology(p)
        self.assertIn("took too long to load", text)
        self.assertIn("still loading after 5 seconds", p.stderr)

    def test_a_start_that_never_ends_is_stopped_once(self):
        # The start limit (LIMIT_WORKER_START_MS, 10 s) stops the zygote;
        # invoke answers with that failure rather than starting it again.
        start = time.monotonic()
        p = self.invoke("blocks_alarm_on_import")
        elapsed = time.monotonic() - start
        self.assert_apology(p)
        self.assertIn("did not start", p.stderr)
        self.assertLess(elapsed, 19, "the skill was started twice")

    def test_soft_deadline_is_not_swallowed_by_except_exception(self):
        p = self.invoke("loops", intent_request(), "--handler-timeout", "4")
        self.assert_apology(p)
        self.assertNotIn("caught it", p.stdout)

    def test_hard_deadline_kills_the_worker(self):
        start = time.monotonic()
        p = self.invoke("blocks_alarm", None, "--handler-timeout", "1")
        elapsed = time.monotonic() - start
        self.assert_apology(p)
        self.assertIn("did not answer within 1000 ms", p.stderr)
        self.assertLess(elapsed, 60)

    def test_crash_is_answered(self):
        p = self.invoke("crashes")
        self.assert_apology(p)
        self.assertIn("signal 11", p.stderr)

    def test_wrong_return_types(self):
        for skill, words in (("returns_number", "42"), ("returns_none", "returned nothing"),
                             ("lambda_bad", "lambda_handler")):
            with self.subTest(skill=skill):
                p = self.invoke(skill, None, "--dev")
                text = self.assert_apology(p)
                self.assertIn(words, text + p.stderr)

    def test_invalid_ssml_is_never_sent(self):
        p = self.invoke("bad_ssml")
        self.assert_apology(p)
        self.assertNotIn("<break", p.stdout)
        self.assertIn("SSML", p.stderr)

    def test_speech_over_the_limit(self):
        p = self.invoke("too_long")
        self.assert_apology(p)
        self.assertIn("8000", p.stderr)

    def test_prints_go_to_stderr_with_the_skill_name(self):
        p = self.invoke("prints")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("[prints", p.stderr)
        self.assertIn("printed by the skill", p.stderr)
        self.assertIn("to stderr too", p.stderr)
        self.assertNotIn("printed by the skill", p.stdout)
        load_json(p.stdout)

    def test_persistent_attributes_survive_between_runs(self):
        data = temp_dir("skillserver-test-")
        try:
            for n in (1, 2, 3):
                p = run("--skills", TEST_SKILLS, "invoke", "persistent", stdin=launch_request(),
                        data=data)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertIn(f"Visit number {n}.", p.stdout)
        finally:
            shutil.rmtree(data)

    def test_application_id_must_match(self):
        p = self.invoke("appid")
        self.assertEqual(p.returncode, 2)
        self.assertIn("amzn1.ask.skill.11111111", p.stderr)
        ok = launch_request().replace("amzn1.ask.skill.00000000-0000-0000-0000-000000000000",
                                      "amzn1.ask.skill.11111111-1111-1111-1111-111111111111")
        p = self.invoke("appid", ok)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("right application", p.stdout)


APPID = "amzn1.ask.skill.11111111-1111-1111-1111-111111111111"  # tests/data/skills/appid
OTHER = "amzn1.ask.skill.22222222-2222-2222-2222-222222222222"


def launch_for(context_id, session_id):
    """The launch fixture naming context_id in context.System.application and
    session_id in session.application (None: no session at all)."""
    doc = json.loads(launch_request())
    doc["context"]["System"]["application"]["applicationId"] = context_id
    if session_id is None:
        del doc["session"]
    else:
        doc["session"]["application"]["applicationId"] = session_id
    return json.dumps(doc)


class ApplicationId(unittest.TestCase):
    """The applicationId rule (server/verify/verify.h) holds for invoke and
    say as it does for serve: both ids of a request must be the skill's
    configured one, and a skill without one takes any."""

    def invoke(self, skill, body, skills=TEST_SKILLS):
        return run("--skills", skills, "invoke", skill, stdin=body)

    def assert_refused(self, p, *words):
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertEqual(p.stdout, "", "a refused request reached the skill")
        for word in words:
            self.assertIn(word, p.stderr)

    def test_both_ids_the_skills(self):
        p = self.invoke("appid", launch_for(APPID, APPID))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("right application", p.stdout)

    def test_session_naming_another_skill_is_refused(self):
        p = self.invoke("appid", launch_for(APPID, OTHER))
        self.assert_refused(p, APPID, OTHER, "appid", "session.application.applicationId")

    def test_context_naming_another_skill_is_refused(self):
        p = self.invoke("appid", launch_for(OTHER, OTHER))
        self.assert_refused(p, APPID, OTHER, "appid", "skill.json")
        p = self.invoke("appid", launch_for(OTHER, APPID))
        self.assert_refused(p, APPID, OTHER)

    def test_without_a_session_the_context_decides(self):
        p = self.invoke("appid", launch_for(APPID, None))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("right application", p.stdout)
        self.assert_refused(self.invoke("appid", launch_for(OTHER, None)), OTHER)

    def test_a_skill_without_an_id_takes_any(self):
        p = self.invoke("thank_you", launch_for(APPID, OTHER), skills=SKILLS)
        self.assertEqual(p.returncode, 0, p.stderr)
        load_json(p.stdout)

    def test_say_sends_the_skills_own_id(self):
        p = run("--skills", TEST_SKILLS, "say", "--skill", "appid", "--show", "open appid")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("right application", p.stdout)
        self.assertIn(APPID, p.stdout + p.stderr)


class SystemPackages(unittest.TestCase):
    """The worker starts Python without site (it costs every zygote start),
    yet Debian's packages are found as python3 finds them: by the first
    import that nothing else satisfies, and by importlib.metadata."""

    def test_a_skill_imports_debians_packages(self):
        p = run("--skills", TEST_SKILLS, "invoke", "system_packages", stdin=intent_request())
        self.assertEqual(p.returncode, 0, p.stderr)
        text = load_json(p.stdout)["response"]["outputSpeech"]["text"]
        self.assertRegex(text, r"^site at start False, meson \d+\.\d+\S* from "
                               r"/usr/lib/python3/dist-packages$")


class StartsLight(unittest.TestCase):
    """The commands other than serve start without the libraries only serve
    needs, and the front never has Python in it: the dynamic loader's work
    at every start is most of what invoke costs before the skill runs."""

    def needed(self, path):
        p = subprocess.run(["readelf", "-d", path], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", p.stdout)

    def test_the_front_links_no_http_tls_curl_python_libpq_or_libxml2(self):
        needed = self.needed(SKILLSERVER)
        self.assertIn("libjansson.so.4", needed)
        # libxml2 would bring ICU, libstdc++, zlib and liblzma into every
        # start; ssml/xmllib.c loads it when SSML is first checked.
        # libcrypto's relocations alone cost every start about 1 ms;
        # verify/crypto_lib.c loads it for the commands that verify or sign.
        for lib in ("libmicrohttpd", "libgnutls", "libcurl", "libpython", "libpq", "libxml2",
                    "libicu", "libstdc++", "libcrypto", "libssl"):
            with self.subTest(lib=lib):
                self.assertEqual([n for n in needed if n.startswith(lib)], [])

    def loaded(self, *args, env=None):
        """The libraries the dynamic loader loaded for a command (LD_DEBUG)."""
        p = subprocess.run([SKILLSERVER, *args], input=launch_request(), capture_output=True,
                           text=True, timeout=120, env=dict(os.environ, LD_DEBUG="files", **(env or {})))
        return p, re.findall(r"file=(\S+) \[0\];  (?:needed|dynamically loaded)", p.stderr)

    def rsa_key(self):
        folder = temp_dir("skillserver-key-")
        key = os.path.join(folder, "key.pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                        "rsa_keygen_bits:2048", "-out", key], check=True, capture_output=True)
        return key

    def test_libcrypto_is_loaded_only_by_commands_that_use_it(self):
        p, libs = self.loaded("--skills", SKILLS, "invoke", "thank_you")
        self.assertEqual(p.returncode, 0, p.stderr[-2000:])
        self.assertIn("libjansson.so.4", libs)
        self.assertFalse([lib for lib in libs if "libcrypto" in lib], libs)
        body = os.path.join(FIXTURES, "launch.json")
        p, libs = self.loaded("sign", "--key", self.rsa_key(), "--cert-url",
                              "https://s3.amazonaws.com/echo.api/echo-api-cert.pem", body)
        self.assertEqual(p.returncode, 0, p.stderr[-2000:])
        self.assertTrue([lib for lib in libs if "libcrypto.so.3" in lib], libs)

    def test_without_libcrypto_a_command_that_needs_it_says_so(self):
        # libcrypto hidden behind an empty file, in a mount namespace of an
        # unprivileged user namespace (root is not needed).
        with open(SKILLSERVER, "rb") as f:
            machine = int.from_bytes(f.read(20)[18:20], "little")
        triplet = {0x3E: "x86_64-linux-gnu", 0xB7: "aarch64-linux-gnu"}[machine]
        path = os.path.realpath(f"/lib/{triplet}/libcrypto.so.3")
        body = os.path.join(FIXTURES, "launch.json")
        script = 'mount --bind /dev/null "$1" && shift && exec "$@"'
        p = subprocess.run(["unshare", "-rm", "sh", "-c", script, "sh", path, "true"],
                           capture_output=True, text=True)
        if p.returncode != 0:
            self.skipTest("no user and mount namespaces here: " + p.stderr.strip())
        p = subprocess.run(["unshare", "-rm", "sh", "-c", script, "sh", path, SKILLSERVER, "sign",
                            "--key", self.rsa_key(), "--cert-url",
                            "https://s3.amazonaws.com/echo.api/echo-api-cert.pem", body],
                           capture_output=True, text=True, timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("OpenSSL's libcrypto could not be loaded", p.stderr)
        self.assertIn("install libssl3", p.stderr)
        self.assertEqual(p.stdout, "")

    def test_the_worker_links_python_and_nothing_of_the_front(self):
        worker = os.path.join(os.path.dirname(SKILLSERVER), "skillserver-worker")
        needed = self.needed(worker)
        # CPython is linked statically (-Dpython_link=static, the default
        # where Debian's archive is installed) or as libpython3.11.so; the
        # static one is exported for the extension modules.
        symbols = subprocess.run(["nm", "-D", "--defined-only", worker], capture_output=True,
                                 text=True).stdout
        self.assertTrue(any(n.startswith("libpython3") for n in needed)
                        or re.search(r" T Py_InitializeFromConfig$", symbols, re.M), needed)
        for lib in ("libmicrohttpd", "libgnutls", "libcurl", "libxml2", "libsqlite3", "libcrypto"):
            with self.subTest(lib=lib):
                self.assertEqual([n for n in needed if n.startswith(lib)], [])


class SeccompSwitch(unittest.TestCase):
    """SKILLSERVER_ALLOW_NO_SECCOMP=1 lets skills run where no seccomp filter
    can be loaded (qemu-user, tests/arm64/run.sh); where one can, it is
    loaded all the same, and a worker still cannot fork."""

    def test_the_filter_still_loads_where_it_can(self):
        if os.environ.get("SKILLSERVER_ALLOW_NO_SECCOMP"):
            self.skipTest("NOT APPLICABLE: this run lets skills go without a filter "
                          "(tests/arm64/run.sh, under qemu-user); the normal build tests it")
        root = temp_dir("skillserver-seccomp-")
        self.addCleanup(shutil.rmtree, root, ignore_errors=True)
        copy_skills(root, ["fork_bomb"])
        os.environ["SKILLSERVER_ALLOW_NO_SECCOMP"] = "1"
        try:
            p = run("invoke", "fork_bomb", os.path.join(FIXTURES, "launch.json"),
                    "--skills", root)
        finally:
            del os.environ["SKILLSERVER_ALLOW_NO_SECCOMP"]
        self.assertEqual(p.returncode, 0, p.stderr)
        text = load_json(p.stdout)["response"]["outputSpeech"]["text"]
        self.assertIn("fork: Operation not permitted", text)
        self.assertNotIn("cannot load a seccomp filter", p.stderr)


if __name__ == "__main__":
    unittest.main()
