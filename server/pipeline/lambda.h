/*
 * lambda.h - `skillserver lambda`: one skill as an AWS Lambda custom
 * runtime.
 *
 * Started by Lambda (a container image's entry point, or a `bootstrap`),
 * it loads one skill, starts its sandboxed worker, and then loops on the
 * Runtime API (lambda_api.h): take the next event, run it through the same
 * pipeline as serve (dispatch.h) with VERIFY_POLICY_LAMBDA (no signature:
 * Lambda invocations are authorised by AWS; the applicationId is checked)
 * and the invocation's own deadline (Lambda-Runtime-Deadline-Ms, less
 * LIMIT_LAMBDA_RESERVE_MS, with the soft deadline half-way), and post the
 * Alexa response, or an invocation error for an event that is not a
 * request the skill can answer. A skill that raises, times out or answers
 * badly still gets its spoken apology as a normal response, as in serve.
 * A skill that does not load is an init error naming file:line, and the
 * runtime exits, as the API asks.
 *
 * Which skill: the SKILL argument, a folder under the skills folder; else
 * _HANDLER, either a skill folder's name, or Lambda's "module.function",
 * whose module is in LAMBDA_TASK_ROOT (the function's code, which is then
 * the skill's folder; its settings there, skill.json or skillserver.json,
 * still give the applicationId).
 *
 * Persistent attributes: the store named by the store setting (--store, else
 * SKILLSERVER_STORE): a folder for SQLite, or a postgresql:// URL (store.h;
 * a database that is down gives apologies, not an init error); otherwise
 * none, said once at the start, and a skill's changed attributes are
 * dropped with a log line.
 *
 * The skill's worker has no network of its own (a network namespace with
 * nothing in it): the Runtime API listens on the machine's loopback, and a
 * skill that could reach it could take other invocations or answer for
 * them. --share-network lifts that for skills that call web services, and
 * then the Runtime API is within their reach. Either way the worker's
 * environment is built from scratch (launcher.h), so the function's AWS
 * credentials and AWS_LAMBDA_RUNTIME_API never reach the skill.
 *
 * Everything is logged to stderr, which Lambda sends to CloudWatch.
 */
#ifndef SKILLSERVER_LAMBDA_H
#define SKILLSERVER_LAMBDA_H

#include "error.h"
#include "runtime.h"

struct lambda_config {
    const char *skills_dir;
    const char *skill;             /* the SKILL argument, or NULL: _HANDLER says */
    const char *store;             /* --store, or NULL: SKILLSERVER_STORE, else none */
    bool share_network;            /* --share-network: skills share the runtime's network */
    struct runtime_config runtime; /* exe, skillkit_dir, dev, timeout (events without a
                                      deadline), user; data_dir is ignored */
};

/* The store setting, where (--store, or SKILLSERVER_STORE when NULL): *dir
 * is the folder (runtime_config.data_dir) or the postgresql:// URL
 * (runtime_config.store), or NULL when no store is named. Errors:
 * SS_ERR_USAGE for another kind of URL (the message does not repeat it), or
 * an empty setting. */
enum ss_err lambda_store_choice(const char *where, const char **dir, struct ss_error *err);

/* Run until SIGTERM or SIGINT (exit status 0), or until the Runtime API
 * fails LIMIT_LAMBDA_TRIES times in a row or answers 500, or the skill
 * cannot start (1; an init error was posted when the API could be reached:
 * no skill named, not found, not loading, no store), or
 * AWS_LAMBDA_RUNTIME_API is missing or not an address (2). */
int lambda_run(const struct lambda_config *cfg);

#endif
