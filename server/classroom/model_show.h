/*
 * model_show.h - a skill's interaction model as people see it: the file's,
 * or the one skillkit infers from a skill written as plain functions, and
 * `skillserver model SKILL`, which prints it in the ASK JSON format so a
 * child sees what their functions mean and a teacher can save it as
 * model.json.
 *
 * The inferred model comes from the skill's own worker (its load report,
 * message.h), started the way invoke starts it (runtime.h), and is parsed
 * by model_parse() like any file: the worker runs hostile code.
 */
#ifndef SKILLSERVER_MODEL_SHOW_H
#define SKILLSERVER_MODEL_SHOW_H

#include <stdio.h>

#include "error.h"
#include "model.h"
#include "runtime.h"
#include "skill.h"

/*
 * The model skillkit infers from skill's plain functions, starting one of
 * its workers with cfg (workers and launcher_fd are set here). *out is NULL
 * with SS_ERR_OK when the skill is not written that way (decorators, a
 * lambda_handler) or has a model file. Errors: the worker's (SS_ERR_SKILL_LOAD
 * with file and line, ...), SS_ERR_SKILL_CONFIG when its model does not
 * parse. The caller releases *out with model_destroy().
 */
enum ss_err model_show_infer(const struct skill *skill, const struct runtime_config *cfg,
                             struct model **out, struct ss_error *err);

struct model_show_config {
    const char *skills_dir;
    const char *skill;             /* the skill's folder name */
    const char *locale;            /* the model of this locale; NULL: the skill's own */
    struct runtime_config runtime; /* exe, skillkit_dir, data_dir, dev, user */
    FILE *out;                     /* the model's JSON */
    FILE *err;                     /* messages for the person */
};

/* Print the model. Exit status: 0 printed; 1 the skill does not load, or
 * has no model and none can be inferred; 2 an unknown skill or locale. */
int model_show_run(const struct model_show_config *cfg);

#endif
