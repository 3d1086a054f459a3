/*
 * access_log.c - one record per request (log.h's log_record, source
 * "access"): request_id, skill, type, intent, status, verification result
 * and the microseconds in verification, in the handler and in all; level
 * warning for a 5xx or a request that did not complete, info otherwise.
 *
 * What must stay true: everything the client or the skill controls
 * (requestId, path, a refused Host or Origin) is escaped (log_escape()), so
 * no request can forge a record or a field; a record is written with one
 * write() or datagram, so records of parallel requests never interleave.
 */
#include <stdio.h>
#include <string.h>

#include "front_internal.h"
#include "log.h"

/* "404 /skills/nope" or "200 thank_you IntentRequest ThankYouIntent": what
 * journalctl and a person reading the line see first. Built without printf:
 * it is written for every request. Returns its length. */
static int
summary(char out[320], const struct http_request *r, const struct request *req)
{
    char digits[BUF_DIGITS];
    char *d = buf_digits(digits, r->status);
    const char *parts[] = {r->skill ? r->skill->name : r->path, req ? req->type_name : NULL,
                           req ? req->intent_name : NULL};
    size_t n = (size_t)(digits + BUF_DIGITS - d);

    memcpy(out, d, n);
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        if (!parts[i])
            continue;
        size_t len = strnlen(parts[i], 128);
        if (n + 1 + len > 320)
            break;
        out[n++] = ' ';
        memcpy(out + n, parts[i], len);
        n += len;
    }
    return (int)n;
}

void
access_log_write(const struct http_request *r, enum MHD_RequestTerminationCode toe,
                 int64_t total_us)
{
    struct log_record l;
    const struct request *req = r->have_res && r->res.req.root ? &r->res.req : NULL;
    bool aborted = toe != MHD_REQUEST_TERMINATED_COMPLETED_OK;

    log_record_begin(&l, r->status >= 500 || aborted ? LOG_WARN : LOG_INFO, "access");
    log_record_str(&l, "request_id", req ? req->request_id : NULL, LIMIT_LOG_ID_BYTES);
    log_record_str(&l, "skill", r->skill ? r->skill->name : NULL, LIMIT_SKILL_NAME_CHARS);
    log_record_str(&l, "type", req ? req->type_name : NULL, 64);
    log_record_str(&l, "intent", req ? req->intent_name : NULL, 128);
    log_record_num(&l, "status", r->status);
    log_record_str(&l, "verify", r->verify ? r->verify : "", 64);
    log_record_num(&l, "verify_us", (long long)r->verify_us);
    log_record_num(&l, "handler_us", (long long)(r->have_res ? r->res.handler_us : 0));
    log_record_num(&l, "total_us", (long long)total_us);
    if (r->err != SS_ERR_OK)
        log_record_str(&l, "error", ss_err_name(r->err), 64);
    if (!r->skill)
        log_record_str(&l, "path", r->path, sizeof(r->path));
    if (r->refused_header)
        log_record_str(&l, r->refused_header, r->refused_value, sizeof(r->refused_value));
    if (aborted) {
        const char *why = r->conn && atomic_load(&r->conn->cut) ? "cut off: too slow"
                          : r->status == 0 ? "closed before the request was complete"
                                           : "closed before the answer was sent";
        log_record_str(&l, "aborted", why, 64);
    }
    char msg[320];
    log_record_end(&l, msg, summary(msg, r, req));
}
