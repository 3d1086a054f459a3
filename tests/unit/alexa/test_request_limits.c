/*
 * test_request_limits.c - the request module's limits (server/base/ss_limits.h):
 * the longest ids it keeps and one more refused, the body size, and the
 * nesting depth of the JSON.
 */

#include "request_test.h"

static char *
repeat(const char *unit, size_t n)
{
    size_t u = strlen(unit);
    char *s = malloc(u * n + 1);
    if (!s)
        return NULL;
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * u, unit, u);
    s[u * n] = '\0';
    return s;
}

static void
test_limits(void)
{
    struct request r;
    struct ss_error err;
    char *id, *body, msg[256];
    size_t len;
    enum ss_err rc;

    /* userId and personId: 255 characters, not bytes. */
    id = repeat("a", LIMIT_USER_ID_CHARS);
    is_int(parse_edited_view("launch.json", "context.System.user.userId", json_string(id), &r),
           SS_ERR_OK, "userId of %d characters accepted", LIMIT_USER_ID_CHARS);
    is_int(strlen(r.user_id ? r.user_id : ""), LIMIT_USER_ID_CHARS, "long userId kept whole");
    request_cleanup(&r);
    free(id);
    id = repeat("a", LIMIT_USER_ID_CHARS + 1);
    snprintf(msg, sizeof(msg), "context.System.user.userId is longer than %d characters",
             LIMIT_USER_ID_CHARS);
    expect_edit("launch.json", "context.System.user.userId", json_string(id), SS_ERR_FIELD, msg);
    snprintf(msg, sizeof(msg), "session.user.userId is longer than %d characters",
             LIMIT_USER_ID_CHARS);
    expect_edit("launch.json", "session.user.userId", json_string(id), SS_ERR_FIELD, msg);
    snprintf(msg, sizeof(msg), "context.System.person.personId is longer than %d characters",
             LIMIT_USER_ID_CHARS);
    expect_edit("launch.json", "context.System.person", json_pack("{s:s}", "personId", id),
                SS_ERR_FIELD, msg);
    free(id);
    id = repeat("\xc3\xa9", LIMIT_USER_ID_CHARS); /* 255 x U+00E9: 510 bytes */
    expect_edit("launch.json", "context.System.user.userId", json_string(id), SS_ERR_OK, "");
    free(id);
    id = repeat("\xc3\xa9", LIMIT_USER_ID_CHARS + 1);
    snprintf(msg, sizeof(msg), "context.System.user.userId is longer than %d characters",
             LIMIT_USER_ID_CHARS);
    expect_edit("launch.json", "context.System.user.userId", json_string(id), SS_ERR_FIELD, msg);
    free(id);

    /* Body size: LIMIT_BODY_BYTES passes (padded with spaces), one more does not. */
    body = fixture_text("launch.json", &len);
    ok(body != NULL, "launch.json read");
    if (body) {
        char *big = malloc(LIMIT_BODY_BYTES + 1);
        ok(big != NULL, "big buffer");
        if (big) {
            memcpy(big, body, len);
            memset(big + len, ' ', LIMIT_BODY_BYTES + 1 - len);
            rc = request_parse(&r, big, LIMIT_BODY_BYTES, &err);
            is_int(rc, SS_ERR_OK, "body of exactly LIMIT_BODY_BYTES accepted");
            request_cleanup(&r);
            rc = request_parse(&r, big, LIMIT_BODY_BYTES + 1, &err);
            is_int(rc, SS_ERR_TOO_LARGE, "body over LIMIT_BODY_BYTES is SS_ERR_TOO_LARGE");
            contains(err.msg, "more than the 131072 allowed", "too large message");
            ok(r.root == NULL, "too large: view empty");
            free(big);
        }
        /* A buffer with no NUL after it: request_parse must not read past len. */
        char *exact = malloc(len);
        if (exact) {
            memcpy(exact, body, len);
            is_int(request_parse(&r, exact, len, NULL), SS_ERR_OK,
                   "body without a trailing NUL parses");
            free(exact);
            is_str(r.type_name, "LaunchRequest", "strings borrow from the document, not the body");
            request_cleanup(&r);
        }
        free(body);
    }
}

/* "{"version":"1.0","context":{},"request":{...},"session":{... attributes: X}}" with X
 * nested `levels` arrays deep. */
static char *
nested(int levels, const char *inner)
{
    char *open = repeat("[", (size_t)levels), *close = repeat("]", (size_t)levels);
    char *out = NULL;
    if (open && close &&
        asprintf(&out,
                 "{\"version\":\"1.0\",\"context\":{},\"request\":{\"type\":\"LaunchRequest\","
                 "\"requestId\":\"r\"},\"session\":{\"new\":true,\"sessionId\":\"s\","
                 "\"attributes\":{\"deep\":%s%s%s}}}",
                 open, inner, close) < 0)
        out = NULL;
    free(open);
    free(close);
    return out;
}

static void
test_depth(void)
{
    struct request r;
    struct ss_error err;
    /* root{ session{ attributes{ = 3 levels before the arrays. */
    char *ok_body = nested(LIMIT_JSON_DEPTH - 3, "1");
    char *deep_body = nested(LIMIT_JSON_DEPTH - 2, "1");
    char *huge = nested(60000, "1"); /* 120 KB: under the body limit */
    char *strings = nested(LIMIT_JSON_DEPTH - 3, "\"[[[[{{{{\\\"[[[[\\\\\"");
    char *escaped = nested(1, "\"\\\\\\\\\"");

    ok(ok_body && deep_body && huge && strings && escaped, "nested bodies built");
    is_int(parse_str(ok_body ? ok_body : "", &r, &err), SS_ERR_OK,
           "nesting of exactly LIMIT_JSON_DEPTH accepted");
    request_cleanup(&r);
    is_int(parse_str(deep_body ? deep_body : "", &r, &err), SS_ERR_JSON,
           "nesting of LIMIT_JSON_DEPTH + 1 rejected");
    contains(err.msg, "nests deeper than 64 levels", "depth message");
    is_int(parse_str(huge ? huge : "", &r, &err), SS_ERR_JSON,
           "60000 levels rejected without a crash");
    is_int(parse_str(strings ? strings : "", &r, &err), SS_ERR_OK,
           "brackets and escaped quotes inside strings do not count");
    request_cleanup(&r);
    is_int(parse_str(escaped ? escaped : "", &r, &err), SS_ERR_OK,
           "an even run of backslashes ends a string");
    request_cleanup(&r);
    is_int(parse_str("{\"a\":\"[[[[", &r, &err), SS_ERR_JSON, "unterminated string rejected");
    is_int(parse_str("]]]]}}}}{\"a\":1}", &r, &err), SS_ERR_JSON,
           "unbalanced closers rejected by the parser");
    free(ok_body);
    free(deep_body);
    free(huge);
    free(strings);
    free(escaped);
}

int
main(void)
{
    test_limits();
    test_depth();
    return tap_done();
}
