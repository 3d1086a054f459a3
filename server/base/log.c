/*
 * log.c - the operator's log (see log.h): formatting, escaping, one write()
 * per record.
 */
#include "log.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ss_limits.h"

static enum log_level min_level = LOG_INFO;

void
log_set_level(enum log_level level)
{
    min_level = level;
}

/*
 * The length of the well-formed UTF-8 sequence at s, looking at no more than
 * avail bytes, with its code point in *cp; 0 when the bytes there are not one
 * (overlong forms, surrogates and code points past U+10FFFF included). *cut
 * is set when a sequence that is fine so far runs past avail: a cut made by
 * the caller's limit, not bad input.
 */
static size_t
utf8_sequence(const unsigned char *s, size_t avail, uint32_t *cp, bool *cut)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xbf;
    uint32_t v;
    size_t n;

    if (c < 0xc2 || c > 0xf4)
        return 0;
    if (c < 0xe0) {
        n = 2;
        v = c & 0x1f;
    } else if (c < 0xf0) {
        n = 3;
        v = c & 0x0f;
        if (c == 0xe0)
            lo = 0xa0; /* overlong */
        else if (c == 0xed)
            hi = 0x9f; /* surrogates */
    } else {
        n = 4;
        v = c & 0x07;
        if (c == 0xf0)
            lo = 0x90; /* overlong */
        else if (c == 0xf4)
            hi = 0x8f; /* past U+10FFFF */
    }
    for (size_t k = 1; k < n; k++) {
        if (k >= avail) {
            *cut = true;
            return 0;
        }
        /* s[k] exists: s[k - 1] was a continuation byte, not the NUL. */
        unsigned char b = s[k];
        if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xbf))
            return 0;
        v = (v << 6) | (b & 0x3f);
    }
    *cp = v;
    return n;
}

/* Characters that are valid UTF-8 but change how a terminal or a line-based
 * reader sees the log (see log_escape()). */
static bool
hidden_control(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 || cp == 0x200e ||
           cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

static size_t
u_escape(char *out, uint32_t cp)
{
    static const char hex[] = "0123456789abcdef";
    out[0] = '\\';
    out[1] = 'u';
    out[2] = hex[(cp >> 12) & 15];
    out[3] = hex[(cp >> 8) & 15];
    out[4] = hex[(cp >> 4) & 15];
    out[5] = hex[cp & 15];
    return 6;
}

size_t
log_escape(char *dst, size_t cap, const char *src, size_t max_src, enum log_escape_mode mode)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)src;
    size_t o = 0, i = 0;

    if (cap == 0)
        return 0;
    while (i < max_src && s[i]) {
        /* A run of printable ASCII that stays as it is, copied at once: most
         * of every line. */
        size_t run = i;
        while (run < max_src && s[run] >= 0x20 && s[run] < 0x7f &&
               !(mode == LOG_ESCAPE_JSON && (s[run] == '"' || s[run] == '\\')))
            run++;
        if (run > i) {
            size_t n = run - i;
            if (n > cap - 1 - o)
                n = cap - 1 - o;
            memcpy(dst + o, s + i, n);
            o += n;
            i += n;
            if (i < run)
                break; /* dst is full */
            continue;
        }
        unsigned char c = s[i];
        char esc[8];
        size_t n = 0, used = 1;
        if (c == '\t' && mode == LOG_ESCAPE_TEXT) {
            esc[n++] = (char)c; /* a field separator (Lambda's log format), harmless */
        } else if (c == '\n' || c == '\r' || c == '\t') {
            esc[n++] = '\\';
            esc[n++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        } else if (c < 0x20 || c == 0x7f) {
            n = u_escape(esc, c);
        } else if (c < 0x80) {
            if (mode == LOG_ESCAPE_JSON && (c == '"' || c == '\\'))
                esc[n++] = '\\';
            esc[n++] = (char)c;
        } else {
            uint32_t cp = 0;
            bool cut = false;
            size_t len = utf8_sequence(s + i, max_src - i, &cp, &cut);
            if (cut)
                break; /* never half a character */
            if (len == 0) {
                if (mode == LOG_ESCAPE_JSON) {
                    n = u_escape(esc, 0xfffd);
                } else {
                    esc[n++] = '\\';
                    esc[n++] = 'x';
                    esc[n++] = hex[c >> 4];
                    esc[n++] = hex[c & 15];
                }
            } else if (hidden_control(cp)) {
                n = u_escape(esc, cp);
                used = len;
            } else {
                memcpy(esc, s + i, len);
                n = used = len;
            }
        }
        if (o + n + 1 > cap)
            break;
        memcpy(dst + o, esc, n);
        o += n;
        i += used;
    }
    dst[o] = '\0';
    return o;
}

void
log_line(const char *line, int len)
{
    char buf[LIMIT_LOG_LINE_BYTES + 1];
    size_t n =
        log_escape(buf, sizeof(buf) - 1, line, len < 0 ? SIZE_MAX : (size_t)len, LOG_ESCAPE_TEXT);
    buf[n] = '\n';
    /* A log line that cannot be written has nowhere else to go. */
    ssize_t unused = write(STDERR_FILENO, buf, n + 1);
    (void)unused;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"debug: ", "", "warning: ", "error: "};
    char buf[LIMIT_LOG_LINE_BYTES];
    va_list ap;

    if (level < min_level)
        return;
    int n = snprintf(buf, sizeof(buf), "skillserver: %s", names[level]);
    va_start(ap, fmt);
    int m = vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
    va_end(ap);
    if (m < 0)
        m = 0;
    n += m;
    if (n > (int)sizeof(buf) - 1)
        n = (int)sizeof(buf) - 1;
    log_line(buf, n);
}

/* The request id of a skill's log prefix: as it is when it looks like an id
 * (Alexa's are "amzn1.echo-api.request.UUID"), otherwise a quoted JSON
 * string, so that "] " or spaces in it cannot fake the end of the prefix. */
static void
format_id(const char *id, char *out, size_t cap)
{
    static const char plain[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.:_-";
    size_t len = strlen(id);

    if (len > 0 && len <= LIMIT_LOG_ID_BYTES && strspn(id, plain) == len) {
        memcpy(out, id, len + 1);
        return;
    }
    out[0] = '"';
    size_t n = log_escape(out + 1, cap - 2, id, LIMIT_LOG_ID_BYTES, LOG_ESCAPE_JSON);
    out[n + 1] = '"';
    out[n + 2] = '\0';
}

void
log_skill(const char *skill, const char *request_id, const char *text)
{
    char buf[LIMIT_LOG_LINE_BYTES];
    char id[6 * LIMIT_LOG_ID_BYTES + 3]; /* every byte escaped, and the quotes */
    const char *p = text;

    if (request_id)
        format_id(request_id, id, sizeof(id));
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        int n;
        if (request_id)
            n = snprintf(buf, sizeof(buf), "[%s %s] %.*s", skill, id, (int)len, p);
        else
            n = snprintf(buf, sizeof(buf), "[%s] %.*s", skill, (int)len, p);
        if (n > (int)sizeof(buf) - 1)
            n = (int)sizeof(buf) - 1;
        if (n > 0)
            log_line(buf, n);
        p += len;
        if (*p == '\n')
            p++;
    }
}
