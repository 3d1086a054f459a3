/*
 * skill.h - the skill folders: skills/NAME/skill.py and skills/NAME/skill.json.
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

struct skill {
    char name[LIMIT_SKILL_NAME_CHARS + 1];
    char *dir;            /* owned: absolute path of the skill's folder */
    char *script;         /* owned: absolute path of skill.py */
    char *model_path;     /* owned: model.json's path when the file exists, else NULL */
    char *application_id; /* owned: from skill.json, NULL when not configured */
    char *locale;         /* owned: from skill.json, default "en-US" */
    json_t *manifest;     /* owned: skill.json, or an empty object */
};

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
 * (no such folder or no skill.py; the message lists the skills that exist),
 * SS_ERR_USAGE (an invalid name), SS_ERR_SKILL_CONFIG (skill.json is not
 * valid; the message gives the file, line and field). On success fills *out,
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
