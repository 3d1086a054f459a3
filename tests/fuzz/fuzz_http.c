/*
 * fuzz_http.c - the front's parsers of request heads and its log escaping:
 * http_host_is_loopback() and http_origin_is_loopback() (the Host and
 * Origin rules of the unverified routes), http_content_type_is_json(), the
 * framing rules (http_framing_add(), http_framing_problem()) and
 * log_escape(), which every client string passes on its way to the log.
 *
 * The input is a head: lines "Name: value" (LF or CRLF). Each line feeds the
 * framing rules, and each value is also tried as a Host, an Origin and a
 * Content-Type and escaped in both modes. Properties checked besides "no
 * crash": an accepted Host names localhost, 127.x or a bracketed address; an
 * escaped string has no control byte (but tabs in text mode) and is UTF-8,
 * and in JSON mode it is a JSON string that jansson reads back.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* No control byte (a tab only where tab_ok), and well-formed UTF-8 (jansson
 * checks that part). */
static void
check_clean(const char *s, size_t len, bool tab_ok)
{
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] < 0x20 && !(tab_ok && s[i] == '\t')) ||
            (unsigned char)s[i] == 0x7f)
            abort();
    if (strlen(s) != len)
        abort();
}

static void
check_value(const char *value)
{
    char out[1024], quoted[1040];

    if (http_host_is_loopback(value)) {
        if (strncasecmp(value, "localhost", 9) != 0 && strncmp(value, "127.", 4) != 0 &&
            value[0] != '[')
            abort();
    }
    if (http_origin_is_loopback(value) && strncasecmp(value, "http", 4) != 0)
        abort();
    (void)http_content_type_is_json(value);

    size_t n = log_escape(out, sizeof(out), value, 160, LOG_ESCAPE_TEXT);
    check_clean(out, n, true);
    n = log_escape(out, sizeof(out), value, 160, LOG_ESCAPE_JSON);
    check_clean(out, n, false);
    quoted[0] = '[';
    quoted[1] = '"';
    memcpy(quoted + 2, out, n);
    memcpy(quoted + 2 + n, "\"]", 3);
    json_error_t jerr;
    json_t *doc = json_loads(quoted, 0, &jerr);
    if (!json_is_array(doc) || !json_is_string(json_array_get(doc, 0)))
        abort();
    json_decref(doc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct http_framing f;
    char *head = malloc(size + 1);

    if (!head)
        return 0;
    memcpy(head, data, size);
    head[size] = '\0';
    memset(&f, 0, sizeof(f));
    char *save = NULL;
    for (char *line = strtok_r(head, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        size_t len = strlen(line);
        if (len > 0 && line[len - 1] == '\r')
            line[len - 1] = '\0';
        char *colon = strchr(line, ':');
        const char *value = "";
        if (colon) {
            *colon = '\0';
            value = colon + 1;
            while (*value == ' ' || *value == '\t')
                value++;
        }
        http_framing_add(&f, line, value);
        check_value(value);
        if (colon)
            *colon = ':';
        check_value(line);
    }
    const char *problem = http_framing_problem(&f, size > 0 && data[0] == '0');
    if (problem && !*problem)
        abort();
    /* Contradictory lengths are always refused. */
    if (f.content_lengths > 1 && !problem)
        abort();
    if (f.content_lengths && f.transfer_encodings && !problem)
        abort();
    free(head);
    return 0;
}
