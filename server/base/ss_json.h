/*
 * ss_json.h - reading a JSON document on the request path, faster than
 * jansson's own reader and with exactly its verdicts.
 *
 * jansson reads a document a byte at a time through a stream with a
 * callback per byte, a UTF-8 check per byte and a growable buffer per token;
 * a 1.2 KB Alexa envelope costs about 20 us that way, more than anything
 * else the front does for a request. ss_json_load() scans the bytes in
 * place and builds the same jansson document with jansson's own
 * constructors, so everything that reads the document is unchanged.
 *
 * What must stay true: ss_json_load() accepts exactly what
 * json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY) accepts
 * and builds an equal document (same members in the same order, integers
 * as integers, reals as reals). It never decides a failure itself: whenever
 * its scan stops (a syntax error, invalid UTF-8, \u0000, a duplicate key, a
 * number out of range, nesting deeper than it recurses, out of memory) it
 * hands the text to json_loadb(), whose verdict and error message are the
 * answer. So a rejection always reads as jansson's, and a bug here can only
 * cost time, never accept a document jansson would refuse, provided the
 * scan below never accepts more than jansson (tests/unit/base/test_ss_json.c
 * and tests/fuzz/fuzz_json.c compare the two).
 */
#ifndef SKILLSERVER_SS_JSON_H
#define SKILLSERVER_SS_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The document in text[0..len) (need not be NUL-terminated), as
 * json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, error)
 * returns it: a new reference, or NULL with error (may be NULL) filled in
 * by jansson. On success error holds no message. Thread-safe.
 */
json_t *ss_json_load(const char *text, size_t len, json_error_t *error);

/* The scan alone, without falling back to jansson: the document, or NULL
 * wherever ss_json_load() would ask jansson. For the tests, which check
 * that whatever it accepts jansson accepts as the same document. */
json_t *ss_json_scan(const char *text, size_t len);

/*
 * Writing: ss_json_dump() is json_dumpb(json, buf, size, JSON_COMPACT),
 * byte for byte: members in the document's order, no spaces, '"', '\\' and
 * control characters escaped as jansson escapes them (\b \f \n \r \t,
 * \u001F for the others), everything else (DEL, non-ASCII) as it is. It
 * returns the full length of the text even when it did not fit in size
 * bytes (then buf holds some of it; no NUL is added), and 0 when jansson
 * would fail: json is not an
 * object or an array, or a string in it is not valid UTF-8. A real is
 * written by jansson itself (its %.17g rules); a document nested deeper than
 * the writer recurses is handed to json_dumpb() whole (jansson refuses a
 * document that contains itself; nesting is the only way to meet one).
 * Thread-safe; allocates nothing.
 */
size_t ss_json_dump(const json_t *json, char *buf, size_t size);

/*
 * A document without jansson values, for a reader that only looks members
 * up: request.c, which reads a few dozen members of every request body.
 * Building jansson's values costs an allocation or two for every member and
 * string, and freeing them as much again; an ss_doc is two allocations. Its
 * nodes lie in one array in document order: an object is followed by its
 * members (each a string node for the key, then the value), an array by its
 * elements. Strings are decoded and NUL-terminated (they never hold a NUL:
 * \u0000 is refused, as jansson refuses it).
 *
 * ss_doc_parse() has ss_json_load()'s verdicts (jansson's, with
 * JSON_REJECT_DUPLICATES | JSON_DECODE_ANY): NULL with error (may be NULL)
 * filled in by jansson, or the document, freed with ss_doc_free()
 * (NULL-safe). A document and its nodes are read-only and may be read from
 * any thread.
 */
enum ss_node_type {
    SS_NODE_OBJECT,
    SS_NODE_ARRAY,
    SS_NODE_STRING,
    SS_NODE_INTEGER,
    SS_NODE_REAL,
    SS_NODE_TRUE,
    SS_NODE_FALSE,
    SS_NODE_NULL,
};

struct ss_node {
    unsigned char type; /* enum ss_node_type */
    uint32_t span;      /* nodes in this value, itself included: a sibling follows at this + span */
    uint32_t count;     /* members of an object, elements of an array, bytes of a string */
    union {
        const char *string;
        long long integer;
        double real;
    } v;
};

struct ss_doc {
    struct ss_node *nodes; /* nodes[0] is the document's value */
    size_t count;
    unsigned depth; /* how deep objects and arrays nest: 0 for a scalar, 1 for {} */
    char *chars;    /* the strings */
};

struct ss_doc *ss_doc_parse(const char *text, size_t len, json_error_t *error);
void ss_doc_free(struct ss_doc *doc);

/* The member key of object (NULL when object is NULL or not an object, or
 * has no such member). Members are compared as decoded bytes. */
const struct ss_node *ss_node_get(const struct ss_node *object, const char *key);

/* Element index of array (NULL when out of range or not an array). */
const struct ss_node *ss_node_at(const struct ss_node *array, size_t index);

/* The next sibling of a value in its array, or of a key's value: walking an
 * object's members is key = object + 1, value = key + 1, next key =
 * ss_node_next(value), count times. */
static inline const struct ss_node *
ss_node_next(const struct ss_node *node)
{
    return node + node->span;
}

/* A jansson copy of node and everything in it (a new reference; NULL on
 * OOM), for a caller that needs a json_t. */
json_t *ss_node_to_json(const struct ss_node *node);

/*
 * Where the values of the members keys[0..n) of the JSON object in
 * text[0..len) lie, without reading the document: spans[i] is the byte
 * range of the value of keys[i], {0, 0} when there is no such member. For
 * a text already read once (message.c puts parts of a request it passes
 * on in front of it): values are skipped by their brackets and quotes, not
 * checked. False when the text is not an object as far as the skipping
 * tells, when a key has a backslash (the keys are compared as written),
 * or when a wanted key appears twice. Thread-safe; allocates nothing.
 */
struct ss_span {
    size_t start, end;
};
bool ss_json_spans(const char *text, size_t len, const char *const *keys, size_t n,
                   struct ss_span *spans);

#endif
