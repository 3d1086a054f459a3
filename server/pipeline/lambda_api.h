/*
 * lambda_api.h - a client of the AWS Lambda Runtime API (version
 * 2018-06-01), for `skillserver lambda`.
 *
 * The Runtime API is plain HTTP/1.1 on the address in AWS_LAMBDA_RUNTIME_API
 * ("host:port", on the same machine as the runtime). This client speaks it
 * over a socket of its own: one connection per exchange ("Connection:
 * close"), a GET that may wait as long as Lambda has no event for it (the
 * API's `next` is a blocking, iterator-style call), and POSTs whose answer
 * is expected at once. libcurl is not used: a Lambda image would have to
 * carry it and its twenty libraries for three plain-HTTP calls on loopback,
 * and here every byte of the answer passes one parser that a fuzz target
 * (tests/fuzz/fuzz_lambda_api.c) covers.
 *
 * What must stay true: an answer is read within LIMIT_LAMBDA_HEAD_BYTES of
 * head and LIMIT_LAMBDA_EVENT_BYTES of body, whatever the peer sends; a
 * header that ends up in a URL (the request id) or in the skill's
 * environment (the trace id) is checked character by character; nothing
 * here blocks past the caller's stop descriptor becoming readable.
 */
#ifndef SKILLSERVER_LAMBDA_API_H
#define SKILLSERVER_LAMBDA_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"
#include "ss_limits.h"

/* The path prefix of every call. */
#define LAMBDA_API_BASE "/2018-06-01/runtime"

/* The content type of an error report (the API's ErrorRequest). */
#define LAMBDA_API_ERROR_TYPE "application/vnd.aws.lambda.error+json"

struct lambda_api {
    char host[256]; /* a name or an address, without IPv6's brackets */
    char port[8];
    int stop_fd; /* -1, or a descriptor whose becoming readable ends any wait */
};

/*
 * address is AWS_LAMBDA_RUNTIME_API: "host:port", "[v6]:port"; a missing
 * port is 80, as in a URL. Errors: SS_ERR_USAGE with a sentence saying what
 * is wrong with it.
 */
enum ss_err lambda_api_init(struct lambda_api *api, const char *address, int stop_fd,
                            struct ss_error *err);

/* One parsed answer of the Runtime API. The strings are "" when the header
 * was absent; body points into the buffer the answer was parsed in. */
struct lambda_api_answer {
    int status;
    char request_id[LIMIT_LAMBDA_ID_CHARS + 1];  /* Lambda-Runtime-Aws-Request-Id */
    char trace_id[LIMIT_LAMBDA_TRACE_CHARS + 1]; /* Lambda-Runtime-Trace-Id */
    char function_arn[256];                      /* Lambda-Runtime-Invoked-Function-Arn */
    int64_t deadline_ms;                         /* Lambda-Runtime-Deadline-Ms; 0: absent */
    char *body;
    size_t len;
};

/*
 * Parse buf[0..len), all that was read of one answer so far (eof: the peer
 * closed the connection after it). Returns 1 when the answer is complete
 * (out filled; a chunked body is decoded in place, so buf changes then),
 * 0 when more must be read, -1 when it is not an answer this client
 * accepts (err, SS_ERR_IO, says why): a bad status line, a malformed,
 * repeated or oversized header, conflicting lengths, bad chunks, a body
 * over LIMIT_LAMBDA_EVENT_BYTES, a request id with characters other than
 * letters, digits and "-_.:", a trace id that is not printable ASCII
 * without quotes or backslashes, a deadline that is not a number of
 * milliseconds. Never reads outside buf[0..len).
 */
int lambda_api_parse(char *buf, size_t len, bool eof, struct lambda_api_answer *out,
                     struct ss_error *err);

/* An exchange's outcome: the answer and the buffer it lives in. */
struct lambda_api_reply {
    struct buf raw;
    struct lambda_api_answer answer;
    bool stopped; /* the stop descriptor became readable; no answer */
};

/*
 * One request: method and path (under LAMBDA_API_BASE), extra header lines
 * ("Name: value\r\n" each, or NULL), and a body (NULL: none). Waits up to
 * timeout_ms for the whole answer (-1: as long as it takes). Fills reply
 * (release with lambda_api_reply_cleanup(), also on failure). Errors:
 * SS_ERR_IO when the API cannot be reached, closes early, does not answer
 * in time or answers something lambda_api_parse() refuses; the message says
 * which. Any HTTP status is SS_ERR_OK: the caller judges it.
 */
enum ss_err lambda_api_call(const struct lambda_api *api, const char *method, const char *path,
                            const char *headers, const char *body, size_t len, int timeout_ms,
                            struct lambda_api_reply *reply, struct ss_error *err);

void lambda_api_reply_cleanup(struct lambda_api_reply *reply);

/*
 * The body of an error report, {"errorMessage", "errorType", "stackTrace"}
 * (stack may be NULL: an empty list; else lines split at '\n'), as a
 * malloc'd JSON text; NULL when out of memory.
 */
char *lambda_api_error_body(const char *message, const char *type, const char *stack);

#endif
