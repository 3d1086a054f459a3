/*
 * speech.c - what Alexa says: outputSpeech and reprompt.
 *
 * Owns: the assembly of a reply's speech segments into PlainText or one
 * <speak> document (ssml.md §1: text escaped, one optional outer <speak>
 * removed from each SSML part), the check of an envelope's outputSpeech as
 * its author wrote it, the 8,000-character limit (§8, in UTF-16 units,
 * SSML tags included), and the one call of the SSML check.
 *
 * Must stay true:
 * - every outputSpeech and reprompt of type SSML passes ssml_check_locale()
 *   in ssml_validate() before it can leave; no other file of the server
 *   calls the SSML check on a response.
 * - assembly measures first and copies once: a speech under
 *   SPEECH_STACK_BYTES costs no allocation but its JSON string, and a
 *   single text segment is shared with the reply, not copied.
 */
#include <stdio.h>
#include <stdlib.h>

#include "response_internal.h"
#include "ss_limits.h"

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

/* Does the plain text s[0..len) hold what looks like an SSML tag of Alexa's
 * ("<break time='1s'/>", "<amazon:effect ...>", "</speak>")? Words such as
 * "a < b" or "<3" do not. */
static bool
looks_like_ssml(const char *s, size_t len)
{
    static const char *const tags[] = {"speak",  "break", "amazon:", "emphasis", "prosody",
                                       "say-as", "audio", "phoneme", "sub",      "voice",
                                       "lang",   "p",     "s",       "w",        NULL};
    for (const char *p = s; (p = memchr(p, '<', len - (size_t)(p - s))) != NULL; p++) {
        const char *t = p + 1 + (p + 1 < s + len && p[1] == '/');
        for (size_t k = 0; tags[k]; k++) {
            size_t n = strlen(tags[k]);
            if ((size_t)(s + len - t) <= n || memcmp(t, tags[k], n) != 0)
                continue;
            char after = t[n];
            if (tags[k][n - 1] == ':' || after == ' ' || after == '/' || after == '>')
                return true;
        }
    }
    return false;
}

/* " (near '...')": the text of doc around line, column (1-based). */
static void
near_text(const char *doc, size_t len, int line, int column, char *buf, size_t cap)
{
    char q[RESPONSE_QUOTE_BYTES + 4];
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
    from = off > RESPONSE_QUOTE_BYTES / 2 ? off - RESPONSE_QUOTE_BYTES / 2 : 0;
    while (from > 0 && ((unsigned char)doc[from] & 0xC0) == 0x80)
        from--;
    snprintf(buf, cap, " (near '%s')", response_quote(doc + from, len - from, q));
}

/* The single call site of the SSML check: doc is a complete <speak>
 * document; what is "outputSpeech" or "reprompt". The request's locale
 * selects which amazon:emotion / amazon:domain styles exist. */
static enum ss_err
ssml_validate(struct build *b, const char *doc, size_t len, const char *what, enum ssml_where where)
{
    struct ssml_report report;
    const struct ssml_problem *p = &report.problems[0];
    char near[RESPONSE_QUOTE_BYTES + 20], more[48] = "";
    int rc;

    report.count = 0;
    report.audio_count = 0;
    rc = ssml_check_locale(doc, len, where, b->req ? b->req->locale : NULL, &report);
    if (rc == 0) {
        b->audio[where == SSML_REPROMPT] = report.audio_count;
        return SS_ERR_OK;
    }
    if (rc < 0)
        return response_fail(b, SS_ERR_NOMEM, "%s SSML could not be checked: %s", what,
                             report.count > 0 ? p->message : "out of memory");
    if (report.count <= 0)
        return response_fail(b, SS_ERR_SSML, "%s SSML is not valid", what);
    if (report.count > 1)
        snprintf(more, sizeof(more), " (and %d more problem%s)", report.count - 1,
                 report.count > 2 ? "s" : "");
    near_text(doc, len, p->line, p->column, near, sizeof(near));
    if (p->line > 0)
        return response_fail(b, SS_ERR_SSML, "%s SSML line %d, column %d: %s%s%s", what, p->line,
                             p->column, p->message, near, more);
    return response_fail(b, SS_ERR_SSML, "%s SSML: %s%s", what, p->message, more);
}

/* The checker limits <audio> per document; Alexa counts them per response. */
enum ss_err
response_audio_total_check(const struct build *b)
{
    if (b->audio[0] + b->audio[1] <= LIMIT_SSML_AUDIO_TAGS)
        return SS_ERR_OK;
    return response_fail(
        b, SS_ERR_SSML,
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
    return response_fail(
        b, SS_ERR_RESPONSE_LIMIT,
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
        return response_fail(
            b, SS_ERR_SKILL_RESULT,
            "%s[%zu] must be {\"text\": \"...\"} or {\"ssml\": \"...\"}, got %s", name, i,
            json_is_object(seg) ? "a dict with other keys" : response_kind_of(seg));
    *is_ssml = ssml != NULL;
    *str = text ? text : ssml;
    if (!json_is_string(*str))
        return response_fail(b, SS_ERR_SKILL_RESULT, "%s[%zu].%s must be a string, got %s", name, i,
                             text ? "text" : "ssml", response_kind_of(*str));
    return SS_ERR_OK;
}

#define SPEECH_STACK_BYTES 4096

/* Two passes over the segments: check and measure, then fill one buffer. */
enum ss_err
response_speech_assemble(struct build *b, const json_t *segs, const char *name, const char *what,
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
        return response_fail(
            b, SS_ERR_SKILL_RESULT,
            "%s must be a list of {\"text\": ...} and {\"ssml\": ...} parts, got %s", name,
            response_kind_of(segs));
    n = json_array_size(segs);
    if (n == 0)
        return SS_ERR_OK;

    /* First pass: check the segments and measure the result. */
    for (size_t i = 0; i < n; i++) {
        rc = segment_of(b, segs, i, name, &str, &is_ssml);
        if (rc != SS_ERR_OK)
            return rc;
        any_ssml |= is_ssml;
        if (!is_ssml && looks_like_ssml(json_string_value(str), json_string_length(str)))
            response_warnf(b,
                           "%s[%zu] is words, which Alexa says as written, tags too: for SSML "
                           "such as <break time=\"1s\"/>, return SSML(\"...\") (from skillkit "
                           "import SSML)",
                           name, i);
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
                return response_fail(
                    b, SS_ERR_SSML,
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
            rc = response_fail(b, SS_ERR_NOMEM, "out of memory building %s", what);
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
                response_warnf(b,
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
        rc = response_fail(b, SS_ERR_NOMEM, "out of memory building %s", what);
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

enum ss_err
response_speech_check(struct build *b, const json_t *os, const char *path, const char *what,
                      enum ssml_where where)
{
    char q[RESPONSE_QUOTE_BYTES + 4], pb_path[64];
    json_t *type, *str, *pb;
    const char *s;
    size_t len, i = 0;
    enum ss_err rc;

    if (!json_is_object(os))
        return response_fail(
            b, SS_ERR_SKILL_RESULT,
            "%s%s must be a dict like {\"type\": \"PlainText\", \"text\": \"Hello\"}, "
            "got %s",
            b->prefix, path, response_kind_of(os));
    type = json_object_get(os, "type");
    if (!json_is_string(type) || (strcmp(json_string_value(type), "PlainText") != 0 &&
                                  strcmp(json_string_value(type), "SSML") != 0)) {
        if (json_is_string(type))
            return response_fail(
                b, SS_ERR_SKILL_RESULT, "%s%s.type must be \"PlainText\" or \"SSML\", got '%s'",
                b->prefix, path,
                response_quote(json_string_value(type), json_string_length(type), q));
        return response_fail(b, SS_ERR_SKILL_RESULT,
                             "%s%s.type must be \"PlainText\" or \"SSML\", got %s", b->prefix, path,
                             response_kind_of(type));
    }
    pb = member(os, "playBehavior");
    if (pb) {
        snprintf(pb_path, sizeof(pb_path), "%s.playBehavior", path);
        rc = response_check_enum(b, pb, pb_path, response_play_behaviors, PLAY_BEHAVIORS_SHOWN);
        if (rc != SS_ERR_OK)
            return rc;
    }

    if (strcmp(json_string_value(type), "PlainText") == 0) {
        rc = response_get_string(b, os, path, "text", true, &str);
        if (rc != SS_ERR_OK)
            return rc;
        if (strstr(json_string_value(str), "<speak"))
            response_warnf(
                b,
                "%s%s is PlainText but contains <speak>: Alexa will read the tags aloud; "
                "use \"type\": \"SSML\" with \"ssml\" instead",
                b->prefix, path);
        return check_speech_length(b, what, json_string_value(str), json_string_length(str), false);
    }

    rc = response_get_string(b, os, path, "ssml", true, &str);
    if (rc != SS_ERR_OK)
        return rc;
    s = json_string_value(str);
    len = json_string_length(str);
    while (i < len && xml_space(s[i]))
        i++;
    if (len - i < 7 || memcmp(s + i, "<speak", 6) != 0 ||
        !(s[i + 6] == '>' || s[i + 6] == '/' || xml_space(s[i + 6])))
        return response_fail(
            b, SS_ERR_SSML,
            "%s SSML must be a whole <speak>...</speak> document, but %s%s.ssml starts "
            "with '%s'",
            what, b->prefix, path, response_quote(s + i, len - i, q));
    rc = check_speech_length(b, what, s, len, true);
    if (rc != SS_ERR_OK)
        return rc;
    return ssml_validate(b, s, len, what, where);
}

/* ---- public ---- */

size_t
response_speech_length(const char *s)
{
    return s ? utf16_units(s, strlen(s)) : 0;
}
