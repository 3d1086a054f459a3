/*
 * invoke.h - `skillserver invoke`: one request from a file through one
 * skill, the response printed.
 *
 * The same pipeline serve runs (dispatch.h), entered with the command
 * line's verification policy: a request written or made on this machine
 * carries no signature and may be old, but its applicationId must still be
 * the skill's (verify.h).
 */
#ifndef SKILLSERVER_INVOKE_H
#define SKILLSERVER_INVOKE_H

#include <stdbool.h>
#include <stdio.h>

#include "runtime.h"

struct invoke_config {
    const char *skills_dir;
    const char *skill;             /* the skill's folder name */
    const char *input;             /* the request's file; NULL or "-": standard input */
    bool compact;                  /* the response on one line */
    struct runtime_config runtime; /* data_dir, dev, timeout, user, exe, skillkit_dir */
    FILE *out;                     /* the response */
    FILE *err;                     /* messages for the person */
};

/* Exit status: 0 the skill answered; 1 it failed (the apology was printed)
 * or the answer could not be written; 2 a bad skill name or a request that
 * is not one the skill can answer. The SSML checker's preload (started when
 * the skill's process runs) may still be at work when it returns: the caller
 * waits for it with ssml_preload_wait(), or ends the process with _exit(). */
int invoke_run(const struct invoke_config *cfg);

#endif
