/*
 * ssml.h - Alexa SSML: escaping text and validating documents, and the one
 * list of the tags Alexa's dialect has.
 *
 * The schema (ssml/alexa-ssml.xsd and its imports, compiled into the
 * library) is compiled once per process (ssml_init) and used read-only
 * afterwards; each thread parses and validates with libxml2 contexts of its
 * own, so ssml_check() may be called from any thread at once. Problems are
 * sentences that name the tag or attribute and what would be valid, with the
 * line and column (in characters) of the original document.
 */
#ifndef SKILLSERVER_SSML_H
#define SKILLSERVER_SSML_H

#include <stdbool.h>
#include <stddef.h>

struct buf;

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
    /* Filled by a check that got past the schema, for limits that span the
     * outputSpeech and the reprompt together (LIMIT_SSML_AUDIO_TAGS): */
    int audio_count;     /* <audio> tags in the document */
    long audio_known_ms; /* summed durations of registered audio files */
};

/* Compile the schema. Call once before threads start; returns 0 or -1. Later
 * calls are no-ops. ssml_check() calls it itself when it was not called. */
int ssml_init(void);

/* ssml_init() on a thread of its own, which loads libxml2 (ssml/xmllib.c)
 * and compiles the schema while the caller goes on: invoke starts its
 * skill meanwhile, and its answer's check finds both ready. Any thread
 * may call it, more than once; the process calls ssml_preload_wait()
 * before it exits (it waits for that thread, if it is still at work, and
 * no preload starts after it). */
void ssml_preload(void);
void ssml_preload_wait(void);

/* Whether the ssml_preload() thread is still at work (false once it has
 * finished, or when none was started). A process that needs no check may
 * then end with _exit() instead of waiting: exit's destructors are what
 * must not run under that thread. */
bool ssml_preload_busy(void);

/* Free the schema and the audio table at exit (for leak checkers). No
 * ssml_check() may run at the same time. */
void ssml_shutdown(void);

/*
 * Validate doc[0..len), a complete <speak>...</speak> document. Returns 0 when
 * valid, 1 when invalid (problems in report, which may be NULL), -1 when the
 * check itself failed (out of memory; a problem says so).
 *
 * Each thread remembers the last documents it found valid
 * (LIMIT_SSML_MEMO_ENTRIES of at most LIMIT_SSML_MEMO_BYTES): the same
 * bytes, for the same where and locale, under the same schema and audio
 * table, get the same verdict and audio counts again without libxml2. A
 * document is looked up by a hash and compared byte for byte; invalid
 * verdicts are not remembered.
 */
int ssml_check(const char *doc, size_t len, enum ssml_where where, struct ssml_report *report);

/*
 * ssml_check() with the locale of the request ("en-US"; NULL skips the
 * locale rules): amazon:emotion and amazon:domain styles exist only in some
 * locales (spec/ssml.md 4.15, 4.16). Same returns as ssml_check().
 */
int ssml_check_locale(const char *doc, size_t len, enum ssml_where where, const char *locale,
                      struct ssml_report *report);

/*
 * Tell the checker how long an audio file is, so that the per-file and
 * per-response duration limits can be enforced for it (remote files cannot
 * be measured at response time; unregistered files count as 0 ms). Call
 * before threads start, like ssml_init(); src is copied. Returns 0, or -1
 * when the table is full (LIMIT_SSML_AUDIO_REGISTRY) or out of memory.
 */
int ssml_audio_register(const char *src, long duration_ms);

/*
 * Write the report's problems to out, one line each, as
 * "NAME:LINE:COLUMN: MESSAGE\n" (the format of `skillserver ssml check`).
 * Same truncation contract as ssml_escape(): returns the length needed.
 */
size_t ssml_report_format(const struct ssml_report *report, const char *name, char *out,
                          size_t cap);

/*
 * Escape text for use as SSML character data: & < > " ' become entities and
 * characters XML 1.0 forbids are dropped. Writes at most cap bytes including
 * the NUL to out. Returns the length the escaped text needs (without the NUL):
 * a result >= cap means out was too small and holds a truncated prefix.
 */
size_t ssml_escape(const char *text, size_t len, char *out, size_t cap);

/*
 * ssml_escape() appended to b (buf.h), for text whose escaped length is not
 * known in advance. Returns false when b failed (its cap, out of memory);
 * b->err says which.
 */
bool ssml_escape_buf(struct buf *b, const char *text, size_t len);

/*
 * Decode the XML character reference at s[0..n) (s[0] == '&'): one of the
 * five predefined entities (&amp; &lt; &gt; &quot; &apos;) or a numeric one
 * (&#233; &#xE9;) naming a character XML allows. Writes its UTF-8 bytes to
 * out (1..4, *out_len says how many) and returns how many bytes of s it
 * took; 0 when s does not start with such a reference.
 */
size_t ssml_entity(const char *s, size_t n, char out[4], size_t *out_len);

/*
 * The tags of Alexa's SSML dialect, once: X(ID, "name"). The schema
 * (alexa-ssml.xsd) says where each may appear; the checker's messages
 * (rules.c) and the classroom's readers of speech (speech.c) name them
 * through this list.
 */
#define SSML_TAGS(X)                                                                               \
    X(SPEAK, "speak")                                                                              \
    X(P, "p")                                                                                      \
    X(S, "s")                                                                                      \
    X(BREAK, "break")                                                                              \
    X(EMPHASIS, "emphasis")                                                                        \
    X(PROSODY, "prosody")                                                                          \
    X(SAY_AS, "say-as")                                                                            \
    X(SUB, "sub")                                                                                  \
    X(PHONEME, "phoneme")                                                                          \
    X(W, "w")                                                                                      \
    X(LANG, "lang")                                                                                \
    X(VOICE, "voice")                                                                              \
    X(AUDIO, "audio")                                                                              \
    X(AMAZON_EFFECT, "amazon:effect")                                                              \
    X(AMAZON_EMOTION, "amazon:emotion")                                                            \
    X(AMAZON_DOMAIN, "amazon:domain")                                                              \
    X(ALEXA_NAME, "alexa:name")

enum ssml_tag {
    SSML_TAG_NONE, /* not a tag of Alexa's */
#define SSML_TAG_ENUM(id, name) SSML_TAG_##id,
    SSML_TAGS(SSML_TAG_ENUM)
#undef SSML_TAG_ENUM
        SSML_TAG__COUNT
};

/* The tag called name[0..len) ("amazon:effect": prefix included, case
 * counts), or SSML_TAG_NONE. */
enum ssml_tag ssml_tag_find(const char *name, size_t len);

/* "say-as" for SSML_TAG_SAY_AS; NULL for SSML_TAG_NONE or out of range. */
const char *ssml_tag_name(enum ssml_tag tag);

/* Length of the valid UTF-8 character at s[0..n), or 0 when the bytes are
 * not valid UTF-8 or encode a character XML 1.0 forbids (surrogates,
 * U+FFFE, U+FFFF). s[0] must exist (n >= 1). */
size_t ssml_utf8_char(const unsigned char *s, size_t n);

#endif
