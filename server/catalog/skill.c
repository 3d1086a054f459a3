/*
 * skill.c - reading skill folders of every layout (see skill.h): which
 * layout a folder has, where its code and models are, and its settings.
 * Everything here is read once per load; nothing runs the skill's code.
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

/* 0 when path can be opened for reading (with this process's rights, which
 * may be capabilities rather than its real user's, so not access()); else
 * the errno. */
static int
open_error(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    close(fd);
    return 0;
}

/* True when root/name looks like a skill folder of one of the layouts
 * (skill.h), or cannot be opened (so that loading it says why). */
static int
is_skill_folder(const char *root, const char *name)
{
    static const char *const markers[] = {"skill.py", "lambda_function.py", "skill.json",
                                          "ask-resources.json", "skill-package/skill.json"};
    char path[PATH_MAX];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", root, name);
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return 0;
    if (open_error(path) == EACCES)
        return 1;
    for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s/%s", root, name, markers[i]);
        if (is_file(path))
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

/*
 * Read the JSON file at path into *out (a new reference). A missing file is
 * not an error: *out stays NULL. A file that exists but cannot be read, or
 * is not JSON, is reported with its path (and line and column).
 */
static enum ss_err
read_json(const char *path, json_t **out, struct ss_error *err)
{
    json_error_t jerr;

    *out = NULL;
    int e = open_error(path);
    if (e == ENOENT || e == ENOTDIR)
        return SS_ERR_OK;
    if (e != 0)
        return ss_fail(err, SS_ERR_SKILL_CONFIG,
                       "%s cannot be read (%s): make it readable, for example with "
                       "chmod a+r %s",
                       path, strerror(e), path);
    *out = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!*out)
        return ss_fail(err, SS_ERR_SKILL_CONFIG, "%s:%d:%d: %s", path, jerr.line, jerr.column,
                       jerr.text);
    return SS_ERR_OK;
}

/* The string at a path of object keys (NULL-terminated), or NULL. Borrowed. */
static const char *
dig(json_t *doc, ...)
{
    va_list ap;
    const char *key;

    va_start(ap, doc);
    while (doc && (key = va_arg(ap, const char *)) != NULL)
        doc = json_object_get(doc, key);
    va_end(ap);
    return json_string_value(doc);
}

/* Replace *field with a copy of value (may be NULL). */
static enum ss_err
set_string(char **field, const char *value, struct ss_error *err)
{
    char *copy = NULL;
    if (value && !(copy = strdup(value)))
        return ss_fail(err, SS_ERR_NOMEM, "out of memory");
    free(*field);
    *field = copy;
    return SS_ERR_OK;
}

/* A name the Lambda runtime sets itself (see launcher_zygote()), which a
 * skill cannot declare, as on Lambda. */
static int
reserved_variable(const char *name)
{
    static const char *const reserved[] = {"_HANDLER",
                                           "LAMBDA_TASK_ROOT",
                                           "LAMBDA_RUNTIME_DIR",
                                           "AWS_EXECUTION_ENV",
                                           "AWS_REGION",
                                           "AWS_DEFAULT_REGION",
                                           "TZ",
                                           "LC_ALL"};
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (strcmp(name, reserved[i]) == 0)
            return 1;
    return strncmp(name, "AWS_LAMBDA_", 11) == 0 || strncmp(name, "SKILLSERVER_", 12) == 0;
}

/* skill.json "environment": an object of NAME: "value" strings. */
static enum ss_err
check_environment(const char *path, json_t *env, struct ss_error *err)
{
    const char *key;
    json_t *value;
    size_t bytes = 0;

    if (!json_is_object(env))
        return ss_fail(err, SS_ERR_SKILL_CONFIG,
                       "%s: environment must be an object of names and values, like "
                       "{\"environment\": {\"GREETING\": \"Hello\"}}",
                       path);
    json_object_foreach(env, key, value)
    {
        size_t n = strlen(key);
        int good = n > 0 && !(key[0] >= '0' && key[0] <= '9');
        for (size_t i = 0; i < n && good; i++)
            good = (key[i] >= 'A' && key[i] <= 'Z') || (key[i] >= 'a' && key[i] <= 'z') ||
                   (key[i] >= '0' && key[i] <= '9') || key[i] == '_';
        if (!good)
            return ss_fail(err, SS_ERR_SKILL_CONFIG,
                           "%s: environment: '%s' is not a variable name: use letters, digits "
                           "and '_', not starting with a digit",
                           path, key);
        if (reserved_variable(key))
            return ss_fail(err, SS_ERR_SKILL_CONFIG,
                           "%s: environment: %s is set by skillserver itself, as on AWS Lambda; "
                           "choose another name",
                           path, key);
        if (!json_is_string(value) || strlen(json_string_value(value)) != json_string_length(value))
            return ss_fail(err, SS_ERR_SKILL_CONFIG,
                           "%s: environment: the value of %s must be a string, like \"%s\": "
                           "\"42\"",
                           path, key, key);
        bytes += n + json_string_length(value) + 2;
        if (bytes > LIMIT_SKILL_ENV_BYTES)
            return ss_fail(err, SS_ERR_SKILL_CONFIG,
                           "%s: environment: the variables take more than %d bytes; keep "
                           "big settings in a file beside the code",
                           path, LIMIT_SKILL_ENV_BYTES);
    }
    return SS_ERR_OK;
}

/* skillserver's own skill.json (m, from path): applicationId, locale,
 * handler, environment. */
static enum ss_err
read_own_config(struct skill *skill, const char *path, json_t *m, struct ss_error *err)
{
    json_t *v;
    enum ss_err rc;

    if (!json_is_object(m))
        return ss_fail(err, SS_ERR_SKILL_CONFIG,
                       "%s: must be a JSON object like "
                       "{\"locale\": \"en-US\"}",
                       path);
    v = json_object_get(m, "applicationId");
    if (v && !json_is_null(v)) {
        if (!json_is_string(v) || strncmp(json_string_value(v), "amzn1.", 6) != 0)
            return ss_fail(err, SS_ERR_SKILL_CONFIG,
                           "%s: applicationId must be the skill ID from the Alexa developer "
                           "console, a string like \"amzn1.ask.skill.1234...\"",
                           path);
        if ((rc = set_string(&skill->application_id, json_string_value(v), err)) != SS_ERR_OK)
            return rc;
    }
    v = json_object_get(m, "locale");
    if (v && !json_is_null(v)) {
        if (!json_is_string(v) || json_string_length(v) < 2 || json_string_length(v) > 16)
            return ss_fail(err, SS_ERR_SKILL_CONFIG,
                           "%s: locale must be a language tag such as \"en-US\"", path);
        if ((rc = set_string(&skill->locale, json_string_value(v), err)) != SS_ERR_OK)
            return rc;
    }
    v = json_object_get(m, "handler");
    if (v && !json_is_null(v)) {
        const char *h = json_string_value(v);
        const char *dot = h ? strrchr(h, '.') : NULL;
        if (!h || !dot || dot == h || !dot[1] || strlen(h) > LIMIT_SKILL_FIELD_CHARS)
            return ss_fail(err, SS_ERR_SKILL_CONFIG,
                           "%s: handler must name a file and a function in it, like "
                           "\"lambda_function.lambda_handler\" for lambda_handler in "
                           "lambda_function.py",
                           path);
        if ((rc = set_string(&skill->handler, h, err)) != SS_ERR_OK)
            return rc;
    }
    v = json_object_get(m, "environment");
    if (v && !json_is_null(v)) {
        if ((rc = check_environment(path, v, err)) != SS_ERR_OK)
            return rc;
        skill->environment = v;
    }
    return SS_ERR_OK;
}

/* The project's files, as far as they exist: what an ASK CLI project says. */
struct project {
    json_t *resources; /* ask-resources.json */
    json_t *manifest;  /* the ASK manifest (skill-package/skill.json or v1 skill.json) */
    json_t *states;    /* .ask/ask-states.json */
    json_t *config;    /* .ask/config (v1) */
};

static void
project_cleanup(struct project *p)
{
    json_decref(p->resources);
    json_decref(p->manifest);
    json_decref(p->states);
    json_decref(p->config);
}

/* The first value of an object, or of an array's first element's key. */
static json_t *
first_value(json_t *obj)
{
    void *it = json_is_object(obj) ? json_object_iter(obj) : NULL;
    return it ? json_object_iter_value(it) : NULL;
}

/* The project's default locale: en-US when it has that model, else the
 * manifest's first locale, else the first model file by name. */
static char *
project_locale(const struct skill *skill, json_t *manifest)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/en-US.json", skill->models_dir);
    if (is_file(path))
        return strdup("en-US");
    json_t *locales = json_object_get(
        json_object_get(json_object_get(manifest, "manifest"), "publishingInformation"), "locales");
    void *it = json_is_object(locales) ? json_object_iter(locales) : NULL;
    if (it && strlen(json_object_iter_key(it)) <= 16)
        return strdup(json_object_iter_key(it));
    DIR *d = opendir(skill->models_dir);
    char best[32] = "";
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 7 || n > 21 || strcmp(e->d_name + n - 5, ".json") != 0 || e->d_name[0] == '.')
            continue;
        if (!best[0] || strcmp(e->d_name, best) < 0)
            snprintf(best, sizeof(best), "%.*s", (int)(n - 5), e->d_name);
    }
    if (d)
        closedir(d);
    return best[0] ? strdup(best) : NULL;
}

/* Decide the layout and read the project's files into p. */
static enum ss_err
detect_layout(struct skill *skill, json_t **own, struct project *p, const char **code_src,
              struct ss_error *err)
{
    char path[PATH_MAX];
    enum ss_err rc;

    snprintf(path, sizeof(path), "%s/ask-resources.json", skill->dir);
    if ((rc = read_json(path, &p->resources, err)) != SS_ERR_OK)
        return rc;
    /* A skill.json whose top level is "manifest" is an ASK manifest (v1),
     * never skillserver's own. */
    if (*own && json_object_get(*own, "manifest")) {
        p->manifest = *own;
        *own = NULL;
    }
    snprintf(path, sizeof(path), "%s/.ask/ask-states.json", skill->dir);
    if ((rc = read_json(path, &p->states, err)) != SS_ERR_OK)
        return rc;
    snprintf(path, sizeof(path), "%s/.ask/config", skill->dir);
    if ((rc = read_json(path, &p->config, err)) != SS_ERR_OK)
        return rc;
    snprintf(path, sizeof(path), "%s/skill-package/skill.json", skill->dir);
    int package = is_file(path);

    if (p->resources || (package && !p->manifest)) {
        json_t *profile = json_object_get(json_object_get(p->resources, "profiles"), "default");
        if (!profile)
            profile = first_value(json_object_get(p->resources, "profiles"));
        const char *pkg = dig(profile, "skillMetadata", "src", NULL);
        if (!pkg)
            pkg = "skill-package";
        while (strncmp(pkg, "./", 2) == 0)
            pkg += 2;
        *code_src = dig(profile, "code", "default", "src", NULL);
        skill->layout = SKILL_LAYOUT_ASK_V2;
        if (!skill->handler &&
            (rc = set_string(&skill->handler,
                             dig(profile, "skillInfrastructure", "userConfig", "handler", NULL),
                             err)) != SS_ERR_OK)
            return rc;
        if ((rc = set_string(&skill->region,
                             dig(profile, "skillInfrastructure", "userConfig", "awsRegion", NULL),
                             err)) != SS_ERR_OK)
            return rc;
        snprintf(path, sizeof(path), "%s/%s/skill.json", skill->dir, pkg);
        if (!p->manifest && (rc = read_json(path, &p->manifest, err)) != SS_ERR_OK)
            return rc;
        snprintf(path, sizeof(path), "%s/%s/interactionModels/custom", skill->dir, pkg);
    } else if (p->manifest) {
        skill->layout = SKILL_LAYOUT_ASK_V1;
        *code_src = dig(p->manifest, "manifest", "apis", "custom", "endpoint", "sourceDir", NULL);
        snprintf(path, sizeof(path), "%s/models", skill->dir);
    } else {
        snprintf(path, sizeof(path), "%s/skill.py", skill->dir);
        skill->layout = is_file(path) && !skill->handler ? SKILL_LAYOUT_OWN : SKILL_LAYOUT_LAMBDA;
        return SS_ERR_OK;
    }
    if ((rc = set_string(&skill->models_dir, path, err)) != SS_ERR_OK)
        return rc;

    /* The skill id and the handler: ask-states.json, else a v1 .ask/config
     * (which some v2-shaped samples still carry). */
    const char *id = dig(p->states, "profiles", "default", "skillId", NULL);
    if (!id)
        id = dig(p->config, "deploy_settings", "default", "skill_id", NULL);
    if (!skill->application_id && id && strncmp(id, "amzn1.", 6) == 0 &&
        (rc = set_string(&skill->application_id, id, err)) != SS_ERR_OK)
        return rc;
    json_t *lambdas = json_object_get(
        json_object_get(json_object_get(json_object_get(p->config, "deploy_settings"), "default"),
                        "resources"),
        "lambda");
    const char *h = json_string_value(json_object_get(json_array_get(lambdas, 0), "handler"));
    if (!skill->handler && h && (rc = set_string(&skill->handler, h, err)) != SS_ERR_OK)
        return rc;
    return SS_ERR_OK;
}

/*
 * Find the code folder: the one the project names (code_src), else the
 * usual places, whichever holds the handler's file. Sets code_dir and script.
 */
static enum ss_err
find_code(struct skill *skill, const char *code_src, struct ss_error *err)
{
    static const char *const usual[] = {"lambda", "lambda/py", "lambda/custom", "."};
    char module[PATH_MAX], path[PATH_MAX], real[PATH_MAX];
    const char *dot = strrchr(skill->handler, '.');
    enum ss_err rc;

    if (!dot || dot == skill->handler || !dot[1] || (size_t)(dot - skill->handler) >= 200)
        return ss_fail(err, SS_ERR_SKILL_CONFIG,
                       "%s: the handler \"%s\" must name a file and a function in it, like "
                       "\"lambda_function.lambda_handler\"",
                       skill->name, skill->handler);
    /* "module.function" or "package.module.function": the file is module.py. */
    snprintf(module, sizeof(module), "%.*s.py", (int)(dot - skill->handler), skill->handler);
    for (char *c = module; *c && strcmp(c, ".py") != 0; c++)
        if (*c == '.')
            *c = '/';
    while (code_src && strncmp(code_src, "./", 2) == 0)
        code_src += 2;
    for (size_t i = 0; i <= sizeof(usual) / sizeof(usual[0]); i++) {
        const char *src = i == 0 ? code_src : usual[i - 1];
        if (!src || strlen(src) > LIMIT_SKILL_FIELD_CHARS)
            continue;
        int w = snprintf(path, sizeof(path), "%s/%s/%s", skill->dir, src, module);
        if (w < 0 || (size_t)w >= sizeof(path) || !is_file(path) || !realpath(path, real))
            continue;
        /* Only the project folder is in the skill's sandbox. */
        size_t n = strlen(skill->dir);
        if (strncmp(real, skill->dir, n) != 0 || real[n] != '/')
            continue;
        if ((rc = set_string(&skill->script, real, err)) != SS_ERR_OK)
            return rc;
        *strrchr(real, '/') = '\0';
        for (const char *c = module; (c = strchr(c, '/')) != NULL; c++)
            *strrchr(real, '/') = '\0';
        if ((rc = set_string(&skill->code_dir, real, err)) != SS_ERR_OK)
            return rc;
        char note[512];
        const char *rel = real[n] ? real + n + 1 : ".";
        if (code_src && i > 0)
            w = snprintf(note, sizeof(note),
                         "%s, handler %s in %s/ (the code folder %s it names has no %s)",
                         skill_layout_name(skill->layout), skill->handler, rel, code_src, module);
        else
            w = snprintf(note, sizeof(note), "%s, handler %s in %s/",
                         skill_layout_name(skill->layout), skill->handler, rel);
        if (w < 0)
            note[0] = '\0';
        return set_string(&skill->layout_note, note, err);
    }
    return ss_fail(err, SS_ERR_SKILL_CONFIG,
                   "%s is a%s %s, but its handler %s needs a file %s, which is not in %s%s%s "
                   "(nor in lambda/, lambda/py/, lambda/custom/ or the folder itself)",
                   skill->name, skill->layout == SKILL_LAYOUT_OWN ? "" : "n",
                   skill_layout_name(skill->layout), skill->handler, module,
                   code_src ? "the code folder " : "", code_src ? code_src : "",
                   code_src ? "/" : "the project");
}

/* Read the folder skill->dir: its layout, code, models and settings. */
static enum ss_err
load_folder(struct skill *skill, struct ss_error *err)
{
    char path[PATH_MAX];
    json_t *own = NULL;
    struct project p = {0};
    const char *code_src = NULL;
    char real[PATH_MAX];
    enum ss_err rc;

    /* The sandbox mounts the real path; the code folder is checked to lie
     * inside it. */
    if (realpath(skill->dir, real) && (rc = set_string(&skill->dir, real, err)) != SS_ERR_OK)
        goto out;
    if (open_error(skill->dir) == EACCES) {
        rc = ss_fail(err, SS_ERR_SKILL_CONFIG,
                     "the folder %s cannot be opened (permission denied): let everyone read "
                     "it, for example with chmod -R a+rX %s",
                     skill->dir, skill->dir);
        goto out;
    }
    snprintf(path, sizeof(path), "%s/skill.json", skill->dir);
    if ((rc = read_json(path, &own, err)) != SS_ERR_OK)
        goto out;
    if ((rc = detect_layout(skill, &own, &p, &code_src, err)) != SS_ERR_OK)
        goto out;
    if (own && (rc = read_own_config(skill, path, own, err)) != SS_ERR_OK)
        goto out;
    if (skill->layout == SKILL_LAYOUT_OWN) {
        snprintf(path, sizeof(path), "%s/skill.py", skill->dir);
        if ((rc = set_string(&skill->script, path, err)) != SS_ERR_OK ||
            (rc = set_string(&skill->code_dir, skill->dir, err)) != SS_ERR_OK ||
            (rc = set_string(&skill->layout_note, "skillserver's own layout (skill.py)", err)) !=
                SS_ERR_OK)
            goto out;
        snprintf(path, sizeof(path), "%s/model.json", skill->dir);
        if (is_file(path) && (rc = set_string(&skill->model_path, path, err)) != SS_ERR_OK)
            goto out;
    } else {
        if (!skill->handler &&
            (rc = set_string(&skill->handler, "lambda_function.lambda_handler", err)) != SS_ERR_OK)
            goto out;
        if (skill->layout == SKILL_LAYOUT_LAMBDA && !code_src)
            code_src = ".";
        if ((rc = find_code(skill, code_src, err)) != SS_ERR_OK)
            goto out;
    }
    if (skill->models_dir) {
        if (!own || !json_object_get(own, "locale")) {
            char *locale = project_locale(skill, p.manifest);
            if (locale) {
                free(skill->locale);
                skill->locale = locale;
            }
        }
        char *model = skill_model_for(skill, skill->locale);
        free(skill->model_path);
        skill->model_path = model;
    } else if (skill->layout == SKILL_LAYOUT_LAMBDA) {
        snprintf(path, sizeof(path), "%s/model.json", skill->dir);
        if (is_file(path) && (rc = set_string(&skill->model_path, path, err)) != SS_ERR_OK)
            goto out;
    }
    skill->manifest = own ? own : json_object();
    own = NULL;
    if (!skill->manifest)
        rc = ss_fail(err, SS_ERR_NOMEM, "out of memory");
out:
    json_decref(own);
    project_cleanup(&p);
    return rc;
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

char *
skill_model_for(const struct skill *skill, const char *locale)
{
    char *path = NULL;
    if (skill->models_dir && locale && strlen(locale) <= 16 && !strchr(locale, '/')) {
        if (asprintf(&path, "%s/%s.json", skill->models_dir, locale) < 0)
            return NULL;
        if (is_file(path))
            return path;
        free(path);
        return NULL;
    }
    return skill->model_path ? strdup(skill->model_path) : NULL;
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
    rc = load_folder(out, err);
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
    free(skill->code_dir);
    free(skill->script);
    free(skill->handler);
    free(skill->model_path);
    free(skill->models_dir);
    free(skill->application_id);
    free(skill->locale);
    free(skill->region);
    free(skill->layout_note);
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
