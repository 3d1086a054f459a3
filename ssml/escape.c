/*
 * escape.c - turning plain text into SSML character data, and character
 * references back into text.
 *
 * The output is always well-formed: the five XML specials become entities,
 * and bytes XML 1.0 does not allow (C0 controls other than TAB, LF, CR, and
 * invalid UTF-8) are dropped rather than passed to Alexa, which would reject
 * the whole response.
 */
#include "ssml.h"

#include <string.h>

#include "buf.h"

size_t
ssml_utf8_char(const unsigned char *s, size_t n)
{
    unsigned cp;
    size_t need;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        need = 2;
        cp = s[0] & 0x1F;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        need = 3;
        cp = s[0] & 0x0F;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        need = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((need == 3 && cp < 0x800) || (need == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)
        return 0;
    return need;
}

/* Where escaped text goes: a fixed buffer (ssml_escape) or a struct buf. */
struct sink {
    char *out; /* fixed: cap bytes, of which o are counted so far */
    size_t cap, o;
    struct buf *b; /* or this */
};

static void
emit(struct sink *k, const char *p, size_t n)
{
    if (k->b) {
        buf_add(k->b, p, n);
        return;
    }
    for (size_t i = 0; i < n; i++, k->o++)
        if (k->o + 1 < k->cap)
            k->out[k->o] = p[i];
}

/* The one escaping loop: the five specials as entities, and nothing XML 1.0
 * forbids. */
static void
escape(const char *text, size_t len, struct sink *k)
{
    const unsigned char *s = (const unsigned char *)text;

    for (size_t i = 0; i < len;) {
        const char *rep = NULL;
        size_t n = 1;

        switch (s[i]) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&apos;";
            break;
        default:
            if (s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') {
                i++;
                continue;
            }
            n = ssml_utf8_char(s + i, len - i);
            if (n == 0) {
                i++;
                continue;
            }
        }
        if (rep)
            emit(k, rep, strlen(rep));
        else
            emit(k, text + i, n);
        i += n;
    }
}

size_t
ssml_escape(const char *text, size_t len, char *out, size_t cap)
{
    struct sink k = {.out = out, .cap = cap};

    escape(text, len, &k);
    if (cap > 0)
        out[k.o < cap ? k.o : cap - 1] = '\0';
    return k.o;
}

bool
ssml_escape_buf(struct buf *b, const char *text, size_t len)
{
    struct sink k = {.b = b};

    escape(text, len, &k);
    return b->err == SS_ERR_OK;
}

/* The UTF-8 bytes of code point cp (which ssml_utf8_char() would accept)
 * into out; returns their count, 0 for a character XML forbids. */
static size_t
utf8_encode(unsigned long cp, char out[4])
{
    size_t n;

    if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp > 0x10FFFF)
        return 0;
    if (cp < 0x80) {
        out[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        out[0] = (char)(0xF0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return ssml_utf8_char((const unsigned char *)out, n) == n ? n : 0;
}

size_t
ssml_entity(const char *s, size_t n, char out[4], size_t *out_len)
{
    static const struct {
        const char *name;
        char c;
    } named[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};

    *out_len = 0;
    if (n < 3 || s[0] != '&')
        return 0;
    for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
        size_t l = strlen(named[i].name);
        if (n >= l && memcmp(s, named[i].name, l) == 0) {
            out[0] = named[i].c;
            *out_len = 1;
            return l;
        }
    }
    if (s[1] != '#')
        return 0;
    /* &#DIGITS; or &#xHEX; with at most 8 digits (no code point needs more). */
    bool hex = s[2] == 'x' || s[2] == 'X';
    size_t at = hex ? 3 : 2, start = at;
    unsigned long cp = 0;
    for (; at < n && at - start < 8; at++) {
        char c = s[at];
        int d = c >= '0' && c <= '9'          ? c - '0'
                : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
                : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                              : -1;
        if (d < 0)
            break;
        cp = cp * (hex ? 16 : 10) + (unsigned long)d;
    }
    if (at == start || at >= n || s[at] != ';')
        return 0;
    *out_len = utf8_encode(cp, out);
    return *out_len ? at + 1 : 0;
}
