/*
 * test_ssml.c - the SSML validator and escaper.
 *
 * Runs the data-driven corpus in tests/data/ssml (every valid document must
 * pass, every invalid one must fail with its expected message; the format
 * is in tests/data/ssml/README.md), then positions, limits, the audio
 * registry, the report format, escaping (into a buffer and into a struct
 * buf) and decoding character references, the list of Alexa's tags, and
 * several threads validating at once against answers computed on one thread.
 */
#include "buf.h"
#include "ss_limits.h"
#include "ssml.h"
#include "tap.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CORPUS SOURCE_ROOT "/tests/data/ssml"

struct corpus_doc {
    const char *doc; /* after the header lines */
    size_t len;
    char expects[4][256];
    int n_expects;
    char locale[16];
    enum ssml_where where;
};

/* Splits off the "<!-- key: value -->" header lines; returns 0 or -1. */
static int
parse_headers(char *text, size_t len, struct corpus_doc *d)
{
    memset(d, 0, sizeof(*d));
    d->where = SSML_SPEECH;
    while (len >= 5 && strncmp(text, "<!-- ", 5) == 0) {
        char *end = strstr(text, " -->\n");
        if (!end)
            return -1;
        *end = '\0';
        char *line = text + 5;
        size_t used = (size_t)(end - text) + 5;
        if (strncmp(line, "expect: ", 8) == 0 && d->n_expects < 4)
            snprintf(d->expects[d->n_expects++], sizeof(d->expects[0]), "%s", line + 8);
        else if (strncmp(line, "locale: ", 8) == 0)
            snprintf(d->locale, sizeof(d->locale), "%s", line + 8);
        else if (strcmp(line, "where: reprompt") == 0)
            d->where = SSML_REPROMPT;
        else if (strcmp(line, "where: speech") != 0 && strncmp(line, "note: ", 6) != 0)
            return -1;
        text += used;
        len -= used;
    }
    d->doc = text;
    d->len = len;
    return 0;
}

static int
name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every *.xml in CORPUS/kind; returns how many ran. */
static int
run_corpus(const char *kind, int want_valid)
{
    char dir[512];
    char *names[512];
    int n = 0, ran = 0;

    snprintf(dir, sizeof(dir), "%s/%s", CORPUS, kind);
    DIR *dp = opendir(dir);
    if (!ok(dp != NULL, "open %s", dir))
        return 0;
    struct dirent *e;
    while ((e = readdir(dp)) != NULL && n < 512) {
        size_t l = strlen(e->d_name);
        if (l > 4 && strcmp(e->d_name + l - 4, ".xml") == 0)
            names[n++] = strdup(e->d_name);
    }
    closedir(dp);
    qsort(names, (size_t)n, sizeof(names[0]), name_cmp);

    for (int i = 0; i < n; i++) {
        char path[1024];
        size_t len = 0;
        struct corpus_doc d;
        struct ssml_report r;

        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        char *text = names[i] ? tap_slurp(path, &len) : NULL;
        if (!ok(text != NULL, "read %s", path)) {
            free(names[i]);
            continue;
        }
        if (!ok(parse_headers(text, len, &d) == 0, "%s/%s: header lines are well-formed", kind,
                names[i]))
            goto next;
        int rc = ssml_check_locale(d.doc, d.len, d.where, d.locale[0] ? d.locale : NULL, &r);
        if (want_valid) {
            if (!ok(rc == 0, "valid/%s passes", names[i]))
                for (int k = 0; k < r.count && k < SSML_MAX_ERRORS; k++)
                    printf("#   %d:%d: %s\n", r.problems[k].line, r.problems[k].column,
                           r.problems[k].message);
        } else {
            ok(d.n_expects > 0, "invalid/%s says what it expects", names[i]);
            int all = rc == 1;
            for (int x = 0; x < d.n_expects; x++) {
                int found = 0;
                for (int k = 0; k < r.count && k < SSML_MAX_ERRORS; k++)
                    if (strstr(r.problems[k].message, d.expects[x]))
                        found = 1;
                all = all && found;
            }
            if (!ok(all, "invalid/%s fails with its message", names[i])) {
                printf("#   rc %d, expected: %s\n", rc, d.expects[0]);
                for (int k = 0; k < r.count && k < SSML_MAX_ERRORS; k++)
                    printf("#   got %d:%d: %s\n", r.problems[k].line, r.problems[k].column,
                           r.problems[k].message);
            }
            /* Every problem of a document that parsed has a position. */
            for (int k = 0; k < r.count && k < SSML_MAX_ERRORS; k++)
                if (r.problems[k].line == 0 && strstr(r.problems[k].message, "empty") == NULL)
                    ok(0, "invalid/%s: problem %d has a line number", names[i], k);
        }
        ran++;
    next:
        free(text);
        free(names[i]);
    }
    return ran;
}

static int
check_str(const char *doc, struct ssml_report *r)
{
    return ssml_check(doc, strlen(doc), SSML_SPEECH, r);
}

static void
test_positions(void)
{
    struct ssml_report r;

    /* Line and column of the offending tag, on a later line. */
    is_int(check_str("<speak>\n  <p>Hi</p>\n  <prosody rate=\"speedy\">x</prosody>\n</speak>", &r),
           1, "bad rate on line 3");
    is_int(r.problems[0].line, 3, "line of the attribute");
    is_int(r.problems[0].column, 12, "column of the attribute (rate=)");
    is_str(r.problems[0].message,
           "prosody rate must be x-slow, slow, medium, fast, x-fast or a percentage such as 90%, "
           "got 'speedy'",
           "the rate message names the tag, attribute, valid values and the value");

    /* Columns on the <speak> line are those of the original, not of the
     * copy with injected namespace declarations. */
    is_int(check_str("<speak>ab <mark/></speak>", &r), 1, "mark after speak");
    is_int(r.problems[0].line, 1, "mark line");
    is_int(r.problems[0].column, 11, "mark column");

    is_int(check_str("<speak>Fish & chips</speak>", &r), 1, "bare ampersand");
    is_int(r.problems[0].line, 1, "ampersand line");
    ok(r.problems[0].column >= 13 && r.problems[0].column <= 14, "ampersand column (%d)",
       r.problems[0].column);

    is_int(check_str("<speak>\n<amazon:effect name=\"shout\">x</amazon:effect></speak>", &r), 1,
           "bad effect name");
    is_int(r.problems[0].line, 2, "effect line");
    is_int(r.problems[0].column, 16, "effect name= column");

    /* Columns count characters, not bytes. */
    is_int(check_str("<speak>héé <mark/></speak>", &r), 1, "mark after accents");
    is_int(r.problems[0].column, 12, "column in characters");
}

static void
test_limits(void)
{
    struct ssml_report r;
    size_t big = LIMIT_SSML_PARSE_BYTES + 10;
    char *doc = malloc(big + 1);

    if (!ok(doc != NULL, "allocate"))
        return;
    memset(doc, 'a', big);
    memcpy(doc, "<speak>", 7);
    memcpy(doc + big - 8, "</speak>", 8);
    doc[big] = '\0';
    is_int(ssml_check(doc, big, SSML_SPEECH, &r), 1, "over the parse limit is invalid");
    is_int(r.count, 1, "only the length is reported");
    contains(r.problems[0].message, "Alexa allows 8000", "length message");
    free(doc);

    /* NULL report, NULL document. */
    is_int(ssml_check("<speak>ok</speak>", 17, SSML_SPEECH, NULL), 0, "NULL report is allowed");
    is_int(ssml_check(NULL, 0, SSML_SPEECH, &r), 1, "NULL document is invalid");
    contains(r.problems[0].message, "empty", "NULL document message");

    /* Embedded NUL bytes. */
    is_int(ssml_check("<speak>a\0b</speak>", 18, SSML_SPEECH, &r), 1, "NUL byte is invalid");

    /* More problems than the report keeps. */
    char many[2048] = "<speak>";
    for (int i = 0; i < 12; i++)
        strcat(many, "<break time=\"20s\"/>x");
    strcat(many, "</speak>");
    is_int(check_str(many, &r), 1, "twelve bad breaks");
    is_int(r.count, 12, "all twelve counted");
    char out[4096];
    size_t need = ssml_report_format(&r, "doc", out, sizeof(out));
    ok(need < sizeof(out), "report fits");
    contains(out, "doc: 4 more problems not shown", "report says what it left out");
    ok(strncmp(out, "doc:1:15: break time must be at most 10s", 40) == 0,
       "report lines are NAME:LINE:COLUMN: MESSAGE");
    char tiny[16];
    is_int(ssml_report_format(&r, "doc", tiny, sizeof(tiny)), need,
           "format returns the length needed");
    is_int(strlen(tiny), sizeof(tiny) - 1, "format truncates and terminates");

    /* Audio counts are reported for the cross-document limit. */
    is_int(check_str("<speak><audio src=\"https://a.example/x.mp3\"/><audio "
                     "src=\"https://a.example/y.mp3\"/></speak>",
                     &r),
           0, "two audio tags");
    is_int(r.audio_count, 2, "audio_count");
}

static void
test_audio_registry(void)
{
    struct ssml_report r;
    const char *one = "<speak><audio src=\"https://a.example/long.mp3\"/></speak>";
    const char *two = "<speak><audio src=\"https://a.example/a.mp3\"/> <audio "
                      "src=\"https://a.example/b.mp3\"/></speak>";

    is_int(ssml_audio_register("https://a.example/long.mp3", 241000), 0, "register long");
    is_int(ssml_audio_register("https://a.example/a.mp3", 50000), 0, "register a");
    is_int(ssml_audio_register("https://a.example/b.mp3", 50000), 0, "register b");
    is_int(ssml_audio_register(NULL, 1), -1, "register NULL fails");

    is_int(check_str(one, &r), 1, "a 241 s file is too long");
    contains(r.problems[0].message, "at most 240s per file", "per-file message");
    is_int(check_str(two, &r), 0, "100 s of audio is fine in an outputSpeech");
    is_int(r.audio_known_ms, 100000, "audio_known_ms");
    is_int(ssml_check(two, strlen(two), SSML_REPROMPT, &r), 1, "100 s is too long for a reprompt");
    contains(r.problems[0].message, "at most 90s of audio in a reprompt", "reprompt message");
    is_int(ssml_audio_register("https://a.example/b.mp3", 10000), 0, "re-register b shorter");
    is_int(ssml_check(two, strlen(two), SSML_REPROMPT, &r), 0, "60 s fits a reprompt");
}

/* The memo of valid documents gives every check the verdict a first check
 * would: for the same bytes only, per where, per locale, per audio table. */
static void
test_memo(void)
{
    struct ssml_report r, again;
    const char *doc = "<speak>Hello <break time=\"200ms\"/> there.</speak>";
    const char *emotion = "<speak><amazon:emotion name=\"excited\" intensity=\"high\">Yes!"
                          "</amazon:emotion></speak>";
    const char *bad = "<speak><break time=\"20s\"/></speak>";
    const char *audio = "<speak><audio src=\"https://a.example/memo.mp3\"/></speak>";

    is_int(check_str(doc, &r), 0, "memo: valid");
    is_int(check_str(doc, &again), 0, "memo: valid again");
    ok(memcmp(&r, &again, sizeof(r)) == 0, "memo: the same report");
    char copy[128];
    snprintf(copy, sizeof(copy), "%s", doc);
    *strstr(copy, "200ms") = 'x';
    is_int(check_str(copy, &r), 1, "memo: one byte changed is checked anew (and is invalid)");

    is_int(ssml_check_locale(emotion, strlen(emotion), SSML_SPEECH, "en-US", &r), 0,
           "memo: amazon:emotion in en-US");
    is_int(ssml_check_locale(emotion, strlen(emotion), SSML_SPEECH, "fr-FR", &r), 1,
           "memo: not in fr-FR, although remembered for en-US");
    is_int(ssml_check_locale(emotion, strlen(emotion), SSML_SPEECH, "en-US", &r), 0,
           "memo: en-US again");

    is_int(check_str(bad, &r), 1, "memo: invalid");
    is_int(check_str(bad, &again), 1, "memo: invalid again");
    ok(again.count == r.count && strcmp(again.problems[0].message, r.problems[0].message) == 0,
       "memo: the same problems");

    is_int(ssml_audio_register("https://a.example/memo.mp3", 100000), 0, "memo: register 100 s");
    is_int(ssml_check(audio, strlen(audio), SSML_SPEECH, &r), 0, "memo: 100 s in speech");
    is_int(r.audio_known_ms, 100000, "memo: 100 s counted");
    is_int(ssml_check(audio, strlen(audio), SSML_REPROMPT, &r), 1,
           "memo: too long for a reprompt, although remembered for speech");
    is_int(ssml_audio_register("https://a.example/memo.mp3", 30000), 0, "memo: now 30 s");
    is_int(ssml_check(audio, strlen(audio), SSML_SPEECH, &r), 0, "memo: speech again");
    is_int(r.audio_known_ms, 30000, "memo: the new duration, not the remembered one");
    is_int(r.audio_count, 1, "memo: one audio");
    is_int(ssml_check(audio, strlen(audio), SSML_REPROMPT, &r), 0, "memo: 30 s fits a reprompt");
}

static void
test_escape(void)
{
    char out[128];
    struct ssml_report r;
    const char *text = "Tom & Jerry say \"<hi>\" 'now'";
    size_t n = ssml_escape(text, strlen(text), out, sizeof(out));

    is_str(out, "Tom &amp; Jerry say &quot;&lt;hi&gt;&quot; &apos;now&apos;", "escapes all five");
    is_int(n, strlen(out), "returns the length");

    char doc[256];
    snprintf(doc, sizeof(doc), "<speak>%s</speak>", out);
    is_int(check_str(doc, &r), 0, "escaped text is valid SSML");

    const char ctl[] = "a\x01"
                       "b\tc\x1f"
                       "d\xff"
                       "e\xc3\xa9"
                       "f\xed\xa0\x80"
                       "g\xef\xbf\xbe";
    ssml_escape(ctl, sizeof(ctl) - 1, out, sizeof(out));
    is_str(out,
           "ab\tcde\xc3\xa9"
           "fg",
           "drops control bytes, invalid UTF-8, surrogates and U+FFFE");
    snprintf(doc, sizeof(doc), "<speak>%s</speak>", out);
    is_int(check_str(doc, &r), 0, "cleaned text is valid SSML");

    char small[6];
    n = ssml_escape("a&b", 3, small, sizeof(small));
    is_int(n, 7, "needs 7 bytes for a&amp;b");
    is_int(strlen(small), 5, "truncated to the buffer");
    is_int(ssml_escape("x", 1, NULL, 0), 1, "cap 0 only measures");
    is_int(ssml_escape("", 0, out, sizeof(out)), 0, "empty text");
    is_str(out, "", "empty output");
    is_int(ssml_escape("\xf0\x9f\x98\x80", 4, out, sizeof(out)), 4, "keeps 4-byte characters");
}

static void
test_escape_buf(void)
{
    struct buf b = BUF_INIT(64);
    ok(ssml_escape_buf(&b, "Tom & 'Jerry'", 13), "escapes into a buf");
    is_str(buf_str(&b), "Tom &amp; &apos;Jerry&apos;", "the same entities as ssml_escape");
    ok(ssml_escape_buf(&b, "\x01<\xff", 3), "appends");
    is_str(buf_str(&b), "Tom &amp; &apos;Jerry&apos;&lt;", "drops what XML forbids");
    buf_reset(&b);

    struct buf small = BUF_INIT(8);
    ok(!ssml_escape_buf(&small, "a&b&c", 5), "past the cap fails");
    is_int(small.err, SS_ERR_TOO_LARGE, "with the buffer's error");
    ok(!ssml_escape_buf(&small, "x", 1), "and stays failed");
    buf_reset(&small);
}

static void
entity(const char *s, const char *want, size_t want_took)
{
    char out[4];
    size_t len = 99, took = ssml_entity(s, strlen(s), out, &len);
    char got[5] = "";
    if (took)
        memcpy(got, out, len < 4 ? len : 4), got[len < 4 ? len : 4] = '\0';
    is_int(took, want_took, "'%s' takes %zu bytes", s, want_took);
    if (want)
        is_str(took ? got : NULL, want, "'%s' is '%s'", s, want);
    else
        ok(took == 0 && len == 0, "'%s' is no reference", s);
}

static void
test_entity(void)
{
    entity("&amp;rest", "&", 5);
    entity("&lt;", "<", 4);
    entity("&gt;", ">", 4);
    entity("&quot;", "\"", 6);
    entity("&apos;s", "'", 6);
    entity("&#233;t", "\xc3\xa9", 6);
    entity("&#xE9;", "\xc3\xa9", 6);
    entity("&#x1F600;", "\xf0\x9f\x98\x80", 9);
    entity("&#9;", "\t", 4);
    entity("&nbsp;", NULL, 0);       /* HTML's, not XML's */
    entity("&amp", NULL, 0);         /* no ';' */
    entity("&#;", NULL, 0);          /* no digits */
    entity("&#x;", NULL, 0);         /* no digits */
    entity("&#1;", NULL, 0);         /* a control character XML forbids */
    entity("&#0;", NULL, 0);         /* NUL */
    entity("&#xD800;", NULL, 0);     /* a surrogate */
    entity("&#xFFFE;", NULL, 0);     /* not a character */
    entity("&#x110000;", NULL, 0);   /* past Unicode */
    entity("&#123456789;", NULL, 0); /* too many digits */
    entity("x&amp;", NULL, 0);       /* must start at '&' */
    char out[4];
    size_t len;
    is_int(ssml_entity("&amp;", 3, out, &len), 0, "only the bytes given are read");
}

static void
test_tags(void)
{
    is_int(ssml_tag_find("speak", 5), SSML_TAG_SPEAK, "speak");
    is_int(ssml_tag_find("amazon:effect", 13), SSML_TAG_AMAZON_EFFECT, "a prefixed tag");
    is_int(ssml_tag_find("say-asX", 6), SSML_TAG_SAY_AS, "by length");
    is_int(ssml_tag_find("Speak", 5), SSML_TAG_NONE, "case counts");
    is_int(ssml_tag_find("mark", 4), SSML_TAG_NONE, "SSML's mark is not Alexa's");
    is_int(ssml_tag_find("", 0), SSML_TAG_NONE, "no name");
    is_str(ssml_tag_name(SSML_TAG_ALEXA_NAME), "alexa:name", "name of a tag");
    ok(ssml_tag_name(SSML_TAG_NONE) == NULL && ssml_tag_name(SSML_TAG__COUNT) == NULL,
       "no name outside the list");

    /* The checker's list of tags is this list, and every tag in it is one
     * the checker knows (its message for a misplaced one is not "is not an
     * Alexa SSML tag"). */
    struct ssml_report r;
    const char *doc = "<speak><mark name=\"x\"/></speak>";
    ok(ssml_check(doc, strlen(doc), SSML_SPEECH, &r) == 1 && r.count >= 1, "mark is refused");
    char all[512] = "";
    for (int i = SSML_TAG_NONE + 1; i < SSML_TAG__COUNT; i++) {
        const char *name = ssml_tag_name((enum ssml_tag)i);
        snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s", i > 1 ? ", " : "", name);
        char in_p[128];
        snprintf(in_p, sizeof(in_p),
                 "<speak><say-as interpret-as=\"digits\"><%s/></say-as></speak>", name);
        struct ssml_report k;
        ssml_check(in_p, strlen(in_p), SSML_SPEECH, &k);
        ok(k.count >= 1 && !strstr(k.problems[0].message, "is not an Alexa SSML tag"),
           "<%s> is a tag the checker knows", name);
    }
    char want[600];
    snprintf(want, sizeof(want), "<mark> is not an Alexa SSML tag; the tags are %s", all);
    is_str(r.count ? r.problems[0].message : NULL, want, "the message lists every tag");
}

/* --- threads ------------------------------------------------------------- */

static const char *const thread_docs[] = {
    "<speak>Hello <break time=\"500ms\"/> world.</speak>",
    "<speak><prosody rate=\"speedy\">x</prosody></speak>",
    "<speak><amazon:effect name=\"whispered\"><p>psst</p></amazon:effect></speak>",
    "<speak>Fish & chips</speak>",
    "<speak><voice name=\"Brian\"><say-as interpret-as=\"interjection\">x</say-as></voice></speak>",
    "<speak><alexa:name type=\"first\" personId=\"amzn1.ask.person.X\"/></speak>",
    "<speak><p><p>x</p></p></speak>",
    "<speak><lang xml:lang=\"de-DE\">Hallo</lang></speak>",
};
#define N_THREAD_DOCS (sizeof(thread_docs) / sizeof(thread_docs[0]))

static struct ssml_report expected[N_THREAD_DOCS];
static int expected_rc[N_THREAD_DOCS];

struct worker {
    int id;
    int mismatches;
};

static void *
worker_run(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 3000; i++) {
        size_t k = (size_t)(i + w->id) % N_THREAD_DOCS;
        struct ssml_report r;
        int rc = ssml_check(thread_docs[k], strlen(thread_docs[k]), SSML_SPEECH, &r);
        if (rc != expected_rc[k] || r.count != expected[k].count ||
            (r.count > 0 && (strcmp(r.problems[0].message, expected[k].problems[0].message) != 0 ||
                             r.problems[0].column != expected[k].problems[0].column)))
            w->mismatches++;
    }
    return NULL;
}

static void
test_threads(void)
{
    enum { THREADS = 4 };
    pthread_t ids[THREADS];
    struct worker workers[THREADS];
    int started = 0, mismatches = 0;

    for (size_t k = 0; k < N_THREAD_DOCS; k++)
        expected_rc[k] =
            ssml_check(thread_docs[k], strlen(thread_docs[k]), SSML_SPEECH, &expected[k]);
    ok(expected_rc[0] == 0 && expected_rc[1] == 1 && expected_rc[3] == 1 && expected_rc[5] == 0,
       "thread documents have the expected single-thread results");
    for (int t = 0; t < THREADS; t++) {
        workers[t].id = t;
        workers[t].mismatches = 0;
        if (pthread_create(&ids[t], NULL, worker_run, &workers[t]) == 0)
            started++;
        else
            break;
    }
    is_int(started, THREADS, "started %d threads", THREADS);
    for (int t = 0; t < started; t++) {
        pthread_join(ids[t], NULL);
        mismatches += workers[t].mismatches;
    }
    is_int(mismatches, 0, "%d threads x 3000 checks agree with the single-thread answers", THREADS);
}

/* ssml_preload_busy() while the preload thread loads libxml2 and compiles
 * the schema, and after: a command that needs no check ends without waiting
 * for it (server/main.c, invoke). Runs first, before anything is loaded. */
static void
test_preload_busy(void)
{
    ok(!ssml_preload_busy(), "no preload started: not busy");
    ssml_preload();
    /* Loading libxml2 alone takes milliseconds. */
    ok(ssml_preload_busy(), "busy right after the preload starts");
    int waited_ms = 0;
    while (ssml_preload_busy() && waited_ms < 30000) {
        usleep(1000);
        waited_ms++;
    }
    ok(!ssml_preload_busy(), "not busy once it has finished (%d ms)", waited_ms);
    ssml_preload_wait();
    ok(!ssml_preload_busy(), "not busy after the wait");
}

int
main(void)
{
    /* The schema is compiled into the library: no file is needed at run time. */
    ok(chdir("/") == 0, "run from /");
    test_preload_busy();
    is_int(ssml_init(), 0, "ssml_init compiles the built-in schema");
    is_int(ssml_init(), 0, "ssml_init again is a no-op");

    int valid = run_corpus("valid", 1);
    int invalid = run_corpus("invalid", 0);
    ok(valid >= 60, "at least 60 valid documents (%d)", valid);
    ok(invalid >= 60, "at least 60 invalid documents (%d)", invalid);

    test_positions();
    test_limits();
    test_audio_registry();
    test_memo();
    test_escape();
    test_escape_buf();
    test_entity();
    test_tags();
    test_threads();

    /* After shutdown, a check compiles the schema again by itself. */
    ssml_shutdown();
    struct ssml_report r;
    is_int(check_str("<speak>again</speak>", &r), 0, "lazy init after shutdown");
    ssml_shutdown();
    return tap_done();
}
