/*
 * python.h - the worker side: embedded CPython running one skill.
 *
 * This is the only module that calls the CPython API. It runs in worker
 * processes only (see pool.h); the front never initialises Python.
 */
#ifndef SKILLSERVER_PYTHON_H
#define SKILLSERVER_PYTHON_H

#include <stdbool.h>

#include "sandbox.h"

struct python_worker_config {
    int fd;                   /* the socket to the front */
    const char *name;         /* the skill's name */
    const char *script;       /* path of the file holding the handler (skill.py, ...) */
    const char *handler;      /* "module.function", or NULL for skill.py (skillkit's style) */
    const char *skillkit_dir; /* folder holding the skillkit package */
    bool dev;
    bool zygote;                   /* fork workers; false: answer requests itself (for testing the
                                      boundary alone, with the sandbox off) */
    struct sandbox_config sandbox; /* entered before Python starts */
};

/*
 * The zygote of a skill: enter the skill's sandbox (see sandbox.h), then
 * initialise CPython (isolated, without Python's own signal handlers), load
 * the skill through skillkit._runner.load() (with the model path the
 * launcher put in LAUNCHER_MODEL_ENV, when there) and send HELLO; then fork a
 * worker for each PROTO_FORK frame. A worker adds its stricter filter, greets
 * the front on its own socket and answers REQUEST frames until the front
 * closes it. Returns the process exit status, in the zygote and in each
 * worker alike: 0 after a clean close, 1 when the skill did not load or
 * could not be confined (after reporting it), 2 when Python or the protocol
 * failed. Python is not finalized (see finish_python() in python.c): the
 * caller exits with the status next.
 */
int python_worker_main(const struct python_worker_config *cfg);

#endif
