/*
 * runtime.h - what the pipeline runs on: the worker pool and the store,
 * started together with one policy.
 *
 * invoke, say (and the web simulator through it) and serve all answer
 * requests with a pool and a store; this is the one place that turns their
 * settings into a pool configuration (the soft deadline at half the hard
 * one, the defaults) and opens both, so the three cannot drift apart.
 */
#ifndef SKILLSERVER_RUNTIME_H
#define SKILLSERVER_RUNTIME_H

#include <stdbool.h>

#include "error.h"
#include "pool.h"
#include "store.h"

struct runtime_config {
    const char *exe;              /* the worker program (skillserver-worker) */
    const char *skillkit_dir;     /* folder that holds the skillkit package */
    const char *data_dir;         /* the store's folder; NULL (and no store): no attributes */
    const char *store;            /* a postgresql:// URL for the store instead; NULL: data_dir */
    bool dev;                     /* errors are spoken in detail */
    bool fresh_worker;            /* a new worker for every request */
    bool one_call;                /* one call at a time (invoke, say): pool_config's */
    bool no_network;              /* skills get no network at all (sandbox.h) */
    bool namespaces_optional;     /* confined without namespaces where refused (sandbox.h) */
    int workers;                  /* most workers per skill; 0: the number of CPUs */
    int handler_timeout_ms;       /* hard deadline; 0: LIMIT_HANDLER_TIMEOUT_MS_DEFAULT */
    const char *user;             /* who workers run as when root; NULL: nobody */
    int launcher_fd;              /* the launcher's socket (launcher.h), or -1 */
    void (*zygote_spawned)(void); /* pool_config's; NULL: none */
};

struct runtime {
    struct pool *pool;
    struct store *store;
    int handler_timeout_ms; /* the hard deadline in force */
};

/* Open the pool and the store (store_open(): nothing is connected yet); on
 * failure nothing is left open. Errors: SS_ERR_USAGE (a store URL libpq
 * cannot parse; the message does not repeat the password), SS_ERR_NOMEM.
 * cfg's strings must outlive the runtime. */
enum ss_err runtime_open(struct runtime *rt, const struct runtime_config *cfg,
                         struct ss_error *err);

/* Stop the workers and close the store. NULL-safe; rt is left empty. */
void runtime_close(struct runtime *rt);

#endif
