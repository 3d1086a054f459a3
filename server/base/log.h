/*
 * log.h - the operator's log: one line per event on stderr.
 *
 * Lines are written with a single write() each, so lines from several
 * threads never interleave. Everything goes to stderr: a terminal or a
 * service manager owns it, and `invoke` keeps stdout for the response.
 *
 * What must stay true: every byte that reaches the log passes log_escape()
 * on its way (log_line() does it), so text from a client or a skill (a
 * requestId, a header, a line a skill prints) can never put a control byte
 * (but a tab) on the operator's terminal, end a record early, or start a
 * record of its own: the only raw newline in the log is the one after each
 * record.
 */
#ifndef SKILLSERVER_LOG_H
#define SKILLSERVER_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Lines below level are dropped (default LOG_INFO). Call before threads start. */
void log_set_level(enum log_level level);

/* "skillserver: warning: ..." (escaped like every line; see log_line()) */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A line a skill printed, or its traceback: "[skill id] text", one log line
 * per line of text. request_id may be NULL; an id with anything but letters,
 * digits and ".:_-" in it is shown as a quoted JSON string, so it cannot pose
 * as the end of the prefix. */
void log_skill(const char *skill, const char *request_id, const char *text);

/* Write one line (a newline is added), escaped in LOG_ESCAPE_TEXT mode; len < 0:
 * strlen(line). An access-log record escaped in LOG_ESCAPE_JSON mode passes
 * unchanged. */
void log_line(const char *line, int len);

enum log_escape_mode {
    /* For a line of text: control bytes become \n, \r or \u00XX and bytes
     * that are not UTF-8 \xHH; backslashes and quotes stay as they are, so a
     * traceback reads as written (the escapes are for safety, not to be
     * undone). A tab stays a tab: it neither ends a record nor moves the
     * cursor anywhere a space could not, and AWS Lambda's log format
     * ("[INFO]\tTIME\tREQUEST-ID\tmessage") separates its fields with it. */
    LOG_ESCAPE_TEXT,
    /* For the inside of a JSON string: as TEXT, and tabs (\t), quotes and
     * backslashes are escaped, and a byte that is not UTF-8 becomes \ufffd. */
    LOG_ESCAPE_JSON,
};

/*
 * Copy src into dst[0..cap) for the log, stopping at src's NUL, after
 * max_src bytes of src (never in the middle of a UTF-8 sequence), or when
 * the next character or escape does not fit. Escaped besides the mode's
 * rules: C1 controls (U+0080..U+009F, which some terminals obey), the line
 * and paragraph separators U+2028 and U+2029, and the bidirectional
 * overrides that reorder how a line looks (U+200E, U+200F, U+202A..U+202E,
 * U+2066..U+2069), as \uXXXX. Returns the bytes written; dst is
 * NUL-terminated when cap > 0. Pure and thread-safe.
 */
size_t log_escape(char *dst, size_t cap, const char *src, size_t max_src,
                  enum log_escape_mode mode);

#endif
