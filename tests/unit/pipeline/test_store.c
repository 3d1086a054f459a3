/* test_store.c - persistent attributes in SQLite. */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ss_limits.h"
#include "store.h"
#include "tap.h"

static struct store *shared;

static void *
writer(void *arg)
{
    long id = (long)arg;
    char user[32], json[64];
    struct ss_error err;
    snprintf(user, sizeof(user), "user%ld", id);
    for (int i = 0; i < 50; i++) {
        snprintf(json, sizeof(json), "{\"n\": %d}", i);
        if (store_save(shared, "skill", user, json, &err) != SS_ERR_OK)
            return (void *)1;
    }
    return NULL;
}

int
main(void)
{
    char dir[PATH_MAX], sub[PATH_MAX + 16], db[PATH_MAX + 32];
    struct ss_error err;
    char *json;

    snprintf(dir, sizeof(dir), "/tmp/skillserver-test-store-XXXXXX");
    ok(mkdtemp(dir) != NULL, "temp folder");
    snprintf(sub, sizeof(sub), "%s/data", dir);
    snprintf(db, sizeof(db), "%s/attributes.db", sub);

    struct store *s = store_create(sub);
    ok(s != NULL, "create");
    is_int(store_load(s, "counter", "u1", &json, &err), SS_ERR_OK, "load from nothing");
    ok(json == NULL, "nothing saved yet");
    ok(access(sub, F_OK) != 0, "reading created no folder");

    is_int(store_save(s, "counter", "u1", "{\"best\": 3}", &err), SS_ERR_OK, "save");
    ok(access(db, F_OK) == 0, "database created on first save");
    is_int(store_load(s, "counter", "u1", &json, &err), SS_ERR_OK, "load");
    is_str(json, "{\"best\": 3}", "saved value");
    free(json);
    is_int(store_save(s, "counter", "u1", "{\"best\": 5}", &err), SS_ERR_OK, "replace");
    store_load(s, "counter", "u1", &json, &err);
    is_str(json, "{\"best\": 5}", "replaced value");
    free(json);
    store_load(s, "counter", "u2", &json, &err);
    ok(json == NULL, "other user has nothing");
    store_load(s, "other", "u1", &json, &err);
    ok(json == NULL, "other skill has nothing");
    is_int(store_save(s, "gone", "u1", "{}", &err), SS_ERR_OK, "a skill to forget");
    is_int(store_save(s, "gone", "u2", "{}", &err), SS_ERR_OK, "with two users");
    is_int(store_forget(s, "gone", &err), SS_ERR_OK, "forget a skill");
    store_load(s, "gone", "u2", &json, &err);
    ok(json == NULL, "every user's attributes of it are gone");
    store_load(s, "counter", "u1", &json, &err);
    is_str(json, "{\"best\": 5}", "another skill's are kept");
    free(json);
    store_destroy(s);

    /* Private whatever mode the folder and file were given meanwhile. */
    struct stat st;
    ok(stat(sub, &st) == 0 && (st.st_mode & 0777) == 0700, "the folder is 0700");
    ok(stat(db, &st) == 0 && (st.st_mode & 0777) == 0600, "the database is 0600");
    ok(chmod(sub, 0755) == 0 && chmod(db, 0644) == 0, "opened up by hand");
    s = store_create(sub);
    store_load(s, "counter", "u1", &json, &err);
    is_str(json, "{\"best\": 5}", "survives reopening");
    free(json);
    ok(stat(sub, &st) == 0 && (st.st_mode & 0777) == 0700, "the folder is private again");
    ok(stat(db, &st) == 0 && (st.st_mode & 0777) == 0600, "the database is private again");

    char *big = malloc(LIMIT_ATTRIBUTES_BYTES + 2);
    memset(big, 'a', LIMIT_ATTRIBUTES_BYTES + 1);
    big[LIMIT_ATTRIBUTES_BYTES + 1] = '\0';
    is_int(store_save(s, "counter", "u1", big, &err), SS_ERR_RESPONSE_LIMIT, "too large");
    contains(err.msg, "at most", "says the limit");
    free(big);
    store_load(s, "counter", "u1", &json, &err);
    is_str(json, "{\"best\": 5}", "refused save left the old value");
    free(json);

    shared = s;
    pthread_t t[4];
    for (long i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, writer, (void *)i);
    int failures = 0;
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(t[i], &r);
        failures += r != NULL;
    }
    is_int(failures, 0, "four threads save at once");
    store_load(s, "skill", "user3", &json, &err);
    is_str(json, "{\"n\": 49}", "last write wins");
    free(json);
    store_destroy(s);
    store_destroy(NULL);

    s = store_create("/proc/forbidden");
    is_int(store_save(s, "a", "b", "{}", &err), SS_ERR_IO, "unwritable folder");
    contains(err.msg, "/proc/forbidden", "names the folder");
    store_destroy(s);

    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ok(system(cmd) == 0, "clean up");
    return tap_done();
}
