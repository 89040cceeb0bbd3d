/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extractors/binlog.h - trep's binlog event reader and decoder. Two layers:
 *  - raw event sources: ext_binlog_file reads a binlog or relay log file event by event (magic,
 *    bounds-checked framing, offsets); the live dump loop (extractors/source.h) produces the same
 *    ext_raw_event from network packets;
 *  - ext_decoder turns one raw event into an ext_event (extractors/events.h): common header, CRC32
 *    verification as the current FORMAT_DESCRIPTION announces it, decompression (MariaDB zlib
 * events, MySQL zstd TRANSACTION_PAYLOAD streamed event by event), the table map cache for rows
 * events. Errors name the source, the offset and the event type. Formats: docs/binlog-decoder.md.
 * One decoder per stream; not thread-safe. No printing. */
#ifndef EXT_BINLOG_H
#define EXT_BINLOG_H

#include <stddef.h>
#include <stdint.h>

#include "extractors/events.h"
#include "replicator/base/error.h"
#include "thl/event.h"

/** Largest event trep accepts (MySQL/MariaDB max_allowed_packet is at most 1 GiB). */
#define EXT_MAX_EVENT_BYTES ((size_t)1 << 30)

/** One raw event: the bytes from the common header through the checksum, borrowed. */
typedef struct ext_raw_event {
    const uint8_t *data;
    size_t len;
    uint64_t offset;    /* position of data[0] in its binlog file */
    const char *source; /* file path or stream name, for messages */
} ext_raw_event;

/* ---- files ------------------------------------------------------------------------------------
 */

typedef struct ext_binlog_file ext_binlog_file;

/** Open a binlog or relay log file and check its magic. REPL_ERR_IO when it cannot be read,
 * REPL_ERR_CORRUPT when it is not a binlog file. */
int ext_binlog_file_open(ext_binlog_file **out, const char *path, repl_error *err);

/** Read the next event into *raw (bytes valid until the next call or close). Returns 1 for an
 * event, 0 at the end of the file, REPL_ERR_CORRUPT for a truncated or impossible event (the
 * message names the file, the offset and the event type), REPL_ERR_IO for a read error. */
int ext_binlog_file_next(ext_binlog_file *f, ext_raw_event *raw, repl_error *err);

/** Continue reading at offset (a position from a previous pass; the caller decoded the FDE). */
int ext_binlog_file_seek(ext_binlog_file *f, uint64_t offset, repl_error *err);

/** Offset of the next event to read. */
uint64_t ext_binlog_file_offset(const ext_binlog_file *f);

const char *ext_binlog_file_path(const ext_binlog_file *f);

void ext_binlog_file_close(ext_binlog_file *f);

/* ---- decoder ----------------------------------------------------------------------------------
 */

typedef struct ext_decoder ext_decoder;

/** Counters over the decoder's life. */
typedef struct ext_decoder_stats {
    uint64_t events;            /* decoded events, inner events included */
    uint64_t inner_events;      /* events read from TRANSACTION_PAYLOADs */
    uint64_t ignorable_skipped; /* events with LOG_EVENT_IGNORABLE_F (or type IGNORABLE) skipped */
    uint64_t artificial_crc_unchecked; /* artificial events whose checksum was absent or wrong */
    uint64_t crc_verified;             /* events whose CRC32 was checked */
    size_t payload_buffer_max; /* largest buffer held while streaming a TRANSACTION_PAYLOAD */
} ext_decoder_stats;

/** A new decoder for one stream of events (one or several files in order). Aborts on OOM. */
ext_decoder *ext_decoder_new(void);
void ext_decoder_free(ext_decoder *dec);

/** Forget the format and tables (a new, unrelated stream begins). */
void ext_decoder_reset(ext_decoder *dec);

/** Decode one raw event. On success *out points to the decoded event, valid until the next
 * ext_decoder_decode (or ext_decoder_reset/_free); raw->data must stay valid as long (the event
 * points into it), and also while the inner events of a TRANSACTION_PAYLOAD are read. Errors:
 * REPL_ERR_CORRUPT (bad checksum, truncated or malformed body, unknown non-ignorable type, rows for
 * an unknown table_id), REPL_ERR_INVALID (a format trep does not decode: encrypted binlog,
 * START_V3, pre-GA rows, 4.x LOAD DATA). The message names raw->source, raw->offset and the type.
 */
int ext_decoder_decode(ext_decoder *dec, const ext_raw_event *raw, const ext_event **out,
                       repl_error *err);

/** After a TRANSACTION_PAYLOAD event: the next inner event (1), or 0 when all were read. Inner
 * events are decoded like top-level ones but carry no checksum; they are streamed through zstd,
 * holding one event at a time. *out is valid until the next call of either function. */
int ext_decoder_next_inner(ext_decoder *dec, const ext_event **out, repl_error *err);

/** Decode the rows of a rows event into target's arena (extractors/rows.h): *out is a rows item
 * appended to target. Call before the next ext_decoder_decode. Dummy rows events give *out NULL. */
int ext_decoder_rows(ext_decoder *dec, const ext_event *ev, thl_event *target, thl_rows **out,
                     repl_error *err);

/** The current FORMAT_DESCRIPTION, or NULL before the first one. */
const ext_fde *ext_decoder_fde(const ext_decoder *dec);

/** Tell the decoder whether events before the first FDE carry a CRC32 (the dump loop knows it from
 * @master_binlog_checksum); by default it is guessed from the bytes. */
void ext_decoder_set_initial_checksum(ext_decoder *dec, int checksum_alg);

const ext_decoder_stats *ext_decoder_stats_get(const ext_decoder *dec);

/** Number of TABLE_MAPs currently cached (tests and diagnostics). */
size_t ext_decoder_table_count(const ext_decoder *dec);

#endif
