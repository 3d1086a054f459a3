/*
 * check.c - validating an SSML document: size, parse, schema, then rules.
 *
 * Owns the compiled schema (one per process, built from the schema files
 * compiled into the library, never from disk or the network), the path of
 * one document through libxml2, and the positions of its problems in the
 * document as given. The path: a validation copy with the amazon:/alexa:
 * namespaces declared on <speak> (spec/ssml.md 2.2), a parse with no
 * network, no DTD and no entity expansion, then XSD validation. messages.c
 * puts what goes wrong into words; rules.c checks what the schema cannot
 * say. What stays true: after ssml_init() the schema is only read; every
 * libxml2 context used by a check belongs to that call (libxml2 allows one
 * validation context per thread at a time, sharing the xmlSchema
 * read-only), so checks run in parallel.
 */
#include "ssml.h"

#include "schema_files.h"
#include "ss_limits.h"
#include "ssml_internal.h"

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char inject_text[] =
    " xmlns:amazon=\"" SSML_NS_AMAZON "\" xmlns:alexa=\"" SSML_NS_ALEXA "\"";

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
/* Written once under init_lock, read with acquire loads by every check. */
static xmlSchemaPtr schema;
static char init_error[200];

/*
 * Each thread keeps one parser context and one validation context and
 * reuses them: creating both per check costs about a third of a check.
 * They are never shared between threads. The parser's dictionary keeps the
 * names it has seen, so a context is replaced once it has learnt too many.
 */
/*
 * A thread's memo of the documents it found valid: the same bytes, checked
 * for the same place (speech or reprompt) and locale with the same schema,
 * get the same verdict without libxml2. Only valid verdicts are kept (with
 * the audio counts the caller adds up); a document is found by a hash of
 * its bytes and then compared byte for byte, never by the hash alone. At
 * most LIMIT_SSML_MEMO_ENTRIES documents of at most LIMIT_SSML_MEMO_BYTES;
 * a new one takes the slot its hash names. Per thread, so no lock.
 */
#define MEMO_LOCALE_BYTES 16

struct memo_entry {
    uint64_t hash;
    char *doc; /* NULL: an empty slot */
    size_t len;
    enum ssml_where where;
    char locale[MEMO_LOCALE_BYTES]; /* "" for none */
    int audio_count;
    long audio_known_ms;
};

struct thread_ctx {
    xmlParserCtxtPtr parser;
    xmlSchemaValidCtxtPtr valid;
    xmlSchemaPtr valid_for;   /* the schema valid was made for */
    struct memo_entry *memo;  /* LIMIT_SSML_MEMO_ENTRIES, or NULL */
    xmlSchemaPtr memo_for;    /* the schema the memo's verdicts are from */
    unsigned long memo_audio; /* and the audio table (rules_audio_generation()) */
};

#define DICT_MAX_NAMES 1024

static pthread_key_t ctx_key;
static int ctx_key_made;

static void
thread_ctx_free(void *p)
{
    struct thread_ctx *t = p;
    if (!t)
        return;
    if (t->parser)
        xmlFreeParserCtxt(t->parser);
    xmlSchemaFreeValidCtxt(t->valid);
    for (size_t i = 0; t->memo && i < LIMIT_SSML_MEMO_ENTRIES; i++)
        free(t->memo[i].doc);
    free(t->memo);
    free(t);
}

static struct thread_ctx *
thread_ctx(void)
{
    struct thread_ctx *t = pthread_getspecific(ctx_key);
    if (t)
        return t;
    t = calloc(1, sizeof(*t));
    if (t && pthread_setspecific(ctx_key, t) != 0) {
        free(t);
        t = NULL;
    }
    return t;
}

/* --- the schema ---------------------------------------------------------- */

/* Serves the schema documents' own imports from the built-in table; refuses
 * every other URL, so compiling the schema can never touch disk or network. */
static xmlParserInputPtr
embedded_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
    const char *base = url ? strrchr(url, '/') : NULL;

    base = base ? base + 1 : url;
    for (size_t i = 0; base && i < ssml_schema_file_count; i++)
        if (strcmp(base, ssml_schema_files[i].name) == 0)
            return xmlNewStringInputStream(ctxt, (const xmlChar *)ssml_schema_files[i].text);
    if (!init_error[0])
        snprintf(init_error, sizeof(init_error),
                 "the schema refers to '%.100s', which is not built in", url ? url : "(null)");
    return NULL;
}

static void
schema_parse_error(void *ctx, xmlErrorPtr e)
{
    if (e->level < XML_ERR_ERROR || init_error[0])
        return;
    snprintf(init_error, sizeof(init_error), "%.40s:%d: %.140s", e->file ? e->file : "schema",
             e->line, e->message ? e->message : "error");
    char *nl = strchr(init_error, '\n');
    if (nl)
        *nl = '\0';
}

int
ssml_init(void)
{
    xmlSchemaParserCtxtPtr pc = NULL;
    xmlSchemaPtr compiled = NULL;
    int rc = -1;

    if (pthread_mutex_lock(&init_lock) != 0)
        return -1;
    if (__atomic_load_n(&schema, __ATOMIC_ACQUIRE) != NULL) {
        rc = 0;
        goto out;
    }
    init_error[0] = '\0';
    const char *no_library = xmllib_error();
    if (no_library) {
        snprintf(init_error, sizeof(init_error), "%s", no_library);
        goto out;
    }
    xmlInitParser();
    if (!ctx_key_made) {
        if (pthread_key_create(&ctx_key, thread_ctx_free) != 0) {
            snprintf(init_error, sizeof(init_error), "pthread_key_create failed");
            goto out;
        }
        ctx_key_made = 1;
    }
    /* The loader is process-global in libxml2: it is swapped only while the
     * schema compiles, which happens before threads start (or under
     * init_lock on the lazy path), and nothing else in skillserver loads
     * external entities. */
    xmlExternalEntityLoader previous = xmlGetExternalEntityLoader();
    xmlSetExternalEntityLoader(embedded_loader);
    pc = xmlSchemaNewParserCtxt(ssml_schema_files[0].name);
    if (pc) {
        xmlSchemaSetParserStructuredErrors(pc, schema_parse_error, NULL);
        compiled = xmlSchemaParse(pc);
    }
    xmlSetExternalEntityLoader(previous);
    if (!compiled) {
        if (!init_error[0])
            snprintf(init_error, sizeof(init_error), "out of memory compiling the schema");
        goto out;
    }
    __atomic_store_n(&schema, compiled, __ATOMIC_RELEASE);
    rc = 0;
out:
    xmlSchemaFreeParserCtxt(pc);
    pthread_mutex_unlock(&init_lock);
    return rc;
}

static void *
preload(void *arg)
{
    (void)arg;
    (void)ssml_init(); /* a failure is reported again by the first check */
    return NULL;
}

/* The preloading thread, joined by ssml_preload_wait(): a process must not
 * exit while it is inside libxml2 or the dynamic loader, whose exit-time
 * destructors would pull the ground from under it. The lock lets the pool's
 * threads ask for it (a zygote's start) while another waits for it. */
static pthread_mutex_t preload_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t preloader;
static bool preloading, preload_over;

void
ssml_preload(void)
{
    /* Best effort: without the thread, the first check compiles it. */
    if (pthread_mutex_lock(&preload_lock) != 0)
        return;
    if (!preloading && !preload_over)
        preloading = pthread_create(&preloader, NULL, preload, NULL) == 0;
    pthread_mutex_unlock(&preload_lock);
}

bool
ssml_preload_busy(void)
{
    if (pthread_mutex_lock(&preload_lock) != 0)
        return true;
    if (preloading && pthread_tryjoin_np(preloader, NULL) == 0)
        preloading = false;
    bool busy = preloading;
    pthread_mutex_unlock(&preload_lock);
    return busy;
}

void
ssml_preload_wait(void)
{
    if (pthread_mutex_lock(&preload_lock) != 0)
        return;
    if (preloading)
        pthread_join(preloader, NULL);
    preloading = false;
    preload_over = true; /* the process is ending: no thread starts now */
    pthread_mutex_unlock(&preload_lock);
}

void
ssml_shutdown(void)
{
    if (pthread_mutex_lock(&init_lock) != 0)
        return;
    xmlSchemaPtr s = __atomic_exchange_n(&schema, NULL, __ATOMIC_ACQ_REL);
    if (ctx_key_made) {
        /* This thread's contexts; other threads free theirs when they exit. */
        thread_ctx_free(pthread_getspecific(ctx_key));
        pthread_setspecific(ctx_key, NULL);
    }
    xmlSchemaFree(s);
    rules_audio_cleanup();
    pthread_mutex_unlock(&init_lock);
}

/* --- positions and problems ----------------------------------------------- */

static void add_problem(struct check *c, int line, int col, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static void
add_problem(struct check *c, int line, int col, const char *fmt, va_list ap)
{
    struct ssml_report *r = c->rep;
    char msg[sizeof(r->problems[0].message)];

    vsnprintf(msg, sizeof(msg), fmt, ap);
    /* libxml2 sometimes says the same thing twice about one spot. */
    for (int i = 0; i < r->count && i < SSML_MAX_ERRORS; i++)
        if (r->problems[i].line == line && r->problems[i].column == col &&
            strcmp(r->problems[i].message, msg) == 0)
            return;
    if (r->count < SSML_MAX_ERRORS) {
        struct ssml_problem *p = &r->problems[r->count];
        p->line = line;
        p->column = col;
        memcpy(p->message, msg, sizeof(msg));
    }
    r->count++;
}

void
check_problem_lc(struct check *c, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_problem(c, line, col, fmt, ap);
    va_end(ap);
}

/* Line and column (1-based, columns in characters) of offset off of orig. */
static void
orig_position(const struct check *c, size_t off, int *line, int *col)
{
    int l = 1, k = 1;
    size_t start = 0;

    if (off > c->orig_len)
        off = c->orig_len;
    for (size_t i = 0; i < off; i++)
        if (c->orig[i] == '\n') {
            l++;
            start = i + 1;
        }
    for (size_t i = start; i < off; i++)
        if (((unsigned char)c->orig[i] & 0xC0) != 0x80)
            k++;
    *line = l;
    *col = k;
}

/* An offset of the validation copy as an offset of the original. */
static size_t
to_orig(const struct check *c, size_t off)
{
    if (off >= c->inject_at + c->inject_len)
        return off - c->inject_len;
    return off < c->inject_at ? off : c->inject_at;
}

void
check_problem_at(struct check *c, size_t off1, const char *fmt, ...)
{
    int line = 0, col = 0;
    va_list ap;

    if (off1 > 0)
        orig_position(c, to_orig(c, off1 - 1), &line, &col);
    va_start(ap, fmt);
    add_problem(c, line, col, fmt, ap);
    va_end(ap);
}

/* Offset of attribute qname in the start tag at buf[tag] ('<'), or tag. The
 * tag is well-formed here, and '<' never occurs inside a start tag. */
static size_t
attr_offset(const struct check *c, size_t tag, const char *qname)
{
    const char *b = c->buf;
    size_t n = c->buf_len, i = tag + 1, want = strlen(qname);

    while (i < n && !check_is_space(b[i]) && b[i] != '>' && b[i] != '/')
        i++;
    for (;;) {
        while (i < n && check_is_space(b[i]))
            i++;
        if (i >= n || b[i] == '>' || b[i] == '/')
            return tag;
        size_t start = i;
        while (i < n && !check_is_space(b[i]) && b[i] != '=')
            i++;
        if (i - start == want && memcmp(b + start, qname, want) == 0)
            return start;
        while (i < n && b[i] != '"' && b[i] != '\'')
            i++;
        if (i >= n)
            return tag;
        char quote = b[i++];
        while (i < n && b[i] != quote)
            i++;
        i++;
    }
}

void
check_problem_node(struct check *c, const xmlNode *node, const char *attr, const char *fmt, ...)
{
    size_t off1 = node ? (size_t)(uintptr_t)node->_private : 0;
    int line = 0, col = 0;
    va_list ap;

    if (off1 > 0) {
        size_t off = off1 - 1;
        if (attr)
            off = attr_offset(c, off, attr);
        orig_position(c, to_orig(c, off), &line, &col);
    } else if (node) {
        line = node->line;
    }
    va_start(ap, fmt);
    add_problem(c, line, col, fmt, ap);
    va_end(ap);
}

const char *
check_qname(const xmlNode *node, char *buf, size_t cap)
{
    if (node->ns && node->ns->prefix)
        snprintf(buf, cap, "%s:%s", (const char *)node->ns->prefix, (const char *)node->name);
    else
        snprintf(buf, cap, "%s", (const char *)node->name);
    return buf;
}

const char *
check_shown(const char *value, char *buf, size_t cap)
{
    size_t limit = cap > 64 ? 60 : (cap > 4 ? cap - 4 : 0), i;

    if (!value)
        value = "";
    for (i = 0; value[i] && i < limit; i++)
        buf[i] = ((unsigned char)value[i] < 0x20 || value[i] == 0x7f) ? '?' : value[i];
    if (value[i]) {
        /* Cut at a character boundary, then say that it was cut. */
        while (i > 0 && ((unsigned char)buf[i] & 0xC0) == 0x80 &&
               ((unsigned char)value[i] & 0xC0) == 0x80)
            i--;
        while (i > 0 && ((unsigned char)value[i] & 0xC0) == 0x80)
            i--;
        memcpy(buf + i, "...", 3);
        i += 3;
    }
    buf[i] = '\0';
    return buf;
}

/* --- parsing ---------------------------------------------------------------- */

static void
on_start_element(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
                 int nb_namespaces, const xmlChar **namespaces, int nb_attributes, int nb_defaulted,
                 const xmlChar **attributes)
{
    xmlParserCtxtPtr p = ctx;
    struct check *c = p->_private;

    xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes,
                          nb_defaulted, attributes);
    if (p->node && p->input) {
        /* The parser stands at the end of the start tag; its '<' is the last
         * one before, since '<' cannot occur inside a start tag. Kept in
         * _private so that schema errors can name a column. */
        size_t off = (size_t)p->input->consumed + (size_t)(p->input->cur - p->input->base);
        if (off >= c->buf_len)
            off = c->buf_len - 1;
        while (off > 0 && c->buf[off] != '<')
            off--;
        p->node->_private = (void *)(uintptr_t)(off + 1);
    }
    if (p->nodeNr > LIMIT_SSML_DEPTH && !c->too_deep) {
        c->too_deep = 1;
        check_problem_node(c, p->node, NULL, "tags are nested more than %d deep", LIMIT_SSML_DEPTH);
        xmlStopParser(p);
    }
}

/* Never reached (the document must start with <speak>), but a DOCTYPE must
 * not get as far as declaring entities, whatever changes around it. */
static void
on_internal_subset(void *ctx, const xmlChar *name, const xmlChar *external_id,
                   const xmlChar *system_id)
{
    xmlParserCtxtPtr p = ctx;
    check_problem_at(p->_private, 0, "a DOCTYPE is not allowed in SSML");
    xmlStopParser(p);
}

/* Parses the validation copy with this thread's parser context; returns the
 * tree or NULL (problems recorded, or *failed set when libxml2 failed). */
static xmlDocPtr
parse(struct check *c, struct thread_ctx *t, int *failed)
{
    xmlParserInputBufferPtr in_buf = NULL;
    xmlParserInputPtr in = NULL;
    xmlDocPtr doc = NULL;
    int before = c->rep->count;

    *failed = 1;
    if (t->parser && xmlDictSize(t->parser->dict) > DICT_MAX_NAMES) {
        xmlFreeParserCtxt(t->parser);
        t->parser = NULL;
    }
    if (!t->parser && !(t->parser = xmlNewParserCtxt()))
        goto out;
    xmlParserCtxtPtr p = t->parser;
    xmlCtxtReset(p);
    /* No network; no DTD loading, no entity substitution, no default
     * attributes from a DTD: the options that would enable them are off. */
    if (xmlCtxtUseOptions(p, XML_PARSE_NONET) != 0)
        goto out;
    p->_private = c;
    p->sax->startElementNs = on_start_element;
    p->sax->serror = messages_parse_error;
    p->sax->internalSubset = on_internal_subset;
    p->sax->externalSubset = NULL;
    p->sax->entityDecl = NULL;
    /* A copied input buffer: libxml2 2.9.14 mis-parses a reused context fed
     * from xmlParserInputBufferCreateStatic() after a non-ASCII document. */
    in_buf = xmlParserInputBufferCreateMem(c->buf, (int)c->buf_len, XML_CHAR_ENCODING_NONE);
    if (!in_buf)
        goto out;
    in = xmlNewIOInputStream(p, in_buf, XML_CHAR_ENCODING_NONE);
    if (!in) {
        xmlFreeParserInputBuffer(in_buf);
        goto out;
    }
    if (inputPush(p, in) < 0) {
        xmlFreeInputStream(in);
        goto out;
    }
    xmlParseDocument(p);
    doc = p->myDoc;
    p->myDoc = NULL;
    if (doc && (!p->wellFormed || c->too_deep || c->rep->count > before)) {
        xmlFreeDoc(doc);
        doc = NULL;
    }
    *failed = !doc && c->rep->count == before;
    p->_private = NULL;
out:
    return doc;
}

/* --- the check ------------------------------------------------------------ */

static int
fail_internal(struct ssml_report *r, const char *why)
{
    r->count = 1;
    r->problems[0].line = 0;
    r->problems[0].column = 0;
    snprintf(r->problems[0].message, sizeof(r->problems[0].message), "SSML check failed: %s", why);
    return -1;
}

/* A hash of doc[0..len), where and locale, eight bytes at a time. */
static uint64_t
memo_hash(const char *doc, size_t len, enum ssml_where where, const char *locale)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ (len * 0xff51afd7ed558ccdull) ^ (uint64_t)where;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t v;
        memcpy(&v, doc + i, sizeof(v));
        h = (h ^ v) * 0xc4ceb9fe1a85ec53ull;
        h ^= h >> 29;
    }
    for (; i < len; i++)
        h = (h ^ (unsigned char)doc[i]) * 0x100000001b3ull;
    for (; locale && *locale; locale++)
        h = (h ^ (unsigned char)*locale) * 0x100000001b3ull;
    return h ^ (h >> 32);
}

/* The slot of the memo where doc would be, or NULL without a memo (no
 * thread context, a document or locale too long to keep, out of memory).
 * What was remembered under another schema or audio table is forgotten. */
static struct memo_entry *
memo_slot(struct thread_ctx *t, xmlSchemaPtr s, uint64_t hash, size_t len, const char *locale)
{
    if (!t || len > LIMIT_SSML_MEMO_BYTES || (locale && strlen(locale) >= MEMO_LOCALE_BYTES))
        return NULL;
    unsigned long audio = rules_audio_generation();
    if (t->memo && (t->memo_for != s || t->memo_audio != audio)) {
        for (size_t i = 0; i < LIMIT_SSML_MEMO_ENTRIES; i++) {
            free(t->memo[i].doc);
            t->memo[i].doc = NULL;
        }
    }
    if (!t->memo && !(t->memo = calloc(LIMIT_SSML_MEMO_ENTRIES, sizeof(*t->memo))))
        return NULL;
    t->memo_for = s;
    t->memo_audio = audio;
    return &t->memo[hash % LIMIT_SSML_MEMO_ENTRIES];
}

static bool
memo_matches(const struct memo_entry *e, uint64_t hash, const char *doc, size_t len,
             enum ssml_where where, const char *locale)
{
    return e->doc && e->hash == hash && e->len == len && e->where == where &&
           strcmp(e->locale, locale ? locale : "") == 0 && memcmp(e->doc, doc, len) == 0;
}

/* Keep doc as valid in slot e (replacing what was there). */
static void
memo_keep(struct memo_entry *e, uint64_t hash, const char *doc, size_t len, enum ssml_where where,
          const char *locale, const struct ssml_report *report)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return;
    memcpy(copy, doc, len);
    copy[len] = '\0';
    free(e->doc);
    e->doc = copy;
    e->hash = hash;
    e->len = len;
    e->where = where;
    snprintf(e->locale, sizeof(e->locale), "%s", locale ? locale : "");
    e->audio_count = report->audio_count;
    e->audio_known_ms = report->audio_known_ms;
}

int
ssml_check_locale(const char *doc, size_t len, enum ssml_where where, const char *locale,
                  struct ssml_report *report)
{
    struct ssml_report local;
    struct check c;
    xmlDocPtr tree = NULL;
    int rc = -1, failed = 0;

    if (!report)
        report = &local;
    memset(report, 0, sizeof(*report));
    memset(&c, 0, sizeof(c));
    c.orig = doc ? doc : "";
    c.orig_len = doc ? len : 0;
    c.where = where;
    c.locale = locale;
    c.rep = report;

    xmlSchemaPtr s = __atomic_load_n(&schema, __ATOMIC_ACQUIRE);
    if (!s) {
        if (ssml_init() != 0)
            return fail_internal(report, init_error[0] ? init_error : "the schema did not compile");
        s = __atomic_load_n(&schema, __ATOMIC_ACQUIRE);
    }

    struct thread_ctx *t = thread_ctx();
    uint64_t hash = memo_hash(c.orig, c.orig_len, where, locale);
    struct memo_entry *memo = memo_slot(t, s, hash, c.orig_len, locale);
    if (memo && memo_matches(memo, hash, c.orig, c.orig_len, where, locale)) {
        report->audio_count = memo->audio_count;
        report->audio_known_ms = memo->audio_known_ms;
        return 0;
    }

    messages_length(&c);
    if (c.orig_len > LIMIT_SSML_PARSE_BYTES || c.orig_len > INT32_MAX - sizeof(inject_text)) {
        rc = 1;
        goto out;
    }
    long root = messages_root(&c);
    if (root < 0) {
        rc = 1;
        goto out;
    }

    /* The validation copy: <speak + declarations + the rest. */
    c.inject_at = (size_t)root + 6;
    c.inject_len = sizeof(inject_text) - 1;
    orig_position(&c, c.inject_at, &c.inject_line, &c.inject_col);
    c.buf_len = c.orig_len + c.inject_len;
    c.buf = malloc(c.buf_len + 1);
    if (!c.buf) {
        rc = fail_internal(report, "out of memory");
        goto out;
    }
    memcpy(c.buf, c.orig, c.inject_at);
    memcpy(c.buf + c.inject_at, inject_text, c.inject_len);
    memcpy(c.buf + c.inject_at + c.inject_len, c.orig + c.inject_at, c.orig_len - c.inject_at);
    c.buf[c.buf_len] = '\0';

    if (!t) {
        rc = fail_internal(report, "out of memory");
        goto out;
    }
    tree = parse(&c, t, &failed);
    if (!tree) {
        rc = failed ? fail_internal(report, "libxml2 could not parse (out of memory?)") : 1;
        goto out;
    }
    xmlNodePtr root_node = xmlDocGetRootElement(tree);
    rules_structure(&c, root_node, 1);
    if (report->count > 0) {
        rc = 1;
        goto out;
    }

    if (t->valid && t->valid_for != s) {
        xmlSchemaFreeValidCtxt(t->valid);
        t->valid = NULL;
    }
    if (!t->valid) {
        t->valid = xmlSchemaNewValidCtxt(s);
        t->valid_for = s;
        if (!t->valid) {
            rc = fail_internal(report, "out of memory");
            goto out;
        }
    }
    xmlSchemaValidCtxtPtr v = t->valid;
    xmlSchemaSetValidStructuredErrors(v, messages_schema_error, &c);
    int valid = xmlSchemaValidateDoc(v, tree);
    if (valid < 0 && report->count == 0) {
        rc = fail_internal(report, "libxml2 schema validation failed internally");
        goto out;
    }
    if (valid == 0 && report->count == 0)
        rules_check(&c, root_node);
    rc = report->count > 0 ? 1 : 0;
    if (rc == 0 && memo)
        memo_keep(memo, hash, c.orig, c.orig_len, where, locale, report);
out:
    xmlFreeDoc(tree);
    free(c.buf);
    return rc;
}

int
ssml_check(const char *doc, size_t len, enum ssml_where where, struct ssml_report *report)
{
    return ssml_check_locale(doc, len, where, NULL, report);
}

size_t
ssml_report_format(const struct ssml_report *report, const char *name, char *out, size_t cap)
{
    size_t used = 0;
    int kept = report->count < SSML_MAX_ERRORS ? report->count : SSML_MAX_ERRORS;

    if (cap > 0)
        out[0] = '\0';
    for (int i = 0; i < kept; i++) {
        const struct ssml_problem *p = &report->problems[i];
        int n = snprintf(used < cap ? out + used : NULL, used < cap ? cap - used : 0,
                         "%s:%d:%d: %s\n", name, p->line, p->column, p->message);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    if (report->count > kept) {
        int n = snprintf(used < cap ? out + used : NULL, used < cap ? cap - used : 0,
                         "%s: %d more problems not shown\n", name, report->count - kept);
        if (n > 0)
            used += (size_t)n;
    }
    return used;
}
