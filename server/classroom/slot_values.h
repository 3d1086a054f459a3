/*
 * slot_values.h - what Alexa makes of the words said for a built-in slot
 * type: AMAZON.NUMBER "forty two" -> "42", AMAZON.DATE "tomorrow" ->
 * "2026-11-27", AMAZON.TIME "half past six pm" -> "18:30", AMAZON.DURATION
 * "an hour and a half" -> "PT1H30M", ordinals, four-digit numbers, phone
 * numbers, days of the week, months, first names and colours, each in the
 * form Alexa reports in the slot's "value".
 *
 * The matcher (matcher.h) asks these for every split of an utterance it
 * tries, so they are pure functions of their arguments and `now` (the time
 * relative dates count from, read in the local time zone), thread-safe and
 * allocation-free.
 */
#ifndef SKILLSERVER_SLOT_VALUES_H
#define SKILLSERVER_SLOT_VALUES_H

#include <stddef.h>
#include <time.h>

#include "model.h"

/* How well some words fit a built-in kind. */
enum slot_fit {
    SLOT_FIT_NONE,  /* they are not a value of the kind */
    SLOT_FIT_TYPED, /* recognised: a number, a date, a colour Alexa knows, ... */
    SLOT_FIT_WILD,  /* accepted as they are: a first name, a search query, a colour
                       Alexa does not list */
};

/*
 * The value of the words w[0..n) (normalised by model_normalise(), one word
 * each; text is the same words joined by single spaces) for kind, written to
 * out (cap bytes). All the words must belong to the value. Returns how well
 * they fit; out holds the value unless SLOT_FIT_NONE.
 */
enum slot_fit slot_values_fit(enum model_builtin_kind kind, const char *const *w, size_t n,
                              const char *text, time_t now, char *out, size_t cap);

/*
 * The same for words as typed ("Forty-two!"): normalised and split first.
 * Returns 1 and the value in out, or 0 when they are not a value of kind
 * (or are more than LIMIT_MATCHER_WORDS words).
 */
int slot_values_read(enum model_builtin_kind kind, const char *words, time_t now, char *out,
                     size_t cap);

#endif
