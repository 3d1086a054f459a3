/*
 * paths.c - finding the installation from the running binary (see paths.h).
 */
#include "paths.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if !defined(PATHS_BINDIR) || !defined(PATHS_LIBEXECDIR) || !defined(PATHS_PYTHONDIR) ||           \
    !defined(PATHS_SOURCE_SKILLKIT)
#error "server/base/meson.build defines the install folders (PATHS_BINDIR and the rest)"
#endif

static struct {
    bool installed;
    char exe_dir[PATH_MAX];  /* the running binary's folder */
    char prefix[PATH_MAX];   /* installed: the prefix ("" for /) */
    char skillkit[PATH_MAX]; /* installed: PREFIX/PYTHONDIR */
    char statedir[PATH_MAX]; /* installed: the state folder */
    char skills[PATH_MAX + 8];
    char data[PATH_MAX + 8];
    char config[PATH_MAX + 40]; /* installed: its configuration file */
} where;

static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Whether text fits into cap bytes after formatting. */
#define FITS(n, cap) ((n) >= 0 && (size_t)(n) < (cap))

/* If dir ends with "/" + tail (whole components), the part before it into
 * out: "/opt/ss/bin" less "bin" is "/opt/ss"; "/bin" less "bin" is "". */
static bool
strip_tail(const char *dir, const char *tail, char *out, size_t cap)
{
    size_t n = strlen(dir), t = strlen(tail);
    if (t == 0 || t >= n || strcmp(dir + n - t, tail) != 0 || dir[n - t - 1] != '/')
        return false;
    if (n - t - 1 >= cap)
        return false;
    memcpy(out, dir, n - t - 1);
    out[n - t - 1] = '\0';
    return true;
}

static void
find(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        n = 0;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    snprintf(where.exe_dir, sizeof(where.exe_dir), "%s", slash ? exe : ".");

    char worker[PATH_MAX];
    int w;
    if (strip_tail(where.exe_dir, PATHS_BINDIR, where.prefix, sizeof(where.prefix)) &&
        (w = snprintf(worker, sizeof(worker), "%s/%s/%s/%s", where.prefix, PATHS_LIBEXECDIR,
                      PATHS_PACKAGE, PATHS_WORKER_PROGRAM),
         FITS(w, sizeof(worker))) &&
        access(worker, X_OK) == 0)
        where.installed = true;

    if (!where.installed) {
        snprintf(where.skills, sizeof(where.skills), "skills");
        snprintf(where.data, sizeof(where.data), "data");
        return;
    }
    w = snprintf(where.skillkit, sizeof(where.skillkit), "%s/%s", where.prefix, PATHS_PYTHONDIR);
    if (!FITS(w, sizeof(where.skillkit)))
        where.skillkit[0] = '\0';
    /* systemd's StateDirectory=: one folder, or several separated by ':'
     * (the first is ours). */
    const char *state = getenv("STATE_DIRECTORY");
    if (state && state[0] == '/') {
        size_t len = strcspn(state, ":");
        if (len < sizeof(where.statedir)) {
            memcpy(where.statedir, state, len);
            where.statedir[len] = '\0';
        }
    }
    if (!where.statedir[0]) {
        /* Installed under /usr (a package): /var/lib/skillserver. Anywhere
         * else, below the prefix, wherever it now is. */
        bool system = strcmp(where.prefix, "/usr") == 0 || where.prefix[0] == '\0';
        w = snprintf(where.statedir, sizeof(where.statedir), "%s/var/lib/%s",
                     system ? "" : where.prefix, PATHS_PACKAGE);
        if (!FITS(w, sizeof(where.statedir)))
            snprintf(where.statedir, sizeof(where.statedir), "/var/lib/%s", PATHS_PACKAGE);
    }
    snprintf(where.skills, sizeof(where.skills), "%s/skills", where.statedir);
    snprintf(where.data, sizeof(where.data), "%s/data", where.statedir);
    bool system = strcmp(where.prefix, "/usr") == 0 || where.prefix[0] == '\0';
    w = snprintf(where.config, sizeof(where.config), "%s/etc/%s/%s.conf",
                 system ? "" : where.prefix, PATHS_PACKAGE, PATHS_PACKAGE);
    if (!FITS(w, sizeof(where.config)))
        where.config[0] = '\0';
}

bool
paths_installed(void)
{
    pthread_once(&once, find);
    return where.installed;
}

const char *
paths_skillkit_dir(void)
{
    pthread_once(&once, find);
    return where.installed && where.skillkit[0] ? where.skillkit : PATHS_SOURCE_SKILLKIT;
}

enum ss_err
paths_worker(char *buf, size_t cap, struct ss_error *err)
{
    pthread_once(&once, find);
    int n = where.installed ? snprintf(buf, cap, "%s/%s/%s/%s", where.prefix, PATHS_LIBEXECDIR,
                                       PATHS_PACKAGE, PATHS_WORKER_PROGRAM)
                            : snprintf(buf, cap, "%s/%s", where.exe_dir, PATHS_WORKER_PROGRAM);
    if (!FITS(n, cap))
        return ss_fail(err, SS_ERR_IO, "the path of %s is too long", PATHS_WORKER_PROGRAM);
    if (access(buf, X_OK) != 0)
        return ss_fail(err, SS_ERR_IO,
                       "cannot run %s (%s): it must be installed with skillserver, which "
                       "starts it for each skill",
                       buf, strerror(errno));
    return SS_ERR_OK;
}

const char *
paths_default_skills(void)
{
    pthread_once(&once, find);
    return where.skills;
}

const char *
paths_default_data(void)
{
    pthread_once(&once, find);
    return where.data;
}

const char *
paths_default_config(void)
{
    pthread_once(&once, find);
    return where.installed && where.config[0] ? where.config : NULL;
}
