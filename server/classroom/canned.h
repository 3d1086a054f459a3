/*
 * canned.h - realistic Alexa requests made up locally, for `skillserver
 * request` and for the classroom tools: fresh request and session ids, the
 * current time, the skill's applicationId and locale, every slot the
 * interaction model defines for the intent (unfilled ones as Alexa sends
 * them), entity resolution for custom slot types (every value a shared
 * synonym names), and dialogState for skills with a dialog model.
 */
#ifndef SKILLSERVER_CANNED_H
#define SKILLSERVER_CANNED_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "model.h"
#include "request.h"
#include "skill.h"
#include "ss_limits.h"

/* Used when the skill's skill.json names no applicationId. */
#define CANNED_APPLICATION_ID "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
/* A fixed local user and device, so persistent attributes carry over between runs. */
#define CANNED_USER_ID "amzn1.ask.account.SKILLSERVER-LOCAL-USER"
#define CANNED_DEVICE_ID "amzn1.ask.device.SKILLSERVER-LOCAL-DEVICE"
/* The apiAccessToken of every canned request. */
#define CANNED_API_TOKEN "local-test-token"
/* Their apiEndpoint, unless canned_options names another. */
#define CANNED_API_ENDPOINT "https://api.amazonalexa.com"

struct canned_slot {
    const char *name;
    const char *value;
};

/* Most entity-resolution values reported for one slot (a synonym several
 * values share). */
#define CANNED_RESOLVED_MAX LIMIT_RESOLVED_VALUES

struct canned_options {
    enum request_type type; /* REQ_LAUNCH, REQ_INTENT or REQ_SESSION_ENDED */
    const char *intent;     /* for REQ_INTENT */
    const struct canned_slot *slots;
    size_t slot_count;
    json_t *session_attributes; /* borrowed; NULL starts a new session */
    const char *session_id;     /* NULL: a fresh one */
    const char *dialog_state;   /* REQ_INTENT with a dialog model: "STARTED", "IN_PROGRESS",
                                   "COMPLETED"; NULL leaves dialogState out */
    const char *end_reason;     /* REQ_SESSION_ENDED: NULL is "USER_INITIATED" */
    const char *locale;         /* the request's locale; NULL: the skill's (skill->locale) */
    const char *api_endpoint;   /* context.System.apiEndpoint; NULL: CANNED_API_ENDPOINT */
};

/*
 * Build the request. model may be NULL (no model.json): then the slots are
 * exactly the ones given. With a model, an intent it does not define (other
 * than AMAZON.*) and a slot the intent does not have are SS_ERR_USAGE errors
 * that list what exists; so is an opt->locale canned_locale_valid() refuses
 * (the skill's own locale is skill.c's to check).
 * *out is a new reference.
 */
enum ss_err canned_request(const struct skill *skill, const struct model *model,
                           const struct canned_options *opt, json_t **out, struct ss_error *err);

/* True when locale is written as Alexa writes its locales: a language, a
 * hyphen and a country or region ("en-US", "de-DE", "es-419"). */
bool canned_locale_valid(const char *locale);

/* A fresh version-4 UUID in buf (37 bytes). Returns 0, or -1 without randomness. */
int canned_uuid(char buf[37]);

#endif
