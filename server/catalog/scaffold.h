/*
 * scaffold.h - `skillserver new`: a new skill folder that runs at once.
 *
 * Two shapes: skillserver's own (skill.py, model.json, skill.json) and, with
 * the ASK layout, an ASK CLI v2 project (ask-resources.json, skill-package/
 * with the manifest and an en-US model, lambda/ with the code) whose code
 * is skillkit-based, so a skill started here is already shaped for
 * `ask deploy`. Nothing is overwritten: an existing folder is an error.
 *
 * The invocation name follows Amazon's rules (model_check_invocation()):
 * one that breaks a rule Amazon never waives is refused before anything is
 * written, with a name that would do; one Amazon accepts only for brands
 * (a single word) is used, with a warning.
 */
#ifndef SKILLSERVER_SCAFFOLD_H
#define SKILLSERVER_SCAFFOLD_H

#include <stdbool.h>

#include "error.h"
#include "ss_limits.h"

struct scaffold_result {
    char invocation[LIMIT_MODEL_TEXT_CHARS]; /* the invocation name the skill was given */
    char warning[768]; /* what Amazon may refuse about it and where to change it, or "" */
};

/*
 * Make skills_dir/name (skills_dir is made when missing). invocation: the
 * invocation name to give it, or NULL for the folder's name with '_' and
 * '-' as spaces, lower case. ask: the ASK CLI v2 layout. Fills *out.
 * Errors: SS_ERR_USAGE (an invalid name, an invocation name Amazon would
 * refuse, or the folder exists; the message says what to do), SS_ERR_IO
 * (with the path and the reason). On failure, what was written is left for
 * the user to see, and the message names it.
 */
/* Write text to DIR/REL, which must not exist yet (nothing is overwritten). */
enum ss_err scaffold_write(const char *dir, const char *rel, const char *text,
                           struct ss_error *err);

/* Make the folder DIR/REL (DIR itself when rel is NULL); one that exists
 * already is fine. */
enum ss_err scaffold_mkdir(const char *dir, const char *rel, struct ss_error *err);

enum ss_err scaffold_new(const char *skills_dir, const char *name, const char *invocation, bool ask,
                         struct scaffold_result *out, struct ss_error *err);

#endif
