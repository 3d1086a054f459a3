/*
 * sign.h - signing a request body the way Alexa does, for `skillserver sign`
 * and for tests: RSA PKCS#1 v1.5 over the exact body bytes, SHA-256 for the
 * Signature-256 header and SHA-1 for the legacy Signature header, base64
 * without line breaks (spec/request-verification.md §6.4).
 *
 * Only for test chains made by certs/make-test-chain.sh: Amazon's own key
 * never leaves Amazon. Thread-safe; no global state.
 */
#ifndef SKILLSERVER_SIGN_H
#define SKILLSERVER_SIGN_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "ss_limits.h"

/* Room for the three header lines with an RSA-8192 key and the longest URL. */
#define SIGN_HEADERS_MAX (3 * 32 + 2 * LIMIT_VERIFY_SIGNATURE_CHARS + LIMIT_VERIFY_URL_CHARS)

/* A base64 signature with its NUL. */
#define SIGN_BASE64_MAX (LIMIT_VERIFY_SIGNATURE_CHARS + 1)

/*
 * Load a PEM private key (PKCS#8 or traditional, unencrypted) from path into
 * *out; the caller frees it with EVP_PKEY_free(). SS_ERR_IO when the file
 * cannot be read, SS_ERR_USAGE when it holds no usable private key.
 */
enum ss_err sign_key_load(const char *path, EVP_PKEY **out, struct ss_error *err);

/*
 * Sign body[0..len) with key, SHA-256 (sha1 false) or SHA-1 (sha1 true), and
 * write the base64 signature (NUL-terminated) to out[0..cap).
 */
enum ss_err sign_body(EVP_PKEY *key, bool sha1, const char *body, size_t len, char *out, size_t cap,
                      struct ss_error *err);

/*
 * The header lines of a signed request, each ending in "\n":
 *   SignatureCertChainUrl: <cert_url>
 *   Signature-256: <base64>
 *   Signature: <base64>          (only with sha1_too)
 * written NUL-terminated to out[0..cap) (SIGN_HEADERS_MAX is always enough).
 * cert_url is not checked against the URL rules, so that rejected URLs can
 * be tested too; it must not contain control characters (SS_ERR_USAGE).
 */
enum ss_err sign_headers(const char *key_path, const char *cert_url, const char *body, size_t len,
                         bool sha1_too, char *out, size_t cap, struct ss_error *err);

#endif
