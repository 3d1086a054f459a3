/*
 * say.c - `skillserver say` (see say.h): utterance -> request -> pipeline ->
 * words, one turn at a time, with the session and dialog kept between turns.
 *
 * Everything a conversation owns hangs off struct say and is released by
 * say_cleanup(); each turn's request and response are freed within the turn.
 */
#include "say.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "canned.h"
#include "dispatch.h"
#include "matcher.h"
#include "model.h"
#include "pool.h"
#include "proto.h"
#include "skill.h"
#include "speech.h"
#include "ss_limits.h"
#include "store.h"

#define EXIT_FAILED 1
#define EXIT_USAGE 2

struct say_skill {
    const struct skill *skill; /* borrowed from the set */
    struct model *model;       /* owned; NULL without model.json or when it did not load */
    bool model_broken;         /* model.json exists but did not load */
    bool model_errors;         /* model_check() found errors */
    bool reported;             /* its load report and model check were printed */
    char folder_name[LIMIT_SKILL_NAME_CHARS + 1]; /* "returns none": opens a skill without
                                                     a model */
};

/* What the skill's dialog is waiting for, after a Dialog directive. */
enum pending_kind { PENDING_NONE, PENDING_ELICIT, PENDING_CONFIRM_SLOT, PENDING_CONFIRM_INTENT };

struct pending {
    enum pending_kind kind;
    char slot[LIMIT_NAME_CHARS + 1];
    json_t *intent; /* owned: the intent with the slots gathered so far */
};

struct say {
    const struct say_config *cfg;
    struct skill_set *set;
    struct say_skill *skills;
    const char **names; /* invocation names, for matcher_invocation() */
    size_t count;
    struct pool *pool;
    struct store *store;
    int status; /* the exit status so far */
    /* The open session, when current is not NULL. */
    struct say_skill *current;
    char session_id[80];
    json_t *attributes; /* owned: the session attributes the skill returned */
    char *reprompt;     /* owned: the last reprompt, said again on an empty line */
    struct pending pending;
    int silent_turns; /* empty lines in a row */
    /* say_turn_run(): set, pool and store are borrowed, and the last turn is kept. */
    bool borrowed;
    struct say_turn *turn;
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

static void
out_flush(struct say *s)
{
    fflush(s->cfg->out);
    fflush(s->cfg->err);
}

static void
fail(struct say *s, int status)
{
    if (status > s->status)
        s->status = status;
}

/* ---- The session ---- */

static void
pending_clear(struct pending *p)
{
    json_decref(p->intent);
    memset(p, 0, sizeof(*p));
}

static void
session_close(struct say *s)
{
    s->current = NULL;
    s->session_id[0] = '\0';
    json_decref(s->attributes);
    s->attributes = NULL;
    free(s->reprompt);
    s->reprompt = NULL;
    pending_clear(&s->pending);
    s->silent_turns = 0;
}

/* ---- Skills: models, load reports ---- */

static void
report_set(void *ctx, const char *name, const struct ss_error *err)
{
    struct say *s = ctx;
    fprintf(s->cfg->err, "skillserver: skill %s is left out: %s\n", name, err->msg);
}

/* Check the skill set (loaded, or lent by say_turn_run()) and load the models. */
static int
prepare_skills(struct say *s)
{
    const struct say_config *cfg = s->cfg;
    struct ss_error err;

    ss_error_clear(&err);
    if (cfg->skill && !skill_set_find(s->set, cfg->skill)) {
        /* skill_load() explains why: no such folder (with the list), or a
         * broken skill.json. */
        struct skill one;
        if (skill_load(cfg->skills_dir, cfg->skill, &one, &err) == SS_ERR_OK) {
            skill_cleanup(&one);
            ss_fail(&err, SS_ERR_UNKNOWN_SKILL, "cannot use the skill %s", cfg->skill);
        }
        fprintf(cfg->err, "skillserver: %s\n", err.msg);
        return EXIT_USAGE;
    }
    if (s->set->count == 0) {
        fprintf(cfg->err,
                "skillserver: there are no skills in %s (a skill is a folder with a "
                "skill.py in it)\n",
                s->set->root);
        return EXIT_USAGE;
    }
    s->count = s->set->count;
    s->skills = calloc(s->count, sizeof(*s->skills));
    s->names = calloc(s->count, sizeof(*s->names));
    if (!s->skills || !s->names) {
        fprintf(cfg->err, "skillserver: out of memory\n");
        return EXIT_FAILED;
    }
    for (size_t i = 0; i < s->count; i++) {
        struct say_skill *k = &s->skills[i];
        k->skill = &s->set->items[i];
        if (k->skill->model_path &&
            model_load(k->skill->model_path, &k->model, &err) == SS_ERR_OK) {
            s->names[i] = k->model->invocation_name;
            continue;
        }
        /* Reported when the skill is used; other skills still work. */
        k->model_broken = k->skill->model_path != NULL;
        /* Without a model there is no invocation name: the folder's name,
         * said as words, opens the skill ("open returns none"). */
        snprintf(k->folder_name, sizeof(k->folder_name), "%s", k->skill->name);
        for (char *c = k->folder_name; *c; c++)
            if (*c == '_' || *c == '-')
                *c = ' ';
        s->names[i] = k->folder_name;
    }
    return 0;
}

static int
load_skills(struct say *s)
{
    struct ss_error err;

    ss_error_clear(&err);
    if (skill_set_load(s->cfg->skills_dir, &s->set, report_set, s, &err) != SS_ERR_OK) {
        fprintf(s->cfg->err, "skillserver: %s\n", err.msg);
        return EXIT_USAGE;
    }
    return prepare_skills(s);
}

static struct say_skill *
find_skill(struct say *s, const char *name)
{
    for (size_t i = 0; name && i < s->count; i++)
        if (strcmp(s->skills[i].skill->name, name) == 0)
            return &s->skills[i];
    return NULL;
}

/*
 * Start the skill's worker and say, once, what is wrong with it: its load
 * error or warnings, and model_check() of its model. The warnings about the
 * model (skillkit compares the handlers with its intents) carry their JSON
 * path and are printed with model_check()'s findings, in the same form.
 */
static void
report_skill(struct say *s, struct say_skill *k)
{
    const struct say_config *cfg = s->cfg;
    struct ss_error err;
    struct message_load hello;

    if (k->reported)
        return;
    k->reported = true;
    ss_error_clear(&err);
    enum ss_err rc = pool_start(s->pool, k->skill, &hello, &err);
    if (rc != SS_ERR_OK)
        fprintf(cfg->err, "skillserver: %s %s: %s\n", k->skill->name,
                rc == SS_ERR_SKILL_LOAD ? "does not load" : "cannot start", err.msg);
    for (size_t i = 0; i < hello.warning_count; i++)
        if (!hello.warnings[i].model_path)
            fprintf(cfg->err, "skillserver: %s: warning: %s\n", k->skill->name,
                    hello.warnings[i].text);
    if (k->model_broken) {
        struct model *m = NULL;
        if (model_load(k->skill->model_path, &m, &err) != SS_ERR_OK)
            fprintf(cfg->err,
                    "skillserver: %s\nskillserver: %s: without a model.json that "
                    "loads, only \"open %s\" and the built-in intents (help, stop, "
                    "...) are understood\n",
                    err.msg, k->skill->name, k->folder_name);
        model_destroy(m);
        k->model_errors = true;
    } else if (k->model) {
        struct model_report r;
        model_check(k->model, &r);
        size_t need = model_report_format(&r, k->skill->model_path, NULL, 0);
        char *text = malloc(need + 1);
        if (text) {
            model_report_format(&r, k->skill->model_path, text, need + 1);
            fputs(text, cfg->err);
            free(text);
        }
        for (size_t i = 0; i < hello.warning_count; i++)
            if (hello.warnings[i].model_path)
                fprintf(cfg->err, "%s: %s: warning: %s\n", k->skill->model_path,
                        hello.warnings[i].model_path, hello.warnings[i].text);
        if (r.errors) {
            k->model_errors = true;
            fprintf(cfg->err,
                    "skillserver: %s's model.json has %zu error%s that Amazon would "
                    "refuse; skillserver carries on with what it can understand\n",
                    k->skill->name, r.errors, r.errors == 1 ? "" : "s");
        }
    } else if (!k->skill->model_path) {
        fprintf(cfg->err,
                "skillserver: %s has no model.json: only \"open %s\" and the "
                "built-in intents (help, stop, yes, no, ...) are understood\n",
                k->skill->name, k->folder_name);
    }
    if (k->model_errors)
        fail(s, EXIT_FAILED);
    message_load_cleanup(&hello);
}

/*
 * The skill for words that do not name one: the only skill, else the one
 * whose model matches best. A tie (or nothing matching anywhere) goes to
 * SAY_DEFAULT_SKILL, else the first by name; a tie is reported.
 */
static struct say_skill *
choose_skill(struct say *s, const char *words, time_t now)
{
    struct say_skill *best = NULL, *tied = NULL;
    int best_score = 0;
    struct matcher_result *r;

    if (s->count == 1)
        return &s->skills[0];
    r = malloc(sizeof(*r));
    if (!r)
        return &s->skills[0];
    for (size_t i = 0; i < s->count; i++) {
        struct say_skill *k = &s->skills[i];
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
    free(r);
    struct say_skill *fallback_skill = find_skill(s, SAY_DEFAULT_SKILL);
    if (best && tied) {
        struct say_skill *pick =
            fallback_skill && (best == fallback_skill || tied == fallback_skill) ? fallback_skill
                                                                                 : best;
        fprintf(s->cfg->err,
                "skillserver: %s and %s both understand \"%s\"; using %s (choose "
                "with --skill NAME, or say \"ask <name> to ...\")\n",
                best->skill->name, tied->skill->name, words, pick->skill->name);
        return pick;
    }
    if (best)
        return best;
    return fallback_skill ? fallback_skill : &s->skills[0];
}

/* ---- Printing ---- */

/* "(heard by thank_you: ThankYouIntent, name = "Sam")" */
static void
write_heard(FILE *e, const struct say_skill *k, const struct request_plan *plan, const char *words)
{
    const struct matcher_result *m = &plan->match;

    if (plan->type == REQ_LAUNCH) {
        fprintf(e, "(heard by %s: LaunchRequest)\n", k->skill->name);
        return;
    }
    if (plan->type == REQ_SESSION_ENDED) {
        fprintf(e, "(heard by %s: SessionEndedRequest, %s)\n", k->skill->name,
                plan->end_reason ? plan->end_reason : "USER_INITIATED");
        return;
    }
    fprintf(e, "(heard by %s: %s", k->skill->name, plan->intent);
    if (plan->dialog_state)
        fprintf(e, " [dialog %s]", plan->dialog_state);
    if (plan->confirm_status)
        fprintf(e, " [%s %s]", plan->confirm_slot ? plan->confirm_slot : "intent",
                plan->confirm_status);
    for (size_t i = 0; i < m->slot_count; i++) {
        const struct matcher_slot *sl = &m->slots[i];
        fprintf(e, ", %s = \"%s\"", sl->slot->name, sl->value);
        if (sl->custom && sl->resolved_count) {
            for (size_t r = 0; r < sl->resolved_count; r++)
                fprintf(e, "%s%s%s%s", r ? " or " : " -> ", sl->resolved[r]->value,
                        sl->resolved[r]->id ? " " : "",
                        sl->resolved[r]->id ? sl->resolved[r]->id : "");
        } else if (sl->custom) {
            fprintf(e, " (no value of %s)", sl->slot->type);
        }
    }
    fputs(")\n", e);
    if (m->fallback && words)
        fprintf(e, "(no sample of %s matches \"%s\")\n", k->skill->name, words);
    if (m->other_intent)
        fprintf(e,
                "skillserver: \"%s\" matches %s (\"%s\") just as well as %s (\"%s\"); "
                "Alexa could pick either: make the samples different\n",
                words ? words : "", m->other_intent, m->other_sample ? m->other_sample : "",
                plan->intent, m->sample ? m->sample : "");
}

/* What was understood, on err; say_turn_run() also keeps the first line's
 * inside ("ThankYouIntent, name = "Sam"") for its caller. */
static void
print_heard(struct say *s, const struct say_skill *k, const struct request_plan *plan,
            const char *words)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = s->turn ? open_memstream(&text, &len) : NULL;

    if (!mem) {
        write_heard(s->cfg->err, k, plan, words);
        return;
    }
    write_heard(mem, k, plan, words);
    if (fclose(mem) != 0) {
        free(text);
        return;
    }
    fputs(text, s->cfg->err);
    size_t skip = strlen("(heard by ") + strlen(k->skill->name) + strlen(": ");
    char *nl = strchr(text, '\n');
    if (nl && nl > text + skip && nl[-1] == ')') {
        char *heard = strndup(text + skip, (size_t)(nl - 1 - (text + skip)));
        if (heard) {
            free(s->turn->heard);
            s->turn->heard = heard;
        }
    }
    free(text);
}

/* The words of an outputSpeech object; ssml tells which kind. */
static const char *
speech_of(json_t *speech, bool *ssml)
{
    const char *type = json_string_value(json_object_get(speech, "type"));
    *ssml = type && strcmp(type, "SSML") == 0;
    return json_string_value(json_object_get(speech, *ssml ? "ssml" : "text"));
}

static void
print_words(struct say *s, const char *label, json_t *speech)
{
    bool ssml;
    const char *text = speech_of(speech, &ssml);
    if (!text)
        return;
    char *plain = speech_plain_text(text, ssml);
    if (!plain) {
        fprintf(s->cfg->err, "skillserver: out of memory\n");
        return;
    }
    if (plain[0])
        fprintf(s->cfg->out, "%s%s\n", label, plain);
    free(plain);
}

/* Replace {slot} in a dialog prompt with the slot's value, as Alexa does. */
static char *
fill_prompt(const char *text, json_t *intent)
{
    size_t cap = strlen(text) + 1, len = 0;
    json_t *slots = json_object_get(intent, "slots");
    char *out = malloc(cap);
    for (const char *p = text; out && *p;) {
        const char *value = NULL;
        size_t skip = 1;
        if (*p == '{') {
            const char *end = strchr(p, '}');
            if (end && end - p - 1 < LIMIT_NAME_CHARS) {
                char name[LIMIT_NAME_CHARS + 1];
                memcpy(name, p + 1, (size_t)(end - p - 1));
                name[end - p - 1] = '\0';
                value = json_string_value(json_object_get(json_object_get(slots, name), "value"));
                if (value)
                    skip = (size_t)(end - p + 1);
            }
        }
        const char *piece = value ? value : p;
        size_t n = value ? strlen(value) : 1;
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            char *grown = realloc(out, cap);
            if (!grown) {
                free(out);
                return NULL;
            }
            out = grown;
        }
        memcpy(out + len, piece, n);
        len += n;
        p += skip;
    }
    if (out)
        out[len] = '\0';
    return out;
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
static void
plan_intent(struct say *s, struct say_skill *k, const char *words, time_t now,
            struct request_plan *plan)
{
    struct pending *p = &s->pending;
    plan->type = REQ_INTENT;
    if (s->current == k && p->kind != PENDING_NONE) {
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

/* Carry slots gathered in earlier turns of a dialog into request's intent,
 * and set the confirmation the user just gave. */
static int
apply_carry(json_t *req, const struct request_plan *plan)
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

static json_t *
build_request(struct say *s, struct say_skill *k, const struct request_plan *plan)
{
    struct canned_slot slots[LIMIT_MATCHER_SLOTS];
    struct canned_options co = {0};
    struct ss_error err;
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
    if (s->current == k) {
        /* Continuing the session: never "new", even when the skill keeps no
         * attributes. */
        co.session_id = s->session_id;
        co.session_attributes = s->attributes ? s->attributes : (empty = json_object());
    }
    ss_error_clear(&err);
    if (canned_request(k->skill, k->model, &co, &req, &err) != SS_ERR_OK) {
        fprintf(s->cfg->err, "skillserver: %s\n", err.msg);
        req = NULL;
    } else if (apply_carry(req, plan) != 0) {
        fprintf(s->cfg->err, "skillserver: out of memory\n");
        json_decref(req);
        req = NULL;
    }
    json_decref(empty);
    return req;
}

/* ---- Running one request ---- */

static void
show_json(struct say *s, const char *label, json_t *doc)
{
    fprintf(s->cfg->out, "%s\n", label);
    if (json_dumpf(doc, s->cfg->out, JSON_INDENT(2)) == 0)
        fputc('\n', s->cfg->out);
}

static void
render(struct say *s, struct say_skill *k, json_t *speech)
{
    const struct say_config *cfg = s->cfg;
    struct ss_error err;
    bool ssml;
    const char *text = speech_of(speech, &ssml);
    char why[200];

    if (!text || !text[0]) {
        if (cfg->wav)
            fprintf(cfg->err, "skillserver: nothing was said, so %s was not written\n", cfg->wav);
        return;
    }
    out_flush(s);
    ss_error_clear(&err);
    if (cfg->wav) {
        if (speech_render(text, ssml, k->skill->locale, cfg->wav, &err) != SS_ERR_OK) {
            fprintf(cfg->err, "skillserver: --wav: %s\n", err.msg);
            fail(s, EXIT_FAILED);
        }
    }
    if (cfg->speak && speech_sound_device(why, sizeof(why)) &&
        speech_render(text, ssml, k->skill->locale, NULL, &err) != SS_ERR_OK)
        fprintf(cfg->err, "skillserver: --speak: %s\n", err.msg); /* sound is a bonus */
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

/* Say a dialog-model prompt (its first variation) as Alexa would. */
static void
say_prompt(struct say *s, struct say_skill *k, const char *id, json_t *intent)
{
    const struct model_prompt *p = model_prompt(k->model, id);
    if (!p || p->variation_count == 0) {
        fprintf(s->cfg->err, "skillserver: the dialog model has no prompt %s to say\n",
                id ? id : "(none given)");
        return;
    }
    char *text = fill_prompt(p->variations[0], intent);
    if (!text)
        return;
    json_t *speech = json_pack("{s:s, s:s}", "type", p->ssml[0] ? "SSML" : "PlainText",
                               p->ssml[0] ? "ssml" : "text", text);
    if (speech) {
        print_words(s, "", speech);
        render(s, k, speech);
    }
    json_decref(speech);
    /* Alexa asks again with the same prompt when nothing is said. */
    free(s->reprompt);
    s->reprompt = speech_plain_text(text, p->ssml[0]);
    free(text);
}

static int run_plan(struct say *s, struct say_skill *k, struct request_plan *plan,
                    const char *words, int steps);

/*
 * After a response with a Dialog directive: remember what the dialog waits
 * for. Dialog.Delegate is played as Alexa plays it: the model's prompt for
 * the next required slot, or for confirming the intent, and once nothing is
 * missing, an IntentRequest with dialogState COMPLETED.
 */
static int
follow_dialog(struct say *s, struct say_skill *k, json_t *directive, json_t *request, int steps)
{
    const char *type = json_string_value(json_object_get(directive, "type"));
    json_t *updated = json_object_get(directive, "updatedIntent");
    json_t *intent = json_is_object(updated)
                         ? updated
                         : json_object_get(json_object_get(request, "request"), "intent");
    const char *name = json_string_value(json_object_get(intent, "name"));
    struct pending *p = &s->pending;
    const struct model_intent *in = model_intent(k->model, name);

    pending_clear(p);
    if (!type || !intent || !name)
        return 0;
    p->intent = json_deep_copy(intent);
    if (!p->intent)
        return 0;
    if (strcmp(type, "Dialog.ElicitSlot") == 0 || strcmp(type, "Dialog.ConfirmSlot") == 0) {
        const char *slot = json_string_value(
            json_object_get(directive, type[7] == 'E' ? "slotToElicit" : "slotToConfirm"));
        if (!slot || strlen(slot) > LIMIT_NAME_CHARS) {
            pending_clear(p);
            return 0;
        }
        snprintf(p->slot, sizeof(p->slot), "%s", slot);
        p->kind = type[7] == 'E' ? PENDING_ELICIT : PENDING_CONFIRM_SLOT;
        return 0;
    }
    if (strcmp(type, "Dialog.ConfirmIntent") == 0) {
        p->kind = PENDING_CONFIRM_INTENT;
        return 0;
    }
    if (strcmp(type, "Dialog.Delegate") != 0) {
        pending_clear(p);
        return 0;
    }
    const struct model_slot *slot = missing_slot(in, p->intent);
    if (slot) {
        snprintf(p->slot, sizeof(p->slot), "%s", slot->name);
        p->kind = PENDING_ELICIT;
        say_prompt(s, k, slot->elicitation_prompt, p->intent);
        return 0;
    }
    const char *confirmed = json_string_value(json_object_get(p->intent, "confirmationStatus"));
    if (in && in->confirmation_required && (!confirmed || strcmp(confirmed, "NONE") == 0)) {
        p->kind = PENDING_CONFIRM_INTENT;
        say_prompt(s, k, in->confirmation_prompt, p->intent);
        return 0;
    }
    /* Everything the dialog model asks for is there: Alexa tells the skill. */
    struct request_plan done = {.type = REQ_INTENT, .intent = name, .dialog_state = "COMPLETED"};
    done.match.intent_name = name;
    done.match.intent = in;
    json_t *carry = p->intent;
    p->intent = NULL;
    pending_clear(p);
    done.carry = carry;
    int rc = run_plan(s, k, &done, NULL, steps + 1);
    json_decref(carry);
    return rc;
}

/* For say_turn_run(): keep the last request, its response and its words. */
static void
keep_turn(struct say *s, const struct say_skill *k, json_t *req, json_t *resp, enum ss_err e,
          const struct ss_error *error)
{
    struct say_turn *t = s->turn;
    json_t *r = json_object_get(resp, "response");
    bool ssml;
    const char *text;

    snprintf(t->skill, sizeof(t->skill), "%s", k->skill->name);
    json_decref(t->request);
    json_decref(t->response);
    t->request = json_incref(req);
    t->response = json_incref(resp);
    free(t->speech);
    free(t->reprompt);
    text = speech_of(json_object_get(r, "outputSpeech"), &ssml);
    t->speech = text ? speech_plain_text(text, ssml) : NULL;
    text = speech_of(json_object_get(json_object_get(r, "reprompt"), "outputSpeech"), &ssml);
    t->reprompt = text ? speech_plain_text(text, ssml) : NULL;
    if (e != SS_ERR_OK) {
        t->skill_failed = true;
        t->error = *error;
    }
}

/* Build, run and print one request; update the session from the answer. */
static int
run_plan(struct say *s, struct say_skill *k, struct request_plan *plan, const char *words,
         int steps)
{
    const struct say_config *cfg = s->cfg;
    struct dispatch_result res;
    json_t *req = NULL, *resp = NULL;
    char *body = NULL;
    int rc = 0;

    if (steps > LIMIT_SAY_DIALOG_STEPS) {
        fprintf(cfg->err,
                "skillserver: %s keeps delegating the dialog without asking for "
                "anything; stopped after %d steps\n",
                k->skill->name, LIMIT_SAY_DIALOG_STEPS);
        session_close(s);
        return EXIT_FAILED;
    }
    print_heard(s, k, plan, words);
    req = build_request(s, k, plan);
    if (!req)
        return EXIT_USAGE;
    if (s->current != k) {
        /* A new session: remember its id for the turns that follow. */
        const char *sid =
            json_string_value(json_object_get(json_object_get(req, "session"), "sessionId"));
        snprintf(s->session_id, sizeof(s->session_id), "%s", sid ? sid : "");
    }
    body = json_dumps(req, JSON_COMPACT);
    if (!body) {
        fprintf(cfg->err, "skillserver: out of memory\n");
        json_decref(req);
        return EXIT_FAILED;
    }
    if (cfg->show)
        show_json(s, "request:", req);
    struct dispatch_ctx ctx = {
        .pool = s->pool, .store = s->store, .dev = cfg->dev, .pretty = false};
    enum ss_err e = dispatch_run(&ctx, k->skill, body, strlen(body), proto_now_ms(), &res);
    if (res.status >= 400 || !res.body) {
        fprintf(cfg->err, "skillserver: %s could not take the request: %s\n", k->skill->name,
                res.body ? res.error.msg : "out of memory");
        rc = EXIT_FAILED;
        session_close(s);
        goto out;
    }
    if (e != SS_ERR_OK)
        rc = EXIT_FAILED; /* the apology is still what Alexa would say */
    resp = json_loadb(res.body, res.len, 0, NULL);
    if (!resp) {
        fprintf(cfg->err, "skillserver: the response is not JSON\n");
        rc = EXIT_FAILED;
        goto out;
    }
    if (cfg->show)
        show_json(s, "response:", resp);
    if (s->turn)
        keep_turn(s, k, req, resp, e, &res.error);

    json_t *r = json_object_get(resp, "response");
    json_t *speech = json_object_get(r, "outputSpeech");
    json_t *reprompt = json_object_get(json_object_get(r, "reprompt"), "outputSpeech");
    json_t *card = json_object_get(r, "card");
    json_t *end = json_object_get(r, "shouldEndSession");
    json_t *directives = json_object_get(r, "directives");
    print_words(s, "", speech);
    print_words(s, "[reprompt] ", reprompt);
    if (card) {
        const char *title = json_string_value(json_object_get(card, "title"));
        const char *content = json_string_value(json_object_get(card, "content"));
        if (!content)
            content = json_string_value(json_object_get(card, "text"));
        fprintf(cfg->out, "[card] %s%s", title ? title : "", title && content ? ": " : "");
        for (const char *c = content; c && *c; c++)
            fputs(*c == '\n' ? " / " : (char[]){*c, '\0'}, cfg->out);
        fputc('\n', cfg->out);
    }
    size_t i;
    json_t *d, *dialog = NULL;
    json_array_foreach(directives, i, d)
    {
        const char *type = json_string_value(json_object_get(d, "type"));
        if (!type)
            continue;
        if (strncmp(type, "Dialog.", 7) == 0 && strcmp(type, "Dialog.UpdateDynamicEntities"))
            dialog = d;
        else if (strcmp(type, "AudioPlayer.Play") == 0) {
            const char *url = json_string_value(
                json_object_get(json_object_get(json_object_get(d, "audioItem"), "stream"), "url"));
            fprintf(cfg->out, "[audio] plays %s\n", url ? url : "a stream");
        } else
            fprintf(cfg->out, "[directive] %s\n", type);
    }
    render(s, k, speech);

    if (plan->type == REQ_SESSION_ENDED || json_is_true(end) || !end) {
        /* The session is over: after a SessionEndedRequest, when the skill
         * says so, and when it leaves shouldEndSession out (a voice-only
         * device closes the session then). */
        bool was_open = s->current != NULL || plan->type != REQ_SESSION_ENDED;
        session_close(s);
        if (!cfg->utterance && was_open)
            fprintf(cfg->out, "[session ended]\n");
        goto out;
    }
    /* The session stays open (shouldEndSession false or null). */
    json_t *attrs = json_object_get(resp, "sessionAttributes");
    if (s->current != k)
        pending_clear(&s->pending);
    s->current = k;
    json_decref(s->attributes);
    s->attributes = json_is_object(attrs) ? json_incref(attrs) : json_object();
    free(s->reprompt);
    bool ssml;
    const char *rt = speech_of(reprompt, &ssml);
    s->reprompt = rt ? speech_plain_text(rt, ssml) : NULL;
    s->silent_turns = 0;
    if (dialog) {
        out_flush(s);
        int d_rc = follow_dialog(s, k, dialog, req, steps);
        if (d_rc > rc)
            rc = d_rc;
    } else {
        pending_clear(&s->pending);
    }
out:
    out_flush(s);
    json_decref(resp);
    json_decref(req);
    free(body);
    dispatch_result_cleanup(&res);
    return rc;
}

/* End the open session as Alexa does when the user leaves it. */
static int
end_session(struct say *s, const char *reason)
{
    struct request_plan plan = {.type = REQ_SESSION_ENDED, .end_reason = reason};
    if (!s->current)
        return 0;
    return run_plan(s, s->current, &plan, NULL, 0);
}

/* ---- One thing the user says ---- */

static int
turn(struct say *s, const char *line)
{
    const struct say_config *cfg = s->cfg;
    time_t now = cfg->now ? cfg->now : time(NULL);
    struct matcher_invocation *inv = malloc(sizeof(*inv));
    struct request_plan *plan = calloc(1, sizeof(*plan));
    struct say_skill *k = NULL, *named = NULL;
    const char *words;
    int rc = 0;

    if (!inv || !plan) {
        fprintf(cfg->err, "skillserver: out of memory\n");
        rc = EXIT_FAILED;
        goto out;
    }
    matcher_invocation(line, s->names, s->count, inv);
    words = inv->rest;
    if (inv->form == MATCHER_OPEN || inv->form == MATCHER_ASK)
        named = &s->skills[inv->skill];
    if (cfg->skill && named && strcmp(named->skill->name, cfg->skill) != 0) {
        fprintf(cfg->err,
                "skillserver: \"%s\" is the invocation name of %s, but --skill is "
                "%s: the words go to %s\n",
                s->names[inv->skill], named->skill->name, cfg->skill, cfg->skill);
        /* Read again without skill names: the plain words (and "exit"). */
        named = NULL;
        matcher_invocation(line, NULL, 0, inv);
        words = inv->rest;
    }

    /* Which skill. Opening another skill ends the open session first. */
    if (named && s->current && named != s->current) {
        int r = end_session(s, "USER_INITIATED");
        if (r > rc)
            rc = r;
    }
    if (named)
        k = named;
    else if (s->current)
        k = s->current;
    else if (cfg->skill)
        k = find_skill(s, cfg->skill);
    else
        k = choose_skill(s, words, now);
    report_skill(s, k);

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
        if (!s->current && !cfg->utterance) {
            fprintf(cfg->out, "[no session is open]\n");
            goto out;
        }
        break;
    case MATCHER_OPEN:
        plan->type = REQ_LAUNCH;
        break;
    case MATCHER_ASK:
    case MATCHER_PLAIN:
        if (!words[0]) {
            fprintf(cfg->err, "skillserver: say something: an utterance is words, such as "
                              "\"thank you\"\n");
            rc = EXIT_USAGE;
            goto out;
        }
        plan_intent(s, k, words, now, plan);
        if (plan->match.fallback && inv->near >= 0 && s->names[inv->near])
            fprintf(cfg->err,
                    "skillserver: did you mean \"open %s\"? (%s's invocation "
                    "name)\n",
                    s->names[inv->near], s->skills[inv->near].skill->name);
        break;
    }
    int r = run_plan(s, k, plan,
                     inv->form == MATCHER_PLAIN || inv->form == MATCHER_ASK ? words : NULL, 0);
    if (r > rc)
        rc = r;
out:
    free(inv);
    free(plan);
    return rc;
}

/* An empty line: Alexa says the reprompt once; the second time, the session
 * ends with EXCEEDED_MAX_REPROMPTS. */
static int
silence(struct say *s)
{
    if (!s->current)
        return 0;
    if (++s->silent_turns == 1 && s->reprompt) {
        fprintf(s->cfg->out, "%s\n", s->reprompt);
        out_flush(s);
        return 0;
    }
    return end_session(s, "EXCEEDED_MAX_REPROMPTS");
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

static int
interactive(struct say *s)
{
    const struct say_config *cfg = s->cfg;
    bool tty = isatty(fileno(cfg->in));
    char *line = malloc(LIMIT_SAY_LINE_BYTES);

    if (!line) {
        fprintf(cfg->err, "skillserver: out of memory\n");
        return EXIT_FAILED;
    }
    if (tty)
        fprintf(cfg->err,
                "Talk to the skills in %s: say \"open <invocation name>\", or just "
                "talk. \"exit\" ends a session; Ctrl-D stops.\n",
                s->set->root);
    for (;;) {
        if (tty) {
            fputs(s->current ? "you (session open)> " : "you> ", cfg->err);
            fflush(cfg->err);
        }
        if (!fgets(line, LIMIT_SAY_LINE_BYTES, cfg->in))
            break;
        if (!strchr(line, '\n') && !feof(cfg->in)) {
            fprintf(cfg->err, "skillserver: that line is longer than %d bytes; say less\n",
                    LIMIT_SAY_LINE_BYTES - 1);
            int c;
            while ((c = fgetc(cfg->in)) != EOF && c != '\n')
                ;
            continue;
        }
        trim(line);
        int r = line[0] ? turn(s, line) : silence(s);
        if (r == EXIT_FAILED)
            fail(s, r);
    }
    if (tty)
        fputc('\n', cfg->err);
    /* The input ended with a session open: the user walked away. */
    if (s->current)
        fail(s, end_session(s, "USER_INITIATED"));
    free(line);
    return 0;
}

static void
say_cleanup(struct say *s)
{
    session_close(s);
    if (!s->borrowed) {
        pool_destroy(s->pool);
        store_destroy(s->store);
        skill_set_destroy(s->set);
    }
    for (size_t i = 0; s->skills && i < s->count; i++)
        model_destroy(s->skills[i].model);
    free(s->skills);
    free(s->names);
}

int
say_run(const struct say_config *cfg)
{
    struct say s = {.cfg = cfg};
    int rc = load_skills(&s);

    if (rc != 0)
        goto out;
    int hard = cfg->handler_timeout_ms ? cfg->handler_timeout_ms : LIMIT_HANDLER_TIMEOUT_MS_DEFAULT;
    struct pool_config pc = {
        .exe = cfg->exe,
        .skillkit_dir = cfg->skillkit_dir,
        .dev = cfg->dev,
        .workers = 1,
        .handler_timeout_ms = hard,
        .soft_timeout_ms = hard / 2,
    };
    char why[200];
    if (cfg->speak && !speech_sound_device(why, sizeof(why)))
        fprintf(cfg->err, "skillserver: --speak: %s; the answers are only printed\n", why);
    s.pool = pool_create(&pc);
    s.store = store_create(cfg->data_dir);
    if (!s.pool || !s.store) {
        fprintf(cfg->err, "skillserver: out of memory\n");
        rc = EXIT_FAILED;
        goto out;
    }
    if (cfg->utterance) {
        char line[LIMIT_SAY_LINE_BYTES];
        if (snprintf(line, sizeof(line), "%s", cfg->utterance) >= (int)sizeof(line)) {
            fprintf(cfg->err, "skillserver: the utterance is longer than %zu bytes\n",
                    sizeof(line) - 1);
            rc = EXIT_USAGE;
            goto out;
        }
        trim(line);
        fail(&s, turn(&s, line));
    } else {
        fail(&s, interactive(&s));
    }
    rc = s.status;
out:
    out_flush(&s);
    say_cleanup(&s);
    return rc;
}

/* A memstream's text once closed, or NULL (the stream is gone either way).
 * fclose() writes the final buffer's address to *text, so read it after. */
static char *
stream_text(FILE *f, char **text)
{
    if (!f)
        return NULL;
    if (fclose(f) != 0) {
        free(*text);
        return NULL;
    }
    return *text;
}

/* The last line of text that is not empty, without its "skillserver: ". */
static void
last_line(const char *text, struct ss_error *err)
{
    const char *end = text ? text + strlen(text) : NULL;
    while (end && end > text && end[-1] == '\n')
        end--;
    if (!end || end == text) {
        ss_fail(err, SS_ERR_USAGE, "nothing could be said to the skills");
        return;
    }
    const char *start = end;
    while (start > text && start[-1] != '\n')
        start--;
    if (strncmp(start, "skillserver: ", 13) == 0 && end - start > 13)
        start += 13;
    ss_fail(err, SS_ERR_USAGE, "%.*s", (int)(end - start), start);
}

int
say_turn_run(const struct say_config *cfg, struct skill_set *set, struct pool *pool,
             struct store *store, const char *utterance, struct say_session *session,
             struct say_turn *out)
{
    struct say_config c = *cfg;
    char *said = NULL, *notes = NULL;
    size_t said_len = 0, notes_len = 0;
    char line[LIMIT_SAY_LINE_BYTES];
    struct say s = {
        .cfg = &c, .set = set, .pool = pool, .store = store, .borrowed = true, .turn = out};
    int rc;

    memset(out, 0, sizeof(*out));
    ss_error_clear(&out->error);
    c.in = NULL;
    c.wav = NULL;
    c.speak = false;
    c.show = false;
    c.utterance = utterance;
    c.out = open_memstream(&said, &said_len);
    c.err = open_memstream(&notes, &notes_len);
    if (!c.out || !c.err) {
        ss_fail(&out->error, SS_ERR_NOMEM, "out of memory");
        rc = EXIT_FAILED;
        goto out;
    }
    rc = prepare_skills(&s);
    if (rc != 0)
        goto out;
    if (snprintf(line, sizeof(line), "%s", utterance) >= (int)sizeof(line)) {
        fprintf(c.err, "skillserver: the utterance is longer than %zu bytes\n", sizeof(line) - 1);
        rc = EXIT_USAGE;
        goto out;
    }
    trim(line);
    /* Pick up the session where the caller left it. */
    struct say_skill *open = session->skill[0] ? find_skill(&s, session->skill) : NULL;
    if (open) {
        s.current = open;
        snprintf(s.session_id, sizeof(s.session_id), "%s", session->id);
        s.attributes = session->attributes ? json_incref(session->attributes) : json_object();
        if (!s.attributes) {
            ss_fail(&out->error, SS_ERR_NOMEM, "out of memory");
            rc = EXIT_FAILED;
            goto out;
        }
    } else if (session->skill[0]) {
        fprintf(c.err,
                "skillserver: the session was with %s, which is not here any more; "
                "starting afresh\n",
                session->skill);
    }
    fail(&s, turn(&s, line));
    rc = s.status;
    /* Hand the session back. */
    say_session_cleanup(session);
    if (s.current) {
        snprintf(session->skill, sizeof(session->skill), "%s", s.current->skill->name);
        snprintf(session->id, sizeof(session->id), "%s", s.session_id);
        session->attributes = json_incref(s.attributes);
    }
out:
    said = stream_text(c.out, &said);
    notes = stream_text(c.err, &notes);
    c.out = c.err = NULL;
    say_cleanup(&s);
    out->said = said;
    out->notes = notes;
    out->status = rc;
    if (rc == EXIT_USAGE && !out->error.msg[0])
        last_line(notes, &out->error);
    return rc;
}

void
say_turn_cleanup(struct say_turn *t)
{
    json_decref(t->request);
    json_decref(t->response);
    free(t->speech);
    free(t->reprompt);
    free(t->heard);
    free(t->said);
    free(t->notes);
    memset(t, 0, sizeof(*t));
}

void
say_session_cleanup(struct say_session *session)
{
    json_decref(session->attributes);
    memset(session, 0, sizeof(*session));
}
