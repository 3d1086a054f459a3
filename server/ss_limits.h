/*
 * ss_limits.h - every size and time limit of skillserver in one place.
 *
 * Each limit has a one-line reason. Change a number here, never a literal
 * somewhere else: the tests read the same constants.
 */
#ifndef SKILLSERVER_LIMITS_H
#define SKILLSERVER_LIMITS_H

/* Alexa request bodies are a few KiB; 128 KiB leaves room for big APL contexts. */
#define LIMIT_BODY_BYTES (128 * 1024)

/* Alexa's envelopes nest about 10 deep; anything past 64 is hostile. */
#define LIMIT_JSON_DEPTH 64

/* Alexa rejects an outputSpeech (and a reprompt) longer than 8000 characters. */
#define LIMIT_SPEECH_CHARS 8000

/* Card title + text + image URLs together: Alexa's documented maximum. */
#define LIMIT_CARD_CHARS 8000

/* Each card image URL: Alexa's documented maximum. */
#define LIMIT_CARD_URL_CHARS 2000

/* The whole serialised response: Alexa's current hard limit (120 KB). */
#define LIMIT_RESPONSE_BYTES 122880

/* Older Alexa documents said 24 KB; above it we warn in the log. */
#define LIMIT_RESPONSE_WARN_BYTES 24576

/* userId and personId are documented as at most 255 characters. */
#define LIMIT_USER_ID_CHARS 255

/* A worker frame larger than this is a protocol error (responses are <= 120 KB,
 * persistent attributes are capped below, logs are cut into pieces). */
#define LIMIT_FRAME_BYTES (1024 * 1024)

/* One log record from a skill (a print() or a traceback) is cut at this size. */
#define LIMIT_LOG_RECORD_BYTES (16 * 1024)

/* Persistent attributes per user and skill, serialised. */
#define LIMIT_ATTRIBUTES_BYTES (256 * 1024)

/* Alexa waits about 8 s; the hard deadline leaves 2 s for everything else. */
#define LIMIT_HANDLER_TIMEOUT_MS_DEFAULT 6000

/* The longest hard deadline a user may configure: Alexa gives up at 8 s. */
#define LIMIT_HANDLER_TIMEOUT_MS_MAX 60000

/* A worker must load its skill (start CPython, import) within this time. */
#define LIMIT_WORKER_START_MS 10000

/* Skill names become paths and module names: short, [A-Za-z0-9_-]. */
#define LIMIT_SKILL_NAME_CHARS 64

/* Intent and slot names given on the command line. */
#define LIMIT_NAME_CHARS 128

#endif
