/*
 * canned.c - made-up Alexa requests (see canned.h).
 */
#include "canned.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

int
canned_uuid(char buf[37])
{
    unsigned char b[16];
    if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
        return -1;
    b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
    snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
    return 0;
}

bool
canned_locale_valid(const char *locale)
{
    size_t lang = strspn(locale, "abcdefghijklmnopqrstuvwxyz");
    if (lang < 2 || lang > 3 || locale[lang] != '-')
        return false;
    /* Only now is there a byte after the '-' (at least the NUL). */
    const char *region = locale + lang + 1;
    size_t upper = strspn(region, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
    size_t digits = strspn(region, "0123456789");
    return (upper == 2 && !region[2]) || (digits == 3 && !region[3]);
}

/* Append name to the comma-separated list in buf (used bytes so far in *used). */
static void
append_name(char *buf, size_t cap, size_t *used, const char *name)
{
    if (*used == 0)
        buf[0] = '\0';
    if (*used >= cap)
        return;
    int w = snprintf(buf + *used, cap - *used, "%s%s", *used ? ", " : "", name);
    if (w > 0)
        *used += (size_t)w;
}

static void
list_intents(const struct model *m, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < m->intent_count; i++)
        append_name(buf, cap, &used, m->intents[i].name);
}

static void
list_slots(const struct model_intent *in, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < in->slot_count; i++)
        append_name(buf, cap, &used, in->slots[i].name);
}

/* One filled slot, with entity resolution when its type is a custom one. */
static json_t *
make_slot(const struct model *m, const char *app_id, const struct model_slot *ms, const char *name,
          const char *value)
{
    json_t *slot = json_pack("{s:s, s:s, s:s, s:s}", "name", name, "value", value,
                             "confirmationStatus", "NONE", "source", "USER");
    const struct model_type *type = ms ? model_type(m, ms->type) : NULL;
    if (!slot || !type)
        return slot;

    char authority[512];
    snprintf(authority, sizeof(authority), "amzn1.er-authority.echo-sdk.%s.%s", app_id, type->name);
    /* Every value the words name: a synonym shared by several values
     * resolves to all of them, as Alexa reports it. */
    const struct model_value *v[CANNED_RESOLVED_MAX];
    size_t nv = model_type_matches(type, value, v, CANNED_RESOLVED_MAX);
    json_t *res, *values = nv ? json_array() : NULL;
    for (size_t i = 0; values && i < nv; i++)
        if (json_array_append_new(values, json_pack("{s:{s:s, s:s}}", "value", "name", v[i]->value,
                                                    "id", v[i]->id ? v[i]->id : v[i]->value)) !=
            0) {
            json_decref(values);
            values = NULL;
        }
    if (nv && !values) {
        json_decref(slot);
        return NULL;
    }
    if (nv)
        res = json_pack("{s:[{s:s, s:{s:s}, s:o}]}", "resolutionsPerAuthority", "authority",
                        authority, "status", "code", "ER_SUCCESS_MATCH", "values", values);
    else
        res = json_pack("{s:[{s:s, s:{s:s}}]}", "resolutionsPerAuthority", "authority", authority,
                        "status", "code", "ER_SUCCESS_NO_MATCH");
    if (!res || json_object_set_new(slot, "resolutions", res) != 0) {
        json_decref(slot);
        return NULL;
    }
    return slot;
}

static enum ss_err
make_intent(const struct skill *skill, const struct model *m, const struct canned_options *opt,
            const char *app_id, json_t **out, struct ss_error *err)
{
    const struct model_intent *in = m ? model_intent(m, opt->intent) : NULL;
    char names[1024];
    json_t *slots = json_object();

    *out = NULL;
    if (!slots)
        return ss_fail(err, SS_ERR_NOMEM, "out of memory");
    if (m && !in && strncmp(opt->intent, "AMAZON.", 7) != 0) {
        list_intents(m, names, sizeof(names));
        json_decref(slots);
        return ss_fail(err, SS_ERR_USAGE,
                       "%s has no intent called '%s' in its interaction model "
                       "(its intents: %s)",
                       skill->name, opt->intent, names);
    }
    for (size_t i = 0; i < opt->slot_count; i++) {
        const struct model_slot *ms = in ? model_intent_slot(in, opt->slots[i].name) : NULL;
        if (in && !ms) {
            list_slots(in, names, sizeof(names));
            json_decref(slots);
            return ss_fail(err, SS_ERR_USAGE, "%s has no slot called '%s' (%s%s)", opt->intent,
                           opt->slots[i].name, in->slot_count ? "its slots: " : "it has no slots",
                           names);
        }
        json_t *s = make_slot(m, app_id, ms, opt->slots[i].name, opt->slots[i].value);
        if (!s || json_object_set_new(slots, opt->slots[i].name, s) != 0) {
            json_decref(slots);
            return ss_fail(err, SS_ERR_NOMEM, "out of memory");
        }
    }
    /* Alexa sends every slot of the intent, the unfilled ones with only a name. */
    for (size_t i = 0; in && i < in->slot_count; i++) {
        if (json_object_get(slots, in->slots[i].name))
            continue;
        json_t *s =
            json_pack("{s:s, s:s}", "name", in->slots[i].name, "confirmationStatus", "NONE");
        if (!s || json_object_set_new(slots, in->slots[i].name, s) != 0) {
            json_decref(slots);
            return ss_fail(err, SS_ERR_NOMEM, "out of memory");
        }
    }
    *out = json_pack("{s:s, s:s, s:o}", "name", opt->intent, "confirmationStatus", "NONE", "slots",
                     slots);
    return *out ? SS_ERR_OK : ss_fail(err, SS_ERR_NOMEM, "out of memory");
}

enum ss_err
canned_request(const struct skill *skill, const struct model *m, const struct canned_options *opt,
               json_t **out, struct ss_error *err)
{
    const char *app_id = skill->application_id ? skill->application_id : CANNED_APPLICATION_ID;
    char rid[37], sid[37], now[32];
    char request_id[64], session_id[64];
    json_t *request = NULL, *intent = NULL, *env = NULL;
    enum ss_err rc = SS_ERR_OK;
    time_t t = time(NULL);
    struct tm tm;

    *out = NULL;
    if (canned_uuid(rid) != 0 || canned_uuid(sid) != 0)
        return ss_fail(err, SS_ERR_IO, "no random numbers for request ids");
    snprintf(request_id, sizeof(request_id), "amzn1.echo-api.request.%s", rid);
    if (opt->session_id)
        snprintf(session_id, sizeof(session_id), "%s", opt->session_id);
    else
        snprintf(session_id, sizeof(session_id), "amzn1.echo-api.session.%s", sid);
    gmtime_r(&t, &tm);
    strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);

    const char *locale = opt->locale ? opt->locale : skill->locale;
    if (opt->locale && !canned_locale_valid(locale))
        return ss_fail(err, SS_ERR_USAGE,
                       "'%s' is not a locale: write a language and a country, such as en-US or "
                       "de-DE",
                       locale);
    const char *type = request_type_name(opt->type);
    if (!type ||
        (opt->type != REQ_LAUNCH && opt->type != REQ_INTENT && opt->type != REQ_SESSION_ENDED))
        return ss_fail(err, SS_ERR_USAGE, "canned requests are Launch, Intent or SessionEnded");
    request = json_pack("{s:s, s:s, s:s, s:s}", "type", type, "requestId", request_id, "locale",
                        locale, "timestamp", now);
    if (!request)
        goto nomem;
    if (opt->type == REQ_INTENT) {
        rc = make_intent(skill, m, opt, app_id, &intent, err);
        if (rc != SS_ERR_OK)
            goto out;
        if (json_object_set_new(request, "intent", intent) != 0)
            goto nomem;
        if (opt->dialog_state &&
            json_object_set_new(request, "dialogState", json_string(opt->dialog_state)) != 0)
            goto nomem;
    } else if (opt->type == REQ_SESSION_ENDED) {
        const char *reason = opt->end_reason ? opt->end_reason : "USER_INITIATED";
        if (json_object_set_new(request, "reason", json_string(reason)) != 0)
            goto nomem;
    } else if (json_object_set_new(request, "shouldLinkResultBeReturned", json_false()) != 0) {
        goto nomem;
    }

    json_t *attrs =
        opt->session_attributes ? json_deep_copy(opt->session_attributes) : json_object();
    int is_new = opt->session_attributes == NULL && opt->type != REQ_SESSION_ENDED;
    env = json_pack("{s:s, s:{s:b, s:s, s:{s:s}, s:o, s:{s:s}},"
                    " s:{s:{s:{s:s}, s:{s:s}, s:{s:s, s:{s:{}}}, s:s, s:s}}, s:o}",
                    "version", "1.0", "session", "new", is_new, "sessionId", session_id,
                    "application", "applicationId", app_id, "attributes", attrs, "user", "userId",
                    CANNED_USER_ID, "context", "System", "application", "applicationId", app_id,
                    "user", "userId", CANNED_USER_ID, "device", "deviceId", CANNED_DEVICE_ID,
                    "supportedInterfaces", "AudioPlayer", "apiEndpoint",
                    opt->api_endpoint ? opt->api_endpoint : CANNED_API_ENDPOINT, "apiAccessToken",
                    CANNED_API_TOKEN, "request", request);
    request = NULL; /* "o" stole it, even on failure */
    if (!env)
        goto nomem;
    *out = env;
    return SS_ERR_OK;
nomem:
    rc = ss_fail(err, SS_ERR_NOMEM, "out of memory");
out:
    json_decref(request);
    return rc;
}
