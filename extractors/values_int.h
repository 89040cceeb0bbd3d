/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extractors/values_int.h - private to the row decoder (table_map.c, rows.c, values.c,
 * json_binary.c): the per-column decode plan compiled once per TABLE_MAP, the per-type value
 * decoders that follow it, and the exact helpers for MySQL's packed DECIMAL and packed temporal
 * formats that the JSON decoder shares. Byte formats: MariaDB sql/log_event_client.cc
 * (log_event_print_value), sql/compat56.cc, sql/field_comp.cc; MySQL sql-common/json_binary.cc. No
 * allocation except into the event arena. */
#ifndef EXT_VALUES_INT_H
#define EXT_VALUES_INT_H

#include <stddef.h>
#include <stdint.h>

#include <zlib.h>

#include "replicator/base/buf.h"
#include "replicator/base/rd.h"
#include "thl/event.h"

/** How one column's value is laid out in a row image (chosen once per TABLE_MAP). */
typedef enum ext_dec_kind {
    EXT_DEC_UNSUPPORTED = 0, /* old DECIMAL, NULL, TYPED_ARRAY: any non-NULL value is an error */
    EXT_DEC_INT,             /* width bytes LE, signed or unsigned */
    EXT_DEC_YEAR,            /* 1 byte: 0 = 0000, else 1900 + v */
    EXT_DEC_FLOAT,
    EXT_DEC_DOUBLE,
    EXT_DEC_DECIMAL,       /* bin_size bytes of MySQL packed decimal */
    EXT_DEC_BIT,           /* width bytes BE */
    EXT_DEC_ENUM,          /* width (1, 2) bytes LE index */
    EXT_DEC_SET,           /* width (1..8) bytes LE bitmap */
    EXT_DEC_DATE,          /* 3 bytes LE: day | month << 5 | year << 9 */
    EXT_DEC_TIME_OLD,      /* 3 bytes LE signed HHMMSS */
    EXT_DEC_TIME2,         /* 3 + (fsp+1)/2 bytes BE, compat56 */
    EXT_DEC_DATETIME_OLD,  /* 8 bytes LE YYYYMMDDhhmmss */
    EXT_DEC_DATETIME2,     /* 5 + (fsp+1)/2 bytes BE, compat56 */
    EXT_DEC_TIMESTAMP_OLD, /* 4 bytes LE seconds */
    EXT_DEC_TIMESTAMP2,    /* 4 bytes BE seconds + (fsp+1)/2 bytes BE fraction */
    EXT_DEC_STRING,        /* width (1, 2) bytes LE length + bytes: CHAR, VARCHAR */
    EXT_DEC_BLOB,          /* width (1..4) bytes LE length + bytes: BLOB, TEXT, GEOMETRY, VECTOR */
    EXT_DEC_JSON,          /* width bytes LE length + MySQL binary JSON */
    EXT_DEC_COMPRESSED     /* width bytes LE length + MariaDB compressed column payload */
} ext_dec_kind;

/** The compiled decode plan of one column. */
typedef struct ext_col_plan {
    uint8_t kind;        /* ext_dec_kind */
    uint8_t width;       /* fixed value bytes, or length-prefix bytes */
    uint8_t out_kind;    /* thl_value_kind for STRING/BLOB/COMPRESSED: STRING or BYTES */
    uint8_t is_unsigned; /* EXT_DEC_INT */
    uint8_t precision;   /* EXT_DEC_DECIMAL */
    uint8_t scale;       /* decimal scale or temporal fsp */
    uint16_t bin_size;   /* EXT_DEC_DECIMAL bytes; temporal bytes */
    uint32_t max_len;    /* EXT_DEC_COMPRESSED: the longest original value the column holds */
} ext_col_plan;

/** Scratch state for decoding the values of one rows event (one thread). */
typedef struct ext_val_ctx {
    thl_event *ev;    /* values are copied into its arena */
    repl_buf scratch; /* JSON text; grown on first use, reused for every JSON value */
    z_stream zs;      /* inflate state for compressed columns; set up on first use */
    int zs_ready;
    char reason[384]; /* why the last decode failed ("truncated value", ...) */
} ext_val_ctx;

void ext_val_ctx_init(ext_val_ctx *ctx, thl_event *ev);
void ext_val_ctx_dispose(ext_val_ctx *ctx);

/** Decode one non-NULL value following plan; REPL_OK, or REPL_ERR_CORRUPT with ctx->reason set. */
int ext_value_decode(const ext_col_plan *plan, repl_rd *rd, thl_value *out, ext_val_ctx *ctx);

/** Build col's plan from its (real) type and meta; returns REPL_OK or REPL_ERR_CORRUPT with reason.
 */
int ext_plan_compile(ext_col_plan *plan, const thl_column *col, char *reason, size_t reason_len);

/** Short upper-case name of a binlog column type code ("DATETIME2", ...). */
const char *ext_col_type_name(unsigned type);

/* ---- exact helpers shared with json_binary.c ---- */

/** Longest decimal text: sign, 65 digits, point, NUL. */
#define EXT_DECIMAL_TEXT_MAX 72

/** Bytes of a packed DECIMAL(precision, scale). */
size_t ext_decimal_bin_size(unsigned precision, unsigned scale);

/** Packed DECIMAL to text with exactly scale fraction digits; returns its length, or -1 when a
 * digit group is out of range. bin must hold ext_decimal_bin_size(precision, scale) bytes; out at
 * least EXT_DECIMAL_TEXT_MAX bytes (NUL-terminated). */
int ext_decimal_to_text(char *out, const uint8_t *bin, unsigned precision, unsigned scale);

/** MySQL's in-memory packed TIME / DATETIME (int part << 24 | usec) to fields (compat56.cc). */
void ext_time_from_packed(thl_temporal *t, int64_t packed);
void ext_datetime_from_packed(thl_temporal *t, int64_t packed);

#endif
