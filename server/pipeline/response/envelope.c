/*
 * envelope.c - the response envelope (spec/alexa-protocol.md §5) and its
 * serialisation.
 *
 * Owns: response_build(), which reads the worker's reply of either kind
 * ("reply" from skillkit, "envelope" from a lambda_handler) and puts
 * together what is sent: version, sessionAttributes, and the response
 * members the request type may carry (policy.c), each checked by its part
 * (speech.c, card.c, directive.c) or here (shouldEndSession,
 * canFulfillIntent, members passed through); and response_dump(), the JSON
 * text with the 120 KB limit of §8.
 *
 * Must stay true:
 * - the reply is borrowed and never modified; the envelope shares unchanged
 *   members with it by reference. No deep copies: this runs for every request
 *   inside a budget of a few microseconds.
 * - a member the request type may not carry is dropped and reported through
 *   the warn callback; a member of the wrong shape is an error that names it
 *   and says what to write instead, in words a child can follow.
 * - most responses are serialised once, into a stack buffer, and copied into
 *   one allocation of their exact size.
 */
#include <stdio.h>
#include <stdlib.h>

#include "response_internal.h"
#include "ss_json.h"
#include "ss_limits.h"

/* ---- canFulfillIntent ---- */

static const char *const yes_no_maybe[] = {"YES", "NO", "MAYBE", NULL};
static const char *const yes_no[] = {"YES", "NO", NULL};

static enum ss_err
check_can_fulfill(const struct build *b, const json_t *cfi)
{
    char path[160], q[RESPONSE_QUOTE_BYTES + 4];
    const char *name;
    json_t *slots, *slot, *v;
    enum ss_err rc;

    if (!json_is_object(cfi))
        return response_fail(
            b, SS_ERR_SKILL_RESULT,
            "%scanFulfillIntent must be a dict like {\"canFulfill\": \"YES\"}, got %s", b->prefix,
            response_kind_of(cfi));
    rc = response_check_enum(b, json_object_get(cfi, "canFulfill"), "canFulfillIntent.canFulfill",
                             yes_no_maybe, "\"YES\", \"NO\" or \"MAYBE\"");
    if (rc != SS_ERR_OK)
        return rc;
    slots = member(cfi, "slots");
    if (!slots)
        return SS_ERR_OK;
    if (!json_is_object(slots))
        return response_fail(
            b, SS_ERR_SKILL_RESULT,
            "%scanFulfillIntent.slots must be a dict from slot name to {\"canUnderstand\": "
            "..., \"canFulfill\": ...}, got %s",
            b->prefix, response_kind_of(slots));
    json_object_foreach(slots, name, slot)
    {
        response_quote(name, strlen(name), q);
        if (!json_is_object(slot))
            return response_fail(
                b, SS_ERR_SKILL_RESULT,
                "%scanFulfillIntent.slots.%s must be a dict like {\"canUnderstand\": "
                "\"YES\", \"canFulfill\": \"YES\"}, got %s",
                b->prefix, q, response_kind_of(slot));
        snprintf(path, sizeof(path), "canFulfillIntent.slots.%s.canUnderstand", q);
        rc = response_check_enum(b, json_object_get(slot, "canUnderstand"), path, yes_no_maybe,
                                 "\"YES\", \"NO\" or \"MAYBE\"");
        if (rc != SS_ERR_OK)
            return rc;
        v = member(slot, "canFulfill");
        if (v) {
            snprintf(path, sizeof(path), "canFulfillIntent.slots.%s.canFulfill", q);
            rc = response_check_enum(b, v, path, yes_no, "\"YES\" or \"NO\"");
            if (rc != SS_ERR_OK)
                return rc;
        }
    }
    return SS_ERR_OK;
}

/* ---- both kinds ---- */

static enum ss_err
check_end_session(const struct build *b, const json_t *end)
{
    if (end && !json_is_boolean(end) && !json_is_null(end))
        return response_fail(b, SS_ERR_SKILL_RESULT,
                             "%sshouldEndSession must be True, False or None, got %s", b->prefix,
                             response_kind_of(end));
    return SS_ERR_OK;
}

static void
warn_video_end(const struct build *b)
{
    response_warnf(b,
                   "removed %sshouldEndSession: a response with VideoApp.Launch must not have one",
                   b->prefix);
}

/* Put shouldEndSession into resp as the request type and directives allow. */
static enum ss_err
put_end_session(const struct build *b, json_t *resp, json_t *end)
{
    if (!end || !b->pol->session)
        return SS_ERR_OK; /* nothing to end: dropped without a warning, see response.h */
    if (b->video_launch) {
        warn_video_end(b);
        return SS_ERR_OK;
    }
    if (json_object_set_nocheck(resp, "shouldEndSession", end) != 0)
        return response_fail(b, SS_ERR_NOMEM, "out of memory building the response");
    return SS_ERR_OK;
}

/* Combinations that Alexa documents as pointless or harmful; they are kept. */
static void
warn_combinations(const struct build *b, bool has_speech, const json_t *end)
{
    if (b->audio_play && json_is_false(end))
        response_warnf(
            b, "AudioPlayer.Play with shouldEndSession False: Alexa starts the stream, then "
               "pauses it to listen; use True to let it play");
    if (b->dialog && json_is_true(end))
        response_warnf(
            b,
            "%s with shouldEndSession True: a Dialog directive needs the session to stay "
            "open",
            b->dialog);
    if (b->dialog && strcmp(b->dialog, "Dialog.Delegate") == 0 && has_speech)
        response_warnf(b,
                       "Dialog.Delegate with outputSpeech: Alexa speaks the dialog model's prompt "
                       "instead");
}

static enum ss_err
put_attributes(const struct build *b, json_t *env, json_t *attrs)
{
    if (!attrs)
        return SS_ERR_OK;
    if (!b->pol->session) {
        if (json_object_size(attrs) > 0)
            response_warnf(
                b, "dropped sessionAttributes: the answer to %s has no session to keep them in",
                b->type_name);
        return SS_ERR_OK;
    }
    if (json_object_set_nocheck(env, "sessionAttributes", attrs) != 0)
        return response_fail(b, SS_ERR_NOMEM, "out of memory building the response");
    return SS_ERR_OK;
}

static void
warn_dropped(const struct build *b, const char *what)
{
    response_warnf(b, "dropped %s%s: Alexa does not accept it in the answer to %s", b->prefix, what,
                   b->type_name);
}

/* ---- kind "reply" ---- */

static const char *const reply_members[] = {
    "kind",       "speech",           "reprompt",          "playBehavior",     "card",
    "directives", "shouldEndSession", "sessionAttributes", "canFulfillIntent", NULL,
};

static enum ss_err
build_reply(struct build *b, json_t *reply, json_t **out)
{
    json_t *speech = member(reply, "speech"), *reprompt = member(reply, "reprompt");
    json_t *pb = member(reply, "playBehavior"), *card = member(reply, "card");
    json_t *dirs_in = member(reply, "directives"), *cfi = member(reply, "canFulfillIntent");
    json_t *attrs = member(reply, "sessionAttributes");
    json_t *end = json_object_get(reply, "shouldEndSession");
    json_t *env = NULL, *resp = NULL, *os = NULL, *rp = NULL, *dirs = NULL;
    size_t known = 0;
    enum ss_err rc;

    for (const char *const *m = reply_members; *m; m++)
        known += json_object_get(reply, *m) != NULL;
    if (known != json_object_size(reply)) {
        const char *key;
        json_t *v;
        char q[RESPONSE_QUOTE_BYTES + 4];
        json_object_foreach(reply, key, v)
        {
            const char *const *m = reply_members;
            while (*m && strcmp(*m, key) != 0)
                m++;
            if (!*m)
                response_warnf(b,
                               "ignored the reply member '%s' (skillkit and skillserver disagree)",
                               response_quote(key, strlen(key), q));
        }
    }

    rc = check_end_session(b, end);
    if (rc == SS_ERR_OK && pb)
        rc = response_check_enum(b, pb, "playBehavior", response_play_behaviors,
                                 PLAY_BEHAVIORS_SHOWN);
    if (rc == SS_ERR_OK && attrs && !json_is_object(attrs))
        rc = response_fail(b, SS_ERR_SKILL_RESULT, "sessionAttributes must be a dict, got %s",
                           response_kind_of(attrs));
    if (rc != SS_ERR_OK)
        return rc;

    resp = json_object();
    if (!resp)
        goto nomem;
    if (speech && !b->pol->speech) {
        warn_dropped(b, "outputSpeech");
    } else if (speech) {
        rc = response_speech_assemble(b, speech, "speech", "outputSpeech", SSML_SPEECH, &os);
        if (rc != SS_ERR_OK)
            goto out;
        if (os && pb && json_object_set_nocheck(os, "playBehavior", pb) != 0)
            goto nomem;
        if (os && json_object_set_nocheck(resp, "outputSpeech", os) != 0)
            goto nomem;
    }
    if (pb && !os && b->pol->speech)
        response_warnf(b, "ignored playBehavior: there is no speech for it to apply to");

    if (card && !b->pol->speech) {
        warn_dropped(b, "card");
    } else if (card) {
        rc = response_card_check(b, card);
        if (rc != SS_ERR_OK)
            goto out;
        if (json_object_set_nocheck(resp, "card", card) != 0)
            goto nomem;
    }

    if (reprompt && !b->pol->speech) {
        warn_dropped(b, "reprompt");
    } else if (reprompt) {
        json_t *inner = NULL;
        rc = response_speech_assemble(b, reprompt, "reprompt", "reprompt", SSML_REPROMPT, &inner);
        if (rc != SS_ERR_OK)
            goto out;
        if (inner) {
            rp = json_object();
            if (!rp) {
                json_decref(inner);
                goto nomem;
            }
            /* set_new takes inner also when it fails */
            if (json_object_set_new_nocheck(rp, "outputSpeech", inner) != 0 ||
                json_object_set_nocheck(resp, "reprompt", rp) != 0)
                goto nomem;
        }
    }

    rc = response_audio_total_check(b);
    if (rc != SS_ERR_OK)
        goto out;

    if (dirs_in) {
        rc = response_directives_filter(b, dirs_in, &dirs);
        if (rc != SS_ERR_OK)
            goto out;
        if (dirs && json_object_set_nocheck(resp, "directives", dirs) != 0)
            goto nomem;
    }

    if (cfi && !b->pol->cfi) {
        response_warnf(b,
                       "dropped canFulfillIntent: only the answer to a CanFulfillIntentRequest may "
                       "carry it, not the answer to %s",
                       b->type_name);
    } else if (cfi) {
        rc = check_can_fulfill(b, cfi);
        if (rc != SS_ERR_OK)
            goto out;
        if (json_object_set_nocheck(resp, "canFulfillIntent", cfi) != 0)
            goto nomem;
    } else if (b->pol->cfi) {
        response_warnf(
            b, "the answer to a CanFulfillIntentRequest should say canFulfillIntent; sent an "
               "empty response");
    }

    rc = put_end_session(b, resp, end);
    if (rc != SS_ERR_OK)
        goto out;
    warn_combinations(b, os != NULL, json_object_get(resp, "shouldEndSession"));

    env = json_object();
    if (!env || json_object_set_new_nocheck(env, "version", json_string("1.0")) != 0)
        goto nomem;
    rc = put_attributes(b, env, attrs);
    if (rc != SS_ERR_OK)
        goto out;
    if (json_object_set_nocheck(env, "response", resp) != 0)
        goto nomem;
    *out = env;
    env = NULL;
    rc = SS_ERR_OK;
    goto out;
nomem:
    rc = response_fail(b, SS_ERR_NOMEM, "out of memory building the response");
out:
    json_decref(env);
    json_decref(resp);
    json_decref(os);
    json_decref(rp);
    json_decref(dirs);
    return rc;
}

/* ---- kind "envelope" ---- */

static enum ss_err
check_reprompt(struct build *b, const json_t *rp)
{
    json_t *os, *dirs;

    if (!json_is_object(rp))
        return response_fail(
            b, SS_ERR_SKILL_RESULT,
            "%sreprompt must be a dict like {\"outputSpeech\": {\"type\": \"PlainText\", "
            "\"text\": \"...\"}}, got %s",
            b->prefix, response_kind_of(rp));
    dirs = member(rp, "directives");
    if (dirs && !json_is_array(dirs))
        return response_fail(b, SS_ERR_SKILL_RESULT, "%sreprompt.directives must be a list, got %s",
                             b->prefix, response_kind_of(dirs));
    os = member(rp, "outputSpeech");
    return os ? response_speech_check(b, os, "reprompt.outputSpeech", "reprompt", SSML_REPROMPT)
              : SS_ERR_OK;
}

/* One member of the lambda's response: check it and put what is kept into resp. */
static enum ss_err
envelope_member(struct build *b, json_t *resp, const char *key, json_t *v, bool *has_speech)
{
    char q[RESPONSE_QUOTE_BYTES + 4];
    json_t *dirs = NULL;
    enum ss_err rc = SS_ERR_OK;
    bool speech_like = strcmp(key, "outputSpeech") == 0 || strcmp(key, "card") == 0 ||
                       strcmp(key, "reprompt") == 0;

    /* None means absent, except for shouldEndSession, where null has a meaning. */
    if (json_is_null(v) && strcmp(key, "shouldEndSession") != 0)
        return SS_ERR_OK;
    if (speech_like && !b->pol->speech) {
        warn_dropped(b, key);
        return SS_ERR_OK;
    }
    if (strcmp(key, "outputSpeech") == 0) {
        rc = response_speech_check(b, v, "outputSpeech", "outputSpeech", SSML_SPEECH);
        *has_speech = true;
    } else if (strcmp(key, "card") == 0) {
        rc = response_card_check(b, v);
    } else if (strcmp(key, "reprompt") == 0) {
        rc = check_reprompt(b, v);
    } else if (strcmp(key, "directives") == 0) {
        rc = response_directives_filter(b, v, &dirs);
        if (rc == SS_ERR_OK && dirs && json_object_set_new_nocheck(resp, "directives", dirs))
            return response_fail(b, SS_ERR_NOMEM, "out of memory building the response");
        return rc;
    } else if (strcmp(key, "shouldEndSession") == 0) {
        rc = check_end_session(b, v);
        if (rc != SS_ERR_OK || !b->pol->session)
            return rc;
    } else if (strcmp(key, "canFulfillIntent") == 0) {
        if (!b->pol->cfi) {
            response_warnf(b,
                           "dropped response.canFulfillIntent: only the answer to a "
                           "CanFulfillIntentRequest may carry it, not the answer to %s",
                           b->type_name);
            return SS_ERR_OK;
        }
        rc = check_can_fulfill(b, v);
    } else if (!b->pol->speech) {
        /* apiResponse, experimentation, ...: only in a full response. */
        response_warnf(b, "dropped response.%s: the answer to %s may not carry it",
                       response_quote(key, strlen(key), q), b->type_name);
        return SS_ERR_OK;
    }
    if (rc == SS_ERR_OK && json_object_set(resp, key, v) != 0)
        rc = response_fail(b, SS_ERR_NOMEM, "out of memory building the response");
    return rc;
}

static enum ss_err
build_envelope(struct build *b, json_t *in, json_t **out)
{
    char q[RESPONSE_QUOTE_BYTES + 4];
    json_t *version, *response, *attrs, *env = NULL, *resp = NULL, *v;
    const char *key;
    bool has_speech = false;
    enum ss_err rc;

    if (!json_is_object(in))
        return response_fail(b, SS_ERR_SKILL_RESULT,
                             "a lambda_handler must return a dict like {\"version\": \"1.0\", "
                             "\"response\": {...}}, got %s",
                             response_kind_of(in));
    version = json_object_get(in, "version");
    if (version && (!json_is_string(version) || strcmp(json_string_value(version), "1.0") != 0)) {
        if (json_is_string(version))
            return response_fail(
                b, SS_ERR_SKILL_RESULT, "version must be \"1.0\", got '%s'",
                response_quote(json_string_value(version), json_string_length(version), q));
        return response_fail(b, SS_ERR_SKILL_RESULT, "version must be the string \"1.0\", got %s",
                             response_kind_of(version));
    }
    response = json_object_get(in, "response");
    if (!response)
        return response_fail(b, SS_ERR_SKILL_RESULT,
                             "the returned dict has no \"response\": a lambda_handler must return "
                             "{\"version\": \"1.0\", \"response\": {...}}");
    if (!json_is_object(response))
        return response_fail(b, SS_ERR_SKILL_RESULT, "response must be a dict, got %s",
                             response_kind_of(response));
    attrs = member(in, "sessionAttributes");
    if (attrs && !json_is_object(attrs))
        return response_fail(b, SS_ERR_SKILL_RESULT, "sessionAttributes must be a dict, got %s",
                             response_kind_of(attrs));
    if (!version)
        response_warnf(b, "the returned dict has no \"version\"; added \"version\": \"1.0\"");

    resp = json_object();
    if (!resp)
        goto nomem;
    json_object_foreach(response, key, v)
    {
        rc = envelope_member(b, resp, key, v, &has_speech);
        if (rc != SS_ERR_OK)
            goto out;
    }
    rc = response_audio_total_check(b);
    if (rc != SS_ERR_OK)
        goto out;
    /* shouldEndSession went in as it came (the directives may come after it). */
    if (b->video_launch && json_object_get(resp, "shouldEndSession")) {
        json_object_del(resp, "shouldEndSession");
        warn_video_end(b);
    }
    warn_combinations(b, has_speech, json_object_get(resp, "shouldEndSession"));
    if (b->pol->cfi && !json_object_get(resp, "canFulfillIntent"))
        response_warnf(
            b, "the answer to a CanFulfillIntentRequest should say canFulfillIntent; sent an "
               "empty response");

    env = json_object();
    if (!env || json_object_set_new_nocheck(env, "version", json_string("1.0")) != 0)
        goto nomem;
    json_object_foreach(in, key, v)
    {
        if (strcmp(key, "version") == 0)
            continue;
        if (strcmp(key, "sessionAttributes") == 0)
            rc = put_attributes(b, env, attrs);
        else if (strcmp(key, "response") == 0)
            rc = json_object_set_nocheck(env, "response", resp) ? SS_ERR_NOMEM : SS_ERR_OK;
        else
            rc = json_object_set(env, key, v) ? SS_ERR_NOMEM : SS_ERR_OK;
        if (rc == SS_ERR_NOMEM)
            goto nomem;
        if (rc != SS_ERR_OK)
            goto out;
    }
    *out = env;
    env = NULL;
    rc = SS_ERR_OK;
    goto out;
nomem:
    rc = response_fail(b, SS_ERR_NOMEM, "out of memory building the response");
out:
    json_decref(env);
    json_decref(resp);
    return rc;
}

/* ---- public ---- */

enum ss_err
response_build(const struct request *req, json_t *reply, json_t **out, response_warn_fn warn,
               void *warn_ctx, struct ss_error *err)
{
    char q[RESPONSE_QUOTE_BYTES + 4];
    struct build b = {
        .req = req,
        .pol = response_policy_of(req),
        .prefix = "",
        .warn = warn,
        .warn_ctx = warn_ctx,
        .err = err,
    };
    json_t *kind;

    if (out)
        *out = NULL;
    if (!req || !out)
        return ss_fail(err, SS_ERR_USAGE, "response_build needs a request and an output");
    b.type_name = response_type_name(req);
    if (!json_is_object(reply))
        return response_fail(&b, SS_ERR_SKILL_RESULT,
                             "the worker's reply must be a JSON object, got %s",
                             response_kind_of(reply));
    kind = json_object_get(reply, "kind");
    if (json_is_string(kind) && strcmp(json_string_value(kind), "reply") == 0)
        return build_reply(&b, reply, out);
    if (json_is_string(kind) && strcmp(json_string_value(kind), "envelope") == 0) {
        b.prefix = "response.";
        return build_envelope(&b, json_object_get(reply, "envelope"), out);
    }
    if (json_is_string(kind))
        return response_fail(&b, SS_ERR_SKILL_RESULT,
                             "the worker's reply has kind '%s'; expected \"reply\" or \"envelope\"",
                             response_quote(json_string_value(kind), json_string_length(kind), q));
    return response_fail(&b, SS_ERR_SKILL_RESULT,
                         "the worker's reply needs \"kind\": \"reply\" or \"envelope\", got %s",
                         response_kind_of(kind));
}

/* ---- serialisation ---- */

/* Most responses are a few hundred bytes; this covers nearly all of them
 * with one serialisation and no reallocations. */
#define DUMP_STACK_BYTES 8192

enum ss_err
response_dump_warn(json_t *envelope, bool pretty, char **out, size_t *len, response_warn_fn warn,
                   void *warn_ctx, struct ss_error *err)
{
    const size_t flags = pretty ? JSON_INDENT(2) : JSON_COMPACT;
    char stack[DUMP_STACK_BYTES];
    size_t n, compact;
    char *buf;

    if (out)
        *out = NULL;
    if (len)
        *len = 0;
    if (!out || !len || !json_is_object(envelope))
        return ss_fail(err, SS_ERR_USAGE, "response_dump needs an envelope object and outputs");

    /* Both writers report the full length even when it did not fit.
     * ss_json_dump writes what json_dumpb(JSON_COMPACT) writes, faster. */
    n = pretty ? json_dumpb(envelope, stack, sizeof(stack), flags)
               : ss_json_dump(envelope, stack, sizeof(stack));
    if (n == 0)
        goto bad;
    compact = n;
    if (pretty && n > LIMIT_RESPONSE_WARN_BYTES) {
        /* The limits are about what Alexa receives, which is compact. */
        compact = ss_json_dump(envelope, NULL, 0);
        if (compact == 0)
            goto bad;
    }
    if (compact > LIMIT_RESPONSE_BYTES)
        return ss_fail(err, SS_ERR_RESPONSE_LIMIT,
                       "the response is %zu bytes long; Alexa accepts at most %d. Keep "
                       "sessionAttributes and directives smaller.",
                       compact, LIMIT_RESPONSE_BYTES);
    buf = malloc(n + 1);
    if (!buf)
        return ss_fail(err, SS_ERR_NOMEM, "out of memory serialising the response");
    if (n <= sizeof(stack)) {
        memcpy(buf, stack, n);
    } else if ((pretty ? json_dumpb(envelope, buf, n, flags) : ss_json_dump(envelope, buf, n)) !=
               n) {
        free(buf);
        goto bad;
    }
    buf[n] = '\0';
    if (compact > LIMIT_RESPONSE_WARN_BYTES && warn) {
        char msg[160];
        snprintf(msg, sizeof(msg),
                 "the response is %zu bytes long; older Alexa documents allow only %d", compact,
                 LIMIT_RESPONSE_WARN_BYTES);
        warn(warn_ctx, msg);
    }
    *out = buf;
    *len = n;
    return SS_ERR_OK;
bad:
    return ss_fail(err, SS_ERR_SKILL_RESULT,
                   "the response cannot be written as JSON (is something nested too deeply?)");
}

enum ss_err
response_dump(json_t *envelope, bool pretty, char **out, size_t *len, struct ss_error *err)
{
    return response_dump_warn(envelope, pretty, out, len, NULL, NULL, err);
}
