/*
 * say.c - `skillserver say` (see say.h): lines in, conversation turns out,
 * printed and spoken.
 *
 * Owns only the terminal: reading lines, printing what a turn recorded,
 * rendering speech with espeak-ng, and the exit status. The skills, the
 * workers and the conversation are opened by say_run() and released before
 * it returns.
 */
#include "say.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "canned.h"
#include "device_api.h"
#include "runtime.h"
#include "skill.h"
#include "speech.h"
#include "ss_limits.h"

#define EXIT_FAILED 1
#define EXIT_USAGE 2

struct say {
    const struct say_config *cfg;
    struct skill_set *set;
    struct conversation *conv;
    int status;         /* the exit status so far */
    size_t notes_shown; /* of the turn being shown */
    size_t head_shown;  /* 1 + the step whose head is shown, or 0 */
};

static void
fail(struct say *s, int status)
{
    if (status > s->status)
        s->status = status;
}

/* ---- A turn as text ---- */

static void
format_note(const struct conversation_note *n, struct buf *err)
{
    if (n->lines)
        buf_adds(err, n->text);
    else
        buf_printf(err, "skillserver: %s\n", n->text);
}

static void
format_json(struct buf *out, const char *label, const json_t *doc)
{
    char *text = json_dumps(doc, JSON_INDENT(2));
    buf_printf(out, "%s\n", label);
    if (text)
        buf_printf(out, "%s\n", text);
    free(text);
}

static void
format_words(struct buf *out, const char *label, const char *words)
{
    if (words && words[0])
        buf_printf(out, "%s%s\n", label, words);
}

/* What was understood, on err: "(heard by thank_you: ThankYouIntent)"; with
 * show, also how: "(matched 'thank you' (ignored: um, so much))". */
static void
format_heard(const struct conversation_step *s, bool show, struct buf *err)
{
    const struct conversation_heard *h = &s->heard;

    buf_printf(err, "(heard by %s: %s)\n", s->skill, h->text ? h->text : "");
    if (show && h->sample && !h->fallback)
        buf_printf(err, "(matched '%s'%s%s%s)\n", h->sample, h->how ? " (" : "",
                   h->how ? h->how : "", h->how ? ")" : "");
    if (h->fallback && h->words)
        buf_printf(err, "(no sample of %s matches \"%s\")\n", s->skill, h->words);
    if (h->other_intent)
        buf_printf(err,
                   "skillserver: \"%s\" matches %s (\"%s\") just as well as %s (\"%s\"); Alexa "
                   "could pick either: make the samples different\n",
                   h->words ? h->words : "", h->other_intent,
                   h->other_sample ? h->other_sample : "", h->intent, h->sample ? h->sample : "");
}

/* The part of a step known before its request is sent. */
static void
format_head(const struct conversation_step *s, bool show, struct buf *out, struct buf *err)
{
    if (s->kind != CONVERSATION_REQUEST)
        return;
    format_heard(s, show, err);
    if (s->request && show)
        format_json(out, "request:", s->request);
}

/* The rest: the answer, or why there is none. */
static void
format_tail(const struct conversation_step *s, bool interactive, bool show, struct buf *out,
            struct buf *err)
{
    if (s->kind != CONVERSATION_REQUEST) {
        format_words(out, "", s->speech);
        return;
    }
    if (!s->request || !s->response) {
        /* The request could not be made, or the pipeline refused it. */
        if (s->error.code != SS_ERR_OK)
            buf_printf(err, "skillserver: %s\n", s->error.msg);
        return;
    }
    if (show)
        format_json(out, "response:", s->response);
    format_words(out, "", s->speech);
    format_words(out, "[reprompt] ", s->reprompt);
    if (s->card) {
        const char *title = s->card_title, *content = s->card_text;
        buf_printf(out, "[card] %s%s", title ? title : "", title && content ? ": " : "");
        for (const char *c = content; c && *c; c++) {
            if (*c == '\n')
                buf_adds(out, " / ");
            else
                buf_addc(out, *c);
        }
        buf_addc(out, '\n');
    }
    for (size_t i = 0; i < s->directive_count; i++) {
        const struct conversation_directive *d = &s->directives[i];
        if (d->dialog)
            continue;
        if (strcmp(d->type, "AudioPlayer.Play") == 0)
            buf_printf(out, "[audio] plays %s\n", d->url ? d->url : "a stream");
        else
            buf_printf(out, "[directive] %s\n", d->type);
    }
    if (interactive && s->ended)
        buf_adds(out, "[session ended]\n");
}

/* What comes after the last step. */
static void
format_end(const struct conversation_turn *t, struct buf *out, struct buf *err)
{
    if (t->no_session)
        buf_adds(out, "[no session is open]\n");
    if (t->error.code != SS_ERR_OK)
        buf_printf(err, "skillserver: %s\n", t->error.msg);
}

void
say_format(const struct conversation_turn *turn, bool interactive, bool show, struct buf *out,
           struct buf *err)
{
    size_t note = 0;
    for (size_t i = 0; i <= turn->step_count; i++) {
        for (; note < turn->note_count && turn->notes[note].before <= i; note++)
            format_note(&turn->notes[note], err);
        if (i < turn->step_count) {
            format_head(&turn->steps[i], show, out, err);
            format_tail(&turn->steps[i], interactive, show, out, err);
        }
    }
    format_end(turn, out, err);
}

int
say_turn_status(const struct conversation_turn *turn)
{
    int rc = turn->model_errors ? EXIT_FAILED : 0;
    for (size_t i = 0; i < turn->step_count; i++) {
        const struct conversation_step *s = &turn->steps[i];
        /* A request that could not be made is a usage error; anything that
         * went wrong once it was sent, a failure. */
        int r = s->error.code == SS_ERR_OK ? 0 : s->request ? EXIT_FAILED : EXIT_USAGE;
        if (r > rc)
            rc = r;
    }
    if (turn->error.code != SS_ERR_OK) {
        int r = turn->error.code == SS_ERR_USAGE ? EXIT_USAGE : EXIT_FAILED;
        if (r > rc)
            rc = r;
    }
    return rc;
}

/* ---- Printing and speaking ---- */

/* Speak what step says: into --wav, and aloud with --speak. */
static void
render(struct say *s, const struct conversation_step *step)
{
    const struct say_config *cfg = s->cfg;
    struct ss_error err;
    char why[200];

    if (!step->speech_src || !step->speech_src[0]) {
        if (cfg->wav)
            fprintf(cfg->err, "skillserver: nothing was said, so %s was not written\n", cfg->wav);
        return;
    }
    ss_error_clear(&err);
    if (cfg->wav && speech_render(step->speech_src, step->speech_ssml, step->locale, cfg->wav,
                                  &err) != SS_ERR_OK) {
        fprintf(cfg->err, "skillserver: --wav: %s\n", err.msg);
        fail(s, EXIT_FAILED);
    }
    if (cfg->speak && speech_sound_device(why, sizeof(why)) &&
        speech_render(step->speech_src, step->speech_ssml, step->locale, NULL, &err) != SS_ERR_OK)
        fprintf(cfg->err, "skillserver: --speak: %s\n", err.msg); /* sound is a bonus */
}

/* Write what the bufs hold (err first: what was understood comes before
 * the answer) and flush, so a person sees each step as it happens. */
static void
emit(struct say *s, struct buf *out, struct buf *err)
{
    enum ss_err e = out->err != SS_ERR_OK ? out->err : err->err;
    if (e != SS_ERR_OK)
        fprintf(s->cfg->err, "skillserver: %s\n",
                e == SS_ERR_TOO_LARGE ? "this turn is too long to show whole" : "out of memory");
    fputs(buf_str(err), s->cfg->err);
    fputs(buf_str(out), s->cfg->out);
    buf_reset(out);
    buf_reset(err);
    fflush(s->cfg->out);
    fflush(s->cfg->err);
}

/* The notes of t up to step (all of them for step_count), not shown yet. */
static void
show_notes(struct say *s, const struct conversation_turn *t, size_t step, struct buf *err)
{
    for (; s->notes_shown < t->note_count && t->notes[s->notes_shown].before <= step;
         s->notes_shown++)
        format_note(&t->notes[s->notes_shown], err);
}

/* conversation_config.progress: show each step as it happens, and speak
 * its answer once it is shown. */
static void
progress(void *ctx, const struct conversation_turn *t, size_t step, enum conversation_progress how)
{
    struct say *s = ctx;
    const struct conversation_step *st = &t->steps[step];
    struct buf out = BUF_INIT(LIMIT_SAY_TEXT_BYTES), err = BUF_INIT(LIMIT_SAY_TEXT_BYTES);

    show_notes(s, t, step, &err);
    if (s->head_shown != step + 1) {
        format_head(st, s->cfg->show, &out, &err);
        s->head_shown = step + 1;
    }
    if (how == CONVERSATION_DONE)
        format_tail(st, !s->cfg->utterance, s->cfg->show, &out, &err);
    emit(s, &out, &err);
    if (how == CONVERSATION_DONE &&
        (st->kind == CONVERSATION_PROMPT || (st->kind == CONVERSATION_REQUEST && st->response)))
        render(s, st);
}

/* What is left of turn once the conversation returned it (the steps were
 * shown as they happened). Returns the turn's exit status. */
static int
finish_turn(struct say *s, struct conversation_turn *t)
{
    struct buf out = BUF_INIT(LIMIT_SAY_TEXT_BYTES), err = BUF_INIT(LIMIT_SAY_TEXT_BYTES);

    show_notes(s, t, t->step_count, &err);
    format_end(t, &out, &err);
    emit(s, &out, &err);
    s->notes_shown = 0;
    s->head_shown = 0;
    if (t->model_errors)
        fail(s, EXIT_FAILED);
    int rc = say_turn_status(t);
    conversation_turn_cleanup(t);
    return rc;
}

/* ---- Reading lines ---- */

static int
interactive(struct say *s)
{
    const struct say_config *cfg = s->cfg;
    bool tty = isatty(fileno(cfg->in));
    char *line = malloc(LIMIT_SAY_LINE_BYTES);
    struct conversation_turn t;

    if (!line) {
        fprintf(cfg->err, "skillserver: out of memory\n");
        return EXIT_FAILED;
    }
    if (tty)
        fprintf(cfg->err,
                "Talk to the skills in %s: say \"open <invocation name>\", or just "
                "talk. \"exit\" ends a session; Ctrl-D stops.\n",
                s->set->root);
    for (;;) {
        if (tty) {
            fputs(conversation_session_open(s->conv) ? "you (session open)> " : "you> ", cfg->err);
            fflush(cfg->err);
        }
        if (!fgets(line, LIMIT_SAY_LINE_BYTES, cfg->in))
            break;
        if (!strchr(line, '\n') && !feof(cfg->in)) {
            fprintf(cfg->err, "skillserver: that line is longer than %d bytes; say less\n",
                    LIMIT_SAY_LINE_BYTES - 1);
            int c;
            while ((c = fgetc(cfg->in)) != EOF && c != '\n')
                ;
            continue;
        }
        if (line[strspn(line, " \t\r\n")])
            conversation_say(s->conv, line, &t);
        else
            conversation_silence(s->conv, &t);
        if (finish_turn(s, &t) == EXIT_FAILED)
            fail(s, EXIT_FAILED);
    }
    if (tty)
        fputc('\n', cfg->err);
    /* The input ended with a session open: the user walked away. */
    if (conversation_session_open(s->conv)) {
        conversation_leave(s->conv, &t);
        fail(s, finish_turn(s, &t));
    }
    free(line);
    return 0;
}

static void
report_set(void *ctx, const char *name, const struct ss_error *err)
{
    struct say *s = ctx;
    fprintf(s->cfg->err, "skillserver: skill %s is left out: %s\n", name, err->msg);
}

/* The locale whose units the device settings API gives: --locale, else
 * the skill's own when say talks to one skill, else Alexa's first, en-US. */
static const char *
device_locale(const struct say *s)
{
    const struct say_config *cfg = s->cfg;
    if (cfg->locale)
        return cfg->locale;
    for (size_t i = 0; i < s->set->count; i++)
        if ((cfg->skill && strcmp(s->set->items[i].name, cfg->skill) == 0) ||
            (!cfg->skill && s->set->count == 1))
            return s->set->items[i].locale;
    return "en-US";
}

int
say_run(const struct say_config *cfg)
{
    struct say s = {.cfg = cfg};
    struct runtime rt = {0};
    struct device_api *api = NULL;
    struct ss_error err;
    char why[200];
    int rc;

    ss_error_clear(&err);
    if (skill_set_load(cfg->skills_dir, &s.set, report_set, &s, &err) != SS_ERR_OK) {
        fprintf(cfg->err, "skillserver: %s\n", err.msg);
        rc = EXIT_USAGE;
        goto out;
    }
    /* Alexa's device settings API, for the skills that ask it (device_api.h).
     * Without it (no loopback here) the skills that do not ask still run. */
    api = device_api_start(CANNED_API_TOKEN, CANNED_DEVICE_ID, device_locale(&s), &err);
    if (!api)
        fprintf(cfg->err,
                "skillserver: warning: %s; a skill that asks Alexa's device settings (its time "
                "zone) gets no answer\n",
                err.msg);
    struct conversation_config conv_cfg = {
        .api_endpoint = api ? device_api_endpoint(api) : NULL,
        .set = s.set,
        .skills_dir = cfg->skills_dir,
        .skill = cfg->skill,
        .locale = cfg->locale,
        .dev = cfg->dev,
        .one_shot = cfg->utterance != NULL,
        .now = cfg->now,
        .progress = progress,
        .progress_ctx = &s,
    };
    if (conversation_create(&conv_cfg, &s.conv, &err) != SS_ERR_OK) {
        fprintf(cfg->err, "skillserver: %s\n", err.msg);
        rc = err.code == SS_ERR_NOMEM ? EXIT_FAILED : EXIT_USAGE;
        goto out;
    }
    struct runtime_config rt_cfg = {
        .exe = cfg->exe,
        .skillkit_dir = cfg->skillkit_dir,
        .data_dir = cfg->data_dir,
        .store = cfg->store,
        .dev = cfg->dev,
        .workers = 1,
        /* Turns come one at a time: the zygote answers them itself. */
        .one_call = true,
        .handler_timeout_ms = cfg->handler_timeout_ms,
        .launcher_fd = -1,
    };
    if (cfg->speak && !speech_sound_device(why, sizeof(why)))
        fprintf(cfg->err, "skillserver: --speak: %s; the answers are only printed\n", why);
    if (runtime_open(&rt, &rt_cfg, &err) != SS_ERR_OK) {
        fprintf(cfg->err, "skillserver: %s\n", err.msg);
        rc = EXIT_FAILED;
        goto out;
    }
    conversation_use(s.conv, rt.pool, rt.store);
    if (cfg->utterance) {
        struct conversation_turn t;
        conversation_say(s.conv, cfg->utterance, &t);
        fail(&s, finish_turn(&s, &t));
    } else {
        fail(&s, interactive(&s));
    }
    rc = s.status;
out:
    fflush(cfg->out);
    fflush(cfg->err);
    conversation_destroy(s.conv);
    runtime_close(&rt);
    device_api_stop(api);
    skill_set_destroy(s.set);
    return rc;
}
