/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replicator/base/rd.h - the bounds-checked byte reader every decoder of disk or wire bytes goes
 * through. A cursor {p, end} with a sticky failure flag: a read past the end returns 0 (or NULL),
 * leaves the cursor where it was and sets rd->bad; callers check rd_ok() once after a group of
 * reads. Never cast a buffer to a struct, never trust a length before checking it (STYLE.md section
 * 6). Header-only. */
#ifndef REPL_RD_H
#define REPL_RD_H

#include <stddef.h>
#include <stdint.h>

typedef struct repl_rd {
    const uint8_t *p;
    const uint8_t *end;
    int bad; /* set once a read went past end; sticky */
} repl_rd;

static inline void rd_init(repl_rd *r, const void *buf, size_t len)
{
    r->p = (const uint8_t *)buf;
    r->end = len > 0 ? r->p + len : r->p; /* NULL + 0 is undefined in C */
    r->bad = 0;
}

static inline size_t rd_left(const repl_rd *r)
{
    return (size_t)(r->end - r->p);
}

static inline int rd_ok(const repl_rd *r)
{
    return !r->bad;
}

/** Claim n bytes: returns a pointer to them and advances, or NULL (and marks bad) if fewer remain.
 */
static inline const uint8_t *rd_take(repl_rd *r, size_t n)
{
    const uint8_t *p = r->p;
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = 1;
        return NULL;
    }
    if (n > 0)
        r->p += n;
    return p;
}

static inline int rd_skip(repl_rd *r, size_t n)
{
    return rd_take(r, n) != NULL;
}

static inline uint64_t rd_uint_le(repl_rd *r, unsigned n)
{
    const uint8_t *p = rd_take(r, n);
    uint64_t v = 0;
    if (p == NULL)
        return 0;
    for (unsigned i = n; i > 0; i--)
        v = (v << 8) | p[i - 1];
    return v;
}

static inline uint64_t rd_uint_be(repl_rd *r, unsigned n)
{
    const uint8_t *p = rd_take(r, n);
    uint64_t v = 0;
    if (p == NULL)
        return 0;
    for (unsigned i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

static inline uint8_t rd_u8(repl_rd *r)
{
    return (uint8_t)rd_uint_le(r, 1);
}
static inline uint16_t rd_u16le(repl_rd *r)
{
    return (uint16_t)rd_uint_le(r, 2);
}
static inline uint32_t rd_u24le(repl_rd *r)
{
    return (uint32_t)rd_uint_le(r, 3);
}
static inline uint32_t rd_u32le(repl_rd *r)
{
    return (uint32_t)rd_uint_le(r, 4);
}
static inline uint64_t rd_u48le(repl_rd *r)
{
    return rd_uint_le(r, 6);
}
static inline uint64_t rd_u64le(repl_rd *r)
{
    return rd_uint_le(r, 8);
}
static inline uint16_t rd_u16be(repl_rd *r)
{
    return (uint16_t)rd_uint_be(r, 2);
}
static inline uint32_t rd_u24be(repl_rd *r)
{
    return (uint32_t)rd_uint_be(r, 3);
}
static inline uint32_t rd_u32be(repl_rd *r)
{
    return (uint32_t)rd_uint_be(r, 4);
}
static inline uint64_t rd_u64be(repl_rd *r)
{
    return rd_uint_be(r, 8);
}

/** MySQL length-encoded ("packed") integer: < 0xfb one byte; 0xfc u16; 0xfd u24; 0xfe u64.
 * 0xfb (NULL) and 0xff are invalid here and mark the reader bad. */
static inline uint64_t rd_packed(repl_rd *r)
{
    uint8_t b = rd_u8(r);
    if (b < 0xfb)
        return b;
    if (b == 0xfc)
        return rd_uint_le(r, 2);
    if (b == 0xfd)
        return rd_uint_le(r, 3);
    if (b == 0xfe)
        return rd_uint_le(r, 8);
    r->bad = 1;
    return 0;
}

/** Unsigned LEB128 varint (THL payload encoding), at most 10 bytes. */
static inline uint64_t rd_varint(repl_rd *r)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
        uint8_t b = rd_u8(r);
        if (r->bad)
            return 0;
        if (shift == 63 && b > 1)
            break;
        v |= (uint64_t)(b & 0x7f) << shift;
        if ((b & 0x80) == 0)
            return v;
    }
    r->bad = 1;
    return 0;
}

#endif
