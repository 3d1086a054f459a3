/*
 * test_response.c - unit tests of server/pipeline/response/ as a whole:
 * the envelope around the parts (envelope.c: shouldEndSession,
 * sessionAttributes, canFulfillIntent, a lambda_handler's envelope, the
 * reply's kind), the §6 table (policy.c) for every request type, the apology
 * (apology.c), serialisation with the size limits, and a request that went
 * through request_parse(). The parts have test_response_speech.c,
 * test_response_card.c and test_response_directive.c.
 */
#include "response_test.h"

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
    test_should_end_session();
    test_session_attributes();
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
