/*
 * pool.h - skill worker processes, seen from the front.
 *
 * The front never runs Python. For each skill it starts a zygote (the
 * worker program, launcher.h, confined before the skill is loaded: sandbox.h),
 * which forks workers that answer requests one at a time over the framed
 * protocol of proto.h. The pool owns those processes: it starts them on
 * demand up to `workers` per skill, hands each
 * request to an idle one, applies the hard deadline (the worker is killed and
 * the call fails in time), recycles workers after LIMIT_WORKER_REQUESTS
 * requests, above LIMIT_WORKER_RSS_BYTES, or after any failure, stops idle
 * ones, and marks a skill that keeps crashing as broken for a while.
 *
 * Every function is thread-safe. No caller blocks on a worker: calls are
 * submitted (pool_submit()) and finished by the pool's I/O thread, which
 * serves every worker's socket, reads answers as they come and applies the
 * deadlines; a keeper thread starts and stops processes, so a slow start
 * never holds up other skills or the I/O.
 */
#ifndef SKILLSERVER_POOL_H
#define SKILLSERVER_POOL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "message.h"
#include "skill.h"

/* Called for each line a skill prints while it runs (from the pool's I/O thread). */
typedef void (*pool_log_fn)(void *ctx, const char *skill, const char *request_id, const char *text);

struct pool_config {
    const char *exe;          /* the worker program to exec (launcher_worker_path()) */
    const char *skillkit_dir; /* folder that holds the skillkit package */
    bool dev;                 /* --dev: errors are spoken in detail */
    bool fresh_worker;        /* --fresh-worker: every request gets a new worker */
    /* One call at a time (invoke, say): each zygote becomes its skill's
     * worker itself rather than forking one (process_fork's in_place); the
     * worker answers the calls that follow, and a worker after it gets a
     * zygote of its own. */
    bool one_call;
    bool no_network;          /* skills get no network (sandbox.h); only without launcher */
    bool namespaces_optional; /* sandbox.h; only without launcher */
    int workers;              /* most workers per skill; 0: the number of CPUs */
    const char *user;         /* user the workers become when root; NULL: nobody */
    int handler_timeout_ms;   /* hard deadline, counted from the request's arrival */
    int soft_timeout_ms;      /* soft deadline (exception inside the handler) */
    bool launcher;            /* start zygotes through the launcher (launcher.h)... */
    int launcher_fd;          /* ...on this socket */
    pool_log_fn log;          /* may be NULL: lines go to log_skill() */
    /* May be NULL: called once a zygote's process is running, before its
     * load is waited for (launcher_config's spawned). */
    void (*zygote_spawned)(void);
    void *log_ctx;
};

struct pool_answer {
    struct message_answer answer; /* the worker's ANSWER, decoded (message.h) */
    int64_t handler_us;           /* from sending the request to receiving the answer */
};

/* Counters since the pool was created, for /metrics. */
struct pool_stats {
    uint64_t started;  /* worker processes started */
    uint64_t crashed;  /* workers that died while answering */
    uint64_t timeouts; /* workers killed at the hard deadline */
    uint64_t recycled; /* workers stopped after their request quota, memory or idleness */
    unsigned running;  /* worker processes alive now */
    unsigned busy;     /* of which answering a request */
};

/* Create a pool; cfg is copied (its strings must outlive the pool). NULL on OOM. */
struct pool *pool_create(const struct pool_config *cfg);

/* Stop every worker (they exit when their socket closes; the pool waits for
 * them, and kills those still running after a short grace time). Call when no
 * pool_call() is running. NULL-safe. */
void pool_destroy(struct pool *pool);

/*
 * Make sure skill has a worker and, when hello is not NULL, fill *hello with
 * what loading it said (message.h's load report: its handlers and warnings,
 * or its error), to be released with message_load_cleanup(); it is left
 * empty (hello->root NULL) when no zygote ever reported. Errors:
 * SS_ERR_SKILL_LOAD when the skill does not import (the message gives
 * file:line and the exception; *hello holds the failed report),
 * SS_ERR_SKILL_CRASHED / SS_ERR_WORKER when the worker could not start.
 */
enum ss_err pool_start(struct pool *pool, const struct skill *skill, struct message_load *hello,
                       struct ss_error *err);

/*
 * One request for one of skill's workers, without blocking: the caller
 * fills the first block, keeps the job and every text it points to alive,
 * and pool_submit() hands it to an idle worker, or queues it for the next
 * one to be free or started. event[0..len) is the request envelope's JSON
 * text (already parsed once, so known to be valid JSON); attributes the
 * persistent attributes' JSON text or NULL; arrival_ms when the request
 * arrived (proto_now_ms()), from which both deadlines count unless due_ms
 * and soft_at_ms set them.
 *
 * When pool_submit() returns SS_ERR_OK, done(job) is called exactly once,
 * from one of the pool's threads, when rc, err and ans are final; the pool
 * does not touch the job after that call, so done may free it. done must
 * be quick: it runs on the thread that serves every worker's socket.
 * Another return value is the outcome itself (done is not called):
 * SS_ERR_SKILL_LOAD or SS_ERR_SKILL_CRASHED for a skill that does not load
 * or is marked broken, SS_ERR_NOMEM.
 *
 * The outcomes: SS_ERR_OK with ans->answer holding the worker's decoded
 * answer, which may itself report a skill error (answer.ok false,
 * answer.error); SS_ERR_SKILL_LOAD; SS_ERR_SKILL_TIMEOUT (hard deadline: the
 * worker was killed, or no worker became free in time); SS_ERR_SKILL_CRASHED
 * (the worker died; the message names the signal; or the skill is marked
 * broken); SS_ERR_WORKER (the worker sent something message.h does not
 * accept; it was stopped).
 */
struct pool_job {
    const struct skill *skill;
    const char *event;
    size_t len;
    const char *attributes;
    const char *request_id;
    int64_t arrival_ms;
    /* The deadlines of this call when the caller has its own (lambda: the
     * invocation's), on proto_now_ms()'s clock; 0: arrival_ms plus the
     * pool's handler_timeout_ms and soft_timeout_ms. */
    int64_t due_ms;
    int64_t soft_at_ms;
    const char *trace_id; /* NULL, or Lambda's trace header, the skill's _X_AMZN_TRACE_ID */
    void (*done)(struct pool_job *job);
    void *ctx; /* the caller's */

    enum ss_err rc;
    struct ss_error err;
    struct pool_answer ans;

    /* The pool's own. */
    void *slot;
    struct pool_job *next;
    int64_t sent_us;
    size_t logged;
};

enum ss_err pool_submit(struct pool *pool, struct pool_job *job);

/* pool_submit() and wait for the outcome: what threads that may block use
 * (the classroom, invoke). Returns job->rc. */
enum ss_err pool_run(struct pool *pool, struct pool_job *job);

/* The same for one call, with the outcome in *ans and err. */
enum ss_err pool_call(struct pool *pool, const struct skill *skill, const char *event, size_t len,
                      const char *attributes, const char *request_id, int64_t arrival_ms,
                      struct pool_answer *ans, struct ss_error *err);

/* End every call in flight or waiting now, with SS_ERR_SKILL_TIMEOUT ("the
 * server is stopping"), killing the workers that run them: a server that
 * stops before its calls are done. */
void pool_abort(struct pool *pool);

void pool_answer_cleanup(struct pool_answer *ans);

/*
 * Load skill again (its files changed). A new worker is started first; if it
 * loads, it replaces the old ones (busy ones finish their request, then stop);
 * if it does not, the old version keeps serving and the error is returned.
 */
enum ss_err pool_reload(struct pool *pool, const struct skill *skill, struct ss_error *err);

/* Stop workers idle for longer than LIMIT_WORKER_IDLE_MS (keeping one per
 * skill). Call now and then, e.g. once a second from the main thread. */
void pool_maintain(struct pool *pool);

void pool_stats(struct pool *pool, struct pool_stats *out);

/*
 * Why skill's newest version does not run, if it does not: the last load
 * or reload failure ("skill.py:4: SyntaxError: ..."), kept until a load
 * succeeds, while the old version (if any) goes on serving. Copies it into
 * buf and returns true, or returns false when the skill loaded fine.
 */
bool pool_problem(struct pool *pool, const char *skill, char *buf, size_t cap);

#endif
