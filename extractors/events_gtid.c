/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extractors/events_gtid.c - transaction identity events: MariaDB GTID_EVENT (flags2, commit_id, XA
 * xid, flags_extra with extra engines and the START ALTER seq_no) and GTID_LIST_EVENT; MySQL
 * GTID_LOG_EVENT / ANONYMOUS_GTID_LOG_EVENT (logical clock, commit timestamps, transaction length,
 * server versions), GTID_TAGGED_LOG_EVENT (mysql::serialization format) and
 * PREVIOUS_GTIDS_LOG_EVENT (rendered as GTID set text). Layouts: MariaDB log_event.cc
 * Gtid_log_event, MySQL control_events.cpp Gtid_event, libs/mysql/serialization/readme.md,
 * sql/rpl_gtid_set.cc. */
#include "extractors/binlog_int.h"

#include <stdio.h>
#include <string.h>

#define GTID_TAG_MAX 32

void ext_uuid_text(char out[37], const uint8_t u[16])
{
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
             u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
             u[14], u[15]);
}

static int truncated(const char *what, repl_error *err)
{
    return repl_error_set(err, REPL_ERR_CORRUPT, "%s is truncated", what);
}

/* ---- MariaDB ----------------------------------------------------------------------------------
 */

static int mgtid_xa(ext_mariadb_gtid *g, repl_rd *rd, repl_error *err)
{
    const uint8_t *data;
    g->xa_format_id = (int32_t)rd_u32le(rd);
    g->xa_gtrid_len = rd_u8(rd);
    g->xa_bqual_len = rd_u8(rd);
    if (g->xa_gtrid_len > 64 || g->xa_bqual_len > 64)
        return repl_error_set(err, REPL_ERR_CORRUPT, "GTID XA xid lengths %u/%u exceed 64",
                              g->xa_gtrid_len, g->xa_bqual_len);
    data = rd_take(rd, (size_t)g->xa_gtrid_len + g->xa_bqual_len);
    if (data == NULL)
        return truncated("GTID XA xid", err);
    memcpy(g->xa_data, data, (size_t)g->xa_gtrid_len + g->xa_bqual_len);
    return REPL_OK;
}

/* flags_extra and what it announces; absent in events shorter than that (zero padding reads 0) */
static int mgtid_extra(ext_mariadb_gtid *g, repl_rd *rd, repl_error *err)
{
    if (rd_left(rd) == 0)
        return REPL_OK;
    g->flags_extra = rd_u8(rd);
    if (g->flags_extra & EXT_MGTID_FLX_MULTI_ENGINE)
        g->extra_engines = rd_u8(rd);
    if (g->flags_extra & (EXT_MGTID_FLX_COMMIT_ALTER | EXT_MGTID_FLX_ROLLBACK_ALTER))
        g->sa_seq_no = rd_u64le(rd);
    if ((g->flags_extra & EXT_MGTID_FLX_THREAD_ID) && rd_left(rd) >= 4)
        g->thread_id = rd_u32le(rd);
    return rd_ok(rd) ? REPL_OK : truncated("GTID extra flags", err);
}

int ext_ev_mariadb_gtid(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err)
{
    ext_mariadb_gtid *g = &ev->u.mgtid;
    repl_rd rd;
    int rc;
    (void)ctx;
    rd_init(&rd, ev->body, ev->body_len);
    g->gtid.seq_no = rd_u64le(&rd);
    g->gtid.domain_id = rd_u32le(&rd);
    g->gtid.server_id = ev->server_id;
    g->flags2 = rd_u8(&rd);
    if (g->flags2 & EXT_MGTID_FL_GROUP_COMMIT_ID)
        g->commit_id = rd_u64le(&rd);
    if (!rd_ok(&rd))
        return truncated("GTID", err);
    rc = REPL_OK;
    if (g->flags2 & (EXT_MGTID_FL_PREPARED_XA | EXT_MGTID_FL_COMPLETED_XA))
        rc = mgtid_xa(g, &rd, err);
    if (rc == REPL_OK)
        rc = mgtid_extra(g, &rd, err);
    return rc;
}

int ext_ev_gtid_list(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err)
{
    ext_gtid_list *gl = &ev->u.gtid_list;
    uint32_t word;
    repl_rd rd;
    rd_init(&rd, ev->body, ev->body_len);
    word = rd_u32le(&rd);
    if (!rd_ok(&rd))
        return truncated("GTID list", err);
    gl->count = word & ((1u << 28) - 1);
    gl->flags = (uint8_t)(word >> 28);
    if (rd_left(&rd) / 16 < gl->count)
        return repl_error_set(err, REPL_ERR_CORRUPT, "GTID list of %u entries runs past the event",
                              gl->count);
    gl->list = repl_arena_alloc(ctx->arena, (size_t)gl->count * sizeof(*gl->list));
    for (uint32_t i = 0; i < gl->count; i++) {
        gl->list[i].domain_id = rd_u32le(&rd);
        gl->list[i].server_id = rd_u32le(&rd);
        gl->list[i].seq_no = rd_u64le(&rd);
    }
    return REPL_OK;
}

/* ---- MySQL GTID_LOG_EVENT / ANONYMOUS_GTID_LOG_EVENT ------------------------------------------
 */

#define LOGICAL_TIMESTAMP_TYPECODE 2

/* commit timestamps (7 bytes, bit 55: the original one follows), transaction length (packed),
 * server versions (4 bytes, bit 31: the original one follows), commit group ticket (8 bytes) */
static int mysql_gtid_tail(ext_mysql_gtid *g, repl_rd *rd)
{
    if (rd_left(rd) < 7)
        return 1;
    g->has_commit_ts = 1;
    g->immediate_commit_ts = rd_uint_le(rd, 7);
    g->original_commit_ts = g->immediate_commit_ts;
    if (g->immediate_commit_ts & ((uint64_t)1 << 55)) {
        g->immediate_commit_ts &= ~((uint64_t)1 << 55);
        g->original_commit_ts = rd_uint_le(rd, 7);
    }
    if (rd_left(rd) >= 1) {
        g->has_trx_length = 1;
        g->transaction_length = rd_packed(rd);
    }
    if (rd_left(rd) >= 4) {
        g->has_server_version = 1;
        g->immediate_server_version = rd_u32le(rd);
        g->original_server_version = g->immediate_server_version;
        if (g->immediate_server_version & 0x80000000u) {
            g->immediate_server_version &= 0x7fffffffu;
            g->original_server_version = rd_u32le(rd);
        }
        if (rd_left(rd) >= 8)
            g->commit_group_ticket = rd_u64le(rd);
    }
    return rd_ok(rd);
}

int ext_ev_mysql_gtid(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err)
{
    ext_mysql_gtid *g = &ev->u.gtid;
    const uint8_t *uuid;
    repl_rd rd;
    (void)ctx;
    rd_init(&rd, ev->body, ev->body_len);
    g->flags = rd_u8(&rd);
    uuid = rd_take(&rd, 16);
    g->gno = (int64_t)rd_u64le(&rd);
    if (!rd_ok(&rd))
        return truncated("GTID", err);
    memcpy(g->uuid, uuid, 16);
    ext_uuid_text(g->uuid_text, g->uuid);
    if (ev->type == EXT_EV_GTID ? g->gno < 1 : g->gno != 0)
        return repl_error_set(err, REPL_ERR_CORRUPT, "invalid GNO %lld", (long long)g->gno);
    /* 5.6 stops here; 5.7.4 and earlier used another type code: both carry no logical clock */
    if (rd_left(&rd) < 1 || rd_u8(&rd) != LOGICAL_TIMESTAMP_TYPECODE)
        return REPL_OK;
    g->has_logical_clock = 1;
    g->last_committed = (int64_t)rd_u64le(&rd);
    g->sequence_number = (int64_t)rd_u64le(&rd);
    if (!rd_ok(&rd) || !mysql_gtid_tail(g, &rd))
        return truncated("GTID logical clock and timestamps", err);
    return REPL_OK;
}

/* ---- MySQL GTID_TAGGED_LOG_EVENT: mysql::serialization -----------------------------------------
 */

/* Variable-length unsigned: the count of trailing one bits of the first byte plus one is the byte
 * count; 0xff means 8 full bytes follow. */
static uint64_t ser_uint(repl_rd *rd)
{
    uint8_t first;
    unsigned n = 1;
    uint64_t v;
    if (rd_left(rd) == 0) {
        rd->bad = 1;
        return 0;
    }
    first = rd->p[0];
    if (first == 0xff) {
        rd_skip(rd, 1);
        return rd_u64le(rd);
    }
    while (first & (1u << (n - 1)))
        n++;
    v = rd_uint_le(rd, n);
    return v >> n;
}

static int64_t ser_int(repl_rd *rd)
{
    uint64_t u = ser_uint(rd);
    return (u & 1) ? -(int64_t)(u >> 1) - 1 : (int64_t)(u >> 1);
}

static void ser_uuid(ext_mysql_gtid *g, repl_rd *rd)
{
    for (int i = 0; i < 16; i++)
        g->uuid[i] = (uint8_t)ser_uint(rd);
    ext_uuid_text(g->uuid_text, g->uuid);
}

static int ser_tag(char out[GTID_TAG_MAX + 1], repl_rd *rd)
{
    uint64_t len = ser_uint(rd);
    const uint8_t *p;
    if (len > GTID_TAG_MAX)
        return 0;
    p = rd_take(rd, (size_t)len);
    if (p != NULL)
        memcpy(out, p, (size_t)len);
    out[p != NULL ? len : 0] = '\0';
    return 1;
}

/* One field of the tagged GTID message; 0 for an id this decoder does not know. */
static int tagged_field(ext_mysql_gtid *g, unsigned id, repl_rd *rd)
{
    switch (id) {
    case 0:
        g->flags = (uint8_t)ser_uint(rd);
        return 1;
    case 1:
        ser_uuid(g, rd);
        return 1;
    case 2:
        g->gno = ser_int(rd);
        return 1;
    case 3:
        return ser_tag(g->tag, rd) ? 1 : -1;
    case 4:
        g->last_committed = ser_int(rd);
        return 1;
    case 5:
        g->sequence_number = ser_int(rd);
        return 1;
    case 6:
        g->immediate_commit_ts = ser_uint(rd);
        return 1;
    case 7:
        g->original_commit_ts = ser_uint(rd);
        return 1;
    case 8:
        g->transaction_length = ser_uint(rd);
        return 1;
    case 9:
        g->immediate_server_version = (uint32_t)ser_uint(rd);
        return 1;
    case 10:
        g->original_server_version = (uint32_t)ser_uint(rd);
        return 1;
    case 11:
        g->commit_group_ticket = ser_uint(rd);
        return 1;
    default:
        return 0;
    }
}

static int tagged_fields(ext_mysql_gtid *g, repl_rd *rd, unsigned last_non_ignorable,
                         repl_error *err)
{
    int seen7 = 0, seen10 = 0;
    while (rd_left(rd) > 0) {
        unsigned id = (unsigned)ser_uint(rd);
        int r = rd_ok(rd) ? tagged_field(g, id, rd) : -1;
        if (r == 0 && id > last_non_ignorable)
            break; /* newer, ignorable fields */
        if (r == 0)
            return repl_error_set(err, REPL_ERR_CORRUPT, "tagged GTID has unknown field %u", id);
        if (r < 0 || !rd_ok(rd))
            return truncated("tagged GTID field", err);
        seen7 |= id == 7;
        seen10 |= id == 10;
    }
    if (!seen7)
        g->original_commit_ts = g->immediate_commit_ts;
    if (!seen10)
        g->original_server_version = g->immediate_server_version;
    return REPL_OK;
}

int ext_ev_gtid_tagged(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err)
{
    ext_mysql_gtid *g = &ev->u.gtid;
    uint64_t size, last;
    repl_rd rd;
    (void)ctx;
    rd_init(&rd, ev->body, ev->body_len);
    (void)ser_uint(&rd); /* serialization version */
    size = ser_uint(&rd);
    last = ser_uint(&rd);
    if (!rd_ok(&rd) || size > ev->body_len || size < ev->body_len - rd_left(&rd))
        return repl_error_set(err, REPL_ERR_CORRUPT, "tagged GTID message header is invalid");
    rd.end = ev->body + size;
    g->has_logical_clock = g->has_commit_ts = 1;
    g->has_trx_length = g->has_server_version = 1;
    return tagged_fields(g, &rd, (unsigned)last, err);
}

/* ---- PREVIOUS_GTIDS_LOG_EVENT ------------------------------------------------------------------
 */

/* Append one tsid's intervals; the uuid is written only when it differs from the previous one. */
static int prev_gtids_tsid(repl_rd *rd, int tagged, char *prev_uuid, char *text, size_t *pos,
                           size_t cap)
{
    char uuid[37], tag[GTID_TAG_MAX + 1] = "";
    const uint8_t *u = rd_take(rd, 16);
    uint64_t n;
    if (u == NULL || (tagged && !ser_tag(tag, rd)))
        return 0;
    ext_uuid_text(uuid, u);
    n = rd_u64le(rd);
    if (!rd_ok(rd) || n > rd_left(rd) / 16)
        return 0;
    if (strcmp(uuid, prev_uuid) != 0)
        *pos += (size_t)snprintf(text + *pos, cap - *pos, "%s%s", *prev_uuid ? "," : "", uuid);
    strcpy(prev_uuid, uuid);
    if (*tag)
        *pos += (size_t)snprintf(text + *pos, cap - *pos, ":%s", tag);
    for (uint64_t i = 0; i < n; i++) {
        uint64_t start = rd_u64le(rd), end = rd_u64le(rd);
        if (end <= start)
            return 0;
        if (end == start + 1)
            *pos += (size_t)snprintf(text + *pos, cap - *pos, ":%llu", (unsigned long long)start);
        else
            *pos += (size_t)snprintf(text + *pos, cap - *pos, ":%llu-%llu",
                                     (unsigned long long)start, (unsigned long long)(end - 1));
    }
    return 1;
}

int ext_ev_previous_gtids(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err)
{
    char prev_uuid[37] = "";
    uint64_t word, n;
    int tagged;
    size_t pos = 0, cap;
    char *text;
    repl_rd rd;
    rd_init(&rd, ev->body, ev->body_len);
    word = rd_u64le(&rd);
    if (!rd_ok(&rd))
        return truncated("previous GTIDs", err);
    tagged = (word >> 56) == 1;
    n = tagged ? (word & 0x00ffffffffffff00ULL) >> 8 : word & 0x00ffffffffffffffULL;
    if ((word >> 56) > 1 || n > rd_left(&rd) / 24)
        return repl_error_set(err, REPL_ERR_CORRUPT, "previous GTIDs header is invalid");
    /* text is at most ~2.5 characters per body byte plus the separators */
    cap = ev->body_len * 3 + 64;
    text = repl_arena_alloc(ctx->arena, cap);
    text[0] = '\0';
    for (uint64_t i = 0; i < n; i++) {
        if (!prev_gtids_tsid(&rd, tagged, prev_uuid, text, &pos, cap))
            return repl_error_set(err, REPL_ERR_CORRUPT, "previous GTIDs set %llu is malformed",
                                  (unsigned long long)i);
    }
    ev->u.prev_gtids.n_sids = n;
    ev->u.prev_gtids.text = text;
    return REPL_OK;
}
