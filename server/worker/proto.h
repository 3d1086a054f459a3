/*
 * proto.h - the framed protocol between the front and a skill worker.
 *
 * Front and worker talk over one AF_UNIX stream socket. A frame is a 5-byte
 * header - payload length (uint32, host byte order: both ends are the same
 * binary on the same machine) and a type byte - followed by the payload,
 * which is UTF-8 JSON text for every type; what the JSON says is
 * message.h's, the one owner of the format:
 *
 *   worker -> front  HELLO   once, after loading the skill: the load report
 *   front -> worker  REQUEST one request: the envelope, attributes, soft deadline
 *   worker -> front  LOG     any number, while a request runs: one printed line
 *   worker -> front  ANSWER  one per REQUEST: the reply, or the skill's error
 *
 * A zygote (a worker process that only forks workers) gets FORK frames with
 * an empty payload and one descriptor attached (SCM_RIGHTS): the socket the
 * new worker talks to the front on. It answers on its own socket with a
 * FORKED frame carrying the new worker's pidfd (or no descriptor when the
 * fork failed). The front checks with the kernel that the descriptor is a
 * pidfd and which process it names (see pidfd.h); it never takes a pid's
 * number from a skill's process. The worker's HELLO on its socket is READY.
 * The zygote is the worker's parent: when the worker ends it sends DIED
 * (how it ended: "was killed by signal 11 (Segmentation fault)") on the
 * worker's socket and closes its copy, so the front learns how it ended.
 *
 * Frames larger than LIMIT_FRAME_BYTES are refused on both ends.
 */
#ifndef SKILLSERVER_PROTO_H
#define SKILLSERVER_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

enum proto_type {
    PROTO_HELLO = 'H',
    PROTO_REQUEST = 'R',
    PROTO_LOG = 'L',
    PROTO_ANSWER = 'A',
    PROTO_FORK = 'F',   /* front -> zygote: fork a worker for the passed socket */
    PROTO_BECOME = 'B', /* front -> zygote: be that worker yourself (answered as FORK) */
    PROTO_FORKED = 'P', /* zygote -> front: the new worker's pidfd attached */
    PROTO_DIED = 'D',   /* zygote -> front, on a worker's socket: how it ended */
};

enum proto_status {
    PROTO_OK,
    PROTO_EOF,       /* the peer closed the socket between frames */
    PROTO_TIMEOUT,   /* the deadline passed */
    PROTO_TOO_LARGE, /* the announced length is over LIMIT_FRAME_BYTES */
    PROTO_ERROR,     /* a read or write failed, or the peer closed mid-frame; errno is set */
    PROTO_NOMEM,
    PROTO_MORE, /* proto_parse(): the bytes so far are the start of a frame */
};

/* One received frame; data is NUL-terminated and owned (free with proto_frame_cleanup). */
struct proto_frame {
    uint8_t type;
    uint32_t len;
    char *data;
};

/* Send one frame whose payload is the concatenation of parts[0..nparts), so
 * callers can send a JSON text assembled from pieces without copying it.
 * Blocks until everything is written; restarts on EINTR. */
enum proto_status proto_sendv(int fd, uint8_t type, const struct iovec *parts, int nparts);

/* Send one frame with a single payload. */
enum proto_status proto_send(int fd, uint8_t type, const void *data, size_t len);

/* Receive one frame. deadline_ms is a CLOCK_MONOTONIC time in milliseconds
 * (see proto_now_ms) after which PROTO_TIMEOUT is returned, or -1 to wait
 * without limit. On PROTO_OK the caller owns frame->data. */
enum proto_status proto_recv(int fd, struct proto_frame *frame, int64_t deadline_ms);

void proto_frame_cleanup(struct proto_frame *frame);

/*
 * Frames from a blocking socket, each read with as few recv() calls as it
 * allows (a worker's requests: one recv() nearly always, where proto_recv()
 * takes two and a malloc()). A frame is handed out in place, valid until the
 * next call; bytes of the frame after it stay in the inbox, since the front
 * may send a request before the answer to the one before. Start from a
 * zeroed inbox; proto_inbox_cleanup() frees it. Returns PROTO_OK, PROTO_EOF
 * (closed between frames), PROTO_ERROR (a read failed or the peer closed in
 * the middle of a frame), PROTO_TOO_LARGE or PROTO_NOMEM. Not thread-safe.
 */
struct proto_inbox {
    char *buf;
    size_t cap;
    size_t start, end; /* buf[start..end) is read and not yet handed out */
};
enum proto_status proto_inbox_next(int fd, struct proto_inbox *box, uint8_t *type,
                                   const char **data, size_t *len);
void proto_inbox_cleanup(struct proto_inbox *box);

/*
 * The same two directions without ever blocking, for one thread that
 * serves many sockets (pool.c's I/O thread):
 *
 * proto_sendv_some() writes what the socket takes now (fd non-blocking or
 * not) and appends the rest of the frame to rest, for proto_flush() when
 * the socket is writable again; PROTO_ERROR when the peer is gone,
 * PROTO_NOMEM when rest cannot hold it.
 *
 * proto_parse() takes one frame from the front of data[0..len): PROTO_OK
 * (frame owned by the caller, *used bytes consumed), PROTO_MORE (no whole
 * frame yet), PROTO_TOO_LARGE or PROTO_NOMEM.
 */
struct buf;
enum proto_status proto_sendv_some(int fd, uint8_t type, const struct iovec *parts, int nparts,
                                   struct buf *rest);
enum proto_status proto_flush(int fd, struct buf *rest);
enum proto_status proto_parse(const char *data, size_t len, struct proto_frame *frame,
                              size_t *used);

/* Send an empty frame of type with the descriptor passed attached. */
enum proto_status proto_send_fd(int fd, uint8_t type, int passed);

/* Receive an empty frame with one attached descriptor. *passed is the new
 * descriptor (close-on-exec), or -1 when none came with the frame.
 * deadline_ms as for proto_recv (-1: no limit). */
enum proto_status proto_recv_fd(int fd, uint8_t *type, int *passed, int64_t deadline_ms);

/* CLOCK_MONOTONIC now, in milliseconds and in microseconds. */
int64_t proto_now_ms(void);
int64_t proto_now_us(void);

/* How a process ended, from its wait status: "exited with status 3", "was
 * killed by signal 9 (Killed)". */
void proto_exit_text(int status, char *buf, size_t cap);

/* A short description of a status, for logs. */
const char *proto_status_text(enum proto_status st);

#endif
