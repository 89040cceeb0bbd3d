/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replicator/base/buf.c - growable byte buffer and its fixed-width and varint writers. */
#include "replicator/base/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "replicator/base/mem.h"

void repl_buf_init(repl_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void repl_buf_dispose(repl_buf *b)
{
    repl_free(b->data);
    repl_buf_init(b);
}

void repl_buf_reserve(repl_buf *b, size_t extra)
{
    size_t cap;
    if (b->cap - b->len >= extra)
        return;
    cap = b->cap ? b->cap : 256;
    while (cap - b->len < extra)
        cap *= 2;
    b->data = repl_realloc(b->data, cap);
    b->cap = cap;
}

void repl_buf_clear(repl_buf *b)
{
    b->len = 0;
}

void repl_buf_put(repl_buf *b, const void *src, size_t len)
{
    if (len == 0)
        return;
    repl_buf_reserve(b, len);
    memcpy(b->data + b->len, src, len);
    b->len += len;
}

void repl_buf_put_u8(repl_buf *b, uint8_t v)
{
    repl_buf_reserve(b, 1);
    b->data[b->len++] = v;
}

static void buf_put_le(repl_buf *b, uint64_t v, unsigned n)
{
    repl_buf_reserve(b, n);
    for (unsigned i = 0; i < n; i++) {
        b->data[b->len++] = (uint8_t)v;
        v >>= 8;
    }
}

static void buf_put_be(repl_buf *b, uint64_t v, unsigned n)
{
    repl_buf_reserve(b, n);
    for (unsigned i = n; i > 0; i--)
        b->data[b->len++] = (uint8_t)(v >> (8 * (i - 1)));
}

void repl_buf_put_u16le(repl_buf *b, uint16_t v)
{
    buf_put_le(b, v, 2);
}

void repl_buf_put_u32le(repl_buf *b, uint32_t v)
{
    buf_put_le(b, v, 4);
}

void repl_buf_put_u64le(repl_buf *b, uint64_t v)
{
    buf_put_le(b, v, 8);
}

void repl_buf_put_u32be(repl_buf *b, uint32_t v)
{
    buf_put_be(b, v, 4);
}

void repl_buf_put_u64be(repl_buf *b, uint64_t v)
{
    buf_put_be(b, v, 8);
}

void repl_buf_put_varint(repl_buf *b, uint64_t v)
{
    repl_buf_reserve(b, 10);
    while (v >= 0x80) {
        b->data[b->len++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    b->data[b->len++] = (uint8_t)v;
}

void repl_buf_put_lenbytes(repl_buf *b, const void *src, size_t len)
{
    repl_buf_put_varint(b, len);
    repl_buf_put(b, src, len);
}

void repl_buf_printf(repl_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    repl_buf_reserve(b, 64);
    va_start(ap, fmt);
    n = vsnprintf((char *)b->data + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= b->cap - b->len) {
        repl_buf_reserve(b, (size_t)n + 1);
        va_start(ap, fmt);
        vsnprintf((char *)b->data + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}
