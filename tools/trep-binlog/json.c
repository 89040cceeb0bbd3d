/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tools/trep-binlog/json.c - the JSON rendering of one decoded event: the common header, the
 * checksum, and every decoded field under "fields"; TABLE_MAP columns with type name, metadata and
 * flags; rows as images of {"index", "name", "type", "meta", "kind", "value"} per present column,
 * the value rendered by thl/print.h. Built with jansson; the caller owns the returned object. */
#include "tool_binlog.h"

#include <string.h>

#include "extractors/table_map.h"
#include "replicator/base/mem.h"
#include "thl/print.h"

static json_t *u64(uint64_t v)
{
    char text[24];
    if (v <= (uint64_t)INT64_MAX)
        return json_integer((json_int_t)v);
    snprintf(text, sizeof(text), "%llu", (unsigned long long)v);
    return json_string(text);
}

/* A string when the bytes are valid UTF-8, else {"hex": "..."}. */
static json_t *text(const void *p, size_t len)
{
    json_t *s = json_stringn((const char *)p, len);
    json_t *o;
    char *hex;
    if (s != NULL)
        return s;
    hex = repl_malloc(len * 2 + 1);
    for (size_t i = 0; i < len; i++)
        sprintf(hex + 2 * i, "%02x", ((const uint8_t *)p)[i]);
    hex[len * 2] = '\0';
    o = json_pack("{s:s}", "hex", hex);
    repl_free(hex);
    return o;
}

static void set(json_t *o, const char *key, json_t *v)
{
    json_object_set_new(o, key, v != NULL ? v : json_null());
}

static void set_str(json_t *o, const char *key, const char *s)
{
    set(o, key, text(s, strlen(s)));
}

/* ---- statements ------------------------------------------------------------------------------ */

static void json_status_1(json_t *o, const ext_query_status *st)
{
#define HAS(code) (st->present & ext_qvar_bit(code))
    if (HAS(EXT_Q_FLAGS2))
        set(o, "flags2", json_integer(st->flags2));
    if (HAS(EXT_Q_SQL_MODE))
        set(o, "sql_mode", u64(st->sql_mode));
    if (HAS(EXT_Q_CATALOG) || HAS(EXT_Q_CATALOG_NZ))
        set_str(o, "catalog", st->catalog);
    if (HAS(EXT_Q_AUTO_INCREMENT)) {
        set(o, "auto_increment_increment", json_integer(st->auto_increment_increment));
        set(o, "auto_increment_offset", json_integer(st->auto_increment_offset));
    }
    if (HAS(EXT_Q_CHARSET)) {
        set(o, "character_set_client", json_integer(st->charset_client));
        set(o, "collation_connection", json_integer(st->collation_connection));
        set(o, "collation_server", json_integer(st->collation_server));
    }
    if (HAS(EXT_Q_TIME_ZONE))
        set_str(o, "time_zone", st->time_zone);
    if (HAS(EXT_Q_LC_TIME_NAMES))
        set(o, "lc_time_names", json_integer(st->lc_time_names));
    if (HAS(EXT_Q_CHARSET_DATABASE))
        set(o, "collation_database", json_integer(st->charset_database));
    if (HAS(EXT_Q_TABLE_MAP_FOR_UPDATE))
        set(o, "table_map_for_update", u64(st->table_map_for_update));
    if (HAS(EXT_Q_MASTER_DATA_WRITTEN))
        set(o, "master_data_written", json_integer(st->master_data_written));
    if (HAS(EXT_Q_INVOKER)) {
        set_str(o, "invoker_user", st->invoker_user);
        set_str(o, "invoker_host", st->invoker_host);
    }
    if (HAS(EXT_Q_MICROSECONDS))
        set(o, "microseconds", json_integer(st->microseconds));
    if (HAS(EXT_Q_COMMIT_TS))
        set(o, "commit_seq_no", u64(st->commit_seq_no));
}

static void json_status_2(json_t *o, const ext_query_status *st)
{
    if (HAS(EXT_Q_UPDATED_DB_NAMES)) {
        json_t *a = json_array();
        unsigned n = st->updated_db_count <= EXT_QUERY_MAX_DBS ? st->updated_db_count : 0;
        for (unsigned i = 0; i < n; i++)
            json_array_append_new(a, text(st->updated_dbs[i], strlen(st->updated_dbs[i])));
        set(o, "updated_db_count", json_integer(st->updated_db_count));
        set(o, "updated_dbs", a);
    }
    if (HAS(EXT_Q_EXPLICIT_DEFAULTS_FOR_TIMESTAMP))
        set(o, "explicit_defaults_for_timestamp", json_integer(st->explicit_defaults_ts));
    if (HAS(EXT_Q_DDL_LOGGED_WITH_XID))
        set(o, "ddl_xid", u64(st->ddl_xid));
    if (HAS(EXT_Q_DEFAULT_COLLATION_FOR_UTF8MB4))
        set(o, "default_collation_for_utf8mb4", json_integer(st->default_collation_utf8mb4));
    if (HAS(EXT_Q_SQL_REQUIRE_PRIMARY_KEY))
        set(o, "sql_require_primary_key", json_integer(st->sql_require_primary_key));
    if (HAS(EXT_Q_DEFAULT_TABLE_ENCRYPTION))
        set(o, "default_table_encryption", json_integer(st->default_table_encryption));
    if (HAS(EXT_Q_ENABLE_CASCADE_TRIGGERS))
        set(o, "enable_cascade_triggers", json_integer(st->enable_cascade_triggers));
    if (HAS(EXT_Q_HRNOW))
        set(o, "hrnow", json_integer(st->hrnow_usec));
    if (HAS(EXT_Q_XID))
        set(o, "xid", u64(st->xid));
    if (HAS(EXT_Q_GTID_FLAGS3)) {
        set(o, "gtid_flags_extra", json_integer(st->gtid_flags_extra));
        set(o, "sa_seq_no", u64(st->sa_seq_no));
    }
    if (HAS(EXT_Q_CHARACTER_SET_COLLATIONS)) {
        json_t *a = json_array();
        for (unsigned i = 0; i < st->n_charset_collations; i++) {
            const uint8_t *p = st->charset_collations + 4 * i;
            json_array_append_new(a, json_pack("[ii]", p[0] | p[1] << 8, p[2] | p[3] << 8));
        }
        set(o, "character_set_collations", a);
    }
#undef HAS
}

static json_t *json_query(const ext_event *ev)
{
    const ext_query *q = &ev->u.query;
    json_t *o = json_object(), *st = json_object();
    set(o, "thread_id", json_integer(q->thread_id));
    set(o, "exec_time", json_integer(q->exec_time));
    set(o, "error_code", json_integer(q->error_code));
    set_str(o, "db", q->db);
    set(o, "sql", text(q->sql.ptr, q->sql.len));
    if (ev->type == EXT_EV_EXECUTE_LOAD_QUERY) {
        set(o, "file_id", json_integer(q->file_id));
        set(o, "fn_pos_start", json_integer(q->fn_pos_start));
        set(o, "fn_pos_end", json_integer(q->fn_pos_end));
        set(o, "dup_handling", json_integer(q->dup_handling));
    }
    json_status_1(st, &q->st);
    json_status_2(st, &q->st);
    set(o, "status", st);
    return o;
}

static json_t *json_user_var(const ext_user_var *uv)
{
    json_t *o = json_pack("{s:s, s:b, s:i, s:i}", "name", uv->name, "is_null", uv->is_null, "type",
                          uv->type, "charset", (json_int_t)uv->charset);
    if (uv->has_flags)
        set(o, "flags", json_integer(uv->flags));
    if (uv->is_null)
        return o;
    if (uv->type == EXT_UV_INT)
        set(o, "value",
            uv->flags & EXT_UV_UNSIGNED_F ? u64((uint64_t)uv->int_value)
                                          : json_integer(uv->int_value));
    else if (uv->type == EXT_UV_REAL)
        set(o, "value", json_real(uv->real_value));
    else if (uv->type == EXT_UV_DECIMAL)
        set_str(o, "value", uv->decimal_text);
    else
        set(o, "value", text(uv->value.ptr, uv->value.len));
    return o;
}

/* ---- identity events ------------------------------------------------------------------------- */

static json_t *json_mgtid(const ext_mariadb_gtid *g)
{
    char gtid[64];
    json_t *o;
    snprintf(gtid, sizeof(gtid), "%u-%u-%llu", g->gtid.domain_id, g->gtid.server_id,
             (unsigned long long)g->gtid.seq_no);
    o = json_pack("{s:s, s:i, s:i, s:i}", "gtid", gtid, "domain_id", (json_int_t)g->gtid.domain_id,
                  "flags2", (json_int_t)g->flags2, "flags_extra", (json_int_t)g->flags_extra);
    set(o, "server_id", json_integer(g->gtid.server_id));
    set(o, "seq_no", u64(g->gtid.seq_no));
    if (g->flags2 & EXT_MGTID_FL_GROUP_COMMIT_ID)
        set(o, "commit_id", u64(g->commit_id));
    if (g->flags2 & (EXT_MGTID_FL_PREPARED_XA | EXT_MGTID_FL_COMPLETED_XA)) {
        set(o, "xa_format_id", json_integer(g->xa_format_id));
        set(o, "xa_gtrid", text(g->xa_data, g->xa_gtrid_len));
        set(o, "xa_bqual", text(g->xa_data + g->xa_gtrid_len, g->xa_bqual_len));
    }
    if (g->flags_extra & EXT_MGTID_FLX_MULTI_ENGINE)
        set(o, "extra_engines", json_integer(g->extra_engines));
    if (g->flags_extra & (EXT_MGTID_FLX_COMMIT_ALTER | EXT_MGTID_FLX_ROLLBACK_ALTER))
        set(o, "sa_seq_no", u64(g->sa_seq_no));
    if (g->flags_extra & EXT_MGTID_FLX_THREAD_ID)
        set(o, "thread_id", json_integer(g->thread_id));
    return o;
}

static json_t *json_gtid_list(const ext_gtid_list *gl)
{
    json_t *a = json_array();
    for (uint32_t i = 0; i < gl->count; i++) {
        char g[64];
        snprintf(g, sizeof(g), "%u-%u-%llu", gl->list[i].domain_id, gl->list[i].server_id,
                 (unsigned long long)gl->list[i].seq_no);
        json_array_append_new(a, json_string(g));
    }
    return json_pack("{s:i, s:o}", "flags", (json_int_t)gl->flags, "gtids", a);
}

static json_t *json_mysql_gtid(const ext_mysql_gtid *g)
{
    json_t *o = json_pack("{s:s, s:s, s:I, s:i}", "uuid", g->uuid_text, "tag", g->tag, "gno",
                          (json_int_t)g->gno, "flags", (json_int_t)g->flags);
    if (g->has_logical_clock) {
        set(o, "last_committed", json_integer(g->last_committed));
        set(o, "sequence_number", json_integer(g->sequence_number));
    }
    if (g->has_commit_ts) {
        set(o, "immediate_commit_ts", u64(g->immediate_commit_ts));
        set(o, "original_commit_ts", u64(g->original_commit_ts));
    }
    if (g->has_trx_length)
        set(o, "transaction_length", u64(g->transaction_length));
    if (g->has_server_version) {
        set(o, "immediate_server_version", json_integer(g->immediate_server_version));
        set(o, "original_server_version", json_integer(g->original_server_version));
    }
    if (g->commit_group_ticket)
        set(o, "commit_group_ticket", u64(g->commit_group_ticket));
    return o;
}

/* ---- tables and rows ------------------------------------------------------------------------- */

static json_t *json_column(uint32_t i, const thl_column *c)
{
    char type[64];
    json_t *o =
        json_pack("{s:i, s:s, s:s, s:i, s:i, s:i, s:i, s:i}", "index", (json_int_t)i + 1, "name",
                  c->name, "type", tool_col_type_name(type, sizeof(type), c), "binlog_type",
                  (json_int_t)c->type, "meta", (json_int_t)c->meta, "length", (json_int_t)c->length,
                  "scale", (json_int_t)c->scale, "charset", (json_int_t)c->charset);
    set(o, "nullable", json_boolean(c->flags & THL_COL_NULLABLE));
    set(o, "unsigned", json_boolean(c->flags & THL_COL_UNSIGNED));
    set(o, "primary_key", json_boolean(c->flags & THL_COL_PK));
    if (c->n_members > 0) {
        json_t *m = json_array();
        for (uint32_t k = 0; k < c->n_members; k++)
            json_array_append_new(m, text(c->members[k], strlen(c->members[k])));
        set(o, "members", m);
    }
    return o;
}

static json_t *json_table_map(const ext_table_map_event *tm)
{
    const ext_table_map *m = tm->map;
    json_t *cols = json_array();
    for (uint32_t i = 0; i < m->ncols; i++)
        json_array_append_new(cols, json_column(i, &m->cols[i]));
    return json_pack("{s:I, s:s, s:s, s:o}", "table_id", (json_int_t)tm->table_id, "schema",
                     m->schema, "table", m->table, "columns", cols);
}

static json_t *json_image(const thl_rows *r, const thl_value *img, const uint8_t *present)
{
    json_t *a = json_array();
    char type[64];
    for (uint32_t i = 0; i < r->ncols; i++) {
        const thl_column *c = &r->cols[i];
        if (present != NULL && !thl_bit_get(present, i))
            continue;
        json_array_append_new(
            a, json_pack("{s:i, s:s, s:s, s:i, s:s, s:o}", "index", (json_int_t)i + 1, "name",
                         c->name, "type", tool_col_type_name(type, sizeof(type), c), "meta",
                         (json_int_t)c->meta, "kind", thl_print_kind_name(img[i].kind), "value",
                         thl_print_value_json(&img[i], c)));
    }
    return a;
}

static json_t *json_rows(const ext_event *ev, const thl_rows *r)
{
    const ext_rows_event *re = &ev->u.rows;
    json_t *o = json_pack("{s:I, s:i, s:i, s:b, s:b}", "table_id", (json_int_t)re->table_id,
                          "flags", (json_int_t)re->flags, "version", re->version, "compressed",
                          re->compressed, "dummy", re->dummy);
    json_t *rows = json_array();
    if (r == NULL)
        return o;
    set_str(o, "schema", r->schema);
    set_str(o, "table", r->table);
    set_str(o, "action", thl_print_action_name(r->action));
    for (uint32_t n = 0; n < r->nrows; n++) {
        json_t *row = json_object();
        if (r->rows[n].before != NULL)
            set(row, "before", json_image(r, r->rows[n].before, r->before_present));
        if (r->rows[n].after != NULL)
            set(row, "after", json_image(r, r->rows[n].after, r->after_present));
        json_array_append_new(rows, row);
    }
    set(o, "rows", rows);
    return o;
}

/* ---- small events ---------------------------------------------------------------------------- */

static json_t *json_fde(const ext_fde *f)
{
    json_t *o = json_pack(
        "{s:i, s:s, s:b, s:i, s:i, s:i, s:i}", "binlog_version", (json_int_t)f->binlog_version,
        "server_version", f->server_version, "mariadb", f->is_mariadb, "created",
        (json_int_t)f->created, "header_len", (json_int_t)f->header_len, "post_header_lengths",
        (json_int_t)f->n_post_header, "checksum_alg", (json_int_t)f->checksum_alg);
    if (f->permuted_types)
        set(o, "permuted_types", json_true());
    return o;
}

static json_t *json_values(const ext_event *ev)
{
    switch (ev->type) {
    case EXT_EV_ROTATE:
        return json_pack("{s:o, s:o}", "position", u64(ev->u.rotate.position), "next_file",
                         text(ev->u.rotate.next_file, strlen(ev->u.rotate.next_file)));
    case EXT_EV_INTVAR:
        return json_pack("{s:s, s:o}", "type",
                         ev->u.intvar.type == EXT_INTVAR_INSERT_ID ? "INSERT_ID" : "LAST_INSERT_ID",
                         "value", u64(ev->u.intvar.value));
    case EXT_EV_RAND:
        return json_pack("{s:o, s:o}", "seed1", u64(ev->u.rand.seed1), "seed2",
                         u64(ev->u.rand.seed2));
    case EXT_EV_XID:
        return json_pack("{s:o}", "xid", u64(ev->u.xid.xid));
    case EXT_EV_APPEND_BLOCK:
    case EXT_EV_BEGIN_LOAD_QUERY:
    case EXT_EV_DELETE_FILE:
        return json_pack("{s:i, s:o}", "file_id", (json_int_t)ev->u.load.file_id, "block",
                         text(ev->u.load.block.ptr, ev->u.load.block.len));
    case EXT_EV_INCIDENT:
        return json_pack("{s:i, s:s}", "number", (json_int_t)ev->u.incident.number, "message",
                         ev->u.incident.message);
    case EXT_EV_HEARTBEAT:
    case EXT_EV_HEARTBEAT_V2:
        return json_pack("{s:o, s:o}", "log_pos", u64(ev->u.heartbeat.log_pos), "log_file",
                         text(ev->u.heartbeat.log_file, strlen(ev->u.heartbeat.log_file)));
    case EXT_EV_MARIA_BINLOG_CHECKPOINT:
        return json_pack("{s:o}", "file",
                         text(ev->u.checkpoint.file, strlen(ev->u.checkpoint.file)));
    default:
        return NULL;
    }
}

static json_t *json_group_replication(const ext_event *ev)
{
    const ext_trx_context *tc = &ev->u.trx_context;
    if (ev->type == EXT_EV_TRANSACTION_CONTEXT)
        return json_pack(
            "{s:s, s:i, s:b, s:i, s:i, s:i}", "server_uuid", tc->server_uuid, "thread_id",
            (json_int_t)tc->thread_id, "gtid_specified", tc->gtid_specified, "snapshot_version_len",
            (json_int_t)tc->snapshot_version_len, "write_set_len", (json_int_t)tc->write_set_len,
            "read_set_len", (json_int_t)tc->read_set_len);
    return json_pack("{s:s, s:o, s:i}", "view_id", ev->u.view_change.view_id, "seq_number",
                     u64(ev->u.view_change.seq_number), "cert_info_len",
                     (json_int_t)ev->u.view_change.cert_info_len);
}

static json_t *json_other(const ext_event *ev)
{
    const ext_xa_prepare *xa = &ev->u.xa_prepare;
    const ext_payload *p = &ev->u.payload;
    switch (ev->type) {
    case EXT_EV_XA_PREPARE:
        return json_pack("{s:b, s:i, s:o, s:o}", "one_phase", xa->one_phase, "format_id",
                         (json_int_t)xa->format_id, "gtrid", text(xa->data.ptr, xa->gtrid_len),
                         "bqual", text(xa->data.ptr + xa->gtrid_len, xa->bqual_len));
    case EXT_EV_TRANSACTION_PAYLOAD:
        return json_pack("{s:o, s:s, s:o}", "payload_size", u64(p->payload_size), "compression",
                         p->compression_type == EXT_PAYLOAD_ZSTD ? "ZSTD" : "NONE",
                         "uncompressed_size",
                         p->has_uncompressed_size ? u64(p->uncompressed_size) : json_null());
    case EXT_EV_PREVIOUS_GTIDS:
        return json_pack("{s:s}", "previous_gtids", ev->u.prev_gtids.text);
    case EXT_EV_MARIA_ANNOTATE_ROWS:
    case EXT_EV_ROWS_QUERY:
        return json_pack("{s:o}", "sql", text(ev->u.text.sql.ptr, ev->u.text.sql.len));
    case EXT_EV_TRANSACTION_CONTEXT:
    case EXT_EV_VIEW_CHANGE:
        return json_group_replication(ev);
    default:
        return json_values(ev);
    }
}

static json_t *json_fields(const ext_event *ev, const thl_rows *rows)
{
    switch (ev->type) {
    case EXT_EV_FORMAT_DESCRIPTION:
        return json_fde(&ev->u.fde);
    case EXT_EV_QUERY:
    case EXT_EV_EXECUTE_LOAD_QUERY:
    case EXT_EV_MARIA_QUERY_COMPRESSED:
        return json_query(ev);
    case EXT_EV_USER_VAR:
        return json_user_var(&ev->u.user_var);
    case EXT_EV_MARIA_GTID:
        return json_mgtid(&ev->u.mgtid);
    case EXT_EV_MARIA_GTID_LIST:
        return json_gtid_list(&ev->u.gtid_list);
    case EXT_EV_GTID:
    case EXT_EV_ANONYMOUS_GTID:
    case EXT_EV_GTID_TAGGED:
        return json_mysql_gtid(&ev->u.gtid);
    case EXT_EV_TABLE_MAP:
        return json_table_map(&ev->u.table_map);
    default:
        return ext_event_type_is_rows(ev->type) ? json_rows(ev, rows) : json_other(ev);
    }
}

json_t *tool_json_event(const ext_event *ev, const thl_rows *rows)
{
    json_t *o =
        json_pack("{s:I, s:i, s:s, s:i, s:i, s:i, s:i}", "offset", (json_int_t)ev->offset, "type",
                  (json_int_t)ev->type, "type_name", ext_event_type_name(ev->type), "timestamp",
                  (json_int_t)ev->timestamp, "server_id", (json_int_t)ev->server_id, "event_len",
                  (json_int_t)ev->event_len, "end_log_pos", (json_int_t)ev->log_pos);
    set(o, "flags", json_integer(ev->flags));
    set(o, "checksum", json_string(ev->crc_present ? "CRC32" : "NONE"));
    if (ev->crc_present) {
        set(o, "crc", json_integer(ev->crc));
        set(o, "crc_verified", json_boolean(ev->crc_verified));
    }
    if (ev->inner) {
        set(o, "inner", json_true());
        set(o, "inner_index", json_integer(ev->inner_index));
    }
    if (ev->skipped) {
        set(o, "skipped", json_true());
        return o;
    }
    set(o, "fields", json_fields(ev, rows));
    return o;
}
