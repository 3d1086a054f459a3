/*
 * response.h - building and checking the Alexa response envelope.
 *
 * The worker answers with a "reply" (see below); response_build() turns it
 * into the envelope Alexa expects, enforcing spec/alexa-protocol.md: field
 * types, the limits of §8, which members each request type may carry (§6),
 * and an SSML check of every outputSpeech and reprompt. Nothing here runs
 * Python; everything is plain jansson and may run on any thread.
 *
 * A reply is a JSON object of one of two kinds:
 *
 *   {"kind": "reply",                    built by skillkit from the handler's value
 *    "speech":   [SEGMENT, ...],         optional; what Alexa says
 *    "reprompt": [SEGMENT, ...],         optional; said again when the user is silent
 *    "playBehavior": "ENQUEUE" | "REPLACE_ALL" | "REPLACE_ENQUEUED",   optional
 *    "card": {Alexa card object},        optional; Simple, Standard, LinkAccount,
 *                                        AskForPermissionsConsent
 *    "directives": [{...}, ...],         optional; passed through, type checked
 *    "shouldEndSession": true|false|null optional; absent means omit the field
 *    "sessionAttributes": {...},         optional
 *    "canFulfillIntent": {...}}          optional; CanFulfillIntentRequest only
 *
 *   where SEGMENT is {"text": "plain words"} or {"ssml": "<break time='1s'/>"}.
 *   Speech made only of text segments becomes PlainText; any ssml segment
 *   makes the whole speech SSML, with the text segments escaped and the
 *   ssml segments inserted as they are (one optional outer <speak> pair is
 *   removed from each), inside a single <speak>...</speak>.
 *
 *   {"kind": "envelope", "envelope": {...}}   a complete Alexa response
 *                                        (a classic lambda_handler's dict),
 *                                        checked the same way.
 */
#ifndef SKILLSERVER_RESPONSE_H
#define SKILLSERVER_RESPONSE_H

#include <jansson.h>
#include <stdbool.h>

#include "error.h"
#include "request.h"

/* Called for each thing response_build() changed or dropped (a member a
 * request type may not carry, a response over the 24 KB warning size). */
typedef void (*response_warn_fn)(void *ctx, const char *message);

/*
 * Build the envelope for req from reply (borrowed). On success *out is a new
 * reference the caller owns. Errors: SS_ERR_SKILL_RESULT (the reply is not a
 * response; the message names the field, e.g. "card.title must be a string"),
 * SS_ERR_RESPONSE_LIMIT (speech over 8000 characters, card over its limits,
 * envelope over 120 KB), SS_ERR_SSML (the message gives where, line, column
 * and what is wrong). warn may be NULL.
 */
enum ss_err response_build(const struct request *req, json_t *reply, json_t **out,
                           response_warn_fn warn, void *warn_ctx, struct ss_error *err);

/*
 * A valid response that speaks sentence and ends the session, or the empty
 * response {"version":"1.0","response":{}} when req's type may not carry
 * speech (SessionEnded, AudioPlayer.*, ...). req may be NULL (request not
 * parsed): then speech is used. Returns a new reference, NULL only on OOM.
 */
json_t *response_apology(const struct request *req, const char *sentence);

/*
 * Serialise envelope to a NUL-terminated string (*out, freed with free()),
 * pretty-printed with 2 spaces when pretty. Fails with SS_ERR_RESPONSE_LIMIT
 * above LIMIT_RESPONSE_BYTES, SS_ERR_NOMEM on allocation failure.
 */
enum ss_err response_dump(json_t *envelope, bool pretty, char **out, size_t *len,
                          struct ss_error *err);

/* Characters of s as Alexa counts them for the 8000 limit: UTF-16 code units. */
size_t response_speech_length(const char *s);

#endif
