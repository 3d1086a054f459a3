/*
 * ss_json.c - a JSON reader for the request path that gives jansson's
 * verdicts (see ss_json.h).
 *
 * Owns nothing between calls. One recursive-descent pass over the bytes:
 * strings are scanned eight bytes at a time until a quote, a backslash, a
 * control character or a non-ASCII byte, and copied once, by jansson's
 * constructor; only strings with escapes are decoded into a scratch buffer
 * first. Every rule below is jansson 2.14's (src/load.c), stated where it is
 * applied: whatever this scan does not accept goes to json_loadb(), which
 * decides.
 */
#include "ss_json.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* jansson's flags that this reader reproduces. */
#define FLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY)

/* Deeper nesting is left to jansson (which allows 2048 levels), so that the
 * recursion here stays well inside any thread's stack. */
#define MAX_DEPTH 256

/* Longest number token read here; a longer one (jansson accepts a real of
 * any length) goes to jansson. */
#define NUMBER_BYTES 64

struct scan {
    const unsigned char *p, *end;
    unsigned depth;
    char *tmp; /* decoded strings; tmp_stack or the heap */
    size_t tmp_cap;
    char tmp_stack[256];
};

/* 1 for the bytes that stand for themselves inside a string: 0x20-0x7f
 * except '"' and '\\'. Control characters are refused (jansson: "control
 * character"), bytes from 0x80 start a UTF-8 sequence. */
static const unsigned char plain[256] = {
    /* 0x00 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 0x10 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 0x20 */ 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* 0x30 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* 0x40 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* 0x50 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    /* 0x60 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* 0x70 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* Whether any of the 8 bytes in v is not plain. Exact in that direction:
 * it may say yes for a plain byte that follows a special one (a borrow),
 * which only sends the scan to the byte loop, never no for a special one. */
static inline uint64_t
special8(uint64_t v)
{
    uint64_t quote = v ^ (ONES * '"'), backslash = v ^ (ONES * '\\');
    return (v | ((v - ONES * 0x20) & ~v) | ((quote - ONES) & ~quote) |
            ((backslash - ONES) & ~backslash)) &
           HIGHS;
}

static inline void
skip_space(struct scan *s)
{
    /* jansson's whitespace: space, tab, newline, carriage return. */
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

/* After a member or an element: the closing byte ends the container (1), a
 * comma leads to the next item (0, s->p at it), anything else is not for
 * this scan (-1). */
static int
after_item(struct scan *s, unsigned char close)
{
    skip_space(s);
    if (s->p == s->end)
        return -1;
    if (*s->p == close) {
        s->p++;
        return 1;
    }
    if (*s->p != ',')
        return -1;
    s->p++;
    skip_space(s);
    return 0;
}

/* The length of the valid UTF-8 sequence at p (first byte >= 0x80), or 0:
 * jansson refuses continuation bytes first, overlong forms, UTF-16
 * surrogates and anything above U+10FFFF. */
static size_t
utf8_at(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t n;
    unsigned lo = 0x80, hi = 0xbf; /* the range of the second byte */

    if (c < 0xc2)
        return 0;
    if (c < 0xe0) {
        n = 2;
    } else if (c < 0xf0) {
        n = 3;
        if (c == 0xe0)
            lo = 0xa0; /* overlong below U+0800 */
        else if (c == 0xed)
            hi = 0x9f; /* U+D800-U+DFFF */
    } else if (c < 0xf5) {
        n = 4;
        if (c == 0xf0)
            lo = 0x90; /* overlong below U+10000 */
        else if (c == 0xf4)
            hi = 0x8f; /* above U+10FFFF */
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    return n;
}

static bool
tmp_reserve(struct scan *s, size_t used, size_t more)
{
    if (used + more <= s->tmp_cap)
        return true;
    size_t cap = s->tmp_cap * 2 > used + more ? s->tmp_cap * 2 : used + more;
    char *n = s->tmp == s->tmp_stack ? malloc(cap) : realloc(s->tmp, cap);
    if (!n)
        return false;
    if (s->tmp == s->tmp_stack)
        memcpy(n, s->tmp, used);
    s->tmp = n;
    s->tmp_cap = cap;
    return true;
}

static int
hex4(const unsigned char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v += (int)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v += (int)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v += (int)(c - 'A' + 10);
        else
            return -1;
    }
    return v;
}

/*
 * The rest of a string whose escapes need decoding: [start, p) is plain
 * and p is at the first backslash. Decodes into s->tmp; *len its length.
 * Refuses what jansson refuses: an unknown escape, \u without four hex
 * digits, a lone or unpaired surrogate, \u0000 (no JSON_ALLOW_NUL), a raw
 * control character, invalid UTF-8, no closing quote.
 */
static bool
decode_string(struct scan *s, const unsigned char *start, const unsigned char *p, size_t *len)
{
    const unsigned char *end = s->end;
    size_t n = (size_t)(p - start);

    if (!tmp_reserve(s, 0, n + 8))
        return false;
    memcpy(s->tmp, start, n);
    while (p < end) {
        unsigned c = *p;
        if (!tmp_reserve(s, n, 8))
            return false;
        if (c == '"') {
            *len = n;
            s->p = p + 1;
            return true;
        }
        if (c == '\\') {
            if (end - p < 2)
                return false;
            c = p[1];
            p += 2;
            switch (c) {
            case '"':
            case '\\':
            case '/':
                s->tmp[n++] = (char)c;
                continue;
            case 'b':
                s->tmp[n++] = '\b';
                continue;
            case 'f':
                s->tmp[n++] = '\f';
                continue;
            case 'n':
                s->tmp[n++] = '\n';
                continue;
            case 'r':
                s->tmp[n++] = '\r';
                continue;
            case 't':
                s->tmp[n++] = '\t';
                continue;
            case 'u':
                break;
            default:
                return false;
            }
            int cp = end - p >= 4 ? hex4(p) : -1;
            if (cp <= 0)
                return false; /* not hex, or \u0000 */
            p += 4;
            if (cp >= 0xdc00 && cp <= 0xdfff)
                return false;
            if (cp >= 0xd800 && cp <= 0xdbff) {
                int low = end - p >= 6 && p[0] == '\\' && p[1] == 'u' ? hex4(p + 2) : -1;
                if (low < 0xdc00 || low > 0xdfff)
                    return false;
                p += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
            }
            if (cp < 0x80) {
                s->tmp[n++] = (char)cp;
            } else if (cp < 0x800) {
                s->tmp[n++] = (char)(0xc0 | (cp >> 6));
                s->tmp[n++] = (char)(0x80 | (cp & 0x3f));
            } else if (cp < 0x10000) {
                s->tmp[n++] = (char)(0xe0 | (cp >> 12));
                s->tmp[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
                s->tmp[n++] = (char)(0x80 | (cp & 0x3f));
            } else {
                s->tmp[n++] = (char)(0xf0 | (cp >> 18));
                s->tmp[n++] = (char)(0x80 | ((cp >> 12) & 0x3f));
                s->tmp[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
                s->tmp[n++] = (char)(0x80 | (cp & 0x3f));
            }
            continue;
        }
        if (c < 0x20)
            return false;
        size_t k = c < 0x80 ? 1 : utf8_at(p, end);
        if (k == 0)
            return false;
        memcpy(s->tmp + n, p, k);
        n += k;
        p += k;
    }
    return false;
}

/*
 * The string whose opening quote s->p has passed. On success *out is either
 * in the input (no escapes) or in s->tmp (decoded), valid until the next
 * string is read, and s->p is past the closing quote. It never holds a NUL
 * byte (jansson refuses NUL in keys and, without JSON_ALLOW_NUL, in
 * values): a raw control character and \u0000 are both refused.
 */
static bool
read_string(struct scan *s, const char **out, size_t *len)
{
    const unsigned char *p = s->p, *start = p, *end = s->end;

    for (;;) {
        while (end - p >= 8) {
            uint64_t v;
            memcpy(&v, p, sizeof(v));
            if (special8(v))
                break;
            p += 8;
        }
        while (p < end && plain[*p])
            p++;
        if (p == end)
            return false;
        unsigned c = *p;
        if (c == '"') {
            *out = (const char *)start;
            *len = (size_t)(p - start);
            s->p = p + 1;
            return true;
        }
        if (c == '\\') {
            if (!decode_string(s, start, p, len))
                return false;
            *out = s->tmp;
            return true;
        }
        if (c < 0x80)
            return false; /* a control character */
        size_t k = utf8_at(p, end);
        if (k == 0)
            return false;
        p += k;
    }
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void
make_c_locale(void)
{
    c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

/* A number as scan_number() read it. */
struct number {
    bool real;
    long long integer;
    double value;
};

/*
 * A number at s->p, with jansson's grammar: -?(0|[1-9][0-9]*), then an
 * integer unless a fraction (.[0-9]+) or an exponent ([eE][+-]?[0-9]+)
 * follows. An integer out of long long's range and a real that overflows
 * are jansson's errors; a real that underflows is jansson's 0 or
 * subnormal, as strtod gives it.
 */
static bool
scan_number(struct scan *s, struct number *out)
{
    const unsigned char *p = s->p, *start = p, *end = s->end;
    bool negative = false;
    char text[NUMBER_BYTES];

    out->real = false;
    if (*p == '-') {
        negative = true;
        p++;
    }
    if (p == end)
        return false;
    if (*p == '0') {
        p++;
        if (p < end && *p >= '0' && *p <= '9')
            return false; /* a leading zero */
    } else if (*p >= '1' && *p <= '9') {
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    } else {
        return false;
    }
    const unsigned char *int_end = p;
    if (p < end && *p == '.') {
        out->real = true;
        p++;
        if (p == end || *p < '0' || *p > '9')
            return false;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        out->real = true;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p == end || *p < '0' || *p > '9')
            return false;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    s->p = p;

    size_t digits = (size_t)(int_end - start) - (negative ? 1 : 0);
    if (!out->real && digits <= 18) {
        /* 18 digits cannot overflow: no strtoll needed. */
        long long v = 0;
        for (const unsigned char *q = int_end - digits; q < int_end; q++)
            v = v * 10 + (*q - '0');
        out->integer = negative ? -v : v;
        return true;
    }
    size_t n = (size_t)(p - start);
    if (n >= sizeof(text))
        return false;
    memcpy(text, start, n);
    text[n] = '\0';
    errno = 0;
    if (!out->real) {
        out->integer = strtoll(text, NULL, 10);
        return errno != ERANGE;
    }
    pthread_once(&c_locale_once, make_c_locale);
    if (c_locale == (locale_t)0)
        return false;
    out->value = strtod_l(text, NULL, c_locale);
    return !(errno == ERANGE && (out->value == HUGE_VAL || out->value == -HUGE_VAL));
}

static json_t *
read_number(struct scan *s)
{
    struct number n;
    if (!scan_number(s, &n))
        return NULL;
    return n.real ? json_real(n.value) : json_integer(n.integer);
}

static json_t *read_value(struct scan *s);

/* key[0..len) = value in obj; value is stolen. A key seen before is
 * jansson's "duplicate object key": the size not growing shows it. */
static bool
set_member(json_t *obj, const char *key, size_t len, json_t *value)
{
    size_t before = json_object_size(obj);
#if JANSSON_VERSION_HEX >= 0x020e00
    if (json_object_setn_new_nocheck(obj, key, len, value) != 0)
        return false;
#else
    char small[128];
    char *k = len < sizeof(small) ? small : malloc(len + 1);
    if (!k) {
        json_decref(value);
        return false;
    }
    memcpy(k, key, len);
    k[len] = '\0';
    int rc = json_object_set_new_nocheck(obj, k, value);
    if (k != small)
        free(k);
    if (rc != 0)
        return false;
#endif
    return json_object_size(obj) > before;
}

/* An object whose '{' s->p is at. */
static json_t *
read_object(struct scan *s)
{
    json_t *obj = json_object();
    char *owned = NULL;

    if (!obj)
        return NULL;
    s->p++;
    skip_space(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return obj;
    }
    for (;;) {
        const char *key;
        size_t len;
        if (s->p == s->end || *s->p != '"')
            goto fail;
        s->p++;
        if (!read_string(s, &key, &len))
            goto fail;
        if (key == s->tmp) {
            /* Reading the value may reuse tmp. */
            if (!(owned = malloc(len + 1)))
                goto fail;
            memcpy(owned, key, len);
            key = owned;
        }
        skip_space(s);
        if (s->p == s->end || *s->p != ':')
            goto fail;
        s->p++;
        skip_space(s);
        json_t *value = read_value(s);
        if (!value || !set_member(obj, key, len, value))
            goto fail;
        free(owned);
        owned = NULL;
        int end = after_item(s, '}');
        if (end < 0)
            goto fail;
        if (end > 0)
            return obj;
    }
fail:
    free(owned);
    json_decref(obj);
    return NULL;
}

/* An array whose '[' s->p is at. */
static json_t *
read_array(struct scan *s)
{
    json_t *arr = json_array();

    if (!arr)
        return NULL;
    s->p++;
    skip_space(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        return arr;
    }
    for (;;) {
        json_t *value = read_value(s);
        if (!value || json_array_append_new(arr, value) != 0)
            goto fail;
        int end = after_item(s, ']');
        if (end < 0)
            goto fail;
        if (end > 0)
            return arr;
    }
fail:
    json_decref(arr);
    return NULL;
}

/* true, false or null: exactly the word, which must not run on into more
 * letters (jansson reads the whole word; the byte after it is checked by
 * the caller as the next token, and a letter is never one). */
static json_t *
read_word(struct scan *s, const char *word, size_t len, json_t *value)
{
    if ((size_t)(s->end - s->p) < len || memcmp(s->p, word, len) != 0)
        return NULL;
    s->p += len;
    return value;
}

/* The value at s->p (not whitespace). */
static json_t *
read_value(struct scan *s)
{
    json_t *v = NULL;

    if (s->p == s->end)
        return NULL;
    switch (*s->p) {
    case '{':
    case '[':
        if (++s->depth > MAX_DEPTH)
            return NULL;
        v = *s->p == '{' ? read_object(s) : read_array(s);
        s->depth--;
        return v;
    case '"': {
        const char *str;
        size_t len;
        s->p++;
        if (!read_string(s, &str, &len))
            return NULL;
        return json_stringn_nocheck(str, len);
    }
    case 't':
        return read_word(s, "true", 4, json_true());
    case 'f':
        return read_word(s, "false", 5, json_false());
    case 'n':
        return read_word(s, "null", 4, json_null());
    default:
        return read_number(s);
    }
}

json_t *
ss_json_scan(const char *text, size_t len)
{
    struct scan s = {.p = (const unsigned char *)text,
                     .end = (const unsigned char *)text + len,
                     .tmp_cap = sizeof(s.tmp_stack)};
    json_t *doc = NULL;

    s.tmp = s.tmp_stack;
    if (text) {
        skip_space(&s);
        doc = read_value(&s);
        skip_space(&s);
        if (doc && s.p != s.end) {
            json_decref(doc);
            doc = NULL;
        }
    }
    if (s.tmp != s.tmp_stack)
        free(s.tmp);
    return doc;
}

json_t *
ss_json_load(const char *text, size_t len, json_error_t *error)
{
    json_t *doc = ss_json_scan(text, len);

    if (!doc)
        return json_loadb(text, len, FLAGS, error);
    if (error) {
        error->line = -1;
        error->column = -1;
        error->position = (int)len;
        error->source[0] = '\0';
        error->text[0] = '\0';
    }
    return doc;
}

/* ---- documents without jansson values ---- */

/* What reading into an ss_doc needs besides the scan. Nodes are referred to
 * by index while the array may still move. */
struct docscan {
    struct scan s;
    struct ss_doc *doc;
    size_t cap;     /* nodes allocated */
    size_t used;    /* bytes of doc->chars in use */
    unsigned depth; /* nesting of the value being read */
};

/* Objects with more members than this are checked for duplicate keys by
 * sorting rather than by comparing each pair. */
#define PAIRWISE_KEYS 16

static long
new_node(struct docscan *d, enum ss_node_type type)
{
    struct ss_doc *doc = d->doc;
    if (doc->count == d->cap) {
        size_t cap = d->cap * 2;
        struct ss_node *grown = realloc(doc->nodes, cap * sizeof(*grown));
        if (!grown)
            return -1;
        doc->nodes = grown;
        d->cap = cap;
    }
    struct ss_node *n = &doc->nodes[doc->count];
    n->type = (unsigned char)type;
    n->span = 1;
    n->count = 0;
    n->v.integer = 0;
    return (long)doc->count++;
}

/* A string node holding str[0..len), copied into doc->chars. There is
 * always room: a string takes at least its two quotes in the text, and
 * its copy at most its bytes and a NUL. */
static bool
add_string(struct docscan *d, const char *str, size_t len)
{
    long i = new_node(d, SS_NODE_STRING);
    if (i < 0)
        return false;
    char *copy = d->doc->chars + d->used;
    memcpy(copy, str, len);
    copy[len] = '\0';
    d->used += len + 1;
    d->doc->nodes[i].count = (uint32_t)len;
    d->doc->nodes[i].v.string = copy;
    return true;
}

static int
compare_keys(const void *a, const void *b)
{
    const struct ss_node *x = *(const struct ss_node *const *)a;
    const struct ss_node *y = *(const struct ss_node *const *)b;
    if (x->count != y->count)
        return x->count < y->count ? -1 : 1;
    return memcmp(x->v.string, y->v.string, x->count);
}

/* Whether two members of the object at nodes[at] have the same key. */
static bool
has_duplicate(const struct ss_doc *doc, size_t at)
{
    const struct ss_node *obj = &doc->nodes[at];
    size_t n = obj->count;
    const struct ss_node *small[PAIRWISE_KEYS];
    const struct ss_node **keys = n <= PAIRWISE_KEYS ? small : malloc(n * sizeof(*keys));
    bool dup = false;

    if (!keys)
        return true; /* out of memory: jansson decides */
    const struct ss_node *key = obj + 1;
    for (size_t i = 0; i < n; i++) {
        keys[i] = key;
        key = ss_node_next(key + 1);
    }
    if (n <= PAIRWISE_KEYS) {
        for (size_t i = 1; i < n && !dup; i++)
            for (size_t j = 0; j < i && !dup; j++)
                dup = compare_keys(&keys[i], &keys[j]) == 0;
    } else {
        qsort(keys, n, sizeof(*keys), compare_keys);
        for (size_t i = 1; i < n && !dup; i++)
            dup = compare_keys(&keys[i], &keys[i - 1]) == 0;
        free(keys);
    }
    return dup;
}

static bool doc_value(struct docscan *d);

/* The members or elements of the container at nodes[at], whose opening
 * bracket s.p is at. */
static bool
doc_container(struct docscan *d, long at, bool object)
{
    struct scan *s = &d->s;
    const unsigned char close = object ? '}' : ']';
    uint32_t count = 0;

    if (++d->depth > MAX_DEPTH)
        return false;
    if (d->depth > d->doc->depth)
        d->doc->depth = d->depth;
    s->p++;
    skip_space(s);
    if (s->p < s->end && *s->p == close) {
        s->p++;
    } else {
        for (;;) {
            if (object) {
                const char *key;
                size_t len;
                if (s->p == s->end || *s->p != '"')
                    return false;
                s->p++;
                if (!read_string(s, &key, &len) || !add_string(d, key, len))
                    return false;
                skip_space(s);
                if (s->p == s->end || *s->p != ':')
                    return false;
                s->p++;
                skip_space(s);
            }
            if (!doc_value(d))
                return false;
            count++;
            int end = after_item(s, close);
            if (end < 0)
                return false;
            if (end > 0)
                break;
        }
    }
    d->depth--;
    struct ss_node *n = &d->doc->nodes[at];
    n->count = count;
    n->span = (uint32_t)(d->doc->count - (size_t)at);
    return !object || count < 2 || !has_duplicate(d->doc, (size_t)at);
}

/* The value at s.p (not whitespace), with jansson's rules as read_value(). */
static bool
doc_value(struct docscan *d)
{
    struct scan *s = &d->s;
    long i;

    if (s->p == s->end)
        return false;
    switch (*s->p) {
    case '{':
    case '[': {
        bool object = *s->p == '{';
        i = new_node(d, object ? SS_NODE_OBJECT : SS_NODE_ARRAY);
        return i >= 0 && doc_container(d, i, object);
    }
    case '"': {
        const char *str;
        size_t len;
        s->p++;
        return read_string(s, &str, &len) && add_string(d, str, len);
    }
    case 't':
        return read_word(s, "true", 4, json_true()) && new_node(d, SS_NODE_TRUE) >= 0;
    case 'f':
        return read_word(s, "false", 5, json_false()) && new_node(d, SS_NODE_FALSE) >= 0;
    case 'n':
        return read_word(s, "null", 4, json_null()) && new_node(d, SS_NODE_NULL) >= 0;
    default: {
        struct number num;
        if (!scan_number(s, &num))
            return false;
        i = new_node(d, num.real ? SS_NODE_REAL : SS_NODE_INTEGER);
        if (i < 0)
            return false;
        if (num.real)
            d->doc->nodes[i].v.real = num.value;
        else
            d->doc->nodes[i].v.integer = num.integer;
        return true;
    }
    }
}

/* An empty document with room for chars bytes of strings and about nodes
 * nodes. */
static struct ss_doc *
doc_new(size_t chars, size_t nodes, size_t *cap)
{
    struct ss_doc *doc = malloc(sizeof(*doc) + chars);
    if (!doc)
        return NULL;
    doc->chars = (char *)(doc + 1);
    doc->count = 0;
    doc->depth = 0;
    *cap = nodes < 16 ? 16 : nodes;
    doc->nodes = malloc(*cap * sizeof(*doc->nodes));
    if (!doc->nodes) {
        free(doc);
        return NULL;
    }
    return doc;
}

/* The bytes the strings of a jansson value take with their NULs. */
static size_t
json_chars(const json_t *j)
{
    size_t n = 0;
    const char *key;
    json_t *v;
    size_t i;

    if (json_is_string(j))
        return json_string_length(j) + 1;
    if (json_is_object(j)) {
        json_object_foreach((json_t *)j, key, v) n += strlen(key) + 1 + json_chars(v);
    } else if (json_is_array(j)) {
        json_array_foreach(j, i, v) n += json_chars(v);
    }
    return n;
}

/* Add a jansson value (already accepted by jansson) as nodes. */
static bool
doc_add_json(struct docscan *d, const json_t *j)
{
    long i;
    const char *key;
    json_t *v;
    size_t k;

    switch (json_typeof(j)) {
    case JSON_OBJECT:
    case JSON_ARRAY:
        i = new_node(d, json_is_object(j) ? SS_NODE_OBJECT : SS_NODE_ARRAY);
        if (i < 0)
            return false;
        d->depth++;
        if (d->depth > d->doc->depth)
            d->doc->depth = d->depth;
        if (json_is_object(j)) {
            json_object_foreach((json_t *)j, key, v)
            {
                if (!add_string(d, key, strlen(key)) || !doc_add_json(d, v))
                    return false;
            }
        } else {
            json_array_foreach(j, k, v)
            {
                if (!doc_add_json(d, v))
                    return false;
            }
        }
        d->depth--;
        d->doc->nodes[i].count =
            (uint32_t)(json_is_object(j) ? json_object_size(j) : json_array_size(j));
        d->doc->nodes[i].span = (uint32_t)(d->doc->count - (size_t)i);
        return true;
    case JSON_STRING:
        return add_string(d, json_string_value(j), json_string_length(j));
    case JSON_INTEGER:
        i = new_node(d, SS_NODE_INTEGER);
        if (i >= 0)
            d->doc->nodes[i].v.integer = json_integer_value(j);
        return i >= 0;
    case JSON_REAL:
        i = new_node(d, SS_NODE_REAL);
        if (i >= 0)
            d->doc->nodes[i].v.real = json_real_value(j);
        return i >= 0;
    case JSON_TRUE:
        return new_node(d, SS_NODE_TRUE) >= 0;
    case JSON_FALSE:
        return new_node(d, SS_NODE_FALSE) >= 0;
    case JSON_NULL:
        return new_node(d, SS_NODE_NULL) >= 0;
    }
    return false;
}

/* What jansson accepted where the scan stopped (nesting deeper than it
 * recurses, a real longer than it reads), as a document. */
static struct ss_doc *
doc_from_json(const json_t *j, json_error_t *error)
{
    struct docscan d = {.depth = 0};
    d.doc = doc_new(json_chars(j), 16, &d.cap);
    if (d.doc && doc_add_json(&d, j))
        return d.doc;
    ss_doc_free(d.doc);
    if (error) {
        error->line = error->column = -1;
        error->position = 0;
        snprintf(error->text, sizeof(error->text), "out of memory");
    }
    return NULL;
}

struct ss_doc *
ss_doc_parse(const char *text, size_t len, json_error_t *error)
{
    struct docscan d = {.s = {.p = (const unsigned char *)text,
                              .end = (const unsigned char *)text + len,
                              .tmp_cap = sizeof(d.s.tmp_stack)},
                        .depth = 0};
    bool ok = false;

    d.s.tmp = d.s.tmp_stack;
    /* A node takes at least two bytes of text but the last: len / 2 + 1
     * nodes at most. Most documents need far fewer; start at a sixth. */
    if (text && (d.doc = doc_new(len + 1, len / 6 + 1, &d.cap)) != NULL) {
        skip_space(&d.s);
        ok = doc_value(&d);
        skip_space(&d.s);
        ok = ok && d.s.p == d.s.end;
    }
    if (d.s.tmp != d.s.tmp_stack)
        free(d.s.tmp);
    if (ok) {
        if (error) {
            error->line = -1;
            error->column = -1;
            error->position = (int)len;
            error->source[0] = '\0';
            error->text[0] = '\0';
        }
        return d.doc;
    }
    ss_doc_free(d.doc);
    json_t *j = json_loadb(text, len, FLAGS, error);
    if (!j)
        return NULL;
    struct ss_doc *doc = doc_from_json(j, error);
    json_decref(j);
    return doc;
}

void
ss_doc_free(struct ss_doc *doc)
{
    if (doc) {
        free(doc->nodes);
        free(doc);
    }
}

const struct ss_node *
ss_node_get(const struct ss_node *object, const char *key)
{
    if (!object || object->type != SS_NODE_OBJECT)
        return NULL;
    size_t len = strlen(key);
    const struct ss_node *k = object + 1;
    for (uint32_t i = 0; i < object->count; i++) {
        if (k->count == len && memcmp(k->v.string, key, len) == 0)
            return k + 1;
        k = ss_node_next(k + 1);
    }
    return NULL;
}

const struct ss_node *
ss_node_at(const struct ss_node *array, size_t index)
{
    if (!array || array->type != SS_NODE_ARRAY || index >= array->count)
        return NULL;
    const struct ss_node *n = array + 1;
    while (index-- > 0)
        n = ss_node_next(n);
    return n;
}

json_t *
ss_node_to_json(const struct ss_node *node)
{
    json_t *j = NULL;
    const struct ss_node *k;

    switch ((enum ss_node_type)node->type) {
    case SS_NODE_OBJECT:
        j = json_object();
        k = node + 1;
        for (uint32_t i = 0; j && i < node->count; i++) {
            json_t *v = ss_node_to_json(k + 1);
            if (!v || json_object_set_new_nocheck(j, k->v.string, v) != 0) {
                json_decref(j);
                return NULL;
            }
            k = ss_node_next(k + 1);
        }
        return j;
    case SS_NODE_ARRAY:
        j = json_array();
        k = node + 1;
        for (uint32_t i = 0; j && i < node->count; i++) {
            if (json_array_append_new(j, ss_node_to_json(k)) != 0) {
                json_decref(j);
                return NULL;
            }
            k = ss_node_next(k);
        }
        return j;
    case SS_NODE_STRING:
        return json_stringn_nocheck(node->v.string, node->count);
    case SS_NODE_INTEGER:
        return json_integer(node->v.integer);
    case SS_NODE_REAL:
        return json_real(node->v.real);
    case SS_NODE_TRUE:
        return json_true();
    case SS_NODE_FALSE:
        return json_false();
    case SS_NODE_NULL:
        return json_null();
    }
    return NULL;
}

/* ---- finding members without reading ---- */

/* Past the string whose opening quote p is at; NULL when it does not end. */
static const char *
skip_string(const char *p, const char *end)
{
    for (const char *q = p + 1;; q++) {
        q = memchr(q, '"', (size_t)(end - q));
        if (!q)
            return NULL;
        const char *b = q;
        while (b[-1] == '\\')
            b--;
        if (((q - b) & 1) == 0)
            return q + 1;
    }
}

/* Past the value at p; NULL when it does not end where a value can. */
static const char *
skip_json_value(const char *p, const char *end)
{
    if (p == end)
        return NULL;
    if (*p == '"')
        return skip_string(p, end);
    if (*p == '{' || *p == '[') {
        size_t depth = 0;
        while (p < end) {
            switch (*p) {
            case '"':
                p = skip_string(p, end);
                if (!p)
                    return NULL;
                continue;
            case '{':
            case '[':
                depth++;
                break;
            case '}':
            case ']':
                if (--depth == 0)
                    return p + 1;
                break;
            default:
                break;
            }
            p++;
        }
        return NULL;
    }
    const char *start = p;
    while (p < end && !memchr(",}] \t\r\n", *p, 7))
        p++;
    return p > start ? p : NULL;
}

static const char *
skip_spaces(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

bool
ss_json_spans(const char *text, size_t len, const char *const *keys, size_t n,
              struct ss_span *spans)
{
    const char *p = text, *end = text + len;

    for (size_t i = 0; i < n; i++)
        spans[i].start = spans[i].end = 0;
    if (!text)
        return false;
    p = skip_spaces(p, end);
    if (p == end || *p != '{')
        return false;
    p = skip_spaces(p + 1, end);
    if (p < end && *p == '}')
        return skip_spaces(p + 1, end) == end;
    for (;;) {
        if (p == end || *p != '"')
            return false;
        const char *key = p + 1, *key_end = skip_string(p, end);
        if (!key_end || memchr(key, '\\', (size_t)(key_end - 1 - key)))
            return false;
        size_t key_len = (size_t)(key_end - 1 - key);
        p = skip_spaces(key_end, end);
        if (p == end || *p != ':')
            return false;
        const char *value = skip_spaces(p + 1, end);
        const char *value_end = skip_json_value(value, end);
        if (!value_end)
            return false;
        for (size_t i = 0; i < n; i++) {
            if (strlen(keys[i]) == key_len && memcmp(keys[i], key, key_len) == 0) {
                if (spans[i].end != 0)
                    return false; /* twice */
                spans[i].start = (size_t)(value - text);
                spans[i].end = (size_t)(value_end - text);
            }
        }
        p = skip_spaces(value_end, end);
        if (p < end && *p == '}')
            return skip_spaces(p + 1, end) == end;
        if (p == end || *p != ',')
            return false;
        p = skip_spaces(p + 1, end);
    }
}

/* ---- writing ---- */

struct out {
    char *buf;
    size_t size, used;
};

static inline void
put(struct out *o, const char *text, size_t n)
{
    if (o->used + n <= o->size)
        memcpy(o->buf + o->used, text, n);
    o->used += n;
}

static inline void
put_char(struct out *o, char c)
{
    if (o->used < o->size)
        o->buf[o->used] = c;
    o->used++;
}

/* s[0..len) as a JSON string, as jansson's dump_string() writes it without
 * JSON_ENSURE_ASCII and JSON_ESCAPE_SLASH: the bytes of plain[] and valid
 * UTF-8 as they are, the rest escaped. False for invalid UTF-8. */
static bool
put_string(struct out *o, const char *str, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)str, *end = p + len, *run = p;

    put_char(o, '"');
    while (p < end) {
        while (end - p >= 8) {
            uint64_t v;
            memcpy(&v, p, sizeof(v));
            if (special8(v))
                break;
            p += 8;
        }
        while (p < end && plain[*p])
            p++;
        if (p == end)
            break;
        unsigned c = *p;
        if (c >= 0x80) {
            size_t k = utf8_at(p, end);
            if (k == 0)
                return false;
            p += k;
            continue;
        }
        put(o, (const char *)run, (size_t)(p - run));
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t n = 2;
        switch (c) {
        case '"':
        case '\\':
            esc[1] = (char)c;
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
            break;
        }
        put(o, esc, n);
        p++;
        run = p;
    }
    put(o, (const char *)run, (size_t)(p - run));
    put_char(o, '"');
    return true;
}

/* -1: cannot be written (jansson fails too); -2: nested too deep for this
 * writer (jansson decides). */
static int
put_value(struct out *o, const json_t *json, unsigned depth)
{
    char num[100];

    switch (json_typeof(json)) {
    case JSON_NULL:
        put(o, "null", 4);
        return 0;
    case JSON_TRUE:
        put(o, "true", 4);
        return 0;
    case JSON_FALSE:
        put(o, "false", 5);
        return 0;
    case JSON_INTEGER: {
        /* Digits from the end, as "%lld" writes them. */
        long long v = json_integer_value(json);
        unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
        char *d = num + sizeof(num);
        do {
            *--d = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        if (v < 0)
            *--d = '-';
        put(o, d, (size_t)(num + sizeof(num) - d));
        return 0;
    }
    case JSON_REAL: {
        size_t n = json_dumpb(json, num, sizeof(num), JSON_COMPACT | JSON_ENCODE_ANY);
        if (n == 0 || n > sizeof(num))
            return -1;
        put(o, num, n);
        return 0;
    }
    case JSON_STRING:
        return put_string(o, json_string_value(json), json_string_length(json)) ? 0 : -1;
    case JSON_ARRAY: {
        if (depth >= MAX_DEPTH)
            return -2;
        size_t n = json_array_size(json);
        put_char(o, '[');
        for (size_t i = 0; i < n; i++) {
            if (i)
                put_char(o, ',');
            int rc = put_value(o, json_array_get(json, i), depth + 1);
            if (rc)
                return rc;
        }
        put_char(o, ']');
        return 0;
    }
    case JSON_OBJECT: {
        if (depth >= MAX_DEPTH)
            return -2;
        put_char(o, '{');
        bool first = true;
        for (void *it = json_object_iter((json_t *)json); it;
             it = json_object_iter_next((json_t *)json, it)) {
            if (!first)
                put_char(o, ',');
            first = false;
            const char *key = json_object_iter_key(it);
            if (!put_string(o, key, strlen(key)))
                return -1;
            put_char(o, ':');
            int rc = put_value(o, json_object_iter_value(it), depth + 1);
            if (rc)
                return rc;
        }
        put_char(o, '}');
        return 0;
    }
    }
    return -1;
}

size_t
ss_json_dump(const json_t *json, char *buf, size_t size)
{
    struct out o = {.buf = buf, .size = buf ? size : 0};

    if (!json_is_object(json) && !json_is_array(json))
        return 0;
    int rc = put_value(&o, json, 0);
    if (rc == -2)
        return json_dumpb(json, buf, size, JSON_COMPACT);
    return rc == 0 ? o.used : 0;
}
