/*
 * conn.c - the endpoint's connections: what each one is doing, the reaper
 * that cuts off clients that send too slowly or idle too long, new
 * connections turned away while draining, and the connections
 * libmicrohttpd closes at the connection caps (--max-connections,
 * --max-connections-per-address), counted instead of logged one by one.
 *
 * Threads: libmicrohttpd's threads add, update and remove connections; the
 * main thread reaps. What must stay true: the reaper shuts a descriptor
 * down only under conn_lock and only while its connection is listed, so it
 * never touches a descriptor number libmicrohttpd has closed and reused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "front_internal.h"
#include "log.h"
#include "metrics.h"
#include "proto.h"

void
conn_set(struct http_conn *c, enum conn_state state)
{
    if (!c)
        return;
    /* since first, then state with release: a reaper that sees the new state
     * (acquire) sees its new time too, so it never judges a fresh state by an
     * old clock. */
    atomic_store_explicit(&c->since_ms, proto_now_ms(), memory_order_relaxed);
    atomic_store_explicit(&c->state, (int)state, memory_order_release);
}

void
conn_on_notify(void *cls, struct MHD_Connection *connection, void **socket_context,
               enum MHD_ConnectionNotificationCode toe)
{
    struct http_server *srv = cls;

    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct http_conn *c = calloc(1, sizeof(*c));
        if (!c || !info) {
            /* Without tracking the connection is only subject to libmicrohttpd's
             * idle timeout (and has the certificate of the start); better than
             * refusing it. */
            tls_on_connection(srv, connection, NULL);
            free(c);
            *socket_context = NULL;
            return;
        }
        tls_on_connection(srv, connection, &c->tls);
        c->fd = info->connect_fd;
        /* A new connection owes its first request (TLS handshake included)
         * within the receive limit. */
        conn_set(c, CONN_RECEIVING);
        pthread_mutex_lock(&srv->conn_lock);
        c->next = srv->conns;
        if (srv->conns)
            srv->conns->prev = c;
        srv->conns = c;
        pthread_mutex_unlock(&srv->conn_lock);
        atomic_fetch_add(&srv->connections, 1);
        *socket_context = c;
        return;
    }
    /* MHD_CONNECTION_NOTIFY_CLOSED comes before libmicrohttpd closes the
     * descriptor: once c is unlinked under the lock, the reaper can no longer
     * shut down a descriptor number that may be reused. */
    struct http_conn *c = *socket_context;
    if (!c)
        return;
    pthread_mutex_lock(&srv->conn_lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&srv->conn_lock);
    atomic_fetch_sub(&srv->connections, 1);
    /* libmicrohttpd has let go of the TLS session by now (0.9.75 calls
     * gnutls_deinit() before this notice). */
    tls_release(c->tls);
    free(c);
    *socket_context = NULL;
}

struct http_conn *
conn_of(struct MHD_Connection *connection)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? info->socket_context : NULL;
}

/* Called when a request's first line has arrived. On a kept-alive connection
 * its receive deadline starts now; on a new one it runs since accept(). */
void *
conn_on_uri(void *cls, const char *uri, struct MHD_Connection *connection)
{
    struct http_conn *c = conn_of(connection);
    (void)cls;
    (void)uri;
    if (c && atomic_load_explicit(&c->state, memory_order_relaxed) == CONN_IDLE)
        conn_set(c, CONN_RECEIVING);
    return NULL;
}

/* libmicrohttpd's own timeout restarts with every byte, so a client
 * trickling one byte a second would never hit it. */
void
conn_reap_slow(struct http_server *srv)
{
    int64_t now = proto_now_ms();
    unsigned cut = 0;

    pthread_mutex_lock(&srv->conn_lock);
    for (struct http_conn *c = srv->conns; c; c = c->next) {
        int state = atomic_load_explicit(&c->state, memory_order_acquire);
        int64_t age = now - atomic_load_explicit(&c->since_ms, memory_order_relaxed);
        if (atomic_load_explicit(&c->cut, memory_order_relaxed))
            continue;
        if ((state == CONN_RECEIVING && age > LIMIT_HTTP_RECEIVE_MS) ||
            (state == CONN_IDLE && age > (int64_t)LIMIT_HTTP_IDLE_S * 1000)) {
            /* The thread that owns the connection sees end-of-file and closes
             * it; cut is set first so its log line can say why. */
            atomic_store_explicit(&c->cut, true, memory_order_relaxed);
            shutdown(c->fd, SHUT_RDWR);
            if (state == CONN_RECEIVING)
                cut++;
        }
    }
    pthread_mutex_unlock(&srv->conn_lock);
    for (unsigned i = 0; i < cut; i++)
        metrics_count_slow_client(srv->metrics);
    if (cut)
        log_msg(LOG_WARN, "cut off %u client%s that sent a request too slowly (limit %d ms)", cut,
                cut == 1 ? "" : "s", LIMIT_HTTP_RECEIVE_MS);
}

/* While draining, connections are closed as soon as they are accepted: this
 * stops new work without touching libmicrohttpd's epoll sets, which
 * MHD_quiesce_daemon() does from another thread and which can race with a
 * pool thread (libmicrohttpd 0.9.75 then aborts the process). */
enum MHD_Result
conn_on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    struct http_server *srv = cls;
    (void)addr;
    (void)addrlen;
    return atomic_load_explicit(&srv->draining, memory_order_relaxed) ? MHD_NO : MHD_YES;
}

void
conn_on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct http_server *srv = cls;
    char buf[512];
    /* A connection over a limit is closed as soon as it is accepted, with
     * this message (libmicrohttpd 0.9.75, daemon.c). One line each would let
     * a client fill the log by connecting in a loop: they are counted, and
     * the main loop reports the count at most once a second. (Should a
     * translated message not match, they are logged one by one as before.) */
    if (strstr(fmt, "reached connection limit")) {
        atomic_fetch_add_explicit(&srv->refused, 1, memory_order_relaxed);
        metrics_count_refused_connection(srv->metrics);
        return;
    }
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    if (n <= 0)
        return;
    if ((size_t)n >= sizeof(buf))
        n = (int)sizeof(buf) - 1;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    log_msg(LOG_WARN, "http: %s", buf);
}

void
conn_report_refused(struct http_server *srv)
{
    unsigned refused = atomic_load_explicit(&srv->refused, memory_order_relaxed);
    if (refused != srv->refused_logged) {
        log_msg(LOG_WARN,
                "closed %u new connection%s at once: at the limit of %u per address or %u "
                "in all (--max-connections-per-address, --max-connections)",
                refused - srv->refused_logged, refused - srv->refused_logged == 1 ? "" : "s",
                srv->max_per_address, srv->max_connections);
        srv->refused_logged = refused;
    }
}
