/* SPDX-License-Identifier: GPL-2.0-or-later */
/* thl/print.h - human and JSON renderings of THL values and events, shared by the thl tool,
 * trep-binlog and trepctl. Text goes into a repl_buf (the caller decides where it is written); JSON
 * is built with jansson (link PkgConfig::JANSSON). Pure functions of their input; thread-safe.
 * Values are rendered unambiguously by kind: strings quoted with escapes, binary data as X'hex',
 * NULL as NULL, temporal values like MySQL prints them (TIMESTAMP in UTC), decimals as their exact
 * text. */
#ifndef THL_PRINT_H
#define THL_PRINT_H

#include <jansson.h>
#include <stdint.h>

#include "replicator/base/buf.h"
#include "thl/event.h"

/** Name of a value kind ("INT", "STRING", ...); "?" when unknown. */
const char *thl_print_kind_name(int kind);
/** Name of a row action ("INSERT", "UPDATE", "DELETE"); "?" when unknown. */
const char *thl_print_action_name(int action);

/** Append v as text: NULL, -12, 18446744073709551615, 1.5, NaN, -0, '-12.30' (DECIMAL unquoted:
 * -12.30), 'it\'s\n', X'00FF', b'101', 2 ('b') for ENUM, 0x5 ('a,c') for SET, '2024-02-29',
 * '-838:59:59.999999', '2024-02-29 23:59:59.5', TIMESTAMP as a UTC datetime ('0000-00-00 00:00:00'
 * for the zero timestamp). Bytes that are not valid UTF-8 and control characters are escaped as
 * \xHH. col (may be NULL) gives ENUM/SET member names and the fractional digits (scale) of
 * temporals; without it fractions print as 6 digits when not zero. */
void thl_print_value(repl_buf *out, const thl_value *v, const thl_column *col);

/** Append bytes as a quoted SQL-style string literal with escapes ('...'). */
void thl_print_quoted(repl_buf *out, const uint8_t *p, size_t len);

/** Append µs since the epoch as ISO-8601 UTC with microseconds: 2024-02-29T23:59:59.000123Z. */
void thl_print_tstamp(repl_buf *out, int64_t us);

/** Append the session state that is set, as "name=value" words separated by spaces. */
void thl_print_session(repl_buf *out, const thl_session *s);

/** Append the multi-line human rendering of ev: header fields (seqno, fragno, last_frag, epoch,
 * timestamps, ids, flags, metadata), then each statement (schema, session, user variables, SQL) and
 * each row change (schema.table, action, per row the before (key) and after images as
 * "name = value" lines; absent columns are not shown). Ends with a newline. */
void thl_print_event(repl_buf *out, const thl_event *ev);

/** New JSON rendering of v (caller owns the reference): null; integers (unsigned values above
 * INT64_MAX as decimal strings); reals (NaN/Infinity as strings); DECIMAL, temporal values and
 * valid UTF-8 strings as strings; BYTES and non-UTF-8 strings as {"hex": "00ff"}. */
json_t *thl_print_value_json(const thl_value *v, const thl_column *col);

/** New JSON object with every field of ev: seqno, fragno, last_frag, flags, epoch, timestamps (µs
 * and ISO text), ids, metadata, items (statements with full session and user variables; row changes
 * with column specs, present bitmaps as column index lists and row images as lists of
 * {"index","name","kind","value"} for present columns). Caller owns the reference. */
json_t *thl_print_event_json(const thl_event *ev);

#endif
