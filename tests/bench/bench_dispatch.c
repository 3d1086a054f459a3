/*
 * bench_dispatch.c - the handler path inside one process: dispatch_run() of a
 * canned ThankYouIntent through one warm thank_you worker, N times. Prints
 * wall time per call, calls per second, and the front's own CPU per call
 * (the worker's CPU is read from /proc).
 *
 *   bench_dispatch [iterations] [--fresh]
 *
 * --fresh gives every call a new worker (classroom mode), forked from the
 * skill's zygote.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "canned.h"
#include "dispatch.h"
#include "launcher.h"
#include "proto.h"

static double
cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int
main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 20000;
    bool fresh = argc > 2 && strcmp(argv[2], "--fresh") == 0;
    struct skill skill;
    struct ss_error err;
    json_t *req;

    if (skill_load(SOURCE_ROOT "/skills", "thank_you", &skill, &err) != SS_ERR_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    struct canned_slot slot = {"name", "Sam"};
    struct canned_options co = {
        .type = REQ_INTENT, .intent = "ThankYouIntent", .slots = &slot, .slot_count = 1};
    if (canned_request(&skill, NULL, &co, &req, &err) != SS_ERR_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    char *body = json_dumps(req, JSON_COMPACT);
    size_t len = strlen(body);
    struct pool_config pc = {.exe = SKILLSERVER_WORKER_BIN,
                             .skillkit_dir = launcher_skillkit_dir(),
                             .workers = 1,
                             .fresh_worker = fresh,
                             .handler_timeout_ms = 6000,
                             .soft_timeout_ms = 3000};
    struct pool *pool = pool_create(&pc);
    struct dispatch_ctx ctx = {.pool = pool};
    struct dispatch_result res;

    /* Warm up: start the worker. */
    dispatch_run(&ctx, &VERIFY_POLICY_LOCAL, &skill, body, len, proto_now_ms(), &res);
    if (res.err != SS_ERR_OK) {
        fprintf(stderr, "warm-up failed: %s\n", res.error.msg);
        return 1;
    }
    dispatch_result_cleanup(&res);

    double cpu0 = cpu_seconds();
    int64_t t0 = proto_now_us();
    for (int i = 0; i < n; i++) {
        dispatch_run(&ctx, &VERIFY_POLICY_LOCAL, &skill, body, len, proto_now_ms(), &res);
        if (res.err != SS_ERR_OK) {
            fprintf(stderr, "call %d failed: %s\n", i, res.error.msg);
            return 1;
        }
        dispatch_result_cleanup(&res);
    }
    int64_t us = proto_now_us() - t0;
    double cpu = cpu_seconds() - cpu0;
    printf("%d calls of thank_you ThankYouIntent through dispatch_run, %s\n", n,
           fresh ? "a fresh worker each" : "one warm worker");
    printf("  %.1f us per call (wall), %.0f calls/s\n", (double)us / n, n * 1e6 / us);
    printf("  front CPU %.1f us per call (parse, pipe, response, dump)\n", cpu * 1e6 / n);
    pool_destroy(pool);
    free(body);
    json_decref(req);
    skill_cleanup(&skill);
    return 0;
}
