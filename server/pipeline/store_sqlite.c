/*
 * store_sqlite.c - persistent attributes in SQLite (see store.h).
 *
 * One connection, guarded by a mutex, with its statements prepared once.
 * WAL mode lets a reader (sqlite3 on the command line) look while the server
 * writes; synchronous=NORMAL is durable across process crashes, which is
 * what matters for a skill's saved score. Each save is one statement that
 * compares the row's version and writes in the same step, so it is atomic
 * against the other threads (the mutex) and against other processes on the
 * same file (SQLite's write lock).
 */
#include "store_internal.h"

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

struct sqlite_store {
    pthread_mutex_t lock;
    char *path; /* DIR/attributes.db */
    char *dir;
    sqlite3 *db;
    sqlite3_stmt *get;
    sqlite3_stmt *insert;      /* the first save of a user: only when there is no row */
    sqlite3_stmt *update;      /* the next ones: only when the row is at the version loaded */
    struct timespec absent_at; /* when the database was last found missing */
};

static void sqlite_destroy(void *impl);

void *
store_sqlite_create(const char *dir)
{
    struct sqlite_store *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        free(s);
        return NULL;
    }
    s->dir = strdup(dir);
    if (!s->dir || asprintf(&s->path, "%s/attributes.db", dir) < 0) {
        s->path = NULL;
        sqlite_destroy(s);
        return NULL;
    }
    return s;
}

static void
finalize_all(struct sqlite_store *s)
{
    sqlite3_finalize(s->get);
    sqlite3_finalize(s->insert);
    sqlite3_finalize(s->update);
    s->get = s->insert = s->update = NULL;
}

static void
sqlite_destroy(void *impl)
{
    struct sqlite_store *s = impl;
    if (!s)
        return;
    finalize_all(s);
    sqlite3_close(s->db);
    pthread_mutex_destroy(&s->lock);
    free(s->path);
    free(s->dir);
    free(s);
}

/* Open the database; create it (and the folder) only when create is set.
 * Returns SS_ERR_OK with s->db NULL when it does not exist and !create. */
static enum ss_err
open_db(struct sqlite_store *s, int create, struct ss_error *err)
{
    static const char schema[] = "PRAGMA journal_mode=WAL;"
                                 "PRAGMA synchronous=NORMAL;"
                                 "CREATE TABLE IF NOT EXISTS attributes ("
                                 " skill TEXT NOT NULL, user TEXT NOT NULL,"
                                 " value TEXT NOT NULL, updated INTEGER NOT NULL,"
                                 " version INTEGER NOT NULL DEFAULT 1,"
                                 " PRIMARY KEY (skill, user)) WITHOUT ROWID;";
    /* A database written before rows had versions: its rows are version 1. */
    static const char add_version[] =
        "ALTER TABLE attributes ADD COLUMN version INTEGER NOT NULL DEFAULT 1";
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
    const char *get = "SELECT value, version FROM attributes WHERE skill = ? AND user = ?";
    if (sqlite3_prepare_v2(s->db, get, -1, &s->get, NULL) != SQLITE_OK) {
        /* Its failure is not looked at: another process may add the column
         * at the same moment, and whoever loses that race finds it there
         * when preparing again; any other cause fails that prepare. */
        (void)sqlite3_exec(s->db, add_version, NULL, NULL, NULL);
        if (sqlite3_prepare_v2(s->db, get, -1, &s->get, NULL) != SQLITE_OK)
            goto fail;
    }
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO attributes (skill, user, value, updated, version) "
                           "VALUES (?, ?, ?, strftime('%s', 'now'), 1) "
                           "ON CONFLICT (skill, user) DO NOTHING",
                           -1, &s->insert, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db,
                           "UPDATE attributes SET value = ?3, updated = strftime('%s', 'now'), "
                           "version = version + 1 WHERE skill = ?1 AND user = ?2 AND version = ?4",
                           -1, &s->update, NULL) != SQLITE_OK)
        goto fail;
    return SS_ERR_OK;
fail:
    ss_fail(err, SS_ERR_IO, "cannot open %s: %s", s->path,
            msg ? msg : (s->db ? sqlite3_errmsg(s->db) : "out of memory"));
    sqlite3_free(msg);
    finalize_all(s);
    sqlite3_close(s->db);
    s->db = NULL;
    return SS_ERR_IO;
}

static enum ss_err
sqlite_load(void *impl, const char *skill, const char *user, char **json, int64_t *version,
            struct ss_error *err)
{
    struct sqlite_store *s = impl;
    enum ss_err rc;

    pthread_mutex_lock(&s->lock);
    rc = open_db(s, 0, err);
    if (rc != SS_ERR_OK || !s->db)
        goto out;
    sqlite3_bind_text(s->get, 1, skill, -1, SQLITE_STATIC);
    sqlite3_bind_text(s->get, 2, user, -1, SQLITE_STATIC);
    int step = sqlite3_step(s->get);
    if (step == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(s->get, 0);
        *version = sqlite3_column_int64(s->get, 1);
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

static enum ss_err
sqlite_save(void *impl, const char *skill, const char *user, const char *json, size_t len,
            int64_t version, struct ss_error *err)
{
    struct sqlite_store *s = impl;
    enum ss_err rc;

    pthread_mutex_lock(&s->lock);
    rc = open_db(s, 1, err);
    if (rc != SS_ERR_OK)
        goto out;
    sqlite3_stmt *put = version == 0 ? s->insert : s->update;
    sqlite3_bind_text(put, 1, skill, -1, SQLITE_STATIC);
    sqlite3_bind_text(put, 2, user, -1, SQLITE_STATIC);
    sqlite3_bind_text(put, 3, json, (int)len, SQLITE_STATIC);
    if (version != 0)
        sqlite3_bind_int64(put, 4, version);
    if (sqlite3_step(put) != SQLITE_DONE)
        rc = ss_fail(err, SS_ERR_IO, "cannot write %s: %s", s->path, sqlite3_errmsg(s->db));
    else if (sqlite3_changes(s->db) == 0)
        rc = ss_fail(err, SS_ERR_STORE_CONFLICT,
                     "the attributes of %s for this user changed since they were read "
                     "(version %lld)",
                     skill, (long long)version);
    sqlite3_reset(put);
    sqlite3_clear_bindings(put);
out:
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static enum ss_err
sqlite_forget(void *impl, const char *skill, struct ss_error *err)
{
    struct sqlite_store *s = impl;
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

const struct store_backend store_sqlite_backend = {
    .load = sqlite_load,
    .save = sqlite_save,
    .forget = sqlite_forget,
    .destroy = sqlite_destroy,
};
