/*
 * verify_internal.h - what the verify_*.c files share and nobody else sees.
 *
 * verify.c      context, entry point, policies, signature, timestamp and applicationId
 * verify_url.c  pure string parsing: chain URL, timestamp, base64
 * verify_chain.c  PEM chain parsing and the OpenSSL checks of spec §5
 * verify_cache.c  memory + disk cache of checked chains, libcurl download
 * verify_curl.c   libcurl's functions, loaded on first use (not linked)
 *
 * A struct verify_chain is immutable once parsed and reference-counted, so a
 * request thread can use one after dropping the cache lock while another
 * thread evicts it.
 */
#ifndef SKILLSERVER_VERIFY_INTERNAL_H
#define SKILLSERVER_VERIFY_INTERNAL_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdatomic.h>

#include "ss_limits.h"
#include "verify.h"

struct verify_chain {
    atomic_int refs;
    uint64_t serial;        /* unique per parsed chain, never reused (see verify.c) */
    STACK_OF(X509) * certs; /* owned; [0] is the signing certificate */
    EVP_PKEY *key;          /* owned reference to the signing certificate's key */
    time_t not_before;      /* signing certificate's validity, seconds since the epoch */
    time_t not_after;
};

/* One URL in the memory cache. */
enum cache_state { CACHE_EMPTY, CACHE_LOADING, CACHE_READY, CACHE_FAILED };

struct cache_entry {
    enum cache_state state;
    uint64_t hash; /* of url, compared before the string */
    char url[VERIFY_URL_MAX];
    time_t last_used;
    /* CACHE_READY */
    struct verify_chain *chain; /* one reference owned by the entry */
    time_t verified_at;         /* last full chain check */
    bool rechecking;            /* a thread is re-running the chain check */
    /* CACHE_FAILED: a short negative cache so hostile URLs cannot hammer S3 */
    enum verify_reason fail_reason;
    enum ss_err fail_code;
    time_t failed_at;
    char fail_msg[sizeof(((struct ss_error *)0)->msg)];
};

struct verify_ctx {
    char *trust_ca; /* owned copies of the configuration */
    char *cache_dir;
    char *connect_to;
    bool allow_sha1;
    long download_timeout_ms;

    X509_STORE *store;               /* trusted roots; X509_STORE locks itself */
    struct curl_slist *connect_list; /* CURLOPT_CONNECT_TO, built once */
    bool curl_ready;                 /* curl_global_init() succeeded */
    EVP_MD *sha256;                  /* fetched once: a per-request fetch costs a lookup */
    EVP_MD *sha1;

    pthread_mutex_t lock;  /* guards entries */
    pthread_cond_t loaded; /* broadcast when an entry leaves CACHE_LOADING */
    struct cache_entry entries[LIMIT_VERIFY_CACHE_ENTRIES];

    atomic_uint_fast64_t n_downloads;
    atomic_uint_fast64_t n_download_failures;
    atomic_uint_fast64_t n_disk_loads;
    atomic_uint_fast64_t n_memory_hits;
    atomic_uint_fast64_t n_chain_checks;
};

/* Record a failure: sets *reason (may be NULL) and err, returns code. */
enum ss_err verify_fail(struct ss_error *err, enum verify_reason *reason, enum ss_err code,
                        enum verify_reason why, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Seconds since the epoch of a UTC calendar time (proleptic Gregorian). */
int64_t verify_utc_seconds(int64_t year, int mon, int day, int hour, int min, int sec);

/* Take / drop a reference; unref of the last reference frees. */
struct verify_chain *verify_chain_ref(struct verify_chain *chain);

/* Cache (verify_cache.c) */
void verify_cache_init(struct verify_ctx *ctx);
void verify_cache_cleanup(struct verify_ctx *ctx);

/*
 * The checked chain for a normalised URL: from memory, else from the cache
 * folder, else downloaded. Returns a reference in *out (drop it with
 * verify_chain_destroy) or an error with reason.
 */
enum ss_err verify_cache_get(struct verify_ctx *ctx, const char *url, time_t now,
                             struct verify_chain **out, enum verify_reason *reason,
                             struct ss_error *err);

#endif
