/* test_conversation.c - conversations with real worker processes of the
 * bundled and test skills: what was understood, the request, the answer,
 * sessions across turns, silence, leaving, dialogs carried across
 * conversations, notes, failures, locales, and the progress callback (the
 * step as it stands before its request is sent). */
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conversation.h"
#include "launcher.h"
#include "runtime.h"
#include "skill.h"
#include "tap.h"

/* Thursday 26 November 2026, 12:00 UTC. */
#define NOW ((time_t)1795694400)

static struct runtime rt;

struct world {
    struct skill_set *set;
    struct conversation *c;
};

static struct world
open_world(const char *skills, const char *skill, const char *locale, bool one_shot)
{
    struct world w = {0};
    struct ss_error err;
    if (skill_set_load(skills, &w.set, NULL, NULL, &err) != SS_ERR_OK) {
        tap_fail("cannot load %s: %s", skills, err.msg);
        return w;
    }
    struct conversation_config cfg = {
        .set = w.set,
        .skills_dir = skills,
        .skill = skill,
        .locale = locale,
        .one_shot = one_shot,
        .now = NOW,
    };
    if (conversation_create(&cfg, &w.c, &err) != SS_ERR_OK)
        tap_fail("no conversation: %s", err.msg);
    else
        conversation_use(w.c, rt.pool, rt.store);
    return w;
}

static void
close_world(struct world *w)
{
    conversation_destroy(w->c);
    skill_set_destroy(w->set);
    memset(w, 0, sizeof(*w));
}

static const char *
str_at(const json_t *doc, const char *a, const char *b, const char *c)
{
    json_t *v = json_object_get(json_object_get(doc, a), b);
    return json_string_value(c ? json_object_get(v, c) : v);
}

static bool
has_note(const struct conversation_turn *t, const char *part)
{
    for (size_t i = 0; i < t->note_count; i++)
        if (strstr(t->notes[i].text, part))
            return true;
    return false;
}

static void
test_errors(void)
{
    struct skill_set *set = NULL;
    struct conversation *c = NULL;
    struct ss_error err;
    char empty[PATH_MAX];

    ok(skill_set_load(SOURCE_ROOT "/skills", &set, NULL, NULL, &err) == SS_ERR_OK, "skills");
    struct conversation_config cfg = {
        .set = set, .skills_dir = SOURCE_ROOT "/skills", .skill = "no_such_skill"};
    is_int(conversation_create(&cfg, &c, &err), SS_ERR_UNKNOWN_SKILL, "an unknown --skill");
    ok(strstr(err.msg, "thank_you") != NULL, "the message lists the skills: %s", err.msg);
    ok(c == NULL, "no conversation");
    cfg.skill = NULL;
    cfg.locale = "german";
    is_int(conversation_create(&cfg, &c, &err), SS_ERR_USAGE, "a locale that is not one");
    ok(strstr(err.msg, "de-DE") != NULL, "the message shows one: %s", err.msg);
    skill_set_destroy(set);

    if (tap_tempdir(empty, sizeof(empty), "ss-test-conv-empty") != 0)
        return;
    ok(skill_set_load(empty, &set, NULL, NULL, &err) == SS_ERR_OK, "an empty folder");
    cfg = (struct conversation_config){.set = set, .skills_dir = empty};
    is_int(conversation_create(&cfg, &c, &err), SS_ERR_USAGE, "no skills");
    ok(strstr(err.msg, "no skills") != NULL, "says so: %s", err.msg);
    skill_set_destroy(set);
    tap_remove_tree(empty);
}

/* The progress callback: what a caller sees while the turn is recorded. */
struct seen {
    int sending, done;
    bool request_before_response; /* at SENDING: a request and no response yet */
    char heard_at_sending[200];
};

static void
progress(void *ctx, const struct conversation_turn *t, size_t step, enum conversation_progress how)
{
    struct seen *s = ctx;
    const struct conversation_step *st = &t->steps[step];
    if (how == CONVERSATION_SENDING) {
        s->sending++;
        s->request_before_response = st->request && !st->response;
        snprintf(s->heard_at_sending, sizeof(s->heard_at_sending), "%s",
                 st->heard.text ? st->heard.text : "");
    } else {
        s->done++;
    }
}

static void
test_one_turn(void)
{
    struct conversation_turn t;
    struct world w = open_world(SOURCE_ROOT "/skills", NULL, NULL, true);
    if (!w.c)
        return;

    is_int(conversation_say(w.c, "  thank you Sam  ", &t), SS_ERR_OK, "a turn");
    is_int(t.step_count, 1, "one step");
    const struct conversation_step *s = t.step_count ? &t.steps[0] : NULL;
    if (s) {
        is_int(s->kind, CONVERSATION_REQUEST, "a request");
        is_str(s->skill, "thank_you", "to the skill that understands the words");
        is_int(s->heard.type, REQ_INTENT, "an intent");
        is_str(s->heard.intent, "ThankYouIntent", "ThankYouIntent");
        is_int(s->heard.slot_count, 1, "one slot");
        is_str(s->heard.slots[0].name, "name", "name");
        is_str(s->heard.slots[0].value, "Sam", "Sam");
        is_str(s->heard.text, "ThankYouIntent, name = \"Sam\"", "in a line");
        ok(!s->heard.fallback, "not a fallback");
        is_str(str_at(s->request, "request", "type", NULL), "IntentRequest", "the request");
        is_str(str_at(s->request, "request", "locale", NULL), "en-US", "the skill's locale");
        is_str(s->locale, "en-US", "the step's locale");
        is_str(s->speech, "You're welcome, Sam!", "what Alexa says");
        ok(s->response && json_object_get(s->response, "response"), "the response");
        ok(s->ended, "the skill ended the session");
        is_int(s->error.code, SS_ERR_OK, "no error");
    }
    ok(!conversation_session_open(w.c), "no session is open");
    ok(conversation_last_request(&t) == s, "the last request");
    conversation_turn_cleanup(&t);

    /* With no session open, words several skills know go to thank_you. */
    conversation_say(w.c, "help", &t);
    ok(has_note(&t, "both understand \"help\"; using thank_you"), "a tie is noted");
    is_str(t.step_count ? t.steps[0].skill : NULL, "thank_you", "and goes to thank_you");
    conversation_turn_cleanup(&t);

    conversation_say(w.c, "what is the weather like", &t);
    s = t.step_count ? &t.steps[0] : NULL;
    ok(s && s->heard.fallback, "nothing matched: a fallback");
    is_str(s ? s->heard.intent : NULL, "AMAZON.FallbackIntent", "AMAZON.FallbackIntent");
    is_str(s ? s->heard.words : NULL, "what is the weather like", "the words kept");
    conversation_turn_cleanup(&t);

    is_int(conversation_say(w.c, "   ", &t), SS_ERR_USAGE, "no words");
    ok(t.step_count == 0 && strstr(t.error.msg, "say something"), "nothing sent: %s", t.error.msg);
    conversation_turn_cleanup(&t);

    conversation_say(w.c, "open thank yu", &t);
    ok(has_note(&t, "did you mean \"open thank you\"?"), "a misspelt name is suggested");
    conversation_turn_cleanup(&t);

    close_world(&w);

    /* One utterance: "exit" still tells the skill. */
    w = open_world(SOURCE_ROOT "/skills", "counter", NULL, true);
    conversation_say(w.c, "exit", &t);
    ok(t.step_count == 1 && t.steps[0].heard.type == REQ_SESSION_ENDED, "exit in one utterance");
    is_str(t.step_count ? t.steps[0].heard.text : NULL, "SessionEndedRequest, USER_INITIATED",
           "USER_INITIATED");
    conversation_turn_cleanup(&t);
    conversation_say(w.c, "open thank you", &t);
    ok(has_note(&t, "is the invocation name of thank_you, but --skill is counter"),
       "the configured skill wins over a name");
    is_str(t.step_count ? t.steps[0].heard.intent : NULL, "AMAZON.FallbackIntent",
           "and gets the words");
    conversation_turn_cleanup(&t);
    close_world(&w);
}

static void
test_session(void)
{
    struct conversation_turn t;
    struct conversation_session kept;
    struct world w = open_world(SOURCE_ROOT "/skills", NULL, NULL, false);
    if (!w.c)
        return;

    conversation_say(w.c, "exit", &t);
    ok(t.no_session && t.step_count == 0, "exit with no session: nothing is sent");
    conversation_turn_cleanup(&t);

    conversation_say(w.c, "open counting game", &t);
    is_str(t.step_count ? t.steps[0].heard.text : NULL, "LaunchRequest", "a launch");
    ok(t.step_count && !t.steps[0].ended, "the session stays open");
    const char *first_id = NULL;
    char id[CONVERSATION_SESSION_ID_CAP] = "";
    if (t.step_count) {
        first_id = str_at(t.steps[0].request, "session", "sessionId", NULL);
        snprintf(id, sizeof(id), "%s", first_id ? first_id : "");
        is_str(t.steps[0].reprompt, "Say next to count.", "the reprompt");
    }
    conversation_turn_cleanup(&t);
    ok(conversation_session_open(w.c), "a session is open");

    conversation_say(w.c, "next", &t);
    if (t.step_count) {
        json_t *sess = json_object_get(t.steps[0].request, "session");
        ok(json_is_false(json_object_get(sess, "new")), "not new");
        is_str(json_string_value(json_object_get(sess, "sessionId")), id, "the same session");
        is_str(t.steps[0].speech, "One.", "counting");
    }
    conversation_turn_cleanup(&t);

    ok(conversation_session_get(w.c, &kept) == SS_ERR_OK, "the session, for keeping");
    is_str(kept.skill, "counter", "with counter");
    is_str(kept.id, id, "its id");
    is_int(json_integer_value(json_object_get(kept.attributes, "count")), 1, "its attributes");
    ok(kept.dialog == NULL, "no dialog");

    /* Silence: the reprompt once, then the session ends. */
    conversation_silence(w.c, &t);
    ok(t.step_count == 1 && t.steps[0].kind == CONVERSATION_REPROMPT, "the reprompt again");
    is_str(t.step_count ? t.steps[0].speech : NULL, "Say next to keep counting.", "its words");
    conversation_turn_cleanup(&t);
    conversation_silence(w.c, &t);
    is_str(t.step_count ? t.steps[0].heard.text : NULL,
           "SessionEndedRequest, EXCEEDED_MAX_REPROMPTS", "then the session ends");
    ok(t.step_count && t.steps[0].ended, "ended");
    conversation_turn_cleanup(&t);
    ok(!conversation_session_open(w.c), "no session");
    conversation_silence(w.c, &t);
    ok(t.step_count == 0, "silence without a session: nothing");
    conversation_turn_cleanup(&t);

    /* The kept session, picked up again: count goes on. */
    ok(conversation_session_set(w.c, &kept, NULL) == SS_ERR_OK, "picked up");
    conversation_say(w.c, "next", &t);
    is_str(t.step_count ? t.steps[0].speech : NULL, "Two.", "the count goes on");
    is_str(t.step_count ? str_at(t.steps[0].request, "session", "sessionId", NULL) : NULL, id,
           "in the kept session");
    conversation_turn_cleanup(&t);

    /* Opening another skill ends the open session first. */
    conversation_say(w.c, "open thank you", &t);
    is_int(t.step_count, 2, "two steps");
    if (t.step_count == 2) {
        is_str(t.steps[0].skill, "counter", "counter");
        is_str(t.steps[0].heard.text, "SessionEndedRequest, USER_INITIATED", "is left");
        is_str(t.steps[1].heard.text, "LaunchRequest", "thank_you is opened");
    }
    conversation_turn_cleanup(&t);
    conversation_leave(w.c, &t);
    is_str(t.step_count ? t.steps[0].heard.text : NULL, "SessionEndedRequest, USER_INITIATED",
           "leaving ends the session");
    conversation_turn_cleanup(&t);

    /* A session with a skill that is gone starts afresh, and says so. */
    snprintf(kept.skill, sizeof(kept.skill), "gone_skill");
    ok(conversation_session_set(w.c, &kept, NULL) == SS_ERR_OK, "a gone skill is no error");
    ok(!conversation_session_open(w.c), "no session");
    conversation_say(w.c, "thank you", &t);
    ok(t.note_count && t.notes[0].before == 0 &&
           strstr(t.notes[0].text, "gone_skill, which is not here any more"),
       "the next turn says so first");
    conversation_turn_cleanup(&t);
    conversation_session_cleanup(&kept);
    close_world(&w);
}

static void
test_dialog(void)
{
    struct conversation_turn t;
    struct conversation_session kept;
    struct seen seen = {0};
    struct world w = open_world(SOURCE_ROOT "/tests/data/skills", "coffee_order", NULL, true);
    if (!w.c)
        return;

    conversation_say(w.c, "open coffee corner", &t);
    conversation_turn_cleanup(&t);
    conversation_say(w.c, "i want a coffee", &t);
    is_int(t.step_count, 2, "the skill delegates, Alexa prompts");
    if (t.step_count == 2) {
        is_str(t.steps[0].heard.text, "OrderIntent [dialog STARTED]", "a dialog starts");
        is_str(t.steps[0].heard.dialog_state, "STARTED", "STARTED");
        ok(t.steps[0].directive_count == 1 && t.steps[0].directives[0].dialog,
           "a Dialog directive");
        is_int(t.steps[1].kind, CONVERSATION_PROMPT, "the model's prompt");
        is_str(t.steps[1].speech, "Which drink would you like?", "for the drink");
    }
    conversation_turn_cleanup(&t);
    ok(conversation_session_get(w.c, &kept) == SS_ERR_OK, "the session");
    is_str(json_string_value(json_object_get(kept.dialog, "waiting")), "slot", "waits for a slot");
    is_str(json_string_value(json_object_get(kept.dialog, "slot")), "drink", "the drink");
    close_world(&w);

    /* Another conversation takes the dialog up where it was. */
    w = open_world(SOURCE_ROOT "/tests/data/skills", "coffee_order", NULL, true);
    if (!w.c)
        return;
    ok(conversation_session_set(w.c, &kept, NULL) == SS_ERR_OK, "the dialog handed back");
    conversation_session_cleanup(&kept);
    conversation_say(w.c, "a flattie please", &t);
    if (t.step_count >= 1) {
        is_str(t.steps[0].heard.text,
               "OrderIntent [dialog IN_PROGRESS], drink = \"flattie\" -> flat white FLAT_WHITE",
               "the answer fills the slot");
        is_str(str_at(t.steps[0].request, "request", "dialogState", NULL), "IN_PROGRESS",
               "IN_PROGRESS");
    }
    is_str(t.step_count == 2 ? t.steps[1].speech : NULL, "What size of flattie?",
           "an SSML prompt with the slot's value");
    conversation_turn_cleanup(&t);

    /* A dialog that is not of the shape the conversation hands out. */
    struct ss_error err;
    struct conversation_session bad = {.skill = "coffee_order", .id = "s"};
    bad.dialog = json_pack("{s:s}", "waiting", "nothing");
    is_int(conversation_session_set(w.c, &bad, &err), SS_ERR_USAGE, "a bad dialog is refused");
    ok(strstr(err.msg, "dialog") != NULL, "says what: %s", err.msg);
    ok(!conversation_session_open(w.c), "and no session is open");
    conversation_session_cleanup(&bad);
    close_world(&w);

    /* The progress callback sees each step as it happens. */
    struct skill_set *set = NULL;
    ok(skill_set_load(SOURCE_ROOT "/skills", &set, NULL, NULL, &err) == SS_ERR_OK, "skills");
    struct conversation_config cfg = {.set = set,
                                      .skills_dir = SOURCE_ROOT "/skills",
                                      .now = NOW,
                                      .progress = progress,
                                      .progress_ctx = &seen};
    struct conversation *c = NULL;
    if (conversation_create(&cfg, &c, &err) == SS_ERR_OK) {
        conversation_use(c, rt.pool, rt.store);
        conversation_say(c, "thank you", &t);
        is_int(seen.sending, 1, "told before sending");
        is_int(seen.done, 1, "and when done");
        ok(seen.request_before_response, "with the request and no response yet");
        is_str(seen.heard_at_sending, "ThankYouIntent", "what was understood, before the skill");
        conversation_turn_cleanup(&t);
    }
    conversation_destroy(c);
    skill_set_destroy(set);
}

static void
test_failures_and_locale(void)
{
    struct conversation_turn t;
    struct world w = open_world(SOURCE_ROOT "/tests/data/skills", "name_error", NULL, true);
    if (!w.c)
        return;
    conversation_say(w.c, "thank you", &t);
    const struct conversation_step *s = conversation_last_request(&t);
    ok(s && s->response, "a skill that raises still answers");
    is_int(s ? s->error.code : SS_ERR_OK, SS_ERR_SKILL_RAISED, "the error's kind");
    ok(s && strstr(s->error.msg, "nmae"), "and its sentence: %s", s ? s->error.msg : "");
    ok(s && s->speech && s->speech[0], "the apology is what Alexa says");
    conversation_turn_cleanup(&t);
    close_world(&w);

    /* A model with errors Amazon would refuse. */
    w = open_world(SOURCE_ROOT "/tests/data/skills", "misspelled_intent", NULL, true);
    conversation_say(w.c, "thank you", &t);
    ok(has_note(&t, "no function in skill.py answers ThankYouIntent"), "the model's problems");
    conversation_turn_cleanup(&t);
    close_world(&w);

    /* Another locale: the request carries it. */
    w = open_world(SOURCE_ROOT "/skills", "thank_you", "en-GB", true);
    conversation_say(w.c, "thank you", &t);
    s = conversation_last_request(&t);
    is_str(s ? str_at(s->request, "request", "locale", NULL) : NULL, "en-GB", "en-GB requested");
    is_str(s ? s->locale : NULL, "en-GB", "and spoken");
    is_str(s ? s->speech : NULL, "You're welcome!", "a model.json serves every locale");
    conversation_turn_cleanup(&t);
    close_world(&w);
}

int
main(void)
{
    char data[PATH_MAX];
    struct ss_error err;

    setenv("TZ", "UTC", 1);
    signal(SIGPIPE, SIG_IGN);
    test_errors();
    if (tap_tempdir(data, sizeof(data), "ss-test-conversation") != 0) {
        printf("Bail out! no temporary folder\n");
        return 1;
    }
    struct runtime_config cfg = {
        .exe = SKILLSERVER_WORKER_BIN,
        .skillkit_dir = launcher_skillkit_dir(),
        .data_dir = data,
        .workers = 1,
        .launcher_fd = -1,
    };
    if (runtime_open(&rt, &cfg, &err) != SS_ERR_OK) {
        printf("Bail out! %s\n", err.msg);
        tap_remove_tree(data);
        return 1;
    }
    test_one_turn();
    test_session();
    test_dialog();
    test_failures_and_locale();
    runtime_close(&rt);
    tap_remove_tree(data);
    return tap_done();
}
