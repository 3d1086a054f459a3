/*
 * conversation.h - one conversation with the skills of a skills folder, the
 * way a person talks to an Echo, as data: words in, and out what Alexa
 * understood, the request it sent, and what the skill answered.
 *
 * A turn reads the words the way Alexa does (matcher.h): "open counting
 * game" launches a skill, "ask thank you to ..." sends the rest to it, other
 * words go to the skill whose session is open, to the configured skill, or
 * to the one skill whose model understands them best (a tie goes to the
 * classroom demo thank_you, else to the first by name, and is noted). The
 * request Alexa would send is built (canned.h) in the conversation's locale
 * and run through the same pipeline as `invoke` and `serve` (dispatch_run(),
 * real worker processes).
 *
 * The conversation owns the session between turns: its id, the session
 * attributes the skill returned, new=false after the first request, the
 * reprompt, and the dialog state of skills with a dialog model
 * (Dialog.ElicitSlot, ConfirmSlot, ConfirmIntent, and Dialog.Delegate, which
 * is played the way Alexa plays it: with the model's prompts, then an
 * IntentRequest with dialogState COMPLETED).
 *
 * One turn may be several steps: opening another skill first ends the open
 * session (a SessionEndedRequest), and a dialog adds prompts and requests.
 * Nothing here prints: `say` (say.h) shows a turn on a terminal and the web
 * simulator (simulator.h) turns it into JSON, from the same struct.
 *
 * Not thread-safe: one conversation belongs to one thread at a time.
 */
#ifndef SKILLSERVER_CONVERSATION_H
#define SKILLSERVER_CONVERSATION_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "error.h"
#include "matcher.h"
#include "request.h"
#include "ss_limits.h"

struct pool;
struct skill_set;
struct store;

/* The skill the words go to when several understand them equally well. */
#define CONVERSATION_DEFAULT_SKILL "thank_you"

/* Room for a session id (canned.h makes "amzn1.echo-api.session." + a UUID). */
#define CONVERSATION_SESSION_ID_CAP 80

/* Room for a locale ("en-US", "es-419"). */
#define CONVERSATION_LOCALE_CAP 16

struct conversation_turn;

/* How far a step is when the conversation reports it (conversation_config.progress). */
enum conversation_progress {
    CONVERSATION_SENDING, /* a request step is made and about to be sent */
    CONVERSATION_DONE,    /* the step is complete */
};

struct conversation_config {
    struct skill_set *set;    /* borrowed: the skills, read-only */
    struct pool *pool;        /* borrowed: their workers */
    struct store *store;      /* borrowed: persistent attributes */
    const char *skills_dir;   /* to explain a skill name that is not in set */
    const char *skill;        /* every turn goes to this skill; NULL: chosen per turn */
    const char *locale;       /* the requests' locale, and the model matched against;
                                 NULL: each skill's own (skill.json, the project) */
    bool dev;                 /* skill errors are spoken in detail */
    bool one_shot;            /* one utterance, not a conversation: "exit" with no
                                 session open still sends a SessionEndedRequest */
    time_t now;               /* relative dates ("tomorrow") count from here; 0: the clock */
    const char *api_endpoint; /* the requests' apiEndpoint (device_api.h); NULL: Amazon's */
    /* Called while a turn is recorded, so that a caller can show each step as
     * it happens (a skill's output is logged while its request runs); may be
     * NULL. turn->steps[step] is the step; turn grows after the call. */
    void (*progress)(void *ctx, const struct conversation_turn *turn, size_t step,
                     enum conversation_progress how);
    void *progress_ctx;
};

/* The session, for a caller that keeps it between conversations (the web
 * page sends it back with every turn). skill[0] == '\0': none is open. */
struct conversation_session {
    char skill[LIMIT_SKILL_NAME_CHARS + 1];
    char id[CONVERSATION_SESSION_ID_CAP];
    json_t *attributes; /* owned; NULL is {} */
    json_t *dialog;     /* owned: what the skill's dialog waits for, or NULL:
                           {"waiting": "slot" | "slot_confirmation" | "confirmation",
                            "slot": NAME (the first two), "intent": {...}} */
};

enum conversation_step_kind {
    CONVERSATION_REQUEST,  /* a request was made and sent to the skill */
    CONVERSATION_PROMPT,   /* Alexa speaks a prompt of the dialog model */
    CONVERSATION_REPROMPT, /* nothing was said: Alexa says the reprompt again */
};

struct conversation_slot {
    char name[LIMIT_NAME_CHARS + 1];
    char value[sizeof(((struct matcher_slot *)0)->value)]; /* as the request carries it */
};

/* What Alexa understood, for one request. */
struct conversation_heard {
    enum request_type type;            /* REQ_LAUNCH, REQ_INTENT or REQ_SESSION_ENDED */
    char intent[LIMIT_NAME_CHARS + 1]; /* REQ_INTENT */
    char reason[32];                   /* REQ_SESSION_ENDED: "USER_INITIATED", ... */
    char dialog_state[16];             /* "", "STARTED", "IN_PROGRESS", "COMPLETED" */
    struct conversation_slot slots[LIMIT_MATCHER_SLOTS];
    size_t slot_count;
    bool fallback;      /* no sample matched the words: AMAZON.FallbackIntent */
    char *words;        /* owned: the words the intent was read from, or NULL */
    char *sample;       /* owned: the sample or phrase that matched, or NULL */
    char *how;          /* owned: what else the matcher did ("ignored: um, so much;
                           read 'thnak' as 'thank'"), or NULL when nothing */
    char *other_intent; /* owned: another intent that matched as well, or NULL */
    char *other_sample; /* owned: its sample */
    char *text;         /* owned: all of it in a line: ThankYouIntent, name = "Sam" */
};

struct conversation_directive {
    char *type;  /* owned: "AudioPlayer.Play", "Dialog.Delegate", ... */
    char *url;   /* owned: AudioPlayer.Play's stream, or NULL */
    bool dialog; /* a Dialog directive this conversation plays */
};

/* One step of a turn. */
struct conversation_step {
    enum conversation_step_kind kind;
    char skill[LIMIT_SKILL_NAME_CHARS + 1];
    char locale[CONVERSATION_LOCALE_CAP]; /* the language the words are in */
    struct conversation_heard heard;      /* CONVERSATION_REQUEST */
    json_t *request;  /* owned: the request sent, or NULL when none could be made */
    json_t *response; /* owned: its response, or NULL when the skill could not take it */
    /* What Alexa says (all owned, NULL when there is none): */
    char *speech;     /* the words, as plain text */
    char *speech_src; /* as the skill wrote them: SSML when speech_ssml */
    bool speech_ssml;
    char *reprompt; /* plain text */
    bool card;      /* the response has a card: */
    char *card_title;
    char *card_text;
    struct conversation_directive *directives;
    size_t directive_count;
    bool ended;            /* the session is over after this step */
    struct ss_error error; /* SS_ERR_OK; or the skill failed (response holds the apology
                              Alexa speaks, error says why); or no request could be made
                              or the pipeline refused it (response is NULL) */
};

/* A note for the person: a problem with a skill or its model, an
 * ambiguity, a suggestion. */
struct conversation_note {
    size_t before; /* belongs before steps[before]; step_count: after the last */
    bool lines;    /* text is whole lines (a model report), not one sentence */
    char *text;    /* owned */
};

/* What one turn did. Release with conversation_turn_cleanup(). */
struct conversation_turn {
    struct conversation_step *steps; /* owned, in the order they happened */
    size_t step_count;
    struct conversation_note *notes; /* owned, in order */
    size_t note_count;
    bool model_errors;     /* the skill's model has errors Amazon would refuse */
    bool no_session;       /* "exit" with no session open: nothing was sent */
    struct ss_error error; /* SS_ERR_OK, or what went wrong beyond the steps: words that
                              could not be used (SS_ERR_USAGE), a dialog that would not
                              end, out of memory */
};

struct conversation;

/*
 * Start a conversation with the skills of cfg->set, reading their models for
 * cfg->locale. Errors: SS_ERR_UNKNOWN_SKILL (cfg->skill is not a skill of
 * the set: the message says why, from the folder), SS_ERR_USAGE (there are
 * no skills), SS_ERR_NOMEM. cfg and what it points to must outlive *out.
 */
enum ss_err conversation_create(const struct conversation_config *cfg, struct conversation **out,
                                struct ss_error *err);

void conversation_destroy(struct conversation *c);

/* The workers and the store the requests run on (both borrowed, and must
 * outlive c): set before the first turn. Apart from conversation_create()
 * so that a caller can refuse bad words before it starts any worker. */
void conversation_use(struct conversation *c, struct pool *pool, struct store *store);

/* Say words (one utterance; white space around them is ignored). Fills out,
 * which the caller releases; returns out->error.code. */
enum ss_err conversation_say(struct conversation *c, const char *words,
                             struct conversation_turn *out);

/* Say nothing: Alexa repeats the reprompt once; the second time the session
 * ends (EXCEEDED_MAX_REPROMPTS). Nothing happens when no session is open. */
enum ss_err conversation_silence(struct conversation *c, struct conversation_turn *out);

/* Walk away: the open session, if any, ends (USER_INITIATED). */
enum ss_err conversation_leave(struct conversation *c, struct conversation_turn *out);

/* True while a session is open. */
bool conversation_session_open(const struct conversation *c);

/*
 * Pick up a session kept by the caller (conversation_session_get()). A
 * session with a skill that is not here any more starts afresh, and the next
 * turn says so. Errors: SS_ERR_USAGE (session->dialog is not of the shape
 * conversation_session_get() writes: the message says what), SS_ERR_NOMEM.
 */
enum ss_err conversation_session_set(struct conversation *c,
                                     const struct conversation_session *session,
                                     struct ss_error *err);

/* The open session, into out (cleared when none is open; release with
 * conversation_session_cleanup()). Returns SS_ERR_OK or SS_ERR_NOMEM. */
enum ss_err conversation_session_get(const struct conversation *c,
                                     struct conversation_session *out);

void conversation_session_cleanup(struct conversation_session *session);

void conversation_turn_cleanup(struct conversation_turn *turn);

/* The last step of turn that sent a request, or NULL. */
const struct conversation_step *conversation_last_request(const struct conversation_turn *turn);

#endif
