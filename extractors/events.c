/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extractors/events.c - the event-type switch (one decoder per type) and the decoders of the small
 * events: ROTATE, INTVAR, RAND, XID, STOP, INCIDENT, HEARTBEAT (v1 and v2), ANNOTATE_ROWS,
 * ROWS_QUERY, BINLOG_CHECKPOINT, XA_PREPARE, the LOAD DATA blocks, the Group Replication headers,
 * and the refusals of formats trep does not decode. Layouts: MariaDB sql/log_event.cc, MySQL
 * libs/mysql/binlog/event/ *.cpp. Reads only ev->body through the bounds-checked reader. */
#include "extractors/binlog_int.h"

#include <string.h>

static const char *const type_names_low[] = {
    "UNKNOWN_EVENT",
    "START_EVENT_V3",
    "QUERY_EVENT",
    "STOP_EVENT",
    "ROTATE_EVENT",
    "INTVAR_EVENT",
    "LOAD_EVENT",
    "SLAVE_EVENT",
    "CREATE_FILE_EVENT",
    "APPEND_BLOCK_EVENT",
    "EXEC_LOAD_EVENT",
    "DELETE_FILE_EVENT",
    "NEW_LOAD_EVENT",
    "RAND_EVENT",
    "USER_VAR_EVENT",
    "FORMAT_DESCRIPTION_EVENT",
    "XID_EVENT",
    "BEGIN_LOAD_QUERY_EVENT",
    "EXECUTE_LOAD_QUERY_EVENT",
    "TABLE_MAP_EVENT",
    "PRE_GA_WRITE_ROWS_EVENT",
    "PRE_GA_UPDATE_ROWS_EVENT",
    "PRE_GA_DELETE_ROWS_EVENT",
    "WRITE_ROWS_EVENT_V1",
    "UPDATE_ROWS_EVENT_V1",
    "DELETE_ROWS_EVENT_V1",
    "INCIDENT_EVENT",
    "HEARTBEAT_LOG_EVENT",
    "IGNORABLE_LOG_EVENT",
    "ROWS_QUERY_LOG_EVENT",
    "WRITE_ROWS_EVENT",
    "UPDATE_ROWS_EVENT",
    "DELETE_ROWS_EVENT",
    "GTID_LOG_EVENT",
    "ANONYMOUS_GTID_LOG_EVENT",
    "PREVIOUS_GTIDS_LOG_EVENT",
    "TRANSACTION_CONTEXT_EVENT",
    "VIEW_CHANGE_EVENT",
    "XA_PREPARE_LOG_EVENT",
    "PARTIAL_UPDATE_ROWS_EVENT",
    "TRANSACTION_PAYLOAD_EVENT",
    "HEARTBEAT_LOG_EVENT_V2",
    "GTID_TAGGED_LOG_EVENT",
};

static const char *const type_names_maria[] = {
    "ANNOTATE_ROWS_EVENT",
    "BINLOG_CHECKPOINT_EVENT",
    "GTID_EVENT",
    "GTID_LIST_EVENT",
    "START_ENCRYPTION_EVENT",
    "QUERY_COMPRESSED_EVENT",
    "WRITE_ROWS_COMPRESSED_EVENT_V1",
    "UPDATE_ROWS_COMPRESSED_EVENT_V1",
    "DELETE_ROWS_COMPRESSED_EVENT_V1",
    "WRITE_ROWS_COMPRESSED_EVENT",
    "UPDATE_ROWS_COMPRESSED_EVENT",
    "DELETE_ROWS_COMPRESSED_EVENT",
    "PARTIAL_ROW_DATA_EVENT",
};

#define N_LOW   (sizeof(type_names_low) / sizeof(type_names_low[0]))
#define N_MARIA (sizeof(type_names_maria) / sizeof(type_names_maria[0]))

const char *ext_event_type_name(int type)
{
    if (type >= 0 && (size_t)type < N_LOW)
        return type_names_low[type];
    if (type >= EXT_EV_MARIA_ANNOTATE_ROWS && (size_t)(type - EXT_EV_MARIA_ANNOTATE_ROWS) < N_MARIA)
        return type_names_maria[type - EXT_EV_MARIA_ANNOTATE_ROWS];
    return "UNKNOWN_EVENT";
}

int ext_event_type_is_rows(int type)
{
    return (type >= EXT_EV_WRITE_ROWS_V1 && type <= EXT_EV_DELETE_ROWS_V1) ||
           (type >= EXT_EV_WRITE_ROWS_V2 && type <= EXT_EV_DELETE_ROWS_V2) ||
           type == EXT_EV_PARTIAL_UPDATE_ROWS ||
           (type >= EXT_EV_MARIA_WRITE_ROWS_COMPRESSED_V1 &&
            type <= EXT_EV_MARIA_DELETE_ROWS_COMPRESSED);
}

int ext_event_rows_plain_type(int type)
{
    if (type >= EXT_EV_MARIA_WRITE_ROWS_COMPRESSED_V1 &&
        type <= EXT_EV_MARIA_DELETE_ROWS_COMPRESSED_V1)
        return type - EXT_EV_MARIA_WRITE_ROWS_COMPRESSED_V1 + EXT_EV_WRITE_ROWS_V1;
    if (type >= EXT_EV_MARIA_WRITE_ROWS_COMPRESSED && type <= EXT_EV_MARIA_DELETE_ROWS_COMPRESSED)
        return type - EXT_EV_MARIA_WRITE_ROWS_COMPRESSED + EXT_EV_WRITE_ROWS_V2;
    return type;
}

/* ---- helpers -------------------------------------------------------------------------------- */

static int truncated(const ext_event *ev, repl_error *err)
{
    return repl_error_set(err, REPL_ERR_CORRUPT, "body of %zu bytes is truncated", ev->body_len);
}

/* A reader over the body after the post-header. */
static int after_post_header(repl_rd *rd, const ext_event *ev, const ext_decode_ctx *ctx,
                             repl_error *err)
{
    rd_init(rd, ev->body, ev->body_len);
    if (!rd_skip(rd, ext_fde_post_header_len(ctx->fde, ev->type)))
        return truncated(ev, err);
    return REPL_OK;
}

static const char *arena_str(const ext_decode_ctx *ctx, const void *p, size_t len)
{
    return repl_arena_strndup(ctx->arena, (const char *)p, len);
}

/* ---- small events --------------------------------------------------------------------------- */

static int ev_rotate(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err)
{
    unsigned ph = ext_fde_post_header_len(ctx->fde, ev->type);
    repl_rd rd;
    rd_init(&rd, ev->body, ev->body_len);
    ev->u.rotate.position = ph ? rd_u64le(&rd) : 4;
    if (!rd_skip(&rd, ph >= 8 ? ph - 8 : ph) || !rd_ok(&rd))
        return truncated(ev, err);
    if (rd_left(&rd) == 0)
        return repl_error_set(err, REPL_ERR_CORRUPT, "rotate without a file name");
    ev->u.rotate.next_file = arena_str(ctx, rd.p, rd_left(&rd));
    return REPL_OK;
}

static int ev_intvar(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err)
{
    repl_rd rd;
    int rc = after_post_header(&rd, ev, ctx, err);
    if (rc != REPL_OK)
        return rc;
    ev->u.intvar.type = rd_u8(&rd);
    ev->u.intvar.value = rd_u64le(&rd);
    if (!rd_ok(&rd))
        return truncated(ev, err);
    if (ev->u.intvar.type != EXT_INTVAR_LAST_INSERT_ID && ev->u.intvar.type != EXT_INTVAR_INSERT_ID)
        return repl_error_set(err, REPL_ERR_CORRUPT, "unknown INTVAR type %u", ev->u.intvar.type);
    return REPL_OK;
}

static int ev_rand(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err)
{
    repl_rd rd;
    int rc = after_post_header(&rd, ev, ctx, err);
    if (rc != REPL_OK)
        return rc;
    ev->u.rand.seed1 = rd_u64le(&rd);
    ev->u.rand.seed2 = rd_u64le(&rd);
    return rd_ok(&rd) ? REPL_OK : truncated(ev, err);
}

static int ev_xid(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err)
{
    repl_rd rd;
    int rc = after_post_header(&rd, ev, ctx, err);
    if (rc != REPL_OK)
        return rc;
    ev->u.xid.xid = rd_u64le(&rd);
    return rd_ok(&rd) ? REPL_OK : truncated(ev, err);
}

static int ev_stop(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err)
{
    (void)ev;
    (void)ctx;
    (void)err;
    return REPL_OK;
}

static int ev_incident(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err)
{
    repl_rd rd;
    const uint8_t *msg;
    uint8_t len;
    int rc;
    rd_init(&rd, ev->body, ev->body_len);
    ev->u.incident.number = rd_u16le(&rd);
    if (!rd_ok(&rd))
        return truncated(ev, err);
    rc = after_post_header(&rd, ev, ctx, err);
    if (rc != REPL_OK)
        return rc;
    len = rd_u8(&rd);
    msg = rd_take(&rd, len);
    if (!rd_ok(&rd))
        return truncated(ev, err);
    ev->u.incident.message = arena_str(ctx, msg, len);
    return REPL_OK;
}

static int ev_heartbeat(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err)
{
    (void)err;
    /* MySQL and MariaDB: the body is the master's current binlog name, log_pos in the header */
    ev->u.heartbeat.log_file = arena_str(ctx, ev->body, ev->body_len);
    ev->u.heartbeat.log_pos = ev->log_pos;
    return REPL_OK;
}

/* One TLV field of HEARTBEAT_LOG_EVENT_V2: 1 = file name, 2 = position, others skipped. */
static int heartbeat_v2_field(ext_event *ev, const ext_decode_ctx *ctx, repl_rd *rd, uint64_t type,
                              uint64_t len)
{
    const uint8_t *v = NULL;
    if (type == 2) {
        ev->u.heartbeat.log_pos = rd_packed(rd);
        return rd_ok(rd);
    }
    v = rd_take(rd, len);
    if (v != NULL && type == 1)
        ev->u.heartbeat.log_file = arena_str(ctx, v, len);
    return rd_ok(rd);
}

static int ev_heartbeat_v2(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err)
{
    repl_rd rd;
    rd_init(&rd, ev->body, ev->body_len);
    ev->u.heartbeat.log_file = "";
    while (rd_left(&rd) > 0) {
        uint64_t type = rd_packed(&rd);
        uint64_t len;
        if (rd_ok(&rd) && type == 0)
            return REPL_OK;
        len = rd_packed(&rd);
        if (!rd_ok(&rd) || !heartbeat_v2_field(ev, ctx, &rd, type, len))
            return repl_error_set(err, REPL_ERR_CORRUPT, "malformed heartbeat v2 field");
    }
    return REPL_OK;
}

static int ev_annotate(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err)
{
    (void)ctx;
    (void)err;
    ev->u.text.sql.ptr = ev->body;
    ev->u.text.sql.len = ev->body_len;
    return REPL_OK;
}

static int ev_rows_query(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err)
{
    (void)ctx;
    /* a length byte (the length mod 256, unused by the servers) then the text to the end */
    if (ev->body_len < 1)
        return truncated(ev, err);
    ev->u.text.sql.ptr = ev->body + 1;
    ev->u.text.sql.len = ev->body_len - 1;
    return REPL_OK;
}

static int ev_checkpoint(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err)
{
    repl_rd rd;
    uint32_t len;
    const uint8_t *name;
    int rc;
    rd_init(&rd, ev->body, ev->body_len);
    len = rd_u32le(&rd);
    rc = after_post_header(&rd, ev, ctx, err);
    if (rc != REPL_OK)
        return rc;
    name = rd_take(&rd, len);
    if (name == NULL)
        return truncated(ev, err);
    ev->u.checkpoint.file = arena_str(ctx, name, len);
    return REPL_OK;
}

static int ev_xa_prepare(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err)
{
    ext_xa_prepare *xa = &ev->u.xa_prepare;
    repl_rd rd;
    int rc = after_post_header(&rd, ev, ctx, err);
    if (rc != REPL_OK)
        return rc;
    xa->one_phase = rd_u8(&rd);
    xa->format_id = (int32_t)rd_u32le(&rd);
    xa->gtrid_len = rd_u32le(&rd);
    xa->bqual_len = rd_u32le(&rd);
    if (!rd_ok(&rd))
        return truncated(ev, err);
    if (xa->gtrid_len > 64 || xa->bqual_len > 64)
        return repl_error_set(err, REPL_ERR_CORRUPT, "XA xid lengths %u/%u exceed 64",
                              xa->gtrid_len, xa->bqual_len);
    xa->data.len = xa->gtrid_len + xa->bqual_len;
    xa->data.ptr = rd_take(&rd, xa->data.len);
    return rd_ok(&rd) ? REPL_OK : truncated(ev, err);
}

static int ev_load_block(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err)
{
    repl_rd rd;
    int rc;
    rd_init(&rd, ev->body, ev->body_len);
    ev->u.load.file_id = rd_u32le(&rd);
    if (!rd_ok(&rd))
        return truncated(ev, err);
    rc = after_post_header(&rd, ev, ctx, err);
    if (rc != REPL_OK)
        return rc;
    ev->u.load.block.ptr = rd.p;
    ev->u.load.block.len = ev->type == EXT_EV_DELETE_FILE ? 0 : rd_left(&rd);
    return REPL_OK;
}

static int ev_trx_context(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err)
{
    ext_trx_context *tc = &ev->u.trx_context;
    const uint8_t *uuid;
    uint8_t uuid_len;
    repl_rd rd;
    rd_init(&rd, ev->body, ev->body_len);
    uuid_len = rd_u8(&rd);
    tc->thread_id = rd_u32le(&rd);
    tc->gtid_specified = rd_u8(&rd);
    tc->snapshot_version_len = rd_u32le(&rd);
    tc->write_set_len = rd_u32le(&rd);
    tc->read_set_len = rd_u32le(&rd);
    uuid = rd_take(&rd, uuid_len);
    if (!rd_ok(&rd))
        return truncated(ev, err);
    /* the snapshot version and the write/read sets (Group Replication certification) are skipped */
    tc->server_uuid = arena_str(ctx, uuid, uuid_len);
    return REPL_OK;
}

static int ev_view_change(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err)
{
    ext_view_change *vc = &ev->u.view_change;
    const uint8_t *id;
    repl_rd rd;
    (void)ctx;
    rd_init(&rd, ev->body, ev->body_len);
    id = rd_take(&rd, 40);
    vc->seq_number = rd_u64le(&rd);
    vc->cert_info_len = rd_u32le(&rd);
    if (!rd_ok(&rd))
        return truncated(ev, err);
    memcpy(vc->view_id, id, 40);
    vc->view_id[40] = '\0';
    /* the certification map is skipped */
    return REPL_OK;
}

static int ev_unsupported(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err)
{
    (void)ctx;
    switch (ev->type) {
    case EXT_EV_MARIA_START_ENCRYPTION:
        return repl_error_set(err, REPL_ERR_INVALID, "encrypted binlog: cannot decode without key");
    case EXT_EV_START_V3:
        return repl_error_set(err, REPL_ERR_INVALID,
                              "binlog format v3 (MySQL 4.x) is not supported");
    case EXT_EV_PRE_GA_WRITE_ROWS:
    case EXT_EV_PRE_GA_UPDATE_ROWS:
    case EXT_EV_PRE_GA_DELETE_ROWS:
        return repl_error_set(err, REPL_ERR_INVALID,
                              "pre-GA rows event (MySQL 5.1 before 5.1.18) is not supported");
    case EXT_EV_MARIA_PARTIAL_ROW_DATA:
        return repl_error_set(err, REPL_ERR_INVALID,
                              "fragmented rows events (MariaDB 12.3 PARTIAL_ROW_DATA) are not "
                              "supported");
    case EXT_EV_LOAD:
    case EXT_EV_CREATE_FILE:
    case EXT_EV_EXEC_LOAD:
    case EXT_EV_NEW_LOAD:
        return repl_error_set(err, REPL_ERR_INVALID,
                              "MySQL 4.x LOAD DATA events are not supported");
    default:
        return repl_error_set(err, REPL_ERR_INVALID, "events of this type are not supported");
    }
}

/* ---- the switch ----------------------------------------------------------------------------- */

int ext_events_decode_body(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err)
{
    switch (ev->type) {
    case EXT_EV_FORMAT_DESCRIPTION:
        return ext_ev_fde(ev, ctx, err);
    case EXT_EV_QUERY:
    case EXT_EV_EXECUTE_LOAD_QUERY:
    case EXT_EV_MARIA_QUERY_COMPRESSED:
        return ext_ev_query(ev, ctx, err);
    case EXT_EV_STOP:
        return ev_stop(ev, ctx, err);
    case EXT_EV_ROTATE:
        return ev_rotate(ev, ctx, err);
    case EXT_EV_INTVAR:
        return ev_intvar(ev, ctx, err);
    case EXT_EV_RAND:
        return ev_rand(ev, ctx, err);
    case EXT_EV_USER_VAR:
        return ext_ev_user_var(ev, ctx, err);
    case EXT_EV_XID:
        return ev_xid(ev, ctx, err);
    case EXT_EV_APPEND_BLOCK:
    case EXT_EV_DELETE_FILE:
    case EXT_EV_BEGIN_LOAD_QUERY:
        return ev_load_block(ev, ctx, err);
    case EXT_EV_TABLE_MAP:
        return ext_ev_table_map(ev, ctx, err);
    case EXT_EV_INCIDENT:
        return ev_incident(ev, ctx, err);
    case EXT_EV_HEARTBEAT:
        return ev_heartbeat(ev, ctx, err);
    case EXT_EV_HEARTBEAT_V2:
        return ev_heartbeat_v2(ev, ctx, err);
    case EXT_EV_ROWS_QUERY:
        return ev_rows_query(ev, ctx, err);
    case EXT_EV_GTID:
    case EXT_EV_ANONYMOUS_GTID:
        return ext_ev_mysql_gtid(ev, ctx, err);
    case EXT_EV_GTID_TAGGED:
        return ext_ev_gtid_tagged(ev, ctx, err);
    case EXT_EV_PREVIOUS_GTIDS:
        return ext_ev_previous_gtids(ev, ctx, err);
    case EXT_EV_TRANSACTION_CONTEXT:
        return ev_trx_context(ev, ctx, err);
    case EXT_EV_VIEW_CHANGE:
        return ev_view_change(ev, ctx, err);
    case EXT_EV_XA_PREPARE:
        return ev_xa_prepare(ev, ctx, err);
    case EXT_EV_TRANSACTION_PAYLOAD:
        return ext_ev_payload(ev, ctx, err);
    case EXT_EV_MARIA_ANNOTATE_ROWS:
        return ev_annotate(ev, ctx, err);
    case EXT_EV_MARIA_BINLOG_CHECKPOINT:
        return ev_checkpoint(ev, ctx, err);
    case EXT_EV_MARIA_GTID:
        return ext_ev_mariadb_gtid(ev, ctx, err);
    case EXT_EV_MARIA_GTID_LIST:
        return ext_ev_gtid_list(ev, ctx, err);
    default:
        if (ext_event_type_is_rows(ev->type))
            return ext_ev_rows(ev, ctx, err);
        return ev_unsupported(ev, ctx, err);
    }
}
