/*
 * request.h - a typed, read-only view of an Alexa request envelope.
 *
 * request_parse() parses the raw body (ss_doc_parse(): jansson's verdicts,
 * without jansson's values) and fills a struct request whose strings and
 * nodes borrow from the parsed document: they live exactly as long as the
 * view and are never freed one by one. Unknown fields and
 * unknown request types are accepted (Alexa adds fields over time); a field
 * we read that has the wrong JSON type is an error naming that field.
 *
 * Required: the body is a JSON object of at most LIMIT_BODY_BYTES nesting at
 * most LIMIT_JSON_DEPTH deep, with `version` (string), `context` (object)
 * and `request` (object) holding `type` and `requestId` (strings). When a
 * `session` object is present, its `new` (boolean) and `sessionId` (string)
 * are required too. Everything else is optional and NULL / ABSENT / false
 * when missing; see each field. `context.System` is optional although Alexa
 * always sends it, so that hand-written test requests stay short: a request
 * without it simply has no application_id from the context.
 *
 * Who reads what: response (type, has_session), the front's router
 * (application_id), the access log (request_id, type_name, intent_name),
 * store (user_id), verify (timestamp, application_id, session_application_id).
 *
 * A view is owned by one thread at a time; it is never modified after
 * request_parse() returns. Separate views may be used on separate threads.
 */
#ifndef SKILLSERVER_REQUEST_H
#define SKILLSERVER_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "ss_json.h"

/* Every request type named in spec/alexa-protocol.md §3; REQ_OTHER for the rest. */
#define REQUEST_TYPES(X)                                                                           \
    X(LAUNCH, "LaunchRequest")                                                                     \
    X(INTENT, "IntentRequest")                                                                     \
    X(SESSION_ENDED, "SessionEndedRequest")                                                        \
    X(CAN_FULFILL, "CanFulfillIntentRequest")                                                      \
    X(AUDIO_STARTED, "AudioPlayer.PlaybackStarted")                                                \
    X(AUDIO_FINISHED, "AudioPlayer.PlaybackFinished")                                              \
    X(AUDIO_STOPPED, "AudioPlayer.PlaybackStopped")                                                \
    X(AUDIO_NEARLY_FINISHED, "AudioPlayer.PlaybackNearlyFinished")                                 \
    X(AUDIO_FAILED, "AudioPlayer.PlaybackFailed")                                                  \
    X(PLAYBACK_NEXT, "PlaybackController.NextCommandIssued")                                       \
    X(PLAYBACK_PAUSE, "PlaybackController.PauseCommandIssued")                                     \
    X(PLAYBACK_PLAY, "PlaybackController.PlayCommandIssued")                                       \
    X(PLAYBACK_PREVIOUS, "PlaybackController.PreviousCommandIssued")                               \
    X(EXCEPTION, "System.ExceptionEncountered")                                                    \
    X(APL_USER_EVENT, "Alexa.Presentation.APL.UserEvent")                                          \
    X(CONNECTIONS_RESPONSE, "Connections.Response")                                                \
    X(DISPLAY_ELEMENT_SELECTED, "Display.ElementSelected")                                         \
    X(SESSION_RESUMED, "SessionResumedRequest")

enum request_type {
#define REQUEST_TYPE_ENUM(name, text) REQ_##name,
    REQUEST_TYPES(REQUEST_TYPE_ENUM)
#undef REQUEST_TYPE_ENUM
        REQ_OTHER
};

/* "NONE" / "CONFIRMED" / "DENIED"; CONFIRM_ABSENT when the field is missing. */
enum request_confirmation { CONFIRM_ABSENT, CONFIRM_NONE, CONFIRM_CONFIRMED, CONFIRM_DENIED };

/* dialogState; DIALOG_ABSENT when the skill has no dialog model. */
enum request_dialog { DIALOG_ABSENT, DIALOG_STARTED, DIALOG_IN_PROGRESS, DIALOG_COMPLETED };

/* Entity resolution of one slot: the first authority whose status is
 * ER_SUCCESS_MATCH, where a dynamic-entity authority
 * ("amzn1.er-authority.echo-sdk.dynamic.…") wins over a static one, as
 * Alexa's guidance says; with no match, the first authority and its status.
 * id and name come from the chosen authority's values[0]. */
struct request_resolution {
    const char *authority; /* NULL when the slot has no resolutions */
    const char *status;    /* "ER_SUCCESS_MATCH", "ER_SUCCESS_NO_MATCH", ... */
    const char *id;        /* resolved value id, NULL unless matched */
    const char *name;      /* resolved canonical value, NULL unless matched */
};

struct request_slot {
    const char *name;  /* the map key */
    const char *value; /* what the user said; NULL when unfilled */
    enum request_confirmation confirmation;
    struct request_resolution resolution;
};

struct request {
    struct ss_doc *root; /* owned: the parsed document every string below borrows from */

    const char *version;
    enum request_type type;
    const char *type_name; /* request.type as sent, also for REQ_OTHER */
    const char *request_id;
    const char *timestamp; /* ISO 8601 as sent; NULL when absent */
    const char *locale;    /* NULL when absent */

    const char *application_id;         /* context.System.application, else session.application;
                                           NULL when neither is there: a skill with a configured
                                           applicationId must treat NULL as a mismatch */
    const char *session_application_id; /* session.application.applicationId; NULL when
                                           absent. verify_parsed() requires it to be
                                           the skill's id when present (verification §8) */
    const char *user_id;                /* context.System.user, else session.user; may be NULL;
                                           at most LIMIT_USER_ID_CHARS characters */
    const char *person_id;              /* context.System.person.personId (a recognised voice);
                                           may be NULL; at most LIMIT_USER_ID_CHARS characters */
    const char *access_token;           /* account linking: context.System.user.accessToken, else
                                           session.user.accessToken; NULL when absent or null */
    const char *device_id;              /* context.System.device; may be NULL */
    const struct ss_node *supported_interfaces; /* borrowed;
                                           context.System.device.supportedInterfaces, an object
                                           (keys = interfaces), NULL when absent */

    bool has_session; /* a session object was sent (never for AudioPlayer.* etc.) */
    bool session_new;
    const char *session_id;                   /* non-NULL exactly when has_session */
    const struct ss_node *session_attributes; /* borrowed; an object, NULL when absent */

    /* IntentRequest and CanFulfillIntentRequest */
    const char *intent_name; /* NULL for other types */
    enum request_confirmation intent_confirmation;
    enum request_dialog dialog_state;
    struct request_slot *slots; /* owned array in the order sent; NULL when there are none */
    size_t slot_count;

    /* SessionEndedRequest: reason ("USER_INITIATED", "ERROR", ...), else NULL. */
    const char *end_reason;
    /* request.error of SessionEndedRequest, System.ExceptionEncountered and
     * AudioPlayer.PlaybackFailed ("INVALID_RESPONSE", "Speech with id ... exceeds ...");
     * NULL otherwise. Worth logging: it is how Alexa reports our bad responses. */
    const char *error_type;
    const char *error_message;
};

/*
 * Parse body[0..len) into req (need not be NUL-terminated; req need not be
 * initialised). Returns SS_ERR_OK, or leaves req empty (zeroed) and returns:
 *   SS_ERR_TOO_LARGE  len > LIMIT_BODY_BYTES;
 *   SS_ERR_JSON       not JSON, with line and column ("JSON syntax error at
 *                     line 3, column 7: ..."), invalid UTF-8, \u0000, a
 *                     duplicate key, or nesting deeper than LIMIT_JSON_DEPTH;
 *   SS_ERR_FIELD      the field's dotted path and what is wrong, e.g.
 *                     "request.intent.slots.name.value must be a string, got
 *                     number", "request.requestId is missing", or a userId
 *                     longer than LIMIT_USER_ID_CHARS;
 *   SS_ERR_NOMEM      out of memory.
 * err may be NULL; its message is printable ASCII (safe for logs and JSON).
 * On success the caller owns req and frees it with request_cleanup().
 * Thread-safe; allocates (the document and one slot array).
 */
enum ss_err request_parse(struct request *req, const char *body, size_t len, struct ss_error *err);

/* Release what request_parse() allocated; safe on a zeroed or cleaned view. */
void request_cleanup(struct request *req);

/* The slot called name (exact, case-sensitive), or NULL; req and name may be NULL. */
const struct request_slot *request_slot(const struct request *req, const char *name);

/* "LaunchRequest" etc. for a known type; NULL for REQ_OTHER. */
const char *request_type_name(enum request_type type);

/* True for request types that belong to a skill session and whose response
 * may carry sessionAttributes: Launch, Intent, SessionEnded,
 * APL UserEvent, Connections.Response, Display.ElementSelected (spec §2) and
 * SessionResumed (it resumes one). False for CanFulfillIntentRequest (a probe
 * outside any session), AudioPlayer.*, PlaybackController.*,
 * System.ExceptionEncountered and REQ_OTHER. Use has_session for whether a
 * given request actually carried one. */
bool request_type_has_session(enum request_type type);

#endif
