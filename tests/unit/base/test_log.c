/*
 * test_log.c - server/base/log.c: log_escape() in both modes, and that
 * log_line(), log_msg() and log_skill() write nothing a terminal or a
 * line-based reader would act on (stderr is captured through a pipe).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "ss_limits.h"
#include "tap.h"

static const char *
text(const char *src)
{
    static char out[512];
    log_escape(out, sizeof(out), src, SIZE_MAX, LOG_ESCAPE_TEXT);
    return out;
}

static const char *
json(const char *src)
{
    static char out[512];
    log_escape(out, sizeof(out), src, SIZE_MAX, LOG_ESCAPE_JSON);
    return out;
}

static void
test_escape(void)
{
    char out[64];

    is_str(text("plain words"), "plain words", "text: plain text is copied");
    is_str(text("a\"b\\c"), "a\"b\\c", "text: quotes and backslashes stay");
    is_str(text("line\nbreak\rx"), "line\\nbreak\\rx", "text: newline and CR");
    is_str(text("[INFO]\tT\tid\tmsg"), "[INFO]\tT\tid\tmsg",
           "text: a tab stays (Lambda's log fields)");
    is_str(json("a\tb"), "a\\tb", "json: a tab is escaped");
    is_str(text("\x1b[31mred\x1b[0m"), "\\u001b[31mred\\u001b[0m", "text: ESC");
    is_str(text("\x01\x7f"), "\\u0001\\u007f", "text: other controls and DEL");
    is_str(text("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
           "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "text: UTF-8 is kept");
    is_str(text("a\xc2\x9b"
                "2Jb"),
           "a\\u009b2Jb", "text: C1 controls (CSI) as \\u");
    is_str(text("x\xe2\x80\xa8y\xe2\x80\xa9z"), "x\\u2028y\\u2029z", "text: line separators");
    is_str(text("\xe2\x80\xae"
                "cod.exe"),
           "\\u202ecod.exe", "text: a bidi override");
    is_str(text("ok\xff\xfe rest"), "ok\\xff\\xfe rest", "text: bytes that are not UTF-8 as \\x");
    is_str(text("\xc0\xaf"), "\\xc0\\xaf", "text: an overlong form is not UTF-8");
    is_str(text("\xed\xa0\x80"), "\\xed\\xa0\\x80", "text: a surrogate is not UTF-8");
    is_str(text("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80", "text: past U+10FFFF is not UTF-8");
    is_str(text("end\xc3"), "end\\xc3", "text: a sequence the string ends inside");

    is_str(json("a\"b\\c"), "a\\\"b\\\\c", "json: quotes and backslashes are escaped");
    is_str(json("x\n{\"forged\":1}"), "x\\n{\\\"forged\\\":1}",
           "json: a forged record stays inside");
    is_str(json("\x1b"), "\\u001b", "json: ESC");
    is_str(json("ok\xff"), "ok\\ufffd", "json: a byte that is not UTF-8 is U+FFFD");
    is_str(json("\xc2\x85"), "\\u0085", "json: NEL");

    log_escape(out, sizeof(out), "caf\xc3\xa9", 4, LOG_ESCAPE_TEXT);
    is_str(out, "caf", "a cut at max_src never splits a UTF-8 sequence");
    log_escape(out, sizeof(out), "abcdef", 3, LOG_ESCAPE_TEXT);
    is_str(out, "abc", "max_src bytes at most");
    is_int(log_escape(out, 5, "abcdefgh", SIZE_MAX, LOG_ESCAPE_TEXT), 4, "stops when dst is full");
    is_str(out, "abcd", "and stays terminated");
    is_int(log_escape(out, 4, "ab\"", SIZE_MAX, LOG_ESCAPE_JSON), 2,
           "an escape that does not fit is left out");
    is_str(out, "ab", "whole escapes only");
    is_int(log_escape(out, 8, "ab\x1b", SIZE_MAX, LOG_ESCAPE_TEXT), 2, "\\u001b needs 6 bytes");
    is_int(log_escape(out, 0, "abc", SIZE_MAX, LOG_ESCAPE_TEXT), 0, "cap 0 writes nothing");
}

/* Run fn with stderr going to a pipe; returns what it wrote (static buffer). */
static const char *
captured(void (*fn)(void))
{
    static char buf[4 * LIMIT_LOG_LINE_BYTES];
    int p[2], saved = dup(STDERR_FILENO);
    size_t n = 0;

    if (saved < 0 || pipe(p) != 0 || dup2(p[1], STDERR_FILENO) < 0)
        abort();
    close(p[1]);
    fn();
    dup2(saved, STDERR_FILENO);
    close(saved);
    for (;;) {
        ssize_t got = read(p[0], buf + n, sizeof(buf) - 1 - n);
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    close(p[0]);
    buf[n] = '\0';
    return buf;
}

static void
hostile_skill_lines(void)
{
    log_skill("thank_you", "amzn1.echo-api.request.1\x1b[2J\r\n{\"forged\":true}",
              "hello\x1b]0;pwned\x07 world\nsecond\rline\n{\"time\":\"forged\"}");
}

static void
plain_skill_line(void)
{
    log_skill("thank_you", "amzn1.echo-api.request.0c1f-9a", "hi");
}

static void
hostile_message(void)
{
    log_msg(LOG_WARN, "refused: %s", "bad\r\n{\"status\":200}\x1b[1A");
}

static void
hostile_line(void)
{
    log_line("a\nb", -1);
}

static void
test_sinks(void)
{
    const char *out = captured(hostile_skill_lines);
    is_str(out,
           "[thank_you \"amzn1.echo-api.request.1\\u001b[2J\\r\\n{\\\"forged\\\":true}\"] "
           "hello\\u001b]0;pwned\\u0007 world\n"
           "[thank_you \"amzn1.echo-api.request.1\\u001b[2J\\r\\n{\\\"forged\\\":true}\"] "
           "second\\rline\n"
           "[thank_you \"amzn1.echo-api.request.1\\u001b[2J\\r\\n{\\\"forged\\\":true}\"] "
           "{\"time\":\"forged\"}\n",
           "log_skill: a hostile id is quoted and escaped; every record starts with the prefix");
    is_str(captured(plain_skill_line), "[thank_you amzn1.echo-api.request.0c1f-9a] hi\n",
           "log_skill: an ordinary id stays as it is");
    is_str(captured(hostile_message),
           "skillserver: warning: refused: bad\\r\\n{\"status\":200}\\u001b[1A\n",
           "log_msg: one record, no control bytes");
    is_str(captured(hostile_line), "a\\nb\n", "log_line: a newline inside is escaped");
}

int
main(void)
{
    test_escape();
    test_sinks();
    return tap_done();
}
