/*
 * lambda.c - `skillserver lambda` (lambda.h): the skill chosen and
 * started, then the Runtime API's loop of events and answers.
 *
 * One thread does it all, one invocation at a time, as Lambda hands them
 * out. SIGTERM and SIGINT are read from a signalfd that ends any wait on
 * the Runtime API, so the workers are always stopped on the way out.
 */
#include "lambda.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "dispatch.h"
#include "lambda_api.h"
#include "log.h"
#include "proto.h"
#include "skill.h"
#include "ss_limits.h"
#include "ssml.h"

enum { LAMBDA_STOPPED = 0, LAMBDA_FAILED = 1, LAMBDA_USAGE = 2 };

/* The stem of every errorType this runtime reports for itself. */
#define TYPE_PREFIX "Skillserver."

enum ss_err
lambda_store_choice(const char *where, const char **dir, struct ss_error *err)
{
    *dir = NULL;
    if (!where)
        where = getenv("SKILLSERVER_STORE");
    if (!where)
        return SS_ERR_OK;
    if (!where[0])
        return ss_fail(err, SS_ERR_USAGE,
                       "the store setting is empty: name a folder for the attributes' "
                       "database, or leave --store and SKILLSERVER_STORE unset to keep none");
    const char *scheme_end = strstr(where, "://");
    if (scheme_end && !store_is_url(where))
        return ss_fail(err, SS_ERR_USAGE,
                       "the store is a %.*s:// URL, a database skillserver cannot use: name a "
                       "PostgreSQL database (postgresql://...), a folder (SQLite), or leave "
                       "--store and SKILLSERVER_STORE unset to keep no persistent attributes",
                       (int)(scheme_end - where < 20 ? scheme_end - where : 20), where);
    *dir = where;
    return SS_ERR_OK;
}

/* Wall-clock milliseconds since the epoch, the clock of Lambda-Runtime-Deadline-Ms. */
static int64_t
epoch_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleep ms, or less when a stop signal is waiting. */
static void
pause_ms(int stop_fd, int ms)
{
    struct pollfd p = {.fd = stop_fd, .events = POLLIN};
    poll(&p, 1, ms);
}

/* After a failed call to the Runtime API (why): false when that was the
 * last of LIMIT_LAMBDA_TRIES, else true after a pause that doubles with
 * each attempt. */
static bool
try_again(int stop_fd, const char *why, int attempt)
{
    if (attempt >= LIMIT_LAMBDA_TRIES) {
        log_msg(LOG_ERROR, "%s; gave up after %d tries", why, attempt);
        return false;
    }
    log_msg(LOG_WARN, "%s; trying again", why);
    pause_ms(stop_fd, LIMIT_LAMBDA_RETRY_MS << (attempt - 1));
    return true;
}

/*
 * The skill: the SKILL argument, else _HANDLER (a skill's folder name, or
 * Lambda's "module.function" in LAMBDA_TASK_ROOT). Fills *skill; on failure
 * err says what to change and *type names the kind for an init error.
 */
static enum ss_err
choose_skill(const struct lambda_config *cfg, struct skill *skill, const char **type,
             struct ss_error *err)
{
    const char *handler = getenv("_HANDLER");
    enum ss_err rc;

    *type = TYPE_PREFIX "SkillNotFound";
    if (!cfg->skill && (!handler || !handler[0]))
        return ss_fail(err, SS_ERR_USAGE,
                       "which skill? Name it after `lambda` (skillserver lambda thank_you), or "
                       "set the function's handler (_HANDLER) to a skill's folder name or to "
                       "module.function");
    if (cfg->skill || !strchr(handler, '.')) {
        rc = skill_load(cfg->skills_dir, cfg->skill ? cfg->skill : handler, skill, err);
        if (rc == SS_ERR_SKILL_CONFIG)
            *type = TYPE_PREFIX "SkillConfigError";
        return rc;
    }

    /* module.function: the module is in the function's code folder. */
    const char *root = getenv("LAMBDA_TASK_ROOT");
    char cwd[PATH_MAX];
    if (!root || !root[0])
        root = getcwd(cwd, sizeof(cwd));
    if (!root)
        return ss_fail(err, SS_ERR_IO, "cannot tell the function's folder: %s", strerror(errno));
    /* The skill's name is the function's, when Lambda's name is one. */
    const char *name = getenv("AWS_LAMBDA_FUNCTION_NAME");
    if (!name || !skill_name_valid(name))
        name = "function";
    rc = skill_load_function(root, name, handler, skill, err);
    if (rc == SS_ERR_SKILL_CONFIG)
        *type = "Runtime.HandlerNotFound";
    return rc;
}

/* The errorType of an init error for a skill that does not import:
 * AWS's own names for the Python runtime's cases. */
static const char *
load_error_type(const struct message_error *e)
{
    const char *t = e->type ? e->type : "";
    if (!strcmp(t, "SyntaxError") || !strcmp(t, "IndentationError") || !strcmp(t, "TabError"))
        return "Runtime.UserCodeSyntaxError";
    if (!strcmp(t, "ImportError") || !strcmp(t, "ModuleNotFoundError"))
        return "Runtime.ImportModuleError";
    return TYPE_PREFIX "SkillLoadError";
}

/* The invocation error's type for a refused event. */
static const char *
refusal_type(enum ss_err code)
{
    switch (code) {
    case SS_ERR_WRONG_APPLICATION:
        return TYPE_PREFIX "WrongApplication";
    case SS_ERR_TOO_LARGE:
        return TYPE_PREFIX "EventTooLarge";
    default:
        return TYPE_PREFIX "InvalidEvent";
    }
}

struct loop {
    const struct lambda_config *cfg;
    struct lambda_api api;
    struct skill skill;
    struct runtime rt;
    struct dispatch_ctx ctx;
    int stop_fd;
};

/*
 * POST body to path, up to LIMIT_LAMBDA_TRIES tries while the API cannot be
 * reached or answers garbage or a 5xx other than 500. Returns 0 when it
 * answered 202, 1 when it refused this one post (4xx: logged, the loop goes
 * on), -1 when the runtime must stop (a 500, which the API calls
 * non-recoverable, the tries used up, or a stop signal).
 */
static int
post(struct loop *l, const char *path, const char *headers, const char *body, size_t len)
{
    struct ss_error err;
    for (int attempt = 1;; attempt++) {
        struct lambda_api_reply reply;
        ss_error_clear(&err);
        enum ss_err rc = lambda_api_call(&l->api, "POST", path, headers, body, len,
                                         LIMIT_LAMBDA_POST_MS, &reply, &err);
        int status = reply.answer.status;
        bool stopped = reply.stopped;
        lambda_api_reply_cleanup(&reply);
        if (stopped)
            return -1;
        if (rc == SS_ERR_OK && status == 202)
            return 0;
        if (rc == SS_ERR_OK && status == 500) {
            log_msg(LOG_ERROR,
                    "the Runtime API answered 500 to POST %s: Lambda says the runtime cannot "
                    "go on; stopping",
                    path);
            return -1;
        }
        if (rc == SS_ERR_OK && status >= 400 && status < 500) {
            log_msg(LOG_ERROR, "the Runtime API refused POST %s with status %d", path, status);
            return 1;
        }
        if (rc == SS_ERR_OK)
            snprintf(err.msg, sizeof(err.msg), "the Runtime API answered %d to POST %s", status,
                     path);
        if (!try_again(l->stop_fd, err.msg, attempt))
            return -1;
    }
}

/* POST an error report (init error when request_id is NULL). */
static int
post_error(struct loop *l, const char *request_id, const char *type, const char *message,
           const char *stack)
{
    char path[64 + LIMIT_LAMBDA_ID_CHARS], headers[256];
    char *body = lambda_api_error_body(message, type, stack);
    static const char fallback[] =
        "{\"errorMessage\":\"out of memory\",\"errorType\":\"Runtime.OutOfMemory\","
        "\"stackTrace\":[]}";

    if (request_id)
        snprintf(path, sizeof(path), "/invocation/%s/error", request_id);
    else
        snprintf(path, sizeof(path), "/init/error");
    snprintf(headers, sizeof(headers),
             "Content-Type: " LAMBDA_API_ERROR_TYPE
             "\r\nLambda-Runtime-Function-Error-Type: %s\r\n",
             body ? type : "Runtime.OutOfMemory");
    int r = post(l, path, headers, body ? body : fallback, body ? strlen(body) : strlen(fallback));
    free(body);
    return r;
}

/*
 * One event: checked as an Alexa request for the skill, run through the
 * pipeline with its deadline, answered. Returns post()'s verdict.
 */
static int
handle(struct loop *l, const struct lambda_api_answer *ev)
{
    struct request parsed;
    struct dispatch_result res;
    int64_t arrival = proto_now_ms(), due = 0, soft = 0;
    char path[64 + LIMIT_LAMBDA_ID_CHARS];
    int r;

    if (ev->deadline_ms > 0) {
        int64_t left = ev->deadline_ms - epoch_ms();
        int64_t reserve = left / 4 < LIMIT_LAMBDA_RESERVE_MS ? left / 4 : LIMIT_LAMBDA_RESERVE_MS;
        int64_t budget = left - (reserve > 0 ? reserve : 0);
        if (budget < 1)
            budget = 1; /* already late: the timeout answer, at once */
        due = arrival + budget;
        soft = arrival + (budget + 1) / 2;
    } else {
        log_msg(LOG_WARN,
                "%s: the event has no Lambda-Runtime-Deadline-Ms; the handler timeout of %d ms "
                "applies",
                ev->request_id, l->rt.handler_timeout_ms);
    }

    if (dispatch_check(&VERIFY_POLICY_LAMBDA, &l->skill, ev->body, ev->len, &parsed, &res) !=
        SS_ERR_OK) {
        char message[sizeof(res.error.msg) + 128];
        snprintf(message, sizeof(message), "this event is not an Alexa request %s can answer: %s",
                 l->skill.name, res.error.msg);
        log_msg(LOG_ERROR, "%s: %s", ev->request_id, message);
        r = post_error(l, ev->request_id, refusal_type(res.err), message, NULL);
        dispatch_result_cleanup(&res);
        return r;
    }
    dispatch_run_until(&l->ctx, &l->skill, ev->body, ev->len, &parsed, arrival, due, soft,
                       ev->trace_id[0] ? ev->trace_id : NULL, &res);
    if (!res.body) {
        r = post_error(l, ev->request_id, "Runtime.OutOfMemory", "out of memory", NULL);
    } else {
        snprintf(path, sizeof(path), "/invocation/%s/response", ev->request_id);
        r = post(l, path, "Content-Type: application/json\r\n", res.body, res.len);
    }
    log_msg(LOG_INFO, "%s %s %s %s %lld ms", ev->request_id,
            res.req.request_id ? res.req.request_id : "-",
            res.req.type_name ? res.req.type_name : "-", res.err ? ss_err_name(res.err) : "OK",
            (long long)(proto_now_ms() - arrival));
    dispatch_result_cleanup(&res);
    return r;
}

/* The next event, with LIMIT_LAMBDA_TRIES tries. Returns 0 with reply
 * filled, -1 when the runtime must stop (reply released). */
static int
next_event(struct loop *l, struct lambda_api_reply *reply)
{
    struct ss_error err;
    for (int attempt = 1;; attempt++) {
        ss_error_clear(&err);
        enum ss_err rc =
            lambda_api_call(&l->api, "GET", "/invocation/next", NULL, NULL, 0, -1, reply, &err);
        if (reply->stopped) {
            lambda_api_reply_cleanup(reply);
            return -1;
        }
        int status = reply->answer.status;
        if (rc == SS_ERR_OK && status == 200 && reply->answer.request_id[0])
            return 0;
        lambda_api_reply_cleanup(reply);
        if (rc == SS_ERR_OK && status == 500) {
            log_msg(LOG_ERROR, "the Runtime API answered 500 to the next invocation: Lambda "
                               "says the runtime cannot go on; stopping");
            return -1;
        }
        if (rc == SS_ERR_OK && status == 200)
            snprintf(err.msg, sizeof(err.msg),
                     "the Runtime API sent an event without a Lambda-Runtime-Aws-Request-Id");
        else if (rc == SS_ERR_OK)
            snprintf(err.msg, sizeof(err.msg),
                     "the Runtime API answered %d when asked for the next invocation", status);
        if (!try_again(l->stop_fd, err.msg, attempt))
            return -1;
    }
}

/* Load and start the skill; on failure post the init error. 0 or -1. */
static int
init(struct loop *l)
{
    struct ss_error err;
    const char *type = NULL, *store_dir = NULL;
    struct message_load hello = {0};
    int r = -1;

    ss_error_clear(&err);
    if (choose_skill(l->cfg, &l->skill, &type, &err) != SS_ERR_OK)
        goto failed;
    log_msg(LOG_INFO, "skill %s: %s", l->skill.name, l->skill.layout_note);
    /* On Lambda the skill runs where the function does, whatever its
     * project or settings say. */
    const char *region = getenv("AWS_REGION");
    if (skill_region_valid(region)) {
        char *copy = strdup(region);
        if (!copy) {
            ss_fail(&err, SS_ERR_NOMEM, "out of memory");
            goto failed;
        }
        free(l->skill.region);
        l->skill.region = copy;
    }
    type = TYPE_PREFIX "StoreUnavailable";
    if (lambda_store_choice(l->cfg->store, &store_dir, &err) != SS_ERR_OK)
        goto failed;
    if (store_dir && !store_is_url(store_dir))
        log_msg(LOG_INFO, "persistent attributes: SQLite in %s", store_dir);
    else if (!store_dir)
        log_msg(LOG_INFO, "persistent attributes: off (no --store or SKILLSERVER_STORE); a "
                          "skill's changes to them are not kept");

    struct runtime_config rc_cfg = l->cfg->runtime;
    rc_cfg.data_dir = store_is_url(store_dir) ? NULL : store_dir;
    rc_cfg.store = store_is_url(store_dir) ? store_dir : NULL;
    rc_cfg.workers = 1; /* Lambda hands one invocation at a time to a runtime */
    rc_cfg.launcher_fd = -1;
    rc_cfg.zygote_spawned = ssml_preload; /* as invoke does (invoke.c) */
    rc_cfg.no_network = !l->cfg->share_network;
    /* Lambda allows no user namespaces (aws/containers-roadmap#2102): the
     * function's microVM is the boundary there, and the skill is confined
     * with what needs none (sandbox.h), which the log says. */
    rc_cfg.namespaces_optional = true;
    if (l->cfg->share_network)
        log_msg(LOG_WARN, "--share-network: the skill can reach the network, the Runtime API "
                          "included");
    if (runtime_open(&l->rt, &rc_cfg, &err) != SS_ERR_OK) {
        /* A store URL libpq cannot parse is the one usage error here. */
        type = err.code == SS_ERR_USAGE ? TYPE_PREFIX "StoreUnavailable" : "Runtime.OutOfMemory";
        goto failed;
    }
    l->ctx = (struct dispatch_ctx){.pool = l->rt.pool, .store = l->rt.store, .dev = rc_cfg.dev};
    /* A shared database that is down now is no init error: invocations get
     * the apology until it answers, and the store has said why. */
    if (rc_cfg.store && store_check(l->rt.store, &err) == SS_ERR_OK)
        log_msg(LOG_INFO, "persistent attributes: %s", store_where(l->rt.store));

    /* The import, sandbox and all, happens now, in Lambda's init phase,
     * and not against the first invocation's deadline. */
    enum ss_err started = pool_start(l->rt.pool, &l->skill, &hello, &err);
    if (started == SS_ERR_SKILL_LOAD && hello.root && !hello.ok) {
        char what[sizeof(err.msg)];
        message_describe_error(&hello.error, l->skill.script, what, sizeof(what));
        log_msg(LOG_ERROR, "%s does not load: %s", l->skill.name, what);
        if (hello.error.traceback)
            log_skill(LOG_ERROR, l->skill.name, NULL, hello.error.traceback);
        post_error(l, NULL, load_error_type(&hello.error), what, hello.error.traceback);
        goto out;
    }
    if (started != SS_ERR_OK) {
        type = started == SS_ERR_SKILL_LOAD ? TYPE_PREFIX "SkillLoadError"
                                            : TYPE_PREFIX "WorkerStartError";
        goto failed;
    }
    log_msg(LOG_INFO, "%s is ready; waiting for invocations from the Runtime API at %s:%s",
            l->skill.name, l->api.host, l->api.port);
    r = 0;
    goto out;
failed:
    log_msg(LOG_ERROR, "%s", err.msg);
    post_error(l, NULL, type, err.msg, NULL);
out:
    message_load_cleanup(&hello);
    return r;
}

int
lambda_run(const struct lambda_config *cfg)
{
    struct loop l = {.cfg = cfg, .stop_fd = -1};
    struct ss_error err;
    sigset_t stop;
    int rc = LAMBDA_FAILED;

    /* Before any thread exists, so the pool's threads inherit the mask and
     * the signals wait in the signalfd. */
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    if (pthread_sigmask(SIG_BLOCK, &stop, NULL) != 0 ||
        (l.stop_fd = signalfd(-1, &stop, SFD_CLOEXEC)) < 0) {
        log_msg(LOG_ERROR, "cannot set up signal handling: %s", strerror(errno));
        return LAMBDA_FAILED;
    }
    signal(SIGPIPE, SIG_IGN);
    ss_error_clear(&err);
    if (lambda_api_init(&l.api, getenv("AWS_LAMBDA_RUNTIME_API"), l.stop_fd, &err) != SS_ERR_OK) {
        log_msg(LOG_ERROR, "%s", err.msg);
        rc = LAMBDA_USAGE;
        goto out;
    }
    if (init(&l) != 0)
        goto out;

    for (;;) {
        struct lambda_api_reply reply;
        if (next_event(&l, &reply) != 0)
            break;
        int r = handle(&l, &reply.answer);
        lambda_api_reply_cleanup(&reply);
        if (r < 0)
            break;
    }
    struct signalfd_siginfo si;
    struct pollfd p = {.fd = l.stop_fd, .events = POLLIN};
    if (poll(&p, 1, 0) == 1 && read(l.stop_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        log_msg(LOG_INFO, "%s received: stopping", si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
        rc = LAMBDA_STOPPED;
    }
out:
    ssml_preload_wait();
    runtime_close(&l.rt);
    skill_cleanup(&l.skill);
    close(l.stop_fd);
    return rc;
}
