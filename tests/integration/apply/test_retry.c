/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/integration/apply/test_retry.c - transient errors: a lock wait timeout and a deadlock
 * against another session make apply return REPL_ERR_RETRY with the block rolled back; feeding
 * again from the committed position then succeeds. */
#include "apl_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DB  "apl_retry"
#define SVC "t_retry"

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

static void fresh(void)
{
    t_reset_service(db, SVC);
    t_sql(db, "DROP TABLE IF EXISTS " DB ".t");
    t_sql(db, "CREATE TABLE " DB ".t (id INT PRIMARY KEY, v INT) ENGINE=InnoDB");
    t_sql(db, "INSERT INTO " DB ".t VALUES (1, 0), (2, 0)");
}

static thl_event *upd_event(uint64_t seqno, int64_t id, int64_t from, int64_t to)
{
    thl_event *ev = t_event(seqno);
    thl_rows *r = t_rows_idv(ev, DB, "t", THL_ROW_UPDATE);
    t_row_idv(ev, r, id, from, id, to);
    return ev;
}

static apl_applier *open_short_lock_wait(void)
{
    apl_applier *a;
    /* the applier's session takes the global value when it connects */
    t_sql(db, "SET GLOBAL innodb_lock_wait_timeout = 1");
    a = t_open(SVC);
    t_sql(db, "SET GLOBAL innodb_lock_wait_timeout = DEFAULT");
    return a;
}

static void retry__lock_wait_timeout(void **state)
{
    MYSQL *other = t_connect();
    thl_event *e1 = upd_event(1, 1, 0, 1), *e2 = upd_event(2, 2, 0, 2);
    apl_applier *a;
    repl_error err;
    (void)state;
    fresh();
    a = open_short_lock_wait();
    t_sql(other, "BEGIN");
    t_sql(other, "UPDATE " DB ".t SET v = v WHERE id = 2");
    t_apply(a, e1);
    assert_int_equal(apl_applier_apply(a, e2, &err), REPL_ERR_RETRY);
    assert_int_equal(err.sys_errno, 1205);
    assert_int_equal(apl_applier_last_failure(a)->server_errno, 1205);
    t_sql(other, "ROLLBACK");
    assert_int_equal(t_pos_seqno(a), UINT64_MAX); /* nothing committed: seqno 1 went too */
    t_apply(a, e1);
    t_apply(a, e2);
    t_commit(a);
    assert_int_equal(t_int(db, "SELECT SUM(v) FROM " DB ".t"), 3);
    thl_event_free(e1);
    thl_event_free(e2);
    apl_applier_close(a);
    mysql_close(other);
}

/* Wait (bounded) until the other session is executing its UPDATE: it can only be waiting for the
 * applier's row lock (INNODB_TRX does not always show LOCK WAIT at once, so ask the processlist).
 */
static void wait_executing(MYSQL *other)
{
    for (int i = 0; i < 500; i++) {
        if (t_int(db,
                  "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = %lu AND "
                  "COMMAND = 'Query' AND INFO LIKE 'UPDATE%%'",
                  mysql_thread_id(other)) > 0)
            return;
        struct timespec ts = { 0, 10 * 1000000L };
        nanosleep(&ts, NULL);
    }
    fail_msg("the other session's UPDATE never started");
}

/* The applier holds id 1 and wants id 2; the other session holds id 2 (and many more rows, so
 * InnoDB picks the applier as the victim) and wants id 1. */
static void retry__deadlock(void **state)
{
    MYSQL *other = t_connect();
    thl_event *e1 = upd_event(1, 1, 0, 1), *e2 = upd_event(2, 2, 0, 2);
    apl_applier *a;
    repl_error err;
    int rc;
    (void)state;
    fresh();
    t_sql(db, "CREATE TABLE IF NOT EXISTS " DB ".big (id INT PRIMARY KEY, v INT)");
    t_sql(db, "INSERT IGNORE INTO " DB ".big SELECT seq, 0 FROM " DB ".seq_1_to_200");
    a = t_open(SVC);
    t_sql(other, "BEGIN");
    t_sql(other, "UPDATE " DB ".big SET v = v + 1");
    t_sql(other, "UPDATE " DB ".t SET v = 20 WHERE id = 2");
    t_apply(a, e1); /* the applier's block now holds id 1 */
    assert_int_equal(
        mysql_send_query(other, "UPDATE " DB ".t SET v = 10 WHERE id = 1",
                         (unsigned long)strlen("UPDATE " DB ".t SET v = 10 WHERE id = 1")),
        0);
    wait_executing(other);
    rc = apl_applier_apply(a, e2, &err);
    assert_int_equal(rc, REPL_ERR_RETRY);
    assert_int_equal(err.sys_errno, 1213);
    assert_int_equal(mysql_read_query_result(other), 0); /* got id 1 once the applier rolled back */
    t_sql(other, "ROLLBACK");
    t_apply(a, e1);
    t_apply(a, e2);
    t_commit(a);
    assert_int_equal(t_int(db, "SELECT SUM(v) FROM " DB ".t"), 3);
    thl_event_free(e1);
    thl_event_free(e2);
    apl_applier_close(a);
    mysql_close(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(retry__lock_wait_timeout),
        cmocka_unit_test(retry__deadlock),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
