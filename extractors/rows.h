/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extractors/rows.h - rows events (WRITE/UPDATE/DELETE_ROWS v1 23-25, v2 30-32, MySQL
 * PARTIAL_UPDATE_ROWS 39) decoded into a thl_rows item of a THL event: present-column bitmaps,
 * NULLs, and every value in the representation thl/event.h documents, following the decode plan
 * compiled with the table's ext_table_map. Values are copied into the event's arena; nothing else
 * is allocated per row or per value. Thread-safe as long as each thread decodes into its own event.
 *
 * Value representation (per column type):
 * - TINY..LONGLONG -> INT, or UINT when signedness metadata says unsigned; YEAR -> INT (full year,
 *   0 for 0000); FLOAT/DOUBLE -> FLOAT/DOUBLE; NEWDECIMAL -> DECIMAL text ("-0.50": exactly scale
 *   fraction digits, no leading zeros); BIT -> BIT; ENUM -> ENUM index; SET -> SET bitmap.
 * - DATE -> DATE; TIME/TIME2 -> TIME; DATETIME/DATETIME2 -> DATETIME (zero dates kept);
 *   TIMESTAMP/TIMESTAMP2 -> TIMESTAMP (0.0 = the zero timestamp). Values no server writes (minute
 *   60, month 13, a fraction of 1 s or more) are CORRUPT.
 * - CHAR/VARCHAR -> STRING, or BYTES when the charset is 63 (BINARY, VARBINARY, MariaDB UUID,
 *   INET6, INET4: bytes as logged, trailing zero bytes stripped by the server; thl_column.length
 *   says how far to pad). Without charset metadata these stay STRING with the same bytes.
 * - BLOB/TEXT -> STRING only when the charset is known and not 63, else BYTES (a TEXT cannot be
 *   told from a BLOB without metadata); GEOMETRY (SRID + WKB as logged) and VECTOR -> BYTES.
 * - MySQL JSON -> STRING holding the JSON text (extractors/json_binary.h); MariaDB JSON is a
 *   LONGTEXT. MariaDB compressed columns (140/141) -> decompressed, STRING/BYTES as BLOB/VARCHAR.
 * MariaDB's pre-10.1 "5.3" high-resolution TIME/DATETIME/TIMESTAMP(n) columns log the same
 * type code and metadata (none) as the old zero-precision types, so nothing in the binlog tells
 * them apart: they decode as the old types, which reads the wrong number of bytes (garbage or,
 * usually, a CORRUPT error). */
#ifndef EXT_ROWS_H
#define EXT_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "extractors/table_map.h"
#include "replicator/base/error.h"
#include "thl/event.h"

/**
 * Column flag set on a decoded thl_rows' cols[i].flags when the after image of at least one row
 * holds a MySQL partial JSON update (PARTIAL_UPDATE_ROWS with
 * binlog_row_value_options=PARTIAL_JSON) for column i. Such a value is a STRING expression as
 * mysqlbinlog -v prints it, on one line, e.g. JSON_REPLACE(@3, '$.a', 1): "@N" (N = 1-based column
 * number) stands for the column's value before the update; it begins with "JSON_" (or is exactly
 * "@N" for an empty diff list), which JSON text never does, so full documents in the same column
 * stay distinguishable. See extractors/json_binary.h.
 */
#define EXT_COL_JSON_PARTIAL THL_COL_JSON_DIFF

typedef struct ext_rows_info {
    uint64_t table_id;
    uint16_t flags; /* EXT_ROWS_*_F */
    thl_row_action action;
    int version; /* 1 or 2 */
    int partial; /* PARTIAL_UPDATE_ROWS */
} ext_rows_info;

/**
 * Read a rows event's post-header: table id, flags, action and version.
 * @param event_type      23-25, 30-32 or 39 (the caller maps MariaDB compressed types to these)
 * @param body            event bytes after the common header, checksum removed, decompressed
 * @param post_header_len the FDE's post-header length for event_type (6: 4-byte table id)
 * @return REPL_OK, REPL_ERR_INVALID for a type that is not a rows event, REPL_ERR_CORRUPT when
 *         truncated.
 */
int ext_rows_peek(ext_rows_info *out, int event_type, const uint8_t *body, size_t len,
                  unsigned post_header_len, repl_error *err);

/**
 * Decode every row of a rows event into a new rows item of ev (thl_event_add_rows +
 * thl_rows_add_row). The item gets map's schema, table and column specs (copied into ev's arena),
 * before_present / after_present from the event's column bitmaps (bits past ncols cleared), and per
 * row the values of present columns (THL_VAL_NULL for SQL NULL); columns absent from an image are
 * left THL_VAL_NULL with their present bit cleared. For UPDATE, before_present comes from the first
 * bitmap and after_present from the second.
 * @param out receives the new item (valid as long as ev); NULL on error
 * @param map the TABLE_MAP with the event's table id
 * @return REPL_OK; REPL_ERR_CORRUPT for truncation, bad values, a column count or table id that
 * does not match map, with a message like "rows: `db`.`t` column 3 `c` (type 18 DATETIME2):
 *         truncated value at row 2" (columns and rows counted from 1); REPL_ERR_INVALID for an
 *         event type that is not a rows event. On error the partly filled item stays in ev: discard
 *         or reset the event.
 */
int ext_rows_decode(thl_rows **out, thl_event *ev, const ext_table_map *map, int event_type,
                    const uint8_t *body, size_t len, unsigned post_header_len, repl_error *err);

#endif
