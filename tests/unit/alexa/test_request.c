/*
 * test_request.c - the request module: every field of the view from the
 * canned fixtures, every malformed shape with its exact error, the limits,
 * and every fixture file parsing with the type its name promises.
 *
 * Malformed cases are made by editing a valid fixture with jansson (set or
 * delete one dotted path) and parsing the result, so each case changes
 * exactly one thing.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"
#include "ss_limits.h"
#include "tap.h"

#define FIXTURES SOURCE_ROOT "/tests/fixtures/requests"

static char *
fixture_text(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
    return tap_slurp(path, len);
}

/* Parse a fixture; the buffer is freed at once, so any view string that
 * pointed into it instead of into the document would be caught by ASan. */
static enum ss_err
parse_fixture(const char *name, struct request *req, struct ss_error *err)
{
    size_t len = 0;
    char *text = fixture_text(name, &len);
    enum ss_err rc;

    if (!text) {
        ok(0, "fixture %s readable", name);
        memset(req, 0, sizeof(*req));
        return SS_ERR_IO;
    }
    rc = request_parse(req, text, len, err);
    free(text);
    return rc;
}

static json_t *
fixture_json(const char *name)
{
    char path[1024];
    json_error_t jerr;
    snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
    return json_load_file(path, 0, &jerr);
}

static enum ss_err
parse_str(const char *text, struct request *req, struct ss_error *err)
{
    return request_parse(req, text, strlen(text), err);
}

/* Set (value != NULL, stolen) or delete (value == NULL) the member at a
 * dotted path of doc; "[N]" components index arrays. */
static int
edit(json_t *doc, const char *path, json_t *value)
{
    char buf[512], *save = NULL, *part, *next;
    json_t *cur = doc;

    snprintf(buf, sizeof(buf), "%s", path);
    part = strtok_r(buf, ".", &save);
    while (part) {
        next = strtok_r(NULL, ".", &save);
        if (part[0] == '[') {
            size_t idx = strtoul(part + 1, NULL, 10);
            if (!next) {
                int rc = value ? json_array_set_new(cur, idx, value) : json_array_remove(cur, idx);
                return rc;
            }
            cur = json_array_get(cur, idx);
        } else {
            if (!next) {
                if (value)
                    return json_object_set_new(cur, part, value);
                return json_object_del(cur, part);
            }
            cur = json_object_get(cur, part);
        }
        if (!cur) {
            json_decref(value);
            return -1;
        }
        part = next;
    }
    json_decref(value);
    return -1;
}

/* Parse fixture `name` with one path edited; return the error code and
 * leave the message in err. */
static enum ss_err
parse_edited(const char *name, const char *path, json_t *value, struct ss_error *err)
{
    json_t *doc = fixture_json(name);
    struct request req;
    enum ss_err rc;
    char *text;

    if (!doc || edit(doc, path, value) != 0) {
        ok(0, "edit %s of %s", path, name);
        json_decref(doc);
        return SS_ERR_IO;
    }
    text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!text)
        return SS_ERR_NOMEM;
    rc = request_parse(&req, text, strlen(text), err);
    if (rc != SS_ERR_OK)
        ok(req.root == NULL && req.slots == NULL && req.request_id == NULL && req.slot_count == 0,
           "failed parse leaves the view empty (%s)", path);
    request_cleanup(&req);
    free(text);
    return rc;
}

/* One malformed case: expect code and exactly message. */
static void
expect_edit(const char *name, const char *path, json_t *value, enum ss_err code,
            const char *message)
{
    struct ss_error err;
    enum ss_err rc = parse_edited(name, path, value, &err);
    is_int(rc, code, "%s: %s is %s", name, path, ss_err_name(code));
    if (rc == code && code != SS_ERR_OK)
        is_str(err.msg, message, "%s: message for %s", name, path);
}

#define ORDER "intent_order_drink.json"
#define DRINK "request.intent.slots.drink"
#define AUTH0 DRINK ".resolutions.resolutionsPerAuthority.[0]"

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
    ok(json_is_object(r.supported_interfaces) &&
           json_object_get(r.supported_interfaces, "AudioPlayer") != NULL,
       "launch: supportedInterfaces lists AudioPlayer");
    ok(r.has_session, "launch: has a session");
    ok(r.session_new, "launch: session is new");
    is_str(r.session_id, "amzn1.echo-api.session.00000000-0000-0000-0000-000000000001",
           "launch: sessionId");
    ok(json_is_object(r.session_attributes) && json_object_size(r.session_attributes) == 0,
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
    ok(json_is_object(r.supported_interfaces) &&
           json_object_get(r.supported_interfaces, "Alexa.Presentation.APL") != NULL,
       "order: APL in supportedInterfaces");
    is_int(json_integer_value(json_object_get(r.session_attributes, "turn")), 1,
           "order: session attribute turn");
    is_str(json_string_value(json_object_get(r.session_attributes, "lastIntent")), "LaunchRequest",
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

/* Every fixture with the type its name promises; every file in the folder
 * parses, so a new fixture cannot be broken JSON. */
static void
test_all_fixtures(void)
{
    static const struct {
        const char *file;
        enum request_type type;
        const char *intent;
        bool session;
    } rows[] = {
        {"launch.json", REQ_LAUNCH, NULL, true},
        {"intent_thank_you_name.json", REQ_INTENT, "ThankYouIntent", true},
        {"intent_thank_you.json", REQ_INTENT, "ThankYouIntent", true},
        {"intent_help.json", REQ_INTENT, "AMAZON.HelpIntent", true},
        {"intent_stop.json", REQ_INTENT, "AMAZON.StopIntent", true},
        {"intent_cancel.json", REQ_INTENT, "AMAZON.CancelIntent", true},
        {"intent_fallback.json", REQ_INTENT, "AMAZON.FallbackIntent", true},
        {"intent_yes.json", REQ_INTENT, "AMAZON.YesIntent", true},
        {"intent_no.json", REQ_INTENT, "AMAZON.NoIntent", true},
        {"intent_order_drink.json", REQ_INTENT, "OrderDrinkIntent", true},
        {"intent_order_drink_dialog.json", REQ_INTENT, "OrderDrinkIntent", true},
        {"session_ended_user.json", REQ_SESSION_ENDED, NULL, true},
        {"session_ended_error.json", REQ_SESSION_ENDED, NULL, true},
        {"session_ended_reprompts.json", REQ_SESSION_ENDED, NULL, true},
        {"can_fulfill_intent.json", REQ_CAN_FULFILL, "ThankYouIntent", false},
        {"audio_playback_started.json", REQ_AUDIO_STARTED, NULL, false},
        {"audio_playback_nearly_finished.json", REQ_AUDIO_NEARLY_FINISHED, NULL, false},
        {"audio_playback_finished.json", REQ_AUDIO_FINISHED, NULL, false},
        {"audio_playback_stopped.json", REQ_AUDIO_STOPPED, NULL, false},
        {"audio_playback_failed.json", REQ_AUDIO_FAILED, NULL, false},
        {"playback_next.json", REQ_PLAYBACK_NEXT, NULL, false},
        {"playback_pause.json", REQ_PLAYBACK_PAUSE, NULL, false},
        {"playback_play.json", REQ_PLAYBACK_PLAY, NULL, false},
        {"playback_previous.json", REQ_PLAYBACK_PREVIOUS, NULL, false},
        {"system_exception.json", REQ_EXCEPTION, NULL, false},
        {"apl_user_event.json", REQ_APL_USER_EVENT, NULL, true},
        {"connections_response.json", REQ_CONNECTIONS_RESPONSE, NULL, true},
        {"display_element_selected.json", REQ_DISPLAY_ELEMENT_SELECTED, NULL, true},
        {"session_resumed.json", REQ_SESSION_RESUMED, NULL, true},
        {"skill_event_enabled.json", REQ_OTHER, NULL, false},
    };
    bool seen[REQ_OTHER + 1] = {false};
    struct ss_error err;
    DIR *d;
    struct dirent *e;
    int files = 0;

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct request r;
        enum ss_err rc = parse_fixture(rows[i].file, &r, &err);
        is_int(rc, SS_ERR_OK, "%s parses", rows[i].file);
        if (rc != SS_ERR_OK) {
            printf("#   %s\n", err.msg);
            continue;
        }
        is_int(r.type, rows[i].type, "%s: type %s", rows[i].file, r.type_name);
        is_str(r.intent_name, rows[i].intent, "%s: intent name", rows[i].file);
        is_int(r.has_session, rows[i].session, "%s: session present or absent as Alexa sends it",
               rows[i].file);
        ok(r.has_session == request_type_has_session(r.type) || r.type == REQ_CAN_FULFILL,
           "%s: has_session agrees with request_type_has_session", rows[i].file);
        ok(!r.has_session || !r.session_new || json_object_size(r.session_attributes) == 0,
           "%s: a new session has attributes {}", rows[i].file);
        is_str(r.application_id, "amzn1.ask.skill.00000000-0000-0000-0000-000000000000",
               "%s: applicationId", rows[i].file);
        ok(r.timestamp && strncmp(r.timestamp, "2025-", 5) == 0, "%s: timestamp in 2025",
           rows[i].file);
        seen[r.type] = true;
        request_cleanup(&r);
    }
    for (int t = 0; t <= REQ_OTHER; t++)
        ok(seen[t], "a fixture covers %s",
           t == REQ_OTHER ? "an unknown type" : request_type_name(t));

    d = opendir(FIXTURES);
    ok(d != NULL, "fixture folder opens");
    while (d && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        struct request r;
        if (n < 5 || strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        files++;
        if (parse_fixture(e->d_name, &r, &err) != SS_ERR_OK)
            ok(0, "%s in the folder parses: %s", e->d_name, err.msg);
        request_cleanup(&r);
    }
    if (d)
        closedir(d);
    ok(files >= (int)(sizeof(rows) / sizeof(rows[0])), "folder holds all %d fixtures (%d)",
       (int)(sizeof(rows) / sizeof(rows[0])), files);
}

/* Each standard type in a minimal envelope; unknown types pass. */
static void
test_types(void)
{
    static const char *const names[] = {
#define NAME_ROW(name, text) text,
        REQUEST_TYPES(NAME_ROW)
#undef NAME_ROW
    };
    char body[1024];
    struct request r;
    struct ss_error err;

    for (int t = 0; t < REQ_OTHER; t++) {
        const char *extra =
            (t == REQ_INTENT || t == REQ_CAN_FULFILL) ? ",\"intent\":{\"name\":\"X\"}" : "";
        snprintf(body, sizeof(body),
                 "{\"version\":\"1.0\",\"context\":{},\"request\":{\"type\":\"%s\","
                 "\"requestId\":\"id-%d\"%s}}",
                 names[t], t, extra);
        is_int(parse_str(body, &r, &err), SS_ERR_OK, "minimal %s parses", names[t]);
        is_int(r.type, t, "%s recognised", names[t]);
        is_str(request_type_name((enum request_type)t), names[t], "request_type_name(%d)", t);
        ok(r.application_id == NULL && r.user_id == NULL && r.timestamp == NULL && r.locale == NULL,
           "%s: optional fields absent", names[t]);
        request_cleanup(&r);
    }
    ok(request_type_name(REQ_OTHER) == NULL, "request_type_name(REQ_OTHER) is NULL");
    ok(request_type_name((enum request_type)99) == NULL, "request_type_name out of range");

    ok(request_type_has_session(REQ_LAUNCH) && request_type_has_session(REQ_INTENT) &&
           request_type_has_session(REQ_SESSION_ENDED) &&
           request_type_has_session(REQ_APL_USER_EVENT) &&
           request_type_has_session(REQ_CONNECTIONS_RESPONSE) &&
           request_type_has_session(REQ_DISPLAY_ELEMENT_SELECTED) &&
           request_type_has_session(REQ_SESSION_RESUMED),
       "session types");
    ok(!request_type_has_session(REQ_CAN_FULFILL) && !request_type_has_session(REQ_AUDIO_STARTED) &&
           !request_type_has_session(REQ_AUDIO_FAILED) &&
           !request_type_has_session(REQ_PLAYBACK_PAUSE) &&
           !request_type_has_session(REQ_EXCEPTION) && !request_type_has_session(REQ_OTHER),
       "sessionless types");

    /* Unknown type: passed on, and its per-type members are not read. */
    is_int(parse_str("{\"version\":\"1.0\",\"context\":{},\"request\":{\"type\":"
                     "\"Dialog.InputRequest\",\"requestId\":\"r\",\"intent\":42,"
                     "\"dialogState\":7,\"error\":\"x\",\"reason\":[]}}",
                     &r, &err),
           SS_ERR_OK, "unknown type with odd members passes");
    is_int(r.type, REQ_OTHER, "unknown type is REQ_OTHER");
    is_str(r.type_name, "Dialog.InputRequest", "unknown type name as sent");
    ok(r.intent_name == NULL && r.error_type == NULL && r.end_reason == NULL,
       "unknown type: per-type members not read");
    request_cleanup(&r);

    /* Near misses of known names are unknown types, not prefixes. */
    is_int(parse_str("{\"version\":\"1.0\",\"context\":{},\"request\":{\"type\":"
                     "\"LaunchRequestX\",\"requestId\":\"r\"}}",
                     &r, &err),
           SS_ERR_OK, "LaunchRequestX parses");
    is_int(r.type, REQ_OTHER, "LaunchRequestX is not LaunchRequest");
    request_cleanup(&r);
    is_int(parse_str("{\"version\":\"1.0\",\"context\":{},\"request\":{\"type\":"
                     "\"launchrequest\",\"requestId\":\"r\"}}",
                     &r, &err),
           SS_ERR_OK, "launchrequest parses");
    is_int(r.type, REQ_OTHER, "type names are case-sensitive");
    request_cleanup(&r);
}

static void
test_syntax(void)
{
    struct request r;
    struct ss_error err;
    enum ss_err rc;
    static const char bad_utf8[] = "{\"version\":\"1.0\xff\",\"context\":{},"
                                   "\"request\":{\"type\":\"LaunchRequest\",\"requestId\":\"r\"}}";
    static const char raw_nul[] = "{\"version\":\"1.0\",\"context\":{},\0"
                                  "\"request\":{\"type\":\"LaunchRequest\",\"requestId\":\"r\"}}";

    rc = parse_str("{\n  \"version\": \"1.0\",\n  \"request\": {\"type\" \"LaunchRequest\"}\n}", &r,
                   &err);
    is_int(rc, SS_ERR_JSON, "syntax error is SS_ERR_JSON");
    is_int(err.code, SS_ERR_JSON, "err.code set");
    contains(err.msg, "line 3", "syntax error names the line");
    /* jansson counts columns in characters and reports the end of the
     * token it choked on: the closing quote of "LaunchRequest". */
    contains(err.msg, "column 36", "syntax error names the column");
    contains(err.msg, "':' expected", "syntax error says what was expected");
    ok(r.root == NULL, "syntax error leaves the view empty");

    rc = parse_str("{\"a\":1,}", &r, &err);
    is_int(rc, SS_ERR_JSON, "trailing comma rejected");
    contains(err.msg, "line 1, column 8", "trailing comma position");

    rc = parse_str("{\"version\":\"1.0\"} x", &r, &err);
    is_int(rc, SS_ERR_JSON, "garbage after the document rejected");

    rc = request_parse(&r, "", 0, &err);
    is_int(rc, SS_ERR_JSON, "empty body rejected");
    is_str(err.msg, "request body is empty", "empty body message");
    rc = request_parse(&r, NULL, 0, &err);
    is_int(rc, SS_ERR_JSON, "NULL body rejected");

    rc = request_parse(&r, bad_utf8, sizeof(bad_utf8) - 1, &err);
    is_int(rc, SS_ERR_JSON, "invalid UTF-8 rejected");
    contains(err.msg, "unable to decode byte 0xff", "invalid UTF-8 message");
    for (const char *p = err.msg; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e) {
            ok(0, "error message is printable ASCII");
            break;
        }

    rc = parse_str("{\"version\":\"1.0\\u0000\",\"context\":{},\"request\":{\"type\":"
                   "\"LaunchRequest\",\"requestId\":\"r\"}}",
                   &r, &err);
    is_int(rc, SS_ERR_JSON, "\\u0000 in a string rejected");
    contains(err.msg, "\\u0000 is not allowed", "\\u0000 message");

    rc = request_parse(&r, raw_nul, sizeof(raw_nul) - 1, &err);
    is_int(rc, SS_ERR_JSON, "raw NUL byte rejected");

    rc = parse_str("{\"version\":\"1.0\",\"context\":{},\"request\":{\"type\":\"LaunchRequest\","
                   "\"requestId\":\"a\",\"requestId\":\"b\"}}",
                   &r, &err);
    is_int(rc, SS_ERR_JSON, "duplicate key rejected");
    contains(err.msg, "duplicate object key", "duplicate key message");

    rc = parse_str("[1,2]", &r, &err);
    is_int(rc, SS_ERR_FIELD, "top-level array rejected");
    is_str(err.msg, "request body must be a JSON object, got array", "top-level array message");
    ok(r.root == NULL, "top-level array: document released");
    rc = parse_str("42", &r, &err);
    is_str(err.msg, "request body must be a JSON object, got number", "top-level number");
    rc = parse_str("\"hi\"", &r, &err);
    is_str(err.msg, "request body must be a JSON object, got string", "top-level string");
    rc = parse_str("null", &r, NULL);
    is_int(rc, SS_ERR_FIELD, "top-level null rejected with err NULL");
}

static void
test_required_and_types(void)
{
    /* Top level. */
    expect_edit("launch.json", "version", NULL, SS_ERR_FIELD, "version is missing");
    expect_edit("launch.json", "version", json_real(1.0), SS_ERR_FIELD,
                "version must be a string, got number");
    expect_edit("launch.json", "request", NULL, SS_ERR_FIELD, "request is missing");
    expect_edit("launch.json", "request", json_string("LaunchRequest"), SS_ERR_FIELD,
                "request must be an object, got string");
    expect_edit("launch.json", "context", NULL, SS_ERR_FIELD, "context is missing");
    expect_edit("launch.json", "context", json_array(), SS_ERR_FIELD,
                "context must be an object, got array");
    expect_edit("launch.json", "session", json_true(), SS_ERR_FIELD,
                "session must be an object, got boolean");
    expect_edit("launch.json", "session", json_null(), SS_ERR_FIELD,
                "session must be an object, got null");

    /* request. */
    expect_edit("launch.json", "request.type", NULL, SS_ERR_FIELD, "request.type is missing");
    expect_edit("launch.json", "request.type", json_integer(1), SS_ERR_FIELD,
                "request.type must be a string, got number");
    expect_edit("launch.json", "request.requestId", NULL, SS_ERR_FIELD,
                "request.requestId is missing");
    expect_edit("launch.json", "request.requestId", json_object(), SS_ERR_FIELD,
                "request.requestId must be a string, got object");
    expect_edit("launch.json", "request.timestamp", json_integer(1736964245), SS_ERR_FIELD,
                "request.timestamp must be a string, got number");
    expect_edit("launch.json", "request.timestamp", NULL, SS_ERR_OK, "");
    expect_edit("launch.json", "request.locale", json_null(), SS_ERR_FIELD,
                "request.locale must be a string, got null");
    expect_edit("launch.json", "request.locale", NULL, SS_ERR_OK, "");
    expect_edit("launch.json", "request.shouldLinkResultBeReturned", json_string("no"), SS_ERR_OK,
                "");

    /* context.System. */
    expect_edit("launch.json", "context.System", NULL, SS_ERR_OK, "");
    expect_edit("launch.json", "context.System", json_string("x"), SS_ERR_FIELD,
                "context.System must be an object, got string");
    expect_edit("launch.json", "context.System.application", json_array(), SS_ERR_FIELD,
                "context.System.application must be an object, got array");
    expect_edit("launch.json", "context.System.application.applicationId", json_integer(7),
                SS_ERR_FIELD,
                "context.System.application.applicationId must be a string, got number");
    expect_edit("launch.json", "context.System.user", json_string("u"), SS_ERR_FIELD,
                "context.System.user must be an object, got string");
    expect_edit("launch.json", "context.System.user.userId", json_false(), SS_ERR_FIELD,
                "context.System.user.userId must be a string, got boolean");
    expect_edit("launch.json", "context.System.user.accessToken", json_integer(3), SS_ERR_FIELD,
                "context.System.user.accessToken must be a string, got number");
    expect_edit("launch.json", "context.System.person", json_integer(3), SS_ERR_FIELD,
                "context.System.person must be an object, got number");
    expect_edit("launch.json", "context.System.person", json_pack("{s:i}", "personId", 5),
                SS_ERR_FIELD, "context.System.person.personId must be a string, got number");
    expect_edit("launch.json", "context.System.device", json_array(), SS_ERR_FIELD,
                "context.System.device must be an object, got array");
    expect_edit("launch.json", "context.System.device.deviceId", json_true(), SS_ERR_FIELD,
                "context.System.device.deviceId must be a string, got boolean");
    expect_edit("launch.json", "context.System.device.supportedInterfaces", json_array(),
                SS_ERR_FIELD,
                "context.System.device.supportedInterfaces must be an object, got array");
    expect_edit("launch.json", "context.System.apiEndpoint", json_integer(1), SS_ERR_OK, "");
    expect_edit("launch.json", "context.AudioPlayer", json_string("unknown members ignored"),
                SS_ERR_OK, "");

    /* session. */
    expect_edit("launch.json", "session.new", NULL, SS_ERR_FIELD, "session.new is missing");
    expect_edit("launch.json", "session.new", json_string("true"), SS_ERR_FIELD,
                "session.new must be a boolean, got string");
    expect_edit("launch.json", "session.sessionId", NULL, SS_ERR_FIELD,
                "session.sessionId is missing");
    expect_edit("launch.json", "session.sessionId", json_integer(1), SS_ERR_FIELD,
                "session.sessionId must be a string, got number");
    expect_edit("launch.json", "session.attributes", json_array(), SS_ERR_FIELD,
                "session.attributes must be an object, got array");
    expect_edit("launch.json", "session.attributes", NULL, SS_ERR_OK, "");
    expect_edit("launch.json", "session.application", json_string("a"), SS_ERR_FIELD,
                "session.application must be an object, got string");
    expect_edit("launch.json", "session.application.applicationId", json_null(), SS_ERR_FIELD,
                "session.application.applicationId must be a string, got null");
    expect_edit("launch.json", "session.user", json_integer(0), SS_ERR_FIELD,
                "session.user must be an object, got number");
    expect_edit("launch.json", "session.user.userId", json_array(), SS_ERR_FIELD,
                "session.user.userId must be a string, got array");
    expect_edit("launch.json", "session.user.accessToken", json_true(), SS_ERR_FIELD,
                "session.user.accessToken must be a string, got boolean");
    expect_edit("launch.json", "session.user.accessToken", json_null(), SS_ERR_OK, "");

    /* request.intent and the slots. */
    expect_edit(ORDER, "request.intent", NULL, SS_ERR_FIELD, "request.intent is missing");
    expect_edit(ORDER, "request.intent", json_string("OrderDrinkIntent"), SS_ERR_FIELD,
                "request.intent must be an object, got string");
    expect_edit(ORDER, "request.intent.name", NULL, SS_ERR_FIELD, "request.intent.name is missing");
    expect_edit(ORDER, "request.intent.name", json_integer(2), SS_ERR_FIELD,
                "request.intent.name must be a string, got number");
    expect_edit(ORDER, "request.intent.confirmationStatus", json_integer(2), SS_ERR_FIELD,
                "request.intent.confirmationStatus must be a string, got number");
    expect_edit(ORDER, "request.intent.confirmationStatus", json_string("MAYBE"), SS_ERR_FIELD,
                "request.intent.confirmationStatus is \"MAYBE\", expected NONE, CONFIRMED or "
                "DENIED");
    expect_edit(ORDER, "request.dialogState", json_false(), SS_ERR_FIELD,
                "request.dialogState must be a string, got boolean");
    expect_edit(ORDER, "request.dialogState", json_string("DONE"), SS_ERR_FIELD,
                "request.dialogState is \"DONE\", expected STARTED, IN_PROGRESS or COMPLETED");
    expect_edit(ORDER, "request.intent.slots", json_array(), SS_ERR_FIELD,
                "request.intent.slots must be an object, got array");
    expect_edit(ORDER, "request.intent.slots", json_object(), SS_ERR_OK, "");
    expect_edit(ORDER, DRINK, json_string("flat white"), SS_ERR_FIELD,
                "request.intent.slots.drink must be an object, got string");
    expect_edit(ORDER, "request.intent.slots.size", json_null(), SS_ERR_FIELD,
                "request.intent.slots.size must be an object, got null");
    expect_edit(ORDER, DRINK ".value", json_integer(42), SS_ERR_FIELD,
                "request.intent.slots.drink.value must be a string, got number");
    expect_edit(ORDER, DRINK ".confirmationStatus", json_array(), SS_ERR_FIELD,
                "request.intent.slots.drink.confirmationStatus must be a string, got array");
    expect_edit(ORDER, DRINK ".confirmationStatus", json_string("none"), SS_ERR_FIELD,
                "request.intent.slots.drink.confirmationStatus is \"none\", expected NONE, "
                "CONFIRMED or DENIED");
    expect_edit(ORDER, DRINK ".name", json_integer(1), SS_ERR_OK, "");
    expect_edit(ORDER, DRINK ".slotValue", json_integer(1), SS_ERR_OK, "");

    /* Entity resolution. */
    expect_edit(ORDER, DRINK ".resolutions", json_array(), SS_ERR_FIELD,
                "request.intent.slots.drink.resolutions must be an object, got array");
    expect_edit(ORDER, DRINK ".resolutions.resolutionsPerAuthority", json_object(), SS_ERR_FIELD,
                "request.intent.slots.drink.resolutions.resolutionsPerAuthority must be an "
                "array, got object");
    expect_edit(ORDER, AUTH0, json_string("ER_SUCCESS_MATCH"), SS_ERR_FIELD,
                "request.intent.slots.drink.resolutions.resolutionsPerAuthority[0] must be an "
                "object, got string");
    expect_edit(ORDER, AUTH0 ".authority", NULL, SS_ERR_FIELD,
                "request.intent.slots.drink.resolutions.resolutionsPerAuthority[0].authority "
                "is missing");
    expect_edit(ORDER, DRINK ".resolutions.resolutionsPerAuthority.[1].authority", json_integer(1),
                SS_ERR_FIELD,
                "request.intent.slots.drink.resolutions.resolutionsPerAuthority[1].authority "
                "must be a string, got number");
    expect_edit(ORDER, AUTH0 ".status", NULL, SS_ERR_FIELD,
                "request.intent.slots.drink.resolutions.resolutionsPerAuthority[0].status is "
                "missing");
    expect_edit(ORDER, AUTH0 ".status", json_string("ER_SUCCESS_MATCH"), SS_ERR_FIELD,
                "request.intent.slots.drink.resolutions.resolutionsPerAuthority[0].status "
                "must be an object, got string");
    expect_edit(ORDER, AUTH0 ".status.code", NULL, SS_ERR_FIELD,
                "request.intent.slots.drink.resolutions.resolutionsPerAuthority[0].status.code "
                "is missing");
    expect_edit(ORDER, AUTH0 ".values", json_object(), SS_ERR_FIELD,
                "request.intent.slots.drink.resolutions.resolutionsPerAuthority[0].values must "
                "be an array, got object");
    expect_edit(ORDER, AUTH0 ".values.[0]", json_string("FLAT_WHITE"), SS_ERR_FIELD,
                "request.intent.slots.drink.resolutions.resolutionsPerAuthority[0].values[0] "
                "must be an object, got string");
    expect_edit(ORDER, AUTH0 ".values.[0].value", NULL, SS_ERR_FIELD,
                "request.intent.slots.drink.resolutions.resolutionsPerAuthority[0].values[0]."
                "value is missing");
    expect_edit(ORDER, AUTH0 ".values.[0].value.id", json_integer(9), SS_ERR_FIELD,
                "request.intent.slots.drink.resolutions.resolutionsPerAuthority[0].values[0]."
                "value.id must be a string, got number");
    expect_edit(ORDER, AUTH0 ".values.[0].value.name", json_array(), SS_ERR_FIELD,
                "request.intent.slots.drink.resolutions.resolutionsPerAuthority[0].values[0]."
                "value.name must be a string, got array");

    /* SessionEnded and error reports. */
    expect_edit("session_ended_error.json", "request.reason", json_integer(1), SS_ERR_FIELD,
                "request.reason must be a string, got number");
    expect_edit("session_ended_error.json", "request.error", json_string("x"), SS_ERR_FIELD,
                "request.error must be an object, got string");
    expect_edit("session_ended_error.json", "request.error.type", json_integer(1), SS_ERR_FIELD,
                "request.error.type must be a string, got number");
    expect_edit("session_ended_error.json", "request.error.message", json_object(), SS_ERR_FIELD,
                "request.error.message must be a string, got object");
    expect_edit("system_exception.json", "request.error", json_array(), SS_ERR_FIELD,
                "request.error must be an object, got array");
    expect_edit("audio_playback_failed.json", "request.error.type", json_false(), SS_ERR_FIELD,
                "request.error.type must be a string, got boolean");
    /* Members of types we do not read are ignored, whatever their shape. */
    expect_edit("audio_playback_started.json", "request.error", json_integer(1), SS_ERR_OK, "");
    expect_edit("launch.json", "request.intent", json_integer(1), SS_ERR_OK, "");
}

/* Parse an edited fixture and return the view (caller cleans up). */
static enum ss_err
parse_edited_view(const char *name, const char *path, json_t *value, struct request *r)
{
    json_t *doc = fixture_json(name);
    enum ss_err rc = SS_ERR_IO;
    char *text = NULL;

    memset(r, 0, sizeof(*r));
    if (!doc || edit(doc, path, value) != 0)
        goto out;
    text = json_dumps(doc, JSON_COMPACT);
    if (text)
        rc = request_parse(r, text, strlen(text), NULL);
out:
    free(text);
    json_decref(doc);
    return rc;
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

static char *
repeat(const char *unit, size_t n)
{
    size_t u = strlen(unit);
    char *s = malloc(u * n + 1);
    if (!s)
        return NULL;
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * u, unit, u);
    s[u * n] = '\0';
    return s;
}

static void
test_limits(void)
{
    struct request r;
    struct ss_error err;
    char *id, *body, msg[256];
    size_t len;
    enum ss_err rc;

    /* userId and personId: 255 characters, not bytes. */
    id = repeat("a", LIMIT_USER_ID_CHARS);
    is_int(parse_edited_view("launch.json", "context.System.user.userId", json_string(id), &r),
           SS_ERR_OK, "userId of %d characters accepted", LIMIT_USER_ID_CHARS);
    is_int(strlen(r.user_id ? r.user_id : ""), LIMIT_USER_ID_CHARS, "long userId kept whole");
    request_cleanup(&r);
    free(id);
    id = repeat("a", LIMIT_USER_ID_CHARS + 1);
    snprintf(msg, sizeof(msg), "context.System.user.userId is longer than %d characters",
             LIMIT_USER_ID_CHARS);
    expect_edit("launch.json", "context.System.user.userId", json_string(id), SS_ERR_FIELD, msg);
    snprintf(msg, sizeof(msg), "session.user.userId is longer than %d characters",
             LIMIT_USER_ID_CHARS);
    expect_edit("launch.json", "session.user.userId", json_string(id), SS_ERR_FIELD, msg);
    snprintf(msg, sizeof(msg), "context.System.person.personId is longer than %d characters",
             LIMIT_USER_ID_CHARS);
    expect_edit("launch.json", "context.System.person", json_pack("{s:s}", "personId", id),
                SS_ERR_FIELD, msg);
    free(id);
    id = repeat("\xc3\xa9", LIMIT_USER_ID_CHARS); /* 255 x U+00E9: 510 bytes */
    expect_edit("launch.json", "context.System.user.userId", json_string(id), SS_ERR_OK, "");
    free(id);
    id = repeat("\xc3\xa9", LIMIT_USER_ID_CHARS + 1);
    snprintf(msg, sizeof(msg), "context.System.user.userId is longer than %d characters",
             LIMIT_USER_ID_CHARS);
    expect_edit("launch.json", "context.System.user.userId", json_string(id), SS_ERR_FIELD, msg);
    free(id);

    /* Body size: LIMIT_BODY_BYTES passes (padded with spaces), one more does not. */
    body = fixture_text("launch.json", &len);
    ok(body != NULL, "launch.json read");
    if (body) {
        char *big = malloc(LIMIT_BODY_BYTES + 1);
        ok(big != NULL, "big buffer");
        if (big) {
            memcpy(big, body, len);
            memset(big + len, ' ', LIMIT_BODY_BYTES + 1 - len);
            rc = request_parse(&r, big, LIMIT_BODY_BYTES, &err);
            is_int(rc, SS_ERR_OK, "body of exactly LIMIT_BODY_BYTES accepted");
            request_cleanup(&r);
            rc = request_parse(&r, big, LIMIT_BODY_BYTES + 1, &err);
            is_int(rc, SS_ERR_TOO_LARGE, "body over LIMIT_BODY_BYTES is SS_ERR_TOO_LARGE");
            contains(err.msg, "more than the 131072 allowed", "too large message");
            ok(r.root == NULL, "too large: view empty");
            free(big);
        }
        /* A buffer with no NUL after it: request_parse must not read past len. */
        char *exact = malloc(len);
        if (exact) {
            memcpy(exact, body, len);
            is_int(request_parse(&r, exact, len, NULL), SS_ERR_OK,
                   "body without a trailing NUL parses");
            free(exact);
            is_str(r.type_name, "LaunchRequest", "strings borrow from the document, not the body");
            request_cleanup(&r);
        }
        free(body);
    }
}

/* "{"version":"1.0","context":{},"request":{...},"session":{... attributes: X}}" with X
 * nested `levels` arrays deep. */
static char *
nested(int levels, const char *inner)
{
    char *open = repeat("[", (size_t)levels), *close = repeat("]", (size_t)levels);
    char *out = NULL;
    if (open && close &&
        asprintf(&out,
                 "{\"version\":\"1.0\",\"context\":{},\"request\":{\"type\":\"LaunchRequest\","
                 "\"requestId\":\"r\"},\"session\":{\"new\":true,\"sessionId\":\"s\","
                 "\"attributes\":{\"deep\":%s%s%s}}}",
                 open, inner, close) < 0)
        out = NULL;
    free(open);
    free(close);
    return out;
}

static void
test_depth(void)
{
    struct request r;
    struct ss_error err;
    /* root{ session{ attributes{ = 3 levels before the arrays. */
    char *ok_body = nested(LIMIT_JSON_DEPTH - 3, "1");
    char *deep_body = nested(LIMIT_JSON_DEPTH - 2, "1");
    char *huge = nested(60000, "1"); /* 120 KB: under the body limit */
    char *strings = nested(LIMIT_JSON_DEPTH - 3, "\"[[[[{{{{\\\"[[[[\\\\\"");
    char *escaped = nested(1, "\"\\\\\\\\\"");

    ok(ok_body && deep_body && huge && strings && escaped, "nested bodies built");
    is_int(parse_str(ok_body ? ok_body : "", &r, &err), SS_ERR_OK,
           "nesting of exactly LIMIT_JSON_DEPTH accepted");
    request_cleanup(&r);
    is_int(parse_str(deep_body ? deep_body : "", &r, &err), SS_ERR_JSON,
           "nesting of LIMIT_JSON_DEPTH + 1 rejected");
    contains(err.msg, "nests deeper than 64 levels", "depth message");
    is_int(parse_str(huge ? huge : "", &r, &err), SS_ERR_JSON,
           "60000 levels rejected without a crash");
    is_int(parse_str(strings ? strings : "", &r, &err), SS_ERR_OK,
           "brackets and escaped quotes inside strings do not count");
    request_cleanup(&r);
    is_int(parse_str(escaped ? escaped : "", &r, &err), SS_ERR_OK,
           "an even run of backslashes ends a string");
    request_cleanup(&r);
    is_int(parse_str("{\"a\":\"[[[[", &r, &err), SS_ERR_JSON, "unterminated string rejected");
    is_int(parse_str("]]]]}}}}{\"a\":1}", &r, &err), SS_ERR_JSON,
           "unbalanced closers rejected by the parser");
    free(ok_body);
    free(deep_body);
    free(huge);
    free(strings);
    free(escaped);
}

static void
test_messages_are_safe(void)
{
    struct ss_error err;
    char key[300];
    bool printable = true;
    enum ss_err rc;

    /* A slot key with control characters and a long name. */
    memset(key, 'k', sizeof(key) - 1);
    key[sizeof(key) - 1] = '\0';
    key[3] = '\n';
    key[4] = '\x1b';
    rc = parse_edited(ORDER, "request.intent.slots", json_pack("{s:i}", key, 1), &err);
    is_int(rc, SS_ERR_FIELD, "odd slot key: SS_ERR_FIELD");
    for (const char *p = err.msg; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            printable = false;
    ok(printable, "message with an odd slot key is printable ASCII");
    contains(err.msg, "kkk??kkk", "control bytes shown as ?");
    contains(err.msg, "must be an object, got number", "message still says what is wrong");
    ok(strlen(err.msg) < 200, "slot key cut in the message (%zu)", strlen(err.msg));

    rc = parse_edited(ORDER, "request.intent.confirmationStatus", json_string("\xc3\xa9\x01NONE"),
                      &err);
    is_int(rc, SS_ERR_FIELD, "odd enum value: SS_ERR_FIELD");
    is_str(err.msg,
           "request.intent.confirmationStatus is \"???NONE\", expected NONE, CONFIRMED or DENIED",
           "odd enum value shown safely");
}

int
main(void)
{
    test_launch();
    test_order_drink();
    test_dialog_and_thank_you();
    test_other_fixture_fields();
    test_all_fixtures();
    test_types();
    test_syntax();
    test_required_and_types();
    test_resolution_choice();
    test_fallbacks();
    test_limits();
    test_depth();
    test_messages_are_safe();
    return tap_done();
}
