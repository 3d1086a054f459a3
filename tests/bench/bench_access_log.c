/*
 * bench_access_log.c - the cost of one access-log record on the request
 * path: access_log_write() of a typical answered IntentRequest, N times,
 * with stderr wherever the caller points it (a pipe read elsewhere, a file,
 * /dev/null). Prints nanoseconds of wall and CPU time per record; the
 * write(2) itself is part of it.
 *
 *   bench_access_log [iterations] 2>/dev/null
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "front_internal.h"

static double
cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static double
wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 200000;
    static struct skill skill;
    static struct http_request r;
    static long parsed; /* stands for the parsed document: the log only asks whether there is one */

    if (n <= 0) {
        fprintf(stdout, "usage: bench_access_log [iterations] 2>/dev/null\n");
        return 2;
    }
    snprintf(skill.name, sizeof(skill.name), "thank_you");
    r.skill = &skill;
    r.status = 200;
    r.verify = "ok";
    r.verify_us = 31;
    r.have_res = true;
    r.res.handler_us = 812;
    r.res.req.root = (void *)&parsed;
    r.res.req.request_id = "amzn1.echo-api.request.0f6f6b44-5c4a-4d1f-9a39-8d8fbc7e3a1e";
    r.res.req.type_name = "IntentRequest";
    r.res.req.intent_name = "ThankYouIntent";

    double w0 = wall_seconds(), c0 = cpu_seconds();
    for (int i = 0; i < n; i++)
        access_log_write(&r, MHD_REQUEST_TERMINATED_COMPLETED_OK, 1200 + i % 100);
    double w1 = wall_seconds(), c1 = cpu_seconds();
    printf("%d records: %.0f ns wall, %.0f ns CPU per record\n", n, (w1 - w0) * 1e9 / n,
           (c1 - c0) * 1e9 / n);
    return 0;
}
