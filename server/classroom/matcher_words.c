/*
 * matcher_words.c - the matcher's word tables (see matcher_words.h). Every
 * entry is something children say or type to an Echo; a word goes in only
 * when it cannot be what a sample means by itself, so that ignoring it
 * never changes which intent is heard.
 */
#include "matcher_words.h"

#include <string.h>

#define WORDS(...) ((const char *const[]){__VA_ARGS__, NULL})

int
matcher_word_index(const char *const *list, const char *word)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(list[i], word) == 0)
            return i;
    return -1;
}

/* Short forms typed or said, and the words they stand for. */
struct short_form {
    const char *word;
    const char *as[MATCHER_EXPAND_MAX + 1];
};

static const struct short_form short_forms[] = {
    {"u", {"you"}},
    {"ya", {"you"}},
    {"ur", {"your"}},
    {"r", {"are"}},
    {"thx", {"thanks"}},
    {"thanx", {"thanks"}},
    {"thnx", {"thanks"}},
    {"tx", {"thanks"}},
    {"thks", {"thanks"}},
    {"ty", {"thank", "you"}},
    {"thankyou", {"thank", "you"}},
    {"thanku", {"thank", "you"}},
    {"thankyu", {"thank", "you"}},
    {"tysm", {"thank", "you", "so"}},
    {"pls", {"please"}},
    {"plz", {"please"}},
    {"pleas", {"please"}},
    {"im", {"i", "am"}},
    {"whats", {"what", "is"}},
    {"lets", {"let", "us"}},
    {"dont", {"do", "not"}},
    {"wanna", {"want", "to"}},
    {"gonna", {"going", "to"}},
    {"gimme", {"give", "me"}},
    {"lemme", {"let", "me"}},
    {"nxt", {"next"}},
    {"yea", {"yeah"}},
    {"yah", {"yeah"}},
    {"k", {"okay"}},
    {"kk", {"okay"}},
    {"alright", {"okay"}},
    {"cuz", {"because"}},
    {"idk", {"i", "do", "not", "know"}},
};

size_t
matcher_words_expand(const char *word, const char *out[MATCHER_EXPAND_MAX])
{
    for (size_t i = 0; i < sizeof(short_forms) / sizeof(short_forms[0]); i++) {
        if (strcmp(short_forms[i].word, word) != 0)
            continue;
        size_t n = 0;
        while (n < MATCHER_EXPAND_MAX && short_forms[i].as[n]) {
            out[n] = short_forms[i].as[n];
            n++;
        }
        return n;
    }
    return 0;
}

bool
matcher_words_filler(const char *word)
{
    static const char *const fillers[] = {
        "um",   "umm",    "ummm",  "uh",   "uhh", "uhm",  "er",     "erm",      "hmm",
        "hm",   "ah",     "oh",    "like", "so",  "well", "hey",    "alexa",    "please",
        "just", "really", "very",  "much", "a",   "lot",  "lots",   "actually", "okay",
        "ok",   "now",    "there", "and",  "too", "then", "anyway", "thing",    NULL};
    return matcher_word_index(fillers, word) >= 0;
}

bool
matcher_words_lead_in(const char *word)
{
    static const char *const lead_ins[] = {"can",  "could", "would", "will", "you", "we",   "i",
                                           "want", "to",    "let",   "us",   "me",  "need", "wanna",
                                           "go",   "ahead", "and",   "but",  NULL};
    return matcher_word_index(lead_ins, word) >= 0;
}

const char *const matcher_words_same[][MATCHER_SAME_MAX] = {
    {"my name is", "i am", "it is", "this is", "my names", "call me", "i am called", NULL},
    {"hello", "hi", "hey", "hiya", "howdy", "hullo", NULL},
    {"thank you", "thanks", NULL},
    {"go on", "keep going", "carry on", "continue", NULL},
    {"one more", "another one", "another", NULL},
    {"a", "an", "the", NULL},
    {NULL},
};

struct builtin_more {
    const char *intent;
    const char *const *phrases;
};

static const struct builtin_more builtin_more[] = {
    {"AMAZON.StopIntent",
     WORDS("i am done", "i am finished", "done", "all done", "finished", "that is all", "no more",
           "the end", "go away", "shush", "be quiet", "quiet", "stop stop")},
    {"AMAZON.CancelIntent",
     WORDS("cancel that", "forget about it", "do not worry about it", "never mind that")},
    {"AMAZON.HelpIntent",
     WORDS("what do i say", "what should i say", "what can i do", "what should i do",
           "i do not know what to say", "i do not know what to do", "i do not know",
           "how do i play", "how do i play this", "how does it work", "how do i use this",
           "i am confused", "i do not understand", "i need help", "help me please", "i am stuck")},
    {"AMAZON.YesIntent", WORDS("yes please", "yeah", "sure", "okay", "let us do it", "definitely",
                               "of course", "why not", "yes yes")},
    {"AMAZON.NoIntent",
     WORDS("no way", "not really", "no thanks", "nah", "not now", "i do not want to", "no no")},
};

const char *const *
matcher_words_builtin(const char *intent)
{
    for (size_t i = 0; intent && i < sizeof(builtin_more) / sizeof(builtin_more[0]); i++)
        if (strcmp(builtin_more[i].intent, intent) == 0)
            return builtin_more[i].phrases;
    return NULL;
}

static bool
letters_only(const char *w)
{
    for (; *w; w++)
        if (*w < 'a' || *w > 'z')
            return false;
    return true;
}

/* Edit distance with a swap of two neighbours as one edit (children type
 * "thnak"), given up on once it exceeds limit. */
static int
distance(const char *a, const char *b, int limit)
{
    enum { CAP = 32 };
    int d[CAP + 1][CAP + 1];
    size_t n = strlen(a), m = strlen(b);
    if (n > CAP || m > CAP)
        return limit + 1;
    for (size_t i = 0; i <= n; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        int row_best = limit + 1;
        for (size_t j = 1; j <= m; j++) {
            int cost = a[i - 1] != b[j - 1];
            int v = d[i - 1][j - 1] + cost;
            if (d[i - 1][j] + 1 < v)
                v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
            if (v < row_best)
                row_best = v;
        }
        if (row_best > limit)
            return limit + 1;
    }
    return d[n][m];
}

bool
matcher_words_close(const char *said, const char *want)
{
    size_t ls = strlen(said), lw = strlen(want);
    size_t longer = ls > lw ? ls : lw;
    if (longer < 5 || ls < 3 || lw < 3 || !letters_only(said) || !letters_only(want))
        return false;
    int limit = longer >= 8 ? 2 : 1;
    return distance(said, want, limit) <= limit;
}
