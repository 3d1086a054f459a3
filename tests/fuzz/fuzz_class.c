/*
 * fuzz_class.c - the parsers of serve --class that take outside input:
 * class_cookie_value() (the Cookie header), class_body_parse() (the JSON
 * bodies of every class route), class_route_of() (the path),
 * class_origin_ok() (Origin, Host, Sec-Fetch-Site), class_host_ok() (Host)
 * and class_name_fold() (a typed first name).
 *
 * The input is split at its first two NUL bytes into pieces; each piece is
 * tried as each of them. Properties checked besides "no crash": a cookie
 * read is 64 lower-case hex characters; a folded name is 1 to
 * LIMIT_CLASS_CHILD_NAME_CHARS lower-case letters; a route's name has no
 * '/' and does not start with '.'; an accepted Origin starts with the scheme.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "class.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
one(const char *s, size_t len)
{
    char id[CLASS_ID_HEX], name[128], folded[64];
    struct class_body b;
    struct ss_error err;

    if (class_cookie_value(s, id) == CLASS_COOKIE_ONE &&
        (strlen(id) != CLASS_ID_HEX - 1 || strspn(id, "0123456789abcdef") != CLASS_ID_HEX - 1))
        abort();
    for (int r = CLASS_R_JOIN; r <= CLASS_R_SHARE; r++) {
        (void)class_body_parse((enum class_route)r, s, len, &b, &err);
        class_body_cleanup(&b);
    }
    const char *names[] = {"pi.local"};
    (void)class_host_ok(s, names, 1);
    enum class_route r = class_route_of(s, name, sizeof(name));
    if ((r == CLASS_R_FILE || r == CLASS_R_CALL) && (strchr(name, '/') || name[0] == '.'))
        abort();
    if (class_name_fold(s, folded, sizeof(folded)) &&
        (!folded[0] || strlen(folded) > LIMIT_CLASS_CHILD_NAME_CHARS ||
         strspn(folded, "abcdefghijklmnopqrstuvwxyz") != strlen(folded)))
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    one(s, size);
    /* Origin \0 Host \0 Sec-Fetch-Site: the pieces after the NULs. */
    size_t o = strlen(s);
    if (o < size) {
        const char *origin = s;
        const char *host = s + o + 1;
        size_t h = strlen(host);
        const char *site = o + 1 + h < size ? host + h + 1 : NULL;
        bool tls = size % 2 == 0;
        if (class_origin_ok(origin, host, site, tls) &&
            strncmp(origin, tls ? "https://" : "http://", tls ? 8 : 7) != 0)
            abort();
        one(host, h);
    }
    free(s);
    return 0;
}
