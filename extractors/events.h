/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extractors/events.h - decoded binlog events: one struct per event type (MySQL 5.0-9.x and MariaDB
 * 10.x), filled by the decoder of extractors/binlog.h. An ext_event holds the common header, the
 * body (without checksum, decompressed) and a union of the decoded fields. Strings are
 * NUL-terminated copies in the decoder's per-event arena; SQL text and data blocks point into the
 * body. Everything is borrowed from the decoder and lives until the next decode call (see
 * ext_decoder_decode). Rows values are not decoded here: extractors/rows.h does that on demand
 * (ext_decoder_rows). No I/O. */
#ifndef EXT_EVENTS_H
#define EXT_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "extractors/binlog_types.h"

/* The TABLE_MAP decoder's result (extractors/table_map.h); the event only borrows it. */
typedef struct ext_table_map ext_table_map;

/* ---- common -----------------------------------------------------------------------------------
 */

/** Common header flags (LOG_EVENT_*_F) besides the two in binlog_types.h. */
#define EXT_LOG_EVENT_BINLOG_IN_USE_F    0x0001
#define EXT_LOG_EVENT_THREAD_SPECIFIC_F  0x0004
#define EXT_LOG_EVENT_SUPPRESS_USE_F     0x0008
#define EXT_LOG_EVENT_UPDATE_TABLE_MAP_F 0x0010
#define EXT_LOG_EVENT_RELAY_LOG_F        0x0040
#define EXT_LOG_EVENT_NO_FILTER_F        0x0100
#define EXT_LOG_EVENT_MTS_ISOLATE_F      0x0200
#define EXT_LOG_EVENT_SKIP_REPLICATION_F 0x8000 /* MariaDB */
#define EXT_CHECKSUM_LEN                 4

/** A byte range inside an event body (or the decoder's decompression buffer); not NUL-terminated.
 */
typedef struct ext_bytes {
    const uint8_t *ptr;
    size_t len;
} ext_bytes;

/** One MariaDB GTID domain-server-seq. */
typedef struct ext_gtid_pos {
    uint32_t domain_id;
    uint32_t server_id;
    uint64_t seq_no;
} ext_gtid_pos;

/* ---- FORMAT_DESCRIPTION (15) ----------------------------------------------------------------- */

typedef struct ext_fde {
    uint16_t binlog_version; /* 4 for every server since 5.0 */
    char server_version[51]; /* NUL-terminated */
    uint8_t version[3];      /* X.Y.Z from server_version */
    uint8_t is_mariadb;      /* "MariaDB" or "-maria-" after the version number */
    uint32_t created;        /* creation time, 0 unless the server started a new file at startup */
    uint8_t header_len;      /* common header length of the following events (19) */
    uint16_t n_post_header;  /* entries of post_header_len given by the server */
    uint8_t post_header_len[256]; /* indexed by type - 1; missing entries hold our defaults */
    uint8_t checksum_alg;   /* EXT_CHECKSUM_OFF / _CRC32, _UNDEF for servers without checksums */
    uint8_t permuted_types; /* a MySQL 5.1/5.2 "-a_drop" development server that numbered
                             * types 16-22 differently; the decoder renumbers them */
} ext_fde;

/* ---- QUERY (2), QUERY_COMPRESSED (165), EXECUTE_LOAD_QUERY (18) ------------------------------ */

/** Status variable codes (MySQL Query_event::Query_event_status_vars, MariaDB 128+). */
enum ext_qvar_code {
    EXT_Q_FLAGS2 = 0,
    EXT_Q_SQL_MODE = 1,
    EXT_Q_CATALOG = 2, /* 5.0.0-5.0.3: length, string, NUL */
    EXT_Q_AUTO_INCREMENT = 3,
    EXT_Q_CHARSET = 4,
    EXT_Q_TIME_ZONE = 5,
    EXT_Q_CATALOG_NZ = 6,
    EXT_Q_LC_TIME_NAMES = 7,
    EXT_Q_CHARSET_DATABASE = 8,
    EXT_Q_TABLE_MAP_FOR_UPDATE = 9,
    EXT_Q_MASTER_DATA_WRITTEN = 10,
    EXT_Q_INVOKER = 11,
    EXT_Q_UPDATED_DB_NAMES = 12,
    EXT_Q_MICROSECONDS = 13,
    EXT_Q_COMMIT_TS = 14,  /* MySQL 5.7.2 milestone: 8-byte commit sequence number */
    EXT_Q_COMMIT_TS2 = 15, /* reserved, never written with a published layout: an error */
    EXT_Q_EXPLICIT_DEFAULTS_FOR_TIMESTAMP = 16,
    EXT_Q_DDL_LOGGED_WITH_XID = 17,
    EXT_Q_DEFAULT_COLLATION_FOR_UTF8MB4 = 18,
    EXT_Q_SQL_REQUIRE_PRIMARY_KEY = 19,
    EXT_Q_DEFAULT_TABLE_ENCRYPTION = 20,
    EXT_Q_ENABLE_CASCADE_TRIGGERS = 21,  /* MySQL 9.x */
    EXT_Q_HRNOW = 128,                   /* MariaDB: microseconds of the statement time */
    EXT_Q_XID = 129,                     /* MariaDB: xid of a DDL */
    EXT_Q_GTID_FLAGS3 = 130,             /* MariaDB: GTID flags_extra (+ sa_seq_no for ALTER) */
    EXT_Q_CHARACTER_SET_COLLATIONS = 131 /* MariaDB 11.2+: @@character_set_collations */
};

/** Bit of ext_query_status.present for a status variable code (codes 128-131 map to bits 32-35). */
static inline uint64_t ext_qvar_bit(unsigned code)
{
    return code >= 128 ? (uint64_t)1 << (code - 128 + 32) : (uint64_t)1 << code;
}

#define EXT_QUERY_MAX_DBS      16  /* MAX_DBS_IN_EVENT_MTS */
#define EXT_QUERY_OVER_MAX_DBS 254 /* OVER_MAX_DBS_IN_EVENT_MTS: names not logged */

typedef struct ext_query_status {
    uint64_t present; /* ext_qvar_bit(code) for every status variable the event carried */
    uint32_t flags2;  /* THL_FLAGS2_* bits */
    uint64_t sql_mode;
    const char *catalog;
    uint16_t auto_increment_increment;
    uint16_t auto_increment_offset;
    uint16_t charset_client;
    uint16_t collation_connection;
    uint16_t collation_server;
    const char *time_zone;
    uint16_t lc_time_names;
    uint16_t charset_database;
    uint64_t table_map_for_update;
    uint32_t master_data_written;
    const char *invoker_user;
    const char *invoker_host;
    uint8_t updated_db_count; /* EXT_QUERY_OVER_MAX_DBS: too many to log */
    const char *updated_dbs[EXT_QUERY_MAX_DBS];
    uint32_t microseconds; /* Q_MICROSECONDS (MySQL) */
    uint64_t commit_seq_no;
    uint8_t explicit_defaults_ts;
    uint64_t ddl_xid;
    uint16_t default_collation_utf8mb4;
    uint8_t sql_require_primary_key;
    uint8_t default_table_encryption;
    uint8_t enable_cascade_triggers;
    uint32_t hrnow_usec; /* Q_HRNOW (MariaDB) */
    uint64_t xid;
    uint8_t gtid_flags_extra;
    uint64_t sa_seq_no;
    uint8_t n_charset_collations;
    const uint8_t *charset_collations; /* n pairs of (charset id u16 LE, collation id u16 LE) */
} ext_query_status;

typedef struct ext_query {
    uint32_t thread_id;
    uint32_t exec_time;
    uint16_t error_code;
    uint16_t status_vars_len;
    const char *db; /* default database, "" if none */
    ext_bytes sql;  /* statement text (decompressed for QUERY_COMPRESSED) */
    ext_query_status st;
    /* EXECUTE_LOAD_QUERY only: the file name sits at sql[fn_pos_start, fn_pos_end) */
    uint32_t file_id;
    uint32_t fn_pos_start;
    uint32_t fn_pos_end;
    uint8_t dup_handling; /* 0 error, 1 ignore, 2 replace */
} ext_query;

/* ---- small statement-context events ---------------------------------------------------------- */

typedef struct ext_rotate {
    uint64_t position;     /* offset of the first event to read in next_file */
    const char *next_file; /* file name (no directory) */
} ext_rotate;

#define EXT_INTVAR_LAST_INSERT_ID 1
#define EXT_INTVAR_INSERT_ID      2

typedef struct ext_intvar {
    uint8_t type; /* EXT_INTVAR_* */
    uint64_t value;
} ext_intvar;

typedef struct ext_rand {
    uint64_t seed1;
    uint64_t seed2;
} ext_rand;

typedef struct ext_xid {
    uint64_t xid;
} ext_xid;

/** USER_VAR value types (Item_result). */
enum ext_uv_type {
    EXT_UV_STRING = 0,
    EXT_UV_REAL = 1,
    EXT_UV_INT = 2,
    EXT_UV_ROW = 3,
    EXT_UV_DECIMAL = 4
};
#define EXT_UV_UNSIGNED_F 0x01

typedef struct ext_user_var {
    const char *name;
    uint8_t is_null;
    uint8_t type;             /* enum ext_uv_type */
    uint32_t charset;         /* collation id of a string value */
    ext_bytes value;          /* raw value bytes */
    uint8_t has_flags;        /* servers since 5.1 log a flags byte */
    uint8_t flags;            /* EXT_UV_UNSIGNED_F */
    int64_t int_value;        /* EXT_UV_INT: read as unsigned when flags has EXT_UV_UNSIGNED_F */
    double real_value;        /* EXT_UV_REAL */
    const char *decimal_text; /* EXT_UV_DECIMAL, e.g. "-123.4500" */
} ext_user_var;

/* ---- LOAD DATA (9, 11, 17; 18 is an ext_query) ----------------------------------------------- */

typedef struct ext_load_block {
    uint32_t file_id;
    ext_bytes block; /* APPEND_BLOCK / BEGIN_LOAD_QUERY data; empty for DELETE_FILE */
} ext_load_block;

/* ---- server events --------------------------------------------------------------------------- */

typedef struct ext_incident {
    uint16_t number; /* 1 = LOST_EVENTS */
    const char *message;
} ext_incident;

typedef struct ext_heartbeat {
    const char *log_file; /* current binlog file of the master */
    uint64_t log_pos;     /* v1: the header's log_pos; v2: the position field */
} ext_heartbeat;

typedef struct ext_text {
    ext_bytes sql; /* ANNOTATE_ROWS (160) and ROWS_QUERY (29) statement text */
} ext_text;

typedef struct ext_checkpoint {
    const char *file; /* BINLOG_CHECKPOINT (161): oldest binlog needed for crash recovery */
} ext_checkpoint;

typedef struct ext_xa_prepare {
    uint8_t one_phase;
    int32_t format_id;
    uint32_t gtrid_len;
    uint32_t bqual_len;
    ext_bytes data; /* gtrid followed by bqual */
} ext_xa_prepare;

/* ---- MariaDB GTID (162) and GTID_LIST (163) -------------------------------------------------- */

/** MariaDB GTID flags_extra bits (Gtid_log_event::FL_*_E1). */
#define EXT_MGTID_FLX_MULTI_ENGINE   0x01
#define EXT_MGTID_FLX_START_ALTER    0x02
#define EXT_MGTID_FLX_COMMIT_ALTER   0x04
#define EXT_MGTID_FLX_ROLLBACK_ALTER 0x08
#define EXT_MGTID_FLX_THREAD_ID      0x10

typedef struct ext_mariadb_gtid {
    ext_gtid_pos gtid;  /* server_id from the event header */
    uint8_t flags2;     /* EXT_MGTID_FL_* */
    uint64_t commit_id; /* EXT_MGTID_FL_GROUP_COMMIT_ID */
    /* XA: EXT_MGTID_FL_PREPARED_XA / _COMPLETED_XA */
    int32_t xa_format_id;
    uint8_t xa_gtrid_len;
    uint8_t xa_bqual_len;
    uint8_t xa_data[128];
    uint8_t flags_extra; /* EXT_MGTID_FLX_* */
    uint8_t extra_engines;
    uint64_t sa_seq_no; /* COMMIT/ROLLBACK ALTER: seq_no of the START ALTER */
    uint32_t thread_id; /* EXT_MGTID_FLX_THREAD_ID */
} ext_mariadb_gtid;

typedef struct ext_gtid_list {
    uint32_t count;
    uint8_t flags; /* top 4 bits of the count word */
    ext_gtid_pos *list;
} ext_gtid_list;

/* ---- MySQL GTID (33, 34, 42) and PREVIOUS_GTIDS (35) ----------------------------------------- */

typedef struct ext_mysql_gtid {
    uint8_t flags; /* 1 = may have SBR statements */
    uint8_t uuid[16];
    char uuid_text[37];
    char tag[33]; /* GTID_TAGGED only; "" otherwise */
    int64_t gno;  /* 0 for ANONYMOUS_GTID */
    uint8_t has_logical_clock;
    int64_t last_committed;
    int64_t sequence_number;
    uint8_t has_commit_ts;
    uint64_t immediate_commit_ts; /* microseconds since the epoch */
    uint64_t original_commit_ts;
    uint8_t has_trx_length;
    uint64_t transaction_length;
    uint8_t has_server_version;
    uint32_t immediate_server_version; /* e.g. 80032 */
    uint32_t original_server_version;
    uint64_t commit_group_ticket;
} ext_mysql_gtid;

typedef struct ext_previous_gtids {
    uint64_t n_sids;
    const char *text; /* "uuid:1-5:7,uuid2:tag:3" */
} ext_previous_gtids;

/* ---- TRANSACTION_PAYLOAD (40) ---------------------------------------------------------------- */

#define EXT_PAYLOAD_ZSTD 0
#define EXT_PAYLOAD_NONE 255

typedef struct ext_payload {
    uint64_t payload_size;
    uint32_t compression_type; /* EXT_PAYLOAD_* */
    uint8_t has_uncompressed_size;
    uint64_t uncompressed_size;
    ext_bytes payload; /* the compressed inner events; read them with ext_decoder_next_inner */
} ext_payload;

/* ---- Group Replication (36, 37): headers only ------------------------------------------------ */

typedef struct ext_trx_context {
    const char *server_uuid;
    uint32_t thread_id;
    uint8_t gtid_specified;
    uint32_t snapshot_version_len;
    uint32_t write_set_len; /* item counts; the sets themselves are skipped */
    uint32_t read_set_len;
} ext_trx_context;

typedef struct ext_view_change {
    char view_id[41];
    uint64_t seq_number;
    uint32_t cert_info_len; /* certification map entries (skipped) */
} ext_view_change;

/* ---- TABLE_MAP (19) and rows events ---------------------------------------------------------- */

typedef struct ext_table_map_event {
    uint64_t table_id;
    const ext_table_map *map; /* owned by the decoder's table cache */
} ext_table_map_event;

typedef struct ext_rows_event {
    int plain_type;     /* 23-25, 30-32 or 39: the type to hand to extractors/rows.h */
    uint8_t compressed; /* decompressed from MariaDB 166-171 */
    uint64_t table_id;
    uint16_t flags;           /* EXT_ROWS_*_F */
    uint8_t action;           /* thl_row_action */
    int version;              /* 1 or 2 */
    uint8_t dummy;            /* a table-less end-of-statement marker: no rows, no map */
    const ext_table_map *map; /* NULL only for dummy events */
} ext_rows_event;

/* ---- the event ------------------------------------------------------------------------------- */

typedef struct ext_event {
    /* common header */
    uint32_t timestamp;
    uint8_t type; /* enum ext_event_type */
    uint32_t server_id;
    uint32_t event_len;
    uint32_t log_pos; /* end_log_pos: offset of the next event in the (master's) file */
    uint16_t flags;   /* LOG_EVENT_*_F */
    /* where it came from */
    uint64_t offset;      /* first byte of the event in its file; an inner event: its payload's */
    const char *source;   /* file path or stream name (borrowed from the raw event) */
    uint8_t inner;        /* from inside a TRANSACTION_PAYLOAD */
    uint32_t inner_index; /* 0-based position inside the payload */
    uint8_t skipped;      /* an ignorable event that was not decoded (counted in the stats) */
    /* checksum */
    uint8_t checksum_alg; /* the algorithm that applied: EXT_CHECKSUM_OFF/_CRC32/_UNDEF */
    uint8_t crc_present;
    uint8_t crc_verified; /* 0 when present but not checked (artificial events) */
    uint32_t crc;
    /* body: after the common header, without checksum, decompressed */
    const uint8_t *body;
    size_t body_len;
    union {
        ext_fde fde;
        ext_query query;
        ext_rotate rotate;
        ext_intvar intvar;
        ext_rand rand;
        ext_xid xid;
        ext_user_var user_var;
        ext_load_block load;
        ext_incident incident;
        ext_heartbeat heartbeat;
        ext_text text;
        ext_checkpoint checkpoint;
        ext_xa_prepare xa_prepare;
        ext_mariadb_gtid mgtid;
        ext_gtid_list gtid_list;
        ext_mysql_gtid gtid;
        ext_previous_gtids prev_gtids;
        ext_payload payload;
        ext_trx_context trx_context;
        ext_view_change view_change;
        ext_table_map_event table_map;
        ext_rows_event rows;
    } u;
} ext_event;

/** MySQL-style name of an event type ("QUERY_EVENT", "WRITE_ROWS_EVENT_V1", ...), "UNKNOWN_EVENT"
 * for codes nobody defined. Static string. */
const char *ext_event_type_name(int type);

/** Whether type is a rows event (v1, v2, partial, MariaDB compressed). */
int ext_event_type_is_rows(int type);

/** The uncompressed rows type of a MariaDB compressed rows type (166-171), else type itself. */
int ext_event_rows_plain_type(int type);

#endif
