/*
 * sandbox.c - confining a skill's processes (see sandbox.h).
 *
 * Order matters. The identity change comes first (it needs root, and a user
 * namespace can only map the identity its creator has), then the
 * namespaces, then the fork that makes the confined child PID 1 of its
 * namespace. The child builds its file system while it still has
 * capabilities inside its own user namespace, then gives them all up, sets
 * its limits and no_new_privs, and loads the seccomp filter last, since
 * the filter forbids the mount calls made before it.
 */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <grp.h>

#include "message.h"
#include "proto.h"
#include "ss_limits.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* Where the new root is assembled before pivot_root. Every bind source is
 * opened before anything is mounted here, so a skill folder below /tmp is
 * still found. */
#define STAGING "/tmp"

/* Files and folders of /etc that Python and the C library read: name
 * service, DNS, TLS roots, time zone, the dynamic linker's cache (for
 * extension modules), Debian's Python settings. Nothing else of /etc. */
static const char *const etc_entries[] = {
    "/etc/passwd",          "/etc/group",       "/etc/nsswitch.conf", "/etc/hosts",
    "/etc/host.conf",       "/etc/resolv.conf", "/etc/gai.conf",      "/etc/services",
    "/etc/protocols",       "/etc/localtime",   "/etc/timezone",      "/etc/ssl",
    "/etc/ca-certificates", "/etc/ld.so.cache", "/etc/ld.so.conf",    "/etc/ld.so.conf.d",
    "/etc/mime.types",      "/etc/os-release",  "/etc/python3",       "/etc/python3.11",
};

/* Top-level names that are folders of the system (or, on a merged /usr,
 * links into it). */
static const char *const system_entries[] = {"/usr",   "/bin",   "/sbin",  "/lib",
                                             "/lib32", "/lib64", "/libx32"};

static const char *const dev_entries[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random",
                                          "/dev/urandom"};

static int
set_limit(int resource, rlim_t value)
{
    struct rlimit rl = {value, value};
    struct rlimit cur;
    if (getrlimit(resource, &cur) == 0 && cur.rlim_max != RLIM_INFINITY && cur.rlim_max < value)
        rl.rlim_cur = rl.rlim_max = cur.rlim_max;
    return setrlimit(resource, &rl);
}

static enum ss_err
apply_limits(struct ss_error *err)
{
#ifndef UNDER_ASAN
    /* AddressSanitizer reserves terabytes of address space for its shadow
     * memory, so the address-space limit exists only in normal builds. */
    if (set_limit(RLIMIT_AS, LIMIT_WORKER_MEMORY_BYTES) != 0)
        return ss_fail(err, SS_ERR_IO, "setrlimit(RLIMIT_AS): %s", strerror(errno));
#endif
    /* RLIMIT_NPROC counts the tasks of this user in this user namespace:
     * the skill's own processes and threads, nobody else's. */
    if (set_limit(RLIMIT_CPU, LIMIT_WORKER_CPU_SECONDS) != 0 ||
        set_limit(RLIMIT_NOFILE, LIMIT_WORKER_FILES) != 0 ||
        set_limit(RLIMIT_FSIZE, LIMIT_WORKER_FILE_BYTES) != 0 ||
        set_limit(RLIMIT_NPROC, LIMIT_SKILL_TASKS) != 0 || set_limit(RLIMIT_CORE, 0) != 0)
        return ss_fail(err, SS_ERR_IO, "setrlimit: %s", strerror(errno));
    return SS_ERR_OK;
}

/* As root: the user skills run as. */
static enum ss_err
find_user(const char *user, uid_t *uid, gid_t *gid, struct ss_error *err)
{
    struct passwd *pw = getpwnam(user);
    if (!pw)
        return ss_fail(err, SS_ERR_IO, "there is no user '%s' to run skills as", user);
    if (pw->pw_uid == 0)
        return ss_fail(err, SS_ERR_IO, "skills may not run as root (user '%s')", user);
    *uid = pw->pw_uid;
    *gid = pw->pw_gid;
    return SS_ERR_OK;
}

/* As root: become uid/gid (every id, no supplementary groups). */
static enum ss_err
drop_user(uid_t uid, gid_t gid, struct ss_error *err)
{
    if (setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0)
        return ss_fail(err, SS_ERR_IO, "cannot become user %u: %s", (unsigned)uid, strerror(errno));
    if (setuid(0) == 0)
        return ss_fail(err, SS_ERR_IO, "dropping privileges did not stick");
    return SS_ERR_OK;
}

static int
write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t len = strlen(text);
    ssize_t n = write(fd, text, len);
    int saved = errno;
    close(fd);
    errno = saved;
    return n == (ssize_t)len ? 0 : -1;
}

/* Map the one identity this process has into its new user namespace. */
static enum ss_err
map_identity(uid_t uid, gid_t gid, struct ss_error *err)
{
    char line[64];
    if (write_file("/proc/self/setgroups", "deny") != 0 && errno != ENOENT)
        return ss_fail(err, SS_ERR_IO, "cannot write /proc/self/setgroups: %s", strerror(errno));
    snprintf(line, sizeof(line), "%u %u 1", (unsigned)uid, (unsigned)uid);
    if (write_file("/proc/self/uid_map", line) != 0)
        return ss_fail(err, SS_ERR_IO, "cannot write /proc/self/uid_map: %s", strerror(errno));
    snprintf(line, sizeof(line), "%u %u 1", (unsigned)gid, (unsigned)gid);
    if (write_file("/proc/self/gid_map", line) != 0)
        return ss_fail(err, SS_ERR_IO, "cannot write /proc/self/gid_map: %s", strerror(errno));
    return SS_ERR_OK;
}

/* End the way a child with this wait status ended: by the same signal
 * (without a core), or with the same exit code. */
static void __attribute__((noreturn)) end_as(int status)
{
    if (WIFSIGNALED(status)) {
        /* End by the same signal, so the front can say how the skill died. */
        int sig = WTERMSIG(status);
        sigset_t all;
        struct rlimit none = {0, 0};
        setrlimit(RLIMIT_CORE, &none);
        signal(sig, SIG_DFL);
        sigfillset(&all);
        sigprocmask(SIG_UNBLOCK, &all, NULL);
        raise(sig);
        _exit(128 + sig);
    }
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 2);
}

/* The write end of the pipe on which the namespace's init tells the monitor
 * how the zygote ended (see namespace_init()); -1 elsewhere. */
static int zygote_status_fd = -1;

/* The zygote's end of its socket to the namespace's init, or -1. */
static int init_socket = -1;

/*
 * The monitor: wait for the confined child (the namespace's init) and end
 * as the zygote ended, or kill the child when the front's lifeline breaks.
 * The init cannot end by a signal itself (PID 1 of a namespace ignores the
 * signals it sends itself), so it writes the zygote's wait status on
 * status_fd first. Never returns.
 */
static void __attribute__((noreturn)) monitor(pid_t child, int status_fd)
{
    int status = 0;
    int pidfd = (int)syscall(SYS_pidfd_open, child, 0);

    /* The child owns the control socket and the output pipe now. */
    close(SANDBOX_CONTROL_FD);
    close(STDIN_FILENO);
    close(STDOUT_FILENO);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    for (;;) {
        struct pollfd p[2] = {{.fd = SANDBOX_LIFELINE_FD, .events = POLLIN},
                              {.fd = pidfd, .events = POLLIN}};
        int n = poll(p, pidfd >= 0 ? 2 : 1, pidfd >= 0 ? -1 : 100);
        if (n < 0 && errno != EINTR)
            break;
        if (p[0].revents) {
            kill(child, SIGKILL);
            break;
        }
        if (pidfd < 0 || p[1].revents) {
            pid_t r = waitpid(child, &status, pidfd < 0 ? WNOHANG : 0);
            if (r == child)
                goto ended;
            if (r < 0 && errno != EINTR)
                _exit(2);
        }
    }
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
ended:;
    int zygote;
    if (status_fd >= 0 && read(status_fd, &zygote, sizeof(zygote)) == (ssize_t)sizeof(zygote))
        status = zygote;
    end_as(status);
}

/*
 * PID 1 of the skill's namespace. The kernel delivers to a namespace's PID 1
 * only the signals it has handlers for, even those it sends itself, so the
 * skill's processes must not be PID 1: a worker that ends itself with
 * os.kill(os.getpid(), ...) must end. This small process is PID 1 instead,
 * and the zygote its child. It runs nothing of the skill, holds no
 * descriptor but its socket to the zygote and the status pipe, reaps what
 * the kernel hands it, and when the zygote ends, tells the monitor how (its
 * own end cannot say it) and ends, which ends the namespace. A zygote that
 * became a worker itself (PROTO_BECOME) first passed it that worker's
 * socket: then the init also sends the front how the worker ended (DIED),
 * as a zygote does for each worker it forked.
 */
static void __attribute__((noreturn)) namespace_init(pid_t zygote, int sock, int status_fd)
{
    int status = 0;

    /* The two descriptors as 0 and 1 (both are above 2), nothing else. */
    if (dup2(sock, 0) != 0 || dup2(status_fd, 1) != 1 || close_range(2, ~0U, 0) != 0)
        _exit(2);
    sock = 0;
    status_fd = 1;
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    for (;;) {
        pid_t pid = waitpid(-1, &status, 0);
        if (pid == zygote)
            break;
        if (pid < 0 && errno != EINTR)
            _exit(2);
    }
    /* Anything the zygote sent is there already: wait no longer than to
     * look (a process the skill forked may still hold the zygote's end). */
    uint8_t type;
    int worker = -1;
    if (proto_recv_fd(sock, &type, &worker, proto_now_ms() + 2) == PROTO_OK && worker >= 0) {
        char how[160], text[256];
        proto_exit_text(status, how, sizeof(how));
        size_t len = message_encode_died(how, text, sizeof(text));
        /* Never blocking: the socket came from the skill's process. */
        if (len && fcntl(worker, F_SETFL, O_NONBLOCK) == 0)
            proto_send(worker, PROTO_DIED, text, len);
    }
    ssize_t unused = write(status_fd, &status, sizeof(status));
    (void)unused;
    _exit(0);
}

/* fork(), for a parent and child that share the two descriptors of pair
 * (a socketpair or a pipe, made just before): when it fails, they are
 * closed and err says why. */
static pid_t
fork_keeping(int pair[2], struct ss_error *err)
{
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(pair[0]);
        close(pair[1]);
        ss_fail(err, SS_ERR_IO, "fork: %s", strerror(e));
    }
    return pid;
}

/*
 * In the confined child, PID 1 of the new namespace: fork the zygote, which
 * returns (with init_socket set), and stay behind as namespace_init().
 */
static enum ss_err
start_init(struct ss_error *err)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return ss_fail(err, SS_ERR_IO, "socketpair: %s", strerror(errno));
    pid_t zygote = fork_keeping(sv, err);
    if (zygote < 0)
        return SS_ERR_IO;
    if (zygote > 0)
        namespace_init(zygote, sv[0], zygote_status_fd);
    close(sv[0]);
    close(zygote_status_fd);
    zygote_status_fd = -1;
    init_socket = sv[1];
    /* Die with the init (fork cleared the parent-death signal). */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
        return ss_fail(err, SS_ERR_IO, "prctl(PR_SET_PDEATHSIG): %s", strerror(errno));
    if (getppid() != 1)
        return ss_fail(err, SS_ERR_IO, "the server is gone");
    return SS_ERR_OK;
}

int
sandbox_init_socket(void)
{
    return init_socket;
}

void
sandbox_forget_init(void)
{
    if (init_socket >= 0)
        close(init_socket);
    init_socket = -1;
}

/* mkdir -p of path (absolute) under the staging root. */
static int
make_dirs(const char *path)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof(buf), "%s%s", STAGING, path) >= (int)sizeof(buf)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + strlen(STAGING) + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* An empty file at path under the staging root (a mount point for a file). */
static int
make_file(const char *path)
{
    char buf[PATH_MAX], dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        if (make_dirs(dir) != 0)
            return -1;
    }
    snprintf(buf, sizeof(buf), "%s%s", STAGING, path);
    int fd = open(buf, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

/* The flags a remount must keep: those locked on the original mount. */
static unsigned long
kept_flags(const char *target)
{
    struct statvfs sv;
    unsigned long flags = 0;
    if (statvfs(target, &sv) != 0)
        return 0;
    if (sv.f_flag & ST_NOSUID)
        flags |= MS_NOSUID;
    if (sv.f_flag & ST_NODEV)
        flags |= MS_NODEV;
    if (sv.f_flag & ST_NOEXEC)
        flags |= MS_NOEXEC;
    if (sv.f_flag & ST_NOATIME)
        flags |= MS_NOATIME;
    if (sv.f_flag & ST_NODIRATIME)
        flags |= MS_NODIRATIME;
    if (sv.f_flag & ST_RELATIME)
        flags |= MS_RELATIME;
    return flags;
}

/*
 * Bind what the O_PATH descriptor fd names onto path (the same path inside
 * the new root), read-only unless writable. A missing optional entry is
 * skipped by the caller, who opens the descriptors.
 */
static enum ss_err
bind_into(int fd, const char *path, bool writable, struct ss_error *err)
{
    char source[64], target[PATH_MAX];
    struct stat st;

    if (fstat(fd, &st) != 0)
        return ss_fail(err, SS_ERR_IO, "cannot look at %s: %s", path, strerror(errno));
    if ((S_ISDIR(st.st_mode) ? make_dirs(path) : make_file(path)) != 0)
        return ss_fail(err, SS_ERR_IO, "cannot make a place for %s: %s", path, strerror(errno));
    snprintf(source, sizeof(source), "/proc/self/fd/%d", fd);
    snprintf(target, sizeof(target), "%s%s", STAGING, path);
    if (mount(source, target, NULL, MS_BIND | MS_REC, NULL) != 0)
        return ss_fail(err, SS_ERR_IO, "cannot mount %s: %s", path, strerror(errno));
    if (writable)
        return SS_ERR_OK;
    unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | kept_flags(target);
    if (mount(NULL, target, NULL, flags, NULL) != 0)
        return ss_fail(err, SS_ERR_IO, "cannot make %s read-only: %s", path, strerror(errno));
    return SS_ERR_OK;
}

/* One thing to bind into the new root: opened before the staging mount. */
struct bind {
    char path[PATH_MAX]; /* where, inside (the real path outside) */
    int fd;              /* O_PATH, or -1 when absent */
    bool writable;       /* devices */
    char link[PATH_MAX]; /* a symbolic link to recreate instead, or "" */
};

#define MAX_BINDS                                                                                  \
    (sizeof(etc_entries) / sizeof(etc_entries[0]) +                                                \
     sizeof(system_entries) / sizeof(system_entries[0]) +                                          \
     sizeof(dev_entries) / sizeof(dev_entries[0]) + 2)

static void
add_bind(struct bind *b, size_t *n, const char *path, bool writable, bool keep_link)
{
    struct bind *x = &b[*n];
    snprintf(x->path, sizeof(x->path), "%s", path);
    x->writable = writable;
    x->link[0] = '\0';
    x->fd = -1;
    if (keep_link) {
        ssize_t len = readlink(path, x->link, sizeof(x->link) - 1);
        if (len > 0) {
            x->link[len] = '\0';
            (*n)++;
            return;
        }
        x->link[0] = '\0';
    }
    x->fd = open(path, O_PATH | O_CLOEXEC);
    if (x->fd >= 0)
        (*n)++;
}

static int
by_depth(const void *a, const void *b)
{
    const struct bind *x = a, *y = b;
    return (int)strlen(x->path) - (int)strlen(y->path);
}

/* Build the skill's file system under STAGING and make it the root. */
static enum ss_err
build_root(const char *skill_dir, const char *skillkit_dir, struct ss_error *err)
{
    struct bind binds[MAX_BINDS];
    size_t n = 0;
    enum ss_err rc = SS_ERR_OK;
    char opts[128];

    for (size_t i = 0; i < sizeof(system_entries) / sizeof(system_entries[0]); i++)
        add_bind(binds, &n, system_entries[i], false, true);
    for (size_t i = 0; i < sizeof(etc_entries) / sizeof(etc_entries[0]); i++)
        add_bind(binds, &n, etc_entries[i], false, false);
    size_t first_dev = n;
    for (size_t i = 0; i < sizeof(dev_entries) / sizeof(dev_entries[0]); i++)
        add_bind(binds, &n, dev_entries[i], true, false);
    size_t first_own = n;
    add_bind(binds, &n, skillkit_dir, false, false);
    add_bind(binds, &n, skill_dir, false, false);
    if (n < first_own + 2) {
        rc = ss_fail(err, SS_ERR_IO, "cannot open %s: %s",
                     n == first_own ? skillkit_dir : skill_dir, strerror(errno));
        goto out;
    }
    (void)first_dev;

    /* Nothing of this namespace's mounts may reach the server's. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
        rc = ss_fail(err, SS_ERR_IO, "cannot make the mounts private: %s", strerror(errno));
        goto out;
    }
    if (mount("tmpfs", STAGING, "tmpfs", MS_NOSUID | MS_NODEV,
              "size=1m,nr_inodes=4096,mode=0755") != 0) {
        rc = ss_fail(err, SS_ERR_IO, "cannot mount the new root: %s", strerror(errno));
        goto out;
    }
    /* The skill's own /tmp first, so a skill folder below /tmp is mounted on
     * top of it rather than hidden by it. */
    snprintf(opts, sizeof(opts), "size=%lu,nr_inodes=%u,mode=1777",
             (unsigned long)LIMIT_SKILL_TMP_BYTES, (unsigned)LIMIT_SKILL_TMP_FILES);
    if (make_dirs("/tmp") != 0 || make_dirs("/proc") != 0 || make_dirs("/dev") != 0 ||
        mount("tmpfs", STAGING "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, opts) != 0) {
        rc = ss_fail(err, SS_ERR_IO, "cannot make the skill's /tmp: %s", strerror(errno));
        goto out;
    }
    qsort(binds + first_own, n - first_own, sizeof(binds[0]), by_depth);
    for (size_t i = 0; i < n; i++) {
        if (binds[i].link[0]) {
            char target[PATH_MAX];
            snprintf(target, sizeof(target), "%s%s", STAGING, binds[i].path);
            if (symlink(binds[i].link, target) != 0) {
                rc = ss_fail(err, SS_ERR_IO, "cannot link %s: %s", binds[i].path, strerror(errno));
                goto out;
            }
            continue;
        }
        if ((rc = bind_into(binds[i].fd, binds[i].path, binds[i].writable, err)) != SS_ERR_OK)
            goto out;
    }
    if (mount("proc", STAGING "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) {
        rc = ss_fail(err, SS_ERR_IO, "cannot mount /proc for the skill: %s", strerror(errno));
        goto out;
    }
    if (symlink("/proc/self/fd", STAGING "/dev/fd") != 0 ||
        symlink("/proc/self/fd/0", STAGING "/dev/stdin") != 0 ||
        symlink("/proc/self/fd/1", STAGING "/dev/stdout") != 0 ||
        symlink("/proc/self/fd/2", STAGING "/dev/stderr") != 0) {
        rc = ss_fail(err, SS_ERR_IO, "cannot make /dev links: %s", strerror(errno));
        goto out;
    }
    /* pivot_root(".", ".") stacks the old root under the new one; detaching
     * it leaves the new root alone. */
    if (chdir(STAGING) != 0 || syscall(SYS_pivot_root, ".", ".") != 0 ||
        umount2(".", MNT_DETACH) != 0 || chdir("/") != 0) {
        rc = ss_fail(err, SS_ERR_IO, "cannot switch to the skill's root: %s", strerror(errno));
        goto out;
    }
    if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) != 0) {
        rc = ss_fail(err, SS_ERR_IO, "cannot make the skill's root read-only: %s", strerror(errno));
        goto out;
    }
out:
    for (size_t i = 0; i < n; i++)
        if (binds[i].fd >= 0)
            close(binds[i].fd);
    return rc;
}

/* Whether the process holds no capability at all (permitted set empty). */
static bool
holds_no_capability(void)
{
    struct __user_cap_header_struct head = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    return syscall(SYS_capget, &head, data) == 0 && data[0].permitted == 0 &&
           data[1].permitted == 0;
}

/* Empty the bounding set: no capability can be gained again. An ordinary
 * user outside any namespace of its own (sandbox_config.namespaces_optional)
 * may not change it, and need not: holding no capability, with
 * no_new_privs and no execve to follow, it can gain none. */
static enum ss_err
drop_bounding(struct ss_error *err)
{
    for (int cap = 0; cap <= 63; cap++) {
        if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 1 || prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
            continue;
        if (errno == EPERM && holds_no_capability())
            return SS_ERR_OK;
        return ss_fail(err, SS_ERR_IO, "cannot drop capability %d: %s", cap, strerror(errno));
    }
    return SS_ERR_OK;
}

/* Give up every capability, in the bounding set too, for good. */
static enum ss_err
drop_capabilities(struct ss_error *err)
{
    struct __user_cap_header_struct head = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    enum ss_err rc;

    if ((rc = drop_bounding(err)) != SS_ERR_OK)
        return rc;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        return ss_fail(err, SS_ERR_IO, "cannot clear ambient capabilities: %s", strerror(errno));
    memset(data, 0, sizeof(data));
    if (syscall(SYS_capset, &head, data) != 0)
        return ss_fail(err, SS_ERR_IO, "cannot drop capabilities: %s", strerror(errno));
    return SS_ERR_OK;
}

/* Every process of a skill is refused these (EPERM), by name: the numbers
 * differ between architectures, and some calls exist only on some. */
static const char *const zygote_refused[] = {
    "execve",
    "execveat",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "process_madvise",
    "pidfd_getfd",
    "kcmp",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "setns",
    "unshare",
    "open_tree",
    "move_mount",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "mount_setattr",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "reboot",
    "swapon",
    "swapoff",
    "bpf",
    "perf_event_open",
    "keyctl",
    "add_key",
    "request_key",
    "acct",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "setuid",
    "setgid",
    "setreuid",
    "setregid",
    "setresuid",
    "setresgid",
    "setgroups",
    "setfsuid",
    "setfsgid",
    "userfaultfd",
    "personality",
    "syslog",
    "quotactl",
    "name_to_handle_at",
    "open_by_handle_at",
    "lookup_dcookie",
    "iopl",
    "ioperm",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "listen",
    "accept",
    "accept4",
};

/*
 * Add to ctx (a filter for architecture arch alone) a rule answering the
 * call name with action, when its arguments match args. A call the
 * architecture does not have is skipped, on purpose and only then: arm64
 * has no fork, vfork, iopl or ioperm (its C library makes processes with
 * clone, which the worker's filter covers), so there is nothing to refuse.
 * A name libseccomp does not know at all is an error, since the kernel may
 * still have that call. Rules are added exactly: any other rewriting
 * libseccomp would need is an error too, never a rule that quietly does
 * nothing.
 */
static enum ss_err
add_rule(scmp_filter_ctx ctx, uint32_t arch, uint32_t action, const char *name,
         unsigned int arg_cnt, const struct scmp_arg_cmp *args, struct ss_error *err)
{
    int on_arch = seccomp_syscall_resolve_name_arch(arch, name);
    if (on_arch == __NR_SCMP_ERROR)
        return ss_fail(err, SS_ERR_IO, "libseccomp does not know the system call %s", name);
    if (on_arch < 0)
        return SS_ERR_OK;
    /* The rule functions take this machine's numbering (or libseccomp's
     * pseudo-number for a call this machine lacks) and translate it. */
    int e = seccomp_rule_add_exact_array(ctx, action, seccomp_syscall_resolve_name(name), arg_cnt,
                                         args);
    if (e != 0)
        return ss_fail(err, SS_ERR_IO, "cannot add the seccomp rule for %s: %s", name,
                       strerror(-e));
    return SS_ERR_OK;
}

/* An empty filter (everything allowed) for arch alone; 0: this machine's.
 * A call made with another architecture's numbering (x86's 32-bit calls on
 * amd64) kills the process: libseccomp's default for a foreign
 * architecture. */
static scmp_filter_ctx
new_filter(uint32_t arch, struct ss_error *err)
{
    uint32_t native = seccomp_arch_native();
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx) {
        ss_fail(err, SS_ERR_IO, "seccomp_init failed");
        return NULL;
    }
    if (arch != SCMP_ARCH_NATIVE && arch != native) {
        int e = seccomp_arch_add(ctx, arch);
        if (e == 0)
            e = seccomp_arch_remove(ctx, native);
        if (e != 0) {
            ss_fail(err, SS_ERR_IO, "cannot make a seccomp filter for architecture %#x: %s",
                    (unsigned)arch, strerror(-e));
            seccomp_release(ctx);
            return NULL;
        }
    }
    return ctx;
}

static scmp_filter_ctx
zygote_filter(uint32_t arch, struct ss_error *err)
{
    scmp_filter_ctx ctx = new_filter(arch, err);
    if (!ctx)
        return NULL;
    if (arch == SCMP_ARCH_NATIVE)
        arch = seccomp_arch_native();
    for (size_t i = 0; i < sizeof(zygote_refused) / sizeof(zygote_refused[0]); i++) {
        if (add_rule(ctx, arch, SCMP_ACT_ERRNO(EPERM), zygote_refused[i], 0, NULL, err) !=
            SS_ERR_OK)
            goto fail;
    }
    /* Typing into a terminal's input (TIOCSTI) or taking over a console
     * (TIOCLINUX): the request number is an int, so compare 32 bits. */
    const struct scmp_arg_cmp tiocsti = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, TIOCSTI);
    const struct scmp_arg_cmp tioclinux = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, TIOCLINUX);
    if (add_rule(ctx, arch, SCMP_ACT_ERRNO(EPERM), "ioctl", 1, &tiocsti, err) != SS_ERR_OK ||
        add_rule(ctx, arch, SCMP_ACT_ERRNO(EPERM), "ioctl", 1, &tioclinux, err) != SS_ERR_OK)
        goto fail;
    return ctx;
fail:
    seccomp_release(ctx);
    return NULL;
}

static scmp_filter_ctx
worker_filter(uint32_t arch, struct ss_error *err)
{
    scmp_filter_ctx ctx = new_filter(arch, err);
    if (!ctx)
        return NULL;
    if (arch == SCMP_ARCH_NATIVE)
        arch = seccomp_arch_native();
    /* clone() for threads only: a new process (no CLONE_THREAD) is refused,
     * which stops os.fork(), subprocess and fork bombs. The flags are
     * clone's first argument on amd64 and arm64 alike. clone3's flags live
     * in memory a filter cannot read, so it reports "not implemented" and
     * the C library falls back to clone(). */
    const struct scmp_arg_cmp no_thread = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0);
    if (add_rule(ctx, arch, SCMP_ACT_ERRNO(EPERM), "fork", 0, NULL, err) != SS_ERR_OK ||
        add_rule(ctx, arch, SCMP_ACT_ERRNO(EPERM), "vfork", 0, NULL, err) != SS_ERR_OK ||
        add_rule(ctx, arch, SCMP_ACT_ERRNO(EPERM), "clone", 1, &no_thread, err) != SS_ERR_OK ||
        add_rule(ctx, arch, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL, err) != SS_ERR_OK) {
        seccomp_release(ctx);
        return NULL;
    }
    return ctx;
}

scmp_filter_ctx
sandbox_filter(enum sandbox_filter which, uint32_t arch, struct ss_error *err)
{
    return which == SANDBOX_FILTER_WORKER ? worker_filter(arch, err) : zygote_filter(arch, err);
}

/* Load the filter of this machine and free it. A system that cannot load
 * one at all (qemu-user refuses every seccomp filter, which would judge the
 * emulator's own calls) stops the skill, unless cfg says the filter is
 * optional: then the skill runs without it, and says so. */
static enum ss_err
load_filter(const struct sandbox_config *cfg, enum sandbox_filter which, struct ss_error *err)
{
    scmp_filter_ctx ctx = sandbox_filter(which, SCMP_ARCH_NATIVE, err);
    if (!ctx)
        return SS_ERR_IO;
    int e = seccomp_load(ctx);
    seccomp_release(ctx);
    if (e == 0)
        return SS_ERR_OK;
    if (!cfg->filter_optional)
        return ss_fail(err, SS_ERR_IO, "seccomp_load: %s", strerror(-e));
    fprintf(stderr,
            "warning: this system cannot load a seccomp filter (%s), and "
            "SKILLSERVER_ALLOW_NO_SECCOMP=1 lets the skill run without one: its system calls "
            "are not filtered\n",
            strerror(-e));
    return SS_ERR_OK;
}

enum ss_err
sandbox_confine_worker(const struct sandbox_config *cfg, struct ss_error *err)
{
    if (cfg->off)
        return SS_ERR_OK;
    return load_filter(cfg, SANDBOX_FILTER_WORKER, err);
}

static enum ss_err
namespace_error(struct ss_error *err)
{
    /* A process with more than one thread cannot enter a user namespace:
     * the worker has none of its own at this point, but an emulator does. */
    if (errno == EINVAL)
        return ss_fail(err, SS_ERR_IO,
                       "the kernel refused the namespaces that confine a skill, because this "
                       "process runs more than one thread (as under an emulator such as "
                       "qemu-user, which keeps a thread of its own)");
    return ss_fail(err, SS_ERR_IO,
                   "the kernel refused the namespaces that confine a skill (%s); skillserver "
                   "needs user namespaces when not run as root (Linux 5.10 or later, with "
                   "/proc/sys/user/max_user_namespaces above 0, and on Debian before 12 "
                   "kernel.unprivileged_userns_clone=1)",
                   strerror(errno));
}

/* Enter a user namespace of our own with the one identity we have, and the
 * capabilities it gives inside (dropped again before the skill runs). */
static enum ss_err
enter_user_namespace(int more_flags, struct ss_error *err)
{
    uid_t uid = geteuid();
    gid_t gid = getegid();
    /* A process that changed identity is not dumpable, and then cannot
     * write its own /proc/self/uid_map; it is made undumpable again later. */
    if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0)
        return ss_fail(err, SS_ERR_IO, "prctl(PR_SET_DUMPABLE): %s", strerror(errno));
    if (unshare(CLONE_NEWUSER | more_flags) != 0)
        return namespace_error(err);
    return map_identity(uid, gid, err);
}

static enum ss_err confine_process(const struct sandbox_config *cfg, bool with_init,
                                   const char *work_dir, struct ss_error *err);

/* In the confined child: everything after the fork. */
static enum ss_err
confine_child(const struct sandbox_config *cfg, bool root, uid_t uid, gid_t gid,
              const char *skill_dir, const char *work_dir, const char *skillkit_dir,
              struct ss_error *err)
{
    enum ss_err rc;

    if ((rc = build_root(skill_dir, skillkit_dir, err)) != SS_ERR_OK)
        return rc;
    if (sethostname("skill", 5) != 0)
        return ss_fail(err, SS_ERR_IO, "sethostname: %s", strerror(errno));
    /* Started as root, the namespaces above belong to the machine's root:
     * now become the skill's user (with nothing in the bounding set, so
     * nothing can be regained), and enter a user namespace of its own,
     * where its task limit counts only its own processes. Where the kernel
     * refuses that namespace to an unprivileged user (a sysctl, or
     * AppArmor's restriction on Ubuntu), the skill stays confined by the
     * other namespaces; only its task limit is shared with every process
     * of the same user. */
    if (root) {
        if ((rc = drop_bounding(err)) != SS_ERR_OK || (rc = drop_user(uid, gid, err)) != SS_ERR_OK)
            return rc;
        struct ss_error ns_err;
        if (enter_user_namespace(0, &ns_err) != SS_ERR_OK)
            fprintf(stderr,
                    "warning: %s; the task limit of this skill is shared with other "
                    "skills\n",
                    ns_err.msg);
    }
    return confine_process(cfg, true, work_dir, err);
}

/* What confines a process with or without namespaces: no capabilities,
 * the limits, no_new_privs, death with its parent, the working directory,
 * the zygote's filter. */
static enum ss_err
confine_process(const struct sandbox_config *cfg, bool with_init, const char *work_dir,
                struct ss_error *err)
{
    enum ss_err rc;

    if ((rc = drop_capabilities(err)) != SS_ERR_OK || (rc = apply_limits(err)) != SS_ERR_OK)
        return rc;
    /* A write past the file-size limit fails with EFBIG, as Python expects,
     * instead of killing the process (Python's own handlers are off). */
    signal(SIGXFSZ, SIG_IGN);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        return ss_fail(err, SS_ERR_IO, "prctl: %s", strerror(errno));
    /* Die with the monitor; and if the server is already gone, do not
     * start. Armed after the last identity change, which would clear it. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
        return ss_fail(err, SS_ERR_IO, "prctl(PR_SET_PDEATHSIG): %s", strerror(errno));
    struct pollfd life = {.fd = SANDBOX_LIFELINE_FD, .events = POLLIN};
    if (poll(&life, 1, 0) != 0)
        return ss_fail(err, SS_ERR_IO, "the server is gone");
    close(SANDBOX_LIFELINE_FD);
    /* In a PID namespace: a small init as PID 1, the zygote its child. */
    if (with_init && (rc = start_init(err)) != SS_ERR_OK)
        return rc;
    if (chdir(work_dir) != 0)
        return ss_fail(err, SS_ERR_IO,
                       "the skill's folder %s cannot be opened by its workers (%s): let everyone "
                       "read it, for example with chmod -R a+rX on the skill's folder",
                       work_dir, strerror(errno));
    return load_filter(cfg, SANDBOX_FILTER_ZYGOTE, err);
}

/* Whether the kernel refuses the namespaces of flags to this process: tried
 * in a child, which exits at once, since a half-made user namespace (one
 * the kernel made but would not map the identity into) cannot be left
 * again. The errno of the refusal, or 0. */
static int
namespaces_refused(bool root, int flags)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0)
        return errno;
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(pipefd[0]);
        close(pipefd[1]);
        return e;
    }
    if (pid == 0) {
        struct ss_error ignored;
        int e = 0;
        if (root ? unshare(flags) != 0 : enter_user_namespace(flags, &ignored) != SS_ERR_OK)
            e = errno ? errno : EPERM;
        ssize_t w = write(pipefd[1], &e, sizeof(e));
        _exit(w == (ssize_t)sizeof(e) ? 0 : 1);
    }
    close(pipefd[1]);
    int e = EPERM;
    ssize_t r;
    do
        r = read(pipefd[0], &e, sizeof(e));
    while (r < 0 && errno == EINTR);
    close(pipefd[0]);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    return r == (ssize_t)sizeof(e) ? e : EPERM;
}

/* sandbox_config.namespaces_optional, where the kernel refused them: the
 * skill's user (started as root), then what needs no namespace. */
static enum ss_err
confine_without_namespaces(const struct sandbox_config *cfg, bool root, uid_t uid, gid_t gid,
                           const char *work_dir, int refused, struct ss_error *err)
{
    enum ss_err rc;

    if (root &&
        ((rc = drop_bounding(err)) != SS_ERR_OK || (rc = drop_user(uid, gid, err)) != SS_ERR_OK))
        return rc;
    fprintf(stderr,
            "note: the kernel refuses the namespaces that confine a skill (%s), as AWS Lambda "
            "does (each function has a microVM of its own): this skill runs with its limits and "
            "system-call filter only, and sees the files%s of the runtime\n",
            strerror(refused), cfg->no_network ? " and the network" : "");
    return confine_process(cfg, false, work_dir, err);
}

enum ss_err
sandbox_enter(const struct sandbox_config *cfg, struct ss_error *err)
{
    enum ss_err rc;
    char skill_dir[PATH_MAX], work_dir[PATH_MAX], skillkit_dir[PATH_MAX];
    uid_t uid = geteuid();
    gid_t gid = getegid();
    bool root = uid == 0;
    const int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS |
                      (cfg->no_network ? CLONE_NEWNET : 0);

    if (cfg->off)
        return SS_ERR_OK;
    if (!realpath(cfg->skill_dir, skill_dir))
        return ss_fail(err, SS_ERR_IO, "cannot find %s: %s", cfg->skill_dir, strerror(errno));
    const char *wd = cfg->work_dir ? cfg->work_dir : cfg->skill_dir;
    size_t n = strlen(skill_dir);
    if (!realpath(wd, work_dir))
        return ss_fail(err, SS_ERR_IO, "cannot find %s: %s", wd, strerror(errno));
    if (strncmp(work_dir, skill_dir, n) != 0 || (work_dir[n] != '/' && work_dir[n] != '\0'))
        return ss_fail(err, SS_ERR_IO, "%s is not inside the skill's folder %s", work_dir,
                       skill_dir);
    if (!realpath(cfg->skillkit_dir, skillkit_dir))
        return ss_fail(err, SS_ERR_IO, "cannot find %s: %s", cfg->skillkit_dir, strerror(errno));

    /* As root, the file system is built with root's rights (so a skill
     * folder below a private home is still found) and the user changes
     * after; otherwise a user namespace gives the rights to build it. */
    if (root && (rc = find_user(cfg->user ? cfg->user : "nobody", &uid, &gid, err)) != SS_ERR_OK)
        return rc;
    int refused = cfg->namespaces_optional ? namespaces_refused(root, flags) : 0;
    if (refused)
        return confine_without_namespaces(cfg, root, uid, gid, work_dir, refused, err);
    if (root) {
        if (unshare(flags) != 0)
            return namespace_error(err);
    } else if ((rc = enter_user_namespace(flags, err)) != SS_ERR_OK) {
        return rc;
    }

    int status_pipe[2];
    if (pipe2(status_pipe, O_CLOEXEC) != 0)
        return ss_fail(err, SS_ERR_IO, "pipe: %s", strerror(errno));
    pid_t child = fork_keeping(status_pipe, err);
    if (child < 0)
        return SS_ERR_IO;
    if (child > 0) {
        close(status_pipe[1]);
        if (root && drop_user(uid, gid, err) != SS_ERR_OK) {
            kill(child, SIGKILL);
            _exit(2);
        }
        monitor(child, status_pipe[0]);
    }
    close(status_pipe[0]);
    zygote_status_fd = status_pipe[1];
    return confine_child(cfg, root, uid, gid, skill_dir, work_dir, skillkit_dir, err);
}
