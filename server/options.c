/*
 * options.c - the command line, the configuration file and SKILLSERVER_*
 * variables (options.h).
 *
 * One table says every option: its name, what its value is, where it goes
 * in struct options, and which commands take it. The command line is read
 * first and marks what it set; the environment and then the file fill in
 * only what is still unset, so the command line wins, then the
 * environment, then the file.
 */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ss_limits.h"

enum kind {
    SWITCH,  /* --no-tls; in a file or the environment: true or false */
    TEXT,    /* --listen ADDR:PORT */
    INT,     /* --workers N: an int from 1 to max */
    UINT,    /* --max-connections N: an unsigned from 1 to max */
    SECONDS, /* --handler-timeout SECONDS, kept in milliseconds */
};

struct spec {
    const char *name; /* without the dashes: also the key in a file */
    enum kind kind;
    size_t offset; /* of the field in struct options */
    unsigned commands;
    long max; /* INT, UINT */
};

#define AT(field) offsetof(struct options, field)

/* The global options first: every command takes them. --config, --help and
 * --version are read before the table (they have no key). */
static const struct spec specs[] = {
    {"skills", TEXT, AT(skills), CMD_ALL, 0},
    {"data", TEXT, AT(data), CMD_ALL, 0},
    {"dev", SWITCH, AT(dev), CMD_ALL, 0},
    {"store", TEXT, AT(store), CMD_SERVE | CMD_INVOKE | CMD_SAY | CMD_LAMBDA, 0},
    {"listen", TEXT, AT(listen), CMD_SERVE, 0},
    {"tls-cert", TEXT, AT(tls_cert), CMD_SERVE, 0},
    {"tls-key", TEXT, AT(tls_key), CMD_SERVE, 0},
    {"no-tls", SWITCH, AT(no_tls), CMD_SERVE, 0},
    {"workers", INT, AT(workers), CMD_SERVE, LIMIT_WORKERS_MAX},
    {"fresh-worker", SWITCH, AT(fresh_worker), CMD_SERVE, 0},
    {"handler-timeout", SECONDS, AT(handler_timeout_ms),
     CMD_SERVE | CMD_INVOKE | CMD_SAY | CMD_LAMBDA, 0},
    {"no-verify", SWITCH, AT(no_verify), CMD_SERVE, 0},
    {"allow-unverified-public", SWITCH, AT(allow_unverified_public), CMD_SERVE, 0},
    {"trust-ca", TEXT, AT(trust_ca), CMD_SERVE, 0},
    {"cert-cache", TEXT, AT(cert_cache), CMD_SERVE, 0},
    {"cert-connect-to", TEXT, AT(cert_connect_to), CMD_SERVE, 0},
    {"max-connections", UINT, AT(max_connections), CMD_SERVE, 1000000},
    {"max-connections-per-address", UINT, AT(max_per_address), CMD_SERVE, 1000000},
    {"metrics-listen", TEXT, AT(metrics_listen), CMD_SERVE, 0},
    {"no-metrics", SWITCH, AT(no_metrics), CMD_SERVE, 0},
    {"class", SWITCH, AT(class_mode), CMD_SERVE, 0},
    {"class-password", TEXT, AT(class_password), CMD_SERVE, 0},
    {"class-workers", INT, AT(class_workers), CMD_SERVE, 256},
    {"class-host", TEXT, AT(class_hosts), CMD_SERVE, 0},
    {"user", TEXT, AT(user), CMD_SERVE, 0},
    {"compact", SWITCH, AT(compact), CMD_INVOKE, 0},
    {"attributes", TEXT, AT(attributes), CMD_REQUEST, 0},
    {"launch", SWITCH, AT(launch), CMD_REQUEST, 0},
    {"end", SWITCH, AT(end), CMD_REQUEST, 0},
    {"locale", TEXT, AT(locale), CMD_REQUEST | CMD_SSML | CMD_MODEL | CMD_SAY, 0},
    {"reprompt", SWITCH, AT(reprompt), CMD_SSML, 0},
    {"key", TEXT, AT(key), CMD_SIGN, 0},
    {"cert-url", TEXT, AT(cert_url), CMD_SIGN, 0},
    {"sha1", SWITCH, AT(sha1), CMD_SIGN, 0},
    {"skill", TEXT, AT(skill), CMD_SAY, 0},
    {"wav", TEXT, AT(wav), CMD_SAY, 0},
    {"show", SWITCH, AT(show), CMD_SAY, 0},
    {"speak", SWITCH, AT(speak), CMD_SAY, 0},
    {"layout", TEXT, AT(layout), CMD_NEW, 0},
    {"invocation", TEXT, AT(invocation), CMD_NEW, 0},
    {"share-network", SWITCH, AT(share_network), CMD_LAMBDA, 0},
};

#define NSPECS (sizeof(specs) / sizeof(specs[0]))

/* Where a value came from, for messages. */
struct source {
    const char *file; /* the configuration file, or NULL */
    int line;
    const char *var; /* the environment variable, or NULL */
};

static const struct spec *
find_spec(const char *name, size_t len)
{
    for (size_t i = 0; i < NSPECS; i++)
        if (strlen(specs[i].name) == len && strncmp(specs[i].name, name, len) == 0)
            return &specs[i];
    return NULL;
}

/* --- closest names ---------------------------------------------------------- */

/* The optimal string alignment distance (Levenshtein with transpositions)
 * of a and b, or SIZE_MAX for words too long to be names. */
static size_t
distance(const char *a, const char *b)
{
    enum { MAXLEN = 64 };
    size_t la = strlen(a), lb = strlen(b);
    if (la >= MAXLEN || lb >= MAXLEN)
        return SIZE_MAX;
    size_t d[MAXLEN + 1][MAXLEN + 1];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < best)
                best = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

const char *
options_closest(const char *word, const char *const *names, size_t n)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        size_t d = distance(word, names[i]);
        if (d < best_d) {
            best_d = d;
            best = names[i];
        }
    }
    /* Close enough to be a slip: two edits at most, and fewer than half of
     * the name (so "no" does not suggest "end"). */
    if (!best || best_d > 2 || best_d * 2 >= strlen(best))
        return NULL;
    return best;
}

/* The closest option name to word among those that commands take. */
static const char *
closest_option(const char *word, unsigned commands)
{
    const char *names[NSPECS];
    size_t n = 0;
    for (size_t i = 0; i < NSPECS; i++)
        if (specs[i].commands & commands)
            names[n++] = specs[i].name;
    return options_closest(word, names, n);
}

/* "say" or "serve and say": the commands that take spec, into buf. */
static const char *
commands_of(const struct spec *spec, const struct command_spec *commands, size_t n, char *buf,
            size_t cap)
{
    size_t used = 0, count = 0, total = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < n; k++)
        total += (spec->commands & commands[k].bit) != 0;
    for (size_t k = 0; k < n; k++) {
        if (!(spec->commands & commands[k].bit))
            continue;
        const char *sep = count == 0 ? "" : count + 1 == total ? " and " : ", ";
        int w = snprintf(buf + used, cap - used, "%s%s", sep, commands[k].name);
        if (w < 0 || (size_t)w >= cap - used)
            break;
        used += (size_t)w;
        count++;
    }
    return buf;
}

/* --- values ------------------------------------------------------------------ */

static bool
parse_switch(const char *text, bool *on)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(text, yes[i]) == 0) {
            *on = true;
            return true;
        }
        if (strcasecmp(text, no[i]) == 0) {
            *on = false;
            return true;
        }
    }
    return false;
}

/* A whole number from 1 to max, or -1. */
static long
parse_count(const char *text, long max)
{
    char *end;
    errno = 0;
    long n = strtol(text, &end, 10);
    if (errno || end == text || *end || n < 1 || n > max)
        return -1;
    return n;
}

static bool
parse_seconds(const char *text, int *ms)
{
    char *end;
    errno = 0;
    double s = strtod(text, &end);
    if (errno || end == text || *end || !(s > 0) || s * 1000 > LIMIT_HANDLER_TIMEOUT_MS_MAX)
        return false;
    *ms = (int)(s * 1000);
    return *ms > 0;
}

/* How a message names where the value came from: "--workers",
 * "SKILLSERVER_WORKERS" or "FILE:LINE: workers". */
static void
say_where(FILE *err, const struct spec *spec, const struct source *src)
{
    if (src->file)
        fprintf(err, "skillserver: %s:%d: %s", src->file, src->line, spec->name);
    else if (src->var)
        fprintf(err, "skillserver: %s", src->var);
    else
        fprintf(err, "skillserver: --%s", spec->name);
}

/* Store text (NULL: a switch on the command line) as spec's value in o.
 * False after saying what is wrong with it. */
static bool
set_value(struct options *o, const struct spec *spec, const char *text, const struct source *src,
          FILE *err)
{
    char *field = (char *)o + spec->offset;
    switch (spec->kind) {
    case SWITCH: {
        bool on = true;
        if (text && !parse_switch(text, &on)) {
            say_where(err, spec, src);
            fprintf(err, " is true or false, not '%s'\n", text);
            return false;
        }
        *(bool *)field = on;
        return true;
    }
    case TEXT:
        if (!*text) {
            say_where(err, spec, src);
            fprintf(err, " is empty; give it a value or leave it out\n");
            return false;
        }
        *(const char **)field = text;
        return true;
    case INT:
    case UINT: {
        long n = parse_count(text, spec->max);
        if (n < 0) {
            say_where(err, spec, src);
            fprintf(err, " takes a number from 1 to %ld, not '%s'\n", spec->max, text);
            return false;
        }
        if (spec->kind == INT)
            *(int *)field = (int)n;
        else
            *(unsigned *)field = (unsigned)n;
        return true;
    }
    case SECONDS:
        if (!parse_seconds(text, (int *)field)) {
            say_where(err, spec, src);
            fprintf(err, " takes a number of seconds such as 6 or 0.5 (at most %d), not '%s'\n",
                    LIMIT_HANDLER_TIMEOUT_MS_MAX / 1000, text);
            return false;
        }
        return true;
    }
    return false;
}

/* Keep a copy of text in o for as long as o lives; NULL when out of memory. */
static const char *
keep(struct options *o, const char *text, size_t len)
{
    if (o->nowned == (int)(sizeof(o->owned) / sizeof(o->owned[0])))
        return NULL;
    char *copy = strndup(text, len);
    if (copy)
        o->owned[o->nowned++] = copy;
    return copy;
}

void
options_cleanup(struct options *o)
{
    for (int i = 0; i < o->nowned; i++)
        free(o->owned[i]);
    o->nowned = 0;
}

/* --- the command line ------------------------------------------------------- */

static bool
is_help(const char *a)
{
    return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

/* Does a (an argument that starts with --) take the next argument as its
 * value? Only the table's valued options written without '='. */
static bool
takes_next(const char *a)
{
    if (strchr(a, '=') || strncmp(a, "--", 2) != 0)
        return false;
    if (strcmp(a, "--config") == 0)
        return true;
    const struct spec *spec = find_spec(a + 2, strlen(a + 2));
    return spec && spec->kind != SWITCH;
}

/* The index of the command's name in argv (the first argument that is not
 * an option or an option's value, before "--"), or 0. */
static int
command_index(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            return 0;
        if (a[0] != '-' || strcmp(a, "-") == 0)
            return i;
        if (takes_next(a))
            i++;
    }
    return 0;
}

static void
unknown_option(const char *arg, size_t len, const struct command_spec *cmd,
               const struct command_spec *commands, size_t n, FILE *err)
{
    const char *name = arg + 2;
    size_t name_len = len - 2;
    const struct spec *other = strncmp(arg, "--", 2) == 0 ? find_spec(name, name_len) : NULL;
    char owners[128];
    if (other) {
        fprintf(err, "skillserver: --%.*s is an option of %s, not of %s\n", (int)name_len, name,
                commands_of(other, commands, n, owners, sizeof(owners)), cmd->name);
    } else {
        char word[96];
        snprintf(word, sizeof(word), "%.*s", (int)name_len, name);
        const char *close = strncmp(arg, "--", 2) == 0 ? closest_option(word, cmd->bit) : NULL;
        if (close)
            fprintf(err, "skillserver: unknown option '%.*s'; did you mean --%s?\n", (int)len, arg,
                    close);
        else
            fprintf(err, "skillserver: unknown option '%.*s'\n", (int)len, arg);
    }
    fprintf(err, "\n%s", cmd->usage);
}

/* Read argv into o for cmd; set[i] marks the options the command line set. */
static enum options_result
parse_argv(int argc, char **argv, int cmd_at, const struct command_spec *cmd,
           const struct command_spec *commands, size_t n, struct options *o, bool *set, FILE *err)
{
    bool options_done = false;
    const struct source cli = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i == cmd_at)
            continue;
        if (options_done || a[0] != '-' || strcmp(a, "-") == 0) {
            if (o->nargs == (int)(sizeof(o->args) / sizeof(o->args[0]))) {
                fprintf(err, "skillserver: too many arguments at '%s'\n\n%s", a, cmd->usage);
                return OPTIONS_USAGE;
            }
            o->args[o->nargs++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            options_done = true;
            continue;
        }
        const char *eq = strchr(a, '=');
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        bool is_config = len == 8 && strncmp(a, "--config", 8) == 0;
        const struct spec *spec =
            strncmp(a, "--", 2) == 0 && !is_config ? find_spec(a + 2, len - 2) : NULL;
        if (!is_config && (!spec || !(spec->commands & cmd->bit))) {
            unknown_option(a, len, cmd, commands, n, err);
            return OPTIONS_USAGE;
        }
        const char *val = NULL;
        if (spec && spec->kind == SWITCH) {
            if (eq) {
                fprintf(err, "skillserver: --%s takes no value ('%s')\n\n%s", spec->name, a,
                        cmd->usage);
                return OPTIONS_USAGE;
            }
        } else if (eq) {
            val = eq + 1;
        } else if (i + 1 < argc && i + 1 != cmd_at && strncmp(argv[i + 1], "--", 2) != 0) {
            /* "--wav --skills DIR": the next word is another option, not a value. */
            val = argv[++i];
        } else {
            fprintf(err, "skillserver: %.*s needs a value\n\n%s", (int)len, a, cmd->usage);
            return OPTIONS_USAGE;
        }
        if (is_config) {
            o->config = val;
            continue;
        }
        if (!set_value(o, spec, val, &cli, err)) {
            fprintf(err, "\n%s", cmd->usage);
            return OPTIONS_USAGE;
        }
        set[spec - specs] = true;
    }
    return OPTIONS_RUN;
}

/* --- the environment --------------------------------------------------------- */

#define ENV_PREFIX "SKILLSERVER_"

/* "SKILLSERVER_TLS_CERT" -> "tls-cert" into key; false when it cannot be a key. */
static bool
env_key(const char *name, size_t len, char *key, size_t cap)
{
    size_t p = strlen(ENV_PREFIX);
    if (len <= p || len - p >= cap)
        return false;
    for (size_t i = p; i < len; i++) {
        char c = name[i];
        if (!(isupper((unsigned char)c) || isdigit((unsigned char)c) || c == '_'))
            return false;
        key[i - p] = c == '_' ? '-' : (char)tolower((unsigned char)c);
    }
    key[len - p] = '\0';
    return true;
}

static enum options_result
read_environment(char **envp, const struct command_spec *cmd, struct options *o, const bool *set,
                 bool *from_env, FILE *err)
{
    for (char **e = envp; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq || strncmp(*e, ENV_PREFIX, strlen(ENV_PREFIX)) != 0)
            continue;
        size_t len = (size_t)(eq - *e);
        char key[64];
        if (!env_key(*e, len, key, sizeof(key)) || strcmp(key, "config") == 0)
            continue;
        const struct spec *spec = find_spec(key, strlen(key));
        if (!spec) {
            /* Other programs' variables share the prefix (the tests'
             * SKILLSERVER_SANITIZE); only a near miss is worth a word. */
            const char *close = closest_option(key, CMD_ALL);
            if (close) {
                char var[80];
                snprintf(var, sizeof(var), ENV_PREFIX "%s", close);
                for (char *c = var + strlen(ENV_PREFIX); *c; c++)
                    *c = *c == '-' ? '_' : (char)toupper((unsigned char)*c);
                fprintf(err, "skillserver: warning: %.*s is not a setting; did you mean %s?\n",
                        (int)len, *e, var);
            }
            continue;
        }
        if (!(spec->commands & cmd->bit) || set[spec - specs])
            continue;
        char var[80];
        snprintf(var, sizeof(var), "%.*s", (int)len, *e);
        const struct source src = {.var = var};
        if (!set_value(o, spec, eq + 1, &src, err))
            return OPTIONS_USAGE;
        from_env[spec - specs] = true;
    }
    return OPTIONS_RUN;
}

/* --- the configuration file ---------------------------------------------------- */

static char *
trim(char *s, char *end)
{
    while (s < end && isspace((unsigned char)*s))
        s++;
    while (end > s && isspace((unsigned char)end[-1]))
        end--;
    *end = '\0';
    return s;
}

/* Read the file at path (at most OPTIONS_CONFIG_MAX_BYTES) into a string
 * the caller frees; NULL with errno set. */
static char *
slurp(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        int e = S_ISDIR(st.st_mode) ? EISDIR : errno;
        close(fd);
        errno = e;
        return NULL;
    }
    char *text = malloc(OPTIONS_CONFIG_MAX_BYTES + 1);
    size_t used = 0;
    ssize_t r = 0;
    while (text && used <= OPTIONS_CONFIG_MAX_BYTES &&
           (r = read(fd, text + used, OPTIONS_CONFIG_MAX_BYTES + 1 - used)) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            break;
        used += (size_t)r;
        if (used == OPTIONS_CONFIG_MAX_BYTES + 1)
            break;
    }
    int e = errno;
    close(fd);
    if (!text || r < 0) {
        free(text);
        errno = text ? e : ENOMEM;
        return NULL;
    }
    if (used > OPTIONS_CONFIG_MAX_BYTES) {
        free(text);
        errno = EFBIG;
        return NULL;
    }
    text[used] = '\0';
    *len = used;
    return text;
}

__attribute__((format(printf, 4, 5))) static enum options_result
config_problem(FILE *err, const char *path, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(err, "skillserver: %s:%d: ", path, line);
    va_start(ap, fmt);
    vfprintf(err, fmt, ap);
    va_end(ap);
    fputc('\n', err);
    return OPTIONS_USAGE;
}

/*
 * Apply the lines of text (the file at path) to o for cmd: "key = value",
 * blank lines and lines starting with # or ;. Keys the command does not
 * take are skipped; unknown keys and keys set twice are errors.
 */
static enum options_result
read_config_text(char *text, size_t len, const char *path, const struct command_spec *cmd,
                 struct options *o, const bool *set, const bool *from_env, FILE *err)
{
    int line_of[NSPECS] = {0};
    char *p = text, *end = text + len;
    if (memchr(text, '\0', len))
        return config_problem(err, path, 1, "this is not a text file (it has NUL bytes)");
    for (int line = 1; p < end; line++) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *stop = nl ? nl : end;
        if (stop - p > OPTIONS_CONFIG_LINE_MAX)
            return config_problem(err, path, line, "the line is longer than %d bytes",
                                  OPTIONS_CONFIG_LINE_MAX);
        char *s = trim(p, stop);
        p = nl ? nl + 1 : end;
        if (!*s || *s == '#' || *s == ';')
            continue;
        char *eq = strchr(s, '=');
        if (!eq)
            return config_problem(err, path, line,
                                  "'%s' is not a setting: write key = value, such as "
                                  "listen = 0.0.0.0:443",
                                  s);
        char *key = trim(s, eq);
        char *value = trim(eq + 1, eq + 1 + strlen(eq + 1));
        size_t vlen = strlen(value);
        if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
            value[vlen - 1] = '\0';
            value++;
        }
        const struct spec *spec = find_spec(key, strlen(key));
        if (!spec) {
            const char *close = closest_option(key, CMD_ALL);
            if (close)
                return config_problem(err, path, line, "'%s' is not a setting; did you mean %s?",
                                      key, close);
            return config_problem(err, path, line, "'%s' is not a setting", key);
        }
        size_t at = (size_t)(spec - specs);
        if (line_of[at])
            return config_problem(err, path, line, "%s is set twice (first on line %d)", key,
                                  line_of[at]);
        line_of[at] = line;
        if (!(spec->commands & cmd->bit) || set[at] || from_env[at])
            continue;
        const char *kept = spec->kind == TEXT ? keep(o, value, strlen(value)) : value;
        if (!kept) {
            fprintf(err, "skillserver: out of memory\n");
            return OPTIONS_USAGE;
        }
        const struct source src = {.file = path, .line = line};
        if (!set_value(o, spec, kept, &src, err))
            return OPTIONS_USAGE;
    }
    return OPTIONS_RUN;
}

enum options_result
options_read_config(char *text, size_t len, const char *path, const struct command_spec *cmd,
                    struct options *o, FILE *err)
{
    bool none[NSPECS] = {false};
    return read_config_text(text, len, path, cmd, o, none, none, err);
}

bool
options_takes(unsigned command, const char *name)
{
    if (strcmp(name, "config") == 0 || strcmp(name, "help") == 0 || strcmp(name, "version") == 0)
        return true;
    const struct spec *spec = find_spec(name, strlen(name));
    return spec && (spec->commands & command);
}

static enum options_result
read_config(const char *path, bool must_exist, const struct command_spec *cmd, struct options *o,
            const bool *set, const bool *from_env, FILE *err)
{
    size_t len = 0;
    char *text = slurp(path, &len);
    if (!text) {
        if (errno == ENOENT && !must_exist)
            return OPTIONS_RUN;
        fprintf(err, "skillserver: cannot read the configuration file %s: %s\n", path,
                errno == EFBIG ? "it is larger than 64 KiB" : strerror(errno));
        return OPTIONS_USAGE;
    }
    enum options_result r = read_config_text(text, len, path, cmd, o, set, from_env, err);
    free(text);
    return r;
}

/* --- all together -------------------------------------------------------------- */

static const struct command_spec *
find_command(const char *name, const struct command_spec *commands, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (strcmp(name, commands[k].name) == 0)
            return &commands[k];
    return NULL;
}

static void
unknown_command(const char *name, const struct command_spec *commands, size_t n,
                const char *usage_main, FILE *err)
{
    const char *names[16];
    size_t count = 0;
    for (size_t k = 0; k < n && count < 16; k++)
        names[count++] = commands[k].name;
    const char *close = options_closest(name, names, count);
    if (close)
        fprintf(err, "skillserver: '%s' is not a command; did you mean %s?\n\n%s", name, close,
                usage_main);
    else
        fprintf(err, "skillserver: '%s' is not a command\n\n%s", name, usage_main);
}

enum options_result
options_parse(int argc, char **argv, const struct options_context *ctx, struct options *o,
              const struct command_spec **cmd)
{
    bool set[NSPECS] = {false}, from_env[NSPECS] = {false};
    const struct command_spec *commands = ctx->commands;
    size_t n = ctx->ncommands;
    FILE *out = ctx->out, *err = ctx->err;
    int cmd_at = command_index(argc, argv);
    const char *name = cmd_at ? argv[cmd_at] : NULL;

    *cmd = NULL;
    /* skillserver help [COMMAND] */
    if (name && strcmp(name, "help") == 0) {
        const char *which = cmd_at + 1 < argc ? argv[cmd_at + 1] : NULL;
        const struct command_spec *c = which ? find_command(which, commands, n) : NULL;
        if (which && !c) {
            unknown_command(which, commands, n, ctx->usage_main, err);
            return OPTIONS_USAGE;
        }
        fputs(c ? c->usage : ctx->usage_main, out);
        return OPTIONS_EXIT_OK;
    }
    const struct command_spec *c = name ? find_command(name, commands, n) : NULL;
    /* --help and --version mean the same wherever they stand (before "--"). */
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (is_help(argv[i])) {
            fputs(c ? c->usage : ctx->usage_main, out);
            return OPTIONS_EXIT_OK;
        }
        if (strcmp(argv[i], "--version") == 0) {
            fprintf(out, "skillserver %s\n", ctx->version);
            return OPTIONS_EXIT_OK;
        }
        if (takes_next(argv[i]))
            i++;
    }
    if (!name) {
        fputs(ctx->usage_main, err);
        return OPTIONS_USAGE;
    }
    if (!c) {
        unknown_command(name, commands, n, ctx->usage_main, err);
        return OPTIONS_USAGE;
    }
    enum options_result r = parse_argv(argc, argv, cmd_at, c, commands, n, o, set, err);
    if (r != OPTIONS_RUN)
        return r;
    const char *config = o->config;
    if (!config && ctx->envp)
        for (char **e = ctx->envp; *e; e++)
            if (strncmp(*e, ENV_PREFIX "CONFIG=", strlen(ENV_PREFIX "CONFIG=")) == 0)
                config = *e + strlen(ENV_PREFIX "CONFIG=");
    if ((r = read_environment(ctx->envp, c, o, set, from_env, err)) != OPTIONS_RUN)
        return r;
    const char *file = config ? config : ctx->default_config;
    if (file && (r = read_config(file, config != NULL, c, o, set, from_env, err)) != OPTIONS_RUN)
        return r;
    *cmd = c;
    return OPTIONS_RUN;
}
