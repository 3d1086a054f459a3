/*
 * utf8.c - UTF-16 code units of valid UTF-8 (utf8.h).
 */
#include "utf8.h"

/* One unit per sequence start, one more for 4-byte sequences (a surrogate
 * pair); branch-free so that the compiler vectorises the loop. */
static inline size_t
units_of_byte(unsigned char c)
{
    return (size_t)((c & 0xC0) != 0x80) + (size_t)(c >= 0xF0);
}

size_t
utf16_units(const char *s, size_t len)
{
    const unsigned char *b = (const unsigned char *)s;
    size_t n = 0;

    for (size_t i = 0; i < len; i++)
        n += units_of_byte(b[i]);
    return n;
}

size_t
utf16_offset_past(const char *s, size_t len, size_t limit)
{
    const unsigned char *b = (const unsigned char *)s;
    size_t seen = 0;

    for (size_t i = 0; i < len; i++) {
        seen += units_of_byte(b[i]);
        if (seen > limit)
            return i;
    }
    return len;
}
