/*
 * model_internal.h - what the files of the model module share and nobody
 * else uses: ASCII character classes (the model's rules are about ASCII
 * letters and digits whatever the C locale says) and the helpers that add
 * a problem to a report. Included only by model*.c.
 */
#ifndef SKILLSERVER_MODEL_INTERNAL_H
#define SKILLSERVER_MODEL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

static inline int
model_tolower_ascii(int ch)
{
    return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

static inline bool
model_is_digit(int ch)
{
    return ch >= '0' && ch <= '9';
}

static inline bool
model_is_alpha(int ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* Add a problem to r, counting it as an error or a warning; beyond
 * MODEL_MAX_PROBLEMS it is only counted (r->omitted). */
void model_report_add(struct model_report *r, enum model_severity severity, const char *path,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* How to show a character in a message: "a space", "'!'", "byte 0xc3".
 * buf holds the text when it is not a constant. */
const char *model_show_char(int ch, char buf[16]);

/* True when word[0..len) is one of list (NULL-terminated). */
bool model_word_in_list(const char *const *list, const char *word, size_t len);

#endif
