/*
 * pool.c - starting, calling, recycling and stopping skill workers (see pool.h).
 *
 * Every skill has a zygote: this binary exec'd with posix_spawn (vfork-like,
 * so cheap and safe from a threaded front) in worker mode, with /dev/null
 * for stdin, a pipe the front reads for stdout and stderr, a new session,
 * a fixed minimal environment, its socket as descriptor 3 and the read end
 * of the pool's lifeline pipe as descriptor 4, and no other descriptor. It
 * confines itself (sandbox.h) before Python starts. The process the front
 * started stays outside the skill's namespaces as its monitor; killing it
 * ends every process of the skill.
 *
 * Workers are forked by the zygote and are its children, not the front's.
 * The front knows each one by the pidfd the zygote hands over, checked
 * with the kernel (pidfd.h), never by a number the skill's side reports.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "launcher.h"
#include "log.h"
#include "message.h"
#include "pidfd.h"
#include "proto.h"
#include "sandbox.h"
#include "ss_limits.h"

/* Check a worker's memory after every this many requests (a /proc read). */
#define RSS_CHECK_EVERY 32

struct worker {
    pid_t pid;  /* the kernel's number for it, in the front's namespace */
    int pidfd;  /* a worker: the pidfd the zygote handed over; -1 for a zygote */
    bool child; /* a zygote's monitor: the front's own child, waited for */
    int fd;     /* the socket to it */
    unsigned served;
    uint64_t generation;
    int64_t last_used_ms;
    /* Idle checks (pool_maintain): CPU time and when it was read. */
    uint64_t idle_cpu_ms;
    int64_t idle_cpu_at_ms;
    struct worker *next; /* in the idle list */
};

/* A zygote's stdout and stderr (and its workers'), read by the output
 * thread: descriptors 1 and 2 of a skill are a pipe, not the terminal. */
struct output {
    int fd;
    char skill[LIMIT_SKILL_NAME_CHARS + 1];
    char line[1024];
    size_t len;
    int64_t window_ms; /* the second being counted */
    size_t window_bytes;
    bool dropping;
    struct output *next;
};

struct slot {
    char name[LIMIT_SKILL_NAME_CHARS + 1];
    char *script;        /* the handler's file, watched for changes */
    json_t *spec;        /* launcher_spec() of the skill */
    struct worker *idle; /* stack: the most recently used first */
    unsigned running;    /* processes alive or being started */
    unsigned busy;
    unsigned waiters;          /* threads waiting for a worker to be freed */
    uint64_t generation;       /* bumped by a reload; older workers stop when free */
    struct message_load hello; /* what the newest zygote said when it loaded */
    /* The skill did not load: calls fail at once until skill.py changes. */
    int load_failed;
    struct timespec load_mtime;
    char load_error[sizeof(((struct ss_error *)0)->msg)];
    /* The last failed (re)load, even while an older version serves; "" when
     * the newest version loaded. */
    char problem[sizeof(((struct ss_error *)0)->msg)];
    unsigned failures; /* crashes and hard timeouts in a row */
    /* Zygotes replaced by a reload, waiting for their busy workers. */
    struct worker *retired;
    int64_t retired_until_ms;
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
    pthread_mutex_t lock;
    struct slot *slots;
    struct pool_stats stats;
    /* Every zygote holds the read end; when the front dies, however it
     * dies, the write end closes and each monitor kills its skill. */
    int lifeline[2];
    /* The output thread: reads every zygote's stdout/stderr pipe. */
    int out_epoll;
    int out_stop[2];
    pthread_t out_thread;
    bool out_running;
    pthread_mutex_t out_lock;
    struct output *outputs;
};

static void *output_main(void *arg);

/* Move fd above the numbers a zygote's descriptors are given (0 to 4), so
 * that no dup2 in posix_spawn overwrites a source before it is copied.
 * Returns the new descriptor (close-on-exec), or -1; fd is closed. */
static int
high_fd(int fd)
{
    if (fd < 0 || fd > SANDBOX_LIFELINE_FD)
        return fd;
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, SANDBOX_LIFELINE_FD + 1);
    close(fd);
    return moved;
}

struct pool *
pool_create(const struct pool_config *cfg)
{
    struct pool *pool = calloc(1, sizeof(*pool));
    if (!pool)
        return NULL;
    pool->cfg = *cfg;
    pool->lifeline[0] = pool->lifeline[1] = -1;
    pool->out_stop[0] = pool->out_stop[1] = -1;
    pool->out_epoll = -1;
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
    if (pthread_mutex_init(&pool->out_lock, NULL) != 0) {
        pthread_mutex_destroy(&pool->lock);
        free(pool);
        return NULL;
    }
    if (pipe2(pool->lifeline, O_CLOEXEC) != 0 ||
        (pool->lifeline[0] = high_fd(pool->lifeline[0])) < 0 ||
        pipe2(pool->out_stop, O_CLOEXEC) != 0 ||
        (pool->out_epoll = epoll_create1(EPOLL_CLOEXEC)) < 0)
        goto fail;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (epoll_ctl(pool->out_epoll, EPOLL_CTL_ADD, pool->out_stop[0], &ev) != 0 ||
        pthread_create(&pool->out_thread, NULL, output_main, pool) != 0)
        goto fail;
    pool->out_running = true;
    return pool;
fail:
    pool_destroy(pool);
    return NULL;
}

/* Wait for our child pid to end, up to grace_ms, then kill it. Returns the
 * wait status. */
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
 * exit); otherwise close the socket and let it exit by itself. For a
 * zygote (the monitor, our child) returns its wait status; 0 for a worker,
 * whose parent is its zygote.
 */
static int
worker_stop(struct worker *w, int kill_now)
{
    int status = 0;
    if (!w)
        return 0;
    if (w->child) {
        if (kill_now && w->pid > 0)
            kill(w->pid, SIGKILL);
        if (w->fd >= 0)
            close(w->fd);
        if (w->pid > 0)
            status = reap(w->pid, kill_now ? 0 : 2000);
    } else {
        if (kill_now && w->pidfd >= 0)
            pidfd_signal(w->pidfd, SIGKILL);
        if (w->fd >= 0)
            close(w->fd);
        if (w->pidfd >= 0 && !pidfd_wait_exit(w->pidfd, kill_now ? 1000 : 2000)) {
            pidfd_signal(w->pidfd, SIGKILL);
            pidfd_wait_exit(w->pidfd, 1000);
        }
    }
    if (w->pidfd >= 0)
        close(w->pidfd);
    free(w);
    return status;
}

static void
slot_free(struct slot *s)
{
    while (s->idle) {
        struct worker *w = s->idle;
        s->idle = w->next;
        worker_stop(w, 0);
    }
    while (s->retired) {
        struct worker *z = s->retired;
        s->retired = z->next;
        worker_stop(z, 1);
    }
    worker_stop(s->zygote, 0);
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
    if (pool->out_running) {
        char one = 1;
        ssize_t unused = write(pool->out_stop[1], &one, 1);
        (void)unused;
        pthread_join(pool->out_thread, NULL);
    }
    while (pool->outputs) {
        struct output *o = pool->outputs;
        pool->outputs = o->next;
        close(o->fd);
        free(o);
    }
    for (int i = 0; i < 2; i++) {
        if (pool->lifeline[i] >= 0)
            close(pool->lifeline[i]);
        if (pool->out_stop[i] >= 0)
            close(pool->out_stop[i]);
    }
    if (pool->out_epoll >= 0)
        close(pool->out_epoll);
    pthread_mutex_destroy(&pool->out_lock);
    pthread_mutex_destroy(&pool->lock);
    free(pool);
}

static void
log_text(struct pool *pool, const char *skill, const char *request_id, const char *text)
{
    if (pool->cfg.log)
        pool->cfg.log(pool->cfg.log_ctx, skill, request_id, text);
    else
        log_skill(skill, request_id, text);
}

/* Log a LOG frame from a skill's process. Returns false when it is not one
 * (then err says why). */
static bool
log_record(struct pool *pool, const char *skill, const char *request_id,
           const struct proto_frame *frame, struct ss_error *err)
{
    struct message_text rec;
    if (message_decode_log(frame->data, frame->len, &rec, err) != SS_ERR_OK)
        return false;
    log_text(pool, skill, request_id, rec.text);
    message_text_cleanup(&rec);
    return true;
}

/* Log what a skill wrote to its stdout or stderr, line by line, at most
 * LIMIT_SKILL_RAW_OUTPUT_BYTES_PER_S a second. Called by the output thread. */
static void
output_line(struct pool *pool, struct output *o, const char *text, size_t len)
{
    int64_t now = proto_now_ms();
    char buf[sizeof(o->line) + 32];

    if (now - o->window_ms >= 1000) {
        o->window_ms = now;
        o->window_bytes = 0;
        o->dropping = false;
    }
    o->window_bytes += len + 1;
    if (o->window_bytes > LIMIT_SKILL_RAW_OUTPUT_BYTES_PER_S) {
        if (!o->dropping)
            log_msg(LOG_WARN,
                    "skill %s writes too much to its stdout/stderr; the rest of this "
                    "second's output is dropped",
                    o->skill);
        o->dropping = true;
        return;
    }
    snprintf(buf, sizeof(buf), "(output) %.*s", (int)len, text);
    log_text(pool, o->skill, NULL, buf);
}

/* Read what is there from o's pipe. Returns false at its end. */
static bool
output_read(struct pool *pool, struct output *o)
{
    for (;;) {
        ssize_t n = read(o->fd, o->line + o->len, sizeof(o->line) - o->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return true;
        if (n <= 0) {
            if (o->len)
                output_line(pool, o, o->line, o->len);
            o->len = 0;
            return false;
        }
        o->len += (size_t)n;
        char *start = o->line, *nl;
        while ((nl = memchr(start, '\n', o->len - (size_t)(start - o->line)))) {
            output_line(pool, o, start, (size_t)(nl - start));
            start = nl + 1;
        }
        o->len -= (size_t)(start - o->line);
        memmove(o->line, start, o->len);
        if (o->len == sizeof(o->line)) {
            output_line(pool, o, o->line, o->len);
            o->len = 0;
        }
    }
}

static void *
output_main(void *arg)
{
    struct pool *pool = arg;
    for (;;) {
        struct epoll_event ev[16];
        int n = epoll_wait(pool->out_epoll, ev, 16, -1);
        if (n < 0 && errno != EINTR)
            return NULL;
        for (int i = 0; i < n; i++) {
            struct output *o = ev[i].data.ptr;
            if (!o)
                return NULL; /* pool_destroy */
            if (output_read(pool, o))
                continue;
            epoll_ctl(pool->out_epoll, EPOLL_CTL_DEL, o->fd, NULL);
            pthread_mutex_lock(&pool->out_lock);
            for (struct output **link = &pool->outputs; *link; link = &(*link)->next) {
                if (*link == o) {
                    *link = o->next;
                    break;
                }
            }
            pthread_mutex_unlock(&pool->out_lock);
            close(o->fd);
            free(o);
        }
    }
}

/* Hand the read end of a skill's output pipe to the output thread (which
 * owns it from then on). */
static void
output_add(struct pool *pool, const char *skill, int fd)
{
    struct output *o = calloc(1, sizeof(*o));
    if (!o) {
        close(fd);
        return;
    }
    o->fd = fd;
    snprintf(o->skill, sizeof(o->skill), "%s", skill);
    pthread_mutex_lock(&pool->out_lock);
    o->next = pool->outputs;
    pool->outputs = o;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = o};
    if (epoll_ctl(pool->out_epoll, EPOLL_CTL_ADD, fd, &ev) != 0) {
        pool->outputs = o->next;
        close(fd);
        free(o);
    }
    pthread_mutex_unlock(&pool->out_lock);
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

/*
 * Start the zygote of the skill spec describes (launcher_spec()) by exec'ing
 * this binary, and wait for its HELLO. Runs without the pool's lock. On
 * success *out is the new zygote and *hello its load report; on
 * SS_ERR_SKILL_LOAD *hello holds the failed report; otherwise *hello is
 * empty. The caller cleans *hello up in every case.
 */
static enum ss_err
start_zygote(struct pool *pool, const json_t *spec, struct worker **out, struct message_load *hello,
             struct ss_error *err)
{
    const char *name = json_string_value(json_object_get(spec, "name"));
    const struct pool_config *cfg = &pool->cfg;
    int sv[2] = {-1, -1}, outp[2] = {-1, -1};
    enum ss_err rc = SS_ERR_OK;
    struct proto_frame frame = {0};
    struct ss_error bad;
    struct worker *w = calloc(1, sizeof(*w));

    *out = NULL;
    memset(hello, 0, sizeof(*hello));
    ss_error_clear(&bad);
    if (!w)
        return ss_fail(err, SS_ERR_NOMEM, "out of memory");
    w->fd = -1;
    w->pidfd = -1;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 ||
        pipe2(outp, O_CLOEXEC) != 0 || (sv[1] = high_fd(sv[1])) < 0 ||
        (outp[1] = high_fd(outp[1])) < 0) {
        rc = ss_fail(err, SS_ERR_WORKER, "cannot make the zygote's channels: %s", strerror(errno));
        goto out;
    }
    struct launcher_fds fds = {.control = sv[1], .output = outp[1], .lifeline = pool->lifeline[0]};
    struct launcher_config sc = {.exe = cfg->exe,
                                 .skillkit_dir = cfg->skillkit_dir,
                                 .user = cfg->user,
                                 .handler_timeout_ms = cfg->handler_timeout_ms,
                                 .dev = cfg->dev};
    if (cfg->launcher) {
        /* A front that gave up root asks the launcher, and knows the zygote
         * by the pidfd it hands back. */
        w->pidfd = launcher_request(cfg->launcher_fd, spec, &fds, err);
        if (w->pidfd < 0 || (w->pid = pidfd_verify(w->pidfd)) <= 0) {
            if (w->pidfd >= 0)
                rc = ss_fail(err, SS_ERR_SKILL_CRASHED, "the worker for %s did not start", name);
            else
                rc = SS_ERR_SKILL_CRASHED;
            goto out;
        }
    } else {
        w->child = true;
        if ((rc = launcher_zygote(&sc, spec, &fds, &w->pid, err)) != SS_ERR_OK)
            goto out;
    }
    close(sv[1]);
    sv[1] = -1;
    close(outp[1]);
    outp[1] = -1;
    if (fcntl(outp[0], F_SETFL, O_NONBLOCK) == 0)
        output_add(pool, name, outp[0]);
    else
        close(outp[0]);
    outp[0] = -1;
    w->fd = sv[0];
    sv[0] = -1;

    /* What the skill prints while it loads comes first, as LOG frames. */
    int64_t deadline = proto_now_ms() + LIMIT_WORKER_START_MS;
    size_t logged = 0;
    enum proto_status st;
    bool readable = true;
    while ((st = proto_recv(w->fd, &frame, deadline)) == PROTO_OK && frame.type == PROTO_LOG) {
        logged += frame.len;
        if (logged <= LIMIT_SKILL_LOG_BYTES_PER_REQUEST)
            readable = log_record(pool, name, NULL, &frame, &bad);
        proto_frame_cleanup(&frame);
        if (!readable)
            break;
    }
    if (!readable) {
        rc = ss_fail(err, SS_ERR_WORKER, "the worker for %s sent a bad message: %s", name, bad.msg);
        goto out;
    }
    if (st != PROTO_OK || frame.type != PROTO_HELLO) {
        char how[128] = "ended";
        bool child = w->child;
        int status = worker_stop(w, 1);
        w = NULL;
        if (child)
            proto_exit_text(status, how, sizeof(how));
        rc = ss_fail(err, SS_ERR_SKILL_CRASHED, "the worker for %s did not start: %s (it %s)", name,
                     st == PROTO_OK ? "unexpected first message" : proto_status_text(st), how);
        goto out;
    }
    if (message_decode_load(frame.data, frame.len, hello, &bad) != SS_ERR_OK) {
        rc = ss_fail(err, bad.code, "the worker for %s sent a bad load report: %s", name, bad.msg);
        goto out;
    }
    if (!hello->ok) {
        char what[400];
        message_describe_error(&hello->error, NULL, what, sizeof(what));
        rc = ss_fail(err, SS_ERR_SKILL_LOAD, "%s", what);
        goto out;
    }
out:
    proto_frame_cleanup(&frame);
    for (int i = 0; i < 2; i++) {
        if (sv[i] >= 0)
            close(sv[i]);
        if (outp[i] >= 0)
            close(outp[i]);
    }
    if (rc == SS_ERR_OK) {
        *out = w;
    } else {
        worker_stop(w, rc != SS_ERR_SKILL_LOAD);
        if (rc != SS_ERR_SKILL_LOAD)
            message_load_cleanup(hello);
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

/* Ask s's zygote (s->zlock held) for a worker talking on a new socket.
 * Returns the front's end of the socket and sets *pidfd, or -1. */
static int
fork_from_zygote(struct slot *s, int *pidfd)
{
    int sv[2];
    uint8_t type = 0;

    *pidfd = -1;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return -1;
    enum proto_status st = proto_send_fd(s->zygote->fd, PROTO_FORK, sv[1]);
    close(sv[1]);
    if (st == PROTO_OK)
        st = proto_recv_fd(s->zygote->fd, &type, pidfd, proto_now_ms() + LIMIT_WORKER_START_MS);
    if (st != PROTO_OK || type != PROTO_FORKED || *pidfd < 0) {
        if (*pidfd >= 0)
            close(*pidfd);
        *pidfd = -1;
        close(sv[0]);
        return -1;
    }
    return sv[0];
}

/*
 * A new worker for slot s, forked from the skill's zygote, which is
 * started first when there is none (then *hello is the zygote's load
 * report; otherwise it is left empty). The caller cleans *hello up.
 */
static enum ss_err
spawn_worker(struct pool *pool, struct slot *s, const char *name, struct worker **out,
             struct message_load *hello, struct ss_error *err)
{
    int fd = -1, pidfd = -1;
    struct proto_frame frame = {0};
    struct ss_error bad;
    enum ss_err rc = SS_ERR_OK;

    *out = NULL;
    memset(hello, 0, sizeof(*hello));
    ss_error_clear(&bad);
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
        fd = fork_from_zygote(s, &pidfd);
        if (fd < 0)
            drop_zygote(s); /* it died or misbehaved: start another one, once */
    }
    pthread_mutex_unlock(&s->zlock);
    if (fd < 0)
        return ss_fail(err, SS_ERR_SKILL_CRASHED, "the zygote of %s keeps dying", name);

    /* The kernel says which process the pidfd names; the greeting only says
     * that the worker is ready. */
    pid_t pid = pidfd_verify(pidfd);
    enum proto_status st = PROTO_ERROR;
    if (pid > 0)
        st = proto_recv(fd, &frame, proto_now_ms() + LIMIT_WORKER_START_MS);
    bool ready = pid > 0 && st == PROTO_OK && frame.type == PROTO_HELLO &&
                 message_decode_ready(frame.data, frame.len, &bad) == SS_ERR_OK;
    if (!ready) {
        if (pidfd >= 0)
            pidfd_signal(pidfd, SIGKILL);
        close(fd);
        close(pidfd);
        rc = ss_fail(err, SS_ERR_SKILL_CRASHED, "the zygote of %s could not start a worker: %s",
                     name,
                     pid <= 0                    ? "it did not hand over a live process"
                     : st != PROTO_OK            ? proto_status_text(st)
                     : frame.type != PROTO_HELLO ? "unexpected first message"
                                                 : bad.msg);
        goto out;
    }
    struct worker *w = calloc(1, sizeof(*w));
    if (!w) {
        pidfd_signal(pidfd, SIGKILL);
        close(fd);
        close(pidfd);
        rc = ss_fail(err, SS_ERR_NOMEM, "out of memory");
        goto out;
    }
    w->pid = pid;
    w->pidfd = pidfd;
    w->fd = fd;
    *out = w;
out:
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

/* Record the result of starting a worker; hello is the load report of a
 * zygote that started (empty when none did). Called with the lock held. */
static void
note_start(struct pool *pool, struct slot *s, enum ss_err rc, const struct message_load *hello,
           const struct ss_error *err)
{
    bool reported = hello->root != NULL;
    if (rc == SS_ERR_OK)
        pool->stats.started++;
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
    struct worker *w = NULL;
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
            !log_record(pool, s->name, request_id, &frame, &bad)) {
            proto_frame_cleanup(&frame);
            *outcome = KILLED;
            return ss_fail(err, SS_ERR_WORKER, "the worker for %s sent a bad message: %s", s->name,
                           bad.msg);
        }
        if (logged > LIMIT_SKILL_LOG_BYTES_PER_REQUEST &&
            logged - frame.len <= LIMIT_SKILL_LOG_BYTES_PER_REQUEST)
            log_text(pool, s->name, request_id,
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
    struct worker *w = NULL, *stop = NULL;
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
               !(w->served % RSS_CHECK_EVERY == 0 && worker_rss(w->pid) > LIMIT_WORKER_RSS_BYTES);
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
    worker_stop(stop, 1);
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
    struct worker *fresh = NULL, *old = NULL, *old_zygote = NULL;
    struct message_load hello;

    /* A new zygote loads the changed skill. */
    memset(&hello, 0, sizeof(hello));
    json_t *spec = launcher_spec(skill);
    enum ss_err rc = spec ? start_zygote(pool, spec, &fresh, &hello, err)
                          : ss_fail(err, SS_ERR_NOMEM, "out of memory");
    json_decref(spec);

    pthread_mutex_lock(&pool->lock);
    struct slot *s = get_slot(pool, skill);
    if (!s || rc != SS_ERR_OK) {
        /* Keep what runs; only a skill with nothing running records the failure. */
        if (s && s->running == 0)
            note_start(pool, s, rc, &hello, err);
        if (s && rc == SS_ERR_SKILL_LOAD)
            snprintf(s->problem, sizeof(s->problem), "%s", err->msg);
        pthread_mutex_unlock(&pool->lock);
        message_load_cleanup(&hello);
        worker_stop(fresh, 1);
        return s ? rc : ss_fail(err, SS_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_unlock(&pool->lock);

    /* New workers fork from the new zygote from now on... */
    pthread_mutex_lock(&s->zlock);
    old_zygote = s->zygote;
    s->zygote = fresh;
    pthread_mutex_unlock(&s->zlock);

    /* ...and the old generation stops: idle workers now, busy ones when
     * free. The old zygote, its socket closed, forks no more and ends when
     * its last worker has; pool_maintain() waits for it. */
    if (old_zygote) {
        close(old_zygote->fd);
        old_zygote->fd = -1;
    }
    pthread_mutex_lock(&pool->lock);
    note_start(pool, s, rc, &hello, err);
    s->load_failed = 0;
    s->failures = 0;
    s->broken_until_ms = 0;
    s->generation++;
    old = s->idle;
    s->idle = NULL;
    for (struct worker *o = old; o; o = o->next)
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
        struct worker *next = old->next;
        worker_stop(old, 1);
        old = next;
    }
    return SS_ERR_OK;
}

/* CPU time (user + system, in ms) and thread count of pid, from
 * /proc/PID/stat. Returns false when it cannot be read. */
static bool
worker_cpu(pid_t pid, uint64_t *cpu_ms, long *threads)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    /* The command name may hold spaces and parentheses: fields count from
     * the last ')'. utime and stime are fields 14 and 15, num_threads 20. */
    char *p = strrchr(buf, ')');
    unsigned long long utime, stime;
    if (!p ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %ld",
               &utime, &stime, threads) != 3)
        return false;
    long hz = sysconf(_SC_CLK_TCK);
    *cpu_ms = (utime + stime) * 1000ULL / (unsigned long long)(hz > 0 ? hz : 100);
    return true;
}

/* Whether an idle worker is doing something behind the server's back: a
 * thread left running after its request, or CPU burnt while idle. */
static bool
idle_worker_busy(struct worker *w, int64_t now, const char *skill)
{
    uint64_t cpu;
    long threads;
    if (!worker_cpu(w->pid, &cpu, &threads))
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
    struct worker *stop = NULL;
    int64_t now = proto_now_ms();

    pthread_mutex_lock(&pool->lock);
    for (struct slot *s = pool->slots; s; s = s->next) {
        struct worker **link = &s->idle;
        while (*link) {
            struct worker *w = *link;
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
        for (struct worker **z = &s->retired; *z;) {
            struct worker *old = *z;
            int status;
            bool ended =
                old->pid <= 0 || (old->child ? waitpid(old->pid, &status, WNOHANG) == old->pid
                                             : pidfd_wait_exit(old->pidfd, 0));
            if (ended || now - old->last_used_ms > LIMIT_ZYGOTE_RETIRE_MS) {
                *z = old->next;
                worker_stop(old, !ended);
            } else {
                z = &old->next;
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
