/*
 * test_request_malformed.c - the request module refusing what is not an
 * Alexa request: broken JSON, and every required member missing or of the
 * wrong type, each with its exact error message, shown safely.
 */

#include "request_test.h"

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
    test_syntax();
    test_required_and_types();
    test_messages_are_safe();
    return tap_done();
}
