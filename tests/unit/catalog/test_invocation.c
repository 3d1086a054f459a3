/* test_invocation.c - Amazon's invocation-name rules (model_check_invocation())
 * and the name suggested when one is broken (model_invocation_suggest()). */
#include <string.h>

#include "model.h"
#include "tap.h"

/* How many errors and warnings name has; the first message that has words
 * (or NULL) in *found. */
static void
check(const char *name, size_t *errors, size_t *warnings, const char *words, const char **found)
{
    static struct model_report r;
    memset(&r, 0, sizeof(r));
    model_check_invocation(name, &r);
    *errors = r.errors;
    *warnings = r.warnings;
    *found = NULL;
    for (size_t i = 0; words && i < r.count && !*found; i++)
        if (strstr(r.items[i].message, words))
            *found = r.items[i].message;
    for (size_t i = 0; i < r.count; i++)
        printf("#   %s: %s: %s\n", name, r.items[i].severity == MODEL_ERROR ? "error" : "warning",
               r.items[i].message);
}

/* name breaks exactly one rule, with this severity and these words. */
static void
breaks(const char *name, enum model_severity severity, const char *words)
{
    size_t e, w;
    const char *found;
    check(name, &e, &w, words, &found);
    ok(found != NULL, "'%s': says \"%s\"", name, words);
    if (severity == MODEL_ERROR)
        ok(e == 1 && w == 0, "'%s': one error (got %zu errors, %zu warnings)", name, e, w);
    else
        ok(e == 0 && w == 1, "'%s': one warning (got %zu errors, %zu warnings)", name, e, w);
}

static void
passes(const char *name)
{
    size_t e, w;
    const char *found;
    check(name, &e, &w, NULL, &found);
    ok(e == 0 && w == 0, "'%s' follows every rule (got %zu errors, %zu warnings)", name, e, w);
}

static void
suggests(const char *name, const char *want)
{
    char out[256];
    size_t n = model_invocation_suggest(name, out, sizeof(out));
    is_str(out, want, "'%s' -> '%s'", name, want);
    is_int(n, strlen(want), "its length");
}

static void
rules(void)
{
    /* Names Amazon takes. */
    passes("thank you");
    passes("counting game");
    passes("sam's science quiz");   /* a possessive */
    passes("the teachers' helper"); /* a plural possessive */
    passes("a. b. c. songs");       /* an abbreviation, spelled out */
    passes("dr. who quiz");         /* a short abbreviation */
    passes("weltraum fakten");      /* another language */
    passes("grüße aus köln");       /* letters beyond ASCII */
    passes("space facts for kids"); /* "for" among more than two words */

    /* Lower-case letters only. */
    breaks("Space Facts", MODEL_ERROR, "must be lower case: write \"space facts\"");
    /* Numbers are written as words. */
    breaks("space facts 2", MODEL_ERROR, "has the digit '2': write numbers as words");
    /* No marks but apostrophes and periods. */
    breaks("space-facts game", MODEL_ERROR, "has '-': an invocation name may only have letters");
    breaks("space facts!", MODEL_ERROR, "has '!'");
    breaks("space_facts game", MODEL_ERROR, "has '_'");
    breaks("space\tfacts", MODEL_ERROR, "has byte 0x09");
    /* Periods only in abbreviations. */
    breaks("space facts.", MODEL_ERROR, "has a period in \"facts.\"");
    breaks("a.b.c. songs", MODEL_ERROR, "periods are only for abbreviations");
    breaks(". space facts", MODEL_ERROR, "has a period");
    /* Apostrophes only for possessives. */
    breaks("rock 'n roll quiz", MODEL_ERROR, "has an apostrophe in \"'n\"");
    breaks("o'brien facts", MODEL_ERROR, "apostrophes are only for possessives");
    /* No launch phrases or wake words, also stuck to a number. */
    breaks("open sesame game", MODEL_ERROR, "has the word \"open\": Alexa uses it to start");
    breaks("ask the oracle", MODEL_ERROR, "has the word \"ask\"");
    breaks("launch control", MODEL_ERROR, "has the word \"launch\"");
    breaks("alexa quiz", MODEL_ERROR, "has the word \"alexa\", which Amazon does not allow");
    breaks("echo facts", MODEL_ERROR, "has the word \"echo\"");
    breaks("my skill", MODEL_ERROR, "has the word \"skill\"");
    breaks("homework app", MODEL_ERROR, "has the word \"app\"");
    size_t e, w;
    const char *found;
    check("my skill2", &e, &w, "has the word \"skill\"", &found);
    ok(found && e == 2, "'my skill2': the digit and the word skill (%zu errors)", e);
    /* Two words or more, unless a brand: warnings. */
    breaks("dinosaurs", MODEL_WARNING, "is one word; Amazon allows that only for brand names");
    breaks("the zoo", MODEL_WARNING, "one of them is \"the\"");
    breaks("for fun", MODEL_WARNING, "one of them is \"for\"");
    /* Nothing to say, too much, or not text. */
    breaks("", MODEL_ERROR, "is empty");
    breaks("  ", MODEL_ERROR, "is empty");
    char longname[1100];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    breaks(longname, MODEL_ERROR, "is too long");
    breaks("caf\xc3 game", MODEL_ERROR, "is not UTF-8 text");
    breaks("bad \xff byte", MODEL_ERROR, "is not UTF-8 text");

    /* Every kind of mistake is said in one go. */
    check("Open Sesame 2", &e, &w, NULL, &found);
    is_int(e, 3, "'Open Sesame 2': case, digit and launch word");
    model_check_invocation(NULL, NULL); /* nothing to check */
}

static void
suggestions(void)
{
    suggests("my-skill 2", "my two");
    suggests("space facts 2", "space facts two");
    suggests("Space-Facts", "space facts");
    suggests("quiz 42", "quiz forty two");
    suggests("year 2024 quiz", "year two thousand twenty four quiz");
    suggests("agent 007 facts", "agent zero zero seven facts");
    suggests("room 100 facts", "room one hundred facts");
    suggests("open sesame", "sesame game");
    suggests("alexa quiz", "quiz game");
    suggests("dinosaurs", "dinosaurs game");
    suggests("the zoo", "the zoo game");
    suggests("sam's a.b.c. quiz", "sam's a. b. c. quiz");
    suggests("rock 'n roll quiz", "rock n roll quiz");
    suggests("space facts.", "space facts");
    suggests("hello_world", "hello world");
    suggests("thank you", "thank you");
    /* Nothing left to suggest. */
    suggests("open", "");
    suggests("123!", "one hundred twenty three game");
    suggests("!!!", "");
    suggests("bad \xff byte", "");
    char tiny[8];
    is_int(model_invocation_suggest("space facts two", tiny, sizeof(tiny)), 0,
           "a buffer too small gives no name");
    is_str(tiny, "", "and leaves it empty");
}

int
main(void)
{
    rules();
    suggestions();
    return tap_done();
}
