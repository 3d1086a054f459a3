/*
 * store.c - the store's one interface (store.h) in front of its two
 * backends: a folder is SQLite, a postgresql:// URL is PostgreSQL. The
 * checks both share (the size limit) are made here, once.
 */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ss_limits.h"
#include "store_internal.h"

struct store {
    const struct store_backend *backend;
    void *impl;
    char where[512]; /* for logs: never a password */
};

bool
store_is_url(const char *where)
{
    return where &&
           (strncmp(where, "postgresql://", 13) == 0 || strncmp(where, "postgres://", 11) == 0);
}

struct store *
store_open_sized(const char *where, int connections, struct ss_error *err)
{
    if (!where || !where[0]) {
        ss_fail(err, SS_ERR_USAGE, "no store was named: give a folder or a postgresql:// URL");
        return NULL;
    }
    struct store *s = calloc(1, sizeof(*s));
    if (!s) {
        ss_fail(err, SS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (store_is_url(where)) {
        s->backend = &store_pg_backend;
        s->impl = store_pg_create(where, connections > 0 ? connections : LIMIT_STORE_PG_CONNECTIONS,
                                  s->where, sizeof(s->where), err);
    } else {
        s->backend = &store_sqlite_backend;
        snprintf(s->where, sizeof(s->where), "%s", where);
        s->impl = store_sqlite_create(where);
        if (!s->impl)
            ss_fail(err, SS_ERR_NOMEM, "out of memory");
    }
    if (!s->impl) {
        free(s);
        return NULL;
    }
    return s;
}

struct store *
store_open(const char *where, struct ss_error *err)
{
    return store_open_sized(where, 0, err);
}

struct store *
store_create(const char *dir)
{
    struct ss_error err;
    return store_is_url(dir) ? NULL : store_open(dir, &err);
}

const char *
store_where(const struct store *s)
{
    return s ? s->where : "";
}

void
store_destroy(struct store *s)
{
    if (!s)
        return;
    s->backend->destroy(s->impl);
    free(s);
}

enum ss_err
store_check(struct store *s, struct ss_error *err)
{
    return s->backend->check ? s->backend->check(s->impl, err) : SS_ERR_OK;
}

enum ss_err
store_load(struct store *s, const char *skill, const char *user, char **json, int64_t *version,
           struct ss_error *err)
{
    *json = NULL;
    *version = 0;
    return s->backend->load(s->impl, skill, user, json, version, err);
}

enum ss_err
store_save(struct store *s, const char *skill, const char *user, const char *json, int64_t version,
           struct ss_error *err)
{
    size_t len = strlen(json);

    if (len > LIMIT_ATTRIBUTES_BYTES)
        return ss_fail(err, SS_ERR_RESPONSE_LIMIT,
                       "the persistent attributes of %s are %zu bytes; at most %d are kept", skill,
                       len, LIMIT_ATTRIBUTES_BYTES);
    if (version < 0)
        return ss_fail(err, SS_ERR_USAGE, "store_save was given the version %lld",
                       (long long)version);
    return s->backend->save(s->impl, skill, user, json, len, version, err);
}

enum ss_err
store_forget(struct store *s, const char *skill, struct ss_error *err)
{
    return s->backend->forget(s->impl, skill, err);
}
