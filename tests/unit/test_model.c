/* test_model.c - interaction model loading and its error messages. */
#include <string.h>

#include "model.h"
#include "tap.h"

static enum ss_err
parse(const char *text, struct model **m, struct ss_error *err)
{
    return model_parse("model.json", text, strlen(text), m, err);
}

int
main(void)
{
    struct model *m;
    struct ss_error err;

    is_int(model_load(SOURCE_ROOT "/skills/thank_you/model.json", &m, &err), SS_ERR_OK,
           "thank_you's model loads");
    if (m) {
        is_str(m->invocation_name, "thank you", "invocation name");
        const struct model_intent *in = model_intent(m, "ThankYouIntent");
        ok(in != NULL, "ThankYouIntent defined");
        ok(in && in->sample_count >= 3, "with samples");
        const struct model_slot *slot = model_intent_slot(in, "name");
        ok(slot != NULL, "name slot");
        is_str(slot ? slot->type : NULL, "AMAZON.FirstName", "slot type");
        ok(model_intent(m, "AMAZON.HelpIntent") != NULL, "built-in intent listed");
        ok(model_intent(m, "NoSuchIntent") == NULL, "unknown intent");
        model_destroy(m);
    }

    const char *drinks =
        "{\"interactionModel\":{\"languageModel\":{\"invocationName\":\"coffee corner\","
        "\"intents\":[{\"name\":\"OrderIntent\",\"slots\":[{\"name\":\"drink\",\"type\":"
        "\"DrinkType\"}],\"samples\":[\"order a {drink}\"]}],"
        "\"types\":[{\"name\":\"DrinkType\",\"values\":["
        "{\"id\":\"FLAT_WHITE\",\"name\":{\"value\":\"flat white\",\"synonyms\":[\"flattie\"]}},"
        "{\"name\":{\"value\":\"espresso\"}}]}]}}}";
    is_int(parse(drinks, &m, &err), SS_ERR_OK, "custom types load");
    const struct model_type *t = model_type(m, "DrinkType");
    ok(t && t->value_count == 2, "two values");
    const struct model_value *v = model_type_match(t, "Flattie");
    is_str(v ? v->id : NULL, "FLAT_WHITE", "synonym resolves, case-insensitively");
    v = model_type_match(t, "espresso");
    ok(v && v->id == NULL, "value without id");
    ok(model_type_match(t, "tea") == NULL, "no match");
    ok(model_type(m, "Nope") == NULL, "unknown type");
    model_destroy(m);
    model_destroy(NULL);

    static const struct {
        const char *text;
        const char *expect;
    } bad[] = {
        {"{", "model.json:1:"},
        {"[]", "interactionModel.languageModel is missing"},
        {"{\"interactionModel\":{\"languageModel\":{\"intents\":[]}}}",
         "languageModel.invocationName is missing"},
        {"{\"interactionModel\":{\"languageModel\":{\"invocationName\":\"x y\"}}}",
         "languageModel.intents is missing"},
        {"{\"interactionModel\":{\"languageModel\":{\"invocationName\":\"x y\","
         "\"intents\":{}}}}",
         "languageModel.intents must be a list"},
        {"{\"interactionModel\":{\"languageModel\":{\"invocationName\":\"x y\","
         "\"intents\":[{\"name\":\"A\"},{\"name\":3}]}}}",
         "intents[1].name must be a string"},
        {"{\"interactionModel\":{\"languageModel\":{\"invocationName\":\"x y\","
         "\"intents\":[{\"name\":\"A\",\"samples\":[\"ok\",7]}]}}}",
         "intents[0].samples[1] must be a string"},
        {"{\"interactionModel\":{\"languageModel\":{\"invocationName\":\"x y\","
         "\"intents\":[{\"name\":\"A\",\"slots\":[{\"name\":\"s\"}]}]}}}",
         "intents[0].slots[0].type is missing"},
        {"{\"interactionModel\":{\"languageModel\":{\"invocationName\":\"x y\","
         "\"intents\":[],\"types\":[{\"name\":\"T\",\"values\":[{\"name\":\"v\"}]}]}}}",
         "types[0].values[0].name must be an object"},
        {"{\"interactionModel\":{\"languageModel\":{\"invocationName\":\"x y\","
         "\"intents\":[],\"types\":[{\"name\":\"T\",\"values\":[{\"name\":{\"value\":\"v\","
         "\"synonyms\":\"w\"}}]}]}}}",
         "types[0].values[0].name.synonyms must be a list"},
        {"{\"interactionModel\":{\"languageModel\":{\"invocationName\":\"x y\","
         "\"intents\":[{\"name\":\"A\"},{\"name\":\"A\",\"name\":\"B\"}]}}}",
         "duplicate"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        m = NULL;
        is_int(parse(bad[i].text, &m, &err), SS_ERR_SKILL_CONFIG, "bad model %zu refused", i);
        ok(m == NULL, "nothing returned for bad model %zu", i);
        contains(err.msg, bad[i].expect, "bad model %zu message", i);
    }
    is_int(model_load("/nonexistent/model.json", &m, &err), SS_ERR_SKILL_CONFIG, "missing file");
    return tap_done();
}
