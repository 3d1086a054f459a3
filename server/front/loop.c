/*
 * loop.c - the event loops of a plain-HTTP endpoint: one thread per CPU,
 * each running a libmicrohttpd daemon of its own in external epoll mode
 * and one of the pool's worker I/O loops (pool_io_run()). A request is
 * read, verified and sent to a worker on a loop's thread; the worker's
 * answer comes back to the same thread (the pool gives a loop's requests
 * to that loop's idle workers first), which resumes the connection and
 * writes the response in the same turn. No other thread is woken for a
 * request, where libmicrohttpd's own threads need the pool's I/O thread
 * to read the answer and then a wake-up of the HTTP thread to send it.
 *
 * The loops accept from the listening socket themselves (the kernel wakes
 * one of them for each new connection) and give each connection to the
 * loop that runs the fewest, which adds it to its daemon: connections stay
 * spread evenly over the CPUs however the wake-ups fall. Each daemon has
 * its share of --max-connections, as libmicrohttpd's own thread pool
 * splits it; --max-connections-per-address is counted across them by
 * conn.c (libmicrohttpd counts per daemon).
 *
 * TLS, --dev and --class keep libmicrohttpd's threads: with epoll,
 * libmicrohttpd 0.9.75 spins on a TLS handshake that waits for the client
 * (tls.c), and the simulator and the class's pages wait for a skill on
 * their thread, which here would be the thread that must read the answer.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "front_internal.h"
#include "log.h"
#include "pool.h"
#include "proto.h"

/* What woke a loop: epoll data of its descriptors. */
enum { LOOP_HTTP, LOOP_WORKERS, LOOP_WAKE, LOOP_LISTEN };

/* Connections accepted at once, and handed to a loop before it adds them. */
#define ACCEPT_BATCH 16
#define INBOX_CONNS 64

/* How long a loop stops accepting when the process is out of descriptors
 * or memory (the listening socket would stay readable). */
#define ACCEPT_PAUSE_MS 100

struct new_conn {
    int fd;
    struct sockaddr_storage addr;
    socklen_t len;
};

struct http_loop {
    struct http_server *srv;
    unsigned index;
    struct MHD_Daemon *daemon;
    int epfd; /* libmicrohttpd's epoll set, the pool loop's, and wake */
    int wake; /* an eventfd: loop_wake() and loop_stop_all() write it */
    atomic_bool quit;
    bool again;        /* a connection of its own was resumed during its turn */
    atomic_uint conns; /* connections it runs or is about to add */
    /* Connections another loop accepted for this one. */
    pthread_mutex_t inbox_lock;
    struct new_conn inbox[INBOX_CONNS];
    unsigned inbox_n;
    bool listening;       /* the listening socket is in its epoll set */
    int64_t accept_after; /* while paused: when to listen again */
    pthread_t thread;
    bool running;
};

/* The loop the calling thread runs; NULL on other threads. */
static __thread struct http_loop *current;

struct http_loop *
loop_current(void)
{
    return current;
}

/* libmicrohttpd has no wake-up of its own in external mode: a resumed
 * connection waits for its daemon's next turn. On another thread (an
 * answer read by another loop, a call the keeper failed) the loop is woken;
 * on its own, the loop takes another turn before it sleeps. */
void
loop_wake(struct http_loop *l)
{
    uint64_t one = 1;
    if (!l)
        return;
    if (l == current)
        l->again = true;
    else if (write(l->wake, &one, sizeof(one)) < 0 && errno != EAGAIN)
        log_msg(LOG_ERROR, "cannot wake an HTTP loop: %s", strerror(errno));
}

bool
loop_wanted(const struct http_server *srv)
{
    return !srv->tls_cert_pem && !srv->cfg.dev && !srv->cfg.class_mode;
}

unsigned
loop_count(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus < 1)
        cpus = 1;
    return (unsigned)cpus > LIMIT_HTTP_THREADS_MAX ? LIMIT_HTTP_THREADS_MAX : (unsigned)cpus;
}

/* Between requests of a long turn of the daemon: the workers' answers, so
 * that a worker gets its next request without waiting for the turn's end. */
void
loop_poll_workers(struct http_loop *l)
{
    if (l && l == current)
        pool_io_poll(l->srv->pool);
}

/* conn.c's count of a connection that ended. */
void
loop_conn_closed(struct http_loop *l)
{
    if (l)
        atomic_fetch_sub(&l->conns, 1);
}

/* Add a new connection to l's daemon (l's thread). libmicrohttpd closes it
 * when it refuses it (the accept policy, a limit, no memory). */
static void
add_conn(struct http_loop *l, struct new_conn *c)
{
    if (MHD_add_connection(l->daemon, c->fd, (struct sockaddr *)&c->addr, c->len) != MHD_YES)
        atomic_fetch_sub(&l->conns, 1);
}

/* The loop that runs the fewest connections, counting c in. */
static struct http_loop *
least_busy(struct http_server *srv)
{
    struct http_loop *best = &srv->loops[0];
    unsigned fewest = atomic_load(&best->conns);
    for (unsigned i = 1; i < srv->nloops; i++) {
        unsigned n = atomic_load(&srv->loops[i].conns);
        if (n < fewest) {
            fewest = n;
            best = &srv->loops[i];
        }
    }
    atomic_fetch_add(&best->conns, 1);
    return best;
}

static void
listen_again(struct http_loop *l, bool on)
{
    struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.u32 = LOOP_LISTEN};
    int fd = l->srv->listen_fd;
    if (on == l->listening)
        return;
    if (epoll_ctl(l->epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, fd, on ? &ev : NULL) == 0)
        l->listening = on;
    else
        log_msg(LOG_ERROR, "an HTTP loop cannot %s the listening socket: %s",
                on ? "watch" : "forget", strerror(errno));
}

/* New connections: each to the loop that runs the fewest. */
static void
accept_conns(struct http_loop *l)
{
    struct http_server *srv = l->srv;
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        struct new_conn c;
        c.len = sizeof(c.addr);
        c.fd = accept4(srv->listen_fd, (struct sockaddr *)&c.addr, &c.len,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c.fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED)
                return;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                /* Connections wait in the backlog until some close. */
                log_msg(LOG_WARN, "cannot accept a connection: %s; trying again in %d ms",
                        strerror(errno), ACCEPT_PAUSE_MS);
                listen_again(l, false);
                l->accept_after = proto_now_ms() + ACCEPT_PAUSE_MS;
            } else {
                log_msg(LOG_ERROR, "cannot accept a connection: %s", strerror(errno));
            }
            return;
        }
        struct http_loop *to = least_busy(srv);
        if (to == l) {
            add_conn(l, &c);
            continue;
        }
        pthread_mutex_lock(&to->inbox_lock);
        bool room = to->inbox_n < INBOX_CONNS;
        if (room)
            to->inbox[to->inbox_n++] = c;
        pthread_mutex_unlock(&to->inbox_lock);
        if (room) {
            loop_wake(to);
        } else {
            atomic_fetch_sub(&to->conns, 1);
            atomic_fetch_add(&l->conns, 1);
            add_conn(l, &c);
        }
    }
}

/* Connections other loops accepted for this one. */
static void
take_inbox(struct http_loop *l)
{
    struct new_conn batch[INBOX_CONNS];
    pthread_mutex_lock(&l->inbox_lock);
    unsigned n = l->inbox_n;
    memcpy(batch, l->inbox, n * sizeof(batch[0]));
    l->inbox_n = 0;
    pthread_mutex_unlock(&l->inbox_lock);
    for (unsigned i = 0; i < n; i++)
        add_conn(l, &batch[i]);
}

static void *
loop_main(void *arg)
{
    struct http_loop *l = arg;
    struct http_server *srv = l->srv;
    char name[16];

    snprintf(name, sizeof(name), "ss-http-%u", l->index);
    (void)pthread_setname_np(pthread_self(), name); /* for top -H and perf */
    pool_io_home(srv->pool, l->index);
    current = l;

    bool workers_ready = true;
    int64_t workers_due = 0;
    listen_again(l, true);
    for (;;) {
        /* The workers first: the answers they end resume their
         * connections, which the daemon's turn then answers. */
        if (workers_ready || proto_now_ms() >= workers_due) {
            int wait = pool_io_run(srv->pool, l->index);
            if (wait < 0)
                break;
            workers_due = proto_now_ms() + wait;
        }
        (void)MHD_run(l->daemon);

        int64_t timeout = workers_due - proto_now_ms();
        if (!l->listening) {
            if (proto_now_ms() >= l->accept_after)
                listen_again(l, true);
            else if (l->accept_after - proto_now_ms() < timeout)
                timeout = l->accept_after - proto_now_ms();
        }
        MHD_UNSIGNED_LONG_LONG http_ms;
        if (MHD_get_timeout(l->daemon, &http_ms) == MHD_YES && (int64_t)http_ms < timeout)
            timeout = (int64_t)http_ms;
        if (timeout < 0 || l->again)
            timeout = 0;
        l->again = false;
        struct epoll_event ev[4];
        int n = epoll_wait(l->epfd, ev, 4, (int)timeout);
        if (n < 0 && errno != EINTR) {
            log_msg(LOG_ERROR, "an HTTP loop cannot wait: %s", strerror(errno));
            break;
        }
        workers_ready = false;
        for (int i = 0; i < n; i++) {
            if (ev[i].data.u32 == LOOP_WORKERS)
                workers_ready = true;
            if (ev[i].data.u32 == LOOP_LISTEN)
                accept_conns(l);
            if (ev[i].data.u32 == LOOP_WAKE) {
                uint64_t v;
                if (read(l->wake, &v, sizeof(v)) < 0 && errno != EAGAIN)
                    log_msg(LOG_ERROR, "an HTTP loop: %s", strerror(errno));
                take_inbox(l);
            }
        }
        if (atomic_load(&l->quit))
            break;
    }
    return NULL;
}

static bool
watch(int epfd, int fd, uint32_t tag)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = tag};
    return fd >= 0 && epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == 0;
}

int
loop_start_all(struct http_server *srv, struct MHD_Daemon **daemons, unsigned n)
{
    srv->loops = calloc(n, sizeof(*srv->loops));
    if (!srv->loops) {
        for (unsigned i = 0; i < n; i++)
            MHD_stop_daemon(daemons[i]);
        log_msg(LOG_ERROR, "out of memory");
        return 1;
    }
    srv->nloops = n;
    for (unsigned i = 0; i < n; i++) {
        struct http_loop *l = &srv->loops[i];
        l->srv = srv;
        l->index = i;
        l->daemon = daemons[i];
        l->epfd = l->wake = -1;
        atomic_init(&l->quit, false);
        atomic_init(&l->conns, 0);
        pthread_mutex_init(&l->inbox_lock, NULL);
    }
    for (unsigned i = 0; i < n; i++) {
        struct http_loop *l = &srv->loops[i];
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(l->daemon, MHD_DAEMON_INFO_EPOLL_FD);
        if ((l->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
            (l->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0 || !info ||
            !watch(l->epfd, info->epoll_fd, LOOP_HTTP) ||
            !watch(l->epfd, pool_io_fd(srv->pool, i), LOOP_WORKERS) ||
            !watch(l->epfd, l->wake, LOOP_WAKE)) {
            log_msg(LOG_ERROR, "cannot set up an HTTP loop: %s", strerror(errno));
            return 1;
        }
    }
    for (unsigned i = 0; i < n; i++) {
        struct http_loop *l = &srv->loops[i];
        if (pthread_create(&l->thread, NULL, loop_main, l) != 0) {
            log_msg(LOG_ERROR, "cannot start an HTTP loop's thread");
            return 1;
        }
        l->running = true;
    }
    return 0;
}

void
loop_stop_all(struct http_server *srv)
{
    for (unsigned i = 0; i < srv->nloops; i++) {
        struct http_loop *l = &srv->loops[i];
        atomic_store(&l->quit, true);
        if (l->running)
            loop_wake(l);
    }
    for (unsigned i = 0; i < srv->nloops; i++) {
        struct http_loop *l = &srv->loops[i];
        if (l->running)
            pthread_join(l->thread, NULL);
        l->running = false;
    }
}

void
loop_free_all(struct http_server *srv)
{
    loop_stop_all(srv);
    for (unsigned i = 0; i < srv->nloops; i++) {
        MHD_stop_daemon(srv->loops[i].daemon);
        if (srv->loops[i].epfd >= 0)
            close(srv->loops[i].epfd);
        if (srv->loops[i].wake >= 0)
            close(srv->loops[i].wake);
        /* Connections handed over but never added. */
        for (unsigned k = 0; k < srv->loops[i].inbox_n; k++)
            close(srv->loops[i].inbox[k].fd);
        pthread_mutex_destroy(&srv->loops[i].inbox_lock);
    }
    free(srv->loops);
    srv->loops = NULL;
    srv->nloops = 0;
}
