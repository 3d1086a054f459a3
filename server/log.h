/*
 * log.h - the operator's log: one line per event on stderr.
 *
 * Lines are written with a single write() each, so lines from several
 * threads never interleave. Everything goes to stderr: a terminal or a
 * service manager owns it, and `invoke` keeps stdout for the response.
 */
#ifndef SKILLSERVER_LOG_H
#define SKILLSERVER_LOG_H

#include <stdbool.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Lines below level are dropped (default LOG_INFO). Call before threads start. */
void log_set_level(enum log_level level);

/* "skillserver: warning: ..." */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A line a skill printed, or its traceback: "[skill] text", one log line per
 * line of text. request_id may be NULL. */
void log_skill(const char *skill, const char *request_id, const char *text);

/* Write one already formatted line (a newline is added). */
void log_line(const char *line, int len);

#endif
