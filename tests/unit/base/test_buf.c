/*
 * test_buf.c - server/base/buf.c: growing, the cap, sticky errors, reading
 * a file whole, and handing the memory over.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tap.h"

static void
test_grow(void)
{
    struct buf b = BUF_INIT(1 << 20);

    is_str(buf_str(&b), "", "an empty buffer reads as \"\"");
    bool all = true;
    for (int i = 0; i < 1000; i++)
        all &= buf_adds(&b, "abc");
    ok(all, "1000 adds succeed");
    is_int((long)b.len, 3000, "3000 bytes held");
    ok(b.p[3000] == '\0', "NUL-terminated");
    ok(buf_printf(&b, "[%d:%s]", 42, "x"), "printf");
    ok(strcmp(b.p + 3000, "[42:x]") == 0, "printf appends");
    ok(buf_addc(&b, '!') && b.p[b.len - 1] == '!', "addc");
    buf_reset(&b);
    ok(b.p == NULL && b.len == 0 && b.max == (1 << 20), "reset empties and keeps the cap");
}

static void
test_cap(void)
{
    struct buf b = BUF_INIT(10);

    ok(buf_add(&b, "0123456789", 10), "exactly the cap fits");
    ok(b.cap <= 11, "never allocates past the cap (%zu)", b.cap);
    ok(!buf_addc(&b, 'x'), "one byte more fails");
    is_int(b.err, SS_ERR_TOO_LARGE, "as TOO_LARGE");
    ok(!buf_add(&b, "", 0), "and stays failed (sticky)");
    is_str(buf_str(&b), "0123456789", "what was held is unchanged");
    size_t len = 99;
    ok(buf_take(&b, &len) == NULL && len == 99, "a failed buffer hands over nothing");
    ok(b.p == NULL && b.err == SS_ERR_OK, "and is empty and usable again");

    struct buf p = BUF_INIT(8);
    ok(!buf_printf(&p, "%s", "123456789"), "printf past the cap fails");
    ok(p.p == NULL || p.len == 0, "without adding part of it");
    buf_reset(&p);

    struct buf z = BUF_INIT(0);
    ok(buf_add(&z, "", 0), "a zero cap holds the empty string");
    ok(!buf_addc(&z, 'a'), "and nothing else");
    buf_reset(&z);
}

static void
test_take(void)
{
    struct buf b = BUF_INIT(100);
    size_t len = 0;

    char *s = buf_take(&b, &len);
    ok(s && strcmp(s, "") == 0 && len == 0, "taking an empty buffer gives \"\"");
    free(s);
    buf_adds(&b, "hello");
    s = buf_take(&b, &len);
    ok(s && strcmp(s, "hello") == 0 && len == 5, "taking hands over the text");
    ok(b.p == NULL && b.len == 0, "and leaves the buffer empty");
    free(s);
}

static void
test_read_file(void)
{
    FILE *f = tmpfile();
    if (!f) {
        tap_fail("tmpfile");
        return;
    }
    for (int i = 0; i < 5000; i++)
        fputs("0123456789", f);
    rewind(f);

    struct buf b = BUF_INIT(50000);
    is_int(buf_read_file(&b, f), SS_ERR_OK, "reads 50,000 bytes under a 50,000 cap");
    is_int((long)b.len, 50000, "all of them");
    buf_reset(&b);

    rewind(f);
    struct buf small = BUF_INIT(49999);
    is_int(buf_read_file(&small, f), SS_ERR_TOO_LARGE, "one byte over the cap is TOO_LARGE");
    buf_reset(&small);
    fclose(f);

    FILE *empty = tmpfile();
    struct buf e = BUF_INIT(10);
    is_int(empty ? buf_read_file(&e, empty) : SS_ERR_IO, SS_ERR_OK, "an empty file reads");
    ok(e.p && e.p[0] == '\0', "as \"\", not NULL");
    buf_reset(&e);
    if (empty)
        fclose(empty);
}

static void
test_in_storage(void)
{
    char inline_[8];
    struct buf b;

    buf_init_in(&b, inline_, sizeof(inline_), 100);
    ok(buf_adds(&b, "1234567") && b.p == inline_, "7 bytes and a NUL stay in the storage");
    ok(buf_addc(&b, '8') && b.p != inline_, "the 8th moves to the heap");
    is_str(buf_str(&b), "12345678", "with what was held");
    buf_reset(&b);
    ok(b.p == inline_ && b.len == 0 && b.cap == sizeof(inline_), "reset goes back to the storage");
    buf_adds(&b, "abc");
    size_t len = 0;
    char *taken = buf_take(&b, &len);
    ok(taken && taken != inline_ && strcmp(taken, "abc") == 0 && len == 3,
       "taking from the storage hands over a copy");
    free(taken);

    ok(buf_reserve(&b, 50) && b.cap >= 51 && b.p != inline_, "reserve makes room at once");
    char *before = b.p;
    bool all = true;
    for (int i = 0; i < 50; i++)
        all &= buf_addc(&b, 'x');
    ok(all && b.p == before, "and adding that much does not move it");
    ok(!buf_reserve(&b, 51), "reserving past the cap fails");
    is_int(b.err, SS_ERR_TOO_LARGE, "as TOO_LARGE");
    buf_reset(&b);
    ok(b.p == inline_ && b.err == SS_ERR_OK, "reset clears the error too");
}

/* buf_digits() and buf_drop_front(). */
static void
test_digits_and_drop(void)
{
    char out[BUF_DIGITS], text[BUF_DIGITS + 1];
    const long long values[] = {0, 7, -7, 1234567890123LL, LLONG_MAX, LLONG_MIN};
    const char *want[] = {
        "0", "7", "-7", "1234567890123", "9223372036854775807", "-9223372036854775808"};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        char *d = buf_digits(out, values[i]);
        size_t n = (size_t)(out + BUF_DIGITS - d);
        memcpy(text, d, n);
        text[n] = '\0';
        is_str(text, want[i], "buf_digits of value %zu", i);
    }
    struct buf b = BUF_INIT(64);
    buf_adds(&b, "hello world");
    buf_drop_front(&b, 6);
    is_str(buf_str(&b), "world", "drop_front keeps the rest in order");
    buf_drop_front(&b, 99);
    is_int((int)b.len, 0, "dropping more than there is empties it");
    ok(buf_str(&b)[0] == '\0', "and it reads empty");
    buf_reset(&b);
}

int
main(void)
{
    test_digits_and_drop();
    test_in_storage();
    test_grow();
    test_cap();
    test_take();
    test_read_file();
    return tap_done();
}
