/*
 * directive.c - the directives of a response (spec/alexa-protocol.md §5.5).
 *
 * Owns: which directives are kept for this request and this device (the
 * directive column of §6, and the interfaces a device must list in
 * supportedInterfaces), and the rules on the kept ones: one AudioPlayer.Play
 * with an https stream within the §8 limits, one Dialog directive, the slot
 * an ElicitSlot or ConfirmSlot names.
 *
 * Must stay true: a directive the request or device may not receive is
 * dropped with a warning, never an error (the rest of the answer is still
 * good); a kept directive that breaks a rule is an error. When nothing is
 * dropped the skill's list is sent as it is, not copied.
 */
#include <stdint.h>
#include <stdio.h>

#include "response_internal.h"
#include "ss_limits.h"

/* Interfaces a device must list in supportedInterfaces for their directives. */
static const struct {
    const char *prefix; /* directive types starting with this */
    const char *name;   /* the key in supportedInterfaces */
} interfaces[] = {
    {"AudioPlayer.", "AudioPlayer"},
    {"VideoApp.", "VideoApp"},
    {"Alexa.Presentation.APL.", "Alexa.Presentation.APL"},
    {"Alexa.Presentation.APLT.", "Alexa.Presentation.APLT"},
    {"Alexa.Presentation.HTML.", "Alexa.Presentation.HTML"},
    {"Display.", "Display"},
};

/* The Dialog directives that drive an intent's dialog model: only an
 * IntentRequest may be answered with one, and only with one.
 * UpdateDynamicEntities only changes slot values and works in any session. */
static bool
is_dialog_step(const char *type)
{
    return starts_with(type, "Dialog.") && strcmp(type, "Dialog.UpdateDynamicEntities") != 0;
}

enum refusal { KEEP, NOT_STOP_CLEAR, NOT_AUDIO, NOT_DIALOG, NO_INTERFACE };

static enum refusal
refuse_directive(const struct build *b, const char *type, const char **interface)
{
    switch (b->pol->dirs) {
    case DIRS_NONE: /* handled by the caller as a whole */
    case DIRS_ALL:
        break;
    case DIRS_STOP_CLEAR:
        if (strcmp(type, "AudioPlayer.Stop") != 0 && strcmp(type, "AudioPlayer.ClearQueue") != 0)
            return NOT_STOP_CLEAR;
        break;
    case DIRS_AUDIO:
        if (!starts_with(type, "AudioPlayer."))
            return NOT_AUDIO;
        break;
    case DIRS_NO_DIALOG:
        if (is_dialog_step(type))
            return NOT_DIALOG;
        break;
    }
    /* Without supportedInterfaces (hand-written test requests) we cannot
     * know, and keep the directive. */
    if (b->req && b->req->supported_interfaces &&
        b->req->supported_interfaces->type == SS_NODE_OBJECT) {
        for (size_t i = 0; i < sizeof(interfaces) / sizeof(interfaces[0]); i++) {
            if (starts_with(type, interfaces[i].prefix)) {
                if (!ss_node_get(b->req->supported_interfaces, interfaces[i].name)) {
                    *interface = interfaces[i].name;
                    return NO_INTERFACE;
                }
                break;
            }
        }
    }
    return KEEP;
}

static void
warn_refused(const struct build *b, enum refusal why, size_t i, const char *type,
             const char *interface)
{
    char q[RESPONSE_QUOTE_BYTES + 4];
    const char *t = response_quote(type, strlen(type), q);

    switch (why) {
    case KEEP:
        break;
    case NOT_STOP_CLEAR:
        response_warnf(b,
                       "dropped %sdirectives[%zu] (%s): the answer to %s may only carry "
                       "AudioPlayer.Stop and AudioPlayer.ClearQueue",
                       b->prefix, i, t, b->type_name);
        break;
    case NOT_AUDIO:
        response_warnf(
            b,
            "dropped %sdirectives[%zu] (%s): the answer to %s may only carry AudioPlayer "
            "directives",
            b->prefix, i, t, b->type_name);
        break;
    case NOT_DIALOG:
        response_warnf(b,
                       "dropped %sdirectives[%zu] (%s): Dialog directives can only answer an "
                       "IntentRequest, not %s",
                       b->prefix, i, t, b->type_name);
        break;
    case NO_INTERFACE:
        response_warnf(
            b,
            "dropped %sdirectives[%zu] (%s): this device does not support %s (it is not in "
            "context.System.device.supportedInterfaces)",
            b->prefix, i, t, interface);
        break;
    }
}

static enum ss_err
check_play(const struct build *b, const json_t *d, size_t i)
{
    char path[64], q[RESPONSE_QUOTE_BYTES + 4];
    json_t *item = json_object_get(d, "audioItem");
    json_t *stream = json_object_get(item, "stream");
    json_t *url, *token, *pb;
    size_t n;
    enum ss_err rc;

    pb = member(d, "playBehavior");
    if (pb) {
        snprintf(path, sizeof(path), "directives[%zu].playBehavior", i);
        rc = response_check_enum(b, pb, path, response_play_behaviors, PLAY_BEHAVIORS_SHOWN);
        if (rc != SS_ERR_OK)
            return rc;
    }
    if (!json_is_object(item) || !json_is_object(stream))
        return response_fail(
            b, SS_ERR_SKILL_RESULT,
            "%sdirectives[%zu] (AudioPlayer.Play) needs \"audioItem\": {\"stream\": "
            "{\"url\": \"https://...\", \"token\": \"...\"}}",
            b->prefix, i);
    snprintf(path, sizeof(path), "directives[%zu].audioItem.stream", i);
    rc = response_get_string(b, stream, path, "url", true, &url);
    if (rc == SS_ERR_OK)
        rc = response_get_string(b, stream, path, "token", true, &token);
    if (rc != SS_ERR_OK)
        return rc;
    if (!is_https(json_string_value(url)))
        return response_fail(b, SS_ERR_SKILL_RESULT,
                             "%s%s.url must be an https:// address, got '%s'", b->prefix, path,
                             response_quote(json_string_value(url), json_string_length(url), q));
    n = units_of(url);
    if (n > LIMIT_AUDIO_URL_CHARS)
        return response_fail(b, SS_ERR_RESPONSE_LIMIT,
                             "%s%s.url is %zu characters long; Alexa allows at most %d", b->prefix,
                             path, n, LIMIT_AUDIO_URL_CHARS);
    n = units_of(token);
    if (n > LIMIT_AUDIO_TOKEN_CHARS)
        return response_fail(b, SS_ERR_RESPONSE_LIMIT,
                             "%s%s.token is %zu characters long; Alexa allows at most %d",
                             b->prefix, path, n, LIMIT_AUDIO_TOKEN_CHARS);
    return SS_ERR_OK;
}

/* The rules of the kept directive d at index i. */
static enum ss_err
check_directive(struct build *b, const json_t *d, const char *type, size_t i, size_t *play_at,
                size_t *dialog_at)
{
    char path[48];
    json_t *slot;

    if (strcmp(type, "AudioPlayer.Play") == 0) {
        if (*play_at != SIZE_MAX)
            return response_fail(
                b, SS_ERR_SKILL_RESULT,
                "%sdirectives may have only one AudioPlayer.Play, but directives[%zu] "
                "and directives[%zu] are both one",
                b->prefix, *play_at, i);
        *play_at = i;
        b->audio_play = true;
        return check_play(b, d, i);
    }
    if (is_dialog_step(type)) {
        if (*dialog_at != SIZE_MAX)
            return response_fail(
                b, SS_ERR_SKILL_RESULT,
                "%sdirectives may have only one Dialog directive, but directives[%zu] "
                "(%s) and directives[%zu] (%s) are both one",
                b->prefix, *dialog_at, b->dialog, i, type);
        *dialog_at = i;
        b->dialog = type;
        snprintf(path, sizeof(path), "directives[%zu]", i);
        if (strcmp(type, "Dialog.ElicitSlot") == 0)
            return response_get_string(b, d, path, "slotToElicit", true, &slot);
        if (strcmp(type, "Dialog.ConfirmSlot") == 0)
            return response_get_string(b, d, path, "slotToConfirm", true, &slot);
        return SS_ERR_OK;
    }
    if (strcmp(type, "VideoApp.Launch") == 0)
        b->video_launch = true;
    return SS_ERR_OK;
}

enum ss_err
response_directives_filter(struct build *b, json_t *dirs, json_t **out)
{
    json_t *kept = NULL, *d;
    size_t n, i, play_at = SIZE_MAX, dialog_at = SIZE_MAX;
    enum ss_err rc = SS_ERR_OK;

    *out = NULL;
    if (!json_is_array(dirs))
        return response_fail(b, SS_ERR_SKILL_RESULT,
                             "%sdirectives must be a list of dicts, each with a \"type\", got %s",
                             b->prefix, response_kind_of(dirs));
    n = json_array_size(dirs);
    json_array_foreach(dirs, i, d)
    {
        json_t *type = json_object_get(d, "type");
        if (!json_is_object(d))
            return response_fail(b, SS_ERR_SKILL_RESULT,
                                 "%sdirectives[%zu] must be a dict with a \"type\", got %s",
                                 b->prefix, i, response_kind_of(d));
        if (!json_is_string(type) || json_string_length(type) == 0)
            return response_fail(b, SS_ERR_SKILL_RESULT,
                                 "%sdirectives[%zu].type must be a directive name such as "
                                 "\"AudioPlayer.Play\", got %s",
                                 b->prefix, i,
                                 json_is_string(type) ? "an empty string" : response_kind_of(type));
    }
    if (n == 0)
        return SS_ERR_OK;
    if (b->pol->dirs == DIRS_NONE) {
        response_warnf(b, "dropped %sdirectives (%zu): the answer to %s may not carry directives",
                       b->prefix, n, b->type_name);
        return SS_ERR_OK;
    }

    json_array_foreach(dirs, i, d)
    {
        const char *type = json_string_value(json_object_get(d, "type"));
        const char *interface = NULL;
        enum refusal why = refuse_directive(b, type, &interface);

        if (why != KEEP) {
            warn_refused(b, why, i, type, interface);
            if (!kept) {
                /* The first drop: from here on we build the list we keep. */
                kept = json_array();
                for (size_t k = 0; kept && k < i; k++)
                    if (json_array_append(kept, json_array_get(dirs, k)) != 0)
                        json_decref(kept), kept = NULL;
                if (!kept) {
                    rc = response_fail(b, SS_ERR_NOMEM, "out of memory filtering directives");
                    goto out;
                }
            }
            continue;
        }
        if (kept && json_array_append(kept, d) != 0) {
            rc = response_fail(b, SS_ERR_NOMEM, "out of memory filtering directives");
            goto out;
        }
        rc = check_directive(b, d, type, i, &play_at, &dialog_at);
        if (rc != SS_ERR_OK)
            goto out;
    }
    if (!kept)
        *out = json_incref(dirs);
    else if (json_array_size(kept) > 0)
        *out = json_incref(kept);
out:
    json_decref(kept);
    return rc;
}
