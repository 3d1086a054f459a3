/*
 * runtime.c - the pool and the store, opened together (runtime.h).
 */
#include "runtime.h"

#include <unistd.h>

#include "ss_limits.h"

enum ss_err
runtime_open(struct runtime *rt, const struct runtime_config *cfg, struct ss_error *err)
{
    int hard =
        cfg->handler_timeout_ms > 0 ? cfg->handler_timeout_ms : LIMIT_HANDLER_TIMEOUT_MS_DEFAULT;
    /* The soft deadline raises DeadlineExceeded inside the handler at half
     * the hard one, leaving the other half to report it and answer. */
    struct pool_config pc = {
        .exe = cfg->exe,
        .skillkit_dir = cfg->skillkit_dir,
        .dev = cfg->dev,
        .fresh_worker = cfg->fresh_worker,
        .one_call = cfg->one_call,
        .no_network = cfg->no_network,
        .namespaces_optional = cfg->namespaces_optional,
        .workers = cfg->workers,
        .handler_timeout_ms = hard,
        .soft_timeout_ms = hard / 2,
        .user = cfg->user,
        .launcher = cfg->launcher_fd >= 0,
        .launcher_fd = cfg->launcher_fd,
        .zygote_spawned = cfg->zygote_spawned,
    };

    rt->handler_timeout_ms = hard;
    rt->pool = pool_create(&pc);
    if (!rt->pool)
        return ss_fail(err, SS_ERR_NOMEM, "out of memory");
    /* Store calls come from the threads that hand requests to the workers:
     * about one connection per worker is what they can use at once. */
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int connections = cfg->workers > 0 ? cfg->workers : (cpus > 0 ? (int)cpus : 1);
    if (connections < 2)
        connections = 2;
    struct ss_error serr;
    ss_error_clear(&serr);
    const char *where = cfg->store ? cfg->store : cfg->data_dir;
    rt->store = where ? store_open_sized(where, connections, &serr) : NULL;
    if (where && !rt->store) {
        runtime_close(rt);
        return ss_fail(err, serr.code, "%s", serr.msg);
    }
    return SS_ERR_OK;
}

void
runtime_close(struct runtime *rt)
{
    if (!rt)
        return;
    pool_destroy(rt->pool);
    store_destroy(rt->store);
    rt->pool = NULL;
    rt->store = NULL;
}
