/* test_proto.c - framing between the front and a worker. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proto.h"
#include "ss_limits.h"
#include "tap.h"

/* proto_inbox_next(): frames whole, in pieces, several in one read, one
 * larger than the inbox; a clean close and a cut frame. */
static void
inbox(void)
{
    int sv[2];
    struct proto_inbox box = {0};
    uint8_t type;
    const char *data;
    size_t len;

    ok(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "inbox: socketpair");
    is_int(proto_send(sv[0], PROTO_REQUEST, "{\"a\":1}", 7), PROTO_OK, "inbox: send one");
    is_int(proto_inbox_next(sv[1], &box, &type, &data, &len), PROTO_OK, "inbox: read it");
    ok(type == PROTO_REQUEST && len == 7 && memcmp(data, "{\"a\":1}", 7) == 0,
       "inbox: type, length and payload kept");

    /* Three frames in one write, the last in two pieces. */
    unsigned char wire[64];
    size_t n = 0;
    const char *payloads[] = {"one", "", "three"};
    for (int i = 0; i < 3; i++) {
        uint32_t l = (uint32_t)strlen(payloads[i]);
        memcpy(wire + n, &l, 4);
        wire[n + 4] = 'R';
        memcpy(wire + n + 5, payloads[i], l);
        n += 5 + l;
    }
    ok(write(sv[0], wire, n - 3) == (ssize_t)(n - 3), "inbox: write two frames and a half");
    is_int(proto_inbox_next(sv[1], &box, &type, &data, &len), PROTO_OK, "inbox: first of a read");
    ok(len == 3 && memcmp(data, "one", 3) == 0, "inbox: first payload");
    is_int(proto_inbox_next(sv[1], &box, &type, &data, &len), PROTO_OK, "inbox: an empty one");
    is_int(len, 0, "inbox: empty payload");
    ok(write(sv[0], wire + n - 3, 3) == 3, "inbox: write the rest of the third");
    is_int(proto_inbox_next(sv[1], &box, &type, &data, &len), PROTO_OK, "inbox: third, joined");
    ok(len == 5 && memcmp(data, "three", 5) == 0, "inbox: third payload");

    /* Larger than the inbox starts out: it grows. */
    size_t big = 300 * 1024;
    char *buf = malloc(big);
    memset(buf, 'y', big);
    pid_t pid = fork();
    if (pid == 0)
        _exit(proto_send(sv[0], PROTO_REQUEST, buf, big) == PROTO_OK &&
                      proto_send(sv[0], PROTO_REQUEST, "after", 5) == PROTO_OK
                  ? 0
                  : 1);
    is_int(proto_inbox_next(sv[1], &box, &type, &data, &len), PROTO_OK, "inbox: 300 KiB frame");
    ok(len == big && data[0] == 'y' && data[big - 1] == 'y', "inbox: 300 KiB payload");
    is_int(proto_inbox_next(sv[1], &box, &type, &data, &len), PROTO_OK, "inbox: the next one");
    ok(len == 5 && memcmp(data, "after", 5) == 0, "inbox: its payload");
    int status;
    waitpid(pid, &status, 0);
    free(buf);

    /* A cut frame, then a clean close on another socket. */
    uint32_t five = 5;
    memcpy(wire, &five, 4);
    wire[4] = 'R';
    ok(write(sv[0], wire, 5) == 5 && write(sv[0], "ab", 2) == 2, "inbox: write a cut frame");
    close(sv[0]);
    is_int(proto_inbox_next(sv[1], &box, &type, &data, &len), PROTO_ERROR,
           "inbox: a cut frame is an error");
    close(sv[1]);
    proto_inbox_cleanup(&box);
    ok(box.buf == NULL && box.cap == 0, "inbox: cleanup frees");

    ok(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "inbox: another socketpair");
    close(sv[0]);
    is_int(proto_inbox_next(sv[1], &box, &type, &data, &len), PROTO_EOF,
           "inbox: a close between frames is the end");
    close(sv[1]);
    proto_inbox_cleanup(&box);
}

int
main(void)
{
    int sv[2];
    struct proto_frame f;

    signal(SIGPIPE, SIG_IGN);
    ok(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");

    is_int(proto_send(sv[0], PROTO_REQUEST, "{\"a\":1}", 7), PROTO_OK, "send a frame");
    is_int(proto_recv(sv[1], &f, proto_now_ms() + 1000), PROTO_OK, "receive it");
    is_int(f.type, PROTO_REQUEST, "type kept");
    is_int(f.len, 7, "length kept");
    is_str(f.data, "{\"a\":1}", "payload kept and NUL-terminated");
    proto_frame_cleanup(&f);
    ok(f.data == NULL, "cleanup clears");

    struct iovec parts[] = {{"{\"event\":", 9}, {"{}", 2}, {"}", 1}};
    is_int(proto_sendv(sv[0], PROTO_ANSWER, parts, 3), PROTO_OK, "send in parts");
    is_int(proto_recv(sv[1], &f, -1), PROTO_OK, "receive parts as one frame");
    is_str(f.data, "{\"event\":{}}", "parts concatenated");
    proto_frame_cleanup(&f);

    is_int(proto_send(sv[0], PROTO_LOG, "", 0), PROTO_OK, "empty payload");
    is_int(proto_recv(sv[1], &f, -1), PROTO_OK, "receive empty");
    is_int(f.len, 0, "empty length");
    is_str(f.data, "", "empty string");
    proto_frame_cleanup(&f);

    /* A large frame goes through a socket buffer in pieces. */
    size_t big = 600 * 1024;
    char *buf = malloc(big);
    memset(buf, 'x', big);
    pid_t pid = fork();
    if (pid == 0) {
        _exit(proto_send(sv[0], PROTO_ANSWER, buf, big) == PROTO_OK ? 0 : 1);
    }
    is_int(proto_recv(sv[1], &f, proto_now_ms() + 5000), PROTO_OK, "600 KiB frame");
    is_int(f.len, big, "600 KiB length");
    ok(f.data && f.data[0] == 'x' && f.data[big - 1] == 'x', "600 KiB content");
    proto_frame_cleanup(&f);
    int status;
    waitpid(pid, &status, 0);
    free(buf);

    /* Limits. */
    is_int(proto_send(sv[0], PROTO_ANSWER, "", LIMIT_FRAME_BYTES + 1), PROTO_TOO_LARGE,
           "sender refuses an oversized frame");
    unsigned char hdr[5];
    uint32_t huge = LIMIT_FRAME_BYTES + 1;
    memcpy(hdr, &huge, 4);
    hdr[4] = 'A';
    ok(write(sv[0], hdr, 5) == 5, "write a lying header");
    is_int(proto_recv(sv[1], &f, proto_now_ms() + 1000), PROTO_TOO_LARGE,
           "receiver refuses an oversized announcement");

    /* Deadline. */
    int sv2[2];
    ok(socketpair(AF_UNIX, SOCK_STREAM, 0, sv2) == 0, "second socketpair");
    int64_t t0 = proto_now_ms();
    is_int(proto_recv(sv2[1], &f, t0 + 100), PROTO_TIMEOUT, "silence times out");
    ok(proto_now_ms() - t0 >= 100, "not before the deadline");

    /* A cut frame and a clean close. */
    uint32_t five = 5;
    memcpy(hdr, &five, 4);
    ok(write(sv2[0], hdr, 5) == 5 && write(sv2[0], "ab", 2) == 2, "write a partial frame");
    close(sv2[0]);
    is_int(proto_recv(sv2[1], &f, proto_now_ms() + 1000), PROTO_ERROR, "cut frame is an error");
    close(sv2[1]);

    close(sv[0]);
    is_int(proto_recv(sv[1], &f, proto_now_ms() + 1000), PROTO_EOF, "close between frames");
    is_int(proto_send(sv[1], PROTO_LOG, "x", 1), PROTO_ERROR, "send to a closed peer fails");
    close(sv[1]);

    ok(strcmp(proto_status_text(PROTO_TIMEOUT), "timed out") == 0, "status text");
    inbox();
    return tap_done();
}
