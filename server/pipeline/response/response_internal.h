/*
 * response_internal.h - what the files of response/ share, and nothing
 * outside it sees (the pipeline's include path stops at server/pipeline/).
 *
 * One response_build() call is one struct build: the request it answers, the
 * row of the §6 table for its type, where errors and warnings go, and what
 * the checks found so far that a later check depends on (the <audio> count
 * of the speech, the directives that change shouldEndSession). The files:
 *
 *   policy.c     §6: what the answer to each request type may carry
 *   report.c     how a problem with the reply is put in words (errors, warnings)
 *   speech.c     outputSpeech and reprompt: assembly, §8 length, the SSML check
 *   card.c       cards (§5.2)
 *   directive.c  directives (§5.5): which are kept for this request and device
 *   envelope.c   the envelope around them (§5), response_build(), serialisation
 *   apology.c    the spoken answer when a skill fails
 *
 * Must stay true: the reply is borrowed and never modified; what is kept is
 * shared by reference, never deep-copied. Skill strings reach messages only
 * through response_quote().
 */
#ifndef SKILLSERVER_RESPONSE_INTERNAL_H
#define SKILLSERVER_RESPONSE_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "request.h"
#include "response.h"
#include "ssml.h"
#include "utf8.h"

/* ---- policy.c: the §6 table ---- */

/* Which directives the answer to a request type may carry. */
enum dir_rule {
    DIRS_NONE,       /* no directives */
    DIRS_STOP_CLEAR, /* AudioPlayer.Stop and AudioPlayer.ClearQueue */
    DIRS_AUDIO,      /* AudioPlayer.* */
    DIRS_NO_DIALOG,  /* all but the Dialog directives that drive an intent's dialog */
    DIRS_ALL,
};

/* One row of the table: what the answer to one request type may carry. */
struct policy {
    bool speech;  /* outputSpeech, reprompt, card */
    bool session; /* shouldEndSession, sessionAttributes */
    bool cfi;     /* canFulfillIntent */
    enum dir_rule dirs;
};

/* The row for req's type; a NULL req (a request that did not parse) gets
 * LaunchRequest's, so that an apology for it speaks. Never NULL. */
const struct policy *response_policy_of(const struct request *req);

/* req's type as messages name it ("IntentRequest"). Never NULL. */
const char *response_type_name(const struct request *req);

/* ---- one build ---- */

struct build {
    const struct request *req;
    const struct policy *pol;
    const char *type_name; /* for messages */
    const char *prefix;    /* "" for a reply, "response." for an envelope */
    response_warn_fn warn;
    void *warn_ctx;
    struct ss_error *err;

    /* <audio> tags of the checked outputSpeech [0] and reprompt [1]: their
     * sum is limited per response (LIMIT_SSML_AUDIO_TAGS) */
    int audio[2];

    /* found among the directives that are kept */
    bool video_launch;
    bool audio_play;
    const char *dialog; /* type of the Dialog directive, NULL when none */
};

/* ---- report.c: errors and warnings in words ---- */

/* Most bytes of a skill string quoted in a message; a quote buffer is
 * RESPONSE_QUOTE_BYTES + 4 bytes (room for "..." and the NUL). */
#define RESPONSE_QUOTE_BYTES 48

/* Record code and the message in b->err (when there is one); returns code. */
enum ss_err response_fail(const struct build *b, enum ss_err code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One warning through b->warn (when there is one), cut to 511 bytes. */
void response_warnf(const struct build *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The JSON type of v in the words of a Python author ("a list", "None");
 * replies come from Python. v may be NULL ("nothing"). */
const char *response_kind_of(const json_t *v);

/* A short copy of s[0..len) for a message, written to buf: at most
 * RESPONSE_QUOTE_BYTES bytes, cut at a UTF-8 character boundary and marked
 * "...", control characters replaced by spaces. Returns buf. */
const char *response_quote(const char *s, size_t len, char buf[RESPONSE_QUOTE_BYTES + 4]);

/* The string member key of obj, named prefix+parent.key in the error; an
 * absent optional one gives *out NULL and SS_ERR_OK. */
enum ss_err response_get_string(const struct build *b, const json_t *obj, const char *parent,
                                const char *key, bool required, json_t **out);

/* v is one of values (NULL-terminated), shown in the error as shown
 * ("\"A\", \"B\" or \"C\"") with path after b->prefix. */
enum ss_err response_check_enum(const struct build *b, const json_t *v, const char *path,
                                const char *const *values, const char *shown);

/* An outputSpeech's and an AudioPlayer.Play's playBehavior. */
extern const char *const response_play_behaviors[];
#define PLAY_BEHAVIORS_SHOWN "\"ENQUEUE\", \"REPLACE_ALL\" or \"REPLACE_ENQUEUED\""

/* The member key of obj; NULL when absent or JSON null (Python's None). */
static inline json_t *
member(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_null(v) ? NULL : v;
}

/* The length of a JSON string as Alexa counts it (UTF-16 units). */
static inline size_t
units_of(const json_t *str)
{
    return utf16_units(json_string_value(str), json_string_length(str));
}

static inline bool
starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static inline bool
is_https(const char *s)
{
    return strncasecmp(s, "https://", 8) == 0 && s[8] != '\0';
}

/* ---- speech.c ---- */

/*
 * An outputSpeech object from a reply's segment list segs (reply member
 * name: "speech" or "reprompt"), checked against the speech limit and, when
 * SSML, by the SSML check; *out is a new reference, or stays NULL for an
 * empty list. what names it in messages ("outputSpeech" / "reprompt").
 */
enum ss_err response_speech_assemble(struct build *b, const json_t *segs, const char *name,
                                     const char *what, enum ssml_where where, json_t **out);

/* Check an outputSpeech object as an envelope's author wrote it; path is
 * "outputSpeech" or "reprompt.outputSpeech" (after b->prefix). */
enum ss_err response_speech_check(struct build *b, const json_t *os, const char *path,
                                  const char *what, enum ssml_where where);

/* The <audio> tags of outputSpeech and reprompt together, once both are
 * checked, against LIMIT_SSML_AUDIO_TAGS. */
enum ss_err response_audio_total_check(const struct build *b);

/* ---- card.c ---- */

/* Check card (§5.2: its type's members, their types, the §8 limits). */
enum ss_err response_card_check(const struct build *b, const json_t *card);

/* ---- directive.c ---- */

/*
 * The directives to send for dirs (the skill's list, borrowed): *out is
 * dirs itself (a new reference) when all are kept, a new list of the kept
 * ones, or NULL when none is left. Sets b->audio_play, b->video_launch and
 * b->dialog from the kept ones.
 */
enum ss_err response_directives_filter(struct build *b, json_t *dirs, json_t **out);

#endif
