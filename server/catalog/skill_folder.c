/*
 * skill_folder.c - reading one skill folder (see skill.h): skillserver's
 * settings (skillserver.json, or a skill.json that is not an ASK manifest),
 * which layout the folder has, where its code, handler and models are, and
 * the project's skill id and locale. Everything here is read once per
 * load; nothing runs the skill's code.
 */
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

#include "skill.h"
#include "skill_folder.h"

bool
skill_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int
skill_open_error(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    close(fd);
    return 0;
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
    int e = skill_open_error(path);
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

/* The settings' "environment": an object of NAME: "value" strings. */
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

/* skillserver's settings (m, read from path): applicationId, locale,
 * handler, region, environment. */
static enum ss_err
apply_settings(struct skill *skill, const char *path, json_t *m, struct ss_error *err)
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
    v = json_object_get(m, "region");
    if (v && !json_is_null(v)) {
        if (!skill_region_valid(json_string_value(v)))
            return ss_fail(err, SS_ERR_SKILL_CONFIG,
                           "%s: region must be the code of an AWS region, like \"us-east-1\" "
                           "or \"eu-west-1\"",
                           path);
        if ((rc = set_string(&skill->region, json_string_value(v), err)) != SS_ERR_OK)
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
    if (skill_file_exists(path))
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

/* Decide the layout and read the project's files into p (its manifest is
 * there already when it is a v1 project's skill.json). */
static enum ss_err
detect_layout(struct skill *skill, struct project *p, const char **code_src, struct ss_error *err)
{
    char path[PATH_MAX];
    enum ss_err rc;

    snprintf(path, sizeof(path), "%s/ask-resources.json", skill->dir);
    if ((rc = read_json(path, &p->resources, err)) != SS_ERR_OK)
        return rc;
    snprintf(path, sizeof(path), "%s/.ask/ask-states.json", skill->dir);
    if ((rc = read_json(path, &p->states, err)) != SS_ERR_OK)
        return rc;
    snprintf(path, sizeof(path), "%s/.ask/config", skill->dir);
    if ((rc = read_json(path, &p->config, err)) != SS_ERR_OK)
        return rc;
    snprintf(path, sizeof(path), "%s/skill-package/skill.json", skill->dir);
    int package = skill_file_exists(path);

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
        const char *region = dig(profile, "skillInfrastructure", "userConfig", "awsRegion", NULL);
        if (!skill->region && skill_region_valid(region) &&
            (rc = set_string(&skill->region, region, err)) != SS_ERR_OK)
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
        skill->layout = skill_file_exists(path) ? SKILL_LAYOUT_OWN : SKILL_LAYOUT_LAMBDA;
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
        if (w < 0 || (size_t)w >= sizeof(path) || !skill_file_exists(path) || !realpath(path, real))
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

/*
 * skillserver's settings: skillserver.json when the folder has one, else a
 * skill.json that is not an ASK manifest (a v1 project's skill.json is; it
 * goes to p->manifest). *settings gets the document (a new reference, or
 * NULL) and *from its file; note gets what the log should say about it.
 */
static enum ss_err
read_settings(struct skill *skill, struct project *p, json_t **settings, char *from, size_t cap,
              char *note, size_t note_cap, struct ss_error *err)
{
    char path[PATH_MAX];
    json_t *skill_json = NULL;
    enum ss_err rc;

    *settings = NULL;
    note[0] = '\0';
    snprintf(path, sizeof(path), "%s/skill.json", skill->dir);
    if ((rc = read_json(path, &skill_json, err)) != SS_ERR_OK)
        return rc;
    if (skill_json && json_object_get(skill_json, "manifest")) {
        p->manifest = skill_json;
        skill_json = NULL;
    }
    snprintf(from, cap, "%s/skillserver.json", skill->dir);
    if ((rc = read_json(from, settings, err)) != SS_ERR_OK) {
        json_decref(skill_json);
        return rc;
    }
    if (*settings) {
        snprintf(note, note_cap, "; settings from skillserver.json%s",
                 skill_json ? " (skill.json beside it is not read)" : "");
        json_decref(skill_json);
    } else if (skill_json) {
        *settings = skill_json;
        snprintf(from, cap, "%s", path);
    }
    return *settings ? apply_settings(skill, from, *settings, err) : SS_ERR_OK;
}

/* The model for the skill's locale: an ASK project's LOCALE.json when it
 * exists, else the folder's model.json (skillserver's own and Lambda
 * layouts). */
static enum ss_err
find_model(struct skill *skill, struct ss_error *err)
{
    char path[PATH_MAX];
    int w;

    if (skill->models_dir)
        w = snprintf(path, sizeof(path), "%s/%s.json", skill->models_dir, skill->locale);
    else
        w = snprintf(path, sizeof(path), "%s/model.json", skill->dir);
    if (w < 0 || (size_t)w >= sizeof(path) || strchr(skill->locale, '/') ||
        !skill_file_exists(path))
        return SS_ERR_OK;
    return set_string(&skill->model_path, path, err);
}

enum ss_err
skill_folder_read(struct skill *skill, const char *handler, struct ss_error *err)
{
    char path[PATH_MAX], from[PATH_MAX], note[128];
    json_t *settings = NULL;
    struct project p = {0};
    const char *code_src = NULL;
    char real[PATH_MAX];
    enum ss_err rc;

    /* The sandbox mounts the real path; the code folder is checked to lie
     * inside it. */
    if (realpath(skill->dir, real) && (rc = set_string(&skill->dir, real, err)) != SS_ERR_OK)
        goto out;
    if (skill_open_error(skill->dir) == EACCES) {
        rc = ss_fail(err, SS_ERR_SKILL_CONFIG,
                     "the folder %s cannot be opened (permission denied): let everyone read "
                     "it, for example with chmod -R a+rX %s",
                     skill->dir, skill->dir);
        goto out;
    }
    /* The settings first: what they say wins, the project's files fill in
     * what they leave out. */
    if ((rc = read_settings(skill, &p, &settings, from, sizeof(from), note, sizeof(note), err)) !=
            SS_ERR_OK ||
        (rc = handler ? set_string(&skill->handler, handler, err) : SS_ERR_OK) != SS_ERR_OK ||
        (rc = detect_layout(skill, &p, &code_src, err)) != SS_ERR_OK)
        goto out;
    if (handler && skill->layout == SKILL_LAYOUT_OWN)
        skill->layout = SKILL_LAYOUT_LAMBDA;
    if (skill->layout == SKILL_LAYOUT_OWN) {
        snprintf(path, sizeof(path), "%s/skill.py", skill->dir);
        if ((rc = set_string(&skill->script, path, err)) != SS_ERR_OK ||
            (rc = set_string(&skill->code_dir, skill->dir, err)) != SS_ERR_OK ||
            (rc = set_string(&skill->layout_note, "skillserver's own layout (skill.py)", err)) !=
                SS_ERR_OK)
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
    if (note[0]) {
        char *longer = NULL;
        if (asprintf(&longer, "%s%s", skill->layout_note, note) < 0) {
            rc = ss_fail(err, SS_ERR_NOMEM, "out of memory");
            goto out;
        }
        free(skill->layout_note);
        skill->layout_note = longer;
    }
    if (skill->models_dir && !json_object_get(settings, "locale")) {
        char *locale = project_locale(skill, p.manifest);
        if (locale) {
            free(skill->locale);
            skill->locale = locale;
        }
    }
    if ((rc = find_model(skill, err)) != SS_ERR_OK)
        goto out;
    skill->settings = settings ? settings : json_object();
    settings = NULL;
    if (!skill->settings)
        rc = ss_fail(err, SS_ERR_NOMEM, "out of memory");
out:
    json_decref(settings);
    project_cleanup(&p);
    return rc;
}
