/*
 * worker_main.c - skillserver-worker, the program a skill's zygote runs.
 *
 *   skillserver-worker --fd N --name NAME --script FILE --skillkit DIR
 *                      [--root DIR] [--code DIR] [--handler MODULE.FUNCTION]
 *                      [--user USER] [--dev] [--seccomp-optional]
 *
 * Started by the server only (launcher.c writes the command line), never by
 * a person. It is a program of its own rather than a mode of skillserver so
 * that a zygote maps only what it needs (CPython, libseccomp, jansson and
 * the C library): none of the server's HTTP, TLS, XML or SQLite code is in
 * a skill's process, and starting it loads a handful of shared libraries
 * instead of the server's forty-odd (whose loading cost each zygote start
 * more CPU than the skill's request). skillserver, in turn, no longer loads
 * CPython. Exit codes are python_worker_main()'s.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "python.h"

#define EXIT_USAGE 2

int
main(int argc, char **argv)
{
    const char *name = NULL, *script = NULL, *skillkit = NULL, *root = NULL, *code = NULL,
               *handler = NULL, *user = NULL;
    bool dev = false, no_network = false, namespaces_optional = false, seccomp_optional = false;
    int fd = -1;

    /* Nothing of this process is for another process of the same user to
     * read through /proc or ptrace (the sandbox keeps it so). */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        perror("skillserver-worker: prctl(PR_SET_DUMPABLE)");
        return EXIT_USAGE;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--dev") == 0) {
            dev = true;
            continue;
        }
        if (strcmp(a, "--no-network") == 0) {
            no_network = true;
            continue;
        }
        if (strcmp(a, "--namespaces-optional") == 0) {
            namespaces_optional = true;
            continue;
        }
        if (strcmp(a, "--seccomp-optional") == 0) {
            seccomp_optional = true;
            continue;
        }
        if (i + 1 >= argc)
            goto usage;
        const char *v = argv[++i];
        if (strcmp(a, "--fd") == 0) {
            char *end;
            long n = strtol(v, &end, 10);
            if (*end || n < 3 || n > INT_MAX)
                goto usage;
            fd = (int)n;
        } else if (strcmp(a, "--name") == 0) {
            name = v;
        } else if (strcmp(a, "--script") == 0) {
            script = v;
        } else if (strcmp(a, "--skillkit") == 0) {
            skillkit = v;
        } else if (strcmp(a, "--root") == 0) {
            root = v;
        } else if (strcmp(a, "--code") == 0) {
            code = v;
        } else if (strcmp(a, "--handler") == 0) {
            handler = v;
        } else if (strcmp(a, "--user") == 0) {
            user = v;
        } else {
            goto usage;
        }
    }
    if (fd < 0 || !name || !script || !skillkit)
        goto usage;

    /* Without --root and --code, the skill's folder is the one holding its
     * script, and the working directory too. */
    char skill_dir[PATH_MAX];
    snprintf(skill_dir, sizeof(skill_dir), "%s", script);
    char *slash = strrchr(skill_dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(skill_dir, sizeof(skill_dir), ".");
    struct python_worker_config cfg = {
        .fd = fd,
        .name = name,
        .script = script,
        .handler = handler,
        .skillkit_dir = skillkit,
        .dev = dev,
        .zygote = true,
        .sandbox = {.skill_dir = root ? root : skill_dir,
                    .work_dir = code ? code : (root ? root : skill_dir),
                    .skillkit_dir = skillkit,
                    .user = user,
                    .no_network = no_network,
                    .namespaces_optional = namespaces_optional,
                    .filter_optional = seccomp_optional},
    };
    return python_worker_main(&cfg);

usage:
    fprintf(stderr, "skillserver-worker: this program is started by skillserver itself\n");
    return EXIT_USAGE;
}
