/*
 * sign.c - produce Signature-256 / Signature headers for a body with a test
 * key (see sign.h). The inverse of verify.c's check_signature(); the unit
 * tests of verify use it, so both are kept to the same spec text.
 */
#include "sign.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <string.h>

/* Refuse encrypted keys instead of prompting on the terminal. */
static int
no_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf, (void)size, (void)rwflag, (void)u;
    return -1;
}

enum ss_err
sign_key_load(const char *path, EVP_PKEY **out, struct ss_error *err)
{
    enum ss_err rc = SS_ERR_OK;
    FILE *f = NULL;

    *out = NULL;
    f = fopen(path, "rb");
    if (!f) {
        rc = ss_fail(err, SS_ERR_IO, "cannot read key %s: %s", path, strerror(errno));
        goto out;
    }
    *out = PEM_read_PrivateKey(f, NULL, no_password, NULL);
    if (!*out)
        rc = ss_fail(err, SS_ERR_USAGE, "%s holds no unencrypted PEM private key", path);

out:
    if (f)
        fclose(f);
    ERR_clear_error();
    return rc;
}

enum ss_err
sign_body(EVP_PKEY *key, bool sha1, const char *body, size_t len, char *out, size_t cap,
          struct ss_error *err)
{
    enum ss_err rc = SS_ERR_OK;
    EVP_MD_CTX *mctx = NULL;
    unsigned char *sig = NULL;
    size_t sig_len = 0;

    if (cap)
        out[0] = '\0';
    mctx = EVP_MD_CTX_new();
    if (!mctx ||
        EVP_DigestSignInit_ex(mctx, NULL, sha1 ? "SHA1" : "SHA256", NULL, NULL, key, NULL) != 1) {
        rc = ss_fail(err, SS_ERR_USAGE, "this key cannot make %s signatures",
                     sha1 ? "RSA/SHA-1" : "RSA/SHA-256");
        goto out;
    }
    /* EVP_DigestSign with a NULL buffer reports the size first. */
    if (EVP_DigestSign(mctx, NULL, &sig_len, (const unsigned char *)body, len) != 1) {
        rc = ss_fail(err, SS_ERR_IO, "signing failed");
        goto out;
    }
    if ((sig_len + 2) / 3 * 4 + 1 > cap) {
        rc = ss_fail(err, SS_ERR_USAGE, "a %zu-byte signature does not fit", sig_len);
        goto out;
    }
    sig = OPENSSL_malloc(sig_len);
    if (!sig) {
        rc = ss_fail(err, SS_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (EVP_DigestSign(mctx, sig, &sig_len, (const unsigned char *)body, len) != 1) {
        rc = ss_fail(err, SS_ERR_IO, "signing failed");
        goto out;
    }
    EVP_EncodeBlock((unsigned char *)out, sig, (int)sig_len);

out:
    OPENSSL_free(sig);
    EVP_MD_CTX_free(mctx);
    ERR_clear_error();
    return rc;
}

enum ss_err
sign_headers(const char *key_path, const char *cert_url, const char *body, size_t len,
             bool sha1_too, char *out, size_t cap, struct ss_error *err)
{
    enum ss_err rc;
    EVP_PKEY *key = NULL;
    char sig256[SIGN_BASE64_MAX];
    char sig1[SIGN_BASE64_MAX] = "";

    if (cap)
        out[0] = '\0';
    /* The URL goes into a header line: a CR or LF would forge another header. */
    for (const char *p = cert_url; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            rc = ss_fail(err, SS_ERR_USAGE, "the certificate URL contains a control character");
            goto out;
        }
    }
    if (strlen(cert_url) > LIMIT_VERIFY_URL_CHARS) {
        rc = ss_fail(err, SS_ERR_USAGE, "the certificate URL is longer than %d characters",
                     LIMIT_VERIFY_URL_CHARS);
        goto out;
    }
    rc = sign_key_load(key_path, &key, err);
    if (rc != SS_ERR_OK)
        goto out;
    rc = sign_body(key, false, body, len, sig256, sizeof(sig256), err);
    if (rc == SS_ERR_OK && sha1_too)
        rc = sign_body(key, true, body, len, sig1, sizeof(sig1), err);
    if (rc != SS_ERR_OK)
        goto out;

    int n = sha1_too ? snprintf(out, cap,
                                "SignatureCertChainUrl: %s\nSignature-256: %s\nSignature: %s\n",
                                cert_url, sig256, sig1)
                     : snprintf(out, cap, "SignatureCertChainUrl: %s\nSignature-256: %s\n",
                                cert_url, sig256);
    if (n < 0 || (size_t)n >= cap) {
        if (cap)
            out[0] = '\0';
        rc = ss_fail(err, SS_ERR_USAGE, "the headers do not fit in %zu bytes", cap);
    }

out:
    EVP_PKEY_free(key);
    return rc;
}
