/*
 * fuzz_verify_url.c - the verify module's parsers of outside header text:
 * SignatureCertChainUrl (verify_chain_url), request.timestamp
 * (verify_parse_timestamp, verify_timestamp) and the base64 of the
 * signature headers (verify_base64_decode).
 *
 * Besides "no crash", it checks properties: an accepted URL is normalised
 * (https://s3.amazonaws.com/echo.api/..., no dot segments, no port) and
 * checking the normalised URL again gives the same URL; a decoded signature
 * has the length its base64 implies.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "verify.h"

static void
check_url(const char *text)
{
    char out[VERIFY_URL_MAX], again[VERIFY_URL_MAX];
    enum verify_reason reason;
    struct ss_error err;

    if (verify_chain_url(text, out, &reason, &err) != SS_ERR_OK) {
        if (reason != VERIFY_R_CERT_URL_INVALID && reason != VERIFY_R_CERT_URL_MISSING)
            abort();
        return;
    }
    if (strncmp(out, "https://s3.amazonaws.com/echo.api/", 34) != 0)
        abort();
    if (strstr(out, "/./") || strstr(out, "/../"))
        abort();
    size_t n = strlen(out);
    if (n > strlen(text))
        abort();
    if (verify_chain_url(out, again, &reason, &err) != SS_ERR_OK || strcmp(out, again) != 0)
        abort();
}

static void
check_base64(const char *text)
{
    unsigned char buf[LIMIT_VERIFY_SIGNATURE_CHARS];
    long n = verify_base64_decode(text, buf, sizeof(buf));
    if (n < 0)
        return;
    size_t len = strlen(text), pad = 0;
    if (len >= 1 && text[len - 1] == '=')
        pad++;
    if (len >= 2 && text[len - 2] == '=')
        pad++;
    if ((size_t)n != len / 4 * 3 - pad)
        abort();
}

static void
check_timestamp(const char *text)
{
    time_t t;
    enum verify_reason reason;
    struct ss_error err;
    bool parsed = verify_parse_timestamp(text, &t);
    enum ss_err rc = verify_timestamp(text, "IntentRequest", parsed ? t : 0, &reason, &err);
    /* A timestamp that parses is always within tolerance of itself. */
    if (parsed && rc != SS_ERR_OK)
        abort();
    if (!parsed && rc == SS_ERR_OK)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Header values arrive as C strings; a NUL ends them. */
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    check_url(text);
    check_base64(text);
    check_timestamp(text);
    free(text);
    return 0;
}
