/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replicator/base/buf.h - a growable byte buffer with little-endian, big-endian and varint writers:
 * the encoding side of rd.h. Caller-embedded (repl_buf_init/_dispose); not thread-safe. */
#ifndef REPL_BUF_H
#define REPL_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct repl_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
} repl_buf;

void repl_buf_init(repl_buf *b);
void repl_buf_dispose(repl_buf *b);
/** Make room for extra more bytes (aborts on OOM). */
void repl_buf_reserve(repl_buf *b, size_t extra);
void repl_buf_clear(repl_buf *b);
void repl_buf_put(repl_buf *b, const void *src, size_t len);
void repl_buf_put_u8(repl_buf *b, uint8_t v);
void repl_buf_put_u16le(repl_buf *b, uint16_t v);
void repl_buf_put_u32le(repl_buf *b, uint32_t v);
void repl_buf_put_u64le(repl_buf *b, uint64_t v);
void repl_buf_put_u32be(repl_buf *b, uint32_t v);
void repl_buf_put_u64be(repl_buf *b, uint64_t v);
/** Unsigned LEB128, read back by rd_varint. */
void repl_buf_put_varint(repl_buf *b, uint64_t v);
/** varint length followed by the bytes. */
void repl_buf_put_lenbytes(repl_buf *b, const void *src, size_t len);
/** printf-style append (no NUL is counted in len). */
void repl_buf_printf(repl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline void repl_store_u32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline void repl_store_u64be(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

#endif
