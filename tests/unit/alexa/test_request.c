/*
 * test_request.c - the request module (server/alexa/request.c): every field
 * of the view, from the canned fixtures and from fixtures with one member
 * edited: slots and their resolutions, which resolution wins, and the
 * fallbacks between context and session.
 *
 * The other unit tests of the module: test_request_types.c (every fixture
 * and every request type), test_request_malformed.c (every malformed shape
 * with its exact error), test_request_limits.c (sizes and nesting).
 */

#include "request_test.h"

static void
test_launch(void)
{
    struct request r;
    struct ss_error err;
    enum ss_err rc = parse_fixture("launch.json", &r, &err);

    is_int(rc, SS_ERR_OK, "launch.json parses");
    is_str(err.msg, "", "success clears the error message");
    is_int(err.code, SS_ERR_OK, "success clears the error code");
    ok(r.root != NULL, "launch: root kept");
    is_str(r.version, "1.0", "launch: version");
    is_int(r.type, REQ_LAUNCH, "launch: type");
    is_str(r.type_name, "LaunchRequest", "launch: type_name");
    is_str(r.request_id, "amzn1.echo-api.request.00000000-0000-0000-0000-000000000001",
           "launch: requestId");
    is_str(r.timestamp, "2025-01-15T18:04:05Z", "launch: timestamp");
    is_str(r.locale, "en-US", "launch: locale");
    is_str(r.application_id, "amzn1.ask.skill.00000000-0000-0000-0000-000000000000",
           "launch: applicationId");
    is_str(r.session_application_id, "amzn1.ask.skill.00000000-0000-0000-0000-000000000000",
           "launch: session applicationId");
    is_str(r.user_id, "amzn1.ask.account.EXAMPLEUSERID0000000000000000000000000000000000000000",
           "launch: userId");
    ok(r.person_id == NULL, "launch: no personId");
    ok(r.access_token == NULL, "launch: no accessToken");
    is_str(r.device_id, "amzn1.ask.device.EXAMPLEDEVICEID00000000000000000000000000000000000000",
           "launch: deviceId");
    ok(r.supported_interfaces && r.supported_interfaces->type == SS_NODE_OBJECT &&
           ss_node_get(r.supported_interfaces, "AudioPlayer") != NULL,
       "launch: supportedInterfaces lists AudioPlayer");
    ok(r.has_session, "launch: has a session");
    ok(r.session_new, "launch: session is new");
    is_str(r.session_id, "amzn1.echo-api.session.00000000-0000-0000-0000-000000000001",
           "launch: sessionId");
    ok(r.session_attributes && r.session_attributes->type == SS_NODE_OBJECT &&
           r.session_attributes->count == 0,
       "launch: attributes {}");
    ok(r.intent_name == NULL, "launch: no intent");
    is_int(r.intent_confirmation, CONFIRM_ABSENT, "launch: no intent confirmation");
    is_int(r.dialog_state, DIALOG_ABSENT, "launch: no dialogState");
    ok(r.slots == NULL && r.slot_count == 0, "launch: no slots");
    ok(r.end_reason == NULL && r.error_type == NULL && r.error_message == NULL,
       "launch: no reason or error");
    ok(request_slot(&r, "name") == NULL, "launch: request_slot finds nothing");
    request_cleanup(&r);
    ok(r.root == NULL && r.version == NULL, "cleanup zeroes the view");
    request_cleanup(&r);
    ok(r.root == NULL && r.slots == NULL && r.slot_count == 0, "cleanup twice is safe");
    request_cleanup(NULL);
}

static void
test_order_drink(void)
{
    struct request r;
    struct ss_error err;
    const struct request_slot *drink, *size;
    enum ss_err rc = parse_fixture(ORDER, &r, &err);

    is_int(rc, SS_ERR_OK, "order_drink parses");
    is_int(r.type, REQ_INTENT, "order: type");
    is_str(r.type_name, "IntentRequest", "order: type_name");
    is_str(r.timestamp, "2025-01-15T18:04:21Z", "order: timestamp");
    is_str(r.intent_name, "OrderDrinkIntent", "order: intent name");
    is_int(r.intent_confirmation, CONFIRM_NONE, "order: intent confirmation NONE");
    is_int(r.dialog_state, DIALOG_STARTED, "order: dialogState STARTED");
    ok(r.has_session && !r.session_new, "order: session not new");
    is_str(r.access_token, "Atza|PLACEHOLDER-ACCOUNT-LINKING-TOKEN", "order: accessToken");
    ok(r.supported_interfaces && r.supported_interfaces->type == SS_NODE_OBJECT &&
           ss_node_get(r.supported_interfaces, "Alexa.Presentation.APL") != NULL,
       "order: APL in supportedInterfaces");
    const struct ss_node *turn = ss_node_get(r.session_attributes, "turn");
    const struct ss_node *last = ss_node_get(r.session_attributes, "lastIntent");
    ok(turn && turn->type == SS_NODE_INTEGER && turn->v.integer == 1,
       "order: session attribute turn");
    is_str(last && last->type == SS_NODE_STRING ? last->v.string : NULL, "LaunchRequest",
           "order: session attribute lastIntent");
    is_int(r.slot_count, 2, "order: two slots");
    if (r.slot_count == 2) {
        is_str(r.slots[0].name, "drink", "order: slots in the order sent (drink first)");
        is_str(r.slots[1].name, "size", "order: size second");
    }
    drink = request_slot(&r, "drink");
    size = request_slot(&r, "size");
    ok(drink && size, "order: request_slot finds both");
    if (drink) {
        is_str(drink->value, "flat white", "drink: value");
        is_int(drink->confirmation, CONFIRM_NONE, "drink: confirmation");
        is_str(drink->resolution.authority,
               "amzn1.er-authority.echo-sdk.amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
               ".DrinkType",
               "drink: the static authority that matched");
        is_str(drink->resolution.status, "ER_SUCCESS_MATCH", "drink: status");
        is_str(drink->resolution.id, "FLAT_WHITE", "drink: resolved id");
        is_str(drink->resolution.name, "flat white", "drink: resolved name");
    }
    if (size) {
        ok(size->value == NULL, "size: unfilled");
        is_int(size->confirmation, CONFIRM_NONE, "size: confirmation");
        ok(size->resolution.authority == NULL && size->resolution.status == NULL &&
               size->resolution.id == NULL && size->resolution.name == NULL,
           "size: no resolution");
    }
    ok(request_slot(&r, "Drink") == NULL, "request_slot is case-sensitive");
    ok(request_slot(&r, NULL) == NULL, "request_slot with NULL name");
    ok(request_slot(NULL, "drink") == NULL, "request_slot with NULL request");
    request_cleanup(&r);
}

static void
test_dialog_and_thank_you(void)
{
    struct request r;
    const struct request_slot *s;

    is_int(parse_fixture("intent_order_drink_dialog.json", &r, NULL), SS_ERR_OK,
           "dialog fixture parses (err may be NULL)");
    is_int(r.dialog_state, DIALOG_IN_PROGRESS, "dialog: IN_PROGRESS");
    s = request_slot(&r, "size");
    ok(s != NULL, "dialog: size slot");
    if (s) {
        is_str(s->value, "regular", "dialog: size said as a synonym");
        is_str(s->resolution.id, "MEDIUM", "dialog: size resolved id");
        is_str(s->resolution.name, "medium", "dialog: size canonical name");
    }
    request_cleanup(&r);

    is_int(parse_fixture("intent_thank_you_name.json", &r, NULL), SS_ERR_OK,
           "thank_you_name parses");
    is_str(r.intent_name, "ThankYouIntent", "thank_you_name: intent");
    ok(r.session_new, "thank_you_name: one-shot opens a new session");
    s = request_slot(&r, "name");
    ok(s && s->value && strcmp(s->value, "Sam") == 0, "thank_you_name: name = Sam");
    ok(s && s->resolution.authority == NULL, "thank_you_name: built-in type, no resolution");
    request_cleanup(&r);

    is_int(parse_fixture("intent_thank_you.json", &r, NULL), SS_ERR_OK, "thank_you parses");
    s = request_slot(&r, "name");
    ok(s && s->value == NULL, "thank_you: name slot present but unfilled");
    is_int(r.slot_count, 1, "thank_you: one slot");
    request_cleanup(&r);

    is_int(parse_fixture("intent_help.json", &r, NULL), SS_ERR_OK, "help parses");
    ok(r.slots == NULL && r.slot_count == 0, "help: no slots member, no slot array");
    is_int(r.dialog_state, DIALOG_ABSENT, "help: no dialog model");
    request_cleanup(&r);
}

static void
test_other_fixture_fields(void)
{
    struct request r;

    is_int(parse_fixture("session_ended_error.json", &r, NULL), SS_ERR_OK,
           "session_ended_error parses");
    is_str(r.end_reason, "ERROR", "ended: reason");
    is_str(r.error_type, "INVALID_RESPONSE", "ended: error.type");
    contains(r.error_message, "Invalid SSML Output Speech", "ended: error.message");
    ok(r.intent_name == NULL, "ended: no intent");
    request_cleanup(&r);

    is_int(parse_fixture("session_ended_user.json", &r, NULL), SS_ERR_OK, "ended_user parses");
    is_str(r.end_reason, "USER_INITIATED", "ended_user: reason");
    ok(r.error_type == NULL, "ended_user: no error");
    request_cleanup(&r);

    is_int(parse_fixture("audio_playback_failed.json", &r, NULL), SS_ERR_OK,
           "playback_failed parses");
    ok(!r.has_session && r.session_id == NULL && r.session_attributes == NULL,
       "playback_failed: no session");
    is_str(r.application_id, "amzn1.ask.skill.00000000-0000-0000-0000-000000000000",
           "playback_failed: applicationId from the context");
    ok(r.session_application_id == NULL, "playback_failed: no session applicationId");
    ok(r.user_id != NULL, "playback_failed: userId from the context");
    is_str(r.error_type, "MEDIA_ERROR_SERVICE_UNAVAILABLE", "playback_failed: error.type");
    request_cleanup(&r);

    is_int(parse_fixture("system_exception.json", &r, NULL), SS_ERR_OK, "system_exception parses");
    is_str(r.error_type, "INVALID_RESPONSE", "system_exception: error.type");
    contains(r.error_message, "may not contain", "system_exception: error.message");
    request_cleanup(&r);

    is_int(parse_fixture("can_fulfill_intent.json", &r, NULL), SS_ERR_OK, "can_fulfill parses");
    is_str(r.intent_name, "ThankYouIntent", "can_fulfill: intent read");
    ok(!r.has_session, "can_fulfill: no session");
    ok(request_slot(&r, "name") != NULL, "can_fulfill: slots read");
    request_cleanup(&r);

    is_int(parse_fixture("skill_event_enabled.json", &r, NULL), SS_ERR_OK, "skill event parses");
    is_int(r.type, REQ_OTHER, "skill event: REQ_OTHER");
    is_str(r.type_name, "AlexaSkillEvent.SkillEnabled", "skill event: type_name as sent");
    ok(r.locale == NULL, "skill event: no locale");
    ok(r.device_id == NULL && r.supported_interfaces == NULL, "skill event: no device");
    request_cleanup(&r);
}

static json_t *
authority(const char *kind, const char *code, const char *id, const char *name)
{
    char a[256];
    json_t *o;
    snprintf(a, sizeof(a), "amzn1.er-authority.echo-sdk.%samzn1.ask.skill.0.DrinkType", kind);
    o = json_pack("{s:s, s:{s:s}}", "authority", a, "status", "code", code);
    if (o && id)
        json_object_set_new(o, "values",
                            json_pack("[{s:{s:s,s:s}}]", "value", "id", id, "name", name));
    return o;
}

static void
test_resolution_choice(void)
{
    struct request r;
    const struct request_slot *s;
    json_t *list;

    /* Static and dynamic both matched: the dynamic one wins even when second. */
    list = json_pack("[o,o]", authority("", "ER_SUCCESS_MATCH", "FLAT_WHITE", "flat white"),
                     authority("dynamic.", "ER_SUCCESS_MATCH", "HOUSE_WHITE", "house white"));
    is_int(parse_edited_view(ORDER, DRINK ".resolutions.resolutionsPerAuthority", list, &r),
           SS_ERR_OK, "static + dynamic matches parse");
    s = request_slot(&r, "drink");
    ok(s && s->resolution.id && strcmp(s->resolution.id, "HOUSE_WHITE") == 0,
       "dynamic match wins over static");
    ok(s && s->resolution.authority && strstr(s->resolution.authority, ".dynamic.") != NULL,
       "chosen authority is the dynamic one");
    is_str(s ? s->resolution.name : NULL, "house white", "dynamic match name");
    request_cleanup(&r);

    /* Dynamic no match first, static match second: the static match. */
    list = json_pack("[o,o]", authority("dynamic.", "ER_SUCCESS_NO_MATCH", NULL, NULL),
                     authority("", "ER_SUCCESS_MATCH", "ESPRESSO", "espresso"));
    is_int(parse_edited_view(ORDER, DRINK ".resolutions.resolutionsPerAuthority", list, &r),
           SS_ERR_OK, "dynamic miss + static match parse");
    s = request_slot(&r, "drink");
    is_str(s ? s->resolution.id : NULL, "ESPRESSO", "a later static match beats an earlier miss");
    is_str(s ? s->resolution.status : NULL, "ER_SUCCESS_MATCH", "status of the match");
    request_cleanup(&r);

    /* Two static matches: the first. */
    list = json_pack("[o,o]", authority("", "ER_SUCCESS_MATCH", "A", "a"),
                     authority("", "ER_SUCCESS_MATCH", "B", "b"));
    is_int(parse_edited_view(ORDER, DRINK ".resolutions.resolutionsPerAuthority", list, &r),
           SS_ERR_OK, "two static matches parse");
    s = request_slot(&r, "drink");
    is_str(s ? s->resolution.id : NULL, "A", "first of equal matches");
    request_cleanup(&r);

    /* No match anywhere: the first authority's status, no id. */
    list = json_pack("[o,o]", authority("", "ER_SUCCESS_NO_MATCH", NULL, NULL),
                     authority("dynamic.", "ER_ERROR_TIMEOUT", NULL, NULL));
    is_int(parse_edited_view(ORDER, DRINK ".resolutions.resolutionsPerAuthority", list, &r),
           SS_ERR_OK, "no match parses");
    s = request_slot(&r, "drink");
    is_str(s ? s->resolution.status : NULL, "ER_SUCCESS_NO_MATCH", "first authority status");
    ok(s && s->resolution.authority && strstr(s->resolution.authority, ".dynamic.") == NULL,
       "first authority reported");
    ok(s && s->resolution.id == NULL && s->resolution.name == NULL, "no id or name unmatched");
    is_str(s ? s->value : NULL, "flat white", "raw value still there");
    request_cleanup(&r);

    /* Empty list: no resolution at all. */
    is_int(parse_edited_view(ORDER, DRINK ".resolutions.resolutionsPerAuthority", json_array(), &r),
           SS_ERR_OK, "empty authority list parses");
    s = request_slot(&r, "drink");
    ok(s && s->resolution.authority == NULL && s->resolution.status == NULL,
       "empty list: no resolution");
    request_cleanup(&r);

    /* A match without values: status kept, no id. */
    is_int(parse_edited_view(ORDER, AUTH0 ".values", NULL, &r), SS_ERR_OK,
           "match without values parses");
    s = request_slot(&r, "drink");
    is_str(s ? s->resolution.status : NULL, "ER_SUCCESS_MATCH", "match without values: status");
    ok(s && s->resolution.id == NULL, "match without values: no id");
    request_cleanup(&r);

    /* resolutions without resolutionsPerAuthority. */
    is_int(parse_edited_view(ORDER, DRINK ".resolutions", json_object(), &r), SS_ERR_OK,
           "empty resolutions object parses");
    s = request_slot(&r, "drink");
    ok(s && s->resolution.authority == NULL, "empty resolutions: none");
    request_cleanup(&r);

    /* Confirmation statuses. */
    is_int(parse_edited_view(ORDER, DRINK ".confirmationStatus", json_string("DENIED"), &r),
           SS_ERR_OK, "DENIED slot parses");
    s = request_slot(&r, "drink");
    is_int(s ? (int)s->confirmation : -1, CONFIRM_DENIED, "slot DENIED");
    request_cleanup(&r);
    is_int(parse_edited_view(ORDER, DRINK ".confirmationStatus", NULL, &r), SS_ERR_OK,
           "slot without confirmationStatus parses");
    s = request_slot(&r, "drink");
    is_int(s ? (int)s->confirmation : -1, CONFIRM_ABSENT, "slot confirmation ABSENT");
    request_cleanup(&r);
    is_int(
        parse_edited_view(ORDER, "request.intent.confirmationStatus", json_string("CONFIRMED"), &r),
        SS_ERR_OK, "CONFIRMED intent parses");
    is_int(r.intent_confirmation, CONFIRM_CONFIRMED, "intent CONFIRMED");
    request_cleanup(&r);
    is_int(parse_edited_view(ORDER, "request.dialogState", json_string("COMPLETED"), &r), SS_ERR_OK,
           "COMPLETED dialog parses");
    is_int(r.dialog_state, DIALOG_COMPLETED, "dialogState COMPLETED");
    request_cleanup(&r);
}

static void
test_fallbacks(void)
{
    struct request r;

    /* applicationId and userId fall back to the session's. */
    is_int(parse_edited_view("launch.json", "context.System", NULL, &r), SS_ERR_OK,
           "no context.System parses");
    is_str(r.application_id, "amzn1.ask.skill.00000000-0000-0000-0000-000000000000",
           "applicationId from the session");
    ok(r.user_id && strncmp(r.user_id, "amzn1.ask.account.", 18) == 0, "userId from the session");
    ok(r.device_id == NULL, "no deviceId without System");
    request_cleanup(&r);

    is_int(parse_edited_view("launch.json", "context.System.application.applicationId",
                             json_string("amzn1.ask.skill.context"), &r),
           SS_ERR_OK, "different context applicationId parses");
    is_str(r.application_id, "amzn1.ask.skill.context", "context applicationId wins");
    is_str(r.session_application_id, "amzn1.ask.skill.00000000-0000-0000-0000-000000000000",
           "session applicationId kept for dispatch to compare");
    request_cleanup(&r);

    is_int(parse_edited_view("launch.json", "context.System.user.userId",
                             json_string("amzn1.ask.account.CONTEXT"), &r),
           SS_ERR_OK, "different context userId parses");
    is_str(r.user_id, "amzn1.ask.account.CONTEXT", "context userId wins");
    request_cleanup(&r);

    is_int(parse_edited_view(ORDER, "context.System.user.accessToken", json_null(), &r), SS_ERR_OK,
           "null context accessToken parses");
    is_str(r.access_token, "Atza|PLACEHOLDER-ACCOUNT-LINKING-TOKEN",
           "null context token: the session's");
    request_cleanup(&r);

    is_int(parse_edited_view("launch.json", "session", NULL, &r), SS_ERR_OK,
           "launch without session parses");
    ok(!r.has_session && !r.session_new && r.session_id == NULL && r.session_attributes == NULL,
       "session absent: all session fields empty");
    ok(r.application_id != NULL, "session absent: applicationId from context");
    request_cleanup(&r);

    is_int(parse_edited_view("launch.json", "context.System.person",
                             json_pack("{s:s}", "personId", "amzn1.ask.person.ABC"), &r),
           SS_ERR_OK, "person parses");
    is_str(r.person_id, "amzn1.ask.person.ABC", "personId");
    request_cleanup(&r);

    /* Fractional timestamps and other locales pass as sent. */
    is_int(parse_edited_view("launch.json", "request.timestamp",
                             json_string("2025-01-15T18:04:05.123Z"), &r),
           SS_ERR_OK, "fractional timestamp parses");
    is_str(r.timestamp, "2025-01-15T18:04:05.123Z", "timestamp as sent");
    request_cleanup(&r);
}

int
main(void)
{
    test_launch();
    test_order_drink();
    test_dialog_and_thank_you();
    test_other_fixture_fields();
    test_resolution_choice();
    test_fallbacks();
    return tap_done();
}
