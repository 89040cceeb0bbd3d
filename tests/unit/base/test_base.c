/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/base/test_base.c - replicator/base: the bounds-checked reader (rd.h), the growable
 * writer (buf.h), CRC32C, the arena and repl_error. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "replicator/base/buf.h"
#include "replicator/base/crc32c.h"
#include "replicator/base/error.h"
#include "replicator/base/mem.h"
#include "replicator/base/rd.h"

/* ---- rd.h ------------------------------------------------------------------------------------ */

static void rd__fixed_width_readers(void **state)
{
    static const uint8_t b[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09 };
    repl_rd r;
    (void)state;
    rd_init(&r, b, sizeof(b));
    assert_int_equal(rd_u8(&r), 0x01);
    assert_int_equal(rd_u16le(&r), 0x0302);
    assert_int_equal(rd_u24le(&r), 0x060504);
    assert_int_equal(rd_left(&r), 3);
    rd_init(&r, b, sizeof(b));
    assert_int_equal(rd_u32le(&r), 0x04030201);
    rd_init(&r, b, sizeof(b));
    assert_true(rd_u48le(&r) == 0x060504030201ULL);
    rd_init(&r, b, sizeof(b));
    assert_true(rd_u64le(&r) == 0x0807060504030201ULL);
    assert_int_equal(rd_u8(&r), 0x09);
    assert_int_equal(rd_left(&r), 0);
    assert_true(rd_ok(&r));
    rd_init(&r, b, sizeof(b));
    assert_int_equal(rd_u16be(&r), 0x0102);
    assert_int_equal(rd_u24be(&r), 0x030405);
    rd_init(&r, b, sizeof(b));
    assert_int_equal(rd_u32be(&r), 0x01020304);
    rd_init(&r, b, sizeof(b));
    assert_true(rd_u64be(&r) == 0x0102030405060708ULL);
    rd_init(&r, b, sizeof(b));
    assert_int_equal(rd_uint_le(&r, 5), 0x0504030201ULL);
    assert_int_equal(rd_uint_be(&r, 3), 0x060708);
}

static void rd__read_past_end_is_sticky(void **state)
{
    static const uint8_t b[] = { 0xaa, 0xbb, 0xcc };
    repl_rd r;
    (void)state;
    rd_init(&r, b, sizeof(b));
    assert_int_equal(rd_u32le(&r), 0);
    assert_false(rd_ok(&r));
    assert_ptr_equal(r.p, b); /* cursor not moved */
    assert_int_equal(rd_left(&r), 3);
    assert_int_equal(rd_u8(&r), 0); /* bytes remain, but the reader stays bad */
    assert_null(rd_take(&r, 0));
    assert_false(rd_skip(&r, 1));
    assert_false(rd_ok(&r));
}

static void rd__take_and_skip(void **state)
{
    static const uint8_t b[] = { 1, 2, 3, 4 };
    repl_rd r;
    const uint8_t *p;
    (void)state;
    rd_init(&r, b, sizeof(b));
    p = rd_take(&r, 2);
    assert_ptr_equal(p, b);
    assert_true(rd_skip(&r, 1));
    assert_int_equal(rd_left(&r), 1);
    assert_non_null(rd_take(&r, 0));
    assert_null(rd_take(&r, 2));
    assert_false(rd_ok(&r));
    rd_init(&r, b, sizeof(b));
    assert_null(rd_take(&r, SIZE_MAX)); /* huge lengths never wrap */
    assert_false(rd_ok(&r));
    rd_init(&r, b, 0);
    assert_int_equal(rd_left(&r), 0);
    assert_int_equal(rd_u8(&r), 0);
    assert_false(rd_ok(&r));
}

static uint64_t read_packed(const uint8_t *b, size_t len, int *ok)
{
    repl_rd r;
    uint64_t v;
    rd_init(&r, b, len);
    v = rd_packed(&r);
    *ok = rd_ok(&r) && rd_left(&r) == 0;
    return v;
}

static void rd__packed_integers(void **state)
{
    static const uint8_t one[] = { 0xfa };
    static const uint8_t u16[] = { 0xfc, 0x34, 0x12 };
    static const uint8_t u24[] = { 0xfd, 0x56, 0x34, 0x12 };
    static const uint8_t u64[] = { 0xfe, 1, 2, 3, 4, 5, 6, 7, 0x80 };
    static const uint8_t null_marker[] = { 0xfb };
    static const uint8_t ff[] = { 0xff };
    int ok;
    (void)state;
    assert_int_equal(read_packed(one, sizeof(one), &ok), 0xfa);
    assert_true(ok);
    assert_int_equal(read_packed(u16, sizeof(u16), &ok), 0x1234);
    assert_true(ok);
    assert_int_equal(read_packed(u24, sizeof(u24), &ok), 0x123456);
    assert_true(ok);
    assert_true(read_packed(u64, sizeof(u64), &ok) == 0x8007060504030201ULL);
    assert_true(ok);
    read_packed(u64, sizeof(u64) - 1, &ok);
    assert_false(ok);
    read_packed(u16, 2, &ok);
    assert_false(ok);
    read_packed(null_marker, 1, &ok);
    assert_false(ok);
    read_packed(ff, 1, &ok);
    assert_false(ok);
}

static uint64_t read_varint(const uint8_t *b, size_t len, int *ok)
{
    repl_rd r;
    uint64_t v;
    rd_init(&r, b, len);
    v = rd_varint(&r);
    *ok = rd_ok(&r) && rd_left(&r) == 0;
    return v;
}

static void rd__varint_round_trip(void **state)
{
    static const uint64_t vals[] = { 0,          1,          127,        128,
                                     16383,      16384,      2097151,    2097152,
                                     UINT32_MAX, 1ULL << 56, 1ULL << 63, UINT64_MAX - 1,
                                     UINT64_MAX };
    static const size_t lens[] = { 1, 1, 1, 2, 2, 3, 3, 4, 5, 9, 10, 10, 10 };
    repl_buf b;
    int ok;
    (void)state;
    repl_buf_init(&b);
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        repl_buf_clear(&b);
        repl_buf_put_varint(&b, vals[i]);
        assert_int_equal(b.len, lens[i]);
        assert_true(read_varint(b.data, b.len, &ok) == vals[i]);
        assert_true(ok);
        for (size_t cut = 0; cut < b.len; cut++) {
            read_varint(b.data, cut, &ok); /* every truncation fails */
            assert_false(ok);
        }
    }
    repl_buf_dispose(&b);
}

static void rd__varint_overlong_rejected(void **state)
{
    static const uint8_t max[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
    static const uint8_t over64[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02 };
    static const uint8_t eleven[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                      0x80, 0x80, 0x80, 0x80, 0x00 };
    static const uint8_t padded_zero[] = { 0x80, 0x00 };
    int ok;
    (void)state;
    assert_true(read_varint(max, sizeof(max), &ok) == UINT64_MAX);
    assert_true(ok);
    assert_int_equal(read_varint(over64, sizeof(over64), &ok), 0); /* bit 64 and up */
    assert_false(ok);
    assert_int_equal(read_varint(eleven, sizeof(eleven), &ok), 0); /* more than 10 bytes */
    assert_false(ok);
    /* a redundant zero group inside 10 bytes is accepted (records are CRC-protected) */
    assert_int_equal(read_varint(padded_zero, sizeof(padded_zero), &ok), 0);
    assert_true(ok);
}

/* ---- buf.h ----------------------------------------------------------------------------------- */

static void buf__writers_match_readers(void **state)
{
    static const uint8_t want[] = { 0x11, 0x22, 0x11, 0x44, 0x33, 0x22, 0x11, 8,    7,    6,
                                    5,    4,    3,    2,    1,    0x11, 0x22, 0x33, 0x44, 1,
                                    2,    3,    4,    5,    6,    7,    8,    2,    'h',  'i' };
    repl_buf b;
    repl_rd r;
    (void)state;
    repl_buf_init(&b);
    assert_null(b.data);
    repl_buf_put_u8(&b, 0x11);
    repl_buf_put_u16le(&b, 0x1122);
    repl_buf_put_u32le(&b, 0x11223344);
    repl_buf_put_u64le(&b, 0x0102030405060708ULL);
    repl_buf_put_u32be(&b, 0x11223344);
    repl_buf_put_u64be(&b, 0x0102030405060708ULL);
    repl_buf_put_lenbytes(&b, "hi", 2);
    assert_int_equal(b.len, sizeof(want));
    assert_memory_equal(b.data, want, sizeof(want));
    rd_init(&r, b.data, b.len);
    assert_int_equal(rd_u8(&r), 0x11);
    assert_int_equal(rd_u16le(&r), 0x1122);
    assert_int_equal(rd_u32le(&r), 0x11223344);
    assert_true(rd_u64le(&r) == 0x0102030405060708ULL);
    assert_int_equal(rd_u32be(&r), 0x11223344);
    assert_true(rd_u64be(&r) == 0x0102030405060708ULL);
    assert_int_equal(rd_varint(&r), 2);
    assert_memory_equal(rd_take(&r, 2), "hi", 2);
    assert_true(rd_ok(&r));
    repl_buf_dispose(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
}

static void buf__grows_and_clears(void **state)
{
    repl_buf b;
    uint8_t chunk[1000];
    (void)state;
    repl_buf_init(&b);
    for (size_t i = 0; i < sizeof(chunk); i++)
        chunk[i] = (uint8_t)i;
    for (int i = 0; i < 100; i++)
        repl_buf_put(&b, chunk, sizeof(chunk));
    assert_int_equal(b.len, 100000);
    assert_true(b.cap >= b.len);
    for (int i = 0; i < 100; i++)
        assert_memory_equal(b.data + i * 1000, chunk, sizeof(chunk));
    repl_buf_clear(&b);
    assert_int_equal(b.len, 0);
    assert_true(b.cap >= 100000);
    repl_buf_put(&b, NULL, 0);
    assert_int_equal(b.len, 0);
    repl_buf_reserve(&b, 1000000);
    assert_true(b.cap >= 1000000);
    repl_buf_dispose(&b);
}

static void buf__printf_appends(void **state)
{
    repl_buf b;
    char big[300];
    (void)state;
    repl_buf_init(&b);
    repl_buf_printf(&b, "seqno=%d", 12);
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    repl_buf_printf(&b, " %s", big); /* longer than the first reservation */
    assert_int_equal(b.len, strlen("seqno=12") + 1 + 299);
    assert_memory_equal(b.data, "seqno=12 xxx", 12);
    assert_int_equal(b.data[b.len - 1], 'x');
    repl_buf_dispose(&b);
}

static void buf__store_helpers(void **state)
{
    uint8_t p[8];
    (void)state;
    repl_store_u32le(p, 0x11223344);
    assert_int_equal(p[0], 0x44);
    assert_int_equal(p[3], 0x11);
    repl_store_u64be(p, 0x0102030405060708ULL);
    assert_int_equal(p[0], 0x01);
    assert_int_equal(p[7], 0x08);
}

/* ---- crc32c ---------------------------------------------------------------------------------- */

static uint32_t crc_reference(const uint8_t *p, size_t len)
{
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
    }
    return ~crc;
}

static void crc32c__known_vectors(void **state)
{
    uint8_t zeros[32];
    (void)state;
    memset(zeros, 0, sizeof(zeros));
    assert_int_equal(repl_crc32c(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(repl_crc32c(0, "", 0), 0);
    assert_int_equal(repl_crc32c(0, zeros, sizeof(zeros)), 0x8A9136AAu); /* RFC 3720 B.4 */
}

static void crc32c__incremental_equals_one_shot(void **state)
{
    uint8_t buf[300];
    uint32_t whole;
    (void)state;
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 131 + 7);
    whole = repl_crc32c(0, buf, sizeof(buf));
    assert_int_equal(whole, crc_reference(buf, sizeof(buf)));
    for (size_t cut = 0; cut <= sizeof(buf); cut++) {
        uint32_t c = repl_crc32c(0, buf, cut);
        assert_int_equal(repl_crc32c(c, buf + cut, sizeof(buf) - cut), whole);
    }
}

static void crc32c__all_lengths_and_alignments(void **state)
{
    uint8_t buf[200];
    (void)state;
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 89 + 3);
    for (size_t off = 0; off < 8; off++) {
        for (size_t len = 0; len + off <= 120; len++)
            assert_int_equal(repl_crc32c(0, buf + off, len), crc_reference(buf + off, len));
    }
}

/* ---- arena ----------------------------------------------------------------------------------- */

static void arena__alignment_and_sizes(void **state)
{
    repl_arena *a = repl_arena_new(0); /* below the minimum chunk: still works */
    void *p[50];
    (void)state;
    for (int i = 0; i < 50; i++) {
        p[i] = repl_arena_alloc(a, (size_t)i * 3);
        assert_non_null(p[i]);
        assert_int_equal((uintptr_t)p[i] % 8, 0);
        memset(p[i], 0xab, (size_t)i * 3);
    }
    for (int i = 1; i < 50; i++)
        assert_ptr_not_equal(p[i], p[i - 1]); /* size 0 too gives a unique pointer */
    assert_true(repl_arena_used(a) >= 3 * 49 * 50 / 2);
    repl_arena_free(a);
    repl_arena_free(NULL);
}

static void arena__big_allocations_and_copies(void **state)
{
    repl_arena *a = repl_arena_new(256);
    static uint8_t big[100000];
    uint8_t *p;
    char *s;
    (void)state;
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)i;
    p = repl_arena_memdup(a, big, sizeof(big));
    assert_memory_equal(p, big, sizeof(big));
    s = repl_arena_strndup(a, "hello world", 5);
    assert_string_equal(s, "hello");
    s = repl_arena_strndup(a, "", 0);
    assert_string_equal(s, "");
    assert_memory_equal(p, big, sizeof(big)); /* later allocations do not overlap */
    assert_true(repl_arena_used(a) >= sizeof(big));
    repl_arena_free(a);
}

static void arena__reset_forgets_everything(void **state)
{
    repl_arena *a = repl_arena_new(1024);
    (void)state;
    for (int i = 0; i < 100; i++)
        memset(repl_arena_alloc(a, 500), i, 500);
    assert_int_equal(repl_arena_used(a), 100 * 504);
    repl_arena_reset(a);
    assert_int_equal(repl_arena_used(a), 0);
    memset(repl_arena_alloc(a, 700), 1, 700);
    assert_int_equal(repl_arena_used(a), 704);
    repl_arena_free(a);
}

static void mem__try_malloc_and_strdup(void **state)
{
    char *s = repl_strdup("abc");
    char *t = repl_strndup("abcdef", 2);
    void *p = repl_try_malloc(0);
    (void)state;
    assert_string_equal(s, "abc");
    assert_string_equal(t, "ab");
    assert_non_null(p);
    repl_free(s);
    repl_free(t);
    repl_free(p);
    repl_free(NULL);
}

/* ---- error ----------------------------------------------------------------------------------- */

static void error__set_sys_wrap(void **state)
{
    repl_error err;
    (void)state;
    assert_int_equal(repl_error_set(&err, REPL_ERR_CORRUPT, "thl: seqno=%d", 4), REPL_ERR_CORRUPT);
    assert_string_equal(err.msg, "thl: seqno=4");
    assert_int_equal(repl_error_wrap(&err, "apply %s", "alpha"), REPL_ERR_CORRUPT);
    assert_string_equal(err.msg, "apply alpha: thl: seqno=4");
    assert_int_equal(repl_error_sys(&err, REPL_ERR_IO, ENOENT, "open %s", "/x"), REPL_ERR_IO);
    assert_int_equal(err.sys_errno, ENOENT);
    assert_non_null(strstr(err.msg, "open /x: "));
    repl_error_clear(&err);
    assert_int_equal(err.code, REPL_OK);
    assert_string_equal(err.msg, "");
    assert_int_equal(repl_error_set(NULL, REPL_ERR_IO, "x"), REPL_ERR_IO);
    assert_string_equal(repl_code_name(REPL_ERR_CORRUPT), "corrupt");
    assert_string_equal(repl_code_name(12345), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rd__fixed_width_readers),
        cmocka_unit_test(rd__read_past_end_is_sticky),
        cmocka_unit_test(rd__take_and_skip),
        cmocka_unit_test(rd__packed_integers),
        cmocka_unit_test(rd__varint_round_trip),
        cmocka_unit_test(rd__varint_overlong_rejected),
        cmocka_unit_test(buf__writers_match_readers),
        cmocka_unit_test(buf__grows_and_clears),
        cmocka_unit_test(buf__printf_appends),
        cmocka_unit_test(buf__store_helpers),
        cmocka_unit_test(crc32c__known_vectors),
        cmocka_unit_test(crc32c__incremental_equals_one_shot),
        cmocka_unit_test(crc32c__all_lengths_and_alignments),
        cmocka_unit_test(arena__alignment_and_sizes),
        cmocka_unit_test(arena__big_allocations_and_copies),
        cmocka_unit_test(arena__reset_forgets_everything),
        cmocka_unit_test(mem__try_malloc_and_strdup),
        cmocka_unit_test(error__set_sys_wrap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
