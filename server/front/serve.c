/*
 * serve.c - `skillserver serve` from start to end: the flags checked, the
 * launcher started (as root), the socket bound and root given up, the
 * pool, the store and verification set up, the skills read, libmicrohttpd
 * started, and then the main loop: signals (SIGHUP reloads, SIGTERM and
 * SIGINT drain and stop), the slow-client reaper, idle workers, and in
 * --dev the skills' files.
 *
 * Threads: the main thread runs this file. libmicrohttpd's threads run
 * http.c; the loader thread runs generation.c. Signals are blocked in every
 * thread and read from a signalfd here, so no work happens in a signal
 * handler.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "front_internal.h"
#include "launcher.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "privs.h"
#include "proto.h"
#include "runtime.h"
#include "ssml.h"
#include "store.h"
#include "verify.h"
#include "watch.h"

/* libmicrohttpd keeps the head and its own buffers in one pool per
 * connection. The head limit is checked exactly in the access handler; the
 * pool is twice that (plus room for the answer's head) so libmicrohttpd's own
 * cruder check only meets heads far over the limit (it answers those 431). */
#define CONNECTION_MEMORY_BYTES (2 * LIMIT_HTTP_HEADER_BYTES + 4096)

/* The main thread wakes this often to cut off slow clients. */
#define TICK_MS 250

/*
 * HTTP threads. An Alexa request never holds its thread while the skill
 * runs (the connection is suspended until the pool calls back), so one
 * thread per CPU does the HTTP, TLS, verification and JSON work. The
 * simulator (--dev) and the class's pages (--class) still wait for a
 * skill on their thread: then there is one more per worker that may be
 * busy (workers per skill times skills, counted at start-up).
 */
static unsigned
thread_count(const struct http_config *cfg, size_t skills)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus < 1)
        cpus = 1;
    if (!cfg->dev && !cfg->class_mode)
        return (unsigned)cpus > LIMIT_HTTP_THREADS_MAX ? LIMIT_HTTP_THREADS_MAX : (unsigned)cpus;
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
    int inherited = notify_take_socket(srv);
    if (inherited < 0)
        return 2;
    if (!srv->cfg.listen)
        srv->cfg.listen = HTTP_LISTEN_DEFAULT;
    srv->handler_timeout_ms =
        cfg->handler_timeout_ms > 0 ? cfg->handler_timeout_ms : LIMIT_HANDLER_TIMEOUT_MS_DEFAULT;
    srv->max_connections = cfg->max_connections ? cfg->max_connections : LIMIT_HTTP_CONNECTIONS;
    srv->max_per_address =
        cfg->max_per_address ? cfg->max_per_address : LIMIT_HTTP_CONNECTIONS_PER_ADDRESS;

    if (!inherited &&
        http_parse_listen(srv->cfg.listen, &srv->addr, &srv->addr_len, &err) != SS_ERR_OK) {
        log_msg(LOG_ERROR, "%s", err.msg);
        return 2;
    }
    bool loopback = http_addr_is_loopback((struct sockaddr *)&srv->addr);
    /* No flag lifts this one: the simulator runs any skill unverified and
     * speaks its errors, which is for the author at this machine only. */
    if (cfg->dev && !loopback && !cfg->class_mode) {
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
    return tls_configure(srv, cfg);
}

static int
start_daemon(struct http_server *srv)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | MHD_USE_TURBO | MHD_ALLOW_SUSPEND_RESUME;
    struct MHD_OptionItem tls[4];
    struct MHD_OptionItem none[] = {{MHD_OPTION_END, 0, NULL}};

    tls_daemon_options(srv, tls);
    flags = tls_daemon_flags(srv, flags);
    if (srv->addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    srv->daemon = MHD_start_daemon(
        flags, 0, conn_on_accept, srv, http_on_access, srv, MHD_OPTION_EXTERNAL_LOGGER,
        conn_on_mhd_log, srv, MHD_OPTION_LISTEN_SOCKET, srv->listen_fd, MHD_OPTION_THREAD_POOL_SIZE,
        srv->threads, MHD_OPTION_CONNECTION_LIMIT, srv->max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, srv->max_per_address,
        /* 1: an HTTP/1.1 request without a Host, or with a space in its target, is a 400
         * (RFC 9112 §3.2); the rest of the head is checked by headers_framing_problem(). */
        MHD_OPTION_STRICT_FOR_CLIENT, (int)1, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)LIMIT_HTTP_IDLE_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)CONNECTION_MEMORY_BYTES, MHD_OPTION_NOTIFY_COMPLETED, http_on_completed, srv,
        MHD_OPTION_NOTIFY_CONNECTION, conn_on_notify, srv, MHD_OPTION_URI_LOG_CALLBACK, conn_on_uri,
        srv, MHD_OPTION_ARRAY, srv->tls_cert_pem ? tls : none, MHD_OPTION_END);
    /* GnuTLS has its own copy now; ours is not needed and should not linger. */
    tls_forget_key(srv);
    if (srv->daemon)
        srv->listen_fd = -1; /* libmicrohttpd's now */
    if (!srv->daemon) {
        log_msg(LOG_ERROR, "cannot serve on %s%s", srv->cfg.listen,
                srv->tls_cert_pem ? " (is the address in use, or the key not the one of the "
                                    "certificate?)"
                                  : " (is the address in use?)");
        return 1;
    }
    listen_learn_port(srv->daemon, &srv->addr);
    char where[80];
    http_format_addr((struct sockaddr *)&srv->addr, where, sizeof(where));
    snprintf(srv->where, sizeof(srv->where), "%s://%s", srv->tls_cert_pem ? "https" : "http",
             where);
    return 0;
}

/* --class: tell the teacher the addresses the children type. srv->where
 * names the listening address, which on 0.0.0.0 or :: is no address a
 * browser can open, so every address of the machine's interfaces that a
 * class's network can reach (not loopback, not link-local IPv6, which a URL
 * bar cannot take without its zone) is listed with the port instead. Main
 * thread, at start-up. */
static void
class_tell_addresses(const struct http_server *srv)
{
    const struct sockaddr *own = (const struct sockaddr *)&srv->addr;
    const char *scheme = srv->tls_cert_pem ? "https" : "http";
    bool wildcard = false;
    in_port_t port = 0;
    if (own->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)own;
        wildcard = a->sin_addr.s_addr == htonl(INADDR_ANY);
        port = a->sin_port;
    } else if (own->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)own;
        wildcard = IN6_IS_ADDR_UNSPECIFIED(&a->sin6_addr);
        port = a->sin6_port;
    }
    if (!wildcard) {
        log_msg(LOG_INFO, "class: the children type %s/class/ (the teacher: %s/class/teacher)",
                srv->where, srv->where);
        return;
    }
    struct ifaddrs *all = NULL;
    int shown = 0;
    if (getifaddrs(&all) == 0) {
        for (const struct ifaddrs *i = all; i; i = i->ifa_next) {
            if (!i->ifa_addr)
                continue;
            struct sockaddr_storage a;
            memset(&a, 0, sizeof(a));
            int family = i->ifa_addr->sa_family;
            /* Only the listening socket's family: an IPv6 socket is
             * IPV6_V6ONLY (listen.c), so :: takes no IPv4 connection. */
            if (family != own->sa_family)
                continue;
            if (family == AF_INET) {
                memcpy(&a, i->ifa_addr, sizeof(struct sockaddr_in));
                ((struct sockaddr_in *)&a)->sin_port = port;
            } else if (family == AF_INET6) {
                memcpy(&a, i->ifa_addr, sizeof(struct sockaddr_in6));
                struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&a;
                if (IN6_IS_ADDR_LINKLOCAL(&a6->sin6_addr))
                    continue;
                a6->sin6_port = port;
                a6->sin6_scope_id = 0;
            } else {
                continue;
            }
            if (http_addr_is_loopback((struct sockaddr *)&a))
                continue;
            char where[80];
            http_format_addr((struct sockaddr *)&a, where, sizeof(where));
            log_msg(LOG_INFO, "class: the children type %s://%s/class/", scheme, where);
            shown++;
        }
        freeifaddrs(all);
    }
    char host[256];
    if (gethostname(host, sizeof(host)) == 0) {
        host[sizeof(host) - 1] = '\0';
        char *dot = strchr(host, '.');
        if (dot)
            *dot = '\0';
        log_msg(LOG_INFO,
                "class: or, where the network knows .local names, %s://%s.local:%u/class/", scheme,
                host, (unsigned)ntohs(port));
    }
    if (shown == 0)
        log_msg(LOG_WARN, "class: this machine has no address on a network yet: join the "
                          "class's network (the addresses are printed again at the next start)");
    log_msg(LOG_INFO, "class: the teacher opens the same address with /class/teacher");
    if (srv->tls_cert_pem)
        log_msg(LOG_INFO, "class: each browser warns once that the connection is not private "
                          "(the certificate was made by this machine); the teacher's page "
                          "says what to tell the class");
}

/* --dev: whether a skill's files changed since the last look (the first
 * look only takes the fingerprint). Main thread. */
static bool
notice_changes(struct http_server *srv)
{
    bool truncated = false;
    uint64_t fp = watch_fingerprint(srv->cfg.skills_dir, &truncated);
    bool changed = srv->watching && fp != srv->fingerprint;

    if (truncated && !srv->watch_truncated)
        log_msg(LOG_WARN,
                "--dev watches up to %d files and folders %d deep in each skill; a skill in %s "
                "has more, and a change among the rest needs a reload (kill -HUP %ld)",
                LIMIT_DEV_WATCH_ENTRIES, LIMIT_DEV_WATCH_DEPTH, srv->cfg.skills_dir,
                (long)getpid());
    srv->watch_truncated = truncated;
    srv->watching = true;
    srv->fingerprint = fp;
    return changed;
}

/* SIGTERM/SIGINT: stop accepting, let the requests in flight finish, stop. */
static void
drain(struct http_server *srv, int sfd)
{
    int64_t deadline = proto_now_ms() + srv->handler_timeout_ms + LIMIT_HTTP_DRAIN_EXTRA_MS;

    atomic_store(&srv->draining, true); /* conn_on_accept() turns new connections away */
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
        conn_reap_slow(srv);
    }
    if (atomic_load(&srv->in_flight) > 0) {
        log_msg(LOG_WARN, "%u request%s still in flight are cut off", atomic_load(&srv->in_flight),
                atomic_load(&srv->in_flight) == 1 ? "" : "s");
        /* Their skills are stopped, so that each is answered and no
         * connection is left suspended when libmicrohttpd stops. */
        pool_abort(srv->pool);
        for (int i = 0; i < 100 && atomic_load(&srv->in_flight) > 0; i++)
            poll(NULL, 0, 10);
    }
    MHD_stop_daemon(srv->daemon);
    srv->daemon = NULL;
    if (srv->metrics_daemon)
        MHD_stop_daemon(srv->metrics_daemon);
    srv->metrics_daemon = NULL;
}

static void
server_cleanup(struct http_server *srv)
{
    ssml_preload_wait();
    generation_loader_stop(srv);
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
    if (srv->room) {
        class_room_close(srv->room);
        free(srv->room);
    }
    store_destroy(srv->store);
    verify_ctx_destroy(srv->verify);
    generation_release(srv->gen);
    metrics_destroy(srv->metrics);
    tls_cleanup(srv);
    while (srv->spares > 0)
        free(srv->spare[--srv->spares]);
    pthread_mutex_destroy(&srv->spare_lock);
    pthread_mutex_destroy(&srv->gen_lock);
    pthread_mutex_destroy(&srv->conn_lock);
    pthread_mutex_destroy(&srv->load_lock);
    pthread_mutex_destroy(&srv->tls_lock);
    pthread_cond_destroy(&srv->load_cond);
}

/*
 * --class: the class's own settings over the flags. Its skills are the
 * children's folders under DATA/class/skills (never --skills); every skill
 * reloads on a save and speaks its errors (--dev's behaviour, with the
 * simulator's routes replaced by the class's); one fresh worker per
 * request per skill, so nothing a child's global variable holds reaches a
 * friend who calls the skill; a short hard deadline, so a loop gives its
 * worker back soon (server/class/README, "The per-class worker cap").
 */
static void
class_settings(struct http_config *cfg, struct http_server *srv)
{
    snprintf(srv->class_skills, sizeof(srv->class_skills), "%s/class/skills", cfg->data_dir);
    cfg->skills_dir = srv->class_skills;
    cfg->dev = true;
    cfg->fresh_worker = true;
    cfg->workers = 1;
    if (cfg->handler_timeout_ms <= 0)
        cfg->handler_timeout_ms = LIMIT_CLASS_HANDLER_TIMEOUT_MS;
    if (!cfg->listen)
        cfg->listen = "0.0.0.0:8443";
}

int
http_serve(const struct http_config *given)
{
    struct http_server srv;
    struct http_config class_cfg;
    const struct http_config *cfg = given;
    struct ss_error err;
    sigset_t stop;
    int sfd = -1, rc;

    memset(&srv, 0, sizeof(srv));
    srv.launcher_fd = -1;
    srv.listen_fd = -1;
    srv.metrics_fd = -1;
    ss_error_clear(&err);
    if (given->class_mode) {
        class_cfg = *given;
        class_settings(&class_cfg, &srv);
        cfg = &class_cfg;
    }
    pthread_mutex_init(&srv.gen_lock, NULL);
    pthread_mutex_init(&srv.conn_lock, NULL);
    pthread_mutex_init(&srv.spare_lock, NULL);
    pthread_mutex_init(&srv.load_lock, NULL);
    pthread_mutex_init(&srv.tls_lock, NULL);
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
    if (listen_bind(&srv) != 0)
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
        .store = cfg->store,
        .dev = cfg->dev,
        .fresh_worker = cfg->fresh_worker,
        .workers = cfg->workers,
        .handler_timeout_ms = srv.handler_timeout_ms,
        .user = cfg->user,
        .launcher_fd = srv.launcher_fd,
    };
    struct runtime rt = {0};
    srv.metrics = metrics_create();
    if (runtime_open(&rt, &rc_cfg, &err) != SS_ERR_OK) {
        log_msg(LOG_ERROR, "%s", err.msg);
        rc = err.code == SS_ERR_USAGE ? 2 : 1;
        goto out;
    }
    srv.pool = rt.pool;
    srv.store = rt.store;
    if (!srv.metrics) {
        log_msg(LOG_ERROR, "out of memory");
        goto out;
    }
    /* A shared database that is down now is not a reason to stay down:
     * requests get an apology until it answers, and the store has said
     * why in the log (store.h). */
    if (store_check(srv.store, &err) == SS_ERR_OK)
        log_msg(LOG_INFO, "persistent attributes in %s", store_where(srv.store));
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

    if (cfg->class_mode) {
        /* Four workers a CPU: a child's handler mostly waits on its fork
         * and its sockets, and a loop holds a slot for up to the deadline. */
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        int cap = cpus > 0 ? (int)(4 * cpus) : 8;
        struct class_room_config room_cfg = {
            .data_dir = cfg->data_dir,
            .password = cfg->class_password,
            .workers = cfg->class_workers > 0 ? cfg->class_workers
                       : cap < 8              ? 8
                                              : cap,
            .tls = srv.tls_cert_pem != NULL,
            .hosts = cfg->class_hosts,
        };
        srv.room = calloc(1, sizeof(*srv.room));
        if (!srv.room) {
            log_msg(LOG_ERROR, "out of memory");
            goto out;
        }
        if (class_room_open(srv.room, &room_cfg, &err) != SS_ERR_OK) {
            log_msg(LOG_ERROR, "the class cannot start: %s", err.msg);
            rc = err.code == SS_ERR_USAGE ? 2 : 1;
            goto out;
        }
        srv.room->pool = srv.pool;
        if (!srv.tls_cert_pem && !http_addr_is_loopback((struct sockaddr *)&srv.addr)) {
            log_msg(LOG_ERROR,
                    "--class on %s needs TLS: browsers give the microphone only to "
                    "secure pages, and the children's passwords and code go over "
                    "the class's network. Make a certificate for this machine with "
                    "`certs/make-endpoint-cert.sh --class %s/tls` and start without "
                    "--no-tls (or listen on 127.0.0.1 for a test)",
                    srv.cfg.listen, cfg->data_dir);
            rc = 2;
            goto out;
        }
    }
    srv.gen = generation_load(&srv, NULL, &err);
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
        notice_changes(&srv);

    srv.threads = thread_count(cfg, srv.gen->skills->count);
    /* A class's children join after the start, each turn holding a thread
     * while it waits for the class's cap on workers. */
    if (srv.room && srv.threads < LIMIT_CLASS_CHILDREN + 4)
        srv.threads = LIMIT_CLASS_CHILDREN + 4 > LIMIT_HTTP_THREADS_MAX ? LIMIT_HTTP_THREADS_MAX
                                                                        : LIMIT_CLASS_CHILDREN + 4;
    /* libmicrohttpd splits the connection limit between its threads. */
    if (srv.threads > srv.max_connections)
        srv.threads = srv.max_connections;
    rc = start_daemon(&srv);
    if (rc != 0)
        goto out;
    if (!generation_loader_start(&srv)) {
        log_msg(LOG_ERROR, "cannot start the skills' loader thread");
        rc = 1;
        goto out;
    }
    generation_request(&srv, LOAD_START, NULL);
    ssml_preload(); /* libxml2 and the schema, while the skills start */
    log_msg(LOG_INFO, "listening on %s (%s, %u threads, up to %u connections, %u per address, %s)",
            srv.where, srv.tls_cert_pem ? "TLS 1.2/1.3" : "plain HTTP", srv.threads,
            srv.max_connections, srv.max_per_address,
            srv.verify ? "requests verified" : "verification OFF");
    if (cfg->metrics_listen) {
        rc = probes_start_listener(&srv);
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
    if (srv.room)
        class_tell_addresses(&srv);
    else if (cfg->dev)
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
                notify_reloading();
                tls_reload(&srv);
                generation_request(&srv, LOAD_RELOAD, "SIGHUP");
                continue;
            }
            log_msg(LOG_INFO, "%s received", si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
            break;
        }
        conn_reap_slow(&srv);
        notify_watchdog();
        /* Once a second: idle workers, and in --dev the skills' files. */
        int64_t now = proto_now_ms();
        if (now - last_second < 1000)
            continue;
        last_second = now;
        pool_maintain(srv.pool);
        conn_report_refused(&srv);
        if (cfg->dev && notice_changes(&srv))
            generation_request(&srv, LOAD_RELOAD, "a skill's files changed");
    }
    notify_stopping();
    generation_loader_stop(&srv);
    drain(&srv, sfd);
    log_msg(LOG_INFO, "stopped");
    rc = 0;
out:
    server_cleanup(&srv);
    if (sfd >= 0)
        close(sfd);
    return rc;
}
