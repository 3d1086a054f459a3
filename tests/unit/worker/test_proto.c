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
    return tap_done();
}
