/*
 * utf8.h - counting text the way Alexa counts it.
 *
 * Alexa's length limits (8,000 characters of speech, card text, ...) are in
 * UTF-16 code units, as in JavaScript: one per character of the Basic
 * Multilingual Plane, two for a character beyond it (a surrogate pair).
 * The input is valid UTF-8 (jansson and libxml2 guarantee it).
 */
#ifndef SKILLSERVER_UTF8_H
#define SKILLSERVER_UTF8_H

#include <stddef.h>

/* The UTF-16 code units of s[0..len). */
size_t utf16_units(const char *s, size_t len);

/* The byte offset in s[0..len) of the character at which the count first
 * passes limit units, or len when it never does. */
size_t utf16_offset_past(const char *s, size_t len, size_t limit);

#endif
