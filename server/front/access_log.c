/*
 * access_log.c - one JSON line per request on stderr: time, requestId,
 * skill, type, intent, status, verification result and the microseconds in
 * verification, in the handler and in all.
 *
 * What must stay true: everything the client or the skill controls
 * (requestId, path, a refused Host or Origin) is escaped (log_escape()), so
 * a line starts with '{' only here and no request can forge one; a line is
 * written with one write() (log_line()), so lines of parallel requests
 * never interleave, and one that would not fit is dropped, never cut.
 */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "front_internal.h"
#include "log.h"

/* A log line being built; appending past the end is dropped, never overflows. */
struct line {
    char buf[2048];
    size_t n;
};

__attribute__((format(printf, 2, 3))) static void
put(struct line *l, const char *fmt, ...)
{
    va_list ap;
    if (l->n >= sizeof(l->buf))
        return;
    va_start(ap, fmt);
    int w = vsnprintf(l->buf + l->n, sizeof(l->buf) - l->n, fmt, ap);
    va_end(ap);
    l->n = w < 0 ? sizeof(l->buf) : l->n + (size_t)w;
}

/* ,"key":"value" with value escaped and cut at max bytes, or ,"key":null. */
static void
put_str(struct line *l, const char *key, const char *value, size_t max)
{
    char esc[6 * 128 + 1];
    if (!value) {
        put(l, ",\"%s\":null", key);
        return;
    }
    log_escape(esc, sizeof(esc), value, max, LOG_ESCAPE_JSON);
    put(l, ",\"%s\":\"%s\"", key, esc);
}

void
access_log_write(const struct http_request *r, enum MHD_RequestTerminationCode toe,
                 int64_t total_us)
{
    struct line l = {.n = 0};
    struct timespec ts;
    struct tm tm;
    const struct request *req = r->have_res && r->res.req.root ? &r->res.req : NULL;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    put(&l, "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\"", tm.tm_year + 1900, tm.tm_mon + 1,
        tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
    put_str(&l, "requestId", req ? req->request_id : NULL, LIMIT_LOG_ID_BYTES);
    put_str(&l, "skill", r->skill ? r->skill->name : NULL, LIMIT_SKILL_NAME_CHARS);
    put_str(&l, "type", req ? req->type_name : NULL, 64);
    put_str(&l, "intent", req ? req->intent_name : NULL, 128);
    put(&l,
        ",\"status\":%d,\"verify\":\"%s\",\"verify_us\":%lld,\"handler_us\":%lld,"
        "\"total_us\":%lld",
        r->status, r->verify, (long long)r->verify_us,
        (long long)(r->have_res ? r->res.handler_us : 0), (long long)total_us);
    if (r->err != SS_ERR_OK)
        put(&l, ",\"error\":\"%s\"", ss_err_name(r->err));
    if (!r->skill)
        put_str(&l, "path", r->path, sizeof(r->path));
    if (r->refused_header)
        put_str(&l, r->refused_header, r->refused_value, sizeof(r->refused_value));
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK) {
        const char *why = r->conn && atomic_load(&r->conn->cut) ? "cut off: too slow"
                          : r->status == 0 ? "closed before the request was complete"
                                           : "closed before the answer was sent";
        put(&l, ",\"aborted\":\"%s\"", why);
    }
    put(&l, "}");
    if (l.n < sizeof(l.buf))
        log_line(l.buf, (int)l.n);
}
