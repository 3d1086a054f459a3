/*
 * conversation.c - one conversation with the skills (see conversation.h):
 * words -> what was understood -> request -> pipeline -> answer, one turn at
 * a time, with the session and the dialog kept between turns.
 *
 * Everything a conversation owns hangs off struct conversation and is
 * released by conversation_destroy(); everything a turn produced hangs off
 * the caller's struct conversation_turn, which owns copies (it outlives
 * nothing of the conversation's).
 */
#include "conversation_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canned.h"
#include "model.h"
#include "pool.h"
#include "skill.h"

/* ---- Recording the turn ---- */

void
conversation_fail(struct conversation *c, enum ss_err code, const char *fmt, ...)
{
    va_list ap;
    if (c->turn->error.code != SS_ERR_OK)
        return;
    va_start(ap, fmt);
    ss_vfail(&c->turn->error, code, fmt, ap);
    va_end(ap);
}

static void
add_note(struct conversation *c, bool lines, char *text)
{
    struct conversation_turn *t = c->turn;
    struct conversation_note *grown =
        text ? realloc(t->notes, (t->note_count + 1) * sizeof(*t->notes)) : NULL;
    if (!grown) {
        free(text);
        conversation_fail(c, SS_ERR_NOMEM, "out of memory");
        return;
    }
    t->notes = grown;
    t->notes[t->note_count++] =
        (struct conversation_note){.before = t->step_count, .lines = lines, .text = text};
}

void
conversation_note(struct conversation *c, const char *fmt, ...)
{
    va_list ap;
    char *text;

    va_start(ap, fmt);
    if (vasprintf(&text, fmt, ap) < 0)
        text = NULL;
    va_end(ap);
    add_note(c, false, text);
}

void
conversation_progress(struct conversation *c, const struct conversation_step *s,
                      enum conversation_progress how)
{
    if (c->cfg.progress)
        c->cfg.progress(c->cfg.progress_ctx, c->turn, (size_t)(s - c->turn->steps), how);
}

/* A copy of s for the turn, or NULL (for s NULL, or out of memory: then the
 * turn says so). */
char *
conversation_dup(struct conversation *c, const char *s)
{
    char *copy = s ? strdup(s) : NULL;
    if (s && !copy)
        conversation_fail(c, SS_ERR_NOMEM, "out of memory");
    return copy;
}

/* A new step of the turn, or NULL (the turn then says it ran out of memory).
 * The pointer is good until the next conversation_step_new(). */
struct conversation_step *
conversation_step_new(struct conversation *c, enum conversation_step_kind kind,
                      const struct conv_skill *k, const char *locale)
{
    struct conversation_turn *t = c->turn;
    struct conversation_step *grown = realloc(t->steps, (t->step_count + 1) * sizeof(*t->steps));
    if (!grown) {
        conversation_fail(c, SS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    t->steps = grown;
    struct conversation_step *s = &t->steps[t->step_count++];
    memset(s, 0, sizeof(*s));
    s->kind = kind;
    ss_error_clear(&s->error);
    snprintf(s->skill, sizeof(s->skill), "%s", k->skill->name);
    snprintf(s->locale, sizeof(s->locale), "%s", locale);
    return s;
}

static void
step_cleanup(struct conversation_step *s)
{
    free(s->heard.words);
    free(s->heard.sample);
    free(s->heard.how);
    free(s->heard.other_intent);
    free(s->heard.other_sample);
    free(s->heard.text);
    json_decref(s->request);
    json_decref(s->response);
    free(s->speech);
    free(s->speech_src);
    free(s->reprompt);
    free(s->card_title);
    free(s->card_text);
    for (size_t i = 0; i < s->directive_count; i++) {
        free(s->directives[i].type);
        free(s->directives[i].url);
    }
    free(s->directives);
}

void
conversation_turn_cleanup(struct conversation_turn *t)
{
    for (size_t i = 0; t->steps && i < t->step_count; i++)
        step_cleanup(&t->steps[i]);
    free(t->steps);
    for (size_t i = 0; t->notes && i < t->note_count; i++)
        free(t->notes[i].text);
    free(t->notes);
    memset(t, 0, sizeof(*t));
    ss_error_clear(&t->error);
}

static void
turn_begin(struct conversation *c, struct conversation_turn *out)
{
    memset(out, 0, sizeof(*out));
    ss_error_clear(&out->error);
    c->turn = out;
    if (c->held_note) {
        add_note(c, false, c->held_note);
        c->held_note = NULL;
    }
}

const struct conversation_step *
conversation_last_request(const struct conversation_turn *turn)
{
    for (size_t i = turn->step_count; i-- > 0;)
        if (turn->steps[i].request)
            return &turn->steps[i];
    return NULL;
}

/* The locale of the conversation's requests to skill k. */
const char *
conversation_locale(const struct conversation *c, const struct conv_skill *k)
{
    return c->cfg.locale ? c->cfg.locale : k->skill->locale;
}

/* ---- The session ---- */

void
conversation_session_close(struct conversation *c)
{
    c->current = NULL;
    c->session_id[0] = '\0';
    json_decref(c->attributes);
    c->attributes = NULL;
    free(c->reprompt);
    c->reprompt = NULL;
    conversation_pending_clear(&c->pending);
    c->silent_turns = 0;
}

bool
conversation_session_open(const struct conversation *c)
{
    return c->current != NULL;
}

/* ---- Skills: models, load reports ---- */

static struct conv_skill *
find_skill(struct conversation *c, const char *name)
{
    for (size_t i = 0; name && i < c->count; i++)
        if (strcmp(c->skills[i].skill->name, name) == 0)
            return &c->skills[i];
    return NULL;
}

/* A folder's name as words, as skillkit's _plain.words_of() makes the
 * invocation name of a skill of plain functions: a word is a run of ASCII
 * letters, broken where a small letter is followed by a capital
 * ("myJokes"); each digit is a word, spelled out ("quiz2": "quiz two");
 * anything else separates words. "my skill" when no word is left. */
static void
folder_words(const char *name, char *out, size_t cap)
{
    static const char *const digits[] = {"zero", "one", "two",   "three", "four",
                                         "five", "six", "seven", "eight", "nine"};
    size_t n = 0;
    bool in_word = false;
    char previous = '\0';

    for (const char *p = name; *p && n + 7 < cap; previous = *p++) {
        char ch = *p;
        bool lower = ch >= 'a' && ch <= 'z', upper = ch >= 'A' && ch <= 'Z';
        if (lower || upper) {
            if (n && (!in_word || (upper && previous >= 'a' && previous <= 'z')))
                out[n++] = ' ';
            out[n++] = upper ? (char)(ch - 'A' + 'a') : ch;
            in_word = true;
            continue;
        }
        in_word = false;
        if (ch >= '0' && ch <= '9')
            n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? " " : "", digits[ch - '0']);
    }
    out[n] = '\0';
    if (!n)
        snprintf(out, cap, "my skill");
}

enum ss_err
conversation_create(const struct conversation_config *cfg, struct conversation **out,
                    struct ss_error *err)
{
    struct skill_set *set = cfg->set;
    struct conversation *c = NULL;
    enum ss_err rc = SS_ERR_OK;

    *out = NULL;
    if (cfg->skill && !skill_set_find(set, cfg->skill)) {
        /* skill_load() explains why: no such folder (with the list), or a
         * broken skill.json. */
        struct skill one;
        struct ss_error why;
        ss_error_clear(&why);
        if (skill_load(cfg->skills_dir, cfg->skill, &one, &why) == SS_ERR_OK) {
            skill_cleanup(&one);
            return ss_fail(err, SS_ERR_UNKNOWN_SKILL, "cannot use the skill %s", cfg->skill);
        }
        return ss_fail(err, SS_ERR_UNKNOWN_SKILL, "%s", why.msg);
    }
    if (set->count == 0)
        return ss_fail(err, SS_ERR_USAGE,
                       "there are no skills in %s (a skill is a folder with a skill.py in it)",
                       set->root);
    if (cfg->locale && !canned_locale_valid(cfg->locale))
        return ss_fail(err, SS_ERR_USAGE,
                       "'%s' is not a locale: write a language and a country, such as en-US "
                       "or de-DE",
                       cfg->locale);
    c = calloc(1, sizeof(*c));
    if (!c)
        return ss_fail(err, SS_ERR_NOMEM, "out of memory");
    c->cfg = *cfg;
    c->count = set->count;
    c->skills = calloc(c->count, sizeof(*c->skills));
    c->names = calloc(c->count, sizeof(*c->names));
    if (!c->skills || !c->names) {
        rc = ss_fail(err, SS_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < c->count; i++) {
        struct conv_skill *k = &c->skills[i];
        k->skill = &set->items[i];
        /* The catalog read the models with the set; one that does not
         * load is noted when the skill is used, and other skills still
         * work. cfg->locale NULL is the skill's own. */
        k->file = skill_model_file(k->skill, cfg->locale);
        k->model = skill_model(k->skill, cfg->locale);
        if (k->model) {
            c->names[i] = k->model->invocation_name;
            continue;
        }
        /* Without a model file there is no invocation name: the folder's
         * name, said as words, opens the skill ("open returns none"). */
        folder_words(k->skill->name, k->folder_name, sizeof(k->folder_name));
        c->names[i] = k->folder_name;
    }
out:
    if (rc != SS_ERR_OK) {
        conversation_destroy(c);
        return rc;
    }
    *out = c;
    return SS_ERR_OK;
}

void
conversation_use(struct conversation *c, struct pool *pool, struct store *store)
{
    c->pool = pool;
    c->store = store;
}

void
conversation_destroy(struct conversation *c)
{
    if (!c)
        return;
    conversation_session_close(c);
    for (size_t i = 0; c->skills && i < c->count; i++)
        model_destroy(c->skills[i].inferred);
    free(c->skills);
    free(c->names);
    free(c->held_note);
    free(c);
}

/*
 * A skill without a model file may be written as plain functions: then its
 * worker's load report carries the model skillkit inferred from them, which
 * is understood like a model.json (parsed by model_parse(), so a worker's
 * hostile document is checked like any file). Asked once per skill; the
 * pool keeps the worker it starts for the turn.
 */
static void
infer_model(struct conversation *c, struct conv_skill *k)
{
    struct ss_error err;
    struct message_load hello;
    char name[LIMIT_SKILL_NAME_CHARS + 64];

    if (k->file || k->inferred_asked || !c->pool)
        return;
    k->inferred_asked = true;
    ss_error_clear(&err);
    if (pool_start(c->pool, k->skill, &hello, &err) == SS_ERR_OK && hello.ok && hello.model) {
        char *text = json_dumps(hello.model, JSON_COMPACT);
        snprintf(name, sizeof(name), "%s (the model read from its functions)", k->skill->name);
        if (text && model_parse(name, text, strlen(text), &k->inferred, &err) == SS_ERR_OK)
            k->model = k->inferred;
        else if (text)
            conversation_note(c, "%s", err.msg);
        free(text);
    }
    message_load_cleanup(&hello);
}

/*
 * Start the skill's worker and note, once, what is wrong with it: its load
 * error or warnings, and model_check() of its model. The warnings about the
 * model (skillkit compares the handlers with the intents of the skill's
 * model) carry their JSON path and are noted with model_check()'s
 * findings, in the same form.
 */
static void
report_skill(struct conversation *c, struct conv_skill *k)
{
    struct ss_error err;
    struct message_load hello;

    if (k->reported)
        return;
    k->reported = true;
    ss_error_clear(&err);
    enum ss_err rc = pool_start(c->pool, k->skill, &hello, &err);
    k->not_started = rc != SS_ERR_OK;
    if (rc != SS_ERR_OK)
        conversation_note(c, "%s %s: %s", k->skill->name,
                          rc == SS_ERR_SKILL_LOAD ? "does not load" : "cannot start", err.msg);
    for (size_t i = 0; i < hello.warning_count; i++)
        if (!hello.warnings[i].model_path)
            conversation_note(c, "%s: warning: %s", k->skill->name, hello.warnings[i].text);
    if (k->file && !k->model) {
        conversation_note(c, "%s", k->file->error.msg);
        conversation_note(
            c,
            "%s: without a model.json that loads, only \"open %s\" and the built-in intents "
            "(help, stop, ...) are understood",
            k->skill->name, k->folder_name);
        k->model_errors = true;
    } else if (k->model && k->file) {
        struct model_report r;
        model_check(k->model, &r);
        size_t need = model_report_format(&r, k->file->path, NULL, 0);
        char *text = malloc(need + 1);
        if (text) {
            model_report_format(&r, k->file->path, text, need + 1);
            if (text[0])
                add_note(c, true, text);
            else
                free(text);
        }
        /* skillkit compared the handlers with the model of the skill's own
         * locale, which is the file its findings name. */
        for (size_t i = 0; i < hello.warning_count; i++) {
            char *line = NULL;
            if (!hello.warnings[i].model_path || !k->skill->model_path)
                continue;
            if (asprintf(&line, "%s: %s: warning: %s\n", k->skill->model_path,
                         hello.warnings[i].model_path, hello.warnings[i].text) < 0)
                line = NULL;
            add_note(c, true, line);
        }
        if (r.errors) {
            k->model_errors = true;
            conversation_note(
                c,
                "%s's model.json has %zu error%s that Amazon would refuse; skillserver "
                "carries on with what it can understand",
                k->skill->name, r.errors, r.errors == 1 ? "" : "s");
        }
    } else if (k->inferred || rc != SS_ERR_OK) {
        /* Understood from its functions (`skillserver model` shows how), or
         * not started: its load error, noted above, is what to mend first;
         * a skill of plain functions has its model once it loads. */
    } else if (k->skill->model_count) {
        conversation_note(
            c,
            "%s has no interaction model for %s: only \"open %s\" and the built-in intents "
            "(help, stop, yes, no, ...) are understood",
            k->skill->name, conversation_locale(c, k), k->folder_name);
    } else {
        conversation_note(
            c,
            "%s has no model.json: only \"open %s\" and the built-in intents (help, stop, "
            "yes, no, ...) are understood",
            k->skill->name, k->folder_name);
    }
    if (k->model_errors)
        c->turn->model_errors = true;
    message_load_cleanup(&hello);
}

/*
 * The skill for words that do not name one: the only skill, else the one
 * whose model matches best. A tie (or nothing matching anywhere) goes to
 * CONVERSATION_DEFAULT_SKILL, else the first by name; a tie is noted.
 */
static struct conv_skill *
choose_skill(struct conversation *c, const char *words, time_t now)
{
    struct conv_skill *best = NULL, *tied = NULL;
    int best_score = 0;
    struct matcher_result *r;

    if (c->count == 1)
        return &c->skills[0];
    r = malloc(sizeof(*r));
    if (!r)
        return &c->skills[0];
    /* Skills with a model file first; only when none of them understands
     * the words are the workers of the skills of plain functions started
     * to read theirs (each start costs a sandboxed interpreter, most of a
     * second, which "thank you" need not wait for). */
    for (int pass = 0; pass < 2 && !best; pass++) {
        for (size_t i = 0; i < c->count; i++) {
            struct conv_skill *k = &c->skills[i];
            if (pass == 1) {
                if (k->file || k->inferred_asked)
                    continue;
                infer_model(c, k);
            }
            if (!k->model || matcher_match(k->model, words, now, r) != 0 || r->fallback)
                continue;
            if (!best || r->score > best_score) {
                best = k;
                best_score = r->score;
                tied = NULL;
            } else if (r->score == best_score) {
                tied = k;
            }
        }
    }
    free(r);
    struct conv_skill *fallback_skill = find_skill(c, CONVERSATION_DEFAULT_SKILL);
    if (best && tied) {
        struct conv_skill *pick =
            fallback_skill && (best == fallback_skill || tied == fallback_skill) ? fallback_skill
                                                                                 : best;
        conversation_note(
            c,
            "%s and %s both understand \"%s\"; using %s (choose with --skill NAME, or say "
            "\"ask <name> to ...\")",
            best->skill->name, tied->skill->name, words, pick->skill->name);
        return pick;
    }
    if (best)
        return best;
    return fallback_skill ? fallback_skill : &c->skills[0];
}

/* ---- One thing the user says ---- */

static void
turn_words(struct conversation *c, const char *line)
{
    const struct conversation_config *cfg = &c->cfg;
    time_t now = cfg->now ? cfg->now : time(NULL);
    struct matcher_invocation *inv = malloc(sizeof(*inv));
    struct request_plan *plan = calloc(1, sizeof(*plan));
    struct conv_skill *k = NULL, *named = NULL;
    const char *words;
    /* No session open: "open ..." that names no skill is no skill's words. */
    bool in_session = c->current != NULL;

    if (!inv || !plan) {
        conversation_fail(c, SS_ERR_NOMEM, "out of memory");
        goto out;
    }
    matcher_invocation(line, c->names, c->count, inv);
    words = inv->rest;
    if (inv->form == MATCHER_OPEN || inv->form == MATCHER_ASK)
        named = &c->skills[inv->skill];
    if (cfg->skill && named && strcmp(named->skill->name, cfg->skill) != 0) {
        conversation_note(
            c, "\"%s\" is the invocation name of %s, but --skill is %s: the words go to %s",
            c->names[inv->skill], named->skill->name, cfg->skill, cfg->skill);
        /* Read again without skill names: the plain words (and "exit"). */
        named = NULL;
        matcher_invocation(line, NULL, 0, inv);
        words = inv->rest;
    }

    /* Which skill. Opening another skill ends the open session first. */
    if (named && c->current && named != c->current)
        conversation_end_session(c, "USER_INITIATED");
    if (named)
        k = named;
    else if (c->current)
        k = c->current;
    else if (cfg->skill)
        k = find_skill(c, cfg->skill);
    else
        k = choose_skill(c, words, now);
    infer_model(c, k);
    report_skill(c, k);

    if (inv->form == MATCHER_EXIT && inv->soft_exit && k->model) {
        /* "goodbye" may be a sample of the skill's own. */
        struct matcher_result *m = malloc(sizeof(*m));
        if (m && matcher_match(k->model, words, now, m) == 0 && !m->fallback && m->sample &&
            m->intent && strncmp(m->intent_name, "AMAZON.", 7) != 0)
            inv->form = MATCHER_PLAIN;
        free(m);
    }
    switch (inv->form) {
    case MATCHER_EXIT:
        plan->type = REQ_SESSION_ENDED;
        plan->end_reason = "USER_INITIATED";
        if (!c->current && !cfg->one_shot) {
            c->turn->no_session = true;
            goto out;
        }
        break;
    case MATCHER_OPEN:
        plan->type = REQ_LAUNCH;
        break;
    case MATCHER_ASK:
    case MATCHER_PLAIN:
        if (!words[0]) {
            conversation_fail(c, SS_ERR_USAGE,
                              "say something: an utterance is words, such as \"thank you\"");
            goto out;
        }
        conversation_plan_intent(c, k, words, now, plan);
        /* "open thank yu": a name misspelt, whether or not the words
         * happened to fit something loosely, or fitted a skill's sample
         * exactly when no session was open ("{state}" takes any words). */
        if ((plan->match.fallback || !plan->match.exact || !in_session) && inv->near >= 0 &&
            c->names[inv->near])
            conversation_note(c, "did you mean \"open %s\"? (%s's invocation name)",
                              c->names[inv->near], c->skills[inv->near].skill->name);
        break;
    }
    conversation_run(c, k, plan,
                     inv->form == MATCHER_PLAIN || inv->form == MATCHER_ASK ? words : NULL, 0);
out:
    free(inv);
    free(plan);
}

static void
trim(char *line)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' ||
                 line[n - 1] == '\t'))
        line[--n] = '\0';
    size_t lead = strspn(line, " \t");
    memmove(line, line + lead, n - lead + 1);
}

enum ss_err
conversation_say(struct conversation *c, const char *words, struct conversation_turn *out)
{
    char line[LIMIT_SAY_LINE_BYTES];

    turn_begin(c, out);
    if (snprintf(line, sizeof(line), "%s", words ? words : "") >= (int)sizeof(line))
        conversation_fail(c, SS_ERR_USAGE, "the utterance is longer than %zu bytes",
                          sizeof(line) - 1);
    else {
        trim(line);
        turn_words(c, line);
    }
    c->turn = NULL;
    return out->error.code;
}

enum ss_err
conversation_silence(struct conversation *c, struct conversation_turn *out)
{
    turn_begin(c, out);
    if (c->current && ++c->silent_turns == 1 && c->reprompt) {
        struct conversation_step *s = conversation_step_new(c, CONVERSATION_REPROMPT, c->current,
                                                            conversation_locale(c, c->current));
        if (s) {
            conversation_set_speech(c, s, c->reprompt, false);
            conversation_progress(c, s, CONVERSATION_DONE);
        }
    } else {
        conversation_end_session(c, "EXCEEDED_MAX_REPROMPTS");
    }
    c->turn = NULL;
    return out->error.code;
}

enum ss_err
conversation_leave(struct conversation *c, struct conversation_turn *out)
{
    turn_begin(c, out);
    conversation_end_session(c, "USER_INITIATED");
    c->turn = NULL;
    return out->error.code;
}

/* ---- The session, for callers that keep it ---- */

void
conversation_session_cleanup(struct conversation_session *session)
{
    json_decref(session->attributes);
    json_decref(session->dialog);
    memset(session, 0, sizeof(*session));
}

enum ss_err
conversation_session_get(const struct conversation *c, struct conversation_session *out)
{
    memset(out, 0, sizeof(*out));
    if (!c->current)
        return SS_ERR_OK;
    snprintf(out->skill, sizeof(out->skill), "%s", c->current->skill->name);
    snprintf(out->id, sizeof(out->id), "%s", c->session_id);
    out->attributes = c->attributes ? json_incref(c->attributes) : json_object();
    bool nomem = false;
    out->dialog = conversation_pending_get(&c->pending, &nomem);
    if (!out->attributes || nomem) {
        conversation_session_cleanup(out);
        return SS_ERR_NOMEM;
    }
    return SS_ERR_OK;
}

enum ss_err
conversation_session_set(struct conversation *c, const struct conversation_session *session,
                         struct ss_error *err)
{
    conversation_session_close(c);
    if (!session->skill[0])
        return SS_ERR_OK;
    struct conv_skill *open = find_skill(c, session->skill);
    if (!open) {
        free(c->held_note);
        if (asprintf(&c->held_note,
                     "the session was with %s, which is not here any more; starting afresh",
                     session->skill) < 0)
            c->held_note = NULL;
        return SS_ERR_OK;
    }
    c->attributes = session->attributes ? json_incref(session->attributes) : json_object();
    if (!c->attributes)
        return ss_fail(err, SS_ERR_NOMEM, "out of memory");
    if (session->dialog && !json_is_null(session->dialog)) {
        enum ss_err rc = conversation_pending_set(c, session->dialog, err);
        if (rc != SS_ERR_OK) {
            conversation_session_close(c);
            return rc;
        }
    }
    c->current = open;
    snprintf(c->session_id, sizeof(c->session_id), "%s", session->id);
    return SS_ERR_OK;
}
