/* test_error.c - the one list of error kinds (error.h) and its helpers. */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "error.h"
#include "tap.h"

/* A name as the enum spells it after SS_ERR_: upper case, digits, '_'. */
static bool
upper_name(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!(isupper((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_'))
            return false;
    return true;
}

static void
test_table(void)
{
    int bad_name = 0, bad_status = 0, bad_text = 0, bad_spoken = 0, duplicate = 0;

    for (int i = 0; i < SS_ERR__COUNT; i++) {
        enum ss_err e = (enum ss_err)i;
        int status = ss_err_status(e);
        if (!upper_name(ss_err_name(e))) {
            bad_name++;
            printf("#   kind %d has the name '%s'\n", i, ss_err_name(e));
        }
        for (int j = 0; j < i; j++)
            if (strcmp(ss_err_name(e), ss_err_name((enum ss_err)j)) == 0) {
                duplicate++;
                printf("#   kinds %d and %d are both %s\n", j, i, ss_err_name(e));
            }
        if (status != 200 && status != 400 && status != 403 && status != 404 && status != 405 &&
            status != 413 && status != 415 && status != 431 && status != 500 && status != 401 &&
            status != 409 && status != 429) {
            bad_status++;
            printf("#   %s has the HTTP status %d\n", ss_err_name(e), status);
        }
        if (!ss_err_text(e)[0]) {
            bad_text++;
            printf("#   %s has no log text\n", ss_err_name(e));
        }
        /* Who hears what (STYLE.md): a skill's failure is answered 200 with a
         * sentence for the person; a refused request (4xx) is for the
         * caller only and speaks nothing. */
        bool speaks = ss_err_spoken(e)[0] != '\0';
        if ((e != SS_ERR_OK && status == 200 && !speaks) || (status / 100 == 4 && speaks)) {
            bad_spoken++;
            printf("#   %s (%d) speaks '%s'\n", ss_err_name(e), status, ss_err_spoken(e));
        }
    }
    is_int(bad_name, 0, "every kind has an upper-case name");
    is_int(duplicate, 0, "no two kinds share a name");
    is_int(bad_status, 0, "every kind has an HTTP status the server sends");
    is_int(bad_text, 0, "every kind has a log text");
    is_int(bad_spoken, 0, "a skill's failures speak, refused requests do not");

    is_str(ss_err_name(SS_ERR_OK), "OK", "OK is first and named");
    is_int(ss_err_status(SS_ERR_OK), 200, "OK is 200");
    is_str(ss_err_spoken(SS_ERR_OK), "", "OK speaks nothing");
    is_str(ss_err_name(SS_ERR_TOO_LARGE), "TOO_LARGE", "a name is the enum's");
    is_int(ss_err_status(SS_ERR_TOO_LARGE), 413, "too large is 413");
    is_int(ss_err_status(SS_ERR_HEAD_TOO_LARGE), 431, "headers too large is 431");
    is_int(ss_err_status(SS_ERR_METHOD), 405, "method is 405");
    is_int(ss_err_status(SS_ERR_UNKNOWN_SKILL), 404, "unknown skill is 404");
    is_int(ss_err_status(SS_ERR_SKILL_RAISED), 200, "a skill's exception is still answered 200");
    contains(ss_err_text(SS_ERR_SKILL_TIMEOUT), "too long", "log text of a timeout");
    contains(ss_err_spoken(SS_ERR_SKILL_TIMEOUT), "too long", "and what the person hears");
}

static void
test_out_of_range(void)
{
    enum ss_err past = SS_ERR__COUNT;

    is_str(ss_err_name(past), "UNKNOWN", "a kind past the list is UNKNOWN");
    is_int(ss_err_status(past), 500, "and a 500");
    is_str(ss_err_text(past), "unknown error", "with a log text");
    is_str(ss_err_spoken(past), ss_err_spoken(SS_ERR_IO), "and the sentence of an I/O error");
}

static void
test_fail(void)
{
    struct ss_error err;
    char long_arg[2000];

    ss_error_clear(&err);
    is_int(err.code, SS_ERR_OK, "cleared to OK");
    is_str(err.msg, "", "with an empty message");

    is_int(ss_fail(&err, SS_ERR_FIELD, "request.%s is missing", "type"), SS_ERR_FIELD,
           "ss_fail returns its code");
    is_int(err.code, SS_ERR_FIELD, "and records it");
    is_str(err.msg, "request.type is missing", "with the formatted message");

    memset(long_arg, 'x', sizeof(long_arg) - 1);
    long_arg[sizeof(long_arg) - 1] = '\0';
    ss_fail(&err, SS_ERR_IO, "%s", long_arg);
    is_int(strlen(err.msg), sizeof(err.msg) - 1, "a long message is cut to the buffer");
    ok(err.msg[sizeof(err.msg) - 1] == '\0', "and stays terminated");

    is_int(ss_fail(NULL, SS_ERR_JSON, "nobody listens"), SS_ERR_JSON,
           "ss_fail without an error struct still returns the code");
    ss_error_clear(NULL);
    ss_error_clear(&err);
    is_str(err.msg, "", "clearing after an error empties the message");
    is_int(err.code, SS_ERR_OK, "and resets the code");
}

int
main(void)
{
    test_table();
    test_out_of_range();
    test_fail();
    return tap_done();
}
