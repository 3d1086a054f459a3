/*
 * simulator.c - the web simulator's files and JSON API (see simulator.h).
 *
 * Owns only the translation between the page's JSON and a conversation
 * (conversation.h): every decision about words, skills, sessions and
 * dialogs is the conversation's.
 */
#include "simulator.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "model.h"
#include "pool.h"
#include "skill.h"

static const struct {
    const char *suffix;
    const char *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
};

const struct simulator_files_entry *
simulator_file(const char *name, const char **type)
{
    for (size_t i = 0; i < simulator_files_count; i++) {
        if (strcmp(simulator_files[i].name, name) != 0)
            continue;
        size_t n = strlen(name);
        *type = "application/octet-stream";
        for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
            size_t s = strlen(types[t].suffix);
            if (n > s && strcmp(name + n - s, types[t].suffix) == 0)
                *type = types[t].type;
        }
        return &simulator_files[i];
    }
    return NULL;
}

/* json_dumps with its length; takes doc. */
static char *
dump(json_t *doc, size_t *len)
{
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (text && len)
        *len = strlen(text);
    return text;
}

char *
simulator_skills_json(const struct skill_set *set, struct pool *pool, size_t *len)
{
    json_t *list = json_array();
    json_t *doc = json_pack("{s:o, s:s}", "skills", list, "default", CONVERSATION_DEFAULT_SKILL);

    if (!doc)
        return NULL;
    for (size_t i = 0; i < set->count; i++) {
        const struct skill *k = &set->items[i];
        /* The page shows the name to say; a model that does not load has none. */
        const struct model *m = skill_model(k, NULL);
        json_t *invocation = m ? json_string(m->invocation_name) : json_null();
        /* A save that broke the skill: the page shows why, while the last
         * good version goes on answering. */
        char problem[512];
        json_t *why = pool && pool_problem(pool, k->name, problem, sizeof(problem))
                          ? json_string(problem)
                          : json_null();
        if (json_array_append_new(list, json_pack("{s:s, s:o*, s:o*}", "name", k->name,
                                                  "invocation", invocation, "problem", why)) != 0) {
            json_decref(doc);
            return NULL;
        }
    }
    return dump(doc, len);
}

static char *
api_error(int code, int *status, const char *message)
{
    *status = code;
    return dump(json_pack("{s:s}", "error", message), NULL);
}

/* A string or JSON null for an optional text. */
static json_t *
text_or_null(const char *text)
{
    return text ? json_string(text) : json_null();
}

/* Read the page's "session" into session; false when it is not one. */
static bool
read_session(json_t *from, struct conversation_session *session)
{
    if (!from || json_is_null(from))
        return true;
    const char *sk = json_string_value(json_object_get(from, "skill"));
    const char *id = json_string_value(json_object_get(from, "id"));
    json_t *attrs = json_object_get(from, "attributes");
    json_t *dialog = json_object_get(from, "dialog");
    if (!json_is_object(from) || !sk || !id || strlen(sk) >= sizeof(session->skill) ||
        strlen(id) >= sizeof(session->id) || (attrs && !json_is_object(attrs)))
        return false;
    snprintf(session->skill, sizeof(session->skill), "%s", sk);
    snprintf(session->id, sizeof(session->id), "%s", id);
    session->attributes = json_incref(attrs);
    session->dialog = json_incref(dialog);
    return true;
}

/* The answer to a turn that sent nothing, or whose request the pipeline
 * refused: why, as the API's error. */
static char *
no_answer(const struct conversation_turn *turn, const struct conversation_step *last, int *status)
{
    const char *why = "nothing was sent";
    enum ss_err code = SS_ERR_USAGE;

    if (turn->error.code != SS_ERR_OK) {
        why = turn->error.msg;
        code = turn->error.code;
    } else if (last && last->error.code != SS_ERR_OK) {
        why = last->error.msg;
        code = last->error.code;
    } else {
        for (size_t i = 0; i < turn->step_count; i++)
            if (turn->steps[i].error.code != SS_ERR_OK) {
                why = turn->steps[i].error.msg;
                code = turn->steps[i].error.code;
            }
        if (code == SS_ERR_USAGE && turn->note_count)
            why = turn->notes[turn->note_count - 1].text;
    }
    return api_error(code == SS_ERR_NOMEM ? 500 : 400, status, why);
}

char *
simulator_turn_json(const struct say_config *cfg, struct skill_set *set, struct pool *pool,
                    struct store *store, const char *body, size_t len, int *status)
{
    struct conversation_session session;
    struct conversation_turn turn;
    struct conversation *conv = NULL;
    struct buf said = BUF_INIT(LIMIT_SAY_TEXT_BYTES), notes = BUF_INIT(LIMIT_SAY_TEXT_BYTES);
    struct ss_error err;
    json_error_t jerr;
    json_t *in = json_loadb(body, len, 0, &jerr);
    json_t *doc = NULL, *sess = json_null();
    char *answer = NULL;
    char msg[300];

    memset(&session, 0, sizeof(session));
    memset(&turn, 0, sizeof(turn));
    if (!json_is_object(in)) {
        snprintf(msg, sizeof(msg),
                 "the body must be a JSON object {\"utterance\": \"...\", "
                 "\"skill\": NAME or null, \"locale\": LOCALE or null, \"session\": {...} or "
                 "null}%s%s",
                 in ? "" : ": ", in ? "" : jerr.text);
        answer = api_error(400, status, msg);
        goto out;
    }
    json_t *utterance = json_object_get(in, "utterance");
    json_t *skill = json_object_get(in, "skill");
    json_t *locale = json_object_get(in, "locale");
    if (!json_is_string(utterance) || !json_string_value(utterance)[0]) {
        answer = api_error(400, status,
                           "say something: \"utterance\" must be words, such as "
                           "\"thank you\"");
        goto out;
    }
    if (skill && !json_is_null(skill) && !json_is_string(skill)) {
        answer = api_error(400, status, "\"skill\" must be a skill's name or null");
        goto out;
    }
    if (locale && !json_is_null(locale) && !json_is_string(locale)) {
        answer = api_error(400, status, "\"locale\" must be a locale such as \"de-DE\", or null");
        goto out;
    }
    const char *skill_name = json_string_value(skill);
    if (skill_name && !skill_set_find(set, skill_name)) {
        snprintf(msg, sizeof(msg), "there is no skill called %.100s here", skill_name);
        answer = api_error(404, status, msg);
        goto out;
    }
    if (!read_session(json_object_get(in, "session"), &session)) {
        answer = api_error(400, status,
                           "\"session\" must be null or what the last turn "
                           "returned: {\"skill\", \"id\", \"attributes\", \"dialog\"}");
        goto out;
    }

    struct conversation_config conv_cfg = {
        .set = set,
        .skills_dir = cfg->skills_dir,
        .skill = skill_name,
        .locale = json_string_value(locale),
        .dev = cfg->dev,
        .one_shot = true,
        .now = cfg->now,
    };
    ss_error_clear(&err);
    if (conversation_create(&conv_cfg, &conv, &err) != SS_ERR_OK ||
        conversation_session_set(conv, &session, &err) != SS_ERR_OK) {
        answer = api_error(err.code == SS_ERR_NOMEM ? 500 : 400, status, err.msg);
        goto out;
    }
    conversation_use(conv, pool, store);
    conversation_say(conv, json_string_value(utterance), &turn);
    const struct conversation_step *last = conversation_last_request(&turn);
    if (!last || !last->response) {
        answer = no_answer(&turn, last, status);
        goto out;
    }
    /* The words as `say` prints them, for answers that are only prompts. */
    say_format(&turn, false, false, &said, &notes);
    conversation_session_cleanup(&session);
    if (conversation_session_get(conv, &session) != SS_ERR_OK) {
        answer = api_error(500, status, "out of memory");
        goto out;
    }
    if (session.skill[0])
        sess = json_pack("{s:s, s:s, s:o, s:O*}", "skill", session.skill, "id", session.id,
                         "attributes",
                         session.attributes ? json_incref(session.attributes) : json_object(),
                         "dialog", session.dialog);
    /* The skill failed in some request of the turn: the last such failure. */
    const char *failed = NULL;
    const char *heard = NULL, *matched = NULL, *how = NULL;
    for (size_t i = 0; i < turn.step_count; i++) {
        const struct conversation_step *s = &turn.steps[i];
        if (s->response && s->error.code != SS_ERR_OK)
            failed = s->error.msg;
        if (s->kind == CONVERSATION_REQUEST) {
            heard = s->heard.text;
            matched = s->heard.fallback ? NULL : s->heard.sample;
            how = s->heard.how;
        }
    }
    char problem[512];
    bool broken = pool_problem(pool, last->skill, problem, sizeof(problem));
    doc = json_pack("{s:s, s:s, s:s, s:O, s:O, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:o, "
                    "s:o}",
                    "skill", last->skill, "utterance", json_string_value(utterance), "locale",
                    last->locale, "request", last->request, "response", last->response, "speech",
                    text_or_null(last->speech), "reprompt", text_or_null(last->reprompt), "heard",
                    text_or_null(heard), "matched", text_or_null(matched), "how", text_or_null(how),
                    "said", text_or_null(said.err == SS_ERR_OK ? buf_str(&said) : NULL), "notes",
                    text_or_null(notes.err == SS_ERR_OK ? buf_str(&notes) : NULL), "session", sess,
                    "ended", !session.skill[0], "error", text_or_null(failed), "problem",
                    text_or_null(broken ? problem : NULL));
    sess = NULL; /* taken by json_pack, even when it failed */
    *status = 200;
    answer = dump(doc, NULL);
out:
    json_decref(sess);
    json_decref(in);
    buf_reset(&said);
    buf_reset(&notes);
    conversation_turn_cleanup(&turn);
    conversation_session_cleanup(&session);
    conversation_destroy(conv);
    return answer;
}
