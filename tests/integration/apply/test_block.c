/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/integration/apply/test_block.c - block commit and restart safety: block bounds in events
 * and milliseconds, what another session sees, close without commit then reopen (the position is
 * the last commit, re-applying gives no duplicates), a killed connection (RETRY, reconnect, exact
 * position), fragments in one target transaction, rolled-back source transactions, skip,
 * heartbeats, and the position row's fields. */
#include "apl_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DB  "apl_block"
#define SVC "t_block"

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

static void fresh_table(void)
{
    t_reset_service(db, SVC);
    t_sql(db, "DROP TABLE IF EXISTS " DB ".t");
    t_sql(db, "CREATE TABLE " DB ".t (id INT PRIMARY KEY, v INT)");
}

/* Seqno n inserts row (n, n). */
static thl_event *ins_event(uint64_t n)
{
    thl_event *ev = t_event(n);
    thl_rows *r = t_rows_idv(ev, DB, "t", THL_ROW_INSERT);
    t_row_idv(ev, r, 0, 0, (int64_t)n, (int64_t)n);
    return ev;
}

static void apply_seq(apl_applier *a, uint64_t n)
{
    thl_event *ev = ins_event(n);
    t_apply(a, ev);
    thl_event_free(ev);
}

static long long visible_rows(void)
{
    return t_int(db, "SELECT COUNT(*) FROM " DB ".t");
}

static long long stored_seqno(void)
{
    return t_int(db, "SELECT IFNULL(MAX(seqno), -1) FROM trep_" SVC ".trep_commit_seqno");
}

static void block__event_bound(void **state)
{
    apl_options o;
    apl_applier *a;
    (void)state;
    fresh_table();
    t_options(&o, SVC);
    o.block_events = 3;
    a = t_open_opts(&o);
    for (uint64_t n = 1; n <= 7; n++) {
        apply_seq(a, n);
        /* committed after 3 and 6: another session sees exactly those */
        assert_int_equal(visible_rows(), n >= 6 ? 6 : n >= 3 ? 3 : 0);
        assert_int_equal(stored_seqno(), n >= 6 ? 6 : n >= 3 ? 3 : -1);
    }
    assert_true(apl_applier_commit_due_ms(a) >= 0);
    t_commit(a);
    assert_int_equal(apl_applier_commit_due_ms(a), -1);
    assert_int_equal(visible_rows(), 7);
    assert_int_equal(stored_seqno(), 7);
    apl_applier_close(a);
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static void block__time_bound(void **state)
{
    apl_options o;
    apl_applier *a;
    int due;
    (void)state;
    fresh_table();
    t_options(&o, SVC);
    o.block_ms = 200;
    a = t_open_opts(&o);
    apply_seq(a, 1);
    due = apl_applier_commit_due_ms(a);
    assert_true(due > 0 && due <= 200);
    assert_int_equal(visible_rows(), 0);
    sleep_ms(due + 5);
    assert_int_equal(apl_applier_commit_due_ms(a), 0);
    apply_seq(a, 2); /* the block is due: this event ends it */
    assert_int_equal(visible_rows(), 2);
    assert_int_equal(stored_seqno(), 2);
    assert_int_equal(apl_applier_commit_due_ms(a), -1);
    apl_applier_close(a);
}

/* Close without commit = a crash for the target: reopen, position = last commit, no duplicates. */
static void block__restart_resumes_exactly(void **state)
{
    apl_applier *a;
    apl_stats st;
    (void)state;
    fresh_table();
    a = t_open(SVC);
    for (uint64_t n = 1; n <= 3; n++)
        apply_seq(a, n);
    t_commit(a);
    apply_seq(a, 4);
    apply_seq(a, 5);
    apl_applier_close(a);
    a = t_open(SVC);
    assert_int_equal(t_pos_seqno(a), 3);
    assert_int_equal(visible_rows(), 3);
    for (uint64_t n = 1; n <= 5; n++)
        apply_seq(a, n); /* 1..3 are skipped: they would fail as duplicates */
    t_commit(a);
    apl_applier_stats(a, &st);
    assert_int_equal(st.events, 2);
    assert_int_equal(visible_rows(), 5);
    assert_int_equal(t_pos_seqno(a), 5);
    apl_applier_close(a);
}

/* The connection dies mid-block: RETRY, then reconnect with the exact committed position. */
static void block__lost_connection_is_retry(void **state)
{
    apl_applier *a;
    apl_stats st;
    repl_error err;
    thl_event *ev = ins_event(3);
    (void)state;
    fresh_table();
    a = t_open(SVC);
    apply_seq(a, 1);
    t_commit(a);
    apply_seq(a, 2);
    apl_applier_stats(a, &st);
    t_sql(db, "KILL CONNECTION %lu", st.thread_id);
    assert_int_equal(apl_applier_apply(a, ev, &err), REPL_ERR_RETRY);
    assert_int_equal(t_pos_seqno(a), 1); /* reconnects */
    apply_seq(a, 2);
    apply_seq(a, 3);
    t_commit(a);
    assert_int_equal(visible_rows(), 3);
    thl_event_free(ev);
    apl_applier_close(a);
}

static thl_event *frag_event(uint64_t seqno, uint16_t fragno, int last, int64_t id)
{
    thl_event *ev = ins_event(seqno);
    ev->items[0].u.rows.rows[0].after[0].v.i = id;
    ev->fragno = fragno;
    ev->flags = last ? THL_EV_LAST_FRAG : 0;
    return ev;
}

/* Fragments of one seqno share one target transaction; a fragmented transaction starts a block. */
static void block__fragments_one_transaction(void **state)
{
    apl_applier *a;
    apl_position p;
    repl_error err;
    thl_event *f[3];
    (void)state;
    fresh_table();
    a = t_open(SVC);
    apply_seq(a, 1);
    for (int i = 0; i < 3; i++)
        f[i] = frag_event(2, (uint16_t)i, i == 2, 20 + i);
    t_apply(a, f[0]);
    assert_int_equal(visible_rows(), 1); /* seqno 1's block was committed first */
    t_apply(a, f[1]);
    assert_int_equal(apl_applier_commit_due_ms(a), -1);
    t_commit(a); /* a no-op inside a transaction */
    assert_int_equal(visible_rows(), 1);
    t_apply(a, f[2]);
    t_commit(a);
    assert_int_equal(visible_rows(), 4);
    assert_int_equal(apl_applier_position(a, &p, &err), REPL_OK);
    assert_int_equal(p.seqno, 2);
    assert_int_equal(p.fragno, 2);
    assert_int_equal(p.last_frag, 1);
    for (int i = 0; i < 3; i++)
        thl_event_free(f[i]);
    apl_applier_close(a);
}

static void block__fragments_out_of_order(void **state)
{
    apl_applier *a;
    repl_error err;
    thl_event *f0 = frag_event(1, 0, 0, 10), *f2 = frag_event(1, 2, 1, 12);
    thl_event *g1 = frag_event(2, 1, 1, 21), *n3 = ins_event(3), *f1 = frag_event(1, 1, 1, 11);
    (void)state;
    fresh_table();
    a = t_open(SVC);
    assert_int_equal(apl_applier_apply(a, g1, &err), REPL_ERR_INVALID); /* no fragment 0 */
    t_apply(a, f0);
    assert_int_equal(apl_applier_apply(a, f2, &err), REPL_ERR_INVALID); /* fragment 1 missing */
    assert_non_null(strstr(err.msg, "missing"));
    t_apply(a, f1);
    assert_int_equal(apl_applier_apply(a, n3, &err), REPL_OK);
    t_commit(a);
    assert_int_equal(visible_rows(), 3);
    thl_event_free(f0);
    thl_event_free(f1);
    thl_event_free(f2);
    thl_event_free(g1);
    thl_event_free(n3);
    apl_applier_close(a);
}

/* A rolled-back source transaction: its transactional changes vanish, non-transactional ones stay,
 * the position advances, and the block before it is committed. */
static void block__rolled_back_transaction(void **state)
{
    apl_applier *a;
    thl_event *ev = ins_event(2);
    thl_rows *r;
    (void)state;
    fresh_table();
    t_sql(db, "DROP TABLE IF EXISTS " DB ".myi");
    t_sql(db, "CREATE TABLE " DB ".myi (id INT PRIMARY KEY, v INT) ENGINE=MyISAM");
    r = t_rows_idv(ev, DB, "myi", THL_ROW_INSERT);
    t_row_idv(ev, r, 0, 0, 2, 2);
    ev->flags |= THL_EV_ROLLBACK;
    a = t_open(SVC);
    apply_seq(a, 1);
    t_apply(a, ev);
    assert_int_equal(visible_rows(), 1); /* seqno 1 only */
    assert_int_equal(t_int(db, "SELECT COUNT(*) FROM " DB ".myi"), 1);
    assert_int_equal(stored_seqno(), 2);
    apply_seq(a, 3);
    t_commit(a);
    assert_int_equal(visible_rows(), 2);
    thl_event_free(ev);
    apl_applier_close(a);
}

static void block__skip_records_position(void **state)
{
    apl_applier *a;
    repl_error err;
    thl_event *ev = ins_event(2);
    (void)state;
    fresh_table();
    a = t_open(SVC);
    apply_seq(a, 1);
    assert_int_equal(apl_applier_skip(a, ev, &err), REPL_OK);
    assert_int_equal(stored_seqno(), 2);
    assert_int_equal(visible_rows(), 1);
    t_apply(a, ev); /* already "applied": skipped */
    apply_seq(a, 3);
    t_commit(a);
    assert_int_equal(t_int(db, "SELECT COUNT(*) FROM " DB ".t WHERE id = 2"), 0);
    assert_int_equal(visible_rows(), 2);
    thl_event_free(ev);
    apl_applier_close(a);
}

static void block__heartbeat_commits(void **state)
{
    apl_applier *a;
    thl_event *ev = t_event(2);
    thl_rows *r;
    thl_row *row;
    (void)state;
    fresh_table();
    a = t_open(SVC);
    apply_seq(a, 1);
    ev->flags |= THL_EV_HEARTBEAT;
    r = thl_event_add_rows(ev, "trep_" SVC, "heartbeat", THL_ROW_INSERT, 2);
    t_col(&r->cols[0], "id", MYSQL_TYPE_LONGLONG, 0, 0, 0, THL_COL_PK);
    t_col(&r->cols[1], "name", MYSQL_TYPE_VARCHAR, 512, 512, 45, THL_COL_NULLABLE);
    row = thl_rows_add_row(ev, r);
    t_v_int(&row->after[0], 1);
    t_v_str(ev, &row->after[1], "hb");
    t_apply(a, ev);
    assert_int_equal(stored_seqno(), 2);
    assert_int_equal(t_int(db, "SELECT COUNT(*) FROM trep_" SVC ".heartbeat WHERE name='hb'"), 1);
    thl_event_free(ev);
    apl_applier_close(a);
}

/* Another applier's position rows (binlogged on its target) are never applied here. */
static void block__foreign_position_rows_ignored(void **state)
{
    apl_applier *a;
    thl_event *ev = t_event(1);
    thl_rows *r;
    (void)state;
    fresh_table();
    a = t_open(SVC);
    r = t_rows_idv(ev, "trep_" SVC, "trep_commit_seqno", THL_ROW_INSERT);
    r->cols[0].name = "task_id";
    r->cols[1].name = "seqno";
    t_row_idv(ev, r, 0, 0, 0, 999);
    t_apply(a, ev);
    t_commit(a);
    assert_int_equal(stored_seqno(), 1);
    thl_event_free(ev);
    apl_applier_close(a);
}

static void block__position_fields(void **state)
{
    apl_applier *a;
    apl_position p;
    repl_error err;
    thl_event *ev = ins_event(9);
    (void)state;
    fresh_table();
    a = t_open(SVC);
    assert_int_equal(apl_applier_position(a, &p, &err), REPL_OK);
    assert_int_equal(p.empty, 1);
    ev->epoch = 42;
    thl_event_set_ids(ev, "db1:3306", "mariadb-bin.000007:4242;gtid=0-1-99", DB);
    ev->source_tstamp_us = 1700000000123456LL;
    t_apply(a, ev);
    t_commit(a);
    assert_int_equal(apl_applier_position(a, &p, &err), REPL_OK);
    assert_int_equal(p.empty, 0);
    assert_int_equal(p.seqno, 9);
    assert_int_equal(p.epoch, 42);
    assert_int_equal(p.last_frag, 1);
    assert_string_equal(p.event_id, "mariadb-bin.000007:4242;gtid=0-1-99");
    assert_string_equal(p.source_id, "db1:3306");
    assert_string_equal(p.shard_id, DB);
    assert_int_equal(p.source_tstamp_us, 1700000000123456LL);
    assert_true(p.applied_latency_ms > 0);
    assert_true(p.update_tstamp_us > p.source_tstamp_us);
    thl_event_free(ev);
    apl_applier_close(a);
}

static void block__bad_options(void **state)
{
    apl_options o;
    apl_applier *a = NULL;
    repl_error err;
    (void)state;
    t_options(&o, "bad-name");
    assert_int_equal(apl_applier_open(&a, &o, &err), REPL_ERR_INVALID);
    t_options(&o, SVC);
    o.block_events = 0;
    assert_int_equal(apl_applier_open(&a, &o, &err), REPL_ERR_INVALID);
    t_options(&o, SVC);
    o.user = "no_such_user";
    assert_int_equal(apl_applier_open(&a, &o, &err), REPL_ERR_SOURCE);
    assert_true(err.sys_errno == 1045 || err.sys_errno == 1044); /* anonymous accounts: 1044 */
    assert_null(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(block__event_bound),
        cmocka_unit_test(block__time_bound),
        cmocka_unit_test(block__restart_resumes_exactly),
        cmocka_unit_test(block__lost_connection_is_retry),
        cmocka_unit_test(block__fragments_one_transaction),
        cmocka_unit_test(block__fragments_out_of_order),
        cmocka_unit_test(block__rolled_back_transaction),
        cmocka_unit_test(block__skip_records_position),
        cmocka_unit_test(block__heartbeat_commits),
        cmocka_unit_test(block__foreign_position_rows_ignored),
        cmocka_unit_test(block__position_fields),
        cmocka_unit_test(block__bad_options),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
