/* SPDX-License-Identifier: GPL-2.0-or-later */
/* thl/event.h - the transaction event model (DESIGN.md section 2): one source transaction (or one
 * fragment of a large one) as an ordered list of items, statements and row changes, with
 * full-fidelity values. An event owns an arena; every string, value and array reachable from it
 * lives there and is released by thl_event_free. Builders below copy their inputs into the arena.
 * Not thread-safe: one owner at a time; events cross stages only through the THL. Knows nothing
 * about encoding, LMDB or MySQL. */
#ifndef THL_EVENT_H
#define THL_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "replicator/base/mem.h"

/* ---- values ---------------------------------------------------------------------------------- */

/** How a value is represented; the column's SQL type is in thl_column. */
typedef enum thl_value_kind {
    THL_VAL_NULL = 0,
    THL_VAL_INT = 1,    /* i: signed 64-bit (TINYINT..BIGINT signed, YEAR) */
    THL_VAL_UINT = 2,   /* u: unsigned 64-bit (unsigned integers) */
    THL_VAL_FLOAT = 3,  /* f: IEEE single */
    THL_VAL_DOUBLE = 4, /* d: IEEE double */
    THL_VAL_DECIMAL =
        5, /* bytes: exact decimal as ASCII text, e.g. "-12.3400" (scale digits kept) */
    THL_VAL_STRING =
        6,             /* bytes: character data in the column charset (CHAR, VARCHAR, TEXT, JSON) */
    THL_VAL_BYTES = 7, /* bytes: binary data (BINARY, VARBINARY, BLOB, GEOMETRY, UUID, INET6) */
    THL_VAL_BIT = 8,   /* u: BIT(n) value, low n bits */
    THL_VAL_ENUM = 9,  /* u: 1-based ENUM index, 0 = '' */
    THL_VAL_SET = 10,  /* u: SET member bitmap */
    THL_VAL_DATE = 11, /* t: year, month, day (zero dates allowed) */
    THL_VAL_TIME = 12, /* t: neg, hour (may exceed 24), minute, second, usec */
    THL_VAL_DATETIME = 13, /* t: date + time of day + usec (no time zone) */
    THL_VAL_TIMESTAMP =
        14 /* ts: seconds since the epoch (UTC) + usec; sec 0 usec 0 = zero timestamp */
} thl_value_kind;

typedef struct thl_temporal {
    uint8_t neg; /* TIME only */
    uint16_t year;
    uint8_t month;
    uint8_t day;
    uint32_t hour; /* TIME may exceed 24 (up to 838) */
    uint8_t minute;
    uint8_t second;
    uint32_t usec;
} thl_temporal;

typedef struct thl_value {
    uint8_t kind; /* thl_value_kind */
    union {
        int64_t i;
        uint64_t u;
        float f;
        double d;
        struct {
            const uint8_t *ptr; /* arena-owned; may be NULL when len == 0 */
            size_t len;
        } bytes;
        thl_temporal t;
        struct {
            int64_t sec;
            uint32_t usec;
        } ts;
    } v;
} thl_value;

/* ---- row changes ----------------------------------------------------------------------------- */

typedef enum thl_row_action {
    THL_ROW_INSERT = 1,
    THL_ROW_UPDATE = 2,
    THL_ROW_DELETE = 3
} thl_row_action;

/** Column flags. */
#define THL_COL_UNSIGNED  0x01u
#define THL_COL_NULLABLE  0x02u
#define THL_COL_PK        0x04u /* part of the primary key (from optional metadata) */
#define THL_COL_BINARY    0x08u /* binary collation/charset 63: compare as bytes */
#define THL_COL_INVISIBLE 0x10u /* MySQL invisible column */
#define THL_COL_JSON_DIFF \
    0x20u /* MySQL partial JSON update: the value is a JSON_SET/... expression over @N */

/** One column of a row change: what the TABLE_MAP said about it. */
typedef struct thl_column {
    const char *name; /* NUL-terminated; "" when the source logged no names (NULL never) */
    uint8_t type;     /* binlog column type (MYSQL_TYPE_* value, real type for STRING/ENUM/SET) */
    uint16_t meta;    /* binlog metadata for the type, as decoded from TABLE_MAP */
    uint32_t length;  /* declared length in bytes for CHAR/BINARY/VARCHAR, precision for DECIMAL */
    uint8_t scale;    /* DECIMAL scale, temporal fractional digits */
    uint16_t charset; /* collation id; 63 = binary; 0 = unknown */
    uint8_t flags;    /* THL_COL_* */
    /* ENUM/SET member names, when the source logged them (binlog_row_metadata=FULL) */
    uint32_t n_members;
    const char *const *members; /* NUL-terminated strings */
} thl_column;

/** One changed row. Images hold ncols values each (NULL for columns not present: see bitmaps). */
typedef struct thl_row {
    thl_value *before; /* key image: UPDATE and DELETE; NULL for INSERT */
    thl_value *after;  /* value image: INSERT and UPDATE; NULL for DELETE */
} thl_row;

/** Rows flags (from the binlog rows event). */
#define THL_ROWS_NO_FK_CHECKS     0x01u /* foreign_key_checks=0 on the source */
#define THL_ROWS_NO_UNIQUE_CHECKS 0x02u /* unique_checks=0 on the source */

typedef struct thl_rows {
    const char *schema;
    const char *table;
    uint8_t action; /* thl_row_action */
    uint8_t flags;  /* THL_ROWS_*: the source session's checks when it wrote these rows */
    uint32_t ncols;
    thl_column *cols;
    /* present-column bitmaps, (ncols+7)/8 bytes, bit i = column i is in that image;
     * before_present for UPDATE/DELETE, after_present for INSERT/UPDATE (NULL when unused) */
    uint8_t *before_present;
    uint8_t *after_present;
    uint32_t nrows;
    thl_row *rows;
    uint32_t rows_cap; /* builder bookkeeping */
} thl_rows;

/* ---- statements ------------------------------------------------------------------------------ */

typedef struct thl_user_var {
    const char *name;
    thl_value value; /* NULL, INT/UINT, DOUBLE, DECIMAL (text), STRING (bytes) */
    uint16_t charset;
} thl_user_var;

/** Flags telling which optional session fields are set. */
#define THL_SESS_SQL_MODE       0x0001u
#define THL_SESS_CHARSET        0x0002u
#define THL_SESS_TIME_ZONE      0x0004u
#define THL_SESS_TIMESTAMP      0x0008u
#define THL_SESS_AUTO_INC       0x0010u
#define THL_SESS_FLAGS2         0x0020u
#define THL_SESS_INSERT_ID      0x0040u
#define THL_SESS_LAST_INSERT_ID 0x0080u
#define THL_SESS_RAND           0x0100u
#define THL_SESS_LC_TIME_NAMES  0x0200u
#define THL_SESS_DEFAULT_COLL   0x0400u
#define THL_SESS_PSEUDO_THREAD  0x0800u
#define THL_SESS_EXPLICIT_TS    0x1000u

/* flags2 bits (QUERY status var Q_FLAGS2_CODE) */
#define THL_FLAGS2_AUTO_IS_NULL       0x00004000u
#define THL_FLAGS2_NOT_AUTOCOMMIT     0x00080000u
#define THL_FLAGS2_NO_FOREIGN_KEY_CHK 0x04000000u
#define THL_FLAGS2_RELAXED_UNIQUE_CHK 0x08000000u

/** Session state a statement needs to replay exactly as on the source. */
typedef struct thl_session {
    uint32_t set; /* THL_SESS_* */
    uint64_t sql_mode;
    uint32_t flags2;
    uint16_t charset_client;
    uint16_t collation_connection;
    uint16_t collation_server;
    uint16_t default_collation; /* collation_database / default for utf8mb4 */
    const char *time_zone;      /* e.g. "SYSTEM", "+00:00" */
    int64_t timestamp_sec;      /* statement start time on the source */
    uint32_t timestamp_usec;
    uint16_t auto_increment_increment;
    uint16_t auto_increment_offset;
    uint64_t insert_id;
    uint64_t last_insert_id;
    uint64_t rand_seed1;
    uint64_t rand_seed2;
    uint16_t lc_time_names;
    uint32_t pseudo_thread_id;
    uint8_t explicit_defaults_ts;
    uint32_t n_user_vars;
    thl_user_var *user_vars;
} thl_session;

typedef struct thl_statement {
    const char *schema; /* default database ("" if none) */
    const uint8_t *sql; /* statement bytes in the client charset, not NUL-terminated */
    size_t sql_len;
    uint16_t
        error_code; /* error the statement raised on the source (non-transactional side effects) */
    thl_session session;
} thl_statement;

/* ---- items and events ------------------------------------------------------------------------ */

typedef enum thl_item_kind {
    THL_ITEM_STATEMENT = 1,
    THL_ITEM_ROWS = 2
} thl_item_kind;

typedef struct thl_item {
    uint8_t kind; /* thl_item_kind */
    union {
        thl_statement stmt;
        thl_rows rows;
    } u;
} thl_item;

typedef struct thl_meta {
    const char *key;
    const char *value;
} thl_meta;

/** Event flags (also in the record header). */
#define THL_EV_LAST_FRAG 0x01u /* the last (or only) fragment of its transaction */
#define THL_EV_HEARTBEAT 0x02u /* a heartbeat event */
#define THL_EV_UNSAFE    0x04u /* ends a block commit: DDL, non-transactional, ... */
#define THL_EV_ROLLBACK \
    0x08u /* the source rolled the transaction back (kept for its side effects) */
#define THL_EV_DDL 0x10u

/** The maximum length of shard_id and event_id strings. */
#define THL_ID_MAX 1024

typedef struct thl_event {
    uint64_t seqno;
    uint16_t fragno;
    uint8_t flags; /* THL_EV_* */
    uint64_t epoch;
    int64_t source_tstamp_us;  /* commit time on the source, µs since the epoch */
    int64_t extract_tstamp_us; /* time extracted */
    const char *source_id;     /* master name */
    const char *event_id;      /* "binlog-file:offset" of the transaction end, plus ";gtid=D-S-N" */
    const char *shard_id;      /* schema, or "#UNKNOWN" */
    uint32_t n_meta;
    thl_meta *meta;
    uint32_t n_items;
    thl_item *items;
    /* private to the builders */
    uint32_t meta_cap;
    uint32_t items_cap;
    repl_arena *arena;
} thl_event;

/** New empty event with its own arena; strings start as "". Aborts on OOM. */
thl_event *thl_event_new(void);
/** Like thl_event_new with arena chunks of arena_chunk_bytes (a hint: a decoder that knows the
 * payload size avoids growing the arena chunk by chunk). Aborts on OOM. */
thl_event *thl_event_new_sized(size_t arena_chunk_bytes);
void thl_event_free(thl_event *ev);
/** Empty the event for reuse (keeps the arena's first chunk). */
void thl_event_reset(thl_event *ev);

/** Copy s into the event's arena (NUL-terminated); NULL becomes "". */
const char *thl_event_strdup(thl_event *ev, const char *s);
const char *thl_event_strndup(thl_event *ev, const char *s, size_t len);
void thl_event_set_ids(thl_event *ev, const char *source_id, const char *event_id,
                       const char *shard_id);
/** Add (or replace) a metadata key. */
void thl_event_set_meta(thl_event *ev, const char *key, const char *value);
/** Borrowed value for key, or NULL. */
const char *thl_event_get_meta(const thl_event *ev, const char *key);

/** Append a statement item; returns it for the caller to fill (sql and strings must be arena
 * copies: use thl_event_strdup / thl_event_memdup). The pointer is valid until the next
 * thl_event_add_* (the item array may move). */
thl_statement *thl_event_add_statement(thl_event *ev);
/** Append a rows item for schema.table with ncols columns (zeroed, names ""); bitmaps allocated and
 * set to all-present for the images the action uses. The pointer is valid until the next
 * thl_event_add_* (the item array may move). */
thl_rows *thl_event_add_rows(thl_event *ev, const char *schema, const char *table,
                             thl_row_action action, uint32_t ncols);
/** Append one row to rows: returns it with arena-allocated images of ncols NULL values. */
thl_row *thl_rows_add_row(thl_event *ev, thl_rows *rows);
void *thl_event_memdup(thl_event *ev, const void *src, size_t len);
void *thl_event_alloc(thl_event *ev, size_t len);
/** Bytes the event holds in its arena (memory accounting for fragmentation). */
size_t thl_event_mem_bytes(const thl_event *ev);

/** Value helpers: a bytes value whose data is copied into ev's arena. */
void thl_value_set_bytes(thl_event *ev, thl_value *val, thl_value_kind kind, const void *data,
                         size_t len);
/** Exact equality of two values (kind and content). */
int thl_value_equal(const thl_value *a, const thl_value *b);

static inline int thl_bit_get(const uint8_t *bitmap, uint32_t i)
{
    return (bitmap[i >> 3] >> (i & 7)) & 1;
}

static inline void thl_bit_set(uint8_t *bitmap, uint32_t i, int on)
{
    if (on)
        bitmap[i >> 3] |= (uint8_t)(1u << (i & 7));
    else
        bitmap[i >> 3] &= (uint8_t) ~(1u << (i & 7));
}

#endif
