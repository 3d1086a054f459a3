/*
 * log.c - the operator's log (see log.h): formatting, escaping, one write()
 * (or one datagram) per record.
 *
 * journald's native protocol (systemd's JOURNAL_NATIVE_PROTOCOL document) is
 * spoken here rather than through libsystemd: a record is one datagram of
 * "KEY=value\n" fields to /run/systemd/journal/socket, and ours never hold
 * a raw newline (every value is escaped) and stay far below a datagram's
 * size, so the protocol's binary form and its file-descriptor passing for
 * big records are never needed. No command pays for loading libsystemd, and
 * a test can stand in for journald with a socket of its own.
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

static enum log_level min_level = LOG_INFO;
static enum log_format format = LOG_FORMAT_TEXT;
static int journal_fd = -1;
static struct sockaddr_un journal_addr;
static socklen_t journal_addr_len;

void
log_set_level(enum log_level level)
{
    min_level = level;
}

/*
 * The length of the well-formed UTF-8 sequence at s, looking at no more than
 * avail bytes, with its code point in *cp; 0 when the bytes there are not one
 * (overlong forms, surrogates and code points past U+10FFFF included). *cut
 * is set when a sequence that is fine so far runs past avail: a cut made by
 * the caller's limit, not bad input.
 */
static size_t
utf8_sequence(const unsigned char *s, size_t avail, uint32_t *cp, bool *cut)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xbf;
    uint32_t v;
    size_t n;

    if (c < 0xc2 || c > 0xf4)
        return 0;
    if (c < 0xe0) {
        n = 2;
        v = c & 0x1f;
    } else if (c < 0xf0) {
        n = 3;
        v = c & 0x0f;
        if (c == 0xe0)
            lo = 0xa0; /* overlong */
        else if (c == 0xed)
            hi = 0x9f; /* surrogates */
    } else {
        n = 4;
        v = c & 0x07;
        if (c == 0xf0)
            lo = 0x90; /* overlong */
        else if (c == 0xf4)
            hi = 0x8f; /* past U+10FFFF */
    }
    for (size_t k = 1; k < n; k++) {
        if (k >= avail) {
            *cut = true;
            return 0;
        }
        /* s[k] exists: s[k - 1] was a continuation byte, not the NUL. */
        unsigned char b = s[k];
        if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xbf))
            return 0;
        v = (v << 6) | (b & 0x3f);
    }
    *cp = v;
    return n;
}

/* Characters that are valid UTF-8 but change how a terminal or a line-based
 * reader sees the log (see log_escape()). */
static bool
hidden_control(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 || cp == 0x200e ||
           cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

static size_t
u_escape(char *out, uint32_t cp)
{
    static const char hex[] = "0123456789abcdef";
    out[0] = '\\';
    out[1] = 'u';
    out[2] = hex[(cp >> 12) & 15];
    out[3] = hex[(cp >> 8) & 15];
    out[4] = hex[(cp >> 4) & 15];
    out[5] = hex[cp & 15];
    return 6;
}

size_t
log_escape(char *dst, size_t cap, const char *src, size_t max_src, enum log_escape_mode mode)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)src;
    size_t o = 0, i = 0;

    if (cap == 0)
        return 0;
    while (i < max_src && s[i]) {
        /* A run of printable ASCII that stays as it is, copied at once: most
         * of every line. */
        size_t run = i;
        while (run < max_src && s[run] >= 0x20 && s[run] < 0x7f &&
               !(mode == LOG_ESCAPE_JSON && (s[run] == '"' || s[run] == '\\')))
            run++;
        if (run > i) {
            size_t n = run - i;
            if (n > cap - 1 - o)
                n = cap - 1 - o;
            memcpy(dst + o, s + i, n);
            o += n;
            i += n;
            if (i < run)
                break; /* dst is full */
            continue;
        }
        unsigned char c = s[i];
        char esc[8];
        size_t n = 0, used = 1;
        if (c == '\t' && mode == LOG_ESCAPE_TEXT) {
            esc[n++] = (char)c; /* a field separator (Lambda's log format), harmless */
        } else if (c == '\n' || c == '\r' || c == '\t') {
            esc[n++] = '\\';
            esc[n++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        } else if (c < 0x20 || c == 0x7f) {
            n = u_escape(esc, c);
        } else if (c < 0x80) {
            if (mode == LOG_ESCAPE_JSON && (c == '"' || c == '\\'))
                esc[n++] = '\\';
            esc[n++] = (char)c;
        } else {
            uint32_t cp = 0;
            bool cut = false;
            size_t len = utf8_sequence(s + i, max_src - i, &cp, &cut);
            if (cut)
                break; /* never half a character */
            if (len == 0) {
                if (mode == LOG_ESCAPE_JSON) {
                    n = u_escape(esc, 0xfffd);
                } else {
                    esc[n++] = '\\';
                    esc[n++] = 'x';
                    esc[n++] = hex[c >> 4];
                    esc[n++] = hex[c & 15];
                }
            } else if (hidden_control(cp)) {
                n = u_escape(esc, cp);
                used = len;
            } else {
                memcpy(esc, s + i, len);
                n = used = len;
            }
        }
        if (o + n + 1 > cap)
            break;
        memcpy(dst + o, esc, n);
        o += n;
        i += used;
    }
    dst[o] = '\0';
    return o;
}

void
log_line(const char *line, int len)
{
    char buf[LIMIT_LOG_LINE_BYTES + 1];
    size_t n =
        log_escape(buf, sizeof(buf) - 1, line, len < 0 ? SIZE_MAX : (size_t)len, LOG_ESCAPE_TEXT);
    buf[n] = '\n';
    /* A log line that cannot be written has nowhere else to go. */
    ssize_t unused = write(STDERR_FILENO, buf, n + 1);
    (void)unused;
}

/* ---- choosing the format ---- */

int
log_use_format(enum log_format f, const char *journal_socket)
{
    if (f == LOG_FORMAT_JOURNAL) {
        const char *path = journal_socket ? journal_socket : JOURNAL_SOCKET;
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        size_t len = strlen(path);
        if (len >= sizeof(addr.sun_path))
            return -1;
        memcpy(addr.sun_path, path, len + 1);
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return -1;
        /* A datagram socket connects only where someone is listening: the
         * check that journald is there. Records are sent with sendto(), so a
         * restarted journald (a new socket at the same path) is found again. */
        socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
        if (connect(fd, (struct sockaddr *)&addr, alen) != 0) {
            close(fd);
            return -1;
        }
        close(fd);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return -1;
        if (journal_fd >= 0)
            close(journal_fd);
        journal_fd = fd;
        journal_addr = addr;
        journal_addr_len = alen;
    }
    format = f;
    return 0;
}

enum log_format
log_current_format(void)
{
    return format;
}

/* Whether stderr is the stream journald handed the service: JOURNAL_STREAM
 * is "DEVICE:INODE" of it, in decimal (systemd.exec(5)). A stderr redirected
 * elsewhere by the service itself no longer matches. */
static bool
stderr_is_journal(void)
{
    const char *v = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    char end;
    struct stat st;

    if (!v || sscanf(v, "%llu:%llu%c", &dev, &ino, &end) != 2)
        return false;
    return fstat(STDERR_FILENO, &st) == 0 && (unsigned long long)st.st_dev == dev &&
           (unsigned long long)st.st_ino == ino;
}

enum log_format
log_setup(bool service)
{
    const char *asked = getenv("SKILLSERVER_LOG_FORMAT");
    enum log_format f = LOG_FORMAT_TEXT;
    bool unknown = false;

    if (service)
        f = stderr_is_journal()         ? LOG_FORMAT_JOURNAL
            : isatty(STDERR_FILENO) > 0 ? LOG_FORMAT_TEXT
                                        : LOG_FORMAT_JSON;
    if (asked && *asked) {
        if (strcmp(asked, "text") == 0)
            f = LOG_FORMAT_TEXT;
        else if (strcmp(asked, "json") == 0)
            f = LOG_FORMAT_JSON;
        else if (strcmp(asked, "journal") == 0)
            f = LOG_FORMAT_JOURNAL;
        else
            unknown = true;
    }
    bool no_journal = f == LOG_FORMAT_JOURNAL && log_use_format(f, NULL) != 0;
    if (no_journal)
        f = LOG_FORMAT_JSON;
    if (f != LOG_FORMAT_JOURNAL)
        log_use_format(f, NULL);
    if (unknown)
        log_msg(LOG_WARN,
                "SKILLSERVER_LOG_FORMAT is text, json or journal, not '%.40s'; "
                "it is left out",
                asked);
    if (no_journal)
        log_msg(LOG_WARN,
                "journald's socket %s cannot be reached: logging JSON lines to "
                "stderr instead",
                JOURNAL_SOCKET);
    return f;
}

/* ---- records ---- */

static const char *const level_names[] = {"debug", "info", "warning", "error"};
/* syslog priorities: debug 7, info 6, warning 4, error 3 */
static const char *const level_priorities[] = {"7", "6", "4", "3"};

static void
put(struct log_record *r, const char *text, size_t len)
{
    /* One byte stays free for the record's end ("}" or nothing) and one for
     * the newline. */
    if (r->n + len + 2 > sizeof(r->buf)) {
        r->cut = true;
        return;
    }
    memcpy(r->buf + r->n, text, len);
    r->n += len;
}

#define PUT(r, literal) put((r), (literal), sizeof(literal) - 1)

static void
put_text(struct log_record *r, const char *text)
{
    put(r, text, strlen(text));
}

/* The value of a field, escaped and cut after max bytes of value, or to
 * what fits with reserve bytes left (then r->cut is set). */
static void
put_escaped(struct log_record *r, const char *value, size_t max, size_t reserve)
{
    size_t room = sizeof(r->buf) - r->n;
    if (room <= reserve + 2) {
        r->cut = true;
        return;
    }
    size_t cap = room - reserve - 2 + 1;
    size_t n =
        log_escape(r->buf + r->n, cap, value, max, r->journal ? LOG_ESCAPE_TEXT : LOG_ESCAPE_JSON);
    r->n += n;
    /* log_escape() stops where the next escape (6 bytes at most) would not
     * fit: output that came that close may have been cut. */
    if (n + 1 + 6 > cap)
        r->cut = true;
}

/* "2024-05-01T12:00:00.123Z": the date and time to the second are kept per
 * thread and formatted again only when the second changes. */
static void
put_time(struct log_record *r)
{
    static _Thread_local time_t second = -1;
    static _Thread_local char stamp[24];
    static _Thread_local size_t stamp_len;
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != second) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        int n = snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900,
                         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        stamp_len = n > 0 && (size_t)n < sizeof(stamp) ? (size_t)n : 0;
        second = ts.tv_sec;
    }
    put(r, stamp, stamp_len);
    long ms = ts.tv_nsec / 1000000;
    char frac[4] = {(char)('0' + ms / 100), (char)('0' + ms / 10 % 10), (char)('0' + ms % 10), 'Z'};
    put(r, frac, sizeof(frac));
}

/* The journal's name of a field: SKILLSERVER_ and key in capitals, a
 * capital inside a word starting a new one (requestId: REQUEST_ID). */
static void
put_journal_key(struct log_record *r, const char *key)
{
    char name[80] = "SKILLSERVER_";
    size_t n = strlen(name);
    for (size_t i = 0; key[i] && n + 2 < sizeof(name); i++) {
        char c = key[i];
        if (c >= 'A' && c <= 'Z' && i > 0)
            name[n++] = '_';
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        else if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            c = '_';
        name[n++] = c;
    }
    put(r, name, n);
}

void
log_record_begin(struct log_record *r, enum log_level level, const char *source)
{
    r->n = 0;
    r->cut = false;
    r->level = level;
    r->journal = format == LOG_FORMAT_JOURNAL;
    if (r->journal) {
        PUT(r, "PRIORITY=");
        put_text(r, level_priorities[level]);
        PUT(r, "\nSYSLOG_IDENTIFIER=skillserver\nSKILLSERVER_SOURCE=");
        put_text(r, source);
        PUT(r, "\n");
        return;
    }
    PUT(r, "{\"time\":\"");
    put_time(r);
    PUT(r, "\",\"level\":\"");
    put_text(r, level_names[level]);
    PUT(r, "\",\"source\":\"");
    put_text(r, source);
    PUT(r, "\"");
}

/* Room every field leaves for the message and the record's end. */
#define MSG_RESERVE 256

/* After a field written from start on: a field cut short is left out whole
 * (half a value could mislead), and the record remembers any cut. */
static void
field_end(struct log_record *r, size_t start, bool was_cut)
{
    if (r->cut || r->n + MSG_RESERVE > sizeof(r->buf)) {
        r->n = start;
        r->cut = true;
    }
    r->cut |= was_cut;
}

void
log_record_str(struct log_record *r, const char *key, const char *value, size_t max)
{
    size_t start = r->n;
    bool was_cut = r->cut;
    r->cut = false;
    if (r->journal) {
        if (!value)
            return;
        put_journal_key(r, key);
        PUT(r, "=");
        put_escaped(r, value, max, MSG_RESERVE + 1);
        PUT(r, "\n");
    } else {
        PUT(r, ",\"");
        put_text(r, key);
        if (!value) {
            PUT(r, "\":null");
        } else {
            PUT(r, "\":\"");
            put_escaped(r, value, max, MSG_RESERVE + 1);
            PUT(r, "\"");
        }
    }
    field_end(r, start, was_cut);
}

void
log_record_num(struct log_record *r, const char *key, long long value)
{
    char digits[BUF_DIGITS];
    char *d = buf_digits(digits, value);
    size_t start = r->n;
    bool was_cut = r->cut;
    r->cut = false;
    if (r->journal) {
        put_journal_key(r, key);
        PUT(r, "=");
    } else {
        PUT(r, ",\"");
        put_text(r, key);
        PUT(r, "\":");
    }
    put(r, d, (size_t)(digits + BUF_DIGITS - d));
    if (r->journal)
        PUT(r, "\n");
    field_end(r, start, was_cut);
}

void
log_record_end(struct log_record *r, const char *msg, int len)
{
    size_t max = len < 0 ? SIZE_MAX : (size_t)len;

    if (r->level < min_level)
        return;
    if (r->journal) {
        PUT(r, "MESSAGE=");
        /* 20 bytes stay for the end: "\nSKILLSERVER_CUT=1\n" */
        put_escaped(r, msg, max, 20);
        PUT(r, "\n");
        if (r->cut)
            PUT(r, "SKILLSERVER_CUT=1\n");
        ssize_t sent;
        /* Never wait for journald on a request's thread: with its queue full
         * the record takes the other way in. */
        do
            sent = sendto(journal_fd, r->buf, r->n, MSG_NOSIGNAL | MSG_DONTWAIT,
                          (struct sockaddr *)&journal_addr, journal_addr_len);
        while (sent < 0 && errno == EINTR);
        if (sent >= 0)
            return;
        /* journald is gone, or behind: stderr is still its stream, which
         * reads a "<N>" prefix as the priority (the fields are lost). */
        char line[LIMIT_LOG_LINE_BYTES + 1];
        int n = snprintf(line, sizeof(line), "<%s>", level_priorities[r->level]);
        n += (int)log_escape(line + n, sizeof(line) - (size_t)n - 1, msg, max, LOG_ESCAPE_TEXT);
        line[n++] = '\n';
        ssize_t unused = write(STDERR_FILENO, line, (size_t)n);
        (void)unused;
        return;
    }
    PUT(r, ",\"msg\":\"");
    /* 16 bytes stay for the end: "\",\"cut\":true}\n" */
    put_escaped(r, msg, max, 16);
    PUT(r, "\"");
    if (r->cut)
        PUT(r, ",\"cut\":true");
    PUT(r, "}\n");
    ssize_t unused = write(STDERR_FILENO, r->buf, r->n);
    (void)unused;
}

/* ---- operator messages and skills' lines ---- */

/* In text, the message is prefixed with "SKILL ID: " when prefix is set. */
__attribute__((format(printf, 5, 0))) static void
message(enum log_level level, const char *skill, const char *request_id, bool prefix,
        const char *fmt, va_list ap)
{
    char text[LIMIT_LOG_LINE_BYTES];

    if (level < min_level)
        return;
    int n = vsnprintf(text, sizeof(text), fmt, ap);
    if (n < 0)
        n = 0;
    if (n > (int)sizeof(text) - 1)
        n = (int)sizeof(text) - 1;
    if (format == LOG_FORMAT_TEXT) {
        static const char *const names[] = {"debug: ", "", "warning: ", "error: "};
        char buf[LIMIT_LOG_LINE_BYTES];
        int m;
        if (prefix && (skill || request_id))
            m = snprintf(buf, sizeof(buf), "skillserver: %s%s %.*s: %.*s", names[level],
                         skill ? skill : "-", LIMIT_LOG_ID_BYTES, request_id ? request_id : "-", n,
                         text);
        else
            m = snprintf(buf, sizeof(buf), "skillserver: %s%.*s", names[level], n, text);
        if (m < 0)
            m = 0;
        if (m > (int)sizeof(buf) - 1)
            m = (int)sizeof(buf) - 1;
        log_line(buf, m);
        return;
    }
    struct log_record r;
    log_record_begin(&r, level, "server");
    if (skill)
        log_record_str(&r, "skill", skill, LIMIT_SKILL_NAME_CHARS);
    if (request_id)
        log_record_str(&r, "request_id", request_id, LIMIT_LOG_ID_BYTES);
    log_record_end(&r, text, n);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    message(level, NULL, NULL, false, fmt, ap);
    va_end(ap);
}

void
log_request_msg(enum log_level level, const char *skill, const char *request_id, const char *fmt,
                ...)
{
    va_list ap;
    va_start(ap, fmt);
    message(level, skill, request_id, true, fmt, ap);
    va_end(ap);
}

void
log_skill_msg(enum log_level level, const char *skill, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    message(level, skill, NULL, false, fmt, ap);
    va_end(ap);
}

/* The request id of a skill's text prefix: as it is when it looks like an id
 * (Alexa's are "amzn1.echo-api.request.UUID"), otherwise a quoted JSON
 * string, so that "] " or spaces in it cannot fake the end of the prefix. */
static void
format_id(const char *id, char *out, size_t cap)
{
    static const char plain[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.:_-";
    size_t len = strlen(id);

    if (len > 0 && len <= LIMIT_LOG_ID_BYTES && strspn(id, plain) == len) {
        memcpy(out, id, len + 1);
        return;
    }
    out[0] = '"';
    size_t n = log_escape(out + 1, cap - 2, id, LIMIT_LOG_ID_BYTES, LOG_ESCAPE_JSON);
    out[n + 1] = '"';
    out[n + 2] = '\0';
}

void
log_skill(enum log_level level, const char *skill, const char *request_id, const char *text)
{
    char buf[LIMIT_LOG_LINE_BYTES];
    char id[6 * LIMIT_LOG_ID_BYTES + 3]; /* every byte escaped, and the quotes */
    const char *p = text;

    if (level < min_level)
        return;
    if (request_id && format == LOG_FORMAT_TEXT)
        format_id(request_id, id, sizeof(id));
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (format != LOG_FORMAT_TEXT) {
            struct log_record r;
            log_record_begin(&r, level, "skill");
            log_record_str(&r, "skill", skill, LIMIT_SKILL_NAME_CHARS);
            if (request_id)
                log_record_str(&r, "request_id", request_id, LIMIT_LOG_ID_BYTES);
            log_record_end(&r, p, len > INT32_MAX ? INT32_MAX : (int)len);
        } else {
            int n;
            if (request_id)
                n = snprintf(buf, sizeof(buf), "[%s %s] %.*s", skill, id, (int)len, p);
            else
                n = snprintf(buf, sizeof(buf), "[%s] %.*s", skill, (int)len, p);
            if (n > (int)sizeof(buf) - 1)
                n = (int)sizeof(buf) - 1;
            if (n > 0)
                log_line(buf, n);
        }
        p += len;
        if (*p == '\n')
            p++;
    }
}
