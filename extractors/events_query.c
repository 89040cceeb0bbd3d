/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extractors/events_query.c - QUERY_EVENT, EXECUTE_LOAD_QUERY_EVENT and MariaDB
 * QUERY_COMPRESSED_EVENT: the post-header, every status variable (MySQL codes 0-21, MariaDB
 * 128-131) and the statement, which is inflated for QUERY_COMPRESSED. Status variables carry no
 * length, so an unknown code stops the decode with an error instead of guessing. Layouts: MySQL
 * statement_events.cpp Query_event, MariaDB log_event.cc Query_log_event. */
#include "extractors/binlog_int.h"

#include <string.h>

#define QUERY_HEADER_MINIMAL_LEN 11 /* thread_id exec_time db_len error_code */
#define QUERY_HEADER_LEN         13 /* + status_vars_len */
#define ELQ_HEADER_LEN           26 /* + file_id fn_pos_start fn_pos_end dup_handling */

typedef int (*qvar_fn)(ext_query_status *st, repl_rd *rd, const ext_decode_ctx *ctx);

/* Each reader consumes one value; a short block marks rd bad. They return 0 for a value that is
 * malformed beyond a short read. */

static const char *len8_str(repl_rd *rd, const ext_decode_ctx *ctx)
{
    uint8_t len = rd_u8(rd);
    const uint8_t *p = rd_take(rd, len);
    return p != NULL ? repl_arena_strndup(ctx->arena, (const char *)p, len) : "";
}

static int qv_flags2(ext_query_status *st, repl_rd *rd, const ext_decode_ctx *ctx)
{
    (void)ctx;
    st->flags2 = rd_u32le(rd);
    return 1;
}

static int qv_sql_mode(ext_query_status *st, repl_rd *rd, const ext_decode_ctx *ctx)
{
    (void)ctx;
    st->sql_mode = rd_u64le(rd);
    return 1;
}

static int qv_catalog(ext_query_status *st, repl_rd *rd, const ext_decode_ctx *ctx)
{
    /* the 5.0.0-5.0.3 form: length, string, NUL */
    st->catalog = len8_str(rd, ctx);
    return rd_u8(rd) == 0;
}

static int qv_catalog_nz(ext_query_status *st, repl_rd *rd, const ext_decode_ctx *ctx)
{
    st->catalog = len8_str(rd, ctx);
    return 1;
}

static int qv_auto_increment(ext_query_status *st, repl_rd *rd, const ext_decode_ctx *ctx)
{
    (void)ctx;
    st->auto_increment_increment = rd_u16le(rd);
    st->auto_increment_offset = rd_u16le(rd);
    return 1;
}

static int qv_charset(ext_query_status *st, repl_rd *rd, const ext_decode_ctx *ctx)
{
    (void)ctx;
    st->charset_client = rd_u16le(rd);
    st->collation_connection = rd_u16le(rd);
    st->collation_server = rd_u16le(rd);
    return 1;
}

static int qv_time_zone(ext_query_status *st, repl_rd *rd, const ext_decode_ctx *ctx)
{
    st->time_zone = len8_str(rd, ctx);
    return 1;
}

static int qv_lc_time_names(ext_query_status *st, repl_rd *rd, const ext_decode_ctx *ctx)
{
    (void)ctx;
    st->lc_time_names = rd_u16le(rd);
    return 1;
}

static int qv_charset_database(ext_query_status *st, repl_rd *rd, const ext_decode_ctx *ctx)
{
    (void)ctx;
    st->charset_database = rd_u16le(rd);
    return 1;
}

static int qv_table_map_for_update(ext_query_status *st, repl_rd *rd, const ext_decode_ctx *ctx)
{
    (void)ctx;
    st->table_map_for_update = rd_u64le(rd);
    return 1;
}

static int qv_master_data_written(ext_query_status *st, repl_rd *rd, const ext_decode_ctx *ctx)
{
    (void)ctx;
    st->master_data_written = rd_u32le(rd);
    return 1;
}

static int qv_invoker(ext_query_status *st, repl_rd *rd, const ext_decode_ctx *ctx)
{
    st->invoker_user = len8_str(rd, ctx);
    st->invoker_host = len8_str(rd, ctx);
    return 1;
}

static int qv_updated_db_names(ext_query_status *st, repl_rd *rd, const ext_decode_ctx *ctx)
{
    uint8_t count = rd_u8(rd);
    st->updated_db_count = count;
    if (count > EXT_QUERY_MAX_DBS) {
        /* the server logs OVER_MAX_DBS_IN_EVENT_MTS and no names */
        st->updated_db_count = EXT_QUERY_OVER_MAX_DBS;
        return 1;
    }
    if (count == 0 && rd_ok(rd))
        return 0;
    for (unsigned i = 0; i < count && rd_ok(rd); i++) {
        const uint8_t *nul = memchr(rd->p, 0, rd_left(rd));
        if (nul == NULL)
            return 0;
        st->updated_dbs[i] =
            repl_arena_strndup(ctx->arena, (const char *)rd->p, (size_t)(nul - rd->p));
        rd_skip(rd, (size_t)(nul - rd->p) + 1);
    }
    return 1;
}

static int qv_microseconds(ext_query_status *st, repl_rd *rd, const ext_decode_ctx *ctx)
{
    (void)ctx;
    st->microseconds = rd_u24le(rd);
    return 1;
}

static int qv_commit_ts(ext_query_status *st, repl_rd *rd, const ext_decode_ctx *ctx)
{
    (void)ctx;
    st->commit_seq_no = rd_u64le(rd);
    return 1;
}

static int qv_explicit_defaults_ts(ext_query_status *st, repl_rd *rd, const ext_decode_ctx *ctx)
{
    (void)ctx;
    st->explicit_defaults_ts = rd_u8(rd) != 0;
    return 1;
}

static int qv_ddl_xid(ext_query_status *st, repl_rd *rd, const ext_decode_ctx *ctx)
{
    (void)ctx;
    st->ddl_xid = rd_u64le(rd);
    return 1;
}

static int qv_default_collation(ext_query_status *st, repl_rd *rd, const ext_decode_ctx *ctx)
{
    (void)ctx;
    st->default_collation_utf8mb4 = rd_u16le(rd);
    return 1;
}

static int qv_require_pk(ext_query_status *st, repl_rd *rd, const ext_decode_ctx *ctx)
{
    (void)ctx;
    st->sql_require_primary_key = rd_u8(rd);
    return 1;
}

static int qv_table_encryption(ext_query_status *st, repl_rd *rd, const ext_decode_ctx *ctx)
{
    (void)ctx;
    st->default_table_encryption = rd_u8(rd);
    return 1;
}

static int qv_cascade_triggers(ext_query_status *st, repl_rd *rd, const ext_decode_ctx *ctx)
{
    (void)ctx;
    st->enable_cascade_triggers = rd_u8(rd);
    return 1;
}

static int qv_hrnow(ext_query_status *st, repl_rd *rd, const ext_decode_ctx *ctx)
{
    (void)ctx;
    st->hrnow_usec = rd_u24le(rd);
    return 1;
}

static int qv_xid(ext_query_status *st, repl_rd *rd, const ext_decode_ctx *ctx)
{
    (void)ctx;
    st->xid = rd_u64le(rd);
    return 1;
}

static int qv_gtid_flags3(ext_query_status *st, repl_rd *rd, const ext_decode_ctx *ctx)
{
    (void)ctx;
    st->gtid_flags_extra = rd_u8(rd);
    if (st->gtid_flags_extra & (EXT_MGTID_FLX_COMMIT_ALTER | EXT_MGTID_FLX_ROLLBACK_ALTER))
        st->sa_seq_no = rd_u64le(rd);
    return 1;
}

static int qv_charset_collations(ext_query_status *st, repl_rd *rd, const ext_decode_ctx *ctx)
{
    (void)ctx;
    st->n_charset_collations = rd_u8(rd);
    st->charset_collations = rd_take(rd, (size_t)st->n_charset_collations * 4);
    return 1;
}

static qvar_fn qvar_reader(unsigned code)
{
    static const qvar_fn mysql_codes[] = {
        qv_flags2,
        qv_sql_mode,
        qv_catalog,
        qv_auto_increment,
        qv_charset,
        qv_time_zone,
        qv_catalog_nz,
        qv_lc_time_names,
        qv_charset_database,
        qv_table_map_for_update,
        qv_master_data_written,
        qv_invoker,
        qv_updated_db_names,
        qv_microseconds,
        qv_commit_ts,
        NULL, /* Q_COMMIT_TS2 */
        qv_explicit_defaults_ts,
        qv_ddl_xid,
        qv_default_collation,
        qv_require_pk,
        qv_table_encryption,
        qv_cascade_triggers,
    };
    static const qvar_fn mariadb_codes[] = {
        qv_hrnow,
        qv_xid,
        qv_gtid_flags3,
        qv_charset_collations,
    };
    if (code < sizeof(mysql_codes) / sizeof(mysql_codes[0]))
        return mysql_codes[code];
    if (code >= EXT_Q_HRNOW &&
        code - EXT_Q_HRNOW < sizeof(mariadb_codes) / sizeof(mariadb_codes[0]))
        return mariadb_codes[code - EXT_Q_HRNOW];
    return NULL;
}

static int status_vars(ext_query_status *st, const uint8_t *p, size_t len,
                       const ext_decode_ctx *ctx, repl_error *err)
{
    repl_rd rd;
    rd_init(&rd, p, len);
    while (rd_left(&rd) > 0) {
        size_t at = len - rd_left(&rd);
        unsigned code = rd_u8(&rd);
        qvar_fn fn = qvar_reader(code);
        if (fn == NULL)
            return repl_error_set(err, REPL_ERR_CORRUPT,
                                  "unknown status variable code %u at byte %zu of %zu: its length "
                                  "is unknown, cannot decode the rest",
                                  code, at, len);
        if (!fn(st, &rd, ctx) || !rd_ok(&rd))
            return repl_error_set(err, REPL_ERR_CORRUPT,
                                  "status variable code %u at byte %zu of %zu is truncated or "
                                  "malformed",
                                  code, at, len);
        st->present |= ext_qvar_bit(code);
    }
    return REPL_OK;
}

/* thread_id exec_time db_len error_code status_vars_len [file_id fn_pos_start fn_pos_end dup] */
static int query_post_header(ext_query *q, repl_rd *rd, int type, unsigned ph, uint8_t *db_len,
                             repl_error *err)
{
    q->thread_id = rd_u32le(rd);
    q->exec_time = rd_u32le(rd);
    *db_len = rd_u8(rd);
    q->error_code = rd_u16le(rd);
    if (ph < QUERY_HEADER_LEN)
        return repl_error_set(err, REPL_ERR_INVALID,
                              "query post-header of %u bytes (before MySQL 5.0) is not supported",
                              ph);
    q->status_vars_len = rd_u16le(rd);
    if (type == EXT_EV_EXECUTE_LOAD_QUERY) {
        if (ph < ELQ_HEADER_LEN)
            return repl_error_set(err, REPL_ERR_CORRUPT,
                                  "execute load query post-header of %u bytes is too short", ph);
        q->file_id = rd_u32le(rd);
        q->fn_pos_start = rd_u32le(rd);
        q->fn_pos_end = rd_u32le(rd);
        q->dup_handling = rd_u8(rd);
    }
    return rd_ok(rd) ? REPL_OK
                     : repl_error_set(err, REPL_ERR_CORRUPT, "query post-header is truncated");
}

/* default database (db_len bytes and a NUL) and the statement to the end of the body */
static int query_db_and_sql(ext_query *q, repl_rd *rd, uint8_t db_len, const ext_decode_ctx *ctx,
                            repl_error *err)
{
    const uint8_t *db = rd_take(rd, db_len);
    uint8_t nul = rd_u8(rd);
    if (!rd_ok(rd))
        return repl_error_set(err, REPL_ERR_CORRUPT,
                              "database name of %u bytes runs past the end of the event", db_len);
    if (nul != 0)
        return repl_error_set(err, REPL_ERR_CORRUPT, "database name of %u bytes is not terminated",
                              db_len);
    q->db = repl_arena_strndup(ctx->arena, (const char *)db, db_len);
    q->sql.ptr = rd->p;
    q->sql.len = rd_left(rd);
    return REPL_OK;
}

static int query_inflate(ext_query *q, const ext_decode_ctx *ctx, repl_error *err)
{
    size_t n = 0;
    int rc = ext_zlib_block_inflate(q->sql.ptr, q->sql.len, ctx->scratch, 0, &n, err);
    if (rc != REPL_OK)
        return repl_error_wrap(err, "compressed statement");
    q->sql.ptr = ctx->scratch->data;
    q->sql.len = n;
    return REPL_OK;
}

int ext_ev_query(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err)
{
    ext_query *q = &ev->u.query;
    unsigned ph = ext_fde_post_header_len(ctx->fde, ev->type);
    uint8_t db_len = 0;
    const uint8_t *vars;
    repl_rd rd;
    int rc;
    rd_init(&rd, ev->body, ev->body_len);
    rc = query_post_header(q, &rd, ev->type, ph, &db_len, err);
    if (rc != REPL_OK)
        return rc;
    rd_init(&rd, ev->body, ev->body_len);
    vars = rd_skip(&rd, ph) ? rd_take(&rd, q->status_vars_len) : NULL;
    if (vars == NULL)
        return repl_error_set(err, REPL_ERR_CORRUPT,
                              "status variables (%u bytes) run past the end of the event",
                              q->status_vars_len);
    rc = status_vars(&q->st, vars, q->status_vars_len, ctx, err);
    if (rc == REPL_OK)
        rc = query_db_and_sql(q, &rd, db_len, ctx, err);
    if (rc == REPL_OK && ev->type == EXT_EV_MARIA_QUERY_COMPRESSED)
        rc = query_inflate(q, ctx, err);
    if (rc == REPL_OK && ev->type == EXT_EV_EXECUTE_LOAD_QUERY &&
        (q->fn_pos_start > q->fn_pos_end || q->fn_pos_end > q->sql.len))
        rc = repl_error_set(err, REPL_ERR_CORRUPT, "file name position %u-%u outside the statement",
                            q->fn_pos_start, q->fn_pos_end);
    return rc;
}
