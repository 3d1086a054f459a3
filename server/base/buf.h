/*
 * buf.h - one growable byte buffer with a cap.
 *
 * The one way the program builds text of unknown length: a request body,
 * a file read whole, speech put together piece by piece. Every buffer has a
 * cap chosen by its owner (a limit from ss_limits.h), so a hostile input
 * can make it fail but never makes it grow without end. The contents are
 * always NUL-terminated once anything was added.
 *
 * Errors are sticky: after the first failed add (out of memory, or over
 * the cap) every later add does nothing and reports the same failure, so a
 * builder can add many pieces and check once at the end.
 */
#ifndef SKILLSERVER_BUF_H
#define SKILLSERVER_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "error.h"

struct buf {
    char *p;           /* NULL until the first add; then NUL-terminated */
    size_t len;        /* bytes held, without the NUL */
    size_t cap;        /* bytes allocated */
    size_t max;        /* most bytes it may hold, without the NUL */
    enum ss_err err;   /* SS_ERR_OK, or NOMEM / TOO_LARGE after a failed add */
    char *fixed;       /* the caller's storage it starts in (buf_init_in), never freed */
    size_t fixed_size; /* its size */
};

/* An empty buffer that may hold up to max bytes. */
#define BUF_INIT(max_bytes)                                                                        \
    {                                                                                              \
        .max = (max_bytes)                                                                         \
    }

void buf_init(struct buf *b, size_t max);

/* An empty buffer that starts in the caller's storage[0..size) (size >= 1)
 * and moves to the heap only when it outgrows it: no allocation for the
 * common small case. storage must outlive b. */
void buf_init_in(struct buf *b, char *storage, size_t size, size_t max);

/* Make room for n more bytes now (a length announced in advance), so that
 * adding them later does not reallocate. False (b->err set) past the cap or
 * on OOM. */
bool buf_reserve(struct buf *b, size_t n);

/* Append n bytes. Returns false (and leaves b->err set) when it fails or
 * failed before. */
bool buf_add(struct buf *b, const void *data, size_t n);
bool buf_adds(struct buf *b, const char *s);
bool buf_addc(struct buf *b, char c);
bool buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Read f to its end into b. Returns SS_ERR_OK, SS_ERR_IO on a read error,
 * or b's error (NOMEM, TOO_LARGE). */
enum ss_err buf_read_file(struct buf *b, FILE *f);

/* Read the file at path ("-" or NULL: standard input) whole into b, at
 * most b->max bytes. On failure err says why in words naming the file
 * ("the input is larger than 131072 bytes", "cannot open x.json: No such
 * file or directory") and b is left empty. */
enum ss_err buf_read_path(struct buf *b, const char *path, struct ss_error *err);

/* The text held ("" when nothing was added); valid until the next add. */
const char *buf_str(const struct buf *b);

/* Hand the memory to the caller (free() it) and leave b empty; *len gets
 * the length when len is not NULL. NULL when b failed (b is then emptied)
 * or on OOM (a buffer still in the caller's storage, or empty, is copied). */
char *buf_take(struct buf *b, size_t *len);

/* Room for the decimal digits of any long long, with its sign. */
#define BUF_DIGITS 24

/* Write v in decimal (with a '-' when negative) at the end of
 * out[0..BUF_DIGITS), without printf; returns where the digits start. */
char *buf_digits(char out[BUF_DIGITS], long long v);

/* Drop the first n bytes (all when n >= len), keeping the rest in order. */
void buf_drop_front(struct buf *b, size_t n);

/* Free the contents and make b empty again, keeping its cap and storage. */
void buf_reset(struct buf *b);

#endif
