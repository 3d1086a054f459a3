/*
 * fuzz_ssml.c - libFuzzer target for the SSML validator and escaper.
 *
 * Input: any bytes. The first byte picks the variant (speech or reprompt,
 * with or without a locale); the rest is the document. Besides "no crash,
 * no leak, no undefined behaviour" it checks the contract: a result of 0 or
 * 1 only, problems exactly when invalid, every message terminated; and that
 * any bytes escaped with ssml_escape() and wrapped in <speak> validate.
 */
#include "ssml.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
check_report(int rc, const struct ssml_report *r)
{
    if (rc != 0 && rc != 1)
        abort();
    if ((rc == 1) != (r->count > 0))
        abort();
    for (int i = 0; i < r->count && i < SSML_MAX_ERRORS; i++)
        if (memchr(r->problems[i].message, '\0', sizeof(r->problems[i].message)) == NULL ||
            r->problems[i].message[0] == '\0' || r->problems[i].line < 0 ||
            r->problems[i].column < 0)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const locales[] = {NULL, "en-US", "ja-JP", "de-DE"};
    struct ssml_report r;

    if (size == 0)
        return 0;
    unsigned mode = data[0];
    const char *doc = (const char *)data + 1;
    size_t len = size - 1;
    enum ssml_where where = (mode & 1) ? SSML_REPROMPT : SSML_SPEECH;

    check_report(ssml_check_locale(doc, len, where, locales[(mode >> 1) & 3], &r), &r);

    /* Escaped text is always valid character data inside <speak>. */
    if (len <= 1000) {
        char *out = malloc(len * 6 + 16);
        if (!out)
            return 0;
        memcpy(out, "<speak>", 7);
        size_t n = ssml_escape(doc, len, out + 7, len * 6 + 1);
        memcpy(out + 7 + n, "</speak>", 8);
        int rc = ssml_check(out, n + 15, SSML_SPEECH, &r);
        check_report(rc, &r);
        if (rc != 0 && n + 15 <= 8000) {
            fprintf(stderr, "escaped text rejected: %s\n", r.problems[0].message);
            abort();
        }
        free(out);
    }
    return 0;
}
