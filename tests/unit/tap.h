/*
 * tap.h - a tiny Test Anything Protocol harness for the C unit tests.
 *
 * Each check prints "ok N - name" or "not ok N - name" with the file and
 * line of a failure; tap_done() prints the plan and returns the exit status.
 * meson runs the binaries with protocol 'tap' and counts every check.
 */
#ifndef SKILLSERVER_TAP_H
#define SKILLSERVER_TAP_H

#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* tap_tempdir(buf, size, "name"): makes a new, empty folder
 * $TMPDIR/name-XXXXXX (/tmp when TMPDIR is unset or empty) and puts its path
 * in buf. When that path does not fit in size bytes (a test that binds a
 * unix socket in it keeps size small), /tmp is used instead. Returns 0, or
 * -1 having reported a failed check. The test removes the folder with
 * tap_remove_tree() when it is done, also after a failed check. */
static inline int
tap_tempdir(char *buf, size_t size, const char *name)
{
    const char *dirs[] = {getenv("TMPDIR"), "/tmp"};

    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        if (!dirs[i] || !dirs[i][0])
            continue;
        int n = snprintf(buf, size, "%s/%s-XXXXXX", dirs[i], name);
        if (n < 0 || (size_t)n >= size)
            continue;
        if (mkdtemp(buf))
            return 0;
        tap_check(0, __FILE__, __LINE__, "make a temporary folder %s: %s", buf, strerror(errno));
        buf[0] = '\0';
        return -1;
    }
    tap_check(0, __FILE__, __LINE__, "a temporary folder for %s: the path is too long", name);
    if (size)
        buf[0] = '\0';
    return -1;
}

/* Opens up a folder a test made unreadable or unwritable, so that
 * tap_remove_tree() can empty it; one that could not be read is walked
 * again once it can. */
static inline int
tap_open_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_D)
        (void)chmod(path, 0700);
    if (flag == FTW_DNR && chmod(path, 0700) == 0)
        (void)nftw(path, tap_open_entry, 16, FTW_PHYS);
    return 0;
}

static inline int
tap_remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    if (remove(path) != 0) {
        printf("#   cannot remove %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* tap_remove_tree(path): removes the folder path and everything in it,
 * following no symbolic link; an empty path or one already gone is fine.
 * Returns 0, or -1 having reported a failed check. */
static inline int
tap_remove_tree(const char *path)
{
    struct stat st;

    if (!path || !path[0])
        return 0;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        tap_check(0, __FILE__, __LINE__, "look at the temporary folder %s: %s", path,
                  strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        (void)chmod(path, 0700);
        (void)nftw(path, tap_open_entry, 16, FTW_PHYS);
    }
    if (nftw(path, tap_remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) {
        tap_check(0, __FILE__, __LINE__, "remove the temporary folder %s", path);
        return -1;
    }
    return 0;
}

static int
tap_done(void)
{
    printf("1..%d\n", tap_count);
    return tap_failed ? 1 : 0;
}

#endif
