/* test_corpus.c - the matcher against what children say: every line of
 * tests/data/utterances.tsv (see its header) through matcher_invocation()
 * and matcher_match() with the bundled skills' models, as `say` does with
 * the skill's session open. Fails when fewer than CORPUS_SHARE percent are
 * understood as Alexa would, or when any line that Alexa would not
 * understand gets an intent (a wrong guess is worse than "sorry?"). Each
 * miss is printed as a comment, with the share and the time per match. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "matcher.h"
#include "tap.h"

#define NOW ((time_t)1795694400)
#define CORPUS_SHARE 90

static const char *const skills[] = {"thank_you", "counter", "lambda_hello"};
#define SKILLS (sizeof(skills) / sizeof(skills[0]))

static struct model *models[SKILLS];
static const char *names[SKILLS];

static long
skill_index(const char *name)
{
    for (size_t i = 0; i < SKILLS; i++)
        if (strcmp(skills[i], name) == 0)
            return (long)i;
    return -1;
}

/* What the matcher makes of utterance said with skill's session open, into
 * got ("launch", "exit", an intent, or "launch:OTHER"/"OTHER:intent" when it
 * went to another skill) and slots ("name=Value,..."). */
static void
understand(size_t skill, const char *utterance, char *got, size_t cap, char *slots, size_t scap)
{
    static struct matcher_invocation inv;
    static struct matcher_result r;
    size_t target = skill;

    slots[0] = '\0';
    matcher_invocation(utterance, names, SKILLS, &inv);
    if (inv.form == MATCHER_EXIT) {
        snprintf(got, cap, "exit");
        return;
    }
    if (inv.form == MATCHER_OPEN || inv.form == MATCHER_ASK)
        target = inv.skill;
    if (inv.form == MATCHER_OPEN) {
        snprintf(got, cap, "%s%s%s", target == skill ? "" : skills[target],
                 target == skill ? "" : ":", "launch");
        return;
    }
    matcher_match(models[target], inv.rest, NOW, &r);
    snprintf(got, cap, "%s%s%s", target == skill ? "" : skills[target], target == skill ? "" : ":",
             r.intent_name);
    size_t used = 0;
    for (size_t i = 0; i < r.slot_count && used < scap; i++) {
        int n = snprintf(slots + used, scap - used, "%s%s=%s", i ? "," : "", r.slots[i].slot->name,
                         r.slots[i].value);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

int
main(void)
{
    struct ss_error err;
    char path[512], line[1024];
    int total = 0, right = 0, wrong_guesses = 0;
    double seconds = 0;
    FILE *f = NULL;

    setenv("TZ", "UTC", 1);
    tzset();
    for (size_t i = 0; i < SKILLS; i++) {
        snprintf(path, sizeof(path), "%s/skills/%s/model.json", SOURCE_ROOT, skills[i]);
        is_int(model_load(path, &models[i], &err), SS_ERR_OK, "%s's model loads", skills[i]);
        if (!models[i])
            goto out;
        names[i] = models[i]->invocation_name;
    }
    f = fopen(SOURCE_ROOT "/tests/data/utterances.tsv", "r");
    ok(f != NULL, "the corpus opens");
    if (!f)
        goto out;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        char *field[4] = {line, NULL, NULL, NULL};
        for (int k = 1; k < 4; k++) {
            char *tab = field[k - 1] ? strchr(field[k - 1], '\t') : NULL;
            if (tab) {
                *tab = '\0';
                field[k] = tab + 1;
            }
        }
        long skill = skill_index(field[0]);
        if (skill < 0 || !field[1] || !field[2]) {
            tap_fail("corpus line '%s' has a skill, an utterance and what is expected", line);
            continue;
        }
        const char *want_slots = field[3] ? field[3] : "";
        char got[256], slots[512];
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        understand((size_t)skill, field[1], got, sizeof(got), slots, sizeof(slots));
        clock_gettime(CLOCK_MONOTONIC, &b);
        seconds += (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
        total++;
        bool good =
            strcmp(got, field[2]) == 0 && (!want_slots[0] || strcmp(slots, want_slots) == 0);
        if (good) {
            right++;
            continue;
        }
        bool guessed = strcmp(field[2], "AMAZON.FallbackIntent") == 0;
        if (guessed)
            wrong_guesses++;
        printf("# %s %s: \"%s\" -> %s%s%s, expected %s%s%s\n", guessed ? "WRONG" : "missed",
               field[0], field[1], got, slots[0] ? " " : "", slots, field[2],
               want_slots[0] ? " " : "", want_slots);
    }
    ok(total >= 100, "the corpus has at least 100 utterances (%d)", total);
    printf("# understood as Alexa would: %d of %d (%.1f%%); %.1f microseconds per utterance\n",
           right, total, total ? 100.0 * right / total : 0.0, total ? seconds * 1e6 / total : 0.0);
    ok(total && right * 100 >= total * CORPUS_SHARE, "at least %d%% understood (%d of %d)",
       CORPUS_SHARE, right, total);
    is_int(wrong_guesses, 0, "no intent where Alexa would fall back");
out:
    if (f)
        fclose(f);
    for (size_t i = 0; i < SKILLS; i++)
        model_destroy(models[i]);
    return tap_done();
}
