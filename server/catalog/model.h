/*
 * model.h - a skill's interaction model (skills/NAME/model.json, the ASK CLI
 * format of spec/alexa-protocol.md §10): the invocation name, the intents
 * with their slots and sample utterances, the custom slot types with their
 * values, ids and synonyms, and the dialog model (which slots Alexa must
 * elicit, with which prompts).
 *
 * Two steps, as in Amazon's console: model_load()/model_parse() accept any
 * document of the right shape (and say where the shape is wrong);
 * model_check() then finds what Amazon would reject or what is probably a
 * mistake (naming rules, undefined slots and types, duplicate utterances,
 * missing built-in intents), each problem with the file and the JSON path.
 * Whether the skill's handlers match the intents is skillkit's check (it
 * knows the handlers); its findings come with a JSON path too.
 *
 * It also owns the tables of Alexa's built-in intents (with the phrases
 * Alexa understands for them without samples) and built-in slot types, and
 * the text normalisation that utterances, samples and slot values share.
 *
 * A loaded model is read-only; its strings borrow from the parsed document.
 * The module is several files, one concern each: model.c (loading and
 * look-ups), model_text.c (normalisation, closeness, sample splitting),
 * model_builtin.c (Alexa's built-in intents and slot types), model_lint.c
 * (model_check()) and model_invocation.c (the invocation name's rules).
 */
#ifndef SKILLSERVER_MODEL_H
#define SKILLSERVER_MODEL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "ss_limits.h"

struct model_slot {
    const char *name;
    const char *type;     /* "AMAZON.FirstName", "DrinkType", ... */
    const char **samples; /* what a user says when Alexa asks for this slot */
    size_t sample_count;
    /* From interactionModel.dialog (false/NULL without a dialog model): */
    bool elicitation_required;
    bool confirmation_required;
    const char *elicitation_prompt;  /* a prompt id */
    const char *confirmation_prompt; /* a prompt id */
};

struct model_intent {
    const char *name;
    struct model_slot *slots;
    size_t slot_count;
    const char **samples;
    size_t sample_count;
    bool dialog;                /* named in interactionModel.dialog.intents */
    bool confirmation_required; /* the dialog model asks to confirm the intent */
    const char *confirmation_prompt;
};

struct model_value {
    const char *id; /* NULL when the model gives none */
    const char *value;
    const char **synonyms;
    size_t synonym_count;
    /* The value, then each synonym, normalised once (model_normalise()) so
     * that resolving a slot compares strings instead of normalising
     * thousands of them per utterance; "" where a text is too long. */
    char **keys; /* owned, 1 + synonym_count of them, in one allocation */
};

struct model_type {
    const char *name;
    struct model_value *values;
    size_t value_count;
    bool value_supplier; /* values come from a catalog (valueSupplier), not the file */
};

struct model_prompt {
    const char *id;
    const char **variations; /* the "value" of each variation, PlainText or SSML */
    bool *ssml;              /* per variation: true for type "SSML" */
    size_t variation_count;
};

struct model {
    json_t *root; /* owned: the document everything borrows from */
    char *file;   /* owned: the name given to model_parse(), for messages */
    const char *invocation_name;
    struct model_intent *intents;
    size_t intent_count;
    struct model_type *types;
    size_t type_count;
    struct model_prompt *prompts;
    size_t prompt_count;
    bool dialog;                     /* the model has a dialog section */
    const char *delegation_strategy; /* "ALWAYS", "SKILL_RESPONSE" or NULL */
};

/* Load and check the shape of a model file. Errors: SS_ERR_SKILL_CONFIG with
 * "file: JSON path: what is wrong", SS_ERR_NOMEM. The caller releases *out
 * with model_destroy(). */
enum ss_err model_load(const char *path, struct model **out, struct ss_error *err);

/* The same from text; name is used in messages. */
enum ss_err model_parse(const char *name, const char *text, size_t len, struct model **out,
                        struct ss_error *err);

void model_destroy(struct model *model);

const struct model_intent *model_intent(const struct model *model, const char *name);
const struct model_slot *model_intent_slot(const struct model_intent *intent, const char *name);
const struct model_type *model_type(const struct model *model, const char *name);
const struct model_prompt *model_prompt(const struct model *model, const char *id);

/* The value of type that text names, by value or synonym, compared as
 * model_normalise() does (case, punctuation, apostrophes); NULL when none
 * does. The first such value in the model's order. */
const struct model_value *model_type_match(const struct model_type *type, const char *text);

/*
 * Every value of type that text names (several when a synonym is shared, as
 * Alexa's entity resolution reports them), at most cap, in the model's
 * order. Returns how many were stored.
 */
size_t model_type_matches(const struct model_type *type, const char *text,
                          const struct model_value **out, size_t cap);

/* ---- Text normalisation ---- */

/*
 * The form in which utterances, samples and slot values are compared: lower
 * case (ASCII; other bytes are kept, so UTF-8 letters survive), apostrophes
 * (' and U+2019) removed, every other character that is not a letter or
 * digit made a space - except '-', ':' and '.' between two digits, which
 * dates, times and decimals need - and runs of spaces made one, trimmed.
 * Slot references are not special here. Writes at most cap bytes with the
 * NUL; returns the length needed (>= cap means truncated).
 */
size_t model_normalise(const char *text, char *out, size_t cap);

/* One piece of a sample utterance: a normalised word or a slot reference. */
struct model_token {
    const char *text; /* NUL-terminated, in the caller's buffer; a slot's name as written */
    size_t len;
    bool slot;
};

/*
 * Split sample ("thank you {name}") into tokens: the words between slot
 * references, normalised by model_normalise(), and each {slot}. The texts
 * are stored in buf[0..cap). Returns the number of tokens, -1 when a { or }
 * does not pair up, -2 when more than max tokens or buf is too small.
 */
int model_sample_split(const char *sample, char *buf, size_t cap, struct model_token *tokens,
                       size_t max);

/* Levenshtein distance with adjacent transpositions, ASCII case-insensitive;
 * strings longer than 64 bytes count as far apart (returns 99). */
int model_edit_distance(const char *a, const char *b);

/* Of names[0..n), the one closest to word by model_edit_distance() when it is
 * close enough to be a likely misspelling (at most a third of the length, at
 * least 1 and at most 3 edits), else NULL. Ties go to the earlier name. */
const char *model_closest(const char *word, const char *const *names, size_t n);

/* ---- Alexa's built-ins ---- */

/* How the utterance resolver recognises a built-in slot type. */
enum model_builtin_kind {
    MODEL_BUILTIN_WORDS,       /* any words (AMAZON.SearchQuery and catalog types) */
    MODEL_BUILTIN_NUMBER,      /* "forty two", "42" -> "42" */
    MODEL_BUILTIN_ORDINAL,     /* "third", "3rd" -> "3" */
    MODEL_BUILTIN_FOUR_DIGIT,  /* "one two three four" -> "1234" */
    MODEL_BUILTIN_PHONE,       /* spoken digits -> "5551234" */
    MODEL_BUILTIN_DATE,        /* "tomorrow" -> "2026-11-27" */
    MODEL_BUILTIN_TIME,        /* "half past three pm" -> "15:30" */
    MODEL_BUILTIN_DURATION,    /* "ten minutes" -> "PT10M" */
    MODEL_BUILTIN_FIRST_NAME,  /* one word -> "Sam" */
    MODEL_BUILTIN_DAY_OF_WEEK, /* "monday" */
    MODEL_BUILTIN_MONTH,       /* "november" */
    MODEL_BUILTIN_COLOR,       /* "blue" */
};

struct model_builtin_type {
    const char *name;
    enum model_builtin_kind kind;
};

/* The built-in slot type called name, or NULL when skillserver does not know
 * it (Amazon has more catalog types than this table lists). */
const struct model_builtin_type *model_builtin_type(const char *name);

struct model_builtin_intent {
    const char *name;
    bool required;              /* Amazon requires it in every custom model */
    const char *const *phrases; /* what Alexa understands for it without samples */
};

/* The built-in intent called name (an "AMAZON." one), or NULL. */
const struct model_builtin_intent *model_builtin_intent(const char *name);

/* Every built-in intent and slot type skillserver knows, *count of them, in
 * a static table. */
const struct model_builtin_intent *model_builtin_intents(size_t *count);
const struct model_builtin_type *model_builtin_types(size_t *count);

/* ---- Checks ---- */

enum model_severity { MODEL_ERROR, MODEL_WARNING };

struct model_problem {
    enum model_severity severity;
    char path[160];    /* JSON path, "interactionModel.languageModel.intents[2]" */
    char message[400]; /* one sentence saying what is wrong and what to do */
};

/* Problems kept per check; the rest are counted in `omitted`. */
#define MODEL_MAX_PROBLEMS LIMIT_MODEL_PROBLEMS

struct model_report {
    size_t count;    /* problems kept in items */
    size_t errors;   /* errors found (kept or not) */
    size_t warnings; /* warnings found (kept or not) */
    size_t omitted;  /* problems found beyond MODEL_MAX_PROBLEMS */
    struct model_problem items[MODEL_MAX_PROBLEMS];
};

/*
 * Check model as Amazon's console would, plus what is likely a mistake.
 * Errors are what Amazon would refuse; warnings what works but is probably
 * not meant. Allocates only while it looks for repeated samples and values
 * (without memory that search is skipped); the report itself is the
 * caller's.
 */
void model_check(const struct model *model, struct model_report *report);

/*
 * Add to report the problems of an invocation name (model_check() does it
 * for the model's), under the path interactionModel.languageModel.
 * invocationName, each message a phrase that follows "the invocation name"
 * ("has the digit '2': write numbers as words ..."). Errors: not lower case,
 * digits, characters other than letters, spaces, apostrophes and periods, a
 * period outside an abbreviation ("a. b. c."), an apostrophe outside a
 * possessive ("sam's"), a launch word ("open", "ask", ...) or wake word
 * ("alexa", "echo", ...), empty, too long, not UTF-8. Warnings (Amazon
 * waives them for brands): one word; two words one of which is an article
 * or preposition. Does not clear report.
 */
void model_check_invocation(const char *name, struct model_report *report);

/*
 * A name close to name that model_check_invocation() accepts without a
 * problem: lower case, numbers as words ("2" -> "two"), other marks as
 * spaces, launch and wake words left out, "game" added to make two real
 * words. Writes it to out and returns its length, or returns 0 (out "")
 * when no such name fits in cap or none is near.
 */
size_t model_invocation_suggest(const char *name, char *out, size_t cap);

/*
 * The report as text, one problem a line: "FILE: PATH: error: MESSAGE\n",
 * then "FILE: N more problems\n" when some were omitted. Same truncation
 * contract as snprintf: returns the length needed.
 */
size_t model_report_format(const struct model_report *report, const char *file, char *out,
                           size_t cap);

#endif
