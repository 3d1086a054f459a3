/*
 * launcher.c - exec'ing zygotes, directly or through the launcher (see launcher.h).
 */
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "paths.h"
#include "pidfd.h"
#include "sandbox.h"
#include "ss_limits.h"

extern char **environ;

const char *
launcher_skillkit_dir(void)
{
    return paths_skillkit_dir();
}

enum ss_err
launcher_worker_path(char *buf, size_t cap, struct ss_error *err)
{
    return paths_worker(buf, cap, err);
}

/* Requests are whole datagrams: a JSON text and three descriptors. Room
 * for three paths and LIMIT_SKILL_ENV_BYTES of variables. */
#define REQUEST_BYTES (4 * 4096 + 2 * LIMIT_SKILL_ENV_BYTES)

/* The memory a skill is told it has (AWS_LAMBDA_FUNCTION_MEMORY_SIZE): the
 * size above which its workers are recycled. */
#define MEMORY_MB (LIMIT_WORKER_RSS_BYTES / (1024 * 1024))

static void
free_strings(char **strings)
{
    for (size_t i = 0; strings && strings[i]; i++)
        free(strings[i]);
    free(strings);
}

json_t *
launcher_spec(const struct skill *skill)
{
    json_t *spec = json_pack("{s:s, s:s, s:s, s:s}", "name", skill->name, "dir", skill->dir, "code",
                             skill->code_dir, "script", skill->script);
    if (!spec)
        return NULL;
    if ((skill->handler && json_object_set_new(spec, "handler", json_string(skill->handler))) ||
        (skill->model_path && json_object_set_new(spec, "model", json_string(skill->model_path))) ||
        (skill->region && json_object_set_new(spec, "region", json_string(skill->region))) ||
        (skill->environment && json_object_set(spec, "env", skill->environment))) {
        json_decref(spec);
        return NULL;
    }
    return spec;
}

/* The zygote's environment (see launcher.h), NULL-terminated, each string
 * owned; NULL on OOM. Free with free_strings(). */
static char **
zygote_environment(const struct launcher_config *cfg, const json_t *spec)
{
    const char *name = json_string_value(json_object_get(spec, "name"));
    const char *code = json_string_value(json_object_get(spec, "code"));
    const char *handler = json_string_value(json_object_get(spec, "handler"));
    const char *region = json_string_value(json_object_get(spec, "region"));
    const char *model = json_string_value(json_object_get(spec, "model"));
    json_t *own = json_object_get(spec, "env");
    size_t cap = 32 + json_object_size(own), n = 0;
    char **env = calloc(cap + 1, sizeof(*env));
    int timeout_s = (cfg->handler_timeout_ms + 999) / 1000;
    int ok = env != NULL;

#define PUT(...)                                                                                   \
    do {                                                                                           \
        if (ok && n < cap && asprintf(&env[n], __VA_ARGS__) >= 0)                                  \
            n++;                                                                                   \
        else                                                                                       \
            ok = 0;                                                                                \
    } while (0)
    PUT("PATH=/usr/local/bin:/usr/bin:/bin");
    /* Lambda says en_US.UTF-8; the sandbox holds only the C.UTF-8 locale,
     * which reads and writes the same UTF-8. */
    PUT("LANG=C.UTF-8");
    PUT("LC_ALL=C.UTF-8");
    PUT("TZ=:UTC");
    PUT("LAMBDA_TASK_ROOT=%s", code);
    PUT("LAMBDA_RUNTIME_DIR=%s", cfg->skillkit_dir);
    if (handler)
        PUT("_HANDLER=%s", handler);
    PUT("AWS_LAMBDA_FUNCTION_NAME=%s", name);
    PUT("AWS_LAMBDA_FUNCTION_MEMORY_SIZE=%ld", (long)MEMORY_MB);
    PUT("AWS_LAMBDA_FUNCTION_TIMEOUT=%d", timeout_s);
    PUT("AWS_LAMBDA_FUNCTION_VERSION=$LATEST");
    PUT("AWS_LAMBDA_INITIALIZATION_TYPE=on-demand");
    PUT("AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/%s", name);
    PUT("AWS_LAMBDA_LOG_STREAM_NAME=skillserver/%s", name);
    if (region) {
        PUT("AWS_REGION=%s", region);
        PUT("AWS_DEFAULT_REGION=%s", region);
    }
    /* boto3 without credentials of the skill's own would take the cloud
     * machine's, from its metadata service: the server's role, not the
     * skill's. A skill's own "environment" may say otherwise. */
    PUT("AWS_EC2_METADATA_DISABLED=true");
    PUT(LAUNCHER_MODEL_ENV "=%s", model ? model : "");
    const char *key;
    json_t *value;
    json_object_foreach(own, key, value)
    {
        if (json_is_string(value))
            PUT("SKILLSERVER_ENV_%s=%s", key, json_string_value(value));
    }
    /* The sanitizers' settings, which only exist in test builds. */
    static const char *const passed[] = {"LSAN_OPTIONS", "UBSAN_OPTIONS"};
    for (size_t k = 0; k < sizeof(passed) / sizeof(passed[0]); k++) {
        const char *v = getenv(passed[k]);
        if (v)
            PUT("%s=%s", passed[k], v);
    }
    /* LeakSanitizer needs ptrace and a plain clone(), which the sandbox
     * forbids, so sandboxed workers run without it; test_python checks the
     * worker code for leaks unsandboxed. */
    const char *asan_opts = getenv("ASAN_OPTIONS");
    if (asan_opts)
        PUT("ASAN_OPTIONS=%s:detect_leaks=0", asan_opts);
#undef PUT
    if (!ok) {
        for (size_t i = 0; env && i < n; i++)
            free(env[i]);
        free(env);
        return NULL;
    }
    return env;
}

enum ss_err
launcher_zygote(const struct launcher_config *cfg, const json_t *spec,
                const struct launcher_fds *fds, pid_t *pid, struct ss_error *err)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    enum ss_err rc = SS_ERR_OK;
    const char *name = json_string_value(json_object_get(spec, "name"));
    const char *script = json_string_value(json_object_get(spec, "script"));
    const char *dir = json_string_value(json_object_get(spec, "dir"));
    const char *code = json_string_value(json_object_get(spec, "code"));
    const char *handler = json_string_value(json_object_get(spec, "handler"));

    *pid = 0;
    if (!name || !script || !dir || !code)
        return ss_fail(err, SS_ERR_SKILL_CRASHED, "cannot start a worker: a malformed request");
    char **envp = zygote_environment(cfg, spec);
    if (!envp)
        return ss_fail(err, SS_ERR_NOMEM, "out of memory");
    if (posix_spawn_file_actions_init(&fa) != 0) {
        free_strings(envp);
        return ss_fail(err, SS_ERR_NOMEM, "out of memory");
    }
    if (posix_spawnattr_init(&attr) != 0) {
        posix_spawn_file_actions_destroy(&fa);
        free_strings(envp);
        return ss_fail(err, SS_ERR_NOMEM, "out of memory");
    }
    /* The sources are above descriptor 4 (the caller's duty), so no dup2
     * overwrites one before it is copied; dup2 clears close-on-exec on the
     * copies, and closefrom drops everything else of the caller's. A new
     * session: no terminal. The front blocks its stop signals in every
     * thread; the zygote starts with none blocked and default actions. */
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    if (posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0) != 0 ||
        posix_spawn_file_actions_adddup2(&fa, fds->output, STDOUT_FILENO) != 0 ||
        posix_spawn_file_actions_adddup2(&fa, fds->output, STDERR_FILENO) != 0 ||
        posix_spawn_file_actions_adddup2(&fa, fds->control, SANDBOX_CONTROL_FD) != 0 ||
        posix_spawn_file_actions_adddup2(&fa, fds->lifeline, SANDBOX_LIFELINE_FD) != 0 ||
        posix_spawn_file_actions_addclosefrom_np(&fa, SANDBOX_LIFELINE_FD + 1) != 0 ||
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
                                            POSIX_SPAWN_SETSIGDEF) != 0 ||
        posix_spawnattr_setsigmask(&attr, &none) != 0 ||
        posix_spawnattr_setsigdefault(&attr, &all) != 0) {
        rc = ss_fail(err, SS_ERR_NOMEM, "out of memory");
        goto out;
    }

    char fdarg[16];
    snprintf(fdarg, sizeof(fdarg), "%d", SANDBOX_CONTROL_FD);
    char *argv[] = {(char *)cfg->exe, "--fd", fdarg, "--name", (char *)name, "--script",
                    (char *)script, "--skillkit", (char *)cfg->skillkit_dir, "--root", (char *)dir,
                    "--code", (char *)code,
                    /* Room for the optional arguments below (8 at most) and the end. */
                    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    int argc = 13;
    if (handler) {
        argv[argc++] = "--handler";
        argv[argc++] = (char *)handler;
    }
    if (cfg->user) {
        argv[argc++] = "--user";
        argv[argc++] = (char *)cfg->user;
    }
    if (cfg->dev)
        argv[argc++] = "--dev";
    if (cfg->no_network)
        argv[argc++] = "--no-network";
    if (cfg->namespaces_optional)
        argv[argc++] = "--namespaces-optional";
    /* Only for running a foreign build under an emulator (sandbox.h). */
    const char *no_seccomp = getenv("SKILLSERVER_ALLOW_NO_SECCOMP");
    if (no_seccomp && strcmp(no_seccomp, "1") == 0)
        argv[argc++] = "--seccomp-optional";
    int e = posix_spawn(pid, cfg->exe, &fa, &attr, argv, envp);
    if (e != 0) {
        *pid = 0;
        rc = ss_fail(err, SS_ERR_SKILL_CRASHED, "cannot start a worker for %s (%s): %s", name,
                     cfg->exe, strerror(e));
    }
out:
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    free_strings(envp);
    return rc;
}

/* sendmsg/recvmsg of one datagram with up to n descriptors. */
static ssize_t
send_with_fds(int sock, const void *buf, size_t len, const int *fds, int n)
{
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(3 * sizeof(int))];
    } control;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    memset(&control, 0, sizeof(control));
    if (n > 0) {
        msg.msg_control = control.buf;
        msg.msg_controllen = CMSG_SPACE((size_t)n * sizeof(int));
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN((size_t)n * sizeof(int));
        memcpy(CMSG_DATA(c), fds, (size_t)n * sizeof(int));
    }
    ssize_t r;
    do {
        r = sendmsg(sock, &msg, MSG_NOSIGNAL);
    } while (r < 0 && errno == EINTR);
    return r;
}

static ssize_t
recv_with_fds(int sock, void *buf, size_t cap, int *fds, int max, int *n)
{
    struct iovec iov = {.iov_base = buf, .iov_len = cap};
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(3 * sizeof(int))];
    } control;
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = control.buf,
                         .msg_controllen = sizeof(control.buf)};
    ssize_t r;
    *n = 0;
    do {
        r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    } while (r < 0 && errno == EINTR);
    if (r < 0)
        return r;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        int got = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        int all[3];
        memcpy(all, CMSG_DATA(c), (size_t)(got > 3 ? 3 : got) * sizeof(int));
        for (int i = 0; i < got && i < 3; i++) {
            if (*n < max)
                fds[(*n)++] = all[i];
            else
                close(all[i]);
        }
    }
    if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
        for (int i = 0; i < *n; i++)
            close(fds[i]);
        *n = 0;
        errno = EMSGSIZE;
        return -1;
    }
    return r;
}

/* Move fd above descriptor 4 (see launcher_zygote). */
static int
lift(int fd)
{
    if (fd > SANDBOX_LIFELINE_FD)
        return fd;
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, SANDBOX_LIFELINE_FD + 1);
    close(fd);
    return moved;
}

/* One request: a spec (launcher_spec()) and the three descriptors. */
static void
launcher_serve_one(const struct launcher_config *cfg, int sock, const char *text, int *fds)
{
    json_t *req = json_loads(text, 0, NULL);
    struct ss_error err;
    char reply[600];
    int pidfd = -1;
    pid_t pid = 0;

    ss_error_clear(&err);
    for (int i = 0; i < 3; i++)
        fds[i] = lift(fds[i]);
    struct launcher_fds sf = {.control = fds[0], .output = fds[1], .lifeline = fds[2]};
    if (!json_is_object(req) || fds[0] < 0 || fds[1] < 0 || fds[2] < 0)
        snprintf(reply, sizeof(reply), "a malformed request");
    else if (launcher_zygote(cfg, req, &sf, &pid, &err) != SS_ERR_OK)
        snprintf(reply, sizeof(reply), "%s", err.msg);
    else if ((pidfd = pidfd_of(pid)) < 0)
        snprintf(reply, sizeof(reply), "pidfd_open: %s", strerror(errno));
    else
        snprintf(reply, sizeof(reply), "ok");
    for (int i = 0; i < 3; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    send_with_fds(sock, reply, strlen(reply), &pidfd, pidfd >= 0 ? 1 : 0);
    if (pidfd >= 0)
        close(pidfd);
    json_decref(req);
}

static void __attribute__((noreturn)) launcher_main(const struct launcher_config *cfg, int sock)
{
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    prctl(PR_SET_NAME, "skillserver-launcher", 0, 0, 0);
    for (;;) {
        struct pollfd p[2] = {{.fd = sock, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
        if (poll(p, sfd >= 0 ? 2 : 1, sfd >= 0 ? -1 : 1000) < 0 && errno != EINTR)
            break;
        struct signalfd_siginfo si;
        while (sfd >= 0 && read(sfd, &si, sizeof(si)) > 0)
            ;
        /* The zygotes' monitors are this process's children: reap them. */
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        if (!p[0].revents)
            continue;
        char text[REQUEST_BYTES + 1];
        int fds[3] = {-1, -1, -1}, n = 0;
        ssize_t len = recv_with_fds(sock, text, REQUEST_BYTES, fds, 3, &n);
        if (len == 0 || (len < 0 && errno != EMSGSIZE))
            break; /* the front is gone */
        if (len < 0)
            continue;
        text[len] = '\0';
        if (n != 3) {
            for (int i = 0; i < n; i++)
                close(fds[i]);
            send_with_fds(sock, "a malformed request", 19, NULL, 0);
            continue;
        }
        launcher_serve_one(cfg, sock, text, fds);
    }
    _exit(0);
}

int
launcher_start(const struct launcher_config *cfg, struct ss_error *err)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        ss_fail(err, SS_ERR_IO, "socketpair: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        ss_fail(err, SS_ERR_IO, "fork: %s", strerror(errno));
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    if (pid == 0) {
        close(sv[0]);
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        launcher_main(cfg, sv[1]);
    }
    close(sv[1]);
    return sv[0];
}

int
launcher_request(int fd, const json_t *spec, const struct launcher_fds *fds, struct ss_error *err)
{
    static pthread_mutex_t one_at_a_time = PTHREAD_MUTEX_INITIALIZER;
    const char *name = json_string_value(json_object_get(spec, "name"));
    char *text = json_dumps(spec, JSON_COMPACT);
    if (!name)
        name = "a skill";
    if (!text || strlen(text) > REQUEST_BYTES) {
        free(text);
        ss_fail(err, SS_ERR_NOMEM, "cannot ask for a worker for %s", name);
        return -1;
    }
    int passed[3] = {fds->control, fds->output, fds->lifeline};
    char reply[601];
    int pidfd = -1, n = 0;
    ssize_t len = -1;

    pthread_mutex_lock(&one_at_a_time);
    if (send_with_fds(fd, text, strlen(text), passed, 3) >= 0)
        len = recv_with_fds(fd, reply, sizeof(reply) - 1, &pidfd, 1, &n);
    pthread_mutex_unlock(&one_at_a_time);
    free(text);
    if (len <= 0) {
        ss_fail(err, SS_ERR_SKILL_CRASHED, "the launcher of workers is gone");
        return -1;
    }
    reply[len] = '\0';
    if (strcmp(reply, "ok") != 0 || n != 1) {
        if (n == 1)
            close(pidfd);
        ss_fail(err, SS_ERR_SKILL_CRASHED, "cannot start a worker for %s: %s", name, reply);
        return -1;
    }
    return pidfd;
}
