/*
 * answer.c - what the endpoint sends back: a response with its headers, a
 * JSON error with the status its error kind has, and a refusal decided from
 * the head and sent once the body has been read (see front_internal.h).
 *
 * What must stay true: an answer queued while the server drains, or for a
 * request whose framing or size was refused, ends its connection; every
 * message that quotes the client is escaped before it reaches the JSON.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "front_internal.h"
#include "log.h"

/* A response with body (freed with it when owned, on failure too) and its
 * Content-Type and Allow headers; NULL when it cannot be made. */
struct MHD_Response *
answer_response(char *body, size_t len, bool owned, const char *type, const char *allow)
{
    struct MHD_Response *resp;

    if (owned)
        resp = MHD_create_response_from_buffer_with_free_callback(len, body, free);
    else
        resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        if (owned)
            free(body);
        return NULL;
    }
    if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES ||
        (allow && MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow) != MHD_YES)) {
        MHD_destroy_response(resp);
        return NULL;
    }
    return resp;
}

enum MHD_Result
answer(struct http_request *r, struct MHD_Connection *connection, int status, char *body,
       size_t len, bool owned, const char *type, const char *allow)
{
    const char *extra[] = {allow ? MHD_HTTP_HEADER_ALLOW : NULL, allow, NULL};
    return answer_extra(r, connection, status, body, len, owned, type, extra);
}

enum MHD_Result
answer_extra(struct http_request *r, struct MHD_Connection *connection, int status, char *body,
             size_t len, bool owned, const char *type, const char *const *extra)
{
    enum MHD_Result ok = MHD_NO;
    struct MHD_Response *resp = answer_response(body, len, owned, type, NULL);

    if (!resp)
        return MHD_NO;
    for (size_t i = 0; extra && extra[i]; i += 2)
        if (MHD_add_response_header(resp, extra[i], extra[i + 1]) != MHD_YES)
            goto out;
    /* While draining, every answer ends its connection so keep-alive clients
     * go elsewhere and the drain finishes. (libmicrohttpd closes after an
     * answer queued before the body was read, and says so itself; r->close
     * makes sure of it.) */
    if ((r->close || atomic_load_explicit(&r->srv->draining, memory_order_relaxed)) &&
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close") != MHD_YES)
        goto out;
    ok = MHD_queue_response(connection, (unsigned)status, resp);
    if (ok == MHD_YES) {
        r->status = status;
        r->answered = true;
        conn_set(r->conn, CONN_BUSY);
    }
out:
    MHD_destroy_response(resp);
    return ok;
}

/* A short JSON error {"error": ..., "message": ...} with code's status. */
enum MHD_Result
answer_error(struct http_request *r, struct MHD_Connection *connection, enum ss_err code,
             const char *allow, const char *fmt, ...)
{
    static char oom[] = "{\"error\":\"out of memory\"}";
    char msg[sizeof(((struct ss_error *)0)->msg)];
    char safe[sizeof(msg)];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* The message may quote the client (a header, a path) cut at any byte;
     * jansson takes only UTF-8, and the client's terminal should not get
     * its own escape sequences back either. */
    log_escape(safe, sizeof(safe), msg, sizeof(msg), LOG_ESCAPE_TEXT);
    r->err = code;
    int status = ss_err_status(code);
    char *body = dispatch_error_body(code, safe);
    if (!body)
        return answer(r, connection, 500, oom, sizeof(oom) - 1, false, JSON_TYPE, NULL);
    return answer(r, connection, status, body, strlen(body), true, JSON_TYPE, allow);
}

/* Decide a 4xx from the request's head, to be sent once the body is read. */
void
answer_defer(struct http_request *r, enum ss_err code, const char *allow, const char *fmt, ...)
{
    va_list ap;
    r->reject = code;
    r->allow = allow;
    va_start(ap, fmt);
    vsnprintf(r->reject_msg, sizeof(r->reject_msg), fmt, ap);
    va_end(ap);
}
