/*
 * model_invocation.c - Amazon's rules for a custom skill's invocation name,
 * in one place: model_check() applies them to a model's invocationName and
 * `skillserver new` to the name it gives a new skill (see model.h).
 *
 * The rules (spec/alexa-protocol.md §10 and Amazon's "Choose the Invocation
 * Name for a Custom Skill"): lower-case letters and spaces between words;
 * periods only in abbreviations ("a. b. c."); apostrophes only for
 * possessives ("sam's quiz"); numbers written as words; none of the words
 * Alexa uses to start a skill ("open", "ask", ...) or wake words ("alexa",
 * "echo", ...). Those are errors. Amazon also wants two or more words, and
 * a two-word name without an article or preposition, but waives both for a
 * brand it has proof of: those are warnings.
 */
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "model_internal.h"
#include "ss_limits.h"

static const char path[] = "interactionModel.languageModel.invocationName";

static const char *const launch_words[] = {"ask",   "open",   "launch", "tell", "load",
                                           "begin", "enable", "start",  NULL};
static const char *const wake_words[] = {"alexa", "amazon", "echo", "computer",
                                         "skill", "app",    NULL};
static const char *const small_words[] = {"a",  "an", "the", "for",  "to",   "of", "on",
                                          "in", "at", "by",  "with", "from", NULL};

/* A letter of a word: ASCII, or any byte of a UTF-8 character (a name in
 * German or Japanese has letters beyond ASCII). */
static bool
is_letter(unsigned char ch)
{
    return model_is_alpha(ch) || ch >= 0x80;
}

static bool
ends_word(unsigned char ch)
{
    return ch == ' ' || ch == '\0';
}

/* True when s is well-formed UTF-8 (a name from the command line may not
 * be; one from a model always is, jansson checks it). */
static bool
utf8_valid(const unsigned char *s)
{
    while (*s) {
        size_t more = *s < 0x80             ? 0
                      : (*s & 0xE0) == 0xC0 ? 1
                      : (*s & 0xF0) == 0xE0 ? 2
                      : (*s & 0xF8) == 0xF0 ? 3
                                            : 4;
        if (more == 4 || (*s & 0xFE) == 0xC0)
            return false;
        s++;
        for (size_t i = 0; i < more; i++, s++)
            if ((*s & 0xC0) != 0x80)
                return false;
    }
    return true;
}

/* A period at name[i] ends an abbreviation: one to four letters before it
 * ("a.", "dr.", "mrs.") and a space or the end after it. */
static bool
abbreviation_period(const unsigned char *name, size_t i)
{
    size_t letters = 0;
    while (letters < i && model_is_alpha(name[i - letters - 1]))
        letters++;
    bool starts_word = letters == i || name[i - letters - 1] == ' ';
    return letters >= 1 && letters <= 4 && starts_word && ends_word(name[i + 1]);
}

/* An apostrophe at name[i] makes a possessive: "sam's", "teachers'". */
static bool
possessive_apostrophe(const unsigned char *name, size_t i)
{
    if (i == 0 || !model_is_alpha(name[i - 1]))
        return false;
    return (name[i + 1] == 's' && ends_word(name[i + 2])) ||
           (name[i - 1] == 's' && ends_word(name[i + 1]));
}

/* The word of name around position i, for messages: its start and length. */
static int
word_at(const char *name, size_t i, const char **start)
{
    size_t a = i, b = i;
    while (a > 0 && name[a - 1] != ' ')
        a--;
    while (name[b] && name[b] != ' ')
        b++;
    *start = name + a;
    return (int)(b - a);
}

/* Each kind of wrong character once, so that a name with several mistakes
 * gets all of them in one go. */
static void
check_characters(const char *name, struct model_report *r)
{
    const unsigned char *p = (const unsigned char *)name;
    bool upper = false, digit = false, other = false, period = false, apostrophe = false;
    char lower[LIMIT_MODEL_TEXT_CHARS], cb[16];
    const char *w;
    int wl;

    for (size_t i = 0; p[i]; i++) {
        unsigned char ch = p[i];
        if (ch >= 'A' && ch <= 'Z' && !upper) {
            upper = true;
            size_t n = 0;
            for (; p[n] && n + 1 < sizeof(lower); n++)
                lower[n] = (char)model_tolower_ascii(p[n]);
            lower[n] = '\0';
            model_report_add(r, MODEL_ERROR, path, "must be lower case: write \"%s\", not \"%s\"",
                             lower, name);
        } else if (model_is_digit(ch) && !digit) {
            digit = true;
            model_report_add(r, MODEL_ERROR, path,
                             "has the digit '%c': write numbers as words "
                             "(\"two\", not \"2\")",
                             ch);
        } else if (ch == '.' && !period && !abbreviation_period(p, i)) {
            period = true;
            wl = word_at(name, i, &w);
            model_report_add(r, MODEL_ERROR, path,
                             "has a period in \"%.*s\": periods are only for abbreviations, "
                             "like \"a. b. c.\" with a space after each period; leave it out",
                             wl, w);
        } else if (ch == '\'' && !apostrophe && !possessive_apostrophe(p, i)) {
            apostrophe = true;
            wl = word_at(name, i, &w);
            model_report_add(r, MODEL_ERROR, path,
                             "has an apostrophe in \"%.*s\": apostrophes are only for "
                             "possessives, like \"sam's quiz\"; leave it out",
                             wl, w);
        } else if (!model_is_alpha(ch) && !model_is_digit(ch) && ch < 0x80 && ch != ' ' &&
                   ch != '\'' && ch != '.' && !other) {
            other = true;
            model_report_add(r, MODEL_ERROR, path,
                             "has %s: an invocation name may only have "
                             "letters, spaces, apostrophes and periods",
                             model_show_char(ch, cb));
        }
    }
}

void
model_check_invocation(const char *name, struct model_report *r)
{
    char norm[LIMIT_MODEL_TEXT_CHARS];
    size_t words = 0;
    const char *small = NULL;
    size_t small_len = 0;

    if (!name)
        return;
    if (!utf8_valid((const unsigned char *)name)) {
        model_report_add(r, MODEL_ERROR, path,
                         "is not UTF-8 text: type it again with the letters of your keyboard");
        return;
    }
    if (model_normalise(name, norm, sizeof(norm)) >= sizeof(norm)) {
        model_report_add(r, MODEL_ERROR, path,
                         "is too long: use two to four words people say to "
                         "open the skill");
        return;
    }
    if (!norm[0]) {
        model_report_add(r, MODEL_ERROR, path,
                         "is empty: give the skill two or more words people "
                         "say to open it, such as \"thank you\"");
        return;
    }
    check_characters(name, r);
    /* Words as Alexa hears them: "skill2" is "skill" and a number. */
    for (const char *w = norm; *w;) {
        size_t len = model_is_digit((unsigned char)*w) ? strspn(w, "0123456789-:.")
                                                       : strcspn(w, " 0123456789");
        words++;
        if (model_word_in_list(launch_words, w, len))
            model_report_add(r, MODEL_ERROR, path,
                             "has the word \"%.*s\": Alexa uses it to start "
                             "skills (\"open ...\", \"ask ... to\"), so it cannot be part of a "
                             "name",
                             (int)len, w);
        else if (model_word_in_list(wake_words, w, len))
            model_report_add(r, MODEL_ERROR, path,
                             "has the word \"%.*s\", which Amazon does not "
                             "allow in invocation names",
                             (int)len, w);
        else if (model_word_in_list(small_words, w, len) && !small) {
            small = w;
            small_len = len;
        }
        w += len;
        while (*w == ' ')
            w++;
    }
    if (words == 1)
        model_report_add(r, MODEL_WARNING, path,
                         "is one word; Amazon allows that only for brand "
                         "names: use two or more words, such as \"%s game\"",
                         norm);
    else if (words == 2 && small)
        model_report_add(r, MODEL_WARNING, path,
                         "is two words and one of them is \"%.*s\"; Amazon "
                         "wants two real words, or more words",
                         (int)small_len, small);
}

/* ---- A name that follows the rules ---- */

/* Text written into a fixed buffer; overflow is remembered, not reported. */
struct out {
    char *buf;
    size_t cap, len;
    bool full;
};

static void
put(struct out *o, const char *text, size_t n)
{
    if (o->full || o->len + n + 1 > o->cap) {
        o->full = true;
        return;
    }
    memcpy(o->buf + o->len, text, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

/* A word, with a space before it unless it is the first. */
static void
put_word(struct out *o, const char *word, size_t n)
{
    if (o->len > 0)
        put(o, " ", 1);
    put(o, word, n);
}

static const char *const ones[] = {"zero",    "one",     "two",       "three",    "four",
                                   "five",    "six",     "seven",     "eight",    "nine",
                                   "ten",     "eleven",  "twelve",    "thirteen", "fourteen",
                                   "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
static const char *const tens[] = {"",      "",      "twenty",  "thirty", "forty",
                                   "fifty", "sixty", "seventy", "eighty", "ninety"};

/* 1..999 as words ("forty two", "one hundred five"). */
static void
put_hundreds(struct out *o, unsigned n)
{
    if (n >= 100) {
        put_word(o, ones[n / 100], strlen(ones[n / 100]));
        put_word(o, "hundred", 7);
        n %= 100;
    }
    if (n >= 20) {
        put_word(o, tens[n / 10], strlen(tens[n / 10]));
        n %= 10;
        if (n)
            put_word(o, ones[n], strlen(ones[n]));
    } else if (n) {
        put_word(o, ones[n], strlen(ones[n]));
    }
}

/* A run of digits as words, as people say them: "2024" is "two thousand
 * twenty four"; "007" and numbers of more than six digits digit by digit. */
static void
put_number(struct out *o, const char *digits, size_t n)
{
    if (n > 6 || (n > 1 && digits[0] == '0')) {
        for (size_t i = 0; i < n; i++)
            put_word(o, ones[digits[i] - '0'], strlen(ones[digits[i] - '0']));
        return;
    }
    unsigned v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (unsigned)(digits[i] - '0');
    if (v == 0) {
        put_word(o, ones[0], strlen(ones[0]));
        return;
    }
    if (v >= 1000) {
        put_hundreds(o, v / 1000);
        put_word(o, "thousand", 8);
    }
    put_hundreds(o, v % 1000);
}

size_t
model_invocation_suggest(const char *name, char *out, size_t cap)
{
    const unsigned char *p = (const unsigned char *)name;
    char word[LIMIT_MODEL_TEXT_CHARS];
    struct out o = {out, cap, 0, false};
    size_t words = 0;
    bool small = false;

    if (cap == 0)
        return 0;
    out[0] = '\0';
    if (!name || !utf8_valid(p))
        return 0;
    for (size_t i = 0; p[i];) {
        if (model_is_digit(p[i])) {
            size_t n = strspn(name + i, "0123456789");
            put_number(&o, name + i, n);
            words++;
            i += n;
            continue;
        }
        if (!is_letter(p[i])) {
            i++;
            continue;
        }
        /* A word: letters, lower case, with the periods and apostrophes
         * the rules allow where they stand. */
        size_t n = 0;
        for (; p[i] && n + 1 < sizeof(word); i++) {
            if (is_letter(p[i])) {
                word[n++] = (char)model_tolower_ascii(p[i]);
            } else if (p[i] == '.' && n == 1) {
                /* "a.b.c." is said as the letters: "a. b. c." */
                word[n++] = '.';
                i++;
                break;
            } else if ((p[i] == '.' && abbreviation_period(p, i)) ||
                       (p[i] == '\'' && possessive_apostrophe(p, i))) {
                word[n++] = (char)p[i];
            } else if (p[i] != '\'') {
                break;
            }
        }
        char norm[LIMIT_MODEL_TEXT_CHARS];
        word[n] = '\0';
        size_t len = model_normalise(word, norm, sizeof(norm));
        if (len >= sizeof(norm) || model_word_in_list(launch_words, norm, len) ||
            model_word_in_list(wake_words, norm, len))
            continue;
        small = small || model_word_in_list(small_words, norm, len);
        put_word(&o, word, n);
        words++;
    }
    /* Amazon wants two real words; "game" is as good as any. */
    if (words == 1 || (words == 2 && small))
        put_word(&o, "game", 4);

    struct model_report r;
    memset(&r, 0, sizeof(r));
    if (o.full || words == 0)
        goto none;
    model_check_invocation(out, &r);
    if (r.errors || r.warnings)
        goto none;
    return o.len;
none:
    out[0] = '\0';
    return 0;
}
