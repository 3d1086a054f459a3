/*
 * response.c - from a worker's reply to the Alexa response envelope.
 *
 * Owns: the checks of spec/alexa-protocol.md §5 (shapes), §6 (what each
 * request type may carry) and §8 (limits) on everything that leaves the
 * server; the assembly of speech segments into PlainText or one <speak>
 * document; serialisation with the size limit.
 *
 * Must stay true:
 * - the reply is borrowed and never modified; the envelope shares unchanged
 *   members with it by reference. No deep copies: this runs for every request
 *   inside a budget of a few microseconds.
 * - every outputSpeech and reprompt of type SSML passes ssml_check() here
 *   (ssml_validate() is the only caller) before it can leave.
 * - a member the request type may not carry is dropped and reported through
 *   the warn callback; a member of the wrong shape is an error that names it
 *   and says what to write instead, in words a child can follow.
 * - error and warning texts quote skill strings only through quote(), which
 *   cuts them short and removes control characters (they go to logs and may
 *   be spoken in --dev mode).
 */
#include "response.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ss_limits.h"
#include "ssml.h"
#include "utf8.h"

/* ---- what each request type may carry (§6) ---- */

enum dir_rule {
    DIRS_NONE,       /* no directives */
    DIRS_STOP_CLEAR, /* AudioPlayer.Stop and AudioPlayer.ClearQueue */
    DIRS_AUDIO,      /* AudioPlayer.* */
    DIRS_NO_DIALOG,  /* all but the Dialog directives that drive an intent's dialog */
    DIRS_ALL,
};

struct policy {
    bool speech;  /* outputSpeech, reprompt, card */
    bool session; /* shouldEndSession, sessionAttributes */
    bool cfi;     /* canFulfillIntent */
    enum dir_rule dirs;
};

/* Types left out (SessionEnded, PlaybackStopped, ExceptionEncountered,
 * REQ_OTHER, and any type added to request.h later) get the all-false row:
 * the empty response, which Alexa accepts for everything. */
static const struct policy policies[REQ_OTHER + 1] = {
    [REQ_LAUNCH] = {true, true, false, DIRS_NO_DIALOG},
    [REQ_INTENT] = {true, true, false, DIRS_ALL},
    [REQ_CAN_FULFILL] = {false, false, true, DIRS_NONE},
    [REQ_AUDIO_STARTED] = {false, false, false, DIRS_STOP_CLEAR},
    [REQ_AUDIO_FINISHED] = {false, false, false, DIRS_STOP_CLEAR},
    [REQ_AUDIO_NEARLY_FINISHED] = {false, false, false, DIRS_AUDIO},
    [REQ_AUDIO_FAILED] = {false, false, false, DIRS_AUDIO},
    [REQ_PLAYBACK_NEXT] = {false, false, false, DIRS_AUDIO},
    [REQ_PLAYBACK_PAUSE] = {false, false, false, DIRS_AUDIO},
    [REQ_PLAYBACK_PLAY] = {false, false, false, DIRS_AUDIO},
    [REQ_PLAYBACK_PREVIOUS] = {false, false, false, DIRS_AUDIO},
    [REQ_APL_USER_EVENT] = {true, true, false, DIRS_NO_DIALOG},
    [REQ_CONNECTIONS_RESPONSE] = {true, true, false, DIRS_NO_DIALOG},
    [REQ_DISPLAY_ELEMENT_SELECTED] = {true, true, false, DIRS_NO_DIALOG},
    [REQ_SESSION_RESUMED] = {true, true, false, DIRS_NO_DIALOG},
};

static const char *const type_names[] = {
#define RESPONSE_TYPE_NAME(name, text) text,
    REQUEST_TYPES(RESPONSE_TYPE_NAME)
#undef RESPONSE_TYPE_NAME
};

static const struct policy *
policy_of(const struct request *req)
{
    if (!req)
        return &policies[REQ_LAUNCH];
    return (unsigned)req->type <= REQ_OTHER ? &policies[req->type] : &policies[REQ_OTHER];
}

/* Interfaces a device must list in supportedInterfaces for their directives. */
static const struct {
    const char *prefix; /* directive types starting with this */
    const char *name;   /* the key in supportedInterfaces */
} interfaces[] = {
    {"AudioPlayer.", "AudioPlayer"},
    {"VideoApp.", "VideoApp"},
    {"Alexa.Presentation.APL.", "Alexa.Presentation.APL"},
    {"Alexa.Presentation.APLT.", "Alexa.Presentation.APLT"},
    {"Alexa.Presentation.HTML.", "Alexa.Presentation.HTML"},
    {"Display.", "Display"},
};

/* ---- one build ---- */

struct build {
    const struct request *req;
    const struct policy *pol;
    const char *type_name; /* for messages */
    const char *prefix;    /* "" for a reply, "response." for an envelope */
    response_warn_fn warn;
    void *warn_ctx;
    struct ss_error *err;

    /* <audio> tags of the checked outputSpeech [0] and reprompt [1]: their
     * sum is limited per response (LIMIT_SSML_AUDIO_TAGS) */
    int audio[2];

    /* found among the directives that are kept */
    bool video_launch;
    bool audio_play;
    const char *dialog; /* type of the Dialog directive, NULL when none */
};

__attribute__((format(printf, 3, 4))) static enum ss_err
fail(const struct build *b, enum ss_err code, const char *fmt, ...)
{
    if (b->err) {
        va_list ap;
        b->err->code = code;
        va_start(ap, fmt);
        vsnprintf(b->err->msg, sizeof(b->err->msg), fmt, ap);
        va_end(ap);
    }
    return code;
}

__attribute__((format(printf, 2, 3))) static void
warnf(const struct build *b, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (!b->warn)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    b->warn(b->warn_ctx, msg);
}

/* The JSON type of v in the words of a Python author (replies come from Python). */
static const char *
kind_of(const json_t *v)
{
    if (!v)
        return "nothing";
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "a dict";
    case JSON_ARRAY:
        return "a list";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
        return "True";
    case JSON_FALSE:
        return "False";
    case JSON_NULL:
        return "None";
    }
    return "an unknown value";
}

#define QUOTE_BYTES 48

/* A short copy of s[0..len) for a message: at most QUOTE_BYTES bytes, cut at
 * a UTF-8 character boundary, control characters replaced by spaces. */
static const char *
quote(const char *s, size_t len, char buf[QUOTE_BYTES + 4])
{
    size_t n = len;

    if (n > QUOTE_BYTES) {
        n = QUOTE_BYTES;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7F ? ' ' : s[i];
    if (n < len) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
    return buf;
}

/* The member key of obj; NULL when absent or JSON null (Python's None). */
static json_t *
member(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_null(v) ? NULL : v;
}

size_t
response_speech_length(const char *s)
{
    return s ? utf16_units(s, strlen(s)) : 0;
}

static size_t
units_of(const json_t *str)
{
    return utf16_units(json_string_value(str), json_string_length(str));
}

static bool
starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool
is_https(const char *s)
{
    return strncasecmp(s, "https://", 8) == 0 && s[8] != '\0';
}

/* A string member of obj at prefix+parent+key; required or optional. */
static enum ss_err
get_string(const struct build *b, const json_t *obj, const char *parent, const char *key,
           bool required, json_t **out)
{
    json_t *v = json_object_get(obj, key);

    *out = NULL;
    if (!v && !required)
        return SS_ERR_OK;
    if (!json_is_string(v))
        return fail(b, SS_ERR_SKILL_RESULT, "%s%s.%s must be a string, got %s", b->prefix, parent,
                    key, kind_of(v));
    *out = v;
    return SS_ERR_OK;
}

/* v is one of values (a NULL-terminated list, shown as "A, B or C"). */
static enum ss_err
check_enum(const struct build *b, const json_t *v, const char *path, const char *const *values,
           const char *shown)
{
    char q[QUOTE_BYTES + 4];

    if (json_is_string(v))
        for (const char *const *p = values; *p; p++)
            if (strcmp(json_string_value(v), *p) == 0)
                return SS_ERR_OK;
    if (json_is_string(v))
        return fail(b, SS_ERR_SKILL_RESULT, "%s%s must be %s, got '%s'", b->prefix, path, shown,
                    quote(json_string_value(v), json_string_length(v), q));
    return fail(b, SS_ERR_SKILL_RESULT, "%s%s must be %s, got %s", b->prefix, path, shown,
                kind_of(v));
}

static const char *const play_behaviors[] = {"ENQUEUE", "REPLACE_ALL", "REPLACE_ENQUEUED", NULL};
#define PLAY_BEHAVIORS_SHOWN "\"ENQUEUE\", \"REPLACE_ALL\" or \"REPLACE_ENQUEUED\""

/* ---- SSML ---- */

static bool
xml_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Is s[i..e) a <speak ...> or <speak/> start tag? Then *end is just past its
 * '>' and *attrs tells whether it has attributes. */
static bool
speak_start(const char *s, size_t i, size_t e, size_t *end, bool *self_closing, bool *attrs)
{
    char quote_char = 0;

    if (e - i < 7 || memcmp(s + i, "<speak", 6) != 0 ||
        !(s[i + 6] == '>' || s[i + 6] == '/' || xml_space(s[i + 6])))
        return false;
    *attrs = false;
    for (size_t k = i + 6; k < e; k++) {
        if (quote_char) {
            if (s[k] == quote_char)
                quote_char = 0;
        } else if (s[k] == '"' || s[k] == '\'') {
            quote_char = s[k];
        } else if (s[k] == '>') {
            *self_closing = s[k - 1] == '/';
            *end = k + 1;
            return true;
        } else if (!xml_space(s[k]) && s[k] != '/') {
            *attrs = true;
        }
    }
    return false;
}

/* Is s[i..e) a </speak> end tag? Then *end is just past its '>'. */
static bool
speak_end(const char *s, size_t i, size_t e, size_t *end)
{
    if (e - i < 8 || memcmp(s + i, "</speak", 7) != 0)
        return false;
    for (size_t k = i + 7; k < e; k++) {
        if (s[k] == '>') {
            *end = k + 1;
            return true;
        }
        if (!xml_space(s[k]))
            return false;
    }
    return false;
}

/*
 * The content of one SSML segment once one outer <speak>...</speak> pair is
 * removed (ssml.md §1): [*start, *end) of s. The pair is removed only when
 * the whole segment, apart from surrounding whitespace, is one speak
 * element, so "<speak>a</speak> <speak>b</speak>" stays as it is (and fails
 * the check as two roots, which is what it is). Comments that contain speak
 * tags may fool the scan; the result is still checked as a whole.
 */
static void
strip_speak(const char *s, size_t len, size_t *start, size_t *end, bool *attrs)
{
    size_t b = 0, e = len, tag_end, k;
    bool self_closing = false;
    int depth = 1;

    *start = 0;
    *end = len;
    *attrs = false;
    while (b < e && xml_space(s[b]))
        b++;
    while (e > b && xml_space(s[e - 1]))
        e--;
    if (!speak_start(s, b, e, &tag_end, &self_closing, attrs))
        return;
    if (self_closing) {
        if (tag_end == e)
            *start = *end = tag_end;
        else
            *attrs = false;
        return;
    }
    for (k = tag_end; k < e;) {
        const char *lt = memchr(s + k, '<', e - k);
        size_t next, inner_end;
        bool inner_self, inner_attrs;

        if (!lt)
            break;
        k = (size_t)(lt - s);
        if (speak_start(s, k, e, &next, &inner_self, &inner_attrs)) {
            if (!inner_self)
                depth++;
            k = next;
        } else if (speak_end(s, k, e, &inner_end)) {
            if (--depth == 0) {
                if (inner_end == e) {
                    *start = tag_end;
                    *end = k;
                    return;
                }
                break;
            }
            k = inner_end;
        } else {
            k++;
        }
    }
    *attrs = false;
}

/* Does s[0..len) contain a <speak> start tag? */
static bool
has_speak(const char *s, size_t len)
{
    size_t end;
    bool self_closing, attrs;

    for (const char *p = s; (p = memmem(p, len - (size_t)(p - s), "<speak", 6)) != NULL; p++)
        if (speak_start(s, (size_t)(p - s), len, &end, &self_closing, &attrs))
            return true;
    return false;
}

/* " (near '...')": the text of doc around line, column (1-based). */
static void
near_text(const char *doc, size_t len, int line, int column, char *buf, size_t cap)
{
    char q[QUOTE_BYTES + 4];
    size_t off = 0, from;

    buf[0] = '\0';
    if (line <= 0)
        return;
    for (int l = 1; l < line && off < len; off++)
        if (doc[off] == '\n')
            l++;
    /* libxml2 counts columns in characters; step over whole UTF-8 sequences. */
    for (int c = 1; c < column && off < len && doc[off] != '\n'; c++) {
        off++;
        while (off < len && ((unsigned char)doc[off] & 0xC0) == 0x80)
            off++;
    }
    from = off > QUOTE_BYTES / 2 ? off - QUOTE_BYTES / 2 : 0;
    while (from > 0 && ((unsigned char)doc[from] & 0xC0) == 0x80)
        from--;
    snprintf(buf, cap, " (near '%s')", quote(doc + from, len - from, q));
}

/* The single call site of the SSML check: doc is a complete <speak>
 * document; what is "outputSpeech" or "reprompt". The request's locale
 * selects which amazon:emotion / amazon:domain styles exist. */
static enum ss_err
ssml_validate(struct build *b, const char *doc, size_t len, const char *what, enum ssml_where where)
{
    struct ssml_report report;
    const struct ssml_problem *p = &report.problems[0];
    char near[QUOTE_BYTES + 20], more[48] = "";
    int rc;

    report.count = 0;
    report.audio_count = 0;
    rc = ssml_check_locale(doc, len, where, b->req ? b->req->locale : NULL, &report);
    if (rc == 0) {
        b->audio[where == SSML_REPROMPT] = report.audio_count;
        return SS_ERR_OK;
    }
    if (rc < 0)
        return fail(b, SS_ERR_NOMEM, "%s SSML could not be checked: %s", what,
                    report.count > 0 ? p->message : "out of memory");
    if (report.count <= 0)
        return fail(b, SS_ERR_SSML, "%s SSML is not valid", what);
    if (report.count > 1)
        snprintf(more, sizeof(more), " (and %d more problem%s)", report.count - 1,
                 report.count > 2 ? "s" : "");
    near_text(doc, len, p->line, p->column, near, sizeof(near));
    if (p->line > 0)
        return fail(b, SS_ERR_SSML, "%s SSML line %d, column %d: %s%s%s", what, p->line, p->column,
                    p->message, near, more);
    return fail(b, SS_ERR_SSML, "%s SSML: %s%s", what, p->message, more);
}

/* The checker limits <audio> per document; Alexa counts them per response. */
static enum ss_err
check_audio_total(const struct build *b)
{
    if (b->audio[0] + b->audio[1] <= LIMIT_SSML_AUDIO_TAGS)
        return SS_ERR_OK;
    return fail(b, SS_ERR_SSML,
                "outputSpeech and reprompt have %d <audio> tags together (%d and %d); Alexa "
                "allows at most %d in one response",
                b->audio[0] + b->audio[1], b->audio[0], b->audio[1], LIMIT_SSML_AUDIO_TAGS);
}

static enum ss_err
check_speech_length(const struct build *b, const char *what, const char *s, size_t len, bool ssml)
{
    size_t n = utf16_units(s, len);

    if (n <= LIMIT_SPEECH_CHARS)
        return SS_ERR_OK;
    return fail(b, SS_ERR_RESPONSE_LIMIT,
                "%s is %zu characters long%s; Alexa allows at most %d. Say less, or split it "
                "over several turns.",
                what, n, ssml ? " (counting the SSML tags)" : "", LIMIT_SPEECH_CHARS);
}

/* ---- kind "reply": speech segments ---- */

/* Checks segment i of segs (named name) and returns its string. */
static enum ss_err
segment_of(const struct build *b, const json_t *segs, size_t i, const char *name, json_t **str,
           bool *is_ssml)
{
    json_t *seg = json_array_get(segs, i);
    json_t *text = json_object_get(seg, "text"), *ssml = json_object_get(seg, "ssml");

    if (!json_is_object(seg) || json_object_size(seg) != 1 || (!text && !ssml))
        return fail(b, SS_ERR_SKILL_RESULT,
                    "%s[%zu] must be {\"text\": \"...\"} or {\"ssml\": \"...\"}, got %s", name, i,
                    json_is_object(seg) ? "a dict with other keys" : kind_of(seg));
    *is_ssml = ssml != NULL;
    *str = text ? text : ssml;
    if (!json_is_string(*str))
        return fail(b, SS_ERR_SKILL_RESULT, "%s[%zu].%s must be a string, got %s", name, i,
                    text ? "text" : "ssml", kind_of(*str));
    return SS_ERR_OK;
}

#define SPEECH_STACK_BYTES 4096

/*
 * An outputSpeech object from the segment list segs (reply member name,
 * "speech" or "reprompt"); *out stays NULL for an empty list. what names it
 * in messages ("outputSpeech" / "reprompt").
 */
static enum ss_err
speech_build(struct build *b, const json_t *segs, const char *name, const char *what,
             enum ssml_where where, json_t **out)
{
    char stack[SPEECH_STACK_BYTES];
    char *buf = stack;
    json_t *str, *value = NULL, *os = NULL;
    size_t n, need = 0, o = 0, s0, s1;
    bool any_ssml = false, is_ssml, attrs;
    enum ss_err rc;

    *out = NULL;
    if (!json_is_array(segs))
        return fail(b, SS_ERR_SKILL_RESULT,
                    "%s must be a list of {\"text\": ...} and {\"ssml\": ...} parts, got %s", name,
                    kind_of(segs));
    n = json_array_size(segs);
    if (n == 0)
        return SS_ERR_OK;

    /* First pass: check the segments and measure the result. */
    for (size_t i = 0; i < n; i++) {
        rc = segment_of(b, segs, i, name, &str, &is_ssml);
        if (rc != SS_ERR_OK)
            return rc;
        any_ssml |= is_ssml;
    }
    if (!any_ssml && n == 1) {
        value = json_incref(str); /* the only segment: no copy */
        rc = check_speech_length(b, what, json_string_value(value), json_string_length(value),
                                 false);
        if (rc != SS_ERR_OK)
            goto out;
        goto assemble;
    }
    for (size_t i = 0; i < n; i++) {
        (void)segment_of(b, segs, i, name, &str, &is_ssml); /* checked above */
        if (!any_ssml) {
            need += json_string_length(str);
        } else if (is_ssml) {
            const char *s = json_string_value(str);
            strip_speak(s, json_string_length(str), &s0, &s1, &attrs);
            /* Found here rather than by the schema so that the author learns
             * which part and what to do. */
            if (has_speak(s + s0, s1 - s0))
                return fail(b, SS_ERR_SSML,
                            "%s SSML: %s[%zu] has a <speak> inside it; Alexa allows only one. "
                            "Give SSML parts without <speak>, or one whole <speak>...</speak>",
                            what, name, i);
            need += s1 - s0;
        } else {
            need += ssml_escape(json_string_value(str), json_string_length(str), NULL, 0);
        }
    }
    if (any_ssml)
        need += strlen("<speak></speak>");
    if (need >= sizeof(stack)) {
        buf = malloc(need + 1);
        if (!buf) {
            rc = fail(b, SS_ERR_NOMEM, "out of memory building %s", what);
            goto out;
        }
    }

    /* Second pass: fill. */
    if (any_ssml) {
        memcpy(buf, "<speak>", 7);
        o = 7;
    }
    for (size_t i = 0; i < n; i++) {
        (void)segment_of(b, segs, i, name, &str, &is_ssml);
        const char *s = json_string_value(str);
        size_t len = json_string_length(str);
        if (!any_ssml) {
            memcpy(buf + o, s, len);
            o += len;
        } else if (is_ssml) {
            strip_speak(s, len, &s0, &s1, &attrs);
            if (attrs)
                warnf(b,
                      "%s[%zu]: removed the attributes of the outer <speak> tag; Alexa's "
                      "<speak> takes none",
                      name, i);
            memcpy(buf + o, s + s0, s1 - s0);
            o += s1 - s0;
        } else {
            o += ssml_escape(s, len, buf + o, need + 1 - o);
        }
    }
    if (any_ssml) {
        memcpy(buf + o, "</speak>", 8);
        o += 8;
    }
    buf[o] = '\0';

    rc = check_speech_length(b, what, buf, o, any_ssml);
    if (rc == SS_ERR_OK && any_ssml)
        rc = ssml_validate(b, buf, o, what, where);
    if (rc != SS_ERR_OK)
        goto out;
    /* Valid UTF-8: jansson strings, cut only at ASCII '<' and '>', and
     * ssml_escape's output. */
    value = json_stringn_nocheck(buf, o);

assemble:
    os = json_object();
    if (!os || !value ||
        json_object_set_new_nocheck(os, "type", json_string(any_ssml ? "SSML" : "PlainText")) ||
        json_object_set_nocheck(os, any_ssml ? "ssml" : "text", value)) {
        rc = fail(b, SS_ERR_NOMEM, "out of memory building %s", what);
        goto out;
    }
    *out = os;
    os = NULL;
    rc = SS_ERR_OK;
out:
    json_decref(os);
    json_decref(value);
    if (buf != stack)
        free(buf);
    return rc;
}

/* ---- kind "envelope": an outputSpeech object as the skill wrote it ---- */

/* path: "outputSpeech" or "reprompt.outputSpeech" (after b->prefix). */
static enum ss_err
speech_check(struct build *b, const json_t *os, const char *path, const char *what,
             enum ssml_where where)
{
    char q[QUOTE_BYTES + 4], pb_path[64];
    json_t *type, *str, *pb;
    const char *s;
    size_t len, i = 0;
    enum ss_err rc;

    if (!json_is_object(os))
        return fail(b, SS_ERR_SKILL_RESULT,
                    "%s%s must be a dict like {\"type\": \"PlainText\", \"text\": \"Hello\"}, "
                    "got %s",
                    b->prefix, path, kind_of(os));
    type = json_object_get(os, "type");
    if (!json_is_string(type) || (strcmp(json_string_value(type), "PlainText") != 0 &&
                                  strcmp(json_string_value(type), "SSML") != 0)) {
        if (json_is_string(type))
            return fail(b, SS_ERR_SKILL_RESULT,
                        "%s%s.type must be \"PlainText\" or \"SSML\", got '%s'", b->prefix, path,
                        quote(json_string_value(type), json_string_length(type), q));
        return fail(b, SS_ERR_SKILL_RESULT, "%s%s.type must be \"PlainText\" or \"SSML\", got %s",
                    b->prefix, path, kind_of(type));
    }
    pb = member(os, "playBehavior");
    if (pb) {
        snprintf(pb_path, sizeof(pb_path), "%s.playBehavior", path);
        rc = check_enum(b, pb, pb_path, play_behaviors, PLAY_BEHAVIORS_SHOWN);
        if (rc != SS_ERR_OK)
            return rc;
    }

    if (strcmp(json_string_value(type), "PlainText") == 0) {
        rc = get_string(b, os, path, "text", true, &str);
        if (rc != SS_ERR_OK)
            return rc;
        if (strstr(json_string_value(str), "<speak"))
            warnf(b,
                  "%s%s is PlainText but contains <speak>: Alexa will read the tags aloud; "
                  "use \"type\": \"SSML\" with \"ssml\" instead",
                  b->prefix, path);
        return check_speech_length(b, what, json_string_value(str), json_string_length(str), false);
    }

    rc = get_string(b, os, path, "ssml", true, &str);
    if (rc != SS_ERR_OK)
        return rc;
    s = json_string_value(str);
    len = json_string_length(str);
    while (i < len && xml_space(s[i]))
        i++;
    if (len - i < 7 || memcmp(s + i, "<speak", 6) != 0 ||
        !(s[i + 6] == '>' || s[i + 6] == '/' || xml_space(s[i + 6])))
        return fail(b, SS_ERR_SSML,
                    "%s SSML must be a whole <speak>...</speak> document, but %s%s.ssml starts "
                    "with '%s'",
                    what, b->prefix, path, quote(s + i, len - i, q));
    rc = check_speech_length(b, what, s, len, true);
    if (rc != SS_ERR_OK)
        return rc;
    return ssml_validate(b, s, len, what, where);
}

/* ---- cards ---- */

enum card_type { CARD_SIMPLE, CARD_STANDARD, CARD_LINK, CARD_PERMISSIONS };

static const struct {
    const char *name;
    const char *members; /* what the type may have, for messages */
} card_types[] = {
    [CARD_SIMPLE] = {"Simple", "title and content"},
    [CARD_STANDARD] = {"Standard", "title, text and image"},
    [CARD_LINK] = {"LinkAccount", "nothing but its type"},
    [CARD_PERMISSIONS] = {"AskForPermissionsConsent", "permissions"},
};

#define CARD_TYPES_SHOWN "Simple, Standard, LinkAccount, AskForPermissionsConsent"

static enum ss_err
check_card_url(const struct build *b, const json_t *url, const char *key, size_t *chars)
{
    char q[QUOTE_BYTES + 4];
    size_t n;

    if (!json_is_string(url))
        return fail(b, SS_ERR_SKILL_RESULT, "%scard.image.%s must be a string, got %s", b->prefix,
                    key, kind_of(url));
    if (!is_https(json_string_value(url)))
        return fail(b, SS_ERR_SKILL_RESULT,
                    "%scard.image.%s must be an https:// address Alexa can fetch, got '%s'",
                    b->prefix, key, quote(json_string_value(url), json_string_length(url), q));
    n = units_of(url);
    if (n > LIMIT_CARD_URL_CHARS)
        return fail(b, SS_ERR_RESPONSE_LIMIT,
                    "%scard.image.%s is %zu characters long; Alexa allows at most %d", b->prefix,
                    key, n, LIMIT_CARD_URL_CHARS);
    *chars += n;
    return SS_ERR_OK;
}

static enum ss_err
check_card_image(const struct build *b, const json_t *image, size_t *chars)
{
    const char *key;
    json_t *v;
    char q[QUOTE_BYTES + 4];
    enum ss_err rc;

    if (!json_is_object(image))
        return fail(b, SS_ERR_SKILL_RESULT,
                    "%scard.image must be a dict like {\"smallImageUrl\": \"https://...\", "
                    "\"largeImageUrl\": \"https://...\"}, got %s",
                    b->prefix, kind_of(image));
    json_object_foreach((json_t *)image, key, v)
    {
        if (strcmp(key, "smallImageUrl") != 0 && strcmp(key, "largeImageUrl") != 0)
            return fail(b, SS_ERR_SKILL_RESULT,
                        "%scard.image may only have smallImageUrl and largeImageUrl, not '%s'",
                        b->prefix, quote(key, strlen(key), q));
        rc = check_card_url(b, v, key, chars);
        if (rc != SS_ERR_OK)
            return rc;
    }
    return SS_ERR_OK;
}

static enum ss_err
check_card_permissions(const struct build *b, const json_t *perms)
{
    size_t i;
    json_t *p;

    if (!json_is_array(perms) || json_array_size(perms) == 0)
        return fail(b, SS_ERR_SKILL_RESULT,
                    "%scard.permissions must be a list of permission names such as "
                    "[\"alexa::profile:email:read\"], got %s",
                    b->prefix, json_is_array(perms) ? "an empty list" : kind_of(perms));
    json_array_foreach(perms, i, p)
    {
        if (!json_is_string(p) || json_string_length(p) == 0)
            return fail(b, SS_ERR_SKILL_RESULT,
                        "%scard.permissions[%zu] must be a permission name such as "
                        "\"alexa::profile:email:read\", got %s",
                        b->prefix, i, json_is_string(p) ? "an empty string" : kind_of(p));
    }
    return SS_ERR_OK;
}

static enum ss_err
check_card(const struct build *b, const json_t *card)
{
    char q[QUOTE_BYTES + 4];
    const char *key, *t;
    json_t *type, *v;
    enum card_type which;
    size_t chars = 0;
    bool has_permissions = false;
    enum ss_err rc;

    if (!json_is_object(card))
        return fail(b, SS_ERR_SKILL_RESULT,
                    "%scard must be a dict like {\"type\": \"Simple\", \"title\": \"...\", "
                    "\"content\": \"...\"}, got %s",
                    b->prefix, kind_of(card));
    type = json_object_get(card, "type");
    if (!json_is_string(type))
        return fail(b, SS_ERR_SKILL_RESULT,
                    "%scard.type must be one of " CARD_TYPES_SHOWN ", got %s", b->prefix,
                    kind_of(type));
    t = json_string_value(type);
    for (which = CARD_SIMPLE; which <= CARD_PERMISSIONS; which++)
        if (strcmp(t, card_types[which].name) == 0)
            break;
    if (which > CARD_PERMISSIONS)
        return fail(b, SS_ERR_SKILL_RESULT,
                    "%scard.type must be one of " CARD_TYPES_SHOWN ", got '%s'", b->prefix,
                    quote(t, json_string_length(type), q));

    json_object_foreach((json_t *)card, key, v)
    {
        bool text_member = strcmp(key, "title") == 0 ||
                           (which == CARD_SIMPLE && strcmp(key, "content") == 0) ||
                           (which == CARD_STANDARD && strcmp(key, "text") == 0);
        if (strcmp(key, "type") == 0)
            continue;
        if (text_member && (which == CARD_SIMPLE || which == CARD_STANDARD)) {
            if (!json_is_string(v))
                return fail(b, SS_ERR_SKILL_RESULT, "%scard.%s must be a string, got %s", b->prefix,
                            key, kind_of(v));
            chars += units_of(v);
        } else if (which == CARD_STANDARD && strcmp(key, "image") == 0) {
            rc = check_card_image(b, v, &chars);
            if (rc != SS_ERR_OK)
                return rc;
        } else if (which == CARD_PERMISSIONS && strcmp(key, "permissions") == 0) {
            rc = check_card_permissions(b, v);
            if (rc != SS_ERR_OK)
                return rc;
            has_permissions = true;
        } else if (which == CARD_SIMPLE && strcmp(key, "text") == 0) {
            return fail(b, SS_ERR_SKILL_RESULT,
                        "%scard.text is not part of a Simple card: a Simple card has title and "
                        "content (a Standard card has title, text and image)",
                        b->prefix);
        } else if (which == CARD_STANDARD && strcmp(key, "content") == 0) {
            return fail(b, SS_ERR_SKILL_RESULT,
                        "%scard.content is not part of a Standard card: a Standard card has "
                        "title, text and image (a Simple card has title and content)",
                        b->prefix);
        } else {
            return fail(b, SS_ERR_SKILL_RESULT, "%scard.%s is not part of a %s card, which has %s",
                        b->prefix, quote(key, strlen(key), q), card_types[which].name,
                        card_types[which].members);
        }
    }
    if (which == CARD_PERMISSIONS && !has_permissions)
        return fail(b, SS_ERR_SKILL_RESULT,
                    "%scard.permissions is missing: an AskForPermissionsConsent card lists the "
                    "permissions to ask for, such as [\"alexa::profile:email:read\"]",
                    b->prefix);
    if (chars > LIMIT_CARD_CHARS)
        return fail(b, SS_ERR_RESPONSE_LIMIT,
                    "%scard is %zu characters long (title, text and image addresses together); "
                    "Alexa allows at most %d",
                    b->prefix, chars, LIMIT_CARD_CHARS);
    return SS_ERR_OK;
}

/* ---- directives ---- */

/* The Dialog directives that drive an intent's dialog model: only an
 * IntentRequest may be answered with one, and only with one.
 * UpdateDynamicEntities only changes slot values and works in any session. */
static bool
is_dialog_step(const char *type)
{
    return starts_with(type, "Dialog.") && strcmp(type, "Dialog.UpdateDynamicEntities") != 0;
}

enum refusal { KEEP, NOT_STOP_CLEAR, NOT_AUDIO, NOT_DIALOG, NO_INTERFACE };

static enum refusal
refuse_directive(const struct build *b, const char *type, const char **interface)
{
    switch (b->pol->dirs) {
    case DIRS_NONE: /* handled by the caller as a whole */
    case DIRS_ALL:
        break;
    case DIRS_STOP_CLEAR:
        if (strcmp(type, "AudioPlayer.Stop") != 0 && strcmp(type, "AudioPlayer.ClearQueue") != 0)
            return NOT_STOP_CLEAR;
        break;
    case DIRS_AUDIO:
        if (!starts_with(type, "AudioPlayer."))
            return NOT_AUDIO;
        break;
    case DIRS_NO_DIALOG:
        if (is_dialog_step(type))
            return NOT_DIALOG;
        break;
    }
    /* Without supportedInterfaces (hand-written test requests) we cannot
     * know, and keep the directive. */
    if (b->req && json_is_object(b->req->supported_interfaces)) {
        for (size_t i = 0; i < sizeof(interfaces) / sizeof(interfaces[0]); i++) {
            if (starts_with(type, interfaces[i].prefix)) {
                if (!json_object_get(b->req->supported_interfaces, interfaces[i].name)) {
                    *interface = interfaces[i].name;
                    return NO_INTERFACE;
                }
                break;
            }
        }
    }
    return KEEP;
}

static void
warn_refused(const struct build *b, enum refusal why, size_t i, const char *type,
             const char *interface)
{
    char q[QUOTE_BYTES + 4];
    const char *t = quote(type, strlen(type), q);

    switch (why) {
    case KEEP:
        break;
    case NOT_STOP_CLEAR:
        warnf(b,
              "dropped %sdirectives[%zu] (%s): the answer to %s may only carry "
              "AudioPlayer.Stop and AudioPlayer.ClearQueue",
              b->prefix, i, t, b->type_name);
        break;
    case NOT_AUDIO:
        warnf(b,
              "dropped %sdirectives[%zu] (%s): the answer to %s may only carry AudioPlayer "
              "directives",
              b->prefix, i, t, b->type_name);
        break;
    case NOT_DIALOG:
        warnf(b,
              "dropped %sdirectives[%zu] (%s): Dialog directives can only answer an "
              "IntentRequest, not %s",
              b->prefix, i, t, b->type_name);
        break;
    case NO_INTERFACE:
        warnf(b,
              "dropped %sdirectives[%zu] (%s): this device does not support %s (it is not in "
              "context.System.device.supportedInterfaces)",
              b->prefix, i, t, interface);
        break;
    }
}

static enum ss_err
check_play(const struct build *b, const json_t *d, size_t i)
{
    char path[64], q[QUOTE_BYTES + 4];
    json_t *item = json_object_get(d, "audioItem");
    json_t *stream = json_object_get(item, "stream");
    json_t *url, *token, *pb;
    size_t n;
    enum ss_err rc;

    pb = member(d, "playBehavior");
    if (pb) {
        snprintf(path, sizeof(path), "directives[%zu].playBehavior", i);
        rc = check_enum(b, pb, path, play_behaviors, PLAY_BEHAVIORS_SHOWN);
        if (rc != SS_ERR_OK)
            return rc;
    }
    if (!json_is_object(item) || !json_is_object(stream))
        return fail(b, SS_ERR_SKILL_RESULT,
                    "%sdirectives[%zu] (AudioPlayer.Play) needs \"audioItem\": {\"stream\": "
                    "{\"url\": \"https://...\", \"token\": \"...\"}}",
                    b->prefix, i);
    snprintf(path, sizeof(path), "directives[%zu].audioItem.stream", i);
    rc = get_string(b, stream, path, "url", true, &url);
    if (rc == SS_ERR_OK)
        rc = get_string(b, stream, path, "token", true, &token);
    if (rc != SS_ERR_OK)
        return rc;
    if (!is_https(json_string_value(url)))
        return fail(b, SS_ERR_SKILL_RESULT, "%s%s.url must be an https:// address, got '%s'",
                    b->prefix, path, quote(json_string_value(url), json_string_length(url), q));
    n = units_of(url);
    if (n > LIMIT_AUDIO_URL_CHARS)
        return fail(b, SS_ERR_RESPONSE_LIMIT,
                    "%s%s.url is %zu characters long; Alexa allows at most %d", b->prefix, path, n,
                    LIMIT_AUDIO_URL_CHARS);
    n = units_of(token);
    if (n > LIMIT_AUDIO_TOKEN_CHARS)
        return fail(b, SS_ERR_RESPONSE_LIMIT,
                    "%s%s.token is %zu characters long; Alexa allows at most %d", b->prefix, path,
                    n, LIMIT_AUDIO_TOKEN_CHARS);
    return SS_ERR_OK;
}

/* The rules of the kept directive d at index i. */
static enum ss_err
check_directive(struct build *b, const json_t *d, const char *type, size_t i, size_t *play_at,
                size_t *dialog_at)
{
    char path[48];
    json_t *slot;

    if (strcmp(type, "AudioPlayer.Play") == 0) {
        if (*play_at != SIZE_MAX)
            return fail(b, SS_ERR_SKILL_RESULT,
                        "%sdirectives may have only one AudioPlayer.Play, but directives[%zu] "
                        "and directives[%zu] are both one",
                        b->prefix, *play_at, i);
        *play_at = i;
        b->audio_play = true;
        return check_play(b, d, i);
    }
    if (is_dialog_step(type)) {
        if (*dialog_at != SIZE_MAX)
            return fail(b, SS_ERR_SKILL_RESULT,
                        "%sdirectives may have only one Dialog directive, but directives[%zu] "
                        "(%s) and directives[%zu] (%s) are both one",
                        b->prefix, *dialog_at, b->dialog, i, type);
        *dialog_at = i;
        b->dialog = type;
        snprintf(path, sizeof(path), "directives[%zu]", i);
        if (strcmp(type, "Dialog.ElicitSlot") == 0)
            return get_string(b, d, path, "slotToElicit", true, &slot);
        if (strcmp(type, "Dialog.ConfirmSlot") == 0)
            return get_string(b, d, path, "slotToConfirm", true, &slot);
        return SS_ERR_OK;
    }
    if (strcmp(type, "VideoApp.Launch") == 0)
        b->video_launch = true;
    return SS_ERR_OK;
}

/* The directives to send: dirs itself (a new reference) when all are kept, a
 * new list of the kept ones, or NULL when none is left. */
static enum ss_err
directives_filter(struct build *b, json_t *dirs, json_t **out)
{
    json_t *kept = NULL, *d;
    size_t n, i, play_at = SIZE_MAX, dialog_at = SIZE_MAX;
    enum ss_err rc = SS_ERR_OK;

    *out = NULL;
    if (!json_is_array(dirs))
        return fail(b, SS_ERR_SKILL_RESULT,
                    "%sdirectives must be a list of dicts, each with a \"type\", got %s", b->prefix,
                    kind_of(dirs));
    n = json_array_size(dirs);
    json_array_foreach(dirs, i, d)
    {
        json_t *type = json_object_get(d, "type");
        if (!json_is_object(d))
            return fail(b, SS_ERR_SKILL_RESULT,
                        "%sdirectives[%zu] must be a dict with a \"type\", got %s", b->prefix, i,
                        kind_of(d));
        if (!json_is_string(type) || json_string_length(type) == 0)
            return fail(b, SS_ERR_SKILL_RESULT,
                        "%sdirectives[%zu].type must be a directive name such as "
                        "\"AudioPlayer.Play\", got %s",
                        b->prefix, i, json_is_string(type) ? "an empty string" : kind_of(type));
    }
    if (n == 0)
        return SS_ERR_OK;
    if (b->pol->dirs == DIRS_NONE) {
        warnf(b, "dropped %sdirectives (%zu): the answer to %s may not carry directives", b->prefix,
              n, b->type_name);
        return SS_ERR_OK;
    }

    json_array_foreach(dirs, i, d)
    {
        const char *type = json_string_value(json_object_get(d, "type"));
        const char *interface = NULL;
        enum refusal why = refuse_directive(b, type, &interface);

        if (why != KEEP) {
            warn_refused(b, why, i, type, interface);
            if (!kept) {
                /* The first drop: from here on we build the list we keep. */
                kept = json_array();
                for (size_t k = 0; kept && k < i; k++)
                    if (json_array_append(kept, json_array_get(dirs, k)) != 0)
                        json_decref(kept), kept = NULL;
                if (!kept) {
                    rc = fail(b, SS_ERR_NOMEM, "out of memory filtering directives");
                    goto out;
                }
            }
            continue;
        }
        if (kept && json_array_append(kept, d) != 0) {
            rc = fail(b, SS_ERR_NOMEM, "out of memory filtering directives");
            goto out;
        }
        rc = check_directive(b, d, type, i, &play_at, &dialog_at);
        if (rc != SS_ERR_OK)
            goto out;
    }
    if (!kept)
        *out = json_incref(dirs);
    else if (json_array_size(kept) > 0)
        *out = json_incref(kept);
out:
    json_decref(kept);
    return rc;
}

/* ---- canFulfillIntent ---- */

static const char *const yes_no_maybe[] = {"YES", "NO", "MAYBE", NULL};
static const char *const yes_no[] = {"YES", "NO", NULL};

static enum ss_err
check_can_fulfill(const struct build *b, const json_t *cfi)
{
    char path[160], q[QUOTE_BYTES + 4];
    const char *name;
    json_t *slots, *slot, *v;
    enum ss_err rc;

    if (!json_is_object(cfi))
        return fail(b, SS_ERR_SKILL_RESULT,
                    "%scanFulfillIntent must be a dict like {\"canFulfill\": \"YES\"}, got %s",
                    b->prefix, kind_of(cfi));
    rc = check_enum(b, json_object_get(cfi, "canFulfill"), "canFulfillIntent.canFulfill",
                    yes_no_maybe, "\"YES\", \"NO\" or \"MAYBE\"");
    if (rc != SS_ERR_OK)
        return rc;
    slots = member(cfi, "slots");
    if (!slots)
        return SS_ERR_OK;
    if (!json_is_object(slots))
        return fail(b, SS_ERR_SKILL_RESULT,
                    "%scanFulfillIntent.slots must be a dict from slot name to {\"canUnderstand\": "
                    "..., \"canFulfill\": ...}, got %s",
                    b->prefix, kind_of(slots));
    json_object_foreach(slots, name, slot)
    {
        quote(name, strlen(name), q);
        if (!json_is_object(slot))
            return fail(b, SS_ERR_SKILL_RESULT,
                        "%scanFulfillIntent.slots.%s must be a dict like {\"canUnderstand\": "
                        "\"YES\", \"canFulfill\": \"YES\"}, got %s",
                        b->prefix, q, kind_of(slot));
        snprintf(path, sizeof(path), "canFulfillIntent.slots.%s.canUnderstand", q);
        rc = check_enum(b, json_object_get(slot, "canUnderstand"), path, yes_no_maybe,
                        "\"YES\", \"NO\" or \"MAYBE\"");
        if (rc != SS_ERR_OK)
            return rc;
        v = member(slot, "canFulfill");
        if (v) {
            snprintf(path, sizeof(path), "canFulfillIntent.slots.%s.canFulfill", q);
            rc = check_enum(b, v, path, yes_no, "\"YES\" or \"NO\"");
            if (rc != SS_ERR_OK)
                return rc;
        }
    }
    return SS_ERR_OK;
}

/* ---- both kinds ---- */

static enum ss_err
check_end_session(const struct build *b, const json_t *end)
{
    if (end && !json_is_boolean(end) && !json_is_null(end))
        return fail(b, SS_ERR_SKILL_RESULT,
                    "%sshouldEndSession must be True, False or None, got %s", b->prefix,
                    kind_of(end));
    return SS_ERR_OK;
}

static void
warn_video_end(const struct build *b)
{
    warnf(b, "removed %sshouldEndSession: a response with VideoApp.Launch must not have one",
          b->prefix);
}

/* Put shouldEndSession into resp as the request type and directives allow. */
static enum ss_err
put_end_session(const struct build *b, json_t *resp, json_t *end)
{
    if (!end || !b->pol->session)
        return SS_ERR_OK; /* nothing to end: dropped without a warning, see response.h */
    if (b->video_launch) {
        warn_video_end(b);
        return SS_ERR_OK;
    }
    if (json_object_set_nocheck(resp, "shouldEndSession", end) != 0)
        return fail(b, SS_ERR_NOMEM, "out of memory building the response");
    return SS_ERR_OK;
}

/* Combinations that Alexa documents as pointless or harmful; they are kept. */
static void
warn_combinations(const struct build *b, bool has_speech, const json_t *end)
{
    if (b->audio_play && json_is_false(end))
        warnf(b, "AudioPlayer.Play with shouldEndSession False: Alexa starts the stream, then "
                 "pauses it to listen; use True to let it play");
    if (b->dialog && json_is_true(end))
        warnf(b,
              "%s with shouldEndSession True: a Dialog directive needs the session to stay "
              "open",
              b->dialog);
    if (b->dialog && strcmp(b->dialog, "Dialog.Delegate") == 0 && has_speech)
        warnf(b, "Dialog.Delegate with outputSpeech: Alexa speaks the dialog model's prompt "
                 "instead");
}

static enum ss_err
put_attributes(const struct build *b, json_t *env, json_t *attrs)
{
    if (!attrs)
        return SS_ERR_OK;
    if (!b->pol->session) {
        if (json_object_size(attrs) > 0)
            warnf(b, "dropped sessionAttributes: the answer to %s has no session to keep them in",
                  b->type_name);
        return SS_ERR_OK;
    }
    if (json_object_set_nocheck(env, "sessionAttributes", attrs) != 0)
        return fail(b, SS_ERR_NOMEM, "out of memory building the response");
    return SS_ERR_OK;
}

static void
warn_dropped(const struct build *b, const char *what)
{
    warnf(b, "dropped %s%s: Alexa does not accept it in the answer to %s", b->prefix, what,
          b->type_name);
}

/* ---- kind "reply" ---- */

static const char *const reply_members[] = {
    "kind",       "speech",           "reprompt",          "playBehavior",     "card",
    "directives", "shouldEndSession", "sessionAttributes", "canFulfillIntent", NULL,
};

static enum ss_err
build_reply(struct build *b, json_t *reply, json_t **out)
{
    json_t *speech = member(reply, "speech"), *reprompt = member(reply, "reprompt");
    json_t *pb = member(reply, "playBehavior"), *card = member(reply, "card");
    json_t *dirs_in = member(reply, "directives"), *cfi = member(reply, "canFulfillIntent");
    json_t *attrs = member(reply, "sessionAttributes");
    json_t *end = json_object_get(reply, "shouldEndSession");
    json_t *env = NULL, *resp = NULL, *os = NULL, *rp = NULL, *dirs = NULL;
    size_t known = 0;
    enum ss_err rc;

    for (const char *const *m = reply_members; *m; m++)
        known += json_object_get(reply, *m) != NULL;
    if (known != json_object_size(reply)) {
        const char *key;
        json_t *v;
        char q[QUOTE_BYTES + 4];
        json_object_foreach(reply, key, v)
        {
            const char *const *m = reply_members;
            while (*m && strcmp(*m, key) != 0)
                m++;
            if (!*m)
                warnf(b, "ignored the reply member '%s' (skillkit and skillserver disagree)",
                      quote(key, strlen(key), q));
        }
    }

    rc = check_end_session(b, end);
    if (rc == SS_ERR_OK && pb)
        rc = check_enum(b, pb, "playBehavior", play_behaviors, PLAY_BEHAVIORS_SHOWN);
    if (rc == SS_ERR_OK && attrs && !json_is_object(attrs))
        rc = fail(b, SS_ERR_SKILL_RESULT, "sessionAttributes must be a dict, got %s",
                  kind_of(attrs));
    if (rc != SS_ERR_OK)
        return rc;

    resp = json_object();
    if (!resp)
        goto nomem;
    if (speech && !b->pol->speech) {
        warn_dropped(b, "outputSpeech");
    } else if (speech) {
        rc = speech_build(b, speech, "speech", "outputSpeech", SSML_SPEECH, &os);
        if (rc != SS_ERR_OK)
            goto out;
        if (os && pb && json_object_set_nocheck(os, "playBehavior", pb) != 0)
            goto nomem;
        if (os && json_object_set_nocheck(resp, "outputSpeech", os) != 0)
            goto nomem;
    }
    if (pb && !os && b->pol->speech)
        warnf(b, "ignored playBehavior: there is no speech for it to apply to");

    if (card && !b->pol->speech) {
        warn_dropped(b, "card");
    } else if (card) {
        rc = check_card(b, card);
        if (rc != SS_ERR_OK)
            goto out;
        if (json_object_set_nocheck(resp, "card", card) != 0)
            goto nomem;
    }

    if (reprompt && !b->pol->speech) {
        warn_dropped(b, "reprompt");
    } else if (reprompt) {
        json_t *inner = NULL;
        rc = speech_build(b, reprompt, "reprompt", "reprompt", SSML_REPROMPT, &inner);
        if (rc != SS_ERR_OK)
            goto out;
        if (inner) {
            rp = json_object();
            if (!rp) {
                json_decref(inner);
                goto nomem;
            }
            /* set_new takes inner also when it fails */
            if (json_object_set_new_nocheck(rp, "outputSpeech", inner) != 0 ||
                json_object_set_nocheck(resp, "reprompt", rp) != 0)
                goto nomem;
        }
    }

    rc = check_audio_total(b);
    if (rc != SS_ERR_OK)
        goto out;

    if (dirs_in) {
        rc = directives_filter(b, dirs_in, &dirs);
        if (rc != SS_ERR_OK)
            goto out;
        if (dirs && json_object_set_nocheck(resp, "directives", dirs) != 0)
            goto nomem;
    }

    if (cfi && !b->pol->cfi) {
        warnf(b,
              "dropped canFulfillIntent: only the answer to a CanFulfillIntentRequest may "
              "carry it, not the answer to %s",
              b->type_name);
    } else if (cfi) {
        rc = check_can_fulfill(b, cfi);
        if (rc != SS_ERR_OK)
            goto out;
        if (json_object_set_nocheck(resp, "canFulfillIntent", cfi) != 0)
            goto nomem;
    } else if (b->pol->cfi) {
        warnf(b, "the answer to a CanFulfillIntentRequest should say canFulfillIntent; sent an "
                 "empty response");
    }

    rc = put_end_session(b, resp, end);
    if (rc != SS_ERR_OK)
        goto out;
    warn_combinations(b, os != NULL, json_object_get(resp, "shouldEndSession"));

    env = json_object();
    if (!env || json_object_set_new_nocheck(env, "version", json_string("1.0")) != 0)
        goto nomem;
    rc = put_attributes(b, env, attrs);
    if (rc != SS_ERR_OK)
        goto out;
    if (json_object_set_nocheck(env, "response", resp) != 0)
        goto nomem;
    *out = env;
    env = NULL;
    rc = SS_ERR_OK;
    goto out;
nomem:
    rc = fail(b, SS_ERR_NOMEM, "out of memory building the response");
out:
    json_decref(env);
    json_decref(resp);
    json_decref(os);
    json_decref(rp);
    json_decref(dirs);
    return rc;
}

/* ---- kind "envelope" ---- */

static enum ss_err
check_reprompt(struct build *b, const json_t *rp)
{
    json_t *os, *dirs;

    if (!json_is_object(rp))
        return fail(b, SS_ERR_SKILL_RESULT,
                    "%sreprompt must be a dict like {\"outputSpeech\": {\"type\": \"PlainText\", "
                    "\"text\": \"...\"}}, got %s",
                    b->prefix, kind_of(rp));
    dirs = member(rp, "directives");
    if (dirs && !json_is_array(dirs))
        return fail(b, SS_ERR_SKILL_RESULT, "%sreprompt.directives must be a list, got %s",
                    b->prefix, kind_of(dirs));
    os = member(rp, "outputSpeech");
    return os ? speech_check(b, os, "reprompt.outputSpeech", "reprompt", SSML_REPROMPT) : SS_ERR_OK;
}

/* One member of the lambda's response: check it and put what is kept into resp. */
static enum ss_err
envelope_member(struct build *b, json_t *resp, const char *key, json_t *v, bool *has_speech)
{
    char q[QUOTE_BYTES + 4];
    json_t *dirs = NULL;
    enum ss_err rc = SS_ERR_OK;
    bool speech_like = strcmp(key, "outputSpeech") == 0 || strcmp(key, "card") == 0 ||
                       strcmp(key, "reprompt") == 0;

    /* None means absent, except for shouldEndSession, where null has a meaning. */
    if (json_is_null(v) && strcmp(key, "shouldEndSession") != 0)
        return SS_ERR_OK;
    if (speech_like && !b->pol->speech) {
        warn_dropped(b, key);
        return SS_ERR_OK;
    }
    if (strcmp(key, "outputSpeech") == 0) {
        rc = speech_check(b, v, "outputSpeech", "outputSpeech", SSML_SPEECH);
        *has_speech = true;
    } else if (strcmp(key, "card") == 0) {
        rc = check_card(b, v);
    } else if (strcmp(key, "reprompt") == 0) {
        rc = check_reprompt(b, v);
    } else if (strcmp(key, "directives") == 0) {
        rc = directives_filter(b, v, &dirs);
        if (rc == SS_ERR_OK && dirs && json_object_set_new_nocheck(resp, "directives", dirs))
            return fail(b, SS_ERR_NOMEM, "out of memory building the response");
        return rc;
    } else if (strcmp(key, "shouldEndSession") == 0) {
        rc = check_end_session(b, v);
        if (rc != SS_ERR_OK || !b->pol->session)
            return rc;
    } else if (strcmp(key, "canFulfillIntent") == 0) {
        if (!b->pol->cfi) {
            warnf(b,
                  "dropped response.canFulfillIntent: only the answer to a "
                  "CanFulfillIntentRequest may carry it, not the answer to %s",
                  b->type_name);
            return SS_ERR_OK;
        }
        rc = check_can_fulfill(b, v);
    } else if (!b->pol->speech) {
        /* apiResponse, experimentation, ...: only in a full response. */
        warnf(b, "dropped response.%s: the answer to %s may not carry it",
              quote(key, strlen(key), q), b->type_name);
        return SS_ERR_OK;
    }
    if (rc == SS_ERR_OK && json_object_set(resp, key, v) != 0)
        rc = fail(b, SS_ERR_NOMEM, "out of memory building the response");
    return rc;
}

static enum ss_err
build_envelope(struct build *b, json_t *in, json_t **out)
{
    char q[QUOTE_BYTES + 4];
    json_t *version, *response, *attrs, *env = NULL, *resp = NULL, *v;
    const char *key;
    bool has_speech = false;
    enum ss_err rc;

    if (!json_is_object(in))
        return fail(b, SS_ERR_SKILL_RESULT,
                    "a lambda_handler must return a dict like {\"version\": \"1.0\", "
                    "\"response\": {...}}, got %s",
                    kind_of(in));
    version = json_object_get(in, "version");
    if (version && (!json_is_string(version) || strcmp(json_string_value(version), "1.0") != 0)) {
        if (json_is_string(version))
            return fail(b, SS_ERR_SKILL_RESULT, "version must be \"1.0\", got '%s'",
                        quote(json_string_value(version), json_string_length(version), q));
        return fail(b, SS_ERR_SKILL_RESULT, "version must be the string \"1.0\", got %s",
                    kind_of(version));
    }
    response = json_object_get(in, "response");
    if (!response)
        return fail(b, SS_ERR_SKILL_RESULT,
                    "the returned dict has no \"response\": a lambda_handler must return "
                    "{\"version\": \"1.0\", \"response\": {...}}");
    if (!json_is_object(response))
        return fail(b, SS_ERR_SKILL_RESULT, "response must be a dict, got %s", kind_of(response));
    attrs = member(in, "sessionAttributes");
    if (attrs && !json_is_object(attrs))
        return fail(b, SS_ERR_SKILL_RESULT, "sessionAttributes must be a dict, got %s",
                    kind_of(attrs));
    if (!version)
        warnf(b, "the returned dict has no \"version\"; added \"version\": \"1.0\"");

    resp = json_object();
    if (!resp)
        goto nomem;
    json_object_foreach(response, key, v)
    {
        rc = envelope_member(b, resp, key, v, &has_speech);
        if (rc != SS_ERR_OK)
            goto out;
    }
    rc = check_audio_total(b);
    if (rc != SS_ERR_OK)
        goto out;
    /* shouldEndSession went in as it came (the directives may come after it). */
    if (b->video_launch && json_object_get(resp, "shouldEndSession")) {
        json_object_del(resp, "shouldEndSession");
        warn_video_end(b);
    }
    warn_combinations(b, has_speech, json_object_get(resp, "shouldEndSession"));
    if (b->pol->cfi && !json_object_get(resp, "canFulfillIntent"))
        warnf(b, "the answer to a CanFulfillIntentRequest should say canFulfillIntent; sent an "
                 "empty response");

    env = json_object();
    if (!env || json_object_set_new_nocheck(env, "version", json_string("1.0")) != 0)
        goto nomem;
    json_object_foreach(in, key, v)
    {
        if (strcmp(key, "version") == 0)
            continue;
        if (strcmp(key, "sessionAttributes") == 0)
            rc = put_attributes(b, env, attrs);
        else if (strcmp(key, "response") == 0)
            rc = json_object_set_nocheck(env, "response", resp) ? SS_ERR_NOMEM : SS_ERR_OK;
        else
            rc = json_object_set(env, key, v) ? SS_ERR_NOMEM : SS_ERR_OK;
        if (rc == SS_ERR_NOMEM)
            goto nomem;
        if (rc != SS_ERR_OK)
            goto out;
    }
    *out = env;
    env = NULL;
    rc = SS_ERR_OK;
    goto out;
nomem:
    rc = fail(b, SS_ERR_NOMEM, "out of memory building the response");
out:
    json_decref(env);
    json_decref(resp);
    return rc;
}

/* ---- public ---- */

enum ss_err
response_build(const struct request *req, json_t *reply, json_t **out, response_warn_fn warn,
               void *warn_ctx, struct ss_error *err)
{
    char q[QUOTE_BYTES + 4];
    struct build b = {
        .req = req,
        .pol = policy_of(req),
        .prefix = "",
        .warn = warn,
        .warn_ctx = warn_ctx,
        .err = err,
    };
    json_t *kind;

    if (out)
        *out = NULL;
    if (!req || !out)
        return ss_fail(err, SS_ERR_USAGE, "response_build needs a request and an output");
    b.type_name = req->type_name                    ? req->type_name
                  : (unsigned)req->type < REQ_OTHER ? type_names[req->type]
                                                    : "an unknown request type";
    if (!json_is_object(reply))
        return fail(&b, SS_ERR_SKILL_RESULT, "the worker's reply must be a JSON object, got %s",
                    kind_of(reply));
    kind = json_object_get(reply, "kind");
    if (json_is_string(kind) && strcmp(json_string_value(kind), "reply") == 0)
        return build_reply(&b, reply, out);
    if (json_is_string(kind) && strcmp(json_string_value(kind), "envelope") == 0) {
        b.prefix = "response.";
        return build_envelope(&b, json_object_get(reply, "envelope"), out);
    }
    if (json_is_string(kind))
        return fail(&b, SS_ERR_SKILL_RESULT,
                    "the worker's reply has kind '%s'; expected \"reply\" or \"envelope\"",
                    quote(json_string_value(kind), json_string_length(kind), q));
    return fail(&b, SS_ERR_SKILL_RESULT,
                "the worker's reply needs \"kind\": \"reply\" or \"envelope\", got %s",
                kind_of(kind));
}

#define APOLOGY_DEFAULT "Sorry, something went wrong. Please try again."

json_t *
response_apology(const struct request *req, const char *sentence)
{
    const struct policy *pol = policy_of(req);
    json_t *env = json_object(), *resp = json_object(), *os = NULL;
    char *clean = NULL;
    size_t len, o = 0, units = 0;
    int rc;

    if (!env || !resp || json_object_set_new_nocheck(env, "version", json_string("1.0")) != 0)
        goto fail;
    if (pol->speech) {
        if (!sentence)
            sentence = APOLOGY_DEFAULT;
        len = strlen(sentence);
        /* The sentence may carry a --dev error text: keep it valid UTF-8 and
         * within the speech limit, whatever it holds. */
        clean = malloc(len + 1);
        if (!clean)
            goto fail;
        for (size_t i = 0; i < len;) {
            size_t n = ssml_utf8_char((const unsigned char *)sentence + i, len - i);
            size_t u = n == 4 ? 2 : 1;
            if (n == 0) {
                i++;
                continue;
            }
            if (units + u > LIMIT_SPEECH_CHARS)
                break;
            units += u;
            memcpy(clean + o, sentence + i, n);
            o += n;
            i += n;
        }
        os = json_object();
        if (!os || json_object_set_new_nocheck(os, "type", json_string("PlainText")) != 0 ||
            json_object_set_new_nocheck(os, "text", json_stringn_nocheck(clean, o)) != 0)
            goto fail;
        rc = json_object_set_new_nocheck(resp, "outputSpeech", os);
        os = NULL; /* stolen, also on failure */
        if (rc != 0)
            goto fail;
        if (pol->session && json_object_set_new_nocheck(resp, "shouldEndSession", json_true()) != 0)
            goto fail;
    }
    rc = json_object_set_new_nocheck(env, "response", resp);
    resp = NULL;
    if (rc != 0)
        goto fail;
    free(clean);
    return env;
fail:
    free(clean);
    json_decref(os);
    json_decref(resp);
    json_decref(env);
    return NULL;
}

/* Most responses are a few hundred bytes; this covers nearly all of them
 * with one serialisation and no reallocations. */
#define DUMP_STACK_BYTES 8192

enum ss_err
response_dump_warn(json_t *envelope, bool pretty, char **out, size_t *len, response_warn_fn warn,
                   void *warn_ctx, struct ss_error *err)
{
    const size_t flags = pretty ? JSON_INDENT(2) : JSON_COMPACT;
    char stack[DUMP_STACK_BYTES];
    size_t n, compact;
    char *buf;

    if (out)
        *out = NULL;
    if (len)
        *len = 0;
    if (!out || !len || !json_is_object(envelope))
        return ss_fail(err, SS_ERR_USAGE, "response_dump needs an envelope object and outputs");

    /* json_dumpb reports the full length even when it did not fit. */
    n = json_dumpb(envelope, stack, sizeof(stack), flags);
    if (n == 0)
        goto bad;
    compact = n;
    if (pretty && n > LIMIT_RESPONSE_WARN_BYTES) {
        /* The limits are about what Alexa receives, which is compact. */
        compact = json_dumpb(envelope, NULL, 0, JSON_COMPACT);
        if (compact == 0)
            goto bad;
    }
    if (compact > LIMIT_RESPONSE_BYTES)
        return ss_fail(err, SS_ERR_RESPONSE_LIMIT,
                       "the response is %zu bytes long; Alexa accepts at most %d. Keep "
                       "sessionAttributes and directives smaller.",
                       compact, LIMIT_RESPONSE_BYTES);
    buf = malloc(n + 1);
    if (!buf)
        return ss_fail(err, SS_ERR_NOMEM, "out of memory serialising the response");
    if (n <= sizeof(stack)) {
        memcpy(buf, stack, n);
    } else if (json_dumpb(envelope, buf, n, flags) != n) {
        free(buf);
        goto bad;
    }
    buf[n] = '\0';
    if (compact > LIMIT_RESPONSE_WARN_BYTES && warn) {
        char msg[160];
        snprintf(msg, sizeof(msg),
                 "the response is %zu bytes long; older Alexa documents allow only %d", compact,
                 LIMIT_RESPONSE_WARN_BYTES);
        warn(warn_ctx, msg);
    }
    *out = buf;
    *len = n;
    return SS_ERR_OK;
bad:
    return ss_fail(err, SS_ERR_SKILL_RESULT,
                   "the response cannot be written as JSON (is something nested too deeply?)");
}

enum ss_err
response_dump(json_t *envelope, bool pretty, char **out, size_t *len, struct ss_error *err)
{
    return response_dump_warn(envelope, pretty, out, len, NULL, NULL, err);
}
