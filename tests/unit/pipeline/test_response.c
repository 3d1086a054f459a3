/*
 * test_response.c - unit tests of server/pipeline/response/.
 *
 * Requests are built by hand (struct request) so that every request type of
 * spec §6 can be tried; a few go through request_parse() to check the two
 * modules agree. Replies are written as JSON with ' for " (see J()). SSML is
 * either clearly valid or clearly malformed, so the tests hold for the
 * well-formedness check and for the full schema check alike.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"
#include "response.h"
#include "ss_limits.h"
#include "ssml.h"
#include "tap.h"

/* ---- helpers ---- */

static void *
xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p) {
        printf("Bail out! out of memory\n");
        exit(1);
    }
    return p;
}

/* JSON with ' standing for " and ` for a real apostrophe. Four rotating
 * buffers, so that a few J() may appear in one call. */
static const char *
J(const char *s)
{
    static char bufs[4][16384];
    static int next;
    char *b = bufs[next++ % 4];
    size_t i;

    for (i = 0; s[i] && i + 1 < sizeof(bufs[0]); i++)
        b[i] = s[i] == '\'' ? '"' : s[i] == '`' ? '\'' : s[i];
    b[i] = '\0';
    return b;
}

static json_t *
parse(const char *json)
{
    json_error_t e;
    json_t *v = json_loads(json, 0, &e);
    if (!v)
        printf("# bad test JSON: %s: %s\n", e.text, json);
    return v;
}

static const char *const names[] = {
#define NAME(n, text) text,
    REQUEST_TYPES(NAME)
#undef NAME
};

static struct request
mkreq(enum request_type t)
{
    struct request r;
    memset(&r, 0, sizeof(r));
    r.version = "1.0";
    r.type = t;
    r.type_name = t < REQ_OTHER ? names[t] : "AlexaSkillEvent.SkillEnabled";
    r.request_id = "amzn1.echo-api.request.test";
    r.has_session = t == REQ_LAUNCH || t == REQ_INTENT || t == REQ_SESSION_ENDED;
    return r;
}

struct warnings {
    int count;
    char all[8192];
};

static void
collect(void *ctx, const char *message)
{
    struct warnings *w = ctx;
    size_t used = strlen(w->all);
    w->count++;
    snprintf(w->all + used, sizeof(w->all) - used, "%s\n", message);
}

static char dumped[200000];

/* Compact JSON of v (into a static buffer), "(null)" for NULL. */
static const char *
D(const json_t *v)
{
    char *s;
    if (!v)
        return "(null)";
    s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    snprintf(dumped, sizeof(dumped), "%s", s ? s : "(dump failed)");
    free(s);
    return dumped;
}

static struct warnings W;
static struct ss_error E;

/* Build req's envelope from the reply JSON text (with ' for "); NULL on error
 * (E holds it). Warnings go to W, which is reset. */
static json_t *
build(const struct request *req, const char *reply_text)
{
    json_t *reply = parse(reply_text), *out = (json_t *)1;
    enum ss_err rc;

    memset(&W, 0, sizeof(W));
    ss_error_clear(&E);
    rc = response_build(req, reply, &out, collect, &W, &E);
    if (rc != SS_ERR_OK && out != NULL)
        tap_fail("response_build set its output on error (%s)", ss_err_name(rc));
    if (rc != SS_ERR_OK)
        E.code = rc;
    json_decref(reply);
    return rc == SS_ERR_OK ? out : NULL;
}

/* The compact envelope of a reply, or "ERROR <name>: <message>". */
static const char *
B(const struct request *req, const char *reply_text)
{
    json_t *env = build(req, J(reply_text));
    const char *s;
    if (!env) {
        snprintf(dumped, sizeof(dumped), "ERROR %s: %s", ss_err_name(E.code), E.msg);
        return dumped;
    }
    s = D(env);
    json_decref(env);
    return s;
}

/* Same with the text used as it is (no ' replacement). */
static const char *
Braw(const struct request *req, const char *reply_text)
{
    json_t *env = build(req, reply_text);
    const char *s;
    if (!env) {
        snprintf(dumped, sizeof(dumped), "ERROR %s: %s", ss_err_name(E.code), E.msg);
        return dumped;
    }
    s = D(env);
    json_decref(env);
    return s;
}

/* A reply of kind "reply" whose speech is one text segment of n copies of unit. */
static char *
long_speech(const char *member, const char *seg, size_t n, const char *unit, const char *tail)
{
    size_t ul = strlen(unit), cap = n * ul + strlen(tail) + 256, o;
    char *s = xmalloc(cap);
    o = (size_t)snprintf(s, cap, "{\"kind\":\"reply\",\"%s\":[{\"%s\":\"", member, seg);
    for (size_t i = 0; i < n; i++, o += ul)
        memcpy(s + o, unit, ul);
    snprintf(s + o, cap - o, "%s\"}]}", tail);
    return s;
}

static char *
repeat(const char *unit, size_t n)
{
    size_t ul = strlen(unit);
    char *s = xmalloc(n * ul + 1);
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * ul, unit, ul);
    s[n * ul] = '\0';
    return s;
}

/* ---- tests ---- */

static void
test_speech_length(void)
{
    is_int(response_speech_length(NULL), 0, "length of NULL is 0");
    is_int(response_speech_length(""), 0, "length of empty is 0");
    is_int(response_speech_length("hello"), 5, "ASCII counts one per byte");
    is_int(response_speech_length("caf\xc3\xa9"), 4, "2-byte character counts 1");
    is_int(response_speech_length("\xe2\x82\xac"), 1, "3-byte character (euro) counts 1");
    is_int(response_speech_length("\xf0\x9f\x98\x80"), 2, "emoji (non-BMP) counts 2");
    is_int(response_speech_length("a\xf0\x9f\x98\x80"
                                  "b"),
           4, "mixed text counts UTF-16 units");
}

static void
test_plain_text(void)
{
    struct request r = mkreq(REQ_INTENT);

    is_str(B(&r, "{'kind':'reply','speech':[{'text':'You are welcome!'}],'shouldEndSession':true}"),
           J("{'version':'1.0','response':{'outputSpeech':{'type':'PlainText','text':'You are "
             "welcome!'},'shouldEndSession':true}}"),
           "one text segment becomes PlainText");
    is_str(B(&r, "{'kind':'reply','speech':[{'text':'Hello, '},{'text':'world & <you>'}]}"),
           J("{'version':'1.0','response':{'outputSpeech':{'type':'PlainText','text':'Hello, "
             "world & <you>'}}}"),
           "text segments are concatenated, not escaped, in PlainText");
    is_str(B(&r, "{'kind':'reply','speech':[],'shouldEndSession':false}"),
           J("{'version':'1.0','response':{'shouldEndSession':false}}"),
           "an empty speech list means no outputSpeech");
    is_str(B(&r, "{'kind':'reply','speech':null}"), J("{'version':'1.0','response':{}}"),
           "speech None means no outputSpeech");

    /* The single segment's string is shared, not copied. */
    json_t *reply = parse(J("{'kind':'reply','speech':[{'text':'shared'}]}"));
    json_t *text = json_object_get(json_array_get(json_object_get(reply, "speech"), 0), "text");
    json_t *env = NULL;
    ok(response_build(&r, reply, &env, NULL, NULL, NULL) == SS_ERR_OK, "build without warn/err");
    json_t *out_text =
        json_object_get(json_object_get(json_object_get(env, "response"), "outputSpeech"), "text");
    ok(out_text == text, "a single text segment is passed by reference");
    is_int(text->refcount, 2, "shared string has two owners while the envelope lives");
    json_decref(env);
    is_int(text->refcount, 1, "and one after the envelope is freed");
    json_decref(reply);
}

static void
test_ssml_assembly(void)
{
    struct request r = mkreq(REQ_INTENT);

    is_str(Braw(&r, "{\"kind\":\"reply\",\"speech\":[{\"text\":\"Fish & chips <cheap> \\\"q\\\" "
                    "'a' \"},{\"ssml\":\"<break time='1s'/>\"}]}"),
           "{\"version\":\"1.0\",\"response\":{\"outputSpeech\":{\"type\":\"SSML\",\"ssml\":"
           "\"<speak>Fish &amp; chips &lt;cheap&gt; &quot;q&quot; &apos;a&apos; <break "
           "time='1s'/></speak>\"}}}",
           "text segments are escaped (& < > \" ') when any segment is SSML");
    is_str(B(&r, "{'kind':'reply','speech':[{'ssml':'<speak>Hello <break time=`1s`/> "
                 "world</speak>'}]}"),
           J("{'version':'1.0','response':{'outputSpeech':{'type':'SSML','ssml':'<speak>Hello "
             "<break time=`1s`/> world</speak>'}}}"),
           "one outer <speak> pair is removed and one added");
    is_str(B(&r, "{'kind':'reply','speech':[{'ssml':'  <speak><p>One <emphasis "
                 "level=`strong`>two</emphasis></p></speak>\\n'},{'text':' "
                 "three'}]}"),
           J("{'version':'1.0','response':{'outputSpeech':{'type':'SSML','ssml':'<speak><p>One "
             "<emphasis level=`strong`>two</emphasis></p> three</speak>'}}}"),
           "outer speak with surrounding whitespace removed; nested elements kept");
    is_str(B(&r, "{'kind':'reply','speech':[{'ssml':'<speak/>'},{'text':'x'}]}"),
           J("{'version':'1.0','response':{'outputSpeech':{'type':'SSML','ssml':'<speak>x</"
             "speak>'}}}"),
           "an empty <speak/> segment contributes nothing");
}

static void
test_ssml_speak_rules(void)
{
    struct request r = mkreq(REQ_INTENT);
    const char *s;

    s = B(&r, "{'kind':'reply','speech':[{'ssml':'<speak xml:lang=`en-US`>Hi</speak>'}]}");
    is_str(s,
           J("{'version':'1.0','response':{'outputSpeech':{'type':'SSML','ssml':'<speak>Hi</"
             "speak>'}}}"),
           "outer <speak> with attributes is removed");
    is_int(W.count, 1, "with one warning");
    contains(W.all, "speech[0]: removed the attributes of the outer <speak>", "warning names it");

    s = B(&r, "{'kind':'reply','speech':[{'ssml':'<speak>a</speak> <speak>b</speak>'}]}");
    contains(s, "ERROR SSML: outputSpeech SSML: speech[0] has a <speak> inside it",
             "two speak documents in one segment are refused");
    s = B(&r, "{'kind':'reply','speech':[{'ssml':'<speak><speak>x</speak></speak>'}]}");
    contains(s, "ERROR SSML: outputSpeech SSML: speech[0] has a <speak> inside it",
             "only one outer pair is removed: nested speak is refused");
    s = B(&r, "{'kind':'reply','speech':[{'text':'a'},{'ssml':'<p><speak>x</speak></p>'}]}");
    contains(s, "speech[1] has a <speak> inside it", "speak inside other markup is refused");
    contains(s, "one whole <speak>...</speak>", "and the message says what to do");

    s = B(&r, "{'kind':'reply','speech':[{'ssml':'<p>unclosed'}]}");
    contains(s, "ERROR SSML: outputSpeech SSML", "malformed SSML is an SSML error");
    s = B(&r, "{'kind':'reply','speech':[{'text':'ok'}],'reprompt':[{'ssml':'<break "
              "time=`1s`>'}]}");
    contains(s, "ERROR SSML: reprompt SSML", "malformed reprompt SSML names the reprompt");
    s = B(&r, "{'kind':'reply','speech':[{'ssml':'Fish & chips'}]}");
    contains(s, "ERROR SSML: outputSpeech SSML", "a bare & in an ssml segment is refused");
    s = B(&r, "{'kind':'reply','speech':[{'text':'Fish & chips'},{'ssml':'<break/>'}]}");
    contains(s, "Fish &amp; chips", "the same & in a text segment is escaped");
}

#define BEAR "<audio src=`soundbank://soundlibrary/animals/amzn_sfx_bear_groan_roar_01`/>"

static void
test_ssml_checker_wiring(void)
{
    struct request r = mkreq(REQ_INTENT);
    const char *s;

    s = B(&r, "{'kind':'reply','speech':[{'text':'Tom'},{'ssml':' & Jerry'}]}");
    contains(s, "ERROR SSML: outputSpeech SSML line 1, column ",
             "an SSML problem is reported with line and column");
    contains(s, "(near '", "and the text around it");

    /* The request's locale reaches the checker (spec/ssml.md 4.15). */
    const char *emotion = "{'kind':'reply','speech':[{'ssml':'<amazon:emotion name=`excited` "
                          "intensity=`medium`>We won!</amazon:emotion>'}]}";
    ok(strncmp(B(&r, emotion), "{\"version\"", 10) == 0, "amazon:emotion without a locale");
    r.locale = "en-US";
    ok(strncmp(B(&r, emotion), "{\"version\"", 10) == 0, "amazon:emotion in en-US");
    r.locale = "fr-FR";
    contains(B(&r, emotion), "ERROR SSML: outputSpeech SSML", "amazon:emotion refused in fr-FR");
    r.locale = NULL;

    /* <audio> is limited per response, outputSpeech and reprompt together. */
    s = B(&r, "{'kind':'reply','speech':[{'ssml':'" BEAR BEAR BEAR
              "'}],'reprompt':[{'ssml':'" BEAR BEAR "'}]}");
    ok(strncmp(s, "{\"version\"", 10) == 0, "3 + 2 audio tags are accepted");
    s = B(&r, "{'kind':'reply','speech':[{'ssml':'" BEAR BEAR BEAR
              "'}],'reprompt':[{'ssml':'" BEAR BEAR BEAR "'}]}");
    is_str(s,
           "ERROR SSML: outputSpeech and reprompt have 6 <audio> tags together (3 and 3); "
           "Alexa allows at most 5 in one response",
           "3 + 3 audio tags are refused");
    s = B(&r, "{'kind':'envelope','envelope':{'version':'1.0','response':{'outputSpeech':{'type':"
              "'SSML','ssml':'<speak>" BEAR BEAR BEAR BEAR "</speak>'},'reprompt':{'outputSpeech':"
              "{'type':'SSML','ssml':'<speak>" BEAR BEAR "</speak>'}}}}}");
    contains(s, "have 6 <audio> tags together (4 and 2)", "the same in an envelope");
}

static void
test_segments_shape(void)
{
    struct request r = mkreq(REQ_LAUNCH);

    is_str(B(&r, "{'kind':'reply','speech':'hello'}"),
           "ERROR SKILL_RESULT: speech must be a list of {\"text\": ...} and {\"ssml\": ...} "
           "parts, got a string",
           "speech must be a list");
    is_str(B(&r, "{'kind':'reply','speech':[{'text':'a'},5]}"),
           "ERROR SKILL_RESULT: speech[1] must be {\"text\": \"...\"} or {\"ssml\": \"...\"}, "
           "got a number",
           "a segment must be a dict");
    is_str(B(&r, "{'kind':'reply','speech':[{'text':'a','ssml':'b'}]}"),
           "ERROR SKILL_RESULT: speech[0] must be {\"text\": \"...\"} or {\"ssml\": \"...\"}, "
           "got a dict with other keys",
           "a segment has exactly one key");
    is_str(B(&r, "{'kind':'reply','speech':[{'words':'a'}]}"),
           "ERROR SKILL_RESULT: speech[0] must be {\"text\": \"...\"} or {\"ssml\": \"...\"}, "
           "got a dict with other keys",
           "a segment's key is text or ssml");
    is_str(B(&r, "{'kind':'reply','speech':[{'text':['a']}]}"),
           "ERROR SKILL_RESULT: speech[0].text must be a string, got a list",
           "segment text must be a string");
    is_str(B(&r, "{'kind':'reply','reprompt':[{'ssml':null}]}"),
           "ERROR SKILL_RESULT: reprompt[0].ssml must be a string, got None",
           "reprompt segments are checked the same way");
}

static void
test_reprompt_and_play_behavior(void)
{
    struct request r = mkreq(REQ_LAUNCH);
    const char *s;

    is_str(B(&r, "{'kind':'reply','speech':[{'text':'Which size?'}],'reprompt':[{'text':'Small "
                 "or large?'}],'shouldEndSession':false}"),
           J("{'version':'1.0','response':{'outputSpeech':{'type':'PlainText','text':'Which "
             "size?'},'reprompt':{'outputSpeech':{'type':'PlainText','text':'Small or "
             "large?'}},'shouldEndSession':false}}"),
           "reprompt becomes {outputSpeech: ...}");
    is_str(B(&r, "{'kind':'reply','reprompt':[{'ssml':'<speak>Still <break/> there?</speak>'}]}"),
           J("{'version':'1.0','response':{'reprompt':{'outputSpeech':{'type':'SSML','ssml':'<"
             "speak>Still <break/> there?</speak>'}}}}"),
           "SSML reprompt");
    is_str(B(&r, "{'kind':'reply','reprompt':[]}"), J("{'version':'1.0','response':{}}"),
           "empty reprompt list means no reprompt");

    static const char *const behaviors[] = {"ENQUEUE", "REPLACE_ALL", "REPLACE_ENQUEUED"};
    for (int i = 0; i < 3; i++) {
        char reply[200], want[300];
        snprintf(reply, sizeof(reply),
                 "{'kind':'reply','speech':[{'text':'hi'}],'playBehavior':'%s'}", behaviors[i]);
        snprintf(want, sizeof(want),
                 "{'version':'1.0','response':{'outputSpeech':{'type':'PlainText','text':'hi',"
                 "'playBehavior':'%s'}}}",
                 behaviors[i]);
        is_str(B(&r, reply), J(want), "playBehavior %s goes into outputSpeech", behaviors[i]);
    }
    is_str(B(&r, "{'kind':'reply','speech':[{'text':'hi'}],'playBehavior':'NOW'}"),
           "ERROR SKILL_RESULT: playBehavior must be \"ENQUEUE\", \"REPLACE_ALL\" or "
           "\"REPLACE_ENQUEUED\", got 'NOW'",
           "unknown playBehavior is refused with the choices");
    is_str(B(&r, "{'kind':'reply','speech':[{'text':'hi'}],'playBehavior':1}"),
           "ERROR SKILL_RESULT: playBehavior must be \"ENQUEUE\", \"REPLACE_ALL\" or "
           "\"REPLACE_ENQUEUED\", got a number",
           "non-string playBehavior is refused");
    s = B(&r, "{'kind':'reply','playBehavior':'ENQUEUE','shouldEndSession':true}");
    is_str(s, J("{'version':'1.0','response':{'shouldEndSession':true}}"),
           "playBehavior without speech is left out");
    contains(W.all, "ignored playBehavior", "with a warning");
}

static void
test_should_end_session(void)
{
    struct request r = mkreq(REQ_INTENT);

    is_str(B(&r, "{'kind':'reply','shouldEndSession':true}"),
           J("{'version':'1.0','response':{'shouldEndSession':true}}"), "true is passed");
    is_str(B(&r, "{'kind':'reply','shouldEndSession':false}"),
           J("{'version':'1.0','response':{'shouldEndSession':false}}"), "false is passed");
    is_str(B(&r, "{'kind':'reply','shouldEndSession':null}"),
           J("{'version':'1.0','response':{'shouldEndSession':null}}"), "null is passed");
    is_str(B(&r, "{'kind':'reply'}"), J("{'version':'1.0','response':{}}"), "absent stays absent");
    is_int(W.count, 0, "an empty reply gives no warning");
    is_str(B(&r, "{'kind':'reply','shouldEndSession':'yes'}"),
           "ERROR SKILL_RESULT: shouldEndSession must be True, False or None, got a string",
           "a string is refused");
    is_str(B(&r, "{'kind':'reply','shouldEndSession':0}"),
           "ERROR SKILL_RESULT: shouldEndSession must be True, False or None, got a number",
           "a number is refused");
}

static void
test_session_attributes(void)
{
    struct request r = mkreq(REQ_INTENT), a = mkreq(REQ_AUDIO_NEARLY_FINISHED);

    is_str(B(&r, "{'kind':'reply','sessionAttributes':{'turn':2,'x':[1,2.5]}}"),
           J("{'version':'1.0','sessionAttributes':{'turn':2,'x':[1,2.5]},'response':{}}"),
           "sessionAttributes go to the envelope");
    is_str(B(&r, "{'kind':'reply','sessionAttributes':null}"), J("{'version':'1.0','response':{}}"),
           "None sessionAttributes are left out");
    is_str(B(&r, "{'kind':'reply','sessionAttributes':[1]}"),
           "ERROR SKILL_RESULT: sessionAttributes must be a dict, got a list", "a list is refused");
    is_str(B(&a, "{'kind':'reply','sessionAttributes':{'x':1}}"),
           J("{'version':'1.0','response':{}}"), "no sessionAttributes without a session");
    contains(W.all, "dropped sessionAttributes", "with a warning");
    B(&a, "{'kind':'reply','sessionAttributes':{}}");
    is_int(W.count, 0, "empty sessionAttributes are dropped silently");
}

static void
test_cards_valid(void)
{
    struct request r = mkreq(REQ_INTENT);

    is_str(B(&r, "{'kind':'reply','card':{'type':'Simple','title':'Coffee','content':'One flat "
                 "white'}}"),
           J("{'version':'1.0','response':{'card':{'type':'Simple','title':'Coffee','content':"
             "'One flat white'}}}"),
           "Simple card");
    is_str(B(&r, "{'kind':'reply','card':{'type':'Simple'}}"),
           J("{'version':'1.0','response':{'card':{'type':'Simple'}}}"),
           "Simple card with only a type");
    is_str(B(&r, "{'kind':'reply','card':{'type':'Standard','title':'T','text':'Body','image':{"
                 "'smallImageUrl':'https://cdn.example.com/s.png','largeImageUrl':'HTTPS://cdn."
                 "example.com/l.png'}}}"),
           J("{'version':'1.0','response':{'card':{'type':'Standard','title':'T','text':'Body',"
             "'image':{'smallImageUrl':'https://cdn.example.com/s.png','largeImageUrl':'HTTPS://"
             "cdn.example.com/l.png'}}}}"),
           "Standard card with both images");
    is_str(B(&r, "{'kind':'reply','card':{'type':'Standard','title':'T','text':'Body'}}"),
           J("{'version':'1.0','response':{'card':{'type':'Standard','title':'T','text':'Body'}}}"),
           "Standard card without image");
    is_str(B(&r, "{'kind':'reply','card':{'type':'Standard','image':{'largeImageUrl':'https://"
                 "x.example/l.jpg'}}}"),
           J("{'version':'1.0','response':{'card':{'type':'Standard','image':{'largeImageUrl':"
             "'https://x.example/l.jpg'}}}}"),
           "Standard card with one image");
    is_str(B(&r, "{'kind':'reply','card':{'type':'LinkAccount'}}"),
           J("{'version':'1.0','response':{'card':{'type':'LinkAccount'}}}"), "LinkAccount card");
    is_str(B(&r, "{'kind':'reply','card':{'type':'AskForPermissionsConsent','permissions':["
                 "'read::alexa:device:all:address','alexa::profile:email:read']}}"),
           J("{'version':'1.0','response':{'card':{'type':'AskForPermissionsConsent',"
             "'permissions':['read::alexa:device:all:address','alexa::profile:email:read']}}}"),
           "AskForPermissionsConsent card");
    is_str(B(&r, "{'kind':'reply','card':null}"), J("{'version':'1.0','response':{}}"),
           "card None means no card");

    /* The card is shared with the reply, not copied. */
    json_t *reply = parse(J("{'kind':'reply','card':{'type':'Simple','title':'x'}}"));
    json_t *card = json_object_get(reply, "card"), *env = NULL;
    ok(response_build(&r, reply, &env, NULL, NULL, NULL) == SS_ERR_OK, "build with a card");
    ok(json_object_get(json_object_get(env, "response"), "card") == card,
       "the card is passed by reference");
    is_int(card->refcount, 2, "card has two owners while the envelope lives");
    json_decref(env);
    is_int(card->refcount, 1, "one afterwards");
    json_decref(reply);
}

static void
test_cards_invalid(void)
{
    struct request r = mkreq(REQ_INTENT);

    is_str(B(&r, "{'kind':'reply','card':'Simple'}"),
           "ERROR SKILL_RESULT: card must be a dict like {\"type\": \"Simple\", \"title\": "
           "\"...\", \"content\": \"...\"}, got a string",
           "card must be a dict");
    is_str(B(&r, "{'kind':'reply','card':{'title':'x'}}"),
           "ERROR SKILL_RESULT: card.type must be one of Simple, Standard, LinkAccount, "
           "AskForPermissionsConsent, got nothing",
           "card needs a type");
    is_str(B(&r, "{'kind':'reply','card':{'type':'Big'}}"),
           "ERROR SKILL_RESULT: card.type must be one of Simple, Standard, LinkAccount, "
           "AskForPermissionsConsent, got 'Big'",
           "unknown card type");
    is_str(B(&r, "{'kind':'reply','card':{'type':'simple'}}"),
           "ERROR SKILL_RESULT: card.type must be one of Simple, Standard, LinkAccount, "
           "AskForPermissionsConsent, got 'simple'",
           "card type is case-sensitive");
    is_str(B(&r, "{'kind':'reply','card':{'type':'Simple','title':['x']}}"),
           "ERROR SKILL_RESULT: card.title must be a string, got a list", "title must be a string");
    is_str(B(&r, "{'kind':'reply','card':{'type':'Simple','content':null}}"),
           "ERROR SKILL_RESULT: card.content must be a string, got None",
           "content must be a string");
    is_str(B(&r, "{'kind':'reply','card':{'type':'Standard','text':5}}"),
           "ERROR SKILL_RESULT: card.text must be a string, got a number",
           "Standard text must be a string");
    contains(B(&r, "{'kind':'reply','card':{'type':'Simple','text':'x'}}"),
             "card.text is not part of a Simple card: a Simple card has title and content",
             "Simple card with text is explained");
    contains(B(&r, "{'kind':'reply','card':{'type':'Standard','content':'x'}}"),
             "card.content is not part of a Standard card: a Standard card has title, text and "
             "image",
             "Standard card with content is explained");
    is_str(B(&r, "{'kind':'reply','card':{'type':'Simple','image':{}}}"),
           "ERROR SKILL_RESULT: card.image is not part of a Simple card, which has title and "
           "content",
           "Simple card has no image");
    is_str(B(&r, "{'kind':'reply','card':{'type':'LinkAccount','title':'Link'}}"),
           "ERROR SKILL_RESULT: card.title is not part of a LinkAccount card, which has nothing "
           "but its type",
           "LinkAccount card has nothing else");
    contains(B(&r, "{'kind':'reply','card':{'type':'Standard','image':'https://x/y.png'}}"),
             "card.image must be a dict like {\"smallImageUrl\"", "image must be a dict");
    is_str(B(&r, "{'kind':'reply','card':{'type':'Standard','image':{'url':'https://x/y.png'}}}"),
           "ERROR SKILL_RESULT: card.image may only have smallImageUrl and largeImageUrl, not "
           "'url'",
           "unknown image key");
    is_str(B(&r, "{'kind':'reply','card':{'type':'Standard','image':{'smallImageUrl':'http://"
                 "x/y.png'}}}"),
           "ERROR SKILL_RESULT: card.image.smallImageUrl must be an https:// address Alexa can "
           "fetch, got 'http://x/y.png'",
           "image URL must be https");
    contains(B(&r, "{'kind':'reply','card':{'type':'Standard','image':{'largeImageUrl':'https://"
                   "'}}}"),
             "must be an https:// address", "https:// alone is not an address");
    is_str(B(&r, "{'kind':'reply','card':{'type':'Standard','image':{'largeImageUrl':7}}}"),
           "ERROR SKILL_RESULT: card.image.largeImageUrl must be a string, got a number",
           "image URL must be a string");
    contains(B(&r, "{'kind':'reply','card':{'type':'AskForPermissionsConsent'}}"),
             "card.permissions is missing", "permissions are required");
    contains(B(&r, "{'kind':'reply','card':{'type':'AskForPermissionsConsent','permissions':[]}}"),
             "card.permissions must be a list of permission names such as "
             "[\"alexa::profile:email:read\"], got an empty list",
             "permissions may not be empty");
    contains(B(&r, "{'kind':'reply','card':{'type':'AskForPermissionsConsent','permissions':"
                   "'alexa::profile:email:read'}}"),
             "got a string", "permissions must be a list");
    contains(B(&r, "{'kind':'reply','card':{'type':'AskForPermissionsConsent','permissions':["
                   "'a',3]}}"),
             "card.permissions[1] must be a permission name", "each permission is a string");
    contains(B(&r, "{'kind':'reply','card':{'type':'AskForPermissionsConsent','permissions':["
                   "'']}}"),
             "got an empty string", "a permission is not empty");
}

static void
test_card_limits(void)
{
    struct request r = mkreq(REQ_INTENT);
    char *title = repeat("t", 4000), *body = repeat("b", 4000), *reply;
    size_t cap = 30000;
    const char *s;

    reply = xmalloc(cap);
    snprintf(reply, cap,
             "{\"kind\":\"reply\",\"card\":{\"type\":\"Simple\",\"title\":\"%s\","
             "\"content\":\"%s\"}}",
             title, body);
    s = Braw(&r, reply);
    ok(strncmp(s, "{\"version\"", 10) == 0, "card of exactly 8000 characters is accepted");
    snprintf(reply, cap,
             "{\"kind\":\"reply\",\"card\":{\"type\":\"Simple\",\"title\":\"%s\","
             "\"content\":\"%sb\"}}",
             title, body);
    is_str(Braw(&r, reply),
           "ERROR RESPONSE_LIMIT: card is 8001 characters long (title, text and image addresses "
           "together); Alexa allows at most 8000",
           "card of 8001 characters is refused");
    snprintf(reply, cap,
             "{\"kind\":\"reply\",\"card\":{\"type\":\"Simple\",\"title\":\"%s\","
             "\"content\":\"%.3998s\\ud83d\\ude00\"}}",
             title, body);
    ok(strncmp(Braw(&r, reply), "{\"version\"", 10) == 0,
       "an emoji counts 2 in a card: 4000 + 3998 + 2 = 8000 is accepted");
    snprintf(reply, cap,
             "{\"kind\":\"reply\",\"card\":{\"type\":\"Simple\",\"title\":\"%s\","
             "\"content\":\"%.3999s\\ud83d\\ude00\"}}",
             title, body);
    contains(Braw(&r, reply), "card is 8001 characters long", "and 8001 with the emoji is not");

    /* URLs: 2000 each, and they count toward the 8000. */
    char *path = repeat("p", 2000 - strlen("https://x.example/"));
    snprintf(reply, cap,
             "{\"kind\":\"reply\",\"card\":{\"type\":\"Standard\",\"image\":{"
             "\"smallImageUrl\":\"https://x.example/%s\"}}}",
             path);
    ok(strncmp(Braw(&r, reply), "{\"version\"", 10) == 0, "image URL of 2000 characters");
    snprintf(reply, cap,
             "{\"kind\":\"reply\",\"card\":{\"type\":\"Standard\",\"image\":{"
             "\"smallImageUrl\":\"https://x.example/%sp\"}}}",
             path);
    is_str(Braw(&r, reply),
           "ERROR RESPONSE_LIMIT: card.image.smallImageUrl is 2001 characters long; Alexa allows "
           "at most 2000",
           "image URL of 2001 characters is refused");
    snprintf(reply, cap,
             "{\"kind\":\"reply\",\"card\":{\"type\":\"Standard\",\"title\":\"%.2000s\","
             "\"text\":\"%.2000s\",\"image\":{\"smallImageUrl\":\"https://x.example/"
             "%s\",\"largeImageUrl\":\"https://x.example/%sq\"}}}",
             title, body, path, path);
    contains(Braw(&r, reply), "card.image.largeImageUrl is 2001", "second URL over its limit");
    snprintf(reply, cap,
             "{\"kind\":\"reply\",\"card\":{\"type\":\"Standard\",\"title\":\"%.2000s\","
             "\"text\":\"%.2001s\",\"image\":{\"smallImageUrl\":\"https://x.example/"
             "%s\",\"largeImageUrl\":\"https://x.example/%s\"}}}",
             title, body, path, path);
    contains(Braw(&r, reply), "card is 8001 characters long",
             "title + text + both URLs over 8000 is refused");
    free(path);
    free(title);
    free(body);
    free(reply);
}

static void
test_speech_limits(void)
{
    struct request r = mkreq(REQ_INTENT);
    char *reply;
    const char *s;

    reply = long_speech("speech", "text", 8000, "a", "");
    ok(strncmp(Braw(&r, reply), "{\"version\"", 10) == 0, "speech of 8000 characters is accepted");
    free(reply);
    reply = long_speech("speech", "text", 8001, "a", "");
    is_str(Braw(&r, reply),
           "ERROR RESPONSE_LIMIT: outputSpeech is 8001 characters long; Alexa allows at most "
           "8000. Say less, or split it over several turns.",
           "speech of 8001 characters is refused");
    free(reply);
    reply = long_speech("speech", "text", 7998, "a", "\\ud83d\\ude00");
    ok(strncmp(Braw(&r, reply), "{\"version\"", 10) == 0,
       "7998 + one emoji (2 units) = 8000 is accepted");
    free(reply);
    reply = long_speech("speech", "text", 7999, "a", "\\ud83d\\ude00");
    contains(Braw(&r, reply), "outputSpeech is 8001 characters long",
             "7999 + one emoji = 8001 is refused");
    free(reply);
    reply = long_speech("speech", "text", 8000, "\\u00e9", "");
    ok(strncmp(Braw(&r, reply), "{\"version\"", 10) == 0,
       "8000 two-byte characters (16000 bytes) are accepted");
    free(reply);

    /* SSML counts the whole document: <speak></speak> is 15. */
    reply = long_speech("speech", "ssml", 7985, "a", "");
    ok(strncmp(Braw(&r, reply), "{\"version\"", 10) == 0, "SSML of exactly 8000 with the tags");
    free(reply);
    reply = long_speech("speech", "ssml", 7986, "a", "");
    is_str(Braw(&r, reply),
           "ERROR RESPONSE_LIMIT: outputSpeech is 8001 characters long (counting the SSML tags); "
           "Alexa allows at most 8000. Say less, or split it over several turns.",
           "SSML of 8001 with the tags is refused");
    free(reply);
    /* Escaping counts: 1597 "&" become 7985 characters of "&amp;". */
    reply = xmalloc(20000);
    char *amps = repeat("&", 1597);
    snprintf(reply, 20000, "{\"kind\":\"reply\",\"speech\":[{\"text\":\"%s\"},{\"ssml\":\"\"}]}",
             amps);
    ok(strncmp(Braw(&r, reply), "{\"version\"", 10) == 0, "escaped text of exactly 8000");
    snprintf(reply, 20000,
             "{\"kind\":\"reply\",\"speech\":[{\"text\":\"%s\"},{\"ssml\":\"<break/>\"}]}", amps);
    contains(Braw(&r, reply), "outputSpeech is 8008 characters long",
             "escaping is counted in the limit");
    free(amps);
    free(reply);

    reply = long_speech("reprompt", "text", 8000, "a", "");
    ok(strncmp(Braw(&r, reply), "{\"version\"", 10) == 0, "reprompt of 8000 is accepted");
    free(reply);
    reply = long_speech("reprompt", "text", 8001, "a", "");
    s = Braw(&r, reply);
    contains(s, "ERROR RESPONSE_LIMIT: reprompt is 8001 characters long", "reprompt of 8001");
    free(reply);
}

/* A Play directive with the given url and token (JSON string contents). */
static char *
play(const char *url, const char *token)
{
    size_t cap = strlen(url) + strlen(token) + 200;
    char *s = xmalloc(cap);
    snprintf(s, cap,
             "{\"type\":\"AudioPlayer.Play\",\"playBehavior\":\"REPLACE_ALL\",\"audioItem\":{"
             "\"stream\":{\"url\":\"%s\",\"token\":\"%s\",\"offsetInMilliseconds\":0}}}",
             url, token);
    return s;
}

static const char *
with_directives(const struct request *r, const char *dirs, const char *extra)
{
    size_t cap = strlen(dirs) + strlen(extra) + 100;
    char *reply = xmalloc(cap);
    const char *s;
    snprintf(reply, cap, "{\"kind\":\"reply\",\"directives\":%s%s}", dirs, extra);
    s = Braw(r, reply);
    free(reply);
    return s;
}

static void
test_directives(void)
{
    struct request r = mkreq(REQ_INTENT), l = mkreq(REQ_LAUNCH);
    char *p1 = play("https://audio.example/a.mp3", "t1");
    char buf[4096];
    const char *s;

    /* Passed through by reference when nothing is dropped. */
    json_t *reply = parse(J("{'kind':'reply','directives':[{'type':'Hint','hint':{'type':"
                            "'PlainText','text':'x'}}]}"));
    json_t *dirs = json_object_get(reply, "directives"), *env = NULL;
    ok(response_build(&r, reply, &env, NULL, NULL, NULL) == SS_ERR_OK, "build with a directive");
    ok(json_object_get(json_object_get(env, "response"), "directives") == dirs,
       "kept directives are passed by reference");
    json_decref(env);
    is_int(dirs->refcount, 1, "and released with the envelope");
    json_decref(reply);

    is_str(B(&r, "{'kind':'reply','directives':{'type':'X'}}"),
           "ERROR SKILL_RESULT: directives must be a list of dicts, each with a \"type\", got a "
           "dict",
           "directives must be a list");
    is_str(B(&r, "{'kind':'reply','directives':['AudioPlayer.Stop']}"),
           "ERROR SKILL_RESULT: directives[0] must be a dict with a \"type\", got a string",
           "a directive must be a dict");
    is_str(B(&r, "{'kind':'reply','directives':[{'type':'AudioPlayer.Stop'},{'slot':'x'}]}"),
           "ERROR SKILL_RESULT: directives[1].type must be a directive name such as "
           "\"AudioPlayer.Play\", got nothing",
           "a directive needs a type");
    contains(B(&r, "{'kind':'reply','directives':[{'type':''}]}"), "got an empty string",
             "a directive type is not empty");
    is_str(B(&r, "{'kind':'reply','directives':[]}"), J("{'version':'1.0','response':{}}"),
           "an empty directive list is left out");
    is_str(B(&r, "{'kind':'reply','directives':[{'type':'Custom.Thing','x':{'y':[1]}}]}"),
           J("{'version':'1.0','response':{'directives':[{'type':'Custom.Thing','x':{'y':[1]}}]}}"),
           "unknown directives pass through unchanged");

    /* AudioPlayer.Play */
    snprintf(buf, sizeof(buf), "[%s]", p1);
    s = with_directives(&r, buf, ",\"shouldEndSession\":true");
    contains(s, "\"type\":\"AudioPlayer.Play\"", "a valid Play is kept");
    is_int(W.count, 0, "without warnings");
    snprintf(buf, sizeof(buf), "[%s,{\"type\":\"AudioPlayer.Stop\"},%s]", p1, p1);
    is_str(with_directives(&r, buf, ""),
           "ERROR SKILL_RESULT: directives may have only one AudioPlayer.Play, but directives[0] "
           "and directives[2] are both one",
           "two Play directives are refused");
    char *bad = play("http://audio.example/a.mp3", "t");
    snprintf(buf, sizeof(buf), "[%s]", bad);
    is_str(with_directives(&r, buf, ""),
           "ERROR SKILL_RESULT: directives[0].audioItem.stream.url must be an https:// address, "
           "got 'http://audio.example/a.mp3'",
           "Play url must be https");
    free(bad);
    contains(with_directives(&r,
                             "[{\"type\":\"AudioPlayer.Play\",\"audioItem\":{\"stream\":{"
                             "\"url\":\"https://a.example/x.mp3\"}}}]",
                             ""),
             "directives[0].audioItem.stream.token must be a string, got nothing",
             "Play needs a token");
    contains(with_directives(&r, "[{\"type\":\"AudioPlayer.Play\"}]", ""),
             "directives[0] (AudioPlayer.Play) needs \"audioItem\"", "Play needs an audioItem");
    contains(with_directives(&r,
                             "[{\"type\":\"AudioPlayer.Play\",\"playBehavior\":\"LATER\","
                             "\"audioItem\":{\"stream\":{\"url\":\"https://a.example/x\","
                             "\"token\":\"t\"}}}]",
                             ""),
             "directives[0].playBehavior must be \"ENQUEUE\"", "Play playBehavior is checked");

    char *url = repeat("u", LIMIT_AUDIO_URL_CHARS - strlen("https://a.example/"));
    char *longurl = xmalloc(LIMIT_AUDIO_URL_CHARS + 10), *dirbuf = xmalloc(20000);
    snprintf(longurl, LIMIT_AUDIO_URL_CHARS + 10, "https://a.example/%s", url);
    char *pl = play(longurl, "t");
    snprintf(dirbuf, 20000, "[%s]", pl);
    contains(with_directives(&r, dirbuf, ""), "\"AudioPlayer.Play\"", "Play url of 8000 is kept");
    free(pl);
    strcat(longurl, "u");
    pl = play(longurl, "t");
    snprintf(dirbuf, 20000, "[%s]", pl);
    is_str(with_directives(&r, dirbuf, ""),
           "ERROR RESPONSE_LIMIT: directives[0].audioItem.stream.url is 8001 characters long; "
           "Alexa allows at most 8000",
           "Play url of 8001 is refused");
    free(pl);
    char *tok = repeat("k", LIMIT_AUDIO_TOKEN_CHARS);
    pl = play("https://a.example/x.mp3", tok);
    snprintf(dirbuf, 20000, "[%s]", pl);
    contains(with_directives(&r, dirbuf, ""), "\"AudioPlayer.Play\"", "token of 1024 is kept");
    free(pl);
    free(tok);
    tok = repeat("k", LIMIT_AUDIO_TOKEN_CHARS + 1);
    pl = play("https://a.example/x.mp3", tok);
    snprintf(dirbuf, 20000, "[%s]", pl);
    is_str(with_directives(&r, dirbuf, ""),
           "ERROR RESPONSE_LIMIT: directives[0].audioItem.stream.token is 1025 characters long; "
           "Alexa allows at most 1024",
           "token of 1025 is refused");
    free(pl);
    free(tok);
    free(url);
    free(longurl);
    free(dirbuf);

    snprintf(buf, sizeof(buf), "[%s]", p1);
    with_directives(&r, buf, ",\"shouldEndSession\":false");
    contains(W.all, "AudioPlayer.Play with shouldEndSession False", "Play + False warns");

    /* Dialog */
    is_str(B(&r, "{'kind':'reply','speech':[{'text':'What size?'}],'directives':[{'type':"
                 "'Dialog.ElicitSlot','slotToElicit':'size'}],'shouldEndSession':false}"),
           J("{'version':'1.0','response':{'outputSpeech':{'type':'PlainText','text':'What "
             "size?'},'directives':[{'type':'Dialog.ElicitSlot','slotToElicit':'size'}],"
             "'shouldEndSession':false}}"),
           "ElicitSlot answers an IntentRequest");
    is_str(B(&r, "{'kind':'reply','directives':[{'type':'Dialog.ElicitSlot'}]}"),
           "ERROR SKILL_RESULT: directives[0].slotToElicit must be a string, got nothing",
           "ElicitSlot needs slotToElicit");
    is_str(B(&r, "{'kind':'reply','directives':[{'type':'Dialog.ConfirmSlot','slotToConfirm':3}]}"),
           "ERROR SKILL_RESULT: directives[0].slotToConfirm must be a string, got a number",
           "ConfirmSlot needs slotToConfirm");
    is_str(B(&r, "{'kind':'reply','directives':[{'type':'Dialog.Delegate'},{'type':"
                 "'Dialog.ConfirmIntent'}]}"),
           "ERROR SKILL_RESULT: directives may have only one Dialog directive, but directives[0] "
           "(Dialog.Delegate) and directives[1] (Dialog.ConfirmIntent) are both one",
           "two Dialog directives are refused");
    s = B(&r, "{'kind':'reply','directives':[{'type':'Dialog.UpdateDynamicEntities',"
              "'updateBehavior':'CLEAR'},{'type':'Dialog.Delegate'}]}");
    contains(s, "Dialog.UpdateDynamicEntities", "UpdateDynamicEntities does not count as one");
    contains(s, "Dialog.Delegate", "so Delegate stays too");
    s = B(&l, "{'kind':'reply','speech':[{'text':'Hi'}],'directives':[{'type':'Dialog.Delegate'},"
              "{'type':'Dialog.UpdateDynamicEntities','updateBehavior':'CLEAR'}]}");
    is_str(s,
           J("{'version':'1.0','response':{'outputSpeech':{'type':'PlainText','text':'Hi'},"
             "'directives':[{'type':'Dialog.UpdateDynamicEntities','updateBehavior':'CLEAR'}]}}"),
           "LaunchRequest: Dialog.Delegate dropped, UpdateDynamicEntities kept");
    is_int(W.count, 1, "one warning");
    contains(W.all,
             "dropped directives[0] (Dialog.Delegate): Dialog directives can only answer an "
             "IntentRequest, not LaunchRequest",
             "the warning says why");
    B(&r, "{'kind':'reply','directives':[{'type':'Dialog.ElicitSlot','slotToElicit':'a'}],"
          "'shouldEndSession':true}");
    contains(W.all, "Dialog.ElicitSlot with shouldEndSession True", "Dialog + True warns");
    B(&r, "{'kind':'reply','speech':[{'text':'x'}],'directives':[{'type':'Dialog.Delegate'}]}");
    contains(W.all, "Dialog.Delegate with outputSpeech", "Delegate + speech warns");

    /* VideoApp.Launch */
    is_str(B(&r, "{'kind':'reply','directives':[{'type':'VideoApp.Launch','videoItem':{'source':"
                 "'https://v.example/a.mp4'}}],'shouldEndSession':true}"),
           J("{'version':'1.0','response':{'directives':[{'type':'VideoApp.Launch','videoItem':{"
             "'source':'https://v.example/a.mp4'}}]}}"),
           "VideoApp.Launch removes shouldEndSession");
    contains(W.all, "removed shouldEndSession: a response with VideoApp.Launch", "with a warning");
    B(&r, "{'kind':'reply','directives':[{'type':'VideoApp.Launch'}]}");
    is_int(W.count, 0, "no warning when there was none");
    free(p1);
}

static void
test_supported_interfaces(void)
{
    struct request r = mkreq(REQ_INTENT);
    json_t *si = parse(J("{'AudioPlayer':{},'Alexa.Presentation.APL':{'runtime':{'maxVersion':"
                         "'2023.3'}}}"));
    const char *dirs = "[{\"type\":\"AudioPlayer.Stop\"},{\"type\":\"VideoApp.Launch\"},"
                       "{\"type\":\"Alexa.Presentation.APL.RenderDocument\",\"token\":\"t\"},"
                       "{\"type\":\"Alexa.Presentation.APLA.RenderDocument\"},"
                       "{\"type\":\"Display.RenderTemplate\"},{\"type\":\"Hint\"}]";
    const char *s;

    s = with_directives(&r, dirs, "");
    ok(strstr(s, "VideoApp.Launch") && strstr(s, "Display.RenderTemplate"),
       "without supportedInterfaces every directive is kept");
    is_int(W.count, 0, "and nothing is reported");

    r.supported_interfaces = si;
    s = with_directives(&r, dirs, ",\"shouldEndSession\":true");
    is_str(s,
           J("{'version':'1.0','response':{'directives':[{'type':'AudioPlayer.Stop'},{'type':"
             "'Alexa.Presentation.APL.RenderDocument','token':'t'},{'type':"
             "'Alexa.Presentation.APLA.RenderDocument'},{'type':'Hint'}],'shouldEndSession':"
             "true}}"),
           "directives of unsupported interfaces are dropped, in order");
    is_int(W.count, 2, "two drops reported");
    contains(W.all,
             "dropped directives[1] (VideoApp.Launch): this device does not support VideoApp",
             "VideoApp drop explained");
    contains(W.all,
             "dropped directives[4] (Display.RenderTemplate): this device does not support "
             "Display",
             "Display drop explained");
    ok(strstr(s, "shouldEndSession") != NULL,
       "a dropped VideoApp.Launch does not remove shouldEndSession");

    json_t *empty = json_object();
    r.supported_interfaces = empty;
    s = with_directives(&r, "[{\"type\":\"AudioPlayer.Stop\"}]", "");
    is_str(s, J("{'version':'1.0','response':{}}"),
           "a device without AudioPlayer gets no AudioPlayer directive");
    json_decref(empty);
    json_decref(si);
}

static void
test_can_fulfill(void)
{
    struct request c = mkreq(REQ_CAN_FULFILL), i = mkreq(REQ_INTENT);

    is_str(B(&c, "{'kind':'reply','canFulfillIntent':{'canFulfill':'YES','slots':{'drink':{"
                 "'canUnderstand':'YES','canFulfill':'YES'},'size':{'canUnderstand':'MAYBE'}}},"
                 "'shouldEndSession':true}"),
           J("{'version':'1.0','response':{'canFulfillIntent':{'canFulfill':'YES','slots':{"
             "'drink':{'canUnderstand':'YES','canFulfill':'YES'},'size':{'canUnderstand':"
             "'MAYBE'}}}}}"),
           "canFulfillIntent with slots; shouldEndSession dropped");
    is_int(W.count, 0, "silently");
    is_str(B(&c, "{'kind':'reply','canFulfillIntent':{'canFulfill':'MAYBE'}}"),
           J("{'version':'1.0','response':{'canFulfillIntent':{'canFulfill':'MAYBE'}}}"),
           "canFulfillIntent without slots");
    is_str(B(&c, "{'kind':'reply','canFulfillIntent':{'canFulfill':'yes'}}"),
           "ERROR SKILL_RESULT: canFulfillIntent.canFulfill must be \"YES\", \"NO\" or "
           "\"MAYBE\", got 'yes'",
           "canFulfill values are upper case");
    contains(B(&c, "{'kind':'reply','canFulfillIntent':{}}"),
             "canFulfillIntent.canFulfill must be \"YES\", \"NO\" or \"MAYBE\", got nothing",
             "canFulfill is required");
    contains(B(&c, "{'kind':'reply','canFulfillIntent':'YES'}"),
             "canFulfillIntent must be a dict like {\"canFulfill\": \"YES\"}, got a string",
             "canFulfillIntent must be a dict");
    contains(B(&c, "{'kind':'reply','canFulfillIntent':{'canFulfill':'NO','slots':[]}}"),
             "canFulfillIntent.slots must be a dict", "slots must be a dict");
    contains(B(&c, "{'kind':'reply','canFulfillIntent':{'canFulfill':'NO','slots':{'a':'YES'}}}"),
             "canFulfillIntent.slots.a must be a dict", "each slot must be a dict");
    is_str(B(&c, "{'kind':'reply','canFulfillIntent':{'canFulfill':'NO','slots':{'a':{"
                 "'canUnderstand':'PERHAPS'}}}}"),
           "ERROR SKILL_RESULT: canFulfillIntent.slots.a.canUnderstand must be \"YES\", \"NO\" "
           "or \"MAYBE\", got 'PERHAPS'",
           "canUnderstand is checked");
    is_str(B(&c, "{'kind':'reply','canFulfillIntent':{'canFulfill':'NO','slots':{'a':{"
                 "'canUnderstand':'YES','canFulfill':'MAYBE'}}}}"),
           "ERROR SKILL_RESULT: canFulfillIntent.slots.a.canFulfill must be \"YES\" or \"NO\", "
           "got 'MAYBE'",
           "a slot's canFulfill is YES or NO");
    is_str(B(&c, "{'kind':'reply','speech':[{'text':'Sure'}]}"),
           J("{'version':'1.0','response':{}}"), "CanFulfillIntentRequest: no speech");
    contains(W.all, "dropped outputSpeech", "speech drop reported");
    contains(W.all, "should say canFulfillIntent", "missing canFulfillIntent reported");
    is_str(B(&i, "{'kind':'reply','canFulfillIntent':{'canFulfill':'YES'}}"),
           J("{'version':'1.0','response':{}}"), "IntentRequest: no canFulfillIntent");
    contains(W.all, "dropped canFulfillIntent: only the answer to a CanFulfillIntentRequest",
             "and the drop is reported");
}

/* ---- §6: one full reply against every request type ---- */

static const char full_reply[] =
    "{'kind':'reply','speech':[{'text':'Hi'}],'reprompt':[{'text':'Still there?'}],"
    "'card':{'type':'Simple','title':'T','content':'C'},"
    "'directives':[{'type':'AudioPlayer.Play','audioItem':{'stream':{'url':'https://a.example/"
    "x.mp3','token':'t'}}},{'type':'AudioPlayer.Stop'},{'type':'AudioPlayer.ClearQueue',"
    "'clearBehavior':'CLEAR_ALL'},{'type':'Dialog.ElicitSlot','slotToElicit':'s'},"
    "{'type':'Alexa.Presentation.APL.RenderDocument','token':'d'},"
    "{'type':'Dialog.UpdateDynamicEntities','updateBehavior':'CLEAR'}],"
    "'shouldEndSession':true,'sessionAttributes':{'n':1},"
    "'canFulfillIntent':{'canFulfill':'NO'}}";

static const char full_envelope[] =
    "{'kind':'envelope','envelope':{'version':'1.0','sessionAttributes':{'n':1},'response':{"
    "'outputSpeech':{'type':'PlainText','text':'Hi'},'card':{'type':'Simple','title':'T'},"
    "'reprompt':{'outputSpeech':{'type':'PlainText','text':'Again?'}},"
    "'directives':[{'type':'AudioPlayer.Stop'},{'type':'Dialog.Delegate'},{'type':"
    "'AudioPlayer.ClearQueue'}],'apiResponse':{'a':1},'shouldEndSession':true,"
    "'canFulfillIntent':{'canFulfill':'NO'}}}}";

/* "keys|directive types|attributes" of an envelope. */
static const char *
summary(const char *env_text)
{
    static char out[512];
    json_t *env = parse(env_text);
    json_t *resp = json_object_get(env, "response"), *v, *d;
    const char *key;
    size_t i;

    out[0] = '\0';
    if (!env) {
        snprintf(out, sizeof(out), "%s", env_text);
        return out;
    }
    json_object_foreach(resp, key, v)
    {
        strcat(out, key);
        strcat(out, ",");
    }
    strcat(out, "|");
    json_array_foreach(json_object_get(resp, "directives"), i, d)
    {
        const char *t = json_string_value(json_object_get(d, "type"));
        const char *dot = strrchr(t, '.');
        strcat(out, dot ? dot + 1 : t);
        strcat(out, ",");
    }
    strcat(out, json_object_get(env, "sessionAttributes") ? "|attrs" : "|");
    json_decref(env);
    return out;
}

static void
test_policy_table(void)
{
    static const struct {
        enum request_type type;
        const char *reply; /* summary of full_reply */
        int warnings;
        const char *envelope; /* summary of full_envelope */
    } rows[] = {
        {REQ_LAUNCH,
         "outputSpeech,card,reprompt,directives,shouldEndSession,|Play,Stop,ClearQueue,"
         "RenderDocument,UpdateDynamicEntities,|attrs",
         2,
         "outputSpeech,card,reprompt,directives,apiResponse,shouldEndSession,|Stop,ClearQueue,|"
         "attrs"},
        {REQ_INTENT,
         "outputSpeech,card,reprompt,directives,shouldEndSession,|Play,Stop,ClearQueue,ElicitSlot,"
         "RenderDocument,UpdateDynamicEntities,|attrs",
         2,
         "outputSpeech,card,reprompt,directives,apiResponse,shouldEndSession,|Stop,Delegate,"
         "ClearQueue,|attrs"},
        {REQ_SESSION_ENDED, "||", 6, "||"},
        {REQ_CAN_FULFILL, "canFulfillIntent,||", 5, "canFulfillIntent,||"},
        {REQ_AUDIO_STARTED, "directives,|Stop,ClearQueue,|", 9, "directives,|Stop,ClearQueue,|"},
        {REQ_AUDIO_FINISHED, "directives,|Stop,ClearQueue,|", 9, "directives,|Stop,ClearQueue,|"},
        {REQ_AUDIO_STOPPED, "||", 6, "||"},
        {REQ_AUDIO_NEARLY_FINISHED, "directives,|Play,Stop,ClearQueue,|", 8,
         "directives,|Stop,ClearQueue,|"},
        {REQ_AUDIO_FAILED, "directives,|Play,Stop,ClearQueue,|", 8,
         "directives,|Stop,ClearQueue,|"},
        {REQ_PLAYBACK_NEXT, "directives,|Play,Stop,ClearQueue,|", 8,
         "directives,|Stop,ClearQueue,|"},
        {REQ_PLAYBACK_PAUSE, "directives,|Play,Stop,ClearQueue,|", 8,
         "directives,|Stop,ClearQueue,|"},
        {REQ_PLAYBACK_PLAY, "directives,|Play,Stop,ClearQueue,|", 8,
         "directives,|Stop,ClearQueue,|"},
        {REQ_PLAYBACK_PREVIOUS, "directives,|Play,Stop,ClearQueue,|", 8,
         "directives,|Stop,ClearQueue,|"},
        {REQ_EXCEPTION, "||", 6, "||"},
        {REQ_APL_USER_EVENT,
         "outputSpeech,card,reprompt,directives,shouldEndSession,|Play,Stop,ClearQueue,"
         "RenderDocument,UpdateDynamicEntities,|attrs",
         2,
         "outputSpeech,card,reprompt,directives,apiResponse,shouldEndSession,|Stop,ClearQueue,|"
         "attrs"},
        {REQ_CONNECTIONS_RESPONSE,
         "outputSpeech,card,reprompt,directives,shouldEndSession,|Play,Stop,ClearQueue,"
         "RenderDocument,UpdateDynamicEntities,|attrs",
         2,
         "outputSpeech,card,reprompt,directives,apiResponse,shouldEndSession,|Stop,ClearQueue,|"
         "attrs"},
        {REQ_DISPLAY_ELEMENT_SELECTED,
         "outputSpeech,card,reprompt,directives,shouldEndSession,|Play,Stop,ClearQueue,"
         "RenderDocument,UpdateDynamicEntities,|attrs",
         2,
         "outputSpeech,card,reprompt,directives,apiResponse,shouldEndSession,|Stop,ClearQueue,|"
         "attrs"},
        {REQ_SESSION_RESUMED,
         "outputSpeech,card,reprompt,directives,shouldEndSession,|Play,Stop,ClearQueue,"
         "RenderDocument,UpdateDynamicEntities,|attrs",
         2,
         "outputSpeech,card,reprompt,directives,apiResponse,shouldEndSession,|Stop,ClearQueue,|"
         "attrs"},
        {REQ_OTHER, "||", 6, "||"},
    };

    for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
        struct request r = mkreq(rows[k].type);
        const char *name = r.type_name;
        is_str(summary(B(&r, full_reply)), rows[k].reply, "§6 reply for %s", name);
        is_int(W.count, rows[k].warnings, "§6 reply for %s: each drop reported", name);
        is_str(summary(B(&r, full_envelope)), rows[k].envelope, "§6 envelope for %s", name);
    }

    /* Exact texts for one empty and one AudioPlayer row. */
    struct request e = mkreq(REQ_SESSION_ENDED), a = mkreq(REQ_AUDIO_STARTED);
    is_str(B(&e, full_reply), J("{'version':'1.0','response':{}}"),
           "SessionEndedRequest: exactly the empty response");
    contains(W.all,
             "dropped outputSpeech: Alexa does not accept it in the answer to "
             "SessionEndedRequest",
             "speech drop names the request type");
    contains(W.all,
             "dropped directives (6): the answer to SessionEndedRequest may not carry "
             "directives",
             "directive drop counts them");
    B(&a, full_reply);
    contains(W.all,
             "dropped directives[0] (AudioPlayer.Play): the answer to "
             "AudioPlayer.PlaybackStarted may only carry AudioPlayer.Stop and "
             "AudioPlayer.ClearQueue",
             "PlaybackStarted explains its rule");
    struct request pc = mkreq(REQ_PLAYBACK_NEXT);
    B(&pc, full_reply);
    contains(W.all,
             "(Dialog.ElicitSlot): the answer to PlaybackController.NextCommandIssued may "
             "only carry AudioPlayer directives",
             "PlaybackController explains its rule");
}

static void
test_envelope(void)
{
    struct request r = mkreq(REQ_INTENT), e = mkreq(REQ_SESSION_ENDED);
    const char *s;

    const char *lambda =
        "{'kind':'envelope','envelope':{'version':'1.0','sessionAttributes':{'color':'red'},"
        "'response':{'outputSpeech':{'type':'PlainText','text':'Your color is red.'},'card':{"
        "'type':'Simple','title':'SessionSpeechlet - Color','content':'Your color is red.'},"
        "'reprompt':{'outputSpeech':{'type':'PlainText','text':'Tell me your color.'}},"
        "'shouldEndSession':false}}}";
    s = B(&r, lambda);
    is_str(s,
           J("{'version':'1.0','sessionAttributes':{'color':'red'},'response':{'outputSpeech':{"
             "'type':'PlainText','text':'Your color is red.'},'card':{'type':'Simple','title':"
             "'SessionSpeechlet - Color','content':'Your color is red.'},'reprompt':{"
             "'outputSpeech':{'type':'PlainText','text':'Tell me your color.'}},"
             "'shouldEndSession':false}}"),
           "a classic lambda_handler response passes unchanged");
    is_int(W.count, 0, "without warnings");

    s = B(&r, "{'kind':'envelope','envelope':{'response':{'outputSpeech':{'type':'SSML','ssml':"
              "'<speak>Hi <break time=`1s`/></speak>','playBehavior':'ENQUEUE'}},"
              "'userAgent':'ask-python/1.0'}}");
    is_str(s,
           J("{'version':'1.0','response':{'outputSpeech':{'type':'SSML','ssml':'<speak>Hi "
             "<break time=`1s`/></speak>','playBehavior':'ENQUEUE'}},'userAgent':"
             "'ask-python/1.0'}"),
           "missing version is added; SSML and unknown top-level members pass");
    contains(W.all, "no \"version\"; added \"version\": \"1.0\"", "with a warning");

    is_str(B(&r, "{'kind':'envelope','envelope':{'version':'2.0','response':{}}}"),
           "ERROR SKILL_RESULT: version must be \"1.0\", got '2.0'", "wrong version");
    is_str(B(&r, "{'kind':'envelope','envelope':{'version':1.0,'response':{}}}"),
           "ERROR SKILL_RESULT: version must be the string \"1.0\", got a number",
           "version as a number");
    contains(B(&r, "{'kind':'envelope','envelope':{'version':'1.0'}}"),
             "the returned dict has no \"response\"", "response is required");
    is_str(B(&r, "{'kind':'envelope','envelope':{'version':'1.0','response':[]}}"),
           "ERROR SKILL_RESULT: response must be a dict, got a list", "response must be a dict");
    contains(B(&r, "{'kind':'envelope','envelope':'Hello'}"),
             "a lambda_handler must return a dict like", "envelope must be a dict");
    contains(B(&r, "{'kind':'envelope'}"), "got nothing", "envelope is required");
    is_str(B(&r, "{'kind':'envelope','envelope':{'sessionAttributes':'x','response':{}}}"),
           "ERROR SKILL_RESULT: sessionAttributes must be a dict, got a string",
           "sessionAttributes must be a dict");
    is_str(B(&r, "{'kind':'envelope','envelope':{'version':'1.0','response':{'outputSpeech':{"
                 "'type':'Text','text':'x'}}}}"),
           "ERROR SKILL_RESULT: response.outputSpeech.type must be \"PlainText\" or \"SSML\", got "
           "'Text'",
           "unknown outputSpeech type");
    contains(B(&r, "{'kind':'envelope','envelope':{'response':{'outputSpeech':'Hi'}}}"),
             "response.outputSpeech must be a dict like", "outputSpeech must be a dict");
    is_str(B(&r, "{'kind':'envelope','envelope':{'version':'1.0','response':{'outputSpeech':{"
                 "'type':'PlainText','ssml':'<speak>x</speak>'}}}}"),
           "ERROR SKILL_RESULT: response.outputSpeech.text must be a string, got nothing",
           "PlainText needs text");
    is_str(B(&r, "{'kind':'envelope','envelope':{'version':'1.0','response':{'outputSpeech':{"
                 "'type':'SSML','text':'x'}}}}"),
           "ERROR SKILL_RESULT: response.outputSpeech.ssml must be a string, got nothing",
           "SSML needs ssml");
    is_str(B(&r, "{'kind':'envelope','envelope':{'version':'1.0','response':{'outputSpeech':{"
                 "'type':'SSML','ssml':'Hello there'}}}}"),
           "ERROR SSML: outputSpeech SSML must be a whole <speak>...</speak> document, but "
           "response.outputSpeech.ssml starts with 'Hello there'",
           "SSML must be a speak document");
    contains(B(&r, "{'kind':'envelope','envelope':{'version':'1.0','response':{'outputSpeech':{"
                   "'type':'SSML','ssml':'<speak>Fish & chips</speak>'}}}}"),
             "ERROR SSML: outputSpeech SSML", "malformed SSML in an envelope");
    contains(B(&r, "{'kind':'envelope','envelope':{'version':'1.0','response':{'reprompt':{"
                   "'outputSpeech':{'type':'SSML','ssml':'<speak><p>x</speak>'}}}}}"),
             "ERROR SSML: reprompt SSML", "malformed reprompt SSML in an envelope");
    contains(B(&r, "{'kind':'envelope','envelope':{'response':{'reprompt':'again'}}}"),
             "response.reprompt must be a dict like", "reprompt must be a dict");
    contains(B(&r, "{'kind':'envelope','envelope':{'response':{'reprompt':{'directives':{}}}}}"),
             "response.reprompt.directives must be a list", "reprompt directives must be a list");
    contains(B(&r, "{'kind':'envelope','envelope':{'response':{'outputSpeech':{'type':"
                   "'PlainText','text':'x','playBehavior':'SOON'}}}}"),
             "response.outputSpeech.playBehavior must be", "envelope playBehavior is checked");
    is_str(B(&r, "{'kind':'envelope','envelope':{'response':{'shouldEndSession':'true'}}}"),
           "ERROR SKILL_RESULT: response.shouldEndSession must be True, False or None, got a "
           "string",
           "shouldEndSession type");
    is_str(
        B(&r, "{'kind':'envelope','envelope':{'response':{'card':{'type':'Simple','title':1}}}}"),
        "ERROR SKILL_RESULT: response.card.title must be a string, got a number",
        "envelope card errors name response.card");
    s = B(&r, "{'kind':'envelope','envelope':{'response':{'outputSpeech':{'type':'PlainText',"
              "'text':'<speak>hi</speak>'}}}}");
    ok(strncmp(s, "{\"version\"", 10) == 0, "PlainText that looks like SSML is sent");
    contains(W.all, "is PlainText but contains <speak>", "with a warning");
    is_str(B(&r, "{'kind':'envelope','envelope':{'version':'1.0','response':{'outputSpeech':null,"
                 "'card':null,'shouldEndSession':null,'apiResponse':{'x':1}}}}"),
           J("{'version':'1.0','response':{'shouldEndSession':null,'apiResponse':{'x':1}}}"),
           "None members are left out, except shouldEndSession; unknown members pass");
    s = B(&r, "{'kind':'envelope','envelope':{'response':{'shouldEndSession':true,'directives':[{"
              "'type':'VideoApp.Launch'}]}}}");
    is_str(s, J("{'version':'1.0','response':{'directives':[{'type':'VideoApp.Launch'}]}}"),
           "envelope: VideoApp.Launch removes a shouldEndSession that came before it");
    char *a8001 = repeat("a", 8001), *env = xmalloc(9000);
    snprintf(env, 9000,
             "{\"kind\":\"envelope\",\"envelope\":{\"response\":{\"outputSpeech\":{"
             "\"type\":\"PlainText\",\"text\":\"%s\"}}}}",
             a8001);
    contains(Braw(&r, env), "ERROR RESPONSE_LIMIT: outputSpeech is 8001 characters long",
             "envelope speech limit");
    free(a8001);
    free(env);

    is_str(B(&e, lambda), J("{'version':'1.0','response':{}}"),
           "envelope for SessionEndedRequest becomes the empty response");
    is_int(W.count, 4, "dropping outputSpeech, card, reprompt, sessionAttributes");
}

static void
test_reply_kind(void)
{
    struct request r = mkreq(REQ_INTENT);
    json_t *out = (json_t *)1;
    struct ss_error err;

    is_str(B(&r, "[1]"), "ERROR SKILL_RESULT: the worker's reply must be a JSON object, got a list",
           "reply must be an object");
    is_str(B(&r, "{'speech':[]}"),
           "ERROR SKILL_RESULT: the worker's reply needs \"kind\": \"reply\" or \"envelope\", got "
           "nothing",
           "kind is required");
    is_str(B(&r, "{'kind':'answer'}"),
           "ERROR SKILL_RESULT: the worker's reply has kind 'answer'; expected \"reply\" or "
           "\"envelope\"",
           "unknown kind");
    is_int(response_build(&r, NULL, &out, NULL, NULL, &err), SS_ERR_SKILL_RESULT,
           "NULL reply is a skill result error");
    ok(out == NULL, "and *out is NULL");
    is_int(response_build(NULL, NULL, &out, NULL, NULL, &err), SS_ERR_USAGE, "NULL request");
    const char *s = B(&r, "{'kind':'reply','speech':[{'text':'x'}],'emotion':'happy'}");
    contains(s, "\"text\":\"x\"", "an unknown reply member does not stop the reply");
    contains(W.all, "ignored the reply member 'emotion'", "it is reported");
    s = B(&r, "{'kind':'reply','card':{'type':'Big\\nline'}}");
    contains(s, "got 'Big line'", "control characters in quoted values are blanked");
    char *big = repeat("x", 300), reply[600];
    snprintf(reply, sizeof(reply), "{\"kind\":\"reply\",\"card\":{\"type\":\"%s\"}}", big);
    s = Braw(&r, reply);
    contains(s, "...'", "long quoted values are cut");
    ok(strlen(s) < 200, "so messages stay short");
    free(big);
}

static void
test_apology(void)
{
    static const struct {
        enum request_type type;
        bool speaks;
    } rows[] = {
        {REQ_LAUNCH, true},
        {REQ_INTENT, true},
        {REQ_SESSION_ENDED, false},
        {REQ_CAN_FULFILL, false},
        {REQ_AUDIO_STARTED, false},
        {REQ_AUDIO_FAILED, false},
        {REQ_AUDIO_STOPPED, false},
        {REQ_PLAYBACK_PLAY, false},
        {REQ_EXCEPTION, false},
        {REQ_APL_USER_EVENT, true},
        {REQ_CONNECTIONS_RESPONSE, true},
        {REQ_DISPLAY_ELEMENT_SELECTED, true},
        {REQ_SESSION_RESUMED, true},
        {REQ_OTHER, false},
    };
    const char *speak = J("{'version':'1.0','response':{'outputSpeech':{'type':'PlainText','text':"
                          "'Sorry.'},'shouldEndSession':true}}");
    char want[256];
    snprintf(want, sizeof(want), "%s", speak);

    for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
        struct request r = mkreq(rows[k].type);
        json_t *env = response_apology(&r, "Sorry.");
        is_str(D(env), rows[k].speaks ? want : J("{'version':'1.0','response':{}}"),
               "apology for %s %s", r.type_name, rows[k].speaks ? "speaks" : "is empty");
        json_decref(env);
    }
    json_t *env = response_apology(NULL, "Sorry.");
    is_str(D(env), want, "apology without a parsed request speaks");
    json_decref(env);
    env = response_apology(NULL, NULL);
    contains(D(env), "Sorry, something went wrong", "NULL sentence speaks a generic apology");
    json_decref(env);
    env = response_apology(NULL, "Bad \xff\xfe byte \xc3");
    contains(D(env), "\"text\":\"Bad  byte \"", "invalid UTF-8 is dropped");
    json_decref(env);

    /* Cut to the speech limit, never inside a character. */
    char *s = xmalloc(9000 * 4 + 1);
    memset(s, 'a', 7999);
    strcpy(s + 7999, "\xf0\x9f\x98\x80tail");
    env = response_apology(NULL, s);
    json_t *text =
        json_object_get(json_object_get(json_object_get(env, "response"), "outputSpeech"), "text");
    is_int(json_string_length(text), 7999, "an emoji that would make 8001 is cut");
    is_int(response_speech_length(json_string_value(text)), 7999, "at 7999 units");
    json_decref(env);
    memset(s, 'a', 9000);
    s[9000] = '\0';
    env = response_apology(NULL, s);
    text =
        json_object_get(json_object_get(json_object_get(env, "response"), "outputSpeech"), "text");
    is_int(json_string_length(text), LIMIT_SPEECH_CHARS, "a long sentence is cut to 8000");
    json_decref(env);
    free(s);
}

static int dump_warnings;

static void
count_warning(void *ctx, const char *message)
{
    (void)ctx;
    (void)message;
    dump_warnings++;
}

/* An envelope whose compact form is exactly bytes long. */
static json_t *
envelope_of_size(size_t bytes)
{
    /* {"version":"1.0","response":{},"sessionAttributes":{"x":""}} is 61 bytes */
    const size_t base = strlen("{\"version\":\"1.0\",\"response\":{},\"sessionAttributes\":{"
                               "\"x\":\"\"}}");
    char *pad = xmalloc(bytes - base + 1);
    json_t *env;
    memset(pad, 'p', bytes - base);
    pad[bytes - base] = '\0';
    env = json_pack("{s:s, s:{}, s:{s:s}}", "version", "1.0", "response", "sessionAttributes", "x",
                    pad);
    free(pad);
    return env;
}

static void
test_dump(void)
{
    struct ss_error err;
    char *text = NULL;
    size_t len = 0;
    json_t *env = parse(J("{'version':'1.0','response':{'outputSpeech':{'type':'PlainText','text':"
                          "'Caf\\u00e9 \\ud83d\\ude00'},'shouldEndSession':true}}"));

    is_int(response_dump(env, false, &text, &len, &err), SS_ERR_OK, "dump compact");
    is_str(text,
           "{\"version\":\"1.0\",\"response\":{\"outputSpeech\":{\"type\":\"PlainText\","
           "\"text\":\"Caf\xc3\xa9 \xf0\x9f\x98\x80\"},\"shouldEndSession\":true}}",
           "compact, in insertion order, UTF-8 not escaped");
    is_int(len, strlen(text), "length matches");
    free(text);
    is_int(response_dump(env, true, &text, &len, &err), SS_ERR_OK, "dump pretty");
    contains(text, "{\n  \"version\": \"1.0\",\n  \"response\": {\n    \"outputSpeech\"",
             "pretty uses 2 spaces");
    free(text);
    json_decref(env);

    json_t *reals = parse("{\"a\":0.1,\"b\":1e300,\"c\":-0.0,\"d\":3}");
    is_int(response_dump(reals, false, &text, &len, &err), SS_ERR_OK, "dump numbers");
    json_t *back = json_loads(text, 0, NULL);
    ok(back && json_real_value(json_object_get(back, "a")) == 0.1 &&
           json_real_value(json_object_get(back, "b")) == 1e300 &&
           json_is_integer(json_object_get(back, "d")),
       "numbers round-trip exactly");
    json_decref(back);
    json_decref(reals);
    free(text);

    env = envelope_of_size(LIMIT_RESPONSE_BYTES);
    is_int(response_dump(env, false, &text, &len, &err), SS_ERR_OK,
           "a response of exactly %d bytes is sent", LIMIT_RESPONSE_BYTES);
    is_int(len, LIMIT_RESPONSE_BYTES, "its length");
    ok(text && text[len] == '\0' && text[len - 1] == '}', "NUL-terminated whole text");
    free(text);
    is_int(response_dump(env, true, &text, &len, &err), SS_ERR_OK,
           "pretty may be longer than the limit when the compact form is not");
    ok(len > LIMIT_RESPONSE_BYTES && text && strlen(text) == len, "pretty text is complete");
    free(text);
    json_decref(env);
    env = envelope_of_size(LIMIT_RESPONSE_BYTES + 1);
    text = (char *)1;
    is_int(response_dump(env, false, &text, &len, &err), SS_ERR_RESPONSE_LIMIT,
           "one byte over the limit is refused");
    ok(text == NULL, "and *out is NULL");
    is_str(err.msg,
           "the response is 122881 bytes long; Alexa accepts at most 122880. Keep "
           "sessionAttributes and directives smaller.",
           "the message gives both sizes");
    is_int(response_dump(env, true, &text, &len, &err), SS_ERR_RESPONSE_LIMIT,
           "pretty is held to the same compact limit");
    json_decref(env);

    env = envelope_of_size(LIMIT_RESPONSE_WARN_BYTES);
    dump_warnings = 0;
    is_int(response_dump_warn(env, false, &text, &len, count_warning, NULL, &err), SS_ERR_OK,
           "dump at the warning size");
    is_int(dump_warnings, 0, "exactly %d bytes: no warning", LIMIT_RESPONSE_WARN_BYTES);
    free(text);
    json_decref(env);
    env = envelope_of_size(LIMIT_RESPONSE_WARN_BYTES + 1);
    is_int(response_dump_warn(env, true, &text, &len, count_warning, NULL, &err), SS_ERR_OK,
           "dump one over the warning size");
    is_int(dump_warnings, 1, "one byte over: one warning (measured compact, also when pretty)");
    free(text);
    json_decref(env);

    json_t *arr = json_array();
    is_int(response_dump(arr, false, &text, &len, &err), SS_ERR_USAGE, "a list is not an envelope");
    json_decref(arr);
}

static void
test_with_request_parse(void)
{
    static const char body[] =
        "{\"version\":\"1.0\",\"session\":{\"new\":true,\"sessionId\":\"amzn1.echo-api.session.1\","
        "\"application\":{\"applicationId\":\"amzn1.ask.skill.1\"},\"user\":{\"userId\":"
        "\"amzn1.ask.account.1\"}},\"context\":{\"System\":{\"application\":{\"applicationId\":"
        "\"amzn1.ask.skill.1\"},\"user\":{\"userId\":\"amzn1.ask.account.1\"},\"device\":{"
        "\"deviceId\":\"amzn1.ask.device.1\",\"supportedInterfaces\":{}}}},\"request\":{\"type\":"
        "\"LaunchRequest\",\"requestId\":\"amzn1.echo-api.request.1\",\"locale\":\"en-US\","
        "\"timestamp\":\"2025-01-15T18:04:05Z\"}}";
    struct request req;
    struct ss_error err;

    if (request_parse(&req, body, strlen(body), &err) != SS_ERR_OK) {
        ok(0, "request_parse of a LaunchRequest: %s", err.msg);
        return;
    }
    is_str(B(&req, "{'kind':'reply','speech':[{'text':'Welcome'}],'directives':[{'type':"
                   "'AudioPlayer.Stop'}],'shouldEndSession':false}"),
           J("{'version':'1.0','response':{'outputSpeech':{'type':'PlainText','text':'Welcome'},"
             "'shouldEndSession':false}}"),
           "a parsed LaunchRequest from a device without AudioPlayer");
    contains(W.all, "this device does not support AudioPlayer", "reported");
    json_t *env = response_apology(&req, "Sorry.");
    contains(D(env), "\"shouldEndSession\":true", "apology for a parsed request");
    json_decref(env);
    request_cleanup(&req);
}

int
main(void)
{
    test_speech_length();
    test_plain_text();
    test_ssml_assembly();
    test_ssml_speak_rules();
    test_ssml_checker_wiring();
    test_segments_shape();
    test_reprompt_and_play_behavior();
    test_should_end_session();
    test_session_attributes();
    test_cards_valid();
    test_cards_invalid();
    test_card_limits();
    test_speech_limits();
    test_directives();
    test_supported_interfaces();
    test_can_fulfill();
    test_policy_table();
    test_envelope();
    test_reply_kind();
    test_apology();
    test_dump();
    test_with_request_parse();
    ssml_shutdown();
    return tap_done();
}
