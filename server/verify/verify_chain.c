/*
 * verify_chain.c - a parsed signing chain and the checks of spec §5.
 *
 * verify_chain_parse() turns PEM text (from a download or the cache folder,
 * both untrusted) into an immutable, reference-counted struct verify_chain;
 * verify_chain_check() decides whether Amazon could have sent it: signing
 * certificate valid at `now`, SAN echo-api.amazon.com (exact, no wildcard,
 * never the CN), keyUsage allows signatures, an RSA key, and a path to a
 * root in the context's X509_STORE through the given intermediates.
 *
 * OpenSSL's per-thread error queue is always left empty, so one request's
 * failure cannot surface as another's message.
 */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "verify_internal.h"

#define SIGNING_NAME "echo-api.amazon.com"

/* Serial numbers of parsed chains; 0 is never handed out. */
static atomic_uint_fast64_t next_serial = 1;

/* Never prompt for a password: a chain file has no business being encrypted. */
static int
no_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf, (void)size, (void)rwflag, (void)u;
    return -1;
}

static bool
asn1_time_seconds(const ASN1_TIME *t, time_t *out)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return false;
    *out = (time_t)verify_utc_seconds((int64_t)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                                      tm.tm_hour, tm.tm_min, tm.tm_sec);
    return true;
}

struct verify_chain *
verify_chain_ref(struct verify_chain *chain)
{
    if (chain)
        atomic_fetch_add_explicit(&chain->refs, 1, memory_order_relaxed);
    return chain;
}

void
verify_chain_destroy(struct verify_chain *chain)
{
    if (!chain)
        return;
    if (atomic_fetch_sub_explicit(&chain->refs, 1, memory_order_acq_rel) != 1)
        return;
    EVP_PKEY_free(chain->key);
    sk_X509_pop_free(chain->certs, X509_free);
    free(chain);
}

enum ss_err
verify_chain_parse(const char *pem, size_t len, struct verify_chain **out,
                   enum verify_reason *reason, struct ss_error *err)
{
    enum ss_err rc = SS_ERR_OK;
    struct verify_chain *chain = NULL;
    BIO *bio = NULL;
    X509 *x = NULL;

    *out = NULL;
    if (!pem || len == 0) {
        rc = verify_fail(err, reason, SS_ERR_VERIFY, VERIFY_R_CHAIN_PARSE,
                         "certificate chain is empty");
        goto out;
    }
    if (len > LIMIT_VERIFY_CHAIN_BYTES) {
        rc = verify_fail(err, reason, SS_ERR_VERIFY, VERIFY_R_CHAIN_PARSE,
                         "certificate chain is %zu bytes, more than %d", len,
                         LIMIT_VERIFY_CHAIN_BYTES);
        goto out;
    }
    chain = calloc(1, sizeof(*chain));
    if (!chain) {
        rc = verify_fail(err, reason, SS_ERR_NOMEM, VERIFY_R_INTERNAL, "out of memory");
        goto out;
    }
    atomic_init(&chain->refs, 1);
    chain->serial = atomic_fetch_add_explicit(&next_serial, 1, memory_order_relaxed);
    chain->certs = sk_X509_new_null();
    bio = BIO_new_mem_buf(pem, (int)len);
    if (!chain->certs || !bio) {
        rc = verify_fail(err, reason, SS_ERR_NOMEM, VERIFY_R_INTERNAL, "out of memory");
        goto out;
    }

    ERR_clear_error();
    while ((x = PEM_read_bio_X509(bio, NULL, no_password, NULL)) != NULL) {
        if (sk_X509_num(chain->certs) >= LIMIT_VERIFY_CHAIN_CERTS) {
            rc = verify_fail(err, reason, SS_ERR_VERIFY, VERIFY_R_CHAIN_PARSE,
                             "certificate chain has more than %d certificates",
                             LIMIT_VERIFY_CHAIN_CERTS);
            goto out;
        }
        /* Decode the extensions now, while the chain is private to this
         * thread, so later concurrent readers find them cached. */
        X509_check_purpose(x, -1, 0);
        if (sk_X509_push(chain->certs, x) <= 0) {
            rc = verify_fail(err, reason, SS_ERR_NOMEM, VERIFY_R_INTERNAL, "out of memory");
            goto out;
        }
        x = NULL;
    }
    /* The loop ends at the first failure; only "no further PEM block" means
     * the text ended cleanly. A damaged block is an error of its own. */
    unsigned long e = ERR_peek_last_error();
    if (ERR_GET_LIB(e) != ERR_LIB_PEM || ERR_GET_REASON(e) != PEM_R_NO_START_LINE) {
        char detail[160];
        ERR_error_string_n(e, detail, sizeof(detail));
        rc = verify_fail(err, reason, SS_ERR_VERIFY, VERIFY_R_CHAIN_PARSE,
                         "certificate %d of the chain is damaged: %s",
                         sk_X509_num(chain->certs) + 1, detail);
        goto out;
    }
    if (sk_X509_num(chain->certs) == 0) {
        rc = verify_fail(err, reason, SS_ERR_VERIFY, VERIFY_R_CHAIN_PARSE,
                         "no PEM certificate in the chain");
        goto out;
    }

    X509 *leaf = sk_X509_value(chain->certs, 0);
    if (!asn1_time_seconds(X509_get0_notBefore(leaf), &chain->not_before) ||
        !asn1_time_seconds(X509_get0_notAfter(leaf), &chain->not_after)) {
        rc = verify_fail(err, reason, SS_ERR_VERIFY, VERIFY_R_CHAIN_PARSE,
                         "signing certificate has unreadable validity dates");
        goto out;
    }
    chain->key = X509_get_pubkey(leaf);
    if (!chain->key) {
        rc = verify_fail(err, reason, SS_ERR_VERIFY, VERIFY_R_CERT_KEY,
                         "signing certificate's public key cannot be read");
        goto out;
    }
    *out = chain;
    chain = NULL;

out:
    ERR_clear_error();
    X509_free(x);
    BIO_free(bio);
    verify_chain_destroy(chain);
    return rc;
}

/* Is SIGNING_NAME among the leaf's SAN dNSNames? Exact length, ASCII case
 * folded (DNS names are case-insensitive); "*.amazon.com" does not count. */
static bool
has_signing_name(X509 *leaf, bool *has_san)
{
    bool found = false;
    GENERAL_NAMES *names = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);

    *has_san = names != NULL;
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
        if (g->type != GEN_DNS)
            continue;
        const unsigned char *s = ASN1_STRING_get0_data(g->d.dNSName);
        int n = ASN1_STRING_length(g->d.dNSName);
        if (n == (int)strlen(SIGNING_NAME) && strncasecmp((const char *)s, SIGNING_NAME, n) == 0)
            found = true;
    }
    GENERAL_NAMES_free(names);
    return found;
}

enum ss_err
verify_chain_check(struct verify_ctx *ctx, const struct verify_chain *chain, time_t now,
                   enum verify_reason *reason, struct ss_error *err)
{
    enum ss_err rc = SS_ERR_OK;
    X509_STORE_CTX *sctx = NULL;
    X509 *leaf = sk_X509_value(chain->certs, 0);

    if (now < chain->not_before) {
        rc = verify_fail(err, reason, SS_ERR_VERIFY, VERIFY_R_CERT_NOT_YET_VALID,
                         "signing certificate is valid only from %lld, now is %lld",
                         (long long)chain->not_before, (long long)now);
        goto out;
    }
    if (now > chain->not_after) {
        rc = verify_fail(err, reason, SS_ERR_VERIFY, VERIFY_R_CERT_EXPIRED,
                         "signing certificate expired at %lld, now is %lld",
                         (long long)chain->not_after, (long long)now);
        goto out;
    }
    bool has_san;
    if (!has_signing_name(leaf, &has_san)) {
        rc = verify_fail(err, reason, SS_ERR_VERIFY, VERIFY_R_CERT_SAN,
                         has_san ? "signing certificate's subjectAltName lacks " SIGNING_NAME
                                 : "signing certificate has no subjectAltName");
        goto out;
    }
    /* No keyUsage extension means any use (UINT32_MAX). */
    if (!(X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE)) {
        rc = verify_fail(err, reason, SS_ERR_VERIFY, VERIFY_R_CERT_KEY,
                         "signing certificate's keyUsage lacks digitalSignature");
        goto out;
    }
    if (!EVP_PKEY_is_a(chain->key, "RSA") ||
        EVP_PKEY_get_bits(chain->key) < LIMIT_VERIFY_RSA_BITS_MIN) {
        rc = verify_fail(err, reason, SS_ERR_VERIFY, VERIFY_R_CERT_KEY,
                         "signing key is not RSA of at least %d bits", LIMIT_VERIFY_RSA_BITS_MIN);
        goto out;
    }

    /* The whole file is offered as untrusted intermediates; the path must
     * end at a root of the store. No purpose is set: Amazon's EKUs may
     * change (spec §5). */
    sctx = X509_STORE_CTX_new();
    if (!sctx || X509_STORE_CTX_init(sctx, ctx->store, leaf, chain->certs) != 1) {
        rc = verify_fail(err, reason, SS_ERR_NOMEM, VERIFY_R_INTERNAL,
                         "cannot prepare the chain check");
        goto out;
    }
    X509_STORE_CTX_set_time(sctx, 0, now);
    atomic_fetch_add_explicit(&ctx->n_chain_checks, 1, memory_order_relaxed);
    if (X509_verify_cert(sctx) != 1) {
        int e = X509_STORE_CTX_get_error(sctx);
        rc = verify_fail(err, reason, SS_ERR_VERIFY, VERIFY_R_CHAIN_UNTRUSTED,
                         "certificate chain rejected at depth %d: %s",
                         X509_STORE_CTX_get_error_depth(sctx), X509_verify_cert_error_string(e));
        goto out;
    }

out:
    X509_STORE_CTX_free(sctx);
    ERR_clear_error();
    return rc;
}
