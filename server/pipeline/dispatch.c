/*
 * dispatch.c - the pipeline of one request (see dispatch.h).
 */
#include "dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "response.h"
#include "ss_limits.h"

/* Longest sentence spoken for an error in --dev mode. */
#define DEV_SENTENCE_CHARS 600

char *
dispatch_error_body(enum ss_err code, const char *message)
{
    json_t *o = json_pack("{s:s, s:s}", "error", ss_err_text(code), "message", message);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return text;
}

struct warn_ctx {
    const struct skill *skill;
    const char *request_id;
};

static void
warn_response(void *ctx, const char *message)
{
    struct warn_ctx *w = ctx;
    log_request_msg(LOG_WARN, w->skill->name, w->request_id, "%s", message);
}

/* Fill res with a 4xx answer for a request we refuse. */
static enum ss_err
refuse(struct dispatch_result *res, enum ss_err code)
{
    res->err = code;
    res->status = ss_err_status(code);
    res->body = dispatch_error_body(code, res->error.msg);
    res->len = res->body ? strlen(res->body) : 0;
    return code;
}

/* Whether spoken, the sentence for the skill's author, says more than
 * message, the error for the log: a hint after it ("... to str. To put a
 * number into words, write str(number)."), or other words altogether. */
static bool
says_more(const char *spoken, const char *message)
{
    const char *at = message && message[0] ? strstr(spoken, message) : NULL;
    if (!at)
        return true;
    for (at += strlen(message); *at; at++)
        if (*at != '.' && *at != ' ')
            return true;
    return false;
}

/* Replace the skill's answer with an apology: in --dev the detailed sentence
 * (error->spoken, when there is an error report), otherwise the kind's
 * generic sentence. */
static void
apologise(const struct dispatch_ctx *ctx, const struct skill *skill, struct dispatch_result *res,
          enum ss_err code, const struct message_error *error)
{
    const char *dev_sentence = error ? error->spoken : NULL;

    char sentence[DEV_SENTENCE_CHARS + 1];
    char *text = NULL;
    size_t len = 0;
    struct ss_error derr;

    res->err = code;
    if (res->error.code == SS_ERR_OK)
        res->error.code = code;
    if (ctx->dev && dev_sentence && dev_sentence[0])
        snprintf(sentence, sizeof(sentence), "%s", dev_sentence);
    else if (ctx->dev)
        snprintf(sentence, sizeof(sentence), "There is a problem in %s: %s", skill->name,
                 res->error.msg);
    else
        snprintf(sentence, sizeof(sentence), "%s", ss_err_spoken(code));
    log_request_msg(LOG_ERROR, skill->name, res->req.request_id, "%s: %s", ss_err_text(code),
                    res->error.msg);
    if (ctx->explain && !ctx->dev && dev_sentence && dev_sentence[0] &&
        says_more(dev_sentence, error->message))
        log_request_msg(LOG_INFO, skill->name, res->req.request_id, "%s", dev_sentence);

    json_t *env = response_apology(res->req.root ? &res->req : NULL, sentence);
    if (env && response_dump(env, ctx->pretty, &text, &len, &derr) == SS_ERR_OK) {
        res->body = text;
        res->len = len;
    }
    json_decref(env);
    res->status = 200;
}

/* The skill's own error report: log the traceback, set the code. */
static void
skill_error(const struct skill *skill, struct dispatch_result *res,
            const struct message_error *error, enum ss_err *code)
{
    *code = message_error_code(error);
    char what[sizeof(res->error.msg)];
    message_describe_error(error, skill->script, what, sizeof(what));
    ss_fail(&res->error, *code, "%s", what);
    if (error->traceback)
        log_skill(LOG_ERROR, skill->name, res->req.request_id, error->traceback);
}

enum ss_err
dispatch_check(const struct verify_policy *policy, const struct skill *skill, const char *body,
               size_t len, struct request *parsed, struct dispatch_result *res)
{
    struct ss_error err;
    enum ss_err rc;

    ss_error_clear(&err);
    rc = request_parse(parsed, body, len, &err);
    if (rc == SS_ERR_OK) {
        rc = verify_parsed(policy, parsed, skill, time(NULL), NULL, &err);
        if (rc == SS_ERR_OK)
            return SS_ERR_OK;
    }
    memset(res, 0, sizeof(*res));
    res->error = err;
    if (parsed->root) {
        res->req = *parsed; /* the caller's log may name the request; cleanup frees it */
        memset(parsed, 0, sizeof(*parsed));
    }
    return refuse(res, rc);
}

enum ss_err
dispatch_run(const struct dispatch_ctx *ctx, const struct verify_policy *policy,
             const struct skill *skill, const char *body, size_t len, int64_t arrival_ms,
             struct dispatch_result *res)
{
    struct request parsed;
    enum ss_err rc = dispatch_check(policy, skill, body, len, &parsed, res);

    if (rc != SS_ERR_OK)
        return rc;
    return dispatch_run_parsed(ctx, skill, body, len, &parsed, arrival_ms, res);
}

/* The pool's callback: the caller's, with the caller's argument. */
static void
call_done(struct pool_job *job)
{
    struct dispatch_call *call = job->ctx;
    call->done(call->arg);
}

/* The user's attributes and their version into call (none without a store
 * or a user). False, with res an apology, when they cannot be read: the
 * skill would answer as if the user were new, and its save would be
 * refused anyway. */
static bool
load_attributes(const struct dispatch_ctx *ctx, const struct skill *skill,
                struct dispatch_call *call, struct dispatch_result *res)
{
    free(call->attributes);
    call->attributes = NULL;
    call->version = 0;
    if (!ctx->store || !res->req.user_id)
        return true;
    enum ss_err rc = store_load(ctx->store, skill->name, res->req.user_id, &call->attributes,
                                &call->version, &res->error);
    if (rc == SS_ERR_OK)
        return true;
    apologise(ctx, skill, res, rc, NULL);
    return false;
}

/* The first half: take the parsed request over, load the user's
 * attributes, describe the call. False when res is complete already. */
static bool
prepare(const struct dispatch_ctx *ctx, const struct skill *skill, const char *body, size_t len,
        struct request *parsed, int64_t arrival_ms, struct dispatch_result *res,
        struct dispatch_call *call)
{
    memset(res, 0, sizeof(*res));
    memset(call, 0, sizeof(*call));
    ss_error_clear(&res->error);
    call->ctx = ctx;

    /* Only a verified view gets this far (dispatch.h); there is no parse
     * here that could run a request around verification. */
    if (!parsed || !parsed->root) {
        ss_fail(&res->error, SS_ERR_IO, "dispatch was given no parsed, verified request");
        refuse(res, SS_ERR_IO);
        return false;
    }
    res->req = *parsed;
    memset(parsed, 0, sizeof(*parsed));

    if (!load_attributes(ctx, skill, call, res))
        return false;
    call->job = (struct pool_job){.skill = skill,
                                  .event = body,
                                  .len = len,
                                  .attributes = call->attributes,
                                  .request_id = res->req.request_id,
                                  .arrival_ms = arrival_ms,
                                  .done = call_done,
                                  .ctx = call};
    if (ctx->start_error) {
        /* The caller could not start the skill: the same failure, not a second try. */
        call->job.rc = ctx->start_error->code;
        call->job.err = *ctx->start_error;
        (void)dispatch_end(call, res); /* a call that did not run is complete */
        return false;
    }
    return true;
}

bool
dispatch_begin(const struct dispatch_ctx *ctx, const struct skill *skill, const char *body,
               size_t len, struct request *parsed, int64_t arrival_ms, struct dispatch_result *res,
               struct dispatch_call *call, void (*done)(void *arg), void *arg)
{
    if (!prepare(ctx, skill, body, len, parsed, arrival_ms, res, call))
        return false;
    call->done = done;
    call->arg = arg;
    enum ss_err rc = pool_submit(ctx->pool, &call->job);
    if (rc == SS_ERR_OK)
        return true;
    call->job.rc = rc;
    (void)dispatch_end(call, res); /* a call that did not run is complete */
    return false;
}

/* Read the attributes again for another run of the handler. */
static bool
reload(struct dispatch_call *call, struct dispatch_result *res)
{
    if (!load_attributes(call->ctx, call->job.skill, call, res))
        return false;
    call->job.attributes = call->attributes;
    return true;
}

bool
dispatch_again(struct dispatch_call *call, struct dispatch_result *res)
{
    if (!reload(call, res))
        return false;
    call->job.done = call_done;
    call->job.ctx = call;
    enum ss_err rc = pool_submit(call->ctx->pool, &call->job);
    if (rc == SS_ERR_OK)
        return true;
    call->job.rc = rc;
    (void)dispatch_end(call, res);
    return false;
}

/* Save the attributes the handler changed, if the user's row is still as
 * it was loaded. */
static enum ss_err
save_attributes(const struct dispatch_ctx *ctx, const struct skill *skill,
                struct dispatch_call *call, json_t *changed, struct dispatch_result *res)
{
    char *text = json_dumps(changed, JSON_COMPACT);
    if (!text)
        return ss_fail(&res->error, SS_ERR_NOMEM, "out of memory");
    enum ss_err rc =
        store_save(ctx->store, skill->name, res->req.user_id, text, call->version, &res->error);
    free(text);
    return rc;
}

bool
dispatch_end(struct dispatch_call *call, struct dispatch_result *res)
{
    const struct dispatch_ctx *ctx = call->ctx;
    struct pool_job *job = &call->job;
    const struct skill *skill = job->skill;
    struct pool_answer *ans = &job->ans;
    json_t *envelope = NULL;
    enum ss_err rc = job->rc;
    bool complete = true;

    res->handler_us = ans->handler_us;
    res->error = job->err;
    if (rc == SS_ERR_SKILL_LOAD) {
        /* The load report has the sentence written for the skill's author. */
        struct message_load hello;
        struct ss_error unused;
        pool_start(ctx->pool, skill, &hello, &unused);
        apologise(ctx, skill, res, rc, hello.ok ? NULL : &hello.error);
        message_load_cleanup(&hello);
        goto out;
    }
    if (rc != SS_ERR_OK) {
        apologise(ctx, skill, res, rc, NULL);
        goto out;
    }
    if (!ans->answer.ok) {
        enum ss_err code;
        skill_error(skill, res, &ans->answer.error, &code);
        apologise(ctx, skill, res, code, &ans->answer.error);
        goto out;
    }

    struct warn_ctx wctx = {skill, res->req.request_id};
    rc = response_build(&res->req, ans->answer.reply, &envelope, warn_response, &wctx, &res->error);
    if (rc == SS_ERR_OK)
        rc = response_dump_warn(envelope, ctx->pretty, &res->body, &res->len, warn_response, &wctx,
                                &res->error);
    if (rc != SS_ERR_OK) {
        apologise(ctx, skill, res, rc, NULL);
        goto out;
    }

    /* The answer goes out only when what it says about the user is kept:
     * attributes that cannot be saved turn it into an apology. */
    json_t *changed = ans->answer.attributes;
    if (ctx->store && res->req.user_id && changed) {
        rc = save_attributes(ctx, skill, call, changed, res);
        if (rc != SS_ERR_OK) {
            free(res->body);
            res->body = NULL;
            res->len = 0;
        }
        if (rc == SS_ERR_STORE_CONFLICT && call->reruns < LIMIT_STORE_CONFLICT_RETRIES) {
            call->reruns++;
            log_request_msg(LOG_INFO, skill->name, res->req.request_id,
                            "%s; the handler runs again on the new ones (%d of %d)", res->error.msg,
                            call->reruns, LIMIT_STORE_CONFLICT_RETRIES);
            ss_error_clear(&res->error);
            complete = false;
            goto out;
        }
        if (rc == SS_ERR_STORE_CONFLICT) {
            char why[sizeof(res->error.msg)];
            snprintf(why, sizeof(why), "%s", res->error.msg);
            ss_fail(&res->error, rc,
                    "%s; the handler ran %d times and each time another request of the same "
                    "user saved first, so this one is not saved",
                    why, call->reruns + 1);
        }
        if (rc != SS_ERR_OK) {
            apologise(ctx, skill, res, rc, NULL);
            goto out;
        }
    } else if (!ctx->store && res->req.user_id && changed) {
        /* A runtime that keeps no attributes (lambda without a store): the
         * skill's reply stands, and the log says they were dropped. */
        log_msg(LOG_WARN,
                "%s %s: persistent attributes not saved: this runtime keeps none (name a "
                "store with --store or SKILLSERVER_STORE)",
                skill->name, res->req.request_id);
    }
    res->status = 200;
    res->err = SS_ERR_OK;
out:
    json_decref(envelope);
    pool_answer_cleanup(ans);
    if (complete) {
        free(call->attributes);
        call->attributes = NULL;
    }
    return complete;
}

enum ss_err
dispatch_run_until(const struct dispatch_ctx *ctx, const struct skill *skill, const char *body,
                   size_t len, struct request *parsed, int64_t arrival_ms, int64_t due_ms,
                   int64_t soft_at_ms, const char *trace_id, struct dispatch_result *res)
{
    struct dispatch_call call;

    if (prepare(ctx, skill, body, len, parsed, arrival_ms, res, &call)) {
        call.job.due_ms = due_ms;
        call.job.soft_at_ms = soft_at_ms;
        call.job.trace_id = trace_id;
        pool_run(ctx->pool, &call.job);
        while (!dispatch_end(&call, res) && reload(&call, res))
            pool_run(ctx->pool, &call.job);
    }
    return res->err;
}

enum ss_err
dispatch_run_parsed(const struct dispatch_ctx *ctx, const struct skill *skill, const char *body,
                    size_t len, struct request *parsed, int64_t arrival_ms,
                    struct dispatch_result *res)
{
    return dispatch_run_until(ctx, skill, body, len, parsed, arrival_ms, 0, 0, NULL, res);
}

void
dispatch_result_cleanup(struct dispatch_result *res)
{
    if (!res)
        return;
    free(res->body);
    res->body = NULL;
    request_cleanup(&res->req);
}
