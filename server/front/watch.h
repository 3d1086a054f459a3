/*
 * watch.h - what `serve --dev` watches to reload a skill when one of its
 * files changes.
 *
 * Polling, not inotify: a stat of each file once a second costs little for
 * a skills folder, sees files in folders created after start-up, and works
 * on every file system an editor may save to.
 */
#ifndef SKILLSERVER_WATCH_H
#define SKILLSERVER_WATCH_H

#include <stdint.h>

/* A number that changes when a file in a skill folder under root changes,
 * appears or goes (0 when root cannot be read). */
uint64_t watch_fingerprint(const char *root);

#endif
