/*
 * scaffold.h - `skillserver new`: a new skill folder that runs at once.
 *
 * Two shapes: skillserver's own (skill.py, model.json, skill.json) and, with
 * the ASK layout, an ASK CLI v2 project (ask-resources.json, skill-package/
 * with the manifest and an en-US model, lambda/ with the code) whose code
 * is skillkit-based, so a skill started here is already shaped for
 * `ask deploy`. Nothing is overwritten: an existing folder is an error.
 */
#ifndef SKILLSERVER_SCAFFOLD_H
#define SKILLSERVER_SCAFFOLD_H

#include <stdbool.h>

#include "error.h"

/*
 * Make skills_dir/name (skills_dir is made when missing). ask: the ASK CLI
 * v2 layout. Errors: SS_ERR_USAGE (an invalid name, or the folder exists),
 * SS_ERR_IO (with the path and the reason). On failure, what was written is
 * left for the user to see, and the message names it.
 */
enum ss_err scaffold_new(const char *skills_dir, const char *name, bool ask, struct ss_error *err);

#endif
