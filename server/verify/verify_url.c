/*
 * verify_url.c - the pure string parsers of the verify module: the
 * SignatureCertChainUrl rules (spec §3), the request timestamp (spec §7) and
 * strict base64 (spec §6.4).
 *
 * Everything here reads outside input and is fuzzed (tests/fuzz/fuzz_verify_url.c):
 * no allocation, no locale, every length bounded before it is used.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "verify_internal.h"

#define AMAZON_HOST "s3.amazonaws.com"
#define AMAZON_PREFIX "/echo.api/"

/*
 * RFC 3986 §5.2.4 remove_dot_segments. in is a writable copy of the path
 * (the algorithm rewrites "/." and "/.." at the end into "/"); out has room
 * for strlen(in) + 1 bytes, which is enough because the output never grows.
 */
static void
remove_dot_segments(char *in, char *out)
{
    size_t o = 0;
    char *p = in;

    while (*p) {
        if (strncmp(p, "../", 3) == 0) {
            p += 3; /* A */
        } else if (strncmp(p, "./", 2) == 0) {
            p += 2; /* A */
        } else if (strncmp(p, "/./", 3) == 0) {
            p += 2; /* B: "/./x" -> "/x" */
        } else if (strcmp(p, "/.") == 0) {
            p[1] = '/'; /* B: "/." -> "/" */
            p += 1;
        } else if (strncmp(p, "/../", 4) == 0 || strcmp(p, "/..") == 0) {
            /* C: drop the last output segment with its slash. */
            if (p[3] == '\0') {
                p[2] = '/';
                p += 2;
            } else {
                p += 3;
            }
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--;
        } else if (strcmp(p, ".") == 0 || strcmp(p, "..") == 0) {
            p += strlen(p); /* D */
        } else {
            /* E: move the first segment, with its leading slash if any. */
            if (*p == '/')
                out[o++] = *p++;
            while (*p && *p != '/')
                out[o++] = *p++;
        }
    }
    out[o] = '\0';
}

static enum ss_err
url_invalid(struct ss_error *err, enum verify_reason *reason, const char *why)
{
    return verify_fail(err, reason, SS_ERR_VERIFY, VERIFY_R_CERT_URL_INVALID,
                       "SignatureCertChainUrl rejected: %s", why);
}

enum ss_err
verify_chain_url(const char *url, char out[VERIFY_URL_MAX], enum verify_reason *reason,
                 struct ss_error *err)
{
    char path[VERIFY_URL_MAX];
    char norm[VERIFY_URL_MAX];

    out[0] = '\0';
    if (!url || !*url)
        return verify_fail(err, reason, SS_ERR_VERIFY, VERIFY_R_CERT_URL_MISSING,
                           "SignatureCertChainUrl header is missing or empty");
    size_t len = strnlen(url, LIMIT_VERIFY_URL_CHARS + 1);
    if (len > LIMIT_VERIFY_URL_CHARS)
        return url_invalid(err, reason, "longer than the limit");

    /* Characters no Amazon URL has. Percent escapes are refused rather than
     * decoded (spec §3.2 policy): "%2e%2e" must not become "..". Query and
     * fragment are refused because Amazon never sends them. */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)url[i];
        if (c <= 0x20 || c >= 0x7f)
            return url_invalid(err, reason, "contains a space, control or non-ASCII byte");
        if (c == '%')
            return url_invalid(err, reason, "percent escapes are not accepted");
        if (c == '\\')
            return url_invalid(err, reason, "contains a backslash");
        if (c == '?')
            return url_invalid(err, reason, "has a query");
        if (c == '#')
            return url_invalid(err, reason, "has a fragment");
    }

    if (strncasecmp(url, "https://", 8) != 0)
        return url_invalid(err, reason, "scheme is not https");

    const char *auth = url + 8;
    const char *auth_end = strchr(auth, '/');
    if (!auth_end)
        auth_end = url + len;
    if (memchr(auth, '@', (size_t)(auth_end - auth)))
        return url_invalid(err, reason, "has user information");

    const char *colon = memchr(auth, ':', (size_t)(auth_end - auth));
    const char *host_end = colon ? colon : auth_end;
    size_t host_len = (size_t)(host_end - auth);
    if (host_len != strlen(AMAZON_HOST) || strncasecmp(auth, AMAZON_HOST, host_len) != 0)
        return url_invalid(err, reason, "host is not s3.amazonaws.com");

    if (colon) {
        const char *port = colon + 1;
        size_t port_len = (size_t)(auth_end - port);
        /* An empty port is legal RFC 3986 but refused (spec §3.2 policy). */
        if (port_len == 0)
            return url_invalid(err, reason, "port is empty");
        unsigned long value = 0;
        for (size_t i = 0; i < port_len; i++) {
            if (port[i] < '0' || port[i] > '9' || i >= 5)
                return url_invalid(err, reason, "port is not a number");
            value = value * 10 + (unsigned long)(port[i] - '0');
        }
        if (value != 443)
            return url_invalid(err, reason, "port is not 443");
    }

    if (*auth_end != '/')
        return url_invalid(err, reason, "has no path");
    memcpy(path, auth_end, len - (size_t)(auth_end - url) + 1);
    remove_dot_segments(path, norm);
    if (strncmp(norm, AMAZON_PREFIX, strlen(AMAZON_PREFIX)) != 0)
        return url_invalid(err, reason, "path does not start with /echo.api/ once normalised");

    /* The output is never longer than the input ("https://" and the host
     * keep their length, a port and dot segments only go away). */
    static const char base[] = "https://" AMAZON_HOST;
    size_t norm_len = strlen(norm);
    if (sizeof(base) - 1 + norm_len >= VERIFY_URL_MAX)
        return url_invalid(err, reason, "longer than the limit");
    memcpy(out, base, sizeof(base) - 1);
    memcpy(out + sizeof(base) - 1, norm, norm_len + 1);
    return SS_ERR_OK;
}

int64_t
verify_utc_seconds(int64_t year, int mon, int day, int hour, int min, int sec)
{
    /* Days from 1970-01-01 to the date, by H. Hinnant's days_from_civil:
     * exact for every proleptic Gregorian date, no table, no time zone. */
    int64_t y = year - (mon <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (mon > 2 ? mon - 3 : mon + 9) + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    return days * 86400 + hour * 3600 + min * 60 + sec;
}

/* n decimal digits at s, or -1. */
static int
digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static bool
leap_year(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool
verify_parse_timestamp(const char *text, time_t *out)
{
    static const int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (!text || strnlen(text, 20) < 20)
        return false;
    /* "YYYY-MM-DDTHH:MM:SS": the separators sit at fixed places. */
    if (text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':')
        return false;
    int year = digits(text, 4), mon = digits(text + 5, 2), day = digits(text + 8, 2);
    int hour = digits(text + 11, 2), min = digits(text + 14, 2), sec = digits(text + 17, 2);
    if (year < 0 || mon < 1 || mon > 12 || day < 1 || hour < 0 || hour > 23 || min < 0 ||
        min > 59 || sec < 0 || sec > 60)
        return false;
    int mdays = month_days[mon - 1] + (mon == 2 && leap_year(year));
    if (day > mdays)
        return false;

    const char *p = text + 19;
    if (*p == '.') {
        /* The fraction is dropped: the tolerance is in whole seconds. */
        int n = 0;
        for (p++; *p >= '0' && *p <= '9'; p++)
            if (++n > 9)
                return false;
        if (n == 0)
            return false;
    }

    int64_t offset = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1;
        int oh = digits(p + 1, 2);
        if (oh < 0)
            return false;
        const char *m = p + 3;
        if (*m == ':')
            m++;
        int om = digits(m, 2);
        if (om < 0 || oh > 23 || om > 59)
            return false;
        /* Local time = UTC + offset, so UTC = local - offset. */
        offset = sign * (oh * 3600 + om * 60);
        p = m + 2;
    } else {
        return false;
    }
    if (*p != '\0')
        return false;

    *out = (time_t)(verify_utc_seconds(year, mon, day, hour, min, sec) - offset);
    return true;
}

/* The value of each base64 character: 0..63, 64 for '=', 255 for anything
 * else (a table: the signature is 344 characters on every request). */
#define B64_PAD 64
#define B64_BAD 255
static unsigned char b64_table[256];
static pthread_once_t b64_once = PTHREAD_ONCE_INIT;

static void
b64_table_init(void)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    memset(b64_table, B64_BAD, sizeof(b64_table));
    for (unsigned i = 0; i < 64; i++)
        b64_table[(unsigned char)alphabet[i]] = (unsigned char)i;
    b64_table['='] = B64_PAD;
}

long
verify_base64_decode(const char *text, unsigned char *out, size_t cap)
{
    if (!text)
        return -1;
    size_t len = strnlen(text, LIMIT_VERIFY_SIGNATURE_CHARS + 1);
    if (len == 0 || len > LIMIT_VERIFY_SIGNATURE_CHARS || len % 4 != 0)
        return -1;

    if (pthread_once(&b64_once, b64_table_init) != 0)
        return -1;
    const unsigned char *in = (const unsigned char *)text;
    /* Every group but the last is four alphabet characters, three bytes. */
    size_t full = len - 4, o = 0;
    if (full / 4 * 3 > cap)
        return -1;
    for (size_t i = 0; i < full; i += 4) {
        unsigned a = b64_table[in[i]], b = b64_table[in[i + 1]], c = b64_table[in[i + 2]],
                 d = b64_table[in[i + 3]];
        if ((a | b | c | d) > 63)
            return -1;
        uint32_t bits = a << 18 | b << 12 | c << 6 | d;
        out[o++] = (unsigned char)(bits >> 16);
        out[o++] = (unsigned char)(bits >> 8);
        out[o++] = (unsigned char)bits;
    }
    /* The last: '=' only in its last two places, and never "x=y". */
    unsigned v[4];
    for (int k = 0; k < 4; k++)
        v[k] = b64_table[in[full + k]];
    if (v[0] > 63 || v[1] > 63 || v[2] == B64_BAD || v[3] == B64_BAD)
        return -1;
    if (v[2] == B64_PAD && v[3] != B64_PAD)
        return -1;
    size_t n = v[2] == B64_PAD ? 1 : v[3] == B64_PAD ? 2 : 3;
    if (o + n > cap)
        return -1;
    uint32_t bits = v[0] << 18 | v[1] << 12 | (v[2] & 63) << 6 | (v[3] & 63);
    out[o++] = (unsigned char)(bits >> 16);
    if (n > 1)
        out[o++] = (unsigned char)(bits >> 8);
    if (n > 2)
        out[o++] = (unsigned char)bits;
    return (long)o;
}
