/* test_matcher.c - utterance resolution: samples, every built-in slot kind
 * inside a sample, custom types with synonyms, fallback, ambiguity,
 * invocation phrases. The values of built-in kinds alone: test_slot_values.c. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "matcher.h"
#include "tap.h"

/* Thursday 26 November 2026, 12:00 UTC. */
#define NOW ((time_t)1795694400)

static struct model *m;

/* Match and check the intent; returns the result for more checks. */
static struct matcher_result r;

static const struct matcher_result *
match(const char *utterance, const char *intent)
{
    int rc = matcher_match(m, utterance, NOW, &r);
    ok(rc == 0, "'%s' matched without error", utterance);
    is_str(r.intent_name, intent, "'%s' -> %s", utterance, intent);
    return &r;
}

static const char *
slot(const char *name)
{
    for (size_t i = 0; i < r.slot_count; i++)
        if (strcmp(r.slots[i].slot->name, name) == 0)
            return r.slots[i].value;
    return NULL;
}

static const struct matcher_slot *
slot_of(const char *name)
{
    for (size_t i = 0; i < r.slot_count; i++)
        if (strcmp(r.slots[i].slot->name, name) == 0)
            return &r.slots[i];
    return NULL;
}

static void
value(const char *utterance, const char *intent, const char *name, const char *want)
{
    match(utterance, intent);
    is_str(slot(name), want, "'%s': {%s} = %s", utterance, name, want ? want : "(none)");
}

int
main(void)
{
    struct ss_error err;

    setenv("TZ", "UTC", 1);
    tzset();
    is_int(model_load(SOURCE_ROOT "/tests/data/models/coffee.json", &m, &err), SS_ERR_OK,
           "coffee model loads");
    if (!m)
        return tap_done();

    /* Exact samples, case and punctuation. */
    match("hello", "HelloIntent");
    ok(r.slot_count == 0 && !r.fallback, "no slots, not a fallback");
    is_str(r.sample, "hello", "the sample that matched");
    match("HELLO!", "HelloIntent");
    match("  Hello,   ", "HelloIntent");

    /* Custom types: value, synonym, a synonym shared by two values, unknown value. */
    match("Order a Flat White!", "OrderIntent");
    const struct matcher_slot *s = slot_of("drink");
    ok(s && s->custom && s->resolved_count == 1, "flat white resolves");
    is_str(s && s->resolved_count ? s->resolved[0]->id : NULL, "FLAT_WHITE", "its id");
    is_str(s ? s->value : NULL, "flat white", "its value");
    match("get me a flattie", "OrderIntent");
    s = slot_of("drink");
    is_str(s ? s->value : NULL, "flattie", "value is what was said");
    is_str(s && s->resolved_count ? s->resolved[0]->value : NULL, "flat white",
           "synonym resolves to the canonical value");
    match("order a white coffee", "OrderIntent");
    s = slot_of("drink");
    ok(s && s->resolved_count == 2, "a shared synonym resolves to both values");
    is_str(s && s->resolved_count == 2 ? s->resolved[1]->id : NULL, "LATTE", "second value");
    match("order a hot chocolate", "OrderIntent");
    s = slot_of("drink");
    ok(s && s->custom && s->resolved_count == 0, "unknown value: filled, no match");
    is_str(s ? s->value : NULL, "hot chocolate", "unknown value kept");
    match("i would like a big latte", "OrderIntent");
    is_str(slot("size"), "big", "size said");
    s = slot_of("size");
    is_str(s && s->resolved_count ? s->resolved[0]->value : NULL, "large", "big -> large");
    is_str(s && s->resolved_count ? s->resolved[0]->id : "x", NULL, "no id in the model");
    is_str(slot("drink"), "latte", "two slots in one sample");

    /* AMAZON.NUMBER */
    value("count to forty two", "CountIntent", "number", "42");
    value("count to 42", "CountIntent", "number", "42");
    value("count to forty-two", "CountIntent", "number", "42");
    value("give me a hundred and five cookies", "CountIntent", "number", "105");
    value("count to one thousand two hundred", "CountIntent", "number", "1200");
    value("count to zero", "CountIntent", "number", "0");
    value("count to minus three", "CountIntent", "number", "-3");
    match("count to banana", "AMAZON.FallbackIntent");

    /* AMAZON.DATE (today is Thursday 2026-11-26) */
    value("my birthday is today", "BirthdayIntent", "day", "2026-11-26");
    value("my birthday is tomorrow", "BirthdayIntent", "day", "2026-11-27");
    value("my birthday is yesterday", "BirthdayIntent", "day", "2026-11-25");
    value("my birthday is on friday", "BirthdayIntent", "day", "2026-11-27");
    value("my birthday is on thursday", "BirthdayIntent", "day", "2026-11-26");
    value("my birthday is next thursday", "BirthdayIntent", "day", "2026-12-03");
    value("my birthday is on monday", "BirthdayIntent", "day", "2026-11-30");
    value("my birthday is 2027-01-05", "BirthdayIntent", "day", "2027-01-05");
    value("my birthday is december third", "BirthdayIntent", "day", "2026-12-03");
    value("my birthday is on the third of march", "BirthdayIntent", "day", "2027-03-03");
    value("my birthday is january 1st twenty twenty eight", "BirthdayIntent", "day", "2028-01-01");
    value("my birthday is the day after tomorrow", "BirthdayIntent", "day", "2026-11-28");
    value("my birthday is next week", "BirthdayIntent", "day", "2026-W49");
    value("my birthday is this weekend", "BirthdayIntent", "day", "2026-W48-WE");
    value("my birthday is in november", "AMAZON.FallbackIntent", "day", NULL);
    value("my birthday is november", "BirthdayIntent", "day", "2026-11");
    match("my birthday is february thirtieth", "AMAZON.FallbackIntent");

    /* AMAZON.TIME */
    value("wake me at seven am", "AlarmIntent", "time", "07:00");
    value("wake me up at half past six pm", "AlarmIntent", "time", "18:30");
    value("wake me at 6:45", "AlarmIntent", "time", "06:45");
    value("wake me at noon", "AlarmIntent", "time", "12:00");
    value("wake me at three thirty p.m.", "AlarmIntent", "time", "15:30");
    value("wake me at quarter to eight", "AlarmIntent", "time", "07:45");
    value("wake me at seven o'clock", "AlarmIntent", "time", "07:00");
    value("wake me at twelve am", "AlarmIntent", "time", "00:00");
    value("wake me in the morning", "AMAZON.FallbackIntent", "time", NULL);
    value("wake me at night", "AlarmIntent", "time", "NI");

    /* AMAZON.DURATION */
    value("set a timer for ten minutes", "TimerIntent", "length", "PT10M");
    value("set a timer for an hour and a half", "TimerIntent", "length", "PT1H30M");
    value("set a timer for two hours and five minutes", "TimerIntent", "length", "PT2H5M");
    value("set a timer for half an hour", "TimerIntent", "length", "PT30M");
    value("set a timer for three days", "TimerIntent", "length", "P3D");
    value("set a timer for two weeks", "TimerIntent", "length", "P2W");
    value("set a timer for one and a half days", "TimerIntent", "length", "P1DT12H");
    value("set a timer for 90 seconds", "TimerIntent", "length", "PT90S");
    match("set a timer for minutes", "AMAZON.FallbackIntent");

    /* AMAZON.FirstName: one word, written with a capital */
    value("my name is sam", "HelloIntent", "name", "Sam");
    match("my name is sam smith", "AMAZON.FallbackIntent");

    /* AMAZON.SearchQuery: the rest of the words */
    value("search for the best pizza in town", "SearchIntent", "query", "the best pizza in town");

    /* AMAZON.Ordinal */
    value("i came third", "PlaceIntent", "place", "3");
    value("i came twenty first", "PlaceIntent", "place", "21");
    value("i came 2nd", "PlaceIntent", "place", "2");
    match("i came 2th", "AMAZON.FallbackIntent");

    /* Scoring: literal words beat a wildcard; a recognised value beats any words. */
    match("hello i am sam", "HiSamIntent");
    ok(r.other_intent == NULL, "more literal words: not ambiguous");
    value("hello i am alex", "HelloIntent", "name", "Alex");
    match("find flat white", "FindDrinkIntent");
    ok(r.other_intent == NULL, "a resolved value beats a search query");
    match("find my shoes", "FindDrinkIntent");
    is_str(r.other_intent, "FindAnythingIntent", "equally good: reported as ambiguous");

    /* Ambiguity is deterministic: the intent listed first wins. */
    match("good morning", "GreetIntent");
    is_str(r.other_intent, "MorningIntent", "the other intent is named");
    is_str(r.other_sample, "good morning", "with its sample");
    match("Good morning!", "GreetIntent");

    /* Built-in intents: Alexa's phrases, a model's own samples, and a custom
     * sample that wins over a built-in phrase. */
    match("never mind", "AMAZON.CancelIntent");
    match("stop", "AMAZON.StopIntent");
    match("i am done", "AMAZON.StopIntent");
    match("what can i say", "AMAZON.HelpIntent");
    match("help", "HelpMeIntent");
    ok(r.other_intent == NULL, "a model's sample beats a built-in phrase");
    match("go home", "AMAZON.NavigateHomeIntent");
    match("yes", "AMAZON.FallbackIntent"); /* YesIntent is not in this model */

    /* Fallback */
    match("what is the weather like", "AMAZON.FallbackIntent");
    ok(r.fallback && r.intent && r.slot_count == 0 && !r.sample, "fallback, listed in model");
    ok(matcher_match(m, "", NOW, &r) == -1 && r.fallback, "empty utterance");
    ok(matcher_match(m, "?!", NOW, &r) == -1 && r.fallback, "only punctuation");
    char longer[1000] = "";
    for (int i = 0; i < 70; i++)
        strcat(longer, "word ");
    ok(matcher_match(m, longer, NOW, &r) == -1 && r.fallback, "too many words");

    /* What children say: fillers and politeness words are left out. */
    match("um hello please", "HelloIntent");
    is_str(r.sample, "hello", "the sample");
    is_str(r.how, "ignored: um, please", "what was ignored");
    ok(!r.exact, "not said as written");
    match("hello", "HelloIntent");
    ok(r.exact && r.how[0] == '\0', "said as written: nothing to explain");
    /* Short forms. */
    match("hello pls", "HelloIntent");
    is_str(r.how, "ignored: please", "pls is please");
    match("u", "AMAZON.FallbackIntent");
    /* A sample inside a longer utterance; extra words may not touch a slot,
     * and may be at most twice the sample's words. */
    match("hello there my friend", "HelloIntent");
    is_str(r.how, "ignored: there my friend", "extra words said");
    match("i said hello", "HelloIntent");
    match("so then i said hello to everyone", "AMAZON.FallbackIntent");
    value("my name is sam smith", "AMAZON.FallbackIntent", "name", NULL);
    value("well my name is sam", "HelloIntent", "name", "Sam");
    /* A slot in another position: the sample turned around a split point. */
    value("wake me at seven am please", "AlarmIntent", "time", "07:00");
    value("my name is sam hello", "HelloIntent", "name", "Sam");
    ok(strstr(r.how, "in another order") != NULL, "said in another order: %s", r.how);
    /* Phrases that mean the same. */
    value("hi i am sam", "HiSamIntent", "name", NULL);
    value("hi it is alex", "HelloIntent", "name", "Alex");
    ok(strstr(r.how, "'it is' as 'i am'") != NULL, "read as: %s", r.how);
    /* A sample's filler or lead-in word left unsaid ("tell a joke" for
     * "tell me a joke"), but not a sample of little else. */
    value("get a latte", "OrderIntent", "drink", "latte");
    ok(strstr(r.how, "not said: 'me'") != NULL, "left out: %s", r.how);
    ok(!r.exact, "not said as written");
    match("me", "AMAZON.FallbackIntent");
    match("you", "AMAZON.FallbackIntent");
    /* One article for another: "roll the dice" is the sample "roll a dice". */
    value("order the flat white", "OrderIntent", "drink", "flat white");
    ok(strstr(r.how, "'the' as 'a'") != NULL, "read as: %s", r.how);
    /* Lead-ins at the start. */
    value("can you count to ten", "CountIntent", "number", "10");
    /* Close spellings: one edit from 5 letters, none on short words. */
    match("helo", "HelloIntent");
    is_str(r.how, "read 'helo' as 'hello'", "the misspelling said");
    match("serch for cats", "SearchIntent");
    match("elp", "AMAZON.FallbackIntent");
    match("hallo", "HelloIntent");
    match("wake me at sevn am", "AMAZON.FallbackIntent"); /* slot words are not guessed */
    /* Built-in intents as children say them. */
    match("i am finished", "AMAZON.StopIntent");
    match("stop it please", "AMAZON.StopIntent");
    match("i don't know what to say", "AMAZON.HelpIntent");
    match("forget about it", "AMAZON.CancelIntent");
    /* A loose match two intents fit equally: the fallback, not a guess. */
    match("good morning to you all", "AMAZON.FallbackIntent");
    ok(r.fallback, "ambiguous and inexact: fallback");
    /* Fillers are never a first name. */
    value("my name is please", "AMAZON.FallbackIntent", "name", NULL);

    /* Without a model: the common built-in intents. */
    ok(matcher_match(NULL, "help", NOW, &r) == 0, "no model");
    is_str(r.intent_name, "AMAZON.HelpIntent", "help without a model");
    ok(r.intent == NULL, "no model intent");
    matcher_match(NULL, "thank you", NOW, &r);
    ok(r.fallback && r.intent == NULL, "anything else is a fallback");

    /* Answering Alexa's question for a slot (dialog). */
    const struct model_intent *order = model_intent(m, "OrderIntent");
    const struct model_slot *drink = model_intent_slot(order, "drink");
    ok(matcher_match_slot(m, order, drink, "a latte please", NOW, &r) == 1, "slot sample");
    is_str(slot("drink"), "latte", "slot filled from a slot sample");
    is_str(r.intent_name, "OrderIntent", "same intent");
    ok(matcher_match_slot(m, order, drink, "espresso", NOW, &r) == 1, "value alone");
    is_str(slot("drink"), "espresso", "slot filled from the value alone");
    ok(matcher_match_slot(m, order, drink, "count to ten", NOW, &r) == 1,
       "custom slots take any words");
    ok(matcher_match_slot(m, order, NULL, "latte", NOW, &r) == 0, "no slot: no match");
    const struct model_intent *count = model_intent(m, "CountIntent");
    ok(matcher_match_slot(m, count, model_intent_slot(count, "number"), "seven", NOW, &r) == 1,
       "number slot");
    is_str(slot("number"), "7", "number value");
    ok(matcher_match_slot(m, count, model_intent_slot(count, "number"), "lots", NOW, &r) == 0,
       "not a number");

    /* Starting and leaving skills. */
    const char *names[] = {"thank you", "counting game", NULL, "coffee corner", "thank you very"};
    struct matcher_invocation inv;
    matcher_invocation("open thank you", names, 5, &inv);
    ok(inv.form == MATCHER_OPEN && inv.skill == 0, "open NAME");
    matcher_invocation("Alexa, launch the counting game", names, 5, &inv);
    ok(inv.form == MATCHER_OPEN && inv.skill == 1, "launch the NAME");
    matcher_invocation("Alexa, launch the counting machine", names, 5, &inv);
    ok(inv.form == MATCHER_PLAIN, "launch with a wrong name is not a launch");
    matcher_invocation("Alexa, launch counting game", names, 5, &inv);
    ok(inv.form == MATCHER_OPEN && inv.skill == 1, "alexa, launch NAME");
    matcher_invocation("ask coffee corner to order a latte", names, 5, &inv);
    ok(inv.form == MATCHER_ASK && inv.skill == 3, "ask NAME to ...");
    is_str(inv.rest, "order a latte", "what is asked");
    matcher_invocation("tell thank you thanks a lot", names, 5, &inv);
    ok(inv.form == MATCHER_ASK && inv.skill == 0, "tell NAME ...");
    is_str(inv.rest, "thanks a lot", "what is told");
    matcher_invocation("tell thank you very loudly", names, 5, &inv);
    ok(inv.form == MATCHER_ASK && inv.skill == 4, "the longest name wins");
    is_str(inv.rest, "loudly", "after the longest name");
    matcher_invocation("ask counting game", names, 5, &inv);
    ok(inv.form == MATCHER_OPEN && inv.skill == 1, "ask NAME alone opens it");
    matcher_invocation("open counting game and count", names, 5, &inv);
    ok(inv.form == MATCHER_ASK && inv.skill == 1, "open NAME and ...");
    is_str(inv.rest, "count", "what follows and");
    matcher_invocation("open thank yu", names, 5, &inv);
    ok(inv.form == MATCHER_PLAIN && inv.near == 0, "a misspelt name is suggested");
    matcher_invocation("open counting", names, 5, &inv);
    ok(inv.form == MATCHER_PLAIN && inv.near == 1, "the start of a name is suggested");
    matcher_invocation("launch the coffee", names, 5, &inv);
    ok(inv.form == MATCHER_PLAIN && inv.near == 3, "without an article the name lacks");
    matcher_invocation("open counting machine", names, 5, &inv);
    ok(inv.form == MATCHER_PLAIN && inv.near == -1, "another name is not suggested");
    matcher_invocation("open thank", names, 5, &inv);
    ok(inv.form == MATCHER_PLAIN && inv.near == -1, "the start of two names: neither");
    matcher_invocation("open co", names, 5, &inv);
    ok(inv.form == MATCHER_PLAIN && inv.near == -1, "two letters begin too much");
    matcher_invocation("open the", names, 5, &inv);
    ok(inv.form == MATCHER_PLAIN && inv.near == -1, "an article alone begins nothing");
    matcher_invocation("start over", names, 5, &inv);
    ok(inv.form == MATCHER_PLAIN && inv.near == -1, "start over is not a launch");
    is_str(inv.rest, "start over", "words kept");
    matcher_invocation("Exit.", names, 5, &inv);
    ok(inv.form == MATCHER_EXIT && !inv.soft_exit, "exit");
    matcher_invocation("alexa quit", names, 5, &inv);
    ok(inv.form == MATCHER_EXIT, "alexa quit");
    matcher_invocation("goodbye", names, 5, &inv);
    ok(inv.form == MATCHER_EXIT && inv.soft_exit, "goodbye ends softly");
    matcher_invocation("um can you open the thank you skill please", names, 5, &inv);
    ok(inv.form == MATCHER_OPEN && inv.skill == 0, "lead-ins, the, skill, please");
    matcher_invocation("let's play counting game", names, 5, &inv);
    ok(inv.form == MATCHER_OPEN && inv.skill == 1, "let's play NAME");
    matcher_invocation("tell thank you that my name is Sam", names, 5, &inv);
    ok(inv.form == MATCHER_ASK && inv.skill == 0, "tell NAME that ...");
    is_str(inv.rest, "my name is sam", "what is told");
    matcher_invocation("can you help me", names, 5, &inv);
    ok(inv.form == MATCHER_PLAIN, "lead-ins without a verb");
    is_str(inv.rest, "can you help me", "words kept whole");
    matcher_invocation("Thank you!", names, 5, &inv);
    ok(inv.form == MATCHER_PLAIN, "plain words");
    is_str(inv.rest, "thank you", "normalised");

    /* A sample's first and last words stay: "you spell cat" is "spell
     * {word}", not "can you spell" with can left out and cat ignored. */
    static const char spell[] =
        "{\"interactionModel\":{\"languageModel\":{\"invocationName\":\"spelling bee\","
        "\"intents\":[{\"name\":\"SpellIntent\",\"slots\":[{\"name\":\"word\","
        "\"type\":\"AMAZON.SearchQuery\"}],\"samples\":[\"can you spell\",\"spell {word}\"]}]}}}";
    struct model *sm = NULL;
    is_int(model_parse("spell", spell, sizeof(spell) - 1, &sm, &err), SS_ERR_OK,
           "the spelling model parses");
    if (sm) {
        struct model *coffee = m;
        m = sm;
        value("you spell cat", "SpellIntent", "word", "cat");
        m = coffee;
        model_destroy(sm);
    }

    model_destroy(m);
    return tap_done();
}
