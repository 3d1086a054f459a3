/*
 * fuzz_lambda_api.c - the Runtime API client's parser of what the API
 * answers (lambda_api_parse()), its reader of AWS_LAMBDA_RUNTIME_API
 * (lambda_api_init()) and its writer of error reports
 * (lambda_api_error_body()).
 *
 * The input is one answer as the socket delivered it, in a buffer of
 * exactly its size, so that reading past it is caught. Properties checked
 * besides "no crash": a complete answer has a status from 200 to 599, a body
 * inside the buffer and within Lambda's 6 MB, a request id of letters,
 * digits and "-_.:" only, and a trace id of printable ASCII without quotes
 * or backslashes; an answer complete before the end of the connection is
 * the same answer at its end; every prefix of the input either needs more,
 * or is refused, or is complete. An error report is NULL or a JSON object
 * with the three documented members.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lambda_api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_answer(const char *buf, size_t size, const struct lambda_api_answer *a)
{
    if (a->status < 200 || a->status > 599)
        abort();
    if (a->body < buf || a->body > buf + size || a->len > (size_t)(buf + size - a->body) ||
        a->len > LIMIT_LAMBDA_EVENT_BYTES)
        abort();
    for (const char *c = a->request_id; *c; c++)
        if (!strchr("-_.:", *c) && !(*c >= '0' && *c <= '9') && !(*c >= 'a' && *c <= 'z') &&
            !(*c >= 'A' && *c <= 'Z'))
            abort();
    for (const char *c = a->trace_id; *c; c++)
        if (*c < 0x20 || *c > 0x7e || *c == '"' || *c == '\\')
            abort();
    if (a->deadline_ms < 0)
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lambda_api_answer a, b;
    struct ss_error err;
    char *buf = malloc(size ? size : 1);
    char *text = malloc(size + 1);
    if (!buf || !text)
        abort();

    memcpy(buf, data, size);
    int open_r = lambda_api_parse(buf, size, false, &a, &err);
    if (open_r == 1) {
        check_answer(buf, size, &a);
        size_t len = a.len;
        /* Parsing again after the end of the connection: the same answer. A
         * chunked body was decoded in place, so parse a fresh copy. */
        memcpy(buf, data, size);
        if (lambda_api_parse(buf, size, true, &b, &err) != 1 || b.len != len ||
            b.status != a.status || strcmp(a.request_id, b.request_id) != 0)
            abort();
    }
    memcpy(buf, data, size);
    int r = lambda_api_parse(buf, size, true, &a, &err);
    if (r == 1)
        check_answer(buf, size, &a);
    else if (r != -1)
        abort(); /* at the end of the connection nothing more can come */

    /* A few prefixes, as reads would deliver them. */
    for (size_t cut = 0; cut < size; cut += 1 + size / 8) {
        memcpy(buf, data, size);
        int p = lambda_api_parse(buf, cut, false, &a, &err);
        if (p == 1)
            check_answer(buf, cut, &a);
        else if (p != 0 && p != -1)
            abort();
    }

    memcpy(text, data, size);
    text[size] = '\0';
    struct lambda_api api;
    if (lambda_api_init(&api, text, -1, &err) == SS_ERR_OK) {
        char *end;
        long port = strtol(api.port, &end, 10);
        if (!api.host[0] || *end || port < 1 || port > 65535)
            abort();
    }
    char *report = lambda_api_error_body(text, "Fuzz.Type", text);
    if (report) {
        json_t *j = json_loads(report, 0, NULL);
        if (!json_is_object(j) || !json_is_string(json_object_get(j, "errorMessage")) ||
            !json_is_string(json_object_get(j, "errorType")) ||
            !json_is_array(json_object_get(j, "stackTrace")))
            abort();
        json_decref(j);
        free(report);
    }
    free(text);
    free(buf);
    return 0;
}
