/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/thl/test_event.c - the event model: builders, arena ownership, metadata, bitmaps,
 * value equality of every kind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "thl/event.h"

static void event__new_has_empty_strings(void **state)
{
    thl_event *ev = thl_event_new();
    (void)state;
    assert_string_equal(ev->source_id, "");
    assert_string_equal(ev->event_id, "");
    assert_string_equal(ev->shard_id, "");
    assert_int_equal(ev->n_items, 0);
    assert_int_equal(ev->n_meta, 0);
    assert_null(thl_event_get_meta(ev, "x"));
    thl_event_free(ev);
    thl_event_free(NULL);
}

static void event__strings_are_copied(void **state)
{
    thl_event *ev = thl_event_new();
    char src[] = "mysql-bin.000001:4";
    const char *s;
    (void)state;
    thl_event_set_ids(ev, "db1", src, NULL);
    src[0] = 'X';
    assert_string_equal(ev->event_id, "mysql-bin.000001:4");
    assert_string_equal(ev->source_id, "db1");
    assert_string_equal(ev->shard_id, "");
    s = thl_event_strndup(ev, "abcdef", 3);
    assert_string_equal(s, "abc");
    assert_string_equal(thl_event_strdup(ev, NULL), "");
    assert_string_equal(thl_event_strndup(ev, NULL, 5), "");
    thl_event_free(ev);
}

static void event__meta_set_replace_get(void **state)
{
    thl_event *ev = thl_event_new();
    char key[16];
    (void)state;
    thl_event_set_meta(ev, "service", "alpha");
    thl_event_set_meta(ev, "dbms_type", "mariadb");
    thl_event_set_meta(ev, "service", "beta");
    assert_int_equal(ev->n_meta, 2);
    assert_string_equal(thl_event_get_meta(ev, "service"), "beta");
    assert_string_equal(thl_event_get_meta(ev, "dbms_type"), "mariadb");
    for (int i = 0; i < 50; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        thl_event_set_meta(ev, key, key);
    }
    assert_int_equal(ev->n_meta, 52);
    assert_string_equal(thl_event_get_meta(ev, "k37"), "k37");
    assert_string_equal(thl_event_get_meta(ev, "service"), "beta");
    thl_event_free(ev);
}

static void event__statement_defaults(void **state)
{
    thl_event *ev = thl_event_new();
    thl_statement *st;
    (void)state;
    st = thl_event_add_statement(ev);
    assert_int_equal(ev->n_items, 1);
    assert_int_equal(ev->items[0].kind, THL_ITEM_STATEMENT);
    assert_ptr_equal(st, &ev->items[0].u.stmt);
    assert_string_equal(st->schema, "");
    assert_string_equal(st->session.time_zone, "");
    assert_int_equal(st->session.set, 0);
    assert_int_equal(st->sql_len, 0);
    assert_int_equal(st->session.n_user_vars, 0);
    thl_event_free(ev);
}

static void event__rows_bitmaps_all_present(void **state)
{
    thl_event *ev = thl_event_new();
    thl_rows *r;
    (void)state;
    r = thl_event_add_rows(ev, "db", "t", THL_ROW_UPDATE, 10);
    assert_string_equal(r->schema, "db");
    assert_string_equal(r->table, "t");
    assert_int_equal(r->ncols, 10);
    assert_int_equal(r->before_present[0], 0xff);
    assert_int_equal(r->before_present[1], 0x03); /* padding bits clear */
    assert_int_equal(r->after_present[1], 0x03);
    for (uint32_t i = 0; i < 10; i++)
        assert_string_equal(r->cols[i].name, "");
    r = thl_event_add_rows(ev, "db", "t", THL_ROW_INSERT, 8);
    assert_null(r->before_present);
    assert_int_equal(r->after_present[0], 0xff);
    r = thl_event_add_rows(ev, "db", "t", THL_ROW_DELETE, 1);
    assert_null(r->after_present);
    assert_int_equal(r->before_present[0], 0x01);
    thl_event_free(ev);
}

static void event__rows_images_start_null(void **state)
{
    thl_event *ev = thl_event_new();
    thl_rows *r = thl_event_add_rows(ev, "db", "t", THL_ROW_UPDATE, 3);
    thl_row *row;
    (void)state;
    row = thl_rows_add_row(ev, r);
    assert_non_null(row->before);
    assert_non_null(row->after);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(row->before[i].kind, THL_VAL_NULL);
        assert_int_equal(row->after[i].kind, THL_VAL_NULL);
    }
    r = thl_event_add_rows(ev, "db", "t", THL_ROW_INSERT, 3);
    row = thl_rows_add_row(ev, r);
    assert_null(row->before);
    assert_non_null(row->after);
    r = thl_event_add_rows(ev, "db", "t", THL_ROW_DELETE, 3);
    row = thl_rows_add_row(ev, r);
    assert_non_null(row->before);
    assert_null(row->after);
    thl_event_free(ev);
}

static void event__growth_keeps_content(void **state)
{
    thl_event *ev = thl_event_new();
    thl_rows *r;
    (void)state;
    r = thl_event_add_rows(ev, "db", "t", THL_ROW_INSERT, 2);
    for (int i = 0; i < 1000; i++) {
        thl_row *row = thl_rows_add_row(ev, r);
        row->after[0].kind = THL_VAL_INT;
        row->after[0].v.i = i;
    }
    assert_int_equal(r->nrows, 1000);
    assert_true(r->rows_cap >= 1000);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(r->rows[i].after[0].v.i, i);
    for (int i = 0; i < 100; i++) {
        thl_statement *st = thl_event_add_statement(ev);
        st->error_code = (uint16_t)i;
    }
    assert_int_equal(ev->n_items, 101);
    assert_int_equal(ev->items[0].u.rows.nrows, 1000);
    for (int i = 0; i < 100; i++)
        assert_int_equal(ev->items[i + 1].u.stmt.error_code, i);
    thl_event_free(ev);
}

static void event__reset_empties_and_reuses(void **state)
{
    thl_event *ev = thl_event_new();
    size_t before;
    (void)state;
    before = thl_event_mem_bytes(ev);
    thl_event_set_ids(ev, "a", "b", "c");
    thl_event_set_meta(ev, "k", "v");
    thl_event_add_statement(ev);
    ev->seqno = 9;
    ev->flags = THL_EV_LAST_FRAG;
    assert_true(thl_event_mem_bytes(ev) > before);
    thl_event_reset(ev);
    assert_int_equal(thl_event_mem_bytes(ev), before);
    assert_int_equal(ev->seqno, 0);
    assert_int_equal(ev->flags, 0);
    assert_int_equal(ev->n_items, 0);
    assert_int_equal(ev->n_meta, 0);
    assert_null(thl_event_get_meta(ev, "k"));
    assert_string_equal(ev->source_id, "");
    assert_string_equal(ev->event_id, "");
    assert_string_equal(ev->shard_id, "");
    thl_event_add_statement(ev);
    assert_int_equal(ev->n_items, 1);
    thl_event_free(ev);
}

static void event__mem_bytes_counts_data(void **state)
{
    thl_event *ev = thl_event_new_sized(1024);
    thl_value v;
    size_t m0;
    static uint8_t blob[100000];
    (void)state;
    m0 = thl_event_mem_bytes(ev);
    thl_value_set_bytes(ev, &v, THL_VAL_BYTES, blob, sizeof(blob));
    assert_true(thl_event_mem_bytes(ev) >= m0 + sizeof(blob));
    assert_ptr_not_equal(v.v.bytes.ptr, blob);
    assert_int_equal(v.v.bytes.len, sizeof(blob));
    thl_value_set_bytes(ev, &v, THL_VAL_STRING, "x", 0);
    assert_null(v.v.bytes.ptr);
    assert_int_equal(v.kind, THL_VAL_STRING);
    assert_ptr_not_equal(thl_event_memdup(ev, "ab", 2), NULL);
    assert_non_null(thl_event_alloc(ev, 0));
    thl_event_free(ev);
}

static void event__bit_helpers(void **state)
{
    uint8_t bm[3] = { 0, 0, 0 };
    (void)state;
    thl_bit_set(bm, 0, 1);
    thl_bit_set(bm, 9, 1);
    thl_bit_set(bm, 23, 1);
    assert_int_equal(bm[0], 0x01);
    assert_int_equal(bm[1], 0x02);
    assert_int_equal(bm[2], 0x80);
    assert_true(thl_bit_get(bm, 9));
    assert_false(thl_bit_get(bm, 8));
    thl_bit_set(bm, 9, 0);
    assert_int_equal(bm[1], 0);
}

/* ---- value equality -------------------------------------------------------------------------- */

static thl_value val_u(thl_value_kind kind, uint64_t u)
{
    thl_value v;
    memset(&v, 0, sizeof(v));
    v.kind = (uint8_t)kind;
    v.v.u = u;
    return v;
}

static void event__value_equal_scalars(void **state)
{
    thl_value a = val_u(THL_VAL_INT, 0);
    thl_value b = val_u(THL_VAL_UINT, 0);
    (void)state;
    assert_false(thl_value_equal(&a, &b)); /* kind matters */
    a.v.i = INT64_MIN;
    b = a;
    assert_true(thl_value_equal(&a, &b));
    b.v.i = INT64_MAX;
    assert_false(thl_value_equal(&a, &b));
    for (int k = THL_VAL_UINT; k <= THL_VAL_SET; k++) {
        if (k != THL_VAL_UINT && k != THL_VAL_BIT && k != THL_VAL_ENUM && k != THL_VAL_SET)
            continue;
        a = val_u((thl_value_kind)k, UINT64_MAX);
        b = val_u((thl_value_kind)k, UINT64_MAX);
        assert_true(thl_value_equal(&a, &b));
        b.v.u = 1;
        assert_false(thl_value_equal(&a, &b));
    }
    a = val_u(THL_VAL_NULL, 1);
    b = val_u(THL_VAL_NULL, 2);
    assert_true(thl_value_equal(&a, &b));
    a = val_u(99, 1);
    b = val_u(99, 1);
    assert_false(thl_value_equal(&a, &b)); /* unknown kinds are never equal */
}

static void event__value_equal_floats_bit_exact(void **state)
{
    thl_value a = val_u(THL_VAL_DOUBLE, 0);
    thl_value b = val_u(THL_VAL_DOUBLE, 0);
    uint64_t nan1 = 0x7ff8000000000001ULL;
    uint64_t nan2 = 0x7ff8000000000002ULL;
    uint32_t fnan = 0x7fc00001u;
    (void)state;
    b.v.d = -0.0;
    assert_false(thl_value_equal(&a, &b)); /* 0.0 and -0.0 differ in bits */
    memcpy(&a.v.d, &nan1, 8);
    memcpy(&b.v.d, &nan1, 8);
    assert_true(thl_value_equal(&a, &b)); /* same NaN bits: equal */
    memcpy(&b.v.d, &nan2, 8);
    assert_false(thl_value_equal(&a, &b));
    a = val_u(THL_VAL_FLOAT, 0);
    b = val_u(THL_VAL_FLOAT, 0);
    memcpy(&a.v.f, &fnan, 4);
    memcpy(&b.v.f, &fnan, 4);
    assert_true(thl_value_equal(&a, &b));
    b.v.f = -0.0f;
    a.v.f = 0.0f;
    assert_false(thl_value_equal(&a, &b));
}

static void event__value_equal_bytes(void **state)
{
    thl_event *ev = thl_event_new();
    thl_value a;
    thl_value b;
    (void)state;
    thl_value_set_bytes(ev, &a, THL_VAL_STRING, "abc", 3);
    thl_value_set_bytes(ev, &b, THL_VAL_STRING, "abc", 3);
    assert_true(thl_value_equal(&a, &b));
    thl_value_set_bytes(ev, &b, THL_VAL_BYTES, "abc", 3);
    assert_false(thl_value_equal(&a, &b));
    thl_value_set_bytes(ev, &b, THL_VAL_STRING, "abd", 3);
    assert_false(thl_value_equal(&a, &b));
    thl_value_set_bytes(ev, &b, THL_VAL_STRING, "ab", 2);
    assert_false(thl_value_equal(&a, &b));
    thl_value_set_bytes(ev, &a, THL_VAL_DECIMAL, NULL, 0);
    thl_value_set_bytes(ev, &b, THL_VAL_DECIMAL, "", 0);
    assert_true(thl_value_equal(&a, &b));
    thl_event_free(ev);
}

static thl_value val_t(thl_value_kind kind, int neg, unsigned y, unsigned mo, unsigned d,
                       unsigned h, unsigned mi, unsigned s, unsigned us)
{
    thl_value v;
    memset(&v, 0, sizeof(v));
    v.kind = (uint8_t)kind;
    v.v.t.neg = (uint8_t)neg;
    v.v.t.year = (uint16_t)y;
    v.v.t.month = (uint8_t)mo;
    v.v.t.day = (uint8_t)d;
    v.v.t.hour = h;
    v.v.t.minute = (uint8_t)mi;
    v.v.t.second = (uint8_t)s;
    v.v.t.usec = us;
    return v;
}

static void event__value_equal_temporal(void **state)
{
    thl_value a = val_t(THL_VAL_TIME, 1, 0, 0, 0, 838, 59, 59, 999999);
    thl_value b = val_t(THL_VAL_TIME, 1, 0, 0, 0, 838, 59, 59, 999999);
    (void)state;
    assert_true(thl_value_equal(&a, &b));
    b.v.t.neg = 0;
    assert_false(thl_value_equal(&a, &b));
    b = val_t(THL_VAL_TIME, 1, 0, 0, 0, 838, 59, 59, 999998);
    assert_false(thl_value_equal(&a, &b));
    a = val_t(THL_VAL_DATE, 0, 0, 0, 0, 0, 0, 0, 0);
    b = val_t(THL_VAL_DATE, 0, 0, 0, 0, 0, 0, 0, 0);
    assert_true(thl_value_equal(&a, &b)); /* zero dates */
    b.v.t.day = 1;
    assert_false(thl_value_equal(&a, &b));
    a = val_t(THL_VAL_DATETIME, 0, 2024, 2, 29, 23, 59, 59, 1);
    b = val_t(THL_VAL_DATETIME, 0, 2024, 2, 29, 23, 59, 59, 1);
    assert_true(thl_value_equal(&a, &b));
    b.v.t.hour = 22;
    assert_false(thl_value_equal(&a, &b));
    b = val_t(THL_VAL_DATE, 0, 2024, 2, 29, 23, 59, 59, 1);
    assert_false(thl_value_equal(&a, &b));
    a = val_u(THL_VAL_TIMESTAMP, 0);
    b = val_u(THL_VAL_TIMESTAMP, 0);
    a.v.ts.sec = b.v.ts.sec = -1;
    a.v.ts.usec = b.v.ts.usec = 5;
    assert_true(thl_value_equal(&a, &b));
    b.v.ts.usec = 6;
    assert_false(thl_value_equal(&a, &b));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(event__new_has_empty_strings),
        cmocka_unit_test(event__strings_are_copied),
        cmocka_unit_test(event__meta_set_replace_get),
        cmocka_unit_test(event__statement_defaults),
        cmocka_unit_test(event__rows_bitmaps_all_present),
        cmocka_unit_test(event__rows_images_start_null),
        cmocka_unit_test(event__growth_keeps_content),
        cmocka_unit_test(event__reset_empties_and_reuses),
        cmocka_unit_test(event__mem_bytes_counts_data),
        cmocka_unit_test(event__bit_helpers),
        cmocka_unit_test(event__value_equal_scalars),
        cmocka_unit_test(event__value_equal_floats_bit_exact),
        cmocka_unit_test(event__value_equal_bytes),
        cmocka_unit_test(event__value_equal_temporal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
