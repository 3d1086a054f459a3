/*
 * http.c - `skillserver serve`: libmicrohttpd, routes, limits, access log,
 * reload and drain (see http.h).
 *
 * Threads: libmicrohttpd's pool of epoll threads runs the access handler,
 * which blocks for the whole pipeline of a request (verification, dispatch,
 * the worker round trip); the main thread only waits on a signalfd, cuts off
 * slow clients, keeps the pool tidy and reloads skills. A request holds a
 * reference to the skill set it started with (struct generation), so a
 * reload never pulls a skill from under a request in flight.
 *
 * Memory per request: one struct http_request (with room for a typical
 * Alexa body inline) allocated when its head is complete and freed in the
 * completion callback, plus what dispatch and libmicrohttpd allocate.
 */
#include "http.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dispatch.h"
#include "launcher.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "privs.h"
#include "proto.h"
#include "request.h"
#include "runtime.h"
#include "simulator.h"
#include "skill.h"
#include "ss_limits.h"
#include "store.h"
#include "verify.h"

/* Bodies up to this size live inside struct http_request (Alexa's are 1-4 KiB),
 * so a typical request costs no allocation for its body. Not a limit. */
#define INLINE_BODY_BYTES 4096

/* libmicrohttpd keeps the head and its own buffers in one pool per
 * connection. The head limit is checked exactly in the access handler; the
 * pool is twice that (plus room for the answer's head) so libmicrohttpd's own
 * cruder check only meets heads far over the limit (it answers those 431). */
#define CONNECTION_MEMORY_BYTES (2 * LIMIT_HTTP_HEADER_BYTES + 4096)

/* The main thread wakes this often to cut off slow clients. */
#define TICK_MS 250

/* GnuTLS priorities: TLS 1.2 and 1.3 only, forward-secret key exchange, AEAD
 * ciphers (spec/request-verification.md §1.4). */
#define TLS_PRIORITIES                                                                             \
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-RSA:-DHE-RSA:-DHE-DSS:-CIPHER-ALL:"               \
    "+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:%SERVER_PRECEDENCE"

static const char JSON_TYPE[] = "application/json;charset=UTF-8";
static const char TEXT_TYPE[] = "text/plain;charset=UTF-8";
static const char METRICS_TYPE[] = "text/plain; version=0.0.4; charset=utf-8";

/* ---- state ---- */

/* What a connection is doing, for the slow-client reaper. */
enum conn_state {
    CONN_IDLE,      /* keep-alive: an answer was sent, no new request has begun */
    CONN_RECEIVING, /* a request is coming in: since accept() for the first request of
                     * a connection, since its first line for the next ones */
    CONN_BUSY,      /* the request is complete: ours to answer, never cut off */
};

struct http_conn {
    struct http_conn *prev, *next; /* in server->conns, under conn_lock */
    int fd;
    _Atomic int state;
    _Atomic int64_t since_ms; /* when state was entered */
    _Atomic bool cut;         /* shut down by the reaper */
};

/* One loaded skill set, shared by the requests that started while it was current. */
struct generation {
    struct skill_set *skills;
    unsigned *slots; /* metrics row of each skill, parallel to skills->items */
    atomic_uint refs;
};

struct http_server {
    struct http_config cfg;
    struct MHD_Daemon *daemon;
    struct MHD_Daemon *metrics_daemon; /* --metrics-listen: /metrics and /healthz only */
    struct pool *pool;
    struct store *store;
    struct verify_ctx *verify; /* NULL with --no-verify */
    struct metrics *metrics;
    int handler_timeout_ms;
    unsigned threads;
    unsigned max_connections;
    unsigned max_per_address;
    char *default_cert; /* DATA/tls/... when no --tls-cert was given */
    char *default_key;
    char *tls_cert_pem;
    char *tls_key_pem;
    size_t tls_key_len;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    char where[96];                       /* "https://127.0.0.1:8443", for the logs */
    struct sockaddr_storage metrics_addr; /* --metrics-listen */
    socklen_t metrics_addr_len;

    pthread_mutex_t gen_lock; /* guards gen (the pointer, and taking a reference) */
    struct generation *gen;

    pthread_mutex_t conn_lock; /* guards the conns list; held while the reaper shuts a fd */
    struct http_conn *conns;
    atomic_uint connections;
    atomic_uint in_flight;
    atomic_bool draining;
    atomic_uint refused;     /* connections closed at a connection limit, counted by on_mhd_log() */
    unsigned refused_logged; /* the main loop's last report of it */

    uint64_t fingerprint; /* --dev: the skills' files, to notice changes */

    /* The loader thread starts and reloads skills, so that a skill that is
     * slow to import never holds up the main loop (signals, slow clients). */
    pthread_t loader;
    bool loader_running;
    pthread_mutex_t load_lock;
    pthread_cond_t load_cond;
    int load_pending; /* LOAD_NONE, LOAD_START or LOAD_RELOAD */
    const char *load_why;
    bool load_quit;

    int launcher_fd; /* started as root: the launcher's socket; else -1 */
    int listen_fd;   /* bound before the daemon starts; -1 once it owns it */
    int metrics_fd;  /* the same for --metrics-listen */
};

enum { LOAD_NONE, LOAD_START, LOAD_RELOAD };

struct http_request {
    struct http_server *srv;
    struct http_conn *conn;
    struct generation *gen;
    const struct skill *skill; /* NULL until routed */
    unsigned slot;             /* metrics row */
    enum http_route route;
    int64_t start_us;   /* the head was complete */
    int64_t arrival_ms; /* the same, for the deadlines */
    int status;         /* the answer's status; 0 before one is queued */
    enum ss_err err;    /* why, when the answer is not the skill's own */
    const char *verify; /* "off", "ok" or a verify_reason name */
    int64_t verify_us;
    bool answered;
    bool close;         /* end the connection after the answer */
    enum ss_err reject; /* decided from the head, answered once the body is read */
    const char *allow;  /* the Allow header of a 405 */
    char reject_msg[256];
    bool log;                   /* probes (healthz, metrics) that succeed are not logged */
    bool have_res;              /* res holds dispatch's result (and the parsed request) */
    struct dispatch_result res; /* kept until completion: the access log reads its view */
    char path[128];
    const char *refused_header; /* NOT_LOCAL: "host" or "origin", logged with its value */
    char refused_value[128];
    char sim_name[LIMIT_SKILL_NAME_CHARS + 1]; /* HTTP_ROUTE_SIM_FILE: the file */
    const char *sim_type;                      /* its Content-Type */
    char *body;                                /* inline_body, or malloc'ed for large bodies */
    size_t len, cap;
    char inline_body[INLINE_BODY_BYTES];
};

/* ---- small helpers ---- */

enum ss_err
http_parse_listen(const char *text, struct sockaddr_storage *out, socklen_t *len,
                  struct ss_error *err)
{
    char host[256];
    const char *port;
    struct addrinfo hints = {0}, *res = NULL, *pick = NULL;

    if (!text || !*text)
        return ss_fail(err, SS_ERR_USAGE, "--listen needs ADDR:PORT, such as 127.0.0.1:8443");
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':' || (size_t)(close - text - 1) >= sizeof(host))
            return ss_fail(err, SS_ERR_USAGE,
                           "--listen '%s': write an IPv6 address as [ADDR]:PORT, such as "
                           "[::1]:8443",
                           text);
        memcpy(host, text + 1, (size_t)(close - text - 1));
        host[close - text - 1] = '\0';
        port = close + 2;
    } else {
        const char *colon = strrchr(text, ':');
        if (!colon || colon == text || (size_t)(colon - text) >= sizeof(host) ||
            memchr(text, ':', (size_t)(colon - text)))
            return ss_fail(err, SS_ERR_USAGE,
                           "--listen '%s' is not ADDR:PORT, such as 127.0.0.1:8443 or "
                           "0.0.0.0:443",
                           text);
        memcpy(host, text, (size_t)(colon - text));
        host[colon - text] = '\0';
        port = colon + 1;
    }
    char *end;
    errno = 0;
    long p = strtol(port, &end, 10);
    if (!*port || *end || errno || p < 0 || p > 65535)
        return ss_fail(err, SS_ERR_USAGE, "--listen '%s': the port must be 0 to 65535", text);

    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    int g = getaddrinfo(host, port, &hints, &res);
    if (g != 0)
        return ss_fail(err, SS_ERR_USAGE, "--listen '%s': cannot resolve %s: %s", text, host,
                       gai_strerror(g));
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
            continue;
        /* Prefer IPv4 for names like localhost, which most clients try first. */
        if (!pick || (pick->ai_family != AF_INET && ai->ai_family == AF_INET))
            pick = ai;
    }
    if (!pick || pick->ai_addrlen > sizeof(*out)) {
        freeaddrinfo(res);
        return ss_fail(err, SS_ERR_USAGE, "--listen '%s': %s has no IPv4 or IPv6 address", text,
                       host);
    }
    memset(out, 0, sizeof(*out));
    memcpy(out, pick->ai_addr, pick->ai_addrlen);
    *len = pick->ai_addrlen;
    freeaddrinfo(res);
    return SS_ERR_OK;
}

bool
http_addr_is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(a))
            return true;
        return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
    }
    return false;
}

void
http_format_addr(const struct sockaddr *sa, char *buf, size_t cap)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
        snprintf(buf, cap, "[%s]:%u", ip, (unsigned)ntohs(in6->sin6_port));
    } else {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
        snprintf(buf, cap, "%s:%u", ip, (unsigned)ntohs(in->sin_port));
    }
}

enum http_route
http_route_of(const char *url, char *name, size_t cap)
{
    static const char prefix[] = "/skills/";
    static const char sim[] = "/simulator/";

    if (cap > 0)
        name[0] = '\0';
    if (strcmp(url, "/") == 0)
        return HTTP_ROUTE_APP;
    if (strcmp(url, "/healthz") == 0)
        return HTTP_ROUTE_HEALTH;
    if (strcmp(url, "/metrics") == 0)
        return HTTP_ROUTE_METRICS;
    if (strncmp(url, prefix, sizeof(prefix) - 1) == 0) {
        const char *n = url + sizeof(prefix) - 1;
        if (strlen(n) >= cap || !skill_name_valid(n))
            return HTTP_ROUTE_NONE;
        memcpy(name, n, strlen(n) + 1);
        return HTTP_ROUTE_SKILL;
    }
    if (strncmp(url, sim, sizeof(sim) - 1) == 0) {
        const char *n = url + sizeof(sim) - 1;
        if (strcmp(n, "turn") == 0)
            return HTTP_ROUTE_SIM_TURN;
        if (strcmp(n, "skills") == 0)
            return HTTP_ROUTE_SIM_SKILLS;
        /* A file's base name; simulator_file() decides whether it exists. */
        if (!*n || strlen(n) >= cap || n[0] == '.' ||
            strspn(n, "abcdefghijklmnopqrstuvwxyz"
                      "0123456789_-.") != strlen(n))
            return HTTP_ROUTE_NONE;
        memcpy(name, n, strlen(n) + 1);
        return HTTP_ROUTE_SIM_FILE;
    }
    return HTTP_ROUTE_NONE;
}

/* "127.0.0.1": four decimal numbers up to 255 without leading zeros, the
 * first 127. Other spellings (127.1, 0x7f.0.0.1) are not what a browser
 * sends, so they are not accepted. */
static bool
loopback_quad(const char *s, size_t len)
{
    unsigned parts = 0, value = 0, digits = 0, first = 0;

    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '.') {
            if (digits == 0 || parts == 4)
                return false;
            if (parts == 0)
                first = value;
            parts++;
            value = digits = 0;
            continue;
        }
        if (s[i] < '0' || s[i] > '9' || (digits == 1 && value == 0) || ++digits > 3)
            return false;
        value = value * 10 + (unsigned)(s[i] - '0');
        if (value > 255)
            return false;
    }
    return parts == 4 && first == 127;
}

bool
http_host_is_loopback(const char *host)
{
    size_t len = strlen(host), name_len;
    const char *port;

    if (len == 0 || len > 255)
        return false;
    if (host[0] == '[') {
        const char *close = memchr(host, ']', len);
        char text[INET6_ADDRSTRLEN];
        struct in6_addr a;
        size_t n = close ? (size_t)(close - host - 1) : 0;
        if (!close || n == 0 || n >= sizeof(text))
            return false;
        memcpy(text, host + 1, n);
        text[n] = '\0';
        if (inet_pton(AF_INET6, text, &a) != 1)
            return false;
        if (!IN6_IS_ADDR_LOOPBACK(&a) && !(IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127))
            return false;
        port = close + 1;
        if (*port == '\0')
            return true;
        if (*port != ':')
            return false;
    } else {
        port = memchr(host, ':', len);
        name_len = port ? (size_t)(port - host) : len;
        if (!((name_len == 9 && strncasecmp(host, "localhost", 9) == 0) ||
              (name_len == 10 && strncasecmp(host, "localhost.", 10) == 0) ||
              loopback_quad(host, name_len)))
            return false;
        if (!port)
            return true;
    }
    /* ":PORT", 1 to 5 digits, at most 65535. */
    port++;
    size_t digits = strspn(port, "0123456789");
    return digits > 0 && digits <= 5 && port[digits] == '\0' && atol(port) <= 65535;
}

bool
http_origin_is_loopback(const char *origin)
{
    if (strncasecmp(origin, "http://", 7) == 0)
        return http_host_is_loopback(origin + 7);
    if (strncasecmp(origin, "https://", 8) == 0)
        return http_host_is_loopback(origin + 8);
    return false; /* "null" (a sandboxed frame, a file: page) and anything else */
}

bool
http_content_type_is_json(const char *type)
{
    size_t n = strcspn(type, ";");
    while (n > 0 && (type[n - 1] == ' ' || type[n - 1] == '\t'))
        n--;
    if (n == 16 && strncasecmp(type, "application/json", 16) == 0)
        return true;
    /* application/something+json */
    return n > 17 && strncasecmp(type, "application/", 12) == 0 &&
           strspn(type + 12, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-+") ==
               n - 12 &&
           strncasecmp(type + n - 5, "+json", 5) == 0;
}

void
http_framing_add(struct http_framing *f, const char *name, const char *value)
{
    /* RFC 9110 §5.6.2: a field name is a token. libmicrohttpd keeps
     * "Content-Length " (a space before the colon) as a name of its own, so
     * it would read no body where a lenient proxy reads one. */
    static const char token[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                "!#$%&'*+-.^_`|~";
    if (!*name || strspn(name, token) != strlen(name))
        f->bad_name = true;
    for (const unsigned char *v = (const unsigned char *)(value ? value : ""); *v; v++)
        if ((*v < 0x20 && *v != '\t') || *v == 0x7f)
            f->bad_value = true;
    if (strcasecmp(name, "Content-Length") == 0) {
        f->content_lengths++;
    } else if (strcasecmp(name, "Transfer-Encoding") == 0) {
        f->transfer_encodings++;
        f->chunked_only = value && strcasecmp(value, "chunked") == 0;
    } else if (strcasecmp(name, "Host") == 0) {
        f->hosts++;
    }
}

const char *
http_framing_problem(const struct http_framing *f, bool http10)
{
    if (f->bad_name)
        return "a header name has a character HTTP does not allow there (a space before the "
               "colon?)";
    if (f->bad_value)
        return "a header value has a control character in it (a bare CR?)";
    if (f->content_lengths > 1)
        return "the request has more than one Content-Length header";
    if (f->transfer_encodings > 0 && f->content_lengths > 0)
        return "the request has both Content-Length and Transfer-Encoding";
    if (f->transfer_encodings > 1)
        return "the request has more than one Transfer-Encoding header";
    if (f->transfer_encodings > 0 && !f->chunked_only)
        return "the only Transfer-Encoding this server takes is chunked";
    if (f->transfer_encodings > 0 && http10)
        return "an HTTP/1.0 request cannot have a Transfer-Encoding";
    if (f->hosts > 1)
        return "the request has more than one Host header";
    return NULL;
}

/* Read a whole (small) file; the caller frees. NULL with err set. */
static char *
read_file(const char *path, const char *what, size_t *len, struct ss_error *err)
{
    char *buf = NULL;
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        ss_fail(err, SS_ERR_USAGE, "cannot open the %s %s: %s", what, path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
        st.st_size > LIMIT_TLS_PEM_BYTES) {
        ss_fail(err, SS_ERR_USAGE, "the %s %s is not a PEM file (empty, too large or not a file)",
                what, path);
        goto out;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        ss_fail(err, SS_ERR_NOMEM, "out of memory");
        goto out;
    }
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            ss_fail(err, SS_ERR_USAGE, "cannot read the %s %s: %s", what, path,
                    n < 0 ? strerror(errno) : "file shrank");
            free(buf);
            buf = NULL;
            goto out;
        }
        got += (size_t)n;
    }
    buf[got] = '\0';
    *len = got;
    if (!strstr(buf, "-----BEGIN ")) {
        ss_fail(err, SS_ERR_USAGE, "the %s %s is not in PEM format (no -----BEGIN line)", what,
                path);
        explicit_bzero(buf, got);
        free(buf);
        buf = NULL;
    }
out:
    close(fd);
    return buf;
}

/* ---- skill sets ---- */

static void
generation_release(struct generation *g)
{
    if (!g || atomic_fetch_sub_explicit(&g->refs, 1, memory_order_acq_rel) != 1)
        return;
    skill_set_destroy(g->skills);
    free(g->slots);
    free(g);
}

static struct generation *
generation_acquire(struct http_server *srv)
{
    pthread_mutex_lock(&srv->gen_lock);
    struct generation *g = srv->gen;
    atomic_fetch_add_explicit(&g->refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&srv->gen_lock);
    return g;
}

static void
report_skill_config(void *ctx, const char *name, const struct ss_error *err)
{
    (void)ctx;
    log_msg(LOG_ERROR, "skill %s is left out: %s", name, err->msg);
}

/* Read the skills folder into a new generation (one reference, the caller's). */
static struct generation *
generation_load(struct http_server *srv, struct ss_error *err)
{
    struct generation *g = calloc(1, sizeof(*g));
    if (!g) {
        ss_fail(err, SS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    atomic_init(&g->refs, 1);
    if (skill_set_load(srv->cfg.skills_dir, &g->skills, report_skill_config, srv, err) != SS_ERR_OK)
        goto fail;
    g->slots = calloc(g->skills->count ? g->skills->count : 1, sizeof(*g->slots));
    if (!g->slots) {
        ss_fail(err, SS_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < g->skills->count; i++) {
        const struct skill *k = &g->skills->items[i];
        g->slots[i] = metrics_skill_slot(srv->metrics, k->name);
        /* Say what was chosen in a project, where the folder could be read
         * more than one way. */
        if (k->layout != SKILL_LAYOUT_OWN)
            log_msg(LOG_INFO, "skill %s: %s", k->name, k->layout_note);
    }
    return g;
fail:
    generation_release(g);
    return NULL;
}

static unsigned
generation_slot(const struct generation *g, const struct skill *skill)
{
    if (!skill)
        return METRICS_NO_SKILL;
    return g->slots[skill - g->skills->items];
}

/* Start (or reload) every skill's worker and say how each one loaded. */
static void
start_skills(struct http_server *srv, struct generation *g, bool reload)
{
    for (size_t i = 0; i < g->skills->count; i++) {
        const struct skill *skill = &g->skills->items[i];
        struct ss_error err;
        struct message_load hello;
        ss_error_clear(&err);
        memset(&hello, 0, sizeof(hello));
        enum ss_err rc = reload ? pool_reload(srv->pool, skill, &err)
                                : pool_start(srv->pool, skill, &hello, &err);
        if (rc != SS_ERR_OK) {
            log_msg(LOG_ERROR, "skill %s %s: %s%s", skill->name,
                    rc == SS_ERR_SKILL_LOAD ? "does not load" : "cannot start", err.msg,
                    reload ? " (the version already running, if any, keeps serving)" : "");
            message_load_cleanup(&hello);
            continue;
        }
        char handlers[512] = "";
        size_t used = 0;
        for (size_t k = 0; k < hello.handler_count; k++) {
            int w = snprintf(handlers + used, sizeof(handlers) - used, "%s%s", used ? ", " : "",
                             hello.handlers[k]);
            if (w < 0 || (size_t)w >= sizeof(handlers) - used)
                break;
            used += (size_t)w;
        }
        for (size_t k = 0; k < hello.warning_count; k++)
            log_msg(LOG_WARN, "skill %s: %s", skill->name, hello.warnings[k].text);
        if (reload)
            log_msg(LOG_INFO, "skill %s reloaded", skill->name);
        else
            log_msg(LOG_INFO, "skill %s ready%s%s%s%s", skill->name,
                    skill->application_id ? " for " : "",
                    skill->application_id ? skill->application_id : "", used ? ": " : "", handlers);
        message_load_cleanup(&hello);
    }
}

/* Re-read the skills folder, reload every skill, and make the new set current. */
static void
reload_skills(struct http_server *srv, const char *why)
{
    struct ss_error err;
    ss_error_clear(&err);
    log_msg(LOG_INFO, "reloading the skills (%s)", why);
    struct generation *g = generation_load(srv, &err);
    if (!g) {
        log_msg(LOG_ERROR, "reload failed, the skills loaded before keep serving: %s", err.msg);
        return;
    }
    start_skills(srv, g, true);
    pthread_mutex_lock(&srv->gen_lock);
    struct generation *old = srv->gen;
    srv->gen = g;
    pthread_mutex_unlock(&srv->gen_lock);
    for (size_t i = 0; i < old->skills->count; i++)
        if (!skill_set_find(g->skills, old->skills->items[i].name))
            log_msg(LOG_INFO, "skill %s is gone from %s and no longer served",
                    old->skills->items[i].name, srv->cfg.skills_dir);
    generation_release(old);
    metrics_count_reload(srv->metrics);
    log_msg(LOG_INFO, "%zu skill%s loaded", g->skills->count, g->skills->count == 1 ? "" : "s");
}

static void *
loader_main(void *arg)
{
    struct http_server *srv = arg;
    pthread_mutex_lock(&srv->load_lock);
    for (;;) {
        while (srv->load_pending == LOAD_NONE && !srv->load_quit)
            pthread_cond_wait(&srv->load_cond, &srv->load_lock);
        if (srv->load_quit)
            break;
        int what = srv->load_pending;
        const char *why = srv->load_why;
        srv->load_pending = LOAD_NONE;
        pthread_mutex_unlock(&srv->load_lock);
        /* Only this thread replaces srv->gen, so reading it here is safe. */
        if (what == LOAD_START)
            start_skills(srv, srv->gen, false);
        else
            reload_skills(srv, why);
        pthread_mutex_lock(&srv->load_lock);
    }
    pthread_mutex_unlock(&srv->load_lock);
    return NULL;
}

/* Ask the loader to start the skills or reload them; requests made while
 * it is busy are folded into one (a reload covers a start). */
static void
loader_request(struct http_server *srv, int what, const char *why)
{
    pthread_mutex_lock(&srv->load_lock);
    if (what > srv->load_pending) {
        srv->load_pending = what;
        srv->load_why = why;
    }
    pthread_cond_signal(&srv->load_cond);
    pthread_mutex_unlock(&srv->load_lock);
}

static void
loader_stop(struct http_server *srv)
{
    if (!srv->loader_running)
        return;
    pthread_mutex_lock(&srv->load_lock);
    srv->load_quit = true;
    pthread_cond_signal(&srv->load_cond);
    pthread_mutex_unlock(&srv->load_lock);
    pthread_join(srv->loader, NULL);
    srv->loader_running = false;
}

/* A number that changes when a file in a skill folder changes, appears or goes. */
static uint64_t
skills_fingerprint(const char *root)
{
    uint64_t h = 1469598103934665603ULL;
    DIR *d = opendir(root);
    struct dirent *e;

    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL) {
        if (!skill_name_valid(e->d_name))
            continue;
        int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *sd = fd >= 0 ? fdopendir(fd) : NULL;
        if (!sd) {
            if (fd >= 0)
                close(fd);
            continue;
        }
        struct dirent *f;
        while ((f = readdir(sd)) != NULL) {
            struct stat st;
            if (f->d_name[0] == '.')
                continue;
            if (fstatat(dirfd(sd), f->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode))
                continue;
            /* Summed, so the order readdir returns files in does not matter. */
            uint64_t x = (uint64_t)st.st_mtim.tv_sec * 1000000007ULL +
                         (uint64_t)st.st_mtim.tv_nsec + (uint64_t)st.st_size * 31ULL;
            for (const char *c = e->d_name; *c; c++)
                x = (x ^ (unsigned char)*c) * 1099511628211ULL;
            for (const char *c = f->d_name; *c; c++)
                x = (x ^ (unsigned char)*c) * 1099511628211ULL;
            h += x;
        }
        closedir(sd);
    }
    closedir(d);
    return h;
}

/* ---- connections and the slow-client reaper ---- */

static void
conn_set(struct http_conn *c, enum conn_state state)
{
    if (!c)
        return;
    /* since first, then state with release: a reaper that sees the new state
     * (acquire) sees its new time too, so it never judges a fresh state by an
     * old clock. */
    atomic_store_explicit(&c->since_ms, proto_now_ms(), memory_order_relaxed);
    atomic_store_explicit(&c->state, (int)state, memory_order_release);
}

static void
on_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
              enum MHD_ConnectionNotificationCode toe)
{
    struct http_server *srv = cls;

    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct http_conn *c = calloc(1, sizeof(*c));
        if (!c || !info) {
            /* Without tracking the connection is only subject to libmicrohttpd's
             * idle timeout; better than refusing it. */
            free(c);
            *socket_context = NULL;
            return;
        }
        c->fd = info->connect_fd;
        /* A new connection owes its first request (TLS handshake included)
         * within the receive limit. */
        conn_set(c, CONN_RECEIVING);
        pthread_mutex_lock(&srv->conn_lock);
        c->next = srv->conns;
        if (srv->conns)
            srv->conns->prev = c;
        srv->conns = c;
        pthread_mutex_unlock(&srv->conn_lock);
        atomic_fetch_add(&srv->connections, 1);
        *socket_context = c;
        return;
    }
    /* MHD_CONNECTION_NOTIFY_CLOSED comes before libmicrohttpd closes the
     * descriptor: once c is unlinked under the lock, the reaper can no longer
     * shut down a descriptor number that may be reused. */
    struct http_conn *c = *socket_context;
    if (!c)
        return;
    pthread_mutex_lock(&srv->conn_lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&srv->conn_lock);
    atomic_fetch_sub(&srv->connections, 1);
    free(c);
    *socket_context = NULL;
}

static struct http_conn *
conn_of(struct MHD_Connection *connection)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? info->socket_context : NULL;
}

/* Called when a request's first line has arrived. On a kept-alive connection
 * its receive deadline starts now; on a new one it runs since accept(). */
static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *connection)
{
    struct http_conn *c = conn_of(connection);
    (void)cls;
    (void)uri;
    if (c && atomic_load_explicit(&c->state, memory_order_relaxed) == CONN_IDLE)
        conn_set(c, CONN_RECEIVING);
    return NULL;
}

/* Shut down connections that take too long to send a request, or idle too
 * long. libmicrohttpd's own timeout restarts with every byte, so a client
 * trickling one byte a second would never hit it. */
static void
reap_slow_clients(struct http_server *srv)
{
    int64_t now = proto_now_ms();
    unsigned cut = 0;

    pthread_mutex_lock(&srv->conn_lock);
    for (struct http_conn *c = srv->conns; c; c = c->next) {
        int state = atomic_load_explicit(&c->state, memory_order_acquire);
        int64_t age = now - atomic_load_explicit(&c->since_ms, memory_order_relaxed);
        if (atomic_load_explicit(&c->cut, memory_order_relaxed))
            continue;
        if ((state == CONN_RECEIVING && age > LIMIT_HTTP_RECEIVE_MS) ||
            (state == CONN_IDLE && age > (int64_t)LIMIT_HTTP_IDLE_S * 1000)) {
            /* The thread that owns the connection sees end-of-file and closes
             * it; cut is set first so its log line can say why. */
            atomic_store_explicit(&c->cut, true, memory_order_relaxed);
            shutdown(c->fd, SHUT_RDWR);
            if (state == CONN_RECEIVING)
                cut++;
        }
    }
    pthread_mutex_unlock(&srv->conn_lock);
    for (unsigned i = 0; i < cut; i++)
        metrics_count_slow_client(srv->metrics);
    if (cut)
        log_msg(LOG_WARN, "cut off %u client%s that sent a request too slowly (limit %d ms)", cut,
                cut == 1 ? "" : "s", LIMIT_HTTP_RECEIVE_MS);
}

/* ---- answers ---- */

/*
 * Queue body[0..len) with status. owned: body was malloc'ed and is freed by
 * libmicrohttpd (or here on failure). Returns MHD_NO when nothing could be
 * queued, which makes libmicrohttpd close the connection.
 */
/* A response with body (freed with it when owned, on failure too) and its
 * Content-Type and Allow headers; NULL when it cannot be made. */
static struct MHD_Response *
make_response(char *body, size_t len, bool owned, const char *type, const char *allow)
{
    struct MHD_Response *resp;

    if (owned)
        resp = MHD_create_response_from_buffer_with_free_callback(len, body, free);
    else
        resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        if (owned)
            free(body);
        return NULL;
    }
    if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES ||
        (allow && MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow) != MHD_YES)) {
        MHD_destroy_response(resp);
        return NULL;
    }
    return resp;
}

static enum MHD_Result
answer(struct http_request *r, struct MHD_Connection *connection, int status, char *body,
       size_t len, bool owned, const char *type, const char *allow)
{
    enum MHD_Result ok = MHD_NO;
    struct MHD_Response *resp = make_response(body, len, owned, type, allow);

    if (!resp)
        return MHD_NO;
    /* While draining, every answer ends its connection so keep-alive clients
     * go elsewhere and the drain finishes. (libmicrohttpd closes after an
     * answer queued before the body was read, and says so itself; r->close
     * makes sure of it.) */
    if ((r->close || atomic_load_explicit(&r->srv->draining, memory_order_relaxed)) &&
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close") != MHD_YES)
        goto out;
    ok = MHD_queue_response(connection, (unsigned)status, resp);
    if (ok == MHD_YES) {
        r->status = status;
        r->answered = true;
        conn_set(r->conn, CONN_BUSY);
    }
out:
    MHD_destroy_response(resp);
    return ok;
}

/* A short JSON error {"error": ..., "message": ...} with code's status. */
static enum MHD_Result answer_error(struct http_request *r, struct MHD_Connection *connection,
                                    enum ss_err code, const char *allow, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static enum MHD_Result
answer_error(struct http_request *r, struct MHD_Connection *connection, enum ss_err code,
             const char *allow, const char *fmt, ...)
{
    static char oom[] = "{\"error\":\"out of memory\"}";
    char msg[sizeof(((struct ss_error *)0)->msg)];
    char safe[sizeof(msg)];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* The message may quote the client (a header, a path) cut at any byte;
     * jansson takes only UTF-8, and the client's terminal should not get
     * its own escape sequences back either. */
    log_escape(safe, sizeof(safe), msg, sizeof(msg), LOG_ESCAPE_TEXT);
    r->err = code;
    int status = ss_err_status(code);
    char *body = dispatch_error_body(code, safe);
    if (!body)
        return answer(r, connection, 500, oom, sizeof(oom) - 1, false, JSON_TYPE, NULL);
    return answer(r, connection, status, body, strlen(body), true, JSON_TYPE, allow);
}

/* Decide a 4xx from the request's head; it is sent once the body has been
 * read (and dropped), so the connection stays usable, except for a body that
 * is too large, which is answered at once. */
__attribute__((format(printf, 4, 5))) static void
reject(struct http_request *r, enum ss_err code, const char *allow, const char *fmt, ...)
{
    va_list ap;
    r->reject = code;
    r->allow = allow;
    va_start(ap, fmt);
    vsnprintf(r->reject_msg, sizeof(r->reject_msg), fmt, ap);
    va_end(ap);
}

/* The /metrics page (the caller frees it), or NULL on OOM. */
static char *
render_metrics(struct http_server *srv, const struct generation *g, size_t *len)
{
    struct pool_stats ps;
    pool_stats(srv->pool, &ps);
    struct metrics_extra x = {
        .pool = &ps,
        .connections = atomic_load(&srv->connections),
        .in_flight = atomic_load(&srv->in_flight),
        .skills = (unsigned)g->skills->count,
    };
    return metrics_render(srv->metrics, &x, len);
}

static enum MHD_Result
answer_metrics(struct http_request *r, struct MHD_Connection *connection)
{
    size_t len = 0;
    char *page = render_metrics(r->srv, r->gen, &len);
    if (!page)
        return answer_error(r, connection, SS_ERR_NOMEM, NULL, "out of memory");
    return answer(r, connection, 200, page, len, true, METRICS_TYPE, NULL);
}

/* ---- one request ---- */

static bool
is_method(const char *method, const char *want)
{
    return strcmp(method, want) == 0;
}

/* The head of a request with a body is in: size its buffer, or refuse a body over the limit. */
static void
begin_body(struct http_request *r, struct MHD_Connection *connection)
{
    const char *length =
        MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (length) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(length, &end, 10);
        if (errno || end == length || n > LIMIT_BODY_BYTES) {
            reject(r, SS_ERR_TOO_LARGE, NULL, "the body is larger than %d bytes", LIMIT_BODY_BYTES);
            return;
        }
        /* Size the buffer once, from the announced length. */
        if (n > r->cap && !r->reject) {
            char *big = malloc((size_t)n);
            if (!big) {
                reject(r, SS_ERR_NOMEM, NULL, "out of memory");
                return;
            }
            r->body = big;
            r->cap = (size_t)n;
        }
    }
}

/* Append a piece of the body. False when it would pass LIMIT_BODY_BYTES or on OOM. */
static bool
body_append(struct http_request *r, const char *data, size_t n, enum ss_err *why)
{
    if (n > LIMIT_BODY_BYTES - r->len) {
        *why = SS_ERR_TOO_LARGE;
        return false;
    }
    if (r->len + n > r->cap) {
        size_t cap = r->cap * 2;
        while (cap < r->len + n)
            cap *= 2;
        if (cap > LIMIT_BODY_BYTES)
            cap = LIMIT_BODY_BYTES;
        char *grown = r->body == r->inline_body ? malloc(cap) : realloc(r->body, cap);
        if (!grown) {
            *why = SS_ERR_NOMEM;
            return false;
        }
        if (r->body == r->inline_body)
            memcpy(grown, r->inline_body, r->len);
        r->body = grown;
        r->cap = cap;
    }
    memcpy(r->body + r->len, data, n);
    r->len += n;
    return true;
}

/*
 * A request that verification refused: a bare 400 for the caller when the
 * signature or the timestamp failed; for a wrong applicationId the sentence
 * that says what to change (it names only ids the caller sent and the
 * skill's own). The reason goes to the log, with the request id once the
 * body has been parsed (req may be NULL), and to /metrics.
 */
static void
refuse_unverified(struct http_request *r, struct MHD_Connection *connection, enum ss_err rc,
                  enum verify_reason reason, const struct ss_error *err, const struct request *req)
{
    r->verify = verify_reason_name(reason);
    if (reason != VERIFY_R_NONE)
        metrics_count_verify_failure(r->srv->metrics, reason);
    log_msg(LOG_WARN, "request %s refused by verification (%s): %s",
            req && req->request_id ? req->request_id : "-", r->verify, err->msg);
    if (rc == SS_ERR_WRONG_APPLICATION)
        answer_error(r, connection, rc, NULL, "%s", err->msg);
    else if (rc == SS_ERR_VERIFY)
        answer_error(r, connection, rc, NULL, "%s", "the request could not be verified");
    else
        answer_error(r, connection, rc, NULL, "%s", "the request could not be verified now");
}

/* The body is complete: verify, route by applicationId if needed, dispatch, answer. */
static void
finish_post(struct http_request *r, struct MHD_Connection *connection)
{
    struct http_server *srv = r->srv;
    struct request pre;
    struct ss_error err;
    enum verify_reason reason = VERIFY_R_NONE;
    enum ss_err rc;
    time_t now = time(NULL);

    memset(&pre, 0, sizeof(pre));
    ss_error_clear(&err);
    conn_set(r->conn, CONN_BUSY);

    /*
     * ==== Request verification: every rule is verify's (server/verify/verify.h). ====
     * This path's policy: Amazon's (signature, chain, timestamp, then the
     * applicationId), or with --no-verify the local one (the applicationId
     * only). verify_raw() runs before anything parses the body;
     * verify_parsed() after routing, and before an unroutable request is
     * answered 404, so that a stale request is refused as stale.
     */
    const struct verify_policy *policy = srv->verify ? &VERIFY_POLICY_ALEXA : &VERIFY_POLICY_LOCAL;
    int64_t t0 = proto_now_us();
    if (policy->signature) {
        struct verify_headers h = {
            .cert_url =
                MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "SignatureCertChainUrl"),
            .signature_256 =
                MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Signature-256"),
            .signature = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Signature"),
        };
        rc = verify_raw(srv->verify, policy, &h, r->body, r->len, now, &reason, &err);
        r->verify_us = proto_now_us() - t0;
        if (rc != SS_ERR_OK) {
            refuse_unverified(r, connection, rc, reason, &err, NULL);
            goto out;
        }
        r->verify = "signature ok"; /* the timestamp is still to come */
    }

    rc = request_parse(&pre, r->body, r->len, &err);
    if (rc != SS_ERR_OK) {
        answer_error(r, connection, rc, NULL, "%s", err.msg);
        goto out;
    }
    if (!r->skill) {
        r->skill = skill_set_by_application(r->gen->skills, pre.application_id);
        r->slot = generation_slot(r->gen, r->skill);
    }
    t0 = proto_now_us();
    rc = verify_parsed(policy, &pre, r->skill, now, &reason, &err);
    if (policy->signature)
        r->verify_us += proto_now_us() - t0;
    if (rc != SS_ERR_OK) {
        refuse_unverified(r, connection, rc, reason, &err, &pre);
        goto out;
    }
    if (policy->signature)
        r->verify = "ok";
    if (!r->skill) {
        answer_error(r, connection, SS_ERR_UNKNOWN_SKILL, NULL,
                     "no skill here is configured for applicationId %.200s; set it in "
                     "skills/NAME/skill.json, or POST to /skills/NAME",
                     pre.application_id ? pre.application_id : "(none)");
        goto out;
    }

    struct dispatch_ctx ctx = {
        .pool = srv->pool, .store = srv->store, .dev = srv->cfg.dev, .pretty = false};
    dispatch_run_parsed(&ctx, r->skill, r->body, r->len, &pre, r->arrival_ms, &r->res);
    r->have_res = true;
    r->err = r->res.err;
    if (r->res.err != SS_ERR_OK)
        metrics_count_skill_error(srv->metrics, r->slot, r->res.err);
    if (!r->res.body) {
        answer_error(r, connection, SS_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    char *body = r->res.body;
    r->res.body = NULL; /* libmicrohttpd frees it */
    answer(r, connection, r->res.status, body, r->res.len, true, JSON_TYPE, NULL);
out:
    request_cleanup(&pre);
}

/* The simulator's routes (--dev only; route() made sure). */
static enum MHD_Result
answer_simulator(struct http_request *r, struct MHD_Connection *connection)
{
    struct http_server *srv = r->srv;
    size_t len = 0;
    int status = 200;
    char *body;

    if (r->route == HTTP_ROUTE_SIM_FILE) {
        const struct simulator_files_entry *f = simulator_file(r->sim_name, &r->sim_type);
        if (!f)
            return answer_error(r, connection, SS_ERR_UNKNOWN_SKILL, NULL,
                                "the simulator has no file %s", r->sim_name);
        return answer(r, connection, 200, (char *)f->text, f->len, false, r->sim_type, NULL);
    }
    if (r->route == HTTP_ROUTE_SIM_SKILLS) {
        body = simulator_skills_json(r->gen->skills, srv->pool, &len);
    } else {
        struct say_config cfg = {
            .skills_dir = srv->cfg.skills_dir,
            .data_dir = srv->cfg.data_dir,
            .dev = srv->cfg.dev,
            .handler_timeout_ms = srv->handler_timeout_ms,
            .exe = srv->cfg.exe,
            .skillkit_dir = srv->cfg.skillkit_dir,
        };
        conn_set(r->conn, CONN_BUSY);
        body = simulator_turn_json(&cfg, r->gen->skills, srv->pool, srv->store, r->body, r->len,
                                   &status);
        len = body ? strlen(body) : 0;
    }
    if (!body)
        return answer_error(r, connection, SS_ERR_NOMEM, NULL, "out of memory");
    return answer(r, connection, status, body, len, true, JSON_TYPE, NULL);
}

static struct http_request *
request_begin(struct http_server *srv, struct MHD_Connection *connection, const char *url)
{
    struct http_request *r = malloc(sizeof(*r));
    if (!r)
        return NULL;
    /* Everything but the inline body buffer starts zeroed. */
    memset(r, 0, offsetof(struct http_request, inline_body));
    r->srv = srv;
    r->conn = conn_of(connection);
    r->gen = generation_acquire(srv);
    r->start_us = proto_now_us();
    r->arrival_ms = proto_now_ms();
    r->verify = srv->verify ? "not reached" : "off";
    r->log = true;
    r->body = r->inline_body;
    r->cap = sizeof(r->inline_body);
    snprintf(r->path, sizeof(r->path), "%s", url);
    atomic_fetch_add_explicit(&srv->in_flight, 1, memory_order_relaxed);
    return r;
}

static void
request_end(struct http_request *r)
{
    if (r->have_res)
        dispatch_result_cleanup(&r->res);
    if (r->body != r->inline_body)
        free(r->body);
    generation_release(r->gen);
    atomic_fetch_sub_explicit(&r->srv->in_flight, 1, memory_order_relaxed);
    free(r);
}

static enum MHD_Result
add_header_size(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    size_t *size = cls;
    (void)kind;
    *size += strlen(key) + (value ? strlen(value) : 0) + 4; /* ": " and CRLF */
    return MHD_YES;
}

/* The size of the request line and headers, as sent (give or take a few bytes). */
static size_t
head_size(struct MHD_Connection *connection, const char *url, const char *method)
{
    size_t size = strlen(method) + strlen(url) + sizeof(" HTTP/1.1\r\n\r\n");
    MHD_get_connection_values(connection, MHD_HEADER_KIND | MHD_GET_ARGUMENT_KIND, add_header_size,
                              &size);
    return size;
}

static enum MHD_Result
add_framing(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    http_framing_add(cls, key, value);
    return MHD_YES;
}

/* NULL when the head says unambiguously where the body ends (see http_framing_problem()). */
static const char *
framing_problem(struct MHD_Connection *connection, const char *version)
{
    struct http_framing f;
    memset(&f, 0, sizeof(f));
    MHD_get_connection_values(connection, MHD_HEADER_KIND, add_framing, &f);
    return http_framing_problem(&f, strcmp(version, MHD_HTTP_VERSION_1_0) == 0);
}

/*
 * Whether the route runs a skill without verification: the simulator's
 * routes (they exist only in --dev) and, with --no-verify, the Alexa routes.
 * Any web page can make a browser send requests there. Posting to
 * 127.0.0.1 directly (a form, or fetch() in no-cors mode), its Host is
 * loopback, but the browser adds the page's Origin, and without a CORS
 * preflight (which this server never grants) the body can only have one of
 * a form's three Content-Types. Pointing a name of its own at 127.0.0.1
 * (DNS rebinding) makes the requests same-origin, so JSON is allowed and the
 * answers can be read, but then Host is the page's name. So these routes
 * answer only a loopback Host and Origin (when there is one) and take only
 * a JSON body.
 */
static bool
unverified_route(const struct http_server *srv, enum http_route route)
{
    switch (route) {
    case HTTP_ROUTE_SIM_FILE:
    case HTTP_ROUTE_SIM_SKILLS:
    case HTTP_ROUTE_SIM_TURN:
        return true; /* route() made them HTTP_ROUTE_NONE without --dev */
    case HTTP_ROUTE_SKILL:
    case HTTP_ROUTE_APP:
        return srv->verify == NULL;
    case HTTP_ROUTE_NONE:
    case HTTP_ROUTE_HEALTH:
    case HTTP_ROUTE_METRICS:
        break;
    }
    return false;
}

/* Refuse (403) a request to an unverified route that is not addressed to
 * this machine; true when it was refused. */
static bool
refuse_if_not_local(struct http_request *r, struct MHD_Connection *connection)
{
    const char *host = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Host");
    const char *origin = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Origin");

    /* --allow-unverified-public opens the Alexa routes to the network on
     * purpose: any Host then. Never the simulator's (--dev is loopback only). */
    if (r->srv->cfg.allow_unverified_public && r->route != HTTP_ROUTE_SIM_FILE &&
        r->route != HTTP_ROUTE_SIM_SKILLS && r->route != HTTP_ROUTE_SIM_TURN)
        return false;
    if (!host || !http_host_is_loopback(host)) {
        r->refused_header = "host";
        snprintf(r->refused_value, sizeof(r->refused_value), "%s", host ? host : "");
        reject(r, SS_ERR_NOT_LOCAL, NULL,
               "this endpoint runs skills without verification, so it answers only requests "
               "addressed to this machine (Host: localhost, 127.0.0.1 or [::1]), not %s%.100s",
               host ? "Host: " : "a request without a Host header", host ? host : "");
        return true;
    }
    if (origin && !http_origin_is_loopback(origin)) {
        r->refused_header = "origin";
        snprintf(r->refused_value, sizeof(r->refused_value), "%s", origin);
        reject(r, SS_ERR_NOT_LOCAL, NULL,
               "this endpoint runs skills without verification, so it answers no request a web "
               "page on another site sends (Origin: %.100s)",
               origin);
        return true;
    }
    return false;
}

/* A POST's Content-Type: JSON, and on an unverified route not missing either. */
static void
check_content_type(struct http_request *r, struct MHD_Connection *connection, bool unverified)
{
    const char *type =
        MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);

    if (unverified && (!type || !http_content_type_is_json(type)))
        reject(r, SS_ERR_MEDIA_TYPE, NULL,
               "this endpoint runs skills without verification, so it takes only a body sent "
               "with Content-Type: application/json (which a web page cannot send to another "
               "site without asking first), not %s%.100s",
               type ? "" : "a body without a Content-Type", type ? type : "");
    else if (type && *type && !http_content_type_is_json(type))
        reject(r, SS_ERR_JSON, NULL,
               "the body must be an Alexa request in JSON, sent with Content-Type: "
               "application/json (not %.100s)",
               type);
}

/* The first call for a request (its head is complete): route it. */
static void
route(struct http_request *r, struct MHD_Connection *connection, const char *url,
      const char *method)
{
    char name[LIMIT_SKILL_NAME_CHARS + 1];
    bool get = is_method(method, MHD_HTTP_METHOD_GET) || is_method(method, MHD_HTTP_METHOD_HEAD);
    bool post = is_method(method, MHD_HTTP_METHOD_POST);
    const char *allow = NULL;

    r->route = http_route_of(url, name, sizeof(name));
    switch (r->route) {
    case HTTP_ROUTE_METRICS:
        /* --metrics-listen moves /metrics to a listener of its own, --no-metrics drops it. */
        if (r->srv->cfg.metrics_listen || r->srv->cfg.no_metrics) {
            r->route = HTTP_ROUTE_NONE;
            reject(r, SS_ERR_UNKNOWN_SKILL, NULL, "%s",
                   r->srv->cfg.no_metrics ? "metrics are turned off (--no-metrics)"
                                          : "metrics are served on the --metrics-listen "
                                            "address");
            break;
        }
        if (!get)
            allow = "GET, HEAD";
        break;
    case HTTP_ROUTE_HEALTH:
        if (!get)
            allow = "GET, HEAD";
        break;
    case HTTP_ROUTE_SKILL:
        if (!post) {
            allow = "POST";
            break;
        }
        r->skill = skill_set_find(r->gen->skills, name);
        if (!r->skill) {
            reject(r, SS_ERR_UNKNOWN_SKILL, NULL, "there is no skill called %s here", name);
            break;
        }
        r->slot = generation_slot(r->gen, r->skill);
        break;
    case HTTP_ROUTE_SIM_FILE:
    case HTTP_ROUTE_SIM_SKILLS:
    case HTTP_ROUTE_SIM_TURN:
        /* The simulator exists only in --dev; otherwise these paths are nothing. */
        if (!r->srv->cfg.dev) {
            r->route = HTTP_ROUTE_NONE;
            reject(r, SS_ERR_UNKNOWN_SKILL, NULL,
                   "nothing here; POST Alexa requests to /skills/NAME or /");
            break;
        }
        if (r->route == HTTP_ROUTE_SIM_TURN ? !post : !get) {
            allow = r->route == HTTP_ROUTE_SIM_TURN ? "POST" : "GET, HEAD";
            break;
        }
        if (r->route == HTTP_ROUTE_SIM_FILE && !simulator_file(name, &r->sim_type)) {
            reject(r, SS_ERR_UNKNOWN_SKILL, NULL, "the simulator has no file %s", name);
            break;
        }
        snprintf(r->sim_name, sizeof(r->sim_name), "%s", name);
        break;
    case HTTP_ROUTE_APP:
        if (get && r->srv->cfg.dev) {
            /* GET / in --dev: the simulator's page. POST / is Alexa's, as always. */
            r->route = HTTP_ROUTE_SIM_FILE;
            snprintf(r->sim_name, sizeof(r->sim_name), "index.html");
            break;
        }
        if (!post) {
            allow = "POST";
            break;
        }
        if (r->gen->skills->count == 0) {
            reject(r, SS_ERR_UNKNOWN_SKILL, NULL, "no skills are loaded from %s",
                   r->srv->cfg.skills_dir);
            break;
        }
        /* One skill answers everything sent to /; several are told apart by
         * the request's applicationId once the body is in. */
        if (r->gen->skills->count == 1) {
            r->skill = &r->gen->skills->items[0];
            r->slot = generation_slot(r->gen, r->skill);
        }
        break;
    case HTTP_ROUTE_NONE:
        reject(r, SS_ERR_UNKNOWN_SKILL, NULL,
               "nothing here; POST Alexa requests to /skills/NAME or /");
        break;
    }
    if (allow)
        reject(r, SS_ERR_METHOD, allow, "%.32s is not allowed here; use %s", method, allow);
    bool unverified = unverified_route(r->srv, r->route);
    if (!(unverified && refuse_if_not_local(r, connection)) && post && !r->reject)
        check_content_type(r, connection, unverified);
    /* The body limit holds for every request, whatever will be answered. */
    if (post || !get)
        begin_body(r, connection);
}

static enum MHD_Result
on_access(void *cls, struct MHD_Connection *connection, const char *url, const char *method,
          const char *version, const char *upload_data, size_t *upload_data_size, void **req_cls)
{
    struct http_server *srv = cls;
    struct http_request *r = *req_cls;

    if (!r) {
        r = request_begin(srv, connection, url);
        if (!r)
            return MHD_NO;
        *req_cls = r;
        /* Ambiguous framing is answered before a byte of the body is read,
         * and the connection closed: whatever follows the head is not
         * looked at, as a body or as a next request. */
        const char *problem = framing_problem(connection, version);
        if (problem) {
            r->close = true;
            return answer_error(r, connection, SS_ERR_FRAMING, NULL, "%s", problem);
        }
        if (head_size(connection, url, method) > LIMIT_HTTP_HEADER_BYTES)
            reject(r, SS_ERR_HEAD_TOO_LARGE, NULL,
                   "the request line and headers are larger "
                   "than %d bytes",
                   LIMIT_HTTP_HEADER_BYTES);
        else
            route(r, connection, url, method);
        /* Too large: answer before reading a byte of the body; libmicrohttpd
         * then closes the connection instead of reading it. */
        if (r->reject == SS_ERR_TOO_LARGE || r->reject == SS_ERR_HEAD_TOO_LARGE) {
            r->close = true;
            return answer_error(r, connection, r->reject, NULL, "%s", r->reject_msg);
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        enum ss_err why = SS_ERR_OK;
        *upload_data_size = 0;
        if (r->answered)
            return MHD_YES; /* an early answer is queued: the rest is dropped */
        if (!r->reject && body_append(r, upload_data, n, &why))
            return MHD_YES;
        if (why == SS_ERR_TOO_LARGE) {
            /* A chunked body passed the limit: libmicrohttpd cannot answer in
             * the middle of a body, so drop the rest and answer 413 at its end. */
            reject(r, why, NULL, "the body is larger than %d bytes", LIMIT_BODY_BYTES);
        } else if (why != SS_ERR_OK) {
            return MHD_NO; /* out of memory: close the connection */
        }
        /* Dropped unread, but counted: past LIMIT_HTTP_DROP_BYTES the client gets
         * no answer, only a closed connection. */
        if (n > LIMIT_HTTP_DROP_BYTES - r->len)
            return MHD_NO;
        r->len += n;
        return MHD_YES;
    }
    if (r->answered)
        return MHD_YES;
    if (r->reject)
        return answer_error(r, connection, r->reject, r->allow, "%s", r->reject_msg);
    switch (r->route) {
    case HTTP_ROUTE_HEALTH: {
        static char ok[] = "ok";
        r->log = false;
        return answer(r, connection, 200, ok, 2, false, TEXT_TYPE, NULL);
    }
    case HTTP_ROUTE_METRICS:
        r->log = false;
        return answer_metrics(r, connection);
    case HTTP_ROUTE_SKILL:
    case HTTP_ROUTE_APP:
        finish_post(r, connection);
        break;
    case HTTP_ROUTE_SIM_FILE:
    case HTTP_ROUTE_SIM_SKILLS:
    case HTTP_ROUTE_SIM_TURN:
        return answer_simulator(r, connection);
    case HTTP_ROUTE_NONE:
        break;
    }
    return r->answered ? MHD_YES : MHD_NO;
}

/* A log line being built; appending past the end is dropped, never overflows. */
struct line {
    char buf[2048];
    size_t n;
};

__attribute__((format(printf, 2, 3))) static void
put(struct line *l, const char *fmt, ...)
{
    va_list ap;
    if (l->n >= sizeof(l->buf))
        return;
    va_start(ap, fmt);
    int w = vsnprintf(l->buf + l->n, sizeof(l->buf) - l->n, fmt, ap);
    va_end(ap);
    l->n = w < 0 ? sizeof(l->buf) : l->n + (size_t)w;
}

/* ,"key":"value" with value escaped and cut at max bytes, or ,"key":null. */
static void
put_str(struct line *l, const char *key, const char *value, size_t max)
{
    char esc[6 * 128 + 1];
    if (!value) {
        put(l, ",\"%s\":null", key);
        return;
    }
    log_escape(esc, sizeof(esc), value, max, LOG_ESCAPE_JSON);
    put(l, ",\"%s\":\"%s\"", key, esc);
}

/* The access log: one JSON line per request, written with one write(). */
static void
log_request(struct http_request *r, enum MHD_RequestTerminationCode toe, int64_t total_us)
{
    struct line l = {.n = 0};
    struct timespec ts;
    struct tm tm;
    const struct request *req = r->have_res && r->res.req.root ? &r->res.req : NULL;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    put(&l, "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\"", tm.tm_year + 1900, tm.tm_mon + 1,
        tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
    put_str(&l, "requestId", req ? req->request_id : NULL, LIMIT_LOG_ID_BYTES);
    put_str(&l, "skill", r->skill ? r->skill->name : NULL, LIMIT_SKILL_NAME_CHARS);
    put_str(&l, "type", req ? req->type_name : NULL, 64);
    put_str(&l, "intent", req ? req->intent_name : NULL, 128);
    put(&l,
        ",\"status\":%d,\"verify\":\"%s\",\"verify_us\":%lld,\"handler_us\":%lld,"
        "\"total_us\":%lld",
        r->status, r->verify, (long long)r->verify_us,
        (long long)(r->have_res ? r->res.handler_us : 0), (long long)total_us);
    if (r->err != SS_ERR_OK)
        put(&l, ",\"error\":\"%s\"", ss_err_name(r->err));
    if (!r->skill)
        put_str(&l, "path", r->path, sizeof(r->path));
    if (r->refused_header)
        put_str(&l, r->refused_header, r->refused_value, sizeof(r->refused_value));
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK) {
        const char *why = r->conn && atomic_load(&r->conn->cut) ? "cut off: too slow"
                          : r->status == 0 ? "closed before the request was complete"
                                           : "closed before the answer was sent";
        put(&l, ",\"aborted\":\"%s\"", why);
    }
    put(&l, "}");
    if (l.n < sizeof(l.buf))
        log_line(l.buf, (int)l.n);
}

static void
on_completed(void *cls, struct MHD_Connection *connection, void **req_cls,
             enum MHD_RequestTerminationCode toe)
{
    struct http_request *r = *req_cls;
    (void)cls;
    (void)connection;

    if (!r)
        return;
    *req_cls = NULL;
    int64_t total_us = proto_now_us() - r->start_us;
    if (r->status) {
        int type = r->have_res && r->res.req.root ? (int)r->res.req.type : METRICS_TYPE_NONE;
        metrics_count_request(r->srv->metrics, r->slot, type, r->status, total_us);
    }
    if (r->log || toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
        log_request(r, toe, total_us);
    conn_set(r->conn, CONN_IDLE);
    request_end(r);
}

__attribute__((format(printf, 2, 0))) static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct http_server *srv = cls;
    char buf[512];
    /* A connection over a limit is closed as soon as it is accepted, with
     * this message (libmicrohttpd 0.9.75, daemon.c). One line each would let
     * a client fill the log by connecting in a loop: they are counted, and
     * the main loop reports the count at most once a second. (Should a
     * translated message not match, they are logged one by one as before.) */
    if (strstr(fmt, "reached connection limit")) {
        atomic_fetch_add_explicit(&srv->refused, 1, memory_order_relaxed);
        metrics_count_refused_connection(srv->metrics);
        return;
    }
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    if (n <= 0)
        return;
    if ((size_t)n >= sizeof(buf))
        n = (int)sizeof(buf) - 1;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    log_msg(LOG_WARN, "http: %s", buf);
}

/* ---- the server's life ---- */

/*
 * HTTP threads. Each one blocks while its request is in a worker, so there is
 * one per worker that may be busy (workers per skill times skills, counted at
 * start-up) plus one per CPU for the HTTP, TLS and JSON work around them.
 * More would only queue inside the pool, and every extra waiter costs a
 * futex wake-up per request.
 */
static unsigned
thread_count(const struct http_config *cfg, size_t skills)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus < 1)
        cpus = 1;
    size_t workers = cfg->workers > 0 ? (size_t)cfg->workers : (size_t)cpus;
    size_t n = workers * (skills ? skills : 1) + (size_t)cpus;
    if (n < LIMIT_HTTP_THREADS_MIN)
        n = LIMIT_HTTP_THREADS_MIN;
    return n > LIMIT_HTTP_THREADS_MAX ? LIMIT_HTTP_THREADS_MAX : (unsigned)n;
}

/* Enough descriptors for every connection, every worker's socket and some files. */
static void
raise_fd_limit(unsigned connections)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)connections * 2 + 256;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        log_msg(LOG_WARN, "cannot raise the open-file limit to %llu: %s", (unsigned long long)want,
                strerror(errno));
}

/* Check the flags, resolve the address, read the certificate. */
static int
configure(struct http_server *srv, const struct http_config *cfg)
{
    struct ss_error err;
    ss_error_clear(&err);

    srv->cfg = *cfg;
    if (!srv->cfg.listen)
        srv->cfg.listen = HTTP_LISTEN_DEFAULT;
    srv->handler_timeout_ms =
        cfg->handler_timeout_ms > 0 ? cfg->handler_timeout_ms : LIMIT_HANDLER_TIMEOUT_MS_DEFAULT;
    srv->max_connections = cfg->max_connections ? cfg->max_connections : LIMIT_HTTP_CONNECTIONS;
    srv->max_per_address =
        cfg->max_per_address ? cfg->max_per_address : LIMIT_HTTP_CONNECTIONS_PER_ADDRESS;

    if (http_parse_listen(srv->cfg.listen, &srv->addr, &srv->addr_len, &err) != SS_ERR_OK) {
        log_msg(LOG_ERROR, "%s", err.msg);
        return 2;
    }
    bool loopback = http_addr_is_loopback((struct sockaddr *)&srv->addr);
    /* No flag lifts this one: the simulator runs any skill unverified and
     * speaks its errors, which is for the author at this machine only. */
    if (cfg->dev && !loopback) {
        log_msg(LOG_ERROR,
                "--dev on %s would let anyone on the network run your skills through the "
                "simulator without verification and hear their errors; --dev is for this "
                "machine only: listen on 127.0.0.1 or [::1] (the default is " HTTP_LISTEN_DEFAULT
                ")",
                srv->cfg.listen);
        return 2;
    }
    if (cfg->no_verify && !loopback && !cfg->allow_unverified_public) {
        log_msg(LOG_ERROR,
                "--no-verify on %s would let anyone on the network call your skills as if they "
                "were Alexa; listen on 127.0.0.1 for local tests, or add "
                "--allow-unverified-public if you really mean it",
                srv->cfg.listen);
        return 2;
    }
    if (cfg->metrics_listen && cfg->no_metrics) {
        log_msg(LOG_ERROR, "--metrics-listen and --no-metrics do not go together");
        return 2;
    }
    if (cfg->metrics_listen) {
        if (http_parse_listen(cfg->metrics_listen, &srv->metrics_addr, &srv->metrics_addr_len,
                              &err) != SS_ERR_OK) {
            log_msg(LOG_ERROR, "--metrics-listen: %s", err.msg);
            return 2;
        }
    }
    if (cfg->no_tls && (cfg->tls_cert || cfg->tls_key)) {
        log_msg(LOG_ERROR, "--no-tls and --tls-cert/--tls-key do not go together");
        return 2;
    }
    if (!cfg->no_tls) {
        if (!cfg->tls_cert != !cfg->tls_key) {
            log_msg(LOG_ERROR, "--tls-cert and --tls-key go together: the certificate and its "
                               "private key");
            return 2;
        }
        if (!cfg->tls_cert) {
            /* The certificate `make run` (certs/make-endpoint-cert.sh --if-missing
             * localhost DATA/tls) leaves in the data folder. */
            if (asprintf(&srv->default_cert, "%s/tls/%s", cfg->data_dir, HTTP_TLS_CERT_FILE) < 0 ||
                asprintf(&srv->default_key, "%s/tls/%s", cfg->data_dir, HTTP_TLS_KEY_FILE) < 0) {
                srv->default_cert = srv->default_key = NULL;
                log_msg(LOG_ERROR, "out of memory");
                return 1;
            }
            if (access(srv->default_cert, F_OK) != 0 || access(srv->default_key, F_OK) != 0) {
                log_msg(LOG_ERROR,
                        "serve needs a certificate: --tls-cert PEM --tls-key PEM, or one in "
                        "%s/tls/ (make a self-signed one with certs/make-endpoint-cert.sh "
                        "localhost %s/tls), or --no-tls behind a proxy that terminates TLS",
                        cfg->data_dir, cfg->data_dir);
                return 2;
            }
            srv->cfg.tls_cert = srv->default_cert;
            srv->cfg.tls_key = srv->default_key;
            log_msg(LOG_INFO, "using the certificate %s", srv->default_cert);
        }
        size_t cert_len = 0;
        srv->tls_cert_pem = read_file(srv->cfg.tls_cert, "certificate", &cert_len, &err);
        if (srv->tls_cert_pem)
            srv->tls_key_pem = read_file(srv->cfg.tls_key, "private key", &srv->tls_key_len, &err);
        if (!srv->tls_cert_pem || !srv->tls_key_pem) {
            log_msg(LOG_ERROR, "%s", err.msg);
            return 2;
        }
        struct stat st;
        if (stat(srv->cfg.tls_key, &st) == 0 && (st.st_mode & 077))
            log_msg(LOG_WARN, "the private key %s can be read by other users; chmod 600 it",
                    srv->cfg.tls_key);
    }
    return 0;
}

/* While draining, connections are closed as soon as they are accepted: this
 * stops new work without touching libmicrohttpd's epoll sets, which
 * MHD_quiesce_daemon() does from another thread and which can race with a
 * pool thread (libmicrohttpd 0.9.75 then aborts the process). */
static enum MHD_Result
on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    struct http_server *srv = cls;
    (void)addr;
    (void)addrlen;
    return atomic_load_explicit(&srv->draining, memory_order_relaxed) ? MHD_NO : MHD_YES;
}

/* Bind and listen on addr, before privileges are dropped (port 443 needs
 * root); libmicrohttpd takes the socket over. Returns the socket, or -1
 * after saying why (what and where name it in the message). */
static int
listen_socket(const struct sockaddr_storage *addr, socklen_t len, const char *what,
              const char *where)
{
    int one = 1;
    int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        (addr->ss_family == AF_INET6 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) ||
        bind(fd, (const struct sockaddr *)addr, len) != 0 ||
        listen(fd, LIMIT_HTTP_LISTEN_BACKLOG) != 0) {
        log_msg(LOG_ERROR, "cannot serve %s%s: %s", what, where, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* The endpoint's socket, and the --metrics-listen one. Returns 0 or 1. */
static int
bind_listener(struct http_server *srv)
{
    srv->listen_fd = listen_socket(&srv->addr, srv->addr_len, "on ", srv->cfg.listen);
    if (srv->listen_fd < 0)
        return 1;
    if (srv->cfg.metrics_listen) {
        srv->metrics_fd = listen_socket(&srv->metrics_addr, srv->metrics_addr_len, "metrics on ",
                                        srv->cfg.metrics_listen);
        if (srv->metrics_fd < 0)
            return 1;
    }
    return 0;
}

/* With port 0 the kernel picked one: write it into addr. */
static void
learn_port(struct MHD_Daemon *daemon, struct sockaddr_storage *addr)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    if (!info || !info->port)
        return;
    if (addr->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)addr)->sin6_port = htons(info->port);
    else
        ((struct sockaddr_in *)addr)->sin_port = htons(info->port);
}

static enum MHD_Result
metrics_reply(struct MHD_Connection *connection, unsigned status, char *body, size_t len,
              bool owned, const char *type, const char *allow)
{
    struct MHD_Response *resp = make_response(body, len, owned, type, allow);
    if (!resp)
        return MHD_NO;
    enum MHD_Result ok = MHD_queue_response(connection, status, resp);
    MHD_destroy_response(resp);
    return ok;
}

/* A JSON error on the metrics listener: status of code, and message. */
static enum MHD_Result
metrics_error(struct MHD_Connection *connection, enum ss_err code, const char *message,
              const char *allow)
{
    char *body = dispatch_error_body(code, message);
    if (!body)
        return MHD_NO;
    return metrics_reply(connection, (unsigned)ss_err_status(code), body, strlen(body), true,
                         JSON_TYPE, allow);
}

/*
 * The --metrics-listen listener: GET (or HEAD) /metrics and /healthz, no
 * other route. Every request is answered at its first call, before any body
 * is read (libmicrohttpd then closes a connection whose body was not read),
 * so there is no state per request and nothing to log.
 */
static enum MHD_Result
on_metrics_access(void *cls, struct MHD_Connection *connection, const char *url, const char *method,
                  const char *version, const char *upload_data, size_t *upload_data_size,
                  void **req_cls)
{
    static char ok[] = "ok";
    struct http_server *srv = cls;
    char name[LIMIT_SKILL_NAME_CHARS + 1];
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)req_cls;

    enum http_route route = http_route_of(url, name, sizeof(name));
    if (route != HTTP_ROUTE_METRICS && route != HTTP_ROUTE_HEALTH)
        return metrics_error(connection, SS_ERR_UNKNOWN_SKILL,
                             "only /metrics and /healthz are served here", NULL);
    if (!is_method(method, MHD_HTTP_METHOD_GET) && !is_method(method, MHD_HTTP_METHOD_HEAD))
        return metrics_error(connection, SS_ERR_METHOD, "use GET", "GET, HEAD");
    if (route == HTTP_ROUTE_HEALTH)
        return metrics_reply(connection, 200, ok, 2, false, TEXT_TYPE, NULL);
    struct generation *g = generation_acquire(srv);
    size_t len = 0;
    char *page = render_metrics(srv, g, &len);
    generation_release(g);
    if (!page)
        return MHD_NO;
    return metrics_reply(connection, 200, page, len, true, METRICS_TYPE, NULL);
}

static int
start_metrics_daemon(struct http_server *srv)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    char where[80];

    if (srv->metrics_addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    srv->metrics_daemon = MHD_start_daemon(
        flags, 0, on_accept, srv, on_metrics_access, srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log,
        srv, MHD_OPTION_LISTEN_SOCKET, srv->metrics_fd, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)LIMIT_HTTP_METRICS_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)LIMIT_HTTP_IDLE_S, MHD_OPTION_STRICT_FOR_CLIENT, (int)1, MHD_OPTION_END);
    if (!srv->metrics_daemon) {
        log_msg(LOG_ERROR, "cannot serve metrics on %s", srv->cfg.metrics_listen);
        return 1;
    }
    srv->metrics_fd = -1; /* libmicrohttpd's now */
    learn_port(srv->metrics_daemon, &srv->metrics_addr);
    http_format_addr((struct sockaddr *)&srv->metrics_addr, where, sizeof(where));
    log_msg(LOG_INFO, "metrics: /metrics and /healthz on http://%s (plain HTTP)%s", where,
            http_addr_is_loopback((struct sockaddr *)&srv->metrics_addr)
                ? ""
                : "; anyone who can reach that address can read them");
    return 0;
}

static int
start_daemon(struct http_server *srv)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | MHD_USE_TURBO;
    struct MHD_OptionItem tls[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, srv->tls_cert_pem},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, srv->tls_key_pem},
        {MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)TLS_PRIORITIES},
        {MHD_OPTION_END, 0, NULL},
    };
    struct MHD_OptionItem none[] = {{MHD_OPTION_END, 0, NULL}};

    if (srv->tls_cert_pem)
        flags |= MHD_USE_TLS;
    if (srv->addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    srv->daemon = MHD_start_daemon(
        flags, 0, on_accept, srv, on_access, srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv,
        MHD_OPTION_LISTEN_SOCKET, srv->listen_fd, MHD_OPTION_THREAD_POOL_SIZE, srv->threads,
        MHD_OPTION_CONNECTION_LIMIT, srv->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        srv->max_per_address,
        /* 1: an HTTP/1.1 request without a Host, or with a space in its target, is a 400
         * (RFC 9112 §3.2); the rest of the head is checked by framing_problem(). */
        MHD_OPTION_STRICT_FOR_CLIENT, (int)1, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)LIMIT_HTTP_IDLE_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)CONNECTION_MEMORY_BYTES, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv, MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
        MHD_OPTION_ARRAY, srv->tls_cert_pem ? tls : none, MHD_OPTION_END);
    if (srv->tls_key_pem) {
        /* GnuTLS has its own copy now; ours is not needed and should not linger. */
        explicit_bzero(srv->tls_key_pem, srv->tls_key_len);
    }
    if (srv->daemon)
        srv->listen_fd = -1; /* libmicrohttpd's now */
    if (!srv->daemon) {
        log_msg(LOG_ERROR, "cannot serve on %s%s", srv->cfg.listen,
                srv->tls_cert_pem ? " (is the address in use, or the key not the one of the "
                                    "certificate?)"
                                  : " (is the address in use?)");
        return 1;
    }
    learn_port(srv->daemon, &srv->addr);
    char where[80];
    http_format_addr((struct sockaddr *)&srv->addr, where, sizeof(where));
    snprintf(srv->where, sizeof(srv->where), "%s://%s", srv->tls_cert_pem ? "https" : "http",
             where);
    return 0;
}

/* SIGTERM/SIGINT: stop accepting, let the requests in flight finish, stop. */
static void
drain(struct http_server *srv, int sfd)
{
    int64_t deadline = proto_now_ms() + srv->handler_timeout_ms + LIMIT_HTTP_DRAIN_EXTRA_MS;

    atomic_store(&srv->draining, true); /* on_accept() turns new connections away */
    log_msg(LOG_INFO, "stopping: no new connections; waiting for %u request%s in flight",
            atomic_load(&srv->in_flight), atomic_load(&srv->in_flight) == 1 ? "" : "s");
    while (atomic_load(&srv->in_flight) > 0 && proto_now_ms() < deadline) {
        struct pollfd p = {.fd = sfd, .events = POLLIN};
        if (poll(&p, 1, 10) > 0) {
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si) &&
                (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)) {
                log_msg(LOG_WARN, "second stop signal: not waiting any longer");
                break;
            }
        }
        reap_slow_clients(srv);
    }
    if (atomic_load(&srv->in_flight) > 0)
        log_msg(LOG_WARN, "%u request%s still in flight are cut off", atomic_load(&srv->in_flight),
                atomic_load(&srv->in_flight) == 1 ? "" : "s");
    MHD_stop_daemon(srv->daemon);
    srv->daemon = NULL;
    if (srv->metrics_daemon)
        MHD_stop_daemon(srv->metrics_daemon);
    srv->metrics_daemon = NULL;
}

static void
server_cleanup(struct http_server *srv)
{
    loader_stop(srv);
    if (srv->daemon)
        MHD_stop_daemon(srv->daemon);
    if (srv->metrics_daemon)
        MHD_stop_daemon(srv->metrics_daemon);
    pool_destroy(srv->pool);
    if (srv->launcher_fd >= 0)
        close(srv->launcher_fd); /* the launcher ends when it sees this */
    if (srv->listen_fd >= 0)
        close(srv->listen_fd);
    if (srv->metrics_fd >= 0)
        close(srv->metrics_fd);
    store_destroy(srv->store);
    verify_ctx_destroy(srv->verify);
    generation_release(srv->gen);
    metrics_destroy(srv->metrics);
    free(srv->default_cert);
    free(srv->default_key);
    free(srv->tls_cert_pem);
    if (srv->tls_key_pem) {
        explicit_bzero(srv->tls_key_pem, srv->tls_key_len);
        free(srv->tls_key_pem);
    }
    pthread_mutex_destroy(&srv->gen_lock);
    pthread_mutex_destroy(&srv->conn_lock);
    pthread_mutex_destroy(&srv->load_lock);
    pthread_cond_destroy(&srv->load_cond);
}

int
http_serve(const struct http_config *cfg)
{
    struct http_server srv;
    struct ss_error err;
    sigset_t stop;
    int sfd = -1, rc;

    memset(&srv, 0, sizeof(srv));
    srv.launcher_fd = -1;
    srv.listen_fd = -1;
    srv.metrics_fd = -1;
    ss_error_clear(&err);
    pthread_mutex_init(&srv.gen_lock, NULL);
    pthread_mutex_init(&srv.conn_lock, NULL);
    pthread_mutex_init(&srv.load_lock, NULL);
    pthread_cond_init(&srv.load_cond, NULL);
    atomic_init(&srv.connections, 0);
    atomic_init(&srv.in_flight, 0);
    atomic_init(&srv.draining, false);
    atomic_init(&srv.refused, 0);

    /* Started as root, the skills are started by the launcher, forked now
     * while this is the only thread and before the key is read; this
     * process gives up root once the port is bound (see launcher.h). */
    if (geteuid() == 0) {
        struct launcher_config lc = {
            .exe = cfg->exe, .skillkit_dir = cfg->skillkit_dir, .user = cfg->user, .dev = cfg->dev};
        srv.launcher_fd = launcher_start(&lc, &err);
        if (srv.launcher_fd < 0) {
            log_msg(LOG_ERROR, "cannot start the launcher of skills: %s", err.msg);
            rc = 1;
            goto out;
        }
    }
    rc = configure(&srv, cfg);
    if (rc != 0)
        goto out;
    rc = 1;

    /* Before any thread exists, so every thread inherits the mask and the
     * signals wait in the signalfd for the main loop. */
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGHUP);
    if (pthread_sigmask(SIG_BLOCK, &stop, NULL) != 0 ||
        (sfd = signalfd(-1, &stop, SFD_CLOEXEC)) < 0) {
        log_msg(LOG_ERROR, "cannot set up signal handling: %s", strerror(errno));
        goto out;
    }
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit(srv.max_connections);

    /* Bind while root, then give root up before any thread exists (each
     * thread has its own capabilities). The folders written from now on go
     * to the user first. */
    if (bind_listener(&srv) != 0)
        goto out;
    const char *own[] = {cfg->data_dir, cfg->cert_cache};
    if (privs_drop(cfg->user, own, sizeof(own) / sizeof(own[0]), &err) != SS_ERR_OK) {
        log_msg(LOG_ERROR, "%s", err.msg);
        rc = err.code == SS_ERR_USAGE ? 2 : 1;
        goto out;
    }

    struct runtime_config rc_cfg = {
        .exe = cfg->exe,
        .skillkit_dir = cfg->skillkit_dir,
        .data_dir = cfg->data_dir,
        .dev = cfg->dev,
        .fresh_worker = cfg->fresh_worker,
        .workers = cfg->workers,
        .handler_timeout_ms = srv.handler_timeout_ms,
        .user = cfg->user,
        .launcher_fd = srv.launcher_fd,
    };
    struct runtime rt = {0};
    srv.metrics = metrics_create();
    if (runtime_open(&rt, &rc_cfg, &err) == SS_ERR_OK) {
        srv.pool = rt.pool;
        srv.store = rt.store;
    }
    if (!srv.metrics || !srv.pool || !srv.store) {
        log_msg(LOG_ERROR, "out of memory");
        goto out;
    }
    if (!cfg->no_verify) {
        struct verify_config vc = {
            .trust_ca = cfg->trust_ca,
            .cache_dir = cfg->cert_cache,
            .connect_to = cfg->cert_connect_to,
        };
        srv.verify = verify_ctx_create(&vc, &err);
        if (!srv.verify) {
            log_msg(LOG_ERROR, "request verification cannot start: %s", err.msg);
            rc = err.code == SS_ERR_USAGE ? 2 : 1;
            goto out;
        }
    }

    srv.gen = generation_load(&srv, &err);
    if (!srv.gen) {
        log_msg(LOG_ERROR, "%s", err.msg);
        rc = 2;
        goto out;
    }
    if (srv.gen->skills->count == 0)
        log_msg(LOG_WARN,
                "there are no skills in %s (each is a folder with a skill.py, a "
                "lambda_function.py or an ASK CLI project)",
                cfg->skills_dir);
    if (cfg->dev)
        srv.fingerprint = skills_fingerprint(cfg->skills_dir);

    srv.threads = thread_count(cfg, srv.gen->skills->count);
    /* libmicrohttpd splits the connection limit between its threads. */
    if (srv.threads > srv.max_connections)
        srv.threads = srv.max_connections;
    rc = start_daemon(&srv);
    if (rc != 0)
        goto out;
    if (pthread_create(&srv.loader, NULL, loader_main, &srv) != 0) {
        log_msg(LOG_ERROR, "cannot start the skills' loader thread");
        rc = 1;
        goto out;
    }
    srv.loader_running = true;
    loader_request(&srv, LOAD_START, NULL);
    log_msg(LOG_INFO, "listening on %s (%s, %u threads, up to %u connections, %u per address, %s)",
            srv.where, srv.tls_cert_pem ? "TLS 1.2/1.3" : "plain HTTP", srv.threads,
            srv.max_connections, srv.max_per_address,
            srv.verify ? "requests verified" : "verification OFF");
    if (cfg->metrics_listen) {
        rc = start_metrics_daemon(&srv);
        if (rc != 0)
            goto out;
    } else if (cfg->no_metrics) {
        log_msg(LOG_INFO, "metrics: off (--no-metrics)");
    }
    if (cfg->no_verify && !http_addr_is_loopback((struct sockaddr *)&srv.addr))
        log_msg(LOG_WARN,
                "!!! --no-verify on a public address: ANYONE who can reach %s can "
                "call these skills. Use this only for a test behind a firewall. !!!",
                srv.where);
    else if (cfg->no_verify)
        log_msg(LOG_WARN, "--no-verify: requests are not checked for Amazon's signature "
                          "(fine for local tests only)");
    const char *example = skill_set_find(srv.gen->skills, "thank_you") ? "thank_you"
                          : srv.gen->skills->count ? srv.gen->skills->items[0].name
                                                   : "NAME";
    log_msg(LOG_INFO,
            "try: curl %s-X POST %s/skills/%s -H 'Content-Type: application/json' "
            "--data @tests/fixtures/requests/launch.json",
            srv.tls_cert_pem ? "-k " : "", srv.where, example);
    if (cfg->dev)
        log_msg(LOG_INFO, "or open %s/ in a browser to talk to the skills", srv.where);

    int64_t last_second = proto_now_ms();
    for (;;) {
        struct pollfd p = {.fd = sfd, .events = POLLIN};
        int n = poll(&p, 1, TICK_MS);
        if (n < 0 && errno != EINTR) {
            log_msg(LOG_ERROR, "poll: %s", strerror(errno));
            break;
        }
        if (n > 0) {
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
                continue;
            if (si.ssi_signo == SIGHUP) {
                loader_request(&srv, LOAD_RELOAD, "SIGHUP");
                continue;
            }
            log_msg(LOG_INFO, "%s received", si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
            break;
        }
        reap_slow_clients(&srv);
        /* Once a second: idle workers, and in --dev the skills' files. */
        int64_t now = proto_now_ms();
        if (now - last_second < 1000)
            continue;
        last_second = now;
        pool_maintain(srv.pool);
        unsigned refused = atomic_load_explicit(&srv.refused, memory_order_relaxed);
        if (refused != srv.refused_logged) {
            log_msg(LOG_WARN,
                    "closed %u new connection%s at once: at the limit of %u per address or %u "
                    "in all (--max-connections-per-address, --max-connections)",
                    refused - srv.refused_logged, refused - srv.refused_logged == 1 ? "" : "s",
                    srv.max_per_address, srv.max_connections);
            srv.refused_logged = refused;
        }
        if (cfg->dev) {
            uint64_t fp = skills_fingerprint(cfg->skills_dir);
            if (fp != srv.fingerprint) {
                srv.fingerprint = fp;
                loader_request(&srv, LOAD_RELOAD, "a skill's files changed");
            }
        }
    }
    loader_stop(&srv);
    drain(&srv, sfd);
    log_msg(LOG_INFO, "stopped");
    rc = 0;
out:
    server_cleanup(&srv);
    if (sfd >= 0)
        close(sfd);
    return rc;
}
