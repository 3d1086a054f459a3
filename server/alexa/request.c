/*
 * request.c - parse an Alexa request envelope into the view of request.h.
 *
 * Owns: the document of one request (an ss_doc: two allocations, however
 * many members) and its slot array. Every string in the view borrows from
 * the document, so a view costs one ss_doc_parse() and at most one calloc()
 * for the slots.
 *
 * Must stay true:
 * - each field is looked up once and type-checked where it is read; a wrong
 *   type is SS_ERR_FIELD with the dotted path, a missing required field says
 *   "is missing" (spec/alexa-protocol.md §2-§3 for what Alexa always sends);
 * - unknown members and unknown request types pass (REQ_OTHER);
 * - nothing on the error path allocates, and every error message is
 *   printable ASCII, because it ends up in logs and in JSON error bodies;
 * - on failure the view is left zeroed.
 */
#include "request.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ss_json.h"
#include "ss_limits.h"

/* The body is read by ss_doc_parse(), whose verdicts are jansson's
 * json_loadb() with JSON_REJECT_DUPLICATES | JSON_DECODE_ANY: duplicate keys
 * are refused (two "userId"s could make us and Python see different
 * values); any top-level value is read so that a body that is an array or a
 * number gets "must be a JSON object, got array" instead of jansson's terser
 * message. \u0000 stays refused (no JSON_ALLOW_NUL): our strings are C
 * strings. The document is only read here; the worker gets the body as it
 * came. */

/* Entity-resolution authorities of dynamic entities start with this. */
#define DYNAMIC_AUTHORITY_PREFIX "amzn1.er-authority.echo-sdk.dynamic."

static const struct {
    const char *name;
    size_t len;
} type_names[] = {
#define REQUEST_TYPE_ROW(name, text) {text, sizeof(text) - 1},
    REQUEST_TYPES(REQUEST_TYPE_ROW)
#undef REQUEST_TYPE_ROW
};

/* What a field must be. */
enum want { WANT_STRING, WANT_OBJECT, WANT_ARRAY, WANT_BOOL };

/* Flags of a lookup. */
#define F_REQUIRED 1u    /* absent is an error */
#define F_NULL_ABSENT 2u /* JSON null counts as absent (accessToken, spec §2.1) */

/* Outcome of a lookup, before any message is formatted. */
enum found { FOUND_OK, FOUND_MISSING, FOUND_WRONG };

static const char *const want_text[] = {
    [WANT_STRING] = "a string",
    [WANT_OBJECT] = "an object",
    [WANT_ARRAY] = "an array",
    [WANT_BOOL] = "a boolean",
};

static const char *
kind_text(const struct ss_node *v)
{
    switch ((enum ss_node_type)v->type) {
    case SS_NODE_OBJECT:
        return "object";
    case SS_NODE_ARRAY:
        return "array";
    case SS_NODE_STRING:
        return "string";
    case SS_NODE_INTEGER:
    case SS_NODE_REAL:
        return "number";
    case SS_NODE_TRUE:
    case SS_NODE_FALSE:
        return "boolean";
    case SS_NODE_NULL:
        return "null";
    }
    return "unknown";
}

static bool
is_wanted(const struct ss_node *v, enum want want)
{
    switch (want) {
    case WANT_STRING:
        return v->type == SS_NODE_STRING;
    case WANT_OBJECT:
        return v->type == SS_NODE_OBJECT;
    case WANT_ARRAY:
        return v->type == SS_NODE_ARRAY;
    case WANT_BOOL:
        return v->type == SS_NODE_TRUE || v->type == SS_NODE_FALSE;
    }
    return false;
}

/* Keep only printable ASCII: slot names, jansson's "near '...'" excerpts and
 * enum values come from the body and may hold control bytes or broken UTF-8
 * (a cut at the end of the buffer), which must not reach a log line or a
 * JSON error body. */
static void
sanitize(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            *s = '?';
}

__attribute__((format(printf, 3, 4))) static enum ss_err
fail(struct ss_error *err, enum ss_err code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        ss_vfail(err, code, fmt, ap);
        va_end(ap);
        sanitize(err->msg);
    }
    return code;
}

/* Report a failed lookup of key under the path where/ap ("" for the top). */
__attribute__((format(printf, 6, 0))) static enum ss_err
report(struct ss_error *err, enum found found, const struct ss_node *got, enum want want,
       const char *key, const char *where, va_list ap)
{
    char path[256];

    vsnprintf(path, sizeof(path), where, ap);
    if (found == FOUND_MISSING)
        return fail(err, SS_ERR_FIELD, "%s%s%.64s is missing", path, *path ? "." : "", key);
    return fail(err, SS_ERR_FIELD, "%s%s%.64s must be %s, got %s", path, *path ? "." : "", key,
                want_text[want], kind_text(got));
}

/* parent.key (parent may be NULL: then everything below it is absent). */
static enum found
find(const struct ss_node *parent, const char *key, enum want want, unsigned flags,
     const struct ss_node **out)
{
    const struct ss_node *v = ss_node_get(parent, key);

    *out = NULL;
    if (!v || ((flags & F_NULL_ABSENT) && v->type == SS_NODE_NULL))
        return (flags & F_REQUIRED) ? FOUND_MISSING : FOUND_OK;
    if (!is_wanted(v, want)) {
        *out = v;
        return FOUND_WRONG;
    }
    *out = v;
    return FOUND_OK;
}

/*
 * Look up parent.key as a value of kind want into *out (NULL when absent and
 * not required). where is a printf format of the parent's path, formatted
 * only when the lookup fails, so the happy path never formats anything.
 */
__attribute__((format(printf, 7, 8))) static enum ss_err
get(const struct ss_node *parent, const char *key, enum want want, unsigned flags,
    const struct ss_node **out, struct ss_error *err, const char *where, ...)
{
    enum found found = find(parent, key, want, flags, out);
    enum ss_err rc;
    va_list ap;

    if (found == FOUND_OK)
        return SS_ERR_OK;
    va_start(ap, where);
    rc = report(err, found, *out, want, key, where, ap);
    va_end(ap);
    *out = NULL;
    return rc;
}

/* get() for a string member: *out borrows from the document. */
__attribute__((format(printf, 6, 7))) static enum ss_err
get_string(const struct ss_node *parent, const char *key, unsigned flags, const char **out,
           struct ss_error *err, const char *where, ...)
{
    const struct ss_node *v;
    enum found found = find(parent, key, WANT_STRING, flags, &v);
    enum ss_err rc;
    va_list ap;

    *out = NULL;
    if (found == FOUND_OK) {
        if (v)
            *out = v->v.string;
        return SS_ERR_OK;
    }
    va_start(ap, where);
    rc = report(err, found, v, WANT_STRING, key, where, ap);
    va_end(ap);
    return rc;
}

/* Check that an array element or map value v is of kind want. */
__attribute__((format(printf, 4, 5))) static enum ss_err
check_value(const struct ss_node *v, enum want want, struct ss_error *err, const char *where, ...)
{
    char path[256];
    va_list ap;

    if (is_wanted(v, want))
        return SS_ERR_OK;
    va_start(ap, where);
    vsnprintf(path, sizeof(path), where, ap);
    va_end(ap);
    return fail(err, SS_ERR_FIELD, "%s must be %s, got %s", path, want_text[want], kind_text(v));
}

/*
 * Find where nesting exceeds LIMIT_JSON_DEPTH, before jansson recurses into
 * it: the worker's Python json module gives up near 1000 levels with a
 * RecursionError, and no Alexa envelope comes close to the limit. Only
 * brackets outside strings count; inside a string, memchr() jumps from quote
 * to quote and a quote preceded by an odd run of backslashes is escaped.
 * The scan is exact for valid JSON; for invalid JSON jansson reports the
 * syntax error (or this reports the depth first, which is also true).
 * Returns the byte offset of the bracket that went too deep, or SIZE_MAX.
 */
static size_t
too_deep_at(const char *body, size_t len)
{
    const char *p = body, *end = body + len;
    unsigned depth = 0;

    while (p < end) {
        switch (*p) {
        case '"':
            for (;;) {
                const char *q = memchr(p + 1, '"', (size_t)(end - p - 1));
                const char *b;
                if (!q)
                    return SIZE_MAX;
                b = q;
                while (b[-1] == '\\')
                    b--;
                p = q;
                if (((q - b) & 1) == 0)
                    break;
            }
            break;
        case '{':
        case '[':
            if (++depth > LIMIT_JSON_DEPTH)
                return (size_t)(p - body);
            break;
        case '}':
        case ']':
            if (depth > 0)
                depth--;
            break;
        default:
            break;
        }
        p++;
    }
    return SIZE_MAX;
}

/* userId and personId are documented as at most 255 characters. Count code
 * points only when the byte length could exceed the limit. */
static bool
too_long_id(const struct ss_node *v)
{
    size_t bytes, chars = 0;
    const unsigned char *s;

    if (!v)
        return false;
    bytes = v->count;
    if (bytes <= LIMIT_USER_ID_CHARS)
        return false;
    s = (const unsigned char *)v->v.string;
    for (size_t i = 0; i < bytes; i++)
        if ((s[i] & 0xc0) != 0x80)
            chars++;
    return chars > LIMIT_USER_ID_CHARS;
}

/* A user or person id member: a string of at most LIMIT_USER_ID_CHARS. */
static enum ss_err
get_id(const struct ss_node *parent, const char *key, const char *path, const char **out,
       struct ss_error *err)
{
    const struct ss_node *v;
    enum ss_err rc = get(parent, key, WANT_STRING, 0, &v, err, "%s", path);

    *out = NULL;
    if (rc != SS_ERR_OK)
        return rc;
    if (too_long_id(v))
        return fail(err, SS_ERR_FIELD, "%s.%s is longer than %d characters", path, key,
                    LIMIT_USER_ID_CHARS);
    if (v)
        *out = v->v.string;
    return SS_ERR_OK;
}

static enum request_type
type_from_name(const struct ss_node *type)
{
    const char *s = type->v.string;
    size_t len = type->count;

    for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
        if (type_names[i].len == len && memcmp(type_names[i].name, s, len) == 0)
            return (enum request_type)i;
    return REQ_OTHER;
}

/* confirmationStatus at parent.key; absent -> CONFIRM_ABSENT. */
__attribute__((format(printf, 5, 6))) static enum ss_err
get_confirmation(const struct ss_node *parent, const char *key, enum request_confirmation *out,
                 struct ss_error *err, const char *where, ...)
{
    const struct ss_node *v;
    enum found found = find(parent, key, WANT_STRING, 0, &v);
    char path[256];
    enum ss_err rc;
    va_list ap;
    const char *s;

    *out = CONFIRM_ABSENT;
    if (found == FOUND_OK && !v)
        return SS_ERR_OK;
    if (found == FOUND_OK) {
        s = v->v.string;
        if (strcmp(s, "NONE") == 0)
            *out = CONFIRM_NONE;
        else if (strcmp(s, "CONFIRMED") == 0)
            *out = CONFIRM_CONFIRMED;
        else if (strcmp(s, "DENIED") == 0)
            *out = CONFIRM_DENIED;
        else
            goto bad_value;
        return SS_ERR_OK;
    }
    va_start(ap, where);
    rc = report(err, found, v, WANT_STRING, key, where, ap);
    va_end(ap);
    return rc;

bad_value:
    /* A value Alexa does not send: refuse it rather than guess, since a
     * skill acting on DENIED as if it were NONE would do what the user
     * declined. */
    va_start(ap, where);
    vsnprintf(path, sizeof(path), where, ap);
    va_end(ap);
    return fail(err, SS_ERR_FIELD, "%s.%s is \"%.40s\", expected NONE, CONFIRMED or DENIED", path,
                key, s);
}

/* request.dialogState; absent -> DIALOG_ABSENT. */
static enum ss_err
get_dialog(const struct ss_node *request, enum request_dialog *out, struct ss_error *err)
{
    const char *s;
    enum ss_err rc = get_string(request, "dialogState", 0, &s, err, "request");

    *out = DIALOG_ABSENT;
    if (rc != SS_ERR_OK || !s)
        return rc;
    if (strcmp(s, "STARTED") == 0)
        *out = DIALOG_STARTED;
    else if (strcmp(s, "IN_PROGRESS") == 0)
        *out = DIALOG_IN_PROGRESS;
    else if (strcmp(s, "COMPLETED") == 0)
        *out = DIALOG_COMPLETED;
    else
        return fail(err, SS_ERR_FIELD,
                    "request.dialogState is \"%.40s\", expected STARTED, IN_PROGRESS or COMPLETED",
                    s);
    return SS_ERR_OK;
}

/*
 * The entity resolution of slot key (spec §3.2): look at every authority
 * (there are one to three), keep the first ER_SUCCESS_MATCH with a dynamic
 * match beating a static one, else report the first authority's status.
 */
static enum ss_err
parse_resolution(const struct ss_node *slot, const char *key, struct request_resolution *res,
                 struct ss_error *err)
{
    const struct ss_node *resolutions, *per, *chosen = NULL, *values, *first, *value, *a;
    const char *chosen_authority = NULL, *chosen_code = NULL;
    bool chosen_dynamic = false;
    enum ss_err rc;
    size_t i, n, chosen_index = 0;

    rc = get(slot, "resolutions", WANT_OBJECT, 0, &resolutions, err, "request.intent.slots.%.64s",
             key);
    if (rc != SS_ERR_OK || !resolutions)
        return rc;
    rc = get(resolutions, "resolutionsPerAuthority", WANT_ARRAY, 0, &per, err,
             "request.intent.slots.%.64s.resolutions", key);
    if (rc != SS_ERR_OK || !per)
        return rc;

    n = per->count;
    for (i = 0, a = per + 1; i < n; i++, a = ss_node_next(a)) {
        const struct ss_node *status;
        const char *authority, *code;
        bool dynamic;

        rc = check_value(a, WANT_OBJECT, err,
                         "request.intent.slots.%.64s.resolutions.resolutionsPerAuthority[%zu]", key,
                         i);
        if (rc != SS_ERR_OK)
            return rc;
        rc = get_string(a, "authority", F_REQUIRED, &authority, err,
                        "request.intent.slots.%.64s.resolutions.resolutionsPerAuthority[%zu]", key,
                        i);
        if (rc != SS_ERR_OK)
            return rc;
        rc = get(a, "status", WANT_OBJECT, F_REQUIRED, &status, err,
                 "request.intent.slots.%.64s.resolutions.resolutionsPerAuthority[%zu]", key, i);
        if (rc != SS_ERR_OK)
            return rc;
        rc = get_string(
            status, "code", F_REQUIRED, &code, err,
            "request.intent.slots.%.64s.resolutions.resolutionsPerAuthority[%zu].status", key, i);
        if (rc != SS_ERR_OK)
            return rc;
        if (i == 0) {
            res->authority = authority;
            res->status = code;
        }
        if (strcmp(code, "ER_SUCCESS_MATCH") != 0)
            continue;
        dynamic =
            strncmp(authority, DYNAMIC_AUTHORITY_PREFIX, sizeof(DYNAMIC_AUTHORITY_PREFIX) - 1) == 0;
        if (!chosen || (dynamic && !chosen_dynamic)) {
            chosen = a;
            chosen_index = i;
            chosen_authority = authority;
            chosen_code = code;
            chosen_dynamic = dynamic;
        }
    }
    if (!chosen)
        return SS_ERR_OK;

    res->authority = chosen_authority;
    res->status = chosen_code;
    rc = get(chosen, "values", WANT_ARRAY, 0, &values, err,
             "request.intent.slots.%.64s.resolutions.resolutionsPerAuthority[%zu]", key,
             chosen_index);
    if (rc != SS_ERR_OK || !values || values->count == 0)
        return rc;
    first = values + 1;
    rc = check_value(first, WANT_OBJECT, err,
                     "request.intent.slots.%.64s.resolutions.resolutionsPerAuthority[%zu]"
                     ".values[0]",
                     key, chosen_index);
    if (rc != SS_ERR_OK)
        return rc;
    rc = get(first, "value", WANT_OBJECT, F_REQUIRED, &value, err,
             "request.intent.slots.%.64s.resolutions.resolutionsPerAuthority[%zu].values[0]", key,
             chosen_index);
    if (rc != SS_ERR_OK)
        return rc;
    rc = get_string(value, "id", 0, &res->id, err,
                    "request.intent.slots.%.64s.resolutions.resolutionsPerAuthority[%zu]"
                    ".values[0].value",
                    key, chosen_index);
    if (rc != SS_ERR_OK)
        return rc;
    return get_string(value, "name", 0, &res->name, err,
                      "request.intent.slots.%.64s.resolutions.resolutionsPerAuthority[%zu]"
                      ".values[0].value",
                      key, chosen_index);
}

/* request.intent of IntentRequest and CanFulfillIntentRequest. */
static enum ss_err
parse_intent(struct request *req, const struct ss_node *request, struct ss_error *err)
{
    const struct ss_node *intent, *slots, *member, *value;
    const char *key;
    enum ss_err rc;
    size_t n, i = 0;

    rc = get(request, "intent", WANT_OBJECT, F_REQUIRED, &intent, err, "request");
    if (rc != SS_ERR_OK)
        return rc;
    rc = get_string(intent, "name", F_REQUIRED, &req->intent_name, err, "request.intent");
    if (rc != SS_ERR_OK)
        return rc;
    rc = get_confirmation(intent, "confirmationStatus", &req->intent_confirmation, err,
                          "request.intent");
    if (rc != SS_ERR_OK)
        return rc;
    rc = get_dialog(request, &req->dialog_state, err);
    if (rc != SS_ERR_OK)
        return rc;

    rc = get(intent, "slots", WANT_OBJECT, 0, &slots, err, "request.intent");
    if (rc != SS_ERR_OK || !slots || (n = slots->count) == 0)
        return rc;
    req->slots = calloc(n, sizeof(*req->slots));
    if (!req->slots)
        return fail(err, SS_ERR_NOMEM, "out of memory for %zu slots", n);

    /* The document keeps the members in the order they were sent. */
    for (member = slots + 1; i < n; member = ss_node_next(value)) {
        struct request_slot *slot = &req->slots[i];

        key = member->v.string;
        value = member + 1;

        rc = check_value(value, WANT_OBJECT, err, "request.intent.slots.%.64s", key);
        if (rc != SS_ERR_OK)
            return rc;
        slot->name = key;
        rc = get_string(value, "value", 0, &slot->value, err, "request.intent.slots.%.64s", key);
        if (rc != SS_ERR_OK)
            return rc;
        rc = get_confirmation(value, "confirmationStatus", &slot->confirmation, err,
                              "request.intent.slots.%.64s", key);
        if (rc != SS_ERR_OK)
            return rc;
        rc = parse_resolution(value, key, &slot->resolution, err);
        if (rc != SS_ERR_OK)
            return rc;
        req->slot_count = ++i;
    }
    return SS_ERR_OK;
}

/* request.error {type, message} of the types that report one. */
static enum ss_err
parse_error_report(struct request *req, const struct ss_node *request, struct ss_error *err)
{
    const struct ss_node *error;
    enum ss_err rc = get(request, "error", WANT_OBJECT, 0, &error, err, "request");

    if (rc != SS_ERR_OK || !error)
        return rc;
    rc = get_string(error, "type", 0, &req->error_type, err, "request.error");
    if (rc != SS_ERR_OK)
        return rc;
    return get_string(error, "message", 0, &req->error_message, err, "request.error");
}

/* The request object: type, ids, time, locale and the per-type members. */
static enum ss_err
parse_request(struct request *req, const struct ss_node *request, struct ss_error *err)
{
    const struct ss_node *type;
    enum ss_err rc;

    rc = get(request, "type", WANT_STRING, F_REQUIRED, &type, err, "request");
    if (rc != SS_ERR_OK)
        return rc;
    req->type_name = type->v.string;
    req->type = type_from_name(type);
    rc = get_string(request, "requestId", F_REQUIRED, &req->request_id, err, "request");
    if (rc != SS_ERR_OK)
        return rc;
    rc = get_string(request, "timestamp", 0, &req->timestamp, err, "request");
    if (rc != SS_ERR_OK)
        return rc;
    rc = get_string(request, "locale", 0, &req->locale, err, "request");
    if (rc != SS_ERR_OK)
        return rc;

    /* Per-type members are read only for the types that define them, so an
     * unknown type may carry an "intent" of any shape. */
    switch (req->type) {
    case REQ_INTENT:
    case REQ_CAN_FULFILL:
        return parse_intent(req, request, err);
    case REQ_SESSION_ENDED:
        rc = get_string(request, "reason", 0, &req->end_reason, err, "request");
        if (rc != SS_ERR_OK)
            return rc;
        return parse_error_report(req, request, err);
    case REQ_EXCEPTION:
    case REQ_AUDIO_FAILED:
        return parse_error_report(req, request, err);
    default:
        return SS_ERR_OK;
    }
}

/* context.System: application, user, person, device. */
static enum ss_err
parse_system(struct request *req, const struct ss_node *context, struct ss_error *err)
{
    const struct ss_node *system, *application, *user, *person, *device;
    enum ss_err rc;

    rc = get(context, "System", WANT_OBJECT, 0, &system, err, "context");
    if (rc != SS_ERR_OK || !system)
        return rc;
    rc = get(system, "application", WANT_OBJECT, 0, &application, err, "context.System");
    if (rc != SS_ERR_OK)
        return rc;
    rc = get_string(application, "applicationId", 0, &req->application_id, err,
                    "context.System.application");
    if (rc != SS_ERR_OK)
        return rc;
    rc = get(system, "user", WANT_OBJECT, 0, &user, err, "context.System");
    if (rc != SS_ERR_OK)
        return rc;
    rc = get_id(user, "userId", "context.System.user", &req->user_id, err);
    if (rc != SS_ERR_OK)
        return rc;
    rc = get_string(user, "accessToken", F_NULL_ABSENT, &req->access_token, err,
                    "context.System.user");
    if (rc != SS_ERR_OK)
        return rc;
    rc = get(system, "person", WANT_OBJECT, 0, &person, err, "context.System");
    if (rc != SS_ERR_OK)
        return rc;
    rc = get_id(person, "personId", "context.System.person", &req->person_id, err);
    if (rc != SS_ERR_OK)
        return rc;
    rc = get(system, "device", WANT_OBJECT, 0, &device, err, "context.System");
    if (rc != SS_ERR_OK)
        return rc;
    rc = get_string(device, "deviceId", 0, &req->device_id, err, "context.System.device");
    if (rc != SS_ERR_OK)
        return rc;
    return get(device, "supportedInterfaces", WANT_OBJECT, 0, &req->supported_interfaces, err,
               "context.System.device");
}

/* session (optional): new, sessionId, attributes, application, user. The
 * context's application and user win; the session's fill the gaps. */
static enum ss_err
parse_session(struct request *req, const struct ss_node *root, struct ss_error *err)
{
    const struct ss_node *session, *isnew, *application, *user;
    const char *user_id, *token;
    enum ss_err rc;

    rc = get(root, "session", WANT_OBJECT, 0, &session, err, "%s", "");
    if (rc != SS_ERR_OK || !session)
        return rc;
    req->has_session = true;
    rc = get(session, "new", WANT_BOOL, F_REQUIRED, &isnew, err, "session");
    if (rc != SS_ERR_OK)
        return rc;
    req->session_new = isnew->type == SS_NODE_TRUE;
    rc = get_string(session, "sessionId", F_REQUIRED, &req->session_id, err, "session");
    if (rc != SS_ERR_OK)
        return rc;
    rc = get(session, "attributes", WANT_OBJECT, 0, &req->session_attributes, err, "session");
    if (rc != SS_ERR_OK)
        return rc;
    rc = get(session, "application", WANT_OBJECT, 0, &application, err, "session");
    if (rc != SS_ERR_OK)
        return rc;
    rc = get_string(application, "applicationId", 0, &req->session_application_id, err,
                    "session.application");
    if (rc != SS_ERR_OK)
        return rc;
    if (!req->application_id)
        req->application_id = req->session_application_id;
    rc = get(session, "user", WANT_OBJECT, 0, &user, err, "session");
    if (rc != SS_ERR_OK)
        return rc;
    rc = get_id(user, "userId", "session.user", &user_id, err);
    if (rc != SS_ERR_OK)
        return rc;
    rc = get_string(user, "accessToken", F_NULL_ABSENT, &token, err, "session.user");
    if (rc != SS_ERR_OK)
        return rc;
    if (!req->user_id)
        req->user_id = user_id;
    if (!req->access_token)
        req->access_token = token;
    return SS_ERR_OK;
}

enum ss_err
request_parse(struct request *req, const char *body, size_t len, struct ss_error *err)
{
    const struct ss_node *root, *context, *request;
    struct ss_doc *doc = NULL;
    json_error_t jerr;
    enum ss_err rc;
    size_t deep;

    memset(req, 0, sizeof(*req));
    if (len > LIMIT_BODY_BYTES) {
        rc = fail(err, SS_ERR_TOO_LARGE, "request body is %zu bytes, more than the %d allowed", len,
                  LIMIT_BODY_BYTES);
        goto out;
    }
    if (len == 0 || !body) {
        rc = fail(err, SS_ERR_JSON, "request body is empty");
        goto out;
    }
    /* The document knows how deep it nests; only a body that is not read
     * or nests too deep is scanned again, to say where. */
    doc = ss_doc_parse(body, len, &jerr);
    if (!doc || doc->depth > LIMIT_JSON_DEPTH) {
        deep = too_deep_at(body, len);
        if (deep != SIZE_MAX) {
            ss_doc_free(doc);
            rc = fail(err, SS_ERR_JSON, "JSON nests deeper than %d levels at byte %zu",
                      LIMIT_JSON_DEPTH, deep);
            goto out;
        }
    }
    if (!doc) {
        rc = fail(err, SS_ERR_JSON, "JSON syntax error at line %d, column %d: %s", jerr.line,
                  jerr.column, jerr.text);
        goto out;
    }
    req->root = doc;
    root = doc->nodes;
    if (root->type != SS_NODE_OBJECT) {
        rc = fail(err, SS_ERR_FIELD, "request body must be a JSON object, got %s", kind_text(root));
        goto out;
    }

    rc = get_string(root, "version", F_REQUIRED, &req->version, err, "%s", "");
    if (rc != SS_ERR_OK)
        goto out;
    rc = get(root, "request", WANT_OBJECT, F_REQUIRED, &request, err, "%s", "");
    if (rc != SS_ERR_OK)
        goto out;
    rc = parse_request(req, request, err);
    if (rc != SS_ERR_OK)
        goto out;
    rc = get(root, "context", WANT_OBJECT, F_REQUIRED, &context, err, "%s", "");
    if (rc != SS_ERR_OK)
        goto out;
    rc = parse_system(req, context, err);
    if (rc != SS_ERR_OK)
        goto out;
    rc = parse_session(req, root, err);

out:
    if (rc != SS_ERR_OK)
        request_cleanup(req);
    else if (err)
        ss_error_clear(err);
    return rc;
}

void
request_cleanup(struct request *req)
{
    if (!req)
        return;
    free(req->slots);
    ss_doc_free(req->root);
    memset(req, 0, sizeof(*req));
}

const struct request_slot *
request_slot(const struct request *req, const char *name)
{
    if (!req || !name)
        return NULL;
    for (size_t i = 0; i < req->slot_count; i++)
        if (strcmp(req->slots[i].name, name) == 0)
            return &req->slots[i];
    return NULL;
}

const char *
request_type_name(enum request_type type)
{
    if ((unsigned)type >= sizeof(type_names) / sizeof(type_names[0]))
        return NULL;
    return type_names[type].name;
}

bool
request_type_has_session(enum request_type type)
{
    switch (type) {
    case REQ_LAUNCH:
    case REQ_INTENT:
    case REQ_SESSION_ENDED:
    case REQ_APL_USER_EVENT:
    case REQ_CONNECTIONS_RESPONSE:
    case REQ_DISPLAY_ELEMENT_SELECTED:
    case REQ_SESSION_RESUMED:
        return true;
    default:
        return false;
    }
}
