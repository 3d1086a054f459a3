/*
 * matcher.c - utterance resolution (see matcher.h).
 *
 * Each sample is matched against the utterance's words by dynamic
 * programming over (token, word) positions: a literal token takes exactly
 * its word, a {slot} token takes 1..k words its type accepts. The score of a
 * match is additive (see SCORE_*), so the best split is found in
 * O(tokens x words x k) without trying every split. Slot values are only
 * formatted once, for the winning split. What words a built-in slot type
 * accepts, and the value Alexa reports for them, is slot_values.c's.
 */
#include "matcher.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slot_values.h"

/* Lexicographic score packed into one int: literal words, then fewer
 * anything-goes slot words, then more recognised slot words. With at most
 * LIMIT_MATCHER_WORDS words no term can overflow into the one above. */
#define SCORE_LITERAL 10000
#define SCORE_WILD (-100)
#define SCORE_TYPED 1
#define NO_MATCH INT_MIN

struct words {
    const char *w[LIMIT_MATCHER_WORDS];
    size_t n;
    char buf[LIMIT_MODEL_TEXT_CHARS];
};

/* Split normalised text into words; -1 when there are too many or it is too long. */
static int
split_words(const char *text, struct words *out)
{
    out->n = 0;
    if (model_normalise(text, out->buf, sizeof(out->buf)) >= sizeof(out->buf))
        return -1;
    for (char *p = out->buf; *p;) {
        if (out->n == LIMIT_MATCHER_WORDS)
            return -1;
        out->w[out->n++] = p;
        p += strcspn(p, " ");
        if (*p)
            *p++ = '\0';
    }
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

static int
index_of(const char *const *list, const char *word)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(list[i], word) == 0)
            return i;
    return -1;
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

struct dp {
    int best[LIMIT_MATCHER_WORDS + 1][LIMIT_MATCHER_WORDS + 1];
    unsigned char take[LIMIT_MATCHER_WORDS + 1][LIMIT_MATCHER_WORDS + 1];
};

struct sample {
    struct model_token tokens[LIMIT_MATCHER_WORDS];
    struct slot_kind kinds[LIMIT_MATCHER_WORDS];
    size_t count;
    char buf[LIMIT_MODEL_TEXT_CHARS * 2];
};

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
    return 0;
}

/* Best score of the whole sample against the whole utterance, or NO_MATCH. */
static int
run(const struct sample *s, const struct words *u, time_t now, struct dp *dp)
{
    size_t nt = s->count, nw = u->n;
    for (size_t t = nt + 1; t-- > 0;)
        for (size_t w = nw + 1; w-- > 0;) {
            int best = NO_MATCH;
            unsigned char take = 0;
            if (t == nt) {
                best = w == nw ? 0 : NO_MATCH;
            } else if (!s->tokens[t].slot) {
                if (w < nw && dp->best[t + 1][w + 1] != NO_MATCH &&
                    strcmp(s->tokens[t].text, u->w[w]) == 0) {
                    best = dp->best[t + 1][w + 1] + SCORE_LITERAL;
                    take = 1;
                }
            } else {
                size_t most = max_words(&s->kinds[t], nw - w);
                for (size_t len = 1; len <= most; len++) {
                    int rest = dp->best[t + 1][w + len];
                    if (rest == NO_MATCH)
                        continue;
                    enum slot_fit fit = recognise(&s->kinds[t], u->w + w, len, now, NULL);
                    if (fit == SLOT_FIT_NONE)
                        continue;
                    int score =
                        rest + (int)len * (fit == SLOT_FIT_TYPED ? SCORE_TYPED : SCORE_WILD);
                    if (score > best) {
                        best = score;
                        take = (unsigned char)len;
                    }
                }
            }
            dp->best[t][w] = best;
            dp->take[t][w] = take;
        }
    return dp->best[0][0];
}

/* The slots of the split run() found. */
static void
fill_slots(const struct sample *s, const struct words *u, time_t now, const struct dp *dp,
           struct matcher_result *out)
{
    size_t w = 0;
    out->slot_count = 0;
    for (size_t t = 0; t < s->count && w < u->n; t++) {
        size_t len = dp->take[t][w];
        if (s->tokens[t].slot && out->slot_count < LIMIT_MATCHER_SLOTS &&
            recognise(&s->kinds[t], u->w + w, len, now, &out->slots[out->slot_count]) !=
                SLOT_FIT_NONE)
            out->slot_count++;
        w += len;
    }
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
};

static void
try_sample(struct search *x, const struct model_intent *in, const char *intent_name,
           const char *text, bool explicit_sample)
{
    if (prepare(x->m, in, text, &x->s) != 0)
        return;
    int score = run(&x->s, x->u, x->now, &x->dp);
    if (score == NO_MATCH)
        return;
    struct matcher_result *out = x->out;
    bool better = !x->found || score > out->score ||
                  (score == out->score && explicit_sample && !x->explicit_sample);
    if (better) {
        out->intent_name = intent_name;
        out->intent = in;
        out->fallback = false;
        out->sample = text;
        out->score = score;
        out->other_intent = out->other_sample = NULL;
        fill_slots(&x->s, x->u, x->now, &x->dp, out);
        x->found = true;
        x->explicit_sample = explicit_sample;
    } else if (score == out->score && explicit_sample == x->explicit_sample &&
               strcmp(intent_name, out->intent_name) != 0 && !out->other_intent) {
        out->other_intent = intent_name;
        out->other_sample = text;
    }
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
        const struct model_builtin_intent *b = model_builtin_intent(in->name);
        for (size_t k = 0; b && b->phrases[k]; k++)
            try_sample(x, in, in->name, b->phrases[k], false);
    }
    for (size_t i = 0; !m && no_model_intents[i]; i++) {
        const struct model_builtin_intent *b = model_builtin_intent(no_model_intents[i]);
        for (size_t k = 0; b && b->phrases[k]; k++)
            try_sample(x, NULL, b->name, b->phrases[k], false);
    }
    if (!x->found)
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

void
matcher_invocation(const char *utterance, const char *const *names, size_t n,
                   struct matcher_invocation *out)
{
    struct words *u = calloc(2, sizeof(*u));
    struct words *name = u ? u + 1 : NULL;
    size_t start = 0, best_len = 0, best = 0;

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
    if (u->n - start < 2)
        goto out;
    bool ask = strcmp(u->w[start], "ask") == 0 || strcmp(u->w[start], "tell") == 0;
    bool open = index_of(open_verbs, u->w[start]) >= 0;
    if (!ask && !open)
        goto out;
    for (size_t i = 0; i < n; i++) {
        if (!names[i] || split_words(names[i], name) != 0)
            continue;
        size_t len = name_at(u, start + 1, name);
        if (len > best_len) {
            best_len = len;
            best = i;
        }
    }
    if (best_len == 0) {
        /* "open thank yu": which name was meant? The words up to a connector. */
        size_t end = start + 1;
        const char *const *stops = ask ? ask_connectors : open_connectors;
        while (end < u->n && index_of(stops, u->w[end]) < 0)
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
            for (size_t i = 0; close && i < k; i++)
                if (normal[i] == close)
                    out->near = (long)i;
        }
        free(bufs);
        goto out;
    }
    size_t at = start + 1 + best_len;
    out->skill = best;
    if (at < u->n && index_of(ask ? ask_connectors : open_connectors, u->w[at]) >= 0)
        at++;
    if (at == u->n) {
        out->form = MATCHER_OPEN;
        out->rest[0] = '\0';
        goto out;
    }
    out->form = MATCHER_ASK;
    if (join(u->w + at, u->n - at, out->rest, sizeof(out->rest)) != 0)
        out->form = MATCHER_PLAIN;
out:
    free(u);
}
