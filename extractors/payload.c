/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extractors/payload.c - the inner events of a MySQL TRANSACTION_PAYLOAD_EVENT, streamed: a zstd
 * decompression stream (ZSTD_DCtx + ZSTD_decompressStream) writes each inner event straight into
 * one event buffer, first its 19-byte header, then as many bytes as the header says. Memory is
 * bounded by the largest inner event plus zstd's window, whatever the payload decompresses to; the
 * decompressed payload is never materialised. Uncompressed payloads (type NONE) are framed in
 * place. Inner events carry no checksum. Framing only: binlog_decoder.c decodes the events. */
#include "extractors/binlog_int.h"

#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "extractors/binlog.h"
#include "replicator/base/log.h"

/* zstd's default decoder window limit, ZSTD_WINDOWLOG_LIMIT_DEFAULT (needs
 * ZSTD_STATIC_LINKING_ONLY) */
#define ZSTD_WINDOW_LOG_MAX 27

struct ext_payload_reader {
    ZSTD_DCtx *dctx;
    int active;
    int compressed;
    ZSTD_inBuffer in;
    size_t last_ret; /* last ZSTD_decompressStream result: 0 = a frame just ended */
    uint64_t produced;
    uint64_t expected; /* uncompressed size the header announced, 0 if none */
    ext_scratch ev;    /* the current inner event */
    size_t buffer_max;
};

ext_payload_reader *ext_payload_reader_new(void)
{
    ext_payload_reader *r = repl_calloc(1, sizeof(*r));
    r->dctx = ZSTD_createDCtx();
    if (r->dctx == NULL) {
        /* as repl_malloc does on OOM */
        REPL_LOG_ERROR("binlog", "out of memory creating a zstd decompression context");
        abort();
    }
    return r;
}

void ext_payload_reader_free(ext_payload_reader *r)
{
    if (r == NULL)
        return;
    ZSTD_freeDCtx(r->dctx);
    ext_scratch_dispose(&r->ev);
    repl_free(r);
}

void ext_payload_reader_stop(ext_payload_reader *r)
{
    r->active = 0;
    ZSTD_DCtx_reset(r->dctx, ZSTD_reset_session_only);
}

int ext_payload_reader_start(ext_payload_reader *r, const ext_payload *p, repl_error *err)
{
    size_t zrc;
    ext_payload_reader_stop(r);
    /* zstd's default window limit (128 MiB) also bounds a hostile frame header */
    zrc = ZSTD_DCtx_setParameter(r->dctx, ZSTD_d_windowLogMax, ZSTD_WINDOW_LOG_MAX);
    if (ZSTD_isError(zrc))
        return repl_error_set(err, REPL_ERR_INVALID, "zstd: %s", ZSTD_getErrorName(zrc));
    r->in.src = p->payload.ptr;
    r->in.size = p->payload.len;
    r->in.pos = 0;
    r->compressed = p->compression_type == EXT_PAYLOAD_ZSTD;
    r->last_ret = 0;
    r->produced = 0;
    r->expected = p->has_uncompressed_size ? p->uncompressed_size : 0;
    r->active = 1;
    return REPL_OK;
}

size_t ext_payload_reader_buffer_max(const ext_payload_reader *r)
{
    return r->buffer_max;
}

static void note_memory(ext_payload_reader *r)
{
    size_t used = r->ev.cap + ZSTD_sizeof_DCtx(r->dctx);
    if (used > r->buffer_max)
        r->buffer_max = used;
}

/* Decompress until dst holds n bytes or the input is exhausted; *got is how many arrived. */
static int inflate_into(ext_payload_reader *r, uint8_t *dst, size_t n, size_t *got, repl_error *err)
{
    ZSTD_outBuffer out = { dst, n, 0 };
    while (out.pos < n) {
        size_t before_in = r->in.pos, before_out = out.pos;
        size_t zrc = ZSTD_decompressStream(r->dctx, &out, &r->in);
        if (ZSTD_isError(zrc))
            return repl_error_set(err, REPL_ERR_CORRUPT, "zstd: %s", ZSTD_getErrorName(zrc));
        if (r->in.pos == before_in && out.pos == before_out)
            break; /* no input left and nothing buffered (zrc then hints at a next frame) */
        r->last_ret = zrc;
    }
    note_memory(r);
    *got = out.pos;
    r->produced += out.pos;
    return REPL_OK;
}

static int end_of_payload(ext_payload_reader *r, repl_error *err)
{
    r->active = 0;
    if (r->compressed && r->last_ret != 0)
        return repl_error_set(err, REPL_ERR_CORRUPT, "zstd stream of the payload is truncated");
    if (r->expected != 0 && r->produced != r->expected)
        return repl_error_set(err, REPL_ERR_CORRUPT,
                              "payload decompressed to %llu bytes, its header said %llu",
                              (unsigned long long)r->produced, (unsigned long long)r->expected);
    return 0;
}

static uint32_t header_len_field(const uint8_t *h)
{
    return (uint32_t)h[9] | (uint32_t)h[10] << 8 | (uint32_t)h[11] << 16 | (uint32_t)h[12] << 24;
}

static int next_plain(ext_payload_reader *r, const uint8_t **data, size_t *len, repl_error *err)
{
    const uint8_t *p = (const uint8_t *)r->in.src + r->in.pos;
    size_t left = r->in.size - r->in.pos;
    uint32_t n;
    r->produced = r->in.pos;
    if (left == 0)
        return end_of_payload(r, err);
    if (left < EXT_EVENT_HEADER_LEN)
        return repl_error_set(err, REPL_ERR_CORRUPT, "payload ends inside an event header");
    n = header_len_field(p);
    if (n < EXT_EVENT_HEADER_LEN || n > left)
        return repl_error_set(err, REPL_ERR_CORRUPT,
                              "inner event length %u is impossible (%zu "
                              "bytes left)",
                              n, left);
    r->in.pos += n;
    *data = p;
    *len = n;
    return 1;
}

int ext_payload_reader_next(ext_payload_reader *r, const uint8_t **data, size_t *len,
                            repl_error *err)
{
    size_t got = 0;
    uint32_t n;
    int rc;
    if (!r->active)
        return 0;
    if (!r->compressed)
        return next_plain(r, data, len, err);
    rc = ext_scratch_reserve(&r->ev, EXT_EVENT_HEADER_LEN, err);
    if (rc == REPL_OK)
        rc = inflate_into(r, r->ev.data, EXT_EVENT_HEADER_LEN, &got, err);
    if (rc != REPL_OK)
        return rc;
    if (got == 0 && r->in.pos == r->in.size)
        return end_of_payload(r, err);
    if (got < EXT_EVENT_HEADER_LEN)
        return repl_error_set(err, REPL_ERR_CORRUPT, "payload ends inside an event header");
    n = header_len_field(r->ev.data);
    if (n < EXT_EVENT_HEADER_LEN || n > EXT_MAX_EVENT_BYTES)
        return repl_error_set(err, REPL_ERR_CORRUPT, "inner event length %u is impossible", n);
    rc = ext_scratch_reserve_keep(&r->ev, n, err);
    if (rc == REPL_OK)
        rc =
            inflate_into(r, r->ev.data + EXT_EVENT_HEADER_LEN, n - EXT_EVENT_HEADER_LEN, &got, err);
    if (rc != REPL_OK)
        return rc;
    if (got < n - EXT_EVENT_HEADER_LEN)
        return repl_error_set(err, REPL_ERR_CORRUPT, "payload ends inside an event of %u bytes", n);
    *data = r->ev.data;
    *len = n;
    return 1;
}
