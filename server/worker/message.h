/*
 * message.h - the one owner of what the front and a worker say to each other.
 *
 * proto.h moves frames; this module owns what is in them: the JSON keys, and
 * the decoding of every message a worker sends into a typed struct. Nothing
 * else in the server reads a worker's JSON. The Python side names the same
 * keys once, in skillkit/_message.py; tests/unit/worker/test_message.c checks
 * that the two lists agree.
 *
 * Worker -> front (proto.h frame types):
 *
 *   HELLO from a zygote, the load report (skillkit._runner.load()):
 *     {"ok": true, "style": "skillkit" | "lambda", "handlers": [str, ...],
 *      "warnings": [str, ...], "model_paths": [str | null, ...],
 *      "model": object}
 *     or {"ok": false, "error": ERROR}
 *     model_paths (optional) runs beside warnings: for a warning about the
 *     skill's model.json, the JSON path in it that the warning is about.
 *     model (optional) is the interaction model skillkit inferred from a
 *     skill written as plain functions, a model.json document; sent only
 *     when the skill has no model file. Here only that it is an object:
 *     model_parse() checks its shape like any model file.
 *   HELLO from a worker forked by the zygote: READY {"ok": true}
 *   ANSWER (skillkit._runner.handle()):
 *     {"ok": true, "reply": REPLY, "attributes": object | null}
 *     or {"ok": false, "error": ERROR}
 *     REPLY is response.h's reply format, checked member by member by
 *     response_build(); here only that it is an object. attributes are the
 *     persistent attributes when the handler changed them.
 *   ERROR: {"kind": "load" | "raised" | "result" | "timeout", "type",
 *     "message", "file", "line", "function", "traceback", "spoken"}, each
 *     member a string or null (line an integer or null) or absent.
 *   LOG {"text": str}, while a skill loads or a request runs (python.c)
 *   DIED {"how": str}, from the zygote on a worker's socket (python.c)
 *
 * Front -> worker: REQUEST {"event": envelope, "attributes": object | null,
 * "soft_ms": int, "soft_at": int} (message_request_parts()): the soft
 * deadline in milliseconds from when it was sent, and as a CLOCK_MONOTONIC
 * time in milliseconds, which the worker prefers: a request may wait in the
 * worker's socket behind the one it is answering; and "trace": str when
 * the request came with Lambda's trace header (`skillserver lambda`).
 * Or, split, as the front writes it when the envelope is an object with a
 * "request" member: {"request": envelope.request, "session":
 * envelope.session (only when there is one), "attributes", "soft_ms",
 * "soft_at"} directly followed by the envelope. The members are copies of
 * the envelope's text, so the worker reads the first document (what nearly
 * every request needs) and the envelope only when something asks for more
 * of it.
 *
 * A worker runs a hostile skill in its own process, so everything it sends
 * is checked here: a message that is not valid UTF-8 JSON, not an object,
 * repeats a key, lacks a member or has one of the wrong type, or is larger
 * than LIMIT_FRAME_BYTES is SS_ERR_WORKER with a sentence saying what is
 * wrong, never a crash. Unknown members are ignored.
 *
 * The decoded structs own their JSON document; their strings and json_t
 * pointers borrow from it and live until the struct's _cleanup (NULL-safe,
 * safe on a zeroed struct). Every function is thread-safe and never runs
 * Python.
 */
#ifndef SKILLSERVER_MESSAGE_H
#define SKILLSERVER_MESSAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

#include "error.h"
#include "ss_limits.h"

/* clang-format off */
/* X(NAME, key): every key of every message, in skillkit/_message.py as NAME = "key". */
#define MESSAGE_KEYS(X)            \
    X(OK, "ok")                    \
    X(ERROR, "error")              \
    X(REPLY, "reply")              \
    X(ATTRIBUTES, "attributes")    \
    X(STYLE, "style")              \
    X(HANDLERS, "handlers")        \
    X(WARNINGS, "warnings")        \
    X(MODEL_PATHS, "model_paths")  \
    X(MODEL, "model")              \
    X(KIND, "kind")                \
    X(TYPE, "type")                \
    X(MESSAGE, "message")          \
    X(FILE, "file")                \
    X(LINE, "line")                \
    X(FUNCTION, "function")        \
    X(TRACEBACK, "traceback")      \
    X(SPOKEN, "spoken")            \
    X(TEXT, "text")                \
    X(HOW, "how")                  \
    X(EVENT, "event")              \
    X(REQUEST, "request")          \
    X(SESSION, "session")          \
    X(SOFT_MS, "soft_ms")          \
    X(SOFT_AT, "soft_at")          \
    X(TRACE, "trace")

/* X(NAME, value): ERROR kinds, in _message.py as KIND_NAME = "value". */
#define MESSAGE_KINDS(X)           \
    X(LOAD, "load")                \
    X(RAISED, "raised")            \
    X(RESULT, "result")            \
    X(TIMEOUT, "timeout")

/* X(NAME, value): how a skill is written, in _message.py as STYLE_NAME = "value". */
#define MESSAGE_STYLES(X)          \
    X(SKILLKIT, "skillkit")        \
    X(LAMBDA, "lambda")
/* clang-format on */

enum message_key {
#define MESSAGE_KEY_ENUM(name, key) MESSAGE_KEY_##name,
    MESSAGE_KEYS(MESSAGE_KEY_ENUM)
#undef MESSAGE_KEY_ENUM
        MESSAGE_KEY_COUNT
};

enum message_kind {
#define MESSAGE_KIND_ENUM(name, value) MESSAGE_KIND_##name,
    MESSAGE_KINDS(MESSAGE_KIND_ENUM)
#undef MESSAGE_KIND_ENUM
        MESSAGE_KIND_COUNT
};

enum message_style {
#define MESSAGE_STYLE_ENUM(name, value) MESSAGE_STYLE_##name,
    MESSAGE_STYLES(MESSAGE_STYLE_ENUM)
#undef MESSAGE_STYLE_ENUM
        MESSAGE_STYLE_COUNT
};

/* The key, kind and style as written in the JSON ("ok", "timeout", "lambda"). */
const char *message_key_name(enum message_key key);
const char *message_kind_name(enum message_kind kind);
const char *message_style_name(enum message_style style);

/* A skill's failure, as the worker reports it. Strings are NULL when the
 * member is null or absent. */
struct message_error {
    enum message_kind kind;
    const char *type;    /* the exception's type ("NameError") */
    const char *message; /* for the operator's log */
    const char *file;    /* where it happened */
    bool has_line;
    long long line;        /* valid when has_line */
    const char *function;  /* the function that was running */
    const char *traceback; /* without skillkit's frames */
    const char *spoken;    /* the sentence for --dev, written for the skill's author */
};

/* One warning from loading a skill. */
struct message_warning {
    const char *text;       /* one sentence */
    const char *model_path; /* the JSON path in model.json it is about, or NULL */
};

/* A decoded HELLO of a zygote: how loading the skill went. */
struct message_load {
    json_t *root; /* owned; NULL in a zeroed struct */
    bool ok;
    /* When ok: */
    enum message_style style;
    const char **handlers; /* owned array of borrowed strings: request types and intents */
    size_t handler_count;
    struct message_warning *warnings; /* owned array */
    size_t warning_count;
    json_t *model; /* borrowed, an object or NULL: the model inferred from plain functions */
    /* When !ok: */
    struct message_error error;
};

/* A decoded ANSWER. */
struct message_answer {
    json_t *root; /* owned; NULL in a zeroed struct */
    bool ok;
    json_t *reply;              /* borrowed, an object, when ok: response.h's reply format */
    json_t *attributes;         /* borrowed, an object or NULL: changed persistent attributes */
    struct message_error error; /* when !ok */
};

/* A decoded LOG or DIED: one string. */
struct message_text {
    json_t *root;     /* owned */
    const char *text; /* borrowed: LOG's text or DIED's how */
};

/*
 * Decode text[0..len) (need not be NUL-terminated) into *out, which is
 * zeroed first and needs its _cleanup after SS_ERR_OK only (on failure it
 * holds nothing). Errors: SS_ERR_WORKER (err says what is wrong, e.g. "the
 * answer's \"reply\" is an array, not an object"), SS_ERR_NOMEM.
 */
enum ss_err message_decode_load(const char *text, size_t len, struct message_load *out,
                                struct ss_error *err);
enum ss_err message_decode_answer(const char *text, size_t len, struct message_answer *out,
                                  struct ss_error *err);
enum ss_err message_decode_log(const char *text, size_t len, struct message_text *out,
                               struct ss_error *err);
enum ss_err message_decode_died(const char *text, size_t len, struct message_text *out,
                                struct ss_error *err);
/* A worker's READY: SS_ERR_OK when it is {"ok": true}. */
enum ss_err message_decode_ready(const char *text, size_t len, struct ss_error *err);

/* Another view of the same load report (the document is shared, by reference). */
enum ss_err message_load_copy(const struct message_load *from, struct message_load *to,
                              struct ss_error *err);

void message_load_cleanup(struct message_load *load);
void message_answer_cleanup(struct message_answer *answer);
void message_text_cleanup(struct message_text *text);

/* The error kind a skill's ERROR is counted as: SS_ERR_SKILL_LOAD, _RAISED,
 * _RESULT or _TIMEOUT. */
enum ss_err message_error_code(const struct message_error *error);

/* error as one line, "file:line: Type: message", into buf. default_file
 * stands in when the error names no file; NULL leaves the place out. */
void message_describe_error(const struct message_error *error, const char *default_file, char *buf,
                            size_t cap);

/* Messages the C side writes. The pieces point into parts->buf and into the
 * caller's strings, which must outlive the send; count is at most
 * MESSAGE_PARTS_MAX, within what proto_sendv() takes. */
#define MESSAGE_PARTS_MAX 8
struct message_parts {
    char buf[128 + LIMIT_LAMBDA_TRACE_CHARS];
    struct iovec iov[MESSAGE_PARTS_MAX];
    int count;
};

/* A REQUEST around event[0..len) (a JSON text, sent as it is), attributes (a
 * JSON text, or NULL for null), soft_ms and soft_at, and trace (Lambda's
 * X-Ray trace header, for the skill's _X_AMZN_TRACE_ID; NULL or "": none,
 * and one longer than LIMIT_LAMBDA_TRACE_CHARS or with a character other
 * than printable ASCII but quotes and backslashes is left out): split when
 * event is an object with one "request" member (see above), else whole. */
void message_request_parts(struct message_parts *parts, const char *event, size_t len,
                           const char *attributes, long long soft_ms, long long soft_at,
                           const char *trace);

/* A LOG around quoted[0..len), the text already written as a JSON string
 * (with its quotes). */
void message_log_parts(struct message_parts *parts, const char *quoted, size_t len);

/* READY and DIED into buf; return the length, or 0 when buf is too small. */
size_t message_encode_ready(char *buf, size_t cap);
size_t message_encode_died(const char *how, char *buf, size_t cap);

/* The HELLO of a zygote that could not load its skill for a reason of the
 * server's own (it could not be confined): an ERROR of kind load. Returns a
 * malloc'd JSON text, or NULL when out of memory. */
char *message_encode_load_failure(const char *type, const char *message, const char *spoken);

#endif
