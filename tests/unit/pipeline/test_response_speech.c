/*
 * test_response_speech.c - unit tests of server/pipeline/response/speech.c:
 * speech segments into PlainText or one <speak> document, the speech limit,
 * and the SSML check.
 */
#include "response_test.h"

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

    /* Words that hold SSML tags are said as written: the author is told. */
    B(&r, "{'kind':'reply','speech':[{'text':'Wait <break time=`1s`/> boo'}]}");
    is_int(W.count, 1, "a tag in words: one warning");
    contains(W.all, "speech[0] is words, which Alexa says as written", "the warning says so");
    contains(W.all, "return SSML(", "and what to do");
    B(&r, "{'kind':'reply','speech':[{'text':'x'},{'text':'<amazon:effect name=`whispered`>y'}],"
          "'reprompt':[{'text':'</speak>'}]}");
    is_int(W.count, 2, "amazon: tags and closing tags too, in speech and reprompt");
    contains(W.all, "speech[1] is words", "the part is named");
    B(&r, "{'kind':'reply','speech':[{'text':'I <3 maths, a < b, <you>, <spoken>, <'}]}");
    is_int(W.count, 0, "words with < that are no tag: no warning");

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
    test_speech_limits();
    ssml_shutdown();
    return tap_done();
}
