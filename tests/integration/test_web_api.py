"""The web simulator's JSON API of `serve --dev` (server/classroom/simulator.h), end to
end: the real binary, real sockets, the bundled and test skills."""
import json
import os
import unittest

from harness import Server, copy_skills, temp_dir
from test_say import bilingual_project


def skills_with(*names):
    """A temporary skills folder with copies of bundled or test skills."""
    root = temp_dir("skillserver-web-")
    return copy_skills(root, names)


def turn(srv, utterance, session=None, skill=None, locale=None):
    """POST one turn; returns (status, the answer's JSON)."""
    body = json.dumps({"skill": skill, "utterance": utterance, "session": session,
                       "locale": locale})
    status, headers, data = srv.request("POST", "/simulator/turn", body.encode())
    assert headers["content-type"].startswith("application/json"), headers
    return status, json.loads(data)


class WebApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server("--dev", skills=skills_with("thank_you", "counter", "name_error"))

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def test_page_and_files_are_served(self):
        status, headers, body = self.srv.request("GET", "/")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/html"), headers)
        self.assertIn(b"/simulator/app.js", body)
        for name, kind in (("app.js", "text/javascript"), ("style.css", "text/css")):
            status, headers, body = self.srv.request("GET", "/simulator/" + name)
            self.assertEqual(status, 200, name)
            self.assertTrue(headers["content-type"].startswith(kind), headers)
            self.assertGreater(len(body), 100)
        status, _, _ = self.srv.request("GET", "/simulator/nope.js")
        self.assertEqual(status, 404)
        status, headers, _ = self.srv.request("POST", "/simulator/skills", b"{}")
        self.assertEqual(status, 405)
        self.assertIn("GET", headers["allow"])

    def test_skills_are_listed(self):
        status, _, body = self.srv.request("GET", "/simulator/skills")
        self.assertEqual(status, 200)
        data = json.loads(body)
        by_name = {s["name"]: s for s in data["skills"]}
        self.assertEqual(sorted(by_name), ["counter", "name_error", "thank_you"])
        self.assertEqual(by_name["thank_you"]["invocation"], "thank you")
        self.assertEqual(data["default"], "thank_you")

    def test_a_turn(self):
        status, data = turn(self.srv, "open thank you")
        self.assertEqual(status, 200, data)
        self.assertEqual(data["skill"], "thank_you")
        self.assertEqual(data["request"]["request"]["type"], "LaunchRequest")
        self.assertTrue(data["request"]["session"]["new"])
        self.assertEqual(data["heard"], "LaunchRequest")
        self.assertTrue(data["speech"], data)
        self.assertIsNone(data["error"])
        self.assertIn("outputSpeech", data["response"]["response"])
        status, data = turn(self.srv, "thank you", session=data["session"])
        self.assertEqual(status, 200, data)
        self.assertEqual(data["speech"], "You're welcome!")
        self.assertTrue(data["heard"].startswith("ThankYouIntent"), data["heard"])
        self.assertEqual(data["request"]["request"]["intent"]["name"], "ThankYouIntent")

    def test_the_sample_and_what_was_ignored(self):
        status, data = turn(self.srv, "um thank you so much", skill="thank_you")
        self.assertEqual(status, 200, data)
        self.assertEqual((data["matched"], data["how"]), ("thank you", "ignored: um, so much"))
        status, data = turn(self.srv, "thank you", skill="thank_you")
        self.assertEqual((data["matched"], data["how"]), ("thank you", None))
        status, data = turn(self.srv, "play music", skill="thank_you")
        self.assertEqual((data["matched"], data["how"]), (None, None))

    def test_a_slot_is_heard(self):
        status, data = turn(self.srv, "thank you my name is Sam", skill="thank_you")
        self.assertEqual(status, 200, data)
        self.assertIn('name = "Sam"', data["heard"])
        slots = data["request"]["request"]["intent"]["slots"]
        self.assertEqual(slots["name"]["value"], "Sam")

    def test_session_over_turns(self):
        status, data = turn(self.srv, "open counting game")
        self.assertEqual(status, 200, data)
        session = data["session"]
        self.assertEqual(session["skill"], "counter")
        self.assertFalse(data["ended"])
        first_id = data["request"]["session"]["sessionId"]
        self.assertEqual(session["id"], first_id)
        expected = ["One.", "Two."]
        for words in expected:
            status, data = turn(self.srv, "next", session=session)
            self.assertEqual(status, 200, data)
            self.assertTrue(data["speech"].startswith(words), data["speech"])
            self.assertEqual(data["request"]["session"]["sessionId"], first_id)
            self.assertFalse(data["request"]["session"]["new"])
            session = data["session"]
        self.assertEqual(session["attributes"].get("count"), 2, session)
        # Without the session the count starts again.
        status, data = turn(self.srv, "open counting game")
        status, data = turn(self.srv, "next", session=data["session"])
        self.assertTrue(data["speech"].startswith("One."), data["speech"])
        # stop ends it: no session comes back.
        status, data = turn(self.srv, "stop", session=data["session"])
        self.assertEqual(status, 200, data)
        self.assertIsNone(data["session"])
        self.assertTrue(data["ended"])

    def test_unknown_skill(self):
        status, data = turn(self.srv, "hello", skill="no_such_skill")
        self.assertEqual(status, 404)
        self.assertIn("no_such_skill", data["error"])

    def test_bad_bodies(self):
        for body in (b"not json", b"[1]", b'{"utterance": ""}', b'{"utterance": 3}',
                     b'{"utterance": "hi", "skill": 5}',
                     b'{"utterance": "hi", "session": {"id": 1}}'):
            status, _, data = self.srv.request("POST", "/simulator/turn", body)
            self.assertEqual(status, 400, body)
            self.assertTrue(json.loads(data)["error"], body)

    def test_broken_skill_error_is_shown(self):
        status, data = turn(self.srv, "thank you", skill="name_error")
        self.assertEqual(status, 200, data)
        self.assertEqual(data["skill"], "name_error")
        self.assertIn("nmae", data["error"])
        # --dev speaks the error: the answer says what went wrong.
        self.assertTrue(data["speech"], data)
        self.assertIn("outputSpeech", data["response"]["response"])

    def test_alexa_requests_to_root_still_route(self):
        status, data = turn(self.srv, "open thank you", skill="thank_you")
        request = json.dumps(data["request"]).encode()
        # Three skills share the default applicationId here, so / cannot pick
        # one: the answer is the applicationId router's, not the page's API.
        status, _, body = self.srv.request("POST", "/", request)
        self.assertEqual(status, 404, body)
        self.assertIn("applicationId", json.loads(body)["message"])
        status, _, body = self.srv.request("POST", "/skills/thank_you", request)
        self.assertEqual(status, 200, body)
        self.assertIn("outputSpeech", json.loads(body)["response"])


class LocalesAndDialogs(unittest.TestCase):
    """A turn in the locale the page names; a dialog the page carries from
    turn to turn in its session."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Server("--dev", skills=bilingual_project(skills_with("coffee_order")))

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def test_a_turn_in_german(self):
        status, data = turn(self.srv, "guten morgen", skill="greeter", locale="de-DE")
        self.assertEqual(status, 200, data)
        self.assertEqual(data["request"]["request"]["locale"], "de-DE")
        self.assertEqual(data["locale"], "de-DE")
        self.assertEqual(data["heard"], "GreetIntent")
        self.assertEqual(data["speech"], "Hallo, schön dich zu hören!")
        status, data = turn(self.srv, "open der begrüßer", locale="de-DE")
        self.assertEqual((status, data["speech"]), (200, "Willkommen beim Begrüßer."), data)
        # Without a locale, the skill's own: German words are not understood.
        status, data = turn(self.srv, "guten morgen", skill="greeter")
        self.assertEqual((status, data["heard"]), (200, "AMAZON.FallbackIntent"), data)
        self.assertEqual(data["request"]["request"]["locale"], "en-US")

    def test_bad_locales(self):
        status, data = turn(self.srv, "hallo", skill="greeter", locale="deutsch")
        self.assertEqual(status, 400, data)
        self.assertIn("is not a locale", data["error"])
        status, _, body = self.srv.request("POST", "/simulator/turn",
                                           b'{"utterance": "hallo", "locale": 5}')
        self.assertEqual(status, 400, body)

    def test_a_dialog_across_turns(self):
        status, data = turn(self.srv, "open coffee corner", skill="coffee_order")
        self.assertEqual(status, 200, data)
        status, data = turn(self.srv, "i want a coffee", data["session"], "coffee_order")
        self.assertEqual(status, 200, data)
        self.assertEqual(data["said"], "Which drink would you like?\n")
        self.assertEqual(data["session"]["dialog"]["waiting"], "slot")
        self.assertEqual(data["session"]["dialog"]["slot"], "drink")
        status, data = turn(self.srv, "a flattie please", data["session"], "coffee_order")
        self.assertTrue(data["heard"].startswith("OrderIntent [dialog IN_PROGRESS]"),
                        data["heard"])
        self.assertEqual(data["said"], "What size of flattie?\n")
        status, data = turn(self.srv, "big", data["session"], "coffee_order")
        self.assertEqual(data["said"], "A big flattie, is that right?\n")
        self.assertEqual(data["session"]["dialog"]["waiting"], "confirmation")
        status, data = turn(self.srv, "yes", data["session"], "coffee_order")
        self.assertEqual((status, data["speech"]), (200, "One big flat white, coming up!"), data)
        self.assertEqual(data["request"]["request"]["dialogState"], "COMPLETED")
        self.assertTrue(data["ended"])

    def test_a_dialog_the_page_made_up_is_refused(self):
        status, data = turn(self.srv, "open coffee corner", skill="coffee_order")
        session = dict(data["session"], dialog={"waiting": "everything"})
        status, data = turn(self.srv, "big", session, "coffee_order")
        self.assertEqual(status, 400, data)
        self.assertIn("dialog", data["error"])


class HotReload(unittest.TestCase):
    """--dev picks up a saved skill on the next request; a save that does not
    import keeps the last good version answering, and the page is told why."""

    def test_good_save_then_broken_save(self):
        skills = skills_with("thank_you")
        path = os.path.join(skills, "thank_you", "skill.py")
        with Server("--dev", skills=skills) as srv:
            status, data = turn(srv, "thank you", skill="thank_you")
            self.assertEqual(data["speech"], "You're welcome!")
            self.assertIsNone(data["problem"])

            with open(path) as f:
                good = f.read().replace("You're welcome!", "You are very welcome!")
            mark = len(srv.lines)
            with open(path, "w") as f:
                f.write(good)
            self.assertTrue(srv.wait_for(r"skills? loaded", 30, start=mark), srv.log())
            status, data = turn(srv, "thank you", skill="thank_you")
            self.assertEqual(data["speech"], "You are very welcome!")

            mark = len(srv.lines)
            with open(path, "w") as f:
                f.write(good.replace("def thanks(req):", "def thanks(req)"))
            self.assertTrue(srv.wait_for(r"skill\.py:\d+", 30, start=mark), srv.log())
            status, data = turn(srv, "thank you", skill="thank_you")
            self.assertEqual(status, 200, data)
            self.assertEqual(data["speech"], "You are very welcome!")
            self.assertIn("SyntaxError", data["problem"])
            self.assertIn("skill.py:", data["problem"])
            status, _, body = srv.request("GET", "/simulator/skills")
            listed = {s["name"]: s for s in json.loads(body)["skills"]}
            self.assertIn("SyntaxError", listed["thank_you"]["problem"])

            mark = len(srv.lines)
            with open(path, "w") as f:
                f.write(good)
            self.assertTrue(srv.wait_for(r"skill thank_you reloaded", 30, start=mark), srv.log())
            status, data = turn(srv, "thank you", skill="thank_you")
            self.assertIsNone(data["problem"])


class WithoutDev(unittest.TestCase):
    def test_simulator_is_not_there(self):
        with Server(skills=skills_with("thank_you")) as srv:
            for method, path, body in (("GET", "/simulator/skills", None),
                                       ("GET", "/simulator/app.js", None),
                                       ("POST", "/simulator/turn",
                                        b'{"utterance": "thank you"}')):
                status, _, _ = srv.request(method, path, body)
                self.assertEqual(status, 404, path)
            status, headers, _ = srv.request("GET", "/")
            self.assertEqual(status, 405)
            self.assertEqual(headers["allow"], "POST")


if __name__ == "__main__":
    unittest.main()
