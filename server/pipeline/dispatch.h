/*
 * dispatch.h - one request through the pipeline.
 *
 * request (parse) -> verify_parsed() -> store (load) -> pool (the skill's
 * worker runs the handler) -> response (envelope, limits, SSML) -> store
 * (save) -> JSON text. `invoke`, `say` and `serve` all run this: there is
 * one pipeline, not two. Which verification rules apply is not dispatch's
 * decision: each caller names its policy (verify.h), and verify owns every
 * rule, the applicationId one included.
 *
 * Whatever the skill does - raise, time out, crash, return nonsense or bad
 * SSML - a request that parsed gets a valid Alexa response: the skill's, or
 * a spoken apology (in --dev, the spoken error). Only a request that is not
 * a valid Alexa request, or that verification refuses, gets a 4xx.
 */
#ifndef SKILLSERVER_DISPATCH_H
#define SKILLSERVER_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "pool.h"
#include "request.h"
#include "skill.h"
#include "store.h"
#include "verify.h"

struct dispatch_ctx {
    struct pool *pool;   /* the skills' workers */
    struct store *store; /* persistent attributes; NULL to keep none */
    bool dev;            /* speak errors in detail */
    bool pretty;         /* indent the response JSON */
    /* Also log, after a skill's error, the sentence written for its author
     * (what --dev speaks): `say` and `invoke`, where the author reads the log. */
    bool explain;
    /* NULL, or why the caller's pool_start() of the skill failed (other
     * than SS_ERR_SKILL_LOAD, which the pool remembers itself): requests
     * are answered with that failure instead of starting the skill again. */
    const struct ss_error *start_error;
};

struct dispatch_result {
    int status; /* HTTP status of the answer */
    char *body; /* owned: the JSON text to send */
    size_t len;
    enum ss_err
        err; /* SS_ERR_OK, or what went wrong (the body is then an apology or a 4xx error) */
    struct ss_error error; /* the operator's detail */
    struct request req;    /* the parsed request (zeroed when it did not parse) */
    int64_t handler_us;    /* time in the worker */
};

/*
 * Run body[0..len) for skill: parse it, pass it through verify_parsed()
 * with policy (the caller's path: VERIFY_POLICY_LOCAL for `invoke` and
 * `say`; a policy that checks signatures needs verify_raw() on the body
 * first, which only a caller with the headers can do), then run it.
 * arrival_ms (proto_now_ms()) starts the deadlines. Fills res (release with
 * dispatch_result_cleanup) and returns res->err; a refused request gets
 * res->status 400 (500 for a NULL policy) and reaches no worker. res->body
 * is NULL only when out of memory.
 */
enum ss_err dispatch_run(const struct dispatch_ctx *ctx, const struct verify_policy *policy,
                         const struct skill *skill, const char *body, size_t len,
                         int64_t arrival_ms, struct dispatch_result *res);

/*
 * The first half of dispatch_run(): parse body[0..len) into *parsed (a view
 * of the body, for dispatch_run_parsed()) and pass it through
 * verify_parsed() with policy. Returns SS_ERR_OK with res untouched, or the
 * refusal, with res filled as dispatch_run() fills it (release with
 * dispatch_result_cleanup(); *parsed is then empty). For a caller that
 * starts the skill between the check and the run (invoke).
 */
enum ss_err dispatch_check(const struct verify_policy *policy, const struct skill *skill,
                           const char *body, size_t len, struct request *parsed,
                           struct dispatch_result *res);

/*
 * The same for a body the caller has parsed and verified already: the front
 * runs verify_raw() before parsing and verify_parsed() between routing and
 * this call (see verify.h for why the order matters), so parsed must have
 * passed both. parsed, the view of exactly body[0..len), moves into res->req
 * and is left zeroed, so the body is parsed once per request.
 */
enum ss_err dispatch_run_parsed(const struct dispatch_ctx *ctx, const struct skill *skill,
                                const char *body, size_t len, struct request *parsed,
                                int64_t arrival_ms, struct dispatch_result *res);

/*
 * dispatch_run_parsed() with deadlines of the caller's instead of the
 * pool's: due_ms (the hard one: the skill is stopped and the timeout
 * sentence spoken) and soft_at_ms (DeadlineExceeded inside the handler),
 * both on proto_now_ms()'s clock, and trace_id (NULL, or the X-Ray trace
 * header the skill sees as _X_AMZN_TRACE_ID). `lambda` passes the
 * invocation's, from Lambda-Runtime-Deadline-Ms and Lambda-Runtime-Trace-Id.
 */
enum ss_err dispatch_run_until(const struct dispatch_ctx *ctx, const struct skill *skill,
                               const char *body, size_t len, struct request *parsed,
                               int64_t arrival_ms, int64_t due_ms, int64_t soft_at_ms,
                               const char *trace_id, struct dispatch_result *res);

/*
 * dispatch_run_parsed() in two halves, for a caller that must not block
 * while the skill runs (the endpoint's threads):
 *
 * dispatch_begin() loads the user's attributes and hands the request to
 * the pool. It returns true when the skill is running: done(arg) is called
 * once, from the pool's thread, when dispatch_end() may run. It returns
 * false when res is complete already (the skill could not be started, or
 * the attributes could not be read: an apology). ctx, skill and
 * body[0..len) must stay alive until the last dispatch_end(); parsed is
 * taken over as dispatch_run_parsed() does.
 *
 * dispatch_end() builds the answer from the skill's reply (response
 * checks, SSML, the attributes saved) into res and returns true. It
 * returns false, with res not yet an answer, when the handler changed the
 * attributes but another request of the same user saved first (store.h's
 * compare-and-set): the handler must run again on the new attributes, at
 * most LIMIT_STORE_CONFLICT_RETRIES times, within the same deadline. The
 * caller then makes sure done() will find it waiting again (the front
 * suspends the connection) and calls dispatch_again(), which reloads the
 * attributes and resubmits, returning as dispatch_begin() does; a call
 * that runs again ends with another dispatch_end(). When the retries are
 * used up the answer is an apology (SS_ERR_STORE_CONFLICT) and the log
 * says so: an update is never lost silently.
 *
 * dispatch_begin(), dispatch_end() and dispatch_again() may block on the
 * store (store.h's limits): call them on the endpoint's threads, never on
 * the pool's.
 */
struct dispatch_call {
    struct pool_job job;
    char *attributes;
    int64_t version; /* of the attributes loaded (store.h), for the save */
    int reruns;      /* times the handler ran again after a conflict */
    const struct dispatch_ctx *ctx;
    void (*done)(void *arg);
    void *arg;
};

bool dispatch_begin(const struct dispatch_ctx *ctx, const struct skill *skill, const char *body,
                    size_t len, struct request *parsed, int64_t arrival_ms,
                    struct dispatch_result *res, struct dispatch_call *call,
                    void (*done)(void *arg), void *arg);
bool dispatch_end(struct dispatch_call *call, struct dispatch_result *res);
bool dispatch_again(struct dispatch_call *call, struct dispatch_result *res);

void dispatch_result_cleanup(struct dispatch_result *res);

/* A short JSON error body {"error": "...", "message": "..."} for 4xx answers;
 * caller frees. NULL on OOM. */
char *dispatch_error_body(enum ss_err code, const char *message);

#endif
