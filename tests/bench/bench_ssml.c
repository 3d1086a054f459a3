/*
 * bench_ssml.c - microseconds per ssml_check() of a typical response.
 *
 * The document is about 500 characters of what a skill says: sentences,
 * a pause, a whisper, say-as, prosody and a sound. Runs a warm-up, then
 * times N checks (default 200000) with CLOCK_MONOTONIC and prints the mean
 * per check; with several threads (second argument) it prints the
 * throughput of all of them together. Not a test: run it by hand, on an
 * otherwise idle machine.
 *
 * usage: bench_ssml [ITERATIONS [THREADS]]
 */
#include "ssml.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char typical[] =
    "<speak><p>Welcome back to Space Facts! <break time=\"300ms\"/> Here is today's fact.</p>"
    "<p><s>Mars has the tallest volcano in the solar system.</s> <s>It is called "
    "<emphasis level=\"moderate\">Olympus Mons</emphasis>, and it is about "
    "<say-as interpret-as=\"cardinal\">22</say-as> kilometres high.</s></p>"
    "<amazon:effect name=\"whispered\">That is almost three times Mount Everest.</amazon:effect> "
    "<audio src=\"soundbank://soundlibrary/scifi/amzn_sfx_scifi_small_whoosh_flyby_01\"/>"
    "<prosody rate=\"90%\">Would you like another fact, or shall we stop?</prosody></speak>";

struct job {
    long iterations;
    int failures;
};

static double
clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void *
run(void *arg)
{
    struct job *j = arg;
    struct ssml_report report;
    for (long i = 0; i < j->iterations; i++)
        if (ssml_check(typical, sizeof(typical) - 1, SSML_SPEECH, &report) != 0)
            j->failures++;
    return NULL;
}

int
main(int argc, char **argv)
{
    long iterations = argc > 1 ? atol(argv[1]) : 200000;
    int threads = argc > 2 ? atoi(argv[2]) : 1;
    struct job jobs[64];
    pthread_t ids[64];
    struct ssml_report report;

    if (iterations <= 0 || threads <= 0 || threads > 64) {
        fprintf(stderr, "usage: bench_ssml [ITERATIONS [THREADS (1-64)]]\n");
        return 2;
    }
    if (ssml_init() != 0) {
        fprintf(stderr, "ssml_init failed\n");
        return 1;
    }
    if (ssml_check(typical, sizeof(typical) - 1, SSML_SPEECH, &report) != 0) {
        fprintf(stderr, "the benchmark document is invalid: %s\n", report.problems[0].message);
        return 1;
    }
    struct job warm = {iterations / 10 + 1, 0};
    run(&warm);
    int failures = warm.failures;

    if (threads == 1) {
        /* Five rounds; the machine is shared, so report the best and the
         * median, in wall-clock and in CPU time of this process. */
        enum { ROUNDS = 5 };
        double wall[ROUNDS], cpu[ROUNDS];
        struct job j = {iterations / ROUNDS + 1, 0};
        for (int i = 0; i < ROUNDS; i++) {
            double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
            run(&j);
            wall[i] = (clock_s(CLOCK_MONOTONIC) - w0) * 1e6 / (double)j.iterations;
            cpu[i] = (clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0) * 1e6 / (double)j.iterations;
        }
        failures += j.failures;
        qsort(wall, ROUNDS, sizeof(double), cmp_double);
        qsort(cpu, ROUNDS, sizeof(double), cmp_double);
        printf("ssml_check: %zu-byte document, %d rounds of %ld checks\n", sizeof(typical) - 1,
               ROUNDS, j.iterations);
        printf("wall: best %.2f us, median %.2f us per check\n", wall[0], wall[ROUNDS / 2]);
        printf("cpu:  best %.2f us, median %.2f us per check\n", cpu[0], cpu[ROUNDS / 2]);
    } else {
        double start = clock_s(CLOCK_MONOTONIC);
        int started = 0;
        for (int t = 0; t < threads; t++) {
            jobs[t].iterations = iterations;
            jobs[t].failures = 0;
            if (pthread_create(&ids[t], NULL, run, &jobs[t]) != 0) {
                fprintf(stderr, "pthread_create failed\n");
                break;
            }
            started++;
        }
        for (int t = 0; t < started; t++) {
            pthread_join(ids[t], NULL);
            failures += jobs[t].failures;
        }
        double elapsed = clock_s(CLOCK_MONOTONIC) - start;
        double total = (double)iterations * started;
        printf("ssml_check: %zu-byte document, %d threads, %.0f checks in %.3f s: %.0f checks/s\n",
               sizeof(typical) - 1, started, total, elapsed, total / elapsed);
    }
    ssml_shutdown();
    return failures ? 1 : 0;
}
