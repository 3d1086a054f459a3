/*
 * model.c - loading interaction models (see model.h) and looking things up
 * in a loaded one.
 *
 * Every error names the file and the JSON path of the offending member
 * ("model.json: interactionModel.languageModel.intents[2].slots[0].type must
 * be a string"), because the people who edit these files by hand are often
 * new to JSON. Loading only checks the shape; model_check() (model_lint.c)
 * knows Amazon's rules, so that a model with a mistake still loads and every
 * mistake in it can be reported at once.
 */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
