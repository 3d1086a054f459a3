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
    void (*CtxtReset)(xmlParserCtxtPtr);
    int (*CtxtUseOptions)(xmlParserCtxtPtr, int);
    int (*DictSize)(xmlDictPtr);
    xmlNodePtr (*DocGetRootElement)(const xmlDoc *);
    void (*FreeDoc)(xmlDocPtr);
    void (*FreeInputStream)(xmlParserInputPtr);
    void (*FreeParserCtxt)(xmlParserCtxtPtr);
    void (*FreeParserInputBuffer)(xmlParserInputBufferPtr);
    xmlExternalEntityLoader (*GetExternalEntityLoader)(void);
    void (*InitParser)(void);
    int (*IsBlankNode)(const xmlNode *);
    xmlParserInputPtr (*NewIOInputStream)(xmlParserCtxtPtr, xmlParserInputBufferPtr,
                                          xmlCharEncoding);
    xmlParserCtxtPtr (*NewParserCtxt)(void);
    xmlParserInputPtr (*NewStringInputStream)(xmlParserCtxtPtr, const xmlChar *);
    int (*ParseDocument)(xmlParserCtxtPtr);
    xmlParserInputBufferPtr (*ParserInputBufferCreateMem)(const char *, int, xmlCharEncoding);
    xmlParserInputBufferPtr (*ParserInputBufferCreateStatic)(const char *, int, xmlCharEncoding);
    void (*SAX2StartElementNs)(void *, const xmlChar *, const xmlChar *, const xmlChar *, int,
                               const xmlChar **, int, int, const xmlChar **);
    void (*SchemaFree)(xmlSchemaPtr);
    void (*SchemaFreeParserCtxt)(xmlSchemaParserCtxtPtr);
    void (*SchemaFreeValidCtxt)(xmlSchemaValidCtxtPtr);
    xmlSchemaParserCtxtPtr (*SchemaNewParserCtxt)(const char *);
    xmlSchemaValidCtxtPtr (*SchemaNewValidCtxt)(xmlSchemaPtr);
    xmlSchemaPtr (*SchemaParse)(xmlSchemaParserCtxtPtr);
    void (*SchemaSetParserStructuredErrors)(xmlSchemaParserCtxtPtr, xmlStructuredErrorFunc, void *);
    void (*SchemaSetValidStructuredErrors)(xmlSchemaValidCtxtPtr, xmlStructuredErrorFunc, void *);
    int (*SchemaValidateDoc)(xmlSchemaValidCtxtPtr, xmlDocPtr);
    void (*SetExternalEntityLoader)(xmlExternalEntityLoader);
    void (*StopParser)(xmlParserCtxtPtr);
    int (*inputPush)(xmlParserCtxtPtr, xmlParserInputPtr);
} real;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool loaded;
static char load_error[512];

#define RESOLVE(name) dynlib_resolve(lib, "xml" #name, &real.name)

static void
load(void)
{
    void *lib = dlopen(LIBXML2, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(load_error, sizeof(load_error),
                 "cannot load the XML library that checks SSML: %s (install libxml2)", dlerror());
        return;
    }
    loaded = RESOLVE(CtxtReset) && RESOLVE(CtxtUseOptions) && RESOLVE(DictSize) &&
             RESOLVE(DocGetRootElement) && RESOLVE(FreeDoc) && RESOLVE(FreeInputStream) &&
             RESOLVE(FreeParserCtxt) && RESOLVE(FreeParserInputBuffer) &&
             RESOLVE(GetExternalEntityLoader) && RESOLVE(InitParser) && RESOLVE(IsBlankNode) &&
             RESOLVE(NewIOInputStream) && RESOLVE(NewParserCtxt) && RESOLVE(NewStringInputStream) &&
             RESOLVE(ParseDocument) && RESOLVE(ParserInputBufferCreateMem) &&
             RESOLVE(ParserInputBufferCreateStatic) && RESOLVE(SAX2StartElementNs) &&
             RESOLVE(SchemaFree) && RESOLVE(SchemaFreeParserCtxt) && RESOLVE(SchemaFreeValidCtxt) &&
             RESOLVE(SchemaNewParserCtxt) && RESOLVE(SchemaNewValidCtxt) && RESOLVE(SchemaParse) &&
             RESOLVE(SchemaSetParserStructuredErrors) && RESOLVE(SchemaSetValidStructuredErrors) &&
             RESOLVE(SchemaValidateDoc) && RESOLVE(SetExternalEntityLoader) &&
             RESOLVE(StopParser) && dynlib_resolve(lib, "inputPush", &real.inputPush);
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
        real.CtxtReset(ctxt);
}

int
xmlCtxtUseOptions(xmlParserCtxtPtr ctxt, int options)
{
    return ready() ? real.CtxtUseOptions(ctxt, options) : -1;
}

int
xmlDictSize(xmlDictPtr dict)
{
    return ready() ? real.DictSize(dict) : -1;
}

xmlNodePtr
xmlDocGetRootElement(const xmlDoc *doc)
{
    return ready() ? real.DocGetRootElement(doc) : NULL;
}

void
xmlFreeDoc(xmlDocPtr cur)
{
    if (ready())
        real.FreeDoc(cur);
}

void
xmlFreeInputStream(xmlParserInputPtr input)
{
    if (ready())
        real.FreeInputStream(input);
}

void
xmlFreeParserCtxt(xmlParserCtxtPtr ctxt)
{
    if (ready())
        real.FreeParserCtxt(ctxt);
}

void
xmlFreeParserInputBuffer(xmlParserInputBufferPtr in)
{
    if (ready())
        real.FreeParserInputBuffer(in);
}

xmlExternalEntityLoader
xmlGetExternalEntityLoader(void)
{
    return ready() ? real.GetExternalEntityLoader() : NULL;
}

void
xmlInitParser(void)
{
    if (ready())
        real.InitParser();
}

int
xmlIsBlankNode(const xmlNode *node)
{
    return ready() ? real.IsBlankNode(node) : 0;
}

xmlParserInputPtr
xmlNewIOInputStream(xmlParserCtxtPtr ctxt, xmlParserInputBufferPtr input, xmlCharEncoding enc)
{
    return ready() ? real.NewIOInputStream(ctxt, input, enc) : NULL;
}

xmlParserCtxtPtr
xmlNewParserCtxt(void)
{
    return ready() ? real.NewParserCtxt() : NULL;
}

xmlParserInputPtr
xmlNewStringInputStream(xmlParserCtxtPtr ctxt, const xmlChar *buffer)
{
    return ready() ? real.NewStringInputStream(ctxt, buffer) : NULL;
}

int
xmlParseDocument(xmlParserCtxtPtr ctxt)
{
    return ready() ? real.ParseDocument(ctxt) : -1;
}

xmlParserInputBufferPtr
xmlParserInputBufferCreateMem(const char *mem, int size, xmlCharEncoding enc)
{
    return ready() ? real.ParserInputBufferCreateMem(mem, size, enc) : NULL;
}

xmlParserInputBufferPtr
xmlParserInputBufferCreateStatic(const char *mem, int size, xmlCharEncoding enc)
{
    return ready() ? real.ParserInputBufferCreateStatic(mem, size, enc) : NULL;
}

void
xmlSAX2StartElementNs(void *ctx, const xmlChar *localname, const xmlChar *prefix,
                      const xmlChar *URI, int nb_namespaces, const xmlChar **namespaces,
                      int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
    if (ready())
        real.SAX2StartElementNs(ctx, localname, prefix, URI, nb_namespaces, namespaces,
                                nb_attributes, nb_defaulted, attributes);
}

void
xmlSchemaFree(xmlSchemaPtr schema)
{
    if (ready())
        real.SchemaFree(schema);
}

void
xmlSchemaFreeParserCtxt(xmlSchemaParserCtxtPtr ctxt)
{
    if (ready())
        real.SchemaFreeParserCtxt(ctxt);
}

void
xmlSchemaFreeValidCtxt(xmlSchemaValidCtxtPtr ctxt)
{
    if (ready())
        real.SchemaFreeValidCtxt(ctxt);
}

xmlSchemaParserCtxtPtr
xmlSchemaNewParserCtxt(const char *URL)
{
    return ready() ? real.SchemaNewParserCtxt(URL) : NULL;
}

xmlSchemaValidCtxtPtr
xmlSchemaNewValidCtxt(xmlSchemaPtr schema)
{
    return ready() ? real.SchemaNewValidCtxt(schema) : NULL;
}

xmlSchemaPtr
xmlSchemaParse(xmlSchemaParserCtxtPtr ctxt)
{
    return ready() ? real.SchemaParse(ctxt) : NULL;
}

void
xmlSchemaSetParserStructuredErrors(xmlSchemaParserCtxtPtr ctxt, xmlStructuredErrorFunc serror,
                                   void *ctx)
{
    if (ready())
        real.SchemaSetParserStructuredErrors(ctxt, serror, ctx);
}

void
xmlSchemaSetValidStructuredErrors(xmlSchemaValidCtxtPtr ctxt, xmlStructuredErrorFunc serror,
                                  void *ctx)
{
    if (ready())
        real.SchemaSetValidStructuredErrors(ctxt, serror, ctx);
}

int
xmlSchemaValidateDoc(xmlSchemaValidCtxtPtr ctxt, xmlDocPtr instance)
{
    return ready() ? real.SchemaValidateDoc(ctxt, instance) : -1;
}

void
xmlSetExternalEntityLoader(xmlExternalEntityLoader f)
{
    if (ready())
        real.SetExternalEntityLoader(f);
}

void
xmlStopParser(xmlParserCtxtPtr ctxt)
{
    if (ready())
        real.StopParser(ctxt);
}

int
inputPush(xmlParserCtxtPtr ctxt, xmlParserInputPtr value)
{
    return ready() ? real.inputPush(ctxt, value) : -1;
}
