/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/integration/apply/test_rows.c - row changes: UPDATE/DELETE by primary key and without one
 * (duplicates, exact byte matching), MINIMAL images, BINARY(16) keys without their trailing zeros,
 * multi-row insert batches, and the errors: a row not found, a duplicate key, a missing table or
 * column - each failing with apl_failure filled and the block rolled back. */
#include "apl_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DB  "apl_rows"
#define SVC "t_rows"

static MYSQL *db;

static int setup(void **state)
{
    (void)state;
    db = t_connect();
    t_fresh_db(db, DB);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mysql_close(db);
    return 0;
}

static apl_applier *fresh(const char *table, const char *ddl)
{
    t_reset_service(db, SVC);
    t_sql(db, "DROP TABLE IF EXISTS " DB ".%s", table);
    t_sql(db, "CREATE TABLE " DB ".%s %s", table, ddl);
    return t_open(SVC);
}

static void rows__update_delete_by_pk(void **state)
{
    apl_applier *a = fresh("pk", "(id INT PRIMARY KEY, v INT)");
    thl_event *e1 = t_event(1), *e2 = t_event(2), *e3 = t_event(3);
    thl_rows *r;
    (void)state;
    r = t_rows_idv(e1, DB, "pk", THL_ROW_INSERT);
    for (int i = 1; i <= 5; i++)
        t_row_idv(e1, r, 0, 0, i, i * 10);
    r = t_rows_idv(e2, DB, "pk", THL_ROW_UPDATE);
    t_row_idv(e2, r, 2, 20, 2, 21);
    t_row_idv(e2, r, 3, 30, 33, 30); /* the key itself changes */
    r = t_rows_idv(e3, DB, "pk", THL_ROW_DELETE);
    t_row_idv(e3, r, 4, 40, 0, 0);
    t_apply(a, e1);
    t_apply(a, e2);
    t_apply(a, e3);
    t_commit(a);
    assert_int_equal(t_int(db, "SELECT COUNT(*) FROM " DB ".pk"), 4);
    assert_int_equal(t_int(db, "SELECT SUM(id * 1000 + v) FROM " DB ".pk"),
                     1010 + 2021 + 33030 + 5050);
    assert_int_equal(t_pos_seqno(a), 3);
    thl_event_free(e1);
    thl_event_free(e2);
    thl_event_free(e3);
    apl_applier_close(a);
}

/* No primary key: every present column with <=> and LIMIT 1 - one of two identical rows goes. */
static void rows__no_pk_duplicates_one_at_a_time(void **state)
{
    apl_applier *a = fresh("nopk", "(id INT, v INT)");
    thl_event *e1 = t_event(1), *e2 = t_event(2), *e3 = t_event(3);
    thl_rows *r;
    (void)state;
    t_sql(db, "INSERT INTO " DB ".nopk VALUES (1, NULL), (1, NULL), (2, 5)");
    r = t_rows_idv(e1, DB, "nopk", THL_ROW_DELETE);
    r->cols[0].flags = 0; /* no THL_COL_PK */
    t_row_idv(e1, r, 1, 0, 0, 0);
    r->rows[0].before[1].kind = THL_VAL_NULL;
    r = t_rows_idv(e2, DB, "nopk", THL_ROW_UPDATE);
    r->cols[0].flags = 0;
    t_row_idv(e2, r, 1, 0, 1, 9);
    r->rows[0].before[1].kind = THL_VAL_NULL;
    r = t_rows_idv(e3, DB, "nopk", THL_ROW_DELETE);
    r->cols[0].flags = 0;
    t_row_idv(e3, r, 2, 5, 0, 0);
    t_apply(a, e1);
    assert_int_equal(t_int(db, "SELECT COUNT(*) FROM " DB ".nopk WHERE id = 1"), 2); /* not yet */
    t_apply(a, e2);
    t_apply(a, e3);
    t_commit(a);
    assert_int_equal(t_int(db, "SELECT COUNT(*) FROM " DB ".nopk"), 1);
    assert_int_equal(t_int(db, "SELECT v FROM " DB ".nopk WHERE id = 1"), 9);
    thl_event_free(e1);
    thl_event_free(e2);
    thl_event_free(e3);
    apl_applier_close(a);
}

/* Without a key the match is byte-exact: 'A' is not 'a' even in a case-insensitive column. */
static void rows__no_pk_match_is_byte_exact(void **state)
{
    apl_applier *a = fresh("ci", "(s VARCHAR(10) CHARACTER SET utf8mb4 COLLATE "
                                 "utf8mb4_general_ci, n INT)");
    thl_event *ev = t_event(1);
    thl_rows *r = thl_event_add_rows(ev, DB, "ci", THL_ROW_DELETE, 2);
    thl_row *row;
    (void)state;
    t_col(&r->cols[0], "s", MYSQL_TYPE_VARCHAR, 40, 40, 45, THL_COL_NULLABLE);
    t_col(&r->cols[1], "n", MYSQL_TYPE_LONG, 0, 0, 0, THL_COL_NULLABLE);
    t_sql(db, "INSERT INTO " DB ".ci VALUES ('a', 1), ('A', 1)");
    row = thl_rows_add_row(ev, r);
    t_v_str(ev, &row->before[0], "A");
    t_v_int(&row->before[1], 1);
    t_apply(a, ev);
    t_commit(a);
    assert_int_equal(t_int(db, "SELECT COUNT(*) FROM " DB ".ci WHERE BINARY s = 'a'"), 1);
    assert_int_equal(t_int(db, "SELECT COUNT(*) FROM " DB ".ci"), 1);
    thl_event_free(ev);
    apl_applier_close(a);
}

/* MINIMAL images: before = primary key only, after = changed columns only. */
static void rows__minimal_images(void **state)
{
    apl_applier *a = fresh("mini", "(id INT PRIMARY KEY, a INT, b VARCHAR(10), c INT)");
    thl_event *e1 = t_event(1), *e2 = t_event(2);
    thl_rows *r;
    thl_row *row;
    (void)state;
    t_sql(db, "INSERT INTO " DB ".mini VALUES (1, 1, 'x', 1), (2, 2, 'y', 2)");
    r = thl_event_add_rows(e1, DB, "mini", THL_ROW_UPDATE, 4);
    t_col(&r->cols[0], "id", MYSQL_TYPE_LONG, 0, 0, 0, THL_COL_PK);
    t_col(&r->cols[1], "a", MYSQL_TYPE_LONG, 0, 0, 0, THL_COL_NULLABLE);
    t_col(&r->cols[2], "b", MYSQL_TYPE_VARCHAR, 10, 10, 8, THL_COL_NULLABLE);
    t_col(&r->cols[3], "c", MYSQL_TYPE_LONG, 0, 0, 0, THL_COL_NULLABLE);
    r->before_present[0] = 0x01; /* id */
    r->after_present[0] = 0x04;  /* b */
    row = thl_rows_add_row(e1, r);
    t_v_int(&row->before[0], 1);
    t_v_str(e1, &row->after[2], "changed");
    r = thl_event_add_rows(e2, DB, "mini", THL_ROW_DELETE, 4);
    memcpy(r->cols, e1->items[0].u.rows.cols, 4 * sizeof(thl_column));
    r->before_present[0] = 0x01;
    row = thl_rows_add_row(e2, r);
    t_v_int(&row->before[0], 2);
    t_apply(a, e1);
    t_apply(a, e2);
    t_commit(a);
    char *s = t_str(db, "SELECT CONCAT_WS(',', id, a, b, c) FROM " DB ".mini");
    assert_string_equal(s, "1,1,changed,1");
    free(s);
    thl_event_free(e1);
    thl_event_free(e2);
    apl_applier_close(a);
}

/* A BINARY(16) key arrives without its trailing zeros: padded, the WHERE still finds the row. */
static void rows__binary16_key_padded(void **state)
{
    apl_applier *a = fresh("b16", "(k BINARY(16) PRIMARY KEY, v INT)");
    thl_event *ev = t_event(1);
    thl_rows *r = thl_event_add_rows(ev, DB, "b16", THL_ROW_UPDATE, 2);
    thl_row *row;
    (void)state;
    t_sql(db, "INSERT INTO " DB ".b16 VALUES (X'0A0B0000000000000000000000000000', 1)");
    t_col(&r->cols[0], "k", MYSQL_TYPE_STRING, 0xfe10, 16, 63, THL_COL_PK | THL_COL_BINARY);
    t_col(&r->cols[1], "v", MYSQL_TYPE_LONG, 0, 0, 0, THL_COL_NULLABLE);
    row = thl_rows_add_row(ev, r);
    t_v_bytes(ev, &row->before[0], "\x0a\x0b", 2);
    t_v_int(&row->before[1], 1);
    t_v_bytes(ev, &row->after[0], "\x0a\x0b", 2);
    t_v_int(&row->after[1], 2);
    t_apply(a, ev);
    t_commit(a);
    assert_int_equal(t_int(db, "SELECT v FROM " DB ".b16"), 2);
    thl_event_free(ev);
    apl_applier_close(a);
}

/* 1000 rows in one item: batched into a few multi-row statements, all present. */
static void rows__insert_batches(void **state)
{
    apl_applier *a = fresh("batch", "(id INT PRIMARY KEY, v INT)");
    thl_event *ev = t_event(1);
    thl_rows *r = t_rows_idv(ev, DB, "batch", THL_ROW_INSERT);
    apl_stats st;
    (void)state;
    for (int i = 0; i < 1000; i++)
        t_row_idv(ev, r, 0, 0, i, i);
    t_apply(a, ev);
    t_commit(a);
    apl_applier_stats(a, &st);
    assert_int_equal(t_int(db, "SELECT COUNT(*) FROM " DB ".batch"), 1000);
    assert_int_equal(t_int(db, "SELECT SUM(v) FROM " DB ".batch"), 999 * 1000 / 2);
    assert_true(st.stmt_prepares <= 5); /* 64-row batches, then 32 and 8 for the rest */
    assert_int_equal(st.rows, 1000);
    thl_event_free(ev);
    apl_applier_close(a);
}

static int apply_fails(apl_applier *a, const thl_event *ev, repl_error *err)
{
    int rc = apl_applier_apply(a, ev, err);
    assert_int_not_equal(rc, REPL_OK);
    assert_non_null(apl_applier_last_failure(a));
    return rc;
}

/* An UPDATE that finds no row is an error (1032), the block rolls back, the position stays. */
static void rows__update_not_found_is_error(void **state)
{
    apl_applier *a = fresh("nf", "(id INT PRIMARY KEY, v INT)");
    thl_event *e1 = t_event(1), *e2 = t_event(2);
    const apl_failure *f;
    repl_error err;
    thl_rows *r;
    (void)state;
    r = t_rows_idv(e1, DB, "nf", THL_ROW_INSERT);
    t_row_idv(e1, r, 0, 0, 1, 1);
    r = t_rows_idv(e2, DB, "nf", THL_ROW_UPDATE);
    t_row_idv(e2, r, 42, 4, 42, 5);
    t_apply(a, e1);
    assert_int_equal(apply_fails(a, e2, &err), REPL_ERR_SOURCE);
    f = apl_applier_last_failure(a);
    assert_int_equal(f->seqno, 2);
    assert_int_equal(f->server_errno, 1032);
    assert_string_equal(f->event_id, e2->event_id);
    assert_non_null(strstr(f->server_error, "row not found"));
    assert_non_null(strstr(f->sql, "UPDATE `apl_rows`.`nf` SET `id`=?,`v`=? WHERE `id`=?"));
    assert_non_null(strstr(f->sql, "(42, 5, 42)"));
    assert_non_null(strstr(err.msg, "row not found on the slave"));
    /* the block (seqno 1) was rolled back with it */
    assert_int_equal(t_int(db, "SELECT COUNT(*) FROM " DB ".nf"), 0);
    assert_int_equal(t_pos_seqno(a), UINT64_MAX);
    t_apply(a, e1); /* the caller feeds again from the committed position */
    t_commit(a);
    assert_int_equal(t_pos_seqno(a), 1);
    thl_event_free(e1);
    thl_event_free(e2);
    apl_applier_close(a);
}

/* A planted row makes the insert fail with the server's duplicate key error. */
static void rows__duplicate_key_fills_failure(void **state)
{
    apl_applier *a = fresh("dup", "(id INT PRIMARY KEY, v INT)");
    thl_event *ev = t_event(7);
    const apl_failure *f;
    repl_error err;
    thl_rows *r = t_rows_idv(ev, DB, "dup", THL_ROW_INSERT);
    (void)state;
    t_sql(db, "INSERT INTO " DB ".dup VALUES (3, 300)");
    t_row_idv(ev, r, 0, 0, 3, 30);
    assert_int_equal(apply_fails(a, ev, &err), REPL_ERR_SOURCE);
    f = apl_applier_last_failure(a);
    assert_int_equal(f->seqno, 7);
    assert_int_equal(f->server_errno, 1062);
    assert_int_equal(err.sys_errno, 1062);
    assert_non_null(strstr(f->server_error, "Duplicate entry"));
    assert_non_null(strstr(f->sql, "INSERT INTO `apl_rows`.`dup` (`id`,`v`) VALUES (?,?)"));
    assert_non_null(strstr(f->sql, "(3, 30)"));
    assert_int_equal(t_int(db, "SELECT v FROM " DB ".dup"), 300);
    thl_event_free(ev);
    apl_applier_close(a);
}

static void rows__missing_table_and_column(void **state)
{
    apl_applier *a = fresh("mc", "(id INT PRIMARY KEY, v INT)");
    thl_event *e1 = t_event(1), *e2 = t_event(1);
    repl_error err;
    thl_rows *r;
    (void)state;
    r = t_rows_idv(e1, DB, "no_such_table", THL_ROW_INSERT);
    t_row_idv(e1, r, 0, 0, 1, 1);
    assert_int_equal(apply_fails(a, e1, &err), REPL_ERR_SOURCE);
    assert_int_equal(apl_applier_last_failure(a)->server_errno, 1146);
    r = t_rows_idv(e2, DB, "mc", THL_ROW_INSERT);
    r->cols[1].name = "w";
    t_row_idv(e2, r, 0, 0, 1, 1);
    assert_int_equal(apply_fails(a, e2, &err), REPL_ERR_SOURCE);
    assert_non_null(strstr(apl_applier_last_failure(a)->server_error, "`w`"));
    thl_event_free(e1);
    thl_event_free(e2);
    apl_applier_close(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rows__update_delete_by_pk),
        cmocka_unit_test(rows__no_pk_duplicates_one_at_a_time),
        cmocka_unit_test(rows__no_pk_match_is_byte_exact),
        cmocka_unit_test(rows__minimal_images),
        cmocka_unit_test(rows__binary16_key_padded),
        cmocka_unit_test(rows__insert_batches),
        cmocka_unit_test(rows__update_not_found_is_error),
        cmocka_unit_test(rows__duplicate_key_fills_failure),
        cmocka_unit_test(rows__missing_table_and_column),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
