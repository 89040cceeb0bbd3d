/* SPDX-License-Identifier: GPL-2.0-or-later */
/* thl/record_int.h - private to thl/record.c: the record layout constants (docs/thl-format.md), the
 * per-thread codec state and the table of session fields that drives both the encoder and the
 * decoder. No other file may include it. */
#ifndef THL_RECORD_INT_H
#define THL_RECORD_INT_H

#include <stddef.h>
#include <stdint.h>
#include <zstd.h>

#include "replicator/base/buf.h"
#include "thl/event.h"

#define REC_MAGIC           "THL"
#define REC_MAGIC_LEN       3
#define REC_FIXED_LEN       52 /* header bytes before shard_id */
#define REC_OFF_CODEC       5
#define REC_OFF_PAYLOAD_LEN 40
#define REC_CRC_LEN         4
#define REC_MIN_LEN         (REC_FIXED_LEN + REC_CRC_LEN)
#define REC_SESS_KNOWN      0x1fffu
#define REC_MIN_PAYLOAD     3                     /* source_id length, meta count, item count */
#define REC_COL_MIN_BYTES   8                     /* smallest encoded column spec */
#define REC_DEC_MAX_MEM     (1024u * 1024 * 1024) /* bound on one decoded event's arena */
#define REC_ARENA_CHUNK_MAX (1024u * 1024)
#define REC_SCRATCH_KEEP    (4u * 1024 * 1024) /* per-thread buffers kept up to this size */
#define REC_ZSTD_MIN_SAVING 16 /* store raw unless compression saves at least this */

/** One thread's reusable codec state; owned by that thread, freed when it exits. */
typedef struct rec_tls {
    ZSTD_CCtx *cctx;
    ZSTD_DCtx *dctx;
    repl_buf raw;     /* encoder: the payload before compression */
    uint8_t *scratch; /* decoder: the decompressed payload */
    size_t scratch_cap;
} rec_tls;

/* ---- session fields, in payload order ---- */

enum {
    SESS_UINT = 0,
    SESS_STR = 1,
    SESS_SINT = 2
};

typedef struct sess_field {
    uint16_t bit; /* THL_SESS_* that says the field is stored */
    uint8_t how;  /* SESS_* */
    uint8_t size; /* bytes of the struct field */
    uint16_t off; /* offsetof(thl_session, field) */
} sess_field;

#define SESS_F(bit, how, field)                                                   \
    {                                                                             \
        bit, how, sizeof(((thl_session *)0)->field), offsetof(thl_session, field) \
    }

static const sess_field sess_fields[] = {
    SESS_F(THL_SESS_SQL_MODE, SESS_UINT, sql_mode),
    SESS_F(THL_SESS_CHARSET, SESS_UINT, charset_client),
    SESS_F(THL_SESS_CHARSET, SESS_UINT, collation_connection),
    SESS_F(THL_SESS_CHARSET, SESS_UINT, collation_server),
    SESS_F(THL_SESS_TIME_ZONE, SESS_STR, time_zone),
    SESS_F(THL_SESS_TIMESTAMP, SESS_SINT, timestamp_sec),
    SESS_F(THL_SESS_TIMESTAMP, SESS_UINT, timestamp_usec),
    SESS_F(THL_SESS_AUTO_INC, SESS_UINT, auto_increment_increment),
    SESS_F(THL_SESS_AUTO_INC, SESS_UINT, auto_increment_offset),
    SESS_F(THL_SESS_FLAGS2, SESS_UINT, flags2),
    SESS_F(THL_SESS_INSERT_ID, SESS_UINT, insert_id),
    SESS_F(THL_SESS_LAST_INSERT_ID, SESS_UINT, last_insert_id),
    SESS_F(THL_SESS_RAND, SESS_UINT, rand_seed1),
    SESS_F(THL_SESS_RAND, SESS_UINT, rand_seed2),
    SESS_F(THL_SESS_LC_TIME_NAMES, SESS_UINT, lc_time_names),
    SESS_F(THL_SESS_DEFAULT_COLL, SESS_UINT, default_collation),
    SESS_F(THL_SESS_PSEUDO_THREAD, SESS_UINT, pseudo_thread_id),
    SESS_F(THL_SESS_EXPLICIT_TS, SESS_UINT, explicit_defaults_ts),
};

#define SESS_NFIELDS (sizeof(sess_fields) / sizeof(sess_fields[0]))

typedef union sess_word {
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
} sess_word;

#endif
