/*
 * metrics.h - the counters behind GET /metrics, in Prometheus text format 0.0.4.
 *
 * Owns: per-skill request counters (by request type and HTTP status), a
 * latency histogram per skill, verification failures by reason, skill
 * failures by error kind, and the front's own counters (slow clients cut
 * off, connections refused at the limits, reloads). Pool-wide worker
 * counters are read from the pool when the page is rendered.
 *
 * What must stay true: counting never takes a lock and never allocates (the
 * request threads call it on every request); only skill registration (start
 * and reload, main thread) and rendering (a scrape) lock or allocate.
 * Counters only grow, across reloads too: a skill keeps its row by name.
 */
#ifndef SKILLSERVER_METRICS_H
#define SKILLSERVER_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "pool.h"
#include "request.h"
#include "verify.h"

/* The "type" label of a request that did not parse (REQ_OTHER + 1). */
#define METRICS_TYPE_NONE (REQ_OTHER + 1)

/* The row of requests that reached no skill (unknown skill, bad route, ...). */
#define METRICS_NO_SKILL 0u

struct metrics;

/* Gauges and counters owned elsewhere, read when the page is rendered. */
struct metrics_extra {
    const struct pool_stats *pool; /* NULL: no worker lines */
    unsigned connections;          /* open HTTP connections */
    unsigned in_flight;            /* requests between their first line and their answer */
    unsigned skills;               /* skills loaded */
};

/* NULL on OOM. */
struct metrics *metrics_create(void);

/* NULL-safe. No thread may be counting. */
void metrics_destroy(struct metrics *m);

/*
 * The row for the skill called name, created on first use; the same name
 * always gets the same row. Returns METRICS_NO_SKILL when LIMIT_METRICS_SKILLS
 * rows are taken. Thread-safe (takes a lock: call at start-up and reload, not
 * per request).
 */
unsigned metrics_skill_slot(struct metrics *m, const char *name);

/*
 * One answered request: slot from metrics_skill_slot() (or METRICS_NO_SKILL),
 * type an enum request_type or METRICS_TYPE_NONE, status the HTTP status
 * sent, total_us from its arrival to its answer. Lock-free.
 */
void metrics_count_request(struct metrics *m, unsigned slot, int type, int status,
                           int64_t total_us);

/* A request that failed verification (never called with VERIFY_R_NONE). Lock-free. */
void metrics_count_verify_failure(struct metrics *m, enum verify_reason reason);

/* A request a skill failed (dispatch's err: SKILL_TIMEOUT, SKILL_CRASHED, ...). Lock-free. */
void metrics_count_skill_error(struct metrics *m, unsigned slot, enum ss_err err);

/* A connection cut off for sending its request too slowly or idling too long. */
void metrics_count_slow_client(struct metrics *m);

/* A connection closed as soon as it was accepted, at the per-address or the total
 * connection limit. */
void metrics_count_refused_connection(struct metrics *m);

/* A reload of the skills (SIGHUP, or a file change in --dev). */
void metrics_count_reload(struct metrics *m);

/*
 * The whole page as a NUL-terminated string the caller frees; *len gets its
 * length. NULL on OOM. Thread-safe against concurrent counting (each counter
 * is read atomically; the page is not one snapshot).
 */
char *metrics_render(struct metrics *m, const struct metrics_extra *extra, size_t *len);

#endif
