/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replicator/base/error.h - the error type every fallible trep function fills: an int code plus a
 * message. A repl_error belongs to the caller, is fixed-size and never allocated, so it survives
 * OOM and crosses threads by value (STYLE.md section 3). */
#ifndef REPL_ERROR_H
#define REPL_ERROR_H

#define REPL_PRINTF(fmt_idx, arg_idx) __attribute__((format(printf, fmt_idx, arg_idx)))

typedef enum repl_code {
    REPL_OK = 0,
    REPL_ERR_IO = -1,      /* sys_errno holds errno */
    REPL_ERR_CORRUPT = -2, /* bad bytes on disk or on the wire */
    REPL_ERR_SOURCE = -3,  /* source server error; sys_errno = mysql_errno() */
    REPL_ERR_RETRY = -4,   /* transient: lost connection, deadlock; try again */
    REPL_ERR_INVALID = -5, /* bad argument, configuration or state */
    REPL_ERR_FULL = -6,    /* a size limit was reached: map full, disk full, frame too large */
    REPL_ERR_NOTFOUND = -7 /* the asked-for item does not exist (not always an error) */
} repl_code;

typedef struct repl_error {
    repl_code code;
    int sys_errno; /* errno, mysql_errno(), MDB_* code, ...; 0 if none */
    char msg[512];
} repl_error;

/** Set err (if not NULL) to code and a formatted message; returns code. */
int repl_error_set(repl_error *err, repl_code code, const char *fmt, ...) REPL_PRINTF(3, 4);

/** Like repl_error_set, records sys_errno and appends ": strerror(sys_errno)"; returns code. */
int repl_error_sys(repl_error *err, repl_code code, int sys_errno, const char *fmt, ...)
    REPL_PRINTF(4, 5);

/** Prepend "context: " to err's message, keep its code; returns err->code. */
int repl_error_wrap(repl_error *err, const char *fmt, ...) REPL_PRINTF(2, 3);

/** Reset err to REPL_OK with an empty message. */
void repl_error_clear(repl_error *err);

/** Short name of a code ("io", "corrupt", ...). */
const char *repl_code_name(int code);

#endif
