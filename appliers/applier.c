/* SPDX-License-Identifier: GPL-2.0-or-later */
/* appliers/applier.c - the applier object: the target connection (connect, session set-up,
 * reconnect after a loss), the block-commit state machine (which events share a target transaction,
 * when it commits with its trep_commit_seqno row, what ends a block), ordering and restart checks,
 * crash recovery of events whose effects commit on their own (pending marker, docs/applier.md) and
 * error reporting (apl_failure). Row and statement items are applied by apply_rows.c,
 * apply_binlog.c and apply_stmt.c. Owner thread only. */
#include "appliers/applier_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replicator/base/clock.h"
#include "replicator/base/log.h"

void apl_options_init(apl_options *o)
{
    memset(o, 0, sizeof(*o));
    o->service = "default";
    o->block_events = 100;
    o->block_ms = 500;
    o->sql_log_bin = 1;
    o->binlog_path = 1;
    o->connect_timeout_sec = 10;
}

/* ---- errors ------------------------------------------------------------------------------------
 */

static int err_is_lost(unsigned e)
{
    /* CR_SERVER_GONE_ERROR, CR_SERVER_LOST, CR_SERVER_LOST_EXTENDED, ER_CONNECTION_KILLED,
     * ER_SERVER_SHUTDOWN, CR_CONNECTION_ERROR, CR_CONN_HOST_ERROR */
    return e == 2006 || e == 2013 || e == 2055 || e == 1927 || e == 1053 || e == 2002 || e == 2003;
}

static int err_code(unsigned e)
{
    /* ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT: the caller re-applies from the committed position */
    if (e == 1213 || e == 1205 || err_is_lost(e))
        return REPL_ERR_RETRY;
    return REPL_ERR_SOURCE;
}

int apl_recovery_tolerates(const apl_applier *a, unsigned e)
{
    /* "already done" answers: table/db/column/key/routine/trigger/event/user/sequence exists or
     * does not exist, XA id exists or unknown, duplicate row, row not found */
    static const unsigned done[] = { 1007, 1008, 1022, 1032, 1050, 1051, 1054, 1060,
                                     1061, 1062, 1091, 1146, 1304, 1305, 1359, 1360,
                                     1396, 1397, 1440, 1537, 1539, 1826, 4091, 4092 };
    if (!a->recovering)
        return 0;
    for (size_t i = 0; i < sizeof(done) / sizeof(done[0]); i++) {
        if (done[i] == e)
            return 1;
    }
    return 0;
}

void apl_fail_set(apl_applier *a, unsigned server_errno, const char *sql, size_t sql_len,
                  const char *msg)
{
    apl_failure *f = &a->failure;
    size_t n = sql_len < sizeof(f->sql) - 1 ? sql_len : sizeof(f->sql) - 1;
    memset(f, 0, sizeof(*f));
    a->failed = 1;
    if (a->cur_ev != NULL) {
        f->seqno = a->cur_ev->seqno;
        f->fragno = a->cur_ev->fragno;
        snprintf(f->event_id, sizeof(f->event_id), "%s", a->cur_ev->event_id);
    } else if (a->have_pending) { /* a commit: the block's last event */
        f->seqno = a->pending.seqno;
        f->fragno = a->pending.fragno;
        snprintf(f->event_id, sizeof(f->event_id), "%s", a->pending.event_id);
    }
    if (n > 0)
        memcpy(f->sql, sql, n);
    f->sql[n] = '\0';
    f->server_errno = server_errno;
    snprintf(f->server_error, sizeof(f->server_error), "%s", msg);
}

int apl_fail_server(apl_applier *a, MYSQL_STMT *stmt, const char *sql, size_t sql_len,
                    repl_error *err)
{
    unsigned e = stmt != NULL ? mysql_stmt_errno(stmt) : mysql_errno(a->conn);
    const char *msg = stmt != NULL ? mysql_stmt_error(stmt) : mysql_error(a->conn);
    int code = err_code(e);
    if (e == 0)
        msg = "unknown client error (out of memory?)";
    if (err_is_lost(e) || e == 0)
        a->broken = 1;
    apl_fail_set(a, e, sql, sql_len, msg);
    repl_error_set(err, code, "apply: seqno=%" PRIu64 ": error %u: %s; in: %.*s",
                   a->cur_ev != NULL ? a->cur_ev->seqno : 0, e, msg,
                   (int)(sql_len < 200 ? sql_len : 200), sql);
    err->sys_errno = (int)e;
    return code;
}

int apl_exec(apl_applier *a, const char *sql, size_t len, repl_error *err)
{
    if (mysql_real_query(a->conn, sql, (unsigned long)len) != 0)
        return apl_fail_server(a, NULL, sql, len, err);
    return REPL_OK;
}

int apl_trx_need(apl_applier *a, repl_error *err)
{
    int rc;
    if (a->trx_open || a->in_xa)
        return REPL_OK;
    rc = apl_exec(a, "BEGIN", 5, err);
    if (rc == REPL_OK)
        a->trx_open = 1;
    return rc;
}

/* ---- connection --------------------------------------------------------------------------------
 */

static void conn_forget(apl_applier *a)
{
    apl_pstmt_clear(a);
    if (a->pos_stmt != NULL)
        mysql_stmt_close(a->pos_stmt);
    a->pos_stmt = NULL;
    if (a->conn != NULL)
        mysql_close(a->conn);
    a->conn = NULL;
    apl_sess_reset(&a->sess);
    repl_free(a->cur_db);
    a->cur_db = NULL;
    a->fde_sent = 0;
    a->broken = 0;
}

static int conn_session(apl_applier *a, repl_error *err)
{
    char sql[160];
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc;
    snprintf(sql, sizeof(sql), "SET @@session.autocommit=1, @@session.max_statement_time=0%s",
             a->opts.sql_log_bin ? "" : ", @@session.sql_log_bin=0");
    rc = apl_exec(a, sql, strlen(sql), err);
    if (rc == REPL_OK)
        rc = apl_query_rows(a, "SELECT @@server_id", &res, err);
    if (rc != REPL_OK)
        return repl_error_wrap(err, "apply: session set-up");
    row = mysql_fetch_row(res);
    a->server_id = row != NULL && row[0] != NULL ? strtoul(row[0], NULL, 10) : 0;
    mysql_free_result(res);
    return REPL_OK;
}

static void conn_options(MYSQL *m, const apl_options *o)
{
    unsigned timeout = o->connect_timeout_sec;
    unsigned long max_packet = 1ul << 30;
    my_bool off = 0;
    unsigned zero = 0;
    mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    mysql_options(m, MYSQL_OPT_RECONNECT, &off);
    mysql_options(m, MYSQL_OPT_LOCAL_INFILE, &zero);
    mysql_optionsv(m, MYSQL_OPT_MAX_ALLOWED_PACKET, &max_packet);
}

static int conn_open(apl_applier *a, repl_error *err)
{
    /* a configured socket wins: libmariadb would connect over TCP to a named host */
    const char *host = a->socket == NULL && a->host != NULL && a->host[0] != '\0' ? a->host : NULL;
    unsigned long flags = CLIENT_FOUND_ROWS | CLIENT_MULTI_RESULTS;
    conn_forget(a);
    a->conn = mysql_init(NULL);
    if (a->conn == NULL)
        return repl_error_set(err, REPL_ERR_IO, "apply: mysql_init failed (out of memory)");
    conn_options(a->conn, &a->opts);
    if (mysql_real_connect(a->conn, host, a->user, a->password, NULL, a->opts.port, a->socket,
                           flags) == NULL) {
        unsigned e = mysql_errno(a->conn);
        repl_error_set(err, err_code(e) == REPL_ERR_RETRY ? REPL_ERR_RETRY : REPL_ERR_SOURCE,
                       "apply: connect to %s: error %u: %s",
                       a->socket != NULL ? a->socket : (host != NULL ? host : "localhost"), e,
                       mysql_error(a->conn));
        err->sys_errno = (int)e;
        mysql_close(a->conn);
        a->conn = NULL;
        return err->code;
    }
    return conn_session(a, err);
}

int apl_conn_cycle(apl_applier *a, repl_error *err)
{
    int rc = conn_open(a, err);
    if (rc != REPL_OK)
        a->broken = 1;
    return rc;
}

/* Forget the block: what was not committed is gone with the transaction or the connection. */
void apl_block_reset(apl_applier *a)
{
    a->trx_open = 0;
    a->in_xa = 0;
    a->xa_prepared = 0;
    a->have_pending = 0;
    a->block_trx = 0;
    a->recovering = 0;
    a->skip_rest = 0;
}

int apl_conn_ensure(apl_applier *a, repl_error *err)
{
    int rc;
    if (a->conn != NULL && !a->broken)
        return REPL_OK;
    REPL_LOG_INFO(APL_LOG, "service=%s channel=%d connecting", a->service, a->opts.channel);
    apl_block_reset(a);
    rc = conn_open(a, err);
    if (rc == REPL_OK)
        rc = apl_pos_read(a, &a->committed, NULL, err);
    if (rc != REPL_OK) {
        conn_forget(a);
        a->broken = 1;
    }
    return rc;
}

/* ---- open / close ------------------------------------------------------------------------------
 */

static int opts_check(const apl_options *o, repl_error *err)
{
    size_t n = o->service != NULL ? strlen(o->service) : 0;
    if (n == 0 || n > 48 ||
        strspn(o->service, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                           "0123456789_") != n)
        return repl_error_set(err, REPL_ERR_INVALID,
                              "apply: service name '%s' must be 1-48 characters [A-Za-z0-9_]",
                              o->service != NULL ? o->service : "");
    if (o->channel < 0 || o->block_events < 1 || o->block_ms < 0)
        return repl_error_set(err, REPL_ERR_INVALID,
                              "apply: channel (%d) and block_ms (%d) must be >= 0, block_events "
                              "(%d) >= 1",
                              o->channel, o->block_ms, o->block_events);
    return REPL_OK;
}

static char *opt_dup(const char *s)
{
    return s != NULL ? repl_strdup(s) : NULL;
}

int apl_applier_open(apl_applier **out, const apl_options *opts, repl_error *err)
{
    apl_applier *a = NULL;
    int rc;
    *out = NULL;
    rc = opts_check(opts, err);
    if (rc != REPL_OK)
        return rc;
    a = repl_calloc(1, sizeof(*a));
    a->opts = *opts;
    a->host = opt_dup(opts->host);
    a->socket = opt_dup(opts->socket);
    a->user = opt_dup(opts->user);
    a->password = opt_dup(opts->password);
    a->service = repl_strdup(opts->service);
    /* the copy must not point into the caller's strings */
    a->opts.host = a->host;
    a->opts.socket = a->socket;
    a->opts.user = a->user;
    a->opts.password = a->password;
    a->opts.service = a->service;
    snprintf(a->catalog, sizeof(a->catalog), "trep_%s", opts->service);
    a->committed.empty = 1;
    a->scratch = repl_arena_new(16384);
    a->binds = repl_arena_new(16384);
    repl_buf_init(&a->sql);
    rc = conn_open(a, err);
    if (rc == REPL_OK)
        rc = apl_pos_create_catalog(a, err);
    if (rc == REPL_OK)
        rc = apl_pos_read(a, &a->committed, NULL, err);
    if (rc != REPL_OK) {
        apl_applier_close(a);
        return rc;
    }
    *out = a;
    return REPL_OK;
}

void apl_applier_close(apl_applier *a)
{
    if (a == NULL)
        return;
    conn_forget(a);
    apl_meta_free(a);
    repl_arena_free(a->scratch);
    repl_arena_free(a->binds);
    repl_buf_dispose(&a->sql);
    repl_free(a->host);
    repl_free(a->socket);
    repl_free(a->user);
    repl_free(a->password);
    repl_free(a->service);
    repl_free(a);
}

int apl_applier_position(apl_applier *a, apl_position *out, repl_error *err)
{
    apl_hdr h;
    int rc = apl_conn_ensure(a, err);
    if (rc != REPL_OK)
        return rc;
    return apl_pos_read(a, &h, out, err);
}

const apl_failure *apl_applier_last_failure(const apl_applier *a)
{
    return a->failed ? &a->failure : NULL;
}

void apl_applier_stats(const apl_applier *a, apl_stats *out)
{
    *out = a->stats;
    out->thread_id = a->conn != NULL ? mysql_thread_id(a->conn) : 0;
}
