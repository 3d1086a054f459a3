/*
 * pool.c - which worker answers which request (see pool.h).
 *
 * A slot per skill holds its zygote, its idle workers (a stack, the most
 * recently used first), its counters and what its last load said. The
 * processes themselves are process.h's: starting a zygote, forking a
 * worker from it, stopping either; what skills print is output.h's; what
 * workers say is message.h's.
 *
 * Threads: callers submit calls (pool_submit()) and never wait for a
 * worker; the I/O thread reads every worker's socket, ends calls and
 * applies the deadlines; the keeper thread starts and stops processes
 * (pool_start() and pool_reload() start theirs on the caller's thread).
 *
 * Locking: one mutex guards the slots, their lists (idle, busy, waiting
 * calls) and every request written to a worker's socket. Processes are
 * started and stopped with it released. Each slot has a second lock for
 * its zygote, so that a slow zygote start holds up only its own skill.
 */
#include "pool.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "launcher.h"
#include "log.h"
#include "message.h"
#include "output.h"
#include "pidfd.h"
#include "process.h"
#include "proto.h"
#include "ss_limits.h"

/* Check a worker's memory after every this many requests (a /proc read). */
#define RSS_CHECK_EVERY 32

/* Events the I/O thread takes from epoll at once. */
#define IO_EVENTS 64

/* Reads of one worker's socket per readiness event (16 KiB each): enough
 * for any answer, few enough that one worker cannot hold the I/O thread. */
#define IO_READS_PER_EVENT 64
#define IO_CHUNK_BYTES 16384

/* The I/O thread looks at the deadlines at least this often. */
#define IO_TICK_MS 1000

struct slot {
    char name[LIMIT_SKILL_NAME_CHARS + 1];
    char *script;              /* the handler's file, watched for changes */
    json_t *spec;              /* launcher_spec() of the skill */
    struct process *idle;      /* stack: the most recently used first */
    struct process *busy_list; /* workers answering a call */
    unsigned running;          /* processes alive or being started */
    unsigned busy;
    unsigned want; /* workers the keeper is asked to start */
    /* Calls waiting for a worker, the oldest first. */
    struct pool_job *pending, *pending_tail;
    uint64_t generation;       /* bumped by a reload; older workers stop when free */
    struct message_load hello; /* what the newest zygote said when it loaded */
    /* The skill did not load: calls fail at once until skill.py changes. */
    int load_failed;
    bool loaded; /* a version loaded: a zygote of it serves, or can be started again */
    struct timespec load_mtime;
    char load_error[sizeof(((struct ss_error *)0)->msg)];
    /* The last failed (re)load, even while an older version serves; "" when
     * the newest version loaded. */
    char problem[sizeof(((struct ss_error *)0)->msg)];
    unsigned failures; /* crashes and hard timeouts in a row */
    /* Zygotes replaced by a reload, waiting for their busy workers. */
    struct process *retired;
    int64_t retired_until_ms;
    /* The zygote: the skill imported once, forking workers on request. Its
     * own lock, so that a slow zygote start holds up only this skill. */
    pthread_mutex_t zlock;
    struct process *zygote;
    int64_t broken_until_ms;
    struct slot *next;
};

struct pool {
    struct pool_config cfg;
    pthread_mutex_t lock;
    struct slot *slots;
    struct pool_stats stats;
    /* Every zygote holds the read end; when the front dies, however it
     * dies, the write end closes and each monitor kills its skill. */
    int lifeline[2];
    /* How zygotes are started: the same for every skill. */
    struct launcher_config launch;
    int launcher_fd; /* -1: the pool starts them itself */
    /* Where skills' prints go, and the thread reading their output pipes. */
    struct output_sink sink;
    struct output_reader *output;
    /* The I/O thread: every worker's socket in one epoll set, and an
     * eventfd that wakes it. */
    int epfd, wake;
    pthread_t io;
    int64_t io_wake_at;       /* when it wakes next unless woken */
    struct process *retiring; /* out of service, still in the epoll set */
    /* The keeper: starts and stops processes. */
    pthread_t keeper;
    pthread_cond_t keeper_cond;
    struct process *to_stop;
    bool threads, quit, aborting;
};

static void *io_main(void *arg);
static void *keeper_main(void *arg);
static void wake_io(struct pool *pool);
static bool adopt(struct pool *pool, struct slot *s, struct process *w, uint64_t generation);

/* Epoll data for the eventfd that wakes the I/O thread. */
static char wake_tag;

struct pool *
pool_create(const struct pool_config *cfg)
{
    struct pool *pool = calloc(1, sizeof(*pool));
    if (!pool)
        return NULL;
    pool->cfg = *cfg;
    pool->lifeline[0] = pool->lifeline[1] = -1;
    pool->epfd = pool->wake = -1;
    pool->sink.log = cfg->log;
    pool->sink.ctx = cfg->log_ctx;
    pool->launch.exe = cfg->exe;
    pool->launch.skillkit_dir = cfg->skillkit_dir;
    pool->launch.user = cfg->user;
    pool->launch.handler_timeout_ms = cfg->handler_timeout_ms;
    pool->launch.dev = cfg->dev;
    pool->launch.no_network = cfg->no_network;
    pool->launch.namespaces_optional = cfg->namespaces_optional;
    pool->launch.spawned = cfg->zygote_spawned;
    pool->launcher_fd = cfg->launcher ? cfg->launcher_fd : -1;
    if (pool->cfg.workers <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        pool->cfg.workers = n > 0 ? (int)n : 1;
    }
    if (pool->cfg.workers > LIMIT_WORKERS_MAX)
        pool->cfg.workers = LIMIT_WORKERS_MAX;
    if (pthread_mutex_init(&pool->lock, NULL) != 0) {
        free(pool);
        return NULL;
    }
    if (pthread_cond_init(&pool->keeper_cond, NULL) != 0) {
        pthread_mutex_destroy(&pool->lock);
        free(pool);
        return NULL;
    }
    if (pipe2(pool->lifeline, O_CLOEXEC) != 0 ||
        (pool->lifeline[0] = process_high_fd(pool->lifeline[0])) < 0 ||
        !(pool->output = output_reader_create(&pool->sink)))
        goto fail;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &wake_tag};
    if ((pool->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
        (pool->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0 ||
        epoll_ctl(pool->epfd, EPOLL_CTL_ADD, pool->wake, &ev) != 0)
        goto fail;
    if (pthread_create(&pool->io, NULL, io_main, pool) != 0)
        goto fail;
    if (pthread_create(&pool->keeper, NULL, keeper_main, pool) != 0) {
        pool->quit = true;
        wake_io(pool);
        pthread_join(pool->io, NULL);
        goto fail;
    }
    pool->threads = true;
    return pool;
fail:
    pool_destroy(pool);
    return NULL;
}

/* Stop every process of s and free it. quick: a command is ending (one_call),
 * and its idle workers are left to the kernel once they have finished
 * (process_finish(), which logs what they print meanwhile to sink). */
static void
slot_free(struct slot *s, const struct output_sink *sink, bool quick)
{
    /* The zygote is told first: it forks no more and ends as soon as its
     * last worker has, while the workers below are stopped, rather than
     * after them. */
    if (s->zygote && s->zygote->fd >= 0) {
        close(s->zygote->fd);
        s->zygote->fd = -1;
    }
    while (s->idle) {
        struct process *w = s->idle;
        s->idle = w->next;
        if (quick)
            process_finish(w, sink, s->name);
        else
            process_stop(w, 0);
    }
    while (s->busy_list) {
        struct process *w = s->busy_list;
        s->busy_list = w->next;
        process_stop(w, 1);
    }
    while (s->retired) {
        struct process *z = s->retired;
        s->retired = z->next;
        process_stop(z, 1);
    }
    process_stop(s->zygote, 0);
    message_load_cleanup(&s->hello);
    pthread_mutex_destroy(&s->zlock);
    free(s->script);
    json_decref(s->spec);
    free(s);
}

static void
stop_list(struct process *list)
{
    while (list) {
        struct process *next = list->next;
        process_stop(list, 1);
        list = next;
    }
}

void
pool_destroy(struct pool *pool)
{
    if (!pool)
        return;
    if (pool->threads) {
        pthread_mutex_lock(&pool->lock);
        pool->quit = true;
        pthread_cond_signal(&pool->keeper_cond);
        wake_io(pool);
        pthread_mutex_unlock(&pool->lock);
        pthread_join(pool->io, NULL);
        pthread_join(pool->keeper, NULL);
    }
    stop_list(pool->retiring);
    stop_list(pool->to_stop);
    while (pool->slots) {
        struct slot *s = pool->slots;
        pool->slots = s->next;
        slot_free(s, &pool->sink, pool->cfg.one_call);
    }
    output_reader_destroy(pool->output);
    for (int i = 0; i < 2; i++)
        if (pool->lifeline[i] >= 0)
            close(pool->lifeline[i]);
    if (pool->epfd >= 0)
        close(pool->epfd);
    if (pool->wake >= 0)
        close(pool->wake);
    pthread_cond_destroy(&pool->keeper_cond);
    pthread_mutex_destroy(&pool->lock);
    free(pool);
}

/* The slot of skill, created on first use. Called with the lock held. */
static struct slot *
get_slot(struct pool *pool, const struct skill *skill)
{
    struct slot *s;
    for (s = pool->slots; s; s = s->next)
        if (strcmp(s->name, skill->name) == 0)
            return s;
    s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    snprintf(s->name, sizeof(s->name), "%s", skill->name);
    s->script = strdup(skill->script);
    s->spec = launcher_spec(skill);
    if (!s->script || !s->spec || pthread_mutex_init(&s->zlock, NULL) != 0) {
        free(s->script);
        json_decref(s->spec);
        free(s);
        return NULL;
    }
    s->next = pool->slots;
    pool->slots = s;
    return s;
}

/* Start the zygote of the skill spec describes (see process_start_zygote()). */
static enum ss_err
start_zygote(struct pool *pool, const json_t *spec, struct process **out,
             struct message_load *hello, struct ss_error *err)
{
    return process_start_zygote(&pool->launch, pool->launcher_fd, pool->lifeline[0], pool->output,
                                &pool->sink, spec, out, hello, err);
}

/* Forget skill s's zygote (it failed); the next worker starts a new one.
 * Called with s->zlock held. */
static void
drop_zygote(struct slot *s)
{
    process_stop(s->zygote, 1);
    s->zygote = NULL;
}

/*
 * A new worker for slot s, forked from the skill's zygote, which is
 * started first when there is none (then *hello is the zygote's load
 * report; otherwise it is left empty). The caller cleans *hello up.
 */
static enum ss_err
spawn_worker(struct pool *pool, struct slot *s, const char *name, struct process **out,
             struct message_load *hello, struct ss_error *err)
{
    int fd = -1, pidfd = -1;
    enum ss_err rc = SS_ERR_OK;
    bool in_place = pool->cfg.one_call;
    struct process *zygote = NULL;

    *out = NULL;
    memset(hello, 0, sizeof(*hello));
    pthread_mutex_lock(&s->zlock);
    for (int attempt = 0; attempt < 2 && fd < 0; attempt++) {
        if (!s->zygote) {
            message_load_cleanup(hello);
            rc = start_zygote(pool, s->spec, &s->zygote, hello, err);
            if (rc != SS_ERR_OK) {
                pthread_mutex_unlock(&s->zlock);
                return rc;
            }
        }
        fd = process_fork(s->zygote, in_place, &pidfd);
        if (fd < 0)
            drop_zygote(s); /* it died or misbehaved: start another one, once */
    }
    /* A zygote asked to become the worker forks no more: it goes with its
     * worker, and the next worker of the skill gets a zygote of its own. */
    if (in_place && fd >= 0) {
        zygote = s->zygote;
        s->zygote = NULL;
    }
    pthread_mutex_unlock(&s->zlock);
    if (fd < 0)
        return ss_fail(err, SS_ERR_SKILL_CRASHED, "the zygote of %s keeps dying", name);

    rc = process_adopt(name, fd, pidfd, out, err);
    if (*out)
        (*out)->zygote = zygote;
    else
        process_stop(zygote, 1);
    return rc;
}

static int
script_mtime(const char *path, struct timespec *ts)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    *ts = st.st_mtim;
    return 0;
}

/* Whether the load failure recorded in s still stands (skill.py unchanged). */
static int
still_failing(struct slot *s)
{
    struct timespec now;
    if (!s->load_failed)
        return 0;
    if (script_mtime(s->script, &now) == 0 &&
        (now.tv_sec != s->load_mtime.tv_sec || now.tv_nsec != s->load_mtime.tv_nsec)) {
        s->load_failed = 0;
        return 0;
    }
    return 1;
}

/* Record the result of starting a worker; hello is the load report of a
 * zygote that started (empty when none did). Called with the lock held. */
static void
note_start(struct pool *pool, struct slot *s, enum ss_err rc, const struct message_load *hello,
           const struct ss_error *err)
{
    bool reported = hello->root != NULL;
    if (rc == SS_ERR_OK) {
        pool->stats.started++;
        s->loaded = true;
    }
    if (reported) {
        struct ss_error unused;
        message_load_cleanup(&s->hello);
        message_load_copy(hello, &s->hello, &unused); /* only fails out of memory */
    }
    if (rc == SS_ERR_SKILL_LOAD) {
        s->load_failed = 1;
        script_mtime(s->script, &s->load_mtime);
        snprintf(s->load_error, sizeof(s->load_error), "%s", err->msg);
    }
    if (rc == SS_ERR_SKILL_LOAD)
        snprintf(s->problem, sizeof(s->problem), "%s", err->msg);
    else if (rc == SS_ERR_OK && reported)
        s->problem[0] = '\0';
}

enum ss_err
pool_start(struct pool *pool, const struct skill *skill, struct message_load *hello,
           struct ss_error *err)
{
    struct process *w = NULL;
    struct message_load h;
    struct ss_error unused;
    enum ss_err rc = SS_ERR_OK;

    if (hello)
        memset(hello, 0, sizeof(*hello));
    pthread_mutex_lock(&pool->lock);
    struct slot *s = get_slot(pool, skill);
    if (!s) {
        pthread_mutex_unlock(&pool->lock);
        return ss_fail(err, SS_ERR_NOMEM, "out of memory");
    }
    if (still_failing(s)) {
        rc = ss_fail(err, SS_ERR_SKILL_LOAD, "%s", s->load_error);
        if (hello)
            message_load_copy(&s->hello, hello, &unused);
        pthread_mutex_unlock(&pool->lock);
        return rc;
    }
    if (s->running > 0 && s->hello.root) {
        if (hello)
            message_load_copy(&s->hello, hello, &unused);
        pthread_mutex_unlock(&pool->lock);
        return SS_ERR_OK;
    }
    uint64_t gen = s->generation;
    s->running++;
    pthread_mutex_unlock(&pool->lock);

    rc = spawn_worker(pool, s, skill->name, &w, &h, err);

    pthread_mutex_lock(&pool->lock);
    note_start(pool, s, rc, &h, err);
    /* A worker forked from a running zygote brings no load report; the
     * caller still gets the skill's, the one its zygote gave (after a
     * reload, the new one), or a plain skill's model would be lost. */
    if (rc == SS_ERR_OK && !h.root && s->hello.root && hello)
        message_load_copy(&s->hello, &h, &unused);
    if (w && !adopt(pool, s, w, gen)) {
        w->next = pool->to_stop; /* never in the epoll set */
        pool->to_stop = w;
        pthread_cond_signal(&pool->keeper_cond);
        w = NULL;
        rc = ss_fail(err, SS_ERR_WORKER, "the worker for %s could not be watched", skill->name);
    }
    if (!w)
        s->running--;
    pthread_mutex_unlock(&pool->lock);
    if (hello)
        *hello = h;
    else
        message_load_cleanup(&h);
    return rc;
}

/* ---- the I/O thread and the keeper ----
 *
 * A worker is IDLE (on its slot's idle stack), BUSY (on its slot's busy
 * list, answering w->job) or GONE (taken out of service, waiting for the
 * I/O thread to forget its socket and the keeper to stop it). Every
 * worker's socket is in the I/O thread's epoll set from the moment it is
 * adopted until the I/O thread itself takes it out; only the keeper frees a
 * worker, and only after that, so an event in hand never names freed
 * memory. Requests are written to a worker's socket under the pool's lock,
 * by whichever thread gives the worker its job; what the socket does not
 * take at once is written by the I/O thread when it is writable.
 */
enum { W_IDLE, W_BUSY, W_GONE };

static void
wake_io(struct pool *pool)
{
    uint64_t one = 1;
    if (write(pool->wake, &one, sizeof(one)) < 0 && errno != EAGAIN)
        log_msg(LOG_ERROR, "cannot wake the worker I/O thread: %s", strerror(errno));
}

/* Take w out of service: the I/O thread forgets its socket, then the keeper
 * stops it. Called with the lock held. */
static void
retire(struct pool *pool, struct process *w)
{
    w->state = W_GONE;
    w->next = pool->retiring;
    pool->retiring = w;
    wake_io(pool);
}

static void
push_pending(struct slot *s, struct pool_job *job)
{
    job->next = NULL;
    if (s->pending_tail)
        s->pending_tail->next = job;
    else
        s->pending = job;
    s->pending_tail = job;
}

static struct pool_job *
pop_pending(struct slot *s)
{
    struct pool_job *job = s->pending;
    if (job) {
        s->pending = job->next;
        if (!s->pending)
            s->pending_tail = NULL;
        job->next = NULL;
    }
    return job;
}

static void
unlink_busy(struct slot *s, struct process *w)
{
    for (struct process **p = &s->busy_list; *p; p = &(*p)->next) {
        if (*p == w) {
            *p = w->next;
            break;
        }
    }
    w->next = NULL;
}

/* When job's worker is killed: its own deadline, else the pool's. */
static int64_t
job_due(const struct pool *pool, const struct pool_job *job)
{
    return job->due_ms ? job->due_ms : job->arrival_ms + pool->cfg.handler_timeout_ms;
}

/* Give w the job, as the call it answers or, when it answers one already,
 * as the next, and write the request to it. A socket that fails is noticed
 * by the I/O thread (the worker is gone: EPOLLHUP), which then ends the
 * calls. Called with the lock held. */
static void
start_job(struct pool *pool, struct slot *s, struct process *w, struct pool_job *job)
{
    struct message_parts parts;
    int64_t soft_at =
        job->soft_at_ms ? job->soft_at_ms : job->arrival_ms + pool->cfg.soft_timeout_ms;
    int64_t soft_ms = soft_at - proto_now_ms();

    if (w->job) {
        w->queued = job;
    } else {
        w->state = W_BUSY;
        w->job = job;
        w->next = s->busy_list;
        s->busy_list = w;
        s->busy++;
        pool->stats.busy++;
    }
    job->logged = 0;
    if (soft_ms < 1)
        soft_ms = 1;
    /* The event text is valid JSON already: the message is assembled around it. */
    message_request_parts(&parts, job->event, job->len, job->attributes, (long long)soft_ms,
                          (long long)soft_at, job->trace_id);
    job->sent_us = proto_now_us();
    enum proto_status st = proto_sendv_some(w->fd, PROTO_REQUEST, parts.iov, parts.count, &w->out);
    if (st == PROTO_OK && w->out.len > 0) {
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = w};
        if (epoll_ctl(pool->epfd, EPOLL_CTL_MOD, w->fd, &ev) != 0)
            st = PROTO_ERROR;
    }
    if (st != PROTO_OK && w->pidfd >= 0)
        pidfd_signal(w->pidfd, SIGKILL); /* the I/O thread sees it end */
}

/* Put a call that a worker held but never started back at the head of
 * the waiting calls. Called with the lock held. */
static void
requeue(struct slot *s, struct pool_job *job)
{
    job->next = s->pending;
    s->pending = job;
    if (!s->pending_tail)
        s->pending_tail = job;
}

/* Whether busy worker w may take a second call behind its first: it is to
 * keep serving, holds no second call, has written everything, and the call
 * is not older than its first (whose deadline would then come later). A
 * skill served by a fresh worker per call never pipelines. Called with the
 * lock held. */
static bool
can_pipeline(const struct pool *pool, const struct slot *s, const struct process *w,
             const struct pool_job *job)
{
    return !pool->cfg.fresh_worker && w->job && !w->queued && !w->draining && w->out.len == 0 &&
           w->generation == s->generation && job->arrival_ms >= w->job->arrival_ms;
}

/* w is free (new, or done with a job): the next waiting calls (two, so
 * that it reads the second without sleeping), or the idle stack. Called
 * with the lock held. */
static void
worker_free(struct pool *pool, struct slot *s, struct process *w)
{
    struct pool_job *next = pop_pending(s);
    if (next) {
        start_job(pool, s, w, next);
        if (s->pending && can_pipeline(pool, s, w, s->pending))
            start_job(pool, s, w, pop_pending(s));
        return;
    }
    w->state = W_IDLE;
    w->job = NULL;
    w->last_used_ms = proto_now_ms();
    w->next = s->idle;
    s->idle = w;
}

/* A busy worker of s that can take job after its current call. Called
 * with the lock held. */
static struct process *
pipeline_worker(const struct pool *pool, struct slot *s, const struct pool_job *job)
{
    for (struct process *w = s->busy_list; w; w = w->next)
        if (can_pipeline(pool, s, w, job))
            return w;
    return NULL;
}

/* A new worker joins slot s: into the I/O thread's set, then free. Called
 * with the lock held; false when the epoll set does not take it. */
static bool
adopt(struct pool *pool, struct slot *s, struct process *w, uint64_t generation)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = w};
    w->slot = s;
    w->generation = generation;
    /* Part of a frame and one read: the most the inbox holds (on_readable()). */
    buf_init(&w->in, LIMIT_FRAME_BYTES + 64 + IO_CHUNK_BYTES);
    buf_init(&w->out, LIMIT_FRAME_BYTES + 64);
    if (epoll_ctl(pool->epfd, EPOLL_CTL_ADD, w->fd, &ev) != 0) {
        log_msg(LOG_ERROR, "cannot watch a worker of %s: %s", s->name, strerror(errno));
        return false;
    }
    worker_free(pool, s, w);
    return true;
}

/* Hand a call its outcome. Called without the lock. */
static void
finish(struct pool_job *job, enum ss_err rc)
{
    job->rc = rc;
    job->done(job);
}

/* Give job the outcome why and put it on *list, to be finished (after the
 * lock is released) by finish_all(). */
static void
collect(struct pool_job *job, const struct ss_error *why, struct pool_job **list)
{
    job->err = *why;
    job->rc = why->code;
    job->next = *list;
    *list = job;
}

/* Fail every call waiting in s (nothing is left to run them). Called with
 * the lock held. */
static void
fail_pending(struct slot *s, const struct ss_error *why, struct pool_job **out)
{
    struct pool_job *job;
    while ((job = pop_pending(s)))
        collect(job, why, out);
}

static void
finish_all(struct pool_job *list)
{
    while (list) {
        struct pool_job *next = list->next;
        finish(list, list->rc);
        list = next;
    }
}

/* Outcome of one exchange with a worker. */
enum outcome { DONE, DEAD, KILLED };

/* The outcome of job, whose worker was killed at its hard deadline. */
static void
timed_out(const struct pool *pool, const struct slot *s, const struct pool_job *job,
          struct ss_error *why)
{
    ss_fail(why, SS_ERR_SKILL_TIMEOUT, "%s did not answer within %lld ms; its worker was stopped",
            s->name, (long long)(job_due(pool, job) - job->arrival_ms));
}

/* When w must be stopped after its calls: the quota of calls, its memory
 * (rss_high, read from /proc before the lock is taken), or a reload of its
 * skill. Called with the lock held. */
static bool
worn_out(const struct pool *pool, const struct slot *s, const struct process *w, bool rss_high)
{
    return pool->cfg.fresh_worker || w->served >= LIMIT_WORKER_REQUESTS ||
           w->generation != s->generation || rss_high;
}

/*
 * The busy worker w is done with the call it was answering (an answer, or
 * it died, or it is killed): account for it, move w on to its next call, a
 * waiting one, the idle stack or its end, and hand the call its outcome. A
 * second call w held is started elsewhere if w ends before it (it never
 * ran), or failed too when its deadline has passed. I/O thread only.
 */
static void
end_job(struct pool *pool, struct process *w, enum ss_err rc, enum outcome outcome)
{
    struct slot *s = w->slot;
    struct pool_job *job = w->job, *failed = NULL;

    job->ans.handler_us = proto_now_us() - job->sent_us;
    w->served++;
    w->last_used_ms = proto_now_ms();
    if (outcome != DONE && w->pidfd >= 0)
        pidfd_signal(w->pidfd, SIGKILL);
    bool rss_high = outcome == DONE && w->served % RSS_CHECK_EVERY == 0 &&
                    process_rss(w->pid) > LIMIT_WORKER_RSS_BYTES;

    pthread_mutex_lock(&pool->lock);
    w->job = NULL;
    if (rc == SS_ERR_SKILL_TIMEOUT && outcome == KILLED)
        pool->stats.timeouts++;
    if (rc == SS_ERR_SKILL_CRASHED && outcome == DEAD)
        pool->stats.crashed++;
    if (outcome != DONE) {
        if (++s->failures >= LIMIT_WORKER_FAILURES)
            s->broken_until_ms = proto_now_ms() + LIMIT_BROKEN_RETRY_MS;
    } else if (rc == SS_ERR_OK) {
        s->failures = 0;
    }
    if (outcome == DONE && !w->draining && worn_out(pool, s, w, rss_high)) {
        w->draining = true;
        /* Its successor starts now, while it answers what it holds, so
         * that the calls behind it do not wait for a fork once it leaves
         * (one process over the cap at most, for that moment). */
        if (s->running <= (unsigned)pool->cfg.workers && s->broken_until_ms <= proto_now_ms()) {
            s->running++;
            s->want++;
            pthread_cond_signal(&pool->keeper_cond);
        }
    }
    if (outcome == DONE && w->queued) {
        /* Its next call is in its socket already: it goes on with that. */
        w->job = w->queued;
        w->queued = NULL;
        if (s->pending && can_pipeline(pool, s, w, s->pending))
            start_job(pool, s, w, pop_pending(s));
        pthread_mutex_unlock(&pool->lock);
        finish(job, rc);
        return;
    }
    unlink_busy(s, w);
    s->busy--;
    pool->stats.busy--;
    if (outcome == DONE && !w->draining) {
        worker_free(pool, s, w);
    } else {
        if (rc == SS_ERR_OK)
            pool->stats.recycled++;
        s->running--;
        if (w->queued) {
            struct pool_job *q = w->queued;
            w->queued = NULL;
            if (job_due(pool, q) <= proto_now_ms()) {
                struct ss_error why;
                timed_out(pool, s, q, &why);
                collect(q, &why, &failed);
            } else {
                requeue(s, q);
            }
        }
        retire(pool, w);
        if (s->pending) {
            /* Calls wait for this one's place: a new worker, unless the
             * skill is broken now, or its successor is on its way. */
            if (s->broken_until_ms > proto_now_ms()) {
                struct ss_error why;
                ss_fail(&why, SS_ERR_SKILL_CRASHED,
                        "%s is marked broken after %d failures in a row", s->name,
                        LIMIT_WORKER_FAILURES);
                fail_pending(s, &why, &failed);
            } else if (s->running < (unsigned)pool->cfg.workers) {
                s->running++;
                s->want++;
                pthread_cond_signal(&pool->keeper_cond);
            }
        }
    }
    pthread_mutex_unlock(&pool->lock);
    finish(job, rc);
    finish_all(failed);
}

/* One frame from busy worker w. Returns false when w was stopped. I/O thread only. */
static bool
on_frame(struct pool *pool, struct process *w, struct proto_frame *frame)
{
    struct slot *s = w->slot;
    struct pool_job *job = w->job;
    struct ss_error bad;

    ss_error_clear(&bad);
    if (frame->type == PROTO_ANSWER) {
        enum ss_err rc = message_decode_answer(frame->data, frame->len, &job->ans.answer, &bad);
        if (rc != SS_ERR_OK) {
            ss_fail(&job->err, bad.code, "the worker for %s sent a bad answer: %s", s->name,
                    bad.msg);
            end_job(pool, w, bad.code, KILLED);
            return false;
        }
        end_job(pool, w, SS_ERR_OK, DONE);
        return true;
    }
    if (frame->type == PROTO_DIED) {
        /* From the zygote, the worker's parent: how it ended. The worker is
         * gone whether or not the report reads well. */
        struct message_text died;
        bool told = message_decode_died(frame->data, frame->len, &died, &bad) == SS_ERR_OK;
        ss_fail(&job->err, SS_ERR_SKILL_CRASHED, "the worker for %s %s while answering", s->name,
                told ? died.text : "ended");
        if (told)
            message_text_cleanup(&died);
        end_job(pool, w, SS_ERR_SKILL_CRASHED, DEAD);
        return false;
    }
    if (frame->type != PROTO_LOG) {
        ss_fail(&job->err, SS_ERR_WORKER, "the worker for %s sent an unexpected message", s->name);
        end_job(pool, w, SS_ERR_WORKER, KILLED);
        return false;
    }
    job->logged += frame->len;
    if (job->logged > LIMIT_SKILL_LOG_FLOOD_BYTES) {
        ss_fail(&job->err, SS_ERR_SKILL_CRASHED,
                "%s printed more than %ld bytes during one request; its worker was stopped",
                s->name, (long)LIMIT_SKILL_LOG_FLOOD_BYTES);
        end_job(pool, w, SS_ERR_SKILL_CRASHED, KILLED);
        return false;
    }
    if (job->logged <= LIMIT_SKILL_LOG_BYTES_PER_REQUEST &&
        !output_record(&pool->sink, s->name, job->request_id, frame, &bad)) {
        ss_fail(&job->err, SS_ERR_WORKER, "the worker for %s sent a bad message: %s", s->name,
                bad.msg);
        end_job(pool, w, SS_ERR_WORKER, KILLED);
        return false;
    }
    if (job->logged > LIMIT_SKILL_LOG_BYTES_PER_REQUEST &&
        job->logged - frame->len <= LIMIT_SKILL_LOG_BYTES_PER_REQUEST)
        output_text(&pool->sink, s->name, job->request_id,
                    "(more output during this request is dropped: a request may print at most "
                    "64 KiB)");
    return true;
}

/* An idle worker that speaks or hangs up is out of order: stop it. */
static void
drop_idle(struct pool *pool, struct process *w)
{
    struct slot *s = w->slot;
    for (struct process **p = &s->idle; *p; p = &(*p)->next) {
        if (*p == w) {
            *p = w->next;
            s->running--;
            retire(pool, w);
            return;
        }
    }
}

/* Act on every whole frame in w's inbox for as long as w holds a call (the
 * answer to one may come with the output of the next), and drop what was
 * read. Returns false when w was stopped. I/O thread only. */
static bool
take_frames(struct pool *pool, struct process *w)
{
    size_t at = 0;
    for (;;) {
        pthread_mutex_lock(&pool->lock);
        bool busy = w->state == W_BUSY && w->job;
        pthread_mutex_unlock(&pool->lock);
        if (!busy)
            break;
        struct proto_frame frame;
        size_t used;
        enum proto_status st = proto_parse(w->in.p + at, w->in.len - at, &frame, &used);
        if (st == PROTO_MORE)
            break;
        if (st != PROTO_OK) {
            ss_fail(&w->job->err, SS_ERR_WORKER, "the worker for %s sent a bad message: %s",
                    ((struct slot *)w->slot)->name, proto_status_text(st));
            end_job(pool, w, SS_ERR_WORKER, KILLED);
            return false;
        }
        at += used;
        bool alive = on_frame(pool, w, &frame);
        proto_frame_cleanup(&frame);
        if (!alive)
            return false;
    }
    buf_drop_front(&w->in, at);
    return true;
}

/* Worker w's socket is readable (or hung up): read what is there, acting
 * on each whole frame as it comes, so that the inbox never holds more than
 * one frame. At most IO_READS_PER_EVENT reads, so that a worker that
 * writes without end cannot keep the I/O thread from the others (epoll
 * reports it again). I/O thread only. */
static void
on_readable(struct pool *pool, struct process *w)
{
    char chunk[IO_CHUNK_BYTES];
    bool eof = false;

    for (int reads = 0; reads < IO_READS_PER_EVENT; reads++) {
        ssize_t n = recv(w->fd, chunk, sizeof(chunk), MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {
            eof = true;
            break;
        }
        /* The inbox holds less than a frame here, so a full one never fits
         * a frame: the worker breaks the protocol, or its frame is over the
         * limit, which proto_parse() reports. */
        if (!buf_add(&w->in, chunk, (size_t)n)) {
            eof = true;
            break;
        }
        if (!take_frames(pool, w))
            return;
        /* A short read emptied the socket: epoll (level-triggered) reports
         * what comes next, so no read is spent to learn it is empty. */
        if ((size_t)n < sizeof(chunk))
            break;
    }
    pthread_mutex_lock(&pool->lock);
    bool busy = w->state == W_BUSY && w->job;
    if (w->state == W_IDLE && (eof || w->in.len > 0))
        drop_idle(pool, w); /* more than its answers, or gone */
    pthread_mutex_unlock(&pool->lock);
    if (busy && eof) {
        ss_fail(&w->job->err, SS_ERR_SKILL_CRASHED, "the worker for %s died while answering",
                ((struct slot *)w->slot)->name);
        end_job(pool, w, SS_ERR_SKILL_CRASHED, DEAD);
    }
}

/* The rest of a request, now that w's socket takes it. I/O thread only. */
static void
on_writable(struct pool *pool, struct process *w)
{
    pthread_mutex_lock(&pool->lock);
    if (w->state == W_BUSY) {
        enum proto_status st = proto_flush(w->fd, &w->out);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = w};
        if (st != PROTO_OK && w->pidfd >= 0)
            pidfd_signal(w->pidfd, SIGKILL);
        else if (w->out.len == 0)
            (void)epoll_ctl(pool->epfd, EPOLL_CTL_MOD, w->fd, &ev);
    }
    pthread_mutex_unlock(&pool->lock);
}

/*
 * Apply the hard deadline to every call, running or waiting, and return
 * the next time one falls due (or a tick from now). With pool->aborting
 * every call is due now. I/O thread only.
 */
static int64_t
apply_deadlines(struct pool *pool)
{
    for (;;) {
        int64_t now = proto_now_ms(), next = now + IO_TICK_MS;
        struct process *late = NULL;
        struct pool_job *failed = NULL;

        pthread_mutex_lock(&pool->lock);
        bool all = pool->aborting;
        for (struct slot *s = pool->slots; s && !late; s = s->next) {
            for (struct process *w = s->busy_list; w && !late; w = w->next) {
                int64_t due = job_due(pool, w->job);
                if (w->queued && job_due(pool, w->queued) < due)
                    due = job_due(pool, w->queued);
                if (all || due <= now)
                    late = w;
                else if (due < next)
                    next = due;
            }
            while (s->pending && !late) {
                int64_t due = job_due(pool, s->pending);
                if (!all && due > now) {
                    if (due < next)
                        next = due;
                    break;
                }
                struct ss_error why;
                if (all)
                    ss_fail(&why, SS_ERR_SKILL_TIMEOUT, "the server is stopping");
                else
                    ss_fail(&why, SS_ERR_SKILL_TIMEOUT,
                            "all %d workers of %s stayed busy until the deadline",
                            pool->cfg.workers, s->name);
                collect(pop_pending(s), &why, &failed);
            }
        }
        pool->io_wake_at = next;
        pthread_mutex_unlock(&pool->lock);
        finish_all(failed);
        if (!late)
            return next;
        if (all)
            ss_fail(&late->job->err, SS_ERR_SKILL_TIMEOUT, "the server is stopping");
        else
            timed_out(pool, late->slot, late->job, &late->job->err);
        end_job(pool, late, SS_ERR_SKILL_TIMEOUT, KILLED);
    }
}

/* Workers taken out of service: out of the epoll set, to the keeper. */
static void
forget_retired(struct pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    struct process *list = pool->retiring;
    pool->retiring = NULL;
    for (struct process *w = list; w;) {
        struct process *next = w->next;
        (void)epoll_ctl(pool->epfd, EPOLL_CTL_DEL, w->fd, NULL);
        w->next = pool->to_stop;
        pool->to_stop = w;
        w = next;
    }
    if (list)
        pthread_cond_signal(&pool->keeper_cond);
    pthread_mutex_unlock(&pool->lock);
}

static void *
io_main(void *arg)
{
    struct pool *pool = arg;
    struct epoll_event events[IO_EVENTS];

    (void)pthread_setname_np(pthread_self(), "ss-worker-io"); /* for top -H and perf */

    for (;;) {
        int64_t next = apply_deadlines(pool);
        forget_retired(pool);
        pthread_mutex_lock(&pool->lock);
        bool quit = pool->quit;
        pthread_mutex_unlock(&pool->lock);
        if (quit)
            break;
        int64_t wait = next - proto_now_ms();
        int n = epoll_wait(pool->epfd, events, IO_EVENTS, wait < 0 ? 0 : (int)wait);
        if (n < 0 && errno != EINTR) {
            log_msg(LOG_ERROR, "the worker I/O thread cannot wait: %s", strerror(errno));
            break;
        }
        for (int i = 0; i < n; i++) {
            if (events[i].data.ptr == &wake_tag) {
                uint64_t v;
                if (read(pool->wake, &v, sizeof(v)) < 0 && errno != EAGAIN)
                    log_msg(LOG_ERROR, "the worker I/O thread: %s", strerror(errno));
                continue;
            }
            struct process *w = events[i].data.ptr;
            if (events[i].events & EPOLLOUT)
                on_writable(pool, w);
            if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                on_readable(pool, w);
        }
    }
    return NULL;
}

/* The keeper: starts the workers calls wait for, stops retired ones. */
static void *
keeper_main(void *arg)
{
    struct pool *pool = arg;

    (void)pthread_setname_np(pthread_self(), "ss-keeper");
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        struct process *stop = pool->to_stop;
        pool->to_stop = NULL;
        struct slot *s = pool->slots;
        while (s && !s->want)
            s = s->next;
        if (!stop && !s) {
            if (pool->quit)
                break;
            pthread_cond_wait(&pool->keeper_cond, &pool->lock);
            continue;
        }
        uint64_t gen = s ? s->generation : 0;
        if (s)
            s->want--;
        pthread_mutex_unlock(&pool->lock);

        while (stop) {
            struct process *next = stop->next;
            process_stop(stop, 1);
            stop = next;
        }
        struct process *w = NULL;
        struct message_load hello;
        struct ss_error err;
        struct pool_job *failed = NULL;
        enum ss_err rc = SS_ERR_OK;
        if (s)
            rc = spawn_worker(pool, s, s->name, &w, &hello, &err);

        pthread_mutex_lock(&pool->lock);
        if (s) {
            note_start(pool, s, rc, &hello, &err);
            if (w && !adopt(pool, s, w, gen)) {
                rc =
                    ss_fail(&err, SS_ERR_WORKER, "the worker for %s could not be watched", s->name);
                w->next = pool->to_stop; /* never in the epoll set */
                pool->to_stop = w;
                w = NULL;
            }
            if (!w) {
                s->running--;
                if (rc == SS_ERR_SKILL_CRASHED && ++s->failures >= LIMIT_WORKER_FAILURES)
                    s->broken_until_ms = proto_now_ms() + LIMIT_BROKEN_RETRY_MS;
                /* Calls waiting for this worker fail with its reason when no
                 * other worker of the skill is left to take them. */
                if (s->running == 0)
                    fail_pending(s, &err, &failed);
            }
            message_load_cleanup(&hello);
        }
        pthread_mutex_unlock(&pool->lock);
        finish_all(failed);
        pthread_mutex_lock(&pool->lock);
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

enum ss_err
pool_submit(struct pool *pool, struct pool_job *job)
{
    enum ss_err rc = SS_ERR_OK;

    memset(&job->ans, 0, sizeof(job->ans));
    ss_error_clear(&job->err);
    job->rc = SS_ERR_OK;
    job->next = NULL;

    pthread_mutex_lock(&pool->lock);
    struct slot *s = get_slot(pool, job->skill);
    if (!s) {
        pthread_mutex_unlock(&pool->lock);
        return ss_fail(&job->err, SS_ERR_NOMEM, "out of memory");
    }
    job->slot = s;
    int64_t now = proto_now_ms();
    if (s->broken_until_ms > now) {
        rc = ss_fail(&job->err, SS_ERR_SKILL_CRASHED,
                     "%s is marked broken after %d failures in a row; it is tried again in "
                     "%lld s",
                     s->name, LIMIT_WORKER_FAILURES,
                     (long long)((s->broken_until_ms - now + 999) / 1000));
        pthread_mutex_unlock(&pool->lock);
        return rc;
    }
    if (still_failing(s)) {
        rc = ss_fail(&job->err, SS_ERR_SKILL_LOAD, "%s", s->load_error);
        pthread_mutex_unlock(&pool->lock);
        return rc;
    }
    /* An idle worker; else a new one if the skill may have more (the call
     * waits for whichever is free first); else behind the call of a busy
     * one, so that it reads the next request without sleeping; else wait. */
    struct process *w = s->idle;
    if (w) {
        s->idle = w->next;
        start_job(pool, s, w, job);
    } else if (s->running < (unsigned)pool->cfg.workers) {
        push_pending(s, job);
        s->running++;
        s->want++;
        pthread_cond_signal(&pool->keeper_cond);
    } else if (!s->pending && (w = pipeline_worker(pool, s, job))) {
        start_job(pool, s, w, job);
    } else {
        push_pending(s, job);
    }
    /* The I/O thread sleeps until the next deadline it knows of; a call
     * due earlier (the first after a quiet spell) wakes it. */
    if (job_due(pool, job) < pool->io_wake_at)
        wake_io(pool);
    pthread_mutex_unlock(&pool->lock);
    return SS_ERR_OK;
}

/* pool_run()'s wait for one job. */
struct waiter {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
};

static void
wake_waiter(struct pool_job *job)
{
    struct waiter *w = job->ctx;
    pthread_mutex_lock(&w->lock);
    w->done = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

enum ss_err
pool_run(struct pool *pool, struct pool_job *job)
{
    struct waiter w = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
    job->done = wake_waiter;
    job->ctx = &w;
    enum ss_err rc = pool_submit(pool, job);
    if (rc != SS_ERR_OK) {
        job->rc = rc;
        return rc;
    }
    pthread_mutex_lock(&w.lock);
    while (!w.done)
        pthread_cond_wait(&w.cond, &w.lock);
    pthread_mutex_unlock(&w.lock);
    pthread_mutex_destroy(&w.lock);
    pthread_cond_destroy(&w.cond);
    return job->rc;
}

enum ss_err
pool_call(struct pool *pool, const struct skill *skill, const char *event, size_t len,
          const char *attributes, const char *request_id, int64_t arrival_ms,
          struct pool_answer *ans, struct ss_error *err)
{
    struct pool_job job = {.skill = skill,
                           .event = event,
                           .len = len,
                           .attributes = attributes,
                           .request_id = request_id,
                           .arrival_ms = arrival_ms};
    enum ss_err rc = pool_run(pool, &job);
    *ans = job.ans;
    *err = job.err;
    return rc;
}

void
pool_abort(struct pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    pool->aborting = true;
    wake_io(pool);
    pthread_mutex_unlock(&pool->lock);
}

void
pool_answer_cleanup(struct pool_answer *ans)
{
    if (ans)
        message_answer_cleanup(&ans->answer);
}

enum ss_err
pool_reload(struct pool *pool, const struct skill *skill, struct ss_error *err)
{
    struct process *fresh = NULL, *old, *old_zygote = NULL;
    struct message_load hello;

    /* A new zygote loads the changed skill: its description (handler,
     * environment, files) is the one skill gives now. */
    memset(&hello, 0, sizeof(hello));
    json_t *spec = launcher_spec(skill);
    char *script = strdup(skill->script);
    enum ss_err rc = spec && script ? start_zygote(pool, spec, &fresh, &hello, err)
                                    : ss_fail(err, SS_ERR_NOMEM, "out of memory");

    pthread_mutex_lock(&pool->lock);
    struct slot *s = get_slot(pool, skill);
    if (!s || rc != SS_ERR_OK) {
        /* Keep what runs (workers, or with --fresh-worker only the zygote);
         * only a skill that never loaded records the failure. */
        if (s && s->running == 0 && !s->loaded)
            note_start(pool, s, rc, &hello, err);
        if (s && rc == SS_ERR_SKILL_LOAD)
            snprintf(s->problem, sizeof(s->problem), "%s", err->msg);
        pthread_mutex_unlock(&pool->lock);
        message_load_cleanup(&hello);
        json_decref(spec);
        free(script);
        process_stop(fresh, 1);
        return s ? rc : ss_fail(err, SS_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_unlock(&pool->lock);

    /* New workers fork from the new zygote from now on (and should it die,
     * the next zygote is started from the new description too)... */
    pthread_mutex_lock(&s->zlock);
    old_zygote = s->zygote;
    s->zygote = fresh;
    json_decref(s->spec);
    s->spec = spec;
    pthread_mutex_unlock(&s->zlock);

    /* ...and the old generation stops: idle workers now, busy ones when
     * free. The old zygote, its socket closed, forks no more and ends when
     * its last worker has; pool_maintain() waits for it. */
    if (old_zygote) {
        close(old_zygote->fd);
        old_zygote->fd = -1;
    }
    pthread_mutex_lock(&pool->lock);
    free(s->script);
    s->script = script;
    note_start(pool, s, rc, &hello, err);
    s->load_failed = 0;
    s->failures = 0;
    s->broken_until_ms = 0;
    s->generation++;
    old = s->idle;
    s->idle = NULL;
    while (old) {
        struct process *next = old->next;
        s->running--;
        retire(pool, old);
        old = next;
    }
    if (old_zygote) {
        old_zygote->next = s->retired;
        s->retired = old_zygote;
        old_zygote->last_used_ms = proto_now_ms();
    }
    pthread_mutex_unlock(&pool->lock);

    message_load_cleanup(&hello);
    return SS_ERR_OK;
}

/* Whether an idle worker is doing something behind the server's back: a
 * thread left running after its request, or CPU burnt while idle. */
static bool
idle_worker_busy(struct process *w, int64_t now, const char *skill)
{
    uint64_t cpu;
    long threads;
    if (!process_cpu(w->pid, &cpu, &threads))
        return false;
    if (threads > 1) {
        log_msg(LOG_WARN,
                "skill %s left %ld threads running after its request; its worker is "
                "stopped",
                skill, threads - 1);
        return true;
    }
    bool busy = false;
    if (w->idle_cpu_at_ms && w->idle_cpu_at_ms >= w->last_used_ms) {
        int64_t span = now - w->idle_cpu_at_ms;
        if (span > 0 && (int64_t)(cpu - w->idle_cpu_ms) * 1000 >
                            span * (int64_t)LIMIT_WORKER_IDLE_CPU_MS_PER_S) {
            log_msg(LOG_WARN, "skill %s kept the CPU busy between requests; its worker is stopped",
                    skill);
            busy = true;
        }
    }
    w->idle_cpu_ms = cpu;
    w->idle_cpu_at_ms = now;
    return busy;
}

void
pool_maintain(struct pool *pool)
{
    int64_t now = proto_now_ms();

    pthread_mutex_lock(&pool->lock);
    for (struct slot *s = pool->slots; s; s = s->next) {
        struct process **link = &s->idle;
        while (*link) {
            struct process *w = *link;
            if ((s->running > 1 && now - w->last_used_ms > LIMIT_WORKER_IDLE_MS) ||
                idle_worker_busy(w, now, s->name)) {
                *link = w->next;
                s->running--;
                retire(pool, w);
                pool->stats.recycled++;
            } else {
                link = &w->next;
            }
        }
        /* Zygotes a reload replaced end once their last worker has. */
        for (struct process **z = &s->retired; *z;) {
            struct process *old = *z;
            bool ended = process_ended(old);
            if (ended || now - old->last_used_ms > LIMIT_ZYGOTE_RETIRE_MS) {
                *z = old->next;
                process_stop(old, !ended);
            } else {
                z = &old->next;
            }
        }
    }
    pthread_mutex_unlock(&pool->lock);
}

void
pool_stats(struct pool *pool, struct pool_stats *out)
{
    pthread_mutex_lock(&pool->lock);
    *out = pool->stats;
    out->running = 0;
    for (struct slot *s = pool->slots; s; s = s->next)
        out->running += s->running;
    pthread_mutex_unlock(&pool->lock);
}

bool
pool_problem(struct pool *pool, const char *skill, char *buf, size_t cap)
{
    bool found = false;
    pthread_mutex_lock(&pool->lock);
    for (struct slot *s = pool->slots; s; s = s->next) {
        if (strcmp(s->name, skill) == 0 && s->problem[0]) {
            snprintf(buf, cap, "%s", s->problem);
            found = true;
            break;
        }
    }
    pthread_mutex_unlock(&pool->lock);
    return found;
}
