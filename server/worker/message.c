/*
 * message.c - decoding what a worker says, writing what the C side says (see
 * message.h).
 *
 * Every member is looked up by its key from MESSAGE_KEYS and checked for
 * its type before a pointer to it is handed out, so a reader of a decoded
 * struct never meets a JSON value it did not expect. Each failure names the
 * message and the member, for the operator's log line.
 */
#include "message.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ss_json.h"
#include "ss_limits.h"

static const char *const key_names[MESSAGE_KEY_COUNT] = {
#define MESSAGE_KEY_TEXT(name, key) key,
    MESSAGE_KEYS(MESSAGE_KEY_TEXT)
#undef MESSAGE_KEY_TEXT
};

static const char *const kind_names[MESSAGE_KIND_COUNT] = {
#define MESSAGE_KIND_TEXT(name, value) value,
    MESSAGE_KINDS(MESSAGE_KIND_TEXT)
#undef MESSAGE_KIND_TEXT
};

static const char *const style_names[MESSAGE_STYLE_COUNT] = {
#define MESSAGE_STYLE_TEXT(name, value) value,
    MESSAGE_STYLES(MESSAGE_STYLE_TEXT)
#undef MESSAGE_STYLE_TEXT
};

#define KEY(name) key_names[MESSAGE_KEY_##name]

const char *
message_key_name(enum message_key key)
{
    return (unsigned)key < MESSAGE_KEY_COUNT ? key_names[key] : "";
}

const char *
message_kind_name(enum message_kind kind)
{
    return (unsigned)kind < MESSAGE_KIND_COUNT ? kind_names[kind] : "";
}

const char *
message_style_name(enum message_style style)
{
    return (unsigned)style < MESSAGE_STYLE_COUNT ? style_names[style] : "";
}

/* "an array", "a string", ... for saying what a member is instead. */
static const char *
type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "a number";
    case JSON_REAL:
        return "a fractional number";
    case JSON_TRUE:
        return "true";
    case JSON_FALSE:
        return "false";
    case JSON_NULL:
        return "null";
    }
    return "something else";
}

/* src cut to cap - 1 bytes with every byte outside printable ASCII made
 * '?': a worker's text inside an error message cannot break the log line. */
static void
printable(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++)
        dst[i] = (unsigned char)src[i] >= 0x20 && (unsigned char)src[i] < 0x7f ? src[i] : '?';
    dst[i] = '\0';
}

/* The document in text[0..len), which must be a JSON object; *root is a new
 * reference. what names the message in errors ("answer"). */
static enum ss_err
parse(const char *what, const char *text, size_t len, json_t **root, struct ss_error *err)
{
    json_error_t jerr;

    *root = NULL;
    if (len > LIMIT_FRAME_BYTES)
        return ss_fail(err, SS_ERR_WORKER, "the %s is %zu bytes, more than the %d allowed", what,
                       len, LIMIT_FRAME_BYTES);
    if (!text)
        return ss_fail(err, SS_ERR_WORKER, "the %s is empty", what);
    json_t *doc = ss_json_load(text, len, &jerr);
    if (!doc) {
        if (json_error_code(&jerr) == json_error_out_of_memory)
            return ss_fail(err, SS_ERR_NOMEM, "out of memory");
        char why[sizeof(jerr.text)];
        printable(why, sizeof(why), jerr.text);
        return ss_fail(err, SS_ERR_WORKER, "the %s is not JSON: %s (at byte %d)", what, why,
                       jerr.position);
    }
    if (!json_is_object(doc)) {
        enum ss_err rc =
            ss_fail(err, SS_ERR_WORKER, "the %s is %s, not an object", what, type_name(doc));
        json_decref(doc);
        return rc;
    }
    *root = doc;
    return SS_ERR_OK;
}

static enum ss_err
wrong_type(struct ss_error *err, const char *what, const char *key, const json_t *v,
           const char *want)
{
    if (!v)
        return ss_fail(err, SS_ERR_WORKER, "the %s has no \"%s\"", what, key);
    return ss_fail(err, SS_ERR_WORKER, "the %s's \"%s\" is %s, not %s", what, key, type_name(v),
                   want);
}

/* A member that must be true or false. */
static enum ss_err
get_bool(const json_t *obj, const char *what, const char *key, bool *out, struct ss_error *err)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_boolean(v))
        return wrong_type(err, what, key, v, "true or false");
    *out = json_is_true(v);
    return SS_ERR_OK;
}

/* A string member; null or absent give NULL unless required. */
static enum ss_err
get_string(const json_t *obj, const char *what, const char *key, bool required, const char **out,
           struct ss_error *err)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if ((!v || json_is_null(v)) && !required)
        return SS_ERR_OK;
    if (!json_is_string(v))
        return wrong_type(err, what, key, v, "a string");
    *out = json_string_value(v);
    return SS_ERR_OK;
}

/* A string member that must be one of names[0..count): its index. */
static enum ss_err
get_name(const json_t *obj, const char *what, const char *key, const char *const *names,
         size_t count, int *out, struct ss_error *err)
{
    const char *s;
    enum ss_err rc = get_string(obj, what, key, true, &s, err);
    if (rc != SS_ERR_OK)
        return rc;
    for (size_t i = 0; i < count; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (int)i;
            return SS_ERR_OK;
        }
    }
    char shown[41];
    printable(shown, sizeof(shown), s);
    return ss_fail(err, SS_ERR_WORKER, "the %s's \"%s\" is \"%s\", which is not one of its values",
                   what, key, shown);
}

static enum ss_err
decode_error(const json_t *obj, const char *what, struct message_error *out, struct ss_error *err)
{
    char inner[64];
    json_t *e = json_object_get(obj, KEY(ERROR));
    int kind = 0;
    enum ss_err rc;

    memset(out, 0, sizeof(*out));
    if (!json_is_object(e))
        return wrong_type(err, what, KEY(ERROR), e, "an object");
    snprintf(inner, sizeof(inner), "%s's error", what);
    if ((rc = get_name(e, inner, KEY(KIND), kind_names, MESSAGE_KIND_COUNT, &kind, err)) !=
            SS_ERR_OK ||
        (rc = get_string(e, inner, KEY(TYPE), false, &out->type, err)) != SS_ERR_OK ||
        (rc = get_string(e, inner, KEY(MESSAGE), false, &out->message, err)) != SS_ERR_OK ||
        (rc = get_string(e, inner, KEY(FILE), false, &out->file, err)) != SS_ERR_OK ||
        (rc = get_string(e, inner, KEY(FUNCTION), false, &out->function, err)) != SS_ERR_OK ||
        (rc = get_string(e, inner, KEY(TRACEBACK), false, &out->traceback, err)) != SS_ERR_OK ||
        (rc = get_string(e, inner, KEY(SPOKEN), false, &out->spoken, err)) != SS_ERR_OK)
        return rc;
    out->kind = (enum message_kind)kind;
    json_t *line = json_object_get(e, KEY(LINE));
    if (json_is_integer(line)) {
        out->has_line = true;
        out->line = json_integer_value(line);
    } else if (line && !json_is_null(line)) {
        return wrong_type(err, inner, KEY(LINE), line, "an integer");
    }
    return SS_ERR_OK;
}

/* An array member whose items are strings (or, with nulls, null too). */
static enum ss_err
check_strings(const json_t *obj, const char *what, const char *key, bool nulls,
              struct ss_error *err)
{
    json_t *a = json_object_get(obj, key);
    size_t i;
    json_t *v;

    if (!json_is_array(a))
        return wrong_type(err, what, key, a, "an array");
    json_array_foreach(a, i, v)
    {
        if (!json_is_string(v) && !(nulls && json_is_null(v)))
            return ss_fail(err, SS_ERR_WORKER, "the %s's \"%s\"[%zu] is %s, not a string", what,
                           key, i, type_name(v));
    }
    return SS_ERR_OK;
}

/* Fill out from root, whose reference it takes whatever happens. */
static enum ss_err
decode_load(json_t *root, struct message_load *out, struct ss_error *err)
{
    static const char what[] = "load report";
    enum ss_err rc;
    int style = 0;

    memset(out, 0, sizeof(*out));
    if ((rc = get_bool(root, what, KEY(OK), &out->ok, err)) != SS_ERR_OK)
        goto fail;
    if (!out->ok) {
        if ((rc = decode_error(root, what, &out->error, err)) != SS_ERR_OK)
            goto fail;
        out->root = root;
        return SS_ERR_OK;
    }
    if ((rc = get_name(root, what, KEY(STYLE), style_names, MESSAGE_STYLE_COUNT, &style, err)) !=
            SS_ERR_OK ||
        (rc = check_strings(root, what, KEY(HANDLERS), false, err)) != SS_ERR_OK ||
        (rc = check_strings(root, what, KEY(WARNINGS), false, err)) != SS_ERR_OK)
        goto fail;
    out->style = (enum message_style)style;
    json_t *handlers = json_object_get(root, KEY(HANDLERS));
    json_t *warnings = json_object_get(root, KEY(WARNINGS));
    json_t *paths = json_object_get(root, KEY(MODEL_PATHS));
    if (paths && !json_is_null(paths)) {
        if ((rc = check_strings(root, what, KEY(MODEL_PATHS), true, err)) != SS_ERR_OK)
            goto fail;
        if (json_array_size(paths) != json_array_size(warnings)) {
            rc = ss_fail(err, SS_ERR_WORKER,
                         "the %s has %zu \"%s\" for %zu \"%s\"; they must go in pairs", what,
                         json_array_size(paths), KEY(MODEL_PATHS), json_array_size(warnings),
                         KEY(WARNINGS));
            goto fail;
        }
    }
    json_t *model = json_object_get(root, KEY(MODEL));
    if (model && !json_is_null(model) && !json_is_object(model)) {
        rc = wrong_type(err, what, KEY(MODEL), model, "an object");
        goto fail;
    }
    out->model = json_is_object(model) ? model : NULL;
    out->handler_count = json_array_size(handlers);
    out->warning_count = json_array_size(warnings);
    /* One more than needed, so that an empty list is not a NULL that looks
     * like a failed allocation. */
    out->handlers = calloc(out->handler_count + 1, sizeof(*out->handlers));
    out->warnings = calloc(out->warning_count + 1, sizeof(*out->warnings));
    if (!out->handlers || !out->warnings) {
        rc = ss_fail(err, SS_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < out->handler_count; i++)
        out->handlers[i] = json_string_value(json_array_get(handlers, i));
    for (size_t i = 0; i < out->warning_count; i++) {
        out->warnings[i].text = json_string_value(json_array_get(warnings, i));
        out->warnings[i].model_path = json_string_value(json_array_get(paths, i));
    }
    out->root = root;
    return SS_ERR_OK;
fail:
    free(out->handlers);
    free(out->warnings);
    memset(out, 0, sizeof(*out));
    json_decref(root);
    return rc;
}

enum ss_err
message_decode_load(const char *text, size_t len, struct message_load *out, struct ss_error *err)
{
    json_t *root;
    memset(out, 0, sizeof(*out));
    enum ss_err rc = parse("load report", text, len, &root, err);
    return rc == SS_ERR_OK ? decode_load(root, out, err) : rc;
}

enum ss_err
message_load_copy(const struct message_load *from, struct message_load *to, struct ss_error *err)
{
    memset(to, 0, sizeof(*to));
    if (!from->root)
        return SS_ERR_OK;
    return decode_load(json_incref(from->root), to, err);
}

void
message_load_cleanup(struct message_load *load)
{
    if (!load)
        return;
    free(load->handlers);
    free(load->warnings);
    json_decref(load->root);
    memset(load, 0, sizeof(*load));
}

enum ss_err
message_decode_answer(const char *text, size_t len, struct message_answer *out,
                      struct ss_error *err)
{
    static const char what[] = "answer";
    json_t *root;
    enum ss_err rc;

    memset(out, 0, sizeof(*out));
    if ((rc = parse(what, text, len, &root, err)) != SS_ERR_OK)
        return rc;
    if ((rc = get_bool(root, what, KEY(OK), &out->ok, err)) != SS_ERR_OK)
        goto fail;
    if (!out->ok) {
        if ((rc = decode_error(root, what, &out->error, err)) != SS_ERR_OK)
            goto fail;
        out->root = root;
        return SS_ERR_OK;
    }
    json_t *reply = json_object_get(root, KEY(REPLY));
    json_t *attributes = json_object_get(root, KEY(ATTRIBUTES));
    if (!json_is_object(reply)) {
        rc = wrong_type(err, what, KEY(REPLY), reply, "an object");
        goto fail;
    }
    if (attributes && !json_is_null(attributes) && !json_is_object(attributes)) {
        rc = wrong_type(err, what, KEY(ATTRIBUTES), attributes, "an object or null");
        goto fail;
    }
    out->reply = reply;
    out->attributes = json_is_object(attributes) ? attributes : NULL;
    out->root = root;
    return SS_ERR_OK;
fail:
    memset(out, 0, sizeof(*out));
    json_decref(root);
    return rc;
}

void
message_answer_cleanup(struct message_answer *answer)
{
    if (!answer)
        return;
    json_decref(answer->root);
    memset(answer, 0, sizeof(*answer));
}

static enum ss_err
decode_text(const char *what, const char *key, const char *text, size_t len,
            struct message_text *out, struct ss_error *err)
{
    json_t *root;
    memset(out, 0, sizeof(*out));
    enum ss_err rc = parse(what, text, len, &root, err);
    if (rc == SS_ERR_OK)
        rc = get_string(root, what, key, true, &out->text, err);
    if (rc != SS_ERR_OK) {
        json_decref(root);
        memset(out, 0, sizeof(*out));
        return rc;
    }
    out->root = root;
    return SS_ERR_OK;
}

enum ss_err
message_decode_log(const char *text, size_t len, struct message_text *out, struct ss_error *err)
{
    return decode_text("log record", KEY(TEXT), text, len, out, err);
}

enum ss_err
message_decode_died(const char *text, size_t len, struct message_text *out, struct ss_error *err)
{
    return decode_text("report of a worker's end", KEY(HOW), text, len, out, err);
}

void
message_text_cleanup(struct message_text *text)
{
    if (!text)
        return;
    json_decref(text->root);
    memset(text, 0, sizeof(*text));
}

enum ss_err
message_decode_ready(const char *text, size_t len, struct ss_error *err)
{
    static const char what[] = "worker's greeting";
    json_t *root;
    bool ok = false;
    enum ss_err rc = parse(what, text, len, &root, err);
    if (rc == SS_ERR_OK && (rc = get_bool(root, what, KEY(OK), &ok, err)) == SS_ERR_OK && !ok)
        rc = ss_fail(err, SS_ERR_WORKER, "the %s says it is not ready", what);
    json_decref(root);
    return rc;
}

enum ss_err
message_error_code(const struct message_error *error)
{
    switch (error->kind) {
    case MESSAGE_KIND_LOAD:
        return SS_ERR_SKILL_LOAD;
    case MESSAGE_KIND_TIMEOUT:
        return SS_ERR_SKILL_TIMEOUT;
    case MESSAGE_KIND_RESULT:
        return SS_ERR_SKILL_RESULT;
    case MESSAGE_KIND_RAISED:
    case MESSAGE_KIND_COUNT:
        break;
    }
    return SS_ERR_SKILL_RAISED;
}

void
message_describe_error(const struct message_error *error, const char *default_file, char *buf,
                       size_t cap)
{
    const char *file = error->file ? error->file : default_file;
    char where[512] = "";

    if (file && error->has_line)
        snprintf(where, sizeof(where), "%s:%lld: ", file, error->line);
    else if (file)
        snprintf(where, sizeof(where), "%s: ", file);
    snprintf(buf, cap, "%s%s%s%s", where, error->type ? error->type : "", error->type ? ": " : "",
             error->message ? error->message : "(no message)");
}

/* Make the n bytes just written at parts->buf + *used (snprintf's result)
 * the next piece. */
static void
add_written(struct message_parts *parts, size_t *used, int n)
{
    if (n < 0 || (size_t)n >= sizeof(parts->buf) - *used)
        n = 0; /* cannot happen: the keys are short and fixed */
    parts->iov[parts->count].iov_base = parts->buf + *used;
    parts->iov[parts->count].iov_len = (size_t)n;
    parts->count++;
    *used += (size_t)n + 1;
}

static void
add_text(struct message_parts *parts, const char *text, size_t len)
{
    parts->iov[parts->count].iov_base = (void *)text;
    parts->iov[parts->count].iov_len = len;
    parts->count++;
}

#define ROOM(parts, used) (parts)->buf + (used), sizeof((parts)->buf) - (used)

/* Append text[0..len) to the piece being written at parts->buf + *at;
 * false when it would not fit (cannot happen: the keys are short). */
static bool
append(struct message_parts *parts, size_t *at, const char *text, size_t len)
{
    if (len >= sizeof(parts->buf) - *at)
        return false;
    memcpy(parts->buf + *at, text, len);
    *at += len;
    return true;
}

/* ,"key": or {"key": (lead is ',' or '{'). */
static bool
append_key(struct message_parts *parts, size_t *at, char lead, const char *key)
{
    char open[2] = {lead, '"'};
    return append(parts, at, open, 2) && append(parts, at, key, strlen(key)) &&
           append(parts, at, "\":", 2);
}

static bool
append_number(struct message_parts *parts, size_t *at, long long v)
{
    char digits[BUF_DIGITS];
    char *d = buf_digits(digits, v);
    return append(parts, at, d, (size_t)(digits + BUF_DIGITS - d));
}

/* The pieces are written by hand rather than with snprintf: this runs for
 * every request. */
/* A trace header that may be written as a JSON string as it is. */
static bool
trace_fits(const char *trace)
{
    size_t n = 0;
    for (; trace[n]; n++)
        if ((unsigned char)trace[n] < 0x20 || (unsigned char)trace[n] > 0x7e || trace[n] == '"' ||
            trace[n] == '\\' || n >= LIMIT_LAMBDA_TRACE_CHARS)
            return false;
    return n > 0;
}

void
message_request_parts(struct message_parts *parts, const char *event, size_t len,
                      const char *attributes, long long soft_ms, long long soft_at,
                      const char *trace)
{
    const char *const members[] = {KEY(REQUEST), KEY(SESSION)};
    struct ss_span spans[2];
    size_t used = 0, at = 0;
    const char *attrs = attributes ? attributes : "null";
    bool ok, split = ss_json_spans(event, len, members, 2, spans) && spans[0].end > 0;

    parts->count = 0;
    if (split) {
        /* The envelope's request and session, copied in front of it. */
        ok = append_key(parts, &at, '{', KEY(REQUEST));
        add_written(parts, &used, ok ? (int)(at - used) : -1);
        add_text(parts, event + spans[0].start, spans[0].end - spans[0].start);
        if (spans[1].end > 0) {
            at = used;
            ok = append_key(parts, &at, ',', KEY(SESSION));
            add_written(parts, &used, ok ? (int)(at - used) : -1);
            add_text(parts, event + spans[1].start, spans[1].end - spans[1].start);
        }
    } else {
        ok = append_key(parts, &at, '{', KEY(EVENT));
        add_written(parts, &used, ok ? (int)(at - used) : -1);
        add_text(parts, event, len);
    }
    at = used;
    ok = append_key(parts, &at, ',', KEY(ATTRIBUTES));
    add_written(parts, &used, ok ? (int)(at - used) : -1);
    add_text(parts, attrs, strlen(attrs));
    at = used;
    ok = append_key(parts, &at, ',', KEY(SOFT_MS)) && append_number(parts, &at, soft_ms) &&
         append_key(parts, &at, ',', KEY(SOFT_AT)) && append_number(parts, &at, soft_at);
    if (ok && trace && trace_fits(trace))
        ok = append_key(parts, &at, ',', KEY(TRACE)) && append(parts, &at, "\"", 1) &&
             append(parts, &at, trace, strlen(trace)) && append(parts, &at, "\"", 1);
    ok = ok && append(parts, &at, "}", 1);
    add_written(parts, &used, ok ? (int)(at - used) : -1);
    if (split)
        add_text(parts, event, len);
}

void
message_log_parts(struct message_parts *parts, const char *quoted, size_t len)
{
    size_t used = 0;

    parts->count = 0;
    add_written(parts, &used, snprintf(ROOM(parts, used), "{\"%s\":", KEY(TEXT)));
    add_text(parts, quoted, len);
    add_text(parts, "}", 1);
}

size_t
message_encode_ready(char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "{\"%s\":true}", KEY(OK));
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

size_t
message_encode_died(const char *how, char *buf, size_t cap)
{
    json_t *j = json_pack("{s:s}", KEY(HOW), how);
    size_t n = j ? json_dumpb(j, buf, cap, JSON_COMPACT) : 0;
    json_decref(j);
    return n < cap ? n : 0;
}

char *
message_encode_load_failure(const char *type, const char *message, const char *spoken)
{
    json_t *e = json_pack("{s:b, s:{s:s, s:s, s:s, s:s}}", KEY(OK), 0, KEY(ERROR), KEY(KIND),
                          kind_names[MESSAGE_KIND_LOAD], KEY(TYPE), type, KEY(MESSAGE), message,
                          KEY(SPOKEN), spoken);
    char *text = e ? json_dumps(e, JSON_COMPACT) : NULL;
    json_decref(e);
    return text;
}
