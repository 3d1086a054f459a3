/*
 * verify_cache.c - where checked signing chains come from: the memory cache
 * shared by all request threads, the cache folder (--cert-cache) and, on a
 * miss, an HTTPS download with libcurl.
 *
 * What must stay true:
 * - Only chains that passed verify_chain_check() enter the memory cache or
 *   the folder; what is read back from the folder is parsed and checked
 *   again like a download.
 * - Concurrent misses for one URL cause one load: the first thread marks the
 *   entry CACHE_LOADING and loads without the lock; the others wait on
 *   ctx->loaded and then look the URL up again.
 * - The lock is never held across I/O or a chain check. The hit path under
 *   the lock is a hash compare, a string compare and a reference count.
 * - A failed URL is remembered for LIMIT_VERIFY_NEGATIVE_S (not internal
 *   failures such as out of memory), so hostile URLs cannot hammer S3.
 * - Files are written to a temporary name and renamed, so a reader (another
 *   instance sharing the folder, or a crash) never sees half a chain.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "verify_internal.h"

/* FNV-1a: only to skip string compares of non-matching entries. */
static uint64_t
url_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

void
verify_cache_init(struct verify_ctx *ctx)
{
    for (size_t i = 0; i < LIMIT_VERIFY_CACHE_ENTRIES; i++)
        ctx->entries[i].state = CACHE_EMPTY;
}

void
verify_cache_cleanup(struct verify_ctx *ctx)
{
    for (size_t i = 0; i < LIMIT_VERIFY_CACHE_ENTRIES; i++) {
        verify_chain_destroy(ctx->entries[i].chain);
        ctx->entries[i].chain = NULL;
        ctx->entries[i].state = CACHE_EMPTY;
    }
}

static struct cache_entry *
find_entry(struct verify_ctx *ctx, const char *url, uint64_t hash)
{
    for (size_t i = 0; i < LIMIT_VERIFY_CACHE_ENTRIES; i++) {
        struct cache_entry *e = &ctx->entries[i];
        if (e->state != CACHE_EMPTY && e->hash == hash && strcmp(e->url, url) == 0)
            return e;
    }
    return NULL;
}

/* A free entry, else the least recently used one that nobody is loading or
 * rechecking; NULL when every entry is busy (then the load is not cached). */
static struct cache_entry *
claim_entry(struct verify_ctx *ctx)
{
    struct cache_entry *victim = NULL;
    for (size_t i = 0; i < LIMIT_VERIFY_CACHE_ENTRIES; i++) {
        struct cache_entry *e = &ctx->entries[i];
        if (e->state == CACHE_EMPTY)
            return e;
        if (e->state == CACHE_LOADING || e->rechecking)
            continue;
        if (!victim || e->last_used < victim->last_used)
            victim = e;
    }
    if (victim) {
        verify_chain_destroy(victim->chain);
        victim->chain = NULL;
        victim->state = CACHE_EMPTY;
    }
    return victim;
}

/* ---- the cache folder ---- */

/* DIR/<sha256 of the URL>.pem: the URL may hold any character, the hash not. */
static bool
disk_path(const struct verify_ctx *ctx, const char *url, char *path, size_t cap)
{
    unsigned char md[32];
    unsigned int md_len = 0;
    char hex[65];

    if (EVP_Digest(url, strlen(url), md, &md_len, ctx->sha256, NULL) != 1 || md_len != 32)
        return false;
    for (unsigned i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    int n = snprintf(path, cap, "%s/%s.pem", ctx->cache_dir, hex);
    return n > 0 && (size_t)n < cap;
}

/* Read at most LIMIT_VERIFY_CHAIN_BYTES of path into buf; -1 when missing,
 * unreadable or too large. */
static long
disk_read(const char *path, char *buf)
{
    long rc = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, LIMIT_VERIFY_CHAIN_BYTES + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto out;
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > LIMIT_VERIFY_CHAIN_BYTES)
            goto out;
    }
    rc = (long)len;
out:
    close(fd);
    return rc;
}

/* Write atomically: a temporary file in the same folder, fsync, rename.
 * A failure only costs a download after the next restart. */
static void
disk_write(const char *path, const char *dir, const char *data, size_t len)
{
    char tmp[PATH_MAX];
    int fd = -1;
    bool done = false;

    if (snprintf(tmp, sizeof(tmp), "%s/.chain.XXXXXX", dir) >= (int)sizeof(tmp))
        return;
    fd = mkstemp(tmp);
    if (fd < 0)
        return;
    for (size_t off = 0; off < len;) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            goto out;
        off += (size_t)n;
    }
    if (fchmod(fd, 0644) != 0 || fsync(fd) != 0)
        goto out;
    if (close(fd) != 0) {
        fd = -1;
        goto out;
    }
    fd = -1;
    done = rename(tmp, path) == 0;
out:
    if (fd >= 0)
        close(fd);
    if (!done)
        unlink(tmp);
}

/* ---- the download ---- */

struct download {
    char *buf; /* LIMIT_VERIFY_CHAIN_BYTES */
    size_t len;
    bool too_large;
};

static size_t
on_data(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct download *d = userdata;
    size_t n = size * nmemb;
    if (n > LIMIT_VERIFY_CHAIN_BYTES - d->len) {
        d->too_large = true;
        return 0; /* makes libcurl stop with CURLE_WRITE_ERROR */
    }
    memcpy(d->buf + d->len, data, n);
    d->len += n;
    return n;
}

static enum ss_err
download(struct verify_ctx *ctx, const char *url, struct download *d, enum verify_reason *reason,
         struct ss_error *err)
{
    enum ss_err rc = SS_ERR_OK;
    char curl_msg[CURL_ERROR_SIZE] = "";
    long status = 0;
    CURLcode res = CURLE_OK;
    CURL *h = curl_easy_init();

    atomic_fetch_add_explicit(&ctx->n_downloads, 1, memory_order_relaxed);
    if (!h) {
        rc = verify_fail(err, reason, SS_ERR_NOMEM, VERIFY_R_INTERNAL, "cannot start a download");
        goto out;
    }
    /* HTTPS only, also for redirects (which are not followed anyway): the
     * URL was checked, nothing else may be fetched. NOSIGNAL because request
     * threads must not get SIGALRM. */
    if ((res = curl_easy_setopt(h, CURLOPT_URL, url)) != CURLE_OK ||
        (res = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https")) != CURLE_OK ||
        (res = curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https")) != CURLE_OK ||
        (res = curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L)) != CURLE_OK ||
        (res = curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L)) != CURLE_OK ||
        (res = curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, ctx->download_timeout_ms)) != CURLE_OK ||
        (res = curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ctx->download_timeout_ms)) !=
            CURLE_OK ||
        (res = curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
                                (curl_off_t)LIMIT_VERIFY_CHAIN_BYTES)) != CURLE_OK ||
        (res = curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L)) != CURLE_OK ||
        (res = curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L)) != CURLE_OK ||
        (res = curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2)) !=
            CURLE_OK ||
        (res = curl_easy_setopt(h, CURLOPT_USERAGENT, "skillserver-verify")) != CURLE_OK ||
        (res = curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_msg)) != CURLE_OK ||
        (res = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data)) != CURLE_OK ||
        (res = curl_easy_setopt(h, CURLOPT_WRITEDATA, d)) != CURLE_OK) {
        rc = verify_fail(err, reason, SS_ERR_IO, VERIFY_R_INTERNAL, "libcurl refused an option: %s",
                         curl_easy_strerror(res));
        goto out;
    }
    if (ctx->trust_ca && (res = curl_easy_setopt(h, CURLOPT_CAINFO, ctx->trust_ca)) != CURLE_OK) {
        rc = verify_fail(err, reason, SS_ERR_IO, VERIFY_R_INTERNAL,
                         "libcurl refused the CA file: %s", curl_easy_strerror(res));
        goto out;
    }
    /* With a connect-to mapping the TCP peer is chosen explicitly; a proxy
     * from the environment would defeat it. */
    if (ctx->connect_list &&
        ((res = curl_easy_setopt(h, CURLOPT_CONNECT_TO, ctx->connect_list)) != CURLE_OK ||
         (res = curl_easy_setopt(h, CURLOPT_PROXY, "")) != CURLE_OK)) {
        rc = verify_fail(err, reason, SS_ERR_IO, VERIFY_R_INTERNAL,
                         "libcurl refused the connect-to mapping: %s", curl_easy_strerror(res));
        goto out;
    }

    res = curl_easy_perform(h);
    if (res != CURLE_OK) {
        rc = verify_fail(err, reason, SS_ERR_VERIFY, VERIFY_R_CHAIN_FETCH,
                         "downloading %s failed: %s", url,
                         d->too_large || res == CURLE_FILESIZE_EXCEEDED
                             ? "larger than the limit"
                             : (curl_msg[0] ? curl_msg : curl_easy_strerror(res)));
        goto out;
    }
    if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK || status != 200) {
        rc = verify_fail(err, reason, SS_ERR_VERIFY, VERIFY_R_CHAIN_FETCH,
                         "downloading %s answered HTTP %ld", url, status);
        goto out;
    }

out:
    if (rc != SS_ERR_OK && rc != SS_ERR_NOMEM)
        atomic_fetch_add_explicit(&ctx->n_download_failures, 1, memory_order_relaxed);
    curl_easy_cleanup(h);
    return rc;
}

/* parse + check; on success *out holds the chain. */
static enum ss_err
parse_and_check(struct verify_ctx *ctx, const char *pem, size_t len, time_t now,
                struct verify_chain **out, enum verify_reason *reason, struct ss_error *err)
{
    struct verify_chain *chain = NULL;
    enum ss_err rc = verify_chain_parse(pem, len, &chain, reason, err);
    if (rc == SS_ERR_OK)
        rc = verify_chain_check(ctx, chain, now, reason, err);
    if (rc != SS_ERR_OK) {
        verify_chain_destroy(chain);
        chain = NULL;
    }
    *out = chain;
    return rc;
}

/* The slow path, without the lock: the folder, else the network. */
static enum ss_err
load_chain(struct verify_ctx *ctx, const char *url, time_t now, struct verify_chain **out,
           enum verify_reason *reason, struct ss_error *err)
{
    enum ss_err rc = SS_ERR_OK;
    char path[PATH_MAX];
    bool use_disk = false;
    struct download d = {.buf = malloc(LIMIT_VERIFY_CHAIN_BYTES + 1)};

    *out = NULL;
    if (!d.buf) {
        rc = verify_fail(err, reason, SS_ERR_NOMEM, VERIFY_R_INTERNAL, "out of memory");
        goto out;
    }
    if (ctx->cache_dir && disk_path(ctx, url, path, sizeof(path))) {
        use_disk = true;
        long n = disk_read(path, d.buf);
        if (n >= 0) {
            struct ss_error ignored;
            if (parse_and_check(ctx, d.buf, (size_t)n, now, out, NULL, &ignored) == SS_ERR_OK) {
                atomic_fetch_add_explicit(&ctx->n_disk_loads, 1, memory_order_relaxed);
                goto out;
            }
            /* Expired, damaged or tampered with: fetch a fresh copy. */
            unlink(path);
        }
    }

    rc = download(ctx, url, &d, reason, err);
    if (rc != SS_ERR_OK)
        goto out;
    rc = parse_and_check(ctx, d.buf, d.len, now, out, reason, err);
    if (rc == SS_ERR_OK && use_disk)
        disk_write(path, ctx->cache_dir, d.buf, d.len);

out:
    free(d.buf);
    return rc;
}

/* Under the lock: is a READY entry usable at now? Sets *recheck when the
 * caller must re-run the full chain check (at most one thread at a time). */
static enum ss_err
check_hit(struct cache_entry *e, time_t now, bool *recheck, enum verify_reason *reason,
          struct ss_error *err)
{
    *recheck = false;
    if (now < e->chain->not_before)
        return verify_fail(err, reason, SS_ERR_VERIFY, VERIFY_R_CERT_NOT_YET_VALID,
                           "cached signing certificate is valid only from %lld, now is %lld",
                           (long long)e->chain->not_before, (long long)now);
    if (!e->rechecking && now - e->verified_at >= LIMIT_VERIFY_RECHECK_S) {
        e->rechecking = true;
        *recheck = true;
    }
    return SS_ERR_OK;
}

enum ss_err
verify_cache_get(struct verify_ctx *ctx, const char *url, time_t now, struct verify_chain **out,
                 enum verify_reason *reason, struct ss_error *err)
{
    enum ss_err rc = SS_ERR_OK;
    uint64_t hash = url_hash(url);
    struct cache_entry *e;
    struct verify_chain *chain = NULL;
    bool recheck = false;

    *out = NULL;
    pthread_mutex_lock(&ctx->lock);
    for (;;) {
        e = find_entry(ctx, url, hash);
        if (!e)
            break;
        if (e->state == CACHE_LOADING) {
            pthread_cond_wait(&ctx->loaded, &ctx->lock);
            continue;
        }
        if (e->state == CACHE_FAILED) {
            /* Both directions: a waiter's clock reading may precede the loader's. */
            if (llabs((long long)(now - e->failed_at)) < LIMIT_VERIFY_NEGATIVE_S) {
                rc = verify_fail(err, reason, e->fail_code, e->fail_reason, "%.480s (remembered)",
                                 e->fail_msg);
                pthread_mutex_unlock(&ctx->lock);
                return rc;
            }
            break; /* remembered long enough: load again into this entry */
        }
        /* CACHE_READY. An expired chain is loaded again: Amazon may have put
         * a new chain at the same URL. */
        if (now > e->chain->not_after) {
            verify_chain_destroy(e->chain);
            e->chain = NULL;
            break;
        }
        rc = check_hit(e, now, &recheck, reason, err);
        if (rc == SS_ERR_OK) {
            e->last_used = now;
            chain = verify_chain_ref(e->chain);
            atomic_fetch_add_explicit(&ctx->n_memory_hits, 1, memory_order_relaxed);
        }
        pthread_mutex_unlock(&ctx->lock);
        if (rc != SS_ERR_OK || !recheck) {
            *out = chain;
            return rc;
        }
        /* Periodic full re-verification (intermediates may expire, the
         * trust store may change); other threads keep using the entry. */
        rc = verify_chain_check(ctx, chain, now, reason, err);
        pthread_mutex_lock(&ctx->lock);
        e->rechecking = false;
        if (e->state == CACHE_READY && e->chain == chain) {
            if (rc == SS_ERR_OK) {
                e->verified_at = now;
            } else {
                verify_chain_destroy(e->chain);
                e->chain = NULL;
                e->state = CACHE_EMPTY;
            }
        }
        pthread_mutex_unlock(&ctx->lock);
        if (rc != SS_ERR_OK) {
            verify_chain_destroy(chain);
            chain = NULL;
        }
        *out = chain;
        return rc;
    }

    /* A miss: this thread loads, the others wait for it. */
    if (!e)
        e = claim_entry(ctx);
    if (e) {
        e->state = CACHE_LOADING;
        e->hash = hash;
        snprintf(e->url, sizeof(e->url), "%s", url);
        e->rechecking = false;
    }
    pthread_mutex_unlock(&ctx->lock);

    rc = load_chain(ctx, url, now, &chain, reason, err);

    pthread_mutex_lock(&ctx->lock);
    if (e) {
        if (rc == SS_ERR_OK) {
            e->state = CACHE_READY;
            e->chain = verify_chain_ref(chain);
            e->verified_at = now;
            e->last_used = now;
        } else if (rc == SS_ERR_VERIFY) {
            e->state = CACHE_FAILED;
            e->fail_code = rc;
            e->fail_reason = reason ? *reason : VERIFY_R_CHAIN_FETCH;
            e->failed_at = now;
            e->last_used = now;
            e->fail_msg[0] = '\0';
            if (err)
                memcpy(e->fail_msg, err->msg, sizeof(e->fail_msg));
        } else {
            e->state = CACHE_EMPTY; /* internal failures are not remembered */
        }
        pthread_cond_broadcast(&ctx->loaded);
    }
    pthread_mutex_unlock(&ctx->lock);
    *out = chain;
    return rc;
}
