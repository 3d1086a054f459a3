/* test_python.c - the CPython boundary, driven directly over its socket. */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launcher.h"
#include "message.h"
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
            .skillkit_dir = launcher_skillkit_dir(),
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

/* The next frame from the worker; false when none came in time. */
static bool
recv_frame(int fd, struct proto_frame *f)
{
    return proto_recv(fd, f, proto_now_ms() + 10000) == PROTO_OK;
}

/* The next frame, which must be a HELLO with a load report, decoded. */
static bool
recv_load(int fd, struct message_load *load)
{
    struct proto_frame f;
    struct ss_error err;
    memset(load, 0, sizeof(*load));
    if (!recv_frame(fd, &f))
        return false;
    bool good =
        f.type == PROTO_HELLO && message_decode_load(f.data, f.len, load, &err) == SS_ERR_OK;
    proto_frame_cleanup(&f);
    return good;
}

/* The next frame, which must be an ANSWER, decoded. */
static bool
recv_answer(int fd, struct message_answer *answer)
{
    struct proto_frame f;
    struct ss_error err;
    memset(answer, 0, sizeof(*answer));
    if (!recv_frame(fd, &f))
        return false;
    bool good =
        f.type == PROTO_ANSWER && message_decode_answer(f.data, f.len, answer, &err) == SS_ERR_OK;
    proto_frame_cleanup(&f);
    return good;
}

/* The next frame, which must be a LOG, decoded. */
static bool
recv_log(int fd, struct message_text *log)
{
    struct proto_frame f;
    struct ss_error err;
    memset(log, 0, sizeof(*log));
    if (!recv_frame(fd, &f))
        return false;
    bool good = f.type == PROTO_LOG && message_decode_log(f.data, f.len, log, &err) == SS_ERR_OK;
    proto_frame_cleanup(&f);
    return good;
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
    struct message_load load;
    struct message_answer answer;
    struct message_text log;

    signal(SIGPIPE, SIG_IGN);
    pid_t pid = start("raises", &fd, 1);
    ok(recv_load(fd, &load), "first frame is HELLO with a load report");
    ok(load.ok, "skill loaded");
    is_int(load.style, MESSAGE_STYLE_SKILLKIT, "written with skillkit");
    message_load_cleanup(&load);

    /* Many requests through one interpreter: reference leaks or double frees
     * in the boundary show up here under ASan. */
    int good = 0;
    for (int i = 0; i < 200; i++) {
        if (proto_send(fd, PROTO_REQUEST, request_msg, strlen(request_msg)) != PROTO_OK)
            break;
        if (recv_answer(fd, &answer) && !answer.ok && answer.error.type &&
            strcmp(answer.error.type, "NameError") == 0)
            good++;
        message_answer_cleanup(&answer);
    }
    is_int(good, 200, "200 raising requests answered with the NameError");

    ok(proto_send(fd, PROTO_REQUEST, "not json", 8) == PROTO_OK, "send garbage");
    ok(recv_answer(fd, &answer), "garbage still gets an ANSWER");
    ok(!answer.ok, "which is an error");
    is_int(answer.error.kind, MESSAGE_KIND_RAISED, "of kind raised");
    message_answer_cleanup(&answer);
    is_int(finish(pid, fd), 0, "worker exits 0 when the front closes");

    pid = start("syntax_error", &fd, 0);
    ok(recv_load(fd, &load), "HELLO for a broken skill");
    ok(!load.ok, "says it did not load");
    is_int(load.error.kind, MESSAGE_KIND_LOAD, "an error of kind load");
    ok(load.error.has_line, "with a line");
    is_int(load.error.line, 4, "line of the syntax error");
    message_load_cleanup(&load);
    is_int(finish(pid, fd), 1, "worker exits 1 after a failed load");

    pid = start("prints", &fd, 0);
    ok(recv_load(fd, &load), "HELLO of a skill that prints");
    message_load_cleanup(&load);
    const char *launch_msg =
        "{\"event\": {\"version\":\"1.0\",\"context\":{},\"request\":{\"type\":"
        "\"LaunchRequest\",\"requestId\":\"r\"}}, \"attributes\": null, \"soft_ms\": 0}";
    proto_send(fd, PROTO_REQUEST, launch_msg, strlen(launch_msg));
    ok(recv_log(fd, &log), "print() becomes a LOG frame");
    is_str(log.text, "printed by the skill", "its text");
    message_text_cleanup(&log);
    ok(recv_log(fd, &log), "stderr too");
    message_text_cleanup(&log);
    ok(recv_answer(fd, &answer), "then the ANSWER");
    ok(answer.ok, "ok");
    message_answer_cleanup(&answer);
    is_int(finish(pid, fd), 0, "clean exit");

    /* At exit the skill's threads are waited for and its atexit functions
     * run, though the interpreter is not finalized; their prints reach the
     * front while it still reads (here: it only stopped writing). */
    pid = start("at_exit", &fd, 0);
    ok(recv_load(fd, &load), "HELLO of a skill with an atexit function");
    message_load_cleanup(&load);
    proto_send(fd, PROTO_REQUEST, request_msg, strlen(request_msg));
    shutdown(fd, SHUT_WR);
    char seen[3][32] = {"", "", ""};
    int frames = 0;
    struct proto_frame f;
    while (frames < 3 && recv_frame(fd, &f)) {
        struct ss_error err;
        if (f.type == PROTO_ANSWER &&
            message_decode_answer(f.data, f.len, &answer, &err) == SS_ERR_OK) {
            snprintf(seen[frames++], sizeof(seen[0]), "%s", answer.ok ? "answer" : "error");
            message_answer_cleanup(&answer);
        } else if (f.type == PROTO_LOG &&
                   message_decode_log(f.data, f.len, &log, &err) == SS_ERR_OK) {
            snprintf(seen[frames++], sizeof(seen[0]), "%s", log.text);
            message_text_cleanup(&log);
        }
        proto_frame_cleanup(&f);
    }
    /* The thread sleeps before it prints: the answer comes first. */
    is_str(seen[0], "answer", "the answer");
    is_str(seen[1], "thread finished", "then the thread, waited for at exit");
    is_str(seen[2], "atexit ran", "then the atexit function");
    is_int(finish(pid, fd), 0, "and a clean exit");
    return tap_done();
}
