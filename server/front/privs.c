/*
 * privs.c - undumpable, and root only as long as binding needs it (see privs.h).
 */
#include "privs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

enum ss_err
privs_protect(struct ss_error *err)
{
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        return ss_fail(err, SS_ERR_IO, "prctl(PR_SET_DUMPABLE): %s", strerror(errno));
    return SS_ERR_OK;
}

/* Give dir (made, private, when missing) and the files directly in it to
 * uid/gid; folders inside (such as data/tls) and links are left as they are. */
static enum ss_err
give_folder(const char *dir, uid_t uid, gid_t gid, struct ss_error *err)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return ss_fail(err, SS_ERR_IO, "cannot create %s: %s", dir, strerror(errno));
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return ss_fail(err, SS_ERR_IO, "cannot open %s: %s", dir, strerror(errno));
    if (fchown(fd, uid, gid) != 0) {
        int e = errno;
        close(fd);
        return ss_fail(err, SS_ERR_IO, "cannot give %s to the server's user: %s", dir, strerror(e));
    }
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return ss_fail(err, SS_ERR_IO, "cannot read %s: %s", dir, strerror(errno));
    }
    enum ss_err rc = SS_ERR_OK;
    struct dirent *e;
    while ((e = readdir(d))) {
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (fchownat(dirfd(d), e->d_name, uid, gid, AT_SYMLINK_NOFOLLOW) != 0) {
            rc = ss_fail(err, SS_ERR_IO, "cannot give %s/%s to the server's user: %s", dir,
                         e->d_name, strerror(errno));
            break;
        }
    }
    closedir(d);
    return rc;
}

enum ss_err
privs_drop(const char *user, const char *const *dirs, size_t ndirs, struct ss_error *err)
{
    enum ss_err rc;

    if (geteuid() != 0)
        return SS_ERR_OK;
    struct passwd *pw = getpwnam(user ? user : PRIVS_USER_DEFAULT);
    if (!pw)
        return ss_fail(err, SS_ERR_USAGE, "there is no user '%s' to run as (--user)",
                       user ? user : PRIVS_USER_DEFAULT);
    if (pw->pw_uid == 0)
        return ss_fail(err, SS_ERR_USAGE, "--user must name an unprivileged user, not '%s'", user);
    uid_t uid = pw->pw_uid;
    gid_t gid = pw->pw_gid;
    for (size_t i = 0; i < ndirs; i++)
        if (dirs[i] && (rc = give_folder(dirs[i], uid, gid, err)) != SS_ERR_OK)
            return rc;
    /* One capability is kept: reading files whatever their mode, so that a
     * skills folder below a private home (a checkout in /root) can still be
     * read (models, reloads). Everything else goes, from the bounding set
     * too, so nothing can be regained. */
    for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
        if (cap != CAP_DAC_READ_SEARCH && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
            return ss_fail(err, SS_ERR_IO, "cannot drop capability %d: %s", cap, strerror(errno));
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
        return ss_fail(err, SS_ERR_IO, "prctl(PR_SET_KEEPCAPS): %s", strerror(errno));
    /* glibc changes the ids of every thread of the process together. */
    if (setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0)
        return ss_fail(err, SS_ERR_IO, "cannot become user '%s': %s", pw->pw_name, strerror(errno));
    struct __user_cap_header_struct head = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof(data));
    data[0].permitted = data[0].effective = 1U << CAP_DAC_READ_SEARCH;
    if (syscall(SYS_capset, &head, data) != 0 || prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0)
        return ss_fail(err, SS_ERR_IO, "cannot keep only the capability to read: %s",
                       strerror(errno));
    if (setuid(0) == 0 || seteuid(0) == 0)
        return ss_fail(err, SS_ERR_IO, "dropping root did not stick");
    return privs_protect(err);
}
