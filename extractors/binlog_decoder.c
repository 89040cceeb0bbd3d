/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extractors/binlog_decoder.c - ext_decoder: one raw event in, one ext_event out. Parses the common
 * header, verifies the CRC32 the current FORMAT_DESCRIPTION announces (artificial events may carry
 * none or a wrong one: counted, not fatal), skips ignorable unknown events, refuses the rest, calls
 * the per-type decoder (events.c) and keeps the stream state: the format, the table map cache
 * (cleared at STMT_END_F, FORMAT_DESCRIPTION and ROTATE) and the TRANSACTION_PAYLOAD being read.
 * Every error is wrapped with the source, offset and event type. */
#include "extractors/binlog.h"

#include <string.h>
#include <zlib.h>

#include "extractors/binlog_int.h"
#include "extractors/rows.h"
#include "extractors/table_map.h"

struct ext_decoder {
    ext_fde fde; /* current format; defaults until have_fde */
    int have_fde;
    int initial_checksum; /* before the first FDE: EXT_CHECKSUM_* or UNDEF (guess) */
    ext_table_cache tables;
    int clear_tables; /* a statement ended: forget its TABLE_MAPs before the next event */
    repl_arena *arena;
    ext_scratch scratch;
    ext_event ev;
    /* inner events of the current TRANSACTION_PAYLOAD */
    ext_payload_reader *payload;
    int in_payload;
    uint64_t payload_offset;
    const char *payload_source;
    uint32_t inner_index;
    repl_arena *inner_arena;
    ext_scratch inner_scratch;
    ext_event inner;
    ext_decoder_stats stats;
};

/* One event's bytes and where they come from. */
typedef struct raw_in {
    const uint8_t *data;
    size_t len;
    uint64_t offset;
    const char *source;
    int inner;
    uint32_t inner_index;
} raw_in;

ext_decoder *ext_decoder_new(void)
{
    ext_decoder *dec = repl_calloc(1, sizeof(*dec));
    dec->arena = repl_arena_new(16 * 1024);
    dec->inner_arena = repl_arena_new(16 * 1024);
    dec->payload = ext_payload_reader_new();
    dec->initial_checksum = EXT_CHECKSUM_UNDEF;
    ext_fde_init_defaults(&dec->fde);
    return dec;
}

void ext_decoder_reset(ext_decoder *dec)
{
    ext_table_cache_clear(&dec->tables);
    ext_payload_reader_stop(dec->payload);
    dec->in_payload = 0;
    dec->clear_tables = 0;
    dec->have_fde = 0;
    ext_fde_init_defaults(&dec->fde);
}

void ext_decoder_free(ext_decoder *dec)
{
    if (dec == NULL)
        return;
    ext_table_cache_dispose(&dec->tables);
    ext_payload_reader_free(dec->payload);
    repl_arena_free(dec->arena);
    repl_arena_free(dec->inner_arena);
    ext_scratch_dispose(&dec->scratch);
    ext_scratch_dispose(&dec->inner_scratch);
    repl_free(dec);
}

const ext_fde *ext_decoder_fde(const ext_decoder *dec)
{
    return dec->have_fde ? &dec->fde : NULL;
}

void ext_decoder_set_initial_checksum(ext_decoder *dec, int checksum_alg)
{
    dec->initial_checksum = checksum_alg;
}

const ext_decoder_stats *ext_decoder_stats_get(const ext_decoder *dec)
{
    return &dec->stats;
}

size_t ext_decoder_table_count(const ext_decoder *dec)
{
    return dec->tables.count;
}

/* ---- header and checksum -------------------------------------------------------------------- */

static void parse_header(ext_event *ev, const raw_in *in, const ext_fde *fde)
{
    repl_rd rd;
    rd_init(&rd, in->data, EXT_EVENT_HEADER_LEN);
    ev->timestamp = rd_u32le(&rd);
    ev->type = rd_u8(&rd);
    ev->server_id = rd_u32le(&rd);
    ev->event_len = rd_u32le(&rd);
    ev->log_pos = rd_u32le(&rd);
    ev->flags = rd_u16le(&rd);
    ev->type = (uint8_t)ext_fde_event_type(fde, ev->type);
    ev->offset = in->offset;
    ev->source = in->source;
    ev->inner = (uint8_t)in->inner;
    ev->inner_index = in->inner_index;
}

static int is_artificial(const ext_event *ev)
{
    return (ev->flags & EXT_LOG_EVENT_ARTIFICIAL_F) ||
           (ev->type == EXT_EV_ROTATE && ev->timestamp == 0);
}

/* zlib CRC32 of the event minus its last 4 bytes; an FDE is summed with BINLOG_IN_USE cleared. */
static uint32_t event_crc(const uint8_t *data, size_t len, int type)
{
    uint8_t head[EXT_EVENT_HEADER_LEN];
    uLong crc = crc32(0L, Z_NULL, 0);
    memcpy(head, data, sizeof(head));
    if (type == EXT_EV_FORMAT_DESCRIPTION)
        head[17] &= (uint8_t)~EXT_LOG_EVENT_BINLOG_IN_USE_F;
    crc = crc32(crc, head, sizeof(head));
    crc = crc32(crc, data + sizeof(head), (uInt)(len - 4 - sizeof(head)));
    return (uint32_t)crc;
}

static uint32_t stored_crc(const uint8_t *data, size_t len)
{
    const uint8_t *p = data + len - 4;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The checksum algorithm that applies to ev (before the first FDE: what the caller said, or a
 * guess from whether the last 4 bytes are a valid CRC32). */
static int checksum_alg_for(const ext_decoder *dec, const ext_event *ev, const raw_in *in)
{
    if (in->inner)
        return EXT_CHECKSUM_OFF;
    if (dec->have_fde)
        return dec->fde.checksum_alg;
    if (dec->initial_checksum != EXT_CHECKSUM_UNDEF)
        return dec->initial_checksum;
    if (in->len >= EXT_EVENT_HEADER_LEN + 4 &&
        event_crc(in->data, in->len, ev->type) == stored_crc(in->data, in->len))
        return EXT_CHECKSUM_CRC32;
    return EXT_CHECKSUM_OFF;
}

/* Sets ev->crc*; *tail is the number of checksum bytes to strip from the body. */
static int check_crc(ext_decoder *dec, ext_event *ev, const raw_in *in, int alg, size_t *tail,
                     repl_error *err)
{
    uint32_t computed;
    ev->checksum_alg = (uint8_t)alg;
    *tail = 0;
    if (alg != EXT_CHECKSUM_CRC32)
        return REPL_OK;
    if (in->len < EXT_EVENT_HEADER_LEN + 4)
        return repl_error_set(err, REPL_ERR_CORRUPT, "event of %zu bytes has no room for its CRC32",
                              in->len);
    *tail = 4;
    ev->crc_present = 1;
    ev->crc = stored_crc(in->data, in->len);
    computed = event_crc(in->data, in->len, ev->type);
    if (computed == ev->crc) {
        ev->crc_verified = 1;
        dec->stats.crc_verified++;
        return REPL_OK;
    }
    if (is_artificial(ev)) {
        dec->stats.artificial_crc_unchecked++;
        return REPL_OK;
    }
    return repl_error_set(err, REPL_ERR_CORRUPT, "CRC32 mismatch: stored 0x%08x, computed 0x%08x",
                          ev->crc, computed);
}

/* Body boundaries: after the common header (FDE and ROTATE: always 19 bytes), without checksum. */
static int set_body(ext_decoder *dec, ext_event *ev, const raw_in *in, int alg, repl_error *err)
{
    size_t hlen = EXT_EVENT_HEADER_LEN, tail = 0;
    int rc = check_crc(dec, ev, in, alg, &tail, err);
    if (rc != REPL_OK)
        return rc;
    if (ev->type != EXT_EV_FORMAT_DESCRIPTION && ev->type != EXT_EV_ROTATE)
        hlen = dec->fde.header_len;
    if (in->len < hlen + tail)
        return repl_error_set(err, REPL_ERR_CORRUPT,
                              "event of %zu bytes is shorter than its header", in->len);
    ev->body = in->data + hlen;
    ev->body_len = in->len - hlen - tail;
    return REPL_OK;
}

/* The FDE says itself whether it carries a checksum: parse it first, then check. */
static int decode_fde(ext_decoder *dec, ext_event *ev, const raw_in *in, repl_error *err)
{
    size_t blen = in->len - EXT_EVENT_HEADER_LEN;
    int rc = ext_fde_parse(&ev->u.fde, in->data + EXT_EVENT_HEADER_LEN, blen, err);
    int alg;
    if (rc != REPL_OK)
        return rc;
    alg = ev->u.fde.checksum_alg;
    rc = set_body(dec, ev, in, alg == EXT_CHECKSUM_CRC32 ? alg : EXT_CHECKSUM_OFF, err);
    if (rc != REPL_OK)
        return rc;
    ev->checksum_alg = (uint8_t)alg;
    if (alg != EXT_CHECKSUM_CRC32 && ext_fde_version_has_checksum(&ev->u.fde))
        ev->body_len -= 4; /* the CRC room exists even when checksums are off */
    return REPL_OK;
}

/* ---- type triage and stream state ----------------------------------------------------------- */

static int type_known(int type)
{
    return (type >= EXT_EV_START_V3 && type <= EXT_EV_GTID_TAGGED) ||
           (type >= EXT_EV_MARIA_ANNOTATE_ROWS && type <= EXT_EV_MARIA_PARTIAL_ROW_DATA);
}

static int ignorable(const ext_event *ev)
{
    return ev->type == EXT_EV_IGNORABLE ||
           (!type_known(ev->type) && (ev->flags & EXT_LOG_EVENT_IGNORABLE_F));
}

static int is_dummy_table_id(uint64_t id)
{
    /* end-of-statement markers some 5.1-5.5 servers wrote without a table */
    return id == 0xffffffULL || id == 0xffffffffULL || id == 0xffffffffffffULL;
}

static int attach_table(ext_decoder *dec, ext_event *ev, repl_error *err)
{
    ext_rows_event *r = &ev->u.rows;
    r->map = ext_table_cache_get(&dec->tables, r->table_id);
    if (r->flags & EXT_ROWS_STMT_END_F)
        dec->clear_tables = 1;
    if (r->map != NULL)
        return REPL_OK;
    if (is_dummy_table_id(r->table_id) && (r->flags & EXT_ROWS_STMT_END_F)) {
        r->dummy = 1;
        return REPL_OK;
    }
    return repl_error_set(err, REPL_ERR_CORRUPT,
                          "rows event for table_id %llu, which no TABLE_MAP announced",
                          (unsigned long long)r->table_id);
}

static int start_payload(ext_decoder *dec, const ext_event *ev, repl_error *err)
{
    int rc;
    if (ev->inner)
        return repl_error_set(err, REPL_ERR_CORRUPT, "transaction payload inside a payload");
    rc = ext_payload_reader_start(dec->payload, &ev->u.payload, err);
    if (rc != REPL_OK)
        return rc;
    dec->in_payload = 1;
    dec->payload_offset = ev->offset;
    dec->payload_source = ev->source;
    dec->inner_index = 0;
    return REPL_OK;
}

static int update_state(ext_decoder *dec, ext_event *ev, repl_error *err)
{
    switch (ev->type) {
    case EXT_EV_FORMAT_DESCRIPTION:
        if (ev->inner)
            return repl_error_set(err, REPL_ERR_CORRUPT, "format description inside a payload");
        dec->fde = ev->u.fde;
        dec->have_fde = 1;
        ext_table_cache_clear(&dec->tables);
        return REPL_OK;
    case EXT_EV_ROTATE:
        ext_table_cache_clear(&dec->tables);
        return REPL_OK;
    case EXT_EV_TABLE_MAP:
        /* the cache owns the map from now on */
        ext_table_cache_put_take(&dec->tables, ev->u.table_map.table_id,
                                 (ext_table_map *)ev->u.table_map.map);
        return REPL_OK;
    case EXT_EV_TRANSACTION_PAYLOAD:
        return start_payload(dec, ev, err);
    default:
        return ext_event_type_is_rows(ev->type) ? attach_table(dec, ev, err) : REPL_OK;
    }
}

static int decode_body(ext_decoder *dec, ext_event *ev, const raw_in *in, repl_arena *arena,
                       ext_scratch *scratch, repl_error *err)
{
    ext_decode_ctx ctx = { &dec->fde, arena, scratch };
    int rc;
    if (ev->type == EXT_EV_FORMAT_DESCRIPTION)
        rc = decode_fde(dec, ev, in, err);
    else
        rc = set_body(dec, ev, in, checksum_alg_for(dec, ev, in), err);
    if (rc != REPL_OK)
        return rc;
    if (ignorable(ev)) {
        ev->skipped = 1;
        dec->stats.ignorable_skipped++;
        return REPL_OK;
    }
    if (!type_known(ev->type))
        return repl_error_set(err, REPL_ERR_CORRUPT,
                              "unknown event type %u without LOG_EVENT_IGNORABLE_F (flags 0x%04x)",
                              ev->type, ev->flags);
    rc = ext_events_decode_body(ev, &ctx, err);
    if (rc != REPL_OK) {
        if (ev->type == EXT_EV_TABLE_MAP)
            ev->u.table_map.map = NULL;
        return rc;
    }
    return update_state(dec, ev, err);
}

static int fail(const raw_in *in, int type, repl_error *err)
{
    if (in->inner)
        return repl_error_wrap(err,
                               "binlog: %s at %llu: event %u inside TRANSACTION_PAYLOAD_EVENT: %s "
                               "(type %d)",
                               in->source, (unsigned long long)in->offset, in->inner_index,
                               ext_event_type_name(type), type);
    return repl_error_wrap(err, "binlog: %s at %llu: %s (type %d)", in->source,
                           (unsigned long long)in->offset, ext_event_type_name(type), type);
}

static int decode_one(ext_decoder *dec, ext_event *ev, const raw_in *in, repl_arena *arena,
                      ext_scratch *scratch, repl_error *err)
{
    int rc;
    memset(ev, 0, sizeof(*ev));
    repl_arena_reset(arena);
    if (in->len < EXT_EVENT_HEADER_LEN) {
        repl_error_set(err, REPL_ERR_CORRUPT, "event of %zu bytes is shorter than its header",
                       in->len);
        return fail(in, 0, err);
    }
    parse_header(ev, in, &dec->fde);
    if (ev->event_len != in->len) {
        repl_error_set(err, REPL_ERR_CORRUPT, "header says %u bytes, the event has %zu",
                       ev->event_len, in->len);
        return fail(in, ev->type, err);
    }
    rc = decode_body(dec, ev, in, arena, scratch, err);
    if (rc != REPL_OK)
        return fail(in, ev->type, err);
    dec->stats.events++;
    return REPL_OK;
}

/* A statement ended with the previous event: its TABLE_MAPs are no longer valid. */
static void settle(ext_decoder *dec)
{
    if (dec->clear_tables) {
        ext_table_cache_clear(&dec->tables);
        dec->clear_tables = 0;
    }
}

int ext_decoder_decode(ext_decoder *dec, const ext_raw_event *raw, const ext_event **out,
                       repl_error *err)
{
    raw_in in = { raw->data, raw->len, raw->offset, raw->source ? raw->source : "stream", 0, 0 };
    int rc;
    *out = NULL;
    settle(dec);
    if (dec->in_payload) {
        ext_payload_reader_stop(dec->payload);
        dec->in_payload = 0;
    }
    rc = decode_one(dec, &dec->ev, &in, dec->arena, &dec->scratch, err);
    if (rc != REPL_OK)
        return rc;
    *out = &dec->ev;
    return REPL_OK;
}

int ext_decoder_next_inner(ext_decoder *dec, const ext_event **out, repl_error *err)
{
    raw_in in = { NULL, 0, dec->payload_offset, dec->payload_source, 1, dec->inner_index };
    int rc;
    *out = NULL;
    if (!dec->in_payload)
        return 0;
    settle(dec);
    rc = ext_payload_reader_next(dec->payload, &in.data, &in.len, err);
    if (rc <= 0) {
        dec->in_payload = 0;
        if (rc < 0)
            return fail(&in, EXT_EV_TRANSACTION_PAYLOAD, err);
        return 0;
    }
    rc = decode_one(dec, &dec->inner, &in, dec->inner_arena, &dec->inner_scratch, err);
    if (ext_payload_reader_buffer_max(dec->payload) > dec->stats.payload_buffer_max)
        dec->stats.payload_buffer_max = ext_payload_reader_buffer_max(dec->payload);
    if (rc != REPL_OK)
        return rc;
    dec->inner_index++;
    dec->stats.inner_events++;
    *out = &dec->inner;
    return 1;
}

int ext_decoder_rows(ext_decoder *dec, const ext_event *ev, thl_event *target, thl_rows **out,
                     repl_error *err)
{
    raw_in in = { NULL, 0, ev->offset, ev->source, ev->inner, ev->inner_index };
    int rc;
    (void)dec;
    *out = NULL;
    if (!ext_event_type_is_rows(ev->type) || ev->skipped)
        return repl_error_set(err, REPL_ERR_INVALID, "binlog: %s at %llu: %s is not a rows event",
                              ev->source, (unsigned long long)ev->offset,
                              ext_event_type_name(ev->type));
    if (ev->u.rows.dummy)
        return REPL_OK;
    rc = ext_rows_decode(out, target, ev->u.rows.map, ev->u.rows.plain_type, ev->body, ev->body_len,
                         ext_fde_post_header_len(&dec->fde, ev->type), err);
    if (rc != REPL_OK)
        return fail(&in, ev->type, err);
    return REPL_OK;
}
