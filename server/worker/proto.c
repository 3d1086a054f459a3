/*
 * proto.c - framing over the front/worker socket (see proto.h).
 *
 * Writes loop until done because a stream socket may take a frame in pieces;
 * reads poll() against the caller's deadline before each read, so a worker
 * that stops answering can never hold the front past its deadline.
 */
#include "proto.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "ss_limits.h"

#define HEADER_BYTES 5

int64_t
proto_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
proto_now_ms(void)
{
    return proto_now_us() / 1000;
}

/* A frame's header for parts[0..nparts) in header, and iov[0..nparts]: the
 * header, then the parts. */
static enum proto_status
frame_iov(uint8_t type, const struct iovec *parts, int nparts, unsigned char *header,
          struct iovec *iov)
{
    size_t total = 0;

    if (nparts < 0 || nparts > 8) {
        errno = EINVAL;
        return PROTO_ERROR;
    }
    for (int i = 0; i < nparts; i++)
        total += parts[i].iov_len;
    if (total > LIMIT_FRAME_BYTES)
        return PROTO_TOO_LARGE;
    uint32_t len32 = (uint32_t)total;
    memcpy(header, &len32, 4);
    header[4] = type;
    iov[0].iov_base = header;
    iov[0].iov_len = HEADER_BYTES;
    for (int i = 0; i < nparts; i++)
        iov[i + 1] = parts[i];
    return PROTO_OK;
}

enum proto_status
proto_sendv(int fd, uint8_t type, const struct iovec *parts, int nparts)
{
    struct iovec iov[9];
    unsigned char header[HEADER_BYTES];
    enum proto_status st = frame_iov(type, parts, nparts, header, iov);
    if (st != PROTO_OK)
        return st;

    struct iovec *cur = iov;
    int left = nparts + 1;
    while (left > 0) {
        /* sendmsg with MSG_NOSIGNAL: a worker that died must give EPIPE, not
         * a SIGPIPE that would stop the front. */
        struct msghdr msg = {.msg_iov = cur, .msg_iovlen = (size_t)left};
        ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return PROTO_ERROR;
        }
        /* Skip the pieces written completely, trim the one written in part. */
        while (left > 0 && (size_t)n >= cur->iov_len) {
            n -= (ssize_t)cur->iov_len;
            cur++;
            left--;
        }
        if (left > 0) {
            cur->iov_base = (char *)cur->iov_base + n;
            cur->iov_len -= (size_t)n;
        }
    }
    return PROTO_OK;
}

enum proto_status
proto_sendv_some(int fd, uint8_t type, const struct iovec *parts, int nparts, struct buf *rest)
{
    struct iovec iov[9];
    unsigned char header[HEADER_BYTES];
    enum proto_status st = frame_iov(type, parts, nparts, header, iov);
    if (st != PROTO_OK)
        return st;

    ssize_t n;
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)nparts + 1};
    do
        n = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
        return PROTO_ERROR;
    size_t sent = n < 0 ? 0 : (size_t)n;
    /* Whatever the socket did not take waits in rest, in order. */
    for (int i = 0; i <= nparts; i++) {
        if (sent >= iov[i].iov_len) {
            sent -= iov[i].iov_len;
            continue;
        }
        if (!buf_add(rest, (const char *)iov[i].iov_base + sent, iov[i].iov_len - sent))
            return PROTO_NOMEM;
        sent = 0;
    }
    return PROTO_OK;
}

enum proto_status
proto_flush(int fd, struct buf *rest)
{
    while (rest->len > 0) {
        ssize_t n = send(fd, rest->p, rest->len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return PROTO_OK;
        if (n < 0)
            return PROTO_ERROR;
        buf_drop_front(rest, (size_t)n);
    }
    return PROTO_OK;
}

enum proto_status
proto_parse(const char *data, size_t len, struct proto_frame *frame, size_t *used)
{
    uint32_t n;

    frame->type = 0;
    frame->len = 0;
    frame->data = NULL;
    *used = 0;
    if (len < HEADER_BYTES)
        return PROTO_MORE;
    memcpy(&n, data, 4);
    if (n > LIMIT_FRAME_BYTES)
        return PROTO_TOO_LARGE;
    if (len - HEADER_BYTES < n)
        return PROTO_MORE;
    frame->data = malloc((size_t)n + 1);
    if (!frame->data)
        return PROTO_NOMEM;
    memcpy(frame->data, data + HEADER_BYTES, n);
    frame->data[n] = '\0';
    frame->type = (uint8_t)data[4];
    frame->len = n;
    *used = HEADER_BYTES + (size_t)n;
    return PROTO_OK;
}

enum proto_status
proto_send(int fd, uint8_t type, const void *data, size_t len)
{
    struct iovec part = {.iov_base = (void *)data, .iov_len = len};
    return proto_sendv(fd, type, &part, 1);
}

/* Read exactly len bytes by the deadline. *got counts what arrived, so the
 * caller can tell a clean EOF (nothing of the frame read) from a cut frame. */
static enum proto_status
read_full(int fd, void *buf, size_t len, int64_t deadline_ms, size_t *got)
{
    char *p = buf;
    *got = 0;
    while (*got < len) {
        /* Try first, wait only when nothing is there: the body of a frame
         * usually arrives with its header, so most reads need no poll(). */
        ssize_t n = recv(fd, p + *got, len - *got, deadline_ms >= 0 ? MSG_DONTWAIT : 0);
        if (n > 0) {
            *got += (size_t)n;
            continue;
        }
        if (n == 0) {
            errno = ECONNRESET;
            return PROTO_EOF;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return PROTO_ERROR;
        int64_t wait = deadline_ms - proto_now_ms();
        if (wait <= 0)
            return PROTO_TIMEOUT;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, wait > 1000000 ? 1000000 : (int)wait) < 0 && errno != EINTR)
            return PROTO_ERROR;
    }
    return PROTO_OK;
}

enum proto_status
proto_recv(int fd, struct proto_frame *frame, int64_t deadline_ms)
{
    unsigned char header[HEADER_BYTES];
    size_t got;
    enum proto_status st;
    uint32_t len;

    frame->type = 0;
    frame->len = 0;
    frame->data = NULL;

    st = read_full(fd, header, sizeof(header), deadline_ms, &got);
    if (st == PROTO_EOF && got > 0)
        st = PROTO_ERROR;
    if (st != PROTO_OK)
        return st;

    memcpy(&len, header, 4);
    if (len > LIMIT_FRAME_BYTES)
        return PROTO_TOO_LARGE;
    frame->data = malloc((size_t)len + 1);
    if (!frame->data)
        return PROTO_NOMEM;
    st = read_full(fd, frame->data, len, deadline_ms, &got);
    if (st != PROTO_OK) {
        free(frame->data);
        frame->data = NULL;
        return st == PROTO_EOF ? PROTO_ERROR : st;
    }
    frame->data[len] = '\0';
    frame->type = header[4];
    frame->len = len;
    return PROTO_OK;
}

enum proto_status
proto_send_fd(int fd, uint8_t type, int passed)
{
    unsigned char header[HEADER_BYTES] = {0, 0, 0, 0, type};
    struct iovec iov = {.iov_base = header, .iov_len = sizeof(header)};
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } control;
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = control.buf,
                         .msg_controllen = sizeof(control.buf)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

    memset(control.buf, 0, sizeof(control.buf));
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &passed, sizeof(int));
    for (;;) {
        ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (n == (ssize_t)sizeof(header))
            return PROTO_OK;
        if (n < 0 && errno == EINTR)
            continue;
        /* A 5-byte message on a stream socket is sent whole or not at all. */
        return PROTO_ERROR;
    }
}

enum proto_status
proto_recv_fd(int fd, uint8_t *type, int *passed, int64_t deadline_ms)
{
    unsigned char header[HEADER_BYTES];
    struct iovec iov = {.iov_base = header, .iov_len = sizeof(header)};
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } control;
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = control.buf,
                         .msg_controllen = sizeof(control.buf)};
    ssize_t n;

    *passed = -1;
    while (deadline_ms >= 0) {
        int64_t wait = deadline_ms - proto_now_ms();
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (wait <= 0)
            return PROTO_TIMEOUT;
        int r = poll(&pfd, 1, wait > 1000000 ? 1000000 : (int)wait);
        if (r > 0)
            break;
        if (r < 0 && errno != EINTR)
            return PROTO_ERROR;
    }
    do {
        n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_WAITALL);
    } while (n < 0 && errno == EINTR);
    if (n == 0)
        return PROTO_EOF;
    if (n != (ssize_t)sizeof(header))
        return PROTO_ERROR;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
            c->cmsg_len == CMSG_LEN(sizeof(int)))
            memcpy(passed, CMSG_DATA(c), sizeof(int));
    uint32_t len;
    memcpy(&len, header, 4);
    *type = header[4];
    if (len != 0) {
        if (*passed >= 0)
            close(*passed);
        *passed = -1;
        return PROTO_ERROR;
    }
    return PROTO_OK;
}

/* What an inbox holds at first: room for any request of usual size. */
#define INBOX_BYTES (64 * 1024)

enum proto_status
proto_inbox_next(int fd, struct proto_inbox *box, uint8_t *type, const char **data, size_t *len)
{
    for (;;) {
        size_t have = box->end - box->start;
        size_t need = HEADER_BYTES;
        if (have >= HEADER_BYTES) {
            uint32_t n;
            memcpy(&n, box->buf + box->start, sizeof(n));
            if (n > LIMIT_FRAME_BYTES)
                return PROTO_TOO_LARGE;
            need += n;
            if (have >= need) {
                *type = (uint8_t)box->buf[box->start + 4];
                *data = box->buf + box->start + HEADER_BYTES;
                *len = n;
                box->start += need;
                return PROTO_OK;
            }
        }
        /* Not a whole frame yet: make room for it behind what is read. */
        if (have == 0)
            box->start = box->end = 0;
        if (box->start > 0 && need > box->cap - box->start) {
            memmove(box->buf, box->buf + box->start, have);
            box->start = 0;
            box->end = have;
        }
        if (need > box->cap) {
            size_t cap = need > INBOX_BYTES ? need : INBOX_BYTES;
            char *grown = realloc(box->buf, cap);
            if (!grown)
                return PROTO_NOMEM;
            box->buf = grown;
            box->cap = cap;
        }
        ssize_t got = recv(fd, box->buf + box->end, box->cap - box->end, 0);
        if (got == 0) {
            if (have == 0)
                return PROTO_EOF;
            errno = ECONNRESET;
            return PROTO_ERROR;
        }
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return PROTO_ERROR;
        }
        box->end += (size_t)got;
    }
}

void
proto_inbox_cleanup(struct proto_inbox *box)
{
    if (box) {
        free(box->buf);
        memset(box, 0, sizeof(*box));
    }
}

void
proto_frame_cleanup(struct proto_frame *frame)
{
    if (frame) {
        free(frame->data);
        frame->data = NULL;
        frame->len = 0;
    }
}

void
proto_exit_text(int status, char *buf, size_t cap)
{
    if (WIFEXITED(status))
        snprintf(buf, cap, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, cap, "was killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, cap, "stopped");
}

const char *
proto_status_text(enum proto_status st)
{
    switch (st) {
    case PROTO_OK:
        return "ok";
    case PROTO_EOF:
        return "the other side closed the connection";
    case PROTO_TIMEOUT:
        return "timed out";
    case PROTO_TOO_LARGE:
        return "frame too large";
    case PROTO_ERROR:
        return "read or write failed";
    case PROTO_NOMEM:
        return "out of memory";
    case PROTO_MORE:
        return "incomplete frame";
    }
    return "unknown";
}
