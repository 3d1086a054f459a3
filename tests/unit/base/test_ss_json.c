/*
 * test_ss_json.c - server/base/ss_json.c: the request path's JSON reader
 * gives jansson's verdicts and builds jansson's documents.
 *
 * Three kinds of check: hand-picked texts at every edge of jansson's grammar
 * (each must get the same verdict from the scan as from json_loadb, and an
 * equal document), the request fixtures (which the scan must accept itself,
 * or the fast path would never run), and a few hundred thousand random
 * documents, valid and mutated, compared the same way. ss_json_dump() must
 * write what json_dumpb(JSON_COMPACT) writes, byte for byte, for every
 * document read here and for strings no reader would produce.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json_same.h"
#include "ss_json.h"
#include "tap.h"

#define FLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY)

/* How deep objects and arrays nest in j. */
static unsigned
depth(json_t *j)
{
    unsigned deepest = 0;
    if (json_is_object(j)) {
        const char *key;
        json_t *v;
        json_object_foreach(j, key, v)
        {
            unsigned d = depth(v);
            deepest = d > deepest ? d : deepest;
        }
        return deepest + 1;
    }
    if (json_is_array(j)) {
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v)
        {
            unsigned d = depth(v);
            deepest = d > deepest ? d : deepest;
        }
        return deepest + 1;
    }
    return 0;
}

/* ss_json_spans() on text, an object jansson read as j: it finds the spans
 * (a key with a backslash aside), and each span reads as the member. */
static bool
spans_agree(const char *text, size_t len, json_t *j)
{
    const char *keys[3] = {"a", "key", ""};
    struct ss_span spans[3];
    bool escaped = memchr(text, '\\', len) != NULL;

    if (!ss_json_spans(text, len, keys, 3, spans))
        return escaped; /* only a key with an escape may stop it */
    for (int i = 0; i < 3; i++) {
        json_t *member = json_object_get(j, keys[i]);
        if (!member != (spans[i].end == 0))
            return false;
        if (member) {
            json_t *v = json_loadb(text + spans[i].start, spans[i].end - spans[i].start,
                                   JSON_DECODE_ANY, NULL);
            bool same_value = v && same(v, member);
            json_decref(v);
            if (!same_value)
                return false;
        }
    }
    return true;
}

/* ss_json_dump(json) is json_dumpb(json, JSON_COMPACT), also when it does
 * not fit. */
static bool
same_dump(const json_t *json)
{
    static char a[8192], b[8192];
    size_t na = ss_json_dump(json, a, sizeof(a)), nb = json_dumpb(json, b, sizeof(b), JSON_COMPACT);
    if (na != nb || (na <= sizeof(a) && memcmp(a, b, na) != 0))
        return false;
    return ss_json_dump(json, NULL, 0) == nb && ss_json_dump(json, a, nb / 2) == nb;
}

/* The scan agrees with jansson on text[0..len): 1 when both accept, 0 when
 * both refuse, -1 when they disagree. A document the scan leaves to jansson
 * although jansson accepts it counts as disagreeing when must_scan. */
static int
agree(const char *text, size_t len, bool must_scan)
{
    json_error_t jerr, serr;
    json_t *j = json_loadb(text, len, FLAGS, &jerr);
    json_t *s = ss_json_scan(text, len);
    json_t *l = ss_json_load(text, len, &serr);
    int rc;

    if (s)
        rc = j && same(s, j) && same_dump(s) ? 1 : -1;
    else if (j)
        rc = must_scan ? -1 : 1;
    else
        rc = 0;
    /* The full reader: jansson's document, or jansson's own error. */
    if (rc >= 0 && (!l != !j || (l && !same(l, j)) || (!l && strcmp(serr.text, jerr.text) != 0)))
        rc = -1;
    /* The document without jansson values: the same verdict and values. */
    json_error_t derr;
    struct ss_doc *doc = ss_doc_parse(text, len, &derr);
    json_t *back = doc ? ss_node_to_json(doc->nodes) : NULL;
    if (rc >= 0 && (!doc != !j || (doc && (!back || !same(back, j) || doc->depth != depth(j))) ||
                    (!doc && strcmp(derr.text, jerr.text) != 0)))
        rc = -1;
    json_decref(back);
    ss_doc_free(doc);
    /* The spans of members of an object jansson read are its members. */
    if (rc >= 0 && json_is_object(j) && !spans_agree(text, len, j))
        rc = -1;
    json_decref(j);
    json_decref(s);
    json_decref(l);
    return rc;
}

static void
verdict(const char *text, int want, const char *why)
{
    int got = agree(text, strlen(text), true);
    if (!ok(got == want, "%s: %s", want ? "accepted" : "refused", why))
        printf("#   text: %s\n#   got %d\n", text, got);
}

static void
edges(void)
{
    verdict("{}", 1, "an empty object");
    verdict("[]", 1, "an empty array");
    verdict(" \t\r\n{ \"a\" : [ 1 , 2 ] } \n", 1, "every kind of whitespace");
    verdict("\"top\"", 1, "a string at the top (JSON_DECODE_ANY)");
    verdict("42", 1, "an integer at the top");
    verdict("-0", 1, "minus zero is the integer 0");
    verdict("-0.0", 1, "minus zero as a real keeps its sign");
    verdict("[0, -1, 123456789012345678, 9223372036854775807, -9223372036854775808]", 1,
            "integers up to long long's ends");
    verdict("9223372036854775808", 0, "an integer past long long");
    verdict("-9223372036854775809", 0, "a negative integer past long long");
    verdict("[1.5, 1e3, 1E+3, 1e-3, 0.1e1, -2.5E-2, 1e-400, 4.9e-324]", 1,
            "reals, an underflow to 0 and a subnormal");
    verdict("1e400", 0, "a real that overflows");
    const char *longest =
        "[0.000000000000000000000000000000000000000000000000000000000000000000000001]";
    ok(agree(longest, strlen(longest), false) == 1 && !ss_json_scan(longest, strlen(longest)),
       "accepted: a real longer than the scan reads, by jansson");
    verdict("01", 0, "a leading zero");
    verdict("-", 0, "a lone minus");
    verdict("-a", 0, "a minus before a letter");
    verdict("1.", 0, "a fraction without digits");
    verdict(".5", 0, "no digit before the point");
    verdict("1e", 0, "an exponent without digits");
    verdict("1e+", 0, "a signed exponent without digits");
    verdict("[1x]", 0, "a letter after a number");
    verdict("+1", 0, "a plus sign");
    verdict("[true, false, null]", 1, "the three words");
    verdict("tru", 0, "a word cut short");
    verdict("truex", 0, "a word that goes on");
    verdict("[true1]", 0, "a digit after a word");
    verdict("nul", 0, "null cut short");
    verdict("True", 0, "a capital letter");
    verdict("", 0, "nothing");
    verdict("   ", 0, "only whitespace");
    verdict("{} {}", 0, "two documents");
    verdict("{}x", 0, "something after the document");
    verdict("[1,]", 0, "a trailing comma in an array");
    verdict("{\"a\":1,}", 0, "a trailing comma in an object");
    verdict("[,1]", 0, "a leading comma");
    verdict("{,}", 0, "a lone comma in an object");
    verdict("{\"a\" 1}", 0, "a missing colon");
    verdict("{\"a\":}", 0, "a missing value");
    verdict("{1:2}", 0, "a number as a key");
    verdict("{\"a\":1 \"b\":2}", 0, "a missing comma");
    verdict("[1 2]", 0, "a missing comma in an array");
    verdict("{\"a\":1,\"a\":2}", 0, "a duplicate key");
    verdict("{\"a\":1,\"\\u0061\":2}", 0, "a duplicate key written with an escape");
    verdict("{\"a\":{\"a\":1},\"b\":{\"a\":1}}", 1, "the same key in different objects");
    verdict("{\"\":1}", 1, "an empty key");
    verdict("[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]", 1, "every short escape");
    verdict("[\"\\u00e9\\u20AC\\ud83d\\ude00\"]", 1, "\\u escapes of 2, 3 and 4 UTF-8 bytes");
    verdict("[\"\\u0000\"]", 0, "\\u0000 in a value");
    verdict("{\"\\u0000\":1}", 0, "\\u0000 in a key");
    verdict("[\"\\ud83d\"]", 0, "a lone high surrogate");
    verdict("[\"\\ud83dx\"]", 0, "a high surrogate before a letter");
    verdict("[\"\\ud83d\\u0041\"]", 0, "a high surrogate before a non-surrogate");
    verdict("[\"\\ude00\"]", 0, "a lone low surrogate");
    verdict("[\"\\u12\"]", 0, "a short \\u escape");
    verdict("[\"\\u12g4\"]", 0, "a \\u escape with a non-hex digit");
    verdict("[\"\\x41\"]", 0, "an unknown escape");
    verdict("[\"\\", 0, "a backslash at the end");
    verdict("[\"abc", 0, "an unterminated string");
    verdict("[\"a\tb\"]", 0, "a raw tab in a string");
    verdict("[\"a\nb\"]", 0, "a raw newline in a string");
    verdict("[\"a\x7f"
            "b\"]",
            1, "DEL in a string");
    verdict("[\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"]", 1, "UTF-8 of 2, 3 and 4 bytes");
    verdict("[\"\xc3\"]", 0, "a cut 2-byte sequence");
    verdict("[\"\xe2\x82\"]", 0, "a cut 3-byte sequence");
    verdict("[\"\x80\"]", 0, "a lone continuation byte");
    verdict("[\"\xc0\xaf\"]", 0, "an overlong '/'");
    verdict("[\"\xe0\x80\xaf\"]", 0, "an overlong 3-byte form");
    verdict("[\"\xf0\x80\x80\xaf\"]", 0, "an overlong 4-byte form");
    verdict("[\"\xed\xa0\x80\"]", 0, "a UTF-16 surrogate in UTF-8");
    verdict("[\"\xf4\x90\x80\x80\"]", 0, "a code point above U+10FFFF");
    verdict("[\"\xf5\x80\x80\x80\"]", 0, "a byte that never starts a sequence");
    verdict("[\"\xef\xbf\xbf\"]", 1, "U+FFFF is allowed");
    verdict("[\"\xf4\x8f\xbf\xbf\"]", 1, "U+10FFFF is allowed");
    verdict("[\"a\\u00e9b\xc3\xa9"
            "c\\n\"]",
            1, "escapes and raw UTF-8 in one string");
    verdict("[\xc3\xa9]", 0, "UTF-8 outside a string");
    verdict("{\"k\\n\":\"v\\n\",\"k2\":\"v2\"}", 1, "an escaped key, then a plain one");

    /* Strings around the 8-byte steps of the scan. */
    char text[64];
    for (int n = 0; n < 20; n++) {
        for (int at = 0; at <= n; at++) {
            static const char specials[] = {'"', '\\', '\n', '\x01', '\x80', 'a'};
            for (size_t k = 0; k < sizeof(specials); k++) {
                size_t len = 0;
                text[len++] = '"';
                for (int i = 0; i < n; i++)
                    text[len++] = i == at ? specials[k] : 'x';
                text[len++] = '"';
                if (agree(text, len, true) < 0) {
                    tap_fail("a %d-byte string with byte 0x%02x at %d", n,
                             (unsigned char)specials[k], at);
                    return;
                }
            }
        }
    }
    ok(1, "strings of 0-19 bytes with a special byte anywhere");

    /* Nesting: the scan recurses 256 levels and leaves deeper ones to jansson. */
    static char deep[2 * 3000 + 1];
    for (int depth = 250; depth <= 3000; depth += 250) {
        memset(deep, '[', (size_t)depth);
        memset(deep + depth, ']', (size_t)depth);
        if (agree(deep, 2 * (size_t)depth, depth <= 256) < 0) {
            tap_fail("%d nested arrays", depth);
            return;
        }
    }
    ok(1, "nesting up to 3000 levels: jansson's verdict");
}

static void
dumps(void)
{
    json_t *strings = json_array();
    char all[32];
    for (int c = 0; c < 32; c++)
        all[c] = (char)c;
    json_array_append_new(strings, json_stringn_nocheck(all, sizeof(all)));
    json_array_append_new(strings, json_string("\"\\/\x7f caf\xc3\xa9 \xf0\x9f\x98\x80"));
    json_array_append_new(strings, json_integer(-9223372036854775807LL - 1));
    json_array_append_new(strings, json_integer(9223372036854775807LL));
    json_array_append_new(strings, json_integer(0));
    json_array_append_new(strings, json_real(1.0));
    json_array_append_new(strings, json_real(-0.0));
    json_array_append_new(strings, json_real(1e300));
    json_array_append_new(strings, json_real(0.1));
    json_array_append_new(strings, json_real(5e-324));
    json_t *obj = json_object();
    json_object_set_new(obj, "key \n\"", json_true());
    json_object_set_new(obj, "caf\xc3\xa9", json_null());
    json_object_set_new(obj, "", json_array());
    json_array_append_new(strings, obj);
    ok(same_dump(strings), "control characters, quotes, non-ASCII, integers, reals, keys");
    json_decref(strings);

    json_t *bad = json_array();
    json_array_append_new(bad, json_stringn_nocheck("caf\xc3", 4));
    ok(ss_json_dump(bad, NULL, 0) == 0 && json_dumpb(bad, NULL, 0, JSON_COMPACT) == 0,
       "a string of invalid UTF-8: both fail");
    json_decref(bad);

    json_t *scalar = json_string("top");
    ok(ss_json_dump(scalar, NULL, 0) == 0 && json_dumpb(scalar, NULL, 0, JSON_COMPACT) == 0,
       "a scalar at the top: both fail (no JSON_ENCODE_ANY)");
    json_decref(scalar);

    json_t *loop = json_array(), *back = json_array();
    json_array_append(loop, back);
    json_array_append(back, loop);
    ok(ss_json_dump(loop, NULL, 0) == 0 && json_dumpb(loop, NULL, 0, JSON_COMPACT) == 0,
       "a document that contains itself: both fail");
    json_array_clear(back);
    json_decref(back);
    json_decref(loop);

    json_t *deep = json_array(), *inner = deep;
    for (int i = 0; i < 1000; i++) {
        json_t *next = json_array();
        json_array_append_new(inner, next);
        inner = next;
    }
    ok(same_dump(deep), "1000 levels deep: what jansson writes");
    json_decref(deep);
}

/* Looking members and elements up in an ss_doc. */
static void
lookups(void)
{
    const char *text = "{\"a\":{\"x\":[10,[1,2],{\"k\":null},\"s\\u00e9\"]},\"b\":true,\"\":-2.5,"
                       "\"c\\u0041\":\"last\"}";
    struct ss_doc *doc = ss_doc_parse(text, strlen(text), NULL);
    const struct ss_node *root = doc ? doc->nodes : NULL;
    const struct ss_node *x = ss_node_get(ss_node_get(root, "a"), "x");

    ok(root && root->type == SS_NODE_OBJECT && root->count == 4, "a document of four members");
    ok(x && x->type == SS_NODE_ARRAY && x->count == 4, "a.x is an array of four");
    ok(ss_node_at(x, 0)->type == SS_NODE_INTEGER && ss_node_at(x, 0)->v.integer == 10,
       "a.x[0] is 10");
    ok(ss_node_at(ss_node_at(x, 1), 1)->v.integer == 2, "a.x[1][1] is 2");
    ok(ss_node_get(ss_node_at(x, 2), "k")->type == SS_NODE_NULL, "a.x[2].k is null");
    is_str(ss_node_at(x, 3)->v.string, "s\xc3\xa9", "a.x[3] is decoded");
    ok(ss_node_at(x, 4) == NULL, "past the end of an array: NULL");
    ok(ss_node_get(root, "b")->type == SS_NODE_TRUE, "b after a nested member");
    ok(ss_node_get(root, "")->v.real == -2.5, "an empty key");
    is_str(ss_node_get(root, "cA") ? ss_node_get(root, "cA")->v.string : NULL, "last",
           "a key written with an escape");
    ok(ss_node_get(root, "missing") == NULL && ss_node_get(x, "a") == NULL &&
           ss_node_get(NULL, "a") == NULL,
       "absent, not an object, no object: NULL");
    ok(doc && doc->depth == 4, "depth 4: the object in an array in a.x");
    ss_doc_free(doc);
    ss_doc_free(NULL);

    /* An object with many members: duplicates found by sorting. */
    char big[4096];
    size_t n = 0;
    big[n++] = '{';
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(big + n, sizeof(big) - n, "%s\"k%d\":%d", i ? "," : "", i, i);
    big[n++] = '}';
    ok(agree(big, n, true) == 1, "100 members");
    memcpy(big + n - 1, ",\"k57\":0}", 9);
    ok(agree(big, n + 8, true) == 0, "100 members and a duplicate: refused");

    const char *keys[2] = {"request", "session"};
    struct ss_span sp[2];
    const char *env = " {\"session\":{\"request\":1},\"x\":\"}\\\"{\",\"request\" : [ {} ] } ";
    ok(ss_json_spans(env, strlen(env), keys, 2, sp) &&
           strncmp(env + sp[0].start, "[ {} ]", sp[0].end - sp[0].start) == 0 &&
           strncmp(env + sp[1].start, "{\"request\":1}", sp[1].end - sp[1].start) == 0,
       "spans: members found past strings with brackets, inner keys ignored");
    ok(ss_json_spans("{\"a\":1}", 7, keys, 2, sp) && sp[0].end == 0 && sp[1].end == 0,
       "spans: absent members are {0, 0}");
    ok(!ss_json_spans("{\"request\":1,\"request\":2}", 25, keys, 2, sp),
       "spans: a wanted key twice: false");
    ok(!ss_json_spans("[1]", 3, keys, 2, sp) && !ss_json_spans("{\"request\":", 11, keys, 2, sp) &&
           !ss_json_spans("{\"re\\u0071uest\":1}", 19, keys, 2, sp),
       "spans: not an object, cut short, an escaped key: false");
}

static void
fixtures(void)
{
    static const char *const names[] = {"launch.json", "intent_order_drink.json",
                                        "intent_thank_you.json", "session_ended_user.json",
                                        "apl_user_event.json"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char path[1024];
        size_t len = 0;
        snprintf(path, sizeof(path), "%s/tests/fixtures/requests/%s", SOURCE_ROOT, names[i]);
        char *text = tap_slurp(path, &len);
        if (!text) {
            tap_fail("cannot read %s", path);
            continue;
        }
        ok(agree(text, len, true) == 1, "%s: the scan reads it, as jansson does", names[i]);
        free(text);
    }
}

/* xorshift64*: the same documents on every run. */
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static unsigned
pick(unsigned n)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (unsigned)((rng * 0x2545f4914f6cdd1dull) >> 33) % n;
}

struct text {
    char b[4096];
    size_t n;
};

static void
put(struct text *t, const char *s)
{
    size_t n = strlen(s);
    if (t->n + n < sizeof(t->b)) {
        memcpy(t->b + t->n, s, n);
        t->n += n;
    }
}

static void
gen_string(struct text *t)
{
    static const char *const pieces[] = {"a",
                                         "Z",
                                         " ",
                                         "0",
                                         "\\\"",
                                         "\\\\",
                                         "\\/",
                                         "\\n",
                                         "\\t",
                                         "\\u00e9",
                                         "\\u20ac",
                                         "\\ud83d\\ude00",
                                         "\xc3\xa9",
                                         "\xe2\x82\xac",
                                         "\xf0\x9f\x98\x80",
                                         "amzn1.ask",
                                         "\x7f",
                                         "key",
                                         "\\b\\f\\r"};
    put(t, "\"");
    unsigned n = pick(12);
    for (unsigned i = 0; i < n; i++)
        put(t, pieces[pick(sizeof(pieces) / sizeof(pieces[0]))]);
    put(t, "\"");
}

static void
gen_value(struct text *t, int depth)
{
    static const char *const numbers[] = {"0",     "-0",     "7",
                                          "-12",   "3.25",   "1e5",
                                          "-1E-3", "0.5e+2", "123456789012345678901",
                                          "1e309", "2.5",    "-9223372036854775808"};
    static const char *const spaces[] = {"", "", "", " ", "\n", "\t", "\r\n  "};
    unsigned kind = pick(depth > 5 ? 6 : 8);
    put(t, spaces[pick(7)]);
    switch (kind) {
    case 0:
        gen_string(t);
        break;
    case 1:
        put(t, numbers[pick(sizeof(numbers) / sizeof(numbers[0]))]);
        break;
    case 2:
        put(t, "true");
        break;
    case 3:
        put(t, "false");
        break;
    case 4:
        put(t, "null");
        break;
    case 5:
        gen_string(t);
        break;
    case 6: {
        unsigned n = pick(5);
        put(t, "[");
        for (unsigned i = 0; i < n; i++) {
            if (i)
                put(t, ",");
            gen_value(t, depth + 1);
        }
        put(t, "]");
        break;
    }
    default: {
        unsigned n = pick(5);
        put(t, "{");
        for (unsigned i = 0; i < n; i++) {
            if (i)
                put(t, ",");
            put(t, spaces[pick(7)]);
            gen_string(t);
            put(t, spaces[pick(7)]);
            put(t, ":");
            gen_value(t, depth + 1);
        }
        put(t, "}");
        break;
    }
    }
    put(t, spaces[pick(7)]);
}

/* One random change: a byte replaced, removed or added, or the end cut. */
static void
mutate(struct text *t)
{
    static const char bytes[] = "\"\\{}[],:. \n\t0123456789eE+-atrufsnl\x01\x7f\x80\xbf\xc3\xed"
                                "\xf0\xf4\xff";
    if (t->n == 0)
        return;
    size_t at = pick((unsigned)t->n);
    switch (pick(4)) {
    case 0:
        t->b[at] = bytes[pick(sizeof(bytes) - 1)];
        break;
    case 1:
        memmove(t->b + at, t->b + at + 1, t->n - at - 1);
        t->n--;
        break;
    case 2:
        if (t->n + 1 < sizeof(t->b)) {
            memmove(t->b + at + 1, t->b + at, t->n - at);
            t->b[at] = bytes[pick(sizeof(bytes) - 1)];
            t->n++;
        }
        break;
    default:
        t->n = at;
        break;
    }
}

static void
random_documents(long rounds)
{
    long accepted = 0, refused = 0;
    for (long i = 0; i < rounds; i++) {
        struct text t = {.n = 0};
        gen_value(&t, 0);
        if (t.n >= sizeof(t.b) - 1)
            continue;
        unsigned changes = pick(3);
        for (unsigned k = 0; k < changes; k++)
            mutate(&t);
        int rc = agree(t.b, t.n, true);
        if (rc < 0) {
            tap_fail("random document %ld: the scan and jansson disagree", i);
            printf("#   text: %.*s\n", (int)t.n, t.b);
            return;
        }
        if (rc)
            accepted++;
        else
            refused++;
    }
    ok(accepted > rounds / 10 && refused > rounds / 10,
       "%ld random documents: the same verdict and document (%ld accepted, %ld refused)", rounds,
       accepted, refused);
}

int
main(int argc, char **argv)
{
    edges();
    dumps();
    lookups();
    fixtures();
    random_documents(argc > 1 ? atol(argv[1]) : 200000);
    return tap_done();
}
