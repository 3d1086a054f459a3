/*
 * ssml_internal.h - what check.c (libxml2: parsing, schema, positions),
 * messages.c (the checks before parsing, and libxml2's errors in words) and
 * rules.c (the dialect's tables and the checks a schema cannot express)
 * share.
 *
 * One struct check lives on the stack of each ssml_check() call and owns
 * nothing shared, which is what makes concurrent checks safe.
 */
#ifndef SKILLSERVER_SSML_INTERNAL_H
#define SKILLSERVER_SSML_INTERNAL_H

#include "ssml.h"

#include <libxml/tree.h>
#include <libxml/xmlerror.h>
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

/* XML's white space. */
static inline int
check_is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* Record a problem at a line and column of orig, as libxml2's parser gives them. */
void check_problem_lc(struct check *c, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

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

/* --- messages.c --- */

/* Record the problem of a document longer than Alexa allows, if it is. */
void messages_length(struct check *c);

/* The offset of "<speak" at the start of orig (after white space), or -1
 * after recording why the document does not start there. */
long messages_root(struct check *c);

/* libxml2's structured error handlers: the parser's (ctx is the parser
 * context, whose _private is the struct check) and the schema validator's
 * (ctx is the struct check). Each error becomes a sentence in the report;
 * of the parser's, only the first fatal one, since the rest follow from it. */
void messages_parse_error(void *ctx, xmlErrorPtr e);
void messages_schema_error(void *ctx, xmlErrorPtr e);

/* --- rules.c --- */

/* What XML allows and Alexa SSML does not (processing instructions, CDATA,
 * namespace declarations), from n and its siblings down; is_root for the
 * <speak> element alone, whose first two declarations are the validation
 * copy's. A document with any of these is not validated against the schema. */
void rules_structure(struct check *c, const xmlNode *n, int is_root);

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

/* A number that changes whenever the table of audio durations does. */
unsigned long rules_audio_generation(void);

/* xmllib.c: NULL once libxml2 is loaded (loading it now if it was not);
 * otherwise why it cannot be used, as a sentence. */
const char *xmllib_error(void);

#endif
