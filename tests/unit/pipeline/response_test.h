/*
 * response_test.h - what the unit tests of server/pipeline/response/ share:
 * requests built by hand (struct request) so that every request type of
 * spec §6 can be tried, replies written as JSON with ' for " (see J()), and
 * the envelope (or the error) that response_build() makes of them, as text.
 *
 * SSML in the tests is either clearly valid or clearly malformed, so they
 * hold for the well-formedness check and for the full schema check alike.
 * Every helper is static inline: each test file uses a few of them.
 */
#ifndef SKILLSERVER_RESPONSE_TEST_H
#define SKILLSERVER_RESPONSE_TEST_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"
#include "response.h"
#include "ss_limits.h"
#include "ssml.h"
#include "tap.h"

static inline void *
xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p) {
        printf("Bail out! out of memory\n");
        exit(1);
    }
    return p;
}

/* JSON with ' standing for " and ` for a real apostrophe. Four rotating
 * buffers, so that a few J() may appear in one call. */
static inline const char *
J(const char *s)
{
    static char bufs[4][16384];
    static int next;
    char *b = bufs[next++ % 4];
    size_t i;

    for (i = 0; s[i] && i + 1 < sizeof(bufs[0]); i++)
        b[i] = s[i] == '\'' ? '"' : s[i] == '`' ? '\'' : s[i];
    b[i] = '\0';
    return b;
}

static inline json_t *
parse(const char *json)
{
    json_error_t e;
    json_t *v = json_loads(json, 0, &e);
    if (!v)
        printf("# bad test JSON: %s: %s\n", e.text, json);
    return v;
}

static const char *const names[] = {
#define NAME(n, text) text,
    REQUEST_TYPES(NAME)
#undef NAME
};

static inline struct request
mkreq(enum request_type t)
{
    struct request r;
    memset(&r, 0, sizeof(r));
    r.version = "1.0";
    r.type = t;
    r.type_name = t < REQ_OTHER ? names[t] : "AlexaSkillEvent.SkillEnabled";
    r.request_id = "amzn1.echo-api.request.test";
    r.has_session = t == REQ_LAUNCH || t == REQ_INTENT || t == REQ_SESSION_ENDED;
    return r;
}

struct warnings {
    int count;
    char all[8192];
};

static inline void
collect(void *ctx, const char *message)
{
    struct warnings *w = ctx;
    size_t used = strlen(w->all);
    w->count++;
    snprintf(w->all + used, sizeof(w->all) - used, "%s\n", message);
}

static char dumped[200000];

/* Compact JSON of v (into a static buffer), "(null)" for NULL. */
static inline const char *
D(const json_t *v)
{
    char *s;
    if (!v)
        return "(null)";
    s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    snprintf(dumped, sizeof(dumped), "%s", s ? s : "(dump failed)");
    free(s);
    return dumped;
}

static struct warnings W;
static struct ss_error E;

/* Build req's envelope from the reply JSON text (with ' for "); NULL on error
 * (E holds it). Warnings go to W, which is reset. */
static inline json_t *
build(const struct request *req, const char *reply_text)
{
    json_t *reply = parse(reply_text), *out = (json_t *)1;
    enum ss_err rc;

    memset(&W, 0, sizeof(W));
    ss_error_clear(&E);
    rc = response_build(req, reply, &out, collect, &W, &E);
    if (rc != SS_ERR_OK && out != NULL)
        tap_fail("response_build set its output on error (%s)", ss_err_name(rc));
    if (rc != SS_ERR_OK)
        E.code = rc;
    json_decref(reply);
    return rc == SS_ERR_OK ? out : NULL;
}

/* The compact envelope of a reply, or "ERROR <name>: <message>". */
static inline const char *
B(const struct request *req, const char *reply_text)
{
    json_t *env = build(req, J(reply_text));
    const char *s;
    if (!env) {
        snprintf(dumped, sizeof(dumped), "ERROR %s: %s", ss_err_name(E.code), E.msg);
        return dumped;
    }
    s = D(env);
    json_decref(env);
    return s;
}

/* Same with the text used as it is (no ' replacement). */
static inline const char *
Braw(const struct request *req, const char *reply_text)
{
    json_t *env = build(req, reply_text);
    const char *s;
    if (!env) {
        snprintf(dumped, sizeof(dumped), "ERROR %s: %s", ss_err_name(E.code), E.msg);
        return dumped;
    }
    s = D(env);
    json_decref(env);
    return s;
}

/* A reply of kind "reply" whose speech is one text segment of n copies of unit. */
static inline char *
long_speech(const char *member, const char *seg, size_t n, const char *unit, const char *tail)
{
    size_t ul = strlen(unit), cap = n * ul + strlen(tail) + 256, o;
    char *s = xmalloc(cap);
    o = (size_t)snprintf(s, cap, "{\"kind\":\"reply\",\"%s\":[{\"%s\":\"", member, seg);
    for (size_t i = 0; i < n; i++, o += ul)
        memcpy(s + o, unit, ul);
    snprintf(s + o, cap - o, "%s\"}]}", tail);
    return s;
}

static inline char *
repeat(const char *unit, size_t n)
{
    size_t ul = strlen(unit);
    char *s = xmalloc(n * ul + 1);
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * ul, unit, ul);
    s[n * ul] = '\0';
    return s;
}

#endif
