/*
 * fuzz_config.c - libFuzzer target for the configuration file
 * (/etc/skillserver/skillserver.conf, server/options.c): what an
 * administrator writes, read for every command.
 *
 * Besides "no crash, no leak, no undefined behaviour" it checks the
 * contracts: a file is either applied or refused with a message naming the
 * file and a line; an applied file leaves no empty text value and only
 * values in range.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "ss_limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
run_nothing(struct options *o)
{
    (void)o;
    return 0;
}

static const struct command_spec commands[] = {
    {"serve", CMD_SERVE, "", run_nothing},     {"invoke", CMD_INVOKE, "", run_nothing},
    {"request", CMD_REQUEST, "", run_nothing}, {"ssml", CMD_SSML, "", run_nothing},
    {"model", CMD_MODEL, "", run_nothing},     {"sign", CMD_SIGN, "", run_nothing},
    {"say", CMD_SAY, "", run_nothing},         {"new", CMD_NEW, "", run_nothing},
    {"export", CMD_EXPORT, "", run_nothing},
};

static void
check_text(const char *value)
{
    if (value && !*value)
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > OPTIONS_CONFIG_MAX_BYTES)
        return 0;
    char said[4096];
    for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++) {
        char *text = malloc(size + 1);
        if (!text)
            return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        memset(said, 0, sizeof(said));
        FILE *err = fmemopen(said, sizeof(said) - 1, "w");
        if (!err) {
            free(text);
            return 0;
        }
        struct options o = {0};
        enum options_result r =
            options_read_config(text, size, "skillserver.conf", &commands[k], &o, err);
        fclose(err);
        if (r == OPTIONS_RUN) {
            if (said[0])
                abort(); /* applied, yet a complaint */
            const char *texts[] = {
                o.skills,   o.data,       o.listen,          o.tls_cert,       o.tls_key,
                o.trust_ca, o.cert_cache, o.cert_connect_to, o.metrics_listen, o.user,
                o.locale,   o.key,        o.cert_url,        o.skill,          o.wav,
                o.layout,   o.invocation, o.attributes,      o.class_password, o.class_hosts};
            for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
                check_text(texts[i]);
            if (o.workers < 0 || o.workers > LIMIT_WORKERS_MAX || o.class_workers < 0 ||
                o.class_workers > 256 || o.max_connections > 1000000 ||
                o.max_per_address > 1000000 || o.handler_timeout_ms < 0 ||
                o.handler_timeout_ms > LIMIT_HANDLER_TIMEOUT_MS_MAX)
                abort();
        } else if (r != OPTIONS_USAGE || strncmp(said, "skillserver: skillserver.conf:", 30) != 0) {
            abort(); /* refused without naming the file and the line */
        }
        options_cleanup(&o);
        free(text);
    }
    return 0;
}
