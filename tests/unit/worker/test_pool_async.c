/*
 * test_pool_async.c - calls submitted without waiting (pool_submit()):
 * many at once on two workers, each answer reaching its own call; a call
 * sent behind one that never ends, started again on a new worker when the
 * first is killed; pool_abort().
 */
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

#define CALLS 40

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int finished;

static void
done(struct pool_job *job)
{
    (void)job;
    pthread_mutex_lock(&lock);
    finished++;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
}

/* Wait until n calls have finished, or ms passed; returns how many did. */
static int
wait_for(int n, int ms)
{
    int64_t until = proto_now_ms() + ms;
    pthread_mutex_lock(&lock);
    while (finished < n && proto_now_ms() < until) {
        pthread_mutex_unlock(&lock);
        struct timespec pause = {0, 5 * 1000 * 1000};
        nanosleep(&pause, NULL);
        pthread_mutex_lock(&lock);
    }
    int got = finished;
    pthread_mutex_unlock(&lock);
    return got;
}

static const char *
speech_of(const struct pool_job *job, char *buf, size_t cap)
{
    char *text = json_dumps(json_object_get(job->ans.answer.reply, "speech"), JSON_COMPACT);
    snprintf(buf, cap, "%s", text ? text : "");
    free(text);
    return buf;
}

static struct pool_job
job_for(const struct skill *s, const char *event, const char *attributes)
{
    return (struct pool_job){.skill = s,
                             .event = event,
                             .len = strlen(event),
                             .attributes = attributes,
                             .request_id = "r",
                             .arrival_ms = proto_now_ms(),
                             .done = done};
}

int
main(void)
{
    struct pool_config cfg = {
        .exe = SKILLSERVER_WORKER_BIN,
        .skillkit_dir = launcher_skillkit_dir(),
        .handler_timeout_ms = 8000,
        .soft_timeout_ms = 4000,
        .workers = 2,
    };
    char text[256];
    signal(SIGPIPE, SIG_IGN);

    /* 1. CALLS calls at once on two workers: every answer is its own. */
    struct pool *pool = pool_create(&cfg);
    ok(pool != NULL, "a pool of two workers");
    struct skill persistent = load("persistent");
    static struct pool_job jobs[CALLS];
    static char attrs[CALLS][32];
    int submitted = 0;
    for (int i = 0; i < CALLS; i++) {
        snprintf(attrs[i], sizeof(attrs[i]), "{\"visits\": %d}", i * 10);
        jobs[i] = job_for(&persistent, launch, attrs[i]);
        submitted += pool_submit(pool, &jobs[i]) == SS_ERR_OK;
    }
    is_int(submitted, CALLS, "every call is taken without waiting");
    is_int(wait_for(CALLS, 60000), CALLS, "every call is finished");
    int right = 0;
    for (int i = 0; i < CALLS; i++) {
        char want[64];
        snprintf(want, sizeof(want), "Visit number %d.", i * 10 + 1);
        json_t *v = json_object_get(jobs[i].ans.answer.attributes, "visits");
        if (jobs[i].rc == SS_ERR_OK && jobs[i].ans.answer.ok &&
            strstr(speech_of(&jobs[i], text, sizeof(text)), want) &&
            json_integer_value(v) == i * 10 + 1)
            right++;
        else
            printf("# call %d: rc %d, speech %s\n", i, (int)jobs[i].rc,
                   speech_of(&jobs[i], text, sizeof(text)));
        pool_answer_cleanup(&jobs[i].ans);
    }
    is_int(right, CALLS, "each call got the answer to its own request");
    struct pool_stats st;
    pool_stats(pool, &st);
    ok(st.started <= 2, "no more than two workers were started (%llu)",
       (unsigned long long)st.started);
    is_int((int)st.busy, 0, "none is busy after");
    pool_destroy(pool);
    skill_cleanup(&persistent);

    /* 2. One worker: a call sent behind a launch that never ends is
     * started again on a new worker when the launch's worker is killed. */
    cfg.workers = 1;
    /* The intent's soft deadline (its arrival + 1.9 s) comes about 0.9 s
     * after the launch's hard one (2 s), which is the time a new worker has
     * to start and answer it, on a busy machine too. */
    cfg.handler_timeout_ms = 2000;
    cfg.soft_timeout_ms = 1900;
    pool = pool_create(&cfg);
    struct skill stuck = load("stuck_launch");
    struct message_load hello;
    struct ss_error err;
    is_int(pool_start(pool, &stuck, &hello, &err), SS_ERR_OK, "start the stuck skill");
    message_load_cleanup(&hello);
    finished = 0;
    struct pool_job first = job_for(&stuck, launch, NULL);
    is_int(pool_submit(pool, &first), SS_ERR_OK, "the launch is taken");
    struct timespec pause = {1, 0};
    nanosleep(&pause, NULL);
    struct pool_job second = job_for(&stuck, thank_you, NULL);
    is_int(pool_submit(pool, &second), SS_ERR_OK, "the intent is taken behind it");
    is_int(wait_for(2, 20000), 2, "both are finished");
    is_int(first.rc, SS_ERR_SKILL_TIMEOUT, "the launch timed out");
    contains(first.err.msg, "did not answer within 2000 ms", "and says so");
    is_int(second.rc, SS_ERR_OK, "the intent was answered");
    contains(speech_of(&second, text, sizeof(text)), "I am awake.", "by a new worker");
    pool_answer_cleanup(&first.ans);
    pool_answer_cleanup(&second.ans);

    /* 3. pool_abort(): a call in flight ends now, with its reason. */
    finished = 0;
    struct pool_job third = job_for(&stuck, launch, NULL);
    is_int(pool_submit(pool, &third), SS_ERR_OK, "another launch is taken");
    int64_t t0 = proto_now_ms();
    pool_abort(pool);
    is_int(wait_for(1, 5000), 1, "abort ends it");
    ok(proto_now_ms() - t0 < 1000, "at once, not at its deadline");
    is_int(third.rc, SS_ERR_SKILL_TIMEOUT, "as a timeout");
    contains(third.err.msg, "the server is stopping", "saying why");
    pool_answer_cleanup(&third.ans);
    pool_destroy(pool);
    skill_cleanup(&stuck);

    /* 4. A request that prints 2 MiB at once (its output arrives faster than
     * it is read) is answered, its log cut at 64 KiB; one that prints past
     * the flood limit has its worker stopped, and says why. */
    cfg.handler_timeout_ms = 20000;
    cfg.soft_timeout_ms = 15000;
    pool = pool_create(&cfg);
    struct skill loud = load("prints_a_lot");
    is_int(pool_start(pool, &loud, &hello, &err), SS_ERR_OK, "start the loud skill");
    message_load_cleanup(&hello);
    finished = 0;
    struct pool_job lots = job_for(&loud, launch, NULL);
    is_int(pool_submit(pool, &lots), SS_ERR_OK, "a launch that prints 2 MiB is taken");
    is_int(wait_for(1, 30000), 1, "and finished");
    is_int(lots.rc, SS_ERR_OK, "answered, not stopped (%s)", lots.err.msg);
    contains(speech_of(&lots, text, sizeof(text)), "I printed a lot.", "with its own answer");
    pool_answer_cleanup(&lots.ans);
    finished = 0;
    struct pool_job flood = job_for(&loud, thank_you, NULL);
    is_int(pool_submit(pool, &flood), SS_ERR_OK, "an intent that prints 5 MiB is taken");
    is_int(wait_for(1, 30000), 1, "and finished");
    is_int(flood.rc, SS_ERR_SKILL_CRASHED, "its worker was stopped");
    contains(flood.err.msg, "printed more than", "for printing too much");
    pool_answer_cleanup(&flood.ans);
    pool_destroy(pool);
    skill_cleanup(&loud);

    /* 5. A worker at the end of its service (here: a fresh worker for
     * every call) has its successor started as soon as its last call is
     * answered, not when the next call comes and has to wait for it. */
    cfg.fresh_worker = true;
    cfg.handler_timeout_ms = 8000;
    cfg.soft_timeout_ms = 4000;
    pool = pool_create(&cfg);
    struct skill thanks = load("persistent");
    finished = 0;
    struct pool_job one = job_for(&thanks, launch, NULL);
    is_int(pool_submit(pool, &one), SS_ERR_OK, "a call to a fresh worker is taken");
    is_int(wait_for(1, 30000), 1, "and answered");
    is_int(one.rc, SS_ERR_OK, "without an error (%s)", one.err.msg);
    pool_answer_cleanup(&one.ans);
    int64_t until = proto_now_ms() + 20000;
    do {
        pool_stats(pool, &st);
        if (st.started >= 2 && st.running == 1)
            break;
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    } while (proto_now_ms() < until);
    ok(st.started == 2 && st.running == 1,
       "its successor is started with no call waiting (started %llu, running %u)",
       (unsigned long long)st.started, st.running);
    finished = 0;
    struct pool_job two = job_for(&thanks, launch, NULL);
    is_int(pool_submit(pool, &two), SS_ERR_OK, "the next call is taken");
    is_int(wait_for(1, 30000), 1, "and answered by it");
    is_int(two.rc, SS_ERR_OK, "without an error (%s)", two.err.msg);
    pool_answer_cleanup(&two.ans);
    pool_destroy(pool);
    skill_cleanup(&thanks);
    return tap_done();
}
