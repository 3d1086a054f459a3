/*
 * sandbox.h - what a skill worker may do, applied in the worker after the
 * skill has been imported and before it answers any request.
 *
 *  - rlimits: address space (LIMIT_WORKER_MEMORY_BYTES), CPU time, open
 *    files, file size, no core dumps;
 *  - when started as root: every privilege dropped to an unprivileged user
 *    (nobody unless configured), so files only root may read, such as the
 *    server's TLS key, stay closed;
 *  - no_new_privs, not dumpable, killed when the server dies;
 *  - a seccomp filter (libseccomp): no fork or exec (threads are fine), no
 *    ptrace, mounts, namespaces, kernel modules, keyrings, BPF, clock changes
 *    or identity changes.
 */
#ifndef SKILLSERVER_SANDBOX_H
#define SKILLSERVER_SANDBOX_H

#include <stdbool.h>

#include "error.h"

struct sandbox_config {
    const char *user; /* the user to become when root; NULL: "nobody" */
    bool off;         /* apply nothing (only for debugging the server itself) */
    bool allow_fork;  /* a zygote: everything but the seccomp filter, since it
                         must fork workers (which then apply the filter) */
};

/* Apply the sandbox to the calling process; irreversible. Errors: SS_ERR_IO
 * with what failed. The caller must not serve requests after a failure. */
enum ss_err sandbox_apply(const struct sandbox_config *cfg, struct ss_error *err);

#endif
