/*
 * watch.c - how `serve --dev` notices that a skill's files changed: a
 * fingerprint of the skills folder, taken once a second by the main loop
 * (see watch.h).
 */
#include "watch.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "skill.h"

uint64_t
watch_fingerprint(const char *root)
{
    uint64_t h = 1469598103934665603ULL;
    DIR *d = opendir(root);
    struct dirent *e;

    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL) {
        if (!skill_name_valid(e->d_name))
            continue;
        int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *sd = fd >= 0 ? fdopendir(fd) : NULL;
        if (!sd) {
            if (fd >= 0)
                close(fd);
            continue;
        }
        struct dirent *f;
        while ((f = readdir(sd)) != NULL) {
            struct stat st;
            if (f->d_name[0] == '.')
                continue;
            if (fstatat(dirfd(sd), f->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode))
                continue;
            /* Summed, so the order readdir returns files in does not matter. */
            uint64_t x = (uint64_t)st.st_mtim.tv_sec * 1000000007ULL +
                         (uint64_t)st.st_mtim.tv_nsec + (uint64_t)st.st_size * 31ULL;
            for (const char *c = e->d_name; *c; c++)
                x = (x ^ (unsigned char)*c) * 1099511628211ULL;
            for (const char *c = f->d_name; *c; c++)
                x = (x ^ (unsigned char)*c) * 1099511628211ULL;
            h += x;
        }
        closedir(sd);
    }
    closedir(d);
    return h;
}
