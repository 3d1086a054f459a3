/*
 * store.h - persistent attributes: one JSON object per skill and user, in
 * SQLite (DIR/attributes.db, the default) or in PostgreSQL (a
 * postgresql:// URL, for several fronts that share their users).
 *
 * Every row carries a version, which starts at 1 and grows by one with
 * every save. store_load() returns it and store_save() writes only when the
 * row is still at that version (compare-and-set): when two requests of the
 * same user run at once, in one front or in two, the second save finds the
 * row changed and fails with SS_ERR_STORE_CONFLICT instead of overwriting
 * the first. Dispatch then runs the handler again on the fresh attributes
 * (dispatch.h); nothing is held while a handler runs, so a slow skill
 * never keeps a lock or a database connection.
 *
 * SQLite: the database is created on the first save, so reading a store
 * that was never written costs nothing and leaves nothing behind.
 * PostgreSQL: the table (skillserver_attributes) is created on the first
 * connection; a few connections per store are opened as they are needed
 * and reused; every wait (connecting, a statement, a free connection) is
 * bounded by LIMIT_STORE_PG_*; a database that cannot be reached fails the
 * call at once for LIMIT_STORE_PG_RETRY_MS before it is tried again.
 *
 * Any thread may use one store; calls may block for as long as the limits
 * above allow, so the pool's I/O thread never calls them.
 */
#ifndef SKILLSERVER_STORE_H
#define SKILLSERVER_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

struct store;

/*
 * The store named by where: a folder (SQLite, created on the first save)
 * or a PostgreSQL URL (postgresql://... or postgres://..., libpq's URI
 * syntax). Nothing is connected yet; a URL that libpq cannot parse is an
 * SS_ERR_USAGE whose message never repeats the password. NULL with err
 * filled on failure.
 */
struct store *store_open(const char *where, struct ss_error *err);

/* store_open() with at most connections PostgreSQL connections (one per
 * thread that may call the store at once; 0: LIMIT_STORE_PG_CONNECTIONS).
 * A folder ignores it. */
struct store *store_open_sized(const char *where, int connections, struct ss_error *err);

/* A SQLite store in the folder dir (created on the first save). NULL on OOM. */
struct store *store_create(const char *dir);

/* True when where names a PostgreSQL database rather than a folder. */
bool store_is_url(const char *where);

/* Where the store is, for logs: the folder, or postgresql://USER@HOST:PORT/DB
 * without the password. Valid while the store lives. */
const char *store_where(const struct store *store);

void store_destroy(struct store *store);

/* Whether the store can be used now: PostgreSQL connects (and makes the
 * table) if no connection is open; SQLite has nothing to check until the
 * first save. Errors: SS_ERR_IO, naming the database and the cause. */
enum ss_err store_check(struct store *store, struct ss_error *err);

/*
 * The attributes saved for (skill, user): *json is a NUL-terminated JSON
 * object text the caller frees, or NULL when nothing was saved; *version
 * the row's version (0 when nothing was saved), for store_save(). Errors:
 * SS_ERR_IO (the database cannot be read or reached; the message says why,
 * naming the file or the host and database).
 */
enum ss_err store_load(struct store *store, const char *skill, const char *user, char **json,
                       int64_t *version, struct ss_error *err);

/*
 * Replace the attributes of (skill, user) with json (a JSON object text of at
 * most LIMIT_ATTRIBUTES_BYTES) if the row is still at version (what
 * store_load() returned; 0: no row yet). Errors: SS_ERR_STORE_CONFLICT (the
 * row changed since it was loaded, or was forgotten; nothing was written),
 * SS_ERR_IO, SS_ERR_RESPONSE_LIMIT (too large).
 */
enum ss_err store_save(struct store *store, const char *skill, const char *user, const char *json,
                       int64_t version, struct ss_error *err);

/*
 * Forget every user's attributes of skill (a class skill reset by the
 * teacher between lessons). A store never written has nothing to forget.
 * A request that loaded attributes before and saves after finds a
 * conflict. Errors: SS_ERR_IO.
 */
enum ss_err store_forget(struct store *store, const char *skill, struct ss_error *err);

#endif
