/*
 * launcher.h - starting a skill's zygote process, and the launcher that
 * starts them for a front that gave up root.
 *
 * launcher_zygote() is the one place that execs the worker program
 * (skillserver-worker, server/worker_main.c): a fixed minimal environment,
 * a new session, no signal blocked, /dev/null for stdin, the output pipe for
 * stdout and stderr, the control socket and the lifeline as descriptors 3
 * and 4 (sandbox.h), and nothing else.
 *
 * serve started as root binds its port, then becomes an unprivileged user.
 * Skills are still started with root's rights (so that a skill folder only
 * root can open is found, and each skill's namespaces are made as
 * sandbox.h describes): by the launcher, a small process forked before any
 * thread exists, which keeps root, runs no Python and no network code, and
 * does one thing for the front over a socket: start a zygote for a skill
 * named in the request, with the three descriptors passed along, and hand
 * back the new process's pidfd. It ends when the front closes the socket.
 */
#ifndef SKILLSERVER_LAUNCHER_H
#define SKILLSERVER_LAUNCHER_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "skill.h"

/* The variable that tells a zygote where its skill's model is. */
#define LAUNCHER_MODEL_ENV "SKILLSERVER_MODEL"

/* The folder holding the skillkit package: the installed copy, or the
 * sources in a build tree (paths.h). */
const char *launcher_skillkit_dir(void);

/* The absolute path of the worker program (paths.h: beside skillserver in
 * a build tree, in LIBEXECDIR/skillserver when installed), into buf.
 * Errors: SS_ERR_IO, saying why (it is missing, not executable, or the path
 * does not fit). */
enum ss_err launcher_worker_path(char *buf, size_t cap, struct ss_error *err);

/* What every zygote of one server gets the same. */
struct launcher_config {
    const char *exe;          /* the worker program (launcher_worker_path()) */
    const char *skillkit_dir; /* the skillkit package's folder */
    const char *user;         /* the skills' user when started as root; NULL: nobody */
    int handler_timeout_ms;   /* the hard deadline, told to skills as Lambda's timeout */
    bool dev;
    bool no_network;          /* skills get a network namespace of their own (sandbox.h) */
    bool namespaces_optional; /* sandbox.h: only where the kernel refuses them */
    /* Called on the starting thread once a zygote's process is created
     * (posix_spawn succeeded, or the launcher handed it over), before its
     * load is waited for; NULL for none. Where fork stands in for vfork
     * (qemu-user), posix_spawn cannot see its exec fail, so this may come
     * for a program that then does not start. Not passed to the launcher
     * process. */
    void (*spawned)(void);
};

/*
 * What a zygote needs to know of its skill, as a JSON object (new
 * reference, NULL on OOM): {"name", "dir" (the folder its sandbox shows),
 * "code" (the working directory), "script", "handler" (absent for skill.py),
 * "model" (the interaction model for the skill's locale, absent when it has
 * none), "region" (optional), "env" (skill.json's "environment",
 * optional)}. The same object travels to the launcher.
 */
json_t *launcher_spec(const struct skill *skill);

/* Descriptors for a new zygote, given the numbers sandbox.h names. */
struct launcher_fds {
    int control; /* its end of the control socket */
    int output;  /* write end of the pipe for its stdout and stderr */
    int lifeline;
};

/*
 * Start the zygote of the skill spec describes (launcher_spec()); *pid is
 * the new process, a child of the caller. Its environment is fixed: PATH,
 * LANG and LC_ALL (C.UTF-8), TZ=:UTC and the variables AWS Lambda sets for a
 * function (LAMBDA_TASK_ROOT = the code folder, _HANDLER,
 * AWS_LAMBDA_FUNCTION_NAME, _MEMORY_SIZE, _TIMEOUT, _VERSION, log group and
 * stream, AWS_REGION and AWS_DEFAULT_REGION when the settings or the project
 * name one) and AWS_EC2_METADATA_DISABLED=true; the skill's own variables
 * travel as SKILLSERVER_ENV_NAME and take their names only once the worker
 * is confined (python.c), so none of them can steer the dynamic loader of
 * a process that is not yet sandboxed. LAUNCHER_MODEL_ENV names the model
 * (empty: none), for skillkit's comparison of handlers and intents; python.c
 * takes it out of the environment before the skill runs. Nothing of the
 * caller's environment is passed. Errors: SS_ERR_SKILL_CRASHED with the
 * reason.
 */
enum ss_err launcher_zygote(const struct launcher_config *cfg, const json_t *spec,
                            const struct launcher_fds *fds, pid_t *pid, struct ss_error *err);

/* Fork the launcher (call while the process has one thread). Returns the
 * front's end of its socket (close-on-exec), or -1 with err set. */
int launcher_start(const struct launcher_config *cfg, struct ss_error *err);

/* Ask the launcher at fd for a zygote. Thread-safe. Returns the zygote's
 * pidfd (checked with pidfd_verify by the caller), or -1 with err set. */
int launcher_request(int fd, const json_t *spec, const struct launcher_fds *fds,
                     struct ss_error *err);

#endif
