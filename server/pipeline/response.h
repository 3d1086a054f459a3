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
 * request type may not carry, a directive the device does not support, a
 * missing version added) and, by response_dump_warn(), for a response over
 * LIMIT_RESPONSE_WARN_BYTES. message is one printable sentence, valid only
 * during the call. */
typedef void (*response_warn_fn)(void *ctx, const char *message);

/*
 * Build the envelope for req from reply (borrowed, never modified). On
 * success *out is a new reference the caller owns; it shares unchanged
 * members (card, directives, sessionAttributes, ...) with reply by
 * reference, so neither may be modified while the other is in use. On
 * failure *out is NULL.
 *
 * Errors: SS_ERR_SKILL_RESULT (the reply is not a response; the message names
 * the field and says what to write, e.g. "card.title must be a string, got a
 * list"), SS_ERR_RESPONSE_LIMIT (speech or reprompt over LIMIT_SPEECH_CHARS
 * UTF-16 units, a card over LIMIT_CARD_CHARS / LIMIT_CARD_URL_CHARS, an
 * AudioPlayer.Play url or token too long), SS_ERR_SSML ("outputSpeech SSML
 * line L, column C: problem (near '...')", a <speak> nested in a segment, or
 * more than LIMIT_SSML_AUDIO_TAGS <audio> in outputSpeech and reprompt
 * together), SS_ERR_NOMEM, SS_ERR_USAGE (req or out NULL). Every SSML
 * outputSpeech and reprompt is checked with ssml_check_locale() and
 * req->locale, here and nowhere else.
 * The 120 KB size limit needs the serialised text: response_dump checks it.
 * warn may be NULL. Thread-safe (ssml_check is); no Python.
 *
 * What is decided here (spec/alexa-protocol.md §5, §6):
 * - Request types and what their responses keep (everything else is dropped
 *   with a warning; shouldEndSession is dropped silently, because skillkit
 *   always sets it and there is no session to end):
 *     LaunchRequest, APL UserEvent, Connections.Response,
 *     Display.ElementSelected, SessionResumedRequest: speech, reprompt, card,
 *       directives except the Dialog ones that drive an intent's dialog
 *       (Dialog.UpdateDynamicEntities is allowed), shouldEndSession,
 *       sessionAttributes;
 *     IntentRequest: the same plus every Dialog directive;
 *     CanFulfillIntentRequest: canFulfillIntent only (a warning when missing);
 *     AudioPlayer.PlaybackStarted/Finished: AudioPlayer.Stop/ClearQueue only;
 *     AudioPlayer.PlaybackNearlyFinished/Failed, PlaybackController.*:
 *       AudioPlayer directives only;
 *     SessionEndedRequest, AudioPlayer.PlaybackStopped,
 *     System.ExceptionEncountered, any other type: the empty response
 *       {"version":"1.0","response":{}}.
 *   A directive of an interface the device does not list in
 *   req->supported_interfaces (AudioPlayer, VideoApp, Alexa.Presentation.APL,
 *   APLT, HTML, Display) is dropped with a warning; when the request has no
 *   supportedInterfaces at all, nothing is dropped for that reason.
 * - Errors, not drops: two AudioPlayer.Play, two Dialog directives (not
 *   counting Dialog.UpdateDynamicEntities), a Play whose stream.url is not
 *   https or too long or whose token is missing or too long, ElicitSlot /
 *   ConfirmSlot without slotToElicit / slotToConfirm.
 * - VideoApp.Launch removes shouldEndSession (with a warning).
 * - shouldEndSession: true, false and null are passed as they are; absent
 *   stays absent (C never invents one, also not for LaunchRequest /
 *   IntentRequest: skillkit always decides, and a lambda_handler that omits it
 *   asks for the screen-device behaviour of §5.4).
 * - sessionAttributes are copied to the envelope when given and the request
 *   type has a session; null and absent mean none.
 * - A JSON null outputSpeech, card, reprompt, directives or canFulfillIntent
 *   means absent (Python's None); other members must have their type.
 *
 * Kind "reply": speech segments are concatenated as they are (skillkit puts
 * the spaces); an empty speech list means no outputSpeech; playBehavior goes
 * to the outputSpeech (ignored with a warning when there is none); an outer
 * <speak> with attributes is removed too, with a warning (Alexa's <speak>
 * takes none); unknown reply members are ignored with a warning.
 *
 * Kind "envelope": version "1.0" (added with a warning when missing), a
 * "response" dict, and unknown members at both levels passed through unchanged
 * (apiResponse, userAgent, ...) except in an empty response. An SSML
 * outputSpeech must be a whole <speak> document; a PlainText one that
 * contains "<speak" gets a warning (Alexa would read the tags aloud).
 */
enum ss_err response_build(const struct request *req, json_t *reply, json_t **out,
                           response_warn_fn warn, void *warn_ctx, struct ss_error *err);

/*
 * A valid response that speaks sentence (PlainText, cut to
 * LIMIT_SPEECH_CHARS, invalid UTF-8 dropped) and ends the session, or the
 * empty response {"version":"1.0","response":{}} when req's type may not
 * carry speech (SessionEnded, AudioPlayer.*, CanFulfillIntent, ...). req may
 * be NULL (request not parsed): then speech is used. sentence NULL speaks a
 * generic apology. Returns a new reference, NULL only on OOM.
 */
json_t *response_apology(const struct request *req, const char *sentence);

/*
 * Serialise envelope (an object) to a NUL-terminated UTF-8 string (*out,
 * freed with free(); *len its length), compact, or pretty-printed with 2
 * spaces when pretty; members in insertion order. Fails with
 * SS_ERR_RESPONSE_LIMIT when the compact form (what Alexa receives) is over
 * LIMIT_RESPONSE_BYTES, also when pretty; SS_ERR_NOMEM on allocation failure;
 * SS_ERR_USAGE when envelope is not an object. On failure *out is NULL.
 */
enum ss_err response_dump(json_t *envelope, bool pretty, char **out, size_t *len,
                          struct ss_error *err);

/* response_dump, and warn (may be NULL) when the compact form is over
 * LIMIT_RESPONSE_WARN_BYTES (the 24 KB some Alexa documents still state). */
enum ss_err response_dump_warn(json_t *envelope, bool pretty, char **out, size_t *len,
                               response_warn_fn warn, void *warn_ctx, struct ss_error *err);

/* Characters of s as Alexa counts them for the 8000 limit: UTF-16 code units
 * (a non-BMP character such as an emoji counts 2). s is UTF-8; NULL gives 0. */
size_t response_speech_length(const char *s);

#endif
