/*
 * session.c - the class's sessions and the one cookie that carries them.
 *
 * An id is 32 bytes from getrandom(); the browser holds it in an HttpOnly,
 * SameSite=Strict cookie and the table holds only its SHA-256, so a dump of
 * the server's memory holds no key to a session. Entries are found by
 * comparing hashes with CRYPTO_memcmp, entry by entry, so the time a
 * lookup takes says nothing about how close a guess came.
 *
 * The table is a fixed array under one mutex: LIMIT_CLASS_SESSIONS entries
 * of ~100 bytes, and a lookup is a few thousand comparisons of 32 bytes,
 * far below the cost of the TLS record that carried the cookie.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "class.h"

static const char hexdigits[] = "0123456789abcdef";

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Whether s is exactly 64 lower-case hex characters. */
static bool
id_well_formed(const char *s, size_t n)
{
    if (n != CLASS_ID_HEX - 1)
        return false;
    for (size_t i = 0; i < n; i++)
        if (hexval(s[i]) < 0)
            return false;
    return true;
}

enum class_cookie
class_cookie_value(const char *header, char id[CLASS_ID_HEX])
{
    static const char name[] = CLASS_COOKIE;
    const size_t name_len = sizeof(name) - 1;
    enum class_cookie found = CLASS_COOKIE_NONE;

    id[0] = '\0';
    if (!header)
        return CLASS_COOKIE_NONE;
    if (strnlen(header, LIMIT_CLASS_COOKIE_BYTES + 1) > LIMIT_CLASS_COOKIE_BYTES)
        return CLASS_COOKIE_BAD;
    /* RFC 6265 5.4: "name=value" pairs separated by ";" and optional
     * spaces. Browsers send other sites' cookies of this host too; only
     * ours is read, and it must be the only one of its name. */
    const char *p = header;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *end = strchr(p, ';');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (n > name_len && memcmp(p, name, name_len) == 0 && p[name_len] == '=') {
            if (found != CLASS_COOKIE_NONE) {
                id[0] = '\0';
                return CLASS_COOKIE_BAD;
            }
            const char *v = p + name_len + 1;
            size_t vn = n - name_len - 1;
            if (!id_well_formed(v, vn))
                return CLASS_COOKIE_BAD;
            memcpy(id, v, vn);
            id[vn] = '\0';
            found = CLASS_COOKIE_ONE;
        } else if (n == name_len && memcmp(p, name, name_len) == 0) {
            id[0] = '\0';
            return CLASS_COOKIE_BAD; /* our name without a value */
        }
        if (!end)
            break;
        p = end + 1;
    }
    if (found != CLASS_COOKIE_ONE)
        id[0] = '\0';
    return found;
}

bool
class_cookie_header(char *out, size_t cap, const char *id, bool secure)
{
    int n;
    if (id)
        n = snprintf(out, cap, "%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict%s",
                     CLASS_COOKIE, id, LIMIT_CLASS_SESSION_S, secure ? "; Secure" : "");
    else
        n = snprintf(out, cap, "%s=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict%s", CLASS_COOKIE,
                     secure ? "; Secure" : "");
    return n > 0 && (size_t)n < cap;
}

void
class_sessions_init(struct class_sessions *s)
{
    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->lock, NULL);
}

void
class_sessions_cleanup(struct class_sessions *s)
{
    if (!s)
        return;
    pthread_mutex_destroy(&s->lock);
    OPENSSL_cleanse(s->items, sizeof(s->items));
}

static const unsigned char zero_hash[32];

static bool
entry_free(const struct class_session *e)
{
    return CRYPTO_memcmp(e->hash, zero_hash, sizeof(zero_hash)) == 0;
}

static void
entry_clear(struct class_session *e)
{
    memset(e, 0, sizeof(*e));
}

static bool
entry_expired(const struct class_session *e, time_t now)
{
    return now - e->created >= LIMIT_CLASS_SESSION_S || now - e->seen >= LIMIT_CLASS_SESSION_IDLE_S;
}

/* SHA-256 of the hex id; false only when the digest itself fails. */
static bool
hash_id(const char *id, unsigned char out[32])
{
    unsigned int n = 0;
    return EVP_Digest(id, strlen(id), out, &n, EVP_sha256(), NULL) == 1 && n == 32;
}

enum ss_err
class_session_new(struct class_sessions *s, const struct class_who *who, time_t now,
                  char id[CLASS_ID_HEX], struct ss_error *err)
{
    unsigned char raw[CLASS_ID_BYTES];
    unsigned char hash[32];
    enum ss_err rc = SS_ERR_OK;

    id[0] = '\0';
    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
        return ss_fail(err, SS_ERR_IO, "getrandom() gave no session id");
    for (size_t i = 0; i < sizeof(raw); i++) {
        id[2 * i] = hexdigits[raw[i] >> 4];
        id[2 * i + 1] = hexdigits[raw[i] & 15];
    }
    id[2 * sizeof(raw)] = '\0';
    OPENSSL_cleanse(raw, sizeof(raw));
    if (!hash_id(id, hash)) {
        id[0] = '\0';
        return ss_fail(err, SS_ERR_NOMEM, "SHA-256 failed");
    }

    pthread_mutex_lock(&s->lock);
    struct class_session *slot = NULL, *oldest_child = NULL;
    for (size_t i = 0; i < LIMIT_CLASS_SESSIONS; i++) {
        struct class_session *e = &s->items[i];
        if (!entry_free(e) && entry_expired(e, now))
            entry_clear(e);
        if (entry_free(e)) {
            if (!slot)
                slot = e;
            continue;
        }
        if (e->who.role == CLASS_CHILD && (!oldest_child || e->seen < oldest_child->seen))
            oldest_child = e;
    }
    if (!slot)
        slot = oldest_child;
    if (!slot) {
        rc = ss_fail(err, SS_ERR_CLASS_FULL, "every one of %d sessions is a teacher's",
                     LIMIT_CLASS_SESSIONS);
        id[0] = '\0';
    } else {
        entry_clear(slot);
        memcpy(slot->hash, hash, sizeof(hash));
        slot->who = *who;
        slot->created = now;
        slot->seen = now;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

bool
class_session_find(struct class_sessions *s, const char *id, time_t now, struct class_who *who)
{
    unsigned char hash[32];
    bool found = false;

    memset(who, 0, sizeof(*who));
    who->role = CLASS_NOBODY;
    if (!id || !id_well_formed(id, strlen(id)) || !hash_id(id, hash))
        return false;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < LIMIT_CLASS_SESSIONS; i++) {
        struct class_session *e = &s->items[i];
        /* Every entry is compared, found or not, free or not. */
        bool match = CRYPTO_memcmp(e->hash, hash, sizeof(hash)) == 0;
        if (!match || found || entry_free(e))
            continue;
        if (entry_expired(e, now)) {
            entry_clear(e);
            continue;
        }
        e->seen = now;
        *who = e->who;
        found = true;
    }
    pthread_mutex_unlock(&s->lock);
    return found;
}

void
class_session_end(struct class_sessions *s, const char *id)
{
    unsigned char hash[32];
    if (!id || !id_well_formed(id, strlen(id)) || !hash_id(id, hash))
        return;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < LIMIT_CLASS_SESSIONS; i++)
        if (CRYPTO_memcmp(s->items[i].hash, hash, sizeof(hash)) == 0)
            entry_clear(&s->items[i]);
    pthread_mutex_unlock(&s->lock);
}

void
class_session_end_folder(struct class_sessions *s, const char *folder)
{
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < LIMIT_CLASS_SESSIONS; i++) {
        struct class_session *e = &s->items[i];
        if (!entry_free(e) && e->who.role == CLASS_CHILD && strcmp(e->who.folder, folder) == 0)
            entry_clear(e);
    }
    pthread_mutex_unlock(&s->lock);
}
