/*
 * fuzz_message.c - libFuzzer target for the decoders of message.h, which read
 * what a worker (a process running a hostile skill) sends the front.
 *
 * Every input goes through every decoder. Each must either decode into a
 * struct whose members are consistent (checked below, so the fuzzer finds
 * wrong answers as well as crashes) or fail with SS_ERR_WORKER (or
 * SS_ERR_NOMEM) and a printable sentence, holding nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_failure(enum ss_err rc, const struct ss_error *err)
{
    if (rc != SS_ERR_WORKER && rc != SS_ERR_NOMEM)
        abort();
    if (err->code != rc || err->msg[0] == '\0')
        abort();
    for (const char *p = err->msg; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            abort();
}

static void
check_error(const struct message_error *e)
{
    char line[256];
    if ((unsigned)e->kind >= MESSAGE_KIND_COUNT)
        abort();
    enum ss_err code = message_error_code(e);
    if (code != SS_ERR_SKILL_LOAD && code != SS_ERR_SKILL_RAISED && code != SS_ERR_SKILL_RESULT &&
        code != SS_ERR_SKILL_TIMEOUT)
        abort();
    message_describe_error(e, "default.py", line, sizeof(line));
    if (strlen(line) >= sizeof(line))
        abort();
}

static void
fuzz_load(const char *text, size_t size)
{
    struct message_load ld, copy;
    struct ss_error err;
    enum ss_err rc = message_decode_load(text, size, &ld, &err);
    if (rc != SS_ERR_OK) {
        check_failure(rc, &err);
        if (ld.root || ld.handlers || ld.warnings)
            abort();
        return;
    }
    if (!ld.root)
        abort();
    if (ld.ok) {
        if ((unsigned)ld.style >= MESSAGE_STYLE_COUNT || !ld.handlers || !ld.warnings)
            abort();
        for (size_t i = 0; i < ld.handler_count; i++)
            if (!ld.handlers[i])
                abort();
        for (size_t i = 0; i < ld.warning_count; i++)
            if (!ld.warnings[i].text)
                abort();
    } else {
        check_error(&ld.error);
    }
    rc = message_load_copy(&ld, &copy, &err);
    message_load_cleanup(&ld);
    if (rc == SS_ERR_OK && copy.handler_count != 0 && !copy.handlers[copy.handler_count - 1])
        abort();
    message_load_cleanup(&copy);
}

static void
fuzz_answer(const char *text, size_t size)
{
    struct message_answer a;
    struct ss_error err;
    enum ss_err rc = message_decode_answer(text, size, &a, &err);
    if (rc != SS_ERR_OK) {
        check_failure(rc, &err);
        if (a.root || a.reply || a.attributes)
            abort();
        return;
    }
    if (a.ok && (!json_is_object(a.reply) || (a.attributes && !json_is_object(a.attributes))))
        abort();
    if (!a.ok) {
        if (a.reply)
            abort();
        check_error(&a.error);
    }
    message_answer_cleanup(&a);
}

static void
fuzz_text(enum ss_err (*decode)(const char *, size_t, struct message_text *, struct ss_error *),
          const char *text, size_t size)
{
    struct message_text t;
    struct ss_error err;
    enum ss_err rc = decode(text, size, &t, &err);
    if (rc != SS_ERR_OK) {
        check_failure(rc, &err);
        if (t.root || t.text)
            abort();
        return;
    }
    if (!t.text)
        abort();
    message_text_cleanup(&t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct ss_error err;

    fuzz_load(text, size);
    fuzz_answer(text, size);
    fuzz_text(message_decode_log, text, size);
    fuzz_text(message_decode_died, text, size);
    enum ss_err rc = message_decode_ready(text, size, &err);
    if (rc != SS_ERR_OK)
        check_failure(rc, &err);
    return 0;
}
