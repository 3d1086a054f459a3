/*
 * verify.c - the verify module's context and its entry point: the policies,
 * the order of the checks (URL before cache, signature before any body
 * field, timestamp before applicationId), the Signature-256 / Signature
 * policy of spec §6.3, the timestamp window of spec §7 and the applicationId
 * rule of spec §8, which lives here and nowhere else.
 *
 * The string parsers live in verify_url.c, the chain checks in
 * verify_chain.c and the cache with its download in verify_cache.c.
 */
#include <curl/curl.h>
#include <errno.h>
#include <openssl/err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "request.h"
#include "skill.h"
#include "verify_internal.h"

const struct verify_policy VERIFY_POLICY_ALEXA = {.signature = true, .timestamp = true};
const struct verify_policy VERIFY_POLICY_LOCAL = {.signature = false, .timestamp = false};
const struct verify_policy VERIFY_POLICY_LAMBDA = {.signature = false, .timestamp = false};

static const struct {
    const char *name;
    const char *text;
} reasons[] = {
#define VERIFY_REASON_ROW(name, short_name, text) {short_name, text},
    VERIFY_REASONS(VERIFY_REASON_ROW)
#undef VERIFY_REASON_ROW
};

const char *
verify_reason_name(enum verify_reason reason)
{
    return (unsigned)reason < VERIFY_R__COUNT ? reasons[reason].name : "unknown";
}

const char *
verify_reason_text(enum verify_reason reason)
{
    return (unsigned)reason < VERIFY_R__COUNT ? reasons[reason].text : "unknown reason";
}

enum ss_err
verify_fail(struct ss_error *err, enum verify_reason *reason, enum ss_err code,
            enum verify_reason why, const char *fmt, ...)
{
    if (reason)
        *reason = why;
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        ss_vfail(err, code, fmt, ap);
        va_end(ap);
    }
    return code;
}

static bool
set_string(char **dst, const char *src)
{
    *dst = NULL;
    if (!src)
        return true;
    *dst = strdup(src);
    return *dst != NULL;
}

/* "HOST:PORT:HOST2:PORT2" as curl's --connect-to; any part may be empty and
 * bracketed IPv6 adds colons, so only the shape is checked here and libcurl
 * judges the rest. */
static bool
connect_to_valid(const char *s)
{
    size_t colons = 0, len = strlen(s);
    if (len == 0 || len > 300)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f)
            return false;
        colons += c == ':';
    }
    return colons >= 3;
}

struct verify_ctx *
verify_ctx_create(const struct verify_config *config, struct ss_error *err)
{
    struct verify_ctx *ctx = calloc(1, sizeof(*ctx));

    if (!ctx) {
        ss_fail(err, SS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    /* First, so that verify_ctx_destroy() can clean up every later failure. */
    if (pthread_mutex_init(&ctx->lock, NULL) != 0) {
        free(ctx);
        ss_fail(err, SS_ERR_NOMEM, "cannot create the verify cache lock");
        return NULL;
    }
    if (pthread_cond_init(&ctx->loaded, NULL) != 0) {
        pthread_mutex_destroy(&ctx->lock);
        free(ctx);
        ss_fail(err, SS_ERR_NOMEM, "cannot create the verify cache condition");
        return NULL;
    }
    verify_cache_init(ctx);
    ctx->allow_sha1 = config->allow_sha1;
    ctx->download_timeout_ms =
        config->download_timeout_ms > 0 ? config->download_timeout_ms : LIMIT_VERIFY_DOWNLOAD_MS;
    if (!set_string(&ctx->trust_ca, config->trust_ca) ||
        !set_string(&ctx->cache_dir, config->cache_dir) ||
        !set_string(&ctx->connect_to, config->connect_to)) {
        ss_fail(err, SS_ERR_NOMEM, "out of memory");
        goto fail;
    }
    /* Fetched once: implicit fetches by name on every request cost a
     * locked lookup each. */
    ctx->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    ctx->sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
    if (!ctx->sha256 || !ctx->sha1) {
        ss_fail(err, SS_ERR_IO, "OpenSSL has no SHA-256 or SHA-1");
        goto fail;
    }

    ctx->store = X509_STORE_new();
    if (!ctx->store) {
        ss_fail(err, SS_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (ctx->trust_ca) {
        if (X509_STORE_load_file(ctx->store, ctx->trust_ca) != 1) {
            ss_fail(err, SS_ERR_USAGE, "--trust-ca %s: not a readable PEM file of certificates",
                    ctx->trust_ca);
            goto fail;
        }
    } else if (X509_STORE_set_default_paths(ctx->store) != 1) {
        ss_fail(err, SS_ERR_IO, "cannot load the system's trusted certificates");
        goto fail;
    }

    if (ctx->cache_dir && mkdir(ctx->cache_dir, 0755) != 0 && errno != EEXIST) {
        ss_fail(err, SS_ERR_IO, "--cert-cache %s: %s", ctx->cache_dir, strerror(errno));
        goto fail;
    }
    if (ctx->cache_dir) {
        struct stat st;
        if (stat(ctx->cache_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            ss_fail(err, SS_ERR_IO, "--cert-cache %s is not a folder", ctx->cache_dir);
            goto fail;
        }
    }

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        ss_fail(err, SS_ERR_IO, "libcurl failed to initialise");
        goto fail;
    }
    ctx->curl_ready = true;
    if (ctx->connect_to) {
        if (!connect_to_valid(ctx->connect_to)) {
            ss_fail(err, SS_ERR_USAGE, "--cert-connect-to %s: expected HOST:PORT:HOST2:PORT2",
                    ctx->connect_to);
            goto fail;
        }
        ctx->connect_list = curl_slist_append(NULL, ctx->connect_to);
        if (!ctx->connect_list) {
            ss_fail(err, SS_ERR_NOMEM, "out of memory");
            goto fail;
        }
    }
    ERR_clear_error();
    return ctx;

fail:
    ERR_clear_error();
    verify_ctx_destroy(ctx);
    return NULL;
}

void
verify_ctx_destroy(struct verify_ctx *ctx)
{
    if (!ctx)
        return;
    verify_cache_cleanup(ctx);
    curl_slist_free_all(ctx->connect_list);
    if (ctx->curl_ready)
        curl_global_cleanup();
    X509_STORE_free(ctx->store);
    EVP_MD_free(ctx->sha256);
    EVP_MD_free(ctx->sha1);
    pthread_cond_destroy(&ctx->loaded);
    pthread_mutex_destroy(&ctx->lock);
    free(ctx->trust_ca);
    free(ctx->cache_dir);
    free(ctx->connect_to);
    free(ctx);
}

void
verify_ctx_stats(struct verify_ctx *ctx, struct verify_stats *out)
{
    out->downloads = atomic_load_explicit(&ctx->n_downloads, memory_order_relaxed);
    out->download_failures = atomic_load_explicit(&ctx->n_download_failures, memory_order_relaxed);
    out->disk_loads = atomic_load_explicit(&ctx->n_disk_loads, memory_order_relaxed);
    out->memory_hits = atomic_load_explicit(&ctx->n_memory_hits, memory_order_relaxed);
    out->chain_checks = atomic_load_explicit(&ctx->n_chain_checks, memory_order_relaxed);
}

/*
 * Per-thread verify templates. EVP_DigestVerifyInit() fetches the signature
 * algorithm from the provider on every call (about 4 us, a fifth of the
 * whole check); copying a context initialised once is cheaper. OpenSSL
 * contexts must not be shared between threads, so each thread keeps its own
 * template for the chain it used last, recognised by the chain's serial
 * (never a pointer, which could be reused). The template holds its own
 * reference to the key; the key's destructor runs at thread exit.
 */
struct sig_template {
    uint64_t serial;
    EVP_MD_CTX *md;
};

static pthread_key_t template_key;
static pthread_once_t template_once = PTHREAD_ONCE_INIT;
static bool template_ready;

static void
template_free(void *p)
{
    struct sig_template *t = p;
    EVP_MD_CTX_free(t->md);
    free(t);
}

static void
template_init(void)
{
    template_ready = pthread_key_create(&template_key, template_free) == 0;
}

/* This thread's SHA-256 template for chain, or NULL (then init directly). */
static const EVP_MD_CTX *
thread_template(const struct verify_chain *chain, const EVP_MD *md)
{
    if (pthread_once(&template_once, template_init) != 0 || !template_ready)
        return NULL;
    struct sig_template *t = pthread_getspecific(template_key);
    if (!t) {
        t = calloc(1, sizeof(*t));
        if (!t)
            return NULL;
        if (pthread_setspecific(template_key, t) != 0) {
            free(t);
            return NULL;
        }
    }
    if (t->md && t->serial == chain->serial)
        return t->md;
    EVP_MD_CTX_free(t->md);
    t->serial = 0;
    t->md = EVP_MD_CTX_new();
    if (!t->md || EVP_DigestVerifyInit(t->md, NULL, md, NULL, chain->key) != 1) {
        EVP_MD_CTX_free(t->md);
        t->md = NULL;
        return NULL;
    }
    t->serial = chain->serial;
    return t->md;
}

/* RSA PKCS#1 v1.5 with md over body, signature in base64. A proper verify
 * call, never decrypt-and-compare: it also checks the DigestInfo (spec §6.4).
 * use_template: take the per-thread template (the SHA-256 path). */
static enum ss_err
check_signature(const struct verify_chain *chain, const EVP_MD *md, bool use_template,
                const char *header, const char *b64, const char *body, size_t len,
                enum verify_reason *reason, struct ss_error *err)
{
    enum ss_err rc = SS_ERR_OK;
    unsigned char sig[LIMIT_VERIFY_SIGNATURE_CHARS / 4 * 3];
    EVP_MD_CTX *mctx = NULL;
    EVP_PKEY *key = chain->key;

    long n = verify_base64_decode(b64, sig, sizeof(sig));
    if (n <= 0) {
        rc = verify_fail(err, reason, SS_ERR_VERIFY, VERIFY_R_SIGNATURE_BASE64,
                         "%s is not valid base64", header);
        goto out;
    }
    if ((size_t)n != (size_t)EVP_PKEY_get_size(key)) {
        rc = verify_fail(err, reason, SS_ERR_VERIFY, VERIFY_R_SIGNATURE_MISMATCH,
                         "%s is %ld bytes, the signing key makes %d", header, n,
                         EVP_PKEY_get_size(key));
        goto out;
    }
    mctx = EVP_MD_CTX_new();
    const EVP_MD_CTX *tmpl = use_template ? thread_template(chain, md) : NULL;
    if (!mctx || (tmpl ? EVP_MD_CTX_copy_ex(mctx, tmpl)
                       : EVP_DigestVerifyInit(mctx, NULL, md, NULL, key)) != 1) {
        rc = verify_fail(err, reason, SS_ERR_IO, VERIFY_R_INTERNAL,
                         "cannot prepare the signature check");
        goto out;
    }
    if (EVP_DigestVerify(mctx, sig, (size_t)n, (const unsigned char *)body, len) != 1) {
        rc = verify_fail(err, reason, SS_ERR_VERIFY, VERIFY_R_SIGNATURE_MISMATCH,
                         "%s does not match the body", header);
        goto out;
    }

out:
    EVP_MD_CTX_free(mctx);
    ERR_clear_error();
    return rc;
}

enum ss_err
verify_signature(struct verify_ctx *ctx, const struct verify_headers *hdr, const char *body,
                 size_t len, time_t now, enum verify_reason *reason, struct ss_error *err)
{
    enum ss_err rc;
    enum verify_reason why = VERIFY_R_NONE;
    struct ss_error local;
    struct verify_chain *chain = NULL;
    char url[VERIFY_URL_MAX];

    if (!err)
        err = &local;
    if (!reason)
        reason = &why;
    *reason = VERIFY_R_NONE;

    /* Spec §6.3: Signature-256 is required and wins; the legacy header is
     * looked at only when allowed and Signature-256 is absent. Decided
     * before the URL so that no download happens for an unsigned request. */
    bool has256 = hdr->signature_256 && hdr->signature_256[0];
    bool has1 = hdr->signature && hdr->signature[0];
    if (!has256 && !(has1 && ctx->allow_sha1)) {
        if (has1)
            return verify_fail(err, reason, SS_ERR_VERIFY, VERIFY_R_SIGNATURE_LEGACY_ONLY,
                               "Signature-256 header is missing; the legacy SHA-1 Signature "
                               "header alone is not accepted");
        return verify_fail(err, reason, SS_ERR_VERIFY, VERIFY_R_SIGNATURE_MISSING,
                           "Signature-256 header is missing or empty");
    }

    /* The URL rules run before the cache is consulted (spec §3.3). */
    rc = verify_chain_url(hdr->cert_url, url, reason, err);
    if (rc != SS_ERR_OK)
        return rc;
    rc = verify_cache_get(ctx, url, now, &chain, reason, err);
    if (rc != SS_ERR_OK)
        return rc;

    if (has256)
        rc = check_signature(chain, ctx->sha256, true, "Signature-256", hdr->signature_256, body,
                             len, reason, err);
    else
        rc = check_signature(chain, ctx->sha1, false, "Signature (SHA-1)", hdr->signature, body,
                             len, reason, err);
    verify_chain_destroy(chain);
    return rc;
}

enum ss_err
verify_timestamp(const char *timestamp, const char *request_type, time_t now,
                 enum verify_reason *reason, struct ss_error *err)
{
    time_t ts;
    if (reason)
        *reason = VERIFY_R_NONE;
    if (!timestamp || !timestamp[0])
        return verify_fail(err, reason, SS_ERR_VERIFY, VERIFY_R_TIMESTAMP_MISSING,
                           "request.timestamp is missing");
    if (!verify_parse_timestamp(timestamp, &ts))
        return verify_fail(err, reason, SS_ERR_VERIFY, VERIFY_R_TIMESTAMP_INVALID,
                           "request.timestamp \"%.40s\" is not an ISO 8601 UTC time", timestamp);

    /* Skill events may arrive late (spec §7); their type is inside the
     * signed body like the timestamp. */
    long long tolerance = LIMIT_VERIFY_TIMESTAMP_S;
    if (request_type && strncmp(request_type, "AlexaSkillEvent.", 16) == 0)
        tolerance = LIMIT_VERIFY_SKILL_EVENT_S;
    long long age = (long long)now - (long long)ts;
    if (age > tolerance)
        return verify_fail(err, reason, SS_ERR_VERIFY, VERIFY_R_TIMESTAMP_OLD,
                           "request.timestamp is %lld s old, more than %lld s", age, tolerance);
    if (-age > tolerance)
        return verify_fail(err, reason, SS_ERR_VERIFY, VERIFY_R_TIMESTAMP_FUTURE,
                           "request.timestamp is %lld s in the future, more than %lld s", -age,
                           tolerance);
    return SS_ERR_OK;
}

/*
 * Spec §8, and what verify.h promises about it. The sentences are for the
 * person who made the request or set up the skill (a teacher with a canned
 * request, a developer with two skills): they name both ids, the skill, and
 * the one thing to change. Ids are cut at 80 characters (Amazon's are 52)
 * so that the sentence fits in err.
 */
static enum ss_err
check_application(const struct request *req, const struct skill *skill, enum verify_reason *reason,
                  struct ss_error *err)
{
    const char *want = skill ? skill->application_id : NULL;
    const char *context = req->application_id;
    const char *session = req->session_application_id;

    if (!want)
        return SS_ERR_OK;
    if (!context)
        return verify_fail(err, reason, SS_ERR_WRONG_APPLICATION, VERIFY_R_APPLICATION_ID,
                           "this request does not say which skill it is for (it has no "
                           "applicationId), but %s is set up for applicationId %.80s only: put "
                           "that id in the request's context.System.application.applicationId, "
                           "or take \"applicationId\" out of its skill.json to accept any",
                           skill->name, want);
    if (strcmp(context, want) != 0)
        return verify_fail(err, reason, SS_ERR_WRONG_APPLICATION, VERIFY_R_APPLICATION_ID,
                           "this request is for the skill with applicationId %.80s, but %s is "
                           "set up for applicationId %.80s: if the request is meant for %s, "
                           "change \"applicationId\" in its skill.json to %.80s; if not, send "
                           "it to the skill it is for",
                           context, skill->name, want, skill->name, context);
    if (session && strcmp(session, want) != 0)
        return verify_fail(err, reason, SS_ERR_WRONG_APPLICATION, VERIFY_R_APPLICATION_ID,
                           "this request names two different skills: "
                           "context.System.application.applicationId is %.80s (%s's), but "
                           "session.application.applicationId is %.80s. Alexa always sends the "
                           "same id in both, so the request was changed or made up: set "
                           "session.application.applicationId to %.80s as well",
                           context, skill->name, session, want);
    return SS_ERR_OK;
}

enum ss_err
verify_raw(struct verify_ctx *ctx, const struct verify_policy *policy,
           const struct verify_headers *hdr, const char *body, size_t len, time_t now,
           enum verify_reason *reason, struct ss_error *err)
{
    if (reason)
        *reason = VERIFY_R_NONE;
    if (!policy)
        return verify_fail(err, reason, SS_ERR_IO, VERIFY_R_INTERNAL,
                           "no verification policy was given for this request");
    if (!policy->signature)
        return SS_ERR_OK;
    if (!ctx || !hdr)
        return verify_fail(err, reason, SS_ERR_IO, VERIFY_R_INTERNAL,
                           "the signature cannot be checked: verification was not started");
    return verify_signature(ctx, hdr, body, len, now, reason, err);
}

enum ss_err
verify_parsed(const struct verify_policy *policy, const struct request *req,
              const struct skill *skill, time_t now, enum verify_reason *reason,
              struct ss_error *err)
{
    enum ss_err rc;

    if (reason)
        *reason = VERIFY_R_NONE;
    if (!policy || !req)
        return verify_fail(err, reason, SS_ERR_IO, VERIFY_R_INTERNAL,
                           "no verification policy or no request was given");
    if (policy->timestamp) {
        rc = verify_timestamp(req->timestamp, req->type_name, now, reason, err);
        if (rc != SS_ERR_OK)
            return rc;
    }
    return check_application(req, skill, reason, err);
}
