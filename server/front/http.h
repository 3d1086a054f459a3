/*
 * http.h - `skillserver serve`: the HTTP(S) front on libmicrohttpd.
 *
 * Owns the listening socket and TLS (GnuTLS inside libmicrohttpd, TLS 1.2
 * and 1.3 only), the routes of DESIGN.md "HTTP (contract)", the limits of
 * ss_limits.h's http section (body, head, connections, idle and slow
 * clients), the access log (one JSON line per request on stderr), /metrics,
 * and the life of the process: start-up report, SIGHUP reload, SIGTERM/SIGINT
 * drain. One file of server/front/ for each of those jobs (README).
 *
 * What must stay true:
 * - A request reaches verification and dispatch only once its body is
 *   complete, so a slow client never holds a worker; a client that trickles
 *   its request is cut off after LIMIT_HTTP_RECEIVE_MS.
 * - State shared by the request threads is built before the daemon starts
 *   and is read-only, except the skill set, which is swapped whole on reload
 *   and reference-counted so a request keeps the set it started with.
 * - Signals are taken by signalfd in the main thread; no work happens in a
 *   signal handler.
 */
#ifndef SKILLSERVER_HTTP_H
#define SKILLSERVER_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "error.h"

struct http_config {
    const char *listen;           /* "ADDR:PORT"; NULL: HTTP_LISTEN_DEFAULT */
    const char *skills_dir;       /* the skills folder */
    const char *data_dir;         /* persistent attributes (and data/tls/ by default) */
    const char *store;            /* postgresql:// URL for the attributes; NULL: data_dir */
    const char *tls_cert;         /* PEM certificate (chain); NULL: HTTP_TLS_CERT_FILE */
    const char *tls_key;          /* PEM private key */
    bool no_tls;                  /* plain HTTP behind a TLS-terminating proxy */
    bool no_verify;               /* skip the signature and timestamp checks */
    bool allow_unverified_public; /* allow no_verify on a non-loopback address (and any Host) */
    const char *trust_ca;         /* verify: roots for the signing chain (NULL: system) */
    const char *cert_cache;       /* verify: folder for downloaded chains */
    const char *cert_connect_to;  /* verify: HOST:PORT:HOST2:PORT2 */
    int workers;                  /* per skill; 0: CPUs */
    bool fresh_worker;            /* a fresh worker for every request */
    int handler_timeout_ms;       /* hard deadline; 0: LIMIT_HANDLER_TIMEOUT_MS_DEFAULT */
    bool dev;                     /* speak errors, reload skills when their files change */
    unsigned max_connections;     /* 0: LIMIT_HTTP_CONNECTIONS */
    unsigned max_per_address;     /* connections per client address; 0: the limits.h default */
    const char *metrics_listen;   /* "ADDR:PORT" of a plain-HTTP /metrics listener; NULL: none */
    bool no_metrics;              /* no /metrics anywhere */
    const char *exe;              /* the worker program, exec'd for each skill */
    const char *skillkit_dir;     /* the skillkit package's folder */
    const char *user;             /* started as root: run as this user after binding
                                     (and the skills too); NULL: PRIVS_USER_DEFAULT */
    bool class_mode;              /* --class: one server for a class (server/class/README) */
    const char *class_password;   /* --class-password PASSWORD or @FILE; NULL: made once */
    int class_workers;            /* --class-workers: the class's cap; 0: 4 a CPU, at least 8 */
    const char *class_hosts;      /* --class-host NAME[,NAME]: more names it answers to */
};

/* Without --tls-cert/--tls-key (and without --no-tls), serve uses
 * DATA/tls/HTTP_TLS_CERT_FILE and DATA/tls/HTTP_TLS_KEY_FILE when both exist:
 * the names certs/make-endpoint-cert.sh writes. */
#define HTTP_TLS_CERT_FILE "certificate.pem"
#define HTTP_TLS_KEY_FILE "private-key.pem"

/* Loopback only: an endpoint on the internet needs an explicit address. */
#define HTTP_LISTEN_DEFAULT "127.0.0.1:8443"

/*
 * Run the server in the foreground until SIGTERM or SIGINT, then drain the
 * requests in flight, stop the workers and return 0. Returns 2 when the
 * configuration is refused (the reason is logged) and 1 when the server
 * cannot start (address in use, unreadable certificate, ...).
 */
int http_serve(const struct http_config *cfg);

/* ---- helpers, public for the unit tests ---- */

/*
 * Parse "ADDR:PORT" ("127.0.0.1:8443", "[::1]:8443", "localhost:8443",
 * "0.0.0.0:443"; port 0 picks a free port) into out. Host names are
 * resolved (IPv4 preferred). Returns SS_ERR_OK or SS_ERR_USAGE with the
 * reason in err.
 */
enum ss_err http_parse_listen(const char *text, struct sockaddr_storage *out, socklen_t *len,
                              struct ss_error *err);

/* True for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. */
bool http_addr_is_loopback(const struct sockaddr *sa);

/* "127.0.0.1:8443" / "[::1]:8443" for addr into buf (at least 64 bytes). */
void http_format_addr(const struct sockaddr *sa, char *buf, size_t cap);

enum http_route {
    HTTP_ROUTE_NONE,       /* no such path: 404 */
    HTTP_ROUTE_HEALTH,     /* /healthz */
    HTTP_ROUTE_METRICS,    /* /metrics */
    HTTP_ROUTE_SKILL,      /* /skills/NAME (NAME copied out) */
    HTTP_ROUTE_APP,        /* /: by applicationId (and GET: the simulator's page, in --dev) */
    HTTP_ROUTE_SIM_FILE,   /* /simulator/FILE (FILE copied out): --dev only */
    HTTP_ROUTE_SIM_SKILLS, /* /simulator/skills: --dev only */
    HTTP_ROUTE_SIM_TURN,   /* /simulator/turn: --dev only */
    HTTP_ROUTE_CLASS,      /* /class/...: --class only (server/class/README) */
};

/*
 * Which route url names; for HTTP_ROUTE_SKILL the skill's name goes to name
 * (cap bytes). A path under /skills/ whose name is not a valid skill name is
 * HTTP_ROUTE_NONE. The method, and --dev for the simulator's routes, are
 * checked by the caller (405, 404).
 */
enum http_route http_route_of(const char *url, char *name, size_t cap);

/*
 * True when host, a Host header's value, names this machine's loopback:
 * "localhost", a dotted quad in 127.0.0.0/8 or a bracketed IPv6 loopback
 * address ([::1], or ::ffff:127.x.y.z), each with or without ":PORT". Any
 * other name is refused, even one that resolves to 127.0.0.1: that is what
 * DNS rebinding relies on.
 */
bool http_host_is_loopback(const char *host);

/* True when origin, an Origin header's value, is "http://" or "https://"
 * and a host http_host_is_loopback() accepts, with nothing after it. */
bool http_origin_is_loopback(const char *origin);

/* True for a JSON Content-Type: application/json or application/TYPE+json,
 * any case, with or without parameters (";charset=utf-8"). */
bool http_content_type_is_json(const char *type);

/*
 * The headers that decide where a request's body ends, and which request
 * it is (RFC 9112 §3.2, §6). libmicrohttpd reads the first Content-Length
 * and ignores it next to a Transfer-Encoding; a proxy in front may read
 * another, and then the rest of a body becomes a request of its own
 * (request smuggling). Start zeroed, add every header, then ask
 * http_framing_problem().
 */
struct http_framing {
    unsigned content_lengths;    /* Content-Length header lines */
    unsigned transfer_encodings; /* Transfer-Encoding header lines */
    unsigned hosts;              /* Host header lines */
    bool chunked_only;           /* the last Transfer-Encoding was exactly "chunked" */
    bool bad_name;               /* a name that is not an HTTP token ("Content-Length ") */
    bool bad_value;              /* a value with a control byte (a bare CR) */
};

void http_framing_add(struct http_framing *f, const char *name, const char *value);

/*
 * NULL when the request's framing is unambiguous, otherwise the sentence
 * for a 400 after which the connection is closed: more than one
 * Content-Length (even with equal values: no client needs to send two, and
 * a proxy that keeps only one line of the pair then agrees with us by luck),
 * Content-Length with Transfer-Encoding, a Transfer-Encoding other than one
 * "chunked" or in an HTTP/1.0 request (http10), more than one Host, or a
 * malformed header name or value.
 */
const char *http_framing_problem(const struct http_framing *f, bool http10);

#endif
