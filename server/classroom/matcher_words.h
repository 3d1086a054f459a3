/*
 * matcher_words.h - the words the matcher treats specially (matcher.c's
 * private tables, in matcher_words.c): short forms typed or said for longer
 * words ("u" -> "you"), words that carry no meaning for a skill and may be
 * ignored ("um", "please", "so much"), words that lead into a request ("can
 * you", "i want to"), phrases that mean the same ("i am" / "my name is",
 * "hi" / "hello"), more of the ways children say the built-in intents ("i'm
 * done", "what do i say"), and how close a misspelt word must be to count.
 *
 * All words are normalised (model_normalise()): lower case, contractions
 * written out ("i'm" -> "i am"). Pure functions over constant tables.
 */
#ifndef SKILLSERVER_MATCHER_WORDS_H
#define SKILLSERVER_MATCHER_WORDS_H

#include <stdbool.h>
#include <stddef.h>

/* Most words a short form stands for ("ty" -> "thank you"). */
#define MATCHER_EXPAND_MAX 4

/* Most phrases in one group of phrases that mean the same. */
#define MATCHER_SAME_MAX 8

/* The position of word in list (NULL-terminated), or -1: the one word-list
 * look-up of the matcher and the slot-value parsers. */
int matcher_word_index(const char *const *list, const char *word);

/* The words word stands for, into out; returns their count, 0 when word is
 * not a short form. The strings are static. */
size_t matcher_words_expand(const char *word, const char *out[MATCHER_EXPAND_MAX]);

/* A filler or politeness word ("um", "please", "alexa"): it may be left out
 * anywhere, and is never a name. */
bool matcher_words_filler(const char *word);

/* A word that leads into a request at the start of an utterance ("can",
 * "you", "i", "want", "to", "let", "us"). */
bool matcher_words_lead_in(const char *word);

/* Groups of phrases that mean the same (each NULL-terminated); the list ends
 * with an empty group. */
extern const char *const matcher_words_same[][MATCHER_SAME_MAX];

/* More phrases for the built-in intent named (NULL-terminated), or NULL. */
const char *const *matcher_words_builtin(const char *intent);

/* Is said a misspelling of want? One letter wrong, missing, extra or two
 * swapped, for words of 5 letters or more (either of them); two for 8 or
 * more. Short words must be said exactly: "hat" is not "that". */
bool matcher_words_close(const char *said, const char *want);

#endif
