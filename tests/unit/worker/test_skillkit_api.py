"""The author's API (skillkit/__init__.py, response.py, _routing.py,
_defaults.py): what a handler may return, the answers skillkit gives when the
skill has no handler, the interceptors and the error handler, and the
Response builder's own checks.

Run: python3 tests/taprun.py tests/unit/worker/test_skillkit_api.py
(SOURCE_ROOT may name the repository; otherwise it is found from this file.)
"""
import textwrap
import unittest

from skillkit_support import fixture, RunnerCase, intent, skillkit, testing


class ReturnFormsTest(RunnerCase):

    def skill(self, body, name="forms"):
        result, path = self.load("from skillkit import *\n" + textwrap.dedent(body), name=name)
        self.assertLoaded(result)
        return path

    def test_string_speaks_and_ends(self):
        self.skill("""
            @intent("ThankYouIntent")
            def thanks(req):
                return f"You're welcome, {req.slot('name') or 'friend'}!"
            """)
        reply = self.reply(intent(name="Sam"))
        self.assertEqual(reply, {"kind": "reply", "speech": [{"text": "You're welcome, Sam!"}],
                                 "shouldEndSession": True, "sessionAttributes": {}})
        self.assertEqual(self.reply(intent())["speech"], [{"text": "You're welcome, friend!"}])

    def test_ssml_value(self):
        self.skill("""
            @launch
            def hi(req):
                return SSML('<say-as interpret-as="interjection">wow</say-as>')
            """)
        reply = self.reply(testing.launch_request())
        self.assertEqual(reply["speech"],
                         [{"ssml": '<say-as interpret-as="interjection">wow</say-as>'}])
        self.assertIs(reply["shouldEndSession"], True)

    def test_str_plus_ssml_escapes_the_str(self):
        self.skill("""
            @launch
            def hi(req):
                return "Tom & Jerry " + SSML('<break time="1s"/>')
            """)
        speech = self.reply(testing.launch_request())["speech"]
        self.assertEqual(speech, [{"ssml": 'Tom &amp; Jerry <break time="1s"/>'}])

    def test_list_speech_is_said_in_order_with_spaces(self):
        self.skill("""
            @launch
            def hi(req):
                return Response(["Hello.", "How are you?", SSML("<break/>"), "Bye.", " ok"])
            """)
        speech = self.reply(testing.launch_request())["speech"]
        self.assertEqual(speech, [{"text": "Hello. How are you? "}, {"ssml": "<break/>"},
                                  {"text": " Bye. ok"}])

    def test_ask_keeps_listening_and_reprompts_with_the_speech(self):
        self.skill("""
            @launch
            def hi(req):
                return ask("Welcome! Say thank you.")
            @intent("A")
            def a(req):
                return ask("Pick a number.", "Which number?")
            """)
        reply = self.reply(testing.launch_request())
        self.assertEqual(reply["speech"], [{"text": "Welcome! Say thank you."}])
        self.assertEqual(reply["reprompt"], [{"text": "Welcome! Say thank you."}])
        self.assertIs(reply["shouldEndSession"], False)
        reply = self.reply(intent("A"))
        self.assertEqual(reply["reprompt"], [{"text": "Which number?"}])

    def test_tell_ends(self):
        self.skill("""
            @launch
            def hi(req):
                return tell(["Bye", "now."])
            """)
        reply = self.reply(testing.launch_request())
        self.assertEqual(reply["speech"], [{"text": "Bye now."}])
        self.assertIs(reply["shouldEndSession"], True)

    def test_response_with_every_member(self):
        self.skill("""
            @intent("Simple")
            def simple(req):
                return Response("Hi", card=SimpleCard("Title", "Body"), play_behavior="ENQUEUE",
                                directives=[{"type": "Dialog.UpdateDynamicEntities",
                                             "updateBehavior": "CLEAR"}])
            @intent("Standard")
            def standard(req):
                return Response("Hi", card=StandardCard("T", "Text", "https://x/s.png",
                                                        "https://x/l.png"), end_session=False)
            @intent("Link")
            def link(req):
                return Response("Link please", card=LinkAccountCard(), end_session=None)
            @intent("Perm")
            def perm(req):
                return Response("Address?", card=PermissionsCard(
                    ["read::alexa:device:all:address"]), end_session=ABSENT)
            @intent("Attrs")
            def attrs(req):
                req.session["ignored"] = True
                return Response("Hi", session_attributes={"turn": 3})
            """)
        reply = self.reply(intent("Simple"))
        self.assertEqual(reply["card"], {"type": "Simple", "title": "Title", "content": "Body"})
        self.assertEqual(reply["playBehavior"], "ENQUEUE")
        self.assertEqual(reply["directives"][0]["type"], "Dialog.UpdateDynamicEntities")
        self.assertIs(reply["shouldEndSession"], True)
        reply = self.reply(intent("Standard"))
        self.assertEqual(reply["card"], {"type": "Standard", "title": "T", "text": "Text",
                                         "image": {"smallImageUrl": "https://x/s.png",
                                                   "largeImageUrl": "https://x/l.png"}})
        self.assertIs(reply["shouldEndSession"], False)
        reply = self.reply(intent("Link"))
        self.assertEqual(reply["card"], {"type": "LinkAccount"})
        self.assertIn("shouldEndSession", reply)
        self.assertIsNone(reply["shouldEndSession"])
        reply = self.reply(intent("Perm"))
        self.assertEqual(reply["card"], {"type": "AskForPermissionsConsent",
                                         "permissions": ["read::alexa:device:all:address"]})
        self.assertNotIn("shouldEndSession", reply)
        self.assertEqual(self.reply(intent("Attrs"))["sessionAttributes"], {"turn": 3})

    def test_fluent_response(self):
        self.skill("""
            @launch
            def hi(req):
                return (Response().speak("Pick a number.").speak(SSML("<break/>"))
                        .ask("Which number?").set_card(SimpleCard("Pick", "a number"))
                        .add_directive({"type": "Hint"}))
            """)
        reply = self.reply(testing.launch_request())
        self.assertEqual(reply["speech"], [{"text": "Pick a number. "}, {"ssml": "<break/>"}])
        self.assertEqual(reply["reprompt"], [{"text": "Which number?"}])
        self.assertIs(reply["shouldEndSession"], False)
        self.assertEqual(reply["directives"], [{"type": "Hint"}])

    def test_envelope_dict_passes_through(self):
        self.skill("""
            @launch
            def hi(req):
                return {"version": "1.0", "response": {"outputSpeech": {
                    "type": "PlainText", "text": "raw"}, "shouldEndSession": True}}
            """)
        reply = self.reply(testing.launch_request())
        self.assertEqual(reply["kind"], "envelope")
        self.assertEqual(reply["envelope"]["response"]["outputSpeech"]["text"], "raw")

    def test_sessionless_request_gets_no_session_members(self):
        self.skill("""
            @on("AudioPlayer.PlaybackNearlyFinished")
            def more(req):
                return Response(directives=[{"type": "AudioPlayer.ClearQueue",
                                             "clearBehavior": "CLEAR_ENQUEUED"}])
            """)
        reply = self.reply(fixture("audio_playback_nearly_finished"))
        self.assertEqual(reply, {"kind": "reply", "directives": [
            {"type": "AudioPlayer.ClearQueue", "clearBehavior": "CLEAR_ENQUEUED"}]})

    def test_video_launch_leaves_end_session_out_and_dialog_keeps_it_open(self):
        self.skill("""
            @intent("Video")
            def video(req):
                return Response(directives=[{"type": "VideoApp.Launch",
                                             "videoItem": {"source": "https://x/v.mp4"}}])
            @intent("Dialog")
            def dialog(req):
                return Response(directives=[{"type": "Dialog.Delegate"}])
            """)
        self.assertNotIn("shouldEndSession", self.reply(intent("Video")))
        self.assertIs(self.reply(intent("Dialog"))["shouldEndSession"], False)

    def test_can_fulfill_answer(self):
        self.skill("""
            @on("CanFulfillIntentRequest")
            def probe(req):
                return Response(can_fulfill="MAYBE")
            """)
        reply = self.reply(fixture("can_fulfill_intent"))
        self.assertEqual(reply["canFulfillIntent"], {"canFulfill": "MAYBE"})
        self.assertNotIn("shouldEndSession", reply)

    def test_async_handler(self):
        self.skill("""
            @launch
            async def hi(req):
                return "async hello"
            """)
        self.assertEqual(self.reply(testing.launch_request())["speech"],
                         [{"text": "async hello"}])

    def test_empty_string_is_silence(self):
        self.skill("""
            @launch
            def hi(req):
                return ""
            """)
        reply = self.reply(testing.launch_request())
        self.assertNotIn("speech", reply)
        self.assertIs(reply["shouldEndSession"], True)

    def test_unicode_speech(self):
        self.skill("""
            @launch
            def hi(req):
                return "Grüß dich, Zoë 👋"
            """)
        self.assertEqual(self.reply(testing.launch_request())["speech"],
                         [{"text": "Grüß dich, Zoë 👋"}])


class DefaultsTest(RunnerCase):

    def test_defaults_without_handlers(self):
        self.load("""
            from skillkit import intent
            @intent("OnlyIntent")
            def only(req): return "only"
            """, name="defaults")
        reply = self.reply(testing.launch_request())
        self.assertEqual(reply["speech"], [{"text": "Welcome! What would you like to do?"}])
        self.assertIs(reply["shouldEndSession"], False)
        for name in ("AMAZON.StopIntent", "AMAZON.CancelIntent"):
            reply = self.reply(intent(name))
            self.assertEqual(reply["speech"], [{"text": "Goodbye!"}])
            self.assertIs(reply["shouldEndSession"], True)
        reply = self.reply(intent("AMAZON.HelpIntent"))
        self.assertIn("stop", reply["speech"][0]["text"])
        self.assertIs(reply["shouldEndSession"], False)
        reply = self.reply(testing.session_ended_request())
        self.assertNotIn("speech", reply)
        self.assertNotIn("shouldEndSession", reply)
        for name in ("audio_playback_started", "playback_next", "skill_event_enabled",
                     "system_exception"):
            reply = self.reply(fixture(name))
            self.assertEqual(reply, {"kind": "reply"}, name)
        self.assertEqual(self.reply(fixture("can_fulfill_intent"))["canFulfillIntent"],
                         {"canFulfill": "NO"})
        self.assertEqual(self.reply(testing.can_fulfill_request("OnlyIntent"))
                         ["canFulfillIntent"], {"canFulfill": "YES"})

    def test_unknown_intent_default_warns_in_the_log(self):
        self.load("""
            from skillkit import launch
            @launch
            def hi(req): return "hi"
            """, name="unknown")
        reply = self.reply(intent("MysteryIntent"))
        self.assertIn("don't know how to do that yet", reply["speech"][0]["text"])
        self.assertIs(reply["shouldEndSession"], False)
        self.assertIn("MysteryIntent", self.err.getvalue())
        self.assertIn('@intent("MysteryIntent")', self.err.getvalue())
        self.err.truncate(0)
        self.reply(intent("AMAZON.FallbackIntent"))
        self.assertNotIn("warning", self.err.getvalue())
        # NavigateHome goes to the skill's own welcome.
        self.assertEqual(self.reply(intent("AMAZON.NavigateHomeIntent"))["speech"],
                         [{"text": "hi"}])

    def test_session_ended_error_goes_to_the_log(self):
        self.load("""
            from skillkit import launch
            @launch
            def hi(req): return "hi"
            """, name="ended")
        self.reply(fixture("session_ended_error"))
        self.assertIn("INVALID_RESPONSE", self.err.getvalue())

    def test_fallback_catches_unknown_intents_but_not_stop(self):
        self.load("""
            from skillkit import fallback, ask
            @fallback
            def fb(req): return ask(f"Fallback for {req.intent}")
            """, name="fb")
        self.assertEqual(self.reply(intent("MysteryIntent"))["speech"],
                         [{"text": "Fallback for MysteryIntent"}])
        self.assertEqual(self.err.getvalue(), "")
        self.assertEqual(self.reply(intent("AMAZON.StopIntent"))["speech"],
                         [{"text": "Goodbye!"}])

    def test_catch_all_intent_handler(self):
        self.load("""
            from skillkit import on, intent
            @on("IntentRequest")
            def any_intent(req): return f"any {req.intent}"
            @intent("Mine")
            def mine(req): return "mine"
            """, name="catchall")
        self.assertEqual(self.reply(intent("Mine"))["speech"], [{"text": "mine"}])
        self.assertEqual(self.reply(intent("AMAZON.StopIntent"))["speech"],
                         [{"text": "any AMAZON.StopIntent"}])

    def test_session_ended_handler_may_return_nothing(self):
        self.load("""
            from skillkit import session_ended, launch
            @launch
            def hi(req): return None
            @session_ended
            def bye(req):
                print("ended", req.reason)
            """, name="ended2")
        # No sessionAttributes: the session is over, there is nothing to keep them in.
        self.assertEqual(self.reply(testing.session_ended_request()), {"kind": "reply"})
        self.assertIn("ended USER_INITIATED", self.out.getvalue())
        # Elsewhere None is still a mistake.
        self.assertEqual(self.error(testing.launch_request())["kind"], "result")


class InterceptorTest(RunnerCase):

    def test_order_and_replacement(self):
        self.load("""
            from skillkit import before, after, intent, error, Response
            calls = []
            @before
            def first(req):
                calls.clear()
                calls.append("before1")
            @before
            def second(req):
                calls.append("before2")
                if req.intent == "Short":
                    return "short-circuit"
            @intent("Normal")
            def normal(req):
                calls.append("handler")
                return "normal"
            @intent("Short")
            def short(req):
                calls.append("handler")
                return "never"
            @intent("Boom")
            def boom(req):
                calls.append("handler")
                raise ValueError("boom")
            @error
            def oops(req, exc):
                calls.append(f"error:{type(exc).__name__}:{exc}")
                return "recovered"
            @after
            def keep(req, response):
                calls.append("after1")
            @after
            def add(req, response):
                calls.append("after2")
                assert isinstance(response, Response)
                return response.speak(" / ".join(calls))
            """, name="inter")
        self.assertEqual(self.reply(intent("Normal"))["speech"],
                         [{"text": "normal before1 / before2 / handler / after1 / after2"}])
        self.assertEqual(self.reply(intent("Short"))["speech"],
                         [{"text": "short-circuit before1 / before2 / after1 / after2"}])
        self.assertEqual(self.reply(intent("Boom"))["speech"], [{"text": (
            "recovered before1 / before2 / handler / error:ValueError:boom / after1 / after2")}])

    def test_error_in_before_goes_to_error_handler(self):
        self.load("""
            from skillkit import before, launch, error
            @before
            def check(req):
                raise KeyError("user")
            @launch
            def hi(req): return "hi"
            @error
            def oops(req, exc):
                return f"sorry {exc!r}"
            """, name="inter2")
        self.assertEqual(self.reply(testing.launch_request())["speech"],
                         [{"text": "sorry KeyError('user')"}])

    def test_error_handler_that_fails(self):
        _, path = self.load("""
            from skillkit import launch, error
            @launch
            def hi(req):
                return 1 / 0
            @error
            def oops(req, exc):
                return undefined_name
            """, name="inter3")
        error = self.error(testing.launch_request())
        self.assertEqual((error["type"], error["function"], error["line"]),
                         ("NameError", "oops", 7))
        self.assertIn("ZeroDivisionError", error["traceback"])
        self.load("""
            from skillkit import launch, error
            @launch
            def hi(req):
                return 1 / 0
            @error
            def oops(req, exc):
                pass
            """, name="inter4")
        error = self.error(testing.launch_request())
        self.assertEqual(error["kind"], "result")
        self.assertIn("@error handler oops", error["spoken"])

    def test_skill_error_speaks_and_skips_error_handler(self):
        self.load("""
            from skillkit import intent, error, SkillError
            @intent("End")
            def end(req):
                raise SkillError("I need a number.")
            @intent("Again")
            def again(req):
                raise SkillError("Which number?", reprompt="Say a number.")
            @error
            def oops(req, exc):
                return "error handler"
            """, name="skillerror")
        reply = self.reply(intent("End"))
        self.assertEqual((reply["speech"], reply["shouldEndSession"]),
                         ([{"text": "I need a number."}], True))
        reply = self.reply(intent("Again"))
        self.assertEqual((reply["reprompt"], reply["shouldEndSession"]),
                         ([{"text": "Say a number."}], False))

    def test_unhandled_exception_without_error_handler_is_the_error(self):
        self.load("""
            from skillkit import launch, after
            @launch
            def hi(req): raise RuntimeError("nope")
            @after
            def never(req, response): return "replaced"
            """, name="noerror")
        self.assertEqual(self.error(testing.launch_request())["type"], "RuntimeError")


class ResponseApiTest(unittest.TestCase):

    def test_type_checks_at_the_authors_line(self):
        R = skillkit.Response
        with self.assertRaisesRegex(TypeError, "the number 5"):
            R(5)
        with self.assertRaisesRegex(TypeError, "list holds"):
            R(["a", 3])
        with self.assertRaises(TypeError):
            R("x", card="a card")
        with self.assertRaises(TypeError):
            R("x", directives=[{"no": "type"}])
        with self.assertRaises(TypeError):
            R("x", directives={"type": "Hint"})
        with self.assertRaises(ValueError):
            R("x", play_behavior="LOUD")
        with self.assertRaises(TypeError):
            R("x", end_session="yes")
        with self.assertRaises(TypeError):
            R("x", session_attributes=[1])
        with self.assertRaises(TypeError):
            skillkit.SimpleCard("t", None)
        with self.assertRaises(TypeError):
            skillkit.PermissionsCard([])
        self.assertEqual(skillkit.PermissionsCard("a").to_json()["permissions"], ["a"])
        self.assertEqual(skillkit.StandardCard("t", "x").to_json(),
                         {"type": "Standard", "title": "t", "text": "x"})

    def test_text_and_repr(self):
        r = skillkit.ask(["Hi", skillkit.SSML("<break/>")], "Again?")
        self.assertEqual(r.text, "Hi <break/>")
        self.assertIn("Again?", repr(r))
        self.assertEqual(r.decide_end_session(True), False)
        self.assertIs(skillkit.Response("x").decide_end_session(False), skillkit.ABSENT)

    def test_exports(self):
        for name in skillkit.__all__:
            self.assertTrue(hasattr(skillkit, name), name)
        self.assertTrue(issubclass(skillkit.DeadlineExceeded, BaseException))
        self.assertFalse(issubclass(skillkit.DeadlineExceeded, Exception))
        self.assertIn("SessionEndedRequest", skillkit.__doc__)


if __name__ == "__main__":
    unittest.main()
