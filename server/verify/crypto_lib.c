/*
 * crypto_lib.c - OpenSSL's libcrypto, loaded by the commands that use it.
 *
 * Verification, signing and the class's passwords need libcrypto; invoke,
 * say, request and the other offline commands do not. Linked, it cost every
 * start of every command about 1 ms: the dynamic loader maps it and applies
 * its relocations, which copies some hundred pages of its relocated
 * read-only data. So the binary does not link it, as with libmicrohttpd
 * (server/front/libs.c): the functions skillserver calls are defined here
 * with the library's own names and prototypes (the headers check them), and
 * the first call loads the library (once, with dlopen) and calls the real
 * one. If it cannot be loaded, the reason is logged once and each function
 * answers as OpenSSL does when it fails (NULL, 0, an error), so every caller
 * reports a failure it already handles; OPENSSL_cleanse() still clears.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "dynlib.h"
#include "log.h"

/* Debian 12's libssl3 package. */
#define LIBCRYPTO "libcrypto.so.3"

#define NOT_LOADED "OpenSSL's libcrypto could not be loaded"

/*
 * Every function, as F(return type, name, (parameters), (arguments), value
 * when the library is missing), or V(name, (parameters), (arguments)) for
 * those that return nothing.
 */
#define CRYPTO_FUNCTIONS(F, V)                                                                     \
    F(const unsigned char *, ASN1_STRING_get0_data, (const ASN1_STRING *x), (x), NULL)             \
    F(int, ASN1_STRING_length, (const ASN1_STRING *x), (x), 0)                                     \
    F(int, ASN1_TIME_to_tm, (const ASN1_TIME *s, struct tm *tm), (s, tm), 0)                       \
    F(int, BIO_free, (BIO * a), (a), 0)                                                            \
    F(BIO *, BIO_new_mem_buf, (const void *buf, int len), (buf, len), NULL)                        \
    V(CRYPTO_free, (void *ptr, const char *file, int line), (ptr, file, line))                     \
    F(void *, CRYPTO_malloc, (size_t num, const char *file, int line), (num, file, line), NULL)    \
    F(int, CRYPTO_memcmp, (const void *a, const void *b, size_t len), (a, b, len), -1)             \
    V(ERR_clear_error, (void), ())                                                                 \
    F(unsigned long, ERR_peek_last_error, (void), (), 0)                                           \
    F(int, EVP_Digest,                                                                             \
      (const void *data, size_t count, unsigned char *md, unsigned int *size, const EVP_MD *type,  \
       ENGINE *impl),                                                                              \
      (data, count, md, size, type, impl), 0)                                                      \
    F(int, EVP_DigestSign,                                                                         \
      (EVP_MD_CTX * ctx, unsigned char *sig, size_t *siglen, const unsigned char *tbs,             \
       size_t tbslen),                                                                             \
      (ctx, sig, siglen, tbs, tbslen), 0)                                                          \
    F(int, EVP_DigestSignInit_ex,                                                                  \
      (EVP_MD_CTX * ctx, EVP_PKEY_CTX * *pctx, const char *mdname, OSSL_LIB_CTX *libctx,           \
       const char *props, EVP_PKEY *pkey, const OSSL_PARAM params[]),                              \
      (ctx, pctx, mdname, libctx, props, pkey, params), 0)                                         \
    F(int, EVP_DigestVerify,                                                                       \
      (EVP_MD_CTX * ctx, const unsigned char *sig, size_t siglen, const unsigned char *tbs,        \
       size_t tbslen),                                                                             \
      (ctx, sig, siglen, tbs, tbslen), 0)                                                          \
    F(int, EVP_DigestVerifyInit,                                                                   \
      (EVP_MD_CTX * ctx, EVP_PKEY_CTX * *pctx, const EVP_MD *type, ENGINE *e, EVP_PKEY *pkey),     \
      (ctx, pctx, type, e, pkey), 0)                                                               \
    F(int, EVP_EncodeBlock, (unsigned char *t, const unsigned char *f, int n), (t, f, n), 0)       \
    F(int, EVP_MD_CTX_copy_ex, (EVP_MD_CTX * out, const EVP_MD_CTX *in), (out, in), 0)             \
    V(EVP_MD_CTX_free, (EVP_MD_CTX * ctx), (ctx))                                                  \
    F(EVP_MD_CTX *, EVP_MD_CTX_new, (void), (), NULL)                                              \
    F(EVP_MD *, EVP_MD_fetch, (OSSL_LIB_CTX * ctx, const char *algorithm, const char *properties), \
      (ctx, algorithm, properties), NULL)                                                          \
    V(EVP_MD_free, (EVP_MD * md), (md))                                                            \
    V(EVP_PKEY_free, (EVP_PKEY * pkey), (pkey))                                                    \
    F(int, EVP_PKEY_get_bits, (const EVP_PKEY *pkey), (pkey), 0)                                   \
    F(int, EVP_PKEY_get_size, (const EVP_PKEY *pkey), (pkey), 0)                                   \
    F(int, EVP_PKEY_is_a, (const EVP_PKEY *pkey, const char *name), (pkey, name), 0)               \
    F(const EVP_MD *, EVP_sha256, (void), (), NULL)                                                \
    V(GENERAL_NAMES_free, (GENERAL_NAMES * a), (a))                                                \
    F(OPENSSL_STACK *, OPENSSL_sk_new_null, (void), (), NULL)                                      \
    F(int, OPENSSL_sk_num, (const OPENSSL_STACK *st), (st), -1)                                    \
    V(OPENSSL_sk_pop_free, (OPENSSL_STACK * st, void (*func)(void *)), (st, func))                 \
    F(int, OPENSSL_sk_push, (OPENSSL_STACK * st, const void *data), (st, data), 0)                 \
    F(void *, OPENSSL_sk_value, (const OPENSSL_STACK *st, int i), (st, i), NULL)                   \
    F(EVP_PKEY *, PEM_read_PrivateKey, (FILE * fp, EVP_PKEY * *x, pem_password_cb * cb, void *u),  \
      (fp, x, cb, u), NULL)                                                                        \
    F(X509 *, PEM_read_bio_X509, (BIO * bp, X509 * *x, pem_password_cb * cb, void *u),             \
      (bp, x, cb, u), NULL)                                                                        \
    F(int, PKCS5_PBKDF2_HMAC,                                                                      \
      (const char *pass, int passlen, const unsigned char *salt, int saltlen, int iter,            \
       const EVP_MD *digest, int keylen, unsigned char *out),                                      \
      (pass, passlen, salt, saltlen, iter, digest, keylen, out), 0)                                \
    V(X509_STORE_CTX_free, (X509_STORE_CTX * ctx), (ctx))                                          \
    F(int, X509_STORE_CTX_get_error, (const X509_STORE_CTX *ctx), (ctx), X509_V_ERR_UNSPECIFIED)   \
    F(int, X509_STORE_CTX_get_error_depth, (const X509_STORE_CTX *ctx), (ctx), -1)                 \
    F(int, X509_STORE_CTX_init,                                                                    \
      (X509_STORE_CTX * ctx, X509_STORE * store, X509 * target, STACK_OF(X509) * untrusted),       \
      (ctx, store, target, untrusted), 0)                                                          \
    F(X509_STORE_CTX *, X509_STORE_CTX_new, (void), (), NULL)                                      \
    V(X509_STORE_CTX_set_time, (X509_STORE_CTX * ctx, unsigned long flags, time_t t),              \
      (ctx, flags, t))                                                                             \
    V(X509_STORE_free, (X509_STORE * v), (v))                                                      \
    F(int, X509_STORE_load_file, (X509_STORE * ctx, const char *file), (ctx, file), 0)             \
    F(X509_STORE *, X509_STORE_new, (void), (), NULL)                                              \
    F(int, X509_STORE_set_default_paths, (X509_STORE * ctx), (ctx), 0)                             \
    F(int, X509_check_purpose, (X509 * x, int id, int ca), (x, id, ca), 0)                         \
    V(X509_free, (X509 * a), (a))                                                                  \
    F(const ASN1_TIME *, X509_get0_notAfter, (const X509 *x), (x), NULL)                           \
    F(const ASN1_TIME *, X509_get0_notBefore, (const X509 *x), (x), NULL)                          \
    F(void *, X509_get_ext_d2i, (const X509 *x, int nid, int *crit, int *idx),                     \
      (x, nid, crit, idx), NULL)                                                                   \
    F(uint32_t, X509_get_key_usage, (X509 * x), (x), 0)                                            \
    F(EVP_PKEY *, X509_get_pubkey, (X509 * x), (x), NULL)                                          \
    F(int, X509_verify_cert, (X509_STORE_CTX * ctx), (ctx), -1)                                    \
    F(const char *, X509_verify_cert_error_string, (long n), (n), NOT_LOADED)

#define AS_FIELD(ret, name, params, args, fail) ret(*name) params;
#define AS_VOID_FIELD(name, params, args) void(*name) params;
static struct {
    CRYPTO_FUNCTIONS(AS_FIELD, AS_VOID_FIELD)
    void (*ERR_error_string_n)(unsigned long e, char *buf, size_t len);
    void (*OPENSSL_cleanse)(void *ptr, size_t len);
} real;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool loaded;

#define RESOLVE(ret, name, params, args, fail) &&dynlib_resolve(lib, #name, &real.name)
#define RESOLVE_VOID(name, params, args) &&dynlib_resolve(lib, #name, &real.name)

static void
load(void)
{
    /* Loaded for the life of the process. libcurl and libpq, when they are
     * loaded later, find this copy. */
    void *lib = dlopen(LIBCRYPTO, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        log_msg(LOG_ERROR, "%s: %s (install libssl3)", NOT_LOADED, dlerror());
        return;
    }
    loaded = true CRYPTO_FUNCTIONS(RESOLVE, RESOLVE_VOID) &&
             dynlib_resolve(lib, "ERR_error_string_n", &real.ERR_error_string_n) &&
             dynlib_resolve(lib, "OPENSSL_cleanse", &real.OPENSSL_cleanse);
    if (!loaded)
        log_msg(LOG_ERROR, "%s lacks a function skillserver calls: %s", LIBCRYPTO, dlerror());
}

static bool
ready(void)
{
    return pthread_once(&once, load) == 0 && loaded;
}

#define DEFINE(ret, name, params, args, fail)                                                      \
    ret name params                                                                                \
    {                                                                                              \
        return ready() ? real.name args : fail;                                                    \
    }
#define DEFINE_VOID(name, params, args)                                                            \
    void name params                                                                               \
    {                                                                                              \
        if (ready())                                                                               \
            real.name args;                                                                        \
    }
CRYPTO_FUNCTIONS(DEFINE, DEFINE_VOID)

/* The two that must do something without the library. */

void
ERR_error_string_n(unsigned long e, char *buf, size_t len)
{
    if (ready())
        real.ERR_error_string_n(e, buf, len);
    else if (len > 0)
        snprintf(buf, len, "%s", NOT_LOADED);
}

void
OPENSSL_cleanse(void *ptr, size_t len)
{
    if (ready())
        real.OPENSSL_cleanse(ptr, len);
    else
        explicit_bzero(ptr, len);
}
