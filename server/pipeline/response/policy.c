/*
 * policy.c - spec/alexa-protocol.md §6: what the answer to each request type
 * may carry.
 *
 * Owns: the one table of §6, read by the speech, card, directive and envelope
 * checks (response_internal.h), and the names of request types in messages.
 * A type missing from the table gets the empty response, which Alexa accepts
 * for everything: adding a request type to request.h can never let a member
 * through that its answer may not carry.
 */
#include "response_internal.h"

/* Types left out (SessionEnded, PlaybackStopped, ExceptionEncountered,
 * REQ_OTHER, and any type added to request.h later) get the all-false row:
 * the empty response. */
static const struct policy policies[REQ_OTHER + 1] = {
    [REQ_LAUNCH] = {true, true, false, DIRS_NO_DIALOG},
    [REQ_INTENT] = {true, true, false, DIRS_ALL},
    [REQ_CAN_FULFILL] = {false, false, true, DIRS_NONE},
    [REQ_AUDIO_STARTED] = {false, false, false, DIRS_STOP_CLEAR},
    [REQ_AUDIO_FINISHED] = {false, false, false, DIRS_STOP_CLEAR},
    [REQ_AUDIO_NEARLY_FINISHED] = {false, false, false, DIRS_AUDIO},
    [REQ_AUDIO_FAILED] = {false, false, false, DIRS_AUDIO},
    [REQ_PLAYBACK_NEXT] = {false, false, false, DIRS_AUDIO},
    [REQ_PLAYBACK_PAUSE] = {false, false, false, DIRS_AUDIO},
    [REQ_PLAYBACK_PLAY] = {false, false, false, DIRS_AUDIO},
    [REQ_PLAYBACK_PREVIOUS] = {false, false, false, DIRS_AUDIO},
    [REQ_APL_USER_EVENT] = {true, true, false, DIRS_NO_DIALOG},
    [REQ_CONNECTIONS_RESPONSE] = {true, true, false, DIRS_NO_DIALOG},
    [REQ_DISPLAY_ELEMENT_SELECTED] = {true, true, false, DIRS_NO_DIALOG},
    [REQ_SESSION_RESUMED] = {true, true, false, DIRS_NO_DIALOG},
};

static const char *const type_names[] = {
#define RESPONSE_TYPE_NAME(name, text) text,
    REQUEST_TYPES(RESPONSE_TYPE_NAME)
#undef RESPONSE_TYPE_NAME
};

const struct policy *
response_policy_of(const struct request *req)
{
    if (!req)
        return &policies[REQ_LAUNCH];
    return (unsigned)req->type <= REQ_OTHER ? &policies[req->type] : &policies[REQ_OTHER];
}

const char *
response_type_name(const struct request *req)
{
    if (req && req->type_name)
        return req->type_name;
    return req && (unsigned)req->type < REQ_OTHER ? type_names[req->type]
                                                  : "an unknown request type";
}
