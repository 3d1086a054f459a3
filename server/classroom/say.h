/*
 * say.h - `skillserver say`: talk to the skills the way a person talks to an
 * Echo, offline, at a terminal.
 *
 * A thin printer over a conversation (conversation.h), which decides
 * everything about words, skills, sessions and dialogs. With an utterance,
 * one turn; without, lines are read one by one (an empty line is silence)
 * and the session is kept across them until the skill ends it, the user says
 * "exit", or the input ends.
 *
 * Output: Alexa's words on standard output ("[reprompt] ...", "[card] ...",
 * "[audio] ...", "[directive] ...", "[session ended]" in a conversation, and
 * with show the request and response JSON); what was understood ("(heard by
 * thank_you: ThankYouIntent, name = "Sam")"), the model's problems and the
 * skill's load warnings on standard error. --wav and --speak render each
 * answer with espeak-ng (speech.h) in the language of the request.
 */
#ifndef SKILLSERVER_SAY_H
#define SKILLSERVER_SAY_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "conversation.h"

struct buf;

struct say_config {
    const char *skills_dir;   /* the skills folder */
    const char *data_dir;     /* persistent attributes (store.h) */
    const char *store;        /* a postgresql:// URL for them instead; NULL: data_dir */
    const char *skill;        /* --skill NAME, or NULL to choose per utterance */
    const char *locale;       /* --locale LL-CC, or NULL for each skill's own */
    const char *utterance;    /* NULL: read utterances from in, one per line */
    const char *wav;          /* write what Alexa says to this WAV file, or NULL */
    bool show;                /* also print the request and response JSON */
    bool dev;                 /* --dev: skill errors are spoken in detail */
    bool speak;               /* interactive: say the answers aloud (needs a sound device) */
    int handler_timeout_ms;   /* 0: LIMIT_HANDLER_TIMEOUT_MS_DEFAULT */
    const char *exe;          /* the worker program (skillserver-worker) */
    const char *skillkit_dir; /* launcher_skillkit_dir() */
    FILE *in;                 /* utterances in interactive mode (stdin) */
    FILE *out;                /* Alexa's words (stdout) */
    FILE *err;                /* what was understood, warnings (stderr) */
    time_t now;               /* the time relative dates count from; 0: the clock */
};

/*
 * Run `say`. Returns the exit status: 0 every turn was answered, 1 a skill
 * failed (the apology Alexa would speak was printed), the model has errors
 * Amazon would refuse, or --wav could not be written; 2 bad usage (an
 * unknown skill or locale, no skills, an unreadable skills folder, words
 * that cannot be used).
 */
int say_run(const struct say_config *cfg);

/*
 * turn as `say` prints it, appended to out (Alexa's words) and err (what was
 * understood, notes); interactive marks where sessions end, show adds the
 * JSON. For a caller that shows a turn elsewhere (the web simulator).
 */
void say_format(const struct conversation_turn *turn, bool interactive, bool show, struct buf *out,
                struct buf *err);

/* The exit status one turn deserves, as say_run()'s: 0, 1 or 2. */
int say_turn_status(const struct conversation_turn *turn);

#endif
