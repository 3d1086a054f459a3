/*
 * error.c - names, statuses and sentences of the error kinds in error.h.
 */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

static const struct {
    const char *name;
    int status;
    const char *text;
    const char *spoken;
} kinds[] = {
#define SS_ERR_ROW(name, status, text, spoken) {#name, status, text, spoken},
    SS_ERRORS(SS_ERR_ROW)
#undef SS_ERR_ROW
};

const char *
ss_err_name(enum ss_err code)
{
    return (unsigned)code < SS_ERR__COUNT ? kinds[code].name : "UNKNOWN";
}

int
ss_err_status(enum ss_err code)
{
    return (unsigned)code < SS_ERR__COUNT ? kinds[code].status : 500;
}

const char *
ss_err_text(enum ss_err code)
{
    return (unsigned)code < SS_ERR__COUNT ? kinds[code].text : "unknown error";
}

const char *
ss_err_spoken(enum ss_err code)
{
    return (unsigned)code < SS_ERR__COUNT ? kinds[code].spoken : kinds[SS_ERR_IO].spoken;
}

enum ss_err
ss_vfail(struct ss_error *err, enum ss_err code, const char *fmt, va_list ap)
{
    if (err) {
        err->code = code;
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    }
    return code;
}

enum ss_err
ss_fail(struct ss_error *err, enum ss_err code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ss_vfail(err, code, fmt, ap);
    va_end(ap);
    return code;
}

void
ss_error_clear(struct ss_error *err)
{
    if (err) {
        err->code = SS_ERR_OK;
        err->msg[0] = '\0';
    }
}
