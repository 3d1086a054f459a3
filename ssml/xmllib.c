/*
 * xmllib.c - libxml2, loaded with dlopen the first time it is used (the
 * schema's compilation: ssml_init(), or ssml_preload() on a thread of its
 * own).
 *
 * Linked, libxml2 brings ICU, libstdc++, zlib and liblzma into every
 * start of every command: about 3 ms of the dynamic loader's work, on the
 * path of `invoke` before its skill's zygote is even started, and paid by
 * commands that never check SSML. Each libxml2 function the SSML checker
 * calls is defined here with libxml2's own prototype and calls through to
 * the library once it is loaded; the headers are libxml2's, so a changed
 * prototype fails the build.
 *
 * Where the library cannot be loaded the functions fail as libxml2 does
 * when it is out of memory (NULL, -1), so every caller's existing error
 * path applies; ssml_init() reports the reason (xmllib_error()).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlschemas.h>

#include "dynlib.h"
#include "ssml_internal.h"

/* The soname the headers describe (Debian 12: libxml2 2.9.14). */
#define LIBXML2 "libxml2.so.2"

static struct {
    void (*xmlCtxtReset)(xmlParserCtxtPtr);
    int (*xmlCtxtUseOptions)(xmlParserCtxtPtr, int);
    int (*xmlDictSize)(xmlDictPtr);
    xmlNodePtr (*xmlDocGetRootElement)(const xmlDoc *);
    void (*xmlFreeDoc)(xmlDocPtr);
    void (*xmlFreeInputStream)(xmlParserInputPtr);
    void (*xmlFreeParserCtxt)(xmlParserCtxtPtr);
    void (*xmlFreeParserInputBuffer)(xmlParserInputBufferPtr);
    xmlExternalEntityLoader (*xmlGetExternalEntityLoader)(void);
    void (*xmlInitParser)(void);
    int (*xmlIsBlankNode)(const xmlNode *);
    xmlParserInputPtr (*xmlNewIOInputStream)(xmlParserCtxtPtr, xmlParserInputBufferPtr,
                                             xmlCharEncoding);
    xmlParserCtxtPtr (*xmlNewParserCtxt)(void);
    xmlParserInputPtr (*xmlNewStringInputStream)(xmlParserCtxtPtr, const xmlChar *);
    int (*xmlParseDocument)(xmlParserCtxtPtr);
    xmlParserInputBufferPtr (*xmlParserInputBufferCreateMem)(const char *, int, xmlCharEncoding);
    xmlParserInputBufferPtr (*xmlParserInputBufferCreateStatic)(const char *, int, xmlCharEncoding);
    void (*xmlSAX2StartElementNs)(void *, const xmlChar *, const xmlChar *, const xmlChar *, int,
                                  const xmlChar **, int, int, const xmlChar **);
    void (*xmlSchemaFree)(xmlSchemaPtr);
    void (*xmlSchemaFreeParserCtxt)(xmlSchemaParserCtxtPtr);
    void (*xmlSchemaFreeValidCtxt)(xmlSchemaValidCtxtPtr);
    xmlSchemaParserCtxtPtr (*xmlSchemaNewParserCtxt)(const char *);
    xmlSchemaValidCtxtPtr (*xmlSchemaNewValidCtxt)(xmlSchemaPtr);
    xmlSchemaPtr (*xmlSchemaParse)(xmlSchemaParserCtxtPtr);
    void (*xmlSchemaSetParserStructuredErrors)(xmlSchemaParserCtxtPtr, xmlStructuredErrorFunc,
                                               void *);
    void (*xmlSchemaSetValidStructuredErrors)(xmlSchemaValidCtxtPtr, xmlStructuredErrorFunc,
                                              void *);
    int (*xmlSchemaValidateDoc)(xmlSchemaValidCtxtPtr, xmlDocPtr);
    void (*xmlSetExternalEntityLoader)(xmlExternalEntityLoader);
    void (*xmlStopParser)(xmlParserCtxtPtr);
    int (*inputPush)(xmlParserCtxtPtr, xmlParserInputPtr);
} real;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool loaded;
static char load_error[512];

#define RESOLVE(name) dynlib_resolve(lib, #name, &real.name)

static void
load(void)
{
    /* Lazy: the functions below are resolved by name now, and the rest of
     * libxml2's own calls into ICU and libstdc++ (thousands of symbols, most
     * never called here) only when first called: 1.6 ms of the loader's
     * work saved at each start. */
    void *lib = dlopen(LIBXML2, RTLD_LAZY | RTLD_LOCAL);
    if (!lib) {
        snprintf(load_error, sizeof(load_error),
                 "cannot load the XML library that checks SSML: %s (install libxml2)", dlerror());
        return;
    }
    loaded = RESOLVE(xmlCtxtReset) && RESOLVE(xmlCtxtUseOptions) && RESOLVE(xmlDictSize) &&
             RESOLVE(xmlDocGetRootElement) && RESOLVE(xmlFreeDoc) && RESOLVE(xmlFreeInputStream) &&
             RESOLVE(xmlFreeParserCtxt) && RESOLVE(xmlFreeParserInputBuffer) &&
             RESOLVE(xmlGetExternalEntityLoader) && RESOLVE(xmlInitParser) &&
             RESOLVE(xmlIsBlankNode) && RESOLVE(xmlNewIOInputStream) && RESOLVE(xmlNewParserCtxt) &&
             RESOLVE(xmlNewStringInputStream) && RESOLVE(xmlParseDocument) &&
             RESOLVE(xmlParserInputBufferCreateMem) && RESOLVE(xmlParserInputBufferCreateStatic) &&
             RESOLVE(xmlSAX2StartElementNs) && RESOLVE(xmlSchemaFree) &&
             RESOLVE(xmlSchemaFreeParserCtxt) && RESOLVE(xmlSchemaFreeValidCtxt) &&
             RESOLVE(xmlSchemaNewParserCtxt) && RESOLVE(xmlSchemaNewValidCtxt) &&
             RESOLVE(xmlSchemaParse) && RESOLVE(xmlSchemaSetParserStructuredErrors) &&
             RESOLVE(xmlSchemaSetValidStructuredErrors) && RESOLVE(xmlSchemaValidateDoc) &&
             RESOLVE(xmlSetExternalEntityLoader) && RESOLVE(xmlStopParser) && RESOLVE(inputPush);
    if (!loaded)
        snprintf(load_error, sizeof(load_error),
                 "%s is not a libxml2 the SSML check can use: %s (install libxml2)", LIBXML2,
                 dlerror());
}

static bool
ready(void)
{
    return pthread_once(&once, load) == 0 && loaded;
}

const char *
xmllib_error(void)
{
    if (ready())
        return NULL;
    return load_error[0] ? load_error : "cannot load the XML library that checks SSML";
}

/* --- the functions, in the order of the table --------------------------- */

void
xmlCtxtReset(xmlParserCtxtPtr ctxt)
{
    if (ready())
        real.xmlCtxtReset(ctxt);
}

int
xmlCtxtUseOptions(xmlParserCtxtPtr ctxt, int options)
{
    return ready() ? real.xmlCtxtUseOptions(ctxt, options) : -1;
}

int
xmlDictSize(xmlDictPtr dict)
{
    return ready() ? real.xmlDictSize(dict) : -1;
}

xmlNodePtr
xmlDocGetRootElement(const xmlDoc *doc)
{
    return ready() ? real.xmlDocGetRootElement(doc) : NULL;
}

void
xmlFreeDoc(xmlDocPtr cur)
{
    if (ready())
        real.xmlFreeDoc(cur);
}

void
xmlFreeInputStream(xmlParserInputPtr input)
{
    if (ready())
        real.xmlFreeInputStream(input);
}

void
xmlFreeParserCtxt(xmlParserCtxtPtr ctxt)
{
    if (ready())
        real.xmlFreeParserCtxt(ctxt);
}

void
xmlFreeParserInputBuffer(xmlParserInputBufferPtr in)
{
    if (ready())
        real.xmlFreeParserInputBuffer(in);
}

xmlExternalEntityLoader
xmlGetExternalEntityLoader(void)
{
    return ready() ? real.xmlGetExternalEntityLoader() : NULL;
}

void
xmlInitParser(void)
{
    if (ready())
        real.xmlInitParser();
}

int
xmlIsBlankNode(const xmlNode *node)
{
    return ready() ? real.xmlIsBlankNode(node) : 0;
}

xmlParserInputPtr
xmlNewIOInputStream(xmlParserCtxtPtr ctxt, xmlParserInputBufferPtr input, xmlCharEncoding enc)
{
    return ready() ? real.xmlNewIOInputStream(ctxt, input, enc) : NULL;
}

xmlParserCtxtPtr
xmlNewParserCtxt(void)
{
    return ready() ? real.xmlNewParserCtxt() : NULL;
}

xmlParserInputPtr
xmlNewStringInputStream(xmlParserCtxtPtr ctxt, const xmlChar *buffer)
{
    return ready() ? real.xmlNewStringInputStream(ctxt, buffer) : NULL;
}

int
xmlParseDocument(xmlParserCtxtPtr ctxt)
{
    return ready() ? real.xmlParseDocument(ctxt) : -1;
}

xmlParserInputBufferPtr
xmlParserInputBufferCreateMem(const char *mem, int size, xmlCharEncoding enc)
{
    return ready() ? real.xmlParserInputBufferCreateMem(mem, size, enc) : NULL;
}

xmlParserInputBufferPtr
xmlParserInputBufferCreateStatic(const char *mem, int size, xmlCharEncoding enc)
{
    return ready() ? real.xmlParserInputBufferCreateStatic(mem, size, enc) : NULL;
}

void
xmlSAX2StartElementNs(void *ctx, const xmlChar *localname, const xmlChar *prefix,
                      const xmlChar *URI, int nb_namespaces, const xmlChar **namespaces,
                      int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
    if (ready())
        real.xmlSAX2StartElementNs(ctx, localname, prefix, URI, nb_namespaces, namespaces,
                                   nb_attributes, nb_defaulted, attributes);
}

void
xmlSchemaFree(xmlSchemaPtr schema)
{
    if (ready())
        real.xmlSchemaFree(schema);
}

void
xmlSchemaFreeParserCtxt(xmlSchemaParserCtxtPtr ctxt)
{
    if (ready())
        real.xmlSchemaFreeParserCtxt(ctxt);
}

void
xmlSchemaFreeValidCtxt(xmlSchemaValidCtxtPtr ctxt)
{
    if (ready())
        real.xmlSchemaFreeValidCtxt(ctxt);
}

xmlSchemaParserCtxtPtr
xmlSchemaNewParserCtxt(const char *URL)
{
    return ready() ? real.xmlSchemaNewParserCtxt(URL) : NULL;
}

xmlSchemaValidCtxtPtr
xmlSchemaNewValidCtxt(xmlSchemaPtr schema)
{
    return ready() ? real.xmlSchemaNewValidCtxt(schema) : NULL;
}

xmlSchemaPtr
xmlSchemaParse(xmlSchemaParserCtxtPtr ctxt)
{
    return ready() ? real.xmlSchemaParse(ctxt) : NULL;
}

void
xmlSchemaSetParserStructuredErrors(xmlSchemaParserCtxtPtr ctxt, xmlStructuredErrorFunc serror,
                                   void *ctx)
{
    if (ready())
        real.xmlSchemaSetParserStructuredErrors(ctxt, serror, ctx);
}

void
xmlSchemaSetValidStructuredErrors(xmlSchemaValidCtxtPtr ctxt, xmlStructuredErrorFunc serror,
                                  void *ctx)
{
    if (ready())
        real.xmlSchemaSetValidStructuredErrors(ctxt, serror, ctx);
}

int
xmlSchemaValidateDoc(xmlSchemaValidCtxtPtr ctxt, xmlDocPtr instance)
{
    return ready() ? real.xmlSchemaValidateDoc(ctxt, instance) : -1;
}

void
xmlSetExternalEntityLoader(xmlExternalEntityLoader f)
{
    if (ready())
        real.xmlSetExternalEntityLoader(f);
}

void
xmlStopParser(xmlParserCtxtPtr ctxt)
{
    if (ready())
        real.xmlStopParser(ctxt);
}

int
inputPush(xmlParserCtxtPtr ctxt, xmlParserInputPtr value)
{
    return ready() ? real.inputPush(ctxt, value) : -1;
}
