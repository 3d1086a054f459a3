/*
 * tap.h - a tiny Test Anything Protocol harness for the C unit tests.
 *
 * Each check prints "ok N - name" or "not ok N - name" with the file and
 * line of a failure; tap_done() prints the plan and returns the exit status.
 * meson runs the binaries with protocol 'tap' and counts every check.
 */
#ifndef SKILLSERVER_TAP_H
#define SKILLSERVER_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_count;
static int tap_failed;

__attribute__((format(printf, 4, 5))) static int
tap_check(int pass, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    tap_count++;
    printf("%s %d - ", pass ? "ok" : "not ok", tap_count);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (!pass) {
        tap_failed++;
        printf("#   failed at %s:%d\n", file, line);
    }
    fflush(stdout);
    return pass;
}

/* ok(condition, "what is checked", ...) */
#define ok(cond, ...) tap_check(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

/* tap_fail("what went wrong", ...): a failed check of its own, for a helper
 * that finds something wrong outside any check (a set-up step, an invariant
 * the helper guards). A "# comment" there would be read by nobody. */
#define tap_fail(...) tap_check(0, __FILE__, __LINE__, __VA_ARGS__)

/* is_str(got, expected, "name"): compares strings, NULL-safe, shows both on failure. */
#define is_str(got, want, ...)                                                                     \
    do {                                                                                           \
        const char *tap_g_ = (got), *tap_w_ = (want);                                              \
        int tap_p_ = (tap_g_ == NULL && tap_w_ == NULL) ||                                         \
                     (tap_g_ && tap_w_ && strcmp(tap_g_, tap_w_) == 0);                            \
        if (!tap_check(tap_p_, __FILE__, __LINE__, __VA_ARGS__))                                   \
            printf("#   got:      %s\n#   expected: %s\n", tap_g_ ? tap_g_ : "(null)",             \
                   tap_w_ ? tap_w_ : "(null)");                                                    \
    } while (0)

/* is_int(got, expected, "name") */
#define is_int(got, want, ...)                                                                     \
    do {                                                                                           \
        long long tap_g_ = (long long)(got), tap_w_ = (long long)(want);                           \
        if (!tap_check(tap_g_ == tap_w_, __FILE__, __LINE__, __VA_ARGS__))                         \
            printf("#   got:      %lld\n#   expected: %lld\n", tap_g_, tap_w_);                    \
    } while (0)

/* contains(haystack, needle, "name") */
#define contains(hay, needle, ...)                                                                 \
    do {                                                                                           \
        const char *tap_h_ = (hay), *tap_n_ = (needle);                                            \
        if (!tap_check(tap_h_ && strstr(tap_h_, tap_n_) != NULL, __FILE__, __LINE__, __VA_ARGS__)) \
            printf("#   got:      %s\n#   missing:  %s\n", tap_h_ ? tap_h_ : "(null)", tap_n_);    \
    } while (0)

/* The whole file at path, NUL-terminated, its length in *len; NULL when it
 * cannot be read. The caller frees it. */
static inline char *
tap_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long size;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        goto out;
    buf = malloc((size_t)size + 1);
    if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
    }
    if (buf) {
        buf[size] = '\0';
        *len = (size_t)size;
    }
out:
    fclose(f);
    return buf;
}

static int
tap_done(void)
{
    printf("1..%d\n", tap_count);
    return tap_failed ? 1 : 0;
}

#endif
