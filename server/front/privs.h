/*
 * privs.h - the front's own protection.
 *
 * The front holds the TLS key, the users' attributes and, when started as
 * root, root's power. privs_protect() makes it undumpable (no core file,
 * no /proc/PID/mem or environ for processes of the same user, no ptrace
 * attach). privs_drop() is called by serve after its sockets are bound and
 * its key is read: started as root, it hands the folders it still writes
 * to an unprivileged user and becomes that user for good, keeping one
 * capability, CAP_DAC_READ_SEARCH (to read the skills wherever they are).
 */
#ifndef SKILLSERVER_PRIVS_H
#define SKILLSERVER_PRIVS_H

#include <stddef.h>

#include "error.h"

/* The user serve and the skills run as when started as root. */
#define PRIVS_USER_DEFAULT "nobody"

/* Not dumpable; call first thing in main. Errors: SS_ERR_IO. */
enum ss_err privs_protect(struct ss_error *err);

/*
 * When running as root: give each folder of dirs (NULL entries and missing
 * folders are skipped), and the files directly in it, to user, then become
 * user (every id of every thread, no supplementary groups) and check that
 * root cannot be had back. Does nothing when not root. Errors: SS_ERR_USAGE
 * for an unknown user or root, SS_ERR_IO when a step failed.
 */
enum ss_err privs_drop(const char *user, const char *const *dirs, size_t ndirs,
                       struct ss_error *err);

#endif
