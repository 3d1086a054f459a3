/*
 * bench_request.c - microseconds per request_parse() on the canned
 * LaunchRequest and the spec's §4.2 IntentRequest, as stored (pretty-printed)
 * and compact (as Alexa sends them), next to json_loadb() alone so the cost
 * of the view itself shows.
 *
 * Times are CPU time of this thread (the budget in DESIGN.md is CPU time),
 * the best of ROUNDS rounds, so that other processes on a shared machine
 * disturb the figure as little as possible.
 *
 * Not a test: timings depend on the machine. Run it by hand:
 *   build-X/tests/bench/bench_request [iterations]
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "request.h"

static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long size;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)size + 1)) != NULL) {
        if (fread(buf, 1, (size_t)size, f) == (size_t)size) {
            buf[size] = '\0';
            *len = (size_t)size;
        } else {
            free(buf);
            buf = NULL;
        }
    }
    fclose(f);
    return buf;
}

#define ROUNDS 5

static double
cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Best of ROUNDS rounds of n/ROUNDS parses of body: CPU microseconds per
 * parse, or -1 on failure. */
static double
time_parse(const char *body, size_t len, long n)
{
    struct request req;
    struct ss_error err;
    long per = n / ROUNDS > 0 ? n / ROUNDS : 1;
    double best = -1;

    for (int round = 0; round < ROUNDS; round++) {
        double t0 = cpu_us(), t;
        for (long i = 0; i < per; i++) {
            if (request_parse(&req, body, len, &err) != SS_ERR_OK) {
                fprintf(stderr, "parse failed: %s\n", err.msg);
                return -1;
            }
            request_cleanup(&req);
        }
        t = (cpu_us() - t0) / (double)per;
        if (best < 0 || t < best)
            best = t;
    }
    return best;
}

/* The same for jansson alone, with request.c's flags. */
static double
time_jansson(const char *body, size_t len, long n)
{
    json_error_t jerr;
    long per = n / ROUNDS > 0 ? n / ROUNDS : 1;
    double best = -1;

    for (int round = 0; round < ROUNDS; round++) {
        double t0 = cpu_us(), t;
        for (long i = 0; i < per; i++) {
            json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
            if (!root)
                return -1;
            json_decref(root);
        }
        t = (cpu_us() - t0) / (double)per;
        if (best < 0 || t < best)
            best = t;
    }
    return best;
}

static int
bench(const char *name, long n)
{
    char path[1024];
    size_t len = 0;
    char *pretty, *compact = NULL;
    json_t *doc;
    double p, pj, c, cj;

    snprintf(path, sizeof(path), "%s/tests/fixtures/requests/%s", SOURCE_ROOT, name);
    pretty = slurp(path, &len);
    if (!pretty) {
        perror(path);
        return 1;
    }
    doc = json_loadb(pretty, len, 0, NULL);
    if (doc)
        compact = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(doc);
    if (!compact) {
        fprintf(stderr, "%s: cannot make the compact form\n", name);
        free(pretty);
        return 1;
    }
    /* Warm caches and the allocator before timing. */
    time_parse(compact, strlen(compact), n / 10 + 1);
    p = time_parse(pretty, len, n);
    pj = time_jansson(pretty, len, n);
    c = time_parse(compact, strlen(compact), n);
    cj = time_jansson(compact, strlen(compact), n);
    printf("%-26s pretty  %5zu bytes: request_parse %6.2f us, json_loadb alone %6.2f us\n", name,
           len, p, pj);
    printf("%-26s compact %5zu bytes: request_parse %6.2f us, json_loadb alone %6.2f us\n", name,
           strlen(compact), c, cj);
    free(pretty);
    free(compact);
    return p < 0 || c < 0;
}

int
main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;
    int rc = 0;

    if (n <= 0) {
        fprintf(stderr, "usage: %s [iterations > 0]\n", argv[0]);
        return 2;
    }
    printf("%ld iterations each, CPU time per parse, best of %d rounds\n", n, ROUNDS);
    rc |= bench("launch.json", n);
    rc |= bench("intent_order_drink.json", n);
    return rc;
}
