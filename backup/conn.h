/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/conn.h - the MariaDB connections of backup and restore: connection options, open, run a
 * statement, read one row, quote identifiers. Thin helpers over libmariadb that turn every client
 * error into a repl_error naming the server and the statement. A MYSQL handle is used by one thread
 * at a time. */
#ifndef BKP_CONN_H
#define BKP_CONN_H

#include <mysql.h>
#include <stddef.h>
#include <stdint.h>

#include "replicator/base/buf.h"
#include "replicator/base/error.h"

/** Where and how to connect. Strings are borrowed; NULL or "" means "not set". */
typedef struct bkp_conn_options {
    const char *host;             /* TCP host (default: localhost through the socket) */
    unsigned port;                /* TCP port; 0 = 3306 */
    const char *socket;           /* Unix socket path; used when host is not set */
    const char *user;             /* login; required */
    const char *password;         /* may be NULL */
    unsigned connect_timeout_sec; /* 0 = 10 s */
} bkp_conn_options;

/** Prepare the client library for threads (mysql_library_init); safe to call repeatedly. */
void bkp_conn_library_init(void);

/** Connect. local_infile: enable LOAD DATA LOCAL (restore workers only). The session gets
 * autocommit on, utf8mb4, no reconnect, 1 GiB max packet. *out is closed with mysql_close.
 * Errors: REPL_ERR_SOURCE (server refused), REPL_ERR_RETRY (server unreachable). */
int bkp_conn_open(MYSQL **out, const bkp_conn_options *o, int local_infile, repl_error *err);

/** Human name of the server for messages: "socket PATH" or "HOST:PORT". Static per options. */
void bkp_conn_describe(const bkp_conn_options *o, char *out, size_t out_len);

/** Run one statement and discard any result. REPL_ERR_SOURCE with the server's error and the SQL.
 */
int bkp_conn_exec(MYSQL *m, const char *sql, repl_error *err);
/** Run a printf-formatted statement (identifiers must already be quoted). */
int bkp_conn_execf(MYSQL *m, repl_error *err, const char *fmt, ...) REPL_PRINTF(3, 4);

/** Run a query and copy up to n_cols columns of its first row into cols[i] (NUL-terminated,
 * truncated to col_len; a NULL value gives "" and sets the bit (1 << i) in *nulls when nulls is not
 * NULL). REPL_ERR_NOTFOUND when there is no row. */
int bkp_conn_query_row(MYSQL *m, const char *sql, char (*cols)[1024], unsigned n_cols,
                       unsigned *nulls, repl_error *err);

/** Fill err from the handle's last error: "<what>: error N: message". REPL_ERR_RETRY for a lost
 * connection or a deadlock, else REPL_ERR_SOURCE; sys_errno = mysql_errno. */
int bkp_conn_error(MYSQL *m, repl_error *err, const char *what);

/** Append name as a backquoted identifier (backquotes doubled). */
void bkp_quote_ident(repl_buf *b, const char *name);
/** Append the C string s (without its NUL). */
void bkp_buf_puts(repl_buf *b, const char *s);
/** NUL-terminate b's bytes (not counted in len) and return them as a C string. */
const char *bkp_buf_str(repl_buf *b);
/** Append s as a single-quoted string literal (escaped with mysql_real_escape_string rules). */
void bkp_quote_string(repl_buf *b, const char *s);

#endif
