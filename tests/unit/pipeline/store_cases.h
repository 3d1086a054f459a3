/*
 * store_cases.h - what every backend of the store (store.h) must do the
 * same way, included by test_store.c (SQLite) and test_store_pg.c
 * (PostgreSQL): load, save, versions, compare-and-set, forget, the size
 * limit, and threads that increment the same users' counters at once
 * without losing one.
 */
#ifndef SKILLSERVER_TEST_STORE_CASES_H
#define SKILLSERVER_TEST_STORE_CASES_H

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ss_limits.h"
#include "store.h"
#include "tap.h"

#define CASES_THREADS 4
#define CASES_USERS 2
#define CASES_INCREMENTS 50

static struct store *cases_shared;
static struct store *cases_other; /* when set, every other thread uses it (a second front) */

struct cases_counts {
    long id;
    int done;      /* increments that were saved */
    int conflicts; /* saves refused because another thread saved first */
    int failures;  /* anything else */
};

/* Read n, add one, save if the row is as it was read; again on a conflict. */
static void *
cases_incrementer(void *arg)
{
    struct cases_counts *c = arg;
    struct ss_error err;
    char user[32], json[64];

    struct store *s = cases_other && c->id % 2 ? cases_other : cases_shared;
    snprintf(user, sizeof(user), "user%ld", c->id % CASES_USERS);
    while (c->done < CASES_INCREMENTS && c->failures == 0) {
        char *old = NULL;
        int64_t version = -1;
        long n = 0;
        if (store_load(s, "race", user, &old, &version, &err) != SS_ERR_OK) {
            printf("#   load: %s\n", err.msg);
            c->failures++;
            break;
        }
        if (old && sscanf(old, "{\"n\": %ld}", &n) != 1)
            c->failures++;
        free(old);
        snprintf(json, sizeof(json), "{\"n\": %ld}", n + 1);
        enum ss_err rc = store_save(s, "race", user, json, version, &err);
        if (rc == SS_ERR_OK) {
            c->done++;
        } else if (rc == SS_ERR_STORE_CONFLICT) {
            c->conflicts++;
        } else {
            printf("#   save: %s\n", err.msg);
            c->failures++;
        }
    }
    return NULL;
}

/* The cases, on an empty store s; other, when not NULL, is a second store
 * on the same database (another front), used by half the racing threads. */
static void
store_cases(struct store *s, struct store *other)
{
    struct ss_error err;
    char *json = NULL;
    int64_t v = -1, v2 = -1;

    is_int(store_load(s, "counter", "u1", &json, &v, &err), SS_ERR_OK, "load from nothing");
    ok(json == NULL, "nothing saved yet");
    is_int((int)v, 0, "and the version of nothing is 0");

    is_int(store_save(s, "counter", "u1", "{\"best\": 3}", 0, &err), SS_ERR_OK, "save");
    is_int(store_load(s, "counter", "u1", &json, &v, &err), SS_ERR_OK, "load");
    is_str(json, "{\"best\": 3}", "saved value");
    is_int((int)v, 1, "the first save is version 1");
    free(json);
    is_int(store_save(s, "counter", "u1", "{\"best\": 4}", 0, &err), SS_ERR_STORE_CONFLICT,
           "a second first save is a conflict");
    contains(err.msg, "changed", "which says the attributes changed");
    is_int(store_save(s, "counter", "u1", "{\"best\": 5}", v, &err), SS_ERR_OK,
           "replace at the version read");
    store_load(s, "counter", "u1", &json, &v2, &err);
    is_str(json, "{\"best\": 5}", "replaced value");
    is_int((int)v2, 2, "the version grew by one");
    free(json);
    is_int(store_save(s, "counter", "u1", "{\"best\": 6}", v, &err), SS_ERR_STORE_CONFLICT,
           "a save at an old version is refused");
    store_load(s, "counter", "u1", &json, &v2, &err);
    is_str(json, "{\"best\": 5}", "and changes nothing");
    free(json);

    store_load(s, "counter", "u2", &json, &v, &err);
    ok(json == NULL && v == 0, "other user has nothing");
    store_load(s, "other", "u1", &json, &v, &err);
    ok(json == NULL && v == 0, "other skill has nothing");

    is_int(store_save(s, "gone", "u1", "{}", 0, &err), SS_ERR_OK, "a skill to forget");
    is_int(store_save(s, "gone", "u2", "{}", 0, &err), SS_ERR_OK, "with two users");
    is_int(store_forget(s, "gone", &err), SS_ERR_OK, "forget a skill");
    store_load(s, "gone", "u2", &json, &v, &err);
    ok(json == NULL && v == 0, "every user's attributes of it are gone");
    is_int(store_save(s, "gone", "u1", "{\"late\": 1}", 1, &err), SS_ERR_STORE_CONFLICT,
           "a save of what was read before forgetting is a conflict");
    store_load(s, "counter", "u1", &json, &v, &err);
    is_str(json, "{\"best\": 5}", "another skill's are kept");
    free(json);

    /* Text the JSON may hold: quotes, backslashes, non-ASCII. */
    const char *odd = "{\"name\": \"Zo\\u00eb \\\"the\\\" caf\xc3\xa9 \\\\ \xf0\x9f\x8e\x89\"}";
    is_int(store_save(s, "odd", "u'1; --", odd, 0, &err), SS_ERR_OK, "save odd text");
    store_load(s, "odd", "u'1; --", &json, &v, &err);
    is_str(json, odd, "read back unchanged");
    free(json);

    char *big = malloc(LIMIT_ATTRIBUTES_BYTES + 2);
    memset(big, 'a', LIMIT_ATTRIBUTES_BYTES + 1);
    big[LIMIT_ATTRIBUTES_BYTES + 1] = '\0';
    is_int(store_save(s, "counter", "u1", big, 2, &err), SS_ERR_RESPONSE_LIMIT, "too large");
    contains(err.msg, "at most", "says the limit");
    free(big);
    store_load(s, "counter", "u1", &json, &v, &err);
    is_str(json, "{\"best\": 5}", "refused save left the old value");
    free(json);

    /* Four threads, two users: every increment that was saved is counted. */
    cases_shared = s;
    cases_other = other;
    pthread_t t[CASES_THREADS];
    struct cases_counts counts[CASES_THREADS];
    int conflicts = 0, failures = 0;
    for (long i = 0; i < CASES_THREADS; i++) {
        counts[i] = (struct cases_counts){.id = i};
        if (pthread_create(&t[i], NULL, cases_incrementer, &counts[i]) != 0)
            counts[i].failures = -1000;
    }
    for (int i = 0; i < CASES_THREADS; i++) {
        if (counts[i].failures != -1000)
            pthread_join(t[i], NULL);
        conflicts += counts[i].conflicts;
        failures += counts[i].failures;
    }
    is_int(failures, 0, "four threads increment two users' counters at once%s",
           other ? ", through two stores" : "");
    for (int u = 0; u < CASES_USERS; u++) {
        char user[32], want[64];
        snprintf(user, sizeof(user), "user%d", u);
        snprintf(want, sizeof(want), "{\"n\": %d}", CASES_INCREMENTS * CASES_THREADS / CASES_USERS);
        json = NULL;
        store_load(s, "race", user, &json, &v, &err);
        is_str(json, want, "no increment of %s was lost", user);
        is_int((int)v, CASES_INCREMENTS * CASES_THREADS / CASES_USERS, "one version per save");
        free(json);
    }
    printf("# %d conflicts were refused and tried again\n", conflicts);
}

#endif
