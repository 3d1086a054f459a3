/*
 * store.h - persistent attributes: one JSON object per skill and user, in
 * SQLite (DIR/attributes.db).
 *
 * The database is created on the first save, so reading a store that was
 * never written costs nothing and leaves nothing behind. Every call takes
 * the store's lock: any thread may use one store.
 */
#ifndef SKILLSERVER_STORE_H
#define SKILLSERVER_STORE_H

#include "error.h"

struct store;

/* A store in the folder dir (created on the first save). NULL on OOM. */
struct store *store_create(const char *dir);

void store_destroy(struct store *store);

/*
 * The attributes saved for (skill, user): *json is a NUL-terminated JSON
 * object text the caller frees, or NULL when nothing was saved. Errors:
 * SS_ERR_IO (the database cannot be read; the message says why).
 */
enum ss_err store_load(struct store *store, const char *skill, const char *user, char **json,
                       struct ss_error *err);

/*
 * Replace the attributes of (skill, user) with json (a JSON object text of at
 * most LIMIT_ATTRIBUTES_BYTES), in one transaction. Errors: SS_ERR_IO,
 * SS_ERR_RESPONSE_LIMIT (too large).
 */
enum ss_err store_save(struct store *store, const char *skill, const char *user, const char *json,
                       struct ss_error *err);

/*
 * Forget every user's attributes of skill (a class skill reset by the
 * teacher between lessons). A store never written has nothing to forget.
 * Errors: SS_ERR_IO.
 */
enum ss_err store_forget(struct store *store, const char *skill, struct ss_error *err);

#endif
