"""The request object (skillkit/request.py): its accessors on real and
malformed envelopes, slot values and entity resolution, and the locale.

Run: python3 tests/taprun.py tests/unit/worker/test_skillkit_request.py
(SOURCE_ROOT may name the repository; otherwise it is found from this file.)
"""
import unittest

from skillkit_support import fixture, RunnerCase, testing, Request


class RequestTest(unittest.TestCase):

    def test_accessors_on_a_full_intent_request(self):
        event = fixture("intent_order_drink")
        req = Request(event, {"best": 1})
        self.assertEqual(req.type, "IntentRequest")
        self.assertEqual(req.intent, "OrderDrinkIntent")
        self.assertEqual(req.slot("drink"), "flat white")
        self.assertEqual(req.slot_id("drink"), "FLAT_WHITE")
        self.assertEqual(req.slot_resolved("drink"), "flat white")
        self.assertIsNone(req.slot("size"))
        self.assertEqual(req.slot("size", "medium"), "medium")
        self.assertIsNone(req.slot_id("size"))
        self.assertIsNone(req.slot("nonexistent"))
        self.assertEqual(set(req.slots), {"drink", "size"})
        self.assertFalse(req.slots["size"])
        self.assertEqual(req.slots["drink"].status, "ER_SUCCESS_MATCH")
        self.assertEqual(req.slots["drink"].confirmation, "NONE")
        self.assertEqual(req.dialog_state, "STARTED")
        self.assertEqual(req.confirmation, "NONE")
        self.assertEqual(req.locale, "en-US")
        self.assertTrue(req.user_id.startswith("amzn1.ask.account."))
        self.assertTrue(req.device_id.startswith("amzn1.ask.device."))
        self.assertEqual(req.request_id, event["request"]["requestId"])
        self.assertEqual(req.application_id,
                         "amzn1.ask.skill.00000000-0000-0000-0000-000000000000")
        self.assertFalse(req.new_session)
        self.assertTrue(req.has_session)
        self.assertEqual(req.session, {"lastIntent": "LaunchRequest", "turn": 1})
        self.assertEqual(req.persistent, {"best": 1})
        self.assertTrue(req.supports("Alexa.Presentation.APL"))
        self.assertFalse(req.supports("AudioPlayer"))
        self.assertEqual(req.access_token, "Atza|PLACEHOLDER-ACCOUNT-LINKING-TOKEN")
        self.assertIs(req.event, event)
        self.assertEqual(req.timestamp, event["request"]["timestamp"])
        # req.session is a copy: changing it leaves the envelope alone.
        req.session["turn"] = 2
        self.assertEqual(event["session"]["attributes"]["turn"], 1)

    def test_dynamic_entities_are_preferred(self):
        raw = {"name": "drink", "value": "house special", "resolutions": {
            "resolutionsPerAuthority": [
                {"authority": "amzn1.er-authority.echo-sdk.SKILL.DrinkType",
                 "status": {"code": "ER_SUCCESS_MATCH"},
                 "values": [{"value": {"name": "espresso", "id": "ESPRESSO"}}]},
                {"authority": "amzn1.er-authority.echo-sdk.dynamic.SKILL.DrinkType",
                 "status": {"code": "ER_SUCCESS_MATCH"},
                 "values": [{"value": {"name": "todays special", "id": "SPECIAL"}},
                            {"value": {"name": "other", "id": "OTHER"}}]}]}}
        event = testing.intent_request("OrderDrinkIntent", drink=raw)
        req = Request(event)
        self.assertEqual(req.slot_id("drink"), "SPECIAL")
        self.assertEqual(req.slot_resolved("drink"), "todays special")
        self.assertEqual(req.slot("drink"), "house special")

    def test_static_match_beats_alexa_entities(self):
        raw = {"value": "paris", "resolutions": {"resolutionsPerAuthority": [
            {"authority": "AlexaEntities", "status": {"code": "ER_SUCCESS_MATCH"},
             "values": [{"value": {"name": "Paris", "id": "https://ld.amazonalexa.com/x"}}]},
            {"authority": "amzn1.er-authority.echo-sdk.SKILL.City",
             "status": {"code": "ER_SUCCESS_MATCH"},
             "values": [{"value": {"name": "Paris", "id": "PAR"}}]}]}}
        req = Request(testing.intent_request("Go", city=raw))
        self.assertEqual(req.slot_id("city"), "PAR")

    def test_no_match_falls_back_to_the_spoken_value(self):
        req = Request(testing.intent_request("Go", drink=testing.slot("tea", matched=False)))
        self.assertIsNone(req.slot_id("drink"))
        self.assertEqual(req.slot_resolved("drink"), "tea")
        self.assertEqual(req.slots["drink"].status, "ER_SUCCESS_NO_MATCH")
        self.assertIsNone(req.slots["drink"].resolved)

    def test_slot_value_forms(self):
        multi = {"slotValue": {"type": "List", "values": [
            {"type": "Simple", "value": "apples"}, {"type": "Simple", "value": "pears"}]}}
        simple = {"slotValue": {"type": "Simple", "value": "tea", "resolutions": {
            "resolutionsPerAuthority": [{"authority": "amzn1.er-authority.echo-sdk.S.T",
                                         "status": {"code": "ER_SUCCESS_MATCH"},
                                         "values": [{"value": {"name": "Tea", "id": "TEA"}}]}]}}}
        req = Request(testing.intent_request("Buy", fruit=multi, drink=simple))
        self.assertIsNone(req.slot("fruit"))
        self.assertEqual(req.slots["fruit"].values, ["apples", "pears"])
        self.assertTrue(req.slots["fruit"])
        self.assertEqual(req.slot("drink"), "tea")
        self.assertEqual(req.slot_id("drink"), "TEA")

    def test_empty_and_missing_slots_give_the_default(self):
        event = testing.intent_request("Go", name=None)
        event["request"]["intent"]["slots"]["name"] = {"name": "name",
                                                       "confirmationStatus": "NONE"}
        req = Request(event)
        self.assertEqual(req.slot("name", "friend"), "friend")
        self.assertIsNone(req.slot("name"))
        self.assertEqual(req.slot("nickname", "pal"), "pal")
        self.assertIsNone(req.slots["name"].value)
        self.assertEqual(Request(testing.intent_request("Go", name="Sam")).slot("name", "x"), "Sam")

    def test_sessionless_request(self):
        req = Request(fixture("audio_playback_started"))
        self.assertEqual(req.type, "AudioPlayer.PlaybackStarted")
        self.assertFalse(req.has_session)
        self.assertFalse(req.new_session)
        self.assertIsNone(req.session_id)
        self.assertEqual(req.session, {})
        self.assertIsNone(req.intent)
        self.assertEqual(req.slots, {})
        self.assertTrue(req.application_id.startswith("amzn1.ask.skill."))
        self.assertEqual(req.body["token"], fixture("audio_playback_started")["request"]["token"])

    def test_malformed_envelopes_do_not_raise(self):
        for event in ({}, {"request": 5}, {"request": {"type": 7, "intent": "x"}},
                      {"session": [], "context": {"System": None}}, None):
            req = Request(event)
            self.assertEqual(req.type, "")
            self.assertIsNone(req.intent)
            self.assertEqual(req.slots, {})
            self.assertIsNone(req.user_id)
            self.assertFalse(req.supports("AudioPlayer"))
            self.assertEqual(req.locale, "en-US")

    def test_session_ended_fields(self):
        req = Request(fixture("session_ended_error"))
        self.assertEqual(req.reason, "ERROR")
        self.assertEqual(req.error["type"], "INVALID_RESPONSE")


class LocaleTest(RunnerCase):

    def test_locale_defaults_to_the_skill_manifest(self):
        self.load("""
            from skillkit import launch
            @launch
            def hi(req): return req.locale
            """, name="german", manifest={"locale": "de-DE"})
        event = testing.launch_request()
        del event["request"]["locale"]
        self.assertEqual(self.reply(event)["speech"], [{"text": "de-DE"}])
        self.assertEqual(self.reply(testing.launch_request(locale="en-GB"))["speech"],
                         [{"text": "en-GB"}])


if __name__ == "__main__":
    unittest.main()
