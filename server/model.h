/*
 * model.h - a skill's interaction model (skills/NAME/model.json, the ASK CLI
 * format of spec/alexa-protocol.md §10): the invocation name, the intents
 * with their slots and sample utterances, and the custom slot types with
 * their values, ids and synonyms.
 *
 * A loaded model is read-only; its strings borrow from the parsed document.
 */
#ifndef SKILLSERVER_MODEL_H
#define SKILLSERVER_MODEL_H

#include <jansson.h>
#include <stddef.h>

#include "error.h"

struct model_slot {
    const char *name;
    const char *type; /* "AMAZON.FirstName", "DrinkType", ... */
};

struct model_intent {
    const char *name;
    struct model_slot *slots;
    size_t slot_count;
    const char **samples;
    size_t sample_count;
};

struct model_value {
    const char *id; /* NULL when the model gives none */
    const char *value;
    const char **synonyms;
    size_t synonym_count;
};

struct model_type {
    const char *name;
    struct model_value *values;
    size_t value_count;
};

struct model {
    json_t *root; /* owned: the document everything borrows from */
    const char *invocation_name;
    struct model_intent *intents;
    size_t intent_count;
    struct model_type *types;
    size_t type_count;
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

/* The value of type that text names, by value or synonym, case-insensitively;
 * NULL when none does. */
const struct model_value *model_type_match(const struct model_type *type, const char *text);

#endif
