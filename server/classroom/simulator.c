/*
 * simulator.c - the web simulator's files and JSON API (see simulator.h).
 *
 * Owns only the translation between the page's JSON and say_turn_run():
 * every decision about words, skills and sessions is say.c's.
 */
#include "simulator.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

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
    json_t *doc = json_pack("{s:o, s:s}", "skills", list, "default", SAY_DEFAULT_SKILL);

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

char *
simulator_turn_json(const struct say_config *cfg, struct skill_set *set, struct pool *pool,
                    struct store *store, const char *body, size_t len, int *status)
{
    struct say_config c = *cfg;
    struct say_session session;
    struct say_turn turn;
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
                 "\"skill\": NAME or null, \"session\": {...} or null}%s%s",
                 in ? "" : ": ", in ? "" : jerr.text);
        answer = api_error(400, status, msg);
        goto out;
    }
    json_t *utterance = json_object_get(in, "utterance");
    json_t *skill = json_object_get(in, "skill");
    json_t *from = json_object_get(in, "session");
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
    c.skill = json_string_value(skill);
    if (c.skill && !skill_set_find(set, c.skill)) {
        snprintf(msg, sizeof(msg), "there is no skill called %.100s here", c.skill);
        answer = api_error(404, status, msg);
        goto out;
    }
    if (from && !json_is_null(from)) {
        const char *sk = json_string_value(json_object_get(from, "skill"));
        const char *id = json_string_value(json_object_get(from, "id"));
        json_t *attrs = json_object_get(from, "attributes");
        if (!json_is_object(from) || !sk || !id || strlen(sk) >= sizeof(session.skill) ||
            strlen(id) >= sizeof(session.id) || (attrs && !json_is_object(attrs))) {
            answer = api_error(400, status,
                               "\"session\" must be null or what the last turn "
                               "returned: {\"skill\", \"id\", \"attributes\"}");
            goto out;
        }
        snprintf(session.skill, sizeof(session.skill), "%s", sk);
        snprintf(session.id, sizeof(session.id), "%s", id);
        session.attributes = json_incref(attrs);
    }

    say_turn_run(&c, set, pool, store, json_string_value(utterance), &session, &turn);
    if (!turn.request) {
        /* Nothing was sent: the words could not be used. */
        answer = api_error(turn.error.code == SS_ERR_NOMEM ? 500 : 400, status,
                           turn.error.msg[0] ? turn.error.msg : "nothing was sent");
        goto out;
    }
    if (session.skill[0])
        sess = json_pack("{s:s, s:s, s:o}", "skill", session.skill, "id", session.id, "attributes",
                         session.attributes ? json_incref(session.attributes) : json_object());
    char problem[512];
    bool broken = pool_problem(pool, turn.skill, problem, sizeof(problem));
    doc = json_pack("{s:s, s:s, s:O, s:O*, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:o, s:o}", "skill",
                    turn.skill, "utterance", json_string_value(utterance), "request", turn.request,
                    "response", turn.response, "speech", text_or_null(turn.speech), "reprompt",
                    text_or_null(turn.reprompt), "heard", text_or_null(turn.heard), "said",
                    text_or_null(turn.said), "notes", text_or_null(turn.notes), "session", sess,
                    "ended", !session.skill[0], "error",
                    text_or_null(turn.skill_failed ? turn.error.msg : NULL), "problem",
                    text_or_null(broken ? problem : NULL));
    sess = NULL; /* taken by json_pack, even when it failed */
    *status = 200;
    answer = dump(doc, NULL);
out:
    json_decref(sess);
    json_decref(in);
    say_turn_cleanup(&turn);
    say_session_cleanup(&session);
    return answer;
}
