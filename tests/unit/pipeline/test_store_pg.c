/*
 * test_store_pg.c - persistent attributes in PostgreSQL, against a real
 * server: tests/pg_cluster.py starts one and names it in SKILLSERVER_TEST_PG
 * (meson runs this test through it). The cases every backend shares
 * (store_cases.h), with two stores on one database as two fronts; then
 * what is PostgreSQL's own: the table made by racing stores, a connection
 * the server ended, a table dropped by hand, and a database that cannot be
 * reached, whose errors are quick, say why, and never hold the password.
 */
#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"
#include "store_cases.h"

static const char *url;

/* One statement as a person at psql would run it. */
static bool
admin(const char *sql)
{
    PGconn *c = PQconnectdb(url);
    bool good = PQstatus(c) == CONNECTION_OK;
    if (good) {
        PGresult *r = PQexec(c, sql);
        ExecStatusType st = PQresultStatus(r);
        good = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
        if (!good)
            printf("#   %s: %s", sql, PQresultErrorMessage(r));
        PQclear(r);
    } else {
        printf("#   %s", PQerrorMessage(c));
    }
    PQfinish(c);
    return good;
}

#define RACERS 4

static void *
check_store(void *arg)
{
    struct ss_error err;
    return store_check(arg, &err) == SS_ERR_OK ? NULL : (void *)1;
}

/* Four fronts start at once on a database without the table. */
static void
test_racing_creators(void)
{
    struct store *s[RACERS];
    pthread_t t[RACERS];
    struct ss_error err;
    int failed = 0;

    ok(admin("DROP TABLE IF EXISTS skillserver_attributes"), "no table");
    for (int i = 0; i < RACERS; i++)
        s[i] = store_open(url, &err);
    for (int i = 0; i < RACERS; i++)
        if (pthread_create(&t[i], NULL, check_store, s[i]) != 0)
            failed++;
    for (int i = 0; i < RACERS; i++) {
        void *r = NULL;
        pthread_join(t[i], &r);
        failed += r != NULL;
    }
    is_int(failed, 0, "four stores that create the table at once all succeed");
    ok(admin("SELECT 1 FROM skillserver_attributes"), "and the table is there");
    for (int i = 0; i < RACERS; i++)
        store_destroy(s[i]);
}

/* The server ends the store's idle connections (a restart, an
 * administrator): the next call takes a new one without failing. */
static void
test_ended_connections(struct store *s)
{
    struct ss_error err;
    char *json = NULL;
    int64_t v = 0;

    is_int(store_save(s, "ended", "u1", "{\"a\": 1}", 0, &err), SS_ERR_OK, "a save");
    ok(admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
             "WHERE application_name = 'skillserver' AND pid <> pg_backend_pid()"),
       "the server ends the store's connections");
    is_int(store_load(s, "ended", "u1", &json, &v, &err), SS_ERR_OK,
           "the next load takes a new connection: %s", err.msg);
    is_str(json, "{\"a\": 1}", "and reads the row");
    free(json);
}

/* Someone drops the table: the load that finds it gone makes it again. */
static void
test_dropped_table(struct store *s)
{
    struct ss_error err;
    char *json = NULL;
    int64_t v = 0;

    ok(admin("DROP TABLE skillserver_attributes"), "the table is dropped by hand");
    is_int(store_load(s, "x", "u1", &json, &v, &err), SS_ERR_OK, "the next load makes it again: %s",
           err.msg);
    ok(json == NULL && v == 0, "empty");
    is_int(store_save(s, "x", "u1", "{}", 0, &err), SS_ERR_OK, "and it can be written");
}

/* A database that cannot be reached or refuses the password. */
static void
test_unreachable(void)
{
    struct ss_error err;
    char *json = NULL;
    int64_t v = 0;

    /* Port 1 on loopback: nothing listens, the connection is refused. */
    struct store *s = store_open("postgresql://ann:hunter22@127.0.0.1:1/skills", &err);
    ok(s != NULL, "a store on a port where nothing listens opens");
    is_str(store_where(s), "postgresql://ann@127.0.0.1:1/skills", "shown without the password");
    int64_t t0 = proto_now_ms();
    is_int(store_load(s, "a", "u", &json, &v, &err), SS_ERR_IO, "a load fails");
    contains(err.msg, "cannot reach the PostgreSQL database postgresql://ann@127.0.0.1:1/skills",
             "naming the database");
    contains(err.msg, "refused", "and the cause");
    ok(strstr(err.msg, "hunter22") == NULL, "not the password");
    is_int(store_save(s, "a", "u", "{}", 0, &err), SS_ERR_IO, "so does a save");
    contains(err.msg, "refused", "at once, with the same sentence");
    is_int(store_check(s, &err), SS_ERR_IO, "and a check");
    ok(proto_now_ms() - t0 < 1000, "all within a second (%lld ms)",
       (long long)(proto_now_ms() - t0));
    store_destroy(s);

    /* A wrong password: the server says so, the store repeats it. */
    char wrong[512];
    const char *at = strchr(url + strlen("postgresql://"), '@');
    snprintf(wrong, sizeof(wrong), "postgresql://skillserver:not-the-password%s", at ? at : "");
    s = store_open(wrong, &err);
    is_int(store_check(s, &err), SS_ERR_IO, "a wrong password fails");
    contains(err.msg, "password authentication failed", "and says so");
    ok(strstr(err.msg, "not-the-password") == NULL, "without the password");
    store_destroy(s);

    /* A server that takes the connection and never says a word. */
    int quiet = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    if (quiet < 0 || bind(quiet, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(quiet, 4) != 0 ||
        getsockname(quiet, (struct sockaddr *)&a, &alen) != 0) {
        tap_fail("cannot listen on loopback");
        return;
    }
    char silent[128];
    snprintf(silent, sizeof(silent), "postgresql://ann:hunter22@127.0.0.1:%d/skills",
             ntohs(a.sin_port));
    s = store_open(silent, &err);
    t0 = proto_now_ms();
    is_int(store_load(s, "a", "u", &json, &v, &err), SS_ERR_IO, "a server that never answers");
    int64_t took = proto_now_ms() - t0;
    ok(took >= LIMIT_STORE_PG_CONNECT_MS - 100 && took < LIMIT_STORE_PG_CONNECT_MS + 1000,
       "fails at the connect limit (%lld ms)", (long long)took);
    contains(err.msg, "did not answer within", "saying so");
    ok(strstr(err.msg, "hunter22") == NULL, "without the password: %s", err.msg);

    /* Once it is known to be down, one call waits for it, not every one. */
    usleep((LIMIT_STORE_PG_RETRY_MS + 100) * 1000);
    pthread_t prober;
    ok(pthread_create(&prober, NULL, check_store, s) == 0, "one call tries it again");
    usleep(200 * 1000);
    t0 = proto_now_ms();
    is_int(store_load(s, "a", "u", &json, &v, &err), SS_ERR_IO, "meanwhile another fails");
    ok(proto_now_ms() - t0 < 100, "at once (%lld ms)", (long long)(proto_now_ms() - t0));
    pthread_join(prober, NULL);
    store_destroy(s);
    close(quiet);
}

int
main(void)
{
    struct ss_error err;

    url = getenv("SKILLSERVER_TEST_PG");
    if (!url || !url[0]) {
        printf("1..0 # SKIP SKILLSERVER_TEST_PG names no database; run through "
               "tests/pg_cluster.py run -- %s\n",
               "test_store_pg");
        return 0;
    }
    struct store *s = store_open(url, &err);
    struct store *front2 = store_open(url, &err);
    ok(s && front2, "two stores on one database");
    if (!s || !front2)
        return tap_done();
    /* tests/pg_cluster.py's passwords start with "pw-". */
    ok(strncmp(store_where(s), "postgresql://skillserver@127.0.0.1:", 35) == 0 &&
           strstr(store_where(s), "pw-") == NULL,
       "shown without the password: %s", store_where(s));
    is_int(store_check(s, &err), SS_ERR_OK, "the database answers: %s", err.msg);
    store_cases(s, front2);
    test_ended_connections(s);
    test_dropped_table(s);
    store_destroy(s);
    store_destroy(front2);
    test_racing_creators();
    test_unreachable();
    return tap_done();
}
