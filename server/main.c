/*
 * main.c - the commands: options.c reads the settings for one, and its
 * function here calls into the modules.
 *
 *   skillserver serve   [--listen ADDR:PORT] [--tls-cert PEM --tls-key PEM | --no-tls] ...
 *   skillserver invoke  SKILL [FILE|-]
 *   skillserver lambda  [SKILL] [--store DIR] [--share-network]
 *   skillserver request SKILL INTENT [slot=value ...] [--launch|--end] [--locale LL-CC]
 *   skillserver say     [--skill SKILL] ["utterance"] [--wav FILE] [--show] [--locale LL-CC]
 *   skillserver ssml    check [FILE|-]
 *   skillserver export  SKILL DIR
 *   skillserver model   SKILL [--locale LL-CC]
 *
 * Global options (--skills DIR, --data DIR, --dev, --config FILE) may stand
 * before or after the command (options.h). Exit codes: 0 success, 1 the
 * skill or SSML failed, 2 bad usage or input.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "canned.h"
#include "export.h"
#include "http.h"
#include "invoke.h"
#include "lambda.h"
#include "launcher.h"
#include "log.h"
#include "model.h"
#include "model_show.h"
#include "options.h"
#include "paths.h"
#include "privs.h"
#include "say.h"
#include "scaffold.h"
#include "sign.h"
#include "skill.h"
#include "ss_limits.h"
#include "ssml.h"
#include "store.h"
#include "usage.h"

#ifndef SKILLSERVER_VERSION
#define SKILLSERVER_VERSION "unknown"
#endif

#define EXIT_FAILED 1
#define EXIT_USAGE 2

__attribute__((format(printf, 2, 3))) static int
fail_usage(const char *usage, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "skillserver: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n\n%s", usage);
    return EXIT_USAGE;
}

/* Read all of path ("-" or NULL: stdin), at most limit bytes; NULL after
 * saying why. */
static char *
read_input(const char *path, size_t limit, size_t *len)
{
    struct buf b = BUF_INIT(limit);
    struct ss_error err;
    char *text = NULL;

    if (buf_read_path(&b, path, &err) != SS_ERR_OK)
        fprintf(stderr, "skillserver: %s\n", err.msg);
    else if (!(text = buf_take(&b, len)))
        fprintf(stderr, "skillserver: out of memory\n");
    return text;
}

/* The absolute path of the program skills run in (launcher.h), beside
 * this binary; -1 after saying why it cannot be found. */
static int
worker_path(char *buf, size_t cap)
{
    struct ss_error err;
    if (launcher_worker_path(buf, cap, &err) != SS_ERR_OK) {
        fprintf(stderr, "skillserver: %s\n", err.msg);
        return -1;
    }
    return 0;
}

/* What a command that runs skills on this machine gives the runtime
 * (runtime.h): the worker program, skillkit, and the options every such command
 * shares. exe must outlive the result. */
static struct runtime_config
runtime_of(const struct options *o, const char *exe)
{
    return (struct runtime_config){.exe = exe,
                                   .skillkit_dir = launcher_skillkit_dir(),
                                   .data_dir = o->data,
                                   .store = o->store,
                                   .dev = o->dev,
                                   .handler_timeout_ms = o->handler_timeout_ms,
                                   .user = o->user,
                                   .launcher_fd = -1};
}

/* --store (SKILLSERVER_STORE, store = in a file) names a PostgreSQL
 * database; the SQLite store is the --data folder. 0, or the usage exit
 * after saying so. */
static int
check_store(const struct options *o, const char *usage)
{
    if (!o->store || store_is_url(o->store))
        return 0;
    return fail_usage(usage, "%s",
                      "--store (or SKILLSERVER_STORE) takes a postgresql:// URL; the SQLite "
                      "store is a folder, given with --data DIR");
}

static int
cmd_invoke(struct options *o)
{
    char exe[PATH_MAX];

    if (check_store(o, usage_invoke) != 0)
        return EXIT_USAGE;
    if (o->nargs < 1 || o->nargs > 2)
        return fail_usage(usage_invoke, "%s",
                          o->nargs < 1 ? "which skill? Name one, such as thank_you"
                                       : "too many arguments");
    if (worker_path(exe, sizeof(exe)) != 0)
        return EXIT_FAILED;
    struct invoke_config cfg = {
        .skills_dir = o->skills,
        .skill = o->args[0],
        .input = o->nargs == 2 ? o->args[1] : NULL,
        .compact = o->compact,
        .runtime = runtime_of(o, exe),
        .out = stdout,
        .err = stderr,
    };
    int rc = invoke_run(&cfg);
    /* An answer with no SSML to check never needed libxml2, which loads on a
     * thread of its own while the skill starts; on a slow machine it may
     * still be loading now. The command ends without waiting for it: with
     * _exit, since exit's destructors must not run under that thread. */
    if (ssml_preload_busy()) {
        if (fflush(stdout) != 0 && rc == 0)
            rc = EXIT_FAILED;
        (void)fflush(stderr);
        _exit(rc);
    }
    ssml_preload_wait();
    return rc;
}

static int
cmd_lambda(struct options *o)
{
    char exe[PATH_MAX];

    if (o->nargs > 1)
        return fail_usage(usage_lambda, "name one skill only, not '%s' too", o->args[1]);
    if (worker_path(exe, sizeof(exe)) != 0)
        return EXIT_FAILED;
    struct lambda_config cfg = {
        .skills_dir = o->skills,
        .skill = o->nargs == 1 ? o->args[0] : NULL,
        .store = o->store,
        .share_network = o->share_network,
        .runtime = runtime_of(o, exe),
    };
    return lambda_run(&cfg);
}

static int
cmd_request(struct options *o)
{
    struct skill skill;
    struct ss_error err;
    const struct model *model = NULL;
    struct model *inferred = NULL;
    struct canned_slot slots[64];
    struct canned_options co = {0};
    json_t *attrs = NULL, *req = NULL;
    int rc = EXIT_USAGE;

    if (o->nargs < 1)
        return fail_usage(usage_request, "%s", "which skill? Name one, such as thank_you");
    if (o->launch && o->end)
        return fail_usage(usage_request, "%s", "--launch and --end do not go together");
    if ((o->launch || o->end) && o->nargs > 1)
        return fail_usage(usage_request, "--launch and --end take no intent or slots ('%s')",
                          o->args[1]);
    if (!o->launch && !o->end && o->nargs < 2)
        return fail_usage(usage_request, "%s",
                          "which intent? For example ThankYouIntent, or --launch");
    ss_error_clear(&err);
    if (skill_load(o->skills, o->args[0], &skill, &err) != SS_ERR_OK) {
        fprintf(stderr, "skillserver: %s\n", err.msg);
        return EXIT_USAGE;
    }
    co.type = o->launch ? REQ_LAUNCH : o->end ? REQ_SESSION_ENDED : REQ_INTENT;
    if (co.type == REQ_INTENT) {
        co.intent = o->args[1];
        for (int i = 2; i < o->nargs; i++) {
            const char *eq = strchr(o->args[i], '=');
            if (!eq || eq == o->args[i]) {
                fprintf(stderr,
                        "skillserver: slots are written name=value, such as name=Sam; "
                        "'%s' is not\n",
                        o->args[i]);
                goto out;
            }
            char *slot_name = strndup(o->args[i], (size_t)(eq - o->args[i]));
            if (!slot_name)
                goto out;
            slots[co.slot_count].name = slot_name;
            slots[co.slot_count].value = eq + 1;
            co.slot_count++;
        }
        co.slots = slots;
    }
    if (o->attributes) {
        json_error_t jerr;
        attrs = json_loads(o->attributes, 0, &jerr);
        if (!json_is_object(attrs)) {
            fprintf(stderr,
                    "skillserver: --attributes must be a JSON object such as "
                    "'{\"count\": 2}' (%s)\n",
                    attrs ? "not an object" : jerr.text);
            goto out;
        }
        co.session_attributes = attrs;
    }
    co.locale = o->locale;
    const struct skill_model *model_file = skill_model_file(&skill, o->locale);
    if (model_file && !(model = model_file->model)) {
        fprintf(stderr, "skillserver: %s\n", model_file->error.msg);
        goto out;
    }
    if (!model_file && !skill.model_count && co.type == REQ_INTENT) {
        /* A skill of plain functions: the model its worker reads from them
         * names its intents and slots. A skill that does not load still
         * gets its request (invoke then says what is wrong). */
        char exe[PATH_MAX];
        struct runtime_config rt = runtime_of(o, exe);
        struct ss_error ignored;
        if (worker_path(exe, sizeof(exe)) == 0 &&
            model_show_infer(&skill, &rt, &inferred, &ignored) == SS_ERR_OK)
            model = inferred;
    }
    if (canned_request(&skill, model, &co, &req, &err) != SS_ERR_OK) {
        fprintf(stderr, "skillserver: %s\n", err.msg);
        goto out;
    }
    if (json_dumpf(req, stdout, JSON_INDENT(2)) != 0 || fputc('\n', stdout) == EOF ||
        fflush(stdout) != 0) {
        fprintf(stderr, "skillserver: cannot write the request\n");
        rc = EXIT_FAILED;
        goto out;
    }
    rc = 0;
out:
    for (size_t i = 0; i < co.slot_count; i++)
        free((char *)slots[i].name);
    json_decref(req);
    json_decref(attrs);
    model_destroy(inferred);
    skill_cleanup(&skill);
    return rc;
}

static int
cmd_model(struct options *o)
{
    char exe[PATH_MAX];

    if (o->nargs != 1)
        return fail_usage(usage_model, "%s",
                          o->nargs < 1 ? "which skill? Name one, such as thank_you"
                                       : "name one skill only");
    if (worker_path(exe, sizeof(exe)) != 0)
        return EXIT_FAILED;
    struct model_show_config cfg = {
        .skills_dir = o->skills,
        .skill = o->args[0],
        .locale = o->locale,
        .runtime = runtime_of(o, exe),
        .out = stdout,
        .err = stderr,
    };
    return model_show_run(&cfg);
}

static int
cmd_ssml(struct options *o)
{

    size_t len = 0;
    struct ssml_report report;

    if (o->nargs < 1 || strcmp(o->args[0], "check") != 0)
        return fail_usage(usage_ssml, "%s", "the ssml command has one action: check");
    if (o->nargs > 2)
        return fail_usage(usage_ssml, "%s", "too many arguments");
    const char *path = o->nargs == 2 ? o->args[1] : "-";
    const char *shown = path;
    char *doc = read_input(path, 1024 * 1024, &len);
    if (!doc)
        return EXIT_USAGE;
    int r =
        ssml_check_locale(doc, len, o->reprompt ? SSML_REPROMPT : SSML_SPEECH, o->locale, &report);
    free(doc);
    if (r == 0)
        return 0;
    char text[SSML_MAX_ERRORS * 400];
    ssml_report_format(&report, shown, text, sizeof(text));
    fputs(text, stdout);
    return r < 0 ? EXIT_USAGE : EXIT_FAILED;
}

static int
cmd_serve(struct options *o)
{
    char exe[PATH_MAX];

    if (o->nargs > 0)
        return fail_usage(usage_serve, "serve takes no arguments, only options ('%s')", o->args[0]);
    if (check_store(o, usage_serve) != 0)
        return EXIT_USAGE;
    if (worker_path(exe, sizeof(exe)) != 0)
        return EXIT_FAILED;
    struct http_config cfg = {
        .listen = o->listen,
        .skills_dir = o->skills,
        .data_dir = o->data,
        .store = o->store,
        .tls_cert = o->tls_cert,
        .tls_key = o->tls_key,
        .no_tls = o->no_tls,
        .no_verify = o->no_verify,
        .allow_unverified_public = o->allow_unverified_public,
        .trust_ca = o->trust_ca,
        .cert_cache = o->cert_cache,
        .cert_connect_to = o->cert_connect_to,
        .workers = o->workers,
        .fresh_worker = o->fresh_worker,
        .handler_timeout_ms = o->handler_timeout_ms,
        .dev = o->dev,
        .max_connections = o->max_connections,
        .max_per_address = o->max_per_address,
        .metrics_listen = o->metrics_listen,
        .no_metrics = o->no_metrics,
        .exe = exe,
        .skillkit_dir = launcher_skillkit_dir(),
        .user = o->user,
        .class_mode = o->class_mode,
        .class_password = o->class_password,
        .class_workers = o->class_workers,
        .class_hosts = o->class_hosts,
    };
    if ((o->class_password || o->class_workers || o->class_hosts) && !o->class_mode)
        return fail_usage(usage_serve, "%s",
                          "--class-password, --class-workers and --class-host go with --class");
    return http_serve(&cfg);
}

static int
cmd_sign(struct options *o)
{
    char headers[SIGN_HEADERS_MAX];
    size_t len = 0;
    struct ss_error err;

    if (!o->key || !o->cert_url)
        return fail_usage(usage_sign, "%s", "sign needs --key PEM and --cert-url URL");
    if (o->nargs > 1)
        return fail_usage(usage_sign, "%s", "too many arguments");
    char *body = read_input(o->nargs == 1 ? o->args[0] : NULL, LIMIT_BODY_BYTES, &len);
    if (!body)
        return EXIT_USAGE;
    ss_error_clear(&err);
    enum ss_err rc =
        sign_headers(o->key, o->cert_url, body, len, o->sha1, headers, sizeof(headers), &err);
    free(body);
    if (rc != SS_ERR_OK) {
        fprintf(stderr, "skillserver: %s\n", err.msg);
        return EXIT_USAGE;
    }
    fputs(headers, stdout);
    return fflush(stdout) == 0 ? 0 : EXIT_FAILED;
}

static int
cmd_say(struct options *o)
{
    char exe[PATH_MAX], utterance[LIMIT_SAY_LINE_BYTES] = "";
    size_t used = 0;

    /* say thank you (without quotes) means the same as say "thank you". */
    for (int i = 0; i < o->nargs; i++) {
        int w =
            snprintf(utterance + used, sizeof(utterance) - used, "%s%s", i ? " " : "", o->args[i]);
        if (w < 0 || (size_t)w >= sizeof(utterance) - used)
            return fail_usage(usage_say, "the utterance is longer than %zu bytes",
                              sizeof(utterance) - 1);
        used += (size_t)w;
    }
    if (o->skill && !skill_name_valid(o->skill))
        return fail_usage(usage_say,
                          "'%s' is not a skill name (a folder name such as "
                          "thank_you)",
                          o->skill);
    if (check_store(o, usage_say) != 0)
        return EXIT_USAGE;
    if (worker_path(exe, sizeof(exe)) != 0)
        return EXIT_FAILED;
    struct say_config cfg = {
        .skills_dir = o->skills,
        .data_dir = o->data,
        .store = o->store,
        .skill = o->skill,
        .locale = o->locale,
        .utterance = o->nargs ? utterance : NULL,
        .wav = o->wav,
        .show = o->show,
        .dev = o->dev,
        .speak = o->speak,
        .handler_timeout_ms = o->handler_timeout_ms,
        .exe = exe,
        .skillkit_dir = launcher_skillkit_dir(),
        .in = stdin,
        .out = stdout,
        .err = stderr,
    };
    return say_run(&cfg);
}

static int
cmd_new(struct options *o)
{
    struct ss_error err;
    bool ask = false;

    if (o->nargs != 1)
        return fail_usage(usage_new, o->nargs < 1 ? "what shall the new skill be called? "
                                                    "For example: skillserver new hello_world"
                                                  : "give one name only");
    if (o->layout) {
        if (strcmp(o->layout, "ask") == 0)
            ask = true;
        else if (strcmp(o->layout, "skillserver") != 0)
            return fail_usage(usage_new,
                              "--layout is ask (an ASK CLI project) or skillserver (the default), "
                              "not '%s'",
                              o->layout);
    }
    ss_error_clear(&err);
    struct scaffold_result made;
    enum ss_err rc = scaffold_new(o->skills, o->args[0], o->invocation, ask, &made, &err);
    if (rc != SS_ERR_OK) {
        fprintf(stderr, "skillserver: %s\n", err.msg);
        return rc == SS_ERR_USAGE ? EXIT_USAGE : 1;
    }
    if (made.warning[0])
        fprintf(stderr, "skillserver: warning: %s\n", made.warning);
    printf("made %s/%s%s; try: skillserver --skills %s say \"open %s\"\n", o->skills, o->args[0],
           ask ? " (an ASK CLI v2 project)" : "", o->skills, made.invocation);
    return 0;
}

static int
cmd_export(struct options *o)
{
    struct ss_error err;
    struct export_result done;

    if (o->nargs != 2)
        return fail_usage(usage_export, "say which skill and where to: for example, "
                                        "skillserver export thank_you ~/thank-you-skill");
    ss_error_clear(&err);
    char exe[PATH_MAX];
    if (worker_path(exe, sizeof(exe)) != 0)
        return EXIT_FAILED;
    /* A skill of plain functions: its worker reads the model from them. */
    struct runtime_config runtime = runtime_of(o, exe);
    struct export_config cfg = {.skills_dir = o->skills,
                                .skill = o->args[0],
                                .dir = o->args[1],
                                .skillkit_dir = launcher_skillkit_dir(),
                                .runtime = &runtime};
    enum ss_err rc = export_skill(&cfg, &done, &err);
    fputs(done.warnings, stderr);
    if (rc != SS_ERR_OK) {
        fprintf(stderr, "skillserver: %s\n", err.msg);
        return rc == SS_ERR_USAGE || rc == SS_ERR_UNKNOWN_SKILL ? EXIT_USAGE : EXIT_FAILED;
    }
    printf("exported %s to %s (an ASK CLI v2 project; invocation name \"%s\", %s).\n"
           "Next: cd %s && ask deploy   (the README says how, step by step)\n",
           o->args[0], o->args[1], done.invocation, done.locales, o->args[1]);
    return 0;
}

int
main(int argc, char **argv)
{
    struct options o = {.skills = paths_default_skills(), .data = paths_default_data()};
    struct ss_error err;

    /* Nothing of this process (the key, users' data) is for another
     * process of the same user to read through /proc or ptrace. */
    if (privs_protect(&err) != SS_ERR_OK) {
        fprintf(stderr, "skillserver: %s\n", err.msg);
        return 1;
    }

    static const struct command_spec commands[] = {
        {"serve", CMD_SERVE, usage_serve, cmd_serve},
        {"invoke", CMD_INVOKE, usage_invoke, cmd_invoke},
        {"lambda", CMD_LAMBDA, usage_lambda, cmd_lambda},
        {"request", CMD_REQUEST, usage_request, cmd_request},
        {"ssml", CMD_SSML, usage_ssml, cmd_ssml},
        {"model", CMD_MODEL, usage_model, cmd_model},
        {"sign", CMD_SIGN, usage_sign, cmd_sign},
        {"say", CMD_SAY, usage_say, cmd_say},
        {"new", CMD_NEW, usage_new, cmd_new},
        {"export", CMD_EXPORT, usage_export, cmd_export},
    };
    const struct command_spec *cmd;
    extern char **environ;
    const struct options_context ctx = {.commands = commands,
                                        .ncommands = sizeof(commands) / sizeof(commands[0]),
                                        .usage_main = usage_main,
                                        .version = SKILLSERVER_VERSION,
                                        .envp = environ,
                                        .default_config = paths_default_config(),
                                        .out = stdout,
                                        .err = stderr};
    enum options_result r = options_parse(argc, argv, &ctx, &o, &cmd);
    int rc = r == OPTIONS_EXIT_OK ? 0 : EXIT_USAGE;
    if (r == OPTIONS_RUN) {
        if (o.dev)
            log_set_level(LOG_DEBUG);
        /* serve's and lambda's logs are for machines (JSON lines, or
         * journald); every other command's is for the person at the
         * terminal (log.h). */
        log_setup(cmd->run == cmd_serve || cmd->run == cmd_lambda);
        rc = cmd->run(&o);
    }
    options_cleanup(&o);
    return rc;
}
