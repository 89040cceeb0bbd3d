/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/extractors/test_json_binary.c - MySQL binary JSON to text (extractors/json_binary.c):
 * scalars, MySQL's double formatting, string escapes, small and large containers, opaque values
 * (DECIMAL, temporals, base64), nesting limit, corrupt documents; and partial JSON diffs to the
 * mysqlbinlog -v expression. Opaque vectors come from the MySQL fixture json-opaque.binlog. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "extractors/json_binary.h"

/* Convert doc and compare with the expected text. */
static void expect_json(const uint8_t *doc, size_t len, const char *text)
{
    repl_buf out;
    repl_error err;
    repl_buf_init(&out);
    int rc = ext_json_binary_to_text(&out, doc, len, &err);
    if (rc != REPL_OK)
        fail_msg("%s", err.msg);
    if (out.len != strlen(text) || memcmp(out.data, text, out.len) != 0)
        fail_msg("got \"%.*s\", want \"%s\"", (int)out.len, (const char *)out.data, text);
    repl_buf_dispose(&out);
}

static void expect_json_error(const uint8_t *doc, size_t len, const char *needle)
{
    repl_buf out;
    repl_error err;
    repl_buf_init(&out);
    assert_int_equal(ext_json_binary_to_text(&out, doc, len, &err), REPL_ERR_CORRUPT);
    if (strstr(err.msg, needle) == NULL)
        fail_msg("error \"%s\" lacks \"%s\"", err.msg, needle);
    repl_buf_dispose(&out);
}

static void expect_double(double d, const char *text)
{
    uint8_t doc[9] = { 0x0b };
    memcpy(doc + 1, &d, 8); /* the tests run on little-endian hosts, like the format */
    expect_json(doc, sizeof(doc), text);
}

static void expect_diff(const uint8_t *diff, size_t len, const char *text)
{
    repl_buf out;
    repl_error err;
    repl_buf_init(&out);
    int rc = ext_json_diff_to_text(&out, diff, len, "@2", &err);
    if (rc != REPL_OK)
        fail_msg("%s", err.msg);
    if (out.len != strlen(text) || memcmp(out.data, text, out.len) != 0)
        fail_msg("got \"%.*s\", want \"%s\"", (int)out.len, (const char *)out.data, text);
    repl_buf_dispose(&out);
}

static void expect_diff_error(const uint8_t *diff, size_t len, const char *needle)
{
    repl_buf out;
    repl_error err;
    repl_buf_init(&out);
    assert_int_equal(ext_json_diff_to_text(&out, diff, len, "@2", &err), REPL_ERR_CORRUPT);
    if (strstr(err.msg, needle) == NULL)
        fail_msg("error \"%s\" lacks \"%s\"", err.msg, needle);
    repl_buf_dispose(&out);
}

#define DOC(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })

/* ---- scalars --------------------------------------------------------------------------------- */

static void json__literals_and_integers(void **state)
{
    (void)state;
    expect_json(NULL, 0, "null"); /* empty column value */
    expect_json(DOC(0x04, 0x00), "null");
    expect_json(DOC(0x04, 0x01), "true");
    expect_json(DOC(0x04, 0x02), "false");
    expect_json(DOC(0x05, 0xff, 0xff), "-1");
    expect_json(DOC(0x06, 0xff, 0xff), "65535");
    expect_json(DOC(0x07, 0x00, 0x00, 0x00, 0x80), "-2147483648");
    expect_json(DOC(0x08, 0xff, 0xff, 0xff, 0xff), "4294967295");
    expect_json(DOC(0x09, 0, 0, 0, 0, 0, 0, 0, 0x80), "-9223372036854775808");
    expect_json(DOC(0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), "18446744073709551615");
}

static void json__doubles_like_mysql(void **state)
{
    (void)state;
    expect_double(1.0, "1.0");
    expect_double(-1.5, "-1.5");
    expect_double(0.1, "0.1");
    expect_double(0.0, "0.0");
    expect_double(-0.0, "-0.0");
    expect_double(3.141592653589793, "3.141592653589793");
    expect_double(1e14, "100000000000000.0");
    expect_double(1e15, "1e15");
    expect_double(1e20, "1e20");
    expect_double(123456789012345678.0, "1.2345678901234568e17");
    expect_double(0.0001, "0.0001");
    expect_double(1.5e-15, "0.0000000000000015");
    expect_double(1e-16, "1e-16");
    expect_double(-2.5e-100, "-2.5e-100");
    expect_double(1.7976931348623157e308, "1.7976931348623157e308");
}

static void json__string_escapes(void **state)
{
    (void)state;
    expect_json(DOC(0x0c, 0x03, 'a', 'b', 'c'), "\"abc\"");
    expect_json(DOC(0x0c, 0x00), "\"\"");
    expect_json(DOC(0x0c, 0x0a, '"', '\\', '\b', '\f', '\n', '\r', '\t', 0x01, 0x1f, 0x7f),
                "\"\\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\"");
    expect_json(DOC(0x0c, 0x04, 0xf0, 0x9f, 0x98, 0x80), "\"\xf0\x9f\x98\x80\"");
    /* a 2-byte variable length: 130 bytes */
    uint8_t doc[3 + 130] = { 0x0c, 0x82, 0x01 };
    char want[133];
    memset(doc + 3, 'z', 130);
    want[0] = '"';
    memset(want + 1, 'z', 130);
    want[131] = '"';
    want[132] = '\0';
    expect_json(doc, sizeof(doc), want);
}

/* ---- containers ------------------------------------------------------------------------------ */

static void json__small_containers(void **state)
{
    (void)state;
    expect_json(DOC(0x00, 0x00, 0x00, 0x04, 0x00), "{}");
    expect_json(DOC(0x02, 0x00, 0x00, 0x04, 0x00), "[]");
    /* {"a": 1, "bb": [true, "x"]} */
    expect_json(DOC(0x00, 0x02, 0x00, 0x21, 0x00, 0x12, 0x00, 0x01, 0x00, 0x13, 0x00, 0x02, 0x00,
                    0x05, 0x01, 0x00, 0x02, 0x15, 0x00, 'a', 'b', 'b', 0x02, 0x00, 0x0c, 0x00, 0x04,
                    0x01, 0x00, 0x0c, 0x0a, 0x00, 0x01, 'x'),
                "{\"a\": 1, \"bb\": [true, \"x\"]}");
    /* a small array keeps INT32 out of line */
    expect_json(DOC(0x02, 0x01, 0x00, 0x0b, 0x00, 0x07, 0x07, 0x00, 0x00, 0x00, 0x00, 0x80),
                "[-2147483648]");
    /* [9223372036854775807, 18446744073709551615, 1.0] */
    expect_json(DOC(0x02, 0x03, 0x00, 0x25, 0x00, 0x09, 0x0d, 0x00, 0x0a, 0x15, 0x00, 0x0b, 0x1d,
                    0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff,
                    0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f),
                "[9223372036854775807, 18446744073709551615, 1.0]");
}

static void json__large_containers(void **state)
{
    (void)state;
    /* large array: INT32 inline */
    expect_json(DOC(0x03, 0x01, 0, 0, 0, 0x0d, 0, 0, 0, 0x07, 0xff, 0xff, 0xff, 0x7f),
                "[2147483647]");
    /* large object {"k": -5} */
    expect_json(DOC(0x01, 0x01, 0, 0, 0, 0x14, 0, 0, 0, 0x13, 0, 0, 0, 0x01, 0x00, 0x05, 0xfb, 0xff,
                    0, 0, 'k'),
                "{\"k\": -5}");
}

static size_t nested_arrays(uint8_t *buf, size_t cap, unsigned depth)
{
    /* innermost: an empty small array */
    uint8_t tmp[2048];
    size_t len = 4;
    memcpy(tmp, (const uint8_t[]){ 0x00, 0x00, 0x04, 0x00 }, 4);
    for (unsigned d = 1; d < depth; d++) {
        assert_true(len + 7 <= sizeof(tmp));
        memmove(tmp + 7, tmp, len);
        uint16_t size = (uint16_t)(len + 7);
        const uint8_t head[] = {
            0x01, 0x00, (uint8_t)size, (uint8_t)(size >> 8), 0x02, 0x07, 0x00
        };
        memcpy(tmp, head, 7);
        len += 7;
    }
    assert_true(len + 1 <= cap);
    buf[0] = 0x02;
    memcpy(buf + 1, tmp, len);
    return len + 1;
}

static void json__nesting_limit(void **state)
{
    uint8_t doc[2048];
    char want[256];
    (void)state;
    size_t n = nested_arrays(doc, sizeof(doc), 100);
    for (int i = 0; i < 100; i++)
        want[i] = '[';
    for (int i = 0; i < 100; i++)
        want[100 + i] = ']';
    want[200] = '\0';
    expect_json(doc, n, want);
    n = nested_arrays(doc, sizeof(doc), 101);
    expect_json_error(doc, n, "nesting deeper than 100");
}

/* Ten nested arrays whose ten elements all point at the same child: 10^10 values to print. */
static void json__shared_values_are_refused(void **state)
{
    uint8_t doc[512];
    size_t pos = 1, level;
    (void)state;
    doc[0] = 0x02;
    for (level = 0; level < 10; level++) {
        size_t size = 34 * (10 - level) + 4; /* this array, the ones inside it, the empty one */
        doc[pos] = 10;
        doc[pos + 1] = 0;
        doc[pos + 2] = (uint8_t)size;
        doc[pos + 3] = (uint8_t)(size >> 8);
        for (int e = 0; e < 10; e++) {
            doc[pos + 4 + 3 * e] = 0x02;
            doc[pos + 5 + 3 * e] = 34;
            doc[pos + 6 + 3 * e] = 0;
        }
        pos += 34;
    }
    memcpy(doc + pos, (const uint8_t[]){ 0x00, 0x00, 0x04, 0x00 }, 4);
    expect_json_error(doc, pos + 4, "shared values");
}

/* ---- opaque values (vectors from json-opaque.binlog, MySQL 9.0.1) --------------------------- */

static void json__opaque_values(void **state)
{
    (void)state;
    expect_json(DOC(0x0f, 0xf6, 0x06, 0x06, 0x03, 0x80, 0x7b, 0x01, 0xc8), "123.456");
    expect_json(DOC(0x0f, 0xf6, 0x06, 0x06, 0x03, 0x7f, 0x84, 0xfe, 0x37), "-123.456");
    expect_json(DOC(0x0f, 0xf6, 0x07, 0x0b, 0x02, 0x80, 0x00, 0x00, 0x09, 0x00), "9.00");
    expect_json(DOC(0x0f, 0x0a, 0x08, 0, 0, 0, 0, 0, 0xe4, 0x8b, 0x19), "\"2012-03-18\"");
    expect_json(DOC(0x0f, 0x0c, 0x08, 0, 0, 0, 0xad, 0xb7, 0xe4, 0x8b, 0x19),
                "\"2012-03-18 11:30:45.000000\"");
    expect_json(DOC(0x0f, 0x07, 0x08, 0, 0, 0, 0xad, 0xb7, 0xe4, 0x8b, 0x19),
                "\"2012-03-18 11:30:45.000000\"");
    expect_json(DOC(0x0f, 0x0b, 0x08, 0xf1, 0xfb, 0x09, 0xee, 0x77, 0x05, 0, 0),
                "\"87:31:46.654321\"");
    expect_json(DOC(0x0f, 0x0b, 0x08, 0x0f, 0x04, 0xf6, 0x11, 0x88, 0xfa, 0xff, 0xff),
                "\"-87:31:46.654321\"");
    expect_json(DOC(0x0f, 0xfd, 0x02, 'h', 'i'), "\"hi\"");
    expect_json(DOC(0x0f, 0x0f, 0x01, 0x55), "\"base64:type15:VQ==\"");
    expect_json(DOC(0x0f, 0x10, 0x01, 0x0a), "\"base64:type16:Cg==\"");
    /* base64 breaks lines after 76 characters; the newline is escaped inside the JSON string */
    uint8_t doc[3 + 60] = { 0x0f, 0xfc, 60 };
    char want[128];
    memset(doc + 3, 0, 60);
    snprintf(want, sizeof(want), "\"base64:type252:%.76s\\n%.4s\"",
             "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
             "AAAA");
    expect_json(doc, sizeof(doc), want);
}

static void json__corrupt_documents(void **state)
{
    (void)state;
    expect_json_error(DOC(0x0d, 0x00), "unknown value type 0x0d");
    expect_json_error(DOC(0x04, 0x03), "bad literal");
    expect_json_error(DOC(0x05, 0x01), "number past the end");
    expect_json_error(DOC(0x0c, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01), "string length past");
    expect_json_error(DOC(0x02, 0x01, 0x00), "container header past");
    expect_json_error(DOC(0x02, 0x01, 0x00, 0x40, 0x00), "container size past");
    expect_json_error(DOC(0x02, 0x09, 0x00, 0x07, 0x00, 0x04, 0x01, 0x00), "element count past");
    expect_json_error(DOC(0x02, 0x01, 0x00, 0x07, 0x00, 0x0c, 0x09, 0x00), "value offset past");
    expect_json_error(
        DOC(0x00, 0x01, 0x00, 0x0c, 0x00, 0x0b, 0x00, 0x05, 0x00, 0x04, 0x00, 0x00, 'a'),
        "key past the end");
    expect_json_error(DOC(0x0f, 0xf6, 0x02, 0x06, 0x03), "bad opaque DECIMAL");
    expect_json_error(DOC(0x0f, 0xf6, 0x03, 0x02, 0x00, 0xe4), "bad opaque DECIMAL digits");
    expect_json_error(DOC(0x0f, 0x0a, 0x02, 0x00, 0x00), "bad opaque temporal length");
    expect_json_error(DOC(0x0f, 0x0f, 0x05, 0x00), "opaque value past the end");
}

/* ---- partial update diffs -------------------------------------------------------------------- */

static void json__diff_single_replace(void **state)
{
    (void)state;
    /* the diff of json.binlog.000001's PARTIAL_UPDATE_ROWS event */
    expect_diff(DOC(0x00, 0x05, '$', '.', 'a', 'g', 'e', 0x03, 0x05, 0x1a, 0x00),
                "JSON_REPLACE(@2, '$.age', 26)");
    expect_diff(NULL, 0, "@2");
}

static void json__diff_nesting_and_values(void **state)
{
    (void)state;
    expect_diff(
        DOC(0x00, 0x03, '$', '.', 'a', 0x03, 0x05, 0x01, 0x00, 0x00, 0x03, '$', '.', 'b', 0x03,
            0x0c, 0x01, 'x', 0x01, 0x03, '$', '.', 'c', 0x0b, 0x02, 0x02, 0x00, 0x0a, 0x00, 0x05,
            0x01, 0x00, 0x05, 0x02, 0x00),
        "JSON_INSERT(JSON_REPLACE(@2, '$.a', 1, '$.b', 'x'), '$.c', CAST('[1, 2]' AS JSON))");
    expect_diff(DOC(0x01, 0x06, '$', '.', 'd', '[', '0', ']', 0x02, 0x04, 0x01, 0x02, 0x03, '$',
                    '.', 'e', 0x02, 0x03, '$', '.', 'f', 0x00, 0x03, '$', '.', 'g', 0x02, 0x04,
                    0x00),
                "JSON_REPLACE(JSON_REMOVE(JSON_ARRAY_INSERT(@2, '$.d[0]', true), '$.e', '$.f'), "
                "'$.g', null)");
    /* SQL quoting of paths and strings; temporals quoted, DECIMAL and doubles bare */
    expect_diff(DOC(0x00, 0x08, '$', '.', '"', 'i', 't', '\'', 's', '"', 0x06, 0x0c, 0x04, 'a',
                    '\'', '\\', '\n', 0x00, 0x03, '$', '.', 'd', 0x0b, 0x0f, 0x0a, 0x08, 0, 0, 0, 0,
                    0, 0xe4, 0x8b, 0x19, 0x00, 0x03, '$', '.', 'n', 0x09, 0x0f, 0xf6, 0x06, 0x06,
                    0x03, 0x80, 0x7b, 0x01, 0xc8, 0x00, 0x03, '$', '.', 'f', 0x09, 0x0b, 0, 0, 0, 0,
                    0, 0, 0xf0, 0x3f),
                "JSON_REPLACE(@2, '$.\"it\\'s\"', 'a\\'\\\\\\n', '$.d', '2012-03-18', "
                "'$.n', 123.456, '$.f', 1.0)");
    /* an object value: CAST of the JSON text, whose quotes need no SQL escaping */
    expect_diff(DOC(0x00, 0x01, '$', 0x0e, 0x00, 0x01, 0x00, 0x0d, 0x00, 0x0b, 0x00, 0x01, 0x00,
                    0x0c, 0x0c, 0x00, 'k', 0x00),
                "JSON_REPLACE(@2, '$', CAST('{\"k\": \"\"}' AS JSON))");
}

static void json__diff_errors(void **state)
{
    (void)state;
    expect_diff_error(DOC(0x03, 0x01, '$'), "bad operation code");
    expect_diff_error(DOC(0x00, 0x05, '$', '.'), "diff past the end");
    expect_diff_error(DOC(0x00, 0x01, '$', 0x04, 0x05), "diff past the end");
    expect_diff_error(DOC(0x00, 0x01, '$', 0x00), "empty value");
    expect_diff_error(DOC(0x00, 0x01, '$', 0x02, 0x0d, 0x00), "unknown value type");
    expect_diff_error(DOC(0x02, 0xfb), "diff past the end"); /* 0xfb is no length */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json__literals_and_integers),
        cmocka_unit_test(json__doubles_like_mysql),
        cmocka_unit_test(json__string_escapes),
        cmocka_unit_test(json__small_containers),
        cmocka_unit_test(json__large_containers),
        cmocka_unit_test(json__nesting_limit),
        cmocka_unit_test(json__shared_values_are_refused),
        cmocka_unit_test(json__opaque_values),
        cmocka_unit_test(json__corrupt_documents),
        cmocka_unit_test(json__diff_single_replace),
        cmocka_unit_test(json__diff_nesting_and_values),
        cmocka_unit_test(json__diff_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
