/*
 * metrics.c - lock-free counters and their Prometheus page (see metrics.h).
 *
 * Every counter is a relaxed atomic in one calloc'ed block indexed by skill
 * row, request type and status: counting is a few atomic adds, no lock, no
 * allocation. Rows are registered by name under a mutex; a row's name is
 * written before the row count is published (release/acquire), so render
 * never reads a half-written name.
 */
#include "metrics.h"

#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ss_limits.h"

/* The statuses the front answers with; anything else is counted as "other". */
static const int statuses[] = {200, 400, 404, 405, 413, 500, 503};
#define N_STATUS (sizeof(statuses) / sizeof(statuses[0]) + 1)

#define N_TYPES (METRICS_TYPE_NONE + 1)

/* Upper bounds of the latency buckets, in microseconds (+Inf is implied):
 * from a quarter of a millisecond (a skill answering from memory) to Alexa's
 * 8-second budget, with the default hard deadline (6 s) a bound of its own,
 * so that requests cut off there stand out from the ones that were slow. */
static const int64_t bucket_us[] = {250,     500,     1000,    2500,   5000,   10000,
                                    25000,   50000,   100000,  250000, 500000, 1000000,
                                    2500000, 5000000, 6000000, 8000000};
#define N_BUCKETS (sizeof(bucket_us) / sizeof(bucket_us[0]) + 1)

#ifndef SKILLSERVER_VERSION
#define SKILLSERVER_VERSION "unknown"
#endif

#if defined(__aarch64__)
#define BUILD_ARCH "arm64"
#elif defined(__x86_64__)
#define BUILD_ARCH "amd64"
#elif defined(__arm__)
#define BUILD_ARCH "armhf"
#else
#define BUILD_ARCH "other"
#endif

typedef _Atomic uint64_t counter;

struct skill_row {
    counter requests[N_TYPES][N_STATUS];
    counter latency[N_BUCKETS];
    counter latency_sum_us;
    counter latency_count;
    counter errors[SS_ERR__COUNT];
};

struct metrics {
    pthread_mutex_t lock;  /* registration only */
    _Atomic unsigned rows; /* rows in use, row 0 ("-") included */
    char names[LIMIT_METRICS_SKILLS][LIMIT_SKILL_NAME_CHARS + 1];
    struct skill_row skill[LIMIT_METRICS_SKILLS];
    counter verify_failures[VERIFY_R__COUNT];
    counter slow_clients;
    counter refused_connections;
    counter reloads;
    double start_time; /* seconds since the epoch; 0 when /proc could not tell */
};

static void
add(counter *c, uint64_t n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static uint64_t
get(counter *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

/* Fields 14 on of /proc/self/stat (proc(5)), after the command's name,
 * which may hold spaces and parentheses itself. */
struct proc_stat {
    unsigned long utime, stime;   /* clock ticks */
    unsigned long long starttime; /* clock ticks after boot */
    unsigned long vsize;          /* bytes */
    long rss;                     /* pages */
};

static bool
read_proc_stat(struct proc_stat *ps)
{
    char buf[1024];
    FILE *f = fopen("/proc/self/stat", "re");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    return p && sscanf(p + 1,
                       " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d "
                       "%*d %*d %llu %lu %ld",
                       &ps->utime, &ps->stime, &ps->starttime, &ps->vsize, &ps->rss) == 5;
}

/* When this process started, in seconds since the epoch: the boot time
 * (/proc/stat's btime) plus the process's start in ticks after boot. */
static double
process_start_time(void)
{
    struct proc_stat ps;
    char line[256];
    unsigned long long btime = 0;
    long ticks = sysconf(_SC_CLK_TCK);
    FILE *f = fopen("/proc/stat", "re");

    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "btime %llu", &btime) == 1)
            break;
    fclose(f);
    if (!btime || ticks <= 0 || !read_proc_stat(&ps))
        return 0;
    return (double)btime + (double)ps.starttime / (double)ticks;
}

/* Open file descriptors: the entries of /proc/self/fd, less the one that
 * reads it. -1 when it cannot be read. */
static long
open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    long n = 0;
    if (!d)
        return -1;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1;
}

struct metrics *
metrics_create(void)
{
    struct metrics *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    if (pthread_mutex_init(&m->lock, NULL) != 0) {
        free(m);
        return NULL;
    }
    snprintf(m->names[0], sizeof(m->names[0]), "-");
    atomic_store(&m->rows, 1);
    m->start_time = process_start_time();
    return m;
}

void
metrics_destroy(struct metrics *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->lock);
    free(m);
}

unsigned
metrics_skill_slot(struct metrics *m, const char *name)
{
    unsigned slot = METRICS_NO_SKILL;

    pthread_mutex_lock(&m->lock);
    unsigned rows = atomic_load_explicit(&m->rows, memory_order_relaxed);
    for (unsigned i = 1; i < rows; i++) {
        if (strcmp(m->names[i], name) == 0) {
            slot = i;
            goto out;
        }
    }
    if (rows < LIMIT_METRICS_SKILLS) {
        snprintf(m->names[rows], sizeof(m->names[rows]), "%s", name);
        atomic_store_explicit(&m->rows, rows + 1, memory_order_release);
        slot = rows;
    }
out:
    pthread_mutex_unlock(&m->lock);
    return slot;
}

static unsigned
status_index(int status)
{
    for (unsigned i = 0; i < N_STATUS - 1; i++)
        if (statuses[i] == status)
            return i;
    return N_STATUS - 1;
}

void
metrics_count_request(struct metrics *m, unsigned slot, int type, int status, int64_t total_us)
{
    if (slot >= LIMIT_METRICS_SKILLS)
        slot = METRICS_NO_SKILL;
    if (type < 0 || type >= (int)N_TYPES)
        type = METRICS_TYPE_NONE;
    struct skill_row *row = &m->skill[slot];
    add(&row->requests[type][status_index(status)], 1);

    unsigned b = 0;
    while (b < N_BUCKETS - 1 && total_us > bucket_us[b])
        b++;
    add(&row->latency[b], 1);
    add(&row->latency_sum_us, total_us > 0 ? (uint64_t)total_us : 0);
    add(&row->latency_count, 1);
}

void
metrics_count_verify_failure(struct metrics *m, enum verify_reason reason)
{
    if ((unsigned)reason < VERIFY_R__COUNT)
        add(&m->verify_failures[reason], 1);
}

void
metrics_count_skill_error(struct metrics *m, unsigned slot, enum ss_err err)
{
    if (slot >= LIMIT_METRICS_SKILLS)
        slot = METRICS_NO_SKILL;
    if ((unsigned)err < SS_ERR__COUNT && err != SS_ERR_OK)
        add(&m->skill[slot].errors[err], 1);
}

void
metrics_count_slow_client(struct metrics *m)
{
    add(&m->slow_clients, 1);
}

void
metrics_count_refused_connection(struct metrics *m)
{
    add(&m->refused_connections, 1);
}

void
metrics_count_reload(struct metrics *m)
{
    add(&m->reloads, 1);
}

static const char *
type_label(int type)
{
    if (type == METRICS_TYPE_NONE)
        return "none";
    const char *name = request_type_name((enum request_type)type);
    return name ? name : "other";
}

/* "SKILL_TIMEOUT" -> "skill_timeout", for label values that read like the rest. */
static void
lower(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++)
        dst[i] = (char)(src[i] >= 'A' && src[i] <= 'Z' ? src[i] - 'A' + 'a' : src[i]);
    dst[i] = '\0';
}

/* The request types every skill row shows from the start, zeros included
 * (the rarer types appear once counted): what nearly every skill is sent,
 * and "none" for a request refused before its type was read. */
static bool
always_shown(unsigned type)
{
    return type == REQ_LAUNCH || type == REQ_INTENT || type == REQ_SESSION_ENDED ||
           type == METRICS_TYPE_NONE;
}

/* The error kinds every skill row shows from the start: the ways a skill
 * itself fails (the others, such as out of memory, appear once counted). */
static bool
skill_failure(unsigned err)
{
    return err >= SS_ERR_SKILL_LOAD && err <= SS_ERR_WORKER;
}

static void
render_requests(FILE *f, struct metrics *m, unsigned rows)
{
    fputs("# HELP skillserver_requests_total Requests answered, by skill, request type and "
          "HTTP status.\n"
          "# TYPE skillserver_requests_total counter\n",
          f);
    for (unsigned s = 0; s < rows; s++) {
        for (unsigned t = 0; t < N_TYPES; t++) {
            for (unsigned k = 0; k < N_STATUS; k++) {
                uint64_t n = get(&m->skill[s].requests[t][k]);
                if (n == 0 && !always_shown(t))
                    continue;
                char status[16];
                if (k < N_STATUS - 1)
                    snprintf(status, sizeof(status), "%d", statuses[k]);
                else
                    snprintf(status, sizeof(status), "other");
                fprintf(f,
                        "skillserver_requests_total{skill=\"%s\",type=\"%s\",status=\"%s\"} "
                        "%llu\n",
                        m->names[s], type_label((int)t), status, (unsigned long long)n);
            }
        }
    }

    fputs("# HELP skillserver_request_duration_seconds Time from a request's arrival to its "
          "answer.\n"
          "# TYPE skillserver_request_duration_seconds histogram\n",
          f);
    for (unsigned s = 0; s < rows; s++) {
        struct skill_row *row = &m->skill[s];
        uint64_t cumulative = 0;
        for (unsigned b = 0; b < N_BUCKETS; b++) {
            cumulative += get(&row->latency[b]);
            if (b < N_BUCKETS - 1)
                fprintf(f,
                        "skillserver_request_duration_seconds_bucket{skill=\"%s\",le=\"%g\"} "
                        "%llu\n",
                        m->names[s], (double)bucket_us[b] / 1e6, (unsigned long long)cumulative);
            else
                fprintf(f,
                        "skillserver_request_duration_seconds_bucket{skill=\"%s\",le=\"+Inf\"} "
                        "%llu\n",
                        m->names[s], (unsigned long long)cumulative);
        }
        fprintf(f, "skillserver_request_duration_seconds_sum{skill=\"%s\"} %.6f\n", m->names[s],
                (double)get(&row->latency_sum_us) / 1e6);
        /* The buckets were read one by one while others count: report their
         * total as the count so the page stays consistent. */
        fprintf(f, "skillserver_request_duration_seconds_count{skill=\"%s\"} %llu\n", m->names[s],
                (unsigned long long)cumulative);
    }
}

static void
render_failures(FILE *f, struct metrics *m, unsigned rows)
{
    fputs("# HELP skillserver_verification_failures_total Requests refused by request "
          "verification, by reason.\n"
          "# TYPE skillserver_verification_failures_total counter\n",
          f);
    for (unsigned r = 1; r < VERIFY_R__COUNT; r++)
        fprintf(f, "skillserver_verification_failures_total{reason=\"%s\"} %llu\n",
                verify_reason_name((enum verify_reason)r),
                (unsigned long long)get(&m->verify_failures[r]));

    fputs("# HELP skillserver_handler_timeouts_total Requests whose handler passed the hard "
          "deadline.\n"
          "# TYPE skillserver_handler_timeouts_total counter\n",
          f);
    for (unsigned s = 1; s < rows; s++)
        fprintf(f, "skillserver_handler_timeouts_total{skill=\"%s\"} %llu\n", m->names[s],
                (unsigned long long)get(&m->skill[s].errors[SS_ERR_SKILL_TIMEOUT]));

    fputs("# HELP skillserver_skill_errors_total Requests not answered by the skill itself "
          "(an apology or a 4xx was sent), by error kind.\n"
          "# TYPE skillserver_skill_errors_total counter\n",
          f);
    for (unsigned s = 0; s < rows; s++) {
        for (unsigned e = 1; e < SS_ERR__COUNT; e++) {
            uint64_t n = get(&m->skill[s].errors[e]);
            if (n == 0 && (s == METRICS_NO_SKILL || !skill_failure(e)))
                continue;
            char name[64];
            lower(name, sizeof(name), ss_err_name((enum ss_err)e));
            fprintf(f, "skillserver_skill_errors_total{skill=\"%s\",error=\"%s\"} %llu\n",
                    m->names[s], name, (unsigned long long)n);
        }
    }
}

static void
render_extra(FILE *f, struct metrics *m, const struct metrics_extra *x)
{
    fprintf(f,
            "# HELP skillserver_slow_clients_total Connections cut off for sending a request "
            "too slowly or idling too long.\n"
            "# TYPE skillserver_slow_clients_total counter\n"
            "skillserver_slow_clients_total %llu\n"
            "# HELP skillserver_connections_refused_total Connections closed at once because "
            "their address (or the server) had as many open as allowed.\n"
            "# TYPE skillserver_connections_refused_total counter\n"
            "skillserver_connections_refused_total %llu\n"
            "# HELP skillserver_reloads_total Reloads of the skills.\n"
            "# TYPE skillserver_reloads_total counter\n"
            "skillserver_reloads_total %llu\n",
            (unsigned long long)get(&m->slow_clients),
            (unsigned long long)get(&m->refused_connections), (unsigned long long)get(&m->reloads));
    if (!x)
        return;
    fprintf(f,
            "# HELP skillserver_http_connections Open HTTP connections.\n"
            "# TYPE skillserver_http_connections gauge\n"
            "skillserver_http_connections %u\n"
            "# HELP skillserver_http_requests_in_flight Requests received but not yet "
            "answered.\n"
            "# TYPE skillserver_http_requests_in_flight gauge\n"
            "skillserver_http_requests_in_flight %u\n"
            "# HELP skillserver_skills Skills loaded.\n"
            "# TYPE skillserver_skills gauge\n"
            "skillserver_skills %u\n",
            x->connections, x->in_flight, x->skills);
    if (!x->pool)
        return;
    const struct pool_stats *p = x->pool;
    fprintf(f,
            "# HELP skillserver_worker_restarts_total Workers replaced after they crashed or "
            "were killed at the hard deadline.\n"
            "# TYPE skillserver_worker_restarts_total counter\n"
            "skillserver_worker_restarts_total %llu\n"
            "# HELP skillserver_workers_started_total Worker processes started.\n"
            "# TYPE skillserver_workers_started_total counter\n"
            "skillserver_workers_started_total %llu\n"
            "# HELP skillserver_worker_crashes_total Workers that died while answering.\n"
            "# TYPE skillserver_worker_crashes_total counter\n"
            "skillserver_worker_crashes_total %llu\n"
            "# HELP skillserver_worker_timeouts_total Workers killed at the hard deadline.\n"
            "# TYPE skillserver_worker_timeouts_total counter\n"
            "skillserver_worker_timeouts_total %llu\n"
            "# HELP skillserver_workers_recycled_total Workers stopped after their request "
            "quota, memory limit or idleness.\n"
            "# TYPE skillserver_workers_recycled_total counter\n"
            "skillserver_workers_recycled_total %llu\n"
            "# HELP skillserver_workers_running Worker processes alive.\n"
            "# TYPE skillserver_workers_running gauge\n"
            "skillserver_workers_running %u\n"
            "# HELP skillserver_workers_busy Workers answering a request.\n"
            "# TYPE skillserver_workers_busy gauge\n"
            "skillserver_workers_busy %u\n",
            (unsigned long long)(p->crashed + p->timeouts), (unsigned long long)p->started,
            (unsigned long long)p->crashed, (unsigned long long)p->timeouts,
            (unsigned long long)p->recycled, p->running, p->busy);
}

/* The process_* series as Prometheus's client libraries define them (of
 * this process: the skills' workers are processes of their own), and the
 * build. A series whose source cannot be read is left out. */
static void
render_process(FILE *f, struct metrics *m)
{
    struct proc_stat ps;
    long ticks = sysconf(_SC_CLK_TCK);
    long page = sysconf(_SC_PAGESIZE);
    struct rlimit rl;
    long fds = open_fds();

    if (read_proc_stat(&ps) && ticks > 0 && page > 0)
        fprintf(f,
                "# HELP process_cpu_seconds_total Total user and system CPU time spent in "
                "seconds.\n"
                "# TYPE process_cpu_seconds_total counter\n"
                "process_cpu_seconds_total %.2f\n"
                "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
                "# TYPE process_resident_memory_bytes gauge\n"
                "process_resident_memory_bytes %lld\n"
                "# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n"
                "# TYPE process_virtual_memory_bytes gauge\n"
                "process_virtual_memory_bytes %lu\n",
                (double)(ps.utime + ps.stime) / (double)ticks, (long long)ps.rss * page, ps.vsize);
    if (fds >= 0)
        fprintf(f,
                "# HELP process_open_fds Number of open file descriptors.\n"
                "# TYPE process_open_fds gauge\n"
                "process_open_fds %ld\n",
                fds);
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
        fprintf(f,
                "# HELP process_max_fds Maximum number of open file descriptors.\n"
                "# TYPE process_max_fds gauge\n"
                "process_max_fds %llu\n",
                (unsigned long long)rl.rlim_cur);
    if (m->start_time > 0)
        fprintf(f,
                "# HELP process_start_time_seconds Start time of the process since unix epoch "
                "in seconds.\n"
                "# TYPE process_start_time_seconds gauge\n"
                "process_start_time_seconds %.2f\n",
                m->start_time);
    fputs("# HELP skillserver_build_info The version and architecture skillserver was built "
          "for; always 1.\n"
          "# TYPE skillserver_build_info gauge\n"
          "skillserver_build_info{version=\"" SKILLSERVER_VERSION "\",arch=\"" BUILD_ARCH "\"} 1\n",
          f);
}

char *
metrics_render(struct metrics *m, const struct metrics_extra *extra, size_t *len)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);

    if (!f)
        return NULL;
    unsigned rows = atomic_load_explicit(&m->rows, memory_order_acquire);
    render_requests(f, m, rows);
    render_failures(f, m, rows);
    render_extra(f, m, extra);
    render_process(f, m);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        free(buf);
        return NULL;
    }
    *len = size;
    return buf;
}
