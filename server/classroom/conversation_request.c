/*
 * conversation_request.c - one request of a conversation (see
 * conversation_internal.h): what was understood, recorded for the turn;
 * the request Alexa would send (canned.h), run through the pipeline
 * (dispatch_run()); the answer recorded; and the session updated from it.
 */
#include "conversation_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "canned.h"
#include "dispatch.h"
#include "proto.h"
#include "speech.h"

/* ---- What was understood ---- */

/* Record in h what plan says was understood of words (may be NULL) by
 * skill k. The match borrows from the model, so h gets copies. */
static void
record_heard(struct conversation *c, const struct conv_skill *k, struct conversation_heard *h,
             const struct request_plan *plan, const char *words)
{
    const struct matcher_result *m = &plan->match;
    struct buf b = BUF_INIT(LIMIT_SPEECH_TEXT_BYTES);

    h->type = plan->type;
    if (plan->type == REQ_LAUNCH) {
        buf_adds(&b, "LaunchRequest");
    } else if (plan->type == REQ_SESSION_ENDED) {
        snprintf(h->reason, sizeof(h->reason), "%s",
                 plan->end_reason ? plan->end_reason : "USER_INITIATED");
        buf_printf(&b, "SessionEndedRequest, %s", h->reason);
    } else {
        snprintf(h->intent, sizeof(h->intent), "%s", plan->intent);
        buf_adds(&b, plan->intent);
        if (plan->dialog_state) {
            snprintf(h->dialog_state, sizeof(h->dialog_state), "%s", plan->dialog_state);
            buf_printf(&b, " [dialog %s]", plan->dialog_state);
        }
        if (plan->confirm_status)
            buf_printf(&b, " [%s %s]", plan->confirm_slot ? plan->confirm_slot : "intent",
                       plan->confirm_status);
        for (size_t i = 0; i < m->slot_count; i++) {
            const struct matcher_slot *sl = &m->slots[i];
            snprintf(h->slots[i].name, sizeof(h->slots[i].name), "%s", sl->slot->name);
            snprintf(h->slots[i].value, sizeof(h->slots[i].value), "%s", sl->value);
            h->slot_count++;
            buf_printf(&b, ", %s = \"%s\"", sl->slot->name, sl->value);
            for (size_t r = 0; sl->custom && r < sl->resolved_count; r++)
                buf_printf(&b, "%s%s%s%s", r ? " or " : " -> ", sl->resolved[r]->value,
                           sl->resolved[r]->id ? " " : "",
                           sl->resolved[r]->id ? sl->resolved[r]->id : "");
            if (sl->custom && !sl->resolved_count)
                buf_printf(&b, " (no value of %s)", sl->slot->type);
        }
        /* No sample of a skill that did not load is a clue: its load error
         * (noted) is what to mend. */
        h->fallback = m->fallback && !k->not_started;
        h->words = conversation_dup(c, words);
        h->sample = conversation_dup(c, m->sample);
        h->how = m->how[0] && !m->fallback ? conversation_dup(c, m->how) : NULL;
        h->other_intent = conversation_dup(c, m->other_intent);
        h->other_sample = conversation_dup(c, m->other_sample);
    }
    h->text = buf_take(&b, NULL);
    if (!h->text)
        conversation_fail(c, SS_ERR_NOMEM, "out of memory");
}

/* The words of an outputSpeech object; ssml tells which kind. */
const char *
conversation_speech_of(json_t *speech, bool *ssml)
{
    const char *type = json_string_value(json_object_get(speech, "type"));
    *ssml = type && strcmp(type, "SSML") == 0;
    return json_string_value(json_object_get(speech, *ssml ? "ssml" : "text"));
}

/* Set step's words from speech (the skill's or a prompt's): plain text for
 * people, the source for espeak-ng. */
void
conversation_set_speech(struct conversation *c, struct conversation_step *s, const char *text,
                        bool ssml)
{
    s->speech = text ? speech_plain_text(text, ssml) : NULL;
    s->speech_src = conversation_dup(c, text);
    s->speech_ssml = ssml;
    if (text && !s->speech)
        conversation_fail(c, SS_ERR_NOMEM, "out of memory");
}

/* ---- Building the request ---- */

/* Is words (normalised) one of the built-in intent's phrases? */
static bool
says(const char *intent, const char *words)
{
    const struct model_builtin_intent *b = model_builtin_intent(intent);
    char norm[LIMIT_MODEL_TEXT_CHARS];
    if (!b || model_normalise(words, norm, sizeof(norm)) >= sizeof(norm))
        return false;
    for (size_t i = 0; b->phrases[i]; i++)
        if (strcmp(b->phrases[i], norm) == 0)
            return true;
    return false;
}

/* Fill the plan's intent from words, for skill k (honouring a pending dialog). */
void
conversation_plan_intent(struct conversation *c, struct conv_skill *k, const char *words,
                         time_t now, struct request_plan *plan)
{
    struct pending *p = &c->pending;
    plan->type = REQ_INTENT;
    if (c->current == k && p->kind != PENDING_NONE) {
        const char *intent = json_string_value(json_object_get(p->intent, "name"));
        const struct model_intent *in = model_intent(k->model, intent);
        if (p->kind == PENDING_ELICIT &&
            matcher_match_slot(k->model, in, model_intent_slot(in, p->slot), words, now,
                               &plan->match)) {
            plan->intent = plan->match.intent_name;
            plan->dialog_state = "IN_PROGRESS";
            plan->carry = p->intent;
            return;
        }
        if ((p->kind == PENDING_CONFIRM_SLOT || p->kind == PENDING_CONFIRM_INTENT) && intent &&
            (says("AMAZON.YesIntent", words) || says("AMAZON.NoIntent", words))) {
            memset(&plan->match, 0, sizeof(plan->match));
            plan->match.intent_name = intent;
            plan->match.intent = in;
            plan->intent = intent;
            plan->dialog_state = "IN_PROGRESS";
            plan->carry = p->intent;
            plan->confirm_slot = p->kind == PENDING_CONFIRM_SLOT ? p->slot : NULL;
            plan->confirm_status = says("AMAZON.YesIntent", words) ? "CONFIRMED" : "DENIED";
            return;
        }
    }
    matcher_match(k->model, words, now, &plan->match);
    plan->intent = plan->match.intent_name;
    if (k->model && k->model->dialog && plan->match.intent && plan->match.intent->dialog)
        plan->dialog_state = "STARTED";
}

/* The request for plan, or NULL with why in *err. */
static json_t *
build_request(struct conversation *c, struct conv_skill *k, const struct request_plan *plan,
              struct ss_error *err)
{
    struct canned_slot slots[LIMIT_MATCHER_SLOTS];
    struct canned_options co = {0};
    json_t *req = NULL, *empty = NULL;

    co.type = plan->type;
    co.intent = plan->intent;
    for (size_t i = 0; plan->type == REQ_INTENT && i < plan->match.slot_count; i++) {
        slots[i].name = plan->match.slots[i].slot->name;
        slots[i].value = plan->match.slots[i].value;
    }
    co.slots = slots;
    co.slot_count = plan->type == REQ_INTENT ? plan->match.slot_count : 0;
    co.dialog_state = plan->dialog_state;
    co.end_reason = plan->end_reason;
    co.locale = c->cfg.locale;
    co.api_endpoint = c->cfg.api_endpoint;
    if (c->current == k) {
        /* Continuing the session: never "new", even when the skill keeps no
         * attributes. */
        co.session_id = c->session_id;
        co.session_attributes = c->attributes ? c->attributes : (empty = json_object());
    }
    if (canned_request(k->skill, k->model, &co, &req, err) != SS_ERR_OK) {
        req = NULL;
    } else if (conversation_apply_carry(req, plan) != 0) {
        ss_fail(err, SS_ERR_NOMEM, "out of memory");
        json_decref(req);
        req = NULL;
    }
    json_decref(empty);
    return req;
}

/* ---- Running it ---- */

/* Fill step s with what the response r says: words, reprompt, card,
 * directives. Returns the Dialog directive to follow, or NULL. */
static json_t *
record_answer(struct conversation *c, struct conversation_step *s, json_t *r)
{
    bool ssml;
    const char *text = conversation_speech_of(json_object_get(r, "outputSpeech"), &ssml);
    conversation_set_speech(c, s, text, ssml);
    text = conversation_speech_of(json_object_get(json_object_get(r, "reprompt"), "outputSpeech"),
                                  &ssml);
    s->reprompt = text ? speech_plain_text(text, ssml) : NULL;
    if (text && !s->reprompt)
        conversation_fail(c, SS_ERR_NOMEM, "out of memory");
    json_t *card = json_object_get(r, "card");
    if (card) {
        const char *content = json_string_value(json_object_get(card, "content"));
        s->card = true;
        s->card_title = conversation_dup(c, json_string_value(json_object_get(card, "title")));
        s->card_text = conversation_dup(
            c, content ? content : json_string_value(json_object_get(card, "text")));
    }
    json_t *directives = json_object_get(r, "directives");
    size_t i, n = json_array_size(directives);
    json_t *d, *dialog = NULL;
    s->directives = n ? calloc(n, sizeof(*s->directives)) : NULL;
    if (n && !s->directives) {
        conversation_fail(c, SS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    json_array_foreach(directives, i, d)
    {
        const char *type = json_string_value(json_object_get(d, "type"));
        if (!type)
            continue;
        struct conversation_directive *out = &s->directives[s->directive_count++];
        out->type = conversation_dup(c, type);
        out->dialog =
            strncmp(type, "Dialog.", 7) == 0 && strcmp(type, "Dialog.UpdateDynamicEntities") != 0;
        if (out->dialog)
            dialog = d;
        else if (strcmp(type, "AudioPlayer.Play") == 0)
            out->url = conversation_dup(
                c, json_string_value(json_object_get(
                       json_object_get(json_object_get(d, "audioItem"), "stream"), "url")));
    }
    return dialog;
}

/* Build and run one request; update the session from the answer. */
void
conversation_run(struct conversation *c, struct conv_skill *k, struct request_plan *plan,
                 const char *words, int steps)
{
    struct dispatch_result res;
    json_t *req = NULL;
    char *body = NULL;
    bool reported = false; /* the caller was told the step is done */

    if (steps > LIMIT_SAY_DIALOG_STEPS) {
        conversation_fail(
            c, SS_ERR_SKILL_RESULT,
            "%s keeps delegating the dialog without asking for anything; stopped after %d "
            "steps",
            k->skill->name, LIMIT_SAY_DIALOG_STEPS);
        conversation_session_close(c);
        return;
    }
    struct conversation_step *s =
        conversation_step_new(c, CONVERSATION_REQUEST, k, conversation_locale(c, k));
    if (!s)
        return;
    record_heard(c, k, &s->heard, plan, words);
    req = build_request(c, k, plan, &s->error);
    if (!req) {
        conversation_progress(c, s, CONVERSATION_DONE);
        return;
    }
    s->request = json_incref(req);
    if (c->current != k) {
        /* A new session: remember its id for the turns that follow. */
        const char *sid =
            json_string_value(json_object_get(json_object_get(req, "session"), "sessionId"));
        snprintf(c->session_id, sizeof(c->session_id), "%s", sid ? sid : "");
    }
    body = json_dumps(req, JSON_COMPACT);
    if (!body) {
        ss_fail(&s->error, SS_ERR_NOMEM, "out of memory");
        conversation_progress(c, s, CONVERSATION_DONE);
        json_decref(req);
        return;
    }
    conversation_progress(c, s, CONVERSATION_SENDING);
    struct dispatch_ctx ctx = {
        .pool = c->pool, .store = c->store, .dev = c->cfg.dev, .pretty = false, .explain = true};
    enum ss_err e = dispatch_run(&ctx, &VERIFY_POLICY_LOCAL, k->skill, body, strlen(body),
                                 proto_now_ms(), &res);
    if (res.status >= 400 || !res.body) {
        ss_fail(&s->error, res.body ? e : SS_ERR_NOMEM, "%s could not take the request: %s",
                k->skill->name, res.body ? res.error.msg : "out of memory");
        conversation_session_close(c);
        goto out;
    }
    if (e != SS_ERR_OK) {
        /* The apology in the response is still what Alexa would say. */
        s->error = res.error;
        s->error.code = e;
    }
    s->response = json_loadb(res.body, res.len, 0, NULL);
    if (!s->response) {
        ss_fail(&s->error, SS_ERR_JSON, "the response is not JSON");
        goto out;
    }
    json_t *resp = s->response;
    json_t *r = json_object_get(resp, "response");
    json_t *end = json_object_get(r, "shouldEndSession");
    json_t *dialog = record_answer(c, s, r);

    if (plan->type == REQ_SESSION_ENDED || json_is_true(end) || !end) {
        /* The session is over: after a SessionEndedRequest, when the skill
         * says so, and when it leaves shouldEndSession out (a voice-only
         * device closes the session then). */
        s->ended = true;
        conversation_session_close(c);
        goto out;
    }
    /* The session stays open (shouldEndSession false or null). */
    json_t *attrs = json_object_get(resp, "sessionAttributes");
    if (c->current != k)
        conversation_pending_clear(&c->pending);
    c->current = k;
    json_decref(c->attributes);
    c->attributes = json_is_object(attrs) ? json_incref(attrs) : json_object();
    free(c->reprompt);
    c->reprompt = s->reprompt ? strdup(s->reprompt) : NULL;
    c->silent_turns = 0;
    if (dialog) {
        /* s is not used again: following the dialog adds steps. */
        conversation_progress(c, s, CONVERSATION_DONE);
        reported = true;
        json_incref(resp);
        conversation_follow_dialog(c, k, dialog, req, steps);
        json_decref(resp);
    } else {
        conversation_pending_clear(&c->pending);
    }
out:
    if (!reported)
        conversation_progress(c, s, CONVERSATION_DONE);
    json_decref(req);
    free(body);
    dispatch_result_cleanup(&res);
}

/* End the open session as Alexa does when the user leaves it. */
void
conversation_end_session(struct conversation *c, const char *reason)
{
    struct request_plan plan = {.type = REQ_SESSION_ENDED, .end_reason = reason};
    if (c->current)
        conversation_run(c, c->current, &plan, NULL, 0);
}
