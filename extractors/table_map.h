/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extractors/table_map.h - TABLE_MAP events (type 19): the table a following rows event changes,
 * its column types and type metadata, NULL-ability, and the optional metadata MySQL >= 8.0.1 and
 * MariaDB
 * >= 10.5 append (binlog_row_metadata: signedness, charsets, column names, ENUM/SET members,
 * geometry types, primary key, visibility). Parsing also compiles the per-column decode plan the
 * rows decoder (extractors/rows.h) follows, so nothing is worked out again per row. A parsed map
 * owns an arena and is immutable: any number of threads may read it; free it with
 * ext_table_map_free. */
#ifndef EXT_TABLE_MAP_H
#define EXT_TABLE_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "replicator/base/error.h"
#include "replicator/base/mem.h"
#include "thl/event.h"

/** Which server wrote the event: optional metadata differs in two points. MariaDB counts GEOMETRY
 * columns among the character columns of the charset fields and gives YEAR columns a signedness
 * bit; MySQL does neither. */
typedef enum ext_flavor {
    EXT_FLAVOR_UNKNOWN =
        0, /* guess: MariaDB-only or MySQL-only types and fields decide, else MariaDB */
    EXT_FLAVOR_MARIADB = 1,
    EXT_FLAVOR_MYSQL = 2
} ext_flavor;

/** Optional metadata field types (MySQL Table_map_event::Optional_metadata_field_type). */
enum ext_tm_optional {
    EXT_TM_SIGNEDNESS = 1,
    EXT_TM_DEFAULT_CHARSET = 2,
    EXT_TM_COLUMN_CHARSET = 3,
    EXT_TM_COLUMN_NAME = 4,
    EXT_TM_SET_STR_VALUE = 5,
    EXT_TM_ENUM_STR_VALUE = 6,
    EXT_TM_GEOMETRY_TYPE = 7,
    EXT_TM_SIMPLE_PRIMARY_KEY = 8,
    EXT_TM_PRIMARY_KEY_WITH_PREFIX = 9,
    EXT_TM_ENUM_AND_SET_DEFAULT_CHARSET = 10,
    EXT_TM_ENUM_AND_SET_COLUMN_CHARSET = 11,
    EXT_TM_COLUMN_VISIBILITY = 12,
    EXT_TM_VECTOR_DIMENSIONALITY = 13 /* MySQL 9: read and ignored */
};

struct ext_col_plan; /* extractors/values_int.h */

typedef struct ext_table_map {
    uint64_t table_id;
    uint16_t flags;
    const char *schema, *table; /* NUL-terminated */
    uint32_t ncols;
    /* Per column: name ("" if not logged); type = the REAL type (a STRING's metadata resolves it to
     * ENUM (247), SET (248) or STRING (254); MariaDB 140/141 stay as they are); meta as decoded
     * (STRING, ENUM, SET: real_type << 8 | byte1; NEWDECIMAL: precision << 8 | scale; VARCHAR, BIT:
     * LE u16; others: the byte or 0); length: bytes for CHAR/BINARY/VARCHAR (MariaDB UUID 16, INET6
     * 16, INET4 4: an applier right-pads those), max bytes for BLOB/TEXT, precision for DECIMAL,
     * bits for BIT, pack length for ENUM/SET, else 0; scale: DECIMAL scale or fractional-second
     * digits; charset: collation id from optional metadata (0 unknown; 45 for MySQL JSON, whose
     * text is utf8mb4); flags: THL_COL_UNSIGNED (signedness metadata), _NULLABLE, _PK, _BINARY
     * (charset 63), _INVISIBLE; ENUM/SET members when logged. */
    thl_column *cols;
    const uint8_t *binlog_types;           /* ncols raw type bytes as logged */
    int has_signedness, has_names, has_pk; /* which optional metadata was present */
    uint8_t *geometry_types;               /* ncols entries (0 for non-geometry columns) or NULL */
    repl_arena *arena;                     /* owns everything above */
    /* private to the row decoder */
    int flavor;                      /* ext_flavor used for the charset fields */
    uint32_t n_json;                 /* MySQL JSON (245) columns: partial-update bits */
    uint32_t *json_index;            /* per column: its index among the JSON columns */
    const struct ext_col_plan *plan; /* per column: how its values are laid out */
} ext_table_map;

/**
 * Parse a TABLE_MAP event body.
 * @param out             receives the map (caller frees with ext_table_map_free); NULL on error
 * @param body            the bytes after the 19-byte common header, without the checksum
 * @param post_header_len the FDE's post-header length for type 19 (6: 4-byte table id, 8: 6-byte)
 * @return REPL_OK; REPL_ERR_CORRUPT for truncated or malformed bodies, unknown column types and
 *         invalid metadata, with a message naming the table and column.
 * The flavor is guessed (see ext_flavor); use ext_table_map_parse_ex when the FDE tells it.
 */
int ext_table_map_parse(ext_table_map **out, const uint8_t *body, size_t len,
                        unsigned post_header_len, repl_error *err);

/** ext_table_map_parse for a known server flavor (EXT_FLAVOR_*). */
int ext_table_map_parse_ex(ext_table_map **out, const uint8_t *body, size_t len,
                           unsigned post_header_len, int flavor, repl_error *err);

/** Release a map and everything it owns; NULL is a no-op. */
void ext_table_map_free(ext_table_map *map);

#endif
