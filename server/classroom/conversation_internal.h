/*
 * conversation_internal.h - what the files of the conversation share:
 * conversation.c (the conversation, its skills and session, a turn's words),
 * conversation_request.c (a request made from what was understood, run
 * through the pipeline, and the answer recorded) and conversation_dialog.c
 * (the dialog model played as Alexa plays it).
 *
 * Every function records into c->turn, the turn being filled; none prints.
 */
#ifndef SKILLSERVER_CONVERSATION_INTERNAL_H
#define SKILLSERVER_CONVERSATION_INTERNAL_H

#include "conversation.h"

#include <jansson.h>
#include <stdbool.h>

#include "matcher.h"
#include "model.h"
#include "skill.h"

struct conv_skill {
    const struct skill *skill;      /* borrowed from the set */
    const struct skill_model *file; /* borrowed: its model file for the conversation's
                                       locale, or NULL when it has none */
    const struct model *model;      /* file's model (borrowed), else inferred; NULL when
                                       there is neither, or the file did not load
                                       (file->error says why) */
    struct model *inferred;         /* owned: the model skillkit inferred from a skill of
                                       plain functions, when it has no model file */
    bool inferred_asked;            /* its worker was asked for one */
    bool model_errors;              /* model_check() found errors */
    bool reported;                  /* its load report and model check were noted */
    bool not_started;               /* and it did not load, or could not start */
    /* The folder's name as words ("quiz2": "quiz two"): opens a skill
     * without a model file, as the model of its plain functions names it.
     * Each character becomes at most a spelled digit and a space. */
    char folder_name[LIMIT_SKILL_NAME_CHARS * 6 + 1];
};

/* What the skill's dialog is waiting for, after a Dialog directive. */
enum pending_kind { PENDING_NONE, PENDING_ELICIT, PENDING_CONFIRM_SLOT, PENDING_CONFIRM_INTENT };

struct pending {
    enum pending_kind kind;
    char slot[LIMIT_NAME_CHARS + 1];
    json_t *intent; /* owned: the intent with the slots gathered so far */
};

struct conversation {
    struct conversation_config cfg;
    struct pool *pool;   /* borrowed (conversation_use()) */
    struct store *store; /* borrowed */
    struct conv_skill *skills;
    const char **names; /* invocation names, for matcher_invocation() */
    size_t count;
    /* The open session, when current is not NULL. */
    struct conv_skill *current;
    char session_id[CONVERSATION_SESSION_ID_CAP];
    json_t *attributes; /* owned: the session attributes the skill returned */
    char *reprompt;     /* owned: the last reprompt, said again on silence */
    struct pending pending;
    int silent_turns;               /* silences in a row */
    char *held_note;                /* owned: a note for the next turn, or NULL */
    struct conversation_turn *turn; /* the turn being filled */
};

/* What one request is: built from the words, then run. */
struct request_plan {
    enum request_type type;
    struct matcher_result match;
    const char *intent;         /* for REQ_INTENT */
    const char *dialog_state;   /* NULL, "STARTED", "IN_PROGRESS", "COMPLETED" */
    const char *end_reason;     /* for REQ_SESSION_ENDED */
    json_t *carry;              /* borrowed: an intent whose slots and confirmation carry over */
    const char *confirm_slot;   /* set this slot's confirmationStatus */
    const char *confirm_status; /* "CONFIRMED" / "DENIED" for the slot or the intent */
};

/* ---- Recording the turn (conversation.c) ---- */

/* The turn's first error beyond its steps; later ones add nothing. */
void conversation_fail(struct conversation *c, enum ss_err code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A note for the person, before the next step. */
void conversation_note(struct conversation *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A new step of the turn, or NULL (the turn then says it ran out of memory).
 * The pointer is good until the next conversation_step_new(). */
struct conversation_step *conversation_step_new(struct conversation *c,
                                                enum conversation_step_kind kind,
                                                const struct conv_skill *k, const char *locale);

/* Tell the caller (conversation_config.progress) how far step s is. */
void conversation_progress(struct conversation *c, const struct conversation_step *s,
                           enum conversation_progress how);

/* A copy of s for the turn, or NULL (for s NULL, or out of memory: then the
 * turn says so). */
char *conversation_dup(struct conversation *c, const char *s);

/* The locale of the conversation's requests to skill k. */
const char *conversation_locale(const struct conversation *c, const struct conv_skill *k);

/* Forget the open session: its id, attributes, reprompt and dialog. */
void conversation_session_close(struct conversation *c);

/* ---- Requests (conversation_request.c) ---- */

/* The words of an outputSpeech object; ssml tells which kind. */
const char *conversation_speech_of(json_t *speech, bool *ssml);

/* Set step's words from speech (the skill's or a prompt's): plain text for
 * people, the source for espeak-ng. */
void conversation_set_speech(struct conversation *c, struct conversation_step *s, const char *text,
                             bool ssml);

/* Fill the plan's intent from words, for skill k (honouring a pending dialog). */
void conversation_plan_intent(struct conversation *c, struct conv_skill *k, const char *words,
                              time_t now, struct request_plan *plan);

/* Build, run and record one request (words: what the intent was read from,
 * or NULL); update the session from the answer, and follow a dialog it
 * starts. steps counts the requests Alexa made on its own before this one. */
void conversation_run(struct conversation *c, struct conv_skill *k, struct request_plan *plan,
                      const char *words, int steps);

/* End the open session, if any, as Alexa does when the user leaves it. */
void conversation_end_session(struct conversation *c, const char *reason);

/* ---- The dialog (conversation_dialog.c) ---- */

void conversation_pending_clear(struct pending *p);

/* Carry slots gathered in earlier turns of a dialog into request's intent,
 * and set the confirmation the user just gave. Returns 0, or -1 out of memory. */
int conversation_apply_carry(json_t *req, const struct request_plan *plan);

/* After a response with a Dialog directive (in answer to request): remember
 * what the dialog waits for, and play Dialog.Delegate. */
void conversation_follow_dialog(struct conversation *c, struct conv_skill *k, json_t *directive,
                                json_t *request, int steps);

/* c->pending as conversation_session.dialog, or NULL without one (*nomem
 * set when it could not be made). */
json_t *conversation_pending_get(const struct pending *p, bool *nomem);

/* Read a dialog kept by the caller (conversation_pending_get()) into c->pending. */
enum ss_err conversation_pending_set(struct conversation *c, json_t *dialog, struct ss_error *err);

#endif
