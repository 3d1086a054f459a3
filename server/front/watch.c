/*
 * watch.c - how `serve --dev` notices that a skill changed: a fingerprint
 * of every file that can define a skill, taken once a second by the main
 * loop (see watch.h).
 *
 * Every layout keeps what defines a skill inside its folder, at different
 * depths: skill.py, model.json and skill.json at the top; an ASK project's
 * settings (ask-resources.json, .ask/), its manifest and models
 * (skill-package/, models/) and its code folder (lambda/, with the handler
 * module, the other modules and the vendored packages). So the walk takes
 * every file under a skill's folder, whatever its name, and leaves out only
 * what no skill is made of: hidden files and folders (an editor's swap
 * files, .git) other than .ask/, and __pycache__ and node_modules. It is
 * bounded per skill (LIMIT_DEV_WATCH_ENTRIES, LIMIT_DEV_WATCH_DEPTH) so a
 * huge folder costs a bounded stat() count a second.
 */
#include "watch.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "skill.h"
#include "ss_limits.h"

struct walk {
    uint64_t sum;     /* of every file's mix(), so readdir's order does not matter */
    unsigned entries; /* of the skill being walked, against LIMIT_DEV_WATCH_ENTRIES */
    bool truncated;
};

/* FNV-1a over text, continuing from h. */
static uint64_t
fnv(uint64_t h, const char *text)
{
    for (const char *c = text; *c; c++)
        h = (h ^ (unsigned char)*c) * 1099511628211ULL;
    return h;
}

static bool
skipped_folder(const char *name, unsigned depth)
{
    if (name[0] == '.')
        return !(depth == 0 && strcmp(name, ".ask") == 0);
    return strcmp(name, "__pycache__") == 0 || strcmp(name, "node_modules") == 0;
}

/*
 * Add the files under the folder dfd (owned: closed here) to w. path_hash
 * names the folder (the hash of its path from the skills folder), so that a
 * file moved between folders changes the sum. depth: 0 for a skill's own
 * folder.
 */
static void
walk_folder(struct walk *w, int dfd, uint64_t path_hash, unsigned depth)
{
    DIR *d = fdopendir(dfd);
    struct dirent *e;

    if (!d) {
        close(dfd);
        return;
    }
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (w->entries >= LIMIT_DEV_WATCH_ENTRIES) {
            w->truncated = true;
            break;
        }
        w->entries++;
        /* A symbolic link counts as what it points to, but only a real
         * folder is entered, so a link cannot make the walk go round. */
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        uint64_t h = fnv(fnv(path_hash, "/"), e->d_name);
        if (S_ISDIR(st.st_mode)) {
            if (skipped_folder(e->d_name, depth))
                continue;
            if (depth + 1 >= LIMIT_DEV_WATCH_DEPTH) {
                w->truncated = true;
                continue;
            }
            int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0)
                walk_folder(w, sub, h, depth + 1);
            continue;
        }
        if (e->d_name[0] == '.')
            continue;
        if (S_ISLNK(st.st_mode) && fstatat(dirfd(d), e->d_name, &st, 0) != 0)
            continue;
        if (!S_ISREG(st.st_mode))
            continue;
        uint64_t x = (uint64_t)st.st_mtim.tv_sec * 1000000007ULL + (uint64_t)st.st_mtim.tv_nsec +
                     (uint64_t)st.st_size * 31ULL;
        w->sum += (x ^ h) * 1099511628211ULL;
    }
    closedir(d);
}

uint64_t
watch_fingerprint(const char *root, bool *truncated)
{
    struct walk w = {.sum = 1469598103934665603ULL};
    DIR *d = opendir(root);
    struct dirent *e;

    if (truncated)
        *truncated = false;
    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL) {
        if (!skill_name_valid(e->d_name))
            continue;
        /* The skill's own folder may be a link (a project kept elsewhere). */
        int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            continue;
        w.entries = 0;
        walk_folder(&w, fd, fnv(1469598103934665603ULL, e->d_name), 0);
    }
    closedir(d);
    if (truncated)
        *truncated = w.truncated;
    return w.sum;
}

uint64_t
watch_skill_fingerprint(const char *dir, bool *truncated)
{
    struct walk w = {.sum = 1469598103934665603ULL};
    if (truncated)
        *truncated = false;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    walk_folder(&w, fd, 1469598103934665603ULL, 0);
    if (truncated)
        *truncated = w.truncated;
    return w.sum;
}
