/*
 * request_test.h - what the unit tests of server/alexa/request.c share: the
 * canned fixtures (tests/fixtures/requests/) read and parsed, and malformed
 * cases made by editing a valid fixture with jansson (set or delete one
 * dotted path) and parsing the result, so that each case changes exactly
 * one thing. Every helper is static inline: each test file uses a few.
 */
#ifndef SKILLSERVER_REQUEST_TEST_H
#define SKILLSERVER_REQUEST_TEST_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"
#include "ss_limits.h"
#include "tap.h"

#define FIXTURES SOURCE_ROOT "/tests/fixtures/requests"

/* The fixture the slot and resolution cases edit, and paths into it. */
#define ORDER "intent_order_drink.json"
#define DRINK "request.intent.slots.drink"
#define AUTH0 DRINK ".resolutions.resolutionsPerAuthority.[0]"

static inline char *
fixture_text(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
    return tap_slurp(path, len);
}

/* Parse a fixture; the buffer is freed at once, so any view string that
 * pointed into it instead of into the document would be caught by ASan. */
static inline enum ss_err
parse_fixture(const char *name, struct request *req, struct ss_error *err)
{
    size_t len = 0;
    char *text = fixture_text(name, &len);
    enum ss_err rc;

    if (!text) {
        ok(0, "fixture %s readable", name);
        memset(req, 0, sizeof(*req));
        return SS_ERR_IO;
    }
    rc = request_parse(req, text, len, err);
    free(text);
    return rc;
}

static inline json_t *
fixture_json(const char *name)
{
    char path[1024];
    json_error_t jerr;
    snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
    return json_load_file(path, 0, &jerr);
}

static inline enum ss_err
parse_str(const char *text, struct request *req, struct ss_error *err)
{
    return request_parse(req, text, strlen(text), err);
}

/* Set (value != NULL, stolen) or delete (value == NULL) the member at a
 * dotted path of doc; "[N]" components index arrays. */
static inline int
edit(json_t *doc, const char *path, json_t *value)
{
    char buf[512], *save = NULL, *part, *next;
    json_t *cur = doc;

    snprintf(buf, sizeof(buf), "%s", path);
    part = strtok_r(buf, ".", &save);
    while (part) {
        next = strtok_r(NULL, ".", &save);
        if (part[0] == '[') {
            size_t idx = strtoul(part + 1, NULL, 10);
            if (!next) {
                int rc = value ? json_array_set_new(cur, idx, value) : json_array_remove(cur, idx);
                return rc;
            }
            cur = json_array_get(cur, idx);
        } else {
            if (!next) {
                if (value)
                    return json_object_set_new(cur, part, value);
                return json_object_del(cur, part);
            }
            cur = json_object_get(cur, part);
        }
        if (!cur) {
            json_decref(value);
            return -1;
        }
        part = next;
    }
    json_decref(value);
    return -1;
}

/* Parse fixture `name` with one path edited; return the error code and
 * leave the message in err. */
static inline enum ss_err
parse_edited(const char *name, const char *path, json_t *value, struct ss_error *err)
{
    json_t *doc = fixture_json(name);
    struct request req;
    enum ss_err rc;
    char *text;

    if (!doc || edit(doc, path, value) != 0) {
        ok(0, "edit %s of %s", path, name);
        json_decref(doc);
        return SS_ERR_IO;
    }
    text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!text)
        return SS_ERR_NOMEM;
    rc = request_parse(&req, text, strlen(text), err);
    if (rc != SS_ERR_OK)
        ok(req.root == NULL && req.slots == NULL && req.request_id == NULL && req.slot_count == 0,
           "failed parse leaves the view empty (%s)", path);
    request_cleanup(&req);
    free(text);
    return rc;
}

/* One malformed case: expect code and exactly message. */
static inline void
expect_edit(const char *name, const char *path, json_t *value, enum ss_err code,
            const char *message)
{
    struct ss_error err;
    enum ss_err rc = parse_edited(name, path, value, &err);
    is_int(rc, code, "%s: %s is %s", name, path, ss_err_name(code));
    if (rc == code && code != SS_ERR_OK)
        is_str(err.msg, message, "%s: message for %s", name, path);
}

/* Parse an edited fixture and return the view (caller cleans up). */
static inline enum ss_err
parse_edited_view(const char *name, const char *path, json_t *value, struct request *r)
{
    json_t *doc = fixture_json(name);
    enum ss_err rc = SS_ERR_IO;
    char *text = NULL;

    memset(r, 0, sizeof(*r));
    if (!doc || edit(doc, path, value) != 0)
        goto out;
    text = json_dumps(doc, JSON_COMPACT);
    if (text)
        rc = request_parse(r, text, strlen(text), NULL);
out:
    free(text);
    json_decref(doc);
    return rc;
}

#endif
