"""skillserver say, end to end: utterances through the real binary and real
worker processes - the bundled skills, conversations over standard input,
dialogs, WAV files from espeak-ng, the model checker's messages, and the
mistakes children make, spoken in --dev."""
import json
import os
import shutil
import struct
import unittest
import wave

from harness import SOURCE_ROOT, TEST_SKILLS, run, temp_dir

MODELS = os.path.join(SOURCE_ROOT, "tests", "data", "models")


def say(*args, stdin=None, skills=None, data=None, timeout=120):
    """Run `skillserver say ARGS`; returns the CompletedProcess."""
    extra = ["--skills", skills] if skills else []
    return run("say", *args, *extra, stdin=stdin, data=data, timeout=timeout)


def skill_folder(name, source):
    """A new skills folder holding one skill, name/skill.py with source."""
    skills = temp_dir("skillserver-say-")
    os.makedirs(os.path.join(skills, name))
    with open(os.path.join(skills, name, "skill.py"), "w") as f:
        f.write(source)
    return skills


def heard(p):
    """The '(heard by ...)' lines of a run, in order."""
    return [line for line in p.stderr.splitlines() if line.startswith("(heard by ")]


def json_documents(text, label):
    """Every JSON document printed after a line `label` (--show output)."""
    docs, decoder, at = [], json.JSONDecoder(), 0
    while True:
        at = text.find(label + "\n", at)
        if at < 0:
            return docs
        doc, end = decoder.raw_decode(text, at + len(label) + 1)
        docs.append(doc)
        at = end


def wav_header(path):
    """(sample rate, data bytes, seconds) from a RIFF/WAVE header, parsed by hand."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE", data[:12]
    at, rate, byte_rate = 12, None, None
    while at + 8 <= len(data):
        chunk, size = data[at:at + 4], struct.unpack("<I", data[at + 4:at + 8])[0]
        if chunk == b"fmt ":
            fmt, channels, rate, byte_rate = struct.unpack("<HHII", data[at + 8:at + 20])
            assert fmt == 1 and channels >= 1, (fmt, channels)
        elif chunk == b"data":
            assert byte_rate, "data before fmt"
            assert at + 8 + size <= len(data), "data chunk larger than the file"
            return rate, size, size / byte_rate
        at += 8 + size + (size & 1)
    raise AssertionError("no data chunk")


class BundledSkills(unittest.TestCase):
    """The contract: on a fresh checkout, `say "thank you"` answers."""

    def test_thank_you(self):
        p = say("thank you")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "You're welcome!\n")
        self.assertEqual(heard(p), ["(heard by thank_you: ThankYouIntent)"])

    def test_open_thank_you_runs_the_launch_handler(self):
        p = say("open thank you")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.splitlines(), [
            "Hello! I'm the thank you skill. Say thank you, and I will answer you.",
            "[reprompt] Go on, say thank you!"])
        self.assertEqual(heard(p), ["(heard by thank_you: LaunchRequest)"])

    def test_words_without_quotes_and_with_punctuation(self):
        p = run("say", "Thank", "you!")
        self.assertEqual((p.returncode, p.stdout), (0, "You're welcome!\n"), p.stderr)
        p = say("Alexa, open Thank You.")
        self.assertIn("(heard by thank_you: LaunchRequest)", heard(p))

    def test_first_name_slot(self):
        # No sample says it so, but "thanks" means "thank you" (the skill's
        # own help suggests these very words), as Alexa understands it.
        p = say("thanks, my name is sam")
        self.assertIn('(heard by thank_you: ThankYouIntent, name = "Sam")', heard(p))
        p = say("thank you Sam")
        self.assertEqual(p.stdout, "You're welcome, Sam!\n", p.stderr)
        self.assertEqual(heard(p), ['(heard by thank_you: ThankYouIntent, name = "Sam")'])
        p = say("my name is Alex")
        self.assertEqual(p.stdout, "You're welcome, Alex!\n", p.stderr)

    def test_ask_and_tell_name_the_skill(self):
        p = say("ask counting game to count")
        self.assertEqual(heard(p), ["(heard by counter: NextIntent)"])
        self.assertEqual(p.stdout.splitlines()[0], "One.")
        p = say("tell thank you thanks a lot")
        self.assertEqual((heard(p), p.stdout), (["(heard by thank_you: ThankYouIntent)"],
                                                "You're welcome!\n"))
        p = say("ask hello lambda to say hello")
        self.assertEqual(heard(p), ["(heard by lambda_hello: HelloIntent)"])
        self.assertEqual(p.stdout, "Hello there!\n[card] Hello: Hello there!\n")

    def test_the_skill_that_understands_the_words(self):
        p = say("keep counting")
        self.assertEqual(heard(p), ["(heard by counter: NextIntent)"], p.stderr)
        p = say("hi my name is Robin")
        self.assertEqual(p.stdout.splitlines()[0], "Hello, Robin! Nice to meet you.", p.stderr)

    def test_words_several_skills_know_go_to_thank_you(self):
        p = say("help")
        self.assertIn("(heard by thank_you: AMAZON.HelpIntent)", heard(p))
        self.assertIn("both understand \"help\"; using thank_you", p.stderr)

    def test_fallback(self):
        p = say("what is the weather like")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(heard(p), ["(heard by thank_you: AMAZON.FallbackIntent)"])
        self.assertIn('no sample of thank_you matches "what is the weather like"', p.stderr)
        self.assertIn("Hmm, I only know thank you.", p.stdout)

    def test_misspelt_invocation_name_is_suggested(self):
        p = say("open thank yu")
        self.assertIn('did you mean "open thank you"?', p.stderr)

    def test_the_start_of_an_invocation_name_is_suggested(self):
        # Amazon's quiz sample: AnswerIntent's sample is "{state}" alone, a
        # custom slot that takes any words, so "open the united states quiz"
        # fits it exactly. With no session open it is still a name half
        # said; once the skill is open, the same words are the skill's.
        skills = skill_folder("quiz", "from skillkit import intent, launch, ask\n"
                                      "@launch\n"
                                      "def hi(req):\n"
                                      "    return ask('Name a state.')\n"
                                      "@intent('AnswerIntent')\n"
                                      "def answer(req):\n"
                                      "    return ask('You said ' + str(req.slots.get('state')))\n")
        with open(os.path.join(skills, "quiz", "model.json"), "w") as f:
            json.dump({"interactionModel": {"languageModel": {
                "invocationName": "united states quiz game",
                "intents": [{"name": "AnswerIntent", "samples": ["{state}"],
                             "slots": [{"name": "state", "type": "US_STATE"}]},
                            {"name": "AMAZON.StopIntent", "samples": []},
                            {"name": "AMAZON.HelpIntent", "samples": []},
                            {"name": "AMAZON.CancelIntent", "samples": []},
                            {"name": "AMAZON.NavigateHomeIntent", "samples": []}],
                "types": [{"name": "US_STATE", "values": [{"name": {"value": "ohio"}}]}]}}},
                f)
        hint = 'did you mean "open united states quiz game"?'
        p = say("open the united states quiz", skills=skills, data=skills)
        self.assertIn(hint, p.stderr)
        p = say(stdin="open united states quiz game\nopen the united states quiz\n",
                skills=skills, data=skills)
        self.assertTrue(heard(p)[1].startswith('(heard by quiz: AnswerIntent, state = '
                                               '"open the united states quiz"'), p.stderr)
        self.assertNotIn(hint, p.stderr)
        p = say("open counting")
        self.assertIn('did you mean "open counting game"?', p.stderr)

    def test_the_device_settings_api_answers_offline(self):
        # As Amazon's Cake Time tutorial asks it: the request's apiEndpoint,
        # deviceId and apiAccessToken, from a skill in its sandbox.
        skills = temp_dir("skillserver-say-")
        os.makedirs(os.path.join(skills, "device"))
        with open(os.path.join(skills, "device", "lambda_function.py"), "w") as f:
            f.write(
                "import json, urllib.error, urllib.request\n"
                "def lambda_handler(event, context):\n"
                "    system = event['context']['System']\n"
                "    def get(path, token=system['apiAccessToken']):\n"
                "        req = urllib.request.Request(system['apiEndpoint'] + path,\n"
                "            headers={'Authorization': 'Bearer ' + token})\n"
                "        try:\n"
                "            with urllib.request.urlopen(req, timeout=10) as r:\n"
                "                return r.status, json.load(r)\n"
                "        except urllib.error.HTTPError as e:\n"
                "            return e.code, json.load(e)\n"
                "    settings = '/v2/devices/' + system['device']['deviceId'] + '/settings/'\n"
                "    _, zone = get(settings + 'System.timeZone')\n"
                "    _, units = get(settings + 'System.temperatureUnit')\n"
                "    name, _ = get('/v2/accounts/~current/settings/Profile.givenName')\n"
                "    bad, error = get(settings + 'System.timeZone', token='guess')\n"
                "    text = f'{zone} {units} name {name} guess {bad} {error[\"code\"]}'\n"
                "    return {'version': '1.0', 'response': {'outputSpeech': {\n"
                "        'type': 'PlainText', 'text': text}}}\n")
        os.environ["TZ"] = "Pacific/Auckland"
        try:
            p = say("--skill", "device", "open device", skills=skills, data=skills)
            q = say("--skill", "device", "--locale", "de-DE", "open device", skills=skills,
                    data=skills)
        finally:
            del os.environ["TZ"]
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.splitlines()[0],
                         "Pacific/Auckland FAHRENHEIT name 403 guess 401 INVALID_TOKEN", p.stderr)
        self.assertTrue(q.stdout.startswith("Pacific/Auckland CELSIUS"), q.stdout + q.stderr)

    def test_skill_option(self):
        p = say("--skill", "counter", "next")
        self.assertEqual(heard(p), ["(heard by counter: NextIntent)"])
        p = say("--skill", "counter", "open thank you")
        self.assertIn("the words go to counter", p.stderr)
        self.assertEqual(heard(p), ["(heard by counter: AMAZON.FallbackIntent)"])

    def test_show_prints_request_and_response(self):
        p = say("--show", "thank you Sam")
        self.assertEqual(p.returncode, 0, p.stderr)
        (request,) = json_documents(p.stdout, "request:")
        (response,) = json_documents(p.stdout, "response:")
        intent = request["request"]["intent"]
        self.assertEqual((request["request"]["type"], intent["name"]),
                         ("IntentRequest", "ThankYouIntent"))
        self.assertEqual(intent["slots"]["name"]["value"], "Sam")
        self.assertTrue(request["session"]["new"])
        self.assertEqual(response["response"]["outputSpeech"]["text"], "You're welcome, Sam!")
        self.assertTrue(p.stdout.endswith("You're welcome, Sam!\n"))

    def test_show_says_which_sample_matched_and_what_was_ignored(self):
        p = say("--show", "um thank you so much my name is Leo")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(heard(p), ['(heard by thank_you: ThankYouIntent, name = "Leo")'])
        self.assertIn("(matched 'thank you my name is {name}' (ignored: um, so much))\n",
                      p.stderr)
        self.assertTrue(p.stdout.endswith("You're welcome, Leo!\n"), p.stdout)
        p = say("--show", "it's Mia, thank you")
        self.assertIn("(matched 'thank you my name is {name}' (read 'it is' as 'my name is'; "
                      "in another order))\n", p.stderr)
        p = say("--show", "--skill", "counter", "keep countin please")
        self.assertIn("(matched 'keep counting' (ignored: please; read 'countin' as "
                      "'counting'))\n", p.stderr)
        p = say("--show", "thank you")
        self.assertIn("(matched 'thank you')\n", p.stderr)
        p = say("thank you so much")
        self.assertNotIn("(matched", p.stderr, "only with --show")
        p = say("--show", "what is the weather like")
        self.assertNotIn("(matched", p.stderr, "nothing matched")

    def test_children_are_understood(self):
        for words, answer in [("thx", "You're welcome!"),
                              ("can you open the counting game please", "Let's count!"),
                              ("hi, I'm Mia", "Hello, Mia! Nice to meet you.")]:
            p = say(words)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertTrue(p.stdout.startswith(answer), (words, p.stdout, p.stderr))

    def test_exit_sends_session_ended(self):
        p = say("--skill", "counter", "exit")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(heard(p), ["(heard by counter: SessionEndedRequest, USER_INITIATED)"])
        self.assertEqual(p.stdout, "")

    def test_bad_usage(self):
        p = say("--skill", "no_such_skill", "thank you")
        self.assertEqual(p.returncode, 2)
        self.assertIn("thank_you", p.stderr)  # the skills that exist are listed
        p = say("--skill", "../etc", "hi")
        self.assertEqual(p.returncode, 2)
        empty = temp_dir("say-empty-")
        p = say("thank you", skills=empty)
        self.assertEqual(p.returncode, 2)
        self.assertIn("no skills", p.stderr)
        p = say("--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn("usage: skillserver say", p.stdout)
        p = say("--wav")
        self.assertEqual(p.returncode, 2)


class Conversations(unittest.TestCase):
    """Interactive mode: utterances on standard input, one session kept."""

    def test_counter_counts_across_turns(self):
        p = say("--show", stdin="open counting game\nnext\nnext\nstop\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        words = [line for line in p.stdout.splitlines() if line in ("One.", "Two.")]
        self.assertEqual(words, ["One.", "Two."])
        self.assertIn("You counted to two.", p.stdout)
        self.assertTrue(p.stdout.rstrip().endswith("[session ended]"), p.stdout)
        self.assertEqual(heard(p), ["(heard by counter: LaunchRequest)",
                                    "(heard by counter: NextIntent)",
                                    "(heard by counter: NextIntent)",
                                    "(heard by counter: AMAZON.StopIntent)"])
        requests = json_documents(p.stdout, "request:")
        self.assertEqual([r["session"]["new"] for r in requests], [True, False, False, False])
        self.assertEqual(len({r["session"]["sessionId"] for r in requests}), 1)
        self.assertEqual(requests[2]["session"]["attributes"]["count"], 1)

    def test_every_turn_is_answered_by_the_process_that_imported_the_skill(self):
        # say asks one call at a time: the zygote answers them itself
        # (pool_config.one_call), with no worker forked for them.
        skills = skill_folder("pids", "import os\n"
                                      "AT_IMPORT = os.getpid()\n"
                                      "def where_are_you():\n"
                                      "    return f'imported in {AT_IMPORT}, answering in "
                                      "{os.getpid()}'\n")
        p = say("--skill", "pids", stdin="where are you\nwhere are you\n", skills=skills,
                data=skills)
        self.assertEqual(p.returncode, 0, p.stderr)
        answers = [line for line in p.stdout.splitlines() if line.startswith("imported in")]
        self.assertEqual(len(answers), 2, p.stdout)
        for line in answers:
            _, at_import, _, _, at_request = line.replace(",", "").split()[1:]
            if not os.environ.get("SKILLSERVER_ALLOW_NO_SECCOMP"):  # qemu-user: see test_invoke
                self.assertEqual(at_import, at_request, line)

    def test_exit_ends_the_session(self):
        p = say(stdin="open counting game\nnext\nexit\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(heard(p)[-1], "(heard by counter: SessionEndedRequest, USER_INITIATED)")
        self.assertIn("counter: session ended (USER_INITIATED) at 1", p.stderr)
        self.assertEqual(p.stdout.splitlines()[-1], "[session ended]")
        self.assertNotIn("dropped sessionAttributes", p.stderr)

    def test_end_of_input_ends_the_session(self):
        p = say(stdin="open counting game\n")
        self.assertEqual(heard(p), ["(heard by counter: LaunchRequest)",
                                    "(heard by counter: SessionEndedRequest, USER_INITIATED)"])
        self.assertEqual(p.stdout.splitlines()[-1], "[session ended]")

    def test_silence_repeats_the_reprompt_then_ends(self):
        p = say(stdin="open counting game\n\n\n")
        lines = p.stdout.splitlines()
        self.assertEqual(lines[:3], ["Let's count! Say next to count.", "[reprompt] Say next to count.",
                                     "Say next to count."])
        self.assertEqual(heard(p)[-1],
                         "(heard by counter: SessionEndedRequest, EXCEEDED_MAX_REPROMPTS)")

    def test_the_skill_ends_the_session(self):
        p = say(stdin="open thank you\nthank you\nthank you\n")
        # The second "thank you" starts a session of its own, which ends too.
        self.assertEqual(p.stdout.splitlines()[2:], ["You're welcome!", "[session ended]",
                                                     "You're welcome!", "[session ended]"])
        self.assertEqual(len(heard(p)), 3)

    def test_opening_another_skill_ends_the_first(self):
        p = say(stdin="open counting game\nnext\nopen thank you\nthank you\n")
        self.assertEqual(heard(p), ["(heard by counter: LaunchRequest)",
                                    "(heard by counter: NextIntent)",
                                    "(heard by counter: SessionEndedRequest, USER_INITIATED)",
                                    "(heard by thank_you: LaunchRequest)",
                                    "(heard by thank_you: ThankYouIntent)"])

    def test_dialog_delegate_elicit_and_confirm(self):
        script = ("open coffee corner\ni want a coffee\na flattie please\nbig\nyes\n"
                  "i want tea\ntwo sugars\n")
        p = say("--skill", "coffee_order", "--show", stdin=script, skills=TEST_SKILLS)
        self.assertEqual(p.returncode, 0, p.stderr)
        said = [line for line in p.stdout.splitlines() if not line.startswith(("[", " ", "{", "}"))
                and not line.endswith(":")]
        self.assertEqual(said, ["Welcome to the coffee corner. What would you like?",
                                "Which drink would you like?", "What size of flattie?",
                                "A big flattie, is that right?", "One big flat white, coming up!",
                                "How many sugars?", "Tea with 2 sugars."])
        requests = json_documents(p.stdout, "request:")
        states = [r["request"].get("dialogState") for r in requests]
        self.assertEqual(states, [None, "STARTED", "IN_PROGRESS", "IN_PROGRESS", "IN_PROGRESS",
                                  "COMPLETED", None, "IN_PROGRESS"])
        done = requests[5]["request"]["intent"]
        self.assertEqual(done["confirmationStatus"], "CONFIRMED")
        self.assertEqual(done["slots"]["drink"]["resolutions"]["resolutionsPerAuthority"][0]
                         ["values"][0]["value"], {"name": "flat white", "id": "FLAT_WHITE"})
        self.assertEqual(done["slots"]["size"]["value"], "big")
        self.assertEqual(requests[-1]["request"]["intent"]["slots"]["sugar"]["value"], "2")

    def test_denied_confirmation(self):
        p = say("--skill", "coffee_order", stdin="order a espresso\nsmall\nno\n",
                skills=TEST_SKILLS)
        self.assertIn("Okay, no coffee then.", p.stdout, p.stderr)


class Wav(unittest.TestCase):
    """--wav: espeak-ng renders what Alexa would say."""

    def setUp(self):
        self.dir = temp_dir("say-wav-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def test_a_short_answer_is_a_short_wav(self):
        path = os.path.join(self.dir, "answer.wav")
        p = say("thank you", "--wav", path)
        self.assertEqual(p.returncode, 0, p.stderr)
        rate, size, seconds = wav_header(path)
        self.assertGreater(size, 0)
        self.assertIn(rate, (16000, 22050, 44100, 48000))
        self.assertTrue(0.3 < seconds < 30, seconds)
        with wave.open(path) as w:  # a player can open it
            self.assertAlmostEqual(w.getnframes() / w.getframerate(), seconds, places=2)

    def test_alexa_ssml_is_spoken(self):
        path = os.path.join(self.dir, "fancy.wav")
        p = say("--skill", "fancy_ssml", "open fancy ssml", "--wav", path, skills=TEST_SKILLS)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "wow! This is a secret. [audio soundbank://soundlibrary/animals/"
                                   "amzn_sfx_dog_med_bark_1x_01] Say S. S. M. L. & smile.\n")
        _, _, seconds = wav_header(path)
        self.assertTrue(1 < seconds < 30, seconds)

    def test_longer_speech_makes_a_longer_file(self):
        short, long_ = os.path.join(self.dir, "s.wav"), os.path.join(self.dir, "l.wav")
        say("thank you", "--wav", short)
        say("open thank you", "--wav", long_)
        self.assertGreater(wav_header(long_)[2], wav_header(short)[2])

    def test_unwritable_file_fails(self):
        p = say("thank you", "--wav", os.path.join(self.dir, "missing", "x.wav"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("--wav", p.stderr)
        self.assertEqual(p.stdout, "You're welcome!\n")


class ModelChecks(unittest.TestCase):
    """model.json problems, with file and JSON path, when a skill is used."""

    def skill_with(self, model_file, source=None):
        root = temp_dir("say-model-")
        self.addCleanup(shutil.rmtree, root, True)
        folder = os.path.join(root, "checked")
        os.makedirs(folder)
        shutil.copy(os.path.join(MODELS, model_file), os.path.join(folder, "model.json"))
        with open(os.path.join(folder, "skill.py"), "w") as f:
            f.write(source or "from skillkit import launch\n\n@launch\ndef hi(req):\n"
                              "    return 'hi'\n")
        return root

    def test_errors_name_file_and_path(self):
        root = self.skill_with("bad_samples.json")
        p = say("thank you", skills=root)
        self.assertEqual(p.returncode, 1, p.stderr)
        model = os.path.join(root, "checked", "model.json")
        self.assertIn(f"{model}: interactionModel.languageModel.intents[0].samples[0]: error: "
                      f"\"thank you {{nam}}\" uses {{nam}}, but ThankYouIntent has no slot called "
                      f"nam (did you mean {{name}}?)", p.stderr)
        self.assertIn("intents[0].samples[1]: error: \"thank you!\" has '!'", p.stderr)
        self.assertIn("has 11 errors that Amazon would refuse", p.stderr)
        # The skill still answers what can be understood.
        self.assertIn("(heard by checked: ThankYouIntent)", heard(p))

    def test_invocation_name_rules(self):
        p = say("hello", skills=self.skill_with("bad_invocation.json"))
        self.assertEqual(p.returncode, 1)
        self.assertIn('invocationName: error: must be lower case: write "open sesame 2"', p.stderr)
        self.assertIn('has the word "open"', p.stderr)

    def test_warnings_only_still_succeed(self):
        p = say("hello", skills=self.skill_with("missing_builtins.json"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("warning: AMAZON.HelpIntent is missing", p.stderr)

    def test_a_model_that_does_not_load(self):
        root = self.skill_with("bad_samples.json")
        with open(os.path.join(root, "checked", "model.json"), "w") as f:
            f.write('{"interactionModel": {"languageModel": {"invocationName": 5}}}')
        p = say("open checked", skills=root)
        self.assertEqual(p.returncode, 1)
        self.assertIn("interactionModel.languageModel.invocationName must be a string",
                      p.stderr)
        self.assertIn("(heard by checked: LaunchRequest)", heard(p))

    def test_misspelt_decorator_is_warned_once_with_a_suggestion(self):
        p = say("--skill", "misspelled_intent", "thank you", skills=TEST_SKILLS)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("skill.py has a handler for ThankyouIntent, but model.json has no intent "
                      "with that name, so Alexa never sends it. Did you mean ThankYouIntent?",
                      p.stderr)
        self.assertIn("intents[0].name: warning: no function in skill.py answers ThankYouIntent",
                      p.stderr)
        # skillkit's own version of the same warning is not printed again.
        self.assertNotIn("has a handler but is not in model.json", p.stderr)

    def test_bundled_models_are_clean(self):
        for words in ("thank you", "next", "say hello"):
            p = say(words)
            self.assertNotIn("warning:", p.stderr, words)
            self.assertNotIn("error:", p.stderr, words)


def bilingual_project(root):
    """An ASK CLI v2 project with an en-US and a de-DE model, whose handler
    answers in the request's language; returns the skills folder."""
    def write(rel, doc):
        path = os.path.join(root, "greeter", rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(doc if isinstance(doc, str) else json.dumps(doc, ensure_ascii=False))

    def model(invocation, samples):
        return {"interactionModel": {"languageModel": {
            "invocationName": invocation,
            "intents": [{"name": "GreetIntent", "samples": samples}] + [
                {"name": n, "samples": []} for n in (
                    "AMAZON.HelpIntent", "AMAZON.StopIntent", "AMAZON.CancelIntent",
                    "AMAZON.NavigateHomeIntent", "AMAZON.FallbackIntent")],
            "types": []}}}

    write("ask-resources.json", {"askcliResourcesVersion": "2020-03-31", "profiles": {
        "default": {"skillMetadata": {"src": "./skill-package"},
                    "code": {"default": {"src": "./lambda"}},
                    "skillInfrastructure": {"type": "@ask-cli/lambda-deployer", "userConfig": {
                        "runtime": "python3.11", "handler": "lambda_function.lambda_handler"}}}}})
    write("skill-package/skill.json", {"manifest": {"publishingInformation": {"locales": {
        "en-US": {"name": "Greeter"}, "de-DE": {"name": "Begrüßer"}}}, "apis": {"custom": {}}}})
    write("skill-package/interactionModels/custom/en-US.json",
          model("the greeter", ["hello", "good morning"]))
    write("skill-package/interactionModels/custom/de-DE.json",
          model("der begrüßer", ["hallo", "guten morgen"]))
    write("lambda/lambda_function.py", """
WORDS = {"en-US": ("Welcome to the greeter.", "Hello to you too!"),
         "de-DE": ("Willkommen beim Begrüßer.", "Hallo, schön dich zu hören!")}

def lambda_handler(event, context):
    req = event["request"]
    welcome, hello = WORDS.get(req.get("locale"), WORDS["en-US"])
    text = welcome if req["type"] == "LaunchRequest" else hello
    return {"version": "1.0", "response": {
        "outputSpeech": {"type": "PlainText", "text": text},
        "shouldEndSession": req["type"] != "LaunchRequest"}}
""")
    return root


class Locales(unittest.TestCase):
    """--locale: the request carries it and the words are read with that
    locale's model (issue 12's locale gap)."""

    @classmethod
    def setUpClass(cls):
        cls.skills = bilingual_project(temp_dir("say-locale-"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.skills, True)

    def test_german_through_say(self):
        p = say("--locale", "de-DE", "--show", "guten morgen", skills=self.skills)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(heard(p), ["(heard by greeter: GreetIntent)"])
        (request,) = json_documents(p.stdout, "request:")
        self.assertEqual(request["request"]["locale"], "de-DE")
        self.assertTrue(p.stdout.endswith("Hallo, schön dich zu hören!\n"), p.stdout)
        p = say("--locale", "de-DE", "open der begrüßer", skills=self.skills)
        self.assertEqual((p.returncode, p.stdout), (0, "Willkommen beim Begrüßer.\n"),
                         p.stderr)

    def test_the_default_locale_is_the_skills(self):
        p = say("hello", skills=self.skills)
        self.assertEqual((p.returncode, p.stdout), (0, "Hello to you too!\n"), p.stderr)
        # German words mean nothing to the English model.
        p = say("guten morgen", skills=self.skills)
        self.assertEqual(heard(p), ["(heard by greeter: AMAZON.FallbackIntent)"])

    def test_a_conversation_in_german(self):
        p = say("--locale", "de-DE", stdin="open der begrüßer\nhallo\n", skills=self.skills)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.splitlines(), ["Willkommen beim Begrüßer.",
                                                 "Hallo, schön dich zu hören!",
                                                 "[session ended]"])

    def test_wav_in_german(self):
        path = os.path.join(self.skills, "hallo.wav")
        p = say("--locale", "de-DE", "hallo", "--wav", path, skills=self.skills)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertGreater(wav_header(path)[1], 0)

    def test_a_locale_without_a_model(self):
        p = say("--locale", "fr-FR", "bonjour", skills=self.skills)
        self.assertIn("greeter has no interaction model for fr-FR", p.stderr)
        (line,) = heard(p)
        self.assertTrue(line.startswith("(heard by greeter: AMAZON.FallbackIntent"), line)

    def test_bad_locales(self):
        for bad in ("german", "de_DE", "DE-de", "de-"):
            p = say("--locale", bad, "hallo", skills=self.skills)
            self.assertEqual(p.returncode, 2, bad)
            self.assertIn("is not a locale", p.stderr)

    def test_request_takes_the_locale(self):
        p = run("request", "greeter", "GreetIntent", "--locale", "de-DE",
                "--skills", self.skills)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout)["request"]["locale"], "de-DE")
        p = run("request", "greeter", "GreetIntent", "--locale", "de", "--skills", self.skills)
        self.assertEqual(p.returncode, 2)
        self.assertIn("is not a locale", p.stderr)


class ChildMistakes(unittest.TestCase):
    """Mistakes children make, spoken in --dev in words a child can act on."""

    def dev(self, skill, words, *extra):
        return say("--dev", "--skill", skill, words, *extra, skills=TEST_SKILLS)

    def test_misspelt_intent_name_in_a_decorator(self):
        p = self.dev("misspelled_intent", "thank you")
        self.assertEqual(p.stdout, "misspelled_intent has no function for ThankYouIntent. The "
                                   "function thanks on line 12 is for ThankyouIntent: check the "
                                   "spelling, it must be ThankYouIntent, with a capital Y.\n")
        # Without --dev Alexa's user hears the skill's own fallback.
        p = say("--skill", "misspelled_intent", "thank you", skills=TEST_SKILLS)
        self.assertEqual(p.stdout.splitlines()[0], "Hmm, I only know thank you.")

    def test_missing_return(self):
        p = self.dev("forgot_return", "thank you")
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, "The function thanks in forgot_return, line 6, returned "
                                   "nothing. Add a return line with the words for Alexa to say, "
                                   "like: return \"Hello!\".\n")

    def test_returning_a_number(self):
        p = self.dev("number_answer", "what is two plus three")
        self.assertEqual(p.returncode, 1)
        self.assertIn('(heard by number_answer: AddIntent, a = "2", b = "3")', heard(p))
        self.assertEqual(p.stdout, "The function add in number_answer, line 6, returned the "
                                   "number 5. Alexa can only say words: make it words with str, "
                                   "like: return str(5).\n")
        p = say("--skill", "number_answer", "what is two plus three", skills=TEST_SKILLS)
        self.assertEqual(p.stdout, "Sorry, this skill gave an answer I can't say.\n")
        # Alexa's user hears the apology; the author at the terminal reads
        # what --dev would have said.
        self.assertIn("Alexa can only say words: make it words with str, like: return str(5).",
                      p.stderr)

    def test_exception_with_its_line(self):
        p = self.dev("slot_none", "hello")
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, "There is an AttributeError in slot_none, line 8: 'NoneType' "
                                   "object has no attribute 'upper'. Something there is None, "
                                   "which means nothing: a slot nobody said is None, so check it "
                                   "with if before using it.\n")
        p = self.dev("slot_none", "hello i am sam")
        self.assertEqual((p.returncode, p.stdout), (0, "Hello, SAM!\n"))
        p = self.dev("name_error", "thank you")
        self.assertEqual(p.stdout, "There is a NameError in name_error, line 8: name 'nmae' is "
                                   "not defined. Did you mean name?\n")
        p = say("--skill", "name_error", "thank you", skills=TEST_SKILLS)
        self.assertEqual(p.stdout, "Sorry, something went wrong in this skill. Please try "
                                   "again.\n")
        self.assertRegex(p.stderr, r"skillserver: name_error [^:]+: There is a NameError in "
                                   r"name_error, line 8: name 'nmae' is not defined\. Did you "
                                   r"mean name\?\n")

    def test_a_loop_that_never_ends(self):
        # Soft deadline at 2 s, hard at 4 s: room for the soft one to land.
        p = self.dev("loops", "open loops", "--handler-timeout", "4")
        self.assertEqual(p.returncode, 1)
        self.assertIn("loops took too long: it was still running line 6", p.stdout)
        self.assertIn("Look for a loop that never stops.", p.stdout)


if __name__ == "__main__":
    unittest.main()
