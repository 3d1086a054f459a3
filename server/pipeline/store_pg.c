/*
 * store_pg.c - persistent attributes in PostgreSQL through libpq (store.h).
 *
 * One table, skillserver_attributes (skill, user_id, value, version,
 * updated), created on the first connection of each store under an
 * advisory lock, so fronts that start together do not trip over each
 * other's CREATE TABLE. Saves are compare-and-set on the version: an
 * INSERT ... ON CONFLICT DO NOTHING for a user's first save, an UPDATE ...
 * WHERE version = the one loaded for the next ones; zero rows written is a
 * conflict. Each statement commits on its own: nothing is held between
 * calls, so a handler that runs long holds neither a lock nor a connection.
 *
 * Connections: at most `max` per store, opened when a call finds none idle,
 * kept idle for the next call, closed when they fail. An idle connection
 * with unread input (the server said goodbye, or closed it) is not reused.
 * Every wait is bounded: connecting by LIMIT_STORE_PG_CONNECT_MS, a
 * statement by LIMIT_STORE_PG_STATEMENT_MS (on the client's clock, and by
 * statement_timeout and lock_timeout on the server's), waiting for a busy
 * connection to come free by LIMIT_STORE_PG_CONNECT_MS. After a failed
 * connection, calls fail at once with the same sentence for
 * LIMIT_STORE_PG_RETRY_MS; then one call at a time tries again (the others
 * still fail at once), so the store comes back on its own when the
 * database does, and a host that does not answer holds one thread, not
 * all of them.
 *
 * The URL is kept for libpq only: logs and errors name the database as
 * postgresql://USER@HOST:PORT/DB (shown), never with the password.
 *
 * libpq is loaded with dlopen when the first PostgreSQL store is opened,
 * not linked: it brings Kerberos, LDAP, SASL and GnuTLS (21 libraries in
 * all on Debian 12) that every start of every command would otherwise map
 * and relocate, for a store most runs never use. Its functions are called
 * through the table pq, filled from the library by name.
 */
#include "store_internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dynlib.h"
#include "log.h"
#include "proto.h"
#include "ss_limits.h"

/* Any number both fronts agree on: the advisory lock around CREATE TABLE. */
#define SCHEMA_LOCK_KEY "7310586447398265459"

static const char schema_sql[] = "SELECT pg_advisory_xact_lock(" SCHEMA_LOCK_KEY ");"
                                 "CREATE TABLE IF NOT EXISTS skillserver_attributes ("
                                 " skill text NOT NULL,"
                                 " user_id text NOT NULL,"
                                 " value text NOT NULL,"
                                 " version bigint NOT NULL,"
                                 " updated timestamptz NOT NULL DEFAULT now(),"
                                 " PRIMARY KEY (skill, user_id))";

/* The soname the header describes (Debian 12: libpq5). */
#define LIBPQ "libpq.so.5"

#define PQ_FUNCTIONS(X)                                                                            \
    X(PQclear)                                                                                     \
    X(PQcmdTuples)                                                                                 \
    X(PQconnectPoll)                                                                               \
    X(PQconnectStartParams)                                                                        \
    X(PQconninfoFree)                                                                              \
    X(PQconninfoParse)                                                                             \
    X(PQconsumeInput)                                                                              \
    X(PQerrorMessage)                                                                              \
    X(PQfinish)                                                                                    \
    X(PQflush)                                                                                     \
    X(PQfreemem)                                                                                   \
    X(PQgetResult)                                                                                 \
    X(PQgetvalue)                                                                                  \
    X(PQisBusy)                                                                                    \
    X(PQnfields)                                                                                   \
    X(PQntuples)                                                                                   \
    X(PQresultErrorField)                                                                          \
    X(PQresultErrorMessage)                                                                        \
    X(PQresultStatus)                                                                              \
    X(PQsendQuery)                                                                                 \
    X(PQsendQueryParams)                                                                           \
    X(PQsetNoticeProcessor)                                                                        \
    X(PQsetnonblocking)                                                                            \
    X(PQsocket)                                                                                    \
    X(PQstatus)

static struct {
#define PQ_FIELD(name) __typeof__(name) *name;
    PQ_FUNCTIONS(PQ_FIELD)
#undef PQ_FIELD
} pq;

static pthread_once_t pq_once = PTHREAD_ONCE_INIT;
static bool pq_loaded;
static char pq_problem[256];

static void
pq_load(void)
{
    void *lib = dlopen(LIBPQ, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(pq_problem, sizeof(pq_problem), "%s", dlerror());
        return;
    }
#define PQ_RESOLVE(name)                                                                           \
    if (!dynlib_resolve(lib, #name, &pq.name)) {                                                   \
        snprintf(pq_problem, sizeof(pq_problem), "%s lacks %s", LIBPQ, #name);                     \
        return;                                                                                    \
    }
    PQ_FUNCTIONS(PQ_RESOLVE)
#undef PQ_RESOLVE
    pq_loaded = true;
}

struct pg_store {
    char *url; /* for libpq only: it may hold a password */
    char shown[512];
    int max; /* connections at most */
    pthread_mutex_t lock;
    pthread_cond_t freed; /* a connection went back idle, or a slot came free */
    PGconn **idle;
    int nidle;
    int open;            /* connections that exist: idle, in use, or being made */
    int64_t retry_at_ms; /* after a failed connection: fail at once until then */
    char down[sizeof(((struct ss_error *)0)->msg)]; /* ...with this sentence */
    bool down_logged;  /* the outage is in the log; its end will be too */
    bool probing;      /* during the outage, a call is trying to connect */
    bool schema_ready; /* the table exists (this store made sure of it) */
};

/* libpq's message (several lines, with tabs) as one line of at most cap
 * bytes; with scrub, every "quoted" part is left out, because a message
 * about a URL that does not parse may quote the part of it that holds the
 * password. */
static void
one_line(const char *in, bool scrub, char *out, size_t cap)
{
    size_t n = 0;
    bool quoted = false, space = false;

    for (; in && *in && n + 6 < cap; in++) {
        unsigned char ch = (unsigned char)*in;
        if (quoted && ch != '"')
            continue;
        if (ch == '\n' || ch == '\t' || ch == '\r' || ch == ' ') {
            space = n > 0;
            continue;
        }
        if (space)
            out[n++] = ' ';
        space = false;
        out[n++] = (char)ch;
        if (scrub && ch == '"') {
            quoted = !quoted;
            if (quoted) {
                memcpy(out + n, "...", 3);
                n += 3;
            }
        }
    }
    if (quoted)
        out[n++] = '"';
    out[n] = '\0';
}

/* Wait until c's socket is ready for events or deadline passes: 1 ready,
 * 0 deadline passed, -1 the socket failed. */
static int
wait_socket(PGconn *c, short events, int64_t deadline)
{
    int fd = pq.PQsocket(c);
    if (fd < 0)
        return -1;
    for (;;) {
        int64_t left = deadline - proto_now_ms();
        if (left <= 0)
            return 0;
        struct pollfd p = {.fd = fd, .events = events};
        int r = poll(&p, 1, (int)left);
        if (r > 0)
            return 1;
        if (r == 0)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}

/*
 * Send sql (with n text parameters, or several statements when n is 0) on
 * c and read every result within LIMIT_STORE_PG_STATEMENT_MS. On success
 * *out is the last result (PQclear it). On failure *broken says whether c
 * may be used again, *may_have_run whether the statement may have taken
 * effect (it was sent, and no ERROR came back on a connection that stayed
 * open: a FATAL or a lost connection can come after the commit), and
 * sqlstate (6 bytes) holds the error's code, "" when it has none.
 */
static enum ss_err
run(struct pg_store *s, PGconn *c, const char *sql, int n, const char *const *params,
    PGresult **out, bool *broken, bool *may_have_run, char *sqlstate, struct ss_error *err)
{
    int64_t deadline = proto_now_ms() + LIMIT_STORE_PG_STATEMENT_MS;
    PGresult *last = NULL, *bad = NULL;
    char why[300];
    enum ss_err rc = SS_ERR_OK;

    *out = NULL;
    *broken = false;
    *may_have_run = false;
    sqlstate[0] = '\0';
    int sent = n > 0 ? pq.PQsendQueryParams(c, sql, n, NULL, params, NULL, NULL, 0)
                     : pq.PQsendQuery(c, sql);
    if (!sent)
        goto failed;
    *may_have_run = true;
    for (;;) {
        int f = pq.PQflush(c);
        if (f == 0)
            break;
        if (f < 0)
            goto failed;
        int w = wait_socket(c, POLLIN | POLLOUT, deadline);
        if (w <= 0)
            goto late;
        if (!pq.PQconsumeInput(c))
            goto failed;
    }
    for (;;) {
        while (pq.PQisBusy(c)) {
            int w = wait_socket(c, POLLIN, deadline);
            if (w <= 0)
                goto late;
            if (!pq.PQconsumeInput(c))
                goto failed;
        }
        PGresult *r = pq.PQgetResult(c);
        if (!r)
            break;
        ExecStatusType st = pq.PQresultStatus(r);
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
            pq.PQclear(last);
            last = r;
        } else if (!bad) {
            bad = r;
        } else {
            pq.PQclear(r);
        }
    }
    if (bad) {
        const char *code = pq.PQresultErrorField(bad, PG_DIAG_SQLSTATE);
        snprintf(sqlstate, 6, "%s", code ? code : "");
        one_line(pq.PQresultErrorMessage(bad), false, why, sizeof(why));
        *broken = pq.PQstatus(c) != CONNECTION_OK;
        *may_have_run = *broken;
        rc = ss_fail(err, SS_ERR_IO, "the PostgreSQL database %s refused a statement: %s", s->shown,
                     why);
        goto out;
    }
    if (pq.PQstatus(c) != CONNECTION_OK)
        goto failed;
    *out = last;
    last = NULL;
    goto out;
failed:
    one_line(pq.PQerrorMessage(c), false, why, sizeof(why));
    *broken = true;
    rc = ss_fail(err, SS_ERR_IO, "the connection to the PostgreSQL database %s failed: %s",
                 s->shown, why[0] ? why : "it was closed");
    goto out;
late:
    /* The connection is somewhere in the middle of a statement: it cannot
     * be used again, and the server's statement_timeout ends the statement. */
    *broken = true;
    rc = ss_fail(err, SS_ERR_IO, "the PostgreSQL database %s did not answer within %d ms", s->shown,
                 LIMIT_STORE_PG_STATEMENT_MS);
out:
    pq.PQclear(last);
    pq.PQclear(bad);
    return rc;
}

/* run() for statements whose result is not needed. */
static enum ss_err
run_simple(struct pg_store *s, PGconn *c, const char *sql, bool *broken, char *sqlstate,
           struct ss_error *err)
{
    PGresult *r = NULL;
    bool may_have_run;
    enum ss_err rc = run(s, c, sql, 0, NULL, &r, broken, &may_have_run, sqlstate, err);
    pq.PQclear(r);
    return rc;
}

/* Make sure the table exists. Two creators at once: the advisory lock makes
 * the second wait and then find the table. */
static enum ss_err
ensure_schema(struct pg_store *s, PGconn *c, bool *broken, struct ss_error *err)
{
    char sqlstate[6];

    pthread_mutex_lock(&s->lock);
    bool ready = s->schema_ready;
    pthread_mutex_unlock(&s->lock);
    if (ready)
        return SS_ERR_OK;
    enum ss_err rc = run_simple(s, c, schema_sql, broken, sqlstate, err);
    /* A creator that does not take the lock (an older skillserver, a person
     * at psql) can still race CREATE TABLE IF NOT EXISTS into a unique
     * violation; the table exists then. */
    if (rc != SS_ERR_OK && !*broken && strcmp(sqlstate, "23505") == 0)
        rc = run_simple(s, c, schema_sql, broken, sqlstate, err);
    if (rc != SS_ERR_OK)
        return rc;
    pthread_mutex_lock(&s->lock);
    s->schema_ready = true;
    pthread_mutex_unlock(&s->lock);
    return SS_ERR_OK;
}

/* What the server says besides results (warnings) goes to the log as one
 * line, not to stderr as libpq would print it. */
static void
notice(void *arg, const char *message)
{
    struct pg_store *s = arg;
    char line[300];
    one_line(message, false, line, sizeof(line));
    log_msg(LOG_WARN, "the PostgreSQL database %s says: %s", s->shown, line);
}

/* A new connection, ready for statements (the time limits set, the table
 * there), or NULL with err filled. */
static PGconn *
connect_db(struct pg_store *s, struct ss_error *err)
{
    /* Ours first: what the URL says (after it) wins. */
    const char *const keys[] = {"application_name", "client_encoding", "dbname", NULL};
    const char *const values[] = {"skillserver", "UTF8", s->url, NULL};
    int64_t deadline = proto_now_ms() + LIMIT_STORE_PG_CONNECT_MS;
    char why[300], settings[200], sqlstate[6];
    bool broken = false;

    PGconn *c = pq.PQconnectStartParams(keys, values, 1);
    if (!c) {
        ss_fail(err, SS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    if (pq.PQstatus(c) == CONNECTION_BAD)
        st = PGRES_POLLING_FAILED;
    while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
        int w = wait_socket(c, st == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline);
        if (w == 0) {
            ss_fail(err, SS_ERR_IO,
                    "cannot reach the PostgreSQL database %s: it did not answer within %d ms",
                    s->shown, LIMIT_STORE_PG_CONNECT_MS);
            goto fail;
        }
        if (w < 0) {
            st = PGRES_POLLING_FAILED;
            break;
        }
        st = pq.PQconnectPoll(c);
    }
    if (st == PGRES_POLLING_FAILED) {
        one_line(pq.PQerrorMessage(c), false, why, sizeof(why));
        ss_fail(err, SS_ERR_IO, "cannot reach the PostgreSQL database %s: %s", s->shown,
                why[0] ? why : "the connection failed");
        goto fail;
    }
    pq.PQsetNoticeProcessor(c, notice, s);
    if (pq.PQsetnonblocking(c, 1) != 0) {
        ss_fail(err, SS_ERR_IO, "cannot use the connection to the PostgreSQL database %s",
                s->shown);
        goto fail;
    }
    /* The server ends what the client stopped waiting for. */
    snprintf(settings, sizeof(settings),
             "SET statement_timeout = %d; SET lock_timeout = %d; "
             "SET idle_in_transaction_session_timeout = %d; SET client_min_messages = warning",
             LIMIT_STORE_PG_STATEMENT_MS, LIMIT_STORE_PG_STATEMENT_MS, LIMIT_STORE_PG_STATEMENT_MS);
    if (run_simple(s, c, settings, &broken, sqlstate, err) != SS_ERR_OK ||
        ensure_schema(s, c, &broken, err) != SS_ERR_OK)
        goto fail;
    return c;
fail:
    pq.PQfinish(c);
    return NULL;
}

/* Whether an idle connection can take a statement: it is open and the
 * server sent nothing since (a server that stops says so, then closes). */
static bool
usable(PGconn *c)
{
    if (pq.PQstatus(c) != CONNECTION_OK || pq.PQsocket(c) < 0)
        return false;
    struct pollfd p = {.fd = pq.PQsocket(c), .events = POLLIN};
    return poll(&p, 1, 0) == 0;
}

/* A connection for one call: an idle one, else a new one (when fewer than
 * max exist), else the first to come free. */
static enum ss_err
acquire(struct pg_store *s, PGconn **out, struct ss_error *err)
{
    int64_t deadline = proto_now_ms() + LIMIT_STORE_PG_CONNECT_MS;
    PGconn *stale[LIMIT_STORE_PG_CONNECTIONS * 4];
    int nstale = 0;
    enum ss_err rc = SS_ERR_OK;

    *out = NULL;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        while (s->nidle > 0 && !*out) {
            PGconn *c = s->idle[--s->nidle];
            if (usable(c)) {
                *out = c;
            } else {
                s->open--;
                if (nstale < (int)(sizeof(stale) / sizeof(stale[0])))
                    stale[nstale++] = c;
                else
                    pq.PQfinish(c);
            }
        }
        if (*out)
            goto out;
        /* While the database is down one call at a time finds out whether
         * it is back; the others fail at once rather than all waiting for
         * a host that does not answer. */
        if (proto_now_ms() < s->retry_at_ms || (s->down_logged && s->probing)) {
            rc = ss_fail(err, SS_ERR_IO, "%s", s->down);
            goto out;
        }
        if (s->open < s->max)
            break;
        int64_t left = deadline - proto_now_ms();
        if (left <= 0) {
            rc = ss_fail(err, SS_ERR_IO,
                         "all %d connections to the PostgreSQL database %s stayed busy for %d ms",
                         s->max, s->shown, LIMIT_STORE_PG_CONNECT_MS);
            goto out;
        }
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += left / 1000;
        until.tv_nsec += (left % 1000) * 1000000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&s->freed, &s->lock, &until);
    }
    s->open++;
    bool probe = s->down_logged;
    if (probe)
        s->probing = true;
    pthread_mutex_unlock(&s->lock);

    PGconn *c = connect_db(s, err);

    pthread_mutex_lock(&s->lock);
    if (probe)
        s->probing = false;
    if (!c) {
        s->open--;
        s->retry_at_ms = proto_now_ms() + LIMIT_STORE_PG_RETRY_MS;
        snprintf(s->down, sizeof(s->down), "%s", err->msg);
        if (!s->down_logged)
            log_msg(LOG_ERROR,
                    "persistent attributes: %s; requests that need them get an apology until "
                    "it answers (tried again every %d ms)",
                    err->msg, LIMIT_STORE_PG_RETRY_MS);
        s->down_logged = true;
        pthread_cond_signal(&s->freed);
        rc = err->code;
        goto out;
    }
    if (s->down_logged)
        log_msg(LOG_INFO, "persistent attributes: the PostgreSQL database %s answers again",
                s->shown);
    s->down_logged = false;
    *out = c;
out:
    pthread_mutex_unlock(&s->lock);
    for (int i = 0; i < nstale; i++)
        pq.PQfinish(stale[i]);
    return rc;
}

/* Give c back after a call: kept idle, or closed when broken. */
static void
release(struct pg_store *s, PGconn *c, bool broken)
{
    pthread_mutex_lock(&s->lock);
    if (broken || s->nidle >= s->max) {
        s->open--;
    } else {
        s->idle[s->nidle++] = c;
        c = NULL;
    }
    pthread_cond_signal(&s->freed);
    pthread_mutex_unlock(&s->lock);
    pq.PQfinish(c);
}

/*
 * One statement on a connection of the pool. A connection the server ended
 * while it sat idle (a restart, an administrator) may be found only by the
 * statement sent on it; the statement runs once more on a new connection
 * when that is safe: a read always, a write only when it cannot have taken
 * effect. A write whose outcome is unknown fails (the request apologises;
 * the save may have been kept). A table that is gone (dropped by hand) is
 * made again by the next connection.
 */
static enum ss_err
call(struct pg_store *s, const char *sql, int n, const char *const *params, bool read_only,
     PGresult **out, struct ss_error *err)
{
    enum ss_err rc = SS_ERR_OK;

    for (int attempt = 0; attempt < 2; attempt++) {
        PGconn *c = NULL;
        bool broken = false, may_have_run = false;
        char sqlstate[6];

        rc = acquire(s, &c, err);
        if (rc != SS_ERR_OK)
            return rc;
        rc = run(s, c, sql, n, params, out, &broken, &may_have_run, sqlstate, err);
        if (rc != SS_ERR_OK && strcmp(sqlstate, "42P01") == 0) {
            pthread_mutex_lock(&s->lock);
            s->schema_ready = false;
            pthread_mutex_unlock(&s->lock);
            broken = true;
        }
        release(s, c, broken);
        if (rc == SS_ERR_OK || !broken || (may_have_run && !read_only))
            break;
    }
    return rc;
}

static enum ss_err
pg_load(void *impl, const char *skill, const char *user, char **json, int64_t *version,
        struct ss_error *err)
{
    struct pg_store *s = impl;
    const char *params[] = {skill, user};
    PGresult *r = NULL;

    enum ss_err rc = call(s,
                          "SELECT value, version FROM skillserver_attributes "
                          "WHERE skill = $1 AND user_id = $2",
                          2, params, true, &r, err);
    if (rc != SS_ERR_OK)
        return rc;
    if (pq.PQntuples(r) == 1 && pq.PQnfields(r) == 2) {
        *version = strtoll(pq.PQgetvalue(r, 0, 1), NULL, 10);
        if (!(*json = strdup(pq.PQgetvalue(r, 0, 0))))
            rc = ss_fail(err, SS_ERR_NOMEM, "out of memory");
    }
    pq.PQclear(r);
    return rc;
}

static enum ss_err
pg_save(void *impl, const char *skill, const char *user, const char *json, size_t len,
        int64_t version, struct ss_error *err)
{
    struct pg_store *s = impl;
    char expected[24];
    const char *params[] = {skill, user, json, expected};
    PGresult *r = NULL;
    enum ss_err rc;

    (void)len;
    snprintf(expected, sizeof(expected), "%lld", (long long)version);
    if (version == 0)
        rc = call(s,
                  "INSERT INTO skillserver_attributes (skill, user_id, value, version) "
                  "VALUES ($1, $2, $3, 1) ON CONFLICT (skill, user_id) DO NOTHING",
                  3, params, false, &r, err);
    else
        rc = call(s,
                  "UPDATE skillserver_attributes SET value = $3, version = version + 1, "
                  "updated = now() WHERE skill = $1 AND user_id = $2 AND version = $4",
                  4, params, false, &r, err);
    if (rc != SS_ERR_OK)
        return rc;
    if (strcmp(pq.PQcmdTuples(r), "1") != 0)
        rc = ss_fail(err, SS_ERR_STORE_CONFLICT,
                     "the attributes of %s for this user changed since they were read "
                     "(version %lld)",
                     skill, (long long)version);
    pq.PQclear(r);
    return rc;
}

static enum ss_err
pg_forget(void *impl, const char *skill, struct ss_error *err)
{
    struct pg_store *s = impl;
    const char *params[] = {skill};
    PGresult *r = NULL;

    enum ss_err rc =
        call(s, "DELETE FROM skillserver_attributes WHERE skill = $1", 1, params, false, &r, err);
    pq.PQclear(r);
    return rc;
}

static enum ss_err
pg_check(void *impl, struct ss_error *err)
{
    struct pg_store *s = impl;
    PGconn *c = NULL;

    enum ss_err rc = acquire(s, &c, err);
    if (rc == SS_ERR_OK)
        release(s, c, false);
    return rc;
}

static void
pg_destroy(void *impl)
{
    struct pg_store *s = impl;
    if (!s)
        return;
    for (int i = 0; i < s->nidle; i++)
        pq.PQfinish(s->idle[i]);
    free(s->idle);
    pthread_cond_destroy(&s->freed);
    pthread_mutex_destroy(&s->lock);
    free(s->url);
    free(s);
}

/* shown: the URL's user, host, port and database, and nothing else. */
static void
describe(PQconninfoOption *opts, char *shown, size_t cap)
{
    const char *user = NULL, *host = NULL, *hostaddr = NULL, *port = NULL, *db = NULL;
    for (PQconninfoOption *o = opts; o && o->keyword; o++) {
        if (!o->val || !o->val[0])
            continue;
        if (strcmp(o->keyword, "user") == 0)
            user = o->val;
        else if (strcmp(o->keyword, "host") == 0)
            host = o->val;
        else if (strcmp(o->keyword, "hostaddr") == 0)
            hostaddr = o->val;
        else if (strcmp(o->keyword, "port") == 0)
            port = o->val;
        else if (strcmp(o->keyword, "dbname") == 0)
            db = o->val;
    }
    /* No host: libpq's default, the local socket, which the URL form
     * writes as an empty host. */
    if (!host)
        host = hostaddr ? hostaddr : "";
    snprintf(shown, cap, "postgresql://%s%s%s%s%s/%s", user ? user : "", user ? "@" : "", host,
             port ? ":" : "", port ? port : "", db ? db : "");
}

void *
store_pg_create(const char *url, int connections, char *shown, size_t cap, struct ss_error *err)
{
    char *parse_error = NULL;
    char why[300];

    if (pthread_once(&pq_once, pq_load) != 0 || !pq_loaded) {
        ss_fail(err, SS_ERR_IO,
                "the PostgreSQL client library cannot be loaded (%s); install libpq5", pq_problem);
        return NULL;
    }
    PQconninfoOption *opts = pq.PQconninfoParse(url, &parse_error);
    if (!opts) {
        one_line(parse_error ? parse_error : "out of memory", true, why, sizeof(why));
        pq.PQfreemem(parse_error);
        ss_fail(err, SS_ERR_USAGE,
                "the store URL is not a PostgreSQL URL libpq understands (%s); write it as "
                "postgresql://USER:PASSWORD@HOST:PORT/DATABASE",
                why);
        return NULL;
    }
    describe(opts, shown, cap);
    pq.PQconninfoFree(opts);

    struct pg_store *s = calloc(1, sizeof(*s));
    if (!s)
        goto nomem;
    if (connections > LIMIT_STORE_PG_CONNECTIONS * 4)
        connections = LIMIT_STORE_PG_CONNECTIONS * 4;
    s->max = connections > 0 ? connections : 1;
    snprintf(s->shown, sizeof(s->shown), "%s", shown);
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0) {
        free(s);
        goto nomem;
    }
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        pthread_condattr_destroy(&ca);
        free(s);
        goto nomem;
    }
    if (pthread_cond_init(&s->freed, &ca) != 0) {
        pthread_condattr_destroy(&ca);
        pthread_mutex_destroy(&s->lock);
        free(s);
        goto nomem;
    }
    pthread_condattr_destroy(&ca);
    s->url = strdup(url);
    s->idle = calloc((size_t)s->max, sizeof(*s->idle));
    if (!s->url || !s->idle) {
        pg_destroy(s);
        goto nomem;
    }
    return s;
nomem:
    ss_fail(err, SS_ERR_NOMEM, "out of memory");
    return NULL;
}

const struct store_backend store_pg_backend = {
    .load = pg_load,
    .save = pg_save,
    .forget = pg_forget,
    .check = pg_check,
    .destroy = pg_destroy,
};
