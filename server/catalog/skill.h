/*
 * skill.h - the skill folders, in every layout skillserver runs, with their
 * settings and their interaction models: the catalog. Everything above it
 * (verification, the worker pool, dispatch, say, the simulator, serve)
 * asks it what a skill is and borrows what it read.
 *
 * A folder under the skills folder is a skill when it is one of these, told
 * apart in this order (the first that matches wins):
 *
 *  1. an ASK CLI v2 project: ask-resources.json (code folder, handler,
 *     region), skill-package/skill.json (the manifest: locales),
 *     skill-package/interactionModels/custom/LOCALE.json, and
 *     .ask/ask-states.json (skill id); a skill-package/ folder without
 *     ask-resources.json counts too (with a v1 .ask/config);
 *  2. an ASK CLI v1 project: skill.json whose top level is "manifest" (its
 *     apis.custom.endpoint.sourceDir names the code folder), models/LOCALE.json,
 *     .ask/config (handler and skill id);
 *  3. skillserver's own: skill.py (+ model.json, skill.json);
 *  4. a Lambda function folder: lambda_function.py (lambda_handler), or a
 *     "handler" ("module.function") in skillserver's settings.
 *
 * skillserver's settings ("handler", "applicationId", "locale", "region",
 * "environment", and any key a later version reads) are, in every layout:
 *
 *  - skillserver.json in the folder, when there is one; then a skill.json
 *    beside it is only ever read as an ASK manifest, never as settings
 *    (skill->layout_note says so, and serve logs it);
 *  - else skill.json, when its top level is not "manifest".
 *
 * So an ASK CLI v1 project, whose skill.json is the ASK manifest, keeps its
 * settings in skillserver.json. What the settings say wins over what the
 * project's files say; the project fills in what they leave out. A code
 * folder the project names that does not hold the handler's file is looked
 * for in lambda/, lambda/py/, lambda/custom/ and the project folder, and
 * skill->layout_note says what was chosen.
 *
 * Models: an ASK project has one per locale (LOCALE.json in its models
 * folder), the other layouts one model.json for every locale. They are
 * parsed when the skill is loaded, and the skill owns them: skill_model()
 * lends them. One whose file does not load is kept with its error, so the
 * skill still loads and the error is told where the model would be used.
 *
 * A skill set is read once per generation (at start-up, on each reload of
 * serve, or once per command) and is read-only afterwards, so any thread
 * may look skills and models up without locking.
 */
#ifndef SKILLSERVER_SKILL_H
#define SKILLSERVER_SKILL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "ss_limits.h"

enum skill_layout {
    SKILL_LAYOUT_OWN,    /* skill.py */
    SKILL_LAYOUT_LAMBDA, /* lambda_function.py, or "handler" in skill.json */
    SKILL_LAYOUT_ASK_V2, /* ask-resources.json, skill-package/ */
    SKILL_LAYOUT_ASK_V1, /* skill.json with "manifest", models/ */
};

struct model;

/* One interaction model of a skill, parsed when the skill was loaded. */
struct skill_model {
    char locale[LIMIT_LOCALE_CHARS + 1]; /* "de-DE"; "" for a model.json (every locale) */
    char *path;                          /* owned: the file */
    struct model *model;                 /* owned: NULL when the file did not load */
    struct ss_error error;               /* why it did not load, with the file and where */
};

struct skill {
    char name[LIMIT_SKILL_NAME_CHARS + 1];
    enum skill_layout layout;
    char *dir;            /* owned: absolute path of the skill's folder (the project) */
    char *code_dir;       /* owned: the code folder: working directory, LAMBDA_TASK_ROOT */
    char *script;         /* owned: absolute path of the file holding the handler */
    char *handler;        /* owned: "module.function"; NULL for skill.py (skillkit's style) */
    char *model_path;     /* owned: the file of the model for locale when it exists, else NULL */
    char *models_dir;     /* owned: an ASK project's folder of LOCALE.json models, or NULL */
    char *application_id; /* owned: skill.json, else the project's skill id, else NULL */
    char *locale;         /* owned: skill.json, else the project's first locale, "en-US" */
    char *region;         /* owned: the settings' region, else the project's awsRegion, or NULL */
    char *layout_note;    /* owned: one line for the log: the layout and what was chosen */
    json_t *settings;     /* owned: skillserver's settings (see above), or an empty object */
    json_t *environment;  /* borrowed from settings: "environment", checked, or NULL */
    struct skill_model *models; /* owned: model_path's first, then the other locales' */
    size_t model_count;
};

/* "skillserver", "Lambda function", "ASK CLI v2 project", "ASK CLI v1 project". */
const char *skill_layout_name(enum skill_layout layout);

/*
 * The skill's model for locale (NULL: the skill's own locale): an ASK
 * project's LOCALE.json, or the model.json of the other layouts, whatever
 * the locale. NULL when the skill has no model file for that locale, or
 * when it did not load (skill_model_file() says why). Borrowed: it lives as
 * long as the skill (in serve, as long as the generation), and is
 * read-only, so any thread may use it.
 */
const struct model *skill_model(const struct skill *skill, const char *locale);

/* The same model with its file and load error, or NULL when the skill has
 * no model file for that locale. Borrowed, like skill_model(). */
const struct skill_model *skill_model_file(const struct skill *skill, const char *locale);

struct skill_set {
    char *root; /* owned: absolute path of the skills folder */
    struct skill *items;
    size_t count;
};

/* True when name may be a skill: 1..LIMIT_SKILL_NAME_CHARS of [A-Za-z0-9_-],
 * not starting with '-' or '.'. */
int skill_name_valid(const char *name);

/* True when region may be an AWS region's code, like "us-east-1": 1..32 of
 * [a-z0-9-], a letter first, with a '-'. What AWS_REGION and
 * AWS_DEFAULT_REGION are set to (the settings' "region", a project's
 * awsRegion, or the function's own under `skillserver lambda`). */
int skill_region_valid(const char *region);

/*
 * Read the skill called name from the folder root. Errors: SS_ERR_UNKNOWN_SKILL
 * (no such folder, or a folder of none of the layouts above; the message lists
 * the skills that exist and what a skill folder holds),
 * SS_ERR_USAGE (an invalid name), SS_ERR_SKILL_CONFIG (the settings or a
 * project file are not valid, or name a handler that is not there; the
 * message gives the file, line and field; or the folder or one of its
 * files cannot be read: the message says so and how to fix it). A model
 * that does not load is not an error (see skill_model_file()). On success
 * fills *out, which the caller releases with skill_cleanup().
 */
enum ss_err skill_load(const char *root, const char *name, struct skill *out, struct ss_error *err);

/*
 * Read the folder dir (a Lambda function's code, LAMBDA_TASK_ROOT) as the
 * skill called name, whose handler is handler ("module.function", over
 * what the folder's settings or project say; NULL: theirs). With a handler,
 * a folder that holds only its module is a Lambda function folder. Errors
 * as skill_load() (SS_ERR_UNKNOWN_SKILL: dir is not a folder).
 */
enum ss_err skill_load_function(const char *dir, const char *name, const char *handler,
                                struct skill *out, struct ss_error *err);

void skill_cleanup(struct skill *skill);

/*
 * Read every skill under root, sorted by name, with its models. A skill
 * whose settings or project files are broken is reported through report
 * (may be NULL) and left out; the others load. Fails only when root cannot
 * be read (SS_ERR_IO) or on OOM.
 */
typedef void (*skill_report_fn)(void *ctx, const char *name, const struct ss_error *err);
enum ss_err skill_set_load(const char *root, struct skill_set **out, skill_report_fn report,
                           void *report_ctx, struct ss_error *err);

void skill_set_destroy(struct skill_set *set);

const struct skill *skill_set_find(const struct skill_set *set, const char *name);

/* The skill configured with this applicationId, or NULL. */
const struct skill *skill_set_by_application(const struct skill_set *set, const char *app_id);

/* The names of the skills under root, comma-separated, into buf (for messages). */
void skill_list_names(const char *root, char *buf, size_t cap);

#endif
