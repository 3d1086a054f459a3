/* test_python.c - the CPython boundary, driven directly over its socket. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "proto.h"
#include "python.h"
#include "tap.h"

static pid_t
start(const char *skill, int *fd, int dev)
{
    int sv[2];
    char script[512];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        return -1;
    snprintf(script, sizeof(script), "%s/tests/data/skills/%s/skill.py", SOURCE_ROOT, skill);
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        struct python_worker_config cfg = {
            .fd = sv[1],
            .name = skill,
            .script = strdup(script),
            .skillkit_dir = python_skillkit_dir(),
            .dev = dev,
            /* Unconfined, so LeakSanitizer can check the boundary at exit;
             * the sandbox itself is tested through real workers. */
            .sandbox = {.off = true},
        };
        exit(python_worker_main(&cfg));
    }
    close(sv[1]);
    *fd = sv[0];
    return pid;
}

static json_t *
recv_json(int fd, uint8_t *type)
{
    struct proto_frame f;
    if (proto_recv(fd, &f, proto_now_ms() + 10000) != PROTO_OK)
        return NULL;
    *type = f.type;
    json_t *j = json_loadb(f.data, f.len, 0, NULL);
    proto_frame_cleanup(&f);
    return j;
}

static int
finish(pid_t pid, int fd)
{
    int status;
    close(fd);
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static const char *request_msg =
    "{\"event\": {\"version\":\"1.0\",\"context\":{\"System\":{\"application\":"
    "{\"applicationId\":\"a\"},\"user\":{\"userId\":\"u\"}}},\"request\":{\"type\":"
    "\"IntentRequest\",\"requestId\":\"r\",\"intent\":{\"name\":\"ThankYouIntent\"}}},"
    "\"attributes\": null, \"soft_ms\": 2000}";

int
main(void)
{
    int fd;
    uint8_t type;
    json_t *j;

    signal(SIGPIPE, SIG_IGN);
    pid_t pid = start("raises", &fd, 1);
    j = recv_json(fd, &type);
    is_int(type, PROTO_HELLO, "first frame is HELLO");
    ok(json_is_true(json_object_get(j, "ok")), "skill loaded");
    json_decref(j);

    /* Many requests through one interpreter: reference leaks or double frees
     * in the boundary show up here under ASan. */
    int good = 0;
    for (int i = 0; i < 200; i++) {
        if (proto_send(fd, PROTO_REQUEST, request_msg, strlen(request_msg)) != PROTO_OK)
            break;
        j = recv_json(fd, &type);
        json_t *e = json_object_get(j, "error");
        if (type == PROTO_ANSWER && json_is_false(json_object_get(j, "ok")) &&
            strcmp(json_string_value(json_object_get(e, "type")), "NameError") == 0)
            good++;
        json_decref(j);
    }
    is_int(good, 200, "200 raising requests answered with the NameError");

    ok(proto_send(fd, PROTO_REQUEST, "not json", 8) == PROTO_OK, "send garbage");
    j = recv_json(fd, &type);
    is_int(type, PROTO_ANSWER, "garbage still gets an ANSWER");
    ok(json_is_false(json_object_get(j, "ok")), "which is an error");
    json_decref(j);
    is_int(finish(pid, fd), 0, "worker exits 0 when the front closes");

    pid = start("syntax_error", &fd, 0);
    j = recv_json(fd, &type);
    is_int(type, PROTO_HELLO, "HELLO for a broken skill");
    ok(json_is_false(json_object_get(j, "ok")), "says it did not load");
    is_int(json_integer_value(json_object_get(json_object_get(j, "error"), "line")), 4,
           "line of the syntax error");
    json_decref(j);
    is_int(finish(pid, fd), 1, "worker exits 1 after a failed load");

    pid = start("prints", &fd, 0);
    j = recv_json(fd, &type);
    json_decref(j);
    const char *launch_msg =
        "{\"event\": {\"version\":\"1.0\",\"context\":{},\"request\":{\"type\":"
        "\"LaunchRequest\",\"requestId\":\"r\"}}, \"attributes\": null, \"soft_ms\": 0}";
    proto_send(fd, PROTO_REQUEST, launch_msg, strlen(launch_msg));
    j = recv_json(fd, &type);
    is_int(type, PROTO_LOG, "print() becomes a LOG frame");
    is_str(json_string_value(json_object_get(j, "text")), "printed by the skill", "its text");
    json_decref(j);
    j = recv_json(fd, &type);
    is_int(type, PROTO_LOG, "stderr too");
    json_decref(j);
    j = recv_json(fd, &type);
    is_int(type, PROTO_ANSWER, "then the ANSWER");
    ok(json_is_true(json_object_get(j, "ok")), "ok");
    json_decref(j);
    is_int(finish(pid, fd), 0, "clean exit");
    return tap_done();
}
