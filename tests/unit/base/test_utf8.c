/*
 * test_utf8.c - server/base/utf8.c: UTF-16 code units as Alexa counts them.
 */
#include <string.h>

#include "tap.h"
#include "utf8.h"

static size_t
units(const char *s)
{
    return utf16_units(s, strlen(s));
}

int
main(void)
{
    is_int((long)units(""), 0, "empty");
    is_int((long)units("thank you"), 9, "ASCII: one unit a byte");
    is_int((long)units("gr\xc3\xbc\xc3\x9f"), 4, "2-byte sequences: one unit each");
    is_int((long)units("\xe2\x82\xac"), 1, "a 3-byte character (euro sign) is one unit");
    is_int((long)units("\xf0\x9f\x98\x80"), 2, "an emoji beyond the BMP is a surrogate pair");
    is_int((long)units("a\xf0\x9f\x98\x80"
                       "b\xc3\xa9"),
           5, "mixed");

    const char *s = "ab\xf0\x9f\x98\x80"
                    "cd";
    size_t len = strlen(s);
    is_int((long)utf16_offset_past(s, len, 100), (long)len, "never over: the length");
    is_int((long)utf16_offset_past(s, len, 2), 2, "over 2 units at the emoji's first byte");
    is_int((long)utf16_offset_past(s, len, 3), 2, "half a surrogate pair is already over");
    is_int((long)utf16_offset_past(s, len, 4), 6, "over 4 at the 'c' after the emoji");
    is_int((long)utf16_offset_past(s, len, 0), 0, "over 0 at the first byte");
    return tap_done();
}
