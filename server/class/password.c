/*
 * password.c - the teacher's password: made, stored as a hash, checked.
 *
 * The server keeps only "pbkdf2-sha256$ITER$SALT$HASH" (hex): a salted
 * PBKDF2-HMAC-SHA256 of LIMIT_CLASS_PBKDF2_ITER rounds, so the file in the
 * class's data is no password even to someone who copies it. A check
 * always runs the whole derivation and compares with CRYPTO_memcmp, so a
 * wrong guess costs and tells the same as any other.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "class.h"

#define SALT_BYTES 16
#define HASH_BYTES 32

/* Typed from a slip of paper: no 0/O, 1/I/L, lower case. 32 characters, 5 bits each. */
static const char pw_alphabet[] = "abcdefghjkmnpqrstuvwxyz23456789";

bool
class_password_new(char *out, size_t cap)
{
    unsigned char b[16];
    size_t n = 0;

    /* 16 characters in groups of four: 16 * log2(31) ~ 79 bits. */
    if (cap < 20)
        return false;
    out[0] = '\0';
    while (n < 19) {
        if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
            return false;
        for (size_t i = 0; i < sizeof(b) && n < 19; i++) {
            if (n % 5 == 4) {
                out[n++] = '-';
                continue;
            }
            if (b[i] < 256 - 256 % 31)
                out[n++] = pw_alphabet[b[i] % 31];
        }
    }
    out[n] = '\0';
    OPENSSL_cleanse(b, sizeof(b));
    return true;
}

static void
to_hex(const unsigned char *b, size_t n, char *out)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[b[i] >> 4];
        out[2 * i + 1] = d[b[i] & 15];
    }
    out[2 * n] = '\0';
}

static bool
from_hex(const char *s, size_t len, unsigned char *out, size_t n)
{
    if (len != 2 * n)
        return false;
    for (size_t i = 0; i < 2 * n; i++) {
        char c = s[i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0)
            return false;
        if (i % 2 == 0)
            out[i / 2] = (unsigned char)(v << 4);
        else
            out[i / 2] |= (unsigned char)v;
    }
    return true;
}

static bool
derive(const char *password, const unsigned char *salt, unsigned iter, unsigned char *out)
{
    return PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, SALT_BYTES, (int)iter,
                             EVP_sha256(), HASH_BYTES, out) == 1;
}

enum ss_err
class_password_hash(const char *password, char out[CLASS_PASSWORD_HASH_CHARS], struct ss_error *err)
{
    unsigned char salt[SALT_BYTES], hash[HASH_BYTES];
    char salt_hex[2 * SALT_BYTES + 1], hash_hex[2 * HASH_BYTES + 1];

    out[0] = '\0';
    if (getrandom(salt, sizeof(salt), 0) != (ssize_t)sizeof(salt))
        return ss_fail(err, SS_ERR_IO, "getrandom() gave no salt");
    if (!derive(password, salt, LIMIT_CLASS_PBKDF2_ITER, hash))
        return ss_fail(err, SS_ERR_NOMEM, "PBKDF2 failed");
    to_hex(salt, sizeof(salt), salt_hex);
    to_hex(hash, sizeof(hash), hash_hex);
    OPENSSL_cleanse(hash, sizeof(hash));
    int n = snprintf(out, CLASS_PASSWORD_HASH_CHARS, "pbkdf2-sha256$%d$%s$%s",
                     LIMIT_CLASS_PBKDF2_ITER, salt_hex, hash_hex);
    if (n < 0 || n >= CLASS_PASSWORD_HASH_CHARS)
        return ss_fail(err, SS_ERR_IO, "the password hash does not fit");
    return SS_ERR_OK;
}

bool
class_password_check(const char *stored, const char *password)
{
    static const char tag[] = "pbkdf2-sha256$";
    unsigned char salt[SALT_BYTES], want[HASH_BYTES], got[HASH_BYTES];
    bool ok = false;

    if (!stored || !password || strncmp(stored, tag, sizeof(tag) - 1) != 0)
        return false;
    const char *p = stored + sizeof(tag) - 1;
    char *end;
    unsigned long iter = strtoul(p, &end, 10);
    /* Fewer rounds than ours would make a stolen file cheaper to attack; more
     * than 100 times ours would let the file slow every login to a crawl. */
    if (end == p || *end != '$' || iter < 1000 || iter > 100UL * LIMIT_CLASS_PBKDF2_ITER)
        return false;
    const char *s = end + 1;
    const char *h = strchr(s, '$');
    if (!h || !from_hex(s, (size_t)(h - s), salt, sizeof(salt)) ||
        !from_hex(h + 1, strcspn(h + 1, "\n"), want, sizeof(want)))
        return false;
    if (derive(password, salt, (unsigned)iter, got))
        ok = CRYPTO_memcmp(got, want, sizeof(want)) == 0;
    OPENSSL_cleanse(got, sizeof(got));
    return ok;
}
