/*
 * store.c - persistent attributes in SQLite (see store.h).
 *
 * One connection, guarded by a mutex, with its two statements prepared once.
 * WAL mode lets a reader (sqlite3 on the command line) look while the server
 * writes; synchronous=NORMAL is durable across process crashes, which is
 * what matters for a skill's saved score.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ss_limits.h"

struct store {
    pthread_mutex_t lock;
    char *path; /* DIR/attributes.db */
    char *dir;
    sqlite3 *db;
    sqlite3_stmt *get;
    sqlite3_stmt *put;
    struct timespec absent_at; /* when the database was last found missing */
};

struct store *
store_create(const char *dir)
{
    struct store *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        free(s);
        return NULL;
    }
    s->dir = strdup(dir);
    if (!s->dir || asprintf(&s->path, "%s/attributes.db", dir) < 0) {
        s->path = NULL;
        store_destroy(s);
        return NULL;
    }
    return s;
}

void
store_destroy(struct store *s)
{
    if (!s)
        return;
    sqlite3_finalize(s->get);
    sqlite3_finalize(s->put);
    sqlite3_close(s->db);
    pthread_mutex_destroy(&s->lock);
    free(s->path);
    free(s->dir);
    free(s);
}

/* Open the database; create it (and the folder) only when create is set.
 * Returns SS_ERR_OK with s->db NULL when it does not exist and !create. */
static enum ss_err
open_db(struct store *s, int create, struct ss_error *err)
{
    static const char schema[] = "PRAGMA journal_mode=WAL;"
                                 "PRAGMA synchronous=NORMAL;"
                                 "CREATE TABLE IF NOT EXISTS attributes ("
                                 " skill TEXT NOT NULL, user TEXT NOT NULL,"
                                 " value TEXT NOT NULL, updated INTEGER NOT NULL,"
                                 " PRIMARY KEY (skill, user)) WITHOUT ROWID;";
    char *msg = NULL;

    if (s->db)
        return SS_ERR_OK;
    if (!create) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t since = (int64_t)(now.tv_sec - s->absent_at.tv_sec) * 1000 +
                        (now.tv_nsec - s->absent_at.tv_nsec) / 1000000;
        if (s->absent_at.tv_sec && since < LIMIT_STORE_ABSENT_RECHECK_MS)
            return SS_ERR_OK;
        if (access(s->path, F_OK) != 0) {
            s->absent_at = now;
            return SS_ERR_OK;
        }
    }
    if (create && mkdir(s->dir, 0700) != 0 && errno != EEXIST)
        return ss_fail(err, SS_ERR_IO, "cannot create the data folder %s: %s", s->dir,
                       strerror(errno));
    /* Users' attributes are the server's alone: the folder and the database
     * (whose journal files SQLite gives the same mode) are private, whatever
     * mode they had. */
    if (chmod(s->dir, 0700) != 0)
        return ss_fail(err, SS_ERR_IO, "cannot make the data folder %s private: %s", s->dir,
                       strerror(errno));
    int fd = open(s->path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0), 0600);
    if (fd < 0 || fchmod(fd, 0600) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return ss_fail(err, SS_ERR_IO, "cannot open %s: %s", s->path, strerror(e));
    }
    close(fd);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(s->path, &s->db, flags, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_busy_timeout(s->db, 2000);
    if (sqlite3_exec(s->db, schema, NULL, NULL, &msg) != SQLITE_OK)
        goto fail;
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM attributes WHERE skill = ? AND user = ?", -1,
                           &s->get, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db,
                           "INSERT INTO attributes (skill, user, value, updated) "
                           "VALUES (?, ?, ?, strftime('%s', 'now')) "
                           "ON CONFLICT (skill, user) DO UPDATE SET "
                           "value = excluded.value, updated = excluded.updated",
                           -1, &s->put, NULL) != SQLITE_OK)
        goto fail;
    return SS_ERR_OK;
fail:
    ss_fail(err, SS_ERR_IO, "cannot open %s: %s", s->path,
            msg ? msg : (s->db ? sqlite3_errmsg(s->db) : "out of memory"));
    sqlite3_free(msg);
    sqlite3_finalize(s->get);
    sqlite3_finalize(s->put);
    s->get = s->put = NULL;
    sqlite3_close(s->db);
    s->db = NULL;
    return SS_ERR_IO;
}

enum ss_err
store_load(struct store *s, const char *skill, const char *user, char **json, struct ss_error *err)
{
    enum ss_err rc;

    *json = NULL;
    pthread_mutex_lock(&s->lock);
    rc = open_db(s, 0, err);
    if (rc != SS_ERR_OK || !s->db)
        goto out;
    sqlite3_bind_text(s->get, 1, skill, -1, SQLITE_STATIC);
    sqlite3_bind_text(s->get, 2, user, -1, SQLITE_STATIC);
    int step = sqlite3_step(s->get);
    if (step == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(s->get, 0);
        if (v && !(*json = strdup(v)))
            rc = ss_fail(err, SS_ERR_NOMEM, "out of memory");
    } else if (step != SQLITE_DONE) {
        rc = ss_fail(err, SS_ERR_IO, "cannot read %s: %s", s->path, sqlite3_errmsg(s->db));
    }
    sqlite3_reset(s->get);
    sqlite3_clear_bindings(s->get);
out:
    pthread_mutex_unlock(&s->lock);
    return rc;
}

enum ss_err
store_save(struct store *s, const char *skill, const char *user, const char *json,
           struct ss_error *err)
{
    enum ss_err rc;
    size_t len = strlen(json);

    if (len > LIMIT_ATTRIBUTES_BYTES)
        return ss_fail(err, SS_ERR_RESPONSE_LIMIT,
                       "the persistent attributes of %s are %zu bytes; at most %d are kept", skill,
                       len, LIMIT_ATTRIBUTES_BYTES);
    pthread_mutex_lock(&s->lock);
    rc = open_db(s, 1, err);
    if (rc != SS_ERR_OK)
        goto out;
    sqlite3_bind_text(s->put, 1, skill, -1, SQLITE_STATIC);
    sqlite3_bind_text(s->put, 2, user, -1, SQLITE_STATIC);
    sqlite3_bind_text(s->put, 3, json, (int)len, SQLITE_STATIC);
    if (sqlite3_step(s->put) != SQLITE_DONE)
        rc = ss_fail(err, SS_ERR_IO, "cannot write %s: %s", s->path, sqlite3_errmsg(s->db));
    sqlite3_reset(s->put);
    sqlite3_clear_bindings(s->put);
out:
    pthread_mutex_unlock(&s->lock);
    return rc;
}

enum ss_err
store_forget(struct store *s, const char *skill, struct ss_error *err)
{
    sqlite3_stmt *del = NULL;
    enum ss_err rc;

    pthread_mutex_lock(&s->lock);
    rc = open_db(s, 0, err);
    if (rc != SS_ERR_OK || !s->db)
        goto out;
    if (sqlite3_prepare_v2(s->db, "DELETE FROM attributes WHERE skill = ?", -1, &del, NULL) !=
            SQLITE_OK ||
        sqlite3_bind_text(del, 1, skill, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(del) != SQLITE_DONE)
        rc = ss_fail(err, SS_ERR_IO, "cannot write %s: %s", s->path, sqlite3_errmsg(s->db));
out:
    sqlite3_finalize(del);
    pthread_mutex_unlock(&s->lock);
    return rc;
}
