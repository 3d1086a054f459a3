/*
 * skill_folder.h - reading one skill folder (skill_folder.c), for skill.c
 * only: the catalog's public face is skill.h.
 */
#ifndef SKILLSERVER_SKILL_FOLDER_H
#define SKILLSERVER_SKILL_FOLDER_H

#include <stdbool.h>

#include "error.h"
#include "skill.h"

/*
 * Fill skill (name, dir and locale already set) from its folder: settings,
 * layout, code, handler, the path of the model for its locale. handler,
 * when not NULL, is the handler whatever the folder says (the folder is
 * then a Lambda function folder unless it is an ASK project). Errors as
 * skill_load() says; on failure what was filled in is left for
 * skill_cleanup().
 */
enum ss_err skill_folder_read(struct skill *skill, const char *handler, struct ss_error *err);

/* True when path is a regular file (following links). */
bool skill_file_exists(const char *path);

/* 0 when path can be opened for reading (with this process's rights, which
 * may be capabilities rather than its real user's, so not access()); else
 * the errno. */
int skill_open_error(const char *path);

#endif
