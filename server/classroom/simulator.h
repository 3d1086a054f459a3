/*
 * simulator.h - the web simulator of `serve --dev`: a page to talk to the
 * skills from a browser, and the small JSON API behind it.
 *
 * The page's files (server/classroom/web/) are compiled into the binary by
 * ssml/embed_schema.py, so serve needs no files at run time. A turn is a
 * turn of a conversation (conversation.h), the same words-to-request-to-
 * answer path as `skillserver say`, with the session (and a dialog under
 * way) kept by the page and sent back with every turn.
 *
 *   GET  /                  the page (index.html)
 *   GET  /simulator/FILE    its script and style sheet
 *   GET  /simulator/skills  {"skills": [{"name", "invocation"}], "default"}
 *   POST /simulator/turn    {"skill", "utterance", "locale", "session"} -> one turn:
 *                           {"skill", "utterance", "locale", "request", "response",
 *                            "speech", "reprompt", "heard", "said", "notes",
 *                            "session": {"skill", "id", "attributes", "dialog"} or null,
 *                            "ended", "error", "problem"}
 *
 * http.c routes here only in --dev; without it these paths are 404.
 */
#ifndef SKILLSERVER_SIMULATOR_H
#define SKILLSERVER_SIMULATOR_H

#include <stddef.h>

#include "say.h"

/* The table embed_schema.py writes (--table simulator_files). */
struct simulator_files_entry {
    const char *name; /* base name: "index.html" */
    const char *text; /* NUL-terminated */
    size_t len;       /* without the NUL */
};
extern const struct simulator_files_entry simulator_files[];
extern const size_t simulator_files_count;

/* The embedded file called name, or NULL; *type gets its Content-Type. */
const struct simulator_files_entry *simulator_file(const char *name, const char **type);

/* {"skills": [{"name": ..., "invocation": ... or null}], "default": ...}; caller
 * frees; NULL on OOM. */
char *simulator_skills_json(const struct skill_set *set, struct pool *pool, size_t *len);

/*
 * One turn from the page's JSON body[0..len) (see the top of this file),
 * through set's skills, pool and store (borrowed); of cfg, skills_dir, dev
 * and now are used. Returns the answer's JSON text (caller frees; NULL on
 * OOM) and its HTTP status in *status: 200 for a turn (a skill that failed
 * still answers, with "error" set), 400 for a body that is not the API's or
 * words that could not be used, 404 for an unknown skill.
 */
char *simulator_turn_json(const struct say_config *cfg, struct skill_set *set, struct pool *pool,
                          struct store *store, const char *body, size_t len, int *status);

#endif
