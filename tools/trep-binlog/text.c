/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tools/trep-binlog/text.c - the text rendering: per event "# at OFFSET", a header line as
 * mariadb-binlog prints it (time, server id, end_log_pos, CRC32) with the type name and flags, then
 * every decoded field on "#   " lines, statements as SQL text followed by mariadb-binlog's
 * delimiter line, TABLE_MAP columns with type and metadata, and rows as "### INSERT INTO `db`.`t`",
 * "### SET", "###   @1=value" plus a comment with TYPE meta=M nullable=N is_null=N, exactly the
 * shape of mariadb-binlog -vv; values rendered by thl/print.h. */
#include "tool_binlog.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "extractors/table_map.h"
#include "thl/print.h"

static void header(repl_buf *out, const ext_event *ev)
{
    time_t t = (time_t)ev->timestamp;
    struct tm tm;
    localtime_r(&t, &tm);
    if (ev->inner)
        repl_buf_printf(out, "# at %" PRIu64 " (inner event %u of TRANSACTION_PAYLOAD_EVENT)\n",
                        ev->offset, ev->inner_index);
    else
        repl_buf_printf(out, "# at %" PRIu64 "\n", ev->offset);
    repl_buf_printf(out, "#%02d%02d%02d %2d:%02d:%02d server id %u  end_log_pos %u ",
                    tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                    ev->server_id, ev->log_pos);
    if (ev->crc_present)
        repl_buf_printf(out, "CRC32 0x%08x%s ", ev->crc, ev->crc_verified ? "" : " (unchecked)");
    repl_buf_printf(out, "\t%s type=%u len=%u flags=0x%04x\n", ext_event_type_name(ev->type),
                    ev->type, ev->event_len, ev->flags);
}

static void quoted(repl_buf *out, const char *s)
{
    thl_print_quoted(out, (const uint8_t *)s, strlen(s));
}

static void hex(repl_buf *out, const uint8_t *p, size_t len)
{
    repl_buf_printf(out, "X'");
    for (size_t i = 0; i < len; i++)
        repl_buf_printf(out, "%02X", p[i]);
    repl_buf_printf(out, "'");
}

/* SQL text as is, terminated the way mariadb-binlog does */
static void statement(repl_buf *out, ext_bytes sql)
{
    repl_buf_put(out, sql.ptr, sql.len);
    repl_buf_printf(out, "\n/*!*/;\n");
}

/* ---- statements -------------------------------------------------------------------------------
 */

static void query_status_1(repl_buf *out, const ext_query_status *st)
{
#define HAS(code) (st->present & ext_qvar_bit(code))
    if (HAS(EXT_Q_FLAGS2))
        repl_buf_printf(out, " flags2=0x%08x", st->flags2);
    if (HAS(EXT_Q_SQL_MODE))
        repl_buf_printf(out, " sql_mode=0x%" PRIx64, st->sql_mode);
    if (HAS(EXT_Q_CATALOG) || HAS(EXT_Q_CATALOG_NZ)) {
        repl_buf_printf(out, " catalog=");
        quoted(out, st->catalog);
    }
    if (HAS(EXT_Q_AUTO_INCREMENT))
        repl_buf_printf(out, " auto_increment_increment=%u auto_increment_offset=%u",
                        st->auto_increment_increment, st->auto_increment_offset);
    if (HAS(EXT_Q_CHARSET))
        repl_buf_printf(out,
                        " character_set_client=%u collation_connection=%u "
                        "collation_server=%u",
                        st->charset_client, st->collation_connection, st->collation_server);
    if (HAS(EXT_Q_TIME_ZONE)) {
        repl_buf_printf(out, " time_zone=");
        quoted(out, st->time_zone);
    }
    if (HAS(EXT_Q_LC_TIME_NAMES))
        repl_buf_printf(out, " lc_time_names=%u", st->lc_time_names);
    if (HAS(EXT_Q_CHARSET_DATABASE))
        repl_buf_printf(out, " collation_database=%u", st->charset_database);
    if (HAS(EXT_Q_TABLE_MAP_FOR_UPDATE))
        repl_buf_printf(out, " table_map_for_update=0x%" PRIx64, st->table_map_for_update);
    if (HAS(EXT_Q_MASTER_DATA_WRITTEN))
        repl_buf_printf(out, " master_data_written=%u", st->master_data_written);
    if (HAS(EXT_Q_INVOKER)) {
        repl_buf_printf(out, " invoker=");
        quoted(out, st->invoker_user);
        repl_buf_printf(out, "@");
        quoted(out, st->invoker_host);
    }
}

static void query_status_2(repl_buf *out, const ext_query_status *st)
{
    if (HAS(EXT_Q_UPDATED_DB_NAMES)) {
        repl_buf_printf(out, " updated_dbs=%u", st->updated_db_count);
        unsigned n = st->updated_db_count <= EXT_QUERY_MAX_DBS ? st->updated_db_count : 0;
        for (unsigned i = 0; i < n; i++)
            repl_buf_printf(out, "%s`%s`", i ? "," : ":", st->updated_dbs[i]);
    }
    if (HAS(EXT_Q_MICROSECONDS))
        repl_buf_printf(out, " microseconds=%u", st->microseconds);
    if (HAS(EXT_Q_COMMIT_TS))
        repl_buf_printf(out, " commit_seq_no=%" PRIu64, st->commit_seq_no);
    if (HAS(EXT_Q_EXPLICIT_DEFAULTS_FOR_TIMESTAMP))
        repl_buf_printf(out, " explicit_defaults_for_timestamp=%u", st->explicit_defaults_ts);
    if (HAS(EXT_Q_DDL_LOGGED_WITH_XID))
        repl_buf_printf(out, " ddl_xid=%" PRIu64, st->ddl_xid);
    if (HAS(EXT_Q_DEFAULT_COLLATION_FOR_UTF8MB4))
        repl_buf_printf(out, " default_collation_for_utf8mb4=%u", st->default_collation_utf8mb4);
    if (HAS(EXT_Q_SQL_REQUIRE_PRIMARY_KEY))
        repl_buf_printf(out, " sql_require_primary_key=%u", st->sql_require_primary_key);
    if (HAS(EXT_Q_DEFAULT_TABLE_ENCRYPTION))
        repl_buf_printf(out, " default_table_encryption=%u", st->default_table_encryption);
    if (HAS(EXT_Q_ENABLE_CASCADE_TRIGGERS))
        repl_buf_printf(out, " enable_cascade_triggers=%u", st->enable_cascade_triggers);
    if (HAS(EXT_Q_HRNOW))
        repl_buf_printf(out, " hrnow=%u", st->hrnow_usec);
    if (HAS(EXT_Q_XID))
        repl_buf_printf(out, " xid=%" PRIu64, st->xid);
    if (HAS(EXT_Q_GTID_FLAGS3))
        repl_buf_printf(out, " gtid_flags_extra=0x%02x sa_seq_no=%" PRIu64, st->gtid_flags_extra,
                        st->sa_seq_no);
    for (unsigned i = 0; i < st->n_charset_collations; i++) {
        const uint8_t *p = st->charset_collations + 4 * i;
        repl_buf_printf(out, "%s%u=%u", i ? "," : " character_set_collations=", p[0] | p[1] << 8,
                        p[2] | p[3] << 8);
    }
#undef HAS
}

static void text_query(repl_buf *out, const ext_event *ev)
{
    const ext_query *q = &ev->u.query;
    repl_buf_printf(out, "#   thread_id=%u exec_time=%u error_code=%u db=", q->thread_id,
                    q->exec_time, q->error_code);
    quoted(out, q->db);
    if (ev->type == EXT_EV_EXECUTE_LOAD_QUERY)
        repl_buf_printf(out, " file_id=%u fn_pos=%u-%u dup_handling=%u", q->file_id,
                        q->fn_pos_start, q->fn_pos_end, q->dup_handling);
    repl_buf_printf(out, "\n#   status:");
    query_status_1(out, &q->st);
    query_status_2(out, &q->st);
    repl_buf_printf(out, "\n");
    statement(out, q->sql);
}

static void text_user_var(repl_buf *out, const ext_user_var *uv)
{
    repl_buf_printf(out, "#   @`%s`=", uv->name);
    if (uv->is_null)
        repl_buf_printf(out, "NULL");
    else if (uv->type == EXT_UV_INT && (uv->flags & EXT_UV_UNSIGNED_F))
        repl_buf_printf(out, "%" PRIu64, (uint64_t)uv->int_value);
    else if (uv->type == EXT_UV_INT)
        repl_buf_printf(out, "%" PRId64, uv->int_value);
    else if (uv->type == EXT_UV_REAL)
        repl_buf_printf(out, "%.17g", uv->real_value);
    else if (uv->type == EXT_UV_DECIMAL)
        repl_buf_printf(out, "%s", uv->decimal_text);
    else
        thl_print_quoted(out, uv->value.ptr, uv->value.len);
    repl_buf_printf(out, " type=%u charset=%u flags=%s\n", uv->type, uv->charset,
                    uv->has_flags ? (uv->flags & EXT_UV_UNSIGNED_F ? "UNSIGNED" : "0") : "absent");
}

static void text_lines(repl_buf *out, const char *prefix, ext_bytes text)
{
    size_t start = 0;
    for (size_t i = 0; i <= text.len; i++) {
        if (i == text.len || text.ptr[i] == '\n') {
            repl_buf_printf(out, "%s", prefix);
            repl_buf_put(out, text.ptr + start, i - start);
            repl_buf_printf(out, "\n");
            start = i + 1;
        }
    }
}

/* ---- identity events --------------------------------------------------------------------------
 */

static void text_mgtid(repl_buf *out, const ext_mariadb_gtid *g)
{
    repl_buf_printf(out, "#   gtid=%u-%u-%" PRIu64 " flags2=0x%02x", g->gtid.domain_id,
                    g->gtid.server_id, g->gtid.seq_no, g->flags2);
    if (g->flags2 & EXT_MGTID_FL_GROUP_COMMIT_ID)
        repl_buf_printf(out, " commit_id=%" PRIu64, g->commit_id);
    if (g->flags2 & (EXT_MGTID_FL_PREPARED_XA | EXT_MGTID_FL_COMPLETED_XA)) {
        repl_buf_printf(out, " xid=");
        hex(out, g->xa_data, g->xa_gtrid_len);
        repl_buf_printf(out, ",");
        hex(out, g->xa_data + g->xa_gtrid_len, g->xa_bqual_len);
        repl_buf_printf(out, ",%d", g->xa_format_id);
    }
    repl_buf_printf(out, " flags_extra=0x%02x", g->flags_extra);
    if (g->flags_extra & EXT_MGTID_FLX_MULTI_ENGINE)
        repl_buf_printf(out, " extra_engines=%u", g->extra_engines);
    if (g->flags_extra & (EXT_MGTID_FLX_COMMIT_ALTER | EXT_MGTID_FLX_ROLLBACK_ALTER))
        repl_buf_printf(out, " sa_seq_no=%" PRIu64, g->sa_seq_no);
    if (g->flags_extra & EXT_MGTID_FLX_THREAD_ID)
        repl_buf_printf(out, " thread_id=%u", g->thread_id);
    repl_buf_printf(out, "\n");
}

static void text_gtid_list(repl_buf *out, const ext_gtid_list *gl)
{
    repl_buf_printf(out, "#   flags=%u gtids=[", gl->flags);
    for (uint32_t i = 0; i < gl->count; i++)
        repl_buf_printf(out, "%s%u-%u-%" PRIu64, i ? "," : "", gl->list[i].domain_id,
                        gl->list[i].server_id, gl->list[i].seq_no);
    repl_buf_printf(out, "]\n");
}

static void text_mysql_gtid(repl_buf *out, const ext_mysql_gtid *g)
{
    repl_buf_printf(out, "#   gtid=%s%s%s:%" PRId64 " flags=%u", g->uuid_text, *g->tag ? ":" : "",
                    g->tag, g->gno, g->flags);
    if (g->has_logical_clock)
        repl_buf_printf(out, " last_committed=%" PRId64 " sequence_number=%" PRId64,
                        g->last_committed, g->sequence_number);
    if (g->has_commit_ts)
        repl_buf_printf(out, " immediate_commit_ts=%" PRIu64 " original_commit_ts=%" PRIu64,
                        g->immediate_commit_ts, g->original_commit_ts);
    if (g->has_trx_length)
        repl_buf_printf(out, " transaction_length=%" PRIu64, g->transaction_length);
    if (g->has_server_version)
        repl_buf_printf(out, " immediate_server_version=%u original_server_version=%u",
                        g->immediate_server_version, g->original_server_version);
    if (g->commit_group_ticket)
        repl_buf_printf(out, " commit_group_ticket=%" PRIu64, g->commit_group_ticket);
    repl_buf_printf(out, "\n");
}

/* ---- tables and rows --------------------------------------------------------------------------
 */

static void text_column(repl_buf *out, uint32_t i, const thl_column *c)
{
    char type[64];
    repl_buf_printf(out,
                    "#   @%u `%s` %s meta=%u length=%u scale=%u charset=%u nullable=%d "
                    "unsigned=%d pk=%d",
                    i + 1, c->name, tool_col_type_name(type, sizeof(type), c), c->meta, c->length,
                    c->scale, c->charset, (c->flags & THL_COL_NULLABLE) != 0,
                    (c->flags & THL_COL_UNSIGNED) != 0, (c->flags & THL_COL_PK) != 0);
    for (uint32_t m = 0; m < c->n_members; m++) {
        repl_buf_printf(out, "%s", m ? "," : " members=");
        quoted(out, c->members[m]);
    }
    repl_buf_printf(out, "\n");
}

static void text_table_map(repl_buf *out, const ext_table_map_event *tm)
{
    const ext_table_map *m = tm->map;
    repl_buf_printf(out, "#   table_id=%" PRIu64 " `%s`.`%s` columns=%u\n", tm->table_id, m->schema,
                    m->table, m->ncols);
    for (uint32_t i = 0; i < m->ncols; i++)
        text_column(out, i, &m->cols[i]);
}

static void text_image(repl_buf *out, const char *label, const thl_rows *r, const thl_value *img,
                       const uint8_t *present)
{
    char type[64];
    repl_buf_printf(out, "### %s\n", label);
    for (uint32_t i = 0; i < r->ncols; i++) {
        const thl_column *c = &r->cols[i];
        if (present != NULL && !thl_bit_get(present, i))
            continue;
        repl_buf_printf(out, "###   @%u=", i + 1);
        thl_print_value(out, &img[i], c);
        repl_buf_printf(out, " /* %s meta=%u nullable=%d is_null=%d */\n",
                        tool_col_type_name(type, sizeof(type), c), c->meta,
                        (c->flags & THL_COL_NULLABLE) != 0, img[i].kind == THL_VAL_NULL);
    }
}

static void text_rows(repl_buf *out, const ext_event *ev, const thl_rows *r)
{
    static const char *const verbs[] = { "", "INSERT INTO", "UPDATE", "DELETE FROM" };
    const ext_rows_event *re = &ev->u.rows;
    repl_buf_printf(out, "#   table_id=%" PRIu64 " flags=0x%04x%s%s version=%d\n", re->table_id,
                    re->flags, re->flags & EXT_ROWS_STMT_END_F ? " STMT_END_F" : "",
                    re->compressed ? " compressed" : "", re->version);
    if (r == NULL) {
        repl_buf_printf(out, "#   (no table: end-of-statement marker)\n");
        return;
    }
    for (uint32_t n = 0; n < r->nrows; n++) {
        repl_buf_printf(out, "### %s `%s`.`%s`\n", verbs[r->action < 4 ? r->action : 0], r->schema,
                        r->table);
        if (r->rows[n].before != NULL)
            text_image(out, "WHERE", r, r->rows[n].before, r->before_present);
        if (r->rows[n].after != NULL)
            text_image(out, "SET", r, r->rows[n].after, r->after_present);
    }
    repl_buf_printf(out, "# Number of rows: %u\n", r->nrows);
}

/* ---- small events -----------------------------------------------------------------------------
 */

static void text_fde(repl_buf *out, const ext_fde *f)
{
    static const char *const algs[] = { "NONE", "CRC32" };
    repl_buf_printf(out, "#   binlog_version=%u server_version=", f->binlog_version);
    quoted(out, f->server_version);
    repl_buf_printf(out,
                    " mariadb=%d created=%u header_len=%u post_header_lengths=%u "
                    "checksum=%s%s\n",
                    f->is_mariadb, f->created, f->header_len, f->n_post_header,
                    f->checksum_alg <= 1 ? algs[f->checksum_alg] : "UNDEF",
                    f->permuted_types ? " permuted_types=1" : "");
}

static void text_xa(repl_buf *out, const ext_xa_prepare *xa)
{
    repl_buf_printf(out, "#   one_phase=%u xid=", xa->one_phase);
    hex(out, xa->data.ptr, xa->gtrid_len);
    repl_buf_printf(out, ",");
    hex(out, xa->data.ptr + xa->gtrid_len, xa->bqual_len);
    repl_buf_printf(out, ",%d\n", xa->format_id);
}

static void text_payload(repl_buf *out, const ext_payload *p)
{
    repl_buf_printf(out, "#   payload_size=%" PRIu64 " compression=%s", p->payload_size,
                    p->compression_type == EXT_PAYLOAD_ZSTD ? "ZSTD" : "NONE");
    if (p->has_uncompressed_size)
        repl_buf_printf(out, " uncompressed_size=%" PRIu64, p->uncompressed_size);
    repl_buf_printf(out, "\n");
}

static void text_misc(repl_buf *out, const ext_event *ev)
{
    const ext_trx_context *tc = &ev->u.trx_context;
    switch (ev->type) {
    case EXT_EV_ROTATE:
        repl_buf_printf(out, "#   position=%" PRIu64 " next_file=", ev->u.rotate.position);
        quoted(out, ev->u.rotate.next_file);
        break;
    case EXT_EV_INCIDENT:
        repl_buf_printf(out, "#   number=%u message=", ev->u.incident.number);
        quoted(out, ev->u.incident.message);
        break;
    case EXT_EV_HEARTBEAT:
    case EXT_EV_HEARTBEAT_V2:
        repl_buf_printf(out, "#   log_pos=%" PRIu64 " log_file=", ev->u.heartbeat.log_pos);
        quoted(out, ev->u.heartbeat.log_file);
        break;
    case EXT_EV_MARIA_BINLOG_CHECKPOINT:
        repl_buf_printf(out, "#   file=");
        quoted(out, ev->u.checkpoint.file);
        break;
    case EXT_EV_TRANSACTION_CONTEXT:
        repl_buf_printf(out,
                        "#   server_uuid=%s thread_id=%u gtid_specified=%u "
                        "write_set=%u read_set=%u",
                        tc->server_uuid, tc->thread_id, tc->gtid_specified, tc->write_set_len,
                        tc->read_set_len);
        break;
    case EXT_EV_VIEW_CHANGE:
        repl_buf_printf(out, "#   view_id=%s seq_number=%" PRIu64 " cert_info=%u",
                        ev->u.view_change.view_id, ev->u.view_change.seq_number,
                        ev->u.view_change.cert_info_len);
        break;
    default:
        return;
    }
    repl_buf_printf(out, "\n");
}

static void text_values(repl_buf *out, const ext_event *ev)
{
    switch (ev->type) {
    case EXT_EV_INTVAR:
        repl_buf_printf(out, "#   %s=%" PRIu64 "\n",
                        ev->u.intvar.type == EXT_INTVAR_INSERT_ID ? "INSERT_ID" : "LAST_INSERT_ID",
                        ev->u.intvar.value);
        break;
    case EXT_EV_RAND:
        repl_buf_printf(out, "#   rand_seed1=%" PRIu64 " rand_seed2=%" PRIu64 "\n",
                        ev->u.rand.seed1, ev->u.rand.seed2);
        break;
    case EXT_EV_XID:
        repl_buf_printf(out, "#   xid=%" PRIu64 "\n", ev->u.xid.xid);
        break;
    case EXT_EV_APPEND_BLOCK:
    case EXT_EV_BEGIN_LOAD_QUERY:
    case EXT_EV_DELETE_FILE:
        repl_buf_printf(out, "#   file_id=%u block_len=%zu\n", ev->u.load.file_id,
                        ev->u.load.block.len);
        break;
    default:
        text_misc(out, ev);
        break;
    }
}

void tool_text_event(repl_buf *out, const ext_event *ev, const thl_rows *rows)
{
    header(out, ev);
    if (ev->skipped) {
        repl_buf_printf(out, "#   ignorable event skipped (not decoded)\n");
        return;
    }
    switch (ev->type) {
    case EXT_EV_FORMAT_DESCRIPTION:
        text_fde(out, &ev->u.fde);
        break;
    case EXT_EV_QUERY:
    case EXT_EV_EXECUTE_LOAD_QUERY:
    case EXT_EV_MARIA_QUERY_COMPRESSED:
        text_query(out, ev);
        break;
    case EXT_EV_USER_VAR:
        text_user_var(out, &ev->u.user_var);
        break;
    case EXT_EV_MARIA_ANNOTATE_ROWS:
    case EXT_EV_ROWS_QUERY:
        text_lines(out, "#Q> ", ev->u.text.sql);
        break;
    case EXT_EV_MARIA_GTID:
        text_mgtid(out, &ev->u.mgtid);
        break;
    case EXT_EV_MARIA_GTID_LIST:
        text_gtid_list(out, &ev->u.gtid_list);
        break;
    case EXT_EV_GTID:
    case EXT_EV_ANONYMOUS_GTID:
    case EXT_EV_GTID_TAGGED:
        text_mysql_gtid(out, &ev->u.gtid);
        break;
    case EXT_EV_PREVIOUS_GTIDS:
        repl_buf_printf(out, "#   previous_gtids=%s\n", ev->u.prev_gtids.text);
        break;
    case EXT_EV_XA_PREPARE:
        text_xa(out, &ev->u.xa_prepare);
        break;
    case EXT_EV_TRANSACTION_PAYLOAD:
        text_payload(out, &ev->u.payload);
        break;
    case EXT_EV_TABLE_MAP:
        text_table_map(out, &ev->u.table_map);
        break;
    default:
        if (ext_event_type_is_rows(ev->type))
            text_rows(out, ev, rows);
        else
            text_values(out, ev);
        break;
    }
}
