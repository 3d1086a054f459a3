/* test_message.c - what a worker says, decoded: every member, wrong types,
 * missing members, oversize and garbage; what the C side writes, read back;
 * and the key list of message.h against skillkit/_message.py. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "message.h"
#include "ss_limits.h"
#include "tap.h"

/* ---- the key list, written once per side and checked here ---- */

struct constant {
    char name[64];
    char value[64];
};

/* The NAME = "value" lines of _message.py. Returns how many were read. */
static size_t
python_constants(struct constant *out, size_t cap)
{
    size_t len = 0, n = 0;
    char *text = tap_slurp(SOURCE_ROOT "/server/worker/skillkit/_message.py", &len);
    if (!text)
        return 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char name[64], value[64], end;
        /* Exactly NAME = "value" and nothing after it. */
        if (sscanf(line, "%63[A-Z_] = \"%63[^\"]\"%c", name, value, &end) == 2 && n < cap) {
            snprintf(out[n].name, sizeof(out[n].name), "%s", name);
            snprintf(out[n].value, sizeof(out[n].value), "%s", value);
            n++;
        }
    }
    free(text);
    return n;
}

static const char *
python_value(const struct constant *c, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(c[i].name, name) == 0)
            return c[i].value;
    return NULL;
}

static void
test_key_lists_agree(void)
{
    struct constant py[128];
    size_t n = python_constants(py, 128), expected = 0;

    ok(n > 0, "skillkit/_message.py read (%zu constants)", n);
#define CHECK_KEY(name, key)                                                                       \
    is_str(python_value(py, n, #name), key, "_message." #name " is message.h's key");              \
    is_str(message_key_name(MESSAGE_KEY_##name), key, "message_key_name(" #name ")");              \
    expected++;
    MESSAGE_KEYS(CHECK_KEY)
#undef CHECK_KEY
#define CHECK_KIND(name, value)                                                                    \
    is_str(python_value(py, n, "KIND_" #name), value, "_message.KIND_" #name " agrees");           \
    is_str(message_kind_name(MESSAGE_KIND_##name), value, "message_kind_name(" #name ")");         \
    expected++;
    MESSAGE_KINDS(CHECK_KIND)
#undef CHECK_KIND
#define CHECK_STYLE(name, value)                                                                   \
    is_str(python_value(py, n, "STYLE_" #name), value, "_message.STYLE_" #name " agrees");         \
    is_str(message_style_name(MESSAGE_STYLE_##name), value, "message_style_name(" #name ")");      \
    expected++;
    MESSAGE_STYLES(CHECK_STYLE)
#undef CHECK_STYLE
    is_int(n, expected, "_message.py names nothing message.h does not");
    is_str(message_key_name(MESSAGE_KEY_COUNT), "", "an unknown key has no name");
}

/* ---- decoding ---- */

#define LOAD(text, out, err) message_decode_load(text, strlen(text), out, err)
#define ANSWER(text, out, err) message_decode_answer(text, strlen(text), out, err)

static void
test_load_ok(void)
{
    struct message_load ld, copy;
    struct ss_error err;
    const char *text = "{\"ok\": true, \"style\": \"skillkit\", \"handlers\": [\"LaunchRequest\","
                       " \"ThankYouIntent\"], \"warnings\": [\"no @launch\", \"typo\"],"
                       " \"model_paths\": [null, \"interactionModel.languageModel.intents\"],"
                       " \"future\": 1}";

    is_int(LOAD(text, &ld, &err), SS_ERR_OK, "a full load report decodes");
    ok(ld.ok, "ok");
    is_int(ld.style, MESSAGE_STYLE_SKILLKIT, "style");
    is_int(ld.handler_count, 2, "two handlers");
    is_str(ld.handlers[0], "LaunchRequest", "first handler");
    is_str(ld.handlers[1], "ThankYouIntent", "second handler");
    is_int(ld.warning_count, 2, "two warnings");
    is_str(ld.warnings[0].text, "no @launch", "first warning");
    ok(ld.warnings[0].model_path == NULL, "a warning that is not about model.json");
    is_str(ld.warnings[1].text, "typo", "second warning");
    is_str(ld.warnings[1].model_path, "interactionModel.languageModel.intents",
           "a warning about model.json has its path");

    is_int(message_load_copy(&ld, &copy, &err), SS_ERR_OK, "copy a load report");
    message_load_cleanup(&ld);
    is_str(copy.handlers[1], "ThankYouIntent", "the copy outlives the original");
    is_str(copy.warnings[1].model_path, "interactionModel.languageModel.intents",
           "with its warnings");
    message_load_cleanup(&copy);
    message_load_cleanup(&copy);
    message_load_cleanup(NULL);
    ok(copy.root == NULL && copy.handlers == NULL, "cleanup is idempotent and NULL-safe");

    struct message_load empty;
    memset(&empty, 0, sizeof(empty));
    is_int(message_load_copy(&empty, &copy, &err), SS_ERR_OK, "copy of an empty report");
    ok(copy.root == NULL, "is empty");

    is_int(LOAD("{\"ok\":true,\"style\":\"lambda\",\"handlers\":[],\"warnings\":[]}", &ld, &err),
           SS_ERR_OK, "no model_paths, empty lists");
    is_int(ld.style, MESSAGE_STYLE_LAMBDA, "lambda style");
    is_int(ld.handler_count + ld.warning_count, 0, "nothing in the lists");
    ok(ld.handlers && ld.warnings, "empty lists are still arrays");
    message_load_cleanup(&ld);

    is_int(LOAD("{\"ok\":true,\"style\":\"lambda\",\"handlers\":[],\"warnings\":[\"w\"],"
                "\"model_paths\":null}",
                &ld, &err),
           SS_ERR_OK, "model_paths null is no paths");
    ok(ld.warnings[0].model_path == NULL, "so the warning has none");
    message_load_cleanup(&ld);
}

/* A skill written as plain functions sends the model skillkit inferred. */
static void
test_load_model(void)
{
    struct message_load ld, copy;
    struct ss_error err;
    const char *text =
        "{\"ok\": true, \"style\": \"skillkit\", \"handlers\": [\"ThankYouIntent\"],"
        " \"warnings\": [], \"model_paths\": [], \"model\": {\"interactionModel\":"
        " {\"languageModel\": {\"invocationName\": \"jokes\", \"intents\": [], \"types\": []}}}}";

    is_int(LOAD(text, &ld, &err), SS_ERR_OK, "a load report with a model decodes");
    ok(json_is_object(ld.model), "the model is an object");
    ok(json_object_get(ld.model, "interactionModel") != NULL, "as skillkit wrote it");
    is_int(message_load_copy(&ld, &copy, &err), SS_ERR_OK, "copy it");
    message_load_cleanup(&ld);
    ok(json_is_object(copy.model), "the copy keeps the model");
    message_load_cleanup(&copy);
    ok(copy.model == NULL, "cleanup forgets it");

    is_int(LOAD("{\"ok\":true,\"style\":\"skillkit\",\"handlers\":[],\"warnings\":[],"
                "\"model\":null}",
                &ld, &err),
           SS_ERR_OK, "model null is no model");
    ok(ld.model == NULL, "no model");
    message_load_cleanup(&ld);
    is_int(LOAD("{\"ok\":true,\"style\":\"skillkit\",\"handlers\":[],\"warnings\":[]}", &ld, &err),
           SS_ERR_OK, "no model member");
    ok(ld.model == NULL, "no model either");
    message_load_cleanup(&ld);
}

static void
test_load_failed(void)
{
    struct message_load ld;
    struct ss_error err;
    const char *text =
        "{\"ok\": false, \"error\": {\"kind\": \"load\", \"type\": \"SyntaxError\", \"message\":"
        " \"invalid syntax\", \"file\": \"/s/skill.py\", \"line\": 4, \"function\": null,"
        " \"traceback\": \"Traceback...\", \"spoken\": \"There is a SyntaxError.\"}}";

    is_int(LOAD(text, &ld, &err), SS_ERR_OK, "a failed load report decodes");
    ok(!ld.ok, "not ok");
    is_int(ld.error.kind, MESSAGE_KIND_LOAD, "kind");
    is_str(ld.error.type, "SyntaxError", "type");
    is_str(ld.error.message, "invalid syntax", "message");
    is_str(ld.error.file, "/s/skill.py", "file");
    ok(ld.error.has_line, "has a line");
    is_int(ld.error.line, 4, "line");
    ok(ld.error.function == NULL, "null function");
    is_str(ld.error.traceback, "Traceback...", "traceback");
    is_str(ld.error.spoken, "There is a SyntaxError.", "spoken");
    is_int(ld.handler_count, 0, "no handlers");
    is_int(message_error_code(&ld.error), SS_ERR_SKILL_LOAD, "counted as a load failure");
    message_load_cleanup(&ld);

    is_int(LOAD("{\"ok\":false,\"error\":{\"kind\":\"raised\"}}", &ld, &err), SS_ERR_OK,
           "an error with only its kind");
    ok(!ld.error.has_line && !ld.error.type && !ld.error.spoken, "everything else absent");
    message_load_cleanup(&ld);
}

/* text must fail with SS_ERR_WORKER and a message containing want. */
static void
refuse_load(const char *text, const char *want, const char *name)
{
    struct message_load ld;
    struct ss_error err;
    ss_error_clear(&err);
    memset(&ld, 0xAB, sizeof(ld));
    is_int(LOAD(text, &ld, &err), SS_ERR_WORKER, "load report refused: %s", name);
    contains(err.msg, want, "and says why: %s", name);
    ok(ld.root == NULL && ld.handlers == NULL && ld.warnings == NULL, "and holds nothing: %s",
       name);
    message_load_cleanup(&ld);
}

static void
refuse_answer(const char *text, const char *want, const char *name)
{
    struct message_answer a;
    struct ss_error err;
    ss_error_clear(&err);
    is_int(ANSWER(text, &a, &err), SS_ERR_WORKER, "answer refused: %s", name);
    contains(err.msg, want, "and says why: %s", name);
    ok(a.root == NULL && a.reply == NULL, "and holds nothing: %s", name);
    message_answer_cleanup(&a);
}

static void
test_load_refused(void)
{
    refuse_load("{}", "has no \"ok\"", "no ok");
    refuse_load("{\"ok\": 1}", "\"ok\" is a number, not true or false", "ok a number");
    refuse_load("{\"ok\": \"true\"}", "is a string", "ok a string");
    refuse_load("{\"ok\": true, \"handlers\": [], \"warnings\": []}", "has no \"style\"",
                "no style");
    refuse_load("{\"ok\": true, \"style\": \"java\", \"handlers\": [], \"warnings\": []}",
                "\"java\", which is not one of its values", "unknown style");
    refuse_load("{\"ok\": true, \"style\": 3, \"handlers\": [], \"warnings\": []}",
                "\"style\" is a number, not a string", "style a number");
    refuse_load("{\"ok\": true, \"style\": \"lambda\", \"warnings\": []}", "has no \"handlers\"",
                "no handlers");
    refuse_load("{\"ok\": true, \"style\": \"lambda\", \"handlers\": {}, \"warnings\": []}",
                "\"handlers\" is an object, not an array", "handlers an object");
    refuse_load("{\"ok\": true, \"style\": \"lambda\", \"handlers\": [\"a\", 2], \"warnings\": []}",
                "\"handlers\"[1] is a number, not a string", "a handler that is a number");
    refuse_load("{\"ok\": true, \"style\": \"lambda\", \"handlers\": [], \"warnings\": [null]}",
                "\"warnings\"[0] is null, not a string", "a null warning");
    refuse_load("{\"ok\": true, \"style\": \"lambda\", \"handlers\": []}", "has no \"warnings\"",
                "no warnings");
    refuse_load("{\"ok\": true, \"style\": \"lambda\", \"handlers\": [], \"warnings\": [\"w\"],"
                " \"model_paths\": []}",
                "they must go in pairs", "model_paths shorter than warnings");
    refuse_load("{\"ok\": true, \"style\": \"lambda\", \"handlers\": [], \"warnings\": [\"w\"],"
                " \"model_paths\": [7]}",
                "\"model_paths\"[0] is a number", "a model path that is a number");
    refuse_load("{\"ok\": true, \"style\": \"lambda\", \"handlers\": [], \"warnings\": [],"
                " \"model_paths\": \"x\"}",
                "\"model_paths\" is a string, not an array", "model_paths a string");
    refuse_load("{\"ok\": true, \"style\": \"skillkit\", \"handlers\": [], \"warnings\": [],"
                " \"model\": [1]}",
                "\"model\" is an array, not an object", "model an array");
    refuse_load("{\"ok\": true, \"style\": \"skillkit\", \"handlers\": [], \"warnings\": [],"
                " \"model\": \"{}\"}",
                "\"model\" is a string, not an object", "model a string");
    refuse_load("{\"ok\": false}", "has no \"error\"", "failed without an error");
    refuse_load("{\"ok\": false, \"error\": \"boom\"}", "\"error\" is a string, not an object",
                "error a string");
    refuse_load("{\"ok\": false, \"error\": {}}", "has no \"kind\"", "error without a kind");
    refuse_load("{\"ok\": false, \"error\": {\"kind\": \"oops\"}}", "\"oops\", which is not one",
                "unknown kind");
    refuse_load("{\"ok\": false, \"error\": {\"kind\": \"load\", \"line\": \"4\"}}",
                "\"line\" is a string, not an integer", "line a string");
    refuse_load("{\"ok\": false, \"error\": {\"kind\": \"load\", \"line\": 4.5}}",
                "\"line\" is a fractional number, not an integer", "line not a whole number");
    refuse_load("{\"ok\": false, \"error\": {\"kind\": \"load\", \"spoken\": []}}",
                "\"spoken\" is an array, not a string", "spoken an array");
    refuse_load("{\"ok\": false, \"error\": {\"kind\": \"load\", \"file\": {}}}",
                "\"file\" is an object", "file an object");
    refuse_load("{\"ok\": false, \"error\": {\"kind\": \"load\", \"traceback\": true}}",
                "\"traceback\" is true", "traceback true");
    refuse_load("{\"ok\": false, \"error\": {\"kind\": \"load\", \"type\": 1}}",
                "\"type\" is a number", "type a number");
    refuse_load("{\"ok\": false, \"error\": {\"kind\": \"load\", \"message\": false}}",
                "\"message\" is false", "message false");
    refuse_load("{\"ok\": false, \"error\": {\"kind\": \"load\", \"function\": [1]}}",
                "\"function\" is an array", "function an array");
    refuse_load("[]", "is an array, not an object", "an array");
    refuse_load("\"ok\"", "is a string, not an object", "a string");
    refuse_load("", "not JSON", "nothing");
    refuse_load("{\"ok\": tru", "not JSON", "cut short");
    refuse_load("{\"ok\": true} trailing", "not JSON", "trailing garbage");
    refuse_load("{\"ok\": true, \"ok\": false}", "not JSON", "a repeated key");
    refuse_load("{\"ok\": false, \"error\": {\"kind\": \"load\", \"message\": \"\xff\"}}",
                "not JSON", "invalid UTF-8");
    refuse_load("{\"ok\": false, \"error\": {\"kind\": \"load\", \"message\": \"a\\u0000b\"}}",
                "not JSON", "a NUL inside a string");

    struct message_load ld;
    struct ss_error err;
    is_int(message_decode_load(NULL, 0, &ld, &err), SS_ERR_WORKER, "no text at all");

    /* Larger than any frame: refused before parsing. */
    size_t big = LIMIT_FRAME_BYTES + 2;
    char *huge = malloc(big);
    ok(huge != NULL, "allocate an oversized message");
    if (huge) {
        memset(huge, ' ', big);
        huge[0] = '{';
        huge[big - 1] = '}';
        is_int(message_decode_load(huge, big, &ld, &err), SS_ERR_WORKER, "oversized report");
        contains(err.msg, "more than the", "says it is too large");
        is_int(message_decode_answer(huge, big, &(struct message_answer){0}, &err), SS_ERR_WORKER,
               "oversized answer");
        free(huge);
    }

    /* Nested past jansson's depth limit: an error, not a stack overflow. */
    size_t depth = 100000;
    char *deep = malloc(2 * depth + 32);
    ok(deep != NULL, "allocate a deep message");
    if (deep) {
        size_t n = 0;
        n += (size_t)sprintf(deep, "{\"ok\":true,\"x\":");
        for (size_t i = 0; i < depth; i++)
            deep[n++] = '[';
        for (size_t i = 0; i < depth; i++)
            deep[n++] = ']';
        deep[n++] = '}';
        is_int(message_decode_load(deep, n, &ld, &err), SS_ERR_WORKER, "deep nesting refused");
        free(deep);
    }
}

static void
test_answer(void)
{
    struct message_answer a;
    struct ss_error err;

    is_int(ANSWER("{\"ok\": true, \"reply\": {\"kind\": \"reply\"}, \"attributes\": {\"n\": 2}}",
                  &a, &err),
           SS_ERR_OK, "an answer decodes");
    ok(a.ok, "ok");
    ok(json_is_object(a.reply), "reply is an object");
    is_str(json_string_value(json_object_get(a.reply, "kind")), "reply", "reply kept as sent");
    is_int(json_integer_value(json_object_get(a.attributes, "n")), 2, "attributes");
    message_answer_cleanup(&a);
    message_answer_cleanup(&a);
    message_answer_cleanup(NULL);

    is_int(ANSWER("{\"ok\": true, \"reply\": {}, \"attributes\": null}", &a, &err), SS_ERR_OK,
           "attributes null");
    ok(a.attributes == NULL, "means unchanged");
    message_answer_cleanup(&a);
    is_int(ANSWER("{\"ok\": true, \"reply\": {}}", &a, &err), SS_ERR_OK, "attributes absent");
    ok(a.attributes == NULL, "means unchanged too");
    message_answer_cleanup(&a);

    is_int(ANSWER("{\"ok\": false, \"error\": {\"kind\": \"timeout\", \"line\": 6, \"file\":"
                  " \"/s/skill.py\", \"type\": \"DeadlineExceeded\", \"message\": \"late\"}}",
                  &a, &err),
           SS_ERR_OK, "a failed answer decodes");
    ok(!a.ok && a.reply == NULL, "not ok, no reply");
    is_int(a.error.kind, MESSAGE_KIND_TIMEOUT, "kind timeout");
    is_int(a.error.line, 6, "line");
    is_int(message_error_code(&a.error), SS_ERR_SKILL_TIMEOUT, "counted as a timeout");
    char line[256];
    message_describe_error(&a.error, "/other.py", line, sizeof(line));
    is_str(line, "/s/skill.py:6: DeadlineExceeded: late", "described on one line");
    message_answer_cleanup(&a);

    refuse_answer("{\"ok\": true}", "has no \"reply\"", "ok without a reply");
    refuse_answer("{\"ok\": true, \"reply\": \"hi\"}", "\"reply\" is a string, not an object",
                  "reply a string");
    refuse_answer("{\"ok\": true, \"reply\": {}, \"attributes\": [1]}",
                  "\"attributes\" is an array, not an object or null", "attributes an array");
    refuse_answer("{\"ok\": null, \"reply\": {}}", "\"ok\" is null", "ok null");
    refuse_answer("{\"ok\": false, \"error\": {\"kind\": 5}}", "\"kind\" is a number",
                  "kind a number");
    refuse_answer("{\"ok\": false, \"reply\": {}}", "has no \"error\"", "failed without error");
    refuse_answer("nonsense", "not JSON", "not JSON");
    refuse_answer("42", "is a number, not an object", "a number");
}

static void
test_error_words(void)
{
    struct message_error e;
    char line[128];

    memset(&e, 0, sizeof(e));
    e.kind = MESSAGE_KIND_RESULT;
    is_int(message_error_code(&e), SS_ERR_SKILL_RESULT, "result");
    e.kind = MESSAGE_KIND_RAISED;
    is_int(message_error_code(&e), SS_ERR_SKILL_RAISED, "raised");
    message_describe_error(&e, NULL, line, sizeof(line));
    is_str(line, "(no message)", "nothing known");
    message_describe_error(&e, "/s/skill.py", line, sizeof(line));
    is_str(line, "/s/skill.py: (no message)", "the default file stands in");
    e.type = "NameError";
    e.message = "name 'x' is not defined";
    e.has_line = true;
    e.line = 5;
    message_describe_error(&e, "/s/skill.py", line, sizeof(line));
    is_str(line, "/s/skill.py:5: NameError: name 'x' is not defined", "file, line, type, message");
    message_describe_error(&e, "/s/skill.py", line, 10);
    is_int(strlen(line), 9, "cut to the buffer");
}

static void
test_texts(void)
{
    struct message_text t;
    struct ss_error err;

    is_int(message_decode_log("{\"text\": \"hello\"}", 17, &t, &err), SS_ERR_OK, "a LOG");
    is_str(t.text, "hello", "its text");
    message_text_cleanup(&t);
    message_text_cleanup(&t);
    message_text_cleanup(NULL);
    is_int(message_decode_log("{\"txt\": \"hello\"}", 16, &t, &err), SS_ERR_WORKER,
           "a LOG without text");
    contains(err.msg, "log record has no \"text\"", "says so");
    ok(t.root == NULL && t.text == NULL, "holds nothing");
    is_int(message_decode_log("{\"text\": 3}", 11, &t, &err), SS_ERR_WORKER, "text a number");
    is_int(message_decode_log("[]", 2, &t, &err), SS_ERR_WORKER, "a LOG that is an array");

    is_int(message_decode_died("{\"how\": \"was killed by signal 9 (Killed)\"}", 42, &t, &err),
           SS_ERR_OK, "a DIED");
    is_str(t.text, "was killed by signal 9 (Killed)", "how");
    message_text_cleanup(&t);
    is_int(message_decode_died("{}", 2, &t, &err), SS_ERR_WORKER, "a DIED without how");
    is_int(message_decode_died("", 0, &t, &err), SS_ERR_WORKER, "an empty DIED");

    is_int(message_decode_ready("{\"ok\": true}", 12, &err), SS_ERR_OK, "READY");
    is_int(message_decode_ready("{\"ok\": false}", 13, &err), SS_ERR_WORKER, "not ready");
    contains(err.msg, "not ready", "says so");
    is_int(message_decode_ready("{}", 2, &err), SS_ERR_WORKER, "a greeting without ok");
    is_int(message_decode_ready("ok", 2, &err), SS_ERR_WORKER, "a greeting that is not JSON");
}

/* ---- what the C side writes, read back ---- */

static char *
join(const struct message_parts *parts, size_t *len)
{
    size_t total = 0;
    for (int i = 0; i < parts->count; i++)
        total += parts->iov[i].iov_len;
    char *out = malloc(total + 1);
    if (!out)
        return NULL;
    *len = 0;
    for (int i = 0; i < parts->count; i++) {
        memcpy(out + *len, parts->iov[i].iov_base, parts->iov[i].iov_len);
        *len += parts->iov[i].iov_len;
    }
    out[*len] = '\0';
    return out;
}

static void
test_encoders(void)
{
    struct message_parts parts;
    struct ss_error err;
    size_t len = 0;
    char buf[256];

    /* An envelope with a request: split, the request copied in front. */
    const char *event = "{\"version\":\"1.0\",\"request\":{\"type\":\"LaunchRequest\"}}";
    message_request_parts(&parts, event, strlen(event), "{\"n\":1}", 1234, 987654321, NULL);
    ok(parts.count <= MESSAGE_PARTS_MAX, "a REQUEST fits proto_sendv");
    char *text = join(&parts, &len);
    json_error_t jerr;
    json_t *req =
        text ? json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DISABLE_EOF_CHECK, &jerr) : NULL;
    ok(json_is_object(req), "a split REQUEST starts with a JSON object: %s",
       text ? text : "(null)");
    is_str(json_string_value(json_object_get(json_object_get(req, "request"), "type")),
           "LaunchRequest", "the envelope's request, copied");
    ok(json_object_get(req, "session") == NULL && json_object_get(req, "event") == NULL,
       "no session when the envelope has none, and no event member");
    is_int(json_integer_value(json_object_get(json_object_get(req, "attributes"), "n")), 1,
           "the attributes");
    is_int(json_integer_value(json_object_get(req, "soft_ms")), 1234, "soft_ms");
    is_int(json_integer_value(json_object_get(req, "soft_at")), 987654321, "soft_at");
    is_str(req ? text + jerr.position : NULL, event, "the envelope follows, as it came");
    json_decref(req);
    free(text);

    /* With a session, and whitespace where JSON allows it. */
    event = " {\n \"session\" : {\"new\":true, \"attributes\":{\"a\":\"}\\\"\"}} ,"
            "\"request\":\t[1, {\"x\": \"]\"}] ,\"context\":{} }\n";
    message_request_parts(&parts, event, strlen(event), NULL, 5, 6, NULL);
    text = join(&parts, &len);
    const char *head = "{\"request\":[1, {\"x\": \"]\"}],\"session\":{\"new\":true, "
                       "\"attributes\":{\"a\":\"}\\\"\"}},\"attributes\":null,\"soft_ms\":5,"
                       "\"soft_at\":6}";
    ok(text && strncmp(text, head, strlen(head)) == 0, "request and session copied as written");
    is_str(text ? text + strlen(text) - strlen(event) : NULL, event, "then the envelope");
    free(text);

    /* What cannot be split is sent whole. */
    static const char *const whole[] = {
        "{}",
        "[1]",
        "{\"version\":\"1.0\"}",
        "{\"request\":1,\"request\":2}",
        "{\"requ\\u0065st\":{}}",
        "{\"request\":{}",
        "not json",
    };
    for (size_t i = 0; i < sizeof(whole) / sizeof(whole[0]); i++) {
        char want[256];
        message_request_parts(&parts, whole[i], strlen(whole[i]), NULL, 1, 2, NULL);
        text = join(&parts, &len);
        snprintf(want, sizeof(want),
                 "{\"event\":%s,\"attributes\":null,\"soft_ms\":1,\"soft_at\":2}", whole[i]);
        is_str(text, want, "sent whole: %s", whole[i]);
        free(text);
    }

    /* Lambda's trace header travels as "trace"; one that is not safe to
     * write as a JSON string as it is, or too long, is left out. */
    message_request_parts(&parts, "{}", 2, NULL, 1, 2, "Root=1-5e1b4151-5ac6c58f;Sampled=1");
    text = join(&parts, &len);
    is_str(text,
           "{\"event\":{},\"attributes\":null,\"soft_ms\":1,\"soft_at\":2,"
           "\"trace\":\"Root=1-5e1b4151-5ac6c58f;Sampled=1\"}",
           "the trace header");
    free(text);
    char long_trace[LIMIT_LAMBDA_TRACE_CHARS + 2];
    memset(long_trace, 'a', sizeof(long_trace) - 1);
    long_trace[sizeof(long_trace) - 1] = '\0';
    static const char *const unsafe[] = {"a\"b", "a\\b", "a\nb", "caf\xc3\xa9", ""};
    for (size_t i = 0; i <= sizeof(unsafe) / sizeof(unsafe[0]); i++) {
        const char *trace = i < sizeof(unsafe) / sizeof(unsafe[0]) ? unsafe[i] : long_trace;
        message_request_parts(&parts, "{}", 2, NULL, 1, 2, trace);
        text = join(&parts, &len);
        is_str(text, "{\"event\":{},\"attributes\":null,\"soft_ms\":1,\"soft_at\":2}",
               "an unsafe trace header is left out (%zu)", i);
        free(text);
    }

    struct message_text t;
    message_log_parts(&parts, "\"a \\\"quote\\\"\"", 13);
    text = join(&parts, &len);
    is_int(text ? message_decode_log(text, len, &t, &err) : SS_ERR_NOMEM, SS_ERR_OK,
           "a LOG the C side writes decodes");
    is_str(t.text, "a \"quote\"", "with its text");
    message_text_cleanup(&t);
    free(text);

    len = message_encode_ready(buf, sizeof(buf));
    ok(len > 0, "READY written");
    is_int(message_decode_ready(buf, len, &err), SS_ERR_OK, "and read back");
    is_int(message_encode_ready(buf, 4), 0, "READY into too small a buffer");

    len = message_encode_died("was killed by signal 11 (Segmentation fault)", buf, sizeof(buf));
    ok(len > 0, "DIED written");
    is_int(message_decode_died(buf, len, &t, &err), SS_ERR_OK, "and read back");
    is_str(t.text, "was killed by signal 11 (Segmentation fault)", "how it ended");
    message_text_cleanup(&t);
    is_int(message_encode_died("exited with status 3", buf, 10), 0, "DIED too large for buf");

    struct message_load ld;
    char *failure = message_encode_load_failure("SandboxError", "no namespaces", "Not safe.");
    ok(failure != NULL, "a load failure written");
    is_int(failure ? LOAD(failure, &ld, &err) : SS_ERR_NOMEM, SS_ERR_OK, "and read back");
    ok(!ld.ok, "as a failed load");
    is_int(ld.error.kind, MESSAGE_KIND_LOAD, "of kind load");
    is_str(ld.error.type, "SandboxError", "type");
    is_str(ld.error.message, "no namespaces", "message");
    is_str(ld.error.spoken, "Not safe.", "spoken");
    message_load_cleanup(&ld);
    free(failure);
}

/* ---- garbage: never a crash, always a clear answer ---- */

static uint32_t rng = 12345;
static uint32_t
next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

/* Run text through every decoder; each must succeed or fail with a sentence. */
static bool
every_decoder(const char *text, size_t len)
{
    struct message_load ld, copy;
    struct message_answer a;
    struct message_text t;
    struct ss_error err;
    bool clear = true;
    enum ss_err rc;

    ss_error_clear(&err);
    rc = message_decode_load(text, len, &ld, &err);
    clear &= rc == SS_ERR_OK || (rc == SS_ERR_WORKER && err.msg[0]);
    if (rc == SS_ERR_OK) {
        char line[128];
        if (!ld.ok)
            message_describe_error(&ld.error, "f", line, sizeof(line));
        for (size_t i = 0; i < ld.handler_count; i++)
            clear &= ld.handlers[i] != NULL;
        for (size_t i = 0; i < ld.warning_count; i++)
            clear &= ld.warnings[i].text != NULL;
        clear &= message_load_copy(&ld, &copy, &err) == SS_ERR_OK;
        message_load_cleanup(&copy);
        message_load_cleanup(&ld);
    }
    ss_error_clear(&err);
    rc = message_decode_answer(text, len, &a, &err);
    clear &= rc == SS_ERR_OK || (rc == SS_ERR_WORKER && err.msg[0]);
    if (rc == SS_ERR_OK)
        clear &= a.ok ? json_is_object(a.reply) : a.reply == NULL;
    message_answer_cleanup(&a);
    ss_error_clear(&err);
    rc = message_decode_log(text, len, &t, &err);
    clear &= rc == SS_ERR_OK ? t.text != NULL : (rc == SS_ERR_WORKER && err.msg[0]);
    message_text_cleanup(&t);
    ss_error_clear(&err);
    rc = message_decode_died(text, len, &t, &err);
    clear &= rc == SS_ERR_OK ? t.text != NULL : (rc == SS_ERR_WORKER && err.msg[0]);
    message_text_cleanup(&t);
    ss_error_clear(&err);
    rc = message_decode_ready(text, len, &err);
    clear &= rc == SS_ERR_OK || (rc == SS_ERR_WORKER && err.msg[0]);
    return clear;
}

static void
test_garbage(void)
{
    static const char *const valid[] = {
        "{\"ok\":true,\"style\":\"skillkit\",\"handlers\":[\"LaunchRequest\"],\"warnings\":"
        "[\"w\"],\"model_paths\":[\"interactionModel\"]}",
        "{\"ok\":false,\"error\":{\"kind\":\"raised\",\"type\":\"NameError\",\"message\":\"m\","
        "\"file\":\"f\",\"line\":3,\"function\":\"g\",\"traceback\":\"t\",\"spoken\":\"s\"}}",
        "{\"ok\":true,\"reply\":{\"kind\":\"reply\",\"speech\":[{\"text\":\"hi\"}]},"
        "\"attributes\":{\"a\":[1,2]}}",
        "{\"text\":\"printed\"}",
        "{\"how\":\"exited with status 1\"}",
    };
    char buf[512];
    bool clear = true;
    size_t tried = 0;

    for (size_t v = 0; v < sizeof(valid) / sizeof(valid[0]); v++) {
        size_t len = strlen(valid[v]);
        /* Every prefix. */
        for (size_t cut = 0; cut <= len; cut++, tried++)
            clear &= every_decoder(valid[v], cut);
        /* Every byte replaced by a few others. */
        static const char swaps[] = {'\0', '"', '{', ']', '1', 'n', '\xff', ' '};
        for (size_t i = 0; i < len; i++) {
            for (size_t k = 0; k < sizeof(swaps); k++, tried++) {
                memcpy(buf, valid[v], len);
                buf[i] = swaps[k];
                clear &= every_decoder(buf, len);
            }
        }
    }
    /* Random bytes, and random bytes inside an object. */
    for (int round = 0; round < 3000; round++, tried++) {
        size_t len = next_random() % sizeof(buf);
        for (size_t i = 0; i < len; i++)
            buf[i] = (char)(next_random() & 0xff);
        if (round % 2 && len > 2) {
            buf[0] = '{';
            buf[len - 1] = '}';
        }
        clear &= every_decoder(buf, len);
    }
    ok(clear, "%zu broken messages: each decoded or refused with a sentence", tried);
}

int
main(void)
{
    test_key_lists_agree();
    test_load_ok();
    test_load_model();
    test_load_failed();
    test_load_refused();
    test_answer();
    test_error_words();
    test_texts();
    test_encoders();
    test_garbage();
    return tap_done();
}
