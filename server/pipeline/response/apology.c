/*
 * apology.c - the answer Alexa speaks when a skill fails.
 *
 * Owns: the response sent instead of the skill's when it raised, timed out,
 * crashed or answered something that cannot be sent: a PlainText sentence
 * that ends the session, or the empty response for a request type whose
 * answer may not speak (policy.c).
 *
 * Must stay true: whatever the sentence holds (a --dev error text quotes the
 * skill's code and exception), the result is valid: invalid UTF-8 and
 * characters XML forbids are dropped and the text is cut to the speech
 * limit, never inside a character. It runs after something already went
 * wrong, so it fails only when memory runs out.
 */
#include <stdlib.h>

#include "response_internal.h"
#include "ss_limits.h"

#define APOLOGY_DEFAULT "Sorry, something went wrong. Please try again."

/* sentence without what cannot be sent, in a new JSON string; NULL on OOM. */
static json_t *
clean_text(const char *sentence)
{
    size_t len = strlen(sentence), o = 0;
    char *clean = malloc(len + 1);
    json_t *text;

    if (!clean)
        return NULL;
    for (size_t i = 0; i < len;) {
        size_t n = ssml_utf8_char((const unsigned char *)sentence + i, len - i);
        if (n == 0) {
            i++;
            continue;
        }
        memcpy(clean + o, sentence + i, n);
        o += n;
        i += n;
    }
    /* Valid UTF-8 now: cut before the character that passes the limit. */
    o = utf16_offset_past(clean, o, LIMIT_SPEECH_CHARS);
    text = json_stringn_nocheck(clean, o);
    free(clean);
    return text;
}

json_t *
response_apology(const struct request *req, const char *sentence)
{
    const struct policy *pol = response_policy_of(req);
    json_t *env = json_object(), *resp = json_object(), *os = NULL;
    int rc;

    if (!env || !resp || json_object_set_new_nocheck(env, "version", json_string("1.0")) != 0)
        goto fail;
    if (pol->speech) {
        os = json_object();
        /* set_new takes its value also when it fails */
        if (!os || json_object_set_new_nocheck(os, "type", json_string("PlainText")) != 0 ||
            json_object_set_new_nocheck(os, "text",
                                        clean_text(sentence ? sentence : APOLOGY_DEFAULT)) != 0)
            goto fail;
        rc = json_object_set_new_nocheck(resp, "outputSpeech", os);
        os = NULL;
        if (rc != 0)
            goto fail;
        if (pol->session && json_object_set_new_nocheck(resp, "shouldEndSession", json_true()) != 0)
            goto fail;
    }
    rc = json_object_set_new_nocheck(env, "response", resp);
    resp = NULL;
    if (rc != 0)
        goto fail;
    return env;
fail:
    json_decref(os);
    json_decref(resp);
    json_decref(env);
    return NULL;
}
