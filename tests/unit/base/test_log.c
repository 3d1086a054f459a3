/*
 * test_log.c - server/base/log.c: log_escape() in both modes; that
 * log_line(), log_msg() and log_skill() write nothing a terminal or a
 * line-based reader would act on (stderr is captured through a pipe); that
 * every JSON record parses, with its fields, whatever the text in it; and
 * journald's records, read from a socket of the test's own standing in for
 * journald's.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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
    log_skill(LOG_INFO, "thank_you", "amzn1.echo-api.request.1\x1b[2J\r\n{\"forged\":true}",
              "hello\x1b]0;pwned\x07 world\nsecond\rline\n{\"time\":\"forged\"}");
}

static void
plain_skill_line(void)
{
    log_skill(LOG_INFO, "thank_you", "amzn1.echo-api.request.0c1f-9a", "hi");
}

static void
hostile_message(void)
{
    log_msg(LOG_WARN, "refused: %s", "bad\r\n{\"status\":200}\x1b[1A");
}

static void
skill_message(void)
{
    log_skill_msg(LOG_INFO, "thank_you", "skill %s ready", "thank_you");
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
    is_str(captured(skill_message), "skillserver: skill thank_you ready\n",
           "log_skill_msg: plain text names the skill in its words only");
}

static void
long_record(void)
{
    static char big[3 * LIMIT_LOG_LINE_BYTES];
    memset(big, '"', sizeof(big) - 1); /* every byte doubles when escaped */
    struct log_record r;
    log_record_begin(&r, LOG_INFO, "access");
    log_record_str(&r, "request_id", "amzn1.echo-api.request.1", LIMIT_LOG_ID_BYTES);
    log_record_str(&r, "path", big, SIZE_MAX);
    log_record_num(&r, "status", 404);
    log_record_end(&r, big, -1);
}

static void
request_message(void)
{
    log_request_msg(LOG_ERROR, "thank_you", "amzn1.echo-api.request.2", "skill %s", "raised");
}

static void
access_record(void)
{
    struct log_record r;
    log_record_begin(&r, LOG_WARN, "access");
    log_record_str(&r, "request_id", NULL, LIMIT_LOG_ID_BYTES);
    log_record_num(&r, "status", 503);
    log_record_end(&r, "503 /", -1);
}

/* Every line of out, parsed; fails the test for a line that is not a JSON
 * object with time, level, source and msg. Returns how many there were. */
static size_t
parse_lines(const char *out, json_t **records, size_t cap)
{
    size_t n = 0;
    while (*out && n < cap) {
        const char *nl = strchr(out, '\n');
        size_t len = nl ? (size_t)(nl - out) : strlen(out);
        json_error_t jerr;
        json_t *o = json_loadb(out, len, 0, &jerr);
        ok(json_is_object(o), "a JSON object: %.*s (%s)", (int)(len > 200 ? 200 : len), out,
           o ? "not an object" : jerr.text);
        const char *t = json_string_value(json_object_get(o, "time"));
        /* 2024-05-01T12:00:00.123Z */
        ok(t && strlen(t) == 24 && t[4] == '-' && t[10] == 'T' && t[19] == '.' && t[23] == 'Z',
           "time is RFC 3339 UTC with milliseconds: %s", t ? t : "(none)");
        ok(json_is_string(json_object_get(o, "level")) &&
               json_is_string(json_object_get(o, "source")) &&
               json_is_string(json_object_get(o, "msg")),
           "level, source and msg are there");
        records[n++] = o;
        out += len + (nl ? 1 : 0);
    }
    return n;
}

static const char *
field(json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "(none)";
}

static void
test_json(void)
{
    json_t *rec[8] = {0};

    is_int(log_use_format(LOG_FORMAT_JSON, NULL), 0, "json format");
    is_int(log_current_format(), LOG_FORMAT_JSON, "json is in use");

    size_t n = parse_lines(captured(hostile_skill_lines), rec, 8);
    is_int(n, 3, "a skill's three lines are three records");
    if (n == 3) {
        is_str(field(rec[0], "msg"), "hello\x1b]0;pwned\x07 world",
               "a line's text comes back whole from its JSON string");
        is_str(field(rec[1], "msg"), "second\rline", "a carriage return stays inside");
        is_str(field(rec[2], "msg"), "{\"time\":\"forged\"}",
               "a printed JSON object is the msg, not a record");
        is_str(field(rec[0], "source"), "skill", "a skill's line is marked as the skill's");
        is_str(field(rec[0], "skill"), "thank_you", "with the skill's name");
        is_str(field(rec[0], "level"), "info", "a print is info");
        is_str(field(rec[0], "request_id"), "amzn1.echo-api.request.1\x1b[2J\r\n{\"forged\":true}",
               "the request id, whatever it holds");
    }
    for (size_t i = 0; i < n; i++)
        json_decref(rec[i]);

    n = parse_lines(captured(hostile_message), rec, 8);
    is_int(n, 1, "an operator's message is one record");
    if (n == 1) {
        is_str(field(rec[0], "level"), "warning", "its level");
        is_str(field(rec[0], "source"), "server", "from the server");
        is_str(field(rec[0], "msg"), "refused: bad\r\n{\"status\":200}\x1b[1A", "its text");
        json_decref(rec[0]);
    }

    n = parse_lines(captured(request_message), rec, 8);
    is_int(n, 1, "a message about a request is one record");
    if (n == 1) {
        is_str(field(rec[0], "level"), "error", "at error");
        is_str(field(rec[0], "skill"), "thank_you", "naming the skill");
        is_str(field(rec[0], "request_id"), "amzn1.echo-api.request.2", "and the request");
        is_str(field(rec[0], "msg"), "skill raised", "its text");
        json_decref(rec[0]);
    }

    n = parse_lines(captured(skill_message), rec, 8);
    is_int(n, 1, "a message about a skill is one record");
    if (n == 1) {
        is_str(field(rec[0], "skill"), "thank_you", "naming the skill");
        ok(!json_object_get(rec[0], "request_id"), "no request id: none");
        is_str(field(rec[0], "msg"), "skill thank_you ready", "its text, as in plain text");
        json_decref(rec[0]);
    }

    n = parse_lines(captured(access_record), rec, 8);
    is_int(n, 1, "an access record");
    if (n == 1) {
        ok(json_is_null(json_object_get(rec[0], "request_id")), "no request id: null");
        is_int(json_integer_value(json_object_get(rec[0], "status")), 503, "a number");
        is_str(field(rec[0], "level"), "warning", "the level given");
        json_decref(rec[0]);
    }

    const char *out = captured(long_record);
    ok(strlen(out) <= LIMIT_LOG_LINE_BYTES, "a huge record stays within %d bytes (%zu)",
       LIMIT_LOG_LINE_BYTES, strlen(out));
    n = parse_lines(out, rec, 8);
    is_int(n, 1, "a huge record is still one record");
    if (n == 1) {
        ok(json_is_true(json_object_get(rec[0], "cut")), "marked cut");
        ok(!json_object_get(rec[0], "path"), "the field that did not fit is left out whole");
        is_int(json_integer_value(json_object_get(rec[0], "status")), 404,
               "the fields after it are there");
        ok(strlen(field(rec[0], "msg")) > 1000, "the message is cut to what is left");
        json_decref(rec[0]);
    }

    log_set_level(LOG_WARN);
    is_str(captured(plain_skill_line), "", "records below the level are dropped");
    log_set_level(LOG_INFO);
    log_use_format(LOG_FORMAT_TEXT, NULL);
}

/* The fields of one datagram: checks that every line is KEY=value with a
 * key journald accepts; returns the value of key, or NULL. */
static const char *
journal_field(const char *dgram, const char *key, char *out, size_t cap)
{
    const char *found = NULL;
    for (const char *p = dgram; *p;) {
        const char *nl = strchr(p, '\n');
        if (!nl) {
            tap_fail("a field ends with a newline: %s", p);
            return NULL;
        }
        const char *eq = memchr(p, '=', (size_t)(nl - p));
        size_t klen = eq ? (size_t)(eq - p) : 0;
        if (!eq || klen == 0 || strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != klen ||
            p[0] == '_')
            tap_fail("a journal field: %.*s", (int)(nl - p), p);
        if (eq && strlen(key) == klen && strncmp(p, key, klen) == 0 && !found) {
            snprintf(out, cap, "%.*s", (int)(nl - eq - 1), eq + 1);
            found = out;
        }
        p = nl + 1;
    }
    return found;
}

static void
test_journal(void)
{
    /* dir/socket must fit in sun_path: a longer TMPDIR gives way to /tmp. */
    char dir[64], path[80], buf[LIMIT_LOG_LINE_BYTES + 1], v[LIMIT_LOG_LINE_BYTES];

    if (tap_tempdir(dir, sizeof(dir), "skillserver-journal") != 0)
        return;
    snprintf(path, sizeof(path), "%s/socket", dir);
    is_int(log_use_format(LOG_FORMAT_JOURNAL, path), -1, "no journal there: refused");
    is_int(log_current_format(), LOG_FORMAT_TEXT, "and the format stays");

    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    memcpy(addr.sun_path, path, strlen(path) + 1); /* under 80 bytes: within sun_path */
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        tap_fail("the stand-in journal socket");
        if (fd >= 0)
            close(fd);
        tap_remove_tree(dir);
        return;
    }
    is_int(log_use_format(LOG_FORMAT_JOURNAL, path), 0, "a journal there: accepted");

    log_skill(LOG_ERROR, "thank_you", "amzn1.echo-api.request.1\nFORGED=1",
              "Traceback:\n  File \"skill.py\", line 3\x1b[2J");
    log_msg(LOG_WARN, "refused: %s", "a\nMESSAGE=forged");
    access_record();

    static const char *const want[][4] = {
        {"3", "skill", "Traceback:", "thank_you"},
        {"3", "skill", "  File \"skill.py\", line 3\\u001b[2J", "thank_you"},
        {"4", "server", "refused: a\\nMESSAGE=forged", NULL},
        {"4", "access", "503 /", NULL},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        ssize_t got = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
        if (got <= 0) {
            tap_fail("record %zu arrived", i);
            continue;
        }
        buf[got] = '\0';
        const char *p = journal_field(buf, "PRIORITY", v, sizeof(v));
        is_str(p ? p : "(none)", want[i][0], "record %zu: PRIORITY", i);
        p = journal_field(buf, "SKILLSERVER_SOURCE", v, sizeof(v));
        is_str(p ? p : "(none)", want[i][1], "record %zu: SKILLSERVER_SOURCE", i);
        p = journal_field(buf, "MESSAGE", v, sizeof(v));
        is_str(p ? p : "(none)", want[i][2], "record %zu: MESSAGE", i);
        p = journal_field(buf, "SYSLOG_IDENTIFIER", v, sizeof(v));
        is_str(p ? p : "(none)", "skillserver", "record %zu: SYSLOG_IDENTIFIER", i);
        p = journal_field(buf, "SKILLSERVER_SKILL", v, sizeof(v));
        is_str(p ? p : "(none)", want[i][3] ? want[i][3] : "(none)", "record %zu: SKILL", i);
        if (i < 2) {
            p = journal_field(buf, "SKILLSERVER_REQUEST_ID", v, sizeof(v));
            is_str(p ? p : "(none)", "amzn1.echo-api.request.1\\nFORGED=1",
                   "record %zu: the request id, its newline escaped", i);
        }
        if (i == 3) {
            p = journal_field(buf, "SKILLSERVER_STATUS", v, sizeof(v));
            is_str(p ? p : "(none)", "503", "an access record's fields");
        }
    }
    log_use_format(LOG_FORMAT_TEXT, NULL);
    close(fd);
    tap_remove_tree(dir);
}

static void
test_setup(void)
{
    struct stat st;
    char stream[64];

    unsetenv("SKILLSERVER_LOG_FORMAT");
    unsetenv("JOURNAL_STREAM");
    /* stderr is whatever meson gave the test: a pipe or a file, not a terminal. */
    if (isatty(STDERR_FILENO) || fstat(STDERR_FILENO, &st) != 0) {
        ok(1, "# skip stderr is a terminal");
        return;
    }
    is_int(log_setup(false), LOG_FORMAT_TEXT, "a command for a person: text");
    is_int(log_setup(true), LOG_FORMAT_JSON, "a service whose stderr is not a terminal: json");
    setenv("SKILLSERVER_LOG_FORMAT", "text", 1);
    is_int(log_setup(true), LOG_FORMAT_TEXT, "SKILLSERVER_LOG_FORMAT=text wins");
    setenv("SKILLSERVER_LOG_FORMAT", "json", 1);
    is_int(log_setup(false), LOG_FORMAT_JSON, "SKILLSERVER_LOG_FORMAT=json for any command");
    unsetenv("SKILLSERVER_LOG_FORMAT");

    snprintf(stream, sizeof(stream), "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino + 1);
    setenv("JOURNAL_STREAM", stream, 1);
    is_int(log_setup(true), LOG_FORMAT_JSON, "JOURNAL_STREAM of another stream: json");
    bool journald = access("/run/systemd/journal/socket", W_OK) == 0;
    /* Without journald here, the fall-back to JSON says so on stderr: a pipe,
     * which JOURNAL_STREAM then names. */
    int saved = dup(STDERR_FILENO), p[2];
    if (saved < 0 || pipe(p) != 0 || dup2(p[1], STDERR_FILENO) < 0 ||
        fstat(STDERR_FILENO, &st) != 0)
        abort();
    close(p[1]);
    snprintf(stream, sizeof(stream), "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    setenv("JOURNAL_STREAM", stream, 1);
    enum log_format f = log_setup(true);
    dup2(saved, STDERR_FILENO);
    close(saved);
    char said[1024];
    ssize_t got = read(p[0], said, sizeof(said) - 1);
    said[got > 0 ? got : 0] = '\0';
    close(p[0]);
    if (journald) {
        is_int(f, LOG_FORMAT_JOURNAL, "stderr is journald's stream: journal");
    } else {
        is_int(f, LOG_FORMAT_JSON, "stderr is journald's stream but journald is away: json");
        contains(said, "cannot be reached", "and says so");
    }
    unsetenv("JOURNAL_STREAM");
    log_use_format(LOG_FORMAT_TEXT, NULL);
}

int
main(void)
{
    test_escape();
    test_sinks();
    test_json();
    test_journal();
    test_setup();
    return tap_done();
}
