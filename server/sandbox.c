/*
 * sandbox.c - confining a skill worker (see sandbox.h).
 *
 * Order matters: limits first, then the identity change (which needs
 * privileges), then no_new_privs and the death signal (the kernel clears
 * the death signal on a credential change), and the seccomp filter last,
 * since it forbids the identity calls made before it.
 */
#include "sandbox.h"

#include <errno.h>
#include <grp.h>
#include <linux/sched.h>
#include <pwd.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ss_limits.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

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
    if (set_limit(RLIMIT_CPU, LIMIT_WORKER_CPU_SECONDS) != 0 ||
        set_limit(RLIMIT_NOFILE, LIMIT_WORKER_FILES) != 0 ||
        set_limit(RLIMIT_FSIZE, LIMIT_WORKER_FILE_BYTES) != 0 || set_limit(RLIMIT_CORE, 0) != 0)
        return ss_fail(err, SS_ERR_IO, "setrlimit: %s", strerror(errno));
    return SS_ERR_OK;
}

static enum ss_err
drop_user(const char *user, struct ss_error *err)
{
    if (geteuid() != 0)
        return SS_ERR_OK;
    struct passwd *pw = getpwnam(user);
    if (!pw)
        return ss_fail(err, SS_ERR_IO, "there is no user '%s' to run skills as", user);
    if (pw->pw_uid == 0)
        return ss_fail(err, SS_ERR_IO, "skills may not run as root (user '%s')", user);
    if (setgroups(0, NULL) != 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
        setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0)
        return ss_fail(err, SS_ERR_IO, "cannot become user '%s': %s", user, strerror(errno));
    if (setuid(0) == 0)
        return ss_fail(err, SS_ERR_IO, "dropping privileges did not stick");
    return SS_ERR_OK;
}

static enum ss_err
apply_filter(struct ss_error *err)
{
    static const int denied[] = {
        SCMP_SYS(execve),
        SCMP_SYS(execveat),
        SCMP_SYS(fork),
        SCMP_SYS(vfork),
        SCMP_SYS(ptrace),
        SCMP_SYS(process_vm_readv),
        SCMP_SYS(process_vm_writev),
        SCMP_SYS(mount),
        SCMP_SYS(umount2),
        SCMP_SYS(pivot_root),
        SCMP_SYS(chroot),
        SCMP_SYS(setns),
        SCMP_SYS(unshare),
        SCMP_SYS(kexec_load),
        SCMP_SYS(kexec_file_load),
        SCMP_SYS(init_module),
        SCMP_SYS(finit_module),
        SCMP_SYS(delete_module),
        SCMP_SYS(reboot),
        SCMP_SYS(swapon),
        SCMP_SYS(swapoff),
        SCMP_SYS(bpf),
        SCMP_SYS(perf_event_open),
        SCMP_SYS(keyctl),
        SCMP_SYS(add_key),
        SCMP_SYS(request_key),
        SCMP_SYS(acct),
        SCMP_SYS(settimeofday),
        SCMP_SYS(clock_settime),
        SCMP_SYS(clock_adjtime),
        SCMP_SYS(adjtimex),
        SCMP_SYS(setuid),
        SCMP_SYS(setgid),
        SCMP_SYS(setreuid),
        SCMP_SYS(setregid),
        SCMP_SYS(setresuid),
        SCMP_SYS(setresgid),
        SCMP_SYS(setgroups),
        SCMP_SYS(setfsuid),
        SCMP_SYS(setfsgid),
        SCMP_SYS(userfaultfd),
        SCMP_SYS(personality),
        SCMP_SYS(syslog),
        SCMP_SYS(quotactl),
        SCMP_SYS(name_to_handle_at),
        SCMP_SYS(open_by_handle_at),
        SCMP_SYS(lookup_dcookie),
        SCMP_SYS(iopl),
        SCMP_SYS(ioperm),
    };
    enum ss_err rc = SS_ERR_OK;
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);

    if (!ctx)
        return ss_fail(err, SS_ERR_IO, "seccomp_init failed");
    for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
        if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), denied[i], 0) != 0) {
            rc = ss_fail(err, SS_ERR_IO, "seccomp rule for syscall %d failed", denied[i]);
            goto out;
        }
    }
    /* clone() for threads only: a new process (no CLONE_THREAD) is refused,
     * which stops os.fork(), subprocess and fork bombs. clone3's flags live
     * in memory a filter cannot read, so it reports "not implemented" and
     * the C library falls back to clone(). */
    if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                         SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0)) != 0 ||
        seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) != 0) {
        rc = ss_fail(err, SS_ERR_IO, "seccomp rule for clone failed");
        goto out;
    }
    int e = seccomp_load(ctx);
    if (e != 0)
        rc = ss_fail(err, SS_ERR_IO, "seccomp_load: %s", strerror(-e));
out:
    seccomp_release(ctx);
    return rc;
}

enum ss_err
sandbox_apply(const struct sandbox_config *cfg, struct ss_error *err)
{
    enum ss_err rc;
    pid_t parent = getppid();

    if (cfg->off)
        return SS_ERR_OK;
    if ((rc = apply_limits(err)) != SS_ERR_OK ||
        (rc = drop_user(cfg->user ? cfg->user : "nobody", err)) != SS_ERR_OK)
        return rc;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 ||
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
        return ss_fail(err, SS_ERR_IO, "prctl: %s", strerror(errno));
    /* The server may have died before the death signal was armed. */
    if (getppid() != parent)
        return ss_fail(err, SS_ERR_IO, "the server is gone");
    return cfg->allow_fork ? SS_ERR_OK : apply_filter(err);
}
