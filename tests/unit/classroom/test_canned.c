/* test_canned.c - made-up requests: shape, ids, slots, resolution, errors. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "canned.h"
#include "request.h"
#include "tap.h"

/* Each string in its own exact-size allocation, so that ASan sees any read
 * past the end of a short one ("german" has no '-' to step over). */
static void
test_locale_valid(void)
{
    static const struct {
        const char *text;
        bool valid;
    } cases[] = {
        {"en-US", true}, {"de-DE", true},  {"es-419", true},   {"fil-PH", true}, {"german", false},
        {"en", false},   {"en-", false},   {"", false},        {"EN-us", false}, {"en-USA", false},
        {"e-US", false}, {"en_US", false}, {"en-4190", false}, {"-US", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *copy = strdup(cases[i].text);
        if (!copy) {
            tap_fail("out of memory");
            return;
        }
        ok(canned_locale_valid(copy) == cases[i].valid, "'%s' is %sa locale", cases[i].text,
           cases[i].valid ? "" : "not ");
        free(copy);
    }
}

int
main(void)
{
    test_locale_valid();
    struct skill skill;
    struct ss_error err;
    struct model *m;
    json_t *req;
    struct request view;

    ok(skill_load(SOURCE_ROOT "/skills", "thank_you", &skill, &err) == SS_ERR_OK, "load thank_you");
    const char *drinks =
        "{\"interactionModel\":{\"languageModel\":{\"invocationName\":\"coffee corner\","
        "\"intents\":[{\"name\":\"OrderIntent\",\"slots\":[{\"name\":\"drink\",\"type\":"
        "\"DrinkType\"},{\"name\":\"size\",\"type\":\"AMAZON.NUMBER\"}]}],"
        "\"types\":[{\"name\":\"DrinkType\",\"values\":["
        "{\"id\":\"FLAT_WHITE\",\"name\":{\"value\":\"flat white\",\"synonyms\":[\"flattie\"]}}"
        "]}]}}}";
    ok(model_parse("m", drinks, strlen(drinks), &m, &err) == SS_ERR_OK, "model");

    struct canned_slot slots[] = {{"drink", "flattie"}};
    struct canned_options o = {
        .type = REQ_INTENT, .intent = "OrderIntent", .slots = slots, .slot_count = 1};
    is_int(canned_request(&skill, m, &o, &req, &err), SS_ERR_OK, "intent request");
    char *text = json_dumps(req, 0);
    is_int(request_parse(&view, text, strlen(text), &err), SS_ERR_OK, "parses as a request");
    is_int(view.type, REQ_INTENT, "type");
    is_str(view.intent_name, "OrderIntent", "intent");
    ok(view.request_id && strncmp(view.request_id, "amzn1.echo-api.request.", 23) == 0,
       "request id");
    ok(view.session_id && strncmp(view.session_id, "amzn1.echo-api.session.", 23) == 0,
       "session id");
    ok(view.session_new, "new session");
    is_str(view.application_id, CANNED_APPLICATION_ID, "placeholder applicationId");
    is_str(view.user_id, CANNED_USER_ID, "fixed local user");
    is_str(view.locale, "en-US", "locale from skill.json");
    ok(view.timestamp && strlen(view.timestamp) == 20 && view.timestamp[19] == 'Z',
       "UTC timestamp");
    const struct request_slot *s = request_slot(&view, "drink");
    is_str(s ? s->value : NULL, "flattie", "slot value as said");
    is_str(s ? s->resolution.status : NULL, "ER_SUCCESS_MATCH", "resolved");
    is_str(s ? s->resolution.id : NULL, "FLAT_WHITE", "resolved id");
    is_str(s ? s->resolution.name : NULL, "flat white", "canonical name");
    s = request_slot(&view, "size");
    ok(s && s->value == NULL, "unfilled slot present without a value");
    request_cleanup(&view);
    free(text);
    json_decref(req);

    json_t *req2;
    canned_request(&skill, m, &o, &req, &err);
    canned_request(&skill, m, &o, &req2, &err);
    ok(strcmp(json_string_value(json_object_get(json_object_get(req, "request"), "requestId")),
              json_string_value(json_object_get(json_object_get(req2, "request"), "requestId"))) !=
           0,
       "fresh request ids");
    json_decref(req);
    json_decref(req2);

    slots[0].value = "tea";
    is_int(canned_request(&skill, m, &o, &req, &err), SS_ERR_OK, "unresolved value");
    text = json_dumps(req, 0);
    contains(text, "ER_SUCCESS_NO_MATCH", "no match status");
    free(text);
    json_decref(req);

    slots[0].name = "drnik";
    is_int(canned_request(&skill, m, &o, &req, &err), SS_ERR_USAGE, "unknown slot");
    contains(err.msg, "no slot called 'drnik'", "names the slot");
    contains(err.msg, "drink, size", "lists the slots");
    o.intent = "OderIntent";
    is_int(canned_request(&skill, m, &o, &req, &err), SS_ERR_USAGE, "unknown intent");
    contains(err.msg, "OrderIntent", "lists the intents");
    o.intent = "AMAZON.HelpIntent";
    o.slot_count = 0;
    is_int(canned_request(&skill, m, &o, &req, &err), SS_ERR_OK, "built-ins need no model entry");
    json_decref(req);
    o.intent = "Anything";
    is_int(canned_request(&skill, NULL, &o, &req, &err), SS_ERR_OK, "no model: anything goes");
    json_decref(req);

    json_t *attrs = json_pack("{s:i}", "count", 2);
    struct canned_options launch = {.type = REQ_LAUNCH, .session_attributes = attrs};
    is_int(canned_request(&skill, m, &launch, &req, &err), SS_ERR_OK, "launch");
    text = json_dumps(req, 0);
    request_parse(&view, text, strlen(text), &err);
    is_int(view.type, REQ_LAUNCH, "launch type");
    ok(!view.session_new, "continuing session is not new");
    const struct ss_node *count = ss_node_get(view.session_attributes, "count");
    is_int(count && count->type == SS_NODE_INTEGER ? count->v.integer : -1, 2,
           "session attributes carried");
    request_cleanup(&view);
    free(text);
    json_decref(req);
    json_decref(attrs);

    struct canned_options end = {.type = REQ_SESSION_ENDED};
    is_int(canned_request(&skill, m, &end, &req, &err), SS_ERR_OK, "session ended");
    text = json_dumps(req, 0);
    contains(text, "USER_INITIATED", "reason");
    free(text);
    json_decref(req);

    struct canned_options other = {.type = REQ_AUDIO_STARTED};
    is_int(canned_request(&skill, m, &other, &req, &err), SS_ERR_USAGE, "unsupported type");

    char u1[37], u2[37];
    ok(canned_uuid(u1) == 0 && canned_uuid(u2) == 0 && strcmp(u1, u2) != 0, "uuids differ");
    ok(strlen(u1) == 36 && u1[14] == '4', "version 4 uuid");

    model_destroy(m);
    skill_cleanup(&skill);
    return tap_done();
}
