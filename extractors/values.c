/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extractors/values.c - decode one column value of a binlog row image into a thl_value, following
 * the plan compiled from the TABLE_MAP: integers, floats, packed DECIMAL, BIT, ENUM/SET, old and
 * MySQL 5.6 temporals, strings, blobs, MySQL binary JSON and MariaDB compressed columns. Every
 * read is bounds-checked; byte values are copied into the event's arena; nothing is allocated per
 * value except there. Formats: MariaDB sql/log_event_client.cc, sql/compat56.cc,
 * sql/field_comp.cc. */
#include "extractors/values_int.h"

#include <stdio.h>
#include <string.h>

#include "extractors/binlog_types.h"
#include "extractors/json_binary.h"

static const uint8_t dec_dig2bytes[10] = { 0, 1, 1, 2, 2, 3, 3, 4, 4, 4 };
static const uint32_t dec_pow10[10] = { 1,      10,      100,      1000,      10000,
                                        100000, 1000000, 10000000, 100000000, 1000000000 };

#define TIME_INT_OFS     0x800000LL
#define TIME_OFS         0x800000000000LL
#define DATETIME_INT_OFS 0x8000000000LL
#define PACKED_FRAC      (1LL << 24)

/* ---- type names ------------------------------------------------------------------------------ */

const char *ext_col_type_name(unsigned type)
{
    static const char *const low[] = { "DECIMAL",    "TINY", "SHORT",      "LONG",      "FLOAT",
                                       "DOUBLE",     "NULL", "TIMESTAMP",  "LONGLONG",  "INT24",
                                       "DATE",       "TIME", "DATETIME",   "YEAR",      "NEWDATE",
                                       "VARCHAR",    "BIT",  "TIMESTAMP2", "DATETIME2", "TIME2",
                                       "TYPED_ARRAY" };
    static const char *const high[] = { "VECTOR",      "UNKNOWN",   "UNKNOWN", "JSON",
                                        "NEWDECIMAL",  "ENUM",      "SET",     "TINY_BLOB",
                                        "MEDIUM_BLOB", "LONG_BLOB", "BLOB",    "VAR_STRING",
                                        "STRING",      "GEOMETRY" };
    if (type < sizeof(low) / sizeof(low[0]))
        return low[type];
    if (type == EXT_COL_MARIA_BLOB_COMPRESSED)
        return "BLOB_COMPRESSED";
    if (type == EXT_COL_MARIA_VARCHAR_COMPRESSED)
        return "VARCHAR_COMPRESSED";
    if (type >= EXT_COL_VECTOR && type <= EXT_COL_GEOMETRY)
        return high[type - EXT_COL_VECTOR];
    return "UNKNOWN";
}

/* ---- context --------------------------------------------------------------------------------- */

void ext_val_ctx_init(ext_val_ctx *ctx, thl_event *ev)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->ev = ev;
    repl_buf_init(&ctx->scratch);
}

void ext_val_ctx_dispose(ext_val_ctx *ctx)
{
    repl_buf_dispose(&ctx->scratch);
    if (ctx->zs_ready)
        inflateEnd(&ctx->zs);
    ctx->zs_ready = 0;
}

static int val_fail(ext_val_ctx *ctx, const char *reason)
{
    snprintf(ctx->reason, sizeof(ctx->reason), "%s", reason);
    return REPL_ERR_CORRUPT;
}

static const uint8_t *val_take(ext_val_ctx *ctx, repl_rd *rd, size_t n)
{
    const uint8_t *p = rd_take(rd, n);
    if (p == NULL)
        val_fail(ctx, "truncated value");
    return p;
}

/* ---- byte helpers ---------------------------------------------------------------------------- */

static uint64_t get_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = n; i > 0; i--)
        v = (v << 8) | p[i - 1];
    return v;
}

static uint64_t get_be(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/* Sign-extend the low nbytes*8 bits of v. */
static int64_t sign_extend(uint64_t v, unsigned nbytes)
{
    unsigned bits = nbytes * 8;
    if (bits < 64 && ((v >> (bits - 1)) & 1))
        v |= ~(uint64_t)0 << bits;
    return (int64_t)v;
}

/* ---- DECIMAL --------------------------------------------------------------------------------- */

size_t ext_decimal_bin_size(unsigned precision, unsigned scale)
{
    unsigned intg = precision - scale;
    return (size_t)(intg / 9) * 4 + dec_dig2bytes[intg % 9] + (size_t)(scale / 9) * 4 +
           dec_dig2bytes[scale % 9];
}

/* Write v as exactly ndigits decimal digits. */
static char *put_digits(char *o, uint32_t v, unsigned ndigits)
{
    for (unsigned i = ndigits; i > 0; i--) {
        o[i - 1] = (char)('0' + v % 10);
        v /= 10;
    }
    return o + ndigits;
}

/* Read one digit group of ndigits (1..9) from b (already sign-normalised); -1 if out of range. */
static int64_t dec_group(const uint8_t *b, size_t *pos, unsigned ndigits)
{
    unsigned nbytes = dec_dig2bytes[ndigits];
    uint64_t v = get_be(b + *pos, nbytes);
    *pos += nbytes;
    if (v >= dec_pow10[ndigits])
        return -1;
    return (int64_t)v;
}

/* Integer part digits of a normalised packed decimal into o, leading zeros removed ("0" if none).
 */
static char *dec_int_part(char *o, const uint8_t *b, size_t *pos, unsigned intg)
{
    char *start = o;
    int64_t v;
    if (intg % 9) {
        v = dec_group(b, pos, intg % 9);
        if (v < 0)
            return NULL;
        o = put_digits(o, (uint32_t)v, intg % 9);
    }
    for (unsigned i = 0; i < intg / 9; i++) {
        v = dec_group(b, pos, 9);
        if (v < 0)
            return NULL;
        o = put_digits(o, (uint32_t)v, 9);
    }
    char *nz = start;
    while (nz < o - 1 && *nz == '0')
        nz++;
    if (o == start) {
        *o++ = '0';
        return o;
    }
    memmove(start, nz, (size_t)(o - nz));
    return start + (o - nz);
}

int ext_decimal_to_text(char *out, const uint8_t *bin, unsigned precision, unsigned scale)
{
    uint8_t b[40];
    size_t size = ext_decimal_bin_size(precision, scale);
    size_t pos = 0;
    char *o = out;
    if (size == 0 || size > sizeof(b) || scale > precision)
        return -1;
    memcpy(b, bin, size);
    uint8_t mask = (b[0] & 0x80) ? 0 : 0xff;
    b[0] ^= 0x80;
    for (size_t i = 0; i < size; i++)
        b[i] ^= mask;
    if (mask)
        *o++ = '-';
    o = dec_int_part(o, b, &pos, precision - scale);
    if (o == NULL)
        return -1;
    if (scale > 0) {
        *o++ = '.';
        for (unsigned i = 0; i < scale / 9; i++) {
            int64_t v = dec_group(b, &pos, 9);
            if (v < 0)
                return -1;
            o = put_digits(o, (uint32_t)v, 9);
        }
        if (scale % 9) {
            int64_t v = dec_group(b, &pos, scale % 9);
            if (v < 0)
                return -1;
            o = put_digits(o, (uint32_t)v, scale % 9);
        }
    }
    *o = '\0';
    return (int)(o - out);
}

/* ---- packed temporals (compat56.cc) ---------------------------------------------------------- */

void ext_time_from_packed(thl_temporal *t, int64_t packed)
{
    uint64_t v;
    memset(t, 0, sizeof(*t));
    t->neg = packed < 0;
    v = packed < 0 ? (uint64_t)0 - (uint64_t)packed : (uint64_t)packed;
    uint64_t hms = v >> 24;
    t->hour = (uint32_t)((hms >> 12) % (1u << 10));
    t->minute = (uint8_t)((hms >> 6) % (1u << 6));
    t->second = (uint8_t)(hms % (1u << 6));
    t->usec = (uint32_t)(v % (uint64_t)PACKED_FRAC);
}

void ext_datetime_from_packed(thl_temporal *t, int64_t packed)
{
    uint64_t v;
    memset(t, 0, sizeof(*t));
    t->neg = packed < 0;
    v = packed < 0 ? (uint64_t)0 - (uint64_t)packed : (uint64_t)packed;
    uint64_t ymdhms = v >> 24;
    uint64_t ymd = ymdhms >> 17;
    uint64_t ym = ymd >> 5;
    uint64_t hms = ymdhms % (1u << 17);
    t->usec = (uint32_t)(v % (uint64_t)PACKED_FRAC);
    t->day = (uint8_t)(ymd % (1u << 5));
    t->month = (uint8_t)(ym % 13);
    t->year = (uint16_t)(ym / 13 > 65535 ? 65535 : ym / 13);
    t->second = (uint8_t)(hms % (1u << 6));
    t->minute = (uint8_t)((hms >> 6) % (1u << 6));
    t->hour = (uint32_t)(hms >> 12);
}

static int64_t time2_packed(const uint8_t *b, unsigned fsp)
{
    int64_t intpart = (int64_t)get_be(b, 3) - TIME_INT_OFS;
    int64_t frac;
    switch (fsp) {
    case 1:
    case 2:
        frac = b[3];
        if (intpart < 0 && frac != 0) {
            intpart++;
            frac -= 0x100;
        }
        return intpart * PACKED_FRAC + frac * 10000;
    case 3:
    case 4:
        frac = (int64_t)get_be(b + 3, 2);
        if (intpart < 0 && frac != 0) {
            intpart++;
            frac -= 0x10000;
        }
        return intpart * PACKED_FRAC + frac * 100;
    case 5:
    case 6:
        return (int64_t)get_be(b, 6) - TIME_OFS;
    default:
        return intpart * PACKED_FRAC;
    }
}

static int64_t datetime2_packed(const uint8_t *b, unsigned fsp)
{
    int64_t intpart = (int64_t)get_be(b, 5) - DATETIME_INT_OFS;
    int64_t frac = 0;
    if (fsp == 1 || fsp == 2)
        frac = (int64_t)(int8_t)b[5] * 10000;
    else if (fsp == 3 || fsp == 4)
        frac = sign_extend(get_be(b + 5, 2), 2) * 100;
    else if (fsp == 5 || fsp == 6)
        frac = sign_extend(get_be(b + 5, 3), 3);
    return intpart * PACKED_FRAC + frac;
}

static int datetime_valid(const thl_temporal *t)
{
    return t->year <= 9999 && t->month <= 12 && t->day <= 31 && t->hour <= 23 && t->minute <= 59 &&
           t->second <= 59 && t->usec <= 999999;
}

/* ---- per-kind decoders ----------------------------------------------------------------------- */

static int dec_int(const ext_col_plan *p, repl_rd *rd, thl_value *out, ext_val_ctx *ctx)
{
    const uint8_t *b = val_take(ctx, rd, p->width);
    if (b == NULL)
        return REPL_ERR_CORRUPT;
    uint64_t u = get_le(b, p->width);
    if (p->is_unsigned) {
        out->kind = THL_VAL_UINT;
        out->v.u = u;
    } else {
        out->kind = THL_VAL_INT;
        out->v.i = sign_extend(u, p->width);
    }
    return REPL_OK;
}

static int dec_float(const ext_col_plan *p, repl_rd *rd, thl_value *out, ext_val_ctx *ctx)
{
    const uint8_t *b = val_take(ctx, rd, p->width);
    if (b == NULL)
        return REPL_ERR_CORRUPT;
    uint64_t u = get_le(b, p->width);
    if (p->kind == EXT_DEC_FLOAT) {
        uint32_t u32 = (uint32_t)u;
        out->kind = THL_VAL_FLOAT;
        memcpy(&out->v.f, &u32, sizeof(u32));
    } else {
        out->kind = THL_VAL_DOUBLE;
        memcpy(&out->v.d, &u, sizeof(u));
    }
    return REPL_OK;
}

static int dec_small(const ext_col_plan *p, repl_rd *rd, thl_value *out, ext_val_ctx *ctx)
{
    const uint8_t *b = val_take(ctx, rd, p->width);
    if (b == NULL)
        return REPL_ERR_CORRUPT;
    switch (p->kind) {
    case EXT_DEC_YEAR:
        out->kind = THL_VAL_INT;
        out->v.i = b[0] == 0 ? 0 : 1900 + b[0];
        break;
    case EXT_DEC_BIT:
        out->kind = THL_VAL_BIT;
        out->v.u = get_be(b, p->width);
        break;
    case EXT_DEC_ENUM:
        out->kind = THL_VAL_ENUM;
        out->v.u = get_le(b, p->width);
        break;
    default: /* EXT_DEC_SET */
        out->kind = THL_VAL_SET;
        out->v.u = get_le(b, p->width);
        break;
    }
    return REPL_OK;
}

static int dec_decimal(const ext_col_plan *p, repl_rd *rd, thl_value *out, ext_val_ctx *ctx)
{
    char text[EXT_DECIMAL_TEXT_MAX];
    const uint8_t *b = val_take(ctx, rd, p->bin_size);
    if (b == NULL)
        return REPL_ERR_CORRUPT;
    int n = ext_decimal_to_text(text, b, p->precision, p->scale);
    if (n < 0)
        return val_fail(ctx, "bad decimal digit group");
    thl_value_set_bytes(ctx->ev, out, THL_VAL_DECIMAL, text, (size_t)n);
    return REPL_OK;
}

static int dec_date(const uint8_t *b, thl_value *out, ext_val_ctx *ctx)
{
    uint32_t v = (uint32_t)get_le(b, 3);
    memset(&out->v.t, 0, sizeof(out->v.t));
    out->kind = THL_VAL_DATE;
    out->v.t.day = (uint8_t)(v & 31);
    out->v.t.month = (uint8_t)((v >> 5) & 15);
    out->v.t.year = (uint16_t)(v >> 9);
    if (out->v.t.month > 12 || out->v.t.year > 9999)
        return val_fail(ctx, "bad DATE value");
    return REPL_OK;
}

static int dec_time_old(const uint8_t *b, thl_value *out, ext_val_ctx *ctx)
{
    int64_t v = sign_extend(get_le(b, 3), 3);
    uint32_t a = (uint32_t)(v < 0 ? -v : v);
    memset(&out->v.t, 0, sizeof(out->v.t));
    out->kind = THL_VAL_TIME;
    out->v.t.neg = v < 0;
    out->v.t.hour = a / 10000;
    out->v.t.minute = (uint8_t)(a / 100 % 100);
    out->v.t.second = (uint8_t)(a % 100);
    if (out->v.t.minute > 59 || out->v.t.second > 59)
        return val_fail(ctx, "bad TIME value");
    return REPL_OK;
}

static int dec_datetime_old(const uint8_t *b, thl_value *out, ext_val_ctx *ctx)
{
    uint64_t v = get_le(b, 8);
    uint64_t d = v / 1000000;
    uint64_t t = v % 1000000;
    thl_temporal *tm = &out->v.t;
    if (d / 10000 > 9999)
        return val_fail(ctx, "bad DATETIME value");
    memset(tm, 0, sizeof(*tm));
    out->kind = THL_VAL_DATETIME;
    tm->year = (uint16_t)(d / 10000);
    tm->month = (uint8_t)(d % 10000 / 100);
    tm->day = (uint8_t)(d % 100);
    tm->hour = (uint32_t)(t / 10000);
    tm->minute = (uint8_t)(t % 10000 / 100);
    tm->second = (uint8_t)(t % 100);
    if (!datetime_valid(tm))
        return val_fail(ctx, "bad DATETIME value");
    return REPL_OK;
}

static int dec_timestamp2(const uint8_t *b, unsigned fsp, thl_value *out, ext_val_ctx *ctx)
{
    int64_t usec = 0;
    if (fsp == 1 || fsp == 2)
        usec = (int64_t)b[4] * 10000;
    else if (fsp == 3 || fsp == 4)
        usec = sign_extend(get_be(b + 4, 2), 2) * 100;
    else if (fsp == 5 || fsp == 6)
        usec = sign_extend(get_be(b + 4, 3), 3);
    if (usec < 0 || usec > 999999)
        return val_fail(ctx, "bad TIMESTAMP fraction");
    out->kind = THL_VAL_TIMESTAMP;
    out->v.ts.sec = (int64_t)get_be(b, 4);
    out->v.ts.usec = (uint32_t)usec;
    return REPL_OK;
}

static int dec_datetime2(const uint8_t *b, unsigned fsp, thl_value *out, ext_val_ctx *ctx)
{
    int64_t packed = datetime2_packed(b, fsp);
    out->kind = THL_VAL_DATETIME;
    ext_datetime_from_packed(&out->v.t, packed);
    if (packed < 0 || !datetime_valid(&out->v.t))
        return val_fail(ctx, "bad DATETIME value");
    return REPL_OK;
}

static int dec_temporal(const ext_col_plan *p, repl_rd *rd, thl_value *out, ext_val_ctx *ctx)
{
    const uint8_t *b = val_take(ctx, rd, p->width);
    if (b == NULL)
        return REPL_ERR_CORRUPT;
    switch (p->kind) {
    case EXT_DEC_DATE:
        return dec_date(b, out, ctx);
    case EXT_DEC_TIME_OLD:
        return dec_time_old(b, out, ctx);
    case EXT_DEC_DATETIME_OLD:
        return dec_datetime_old(b, out, ctx);
    case EXT_DEC_TIMESTAMP_OLD:
        out->kind = THL_VAL_TIMESTAMP;
        out->v.ts.sec = (int64_t)get_le(b, 4);
        out->v.ts.usec = 0;
        return REPL_OK;
    case EXT_DEC_TIMESTAMP2:
        return dec_timestamp2(b, p->scale, out, ctx);
    case EXT_DEC_TIME2:
        out->kind = THL_VAL_TIME;
        ext_time_from_packed(&out->v.t, time2_packed(b, p->scale));
        if (out->v.t.minute > 59 || out->v.t.second > 59 || out->v.t.usec > 999999)
            return val_fail(ctx, "bad TIME value");
        return REPL_OK;
    default: /* EXT_DEC_DATETIME2 */
        return dec_datetime2(b, p->scale, out, ctx);
    }
}

/* ---- strings, blobs, JSON, compressed -------------------------------------------------------- */

/* Read a width-byte LE length and the bytes it announces. */
static const uint8_t *take_prefixed(const ext_col_plan *p, repl_rd *rd, size_t *len,
                                    ext_val_ctx *ctx)
{
    const uint8_t *b = val_take(ctx, rd, p->width);
    if (b == NULL)
        return NULL;
    *len = (size_t)get_le(b, p->width);
    if (rd_left(rd) < *len) {
        val_fail(ctx, "value length past the end of the event");
        rd->bad = 1;
        return NULL;
    }
    return rd_take(rd, *len);
}

static int dec_bytes(const ext_col_plan *p, repl_rd *rd, thl_value *out, ext_val_ctx *ctx)
{
    size_t len = 0;
    const uint8_t *b = take_prefixed(p, rd, &len, ctx);
    if (b == NULL)
        return REPL_ERR_CORRUPT;
    thl_value_set_bytes(ctx->ev, out, (thl_value_kind)p->out_kind, b, len);
    return REPL_OK;
}

static int dec_json(const ext_col_plan *p, repl_rd *rd, thl_value *out, ext_val_ctx *ctx)
{
    repl_error jerr;
    size_t len = 0;
    const uint8_t *b = take_prefixed(p, rd, &len, ctx);
    if (b == NULL)
        return REPL_ERR_CORRUPT;
    repl_buf_clear(&ctx->scratch);
    if (ext_json_binary_to_text(&ctx->scratch, b, len, &jerr) != REPL_OK)
        return val_fail(ctx, jerr.msg);
    thl_value_set_bytes(ctx->ev, out, THL_VAL_STRING, ctx->scratch.data, ctx->scratch.len);
    return REPL_OK;
}

static int zlib_ready(ext_val_ctx *ctx, int raw)
{
    int wbits = raw ? -MAX_WBITS : MAX_WBITS;
    if (!ctx->zs_ready) {
        memset(&ctx->zs, 0, sizeof(ctx->zs));
        if (inflateInit2(&ctx->zs, wbits) != Z_OK)
            return val_fail(ctx, "zlib: inflateInit2 failed");
        ctx->zs_ready = 1;
        return REPL_OK;
    }
    if (inflateReset2(&ctx->zs, wbits) != Z_OK)
        return val_fail(ctx, "zlib: inflateReset2 failed");
    return REPL_OK;
}

/* Inflate a zlib-method payload (after the header byte) of a compressed column, field_comp.cc. */
static int inflate_column(const ext_col_plan *p, const uint8_t *b, size_t len, uint8_t hdr,
                          thl_value *out, ext_val_ctx *ctx)
{
    unsigned plen = hdr & 7;
    if (len < plen)
        return val_fail(ctx, "compressed value: truncated length header");
    uint64_t orig = get_be(b, plen);
    /* deflate cannot expand more than 1032:1; a larger claim is a corrupt header */
    if (orig > p->max_len || orig > (uint64_t)len * 1032 + 64)
        return val_fail(ctx, "compressed value: original length out of range");
    if (zlib_ready(ctx, (hdr & 8) != 0) != REPL_OK)
        return REPL_ERR_CORRUPT;
    uint8_t *dst = thl_event_alloc(ctx->ev, (size_t)orig + 1);
    ctx->zs.next_in = (Bytef *)(uintptr_t)(b + plen);
    ctx->zs.avail_in = (uInt)(len - plen);
    ctx->zs.next_out = dst;
    ctx->zs.avail_out = (uInt)orig;
    if (inflate(&ctx->zs, Z_FINISH) != Z_STREAM_END)
        return val_fail(ctx, "compressed value: bad zlib stream");
    out->kind = p->out_kind;
    out->v.bytes.ptr = ctx->zs.total_out > 0 ? dst : NULL;
    out->v.bytes.len = ctx->zs.total_out;
    return REPL_OK;
}

static int dec_compressed(const ext_col_plan *p, repl_rd *rd, thl_value *out, ext_val_ctx *ctx)
{
    size_t len = 0;
    const uint8_t *b = take_prefixed(p, rd, &len, ctx);
    if (b == NULL)
        return REPL_ERR_CORRUPT;
    if (len == 0) {
        thl_value_set_bytes(ctx->ev, out, (thl_value_kind)p->out_kind, NULL, 0);
        return REPL_OK;
    }
    uint8_t hdr = b[0];
    if ((hdr >> 4) == 0) { /* stored uncompressed */
        thl_value_set_bytes(ctx->ev, out, (thl_value_kind)p->out_kind, b + 1, len - 1);
        return REPL_OK;
    }
    if ((hdr >> 4) != 8) {
        snprintf(ctx->reason, sizeof(ctx->reason),
                 "compressed value: unknown compression method %u", hdr >> 4);
        return REPL_ERR_CORRUPT;
    }
    return inflate_column(p, b + 1, len - 1, hdr, out, ctx);
}

int ext_value_decode(const ext_col_plan *plan, repl_rd *rd, thl_value *out, ext_val_ctx *ctx)
{
    switch (plan->kind) {
    case EXT_DEC_INT:
        return dec_int(plan, rd, out, ctx);
    case EXT_DEC_FLOAT:
    case EXT_DEC_DOUBLE:
        return dec_float(plan, rd, out, ctx);
    case EXT_DEC_YEAR:
    case EXT_DEC_BIT:
    case EXT_DEC_ENUM:
    case EXT_DEC_SET:
        return dec_small(plan, rd, out, ctx);
    case EXT_DEC_DECIMAL:
        return dec_decimal(plan, rd, out, ctx);
    case EXT_DEC_DATE:
    case EXT_DEC_TIME_OLD:
    case EXT_DEC_TIME2:
    case EXT_DEC_DATETIME_OLD:
    case EXT_DEC_DATETIME2:
    case EXT_DEC_TIMESTAMP_OLD:
    case EXT_DEC_TIMESTAMP2:
        return dec_temporal(plan, rd, out, ctx);
    case EXT_DEC_STRING:
    case EXT_DEC_BLOB:
        return dec_bytes(plan, rd, out, ctx);
    case EXT_DEC_JSON:
        return dec_json(plan, rd, out, ctx);
    case EXT_DEC_COMPRESSED:
        return dec_compressed(plan, rd, out, ctx);
    default:
        return val_fail(ctx, "unsupported column type (no decoder for its values)");
    }
}

/* ---- plan compilation ------------------------------------------------------------------------ */

static int plan_fail(char *reason, size_t reason_len, const char *what, unsigned meta)
{
    snprintf(reason, reason_len, "%s (meta %u)", what, meta);
    return REPL_ERR_CORRUPT;
}

static uint32_t prefix_max(unsigned width)
{
    return width >= 4 ? UINT32_MAX : (uint32_t)((1ull << (8 * width)) - 1);
}

/* Byte-ish values are text unless the column is binary; BLOB and compressed BLOB need a known
 * charset to be text (a TEXT cannot be told from a BLOB without optional metadata). */
static uint8_t text_or_bytes(const thl_column *col, int need_known)
{
    if (col->charset == 63 || (need_known && col->charset == 0))
        return THL_VAL_BYTES;
    return THL_VAL_STRING;
}

static int plan_fixed(ext_col_plan *p, uint8_t kind, unsigned width)
{
    p->kind = kind;
    p->width = (uint8_t)width;
    return REPL_OK;
}

static int plan_temporal2(ext_col_plan *p, const thl_column *col, uint8_t kind, unsigned base,
                          char *reason, size_t reason_len)
{
    if (col->meta > 6)
        return plan_fail(reason, reason_len, "fractional seconds precision above 6", col->meta);
    p->scale = (uint8_t)col->meta;
    return plan_fixed(p, kind, base + (col->meta + 1u) / 2);
}

static int plan_decimal(ext_col_plan *p, const thl_column *col, char *reason, size_t reason_len)
{
    unsigned prec = col->meta >> 8;
    unsigned scale = col->meta & 0xff;
    if (prec == 0 || prec > 65 || scale > 30 || scale > prec)
        return plan_fail(reason, reason_len, "bad DECIMAL precision/scale", col->meta);
    p->kind = EXT_DEC_DECIMAL;
    p->precision = (uint8_t)prec;
    p->scale = (uint8_t)scale;
    p->bin_size = (uint16_t)ext_decimal_bin_size(prec, scale);
    return REPL_OK;
}

static int plan_bits(ext_col_plan *p, const thl_column *col, char *reason, size_t reason_len)
{
    unsigned w;
    if (col->type == EXT_COL_BIT) {
        unsigned nbits = (col->meta >> 8) * 8 + (col->meta & 0xff);
        if ((col->meta & 0xff) > 7 || nbits == 0 || nbits > 64)
            return plan_fail(reason, reason_len, "bad BIT length", col->meta);
        return plan_fixed(p, EXT_DEC_BIT, (nbits + 7) / 8);
    }
    w = col->meta & 0xff;
    if (col->type == EXT_COL_ENUM) {
        if (w != 1 && w != 2)
            return plan_fail(reason, reason_len, "bad ENUM pack length", col->meta);
        return plan_fixed(p, EXT_DEC_ENUM, w);
    }
    if (w < 1 || w > 8)
        return plan_fail(reason, reason_len, "bad SET pack length", col->meta);
    return plan_fixed(p, EXT_DEC_SET, w);
}

static int plan_blob(ext_col_plan *p, const thl_column *col, uint8_t kind, uint8_t out_kind,
                     char *reason, size_t reason_len)
{
    if (col->meta < 1 || col->meta > 4)
        return plan_fail(reason, reason_len, "bad length-prefix size", col->meta);
    p->kind = kind;
    p->width = (uint8_t)col->meta;
    p->out_kind = out_kind;
    p->max_len = prefix_max(col->meta);
    return REPL_OK;
}

static int plan_string(ext_col_plan *p, const thl_column *col, uint8_t kind, uint32_t maxbytes)
{
    p->kind = kind;
    p->width = maxbytes < 256 ? 1 : 2;
    p->out_kind = text_or_bytes(col, 0);
    p->max_len = maxbytes;
    return REPL_OK;
}

static int plan_numeric(ext_col_plan *p, const thl_column *col)
{
    static const uint8_t widths[] = { 0, 1, 2, 4, 0, 0, 0, 0, 8, 3 };
    if (col->type == EXT_COL_FLOAT)
        return plan_fixed(p, EXT_DEC_FLOAT, 4);
    if (col->type == EXT_COL_DOUBLE)
        return plan_fixed(p, EXT_DEC_DOUBLE, 8);
    p->is_unsigned = (col->flags & THL_COL_UNSIGNED) != 0;
    return plan_fixed(p, EXT_DEC_INT, widths[col->type]);
}

static int plan_temporal(ext_col_plan *p, const thl_column *col, char *reason, size_t reason_len)
{
    switch (col->type) {
    case EXT_COL_DATE:
    case EXT_COL_NEWDATE:
        return plan_fixed(p, EXT_DEC_DATE, 3);
    case EXT_COL_TIME:
        return plan_fixed(p, EXT_DEC_TIME_OLD, 3);
    case EXT_COL_DATETIME:
        return plan_fixed(p, EXT_DEC_DATETIME_OLD, 8);
    case EXT_COL_TIMESTAMP:
        return plan_fixed(p, EXT_DEC_TIMESTAMP_OLD, 4);
    case EXT_COL_TIME2:
        return plan_temporal2(p, col, EXT_DEC_TIME2, 3, reason, reason_len);
    case EXT_COL_DATETIME2:
        return plan_temporal2(p, col, EXT_DEC_DATETIME2, 5, reason, reason_len);
    default: /* EXT_COL_TIMESTAMP2 */
        return plan_temporal2(p, col, EXT_DEC_TIMESTAMP2, 4, reason, reason_len);
    }
}

static int plan_bytes(ext_col_plan *p, const thl_column *col, char *reason, size_t reason_len)
{
    switch (col->type) {
    case EXT_COL_VARCHAR:
    case EXT_COL_VAR_STRING:
        return plan_string(p, col, EXT_DEC_STRING, col->meta);
    case EXT_COL_STRING:
        return plan_string(p, col, EXT_DEC_STRING, col->length);
    case EXT_COL_MARIA_VARCHAR_COMPRESSED:
        if (col->meta < 1)
            return plan_fail(reason, reason_len, "bad VARCHAR COMPRESSED length", col->meta);
        plan_string(p, col, EXT_DEC_COMPRESSED, col->meta);
        p->max_len = col->meta - 1u;
        return REPL_OK;
    case EXT_COL_BLOB:
        return plan_blob(p, col, EXT_DEC_BLOB, text_or_bytes(col, 1), reason, reason_len);
    case EXT_COL_MARIA_BLOB_COMPRESSED:
        return plan_blob(p, col, EXT_DEC_COMPRESSED, text_or_bytes(col, 1), reason, reason_len);
    case EXT_COL_JSON:
        return plan_blob(p, col, EXT_DEC_JSON, THL_VAL_STRING, reason, reason_len);
    default: /* GEOMETRY, VECTOR */
        return plan_blob(p, col, EXT_DEC_BLOB, THL_VAL_BYTES, reason, reason_len);
    }
}

int ext_plan_compile(ext_col_plan *plan, const thl_column *col, char *reason, size_t reason_len)
{
    memset(plan, 0, sizeof(*plan));
    switch (col->type) {
    case EXT_COL_TINY:
    case EXT_COL_SHORT:
    case EXT_COL_INT24:
    case EXT_COL_LONG:
    case EXT_COL_LONGLONG:
    case EXT_COL_FLOAT:
    case EXT_COL_DOUBLE:
        return plan_numeric(plan, col);
    case EXT_COL_YEAR:
        return plan_fixed(plan, EXT_DEC_YEAR, 1);
    case EXT_COL_NEWDECIMAL:
        return plan_decimal(plan, col, reason, reason_len);
    case EXT_COL_BIT:
    case EXT_COL_ENUM:
    case EXT_COL_SET:
        return plan_bits(plan, col, reason, reason_len);
    case EXT_COL_DATE:
    case EXT_COL_NEWDATE:
    case EXT_COL_TIME:
    case EXT_COL_TIME2:
    case EXT_COL_DATETIME:
    case EXT_COL_DATETIME2:
    case EXT_COL_TIMESTAMP:
    case EXT_COL_TIMESTAMP2:
        return plan_temporal(plan, col, reason, reason_len);
    case EXT_COL_VARCHAR:
    case EXT_COL_VAR_STRING:
    case EXT_COL_STRING:
    case EXT_COL_MARIA_VARCHAR_COMPRESSED:
    case EXT_COL_BLOB:
    case EXT_COL_MARIA_BLOB_COMPRESSED:
    case EXT_COL_JSON:
    case EXT_COL_GEOMETRY:
    case EXT_COL_VECTOR:
        return plan_bytes(plan, col, reason, reason_len);
    default: /* old DECIMAL, NULL, TYPED_ARRAY: only NULL values can be decoded */
        plan->kind = EXT_DEC_UNSUPPORTED;
        return REPL_OK;
    }
}
