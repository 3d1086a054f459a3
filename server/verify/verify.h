/*
 * verify.h - proving that a request came from Amazon and is for this skill
 * (spec/request-verification.md).
 *
 * The verify module owns every rule a request must pass before a skill runs:
 * the SignatureCertChainUrl rules (§3), the download of the signing chain
 * with libcurl and its cache in memory and on disk (§4), the chain checks
 * with OpenSSL (§5), the RSA signature over the raw body with the
 * Signature-256 / Signature policy (§6), the timestamp window (§7) and the
 * applicationId rule (§8). Nobody else decides any of them: callers say only
 * which path a request came by, with a struct verify_policy.
 *
 * What must stay true:
 * - Every path that runs a skill passes through the entry point,
 *   verify_raw() then verify_parsed(), with its policy: `serve` (and
 *   `serve --no-verify`) in the front, `lambda` through dispatch_check(),
 *   `invoke` and `say` (and with it the
 *   web simulator) through dispatch_run().
 * - The URL is checked before the cache is consulted and before any network
 *   I/O; a URL that fails §3 never reaches the cache or libcurl.
 * - Only chains that passed every check of §5 are cached; a cached chain has
 *   its signing certificate's dates re-checked on every use and its whole
 *   chain re-verified at least every LIMIT_VERIFY_RECHECK_S.
 * - Every failure has one reason from VERIFY_REASONS with a stable short name
 *   (/metrics counts by it, the log prints it) and a sentence in err->msg.
 *   Verification failures return SS_ERR_VERIFY (HTTP 400), a wrong
 *   applicationId SS_ERR_WRONG_APPLICATION (400), and only internal failures
 *   (out of memory, a broken OpenSSL, a caller without a policy) SS_ERR_NOMEM
 *   / SS_ERR_IO (500).
 *
 * Threads: a struct verify_ctx is created once at start-up and then shared by
 * all request threads; every function here is thread-safe. Costs per request
 * on the cached path: one mutex-protected lookup (hash compare, no
 * allocation), base64 decode, one RSA-2048 PKCS#1 verify (~20 us), timestamp
 * parse, two string compares. A cache miss costs one HTTPS download (bounded
 * by LIMIT_VERIFY_DOWNLOAD_MS) and a full chain check (~0.3 ms); concurrent
 * misses for one URL share a single download.
 */
#ifndef SKILLSERVER_VERIFY_H
#define SKILLSERVER_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "error.h"
#include "ss_limits.h"

struct request;
struct skill;

/* X(NAME, short name for metrics and logs, sentence) */
#define VERIFY_REASONS(X)                                                                          \
    X(NONE, "ok", "request verified")                                                              \
    X(CERT_URL_MISSING, "cert_url_missing", "SignatureCertChainUrl header is missing")             \
    X(CERT_URL_INVALID, "cert_url_invalid", "SignatureCertChainUrl is not an Amazon URL")          \
    X(SIGNATURE_MISSING, "signature_missing", "Signature-256 header is missing")                   \
    X(SIGNATURE_LEGACY_ONLY, "signature_legacy_only",                                              \
      "only the legacy SHA-1 Signature header was sent")                                           \
    X(SIGNATURE_BASE64, "signature_base64", "signature header is not valid base64")                \
    X(SIGNATURE_MISMATCH, "signature_mismatch", "signature does not match the body")               \
    X(CHAIN_FETCH, "chain_fetch", "certificate chain could not be downloaded")                     \
    X(CHAIN_PARSE, "chain_parse", "certificate chain is not a PEM chain")                          \
    X(CERT_EXPIRED, "cert_expired", "signing certificate has expired")                             \
    X(CERT_NOT_YET_VALID, "cert_not_yet_valid", "signing certificate is not yet valid")            \
    X(CERT_SAN, "cert_san", "signing certificate is not for echo-api.amazon.com")                  \
    X(CERT_KEY, "cert_key", "signing certificate's key cannot sign requests")                      \
    X(CHAIN_UNTRUSTED, "chain_untrusted", "certificate chain does not lead to a trusted root")     \
    X(TIMESTAMP_MISSING, "timestamp_missing", "request.timestamp is missing")                      \
    X(TIMESTAMP_INVALID, "timestamp_invalid", "request.timestamp is not an ISO 8601 time")         \
    X(TIMESTAMP_OLD, "timestamp_too_old", "request.timestamp is too old")                          \
    X(TIMESTAMP_FUTURE, "timestamp_in_future", "request.timestamp is in the future")               \
    X(APPLICATION_ID, "application_id", "applicationId does not match the skill")                  \
    X(INTERNAL, "internal", "internal error while verifying")

enum verify_reason {
#define VERIFY_REASON_ENUM(name, short_name, text) VERIFY_R_##name,
    VERIFY_REASONS(VERIFY_REASON_ENUM)
#undef VERIFY_REASON_ENUM
        VERIFY_R__COUNT
};

/* "signature_mismatch" etc.; never NULL. Stable: /metrics labels use it. */
const char *verify_reason_name(enum verify_reason reason);
/* The sentence for a reason, for logs. */
const char *verify_reason_text(enum verify_reason reason);

/* ---- the context shared by the request threads ---- */

/* The trust store, the chain cache and the downloader: needed only on a path
 * whose policy checks signatures (serve without --no-verify). */

struct verify_config {
    /* PEM file with the roots trusted for the signing chain and for the
     * HTTPS download (--trust-ca); NULL: the system's default store and
     * libcurl's default bundle. */
    const char *trust_ca;
    /* Folder for downloaded chains (--cert-cache); NULL: memory only.
     * Created (one level) if missing. */
    const char *cache_dir;
    /* "HOST:PORT:HOST2:PORT2" as curl's --connect-to (--cert-connect-to);
     * NULL: connect to the URL's host. When set, proxies from the
     * environment are not used. */
    const char *connect_to;
    /* Accept the legacy SHA-1 Signature header when Signature-256 is
     * absent (spec §6.3 ALLOW_LEGACY_SHA1_SIGNATURE; default false). */
    bool allow_sha1;
    /* Download time limit in ms; 0: LIMIT_VERIFY_DOWNLOAD_MS. */
    long download_timeout_ms;
};

struct verify_ctx;

/*
 * Create a context: loads the trust store and prepares the caches. The
 * strings in config are copied. Returns NULL with err set (SS_ERR_USAGE for a
 * bad connect_to or an unreadable trust_ca, SS_ERR_IO for a cache folder that
 * cannot be made, SS_ERR_NOMEM). Call at start-up, before threads share it.
 */
struct verify_ctx *verify_ctx_create(const struct verify_config *config, struct ss_error *err);

/* Free a context; safe on NULL. No request may be using it. */
void verify_ctx_destroy(struct verify_ctx *ctx);

/* Counters since creation, for /metrics and tests. Thread-safe, lock-free. */
struct verify_stats {
    uint64_t downloads;         /* HTTPS fetches attempted */
    uint64_t download_failures; /* of which failed (network, HTTP status, size) */
    uint64_t disk_loads;        /* chains taken from the cache folder */
    uint64_t memory_hits;       /* requests served from the memory cache */
    uint64_t chain_checks;      /* full X509_verify_cert() runs */
};
void verify_ctx_stats(struct verify_ctx *ctx, struct verify_stats *out);

/* ---- the entry point: what every request passes before a skill runs ---- */

/*
 * Which rules apply on a path. The applicationId rule has no switch here: it
 * applies on every path, whenever the skill has an applicationId configured,
 * because a request for another skill is wrong wherever it comes from, and
 * the skill's own id is something the skill's owner chose to set.
 *
 * - VERIFY_POLICY_ALEXA, for `serve`: the request claims to come from
 *   Amazon, so the signature and its chain (§3-§6) and the timestamp (§7)
 *   are checked, then the applicationId.
 * - VERIFY_POLICY_LOCAL, for `serve --no-verify`, `invoke`, `say` and the
 *   web simulator's turns: the request was made on this machine (by hand, by
 *   `skillserver request`, by say's matcher), so it carries no signature and
 *   often an old timestamp (canned requests); only the applicationId is
 *   checked.
 * - VERIFY_POLICY_LAMBDA, for `lambda`: the event came through AWS Lambda,
 *   which only invokes the function for a caller its permissions allow
 *   (the Alexa skill's trigger), so there is no signature to check and
 *   Amazon does not ask a Lambda skill to check one or the timestamp; only
 *   the applicationId is checked.
 *
 * The timestamp goes with the signature: it is the signature that makes the
 * timestamp trustworthy, and a replayed request is an attack only on a path
 * that trusts signatures.
 */
struct verify_policy {
    bool signature; /* §3-§6: chain URL, chain, Signature-256 over the raw body */
    bool timestamp; /* §7: request.timestamp within LIMIT_VERIFY_TIMESTAMP_S */
};

extern const struct verify_policy VERIFY_POLICY_ALEXA;
extern const struct verify_policy VERIFY_POLICY_LOCAL;
extern const struct verify_policy VERIFY_POLICY_LAMBDA;

/* The three signature headers as received (NULL when absent). */
struct verify_headers {
    const char *cert_url;      /* SignatureCertChainUrl */
    const char *signature_256; /* Signature-256: RSA PKCS#1 v1.5, SHA-256 */
    const char *signature;     /* Signature: legacy SHA-1 */
};

/*
 * The entry point is two calls of the same owner, because the rules need the
 * request in two states and the order between them matters:
 *
 *   verify_raw(body)  ->  request_parse(body)  ->  [route]  ->  verify_parsed(req, skill)
 *
 * The signature covers the raw bytes, and nothing may parse a body before
 * its signature is proven (a parser is attack surface, and spec §7 says to
 * trust no field of an unsigned body), so verify_raw() takes the bytes and
 * runs first. The timestamp and the applicationId are fields of the parsed
 * request; the caller parses once and hands the same view on to dispatch,
 * so verify_parsed() takes the view rather than parsing a second time. A
 * single call taking both the bytes and the view would have to be called
 * after parsing, which is exactly what must not happen.
 *
 * Both take the same policy; a caller names its policy once and passes it to
 * both. A path without a signature (VERIFY_POLICY_LOCAL) may skip
 * verify_raw(), which then does nothing; dispatch_run() calls
 * verify_parsed() itself, so `invoke` and `say` only name their policy.
 */

/*
 * Before parsing: when policy->signature, the cert URL (§3), the chain from
 * the cache or a download (§4, §5), and the signature over body[0..len)
 * (§6), with ctx (which must then not be NULL). Otherwise returns SS_ERR_OK
 * at once and ctx and hdr may be NULL. May block on a download (bounded) on
 * a cache miss. Does not look at the body's content. A NULL policy is an
 * internal error (SS_ERR_IO, reason INTERNAL): there is no default.
 */
enum ss_err verify_raw(struct verify_ctx *ctx, const struct verify_policy *policy,
                       const struct verify_headers *hdr, const char *body, size_t len, time_t now,
                       enum verify_reason *reason, struct ss_error *err);

/*
 * After parsing (req from request_parse() of the bytes verify_raw() saw):
 * when policy->timestamp, the timestamp (§7); then, always, the
 * applicationId rule (§8) against skill->application_id:
 *
 *  - skill has no applicationId configured: no id check at all (any id, or
 *    none, or two different ones; the skill's owner asked for nothing).
 *  - context.System.application.applicationId (req->application_id, which
 *    request_parse() takes from the session when the context has none) must
 *    be the skill's; a request with neither id is refused.
 *  - session.application.applicationId, when the request has a session with
 *    one, must be the skill's too. Amazon sends the same id in both places,
 *    so a request whose session names another skill than its context was
 *    made up or changed: refused, whatever the context says.
 *  - Refusals return SS_ERR_WRONG_APPLICATION, reason APPLICATION_ID, and a
 *    sentence naming the ids, the skill and what to change.
 *
 * skill may be NULL when the caller has not found a skill for the request
 * (routing by applicationId failed): then only the policy's checks run, so
 * that a stale request is refused as such before the caller answers 404.
 * Pure computation. NULL policy or req: SS_ERR_IO, reason INTERNAL.
 */
enum ss_err verify_parsed(const struct verify_policy *policy, const struct request *req,
                          const struct skill *skill, time_t now, enum verify_reason *reason,
                          struct ss_error *err);

/* ---- the steps of the entry point, public for fuzz targets and benchmarks ---- */

/* A request path calls verify_raw() / verify_parsed(), never these. */

/*
 * The cryptographic part: cert URL (§3), chain from cache or download (§4,
 * §5), signature over body[0..len) (§6). May block on a download (bounded)
 * on a cache miss. Does not look at the body's content.
 */
enum ss_err verify_signature(struct verify_ctx *ctx, const struct verify_headers *hdr,
                             const char *body, size_t len, time_t now, enum verify_reason *reason,
                             struct ss_error *err);

/*
 * request.timestamp against now: |now - timestamp| <= LIMIT_VERIFY_TIMESTAMP_S
 * (LIMIT_VERIFY_SKILL_EVENT_S for AlexaSkillEvent.* request types, spec §7).
 * request_type may be NULL. Pure computation.
 */
enum ss_err verify_timestamp(const char *timestamp, const char *request_type, time_t now,
                             enum verify_reason *reason, struct ss_error *err);

/* ---- parsers, public for tests and fuzz targets ---- */

/* A normalised chain URL is never longer than the header it came from. */
#define VERIFY_URL_MAX (LIMIT_VERIFY_URL_CHARS + 1)

/*
 * Check a SignatureCertChainUrl against spec §3 and write the normalised URL
 * ("https://s3.amazonaws.com/echo.api/...", dot segments removed) to out.
 * Returns SS_ERR_OK, or SS_ERR_VERIFY (reason CERT_URL_MISSING for NULL or
 * empty, CERT_URL_INVALID otherwise, with the rule that failed in err).
 * Pure string work, no network.
 */
enum ss_err verify_chain_url(const char *url, char out[VERIFY_URL_MAX], enum verify_reason *reason,
                             struct ss_error *err);

/*
 * Parse "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)" into seconds since
 * the epoch (the fraction is dropped). Returns false for anything else.
 */
bool verify_parse_timestamp(const char *text, time_t *out);

/*
 * Strict standard base64 (RFC 4648 alphabet, '=' padding, length a multiple
 * of 4, no whitespace) of at most LIMIT_VERIFY_SIGNATURE_CHARS characters.
 * Returns the decoded length, or -1 for anything else or when it would not
 * fit in cap.
 */
long verify_base64_decode(const char *text, unsigned char *out, size_t cap);

/* ---- a parsed chain, public for tests and the PEM fuzz target ---- */

struct verify_chain;

/*
 * Parse a PEM chain (signing certificate first) of at most
 * LIMIT_VERIFY_CHAIN_BYTES and LIMIT_VERIFY_CHAIN_CERTS certificates into
 * *out (caller frees with verify_chain_destroy). Returns SS_ERR_VERIFY with
 * reason CHAIN_PARSE for anything that is not such a chain. Thread-safe.
 */
enum ss_err verify_chain_parse(const char *pem, size_t len, struct verify_chain **out,
                               enum verify_reason *reason, struct ss_error *err);

/*
 * The checks of spec §5 at time now: signing certificate dates, SAN
 * echo-api.amazon.com, keyUsage, RSA key of at least 2048 bits, and a chain
 * to a root in ctx's trust store. Thread-safe.
 */
enum ss_err verify_chain_check(struct verify_ctx *ctx, const struct verify_chain *chain, time_t now,
                               enum verify_reason *reason, struct ss_error *err);

void verify_chain_destroy(struct verify_chain *chain);

#endif
