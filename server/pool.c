/*
 * pool.c - starting, calling, recycling and stopping skill workers (see pool.h).
 *
 * Workers are started with posix_spawn (vfork-like, so it is cheap and safe
 * from a threaded front) of this binary in worker mode. The child gets only
 * its end of the socketpair, as descriptor 3, and a fixed minimal
 * environment: none of the server's variables or open files.
 *
 * Locking: one mutex guards the slots (one per skill) and their idle lists.
 * A thread takes an idle worker (or the right to start one) under the lock,
 * then talks to the worker, starts or stops processes with the lock released.
 */
#include "pool.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "proto.h"
#include "ss_limits.h"

/* The descriptor number the worker finds its socket on. */
#define WORKER_FD 3

/* Check a worker's memory after every this many requests (a /proc read). */
#define RSS_CHECK_EVERY 32

extern char **environ;

struct worker {
    pid_t pid;
    int fd;
    unsigned served;
    uint64_t generation;
    int64_t last_used_ms;
    struct worker *next; /* in the idle list */
};

struct slot {
    char name[LIMIT_SKILL_NAME_CHARS + 1];
    char *script;
    struct worker *idle; /* stack: the most recently used first */
    unsigned running;    /* processes alive or being started */
    unsigned busy;
    unsigned waiters;    /* threads waiting for a worker to be freed */
    uint64_t generation; /* bumped by a reload; older workers stop when free */
    json_t *hello;       /* what the newest worker said when it loaded */
    /* The skill did not load: calls fail at once until skill.py changes. */
    int load_failed;
    struct timespec load_mtime;
    char load_error[sizeof(((struct ss_error *)0)->msg)];
    /* The last failed (re)load, even while an older version serves; "" when
     * the newest version loaded. */
    char problem[sizeof(((struct ss_error *)0)->msg)];
    unsigned failures; /* crashes and hard timeouts in a row */
    /* The zygote: the skill imported once, forking workers on request. Its
     * own lock, so that a slow zygote start holds up only this skill. */
    pthread_mutex_t zlock;
    struct worker *zygote;
    int64_t broken_until_ms;
    pthread_cond_t freed;
    struct slot *next;
};

struct pool {
    struct pool_config cfg;
    bool zygotes; /* workers fork from a zygote (the front is a child subreaper) */
    pthread_mutex_t lock;
    struct slot *slots;
    struct pool_stats stats;
};

struct pool *
pool_create(const struct pool_config *cfg)
{
    struct pool *pool = calloc(1, sizeof(*pool));
    if (!pool)
        return NULL;
    pool->cfg = *cfg;
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
    /* Workers are forked by a zygote through a short-lived middle process,
     * so that they end up as this process's children (it adopts orphans):
     * the pool can then wait for them and tell how they died. Without that,
     * every worker is started from scratch. */
    pool->zygotes = prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0;
    return pool;
}

/* Describe how a child ended: "exited with status 3", "was killed by signal 9 (Killed)". */
static void
describe_status(int status, char *buf, size_t cap)
{
    if (WIFEXITED(status))
        snprintf(buf, cap, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, cap, "was killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, cap, "stopped");
}

/* Wait for pid to end, up to grace_ms, then kill it. Returns the status. */
static int
reap(pid_t pid, int grace_ms)
{
    int status = 0;
    int64_t until = proto_now_ms() + grace_ms;

    for (;;) {
        pid_t r = waitpid(pid, &status, grace_ms > 0 ? WNOHANG : 0);
        if (r == pid || (r < 0 && errno != EINTR))
            return status;
        if (r == 0 && proto_now_ms() >= until) {
            kill(pid, SIGKILL);
            grace_ms = 0;
            continue;
        }
        if (r == 0)
            usleep(1000);
    }
}

/*
 * Stop w's process and free w. kill_now: SIGKILL at once (deadline passed,
 * protocol broken, or a recycle: a worker keeps no state worth a clean
 * exit); otherwise close the socket and let it exit by itself. Returns the
 * wait status.
 */
static int
worker_stop(struct worker *w, int kill_now)
{
    int status = 0;
    if (!w)
        return 0;
    if (kill_now && w->pid > 0)
        kill(w->pid, SIGKILL);
    if (w->fd >= 0)
        close(w->fd);
    if (w->pid > 0)
        status = reap(w->pid, kill_now ? 0 : 2000);
    free(w);
    return status;
}

/* The death of a worker whose socket failed: reap it and say how it ended. */
static void
worker_death(struct worker *w, char *how, size_t cap)
{
    int status = worker_stop(w, 0);
    describe_status(status, how, cap);
}

static void
slot_free(struct slot *s)
{
    while (s->idle) {
        struct worker *w = s->idle;
        s->idle = w->next;
        worker_stop(w, 0);
    }
    worker_stop(s->zygote, 0);
    json_decref(s->hello);
    pthread_mutex_destroy(&s->zlock);
    pthread_cond_destroy(&s->freed);
    free(s->script);
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
    if (!s->script || pthread_cond_init(&s->freed, NULL) != 0) {
        free(s->script);
        free(s);
        return NULL;
    }
    if (pthread_mutex_init(&s->zlock, NULL) != 0) {
        pthread_cond_destroy(&s->freed);
        free(s->script);
        free(s);
        return NULL;
    }
    s->next = pool->slots;
    pool->slots = s;
    return s;
}

void
pool_describe_error(json_t *error, const char *default_file, char *buf, size_t cap)
{
    const char *file = json_string_value(json_object_get(error, "file"));
    json_t *line = json_object_get(error, "line");
    const char *type = json_string_value(json_object_get(error, "type"));
    const char *message = json_string_value(json_object_get(error, "message"));
    char where[512] = "";

    if (!file)
        file = default_file;
    if (file && json_is_integer(line))
        snprintf(where, sizeof(where), "%s:%lld: ", file, (long long)json_integer_value(line));
    else if (file)
        snprintf(where, sizeof(where), "%s: ", file);
    snprintf(buf, cap, "%s%s%s%s", where, type ? type : "", type ? ": " : "",
             message ? message : "(no message)");
}

/*
 * Start a worker (or, with zygote set, a zygote) for (name, script) by
 * exec'ing this binary, and wait for its HELLO. Runs without the pool's lock.
 * On success *out is the new process and *hello (new reference) its load
 * report; on SS_ERR_SKILL_LOAD *hello holds the failed report.
 */
static enum ss_err
start_process(const struct pool_config *cfg, const char *name, const char *script, int zygote,
              struct worker **out, json_t **hello, struct ss_error *err)
{
    int sv[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    int fa_ready = 0;
    enum ss_err rc = SS_ERR_OK;
    struct proto_frame frame = {0};
    json_error_t jerr;
    struct worker *w = calloc(1, sizeof(*w));

    *out = NULL;
    *hello = NULL;
    if (!w)
        return ss_fail(err, SS_ERR_NOMEM, "out of memory");
    w->fd = -1;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        rc = ss_fail(err, SS_ERR_WORKER, "socketpair: %s", strerror(errno));
        goto out;
    }
    /* dup2 onto the same number would keep close-on-exec set. */
    if (sv[1] == WORKER_FD) {
        int moved = fcntl(sv[1], F_DUPFD_CLOEXEC, WORKER_FD + 1);
        if (moved < 0) {
            rc = ss_fail(err, SS_ERR_WORKER, "fcntl: %s", strerror(errno));
            goto out;
        }
        close(sv[1]);
        sv[1] = moved;
    }
    if (posix_spawn_file_actions_init(&fa) != 0) {
        rc = ss_fail(err, SS_ERR_NOMEM, "out of memory");
        goto out;
    }
    fa_ready = 1;
    if (posix_spawn_file_actions_adddup2(&fa, sv[1], WORKER_FD) != 0 ||
        posix_spawn_file_actions_addclosefrom_np(&fa, WORKER_FD + 1) != 0) {
        rc = ss_fail(err, SS_ERR_NOMEM, "out of memory");
        goto out;
    }

    char fdarg[16];
    snprintf(fdarg, sizeof(fdarg), "%d", WORKER_FD);
    char *argv[] = {(char *)cfg->exe,
                    "__worker",
                    "--fd",
                    fdarg,
                    "--name",
                    (char *)name,
                    "--script",
                    (char *)script,
                    "--skillkit",
                    (char *)cfg->skillkit_dir,
                    NULL,
                    NULL,
                    NULL,
                    NULL,
                    NULL};
    int argc = 10;
    if (cfg->user) {
        argv[argc++] = "--user";
        argv[argc++] = (char *)cfg->user;
    }
    if (cfg->dev)
        argv[argc++] = "--dev";
    if (zygote)
        argv[argc++] = "--zygote";
    /* The worker sees nothing of the server's environment but the
     * sanitizers' settings, which only exist in test builds. */
    char *envp[8] = {"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "LC_ALL=C.UTF-8"};
    int nenv = 3;
    static const char *const passed[] = {"LSAN_OPTIONS", "UBSAN_OPTIONS"};
    for (size_t k = 0; k < sizeof(passed) / sizeof(passed[0]); k++) {
        size_t n = strlen(passed[k]);
        for (char **e = environ; *e; e++)
            if (strncmp(*e, passed[k], n) == 0 && (*e)[n] == '=')
                envp[nenv++] = *e;
    }
    /* LeakSanitizer needs ptrace and a plain clone(), which the sandbox
     * forbids, so sandboxed workers run without it; test_python checks the
     * worker code for leaks unsandboxed. */
    char asan[512];
    const char *asan_opts = getenv("ASAN_OPTIONS");
    if (asan_opts) {
        snprintf(asan, sizeof(asan), "ASAN_OPTIONS=%s:detect_leaks=0", asan_opts);
        envp[nenv++] = asan;
    }
    envp[nenv] = NULL;

    int e = posix_spawn(&w->pid, cfg->exe, &fa, NULL, argv, envp);
    if (e != 0) {
        w->pid = 0;
        rc = ss_fail(err, SS_ERR_SKILL_CRASHED, "cannot start a worker for %s (%s): %s", name,
                     cfg->exe, strerror(e));
        goto out;
    }
    close(sv[1]);
    sv[1] = -1;
    w->fd = sv[0];
    sv[0] = -1;

    enum proto_status st = proto_recv(w->fd, &frame, proto_now_ms() + LIMIT_WORKER_START_MS);
    if (st != PROTO_OK || frame.type != PROTO_HELLO) {
        char how[128];
        int status = worker_stop(w, 1);
        w = NULL;
        describe_status(status, how, sizeof(how));
        rc = ss_fail(err, SS_ERR_SKILL_CRASHED, "the worker for %s did not start: %s (it %s)", name,
                     st == PROTO_OK ? "unexpected first message" : proto_status_text(st), how);
        goto out;
    }
    *hello = json_loadb(frame.data, frame.len, 0, &jerr);
    if (!json_is_object(*hello)) {
        rc = ss_fail(err, SS_ERR_WORKER, "the worker for %s sent a bad greeting: %s", name,
                     jerr.text);
        goto out;
    }
    if (!json_is_true(json_object_get(*hello, "ok"))) {
        char what[400];
        pool_describe_error(json_object_get(*hello, "error"), NULL, what, sizeof(what));
        rc = ss_fail(err, SS_ERR_SKILL_LOAD, "%s", what);
        goto out;
    }
out:
    proto_frame_cleanup(&frame);
    if (fa_ready)
        posix_spawn_file_actions_destroy(&fa);
    if (sv[0] >= 0)
        close(sv[0]);
    if (sv[1] >= 0)
        close(sv[1]);
    if (rc == SS_ERR_OK) {
        *out = w;
    } else {
        worker_stop(w, rc != SS_ERR_SKILL_LOAD);
        if (rc != SS_ERR_SKILL_LOAD) {
            json_decref(*hello);
            *hello = NULL;
        }
    }
    return rc;
}

/* Forget skill s's zygote (it failed); the next worker starts a new one.
 * Called with s->zlock held. */
static void
drop_zygote(struct slot *s)
{
    worker_stop(s->zygote, 1);
    s->zygote = NULL;
}

/*
 * A new worker for slot s. With zygotes, it is forked from the skill's
 * zygote, which is started first when there is none (then *hello is the
 * zygote's load report, a new reference; otherwise NULL). Without, the
 * worker is started from scratch and *hello is its load report.
 */
static enum ss_err
spawn_worker(struct pool *pool, struct slot *s, const char *name, const char *script,
             struct worker **out, json_t **hello, struct ss_error *err)
{
    int sv[2] = {-1, -1};
    struct proto_frame frame = {0};
    enum ss_err rc = SS_ERR_OK;

    *out = NULL;
    *hello = NULL;
    if (!pool->zygotes)
        return start_process(&pool->cfg, name, script, 0, out, hello, err);

    pthread_mutex_lock(&s->zlock);
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!s->zygote) {
            json_decref(*hello);
            *hello = NULL;
            rc = start_process(&pool->cfg, name, script, 1, &s->zygote, hello, err);
            if (rc != SS_ERR_OK) {
                pthread_mutex_unlock(&s->zlock);
                return rc;
            }
        }
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
            pthread_mutex_unlock(&s->zlock);
            return ss_fail(err, SS_ERR_WORKER, "socketpair: %s", strerror(errno));
        }
        enum proto_status st = proto_send_fd(s->zygote->fd, PROTO_FORK, sv[1]);
        close(sv[1]);
        sv[1] = -1;
        if (st == PROTO_OK)
            break;
        /* The zygote died: start another one, once. */
        close(sv[0]);
        sv[0] = -1;
        drop_zygote(s);
    }
    pthread_mutex_unlock(&s->zlock);
    if (sv[0] < 0)
        return ss_fail(err, SS_ERR_SKILL_CRASHED, "the zygote of %s keeps dying", name);

    json_error_t jerr;
    json_t *greeting = NULL;
    enum proto_status st = proto_recv(sv[0], &frame, proto_now_ms() + LIMIT_WORKER_START_MS);
    if (st == PROTO_OK && frame.type == PROTO_HELLO)
        greeting = json_loadb(frame.data, frame.len, 0, &jerr);
    json_t *pid = json_object_get(greeting, "pid");
    if (!json_is_integer(pid) || json_integer_value(pid) <= 1) {
        pthread_mutex_lock(&s->zlock);
        drop_zygote(s);
        pthread_mutex_unlock(&s->zlock);
        close(sv[0]);
        rc = ss_fail(err, SS_ERR_SKILL_CRASHED, "the zygote of %s could not start a worker: %s",
                     name, st == PROTO_OK ? "bad greeting" : proto_status_text(st));
        goto out;
    }
    struct worker *w = calloc(1, sizeof(*w));
    if (!w) {
        kill((pid_t)json_integer_value(pid), SIGKILL);
        close(sv[0]);
        rc = ss_fail(err, SS_ERR_NOMEM, "out of memory");
        goto out;
    }
    w->pid = (pid_t)json_integer_value(pid);
    w->fd = sv[0];
    *out = w;
out:
    json_decref(greeting);
    proto_frame_cleanup(&frame);
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

/* Record the result of starting a worker. Called with the lock held. */
static void
note_start(struct pool *pool, struct slot *s, enum ss_err rc, json_t *hello,
           const struct ss_error *err)
{
    if (rc == SS_ERR_OK)
        pool->stats.started++;
    if (hello) {
        json_decref(s->hello);
        s->hello = json_incref(hello);
    }
    if (rc == SS_ERR_SKILL_LOAD) {
        s->load_failed = 1;
        script_mtime(s->script, &s->load_mtime);
        snprintf(s->load_error, sizeof(s->load_error), "%s", err->msg);
    }
    if (rc == SS_ERR_SKILL_LOAD)
        snprintf(s->problem, sizeof(s->problem), "%s", err->msg);
    else if (rc == SS_ERR_OK && hello)
        s->problem[0] = '\0';
}

enum ss_err
pool_start(struct pool *pool, const struct skill *skill, json_t **hello, struct ss_error *err)
{
    struct worker *w = NULL;
    json_t *h = NULL;
    enum ss_err rc = SS_ERR_OK;

    if (hello)
        *hello = NULL;
    pthread_mutex_lock(&pool->lock);
    struct slot *s = get_slot(pool, skill);
    if (!s) {
        pthread_mutex_unlock(&pool->lock);
        return ss_fail(err, SS_ERR_NOMEM, "out of memory");
    }
    if (still_failing(s)) {
        rc = ss_fail(err, SS_ERR_SKILL_LOAD, "%s", s->load_error);
        if (hello)
            *hello = json_incref(s->hello);
        pthread_mutex_unlock(&pool->lock);
        return rc;
    }
    if (s->running > 0 && s->hello) {
        if (hello)
            *hello = json_incref(s->hello);
        pthread_mutex_unlock(&pool->lock);
        return SS_ERR_OK;
    }
    uint64_t gen = s->generation;
    s->running++;
    pthread_mutex_unlock(&pool->lock);

    rc = spawn_worker(pool, s, skill->name, skill->script, &w, &h, err);

    pthread_mutex_lock(&pool->lock);
    note_start(pool, s, rc, h, err);
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
        json_decref(h);
    return rc;
}

/* Resident memory of pid in bytes, or 0 when it cannot be read. */
static long
worker_rss(pid_t pid)
{
    char path[64], buf[128];
    long pages = 0, rss = 0;
    snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    if (sscanf(buf, "%ld %ld", &pages, &rss) != 2)
        return 0;
    return rss * sysconf(_SC_PAGESIZE);
}

/* Outcome of one exchange with a worker. */
enum outcome { DONE, DEAD, KILLED };

/* Send the request to w and wait for its answer (no lock held). */
static enum ss_err
exchange(struct pool *pool, struct slot *s, struct worker *w, const char *event, size_t len,
         const char *attributes, const char *request_id, int64_t arrival_ms,
         struct pool_answer *ans, enum outcome *outcome, struct ss_error *err)
{
    struct proto_frame frame = {0};
    char tail[64];
    int64_t hard = arrival_ms + pool->cfg.handler_timeout_ms;
    int64_t soft_ms = arrival_ms + pool->cfg.soft_timeout_ms - proto_now_ms();

    *outcome = DONE;
    /* The event text is valid JSON already: assemble the message around it. */
    if (soft_ms < 1)
        soft_ms = 1;
    snprintf(tail, sizeof(tail), ",\"soft_ms\":%lld}", (long long)soft_ms);
    const char *attrs = attributes ? attributes : "null";
    struct iovec parts[] = {
        {.iov_base = "{\"event\":", .iov_len = 9},
        {.iov_base = (void *)event, .iov_len = len},
        {.iov_base = ",\"attributes\":", .iov_len = 14},
        {.iov_base = (void *)attrs, .iov_len = strlen(attrs)},
        {.iov_base = tail, .iov_len = strlen(tail)},
    };
    int64_t sent_us = proto_now_us();
    enum proto_status st = proto_sendv(w->fd, PROTO_REQUEST, parts, 5);
    while (st == PROTO_OK) {
        st = proto_recv(w->fd, &frame, hard);
        if (st != PROTO_OK || frame.type == PROTO_ANSWER)
            break;
        if (frame.type != PROTO_LOG) {
            proto_frame_cleanup(&frame);
            *outcome = KILLED;
            return ss_fail(err, SS_ERR_WORKER, "the worker for %s sent an unexpected message",
                           s->name);
        }
        json_t *rec = json_loadb(frame.data, frame.len, 0, NULL);
        const char *text = json_string_value(json_object_get(rec, "text"));
        if (text) {
            if (pool->cfg.log)
                pool->cfg.log(pool->cfg.log_ctx, s->name, request_id, text);
            else
                log_skill(s->name, request_id, text);
        }
        json_decref(rec);
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
    json_error_t jerr;
    ans->answer = json_loadb(frame.data, frame.len, 0, &jerr);
    proto_frame_cleanup(&frame);
    if (!json_is_object(ans->answer)) {
        json_decref(ans->answer);
        ans->answer = NULL;
        *outcome = KILLED;
        return ss_fail(err, SS_ERR_WORKER, "the worker for %s sent a bad answer: %s", s->name,
                       jerr.text);
    }
    return SS_ERR_OK;
}

enum ss_err
pool_call(struct pool *pool, const struct skill *skill, const char *event, size_t len,
          const char *attributes, const char *request_id, int64_t arrival_ms,
          struct pool_answer *ans, struct ss_error *err)
{
    struct worker *w = NULL, *stop = NULL;
    json_t *hello = NULL;
    enum ss_err rc = SS_ERR_OK;
    enum outcome outcome = DONE;
    int64_t hard = arrival_ms + pool->cfg.handler_timeout_ms;

    ans->answer = NULL;
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
        rc = spawn_rc = spawn_worker(pool, s, skill->name, skill->script, &w, &hello, err);
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
               !(w->served % RSS_CHECK_EVERY == 0 && worker_rss(w->pid) > LIMIT_WORKER_RSS_BYTES);
    if (w && !keep)
        stop = w;

    pthread_mutex_lock(&pool->lock);
    if (spawned)
        note_start(pool, s, spawn_rc, hello, err);
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

    json_decref(hello);
    if (stop) {
        if (outcome == DEAD) {
            char how[128];
            worker_death(stop, how, sizeof(how));
            ss_fail(err, SS_ERR_SKILL_CRASHED, "the worker for %s %s while answering", skill->name,
                    how);
        } else {
            worker_stop(stop, 1);
        }
    }
    return rc;
}

void
pool_answer_cleanup(struct pool_answer *ans)
{
    if (ans) {
        json_decref(ans->answer);
        ans->answer = NULL;
    }
}

enum ss_err
pool_reload(struct pool *pool, const struct skill *skill, struct ss_error *err)
{
    struct worker *fresh = NULL, *old = NULL, *old_zygote = NULL;
    json_t *hello = NULL;

    /* A new process loads the changed skill: a zygote, or a worker. */
    enum ss_err rc =
        start_process(&pool->cfg, skill->name, skill->script, pool->zygotes, &fresh, &hello, err);

    pthread_mutex_lock(&pool->lock);
    struct slot *s = get_slot(pool, skill);
    if (!s || rc != SS_ERR_OK) {
        /* Keep what runs; only a skill with nothing running records the failure. */
        if (s && s->running == 0)
            note_start(pool, s, rc, hello, err);
        if (s && rc == SS_ERR_SKILL_LOAD)
            snprintf(s->problem, sizeof(s->problem), "%s", err->msg);
        pthread_mutex_unlock(&pool->lock);
        json_decref(hello);
        worker_stop(fresh, 1);
        return s ? rc : ss_fail(err, SS_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_unlock(&pool->lock);

    /* New workers fork from the new zygote from now on... */
    if (pool->zygotes) {
        pthread_mutex_lock(&s->zlock);
        old_zygote = s->zygote;
        s->zygote = fresh;
        fresh = NULL;
        pthread_mutex_unlock(&s->zlock);
    }

    /* ...and the old generation stops: idle workers now, busy ones when free. */
    pthread_mutex_lock(&pool->lock);
    note_start(pool, s, rc, hello, err);
    s->load_failed = 0;
    s->failures = 0;
    s->broken_until_ms = 0;
    s->generation++;
    old = s->idle;
    s->idle = NULL;
    for (struct worker *o = old; o; o = o->next)
        s->running--;
    if (fresh) {
        fresh->generation = s->generation;
        fresh->last_used_ms = proto_now_ms();
        s->idle = fresh;
        s->running++;
    }
    pthread_cond_broadcast(&s->freed);
    pthread_mutex_unlock(&pool->lock);

    json_decref(hello);
    while (old) {
        struct worker *next = old->next;
        worker_stop(old, 1);
        old = next;
    }
    worker_stop(old_zygote, 0);
    return SS_ERR_OK;
}

void
pool_maintain(struct pool *pool)
{
    struct worker *stop = NULL;
    int64_t now = proto_now_ms();

    pthread_mutex_lock(&pool->lock);
    for (struct slot *s = pool->slots; s; s = s->next) {
        struct worker **link = &s->idle;
        while (*link) {
            struct worker *w = *link;
            if (s->running > 1 && now - w->last_used_ms > LIMIT_WORKER_IDLE_MS) {
                *link = w->next;
                w->next = stop;
                stop = w;
                s->running--;
                pool->stats.recycled++;
            } else {
                link = &w->next;
            }
        }
    }
    pthread_mutex_unlock(&pool->lock);
    while (stop) {
        struct worker *next = stop->next;
        worker_stop(stop, 1);
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
