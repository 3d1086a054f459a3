/*
 * process.h - one process of a skill, seen from the front: its zygote, or a
 * worker forked from it.
 *
 * A zygote is the worker program (skillserver-worker, launcher.h) exec'd
 * with posix_spawn (vfork-like, so cheap and safe from a threaded front),
 * with /dev/null for stdin, a
 * pipe for stdout and stderr (handed to output.h's reader), a new session,
 * a fixed minimal environment, its socket as descriptor 3 and the read end
 * of the pool's lifeline pipe as descriptor 4, and no other descriptor
 * (launcher.h). It confines itself (sandbox.h) before Python starts. The
 * process the front started stays outside the skill's namespaces as its
 * monitor; killing it ends every process of the skill.
 *
 * Workers are forked by the zygote and are its children, not the front's.
 * The front knows each one by the pidfd the zygote hands over, checked with
 * the kernel (pidfd.h), never by a number the skill's side reports.
 *
 * These functions block (on the process, never on a lock of the pool's);
 * the pool calls them with its lock released.
 */
#ifndef SKILLSERVER_PROCESS_H
#define SKILLSERVER_PROCESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "error.h"
#include "launcher.h"
#include "message.h"
#include "output.h"

struct pool_job;

/* One process; the pool keeps the fields after pid for its own lists. */
struct process {
    pid_t pid;  /* the kernel's number for it, in the front's namespace */
    int pidfd;  /* a worker: the pidfd the zygote handed over; -1 for a zygote */
    bool child; /* a zygote's monitor: the front's own child, waited for */
    /* A worker asked for in place (process_fork): its zygote, stopped with it. */
    struct process *zygote;
    int fd; /* the socket to it */
    unsigned served;
    uint64_t generation;
    int64_t last_used_ms;
    /* Idle checks (pool_maintain): CPU time and when it was read. */
    uint64_t idle_cpu_ms;
    int64_t idle_cpu_at_ms;
    struct process *next; /* in the pool's lists */
    /* A worker's place in the pool's I/O thread (pool.c): what it is
     * doing, the calls it holds, its slot, and the bytes read from it
     * that do not make a whole frame yet or not yet written to it. */
    int state;
    struct pool_job *job, *queued; /* the call it answers; the one sent after it */
    bool draining;                 /* to be stopped once its calls are answered */
    void *slot;
    struct buf in, out;
};

/* fd moved above the numbers a zygote's descriptors are given (0 to 4), so
 * that no dup2 in posix_spawn overwrites a source before it is copied.
 * Returns the new descriptor (close-on-exec), or -1; fd is closed. */
int process_high_fd(int fd);

/*
 * Start the zygote of the skill spec describes (launcher_spec()) by exec'ing
 * the worker program as launch says, or by asking the launcher at launcher_fd (-1:
 * none), and wait for its HELLO, logging what the skill prints while it
 * loads to sink; its stdout and stderr go to output. lifeline is the read
 * end of the pool's lifeline pipe. On success
 * *out is the new zygote and *hello its load report; on SS_ERR_SKILL_LOAD
 * *hello holds the failed report; otherwise *hello is empty. The caller
 * cleans *hello up in every case. Errors: SS_ERR_SKILL_LOAD,
 * SS_ERR_SKILL_CRASHED (it did not start; the message says how it ended),
 * SS_ERR_WORKER (it sent something message.h refuses), SS_ERR_NOMEM.
 */
enum ss_err process_start_zygote(const struct launcher_config *launch, int launcher_fd,
                                 int lifeline, struct output_reader *output,
                                 const struct output_sink *sink, const json_t *spec,
                                 struct process **out, struct message_load *hello,
                                 struct ss_error *err);

/* Ask zygote for a worker talking on a new socket: a forked one, or with
 * in_place the zygote itself when it can (PROTO_BECOME; it forks one when
 * it cannot), after which the zygote forks no more. Returns the front's end
 * of the socket and sets *pidfd, or -1 when the zygote did not answer as it
 * should (it is then to be stopped). */
int process_fork(const struct process *zygote, bool in_place, int *pidfd);

/*
 * The worker process_fork() made: checks with the kernel which process
 * pidfd names, and waits for its READY on fd. Takes fd and pidfd whatever
 * happens. On success *out is the new worker. Errors: SS_ERR_SKILL_CRASHED
 * (name is the skill's, for the message), SS_ERR_NOMEM.
 */
enum ss_err process_adopt(const char *name, int fd, int pidfd, struct process **out,
                          struct ss_error *err);

/*
 * Stop p's process and free p (NULL-safe). kill_now: SIGKILL at once
 * (deadline passed, protocol broken, or a recycle: a worker keeps no state
 * worth a clean exit); otherwise close the socket and let it exit by
 * itself. For a zygote (the monitor, our child) returns its wait status; 0
 * for a worker, whose parent is its zygote. A worker's zygote (p->zygote)
 * is stopped after it, the same way.
 */
int process_stop(struct process *p, int kill_now);

/*
 * End the worker p once it has finished by itself, and free p (NULL-safe):
 * its socket is closed for sending, as process_stop() closes it; what its
 * skill prints meanwhile (its threads, its atexit functions) is logged to
 * sink as lines of skill; and when the worker has run the skill's last code
 * it is killed with its zygote's monitor, without waiting for the kernel to
 * take the processes down. For a command's last worker, whose end nothing
 * else waits on (invoke, say). A worker that does not finish within
 * LIMIT_WORKER_FINISH_MS, or a zygote, is stopped as process_stop() does.
 */
void process_finish(struct process *p, const struct output_sink *sink, const char *skill);

/* Whether p's process has ended, without waiting. */
bool process_ended(struct process *p);

/* Resident memory of pid in bytes, or 0 when it cannot be read. */
long process_rss(pid_t pid);

/* CPU time (user + system, in ms) and thread count of pid, from
 * /proc/PID/stat. Returns false when it cannot be read. */
bool process_cpu(pid_t pid, uint64_t *cpu_ms, long *threads);

#endif
