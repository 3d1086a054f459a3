/*
 * options.h - the command line, the configuration file and SKILLSERVER_*
 * variables, read into one struct options for the command being run.
 *
 * Each command accepts its own options and the global ones (--skills,
 * --data, --dev, --config); --help and --version work anywhere. Every
 * option with a value or a switch has a key of the same name without the
 * dashes, for the configuration file (listen = 0.0.0.0:443) and for the
 * environment (SKILLSERVER_LISTEN=0.0.0.0:443). What decides, first to
 * last: the command line, the environment, the configuration file
 * (--config FILE, else $SKILLSERVER_CONFIG, else the installation's own
 * when it exists: paths_default_config()), the built-in default. A key that the command does not
 * take is left for the commands that do (a file for serve also serves
 * invoke); a key no command takes is an error, with the closest real one.
 */
#ifndef SKILLSERVER_OPTIONS_H
#define SKILLSERVER_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

/* The largest configuration file read, and its longest line. */
#define OPTIONS_CONFIG_MAX_BYTES (64 * 1024)
#define OPTIONS_CONFIG_LINE_MAX 4096

/* The commands, as bits for the options that each one takes. */
enum command {
    CMD_SERVE = 1u << 0,
    CMD_INVOKE = 1u << 1,
    CMD_REQUEST = 1u << 2,
    CMD_SSML = 1u << 3,
    CMD_MODEL = 1u << 4,
    CMD_SIGN = 1u << 5,
    CMD_SAY = 1u << 6,
    CMD_NEW = 1u << 7,
    CMD_EXPORT = 1u << 8,
    CMD_LAMBDA = 1u << 9,
    CMD_ALL = (1u << 10) - 1,
};

/* What the command line, the environment and the configuration file said. */
struct options {
    const char *skills;
    const char *data;
    const char
        *store; /* --store: serve, invoke, say a postgresql:// URL; lambda that or a folder */
    const char *config;
    bool dev;
    bool compact;
    bool launch;
    bool end;
    int handler_timeout_ms;
    const char *attributes; /* request --attributes JSON */
    const char *layout;     /* new --layout */
    const char *invocation; /* new --invocation */
    const char *user;       /* serve --user */
    bool share_network;     /* lambda --share-network */
    const char *locale;     /* request, ssml, model, say --locale */
    const char *key;        /* sign --key */
    const char *cert_url;   /* sign --cert-url */
    bool sha1;              /* sign --sha1 */
    bool reprompt;          /* ssml check --reprompt */
    const char *skill;      /* say --skill */
    const char *wav;        /* say --wav */
    bool show;              /* say --show */
    bool speak;             /* say --speak */
    /* serve */
    const char *listen;
    const char *tls_cert;
    const char *tls_key;
    bool no_tls;
    bool no_verify;
    bool allow_unverified_public;
    const char *trust_ca;
    const char *cert_cache;
    const char *cert_connect_to;
    int workers;
    bool fresh_worker;
    unsigned max_connections;
    unsigned max_per_address; /* serve --max-connections-per-address */
    const char *metrics_listen;
    bool no_metrics;
    bool class_mode;            /* serve --class */
    const char *class_password; /* serve --class-password */
    int class_workers;          /* serve --class-workers */
    const char *class_hosts;    /* serve --class-host */
    /* positional arguments */
    const char *args[64];
    int nargs;
    /* Values read from the configuration file and the environment, which
     * the fields above point into: options_cleanup() frees them. */
    char *owned[128];
    int nowned;
};

/* A command: its name, its bit, its help text, what runs it. */
struct command_spec {
    const char *name;
    enum command bit;
    const char *usage;
    int (*run)(struct options *o);
};

enum options_result {
    OPTIONS_RUN,     /* run *cmd with the options */
    OPTIONS_EXIT_OK, /* help or the version was printed: exit 0 */
    OPTIONS_USAGE,   /* the problem was printed: exit 2 */
};

/* What options_parse() works with besides argv: the commands, the main
 * help, the version, the environment (NULL-terminated "NAME=VALUE"
 * strings) and the configuration file read when none is named (NULL:
 * none), and where help and problems go. */
struct options_context {
    const struct command_spec *commands;
    size_t ncommands;
    const char *usage_main;
    const char *version;
    char **envp;
    const char *default_config;
    FILE *out, *err;
};

/*
 * Read argv, then the environment, then the configuration file, into o
 * (defaults already in it) for the command named in argv; *cmd is that
 * command when the result is OPTIONS_RUN.
 */
enum options_result options_parse(int argc, char **argv, const struct options_context *ctx,
                                  struct options *o, const struct command_spec **cmd);

/* Free what options_parse() copied into o. */
void options_cleanup(struct options *o);

/*
 * The closest of names[0..n) to word by edit distance, or NULL when none is
 * close enough to be what was meant. Exposed for the tests.
 */
const char *options_closest(const char *word, const char *const *names, size_t n);

/* Does the command (a bit) take the option --name? For the tests, which
 * hold the table against the help texts. */
bool options_takes(unsigned command, const char *name);

/*
 * Apply the text of a configuration file (len bytes, changed in place; its
 * values must outlive o unless they are copied) to o for cmd, as
 * options_parse() does with nothing set before. For the fuzz target.
 */
enum options_result options_read_config(char *text, size_t len, const char *path,
                                        const struct command_spec *cmd, struct options *o,
                                        FILE *err);

#endif
