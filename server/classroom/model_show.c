/*
 * model_show.c - a skill's model, from its file or inferred from its
 * functions, and `skillserver model` (model_show.h).
 */
#include "model_show.h"

#include <stdlib.h>
#include <string.h>

#include "canned.h"
#include "message.h"
#include "pool.h"

enum { SHOW_FAILED = 1, SHOW_USAGE = 2 };

enum ss_err
model_show_infer(const struct skill *skill, const struct runtime_config *cfg, struct model **out,
                 struct ss_error *err)
{
    struct runtime rt = {0};
    struct message_load hello = {0};
    struct runtime_config one = *cfg;
    char *text = NULL;
    char name[LIMIT_SKILL_NAME_CHARS + 64];
    enum ss_err rc;

    *out = NULL;
    if (skill_model_file(skill, NULL) || skill->model_count)
        return SS_ERR_OK;
    one.workers = 1;
    one.launcher_fd = -1;
    if ((rc = runtime_open(&rt, &one, err)) != SS_ERR_OK)
        return rc;
    if ((rc = pool_start(rt.pool, skill, &hello, err)) != SS_ERR_OK)
        goto out;
    if (!hello.ok || !hello.model)
        goto out;
    text = json_dumps(hello.model, JSON_COMPACT);
    if (!text) {
        rc = ss_fail(err, SS_ERR_NOMEM, "out of memory");
        goto out;
    }
    snprintf(name, sizeof(name), "%s (the model read from its functions)", skill->name);
    rc = model_parse(name, text, strlen(text), out, err);
out:
    free(text);
    message_load_cleanup(&hello);
    runtime_close(&rt);
    return rc;
}

int
model_show_run(const struct model_show_config *cfg)
{
    struct skill skill;
    struct ss_error err;
    struct model *inferred = NULL;
    const struct model *model = NULL;
    int rc = SHOW_USAGE;

    ss_error_clear(&err);
    if (cfg->locale && !canned_locale_valid(cfg->locale)) {
        fprintf(cfg->err,
                "skillserver: '%s' is not a locale: write a language and a country, such as "
                "en-US or de-DE\n",
                cfg->locale);
        return SHOW_USAGE;
    }
    if (skill_load(cfg->skills_dir, cfg->skill, &skill, &err) != SS_ERR_OK) {
        fprintf(cfg->err, "skillserver: %s\n", err.msg);
        return SHOW_USAGE;
    }
    const struct skill_model *file = skill_model_file(&skill, cfg->locale);
    if (file) {
        if (!(model = file->model)) {
            fprintf(cfg->err, "skillserver: %s\n", file->error.msg);
            rc = SHOW_FAILED;
            goto out;
        }
    } else if (skill.model_count) {
        fprintf(cfg->err,
                "skillserver: %s has no interaction model for %s; its project has models for "
                "other locales (leave out --locale to see its own)\n",
                skill.name, cfg->locale ? cfg->locale : skill.locale);
        goto out;
    } else {
        enum ss_err e = model_show_infer(&skill, &cfg->runtime, &inferred, &err);
        if (e != SS_ERR_OK) {
            fprintf(cfg->err, "skillserver: %s: %s\n", skill.name, err.msg);
            rc = SHOW_FAILED;
            goto out;
        }
        if (!(model = inferred)) {
            fprintf(cfg->err,
                    "skillserver: %s has no model.json, and its model cannot be read from its "
                    "functions (it uses decorators or lambda_handler). Write a model.json, or "
                    "write the skill as plain functions such as def tell_me_a_joke(): ...\n",
                    skill.name);
            rc = SHOW_FAILED;
            goto out;
        }
    }
    rc = json_dumpf(model->root, cfg->out, JSON_INDENT(2)) == 0 && fputc('\n', cfg->out) != EOF &&
                 fflush(cfg->out) == 0
             ? 0
             : SHOW_FAILED;
    if (rc)
        fprintf(cfg->err, "skillserver: cannot write the model\n");
out:
    model_destroy(inferred);
    skill_cleanup(&skill);
    return rc;
}
