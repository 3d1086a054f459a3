/*
 * test_verify.c - request verification (server/verify/verify*.c, server/verify/sign.c)
 * against spec/request-verification.md.
 *
 * The chain is downloaded for real: the test makes a throw-away chain with
 * certs/make-test-chain.sh, starts tests/chain_host.py (HTTPS on 127.0.0.1
 * with a certificate for s3.amazonaws.com from the test root) and points the
 * verify context at it with a connect-to mapping, exactly as
 * --cert-connect-to does. Downloads are counted from the server's log.
 *
 * One file for the whole part, longer than 800 lines: every test here uses
 * the same throw-away chain and chain host, which take seconds to make.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "request.h"
#include "sign.h"
#include "skill.h"
#include "verify.h"

#include "tap.h"

#ifndef SOURCE_ROOT
#error SOURCE_ROOT must be defined by the build
#endif

#define URL_BASE "https://s3.amazonaws.com/echo.api/"
#define BODY "{\"version\":\"1.0\",\"request\":{\"type\":\"LaunchRequest\"}}"

static char tmp[256];
static char certs[300];
static char www[300];
static char host_log[300];
static char trust[400];
static char connect_to[64];
static pid_t host_pid = -1;
static EVP_PKEY *leaf_key;
static EVP_PKEY *other_key;

/* ---- fixtures ---- */

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int
run(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Stop the chain host, which exits 0 on SIGTERM; checked like any server a
 * test starts. */
static void
stop_host(void)
{
    int status = 0;
    if (host_pid > 0) {
        kill(host_pid, SIGTERM);
        pid_t got = waitpid(host_pid, &status, 0);
        ok(got == host_pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
           "the chain host exited 0 (status %d)", status);
        host_pid = -1;
    }
}

/* Start chain_host.py over www and wait for its port. */
static bool
start_host(void)
{
    char port_file[400];
    snprintf(port_file, sizeof(port_file), "%s/port", tmp);
    char cert[400], key[400];
    snprintf(cert, sizeof(cert), "%s/s3.pem", certs);
    snprintf(key, sizeof(key), "%s/s3.key", certs);

    host_pid = fork();
    if (host_pid < 0)
        return false;
    if (host_pid == 0) {
        execlp("python3", "python3", SOURCE_ROOT "/tests/chain_host.py", "--root", www, "--cert",
               cert, "--key", key, "--port-file", port_file, "--log", host_log, "--slow-ms", "400",
               (char *)NULL);
        _exit(127);
    }
    /* Up to two minutes (Python starting on a loaded machine), while it runs. */
    for (int i = 0; i < 2400; i++) {
        if (waitpid(host_pid, NULL, WNOHANG) == host_pid) {
            host_pid = -1; /* it exited: nothing left to stop */
            return false;
        }
        FILE *f = fopen(port_file, "r");
        if (f) {
            int port = 0;
            bool got = fscanf(f, "%d", &port) == 1;
            fclose(f);
            if (got && port > 0) {
                snprintf(connect_to, sizeof(connect_to), "s3.amazonaws.com:443:127.0.0.1:%d", port);
                return true;
            }
        }
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return false;
}

static bool
setup(void)
{
    if (tap_tempdir(tmp, sizeof(tmp), "test_verify") != 0)
        return false;
    snprintf(certs, sizeof(certs), "%s/certs", tmp);
    snprintf(www, sizeof(www), "%s/www", tmp);
    snprintf(host_log, sizeof(host_log), "%s/host.log", tmp);
    snprintf(trust, sizeof(trust), "%s/root.pem", certs);
    if (run("sh '%s/certs/make-test-chain.sh' '%s' 2>/dev/null", SOURCE_ROOT, certs) != 0)
        return false;
    /* The files the chain host serves under /echo.api/. */
    if (run("set -e; cd '%s'; d='%s/echo.api'; mkdir -p \"$d/slow\" \"$d/restart\" "
            "\"$d/expiry\" \"$d/many\" \"$d/sha1\";"
            "for f in chain expired notyet wrongsan wildcard nosan untrusted selfsigned "
            "nointer badusage; do cp $f.pem \"$d/\"; done;"
            "cp chain.pem \"$d/slow/\"; cp chain.pem \"$d/restart/\"; cp chain.pem \"$d/expiry/\";"
            "cp chain.pem \"$d/sha1/\";"
            "for i in $(seq 0 39); do cp chain.pem \"$d/many/c$i.pem\"; done;"
            "echo 'this is not a certificate' > \"$d/garbage.pem\";"
            "head -c 70000 /dev/zero | tr '\\0' A > \"$d/big.pem\"",
            certs, www) != 0)
        return false;
    char path[400];
    struct ss_error err;
    snprintf(path, sizeof(path), "%s/leaf.key", certs);
    if (sign_key_load(path, &leaf_key, &err) != SS_ERR_OK)
        return false;
    snprintf(path, sizeof(path), "%s/other.key", certs);
    if (sign_key_load(path, &other_key, &err) != SS_ERR_OK)
        return false;
    return start_host();
}

static void
teardown(void)
{
    stop_host();
    EVP_PKEY_free(leaf_key);
    EVP_PKEY_free(other_key);
    tap_remove_tree(tmp);
}

/* Requests of path seen by the chain host. */
static int
host_count(const char *path)
{
    int n = 0;
    char line[1024];
    size_t plen = strlen(path);
    FILE *f = fopen(host_log, "r");
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, path, plen) == 0 && line[plen] == ' ')
            n++;
    fclose(f);
    return n;
}

static struct verify_ctx *
make_ctx(bool allow_sha1, const char *cache_dir, const char *trust_file)
{
    struct ss_error err;
    struct verify_config cfg = {
        .trust_ca = trust_file ? trust_file : trust,
        .cache_dir = cache_dir,
        .connect_to = connect_to,
        .allow_sha1 = allow_sha1,
        /* The local chain host answers in milliseconds, but a loaded machine
         * under ASan may not: no test here is about the download deadline
         * (the closed-port test sets its own). */
        .download_timeout_ms = 60000,
    };
    struct verify_ctx *ctx = verify_ctx_create(&cfg, &err);
    if (!ctx)
        tap_fail("verify_ctx_create: %s", err.msg);
    return ctx;
}

/* Sign body with key into a static buffer (two of them, for two headers). */
static const char *
sig(EVP_PKEY *key, bool sha1, const char *body)
{
    static char bufs[2][SIGN_BASE64_MAX];
    static int which;
    char *b = bufs[which++ & 1];
    struct ss_error err;
    if (sign_body(key, sha1, body, strlen(body), b, SIGN_BASE64_MAX, &err) != SS_ERR_OK)
        tap_fail("sign_body: %s", err.msg);
    return b;
}

/* verify_signature() of BODY-like text; returns the reason. */
static enum verify_reason
check(struct verify_ctx *ctx, const char *url, const char *s256, const char *s1, const char *body,
      time_t now, struct ss_error *err)
{
    enum verify_reason reason = VERIFY_R__COUNT;
    struct verify_headers h = {.cert_url = url, .signature_256 = s256, .signature = s1};
    enum ss_err rc = verify_signature(ctx, &h, body, strlen(body), now, &reason, err);
    /* The return code and the reason must agree. */
    if ((rc == SS_ERR_OK) != (reason == VERIFY_R_NONE))
        tap_fail("verify_signature returned %s but the reason %s", ss_err_name(rc),
                 verify_reason_name(reason));
    if (rc != SS_ERR_OK && rc != SS_ERR_VERIFY)
        tap_fail("verify_signature failed with %s, not VERIFY: %s", ss_err_name(rc), err->msg);
    return reason;
}

#define is_reason(got, want, ...)                                                                  \
    do {                                                                                           \
        enum verify_reason r_ = (got);                                                             \
        is_str(verify_reason_name(r_), verify_reason_name(want), __VA_ARGS__);                     \
    } while (0)

/* ---- §3: the URL table ---- */

static void
test_url_table(void)
{
    static const struct {
        const char *url;
        const char *normalised; /* NULL: invalid */
    } rows[] = {
        /* Official */
        {"https://s3.amazonaws.com/echo.api/echo-api-cert.pem", URL_BASE "echo-api-cert.pem"},
        {"https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem", URL_BASE "echo-api-cert.pem"},
        {"https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem",
         URL_BASE "echo-api-cert.pem"},
        {"http://s3.amazonaws.com/echo.api/echo-api-cert.pem", NULL},
        {"https://notamazon.com/echo.api/echo-api-cert.pem", NULL},
        {"https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem", NULL},
        {"https://s3.amazonaws.com/invalid.path/echo-api-cert.pem", NULL},
        {"https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem", NULL},
        /* Derived */
        {"HTTPS://S3.AMAZONAWS.COM/echo.api/echo-api-cert.pem", URL_BASE "echo-api-cert.pem"},
        {"https://s3.amazonaws.com/echo.api/echo-api-cert-6-ats.pem",
         URL_BASE "echo-api-cert-6-ats.pem"},
        {"https://s3.amazonaws.com/echo.api/./echo-api-cert.pem", URL_BASE "echo-api-cert.pem"},
        {"https://s3.amazonaws.com/echo.api/../x/cert.pem", NULL},
        {"https://s3.amazonaws.com/echo.api", NULL},
        {"https://s3.amazonaws.com/ECHO.API/echo-api-cert.pem", NULL},
        {"https://s3.amazonaws.com.evil.example/echo.api/cert.pem", NULL},
        {"https://evil.example/s3.amazonaws.com/echo.api/cert.pem", NULL},
        {"https://s3.amazonaws.com:8443/echo.api/echo-api-cert.pem", NULL},
        {"https://s3.amazonaws.com//echo.api/echo-api-cert.pem", NULL},
        /* Policy */
        {"https://s3.amazonaws.com/echo.api/%2e%2e/x/cert.pem", NULL},
        {"https://user:pw@s3.amazonaws.com/echo.api/echo-api-cert.pem", NULL},
        {"https://s3.amazonaws.com/echo.api/echo-api-cert.pem?x=1", NULL},
        {"https://s3.amazonaws.com/echo.api/echo-api-cert.pem#frag", NULL},
        {"https://s3.amazonaws.com:/echo.api/echo-api-cert.pem", NULL},
        {"https://52.216.0.1/echo.api/echo-api-cert.pem", NULL},
        /* More of our own */
        {"https://s3.amazonaws.com/echo.api/", URL_BASE},
        {"https://s3.amazonaws.com/echo.api/a/b/../../echo-api-cert.pem",
         URL_BASE "echo-api-cert.pem"},
        {"https://s3.amazonaws.com/echo.api/..", NULL},
        {"https://s3.amazonaws.com/echo.api/.", URL_BASE},
        {"https://s3.amazonaws.com/x/../echo.api/c.pem", URL_BASE "c.pem"},
        {"https://s3.amazonaws.com/../../echo.api/c.pem", URL_BASE "c.pem"},
        {"https://s3.amazonaws.com:0443/echo.api/c.pem", URL_BASE "c.pem"},
        {"https://s3.amazonaws.com:443443/echo.api/c.pem", NULL},
        {"https://s3.amazonaws.com:44a/echo.api/c.pem", NULL},
        {"https://s3.amazonaws.com./echo.api/c.pem", NULL},
        {"https://[::1]/echo.api/c.pem", NULL},
        {"https://s3.amazonaws.com\\echo.api/c.pem", NULL},
        {"https://s3.amazonaws.com/echo.api/c .pem", NULL},
        {"https://s3.amazonaws.com/echo.api/c\xc3\xa9.pem", NULL},
        {"https:/s3.amazonaws.com/echo.api/c.pem", NULL},
        {"https//s3.amazonaws.com/echo.api/c.pem", NULL},
        {"ftp://s3.amazonaws.com/echo.api/c.pem", NULL},
        {"https://s3.amazonaws.com", NULL},
        {"https://", NULL},
        {"s3.amazonaws.com/echo.api/c.pem", NULL},
        {"https://@s3.amazonaws.com/echo.api/c.pem", NULL},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char out[VERIFY_URL_MAX];
        enum verify_reason reason = VERIFY_R__COUNT;
        struct ss_error err = {0};
        enum ss_err rc = verify_chain_url(rows[i].url, out, &reason, &err);
        if (rows[i].normalised) {
            is_int(rc, SS_ERR_OK, "url valid: %s", rows[i].url);
            is_str(out, rows[i].normalised, "url normalised: %s", rows[i].url);
        } else {
            is_int(rc, SS_ERR_VERIFY, "url invalid: %s (%s)", rows[i].url, err.msg);
            is_reason(reason, VERIFY_R_CERT_URL_INVALID, "url invalid reason: %s", rows[i].url);
        }
    }

    char out[VERIFY_URL_MAX];
    enum verify_reason reason;
    struct ss_error err;
    is_int(verify_chain_url("", out, &reason, &err), SS_ERR_VERIFY, "empty url rejected");
    is_reason(reason, VERIFY_R_CERT_URL_MISSING, "empty url is 'missing'");
    is_int(verify_chain_url(NULL, out, &reason, &err), SS_ERR_VERIFY, "NULL url rejected");
    is_reason(reason, VERIFY_R_CERT_URL_MISSING, "NULL url is 'missing'");

    /* Longest accepted and one over. */
    static char long_url[LIMIT_VERIFY_URL_CHARS + 2];
    size_t base = strlen(URL_BASE);
    memcpy(long_url, URL_BASE, base);
    memset(long_url + base, 'a', LIMIT_VERIFY_URL_CHARS - base);
    long_url[LIMIT_VERIFY_URL_CHARS] = '\0';
    is_int(verify_chain_url(long_url, out, &reason, &err), SS_ERR_OK, "url at the limit accepted");
    is_int(strlen(out), LIMIT_VERIFY_URL_CHARS, "url at the limit kept whole");
    long_url[LIMIT_VERIFY_URL_CHARS] = 'a';
    long_url[LIMIT_VERIFY_URL_CHARS + 1] = '\0';
    is_int(verify_chain_url(long_url, out, &reason, &err), SS_ERR_VERIFY,
           "url over the limit rejected");
}

/* ---- §6: signatures and the Signature-256 / Signature policy ---- */

static void
test_signatures(void)
{
    struct ss_error err;
    time_t now = time(NULL);
    const char *url = URL_BASE "chain.pem";
    struct verify_ctx *ctx = make_ctx(false, NULL, NULL);
    struct verify_ctx *ctx1 = make_ctx(true, NULL, NULL);
    if (!ok(ctx && ctx1, "contexts created"))
        goto out;

    is_reason(check(ctx, url, sig(leaf_key, false, BODY), NULL, BODY, now, &err), VERIFY_R_NONE,
              "valid Signature-256 accepted (%s)", err.msg);
    is_int(host_count("/echo.api/chain.pem"), 1, "chain downloaded once");
    is_reason(check(ctx, url, sig(leaf_key, false, BODY), NULL, BODY, now, &err), VERIFY_R_NONE,
              "valid Signature-256 accepted again");
    is_int(host_count("/echo.api/chain.pem"), 1, "second request served from the cache");

    is_reason(check(ctx, url, sig(leaf_key, false, BODY), NULL, BODY "\n", now, &err),
              VERIFY_R_SIGNATURE_MISMATCH, "body with one byte added rejected");
    char tampered[] = BODY;
    tampered[20] ^= 1;
    is_reason(check(ctx, url, sig(leaf_key, false, BODY), NULL, tampered, now, &err),
              VERIFY_R_SIGNATURE_MISMATCH, "body with one bit changed rejected");
    is_reason(check(ctx, url, sig(other_key, false, BODY), NULL, BODY, now, &err),
              VERIFY_R_SIGNATURE_MISMATCH, "signature by another key rejected");
    contains(err.msg, "Signature-256", "message names the header");
    is_reason(check(ctx, url, sig(leaf_key, true, BODY), NULL, BODY, now, &err),
              VERIFY_R_SIGNATURE_MISMATCH, "SHA-1 signature in Signature-256 rejected");

    /* Base64 of every bad shape. */
    char good[SIGN_BASE64_MAX];
    snprintf(good, sizeof(good), "%s", sig(leaf_key, false, BODY));
    char with_space[SIGN_BASE64_MAX + 2], with_newline[SIGN_BASE64_MAX + 2];
    snprintf(with_space, sizeof(with_space), "%.100s %s", good, good + 100);
    snprintf(with_newline, sizeof(with_newline), "%.100s\n%s", good, good + 100);
    char no_pad[SIGN_BASE64_MAX];
    snprintf(no_pad, sizeof(no_pad), "%s", good);
    no_pad[strcspn(no_pad, "=")] = '\0';
    static const char *garbage[] = {"!!!!",
                                    "abc",
                                    "====",
                                    "QQ==QQ==",
                                    "QUJ=RA==",
                                    "Q===",
                                    "not base64 at all",
                                    "\xff\xfe\xfd\xfc"};
    for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++)
        is_reason(check(ctx, url, garbage[i], NULL, BODY, now, &err), VERIFY_R_SIGNATURE_BASE64,
                  "garbage base64 %zu rejected", i);
    is_reason(check(ctx, url, with_space, NULL, BODY, now, &err), VERIFY_R_SIGNATURE_BASE64,
              "base64 with a space inside rejected");
    is_reason(check(ctx, url, with_newline, NULL, BODY, now, &err), VERIFY_R_SIGNATURE_BASE64,
              "base64 with a line break rejected");
    /* A 2048-bit signature is 256 bytes: its base64 always ends in "==". */
    ok(strlen(no_pad) == strlen(good) - 2, "the signature's padding is cut off");
    is_reason(check(ctx, url, no_pad, NULL, BODY, now, &err), VERIFY_R_SIGNATURE_BASE64,
              "base64 without its padding rejected");
    is_reason(check(ctx, url, "QUJD", NULL, BODY, now, &err), VERIFY_R_SIGNATURE_MISMATCH,
              "valid base64 of the wrong length rejected");
    static char huge[4096];
    memset(huge, 'A', sizeof(huge) - 1);
    is_reason(check(ctx, url, huge, NULL, BODY, now, &err), VERIFY_R_SIGNATURE_BASE64,
              "over-long signature rejected");

    /* Missing headers. */
    is_reason(check(ctx, url, NULL, NULL, BODY, now, &err), VERIFY_R_SIGNATURE_MISSING,
              "no signature header rejected");
    is_reason(check(ctx, url, "", NULL, BODY, now, &err), VERIFY_R_SIGNATURE_MISSING,
              "empty Signature-256 rejected");
    is_reason(check(ctx, NULL, sig(leaf_key, false, BODY), NULL, BODY, now, &err),
              VERIFY_R_CERT_URL_MISSING, "no SignatureCertChainUrl rejected");
    is_reason(check(ctx, "", sig(leaf_key, false, BODY), NULL, BODY, now, &err),
              VERIFY_R_CERT_URL_MISSING, "empty SignatureCertChainUrl rejected");

    /* §6.3: Signature-256 required and wins; SHA-1 only when allowed and alone. */
    is_reason(check(ctx, url, NULL, sig(leaf_key, true, BODY), BODY, now, &err),
              VERIFY_R_SIGNATURE_LEGACY_ONLY, "legacy-only request rejected by default");
    is_reason(check(ctx, url, "", sig(leaf_key, true, BODY), BODY, now, &err),
              VERIFY_R_SIGNATURE_LEGACY_ONLY, "empty Signature-256 + legacy rejected by default");
    is_reason(check(ctx, url, sig(leaf_key, false, BODY), "garbage!", BODY, now, &err),
              VERIFY_R_NONE, "both headers: Signature-256 decides, legacy ignored");
    is_reason(
        check(ctx, url, sig(other_key, false, BODY), sig(leaf_key, true, BODY), BODY, now, &err),
        VERIFY_R_SIGNATURE_MISMATCH, "both headers: a bad Signature-256 is not rescued");

    const char *url1 = URL_BASE "sha1/chain.pem";
    is_reason(check(ctx1, url1, NULL, sig(leaf_key, true, BODY), BODY, now, &err), VERIFY_R_NONE,
              "allow_sha1: legacy-only SHA-1 request accepted (%s)", err.msg);
    is_reason(check(ctx1, url1, NULL, sig(leaf_key, true, BODY), BODY "x", now, &err),
              VERIFY_R_SIGNATURE_MISMATCH, "allow_sha1: tampered body rejected");
    is_reason(check(ctx1, url1, NULL, sig(leaf_key, false, BODY), BODY, now, &err),
              VERIFY_R_SIGNATURE_MISMATCH, "allow_sha1: SHA-256 signature in Signature rejected");
    is_reason(check(ctx1, url1, NULL, "%%%%", BODY, now, &err), VERIFY_R_SIGNATURE_BASE64,
              "allow_sha1: garbage legacy signature rejected");
    is_reason(
        check(ctx1, url1, sig(other_key, false, BODY), sig(leaf_key, true, BODY), BODY, now, &err),
        VERIFY_R_SIGNATURE_MISMATCH, "allow_sha1: Signature-256 still wins when present");
    is_reason(
        check(ctx1, url1, sig(leaf_key, false, BODY), sig(other_key, true, BODY), BODY, now, &err),
        VERIFY_R_NONE, "allow_sha1: good Signature-256 with a bad legacy one accepted");

    /* Spec §10.13: a cached URL does not let another, invalid URL through. */
    is_reason(check(ctx, "https://evil.example/echo.api/chain.pem", sig(leaf_key, false, BODY),
                    NULL, BODY, now, &err),
              VERIFY_R_CERT_URL_INVALID, "invalid URL rejected after a valid one was cached");
    /* The cache key is the normalised URL: another spelling is a hit. */
    int before = host_count("/echo.api/chain.pem");
    is_reason(check(ctx, "HTTPS://S3.amazonaws.com:443/echo.api/x/../chain.pem",
                    sig(leaf_key, false, BODY), NULL, BODY, now, &err),
              VERIFY_R_NONE, "other spelling of the same URL accepted");
    is_int(host_count("/echo.api/chain.pem"), before, "other spelling served from the cache");

    /* Binary bodies with NUL bytes are signed and checked as bytes. */
    static const char bin[] = "a\0b\0c";
    char bsig[SIGN_BASE64_MAX];
    enum verify_reason r;
    struct verify_headers h = {.cert_url = url, .signature_256 = bsig};
    ok(sign_body(leaf_key, false, bin, sizeof(bin), bsig, sizeof(bsig), &err) == SS_ERR_OK,
       "binary body signed");
    is_int(verify_signature(ctx, &h, bin, sizeof(bin), now, &r, &err), SS_ERR_OK,
           "body with NUL bytes verified over its length");
    is_int(verify_signature(ctx, &h, bin, sizeof(bin) - 1, now, &r, &err), SS_ERR_VERIFY,
           "one byte shorter rejected");

out:
    verify_ctx_destroy(ctx);
    verify_ctx_destroy(ctx1);
}

/* ---- §3 + §10.6: no network for a rejected URL ---- */

static void
test_no_download_for_bad_urls(void)
{
    struct ss_error err;
    struct verify_stats st;
    time_t now = time(NULL);
    struct verify_ctx *ctx = make_ctx(false, NULL, NULL);
    if (!ok(ctx, "context created"))
        return;
    static const char *bad[] = {
        "http://s3.amazonaws.com/echo.api/chain.pem",
        "https://s3.amazonaws.com/echo.api/../x/chain.pem",
        "https://s3.amazonaws.com:8443/echo.api/chain.pem",
        "https://s3.amazonaws.com/echo.api/%2e%2e/chain.pem",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        is_reason(check(ctx, bad[i], sig(leaf_key, false, BODY), NULL, BODY, now, &err),
                  VERIFY_R_CERT_URL_INVALID, "bad URL %s rejected", bad[i]);
    /* And no download for an unsigned request with a good URL either. */
    is_reason(check(ctx, URL_BASE "chain.pem", NULL, NULL, BODY, now, &err),
              VERIFY_R_SIGNATURE_MISSING, "unsigned request rejected");
    verify_ctx_stats(ctx, &st);
    is_int(st.downloads, 0, "no download attempted for any of them");
    verify_ctx_destroy(ctx);
}

/* ---- §5: the chain checks, with real downloads ---- */

static void
test_chains(void)
{
    struct ss_error err;
    struct verify_stats st;
    time_t now = time(NULL);
    struct verify_ctx *ctx = make_ctx(false, NULL, NULL);
    if (!ok(ctx, "context created"))
        return;
    static const struct {
        const char *file;
        enum verify_reason want;
        const char *what;
    } rows[] = {
        {"expired.pem", VERIFY_R_CERT_EXPIRED, "expired signing certificate"},
        {"notyet.pem", VERIFY_R_CERT_NOT_YET_VALID, "not-yet-valid signing certificate"},
        {"wrongsan.pem", VERIFY_R_CERT_SAN, "SAN without echo-api.amazon.com"},
        {"wildcard.pem", VERIFY_R_CERT_SAN, "SAN *.amazon.com only"},
        {"nosan.pem", VERIFY_R_CERT_SAN, "no SAN, name only in the CN"},
        {"badusage.pem", VERIFY_R_CERT_KEY, "keyUsage without digitalSignature"},
        {"untrusted.pem", VERIFY_R_CHAIN_UNTRUSTED, "chain to an untrusted root"},
        {"selfsigned.pem", VERIFY_R_CHAIN_UNTRUSTED, "self-signed signing certificate"},
        {"nointer.pem", VERIFY_R_CHAIN_UNTRUSTED, "intermediate missing"},
        {"garbage.pem", VERIFY_R_CHAIN_PARSE, "file that is no PEM"},
        {"big.pem", VERIFY_R_CHAIN_FETCH, "file over the size limit"},
        {"nothere.pem", VERIFY_R_CHAIN_FETCH, "HTTP 404"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char url[256], path[256];
        snprintf(url, sizeof(url), URL_BASE "%s", rows[i].file);
        snprintf(path, sizeof(path), "/echo.api/%s", rows[i].file);
        is_reason(check(ctx, url, sig(leaf_key, false, BODY), NULL, BODY, now, &err), rows[i].want,
                  "%s rejected (%s)", rows[i].what, err.msg);
        /* Remembered briefly: no second download. */
        is_reason(check(ctx, url, sig(leaf_key, false, BODY), NULL, BODY, now + 1, &err),
                  rows[i].want, "%s rejected again from memory", rows[i].what);
        is_int(host_count(path), 1, "%s downloaded once", rows[i].what);
        /* After the negative cache time, it is fetched again. */
        is_reason(check(ctx, url, sig(leaf_key, false, BODY), NULL, BODY,
                        now + LIMIT_VERIFY_NEGATIVE_S + 1, &err),
                  rows[i].want, "%s rejected after the negative cache time", rows[i].what);
        is_int(host_count(path), 2, "%s fetched again after %d s", rows[i].what,
               LIMIT_VERIFY_NEGATIVE_S);
    }
    verify_ctx_stats(ctx, &st);
    ok(st.download_failures == 4, "download failures counted (%llu)",
       (unsigned long long)st.download_failures);
    verify_ctx_destroy(ctx);

    /* The download itself is HTTPS with normal verification: a context that
     * does not trust the host's certificate cannot fetch anything. */
    char other_root[400];
    snprintf(other_root, sizeof(other_root), "%s/untrusted.pem", certs);
    ctx = make_ctx(false, NULL, other_root);
    if (ok(ctx, "context trusting another root created")) {
        is_reason(
            check(ctx, URL_BASE "chain.pem", sig(leaf_key, false, BODY), NULL, BODY, now, &err),
            VERIFY_R_CHAIN_FETCH, "TLS host with an untrusted certificate refused (%s)", err.msg);
        verify_ctx_destroy(ctx);
    }

    /* Nothing listening: a clean, bounded failure. */
    struct verify_config cfg = {.trust_ca = trust,
                                .connect_to = "s3.amazonaws.com:443:127.0.0.1:9",
                                .download_timeout_ms = 500};
    ctx = verify_ctx_create(&cfg, &err);
    if (ok(ctx, "context to a closed port created")) {
        is_reason(
            check(ctx, URL_BASE "chain.pem", sig(leaf_key, false, BODY), NULL, BODY, now, &err),
            VERIFY_R_CHAIN_FETCH, "closed port gives chain_fetch (%s)", err.msg);
        verify_ctx_destroy(ctx);
    }
}

/* ---- verify_chain_parse / verify_chain_check directly ---- */

static void
test_chain_parse(void)
{
    struct ss_error err;
    enum verify_reason reason;
    struct verify_chain *chain = NULL;
    char path[400];
    static char pem[80000];

    snprintf(path, sizeof(path), "%s/chain.pem", certs);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(pem, 1, sizeof(pem) - 1, f) : 0;
    if (f)
        fclose(f);
    ok(n > 1000, "chain.pem read");

    is_int(verify_chain_parse(pem, n, &chain, &reason, &err), SS_ERR_OK, "chain parsed");
    struct verify_ctx *ctx = make_ctx(false, NULL, NULL);
    if (ok(ctx && chain, "context created and chain parsed")) {
        is_int(verify_chain_check(ctx, chain, time(NULL), &reason, &err), SS_ERR_OK,
               "chain checks pass (%s)", err.msg);
        /* leaf valid 2000-01-01 .. 2099-12-31 */
        is_int(verify_chain_check(ctx, chain, 946684799, &reason, &err), SS_ERR_VERIFY,
               "one second before notBefore rejected");
        is_reason(reason, VERIFY_R_CERT_NOT_YET_VALID, "reason not yet valid");
        is_int(verify_chain_check(ctx, chain, 4102444800, &reason, &err), SS_ERR_VERIFY,
               "one second after notAfter rejected");
        is_reason(reason, VERIFY_R_CERT_EXPIRED, "reason expired");
    }
    verify_chain_destroy(chain);
    verify_ctx_destroy(ctx);

    /* Damaged input of several shapes. */
    char damaged[4000];
    size_t cut = n > 3000 ? 3000 : n / 2;
    memcpy(damaged, pem, cut);
    chain = NULL;
    is_int(verify_chain_parse(damaged, cut, &chain, &reason, &err), SS_ERR_VERIFY,
           "truncated chain rejected");
    is_reason(reason, VERIFY_R_CHAIN_PARSE, "truncated: chain_parse");
    ok(chain == NULL, "nothing returned for a damaged chain");
    memcpy(damaged, pem, 500);
    damaged[100] = '*';
    is_int(verify_chain_parse(damaged, 500, &chain, &reason, &err), SS_ERR_VERIFY,
           "corrupted base64 rejected");
    is_int(verify_chain_parse("", 0, &chain, &reason, &err), SS_ERR_VERIFY, "empty rejected");
    const char *nothing = "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n";
    is_int(verify_chain_parse(nothing, strlen(nothing), &chain, &reason, &err), SS_ERR_VERIFY,
           "empty PEM block rejected");
    /* Eleven certificates: over LIMIT_VERIFY_CHAIN_CERTS. */
    static char many[40000];
    size_t one = strstr(pem, "-----END CERTIFICATE-----\n") - pem + 26, m = 0;
    for (int i = 0; i <= LIMIT_VERIFY_CHAIN_CERTS; i++, m += one)
        memcpy(many + m, pem, one);
    is_int(verify_chain_parse(many, m, &chain, &reason, &err), SS_ERR_VERIFY,
           "%d certificates rejected", LIMIT_VERIFY_CHAIN_CERTS + 1);
    contains(err.msg, "more than", "message says why");
    is_int(verify_chain_parse(many, one * LIMIT_VERIFY_CHAIN_CERTS, &chain, &reason, &err),
           SS_ERR_OK, "%d certificates parsed", LIMIT_VERIFY_CHAIN_CERTS);
    verify_chain_destroy(chain);
}

/* ---- §7: timestamps ---- */

static void
fmt_time(time_t t, char *out, size_t cap)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
test_timestamps(void)
{
    enum verify_reason reason;
    struct ss_error err;
    time_t now = 1700000000, t;
    char ts[64];

    ok(verify_parse_timestamp("2015-05-13T12:34:56Z", &t) && t == 1431520496,
       "spec example parsed");
    ok(verify_parse_timestamp("2015-05-13T12:34:56.789Z", &t) && t == 1431520496,
       "fraction dropped");
    ok(verify_parse_timestamp("2015-05-13T14:34:56+02:00", &t) && t == 1431520496, "+02:00 offset");
    ok(verify_parse_timestamp("2015-05-13T07:04:56-0530", &t) && t == 1431520496, "-0530 offset");
    ok(verify_parse_timestamp("2016-02-29T00:00:00Z", &t) && t == 1456704000, "leap day");
    ok(verify_parse_timestamp("1970-01-01T00:00:00Z", &t) && t == 0, "epoch");
    static const char *bad[] = {
        "",
        "2015-05-13",
        "2015-05-13T12:34:56",
        "2015-05-13 12:34:56Z",
        "2015-05-13T12:34:56z",
        "2015-13-13T12:34:56Z",
        "2015-02-29T12:34:56Z",
        "2015-04-31T12:34:56Z",
        "2015-05-13T24:00:00Z",
        "2015-05-13T12:60:00Z",
        "2015-05-13T12:34:61Z",
        "2015-05-13T12:34:56.Z",
        "2015-05-13T12:34:56.1234567890Z",
        "2015-05-13T12:34:56+2:00",
        "2015-05-13T12:34:56+24:00",
        "2015-05-13T12:34:56Zjunk",
        "2015-5-13T12:34:56Z",
        "+015-05-13T12:34:56Z",
        "1431520496",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ok(!verify_parse_timestamp(bad[i], &t), "timestamp %s refused", bad[i]);
        is_int(verify_timestamp(bad[i], "LaunchRequest", now, &reason, &err), SS_ERR_VERIFY,
               "verify_timestamp(%s) fails", bad[i]);
    }

    static const struct {
        long delta; /* timestamp = now + delta */
        enum verify_reason want;
    } rows[] = {
        {0, VERIFY_R_NONE},
        {-150, VERIFY_R_NONE},
        {-151, VERIFY_R_TIMESTAMP_OLD},
        {150, VERIFY_R_NONE},
        {151, VERIFY_R_TIMESTAMP_FUTURE},
        {-86400, VERIFY_R_TIMESTAMP_OLD},
        {86400, VERIFY_R_TIMESTAMP_FUTURE},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        fmt_time(now + rows[i].delta, ts, sizeof(ts));
        reason = VERIFY_R__COUNT;
        enum ss_err rc = verify_timestamp(ts, "IntentRequest", now, &reason, &err);
        is_reason(reason, rows[i].want, "timestamp now%+ld s", rows[i].delta);
        is_int(rc, rows[i].want == VERIFY_R_NONE ? SS_ERR_OK : SS_ERR_VERIFY,
               "timestamp now%+ld s: return code", rows[i].delta);
    }
    is_int(verify_timestamp(NULL, "LaunchRequest", now, &reason, &err), SS_ERR_VERIFY,
           "missing timestamp rejected");
    is_reason(reason, VERIFY_R_TIMESTAMP_MISSING, "missing timestamp reason");

    /* Skill events may be an hour late (spec §7, §10.11). */
    fmt_time(now - 1800, ts, sizeof(ts));
    is_int(verify_timestamp(ts, "AlexaSkillEvent.SkillEnabled", now, &reason, &err), SS_ERR_OK,
           "skill event 30 min old accepted");
    is_int(verify_timestamp(ts, "LaunchRequest", now, &reason, &err), SS_ERR_VERIFY,
           "LaunchRequest 30 min old rejected");
    fmt_time(now - 3601, ts, sizeof(ts));
    is_int(verify_timestamp(ts, "AlexaSkillEvent.SkillEnabled", now, &reason, &err), SS_ERR_VERIFY,
           "skill event 3601 s old rejected");
}

/* ---- the entry point: each policy x each applicationId case (§7, §8) ---- */

#define ID_A "amzn1.ask.skill.aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"
#define ID_B "amzn1.ask.skill.bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb"

/* A LaunchRequest made at now - age, naming context_id in
 * context.System.application (NULL: no context.System) and session_id in
 * session.application (NULL: no session). Caller frees. */
static char *
entry_body(const char *context_id, const char *session_id, time_t now, long age)
{
    char ts[64];
    fmt_time(now - age, ts, sizeof(ts));
    json_t *doc =
        json_pack("{s:s, s:{}, s:{s:s, s:s, s:s}}", "version", "1.0", "context", "request", "type",
                  "LaunchRequest", "requestId", "amzn1.echo-api.request.entry", "timestamp", ts);
    if (doc && context_id)
        json_object_set_new(json_object_get(doc, "context"), "System",
                            json_pack("{s:{s:s}}", "application", "applicationId", context_id));
    if (doc && session_id)
        json_object_set_new(doc, "session",
                            json_pack("{s:b, s:s, s:{s:s}}", "new", 1, "sessionId", "s",
                                      "application", "applicationId", session_id));
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!text)
        tap_fail("cannot build a request body");
    return text;
}

/*
 * One request through the whole entry point as a caller uses it:
 * verify_raw() on the bytes (signed with the leaf key when the policy checks
 * signatures), request_parse(), verify_parsed(). Returns the result and
 * fills *reason and err.
 */
static enum ss_err
entry(struct verify_ctx *ctx, const struct verify_policy *policy, const struct skill *skill,
      const char *context_id, const char *session_id, long age, enum verify_reason *reason,
      struct ss_error *err)
{
    time_t now = time(NULL);
    struct request req;
    enum ss_err rc = SS_ERR_NOMEM;
    char *body = entry_body(context_id, session_id, now, age);
    if (!body)
        return rc;
    struct verify_headers h = {.cert_url = URL_BASE "chain.pem",
                               .signature_256 = sig(leaf_key, false, body)};
    *reason = VERIFY_R__COUNT;
    ss_error_clear(err);
    rc = verify_raw(ctx, policy, &h, body, strlen(body), now, reason, err);
    if (rc == SS_ERR_OK) {
        if (request_parse(&req, body, strlen(body), err) != SS_ERR_OK) {
            tap_fail("request_parse: %s", err->msg);
            free(body);
            return SS_ERR_FIELD;
        }
        rc = verify_parsed(policy, &req, skill, now, reason, err);
        request_cleanup(&req);
    }
    /* The return code and the reason agree. */
    if ((rc == SS_ERR_OK) != (*reason == VERIFY_R_NONE))
        tap_fail("the entry point returned %s with the reason %s", ss_err_name(rc),
                 verify_reason_name(*reason));
    free(body);
    return rc;
}

/* err's sentence mentions every one of the NULL-terminated words. */
static void
mentions(const struct ss_error *err, const char *what, ...)
{
    va_list ap;
    va_start(ap, what);
    for (const char *w = va_arg(ap, const char *); w; w = va_arg(ap, const char *))
        ok(strstr(err->msg, w) != NULL, "%s: the sentence names %s (%s)", what, w, err->msg);
    va_end(ap);
}

static void
test_entry_point(void)
{
    struct verify_ctx *ctx = make_ctx(false, NULL, NULL);
    struct skill pinned = {.name = "pinned", .application_id = ID_A};
    struct skill unpinned = {.name = "unpinned"};
    enum verify_reason reason;
    struct ss_error err;
    ss_error_clear(&err);
    if (!ok(ctx, "context created"))
        return;

    const struct {
        const char *name;
        const struct verify_policy *policy;
    } policies[] = {{"alexa", &VERIFY_POLICY_ALEXA}, {"local", &VERIFY_POLICY_LOCAL}};

    ok(VERIFY_POLICY_ALEXA.signature && VERIFY_POLICY_ALEXA.timestamp,
       "serve's policy checks the signature and the timestamp");
    ok(!VERIFY_POLICY_LOCAL.signature && !VERIFY_POLICY_LOCAL.timestamp,
       "the local policy checks neither");

    for (size_t i = 0; i < sizeof(policies) / sizeof(policies[0]); i++) {
        const char *pn = policies[i].name;
        const struct verify_policy *pol = policies[i].policy;

        /* match */
        is_int(entry(ctx, pol, &pinned, ID_A, ID_A, 10, &reason, &err), SS_ERR_OK,
               "%s: both ids the skill's: accepted (%s)", pn, err.msg);

        /* context mismatch */
        is_int(entry(ctx, pol, &pinned, ID_B, ID_B, 10, &reason, &err), SS_ERR_WRONG_APPLICATION,
               "%s: context names another skill: refused", pn);
        is_reason(reason, VERIFY_R_APPLICATION_ID, "%s: context mismatch reason", pn);
        mentions(&err, "context mismatch", ID_A, ID_B, "pinned", "skill.json", NULL);

        /* session mismatch: the context is right, the session names another skill */
        is_int(entry(ctx, pol, &pinned, ID_A, ID_B, 10, &reason, &err), SS_ERR_WRONG_APPLICATION,
               "%s: session names another skill: refused", pn);
        is_reason(reason, VERIFY_R_APPLICATION_ID, "%s: session mismatch reason", pn);
        mentions(&err, "session mismatch", ID_A, ID_B, "pinned",
                 "session.application.applicationId", NULL);

        /* session absent (AudioPlayer requests have none): the context decides */
        is_int(entry(ctx, pol, &pinned, ID_A, NULL, 10, &reason, &err), SS_ERR_OK,
               "%s: no session, context the skill's: accepted (%s)", pn, err.msg);
        is_int(entry(ctx, pol, &pinned, ID_B, NULL, 10, &reason, &err), SS_ERR_WRONG_APPLICATION,
               "%s: no session, context another skill's: refused", pn);
        /* no context.System: the session's id stands in for it */
        is_int(entry(ctx, pol, &pinned, NULL, ID_A, 10, &reason, &err), SS_ERR_OK,
               "%s: no context id, session the skill's: accepted (%s)", pn, err.msg);
        is_int(entry(ctx, pol, &pinned, NULL, ID_B, 10, &reason, &err), SS_ERR_WRONG_APPLICATION,
               "%s: no context id, session another skill's: refused", pn);
        /* no id at all */
        is_int(entry(ctx, pol, &pinned, NULL, NULL, 10, &reason, &err), SS_ERR_WRONG_APPLICATION,
               "%s: no applicationId anywhere: refused", pn);
        mentions(&err, "no id", ID_A, "pinned", NULL);

        /* no configured id: no id check, whatever the request says */
        is_int(entry(ctx, pol, &unpinned, ID_A, ID_B, 10, &reason, &err), SS_ERR_OK,
               "%s: no configured id, ids that differ: accepted (%s)", pn, err.msg);
        is_int(entry(ctx, pol, &unpinned, NULL, NULL, 10, &reason, &err), SS_ERR_OK,
               "%s: no configured id, no ids: accepted (%s)", pn, err.msg);
        /* no skill found (routing failed): only the policy's checks */
        is_int(entry(ctx, pol, NULL, ID_B, ID_A, 10, &reason, &err), SS_ERR_OK,
               "%s: no skill: no id check (%s)", pn, err.msg);

        /* an id that only starts like the skill's is not the skill's */
        struct skill prefix = {.name = "prefix", .application_id = "amzn1.ask.skill."};
        is_int(entry(ctx, pol, &prefix, ID_A, ID_A, 10, &reason, &err), SS_ERR_WRONG_APPLICATION,
               "%s: a prefix of the id is not the id", pn);
    }
    is_int(ss_err_status(SS_ERR_WRONG_APPLICATION), 400, "a wrong applicationId is a 400");

    /* What differs between the policies: the signature and the timestamp. */
    time_t now = time(NULL);
    char *body = entry_body(ID_A, ID_A, now, 10);
    struct verify_headers none = {0};
    is_int(verify_raw(ctx, &VERIFY_POLICY_ALEXA, &none, body, strlen(body), now, &reason, &err),
           SS_ERR_VERIFY, "alexa: an unsigned body is refused before it is parsed");
    is_reason(reason, VERIFY_R_SIGNATURE_MISSING, "alexa: unsigned reason");
    is_int(verify_raw(NULL, &VERIFY_POLICY_LOCAL, NULL, body, strlen(body), now, &reason, &err),
           SS_ERR_OK, "local: no signature, no headers, no context needed");
    is_reason(reason, VERIFY_R_NONE, "local: reason none");
    is_int(verify_raw(NULL, &VERIFY_POLICY_ALEXA, &none, body, strlen(body), now, &reason, &err),
           SS_ERR_IO, "alexa without a context: an internal error, not a pass");
    is_reason(reason, VERIFY_R_INTERNAL, "alexa without a context: reason internal");
    is_int(verify_raw(ctx, NULL, &none, body, strlen(body), now, &reason, &err), SS_ERR_IO,
           "no policy: refused, there is no default");
    struct request req;
    if (ok(request_parse(&req, body, strlen(body), &err) == SS_ERR_OK, "body parses")) {
        is_int(verify_parsed(NULL, &req, &pinned, now, &reason, &err), SS_ERR_IO,
               "verify_parsed without a policy: refused");
        is_reason(reason, VERIFY_R_INTERNAL, "no policy: reason internal");
        request_cleanup(&req);
    }
    free(body);

    is_int(entry(ctx, &VERIFY_POLICY_ALEXA, &pinned, ID_A, ID_A, 161, &reason, &err), SS_ERR_VERIFY,
           "alexa: a stale request is refused");
    is_reason(reason, VERIFY_R_TIMESTAMP_OLD, "alexa: stale reason");
    is_int(entry(ctx, &VERIFY_POLICY_ALEXA, &pinned, ID_B, ID_A, 161, &reason, &err), SS_ERR_VERIFY,
           "alexa: the timestamp is checked before the applicationId");
    is_reason(reason, VERIFY_R_TIMESTAMP_OLD, "alexa: stale and wrong id: the timestamp's reason");
    is_int(entry(ctx, &VERIFY_POLICY_ALEXA, NULL, ID_A, ID_A, 161, &reason, &err), SS_ERR_VERIFY,
           "alexa: no skill found, stale: still refused as stale");
    is_int(entry(ctx, &VERIFY_POLICY_LOCAL, &pinned, ID_A, ID_A, 99999, &reason, &err), SS_ERR_OK,
           "local: an old canned request is accepted (%s)", err.msg);
    is_int(entry(ctx, &VERIFY_POLICY_LOCAL, &pinned, ID_A, ID_B, 99999, &reason, &err),
           SS_ERR_WRONG_APPLICATION, "local: but not one whose session names another skill");

    verify_ctx_destroy(ctx);
}

/* ---- §4: the cache ---- */

struct racer {
    struct verify_ctx *ctx;
    pthread_barrier_t *start;
    time_t now;
    enum verify_reason reason;
    char s256[SIGN_BASE64_MAX];
};

static void *
race(void *arg)
{
    struct racer *r = arg;
    struct ss_error err;
    struct verify_headers h = {.cert_url = URL_BASE "slow/chain.pem", .signature_256 = r->s256};
    pthread_barrier_wait(r->start);
    verify_signature(r->ctx, &h, BODY, strlen(BODY), r->now, &r->reason, &err);
    return NULL;
}

static void
test_cache_concurrent(void)
{
    enum { THREADS = 16 };
    struct racer racers[THREADS];
    pthread_t th[THREADS];
    pthread_barrier_t start;
    struct verify_stats st;
    struct verify_ctx *ctx = make_ctx(false, NULL, NULL);
    if (!ok(ctx, "context created"))
        return;
    pthread_barrier_init(&start, NULL, THREADS);
    const char *s = sig(leaf_key, false, BODY);
    int started = 0;
    for (int i = 0; i < THREADS; i++) {
        racers[i] = (struct racer){
            .ctx = ctx, .start = &start, .now = time(NULL), .reason = VERIFY_R__COUNT};
        snprintf(racers[i].s256, sizeof(racers[i].s256), "%s", s);
        if (pthread_create(&th[i], NULL, race, &racers[i]) != 0)
            break;
        started++;
    }
    if (!ok(started == THREADS, "%d threads started", THREADS)) {
        /* The barrier would never open: nothing sensible to join. */
        exit(tap_done());
    }
    int good = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        good += racers[i].reason == VERIFY_R_NONE;
    }
    pthread_barrier_destroy(&start);
    is_int(good, THREADS, "every concurrent first request verified");
    is_int(host_count("/echo.api/slow/chain.pem"), 1,
           "%d concurrent first requests caused one download", THREADS);
    verify_ctx_stats(ctx, &st);
    is_int(st.downloads, 1, "the context counted one download");
    is_int(st.memory_hits, THREADS - 1, "the others were served from memory");
    verify_ctx_destroy(ctx);
}

static void
test_cache_restart(void)
{
    struct ss_error err;
    struct verify_stats st;
    time_t now = time(NULL);
    char dir[400], file[600];
    const char *url = URL_BASE "restart/chain.pem";
    snprintf(dir, sizeof(dir), "%s/cert-cache", tmp);

    struct verify_ctx *ctx = make_ctx(false, dir, NULL);
    if (!ok(ctx, "context with a cache folder created"))
        return;
    is_reason(check(ctx, url, sig(leaf_key, false, BODY), NULL, BODY, now, &err), VERIFY_R_NONE,
              "first run: verified (%s)", err.msg);
    is_int(host_count("/echo.api/restart/chain.pem"), 1, "first run: downloaded");
    verify_ctx_destroy(ctx);
    ok(run("test $(ls -A '%s' | wc -l) -eq 1", dir) == 0, "one file in the cache folder");
    ok(run("ls -A '%s' | grep -q '^[0-9a-f]\\{64\\}\\.pem$'", dir) == 0,
       "named by the URL's SHA-256, no temporary file left");

    ctx = make_ctx(false, dir, NULL);
    if (!ok(ctx, "context on the same cache folder created"))
        return;
    is_reason(check(ctx, url, sig(leaf_key, false, BODY), NULL, BODY, now, &err), VERIFY_R_NONE,
              "restart: verified");
    is_int(host_count("/echo.api/restart/chain.pem"), 1, "restart: no download");
    verify_ctx_stats(ctx, &st);
    is_int(st.disk_loads, 1, "restart: chain read from the folder");
    is_int(st.downloads, 0, "restart: context downloaded nothing");
    verify_ctx_destroy(ctx);

    /* What is read back is checked like a download: a file replaced by a
     * chain to an untrusted root is refused and fetched anew. */
    if (ok(run("f=$(ls '%s'/*.pem); cp '%s/untrusted.pem' \"$f\"", dir, certs) == 0,
           "cache file replaced by a chain to an untrusted root") &&
        (ctx = make_ctx(false, dir, NULL)) != NULL) {
        is_reason(check(ctx, url, sig(leaf_key, false, BODY), NULL, BODY, now, &err), VERIFY_R_NONE,
                  "tampered cache file: verified after a fresh download");
        is_int(host_count("/echo.api/restart/chain.pem"), 2, "tampered cache file: downloaded");
        verify_ctx_stats(ctx, &st);
        is_int(st.disk_loads, 0, "tampered cache file not used");
        verify_ctx_destroy(ctx);
    }
    /* A damaged file likewise. */
    if (ok(run("f=$(ls '%s'/*.pem); echo garbage > \"$f\"", dir) == 0,
           "cache file replaced by garbage") &&
        (ctx = make_ctx(false, dir, NULL)) != NULL) {
        is_reason(check(ctx, url, sig(leaf_key, false, BODY), NULL, BODY, now, &err), VERIFY_R_NONE,
                  "damaged cache file: verified after a fresh download");
        is_int(host_count("/echo.api/restart/chain.pem"), 3, "damaged cache file: downloaded");
        verify_ctx_destroy(ctx);
    }
    snprintf(file, sizeof(file), "%s/not-a-folder", tmp);
    FILE *f = fopen(file, "w");
    if (f)
        fclose(f);
    struct verify_config cfg = {.trust_ca = trust, .cache_dir = file};
    ctx = verify_ctx_create(&cfg, &err);
    ok(ctx == NULL && err.code == SS_ERR_IO, "a file as cache folder refused: %s", err.msg);
    verify_ctx_destroy(ctx);
}

static void
test_cache_expiry(void)
{
    struct ss_error err;
    struct verify_stats st, st2;
    time_t now = time(NULL);
    const char *url = URL_BASE "expiry/chain.pem";
    const char *path = "/echo.api/expiry/chain.pem";
    struct verify_ctx *ctx = make_ctx(false, NULL, NULL);
    if (!ok(ctx, "context created"))
        return;

    is_reason(check(ctx, url, sig(leaf_key, false, BODY), NULL, BODY, now, &err), VERIFY_R_NONE,
              "cached");
    is_int(host_count(path), 1, "downloaded once");
    verify_ctx_stats(ctx, &st);

    /* Within an hour: a hit costs no chain check. */
    is_reason(check(ctx, url, sig(leaf_key, false, BODY), NULL, BODY, now + 60, &err),
              VERIFY_R_NONE, "hit a minute later");
    verify_ctx_stats(ctx, &st2);
    is_int(st2.chain_checks, st.chain_checks, "no chain check on an ordinary hit");
    /* After LIMIT_VERIFY_RECHECK_S the whole chain is verified again. */
    is_reason(check(ctx, url, sig(leaf_key, false, BODY), NULL, BODY,
                    now + LIMIT_VERIFY_RECHECK_S + 1, &err),
              VERIFY_R_NONE, "hit after the recheck interval");
    verify_ctx_stats(ctx, &st2);
    is_int(st2.chain_checks, st.chain_checks + 1, "one full chain check after the interval");
    is_int(host_count(path), 1, "still no second download");

    /* Before notBefore (clock set back): refused from the cache. */
    is_reason(check(ctx, url, sig(leaf_key, false, BODY), NULL, BODY, 946684799, &err),
              VERIFY_R_CERT_NOT_YET_VALID, "cached chain refused before its notBefore");
    /* Past notAfter (2099-12-31T23:59:59Z): refused, after one attempt to
     * fetch a renewed chain from the same URL. */
    is_reason(check(ctx, url, sig(leaf_key, false, BODY), NULL, BODY, 4102444800, &err),
              VERIFY_R_CERT_EXPIRED, "cached chain refused after its notAfter (%s)", err.msg);
    is_int(host_count(path), 2, "expired entry fetched again once");
    is_reason(check(ctx, url, sig(leaf_key, false, BODY), NULL, BODY, now, &err), VERIFY_R_NONE,
              "back at the real time: verified again");
    verify_ctx_destroy(ctx);
}

static void
test_cache_bounded(void)
{
    struct ss_error err;
    time_t now = time(NULL);
    char url[128], path[128];
    struct verify_ctx *ctx = make_ctx(false, NULL, NULL);
    if (!ok(ctx, "context created"))
        return;
    int good = 0;
    for (int i = 0; i < 40; i++) {
        snprintf(url, sizeof(url), URL_BASE "many/c%d.pem", i);
        good +=
            check(ctx, url, sig(leaf_key, false, BODY), NULL, BODY, now + i, &err) == VERIFY_R_NONE;
    }
    is_int(good, 40, "40 URLs verified");
    /* The memory cache holds LIMIT_VERIFY_CACHE_ENTRIES; the least recently
     * used went first. */
    snprintf(url, sizeof(url), URL_BASE "many/c39.pem");
    check(ctx, url, sig(leaf_key, false, BODY), NULL, BODY, now + 40, &err);
    is_int(host_count("/echo.api/many/c39.pem"), 1, "most recent URL still cached");
    snprintf(url, sizeof(url), URL_BASE "many/c0.pem");
    check(ctx, url, sig(leaf_key, false, BODY), NULL, BODY, now + 41, &err);
    snprintf(path, sizeof(path), "/echo.api/many/c0.pem");
    is_int(host_count(path), 2, "oldest URL was evicted and fetched again");
    verify_ctx_destroy(ctx);
}

/* ---- configuration errors ---- */

static void
test_config(void)
{
    struct ss_error err;
    struct verify_config cfg = {.trust_ca = "/nonexistent/ca.pem"};
    struct verify_ctx *ctx = verify_ctx_create(&cfg, &err);
    ok(ctx == NULL && err.code == SS_ERR_USAGE, "missing trust file refused: %s", err.msg);
    cfg = (struct verify_config){.trust_ca = trust, .connect_to = "127.0.0.1:8443"};
    ctx = verify_ctx_create(&cfg, &err);
    ok(ctx == NULL && err.code == SS_ERR_USAGE, "malformed connect-to refused: %s", err.msg);
    cfg = (struct verify_config){0};
    ctx = verify_ctx_create(&cfg, &err);
    ok(ctx != NULL, "system trust store loads");
    verify_ctx_destroy(ctx);
    verify_ctx_destroy(NULL);

    /* The reason names are the /metrics labels: unique and stable. */
    is_str(verify_reason_name(VERIFY_R_SIGNATURE_MISMATCH), "signature_mismatch", "a name");
    is_str(verify_reason_name(VERIFY_R__COUNT), "unknown", "out of range");
    bool unique = true;
    for (int i = 0; i < VERIFY_R__COUNT; i++)
        for (int j = i + 1; j < VERIFY_R__COUNT; j++)
            unique = unique && strcmp(verify_reason_name(i), verify_reason_name(j)) != 0;
    ok(unique, "reason names are unique");
    is_int(ss_err_status(SS_ERR_VERIFY), 400, "verification failure is a 400");
    is_str(ss_err_spoken(SS_ERR_VERIFY), "", "nothing is spoken for it");
}

/* ---- sign ---- */

static void
test_sign(void)
{
    struct ss_error err;
    char out[SIGN_HEADERS_MAX], key[400];
    snprintf(key, sizeof(key), "%s/leaf.key", certs);
    const char *url = URL_BASE "chain.pem";

    is_int(sign_headers(key, url, BODY, strlen(BODY), false, out, sizeof(out), &err), SS_ERR_OK,
           "headers made");
    ok(strncmp(out, "SignatureCertChainUrl: " URL_BASE "chain.pem\nSignature-256: ", 59) == 0,
       "URL line, then Signature-256");
    ok(strstr(out, "\nSignature: ") == NULL, "no legacy header without sha1");
    ok(out[strlen(out) - 1] == '\n', "ends with a newline");

    /* Round trip through the verifier. */
    char s256[SIGN_BASE64_MAX] = "";
    const char *p = strstr(out, "Signature-256: ");
    if (p)
        sscanf(p + 15, "%1368[A-Za-z0-9+/=]", s256);
    struct verify_ctx *ctx = make_ctx(false, NULL, NULL);
    if (ok(ctx, "context created")) {
        is_reason(check(ctx, url, s256, NULL, BODY, time(NULL), &err), VERIFY_R_NONE,
                  "sign_headers output verifies");
        verify_ctx_destroy(ctx);
    }

    is_int(sign_headers(key, url, BODY, strlen(BODY), true, out, sizeof(out), &err), SS_ERR_OK,
           "headers with sha1 made");
    contains(out, "\nSignature: ", "legacy header present with sha1");
    is_int(sign_headers("/nonexistent.key", url, BODY, 3, false, out, sizeof(out), &err), SS_ERR_IO,
           "missing key file");
    char notkey[400];
    snprintf(notkey, sizeof(notkey), "%s/root.pem", certs);
    is_int(sign_headers(notkey, url, BODY, 3, false, out, sizeof(out), &err), SS_ERR_USAGE,
           "a certificate is not a key: %s", err.msg);
    is_int(sign_headers(key, "https://x/\r\nX-Evil: 1", BODY, 3, false, out, sizeof(out), &err),
           SS_ERR_USAGE, "CR LF in the URL refused");
    is_int(sign_headers(key, url, BODY, 3, false, out, 40, &err), SS_ERR_USAGE,
           "too small a buffer refused");
    is_str(out, "", "and left empty");
}

/* verify_base64_decode against OpenSSL's encoder: every length up to a
 * signature's, random bytes; then each group with one character made
 * wrong ('=', a space, a character outside the alphabet) is refused. */
static void
test_base64(void)
{
    unsigned char raw[LIMIT_VERIFY_SIGNATURE_CHARS / 4 * 3], back[sizeof(raw)];
    char text[LIMIT_VERIFY_SIGNATURE_CHARS + 4];
    int wrong = 0, refused = 0, lengths = 0;
    unsigned seed = 12345;
    for (size_t n = 1; n <= 512; n++) {
        for (size_t i = 0; i < n; i++)
            raw[i] = (unsigned char)((seed = seed * 1103515245u + 12345u) >> 16);
        int len = EVP_EncodeBlock((unsigned char *)text, raw, (int)n);
        if ((size_t)len > LIMIT_VERIFY_SIGNATURE_CHARS)
            break;
        lengths++;
        long got = verify_base64_decode(text, back, sizeof(back));
        if (got != (long)n || memcmp(raw, back, n) != 0)
            wrong++;
        if (verify_base64_decode(text, back, n - 1) >= 0)
            wrong++; /* a buffer one byte short is refused, not overrun */
        static const char bad[] = {'=', ' ', '-', '_', '.', '\n', '\x80'};
        for (int at = 0; at < len; at += 4) {
            /* '=' is valid in the last group's last two places only. */
            for (size_t b = 0; b < sizeof(bad); b++) {
                int place = at + (int)(b % 4);
                if (bad[b] == '=' && place >= len - 2)
                    continue;
                char keep = text[place];
                text[place] = bad[b];
                if (verify_base64_decode(text, back, sizeof(back)) >= 0)
                    wrong++;
                else
                    refused++;
                text[place] = keep;
            }
        }
    }
    ok(lengths > 250, "base64 checked for %d lengths", lengths);
    is_int(wrong, 0, "OpenSSL's base64 decoded to the same bytes; no corrupted text accepted");
    ok(refused > 10000, "%d corrupted texts refused", refused);
}

int
main(void)
{
    /* A child killed mid-write must not kill the test. */
    signal(SIGPIPE, SIG_IGN);
    if (!ok(setup(), "test chain made and chain host started on %s", connect_to)) {
        teardown();
        return tap_done();
    }
    test_url_table();
    test_base64();
    test_signatures();
    test_no_download_for_bad_urls();
    test_chains();
    test_chain_parse();
    test_timestamps();
    test_entry_point();
    test_cache_concurrent();
    test_cache_restart();
    test_cache_expiry();
    test_cache_bounded();
    test_config();
    test_sign();
    teardown();
    return tap_done();
}
