/*
 * skill.c - the skill set (see skill.h): which folders under the skills
 * folder are skills, loading each (skill_folder.c reads the folder) with
 * its interaction models, and looking skills and models up.
 *
 * A skill's models are parsed here, once per load of the skill or the set,
 * so that every user of a generation borrows the same parsed models and
 * none reads a model file again; a model that does not load keeps its
 * error beside it for whoever would have used it.
 */
#include "skill.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model.h"
#include "skill_folder.h"

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

int
skill_region_valid(const char *region)
{
    size_t n = region ? strlen(region) : 0;
    if (n == 0 || n > 32 || region[0] < 'a' || region[0] > 'z' || !strchr(region, '-'))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = region[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return 0;
    }
    return 1;
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

/* True when root/name looks like a skill folder of one of the layouts
 * (skill.h), or cannot be opened (so that loading it says why). */
static int
is_skill_folder(const char *root, const char *name)
{
    static const char *const markers[] = {"skill.py",           "lambda_function.py",
                                          "skill.json",         "skillserver.json",
                                          "ask-resources.json", "skill-package/skill.json"};
    char path[PATH_MAX];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", root, name);
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return 0;
    if (skill_open_error(path) == EACCES)
        return 1;
    for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s/%s", root, name, markers[i]);
        if (skill_file_exists(path))
            return 1;
    }
    return 0;
}

/* Sorted names of the skill folders under root. */
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
        if (!is_skill_folder(root, e->d_name))
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

const char *
skill_layout_name(enum skill_layout layout)
{
    switch (layout) {
    case SKILL_LAYOUT_OWN:
        return "skillserver skill";
    case SKILL_LAYOUT_LAMBDA:
        return "Lambda function";
    case SKILL_LAYOUT_ASK_V2:
        return "ASK CLI v2 project";
    case SKILL_LAYOUT_ASK_V1:
        return "ASK CLI v1 project";
    }
    return "skill";
}

/* ---- Models ---- */

/* The locale a models folder's file is for ("de-DE.json" -> "de-DE"), into
 * locale; false when the name is not LOCALE.json (a language, then region
 * or script parts: letters and digits). */
static bool
locale_of(const char *file, char locale[LIMIT_LOCALE_CHARS + 1])
{
    size_t n = strlen(file);
    if (n < 7 || strcmp(file + n - 5, ".json") != 0 || n - 5 > LIMIT_LOCALE_CHARS)
        return false;
    n -= 5;
    size_t lang = 0;
    while (lang < n && file[lang] >= 'a' && file[lang] <= 'z')
        lang++;
    if (lang < 2 || lang > 3)
        return false;
    for (size_t i = lang; i < n; i++) {
        char c = file[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!(alnum || (c == '-' && i + 1 < n && file[i + 1] != '-')))
            return false;
    }
    memcpy(locale, file, n);
    locale[n] = '\0';
    return true;
}

/* Parse the model at path for locale and keep it, or why it did not load. */
static enum ss_err
add_model(struct skill *skill, const char *locale, const char *path, struct ss_error *err)
{
    struct skill_model *grown =
        realloc(skill->models, (skill->model_count + 1) * sizeof(*skill->models));
    if (!grown)
        return ss_fail(err, SS_ERR_NOMEM, "out of memory");
    skill->models = grown;
    struct skill_model *m = &skill->models[skill->model_count];
    memset(m, 0, sizeof(*m));
    snprintf(m->locale, sizeof(m->locale), "%s", locale);
    if (!(m->path = strdup(path)))
        return ss_fail(err, SS_ERR_NOMEM, "out of memory");
    ss_error_clear(&m->error);
    if (model_load(path, &m->model, &m->error) == SS_ERR_OK)
        ss_error_clear(&m->error);
    skill->model_count++;
    return SS_ERR_OK;
}

static int
cmp_models(const void *a, const void *b)
{
    return strcmp(((const struct skill_model *)a)->locale, ((const struct skill_model *)b)->locale);
}

/*
 * Parse the skill's models: the one for its locale (model_path) first, then,
 * for an ASK project, every other LOCALE.json of its models folder by
 * locale, at most LIMIT_SKILL_MODELS in all. A model that does not load is
 * kept with its error; only running out of memory fails.
 */
static enum ss_err
load_models(struct skill *skill, struct ss_error *err)
{
    char path[PATH_MAX], locale[LIMIT_LOCALE_CHARS + 1];
    enum ss_err rc = SS_ERR_OK;
    struct dirent *e;
    DIR *d;

    if (skill->model_path && (rc = add_model(skill, skill->models_dir ? skill->locale : "",
                                             skill->model_path, err)) != SS_ERR_OK)
        return rc;
    if (!skill->models_dir || !(d = opendir(skill->models_dir)))
        return SS_ERR_OK;
    while ((e = readdir(d)) != NULL && skill->model_count < LIMIT_SKILL_MODELS) {
        if (!locale_of(e->d_name, locale) || strcmp(locale, skill->locale) == 0)
            continue;
        int w = snprintf(path, sizeof(path), "%s/%s", skill->models_dir, e->d_name);
        if (w < 0 || (size_t)w >= sizeof(path) || !skill_file_exists(path))
            continue;
        if ((rc = add_model(skill, locale, path, err)) != SS_ERR_OK)
            break;
    }
    closedir(d);
    size_t first = skill->model_path ? 1 : 0;
    if (skill->model_count > first + 1)
        qsort(skill->models + first, skill->model_count - first, sizeof(*skill->models),
              cmp_models);
    return rc;
}

const struct skill_model *
skill_model_file(const struct skill *skill, const char *locale)
{
    if (!locale)
        locale = skill->locale;
    for (size_t i = 0; i < skill->model_count; i++)
        if (!skill->models_dir || (locale && strcmp(skill->models[i].locale, locale) == 0))
            return &skill->models[i];
    return NULL;
}

const struct model *
skill_model(const struct skill *skill, const char *locale)
{
    const struct skill_model *m = skill_model_file(skill, locale);
    return m ? m->model : NULL;
}

/* The error for a name that is not a skill name. */
static enum ss_err
name_error(const char *name, struct ss_error *err)
{
    return ss_fail(err, SS_ERR_USAGE,
                   "'%s' is not a skill name: use letters, digits, '_' and '-' "
                   "(at most %d characters)",
                   name, LIMIT_SKILL_NAME_CHARS);
}

enum ss_err
skill_load(const char *root, const char *name, struct skill *out, struct ss_error *err)
{
    char rootabs[PATH_MAX];
    enum ss_err rc;

    memset(out, 0, sizeof(*out));
    if (!skill_name_valid(name))
        return name_error(name, err);
    if (!realpath(root, rootabs))
        return ss_fail(err, SS_ERR_UNKNOWN_SKILL, "cannot open the skills folder %s: %s", root,
                       strerror(errno));
    snprintf(out->name, sizeof(out->name), "%s", name);
    out->dir = join(rootabs, name);
    out->locale = strdup("en-US");
    if (!out->dir || !out->locale) {
        rc = ss_fail(err, SS_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (!is_skill_folder(rootabs, name)) {
        char names[1024];
        skill_list_names(rootabs, names, sizeof(names));
        rc = ss_fail(err, SS_ERR_UNKNOWN_SKILL,
                     "there is no skill called '%s' in %s (%s%s; a skill is a folder with "
                     "skill.py, lambda_function.py or an ASK CLI project)",
                     name, root, names[0] ? "skills there: " : "the folder has no skills", names);
        goto fail;
    }
    if ((rc = skill_folder_read(out, NULL, err)) != SS_ERR_OK ||
        (rc = load_models(out, err)) != SS_ERR_OK)
        goto fail;
    return SS_ERR_OK;
fail:
    skill_cleanup(out);
    return rc;
}

enum ss_err
skill_load_function(const char *dir, const char *name, const char *handler, struct skill *out,
                    struct ss_error *err)
{
    struct stat st;
    enum ss_err rc;

    memset(out, 0, sizeof(*out));
    if (!skill_name_valid(name))
        return name_error(name, err);
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return ss_fail(err, SS_ERR_UNKNOWN_SKILL,
                       "the function's folder %s cannot be opened (%s): it is where Lambda puts "
                       "the function's code (LAMBDA_TASK_ROOT)",
                       dir, stat(dir, &st) != 0 ? strerror(errno) : "it is not a folder");
    snprintf(out->name, sizeof(out->name), "%s", name);
    out->dir = strdup(dir);
    out->locale = strdup("en-US");
    if (!out->dir || !out->locale) {
        rc = ss_fail(err, SS_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if ((rc = skill_folder_read(out, handler, err)) != SS_ERR_OK ||
        (rc = load_models(out, err)) != SS_ERR_OK)
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
    free(skill->code_dir);
    free(skill->script);
    free(skill->handler);
    free(skill->model_path);
    free(skill->models_dir);
    free(skill->application_id);
    free(skill->locale);
    free(skill->region);
    free(skill->layout_note);
    json_decref(skill->settings);
    for (size_t i = 0; i < skill->model_count; i++) {
        free(skill->models[i].path);
        model_destroy(skill->models[i].model);
    }
    free(skill->models);
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
