/*
 * conversation_dialog.c - the dialog model of a skill, played the way Alexa
 * plays it (see conversation_internal.h): after Dialog.ElicitSlot,
 * ConfirmSlot or ConfirmIntent the next words answer what was asked;
 * Dialog.Delegate speaks the model's prompts for the slots still missing and
 * for confirming the intent, then sends the intent with dialogState
 * COMPLETED. What the dialog waits for can be handed to the caller and back
 * (conversation_session.dialog) so that a page can keep it between turns.
 */
#include "conversation_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "speech.h"

/* The names of the kinds in conversation_session.dialog, by kind. */
static const char *const pending_names[] = {NULL, "slot", "slot_confirmation", "confirmation"};

void
conversation_pending_clear(struct pending *p)
{
    json_decref(p->intent);
    memset(p, 0, sizeof(*p));
}

/* Replace {slot} in a dialog prompt with the slot's value, as Alexa does.
 * Caller frees; NULL when out of memory. */
static char *
fill_prompt(const char *text, json_t *intent)
{
    struct buf b = BUF_INIT(LIMIT_SPEECH_TEXT_BYTES);
    json_t *slots = json_object_get(intent, "slots");

    for (const char *p = text; *p;) {
        const char *end = *p == '{' ? strchr(p, '}') : NULL;
        if (end && end - p - 1 < LIMIT_NAME_CHARS) {
            char name[LIMIT_NAME_CHARS + 1];
            memcpy(name, p + 1, (size_t)(end - p - 1));
            name[end - p - 1] = '\0';
            const char *value =
                json_string_value(json_object_get(json_object_get(slots, name), "value"));
            if (value) {
                buf_adds(&b, value);
                p = end + 1;
                continue;
            }
        }
        buf_addc(&b, *p++);
    }
    return buf_take(&b, NULL);
}

/* Carry slots gathered in earlier turns of a dialog into request's intent,
 * and set the confirmation the user just gave. */
int
conversation_apply_carry(json_t *req, const struct request_plan *plan)
{
    json_t *intent = json_object_get(json_object_get(req, "request"), "intent");
    json_t *slots = json_object_get(intent, "slots");
    const char *key;
    json_t *old;

    if (!intent)
        return 0;
    if (plan->carry) {
        json_t *was = json_object_get(plan->carry, "confirmationStatus");
        if (json_is_string(was) && json_object_set(intent, "confirmationStatus", was) != 0)
            return -1;
        json_object_foreach(json_object_get(plan->carry, "slots"), key, old)
        {
            json_t *now = json_object_get(slots, key);
            if (json_object_get(now, "value") || !json_object_get(old, "value"))
                continue;
            if (!slots || json_object_set(slots, key, old) != 0)
                return -1;
        }
    }
    if (plan->confirm_status) {
        json_t *target = plan->confirm_slot ? json_object_get(slots, plan->confirm_slot) : intent;
        if (target && json_object_set_new(target, "confirmationStatus",
                                          json_string(plan->confirm_status)) != 0)
            return -1;
    }
    return 0;
}

/* The first slot the dialog model requires that intent still lacks. */
static const struct model_slot *
missing_slot(const struct model_intent *in, json_t *intent)
{
    json_t *slots = json_object_get(intent, "slots");
    for (size_t i = 0; in && i < in->slot_count; i++)
        if (in->slots[i].elicitation_required &&
            !json_object_get(json_object_get(slots, in->slots[i].name), "value"))
            return &in->slots[i];
    return NULL;
}

/* Alexa says a dialog-model prompt (its first variation). */
static void
say_prompt(struct conversation *c, struct conv_skill *k, const char *id, json_t *intent)
{
    const struct model_prompt *p = model_prompt(k->model, id);
    if (!p || p->variation_count == 0) {
        conversation_note(c, "the dialog model has no prompt %s to say", id ? id : "(none given)");
        return;
    }
    char *text = fill_prompt(p->variations[0], intent);
    struct conversation_step *s =
        text ? conversation_step_new(c, CONVERSATION_PROMPT, k, conversation_locale(c, k)) : NULL;
    if (!text)
        conversation_fail(c, SS_ERR_NOMEM, "out of memory");
    if (s) {
        conversation_set_speech(c, s, text, p->ssml[0]);
        conversation_progress(c, s, CONVERSATION_DONE);
    }
    /* Alexa asks again with the same prompt when nothing is said. */
    free(c->reprompt);
    c->reprompt = text ? speech_plain_text(text, p->ssml[0]) : NULL;
    free(text);
}

/*
 * After a response with a Dialog directive: remember what the dialog waits
 * for. Dialog.Delegate is played as Alexa plays it: the model's prompt for
 * the next required slot, or for confirming the intent, and once nothing is
 * missing, an IntentRequest with dialogState COMPLETED.
 */
void
conversation_follow_dialog(struct conversation *c, struct conv_skill *k, json_t *directive,
                           json_t *request, int steps)
{
    const char *type = json_string_value(json_object_get(directive, "type"));
    json_t *updated = json_object_get(directive, "updatedIntent");
    json_t *intent = json_is_object(updated)
                         ? updated
                         : json_object_get(json_object_get(request, "request"), "intent");
    const char *name = json_string_value(json_object_get(intent, "name"));
    struct pending *p = &c->pending;
    const struct model_intent *in = model_intent(k->model, name);

    conversation_pending_clear(p);
    if (!type || !intent || !name)
        return;
    p->intent = json_deep_copy(intent);
    if (!p->intent)
        return;
    if (strcmp(type, "Dialog.ElicitSlot") == 0 || strcmp(type, "Dialog.ConfirmSlot") == 0) {
        const char *slot = json_string_value(
            json_object_get(directive, type[7] == 'E' ? "slotToElicit" : "slotToConfirm"));
        if (!slot || strlen(slot) > LIMIT_NAME_CHARS) {
            conversation_pending_clear(p);
            return;
        }
        snprintf(p->slot, sizeof(p->slot), "%s", slot);
        p->kind = type[7] == 'E' ? PENDING_ELICIT : PENDING_CONFIRM_SLOT;
        return;
    }
    if (strcmp(type, "Dialog.ConfirmIntent") == 0) {
        p->kind = PENDING_CONFIRM_INTENT;
        return;
    }
    if (strcmp(type, "Dialog.Delegate") != 0) {
        conversation_pending_clear(p);
        return;
    }
    const struct model_slot *slot = missing_slot(in, p->intent);
    if (slot) {
        snprintf(p->slot, sizeof(p->slot), "%s", slot->name);
        p->kind = PENDING_ELICIT;
        say_prompt(c, k, slot->elicitation_prompt, p->intent);
        return;
    }
    const char *confirmed = json_string_value(json_object_get(p->intent, "confirmationStatus"));
    if (in && in->confirmation_required && (!confirmed || strcmp(confirmed, "NONE") == 0)) {
        p->kind = PENDING_CONFIRM_INTENT;
        say_prompt(c, k, in->confirmation_prompt, p->intent);
        return;
    }
    /* Everything the dialog model asks for is there: Alexa tells the skill. */
    json_t *carry = p->intent;
    p->intent = NULL;
    conversation_pending_clear(p);
    /* name lives in carry, which outlives the request. */
    name = json_string_value(json_object_get(carry, "name"));
    struct request_plan done = {.type = REQ_INTENT, .intent = name, .dialog_state = "COMPLETED"};
    done.match.intent_name = name;
    done.match.intent = in;
    done.carry = carry;
    conversation_run(c, k, &done, NULL, steps + 1);
    json_decref(carry);
}

/* Read a dialog kept by the caller back into c->pending. */
enum ss_err
conversation_pending_set(struct conversation *c, json_t *dialog, struct ss_error *err)
{
    struct pending *p = &c->pending;
    const char *waiting = json_string_value(json_object_get(dialog, "waiting"));
    const char *slot = json_string_value(json_object_get(dialog, "slot"));
    json_t *intent = json_object_get(dialog, "intent");
    enum pending_kind kind = PENDING_NONE;

    for (int i = PENDING_ELICIT; waiting && i <= PENDING_CONFIRM_INTENT; i++)
        if (strcmp(waiting, pending_names[i]) == 0)
            kind = (enum pending_kind)i;
    if (kind == PENDING_NONE || !json_is_object(intent) ||
        !json_is_string(json_object_get(intent, "name")) ||
        (kind != PENDING_CONFIRM_INTENT && (!slot || strlen(slot) > LIMIT_NAME_CHARS)))
        return ss_fail(err, SS_ERR_USAGE,
                       "\"dialog\" must be what the last turn returned: {\"waiting\": \"slot\", "
                       "\"slot_confirmation\" or \"confirmation\", \"slot\", \"intent\"}");
    p->intent = json_deep_copy(intent);
    if (!p->intent)
        return ss_fail(err, SS_ERR_NOMEM, "out of memory");
    p->kind = kind;
    snprintf(p->slot, sizeof(p->slot), "%s", kind == PENDING_CONFIRM_INTENT ? "" : slot);
    return SS_ERR_OK;
}

json_t *
conversation_pending_get(const struct pending *p, bool *nomem)
{
    json_t *dialog;

    *nomem = false;
    if (p->kind == PENDING_NONE)
        return NULL;
    dialog = json_pack("{s:s, s:s*, s:O}", "waiting", pending_names[p->kind], "slot",
                       p->kind == PENDING_CONFIRM_INTENT ? NULL : p->slot, "intent", p->intent);
    *nomem = dialog == NULL;
    return dialog;
}
