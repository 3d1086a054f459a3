/*
 * pool.c - which worker answers which request (see pool.h).
 *
 * A slot per skill holds its zygote, its idle workers (a stack, the most
 * recently used first), its counters and what its last load said. The
 * processes themselves are process.h's: starting a zygote, forking a
 * worker from it, stopping either; what skills print is output.h's; what
 * workers say is message.h's.
 *
 * Locking: one mutex guards the slots and their idle lists. A thread takes
 * an idle worker (or the right to start one) under the lock, then talks to
 * the worker, starts or stops processes with the lock released. Each slot
 * has a second lock for its zygote, so that a slow zygote start holds up
 * only its own skill.
 */
#include "pool.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "launcher.h"
#include "log.h"
#include "message.h"
#include "output.h"
#include "process.h"
#include "proto.h"
#include "ss_limits.h"

/* Check a worker's memory after every this many requests (a /proc read). */
#define RSS_CHECK_EVERY 32

struct slot {
    char name[LIMIT_SKILL_NAME_CHARS + 1];
    char *script;         /* the handler's file, watched for changes */
    json_t *spec;         /* launcher_spec() of the skill */
    struct process *idle; /* stack: the most recently used first */
    unsigned running;     /* processes alive or being started */
    unsigned busy;
    unsigned waiters;          /* threads waiting for a worker to be freed */
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
    pthread_cond_t freed;
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
};

struct pool *
pool_create(const struct pool_config *cfg)
{
    struct pool *pool = calloc(1, sizeof(*pool));
    if (!pool)
        return NULL;
    pool->cfg = *cfg;
    pool->lifeline[0] = pool->lifeline[1] = -1;
    pool->sink.log = cfg->log;
    pool->sink.ctx = cfg->log_ctx;
    pool->launch.exe = cfg->exe;
    pool->launch.skillkit_dir = cfg->skillkit_dir;
    pool->launch.user = cfg->user;
    pool->launch.handler_timeout_ms = cfg->handler_timeout_ms;
    pool->launch.dev = cfg->dev;
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
    if (pipe2(pool->lifeline, O_CLOEXEC) != 0 ||
        (pool->lifeline[0] = process_high_fd(pool->lifeline[0])) < 0 ||
        !(pool->output = output_reader_create(&pool->sink)))
        goto fail;
    return pool;
fail:
    pool_destroy(pool);
    return NULL;
}

static void
slot_free(struct slot *s)
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
        process_stop(w, 0);
    }
    while (s->retired) {
        struct process *z = s->retired;
        s->retired = z->next;
        process_stop(z, 1);
    }
    process_stop(s->zygote, 0);
    message_load_cleanup(&s->hello);
    pthread_mutex_destroy(&s->zlock);
    pthread_cond_destroy(&s->freed);
    free(s->script);
    json_decref(s->spec);
    free(s);
}

void
pool_destroy(struct pool *pool)
{
    if (!pool)
        return;
    while (pool->slots) {
        struct slot *s = pool->slots;
        pool->slots = s->next;
        slot_free(s);
    }
    output_reader_destroy(pool->output);
    for (int i = 0; i < 2; i++)
        if (pool->lifeline[i] >= 0)
            close(pool->lifeline[i]);
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
    if (!s->script || !s->spec || pthread_cond_init(&s->freed, NULL) != 0) {
        free(s->script);
        json_decref(s->spec);
        free(s);
        return NULL;
    }
    if (pthread_mutex_init(&s->zlock, NULL) != 0) {
        pthread_cond_destroy(&s->freed);
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
        fd = process_fork(s->zygote, &pidfd);
        if (fd < 0)
            drop_zygote(s); /* it died or misbehaved: start another one, once */
    }
    pthread_mutex_unlock(&s->zlock);
    if (fd < 0)
        return ss_fail(err, SS_ERR_SKILL_CRASHED, "the zygote of %s keeps dying", name);

    return process_adopt(name, fd, pidfd, out, err);
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
    if (w) {
        w->generation = gen;
        w->last_used_ms = proto_now_ms();
        w->next = s->idle;
        s->idle = w;
        pthread_cond_signal(&s->freed);
    } else {
        s->running--;
    }
    pthread_mutex_unlock(&pool->lock);
    if (hello)
        *hello = h;
    else
        message_load_cleanup(&h);
    return rc;
}

/* Outcome of one exchange with a worker. */
enum outcome { DONE, DEAD, KILLED };

/* Send the request to w and wait for its answer (no lock held). */
static enum ss_err
exchange(struct pool *pool, struct slot *s, struct process *w, const char *event, size_t len,
         const char *attributes, const char *request_id, int64_t arrival_ms,
         struct pool_answer *ans, enum outcome *outcome, struct ss_error *err)
{
    struct proto_frame frame = {0};
    struct message_parts parts;
    struct ss_error bad;
    int64_t hard = arrival_ms + pool->cfg.handler_timeout_ms;
    int64_t soft_ms = arrival_ms + pool->cfg.soft_timeout_ms - proto_now_ms();

    *outcome = DONE;
    ss_error_clear(&bad);
    /* The event text is valid JSON already: the message is assembled around it. */
    if (soft_ms < 1)
        soft_ms = 1;
    message_request_parts(&parts, event, len, attributes, (long long)soft_ms);
    int64_t sent_us = proto_now_us();
    size_t logged = 0;
    enum proto_status st = proto_sendv(w->fd, PROTO_REQUEST, parts.iov, parts.count);
    while (st == PROTO_OK) {
        st = proto_recv(w->fd, &frame, hard);
        if (st != PROTO_OK || frame.type == PROTO_ANSWER)
            break;
        if (frame.type == PROTO_DIED) {
            /* From the zygote, the worker's parent: how it ended. The
             * worker is gone whether or not the report reads well. */
            struct message_text died;
            bool told = message_decode_died(frame.data, frame.len, &died, &bad) == SS_ERR_OK;
            ss_fail(err, SS_ERR_SKILL_CRASHED, "the worker for %s %s while answering", s->name,
                    told ? died.text : "ended");
            if (told)
                message_text_cleanup(&died);
            proto_frame_cleanup(&frame);
            *outcome = DEAD;
            return SS_ERR_SKILL_CRASHED;
        }
        if (frame.type != PROTO_LOG) {
            proto_frame_cleanup(&frame);
            *outcome = KILLED;
            return ss_fail(err, SS_ERR_WORKER, "the worker for %s sent an unexpected message",
                           s->name);
        }
        logged += frame.len;
        if (logged > LIMIT_SKILL_LOG_FLOOD_BYTES) {
            proto_frame_cleanup(&frame);
            *outcome = KILLED;
            return ss_fail(err, SS_ERR_SKILL_CRASHED,
                           "%s printed more than %ld bytes during one request; its worker was "
                           "stopped",
                           s->name, (long)LIMIT_SKILL_LOG_FLOOD_BYTES);
        }
        if (logged <= LIMIT_SKILL_LOG_BYTES_PER_REQUEST &&
            !output_record(&pool->sink, s->name, request_id, &frame, &bad)) {
            proto_frame_cleanup(&frame);
            *outcome = KILLED;
            return ss_fail(err, SS_ERR_WORKER, "the worker for %s sent a bad message: %s", s->name,
                           bad.msg);
        }
        if (logged > LIMIT_SKILL_LOG_BYTES_PER_REQUEST &&
            logged - frame.len <= LIMIT_SKILL_LOG_BYTES_PER_REQUEST)
            output_text(&pool->sink, s->name, request_id,
                        "(more output during this request is dropped: a request may print at most "
                        "64 KiB)");
        proto_frame_cleanup(&frame);
    }
    ans->handler_us = proto_now_us() - sent_us;

    if (st == PROTO_TIMEOUT) {
        *outcome = KILLED;
        return ss_fail(err, SS_ERR_SKILL_TIMEOUT,
                       "%s did not answer within %d ms; its worker was stopped", s->name,
                       pool->cfg.handler_timeout_ms);
    }
    if (st != PROTO_OK) {
        *outcome = DEAD;
        return ss_fail(err, SS_ERR_SKILL_CRASHED, "the worker for %s died while answering",
                       s->name);
    }
    enum ss_err rc = message_decode_answer(frame.data, frame.len, &ans->answer, &bad);
    proto_frame_cleanup(&frame);
    if (rc != SS_ERR_OK) {
        *outcome = KILLED;
        return ss_fail(err, bad.code, "the worker for %s sent a bad answer: %s", s->name, bad.msg);
    }
    return SS_ERR_OK;
}

enum ss_err
pool_call(struct pool *pool, const struct skill *skill, const char *event, size_t len,
          const char *attributes, const char *request_id, int64_t arrival_ms,
          struct pool_answer *ans, struct ss_error *err)
{
    struct process *w = NULL, *stop = NULL;
    struct message_load hello;
    enum ss_err rc = SS_ERR_OK;
    enum outcome outcome = DONE;
    int64_t hard = arrival_ms + pool->cfg.handler_timeout_ms;

    memset(&hello, 0, sizeof(hello));
    memset(&ans->answer, 0, sizeof(ans->answer));
    ans->handler_us = 0;

    pthread_mutex_lock(&pool->lock);
    struct slot *s = get_slot(pool, skill);
    if (!s) {
        pthread_mutex_unlock(&pool->lock);
        return ss_fail(err, SS_ERR_NOMEM, "out of memory");
    }
    int64_t now = proto_now_ms();
    if (s->broken_until_ms > now) {
        rc = ss_fail(err, SS_ERR_SKILL_CRASHED,
                     "%s is marked broken after %d failures in a row; it is tried again in "
                     "%lld s",
                     s->name, LIMIT_WORKER_FAILURES,
                     (long long)((s->broken_until_ms - now + 999) / 1000));
        pthread_mutex_unlock(&pool->lock);
        return rc;
    }
    if (still_failing(s)) {
        rc = ss_fail(err, SS_ERR_SKILL_LOAD, "%s", s->load_error);
        pthread_mutex_unlock(&pool->lock);
        return rc;
    }
    /* An idle worker, or the right to start one, or wait for one to be freed. */
    while (!s->idle && s->running >= (unsigned)pool->cfg.workers) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        int64_t wait_ms = hard - proto_now_ms();
        if (wait_ms <= 0) {
            rc = ss_fail(err, SS_ERR_SKILL_TIMEOUT,
                         "all %d workers of %s stayed busy until the deadline", pool->cfg.workers,
                         s->name);
            pthread_mutex_unlock(&pool->lock);
            return rc;
        }
        until.tv_sec += wait_ms / 1000;
        until.tv_nsec += (wait_ms % 1000) * 1000000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        s->waiters++;
        pthread_cond_timedwait(&s->freed, &pool->lock, &until);
        s->waiters--;
    }
    uint64_t gen = s->generation;
    if (s->idle) {
        w = s->idle;
        s->idle = w->next;
    } else {
        s->running++;
    }
    s->busy++;
    pool->stats.busy++;
    pthread_mutex_unlock(&pool->lock);

    int spawned = !w;
    enum ss_err spawn_rc = SS_ERR_OK;
    if (spawned) {
        rc = spawn_rc = spawn_worker(pool, s, skill->name, &w, &hello, err);
        if (w)
            w->generation = gen;
    }
    if (rc == SS_ERR_OK) {
        rc = exchange(pool, s, w, event, len, attributes, request_id, arrival_ms, ans, &outcome,
                      err);
        w->served++;
        w->last_used_ms = proto_now_ms();
    }

    /* Decide the worker's fate: back to idle, or stop it. */
    int keep = rc == SS_ERR_OK && w && !pool->cfg.fresh_worker &&
               w->served < LIMIT_WORKER_REQUESTS &&
               !(w->served % RSS_CHECK_EVERY == 0 && process_rss(w->pid) > LIMIT_WORKER_RSS_BYTES);
    if (w && !keep)
        stop = w;

    pthread_mutex_lock(&pool->lock);
    if (spawned)
        note_start(pool, s, spawn_rc, &hello, err);
    s->busy--;
    pool->stats.busy--;
    if (keep && w->generation == s->generation) {
        w->next = s->idle;
        s->idle = w;
    } else {
        if (keep)
            stop = w; /* a reload replaced its generation */
        if (w || rc != SS_ERR_OK)
            s->running--;
        if (rc == SS_ERR_OK)
            pool->stats.recycled++;
    }
    if (rc == SS_ERR_SKILL_TIMEOUT && outcome == KILLED)
        pool->stats.timeouts++;
    if (rc == SS_ERR_SKILL_CRASHED && outcome == DEAD)
        pool->stats.crashed++;
    if (outcome == KILLED || outcome == DEAD || spawn_rc == SS_ERR_SKILL_CRASHED) {
        if (++s->failures >= LIMIT_WORKER_FAILURES)
            s->broken_until_ms = proto_now_ms() + LIMIT_BROKEN_RETRY_MS;
    } else if (rc == SS_ERR_OK) {
        s->failures = 0;
    }
    /* Wake a waiting thread only when there is one: a futex call per
     * request adds up at thousands of requests a second. */
    if (s->waiters)
        pthread_cond_signal(&s->freed);
    pthread_mutex_unlock(&pool->lock);

    message_load_cleanup(&hello);
    process_stop(stop, 1);
    return rc;
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
    struct process *fresh = NULL, *old = NULL, *old_zygote = NULL;
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
    for (struct process *o = old; o; o = o->next)
        s->running--;
    if (old_zygote) {
        old_zygote->next = s->retired;
        s->retired = old_zygote;
        old_zygote->last_used_ms = proto_now_ms();
    }
    pthread_cond_broadcast(&s->freed);
    pthread_mutex_unlock(&pool->lock);

    message_load_cleanup(&hello);
    while (old) {
        struct process *next = old->next;
        process_stop(old, 1);
        old = next;
    }
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
    struct process *stop = NULL;
    int64_t now = proto_now_ms();

    pthread_mutex_lock(&pool->lock);
    for (struct slot *s = pool->slots; s; s = s->next) {
        struct process **link = &s->idle;
        while (*link) {
            struct process *w = *link;
            if ((s->running > 1 && now - w->last_used_ms > LIMIT_WORKER_IDLE_MS) ||
                idle_worker_busy(w, now, s->name)) {
                *link = w->next;
                w->next = stop;
                stop = w;
                s->running--;
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
    while (stop) {
        struct process *next = stop->next;
        process_stop(stop, 1);
        stop = next;
    }
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
