/*
 * export.c - a skill as an ASK CLI v2 project for a real Echo (export.h).
 *
 * Owns: where an exported skill's models come from (export_models(), the
 * one place to add another source), the manifest, ask-resources.json, the
 * copy of the skill's code and of skillkit, and the entry file Lambda
 * calls. The layout is the one scaffold.c writes for `new --layout ask`.
 *
 * Must stay true: every file goes into a temporary folder beside the
 * destination, renamed into place only when all of it is written, and
 * removed on failure; the skill's folder is only read. The entry file is
 * Python written from values that are JSON-encoded (a JSON string or an
 * object of strings is also a Python literal), so no file or skill name can
 * break out of it.
 */
#include "export.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model.h"
#include "model_show.h"
#include "scaffold.h"
#include "skill.h"

/* The Lambda runtime asked for: one Lambda offers, and not older than the
 * CPython skillserver embeds (3.11), so code that runs here runs there. */
#define EXPORT_RUNTIME "python3.12"
#define EXPORT_REGION_DEFAULT "us-east-1"
/* The manifest's category when the skill brings no manifest of its own. */
#define EXPORT_CATEGORY "EDUCATION_AND_REFERENCE"
/* Amazon shows at most three example phrases. */
#define EXPORT_EXAMPLE_PHRASES 3

/* One interaction model to export. */
struct export_model {
    char locale[LIMIT_LOCALE_CHARS + 1];
    json_t *doc;                /* owned: the whole model document, written as it is */
    const char *invocation;     /* borrowed from doc */
    const struct model *parsed; /* borrowed from the skill */
};

struct export_models {
    struct export_model *items; /* owned */
    size_t count;
};

static void
models_cleanup(struct export_models *m)
{
    for (size_t i = 0; i < m->count; i++)
        json_decref(m->items[i].doc);
    free(m->items);
    m->items = NULL;
    m->count = 0;
}

static void add_warning(struct export_result *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
add_warning(struct export_result *out, const char *fmt, ...)
{
    size_t used = strlen(out->warnings);
    va_list ap;

    if (used + 2 >= sizeof(out->warnings))
        return;
    va_start(ap, fmt);
    vsnprintf(out->warnings + used, sizeof(out->warnings) - used, fmt, ap);
    va_end(ap);
    used = strlen(out->warnings);
    if (used + 1 < sizeof(out->warnings)) {
        out->warnings[used] = '\n';
        out->warnings[used + 1] = '\0';
    }
}

/* Where a model of this skill belongs, for messages. */
static const char *
model_place(const struct skill *skill)
{
    switch (skill->layout) {
    case SKILL_LAYOUT_ASK_V2:
        return "skill-package/interactionModels/custom/en-US.json";
    case SKILL_LAYOUT_ASK_V1:
        return "models/en-US.json";
    default:
        return "model.json beside the code";
    }
}

/*
 * The models to export, one per locale: the skill's model files as the
 * catalog read them (an ASK project's LOCALE.json each, or one model.json
 * for the skill's locale), else the model inferred from the skill's plain
 * functions (*inferred, owned by the caller, for the skill's locale). This
 * is the one source of models. Refuses a skill with no model, a model that
 * does not load, and one with errors Amazon would refuse, saying what to
 * do; warnings go to out.
 */
static enum ss_err
export_models(const struct skill *skill, const struct runtime_config *runtime,
              struct model **inferred, struct export_models *models, struct export_result *out,
              struct ss_error *err)
{
    struct model_report *report = NULL;
    enum ss_err rc = SS_ERR_OK;
    size_t count = skill->model_count;

    if (count == 0 && runtime) {
        if ((rc = model_show_infer(skill, runtime, inferred, err)) != SS_ERR_OK)
            return rc;
        count = *inferred ? 1 : 0;
    }
    if (count == 0)
        return ss_fail(err, SS_ERR_USAGE,
                       "%s has no interaction model yet, and Alexa needs one to know what "
                       "people may say to it: add %s (skillserver new makes one to start "
                       "from; skillserver model prints the one read from plain functions), "
                       "try it with skillserver say, then export again",
                       skill->name, model_place(skill));
    models->items = calloc(count, sizeof(*models->items));
    report = malloc(sizeof(*report));
    if (!models->items || !report) {
        rc = ss_fail(err, SS_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < count; i++) {
        /* The inferred model stands where a model.json would be. */
        struct skill_model plain = {.path = (char *)"the model read from its functions",
                                    .model = *inferred};
        const struct skill_model *sm = skill->model_count ? &skill->models[i] : &plain;
        struct export_model *em = &models->items[models->count];

        if (!sm->model) {
            rc = ss_fail(err, SS_ERR_USAGE,
                         "the model of %s does not load: %s. Fix it (skillserver say shows "
                         "the same problem), then export again",
                         skill->name, sm->error.msg);
            goto out;
        }
        memset(report, 0, sizeof(*report));
        model_check(sm->model, report);
        if (report->errors) {
            const struct model_problem *p = report->items;
            while (p < report->items + report->count && p->severity != MODEL_ERROR)
                p++;
            rc = ss_fail(err, SS_ERR_USAGE,
                         "Amazon would refuse the model %s: %s: %s%s. Fix it, then export again",
                         sm->path, p < report->items + report->count ? p->path : "",
                         p < report->items + report->count ? p->message : "it has errors",
                         report->errors > 1 ? " (and more: skillserver say lists them)" : "");
            goto out;
        }
        for (size_t k = 0; k < report->count; k++)
            add_warning(out, "warning: %s: %s: %s", sm->path, report->items[k].path,
                        report->items[k].message);
        snprintf(em->locale, sizeof(em->locale), "%s", sm->locale[0] ? sm->locale : skill->locale);
        em->doc = json_deep_copy(sm->model->root);
        if (!em->doc) {
            rc = ss_fail(err, SS_ERR_NOMEM, "out of memory");
            goto out;
        }
        em->invocation = sm->model->invocation_name ? sm->model->invocation_name : "";
        em->parsed = sm->model;
        models->count++;
        /* A model.json serves every locale: it is exported once. */
        if (!skill->models_dir)
            break;
    }
out:
    free(report);
    if (rc != SS_ERR_OK)
        models_cleanup(models);
    return rc;
}

/* ---- Files ---- */

/* a/b into buf, or SS_ERR_IO when it does not fit. */
static enum ss_err
join_path(char *buf, size_t cap, const char *a, const char *b, struct ss_error *err)
{
    int w = snprintf(buf, cap, "%s/%s", a, b);
    if (w < 0 || (size_t)w >= cap)
        return ss_fail(err, SS_ERR_IO, "the path %s/%s is too long", a, b);
    return SS_ERR_OK;
}

/* doc (borrowed) as JSON with two spaces of indent and a final newline. */
static enum ss_err
write_json(const char *dir, const char *rel, const json_t *doc, struct ss_error *err)
{
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    char *line = NULL;
    enum ss_err rc;

    if (!text || asprintf(&line, "%s\n", text) < 0) {
        free(text);
        return ss_fail(err, SS_ERR_NOMEM, "out of memory");
    }
    rc = scaffold_write(dir, rel, line, err);
    free(line);
    free(text);
    return rc;
}

static enum ss_err
copy_file(const char *from, const char *to, mode_t mode, struct ss_error *err)
{
    char chunk[65536];
    enum ss_err rc = SS_ERR_OK;
    int in = open(from, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    int outfd = -1;

    if (in < 0)
        return ss_fail(err, SS_ERR_IO, "cannot read %s: %s", from, strerror(errno));
    outfd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode & 0111) ? 0755 : 0644);
    if (outfd < 0) {
        rc = ss_fail(err, SS_ERR_IO, "cannot write %s: %s", to, strerror(errno));
        goto out;
    }
    for (;;) {
        ssize_t n = read(in, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = ss_fail(err, SS_ERR_IO, "cannot read %s: %s", from, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        for (ssize_t done = 0; done < n;) {
            ssize_t m = write(outfd, chunk + done, (size_t)(n - done));
            if (m < 0 && errno == EINTR)
                continue;
            if (m < 0) {
                rc = ss_fail(err, SS_ERR_IO, "cannot write %s: %s", to, strerror(errno));
                goto out;
            }
            done += m;
        }
    }
out:
    if (outfd >= 0 && close(outfd) != 0 && rc == SS_ERR_OK)
        rc = ss_fail(err, SS_ERR_IO, "cannot write %s: %s", to, strerror(errno));
    close(in);
    return rc;
}

/* What of the code folder's top level is not code for Lambda: skillserver's
 * settings and model, and an ASK project's own files. */
static bool
left_out_at_top(const char *name)
{
    static const char *const names[] = {"skillserver.json",   "skill.json",    "model.json",
                                        "ask-resources.json", "skill-package", "models"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    return false;
}

struct copy {
    struct export_result *out;
    size_t files;
    bool python_only; /* skillkit: its .py files, not what Python compiled */
};

/*
 * Copy the folder from into to (which exists): regular files and folders,
 * never following a link (a link is left out with a warning), skipping
 * hidden entries and __pycache__. top: the code folder's top level, where
 * left_out_at_top() applies too.
 */
static enum ss_err
copy_tree(struct copy *c, const char *from, const char *to, bool top, struct ss_error *err)
{
    enum ss_err rc = SS_ERR_OK;
    DIR *d = opendir(from);
    struct dirent *e;

    if (!d)
        return ss_fail(err, SS_ERR_IO, "cannot read the folder %s: %s", from, strerror(errno));
    while (rc == SS_ERR_OK && (errno = 0, e = readdir(d)) != NULL) {
        char src[PATH_MAX], dst[PATH_MAX];
        struct stat st;
        const char *name = e->d_name;

        if (name[0] == '.' || strcmp(name, "__pycache__") == 0)
            continue;
        if (top && (left_out_at_top(name) || strcmp(name, "skillkit") == 0)) {
            if (strcmp(name, "skillkit") == 0)
                add_warning(c->out, "the skill's own skillkit folder is replaced by "
                                    "skillserver's");
            continue;
        }
        int ws = snprintf(src, sizeof(src), "%s/%s", from, name);
        int wd = snprintf(dst, sizeof(dst), "%s/%s", to, name);
        if (ws < 0 || (size_t)ws >= sizeof(src) || wd < 0 || (size_t)wd >= sizeof(dst)) {
            rc = ss_fail(err, SS_ERR_IO, "the path %s/%s is too long", from, name);
            break;
        }
        if (lstat(src, &st) != 0) {
            rc = ss_fail(err, SS_ERR_IO, "cannot read %s: %s", src, strerror(errno));
            break;
        }
        if (S_ISDIR(st.st_mode)) {
            if (mkdir(dst, 0755) != 0)
                rc = ss_fail(err, SS_ERR_IO, "cannot make the folder %s: %s", dst, strerror(errno));
            else
                rc = copy_tree(c, src, dst, false, err);
        } else if (S_ISREG(st.st_mode)) {
            size_t n = strlen(name);
            if (c->python_only && (n < 3 || strcmp(name + n - 3, ".py") != 0))
                continue;
            rc = copy_file(src, dst, st.st_mode, err);
            c->files++;
        } else {
            add_warning(c->out,
                        "%s is left out: it is a %s, and only files and folders are "
                        "exported (copy what it points to into the skill instead)",
                        src, S_ISLNK(st.st_mode) ? "link" : "special file");
        }
    }
    if (rc == SS_ERR_OK && errno != 0)
        rc = ss_fail(err, SS_ERR_IO, "cannot read the folder %s: %s", from, strerror(errno));
    closedir(d);
    return rc;
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    /* Cleaning up after a failure that is already reported: what cannot be
     * removed is left, and the walk goes on with the rest. */
    if (remove(path) != 0)
        return 0;
    return 0;
}

/* ---- The project's JSON files ---- */

/* "thank you" -> "Thank You": a display name from the invocation name. */
static void
title_case(const char *words, char *buf, size_t cap)
{
    size_t n = 0;
    bool start = true;
    for (const char *p = words; *p && n + 1 < cap; p++) {
        char ch = *p;
        if (start && ch >= 'a' && ch <= 'z')
            ch = (char)(ch - 32);
        start = ch == ' ';
        buf[n++] = ch;
    }
    buf[n] = '\0';
}

/* Example phrases: "Alexa, open X", then "Alexa, ask X to SAMPLE" for the
 * first samples of the skill's own intents that have no slot. */
static json_t *
example_phrases(const struct export_model *m)
{
    json_t *list = json_array();
    char *phrase = NULL;

    if (!list || asprintf(&phrase, "Alexa, open %s", m->invocation) < 0 ||
        json_array_append_new(list, json_string(phrase)) != 0)
        goto fail;
    free(phrase);
    phrase = NULL;
    for (size_t i = 0; i < m->parsed->intent_count; i++) {
        const struct model_intent *in = &m->parsed->intents[i];
        if (strncmp(in->name, "AMAZON.", 7) == 0)
            continue;
        for (size_t k = 0; k < in->sample_count; k++) {
            if (strchr(in->samples[k], '{'))
                continue;
            if (json_array_size(list) >= EXPORT_EXAMPLE_PHRASES)
                return list;
            if (asprintf(&phrase, "Alexa, ask %s to %s", m->invocation, in->samples[k]) < 0 ||
                json_array_append_new(list, json_string(phrase)) != 0)
                goto fail;
            free(phrase);
            phrase = NULL;
            break; /* one phrase per intent */
        }
    }
    return list;
fail:
    free(phrase);
    json_decref(list);
    return NULL;
}

static json_t *
locale_info(const struct skill *skill, const struct export_model *m)
{
    char name[LIMIT_MODEL_TEXT_CHARS], *description = NULL;
    json_t *info;

    title_case(m->invocation[0] ? m->invocation : skill->name, name, sizeof(name));
    if (asprintf(&description, "%s, a skill made in class with skillserver. Say: Alexa, open %s.",
                 name, m->invocation) < 0)
        return NULL;
    info = json_pack("{s:s, s:s, s:s, s:o?}", "name", name, "summary",
                     "A skill made in class with skillserver.", "description", description,
                     "examplePhrases", example_phrases(m));
    free(description);
    return info;
}

/*
 * The manifest: an ASK project's own, with its endpoint left to `ask
 * deploy` and a locale entry made for each model it lacks; else one made
 * from the models. New reference, or NULL with err set.
 */
static json_t *
make_manifest(const struct skill *skill, const struct export_models *models, struct ss_error *err)
{
    json_t *doc = NULL, *manifest, *publishing, *locales, *apis, *custom;
    char path[PATH_MAX];

    if (skill->layout == SKILL_LAYOUT_ASK_V2 || skill->layout == SKILL_LAYOUT_ASK_V1) {
        json_error_t jerr;
        snprintf(path, sizeof(path), "%s/%s", skill->dir,
                 skill->layout == SKILL_LAYOUT_ASK_V2 ? "skill-package/skill.json" : "skill.json");
        doc = json_load_file(path, 0, &jerr);
        if (doc && !json_is_object(json_object_get(doc, "manifest"))) {
            json_decref(doc);
            doc = NULL;
        }
    }
    if (!doc)
        doc = json_pack("{s:{s:{s:{}, s:b, s:s, s:[]}, s:{s:{}}, s:s}}", "manifest",
                        "publishingInformation", "locales", "isAvailableWorldwide", 1, "category",
                        EXPORT_CATEGORY, "distributionCountries", "apis", "custom",
                        "manifestVersion", "1.0");
    if (!doc)
        goto nomem;
    manifest = json_object_get(doc, "manifest");
    publishing = json_object_get(manifest, "publishingInformation");
    if (!json_is_object(publishing)) {
        publishing = json_pack("{s:{}, s:b, s:s, s:[]}", "locales", "isAvailableWorldwide", 1,
                               "category", EXPORT_CATEGORY, "distributionCountries");
        if (!publishing || json_object_set_new(manifest, "publishingInformation", publishing))
            goto nomem;
    }
    locales = json_object_get(publishing, "locales");
    if (!json_is_object(locales)) {
        locales = json_object();
        if (!locales || json_object_set_new(publishing, "locales", locales) != 0)
            goto nomem;
    }
    for (size_t i = 0; i < models->count; i++) {
        if (json_object_get(locales, models->items[i].locale))
            continue;
        json_t *info = locale_info(skill, &models->items[i]);
        if (!info || json_object_set_new(locales, models->items[i].locale, info) != 0)
            goto nomem;
    }
    /* `ask deploy` points the endpoint at the function it makes. */
    apis = json_object_get(manifest, "apis");
    if (!json_is_object(apis)) {
        apis = json_object();
        if (!apis || json_object_set_new(manifest, "apis", apis) != 0)
            goto nomem;
    }
    custom = json_object_get(apis, "custom");
    if (!json_is_object(custom)) {
        custom = json_object();
        if (!custom || json_object_set_new(apis, "custom", custom) != 0)
            goto nomem;
    }
    json_object_del(custom, "endpoint");
    if (!json_is_string(json_object_get(manifest, "manifestVersion")) &&
        json_object_set_new(manifest, "manifestVersion", json_string("1.0")) != 0)
        goto nomem;
    return doc;
nomem:
    json_decref(doc);
    ss_fail(err, SS_ERR_NOMEM, "out of memory");
    return NULL;
}

static json_t *
make_resources(const struct skill *skill, const char *entry)
{
    char handler[96];
    snprintf(handler, sizeof(handler), "%s.lambda_handler", entry);
    return json_pack("{s:s, s:{s:{s:{s:s}, s:{s:{s:s}}, s:{s:{s:s, s:s, s:s}, s:s}}}}",
                     "askcliResourcesVersion", "2020-03-31", "profiles", "default", "skillMetadata",
                     "src", "./skill-package", "code", "default", "src", "./lambda",
                     "skillInfrastructure", "userConfig", "runtime", EXPORT_RUNTIME, "handler",
                     handler, "awsRegion", skill->region ? skill->region : EXPORT_REGION_DEFAULT,
                     "type", "@ask-cli/lambda-deployer");
}

/* value as a JSON text, which is also a Python literal (ASCII only). */
static char *
literal(json_t *value)
{
    char *text =
        value ? json_dumps(value, JSON_ENCODE_ANY | JSON_ENSURE_ASCII | JSON_COMPACT) : NULL;
    json_decref(value);
    return text;
}

/* The entry file: loads the skill's file beside it through skillkit.aws. */
static enum ss_err
write_entry(const struct skill *skill, const char *lambda_dir, const char *entry,
            struct ss_error *err)
{
    const char *script = skill->script + strlen(skill->code_dir) + 1;
    const char *function = skill->handler ? strrchr(skill->handler, '.') + 1 : "lambda_handler";
    char *file = literal(json_string(script)), *name = literal(json_string(skill->name));
    char *fn = literal(json_string(function));
    char *env = skill->environment ? literal(json_incref(skill->environment)) : strdup("None");
    char *text = NULL, rel[80];
    enum ss_err rc;

    if (!file || !name || !fn || !env ||
        asprintf(&text,
                 "\"\"\"The entry AWS Lambda calls (ask-resources.json: %s.lambda_handler).\n"
                 "\n"
                 "Written by skillserver export: it loads the skill's code beside it once and\n"
                 "answers each request from Alexa with skillkit (skillkit/aws.py).\n"
                 "\"\"\"\n"
                 "import os\n"
                 "\n"
                 "from skillkit.aws import skill_handler\n"
                 "\n"
                 "HERE = os.path.dirname(os.path.abspath(__file__))\n"
                 "\n"
                 "lambda_handler = skill_handler(os.path.join(HERE, %s), %s, function=%s,\n"
                 "                               environment=%s)\n",
                 entry, file, name, fn, env) < 0) {
        rc = ss_fail(err, SS_ERR_NOMEM, "out of memory");
        text = NULL;
        goto out;
    }
    snprintf(rel, sizeof(rel), "%s.py", entry);
    rc = scaffold_write(lambda_dir, rel, text, err);
out:
    free(text);
    free(file);
    free(name);
    free(fn);
    free(env);
    return rc;
}

/* ---- The whole project ---- */

/* DIR must not exist or be an empty folder, nor lie inside the skill. */
static enum ss_err
check_destination(const struct export_config *cfg, const struct skill *skill, struct ss_error *err)
{
    char parent[PATH_MAX], real[PATH_MAX];
    struct stat st;

    if (stat(cfg->dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return ss_fail(err, SS_ERR_USAGE,
                           "%s is a file: give the name of a new folder for the project", cfg->dir);
        DIR *d = opendir(cfg->dir);
        struct dirent *e;
        bool empty = true;
        if (!d)
            return ss_fail(err, SS_ERR_IO, "cannot read the folder %s: %s", cfg->dir,
                           strerror(errno));
        while ((e = readdir(d)) != NULL)
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                empty = false;
        closedir(d);
        if (!empty)
            return ss_fail(err, SS_ERR_USAGE,
                           "%s is not empty: export into a new folder (or empty this one "
                           "first), so nothing of yours is overwritten",
                           cfg->dir);
    }
    /* The folder that will hold DIR, made absolute to compare with the skill's. */
    snprintf(parent, sizeof(parent), "%s", cfg->dir);
    size_t n = strlen(parent);
    while (n > 1 && parent[n - 1] == '/')
        parent[--n] = '\0';
    char *slash = strrchr(parent, '/');
    if (!slash)
        snprintf(parent, sizeof(parent), ".");
    else if (slash == parent)
        parent[1] = '\0';
    else
        *slash = '\0';
    if (!realpath(parent, real))
        return ss_fail(err, SS_ERR_USAGE, "cannot export into %s: the folder %s: %s", cfg->dir,
                       parent, strerror(errno));
    n = strlen(skill->dir);
    if (strncmp(real, skill->dir, n) == 0 && (real[n] == '/' || real[n] == '\0'))
        return ss_fail(err, SS_ERR_USAGE,
                       "%s is inside the skill's own folder %s: export somewhere else, such as "
                       "~/%s-skill",
                       cfg->dir, skill->dir, skill->name);
    return SS_ERR_OK;
}

/* The entry's module name: lambda_function, unless the skill has a file of
 * that name (then it keeps it, and the entry is skillkit_lambda). */
static enum ss_err
choose_entry(const struct skill *skill, struct export_result *out, struct ss_error *err)
{
    static const char *const names[] = {"lambda_function", "skillkit_lambda"};
    char path[PATH_MAX];

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s.py", skill->code_dir, names[i]);
        if (access(path, F_OK) != 0) {
            snprintf(out->entry, sizeof(out->entry), "%s", names[i]);
            return SS_ERR_OK;
        }
    }
    return ss_fail(err, SS_ERR_USAGE,
                   "%s has both lambda_function.py and skillkit_lambda.py: rename one, so the "
                   "export can put the file Lambda calls beside your code",
                   skill->name);
}

static enum ss_err
write_project(const struct export_config *cfg, const struct skill *skill,
              const struct export_models *models, const char *tmp, struct export_result *out,
              struct ss_error *err)
{
    char lambda_dir[PATH_MAX], rel[PATH_MAX], from[PATH_MAX], to[PATH_MAX];
    json_t *doc = NULL;
    enum ss_err rc;

    if ((rc = scaffold_mkdir(tmp, "skill-package", err)) != SS_ERR_OK ||
        (rc = scaffold_mkdir(tmp, "skill-package/interactionModels", err)) != SS_ERR_OK ||
        (rc = scaffold_mkdir(tmp, "skill-package/interactionModels/custom", err)) != SS_ERR_OK ||
        (rc = scaffold_mkdir(tmp, "lambda", err)) != SS_ERR_OK ||
        (rc = scaffold_mkdir(tmp, "lambda/skillkit", err)) != SS_ERR_OK)
        return rc;
    for (size_t i = 0; i < models->count; i++) {
        snprintf(rel, sizeof(rel), "skill-package/interactionModels/custom/%s.json",
                 models->items[i].locale);
        if ((rc = write_json(tmp, rel, models->items[i].doc, err)) != SS_ERR_OK)
            return rc;
    }
    if (!(doc = make_manifest(skill, models, err)))
        return err->code;
    rc = write_json(tmp, "skill-package/skill.json", doc, err);
    json_decref(doc);
    if (rc != SS_ERR_OK)
        return rc;
    if (!(doc = make_resources(skill, out->entry)))
        return ss_fail(err, SS_ERR_NOMEM, "out of memory");
    rc = write_json(tmp, "ask-resources.json", doc, err);
    json_decref(doc);
    if (rc != SS_ERR_OK)
        return rc;

    if ((rc = join_path(lambda_dir, sizeof(lambda_dir), tmp, "lambda", err)) != SS_ERR_OK)
        return rc;
    struct copy code = {.out = out};
    if ((rc = copy_tree(&code, skill->code_dir, lambda_dir, true, err)) != SS_ERR_OK)
        return rc;
    out->files = code.files;
    struct copy kit = {.out = out, .python_only = true};
    if ((rc = join_path(from, sizeof(from), cfg->skillkit_dir, "skillkit", err)) != SS_ERR_OK ||
        (rc = join_path(to, sizeof(to), lambda_dir, "skillkit", err)) != SS_ERR_OK)
        return rc;
    if ((rc = copy_tree(&kit, from, to, false, err)) != SS_ERR_OK)
        return rc;
    return write_entry(skill, lambda_dir, out->entry, err);
}

enum ss_err
export_skill(const struct export_config *cfg, struct export_result *out, struct ss_error *err)
{
    struct skill skill;
    struct export_models models = {0};
    struct model *inferred = NULL;
    char tmp[PATH_MAX];
    bool loaded = false, made = false;
    enum ss_err rc;

    memset(out, 0, sizeof(*out));
    if ((rc = skill_load(cfg->skills_dir, cfg->skill, &skill, err)) != SS_ERR_OK)
        return rc;
    loaded = true;
    if ((rc = export_models(&skill, cfg->runtime, &inferred, &models, out, err)) != SS_ERR_OK ||
        (rc = check_destination(cfg, &skill, err)) != SS_ERR_OK ||
        (rc = choose_entry(&skill, out, err)) != SS_ERR_OK)
        goto out;
    size_t code_len = strlen(skill.code_dir);
    if (strncmp(skill.script, skill.code_dir, code_len) != 0 || skill.script[code_len] != '/') {
        rc = ss_fail(err, SS_ERR_SKILL_CONFIG,
                     "%s's code %s is not inside its code folder %s: move it there, then "
                     "export again",
                     skill.name, skill.script, skill.code_dir);
        goto out;
    }
    snprintf(out->invocation, sizeof(out->invocation), "%s", models.items[0].invocation);
    for (size_t i = 0; i < models.count; i++) {
        size_t used = strlen(out->locales);
        snprintf(out->locales + used, sizeof(out->locales) - used, "%s%s", i ? ", " : "",
                 models.items[i].locale);
    }

    int w = snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", cfg->dir);
    if (w < 0 || (size_t)w >= sizeof(tmp)) {
        rc = ss_fail(err, SS_ERR_IO, "the path %s is too long", cfg->dir);
        goto out;
    }
    if (!mkdtemp(tmp)) {
        rc = ss_fail(err, SS_ERR_IO, "cannot make the folder %s: %s", tmp, strerror(errno));
        goto out;
    }
    made = true;
    if (chmod(tmp, 0755) != 0) {
        rc = ss_fail(err, SS_ERR_IO, "cannot change %s: %s", tmp, strerror(errno));
        goto out;
    }
    if ((rc = write_project(cfg, &skill, &models, tmp, out, err)) != SS_ERR_OK)
        goto out;
    /* An empty DIR is replaced by the rename; anything else was refused. */
    if (rename(tmp, cfg->dir) != 0) {
        rc = ss_fail(err, SS_ERR_IO, "cannot put the project at %s: %s", cfg->dir, strerror(errno));
        goto out;
    }
    made = false;
out:
    if (made)
        (void)nftw(tmp, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    models_cleanup(&models);
    model_destroy(inferred);
    if (loaded)
        skill_cleanup(&skill);
    return rc;
}
