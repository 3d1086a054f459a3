/*
 * escape.c - turning plain text into SSML character data.
 *
 * The output is always well-formed: the five XML specials become entities,
 * and bytes XML 1.0 does not allow (C0 controls other than TAB, LF, CR, and
 * invalid UTF-8) are dropped rather than passed to Alexa, which would reject
 * the whole response.
 */
#include "ssml.h"

#include <string.h>

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

size_t
ssml_escape(const char *text, size_t len, char *out, size_t cap)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t o = 0;

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
        if (rep) {
            size_t rl = strlen(rep);
            for (size_t k = 0; k < rl; k++, o++)
                if (o + 1 < cap)
                    out[o] = rep[k];
        } else {
            for (size_t k = 0; k < n; k++, o++)
                if (o + 1 < cap)
                    out[o] = (char)s[i + k];
        }
        i += n;
    }
    if (cap > 0)
        out[o < cap ? o : cap - 1] = '\0';
    return o;
}
