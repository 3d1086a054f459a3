/*
 * sandbox.h - confining a skill's processes from before its first line runs.
 *
 * A skill's zygote is the worker program (skillserver-worker, launcher.h)
 * exec'd by the front (pool.c) with a
 * minimal environment, /dev/null for stdin, a pipe for stdout and stderr, a
 * new session (so no controlling terminal), its socket as descriptor 3 and
 * the front's lifeline as descriptor 4. sandbox_enter() runs first thing in
 * that process, before CPython exists, and splits it in three:
 *
 *  - the monitor (the process the front started, and so the one it can wait
 *    for and kill): it stays outside the skill's PID namespace, runs no
 *    Python, and only waits. When its child ends it ends the same way; when
 *    the front dies (the lifeline pipe reports a hang-up) it kills the child.
 *    The child has the monitor as parent and dies with it (PDEATHSIG), and
 *    the child is PID 1 of the skill's namespace, so killing the monitor
 *    ends every process of the skill: nothing outlives the server.
 *
 *  - that child, the namespace's init: it forks the zygote, then only reaps
 *    and waits. A namespace's PID 1 receives only the signals it handles,
 *    even from itself, so no process of the skill may be PID 1. When the
 *    zygote ends, the init tells the monitor how (on a pipe: it cannot end
 *    by a signal itself) and ends, and the monitor ends the same way.
 *
 *  - the zygote, PID 2, which returns from sandbox_enter(): an
 *    unprivileged user (nobody when started as root), in its own user,
 *    PID, mount, IPC and UTS namespaces (the network is shared, since
 *    skills may call web APIs, unless no_network gives it a network
 *    namespace of its own, with nothing in it: `skillserver lambda`, where
 *    the Runtime API listens on the machine's loopback). Its file system is a read-only tree
 * holding the system's /usr and the few files of /etc a Python program needs, the skillkit package
 * and the skill's own folder (read-only; the working directory is its code folder, work_dir), a
 * private /proc showing only the skill's processes, a minimal /dev, and a private /tmp bounded in
 * bytes and files. No capabilities, no_new_privs, not dumpable, rlimits (memory, CPU, files, file
 * size, tasks, no core), and the zygote's seccomp filter.
 *
 * sandbox_confine_worker() adds the worker's stricter filter in a process
 * forked from the zygote.
 *
 * The seccomp filters refuse, with EPERM: new programs (execve), tracing and
 * other processes' memory, mounts and namespaces, kernel modules, keyrings,
 * BPF, perf, userfaultfd, io_uring, clock and identity changes, listening
 * for connections (listen, accept), and the terminal ioctls that type into
 * or take over a console (TIOCSTI, TIOCLINUX). The worker's filter also
 * refuses new processes (clone without CLONE_THREAD). They name calls, not
 * numbers, so each architecture gets its own numbers; a call an
 * architecture lacks (fork and vfork on arm64) is left out of its filter
 * (sandbox_filter()).
 *
 * Under an emulator such as qemu-user no seccomp filter can be loaded at
 * all. The front's environment variable SKILLSERVER_ALLOW_NO_SECCOMP=1
 * (launcher.c, for testing a foreign build only) lets a skill run there
 * without one, with a warning in its output; where a filter can be loaded,
 * it is loaded regardless.
 */
#ifndef SKILLSERVER_SANDBOX_H
#define SKILLSERVER_SANDBOX_H

#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"

/* The descriptors a zygote is started with, besides 0, 1 and 2. */
#define SANDBOX_CONTROL_FD 3  /* the socket to the front */
#define SANDBOX_LIFELINE_FD 4 /* read end of a pipe the front holds open */

struct sandbox_config {
    const char *skill_dir;    /* the skill's folder (a whole project): read-only */
    const char *work_dir;     /* the working directory, inside skill_dir; NULL: skill_dir */
    const char *skillkit_dir; /* the folder holding the skillkit package: read-only */
    const char *user;         /* the user to become when started as root; NULL: nobody */
    bool no_network;          /* a network namespace of its own: no network at all */
    /* Where the kernel refuses the namespaces (AWS Lambda gives each
     * function a microVM of its own and no user namespaces), confine with
     * what needs none: the limits, no capabilities, no_new_privs and the
     * seccomp filters. The skill then sees the file system and the network
     * as the process that started it does; a line on stderr says so. Only
     * for `skillserver lambda`: serve and invoke refuse to run unconfined. */
    bool namespaces_optional;
    bool off;             /* confine nothing (debugging the server itself only) */
    bool filter_optional; /* run without seccomp where none can be loaded (see above) */
};

enum sandbox_filter {
    SANDBOX_FILTER_ZYGOTE, /* every process of a skill */
    SANDBOX_FILTER_WORKER, /* added in each worker: no new processes */
};

/*
 * The filter which, for the architecture arch (an SCMP_ARCH_* value;
 * SCMP_ARCH_NATIVE: this machine's), built but not loaded, so that a test
 * can export and check it for every architecture on any machine. Free it
 * with seccomp_release(). NULL with err set when a rule cannot be made.
 */
scmp_filter_ctx sandbox_filter(enum sandbox_filter which, uint32_t arch, struct ss_error *err);

/*
 * Confine the calling process as described above. Must run single-threaded,
 * before anything of the skill is loaded. Returns SS_ERR_OK in the confined
 * child; the monitor never returns (it exits with the child's status).
 * Errors (in the process that called it, nothing confined): SS_ERR_IO with
 * what failed and, where it helps, what the machine lacks.
 */
enum ss_err sandbox_enter(const struct sandbox_config *cfg, struct ss_error *err);

/* In a worker just forked from the zygote: add the filter that refuses new
 * processes. Irreversible. */
enum ss_err sandbox_confine_worker(const struct sandbox_config *cfg, struct ss_error *err);

/* In the zygote: its socket to the namespace's init (PID 1, its parent), on
 * which it may pass the socket of the worker it becomes itself (PROTO_BECOME)
 * for the init to report how that worker ended; -1 when there is no init
 * (no PID namespace, or the sandbox is off). */
int sandbox_init_socket(void);

/* Close that socket (a worker needs it no more). */
void sandbox_forget_init(void);

#endif
