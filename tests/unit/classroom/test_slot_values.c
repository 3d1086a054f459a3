/* test_slot_values.c - the values of Alexa's built-in slot types, from the
 * words alone: numbers, ordinals, digit strings, dates, times, durations,
 * first names, colours; and how well words fit (typed, wild, not at all). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "slot_values.h"
#include "tap.h"

/* Thursday 26 November 2026, 12:00 UTC. */
#define NOW ((time_t)1795694400)

static void
builtin(enum model_builtin_kind kind, const char *words, const char *want)
{
    char out[64] = "";
    int got = slot_values_read(kind, words, NOW, out, sizeof(out));
    if (want)
        is_str(got ? out : NULL, want, "builtin '%s' = %s", words, want);
    else
        ok(!got, "builtin '%s' is not a value (got %s)", words, out);
}

/* How text (words split at single spaces) fits kind. */
static enum slot_fit
fit(enum model_builtin_kind kind, const char *text, char *out, size_t cap)
{
    char copy[256];
    const char *w[16];
    size_t n = 0;
    snprintf(copy, sizeof(copy), "%s", text);
    for (char *save = NULL, *p = strtok_r(copy, " ", &save); p && n < 16;
         p = strtok_r(NULL, " ", &save))
        w[n++] = p;
    return slot_values_fit(kind, w, n, text, NOW, out, cap);
}

int
main(void)
{
    setenv("TZ", "UTC", 1);
    tzset();

    /* AMAZON.NUMBER */
    builtin(MODEL_BUILTIN_NUMBER, "forty two", "42");
    builtin(MODEL_BUILTIN_NUMBER, "Forty-two!", "42");
    builtin(MODEL_BUILTIN_NUMBER, "42", "42");
    builtin(MODEL_BUILTIN_NUMBER, "a hundred and five", "105");
    builtin(MODEL_BUILTIN_NUMBER, "one thousand two hundred", "1200");
    builtin(MODEL_BUILTIN_NUMBER, "zero", "0");
    builtin(MODEL_BUILTIN_NUMBER, "minus three", "-3");
    builtin(MODEL_BUILTIN_NUMBER, "banana", NULL);
    builtin(MODEL_BUILTIN_NUMBER, "nineteen hundred", "1900");
    builtin(MODEL_BUILTIN_NUMBER, "two million three hundred thousand", "2300000");
    builtin(MODEL_BUILTIN_NUMBER, "two three", NULL);
    builtin(MODEL_BUILTIN_NUMBER, "twenty thirty", NULL);
    builtin(MODEL_BUILTIN_NUMBER, "one hundred and", NULL);
    builtin(MODEL_BUILTIN_NUMBER, "thousand million", NULL);
    builtin(MODEL_BUILTIN_NUMBER, "", NULL);

    /* AMAZON.Ordinal, AMAZON.FOUR_DIGIT_NUMBER, AMAZON.PhoneNumber */
    builtin(MODEL_BUILTIN_ORDINAL, "third", "3");
    builtin(MODEL_BUILTIN_ORDINAL, "twenty first", "21");
    builtin(MODEL_BUILTIN_ORDINAL, "2nd", "2");
    builtin(MODEL_BUILTIN_ORDINAL, "2th", NULL);
    builtin(MODEL_BUILTIN_ORDINAL, "one hundred and first", "101");
    builtin(MODEL_BUILTIN_FOUR_DIGIT, "one two three four", "1234");
    builtin(MODEL_BUILTIN_FOUR_DIGIT, "twenty twenty", "2020");
    builtin(MODEL_BUILTIN_FOUR_DIGIT, "one two three", NULL);
    builtin(MODEL_BUILTIN_PHONE, "five five five oh one two three", "5550123");

    /* AMAZON.DATE (today is Thursday 2026-11-26) */
    builtin(MODEL_BUILTIN_DATE, "today", "2026-11-26");
    builtin(MODEL_BUILTIN_DATE, "tomorrow", "2026-11-27");
    builtin(MODEL_BUILTIN_DATE, "yesterday", "2026-11-25");
    builtin(MODEL_BUILTIN_DATE, "friday", "2026-11-27");
    builtin(MODEL_BUILTIN_DATE, "next thursday", "2026-12-03");
    builtin(MODEL_BUILTIN_DATE, "2027-01-05", "2027-01-05");
    builtin(MODEL_BUILTIN_DATE, "december third", "2026-12-03");
    builtin(MODEL_BUILTIN_DATE, "the third of march", "2027-03-03");
    builtin(MODEL_BUILTIN_DATE, "january 1st twenty twenty eight", "2028-01-01");
    builtin(MODEL_BUILTIN_DATE, "the day after tomorrow", "2026-11-28");
    builtin(MODEL_BUILTIN_DATE, "next week", "2026-W49");
    builtin(MODEL_BUILTIN_DATE, "this weekend", "2026-W48-WE");
    builtin(MODEL_BUILTIN_DATE, "november", "2026-11");
    builtin(MODEL_BUILTIN_DATE, "february thirtieth", NULL);
    builtin(MODEL_BUILTIN_DATE, "last year", "2025");
    builtin(MODEL_BUILTIN_DATE, "next month", "2026-12");
    builtin(MODEL_BUILTIN_DATE, "twenty twenty six", "2026");
    builtin(MODEL_BUILTIN_DATE, "2026-02-29", NULL);

    /* AMAZON.TIME */
    builtin(MODEL_BUILTIN_TIME, "seven am", "07:00");
    builtin(MODEL_BUILTIN_TIME, "half past six pm", "18:30");
    builtin(MODEL_BUILTIN_TIME, "6:45", "06:45");
    builtin(MODEL_BUILTIN_TIME, "noon", "12:00");
    builtin(MODEL_BUILTIN_TIME, "quarter to eight", "07:45");
    builtin(MODEL_BUILTIN_TIME, "twelve am", "00:00");
    builtin(MODEL_BUILTIN_TIME, "night", "NI");
    builtin(MODEL_BUILTIN_TIME, "ten past nine in the evening", "21:10");
    builtin(MODEL_BUILTIN_TIME, "25:00", NULL);

    /* AMAZON.DURATION */
    builtin(MODEL_BUILTIN_DURATION, "ten minutes", "PT10M");
    builtin(MODEL_BUILTIN_DURATION, "an hour and a half", "PT1H30M");
    builtin(MODEL_BUILTIN_DURATION, "half an hour", "PT30M");
    builtin(MODEL_BUILTIN_DURATION, "two weeks", "P2W");
    builtin(MODEL_BUILTIN_DURATION, "one and a half days", "P1DT12H");
    builtin(MODEL_BUILTIN_DURATION, "90 seconds", "PT90S");
    builtin(MODEL_BUILTIN_DURATION, "minutes", NULL);
    builtin(MODEL_BUILTIN_DURATION, "a minute", "PT1M");
    builtin(MODEL_BUILTIN_DURATION, "one year two months", "P1Y2M");

    /* Days, months, names, colours. */
    builtin(MODEL_BUILTIN_DAY_OF_WEEK, "Monday", "monday");
    builtin(MODEL_BUILTIN_DAY_OF_WEEK, "someday", NULL);
    builtin(MODEL_BUILTIN_MONTH, "june", "june");
    builtin(MODEL_BUILTIN_COLOR, "light blue", "light blue");
    builtin(MODEL_BUILTIN_FIRST_NAME, "zoë", "Zoë");
    builtin(MODEL_BUILTIN_FIRST_NAME, "sam smith", NULL);

    /* How well words fit: the matcher scores typed values above wild ones. */
    char out[64];
    is_int(fit(MODEL_BUILTIN_NUMBER, "forty two", out, sizeof(out)), SLOT_FIT_TYPED,
           "a number is typed");
    is_int(fit(MODEL_BUILTIN_FIRST_NAME, "sam", out, sizeof(out)), SLOT_FIT_WILD,
           "a first name is any word");
    is_str(out, "Sam", "written with a capital");
    is_int(fit(MODEL_BUILTIN_COLOR, "teal", out, sizeof(out)), SLOT_FIT_TYPED,
           "a colour Alexa knows");
    is_int(fit(MODEL_BUILTIN_COLOR, "sunset orange", out, sizeof(out)), SLOT_FIT_WILD,
           "a colour it does not");
    is_int(fit(MODEL_BUILTIN_WORDS, "the best pizza", out, sizeof(out)), SLOT_FIT_WILD,
           "a search query takes any words");
    is_str(out, "the best pizza", "as said");
    is_int(fit(MODEL_BUILTIN_DATE, "banana", out, sizeof(out)), SLOT_FIT_NONE, "not a date");
    is_int(fit(MODEL_BUILTIN_NUMBER, "forty two", out, 2), SLOT_FIT_NONE,
           "a value that does not fit out is no value");

    return tap_done();
}
