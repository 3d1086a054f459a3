/*
 * generation.c - the skill set the requests see, and the loader thread that
 * starts and reloads it.
 *
 * A generation is one reading of the skills folder (skill_set_load()) with
 * the metrics row of each skill. Each request holds a reference to the
 * generation current when its head arrived, so a reload never pulls a skill
 * from under a request in flight; the last reference frees it. A skill
 * whose folder no longer reads (a skill.json that does not parse, a handler
 * file that is gone) keeps the description it had, as a skill whose code
 * no longer imports keeps its zygote: the last good version serves until
 * the folder reads again, and the log says why.
 *
 * The loader thread starts every skill's worker at start-up and, on
 * SIGHUP or a change --dev notices, reads the folder again, reloads every
 * skill in the pool (a new zygote; the old one keeps serving when the new
 * one does not load) and makes the new generation current. It is the only
 * thread that replaces srv->gen, so it may read srv->gen without the lock.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "front_internal.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "watch.h"

void
generation_release(struct generation *g)
{
    if (!g || atomic_fetch_sub_explicit(&g->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (g->skills != g->loaded) {
        for (size_t i = 0; i < g->skills->count; i++)
            generation_release(g->owners[i]);
        free(g->skills->items);
        free(g->skills);
    }
    skill_set_destroy(g->loaded);
    free(g->owners);
    free(g->slots);
    free(g->prints);
    free(g);
}

struct generation *
generation_acquire(struct http_server *srv)
{
    pthread_mutex_lock(&srv->gen_lock);
    struct generation *g = srv->gen;
    atomic_fetch_add_explicit(&g->refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&srv->gen_lock);
    return g;
}

/* The skills of the current generation whose folders no longer read. */
struct kept {
    struct generation *current; /* NULL at start-up */
    size_t *index;              /* into current->skills->items, in name order */
    size_t count;
};

static void
report_skill_config(void *ctx, const char *name, const struct ss_error *err)
{
    struct kept *kept = ctx;
    const struct skill *was = kept->current ? skill_set_find(kept->current->skills, name) : NULL;

    if (!was) {
        log_skill_msg(LOG_ERROR, name, "skill %s is left out: %s", name, err->msg);
        return;
    }
    /* An edit that breaks what defines the skill (its skill.json, a
     * project's settings) is refused like one that breaks its code. */
    log_skill_msg(LOG_ERROR, name,
                  "skill %s does not load: %s (the version already running keeps serving)", name,
                  err->msg);
    kept->index[kept->count++] = (size_t)(was - kept->current->skills->items);
}

/*
 * Make g->skills the skills just loaded together with the kept ones of
 * kept->current, in name order. The kept skills are copies of the structs
 * whose strings belong to the generation that loaded them; g holds a
 * reference to that one (owners[i]) for as long as it shows them.
 */
static enum ss_err
add_kept(struct generation *g, const struct kept *kept, struct ss_error *err)
{
    const struct skill_set *loaded = g->loaded, *old = kept->current->skills;
    size_t n = loaded->count + kept->count, a = 0, b = 0;
    struct skill_set *view = calloc(1, sizeof(*view));
    struct skill *items = calloc(n, sizeof(*items));
    struct generation **owners = calloc(n, sizeof(*owners));

    if (!view || !items || !owners) {
        free(view);
        free(items);
        free(owners);
        return ss_fail(err, SS_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        const struct skill *from_old = b < kept->count ? &old->items[kept->index[b]] : NULL;
        if (a < loaded->count && (!from_old || strcmp(loaded->items[a].name, from_old->name) < 0)) {
            items[i] = loaded->items[a++];
            continue;
        }
        size_t j = kept->index[b++];
        struct generation *owner = kept->current->owners && kept->current->owners[j]
                                       ? kept->current->owners[j]
                                       : kept->current;
        atomic_fetch_add_explicit(&owner->refs, 1, memory_order_relaxed);
        items[i] = *from_old;
        owners[i] = owner;
    }
    view->root = loaded->root;
    view->items = items;
    view->count = n;
    g->skills = view;
    g->owners = owners;
    return SS_ERR_OK;
}

struct generation *
generation_load(struct http_server *srv, struct generation *current, struct ss_error *err)
{
    struct kept kept = {.current = current};
    struct generation *g = calloc(1, sizeof(*g));
    if (!g) {
        ss_fail(err, SS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    atomic_init(&g->refs, 1);
    if (current && current->skills->count > 0 &&
        !(kept.index = calloc(current->skills->count, sizeof(*kept.index)))) {
        ss_fail(err, SS_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (skill_set_load(srv->cfg.skills_dir, &g->loaded, report_skill_config, &kept, err) !=
        SS_ERR_OK)
        goto fail;
    g->skills = g->loaded;
    if (kept.count > 0 && add_kept(g, &kept, err) != SS_ERR_OK)
        goto fail;
    g->slots = calloc(g->skills->count ? g->skills->count : 1, sizeof(*g->slots));
    g->prints = calloc(g->skills->count ? g->skills->count : 1, sizeof(*g->prints));
    if (!g->slots || !g->prints) {
        ss_fail(err, SS_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < g->skills->count; i++) {
        const struct skill *k = &g->skills->items[i];
        g->slots[i] = metrics_skill_slot(srv->metrics, k->name);
        bool truncated = false;
        g->prints[i] = watch_skill_fingerprint(k->dir, &truncated);
        /* Say what was chosen in a project, where the folder could be read
         * more than one way. */
        if (k->layout != SKILL_LAYOUT_OWN && !generation_kept(g, k))
            log_skill_msg(LOG_INFO, k->name, "skill %s: %s", k->name, k->layout_note);
    }
    free(kept.index);
    return g;
fail:
    free(kept.index);
    generation_release(g);
    return NULL;
}

bool
generation_kept(const struct generation *g, const struct skill *skill)
{
    return g->owners && g->owners[skill - g->skills->items];
}

unsigned
generation_slot(const struct generation *g, const struct skill *skill)
{
    if (!skill)
        return METRICS_NO_SKILL;
    return g->slots[skill - g->skills->items];
}

/* Whether skill (item i of g) is as it was in before: same folder, same
 * files. A class of thirty saves one skill at a time; restarting all thirty
 * zygotes for each save would cost most of a second of CPU each. */
static bool
unchanged_since(const struct generation *g, size_t i, const struct generation *before)
{
    if (!before)
        return false;
    const struct skill *k = &g->skills->items[i];
    const struct skill *old = skill_set_find(before->skills, k->name);
    if (!old)
        return false;
    size_t j = (size_t)(old - before->skills->items);
    return strcmp(old->dir, k->dir) == 0 && before->prints[j] == g->prints[i];
}

/* Start (or reload) every skill's worker and say how each one loaded; on a
 * reload, only the skills changed since before. */
static void
start_skills(struct http_server *srv, struct generation *g, bool reload,
             const struct generation *before)
{
    for (size_t i = 0; i < g->skills->count; i++) {
        const struct skill *skill = &g->skills->items[i];
        if (generation_kept(g, skill))
            continue; /* unchanged: what runs goes on */
        if (reload && unchanged_since(g, i, before))
            continue;
        struct ss_error err;
        struct message_load hello;
        ss_error_clear(&err);
        memset(&hello, 0, sizeof(hello));
        enum ss_err rc = reload ? pool_reload(srv->pool, skill, &err)
                                : pool_start(srv->pool, skill, &hello, &err);
        if (rc != SS_ERR_OK) {
            log_skill_msg(LOG_ERROR, skill->name, "skill %s %s: %s%s", skill->name,
                          rc == SS_ERR_SKILL_LOAD ? "does not load" : "cannot start", err.msg,
                          reload ? " (the version already running, if any, keeps serving)" : "");
            message_load_cleanup(&hello);
            continue;
        }
        char handlers[512] = "";
        size_t used = 0;
        for (size_t k = 0; k < hello.handler_count; k++) {
            int w = snprintf(handlers + used, sizeof(handlers) - used, "%s%s", used ? ", " : "",
                             hello.handlers[k]);
            if (w < 0 || (size_t)w >= sizeof(handlers) - used)
                break;
            used += (size_t)w;
        }
        for (size_t k = 0; k < hello.warning_count; k++)
            log_skill_msg(LOG_WARN, skill->name, "skill %s: %s", skill->name,
                          hello.warnings[k].text);
        if (reload)
            log_skill_msg(LOG_INFO, skill->name, "skill %s reloaded", skill->name);
        else
            log_skill_msg(LOG_INFO, skill->name, "skill %s ready%s%s%s%s", skill->name,
                          skill->application_id ? " for " : "",
                          skill->application_id ? skill->application_id : "", used ? ": " : "",
                          handlers);
        message_load_cleanup(&hello);
    }
}

/* Re-read the skills folder, reload every skill, and make the new set current. */
static void
reload_skills(struct http_server *srv, const char *why)
{
    struct ss_error err;
    ss_error_clear(&err);
    log_msg(LOG_INFO, "reloading the skills (%s)", why);
    struct generation *g = generation_load(srv, srv->gen, &err);
    if (!g) {
        log_msg(LOG_ERROR, "reload failed, the skills loaded before keep serving: %s", err.msg);
        return;
    }
    /* SIGHUP reloads every skill (DESIGN.md: "SIGHUP reloads every skill
     * gracefully"); a change seen by --dev or a class save, only the changed. */
    bool every = why && strcmp(why, "SIGHUP") == 0;
    start_skills(srv, g, true, every ? NULL : srv->gen);
    pthread_mutex_lock(&srv->gen_lock);
    struct generation *old = srv->gen;
    srv->gen = g;
    pthread_mutex_unlock(&srv->gen_lock);
    for (size_t i = 0; i < old->skills->count; i++)
        if (!skill_set_find(g->skills, old->skills->items[i].name))
            log_skill_msg(LOG_INFO, old->skills->items[i].name,
                          "skill %s is gone from %s and no longer served",
                          old->skills->items[i].name, srv->cfg.skills_dir);
    generation_release(old);
    metrics_count_reload(srv->metrics);
    log_msg(LOG_INFO, "%zu skill%s loaded", g->skills->count, g->skills->count == 1 ? "" : "s");
}

static void *
loader_main(void *arg)
{
    struct http_server *srv = arg;
    pthread_mutex_lock(&srv->load_lock);
    for (;;) {
        while (srv->load_pending == LOAD_NONE && !srv->load_quit)
            pthread_cond_wait(&srv->load_cond, &srv->load_lock);
        if (srv->load_quit)
            break;
        int what = srv->load_pending;
        const char *why = srv->load_why;
        srv->load_pending = LOAD_NONE;
        pthread_mutex_unlock(&srv->load_lock);
        /* Only this thread replaces srv->gen, so reading it here is safe. */
        if (what == LOAD_START)
            start_skills(srv, srv->gen, false, NULL);
        else
            reload_skills(srv, why);
        /* Ready (again) for systemd: at start-up and after a SIGHUP. */
        notify_ready(srv);
        pthread_mutex_lock(&srv->load_lock);
    }
    pthread_mutex_unlock(&srv->load_lock);
    return NULL;
}

bool
generation_loader_start(struct http_server *srv)
{
    if (pthread_create(&srv->loader, NULL, loader_main, srv) != 0)
        return false;
    srv->loader_running = true;
    return true;
}

void
generation_request(struct http_server *srv, int what, const char *why)
{
    pthread_mutex_lock(&srv->load_lock);
    if (what > srv->load_pending) {
        srv->load_pending = what;
        srv->load_why = why;
    }
    pthread_cond_signal(&srv->load_cond);
    pthread_mutex_unlock(&srv->load_lock);
}

void
generation_loader_stop(struct http_server *srv)
{
    if (!srv->loader_running)
        return;
    pthread_mutex_lock(&srv->load_lock);
    srv->load_quit = true;
    pthread_cond_signal(&srv->load_cond);
    pthread_mutex_unlock(&srv->load_lock);
    pthread_join(srv->loader, NULL);
    srv->loader_running = false;
}
