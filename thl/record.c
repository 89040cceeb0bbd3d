/* SPDX-License-Identifier: GPL-2.0-or-later */
/* thl/record.c - encode and decode one THL record (header, zstd payload, CRC32C). Knows the format
 * in docs/thl-format.md, nothing about LMDB or the network. Pure functions; safe from any thread:
 * each thread keeps its own zstd contexts and scratch buffers (released when the thread exits).
 * Decoding trusts no byte: every read goes through rd.h, every count is checked against the bytes
 * left. */
#include "thl/record.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "replicator/base/crc32c.h"
#include "replicator/base/log.h"
#include "replicator/base/rd.h"
#include "thl/record_int.h"

/* ---- per-thread state ------------------------------------------------------------------------ */

static pthread_key_t rec_tls_key;
static pthread_once_t rec_tls_once = PTHREAD_ONCE_INIT;

static void rec_tls_destroy(void *p)
{
    rec_tls *t = p;
    ZSTD_freeCCtx(t->cctx);
    ZSTD_freeDCtx(t->dctx);
    repl_buf_dispose(&t->raw);
    repl_free(t->scratch);
    repl_free(t);
}

static void rec_tls_init(void)
{
    if (pthread_key_create(&rec_tls_key, rec_tls_destroy) != 0) {
        REPL_LOG_ERROR("thl", "record: cannot create a thread-local key");
        abort();
    }
}

static rec_tls *rec_tls_get(void)
{
    rec_tls *t;
    pthread_once(&rec_tls_once, rec_tls_init);
    t = pthread_getspecific(rec_tls_key);
    if (t != NULL)
        return t;
    t = repl_calloc(1, sizeof(*t));
    repl_buf_init(&t->raw);
    if (pthread_setspecific(rec_tls_key, t) != 0) {
        REPL_LOG_ERROR("thl", "record: cannot set thread-local state");
        abort();
    }
    return t;
}

void thl_codec_options_init(thl_codec_options *opts)
{
    opts->compress_min_bytes = 512;
    opts->zstd_level = 1;
}

/* ---- session fields (table in record_int.h) ------------------------------------------------- */

static uint64_t sess_load(const void *p, unsigned size)
{
    sess_word w;
    memcpy(&w, p, size);
    if (size == 1)
        return w.u8;
    if (size == 2)
        return w.u16;
    return size == 4 ? w.u32 : w.u64;
}

static void sess_store(void *p, unsigned size, uint64_t v)
{
    sess_word w;
    if (size == 1)
        w.u8 = (uint8_t)v;
    else if (size == 2)
        w.u16 = (uint16_t)v;
    else if (size == 4)
        w.u32 = (uint32_t)v;
    else
        w.u64 = v;
    memcpy(p, &w, size);
}

static uint64_t zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t v)
{
    return (int64_t)((v >> 1) ^ (~(v & 1) + 1));
}

/* ---- encoder --------------------------------------------------------------------------------- */

typedef struct rec_enc {
    repl_buf *b;
    const char *bad; /* first invalid input (static text), NULL if none */
    uint64_t bad_val;
} rec_enc;

static void enc_fail(rec_enc *e, const char *why, uint64_t val)
{
    if (e->bad != NULL)
        return;
    e->bad = why;
    e->bad_val = val;
}

static void enc_str(rec_enc *e, const char *s)
{
    repl_buf_put_lenbytes(e->b, s, s != NULL ? strlen(s) : 0);
}

/* DATE: y m d; TIME: neg h mi s us; DATETIME: y m d h mi s us. */
static void enc_temporal(repl_buf *b, const thl_value *v)
{
    const thl_temporal *t = &v->v.t;
    if (v->kind == THL_VAL_TIME)
        repl_buf_put_u8(b, t->neg ? 1 : 0);
    if (v->kind != THL_VAL_TIME) {
        repl_buf_put_varint(b, t->year);
        repl_buf_put_u8(b, t->month);
        repl_buf_put_u8(b, t->day);
    }
    if (v->kind != THL_VAL_DATE) {
        repl_buf_put_varint(b, t->hour);
        repl_buf_put_u8(b, t->minute);
        repl_buf_put_u8(b, t->second);
        repl_buf_put_varint(b, t->usec);
    }
}

/* IEEE bit patterns, so NaN payloads and -0.0 survive. */
static void enc_real(repl_buf *b, const thl_value *v)
{
    uint32_t f32;
    uint64_t f64;
    if (v->kind == THL_VAL_FLOAT) {
        memcpy(&f32, &v->v.f, 4);
        repl_buf_put_u32le(b, f32);
    } else {
        memcpy(&f64, &v->v.d, 8);
        repl_buf_put_u64le(b, f64);
    }
}

static void enc_value(rec_enc *e, const thl_value *v)
{
    repl_buf *b = e->b;
    repl_buf_put_u8(b, v->kind);
    switch (v->kind) {
    case THL_VAL_NULL:
        break;
    case THL_VAL_INT:
        repl_buf_put_varint(b, zigzag(v->v.i));
        break;
    case THL_VAL_UINT:
    case THL_VAL_BIT:
    case THL_VAL_ENUM:
    case THL_VAL_SET:
        repl_buf_put_varint(b, v->v.u);
        break;
    case THL_VAL_FLOAT:
    case THL_VAL_DOUBLE:
        enc_real(b, v);
        break;
    case THL_VAL_DECIMAL:
    case THL_VAL_STRING:
    case THL_VAL_BYTES:
        repl_buf_put_lenbytes(b, v->v.bytes.ptr, v->v.bytes.len);
        break;
    case THL_VAL_DATE:
    case THL_VAL_TIME:
    case THL_VAL_DATETIME:
        enc_temporal(b, v);
        break;
    case THL_VAL_TIMESTAMP:
        repl_buf_put_varint(b, zigzag(v->v.ts.sec));
        repl_buf_put_varint(b, v->v.ts.usec);
        break;
    default:
        enc_fail(e, "unknown value kind", v->kind);
    }
}

static void enc_session(rec_enc *e, const thl_session *s)
{
    if ((s->set & ~REC_SESS_KNOWN) != 0) {
        enc_fail(e, "unknown session flags", s->set);
        return;
    }
    repl_buf_put_varint(e->b, s->set);
    for (size_t i = 0; i < SESS_NFIELDS; i++) {
        const sess_field *f = &sess_fields[i];
        const uint8_t *p = (const uint8_t *)s + f->off;
        const char *str;
        int64_t sv;
        if ((s->set & f->bit) == 0)
            continue;
        if (f->how == SESS_STR) {
            memcpy(&str, p, sizeof(str));
            enc_str(e, str);
        } else if (f->how == SESS_SINT) {
            memcpy(&sv, p, sizeof(sv));
            repl_buf_put_varint(e->b, zigzag(sv));
        } else {
            repl_buf_put_varint(e->b, sess_load(p, f->size));
        }
    }
    repl_buf_put_varint(e->b, s->n_user_vars);
    for (uint32_t i = 0; i < s->n_user_vars; i++) {
        enc_str(e, s->user_vars[i].name);
        repl_buf_put_varint(e->b, s->user_vars[i].charset);
        enc_value(e, &s->user_vars[i].value);
    }
}

static void enc_statement(rec_enc *e, const thl_statement *st)
{
    enc_str(e, st->schema);
    repl_buf_put_lenbytes(e->b, st->sql, st->sql_len);
    repl_buf_put_varint(e->b, st->error_code);
    enc_session(e, &st->session);
}

static void enc_column(rec_enc *e, const thl_column *c)
{
    repl_buf *b = e->b;
    enc_str(e, c->name);
    repl_buf_put_u8(b, c->type);
    repl_buf_put_varint(b, c->meta);
    repl_buf_put_varint(b, c->length);
    repl_buf_put_u8(b, c->scale);
    repl_buf_put_varint(b, c->charset);
    repl_buf_put_u8(b, c->flags);
    if (c->n_members > 0 && c->members == NULL) {
        enc_fail(e, "column without its ENUM/SET member names, count", c->n_members);
        return;
    }
    repl_buf_put_varint(b, c->n_members);
    for (uint32_t i = 0; i < c->n_members; i++)
        enc_str(e, c->members[i]);
}

/* Write an image's present bitmap (NULL = every column) with the padding bits cleared; returns the
 * number of present columns. */
static uint32_t enc_bitmap(rec_enc *e, const uint8_t *bm, uint32_t ncols)
{
    size_t nbytes = ((size_t)ncols + 7) / 8;
    uint32_t n = 0;
    repl_buf_reserve(e->b, nbytes);
    for (size_t i = 0; i < nbytes; i++) {
        uint8_t byte = bm != NULL ? bm[i] : 0xff;
        if (i == nbytes - 1 && ncols % 8 != 0)
            byte &= (uint8_t)((1u << (ncols % 8)) - 1);
        e->b->data[e->b->len++] = byte;
        n += (uint32_t)__builtin_popcount(byte);
    }
    return n;
}

static void enc_image(rec_enc *e, const thl_rows *r, const thl_value *img, const uint8_t *bm)
{
    if (img == NULL) {
        enc_fail(e, "row image missing for action", r->action);
        return;
    }
    for (uint32_t i = 0; i < r->ncols; i++) {
        if (bm == NULL || thl_bit_get(bm, i))
            enc_value(e, &img[i]);
    }
}

static void enc_rows(rec_enc *e, const thl_rows *r)
{
    const int has_before = r->action != THL_ROW_INSERT;
    const int has_after = r->action != THL_ROW_DELETE;
    uint32_t npresent = 0;
    if (r->action < THL_ROW_INSERT || r->action > THL_ROW_DELETE) {
        enc_fail(e, "unknown row action", r->action);
        return;
    }
    enc_str(e, r->schema);
    enc_str(e, r->table);
    repl_buf_put_u8(e->b, r->action);
    repl_buf_put_u8(e->b, r->flags);
    repl_buf_put_varint(e->b, r->ncols);
    for (uint32_t i = 0; i < r->ncols; i++)
        enc_column(e, &r->cols[i]);
    if (has_before)
        npresent += enc_bitmap(e, r->before_present, r->ncols);
    if (has_after)
        npresent += enc_bitmap(e, r->after_present, r->ncols);
    repl_buf_put_varint(e->b, r->nrows);
    for (uint32_t i = 0; i < r->nrows; i++) {
        /* a row with no present column still takes one byte, so counts stay bounded by bytes */
        if (npresent == 0)
            repl_buf_put_u8(e->b, 0);
        if (has_before)
            enc_image(e, r, r->rows[i].before, r->before_present);
        if (has_after)
            enc_image(e, r, r->rows[i].after, r->after_present);
    }
}

static void enc_payload(rec_enc *e, const thl_event *ev)
{
    enc_str(e, ev->source_id);
    repl_buf_put_varint(e->b, ev->n_meta);
    for (uint32_t i = 0; i < ev->n_meta; i++) {
        enc_str(e, ev->meta[i].key);
        enc_str(e, ev->meta[i].value);
    }
    repl_buf_put_varint(e->b, ev->n_items);
    for (uint32_t i = 0; i < ev->n_items && e->bad == NULL; i++) {
        const thl_item *it = &ev->items[i];
        repl_buf_put_u8(e->b, it->kind);
        if (it->kind == THL_ITEM_STATEMENT)
            enc_statement(e, &it->u.stmt);
        else if (it->kind == THL_ITEM_ROWS)
            enc_rows(e, &it->u.rows);
        else
            enc_fail(e, "unknown item kind", it->kind);
    }
}

static void rec_put_header(repl_buf *out, const thl_event *ev, const char *shard, size_t shard_len,
                           const char *eid, size_t eid_len)
{
    repl_buf_put(out, REC_MAGIC, REC_MAGIC_LEN);
    repl_buf_put_u8(out, THL_RECORD_VERSION);
    repl_buf_put_u8(out, ev->flags);
    repl_buf_put_u8(out, THL_CODEC_NONE); /* patched by rec_put_payload */
    repl_buf_put_u16le(out, ev->fragno);
    repl_buf_put_u64le(out, ev->seqno);
    repl_buf_put_u64le(out, ev->epoch);
    repl_buf_put_u64le(out, (uint64_t)ev->source_tstamp_us);
    repl_buf_put_u64le(out, (uint64_t)ev->extract_tstamp_us);
    repl_buf_put_u32le(out, 0); /* payload_len, patched */
    repl_buf_put_u32le(out, 0); /* raw_len, patched */
    repl_buf_put_u16le(out, (uint16_t)shard_len);
    repl_buf_put_u16le(out, (uint16_t)eid_len);
    repl_buf_put(out, shard, shard_len);
    repl_buf_put(out, eid, eid_len);
}

/* Store the payload raw, or zstd-compressed when it is long enough and compression pays. */
static int rec_put_payload(repl_buf *out, size_t start, rec_tls *t, const thl_codec_options *opts,
                           repl_error *err)
{
    const repl_buf *raw = &t->raw;
    uint8_t codec = THL_CODEC_NONE;
    size_t stored = raw->len;
    if (opts->compress_min_bytes > 0 && raw->len >= opts->compress_min_bytes) {
        const size_t bound = ZSTD_compressBound(raw->len);
        size_t n;
        if (t->cctx == NULL)
            t->cctx = ZSTD_createCCtx();
        if (t->cctx == NULL)
            return repl_error_set(err, REPL_ERR_IO, "thl: cannot create a zstd context");
        repl_buf_reserve(out, bound);
        n = ZSTD_compressCCtx(t->cctx, out->data + out->len, bound, raw->data, raw->len,
                              opts->zstd_level);
        if (ZSTD_isError(n))
            return repl_error_set(err, REPL_ERR_INVALID, "thl: zstd compression failed: %s",
                                  ZSTD_getErrorName(n));
        if (n + REC_ZSTD_MIN_SAVING <= raw->len) {
            codec = THL_CODEC_ZSTD;
            stored = n;
        }
    }
    if (codec == THL_CODEC_NONE)
        repl_buf_put(out, raw->data, raw->len);
    else
        out->len += stored;
    out->data[start + REC_OFF_CODEC] = codec;
    repl_store_u32le(out->data + start + REC_OFF_PAYLOAD_LEN, (uint32_t)stored);
    repl_store_u32le(out->data + start + REC_OFF_PAYLOAD_LEN + 4, (uint32_t)raw->len);
    return REPL_OK;
}

static int rec_check_ids(const thl_event *ev, size_t *shard_len, size_t *eid_len, repl_error *err)
{
    *shard_len = ev->shard_id != NULL ? strlen(ev->shard_id) : 0;
    *eid_len = ev->event_id != NULL ? strlen(ev->event_id) : 0;
    if (*shard_len > THL_ID_MAX)
        return repl_error_set(err, REPL_ERR_INVALID,
                              "thl: encode seqno=%" PRIu64 ": shard_id of %zu bytes (max %d)",
                              ev->seqno, *shard_len, THL_ID_MAX);
    if (*eid_len > THL_ID_MAX)
        return repl_error_set(err, REPL_ERR_INVALID,
                              "thl: encode seqno=%" PRIu64 ": event_id of %zu bytes (max %d)",
                              ev->seqno, *eid_len, THL_ID_MAX);
    return REPL_OK;
}

static int rec_encode_payload(rec_tls *t, const thl_event *ev, repl_error *err)
{
    rec_enc e = { &t->raw, NULL, 0 };
    repl_buf_clear(&t->raw);
    enc_payload(&e, ev);
    if (e.bad != NULL)
        return repl_error_set(err, REPL_ERR_INVALID, "thl: encode seqno=%" PRIu64 ": %s %" PRIu64,
                              ev->seqno, e.bad, e.bad_val);
    if (t->raw.len > THL_RECORD_MAX_BYTES)
        return repl_error_set(err, REPL_ERR_INVALID,
                              "thl: encode seqno=%" PRIu64 ": payload of %zu bytes (max %u)",
                              ev->seqno, t->raw.len, THL_RECORD_MAX_BYTES);
    return REPL_OK;
}

int thl_record_encode(repl_buf *out, const thl_event *ev, const thl_codec_options *opts,
                      repl_error *err)
{
    thl_codec_options defaults;
    rec_tls *t = rec_tls_get();
    const size_t start = out->len;
    size_t shard_len = 0;
    size_t eid_len = 0;
    int rc;
    if (opts == NULL) {
        thl_codec_options_init(&defaults);
        opts = &defaults;
    }
    rc = rec_check_ids(ev, &shard_len, &eid_len, err);
    if (rc != REPL_OK)
        goto cleanup;
    rc = rec_encode_payload(t, ev, err);
    if (rc != REPL_OK)
        goto cleanup;
    rec_put_header(out, ev, ev->shard_id, shard_len, ev->event_id, eid_len);
    rc = rec_put_payload(out, start, t, opts, err);
    if (rc != REPL_OK)
        goto cleanup;
    if (out->len - start + REC_CRC_LEN > THL_RECORD_MAX_BYTES) {
        rc = repl_error_set(err, REPL_ERR_INVALID,
                            "thl: encode seqno=%" PRIu64 ": record of %zu bytes (max %u)",
                            ev->seqno, out->len - start + REC_CRC_LEN, THL_RECORD_MAX_BYTES);
        goto cleanup;
    }
    repl_buf_put_u32le(out, repl_crc32c(0, out->data + start, out->len - start));
cleanup:
    if (rc != REPL_OK)
        out->len = start;
    if (t->raw.cap > REC_SCRATCH_KEEP)
        repl_buf_dispose(&t->raw);
    return rc;
}

/* ---- header ---------------------------------------------------------------------------------- */

static int rec_header_fields(thl_record_header *h, const uint8_t *rec, size_t len)
{
    repl_rd r;
    rd_init(&r, rec, len);
    rd_skip(&r, REC_MAGIC_LEN);
    h->version = rd_u8(&r);
    h->flags = rd_u8(&r);
    h->codec = rd_u8(&r);
    h->fragno = rd_u16le(&r);
    h->seqno = rd_u64le(&r);
    h->epoch = rd_u64le(&r);
    h->source_tstamp_us = (int64_t)rd_u64le(&r);
    h->extract_tstamp_us = (int64_t)rd_u64le(&r);
    h->payload_len = rd_u32le(&r);
    h->raw_len = rd_u32le(&r);
    h->shard_len = rd_u16le(&r);
    h->event_id_len = rd_u16le(&r);
    h->shard_id = (const char *)rd_take(&r, h->shard_len);
    h->event_id = (const char *)rd_take(&r, h->event_id_len);
    h->header_len = REC_FIXED_LEN + (size_t)h->shard_len + h->event_id_len;
    return rd_ok(&r);
}

static int rec_header_bad(const thl_record_header *h, repl_error *err, const char *why)
{
    return repl_error_set(err, REPL_ERR_CORRUPT, "thl: record seqno=%" PRIu64 " fragno=%u: %s",
                          h->seqno, h->fragno, why);
}

/* Checks of the fixed fields against each other and the record length (before the CRC). */
static int rec_header_check(const thl_record_header *h, size_t len, repl_error *err)
{
    char why[160];
    const uint64_t want =
        (uint64_t)REC_FIXED_LEN + h->shard_len + h->event_id_len + h->payload_len + REC_CRC_LEN;
    if (h->version != THL_RECORD_VERSION) {
        snprintf(why, sizeof(why), "unsupported format version %u (this build reads %d)",
                 h->version, THL_RECORD_VERSION);
        return rec_header_bad(h, err, why);
    }
    if (h->shard_len > THL_ID_MAX || h->event_id_len > THL_ID_MAX)
        return rec_header_bad(h, err, "shard_id or event_id longer than THL_ID_MAX");
    if (want != len) {
        snprintf(why, sizeof(why), "header says %" PRIu64 " bytes, record has %zu", want, len);
        return rec_header_bad(h, err, why);
    }
    if (h->codec != THL_CODEC_NONE && h->codec != THL_CODEC_ZSTD) {
        snprintf(why, sizeof(why), "unknown payload codec %u", h->codec);
        return rec_header_bad(h, err, why);
    }
    if (h->raw_len > THL_RECORD_MAX_BYTES || h->raw_len < REC_MIN_PAYLOAD) {
        snprintf(why, sizeof(why), "raw payload length %" PRIu32 " out of range", h->raw_len);
        return rec_header_bad(h, err, why);
    }
    if (h->codec == THL_CODEC_NONE && h->raw_len != h->payload_len) {
        snprintf(why, sizeof(why), "raw payload of %" PRIu32 " bytes stored as %" PRIu32,
                 h->raw_len, h->payload_len);
        return rec_header_bad(h, err, why);
    }
    return REPL_OK;
}

int thl_record_parse_header(thl_record_header *out, const uint8_t *rec, size_t len, repl_error *err)
{
    uint32_t stored;
    uint32_t computed;
    char why[96];
    int rc;
    memset(out, 0, sizeof(*out));
    if (len < REC_MIN_LEN)
        return repl_error_set(err, REPL_ERR_CORRUPT,
                              "thl: record of %zu bytes is shorter than a header (%d bytes)", len,
                              REC_MIN_LEN);
    if (len > THL_RECORD_MAX_BYTES)
        return repl_error_set(err, REPL_ERR_CORRUPT, "thl: record of %zu bytes (max %u)", len,
                              THL_RECORD_MAX_BYTES);
    if (memcmp(rec, REC_MAGIC, REC_MAGIC_LEN) != 0)
        return repl_error_set(err, REPL_ERR_CORRUPT,
                              "thl: record: bad magic 0x%02x%02x%02x (not a THL record)", rec[0],
                              rec[1], rec[2]);
    if (!rec_header_fields(out, rec, len - REC_CRC_LEN))
        return rec_header_bad(out, err, "header ids run past the end of the record");
    rc = rec_header_check(out, len, err);
    if (rc != REPL_OK)
        return rc;
    stored = (uint32_t)rec[len - 4] | (uint32_t)rec[len - 3] << 8 | (uint32_t)rec[len - 2] << 16 |
             (uint32_t)rec[len - 1] << 24;
    computed = repl_crc32c(0, rec, len - REC_CRC_LEN);
    if (stored != computed) {
        snprintf(why, sizeof(why),
                 "CRC mismatch (stored 0x%08" PRIx32 ", computed 0x%08" PRIx32 ")", stored,
                 computed);
        return rec_header_bad(out, err, why);
    }
    return REPL_OK;
}

/* ---- decoder --------------------------------------------------------------------------------- */

typedef struct rec_dec {
    repl_rd rd;
    const uint8_t *base; /* payload start, for offsets in messages */
    thl_event *ev;
    const char *why; /* first inconsistency (static text), NULL if none */
    uint64_t why_val;
    size_t why_at;
} rec_dec;

static void dec_fail(rec_dec *d, const char *why, uint64_t val)
{
    if (d->why == NULL) {
        d->why = why;
        d->why_val = val;
        d->why_at = (size_t)(d->rd.p - d->base);
    }
    d->rd.bad = 1;
}

/* A count of elements that take at least min_bytes each: never more than the bytes left allow. */
static uint32_t dec_count(rec_dec *d, size_t min_bytes)
{
    const uint64_t n = rd_varint(&d->rd);
    if (n > rd_left(&d->rd) / min_bytes) {
        dec_fail(d, "count larger than the bytes left:", n);
        return 0;
    }
    return (uint32_t)n;
}

static uint64_t dec_uint(rec_dec *d, uint64_t max)
{
    const uint64_t v = rd_varint(&d->rd);
    if (v > max) {
        dec_fail(d, "value out of range:", v);
        return 0;
    }
    return v;
}

/* Zeroed arena memory for count elements within the decoded-size bound; NULL when count is 0 or
 * the decoder has failed (callers loop only while the reader is good). */
static void *dec_alloc(rec_dec *d, size_t count, size_t size)
{
    const size_t need = count * size;
    void *p;
    if (d->rd.bad || count == 0)
        return NULL;
    if (repl_arena_used(d->ev->arena) + need > REC_DEC_MAX_MEM) {
        dec_fail(d, "decoded event larger than the limit, bytes:", need);
        return NULL;
    }
    p = thl_event_alloc(d->ev, need);
    memset(p, 0, need);
    return p;
}

static const char *dec_str(rec_dec *d)
{
    const uint64_t len = rd_varint(&d->rd);
    const uint8_t *p = rd_take(&d->rd, len);
    if (p == NULL)
        return "";
    if (len > 0 && memchr(p, 0, len) != NULL) {
        dec_fail(d, "NUL byte inside a string of length", len);
        return "";
    }
    return thl_event_strndup(d->ev, (const char *)p, len);
}

static void dec_bytes(rec_dec *d, const uint8_t **ptr, size_t *len)
{
    const uint64_t n = rd_varint(&d->rd);
    const uint8_t *p = rd_take(&d->rd, n);
    *ptr = NULL;
    *len = 0;
    if (p == NULL || n == 0)
        return;
    *ptr = thl_event_memdup(d->ev, p, n);
    *len = n;
}

static void dec_temporal(rec_dec *d, thl_value *v)
{
    thl_temporal *t = &v->v.t;
    if (v->kind == THL_VAL_TIME) {
        t->neg = rd_u8(&d->rd);
        if (t->neg > 1) {
            dec_fail(d, "TIME sign byte not 0 or 1:", t->neg);
            return;
        }
    }
    if (v->kind != THL_VAL_TIME) {
        t->year = (uint16_t)dec_uint(d, UINT16_MAX);
        t->month = rd_u8(&d->rd);
        t->day = rd_u8(&d->rd);
    }
    if (v->kind != THL_VAL_DATE) {
        t->hour = (uint32_t)dec_uint(d, UINT32_MAX);
        t->minute = rd_u8(&d->rd);
        t->second = rd_u8(&d->rd);
        t->usec = (uint32_t)dec_uint(d, UINT32_MAX);
    }
}

static void dec_float(rec_dec *d, thl_value *v, int is_double)
{
    uint32_t f32;
    uint64_t f64;
    if (is_double) {
        f64 = rd_u64le(&d->rd);
        memcpy(&v->v.d, &f64, 8);
    } else {
        f32 = rd_u32le(&d->rd);
        memcpy(&v->v.f, &f32, 4);
    }
}

/* v must be zeroed by the caller. */
static void dec_value(rec_dec *d, thl_value *v)
{
    v->kind = rd_u8(&d->rd);
    switch (v->kind) {
    case THL_VAL_NULL:
        break;
    case THL_VAL_INT:
        v->v.i = unzigzag(rd_varint(&d->rd));
        break;
    case THL_VAL_UINT:
    case THL_VAL_BIT:
    case THL_VAL_ENUM:
    case THL_VAL_SET:
        v->v.u = rd_varint(&d->rd);
        break;
    case THL_VAL_FLOAT:
    case THL_VAL_DOUBLE:
        dec_float(d, v, v->kind == THL_VAL_DOUBLE);
        break;
    case THL_VAL_DECIMAL:
    case THL_VAL_STRING:
    case THL_VAL_BYTES:
        dec_bytes(d, &v->v.bytes.ptr, &v->v.bytes.len);
        break;
    case THL_VAL_DATE:
    case THL_VAL_TIME:
    case THL_VAL_DATETIME:
        dec_temporal(d, v);
        break;
    case THL_VAL_TIMESTAMP:
        v->v.ts.sec = unzigzag(rd_varint(&d->rd));
        v->v.ts.usec = (uint32_t)dec_uint(d, UINT32_MAX);
        break;
    default:
        dec_fail(d, "unknown value kind", v->kind);
    }
}

static void dec_session_field(rec_dec *d, thl_session *s, const sess_field *f)
{
    uint8_t *p = (uint8_t *)s + f->off;
    const char *str;
    int64_t sv;
    if (f->how == SESS_STR) {
        str = dec_str(d);
        memcpy(p, &str, sizeof(str));
    } else if (f->how == SESS_SINT) {
        sv = unzigzag(rd_varint(&d->rd));
        memcpy(p, &sv, sizeof(sv));
    } else {
        const uint64_t max = f->size == 8 ? UINT64_MAX : (UINT64_C(1) << (8 * f->size)) - 1;
        sess_store(p, f->size, dec_uint(d, max));
    }
}

static void dec_session(rec_dec *d, thl_session *s)
{
    s->set = (uint32_t)rd_varint(&d->rd);
    s->time_zone = "";
    if ((s->set & ~REC_SESS_KNOWN) != 0) {
        dec_fail(d, "unknown session flags", s->set);
        return;
    }
    for (size_t i = 0; i < SESS_NFIELDS; i++) {
        if ((s->set & sess_fields[i].bit) != 0)
            dec_session_field(d, s, &sess_fields[i]);
    }
    s->n_user_vars = dec_count(d, 3);
    s->user_vars = dec_alloc(d, s->n_user_vars, sizeof(thl_user_var));
    for (uint32_t i = 0; i < s->n_user_vars && !d->rd.bad; i++) {
        thl_user_var *uv = &s->user_vars[i];
        uv->name = dec_str(d);
        uv->charset = (uint16_t)dec_uint(d, UINT16_MAX);
        dec_value(d, &uv->value);
    }
}

static void dec_statement(rec_dec *d, thl_statement *st)
{
    st->schema = dec_str(d);
    dec_bytes(d, &st->sql, &st->sql_len);
    st->error_code = (uint16_t)dec_uint(d, UINT16_MAX);
    dec_session(d, &st->session);
}

static void dec_column(rec_dec *d, thl_column *c)
{
    const char **members;
    c->name = dec_str(d);
    c->type = rd_u8(&d->rd);
    c->meta = (uint16_t)dec_uint(d, UINT16_MAX);
    c->length = (uint32_t)dec_uint(d, UINT32_MAX);
    c->scale = rd_u8(&d->rd);
    c->charset = (uint16_t)dec_uint(d, UINT16_MAX);
    c->flags = rd_u8(&d->rd);
    c->n_members = dec_count(d, 1);
    members = dec_alloc(d, c->n_members, sizeof(*members));
    for (uint32_t i = 0; i < c->n_members && !d->rd.bad; i++)
        members[i] = dec_str(d);
    c->members = members;
}

/* A present bitmap: padding bits must be clear. Adds its population to *npresent. */
static uint8_t *dec_bitmap(rec_dec *d, uint32_t ncols, uint32_t *npresent)
{
    const size_t nbytes = ((size_t)ncols + 7) / 8;
    const uint8_t *p = rd_take(&d->rd, nbytes);
    if (p == NULL)
        return NULL;
    if (ncols % 8 != 0 && (p[nbytes - 1] >> (ncols % 8)) != 0) {
        dec_fail(d, "present bitmap has padding bits set, columns", ncols);
        return NULL;
    }
    for (size_t i = 0; i < nbytes; i++)
        *npresent += (uint32_t)__builtin_popcount(p[i]);
    return thl_event_memdup(d->ev, p, nbytes);
}

static thl_value *dec_image(rec_dec *d, const thl_rows *r, const uint8_t *bm)
{
    thl_value *img = dec_alloc(d, r->ncols, sizeof(thl_value));
    if (r->ncols == 0)
        return thl_event_alloc(d->ev, 0);
    for (uint32_t i = 0; i < r->ncols && !d->rd.bad; i++) {
        if (thl_bit_get(bm, i))
            dec_value(d, &img[i]);
    }
    return img;
}

static void dec_row_list(rec_dec *d, thl_rows *r, uint32_t npresent)
{
    const size_t nimages = (r->before_present != NULL) + (r->after_present != NULL);
    r->nrows = dec_count(d, npresent > 0 ? npresent : 1);
    /* images hold every column, present or not: refuse a huge expansion before allocating it */
    if ((uint64_t)r->nrows * (nimages * r->ncols * sizeof(thl_value) + sizeof(thl_row)) >
        REC_DEC_MAX_MEM) {
        dec_fail(d, "decoded rows larger than the limit, rows:", r->nrows);
        return;
    }
    r->rows_cap = r->nrows;
    r->rows = dec_alloc(d, r->nrows, sizeof(thl_row));
    for (uint32_t i = 0; i < r->nrows && !d->rd.bad; i++) {
        thl_row *row = &r->rows[i];
        if (npresent == 0 && rd_u8(&d->rd) != 0) {
            dec_fail(d, "bad empty-row marker in row", i);
            return;
        }
        if (r->before_present != NULL)
            row->before = dec_image(d, r, r->before_present);
        if (r->after_present != NULL)
            row->after = dec_image(d, r, r->after_present);
    }
}

static void dec_rows(rec_dec *d, thl_rows *r)
{
    uint32_t npresent = 0;
    r->schema = dec_str(d);
    r->table = dec_str(d);
    r->action = rd_u8(&d->rd);
    if (!d->rd.bad && (r->action < THL_ROW_INSERT || r->action > THL_ROW_DELETE)) {
        dec_fail(d, "unknown row action", r->action);
        return;
    }
    r->flags = rd_u8(&d->rd);
    if (!d->rd.bad && (r->flags & ~(THL_ROWS_NO_FK_CHECKS | THL_ROWS_NO_UNIQUE_CHECKS)) != 0) {
        dec_fail(d, "unknown rows flags", r->flags);
        return;
    }
    r->ncols = dec_count(d, REC_COL_MIN_BYTES);
    r->cols = dec_alloc(d, r->ncols, sizeof(thl_column));
    for (uint32_t i = 0; i < r->ncols && !d->rd.bad; i++)
        dec_column(d, &r->cols[i]);
    if (r->action != THL_ROW_INSERT)
        r->before_present = dec_bitmap(d, r->ncols, &npresent);
    if (r->action != THL_ROW_DELETE)
        r->after_present = dec_bitmap(d, r->ncols, &npresent);
    dec_row_list(d, r, npresent);
}

static void dec_payload(rec_dec *d)
{
    thl_event *ev = d->ev;
    ev->source_id = dec_str(d);
    ev->n_meta = dec_count(d, 2);
    ev->meta_cap = ev->n_meta;
    ev->meta = dec_alloc(d, ev->n_meta, sizeof(thl_meta));
    for (uint32_t i = 0; i < ev->n_meta && !d->rd.bad; i++) {
        ev->meta[i].key = dec_str(d);
        ev->meta[i].value = dec_str(d);
    }
    ev->n_items = dec_count(d, 1);
    ev->items_cap = ev->n_items;
    ev->items = dec_alloc(d, ev->n_items, sizeof(thl_item));
    for (uint32_t i = 0; i < ev->n_items && !d->rd.bad; i++) {
        thl_item *it = &ev->items[i];
        it->kind = rd_u8(&d->rd);
        if (it->kind == THL_ITEM_STATEMENT)
            dec_statement(d, &it->u.stmt);
        else if (it->kind == THL_ITEM_ROWS)
            dec_rows(d, &it->u.rows);
        else if (!d->rd.bad)
            dec_fail(d, "unknown item kind", it->kind);
    }
    if (!d->rd.bad && rd_left(&d->rd) != 0)
        dec_fail(d, "trailing bytes after the last item:", rd_left(&d->rd));
}

/* The raw payload: the record's own bytes, or decompressed into *owned or the thread's scratch. */
static int rec_inflate(const thl_record_header *h, const uint8_t *src, rec_tls *t,
                       const uint8_t **raw, uint8_t **owned, repl_error *err)
{
    const unsigned long long fcs = ZSTD_getFrameContentSize(src, h->payload_len);
    uint8_t *dst;
    size_t n;
    *raw = src;
    if (h->codec == THL_CODEC_NONE)
        return REPL_OK;
    if (fcs != h->raw_len || ZSTD_findFrameCompressedSize(src, h->payload_len) != h->payload_len)
        return rec_header_bad(h, err, "zstd frame does not match the header lengths");
    if (t->dctx == NULL)
        t->dctx = ZSTD_createDCtx();
    if (t->dctx == NULL)
        return repl_error_set(err, REPL_ERR_IO, "thl: cannot create a zstd context");
    if (h->raw_len > REC_SCRATCH_KEEP || h->raw_len > t->scratch_cap) {
        dst = repl_try_malloc(h->raw_len);
        if (dst == NULL)
            return repl_error_set(err, REPL_ERR_IO, "thl: out of memory for %" PRIu32 " bytes",
                                  h->raw_len);
        if (h->raw_len > REC_SCRATCH_KEEP) {
            *owned = dst;
        } else {
            repl_free(t->scratch);
            t->scratch = dst;
            t->scratch_cap = h->raw_len;
        }
    }
    dst = *owned != NULL ? *owned : t->scratch;
    n = ZSTD_decompressDCtx(t->dctx, dst, h->raw_len, src, h->payload_len);
    if (ZSTD_isError(n) || n != h->raw_len)
        return rec_header_bad(h, err, "zstd payload does not decompress to raw_len bytes");
    *raw = dst;
    return REPL_OK;
}

static void rec_event_from_header(thl_event *ev, const thl_record_header *h)
{
    ev->seqno = h->seqno;
    ev->fragno = h->fragno;
    ev->flags = h->flags;
    ev->epoch = h->epoch;
    ev->source_tstamp_us = h->source_tstamp_us;
    ev->extract_tstamp_us = h->extract_tstamp_us;
    ev->shard_id = thl_event_strndup(ev, h->shard_id, h->shard_len);
    ev->event_id = thl_event_strndup(ev, h->event_id, h->event_id_len);
}

static int rec_decode_payload(thl_event *ev, const thl_record_header *h, const uint8_t *raw,
                              repl_error *err)
{
    rec_dec d;
    char why[200];
    memset(&d, 0, sizeof(d));
    rd_init(&d.rd, raw, h->raw_len);
    d.base = raw;
    d.ev = ev;
    if (memchr(h->shard_id, 0, h->shard_len) != NULL ||
        memchr(h->event_id, 0, h->event_id_len) != NULL)
        return rec_header_bad(h, err, "NUL byte inside shard_id or event_id");
    dec_payload(&d);
    if (!d.rd.bad)
        return REPL_OK;
    if (d.why == NULL)
        snprintf(why, sizeof(why), "payload truncated or malformed at offset %zu of %" PRIu32,
                 (size_t)(d.rd.p - d.base), h->raw_len);
    else
        snprintf(why, sizeof(why), "payload offset %zu: %s %" PRIu64, d.why_at, d.why, d.why_val);
    return rec_header_bad(h, err, why);
}

int thl_record_decode(thl_event **out, const uint8_t *rec, size_t len, repl_error *err)
{
    thl_record_header h;
    rec_tls *t = rec_tls_get();
    const uint8_t *raw = NULL;
    uint8_t *owned = NULL;
    thl_event *ev = NULL;
    size_t chunk;
    int rc;
    *out = NULL;
    rc = thl_record_parse_header(&h, rec, len, err);
    if (rc != REPL_OK)
        goto cleanup;
    rc = rec_inflate(&h, rec + h.header_len, t, &raw, &owned, err);
    if (rc != REPL_OK)
        goto cleanup;
    /* small events fit the arena's first chunk; big ones grow in big steps */
    chunk = (size_t)h.raw_len * 3 + 1024;
    if (chunk > REC_ARENA_CHUNK_MAX)
        chunk = REC_ARENA_CHUNK_MAX;
    ev = thl_event_new_sized(chunk);
    rec_event_from_header(ev, &h);
    rc = rec_decode_payload(ev, &h, raw, err);
    if (rc != REPL_OK)
        goto cleanup;
    *out = ev;
    ev = NULL;
cleanup:
    thl_event_free(ev);
    repl_free(owned);
    return rc;
}
