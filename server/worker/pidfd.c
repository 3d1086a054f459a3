/*
 * pidfd.c - checking, signalling and waiting on pidfds (see pidfd.h).
 */
#include "pidfd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int
pidfd_of(pid_t pid)
{
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

pid_t
pidfd_verify(int fd)
{
    char path[64], link[64], info[1024];

    if (fd < 0)
        return -1;
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, link, sizeof(link) - 1);
    if (n <= 0)
        return -1;
    link[n] = '\0';
    if (strcmp(link, "anon_inode:[pidfd]") != 0)
        return -1;
    snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
    int info_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (info_fd < 0)
        return -1;
    n = read(info_fd, info, sizeof(info) - 1);
    close(info_fd);
    if (n <= 0)
        return -1;
    info[n] = '\0';
    /* "Pid:\t1234": 0 for a process outside this namespace's view, -1 for
     * one that has ended. */
    const char *p = strstr(info, "\nPid:\t");
    if (!p)
        return -1;
    char *end;
    long pid = strtol(p + 6, &end, 10);
    if (end == p + 6 || pid <= 1)
        return -1;
    return (pid_t)pid;
}

int
pidfd_signal(int fd, int sig)
{
    return (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
}

bool
pidfd_wait_exit(int fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    for (;;) {
        int r = poll(&p, 1, timeout_ms);
        if (r > 0)
            return true;
        if (r == 0)
            return false;
        if (errno != EINTR)
            return true; /* not a pidfd any more: nothing to wait for */
    }
}
