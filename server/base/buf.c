/*
 * buf.c - the capped growable buffer of buf.h.
 */
#include "buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void
buf_init(struct buf *b, size_t max)
{
    *b = (struct buf)BUF_INIT(max);
}

void
buf_init_in(struct buf *b, char *storage, size_t size, size_t max)
{
    buf_init(b, max);
    b->fixed = storage;
    b->fixed_size = size;
    b->p = storage;
    b->cap = size;
    storage[0] = '\0';
}

/* Make room for need more bytes and a NUL. */
static bool
reserve(struct buf *b, size_t need)
{
    if (b->err != SS_ERR_OK)
        return false;
    if (need > b->max - b->len) {
        b->err = SS_ERR_TOO_LARGE;
        return false;
    }
    size_t want = b->len + need + 1;
    if (want <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < want)
        cap = cap > SIZE_MAX / 2 ? want : cap * 2;
    /* Never allocate more than the cap allows (want fits: need was checked). */
    if (b->max < SIZE_MAX && cap > b->max + 1)
        cap = b->max + 1;
    char *p = b->p == b->fixed ? malloc(cap) : realloc(b->p, cap);
    if (!p) {
        b->err = SS_ERR_NOMEM;
        return false;
    }
    if (b->p && b->p == b->fixed)
        memcpy(p, b->fixed, b->len + 1);
    b->p = p;
    b->cap = cap;
    return true;
}

bool
buf_reserve(struct buf *b, size_t n)
{
    return reserve(b, n);
}

bool
buf_add(struct buf *b, const void *data, size_t n)
{
    if (!reserve(b, n))
        return false;
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return true;
}

bool
buf_adds(struct buf *b, const char *s)
{
    return buf_add(b, s, strlen(s));
}

bool
buf_addc(struct buf *b, char c)
{
    return buf_add(b, &c, 1);
}

bool
buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;

    if (b->err != SS_ERR_OK)
        return false;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->err = SS_ERR_NOMEM;
        return false;
    }
    if (!reserve(b, (size_t)n))
        return false;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return true;
}

enum ss_err
buf_read_file(struct buf *b, FILE *f)
{
    char chunk[16384];

    for (;;) {
        size_t got = fread(chunk, 1, sizeof(chunk), f);
        if (got && !buf_add(b, chunk, got))
            return b->err;
        if (got < sizeof(chunk)) {
            if (ferror(f))
                return SS_ERR_IO;
            break;
        }
    }
    /* An empty file is "", not NULL. */
    if (!b->p && !buf_add(b, "", 0))
        return b->err;
    return SS_ERR_OK;
}

enum ss_err
buf_read_path(struct buf *b, const char *path, struct ss_error *err)
{
    bool std_in = !path || strcmp(path, "-") == 0;
    const char *what = std_in ? "the input" : path;
    FILE *f = std_in ? stdin : fopen(path, "rb");

    if (!f)
        return ss_fail(err, SS_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    enum ss_err rc = buf_read_file(b, f);
    if (!std_in)
        fclose(f);
    if (rc != SS_ERR_OK) {
        size_t max = b->max;
        buf_reset(b);
        if (rc == SS_ERR_TOO_LARGE)
            return ss_fail(err, rc, "%s is larger than %zu bytes", what, max);
        if (rc == SS_ERR_IO)
            return ss_fail(err, rc, "cannot read %s", what);
        return ss_fail(err, rc, "out of memory");
    }
    return SS_ERR_OK;
}

char *
buf_digits(char out[BUF_DIGITS], long long v)
{
    char *d = out + BUF_DIGITS;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do {
        *--d = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--d = '-';
    return d;
}

void
buf_drop_front(struct buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
    } else {
        memmove(b->p, b->p + n, b->len - n);
        b->len -= n;
    }
    if (b->p)
        b->p[b->len] = '\0';
}

const char *
buf_str(const struct buf *b)
{
    return b->p ? b->p : "";
}

char *
buf_take(struct buf *b, size_t *len)
{
    char *p = NULL;

    if (b->err == SS_ERR_OK) {
        if (b->p && b->p != b->fixed) {
            p = b->p;
            b->p = NULL;
        } else {
            p = b->p ? strndup(b->p, b->len) : strdup("");
        }
        if (p && len)
            *len = b->len;
    }
    buf_reset(b);
    return p;
}

void
buf_reset(struct buf *b)
{
    if (b->p != b->fixed)
        free(b->p);
    if (b->fixed)
        buf_init_in(b, b->fixed, b->fixed_size, b->max);
    else
        buf_init(b, b->max);
}
