/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/backup/test_tsv.c - the data file format: every byte value survives escaping, NULL
 * and the string "\N" stay distinct, no escaped field contains a raw separator, malformed escapes
 * are refused by the decoder. */
#include "bkp_test.h"

#include "backup/tsv.h"

static void roundtrip(const char *v, size_t len)
{
    repl_buf enc;
    repl_buf dec;
    repl_buf_init(&enc);
    repl_buf_init(&dec);
    bkp_tsv_put_field(&enc, v, len);
    for (size_t i = 0; i < enc.len; i++) {
        assert_int_not_equal(enc.data[i], '\t');
        assert_int_not_equal(enc.data[i], '\n');
        assert_int_not_equal(enc.data[i], '\0');
    }
    assert_int_equal(bkp_tsv_decode_field(&dec, (const char *)enc.data, enc.len), 0);
    assert_int_equal(dec.len, len);
    if (len > 0)
        assert_memory_equal(dec.data, v, len);
    repl_buf_dispose(&enc);
    repl_buf_dispose(&dec);
}

static void tsv__every_byte_round_trips(void **state)
{
    char all[256];
    uint8_t rnd[4096];
    (void)state;
    for (int i = 0; i < 256; i++)
        all[i] = (char)i;
    roundtrip(all, sizeof(all));
    for (int i = 0; i < 256; i++)
        roundtrip(all + i, 1);
    roundtrip("", 0);
    roundtrip("\\N", 2);
    roundtrip("N", 1);
    roundtrip("\\", 1);
    roundtrip("a\\tb", 4);
    for (uint32_t seed = 1; seed < 50; seed++) {
        bt_fill(rnd, sizeof(rnd), seed);
        roundtrip((const char *)rnd, sizeof(rnd) - seed * 3);
    }
}

static void tsv__null_and_escapes(void **state)
{
    repl_buf b;
    repl_buf dec;
    (void)state;
    repl_buf_init(&b);
    repl_buf_init(&dec);
    bkp_tsv_put_field(&b, NULL, 0);
    assert_int_equal(b.len, 2);
    assert_memory_equal(b.data, "\\N", 2);
    assert_int_equal(bkp_tsv_decode_field(&dec, "\\N", 2), 1);
    repl_buf_clear(&b);
    bkp_tsv_put_field(&b, "\\N", 2); /* the string, not NULL */
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "\\\\N", 3);
    assert_int_equal(bkp_tsv_decode_field(&dec, (const char *)b.data, b.len), 0);
    repl_buf_clear(&b);
    bkp_tsv_put_field(&b, "a\tb\nc\rd\0e", 9);
    assert_int_equal(b.len, 13);
    assert_memory_equal(b.data, "a\\tb\\nc\\rd\\0e", 13);
    assert_int_equal(bkp_tsv_decode_field(&dec, "abc\\", 4), -1);
    assert_int_equal(bkp_tsv_decode_field(&dec, "\\Z\\b", 4), 0);
    assert_memory_equal(dec.data, "\032\b", 2);
    repl_buf_dispose(&b);
    repl_buf_dispose(&dec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tsv__every_byte_round_trips),
        cmocka_unit_test(tsv__null_and_escapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
