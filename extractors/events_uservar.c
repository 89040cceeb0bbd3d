/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extractors/events_uservar.c - USER_VAR_EVENT (a user variable a statement-based event reads:
 * name, NULL flag, type, charset, value, optional flags byte) and the text form of MySQL's binary
 * DECIMAL, which user variables of type DECIMAL carry after a precision and a scale byte. Layout:
 * MariaDB log_event.cc User_var_log_event, MySQL statement_events.cpp User_var_event. */
#include "extractors/binlog_int.h"

#include <stdio.h>
#include <string.h>

static const unsigned dig2bytes[10] = { 0, 1, 1, 2, 2, 3, 3, 4, 4, 4 };
static const uint32_t pow10_9[10] = { 1,      10,      100,      1000,      10000,
                                      100000, 1000000, 10000000, 100000000, 1000000000 };

/* Read one group of n bytes (big-endian, bytes XORed with mask) holding at most digits digits. */
static int decimal_group(repl_rd *rd, unsigned n, uint8_t mask, unsigned digits, uint32_t *out)
{
    uint32_t v = 0;
    const uint8_t *p = rd_take(rd, n);
    if (p == NULL)
        return 0;
    for (unsigned i = 0; i < n; i++)
        v = (v << 8) | (uint8_t)(p[i] ^ mask);
    *out = v;
    return v < pow10_9[digits];
}

static size_t decimal_bin_size(unsigned precision, unsigned scale)
{
    unsigned intg = precision - scale;
    return (intg / 9) * 4 + dig2bytes[intg % 9] + (scale / 9) * 4 + dig2bytes[scale % 9];
}

/* Appends the digits of groups (a leftover group of lead digits first when lead_first) to out. */
static int decimal_digits(repl_rd *rd, uint8_t mask, unsigned full, unsigned part, int part_first,
                          char *out, size_t *pos)
{
    uint32_t v;
    if (part_first && part > 0) {
        if (!decimal_group(rd, dig2bytes[part], mask, part, &v))
            return 0;
        *pos += (size_t)sprintf(out + *pos, "%0*u", (int)part, v);
    }
    for (unsigned i = 0; i < full; i++) {
        if (!decimal_group(rd, 4, mask, 9, &v))
            return 0;
        *pos += (size_t)sprintf(out + *pos, "%09u", v);
    }
    if (!part_first && part > 0) {
        if (!decimal_group(rd, dig2bytes[part], mask, part, &v))
            return 0;
        *pos += (size_t)sprintf(out + *pos, "%0*u", (int)part, v);
    }
    return 1;
}

size_t ext_decimal_text(char *out, size_t out_size, const uint8_t *bin, size_t len,
                        unsigned precision, unsigned scale)
{
    uint8_t buf[40];
    char digits[96];
    size_t size, ndig = 0, lead = 0, intg;
    repl_rd rd;
    uint8_t mask;
    if (precision == 0 || precision > 65 || scale > 30 || scale > precision || out_size < 84)
        return 0;
    size = decimal_bin_size(precision, scale);
    if (len < size)
        return 0;
    memcpy(buf, bin, size);
    mask = (buf[0] & 0x80) ? 0x00 : 0xff; /* the sign bit is inverted; negatives are complemented */
    buf[0] ^= 0x80;
    rd_init(&rd, buf, size);
    if (!decimal_digits(&rd, mask, (precision - scale) / 9, (precision - scale) % 9, 1, digits,
                        &ndig))
        return 0;
    intg = ndig;
    if (!decimal_digits(&rd, mask, scale / 9, scale % 9, 0, digits, &ndig))
        return 0;
    while (lead + 1 < intg && digits[lead] == '0')
        lead++;
    return (size_t)snprintf(out, out_size, "%s%.*s%s%.*s", mask ? "-" : "",
                            intg > 0 ? (int)(intg - lead) : 1, intg > 0 ? digits + lead : "0",
                            scale ? "." : "", (int)scale, digits + intg);
}

static int user_var_value(ext_user_var *uv, const ext_decode_ctx *ctx, repl_error *err)
{
    char text[96];
    const uint8_t *v = uv->value.ptr;
    switch (uv->type) {
    case EXT_UV_INT:
    case EXT_UV_REAL:
        if (uv->value.len < 8)
            return repl_error_set(err, REPL_ERR_CORRUPT, "user variable value of %zu bytes < 8",
                                  uv->value.len);
        if (uv->type == EXT_UV_INT) {
            repl_rd rd;
            rd_init(&rd, v, 8);
            uv->int_value = (int64_t)rd_u64le(&rd);
        } else {
            memcpy(&uv->real_value, v, 8); /* IEEE little-endian on every platform we build on */
        }
        return REPL_OK;
    case EXT_UV_DECIMAL:
        if (uv->value.len < 2 ||
            ext_decimal_text(text, sizeof(text), v + 2, uv->value.len - 2, v[0], v[1]) == 0)
            return repl_error_set(err, REPL_ERR_CORRUPT, "invalid DECIMAL user variable value");
        uv->decimal_text = repl_arena_strndup(ctx->arena, text, strlen(text));
        return REPL_OK;
    case EXT_UV_STRING:
        return REPL_OK;
    default:
        return repl_error_set(err, REPL_ERR_CORRUPT, "user variable of unknown type %u", uv->type);
    }
}

int ext_ev_user_var(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err)
{
    ext_user_var *uv = &ev->u.user_var;
    const uint8_t *name;
    uint32_t name_len;
    repl_rd rd;
    rd_init(&rd, ev->body, ev->body_len);
    rd_skip(&rd, ext_fde_post_header_len(ctx->fde, ev->type));
    name_len = rd_u32le(&rd);
    name = rd_take(&rd, name_len);
    uv->is_null = rd_u8(&rd);
    if (!rd_ok(&rd))
        return repl_error_set(err, REPL_ERR_CORRUPT, "user variable name runs past the event");
    uv->name = repl_arena_strndup(ctx->arena, (const char *)name, name_len);
    uv->charset = 63;
    if (uv->is_null)
        return REPL_OK;
    uv->type = rd_u8(&rd);
    uv->charset = rd_u32le(&rd);
    uv->value.len = rd_u32le(&rd);
    uv->value.ptr = rd_take(&rd, uv->value.len);
    if (!rd_ok(&rd))
        return repl_error_set(err, REPL_ERR_CORRUPT, "user variable value runs past the event");
    if (rd_left(&rd) > 0) {
        /* servers since 5.1 add a flags byte; older events end with the value */
        uv->has_flags = 1;
        uv->flags = rd_u8(&rd);
    }
    return user_var_value(uv, ctx, err);
}
