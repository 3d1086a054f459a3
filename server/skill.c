/*
 * skill.c - reading skill folders and their skill.json manifests.
 */
#include "skill.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
skill_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > LIMIT_SKILL_NAME_CHARS || name[0] == '-' || name[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static int
is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static char *
join(const char *a, const char *b)
{
    char *out = NULL;
    if (asprintf(&out, "%s/%s", a, b) < 0)
        return NULL;
    return out;
}

static int
cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the skill folders (those with a skill.py) under root. */
static char **
list_skills(const char *root, size_t *count)
{
    DIR *d = opendir(root);
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;

    *count = 0;
    if (!d)
        return NULL;
    while ((e = readdir(d)) != NULL) {
        if (!skill_name_valid(e->d_name))
            continue;
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s/skill.py", root, e->d_name);
        if (!is_file(path))
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char **grown = realloc(names, ncap * sizeof(*names));
            if (!grown)
                break;
            names = grown;
            cap = ncap;
        }
        names[n] = strdup(e->d_name);
        if (!names[n])
            break;
        n++;
    }
    closedir(d);
    if (n > 1)
        qsort(names, n, sizeof(*names), cmp_names);
    *count = n;
    return names;
}

static void
free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

void
skill_list_names(const char *root, char *buf, size_t cap)
{
    size_t n, used = 0;
    char **names = list_skills(root, &n);

    if (cap == 0)
        return;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", names[i]);
        if (w < 0 || (size_t)w >= cap - used)
            break;
        used += (size_t)w;
    }
    free_names(names, n);
}

/* Read skill.json (when present) into skill: applicationId and locale. */
static enum ss_err
load_manifest(struct skill *skill, struct ss_error *err)
{
    char *path = join(skill->dir, "skill.json");
    json_error_t jerr;
    json_t *m = NULL, *v;
    enum ss_err rc = SS_ERR_OK;

    if (!path)
        return ss_fail(err, SS_ERR_NOMEM, "out of memory");
    if (!is_file(path)) {
        skill->manifest = json_object();
        if (!skill->manifest)
            rc = ss_fail(err, SS_ERR_NOMEM, "out of memory");
        goto out;
    }
    m = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!m) {
        rc = ss_fail(err, SS_ERR_SKILL_CONFIG, "%s:%d:%d: %s", path, jerr.line, jerr.column,
                     jerr.text);
        goto out;
    }
    if (!json_is_object(m)) {
        rc = ss_fail(err, SS_ERR_SKILL_CONFIG,
                     "%s: must be a JSON object like "
                     "{\"locale\": \"en-US\"}",
                     path);
        goto out;
    }
    v = json_object_get(m, "applicationId");
    if (v && !json_is_null(v)) {
        if (!json_is_string(v) || strncmp(json_string_value(v), "amzn1.", 6) != 0) {
            rc = ss_fail(err, SS_ERR_SKILL_CONFIG,
                         "%s: applicationId must be the skill ID from the Alexa developer "
                         "console, a string like \"amzn1.ask.skill.1234...\"",
                         path);
            goto out;
        }
        skill->application_id = strdup(json_string_value(v));
        if (!skill->application_id) {
            rc = ss_fail(err, SS_ERR_NOMEM, "out of memory");
            goto out;
        }
    }
    v = json_object_get(m, "locale");
    if (v && !json_is_null(v)) {
        if (!json_is_string(v) || json_string_length(v) < 2 || json_string_length(v) > 16) {
            rc = ss_fail(err, SS_ERR_SKILL_CONFIG,
                         "%s: locale must be a language tag such as \"en-US\"", path);
            goto out;
        }
        free(skill->locale);
        skill->locale = strdup(json_string_value(v));
        if (!skill->locale) {
            rc = ss_fail(err, SS_ERR_NOMEM, "out of memory");
            goto out;
        }
    }
    skill->manifest = m;
    m = NULL;
out:
    json_decref(m);
    free(path);
    return rc;
}

enum ss_err
skill_load(const char *root, const char *name, struct skill *out, struct ss_error *err)
{
    char rootabs[PATH_MAX];
    enum ss_err rc;

    memset(out, 0, sizeof(*out));
    if (!skill_name_valid(name))
        return ss_fail(err, SS_ERR_USAGE,
                       "'%s' is not a skill name: use letters, digits, '_' and '-' "
                       "(at most %d characters)",
                       name, LIMIT_SKILL_NAME_CHARS);
    if (!realpath(root, rootabs))
        return ss_fail(err, SS_ERR_UNKNOWN_SKILL, "cannot open the skills folder %s: %s", root,
                       strerror(errno));
    snprintf(out->name, sizeof(out->name), "%s", name);
    out->dir = join(rootabs, name);
    out->script = out->dir ? join(out->dir, "skill.py") : NULL;
    out->locale = strdup("en-US");
    if (!out->dir || !out->script || !out->locale) {
        rc = ss_fail(err, SS_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (!is_file(out->script)) {
        char names[1024];
        skill_list_names(rootabs, names, sizeof(names));
        rc = ss_fail(err, SS_ERR_UNKNOWN_SKILL, "there is no skill called '%s' in %s (%s%s)", name,
                     root, names[0] ? "skills there: " : "the folder has no skills", names);
        goto fail;
    }
    char *model = join(out->dir, "model.json");
    if (!model) {
        rc = ss_fail(err, SS_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (is_file(model))
        out->model_path = model;
    else
        free(model);
    rc = load_manifest(out, err);
    if (rc != SS_ERR_OK)
        goto fail;
    return SS_ERR_OK;
fail:
    skill_cleanup(out);
    return rc;
}

void
skill_cleanup(struct skill *skill)
{
    if (!skill)
        return;
    free(skill->dir);
    free(skill->script);
    free(skill->model_path);
    free(skill->application_id);
    free(skill->locale);
    json_decref(skill->manifest);
    memset(skill, 0, sizeof(*skill));
}

enum ss_err
skill_set_load(const char *root, struct skill_set **out, skill_report_fn report, void *report_ctx,
               struct ss_error *err)
{
    char rootabs[PATH_MAX];
    struct skill_set *set = NULL;
    char **names = NULL;
    size_t n = 0;
    enum ss_err rc = SS_ERR_OK;

    *out = NULL;
    if (!realpath(root, rootabs))
        return ss_fail(err, SS_ERR_IO, "cannot open the skills folder %s: %s", root,
                       strerror(errno));
    set = calloc(1, sizeof(*set));
    if (!set || !(set->root = strdup(rootabs))) {
        rc = ss_fail(err, SS_ERR_NOMEM, "out of memory");
        goto out;
    }
    names = list_skills(rootabs, &n);
    if (n > 0) {
        set->items = calloc(n, sizeof(*set->items));
        if (!set->items) {
            rc = ss_fail(err, SS_ERR_NOMEM, "out of memory");
            goto out;
        }
    }
    for (size_t i = 0; i < n; i++) {
        struct ss_error one;
        ss_error_clear(&one);
        enum ss_err r = skill_load(rootabs, names[i], &set->items[set->count], &one);
        if (r == SS_ERR_NOMEM) {
            rc = ss_fail(err, r, "%s", one.msg);
            goto out;
        }
        if (r != SS_ERR_OK) {
            if (report)
                report(report_ctx, names[i], &one);
            continue;
        }
        set->count++;
    }
    *out = set;
    set = NULL;
out:
    free_names(names, n);
    skill_set_destroy(set);
    return rc;
}

void
skill_set_destroy(struct skill_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->count; i++)
        skill_cleanup(&set->items[i]);
    free(set->items);
    free(set->root);
    free(set);
}

const struct skill *
skill_set_find(const struct skill_set *set, const char *name)
{
    for (size_t i = 0; set && i < set->count; i++)
        if (strcmp(set->items[i].name, name) == 0)
            return &set->items[i];
    return NULL;
}

const struct skill *
skill_set_by_application(const struct skill_set *set, const char *app_id)
{
    if (!app_id)
        return NULL;
    for (size_t i = 0; set && i < set->count; i++)
        if (set->items[i].application_id && strcmp(set->items[i].application_id, app_id) == 0)
            return &set->items[i];
    return NULL;
}
