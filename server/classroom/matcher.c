/*
 * matcher.c - utterance resolution (see matcher.h).
 *
 * Each sample is matched against the utterance's words by dynamic
 * programming over (token, word) positions. A literal token takes its word
 * said exactly, or misspelt (matcher_words_close()); a run of tokens takes a
 * phrase that means the same ("my name is" / "i am"); a {slot} token takes
 * 1..k words its type accepts; filler words between tokens are skipped,
 * and a token inside the sample that is itself a filler or lead-in ("tell
 * me a joke") may go unsaid, as long as no more of them do than words of
 * the sample are said.
 * Words before and after the whole sample are extra: fillers and lead-ins
 * ("can you") cost nearly nothing, other words cost SCORE_EXTRA and may
 * not touch a slot (they would be part of its value). A sample with a slot
 * is also tried in other orders, its words turned around a split point, so
 * that "my name is Leo thank you" finds "thank you my name is {name}". The
 * score of a match is additive (see SCORE_*), so the best split is found in
 * O(tokens x words x k) without trying every split; what the best split did
 * (words ignored, read as others) is recovered from the table afterwards,
 * for the threshold and for `say --show`. What words a built-in slot type
 * accepts, and the value Alexa reports for them, is slot_values.c's.
 *
 * A little over 800 lines: the invocation phrases at the end share the
 * word splitting (short forms, fillers) with the matching, and moving them
 * out would need an internal header for three small helpers.
 */
#include "matcher.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "matcher_words.h"
#include "slot_values.h"

/* Score of a match, additive over what each word did. Literal words
 * dominate, so that a sample said in full beats any shorter one; a fuzzy,
 * same-meaning or reordered match costs less than an extra word, which
 * costs less than a literal gains. Then fewer anything-goes slot words, then
 * more recognised slot words, as Alexa ranks them. With at most
 * LIMIT_MATCHER_WORDS words no term can overflow into the one above. */
#define SCORE_LITERAL 10000
#define SCORE_WEAK 1000       /* a literal filler word ("very much"): little meaning */
#define SCORE_FUZZY 7000      /* a literal word misspelt */
#define SCORE_SAME (-2500)    /* per phrase read as another that means the same */
#define SCORE_ROTATED (-2500) /* the sample's words in another order */
#define SCORE_EXTRA (-4000)   /* a word outside the sample that means something */
#define SCORE_SKIP (-10)      /* a filler or lead-in left out */
/* A sample's filler or lead-in word not said ("tell a joke"): more than a
 * filler said gains, so a shorter sample said in full wins over it. */
#define SCORE_DROP (-1500)
#define SCORE_WILD (-100)
#define SCORE_TYPED 1
#define NO_MATCH INT_MIN

/* Extra words may be at most this many times the sample's literal words:
 * "thank you for helping me" is thanks; "i want more ice cream" is not
 * counting. */
#define EXTRA_PER_LITERAL 2

/* A phrase of matcher_words_same found at a position: group g, phrase p,
 * len words. */
struct phrase_at {
    unsigned char g, p, len;
};
#define PHRASES_AT 4

struct words {
    const char *w[LIMIT_MATCHER_WORDS];
    size_t n;
    char buf[LIMIT_MODEL_TEXT_CHARS];
    /* Per word, found once: a filler, a lead-in, phrases that start there. */
    bool filler[LIMIT_MATCHER_WORDS], lead[LIMIT_MATCHER_WORDS];
    struct phrase_at said[LIMIT_MATCHER_WORDS][PHRASES_AT];
    unsigned char said_count[LIMIT_MATCHER_WORDS];
};

static size_t phrase_at_words(const char *phrase, const struct words *u, size_t w);

/* Find what each word is (struct words' per-word fields). */
static void
classify(struct words *u)
{
    for (size_t w = 0; w < u->n; w++) {
        u->filler[w] = matcher_words_filler(u->w[w]);
        u->lead[w] = matcher_words_lead_in(u->w[w]);
        u->said_count[w] = 0;
        for (size_t g = 0; matcher_words_same[g][0]; g++)
            for (size_t p = 0; matcher_words_same[g][p] && u->said_count[w] < PHRASES_AT; p++) {
                size_t len = phrase_at_words(matcher_words_same[g][p], u, w);
                if (len)
                    u->said[w][u->said_count[w]++] =
                        (struct phrase_at){(unsigned char)g, (unsigned char)p, (unsigned char)len};
            }
    }
}

/* Split normalised text into words, short forms written out ("u" ->
 * "you"); -1 when there are too many or it is too long. */
static int
split_words(const char *text, struct words *out)
{
    out->n = 0;
    if (model_normalise(text, out->buf, sizeof(out->buf)) >= sizeof(out->buf))
        return -1;
    for (char *p = out->buf; *p;) {
        const char *as[MATCHER_EXPAND_MAX];
        char *word = p;
        p += strcspn(p, " ");
        if (*p)
            *p++ = '\0';
        size_t k = matcher_words_expand(word, as);
        if (k == 0) {
            as[0] = word;
            k = 1;
        }
        for (size_t i = 0; i < k; i++) {
            if (out->n == LIMIT_MATCHER_WORDS)
                return -1;
            out->w[out->n++] = as[i];
        }
    }
    classify(out);
    return 0;
}

/* words[0..n) joined by spaces into out (cap bytes); returns 0 or -1 when it does not fit. */
static int
join(const char *const *w, size_t n, char *out, size_t cap)
{
    size_t used = 0;
    if (cap)
        out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int r = snprintf(out + used, cap - used, "%s%s", i ? " " : "", w[i]);
        if (r < 0 || (size_t)r >= cap - used)
            return -1;
        used += (size_t)r;
    }
    return 0;
}

/* ---- Slots ---- */

/* How a {slot} is recognised: by the model's values, a built-in kind, or both
 * (a built-in type the model extends with values). */
struct slot_kind {
    const struct model_slot *slot;
    const struct model_type *custom;
    const struct model_builtin_type *builtin;
};

static size_t
max_words(const struct slot_kind *k, size_t remaining)
{
    size_t cap = LIMIT_MATCHER_SLOT_WORDS;
    if (!k->custom && (!k->builtin || k->builtin->kind == MODEL_BUILTIN_WORDS))
        cap = remaining; /* a search query takes what is left */
    else if (!k->custom && k->builtin->kind == MODEL_BUILTIN_FIRST_NAME)
        cap = 1;
    return cap < remaining ? cap : remaining;
}

/* What words w[0..n) are as a value of the slot; out (may be NULL) gets the value. */
static enum slot_fit
recognise(const struct slot_kind *k, const char *const *w, size_t n, time_t now,
          struct matcher_slot *out)
{
    char text[LIMIT_MODEL_TEXT_CHARS], value[256];
    const struct model_value *resolved[MATCHER_MAX_RESOLVED];
    size_t count = 0;
    enum slot_fit fit = SLOT_FIT_NONE;

    if (n == 0 || join(w, n, text, sizeof(text)) != 0)
        return SLOT_FIT_NONE;
    if (k->custom) {
        count = model_type_matches(k->custom, text, resolved, MATCHER_MAX_RESOLVED);
        if (count)
            fit = SLOT_FIT_TYPED;
    }
    if (fit == SLOT_FIT_NONE && k->builtin)
        fit = slot_values_fit(k->builtin->kind, w, n, text, now, value, sizeof(value));
    else if (snprintf(value, sizeof(value), "%s", text) >= (int)sizeof(value))
        return SLOT_FIT_NONE;
    /* A custom value Alexa does not know still fills the slot, unresolved;
     * so do the words for a type skillserver does not know. */
    if (fit == SLOT_FIT_NONE && (k->custom || !k->builtin)) {
        if (snprintf(value, sizeof(value), "%s", text) >= (int)sizeof(value))
            return SLOT_FIT_NONE;
        fit = SLOT_FIT_WILD;
    }
    /* Fillers alone are never a value said for a slot ("thank you alexa"
     * is not a name). */
    if (fit == SLOT_FIT_WILD) {
        size_t fillers = 0;
        while (fillers < n && matcher_words_filler(w[fillers]))
            fillers++;
        if (fillers == n)
            return SLOT_FIT_NONE;
    }
    const char *said = count ? text : value;
    if (fit != SLOT_FIT_NONE && strlen(said) >= sizeof(out->value))
        return SLOT_FIT_NONE;
    if (fit != SLOT_FIT_NONE && out) {
        memset(out, 0, sizeof(*out));
        out->slot = k->slot;
        memcpy(out->value, said, strlen(said) + 1);
        out->custom = k->custom != NULL;
        for (size_t i = 0; i < count; i++)
            out->resolved[i] = resolved[i];
        out->resolved_count = count;
    }
    return fit;
}

/* ---- Matching one sample ---- */

/* What the best match did at a (token, word) cell. */
enum act {
    ACT_NONE,
    ACT_LITERAL, /* a token took its word */
    ACT_FUZZY,   /* a token took its word misspelt */
    ACT_SAME,    /* tk tokens took wj words that mean the same */
    ACT_SLOT,    /* a {slot} took wj words */
    ACT_SKIP,    /* a filler or lead-in word was left out */
    ACT_DROP,    /* a sample's filler or lead-in token was not said */
    ACT_EXTRA,   /* a word outside the sample */
};

struct cell {
    unsigned char act, tk, wj;
};

struct dp {
    int best[LIMIT_MATCHER_WORDS + 1][LIMIT_MATCHER_WORDS + 1];
    struct cell how[LIMIT_MATCHER_WORDS + 1][LIMIT_MATCHER_WORDS + 1];
    int prefix[LIMIT_MATCHER_WORDS + 1]; /* cost of leaving out words [0, w) */
};

struct sample {
    struct model_token tokens[LIMIT_MATCHER_WORDS];
    struct slot_kind kinds[LIMIT_MATCHER_WORDS];
    size_t count;
    bool has_slot;
    char buf[LIMIT_MODEL_TEXT_CHARS * 2];
    /* The order tried: tok[i] is tokens[(i + turn) % count]. */
    size_t turn;
    const struct model_token *tok[LIMIT_MATCHER_WORDS];
    const struct slot_kind *kind[LIMIT_MATCHER_WORDS];
    /* Phrases of matcher_words_same that start at tok[i], in this order. */
    struct phrase_at meant[LIMIT_MATCHER_WORDS][PHRASES_AT];
    unsigned char meant_count[LIMIT_MATCHER_WORDS];
    bool weak[LIMIT_MATCHER_WORDS];      /* tok[i] is a filler word */
    bool droppable[LIMIT_MATCHER_WORDS]; /* tok[i] is a filler or lead-in word */
};

static size_t phrase_at_tokens(const char *phrase, const struct sample *s, size_t t);

/* Split sample and find each slot's kind; -1 when it cannot match (a slot
 * the intent lacks, too many slots: model_check() reports those). */
static int
prepare(const struct model *m, const struct model_intent *in, const char *text, struct sample *s)
{
    size_t slots = 0;
    int n = model_sample_split(text, s->buf, sizeof(s->buf), s->tokens, LIMIT_MATCHER_WORDS);
    if (n <= 0)
        return -1;
    s->count = (size_t)n;
    for (size_t i = 0; i < s->count; i++) {
        if (!s->tokens[i].slot)
            continue;
        const struct model_slot *slot = model_intent_slot(in, s->tokens[i].text);
        if (!slot || ++slots > LIMIT_MATCHER_SLOTS)
            return -1;
        s->kinds[i] =
            (struct slot_kind){slot, model_type(m, slot->type), model_builtin_type(slot->type)};
    }
    s->has_slot = slots > 0;
    return 0;
}

/* Put the sample's tokens in the order turned by turn; false when that
 * order would start or end with a slot (extra words would touch it). */
static bool
order(struct sample *s, size_t turn)
{
    s->turn = turn;
    for (size_t i = 0; i < s->count; i++) {
        size_t k = (i + turn) % s->count;
        s->tok[i] = &s->tokens[k];
        s->kind[i] = &s->kinds[k];
    }
    if (turn != 0 && (s->tok[0]->slot || s->tok[s->count - 1]->slot))
        return false;
    for (size_t t = 0; t < s->count; t++) {
        s->meant_count[t] = 0;
        s->weak[t] = !s->tok[t]->slot && matcher_words_filler(s->tok[t]->text);
        /* Only inside the sample: its first and last words are what tell
         * "can you spell" from "spell", which leaving them out would blur. */
        s->droppable[t] =
            t > 0 && t + 1 < s->count &&
            (s->weak[t] || (!s->tok[t]->slot && matcher_words_lead_in(s->tok[t]->text)));
        for (size_t g = 0; matcher_words_same[g][0]; g++)
            for (size_t p = 0; matcher_words_same[g][p] && s->meant_count[t] < PHRASES_AT; p++) {
                size_t len = phrase_at_tokens(matcher_words_same[g][p], s, t);
                if (len)
                    s->meant[t][s->meant_count[t]++] =
                        (struct phrase_at){(unsigned char)g, (unsigned char)p, (unsigned char)len};
            }
    }
    return true;
}

/* Words of phrase said at tokens tok[t..] of s (literal), or 0. */
static size_t
phrase_at_tokens(const char *phrase, const struct sample *s, size_t t)
{
    size_t n = 0;
    if (t >= s->count || s->tok[t]->slot || s->tok[t]->text[0] != phrase[0])
        return 0; /* most phrases differ at once */
    for (const char *p = phrase; *p; n++) {
        size_t len = strcspn(p, " ");
        if (t + n >= s->count || s->tok[t + n]->slot || s->tok[t + n]->len != len ||
            strncmp(s->tok[t + n]->text, p, len) != 0)
            return 0;
        p += len;
        p += *p == ' ';
    }
    return n;
}

/* Words of phrase said at u->w[w..], or 0. */
static size_t
phrase_at_words(const char *phrase, const struct words *u, size_t w)
{
    size_t n = 0;
    if (w >= u->n || u->w[w][0] != phrase[0])
        return 0;
    for (const char *p = phrase; *p; n++) {
        size_t len = strcspn(p, " ");
        if (w + n >= u->n || strlen(u->w[w + n]) != len || strncmp(u->w[w + n], p, len) != 0)
            return 0;
        p += len;
        p += *p == ' ';
    }
    return n;
}

static void
consider(int *best, struct cell *how, int rest, int gain, enum act act, size_t tk, size_t wj)
{
    if (rest == NO_MATCH || rest + gain <= *best)
        return;
    *best = rest + gain;
    *how = (struct cell){(unsigned char)act, (unsigned char)tk, (unsigned char)wj};
}

/* Best score of the sample (in its current order) against the utterance,
 * from the first word onwards, with words before and after it extra, or
 * NO_MATCH. *start gets the first word the sample takes. */
static int
run(const struct sample *s, const struct words *u, time_t now, struct dp *dp, size_t *start)
{
    size_t nt = s->count, nw = u->n;
    bool slot_last = s->tok[nt - 1]->slot, slot_first = s->tok[0]->slot;

    for (size_t t = nt + 1; t-- > 0;)
        for (size_t w = nw + 1; w-- > 0;) {
            int best = NO_MATCH;
            struct cell how = {ACT_NONE, 0, 0};
            if (t == nt) {
                /* After the sample: fillers, or extra words not touching a slot. */
                if (w == nw)
                    best = 0;
                else if (u->filler[w])
                    consider(&best, &how, dp->best[nt][w + 1], SCORE_SKIP, ACT_SKIP, 0, 1);
                else if (!slot_last)
                    consider(&best, &how, dp->best[nt][w + 1], SCORE_EXTRA, ACT_EXTRA, 0, 1);
                dp->best[t][w] = best;
                dp->how[t][w] = how;
                continue;
            }
            const struct model_token *tok = s->tok[t];
            if (t > 0 && w < nw && u->filler[w])
                consider(&best, &how, dp->best[t][w + 1], SCORE_SKIP, ACT_SKIP, 0, 1);
            if (s->droppable[t])
                consider(&best, &how, dp->best[t + 1][w], SCORE_DROP, ACT_DROP, 1, 0);
            if (!tok->slot && w < nw) {
                if (strcmp(tok->text, u->w[w]) == 0)
                    consider(&best, &how, dp->best[t + 1][w + 1],
                             s->weak[t] ? SCORE_WEAK : SCORE_LITERAL, ACT_LITERAL, 1, 1);
                else if (matcher_words_close(u->w[w], tok->text))
                    consider(&best, &how, dp->best[t + 1][w + 1], SCORE_FUZZY, ACT_FUZZY, 1, 1);
                for (size_t i = 0; i < s->meant_count[t]; i++)
                    for (size_t j = 0; j < u->said_count[w]; j++) {
                        struct phrase_at a = s->meant[t][i], b = u->said[w][j];
                        if (a.g == b.g && a.p != b.p)
                            consider(&best, &how, dp->best[t + a.len][w + b.len],
                                     (int)a.len * SCORE_LITERAL + SCORE_SAME, ACT_SAME, a.len,
                                     b.len);
                    }
            } else if (tok->slot) {
                size_t most = max_words(s->kind[t], nw - w);
                for (size_t len = 1; len <= most; len++) {
                    int rest = dp->best[t + 1][w + len];
                    if (rest == NO_MATCH)
                        continue;
                    enum slot_fit fit = recognise(s->kind[t], u->w + w, len, now, NULL);
                    if (fit == SLOT_FIT_NONE)
                        continue;
                    consider(&best, &how, rest,
                             (int)len * (fit == SLOT_FIT_TYPED ? SCORE_TYPED : SCORE_WILD),
                             ACT_SLOT, 1, len);
                }
            }
            dp->best[t][w] = best;
            dp->how[t][w] = how;
        }

    /* Before the sample: fillers and lead-ins ("um can you"), then extra
     * words, which may not touch a slot. */
    int result = NO_MATCH;
    bool leading = true;
    dp->prefix[0] = 0;
    for (size_t w = 0; w <= nw; w++) {
        if (w > 0) {
            leading = leading && (u->filler[w - 1] || u->lead[w - 1]);
            bool skip = leading || u->filler[w - 1];
            dp->prefix[w] = dp->prefix[w - 1] + (skip ? SCORE_SKIP : SCORE_EXTRA);
            if (!skip && slot_first)
                break;
        }
        if (w < nw && dp->best[0][w] != NO_MATCH && dp->prefix[w] + dp->best[0][w] > result) {
            result = dp->prefix[w] + dp->best[0][w];
            *start = w;
        }
    }
    return result == NO_MATCH ? NO_MATCH : result + (s->turn ? SCORE_ROTATED : 0);
}

/* What a match did, walked back from the table. */
struct path {
    size_t literal;  /* words said as the sample's (also misspelt, or the same meant) */
    size_t extra;    /* words outside the sample that mean something */
    size_t dropped;  /* the sample's filler or lead-in words not said */
    bool exact;      /* the sample as written, every word, nothing else */
    struct buf *how; /* NULL, or where to say it */
};

/* Add words[from, to) to a list in b: "um, so much" (sep between runs). */
static void
add_run(struct buf *b, const char *const *w, size_t from, size_t to, const char *label,
        bool *started)
{
    if (from >= to || !b)
        return;
    buf_adds(b, *started ? ", " : label);
    *started = true;
    for (size_t i = from; i < to; i++)
        buf_printf(b, "%s%s", i > from ? " " : "", w[i]);
}

/* Follow the best match from word start: count what it did into p, and
 * the slots into out (may be NULL). */
static void
follow(const struct sample *s, const struct words *u, time_t now, const struct dp *dp, size_t start,
       struct path *p, struct matcher_result *out)
{
    struct buf read = BUF_INIT(sizeof(out->how)), left = BUF_INIT(sizeof(out->how));
    size_t t = 0, w = start, run_from = 0;
    bool ignored = false, reread = false;

    *p = (struct path){0, 0, 0, s->turn == 0, p->how};
    bool leading = true;
    for (size_t i = 0; i < start; i++) {
        leading = leading && (u->filler[i] || u->lead[i]);
        if (!leading && !u->filler[i])
            p->extra++;
    }
    if (out)
        out->slot_count = 0;
    while (t <= s->count && w <= u->n) {
        if (t == s->count && w == u->n)
            break;
        struct cell c = dp->how[t][w];
        if (c.act == ACT_NONE)
            break;
        if (c.act != ACT_SKIP && c.act != ACT_EXTRA) {
            add_run(p->how, u->w, run_from, w, "ignored: ", &ignored);
            run_from = w + c.wj;
        }
        switch ((enum act)c.act) {
        case ACT_LITERAL:
            p->literal++;
            break;
        case ACT_FUZZY:
        case ACT_SAME:
            p->literal += c.wj;
            p->exact = false;
            buf_adds(&read, read.len ? ", '" : "'");
            for (size_t i = 0; i < c.wj; i++)
                buf_printf(&read, "%s%s", i ? " " : "", u->w[w + i]);
            buf_adds(&read, "' as '");
            for (size_t i = 0; i < c.tk; i++)
                buf_printf(&read, "%s%s", i ? " " : "", s->tok[t + i]->text);
            buf_addc(&read, '\'');
            reread = true;
            break;
        case ACT_SLOT:
            if (out && out->slot_count < LIMIT_MATCHER_SLOTS &&
                recognise(s->kind[t], u->w + w, c.wj, now, &out->slots[out->slot_count]) !=
                    SLOT_FIT_NONE)
                out->slot_count++;
            break;
        case ACT_EXTRA:
            p->extra++;
            p->exact = false;
            break;
        case ACT_SKIP:
            p->exact = false;
            break;
        case ACT_DROP:
            p->dropped++;
            p->exact = false;
            buf_printf(&left, "%s'%s'", left.len ? ", " : "", s->tok[t]->text);
            break;
        case ACT_NONE:
            break;
        }
        t += c.tk;
        w += c.wj;
    }
    if (start > 0)
        p->exact = false;
    add_run(p->how, u->w, run_from, u->n, "ignored: ", &ignored);
    if (p->how && reread)
        buf_printf(p->how, "%sread %s", ignored ? "; " : "", buf_str(&read));
    if (p->how && left.len)
        buf_printf(p->how, "%snot said: %s", ignored || reread ? "; " : "", buf_str(&left));
    if (p->how && s->turn)
        buf_printf(p->how, "%sin another order", ignored || reread || left.len ? "; " : "");
    buf_reset(&read);
    buf_reset(&left);
}

/* The search over samples, with the best so far. */
struct search {
    const struct model *m;
    const struct words *u;
    time_t now;
    struct dp dp;
    struct sample s;
    struct matcher_result *out;
    bool found;
    bool explicit_sample; /* the best is a model's sample, not a built-in phrase */
    bool exact;           /* the best is a sample said as written */
};

/* Try the sample in its current order. */
static void
try_order(struct search *x, const struct model_intent *in, const char *intent_name,
          const char *text, bool explicit_sample)
{
    size_t start = 0;
    struct path p = {0};
    int score = run(&x->s, x->u, x->now, &x->dp, &start);
    if (score == NO_MATCH)
        return;
    follow(&x->s, x->u, x->now, &x->dp, start, &p, NULL);
    /* Too few of the words are the sample's: Alexa would not guess. Nor
     * from a sample whose few words said are outnumbered by those left out. */
    if (p.extra > EXTRA_PER_LITERAL * p.literal || p.dropped > p.literal)
        return;
    struct matcher_result *out = x->out;
    bool better = !x->found || score > out->score ||
                  (score == out->score && explicit_sample && !x->explicit_sample);
    if (better) {
        struct buf how = BUF_INIT(sizeof(out->how));
        out->intent_name = intent_name;
        out->intent = in;
        out->fallback = false;
        out->sample = text;
        out->score = score;
        out->other_intent = out->other_sample = NULL;
        p.how = &how;
        follow(&x->s, x->u, x->now, &x->dp, start, &p, out);
        snprintf(out->how, sizeof(out->how), "%s", how.len ? buf_str(&how) : "");
        buf_reset(&how);
        out->exact = p.exact;
        x->found = true;
        x->explicit_sample = explicit_sample;
        x->exact = p.exact;
    } else if (score == out->score && explicit_sample == x->explicit_sample &&
               strcmp(intent_name, out->intent_name) != 0 && !out->other_intent) {
        out->other_intent = intent_name;
        out->other_sample = text;
    }
}

static void
try_sample(struct search *x, const struct model_intent *in, const char *intent_name,
           const char *text, bool explicit_sample)
{
    if (prepare(x->m, in, text, &x->s) != 0)
        return;
    /* In other orders only when it has a slot: "my name is {name} thank you". */
    for (size_t turn = 0; turn < (x->s.has_slot ? x->s.count : 1); turn++)
        if (order(&x->s, turn))
            try_order(x, in, intent_name, text, explicit_sample);
}

/* A search with nothing found yet. Not zeroed: run() writes every table cell
 * it later reads, and zeroing 25 KiB per utterance shows in the profile. */
static struct search *
new_search(const struct model *m, const struct words *u, time_t now, struct matcher_result *out)
{
    struct search *x = malloc(sizeof(*x));
    if (!x)
        return NULL;
    x->m = m;
    x->u = u;
    x->now = now;
    x->out = out;
    x->found = false;
    x->explicit_sample = false;
    x->exact = false;
    return x;
}

static void
fallback(const struct model *m, struct matcher_result *out)
{
    memset(out, 0, sizeof(*out));
    out->intent_name = "AMAZON.FallbackIntent";
    out->intent = model_intent(m, out->intent_name);
    out->fallback = true;
    out->score = NO_MATCH;
}

/* Built-in intents understood without a model.json (Amazon requires the
 * first three in every model; yes and no are what people say most). */
static const char *const no_model_intents[] = {"AMAZON.HelpIntent",   "AMAZON.StopIntent",
                                               "AMAZON.CancelIntent", "AMAZON.YesIntent",
                                               "AMAZON.NoIntent",     NULL};

/* Alexa's phrases for a built-in intent, and the ways children say it. */
static void
try_builtin(struct search *x, const struct model_intent *in, const char *name)
{
    const struct model_builtin_intent *b = model_builtin_intent(name);
    const char *const *more = matcher_words_builtin(name);
    for (size_t k = 0; b && b->phrases[k]; k++)
        try_sample(x, in, b->name, b->phrases[k], false);
    for (size_t k = 0; b && more && more[k]; k++)
        try_sample(x, in, b->name, more[k], false);
}

int
matcher_match(const struct model *m, const char *utterance, time_t now, struct matcher_result *out)
{
    struct words u;
    struct search *x;

    fallback(m, out);
    if (split_words(utterance, &u) != 0 || u.n == 0)
        return -1;
    if (!(x = new_search(m, &u, now, out)))
        return -1;
    for (size_t i = 0; m && i < m->intent_count; i++) {
        const struct model_intent *in = &m->intents[i];
        for (size_t k = 0; k < in->sample_count; k++)
            try_sample(x, in, in->name, in->samples[k], true);
        try_builtin(x, in, in->name);
    }
    for (size_t i = 0; !m && no_model_intents[i]; i++)
        try_builtin(x, NULL, no_model_intents[i]);
    /* Two intents fit equally well but neither was said as written: Alexa
     * would be guessing, so it is the fallback. (Two samples said exactly
     * are the model's own ambiguity: the first listed wins, reported.) */
    if (!x->found || (out->other_intent && !x->exact))
        fallback(m, out);
    free(x);
    return 0;
}

int
matcher_match_slot(const struct model *m, const struct model_intent *in,
                   const struct model_slot *slot, const char *utterance, time_t now,
                   struct matcher_result *out)
{
    struct words u;
    struct search *x;
    char alone[LIMIT_NAME_CHARS + 3];
    int found;

    fallback(m, out);
    if (!in || !slot || split_words(utterance, &u) != 0 || u.n == 0)
        return 0;
    if (!(x = new_search(m, &u, now, out)))
        return 0;
    for (size_t k = 0; k < slot->sample_count; k++)
        try_sample(x, in, in->name, slot->samples[k], true);
    /* The value alone is always an answer to "which drink?". */
    if (snprintf(alone, sizeof(alone), "{%s}", slot->name) < (int)sizeof(alone))
        try_sample(x, in, in->name, alone, true);
    found = x->found;
    if (found && out->sample == alone)
        out->sample = NULL; /* it pointed into this frame */
    if (!found)
        fallback(m, out);
    free(x);
    return found;
}

/* ---- Starting and leaving a skill ---- */

static const char *const open_verbs[] = {"open", "launch", "start", "load", "begin",
                                         "use",  "run",    "play",  NULL};
static const char *const ask_connectors[] = {"to", "for", "about", "if", "whether", "that", NULL};
static const char *const open_connectors[] = {"and", "to", "for", NULL};
static const char *const name_articles[] = {"the", "up", "my", NULL};
static const char *const skill_words[] = {"skill", "app", "game", NULL};

static bool
is_verb(const char *word)
{
    return strcmp(word, "ask") == 0 || strcmp(word, "tell") == 0 ||
           matcher_word_index(open_verbs, word) >= 0;
}

/* Does name (normalised words) start at u->w[at]? Returns its word count or 0. */
static size_t
name_at(const struct words *u, size_t at, const struct words *name)
{
    if (name->n == 0 || at + name->n > u->n)
        return 0;
    for (size_t i = 0; i < name->n; i++)
        if (strcmp(u->w[at + i], name->w[i]) != 0)
            return 0;
    return name->n;
}

/* The one name that begins with the words of said ("counting" for
 * "counting game", "united states quiz" for "united states quiz game");
 * NULL when none does, or more than one. A said of under three letters
 * begins too many names to suggest one. */
static const char *
name_beginning_with(const char *said, const char *const *names, size_t n)
{
    size_t len = strlen(said);
    const char *found = NULL;
    if (len < 3)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!names[i] || strncmp(names[i], said, len) != 0 || names[i][len] != ' ')
            continue;
        if (found)
            return NULL;
        found = names[i];
    }
    return found;
}

void
matcher_invocation(const char *utterance, const char *const *names, size_t n,
                   struct matcher_invocation *out)
{
    struct words *u = calloc(2, sizeof(*u));
    struct words *name = u ? u + 1 : NULL;
    size_t start = 0, best_len = 0, best = 0, start_name = 0;

    memset(out, 0, sizeof(*out));
    out->form = MATCHER_PLAIN;
    out->near = -1;
    if (!u || split_words(utterance, u) != 0)
        goto out;
    if (u->n && strcmp(u->w[0], "alexa") == 0)
        start = 1;
    if (join(u->w + start, u->n - start, out->rest, sizeof(out->rest)) != 0)
        goto out;
    if (strcmp(out->rest, "exit") == 0 || strcmp(out->rest, "quit") == 0) {
        out->form = MATCHER_EXIT;
        goto out;
    }
    if (strcmp(out->rest, "goodbye") == 0 || strcmp(out->rest, "good bye") == 0 ||
        strcmp(out->rest, "bye") == 0 || strcmp(out->rest, "bye bye") == 0) {
        out->form = MATCHER_EXIT;
        out->soft_exit = true;
        goto out;
    }
    /* "um can you open ...", "let's play ...": what leads to the verb. */
    size_t verb = start;
    while (verb < u->n && !is_verb(u->w[verb]) &&
           (matcher_words_filler(u->w[verb]) || matcher_words_lead_in(u->w[verb])))
        verb++;
    if (verb < u->n && is_verb(u->w[verb]))
        start = verb;
    if (u->n - start < 2)
        goto out;
    bool ask = strcmp(u->w[start], "ask") == 0 || strcmp(u->w[start], "tell") == 0;
    bool open = matcher_word_index(open_verbs, u->w[start]) >= 0;
    if (!ask && !open)
        goto out;
    /* "open the counting game", "open up thank you". */
    size_t at_name = start + 1;
    if (at_name + 1 < u->n && matcher_word_index(name_articles, u->w[at_name]) >= 0)
        at_name++;
    for (size_t i = 0; i < n; i++) {
        if (!names[i] || split_words(names[i], name) != 0)
            continue;
        size_t len = name_at(u, at_name, name);
        size_t plain = at_name > start + 1 ? name_at(u, start + 1, name) : 0;
        if (plain > len)
            len = plain; /* a name that starts with "the" */
        if (len > best_len) {
            best_len = len;
            best = i;
            start_name = plain == len && at_name > start + 1 ? start + 1 : at_name;
        }
    }
    if (best_len == 0) {
        /* "open thank yu": which name was meant? The words up to a connector. */
        size_t end = start + 1;
        const char *const *stops = ask ? ask_connectors : open_connectors;
        while (end < u->n && matcher_word_index(stops, u->w[end]) < 0)
            end++;
        char said[LIMIT_MODEL_TEXT_CHARS];
        const char *normal[LIMIT_MODEL_SUGGEST];
        char *bufs =
            calloc(n < LIMIT_MODEL_SUGGEST ? n : LIMIT_MODEL_SUGGEST, LIMIT_MODEL_TEXT_CHARS);
        size_t k = 0;
        if (bufs && join(u->w + start + 1, end - start - 1, said, sizeof(said)) == 0) {
            for (; k < n && k < LIMIT_MODEL_SUGGEST; k++) {
                normal[k] = NULL;
                if (names[k] && model_normalise(names[k], bufs + k * LIMIT_MODEL_TEXT_CHARS,
                                                LIMIT_MODEL_TEXT_CHARS) < LIMIT_MODEL_TEXT_CHARS)
                    normal[k] = bufs + k * LIMIT_MODEL_TEXT_CHARS;
            }
            const char *close = model_closest(said, normal, k);
            /* "open counting", "open the united states quiz": the start of
             * a name, without the article the name does not have. */
            size_t from = start + 1;
            if (end > from + 1 && matcher_word_index(name_articles, u->w[from]) >= 0)
                from++;
            if (!close && join(u->w + from, end - from, said, sizeof(said)) == 0)
                close = name_beginning_with(said, normal, k);
            for (size_t i = 0; close && i < k; i++)
                if (normal[i] == close)
                    out->near = (long)i;
        }
        free(bufs);
        goto out;
    }
    size_t at = start_name + best_len;
    out->skill = best;
    if (at < u->n && matcher_word_index(skill_words, u->w[at]) >= 0)
        at++; /* "open the thank you skill" */
    if (at < u->n && matcher_word_index(ask ? ask_connectors : open_connectors, u->w[at]) >= 0)
        at++;
    size_t rest_from = at;
    while (at < u->n && matcher_words_filler(u->w[at]))
        at++; /* "open thank you please" */
    if (at == u->n) {
        out->form = MATCHER_OPEN;
        out->rest[0] = '\0';
        goto out;
    }
    out->form = MATCHER_ASK;
    if (join(u->w + rest_from, u->n - rest_from, out->rest, sizeof(out->rest)) != 0)
        out->form = MATCHER_PLAIN;
out:
    free(u);
}
