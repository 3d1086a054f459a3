/*
 * test_metrics.c - server/front/metrics.c: rows by skill name, the Prometheus page,
 * and lock-free counting from several threads at once.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics.h"
#include "ss_limits.h"
#include "tap.h"

/* Field 23 of /proc/self/stat (vsize), read as proc(5) says; -1 if unreadable. */
static long long
proc_stat_vsize(void)
{
    char buf[1024];
    FILE *f = fopen("/proc/self/stat", "re");
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    long long v = -1;
    /* After the command's name: state (field 3) ... vsize (field 23). */
    for (int field = 3; p && field <= 23; field++) {
        p = strchr(p + 1, ' ');
        if (p && field == 23)
            v = strtoll(p + 1, NULL, 10);
    }
    return v;
}

#define THREADS 4
#define PER_THREAD 100000

static struct metrics *shared;
static unsigned shared_slot;

static void *
hammer(void *arg)
{
    (void)arg;
    for (int i = 0; i < PER_THREAD; i++)
        metrics_count_request(shared, shared_slot, REQ_INTENT, 200, 700);
    return NULL;
}

/* The value of the sample called exactly name in page, or -1. */
static double
sample(const char *page, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = page; p && *p;) {
        if (strncmp(p, name, n) == 0 && p[n] == ' ')
            return strtod(p + n + 1, NULL);
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return -1;
}

static void
test_rows(void)
{
    struct metrics *m = metrics_create();
    char name[32];

    unsigned a = metrics_skill_slot(m, "thank_you");
    ok(a != METRICS_NO_SKILL, "a skill gets a row of its own");
    is_int(metrics_skill_slot(m, "thank_you"), a, "the same name gets the same row (reload)");
    ok(metrics_skill_slot(m, "counter") != a, "another skill gets another row");
    unsigned last = 0;
    for (int i = 0; i < LIMIT_METRICS_SKILLS; i++) {
        snprintf(name, sizeof(name), "skill%d", i);
        last = metrics_skill_slot(m, name);
    }
    is_int(last, METRICS_NO_SKILL, "past LIMIT_METRICS_SKILLS rows, skills share the \"-\" row");
    is_int(metrics_skill_slot(m, "counter"), 2, "existing rows are still found");
    metrics_destroy(m);
    metrics_destroy(NULL);
}

static void
test_page(void)
{
    struct metrics *m = metrics_create();
    unsigned ty = metrics_skill_slot(m, "thank_you");
    size_t len = 0;

    ok(metrics_skill_slot(m, "counter") != METRICS_NO_SKILL, "a skill never asked");

    metrics_count_request(m, ty, REQ_INTENT, 200, 300);
    metrics_count_request(m, ty, REQ_INTENT, 200, 3000);
    metrics_count_request(m, ty, REQ_LAUNCH, 200, 9000000);
    metrics_count_request(m, ty, METRICS_TYPE_NONE, 400, 100);
    metrics_count_request(m, METRICS_NO_SKILL, METRICS_TYPE_NONE, 404, 50);
    metrics_count_request(m, METRICS_NO_SKILL, METRICS_TYPE_NONE, 418, 50);
    metrics_count_verify_failure(m, VERIFY_R_SIGNATURE_MISMATCH);
    metrics_count_verify_failure(m, VERIFY_R_SIGNATURE_MISMATCH);
    metrics_count_skill_error(m, ty, SS_ERR_SKILL_TIMEOUT);
    metrics_count_skill_error(m, ty, SS_ERR_SKILL_RAISED);
    metrics_count_slow_client(m);
    metrics_count_refused_connection(m);
    metrics_count_refused_connection(m);
    metrics_count_reload(m);

    struct pool_stats ps = {
        .started = 5, .crashed = 2, .timeouts = 1, .recycled = 3, .running = 4, .busy = 1};
    struct metrics_extra x = {.pool = &ps, .connections = 7, .in_flight = 2, .skills = 3};
    char *page = metrics_render(m, &x, &len);
    ok(page != NULL, "the page renders");
    is_int(strlen(page), len, "the length is the page's");

    is_int(sample(page, "skillserver_requests_total{skill=\"thank_you\",type=\"IntentRequest\","
                        "status=\"200\"}"),
           2, "requests by skill, type and status");
    is_int(sample(page, "skillserver_requests_total{skill=\"thank_you\",type=\"LaunchRequest\","
                        "status=\"200\"}"),
           1, "another type is another series");
    is_int(sample(page, "skillserver_requests_total{skill=\"thank_you\",type=\"none\","
                        "status=\"400\"}"),
           1, "a request that did not parse has type none");
    is_int(sample(page, "skillserver_requests_total{skill=\"-\",type=\"none\",status=\"404\"}"), 1,
           "requests for no skill are under \"-\"");
    is_int(sample(page, "skillserver_requests_total{skill=\"-\",type=\"none\",status=\"other\"}"),
           1, "an unlisted status is \"other\"");
    is_int(sample(page, "skillserver_requests_total{skill=\"thank_you\",type=\"IntentRequest\","
                        "status=\"503\"}"),
           0, "the common types are there from the start, at zero");
    is_int(sample(page, "skillserver_requests_total{skill=\"counter\",type=\"SessionEndedRequest\","
                        "status=\"500\"}"),
           0, "for every skill registered, counted or not");
    ok(!strstr(page, "type=\"AudioPlayer.PlaybackStarted\""),
       "a rare type never counted is left out");
    is_int(sample(page, "skillserver_request_duration_seconds_count{skill=\"counter\"}"), 0,
           "a skill never asked has its histogram, at zero");
    is_int(sample(page, "skillserver_request_duration_seconds_bucket{skill=\"counter\","
                        "le=\"8\"}"),
           0, "up to Alexa's 8 seconds");
    is_int(sample(page, "skillserver_request_duration_seconds_bucket{skill=\"counter\","
                        "le=\"6\"}"),
           0, "and the default hard deadline");
    is_int(sample(page, "skillserver_skill_errors_total{skill=\"counter\","
                        "error=\"skill_timeout\"}"),
           0, "every way a skill fails, at zero");
    ok(!strstr(page, "error=\"nomem\""), "other errors appear once counted");
    ok(sample(page, "process_cpu_seconds_total") >= 0, "process_cpu_seconds_total");
    /* What /proc/self/stat says of this process: qemu-user (the arm64 run)
     * answers that file itself and leaves the memory fields at 0. */
    bool emulated = proc_stat_vsize() == 0;
    ok(emulated ? sample(page, "process_resident_memory_bytes") == 0
                : sample(page, "process_resident_memory_bytes") > 0,
       "process_resident_memory_bytes%s", emulated ? " (0, as /proc says under emulation)" : "");
    ok(emulated ? sample(page, "process_virtual_memory_bytes") == 0
                : sample(page, "process_virtual_memory_bytes") > 0,
       "process_virtual_memory_bytes%s", emulated ? " (0, as /proc says under emulation)" : "");
    ok(sample(page, "process_open_fds") >= 3, "process_open_fds");
    ok(sample(page, "process_max_fds") >= sample(page, "process_open_fds"), "process_max_fds");
    double started = sample(page, "process_start_time_seconds");
    ok(started > 1.5e9 && started <= (double)time(NULL) + 1, "process_start_time_seconds (%f)",
       started);
    contains(page, "skillserver_build_info{version=\"", "the build, with its version");

    is_int(sample(page, "skillserver_request_duration_seconds_bucket{skill=\"thank_you\","
                        "le=\"0.00025\"}"),
           1, "only the 0.1 ms request is in the first bucket");
    is_int(sample(page, "skillserver_request_duration_seconds_bucket{skill=\"thank_you\","
                        "le=\"0.0005\"}"),
           2, "buckets are cumulative");
    is_int(sample(page, "skillserver_request_duration_seconds_bucket{skill=\"thank_you\","
                        "le=\"5\"}"),
           3, "3 ms is under 5 s");
    is_int(sample(page, "skillserver_request_duration_seconds_bucket{skill=\"thank_you\","
                        "le=\"+Inf\"}"),
           4, "9 s only in +Inf");
    is_int(sample(page, "skillserver_request_duration_seconds_count{skill=\"thank_you\"}"), 4,
           "count");
    double sum = sample(page, "skillserver_request_duration_seconds_sum{skill=\"thank_you\"}");
    ok(sum > 9.0033 && sum < 9.0035, "sum in seconds (%f)", sum);

    is_int(sample(page, "skillserver_verification_failures_total{reason=\"signature_mismatch\"}"),
           2, "verification failures by reason");
    is_int(sample(page, "skillserver_verification_failures_total{reason=\"cert_url_missing\"}"), 0,
           "every reason is listed, even at zero");
    ok(!strstr(page, "reason=\"ok\""), "success is not a failure reason");
    is_int(sample(page, "skillserver_handler_timeouts_total{skill=\"thank_you\"}"), 1,
           "handler timeouts by skill");
    is_int(sample(page, "skillserver_skill_errors_total{skill=\"thank_you\","
                        "error=\"skill_raised\"}"),
           1, "skill errors by kind, in lower case");
    is_int(sample(page, "skillserver_slow_clients_total"), 1, "slow clients");
    is_int(sample(page, "skillserver_connections_refused_total"), 2,
           "connections refused at the limits");
    is_int(sample(page, "skillserver_reloads_total"), 1, "reloads");
    is_int(sample(page, "skillserver_worker_restarts_total"), 3, "restarts: crashes + timeouts");
    is_int(sample(page, "skillserver_workers_started_total"), 5, "workers started");
    is_int(sample(page, "skillserver_workers_running"), 4, "workers running");
    is_int(sample(page, "skillserver_http_connections"), 7, "connections");
    is_int(sample(page, "skillserver_http_requests_in_flight"), 2, "in flight");
    contains(page, "# TYPE skillserver_request_duration_seconds histogram\n",
             "the histogram is typed");
    contains(page, "# TYPE skillserver_requests_total counter\n", "counters are typed");
    free(page);

    page = metrics_render(m, NULL, &len);
    ok(page && sample(page, "skillserver_workers_running") < 0, "without extra, no pool lines");
    free(page);
    metrics_destroy(m);
}

static void
test_threads(void)
{
    pthread_t t[THREADS];
    size_t len;

    shared = metrics_create();
    shared_slot = metrics_skill_slot(shared, "busy");
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, hammer, NULL);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    char *page = metrics_render(shared, NULL, &len);
    is_int(sample(page, "skillserver_requests_total{skill=\"busy\",type=\"IntentRequest\","
                        "status=\"200\"}"),
           THREADS * PER_THREAD, "no count is lost between threads");
    is_int(sample(page, "skillserver_request_duration_seconds_count{skill=\"busy\"}"),
           THREADS * PER_THREAD, "nor in the histogram");
    free(page);
    metrics_destroy(shared);
}

int
main(void)
{
    test_rows();
    test_page();
    test_threads();
    return tap_done();
}
