/*
 * pidfd.h - processes the front did not start itself, named by the kernel.
 *
 * A skill's workers are forked by its zygote inside the skill's PID
 * namespace, so they are not the front's children and their pid numbers
 * come from a process the front does not trust. The zygote hands over a
 * pidfd instead; these functions check with the kernel that a descriptor
 * really is one and which process it names, and signal or wait for that
 * exact process, which a reused pid number can never redirect.
 */
#ifndef SKILLSERVER_PIDFD_H
#define SKILLSERVER_PIDFD_H

#include <stdbool.h>
#include <sys/types.h>

/* A pidfd for pid (a process this one can see), or -1 with errno set. */
int pidfd_of(pid_t pid);

/* The pid (in this process's PID namespace) of the process fd names, asked
 * of the kernel (/proc/self/fdinfo). -1 when fd is not a pidfd, or when the
 * process has ended (or lives in a namespace this one cannot see). */
pid_t pidfd_verify(int fd);

/* Send sig to the process fd names; 0 or -1 with errno set. */
int pidfd_signal(int fd, int sig);

/* Wait up to timeout_ms (-1: no limit) for the process to end. True when it
 * has ended. */
bool pidfd_wait_exit(int fd, int timeout_ms);

#endif
