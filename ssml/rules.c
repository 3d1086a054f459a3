/*
 * rules.c - Alexa's SSML dialect as tables, and the checks XSD 1.0 cannot say.
 *
 * Owns: the list of Alexa's tags (SSML_TAGS in ssml.h, looked up here), the
 * sentences that say what is valid for each tag and attribute (used
 * to translate schema errors; keep them in step with alexa-ssml.xsd), the
 * Polly voice allow-list, the incompatible-tag and locale rules of
 * spec/ssml.md section 5, the audio and consecutive-break limits, the table
 * of known audio durations, and what XML allows and SSML does not (checked
 * before the schema). Everything here is read-only once ssml_init() and
 * ssml_audio_register() have run, except the per-check state that lives on
 * the stack.
 */
#include "ss_limits.h"
#include "ssml_internal.h"

#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- tags and attributes --------------------------------------------------- */

enum content { C_BLOCK, C_PARAGRAPH, C_INLINE, C_TEXT, C_EMPTY };

struct element_rule {
    const char *attrs; /* as shown in messages */
    enum content content;
};

/* Indexed by enum ssml_tag: every tag of SSML_TAGS has its rule. */
static const struct element_rule elements[SSML_TAG__COUNT] = {
    [SSML_TAG_SPEAK] = {"", C_BLOCK},
    [SSML_TAG_P] = {"", C_PARAGRAPH},
    [SSML_TAG_S] = {"", C_INLINE},
    [SSML_TAG_BREAK] = {"strength, time", C_EMPTY},
    [SSML_TAG_EMPHASIS] = {"level", C_INLINE},
    [SSML_TAG_PROSODY] = {"rate, pitch, volume", C_BLOCK},
    [SSML_TAG_SAY_AS] = {"interpret-as, format", C_TEXT},
    [SSML_TAG_SUB] = {"alias", C_TEXT},
    [SSML_TAG_PHONEME] = {"alphabet, ph", C_TEXT},
    [SSML_TAG_W] = {"role", C_TEXT},
    [SSML_TAG_LANG] = {"xml:lang", C_BLOCK},
    [SSML_TAG_VOICE] = {"name", C_BLOCK},
    [SSML_TAG_AUDIO] = {"src", C_EMPTY},
    [SSML_TAG_AMAZON_EFFECT] = {"name", C_BLOCK},
    [SSML_TAG_AMAZON_EMOTION] = {"name, intensity", C_BLOCK},
    [SSML_TAG_AMAZON_DOMAIN] = {"name", C_BLOCK},
    [SSML_TAG_ALEXA_NAME] = {"type, personId", C_EMPTY},
};

static const char *const tag_names[SSML_TAG__COUNT] = {
#define TAG_NAME(id, name) [SSML_TAG_##id] = name,
    SSML_TAGS(TAG_NAME)
#undef TAG_NAME
};

/* ", speak, p, ..., alexa:name": shown from its third character on. */
#define TAG_COMMA_NAME(id, name) ", " name
static const char tag_list[] = SSML_TAGS(TAG_COMMA_NAME);
#undef TAG_COMMA_NAME

enum ssml_tag
ssml_tag_find(const char *name, size_t len)
{
    for (int i = SSML_TAG_NONE + 1; i < SSML_TAG__COUNT; i++)
        if (strlen(tag_names[i]) == len && memcmp(tag_names[i], name, len) == 0)
            return (enum ssml_tag)i;
    return SSML_TAG_NONE;
}

const char *
ssml_tag_name(enum ssml_tag tag)
{
    return tag > SSML_TAG_NONE && tag < SSML_TAG__COUNT ? tag_names[tag] : NULL;
}

struct attr_rule {
    const char *elem;
    const char *attr;
    const char *valid; /* completes "ELEM ATTR must be ..." */
};

static const struct attr_rule attrs[] = {
    {"break", "strength", "none, x-weak, weak, medium, strong or x-strong"},
    {"break", "time", "whole seconds or milliseconds such as 3s or 250ms, at most 10s"},
    {"emphasis", "level", "strong, moderate or reduced"},
    {"prosody", "rate", "x-slow, slow, medium, fast, x-fast or a percentage such as 90%"},
    {"prosody", "pitch",
     "x-low, low, medium, high, x-high or a signed percentage from -33.3% to +50% such as +10%"},
    {"prosody", "volume",
     "silent, x-soft, soft, medium, loud, x-loud or a signed change up to +4.08dB such as -6dB"},
    {"say-as", "interpret-as",
     "characters, spell-out, cardinal, number, ordinal, digits, fraction, unit, date, time, "
     "telephone, address, interjection or expletive"},
    {"say-as", "format", "mdy, dmy, ymd, md, dm, ym, my, d, m or y"},
    {"sub", "alias", "the words to say instead (not empty)"},
    {"phoneme", "alphabet", "ipa or x-sampa"},
    {"phoneme", "ph", "the pronunciation in that alphabet (not empty)"},
    {"w", "role", "amazon:VB, amazon:VBD, amazon:NN or amazon:SENSE_1"},
    {"lang", "xml:lang",
     "en-US, en-GB, en-IN, en-AU, en-CA, de-DE, es-ES, es-MX, es-US, fr-FR, fr-CA, hi-IN, "
     "it-IT, ja-JP or pt-BR"},
    {"voice", "name", "an Amazon Polly voice such as Joanna, Matthew, Amy, Brian or Celine"},
    {"audio", "src",
     "an https:// URL without spaces or a soundbank://soundlibrary/ sound, at most 2000 "
     "characters"},
    {"amazon:effect", "name", "whispered"},
    {"amazon:emotion", "name", "excited or disappointed"},
    {"amazon:emotion", "intensity", "low, medium or high"},
    {"amazon:domain", "name", "conversational, long-form, music, news or fun"},
    {"alexa:name", "type", "first"},
    {"alexa:name", "personId", "a person id such as amzn1.ask.person.ABC123 (from the request)"},
};

static const struct element_rule *
element(const char *qname)
{
    enum ssml_tag tag = ssml_tag_find(qname, strlen(qname));
    return tag == SSML_TAG_NONE ? NULL : &elements[tag];
}

const char *
rules_element_attrs(const char *qname)
{
    const struct element_rule *e = element(qname);
    return e ? e->attrs : NULL;
}

const char *
rules_attr_valid(const char *elem, const char *attr)
{
    for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
        if (strcmp(attrs[i].elem, elem) == 0 && strcmp(attrs[i].attr, attr) == 0)
            return attrs[i].valid;
    return NULL;
}

/* A number with an optional fraction, then unit: "11s", "1.5s". Returns the
 * value in thousandths (saturating) or -1 when value is not of that shape. */
static long
parse_milli(const char *value, const char *unit, int *has_fraction)
{
    long whole = 0, frac = 0, scale = 1000;
    const char *p = value;

    *has_fraction = 0;
    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++)
        whole = whole < 100000000 ? whole * 10 + (*p - '0') : whole;
    if (*p == '.') {
        *has_fraction = 1;
        p++;
        if (*p < '0' || *p > '9')
            return -1;
        for (; *p >= '0' && *p <= '9'; p++)
            if (scale > 1) {
                scale /= 10;
                frac += (*p - '0') * scale;
            }
    }
    if (strcmp(p, unit) != 0)
        return -1;
    return whole * 1000 + frac;
}

/* Break time in milliseconds, or -1 for another shape. */
static long
break_ms(const char *value, int *has_fraction)
{
    long v = parse_milli(value, "ms", has_fraction);
    if (v >= 0)
        return v / 1000;
    v = parse_milli(value, "s", has_fraction);
    return v;
}

void
rules_value_message(const char *elem, const char *attr, const char *value, char *out, size_t cap)
{
    char shown[80];
    const char *valid = rules_attr_valid(elem, attr);
    int fraction;

    check_shown(value, shown, sizeof(shown));
    if (strcmp(elem, "break") == 0 && strcmp(attr, "time") == 0) {
        long ms = break_ms(value ? value : "", &fraction);
        if (ms > LIMIT_SSML_BREAK_MS) {
            snprintf(out, cap, "break time must be at most 10s (10000ms), got '%s'", shown);
            return;
        }
        if (ms >= 0 && fraction) {
            snprintf(out, cap,
                     "break time must be whole seconds or milliseconds: write %ldms, not '%s'", ms,
                     shown);
            return;
        }
    }
    if (strcmp(elem, "prosody") == 0 && strcmp(attr, "rate") == 0 && value) {
        long pct = parse_milli(value, "%", &fraction);
        if (pct >= 0 && pct < 20000) {
            snprintf(out, cap, "prosody rate must be at least 20%%, got '%s'", shown);
            return;
        }
        if (pct >= 0 && fraction) {
            snprintf(out, cap, "prosody rate must be a whole percentage such as 90%%, got '%s'",
                     shown);
            return;
        }
    }
    if (strcmp(elem, "audio") == 0 && value && strlen(value) > LIMIT_SSML_AUDIO_SRC_CHARS) {
        snprintf(out, cap, "audio src must be at most %d characters, got %zu",
                 LIMIT_SSML_AUDIO_SRC_CHARS, strlen(value));
        return;
    }
    if (valid)
        snprintf(out, cap, "%s %s must be %s, got '%s'", elem, attr, valid, shown);
    else
        snprintf(out, cap, "%s %s has a value Alexa does not accept: '%s'", elem, attr, shown);
}

void
rules_child_message(const char *parent, const char *child, char *out, size_t cap)
{
    const struct element_rule *p = element(parent);
    const struct element_rule *k = element(child);

    if (!k) {
        if (strchr(child, ':'))
            snprintf(out, cap,
                     "<%.40s> is not an Alexa SSML tag; the tags with a prefix are "
                     "amazon:effect, amazon:emotion, amazon:domain and alexa:name",
                     child);
        else
            snprintf(out, cap, "<%.40s> is not an Alexa SSML tag; the tags are %s", child,
                     tag_list + 2);
        return;
    }
    if (strcmp(child, "speak") == 0) {
        snprintf(out, cap, "<speak> can only be the outermost tag, not inside <%s>", parent);
        return;
    }
    switch (p ? p->content : C_BLOCK) {
    case C_TEXT:
        snprintf(out, cap, "<%s> may contain only text, not <%s>", parent, child);
        return;
    case C_EMPTY:
        snprintf(out, cap, "<%s> must be empty, such as <%s .../>, but contains <%s>", parent,
                 parent, child);
        return;
    case C_INLINE:
        snprintf(out, cap,
                 "<%s> is not allowed inside <%s>, which may contain text and inline tags but not "
                 "<p> or <s>",
                 child, parent);
        return;
    case C_PARAGRAPH:
        snprintf(out, cap,
                 "<%s> is not allowed inside <p>, which may contain text, <s> and inline tags",
                 child);
        return;
    case C_BLOCK:
        break;
    }
    snprintf(out, cap, "<%s> is not allowed inside <%s>", child, parent);
}

/* --- voices, styles and locales (spec/ssml.md 4.8, 4.15, 4.16, 5) ---------- */

/* The Polly voices documented for Alexa skills: the set two independent
 * validators agree on, plus the voices Amazon's voice list names for es-ES,
 * es-MX, es-US, fr-CA, it-IT and pt-BR (spec 4.8). */
static const char *const voices[] = {
    "Aditi",    "Amy",    "Bianca",   "Brian",   "Camila",  "Carla",    "Celine",  "Chantal",
    "Conchita", "Emma",   "Enrique",  "Giorgio", "Hans",    "Ivy",      "Joanna",  "Joey",
    "Justin",   "Kendra", "Kimberly", "Lea",     "Lucia",   "Lupe",     "Marlene", "Mathieu",
    "Matthew",  "Mia",    "Miguel",   "Mizuki",  "Nicole",  "Penelope", "Raveena", "Ricardo",
    "Russell",  "Salli",  "Takumi",   "Vicki",   "Vitoria",
};

static int
in_list(const char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return 1;
    return 0;
}

/* Speaking styles work with Alexa's own voice; with a Polly voice only news
 * (Matthew, Joanna, Lupe) and conversational (Matthew, Joanna). */
static int
domain_voice_ok(const char *domain, const char *voice)
{
    if (strcmp(domain, "news") == 0)
        return strcmp(voice, "Matthew") == 0 || strcmp(voice, "Joanna") == 0 ||
               strcmp(voice, "Lupe") == 0;
    if (strcmp(domain, "conversational") == 0)
        return strcmp(voice, "Matthew") == 0 || strcmp(voice, "Joanna") == 0;
    return 0;
}

struct locale_rule {
    const char *what; /* "emotion" or a domain name */
    const char *locales;
};

/* Where each style exists (the skill's locale). de-DE entries rest on one
 * validator and a 2025 note (spec 4.15, 4.16): allowed rather than risk
 * refusing what Alexa speaks. */
static const struct locale_rule locale_rules[] = {
    {"emotion", "en-US en-GB ja-JP de-DE"},
    {"conversational", "en-US ja-JP it-IT"},
    {"long-form", "en-US"},
    {"music", "en-US en-CA en-GB de-DE"},
    {"news", "en-US en-AU"},
    {"fun", "ja-JP"},
};

/* NULL when what is available in locale, else the list of its locales. */
static const char *
locale_refused(const char *what, const char *locale)
{
    size_t n = strlen(locale);

    if (!locale[0])
        return NULL;
    for (size_t i = 0; i < sizeof(locale_rules) / sizeof(locale_rules[0]); i++) {
        if (strcmp(locale_rules[i].what, what) != 0)
            continue;
        for (const char *p = locale_rules[i].locales; (p = strstr(p, locale)) != NULL; p += n)
            if ((p[n] == ' ' || p[n] == '\0') && (p == locale_rules[i].locales || p[-1] == ' '))
                return NULL;
        return locale_rules[i].locales;
    }
    return NULL;
}

/* --- audio durations -------------------------------------------------------- */

struct audio_entry {
    char *src;
    long ms;
};

/* Sorted by src; built before threads start, read-only afterwards. */
static struct audio_entry *audio_table;
static size_t audio_count;

static int
audio_cmp(const void *a, const void *b)
{
    return strcmp(((const struct audio_entry *)a)->src, ((const struct audio_entry *)b)->src);
}

/* Changed by every registration and cleanup: verdicts remembered before
 * (check.c's memo) may count audio differently now. */
static unsigned long audio_generation;

unsigned long
rules_audio_generation(void)
{
    return __atomic_load_n(&audio_generation, __ATOMIC_ACQUIRE);
}

int
ssml_audio_register(const char *src, long duration_ms)
{
    if (!src || duration_ms < 0)
        return -1;
    __atomic_add_fetch(&audio_generation, 1, __ATOMIC_ACQ_REL);
    for (size_t i = 0; i < audio_count; i++)
        if (strcmp(audio_table[i].src, src) == 0) {
            audio_table[i].ms = duration_ms;
            return 0;
        }
    if (audio_count >= LIMIT_SSML_AUDIO_REGISTRY)
        return -1;
    if (!audio_table) {
        audio_table = calloc(LIMIT_SSML_AUDIO_REGISTRY, sizeof(*audio_table));
        if (!audio_table)
            return -1;
    }
    char *copy = strdup(src);
    if (!copy)
        return -1;
    audio_table[audio_count].src = copy;
    audio_table[audio_count].ms = duration_ms;
    audio_count++;
    qsort(audio_table, audio_count, sizeof(*audio_table), audio_cmp);
    return 0;
}

void
rules_audio_cleanup(void)
{
    __atomic_add_fetch(&audio_generation, 1, __ATOMIC_ACQ_REL);
    for (size_t i = 0; i < audio_count; i++)
        free(audio_table[i].src);
    free(audio_table);
    audio_table = NULL;
    audio_count = 0;
}

/* Known duration of src in ms, or -1. */
static long
audio_ms(const char *src)
{
    struct audio_entry key = {(char *)src, 0};
    const struct audio_entry *e =
        audio_count ? bsearch(&key, audio_table, audio_count, sizeof(*audio_table), audio_cmp)
                    : NULL;
    return e ? e->ms : -1;
}

/* --- the tree before the schema: what XML allows and Alexa SSML does not --- */

void
rules_structure(struct check *c, const xmlNode *n, int is_root)
{
    for (; n; n = n->next) {
        if (n->type == XML_PI_NODE) {
            check_problem_node(c, n, NULL,
                               "processing instructions (<?%.40s ...?>) are not allowed in SSML",
                               (const char *)n->name);
        } else if (n->type == XML_CDATA_SECTION_NODE) {
            check_problem_node(
                c, n->parent, NULL,
                "CDATA sections are not allowed in SSML: escape the text with &lt; and &amp;");
        } else if (n->type == XML_ELEMENT_NODE) {
            const xmlNs *ns = n->nsDef;
            /* The first two declarations on the root are ours. */
            if (is_root && ns && ns->next)
                ns = ns->next->next;
            if (ns)
                check_problem_node(
                    c, n, NULL, "namespace declarations (xmlns%s%s) are not allowed in Alexa SSML",
                    ns->prefix ? ":" : "", ns->prefix ? (const char *)ns->prefix : "");
            rules_structure(c, n->children, 0);
        }
        if (is_root)
            break;
    }
}

/* --- the walk ------------------------------------------------------------------ */

/* What encloses the node being visited (innermost of each kind). */
struct scope {
    const xmlNode *p, *s, *voice, *emotion, *domain, *emphasis, *pitch;
};

struct walk {
    struct check *c;
    int audio_count;
    long audio_ms;
    int audio_total_reported;
};

static const char *
attr(const xmlNode *n, const char *name)
{
    for (const xmlAttr *a = n->properties; a; a = a->next)
        if (!a->ns && strcmp((const char *)a->name, name) == 0 && a->children &&
            a->children->type == XML_TEXT_NODE)
            return (const char *)a->children->content;
    return NULL;
}

static int
is(const xmlNode *n, const char *qname)
{
    const char *colon = strchr(qname, ':');
    if (!colon)
        return !n->ns && strcmp((const char *)n->name, qname) == 0;
    return n->ns && n->ns->prefix &&
           strncmp((const char *)n->ns->prefix, qname, (size_t)(colon - qname)) == 0 &&
           n->ns->prefix[colon - qname] == '\0' && strcmp((const char *)n->name, colon + 1) == 0;
}

static int
is_interjection(const xmlNode *n)
{
    const char *as = is(n, "say-as") ? attr(n, "interpret-as") : NULL;
    return as && strcmp(as, "interjection") == 0;
}

/* "<voice name="Brian">" for a message. */
static const char *
describe(const xmlNode *n, char *buf, size_t cap)
{
    char q[64];
    const char *name = attr(n, "name");

    check_qname(n, q, sizeof(q));
    if (is(n, "prosody"))
        snprintf(buf, cap, "<prosody pitch>");
    else if (is(n, "say-as"))
        snprintf(buf, cap, "<say-as interpret-as=\"interjection\"> (a speechcon)");
    else if (name)
        snprintf(buf, cap, "<%.40s name=\"%.30s\">", q, name);
    else
        snprintf(buf, cap, "<%.40s>", q);
    return buf;
}

/* n and other enclose one another and Alexa cannot render both (spec 5). */
static void
incompatible(struct walk *w, const xmlNode *n, const xmlNode *other)
{
    char a[96], b[96];
    check_problem_node(w->c, n, NULL, "%s cannot be used together with %s (one inside the other)",
                       describe(n, a, sizeof(a)), describe(other, b, sizeof(b)));
}

static void
voice_and_domain(struct walk *w, const xmlNode *n, const xmlNode *voice, const xmlNode *domain)
{
    const char *v = attr(voice, "name"), *d = attr(domain, "name");
    char a[96], b[96];

    if (v && d && !domain_voice_ok(d, v))
        check_problem_node(w->c, n, NULL,
                           "%s cannot be used with %s: only news (Matthew, Joanna, Lupe) and "
                           "conversational (Matthew, Joanna) work with a Polly voice",
                           describe(domain, a, sizeof(a)), describe(voice, b, sizeof(b)));
}

static void
check_locale(struct walk *w, const xmlNode *n, const char *what, const char *shown)
{
    const char *locale = w->c->locale;
    const char *only = locale ? locale_refused(what, locale) : NULL;
    if (only)
        check_problem_node(w->c, n, NULL, "%s is not available for the locale %.10s (only %s)",
                           shown, locale, only);
}

static void visit(struct walk *w, const xmlNode *n, struct scope sc);

/* The children of n: each visited, and runs of <break time> with only white
 * space between them summed. */
static void
visit_children(struct walk *w, const xmlNode *n, struct scope sc)
{
    long run = 0;
    int run_reported = 0;

    for (const xmlNode *k = n->children; k; k = k->next) {
        if (k->type == XML_TEXT_NODE) {
            if (!xmlIsBlankNode((xmlNodePtr)k)) {
                run = 0;
                run_reported = 0;
            }
            continue;
        }
        if (k->type != XML_ELEMENT_NODE)
            continue;
        if (is(k, "break")) {
            const char *t = attr(k, "time");
            int fraction;
            long ms = t ? break_ms(t, &fraction) : 0;
            if (ms > 0)
                run += ms;
            if (run > LIMIT_SSML_BREAK_MS && !run_reported) {
                run_reported = 1;
                check_problem_node(w->c, k, NULL,
                                   "consecutive breaks add up to %ldms; Alexa pauses at most 10s "
                                   "(10000ms) in a row",
                                   run);
            }
        } else {
            run = 0;
            run_reported = 0;
        }
        visit(w, k, sc);
    }
}

static void
visit(struct walk *w, const xmlNode *n, struct scope sc)
{
    struct check *c = w->c;

    if (is(n, "p")) {
        if (sc.p)
            check_problem_node(c, n, NULL, "<p> cannot be inside another <p>");
        else if (sc.s)
            check_problem_node(c, n, NULL, "<p> cannot be inside <s>");
        sc.p = n;
    } else if (is(n, "s")) {
        if (sc.s)
            check_problem_node(c, n, NULL, "<s> cannot be inside another <s>");
        sc.s = n;
    } else if (is(n, "break")) {
        if (attr(n, "strength") && attr(n, "time"))
            check_problem_node(c, n, "time", "break takes strength or time, not both");
    } else if (is(n, "prosody")) {
        if (!attr(n, "rate") && !attr(n, "pitch") && !attr(n, "volume"))
            check_problem_node(c, n, NULL, "prosody needs at least one of rate, pitch or volume");
        if (attr(n, "pitch")) {
            const xmlNode *other = sc.voice ? sc.voice : sc.emotion ? sc.emotion : sc.domain;
            if (other)
                incompatible(w, n, other);
            sc.pitch = n;
        }
    } else if (is(n, "emphasis")) {
        const xmlNode *other = sc.voice ? sc.voice : sc.emotion ? sc.emotion : sc.domain;
        if (other)
            incompatible(w, n, other);
        sc.emphasis = n;
    } else if (is(n, "say-as")) {
        const char *as = attr(n, "interpret-as"), *format = attr(n, "format");
        if (format && as && strcmp(as, "date") != 0)
            check_problem_node(c, n, "format",
                               "say-as format is only for interpret-as=\"date\", not \"%.20s\"",
                               as);
        if (is_interjection(n) && sc.voice)
            check_problem_node(
                c, n, NULL,
                "a speechcon (say-as interpret-as=\"interjection\") cannot be inside <voice>: "
                "speechcons exist only in Alexa's own voice");
        else if (is_interjection(n) && sc.emotion)
            incompatible(w, n, sc.emotion);
    } else if (is(n, "voice")) {
        const char *name = attr(n, "name");
        if (name && !in_list(voices, sizeof(voices) / sizeof(voices[0]), name)) {
            char shown[80];
            check_problem_node(
                c, n, "name",
                "voice name must be an Amazon Polly voice available to Alexa, such as "
                "Joanna, Matthew, Amy, Brian, Hans, Celine or Mizuki, got '%s'",
                check_shown(name, shown, sizeof(shown)));
        }
        if (sc.emotion)
            incompatible(w, n, sc.emotion);
        if (sc.domain)
            voice_and_domain(w, n, n, sc.domain);
        if (sc.emphasis)
            incompatible(w, n, sc.emphasis);
        else if (sc.pitch)
            incompatible(w, n, sc.pitch);
        sc.voice = n;
    } else if (is(n, "amazon:emotion")) {
        const xmlNode *other = sc.voice      ? sc.voice
                               : sc.domain   ? sc.domain
                               : sc.emphasis ? sc.emphasis
                                             : sc.pitch;
        if (other)
            incompatible(w, n, other);
        check_locale(w, n, "emotion", "amazon:emotion");
        sc.emotion = n;
    } else if (is(n, "amazon:domain")) {
        const char *name = attr(n, "name");
        if (sc.voice)
            voice_and_domain(w, n, sc.voice, n);
        if (sc.emotion)
            incompatible(w, n, sc.emotion);
        else if (sc.emphasis)
            incompatible(w, n, sc.emphasis);
        else if (sc.pitch)
            incompatible(w, n, sc.pitch);
        if (name) {
            char shown[64];
            snprintf(shown, sizeof(shown), "amazon:domain name=\"%.20s\"", name);
            check_locale(w, n, name, shown);
        }
        sc.domain = n;
    } else if (is(n, "audio")) {
        const char *src = attr(n, "src");
        long ms = src ? audio_ms(src) : -1;
        w->audio_count++;
        if (w->audio_count == LIMIT_SSML_AUDIO_TAGS + 1)
            check_problem_node(c, n, NULL, "at most %d audio tags are allowed in one response",
                               LIMIT_SSML_AUDIO_TAGS);
        if (ms > LIMIT_SSML_AUDIO_MS)
            check_problem_node(c, n, "src",
                               "this audio file is %lds long; Alexa plays at most %ds per file",
                               ms / 1000, LIMIT_SSML_AUDIO_MS / 1000);
        if (ms > 0) {
            long cap =
                c->where == SSML_REPROMPT ? LIMIT_SSML_AUDIO_REPROMPT_MS : LIMIT_SSML_AUDIO_MS;
            w->audio_ms += ms;
            if (w->audio_ms > cap && !w->audio_total_reported) {
                w->audio_total_reported = 1;
                check_problem_node(
                    c, n, NULL,
                    "audio adds up to %lds here; Alexa plays at most %lds of audio in %s",
                    w->audio_ms / 1000, cap / 1000,
                    c->where == SSML_REPROMPT ? "a reprompt" : "an outputSpeech");
            }
        }
    }
    visit_children(w, n, sc);
}

void
rules_check(struct check *c, const xmlNode *root)
{
    struct walk w = {.c = c};
    struct scope sc = {0};

    visit_children(&w, root, sc);
    c->rep->audio_count = w.audio_count;
    c->rep->audio_known_ms = w.audio_ms;
}
