/*
 * notify.c - serve under systemd: the service's state told to systemd
 * (Type=notify: READY=1 once the port is open and the skills are loaded,
 * RELOADING=1 on SIGHUP and READY=1 again once the reload is done,
 * STOPPING=1 when draining, WATCHDOG=1 at half of WatchdogSec=, and a STATUS=
 * line with each), and a listening socket systemd passes (socket
 * activation: a .socket unit, or systemd-socket-activate).
 *
 * libsystemd is loaded with dlopen, and only when systemd's variables
 * (NOTIFY_SOCKET, LISTEN_FDS, WATCHDOG_USEC) are set: it brings eight
 * libraries of its own that no other run of skillserver needs (libs.c says
 * why that matters). Without those variables every function here does
 * nothing. Threads: notify_ready() is called by the loader thread, the rest
 * by the main thread; sd_notify() itself may be called from any thread.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "dynlib.h"
#include "front_internal.h"
#include "log.h"

#define LIBSYSTEMD "libsystemd.so.0"

static struct {
    int (*notify)(int, const char *);
    int (*listen_fds_with_names)(int, char ***);
    int (*is_socket)(int, int, int, int);
    int (*watchdog_enabled)(int, uint64_t *);
} sd;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool loaded;

static void
load(void)
{
    if (!getenv("NOTIFY_SOCKET") && !getenv("LISTEN_FDS") && !getenv("WATCHDOG_USEC"))
        return;
    void *lib = dlopen(LIBSYSTEMD, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        log_msg(LOG_WARN,
                "systemd started this server, but %s cannot be loaded (%s): systemd "
                "will not hear that it is ready, and a socket it passes is not used",
                LIBSYSTEMD, dlerror());
        return;
    }
    loaded = dynlib_resolve(lib, "sd_notify", &sd.notify) &&
             dynlib_resolve(lib, "sd_listen_fds_with_names", &sd.listen_fds_with_names) &&
             dynlib_resolve(lib, "sd_is_socket", &sd.is_socket) &&
             dynlib_resolve(lib, "sd_watchdog_enabled", &sd.watchdog_enabled);
    if (!loaded)
        log_msg(LOG_WARN, "%s lacks the functions serve needs; systemd is not told anything",
                LIBSYSTEMD);
}

static bool
ready(void)
{
    return pthread_once(&once, load) == 0 && loaded;
}

static void
say(const char *state)
{
    int rc = ready() ? sd.notify(0, state) : 0;
    if (rc < 0)
        log_msg(LOG_WARN, "cannot tell systemd \"%.*s\": %s", (int)strcspn(state, "\n"), state,
                strerror(-rc));
}

int
notify_take_socket(struct http_server *srv)
{
    if (!getenv("LISTEN_FDS") || !ready())
        return 0;
    char **names = NULL;
    /* 1: the variables go, so nothing started later takes them as its own. */
    int n = sd.listen_fds_with_names(1, &names);
    int rc = -1;
    if (n < 0) {
        log_msg(LOG_ERROR, "systemd passed sockets that cannot be used: %s", strerror(-n));
        goto out;
    }
    if (n == 0) {
        rc = 0;
        goto out;
    }
    if (n > 1) {
        log_msg(LOG_ERROR,
                "systemd passed %d sockets; serve takes one, its HTTPS port (one ListenStream= "
                "in skillserver.socket)",
                n);
        goto out;
    }
    int fd = SD_LISTEN_FDS_START;
    srv->addr_len = sizeof(srv->addr);
    if (sd.is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0 ||
        getsockname(fd, (struct sockaddr *)&srv->addr, &srv->addr_len) != 0 ||
        (srv->addr.ss_family != AF_INET && srv->addr.ss_family != AF_INET6)) {
        log_msg(LOG_ERROR, "the socket systemd passed is not a listening TCP socket (use "
                           "ListenStream= in skillserver.socket)");
        goto out;
    }
    srv->listen_fd = fd;
    http_format_addr((struct sockaddr *)&srv->addr, srv->inherited, sizeof(srv->inherited));
    if (srv->cfg.listen)
        log_msg(LOG_INFO, "listening on the socket systemd passed (%s), not on --listen %s",
                srv->inherited, srv->cfg.listen);
    srv->cfg.listen = srv->inherited;
    rc = 1;
out:
    for (size_t i = 0; names && names[i]; i++)
        free(names[i]);
    free(names);
    return rc;
}

void
notify_ready(struct http_server *srv)
{
    if (!ready())
        return;
    char state[256];
    struct generation *g = generation_acquire(srv);
    snprintf(state, sizeof(state), "READY=1\nSTATUS=serving %zu skill%s on %s", g->skills->count,
             g->skills->count == 1 ? "" : "s", srv->where);
    generation_release(g);
    say(state);
}

void
notify_reloading(void)
{
    if (!ready())
        return;
    struct timespec ts;
    char state[128];
    clock_gettime(CLOCK_MONOTONIC, &ts);
    snprintf(state, sizeof(state),
             "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading the skills and the certificate",
             (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
    say(state);
}

void
notify_stopping(void)
{
    say("STOPPING=1\nSTATUS=stopping: finishing the requests in flight");
}

void
notify_watchdog(void)
{
    static uint64_t every_us;
    static int64_t last_us;
    static bool asked;
    if (!ready())
        return;
    if (!asked) {
        asked = true;
        uint64_t usec = 0;
        if (sd.watchdog_enabled(0, &usec) > 0)
            every_us = usec / 2;
    }
    if (!every_us)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    if (now - last_us < (int64_t)every_us)
        return;
    last_us = now;
    say("WATCHDOG=1");
}
