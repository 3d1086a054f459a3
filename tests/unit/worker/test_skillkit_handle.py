"""The runner's handle() (skillkit/_runner.py, _deadline.py, _diagnose.py,
_persist.py, lambda_context.py), as server/worker/python.c calls it: every
ERROR kind with the file, line and function, the sentences that tell a
beginner what to change, the soft deadline, persistent and session
attributes, classic Lambda handlers, and requests sent split (the envelope
read only when asked for).

Run: python3 tests/taprun.py tests/unit/worker/test_skillkit_handle.py
(SOURCE_ROOT may name the repository; otherwise it is found from this file.)
"""
import _thread
import io
import json
import os
import signal
import sys
import threading
import time
import unittest

from skillkit_support import NEVER_S, RunnerCase, fixture, intent, _diagnose, _runner, testing


class ErrorTest(RunnerCase):

    def test_raised_error_names_file_line_function(self):
        result, path = self.load("""
            from skillkit import intent

            @intent("ThankYouIntent")
            def thank_you(req):
                return "Hi " + nme
            """)
        self.assertLoaded(result)
        error = self.error(intent())
        self.assertEqual((error["kind"], error["type"]), ("raised", "NameError"))
        self.assertEqual((error["file"], error["line"], error["function"]),
                         (path, 5, "thank_you"))
        self.assertEqual(error["message"], "name 'nme' is not defined")
        self.assertEqual(error["spoken"],
                         "There is a NameError in thank_you, line 5: name 'nme' is not defined. "
                         "Check the spelling of nme, or give it a value before this line.")
        self.assertIn('return "Hi " + nme', error["traceback"])
        self.assertNotIn("_runner.py", error["traceback"])

    def test_input_is_explained(self):
        result, _ = self.load("""
            from skillkit import intent

            @intent("ThankYouIntent")
            def quiz(req):
                answer = input("What is 2 plus 2? ")
                return "You said " + answer
            """)
        self.assertLoaded(result)
        # A worker's standard input is empty (/dev/null), as it is here.
        stdin, sys.stdin = sys.stdin, io.StringIO("")
        try:
            error = self.error(intent())
        finally:
            sys.stdin = stdin
        self.assertEqual((error["type"], error["line"]), ("EOFError", 5))
        self.assertIn("A skill cannot use input(): nobody types to Alexa.", error["spoken"])
        self.assertIn('return ask("your question")', error["spoken"])

    def test_a_forged_missing_module_at_request_time(self):
        result, _ = self.load("""
            from skillkit import intent

            @intent("ThankYouIntent")
            def forge(req):
                raise ModuleNotFoundError("gone", name="x" * 100000)
            """)
        self.assertLoaded(result)
        error = self.error(intent())
        self.assertEqual((error["kind"], error["type"]), ("raised", "ModuleNotFoundError"))
        self.assertNotIn("Did you mean", error["spoken"])

    def test_error_in_sibling_at_request_time(self):
        result, _ = self.load("""
            from skillkit import launch
            import maths
            @launch
            def hi(req):
                return maths.half(None)
            """, name="sib2", files={"maths.py": """
            def half(x):
                return x / 2
            """})
        self.assertLoaded(result)
        error = self.error(testing.launch_request())
        self.assertEqual(os.path.basename(error["file"]), "maths.py")
        self.assertEqual((error["line"], error["function"]), (2, "half"))
        self.assertIn("file maths.py, line 2", error["spoken"])

    def test_result_none_names_the_handler(self):
        result, path = self.load("""
            from skillkit import intent

            @intent("ThankYouIntent")
            def thanks(req):
                words = "You're welcome!"
            """)
        error = self.error(intent())
        self.assertEqual(error["kind"], "result")
        self.assertEqual((error["file"], error["line"], error["function"]), (path, 4, "thanks"))
        self.assertEqual(error["spoken"], "The function thanks in thank_you, line 4, returned "
                                          "nothing. Add a return line with the words for Alexa "
                                          "to say, like: return \"Hello!\".")
        self.assertIn("None", error["message"])

    def test_result_other_values(self):
        self.load("""
            from skillkit import intent
            @intent("Number")
            def number(req): return 42
            @intent("List")
            def a_list(req): return ["a", "b"]
            @intent("Tuple")
            def a_tuple(req): return "Hi",
            @intent("Dict")
            def a_dict(req): return {"speech": "hi"}
            @intent("Bool")
            def a_bool(req): return True
            @intent("Object")
            def an_object(req): return object()
            """)
        cases = {"Number": "the number 42", "List": "a list", "Tuple": "a tuple",
                 "Dict": "a dictionary without a response", "Bool": "True",
                 "Object": "an object"}
        for name, words in cases.items():
            error = self.error(intent(name))
            self.assertEqual(error["kind"], "result", name)
            self.assertIn(f"returned {words}.", error["spoken"])
        self.assertIn("comma", self.error(intent("Tuple"))["message"])

    def test_wrong_argument_type_points_at_the_skill_line(self):
        _, path = self.load("""
            from skillkit import launch, ask

            @launch
            def hi(req):
                return ask(5)
            """)
        error = self.error(testing.launch_request())
        self.assertEqual((error["kind"], error["type"]), ("raised", "TypeError"))
        self.assertEqual((error["file"], error["line"]), (path, 5))
        self.assertIn("the number 5", error["message"])
        self.assertNotIn("response.py", error["traceback"])

    def test_system_exit_does_not_exit(self):
        self.load("""
            import sys
            from skillkit import launch
            @launch
            def hi(req):
                sys.exit(3)
            """)
        error = self.error(testing.launch_request())
        self.assertEqual((error["kind"], error["type"], error["line"]), ("raised", "SystemExit", 5))

    def test_unserialisable_directive(self):
        self.load("""
            from skillkit import launch, Response
            @launch
            def hi(req):
                return Response("hi", directives=[{"type": "X", "items": {1, 2}}])
            """)
        error = self.error(testing.launch_request())
        self.assertEqual(error["kind"], "result")
        self.assertIn("directives[0]['items']", error["message"])
        self.assertIn("a set", error["spoken"])

    def test_lone_surrogate_in_speech(self):
        self.load("""
            from skillkit import launch
            @launch
            def hi(req):
                return "broken \\ud800 text"
            """)
        error = self.error(testing.launch_request())
        self.assertEqual(error["kind"], "result")
        self.assertIn("the speech", error["message"])

    def test_handle_before_load_and_bad_messages(self):
        saved = _runner._skill
        _runner._skill = None
        try:
            with self.quiet():
                result = json.loads(_runner.handle("{}"))
            self.assertEqual(result["error"]["kind"], "load")
        finally:
            _runner._skill = saved
        self.load("""
            from skillkit import launch
            @launch
            def hi(req): return "hi"
            """)
        for message in ("not json", "[]", '{"event": 5}', "", '{"event": {}, "soft_ms": "x"}'):
            with self.quiet():
                text = _runner.handle(message)
            result = json.loads(text)
            if message.startswith('{"event": {}'):
                # An empty event is a request of no known type: the empty answer.
                self.assertTrue(result["ok"], result)
                continue
            self.assertFalse(result["ok"], message)
            self.assertEqual(result["error"]["kind"], "raised")
            self.assertTrue(result["error"]["spoken"])
        with self.quiet():
            self.assertFalse(json.loads(_runner.handle(None))["ok"])


class ChildMistakesTest(RunnerCase):
    """The mistakes children make most get a sentence that says what to change."""

    def test_misspelt_intent_in_a_decorator_is_spoken_in_dev(self):
        source = """
            from skillkit import fallback, intent
            @intent("ThankyouIntent")
            def thanks(req):
                return "You're welcome!"
            @fallback
            def other(req):
                return "I only know thank you."
            """
        self.load(source, dev=True)
        reply = self.reply(intent("ThankYouIntent"))
        self.assertEqual(reply["speech"], [{"text": (
            "thank_you has no function for ThankYouIntent. The function thanks on line 3 is for "
            "ThankyouIntent: check the spelling, it must be ThankYouIntent, with a capital Y.")}])
        self.assertIn("has no function for ThankYouIntent", self.err.getvalue())
        # Without --dev the skill's own fallback answers, as on Alexa.
        self.load(source, dev=False)
        self.assertEqual(self.reply(intent("ThankYouIntent"))["speech"],
                         [{"text": "I only know thank you."}])
        # An intent with no look-alike is not a misspelling.
        self.load(source, dev=True)
        self.assertEqual(self.reply(intent("GoodbyeIntent"))["speech"],
                         [{"text": "I only know thank you."}])

    def test_hints_for_common_exceptions(self):
        self.load("""
            from skillkit import intent
            @intent("Shout")
            def shout(req):
                name = req.slot("name")
                return "Hello " + name.upper()
            @intent("Age")
            def age(req):
                years = 10
                return "You are " + years
            @intent("Typo")
            def typo(req):
                name = "Sam"
                return "Hi " + nam
            @intent("Count")
            def count(req):
                return str(req.session["count"])
            """)
        cases = {
            "Shout": ("AttributeError", "a slot nobody said is None, so check it with if"),
            "Age": ("TypeError", "To put a number into words, write str(number)."),
            "Typo": ("NameError", "Did you mean name?"),
            "Count": ("KeyError", "use .get(key, default)"),
        }
        for name, (type_, hint) in cases.items():
            with self.subTest(intent=name):
                error = self.error(intent(name))
                self.assertEqual(error["type"], type_)
                self.assertIn(hint, error["spoken"])
                self.assertTrue(error["spoken"].startswith(f"There is {_diagnose.article(type_)} "
                                                           f"{type_} in thank_you, line "))

    def test_returning_a_number_says_how_to_make_words(self):
        self.load("""
            from skillkit import intent
            @intent("Add")
            def add(req):
                return 2 + 3
            """)
        error = self.error(intent("Add"))
        self.assertEqual(error["spoken"], "The function add in thank_you, line 3, returned the "
                                          "number 5. Alexa can only say words: make it words "
                                          "with str, like: return str(5).")


#: A skill with a fast, a slow (0.3 s) and an endless handler, and one
#: that stops the interval timer the way a skill timing its own work with
#: signal.alarm does, for the soft deadline's tests.
TIMED_SKILL = """
    import signal
    import time
    from skillkit import intent
    @intent("Cancel")
    def cancel(req):
        signal.alarm(0)
        return "cancelled"
    @intent("Fast")
    def fast(req): return "quick"
    @intent("Slow")
    def slow(req):
        time.sleep(0.3)
        return "slept"
    @intent("Loop")
    def loop(req):
        while True:
            pass
    """


class DeadlineTest(RunnerCase):

    def tearDown(self):
        from skillkit import _deadline
        # Nothing is armed once handle() has returned. Its interval timer may
        # run on (disarm(keep_timer=True)); it is stopped here so that the
        # next test starts without it.
        self.assertFalse(_deadline._alarm["armed"])
        _deadline.disarm()
        self.assertEqual(signal.getitimer(signal.ITIMER_REAL), (0.0, 0.0))
        super().tearDown()

    def count_setitimer(self):
        """A list that gets one entry per setitimer call of _deadline's."""
        from skillkit import _deadline
        calls, real = [], _deadline.signal

        class Counting:
            def __getattr__(self, name):
                return getattr(real, name)

            def setitimer(self, which, seconds, interval=0.0):
                calls.append(seconds)
                return real.setitimer(which, seconds, interval)

        _deadline.signal = Counting()
        self.addCleanup(setattr, _deadline, "signal", real)
        return calls

    def test_a_busy_worker_sets_the_timer_once(self):
        self.load(TIMED_SKILL)
        calls = self.count_setitimer()
        for _ in range(20):
            self.assertEqual(self.reply(intent("Fast"), soft_ms=5000)["speech"],
                             [{"text": "quick"}])
        self.assertEqual(len(calls), 1, calls)

    def test_an_earlier_requests_timer_does_not_cut_a_later_one_short(self):
        self.load(TIMED_SKILL)
        # The timer set for Fast runs out 0.1 s into Slow, whose own deadline
        # is 0.5 s away: Slow sleeps on and answers.
        self.reply(intent("Fast"), soft_ms=200)
        time.sleep(0.1)
        self.assertEqual(self.reply(intent("Slow"), soft_ms=500)["speech"], [{"text": "slept"}])
        # And a request that overruns is stopped at its own deadline, not at
        # the earlier one's.
        self.reply(intent("Fast"), soft_ms=100)
        start = time.monotonic()
        error = self.error(intent("Loop"), soft_ms=400)
        took = time.monotonic() - start
        self.assertEqual(error["kind"], "timeout")
        self.assertGreaterEqual(took, 0.39)
        self.assertLess(took, NEVER_S)

    def test_a_request_with_less_time_left_sets_the_timer_sooner(self):
        self.load(TIMED_SKILL)
        self.reply(intent("Fast"), soft_ms=30000)
        start = time.monotonic()
        error = self.error(intent("Loop"), soft_ms=150)
        self.assertEqual(error["kind"], "timeout")
        self.assertLess(time.monotonic() - start, 5)

    def test_a_skill_that_cancels_the_timer_still_gets_a_deadline_later(self):
        # signal.alarm(0) stops the same interval timer the soft deadline
        # uses, as a skill from Lambda that times its own work may do. Once
        # the timer would have run out, the next request sets it again.
        self.load(TIMED_SKILL)
        self.assertEqual(self.reply(intent("Cancel"), soft_ms=200)["speech"],
                         [{"text": "cancelled"}])
        time.sleep(0.3)
        # Without a deadline Loop would never end: interrupted after 5 s, it
        # fails as "raised", not "timeout".
        watchdog = threading.Timer(5, _thread.interrupt_main)
        watchdog.start()
        try:
            error = self.error(intent("Loop"), soft_ms=200)
        finally:
            watchdog.cancel()
        self.assertEqual(error["kind"], "timeout")

    def test_soft_deadline_counts_from_the_front_clock(self):
        # soft_at (CLOCK_MONOTONIC ms, time.monotonic() here) wins over soft_ms:
        # a request that waited in the socket has only what is left.
        from skillkit import _message
        now = int(time.monotonic() * 1000)
        read = _message.read_request
        self.assertEqual(read(json.dumps({"event": {}, "soft_ms": 3000}))[2], 3000)
        left = read(json.dumps({"event": {}, "soft_ms": 3000, "soft_at": now + 2000}))[2]
        self.assertTrue(1500 <= left <= 2000, left)
        self.assertEqual(read(json.dumps({"event": {}, "soft_ms": 3000, "soft_at": now - 10}))[2],
                         1)
        # No soft deadline at all stays none, whatever soft_at says.
        self.assertEqual(read(json.dumps({"event": {}, "soft_ms": 0, "soft_at": now + 5}))[2], 0)

    def test_busy_loop_reports_the_running_line(self):
        _, path = self.load("""
            from skillkit import intent

            @intent("ThankYouIntent")
            def thanks(req):
                while True:
                    pass
            """)
        start = time.monotonic()
        error = self.error(intent(), soft_ms=200)
        self.assertLess(time.monotonic() - start, NEVER_S)
        self.assertEqual((error["kind"], error["type"]), ("timeout", "DeadlineExceeded"))
        self.assertEqual((error["file"], error["function"]), (path, "thanks"))
        self.assertIn(error["line"], (5, 6))
        self.assertEqual(error["spoken"], f"thank_you took too long: it was still running line "
                                          f"{error['line']} after 0.2 seconds. Look for a loop "
                                          f"that never stops.")
        self.assertNotIn("_runner.py", error["traceback"])

    def test_the_deadline_is_named_in_words_that_fit_its_length(self):
        from skillkit._deadline import seconds_text

        # A request that waited long for a worker leaves its handler a few
        # milliseconds of the soft deadline: never "after 0 seconds".
        for seconds, text in ((0.0002, "1 millisecond"), (0.004, "4 milliseconds"),
                              (0.25, "0.25 seconds"), (1, "1 second"), (3.2, "3 seconds")):
            self.assertEqual(seconds_text(seconds), text)

    def test_except_exception_does_not_swallow_it(self):
        self.load("""
            from skillkit import intent

            @intent("ThankYouIntent")
            def thanks(req):
                n = 0
                while True:
                    try:
                        n += 1
                    except Exception:
                        return "swallowed"
            """)
        error = self.error(intent(), soft_ms=150)
        self.assertEqual(error["kind"], "timeout")
        self.assertIn(error["line"], (6, 7, 8))

    def test_error_handler_does_not_see_it_and_sleep_is_interrupted(self):
        self.load("""
            import time
            from skillkit import intent, error

            @intent("ThankYouIntent")
            def thanks(req):
                time.sleep(10)

            @error
            def oops(req, exc):
                return "handled"
            """)
        start = time.monotonic()
        error = self.error(intent(), soft_ms=100)
        self.assertLess(time.monotonic() - start, 8, "the 10 s sleep was not interrupted")
        self.assertEqual((error["kind"], error["line"]), ("timeout", 6))

    def test_timer_is_disarmed_after_a_fast_handler(self):
        self.load(TIMED_SKILL)
        self.assertEqual(self.reply(intent("Fast"), soft_ms=100)["speech"], [{"text": "quick"}])
        time.sleep(0.2)  # a stray SIGALRM would raise here
        # No deadline: a slow handler runs to the end.
        self.assertEqual(self.reply(intent("Slow"), soft_ms=0)["speech"], [{"text": "slept"}])

    def test_skill_recovers_after_a_timeout(self):
        self.load("""
            from skillkit import intent
            @intent("Loop")
            def loop(req):
                while True:
                    pass
            @intent("Ok")
            def ok(req): return "fine"
            """)
        self.assertEqual(self.error(intent("Loop"), soft_ms=100)["kind"], "timeout")
        self.assertEqual(self.reply(intent("Ok"), soft_ms=1000)["speech"], [{"text": "fine"}])

    def test_lambda_timeout(self):
        self.load("""
            def lambda_handler(event, context):
                while True:
                    pass
            """, name="lambda_loop")
        error = self.error(intent(), soft_ms=100)
        self.assertEqual((error["kind"], error["function"]), ("timeout", "lambda_handler"))


class AttributesTest(RunnerCase):

    def skill(self):
        self.load("""
            from skillkit import intent
            @intent("Read")
            def read(req):
                return str(req.persistent.get("best"))
            @intent("Bump")
            def bump(req):
                req.persistent["best"] = req.persistent.get("best", 0) + 1
                return "ok"
            @intent("Same")
            def same(req):
                req.persistent["best"] = req.persistent["best"]
                return "ok"
            @intent("Reorder")
            def reorder(req):
                req.persistent = dict(reversed(list(req.persistent.items())))
                return "ok"
            @intent("Nested")
            def nested(req):
                req.persistent.setdefault("scores", []).append(1)
                return "ok"
            @intent("Clear")
            def clear(req):
                req.persistent.clear()
                return "ok"
            @intent("Set")
            def bad_set(req):
                req.persistent["seen"] = {"a", "b"}
                return "ok"
            @intent("Nan")
            def bad_nan(req):
                req.persistent["x"] = float("nan")
                return "ok"
            @intent("Key")
            def bad_key(req):
                req.persistent[("a", 1)] = 1
                return "ok"
            @intent("Replace")
            def replace(req):
                req.persistent = 5
                return "ok"
            @intent("Session")
            def session(req):
                req.session["when"] = object()
                return "ok"
            """, name="attrs")

    def test_loaded_and_unchanged(self):
        self.skill()
        result = self.handle(intent("Read"), attributes={"best": 4})
        self.assertEqual(result["reply"]["speech"], [{"text": "4"}])
        self.assertIsNone(result["attributes"])
        self.assertIsNone(self.handle(intent("Read"))["attributes"])
        self.assertIsNone(self.handle(intent("Same"), attributes={"best": 4})["attributes"])
        self.assertIsNone(self.handle(intent("Reorder"),
                                      attributes={"a": 1, "b": {"c": 2, "d": 3}})["attributes"])

    def test_changes_are_returned(self):
        self.skill()
        self.assertEqual(self.handle(intent("Bump"))["attributes"], {"best": 1})
        self.assertEqual(self.handle(intent("Bump"), attributes={"best": 4, "x": "y"})
                         ["attributes"], {"best": 5, "x": "y"})
        self.assertEqual(self.handle(intent("Nested"), attributes={"scores": [3]})
                         ["attributes"], {"scores": [3, 1]})
        self.assertEqual(self.handle(intent("Clear"), attributes={"best": 4})["attributes"], {})

    def test_unsaveable_values_name_the_key(self):
        self.skill()
        error = self.error(intent("Set"))
        self.assertEqual((error["kind"], error["function"]), ("result", "bad_set"))
        self.assertIn("req.persistent['seen']", error["message"])
        self.assertIn("a set", error["spoken"])
        self.assertIn("req.persistent['x']", self.error(intent("Nan"))["message"])
        self.assertIn("key that is not a string", self.error(intent("Key"))["message"])
        self.assertIn("must stay a dict", self.error(intent("Replace"))["message"])
        error = self.error(intent("Session"))
        self.assertIn("req.session['when']", error["message"])

    def test_session_attributes_round_trip(self):
        self.load("""
            from skillkit import intent, ask
            @intent("Count")
            def count(req):
                req.session["n"] = req.session.get("n", 0) + 1
                return ask(str(req.session["n"]))
            """, name="sess")
        reply = self.reply(intent("Count"))
        self.assertEqual(reply["sessionAttributes"], {"n": 1})
        reply = self.reply(testing.intent_request("Count", session_attributes={"n": 4}))
        self.assertEqual(reply["sessionAttributes"], {"n": 5})
        self.assertEqual(reply["speech"], [{"text": "5"}])


class SplitRequestTest(RunnerCase):
    """The front sends a request's "request" and "session" in front of the
    envelope, which is read only when something asks for more (skillkit
    _message, request.Request._split): a handler sees exactly what it sees
    in a whole REQUEST."""

    SKILL = """
        import json
        from skillkit import launch, on

        FIELDS = ("type", "intent", "locale", "request_id", "timestamp", "confirmation",
                  "dialog_state", "has_session", "new_session", "session_id", "application_id",
                  "user_id", "access_token", "person_id", "device_id", "api_endpoint",
                  "api_access_token")

        @launch
        @on("IntentRequest")
        @on("AudioPlayer.PlaybackStarted")
        def show(req):
            seen = {name: getattr(req, name) for name in FIELDS}
            seen["slots"] = {n: [s.value, s.id, s.resolved, s.status]
                             for n, s in req.slots.items()}
            seen["supports"] = [req.supports("AudioPlayer"), req.supports("Nothing")]
            seen["same_request"] = req.body is req.event["request"]
            seen["same_session"] = (not req.has_session
                                    or req.event["session"]["attributes"] is not req.session)
            seen["event"] = sorted(req.event)
            seen["attributes"] = req.session
            req.session["seen"] = True
            return json.dumps(seen, sort_keys=True)
        """

    def split(self, event, attributes=None):
        with self.quiet():
            text = _runner.handle(_message().split_request(event, attributes, 0))
        return json.loads(text)

    def test_a_handler_sees_the_same_request(self):
        self.load(self.SKILL)
        for name in ("intent_order_drink", "intent_order_drink_dialog", "intent_thank_you_name",
                     "launch", "display_element_selected", "audio_playback_started"):
            with self.subTest(name):
                event = fixture(name)
                whole = self.handle(event, {"p": 1})
                self.assertTrue(whole["ok"], whole)
                self.assertEqual(self.split(event, {"p": 1}), whole)

    def test_the_envelope_is_read_only_when_asked_for(self):
        from skillkit.request import Request

        event = fixture("intent_order_drink")
        read = _message().read_request
        whole, _, _, split = read(_message().split_request(event, None, 0))
        self.assertIsNone(whole)
        req = Request._split(*split, {}, "en-US")
        self.assertIsNone(req._event)
        self.assertEqual((req.type, req.intent, req.slot("drink")),
                         (event["request"]["type"], "OrderDrinkIntent",
                          event["request"]["intent"]["slots"]["drink"]["value"]))
        self.assertEqual(req.session, event["session"]["attributes"])
        self.assertIsNone(req._event, "type, intent, slots and session need no envelope")
        self.assertEqual(req.user_id, event["context"]["System"]["user"]["userId"])
        self.assertEqual(req.event, event)
        self.assertIs(req.event["request"], req.body)

    def test_an_envelope_that_is_not_json_fails_when_read(self):
        from skillkit.request import Request

        message = _message().split_request(fixture("launch"), None, 0)
        _, _, _, split = _message().read_request(message[:-5])
        req = Request._split(*split, {}, "en-US")
        self.assertEqual(req.type, "LaunchRequest")
        with self.assertRaises(ValueError):
            req.event

    def test_a_lambda_handler_gets_the_whole_envelope(self):
        self.load("""
            import json
            def lambda_handler(event, context):
                return {"version": "1.0", "response": {"outputSpeech": {
                    "type": "PlainText", "text": json.dumps(event, sort_keys=True)}}}
            """, name="classic_split")
        event = fixture("intent_order_drink")
        reply = self.split(event)["reply"]
        self.assertEqual(json.loads(reply["envelope"]["response"]["outputSpeech"]["text"]), event)


def _message():
    from skillkit import _message

    return _message


class LambdaTest(RunnerCase):

    def test_lambda_skill_gets_event_and_context(self):
        result, _ = self.load("""
            def lambda_handler(event, context):
                return {"version": "1.0", "response": {"outputSpeech": {
                    "type": "PlainText", "text": " ".join([
                        event["request"]["type"], context.function_name,
                        context.aws_request_id, str(context.get_remaining_time_in_millis()),
                        context.memory_limit_in_mb, context.log_group_name])}}}
            """, name="classic")
        self.assertEqual((result["style"], result["handlers"]), ("lambda", ["lambda_handler"]))
        event = testing.launch_request()
        reply = self.reply(event, soft_ms=2000)
        self.assertEqual(reply["kind"], "envelope")
        words = reply["envelope"]["response"]["outputSpeech"]["text"].split()
        self.assertEqual(words[:3], ["LaunchRequest", "classic", event["request"]["requestId"]])
        self.assertTrue(0 < int(words[3]) <= 2000, words[3])
        self.assertEqual(words[4:], ["128", "/aws/lambda/classic"])

    def test_lambda_errors(self):
        _, path = self.load("""
            def lambda_handler(event, context):
                if event["request"]["type"] == "LaunchRequest":
                    return None
                return event["request"]["missing"]
            """, name="classic_bad")
        error = self.error(testing.launch_request())
        self.assertEqual((error["kind"], error["function"]), ("result", "lambda_handler"))
        self.assertEqual(error["spoken"], "The function lambda_handler in classic_bad returned "
                                          "nothing. Return the response dictionary.")
        error = self.error(intent())
        self.assertEqual((error["kind"], error["type"], error["line"], error["file"]),
                         ("raised", "KeyError", 4, path))

    def test_lambda_with_one_parameter(self):
        self.load("""
            def lambda_handler(event):
                return {"version": "1.0", "response": {}}
            """, name="classic_one")
        self.assertEqual(self.reply(testing.launch_request())["envelope"],
                         {"version": "1.0", "response": {}})

    def test_each_request_has_its_own_trace_header(self):
        # Lambda's runtime sets _X_AMZN_TRACE_ID for each invocation; a
        # request without one leaves none from the request before.
        self.load("""
            import os
            def lambda_handler(event, context):
                return {"version": "1.0", "response": {"outputSpeech": {
                    "type": "PlainText", "text": os.environ.get("_X_AMZN_TRACE_ID", "none")}}}
            """, name="traced")
        event = testing.launch_request()
        said = []
        for trace in ("Root=1-5e1b4151-5ac6c58f;Sampled=1", None):
            message = {"event": event, "attributes": None, "soft_ms": 0}
            if trace:
                message["trace"] = trace
            with self.quiet():
                result = json.loads(_runner.handle(json.dumps(message)))
            said.append(result["reply"]["envelope"]["response"]["outputSpeech"]["text"])
        self.assertEqual(said, ["Root=1-5e1b4151-5ac6c58f;Sampled=1", "none"])

    # Packages a skill brings beside its code, shaped as the ASK SDK and
    # botocore are: their errors are placed by their path in the skill's
    # folder, and those that mean something about running here say what
    # to change.
    SDK_FILES = {
        "ask_sdk_runtime/__init__.py": "",
        "ask_sdk_runtime/exceptions.py": """
            class DispatchException(Exception):
                pass
            """,
        "ask_sdk_runtime/dispatch.py": """
            from .exceptions import DispatchException
            def dispatch(event):
                raise DispatchException("Unable to find a suitable request handler")
            """,
        "botocore/__init__.py": "",
        "botocore/exceptions.py": """
            class NoRegionError(Exception):
                pass
            class NoCredentialsError(Exception):
                pass
            """,
        "ask_sdk_core/__init__.py": "",
        "ask_sdk_core/exceptions.py": """
            class PersistenceException(Exception):
                pass
            """,
        "ask_sdk_core/adapter.py": """
            from botocore.exceptions import NoCredentialsError
            from .exceptions import PersistenceException
            def get(event):
                try:
                    raise NoCredentialsError("Unable to locate credentials")
                except Exception as e:
                    raise PersistenceException("Failed to retrieve attributes: " + str(e))
            """,
    }

    def test_no_handler_in_the_sdk_says_what_to_add(self):
        self.load("""
            from ask_sdk_runtime.dispatch import dispatch
            def lambda_handler(event, context):
                return dispatch(event)
            """, name="sdk_skill", files=self.SDK_FILES)
        error = self.error(intent())
        self.assertTrue(error["file"].endswith("/sdk_skill/ask_sdk_runtime/dispatch.py"))
        self.assertEqual(error["spoken"],
                         "There is a DispatchException in sdk_skill, file "
                         "ask_sdk_runtime/dispatch.py, line 3: Unable to find a suitable "
                         "request handler. No request handler's can_handle said yes to this "
                         "request. Add a handler for it, or an exception handler that answers "
                         "what the others do not.")

    def test_boto3_without_credentials_says_where_they_go(self):
        # The SDK's adapter catches boto3's error and raises its own.
        self.load("""
            from ask_sdk_core.adapter import get
            def lambda_handler(event, context):
                return get(event)
            """, name="sdk_store", files=self.SDK_FILES)
        error = self.error(intent())
        self.assertEqual(error["type"], "PersistenceException")
        self.assertIn("file ask_sdk_core/adapter.py, line 7", error["spoken"])
        self.assertIn("boto3 has no AWS credentials", error["spoken"])
        self.assertIn("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", error["spoken"])

    def test_boto3_without_a_region_at_import(self):
        files = dict(self.SDK_FILES)
        files["botocore/regions.py"] = """
            from .exceptions import NoRegionError
            raise NoRegionError("You must specify a region.")
            """
        result, _ = self.load("""
            import botocore.regions
            def lambda_handler(event, context):
                return {}
            """, name="sdk_region", files=files)
        error = result["error"]
        self.assertEqual((error["kind"], error["type"]), ("load", "NoRegionError"))
        self.assertEqual(error["spoken"],
                         "There is a NoRegionError in sdk_region, file botocore/regions.py, "
                         "line 2: You must specify a region. boto3 does not know which AWS "
                         "region to use. Outside Lambda, name it in the skill's "
                         "skillserver.json, like \"region\": \"us-east-1\".")

    def test_an_installed_package_s_error_is_placed_at_the_author_s_line(self):
        # pip install -t writes NAME-VERSION.dist-info/RECORD (and Debian's
        # packages an .egg-info/top_level.txt): those packages are not the
        # author's, so the line that led into them is named, and they after.
        files = dict(self.SDK_FILES)
        files["botocore/regions.py"] = """
            from .exceptions import NoRegionError
            def resolve():
                raise NoRegionError("You must specify a region.")
            """
        files["botocore-1.29.27.dist-info/RECORD"] = (
            "botocore/__init__.py,sha256=x,0\nbotocore/regions.py,,\n"
            "botocore-1.29.27.dist-info/RECORD,,\n../../bin/odd,,\n\n,,\n")
        files["ask_sdk_runtime-1.0.egg-info/top_level.txt"] = "ask_sdk_runtime\n"
        files["helpers.py"] = """
            import botocore.regions
            def region():
                return botocore.regions.resolve()
            """
        self.load("""
            import helpers
            from ask_sdk_runtime.dispatch import dispatch
            def lambda_handler(event, context):
                if event["request"]["type"] == "LaunchRequest":
                    return helpers.region()
                return dispatch(event)
            """, name="installed", files=files)
        error = self.error(testing.launch_request())
        self.assertEqual((error["type"], error["line"], error["function"]),
                         ("NoRegionError", 3, "region"))
        self.assertTrue(error["file"].endswith("/installed/helpers.py"), error["file"])
        self.assertTrue(error["spoken"].startswith(
            "There is a NoRegionError in installed, file helpers.py, line 3, inside "
            "botocore/regions.py, line 3: You must specify a region."), error["spoken"])
        error = self.error(intent())
        self.assertEqual((error["line"], error["function"]), (6, "lambda_handler"))
        self.assertTrue(error["spoken"].startswith(
            "There is a DispatchException in installed, line 6, inside "
            "ask_sdk_runtime/dispatch.py, line 3: Unable to find"), error["spoken"])

    def test_look_alike_errors_get_no_library_hint(self):
        # The skill's own classes with those names, a class whose module is
        # not a string, and a chain of causes that loops: no hint, no hang.
        self.load("""
            class NoRegionError(Exception):
                pass
            class Odd(Exception):
                pass
            Odd.__module__ = 5
            def lambda_handler(event, context):
                kind = event["request"]["type"]
                if kind == "LaunchRequest":
                    raise NoRegionError("mine")
                a, b = Odd("a"), Odd("b")
                a.__context__, b.__context__ = b, a
                raise a
            """, name="lookalike")
        error = self.error(testing.launch_request())
        self.assertEqual(error["spoken"],
                         "There is a NoRegionError in lookalike, line 9: mine.")
        error = self.error(intent())
        self.assertEqual(error["spoken"], "There is an Odd in lookalike, line 12: a.")

    # The ASK SDK's persistence adapters, shaped as the real ones are where
    # it matters here: boto3 imported at the top, a client made in
    # __init__ (S3) or as a default argument (DynamoDB), and every call
    # going to AWS, which without credentials can only fail.
    ADAPTER_FILES = {
        "boto3/__init__.py": """
            import os
            def _region():
                if not (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")):
                    raise RuntimeError("You must specify a region.")
            def client(name, **kwargs):
                _region()
                return object()
            def resource(name, **kwargs):
                _region()
                return object()
            """,
        "ask_sdk_core/__init__.py": "",
        "ask_sdk_core/exceptions.py": """
            class PersistenceException(Exception):
                pass
            """,
        "ask_sdk_core/attributes_manager.py": """
            class AbstractPersistenceAdapter(object):
                pass
            """,
        "ask_sdk_s3/__init__.py": "",
        "ask_sdk_s3/adapter.py": """
            import boto3
            from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
            from ask_sdk_core.exceptions import PersistenceException
            class S3Adapter(AbstractPersistenceAdapter):
                def __init__(self, bucket_name, path_prefix=None, s3_client=None,
                             object_keygen=None):
                    self.bucket_name = bucket_name
                    self.s3_client = s3_client or boto3.client("s3")
                def get_attributes(self, request_envelope):
                    raise PersistenceException("went to S3")
                def save_attributes(self, request_envelope, attributes):
                    raise PersistenceException("went to S3")
                def delete_attributes(self, request_envelope):
                    raise PersistenceException("went to S3")
            """,
        "ask_sdk_dynamodb/__init__.py": "",
        "ask_sdk_dynamodb/adapter.py": """
            import boto3
            from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
            from ask_sdk_core.exceptions import PersistenceException
            class DynamoDbAdapter(AbstractPersistenceAdapter):
                def __init__(self, table_name, partition_key_name="id",
                             attribute_name="attributes", create_table=False,
                             partition_keygen=None, dynamodb_resource=boto3.resource("dynamodb")):
                    raise PersistenceException("went to DynamoDB to create the table")
                def get_attributes(self, request_envelope):
                    raise PersistenceException("went to DynamoDB")
            """,
    }

    VISITS = """
        from ask_sdk_s3.adapter import S3Adapter
        from ask_sdk_dynamodb.adapter import DynamoDbAdapter
        s3 = S3Adapter(bucket_name="my-bucket")
        KEPT = s3.bucket_name
        def lambda_handler(event, context):
            kind = event["request"]["type"]
            adapter = s3 if kind == "LaunchRequest" else DynamoDbAdapter("table", "key")
            attributes = adapter.get_attributes(event)
            attributes["visits"] = attributes.get("visits", 0) + 1
            if event["request"].get("intent", {}).get("name") == "ForgetIntent":
                adapter.delete_attributes(event)
            elif event["request"].get("intent", {}).get("name") != "PeekIntent":
                adapter.save_attributes(event, attributes)
            return {"version": "1.0", "response": {"outputSpeech": {
                "type": "PlainText", "text": f"{attributes['visits']} {KEPT} "
                                             f"{adapter.partition_key_name if kind != 'LaunchRequest' else ''}"}}}
        """

    def test_sdk_adapters_keep_attributes_in_the_store(self):
        result, _ = self.load(self.VISITS, name="sdk_visits", files=self.ADAPTER_FILES)
        self.assertTrue(result["ok"], result)
        self.assertTrue(any("S3Adapter of ask_sdk_s3.adapter" in w and
                            "DynamoDbAdapter of ask_sdk_dynamodb.adapter" in w and
                            "skillserver's store" in w for w in result["warnings"]),
                        result["warnings"])
        self.assertNotIn("AWS_DEFAULT_REGION", os.environ)  # lent for the import only
        # The store's attributes in; what the skill saved out, when changed.
        answer = self.handle(testing.launch_request(), attributes={"visits": 4, "name": "Ann"})
        self.assertTrue(answer["ok"], answer)
        self.assertEqual(answer["reply"]["envelope"]["response"]["outputSpeech"]["text"],
                         "5 my-bucket ")
        self.assertEqual(answer["attributes"], {"visits": 5, "name": "Ann"})
        answer = self.handle(intent("CountIntent"), attributes=None)
        self.assertEqual(answer["reply"]["envelope"]["response"]["outputSpeech"]["text"],
                         "1 my-bucket key")
        self.assertEqual(answer["attributes"], {"visits": 1})
        # Nothing saved, or the same saved: nothing to keep.
        answer = self.handle(intent("PeekIntent"), attributes={"visits": 2})
        self.assertIsNone(answer["attributes"])
        answer = self.handle(intent("ForgetIntent"), attributes={"visits": 2})
        self.assertEqual(answer["attributes"], {})

    def test_sdk_adapters_refuse_what_cannot_be_saved_and_work_only_in_a_request(self):
        files = dict(self.ADAPTER_FILES)
        self.load("""
            import datetime
            from ask_sdk_s3.adapter import S3Adapter
            from ask_sdk_core.exceptions import PersistenceException
            s3 = S3Adapter("bucket")
            try:
                s3.get_attributes(None)
                AT_IMPORT = "read"
            except PersistenceException as e:
                AT_IMPORT = str(e)
            def lambda_handler(event, context):
                if event["request"]["type"] == "LaunchRequest":
                    return {"version": "1.0", "response": {"outputSpeech": {
                        "type": "PlainText", "text": AT_IMPORT}}}
                s3.save_attributes(event, {"when": datetime.date(2026, 12, 2)})
            """, name="sdk_bad", files=files)
        said = self.reply(testing.launch_request())["envelope"]["response"]["outputSpeech"]
        self.assertIn("only while a request is answered", said["text"])
        error = self.error(intent())
        self.assertEqual(error["type"], "PersistenceException")
        self.assertIn("the persistent attributes['when'] holds a date", error["message"])

    def test_sdk_adapters_with_aws_credentials_go_to_aws(self):
        os.environ["AWS_ACCESS_KEY_ID"] = "AKIAEXAMPLE"
        os.environ["AWS_DEFAULT_REGION"] = "eu-west-1"
        try:
            result, _ = self.load("""
                from ask_sdk_s3.adapter import S3Adapter
                s3 = S3Adapter(bucket_name="b")
                def lambda_handler(event, context):
                    return s3.get_attributes(event)
                """, name="sdk_aws", files=self.ADAPTER_FILES)
            self.assertFalse(any("skillserver's store" in w for w in result["warnings"]))
            error = self.error(testing.launch_request(), attributes={"visits": 1})
            self.assertEqual(error["message"], "went to S3")
        finally:
            del os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_DEFAULT_REGION"]

    def test_lambda_unserialisable(self):
        self.load("""
            def lambda_handler(event, context):
                return {"version": "1.0", "response": {}, "sessionAttributes": {"x": {1}}}
            """, name="classic_set")
        error = self.error(testing.launch_request())
        self.assertIn("the returned dictionary['sessionAttributes']['x']", error["message"])


if __name__ == "__main__":
    unittest.main()
