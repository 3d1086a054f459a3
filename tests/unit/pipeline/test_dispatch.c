/*
 * test_dispatch.c - one request through the pipeline (server/pipeline/dispatch.c),
 * the way invoke and serve both run it: through dispatch.h only, with real
 * worker processes of the test skills in tests/data/skills and a store in a
 * folder of its own. Requests take the local path (VERIFY_POLICY_LOCAL);
 * what verification refuses, the applicationId rule included, is tested
 * with verify (tests/unit/verify/test_verify.c).
 *
 * Whatever the skill does, a request that parsed gets HTTP 200 and a valid
 * Alexa response (the skill's, or a spoken apology); a request that is not
 * one gets a 4xx with a short JSON error and never reaches Python.
 */
#include <ftw.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dispatch.h"
#include "launcher.h"
#include "pool.h"
#include "proto.h"
#include "skill.h"
#include "store.h"
#include "tap.h"
#include "verify.h"

#define SKILLS SOURCE_ROOT "/tests/data/skills"

/* What the skills printed, "skill|request id|text" a line (see test_pool.c:
 * the pool's output thread writes while the test reads). */
static char printed[16384];
static pthread_mutex_t printed_lock = PTHREAD_MUTEX_INITIALIZER;

static void
capture(void *ctx, const char *skill, const char *request_id, const char *text)
{
    (void)ctx;
    pthread_mutex_lock(&printed_lock);
    size_t used = strlen(printed);
    snprintf(printed + used, sizeof(printed) - used, "%s|%s|%s\n", skill,
             request_id ? request_id : "-", text);
    pthread_mutex_unlock(&printed_lock);
}

static bool
was_printed(const char *needle)
{
    pthread_mutex_lock(&printed_lock);
    bool found = strstr(printed, needle) != NULL;
    pthread_mutex_unlock(&printed_lock);
    return found;
}

/* A request as Alexa sends it: a LaunchRequest, or an IntentRequest when
 * intent is not NULL. Static buffer. */
static const char *
request(const char *request_id, const char *user, const char *intent)
{
    static char buf[2048];
    char req[256];

    if (intent)
        snprintf(req, sizeof(req),
                 "{\"type\":\"IntentRequest\",\"requestId\":\"%s\",\"locale\":\"en-US\","
                 "\"timestamp\":\"2025-01-15T18:04:05Z\",\"intent\":{\"name\":\"%s\","
                 "\"confirmationStatus\":\"NONE\"}}",
                 request_id, intent);
    else
        snprintf(req, sizeof(req),
                 "{\"type\":\"LaunchRequest\",\"requestId\":\"%s\",\"locale\":\"en-US\","
                 "\"timestamp\":\"2025-01-15T18:04:05Z\"}",
                 request_id);
    snprintf(buf, sizeof(buf),
             "{\"version\":\"1.0\",\"session\":{\"new\":%s,\"sessionId\":"
             "\"amzn1.echo-api.session.t\",\"application\":{\"applicationId\":"
             "\"amzn1.ask.skill.t\"},\"attributes\":{},\"user\":{\"userId\":\"%s\"}},"
             "\"context\":{\"System\":{\"application\":{\"applicationId\":\"amzn1.ask.skill.t\"},"
             "\"user\":{\"userId\":\"%s\"},\"device\":{\"deviceId\":\"amzn1.ask.device.t\","
             "\"supportedInterfaces\":{}}}},\"request\":%s}",
             intent ? "false" : "true", user, user, req);
    return buf;
}

static struct skill
load(const char *root, const char *name)
{
    struct skill s;
    struct ss_error err;
    if (skill_load(root, name, &s, &err) != SS_ERR_OK) {
        printf("Bail out! cannot load %s: %s\n", name, err.msg);
        exit(1);
    }
    return s;
}

/* The test skill name with a worker started, or for a skill that does not
 * load (want SS_ERR_SKILL_LOAD) its failure recorded. The deadlines count
 * from a request's arrival, and a request that finds no worker first
 * starts the skill's zygote (Python and the skill imported), which on a
 * loaded machine takes longer than the 750 ms soft deadline: the handler
 * would then be stopped at its first line instead of doing what is checked. */
static struct skill
started(const struct dispatch_ctx *ctx, const char *name, enum ss_err want)
{
    struct skill s = load(SKILLS, name);
    struct ss_error err;
    enum ss_err rc = pool_start(ctx->pool, &s, NULL, &err);
    if (rc != want)
        tap_fail("starting %s: %s (%s)", name, ss_err_name(rc),
                 rc != SS_ERR_OK ? err.msg : "no error");
    return s;
}

/* Run body for skill, arriving now; the caller cleans res up. */
static enum ss_err
run(const struct dispatch_ctx *ctx, const struct skill *skill, const char *body,
    struct dispatch_result *res)
{
    return dispatch_run(ctx, &VERIFY_POLICY_LOCAL, skill, body, strlen(body), proto_now_ms(), res);
}

/* The outputSpeech text of a response body, or "(none)" / "(not JSON)". */
static const char *
spoken(const struct dispatch_result *res)
{
    static char text[1024];
    json_t *body = res->body ? json_loadb(res->body, res->len, 0, NULL) : NULL;
    json_t *os = json_object_get(json_object_get(body, "response"), "outputSpeech");
    const char *t = json_string_value(json_object_get(os, "text"));

    snprintf(text, sizeof(text), "%s", !body ? "(not JSON)" : t ? t : "(none)");
    json_decref(body);
    return text;
}

/* The body is a whole Alexa response that ends the session. */
static bool
is_final_answer(const struct dispatch_result *res)
{
    json_t *body = res->body ? json_loadb(res->body, res->len, 0, NULL) : NULL;
    const char *version = json_string_value(json_object_get(body, "version"));
    bool good =
        json_is_object(body) && version && strcmp(version, "1.0") == 0 &&
        json_is_true(json_object_get(json_object_get(body, "response"), "shouldEndSession")) &&
        strlen(res->body) == res->len;
    json_decref(body);
    return good;
}

static void
test_refused(const struct dispatch_ctx *ctx)
{
    struct dispatch_result res;
    struct skill reached = started(ctx, "reached", SS_ERR_OK);
    struct skill missing;
    struct ss_error err;

    is_int(skill_load(SKILLS, "no_such_skill", &missing, &err), SS_ERR_UNKNOWN_SKILL,
           "an unknown skill is refused before dispatch");
    is_int(ss_err_status(SS_ERR_UNKNOWN_SKILL), 404, "with 404");
    contains(err.msg, "reached", "and the message lists the skills that exist");

    is_int(run(ctx, &reached, "{\"version\": \"1.0\", \"request\": ", &res), SS_ERR_JSON,
           "bad JSON is refused");
    is_int(res.status, 400, "with 400");
    json_t *body = res.body ? json_loadb(res.body, res.len, 0, NULL) : NULL;
    is_str(json_string_value(json_object_get(body, "error")), "request is not valid JSON",
           "a JSON error body names the kind");
    ok(json_is_string(json_object_get(body, "message")), "and says where");
    json_decref(body);
    ok(res.req.root == NULL, "no request view is left");
    dispatch_result_cleanup(&res);

    is_int(run(ctx, &reached, "{\"version\": \"1.0\"}", &res), SS_ERR_FIELD,
           "JSON that is not an Alexa request is refused");
    is_int(res.status, 400, "with 400");
    contains(res.body, "\"error\"", "with a JSON error body");
    dispatch_result_cleanup(&res);

    /* Verification has no default: a caller must name its path's policy. */
    const char *good = request("amzn1.echo-api.request.np", "u", NULL);
    dispatch_run(ctx, NULL, &reached, good, strlen(good), proto_now_ms(), &res);
    ok(res.err != SS_ERR_OK, "a request without a verification policy is refused");
    is_int(res.status, 500, "as the caller's mistake (500)");
    dispatch_result_cleanup(&res);
    dispatch_run_parsed(ctx, &reached, good, strlen(good), NULL, proto_now_ms(), &res);
    is_int(res.status, 500, "and so is a run without a parsed, verified request");
    dispatch_result_cleanup(&res);

    /* Every refusal happens in front of the pool. */
    is_int(run(ctx, &reached, request("amzn1.echo-api.request.ok", "u", NULL), &res), SS_ERR_OK,
           "a good request for the same skill");
    ok(was_printed("reached|amzn1.echo-api.request.ok|REACHED"), "reaches it");
    pthread_mutex_lock(&printed_lock);
    int reached_count = 0;
    for (const char *p = printed; (p = strstr(p, "REACHED ")) != NULL; p++)
        reached_count++;
    pthread_mutex_unlock(&printed_lock);
    is_int(reached_count, 1, "the refused requests never reached the skill");
    dispatch_result_cleanup(&res);

    char *text = dispatch_error_body(SS_ERR_UNKNOWN_SKILL, "no skill \"x\"");
    is_str(text, "{\"error\":\"no such skill\",\"message\":\"no skill \\\"x\\\"\"}",
           "dispatch_error_body is {error, message}, escaped");
    free(text);
    skill_cleanup(&reached);
}

static void
test_answers(const struct dispatch_ctx *ctx)
{
    struct dispatch_result res;
    struct skill reached = started(ctx, "reached", SS_ERR_OK);
    struct dispatch_ctx pretty = *ctx;

    is_int(run(ctx, &reached, request("amzn1.echo-api.request.1", "u", NULL), &res), SS_ERR_OK,
           "a skill that loads and answers");
    is_int(res.status, 200, "200");
    is_str(res.body,
           "{\"version\":\"1.0\",\"sessionAttributes\":{},\"response\":{\"outputSpeech\":{"
           "\"type\":\"PlainText\",\"text\":\"You reached the skill.\"},"
           "\"shouldEndSession\":true}}",
           "its answer, compact, with the session's attributes");
    is_int(res.len, strlen(res.body), "length of the body");
    is_str(res.req.request_id, "amzn1.echo-api.request.1", "the parsed request is kept");
    ok(res.handler_us > 0, "time in the worker measured");
    dispatch_result_cleanup(&res);
    ok(res.body == NULL, "cleanup frees the body");
    dispatch_result_cleanup(&res);
    dispatch_result_cleanup(NULL);

    pretty.pretty = true;
    is_int(run(&pretty, &reached, request("amzn1.echo-api.request.2", "u", "AnyIntent"), &res),
           SS_ERR_OK, "an intent, pretty-printed");
    contains(res.body, "{\n  \"version\": \"1.0\",\n  \"sessionAttributes\": {},\n", "indented");
    dispatch_result_cleanup(&res);

    /* A body the caller parsed (to route it) and verified moves into the result. */
    const char *body = request("amzn1.echo-api.request.3", "u", NULL);
    struct request parsed;
    struct ss_error err;
    if (request_parse(&parsed, body, strlen(body), &err) != SS_ERR_OK ||
        verify_parsed(&VERIFY_POLICY_LOCAL, &parsed, &reached, time(NULL), NULL, &err) !=
            SS_ERR_OK) {
        tap_fail("request_parse and verify_parsed: %s", err.msg);
        skill_cleanup(&reached);
        return;
    }
    is_int(dispatch_run_parsed(ctx, &reached, body, strlen(body), &parsed, proto_now_ms(), &res),
           SS_ERR_OK, "dispatch_run_parsed answers");
    ok(parsed.root == NULL, "the caller's view is moved, not copied");
    is_str(res.req.request_id, "amzn1.echo-api.request.3", "into the result");
    is_str(spoken(&res), "You reached the skill.", "with the skill's answer");
    dispatch_result_cleanup(&res);
    skill_cleanup(&reached);
}

/* One skill that fails: what it answers, with and without --dev. */
static void
check_failure(const struct dispatch_ctx *ctx, const char *name, const char *intent,
              enum ss_err want, const char *detail)
{
    struct dispatch_result res;
    struct dispatch_ctx dev = *ctx;
    struct skill skill = started(ctx, name, want == SS_ERR_SKILL_LOAD ? want : SS_ERR_OK);

    is_int(run(ctx, &skill, request("amzn1.echo-api.request.f", "u", intent), &res), want,
           "%s fails with %s", name, ss_err_name(want));
    is_int(res.status, 200, "%s: still 200", name);
    ok(is_final_answer(&res), "%s: a valid response that ends the session", name);
    is_str(spoken(&res), ss_err_spoken(want), "%s: the generic sentence is spoken", name);
    contains(res.error.msg, detail, "%s: the operator's detail names the cause", name);
    dispatch_result_cleanup(&res);

    dev.dev = true;
    is_int(run(&dev, &skill, request("amzn1.echo-api.request.g", "u", intent), &res), want,
           "%s in --dev", name);
    ok(is_final_answer(&res), "%s in --dev: a valid response", name);
    ok(strcmp(spoken(&res), ss_err_spoken(want)) != 0, "%s in --dev: the error is spoken (%s)",
       name, spoken(&res));
    dispatch_result_cleanup(&res);
    skill_cleanup(&skill);
}

static void
test_failures(const struct dispatch_ctx *ctx)
{
    check_failure(ctx, "raises", "ThankYouIntent", SS_ERR_SKILL_RAISED, "NameError");
    check_failure(ctx, "loops", NULL, SS_ERR_SKILL_TIMEOUT, "soft deadline");
    check_failure(ctx, "returns_number", NULL, SS_ERR_SKILL_RESULT, "42");
    check_failure(ctx, "lambda_bad", NULL, SS_ERR_SKILL_RESULT, "lambda_handler returned a str");
    check_failure(ctx, "bad_ssml", NULL, SS_ERR_SSML, "outputSpeech SSML");
    check_failure(ctx, "too_long", NULL, SS_ERR_RESPONSE_LIMIT, "9000 characters");
    check_failure(ctx, "syntax_error", NULL, SS_ERR_SKILL_LOAD, "SyntaxError");
    check_failure(ctx, "crashes", NULL, SS_ERR_SKILL_CRASHED, "signal 11");
}

/* The hard deadline: the worker is killed and Alexa still gets an answer. */
static void
test_hard_deadline(const struct dispatch_ctx *ctx, int hard_ms)
{
    struct dispatch_result res;
    struct skill blocks = started(ctx, "blocks_alarm", SS_ERR_OK);
    int64_t t0 = proto_now_ms();

    is_int(run(ctx, &blocks, request("amzn1.echo-api.request.h", "u", NULL), &res),
           SS_ERR_SKILL_TIMEOUT, "a skill that blocks the soft deadline is stopped");
    ok(proto_now_ms() - t0 >= hard_ms, "at the hard deadline");
    contains(res.error.msg, "did not answer within", "the operator learns why");
    is_int(res.status, 200, "still 200");
    ok(is_final_answer(&res), "with a valid response");
    is_str(spoken(&res), ss_err_spoken(SS_ERR_SKILL_TIMEOUT), "that says it took too long");
    dispatch_result_cleanup(&res);
    skill_cleanup(&blocks);
}

/* A skill whose folder was removed after the skill set was read (a skill
 * deleted while serve runs): dispatch still answers, with an apology. */
static void
test_vanished(const struct dispatch_ctx *ctx, const char *root)
{
    static const char code[] = "from skillkit import launch\n\n\n@launch\ndef welcome(req):\n"
                               "    return \"here\"\n";
    struct dispatch_result res;
    char dir[512], file[600];
    FILE *f;

    snprintf(dir, sizeof(dir), "%s/gone", root);
    snprintf(file, sizeof(file), "%s/skill.py", dir);
    /* Readable by the user workers run as. */
    if (chmod(root, 0755) != 0 || mkdir(dir, 0755) != 0 || !(f = fopen(file, "w"))) {
        tap_fail("cannot write %s", file);
        return;
    }
    if (fputs(code, f) < 0 || fclose(f) != 0) {
        tap_fail("cannot write %s", file);
        return;
    }
    struct skill gone = load(root, "gone");
    ok(remove(file) == 0 && rmdir(dir) == 0, "the folder of a loaded skill is removed");
    run(ctx, &gone, request("amzn1.echo-api.request.v", "u", NULL), &res);
    is_int(res.err, SS_ERR_SKILL_LOAD, "its request fails as a skill that does not load");
    contains(res.error.msg, "gone", "the operator learns which folder is missing");
    is_int(res.status, 200, "with 200");
    ok(is_final_answer(&res), "and a valid response");
    dispatch_result_cleanup(&res);
    skill_cleanup(&gone);
}

/* Persistent attributes: saved after an answer, read back on the next request. */
static void
test_persistence(const struct dispatch_ctx *with_store)
{
    struct dispatch_result res;
    struct dispatch_ctx without = *with_store;
    struct skill persistent = started(with_store, "persistent", SS_ERR_OK);
    struct ss_error err;
    char *saved = NULL;
    int64_t version = 0;

    without.store = NULL;
    is_int(run(with_store, &persistent, request("amzn1.echo-api.request.p1", "ann", NULL), &res),
           SS_ERR_OK, "first visit");
    is_str(spoken(&res), "Visit number 1.", "starts from no attributes");
    dispatch_result_cleanup(&res);
    is_int(store_load(with_store->store, "persistent", "ann", &saved, &version, &err), SS_ERR_OK,
           "the store can be read");
    is_str(saved, "{\"visits\":1}", "the changed attributes were saved");
    free(saved);

    run(with_store, &persistent, request("amzn1.echo-api.request.p2", "ann", NULL), &res);
    is_str(spoken(&res), "Visit number 2.", "and read back on the next request");
    dispatch_result_cleanup(&res);

    run(with_store, &persistent, request("amzn1.echo-api.request.p3", "bob", NULL), &res);
    is_str(spoken(&res), "Visit number 1.", "another user has attributes of his own");
    dispatch_result_cleanup(&res);

    run(&without, &persistent, request("amzn1.echo-api.request.p4", "ann", NULL), &res);
    is_str(spoken(&res), "Visit number 1.", "without a store nothing is read");
    dispatch_result_cleanup(&res);
    saved = NULL;
    store_load(with_store->store, "persistent", "ann", &saved, &version, &err);
    is_str(saved, "{\"visits\":2}", "or written");
    free(saved);

    /* A skill that fails changes nothing. */
    struct skill raises = started(with_store, "raises", SS_ERR_OK);
    saved = NULL;
    run(with_store, &raises, request("amzn1.echo-api.request.p5", "ann", "ThankYouIntent"), &res);
    dispatch_result_cleanup(&res);
    is_int(store_load(with_store->store, "raises", "ann", &saved, &version, &err), SS_ERR_OK,
           "read the failed skill's attributes");
    ok(saved == NULL, "nothing was saved for a skill that raised");
    free(saved);
    skill_cleanup(&raises);
    skill_cleanup(&persistent);
}

/* One request in a thread of its own, so that the test can change the
 * store while the handler runs. */
struct racing {
    const struct dispatch_ctx *ctx;
    const struct skill *skill;
    char body[2048];
    struct dispatch_result res;
};

static void *
race_request(void *arg)
{
    struct racing *r = arg;
    run(r->ctx, r->skill, r->body, &r->res);
    return NULL;
}

/* Wait (at most 10 s) until the skill printed needle. */
static bool
wait_printed(const char *needle)
{
    for (int i = 0; i < 1000; i++) {
        if (was_printed(needle))
            return true;
        usleep(10000);
    }
    return false;
}

/* Another request of the same user saves while the handler runs: the
 * handler runs again on the new attributes, and nothing is lost. */
static void
test_conflict(const struct dispatch_ctx *ctx)
{
    struct skill tally = started(ctx, "tally", SS_ERR_OK);
    struct racing r = {.ctx = ctx, .skill = &tally};
    struct ss_error err;
    pthread_t t;
    char *saved = NULL;
    int64_t version = -1;

    snprintf(r.body, sizeof(r.body), "%s",
             request("amzn1.echo-api.request.c1", "cara", "SlowIntent"));
    if (pthread_create(&t, NULL, race_request, &r) != 0) {
        tap_fail("cannot start a thread");
        return;
    }
    ok(wait_printed("tally|amzn1.echo-api.request.c1|read 0"), "the handler read 0");
    is_int(store_save(ctx->store, "tally", "cara", "{\"count\": 10}", 0, &err), SS_ERR_OK,
           "meanwhile another request saves 10");
    pthread_join(t, NULL);
    is_int(r.res.err, SS_ERR_OK, "the request is answered");
    ok(was_printed("tally|amzn1.echo-api.request.c1|read 10"),
       "by the handler run again on what the other saved");
    is_str(spoken(&r.res), "Count 11.", "which says so");
    dispatch_result_cleanup(&r.res);
    store_load(ctx->store, "tally", "cara", &saved, &version, &err);
    is_str(saved, "{\"count\":11}", "both visits are kept");
    is_int((int)version, 2, "in two saves");
    free(saved);
    skill_cleanup(&tally);
}

/* A store that cannot be read: an apology, and the skill does not run. */
static void
test_store_unreadable(const struct dispatch_ctx *ctx, const char *root)
{
    char dir[512], db[600];
    struct dispatch_result res;
    struct dispatch_ctx broken = *ctx;
    FILE *f;

    snprintf(dir, sizeof(dir), "%s/broken", root);
    snprintf(db, sizeof(db), "%s/attributes.db", dir);
    if (mkdir(dir, 0700) != 0 || !(f = fopen(db, "w"))) {
        tap_fail("cannot write %s", db);
        return;
    }
    if (fputs("this is not a database, whatever its name says\n", f) < 0 || fclose(f) != 0) {
        tap_fail("cannot write %s", db);
        return;
    }
    broken.store = store_create(dir);
    struct skill tally = started(ctx, "tally", SS_ERR_OK);
    is_int(run(&broken, &tally, request("amzn1.echo-api.request.b1", "dan", NULL), &res), SS_ERR_IO,
           "attributes that cannot be read fail the request");
    is_int(res.status, 200, "with 200");
    ok(is_final_answer(&res), "and a valid response");
    is_str(spoken(&res), ss_err_spoken(SS_ERR_IO), "that apologises");
    contains(res.error.msg, db, "the operator learns which file");
    ok(!was_printed("amzn1.echo-api.request.b1"), "the skill did not run");
    dispatch_result_cleanup(&res);
    store_destroy(broken.store);
    skill_cleanup(&tally);
}

int
main(void)
{
    char data[400]; /* small enough for the paths made inside it */
    /* Far apart, so that on a loaded machine the soft deadline's exception
     * always comes before the hard deadline's kill (as in test_pool.c). */
    const int hard_ms = 3000;
    struct pool_config cfg = {
        .exe = SKILLSERVER_WORKER_BIN,
        .skillkit_dir = launcher_skillkit_dir(),
        .handler_timeout_ms = hard_ms,
        .soft_timeout_ms = 750,
        .log = capture,
    };

    signal(SIGPIPE, SIG_IGN);
    if (tap_tempdir(data, sizeof(data), "ss-test-dispatch") != 0) {
        printf("Bail out! no temporary folder\n");
        return 1;
    }
    struct dispatch_ctx ctx = {
        .pool = pool_create(&cfg),
        .store = store_create(data),
    };
    if (!ctx.pool || !ctx.store) {
        printf("Bail out! out of memory\n");
        pool_destroy(ctx.pool);
        store_destroy(ctx.store);
        tap_remove_tree(data);
        return 1;
    }

    test_refused(&ctx);
    test_answers(&ctx);
    test_failures(&ctx);
    test_hard_deadline(&ctx, hard_ms);
    test_persistence(&ctx);
    test_conflict(&ctx);
    test_store_unreadable(&ctx, data);
    test_vanished(&ctx, data);

    pool_destroy(ctx.pool);
    store_destroy(ctx.store);
    tap_remove_tree(data);
    return tap_done();
}
