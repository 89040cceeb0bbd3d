/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/conn.c - MariaDB connection helpers for backup and restore: open with our session
 * defaults, run statements, read a row, quote names. Every error names the server or statement. */
#include "backup/conn.h"

#include <errmsg.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "replicator/base/mem.h"

static pthread_once_t conn_once = PTHREAD_ONCE_INIT;

static void conn_library_init_once(void)
{
    mysql_library_init(0, NULL, NULL);
}

void bkp_conn_library_init(void)
{
    pthread_once(&conn_once, conn_library_init_once);
}

void bkp_conn_describe(const bkp_conn_options *o, char *out, size_t out_len)
{
    if (o->host != NULL && o->host[0] != '\0')
        snprintf(out, out_len, "%s:%u", o->host, o->port != 0 ? o->port : 3306);
    else if (o->socket != NULL && o->socket[0] != '\0')
        snprintf(out, out_len, "socket %s", o->socket);
    else
        snprintf(out, out_len, "localhost");
}

static int conn_code(unsigned e)
{
    if (e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST || e == CR_CONNECTION_ERROR ||
        e == CR_CONN_HOST_ERROR || e == 1213 || e == 1205)
        return REPL_ERR_RETRY;
    return REPL_ERR_SOURCE;
}

int bkp_conn_error(MYSQL *m, repl_error *err, const char *what)
{
    unsigned e = mysql_errno(m);
    repl_error_set(err, conn_code(e), "%s: error %u: %s", what, e, mysql_error(m));
    if (err != NULL)
        err->sys_errno = (int)e;
    return conn_code(e);
}

static void conn_set_options(MYSQL *m, const bkp_conn_options *o, int local_infile)
{
    unsigned timeout = o->connect_timeout_sec != 0 ? o->connect_timeout_sec : 10;
    unsigned long max_packet = 1ul << 30;
    unsigned infile = local_infile ? 1 : 0;
    my_bool off = 0;
    mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    mysql_options(m, MYSQL_OPT_RECONNECT, &off);
    mysql_options(m, MYSQL_OPT_LOCAL_INFILE, &infile);
    mysql_optionsv(m, MYSQL_OPT_MAX_ALLOWED_PACKET, &max_packet);
}

int bkp_conn_open(MYSQL **out, const bkp_conn_options *o, int local_infile, repl_error *err)
{
    const char *host = o->host != NULL && o->host[0] != '\0' ? o->host : NULL;
    const char *sock = o->socket != NULL && o->socket[0] != '\0' ? o->socket : NULL;
    char where[600];
    MYSQL *m;
    *out = NULL;
    bkp_conn_library_init();
    m = mysql_init(NULL);
    if (m == NULL)
        return repl_error_set(err, REPL_ERR_IO, "backup: mysql_init failed (out of memory)");
    conn_set_options(m, o, local_infile);
    if (mysql_real_connect(m, host, o->user, o->password, NULL, o->port, host != NULL ? NULL : sock,
                           CLIENT_MULTI_RESULTS) == NULL) {
        bkp_conn_describe(o, where, sizeof(where));
        bkp_conn_error(m, err, "connect");
        repl_error_wrap(err, "backup: server %s", where);
        mysql_close(m);
        return err != NULL ? err->code : REPL_ERR_SOURCE;
    }
    *out = m;
    return REPL_OK;
}

static void conn_drain(MYSQL *m)
{
    do {
        MYSQL_RES *res = mysql_store_result(m);
        if (res != NULL)
            mysql_free_result(res);
    } while (mysql_next_result(m) == 0);
}

int bkp_conn_exec(MYSQL *m, const char *sql, repl_error *err)
{
    char what[300];
    if (mysql_real_query(m, sql, strlen(sql)) != 0) {
        snprintf(what, sizeof(what), "backup: %.240s", sql);
        return bkp_conn_error(m, err, what);
    }
    conn_drain(m);
    return REPL_OK;
}

int bkp_conn_execf(MYSQL *m, repl_error *err, const char *fmt, ...)
{
    repl_buf b;
    va_list ap;
    char *sql;
    int n;
    int rc;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    repl_buf_init(&b);
    repl_buf_reserve(&b, (size_t)n + 1);
    sql = (char *)b.data;
    va_start(ap, fmt);
    vsnprintf(sql, (size_t)n + 1, fmt, ap);
    va_end(ap);
    rc = bkp_conn_exec(m, sql, err);
    repl_buf_dispose(&b);
    return rc;
}

int bkp_conn_query_row(MYSQL *m, const char *sql, char (*cols)[1024], unsigned n_cols,
                       unsigned *nulls, repl_error *err)
{
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    unsigned long *lens;
    char what[300];
    unsigned n;
    if (nulls != NULL)
        *nulls = 0;
    snprintf(what, sizeof(what), "backup: %.240s", sql);
    if (mysql_real_query(m, sql, strlen(sql)) != 0)
        return bkp_conn_error(m, err, what);
    res = mysql_store_result(m);
    if (res == NULL) {
        if (mysql_errno(m) != 0)
            return bkp_conn_error(m, err, what);
        return repl_error_set(err, REPL_ERR_NOTFOUND, "%s: no result", what);
    }
    row = mysql_fetch_row(res);
    if (row == NULL) {
        mysql_free_result(res);
        conn_drain(m);
        return repl_error_set(err, REPL_ERR_NOTFOUND, "%s: no row", what);
    }
    lens = mysql_fetch_lengths(res);
    n = mysql_num_fields(res);
    for (unsigned i = 0; i < n_cols; i++) {
        size_t len = i < n && row[i] != NULL ? lens[i] : 0;
        if (len > 1023)
            len = 1023;
        if (i < n && row[i] != NULL)
            memcpy(cols[i], row[i], len);
        else if (nulls != NULL)
            *nulls |= 1u << i;
        cols[i][len] = '\0';
    }
    mysql_free_result(res);
    conn_drain(m);
    return REPL_OK;
}

void bkp_quote_ident(repl_buf *b, const char *name)
{
    repl_buf_put_u8(b, '`');
    for (const char *p = name; *p != '\0'; p++) {
        if (*p == '`')
            repl_buf_put_u8(b, '`');
        repl_buf_put_u8(b, (uint8_t)*p);
    }
    repl_buf_put_u8(b, '`');
}

void bkp_quote_string(repl_buf *b, const char *s)
{
    repl_buf_put_u8(b, '\'');
    for (const char *p = s; *p != '\0'; p++) {
        switch (*p) {
        case '\\':
            bkp_buf_puts(b, "\\\\");
            break;
        case '\'':
            bkp_buf_puts(b, "\\'");
            break;
        case '\n':
            bkp_buf_puts(b, "\\n");
            break;
        case '\r':
            bkp_buf_puts(b, "\\r");
            break;
        case '\032':
            bkp_buf_puts(b, "\\Z");
            break;
        default:
            repl_buf_put_u8(b, (uint8_t)*p);
        }
    }
    repl_buf_put_u8(b, '\'');
}

const char *bkp_buf_str(repl_buf *b)
{
    repl_buf_reserve(b, 1);
    b->data[b->len] = '\0';
    return (const char *)b->data;
}

void bkp_buf_puts(repl_buf *b, const char *s)
{
    repl_buf_put(b, s, strlen(s));
}
