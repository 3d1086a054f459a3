/* test_process.c - a command's last worker, ended by process_finish(): what
 * it prints on its way out is logged, however the ending and the reading
 * fall in time, and a worker that does not finish cannot hold the caller. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "message.h"
#include "pidfd.h"
#include "process.h"
#include "proto.h"
#include "ss_limits.h"
#include "tap.h"

#define MAX_LINES 4096

struct lines {
    char *text[MAX_LINES];
    int count;
    size_t bytes;
};

static void
collect(void *ctx, const char *skill, const char *request_id, const char *text)
{
    struct lines *l = ctx;
    (void)request_id;
    if (strcmp(skill, "s") != 0 || l->count >= MAX_LINES)
        return;
    l->text[l->count++] = strdup(text);
    l->bytes += strlen(text);
}

static void
lines_clear(struct lines *l)
{
    for (int i = 0; i < l->count; i++)
        free(l->text[i]);
    memset(l, 0, sizeof(*l));
}

/* One LOG frame of text (plain letters, digits and spaces) on fd. */
static bool
send_log(int fd, const char *text)
{
    char quoted[2048];
    int n = snprintf(quoted, sizeof(quoted), "\"%s\"", text);
    if (n < 0 || (size_t)n >= sizeof(quoted))
        return false;
    struct message_parts parts;
    message_log_parts(&parts, quoted, (size_t)n);
    return proto_sendv(fd, PROTO_LOG, parts.iov, parts.count) == PROTO_OK;
}

/* How the child plays the worker's end. */
enum ending {
    EXITS_AT_ONCE,    /* prints `count` lines and exits before anyone looks */
    PRINTS_WHEN_TOLD, /* waits for the front to shut its side, prints, shuts its own, lives on */
    NEVER_FINISHES,   /* prints a line every millisecond, for ever */
};

static void
play(int fd, enum ending how, int count, size_t width)
{
    char line[1100];
    if (how == PRINTS_WHEN_TOLD) {
        char c;
        while (recv(fd, &c, 1, 0) > 0)
            ;
    }
    for (int i = 0; how == NEVER_FINISHES || i < count; i++) {
        int n = snprintf(line, sizeof(line), "line %d ", i);
        while ((size_t)n < width && (size_t)n < sizeof(line) - 1)
            line[n++] = 'x';
        line[n] = '\0';
        if (!send_log(fd, line))
            _exit(3);
        if (how == NEVER_FINISHES)
            usleep(1000);
    }
    if (how == PRINTS_WHEN_TOLD) {
        shutdown(fd, SHUT_WR);
        pause();
    }
    _exit(0);
}

/*
 * Start a child that plays how, and hand it to process_finish() as a
 * worker. keep_copy: the front keeps another copy of the child's socket
 * open meanwhile, as the skill's namespace init does, so its end never
 * reads as closed. Returns how the child ended (waitpid's status).
 */
static int
finish_one(enum ending how, int count, size_t width, bool keep_copy, struct lines *got)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        play(sv[1], how, count, width);
    }
    if (!keep_copy) {
        close(sv[1]);
        sv[1] = -1;
    }
    struct process *w = calloc(1, sizeof(*w));
    if (pid < 0 || !w) {
        free(w);
        return -1;
    }
    w->pid = pid;
    w->fd = sv[0];
    w->pidfd = pidfd_of(pid);
    /* As the pool has it (adopt(), pool.c). */
    buf_init(&w->in, LIMIT_FRAME_BYTES + 64 + 65536);
    if (how == EXITS_AT_ONCE)
        /* The worker has printed and ended before the front looks. */
        pidfd_wait_exit(w->pidfd, 10000);
    struct output_sink sink = {.log = collect, .ctx = got};
    process_finish(w, &sink, "s");
    if (sv[1] >= 0)
        close(sv[1]);
    int status = -1;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return status;
}

static void
expect_lines(const struct lines *got, int count, const char *what)
{
    is_int(got->count, count, "%s: every line logged", what);
    char want[32];
    for (int i = 0; i < got->count && i < count; i++) {
        snprintf(want, sizeof(want), "line %d ", i);
        if (strstr(got->text[i], want) == NULL) {
            tap_fail("%s: line %d is '%s'", what, i, got->text[i]);
            return;
        }
    }
}

int
main(void)
{
    struct lines got = {0};
    signal(SIGPIPE, SIG_IGN);

    /* Its last words are all waiting when the front first looks, and its
     * pidfd already says it ended: they are read before that is believed. */
    int st = finish_one(EXITS_AT_ONCE, 3, 0, true, &got);
    ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "ended by itself");
    expect_lines(&got, 3, "ended, socket still held elsewhere");
    lines_clear(&got);

    st = finish_one(EXITS_AT_ONCE, 3, 0, false, &got);
    expect_lines(&got, 3, "ended, socket closed with it");
    lines_clear(&got);

    /* More than one read's worth, all there at once. */
    st = finish_one(EXITS_AT_ONCE, 40, 1000, true, &got);
    expect_lines(&got, 40, "40 KB left behind");
    lines_clear(&got);

    /* It prints once the front has shut its side, says it is done by
     * shutting its own, and would live on: it is killed. */
    st = finish_one(PRINTS_WHEN_TOLD, 2, 0, true, &got);
    expect_lines(&got, 2, "printed after the front shut its side");
    ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "killed once it said it was done");
    lines_clear(&got);

    /* It never finishes: it is stopped at LIMIT_WORKER_FINISH_MS, and
     * what it printed meanwhile is logged within the per-request limit. */
    int64_t t0 = proto_now_ms();
    st = finish_one(NEVER_FINISHES, 0, 100, true, &got);
    int64_t took = proto_now_ms() - t0;
    ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "one that never finishes is killed");
    ok(took >= LIMIT_WORKER_FINISH_MS - 50 && took < LIMIT_WORKER_FINISH_MS + 5000,
       "after its time to finish (%lld ms)", (long long)took);
    ok(got.count > 0, "what it printed meanwhile is logged (%d lines)", got.count);
    ok(got.bytes <= LIMIT_SKILL_LOG_BYTES_PER_REQUEST, "within the limit (%zu bytes)", got.bytes);
    lines_clear(&got);
    return tap_done();
}
