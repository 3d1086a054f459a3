/*
 * error.h - the one list of error kinds.
 *
 * SS_ERRORS generates the enum, the short name, the HTTP status, the text
 * for the operator's log and the sentence spoken to the person using the
 * skill, so that the four can never drift apart. Functions that can fail
 * return enum ss_err and write details into a caller-owned struct ss_error;
 * reporting an error never allocates.
 */
#ifndef SKILLSERVER_ERROR_H
#define SKILLSERVER_ERROR_H

#include <stdarg.h>
#include <stddef.h>

/*  X(NAME, HTTP status, log text, spoken words) */
#define SS_ERRORS(X)                                                                            \
    X(OK, 200, "ok", "")                                                                       \
    X(NOMEM, 500, "out of memory", "Sorry, I can't answer right now. Please try again.")       \
    X(IO, 500, "input or output failed", "Sorry, I can't answer right now. Please try again.") \
    X(USAGE, 400, "bad usage", "")                                                              \
    X(JSON, 400, "request is not valid JSON", "")                                               \
    X(FIELD, 400, "request field is missing or has the wrong type", "")                         \
    X(TOO_LARGE, 413, "request body is too large", "")                                          \
    X(METHOD, 405, "method not allowed", "")                                                    \
    X(HEAD_TOO_LARGE, 431, "request headers are too large", "")                                 \
    X(UNKNOWN_SKILL, 404, "no such skill", "")                                                  \
    X(WRONG_APPLICATION, 400, "applicationId does not match the skill", "")                     \
    X(VERIFY, 400, "request verification failed", "")                                           \
    X(FRAMING, 400, "request framing is ambiguous", "")                                         \
    X(NOT_LOCAL, 403, "request is not addressed to this machine", "")                           \
    X(MEDIA_TYPE, 415, "request body is not declared as JSON", "")                              \
    X(SKILL_CONFIG, 500, "skill configuration is invalid", "")                                  \
    X(SKILL_LOAD, 200, "skill failed to load",                                                  \
      "Sorry, this skill is not working right now. Please try again later.")                    \
    X(SKILL_RAISED, 200, "skill raised an exception",                                           \
      "Sorry, something went wrong in this skill. Please try again.")                           \
    X(SKILL_TIMEOUT, 200, "skill took too long",                                                \
      "Sorry, this skill took too long to answer. Please try again.")                           \
    X(SKILL_CRASHED, 200, "skill worker died",                                                  \
      "Sorry, something went wrong in this skill. Please try again.")                           \
    X(SKILL_RESULT, 200, "skill returned something that is not a response",                     \
      "Sorry, this skill gave an answer I can't say.")                                          \
    X(RESPONSE_LIMIT, 200, "response breaks an Alexa limit",                                    \
      "Sorry, this skill's answer was too long to say.")                                        \
    X(SSML, 200, "response has invalid SSML", "Sorry, this skill gave an answer I can't say.")  \
    X(WORKER, 500, "worker protocol failed",                                                    \
      "Sorry, something went wrong in this skill. Please try again.")                           \
    X(STORE_CONFLICT, 200, "attributes kept changing under the handler",                        \
      "Sorry, I can't answer right now. Please try again.")                                     \
    X(CLASS_SIGN_IN, 401, "class: no valid session", "")                                        \
    X(CLASS_FORBIDDEN, 403, "class: not allowed for this session", "")                          \
    X(CLASS_CROSS_SITE, 403, "class: state-changing request from another origin", "")           \
    X(CLASS_CODE, 403, "class: wrong join code or password", "")                                \
    X(CLASS_NAME, 400, "class: name refused", "")                                               \
    X(CLASS_FULL, 409, "class: the class is full", "")                                          \
    X(CLASS_TRIES, 429, "class: too many wrong tries", "")

enum ss_err {
#define SS_ERR_ENUM(name, status, text, spoken) SS_ERR_##name,
    SS_ERRORS(SS_ERR_ENUM)
#undef SS_ERR_ENUM
        SS_ERR__COUNT
};

/* Details of one error: a kind and a sentence. Lives on the caller's stack. */
struct ss_error {
    enum ss_err code;
    char msg[512];
};

/* "FIELD" etc.; never NULL. */
const char *ss_err_name(enum ss_err code);
/* The HTTP status for an error that ends a request. */
int ss_err_status(enum ss_err code);
/* The log text of the kind ("request body is too large"). */
const char *ss_err_text(enum ss_err code);
/* The sentence spoken to the user when a skill fails with this kind. */
const char *ss_err_spoken(enum ss_err code);

/* Record an error in err (may be NULL) and return code, for "return ss_fail(...)". */
enum ss_err ss_fail(struct ss_error *err, enum ss_err code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The same with a va_list, for functions that wrap ss_fail. */
enum ss_err ss_vfail(struct ss_error *err, enum ss_err code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Reset err to OK with an empty message. */
void ss_error_clear(struct ss_error *err);

#endif
