/*
 * fuzz_json.c - libFuzzer target for ss_json_load(), the reader of every
 * request body and every worker's answer.
 *
 * The property that makes it safe: whatever the scan accepts, jansson's
 * json_loadb() (with JSON_REJECT_DUPLICATES | JSON_DECODE_ANY) accepts as
 * the same document, and ss_json_load() and ss_doc_parse() always return
 * jansson's verdict and document;
 * ss_json_dump() writes what json_dumpb(JSON_COMPACT) writes. Any difference
 * aborts, so the fuzzer finds wrong answers, not only
 * crashes.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/base/json_same.h"
#include "ss_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    json_error_t jerr, lerr;
    json_t *j = json_loadb(text, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    json_t *s = ss_json_scan(text, size);
    json_t *l = ss_json_load(text, size, &lerr);

    if (s && (!j || !same(s, j)))
        abort();
    if (!l != !j || (l && !same(l, j)) || (!l && strcmp(lerr.text, jerr.text) != 0))
        abort();
    struct ss_doc *doc = ss_doc_parse(text, size, NULL);
    json_t *back = doc ? ss_node_to_json(doc->nodes) : NULL;
    if (!doc != !j || (doc && (!back || !same(back, j))))
        abort();
    json_decref(back);
    ss_doc_free(doc);
    /* Spans: never past the text; for an object jansson read, its members. */
    const char *keys[2] = {"a", "request"};
    struct ss_span spans[2];
    if (ss_json_spans(text, size, keys, 2, spans)) {
        for (int i = 0; i < 2; i++) {
            if (spans[i].end > size || spans[i].start > spans[i].end)
                abort();
            json_t *member = json_is_object(j) ? json_object_get(j, keys[i]) : NULL;
            if (member) {
                json_t *v = json_loadb(text + spans[i].start, spans[i].end - spans[i].start,
                                       JSON_DECODE_ANY, NULL);
                if (!v || !same(v, member))
                    abort();
                json_decref(v);
            }
        }
    }
    if (l) {
        static char a[1 << 16], b[1 << 16];
        size_t na = ss_json_dump(l, a, sizeof(a)), nb = json_dumpb(l, b, sizeof(b), JSON_COMPACT);
        if (na != nb || (na <= sizeof(a) && memcmp(a, b, na) != 0))
            abort();
    }
    json_decref(j);
    json_decref(s);
    json_decref(l);
    return 0;
}
