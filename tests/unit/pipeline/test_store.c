/* test_store.c - persistent attributes in SQLite: the cases every backend
 * shares (store_cases.h), then what is SQLite's own: the file made on the
 * first save and kept private, a database from before versions, and
 * store_open()'s choice of backend. */
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_cases.h"

/* A database as skillserver wrote it before rows had versions. */
static int
write_old_database(const char *dir, const char *db)
{
    sqlite3 *h = NULL;
    if (mkdir(dir, 0700) != 0 || sqlite3_open(db, &h) != SQLITE_OK)
        return -1;
    int rc = sqlite3_exec(h,
                          "CREATE TABLE attributes (skill TEXT NOT NULL, user TEXT NOT NULL,"
                          " value TEXT NOT NULL, updated INTEGER NOT NULL,"
                          " PRIMARY KEY (skill, user)) WITHOUT ROWID;"
                          "INSERT INTO attributes VALUES ('old', 'u1', '{\"kept\": 1}', 0);",
                          NULL, NULL, NULL);
    sqlite3_close(h);
    return rc == SQLITE_OK ? 0 : -1;
}

int
main(void)
{
    char dir[PATH_MAX], sub[PATH_MAX + 16], db[PATH_MAX + 32];
    struct ss_error err;
    char *json = NULL;
    int64_t v = -1;

    if (tap_tempdir(dir, sizeof(dir), "skillserver-test-store") != 0)
        return tap_done();
    snprintf(sub, sizeof(sub), "%s/data", dir);
    snprintf(db, sizeof(db), "%s/attributes.db", sub);

    struct store *s = store_create(sub);
    ok(s != NULL, "create");
    is_str(store_where(s), sub, "a folder is shown as it is");
    is_int(store_check(s, &err), SS_ERR_OK, "a folder has nothing to check");
    is_int(store_load(s, "counter", "u1", &json, &v, &err), SS_ERR_OK, "load from nothing");
    ok(access(sub, F_OK) != 0, "reading created no folder");
    is_int(store_save(s, "first", "u1", "{}", 0, &err), SS_ERR_OK, "the first save");
    ok(access(db, F_OK) == 0, "creates the database");
    store_cases(s, NULL);
    store_destroy(s);

    /* Private whatever mode the folder and file were given meanwhile. */
    struct stat st;
    ok(stat(sub, &st) == 0 && (st.st_mode & 0777) == 0700, "the folder is 0700");
    ok(stat(db, &st) == 0 && (st.st_mode & 0777) == 0600, "the database is 0600");
    ok(chmod(sub, 0755) == 0 && chmod(db, 0644) == 0, "opened up by hand");
    s = store_create(sub);
    store_load(s, "counter", "u1", &json, &v, &err);
    is_str(json, "{\"best\": 5}", "survives reopening");
    is_int((int)v, 2, "with its version");
    free(json);
    ok(stat(sub, &st) == 0 && (st.st_mode & 0777) == 0700, "the folder is private again");
    ok(stat(db, &st) == 0 && (st.st_mode & 0777) == 0600, "the database is private again");
    store_destroy(s);
    store_destroy(NULL);

    /* A database from before versions: its rows are version 1. */
    char old[PATH_MAX + 16], olddb[PATH_MAX + 32];
    snprintf(old, sizeof(old), "%s/old", dir);
    snprintf(olddb, sizeof(olddb), "%s/attributes.db", old);
    ok(write_old_database(old, olddb) == 0, "a database without versions");
    s = store_create(old);
    is_int(store_load(s, "old", "u1", &json, &v, &err), SS_ERR_OK, "can be read");
    is_str(json, "{\"kept\": 1}", "with its rows");
    is_int((int)v, 1, "at version 1");
    free(json);
    is_int(store_save(s, "old", "u1", "{\"kept\": 2}", 1, &err), SS_ERR_OK, "and written");
    store_load(s, "old", "u1", &json, &v, &err);
    ok(json && strcmp(json, "{\"kept\": 2}") == 0 && v == 2, "at version 2");
    free(json);
    store_destroy(s);

    s = store_create("/proc/forbidden");
    is_int(store_save(s, "a", "b", "{}", 0, &err), SS_ERR_IO, "unwritable folder");
    contains(err.msg, "/proc/forbidden", "names the folder");
    store_destroy(s);

    /* The backend is chosen by what is named. */
    ok(store_is_url("postgresql://u@h/db") && store_is_url("postgres://h/db"), "URLs");
    ok(!store_is_url("data") && !store_is_url("./postgresql:") && !store_is_url(NULL),
       "and folders");
    ok(store_create("postgresql://h/db") == NULL, "store_create is for folders only");
    s = store_open("postgresql://ann:s3cret@db.example:5433/skills", &err);
    ok(s != NULL, "a PostgreSQL URL opens without connecting");
    is_str(store_where(s), "postgresql://ann@db.example:5433/skills",
           "and is shown without its password");
    store_destroy(s);
    s = store_open("postgres:///skills?user=ann&password=s3cret", &err);
    is_str(store_where(s), "postgresql://ann@/skills", "the local socket, in the URL form");
    store_destroy(s);
    s = store_open("postgresql://ann:s3%zzcret@db.example/skills", &err);
    ok(s == NULL, "a URL libpq cannot parse is refused");
    store_destroy(s);
    is_int(err.code, SS_ERR_USAGE, "as bad usage");
    contains(err.msg, "percent-encoded", "saying why");
    contains(err.msg, "postgresql://USER:PASSWORD@HOST:PORT/DATABASE", "and showing the form");
    ok(strstr(err.msg, "s3") == NULL, "but not the password libpq quoted: %s", err.msg);
    s = store_open("postgresql://ann:s3cret@[::1/skills", &err);
    ok(s == NULL && strstr(err.msg, "s3cret") == NULL, "nor the URL it quoted: %s", err.msg);
    store_destroy(s);
    s = store_open("postgresql://ann:s3cret@db.example/skills?nosuch=1", &err);
    ok(s == NULL && strstr(err.msg, "s3cret") == NULL, "an unknown parameter is refused: %s",
       err.msg);
    store_destroy(s);
    ok(store_open("", &err) == NULL && err.code == SS_ERR_USAGE, "nothing named");

    ok(tap_remove_tree(dir) == 0, "clean up");
    return tap_done();
}
