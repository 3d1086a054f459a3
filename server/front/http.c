/*
 * http.c - the endpoint's libmicrohttpd callbacks: a request's head is
 * routed (the path, the method, --dev's simulator, the checks of
 * headers.c), its body collected within the limit, and a complete request
 * answered: an Alexa request through verification and the pipeline
 * (dispatch), the simulator's routes through the classroom, the probes
 * through probes.c. Then http_on_completed() counts it, logs it and frees it.
 *
 * Threads: libmicrohttpd's pool of epoll threads runs these callbacks; the
 * access handler blocks for the whole pipeline of a request (verification,
 * dispatch, the worker round trip). A request holds a reference to the
 * skill set it started with (struct generation), so a reload never pulls a
 * skill from under a request in flight.
 *
 * Memory per request: one struct http_request (with room for a typical
 * Alexa body inline) allocated when its head is complete and freed in the
 * completion callback, plus what dispatch and libmicrohttpd allocate.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dispatch.h"
#include "front_internal.h"
#include "log.h"
#include "metrics.h"
#include "proto.h"
#include "request.h"
#include "simulator.h"
#include "skill.h"
#include "verify.h"

enum http_route
http_route_of(const char *url, char *name, size_t cap)
{
    static const char prefix[] = "/skills/";
    static const char sim[] = "/simulator/";

    if (cap > 0)
        name[0] = '\0';
    if (strcmp(url, "/") == 0)
        return HTTP_ROUTE_APP;
    if (strcmp(url, "/healthz") == 0)
        return HTTP_ROUTE_HEALTH;
    if (strcmp(url, "/metrics") == 0)
        return HTTP_ROUTE_METRICS;
    if (strncmp(url, prefix, sizeof(prefix) - 1) == 0) {
        const char *n = url + sizeof(prefix) - 1;
        if (strlen(n) >= cap || !skill_name_valid(n))
            return HTTP_ROUTE_NONE;
        memcpy(name, n, strlen(n) + 1);
        return HTTP_ROUTE_SKILL;
    }
    if (strncmp(url, "/class/", 7) == 0)
        return HTTP_ROUTE_CLASS; /* class_route_of() reads the rest */
    if (strncmp(url, sim, sizeof(sim) - 1) == 0) {
        const char *n = url + sizeof(sim) - 1;
        if (strcmp(n, "turn") == 0)
            return HTTP_ROUTE_SIM_TURN;
        if (strcmp(n, "skills") == 0)
            return HTTP_ROUTE_SIM_SKILLS;
        /* A file's base name; simulator_file() decides whether it exists. */
        if (!*n || strlen(n) >= cap || n[0] == '.' ||
            strspn(n, "abcdefghijklmnopqrstuvwxyz"
                      "0123456789_-.") != strlen(n))
            return HTTP_ROUTE_NONE;
        memcpy(name, n, strlen(n) + 1);
        return HTTP_ROUTE_SIM_FILE;
    }
    return HTTP_ROUTE_NONE;
}

/* ---- one request ---- */

static bool
is_method(const char *method, const char *want)
{
    return strcmp(method, want) == 0;
}

/* The head of a request with a body is in: size its buffer, or refuse a body over the limit. */
static void
begin_body(struct http_request *r, struct MHD_Connection *connection)
{
    const char *length =
        MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (length) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(length, &end, 10);
        if (errno || end == length || n > LIMIT_BODY_BYTES) {
            answer_defer(r, SS_ERR_TOO_LARGE, NULL, "the body is larger than %d bytes",
                         LIMIT_BODY_BYTES);
            return;
        }
        /* Size the buffer once, from the announced length. */
        if (!r->reject && !buf_reserve(&r->body, (size_t)n)) {
            answer_defer(r, SS_ERR_NOMEM, NULL, "out of memory");
            return;
        }
    }
}

/* Append a piece of the body. False when it would pass LIMIT_BODY_BYTES or on OOM. */
static bool
body_append(struct http_request *r, const char *data, size_t n, enum ss_err *why)
{
    if (buf_add(&r->body, data, n))
        return true;
    *why = r->body.err;
    return false;
}

/*
 * A request that verification refused: a bare 400 for the caller when the
 * signature or the timestamp failed; for a wrong applicationId the sentence
 * that says what to change (it names only ids the caller sent and the
 * skill's own). The reason goes to the log, with the request id once the
 * body has been parsed (req may be NULL), and to /metrics.
 */
static void
refuse_unverified(struct http_request *r, struct MHD_Connection *connection, enum ss_err rc,
                  enum verify_reason reason, const struct ss_error *err, const struct request *req)
{
    r->verify = verify_reason_name(reason);
    if (reason != VERIFY_R_NONE)
        metrics_count_verify_failure(r->srv->metrics, reason);
    log_request_msg(LOG_WARN, r->skill ? r->skill->name : NULL, req ? req->request_id : NULL,
                    "request refused by verification (%s): %s", r->verify, err->msg);
    if (rc == SS_ERR_WRONG_APPLICATION)
        answer_error(r, connection, rc, NULL, "%s", err->msg);
    else if (rc == SS_ERR_VERIFY)
        answer_error(r, connection, rc, NULL, "%s", "the request could not be verified");
    else
        answer_error(r, connection, rc, NULL, "%s", "the request could not be verified now");
}

/* The pool's callback, on its thread: the skill is done, answer. The
 * request may be freed as soon as the connection is resumed. */
static void
resume(void *arg)
{
    struct http_request *r = arg;
    MHD_resume_connection(r->mhd);
}

/* Back from the skill (the access handler, resumed): the answer. */
static enum MHD_Result
answer_dispatched(struct http_request *r, struct MHD_Connection *connection)
{
    r->suspended = false;
    if (r->dispatched && !dispatch_end(&r->call, &r->res)) {
        /* Another request of the same user saved first: the skill runs
         * again on the new attributes, suspended as before (dispatch.h). */
        r->suspended = true;
        MHD_suspend_connection(connection);
        if (dispatch_again(&r->call, &r->res))
            return MHD_YES;
        r->dispatched = false;
        MHD_resume_connection(connection);
        return MHD_YES; /* answered when the access handler is called again */
    }
    r->dispatched = false;
    r->err = r->res.err;
    if (r->res.err != SS_ERR_OK)
        metrics_count_skill_error(r->srv->metrics, r->slot, r->res.err);
    if (!r->res.body)
        return answer_error(r, connection, SS_ERR_NOMEM, NULL, "out of memory");
    char *body = r->res.body;
    r->res.body = NULL; /* libmicrohttpd frees it */
    return answer(r, connection, r->res.status, body, r->res.len, true, JSON_TYPE, NULL);
}

/* The body is complete: verify, route by applicationId if needed, dispatch, answer. */
static void
finish_post(struct http_request *r, struct MHD_Connection *connection)
{
    struct http_server *srv = r->srv;
    struct request pre;
    struct ss_error err;
    enum verify_reason reason = VERIFY_R_NONE;
    enum ss_err rc;
    time_t now = time(NULL);

    memset(&pre, 0, sizeof(pre));
    ss_error_clear(&err);
    conn_set(r->conn, CONN_BUSY);

    /*
     * ==== Request verification: every rule is verify's (server/verify/verify.h). ====
     * This path's policy: Amazon's (signature, chain, timestamp, then the
     * applicationId), or with --no-verify the local one (the applicationId
     * only). verify_raw() runs before anything parses the body;
     * verify_parsed() after routing, and before an unroutable request is
     * answered 404, so that a stale request is refused as stale.
     */
    const struct verify_policy *policy = srv->verify ? &VERIFY_POLICY_ALEXA : &VERIFY_POLICY_LOCAL;
    int64_t t0 = proto_now_us();
    if (policy->signature) {
        struct verify_headers h = {
            .cert_url =
                MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "SignatureCertChainUrl"),
            .signature_256 =
                MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Signature-256"),
            .signature = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Signature"),
        };
        rc = verify_raw(srv->verify, policy, &h, r->body.p, r->body.len, now, &reason, &err);
        r->verify_us = proto_now_us() - t0;
        if (rc != SS_ERR_OK) {
            refuse_unverified(r, connection, rc, reason, &err, NULL);
            goto out;
        }
        r->verify = "signature ok"; /* the timestamp is still to come */
    }

    rc = request_parse(&pre, r->body.p, r->body.len, &err);
    if (rc != SS_ERR_OK) {
        answer_error(r, connection, rc, NULL, "%s", err.msg);
        goto out;
    }
    if (!r->skill) {
        r->skill = skill_set_by_application(r->gen->skills, pre.application_id);
        r->slot = generation_slot(r->gen, r->skill);
    }
    t0 = proto_now_us();
    rc = verify_parsed(policy, &pre, r->skill, now, &reason, &err);
    if (policy->signature)
        r->verify_us += proto_now_us() - t0;
    if (rc != SS_ERR_OK) {
        refuse_unverified(r, connection, rc, reason, &err, &pre);
        goto out;
    }
    if (policy->signature)
        r->verify = "ok";
    if (!r->skill) {
        answer_error(r, connection, SS_ERR_UNKNOWN_SKILL, NULL,
                     "no skill here is configured for applicationId %.200s; set it in "
                     "skills/NAME/skill.json, or POST to /skills/NAME",
                     pre.application_id ? pre.application_id : "(none)");
        goto out;
    }

    /* Suspended before the skill starts, so the pool's callback always
     * finds it suspended; the access handler answers once resumed. */
    r->ctx = (struct dispatch_ctx){
        .pool = srv->pool, .store = srv->store, .dev = srv->cfg.dev, .pretty = false};
    r->have_res = true;
    r->mhd = connection;
    r->suspended = true;
    MHD_suspend_connection(connection);
    r->dispatched = dispatch_begin(&r->ctx, r->skill, r->body.p, r->body.len, &pre, r->arrival_ms,
                                   &r->res, &r->call, resume, r);
    if (!r->dispatched)
        MHD_resume_connection(connection);
out:
    request_cleanup(&pre);
}

/* The client's address without its port, for the class's log and its
 * count of wrong tries. */
static void
client_address(struct MHD_Connection *connection, char *out, size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, cap, "-");
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        (void)inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)cap);
    else if (sa->sa_family == AF_INET6)
        (void)inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
                        (socklen_t)cap);
}

/* The headers every class answer carries: the pages load nothing from
 * elsewhere and cannot be framed by another site. */
#define CLASS_CSP                                                                                  \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "              \
    "connect-src 'self'; media-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; "        \
    "form-action 'self'"

/* A request under /class/ (--class only; route() made sure): the class part
 * decides who may do what and answers the API; the pages are served here. */
static enum MHD_Result
answer_class(struct http_request *r, struct MHD_Connection *connection, const char *method)
{
    struct http_server *srv = r->srv;
    struct class_reply reply;
    char client[64];

    client_address(connection, client, sizeof(client));
    struct say_config say = {
        .skills_dir = srv->cfg.skills_dir,
        .data_dir = srv->cfg.data_dir,
        .dev = true,
        .handler_timeout_ms = srv->handler_timeout_ms,
        .exe = srv->cfg.exe,
        .skillkit_dir = srv->cfg.skillkit_dir,
    };
    struct class_call call = {
        .route = r->class_route,
        .path = r->path,
        .name = r->sim_name,
        .post = is_method(method, MHD_HTTP_METHOD_POST),
        .cookie = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Cookie"),
        .origin = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Origin"),
        .host = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Host"),
        .sec_fetch_site =
            MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Sec-Fetch-Site"),
        .client = client,
        .body = r->body.p,
        .len = r->body.len,
        .now = time(NULL),
        .say = &say,
        .skills = r->gen->skills,
        .store = srv->store,
    };
    conn_set(r->conn, CONN_BUSY);
    class_answer(srv->room, &call, &reply);
    if (reply.reload)
        generation_request(srv, LOAD_RELOAD, "a class skill changed");
    const char *extra[] = {"Content-Security-Policy",
                           CLASS_CSP,
                           "X-Frame-Options",
                           "DENY",
                           "X-Content-Type-Options",
                           "nosniff",
                           "Cache-Control",
                           "no-store",
                           "Referrer-Policy",
                           "no-referrer",
                           reply.have_cookie ? MHD_HTTP_HEADER_SET_COOKIE : NULL,
                           reply.cookie,
                           NULL};
    if (reply.page) {
        const char *type = NULL;
        const struct class_files_entry *f =
            class_file(class_page_name(r->class_route, r->sim_name), &type);
        class_reply_cleanup(&reply);
        if (!f)
            return answer_error(r, connection, SS_ERR_UNKNOWN_SKILL, NULL, "%s",
                                "there is nothing here");
        return answer_extra(r, connection, 200, (char *)f->text, f->len, false, type, extra);
    }
    char *body = reply.body;
    reply.body = NULL; /* libmicrohttpd frees it */
    if (!body)
        return answer_error(r, connection, SS_ERR_NOMEM, NULL, "out of memory");
    r->err = reply.status >= 400 ? SS_ERR_USAGE : SS_ERR_OK;
    return answer_extra(r, connection, reply.status, body, reply.len, true, JSON_TYPE, extra);
}

/* The simulator's routes (--dev only; route() made sure). */
static enum MHD_Result
answer_simulator(struct http_request *r, struct MHD_Connection *connection)
{
    struct http_server *srv = r->srv;
    size_t len = 0;
    int status = 200;
    char *body;

    if (r->route == HTTP_ROUTE_SIM_FILE) {
        const struct simulator_files_entry *f = simulator_file(r->sim_name, &r->sim_type);
        if (!f)
            return answer_error(r, connection, SS_ERR_UNKNOWN_SKILL, NULL,
                                "the simulator has no file %s", r->sim_name);
        return answer(r, connection, 200, (char *)f->text, f->len, false, r->sim_type, NULL);
    }
    if (r->route == HTTP_ROUTE_SIM_SKILLS) {
        body = simulator_skills_json(r->gen->skills, srv->pool, &len);
    } else {
        struct say_config cfg = {
            .skills_dir = srv->cfg.skills_dir,
            .data_dir = srv->cfg.data_dir,
            .dev = srv->cfg.dev,
            .handler_timeout_ms = srv->handler_timeout_ms,
            .exe = srv->cfg.exe,
            .skillkit_dir = srv->cfg.skillkit_dir,
        };
        conn_set(r->conn, CONN_BUSY);
        body = simulator_turn_json(&cfg, r->gen->skills, srv->pool, srv->store, r->body.p,
                                   r->body.len, &status);
        len = body ? strlen(body) : 0;
    }
    if (!body)
        return answer_error(r, connection, SS_ERR_NOMEM, NULL, "out of memory");
    return answer(r, connection, status, body, len, true, JSON_TYPE, NULL);
}

static struct http_request *
request_begin(struct http_server *srv, struct MHD_Connection *connection, const char *url)
{
    pthread_mutex_lock(&srv->spare_lock);
    struct http_request *r = srv->spares ? srv->spare[--srv->spares] : NULL;
    pthread_mutex_unlock(&srv->spare_lock);
    if (!r && !(r = malloc(sizeof(*r))))
        return NULL;
    /* Everything but the inline body buffer starts zeroed. */
    memset(r, 0, offsetof(struct http_request, inline_body));
    r->srv = srv;
    r->conn = conn_of(connection);
    r->gen = generation_acquire(srv);
    r->start_us = proto_now_us();
    r->arrival_ms = proto_now_ms();
    r->verify = srv->verify ? "not reached" : "off";
    r->log = true;
    buf_init_in(&r->body, r->inline_body, sizeof(r->inline_body), LIMIT_BODY_BYTES);
    snprintf(r->path, sizeof(r->path), "%s", url);
    atomic_fetch_add_explicit(&srv->in_flight, 1, memory_order_relaxed);
    return r;
}

static void
request_end(struct http_request *r)
{
    if (r->have_res)
        dispatch_result_cleanup(&r->res);
    buf_reset(&r->body);
    generation_release(r->gen);
    struct http_server *srv = r->srv;
    atomic_fetch_sub_explicit(&srv->in_flight, 1, memory_order_relaxed);
    pthread_mutex_lock(&srv->spare_lock);
    if (srv->spares < HTTP_SPARE_REQUESTS) {
        srv->spare[srv->spares++] = r;
        r = NULL;
    }
    pthread_mutex_unlock(&srv->spare_lock);
    free(r);
}

/* The first call for a request (its head is complete): route it. */
static void
route(struct http_request *r, struct MHD_Connection *connection, const char *url,
      const char *method)
{
    char name[LIMIT_SKILL_NAME_CHARS + 1];
    bool get = is_method(method, MHD_HTTP_METHOD_GET) || is_method(method, MHD_HTTP_METHOD_HEAD);
    bool post = is_method(method, MHD_HTTP_METHOD_POST);
    const char *allow = NULL;

    r->route = http_route_of(url, name, sizeof(name));
    switch (r->route) {
    case HTTP_ROUTE_METRICS:
        /* --metrics-listen moves /metrics to a listener of its own, --no-metrics drops it. */
        if (r->srv->cfg.metrics_listen || r->srv->cfg.no_metrics) {
            r->route = HTTP_ROUTE_NONE;
            answer_defer(r, SS_ERR_UNKNOWN_SKILL, NULL, "%s",
                         r->srv->cfg.no_metrics ? "metrics are turned off (--no-metrics)"
                                                : "metrics are served on the --metrics-listen "
                                                  "address");
            break;
        }
        if (!get)
            allow = "GET, HEAD";
        break;
    case HTTP_ROUTE_HEALTH:
        if (!get)
            allow = "GET, HEAD";
        break;
    case HTTP_ROUTE_SKILL:
        if (!post) {
            allow = "POST";
            break;
        }
        r->skill = skill_set_find(r->gen->skills, name);
        if (!r->skill) {
            answer_defer(r, SS_ERR_UNKNOWN_SKILL, NULL, "there is no skill called %s here", name);
            break;
        }
        r->slot = generation_slot(r->gen, r->skill);
        break;
    case HTTP_ROUTE_CLASS:
        r->class_route =
            r->srv->room ? class_route_of(url, r->sim_name, sizeof(r->sim_name)) : CLASS_R_NONE;
        if (r->class_route == CLASS_R_NONE) {
            r->route = HTTP_ROUTE_NONE;
            answer_defer(r, SS_ERR_UNKNOWN_SKILL, NULL, "nothing here");
            break;
        }
        if (class_route_is_post(r->class_route) ? !post : !get) {
            allow = class_route_is_post(r->class_route) ? "POST" : "GET, HEAD";
            break;
        }
        break;
    case HTTP_ROUTE_SIM_FILE:
    case HTTP_ROUTE_SIM_SKILLS:
    case HTTP_ROUTE_SIM_TURN:
        /* The simulator exists only in --dev; otherwise these paths are
         * nothing. A class server has its own pages instead. */
        if (!r->srv->cfg.dev || r->srv->room) {
            r->route = HTTP_ROUTE_NONE;
            answer_defer(r, SS_ERR_UNKNOWN_SKILL, NULL,
                         "nothing here; POST Alexa requests to /skills/NAME or /");
            break;
        }
        if (r->route == HTTP_ROUTE_SIM_TURN ? !post : !get) {
            allow = r->route == HTTP_ROUTE_SIM_TURN ? "POST" : "GET, HEAD";
            break;
        }
        if (r->route == HTTP_ROUTE_SIM_FILE && !simulator_file(name, &r->sim_type)) {
            answer_defer(r, SS_ERR_UNKNOWN_SKILL, NULL, "the simulator has no file %s", name);
            break;
        }
        snprintf(r->sim_name, sizeof(r->sim_name), "%s", name);
        break;
    case HTTP_ROUTE_APP:
        if (get && r->srv->room) {
            /* GET / of a class server: the class's page. */
            r->route = HTTP_ROUTE_CLASS;
            r->class_route = CLASS_R_PAGE;
            break;
        }
        if (get && r->srv->cfg.dev) {
            /* GET / in --dev: the simulator's page. POST / is Alexa's, as always. */
            r->route = HTTP_ROUTE_SIM_FILE;
            snprintf(r->sim_name, sizeof(r->sim_name), "index.html");
            break;
        }
        if (!post) {
            allow = "POST";
            break;
        }
        if (r->gen->skills->count == 0) {
            answer_defer(r, SS_ERR_UNKNOWN_SKILL, NULL, "no skills are loaded from %s",
                         r->srv->cfg.skills_dir);
            break;
        }
        /* One skill answers everything sent to /; several are told apart by
         * the request's applicationId once the body is in. */
        if (r->gen->skills->count == 1) {
            r->skill = &r->gen->skills->items[0];
            r->slot = generation_slot(r->gen, r->skill);
        }
        break;
    case HTTP_ROUTE_NONE:
        answer_defer(r, SS_ERR_UNKNOWN_SKILL, NULL,
                     "nothing here; POST Alexa requests to /skills/NAME or /");
        break;
    }
    if (allow)
        answer_defer(r, SS_ERR_METHOD, allow, "%.32s is not allowed here; use %s", method, allow);
    bool unverified = headers_unverified_route(r->srv, r->route);
    if (!(unverified && headers_refuse_if_not_local(r, connection)) && post && !r->reject)
        /* A class POST takes only JSON too: a cross-site form cannot send it. */
        headers_check_content_type(r, connection, unverified || r->route == HTTP_ROUTE_CLASS);
    /* The body limit holds for every request, whatever will be answered. */
    if (post || !get)
        begin_body(r, connection);
}

enum MHD_Result
http_on_access(void *cls, struct MHD_Connection *connection, const char *url, const char *method,
               const char *version, const char *upload_data, size_t *upload_data_size,
               void **req_cls)
{
    struct http_server *srv = cls;
    struct http_request *r = *req_cls;

    if (!r) {
        r = request_begin(srv, connection, url);
        if (!r)
            return MHD_NO;
        *req_cls = r;
        /* Ambiguous framing is answered before a byte of the body is read,
         * and the connection closed: whatever follows the head is not
         * looked at, as a body or as a next request. */
        const char *problem = headers_framing_problem(connection, version);
        if (problem) {
            r->close = true;
            return answer_error(r, connection, SS_ERR_FRAMING, NULL, "%s", problem);
        }
        if (headers_size(connection, url, method) > LIMIT_HTTP_HEADER_BYTES)
            answer_defer(r, SS_ERR_HEAD_TOO_LARGE, NULL,
                         "the request line and headers are larger "
                         "than %d bytes",
                         LIMIT_HTTP_HEADER_BYTES);
        else
            route(r, connection, url, method);
        /* Too large: answer before reading a byte of the body; libmicrohttpd
         * then closes the connection instead of reading it. */
        if (r->reject == SS_ERR_TOO_LARGE || r->reject == SS_ERR_HEAD_TOO_LARGE) {
            r->close = true;
            return answer_error(r, connection, r->reject, NULL, "%s", r->reject_msg);
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        enum ss_err why = SS_ERR_OK;
        *upload_data_size = 0;
        if (r->answered)
            return MHD_YES; /* an early answer is queued: the rest is dropped */
        if (!r->reject && body_append(r, upload_data, n, &why))
            return MHD_YES;
        if (why == SS_ERR_TOO_LARGE) {
            /* A chunked body passed the limit: libmicrohttpd cannot answer in
             * the middle of a body, so drop the rest and answer 413 at its end. */
            answer_defer(r, why, NULL, "the body is larger than %d bytes", LIMIT_BODY_BYTES);
        } else if (why != SS_ERR_OK) {
            return MHD_NO; /* out of memory: close the connection */
        }
        /* Dropped unread, but counted: past LIMIT_HTTP_DROP_BYTES the client gets
         * no answer, only a closed connection. */
        if (n > LIMIT_HTTP_DROP_BYTES - r->body.len - r->dropped)
            return MHD_NO;
        r->dropped += n;
        return MHD_YES;
    }
    if (r->suspended)
        return answer_dispatched(r, connection);
    if (r->answered)
        return MHD_YES;
    if (r->reject)
        return answer_error(r, connection, r->reject, r->allow, "%s", r->reject_msg);
    switch (r->route) {
    case HTTP_ROUTE_HEALTH: {
        static char ok[] = "ok";
        r->log = false;
        return answer(r, connection, 200, ok, 2, false, TEXT_TYPE, NULL);
    }
    case HTTP_ROUTE_METRICS:
        r->log = false;
        return probes_answer_metrics(r, connection);
    case HTTP_ROUTE_SKILL:
    case HTTP_ROUTE_APP:
        finish_post(r, connection);
        break;
    case HTTP_ROUTE_SIM_FILE:
    case HTTP_ROUTE_SIM_SKILLS:
    case HTTP_ROUTE_SIM_TURN:
        return answer_simulator(r, connection);
    case HTTP_ROUTE_CLASS:
        return answer_class(r, connection, method);
    case HTTP_ROUTE_NONE:
        break;
    }
    return r->answered || r->suspended ? MHD_YES : MHD_NO;
}

void
http_on_completed(void *cls, struct MHD_Connection *connection, void **req_cls,
                  enum MHD_RequestTerminationCode toe)
{
    struct http_request *r = *req_cls;
    (void)cls;
    (void)connection;

    if (!r)
        return;
    *req_cls = NULL;
    int64_t total_us = proto_now_us() - r->start_us;
    if (r->status) {
        int type = r->have_res && r->res.req.root ? (int)r->res.req.type : METRICS_TYPE_NONE;
        metrics_count_request(r->srv->metrics, r->slot, type, r->status, total_us);
    }
    if (r->log || toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
        access_log_write(r, toe, total_us);
    conn_set(r->conn, CONN_IDLE);
    request_end(r);
}
