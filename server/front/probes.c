/*
 * probes.c - /metrics and /healthz: the page of counters (metrics.h) with
 * the pool's and the connections' numbers, on the main listener, and the
 * --metrics-listen listener, plain HTTP, that serves only those two.
 *
 * What must stay true: the second listener runs no skill and reads no
 * body; it answers every request at its first call, so it keeps no state
 * per request.
 */
#include <stdlib.h>
#include <string.h>

#include "front_internal.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"

/* The /metrics page (the caller frees it), or NULL on OOM. */
static char *
render(struct http_server *srv, const struct generation *g, size_t *len)
{
    struct pool_stats ps;
    pool_stats(srv->pool, &ps);
    struct metrics_extra x = {
        .pool = &ps,
        .connections = atomic_load(&srv->connections),
        .in_flight = atomic_load(&srv->in_flight),
        .skills = (unsigned)g->skills->count,
    };
    return metrics_render(srv->metrics, &x, len);
}

enum MHD_Result
probes_answer_metrics(struct http_request *r, struct MHD_Connection *connection)
{
    size_t len = 0;
    char *page = render(r->srv, r->gen, &len);
    if (!page)
        return answer_error(r, connection, SS_ERR_NOMEM, NULL, "out of memory");
    return answer(r, connection, 200, page, len, true, METRICS_TYPE, NULL);
}

static enum MHD_Result
listener_reply(struct MHD_Connection *connection, unsigned status, char *body, size_t len,
               bool owned, const char *type, const char *allow)
{
    struct MHD_Response *resp = answer_response(body, len, owned, type, allow);
    if (!resp)
        return MHD_NO;
    enum MHD_Result ok = MHD_queue_response(connection, status, resp);
    MHD_destroy_response(resp);
    return ok;
}

/* A JSON error on the metrics listener: status of code, and message. */
static enum MHD_Result
listener_error(struct MHD_Connection *connection, enum ss_err code, const char *message,
               const char *allow)
{
    char *body = dispatch_error_body(code, message);
    if (!body)
        return MHD_NO;
    return listener_reply(connection, (unsigned)ss_err_status(code), body, strlen(body), true,
                          JSON_TYPE, allow);
}

/*
 * The --metrics-listen listener: GET (or HEAD) /metrics and /healthz, no
 * other route. Every request is answered at its first call, before any body
 * is read (libmicrohttpd then closes a connection whose body was not read),
 * so there is no state per request and nothing to log.
 */
static enum MHD_Result
on_metrics_access(void *cls, struct MHD_Connection *connection, const char *url, const char *method,
                  const char *version, const char *upload_data, size_t *upload_data_size,
                  void **req_cls)
{
    static char ok[] = "ok";
    struct http_server *srv = cls;
    char name[LIMIT_SKILL_NAME_CHARS + 1];
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)req_cls;

    enum http_route route = http_route_of(url, name, sizeof(name));
    if (route != HTTP_ROUTE_METRICS && route != HTTP_ROUTE_HEALTH)
        return listener_error(connection, SS_ERR_UNKNOWN_SKILL,
                              "only /metrics and /healthz are served here", NULL);
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return listener_error(connection, SS_ERR_METHOD, "use GET", "GET, HEAD");
    if (route == HTTP_ROUTE_HEALTH)
        return listener_reply(connection, 200, ok, 2, false, TEXT_TYPE, NULL);
    struct generation *g = generation_acquire(srv);
    size_t len = 0;
    char *page = render(srv, g, &len);
    generation_release(g);
    if (!page)
        return MHD_NO;
    return listener_reply(connection, 200, page, len, true, METRICS_TYPE, NULL);
}

int
probes_start_listener(struct http_server *srv)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    char where[80];

    if (srv->metrics_addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    srv->metrics_daemon = MHD_start_daemon(
        flags, 0, conn_on_accept, srv, on_metrics_access, srv, MHD_OPTION_EXTERNAL_LOGGER,
        conn_on_mhd_log, srv, MHD_OPTION_LISTEN_SOCKET, srv->metrics_fd,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)LIMIT_HTTP_METRICS_CONNECTIONS,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)LIMIT_HTTP_IDLE_S, MHD_OPTION_STRICT_FOR_CLIENT,
        (int)1, MHD_OPTION_END);
    if (!srv->metrics_daemon) {
        log_msg(LOG_ERROR, "cannot serve metrics on %s", srv->cfg.metrics_listen);
        return 1;
    }
    srv->metrics_fd = -1; /* libmicrohttpd's now */
    listen_learn_port(srv->metrics_daemon, &srv->metrics_addr);
    http_format_addr((struct sockaddr *)&srv->metrics_addr, where, sizeof(where));
    log_msg(LOG_INFO, "metrics: /metrics and /healthz on http://%s (plain HTTP)%s", where,
            http_addr_is_loopback((struct sockaddr *)&srv->metrics_addr)
                ? ""
                : "; anyone who can reach that address can read them");
    return 0;
}
