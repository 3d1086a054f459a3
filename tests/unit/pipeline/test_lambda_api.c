/*
 * test_lambda_api.c - the Runtime API client's parser and address reader
 * (lambda_api.h): answers as the API sends them, whole and in pieces, and
 * the answers it must refuse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lambda_api.h"
#include "tap.h"

/* Parse a copy of text (the parser may rewrite a chunked body). */
static int
parse(const char *text, bool eof, struct lambda_api_answer *a, char **copy)
{
    struct ss_error err;
    size_t n = strlen(text);
    free(*copy);
    *copy = malloc(n + 1);
    if (!*copy)
        return -2;
    memcpy(*copy, text, n + 1);
    return lambda_api_parse(*copy, n, eof, a, &err);
}

static void
test_next(void)
{
    struct lambda_api_answer a;
    char *copy = NULL;
    const char *next =
        "HTTP/1.1 200 OK\r\n"
        "Content-Type: application/json\r\n"
        "lambda-runtime-aws-request-id: 8476a536-e9f4-11e8-9739-2dfe598c3fcd\r\n"
        "Lambda-Runtime-Deadline-Ms:   1542409706888  \r\n"
        "Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-2:1:function:f\r\n"
        "Lambda-Runtime-Trace-Id: Root=1-5bef4de7-ad49b0e87f6ef6c8;Sampled=1\r\n"
        "Content-Length: 13\r\n"
        "\r\n"
        "{\"event\": 1}\n";
    is_int(parse(next, false, &a, &copy), 1, "a next answer with Content-Length is complete");
    is_int(a.status, 200, "its status");
    is_str(a.request_id, "8476a536-e9f4-11e8-9739-2dfe598c3fcd", "the request id, any case");
    ok(a.deadline_ms == 1542409706888LL, "the deadline, trimmed");
    is_str(a.trace_id, "Root=1-5bef4de7-ad49b0e87f6ef6c8;Sampled=1", "the trace id");
    is_str(a.function_arn, "arn:aws:lambda:us-east-2:1:function:f", "the ARN");
    ok(a.len == 13 && memcmp(a.body, "{\"event\": 1}\n", 13) == 0, "the body");

    /* Every prefix needs more; none is complete early or refused. */
    size_t n = strlen(next);
    int early = 0;
    for (size_t cut = 0; cut < n; cut++) {
        char *part = strndup(next, cut);
        if (!part || parse(part, false, &a, &copy) != 0)
            early++;
        free(part);
    }
    is_int(early, 0, "every prefix of it needs more");

    const char *chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                          "Lambda-Runtime-Aws-Request-Id: abc\r\n\r\n"
                          "4;x=y\r\n{\"a\"\r\n2\r\n:1\r\n1\r\n}\r\n0\r\nTrailer: t\r\n\r\n";
    is_int(parse(chunked, false, &a, &copy), 1, "a chunked body is complete at its last chunk");
    ok(a.len == 7 && memcmp(a.body, "{\"a\":1}", 7) == 0, "and decoded in place");
    char *cut = strndup(chunked, strlen(chunked) - 4);
    is_int(parse(cut, false, &a, &copy), 0, "a chunked body without its end needs more");
    is_int(parse(cut, true, &a, &copy), -1, "and is refused when the connection closed");
    free(cut);

    const char *to_end =
        "HTTP/1.0 202 Accepted\nContent-Type: application/json\n\n{\"status\":\"OK\"}";
    is_int(parse(to_end, false, &a, &copy), 0, "a body without a length runs to the end");
    is_int(parse(to_end, true, &a, &copy), 1, "which the closed connection marks");
    is_int(a.status, 202, "202 Accepted");
    ok(a.len == 15, "its body");
    free(copy);
}

static void
test_refused(void)
{
    static const char *const bad[] = {
        "HTTP/2 200 OK\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 100 Continue\r\n\r\n",
        "SSH-2.0-OpenSSH\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7fffffff\r\nabc",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: ../../init/error\r\n\r\n",
        /* Two ids (one string, split over two lines). */
        ("HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: a\r\n"
         "Lambda-Runtime-Aws-Request-Id: b\r\n\r\n"),
        "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id:\r\n\r\n",
        "HTTP/1.1 200 OK\r\nLambda-Runtime-Trace-Id: Root=\"x\"\r\n\r\n",
        "HTTP/1.1 200 OK\r\nLambda-Runtime-Deadline-Ms: soon\r\n\r\n",
        "HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX: a\x01b\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
        "",
    };
    struct lambda_api_answer a;
    char *copy = NULL;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        is_int(parse(bad[i], true, &a, &copy), -1, "refused: bad answer %zu", i);
    free(copy);

    /* A head that never ends is refused once it passes the limit. */
    size_t n = LIMIT_LAMBDA_HEAD_BYTES + 100;
    char *long_head = malloc(n + 1);
    ok(long_head != NULL, "memory");
    if (long_head) {
        memcpy(long_head, "HTTP/1.1 200 OK\r\nX: ", 20);
        memset(long_head + 20, 'a', n - 20);
        long_head[n] = '\0';
        struct ss_error err;
        is_int(lambda_api_parse(long_head, n, false, &a, &err), -1, "an endless head: %s", err.msg);
        free(long_head);
    }
}

static void
test_address(void)
{
    struct lambda_api api;
    struct ss_error err;
    is_int(lambda_api_init(&api, "127.0.0.1:9001", -1, &err), SS_ERR_OK, "host:port");
    is_str(api.host, "127.0.0.1", "its host");
    is_str(api.port, "9001", "its port");
    is_int(lambda_api_init(&api, "[::1]:9001", -1, &err), SS_ERR_OK, "[v6]:port");
    is_str(api.host, "::1", "without brackets");
    is_int(lambda_api_init(&api, "localhost", -1, &err), SS_ERR_OK, "a host alone");
    is_str(api.port, "80", "port 80, as in a URL");
    static const char *const bad[] = {"",       "::1:9001",   "[::1",       "[::1]x",
                                      "host:0", "host:65536", "host:9001x", "ho st:1",
                                      "h/x:1",  ":9001",      NULL};
    for (size_t i = 0; bad[i]; i++)
        is_int(lambda_api_init(&api, bad[i], -1, &err), SS_ERR_USAGE, "refused: '%s'", bad[i]);
    is_int(lambda_api_init(&api, NULL, -1, &err), SS_ERR_USAGE, "unset");
    ok(strstr(err.msg, "AWS_LAMBDA_RUNTIME_API is not set") != NULL, "says so: %s", err.msg);
}

static void
test_error_body(void)
{
    char *body = lambda_api_error_body("it broke", "Runtime.X", "line 1\nline 2\n");
    is_str(body,
           "{\"errorMessage\":\"it broke\",\"errorType\":\"Runtime.X\",\"stackTrace\":[\"line 1\","
           "\"line 2\"]}",
           "an ErrorRequest with the stack split into lines");
    free(body);
    body = lambda_api_error_body("m", "T", NULL);
    is_str(body, "{\"errorMessage\":\"m\",\"errorType\":\"T\",\"stackTrace\":[]}",
           "no stack: an empty list");
    free(body);
}

int
main(void)
{
    test_next();
    test_refused();
    test_address();
    test_error_body();
    return tap_done();
}
