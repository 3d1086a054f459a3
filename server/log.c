/*
 * log.c - the operator's log (see log.h).
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static enum log_level min_level = LOG_INFO;

void
log_set_level(enum log_level level)
{
    min_level = level;
}

void
log_line(const char *line, int len)
{
    char buf[8192];
    if (len < 0)
        len = (int)strlen(line);
    if (len > (int)sizeof(buf) - 1)
        len = (int)sizeof(buf) - 1;
    memcpy(buf, line, (size_t)len);
    buf[len] = '\n';
    /* A log line that cannot be written has nowhere else to go. */
    ssize_t unused = write(STDERR_FILENO, buf, (size_t)len + 1);
    (void)unused;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"debug: ", "", "warning: ", "error: "};
    char buf[8192];
    va_list ap;

    if (level < min_level)
        return;
    int n = snprintf(buf, sizeof(buf), "skillserver: %s", names[level]);
    va_start(ap, fmt);
    int m = vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
    va_end(ap);
    if (m < 0)
        m = 0;
    n += m;
    if (n > (int)sizeof(buf) - 1)
        n = (int)sizeof(buf) - 1;
    log_line(buf, n);
}

void
log_skill(const char *skill, const char *request_id, const char *text)
{
    char buf[8192];
    const char *p = text;

    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        int n;
        if (request_id)
            n = snprintf(buf, sizeof(buf), "[%s %s] %.*s", skill, request_id, (int)len, p);
        else
            n = snprintf(buf, sizeof(buf), "[%s] %.*s", skill, (int)len, p);
        if (n > (int)sizeof(buf) - 1)
            n = (int)sizeof(buf) - 1;
        if (n > 0)
            log_line(buf, n);
        p += len;
        if (*p == '\n')
            p++;
    }
}
