/*
 * bench_ssml.c - microseconds per ssml_check() of a typical response.
 *
 * The document is about 500 characters of what a skill says: sentences,
 * a pause, a whisper, say-as, prosody and a sound. Runs a warm-up, then
 * times N checks (default 200000) with CLOCK_MONOTONIC and prints the mean
 * per check; with several threads (second argument) it prints the
 * throughput of all of them together. Each check is of a new document (a
 * counter in the say-as changes), so that libxml2 runs every time rather
 * than the memo of documents found valid; the single-thread run then times
 * the same document again, which the memo answers. Not a test: run it by
 * hand, on an otherwise idle machine.
 *
 * usage: bench_ssml [ITERATIONS [THREADS]]
 */
#include "ssml.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char typical[] =
    "<speak><p>Welcome back to Space Facts! <break time=\"300ms\"/> Here is today's fact.</p>"
    "<p><s>Mars has the tallest volcano in the solar system.</s> <s>It is called "
    "<emphasis level=\"moderate\">Olympus Mons</emphasis>, and it is about "
    "<say-as interpret-as=\"cardinal\">000022</say-as> kilometres high.</s></p>"
    "<amazon:effect name=\"whispered\">That is almost three times Mount Everest.</amazon:effect> "
    "<audio src=\"soundbank://soundlibrary/scifi/amzn_sfx_scifi_small_whoosh_flyby_01\"/>"
    "<prosody rate=\"90%\">Would you like another fact, or shall we stop?</prosody></speak>";

struct job {
    long iterations;
    int failures;
    bool same; /* check the same document every time (the memo's case) */
};

/* The counter in the say-as of a copy of typical: its six digits. */
static char *
counter_of(char *doc)
{
    return strstr(doc, "000022");
}

/* Count up the six digits at d. */
static void
next_number(char *d)
{
    for (int i = 5; i >= 0; i--) {
        if (d[i] != '9') {
            d[i]++;
            return;
        }
        d[i] = '0';
    }
}

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
    char doc[sizeof(typical)];
    memcpy(doc, typical, sizeof(typical));
    char *number = counter_of(doc);
    for (long i = 0; i < j->iterations; i++) {
        if (!j->same)
            next_number(number);
        if (ssml_check(doc, sizeof(typical) - 1, SSML_SPEECH, &report) != 0)
            j->failures++;
    }
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
    struct job warm = {iterations / 10 + 1, 0, false};
    run(&warm);
    int failures = warm.failures;

    if (threads == 1) {
        /* Five rounds; the machine is shared, so report the best and the
         * median, in wall-clock and in CPU time of this process. */
        enum { ROUNDS = 5 };
        for (int same = 0; same < 2; same++) {
            double wall[ROUNDS], cpu[ROUNDS];
            struct job j = {iterations / ROUNDS + 1, 0, same};
            for (int i = 0; i < ROUNDS; i++) {
                double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
                run(&j);
                wall[i] = (clock_s(CLOCK_MONOTONIC) - w0) * 1e6 / (double)j.iterations;
                cpu[i] = (clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0) * 1e6 / (double)j.iterations;
            }
            failures += j.failures;
            qsort(wall, ROUNDS, sizeof(double), cmp_double);
            qsort(cpu, ROUNDS, sizeof(double), cmp_double);
            printf("ssml_check: %zu-byte document%s, %d rounds of %ld checks\n",
                   sizeof(typical) - 1,
                   same ? ", the same one again (answered by the memo)" : ", a new one each time",
                   ROUNDS, j.iterations);
            printf("wall: best %.2f us, median %.2f us per check\n", wall[0], wall[ROUNDS / 2]);
            printf("cpu:  best %.2f us, median %.2f us per check\n", cpu[0], cpu[ROUNDS / 2]);
        }
    } else {
        double start = clock_s(CLOCK_MONOTONIC);
        int started = 0;
        for (int t = 0; t < threads; t++) {
            jobs[t].iterations = iterations;
            jobs[t].failures = 0;
            jobs[t].same = false;
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
