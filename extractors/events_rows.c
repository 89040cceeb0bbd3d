/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extractors/events_rows.c - TABLE_MAP and rows events as far as the event layer goes: the
 * table_id, the MariaDB zlib decompression of compressed rows (166-171) and statements, the rows
 * post-header peek; the columns and values are the business of extractors/table_map.h and
 * extractors/rows.h. Also the TRANSACTION_PAYLOAD header (a TLV list before the compressed inner
 * events). */
#include "extractors/binlog_int.h"

#include <string.h>
#include <zlib.h>

#include "extractors/binlog.h"
#include "extractors/rows.h"
#include "extractors/table_map.h"

/* ---- MariaDB compressed blocks ------------------------------------------------------------------
 */

int ext_zlib_block_inflate(const uint8_t *src, size_t len, ext_scratch *scratch, size_t dst_off,
                           size_t *out_len, repl_error *err)
{
    unsigned lenlen;
    uint64_t ulen;
    uLongf dlen;
    repl_rd rd;
    int zrc, rc;
    rd_init(&rd, src, len);
    uint8_t h = rd_u8(&rd);
    /* 0x80 | algorithm << 4 | bytes of length; only algorithm 0 (zlib) exists */
    if (!rd_ok(&rd) || (h & 0xf0) != 0x80 || (h & 7) < 1 || (h & 7) > 4)
        return repl_error_set(err, REPL_ERR_CORRUPT, "bad compression header byte 0x%02x",
                              rd_ok(&rd) ? h : 0);
    lenlen = h & 7;
    ulen = rd_uint_be(&rd, lenlen);
    if (!rd_ok(&rd))
        return repl_error_set(err, REPL_ERR_CORRUPT, "compressed block is truncated");
    if (ulen > EXT_MAX_EVENT_BYTES)
        return repl_error_set(err, REPL_ERR_CORRUPT, "uncompressed length %llu is too large",
                              (unsigned long long)ulen);
    rc = ext_scratch_reserve(scratch, dst_off + (size_t)ulen, err);
    if (rc != REPL_OK)
        return rc;
    dlen = (uLongf)ulen;
    zrc = uncompress(scratch->data + dst_off, &dlen, rd.p, (uLong)rd_left(&rd));
    if (zrc != Z_OK)
        return repl_error_set(err, REPL_ERR_CORRUPT, "zlib: %s", zError(zrc));
    if (dlen != ulen)
        return repl_error_set(err, REPL_ERR_CORRUPT, "inflated %lu bytes, header said %llu",
                              (unsigned long)dlen, (unsigned long long)ulen);
    *out_len = (size_t)ulen;
    return REPL_OK;
}

/* ---- TABLE_MAP ----------------------------------------------------------------------------------
 */

/* The optional metadata of MariaDB and MySQL differ in details: tell the parser which wrote it
 * (unknown before the stream's first FDE). */
static int table_map_flavor(const ext_fde *fde)
{
    if (fde->server_version[0] == '\0')
        return EXT_FLAVOR_UNKNOWN;
    return fde->is_mariadb ? EXT_FLAVOR_MARIADB : EXT_FLAVOR_MYSQL;
}

int ext_ev_table_map(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err)
{
    unsigned ph = ext_fde_post_header_len(ctx->fde, ev->type);
    ext_table_map *map = NULL;
    repl_rd rd;
    int rc;
    rd_init(&rd, ev->body, ev->body_len);
    ev->u.table_map.table_id = ph == 6 ? rd_u32le(&rd) : rd_u48le(&rd);
    if (!rd_ok(&rd))
        return repl_error_set(err, REPL_ERR_CORRUPT, "table map is truncated");
    rc = ext_table_map_parse_ex(&map, ev->body, ev->body_len, ph, table_map_flavor(ctx->fde), err);
    if (rc != REPL_OK)
        return repl_error_wrap(err, "table_id %llu", (unsigned long long)ev->u.table_map.table_id);
    ev->u.table_map.map = map; /* the decoder takes it into its table cache */
    return REPL_OK;
}

/* ---- rows
 * ---------------------------------------------------------------------------------------- */

/* Bytes before the rows data: post-header, v2 extra data, column count, one or two bitmaps. Only
 * the rows data is compressed in MariaDB's compressed rows events. */
static int rows_prefix_len(const ext_event *ev, unsigned ph, int plain_type, size_t *out,
                           repl_error *err)
{
    uint64_t width;
    repl_rd rd;
    rd_init(&rd, ev->body, ev->body_len);
    rd_skip(&rd, ph);
    if (ph == 10) {
        uint16_t var_len;
        rd_init(&rd, ev->body, ev->body_len);
        rd_skip(&rd, 8);
        var_len = rd_u16le(&rd);
        if (var_len < 2 || !rd_skip(&rd, var_len - 2u))
            return repl_error_set(err, REPL_ERR_CORRUPT, "rows extra data is malformed");
    }
    width = rd_packed(&rd);
    if (!rd_ok(&rd) || width > rd_left(&rd) * 8)
        return repl_error_set(err, REPL_ERR_CORRUPT, "rows column count is malformed");
    rd_skip(&rd, (size_t)(width + 7) / 8);
    if (plain_type == EXT_EV_UPDATE_ROWS_V1 || plain_type == EXT_EV_UPDATE_ROWS_V2)
        rd_skip(&rd, (size_t)(width + 7) / 8);
    if (!rd_ok(&rd))
        return repl_error_set(err, REPL_ERR_CORRUPT, "rows column bitmaps are truncated");
    *out = ev->body_len - rd_left(&rd);
    return REPL_OK;
}

static int rows_inflate(ext_event *ev, const ext_decode_ctx *ctx, unsigned ph, repl_error *err)
{
    size_t prefix = 0, n = 0;
    int rc = rows_prefix_len(ev, ph, ev->u.rows.plain_type, &prefix, err);
    if (rc != REPL_OK)
        return rc;
    rc = ext_zlib_block_inflate(ev->body + prefix, ev->body_len - prefix, ctx->scratch, prefix, &n,
                                err);
    if (rc != REPL_OK)
        return repl_error_wrap(err, "compressed rows");
    memcpy(ctx->scratch->data, ev->body, prefix);
    ev->body = ctx->scratch->data;
    ev->body_len = prefix + n;
    ev->u.rows.compressed = 1;
    return REPL_OK;
}

int ext_ev_rows(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err)
{
    ext_rows_event *r = &ev->u.rows;
    unsigned ph = ext_fde_post_header_len(ctx->fde, ev->type);
    ext_rows_info info;
    int rc;
    r->plain_type = ext_event_rows_plain_type(ev->type);
    if (r->plain_type != ev->type) {
        rc = rows_inflate(ev, ctx, ph, err);
        if (rc != REPL_OK)
            return rc;
    }
    memset(&info, 0, sizeof(info));
    rc = ext_rows_peek(&info, r->plain_type, ev->body, ev->body_len, ph, err);
    if (rc != REPL_OK)
        return rc;
    r->table_id = info.table_id;
    r->flags = info.flags;
    r->action = (uint8_t)info.action;
    r->version = info.version;
    return REPL_OK;
}

/* ---- TRANSACTION_PAYLOAD
 * ------------------------------------------------------------------------- */

#define PAYLOAD_FIELD_END               0
#define PAYLOAD_FIELD_SIZE              1
#define PAYLOAD_FIELD_COMPRESSION_TYPE  2
#define PAYLOAD_FIELD_UNCOMPRESSED_SIZE 3

/* One TLV field; 0 when malformed. Known fields hold a packed integer whatever their length says.
 */
static int payload_field(ext_payload *p, repl_rd *rd, uint64_t type, unsigned *seen)
{
    uint64_t len = rd_packed(rd);
    switch (type) {
    case PAYLOAD_FIELD_SIZE:
        p->payload_size = rd_packed(rd);
        break;
    case PAYLOAD_FIELD_COMPRESSION_TYPE:
        p->compression_type = (uint32_t)rd_packed(rd);
        break;
    case PAYLOAD_FIELD_UNCOMPRESSED_SIZE:
        p->uncompressed_size = rd_packed(rd);
        p->has_uncompressed_size = 1;
        break;
    default:
        rd_skip(rd, len);
        break;
    }
    *seen |= 1u << (type < 8 ? type : 0);
    return rd_ok(rd);
}

int ext_ev_payload(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err)
{
    ext_payload *p = &ev->u.payload;
    unsigned seen = 0;
    uint64_t type = 1;
    repl_rd rd;
    (void)ctx;
    /* the post-header length MySQL's FDE lists for this type is not used: TLVs start the body */
    rd_init(&rd, ev->body, ev->body_len);
    while (rd_left(&rd) > 0) {
        type = rd_packed(&rd);
        if (!rd_ok(&rd) || type == PAYLOAD_FIELD_END)
            break;
        if (!payload_field(p, &rd, type, &seen))
            return repl_error_set(err, REPL_ERR_CORRUPT, "payload header field %llu is malformed",
                                  (unsigned long long)type);
    }
    if (!rd_ok(&rd) || type != PAYLOAD_FIELD_END ||
        (seen & (1u << PAYLOAD_FIELD_SIZE | 1u << PAYLOAD_FIELD_COMPRESSION_TYPE)) !=
            (1u << PAYLOAD_FIELD_SIZE | 1u << PAYLOAD_FIELD_COMPRESSION_TYPE))
        return repl_error_set(err, REPL_ERR_CORRUPT, "payload header is incomplete");
    if (p->compression_type != EXT_PAYLOAD_ZSTD && p->compression_type != EXT_PAYLOAD_NONE)
        return repl_error_set(err, REPL_ERR_CORRUPT, "unknown payload compression type %u",
                              p->compression_type);
    if (p->payload_size > rd_left(&rd))
        return repl_error_set(err, REPL_ERR_CORRUPT,
                              "payload of %llu bytes runs past the event (%zu left)",
                              (unsigned long long)p->payload_size, rd_left(&rd));
    p->payload.ptr = rd.p;
    p->payload.len = (size_t)p->payload_size;
    return REPL_OK;
}
