/* test_model.c - interaction model loading and its error messages. */
#include <string.h>

#include "model.h"
#include "tap.h"

static enum ss_err
parse(const char *text, struct model **m, struct ss_error *err)
{
    return model_parse("model.json", text, strlen(text), m, err);
}

/* Print a report as TAP comments, for when a check fails. */
static void
show(const struct model_report *r)
{
    char text[MODEL_MAX_PROBLEMS * 700];
    model_report_format(r, "model.json", text, sizeof(text));
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
        printf("#   %s\n", line);
}

/* Is there a problem of this severity at path whose message has words? */
static int
has(const struct model_report *r, enum model_severity sev, const char *path, const char *words)
{
    for (size_t i = 0; i < r->count; i++)
        if (r->items[i].severity == sev && strcmp(r->items[i].path, path) == 0 &&
            strstr(r->items[i].message, words))
            return 1;
    return 0;
}

#define LM "interactionModel.languageModel."

struct want {
    enum model_severity sev;
    const char *path, *words;
};

/* Check models/NAME.json and expect the listed problems, and only those. */
static void
expect(const char *name, size_t errors, size_t warnings, const struct want *want, size_t n)
{
    char path[512];
    struct model *m = NULL;
    struct ss_error err;
    struct model_report r;

    snprintf(path, sizeof(path), SOURCE_ROOT "/tests/data/models/%s.json", name);
    is_int(model_load(path, &m, &err), SS_ERR_OK, "%s loads (its shape is right)", name);
    if (!m)
        return;
    model_check(m, &r);
    int good = 1;
    for (size_t i = 0; i < n; i++)
        good &= ok(has(&r, want[i].sev, want[i].path, want[i].words), "%s: %s %s: %s", name,
                   want[i].sev == MODEL_ERROR ? "error" : "warning", want[i].path, want[i].words);
    good &= ok(r.errors == errors, "%s: %zu errors (got %zu)", name, errors, r.errors);
    good &= ok(r.warnings == warnings, "%s: %zu warnings (got %zu)", name, warnings, r.warnings);
    if (!good)
        show(&r);
    model_destroy(m);
}

#define EXPECT(name, errors, warnings, ...)                                                        \
    do {                                                                                           \
        static const struct want want_[] = {__VA_ARGS__};                                          \
        expect(name, errors, warnings, want_, sizeof(want_) / sizeof(want_[0]));                   \
    } while (0)

static void
checks(void)
{
    EXPECT("bad_invocation", 3, 0,
           {MODEL_ERROR, LM "invocationName", "must be lower case: write \"open sesame 2\""},
           {MODEL_ERROR, LM "invocationName", "has the word \"open\""});
    EXPECT("bad_invocation", 3, 0, {MODEL_ERROR, LM "invocationName", "has the digit '2'"});
    EXPECT("one_word_invocation", 0, 1, {MODEL_WARNING, LM "invocationName", "is one word"});
    EXPECT("bad_intents", 5, 4,
           {MODEL_ERROR, LM "intents[0].name", "\"Thank You Intent\" has a space"},
           {MODEL_ERROR, LM "intents[1].name", "has '2'"},
           {MODEL_ERROR, LM "intents[2].name", "did you mean AMAZON.HelpIntent?"},
           {MODEL_ERROR, LM "intents[3].samples", "NoSamplesIntent has no sample utterances"},
           {MODEL_ERROR, LM "intents[5].name", "HelloIntent is listed twice (also intents[4])"},
           {MODEL_WARNING, LM "intents", "AMAZON.HelpIntent is missing"},
           {MODEL_WARNING, LM "intents", "AMAZON.StopIntent is missing"},
           {MODEL_WARNING, LM "intents", "AMAZON.CancelIntent is missing"},
           {MODEL_WARNING, LM "intents", "AMAZON.NavigateHomeIntent is missing"});
    EXPECT("bad_samples", 11, 0,
           {MODEL_ERROR, LM "intents[0].samples[0]",
            "uses {nam}, but ThankYouIntent has no "
            "slot called nam (did you mean {name}?)"},
           {MODEL_ERROR, LM "intents[0].samples[1]", "has '!'"},
           {MODEL_ERROR, LM "intents[0].samples[2]", "has the digit '2'"},
           {MODEL_ERROR, LM "intents[0].samples[3]", "does not pair up"},
           {MODEL_ERROR, LM "intents[0].samples[4]", "uses {name} twice"},
           {MODEL_ERROR, LM "intents[0].samples[6]",
            "is the same as samples[5] of "
            "ThankYouIntent"},
           {MODEL_ERROR, LM "intents[0].samples[8]", "uses {}, but ThankYouIntent has no slot"},
           {MODEL_ERROR, LM "intents[0].samples[9]", "is empty"},
           {MODEL_ERROR, LM "intents[1].samples[0]",
            "is also a sample of ThankYouIntent "
            "(intents[0].samples[5])"},
           {MODEL_ERROR, LM "intents[1].samples[1]", "uses {name}, but OtherIntent has no slots"});
    EXPECT("bad_slots", 6, 7,
           {MODEL_ERROR, LM "intents[0].slots[0].type",
            "the slot type DrinkTyp is not defined: add it to types, or use a built-in type such "
            "as AMAZON.NUMBER or AMAZON.FirstName (did you mean DrinkType?)"},
           {MODEL_WARNING, LM "intents[0].slots[1].type", "(did you mean AMAZON.NUMBER?)"},
           {MODEL_ERROR, LM "intents[0].slots[2].name", "\"first-name\" has '-'"},
           {MODEL_ERROR, LM "intents[0].slots[3].name", "OrderIntent has two slots called drink"},
           {MODEL_WARNING, LM "intents[0].slots[4].name", "no sample of OrderIntent uses {size}"},
           {MODEL_WARNING, LM "intents[0].slots[2].name", "uses {first-name}"},
           {MODEL_ERROR, LM "types[0].values[2].name.value", "is empty"},
           {MODEL_WARNING, LM "types[0].values[1].id", "the id TEA is also the id of values[0]"},
           {MODEL_WARNING, LM "types[0].values[0].name.synonyms[1]",
            "\"cuppa\" is listed "
            "twice for the value "
            "\"tea\""},
           {MODEL_WARNING, LM "types[0].values[1].name.synonyms[0]",
            "\"cuppa\" means both \"tea\" and \"chai\""},
           {MODEL_ERROR, LM "types[1]", "SizeType has no values"},
           {MODEL_WARNING, LM "types[2]", "no slot uses the type Unused_Type"},
           {MODEL_ERROR, LM "types[3]", "DrinkType is defined twice (also types[0])"});
    EXPECT("missing_builtins", 0, 4,
           {MODEL_WARNING, LM "intents", "AMAZON.HelpIntent is missing: Amazon requires it"});
    EXPECT("bad_dialog", 6, 0,
           {MODEL_ERROR, "interactionModel.dialog.intents[0].name",
            "OrderIntnet is not an intent of the language model (did you mean OrderIntent?)"},
           {MODEL_ERROR, "interactionModel.dialog.intents[1]", "needs prompts.confirmation"},
           {MODEL_ERROR, "interactionModel.dialog.intents[1].slots[0].prompts.confirmation",
            "names the prompt \"Confirm.Drink\""},
           {MODEL_ERROR, "interactionModel.dialog.intents[1].slots[0]",
            "elicitationRequired is true, so it needs prompts.elicitation"},
           {MODEL_ERROR, "interactionModel.dialog.intents[1].slots[1].name",
            "OrderIntent has no slot called drinks in the language model (did you mean drink?)"},
           {MODEL_ERROR, "interactionModel.prompts[0].variations", "has no variations"});

    /* coffee.json has duplicate samples on purpose (GreetIntent, MorningIntent,
     * HelpMeIntent/"help" is fine): one error. Whether its intents have
     * handlers is skillkit's check (test_skillkit_model.py). */
    EXPECT("coffee", 1, 1,
           {MODEL_ERROR, LM "intents[12].samples[0]", "is also a sample of GreetIntent"});

    /* The bundled skills' models are clean. */
    static const char *const bundled[] = {"thank_you", "counter", "lambda_hello"};
    for (size_t i = 0; i < 3; i++) {
        char path[512];
        struct model *m = NULL;
        struct ss_error err;
        struct model_report r;
        snprintf(path, sizeof(path), SOURCE_ROOT "/skills/%s/model.json", bundled[i]);
        if (model_load(path, &m, &err) != SS_ERR_OK) {
            ok(0, "%s: %s", bundled[i], err.msg);
            continue;
        }
        model_check(m, &r);
        if (!ok(r.count == 0, "%s's model is clean", bundled[i]))
            show(&r);
        model_destroy(m);
    }

    /* Many problems: the report keeps the first ones and counts the rest. */
    char big[200000];
    size_t used = (size_t)snprintf(big, sizeof(big),
                                   "{\"interactionModel\":{\"languageModel\":{"
                                   "\"invocationName\":\"x y\",\"intents\":[");
    for (int i = 0; i < 100; i++)
        used += (size_t)snprintf(big + used, sizeof(big) - used,
                                 "%s{\"name\":\"I%d\","
                                 "\"samples\":[\"hi {x}\"]}",
                                 i ? "," : "", i);
    snprintf(big + used, sizeof(big) - used, "]}}}");
    struct model *m = NULL;
    struct ss_error err;
    struct model_report r;
    is_int(parse(big, &m, &err), SS_ERR_OK, "a model with many problems loads");
    model_check(m, &r);
    is_int(r.count, MODEL_MAX_PROBLEMS, "the first problems are kept");
    ok(r.errors >= 200 && r.omitted == r.errors + r.warnings - MODEL_MAX_PROBLEMS,
       "the rest are counted (%zu errors, %zu omitted)", r.errors, r.omitted);
    char text[100];
    size_t need = model_report_format(&r, "m.json", text, sizeof(text));
    ok(need > sizeof(text) && strlen(text) == sizeof(text) - 1, "format truncates safely");
    model_destroy(m);
    model_check(NULL, &r);
    is_int(r.count, 0, "no model, no problems");
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

    /* Slot samples, the dialog model and prompts load. */
    const char *dialog =
        "{\"interactionModel\":{\"languageModel\":{\"invocationName\":\"coffee corner\","
        "\"intents\":[{\"name\":\"OrderIntent\",\"slots\":[{\"name\":\"drink\","
        "\"type\":\"AMAZON.Food\",\"samples\":[\"{drink}\",\"a {drink} please\"]}],"
        "\"samples\":[\"order {drink}\"]}]},"
        "\"dialog\":{\"delegationStrategy\":\"SKILL_RESPONSE\",\"intents\":[{\"name\":"
        "\"OrderIntent\",\"confirmationRequired\":true,\"prompts\":{\"confirmation\":"
        "\"C\"},\"slots\":[{\"name\":\"drink\",\"type\":\"AMAZON.Food\","
        "\"elicitationRequired\":true,\"prompts\":{\"elicitation\":\"E\"}}]}]},"
        "\"prompts\":[{\"id\":\"E\",\"variations\":[{\"type\":\"PlainText\",\"value\":"
        "\"Which drink?\"},{\"type\":\"SSML\",\"value\":\"<speak>Drink?</speak>\"}]},"
        "{\"id\":\"C\",\"variations\":[{\"type\":\"PlainText\",\"value\":\"Sure?\"}]}]}}";
    is_int(parse(dialog, &m, &err), SS_ERR_OK, "a dialog model loads");
    if (m) {
        const struct model_intent *in = model_intent(m, "OrderIntent");
        const struct model_slot *slot = model_intent_slot(in, "drink");
        ok(m->dialog && in && in->dialog && in->confirmation_required, "dialog intent");
        is_str(in ? in->confirmation_prompt : NULL, "C", "intent confirmation prompt");
        ok(slot && slot->elicitation_required && slot->sample_count == 2, "dialog slot");
        is_str(slot ? slot->elicitation_prompt : NULL, "E", "elicitation prompt");
        is_str(m->delegation_strategy, "SKILL_RESPONSE", "delegation strategy");
        const struct model_prompt *p = model_prompt(m, "E");
        ok(p && p->variation_count == 2 && !p->ssml[0] && p->ssml[1], "prompt variations");
        ok(model_prompt(m, "nope") == NULL, "unknown prompt");
        struct model_report r;
        model_check(m, &r);
        ok(r.errors == 0, "the dialog model has no errors");
        model_destroy(m);
    }
    static const struct {
        const char *text, *expect;
    } bad_dialog[] = {
        {"{\"interactionModel\":{\"languageModel\":{\"invocationName\":\"x y\","
         "\"intents\":[]},\"dialog\":[]}}",
         "interactionModel.dialog must be an object"},
        {"{\"interactionModel\":{\"languageModel\":{\"invocationName\":\"x y\","
         "\"intents\":[]},\"dialog\":{\"intents\":[{\"name\":\"A\","
         "\"confirmationRequired\":\"yes\"}]}}}",
         "dialog.intents[0].confirmationRequired must be true or false"},
        {"{\"interactionModel\":{\"languageModel\":{\"invocationName\":\"x y\","
         "\"intents\":[]},\"prompts\":[{\"id\":\"E\",\"variations\":[{\"type\":"
         "\"Text\",\"value\":\"v\"}]}]}}",
         "prompts[0].variations[0].type must be \"PlainText\" or \"SSML\""},
        {"{\"interactionModel\":{\"languageModel\":{\"invocationName\":\"x y\","
         "\"intents\":[{\"name\":\"A\",\"slots\":[{\"name\":\"s\",\"type\":\"T\","
         "\"samples\":[1]}]}]}}}",
         "intents[0].slots[0].samples[0] must be a string"},
    };
    for (size_t i = 0; i < sizeof(bad_dialog) / sizeof(bad_dialog[0]); i++) {
        is_int(parse(bad_dialog[i].text, &m, &err), SS_ERR_SKILL_CONFIG, "bad dialog %zu", i);
        contains(err.msg, bad_dialog[i].expect, "bad dialog %zu message", i);
    }

    /* Normalisation and suggestions. */
    char norm[64];
    model_normalise("  What's  UP, Doc?! ", norm, sizeof(norm));
    is_str(norm, "what is up doc", "normalise: case, apostrophes, punctuation, spaces");
    model_normalise("It\xe2\x80\x99s 3:30 on 2026-11-26, a.m.", norm, sizeof(norm));
    is_str(norm, "it is 3:30 on 2026-11-26 a m", "normalise: curly apostrophe, times, dates");
    ok(model_normalise("abcdef", norm, 4) == 6 && strcmp(norm, "abc") == 0, "normalise truncates");
    model_normalise("Thank you, I'm Sam. Don\xe2\x80\x99t stop, it's Dad's.", norm, sizeof(norm));
    is_str(norm, "thank you i am sam do not stop it is dads", "normalise: contractions");
    model_normalise("seven o'clock, I'mx", norm, sizeof(norm));
    is_str(norm, "seven oclock imx", "normalise: only whole contractions");
    is_int(model_edit_distance("ThankyouIntent", "ThankYouIntent"), 0, "case does not count");
    is_int(model_edit_distance("OrderIntnet", "OrderIntent"), 1, "a transposition is one edit");
    is_int(model_edit_distance("kitten", "sitting"), 3, "levenshtein");
    const char *names[] = {"ThankYouIntent", "HelloIntent", NULL};
    is_str(model_closest("ThankyouIntent", names, 3), "ThankYouIntent", "closest");
    is_str(model_closest("GoodbyeIntent", names, 3), NULL, "nothing close");
    struct model_token tokens[8];
    char buf[128];
    is_int(model_sample_split("Thank you, {name}!", buf, sizeof(buf), tokens, 8), 3,
           "split a sample");
    ok(tokens[2].slot && strcmp(tokens[2].text, "name") == 0 && !tokens[1].slot &&
           strcmp(tokens[1].text, "you") == 0,
       "words and slots");
    is_int(model_sample_split("a {b", buf, sizeof(buf), tokens, 8), -1, "unpaired brace");
    is_int(model_sample_split("a b} c", buf, sizeof(buf), tokens, 8), -1, "unpaired close");
    is_int(model_sample_split("a b c d", buf, sizeof(buf), tokens, 3), -2, "too many tokens");
    ok(model_builtin_intent("AMAZON.StopIntent") &&
           model_builtin_intent("AMAZON.StopIntent")->required,
       "StopIntent is required");
    ok(model_builtin_type("AMAZON.DATE") &&
           model_builtin_type("AMAZON.DATE")->kind == MODEL_BUILTIN_DATE,
       "AMAZON.DATE is known");
    ok(model_builtin_type("DrinkType") == NULL, "custom types are not built-in");

    checks();
    return tap_done();
}
