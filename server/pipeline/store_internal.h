/*
 * store_internal.h - what the two backends of the store (store.h) offer
 * store.c: SQLite (store_sqlite.c) and PostgreSQL (store_pg.c). Each
 * implements the calls of store.h with the same meaning, versions and
 * errors included; store.c checks the arguments common to both.
 */
#ifndef SKILLSERVER_STORE_INTERNAL_H
#define SKILLSERVER_STORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct store_backend {
    enum ss_err (*load)(void *impl, const char *skill, const char *user, char **json,
                        int64_t *version, struct ss_error *err);
    enum ss_err (*save)(void *impl, const char *skill, const char *user, const char *json,
                        size_t len, int64_t version, struct ss_error *err);
    enum ss_err (*forget)(void *impl, const char *skill, struct ss_error *err);
    enum ss_err (*check)(void *impl, struct ss_error *err); /* NULL: nothing to check */
    void (*destroy)(void *impl);
};

extern const struct store_backend store_sqlite_backend;
extern const struct store_backend store_pg_backend;

/* A SQLite store in dir; NULL on OOM. */
void *store_sqlite_create(const char *dir);

/* A PostgreSQL store for url, with at most connections connections; shown
 * (cap bytes) receives the URL without its password. NULL with err filled
 * when the URL does not parse (SS_ERR_USAGE) or on OOM. */
void *store_pg_create(const char *url, int connections, char *shown, size_t cap,
                      struct ss_error *err);

#endif
