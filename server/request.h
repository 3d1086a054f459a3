/*
 * request.h - a typed, read-only view of an Alexa request envelope.
 *
 * request_parse() parses the raw body with jansson and fills a struct
 * request whose strings borrow from the parsed document: they live exactly
 * as long as the view and are never freed one by one. Unknown fields and
 * unknown request types are accepted (Alexa adds fields over time); a field
 * we read that has the wrong JSON type is an error naming that field.
 *
 * A view is owned by one thread at a time; it is never modified after
 * request_parse() returns.
 */
#ifndef SKILLSERVER_REQUEST_H
#define SKILLSERVER_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* Every request type named in spec/alexa-protocol.md §3; REQ_OTHER for the rest. */
#define REQUEST_TYPES(X)                                                                          \
    X(LAUNCH, "LaunchRequest")                                                                   \
    X(INTENT, "IntentRequest")                                                                   \
    X(SESSION_ENDED, "SessionEndedRequest")                                                      \
    X(CAN_FULFILL, "CanFulfillIntentRequest")                                                    \
    X(AUDIO_STARTED, "AudioPlayer.PlaybackStarted")                                              \
    X(AUDIO_FINISHED, "AudioPlayer.PlaybackFinished")                                            \
    X(AUDIO_STOPPED, "AudioPlayer.PlaybackStopped")                                              \
    X(AUDIO_NEARLY_FINISHED, "AudioPlayer.PlaybackNearlyFinished")                               \
    X(AUDIO_FAILED, "AudioPlayer.PlaybackFailed")                                                \
    X(PLAYBACK_NEXT, "PlaybackController.NextCommandIssued")                                     \
    X(PLAYBACK_PAUSE, "PlaybackController.PauseCommandIssued")                                   \
    X(PLAYBACK_PLAY, "PlaybackController.PlayCommandIssued")                                     \
    X(PLAYBACK_PREVIOUS, "PlaybackController.PreviousCommandIssued")                             \
    X(EXCEPTION, "System.ExceptionEncountered")                                                  \
    X(APL_USER_EVENT, "Alexa.Presentation.APL.UserEvent")                                        \
    X(CONNECTIONS_RESPONSE, "Connections.Response")                                              \
    X(DISPLAY_ELEMENT_SELECTED, "Display.ElementSelected")                                       \
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

/* Entity resolution of one slot: the first authority that matched (dynamic
 * entities win over static ones, as Alexa's guidance says), or else the
 * first authority's status. */
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
    json_t *root; /* owned: the parsed document every string below borrows from */

    const char *version;
    enum request_type type;
    const char *type_name; /* request.type as sent, also for REQ_OTHER */
    const char *request_id;
    const char *timestamp; /* ISO 8601 as sent; NULL when absent */
    const char *locale;    /* NULL when absent */

    const char *application_id; /* context.System.application, else session.application */
    const char *user_id;        /* context.System.user, else session.user; may be NULL */
    const char *device_id;      /* context.System.device; may be NULL */

    bool has_session;
    bool session_new;
    const char *session_id;
    json_t *session_attributes; /* borrowed; an object, NULL when absent */

    /* IntentRequest and CanFulfillIntentRequest */
    const char *intent_name; /* NULL for other types */
    enum request_confirmation intent_confirmation;
    enum request_dialog dialog_state;
    struct request_slot *slots; /* owned array; NULL when there are none */
    size_t slot_count;
};

/*
 * Parse body[0..len) into req. Returns SS_ERR_OK, or SS_ERR_JSON (with line
 * and column) or SS_ERR_FIELD (with the field's path, e.g.
 * "request.intent.slots.name.value must be a string") and leaves req empty.
 * On success the caller owns req and frees it with request_cleanup().
 * Thread-safe; allocates.
 */
enum ss_err request_parse(struct request *req, const char *body, size_t len,
                          struct ss_error *err);

/* Release what request_parse() allocated; safe on a zeroed or cleaned view. */
void request_cleanup(struct request *req);

/* The slot called name, or NULL. */
const struct request_slot *request_slot(const struct request *req, const char *name);

/* "LaunchRequest" etc. for a known type; NULL for REQ_OTHER. */
const char *request_type_name(enum request_type type);

/* True for request types that belong to a skill session (Launch, Intent,
 * SessionEnded, and the ones in spec §2 that carry a session). */
bool request_type_has_session(enum request_type type);

#endif
