/* SPDX-License-Identifier: GPL-2.0-or-later */
/* thl/record.h - encode and decode one THL record: a fixed header (filterable without decoding),
 * the event payload (zstd-compressed above a threshold) and a CRC32C over both. The byte layout is
 * in docs/thl-format.md. Pure functions, no LMDB, no network; safe from any thread. Records travel
 * byte-for-byte from the master's THL to the slave's, so their bytes are the unit of replication.
 */
#ifndef THL_RECORD_H
#define THL_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "replicator/base/buf.h"
#include "replicator/base/error.h"
#include "thl/event.h"

#define THL_RECORD_VERSION 1
#define THL_RECORD_MAX_BYTES \
    (256u * 1024 * 1024) /* hard bound on one record (header+payload+crc) */

typedef enum thl_codec {
    THL_CODEC_NONE = 0,
    THL_CODEC_ZSTD = 1
} thl_codec;

/** The fixed header, as parsed from a record. String fields point into the record bytes (not
 * NUL-terminated) and live as long as those bytes. */
typedef struct thl_record_header {
    uint8_t version;
    uint8_t flags; /* THL_EV_* */
    uint8_t codec; /* thl_codec */
    uint16_t fragno;
    uint64_t seqno;
    uint64_t epoch;
    int64_t source_tstamp_us;
    int64_t extract_tstamp_us;
    uint32_t payload_len; /* stored (possibly compressed) payload bytes */
    uint32_t raw_len;     /* payload bytes once decompressed */
    const char *shard_id;
    uint16_t shard_len;
    const char *event_id;
    uint16_t event_id_len;
    size_t header_len; /* bytes before the payload */
} thl_record_header;

typedef struct thl_codec_options {
    size_t compress_min_bytes; /* payloads at least this long are zstd-compressed; 0 = never */
    int zstd_level;
} thl_codec_options;

/** Defaults: compress payloads of 512 bytes or more, zstd level 1. */
void thl_codec_options_init(thl_codec_options *opts);

/** Append the record for ev to out (out is not cleared). Fails with REPL_ERR_INVALID if an id is
 * longer than THL_ID_MAX or the record would exceed THL_RECORD_MAX_BYTES. */
int thl_record_encode(repl_buf *out, const thl_event *ev, const thl_codec_options *opts,
                      repl_error *err);

/** Parse and check a record's header and CRC32C without decoding its payload. REPL_ERR_CORRUPT
 * names the seqno when the header is readable ("thl: record seqno=12 fragno=0: CRC mismatch ...").
 */
int thl_record_parse_header(thl_record_header *out, const uint8_t *rec, size_t len,
                            repl_error *err);

/** Decode a whole record (header checks, CRC, decompression, payload) into a new event owned by the
 * caller (thl_event_free). REPL_ERR_CORRUPT on any inconsistency. */
int thl_record_decode(thl_event **out, const uint8_t *rec, size_t len, repl_error *err);

#endif
