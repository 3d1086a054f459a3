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
#include <stddef.h>

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

#endif
