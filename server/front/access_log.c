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
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "front_internal.h"
#include "log.h"

/* A log line being built; appending past the end is dropped, never
 * overflows. Built by hand rather than with printf: it is written for
 * every request. */
struct line {
    char buf[2048];
    size_t n; /* sizeof(buf) once something did not fit: the line is dropped */
};

static void
put(struct line *l, const char *text, size_t len)
{
    if (len > sizeof(l->buf) - l->n) {
        l->n = sizeof(l->buf);
        return;
    }
    memcpy(l->buf + l->n, text, len);
    l->n += len;
}

#define PUT(l, literal) put((l), (literal), sizeof(literal) - 1)

static void
put_text(struct line *l, const char *text)
{
    put(l, text, strlen(text));
}

static void
put_num(struct line *l, long long v)
{
    char digits[BUF_DIGITS];
    char *d = buf_digits(digits, v);
    put(l, d, (size_t)(digits + BUF_DIGITS - d));
}

/* ,"key":"value" with value escaped and cut at max bytes, or ,"key":null. */
static void
put_str(struct line *l, const char *key, const char *value, size_t max)
{
    char esc[6 * 128 + 1];
    PUT(l, ",\"");
    put_text(l, key);
    if (!value) {
        PUT(l, "\":null");
        return;
    }
    PUT(l, "\":\"");
    put(l, esc, log_escape(esc, sizeof(esc), value, max, LOG_ESCAPE_JSON));
    PUT(l, "\"");
}

/* {"time":"2024-05-01T12:00:00.123Z" into l. The date and time to the
 * second are kept per thread and written again only when the second
 * changes. */
static void
put_time(struct line *l)
{
    static _Thread_local time_t second = -1;
    static _Thread_local char stamp[32];
    static _Thread_local size_t stamp_len;
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != second) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        int n = snprintf(stamp, sizeof(stamp), "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.",
                         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                         tm.tm_sec);
        stamp_len = n > 0 && (size_t)n < sizeof(stamp) ? (size_t)n : 0;
        second = ts.tv_sec;
    }
    put(l, stamp, stamp_len);
    long ms = ts.tv_nsec / 1000000;
    char frac[5] = {(char)('0' + ms / 100), (char)('0' + ms / 10 % 10), (char)('0' + ms % 10), 'Z',
                    '"'};
    put(l, frac, sizeof(frac));
}

void
access_log_write(const struct http_request *r, enum MHD_RequestTerminationCode toe,
                 int64_t total_us)
{
    struct line l = {.n = 0};
    const struct request *req = r->have_res && r->res.req.root ? &r->res.req : NULL;

    put_time(&l);
    put_str(&l, "requestId", req ? req->request_id : NULL, LIMIT_LOG_ID_BYTES);
    put_str(&l, "skill", r->skill ? r->skill->name : NULL, LIMIT_SKILL_NAME_CHARS);
    put_str(&l, "type", req ? req->type_name : NULL, 64);
    put_str(&l, "intent", req ? req->intent_name : NULL, 128);
    PUT(&l, ",\"status\":");
    put_num(&l, r->status);
    PUT(&l, ",\"verify\":\"");
    put_text(&l, r->verify ? r->verify : "");
    PUT(&l, "\",\"verify_us\":");
    put_num(&l, (long long)r->verify_us);
    PUT(&l, ",\"handler_us\":");
    put_num(&l, (long long)(r->have_res ? r->res.handler_us : 0));
    PUT(&l, ",\"total_us\":");
    put_num(&l, (long long)total_us);
    if (r->err != SS_ERR_OK) {
        PUT(&l, ",\"error\":\"");
        put_text(&l, ss_err_name(r->err));
        PUT(&l, "\"");
    }
    if (!r->skill)
        put_str(&l, "path", r->path, sizeof(r->path));
    if (r->refused_header)
        put_str(&l, r->refused_header, r->refused_value, sizeof(r->refused_value));
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK) {
        const char *why = r->conn && atomic_load(&r->conn->cut) ? "cut off: too slow"
                          : r->status == 0 ? "closed before the request was complete"
                                           : "closed before the answer was sent";
        PUT(&l, ",\"aborted\":\"");
        put_text(&l, why);
        PUT(&l, "\"");
    }
    PUT(&l, "}");
    if (l.n < sizeof(l.buf))
        log_line(l.buf, (int)l.n);
}
