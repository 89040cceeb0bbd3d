/* SPDX-License-Identifier: GPL-2.0-or-later */
/* appliers/apply_binlog.c - the BINLOG-statement path: row changes of tables whose own logic must
 * not run again on the target (triggers, system versioning) are re-encoded as binlog events - a
 * FORMAT_DESCRIPTION once per connection, then TABLE_MAP + WRITE/UPDATE/DELETE_ROWS v1 per chunk of
 * rows - and sent base64-encoded in BINLOG '...' statements, which the server applies like its own
 * replica does (no triggers, history rows as logged). The inverse of the
 * extractor's row decoder: column types and metadata follow the MySQL table_def convention
 * (docs/applier.md). Needs the BINLOG REPLAY privilege (or SUPER). Owner thread only. */
#include "appliers/applier_int.h"

#include <inttypes.h>
#include <string.h>

#include "replicator/base/log.h"

#define BL_HEADER_LEN     19
#define BL_FDE            15
#define BL_TABLE_MAP      19
#define BL_WRITE_ROWS_V1  23
#define BL_UPDATE_ROWS_V1 24
#define BL_DELETE_ROWS_V1 25
#define BL_STMT_END_F     0x0001
#define BL_TABLE_ID       1
#define BL_CHUNK_BYTES    (1u << 20)
#define BL_SERVER_VERSION "10.11.0-MariaDB-trep"

/* Post-header lengths of event types 1..171 as MariaDB 10.x writes them in its FORMAT_DESCRIPTION
 * (types not listed are 0). */
static const struct {
    uint8_t type;
    uint8_t len;
} bl_post_header[] = {
    { 1, 56 },  { 2, 13 },  { 4, 8 },    { 6, 18 },   { 8, 4 },    { 9, 4 },    { 10, 4 },
    { 11, 4 },  { 12, 18 }, { 15, 228 }, { 17, 4 },   { 18, 26 },  { 19, 8 },   { 23, 8 },
    { 24, 8 },  { 25, 8 },  { 26, 2 },   { 30, 10 },  { 31, 10 },  { 32, 10 },  { 39, 10 },
    { 40, 10 }, { 41, 10 }, { 161, 4 },  { 162, 19 }, { 163, 4 },  { 165, 13 }, { 166, 8 },
    { 167, 8 }, { 168, 8 }, { 169, 10 }, { 170, 10 }, { 171, 10 },
};
#define BL_N_EVENT_TYPES 171

/* ---- small encoders ----------------------------------------------------------------------------
 */

static void put_le(repl_buf *b, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        repl_buf_put_u8(b, (uint8_t)(v >> (8 * i)));
}

static void put_be(repl_buf *b, uint64_t v, unsigned n)
{
    for (unsigned i = n; i > 0; i--)
        repl_buf_put_u8(b, (uint8_t)(v >> (8 * (i - 1))));
}

static void put_packed(repl_buf *b, uint64_t v)
{
    if (v < 251) {
        repl_buf_put_u8(b, (uint8_t)v);
    } else if (v < 65536) {
        repl_buf_put_u8(b, 0xfc);
        put_le(b, v, 2);
    } else if (v < 16777216) {
        repl_buf_put_u8(b, 0xfd);
        put_le(b, v, 3);
    } else {
        repl_buf_put_u8(b, 0xfe);
        put_le(b, v, 8);
    }
}

/* Event header with a zero length, patched by bl_event_end. Returns the event's offset. */
static size_t bl_event_start(repl_buf *b, uint8_t type, uint32_t server_id, uint32_t ts)
{
    size_t at = b->len;
    put_le(b, ts, 4);
    repl_buf_put_u8(b, type);
    put_le(b, server_id, 4);
    put_le(b, 0, 4); /* event length */
    put_le(b, 0, 4); /* next position: unused by BINLOG */
    put_le(b, 0, 2); /* flags */
    return at;
}

static void bl_event_end(repl_buf *b, size_t at)
{
    repl_store_u32le(b->data + at + 9, (uint32_t)(b->len - at));
}

static void bl_fde(repl_buf *b, uint32_t server_id)
{
    uint8_t ph[BL_N_EVENT_TYPES];
    char version[50];
    size_t at = bl_event_start(b, BL_FDE, server_id, 0);
    memset(ph, 0, sizeof(ph));
    for (size_t i = 0; i < sizeof(bl_post_header) / sizeof(bl_post_header[0]); i++)
        ph[bl_post_header[i].type - 1] = bl_post_header[i].len;
    memset(version, 0, sizeof(version));
    memcpy(version, BL_SERVER_VERSION, sizeof(BL_SERVER_VERSION) - 1);
    put_le(b, 4, 2); /* binlog version */
    repl_buf_put(b, version, sizeof(version));
    put_le(b, 0, 4); /* created: 0, so applying it never rolls back an open transaction */
    repl_buf_put_u8(b, BL_HEADER_LEN);
    repl_buf_put(b, ph, sizeof(ph));
    repl_buf_put_u8(b, 0); /* checksum algorithm: off */
    put_le(b, 0, 4);       /* the FDE's own checksum slot (not verified by BINLOG) */
    bl_event_end(b, at);
}

/* ---- column types and metadata ------------------------------------------------------------------
 */

/** A column as the binlog describes it: the TABLE_MAP type and the table_def-style metadata. */
typedef struct bl_col {
    uint8_t type;  /* TABLE_MAP type (ENUM/SET appear as STRING) */
    uint8_t real;  /* the real type for STRING: STRING, ENUM or SET */
    uint16_t meta; /* MySQL table_def convention */
} bl_col;

static uint16_t bl_string_meta(uint8_t real, uint32_t len)
{
    uint8_t b0 = (uint8_t)((real & 0xcf) | ((((len >> 4) & 0x30) ^ 0x30)));
    return (uint16_t)((b0 << 8) | (len & 0xff));
}

static uint32_t bl_string_len(uint16_t meta)
{
    unsigned b0 = meta >> 8, b1 = meta & 0xff;
    if ((b0 & 0x30) != 0x30)
        return b1 | (((b0 & 0x30) ^ 0x30) << 4);
    return b1;
}

static uint8_t bl_members_pack(const thl_column *c)
{
    if (c->type == MYSQL_TYPE_ENUM)
        return c->n_members > 255 ? 2 : 1;
    return (uint8_t)(c->n_members > 0 ? (c->n_members + 7) / 8 : 1);
}

static void bl_col_string(bl_col *o, const thl_column *c)
{
    o->type = MYSQL_TYPE_STRING;
    o->real = c->type;
    if (c->type == MYSQL_TYPE_ENUM || c->type == MYSQL_TYPE_SET) {
        uint8_t pack = (c->meta >> 8) == c->type ? (uint8_t)(c->meta & 0xff) : bl_members_pack(c);
        o->meta = (uint16_t)((c->type << 8) | pack);
        return;
    }
    o->meta = c->meta != 0 ? c->meta : bl_string_meta(MYSQL_TYPE_STRING, c->length);
    o->real = (uint8_t)(o->meta >> 8) | 0x30;
    if (o->real != MYSQL_TYPE_ENUM && o->real != MYSQL_TYPE_SET)
        o->real = MYSQL_TYPE_STRING;
}

static void bl_col_from(bl_col *o, const thl_column *c)
{
    memset(o, 0, sizeof(*o));
    o->type = c->type;
    o->meta = c->meta;
    switch (c->type) {
    case MYSQL_TYPE_STRING:
    case MYSQL_TYPE_ENUM:
    case MYSQL_TYPE_SET:
        bl_col_string(o, c);
        break;
    case MYSQL_TYPE_TINY_BLOB:
    case MYSQL_TYPE_MEDIUM_BLOB:
    case MYSQL_TYPE_LONG_BLOB:
        o->meta = c->type == MYSQL_TYPE_TINY_BLOB ? 1 : c->type == MYSQL_TYPE_MEDIUM_BLOB ? 3 : 4;
        o->type = MYSQL_TYPE_BLOB;
        break;
    case MYSQL_TYPE_NEWDECIMAL:
        if (o->meta == 0)
            o->meta = (uint16_t)((c->length << 8) | c->scale);
        break;
    case MYSQL_TYPE_FLOAT:
    case MYSQL_TYPE_DOUBLE:
        o->meta = c->type == MYSQL_TYPE_FLOAT ? 4 : 8;
        break;
    default:
        break;
    }
}

/* Metadata bytes of one column in the TABLE_MAP. */
static void bl_put_meta(repl_buf *b, const bl_col *c)
{
    switch (c->type) {
    case MYSQL_TYPE_FLOAT:
    case MYSQL_TYPE_DOUBLE:
    case MYSQL_TYPE_BLOB:
    case MYSQL_TYPE_GEOMETRY:
    case MYSQL_TYPE_JSON:
    case MYSQL_TYPE_TIMESTAMP2:
    case MYSQL_TYPE_DATETIME2:
    case MYSQL_TYPE_TIME2:
        repl_buf_put_u8(b, (uint8_t)c->meta);
        break;
    case MYSQL_TYPE_VARCHAR:
    case MYSQL_TYPE_VAR_STRING:
        put_le(b, c->meta, 2);
        break;
    case MYSQL_TYPE_BIT:
        repl_buf_put_u8(b, (uint8_t)(c->meta & 0xff)); /* bits % 8 */
        repl_buf_put_u8(b, (uint8_t)(c->meta >> 8));   /* whole bytes */
        break;
    case MYSQL_TYPE_NEWDECIMAL:
    case MYSQL_TYPE_STRING:
        repl_buf_put_u8(b, (uint8_t)(c->meta >> 8));
        repl_buf_put_u8(b, (uint8_t)(c->meta & 0xff));
        break;
    default:
        break;
    }
}

static int bl_table_map(repl_buf *b, const thl_rows *r, const bl_col *cols, uint32_t server_id,
                        uint32_t ts, repl_error *err)
{
    size_t slen = strlen(r->schema), tlen = strlen(r->table), at;
    repl_buf meta;
    if (slen > 255 || tlen > 255)
        return repl_error_set(err, REPL_ERR_INVALID, "apply: name too long for a TABLE_MAP");
    at = bl_event_start(b, BL_TABLE_MAP, server_id, ts);
    put_le(b, BL_TABLE_ID, 6);
    put_le(b, 1, 2); /* TM_BIT_LEN_EXACT_F */
    repl_buf_put_u8(b, (uint8_t)slen);
    repl_buf_put(b, r->schema, slen + 1);
    repl_buf_put_u8(b, (uint8_t)tlen);
    repl_buf_put(b, r->table, tlen + 1);
    put_packed(b, r->ncols);
    repl_buf_init(&meta);
    for (uint32_t i = 0; i < r->ncols; i++) {
        repl_buf_put_u8(b, cols[i].type);
        bl_put_meta(&meta, &cols[i]);
    }
    put_packed(b, meta.len);
    repl_buf_put(b, meta.data, meta.len);
    repl_buf_dispose(&meta);
    for (uint32_t i = 0; i < (r->ncols + 7) / 8; i++)
        repl_buf_put_u8(b, 0xff); /* every column nullable: the row images say what is NULL */
    bl_event_end(b, at);
    return REPL_OK;
}

/* ---- values ------------------------------------------------------------------------------------
 */

static const uint8_t dig2bytes[10] = { 0, 1, 1, 2, 2, 3, 3, 4, 4, 4 };

/* Digits [from, from+n) of s as a number (s is already checked to be digits). */
static uint32_t dec_group(const char *s, size_t from, size_t n)
{
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (uint32_t)(s[from + i] - '0');
    return v;
}

/* Split "-123.45" into sign, integer digits left-padded to intg and fraction digits right-padded
 * to scale. */
static int dec_digits(const uint8_t *txt, size_t len, unsigned intg, unsigned scale, int *neg,
                      char *ip, char *fp)
{
    size_t i, dot, ni, nf;
    *neg = len > 0 && txt[0] == '-';
    i = (len > 0 && (txt[0] == '-' || txt[0] == '+')) ? 1 : 0;
    if (i == len || (txt[i] == '.' && i + 1 == len))
        return -1; /* no digit at all */
    while (i < len && txt[i] == '0')
        i++; /* leading zeros */
    for (dot = i; dot < len && txt[dot] != '.'; dot++) {
        if (txt[dot] < '0' || txt[dot] > '9')
            return -1;
    }
    ni = dot - i;
    nf = dot < len ? len - dot - 1 : 0;
    if (ni > intg || nf > scale)
        return -1;
    memset(ip, '0', intg);
    memset(fp, '0', scale);
    memcpy(ip + intg - ni, txt + i, ni);
    for (size_t k = 0; k < nf; k++) {
        if (txt[dot + 1 + k] < '0' || txt[dot + 1 + k] > '9')
            return -1;
        fp[k] = (char)txt[dot + 1 + k];
    }
    return 0;
}

static void dec_put_digits(repl_buf *b, const char *d, size_t n, int leading)
{
    size_t part = n % 9, at = 0;
    if (leading && part > 0) {
        put_be(b, dec_group(d, 0, part), dig2bytes[part]);
        at = part;
    }
    for (; at + 9 <= n; at += 9)
        put_be(b, dec_group(d, at, 9), 4);
    if (!leading && part > 0)
        put_be(b, dec_group(d, at, part), dig2bytes[part]);
}

int apl_binlog_decimal(repl_buf *out, const uint8_t *txt, size_t len, unsigned precision,
                       unsigned scale, repl_error *err)
{
    char ip[66], fp[66];
    int neg = 0, zero = 1;
    size_t at = out->len;
    if (precision == 0 || precision > 65 || scale > 38 || scale > precision ||
        dec_digits(txt, len, precision - scale, scale, &neg, ip, fp) != 0)
        return repl_error_set(err, REPL_ERR_INVALID, "apply: '%.*s' is not a DECIMAL(%u,%u)",
                              (int)(len < 80 ? len : 80), (const char *)txt, precision, scale);
    for (unsigned i = 0; i < precision - scale; i++)
        zero &= ip[i] == '0';
    for (unsigned i = 0; i < scale; i++)
        zero &= fp[i] == '0';
    dec_put_digits(out, ip, precision - scale, 1);
    dec_put_digits(out, fp, scale, 0);
    if (neg && !zero) {
        for (size_t i = at; i < out->len; i++)
            out->data[i] = (uint8_t)~out->data[i];
    }
    out->data[at] ^= 0x80;
    return REPL_OK;
}

static void bl_put_frac(repl_buf *b, uint32_t usec, unsigned fsp)
{
    if (fsp == 1 || fsp == 2)
        put_be(b, usec / 10000, 1);
    else if (fsp == 3 || fsp == 4)
        put_be(b, usec / 100, 2);
    else if (fsp >= 5)
        put_be(b, usec, 3);
}

/* TIME2: the packed value (hms << 24 | usec, negated for negative times) as MySQL's
 * my_time_packed_to_binary stores it: floor of the integer part, C remainder of the fraction. */
static void bl_put_time2(repl_buf *b, const thl_temporal *t, unsigned fsp)
{
    const int64_t one = 1 << 24;
    int64_t hms = ((int64_t)t->hour << 12) | ((int64_t)t->minute << 6) | t->second;
    int64_t packed = (hms << 24) + t->usec;
    int64_t ip, frac;
    if (t->neg)
        packed = -packed;
    if (fsp >= 5) {
        put_be(b, (uint64_t)(packed + 0x800000000000LL), 6);
        return;
    }
    ip = packed >= 0 ? packed / one : -((-packed + one - 1) / one);
    frac = packed % one;
    put_be(b, (uint64_t)(ip + 0x800000), 3);
    if (fsp == 1 || fsp == 2)
        put_be(b, (uint64_t)(frac / 10000), 1);
    else if (fsp == 3 || fsp == 4)
        put_be(b, (uint64_t)(frac / 100), 2);
}

static void bl_put_datetime2(repl_buf *b, const thl_temporal *t, unsigned fsp)
{
    uint64_t ym = (uint64_t)t->year * 13 + t->month;
    uint64_t ymd = (ym << 5) | t->day;
    uint64_t hms = ((uint64_t)t->hour << 12) | ((uint64_t)t->minute << 6) | t->second;
    put_be(b, ((ymd << 17) | hms) + 0x8000000000ULL, 5);
    bl_put_frac(b, t->usec, fsp);
}

static int bl_put_temporal(repl_buf *b, const bl_col *c, const thl_value *v)
{
    const thl_temporal *t = &v->v.t;
    switch (c->type) {
    case MYSQL_TYPE_DATE:
        put_le(b, t->day | ((uint32_t)t->month << 5) | ((uint32_t)t->year << 9), 3);
        return 0;
    case MYSQL_TYPE_TIME2:
        bl_put_time2(b, t, c->meta);
        return 0;
    case MYSQL_TYPE_DATETIME2:
        bl_put_datetime2(b, t, c->meta);
        return 0;
    case MYSQL_TYPE_TIME: {
        int64_t n = (int64_t)t->hour * 10000 + t->minute * 100 + t->second;
        put_le(b, (uint64_t)(t->neg ? -n : n), 3);
        return 0;
    }
    case MYSQL_TYPE_DATETIME:
        put_le(b,
               (uint64_t)t->year * 10000000000ULL + (uint64_t)t->month * 100000000ULL +
                   (uint64_t)t->day * 1000000ULL + t->hour * 10000ULL + t->minute * 100ULL +
                   t->second,
               8);
        return 0;
    default:
        return -1;
    }
}

static int bl_put_timestamp(repl_buf *b, const bl_col *c, const thl_value *v)
{
    if (c->type == MYSQL_TYPE_TIMESTAMP) {
        put_le(b, (uint64_t)v->v.ts.sec, 4);
        return 0;
    }
    if (c->type != MYSQL_TYPE_TIMESTAMP2)
        return -1;
    put_be(b, (uint64_t)v->v.ts.sec, 4);
    bl_put_frac(b, v->v.ts.usec, c->meta);
    return 0;
}

static unsigned bl_int_bytes(uint8_t type)
{
    switch (type) {
    case MYSQL_TYPE_TINY:
    case MYSQL_TYPE_YEAR:
        return 1;
    case MYSQL_TYPE_SHORT:
        return 2;
    case MYSQL_TYPE_INT24:
        return 3;
    case MYSQL_TYPE_LONG:
        return 4;
    case MYSQL_TYPE_LONGLONG:
        return 8;
    default:
        return 0;
    }
}

static int bl_put_number(repl_buf *b, const bl_col *c, const thl_value *v)
{
    uint64_t u = v->v.u;
    unsigned n = bl_int_bytes(c->type);
    if (c->type == MYSQL_TYPE_YEAR)
        u = u == 0 ? 0 : u - 1900;
    if (n > 0) {
        put_le(b, u, n);
        return 0;
    }
    if (c->type == MYSQL_TYPE_BIT) {
        put_be(b, u, (c->meta >> 8) + ((c->meta & 0xff) ? 1u : 0u));
        return 0;
    }
    if (c->type == MYSQL_TYPE_STRING && (c->real == MYSQL_TYPE_ENUM || c->real == MYSQL_TYPE_SET)) {
        put_le(b, u, c->meta & 0xff);
        return 0;
    }
    return -1;
}

static int bl_put_real(repl_buf *b, const bl_col *c, const thl_value *v)
{
    uint32_t f;
    uint64_t d;
    if (c->type == MYSQL_TYPE_FLOAT && v->kind == THL_VAL_FLOAT) {
        memcpy(&f, &v->v.f, 4);
        put_le(b, f, 4);
        return 0;
    }
    if (c->type == MYSQL_TYPE_DOUBLE && v->kind == THL_VAL_DOUBLE) {
        memcpy(&d, &v->v.d, 8);
        put_le(b, d, 8);
        return 0;
    }
    return -1;
}

static int bl_put_bytes(repl_buf *b, const bl_col *c, const thl_value *v)
{
    size_t len = v->v.bytes.len;
    unsigned pre;
    switch (c->type) {
    case MYSQL_TYPE_VARCHAR:
    case MYSQL_TYPE_VAR_STRING:
        pre = c->meta < 256 ? 1 : 2;
        break;
    case MYSQL_TYPE_STRING:
        pre = bl_string_len(c->meta) < 256 ? 1 : 2;
        break;
    case MYSQL_TYPE_BLOB:
    case MYSQL_TYPE_GEOMETRY:
    case MYSQL_TYPE_JSON:
        pre = c->meta >= 1 && c->meta <= 4 ? c->meta : 4;
        break;
    default:
        return -1;
    }
    if (pre < 8 && len >> (8 * pre) != 0)
        return -1;
    put_le(b, len, pre);
    if (len > 0)
        repl_buf_put(b, v->v.bytes.ptr, len);
    return 0;
}

static int bl_put_value(repl_buf *b, const bl_col *c, const thl_value *v, repl_error *err)
{
    switch (v->kind) {
    case THL_VAL_INT:
    case THL_VAL_UINT:
    case THL_VAL_BIT:
    case THL_VAL_ENUM:
    case THL_VAL_SET:
        return bl_put_number(b, c, v);
    case THL_VAL_FLOAT:
    case THL_VAL_DOUBLE:
        return bl_put_real(b, c, v);
    case THL_VAL_DECIMAL:
        if (c->type != MYSQL_TYPE_NEWDECIMAL)
            return -1;
        return apl_binlog_decimal(b, v->v.bytes.ptr, v->v.bytes.len, c->meta >> 8, c->meta & 0xff,
                                  err) == REPL_OK
                   ? 0
                   : -2;
    case THL_VAL_STRING:
    case THL_VAL_BYTES:
        return bl_put_bytes(b, c, v);
    case THL_VAL_DATE:
    case THL_VAL_TIME:
    case THL_VAL_DATETIME:
        return bl_put_temporal(b, c, v);
    case THL_VAL_TIMESTAMP:
        return bl_put_timestamp(b, c, v);
    default:
        return -1;
    }
}

/* One row image: NULL bitmap over the present columns, then the non-NULL values. */
static int bl_put_image(repl_buf *b, const thl_rows *r, const bl_col *cols, const uint8_t *present,
                        const thl_value *img, repl_error *err)
{
    uint32_t npresent = 0, k = 0;
    size_t nulls_at;
    for (uint32_t i = 0; i < r->ncols; i++)
        npresent += (uint32_t)thl_bit_get(present, i);
    nulls_at = b->len;
    for (uint32_t i = 0; i < (npresent + 7) / 8; i++)
        repl_buf_put_u8(b, 0);
    for (uint32_t i = 0; i < r->ncols; i++) {
        int rc;
        if (!thl_bit_get(present, i))
            continue;
        if (img[i].kind == THL_VAL_NULL) {
            b->data[nulls_at + k / 8] |= (uint8_t)(1u << (k % 8));
            k++;
            continue;
        }
        k++;
        rc = bl_put_value(b, &cols[i], &img[i], err);
        if (rc == -1)
            return repl_error_set(err, REPL_ERR_INVALID,
                                  "apply: column %u `%s` (type %u): value kind %u cannot be "
                                  "written as a binlog row",
                                  i + 1, r->cols[i].name, r->cols[i].type, (unsigned)img[i].kind);
        if (rc != 0)
            return err->code;
    }
    return REPL_OK;
}

static void bl_put_bitmap(repl_buf *b, const uint8_t *bm, uint32_t ncols)
{
    for (uint32_t i = 0; i < (ncols + 7) / 8; i++)
        repl_buf_put_u8(b, bm[i]);
}

static uint8_t bl_rows_type(const thl_rows *r)
{
    if (r->action == THL_ROW_INSERT)
        return BL_WRITE_ROWS_V1;
    return r->action == THL_ROW_UPDATE ? BL_UPDATE_ROWS_V1 : BL_DELETE_ROWS_V1;
}

static int bl_rows_event(repl_buf *b, const thl_rows *r, const bl_col *cols, uint32_t first,
                         uint32_t count, uint32_t server_id, uint32_t ts, repl_error *err)
{
    size_t at = bl_event_start(b, bl_rows_type(r), server_id, ts);
    int rc = REPL_OK;
    put_le(b, BL_TABLE_ID, 6);
    put_le(b,
           BL_STMT_END_F | ((r->flags & THL_ROWS_NO_FK_CHECKS) ? 0x0002 : 0) |
               ((r->flags & THL_ROWS_NO_UNIQUE_CHECKS) ? 0x0004 : 0),
           2);
    put_packed(b, r->ncols);
    bl_put_bitmap(b, r->action == THL_ROW_INSERT ? r->after_present : r->before_present, r->ncols);
    if (r->action == THL_ROW_UPDATE)
        bl_put_bitmap(b, r->after_present, r->ncols);
    for (uint32_t k = first; k < first + count && rc == REPL_OK; k++) {
        if (r->action != THL_ROW_INSERT)
            rc = bl_put_image(b, r, cols, r->before_present, r->rows[k].before, err);
        if (rc == REPL_OK && r->action != THL_ROW_DELETE)
            rc = bl_put_image(b, r, cols, r->after_present, r->rows[k].after, err);
    }
    bl_event_end(b, at);
    return rc;
}

int apl_binlog_encode(repl_buf *out, const thl_rows *r, uint32_t first, uint32_t count,
                      uint32_t server_id, uint32_t timestamp, repl_error *err)
{
    bl_col *cols = repl_calloc((size_t)r->ncols + 1, sizeof(bl_col));
    int rc;
    for (uint32_t i = 0; i < r->ncols; i++)
        bl_col_from(&cols[i], &r->cols[i]);
    rc = bl_table_map(out, r, cols, server_id, timestamp, err);
    if (rc == REPL_OK)
        rc = bl_rows_event(out, r, cols, first, count, server_id, timestamp, err);
    repl_free(cols);
    return rc;
}

/* ---- statements ---------------------------------------------------------------------------------
 */

static void bl_base64(repl_buf *out, const uint8_t *p, size_t len)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    repl_buf_reserve(out, (len + 2) / 3 * 4);
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        size_t n = len - i < 3 ? len - i : 3;
        if (n > 1)
            v |= (uint32_t)p[i + 1] << 8;
        if (n > 2)
            v |= p[i + 2];
        repl_buf_put_u8(out, (uint8_t)tab[(v >> 18) & 63]);
        repl_buf_put_u8(out, (uint8_t)tab[(v >> 12) & 63]);
        repl_buf_put_u8(out, n > 1 ? (uint8_t)tab[(v >> 6) & 63] : (uint8_t)'=');
        repl_buf_put_u8(out, n > 2 ? (uint8_t)tab[v & 63] : (uint8_t)'=');
    }
}

static int bl_send(apl_applier *a, const repl_buf *events, uint32_t first, repl_error *err)
{
    repl_buf_clear(&a->sql);
    repl_buf_printf(&a->sql, "BINLOG '");
    bl_base64(&a->sql, events->data, events->len);
    repl_buf_put_u8(&a->sql, '\'');
    a->stats.binlog_stmts++;
    if (mysql_real_query(a->conn, (const char *)a->sql.data, (unsigned long)a->sql.len) == 0)
        return REPL_OK;
    if (apl_recovery_tolerates(a, mysql_errno(a->conn))) {
        REPL_LOG_WARN(APL_LOG,
                      "seqno=%" PRIu64 " recovery: BINLOG row %u: error %u taken as "
                      "already applied",
                      a->cur_ev->seqno, first, mysql_errno(a->conn));
        return REPL_OK;
    }
    apl_fail_server(a, NULL, (const char *)a->sql.data, a->sql.len, err);
    return repl_error_wrap(err, "apply: BINLOG statement (rows from %u)", first);
}

static int bl_send_fde(apl_applier *a, repl_error *err)
{
    repl_buf ev;
    int rc;
    if (a->fde_sent)
        return REPL_OK;
    repl_buf_init(&ev);
    bl_fde(&ev, (uint32_t)a->server_id);
    rc = bl_send(a, &ev, 0, err);
    repl_buf_dispose(&ev);
    a->fde_sent = rc == REPL_OK;
    return rc;
}

/* A row's encoded size, roughly: its strings plus a few bytes per value. */
static size_t bl_row_bytes(const thl_rows *r, const thl_row *row)
{
    const thl_value *img[2] = { row->before, row->after };
    size_t bytes = 0;
    for (int k = 0; k < 2; k++) {
        for (uint32_t i = 0; img[k] != NULL && i < r->ncols; i++) {
            int is_bytes = img[k][i].kind == THL_VAL_STRING || img[k][i].kind == THL_VAL_BYTES;
            bytes += 9 + (is_bytes ? img[k][i].v.bytes.len : 0);
        }
    }
    return bytes;
}

/* Rows in the next chunk from row first: bounded by encoded bytes; 1 while recovering. */
static uint32_t bl_chunk(const apl_applier *a, const thl_rows *r, uint32_t first)
{
    size_t bytes = 0;
    uint32_t n = 0;
    if (a->recovering)
        return 1;
    while (first + n < r->nrows && bytes < BL_CHUNK_BYTES) {
        bytes += bl_row_bytes(r, &r->rows[first + n]);
        n++;
    }
    return n;
}

int apl_binlog_rows(apl_applier *a, const thl_rows *rows, repl_error *err)
{
    uint32_t ts = (uint32_t)(a->cur_ev->source_tstamp_us / 1000000);
    uint32_t first = 0, n;
    repl_buf ev;
    int rc = bl_send_fde(a, err);
    repl_buf_init(&ev);
    while (rc == REPL_OK && first < rows->nrows) {
        n = bl_chunk(a, rows, first);
        repl_buf_clear(&ev);
        rc = apl_binlog_encode(&ev, rows, first, n, (uint32_t)a->server_id, ts, err);
        if (rc == REPL_OK)
            rc = bl_send(a, &ev, first, err);
        else
            apl_fail_set(a, 0, "", 0, err->msg);
        first += n;
    }
    repl_buf_dispose(&ev);
    return rc;
}
