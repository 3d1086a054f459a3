/*
 * test_request_types.c - the request module's types: every fixture file
 * parses with the type its name promises, and each standard request type
 * parses in a minimal envelope while unknown types pass as REQ_OTHER.
 */

#include <dirent.h>

#include "request_test.h"

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
        ok(!r.has_session || !r.session_new ||
               (r.session_attributes && r.session_attributes->count == 0),
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

int
main(void)
{
    test_all_fixtures();
    test_types();
    return tap_done();
}
