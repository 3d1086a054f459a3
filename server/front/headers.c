/*
 * headers.c - what a request's head may say, decided before its body is
 * read: the Host and Origin of the routes that run skills unverified, the
 * Content-Type of a body, the headers that frame the body (request
 * smuggling), and the head's size.
 *
 * The http_* checks are pure functions of strings (http.h; the unit tests
 * and the fuzz target call them); the headers_* functions apply them to a
 * libmicrohttpd connection and defer the refusal (answer_defer()).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "front_internal.h"

/* "127.0.0.1": four decimal numbers up to 255 without leading zeros, the
 * first 127. Other spellings (127.1, 0x7f.0.0.1) are not what a browser
 * sends, so they are not accepted. */
static bool
loopback_quad(const char *s, size_t len)
{
    unsigned parts = 0, value = 0, digits = 0, first = 0;

    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '.') {
            if (digits == 0 || parts == 4)
                return false;
            if (parts == 0)
                first = value;
            parts++;
            value = digits = 0;
            continue;
        }
        if (s[i] < '0' || s[i] > '9' || (digits == 1 && value == 0) || ++digits > 3)
            return false;
        value = value * 10 + (unsigned)(s[i] - '0');
        if (value > 255)
            return false;
    }
    return parts == 4 && first == 127;
}

bool
http_host_is_loopback(const char *host)
{
    size_t len = strlen(host), name_len;
    const char *port;

    if (len == 0 || len > 255)
        return false;
    if (host[0] == '[') {
        const char *close = memchr(host, ']', len);
        char text[INET6_ADDRSTRLEN];
        struct in6_addr a;
        size_t n = close ? (size_t)(close - host - 1) : 0;
        if (!close || n == 0 || n >= sizeof(text))
            return false;
        memcpy(text, host + 1, n);
        text[n] = '\0';
        if (inet_pton(AF_INET6, text, &a) != 1)
            return false;
        if (!IN6_IS_ADDR_LOOPBACK(&a) && !(IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127))
            return false;
        port = close + 1;
        if (*port == '\0')
            return true;
        if (*port != ':')
            return false;
    } else {
        port = memchr(host, ':', len);
        name_len = port ? (size_t)(port - host) : len;
        if (!((name_len == 9 && strncasecmp(host, "localhost", 9) == 0) ||
              (name_len == 10 && strncasecmp(host, "localhost.", 10) == 0) ||
              loopback_quad(host, name_len)))
            return false;
        if (!port)
            return true;
    }
    /* ":PORT", 1 to 5 digits, at most 65535. */
    port++;
    size_t digits = strspn(port, "0123456789");
    return digits > 0 && digits <= 5 && port[digits] == '\0' && atol(port) <= 65535;
}

bool
http_origin_is_loopback(const char *origin)
{
    if (strncasecmp(origin, "http://", 7) == 0)
        return http_host_is_loopback(origin + 7);
    if (strncasecmp(origin, "https://", 8) == 0)
        return http_host_is_loopback(origin + 8);
    return false; /* "null" (a sandboxed frame, a file: page) and anything else */
}

bool
http_content_type_is_json(const char *type)
{
    size_t n = strcspn(type, ";");
    while (n > 0 && (type[n - 1] == ' ' || type[n - 1] == '\t'))
        n--;
    if (n == 16 && strncasecmp(type, "application/json", 16) == 0)
        return true;
    /* application/something+json */
    return n > 17 && strncasecmp(type, "application/", 12) == 0 &&
           strspn(type + 12, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-+") ==
               n - 12 &&
           strncasecmp(type + n - 5, "+json", 5) == 0;
}

void
http_framing_add(struct http_framing *f, const char *name, const char *value)
{
    /* RFC 9110 §5.6.2: a field name is a token. libmicrohttpd keeps
     * "Content-Length " (a space before the colon) as a name of its own, so
     * it would read no body where a lenient proxy reads one. */
    static const char token[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                "!#$%&'*+-.^_`|~";
    if (!*name || strspn(name, token) != strlen(name))
        f->bad_name = true;
    for (const unsigned char *v = (const unsigned char *)(value ? value : ""); *v; v++)
        if ((*v < 0x20 && *v != '\t') || *v == 0x7f)
            f->bad_value = true;
    if (strcasecmp(name, "Content-Length") == 0) {
        f->content_lengths++;
    } else if (strcasecmp(name, "Transfer-Encoding") == 0) {
        f->transfer_encodings++;
        f->chunked_only = value && strcasecmp(value, "chunked") == 0;
    } else if (strcasecmp(name, "Host") == 0) {
        f->hosts++;
    }
}

const char *
http_framing_problem(const struct http_framing *f, bool http10)
{
    if (f->bad_name)
        return "a header name has a character HTTP does not allow there (a space before the "
               "colon?)";
    if (f->bad_value)
        return "a header value has a control character in it (a bare CR?)";
    if (f->content_lengths > 1)
        return "the request has more than one Content-Length header";
    if (f->transfer_encodings > 0 && f->content_lengths > 0)
        return "the request has both Content-Length and Transfer-Encoding";
    if (f->transfer_encodings > 1)
        return "the request has more than one Transfer-Encoding header";
    if (f->transfer_encodings > 0 && !f->chunked_only)
        return "the only Transfer-Encoding this server takes is chunked";
    if (f->transfer_encodings > 0 && http10)
        return "an HTTP/1.0 request cannot have a Transfer-Encoding";
    if (f->hosts > 1)
        return "the request has more than one Host header";
    return NULL;
}

static enum MHD_Result
add_header_size(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    size_t *size = cls;
    (void)kind;
    *size += strlen(key) + (value ? strlen(value) : 0) + 4; /* ": " and CRLF */
    return MHD_YES;
}

size_t
headers_size(struct MHD_Connection *connection, const char *url, const char *method)
{
    size_t size = strlen(method) + strlen(url) + sizeof(" HTTP/1.1\r\n\r\n");
    MHD_get_connection_values(connection, MHD_HEADER_KIND | MHD_GET_ARGUMENT_KIND, add_header_size,
                              &size);
    return size;
}

static enum MHD_Result
add_framing(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    http_framing_add(cls, key, value);
    return MHD_YES;
}

const char *
headers_framing_problem(struct MHD_Connection *connection, const char *version)
{
    struct http_framing f;
    memset(&f, 0, sizeof(f));
    MHD_get_connection_values(connection, MHD_HEADER_KIND, add_framing, &f);
    return http_framing_problem(&f, strcmp(version, MHD_HTTP_VERSION_1_0) == 0);
}

/*
 * Whether the route runs a skill without verification: the simulator's
 * routes (they exist only in --dev) and, with --no-verify, the Alexa routes.
 * Any web page can make a browser send requests there. Posting to
 * 127.0.0.1 directly (a form, or fetch() in no-cors mode), its Host is
 * loopback, but the browser adds the page's Origin, and without a CORS
 * preflight (which this server never grants) the body can only have one of
 * a form's three Content-Types. Pointing a name of its own at 127.0.0.1
 * (DNS rebinding) makes the requests same-origin, so JSON is allowed and the
 * answers can be read, but then Host is the page's name. So these routes
 * answer only a loopback Host and Origin (when there is one) and take only
 * a JSON body.
 */
bool
headers_unverified_route(const struct http_server *srv, enum http_route route)
{
    switch (route) {
    case HTTP_ROUTE_SIM_FILE:
    case HTTP_ROUTE_SIM_SKILLS:
    case HTTP_ROUTE_SIM_TURN:
        return true; /* http.c made them HTTP_ROUTE_NONE without --dev */
    case HTTP_ROUTE_SKILL:
    case HTTP_ROUTE_APP:
        return srv->verify == NULL;
    case HTTP_ROUTE_CLASS: /* its sessions and Origin rule: server/class/ */
    case HTTP_ROUTE_NONE:
    case HTTP_ROUTE_HEALTH:
    case HTTP_ROUTE_METRICS:
        break;
    }
    return false;
}

bool
headers_refuse_if_not_local(struct http_request *r, struct MHD_Connection *connection)
{
    const char *host = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Host");
    const char *origin = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Origin");

    /* --allow-unverified-public opens the Alexa routes to the network on
     * purpose: any Host then. Never the simulator's (--dev is loopback only). */
    if (r->srv->cfg.allow_unverified_public && r->route != HTTP_ROUTE_SIM_FILE &&
        r->route != HTTP_ROUTE_SIM_SKILLS && r->route != HTTP_ROUTE_SIM_TURN)
        return false;
    if (!host || !http_host_is_loopback(host)) {
        r->refused_header = "host";
        snprintf(r->refused_value, sizeof(r->refused_value), "%s", host ? host : "");
        answer_defer(
            r, SS_ERR_NOT_LOCAL, NULL,
            "this endpoint runs skills without verification, so it answers only requests "
            "addressed to this machine (Host: localhost, 127.0.0.1 or [::1]), not %s%.100s",
            host ? "Host: " : "a request without a Host header", host ? host : "");
        return true;
    }
    if (origin && !http_origin_is_loopback(origin)) {
        r->refused_header = "origin";
        snprintf(r->refused_value, sizeof(r->refused_value), "%s", origin);
        answer_defer(
            r, SS_ERR_NOT_LOCAL, NULL,
            "this endpoint runs skills without verification, so it answers no request a web "
            "page on another site sends (Origin: %.100s)",
            origin);
        return true;
    }
    return false;
}

void
headers_check_content_type(struct http_request *r, struct MHD_Connection *connection,
                           bool unverified)
{
    const char *type =
        MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);

    if (unverified && (!type || !http_content_type_is_json(type)))
        answer_defer(r, SS_ERR_MEDIA_TYPE, NULL,
                     "this endpoint runs skills without verification, so it takes only a body sent "
                     "with Content-Type: application/json (which a web page cannot send to another "
                     "site without asking first), not %s%.100s",
                     type ? "" : "a body without a Content-Type", type ? type : "");
    else if (type && *type && !http_content_type_is_json(type))
        answer_defer(r, SS_ERR_JSON, NULL,
                     "the body must be an Alexa request in JSON, sent with Content-Type: "
                     "application/json (not %.100s)",
                     type);
}
