/*
 * ssml_internal.h - what check.c (parsing, schema, positions) and rules.c
 * (the dialect's tables and the checks a schema cannot express) share.
 *
 * One struct check lives on the stack of each ssml_check() call and owns
 * nothing shared, which is what makes concurrent checks safe.
 */
#ifndef SKILLSERVER_SSML_INTERNAL_H
#define SKILLSERVER_SSML_INTERNAL_H

#include "ssml.h"

#include <libxml/tree.h>
#include <stddef.h>

/* Project-private namespaces of the validation copy (spec/ssml.md 2.2). */
#define SSML_NS_AMAZON "urn:x-skillserver:ssml:amazon"
#define SSML_NS_ALEXA "urn:x-skillserver:ssml:alexa"

struct check {
    const char *orig; /* the document as given */
    size_t orig_len;
    char *buf; /* validation copy: orig with namespace declarations injected */
    size_t buf_len;
    size_t inject_at;  /* offset in buf (and orig) where the declarations start */
    size_t inject_len; /* their length in bytes (ASCII) */
    int inject_line;   /* line and column (in orig) of the injection point */
    int inject_col;
    enum ssml_where where;
    const char *locale; /* may be NULL */
    struct ssml_report *rep;
    const xmlNode *last_attr; /* schema errors: one message per attribute */
    int fatal_seen;           /* parser: only the first fatal error is kept */
    int too_deep;
};

/* Record a problem at a byte offset of buf (offset + 1; 0 = position unknown). */
void check_problem_at(struct check *c, size_t off1, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record a problem at an element, or at one of its attributes when attr is
 * not NULL ("xml:lang" style qualified name). */
void check_problem_node(struct check *c, const xmlNode *node, const char *attr, const char *fmt,
                        ...) __attribute__((format(printf, 4, 5)));

/* "amazon:effect" for an element or attribute node, into buf. */
const char *check_qname(const xmlNode *node, char *buf, size_t cap);

/* Copy value for quoting in a message: at most 60 bytes, control characters
 * shown as '?', "..." when cut. */
const char *check_shown(const char *value, char *buf, size_t cap);

/* --- rules.c --- */

/* The attributes an element takes, "strength, time"; "" for none; NULL for
 * an unknown element. */
const char *rules_element_attrs(const char *qname);

/* The message for an attribute value the schema rejected. */
void rules_value_message(const char *elem, const char *attr, const char *value, char *out,
                         size_t cap);

/* The message for child (an element) appearing where the schema forbids it. */
void rules_child_message(const char *parent, const char *child, char *out, size_t cap);

/* What a missing required attribute should hold: "low, medium or high". */
const char *rules_attr_valid(const char *elem, const char *attr);

/* The checks after schema validation; root is the <speak> element. */
void rules_check(struct check *c, const xmlNode *root);

/* Free the audio registry (ssml_shutdown). */
void rules_audio_cleanup(void);

#endif
