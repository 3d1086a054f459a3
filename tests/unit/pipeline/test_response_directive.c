/*
 * test_response_directive.c - unit tests of
 * server/pipeline/response/directive.c: which directives are kept for a
 * request type and a device, and the rules on the kept ones.
 */
#include "response_test.h"

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
    const char *si_text = J("{'AudioPlayer':{},'Alexa.Presentation.APL':{'runtime':{'maxVersion':"
                            "'2023.3'}}}");
    struct ss_doc *si = ss_doc_parse(si_text, strlen(si_text), NULL);
    const char *dirs = "[{\"type\":\"AudioPlayer.Stop\"},{\"type\":\"VideoApp.Launch\"},"
                       "{\"type\":\"Alexa.Presentation.APL.RenderDocument\",\"token\":\"t\"},"
                       "{\"type\":\"Alexa.Presentation.APLA.RenderDocument\"},"
                       "{\"type\":\"Display.RenderTemplate\"},{\"type\":\"Hint\"}]";
    const char *s;

    s = with_directives(&r, dirs, "");
    ok(strstr(s, "VideoApp.Launch") && strstr(s, "Display.RenderTemplate"),
       "without supportedInterfaces every directive is kept");
    is_int(W.count, 0, "and nothing is reported");

    r.supported_interfaces = si ? si->nodes : NULL;
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

    struct ss_doc *empty = ss_doc_parse("{}", 2, NULL);
    r.supported_interfaces = empty ? empty->nodes : NULL;
    s = with_directives(&r, "[{\"type\":\"AudioPlayer.Stop\"}]", "");
    is_str(s, J("{'version':'1.0','response':{}}"),
           "a device without AudioPlayer gets no AudioPlayer directive");
    ss_doc_free(empty);
    ss_doc_free(si);
}

int
main(void)
{
    test_directives();
    test_supported_interfaces();
    ssml_shutdown();
    return tap_done();
}
