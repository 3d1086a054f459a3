/*
 * test_watch.c - what `serve --dev` notices (server/front/watch.c): a
 * change to any file that can define a skill, in every layout and at every
 * depth its files live, and nothing for the files no skill is made of. The
 * reload it starts is tested end to end in tests/integration/test_serve.py.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ss_limits.h"
#include "tap.h"
#include "watch.h"

/* Small enough that root and the longest name below fit in every buffer. */
static char root[256];

/* root/rel, with its folders made; the text written and its time set to
 * seconds (so a change never depends on the clock's resolution). */
static void
put(const char *rel, const char *text, long seconds)
{
    char path[512], *slash;
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    for (slash = strchr(path + strlen(root) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            tap_fail("mkdir %s: %s", path, strerror(errno));
        *slash = '/';
    }
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        tap_fail("write %s: %s", path, strerror(errno));
        return;
    }
    struct timespec times[2] = {{seconds, 0}, {seconds, 0}};
    if (utimensat(AT_FDCWD, path, times, 0) != 0)
        tap_fail("utimensat %s: %s", path, strerror(errno));
}

static uint64_t
fingerprint(void)
{
    return watch_fingerprint(root, NULL);
}

/* Each of these files, changed, must change the fingerprint. */
static const char *const watched[] = {
    "own/skill.py",
    "own/model.json",
    "own/skill.json",
    "own/helpers/words.py",
    "lam/lambda_function.py",
    "lam/facts.txt",
    "v2/ask-resources.json",
    "v2/.ask/ask-states.json",
    "v2/skill-package/skill.json",
    "v2/skill-package/interactionModels/custom/de-DE.json",
    "v2/lambda/app.py",
    "v2/lambda/requirements.txt",
    "v2/lambda/language_strings.json",
    "v2/lambda/six/moves/__init__.py",
    "v1/skill.json",
    "v1/.ask/config",
    "v1/models/en-US.json",
    "v1/lambda/custom/index.py",
};

/* ...and these must not. */
static const char *const ignored[] = {
    "own/.skill.py.swp",
    "own/__pycache__/skill.cpython-311.pyc",
    "v2/lambda/__pycache__/app.cpython-311.pyc",
    "v2/lambda/.DS_Store",
    "v2/.git/index",
    "v2/node_modules/x/index.js",
    ".hidden/skill.py",
    "not a skill/skill.py",
};

static void
test_what_is_watched(void)
{
    for (size_t i = 0; i < sizeof(watched) / sizeof(watched[0]); i++)
        put(watched[i], "one", 1000);
    for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
        put(ignored[i], "one", 1000);

    bool truncated = true;
    uint64_t before = watch_fingerprint(root, &truncated);
    ok(before != 0, "a fingerprint of the folder");
    ok(!truncated, "every file of these skills is looked at");
    ok(fingerprint() == before, "the same when nothing changed");

    for (size_t i = 0; i < sizeof(watched) / sizeof(watched[0]); i++) {
        put(watched[i], "one", 2000);
        uint64_t now = fingerprint();
        ok(now != before, "%s: a new time is noticed", watched[i]);
        put(watched[i], "two!", 2000);
        ok(fingerprint() != now, "%s: a new size is noticed", watched[i]);
        before = fingerprint();
    }
    for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++) {
        put(ignored[i], "changed", 3000);
        ok(fingerprint() == before, "%s: not watched", ignored[i]);
    }

    char from[512], to[512];
    snprintf(from, sizeof(from), "%s/own/helpers/words.py", root);
    snprintf(to, sizeof(to), "%s/own/words.py", root);
    ok(rename(from, to) == 0, "move a file");
    uint64_t moved = fingerprint();
    ok(moved != before, "a file moved to another folder is noticed");
    ok(unlink(to) == 0, "remove it");
    ok(fingerprint() != moved, "a file removed is noticed");
    before = fingerprint();
    put("fresh/skill.py", "new", 1000);
    ok(fingerprint() != before, "a new skill folder is noticed");
}

static void
test_bounds(void)
{
    char rel[512] = "deep";
    bool truncated = false;

    /* A folder deeper than the watch goes is left out, and said so. */
    for (int i = 0; i < LIMIT_DEV_WATCH_DEPTH + 1; i++)
        strncat(rel, "/d", sizeof(rel) - strlen(rel) - 1);
    strncat(rel, "/x.py", sizeof(rel) - strlen(rel) - 1);
    put(rel, "x", 1000);
    watch_fingerprint(root, &truncated);
    ok(truncated, "a skill nested deeper than %d is reported as not wholly watched",
       LIMIT_DEV_WATCH_DEPTH);

    /* So is one with more files than it looks at; the others are still watched. */
    char cmd[700];
    snprintf(cmd, sizeof(cmd),
             "cd %s && rm -rf deep && mkdir -p many && cd many && "
             "seq 1 %d | sed 's/$/.py/' | xargs touch",
             root, LIMIT_DEV_WATCH_ENTRIES + 10);
    is_int(system(cmd), 0, "make a skill with %d files", LIMIT_DEV_WATCH_ENTRIES + 10);
    uint64_t before = watch_fingerprint(root, &truncated);
    ok(truncated, "a skill with more files than the watch looks at is reported");
    put("own/skill.py", "after", 4000);
    ok(watch_fingerprint(root, NULL) != before, "the other skills are still watched");
}

int
main(void)
{
    if (tap_tempdir(root, sizeof(root), "skillserver-test-watch") != 0)
        return tap_done();
    test_what_is_watched();
    test_bounds();
    tap_remove_tree(root);
    return tap_done();
}
