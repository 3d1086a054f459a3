/*
 * say.h - `skillserver say`: talk to the skills the way a person talks to an
 * Echo, offline.
 *
 * An utterance is read the way Alexa reads it (matcher.h): "open counting
 * game" launches a skill, "ask thank you to ..." sends the rest to it, other
 * words go to the skill whose session is open, or to the one skill that
 * understands them. The request Alexa would send is built (canned.h), run
 * through the same pipeline as `invoke` and `serve` (dispatch_run(), real
 * worker processes), and what Alexa would say is printed as plain text; the
 * reprompt and card are marked. With no utterance, lines are read one by one
 * and the session is kept across them - its id, the session attributes the
 * skill returns, new=false after the first turn, and the dialog state of
 * skills with a dialog model (Dialog.ElicitSlot, ConfirmSlot, ConfirmIntent,
 * and Dialog.Delegate, which is played the way Alexa plays it: with the
 * model's prompts) - until the skill ends it, the user says "exit", or the
 * input ends.
 *
 * Which skill, when the utterance does not name one: --skill; else the only
 * skill; else the one whose model matches the words best (a tie goes to the
 * classroom demo thank_you, else to the first by name, and is reported).
 *
 * Output: Alexa's words on standard output ("[reprompt] ...", "[card] ...",
 * and with show the request and response JSON); what was understood
 * ("(heard by thank_you: ThankYouIntent, name = "Sam")"), the model's
 * problems and the skill's load warnings on standard error.
 */
#ifndef SKILLSERVER_SAY_H
#define SKILLSERVER_SAY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "error.h"
#include "ss_limits.h"

struct pool;
struct skill_set;
struct store;

/* The skill `say` uses when several understand the words equally well. */
#define SAY_DEFAULT_SKILL "thank_you"

struct say_config {
    const char *skills_dir;   /* the skills folder */
    const char *data_dir;     /* persistent attributes (store.h) */
    const char *skill;        /* --skill NAME, or NULL to choose per utterance */
    const char *utterance;    /* NULL: read utterances from in, one per line */
    const char *wav;          /* write what Alexa says to this WAV file, or NULL */
    bool show;                /* also print the request and response JSON */
    bool dev;                 /* --dev: skill errors are spoken in detail */
    bool speak;               /* interactive: say the answers aloud (needs a sound device) */
    int handler_timeout_ms;   /* 0: LIMIT_HANDLER_TIMEOUT_MS_DEFAULT */
    const char *exe;          /* this binary, to start worker processes */
    const char *skillkit_dir; /* python_skillkit_dir() */
    FILE *in;                 /* utterances in interactive mode (stdin) */
    FILE *out;                /* Alexa's words (stdout) */
    FILE *err;                /* what was understood, warnings (stderr) */
    time_t now;               /* the time relative dates count from; 0: the clock */
};

/*
 * Run `say`. Returns the exit status: 0 every turn was answered, 1 a skill
 * failed (the apology Alexa would speak was printed), the model has errors
 * Amazon would refuse, or --wav could not be written; 2 bad usage (an
 * unknown skill, no skills, an unreadable skills folder).
 */
int say_run(const struct say_config *cfg);

/* ---- One turn, for a caller that runs the workers and keeps the session
 * itself (the web simulator of `serve --dev`). The same code as say_run()'s
 * turns: only where the words go and who owns the session differ. ---- */

#define SAY_SESSION_ID_CAP 80

/* The session between turns. skill[0] == '\0': no session is open. */
struct say_session {
    char skill[LIMIT_SKILL_NAME_CHARS + 1];
    char id[SAY_SESSION_ID_CAP];
    json_t *attributes; /* owned; NULL is {} */
};

/* What one turn did. Release with say_turn_cleanup(). */
struct say_turn {
    char skill[LIMIT_SKILL_NAME_CHARS + 1]; /* the skill that answered; "" when none did */
    json_t *request;                        /* owned: the last request sent, or NULL */
    json_t *response;                       /* owned: its response, or NULL */
    char *speech;          /* owned: the response's outputSpeech as plain text, or NULL */
    char *reprompt;        /* owned: its reprompt as plain text, or NULL */
    char *heard;           /* owned: "ThankYouIntent, name = \"Sam\"", or NULL */
    char *said;            /* owned: what `say` prints on stdout (words, reprompt, card, prompts) */
    char *notes;           /* owned: what `say` prints on stderr (warnings, model problems) */
    bool skill_failed;     /* the skill raised, timed out, ...: error says what */
    struct ss_error error; /* the skill's failure, or why there was no turn */
    int status;            /* as say_run()'s exit status */
};

/*
 * Say utterance to the skills of set, through pool and store (all borrowed;
 * cfg->skills_dir, skill, dev, now are used; out, err, in, wav, speak and
 * utterance are not). session is read and updated: it names the open session
 * on return, or is cleared when the turn ended it. Returns out->status.
 */
int say_turn_run(const struct say_config *cfg, struct skill_set *set, struct pool *pool,
                 struct store *store, const char *utterance, struct say_session *session,
                 struct say_turn *out);

void say_turn_cleanup(struct say_turn *t);
void say_session_cleanup(struct say_session *session);

#endif
