/*
 * watch.h - what `serve --dev` watches to reload the skills when one of
 * their files changes (see watch.c for which files).
 *
 * Polling, not inotify: a stat() of each file once a second costs little
 * for a skills folder, sees files in folders made after start-up, and works
 * on every file system an editor may save to.
 */
#ifndef SKILLSERVER_WATCH_H
#define SKILLSERVER_WATCH_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A number that changes when a file that can define a skill under the
 * skills folder root changes (its time or size), appears, goes or moves; 0
 * when root cannot be read. *truncated (may be NULL) is set when a skill
 * has more files or deeper folders than the watch looks at, so that a
 * change among the rest would go unnoticed.
 */
uint64_t watch_fingerprint(const char *root, bool *truncated);

/* The same for one skill's folder dir (its files, as watch_fingerprint() walks
 * each skill), so a reload can tell which skills changed. */
uint64_t watch_skill_fingerprint(const char *dir, bool *truncated);

#endif
