/*
 * process.c - a skill's zygote and workers as processes (see process.h).
 *
 * Every wait has a deadline: a zygote gets LIMIT_WORKER_START_MS to load
 * its skill and to fork a worker, and a process asked to stop is killed
 * when it has not ended after a short grace time.
 */
#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launcher.h"
#include "pidfd.h"
#include "proto.h"
#include "sandbox.h"
#include "ss_limits.h"

int
process_high_fd(int fd)
{
    if (fd < 0 || fd > SANDBOX_LIFELINE_FD)
        return fd;
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, SANDBOX_LIFELINE_FD + 1);
    close(fd);
    return moved;
}

/* Wait for our child pid to end, up to grace_ms, then kill it. Returns the
 * wait status. The wait is on a pidfd, which wakes the moment the child
 * ends; polling (1 ms steps, which SIGCHLD does not cut short) is left for
 * a kernel without pidfd_open. */
static int
reap(pid_t pid, int grace_ms)
{
    int status = 0;
    int64_t until = proto_now_ms() + grace_ms;
    int pidfd = grace_ms > 0 ? pidfd_of(pid) : -1;

    if (pidfd >= 0) {
        if (!pidfd_wait_exit(pidfd, grace_ms))
            kill(pid, SIGKILL);
        close(pidfd);
        grace_ms = 0;
    }
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

int
process_stop(struct process *w, int kill_now)
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
            status = reap(w->pid, kill_now ? 0 : LIMIT_WORKER_FINISH_MS);
    } else {
        if (kill_now && w->pidfd >= 0)
            pidfd_signal(w->pidfd, SIGKILL);
        if (w->fd >= 0)
            close(w->fd);
        if (w->pidfd >= 0 && !pidfd_wait_exit(w->pidfd, kill_now ? 1000 : LIMIT_WORKER_FINISH_MS)) {
            pidfd_signal(w->pidfd, SIGKILL);
            pidfd_wait_exit(w->pidfd, 1000);
        }
    }
    if (w->pidfd >= 0)
        close(w->pidfd);
    if (w->zygote)
        process_stop(w->zygote, kill_now);
    buf_reset(&w->in);
    buf_reset(&w->out);
    free(w);
    return status;
}

/* Log the LOG frames in data[0..len) (with what w->in holds before them) as
 * lines of skill, up to LIMIT_SKILL_LOG_BYTES_PER_REQUEST in all (*logged);
 * anything else is dropped. */
static void
log_finishing(struct process *w, const char *data, size_t len, const struct output_sink *sink,
              const char *skill, size_t *logged)
{
    if (!buf_add(&w->in, data, len)) {
        buf_reset(&w->in);
        return;
    }
    size_t at = 0;
    for (;;) {
        struct proto_frame frame = {0};
        size_t used = 0;
        enum proto_status st = proto_parse(w->in.p + at, w->in.len - at, &frame, &used);
        if (st == PROTO_MORE)
            break;
        if (st != PROTO_OK) {
            buf_reset(&w->in);
            return;
        }
        at += used;
        struct ss_error bad;
        if (frame.type == PROTO_LOG && *logged + frame.len <= LIMIT_SKILL_LOG_BYTES_PER_REQUEST) {
            *logged += frame.len;
            /* A LOG that message.h refuses ends the logging: the rest is
             * dropped. */
            if (!output_record(sink, skill, NULL, &frame, &bad))
                *logged = LIMIT_SKILL_LOG_BYTES_PER_REQUEST;
        }
        proto_frame_cleanup(&frame);
    }
    buf_drop_front(&w->in, at);
}

/* Read what w's socket holds now into the log; false once it has ended (its
 * sending side shut, or an error). With all, until nothing is left: for a
 * process that has ended, whose last words may all be waiting at once,
 * though never past until (another process of the skill may hold the
 * socket and go on writing); otherwise one read. */
static bool
read_finishing(struct process *w, const struct output_sink *sink, const char *skill, size_t *logged,
               bool all, int64_t until)
{
    for (;;) {
        char data[4096];
        ssize_t got = recv(w->fd, data, sizeof(data), MSG_DONTWAIT);
        if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            return false;
        if (got > 0)
            log_finishing(w, data, (size_t)got, sink, skill, logged);
        else if (errno != EINTR)
            return true;
        if (!all || proto_now_ms() >= until)
            return true;
    }
}

/* Wait until w has finished on its own: it shut its socket's sending side
 * (python.c, after the skill's threads, atexit functions and output), or
 * it ended, or timeout_ms passed. What the skill prints meanwhile is
 * logged, also when it ended before this looked: the socket is read
 * before the pidfd is believed. */
static bool
wait_finished(struct process *w, const struct output_sink *sink, const char *skill, int timeout_ms)
{
    int64_t until = proto_now_ms() + timeout_ms;
    size_t logged = 0;
    for (;;) {
        struct pollfd fds[2] = {{.fd = w->fd, .events = POLLIN},
                                {.fd = w->pidfd, .events = POLLIN}};
        int64_t left = until - proto_now_ms();
        if (left <= 0)
            return false;
        int n = poll(fds, 2, (int)left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return false;
        bool ended = fds[1].revents != 0;
        if ((fds[0].revents || ended) && !read_finishing(w, sink, skill, &logged, ended, until))
            return true;
        if (ended)
            return true;
    }
}

void
process_finish(struct process *w, const struct output_sink *sink, const char *skill)
{
    if (!w)
        return;
    if (w->child) {
        process_stop(w, 0);
        return;
    }
    if (w->fd < 0 || w->pidfd < 0 || shutdown(w->fd, SHUT_WR) != 0) {
        process_stop(w, 0);
        return;
    }
    if (!wait_finished(w, sink, skill, LIMIT_WORKER_FINISH_MS)) {
        process_stop(w, 1);
        return;
    }
    /* The rest of its end is the kernel's: unmapping its memory, then its
     * namespace's init and the monitor noticing, one after the other (about
     * 2 ms). Nothing waits for that. The monitor, killed, takes every
     * process of the skill with it, and is not waited for either: the
     * command is ending, and what started it reaps what is left. */
    pidfd_signal(w->pidfd, SIGKILL);
    close(w->pidfd);
    w->pidfd = -1;
    if (w->zygote && w->zygote->child && w->zygote->pid > 0) {
        kill(w->zygote->pid, SIGKILL);
        w->zygote->pid = 0;
    }
    /* With neither left to wait on, process_stop() only closes and frees. */
    process_stop(w, 1);
}

enum ss_err
process_start_zygote(const struct launcher_config *launch, int launcher_fd, int lifeline,
                     struct output_reader *output, const struct output_sink *sink,
                     const json_t *spec, struct process **out, struct message_load *hello,
                     struct ss_error *err)
{
    const char *name = json_string_value(json_object_get(spec, "name"));
    int sv[2] = {-1, -1}, outp[2] = {-1, -1};
    enum ss_err rc = SS_ERR_OK;
    struct proto_frame frame = {0};
    struct ss_error bad;
    struct process *w = calloc(1, sizeof(*w));

    *out = NULL;
    memset(hello, 0, sizeof(*hello));
    ss_error_clear(&bad);
    if (!w)
        return ss_fail(err, SS_ERR_NOMEM, "out of memory");
    w->fd = -1;
    w->pidfd = -1;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 ||
        pipe2(outp, O_CLOEXEC) != 0 || (sv[1] = process_high_fd(sv[1])) < 0 ||
        (outp[1] = process_high_fd(outp[1])) < 0) {
        rc = ss_fail(err, SS_ERR_WORKER, "cannot make the zygote's channels: %s", strerror(errno));
        goto out;
    }
    struct launcher_fds fds = {.control = sv[1], .output = outp[1], .lifeline = lifeline};
    if (launcher_fd >= 0) {
        /* A front that gave up root asks the launcher, and knows the zygote
         * by the pidfd it hands back. */
        w->pidfd = launcher_request(launcher_fd, spec, &fds, err);
        if (w->pidfd < 0 || (w->pid = pidfd_verify(w->pidfd)) <= 0) {
            if (w->pidfd >= 0)
                rc = ss_fail(err, SS_ERR_SKILL_CRASHED, "the worker for %s did not start", name);
            else
                rc = SS_ERR_SKILL_CRASHED;
            goto out;
        }
    } else {
        w->child = true;
        if ((rc = launcher_zygote(launch, spec, &fds, &w->pid, err)) != SS_ERR_OK)
            goto out;
    }
    if (launch->spawned)
        launch->spawned();
    close(sv[1]);
    sv[1] = -1;
    close(outp[1]);
    outp[1] = -1;
    if (fcntl(outp[0], F_SETFL, O_NONBLOCK) == 0)
        output_add(output, name, outp[0]);
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
            readable = output_record(sink, name, NULL, &frame, &bad);
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
        int status = 0;
        /* A closed socket: the zygote has ended, and its monitor ends the
         * same way a moment later (after the namespace's init), which says
         * how. Otherwise, or if the monitor takes longer, it is killed. */
        bool ended = child && st == PROTO_EOF && w->pid > 0;
        if (ended) {
            status = reap(w->pid, LIMIT_ZYGOTE_END_MS);
            w->pid = -1;
        }
        int stopped = process_stop(w, 1);
        w = NULL;
        if (!ended)
            status = stopped;
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
        process_stop(w, rc != SS_ERR_SKILL_LOAD);
        if (rc != SS_ERR_SKILL_LOAD)
            message_load_cleanup(hello);
    }
    return rc;
}

int
process_fork(const struct process *zygote, bool in_place, int *pidfd)
{
    int sv[2];
    uint8_t type = 0;

    *pidfd = -1;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return -1;
    enum proto_status st = proto_send_fd(zygote->fd, in_place ? PROTO_BECOME : PROTO_FORK, sv[1]);
    close(sv[1]);
    if (st == PROTO_OK)
        st = proto_recv_fd(zygote->fd, &type, pidfd, proto_now_ms() + LIMIT_WORKER_START_MS);
    if (st != PROTO_OK || type != PROTO_FORKED || *pidfd < 0) {
        if (*pidfd >= 0)
            close(*pidfd);
        *pidfd = -1;
        close(sv[0]);
        return -1;
    }
    return sv[0];
}

enum ss_err
process_adopt(const char *name, int fd, int pidfd, struct process **out, struct ss_error *err)
{
    struct proto_frame frame = {0};
    struct ss_error bad;
    enum ss_err rc = SS_ERR_OK;

    *out = NULL;
    ss_error_clear(&bad);
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
    struct process *w = calloc(1, sizeof(*w));
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

bool
process_ended(struct process *p)
{
    int status;
    if (p->pid <= 0)
        return true;
    return p->child ? waitpid(p->pid, &status, WNOHANG) == p->pid : pidfd_wait_exit(p->pidfd, 0);
}

long
process_rss(pid_t pid)
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

bool
process_cpu(pid_t pid, uint64_t *cpu_ms, long *threads)
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
