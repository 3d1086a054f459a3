/*
 * skill.h - the skill folders, in every layout skillserver runs.
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
 *     "handler" ("module.function") in skillserver's own skill.json.
 *
 * skillserver's own skill.json is the folder's skill.json when its top level
 * is not "manifest". Where it exists beside an ASK project, what it says
 * ("handler", "applicationId", "locale", "environment") wins over what the
 * project's files say. A code folder the project names that does not hold
 * the handler's file is looked for in lambda/, lambda/py/, lambda/custom/
 * and the project folder, and skill->layout_note says what was chosen.
 *
 * A skill set is read once (at start-up, or per command) and is read-only
 * afterwards, so any thread may look skills up without locking.
 */
#ifndef SKILLSERVER_SKILL_H
#define SKILLSERVER_SKILL_H

#include <jansson.h>
#include <stddef.h>

#include "error.h"
#include "ss_limits.h"

enum skill_layout {
    SKILL_LAYOUT_OWN,    /* skill.py */
    SKILL_LAYOUT_LAMBDA, /* lambda_function.py, or "handler" in skill.json */
    SKILL_LAYOUT_ASK_V2, /* ask-resources.json, skill-package/ */
    SKILL_LAYOUT_ASK_V1, /* skill.json with "manifest", models/ */
};

struct skill {
    char name[LIMIT_SKILL_NAME_CHARS + 1];
    enum skill_layout layout;
    char *dir;            /* owned: absolute path of the skill's folder (the project) */
    char *code_dir;       /* owned: the code folder: working directory, LAMBDA_TASK_ROOT */
    char *script;         /* owned: absolute path of the file holding the handler */
    char *handler;        /* owned: "module.function"; NULL for skill.py (skillkit's style) */
    char *model_path;     /* owned: the model for locale when the file exists, else NULL */
    char *models_dir;     /* owned: an ASK project's folder of LOCALE.json models, or NULL */
    char *application_id; /* owned: skill.json, else the project's skill id, else NULL */
    char *locale;         /* owned: skill.json, else the project's first locale, "en-US" */
    char *region;         /* owned: the project's awsRegion, or NULL */
    char *layout_note;    /* owned: one line for the log: the layout and what was chosen */
    json_t *manifest;     /* owned: skillserver's own skill.json, or an empty object */
    json_t *environment;  /* borrowed from manifest: "environment", checked, or NULL */
};

/* "skillserver", "Lambda function", "ASK CLI v2 project", "ASK CLI v1 project". */
const char *skill_layout_name(enum skill_layout layout);

/* The model for locale (an ASK project's LOCALE.json, else the skill's
 * model_path), as a new string the caller frees, or NULL when there is none. */
char *skill_model_for(const struct skill *skill, const char *locale);

struct skill_set {
    char *root; /* owned: absolute path of the skills folder */
    struct skill *items;
    size_t count;
};

/* True when name may be a skill: 1..LIMIT_SKILL_NAME_CHARS of [A-Za-z0-9_-],
 * not starting with '-' or '.'. */
int skill_name_valid(const char *name);

/*
 * Read the skill called name from the folder root. Errors: SS_ERR_UNKNOWN_SKILL
 * (no such folder, or a folder of none of the layouts above; the message lists
 * the skills that exist and what a skill folder holds),
 * SS_ERR_USAGE (an invalid name), SS_ERR_SKILL_CONFIG (skill.json or a
 * project file is not valid, or names a handler that is not there; the
 * message gives the file, line and field; or the folder or one of its
 * files cannot be read: the message says so and how to fix it). On success fills *out,
 * which the caller releases with skill_cleanup().
 */
enum ss_err skill_load(const char *root, const char *name, struct skill *out, struct ss_error *err);

void skill_cleanup(struct skill *skill);

/*
 * Read every skill under root, sorted by name. A skill whose skill.json is
 * broken is reported through report (may be NULL) and left out; the others
 * load. Fails only when root cannot be read (SS_ERR_IO) or on OOM.
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
