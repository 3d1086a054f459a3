/*
 * matcher.h - what Alexa's language understanding does for a custom skill,
 * offline: from an utterance ("thanks my name is Sam") to an intent and its
 * slots, using the skill's interaction model.
 *
 * The utterance is normalised (model_normalise(), short forms written out)
 * and matched against every sample of every intent, loosely as children
 * speak (matcher.c says how): fillers ignored, extra words around a sample,
 * a slot in another position, phrases that mean the same, close spellings.
 * Each {slot} takes words its type accepts. Custom types take any words, and
 * resolve values and synonyms to the canonical value and id as Alexa's entity
 * resolution does; built-in types are recognised and normalised the way
 * Alexa reports them by slot_values.h (AMAZON.NUMBER "forty two" -> "42",
 * AMAZON.DATE "tomorrow" -> "2026-11-27", AMAZON.TIME, AMAZON.DURATION, ...). Built-in
 * intents also match Alexa's own phrases ("help", "stop", "never mind").
 *
 * Scoring, highest first: more literal words (less for each one misspelt,
 * read as another or outside the sample); then fewer words taken by
 * slots that accept anything (a custom value Alexa does not know, a first
 * name, a search query); then more words recognised by a slot's type. Equal
 * scores keep the intent listed first in the model (and a model's own sample
 * before a built-in phrase) and report the other one as an ambiguity, so the
 * result never depends on anything but the model and the words; when the
 * best match is not exact, such a tie gives AMAZON.FallbackIntent instead
 * of a guess. Nothing that matches closely enough gives
 * AMAZON.FallbackIntent, as Alexa does.
 *
 * Also here: the phrases people use to start a skill ("open X", "ask X to
 * ...") and to leave one ("exit").
 *
 * Pure functions of their arguments (and `now`); thread-safe.
 */
#ifndef SKILLSERVER_MATCHER_H
#define SKILLSERVER_MATCHER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "model.h"
#include "ss_limits.h"

/* Most values entity resolution reports for one slot (a synonym several
 * values share). */
#define MATCHER_MAX_RESOLVED LIMIT_RESOLVED_VALUES

struct matcher_slot {
    const struct model_slot *slot; /* borrowed from the model */
    char value[256]; /* the slot's "value": the words said, or a built-in's normal form */
    bool custom;     /* a custom type: the request carries entity resolution */
    const struct model_value *resolved[MATCHER_MAX_RESOLVED]; /* ER_SUCCESS_MATCH values */
    size_t resolved_count;                                    /* 0: ER_SUCCESS_NO_MATCH */
};

struct matcher_result {
    const char *intent_name;           /* never NULL after matching */
    const struct model_intent *intent; /* NULL when the model does not list it */
    bool fallback;                     /* nothing matched: AMAZON.FallbackIntent */
    const char *sample;                /* the sample or built-in phrase that matched */
    bool exact;                        /* said as written: no word ignored or read as another */
    char how[256]; /* what else: "ignored: um, so much; read 'thnak' as 'thank'", or "" */
    int score;
    struct matcher_slot slots[LIMIT_MATCHER_SLOTS];
    size_t slot_count;
    /* Another intent that matched exactly as well (the first one listed won): */
    const char *other_intent;
    const char *other_sample;
};

/*
 * Resolve utterance with model (NULL: no model.json, only the common
 * built-in intents). now is the time relative dates count from. Returns 0,
 * or -1 when the utterance is empty or has more than LIMIT_MATCHER_WORDS
 * words (out is then a fallback). out borrows from model.
 */
int matcher_match(const struct model *model, const char *utterance, time_t now,
                  struct matcher_result *out);

/*
 * Resolve utterance as the answer to Alexa asking for slot of intent (a
 * dialog): the slot's own samples ("{drink}", "a {drink} please"), or the
 * slot's words alone. Returns 1 when it fits (out holds intent with that
 * slot filled), 0 when it does not.
 */
int matcher_match_slot(const struct model *model, const struct model_intent *intent,
                       const struct model_slot *slot, const char *utterance, time_t now,
                       struct matcher_result *out);

/* How an utterance addresses a skill. */
enum matcher_form {
    MATCHER_PLAIN, /* words for the skill in the session, or for whichever skill fits */
    MATCHER_OPEN,  /* "open counting game": a LaunchRequest */
    MATCHER_ASK,   /* "ask thank you to say thanks": an intent for that skill */
    MATCHER_EXIT,  /* "exit", "quit": end the session (SessionEndedRequest) */
};

struct matcher_invocation {
    enum matcher_form form;
    size_t skill;   /* for OPEN and ASK: the index into the names given */
    long near;      /* for PLAIN: a name the user probably meant to open ("open thank
                       yu"), as an index, or -1 */
    bool soft_exit; /* EXIT by "goodbye"/"bye", which a model may use as a sample */
    char rest[LIMIT_MODEL_TEXT_CHARS]; /* normalised words for the skill ("" for OPEN) */
};

/*
 * Read how utterance addresses a skill, given the invocation names of the
 * skills there are (names[i] may be NULL for a skill without a model). The
 * longest name that fits wins. A leading "alexa" is ignored.
 */
void matcher_invocation(const char *utterance, const char *const *names, size_t n,
                        struct matcher_invocation *out);

#endif
