/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extractors/table_map.c - parse a TABLE_MAP event body into an ext_table_map: post-header, names,
 * column types, the per-type metadata block, the NULL-ability bitmap and the optional metadata TLVs
 * (MySQL libs/mysql/binlog/event/rows_event.cpp, MariaDB sql/log_event.cc), then compile each
 * column's decode plan (extractors/values.c). Everything lands in the map's own arena.
 * Bounds-checked through rd.h; malformed input gives REPL_ERR_CORRUPT naming the table and column.
 */
#include "extractors/table_map.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "extractors/binlog_types.h"
#include "extractors/values_int.h"
#include "replicator/base/rd.h"

static const char tm_empty[] = "";

/* MySQL and MariaDB refuse tables of more columns */
#define TM_MAX_COLUMNS 4096

/* ---- errors ---------------------------------------------------------------------------------- */

static int tm_fail(const ext_table_map *m, repl_error *err, const char *fmt, ...) REPL_PRINTF(3, 4);

static int tm_fail(const ext_table_map *m, repl_error *err, const char *fmt, ...)
{
    char what[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (m->table != NULL)
        return repl_error_set(err, REPL_ERR_CORRUPT, "table map: `%s`.`%s`: %s", m->schema,
                              m->table, what);
    return repl_error_set(err, REPL_ERR_CORRUPT, "table map: %s", what);
}

/* ---- post-header, names, types --------------------------------------------------------------- */

/* length(1) bytes NUL */
static const char *tm_name(ext_table_map *m, repl_rd *rd)
{
    uint8_t len = rd_u8(rd);
    const uint8_t *p = rd_take(rd, len);
    uint8_t nul = rd_u8(rd);
    if (!rd_ok(rd) || nul != 0)
        return NULL;
    return repl_arena_strndup(m->arena, (const char *)p, len);
}

static int tm_parse_head(ext_table_map *m, repl_rd *rd, unsigned phl, repl_error *err)
{
    if (phl != 6 && phl < 8)
        return tm_fail(m, err, "bad post-header length %u", phl);
    m->table_id = phl == 6 ? rd_u32le(rd) : rd_u48le(rd);
    m->flags = rd_u16le(rd);
    if (phl > 8)
        rd_skip(rd, phl - 8);
    const char *schema = tm_name(m, rd);
    const char *table = tm_name(m, rd);
    if (schema == NULL || table == NULL)
        return tm_fail(m, err, "truncated or malformed schema/table name");
    m->schema = schema;
    m->table = table;
    uint64_t n = rd_packed(rd);
    if (!rd_ok(rd) || n == 0 || n > TM_MAX_COLUMNS || n > rd_left(rd))
        return tm_fail(m, err, "bad column count %llu", (unsigned long long)n);
    m->ncols = (uint32_t)n;
    m->binlog_types = repl_arena_memdup(m->arena, rd_take(rd, n), n);
    m->cols = repl_arena_alloc(m->arena, n * sizeof(thl_column));
    memset(m->cols, 0, n * sizeof(thl_column));
    for (uint32_t i = 0; i < m->ncols; i++)
        m->cols[i].name = tm_empty;
    return REPL_OK;
}

/* ---- per-column metadata --------------------------------------------------------------------- */

/* Bytes of type metadata: 0, 1, 2 (little-endian u16) or 3 (two bytes, first one high); -1 unknown.
 */
static int tm_meta_form(uint8_t type)
{
    switch (type) {
    case EXT_COL_DECIMAL:
    case EXT_COL_TINY:
    case EXT_COL_SHORT:
    case EXT_COL_LONG:
    case EXT_COL_NULL:
    case EXT_COL_TIMESTAMP:
    case EXT_COL_LONGLONG:
    case EXT_COL_INT24:
    case EXT_COL_DATE:
    case EXT_COL_TIME:
    case EXT_COL_DATETIME:
    case EXT_COL_YEAR:
    case EXT_COL_NEWDATE:
        return 0;
    case EXT_COL_FLOAT:
    case EXT_COL_DOUBLE:
    case EXT_COL_TIMESTAMP2:
    case EXT_COL_DATETIME2:
    case EXT_COL_TIME2:
    case EXT_COL_TINY_BLOB:
    case EXT_COL_MEDIUM_BLOB:
    case EXT_COL_LONG_BLOB:
    case EXT_COL_BLOB:
    case EXT_COL_GEOMETRY:
    case EXT_COL_JSON:
    case EXT_COL_VECTOR:
    case EXT_COL_MARIA_BLOB_COMPRESSED:
        return 1;
    case EXT_COL_VARCHAR:
    case EXT_COL_VAR_STRING:
    case EXT_COL_BIT:
    case EXT_COL_MARIA_VARCHAR_COMPRESSED:
        return 2;
    case EXT_COL_NEWDECIMAL:
    case EXT_COL_STRING:
    case EXT_COL_ENUM:
    case EXT_COL_SET:
        return 3;
    default:
        return -1;
    }
}

static uint32_t tm_prefix_max(unsigned width)
{
    return width >= 4 ? UINT32_MAX : (uint32_t)((1ull << (8 * width)) - 1);
}

/* CHAR/BINARY, ENUM and SET share type STRING; the metadata says which (log_event_print_value). */
static int tm_resolve_string(const ext_table_map *m, thl_column *c, uint32_t i, repl_error *err)
{
    unsigned b0 = c->meta >> 8;
    unsigned b1 = c->meta & 0xff;
    unsigned real = EXT_COL_STRING;
    if (c->meta < 256) {
        c->length = c->meta;
    } else if ((b0 & 0x30) != 0x30) {
        real = b0 | 0x30;
        c->length = b1 | (((b0 & 0x30) ^ 0x30) << 4);
    } else {
        real = b0;
        c->length = b1;
    }
    if (real != EXT_COL_STRING && real != EXT_COL_ENUM && real != EXT_COL_SET)
        return tm_fail(m, err, "column %u: unsupported CHAR real type %u", i + 1, real);
    c->type = (uint8_t)real;
    return REPL_OK;
}

/* Fill length and scale from the metadata (see ext_table_map.cols). */
static int tm_resolve(const ext_table_map *m, thl_column *c, uint32_t i, repl_error *err)
{
    switch (c->type) {
    case EXT_COL_STRING:
        return tm_resolve_string(m, c, i, err);
    case EXT_COL_ENUM:
    case EXT_COL_SET:
        c->length = c->meta & 0xff;
        break;
    case EXT_COL_VARCHAR:
    case EXT_COL_VAR_STRING:
        c->length = c->meta;
        break;
    case EXT_COL_MARIA_VARCHAR_COMPRESSED:
        c->length = c->meta > 0 ? c->meta - 1u : 0;
        break;
    case EXT_COL_BLOB:
    case EXT_COL_MARIA_BLOB_COMPRESSED:
    case EXT_COL_GEOMETRY:
    case EXT_COL_JSON:
    case EXT_COL_VECTOR:
        c->length = tm_prefix_max(c->meta);
        break;
    case EXT_COL_NEWDECIMAL:
        c->length = c->meta >> 8;
        c->scale = (uint8_t)(c->meta & 0xff);
        break;
    case EXT_COL_BIT:
        c->length = (c->meta >> 8) * 8u + (c->meta & 0xff);
        break;
    case EXT_COL_TIME2:
    case EXT_COL_DATETIME2:
    case EXT_COL_TIMESTAMP2:
        c->scale = (uint8_t)c->meta;
        break;
    default:
        break;
    }
    return REPL_OK;
}

static int tm_col_meta(ext_table_map *m, uint32_t i, repl_rd *mr, repl_error *err)
{
    thl_column *c = &m->cols[i];
    uint8_t type = m->binlog_types[i];
    int form = tm_meta_form(type);
    c->type = type;
    if (form < 0)
        return tm_fail(m, err, "column %u: unknown column type %u", i + 1, type);
    if (form == 1) {
        c->meta = rd_u8(mr);
    } else if (form == 2) {
        c->meta = rd_u16le(mr);
    } else if (form == 3) {
        uint16_t hi = rd_u8(mr);
        c->meta = (uint16_t)(hi << 8 | rd_u8(mr));
    }
    if (!rd_ok(mr))
        return tm_fail(m, err, "column %u (type %u %s): metadata block truncated", i + 1, type,
                       ext_col_type_name(type));
    return tm_resolve(m, c, i, err);
}

/* MySQL 5.1 development servers wrote TABLE_MAPs that end after the column types: no metadata and
 * no NULL-ability bitmap. MySQL's own reader then takes metadata 0 and every column nullable; a
 * CHAR value of that era is a 1-byte length and its bytes. */
static int tm_no_meta(ext_table_map *m, repl_error *err)
{
    for (uint32_t i = 0; i < m->ncols; i++) {
        thl_column *c = &m->cols[i];
        c->type = m->binlog_types[i];
        if (tm_meta_form(c->type) < 0)
            return tm_fail(m, err, "column %u: unknown column type %u", i + 1, c->type);
        c->meta = c->type == EXT_COL_STRING ? (uint16_t)(EXT_COL_STRING << 8 | 0xff) : 0;
        if (tm_resolve(m, c, i, err) != REPL_OK)
            return REPL_ERR_CORRUPT;
        c->flags |= THL_COL_NULLABLE;
    }
    return REPL_OK;
}

static int tm_parse_meta(ext_table_map *m, repl_rd *rd, repl_error *err)
{
    repl_rd mr;
    uint64_t mlen;
    if (rd_left(rd) == 0)
        return tm_no_meta(m, err);
    mlen = rd_packed(rd);
    const uint8_t *meta = rd_ok(rd) && mlen <= rd_left(rd) ? rd_take(rd, mlen) : NULL;
    if (meta == NULL)
        return tm_fail(m, err, "truncated metadata block");
    rd_init(&mr, meta, mlen);
    for (uint32_t i = 0; i < m->ncols; i++) {
        if (tm_col_meta(m, i, &mr, err) != REPL_OK)
            return REPL_ERR_CORRUPT;
    }
    if (rd_left(&mr) != 0)
        return tm_fail(m, err, "metadata block has %zu bytes more than its columns use",
                       rd_left(&mr));
    const uint8_t *nulls = rd_take(rd, (m->ncols + 7) / 8);
    if (nulls == NULL)
        return tm_fail(m, err, "truncated NULL-ability bitmap");
    for (uint32_t i = 0; i < m->ncols; i++) {
        if (thl_bit_get(nulls, i))
            m->cols[i].flags |= THL_COL_NULLABLE;
    }
    return REPL_OK;
}

/* ---- column classes used by the optional metadata -------------------------------------------- */

/* MariaDB gives every Field_num a signedness bit, YEAR included; MySQL only these types. */
static int tm_is_numeric(uint8_t type, int flavor)
{
    if (type == EXT_COL_YEAR)
        return flavor != EXT_FLAVOR_MYSQL;
    return type == EXT_COL_TINY || type == EXT_COL_SHORT || type == EXT_COL_INT24 ||
           type == EXT_COL_LONG || type == EXT_COL_LONGLONG || type == EXT_COL_NEWDECIMAL ||
           type == EXT_COL_FLOAT || type == EXT_COL_DOUBLE;
}

static int tm_is_char(uint8_t type, int flavor)
{
    switch (type) {
    case EXT_COL_STRING:
    case EXT_COL_VAR_STRING:
    case EXT_COL_VARCHAR:
    case EXT_COL_BLOB:
    case EXT_COL_TINY_BLOB:
    case EXT_COL_MEDIUM_BLOB:
    case EXT_COL_LONG_BLOB:
    case EXT_COL_VECTOR:
    case EXT_COL_MARIA_BLOB_COMPRESSED:
    case EXT_COL_MARIA_VARCHAR_COMPRESSED:
        return 1;
    case EXT_COL_GEOMETRY:
        return flavor != EXT_FLAVOR_MYSQL;
    default:
        return 0;
    }
}

static int tm_is_enum_set(uint8_t type)
{
    return type == EXT_COL_ENUM || type == EXT_COL_SET;
}

/* Columns of a class, in table order: the optional metadata counts them, not all columns. */
typedef enum tm_class {
    TM_NUMERIC,
    TM_CHAR,
    TM_ENUM_SET,
    TM_ENUM,
    TM_SET,
    TM_GEOMETRY
} tm_class;

static int tm_in_class(const ext_table_map *m, uint32_t i, tm_class cls)
{
    uint8_t t = m->cols[i].type;
    switch (cls) {
    case TM_NUMERIC:
        return tm_is_numeric(t, m->flavor);
    case TM_CHAR:
        return tm_is_char(t, m->flavor);
    case TM_ENUM_SET:
        return tm_is_enum_set(t);
    case TM_ENUM:
        return t == EXT_COL_ENUM;
    case TM_SET:
        return t == EXT_COL_SET;
    default:
        return t == EXT_COL_GEOMETRY;
    }
}

/* The indices of the columns of a class; *count receives how many. Arena-allocated. */
static uint32_t *tm_class_cols(ext_table_map *m, tm_class cls, uint32_t *count)
{
    uint32_t *idx = repl_arena_alloc(m->arena, (size_t)m->ncols * sizeof(uint32_t));
    uint32_t n = 0;
    for (uint32_t i = 0; i < m->ncols; i++) {
        if (tm_in_class(m, i, cls))
            idx[n++] = i;
    }
    *count = n;
    return idx;
}

/* ---- optional metadata fields ---------------------------------------------------------------- */

/* Bit i (most significant first) of a bitmap field, one bit per column of the class. */
static int tm_apply_bits(ext_table_map *m, repl_rd *v, tm_class cls, int visibility,
                         repl_error *err)
{
    uint32_t n;
    uint32_t *idx = visibility ? NULL : tm_class_cols(m, cls, &n);
    if (visibility)
        n = m->ncols;
    const uint8_t *bits = rd_take(v, (n + 7) / 8);
    if (bits == NULL)
        return tm_fail(m, err, "%s field shorter than its %u columns",
                       visibility ? "COLUMN_VISIBILITY" : "SIGNEDNESS", n);
    for (uint32_t k = 0; k < n; k++) {
        int on = (bits[k / 8] >> (7 - k % 8)) & 1;
        if (!visibility && on)
            m->cols[idx[k]].flags |= THL_COL_UNSIGNED;
        if (visibility && !on)
            m->cols[k].flags |= THL_COL_INVISIBLE;
    }
    if (!visibility)
        m->has_signedness = 1;
    return REPL_OK;
}

static int tm_read_u16(repl_rd *v, uint16_t *out)
{
    uint64_t x = rd_packed(v);
    if (!rd_ok(v) || x > UINT16_MAX)
        return -1;
    *out = (uint16_t)x;
    return 0;
}

/* DEFAULT_CHARSET: default, then (index among the class, collation) pairs for the exceptions. */
static int tm_apply_default_cs(ext_table_map *m, repl_rd *v, tm_class cls, repl_error *err)
{
    uint32_t n;
    uint32_t *idx = tm_class_cols(m, cls, &n);
    uint16_t cs;
    if (tm_read_u16(v, &cs) != 0)
        return tm_fail(m, err, "bad default charset");
    for (uint32_t k = 0; k < n; k++)
        m->cols[idx[k]].charset = cs;
    while (rd_left(v) > 0) {
        uint64_t k = rd_packed(v);
        if (tm_read_u16(v, &cs) != 0 || k >= n)
            return tm_fail(m, err, "bad charset exception (column %llu of %u)",
                           (unsigned long long)k, n);
        m->cols[idx[k]].charset = cs;
    }
    return REPL_OK;
}

static uint32_t tm_count_packed(const repl_rd *v)
{
    repl_rd c = *v;
    uint32_t n = 0;
    while (rd_left(&c) > 0 && rd_ok(&c)) {
        rd_packed(&c);
        n++;
    }
    return rd_ok(&c) ? n : UINT32_MAX;
}

/* COLUMN_CHARSET: one collation per column of the class. */
static int tm_apply_column_cs(ext_table_map *m, repl_rd *v, tm_class cls, repl_error *err)
{
    uint32_t n;
    uint32_t *idx = tm_class_cols(m, cls, &n);
    uint32_t given = tm_count_packed(v);
    if (given != n)
        return tm_fail(m, err, "column charset field lists %u charsets for %u columns", given, n);
    for (uint32_t k = 0; k < n; k++) {
        if (tm_read_u16(v, &m->cols[idx[k]].charset) != 0)
            return tm_fail(m, err, "bad column charset");
    }
    return REPL_OK;
}

static const char *tm_read_str(ext_table_map *m, repl_rd *v)
{
    uint64_t len = rd_packed(v);
    if (!rd_ok(v) || len > rd_left(v))
        return NULL;
    return repl_arena_strndup(m->arena, (const char *)rd_take(v, len), len);
}

static int tm_apply_names(ext_table_map *m, repl_rd *v, repl_error *err)
{
    for (uint32_t i = 0; i < m->ncols; i++) {
        const char *name = tm_read_str(m, v);
        if (name == NULL)
            return tm_fail(m, err, "column name field ends at column %u of %u", i + 1, m->ncols);
        m->cols[i].name = name;
    }
    if (rd_left(v) != 0)
        return tm_fail(m, err, "column name field has more names than columns");
    m->has_names = 1;
    return REPL_OK;
}

static int tm_apply_members(ext_table_map *m, repl_rd *v, tm_class cls, repl_error *err)
{
    uint32_t n;
    uint32_t *idx = tm_class_cols(m, cls, &n);
    for (uint32_t k = 0; k < n; k++) {
        thl_column *c = &m->cols[idx[k]];
        uint64_t count = rd_packed(v);
        if (!rd_ok(v) || count > rd_left(v))
            return tm_fail(m, err, "bad %s member list", cls == TM_ENUM ? "ENUM" : "SET");
        const char **mem = repl_arena_alloc(m->arena, (size_t)count * sizeof(char *) + 1);
        for (uint64_t x = 0; x < count; x++) {
            mem[x] = tm_read_str(m, v);
            if (mem[x] == NULL)
                return tm_fail(m, err, "truncated %s member list", cls == TM_ENUM ? "ENUM" : "SET");
        }
        c->n_members = (uint32_t)count;
        c->members = mem;
    }
    return REPL_OK;
}

static int tm_apply_geometry(ext_table_map *m, repl_rd *v, repl_error *err)
{
    uint32_t n;
    uint32_t *idx = tm_class_cols(m, TM_GEOMETRY, &n);
    m->geometry_types = repl_arena_alloc(m->arena, m->ncols);
    memset(m->geometry_types, 0, m->ncols);
    for (uint32_t k = 0; k < n; k++) {
        uint64_t g = rd_packed(v);
        if (!rd_ok(v) || g > 255)
            return tm_fail(m, err, "bad geometry type field");
        m->geometry_types[idx[k]] = (uint8_t)g;
    }
    return REPL_OK;
}

static int tm_apply_pk(ext_table_map *m, repl_rd *v, int with_prefix, repl_error *err)
{
    while (rd_left(v) > 0) {
        uint64_t i = rd_packed(v);
        if (with_prefix)
            rd_packed(v);
        if (!rd_ok(v) || i >= m->ncols)
            return tm_fail(m, err, "bad primary key field");
        m->cols[i].flags |= THL_COL_PK;
    }
    m->has_pk = 1;
    return REPL_OK;
}

static int tm_apply_field(ext_table_map *m, uint8_t type, repl_rd *v, repl_error *err)
{
    switch (type) {
    case EXT_TM_SIGNEDNESS:
        return tm_apply_bits(m, v, TM_NUMERIC, 0, err);
    case EXT_TM_DEFAULT_CHARSET:
        return tm_apply_default_cs(m, v, TM_CHAR, err);
    case EXT_TM_COLUMN_CHARSET:
        return tm_apply_column_cs(m, v, TM_CHAR, err);
    case EXT_TM_COLUMN_NAME:
        return tm_apply_names(m, v, err);
    case EXT_TM_SET_STR_VALUE:
        return tm_apply_members(m, v, TM_SET, err);
    case EXT_TM_ENUM_STR_VALUE:
        return tm_apply_members(m, v, TM_ENUM, err);
    case EXT_TM_GEOMETRY_TYPE:
        return tm_apply_geometry(m, v, err);
    case EXT_TM_SIMPLE_PRIMARY_KEY:
        return tm_apply_pk(m, v, 0, err);
    case EXT_TM_PRIMARY_KEY_WITH_PREFIX:
        return tm_apply_pk(m, v, 1, err);
    case EXT_TM_ENUM_AND_SET_DEFAULT_CHARSET:
        return tm_apply_default_cs(m, v, TM_ENUM_SET, err);
    case EXT_TM_ENUM_AND_SET_COLUMN_CHARSET:
        return tm_apply_column_cs(m, v, TM_ENUM_SET, err);
    case EXT_TM_COLUMN_VISIBILITY:
        return tm_apply_bits(m, v, TM_NUMERIC, 1, err);
    default: /* VECTOR_DIMENSIONALITY and fields of later servers: length-prefixed, skipped */
        return REPL_OK;
    }
}

/* One TLV: type(1) length(packed) value. */
static int tm_next_field(repl_rd *rd, uint8_t *type, repl_rd *value)
{
    *type = rd_u8(rd);
    uint64_t len = rd_packed(rd);
    if (!rd_ok(rd) || len > rd_left(rd))
        return -1;
    rd_init(value, rd_take(rd, len), len);
    return 0;
}

/* Character columns under each flavor's counting. */
static uint32_t tm_count_chars(const ext_table_map *m, int flavor)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < m->ncols; i++)
        n += (uint32_t)tm_is_char(m->cols[i].type, flavor);
    return n;
}

/* MariaDB-only column types decide MariaDB; MySQL-only types and fields decide MySQL; so does a
 * COLUMN_CHARSET field whose length fits only one way of counting GEOMETRY columns. */
static int tm_guess_flavor(const ext_table_map *m, const repl_rd *opt)
{
    repl_rd rd = *opt;
    repl_rd v;
    uint8_t type;
    for (uint32_t i = 0; i < m->ncols; i++) {
        uint8_t t = m->binlog_types[i];
        if (t == EXT_COL_MARIA_BLOB_COMPRESSED || t == EXT_COL_MARIA_VARCHAR_COMPRESSED)
            return EXT_FLAVOR_MARIADB;
        if (t == EXT_COL_JSON || t == EXT_COL_VECTOR)
            return EXT_FLAVOR_MYSQL;
    }
    while (rd_left(&rd) > 0 && tm_next_field(&rd, &type, &v) == 0) {
        if (type == EXT_TM_COLUMN_VISIBILITY || type == EXT_TM_VECTOR_DIMENSIONALITY)
            return EXT_FLAVOR_MYSQL;
        if (type == EXT_TM_COLUMN_CHARSET &&
            tm_count_packed(&v) == tm_count_chars(m, EXT_FLAVOR_MYSQL) &&
            tm_count_packed(&v) != tm_count_chars(m, EXT_FLAVOR_MARIADB))
            return EXT_FLAVOR_MYSQL;
    }
    return EXT_FLAVOR_UNKNOWN;
}

static int tm_parse_optional(ext_table_map *m, repl_rd *rd, int flavor, repl_error *err)
{
    repl_rd v;
    uint8_t type;
    m->flavor = flavor != EXT_FLAVOR_UNKNOWN ? flavor : tm_guess_flavor(m, rd);
    while (rd_left(rd) > 0) {
        if (tm_next_field(rd, &type, &v) != 0)
            return tm_fail(m, err, "optional metadata field %u past the end of the event", type);
        if (tm_apply_field(m, type, &v, err) != REPL_OK)
            return REPL_ERR_CORRUPT;
    }
    return REPL_OK;
}

/* ---- finishing: implied charsets, flags, plans ----------------------------------------------- */

static void tm_finish_columns(ext_table_map *m)
{
    for (uint32_t i = 0; i < m->ncols; i++) {
        thl_column *c = &m->cols[i];
        if (c->type == EXT_COL_JSON)
            c->charset = 45; /* MySQL JSON text is utf8mb4 */
        else if ((c->type == EXT_COL_GEOMETRY || c->type == EXT_COL_VECTOR) && c->charset == 0)
            c->charset = 63;
        if (c->charset == 63)
            c->flags |= THL_COL_BINARY;
    }
}

static int tm_compile(ext_table_map *m, repl_error *err)
{
    char reason[160];
    ext_col_plan *plan = repl_arena_alloc(m->arena, (size_t)m->ncols * sizeof(ext_col_plan));
    m->json_index = repl_arena_alloc(m->arena, (size_t)m->ncols * sizeof(uint32_t));
    for (uint32_t i = 0; i < m->ncols; i++) {
        const thl_column *c = &m->cols[i];
        m->json_index[i] = m->n_json;
        if (c->type == EXT_COL_JSON)
            m->n_json++;
        if (ext_plan_compile(&plan[i], c, reason, sizeof(reason)) != REPL_OK)
            return tm_fail(m, err, "column %u `%s` (type %u %s): %s", i + 1, c->name, c->type,
                           ext_col_type_name(c->type), reason);
    }
    m->plan = plan;
    return REPL_OK;
}

int ext_table_map_parse_ex(ext_table_map **out, const uint8_t *body, size_t len,
                           unsigned post_header_len, int flavor, repl_error *err)
{
    repl_arena *arena = repl_arena_new(1024 + len * 2);
    ext_table_map *m = repl_arena_alloc(arena, sizeof(*m));
    repl_rd rd;
    int rc;
    *out = NULL;
    memset(m, 0, sizeof(*m));
    m->arena = arena;
    rd_init(&rd, body, len);
    rc = tm_parse_head(m, &rd, post_header_len, err);
    if (rc == REPL_OK)
        rc = tm_parse_meta(m, &rd, err);
    if (rc == REPL_OK)
        rc = tm_parse_optional(m, &rd, flavor, err);
    if (rc == REPL_OK) {
        tm_finish_columns(m);
        rc = tm_compile(m, err);
    }
    if (rc != REPL_OK) {
        repl_arena_free(arena);
        return rc;
    }
    *out = m;
    return REPL_OK;
}

int ext_table_map_parse(ext_table_map **out, const uint8_t *body, size_t len,
                        unsigned post_header_len, repl_error *err)
{
    return ext_table_map_parse_ex(out, body, len, post_header_len, EXT_FLAVOR_UNKNOWN, err);
}

void ext_table_map_free(ext_table_map *map)
{
    if (map != NULL)
        repl_arena_free(map->arena);
}
