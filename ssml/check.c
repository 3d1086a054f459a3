/*
 * check.c - SSML validation (well-formedness only until the schema lands).
 */
#include "ssml.h"

#include <libxml/parser.h>
#include <stdio.h>
#include <string.h>

int
ssml_init(void)
{
    return 0;
}

void
ssml_shutdown(void)
{
}

int
ssml_check(const char *doc, size_t len, enum ssml_where where, struct ssml_report *report)
{
    (void)where;
    xmlDocPtr d = xmlReadMemory(doc, (int)len, "ssml", "UTF-8",
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    int bad = d == NULL || xmlDocGetRootElement(d) == NULL ||
              strcmp((const char *)xmlDocGetRootElement(d)->name, "speak") != 0;
    if (report) {
        report->count = bad;
        if (bad) {
            report->problems[0].line = 0;
            report->problems[0].column = 0;
            snprintf(report->problems[0].message, sizeof(report->problems[0].message),
                     "not a well-formed <speak> document");
        }
    }
    xmlFreeDoc(d);
    return bad;
}
