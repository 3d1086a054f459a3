/*
 * front_internal.h - what the files of server/front/ share, and nothing
 * else includes: the server's state, a connection, a generation of the
 * skill set, one request, and the functions one file of the front offers
 * the others (each named after its file).
 *
 * What must stay true:
 * - struct http_server is built by serve.c before any thread starts; after
 *   that only the fields marked with a lock or as atomic change.
 * - A struct http_request belongs to the libmicrohttpd thread that runs it,
 *   from its first access call to http_on_completed(); it holds one reference to
 *   the generation it started with.
 */
#ifndef SKILLSERVER_FRONT_INTERNAL_H
#define SKILLSERVER_FRONT_INTERNAL_H

#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "buf.h"
#include "dispatch.h"
#include "error.h"
#include "http.h"
#include "room.h"
#include "skill.h"
#include "ss_limits.h"

/* Bodies up to this size live inside struct http_request (Alexa's are 1-4 KiB),
 * so a typical request costs no allocation for its body. Not a limit. */
#define INLINE_BODY_BYTES 4096

/* Finished requests kept for reuse: about the requests in flight at once. */
#define HTTP_SPARE_REQUESTS 64

/* The Content-Types of what the front sends. */
#define JSON_TYPE "application/json;charset=UTF-8"
#define TEXT_TYPE "text/plain;charset=UTF-8"
#define METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"

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
    struct tls_creds *tls;    /* the certificate its handshake uses, after a reload */
};

/*
 * One reading of the skills folder, shared by the requests that started
 * while it was current. A skill whose folder no longer reads (a broken
 * skill.json) keeps the version the generation before had: then skills is
 * a set of our own that shows the skills loaded and the kept ones, whose
 * strings belong to the generation that loaded them (owners[i], a
 * reference).
 */
struct generation {
    struct skill_set *skills;   /* what requests see: loaded, or loaded with kept skills */
    struct skill_set *loaded;   /* owned: what skill_set_load() read */
    struct generation **owners; /* parallel to skills->items: a kept skill's generation;
                                   NULL when nothing is kept */
    unsigned *slots;            /* metrics row of each skill, parallel to skills->items */
    uint64_t *prints;           /* each skill folder's watch_fingerprint() when read, parallel
                                   to skills->items: a reload restarts only the changed ones */
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
    gnutls_datum_t tls_ticket_key; /* TLS 1.3 session tickets; {NULL, 0} when off */
    atomic_bool tls_ticket_failed; /* enabling tickets on a connection failed (logged once) */
    /* The certificate and key read again on SIGHUP (tls_reload()), which new
     * connections get instead of libmicrohttpd's own; NULL before the
     * first reload. Each connection that uses it holds a reference. */
    pthread_mutex_t tls_lock;
    struct tls_creds *tls_creds;
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
    /* Finished requests kept for the next ones (http.c's request_begin()):
     * a struct http_request is several KiB, too large for malloc's
     * per-thread cache, and freeing one next to the heap's top made malloc
     * consolidate its free lists on every request. */
    pthread_mutex_t spare_lock;
    struct http_request *spare[HTTP_SPARE_REQUESTS];
    unsigned spares;
    atomic_bool draining;
    atomic_uint refused;     /* connections closed at a connection limit, counted by
                                conn_on_mhd_log() */
    unsigned refused_logged; /* the main loop's last report of it */

    uint64_t fingerprint; /* --dev: the skills' files, to notice changes (watch.h) */
    bool watching;        /* fingerprint has been taken */
    bool watch_truncated; /* the last one left files out (said once) */

    /* The loader thread starts and reloads skills, so that a skill that is
     * slow to import never holds up the main loop (signals, slow clients). */
    pthread_t loader;
    bool loader_running;
    pthread_mutex_t load_lock;
    pthread_cond_t load_cond;
    int load_pending; /* LOAD_NONE, LOAD_START or LOAD_RELOAD */
    const char *load_why;
    bool load_quit;

    struct class_room *room; /* --class: the class; NULL otherwise */
    char class_skills[4096]; /* --class: DATA/class/skills, the skills folder */

    int launcher_fd;    /* started as root: the launcher's socket; else -1 */
    int listen_fd;      /* bound before the daemon starts; -1 once it owns it */
    char inherited[80]; /* the address of a socket systemd passed (notify.c), else "" */
    int metrics_fd;     /* the same for --metrics-listen */
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
    /* While the skill runs the connection is suspended; the pool's
     * callback resumes it and the access handler answers. */
    struct MHD_Connection *mhd;
    struct dispatch_ctx ctx;
    struct dispatch_call call;
    bool suspended;  /* waiting for the skill */
    bool dispatched; /* call is under way: dispatch_end() is due */
    char path[128];
    const char *refused_header; /* NOT_LOCAL: "host" or "origin", logged with its value */
    char refused_value[128];
    char sim_name[LIMIT_SKILL_NAME_CHARS + 1]; /* HTTP_ROUTE_SIM_FILE: the file */
    const char *sim_type;                      /* its Content-Type */
    enum class_route class_route;              /* HTTP_ROUTE_CLASS: which (name in sim_name) */
    struct buf body; /* up to LIMIT_BODY_BYTES, in inline_body while it fits */
    size_t dropped;  /* bytes dropped unread after the body passed its limit */
    char inline_body[INLINE_BODY_BYTES];
};

/* ---- answer.c: what goes back to the client ---- */

/* A response with body (freed with it when owned, on failure too) and its
 * Content-Type and Allow headers; NULL when it cannot be made. */
struct MHD_Response *answer_response(char *body, size_t len, bool owned, const char *type,
                                     const char *allow);

/* Queue body[0..len) with status for r (owned: as answer_response()). Returns
 * MHD_NO when nothing could be queued, which makes libmicrohttpd close the
 * connection. */
enum MHD_Result answer(struct http_request *r, struct MHD_Connection *connection, int status,
                       char *body, size_t len, bool owned, const char *type, const char *allow);

/* answer() with more headers: extra holds name, value, ..., NULL. */
enum MHD_Result answer_extra(struct http_request *r, struct MHD_Connection *connection, int status,
                             char *body, size_t len, bool owned, const char *type,
                             const char *const *extra);

/* A short JSON error {"error": ..., "message": ...} with code's status. */
enum MHD_Result answer_error(struct http_request *r, struct MHD_Connection *connection,
                             enum ss_err code, const char *allow, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Decide a 4xx from the request's head; it is sent once the body has been
 * read (and dropped), so the connection stays usable, except for a body that
 * is too large, which is answered at once. */
void answer_defer(struct http_request *r, enum ss_err code, const char *allow, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- headers.c: what a request's head may say ---- */

/* The size of the request line and headers, as sent (give or take a few bytes). */
size_t headers_size(struct MHD_Connection *connection, const char *url, const char *method);

/* NULL when the head says unambiguously where the body ends (see http_framing_problem()). */
const char *headers_framing_problem(struct MHD_Connection *connection, const char *version);

/* Whether route runs a skill without verification (see headers.c). */
bool headers_unverified_route(const struct http_server *srv, enum http_route route);

/* Refuse (403, deferred) a request to an unverified route that is not
 * addressed to this machine; true when it was refused. */
bool headers_refuse_if_not_local(struct http_request *r, struct MHD_Connection *connection);

/* A POST's Content-Type: JSON, and on an unverified route not missing either
 * (a 415 or 400, deferred). */
void headers_check_content_type(struct http_request *r, struct MHD_Connection *connection,
                                bool unverified);

/* ---- conn.c: connections, the slow-client reaper and the connection caps ---- */

/* Note that c (NULL-safe) enters state now. Any thread. */
void conn_set(struct http_conn *c, enum conn_state state);

/* The struct http_conn of a libmicrohttpd connection, or NULL when untracked. */
struct http_conn *conn_of(struct MHD_Connection *connection);

/* libmicrohttpd's callbacks: a connection starts or ends
 * (MHD_OPTION_NOTIFY_CONNECTION), a request's first line is in
 * (MHD_OPTION_URI_LOG_CALLBACK), a connection is accepted (refused while
 * draining), and libmicrohttpd's own log lines. cls is the server. */
void conn_on_notify(void *cls, struct MHD_Connection *connection, void **socket_context,
                    enum MHD_ConnectionNotificationCode toe);
void *conn_on_uri(void *cls, const char *uri, struct MHD_Connection *connection);
enum MHD_Result conn_on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen);
void conn_on_mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Shut down connections that take too long to send a request, or idle too
 * long. Main thread. */
void conn_reap_slow(struct http_server *srv);

/* Log the connections refused at a limit since the last report (at most
 * one line; the main loop calls it once a second). */
void conn_report_refused(struct http_server *srv);

/* ---- generation.c: the skill set requests see, and the loader thread ---- */

/* Read the skills folder into a new generation (one reference, the
 * caller's); NULL with err set. A skill of current (NULL at start-up) whose
 * folder no longer reads is kept as it was, and the error logged. */
struct generation *generation_load(struct http_server *srv, struct generation *current,
                                   struct ss_error *err);

/* Whether skill (an item of g) is the version of an earlier generation,
 * kept because its folder no longer reads. */
bool generation_kept(const struct generation *g, const struct skill *skill);

/* A new reference to the current generation. Any thread. */
struct generation *generation_acquire(struct http_server *srv);

/* Drop a reference; the last one frees the generation. NULL-safe. */
void generation_release(struct generation *g);

/* The metrics row of skill (an item of g), or METRICS_NO_SKILL for NULL. */
unsigned generation_slot(const struct generation *g, const struct skill *skill);

/* Start the loader thread (which then waits for generation_request()).
 * Returns false when it cannot be started. */
bool generation_loader_start(struct http_server *srv);

/* Ask the loader to start the skills (LOAD_START) or reload them
 * (LOAD_RELOAD, why: a string literal for the log); requests made while it
 * is busy are folded into one (a reload covers a start). Any thread. */
void generation_request(struct http_server *srv, int what, const char *why);

/* Stop the loader thread, after the load it is running. NULL-safe as to a
 * loader never started. */
void generation_loader_stop(struct http_server *srv);

/* ---- probes.c: /metrics and /healthz ---- */

/* The /metrics page on the main listener. */
enum MHD_Result probes_answer_metrics(struct http_request *r, struct MHD_Connection *connection);

/* Start the --metrics-listen listener on srv->metrics_fd. Returns 0 or 1. */
int probes_start_listener(struct http_server *srv);

/* ---- access_log.c ---- */

/* One JSON line for r on stderr (its end: toe; total_us since its head). */
void access_log_write(const struct http_request *r, enum MHD_RequestTerminationCode toe,
                      int64_t total_us);

/* ---- listen.c: the listening sockets ---- */

/* Bind the endpoint's socket and --metrics-listen's, before privileges are
 * dropped (port 443 needs root). Returns 0, or 1 after saying why. */
int listen_bind(struct http_server *srv);

/* With port 0 the kernel picked one: write it into addr. */
void listen_learn_port(struct MHD_Daemon *daemon, struct sockaddr_storage *addr);

/* ---- tls.c: the endpoint's certificate and key ---- */

/* Pick the certificate and key (the flags, or DATA/tls/) and read them into
 * srv. Returns 0, 2 for a refused configuration or 1 (the reason logged). */
int tls_configure(struct http_server *srv, const struct http_config *cfg);

/* libmicrohttpd's TLS options for srv's certificate (3 items and the end). */
void tls_daemon_options(const struct http_server *srv, struct MHD_OptionItem opts[4]);

/* The daemon's flags with what TLS needs added (MHD_USE_TLS, and poll()
 * instead of epoll); flags unchanged without TLS. */
unsigned tls_daemon_flags(const struct http_server *srv, unsigned flags);

/* A new connection, before its handshake: let it issue and accept TLS 1.3
 * session tickets, and give it the certificate last read by tls_reload()
 * (a reference into *held, for tls_release() when it closes; held NULL:
 * libmicrohttpd's certificate of the start). Called from conn_on_notify()
 * on libmicrohttpd's thread. */
void tls_on_connection(struct http_server *srv, struct MHD_Connection *connection,
                       struct tls_creds **held);

/* Drop a connection's reference (NULL-safe). */
void tls_release(struct tls_creds *creds);

/* SIGHUP: read the certificate and key files again. New connections get
 * the new pair; those under way keep theirs. A pair that does not read, or
 * a key that is not the certificate's, is refused and the old one kept (the
 * reason logged). Does nothing without TLS. Main thread. */
void tls_reload(struct http_server *srv);

/* Wipe the key's copy once libmicrohttpd has its own, and free both at the end. */
void tls_forget_key(struct http_server *srv);
void tls_cleanup(struct http_server *srv);

/* ---- notify.c: systemd (sd_notify, socket activation); each does nothing
 * unless systemd started the server ---- */

/* A listening socket systemd passed becomes srv->listen_fd, with its
 * address in srv->addr and srv->cfg.listen. Returns 1 when one was taken, 0
 * when none was passed, -1 when what was passed cannot be used (logged). */
int notify_take_socket(struct http_server *srv);

/* READY=1 with a status line: the skills are loaded (loader thread). */
void notify_ready(struct http_server *srv);

/* RELOADING=1 (SIGHUP), STOPPING=1 (drain), and WATCHDOG=1 when it is due
 * (call every tick of the main loop). */
void notify_reloading(void);
void notify_stopping(void);
void notify_watchdog(void);

/* ---- http.c: the endpoint's libmicrohttpd callbacks ---- */

enum MHD_Result http_on_access(void *cls, struct MHD_Connection *connection, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_data_size, void **req_cls);
void http_on_completed(void *cls, struct MHD_Connection *connection, void **req_cls,
                       enum MHD_RequestTerminationCode toe);

#endif
