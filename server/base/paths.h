/*
 * paths.h - where skillserver's own files are: the worker program, the
 * skillkit package and the default skills and data folders.
 *
 * skillserver runs either from its build tree (build/server/skillserver,
 * with skillserver-worker beside it and skillkit in the source tree) or
 * from an installation, wherever it was put. An installation is recognised
 * from the running binary's own path (/proc/self/exe): when the binary is
 * PREFIX/BINDIR/skillserver and PREFIX/LIBEXECDIR/skillserver/skillserver-worker
 * exists, every other file is found under that PREFIX, so a staged
 * (DESTDIR) or moved installation works and nothing depends on the checkout
 * it was built from. BINDIR, LIBEXECDIR and the Python folder are meson's
 * (relative to the prefix); see server/base/meson.build.
 *
 * Defaults of the folders: a build tree keeps ./skills and ./data (the
 * working directory's, as `make run` expects); an installation uses the
 * state folder systemd gives the service ($STATE_DIRECTORY) or, without
 * one, /var/lib/skillserver for an installation under /usr (a package) and
 * PREFIX/var/lib/skillserver for any other: STATE/skills and STATE/data.
 */
#ifndef SKILLSERVER_PATHS_H
#define SKILLSERVER_PATHS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* The worker program's name, and its folder below LIBEXECDIR when installed. */
#define PATHS_WORKER_PROGRAM "skillserver-worker"
#define PATHS_PACKAGE "skillserver"

/* Whether this binary runs from an installation (see above). */
bool paths_installed(void);

/* The folder holding the skillkit package: PREFIX/PYTHONDIR when installed,
 * the source tree's server/worker in a build tree. Never NULL. */
const char *paths_skillkit_dir(void);

/* The absolute path of the worker program into buf. Errors: SS_ERR_IO,
 * saying why (missing, not executable, or the path does not fit). */
enum ss_err paths_worker(char *buf, size_t cap, struct ss_error *err);

/* The default skills and data folders (see above). Never NULL. */
const char *paths_default_skills(void);
const char *paths_default_data(void);

/* The configuration file read by default (options.h): an installation's,
 * /etc/skillserver/skillserver.conf under /usr (a package) and
 * PREFIX/etc/skillserver/skillserver.conf for any other; NULL in a build
 * tree, which reads one only when told (--config, $SKILLSERVER_CONFIG). */
const char *paths_default_config(void);

#endif
