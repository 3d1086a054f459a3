/*
 * output.c - a skill's prints into the log (see output.h).
 *
 * The reader thread waits on one epoll set holding every pipe, plus the
 * read end of a stop pipe whose event (data.ptr NULL) ends it. A pipe is
 * read until it would block; complete lines are logged, a line longer than
 * the buffer is logged in pieces, and at the pipe's end (every process of
 * the skill has closed it) the rest is logged and the pipe forgotten.
 */
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "log.h"
#include "message.h"
#include "ss_limits.h"

/* The most output_reader_destroy() logs from one pipe: what a full pipe
 * holds (Linux's default capacity). */
#define OUTPUT_DRAIN_BYTES (64 * 1024)

/* One skill's pipe. */
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

struct output_reader {
    struct output_sink sink;
    int epoll;
    int stop[2];
    pthread_t thread;
    bool running;
    pthread_mutex_t lock; /* guards outputs */
    struct output *outputs;
};

void
output_text(const struct output_sink *sink, const char *skill, const char *request_id,
            const char *text)
{
    if (sink->log)
        sink->log(sink->ctx, skill, request_id, text);
    else
        log_skill(LOG_INFO, skill, request_id, text);
}

bool
output_record(const struct output_sink *sink, const char *skill, const char *request_id,
              const struct proto_frame *frame, struct ss_error *err)
{
    struct message_text rec;
    if (message_decode_log(frame->data, frame->len, &rec, err) != SS_ERR_OK)
        return false;
    output_text(sink, skill, request_id, rec.text);
    message_text_cleanup(&rec);
    return true;
}

/* Log what a skill wrote to its stdout or stderr, line by line, at most
 * LIMIT_SKILL_RAW_OUTPUT_BYTES_PER_S a second. */
static void
output_line(struct output_reader *r, struct output *o, const char *text, size_t len)
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
            log_skill_msg(LOG_WARN, o->skill,
                          "skill %s writes too much to its stdout/stderr; the rest of this "
                          "second's output is dropped",
                          o->skill);
        o->dropping = true;
        return;
    }
    snprintf(buf, sizeof(buf), "(output) %.*s", (int)len, text);
    output_text(&r->sink, o->skill, NULL, buf);
}

/* Log the whole lines in o's buffer, and the buffer itself when it is full
 * without a newline; keep the rest. */
static void
take_lines(struct output_reader *r, struct output *o)
{
    char *start = o->line, *nl;
    while ((nl = memchr(start, '\n', o->len - (size_t)(start - o->line)))) {
        output_line(r, o, start, (size_t)(nl - start));
        start = nl + 1;
    }
    o->len -= (size_t)(start - o->line);
    memmove(o->line, start, o->len);
    if (o->len == sizeof(o->line)) {
        output_line(r, o, o->line, o->len);
        o->len = 0;
    }
}

/* Read what is there from o's pipe, at most max bytes. Returns false at
 * its end. */
static bool
output_read(struct output_reader *r, struct output *o, size_t max)
{
    while (max > 0) {
        size_t room = sizeof(o->line) - o->len;
        ssize_t n = read(o->fd, o->line + o->len, room < max ? room : max);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return true;
        if (n <= 0) {
            if (o->len)
                output_line(r, o, o->line, o->len);
            o->len = 0;
            return false;
        }
        max -= (size_t)n;
        o->len += (size_t)n;
        take_lines(r, o);
    }
    return true;
}

/* Log what o's pipe holds now, at most OUTPUT_DRAIN_BYTES, and the line it
 * ends with even without its newline. The reader's thread is stopped. */
static void
output_drain(struct output_reader *r, struct output *o)
{
    if (output_read(r, o, OUTPUT_DRAIN_BYTES) && o->len)
        output_line(r, o, o->line, o->len);
    o->len = 0;
}

static void *
output_main(void *arg)
{
    struct output_reader *r = arg;
    for (;;) {
        struct epoll_event ev[16];
        int n = epoll_wait(r->epoll, ev, 16, -1);
        if (n < 0 && errno != EINTR)
            return NULL;
        for (int i = 0; i < n; i++) {
            struct output *o = ev[i].data.ptr;
            if (!o)
                return NULL; /* output_reader_destroy */
            if (output_read(r, o, SIZE_MAX))
                continue;
            epoll_ctl(r->epoll, EPOLL_CTL_DEL, o->fd, NULL);
            pthread_mutex_lock(&r->lock);
            for (struct output **link = &r->outputs; *link; link = &(*link)->next) {
                if (*link == o) {
                    *link = o->next;
                    break;
                }
            }
            pthread_mutex_unlock(&r->lock);
            close(o->fd);
            free(o);
        }
    }
}

struct output_reader *
output_reader_create(const struct output_sink *sink)
{
    struct output_reader *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->sink = *sink;
    r->stop[0] = r->stop[1] = -1;
    r->epoll = -1;
    if (pthread_mutex_init(&r->lock, NULL) != 0) {
        free(r);
        return NULL;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (pipe2(r->stop, O_CLOEXEC) != 0 || (r->epoll = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
        epoll_ctl(r->epoll, EPOLL_CTL_ADD, r->stop[0], &ev) != 0 ||
        pthread_create(&r->thread, NULL, output_main, r) != 0) {
        output_reader_destroy(r);
        return NULL;
    }
    r->running = true;
    return r;
}

void
output_add(struct output_reader *r, const char *skill, int fd)
{
    struct output *o = calloc(1, sizeof(*o));
    if (!o) {
        close(fd);
        return;
    }
    o->fd = fd;
    snprintf(o->skill, sizeof(o->skill), "%s", skill);
    pthread_mutex_lock(&r->lock);
    o->next = r->outputs;
    r->outputs = o;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = o};
    if (epoll_ctl(r->epoll, EPOLL_CTL_ADD, fd, &ev) != 0) {
        r->outputs = o->next;
        close(fd);
        free(o);
    }
    pthread_mutex_unlock(&r->lock);
}

void
output_reader_destroy(struct output_reader *r)
{
    if (!r)
        return;
    if (r->running) {
        char one = 1;
        ssize_t unused = write(r->stop[1], &one, 1);
        (void)unused;
        pthread_join(r->thread, NULL);
    }
    /* What the skills wrote before they ended may not have been read yet
     * (a command ends as soon as its worker has finished, process_finish()):
     * it is logged now, up to a pipe's worth from each. */
    while (r->outputs) {
        struct output *o = r->outputs;
        r->outputs = o->next;
        output_drain(r, o);
        close(o->fd);
        free(o);
    }
    for (int i = 0; i < 2; i++)
        if (r->stop[i] >= 0)
            close(r->stop[i]);
    if (r->epoll >= 0)
        close(r->epoll);
    pthread_mutex_destroy(&r->lock);
    free(r);
}
