/* test_pidfd.c - the kernel's word on which process a descriptor names. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pidfd.h"
#include "proto.h"
#include "tap.h"

int
main(void)
{
    int p[2];

    /* Descriptors that are not pidfds are refused. */
    ok(pipe(p) == 0, "a pipe");
    is_int(pidfd_verify(p[0]), -1, "a pipe is not a pidfd");
    close(p[0]);
    close(p[1]);
    is_int(pidfd_verify(-1), -1, "no descriptor");
    is_int(pidfd_verify(999), -1, "a closed descriptor");
    int sv[2];
    ok(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "a socket");
    is_int(pidfd_verify(sv[0]), -1, "a socket is not a pidfd");
    close(sv[0]);
    close(sv[1]);

    /* A live child: its pid; signalled through the pidfd; then gone. */
    pid_t child = fork();
    if (child == 0) {
        pause();
        _exit(0);
    }
    int fd = pidfd_of(child);
    ok(fd >= 0, "pidfd_of a child");
    is_int(pidfd_verify(fd), child, "names the child");
    ok(!pidfd_wait_exit(fd, 50), "not ended yet");
    is_int(pidfd_signal(fd, SIGKILL), 0, "signalled through the pidfd");
    ok(pidfd_wait_exit(fd, 5000), "ended");
    int status;
    is_int(waitpid(child, &status, 0), child, "reaped");
    ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "killed by the signal sent");
    is_int(pidfd_verify(fd), -1, "an ended process is refused");
    /* Its number may be reused by now; the pidfd never reaches another
     * process. */
    ok(pidfd_signal(fd, SIGKILL) != 0, "signalling an ended process fails");
    close(fd);

    /* A process this one can see, named by its number in this namespace. */
    fd = pidfd_of(getpid());
    is_int(pidfd_verify(fd), getpid(), "this process");
    close(fd);

    char how[128];
    proto_exit_text(0x0b, how, sizeof(how));
    contains(how, "signal 11", "exit text names the signal");
    proto_exit_text(3 << 8, how, sizeof(how));
    is_str(how, "exited with status 3", "exit text gives the status");
    return tap_done();
}
