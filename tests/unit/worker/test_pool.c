/* test_pool.c - real worker processes: start, answer, fail, die, time out. */
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launcher.h"
#include "pool.h"
#include "proto.h"
#include "skill.h"
#include "tap.h"

#include "pool_fixtures.h"

/* What the pool logged, "skill|request id|text" a line. The pool's output
 * thread logs what workers write to their stdout/stderr (under ASan, their
 * LeakSanitizer's complaints at exit) while the I/O thread logs what a
 * request prints, so both appends and reads take the lock. */
static char logged[4096];
static pthread_mutex_t logged_lock = PTHREAD_MUTEX_INITIALIZER;

static void
capture(void *ctx, const char *skill, const char *request_id, const char *text)
{
    (void)ctx;
    pthread_mutex_lock(&logged_lock);
    size_t used = strlen(logged);
    snprintf(logged + used, sizeof(logged) - used, "%s|%s|%s\n", skill,
             request_id ? request_id : "-", text);
    pthread_mutex_unlock(&logged_lock);
}

/* A copy of what was logged so far, for checking. */
static const char *
logged_now(void)
{
    static char copy[sizeof(logged)];
    pthread_mutex_lock(&logged_lock);
    memcpy(copy, logged, sizeof(copy));
    pthread_mutex_unlock(&logged_lock);
    return copy;
}

/* How many zygote processes pool_config's zygote_spawned was told of. */
static int spawned;
static int64_t spawned_at_ms; /* when it was last called */

static void
on_spawned(void)
{
    __atomic_store_n(&spawned_at_ms, proto_now_ms(), __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&spawned, 1, __ATOMIC_SEQ_CST);
}

static int
spawned_now(void)
{
    return __atomic_load_n(&spawned, __ATOMIC_SEQ_CST);
}

static enum ss_err
call(struct pool *pool, struct skill *s, const char *attrs, struct pool_answer *ans,
     struct ss_error *err)
{
    return pool_call(pool, s, launch, strlen(launch), attrs, "r1", proto_now_ms(), ans, err);
}

/* Start a worker of s before the checks that call it. The deadlines count
 * from a request's arrival, and a call that finds no worker first starts
 * the skill's zygote (Python and the skill imported), which on a loaded
 * machine takes longer than the 750 ms soft deadline: the handler would
 * then be stopped at its first line instead of doing what is checked. */
static void
start(struct pool *pool, struct skill *s)
{
    struct ss_error err;
    is_int(pool_start(pool, s, NULL, &err), SS_ERR_OK, "start a worker of %s", s->name);
}

int
main(void)
{
    struct ss_error err;
    struct pool_answer ans;
    struct message_load hello;

    signal(SIGPIPE, SIG_IGN);
    struct pool_config cfg = {
        .exe = SKILLSERVER_WORKER_BIN,
        .skillkit_dir = launcher_skillkit_dir(),
        /* Far apart, so that on a loaded machine the soft deadline's
         * exception always comes before the hard deadline's kill. */
        .handler_timeout_ms = 4000,
        .soft_timeout_ms = 750,
        .log = capture,
        .zygote_spawned = on_spawned,
    };
    struct pool *pool = pool_create(&cfg);
    ok(pool != NULL, "create a pool");

    struct skill persistent = load("persistent");
    is_int(pool_start(pool, &persistent, &hello, &err), SS_ERR_OK, "start a worker");
    ok(hello.ok, "hello says ok");
    message_load_cleanup(&hello);
    is_int(spawned_now(), 1, "zygote_spawned is called once the zygote's process runs");
    is_int(call(pool, &persistent, "{\"visits\": 41}", &ans, &err), SS_ERR_OK, "call it");
    ok(ans.answer.ok, "answer ok");
    json_t *reply = ans.answer.reply;
    is_str(json_string_value(json_object_get(reply, "kind")), "reply", "a skillkit reply");
    char *speech = json_dumps(json_object_get(reply, "speech"), JSON_COMPACT);
    contains(speech, "Visit number 42.", "persistent attributes reached the skill");
    free(speech);
    json_t *attrs = ans.answer.attributes;
    is_int(json_integer_value(json_object_get(attrs, "visits")), 42, "changed attributes back");
    ok(ans.handler_us > 0, "handler time measured");
    pool_answer_cleanup(&ans);

    /* The same worker serves the next request. */
    is_int(call(pool, &persistent, NULL, &ans, &err), SS_ERR_OK, "second call");
    speech = json_dumps(json_object_get(ans.answer.reply, "speech"), 0);
    contains(speech, "Visit number 1.", "null attributes start empty");
    free(speech);
    pool_answer_cleanup(&ans);

    struct skill raises = load("raises");
    struct skill prints = load("prints");
    start(pool, &prints);
    pthread_mutex_lock(&logged_lock);
    logged[0] = '\0';
    pthread_mutex_unlock(&logged_lock);
    is_int(call(pool, &prints, NULL, &ans, &err), SS_ERR_OK, "a skill that prints");
    ok(ans.answer.ok, "its handler ran to the end");
    contains(logged_now(), "prints|r1|printed by the skill", "stdout reaches the log with the id");
    contains(logged_now(), "prints|r1|to stderr too", "stderr reaches the log");
    pool_answer_cleanup(&ans);

    struct skill syntax = load("syntax_error");
    is_int(pool_start(pool, &syntax, &hello, &err), SS_ERR_SKILL_LOAD, "syntax error at load");
    contains(err.msg, "skill.py:4", "file and line of the syntax error");
    contains(err.msg, "SyntaxError", "exception type");
    ok(hello.root && !hello.ok, "the failed report comes back too");
    message_load_cleanup(&hello);
    is_int(call(pool, &syntax, NULL, &ans, &err), SS_ERR_SKILL_LOAD, "calls fail the same way");

    struct skill nohandlers = load("no_handlers");
    is_int(pool_start(pool, &nohandlers, &hello, &err), SS_ERR_SKILL_LOAD, "no handlers");
    message_load_cleanup(&hello);

    struct skill loops = load("loops");
    start(pool, &loops);
    /* Answered (not SKILL_TIMEOUT): the soft deadline's exception came
     * before the hard deadline. */
    is_int(call(pool, &loops, NULL, &ans, &err), SS_ERR_OK, "soft deadline answers");
    is_int(ans.answer.error.kind, MESSAGE_KIND_TIMEOUT, "kind timeout");
    is_int(ans.answer.error.line, 6, "line that was running");
    pool_answer_cleanup(&ans);

    struct skill blocks = load("blocks_alarm");
    start(pool, &blocks);
    int64_t t0 = proto_now_ms();
    is_int(call(pool, &blocks, NULL, &ans, &err), SS_ERR_SKILL_TIMEOUT, "hard deadline");
    int64_t took = proto_now_ms() - t0;
    /* Not before the deadline; after it by whatever a loaded machine takes
     * to kill and reap, bounded only to catch a deadline that never fires. */
    ok(took >= 4000 && took < 4000 + 60000, "stopped at the hard deadline (%lld ms)",
       (long long)took);
    contains(err.msg, "4000 ms", "says the deadline");
    is_int(call(pool, &blocks, NULL, &ans, &err), SS_ERR_SKILL_TIMEOUT,
           "a fresh worker after the kill, and the same fate");

    /* A call's own deadlines (lambda's, from the invocation) replace the
     * pool's: the kill comes at due_ms, long before the pool's 4000 ms. */
    start(pool, &blocks);
    struct pool_job own = {.skill = &blocks,
                           .event = launch,
                           .len = strlen(launch),
                           .request_id = "r-own",
                           .arrival_ms = proto_now_ms()};
    own.due_ms = own.arrival_ms + 1200;
    own.soft_at_ms = own.arrival_ms + 600;
    t0 = own.arrival_ms;
    is_int(pool_run(pool, &own), SS_ERR_SKILL_TIMEOUT, "the call's own hard deadline");
    took = proto_now_ms() - t0;
    ok(took >= 1100 && took < 3900, "stopped at its own deadline (%lld ms)", (long long)took);
    contains(own.err.msg, "1200 ms", "says that deadline");
    pool_answer_cleanup(&own.ans);

    /* Called before the load is waited for: slow_start's import takes 1.5 s. */
    struct skill slow = load("slow_start");
    t0 = proto_now_ms();
    start(pool, &slow);
    int64_t loaded_ms = proto_now_ms(), told_ms = __atomic_load_n(&spawned_at_ms, __ATOMIC_SEQ_CST);
    ok(told_ms >= t0 && loaded_ms - told_ms >= 1000,
       "zygote_spawned comes before the skill has loaded (%lld ms before)",
       (long long)(loaded_ms - told_ms));

    struct skill crashes = load("crashes");
    start(pool, &crashes);
    is_int(call(pool, &crashes, NULL, &ans, &err), SS_ERR_SKILL_CRASHED, "a worker that dies");
    contains(err.msg, "signal 11", "names the signal");
    is_int(call(pool, &crashes, NULL, &ans, &err), SS_ERR_SKILL_CRASHED, "restarted, dies again");

    is_int(call(pool, &persistent, NULL, &ans, &err), SS_ERR_OK, "other skills unaffected");
    pool_answer_cleanup(&ans);

    start(pool, &raises);
    is_int(call(pool, &raises, NULL, &ans, &err), SS_ERR_OK, "launch of raises is fine");
    ok(ans.answer.ok, "and answers ok");
    pool_answer_cleanup(&ans);
    /* Its ThankYouIntent handler raises a NameError: an answer, not a pool error. */
    is_int(pool_call(pool, &raises, thank_you, strlen(thank_you), NULL, "r2", proto_now_ms(), &ans,
                     &err),
           SS_ERR_OK, "an intent whose handler raises is answered");
    ok(!ans.answer.ok, "the answer reports the failure");
    is_str(ans.answer.error.type, "NameError", "the exception's type");
    is_int(ans.answer.error.line, 11, "and the line that raised");
    pool_answer_cleanup(&ans);
    is_int(call(pool, &raises, NULL, &ans, &err), SS_ERR_OK, "the same worker answers again");
    pool_answer_cleanup(&ans);

    pool_destroy(pool);
    pool_destroy(NULL);

    /* A binary that is not there. */
    cfg.exe = "/nonexistent/skillserver";
    pool = pool_create(&cfg);
    is_int(pool_start(pool, &persistent, &hello, &err), SS_ERR_SKILL_CRASHED, "missing binary");
    ok(hello.root == NULL, "no report from a worker that never started");
    pool_destroy(pool);

    skill_cleanup(&persistent);
    skill_cleanup(&raises);
    skill_cleanup(&prints);
    skill_cleanup(&syntax);
    skill_cleanup(&nohandlers);
    skill_cleanup(&loops);
    skill_cleanup(&blocks);
    skill_cleanup(&crashes);
    skill_cleanup(&slow);
    return tap_done();
}
