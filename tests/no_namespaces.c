/*
 * no_namespaces.c - run a command where the kernel refuses new namespaces,
 * as AWS Lambda's does (aws/containers-roadmap#2102): a seccomp filter that
 * makes unshare() and clone() with any CLONE_NEW* flag fail with EPERM, and
 * clone3() (whose flags a filter cannot read) fail with ENOSYS, so that
 * callers fall back to clone(). For the tests of
 * sandbox_config.namespaces_optional.
 *
 *   no_namespaces COMMAND [ARG...]
 */
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: no_namespaces COMMAND [ARG...]\n");
        return 2;
    }
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    int rc = ctx ? 0 : -ENOMEM;
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 0);
    /* One rule per flag: a rule compares masked bits for equality, so "any
     * of them" takes one each. */
    static const unsigned long flags[] = {CLONE_NEWNS,  CLONE_NEWCGROUP, CLONE_NEWUTS,
                                          CLONE_NEWIPC, CLONE_NEWUSER,   CLONE_NEWPID,
                                          CLONE_NEWNET};
    for (size_t i = 0; rc == 0 && i < sizeof(flags) / sizeof(flags[0]); i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, flags[i], flags[i]));
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    if (rc == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        rc = -errno;
    if (rc == 0)
        rc = seccomp_load(ctx);
    seccomp_release(ctx);
    if (rc != 0) {
        fprintf(stderr, "no_namespaces: cannot install the filter: %s\n", strerror(-rc));
        return 2;
    }
    execvp(argv[1], argv + 1);
    fprintf(stderr, "no_namespaces: cannot run %s: %s\n", argv[1], strerror(errno));
    return 127;
}
