/*
 * fuzz_response.c - skill replies (written by skill code, so untrusted) through
 * response_build and response_dump for several request types: never a crash,
 * a leak, an overlong message, or a success without an envelope. The raw
 * bytes are also an apology's sentence (a --dev error text quotes skill
 * code): always a response whose speech is within the limit.
 */
#include "response.h"
#include "ss_limits.h"
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The apology for sentence[0..size), NUL-terminated at the first NUL. */
static void
apology_of(const uint8_t *sentence, size_t size)
{
    struct request r;
    char *text = malloc(size + 1);
    json_t *env;

    if (!text)
        return;
    memcpy(text, sentence, size);
    text[size] = '\0';
    memset(&r, 0, sizeof(r));
    r.type = REQ_INTENT;
    env = response_apology(&r, text);
    if (!env)
        abort();
    const char *said = json_string_value(
        json_object_get(json_object_get(json_object_get(env, "response"), "outputSpeech"), "text"));
    char *dumped = json_dumps(env, JSON_COMPACT);
    if (!said || response_speech_length(said) > LIMIT_SPEECH_CHARS || !dumped)
        abort();
    free(dumped);
    json_decref(env);
    free(text);
}

static void
warn(void *ctx, const char *m)
{
    (void)ctx;
    if (!m || strlen(m) >= 512)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum request_type types[] = {
        REQ_INTENT,      REQ_LAUNCH,        REQ_AUDIO_NEARLY_FINISHED,
        REQ_CAN_FULFILL, REQ_SESSION_ENDED, REQ_OTHER};
    json_t *reply = NULL;
    static const char si_text[] = "{\"AudioPlayer\":{}}";
    struct ss_doc *si = ss_doc_parse(si_text, sizeof(si_text) - 1, NULL);
    if (size < 1) {
        ss_doc_free(si);
        return 0;
    }
    uint8_t mode = data[0];
    if (mode & 1) {
        /* raw SSML / text segment */
        json_t *seg = json_stringn((const char *)data + 1, size - 1);
        if (seg)
            reply = json_pack("{s:s, s:[{s:o}], s:[{s:s},{s:s}]}", "kind", "reply", "speech",
                              (mode & 2) ? "ssml" : "text", seg, "reprompt", "text", "a&b", "ssml",
                              "<break/>");
    } else {
        reply = json_loadb((const char *)data + 1, size - 1, 0, NULL);
    }
    if (reply) {
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
            struct request r;
            memset(&r, 0, sizeof(r));
            r.type = types[i];
            r.type_name = "X";
            r.locale = (mode & 4) ? "fr-FR" : NULL;
            r.supported_interfaces = (mode & 8) && si ? si->nodes : NULL;
            json_t *out = NULL;
            struct ss_error e;
            enum ss_err rc = response_build(&r, reply, &out, warn, NULL, &e);
            if (rc == SS_ERR_OK) {
                char *s = NULL;
                size_t len = 0;
                if (!out)
                    abort();
                if (response_dump(out, mode & 16, &s, &len, &e) == SS_ERR_OK) {
                    if (strlen(s) != len)
                        abort();
                    free(s);
                }
            } else if (out != NULL || strlen(e.msg) >= sizeof(e.msg)) {
                abort();
            }
            json_decref(out);
        }
        json_t *a = response_apology(NULL, json_is_string(json_object_get(reply, "kind"))
                                               ? json_string_value(json_object_get(reply, "kind"))
                                               : "x");
        if (!a)
            abort();
        json_decref(a);
    }
    apology_of(data + 1, size - 1);
    json_decref(reply);
    ss_doc_free(si);
    return 0;
}
