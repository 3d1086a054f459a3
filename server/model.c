/*
 * model.c - loading interaction models (see model.h).
 *
 * Every error names the file and the JSON path of the offending member
 * ("model.json: interactionModel.languageModel.intents[2].slots[0].type must
 * be a string"), because the people who edit these files by hand are often
 * new to JSON.
 */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct ctx {
    const char *file;
    struct ss_error *err;
};

static enum ss_err
bad(struct ctx *c, const char *path, const char *what)
{
    return ss_fail(c->err, SS_ERR_SKILL_CONFIG, "%s: %s %s", c->file, path, what);
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

/* An optional array member: *out NULL and *n 0 when absent. */
static enum ss_err
get_array(struct ctx *c, json_t *obj, const char *key, const char *path, json_t **out,
          size_t *n)
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
        return ss_fail(c->err, SS_ERR_NOMEM, "out of memory");
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
        return ss_fail(c->err, SS_ERR_NOMEM, "out of memory");
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
            return ss_fail(c->err, SS_ERR_NOMEM, "out of memory");
        in->slot_count = ns;
        for (size_t k = 0; k < ns; k++) {
            json_t *so = json_array_get(slots, k);
            snprintf(sp, sizeof(sp), "%s.slots[%zu]", path, k);
            if (!json_is_object(so))
                return bad(c, sp, "must be an object {\"name\": ..., \"type\": ...}");
            if ((rc = get_string(c, so, "name", sp, 0, &in->slots[k].name)) != SS_ERR_OK ||
                (rc = get_string(c, so, "type", sp, 0, &in->slots[k].type)) != SS_ERR_OK)
                return rc;
        }
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
        return ss_fail(c->err, SS_ERR_NOMEM, "out of memory");
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
        t->values = nv ? calloc(nv, sizeof(*t->values)) : NULL;
        if (nv && !t->values)
            return ss_fail(c->err, SS_ERR_NOMEM, "out of memory");
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
    json_t *lm;
    enum ss_err rc;

    *out = NULL;
    if (!m)
        return ss_fail(err, SS_ERR_NOMEM, "out of memory");
    m->root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!m->root) {
        rc = ss_fail(err, SS_ERR_SKILL_CONFIG, "%s:%d:%d: %s", name, jerr.line, jerr.column,
                     jerr.text);
        goto fail;
    }
    lm = json_object_get(json_object_get(m->root, "interactionModel"), "languageModel");
    if (!json_is_object(lm)) {
        rc = bad(&c, "interactionModel.languageModel", "is missing or not an object");
        goto fail;
    }
    if ((rc = get_string(&c, lm, "invocationName", "interactionModel.languageModel", 0,
                         &m->invocation_name)) != SS_ERR_OK ||
        (rc = load_intents(&c, m, lm)) != SS_ERR_OK || (rc = load_types(&c, m, lm)) != SS_ERR_OK)
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
        free(m->intents[i].slots);
        free(m->intents[i].samples);
    }
    for (size_t i = 0; i < m->type_count; i++) {
        for (size_t k = 0; k < m->types[i].value_count; k++)
            free(m->types[i].values[k].synonyms);
        free(m->types[i].values);
    }
    free(m->intents);
    free(m->types);
    json_decref(m->root);
    free(m);
}

const struct model_intent *
model_intent(const struct model *m, const char *name)
{
    for (size_t i = 0; m && i < m->intent_count; i++)
        if (strcmp(m->intents[i].name, name) == 0)
            return &m->intents[i];
    return NULL;
}

const struct model_slot *
model_intent_slot(const struct model_intent *in, const char *name)
{
    for (size_t i = 0; in && i < in->slot_count; i++)
        if (strcmp(in->slots[i].name, name) == 0)
            return &in->slots[i];
    return NULL;
}

const struct model_type *
model_type(const struct model *m, const char *name)
{
    for (size_t i = 0; m && i < m->type_count; i++)
        if (strcmp(m->types[i].name, name) == 0)
            return &m->types[i];
    return NULL;
}

const struct model_value *
model_type_match(const struct model_type *t, const char *text)
{
    for (size_t i = 0; t && i < t->value_count; i++) {
        const struct model_value *v = &t->values[i];
        if (strcasecmp(v->value, text) == 0)
            return v;
        for (size_t k = 0; k < v->synonym_count; k++)
            if (strcasecmp(v->synonyms[k], text) == 0)
                return v;
    }
    return NULL;
}
