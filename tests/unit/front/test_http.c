/*
 * test_http.c - the pure helpers of server/front/ (http.h): --listen parsing, the
 * loopback rule behind --no-verify and --dev, routes, the Host, Origin and
 * Content-Type rules of the unverified routes, and the framing rules against
 * request smuggling. The server itself is tested end to end in
 * tests/integration/test_serve.py and test_http_hardening.py.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "ss_limits.h"
#include "tap.h"

static void
test_parse_listen(void)
{
    struct sockaddr_storage ss;
    socklen_t len = 0;
    struct ss_error err;
    char shown[64];

    is_int(http_parse_listen("127.0.0.1:8443", &ss, &len, &err), SS_ERR_OK, "IPv4:port");
    is_int(ss.ss_family, AF_INET, "IPv4 family");
    http_format_addr((struct sockaddr *)&ss, shown, sizeof(shown));
    is_str(shown, "127.0.0.1:8443", "formatted back");
    is_int(len, sizeof(struct sockaddr_in), "IPv4 length");

    is_int(http_parse_listen("[::1]:0", &ss, &len, &err), SS_ERR_OK, "[IPv6]:port");
    is_int(ss.ss_family, AF_INET6, "IPv6 family");
    http_format_addr((struct sockaddr *)&ss, shown, sizeof(shown));
    is_str(shown, "[::1]:0", "IPv6 formatted back with brackets");

    is_int(http_parse_listen("0.0.0.0:443", &ss, &len, &err), SS_ERR_OK, "any address");
    is_int(http_parse_listen("localhost:80", &ss, &len, &err), SS_ERR_OK, "a host name");
    ok(http_addr_is_loopback((struct sockaddr *)&ss), "localhost resolves to loopback");

    static const char *const bad[] = {
        "",          "8443",         "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536",
        "1.2.3.4:x", "127.0.0.1:-1", "[::1]8443", "[::1",       "::1:8443",
        ":8443",     "1.2.3.4:80 ",  "[]:80",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ss_error_clear(&err);
        enum ss_err rc = http_parse_listen(bad[i], &ss, &len, &err);
        is_int(rc, SS_ERR_USAGE, "'%s' is refused", bad[i]);
        ok(err.msg[0] != '\0', "'%s' says why: %s", bad[i], err.msg);
    }
    ss_error_clear(&err);
    http_parse_listen("::1:8443", &ss, &len, &err);
    contains(err.msg, "ADDR:PORT", "the message shows the expected form");
}

static void
test_loopback(void)
{
    static const struct {
        const char *addr;
        bool loopback;
    } cases[] = {
        {"127.0.0.1:1", true},          {"127.255.0.9:1", true}, {"[::1]:1", true},
        {"[::ffff:127.0.0.1]:1", true}, {"0.0.0.0:1", false},    {"10.0.0.1:1", false},
        {"128.0.0.1:1", false},         {"[::]:1", false},       {"[::ffff:10.0.0.1]:1", false},
        {"[fe80::1]:1", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sockaddr_storage ss;
        socklen_t len;
        struct ss_error err;
        if (http_parse_listen(cases[i].addr, &ss, &len, &err) != SS_ERR_OK) {
            ok(0, "%s parses: %s", cases[i].addr, err.msg);
            continue;
        }
        is_int(http_addr_is_loopback((struct sockaddr *)&ss), cases[i].loopback, "%s is %sloopback",
               cases[i].addr, cases[i].loopback ? "" : "not ");
    }
}

static void
test_routes(void)
{
    char name[LIMIT_SKILL_NAME_CHARS + 1];
    char long_path[LIMIT_SKILL_NAME_CHARS + 16];

    is_int(http_route_of("/", name, sizeof(name)), HTTP_ROUTE_APP, "/ routes by applicationId");
    is_int(http_route_of("/healthz", name, sizeof(name)), HTTP_ROUTE_HEALTH, "/healthz");
    is_int(http_route_of("/metrics", name, sizeof(name)), HTTP_ROUTE_METRICS, "/metrics");
    is_int(http_route_of("/skills/thank_you", name, sizeof(name)), HTTP_ROUTE_SKILL,
           "/skills/NAME");
    is_str(name, "thank_you", "the skill's name is copied out");
    is_int(http_route_of("/skills/a-b_9", name, sizeof(name)), HTTP_ROUTE_SKILL,
           "names may have - and _");

    is_int(http_route_of("/simulator/turn", name, sizeof(name)), HTTP_ROUTE_SIM_TURN,
           "/simulator/turn");
    is_int(http_route_of("/simulator/skills", name, sizeof(name)), HTTP_ROUTE_SIM_SKILLS,
           "/simulator/skills");
    is_int(http_route_of("/simulator/app.js", name, sizeof(name)), HTTP_ROUTE_SIM_FILE,
           "/simulator/app.js");
    is_str(name, "app.js", "the simulator's file name is copied out");
    static const char *const none[] = {
        "/simulator/",
        "/simulator/../x",
        "/simulator/a/b",
        "/simulator/.hidden",
        "",
        "/skills",
        "/skills/",
        "/skills/a/b",
        "/skills/..",
        "/skills/.x",
        "/skills/-x",
        "/healthz/",
        "/metrics/x",
        "//",
        "/skills/a b",
        "/Skills/thank_you",
        "/skills/thank_you/",
    };
    for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
        is_int(http_route_of(none[i], name, sizeof(name)), HTTP_ROUTE_NONE, "'%s' is no route",
               none[i]);

    memcpy(long_path, "/skills/", 8);
    memset(long_path + 8, 'a', LIMIT_SKILL_NAME_CHARS + 1);
    long_path[8 + LIMIT_SKILL_NAME_CHARS + 1] = '\0';
    is_int(http_route_of(long_path, name, sizeof(name)), HTTP_ROUTE_NONE,
           "a name over LIMIT_SKILL_NAME_CHARS is no route");
    long_path[8 + LIMIT_SKILL_NAME_CHARS] = '\0';
    is_int(http_route_of(long_path, name, sizeof(name)), HTTP_ROUTE_SKILL,
           "a name of exactly LIMIT_SKILL_NAME_CHARS is a route");
}

static void
test_host_is_loopback(void)
{
    static const char *const yes[] = {
        "localhost",
        "localhost:8443",
        "LocalHost:1",
        "localhost.",
        "localhost.:80",
        "127.0.0.1",
        "127.0.0.1:8443",
        "127.255.255.254:65535",
        "127.1.2.3:0",
        "[::1]",
        "[::1]:8443",
        "[0:0:0:0:0:0:0:1]:80",
        "[::ffff:127.0.0.1]:80",
        "[::ffff:7f00:1]",
    };
    static const char *const no[] = {
        "",
        "evil.example",
        "evil.example:8443",
        "localhost.evil.example",
        "localhostx",
        "127.0.0.1.evil.example",
        "attacker-rebinds-to-127.0.0.1.example",
        "128.0.0.1",
        "10.0.0.1:8443",
        "0.0.0.0",
        "127.0.0.256",
        "127.0.0",
        "127.0.0.1.1",
        "127.1",
        "0177.0.0.1",
        "127.00.0.1",
        "127.0.0.1:",
        "127.0.0.1:65536",
        "127.0.0.1:123456",
        "127.0.0.1:80x",
        "127.0.0.1:-1",
        "127.0.0.1 ",
        " 127.0.0.1",
        "localhost:80:80",
        "::1",
        "[::1",
        "[::1]x",
        "[::1]:",
        "[::2]:80",
        "[::]",
        "[::ffff:10.0.0.1]",
        "[fe80::1%eth0]",
        "[]",
        "user@localhost",
    };
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        ok(http_host_is_loopback(yes[i]), "Host '%s' is loopback", yes[i]);
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        ok(!http_host_is_loopback(no[i]), "Host '%s' is not", no[i]);

    char long_host[300];
    memset(long_host, '1', sizeof(long_host) - 1);
    long_host[sizeof(long_host) - 1] = '\0';
    memcpy(long_host, "127.0.0.1:", 10);
    ok(!http_host_is_loopback(long_host), "an overlong Host is not");

    ok(http_origin_is_loopback("http://127.0.0.1:8443"), "a loopback http origin");
    ok(http_origin_is_loopback("https://localhost"), "a loopback https origin");
    ok(http_origin_is_loopback("HTTP://[::1]:80"), "the scheme in any case");
    ok(!http_origin_is_loopback("http://evil.example"), "another site's origin is not");
    ok(!http_origin_is_loopback("null"), "the null origin (sandboxed frames) is not");
    ok(!http_origin_is_loopback("ftp://127.0.0.1"), "other schemes are not");
    ok(!http_origin_is_loopback("http://127.0.0.1/path"), "an origin has no path");
    ok(!http_origin_is_loopback("http://"), "an empty host is not");
}

static void
test_content_type(void)
{
    static const char *const yes[] = {
        "application/json", "application/json; charset=utf-8", "application/json;charset=UTF-8",
        "Application/JSON", "application/json ;charset=utf-8", "application/vnd.amazon+json",
    };
    static const char *const no[] = {
        "",
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonx",
        "application/json-seq",
        "application/+json",
        "application/x json+json",
        "text/json",
        "json",
    };
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        ok(http_content_type_is_json(yes[i]), "'%s' is JSON", yes[i]);
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        ok(!http_content_type_is_json(no[i]), "'%s' is not", no[i]);
}

/* The framing verdict for a head given as "Name", "value" pairs, NULL-terminated.
 * http10 is an int: va_start() after a bool is undefined behaviour. */
static const char *
framing(int http10, ...)
{
    struct http_framing f;
    va_list ap;
    const char *name;

    memset(&f, 0, sizeof(f));
    va_start(ap, http10);
    while ((name = va_arg(ap, const char *)) != NULL)
        http_framing_add(&f, name, va_arg(ap, const char *));
    va_end(ap);
    return http_framing_problem(&f, http10 != 0);
}

static void
test_framing(void)
{
    ok(!framing(false, "Host", "x", "Content-Length", "5", NULL), "one Content-Length");
    ok(!framing(false, "Host", "x", "Transfer-Encoding", "chunked", NULL), "chunked alone");
    ok(!framing(false, "Host", "x", "transfer-encoding", "Chunked", NULL), "in any case");
    ok(!framing(true, "Content-Length", "5", NULL), "HTTP/1.0 with a length");
    ok(!framing(false, "Host", "x", "X-Tab", "a\tb", NULL), "a tab in a value is fine");
    ok(!framing(false, "Host", "x", "X-Odd_Name!#$%&'*+.^`|~", "v", NULL),
       "every token character in a name");

    const char *p = framing(false, "Content-Length", "5", "Content-Length", "7", NULL);
    contains(p, "more than one Content-Length", "two different lengths");
    p = framing(false, "Content-Length", "5", "content-length", "5", NULL);
    contains(p, "more than one Content-Length", "two equal lengths too");
    p = framing(false, "Content-Length", "5", "Transfer-Encoding", "chunked", NULL);
    contains(p, "both Content-Length and Transfer-Encoding", "length and chunked");
    p = framing(false, "Transfer-Encoding", "chunked", "Content-Length", "5", NULL);
    contains(p, "both Content-Length and Transfer-Encoding", "in either order");
    p = framing(false, "Transfer-Encoding", "chunked", "Transfer-Encoding", "chunked", NULL);
    contains(p, "more than one Transfer-Encoding", "two codings");
    p = framing(false, "Transfer-Encoding", "gzip, chunked", NULL);
    contains(p, "only Transfer-Encoding", "codings other than chunked");
    p = framing(false, "Transfer-Encoding", "xchunked", NULL);
    contains(p, "only Transfer-Encoding", "look-alikes of chunked");
    p = framing(false, "Transfer-Encoding", "identity", NULL);
    contains(p, "only Transfer-Encoding", "identity (libmicrohttpd would read until close)");
    p = framing(true, "Transfer-Encoding", "chunked", NULL);
    contains(p, "HTTP/1.0", "chunked in HTTP/1.0");
    p = framing(false, "Host", "localhost", "Host", "evil.example", NULL);
    contains(p, "more than one Host", "two Hosts");
    p = framing(false, "Content-Length ", "5", NULL);
    contains(p, "header name", "a space before the colon");
    p = framing(false, "Content-Length\t", "5", NULL);
    contains(p, "header name", "a tab before the colon");
    p = framing(false, "", "5", NULL);
    contains(p, "header name", "an empty name");
    p = framing(false, "X-A", "a\rContent-Length: 5", NULL);
    contains(p, "control character", "a bare CR in a value");
    p = framing(false, "X-A", "a\x1b[2J", NULL);
    contains(p, "control character", "an escape in a value");
    p = framing(false, "X-A", "a\x7f", NULL);
    contains(p, "control character", "DEL in a value");
}

int
main(void)
{
    test_parse_listen();
    test_loopback();
    test_routes();
    test_host_is_loopback();
    test_content_type();
    test_framing();
    return tap_done();
}
