"""Skills brought from elsewhere run unchanged: an ASK CLI v2 project, an ASK
CLI v1 project, a Lambda function folder and skillserver's own layout, all
in one skills folder made here from the shapes the ASK CLI and Lambda
documentation describe, each driven through `say` (by its invocation name),
`request | invoke` and `serve`. Also: Lambda's environment (working folder,
UTF-8, variables, context), a vendored package winning over the system's,
variables from skill.json (skillserver.json beside a v1 project's manifest
skill.json), nothing of the server's environment, and the
load-time messages for a missing package and an unreadable folder."""
import json
import os
import re
import shutil
import signal
import subprocess
import textwrap
import time
import unittest

from harness import SKILLSERVER, SOURCE_ROOT, Server, ask_model as model, load_json, run, temp_dir

SECRET = "server-secret-4f1c2a"


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(textwrap.dedent(text).lstrip("\n") if isinstance(text, str) else
                json.dumps(text, ensure_ascii=False, indent=2))


# A classic Lambda handler that answers with what it finds around it.
REPORTER = """
import json, logging, os, sys, time
logger = logging.getLogger()
logger.setLevel(logging.INFO)

with open("language_strings.json") as f:  # relative, no encoding: Lambda's way
    STRINGS = json.load(f)

def speak(text, end=True):
    return {"version": "1.0", "response": {
        "outputSpeech": {"type": "PlainText", "text": text}, "shouldEndSession": end}}

def NAME(event, context):
    req = event["request"]
    logger.info("handling %s", req["type"])
    print("print reaches the log")
    if req["type"] == "LaunchRequest":
        return speak(STRINGS["WELCOME"], end=False)
    first = context.get_remaining_time_in_millis()
    time.sleep(0.3)
    second = context.get_remaining_time_in_millis()
    report = {
        "cwd": os.getcwd(), "task_root": os.environ.get("LAMBDA_TASK_ROOT"),
        "handler": os.environ.get("_HANDLER"), "function": os.environ.get(
            "AWS_LAMBDA_FUNCTION_NAME"), "memory": os.environ.get(
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), "timeout": os.environ.get(
            "AWS_LAMBDA_FUNCTION_TIMEOUT"), "exec": os.environ.get("AWS_EXECUTION_ENV"),
        "tz": os.environ.get("TZ"), "greeting": os.environ.get("GREETING"),
        "utf8": sys.flags.utf8_mode, "secret": [k for k, v in os.environ.items()
                                                if "server-secret" in v or k == "SERVER_SECRET"],
        "first": first, "second": second, "request_id": context.aws_request_id,
        "context_function": context.function_name, "memory_limit": context.memory_limit_in_mb,
        "arn": context.invoked_function_arn, "group": context.log_group_name,
        "stream": context.log_stream_name, "tmp": open("/tmp/x", "w").write("ok"),
        "fact": STRINGS["FACT"], "extra": EXTRA(), "region": os.environ.get("AWS_REGION"),
        "default_region": os.environ.get("AWS_DEFAULT_REGION"),
        "metadata_off": os.environ.get("AWS_EC2_METADATA_DISABLED"),
    }
    return {"version": "1.0", "response": {
        "outputSpeech": {"type": "PlainText", "text": STRINGS["FACT"]},
        "card": {"type": "Simple", "title": "report", "content": json.dumps(report)},
        "shouldEndSession": True}}
"""


def reporter(name, extra="lambda: None"):
    return REPORTER.replace("def NAME(", f"def {name}(") + f"\nEXTRA = {extra}\n"


class Projects(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = temp_dir("skillserver-projects-")
        os.chmod(cls.tmp, 0o755)
        cls.skills = skills = os.path.join(cls.tmp, "skills")

        # ASK CLI v2, German, its handler named in ask-resources.json, a
        # vendored package (six, which the system has too) and skillserver's
        # own skill.json beside the project with environment variables.
        p = os.path.join(skills, "weltraum")
        write(p, "ask-resources.json", {
            "askcliResourcesVersion": "2020-03-31",
            "profiles": {"default": {
                "skillMetadata": {"src": "./skill-package"},
                "code": {"default": {"src": "./lambda"}},
                "skillInfrastructure": {"type": "@ask-cli/lambda-deployer", "userConfig": {
                    "runtime": "python3.11", "handler": "app.handle",
                    "awsRegion": "eu-west-1"}}}}})
        write(p, "skill-package/skill.json", {"manifest": {
            "publishingInformation": {"locales": {"de-DE": {"name": "Weltraum"}}},
            "apis": {"custom": {}}, "manifestVersion": "1.0"}})
        write(p, "skill-package/interactionModels/custom/de-DE.json",
              model("weltraum fakten", [("FaktIntent", ["erzähl mir einen fakt", "ein fakt"])]))
        write(p, ".ask/ask-states.json", {"askcliStatesVersion": "2020-03-31", "profiles": {
            "default": {"skillId": "amzn1.ask.skill.11111111-2222-3333-4444-555555555555"}}})
        write(p, "skill.json", {"environment": {"GREETING": "Grüß dich"}})
        write(p, "lambda/language_strings.json",
              {"WELCOME": "Willkommen bei Weltraum Fakten!",
               "FACT": "Ein Tag auf der Venus dauert länger als ein Jahr – größer geht's nicht."})
        write(p, "lambda/app.py", reporter("handle", "lambda: __import__('six').VENDORED"))
        write(p, "lambda/requirements.txt", "six==1.16.0\n")
        write(p, "lambda/six.py", "VENDORED = 'vendored six'\n")
        write(p, "lambda/six-1.16.0.dist-info/METADATA", "Name: six\nVersion: 1.16.0\n")

        # ASK CLI v1: the manifest at the top, a sourceDir that moved (the
        # code is in lambda/, as in some published samples), .ask/config
        # naming a handler that is not lambda_handler.
        p = os.path.join(skills, "spacetrivia")
        write(p, "skill.json", {"manifest": {
            "publishingInformation": {"locales": {"en-US": {"name": "Space Trivia"}}},
            "apis": {"custom": {"endpoint": {"sourceDir": "lambda/py"}}}}})
        write(p, "models/en-US.json", model("space trivia", [("TriviaIntent", ["a question"])]))
        write(p, ".ask/config", {"deploy_settings": {"default": {
            "skill_id": "amzn1.ask.skill.99999999-8888-7777-6666-555555555555",
            "resources": {"lambda": [{"handler": "hello_world.handler",
                                      "runtime": "python3.8"}]}}}})
        write(p, "lambda/language_strings.json",
              {"WELCOME": "Welcome to space trivia!", "FACT": "Jupiter has 95 moons."})
        write(p, "lambda/hello_world.py", reporter("handler"))
        # skill.json is the ASK manifest here, so skillserver's settings are
        # in skillserver.json.
        write(p, "skillserver.json", {"environment": {"GREETING": "howdy"},
                                      "region": "ap-southeast-2"})

        # A Lambda function folder, and a model so it can be opened by voice.
        p = os.path.join(skills, "lambda_fn")
        write(p, "lambda_function.py", reporter("lambda_handler"))
        write(p, "language_strings.json", {"WELCOME": "Hello from Lambda.",
                                           "FACT": "Lambda facts."})
        write(p, "skill.json", {"environment": {"GREETING": "hi"}})
        write(p, "model.json", model("lambda facts", [("FactIntent", ["a fact"])]))

        # skillserver's own.
        p = os.path.join(skills, "own")
        write(p, "skill.py", """
            from skillkit import intent, launch, ask
            @launch
            def hi(req):
                return ask("Own skill here.")
            @intent("FactIntent")
            def fact(req):
                return "An own fact."
            """)
        write(p, "model.json", model("own facts", [("FactIntent", ["a fact"])]))

        # A missing package listed in requirements.txt.
        p = os.path.join(skills, "needs_sdk")
        write(p, "lambda_function.py", "import ask_sdk_core\n\ndef lambda_handler(e, c):\n"
                                       "    return {}\n")
        write(p, "requirements.txt", "ask-sdk-core>=1.11\n")

        # A folder the workers cannot open (they do not run as its owner).
        p = os.path.join(skills, "locked")
        write(p, "lambda_function.py", "from private import helper\n\n"
                                       "def lambda_handler(e, c):\n    return {}\n")
        write(p, "private/helper.py", "X = 1\n")
        os.chmod(os.path.join(p, "private"), 0o000)

    @classmethod
    def tearDownClass(cls):
        os.chmod(os.path.join(cls.skills, "locked", "private"), 0o755)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def invoke(self, skill, intent, *extra):
        req = run("--skills", self.skills, "request", skill, intent, *extra)
        self.assertEqual(req.returncode, 0, req.stderr)
        p = run("--skills", self.skills, "invoke", skill, "-", stdin=req.stdout)
        self.assertEqual(p.returncode, 0, p.stderr)
        return load_json(req.stdout), load_json(p.stdout), p.stderr

    def report(self, skill, intent):
        req, resp, log = self.invoke(skill, intent)
        return req, json.loads(resp["response"]["card"]["content"]), resp, log

    def check_environment(self, skill, code, handler, function_handler_env):
        req, r, resp, log = self.report(skill, *function_handler_env)
        self.assertEqual(r["cwd"], os.path.realpath(code))
        self.assertEqual(r["task_root"], os.path.realpath(code))
        self.assertEqual(r["handler"], handler)
        self.assertEqual(r["function"], skill)
        self.assertEqual(r["context_function"], skill)
        self.assertEqual(r["memory"], r["memory_limit"])
        self.assertEqual(r["exec"], "AWS_Lambda_python3.11")
        self.assertEqual(r["tz"], ":UTC")
        self.assertEqual(r["utf8"], 1)
        self.assertEqual(r["secret"], [])
        self.assertEqual(r["tmp"], 2)
        self.assertEqual(r["request_id"], req["request"]["requestId"])
        self.assertTrue(r["arn"].endswith(":function:" + skill))
        self.assertEqual(r["group"], "/aws/lambda/" + skill)
        # The remaining time counts down to the real deadline.
        self.assertGreater(r["first"], 0)
        self.assertLessEqual(r["first"], 6000)
        self.assertLess(r["second"], r["first"] - 250)
        # logging in Lambda's format with the request id, and print, reach the log.
        self.assertRegex(log, r"\[INFO\]\t\S+Z\t" + req["request"]["requestId"] +
                         r"\thandling IntentRequest")
        self.assertIn("print reaches the log", log)
        return r, resp

    def test_ask_v2_german_project(self):
        code = os.path.join(self.skills, "weltraum", "lambda")
        r, resp = self.check_environment("weltraum", code, "app.handle", ("FaktIntent",))
        self.assertIn("Venus dauert länger", resp["response"]["outputSpeech"]["text"])
        self.assertEqual(r["greeting"], "Grüß dich")  # skillserver's skill.json wins
        self.assertEqual(r["extra"], "vendored six")  # vendored before the system's
        self.assertIn(":eu-west-1:", r["arn"])
        self.assertEqual((r["region"], r["default_region"]), ("eu-west-1", "eu-west-1"))
        req, _, _ = self.invoke("weltraum", "FaktIntent")
        self.assertEqual(req["request"]["locale"], "de-DE")
        self.assertEqual(req["session"]["application"]["applicationId"],
                         "amzn1.ask.skill.11111111-2222-3333-4444-555555555555")

    def test_ask_v1_project(self):
        code = os.path.join(self.skills, "spacetrivia", "lambda")
        r, resp = self.check_environment("spacetrivia", code, "hello_world.handler",
                                         ("TriviaIntent",))
        self.assertEqual(resp["response"]["outputSpeech"]["text"], "Jupiter has 95 moons.")
        self.assertEqual(r["greeting"], "howdy")  # from skillserver.json
        # A v1 project names no region; skillserver.json does, as Lambda's
        # function configuration would.
        self.assertEqual((r["region"], r["default_region"]), ("ap-southeast-2", "ap-southeast-2"))
        self.assertIn(":ap-southeast-2:", r["arn"])

    def test_lambda_function_folder(self):
        code = os.path.join(self.skills, "lambda_fn")
        r, _ = self.check_environment("lambda_fn", code, "lambda_function.lambda_handler",
                                      ("FactIntent",))
        self.assertEqual(r["greeting"], "hi")
        self.assertEqual((r["region"], r["default_region"]), (None, None))
        # boto3 is not to take the machine's own credentials.
        self.assertEqual(r["metadata_off"], "true")

    def test_say_opens_each_by_its_invocation_name(self):
        for utterance, want in [("open weltraum fakten", "Willkommen bei Weltraum Fakten!"),
                                ("open space trivia", "Welcome to space trivia!"),
                                ("open lambda facts", "Hello from Lambda."),
                                ("open own facts", "Own skill here.")]:
            with self.subTest(utterance=utterance):
                p = run("--skills", self.skills, "say", utterance)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertIn(want, p.stdout)

    def test_serve_answers_every_layout(self):
        env = dict(os.environ, SERVER_SECRET=SECRET)
        srv = Server(skills=self.skills, env=env)
        try:
            for skill, want in [("weltraum", "Willkommen"), ("spacetrivia", "space trivia"),
                                ("lambda_fn", "Hello from Lambda"), ("own", "Own skill")]:
                with self.subTest(skill=skill):
                    # request names the project's skill id, which serve checks.
                    launch = run("--skills", self.skills, "request", skill, "--launch").stdout
                    status, _, body = srv.request("POST", "/skills/" + skill, launch.encode())
                    self.assertEqual(status, 200, body)
                    self.assertIn(want, json.dumps(json.loads(body), ensure_ascii=False))
            req = run("--skills", self.skills, "request", "lambda_fn", "FactIntent")
            status, _, body = srv.request("POST", "/skills/lambda_fn", req.stdout.encode())
            self.assertEqual(status, 200, body)
            report = json.loads(json.loads(body)["response"]["card"]["content"])
            self.assertEqual(report["secret"], [])  # nothing of the server's environment
            self.assertIn("ASK CLI v1 project, handler hello_world.handler in lambda/ (the "
                          "code folder lambda/py it names has no hello_world.py); settings from "
                          "skillserver.json", srv.log())
        finally:
            self.assertEqual(srv.stop(), 0)

    def test_missing_package_is_reported_at_load_time(self):
        p = run("--skills", self.skills, "request", "needs_sdk", "--launch")
        self.assertEqual(p.returncode, 0, p.stderr)
        q = run("--skills", self.skills, "invoke", "needs_sdk", "-", stdin=p.stdout)
        self.assertNotEqual(q.returncode, 0)
        self.assertIn("ask_sdk_core", q.stderr)
        self.assertIn("requirements.txt lists ask-sdk-core", q.stderr)
        self.assertIn("pip install -r requirements.txt -t .", q.stderr)
        self.assertNotIn("Traceback", q.stderr.split("pip install")[0])

    def test_unreadable_folder_is_reported_as_such(self):
        p = run("--skills", self.skills, "request", "locked", "--launch")
        q = run("--skills", self.skills, "invoke", "locked", "-", stdin=p.stdout)
        self.assertNotEqual(q.returncode, 0)
        self.assertIn("private cannot be read", q.stderr)
        self.assertIn("chmod -R a+rX", q.stderr)
        self.assertNotIn("No module named", q.stderr)

    def test_new_makes_skills_that_run_at_once(self):
        skills = os.path.join(self.tmp, "new-skills")
        for args, utterance in [(["hello_kit"], "open hello kit"),
                                (["deploy_kit", "--layout", "ask"], "open deploy kit")]:
            with self.subTest(args=args):
                p = run("--skills", skills, "new", *args)
                self.assertEqual(p.returncode, 0, p.stderr)
                p = run("--skills", skills, "say", utterance)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertIn("Welcome to " + utterance[5:], p.stdout)
        self.assertTrue(os.path.isfile(os.path.join(skills, "deploy_kit", "ask-resources.json")))
        self.assertTrue(os.path.isfile(os.path.join(
            skills, "deploy_kit", "skill-package", "interactionModels", "custom", "en-US.json")))
        p = run("--skills", skills, "new", "hello_kit")
        self.assertEqual(p.returncode, 2)
        self.assertIn("already exists", p.stderr)

    def test_new_follows_the_invocation_name_rules(self):
        skills = os.path.join(self.tmp, "named-skills")
        # A name Amazon would refuse: nothing is made, and the message says
        # what is wrong and what would do.
        p = run("--skills", skills, "new", "robot_quiz2")
        self.assertEqual(p.returncode, 2)
        self.assertIn("the invocation name 'robot quiz2' (made from the folder name) has the "
                      "digit '2': write numbers as words", p.stderr)
        self.assertIn('--invocation "robot quiz two"', p.stderr)
        self.assertFalse(os.path.exists(os.path.join(skills, "robot_quiz2")))
        p = run("--skills", skills, "new", "quiz", "--invocation", "alexa quiz")
        self.assertEqual(p.returncode, 2)
        self.assertIn('has the word "alexa"', p.stderr)
        # The name it offers works, in both layouts.
        for args, words in ((["robot_quiz2"], "robot quiz two"),
                            (["robot_quiz3", "--layout", "ask"], "robot quiz three")):
            with self.subTest(args=args):
                p = run("--skills", skills, "new", *args, "--invocation", words)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertIn(f'say "open {words}"', p.stdout)
                p = run("--skills", skills, "say", "open " + words)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertIn("Welcome to " + words, p.stdout)
        # One word is for brands: made, with a warning that says where to change it.
        p = run("--skills", skills, "new", "dinosaurs")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("warning: the invocation name 'dinosaurs' is one word", p.stderr)
        self.assertIn(os.path.join("dinosaurs", "model.json"), p.stderr)


class SdkPersistence(unittest.TestCase):
    """A skill on the ASK SDK that keeps its attributes with the SDK's S3
    adapter, as Amazon's Cake Time tutorial and Alexa-hosted skills do,
    with no AWS credentials: the attributes stay in skillserver's store,
    from one run of the command (and one sandboxed worker) to the next.
    The adapter and boto3 are stand-ins shaped as the real ones are where
    it matters: boto3 needs a region to make a client, and the adapter
    makes one in __init__, at import."""

    def setUp(self):
        self.tmp = temp_dir("skillserver-sdk-")
        os.chmod(self.tmp, 0o755)
        self.skills = os.path.join(self.tmp, "skills")
        self.data = os.path.join(self.tmp, "data")
        p = os.path.join(self.skills, "cakes")
        write(p, "boto3/__init__.py", """
            import os
            def client(name, **kwargs):
                if not (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")):
                    raise RuntimeError("You must specify a region.")
                return object()
            """)
        write(p, "ask_sdk_core/__init__.py", "")
        write(p, "ask_sdk_core/exceptions.py", "class PersistenceException(Exception):\n    pass\n")
        write(p, "ask_sdk_s3/__init__.py", "")
        write(p, "ask_sdk_s3/adapter.py", """
            import boto3
            from ask_sdk_core.exceptions import PersistenceException
            class S3Adapter:
                def __init__(self, bucket_name, path_prefix=None, s3_client=None,
                             object_keygen=None):
                    self.s3_client = s3_client or boto3.client("s3")
                def get_attributes(self, request_envelope):
                    raise PersistenceException("went to S3")
                def save_attributes(self, request_envelope, attributes):
                    raise PersistenceException("went to S3")
            """)
        write(p, "lambda_function.py", """
            from ask_sdk_s3.adapter import S3Adapter
            adapter = S3Adapter(bucket_name="cakes-bucket")
            def lambda_handler(event, context):
                attributes = adapter.get_attributes(event)
                attributes["cakes"] = attributes.get("cakes", 0) + 1
                adapter.save_attributes(event, attributes)
                return {"version": "1.0", "response": {"outputSpeech": {
                    "type": "PlainText", "text": f"Cake number {attributes['cakes']}."}}}
            """)
        write(p, "model.json", model("cake counter", [("CakeIntent", ["a cake"])]))

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_attributes_are_kept_between_commands(self):
        said = []
        for _ in range(3):
            p = run("--skills", self.skills, "say", "open cake counter", data=self.data)
            self.assertEqual(p.returncode, 0, p.stderr)
            said.append(p.stdout.splitlines()[0])
        self.assertEqual(said, ["Cake number 1.", "Cake number 2.", "Cake number 3."])
        self.assertIn("S3Adapter of ask_sdk_s3.adapter keeps the persistent attributes in "
                      "skillserver's store", p.stderr)

    def test_with_credentials_of_its_own_it_goes_to_aws(self):
        write(os.path.join(self.skills, "cakes"), "skillserver.json", {
            "region": "eu-west-1", "environment": {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
                                                    "AWS_SECRET_ACCESS_KEY": "secret"}})
        p = run("--skills", self.skills, "say", "--dev", "open cake counter", data=self.data)
        self.assertIn("There is a PersistenceException in cakes, file "
                      "ask_sdk_s3/adapter.py, line 8: went to S3.", p.stdout)
        self.assertNotIn("skillserver's store", p.stderr)


class ReadmeSection(unittest.TestCase):
    """The README's "Bringing a skill from AWS Lambda or the ASK CLI" runs as
    written, on a project shaped like `ask new` makes it."""

    def commands(self):
        with open(os.path.join(SOURCE_ROOT, "README.md"), encoding="utf-8") as f:
            text = f.read()
        section = text.split("## Bringing a skill from AWS Lambda or the ASK CLI\n", 1)[1]
        section = section.split("\n## ", 1)[0]
        block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
        return [line for line in block.splitlines() if line.strip()]

    def test_commands_run(self):
        tmp = temp_dir("skillserver-readme-")
        os.chmod(tmp, 0o755)
        try:
            p = os.path.join(tmp, "space-facts")
            write(p, "ask-resources.json", {"askcliResourcesVersion": "2020-03-31", "profiles": {
                "default": {"skillMetadata": {"src": "./skill-package"},
                            "code": {"default": {"src": "./lambda"}},
                            "skillInfrastructure": {"userConfig": {
                                "runtime": "python3.11",
                                "handler": "lambda_function.lambda_handler"}}}}})
            write(p, "skill-package/skill.json", {"manifest": {"publishingInformation": {
                "locales": {"en-US": {"name": "Space Facts"}}}}})
            write(p, "skill-package/interactionModels/custom/en-US.json",
                  model("space facts", [("GetNewFactIntent", ["tell me a fact"])]))
            write(p, "lambda/requirements.txt", "# nothing to vendor for this test\n")
            write(p, "lambda/language_strings.json", {"WELCOME": "Welcome to space facts.",
                                                       "FACT": "A year on Mercury is short."})
            write(p, "lambda/lambda_function.py", reporter("lambda_handler"))
            env = dict(os.environ, PATH=os.path.dirname(SKILLSERVER) + os.pathsep +
                       os.environ.get("PATH", ""))
            for line in self.commands():
                with self.subTest(line=line):
                    if line.startswith("pip ") and not shutil.which("pip", path=env["PATH"]):
                        continue  # no pip on this machine: nothing to vendor anyway
                    if " serve " in line:
                        self.serve(line.replace("127.0.0.1:8080", "127.0.0.1:0"), tmp, env)
                        continue
                    r = subprocess.run(line, shell=True, cwd=tmp, env=env,
                                       capture_output=True, text=True, timeout=120)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    if "say" in line:
                        self.assertIn("Welcome to space facts.", r.stdout)
                    if "invoke" in line:
                        self.assertIn("A year on Mercury is short.", r.stdout)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def serve(self, line, cwd, env):
        proc = subprocess.Popen(line, shell=True, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            seen = ""
            while time.monotonic() < deadline:
                out = proc.stderr.readline()
                seen += out
                if "listening on" in out or not out:
                    break
            self.assertIn("listening on", seen)
            self.assertIn("skill space-facts: ASK CLI v2 project, handler "
                          "lambda_function.lambda_handler in lambda/", seen)
        finally:
            # The whole group: the shell may not have exec'd skillserver, and
            # terminating only the shell would leave the server running.
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=60)


if __name__ == "__main__":
    unittest.main()
