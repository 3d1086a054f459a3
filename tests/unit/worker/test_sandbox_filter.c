/*
 * test_sandbox_filter.c - the sandbox's seccomp filters, as the kernel
 * would run them, for amd64 and arm64 on whichever machine runs the test.
 *
 * Each filter is built for one architecture, exported as classic BPF and
 * run here by a small interpreter over the kernel's struct seccomp_data.
 * The system call numbers below are the kernel's (arch/x86/entry/syscalls/
 * syscall_64.tbl, include/uapi/asm-generic/unistd.h for arm64), written out
 * rather than taken from libseccomp, whose tables the filter itself uses.
 * So a filter that names the wrong number, checks the wrong architecture or
 * lets a foreign one through fails here, even where it cannot be loaded
 * (under qemu-user).
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "sandbox.h"
#include "tap.h"

#define MAX_INSNS 4096

struct program {
    struct sock_filter insn[MAX_INSNS];
    size_t len;
};

/* Export ctx's BPF through a temporary file. */
static int export(scmp_filter_ctx ctx, struct program *prog)
{
    FILE *f = tmpfile();
    if (!f)
        return -1;
    int rc = -1;
    if (seccomp_export_bpf(ctx, fileno(f)) == 0 && fseek(f, 0, SEEK_SET) == 0) {
        prog->len = fread(prog->insn, sizeof(prog->insn[0]), MAX_INSNS, f);
        rc = prog->len > 0 && prog->len < MAX_INSNS ? 0 : -1;
    }
    fclose(f);
    return rc;
}

/* What the kernel would answer: the filter's return value, or 0xdead when
 * the program is one the kernel would refuse (a jump or load out of range,
 * an instruction seccomp does not allow). */
#define BAD_PROGRAM 0xdeadu

static uint32_t
run(const struct program *prog, const struct seccomp_data *data)
{
    uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {0};
    size_t pc = 0;
    for (unsigned steps = 0; pc < prog->len && steps < MAX_INSNS; steps++) {
        const struct sock_filter *i = &prog->insn[pc++];
        uint32_t src = BPF_SRC(i->code) == BPF_X ? x : i->k;
        switch (BPF_CLASS(i->code)) {
        case BPF_LD:
            if (i->code == (BPF_LD | BPF_W | BPF_ABS)) {
                if (i->k % 4 || i->k + 4 > sizeof(*data))
                    return BAD_PROGRAM;
                memcpy(&a, (const char *)data + i->k, 4);
            } else if (i->code == (BPF_LD | BPF_MEM) && i->k < BPF_MEMWORDS) {
                a = mem[i->k];
            } else if (i->code == (BPF_LD | BPF_IMM)) {
                a = i->k;
            } else {
                return BAD_PROGRAM;
            }
            break;
        case BPF_LDX:
            if (i->code == (BPF_LDX | BPF_MEM) && i->k < BPF_MEMWORDS)
                x = mem[i->k];
            else if (i->code == (BPF_LDX | BPF_IMM))
                x = i->k;
            else
                return BAD_PROGRAM;
            break;
        case BPF_ST:
        case BPF_STX:
            if (i->k >= BPF_MEMWORDS)
                return BAD_PROGRAM;
            mem[i->k] = BPF_CLASS(i->code) == BPF_ST ? a : x;
            break;
        case BPF_ALU:
            switch (BPF_OP(i->code)) {
            case BPF_ADD:
                a += src;
                break;
            case BPF_SUB:
                a -= src;
                break;
            case BPF_AND:
                a &= src;
                break;
            case BPF_OR:
                a |= src;
                break;
            case BPF_XOR:
                a ^= src;
                break;
            case BPF_LSH:
                a = src < 32 ? a << src : 0;
                break;
            case BPF_RSH:
                a = src < 32 ? a >> src : 0;
                break;
            case BPF_NEG:
                a = -a;
                break;
            default:
                return BAD_PROGRAM;
            }
            break;
        case BPF_JMP: {
            bool taken;
            if (BPF_OP(i->code) == BPF_JA) {
                pc += i->k;
                break;
            }
            switch (BPF_OP(i->code)) {
            case BPF_JEQ:
                taken = a == src;
                break;
            case BPF_JGT:
                taken = a > src;
                break;
            case BPF_JGE:
                taken = a >= src;
                break;
            case BPF_JSET:
                taken = (a & src) != 0;
                break;
            default:
                return BAD_PROGRAM;
            }
            pc += taken ? i->jt : i->jf;
            break;
        }
        case BPF_RET:
            return BPF_RVAL(i->code) == BPF_A ? a : i->k;
        case BPF_MISC:
            if (BPF_MISCOP(i->code) == BPF_TAX)
                x = a;
            else
                a = x;
            break;
        default:
            return BAD_PROGRAM;
        }
    }
    return BAD_PROGRAM;
}

static uint32_t
call(const struct program *prog, uint32_t audit_arch, int nr, uint64_t arg0, uint64_t arg1)
{
    struct seccomp_data d = {.nr = nr, .arch = audit_arch, .args = {arg0, arg1}};
    return run(prog, &d);
}

#define EPERM_RET (SECCOMP_RET_ERRNO | EPERM)
#define ENOSYS_RET (SECCOMP_RET_ERRNO | ENOSYS)

static bool
kills(uint32_t ret)
{
    uint32_t action = ret & SECCOMP_RET_ACTION_FULL;
    return action == SECCOMP_RET_KILL_THREAD || action == SECCOMP_RET_KILL_PROCESS;
}

/* One architecture's numbers, from the kernel's tables. */
struct arch_case {
    const char *name;
    uint32_t scmp_arch;
    uint32_t audit_arch;
    uint32_t foreign_audit_arch; /* a 32-bit ABI the same CPU can run */
    int read, write, openat, mmap, ioctl, clone, clone3, fork, vfork;
    int refused[12]; /* calls the zygote's filter must refuse, 0-ended */
};

static const struct arch_case arches[] = {
    {"amd64",
     SCMP_ARCH_X86_64,
     AUDIT_ARCH_X86_64,
     AUDIT_ARCH_I386,
     0,
     1,
     257,
     9,
     16,
     56,
     435,
     57,
     58,
     /* execve, execveat, ptrace, mount, unshare, setns, bpf, setuid, listen,
      * io_uring_setup, iopl */
     {59, 322, 101, 165, 272, 308, 321, 105, 50, 425, 172, 0}},
    {"arm64",
     SCMP_ARCH_AARCH64,
     AUDIT_ARCH_AARCH64,
     AUDIT_ARCH_ARM,
     63,
     64,
     56,
     222,
     29,
     220,
     435,
     -1,
     -1,
     /* execve, execveat, ptrace, mount, unshare, setns, bpf, setuid, listen,
      * io_uring_setup, personality */
     {221, 281, 117, 40, 97, 268, 280, 146, 201, 425, 92, 0}},
};

static void
check_arch(const struct arch_case *c)
{
    struct ss_error err;
    static struct program zygote, worker;
    scmp_filter_ctx z = sandbox_filter(SANDBOX_FILTER_ZYGOTE, c->scmp_arch, &err);
    ok(z != NULL, "%s: the zygote's filter is built", c->name);
    if (!z) {
        printf("# %s\n", err.msg);
        return;
    }
    ok(export(z, &zygote) == 0, "%s: exported", c->name);
    seccomp_release(z);
    scmp_filter_ctx w = sandbox_filter(SANDBOX_FILTER_WORKER, c->scmp_arch, &err);
    ok(w != NULL, "%s: the worker's filter is built (with no fork on arm64)", c->name);
    if (!w) {
        printf("# %s\n", err.msg);
        return;
    }
    ok(export(w, &worker) == 0, "%s: exported", c->name);
    seccomp_release(w);

    uint32_t arch = c->audit_arch;
    const struct program *zp = &zygote, *wp = &worker;
    is_int(call(zp, arch, c->read, 0, 0), SECCOMP_RET_ALLOW, "%s: read is allowed", c->name);
    is_int(call(zp, arch, c->write, 1, 0), SECCOMP_RET_ALLOW, "%s: write is allowed", c->name);
    is_int(call(zp, arch, c->openat, 0, 0), SECCOMP_RET_ALLOW, "%s: openat is allowed", c->name);
    is_int(call(zp, arch, c->mmap, 0, 0), SECCOMP_RET_ALLOW, "%s: mmap is allowed", c->name);
    for (int i = 0; c->refused[i]; i++)
        is_int(call(zp, arch, c->refused[i], 0, 0), EPERM_RET, "%s: call %d is refused", c->name,
               c->refused[i]);
    is_int(call(zp, arch, c->ioctl, 0, TIOCSTI), EPERM_RET, "%s: ioctl TIOCSTI is refused",
           c->name);
    is_int(call(zp, arch, c->ioctl, 0, 0xffffffff00000000ULL | TIOCSTI), EPERM_RET,
           "%s: TIOCSTI with high bits set is refused too", c->name);
    is_int(call(zp, arch, c->ioctl, 0, TIOCLINUX), EPERM_RET, "%s: ioctl TIOCLINUX is refused",
           c->name);
    is_int(call(zp, arch, c->ioctl, 0, TCGETS), SECCOMP_RET_ALLOW, "%s: ioctl TCGETS is allowed",
           c->name);
    /* Another ABI's numbering means other calls: the process is killed. */
    ok(kills(call(zp, c->foreign_audit_arch, c->read, 0, 0)),
       "%s: a call of the 32-bit ABI kills the process", c->name);
    ok(kills(call(zp, AUDIT_ARCH_X86_64 + AUDIT_ARCH_AARCH64 - arch, c->read, 0, 0)),
       "%s: a call of the other 64-bit architecture kills the process", c->name);
    if (c->audit_arch == AUDIT_ARCH_X86_64)
        ok(call(zp, arch, 0x40000000 | 520, 0, 0) != SECCOMP_RET_ALLOW,
           "%s: x32's execve is not allowed", c->name);

    /* The worker's filter: threads yes, processes no. */
    const uint64_t thread = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                            CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |
                            CLONE_CHILD_CLEARTID;
    is_int(call(wp, arch, c->clone, thread, 0), SECCOMP_RET_ALLOW, "%s: a thread may start",
           c->name);
    is_int(call(wp, arch, c->clone, SIGCHLD, 0), EPERM_RET, "%s: clone for fork() is refused",
           c->name);
    is_int(call(wp, arch, c->clone, CLONE_VM | CLONE_VFORK | SIGCHLD, 0), EPERM_RET,
           "%s: clone for vfork() is refused", c->name);
    is_int(call(wp, arch, c->clone3, 0, 0), ENOSYS_RET, "%s: clone3 says not implemented", c->name);
    if (c->fork >= 0) {
        is_int(call(wp, arch, c->fork, 0, 0), EPERM_RET, "%s: fork is refused", c->name);
        is_int(call(wp, arch, c->vfork, 0, 0), EPERM_RET, "%s: vfork is refused", c->name);
    }
    is_int(call(wp, arch, c->read, 0, 0), SECCOMP_RET_ALLOW, "%s: the worker may read", c->name);
    ok(kills(call(wp, c->foreign_audit_arch, c->clone, SIGCHLD, 0)),
       "%s: the worker's filter kills a 32-bit call too", c->name);
}

int
main(void)
{
    for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++)
        check_arch(&arches[i]);

    /* This machine's filter is the one built for its own architecture. */
    struct ss_error err;
    static struct program native, named;
    uint32_t self = seccomp_arch_native();
    scmp_filter_ctx a = sandbox_filter(SANDBOX_FILTER_ZYGOTE, SCMP_ARCH_NATIVE, &err);
    scmp_filter_ctx b = sandbox_filter(SANDBOX_FILTER_ZYGOTE, self, &err);
    ok(a && b && export(a, &native) == 0 && export(b, &named) == 0,
       "the native filter and the one named for this architecture are built");
    ok(native.len == named.len && memcmp(native.insn, named.insn, native.len * 8) == 0,
       "and they are the same program");
    if (a)
        seccomp_release(a);
    if (b)
        seccomp_release(b);
    return tap_done();
}
