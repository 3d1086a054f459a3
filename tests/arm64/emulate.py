"""Run a command where arm64 programs start like native ones, through qemu-user.

    python3 tests/arm64/emulate.py COMMAND [ARG...]

skillserver starts skillserver-worker, and the tests start skillserver: an
arm64 build under qemu-aarch64 hands those arm64 programs to the kernel,
which cannot run them unless binfmt_misc names qemu as their interpreter
(what Debian's qemu-user-binfmt does for the whole machine). Here that
registration lives in a user namespace of this command's own (Linux 6.7 or
later gives each user namespace its own binfmt_misc), so the machine is
left as it was and nothing outlives the command.

The namespace maps users 0 to 65535 onto the same users outside, so the
command runs as root (without any power outside the namespace) and
skillserver confines skills as it does when started as root, becoming
`nobody`. Needs root, since only root may map other users. Exits with the
command's status, 125 with a sentence when the namespace cannot be made.
"""
import ctypes
import os
import shutil
import signal
import sys

CLONE_NEWUSER = 0x10000000
CLONE_NEWNS = 0x00020000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
BINFMT = "/proc/sys/fs/binfmt_misc"

# An arm64 ELF executable (class 64-bit, little-endian, e_machine 183),
# written with the escapes binfmt_misc reads; the mask ignores the ABI
# version and the low bit of e_type (executables and PIEs alike). F: the
# kernel opens qemu now, so it is found from any mount namespace.
RULE = (r":qemu-aarch64:M::"
        r"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:"
        r"\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:"
        r"{qemu}:F")

libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                       ctypes.c_void_p]


def fail(msg):
    sys.stderr.write("emulate.py: " + msg + "\n")
    os._exit(125)


def child(go, ready, argv, qemu):
    if libc.unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0:
        fail("cannot make a user namespace: %s (is user.max_user_namespaces 0, or a "
             "container's seccomp profile in the way?)" % os.strerror(ctypes.get_errno()))
    os.write(ready, b"u")
    os.close(ready)
    if os.read(go, 1) != b"m":
        fail("the user mapping could not be written")
    if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        fail("cannot make the mounts private: %s" % os.strerror(ctypes.get_errno()))
    if libc.mount(b"binfmt_misc", BINFMT.encode(), b"binfmt_misc", 0, None) != 0:
        fail("cannot mount binfmt_misc in a user namespace (%s): that needs Linux 6.7 or "
             "later; on an older kernel, install qemu-user-binfmt so that the machine "
             "runs arm64 programs through qemu, and run the command directly"
             % os.strerror(ctypes.get_errno()))
    try:
        with open(BINFMT + "/register", "w") as f:
            f.write(RULE.format(qemu=qemu))
    except OSError as e:
        fail("cannot register qemu-aarch64 with binfmt_misc: %s" % e)
    try:
        os.execvp(argv[0], argv)
    except OSError as e:
        fail("cannot run %s: %s" % (argv[0], e))


def main():
    argv = sys.argv[1:]
    if not argv:
        sys.stderr.write(__doc__)
        return 2
    if os.geteuid() != 0:
        fail("run me as root: the namespace maps users 0 to 65535, which only root may do")
    qemu = shutil.which("qemu-aarch64")
    if not qemu:
        fail("qemu-aarch64 is missing: install qemu-user (make arm64-deps)")
    go_r, go_w = os.pipe()
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(go_w)
        os.close(ready_r)
        try:
            child(go_r, ready_w, argv, qemu)
        finally:
            os._exit(125)
    os.close(go_r)
    os.close(ready_w)
    # Ctrl-C reaches the command (the same process group); this process
    # only waits for it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    mapped = False
    if os.read(ready_r, 1) == b"u":
        try:
            for name in ("uid_map", "gid_map"):
                with open("/proc/%d/%s" % (pid, name), "w") as f:
                    f.write("0 0 65536")
            mapped = True
        except OSError as e:
            sys.stderr.write("emulate.py: cannot map users into the namespace: %s\n" % e)
    os.write(go_w, b"m" if mapped else b"x")
    os.close(go_w)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


if __name__ == "__main__":
    sys.exit(main())
