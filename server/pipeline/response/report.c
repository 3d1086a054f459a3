/*
 * report.c - how a problem with a skill's reply is put in words.
 *
 * Owns: the error and the warning of one build, the words for JSON types
 * ("a list", "None": replies come from Python, so messages speak Python),
 * the quoting of skill strings, and the two checks every part uses (a string
 * member, a value from a fixed list).
 *
 * Must stay true: a message quotes a skill string only through
 * response_quote(), which cuts it short and removes control characters;
 * messages go to logs and, in --dev, are spoken. Reporting never allocates.
 */
#include <stdarg.h>
#include <stdio.h>

#include "response_internal.h"

const char *const response_play_behaviors[] = {"ENQUEUE", "REPLACE_ALL", "REPLACE_ENQUEUED", NULL};

enum ss_err
response_fail(const struct build *b, enum ss_err code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    ss_vfail(b->err, code, fmt, ap);
    va_end(ap);
    return code;
}

void
response_warnf(const struct build *b, const char *fmt, ...)
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

const char *
response_kind_of(const json_t *v)
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

const char *
response_quote(const char *s, size_t len, char buf[RESPONSE_QUOTE_BYTES + 4])
{
    size_t n = len;

    if (n > RESPONSE_QUOTE_BYTES) {
        n = RESPONSE_QUOTE_BYTES;
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

enum ss_err
response_get_string(const struct build *b, const json_t *obj, const char *parent, const char *key,
                    bool required, json_t **out)
{
    json_t *v = json_object_get(obj, key);

    *out = NULL;
    if (!v && !required)
        return SS_ERR_OK;
    if (!json_is_string(v))
        return response_fail(b, SS_ERR_SKILL_RESULT, "%s%s.%s must be a string, got %s", b->prefix,
                             parent, key, response_kind_of(v));
    *out = v;
    return SS_ERR_OK;
}

enum ss_err
response_check_enum(const struct build *b, const json_t *v, const char *path,
                    const char *const *values, const char *shown)
{
    char q[RESPONSE_QUOTE_BYTES + 4];

    if (json_is_string(v))
        for (const char *const *p = values; *p; p++)
            if (strcmp(json_string_value(v), *p) == 0)
                return SS_ERR_OK;
    if (json_is_string(v))
        return response_fail(b, SS_ERR_SKILL_RESULT, "%s%s must be %s, got '%s'", b->prefix, path,
                             shown, response_quote(json_string_value(v), json_string_length(v), q));
    return response_fail(b, SS_ERR_SKILL_RESULT, "%s%s must be %s, got %s", b->prefix, path, shown,
                         response_kind_of(v));
}
