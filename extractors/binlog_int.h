/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extractors/binlog_int.h - private to the binlog decoder (binlog*.c, events*.c, payload.c): the
 * decoding context handed to the per-event decoders, the scratch buffer for decompressed bodies,
 * the table map cache and the TRANSACTION_PAYLOAD stream reader. Nothing here is public API. */
#ifndef EXT_BINLOG_INT_H
#define EXT_BINLOG_INT_H

#include <stddef.h>
#include <stdint.h>

#include "extractors/events.h"
#include "replicator/base/error.h"
#include "replicator/base/mem.h"
#include "replicator/base/rd.h"

/** A growable buffer for data whose size comes from input (allocation failures are errors). */
typedef struct ext_scratch {
    uint8_t *data;
    size_t cap;
} ext_scratch;

/** Make room for n bytes (contents not kept). REPL_ERR_FULL if n is absurd or memory is short. */
int ext_scratch_reserve(ext_scratch *s, size_t n, repl_error *err);
/** Like ext_scratch_reserve, keeping the current contents. */
int ext_scratch_reserve_keep(ext_scratch *s, size_t n, repl_error *err);
void ext_scratch_dispose(ext_scratch *s);

/** What the per-event decoders need besides the event. */
typedef struct ext_decode_ctx {
    const ext_fde *fde;   /* current format (defaults before the first FDE) */
    repl_arena *arena;    /* per-event strings; reset before each event */
    ext_scratch *scratch; /* decompressed bodies (one per event) */
} ext_decode_ctx;

/* ---- events*.c --------------------------------------------------------------------------------
 */

/** Decode ev->body according to ev->type into ev->u (one function per type). TABLE_MAP leaves a
 * parsed map in ev->u.table_map.map that the caller takes over (ext_table_map_free). Rows events
 * get their body decompressed and their post-header peeked; the map is looked up by the caller. */
int ext_events_decode_body(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err);

/** Post-header length of type in fde (defaults for types the FDE does not list). */
unsigned ext_fde_post_header_len(const ext_fde *fde, int type);

/** Binlog v4 defaults, used before the first FDE of a stream. */
void ext_fde_init_defaults(ext_fde *fde);

/** Parse a FORMAT_DESCRIPTION body, its trailing algorithm byte and CRC room included (the FDE says
 * whether they exist: ext_fde_version_has_checksum). */
int ext_fde_parse(ext_fde *fde, const uint8_t *body, size_t len, repl_error *err);

/** The type code a server using fde writes for type (MySQL 5.1 "-a_drop" development trees
 * numbered TABLE_MAP, the pre-GA rows events, XID and the LOAD DATA events 16-22). */
int ext_fde_event_type(const ext_fde *fde, int type);

/** Whether a server version announces the checksum-algorithm byte in its FDE. */
int ext_fde_version_has_checksum(const ext_fde *fde);

/** Inflate a MariaDB compressed block (header 0x80|len_bytes, big-endian length, zlib stream) into
 * the scratch buffer at offset dst_off; *out_len is the inflated length. */
int ext_zlib_block_inflate(const uint8_t *src, size_t len, ext_scratch *scratch, size_t dst_off,
                           size_t *out_len, repl_error *err);

/* per-type decoders shared between events*.c files */
int ext_ev_fde(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err);
int ext_ev_query(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err);
int ext_ev_user_var(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err);
int ext_ev_mariadb_gtid(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err);
int ext_ev_gtid_list(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err);
int ext_ev_mysql_gtid(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err);
int ext_ev_gtid_tagged(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err);
int ext_ev_previous_gtids(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err);
int ext_ev_table_map(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err);
int ext_ev_rows(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err);
int ext_ev_payload(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err);

/** Format 16 bytes as a lower-case UUID (37 bytes with the NUL). */
void ext_uuid_text(char out[37], const uint8_t uuid[16]);

/** Decimal in MySQL's binary format (precision, scale) to text into out (at least 84 bytes).
 * Returns the number of bytes it used, 0 if len is too short or the format is invalid. */
size_t ext_decimal_text(char *out, size_t out_size, const uint8_t *bin, size_t len,
                        unsigned precision, unsigned scale);

/* ---- binlog_tables.c: table_id -> TABLE_MAP ----------------------------------------------------
 */

typedef struct ext_table_cache {
    struct ext_table_slot {
        uint64_t id;
        ext_table_map *map; /* NULL = empty slot */
    } * slots;
    size_t cap; /* power of two or 0 */
    size_t count;
} ext_table_cache;

/** Insert or replace (the previous map of that id is freed); takes ownership of map. */
void ext_table_cache_put_take(ext_table_cache *c, uint64_t id, ext_table_map *map);
const ext_table_map *ext_table_cache_get(const ext_table_cache *c, uint64_t id);
void ext_table_cache_clear(ext_table_cache *c);
void ext_table_cache_dispose(ext_table_cache *c);

/* ---- payload.c: TRANSACTION_PAYLOAD inner events ----------------------------------------------
 */

typedef struct ext_payload_reader ext_payload_reader;

ext_payload_reader *ext_payload_reader_new(void);
void ext_payload_reader_free(ext_payload_reader *r);
/** Start reading the inner events of p (p->payload must stay valid until the end). */
int ext_payload_reader_start(ext_payload_reader *r, const ext_payload *p, repl_error *err);
/** Next inner event's bytes (valid until the next call): 1, or 0 at the end of the payload. */
int ext_payload_reader_next(ext_payload_reader *r, const uint8_t **data, size_t *len,
                            repl_error *err);
/** Stop early (the reader can be started again). */
void ext_payload_reader_stop(ext_payload_reader *r);
/** Largest buffer the reader held so far (inner event plus decompression window bookkeeping). */
size_t ext_payload_reader_buffer_max(const ext_payload_reader *r);

#endif
