/*
 * model_lint.c - model_check(): what Amazon's console would refuse in an
 * interaction model, and what is probably a mistake (see model.h), each
 * problem with its JSON path and one sentence saying what to do. The
 * invocation name's rules are model_invocation.c's; the rest is here:
 * names, samples, slots and their types, repeated utterances and values,
 * and the dialog model. Whether the skill's handlers match the intents is
 * skillkit's check (it knows the handlers).
 *
 * A check never stops at the first problem, so a child editing model.json
 * by hand sees every mistake at once; the report keeps the first
 * MODEL_MAX_PROBLEMS and counts the rest.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "model_internal.h"
#include "ss_limits.h"

void
model_report_add(struct model_report *r, enum model_severity severity, const char *path,
                 const char *fmt, ...)
{
    va_list ap;
    if (severity == MODEL_ERROR)
        r->errors++;
    else
        r->warnings++;
    if (r->count == MODEL_MAX_PROBLEMS) {
        r->omitted++;
        return;
    }
    struct model_problem *p = &r->items[r->count++];
    p->severity = severity;
    snprintf(p->path, sizeof(p->path), "%s", path);
    va_start(ap, fmt);
    vsnprintf(p->message, sizeof(p->message), fmt, ap);
    va_end(ap);
}

/* Intent, slot and type names: letters and underscores only (spec §10). The
 * first character that breaks the rule, or 0 when there is none. */
static int
bad_name_char(const char *name)
{
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (!model_is_alpha(*p) && *p != '_')
            return *p;
    return 0;
}

/* How to show a character in a message. */
const char *
model_show_char(int ch, char buf[16])
{
    if (ch == ' ')
        return "a space";
    if (ch < 0x20 || ch >= 0x7f)
        snprintf(buf, 16, "byte 0x%02x", (unsigned)ch & 0xff);
    else
        snprintf(buf, 16, "'%c'", ch);
    return buf;
}

bool
model_word_in_list(const char *const *list, const char *word, size_t len)
{
    for (; *list; list++)
        if (strlen(*list) == len && strncmp(*list, word, len) == 0)
            return true;
    return false;
}

/* Names of the model's intents, for suggestions (at most cap). */
static size_t
intent_names(const struct model *m, const char **out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < m->intent_count && n < cap; i++)
        out[n++] = m->intents[i].name;
    return n;
}

/* ", did you mean X?" or "" */
static const char *
did_you_mean(const char *word, const char *const *names, size_t n, char *buf, size_t cap,
             const char *open, const char *close)
{
    const char *best = model_closest(word, names, n);
    if (!best || strcmp(best, word) == 0)
        return "";
    snprintf(buf, cap, " (did you mean %s%s%s?)", open, best, close);
    return buf;
}

static void
check_sample(const struct model_intent *in, const char *sample, const char *path,
             struct model_report *r)
{
    char buf[LIMIT_MODEL_TEXT_CHARS * 2], cb[16], hint[200];
    struct model_token tokens[LIMIT_MATCHER_WORDS];
    bool inside = false;

    for (const unsigned char *p = (const unsigned char *)sample; *p; p++) {
        if (*p == '{')
            inside = true;
        else if (*p == '}')
            inside = false;
        else if (inside)
            continue;
        else if (model_is_digit(*p)) {
            model_report_add(r, MODEL_ERROR, path,
                             "\"%s\" has the digit '%c': Alexa wants numbers "
                             "written as words (\"two\", not \"2\")",
                             sample, *p);
            return;
        } else if (!model_is_alpha(*p) && *p < 0x80 && !strchr(" ._'-", *p)) {
            model_report_add(r, MODEL_ERROR, path,
                             "\"%s\" has %s: samples may only have letters, "
                             "spaces, apostrophes, periods, hyphens and {slots}",
                             sample, model_show_char(*p, cb));
            return;
        }
    }
    int n = model_sample_split(sample, buf, sizeof(buf), tokens, LIMIT_MATCHER_WORDS);
    if (n == -1) {
        model_report_add(r, MODEL_ERROR, path,
                         "\"%s\" has a { or } that does not pair up: a slot "
                         "is written {name}",
                         sample);
        return;
    }
    if (n < 0) {
        model_report_add(r, MODEL_ERROR, path, "\"%s\" is too long (at most %d words)", sample,
                         LIMIT_MATCHER_WORDS);
        return;
    }
    if (n == 0) {
        model_report_add(r, MODEL_ERROR, path, "is empty: write what people say");
        return;
    }
    const char *names[LIMIT_MATCHER_WORDS];
    size_t slot_names = 0;
    for (size_t i = 0; i < in->slot_count && slot_names < LIMIT_MATCHER_WORDS; i++)
        names[slot_names++] = in->slots[i].name;
    for (int i = 0; i < n; i++) {
        if (!tokens[i].slot)
            continue;
        if (!model_intent_slot(in, tokens[i].text)) {
            if (in->slot_count == 0)
                model_report_add(r, MODEL_ERROR, path,
                                 "\"%s\" uses {%s}, but %s has no slots: add "
                                 "{\"name\": \"%s\", \"type\": ...} to its slots",
                                 sample, tokens[i].text, in->name, tokens[i].text);
            else
                model_report_add(
                    r, MODEL_ERROR, path,
                    "\"%s\" uses {%s}, but %s has no slot called "
                    "%s%s",
                    sample, tokens[i].text, in->name, tokens[i].text,
                    did_you_mean(tokens[i].text, names, slot_names, hint, sizeof(hint), "{", "}"));
            continue;
        }
        for (int k = 0; k < i; k++)
            if (tokens[k].slot && strcmp(tokens[k].text, tokens[i].text) == 0) {
                model_report_add(r, MODEL_ERROR, path,
                                 "\"%s\" uses {%s} twice; a slot may appear "
                                 "only once in a sample",
                                 sample, tokens[i].text);
                break;
            }
    }
}

/* One entry of a duplicate search: a normalised key and where it came from. */
struct dup {
    const char *key;
    size_t a, b; /* intent and sample, or value and synonym (+1; 0 = the value) */
};

static int
dup_cmp(const void *x, const void *y)
{
    const struct dup *p = x, *q = y;
    int c = strcmp(p->key, q->key);
    if (c)
        return c;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    return p->b < q->b ? -1 : p->b > q->b;
}

/* The comparison key of a sample: its words and {slots}, one space apart. */
static size_t
sample_key(const char *sample, char *out, size_t cap)
{
    char buf[LIMIT_MODEL_TEXT_CHARS * 2];
    struct model_token tokens[LIMIT_MATCHER_WORDS];
    int n = model_sample_split(sample, buf, sizeof(buf), tokens, LIMIT_MATCHER_WORDS);
    size_t used = 0;

    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        int w = snprintf(out + used, cap - used,
                         i ? (tokens[i].slot ? " {%s}" : " %s") : (tokens[i].slot ? "{%s}" : "%s"),
                         tokens[i].text);
        if (w < 0 || (size_t)w >= cap - used)
            return 0;
        used += (size_t)w;
    }
    return n > 0 ? used : 0;
}

/* Utterances must be unique within the model (spec §10). Sorting keeps this
 * fast for models with thousands of samples; out of memory skips it. */
static void
check_duplicate_samples(const struct model *m, struct model_report *r)
{
    size_t total = 0, bytes = 0, n = 0, used = 0;
    for (size_t i = 0; i < m->intent_count; i++) {
        total += m->intents[i].sample_count;
        for (size_t j = 0; j < m->intents[i].sample_count; j++)
            bytes += 2 * strlen(m->intents[i].samples[j]) + 2;
    }
    if (total < 2)
        return;
    struct dup *d = calloc(total, sizeof(*d));
    char *keys = malloc(bytes);
    if (!d || !keys)
        goto out;
    for (size_t i = 0; i < m->intent_count; i++)
        for (size_t j = 0; j < m->intents[i].sample_count; j++) {
            size_t cap = 2 * strlen(m->intents[i].samples[j]) + 2;
            if (sample_key(m->intents[i].samples[j], keys + used, cap) == 0)
                continue;
            d[n++] = (struct dup){keys + used, i, j};
            used += strlen(keys + used) + 1;
        }
    qsort(d, n, sizeof(*d), dup_cmp);
    /* Every repeat is reported against the first sample with those words. */
    size_t f = 0;
    for (size_t k = 1; k < n; k++) {
        if (strcmp(d[k].key, d[f].key) != 0) {
            f = k;
            continue;
        }
        char path[160];
        const struct model_intent *first = &m->intents[d[f].a];
        snprintf(path, sizeof(path), "interactionModel.languageModel.intents[%zu].samples[%zu]",
                 d[k].a, d[k].b);
        if (d[k].a == d[f].a)
            model_report_add(r, MODEL_ERROR, path,
                             "\"%s\" is the same as samples[%zu] of %s: each "
                             "utterance may appear only once",
                             m->intents[d[k].a].samples[d[k].b], d[f].b, first->name);
        else
            model_report_add(
                r, MODEL_ERROR, path,
                "\"%s\" is also a sample of %s (intents[%zu]."
                "samples[%zu]): Alexa could not tell which intent is meant; keep it in "
                "one intent",
                m->intents[d[k].a].samples[d[k].b], first->name, d[f].a, d[f].b);
    }
out:
    free(d);
    free(keys);
}

static bool
slot_used(const struct model_intent *in, const char *slot)
{
    char buf[LIMIT_MODEL_TEXT_CHARS * 2];
    struct model_token tokens[LIMIT_MATCHER_WORDS];
    const char *const *lists[2] = {in->samples, NULL};
    size_t counts[2] = {in->sample_count, 0};

    for (size_t s = 0; s <= in->slot_count; s++) {
        if (s > 0) {
            lists[1] = in->slots[s - 1].samples;
            counts[1] = in->slots[s - 1].sample_count;
        }
        for (int l = s == 0 ? 0 : 1; l < 2; l++)
            for (size_t j = 0; j < counts[l]; j++) {
                int n =
                    model_sample_split(lists[l][j], buf, sizeof(buf), tokens, LIMIT_MATCHER_WORDS);
                for (int k = 0; k < n; k++)
                    if (tokens[k].slot && strcmp(tokens[k].text, slot) == 0)
                        return true;
            }
    }
    return false;
}

static void
check_slot_type(const struct model *m, const struct model_slot *slot, const char *path,
                struct model_report *r)
{
    const char *names[LIMIT_MODEL_SUGGEST];
    size_t n = 0;
    char hint[200];

    if (model_type(m, slot->type) || model_builtin_type(slot->type))
        return;
    for (size_t i = 0; i < m->type_count && n < LIMIT_MODEL_SUGGEST; i++)
        names[n++] = m->types[i].name;
    size_t nb;
    const struct model_builtin_type *builtin_types = model_builtin_types(&nb);
    for (size_t i = 0; i < nb && n < LIMIT_MODEL_SUGGEST; i++)
        names[n++] = builtin_types[i].name;
    const char *suggest = did_you_mean(slot->type, names, n, hint, sizeof(hint), "", "");
    if (strncmp(slot->type, "AMAZON.", 7) == 0)
        model_report_add(r, MODEL_WARNING, path,
                         "%s is not a built-in slot type skillserver knows%s; "
                         "its slot is filled with whatever words are said",
                         slot->type, suggest);
    else
        model_report_add(r, MODEL_ERROR, path,
                         "the slot type %s is not defined: add it to types, or "
                         "use a built-in type such as AMAZON.NUMBER or AMAZON.FirstName%s",
                         slot->type, suggest);
}

static void
check_intents(const struct model *m, struct model_report *r)
{
    char path[160], sp[200], hint[200], cb[16];
    const char *builtin_names[LIMIT_MODEL_SUGGEST];
    size_t nb, nn = 0;
    const struct model_builtin_intent *builtin_intents = model_builtin_intents(&nb);

    for (size_t i = 0; i < nb && nn < LIMIT_MODEL_SUGGEST; i++)
        builtin_names[nn++] = builtin_intents[i].name;
    for (size_t i = 0; i < m->intent_count; i++) {
        const struct model_intent *in = &m->intents[i];
        snprintf(path, sizeof(path), "interactionModel.languageModel.intents[%zu].name", i);
        bool builtin = strncmp(in->name, "AMAZON.", 7) == 0;
        int ch;
        if (!in->name[0])
            model_report_add(r, MODEL_ERROR, path,
                             "is empty: name the intent, such as "
                             "\"ThankYouIntent\"");
        else if (builtin && !model_builtin_intent(in->name))
            model_report_add(r, MODEL_ERROR, path, "%s is not one of Alexa's built-in intents%s",
                             in->name,
                             did_you_mean(in->name, builtin_names, nn, hint, sizeof(hint), "", ""));
        else if (!builtin && (ch = bad_name_char(in->name)) != 0)
            model_report_add(r, MODEL_ERROR, path,
                             "\"%s\" has %s: intent names may only have "
                             "letters and underscores, such as ThankYouIntent",
                             in->name, model_show_char(ch, cb));
        for (size_t k = 0; k < i; k++)
            if (strcmp(m->intents[k].name, in->name) == 0) {
                model_report_add(r, MODEL_ERROR, path,
                                 "%s is listed twice (also intents[%zu]): "
                                 "keep one",
                                 in->name, k);
                break;
            }
        if (!builtin && in->sample_count == 0) {
            snprintf(sp, sizeof(sp), "interactionModel.languageModel.intents[%zu].samples", i);
            model_report_add(r, MODEL_ERROR, sp,
                             "%s has no sample utterances, so Alexa can never "
                             "choose it: add what people say, such as \"thank you\"",
                             in->name);
        }
        for (size_t k = 0; k < in->slot_count; k++) {
            const struct model_slot *slot = &in->slots[k];
            snprintf(sp, sizeof(sp), "interactionModel.languageModel.intents[%zu].slots[%zu]", i,
                     k);
            char np[220], tp[220];
            snprintf(np, sizeof(np), "%s.name", sp);
            snprintf(tp, sizeof(tp), "%s.type", sp);
            if (!slot->name[0])
                model_report_add(r, MODEL_ERROR, np, "is empty: name the slot, such as \"name\"");
            else if ((ch = bad_name_char(slot->name)) != 0)
                model_report_add(r, MODEL_ERROR, np,
                                 "\"%s\" has %s: slot names may only have "
                                 "letters and underscores",
                                 slot->name, model_show_char(ch, cb));
            for (size_t j = 0; j < k; j++)
                if (strcmp(in->slots[j].name, slot->name) == 0) {
                    model_report_add(r, MODEL_ERROR, np, "%s has two slots called %s: rename one",
                                     in->name, slot->name);
                    break;
                }
            check_slot_type(m, slot, tp, r);
            for (size_t j = 0; j < slot->sample_count; j++) {
                char ssp[260];
                snprintf(ssp, sizeof(ssp), "%s.samples[%zu]", sp, j);
                check_sample(in, slot->samples[j], ssp, r);
            }
            if (slot->name[0] && in->sample_count && !slot_used(in, slot->name))
                model_report_add(r, MODEL_WARNING, np,
                                 "no sample of %s uses {%s}, so Alexa never "
                                 "fills it: add a sample such as \"... {%s}\"",
                                 in->name, slot->name, slot->name);
        }
        for (size_t j = 0; j < in->sample_count; j++) {
            snprintf(sp, sizeof(sp), "interactionModel.languageModel.intents[%zu].samples[%zu]", i,
                     j);
            check_sample(in, in->samples[j], sp, r);
        }
    }
    for (size_t i = 0; i < nb; i++)
        if (builtin_intents[i].required && !model_intent(m, builtin_intents[i].name))
            model_report_add(r, MODEL_WARNING, "interactionModel.languageModel.intents",
                             "%s is missing: Amazon requires it in every skill; add {\"name\": "
                             "\"%s\", \"samples\": []}",
                             builtin_intents[i].name, builtin_intents[i].name);
}

static void
check_types(const struct model *m, struct model_report *r)
{
    char path[160], cb[16];
    for (size_t t = 0; t < m->type_count; t++) {
        const struct model_type *type = &m->types[t];
        int ch;
        bool referenced = false;
        snprintf(path, sizeof(path), "interactionModel.languageModel.types[%zu]", t);
        if (!type->name[0])
            model_report_add(r, MODEL_ERROR, path,
                             "has an empty name: name the type, such as "
                             "\"DrinkType\"");
        else if (strncmp(type->name, "AMAZON.", 7) == 0) {
            if (!model_builtin_type(type->name))
                model_report_add(r, MODEL_WARNING, path,
                                 "%s extends a built-in slot type "
                                 "skillserver does not know",
                                 type->name);
        } else if ((ch = bad_name_char(type->name)) != 0)
            model_report_add(r, MODEL_ERROR, path,
                             "\"%s\" has %s: slot type names may only have "
                             "letters and underscores",
                             type->name, model_show_char(ch, cb));
        for (size_t k = 0; k < t; k++)
            if (strcmp(m->types[k].name, type->name) == 0) {
                model_report_add(r, MODEL_ERROR, path,
                                 "%s is defined twice (also types[%zu]): keep "
                                 "one",
                                 type->name, k);
                break;
            }
        if (type->value_count == 0 && !type->value_supplier)
            model_report_add(r, MODEL_ERROR, path,
                             "%s has no values: list what people say, such "
                             "as {\"name\": {\"value\": \"flat white\"}}",
                             type->name);
        for (size_t i = 0; i < m->intent_count && !referenced; i++)
            for (size_t k = 0; k < m->intents[i].slot_count && !referenced; k++)
                referenced = strcmp(m->intents[i].slots[k].type, type->name) == 0;
        if (!referenced && type->name[0])
            model_report_add(r, MODEL_WARNING, path, "no slot uses the type %s", type->name);

        /* Values and synonyms that say the same words, and repeated ids. A
         * normalised text is never longer than the text itself. */
        size_t total = 0, n = 0, bytes = 0, used = 0;
        for (size_t v = 0; v < type->value_count; v++) {
            total += 1 + type->values[v].synonym_count;
            bytes += strlen(type->values[v].value) + 1;
            for (size_t s = 0; s < type->values[v].synonym_count; s++)
                bytes += strlen(type->values[v].synonyms[s]) + 1;
        }
        if (total < 2)
            continue;
        struct dup *d = calloc(total, sizeof(*d));
        char *keys = malloc(bytes);
        if (!d || !keys) {
            free(d);
            free(keys);
            continue;
        }
        for (size_t v = 0; v < type->value_count; v++) {
            const struct model_value *val = &type->values[v];
            char vp[200];
            snprintf(vp, sizeof(vp), "%s.values[%zu].name.value", path, v);
            for (size_t s = 0; s <= val->synonym_count; s++) {
                const char *text = s == 0 ? val->value : val->synonyms[s - 1];
                char *key = keys + used;
                size_t len = model_normalise(text, key, bytes - used);
                if (len >= bytes - used)
                    continue;
                used += len + 1;
                if (!key[0]) {
                    if (s == 0)
                        model_report_add(r, MODEL_ERROR, vp,
                                         "is empty: write the words people "
                                         "say");
                    continue;
                }
                d[n++] = (struct dup){key, v, s};
            }
            for (size_t k = 0; val->id && k < v; k++)
                if (type->values[k].id && strcmp(type->values[k].id, val->id) == 0) {
                    char ip[200];
                    snprintf(ip, sizeof(ip), "%s.values[%zu].id", path, v);
                    model_report_add(r, MODEL_WARNING, ip,
                                     "the id %s is also the id of values[%zu] "
                                     "(\"%s\")",
                                     val->id, k, type->values[k].value);
                    break;
                }
        }
        qsort(d, n, sizeof(*d), dup_cmp);
        size_t f = 0;
        for (size_t k = 1; k < n; k++) {
            if (strcmp(d[k].key, d[f].key) != 0) {
                f = k;
                continue;
            }
            char vp[220];
            if (d[k].b == 0)
                snprintf(vp, sizeof(vp), "%s.values[%zu].name.value", path, d[k].a);
            else
                snprintf(vp, sizeof(vp), "%s.values[%zu].name.synonyms[%zu]", path, d[k].a,
                         d[k].b - 1);
            if (d[k].a == d[f].a)
                model_report_add(r, MODEL_WARNING, vp,
                                 "\"%s\" is listed twice for the value \"%s\"", d[k].key,
                                 type->values[d[k].a].value);
            else
                model_report_add(r, MODEL_WARNING, vp,
                                 "\"%s\" means both \"%s\" and \"%s\"; Alexa "
                                 "resolves it to both",
                                 d[k].key, type->values[d[f].a].value, type->values[d[k].a].value);
        }
        free(d);
        free(keys);
    }
}

static void
check_prompt_ref(const struct model *m, const char *id, const char *path, struct model_report *r)
{
    if (id && !model_prompt(m, id))
        model_report_add(r, MODEL_ERROR, path,
                         "names the prompt \"%s\", but interactionModel."
                         "prompts has no prompt with that id",
                         id);
}

/* The dialog model refers to intents, slots and prompts by name. */
static void
check_dialog(const struct model *m, struct model_report *r)
{
    json_t *intents = json_object_get(
        json_object_get(json_object_get(m->root, "interactionModel"), "dialog"), "intents");
    const char *names[LIMIT_MODEL_SUGGEST];
    size_t n = intent_names(m, names, LIMIT_MODEL_SUGGEST);
    char path[160], sp[200], hint[200];
    size_t i, k;
    json_t *o, *so;

    json_array_foreach(intents, i, o)
    {
        const char *name = json_string_value(json_object_get(o, "name"));
        const struct model_intent *in = model_intent(m, name);
        snprintf(path, sizeof(path), "interactionModel.dialog.intents[%zu]", i);
        if (!name)
            continue;
        if (!in) {
            char np[200];
            snprintf(np, sizeof(np), "%s.name", path);
            model_report_add(r, MODEL_ERROR, np, "%s is not an intent of the language model%s",
                             name, did_you_mean(name, names, n, hint, sizeof(hint), "", ""));
            continue;
        }
        snprintf(sp, sizeof(sp), "%s.prompts.confirmation", path);
        check_prompt_ref(m, in->confirmation_prompt, sp, r);
        if (in->confirmation_required && !in->confirmation_prompt)
            model_report_add(r, MODEL_ERROR, path,
                             "confirmationRequired is true, so it needs "
                             "prompts.confirmation: what Alexa asks to confirm %s",
                             in->name);
        json_array_foreach(json_object_get(o, "slots"), k, so)
        {
            const char *slot_name = json_string_value(json_object_get(so, "name"));
            const struct model_slot *slot = model_intent_slot(in, slot_name);
            snprintf(sp, sizeof(sp), "%s.slots[%zu]", path, k);
            if (!slot_name)
                continue;
            if (!slot) {
                const char *slot_names[LIMIT_MODEL_SUGGEST];
                size_t ns = 0;
                for (size_t s = 0; s < in->slot_count && ns < LIMIT_MODEL_SUGGEST; s++)
                    slot_names[ns++] = in->slots[s].name;
                char np[220];
                snprintf(np, sizeof(np), "%s.name", sp);
                model_report_add(
                    r, MODEL_ERROR, np,
                    "%s has no slot called %s in the language "
                    "model%s",
                    in->name, slot_name,
                    did_you_mean(slot_name, slot_names, ns, hint, sizeof(hint), "", ""));
                continue;
            }
            char pp[240];
            snprintf(pp, sizeof(pp), "%s.prompts.elicitation", sp);
            check_prompt_ref(m, slot->elicitation_prompt, pp, r);
            snprintf(pp, sizeof(pp), "%s.prompts.confirmation", sp);
            check_prompt_ref(m, slot->confirmation_prompt, pp, r);
            if (slot->elicitation_required && !slot->elicitation_prompt)
                model_report_add(r, MODEL_ERROR, sp,
                                 "elicitationRequired is true, so it needs "
                                 "prompts.elicitation: what Alexa asks to fill {%s}",
                                 slot->name);
            if (slot->confirmation_required && !slot->confirmation_prompt)
                model_report_add(r, MODEL_ERROR, sp,
                                 "confirmationRequired is true, so it needs "
                                 "prompts.confirmation: what Alexa asks to confirm {%s}",
                                 slot->name);
        }
    }
    for (size_t p = 0; p < m->prompt_count; p++)
        if (m->prompts[p].variation_count == 0) {
            snprintf(path, sizeof(path), "interactionModel.prompts[%zu].variations", p);
            model_report_add(r, MODEL_ERROR, path,
                             "the prompt %s has no variations: add "
                             "{\"type\": \"PlainText\", \"value\": ...}",
                             m->prompts[p].id);
        }
}

void
model_check(const struct model *m, struct model_report *r)
{
    memset(r, 0, sizeof(*r));
    if (!m)
        return;
    model_check_invocation(m->invocation_name, r);
    check_intents(m, r);
    check_duplicate_samples(m, r);
    check_types(m, r);
    check_dialog(m, r);
}

size_t
model_report_format(const struct model_report *r, const char *file, char *out, size_t cap)
{
    size_t used = 0;
    int w;
    if (cap)
        out[0] = '\0';
    for (size_t i = 0; i < r->count; i++) {
        const struct model_problem *p = &r->items[i];
        w = snprintf(used < cap ? out + used : NULL, used < cap ? cap - used : 0,
                     "%s: %s: %s: %s\n", file, p->path,
                     p->severity == MODEL_ERROR ? "error" : "warning", p->message);
        if (w > 0)
            used += (size_t)w;
    }
    if (r->omitted) {
        w = snprintf(used < cap ? out + used : NULL, used < cap ? cap - used : 0,
                     "%s: %zu more problems\n", file, r->omitted);
        if (w > 0)
            used += (size_t)w;
    }
    return used;
}
