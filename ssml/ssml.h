/*
 * ssml.h - Alexa SSML: escaping text and validating documents.
 *
 * The schema is compiled once per process (ssml_init) and used read-only
 * afterwards, so ssml_check() may be called from any thread at once.
 */
#ifndef SKILLSERVER_SSML_H
#define SKILLSERVER_SSML_H

#include <stddef.h>

/* Where a document will be spoken: the limits differ (audio 240 s vs 90 s). */
enum ssml_where { SSML_SPEECH, SSML_REPROMPT };

#define SSML_MAX_ERRORS 8

struct ssml_problem {
    int line;   /* 1-based line in the checked document, 0 when not known */
    int column; /* 1-based column, 0 when not known */
    char message[256];
};

struct ssml_report {
    int count; /* problems found; only the first SSML_MAX_ERRORS are kept */
    struct ssml_problem problems[SSML_MAX_ERRORS];
};

/* Compile the schema. Call once before threads start; returns 0 or -1. Later
 * calls are no-ops. ssml_check() calls it itself when it was not called. */
int ssml_init(void);

/* Free the schema at exit (for leak checkers). */
void ssml_shutdown(void);

/*
 * Validate doc[0..len), a complete <speak>...</speak> document. Returns 0 when
 * valid, 1 when invalid (problems in report, which may be NULL), -1 when the
 * check itself failed (out of memory; a problem says so).
 */
int ssml_check(const char *doc, size_t len, enum ssml_where where, struct ssml_report *report);

/*
 * Escape text for use as SSML character data: & < > " ' become entities and
 * characters XML 1.0 forbids are dropped. Writes at most cap bytes including
 * the NUL to out. Returns the length the escaped text needs (without the NUL):
 * a result >= cap means out was too small and holds a truncated prefix.
 */
size_t ssml_escape(const char *text, size_t len, char *out, size_t cap);

#endif
