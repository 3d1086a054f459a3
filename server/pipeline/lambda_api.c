/*
 * lambda_api.c - the Runtime API client (lambda_api.h): its address, one
 * HTTP/1.1 exchange per call, and the parser of what the API answers.
 */
#include "lambda_api.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto.h"

#ifndef SKILLSERVER_VERSION
#define SKILLSERVER_VERSION "unknown"
#endif

/* Bytes read from the socket at a time. */
#define READ_CHUNK (64 * 1024)

enum ss_err
lambda_api_init(struct lambda_api *api, const char *address, int stop_fd, struct ss_error *err)
{
    const char *host = address, *port = NULL;
    size_t host_len;

    memset(api, 0, sizeof(*api));
    api->stop_fd = stop_fd;
    if (!address || !address[0])
        return ss_fail(err, SS_ERR_USAGE,
                       "AWS_LAMBDA_RUNTIME_API is not set: `skillserver lambda` runs inside "
                       "AWS Lambda, which sets it to the Runtime API's address (host:port)");
    if (address[0] == '[') {
        const char *close = strchr(address, ']');
        if (!close || (close[1] && close[1] != ':'))
            goto bad;
        host = address + 1;
        host_len = (size_t)(close - host);
        port = close[1] ? close + 2 : NULL;
    } else {
        const char *colon = strchr(address, ':');
        if (colon && strchr(colon + 1, ':'))
            goto bad; /* an IPv6 address must be written in brackets */
        host_len = colon ? (size_t)(colon - address) : strlen(address);
        port = colon ? colon + 1 : NULL;
    }
    if (host_len == 0 || host_len >= sizeof(api->host))
        goto bad;
    for (size_t i = 0; i < host_len; i++)
        if (!(host[i] == '.' || host[i] == '-' || host[i] == ':' || host[i] == '_' ||
              (host[i] >= '0' && host[i] <= '9') || (host[i] >= 'a' && host[i] <= 'z') ||
              (host[i] >= 'A' && host[i] <= 'Z')))
            goto bad;
    memcpy(api->host, host, host_len);
    if (!port) {
        snprintf(api->port, sizeof(api->port), "80");
    } else {
        char *end;
        errno = 0;
        long n = strtol(port, &end, 10);
        if (errno || end == port || *end || n < 1 || n > 65535)
            goto bad;
        snprintf(api->port, sizeof(api->port), "%ld", n);
    }
    return SS_ERR_OK;
bad:
    return ss_fail(err, SS_ERR_USAGE,
                   "AWS_LAMBDA_RUNTIME_API is '%.200s', which is not an address like "
                   "127.0.0.1:9001 or [::1]:9001",
                   address);
}

/* ---- the parser ---- */

static bool
is_token_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* The end of the line starting at p (its '\n'), or NULL before end. */
static const char *
line_end(const char *p, const char *end)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    return nl;
}

/* Copy value[0..n) into dst (cap bytes) when every byte passes ok; false
 * when it is too long or a byte does not. */
static bool
copy_checked(char *dst, size_t cap, const char *value, size_t n, bool (*ok)(unsigned char))
{
    if (n >= cap)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!ok((unsigned char)value[i]))
            return false;
    memcpy(dst, value, n);
    dst[n] = '\0';
    return true;
}

/* A request id goes into a URL path: letters, digits and -_.: only. */
static bool
id_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == ':';
}

/* A trace id becomes an environment variable and a JSON string: printable
 * ASCII without quotes and backslashes (X-Ray's are Root=...;Parent=...). */
static bool
trace_char(unsigned char c)
{
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

static bool
arn_char(unsigned char c)
{
    return c > 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* A decimal number of at most digits digits, into *out. */
static bool
parse_decimal(const char *v, size_t n, int digits, int64_t *out)
{
    int64_t x = 0;
    if (n == 0 || n > (size_t)digits)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return false;
        x = x * 10 + (v[i] - '0');
    }
    *out = x;
    return true;
}

static int
refuse(struct ss_error *err, const char *what)
{
    ss_fail(err, SS_ERR_IO, "the Runtime API's answer is not valid HTTP: %s", what);
    return -1;
}

/*
 * A chunked body starting at p: 1 with *total (the decoded size) when every
 * chunk and the trailer are there, 0 when more must come, -1 when bad.
 * Only looks; decode_chunks() rewrites it afterwards.
 */
static int
scan_chunks(const char *p, const char *end, size_t *total, struct ss_error *err)
{
    size_t sum = 0;
    for (;;) {
        const char *nl = line_end(p, end);
        if (!nl)
            return (size_t)(end - p) > 64 ? refuse(err, "a chunk size line is too long") : 0;
        size_t size = 0;
        const char *q = p;
        int digits = 0;
        for (; q < nl && *q != ';' && *q != '\r'; q++, digits++) {
            int d = (*q >= '0' && *q <= '9')   ? *q - '0'
                    : (*q >= 'a' && *q <= 'f') ? *q - 'a' + 10
                    : (*q >= 'A' && *q <= 'F') ? *q - 'A' + 10
                                               : -1;
            if (d < 0 || digits >= 8)
                return refuse(err, "a chunk size is not a hexadecimal number");
            size = size * 16 + (size_t)d;
        }
        if (digits == 0)
            return refuse(err, "a chunk has no size");
        p = nl + 1;
        if (size == 0) {
            /* Trailer lines (ignored) up to an empty line. */
            for (;;) {
                nl = line_end(p, end);
                if (!nl)
                    return (size_t)(end - p) > LIMIT_LAMBDA_HEAD_BYTES
                               ? refuse(err, "the trailer is too long")
                               : 0;
                bool empty = nl == p || (nl == p + 1 && *p == '\r');
                p = nl + 1;
                if (empty) {
                    *total = sum;
                    return 1;
                }
            }
        }
        if (size > LIMIT_LAMBDA_EVENT_BYTES || sum + size > LIMIT_LAMBDA_EVENT_BYTES)
            return refuse(err, "the body is larger than Lambda's 6 MB");
        sum += size;
        if ((size_t)(end - p) < size + 1)
            return 0;
        p += size;
        if (*p == '\r') {
            if ((size_t)(end - p) < 2)
                return 0;
            p++;
        }
        if (*p != '\n')
            return refuse(err, "a chunk does not end where its size says");
        p++;
    }
}

/* Rewrite the chunked body at p..end (complete: scan_chunks() said 1) as
 * its data alone, in place. */
static void
decode_chunks(char *p, const char *end)
{
    char *out = p;
    for (;;) {
        size_t size = 0;
        for (; *p != ';' && *p != '\r' && *p != '\n'; p++)
            size = size * 16 + (size_t)(*p <= '9' ? *p - '0' : (*p | 0x20) - 'a' + 10);
        p = (char *)line_end(p, end) + 1;
        if (size == 0)
            return;
        memmove(out, p, size);
        out += size;
        p += size;
        if (*p == '\r')
            p++;
        p++;
    }
}

int
lambda_api_parse(char *buf, size_t len, bool eof, struct lambda_api_answer *out,
                 struct ss_error *err)
{
    const char *end = buf + len, *p = buf, *head_end = NULL;
    bool chunked = false, have_length = false;
    int64_t length = 0;

    memset(out, 0, sizeof(*out));
    /* The head ends at the first empty line. */
    for (const char *q = buf; q < end;) {
        const char *nl = line_end(q, end);
        if (!nl)
            break;
        if (nl == q || (nl == q + 1 && *q == '\r')) {
            head_end = nl + 1;
            break;
        }
        q = nl + 1;
    }
    if (!head_end) {
        if (len > LIMIT_LAMBDA_HEAD_BYTES)
            return refuse(err, "its head is longer than 16 KB");
        if (eof)
            return len ? refuse(err, "the connection closed in the middle of the head")
                       : refuse(err, "the connection closed without an answer");
        return 0;
    }
    if ((size_t)(head_end - buf) > LIMIT_LAMBDA_HEAD_BYTES)
        return refuse(err, "its head is longer than 16 KB");

    /* HTTP/1.x NNN reason */
    const char *nl = line_end(p, head_end);
    if (nl - p < 12 || memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1') ||
        p[8] != ' ' || p[9] < '1' || p[9] > '5' || p[10] < '0' || p[10] > '9' || p[11] < '0' ||
        p[11] > '9' || (nl - p > 12 && p[12] != ' ' && p[12] != '\r'))
        return refuse(err, "the first line is not an HTTP/1.x status line");
    out->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    if (out->status < 200)
        return refuse(err, "it is an interim (1xx) answer, which was not asked for");

    bool seen_id = false, seen_trace = false, seen_arn = false, seen_deadline = false;
    for (p = nl + 1; p < head_end;) {
        nl = line_end(p, head_end);
        const char *stop = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
        if (stop == p)
            break; /* the empty line */
        const char *colon = memchr(p, ':', (size_t)(stop - p));
        if (!colon || colon == p)
            return refuse(err, "a header line has no name");
        for (const char *c = p; c < colon; c++)
            if (!is_token_char((unsigned char)*c))
                return refuse(err, "a header name has a character headers cannot have");
        size_t name_len = (size_t)(colon - p);
        const char *v = colon + 1, *ve = stop;
        while (v < ve && (*v == ' ' || *v == '\t'))
            v++;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        size_t vn = (size_t)(ve - v);
        for (const char *c = v; c < ve; c++)
            if ((unsigned char)*c < 0x20 && *c != '\t')
                return refuse(err, "a header value has a control character");
#define IS(name) (name_len == sizeof(name) - 1 && strncasecmp(p, name, name_len) == 0)
        if (IS("Content-Length")) {
            int64_t n;
            if (!parse_decimal(v, vn, 10, &n))
                return refuse(err, "Content-Length is not a number");
            if (have_length && n != length)
                return refuse(err, "two Content-Length headers disagree");
            if (n > LIMIT_LAMBDA_EVENT_BYTES)
                return refuse(err, "the body is larger than Lambda's 6 MB");
            have_length = true;
            length = n;
        } else if (IS("Transfer-Encoding")) {
            if (vn != 7 || strncasecmp(v, "chunked", 7) != 0 || chunked)
                return refuse(err, "a Transfer-Encoding other than one \"chunked\"");
            chunked = true;
        } else if (IS("Lambda-Runtime-Aws-Request-Id")) {
            if (seen_id ||
                !copy_checked(out->request_id, sizeof(out->request_id), v, vn, id_char) || !vn)
                return refuse(err, "Lambda-Runtime-Aws-Request-Id is repeated, empty, too "
                                   "long, or has characters other than letters, digits and "
                                   "-_.:");
            seen_id = true;
        } else if (IS("Lambda-Runtime-Trace-Id")) {
            if (seen_trace ||
                !copy_checked(out->trace_id, sizeof(out->trace_id), v, vn, trace_char))
                return refuse(err, "Lambda-Runtime-Trace-Id is repeated, too long, or not "
                                   "printable ASCII");
            seen_trace = true;
        } else if (IS("Lambda-Runtime-Invoked-Function-Arn")) {
            if (seen_arn ||
                !copy_checked(out->function_arn, sizeof(out->function_arn), v, vn, arn_char))
                return refuse(err, "Lambda-Runtime-Invoked-Function-Arn is repeated, too "
                                   "long, or not printable ASCII");
            seen_arn = true;
        } else if (IS("Lambda-Runtime-Deadline-Ms")) {
            if (seen_deadline || !parse_decimal(v, vn, 15, &out->deadline_ms))
                return refuse(err, "Lambda-Runtime-Deadline-Ms is repeated or not a number "
                                   "of milliseconds");
            seen_deadline = true;
        }
#undef IS
        p = nl + 1;
    }
    if (chunked && have_length)
        return refuse(err, "it has both Content-Length and Transfer-Encoding");

    char *body = (char *)head_end;
    size_t avail = (size_t)(end - head_end);
    if (out->status == 204 || out->status == 304) {
        out->body = body;
        out->len = 0;
        return 1;
    }
    if (chunked) {
        size_t total = 0;
        int r = scan_chunks(body, end, &total, err);
        if (r == 0 && eof)
            return refuse(err, "the connection closed in the middle of a chunked body");
        if (r != 1)
            return r;
        decode_chunks(body, end);
        out->body = body;
        out->len = total;
        return 1;
    }
    if (have_length) {
        if (avail < (size_t)length)
            return eof ? refuse(err, "the connection closed before the body's "
                                     "Content-Length was read")
                       : 0;
        out->body = body;
        out->len = (size_t)length;
        return 1;
    }
    /* No length: the body runs to the end of the connection. */
    if (avail > LIMIT_LAMBDA_EVENT_BYTES)
        return refuse(err, "the body is larger than Lambda's 6 MB");
    if (!eof)
        return 0;
    out->body = body;
    out->len = avail;
    return 1;
}

/* ---- one exchange ---- */

/* Milliseconds left until deadline (-1: no deadline). */
static int
left_ms(int64_t deadline)
{
    if (deadline < 0)
        return -1;
    int64_t left = deadline - proto_now_ms();
    return left < 0 ? 0 : left > 60000 ? 60000 : (int)left;
}

/*
 * Wait until fd is ready for events, the stop descriptor is readable
 * (returns 1) or deadline passes (-1 with err set). 0: ready.
 */
static int
wait_for(const struct lambda_api *api, int fd, short events, int64_t deadline, const char *doing,
         struct ss_error *err)
{
    for (;;) {
        struct pollfd p[2] = {{.fd = fd, .events = events}, {.fd = api->stop_fd, .events = POLLIN}};
        int n = poll(p, api->stop_fd >= 0 ? 2 : 1, left_ms(deadline));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ss_fail(err, SS_ERR_IO, "cannot wait for the Runtime API: %s", strerror(errno));
            return -1;
        }
        if (api->stop_fd >= 0 && (p[1].revents & POLLIN))
            return 1;
        if (n > 0 && p[0].revents)
            return 0;
        if (deadline >= 0 && proto_now_ms() >= deadline) {
            ss_fail(err, SS_ERR_IO, "the Runtime API at %s:%s did not answer in time (%s)",
                    api->host, api->port, doing);
            return -1;
        }
    }
}

/* A connected socket to the API, or -1 with err set (1 in *stopped when
 * the stop descriptor fired). */
static int
connect_api(const struct lambda_api *api, int64_t deadline, bool *stopped, struct ss_error *err)
{
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int fd = -1, gai = getaddrinfo(api->host, api->port, &hints, &res);
    char why[sizeof(err->msg)] = "no address";

    if (gai != 0) {
        ss_fail(err, SS_ERR_IO, "cannot find the Runtime API's host %s: %s", api->host,
                gai_strerror(gai));
        return -1;
    }
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
        if (fd < 0) {
            snprintf(why, sizeof(why), "%s", strerror(errno));
            continue;
        }
        if (connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
            snprintf(why, sizeof(why), "%s", strerror(errno));
            close(fd);
            fd = -1;
            continue;
        }
        int w = wait_for(api, fd, POLLOUT, deadline, "connecting", err);
        int soerr = 0;
        socklen_t sl = sizeof(soerr);
        if (w == 1)
            *stopped = true;
        if (w == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0)
            break;
        snprintf(why, sizeof(why), "%s", w == 0 ? strerror(soerr ? soerr : errno) : err->msg);
        close(fd);
        fd = -1;
        if (w == 1)
            break;
    }
    freeaddrinfo(res);
    if (fd < 0 && !*stopped)
        ss_fail(err, SS_ERR_IO, "cannot connect to the Runtime API at %s:%s: %s", api->host,
                api->port, why);
    return fd;
}

enum ss_err
lambda_api_call(const struct lambda_api *api, const char *method, const char *path,
                const char *headers, const char *body, size_t len, int timeout_ms,
                struct lambda_api_reply *reply, struct ss_error *err)
{
    int64_t deadline = timeout_ms < 0 ? -1 : proto_now_ms() + timeout_ms;
    int64_t connect_deadline = proto_now_ms() + LIMIT_LAMBDA_CONNECT_MS;
    struct buf req = BUF_INIT(LIMIT_LAMBDA_HEAD_BYTES);
    char chunk[4096];
    enum ss_err rc = SS_ERR_IO;
    int fd = -1;

    memset(reply, 0, sizeof(*reply));
    buf_init(&reply->raw, LIMIT_LAMBDA_HEAD_BYTES + LIMIT_LAMBDA_EVENT_BYTES + READ_CHUNK);
    if (deadline >= 0 && deadline < connect_deadline)
        connect_deadline = deadline;
    fd = connect_api(api, connect_deadline, &reply->stopped, err);
    if (fd < 0) {
        rc = reply->stopped ? SS_ERR_OK : SS_ERR_IO;
        goto out;
    }
    buf_printf(&req, "%s " LAMBDA_API_BASE "%s HTTP/1.1\r\nHost: %s%s%s:%s\r\n", method, path,
               strchr(api->host, ':') ? "[" : "", api->host, strchr(api->host, ':') ? "]" : "",
               api->port);
    buf_adds(&req, "User-Agent: skillserver/" SKILLSERVER_VERSION "\r\nConnection: close\r\n");
    if (headers)
        buf_adds(&req, headers);
    if (body)
        buf_printf(&req, "Content-Length: %zu\r\n", len);
    buf_adds(&req, "\r\n");
    if (req.err != SS_ERR_OK) {
        rc = ss_fail(err, SS_ERR_NOMEM, "out of memory");
        goto out;
    }

    /* The head, then the body, without blocking past the deadline. */
    const char *parts[2] = {req.p, body};
    size_t sizes[2] = {req.len, body ? len : 0};
    for (int i = 0; i < 2; i++) {
        size_t done = 0;
        while (done < sizes[i]) {
            ssize_t n = send(fd, parts[i] + done, sizes[i] - done, MSG_NOSIGNAL);
            if (n > 0) {
                done += (size_t)n;
                continue;
            }
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                ss_fail(err, SS_ERR_IO, "cannot send to the Runtime API at %s:%s: %s", api->host,
                        api->port, strerror(errno));
                goto out;
            }
            int w = wait_for(api, fd, POLLOUT, deadline, "sending", err);
            if (w != 0) {
                reply->stopped = w == 1;
                rc = w == 1 ? SS_ERR_OK : SS_ERR_IO;
                goto out;
            }
        }
    }

    /* The answer, parsed after every read until it is complete. */
    for (;;) {
        int w = wait_for(api, fd, POLLIN, deadline, "waiting for its answer", err);
        if (w != 0) {
            reply->stopped = w == 1;
            rc = w == 1 ? SS_ERR_OK : SS_ERR_IO;
            goto out;
        }
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n < 0) {
            ss_fail(err, SS_ERR_IO, "cannot read from the Runtime API at %s:%s: %s", api->host,
                    api->port, strerror(errno));
            goto out;
        }
        if (n > 0 && !buf_add(&reply->raw, chunk, (size_t)n)) {
            ss_fail(err, reply->raw.err,
                    "the Runtime API's answer is larger than Lambda's 6 MB event");
            rc = SS_ERR_IO;
            goto out;
        }
        int r = lambda_api_parse(reply->raw.p ? reply->raw.p : chunk, reply->raw.len, n == 0,
                                 &reply->answer, err);
        if (r < 0)
            goto out;
        if (r == 1) {
            rc = SS_ERR_OK;
            goto out;
        }
    }
out:
    if (fd >= 0)
        close(fd);
    buf_reset(&req);
    return rc;
}

void
lambda_api_reply_cleanup(struct lambda_api_reply *reply)
{
    if (!reply)
        return;
    buf_reset(&reply->raw);
    memset(reply, 0, sizeof(*reply));
}

char *
lambda_api_error_body(const char *message, const char *type, const char *stack)
{
    json_t *lines = json_array();
    json_t *o = NULL;
    char *text = NULL;

    if (!lines)
        return NULL;
    for (const char *p = stack; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n > 0 && json_array_append_new(lines, json_stringn(p, n)) != 0)
            goto out;
        p = nl ? nl + 1 : p + n;
    }
    o = json_pack("{s:s, s:s, s:O}", "errorMessage", message, "errorType", type, "stackTrace",
                  lines);
    if (o)
        text = json_dumps(o, JSON_COMPACT);
out:
    json_decref(o);
    json_decref(lines);
    return text;
}
