/*
 * model.c - loading and checking interaction models (see model.h).
 *
 * Every error names the file and the JSON path of the offending member
 * ("model.json: interactionModel.languageModel.intents[2].slots[0].type must
 * be a string"), because the people who edit these files by hand are often
 * new to JSON. Loading only checks the shape; model_check() knows Amazon's
 * rules, so that a model with a mistake still loads and every mistake in it
 * can be reported at once.
 */
#include "model.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "request.h"
#include "ss_limits.h"

struct ctx {
    const char *file;
    struct ss_error *err;
};

static enum ss_err
bad(struct ctx *c, const char *path, const char *what)
{
    return ss_fail(c->err, SS_ERR_SKILL_CONFIG, "%s: %s %s", c->file, path, what);
}

static enum ss_err
nomem(struct ctx *c)
{
    return ss_fail(c->err, SS_ERR_NOMEM, "out of memory");
}

/* A member that must be a string (or may be absent when optional). */
static enum ss_err
get_string(struct ctx *c, json_t *obj, const char *key, const char *path, int optional,
           const char **out)
{
    char where[512];
    json_t *v = json_object_get(obj, key);

    *out = NULL;
    snprintf(where, sizeof(where), "%s.%s", path, key);
    if (!v)
        return optional ? SS_ERR_OK : bad(c, where, "is missing");
    if (!json_is_string(v))
        return bad(c, where, "must be a string");
    *out = json_string_value(v);
    return SS_ERR_OK;
}

/* An optional true/false member. */
static enum ss_err
get_bool(struct ctx *c, json_t *obj, const char *key, const char *path, bool *out)
{
    char where[512];
    json_t *v = json_object_get(obj, key);

    *out = false;
    if (!v)
        return SS_ERR_OK;
    if (!json_is_boolean(v)) {
        snprintf(where, sizeof(where), "%s.%s", path, key);
        return bad(c, where, "must be true or false");
    }
    *out = json_is_true(v);
    return SS_ERR_OK;
}

/* An optional object member: *out NULL when absent. */
static enum ss_err
get_object(struct ctx *c, json_t *obj, const char *key, const char *path, json_t **out)
{
    char where[512];
    json_t *v = json_object_get(obj, key);

    *out = NULL;
    if (!v)
        return SS_ERR_OK;
    if (!json_is_object(v)) {
        snprintf(where, sizeof(where), "%s.%s", path, key);
        return bad(c, where, "must be an object {...}");
    }
    *out = v;
    return SS_ERR_OK;
}

/* An optional array member: *out NULL and *n 0 when absent. */
static enum ss_err
get_array(struct ctx *c, json_t *obj, const char *key, const char *path, json_t **out, size_t *n)
{
    char where[512];
    json_t *v = json_object_get(obj, key);

    *out = NULL;
    *n = 0;
    if (!v)
        return SS_ERR_OK;
    if (!json_is_array(v)) {
        snprintf(where, sizeof(where), "%s.%s", path, key);
        return bad(c, where, "must be a list [...]");
    }
    *out = v;
    *n = json_array_size(v);
    return SS_ERR_OK;
}

static enum ss_err
get_strings(struct ctx *c, json_t *arr, const char *path, const char ***out, size_t n)
{
    char where[512];
    *out = NULL;
    if (n == 0)
        return SS_ERR_OK;
    *out = calloc(n, sizeof(**out));
    if (!*out)
        return nomem(c);
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(arr, i);
        if (!json_is_string(v)) {
            snprintf(where, sizeof(where), "%s[%zu]", path, i);
            return bad(c, where, "must be a string");
        }
        (*out)[i] = json_string_value(v);
    }
    return SS_ERR_OK;
}

static enum ss_err
load_slot(struct ctx *c, json_t *so, const char *sp, struct model_slot *slot)
{
    json_t *samples;
    size_t n;
    char where[400];
    enum ss_err rc;

    if (!json_is_object(so))
        return bad(c, sp, "must be an object {\"name\": ..., \"type\": ...}");
    if ((rc = get_string(c, so, "name", sp, 0, &slot->name)) != SS_ERR_OK ||
        (rc = get_string(c, so, "type", sp, 0, &slot->type)) != SS_ERR_OK ||
        (rc = get_array(c, so, "samples", sp, &samples, &n)) != SS_ERR_OK)
        return rc;
    snprintf(where, sizeof(where), "%s.samples", sp);
    if ((rc = get_strings(c, samples, where, &slot->samples, n)) != SS_ERR_OK)
        return rc;
    slot->sample_count = n;
    return SS_ERR_OK;
}

static enum ss_err
load_intents(struct ctx *c, struct model *m, json_t *lm)
{
    json_t *arr, *slots, *samples;
    size_t n, ns, nu;
    char path[256];
    enum ss_err rc;

    rc = get_array(c, lm, "intents", "interactionModel.languageModel", &arr, &n);
    if (rc != SS_ERR_OK)
        return rc;
    if (!arr)
        return bad(c, "interactionModel.languageModel.intents", "is missing");
    m->intents = n ? calloc(n, sizeof(*m->intents)) : NULL;
    if (n && !m->intents)
        return nomem(c);
    m->intent_count = n;
    for (size_t i = 0; i < n; i++) {
        struct model_intent *in = &m->intents[i];
        json_t *o = json_array_get(arr, i);
        snprintf(path, sizeof(path), "interactionModel.languageModel.intents[%zu]", i);
        if (!json_is_object(o))
            return bad(c, path, "must be an object {\"name\": ...}");
        if ((rc = get_string(c, o, "name", path, 0, &in->name)) != SS_ERR_OK ||
            (rc = get_array(c, o, "slots", path, &slots, &ns)) != SS_ERR_OK ||
            (rc = get_array(c, o, "samples", path, &samples, &nu)) != SS_ERR_OK)
            return rc;
        char sp[300];
        snprintf(sp, sizeof(sp), "%s.samples", path);
        if ((rc = get_strings(c, samples, sp, &in->samples, nu)) != SS_ERR_OK)
            return rc;
        in->sample_count = nu;
        in->slots = ns ? calloc(ns, sizeof(*in->slots)) : NULL;
        if (ns && !in->slots)
            return nomem(c);
        in->slot_count = ns;
        for (size_t k = 0; k < ns; k++) {
            snprintf(sp, sizeof(sp), "%s.slots[%zu]", path, k);
            if ((rc = load_slot(c, json_array_get(slots, k), sp, &in->slots[k])) != SS_ERR_OK)
                return rc;
        }
    }
    return SS_ERR_OK;
}

/* The normalised forms of a value and its synonyms, in one block: the
 * pointers first, then the texts (a normalised text is never longer than the
 * text itself). */
static enum ss_err
make_keys(struct ctx *c, struct model_value *v)
{
    size_t n = 1 + v->synonym_count, bytes = n * sizeof(char *);
    for (size_t i = 0; i < n; i++)
        bytes += strlen(i ? v->synonyms[i - 1] : v->value) + 1;
    v->keys = malloc(bytes);
    if (!v->keys)
        return nomem(c);
    char *text = (char *)(v->keys + n);
    for (size_t i = 0; i < n; i++) {
        const char *from = i ? v->synonyms[i - 1] : v->value;
        size_t cap = strlen(from) + 1;
        v->keys[i] = text;
        if (model_normalise(from, text, cap) >= cap)
            text[0] = '\0';
        text += cap;
    }
    return SS_ERR_OK;
}

static enum ss_err
load_types(struct ctx *c, struct model *m, json_t *lm)
{
    json_t *arr, *values, *syn;
    size_t n, nv, nsyn;
    char path[256], vp[300], sp[320];
    enum ss_err rc;

    rc = get_array(c, lm, "types", "interactionModel.languageModel", &arr, &n);
    if (rc != SS_ERR_OK || n == 0)
        return rc;
    m->types = calloc(n, sizeof(*m->types));
    if (!m->types)
        return nomem(c);
    m->type_count = n;
    for (size_t i = 0; i < n; i++) {
        struct model_type *t = &m->types[i];
        json_t *o = json_array_get(arr, i);
        snprintf(path, sizeof(path), "interactionModel.languageModel.types[%zu]", i);
        if (!json_is_object(o))
            return bad(c, path, "must be an object {\"name\": ..., \"values\": [...]}");
        if ((rc = get_string(c, o, "name", path, 0, &t->name)) != SS_ERR_OK ||
            (rc = get_array(c, o, "values", path, &values, &nv)) != SS_ERR_OK)
            return rc;
        t->value_supplier = json_object_get(o, "valueSupplier") != NULL;
        t->values = nv ? calloc(nv, sizeof(*t->values)) : NULL;
        if (nv && !t->values)
            return nomem(c);
        t->value_count = nv;
        for (size_t k = 0; k < nv; k++) {
            struct model_value *v = &t->values[k];
            json_t *vo = json_array_get(values, k), *name;
            snprintf(vp, sizeof(vp), "%s.values[%zu]", path, k);
            if (!json_is_object(vo))
                return bad(c, vp, "must be an object {\"name\": {\"value\": ...}}");
            if ((rc = get_string(c, vo, "id", vp, 1, &v->id)) != SS_ERR_OK)
                return rc;
            name = json_object_get(vo, "name");
            snprintf(sp, sizeof(sp), "%s.name", vp);
            if (!json_is_object(name))
                return bad(c, sp, "must be an object {\"value\": ..., \"synonyms\": [...]}");
            if ((rc = get_string(c, name, "value", sp, 0, &v->value)) != SS_ERR_OK ||
                (rc = get_array(c, name, "synonyms", sp, &syn, &nsyn)) != SS_ERR_OK)
                return rc;
            char synp[340];
            snprintf(synp, sizeof(synp), "%s.synonyms", sp);
            if ((rc = get_strings(c, syn, synp, &v->synonyms, nsyn)) != SS_ERR_OK)
                return rc;
            v->synonym_count = nsyn;
            if ((rc = make_keys(c, v)) != SS_ERR_OK)
                return rc;
        }
    }
    return SS_ERR_OK;
}

/* interactionModel.prompts: [{"id", "variations": [{"type", "value"}]}]. */
static enum ss_err
load_prompts(struct ctx *c, struct model *m, json_t *im)
{
    json_t *arr, *vars;
    size_t n, nv;
    char path[128], vp[200];
    enum ss_err rc;

    rc = get_array(c, im, "prompts", "interactionModel", &arr, &n);
    if (rc != SS_ERR_OK || n == 0)
        return rc;
    m->prompts = calloc(n, sizeof(*m->prompts));
    if (!m->prompts)
        return nomem(c);
    m->prompt_count = n;
    for (size_t i = 0; i < n; i++) {
        struct model_prompt *p = &m->prompts[i];
        json_t *o = json_array_get(arr, i);
        snprintf(path, sizeof(path), "interactionModel.prompts[%zu]", i);
        if (!json_is_object(o))
            return bad(c, path, "must be an object {\"id\": ..., \"variations\": [...]}");
        if ((rc = get_string(c, o, "id", path, 0, &p->id)) != SS_ERR_OK ||
            (rc = get_array(c, o, "variations", path, &vars, &nv)) != SS_ERR_OK)
            return rc;
        if (nv) {
            p->variations = calloc(nv, sizeof(*p->variations));
            p->ssml = calloc(nv, sizeof(*p->ssml));
            if (!p->variations || !p->ssml)
                return nomem(c);
        }
        p->variation_count = nv;
        for (size_t k = 0; k < nv; k++) {
            json_t *vo = json_array_get(vars, k);
            const char *type;
            snprintf(vp, sizeof(vp), "%s.variations[%zu]", path, k);
            if (!json_is_object(vo))
                return bad(c, vp, "must be an object {\"type\": \"PlainText\", \"value\": ...}");
            if ((rc = get_string(c, vo, "type", vp, 0, &type)) != SS_ERR_OK ||
                (rc = get_string(c, vo, "value", vp, 0, &p->variations[k])) != SS_ERR_OK)
                return rc;
            if (strcmp(type, "SSML") == 0)
                p->ssml[k] = true;
            else if (strcmp(type, "PlainText") != 0) {
                char where[240];
                snprintf(where, sizeof(where), "%s.type", vp);
                return bad(c, where, "must be \"PlainText\" or \"SSML\"");
            }
        }
    }
    return SS_ERR_OK;
}

/* The prompts object of a dialog intent or slot: {"elicitation": id, ...}. */
static enum ss_err
get_prompt_ids(struct ctx *c, json_t *o, const char *path, const char **elicit,
               const char **confirm)
{
    json_t *prompts;
    char pp[300];
    enum ss_err rc = get_object(c, o, "prompts", path, &prompts);

    if (rc != SS_ERR_OK || !prompts)
        return rc;
    snprintf(pp, sizeof(pp), "%s.prompts", path);
    if (elicit && (rc = get_string(c, prompts, "elicitation", pp, 1, elicit)) != SS_ERR_OK)
        return rc;
    return get_string(c, prompts, "confirmation", pp, 1, confirm);
}

/* interactionModel.dialog: which slots Alexa elicits and confirms. Names the
 * language model lacks are left for model_check() to report. */
static enum ss_err
load_dialog(struct ctx *c, struct model *m, json_t *im)
{
    json_t *dialog, *arr, *slots;
    size_t n, ns;
    char path[128], sp[200];
    enum ss_err rc;

    if ((rc = get_object(c, im, "dialog", "interactionModel", &dialog)) != SS_ERR_OK || !dialog)
        return rc;
    m->dialog = true;
    if ((rc = get_string(c, dialog, "delegationStrategy", "interactionModel.dialog", 1,
                         &m->delegation_strategy)) != SS_ERR_OK ||
        (rc = get_array(c, dialog, "intents", "interactionModel.dialog", &arr, &n)) != SS_ERR_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_array_get(arr, i);
        const char *name;
        bool confirm;
        const char *confirm_prompt = NULL;
        snprintf(path, sizeof(path), "interactionModel.dialog.intents[%zu]", i);
        if (!json_is_object(o))
            return bad(c, path, "must be an object {\"name\": ..., \"slots\": [...]}");
        if ((rc = get_string(c, o, "name", path, 0, &name)) != SS_ERR_OK ||
            (rc = get_bool(c, o, "confirmationRequired", path, &confirm)) != SS_ERR_OK ||
            (rc = get_prompt_ids(c, o, path, NULL, &confirm_prompt)) != SS_ERR_OK ||
            (rc = get_array(c, o, "slots", path, &slots, &ns)) != SS_ERR_OK)
            return rc;
        struct model_intent *in = (struct model_intent *)model_intent(m, name);
        if (in) {
            in->dialog = true;
            in->confirmation_required = confirm;
            in->confirmation_prompt = confirm_prompt;
        }
        for (size_t k = 0; k < ns; k++) {
            json_t *so = json_array_get(slots, k);
            const char *slot_name, *elicit = NULL, *confirm_id = NULL;
            bool er, cr;
            snprintf(sp, sizeof(sp), "%s.slots[%zu]", path, k);
            if (!json_is_object(so))
                return bad(c, sp, "must be an object {\"name\": ..., \"type\": ...}");
            if ((rc = get_string(c, so, "name", sp, 0, &slot_name)) != SS_ERR_OK ||
                (rc = get_bool(c, so, "elicitationRequired", sp, &er)) != SS_ERR_OK ||
                (rc = get_bool(c, so, "confirmationRequired", sp, &cr)) != SS_ERR_OK ||
                (rc = get_prompt_ids(c, so, sp, &elicit, &confirm_id)) != SS_ERR_OK)
                return rc;
            struct model_slot *slot = (struct model_slot *)model_intent_slot(in, slot_name);
            if (slot) {
                slot->elicitation_required = er;
                slot->confirmation_required = cr;
                slot->elicitation_prompt = elicit;
                slot->confirmation_prompt = confirm_id;
            }
        }
    }
    return SS_ERR_OK;
}

enum ss_err
model_parse(const char *name, const char *text, size_t len, struct model **out,
            struct ss_error *err)
{
    struct ctx c = {name, err};
    json_error_t jerr;
    struct model *m = calloc(1, sizeof(*m));
    json_t *im, *lm;
    enum ss_err rc;

    *out = NULL;
    if (!m)
        return ss_fail(err, SS_ERR_NOMEM, "out of memory");
    m->file = strdup(name);
    if (!m->file) {
        rc = nomem(&c);
        goto fail;
    }
    m->root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!m->root) {
        rc = ss_fail(err, SS_ERR_SKILL_CONFIG, "%s:%d:%d: %s", name, jerr.line, jerr.column,
                     jerr.text);
        goto fail;
    }
    im = json_object_get(m->root, "interactionModel");
    lm = json_object_get(im, "languageModel");
    if (!json_is_object(lm)) {
        rc = bad(&c, "interactionModel.languageModel", "is missing or not an object");
        goto fail;
    }
    if ((rc = get_string(&c, lm, "invocationName", "interactionModel.languageModel", 0,
                         &m->invocation_name)) != SS_ERR_OK ||
        (rc = load_intents(&c, m, lm)) != SS_ERR_OK || (rc = load_types(&c, m, lm)) != SS_ERR_OK ||
        (rc = load_prompts(&c, m, im)) != SS_ERR_OK || (rc = load_dialog(&c, m, im)) != SS_ERR_OK)
        goto fail;
    *out = m;
    return SS_ERR_OK;
fail:
    model_destroy(m);
    return rc;
}

enum ss_err
model_load(const char *path, struct model **out, struct ss_error *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long size;
    enum ss_err rc;

    *out = NULL;
    if (!f)
        return ss_fail(err, SS_ERR_SKILL_CONFIG, "cannot open %s", path);
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return ss_fail(err, SS_ERR_IO, "cannot read %s", path);
    }
    if (size > LIMIT_MODEL_BYTES) {
        fclose(f);
        return ss_fail(err, SS_ERR_SKILL_CONFIG, "%s is larger than %d bytes", path,
                       LIMIT_MODEL_BYTES);
    }
    buf = malloc((size_t)size + 1);
    if (!buf) {
        fclose(f);
        return ss_fail(err, SS_ERR_NOMEM, "out of memory");
    }
    if (fread(buf, 1, (size_t)size, f) != (size_t)size)
        rc = ss_fail(err, SS_ERR_IO, "cannot read %s", path);
    else
        rc = model_parse(path, buf, (size_t)size, out, err);
    fclose(f);
    free(buf);
    return rc;
}

void
model_destroy(struct model *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->intent_count; i++) {
        for (size_t k = 0; k < m->intents[i].slot_count; k++)
            free(m->intents[i].slots[k].samples);
        free(m->intents[i].slots);
        free(m->intents[i].samples);
    }
    for (size_t i = 0; i < m->type_count; i++) {
        for (size_t k = 0; k < m->types[i].value_count; k++) {
            free(m->types[i].values[k].synonyms);
            free(m->types[i].values[k].keys);
        }
        free(m->types[i].values);
    }
    for (size_t i = 0; i < m->prompt_count; i++) {
        free(m->prompts[i].variations);
        free(m->prompts[i].ssml);
    }
    free(m->intents);
    free(m->types);
    free(m->prompts);
    free(m->file);
    json_decref(m->root);
    free(m);
}

const struct model_intent *
model_intent(const struct model *m, const char *name)
{
    for (size_t i = 0; m && name && i < m->intent_count; i++)
        if (strcmp(m->intents[i].name, name) == 0)
            return &m->intents[i];
    return NULL;
}

const struct model_slot *
model_intent_slot(const struct model_intent *in, const char *name)
{
    for (size_t i = 0; in && name && i < in->slot_count; i++)
        if (strcmp(in->slots[i].name, name) == 0)
            return &in->slots[i];
    return NULL;
}

const struct model_type *
model_type(const struct model *m, const char *name)
{
    for (size_t i = 0; m && name && i < m->type_count; i++)
        if (strcmp(m->types[i].name, name) == 0)
            return &m->types[i];
    return NULL;
}

const struct model_prompt *
model_prompt(const struct model *m, const char *id)
{
    for (size_t i = 0; m && id && i < m->prompt_count; i++)
        if (strcmp(m->prompts[i].id, id) == 0)
            return &m->prompts[i];
    return NULL;
}

size_t
model_type_matches(const struct model_type *t, const char *text, const struct model_value **out,
                   size_t cap)
{
    char key[LIMIT_MODEL_TEXT_CHARS];
    size_t n = 0;

    if (!t || !text || model_normalise(text, key, sizeof(key)) >= sizeof(key) || !key[0])
        return 0;
    for (size_t i = 0; i < t->value_count && n < cap; i++) {
        const struct model_value *v = &t->values[i];
        bool hit = false;
        for (size_t k = 0; !hit && k <= v->synonym_count; k++)
            hit = strcmp(v->keys[k], key) == 0;
        if (hit)
            out[n++] = v;
    }
    return n;
}

const struct model_value *
model_type_match(const struct model_type *t, const char *text)
{
    const struct model_value *v = NULL;
    return model_type_matches(t, text, &v, 1) ? v : NULL;
}

/* ---- Text normalisation ---- */

static int
tolower_ascii(int ch)
{
    return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

static bool
is_digit(int ch)
{
    return ch >= '0' && ch <= '9';
}

static bool
is_alpha(int ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

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
        if (is_alpha(p[i])) {
            word[n++] = (char)tolower_ascii(p[i]);
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
    if (is_alpha(p[i]) || p[i] == '\'' || p[i] >= 0x80 || is_digit(p[i]))
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
        if (is_alpha(ch) && (p == (const unsigned char *)text || !is_alpha(p[-1])) &&
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
        bool keep = is_alpha(ch) || is_digit(ch) || ch >= 0x80;
        if (!keep && (ch == '-' || ch == ':' || ch == '.') && n > 0 && !space && n - 1 < cap &&
            is_digit((unsigned char)out[n - 1]) && is_digit(p[1]))
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
            int ca = tolower_ascii(a[i - 1]), cb = tolower_ascii(b[j - 1]);
            int cost = ca == cb ? 0 : 1;
            int best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            if (prev[j - 1] + cost < best)
                best = prev[j - 1] + cost;
            if (i > 1 && j > 1 && ca == tolower_ascii(b[j - 2]) && tolower_ascii(a[i - 2]) == cb &&
                prev2[j - 2] + 1 < best)
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

/* ---- Alexa's built-ins ---- */

#define PHRASES(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Phrases per spec §7 and what Alexa understands for each built-in intent
 * out of the box; a model's own samples for a built-in add to these. */
static const struct model_builtin_intent builtin_intents[] = {
    {"AMAZON.CancelIntent", true,
     PHRASES("cancel", "never mind", "nevermind", "forget it", "cancel that")},
    {"AMAZON.HelpIntent", true,
     PHRASES("help", "help me", "what can i say", "what can i do", "what can you do",
             "how does this work", "i need help", "what do i do")},
    {"AMAZON.StopIntent", true,
     PHRASES("stop", "off", "shut up", "be quiet", "stop it", "enough", "that is enough")},
    {"AMAZON.NavigateHomeIntent", true, PHRASES("go home", "go to home", "home")},
    {"AMAZON.FallbackIntent", false, PHRASES(NULL)},
    {"AMAZON.YesIntent", false,
     PHRASES("yes", "yeah", "yep", "yup", "sure", "ok", "okay", "yes please", "of course")},
    {"AMAZON.NoIntent", false,
     PHRASES("no", "nope", "nah", "no thanks", "no thank you", "not now")},
    {"AMAZON.StartOverIntent", false,
     PHRASES("start over", "restart", "start again", "begin again")},
    {"AMAZON.RepeatIntent", false,
     PHRASES("repeat", "repeat that", "say that again", "what did you say")},
    {"AMAZON.NextIntent", false, PHRASES("next", "skip", "next one")},
    {"AMAZON.PreviousIntent", false, PHRASES("previous", "go back", "back")},
    {"AMAZON.PauseIntent", false, PHRASES("pause", "pause it")},
    {"AMAZON.ResumeIntent", false, PHRASES("resume", "continue", "keep going")},
    {"AMAZON.MoreIntent", false, PHRASES("more", "show more", "tell me more")},
    {"AMAZON.LoopOnIntent", false, PHRASES("loop on", "loop", "turn on loop")},
    {"AMAZON.LoopOffIntent", false, PHRASES("loop off", "turn off loop", "stop looping")},
    {"AMAZON.ShuffleOnIntent", false, PHRASES("shuffle", "shuffle on", "turn on shuffle")},
    {"AMAZON.ShuffleOffIntent", false,
     PHRASES("shuffle off", "turn off shuffle", "stop shuffling")},
    {"AMAZON.NavigateSettingsIntent", false, PHRASES("settings", "go to settings")},
    {"AMAZON.PageUpIntent", false, PHRASES("page up")},
    {"AMAZON.PageDownIntent", false, PHRASES("page down")},
    {"AMAZON.ScrollUpIntent", false, PHRASES("scroll up")},
    {"AMAZON.ScrollDownIntent", false, PHRASES("scroll down")},
    {"AMAZON.ScrollLeftIntent", false, PHRASES("scroll left")},
    {"AMAZON.ScrollRightIntent", false, PHRASES("scroll right")},
    {"AMAZON.SelectIntent", false, PHRASES("select this", "choose this")},
    {"AMAZON.SendToPhoneIntent", false, PHRASES("send it to my phone", "send to my phone")},
};

const struct model_builtin_intent *
model_builtin_intent(const char *name)
{
    for (size_t i = 0; name && i < sizeof(builtin_intents) / sizeof(builtin_intents[0]); i++)
        if (strcmp(builtin_intents[i].name, name) == 0)
            return &builtin_intents[i];
    return NULL;
}

/* The built-in slot types skill authors use most; Amazon has more catalog
 * types, which model_check() only warns about. */
static const struct model_builtin_type builtin_types[] = {
    {"AMAZON.NUMBER", MODEL_BUILTIN_NUMBER},
    {"AMAZON.Ordinal", MODEL_BUILTIN_ORDINAL},
    {"AMAZON.FOUR_DIGIT_NUMBER", MODEL_BUILTIN_FOUR_DIGIT},
    {"AMAZON.PhoneNumber", MODEL_BUILTIN_PHONE},
    {"AMAZON.DATE", MODEL_BUILTIN_DATE},
    {"AMAZON.TIME", MODEL_BUILTIN_TIME},
    {"AMAZON.DURATION", MODEL_BUILTIN_DURATION},
    {"AMAZON.FirstName", MODEL_BUILTIN_FIRST_NAME},
    {"AMAZON.US_FIRST_NAME", MODEL_BUILTIN_FIRST_NAME},
    {"AMAZON.DayOfWeek", MODEL_BUILTIN_DAY_OF_WEEK},
    {"AMAZON.Month", MODEL_BUILTIN_MONTH},
    {"AMAZON.Color", MODEL_BUILTIN_COLOR},
    {"AMAZON.SearchQuery", MODEL_BUILTIN_WORDS},
    {"AMAZON.Actor", MODEL_BUILTIN_WORDS},
    {"AMAZON.AdministrativeArea", MODEL_BUILTIN_WORDS},
    {"AMAZON.Airline", MODEL_BUILTIN_WORDS},
    {"AMAZON.Airport", MODEL_BUILTIN_WORDS},
    {"AMAZON.Animal", MODEL_BUILTIN_WORDS},
    {"AMAZON.Artist", MODEL_BUILTIN_WORDS},
    {"AMAZON.Author", MODEL_BUILTIN_WORDS},
    {"AMAZON.Book", MODEL_BUILTIN_WORDS},
    {"AMAZON.BookSeries", MODEL_BUILTIN_WORDS},
    {"AMAZON.Character", MODEL_BUILTIN_WORDS},
    {"AMAZON.City", MODEL_BUILTIN_WORDS},
    {"AMAZON.Corporation", MODEL_BUILTIN_WORDS},
    {"AMAZON.Country", MODEL_BUILTIN_WORDS},
    {"AMAZON.Dessert", MODEL_BUILTIN_WORDS},
    {"AMAZON.Director", MODEL_BUILTIN_WORDS},
    {"AMAZON.EducationalOrganization", MODEL_BUILTIN_WORDS},
    {"AMAZON.EventType", MODEL_BUILTIN_WORDS},
    {"AMAZON.FictionalCharacter", MODEL_BUILTIN_WORDS},
    {"AMAZON.Food", MODEL_BUILTIN_WORDS},
    {"AMAZON.Game", MODEL_BUILTIN_WORDS},
    {"AMAZON.Genre", MODEL_BUILTIN_WORDS},
    {"AMAZON.Landmark", MODEL_BUILTIN_WORDS},
    {"AMAZON.Language", MODEL_BUILTIN_WORDS},
    {"AMAZON.LocalBusiness", MODEL_BUILTIN_WORDS},
    {"AMAZON.LocalBusinessType", MODEL_BUILTIN_WORDS},
    {"AMAZON.Movie", MODEL_BUILTIN_WORDS},
    {"AMAZON.MovieSeries", MODEL_BUILTIN_WORDS},
    {"AMAZON.MusicAlbum", MODEL_BUILTIN_WORDS},
    {"AMAZON.MusicGroup", MODEL_BUILTIN_WORDS},
    {"AMAZON.Musician", MODEL_BUILTIN_WORDS},
    {"AMAZON.MusicPlaylist", MODEL_BUILTIN_WORDS},
    {"AMAZON.MusicRecording", MODEL_BUILTIN_WORDS},
    {"AMAZON.MusicVenue", MODEL_BUILTIN_WORDS},
    {"AMAZON.Person", MODEL_BUILTIN_WORDS},
    {"AMAZON.PostalAddress", MODEL_BUILTIN_WORDS},
    {"AMAZON.Professional", MODEL_BUILTIN_WORDS},
    {"AMAZON.Region", MODEL_BUILTIN_WORDS},
    {"AMAZON.Room", MODEL_BUILTIN_WORDS},
    {"AMAZON.SocialMediaPlatform", MODEL_BUILTIN_WORDS},
    {"AMAZON.SoftwareApplication", MODEL_BUILTIN_WORDS},
    {"AMAZON.SoftwareGame", MODEL_BUILTIN_WORDS},
    {"AMAZON.Sport", MODEL_BUILTIN_WORDS},
    {"AMAZON.SportsEvent", MODEL_BUILTIN_WORDS},
    {"AMAZON.SportsTeam", MODEL_BUILTIN_WORDS},
    {"AMAZON.StreetName", MODEL_BUILTIN_WORDS},
    {"AMAZON.StreetAddress", MODEL_BUILTIN_WORDS},
    {"AMAZON.TVEpisode", MODEL_BUILTIN_WORDS},
    {"AMAZON.TVSeason", MODEL_BUILTIN_WORDS},
    {"AMAZON.TVSeries", MODEL_BUILTIN_WORDS},
    {"AMAZON.US_CITY", MODEL_BUILTIN_WORDS},
    {"AMAZON.US_STATE", MODEL_BUILTIN_WORDS},
    {"AMAZON.VideoGame", MODEL_BUILTIN_WORDS},
    {"AMAZON.WeatherCondition", MODEL_BUILTIN_WORDS},
    {"AMAZON.Anaphor", MODEL_BUILTIN_WORDS},
};

const struct model_builtin_type *
model_builtin_type(const char *name)
{
    for (size_t i = 0; name && i < sizeof(builtin_types) / sizeof(builtin_types[0]); i++)
        if (strcmp(builtin_types[i].name, name) == 0)
            return &builtin_types[i];
    return NULL;
}

/* ---- Checks ---- */

__attribute__((format(printf, 4, 5))) static void
report_add(struct model_report *r, enum model_severity severity, const char *path, const char *fmt,
           ...)
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
        if (!is_alpha(*p) && *p != '_')
            return *p;
    return 0;
}

/* How to show a character in a message. */
static const char *
show_char(int ch, char buf[16])
{
    if (ch == ' ')
        return "a space";
    if (ch < 0x20 || ch >= 0x7f)
        snprintf(buf, 16, "byte 0x%02x", (unsigned)ch & 0xff);
    else
        snprintf(buf, 16, "'%c'", ch);
    return buf;
}

static const char *const launch_words[] = {"ask",   "open",   "launch", "tell", "load",
                                           "begin", "enable", "start",  NULL};
static const char *const wake_words[] = {"alexa", "amazon", "echo", "computer",
                                         "skill", "app",    NULL};
static const char *const small_words[] = {"a",  "an", "the", "for",  "to",   "of", "on",
                                          "in", "at", "by",  "with", "from", NULL};

static bool
in_list(const char *const *list, const char *word, size_t len)
{
    for (; *list; list++)
        if (strlen(*list) == len && strncmp(*list, word, len) == 0)
            return true;
    return false;
}

static void
check_invocation(const struct model *m, struct model_report *r)
{
    static const char path[] = "interactionModel.languageModel.invocationName";
    const char *name = m->invocation_name;
    char norm[LIMIT_MODEL_TEXT_CHARS], cb[16];
    size_t words = 0;
    const char *small = NULL;
    size_t small_len = 0;

    if (model_normalise(name, norm, sizeof(norm)) >= sizeof(norm)) {
        report_add(r, MODEL_ERROR, path,
                   "is too long: use two to four words people say to "
                   "open the skill");
        return;
    }
    if (!norm[0]) {
        report_add(r, MODEL_ERROR, path,
                   "is empty: give the skill two or more words people "
                   "say to open it, such as \"thank you\"");
        return;
    }
    /* Each kind of wrong character once, so a name with several mistakes
     * gets all of them in one go. */
    bool upper = false, digit = false, other = false;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (*p >= 'A' && *p <= 'Z' && !upper) {
            upper = true;
            report_add(r, MODEL_ERROR, path, "must be lower case: write \"%s\", not \"%s\"", norm,
                       name);
        } else if (is_digit(*p) && !digit) {
            digit = true;
            report_add(r, MODEL_ERROR, path,
                       "has the digit '%c': write numbers as words "
                       "(\"two\", not \"2\")",
                       *p);
        } else if (!is_alpha(*p) && !is_digit(*p) && *p < 0x80 && *p != ' ' && *p != '\'' &&
                   *p != '.' && !other) {
            other = true;
            report_add(r, MODEL_ERROR, path,
                       "has %s: an invocation name may only have "
                       "letters, spaces, apostrophes and periods",
                       show_char(*p, cb));
        }
    }
    for (const char *w = norm; *w;) {
        size_t len = strcspn(w, " ");
        words++;
        if (in_list(launch_words, w, len))
            report_add(r, MODEL_ERROR, path,
                       "has the word \"%.*s\": Alexa uses it to start "
                       "skills (\"open ...\", \"ask ... to\"), so it cannot be part of a name",
                       (int)len, w);
        else if (in_list(wake_words, w, len))
            report_add(r, MODEL_ERROR, path,
                       "has the word \"%.*s\", which Amazon does not "
                       "allow in invocation names",
                       (int)len, w);
        else if (in_list(small_words, w, len) && !small) {
            small = w;
            small_len = len;
        }
        w += len;
        while (*w == ' ')
            w++;
    }
    if (words == 1)
        report_add(r, MODEL_WARNING, path,
                   "is one word; Amazon allows that only for brand "
                   "names: use two or more words, such as \"%s game\"",
                   norm);
    else if (words == 2 && small)
        report_add(r, MODEL_WARNING, path,
                   "is two words and one of them is \"%.*s\"; Amazon "
                   "wants two real words, or more words",
                   (int)small_len, small);
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
        else if (is_digit(*p)) {
            report_add(r, MODEL_ERROR, path,
                       "\"%s\" has the digit '%c': Alexa wants numbers "
                       "written as words (\"two\", not \"2\")",
                       sample, *p);
            return;
        } else if (!is_alpha(*p) && *p < 0x80 && !strchr(" ._'-", *p)) {
            report_add(r, MODEL_ERROR, path,
                       "\"%s\" has %s: samples may only have letters, "
                       "spaces, apostrophes, periods, hyphens and {slots}",
                       sample, show_char(*p, cb));
            return;
        }
    }
    int n = model_sample_split(sample, buf, sizeof(buf), tokens, LIMIT_MATCHER_WORDS);
    if (n == -1) {
        report_add(r, MODEL_ERROR, path,
                   "\"%s\" has a { or } that does not pair up: a slot "
                   "is written {name}",
                   sample);
        return;
    }
    if (n < 0) {
        report_add(r, MODEL_ERROR, path, "\"%s\" is too long (at most %d words)", sample,
                   LIMIT_MATCHER_WORDS);
        return;
    }
    if (n == 0) {
        report_add(r, MODEL_ERROR, path, "is empty: write what people say");
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
                report_add(r, MODEL_ERROR, path,
                           "\"%s\" uses {%s}, but %s has no slots: add "
                           "{\"name\": \"%s\", \"type\": ...} to its slots",
                           sample, tokens[i].text, in->name, tokens[i].text);
            else
                report_add(
                    r, MODEL_ERROR, path,
                    "\"%s\" uses {%s}, but %s has no slot called "
                    "%s%s",
                    sample, tokens[i].text, in->name, tokens[i].text,
                    did_you_mean(tokens[i].text, names, slot_names, hint, sizeof(hint), "{", "}"));
            continue;
        }
        for (int k = 0; k < i; k++)
            if (tokens[k].slot && strcmp(tokens[k].text, tokens[i].text) == 0) {
                report_add(r, MODEL_ERROR, path,
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
            report_add(r, MODEL_ERROR, path,
                       "\"%s\" is the same as samples[%zu] of %s: each "
                       "utterance may appear only once",
                       m->intents[d[k].a].samples[d[k].b], d[f].b, first->name);
        else
            report_add(r, MODEL_ERROR, path,
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
    for (size_t i = 0;
         i < sizeof(builtin_types) / sizeof(builtin_types[0]) && n < LIMIT_MODEL_SUGGEST; i++)
        names[n++] = builtin_types[i].name;
    const char *suggest = did_you_mean(slot->type, names, n, hint, sizeof(hint), "", "");
    if (strncmp(slot->type, "AMAZON.", 7) == 0)
        report_add(r, MODEL_WARNING, path,
                   "%s is not a built-in slot type skillserver knows%s; "
                   "its slot is filled with whatever words are said",
                   slot->type, suggest);
    else
        report_add(r, MODEL_ERROR, path,
                   "the slot type %s is not defined: add it to types, or "
                   "use a built-in type such as AMAZON.NUMBER or AMAZON.FirstName%s",
                   slot->type, suggest);
}

static void
check_intents(const struct model *m, struct model_report *r)
{
    char path[160], sp[200], hint[200], cb[16];
    const char *builtin_names[sizeof(builtin_intents) / sizeof(builtin_intents[0])];

    for (size_t i = 0; i < sizeof(builtin_intents) / sizeof(builtin_intents[0]); i++)
        builtin_names[i] = builtin_intents[i].name;
    for (size_t i = 0; i < m->intent_count; i++) {
        const struct model_intent *in = &m->intents[i];
        snprintf(path, sizeof(path), "interactionModel.languageModel.intents[%zu].name", i);
        bool builtin = strncmp(in->name, "AMAZON.", 7) == 0;
        int ch;
        if (!in->name[0])
            report_add(r, MODEL_ERROR, path,
                       "is empty: name the intent, such as "
                       "\"ThankYouIntent\"");
        else if (builtin && !model_builtin_intent(in->name))
            report_add(r, MODEL_ERROR, path, "%s is not one of Alexa's built-in intents%s",
                       in->name,
                       did_you_mean(in->name, builtin_names,
                                    sizeof(builtin_names) / sizeof(builtin_names[0]), hint,
                                    sizeof(hint), "", ""));
        else if (!builtin && (ch = bad_name_char(in->name)) != 0)
            report_add(r, MODEL_ERROR, path,
                       "\"%s\" has %s: intent names may only have "
                       "letters and underscores, such as ThankYouIntent",
                       in->name, show_char(ch, cb));
        for (size_t k = 0; k < i; k++)
            if (strcmp(m->intents[k].name, in->name) == 0) {
                report_add(r, MODEL_ERROR, path,
                           "%s is listed twice (also intents[%zu]): "
                           "keep one",
                           in->name, k);
                break;
            }
        if (!builtin && in->sample_count == 0) {
            snprintf(sp, sizeof(sp), "interactionModel.languageModel.intents[%zu].samples", i);
            report_add(r, MODEL_ERROR, sp,
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
                report_add(r, MODEL_ERROR, np, "is empty: name the slot, such as \"name\"");
            else if ((ch = bad_name_char(slot->name)) != 0)
                report_add(r, MODEL_ERROR, np,
                           "\"%s\" has %s: slot names may only have "
                           "letters and underscores",
                           slot->name, show_char(ch, cb));
            for (size_t j = 0; j < k; j++)
                if (strcmp(in->slots[j].name, slot->name) == 0) {
                    report_add(r, MODEL_ERROR, np, "%s has two slots called %s: rename one",
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
                report_add(r, MODEL_WARNING, np,
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
    for (size_t i = 0; i < sizeof(builtin_intents) / sizeof(builtin_intents[0]); i++)
        if (builtin_intents[i].required && !model_intent(m, builtin_intents[i].name))
            report_add(r, MODEL_WARNING, "interactionModel.languageModel.intents",
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
            report_add(r, MODEL_ERROR, path,
                       "has an empty name: name the type, such as "
                       "\"DrinkType\"");
        else if (strncmp(type->name, "AMAZON.", 7) == 0) {
            if (!model_builtin_type(type->name))
                report_add(r, MODEL_WARNING, path,
                           "%s extends a built-in slot type "
                           "skillserver does not know",
                           type->name);
        } else if ((ch = bad_name_char(type->name)) != 0)
            report_add(r, MODEL_ERROR, path,
                       "\"%s\" has %s: slot type names may only have "
                       "letters and underscores",
                       type->name, show_char(ch, cb));
        for (size_t k = 0; k < t; k++)
            if (strcmp(m->types[k].name, type->name) == 0) {
                report_add(r, MODEL_ERROR, path,
                           "%s is defined twice (also types[%zu]): keep "
                           "one",
                           type->name, k);
                break;
            }
        if (type->value_count == 0 && !type->value_supplier)
            report_add(r, MODEL_ERROR, path,
                       "%s has no values: list what people say, such "
                       "as {\"name\": {\"value\": \"flat white\"}}",
                       type->name);
        for (size_t i = 0; i < m->intent_count && !referenced; i++)
            for (size_t k = 0; k < m->intents[i].slot_count && !referenced; k++)
                referenced = strcmp(m->intents[i].slots[k].type, type->name) == 0;
        if (!referenced && type->name[0])
            report_add(r, MODEL_WARNING, path, "no slot uses the type %s", type->name);

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
                        report_add(r, MODEL_ERROR, vp,
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
                    report_add(r, MODEL_WARNING, ip,
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
                report_add(r, MODEL_WARNING, vp, "\"%s\" is listed twice for the value \"%s\"",
                           d[k].key, type->values[d[k].a].value);
            else
                report_add(r, MODEL_WARNING, vp,
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
        report_add(r, MODEL_ERROR, path,
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
            report_add(r, MODEL_ERROR, np, "%s is not an intent of the language model%s", name,
                       did_you_mean(name, names, n, hint, sizeof(hint), "", ""));
            continue;
        }
        snprintf(sp, sizeof(sp), "%s.prompts.confirmation", path);
        check_prompt_ref(m, in->confirmation_prompt, sp, r);
        if (in->confirmation_required && !in->confirmation_prompt)
            report_add(r, MODEL_ERROR, path,
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
                report_add(r, MODEL_ERROR, np,
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
                report_add(r, MODEL_ERROR, sp,
                           "elicitationRequired is true, so it needs "
                           "prompts.elicitation: what Alexa asks to fill {%s}",
                           slot->name);
            if (slot->confirmation_required && !slot->confirmation_prompt)
                report_add(r, MODEL_ERROR, sp,
                           "confirmationRequired is true, so it needs "
                           "prompts.confirmation: what Alexa asks to confirm {%s}",
                           slot->name);
        }
    }
    for (size_t p = 0; p < m->prompt_count; p++)
        if (m->prompts[p].variation_count == 0) {
            snprintf(path, sizeof(path), "interactionModel.prompts[%zu].variations", p);
            report_add(r, MODEL_ERROR, path,
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
    check_invocation(m, r);
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
