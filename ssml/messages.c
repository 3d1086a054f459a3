/*
 * messages.c - what a person reads about a document that is not Alexa SSML.
 *
 * Owns the checks before parsing (the length Alexa allows, and the <speak>
 * start tag the document must begin with) and the translation of libxml2's
 * parser and schema errors into sentences that name the position, the tag
 * or attribute and what would be valid. check.c runs libxml2 and calls in
 * here; the sentences that depend on one tag's rules come from rules.c.
 * Nothing here keeps state: every problem goes into the report of the
 * struct check it is given.
 */
#include "ss_limits.h"
#include "ssml_internal.h"
#include "utf8.h"

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <stdio.h>
#include <string.h>

/* check_shown() for libxml2's messages, which end in a newline. */
static const char *
trimmed(const char *text, char *buf, size_t cap)
{
    check_shown(text, buf, cap);
    size_t n = strlen(buf);
    while (n > 0 && (buf[n - 1] == '?' || buf[n - 1] == ' ' || buf[n - 1] == '.'))
        buf[--n] = '\0';
    return buf;
}

/* --- before parsing: length and the root start tag -------------------------- */

void
messages_length(struct check *c)
{
    size_t units = utf16_units(c->orig, c->orig_len);
    if (units > LIMIT_SSML_CHARS)
        check_problem_at(c, utf16_offset_past(c->orig, c->orig_len, LIMIT_SSML_CHARS) + 1,
                         "the SSML is %zu characters long (tags included); Alexa allows %d, and "
                         "this is where it goes over",
                         units, LIMIT_SSML_CHARS);
}

/* Finds "<speak" at the start (after white space); returns its offset or -1
 * after recording why the document does not start there. */
long
messages_root(struct check *c)
{
    size_t i = 0;

    while (i < c->orig_len && check_is_space(c->orig[i]))
        i++;
    const char *p = c->orig + i;
    size_t left = c->orig_len - i;
    if (left >= 7 && memcmp(p, "<speak", 6) == 0 &&
        (check_is_space(p[6]) || p[6] == '>' || p[6] == '/'))
        return (long)i;
    if (left == 0)
        check_problem_at(c, 0, "the document is empty: SSML must be <speak>...</speak>");
    else if (left >= 5 && memcmp(p, "<?xml", 5) == 0)
        check_problem_at(c, i + 1,
                         "remove the XML declaration (<?xml ...?>): SSML must start with <speak>");
    else if (left >= 9 && memcmp(p, "<!DOCTYPE", 9) == 0)
        check_problem_at(c, i + 1, "a DOCTYPE is not allowed in SSML: it must start with <speak>");
    else if (left >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
             (unsigned char)p[2] == 0xBF)
        check_problem_at(c, i + 1, "remove the byte order mark: SSML must start with <speak>");
    else
        check_problem_at(
            c, i + 1, "SSML must be one <speak> element: start with <speak> and end with </speak>");
    return -1;
}

/* --- the parser's errors ---------------------------------------------------- */

/* What follows the last " and " of msg ("... p line 1 and s" gives "s"). */
static const char *
last_and(const char *msg)
{
    const char *found = "?";
    for (const char *p = msg; (p = strstr(p, " and ")) != NULL; p += 5)
        found = p + 5;
    return found;
}

/* Translates the parser's errors; only the first fatal one is kept because the
 * rest follow from it. */
void
messages_parse_error(void *ctx, xmlErrorPtr e)
{
    xmlParserCtxtPtr p = ctx;
    struct check *c = p->_private;
    char what[80], shown[80];
    const char *m = e->message ? e->message : "";
    int line = e->line, col = e->int2;

    if (e->level == XML_ERR_WARNING)
        return;
    if (c->fatal_seen)
        return;
    if (e->level == XML_ERR_FATAL)
        c->fatal_seen = 1;
    /* Positions on the <speak> line after the injected declarations move back. */
    if (line == c->inject_line && col > c->inject_col) {
        col -= (int)c->inject_len;
        if (col < c->inject_col)
            col = c->inject_col;
    }
    switch (e->code) {
    case XML_ERR_NAME_REQUIRED:
        if (strncmp(m, "xmlParseEntityRef", 17) == 0)
            check_problem_lc(c, line, col, "a bare '&' must be written &amp;");
        else if (strstr(m, "StartTag"))
            check_problem_lc(c, line, col,
                             "a bare '<' must be written &lt; (or a tag name is missing)");
        else
            check_problem_lc(c, line, col, "a name is missing here (%s)",
                             trimmed(m, shown, sizeof(shown)));
        break;
    case XML_ERR_ENTITYREF_SEMICOL_MISSING:
        check_problem_lc(c, line, col,
                         "'&' starts an entity that has no ';': write a bare '&' as &amp;");
        break;
    case XML_ERR_UNDECLARED_ENTITY:
    case XML_WAR_UNDECLARED_ENTITY:
        check_problem_lc(
            c, line, col,
            "'&%s;' is not an XML entity: use &amp; &lt; &gt; &quot; &apos; or a number "
            "such as &#233;",
            check_shown(e->str1, what, sizeof(what)));
        break;
    case XML_ERR_TAG_NAME_MISMATCH:
        /* "Opening and ending tag mismatch: OPEN line N and CLOSE" */
        check_problem_lc(c, line, col, "closing tag </%s> does not match the open <%s>",
                         trimmed(last_and(m), what, sizeof(what)),
                         check_shown(e->str1 ? e->str1 : "?", shown, sizeof(shown)));
        break;
    case XML_ERR_TAG_NOT_FINISHED:
        check_problem_lc(c, line, col, "<%s> is never closed",
                         check_shown(e->str1 ? e->str1 : "?", what, sizeof(what)));
        break;
    case XML_ERR_DOCUMENT_END:
        check_problem_lc(c, line, col,
                         "nothing may follow </speak>: SSML is exactly one <speak> element");
        break;
    case XML_ERR_LT_IN_ATTRIBUTE:
        check_problem_lc(c, line, col, "a '<' inside an attribute value must be written &lt;");
        break;
    case XML_ERR_ATTRIBUTE_NOT_STARTED:
    case XML_ERR_ATTRIBUTE_WITHOUT_VALUE:
        check_problem_lc(c, line, col, "attribute values must be in quotes, such as time=\"1s\"");
        break;
    case XML_ERR_ATTRIBUTE_REDEFINED:
        if (e->str1 && strncmp(e->str1, "xmlns", 5) == 0) {
            check_problem_lc(
                c, line, col, "namespace declarations (xmlns%s%s) are not allowed in Alexa SSML",
                e->str2 ? ":" : "", e->str2 ? check_shown(e->str2, what, sizeof(what)) : "");
            break;
        }
        check_problem_lc(c, line, col, "attribute %s is given twice",
                         check_shown(e->str1 ? e->str1 : "?", what, sizeof(what)));
        break;
    case XML_NS_ERR_UNDEFINED_NAMESPACE:
        check_problem_lc(
            c, line, col,
            "unknown prefix '%s:': only the amazon: and alexa: tags of Alexa SSML have one",
            check_shown(e->str1 ? e->str1 : "?", what, sizeof(what)));
        break;
    case XML_ERR_INVALID_CHAR:
    case XML_ERR_INVALID_ENCODING:
        if (strstr(m, "UTF-8"))
            check_problem_lc(c, line, col, "the text is not valid UTF-8");
        else
            check_problem_lc(
                c, line, col,
                "a character XML does not allow (such as a control character) is here");
        break;
    default: {
        /* libxml2's sentence, on one line, is the best we have here. */
        char text[160];
        check_problem_lc(c, line, col, "not well-formed XML: %s", trimmed(m, text, sizeof(text)));
    }
    }
}

/* --- schema errors -------------------------------------------------------- */

/* The first 'quoted' name after marker in msg, into out; NULL if none. */
static const char *
quoted_after(const char *msg, const char *marker, char *out, size_t cap)
{
    const char *s = msg ? strstr(msg, marker) : NULL;
    if (!s)
        return NULL;
    s = strchr(s + strlen(marker) - 1, '\'');
    if (!s)
        return NULL;
    const char *e = strchr(s + 1, '\'');
    if (!e || (size_t)(e - s - 1) >= cap)
        return NULL;
    memcpy(out, s + 1, (size_t)(e - s - 1));
    out[e - s - 1] = '\0';
    return out;
}

/* libxml2 writes a namespaced name as {URI}local: back to prefix:local. */
static void
pretty_name(char *name, size_t cap)
{
    static const char *const map[][2] = {
        {"http://www.w3.org/XML/1998/namespace", "xml"},
        {SSML_NS_AMAZON, "amazon"},
        {SSML_NS_ALEXA, "alexa"},
    };
    char *close = name[0] == '{' ? strchr(name, '}') : NULL;
    char out[96];

    if (!close)
        return;
    *close = '\0';
    const char *prefix = "?";
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(name + 1, map[i][0]) == 0)
            prefix = map[i][1];
    snprintf(out, sizeof(out), "%s:%s", prefix, close + 1);
    size_t n = strlen(out) < cap ? strlen(out) : cap - 1;
    memcpy(name, out, n);
    name[n] = '\0';
}

static const xmlNode *
first_child_element(const xmlNode *n)
{
    for (const xmlNode *k = n ? n->children : NULL; k; k = k->next)
        if (k->type == XML_ELEMENT_NODE)
            return k;
    return NULL;
}

/* For "Element 'x', attribute 'y': ..." (a value error), the attribute y of
 * element n, with its qualified name in qname; NULL for other messages. */
static const xmlAttr *
value_error_attr(const xmlNode *n, const char *msg, char *qname, size_t cap)
{
    char raw[96];

    if (!quoted_after(msg, ", attribute '", raw, sizeof(raw)))
        return NULL;
    const char *local = raw, *uri = NULL;
    if (raw[0] == '{') {
        /* libxml2 writes a namespaced attribute as {URI}name. */
        char *close = strchr(raw, '}');
        if (!close)
            return NULL;
        *close = '\0';
        uri = raw + 1;
        local = close + 1;
    }
    for (const xmlAttr *a = n->properties; a; a = a->next) {
        if (strcmp((const char *)a->name, local) != 0)
            continue;
        if (uri ? !(a->ns && a->ns->href && strcmp((const char *)a->ns->href, uri) == 0)
                : a->ns != NULL)
            continue;
        check_qname((const xmlNode *)a, qname, cap);
        return a;
    }
    return NULL;
}

void
messages_schema_error(void *ctx, xmlErrorPtr e)
{
    struct check *c = ctx;
    const xmlNode *node = e->node;
    const char *m = e->message ? e->message : "";
    char elem[64], child[64], attr[64], msg[256];

    if (e->level == XML_ERR_WARNING)
        return;
    if (!node) {
        char text[160];
        check_problem_at(c, 0, "invalid SSML: %s", check_shown(m, text, sizeof(text)));
        return;
    }
    if (node->type == XML_ATTRIBUTE_NODE)
        node = node->parent;
    check_qname(node, elem, sizeof(elem));
    const xmlAttr *bad = e->code == XML_SCHEMAV_CVC_COMPLEX_TYPE_3_2_1 ||
                                 e->code == XML_SCHEMAV_CVC_COMPLEX_TYPE_3_2_2
                             ? NULL
                             : value_error_attr(node, m, attr, sizeof(attr));
    if (bad) {
        /* A value the attribute's type rejects (enumeration, pattern, length):
         * libxml2 reports some of these twice, once per facet. */
        if ((const xmlNode *)bad == c->last_attr)
            return;
        c->last_attr = (const xmlNode *)bad;
        const char *value = bad->children && bad->children->type == XML_TEXT_NODE
                                ? (const char *)bad->children->content
                                : "";
        rules_value_message(elem, attr, value, msg, sizeof(msg));
        check_problem_node(c, node, attr, "%s", msg);
        return;
    }
    switch (e->code) {
    case XML_SCHEMAV_CVC_COMPLEX_TYPE_3_2_1:
    case XML_SCHEMAV_CVC_COMPLEX_TYPE_3_2_2:
        if (quoted_after(m, "attribute '", attr, sizeof(attr))) {
            pretty_name(attr, sizeof(attr));
            const char *allowed = rules_element_attrs(elem);
            if (allowed && !allowed[0])
                check_problem_node(c, node, attr, "%s takes no attributes, got %s", elem, attr);
            else
                check_problem_node(c, node, attr, "%s has no attribute %s; it takes %s", elem, attr,
                                   allowed ? allowed : "none");
            return;
        }
        break;
    case XML_SCHEMAV_CVC_COMPLEX_TYPE_4:
        if (quoted_after(m, "attribute '", attr, sizeof(attr))) {
            pretty_name(attr, sizeof(attr));
            const char *valid = rules_attr_valid(elem, attr);
            check_problem_node(c, node, NULL, "%s needs the attribute %s%s%s%s", elem, attr,
                               valid ? " (" : "", valid ? valid : "", valid ? ")" : "");
            return;
        }
        break;
    case XML_SCHEMAV_ELEMENT_CONTENT:
    case XML_SCHEMAV_CVC_COMPLEX_TYPE_2_4:
        if (node->parent && node->parent->type == XML_ELEMENT_NODE) {
            check_qname(node->parent, child, sizeof(child));
            rules_child_message(child, elem, msg, sizeof(msg));
            check_problem_node(c, node, NULL, "%s", msg);
            return;
        }
        break;
    case XML_SCHEMAV_CVC_COMPLEX_TYPE_2_1:
    case XML_SCHEMAV_CVC_COMPLEX_TYPE_2_2:
    case XML_SCHEMAV_CVC_COMPLEX_TYPE_2_3: {
        /* Content the element's type does not allow: text in an empty tag,
         * or a tag inside a text-only or empty one. */
        const xmlNode *k = first_child_element(node);
        if (k) {
            check_qname(k, child, sizeof(child));
            rules_child_message(elem, child, msg, sizeof(msg));
            check_problem_node(c, k, NULL, "%s", msg);
        } else {
            check_problem_node(c, node, NULL, "<%s> must be empty, such as <%s .../>, but has text",
                               elem, elem);
        }
        return;
    }
    case XML_SCHEMAV_CVC_ELT_1:
        check_problem_node(c, node, NULL, "SSML must start with <speak>, not <%s>", elem);
        return;
    default:
        break;
    }
    /* Rare cases: libxml2's sentence without its "Element 'x': " prefix. */
    const char *text = strstr(m, "': ");
    char shown[160];
    check_problem_node(c, node, NULL, "<%s>: %s", elem,
                       trimmed(text ? text + 3 : m, shown, sizeof(shown)));
}
