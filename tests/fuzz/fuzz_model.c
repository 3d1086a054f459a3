/*
 * fuzz_model.c - libFuzzer target for interaction models and utterances:
 * model_parse(), model_check(), the matcher and the speech text of the
 * model's prompts - everything `say` does with a model.json a child wrote.
 *
 * Input: a model.json, optionally followed by a NUL byte and an utterance.
 * Without one, the utterances tried are the model's own samples (slots
 * filled with "forty two"), "open <invocation name>" and a dialog answer.
 * Besides "no crash, no leak, no undefined behaviour" it checks the
 * contracts: a refused model comes back as NULL with a message; a report's
 * counts add up and its text has the length model_report_format() says;
 * every match names an intent, and its slots belong to that intent.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "matcher.h"
#include "model.h"
#include "speech.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A fixed "now" keeps runs reproducible: Thursday 2026-11-26 12:00 UTC. */
#define NOW ((time_t)1795694400)

static void
check_match(const struct model *m, const struct matcher_result *r)
{
    if (!r->intent_name || r->slot_count > LIMIT_MATCHER_SLOTS ||
        !memchr(r->how, '\0', sizeof(r->how)) || (r->fallback && r->how[0]))
        abort();
    if (r->fallback && (r->slot_count || strcmp(r->intent_name, "AMAZON.FallbackIntent")))
        abort();
    if (r->intent && (!m || r->intent < m->intents || r->intent >= m->intents + m->intent_count ||
                      strcmp(r->intent->name, r->intent_name) != 0))
        abort();
    for (size_t i = 0; i < r->slot_count; i++) {
        const struct matcher_slot *s = &r->slots[i];
        if (!r->intent || model_intent_slot(r->intent, s->slot->name) != s->slot ||
            !memchr(s->value, '\0', sizeof(s->value)) || !s->value[0] ||
            s->resolved_count > MATCHER_MAX_RESOLVED || (s->resolved_count && !s->custom))
            abort();
    }
}

static void
try_utterance(const struct model *m, const char *words)
{
    struct matcher_result r;
    matcher_match(m, words, NOW, &r);
    check_match(m, &r);
    for (size_t i = 0; m && i < m->intent_count && i < 4; i++)
        for (size_t k = 0; k < m->intents[i].slot_count && k < 2; k++)
            if (matcher_match_slot(m, &m->intents[i], &m->intents[i].slots[k], words, NOW, &r))
                check_match(m, &r);
    const char *names[2] = {m ? m->invocation_name : NULL, "thank you"};
    struct matcher_invocation inv;
    matcher_invocation(words, names, 2, &inv);
    if ((inv.form == MATCHER_OPEN || inv.form == MATCHER_ASK) && inv.skill > 1)
        abort();
    if (!memchr(inv.rest, '\0', sizeof(inv.rest)))
        abort();
}

/* A sample with each {slot} said as "forty two". */
static void
said(const char *sample, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = sample; *p && n + 12 < cap; p++) {
        if (*p == '{') {
            const char *end = strchr(p, '}');
            if (end) {
                memcpy(out + n, "forty two", 9);
                n += 9;
                p = end;
                continue;
            }
        }
        out[n++] = *p;
    }
    out[n] = '\0';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    size_t model_len = nul ? (size_t)(nul - data) : size;
    struct model *m = NULL;
    struct ss_error err;
    enum ss_err rc = model_parse("fuzz.json", (const char *)data, model_len, &m, &err);

    if (rc != SS_ERR_OK) {
        if (m || err.code != rc || !err.msg[0] || !memchr(err.msg, '\0', sizeof(err.msg)))
            abort();
        m = NULL; /* the matcher still works without a model */
    }

    struct model_report report;
    model_check(m, &report);
    if (report.count > MODEL_MAX_PROBLEMS ||
        report.errors + report.warnings != report.count + report.omitted)
        abort();
    size_t need = model_report_format(&report, "fuzz.json", NULL, 0);
    char *text = malloc(need + 1);
    if (text) {
        if (model_report_format(&report, "fuzz.json", text, need + 1) != need ||
            strlen(text) != need)
            abort();
        free(text);
    }

    if (nul) {
        size_t ulen = size - model_len - 1;
        char *words = malloc(ulen + 1);
        if (words) {
            memcpy(words, nul + 1, ulen);
            words[ulen] = '\0';
            try_utterance(m, words);
            char *plain = speech_plain_text(words, true);
            char *espeak = speech_espeak_ssml(words, true);
            if (plain && strlen(plain) > 4 * ulen + 64)
                abort();
            free(plain);
            free(espeak);
            free(words);
        }
    } else {
        char line[512];
        for (size_t i = 0; m && i < m->intent_count && i < 16; i++)
            for (size_t k = 0; k < m->intents[i].sample_count && k < 2; k++) {
                said(m->intents[i].samples[k], line, sizeof(line));
                try_utterance(m, line);
            }
        if (m && strlen(m->invocation_name) < 400) {
            snprintf(line, sizeof(line), "open %s", m->invocation_name);
            try_utterance(m, line);
            snprintf(line, sizeof(line), "ask %s to stop", m->invocation_name);
            try_utterance(m, line);
        }
        try_utterance(m, "tomorrow at half past three pm for an hour and a half");
    }
    for (size_t i = 0; m && i < m->prompt_count; i++)
        for (size_t k = 0; k < m->prompts[i].variation_count; k++) {
            free(speech_plain_text(m->prompts[i].variations[k], m->prompts[i].ssml[k]));
            free(speech_espeak_ssml(m->prompts[i].variations[k], m->prompts[i].ssml[k]));
        }
    model_destroy(m);
    return 0;
}
