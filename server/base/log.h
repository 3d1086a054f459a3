/*
 * log.h - the operator's log: one record per event on stderr (or journald).
 *
 * A record is written with a single write() (or one datagram to journald),
 * so records from several threads never interleave. Everything goes to
 * stderr: a terminal or a service manager owns it, and `invoke` keeps stdout
 * for the response.
 *
 * Three formats, chosen once per process by log_setup():
 *   text     for a person: "skillserver: warning: ...", a skill's lines as
 *            "[skill request-id] text"; access records stay JSON lines.
 *   json     one JSON object per line: "time" (RFC 3339, UTC, milliseconds),
 *            "level" (debug, info, warning, error), "source" (server,
 *            access or skill), "request_id" (Alexa's requestId) where there
 *            is one, "skill" where one is concerned, the fields of the
 *            record, and "msg" last.
 *   journal  journald's native protocol: MESSAGE=, PRIORITY=,
 *            SYSLOG_IDENTIFIER=skillserver, SKILLSERVER_SOURCE= and every
 *            field as SKILLSERVER_NAME= (requestId becomes
 *            SKILLSERVER_REQUEST_ID).
 *
 * What must stay true: every byte from a client or a skill that reaches the
 * log passes log_escape() on its way, so text from a client or a skill (a
 * requestId, a header, a line a skill prints) can never put a control byte
 * (but a tab) on the operator's terminal, end a record early, or start a
 * record of its own: the only raw newline in the log is the one after each
 * record, and a JSON record is valid JSON whatever the text in it.
 */
#ifndef SKILLSERVER_LOG_H
#define SKILLSERVER_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include "ss_limits.h"

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON, LOG_FORMAT_JOURNAL };

/* Lines below level are dropped (default LOG_INFO). Call before threads start. */
void log_set_level(enum log_level level);

/*
 * Choose the format, before threads start. SKILLSERVER_LOG_FORMAT (text,
 * json or journal) decides when it is set. Otherwise a command a person runs
 * (service false) writes text; a service (serve) writes journal when stderr
 * is the stream journald gave it (JOURNAL_STREAM names stderr's device and
 * inode), text when stderr is a terminal, and json otherwise. journal falls
 * back to json when journald's socket cannot be reached. Returns the format
 * in use; an unknown SKILLSERVER_LOG_FORMAT is reported (as a warning, in the
 * format chosen without it) and ignored.
 */
enum log_format log_setup(bool service);

/* Use format f from now on; journal records go as datagrams to
 * journal_socket (NULL: journald's own). Returns -1 (format unchanged) when
 * the journal's socket cannot be reached. For log_setup() and tests. */
int log_use_format(enum log_format f, const char *journal_socket);

enum log_format log_current_format(void);

/* An operator's message: text "skillserver: warning: ...", or a record of
 * source "server". */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* An operator's message about one request of a skill (skill and request_id
 * may be NULL): text "skillserver: warning: SKILL ID: ...", or a record of
 * source "server" with "skill" and "request_id". */
void log_request_msg(enum log_level level, const char *skill, const char *request_id,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* An operator's message about a skill (its text names the skill): text as
 * log_msg()'s, or a record of source "server" with "skill". */
void log_skill_msg(enum log_level level, const char *skill, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A line a skill printed (LOG_INFO), or its traceback (LOG_ERROR), one
 * record per line of text: text "[skill id] text", or a record of source
 * "skill" with "skill", "request_id" and the line as "msg". request_id may be
 * NULL; in text, an id with anything but letters, digits and ".:_-" in it is
 * shown as a quoted JSON string, so it cannot pose as the end of the
 * prefix. */
void log_skill(enum log_level level, const char *skill, const char *request_id, const char *text);

/*
 * A structured record (the access log's), built on the stack and written
 * with log_record_end(): JSON in the text and json formats, journald's
 * fields in journal. Fields that do not fit are left out and the record is
 * marked "cut" (json) or SKILLSERVER_CUT=1 (journal); msg is cut to what is
 * left. Nothing is allocated; the record is LIMIT_LOG_LINE_BYTES at most.
 */
struct log_record {
    char buf[LIMIT_LOG_LINE_BYTES];
    size_t n;
    bool cut;
    bool journal;
    enum log_level level;
};

/* Start a record of source ("server", "access" or "skill"). */
void log_record_begin(struct log_record *r, enum log_level level, const char *source);

/* Field key (letters, digits and '_' only: it is not escaped) with value
 * escaped and cut after max bytes; a NULL value is JSON null (journal: left
 * out). */
void log_record_str(struct log_record *r, const char *key, const char *value, size_t max);

void log_record_num(struct log_record *r, const char *key, long long value);

/* Add msg (escaped, cut to what fits; len < 0: strlen) and write the record,
 * unless its level is below log_set_level()'s. */
void log_record_end(struct log_record *r, const char *msg, int len);

/* Write one line as it is in every format (a newline is added), escaped in
 * LOG_ESCAPE_TEXT mode; len < 0: strlen(line). A JSON record escaped in
 * LOG_ESCAPE_JSON mode passes unchanged. */
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
