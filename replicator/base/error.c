/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replicator/base/error.c - fill, wrap and clear repl_error values. No allocation, no logging. */
#include "replicator/base/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void error_vset(repl_error *err, const char *fmt, va_list ap) REPL_PRINTF(2, 0);

static void error_vset(repl_error *err, const char *fmt, va_list ap)
{
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int repl_error_set(repl_error *err, repl_code code, const char *fmt, ...)
{
    va_list ap;
    if (err == NULL)
        return code;
    err->code = code;
    err->sys_errno = 0;
    va_start(ap, fmt);
    error_vset(err, fmt, ap);
    va_end(ap);
    return code;
}

int repl_error_sys(repl_error *err, repl_code code, int sys_errno, const char *fmt, ...)
{
    va_list ap;
    size_t len;
    if (err == NULL)
        return code;
    err->code = code;
    err->sys_errno = sys_errno;
    va_start(ap, fmt);
    error_vset(err, fmt, ap);
    va_end(ap);
    len = strlen(err->msg);
    if (len < sizeof(err->msg) - 1)
        snprintf(err->msg + len, sizeof(err->msg) - len, ": %s", strerror(sys_errno));
    return code;
}

int repl_error_wrap(repl_error *err, const char *fmt, ...)
{
    char prefix[256];
    char old[sizeof(err->msg)];
    va_list ap;
    if (err == NULL)
        return REPL_ERR_INVALID;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof(old));
    snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
    return err->code;
}

void repl_error_clear(repl_error *err)
{
    if (err == NULL)
        return;
    err->code = REPL_OK;
    err->sys_errno = 0;
    err->msg[0] = '\0';
}

const char *repl_code_name(int code)
{
    switch (code) {
    case REPL_OK:
        return "ok";
    case REPL_ERR_IO:
        return "io";
    case REPL_ERR_CORRUPT:
        return "corrupt";
    case REPL_ERR_SOURCE:
        return "source";
    case REPL_ERR_RETRY:
        return "retry";
    case REPL_ERR_INVALID:
        return "invalid";
    case REPL_ERR_FULL:
        return "full";
    case REPL_ERR_NOTFOUND:
        return "notfound";
    default:
        return "unknown";
    }
}
