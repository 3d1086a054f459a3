/*
 * test_options.c - server/options.c: which command takes which option, held
 * against the help texts of server/usage.c; the closest name to a slip;
 * what wins among the command line, the environment and the configuration
 * file; and what the file may and may not say.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "options.h"
#include "tap.h"
#include "usage.h"

/* A comment line in the TAP output, for what a failed check was about. */
#define note(...) (printf("#   "), printf(__VA_ARGS__), printf("\n"))

static int
run_nothing(struct options *o)
{
    (void)o;
    return 0;
}

static const struct command_spec commands[] = {
    {"serve", CMD_SERVE, usage_serve, run_nothing},
    {"invoke", CMD_INVOKE, usage_invoke, run_nothing},
    {"lambda", CMD_LAMBDA, usage_lambda, run_nothing},
    {"request", CMD_REQUEST, usage_request, run_nothing},
    {"ssml", CMD_SSML, usage_ssml, run_nothing},
    {"model", CMD_MODEL, usage_model, run_nothing},
    {"sign", CMD_SIGN, usage_sign, run_nothing},
    {"say", CMD_SAY, usage_say, run_nothing},
    {"new", CMD_NEW, usage_new, run_nothing},
    {"export", CMD_EXPORT, usage_export, run_nothing},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/* Every --name in text, one after another: the next one from *at into
 * name, false at the end. */
static bool
next_option(const char **at, char *name, size_t cap)
{
    const char *p = *at;
    while ((p = strstr(p, "--"))) {
        const char *q = p + 2;
        size_t n = 0;
        while ((islower((unsigned char)q[n]) || isdigit((unsigned char)q[n]) || q[n] == '-') &&
               n + 1 < cap)
            n++;
        if (n > 0 && isalpha((unsigned char)q[0]) && (p == *at || p[-1] != '-')) {
            memcpy(name, q, n);
            name[n] = '\0';
            *at = q + n;
            return true;
        }
        p = q;
    }
    return false;
}

/* Every option a command's help names is one it takes, and every option it
 * takes is named in its help or among the global options of the main help. */
static void
test_help_texts_match_the_table(void)
{
    static const char *const all[] = {"store",
                                      "share-network",
                                      "skills",
                                      "data",
                                      "dev",
                                      "config",
                                      "listen",
                                      "tls-cert",
                                      "tls-key",
                                      "no-tls",
                                      "workers",
                                      "fresh-worker",
                                      "handler-timeout",
                                      "no-verify",
                                      "allow-unverified-public",
                                      "trust-ca",
                                      "cert-cache",
                                      "cert-connect-to",
                                      "max-connections",
                                      "max-connections-per-address",
                                      "metrics-listen",
                                      "no-metrics",
                                      "class",
                                      "class-password",
                                      "class-workers",
                                      "class-host",
                                      "user",
                                      "compact",
                                      "attributes",
                                      "launch",
                                      "end",
                                      "locale",
                                      "reprompt",
                                      "key",
                                      "cert-url",
                                      "sha1",
                                      "skill",
                                      "wav",
                                      "show",
                                      "speak",
                                      "layout",
                                      "invocation"};
    for (size_t k = 0; k < NCOMMANDS; k++) {
        const char *at = commands[k].usage;
        char name[64];
        int named = 0, wrong = 0;
        while (next_option(&at, name, sizeof(name))) {
            named++;
            if (!options_takes(commands[k].bit, name)) {
                note("the help of %s names --%s, which %s does not take", commands[k].name, name,
                     commands[k].name);
                wrong++;
            }
        }
        char what[96];
        snprintf(what, sizeof(what), "every option the help of %s names, %s takes",
                 commands[k].name, commands[k].name);
        ok(wrong == 0, "%s", what);
        int missing = 0;
        for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
            char dashed[72];
            snprintf(dashed, sizeof(dashed), "--%s", all[i]);
            if (!options_takes(commands[k].bit, all[i]))
                continue;
            const char *in = commands[k].usage;
            bool found = false;
            char seen[64];
            while (!found && next_option(&in, seen, sizeof(seen)))
                found = strcmp(seen, all[i]) == 0;
            in = usage_main;
            while (!found && next_option(&in, seen, sizeof(seen)))
                found = strcmp(seen, all[i]) == 0;
            if (!found) {
                note("%s takes %s, but neither its help nor the main help says so",
                     commands[k].name, dashed);
                missing++;
            }
        }
        snprintf(what, sizeof(what), "every option %s takes is in a help text", commands[k].name);
        ok(missing == 0, "%s", what);
    }
    ok(!options_takes(CMD_INVOKE, "user"), "invoke does not take --user (only serve does)");
    ok(!options_takes(CMD_INVOKE, "listen"), "invoke does not take --listen");
    ok(options_takes(CMD_SAY, "handler-timeout"), "say takes --handler-timeout");
    ok(!options_takes(CMD_ALL, "no-such-option"), "an unknown name is taken by none");
}

static void
test_closest(void)
{
    const char *names[] = {"listen", "workers", "no-verify", "tls-cert", "tls-key", "end"};
    size_t n = sizeof(names) / sizeof(names[0]);
    is_str(options_closest("listn", names, n), "listen", "a missing letter");
    is_str(options_closest("wokrers", names, n), "workers", "two letters swapped");
    is_str(options_closest("no-verfy", names, n), "no-verify", "a dropped letter");
    is_str(options_closest("tls-crt", names, n), "tls-cert", "the nearer of two");
    ok(options_closest("no", names, n) == NULL, "a short word suggests nothing far");
    ok(options_closest("completely-different", names, n) == NULL, "nothing close: NULL");
    ok(options_closest("", names, n) == NULL, "the empty word: NULL");
}

/* options_parse() with argv, envp and the file text; the output and the
 * errors are kept in out and err (each at most cap bytes). */
static enum options_result
parse(const char *const *argv, const char *const *envp, const char *config, struct options *o,
      const struct command_spec **cmd, char *out, char *err, size_t cap)
{
    const char *tmpdir = getenv("TMPDIR");
    char path[PATH_MAX];
    int n = snprintf(path, sizeof(path), "%s/skillserver-test-options-XXXXXX",
                     tmpdir && tmpdir[0] ? tmpdir : "/tmp");
    if (n < 0 || (size_t)n >= sizeof(path)) {
        printf("Bail out! the temporary folder's path (TMPDIR) is too long\n");
        exit(1);
    }
    int fd = mkstemp(path);
    if (fd < 0) {
        printf("Bail out! cannot make a temporary file %s: %s\n", path, strerror(errno));
        exit(1);
    }
    if (write(fd, config, strlen(config)) != (ssize_t)strlen(config)) {
        printf("Bail out! cannot write the temporary file %s: %s\n", path, strerror(errno));
        close(fd);
        unlink(path);
        exit(1);
    }
    close(fd);
    const char *args[32] = {argv[0], "--config", path};
    int argc = 3;
    for (int i = 1; argv[i]; i++)
        args[argc++] = argv[i];
    args[argc] = NULL;
    FILE *fo = fmemopen(out, cap, "w"), *fe = fmemopen(err, cap, "w");
    if (!fo || !fe)
        exit(1);
    *o = (struct options){.skills = "skills", .data = "data"};
    const struct options_context ctx = {.commands = commands,
                                        .ncommands = NCOMMANDS,
                                        .usage_main = usage_main,
                                        .version = "9.9",
                                        .envp = (char **)envp,
                                        .out = fo,
                                        .err = fe};
    enum options_result r = options_parse(argc, (char **)args, &ctx, o, cmd);
    fclose(fo);
    fclose(fe);
    unlink(path);
    return r;
}

static void
test_what_wins(void)
{
    struct options o;
    const struct command_spec *cmd;
    char out[8192], err[8192];
    const char *file = "# a comment\n"
                       "listen = 127.0.0.1:1\n"
                       "workers = 3\n"
                       "  ; another comment\n"
                       "handler-timeout = 2.5\n"
                       "no-verify = yes\n"
                       "class-host = \"a.example, b.example\"\n"
                       "\n"
                       "locale = de-DE\n";
    const char *argv[] = {"skillserver", "serve", "--listen", "127.0.0.1:3", NULL};
    const char *envp[] = {"SKILLSERVER_LISTEN=127.0.0.1:2", "SKILLSERVER_WORKERS=5",
                          "SKILLSERVER_SANITIZE=address", "PATH=/bin", NULL};
    is_int(parse(argv, envp, file, &o, &cmd, out, err, sizeof(out)), OPTIONS_RUN, "serve parses");
    is_str(o.listen, "127.0.0.1:3", "the command line wins over the environment and the file");
    is_int(o.workers, 5, "the environment wins over the file");
    is_int(o.handler_timeout_ms, 2500, "the file fills what neither set");
    ok(o.no_verify, "a switch from the file: yes");
    is_str(o.class_hosts, "a.example, b.example", "quotes around a value are taken off");
    ok(o.locale == NULL, "a key serve does not take (locale) is left for the commands that do");
    is_str(err, "", "an unrelated SKILLSERVER_ variable is not mentioned");
    options_cleanup(&o);

    const char *say[] = {"skillserver", "say", "hello", NULL};
    const char *none[] = {NULL};
    is_int(parse(say, none, file, &o, &cmd, out, err, sizeof(out)), OPTIONS_RUN, "say parses");
    is_str(o.locale, "de-DE", "say takes locale from the same file");
    ok(o.listen == NULL, "and leaves serve's keys alone");
    is_int(o.handler_timeout_ms, 2500, "a key both take applies to both");
    is_int(o.nargs, 1, "the utterance is the one argument");
    options_cleanup(&o);

    const char *typo[] = {"SKILLSERVER_LISTN=x", NULL};
    is_int(parse(argv, typo, "", &o, &cmd, out, err, sizeof(out)), OPTIONS_RUN,
           "a near miss in the environment is no error");
    ok(strstr(err, "SKILLSERVER_LISTN is not a setting; did you mean SKILLSERVER_LISTEN?") != NULL,
       "but it is named, with the real name");
    options_cleanup(&o);
}

static void
test_the_file_must_make_sense(void)
{
    struct options o;
    const struct command_spec *cmd;
    char out[8192], err[8192];
    const char *argv[] = {"skillserver", "invoke", "thank_you", NULL};
    const char *none[] = {NULL};
    static const struct {
        const char *text, *says;
    } bad[] = {
        {"workrs = 2\n", ":1: 'workrs' is not a setting; did you mean workers?"},
        {"\nlisten = a\nlisten = b\n", ":3: listen is set twice (first on line 2)"},
        {"handler-timeout = soon\n", ":1: handler-timeout takes a number of seconds"},
        {"just words\n", ":1: 'just words' is not a setting: write key = value"},
        {"compact = maybe\n", ":1: compact is true or false, not 'maybe'"},
        {"handler-timeout =\n", ":1: handler-timeout takes a number of seconds"},
        {"data =\n", ":1: data is empty"},
        {"colour = blue\n", ":1: 'colour' is not a setting"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        enum options_result r = parse(argv, none, bad[i].text, &o, &cmd, out, err, sizeof(out));
        ok(r == OPTIONS_USAGE && strstr(err, bad[i].says), "refused: %s", bad[i].says);
        if (r != OPTIONS_USAGE || !strstr(err, bad[i].says))
            note("said: %s", err);
        options_cleanup(&o);
    }
    char nul[] = "listen = a\0b\n";
    FILE *quiet = fmemopen(err, sizeof(err), "w");
    is_int(options_read_config(nul, sizeof(nul) - 1, "f", &commands[0], &o, quiet), OPTIONS_USAGE,
           "a NUL byte: not a text file");
    options_cleanup(&o);
}

static void
test_help_and_version_anywhere(void)
{
    struct options o;
    const struct command_spec *cmd;
    char out[8192], err[8192];
    const char *none[] = {NULL};
    const char *v1[] = {"skillserver", "serve", "--no-tls", "--version", NULL};
    is_int(parse(v1, none, "", &o, &cmd, out, err, sizeof(out)), OPTIONS_EXIT_OK,
           "--version after the command");
    is_str(out, "skillserver 9.9\n", "prints the version");
    const char *h1[] = {"skillserver", "invoke", "thank_you", "-", "--help", NULL};
    is_int(parse(h1, none, "", &o, &cmd, out, err, sizeof(out)), OPTIONS_EXIT_OK,
           "--help after the arguments");
    ok(strncmp(out, "usage: skillserver invoke", 25) == 0, "prints the command's help");
    const char *h2[] = {"skillserver", "help", "say", NULL};
    is_int(parse(h2, none, "", &o, &cmd, out, err, sizeof(out)), OPTIONS_EXIT_OK, "help say");
    ok(strncmp(out, "usage: skillserver say", 22) == 0, "prints say's help");
    const char *u1[] = {"skillserver", "invoke", "--listen", "x", NULL};
    is_int(parse(u1, none, "", &o, &cmd, out, err, sizeof(out)), OPTIONS_USAGE,
           "another command's option");
    ok(strstr(err, "--listen is an option of serve, not of invoke") != NULL,
       "names the command it belongs to");
    const char *u2[] = {"skillserver", "request", "--locle", "de-DE", NULL};
    is_int(parse(u2, none, "", &o, &cmd, out, err, sizeof(out)), OPTIONS_USAGE, "a slip");
    ok(strstr(err, "unknown option '--locle'; did you mean --locale?") != NULL,
       "suggests the closest option");
    const char *u3[] = {"skillserver", "sevre", NULL};
    is_int(parse(u3, none, "", &o, &cmd, out, err, sizeof(out)), OPTIONS_USAGE,
           "a slip in the command");
    ok(strstr(err, "'sevre' is not a command; did you mean serve?") != NULL,
       "suggests the closest command");
    const char *u4[] = {"skillserver", "serve", "--no-tls=yes", NULL};
    is_int(parse(u4, none, "", &o, &cmd, out, err, sizeof(out)), OPTIONS_USAGE,
           "a switch given a value on the command line");
    const char *ok1[] = {"skillserver", "--skills", "s", "invoke", "--", "--odd-name", NULL};
    is_int(parse(ok1, none, "", &o, &cmd, out, err, sizeof(out)), OPTIONS_RUN,
           "a global option before the command, an argument after --");
    ok(cmd == &commands[1] && o.nargs == 1 && strcmp(o.args[0], "--odd-name") == 0 &&
           strcmp(o.skills, "s") == 0,
       "the command, its one argument, the global option");
    options_cleanup(&o);
}

int
main(void)
{
    test_help_texts_match_the_table();
    test_closest();
    test_what_wins();
    test_the_file_must_make_sense();
    test_help_and_version_anywhere();
    return tap_done();
}
