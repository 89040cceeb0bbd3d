/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/extractors/test_binlog.c - the raw event source and the decoder's stream handling
 * (extractors/binlog.h): file framing and offsets, bad magic, truncated headers and events, CRC32
 * checks (wrong CRC, artificial events, events before the first FDE), unknown events (ignorable
 * ones skipped and counted, the others refused), and TRANSACTION_PAYLOAD streaming through zstd,
 * including a payload that decompresses to 50 MB while the decoder holds at most a few hundred KiB.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "extractors/binlog.h"
#include "replicator/base/buf.h"

/* ---- builders (as in test_events.c) ---------------------------------------------------------- */

static uint32_t crc_of(const uint8_t *p, size_t len, int fde)
{
    uint8_t head[19];
    uLong c = crc32(0L, Z_NULL, 0);
    memcpy(head, p, 19);
    if (fde)
        head[17] &= 0xfe;
    c = crc32(c, head, 19);
    return (uint32_t)crc32(c, p + 19, (uInt)(len - 19));
}

static void build_ts(repl_buf *b, int type, uint16_t flags, uint32_t ts, const void *body,
                     size_t blen, int crc)
{
    size_t len = 19 + blen + (crc ? 4 : 0);
    repl_buf_clear(b);
    repl_buf_put_u32le(b, ts);
    repl_buf_put_u8(b, (uint8_t)type);
    repl_buf_put_u32le(b, 1);
    repl_buf_put_u32le(b, (uint32_t)len);
    repl_buf_put_u32le(b, 0);
    repl_buf_put_u16le(b, flags);
    repl_buf_put(b, body, blen);
    if (crc)
        repl_buf_put_u32le(b, crc_of(b->data, b->len, type == EXT_EV_FORMAT_DESCRIPTION));
}

static void build(repl_buf *b, int type, uint16_t flags, const void *body, size_t blen, int crc)
{
    build_ts(b, type, flags, 1700000000, body, blen, crc);
}

/* A MySQL 8.0 FDE: 42 post-header lengths, TRANSACTION_PAYLOAD's set to 40 as MySQL writes it. */
static void fde_event(repl_buf *b, const char *version, int crc)
{
    static const uint8_t ph[42] = { 56, 13, 0,  8,  0,  18, 0, 4,  4,  4, 4,  18, 0, 0,
                                    95, 0,  4,  26, 8,  0,  0, 0,  0,  0, 0,  2,  0, 0,
                                    0,  10, 10, 10, 42, 42, 0, 18, 52, 0, 10, 40, 0, 0 };
    char v[50] = { 0 };
    repl_buf body;
    repl_buf_init(&body);
    strncpy(v, version, sizeof(v) - 1);
    repl_buf_put_u16le(&body, 4);
    repl_buf_put(&body, v, 50);
    repl_buf_put_u32le(&body, 0);
    repl_buf_put_u8(&body, 19);
    repl_buf_put(&body, ph, sizeof(ph));
    repl_buf_put_u8(&body, crc ? 1 : 0);
    if (!crc)
        repl_buf_put_u32le(&body, 0);
    build(b, EXT_EV_FORMAT_DESCRIPTION, 0, body.data, body.len, crc);
    repl_buf_dispose(&body);
}

static void query_event(repl_buf *b, const char *sql, int crc)
{
    repl_buf body;
    repl_buf_init(&body);
    repl_buf_put_u32le(&body, 1);
    repl_buf_put_u32le(&body, 0);
    repl_buf_put_u8(&body, 0);
    repl_buf_put_u16le(&body, 0);
    repl_buf_put_u16le(&body, 0);
    repl_buf_put_u8(&body, 0);
    repl_buf_put(&body, sql, strlen(sql));
    build(b, EXT_EV_QUERY, 0, body.data, body.len, crc);
    repl_buf_dispose(&body);
}

static void xid_event(repl_buf *b, uint64_t xid, int crc)
{
    uint8_t body[8];
    for (int i = 0; i < 8; i++)
        body[i] = (uint8_t)(xid >> (8 * i));
    build(b, EXT_EV_XID, 0, body, 8, crc);
}

static void put_packed(repl_buf *b, uint64_t v)
{
    if (v < 251) {
        repl_buf_put_u8(b, (uint8_t)v);
    } else if (v < 65536) {
        repl_buf_put_u8(b, 0xfc);
        repl_buf_put_u16le(b, (uint16_t)v);
    } else {
        repl_buf_put_u8(b, 0xfe);
        repl_buf_put_u64le(b, v);
    }
}

static size_t packed_len(uint64_t v)
{
    return v < 251 ? 1 : v < 65536 ? 3 : 9;
}

static void payload_event(repl_buf *b, const repl_buf *payload, int type, uint64_t usize, int crc)
{
    repl_buf body;
    repl_buf_init(&body);
    repl_buf_put_u8(&body, 2);
    put_packed(&body, packed_len((uint64_t)type));
    put_packed(&body, (uint64_t)type);
    if (usize) {
        repl_buf_put_u8(&body, 3);
        put_packed(&body, packed_len(usize));
        put_packed(&body, usize);
    }
    repl_buf_put_u8(&body, 1);
    put_packed(&body, packed_len(payload->len));
    put_packed(&body, payload->len);
    repl_buf_put_u8(&body, 0);
    repl_buf_put(&body, payload->data, payload->len);
    build(b, EXT_EV_TRANSACTION_PAYLOAD, 0, body.data, body.len, crc);
    repl_buf_dispose(&body);
}

static int decode_buf(ext_decoder *dec, const repl_buf *b, const ext_event **ev, repl_error *err)
{
    ext_raw_event raw = { b->data, b->len, 120, "stream.bin" };
    return ext_decoder_decode(dec, &raw, ev, err);
}

/* ---- files ------------------------------------------------------------------------------------
 */

typedef struct tmpfile_t {
    char path[64];
} tmpfile_t;

static void write_file(tmpfile_t *t, const void *data, size_t len)
{
    int fd;
    strcpy(t->path, "/tmp/trep-test-binlog-XXXXXX");
    fd = mkstemp(t->path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

/* magic + FDE + QUERY + XID, all with CRC32 */
static void three_events(repl_buf *file, size_t *sizes)
{
    repl_buf ev;
    repl_buf_init(&ev);
    repl_buf_put(file,
                 "\xfe"
                 "bin",
                 4);
    fde_event(&ev, "8.0.32", 1);
    sizes[0] = ev.len;
    repl_buf_put(file, ev.data, ev.len);
    query_event(&ev, "BEGIN", 1);
    sizes[1] = ev.len;
    repl_buf_put(file, ev.data, ev.len);
    xid_event(&ev, 99, 1);
    sizes[2] = ev.len;
    repl_buf_put(file, ev.data, ev.len);
    repl_buf_dispose(&ev);
}

static void binlog__file_events_and_offsets(void **state)
{
    repl_buf file;
    size_t sizes[3];
    tmpfile_t t;
    ext_binlog_file *f = NULL;
    ext_decoder *dec = ext_decoder_new();
    ext_raw_event raw;
    const ext_event *ev = NULL;
    repl_error err;
    uint64_t at = 4;
    (void)state;
    repl_buf_init(&file);
    three_events(&file, sizes);
    write_file(&t, file.data, file.len);
    assert_int_equal(ext_binlog_file_open(&f, t.path, &err), REPL_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ext_binlog_file_next(f, &raw, &err), 1);
        assert_int_equal(raw.offset, at);
        assert_int_equal(raw.len, sizes[i]);
        assert_string_equal(raw.source, t.path);
        assert_int_equal(ext_decoder_decode(dec, &raw, &ev, &err), REPL_OK);
        assert_true(ev->crc_verified);
        at += sizes[i];
        assert_int_equal(ext_binlog_file_offset(f), at);
    }
    assert_int_equal(ev->type, EXT_EV_XID);
    assert_int_equal(ev->u.xid.xid, 99);
    assert_int_equal(ext_binlog_file_next(f, &raw, &err), 0);
    assert_int_equal(ext_binlog_file_seek(f, 4 + sizes[0], &err), REPL_OK);
    assert_int_equal(ext_binlog_file_next(f, &raw, &err), 1);
    assert_int_equal(raw.data[4], EXT_EV_QUERY);
    assert_int_equal(ext_binlog_file_seek(f, 2, &err), REPL_ERR_INVALID);
    ext_binlog_file_close(f);
    ext_decoder_free(dec);
    unlink(t.path);
    repl_buf_dispose(&file);
}

static void binlog__file_errors(void **state)
{
    ext_binlog_file *f = NULL;
    repl_error err;
    tmpfile_t t;
    (void)state;
    assert_int_equal(ext_binlog_file_open(&f, "/nonexistent/binlog.000001", &err), REPL_ERR_IO);
    assert_null(f);
    assert_non_null(strstr(err.msg, "/nonexistent/binlog.000001"));
    write_file(&t,
               "\xfe"
               "bix-garbage",
               11);
    assert_int_equal(ext_binlog_file_open(&f, t.path, &err), REPL_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "not a binlog file"));
    unlink(t.path);
    write_file(&t,
               "\xfe"
               "b",
               2);
    assert_int_equal(ext_binlog_file_open(&f, t.path, &err), REPL_ERR_CORRUPT);
    unlink(t.path);
}

/* Cut a 3-event file at cut bytes; the read of the event containing the cut must fail. */
static void expect_truncation(size_t cut, const char *expect)
{
    repl_buf file;
    size_t sizes[3];
    tmpfile_t t;
    ext_binlog_file *f = NULL;
    ext_raw_event raw;
    repl_error err;
    int rc;
    repl_buf_init(&file);
    three_events(&file, sizes);
    write_file(&t, file.data, cut);
    assert_int_equal(ext_binlog_file_open(&f, t.path, &err), REPL_OK);
    while ((rc = ext_binlog_file_next(f, &raw, &err)) == 1)
        ;
    assert_int_equal(rc, REPL_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, t.path));
    if (strstr(err.msg, expect) == NULL)
        fail_msg("'%s' not in '%s'", expect, err.msg);
    ext_binlog_file_close(f);
    unlink(t.path);
    repl_buf_dispose(&file);
}

static void binlog__truncated_events(void **state)
{
    char msg[128];
    repl_buf file;
    size_t s[3];
    (void)state;
    repl_buf_init(&file);
    three_events(&file, s);
    repl_buf_dispose(&file);
    snprintf(msg, sizeof(msg), "truncated event header at offset %zu: 7 of 19", 4 + s[0]);
    expect_truncation(4 + s[0] + 7, msg);
    snprintf(msg, sizeof(msg), "truncated QUERY_EVENT (type 2) at offset %zu: length %zu", 4 + s[0],
             s[1]);
    expect_truncation(4 + s[0] + 25, msg);
    snprintf(msg, sizeof(msg), "truncated XID_EVENT (type 16) at offset %zu", 4 + s[0] + s[1]);
    expect_truncation(4 + s[0] + s[1] + s[2] - 1, msg);
}

static void binlog__impossible_length(void **state)
{
    repl_buf file, ev;
    tmpfile_t t;
    ext_binlog_file *f = NULL;
    ext_raw_event raw;
    repl_error err;
    (void)state;
    repl_buf_init(&file);
    repl_buf_init(&ev);
    repl_buf_put(&file,
                 "\xfe"
                 "bin",
                 4);
    xid_event(&ev, 1, 1);
    ev.data[9] = 10; /* length 10 < 19 */
    repl_buf_put(&file, ev.data, ev.len);
    write_file(&t, file.data, file.len);
    assert_int_equal(ext_binlog_file_open(&f, t.path, &err), REPL_OK);
    assert_int_equal(ext_binlog_file_next(f, &raw, &err), REPL_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "XID_EVENT (type 16) at offset 4 has impossible length 10"));
    ext_binlog_file_close(f);
    unlink(t.path);
    repl_buf_dispose(&file);
    repl_buf_dispose(&ev);
}

/* ---- checksums --------------------------------------------------------------------------------
 */

static void binlog__bad_crc(void **state)
{
    ext_decoder *dec = ext_decoder_new();
    const ext_event *ev = NULL;
    repl_error err;
    repl_buf b;
    (void)state;
    repl_buf_init(&b);
    fde_event(&b, "8.0.32", 1);
    assert_int_equal(decode_buf(dec, &b, &ev, &err), REPL_OK);
    query_event(&b, "COMMIT", 1);
    b.data[b.len - 6] ^= 1; /* flip a statement byte */
    assert_int_equal(decode_buf(dec, &b, &ev, &err), REPL_ERR_CORRUPT);
    assert_null(ev);
    assert_non_null(strstr(err.msg, "binlog: stream.bin at 120: QUERY_EVENT (type 2): CRC32 "
                                    "mismatch"));
    /* a bad FDE CRC too */
    fde_event(&b, "8.0.32", 1);
    b.data[30] ^= 1;
    assert_int_equal(decode_buf(dec, &b, &ev, &err), REPL_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "FORMAT_DESCRIPTION_EVENT"));
    /* an event with no room for the CRC */
    build(&b, EXT_EV_STOP, 0, "", 0, 0);
    assert_int_equal(decode_buf(dec, &b, &ev, &err), REPL_ERR_CORRUPT);
    /* fewer bytes than a common header */
    b.len = 10;
    assert_int_equal(decode_buf(dec, &b, &ev, &err), REPL_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "shorter than its header"));
    /* header length disagreeing with the bytes */
    xid_event(&b, 5, 1);
    b.len--;
    assert_int_equal(decode_buf(dec, &b, &ev, &err), REPL_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "header says"));
    ext_decoder_free(dec);
    repl_buf_dispose(&b);
}

static void binlog__no_checksum_stream(void **state)
{
    ext_decoder *dec = ext_decoder_new();
    const ext_event *ev = NULL;
    repl_error err;
    repl_buf b;
    (void)state;
    repl_buf_init(&b);
    fde_event(&b, "10.11.19-MariaDB-log", 0);
    assert_int_equal(decode_buf(dec, &b, &ev, &err), REPL_OK);
    assert_int_equal(ev->u.fde.checksum_alg, EXT_CHECKSUM_OFF);
    query_event(&b, "BEGIN", 0);
    assert_int_equal(decode_buf(dec, &b, &ev, &err), REPL_OK);
    assert_false(ev->crc_present);
    assert_int_equal(ev->u.query.sql.len, 5);
    ext_decoder_free(dec);
    repl_buf_dispose(&b);
}

static void rotate_body(repl_buf *body, const char *name)
{
    repl_buf_clear(body);
    repl_buf_put_u64le(body, 4);
    repl_buf_put(body, name, strlen(name));
}

static void binlog__artificial_events(void **state)
{
    ext_decoder *dec = ext_decoder_new();
    const ext_event *ev = NULL;
    repl_error err;
    repl_buf b, body;
    (void)state;
    repl_buf_init(&b);
    repl_buf_init(&body);
    rotate_body(&body, "binlog.000042");
    /* before any FDE: a fake rotate without checksum keeps its whole name */
    build_ts(&b, EXT_EV_ROTATE, EXT_LOG_EVENT_ARTIFICIAL_F, 0, body.data, body.len, 0);
    assert_int_equal(decode_buf(dec, &b, &ev, &err), REPL_OK);
    assert_string_equal(ev->u.rotate.next_file, "binlog.000042");
    assert_false(ev->crc_present);
    /* and one with a valid CRC is recognised as such */
    build_ts(&b, EXT_EV_ROTATE, EXT_LOG_EVENT_ARTIFICIAL_F, 0, body.data, body.len, 1);
    assert_int_equal(decode_buf(dec, &b, &ev, &err), REPL_OK);
    assert_string_equal(ev->u.rotate.next_file, "binlog.000042");
    assert_true(ev->crc_verified);
    /* after a CRC32 FDE, an artificial event with a zero checksum is accepted and counted */
    fde_event(&b, "10.11.19-MariaDB-log", 1);
    assert_int_equal(decode_buf(dec, &b, &ev, &err), REPL_OK);
    build_ts(&b, EXT_EV_ROTATE, 0, 0, body.data, body.len, 1);
    memset(b.data + b.len - 4, 0, 4);
    assert_int_equal(decode_buf(dec, &b, &ev, &err), REPL_OK);
    assert_string_equal(ev->u.rotate.next_file, "binlog.000042");
    assert_true(ev->crc_present);
    assert_false(ev->crc_verified);
    assert_int_equal(ext_decoder_stats_get(dec)->artificial_crc_unchecked, 1);
    /* a real (non-artificial) rotate with a bad CRC is not */
    build_ts(&b, EXT_EV_ROTATE, 0, 1700000000, body.data, body.len, 1);
    memset(b.data + b.len - 4, 0, 4);
    assert_int_equal(decode_buf(dec, &b, &ev, &err), REPL_ERR_CORRUPT);
    ext_decoder_free(dec);
    repl_buf_dispose(&b);
    repl_buf_dispose(&body);
}

static void binlog__initial_checksum_hint(void **state)
{
    ext_decoder *dec = ext_decoder_new();
    const ext_event *ev = NULL;
    repl_error err;
    repl_buf b, body;
    (void)state;
    repl_buf_init(&b);
    repl_buf_init(&body);
    ext_decoder_set_initial_checksum(dec, EXT_CHECKSUM_CRC32);
    rotate_body(&body, "binlog.000042");
    build_ts(&b, EXT_EV_ROTATE, EXT_LOG_EVENT_ARTIFICIAL_F, 0, body.data, body.len, 1);
    memset(b.data + b.len - 4, 0, 4); /* MySQL's fake rotate may carry a zero checksum */
    assert_int_equal(decode_buf(dec, &b, &ev, &err), REPL_OK);
    assert_string_equal(ev->u.rotate.next_file, "binlog.000042");
    assert_null(ext_decoder_fde(dec));
    ext_decoder_free(dec);
    repl_buf_dispose(&b);
    repl_buf_dispose(&body);
}

/* ---- unknown events ---------------------------------------------------------------------------
 */

static void binlog__unknown_events(void **state)
{
    ext_decoder *dec = ext_decoder_new();
    const ext_event *ev = NULL;
    repl_error err;
    repl_buf b;
    (void)state;
    repl_buf_init(&b);
    fde_event(&b, "8.0.32", 1);
    assert_int_equal(decode_buf(dec, &b, &ev, &err), REPL_OK);
    build(&b, 99, EXT_LOG_EVENT_IGNORABLE_F, "future", 6, 1);
    assert_int_equal(decode_buf(dec, &b, &ev, &err), REPL_OK);
    assert_true(ev->skipped);
    assert_int_equal(ev->type, 99);
    assert_true(ev->crc_verified);
    build(&b, EXT_EV_IGNORABLE, EXT_LOG_EVENT_IGNORABLE_F, "x", 1, 1);
    assert_int_equal(decode_buf(dec, &b, &ev, &err), REPL_OK);
    assert_true(ev->skipped);
    assert_int_equal(ext_decoder_stats_get(dec)->ignorable_skipped, 2);
    build(&b, 99, 0, "future", 6, 1);
    assert_int_equal(decode_buf(dec, &b, &ev, &err), REPL_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "binlog: stream.bin at 120: UNKNOWN_EVENT (type 99): unknown "
                                    "event type 99 without LOG_EVENT_IGNORABLE_F"));
    build(&b, 99, EXT_LOG_EVENT_IGNORABLE_F, "future", 6, 1);
    b.data[20] ^= 1; /* ignorable, but its CRC still counts */
    assert_int_equal(decode_buf(dec, &b, &ev, &err), REPL_ERR_CORRUPT);
    assert_int_equal(ext_decoder_stats_get(dec)->ignorable_skipped, 2);
    ext_decoder_free(dec);
    repl_buf_dispose(&b);
}

static void binlog__encryption_refused(void **state)
{
    ext_decoder *dec = ext_decoder_new();
    const ext_event *ev = NULL;
    repl_error err;
    repl_buf b;
    uint8_t body[17] = { 1, 1, 0, 0, 0 };
    (void)state;
    repl_buf_init(&b);
    fde_event(&b, "10.11.19-MariaDB-log", 1);
    assert_int_equal(decode_buf(dec, &b, &ev, &err), REPL_OK);
    build(&b, EXT_EV_MARIA_START_ENCRYPTION, 0, body, sizeof(body), 1);
    assert_int_equal(decode_buf(dec, &b, &ev, &err), REPL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "START_ENCRYPTION_EVENT (type 164): encrypted binlog: cannot "
                                    "decode without key"));
    ext_decoder_free(dec);
    repl_buf_dispose(&b);
}

/* ---- TRANSACTION_PAYLOAD ----------------------------------------------------------------------
 */

static void zstd_all(repl_buf *out, const repl_buf *in)
{
    size_t bound = ZSTD_compressBound(in->len);
    repl_buf_clear(out);
    repl_buf_reserve(out, bound);
    out->len = ZSTD_compress(out->data, bound, in->data, in->len, 3);
    assert_false(ZSTD_isError(out->len));
}

static void inner_transaction(repl_buf *plain)
{
    repl_buf ev;
    repl_buf_init(&ev);
    repl_buf_clear(plain);
    query_event(&ev, "BEGIN", 0);
    repl_buf_put(plain, ev.data, ev.len);
    query_event(&ev, "INSERT INTO t VALUES (1)", 0);
    repl_buf_put(plain, ev.data, ev.len);
    xid_event(&ev, 4242, 0);
    repl_buf_put(plain, ev.data, ev.len);
    repl_buf_dispose(&ev);
}

static void expect_inner(ext_decoder *dec, const repl_buf *plain)
{
    static const int types[] = { EXT_EV_QUERY, EXT_EV_QUERY, EXT_EV_XID };
    const ext_event *in = NULL;
    repl_error err;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ext_decoder_next_inner(dec, &in, &err), 1);
        assert_int_equal(in->type, types[i]);
        assert_true(in->inner);
        assert_int_equal(in->inner_index, i);
        assert_int_equal(in->offset, 120);
        assert_false(in->crc_present);
    }
    assert_int_equal(in->u.xid.xid, 4242);
    assert_int_equal(ext_decoder_next_inner(dec, &in, &err), 0);
    assert_null(in);
    assert_int_equal(ext_decoder_next_inner(dec, &in, &err), 0);
    (void)plain;
}

static void binlog__payload_zstd(void **state)
{
    ext_decoder *dec = ext_decoder_new();
    const ext_event *ev = NULL;
    repl_error err;
    repl_buf b, plain, z;
    (void)state;
    repl_buf_init(&b);
    repl_buf_init(&plain);
    repl_buf_init(&z);
    fde_event(&b, "8.0.32", 1);
    assert_int_equal(decode_buf(dec, &b, &ev, &err), REPL_OK);
    inner_transaction(&plain);
    zstd_all(&z, &plain);
    payload_event(&b, &z, EXT_PAYLOAD_ZSTD, plain.len, 1);
    assert_int_equal(decode_buf(dec, &b, &ev, &err), REPL_OK);
    assert_int_equal(ev->u.payload.compression_type, EXT_PAYLOAD_ZSTD);
    assert_int_equal(ev->u.payload.uncompressed_size, plain.len);
    assert_int_equal(ev->u.payload.payload_size, z.len);
    expect_inner(dec, &plain);
    assert_int_equal(ext_decoder_stats_get(dec)->inner_events, 3);
    /* uncompressed payloads are framed in place */
    payload_event(&b, &plain, EXT_PAYLOAD_NONE, 0, 1);
    assert_int_equal(decode_buf(dec, &b, &ev, &err), REPL_OK);
    expect_inner(dec, &plain);
    ext_decoder_free(dec);
    repl_buf_dispose(&b);
    repl_buf_dispose(&plain);
    repl_buf_dispose(&z);
}

static int drain_inner(ext_decoder *dec, repl_error *err)
{
    const ext_event *in = NULL;
    int rc;
    while ((rc = ext_decoder_next_inner(dec, &in, err)) == 1)
        ;
    return rc;
}

static void binlog__payload_errors(void **state)
{
    ext_decoder *dec = ext_decoder_new();
    const ext_event *ev = NULL;
    repl_error err;
    repl_buf b, plain, z;
    (void)state;
    repl_buf_init(&b);
    repl_buf_init(&plain);
    repl_buf_init(&z);
    fde_event(&b, "8.0.32", 1);
    assert_int_equal(decode_buf(dec, &b, &ev, &err), REPL_OK);
    inner_transaction(&plain);
    zstd_all(&z, &plain);
    /* the zstd stream cut short */
    z.len -= 5;
    payload_event(&b, &z, EXT_PAYLOAD_ZSTD, plain.len, 1);
    assert_int_equal(decode_buf(dec, &b, &ev, &err), REPL_OK);
    assert_int_equal(drain_inner(dec, &err), REPL_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "inside TRANSACTION_PAYLOAD_EVENT"));
    /* a wrong uncompressed size */
    zstd_all(&z, &plain);
    payload_event(&b, &z, EXT_PAYLOAD_ZSTD, plain.len + 1, 1);
    assert_int_equal(decode_buf(dec, &b, &ev, &err), REPL_OK);
    assert_int_equal(drain_inner(dec, &err), REPL_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "header said"));
    /* garbage instead of zstd */
    payload_event(&b, &plain, EXT_PAYLOAD_ZSTD, 0, 1);
    assert_int_equal(decode_buf(dec, &b, &ev, &err), REPL_OK);
    assert_int_equal(drain_inner(dec, &err), REPL_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "zstd"));
    /* an inner event cut short in an uncompressed payload */
    plain.len -= 3;
    payload_event(&b, &plain, EXT_PAYLOAD_NONE, 0, 1);
    assert_int_equal(decode_buf(dec, &b, &ev, &err), REPL_OK);
    assert_int_equal(drain_inner(dec, &err), REPL_ERR_CORRUPT);
    /* payloads and FDEs do not nest */
    {
        repl_buf inner, ev2;
        repl_buf_init(&inner);
        repl_buf_init(&ev2);
        payload_event(&ev2, &plain, EXT_PAYLOAD_NONE, 0, 0);
        repl_buf_put(&inner, ev2.data, ev2.len);
        payload_event(&b, &inner, EXT_PAYLOAD_NONE, 0, 1);
        assert_int_equal(decode_buf(dec, &b, &ev, &err), REPL_OK);
        assert_int_equal(drain_inner(dec, &err), REPL_ERR_CORRUPT);
        assert_non_null(strstr(err.msg, "payload inside a payload"));
        repl_buf_clear(&inner);
        fde_event(&ev2, "8.0.32", 0);
        repl_buf_put(&inner, ev2.data, ev2.len);
        payload_event(&b, &inner, EXT_PAYLOAD_NONE, 0, 1);
        assert_int_equal(decode_buf(dec, &b, &ev, &err), REPL_OK);
        assert_int_equal(drain_inner(dec, &err), REPL_ERR_CORRUPT);
        assert_non_null(strstr(err.msg, "format description inside a payload"));
        repl_buf_dispose(&inner);
        repl_buf_dispose(&ev2);
    }
    /* unknown compression, and a payload size beyond the event */
    payload_event(&b, &plain, 7, 0, 1);
    assert_int_equal(decode_buf(dec, &b, &ev, &err), REPL_ERR_CORRUPT);
    payload_event(&b, &plain, EXT_PAYLOAD_NONE, 0, 0);
    b.len -= 4; /* a shorter event with the same payload size field, checked without CRC */
    repl_store_u32le(b.data + 9, (uint32_t)b.len);
    ext_decoder_reset(dec);
    ext_decoder_set_initial_checksum(dec, EXT_CHECKSUM_OFF);
    assert_int_equal(decode_buf(dec, &b, &ev, &err), REPL_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "runs past the event"));
    ext_decoder_free(dec);
    repl_buf_dispose(&b);
    repl_buf_dispose(&plain);
    repl_buf_dispose(&z);
}

/* 50 MB of inner events, compressed on the fly: the decoder must stream them. */
static void big_payload(repl_buf *z, size_t target, size_t *nevents, size_t *nbytes)
{
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    char sql[1000];
    repl_buf ev;
    repl_buf_init(&ev);
    *nevents = *nbytes = 0;
    repl_buf_clear(z);
    memset(sql, 'v', sizeof(sql) - 1);
    sql[sizeof(sql) - 1] = '\0';
    while (*nbytes < target) {
        int n = snprintf(sql, 40, "INSERT INTO t VALUES (%zu, '", *nevents);
        sql[n] = 'v';
        query_event(&ev, sql, 0);
        ZSTD_inBuffer in = { ev.data, ev.len, 0 };
        while (in.pos < in.size) {
            repl_buf_reserve(z, ZSTD_CStreamOutSize());
            ZSTD_outBuffer out = { z->data + z->len, ZSTD_CStreamOutSize(), 0 };
            assert_false(ZSTD_isError(ZSTD_compressStream2(cctx, &out, &in, ZSTD_e_continue)));
            z->len += out.pos;
        }
        (*nevents)++;
        *nbytes += ev.len;
    }
    for (size_t left = 1; left != 0;) {
        ZSTD_inBuffer in = { NULL, 0, 0 };
        repl_buf_reserve(z, ZSTD_CStreamOutSize());
        ZSTD_outBuffer out = { z->data + z->len, ZSTD_CStreamOutSize(), 0 };
        left = ZSTD_compressStream2(cctx, &out, &in, ZSTD_e_end);
        assert_false(ZSTD_isError(left));
        z->len += out.pos;
    }
    ZSTD_freeCCtx(cctx);
    repl_buf_dispose(&ev);
}

static void binlog__payload_memory_is_bounded(void **state)
{
    ext_decoder *dec = ext_decoder_new();
    const ext_event *ev = NULL, *in = NULL;
    size_t nevents, nbytes, seen = 0, seen_bytes = 0, max;
    repl_error err;
    repl_buf b, z;
    int rc;
    (void)state;
    repl_buf_init(&b);
    repl_buf_init(&z);
    fde_event(&b, "8.0.32", 1);
    assert_int_equal(decode_buf(dec, &b, &ev, &err), REPL_OK);
    big_payload(&z, 50u << 20, &nevents, &nbytes);
    payload_event(&b, &z, EXT_PAYLOAD_ZSTD, nbytes, 1);
    repl_buf_dispose(&z);
    assert_int_equal(decode_buf(dec, &b, &ev, &err), REPL_OK);
    while ((rc = ext_decoder_next_inner(dec, &in, &err)) == 1) {
        assert_int_equal(in->type, EXT_EV_QUERY);
        seen++;
        seen_bytes += in->event_len;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(seen, nevents);
    assert_int_equal(seen_bytes, nbytes);
    max = ext_decoder_stats_get(dec)->payload_buffer_max;
    /* one ~1 KB event plus zstd's context and window: far below the 50 MB decompressed */
    assert_true(max > 0);
    if (max > (4u << 20))
        fail_msg("payload buffers reached %zu bytes for %zu decompressed", max, nbytes);
    print_message("50 MB payload: %zu inner events, %zu compressed bytes, max buffer %zu bytes\n",
                  seen, b.len, max);
    ext_decoder_free(dec);
    repl_buf_dispose(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(binlog__file_events_and_offsets),
        cmocka_unit_test(binlog__file_errors),
        cmocka_unit_test(binlog__truncated_events),
        cmocka_unit_test(binlog__impossible_length),
        cmocka_unit_test(binlog__bad_crc),
        cmocka_unit_test(binlog__no_checksum_stream),
        cmocka_unit_test(binlog__artificial_events),
        cmocka_unit_test(binlog__initial_checksum_hint),
        cmocka_unit_test(binlog__unknown_events),
        cmocka_unit_test(binlog__encryption_refused),
        cmocka_unit_test(binlog__payload_zstd),
        cmocka_unit_test(binlog__payload_errors),
        cmocka_unit_test(binlog__payload_memory_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
