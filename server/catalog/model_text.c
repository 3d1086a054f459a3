/*
 * model_text.c - the one text form in which utterances, samples and slot
 * values are compared (model_normalise(), with contractions said as their
 * words), how close two names are (for "did you mean"), and how a sample
 * splits into words and {slots}. The matcher, the linter and the catalog of
 * slot values all compare text through these, so that they cannot disagree
 * about what counts as the same words.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "model_internal.h"
#include "ss_limits.h"

/* Contractions said as their words, so that "i'm sam" matches a sample
 * "i am {name}" and the other way round, as Alexa's understanding does. */
static const char *const contractions[][2] = {
    {"i'm", "i am"},
    {"you're", "you are"},
    {"we're", "we are"},
    {"they're", "they are"},
    {"it's", "it is"},
    {"that's", "that is"},
    {"what's", "what is"},
    {"there's", "there is"},
    {"he's", "he is"},
    {"she's", "she is"},
    {"let's", "let us"},
    {"where's", "where is"},
    {"who's", "who is"},
    {"how's", "how is"},
    {"i've", "i have"},
    {"you've", "you have"},
    {"we've", "we have"},
    {"i'll", "i will"},
    {"you'll", "you will"},
    {"we'll", "we will"},
    {"i'd", "i would"},
    {"you'd", "you would"},
    {"don't", "do not"},
    {"doesn't", "does not"},
    {"didn't", "did not"},
    {"can't", "can not"},
    {"cannot", "can not"},
    {"won't", "will not"},
    {"isn't", "is not"},
    {"aren't", "are not"},
    {"wasn't", "was not"},
    {"weren't", "were not"},
    {"haven't", "have not"},
    {"hasn't", "has not"},
    {"couldn't", "could not"},
    {"wouldn't", "would not"},
    {"shouldn't", "should not"},
};

/* The expansion of the contraction at p (a word of letters and apostrophes,
 * ' or U+2019), or NULL; *len gets the bytes it spans. */
static const char *
contraction(const unsigned char *p, size_t *len)
{
    char word[16];
    size_t n = 0, i = 0;
    while (n < sizeof(word) - 1) {
        if (model_is_alpha(p[i])) {
            word[n++] = (char)model_tolower_ascii(p[i]);
            i++;
        } else if (p[i] == '\'') {
            word[n++] = '\'';
            i++;
        } else if (p[i] == 0xE2 && p[i + 1] == 0x80 && p[i + 2] == 0x99) {
            word[n++] = '\'';
            i += 3;
        } else {
            break;
        }
    }
    if (model_is_alpha(p[i]) || p[i] == '\'' || p[i] >= 0x80 || model_is_digit(p[i]))
        return NULL; /* a longer word */
    word[n] = '\0';
    for (size_t k = 0; k < sizeof(contractions) / sizeof(contractions[0]); k++)
        if (strcmp(contractions[k][0], word) == 0) {
            *len = i;
            return contractions[k][1];
        }
    return NULL;
}

size_t
model_normalise(const char *text, char *out, size_t cap)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t n = 0;
    bool space = false; /* a space is owed before the next character */

#define PUT(ch)                                                                                    \
    do {                                                                                           \
        if (n + 1 < cap)                                                                           \
            out[n] = (char)(ch);                                                                   \
        n++;                                                                                       \
    } while (0)

    for (; *p; p++) {
        unsigned char ch = *p;
        size_t clen;
        const char *expanded;
        /* At the start of a word: a contraction becomes its words. */
        if (model_is_alpha(ch) && (p == (const unsigned char *)text || !model_is_alpha(p[-1])) &&
            (expanded = contraction(p, &clen)) != NULL) {
            if (n > 0)
                PUT(' ');
            for (const char *e = expanded; *e; e++)
                PUT(*e);
            space = false;
            p += clen - 1;
            continue;
        }
        /* Other apostrophes vanish: "dad's" and "dads" are the same words. */
        if (ch == '\'' || ch == '`')
            continue;
        if (ch == 0xE2 && p[1] == 0x80 && (p[2] == 0x98 || p[2] == 0x99)) {
            p += 2;
            continue;
        }
        bool keep = model_is_alpha(ch) || model_is_digit(ch) || ch >= 0x80;
        if (!keep && (ch == '-' || ch == ':' || ch == '.') && n > 0 && !space && n - 1 < cap &&
            model_is_digit((unsigned char)out[n - 1]) && model_is_digit(p[1]))
            keep = true;
        if (!keep) {
            space = n > 0;
            continue;
        }
        if (space)
            PUT(' ');
        space = false;
        PUT(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
    }
#undef PUT
    if (cap)
        out[n < cap ? n : cap - 1] = '\0';
    return n;
}

int
model_edit_distance(const char *a, const char *b)
{
    enum { MAX = 64 };
    int rows[3][MAX + 1];
    size_t la = strlen(a), lb = strlen(b);

    if (la > MAX || lb > MAX)
        return 99;
    int *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int ca = model_tolower_ascii(a[i - 1]), cb = model_tolower_ascii(b[j - 1]);
            int cost = ca == cb ? 0 : 1;
            int best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            if (prev[j - 1] + cost < best)
                best = prev[j - 1] + cost;
            if (i > 1 && j > 1 && ca == model_tolower_ascii(b[j - 2]) &&
                model_tolower_ascii(a[i - 2]) == cb && prev2[j - 2] + 1 < best)
                best = prev2[j - 2] + 1;
            cur[j] = best;
        }
        int *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[lb];
}

const char *
model_closest(const char *word, const char *const *names, size_t n)
{
    const char *best = NULL;
    int best_d = 99;
    int limit = (int)strlen(word) / 3;

    if (limit < 1)
        limit = 1;
    if (limit > 3)
        limit = 3;
    for (size_t i = 0; i < n; i++) {
        if (!names[i])
            continue;
        int d = model_edit_distance(word, names[i]);
        if (d < best_d) {
            best_d = d;
            best = names[i];
        }
    }
    return best_d <= limit ? best : NULL;
}

int
model_sample_split(const char *sample, char *buf, size_t cap, struct model_token *tokens,
                   size_t max)
{
    char chunk[LIMIT_MODEL_TEXT_CHARS], norm[LIMIT_MODEL_TEXT_CHARS];
    size_t used = 0, count = 0;
    const char *p = sample;

    while (*p) {
        if (*p == '}')
            return -1;
        if (*p == '{') {
            const char *end = p + 1;
            while (*end && *end != '}' && *end != '{')
                end++;
            if (*end != '}')
                return -1;
            size_t len = (size_t)(end - p - 1);
            if (count == max || used + len + 1 > cap)
                return -2;
            memcpy(buf + used, p + 1, len);
            buf[used + len] = '\0';
            tokens[count++] = (struct model_token){buf + used, len, true};
            used += len + 1;
            p = end + 1;
            continue;
        }
        size_t len = strcspn(p, "{}");
        if (len >= sizeof(chunk))
            return -2;
        memcpy(chunk, p, len);
        chunk[len] = '\0';
        p += len;
        if (model_normalise(chunk, norm, sizeof(norm)) >= sizeof(norm))
            return -2;
        for (char *w = norm; *w;) {
            size_t wl = strcspn(w, " ");
            if (count == max || used + wl + 1 > cap)
                return -2;
            memcpy(buf + used, w, wl);
            buf[used + wl] = '\0';
            tokens[count++] = (struct model_token){buf + used, wl, false};
            used += wl + 1;
            w += wl;
            while (*w == ' ')
                w++;
        }
    }
    return (int)count;
}
