/*
 * export.h - `skillserver export SKILL DIR`: a skill from the classroom as
 * an ASK CLI v2 project that `ask deploy` takes as it is.
 *
 * DIR gets (spec/skill-projects.md §1, the layout catalog/scaffold.c makes
 * for `skillserver new --layout ask`):
 *
 *   ask-resources.json     the profile "default": skill-package, lambda/, the
 *                          Lambda deployer with runtime, handler and region
 *   skill-package/skill.json                       the manifest
 *   skill-package/interactionModels/custom/LOCALE.json   one model per locale
 *   lambda/                the skill's code as it is (vendored packages
 *                          included, skillserver's settings and model left
 *                          out), skillkit/ copied, and the entry Lambda calls
 *                          (lambda_function.py, which hands each event to
 *                          skillkit.aws; another name when the skill has a
 *                          lambda_function.py of its own)
 *
 * The models come from export's one acquisition function (export.c,
 * export_models()): the skill's model files as the catalog found them, else
 * the model skillkit infers from a skill written as plain functions
 * (model_show_infer(), which starts the skill's sandboxed worker when
 * cfg->runtime is given). A skill with neither is refused, saying what to
 * add. An ASK project's
 * own manifest is kept (its endpoint left to `ask deploy`); other skills
 * get one made from the invocation name.
 *
 * What must stay true: nothing is half-written. Everything goes into
 * DIR.tmp-XXXXXX beside DIR, which is renamed to DIR at the end and removed
 * on any failure. DIR must not exist or be empty, and may not lie inside
 * the skill's own folder.
 */
#ifndef SKILLSERVER_EXPORT_H
#define SKILLSERVER_EXPORT_H

#include <stddef.h>

#include "error.h"
#include "runtime.h"
#include "ss_limits.h"

struct export_config {
    const char *skills_dir;   /* the skills folder */
    const char *skill;        /* the skill's name (its folder under skills_dir) */
    const char *dir;          /* where the project goes */
    const char *skillkit_dir; /* the folder holding the skillkit package */
    /* How to start the skill's worker to read the model of a skill of plain
     * functions; NULL: such a skill is refused like one without a model. */
    const struct runtime_config *runtime;
};

struct export_result {
    char invocation[LIMIT_MODEL_TEXT_CHARS]; /* the invocation name (first locale's) */
    char locales[128];                       /* "en-US, de-DE" */
    char entry[64];                          /* "lambda_function.lambda_handler" */
    size_t files;                            /* files of the skill's code copied */
    char warnings[1536]; /* lines to show (model warnings, files left out), or "" */
};

/*
 * Write the project for cfg->skill into cfg->dir; fills *out. Errors:
 * SS_ERR_UNKNOWN_SKILL (no such skill; the message lists the skills),
 * SS_ERR_USAGE (DIR is not empty, is a file, or lies inside the skill; the
 * skill has no model or a model Amazon would refuse: the message says what
 * to do), SS_ERR_SKILL_CONFIG (the skill's files are broken), SS_ERR_IO
 * (with the path and the reason), SS_ERR_NOMEM. On failure nothing is left
 * behind. Runs no Python itself (a skill of plain functions: its worker
 * does, see above); one thread.
 */
enum ss_err export_skill(const struct export_config *cfg, struct export_result *out,
                         struct ss_error *err);

#endif
