/*
 * test_pool_loops.c - a pool whose I/O loops the caller runs
 * (pool_config.io_loops, pool_io_run()), as serve's HTTP loops do: each
 * new worker joins the loop with the fewest; a loop's calls go to its own
 * idle worker, so the answer is read on the thread that sent the request;
 * a call made from elsewhere is still answered; the deadlines are applied
 * by the caller's loops; pool_run() on a loop's thread is refused rather
 * than waiting for an answer only that thread could read.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launcher.h"
#include "pool.h"
#include "proto.h"
#include "skill.h"
#include "tap.h"

#include "pool_fixtures.h"

#define LOOPS 2
#define CALLS 10

struct call {
    struct pool_job job;
    atomic_bool finished;
    pthread_t by; /* the thread that ran done */
};

static void
done(struct pool_job *job)
{
    struct call *c = job->ctx;
    c->by = pthread_self();
    atomic_store(&c->finished, true);
}

static void
call_init(struct call *c, const struct skill *s, const char *event, const char *attributes)
{
    memset(c, 0, sizeof(*c));
    c->job = (struct pool_job){.skill = s,
                               .event = event,
                               .len = strlen(event),
                               .attributes = attributes,
                               .request_id = "r",
                               .arrival_ms = proto_now_ms(),
                               .done = done,
                               .ctx = c};
    atomic_init(&c->finished, false);
}

struct loop {
    struct pool *pool;
    unsigned index;
    pthread_t thread;
    atomic_bool stop;
    atomic_bool go;  /* make the CALLS calls now */
    atomic_int made; /* calls made and finished */
    const struct skill *skill;
    int own;         /* calls whose done ran on this thread */
    int right;       /* calls answered with the right speech */
    enum ss_err ran; /* what pool_run() said here */
};

/* One turn of the loop: wait for the pool's descriptor (at most 10 ms, so
 * that a stop is seen), then run it. */
static void
turn(struct loop *l)
{
    int wait = pool_io_run(l->pool, l->index);
    struct pollfd p = {.fd = pool_io_fd(l->pool, l->index), .events = POLLIN};
    (void)poll(&p, 1, wait < 0 || wait > 10 ? 10 : wait);
}

static void *
loop_main(void *arg)
{
    struct loop *l = arg;
    pool_io_home(l->pool, l->index);
    while (!atomic_load(&l->stop)) {
        if (atomic_load(&l->go)) {
            atomic_store(&l->go, false);
            struct call refused;
            call_init(&refused, l->skill, launch, NULL);
            l->ran = pool_run(l->pool, &refused.job);
            for (int i = 0; i < CALLS; i++) {
                struct call c;
                call_init(&c, l->skill, launch, "{\"visits\": 41}");
                if (pool_submit(l->pool, &c.job) != SS_ERR_OK)
                    continue;
                int64_t until = proto_now_ms() + 20000;
                while (!atomic_load(&c.finished) && proto_now_ms() < until)
                    turn(l);
                if (!atomic_load(&c.finished))
                    continue; /* the pool still holds it: leave it there */
                l->own += pthread_equal(c.by, pthread_self()) != 0;
                json_t *v = json_object_get(c.job.ans.answer.attributes, "visits");
                l->right += c.job.rc == SS_ERR_OK && json_integer_value(v) == 42;
                pool_answer_cleanup(&c.job.ans);
                atomic_fetch_add(&l->made, 1);
            }
        }
        turn(l);
    }
    return NULL;
}

static void
start_loops(struct loop *loops, struct pool *pool, const struct skill *skill)
{
    for (unsigned i = 0; i < LOOPS; i++) {
        loops[i] = (struct loop){.pool = pool, .index = i, .skill = skill};
        atomic_init(&loops[i].stop, false);
        atomic_init(&loops[i].go, false);
        atomic_init(&loops[i].made, 0);
        if (pthread_create(&loops[i].thread, NULL, loop_main, &loops[i]) != 0) {
            printf("Bail out! cannot start a loop thread\n");
            exit(1);
        }
    }
}

static void
stop_loops(struct loop *loops)
{
    for (unsigned i = 0; i < LOOPS; i++)
        atomic_store(&loops[i].stop, true);
    for (unsigned i = 0; i < LOOPS; i++)
        pthread_join(loops[i].thread, NULL);
}

/* Wait until every call has its outcome, or 30 s. */
static bool
all_finished(struct call *calls, int n)
{
    int64_t until = proto_now_ms() + 30000;
    for (int i = 0; i < n; i++)
        while (!atomic_load(&calls[i].finished))
            if (proto_now_ms() > until || nanosleep(&(struct timespec){0, 5000000}, NULL) != 0)
                return false;
    return true;
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
        .io_loops = LOOPS,
    };
    struct loop loops[LOOPS];
    struct pool_stats st;
    signal(SIGPIPE, SIG_IGN);

    /* 1. Two calls at once from a thread that runs no loop: both answered,
     * by two workers, one in each loop. */
    struct pool *pool = pool_create(&cfg);
    ok(pool != NULL, "a pool with two loops of the caller's");
    ok(pool_io_fd(pool, 0) >= 0 && pool_io_fd(pool, 1) >= 0 && pool_io_fd(pool, 2) < 0,
       "each loop has a descriptor to wait on");
    struct skill persistent = load("persistent");
    start_loops(loops, pool, &persistent);
    struct call two[2];
    for (int i = 0; i < 2; i++) {
        call_init(&two[i], &persistent, launch, NULL);
        is_int(pool_submit(pool, &two[i].job), SS_ERR_OK, "call %d is taken", i + 1);
    }
    ok(all_finished(two, 2), "both are answered by the caller's loops");
    for (int i = 0; i < 2; i++) {
        is_int(two[i].job.rc, SS_ERR_OK, "call %d: no error (%s)", i + 1, two[i].job.err.msg);
        pool_answer_cleanup(&two[i].job.ans);
    }
    pool_stats(pool, &st);
    is_int((int)st.running, 2, "two workers run");

    /* 2. Each loop makes its calls one after the other: each answer is
     * read on the loop that sent the request. */
    for (unsigned i = 0; i < LOOPS; i++)
        atomic_store(&loops[i].go, true);
    int64_t until = proto_now_ms() + 60000;
    while ((atomic_load(&loops[0].made) < CALLS || atomic_load(&loops[1].made) < CALLS) &&
           proto_now_ms() < until)
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    stop_loops(loops);
    for (unsigned i = 0; i < LOOPS; i++) {
        is_int(loops[i].ran, SS_ERR_WORKER, "loop %u: pool_run() on a loop's thread is refused", i);
        is_int(loops[i].right, CALLS, "loop %u: every call is answered right", i);
        is_int(loops[i].own, CALLS, "loop %u: every answer is read on the loop that asked", i);
    }
    pool_stats(pool, &st);
    is_int((int)st.started, 2, "no other worker was started");
    pool_destroy(pool);
    skill_cleanup(&persistent);

    /* 3. The deadline of a call that never ends is applied by the caller's
     * loop: the worker is killed, the call fails in time. */
    cfg.workers = 1;
    cfg.handler_timeout_ms = 1500;
    cfg.soft_timeout_ms = 1400;
    pool = pool_create(&cfg);
    struct skill stuck = load("stuck_launch");
    struct message_load hello;
    struct ss_error err;
    is_int(pool_start(pool, &stuck, &hello, &err), SS_ERR_OK, "start the stuck skill");
    message_load_cleanup(&hello);
    start_loops(loops, pool, &stuck);
    struct call late;
    call_init(&late, &stuck, launch, NULL);
    int64_t t0 = proto_now_ms();
    is_int(pool_submit(pool, &late.job), SS_ERR_OK, "a launch that never ends is taken");
    ok(all_finished(&late, 1), "it is finished");
    int64_t took = proto_now_ms() - t0;
    is_int(late.job.rc, SS_ERR_SKILL_TIMEOUT, "as a timeout");
    contains(late.job.err.msg, "did not answer within 1500 ms", "which it names");
    ok(took >= 1400 && took < 6000, "at its deadline (%lld ms)", (long long)took);
    pool_answer_cleanup(&late.job.ans);
    stop_loops(loops);
    pool_destroy(pool);
    skill_cleanup(&stuck);
    return tap_done();
}
