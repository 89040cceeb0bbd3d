/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/integration/apply/test_stmt.c - statement replay: every piece of session state the source
 * logs (sql_mode, charsets, time zone, timestamp, INSERT_ID, LAST_INSERT_ID, RAND seeds,
 * lc_time_names, pseudo_thread_id, auto_increment, user variables, foreign_key_checks), statements
 * that end a block (DDL, XA), the pending-marker recovery of a DDL interrupted by a crash, expected
 * source errors and the SQL classifier. */
#include "apl_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliers/applier_int.h"
#include "replicator/base/crc32c.h"

#define DB  "apl_stmt"
#define SVC "t_stmt"

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

static apl_applier *fresh(void)
{
    t_reset_service(db, SVC);
    return t_open(SVC);
}

static void apply_one(apl_applier *a, thl_event *ev)
{
    t_apply(a, ev);
    t_commit(a);
    thl_event_free(ev);
}

static void check(const char *sql, const char *expect)
{
    char *s = t_str(db, "%s", sql);
    if (strcmp(s, expect) != 0)
        fprintf(stderr, "%s\n  got '%s', expected '%s'\n", sql, s, expect);
    assert_string_equal(s, expect);
    free(s);
}

static void stmt__session_state(void **state)
{
    apl_applier *a = fresh();
    thl_event *ev = t_event(1);
    thl_statement *st;
    (void)state;
    t_sql(db, "CREATE TABLE " DB ".s (id INT AUTO_INCREMENT PRIMARY KEY, txt VARCHAR(64) "
              "CHARACTER SET utf8mb4, dt DATETIME(6), n BIGINT, r DOUBLE)");
    /* latin1 client bytes, PIPES_AS_CONCAT (sql_mode bit 2), INSERT_ID 100 */
    st = t_stmt(ev, DB, "INSERT INTO s (txt) VALUES ('\xe9' || 't\xe9')");
    st->session.sql_mode = 2;
    st->session.charset_client = st->session.collation_connection = 8;
    st->session.set |= THL_SESS_INSERT_ID;
    st->session.insert_id = 100;
    /* time zone and timestamp */
    st = t_stmt(ev, DB, "INSERT INTO s (id, dt, txt) VALUES (1, NOW(6), FROM_UNIXTIME(0))");
    st->session.set |= THL_SESS_TIME_ZONE;
    st->session.time_zone = "+02:00";
    st->session.timestamp_usec = 123456;
    /* LAST_INSERT_ID, pseudo_thread_id, lc_time_names (3 = sv_SE) */
    st = t_stmt(ev, DB,
                "INSERT INTO s (id, n, txt) VALUES (2, LAST_INSERT_ID() * 1000000 + "
                "CONNECTION_ID(), DATE_FORMAT('2024-01-01', '%W'))");
    st->session.set |= THL_SESS_LAST_INSERT_ID | THL_SESS_PSEUDO_THREAD | THL_SESS_LC_TIME_NAMES;
    st->session.last_insert_id = 55;
    st->session.pseudo_thread_id = 777;
    st->session.lc_time_names = 3;
    /* RAND seeds */
    st = t_stmt(ev, DB, "INSERT INTO s (id, r) VALUES (3, RAND())");
    st->session.set |= THL_SESS_RAND;
    st->session.rand_seed1 = 12345;
    st->session.rand_seed2 = 67890;
    apply_one(a, ev);
    check("SELECT CONCAT(id, ':', txt) FROM " DB ".s WHERE id = 100", "100:\xc3\xa9t\xc3\xa9");
    check("SELECT CONCAT(dt, '|', txt) FROM " DB ".s WHERE id = 1",
          "2023-11-15 00:13:20.123456|1970-01-01 02:00:00");
    check("SELECT CONCAT(n, '|', txt) FROM " DB ".s WHERE id = 2", "55000777|m\xc3\xa5ndag");
    t_sql(db, "SET @@rand_seed1 = 12345, @@rand_seed2 = 67890");
    assert_int_equal(t_int(db, "SELECT r = RAND() FROM " DB ".s WHERE id = 3"), 1);
    apl_applier_close(a);
}

static void stmt__auto_increment_settings(void **state)
{
    apl_applier *a = fresh();
    thl_event *ev = t_event(1), *ev2 = t_event(2);
    thl_statement *st;
    (void)state;
    t_sql(db, "CREATE TABLE " DB ".ai (id INT AUTO_INCREMENT PRIMARY KEY, v INT)");
    st = t_stmt(ev, DB, "INSERT INTO ai (v) VALUES (1), (2)");
    st->session.set |= THL_SESS_AUTO_INC;
    st->session.auto_increment_increment = 10;
    st->session.auto_increment_offset = 3;
    apply_one(a, ev);
    /* absent: back to 1/1 */
    t_stmt(ev2, DB,
           "INSERT INTO ai (v) VALUES (@@auto_increment_increment * 10 + "
           "@@auto_increment_offset)");
    apply_one(a, ev2);
    check("SELECT GROUP_CONCAT(id, ':', v ORDER BY id) FROM " DB ".ai", "3:1,13:2,23:11");
    apl_applier_close(a);
}

/* An lc_time_names id the target does not know is left out with a warning; an unknown time zone
 * stops (load the time zone tables). */
static void stmt__unknown_locale_and_time_zone(void **state)
{
    apl_applier *a = fresh();
    thl_event *e1 = t_event(1), *e2 = t_event(2);
    thl_statement *st;
    repl_error err;
    (void)state;
    t_sql(db, "CREATE TABLE " DB ".lc (d VARCHAR(20))");
    st = t_stmt(e1, DB, "INSERT INTO lc VALUES (DATE_FORMAT('2024-01-01', '%W'))");
    st->session.set |= THL_SESS_LC_TIME_NAMES;
    st->session.lc_time_names = 999;
    apply_one(a, e1);
    check("SELECT d FROM " DB ".lc", "Monday");
    st = t_stmt(e2, DB, "INSERT INTO lc VALUES (NOW())");
    st->session.set |= THL_SESS_TIME_ZONE;
    st->session.time_zone = "Mars/Olympus_Mons";
    assert_int_equal(apl_applier_apply(a, e2, &err), REPL_ERR_SOURCE);
    assert_int_equal(err.sys_errno, 1298);
    thl_event_free(e2);
    apl_applier_close(a);
}

static thl_user_var *add_vars(thl_event *ev, thl_statement *st, uint32_t n)
{
    st->session.user_vars = thl_event_alloc(ev, n * sizeof(thl_user_var));
    memset(st->session.user_vars, 0, n * sizeof(thl_user_var));
    st->session.n_user_vars = n;
    return st->session.user_vars;
}

static void stmt__user_variables(void **state)
{
    apl_applier *a = fresh();
    thl_event *ev = t_event(1);
    thl_statement *st;
    thl_user_var *u;
    (void)state;
    t_sql(db, "CREATE TABLE " DB ".uv (s VARCHAR(20) CHARACTER SET utf8mb4, cs VARCHAR(40), "
              "i BIGINT, u BIGINT UNSIGNED, d DOUBLE, dc DECIMAL(10,3), n INT, b VARBINARY(8))");
    st = t_stmt(ev, DB,
                "INSERT INTO uv VALUES (@s, CONCAT(CHARSET(@s), '/', COLLATION(@s)), "
                "@i, @u, @d, @dc, @n, @`b``q`)");
    u = add_vars(ev, st, 7);
    u[0].name = "s";
    thl_value_set_bytes(ev, &u[0].value, THL_VAL_STRING, "\xe9t\xe9", 3);
    u[0].charset = 8; /* latin1_swedish_ci */
    u[1].name = "i";
    t_v_int(&u[1].value, -42);
    u[2].name = "u";
    t_v_uint(&u[2].value, THL_VAL_UINT, UINT64_MAX);
    u[3].name = "d";
    u[3].value.kind = THL_VAL_DOUBLE;
    u[3].value.v.d = 0.1;
    u[4].name = "dc";
    t_v_dec(ev, &u[4].value, "-12.345");
    u[5].name = "n";
    u[6].name = "b`q";
    thl_value_set_bytes(ev, &u[6].value, THL_VAL_BYTES, "\x00\x01'", 3);
    u[6].charset = 63;
    apply_one(a, ev);
    check("SELECT CONCAT_WS('|', s, cs, i, u, d = 0.1e0, dc, IFNULL(n, 'null'), HEX(b)) FROM " DB
          ".uv",
          "\xc3\xa9t\xc3\xa9|latin1/latin1_swedish_ci|-42|18446744073709551615|1|-12.345|null|"
          "000127");
    apl_applier_close(a);
}

static void stmt__foreign_key_checks_flag(void **state)
{
    apl_applier *a = fresh();
    thl_event *ev = t_event(1);
    thl_statement *st;
    (void)state;
    t_sql(db, "CREATE TABLE " DB ".fp (id INT PRIMARY KEY) ENGINE=InnoDB");
    t_sql(db, "CREATE TABLE " DB ".fc (id INT PRIMARY KEY, p INT, FOREIGN KEY (p) REFERENCES " DB
              ".fp (id)) ENGINE=InnoDB");
    st = t_stmt(ev, DB, "INSERT INTO fc VALUES (1, 99)");
    st->session.set |= THL_SESS_FLAGS2;
    st->session.flags2 = THL_FLAGS2_NO_FOREIGN_KEY_CHK;
    apply_one(a, ev);
    assert_int_equal(t_int(db, "SELECT p FROM " DB ".fc"), 99);
    apl_applier_close(a);
}

/* A DDL commits the open block first and runs alone; the block after it sees the new table. */
static void stmt__ddl_ends_block(void **state)
{
    apl_applier *a = fresh();
    thl_event *e1 = t_event(1), *e2 = t_event(2), *e3 = t_event(3);
    thl_rows *r;
    (void)state;
    t_sql(db, "CREATE TABLE " DB ".d1 (id INT PRIMARY KEY, v INT)");
    r = t_rows_idv(e1, DB, "d1", THL_ROW_INSERT);
    t_row_idv(e1, r, 0, 0, 1, 1);
    t_stmt(e2, DB, "CREATE TABLE d2 (id INT PRIMARY KEY, v INT)");
    e2->flags |= THL_EV_DDL;
    r = t_rows_idv(e3, DB, "d2", THL_ROW_INSERT);
    t_row_idv(e3, r, 0, 0, 2, 2);
    t_apply(a, e1);
    assert_int_equal(t_int(db, "SELECT COUNT(*) FROM " DB ".d1"), 0);
    t_apply(a, e2);
    assert_int_equal(t_int(db, "SELECT COUNT(*) FROM " DB ".d1"), 1);
    assert_int_equal(t_int(db, "SELECT seqno FROM trep_" SVC ".trep_commit_seqno"), 2);
    assert_int_equal(t_int(db, "SELECT pending_seqno IS NULL FROM trep_" SVC ".trep_commit_seqno"),
                     1);
    t_apply(a, e3);
    t_commit(a);
    assert_int_equal(t_int(db, "SELECT v FROM " DB ".d2"), 2);
    thl_event_free(e1);
    thl_event_free(e2);
    thl_event_free(e3);
    apl_applier_close(a);
}

static thl_event *ddl_event(uint64_t seqno, const char *sql)
{
    thl_event *ev = t_event(seqno);
    t_stmt(ev, DB, sql);
    ev->flags |= THL_EV_DDL;
    return ev;
}

/* The crash window: the DDL ran, the position did not move. The marker committed before the DDL
 * lets the restarted applier take "table exists" as done - and only then. */
static void stmt__ddl_crash_window_recovery(void **state)
{
    apl_applier *a = fresh();
    thl_event *e1 = ddl_event(1, "CREATE TABLE r0 (id INT)");
    thl_event *e2 = ddl_event(2, "CREATE TABLE r1 (id INT)");
    repl_error err;
    (void)state;
    apply_one(a, e1);
    apl_applier_close(a);
    /* what a crash between the DDL and the position update leaves behind */
    t_sql(db, "CREATE TABLE " DB ".r1 (id INT)");
    t_sql(db, "UPDATE trep_" SVC ".trep_commit_seqno SET pending_seqno = 2, pending_crc = %u",
          repl_crc32c(0, e2->event_id, strlen(e2->event_id)));
    /* a marker for another event id does not count */
    t_sql(db, "UPDATE trep_" SVC ".trep_commit_seqno SET pending_crc = pending_crc + 1");
    a = t_open(SVC);
    assert_int_equal(apl_applier_apply(a, e2, &err), REPL_ERR_SOURCE);
    assert_int_equal(apl_applier_last_failure(a)->server_errno, 1050);
    apl_applier_close(a);
    t_sql(db, "UPDATE trep_" SVC ".trep_commit_seqno SET pending_seqno = 2, pending_crc = %u",
          repl_crc32c(0, e2->event_id, strlen(e2->event_id)));
    a = t_open(SVC);
    t_apply(a, e2);
    assert_int_equal(t_pos_seqno(a), 2);
    assert_int_equal(t_int(db, "SELECT pending_seqno IS NULL FROM trep_" SVC ".trep_commit_seqno"),
                     1);
    thl_event_free(e2);
    apl_applier_close(a);
}

/* Without a crash a failing DDL is an error, and its marker is cleared (nothing was applied). */
static void stmt__ddl_failure_clears_marker(void **state)
{
    apl_applier *a = fresh();
    thl_event *ev = ddl_event(1, "CREATE TABLE r2 (id INT)");
    repl_error err;
    (void)state;
    t_sql(db, "CREATE TABLE " DB ".r2 (id INT)");
    assert_int_equal(apl_applier_apply(a, ev, &err), REPL_ERR_SOURCE);
    assert_int_equal(err.sys_errno, 1050);
    assert_int_equal(t_int(db, "SELECT COUNT(*) FROM trep_" SVC ".trep_commit_seqno WHERE "
                               "pending_seqno IS NOT NULL"),
                     0);
    apl_applier_close(a);
    a = t_open(SVC);
    assert_int_equal(apl_applier_apply(a, ev, &err), REPL_ERR_SOURCE); /* still an error */
    thl_event_free(ev);
    apl_applier_close(a);
}

static void set_marker(uint64_t seqno, const thl_event *ev)
{
    t_sql(db, "UPDATE trep_" SVC ".trep_commit_seqno SET pending_seqno = %llu, pending_crc = %u",
          (unsigned long long)seqno, repl_crc32c(0, ev->event_id, strlen(ev->event_id)));
}

/* A non-transactional event half applied before a crash: re-applied row by row, the rows already
 * there are taken as done and the rest is applied. */
static void stmt__nontransactional_crash_window_recovery(void **state)
{
    apl_applier *a = fresh();
    thl_event *e1 = ddl_event(1, "CREATE TABLE my (id INT PRIMARY KEY, v INT) ENGINE=MyISAM");
    thl_event *e2 = t_event(2);
    thl_rows *r;
    (void)state;
    apply_one(a, e1);
    apl_applier_close(a);
    r = t_rows_idv(e2, DB, "my", THL_ROW_INSERT);
    for (int i = 1; i <= 3; i++)
        t_row_idv(e2, r, 0, 0, i, i);
    t_sql(db, "INSERT INTO " DB ".my VALUES (1, 1), (2, 2)"); /* what the crash left */
    set_marker(2, e2);
    a = t_open(SVC);
    t_apply(a, e2);
    assert_int_equal(t_pos_seqno(a), 2);
    assert_int_equal(t_int(db, "SELECT SUM(v) FROM " DB ".my"), 6);
    thl_event_free(e2);
    apl_applier_close(a);
}

/* Crash after XA PREPARE, before the position: the branch is prepared; the event is taken as done
 * (XA START answers "XID exists") and the next event commits the branch. */
static void stmt__xa_crash_window_recovery(void **state)
{
    apl_applier *a = fresh();
    thl_event *e1 = ddl_event(1, "CREATE TABLE xr (id INT PRIMARY KEY, v INT)");
    thl_event *e2 = t_event(2), *e3 = t_event(3);
    MYSQL *other = t_connect();
    thl_rows *r;
    (void)state;
    apply_one(a, e1);
    apl_applier_close(a);
    t_stmt(e2, DB, "XA START X'7872',X'',1");
    r = t_rows_idv(e2, DB, "xr", THL_ROW_INSERT);
    t_row_idv(e2, r, 0, 0, 1, 1);
    t_stmt(e2, DB, "XA END X'7872',X'',1");
    t_stmt(e2, DB, "XA PREPARE X'7872',X'',1");
    t_stmt(e3, DB, "XA COMMIT X'7872',X'',1");
    /* what the crash left: the branch prepared by a session that is gone */
    t_sql(other, "XA START X'7872',X'',1");
    t_sql(other, "INSERT INTO " DB ".xr VALUES (1, 1)");
    t_sql(other, "XA END X'7872',X'',1");
    t_sql(other, "XA PREPARE X'7872',X'',1");
    mysql_close(other);
    set_marker(2, e2);
    a = t_open(SVC);
    t_apply(a, e2);
    assert_int_equal(t_pos_seqno(a), 2);
    t_apply(a, e3);
    assert_int_equal(t_pos_seqno(a), 3);
    assert_int_equal(t_int(db, "SELECT COUNT(*) FROM " DB ".xr"), 1);
    thl_event_free(e2);
    thl_event_free(e3);
    apl_applier_close(a);
}

/* The source logged the statement with its error: the same error here is success. */
static void stmt__expected_source_error(void **state)
{
    apl_applier *a = fresh();
    thl_event *e1 = t_event(1), *e2 = t_event(2);
    thl_statement *st;
    repl_error err;
    (void)state;
    t_sql(db, "CREATE TABLE " DB ".m (id INT PRIMARY KEY) ENGINE=MyISAM");
    st = t_stmt(e1, DB, "INSERT INTO m VALUES (1), (2), (1), (3)");
    st->error_code = 1062;
    e1->flags |= THL_EV_UNSAFE;
    apply_one(a, e1);
    assert_int_equal(t_int(db, "SELECT COUNT(*) FROM " DB ".m"), 2);
    st = t_stmt(e2, DB, "INSERT INTO m VALUES (7)");
    st->error_code = 1062;
    assert_int_equal(apl_applier_apply(a, e2, &err), REPL_ERR_SOURCE);
    assert_non_null(strstr(apl_applier_last_failure(a)->server_error, "raised error 1062"));
    thl_event_free(e2);
    apl_applier_close(a);
}

static void stmt__transaction_control_ignored(void **state)
{
    apl_applier *a = fresh();
    thl_event *ev = t_event(1), *e2 = t_event(2);
    (void)state;
    t_sql(db, "CREATE TABLE " DB ".tc (id INT PRIMARY KEY)");
    t_stmt(ev, DB, "BEGIN");
    t_stmt(ev, DB, "INSERT INTO tc VALUES (1)");
    t_stmt(ev, DB, "COMMIT");
    t_stmt(e2, DB, "INSERT INTO tc VALUES (2)");
    t_apply(a, ev);
    t_apply(a, e2);
    assert_int_equal(t_int(db, "SELECT COUNT(*) FROM " DB ".tc"), 0); /* still one open block */
    t_commit(a);
    assert_int_equal(t_int(db, "SELECT COUNT(*) FROM " DB ".tc"), 2);
    thl_event_free(ev);
    thl_event_free(e2);
    apl_applier_close(a);
}

/* XA: START..PREPARE runs outside our blocks; the prepared branch survives the detach and the
 * later XA COMMIT finishes it. */
static void stmt__xa_transaction(void **state)
{
    apl_applier *a = fresh();
    thl_event *e1 = t_event(1), *e2 = t_event(2), *e3 = t_event(3);
    thl_rows *r;
    (void)state;
    t_sql(db, "CREATE TABLE " DB ".xa (id INT PRIMARY KEY, v INT)");
    r = t_rows_idv(e1, DB, "xa", THL_ROW_INSERT);
    t_row_idv(e1, r, 0, 0, 1, 1);
    t_stmt(e2, DB, "XA START X'747231',X'',1");
    r = t_rows_idv(e2, DB, "xa", THL_ROW_INSERT);
    t_row_idv(e2, r, 0, 0, 2, 2);
    t_stmt(e2, DB, "XA END X'747231',X'',1");
    t_stmt(e2, DB, "XA PREPARE X'747231',X'',1");
    t_stmt(e3, DB, "XA COMMIT X'747231',X'',1");
    t_apply(a, e1);
    t_apply(a, e2);
    assert_int_equal(t_int(db, "SELECT COUNT(*) FROM " DB ".xa"), 1);
    assert_int_equal(t_int(db, "SELECT seqno FROM trep_" SVC ".trep_commit_seqno"), 2);
    assert_int_equal(t_int(db, "XA RECOVER"), 1); /* formatID of the prepared branch */
    t_apply(a, e3);
    assert_int_equal(t_int(db, "SELECT COUNT(*) FROM " DB ".xa"), 2);
    assert_int_equal(t_pos_seqno(a), 3);
    thl_event_free(e1);
    thl_event_free(e2);
    thl_event_free(e3);
    apl_applier_close(a);
}

static void stmt__drop_database_forgets_current(void **state)
{
    apl_applier *a = fresh();
    thl_event *e1 = t_event(1), *e2 = t_event(2), *e3 = t_event(3);
    (void)state;
    t_sql(db, "DROP DATABASE IF EXISTS apl_stmt_tmp");
    t_sql(db, "CREATE DATABASE apl_stmt_tmp");
    t_sql(db, "CREATE TABLE apl_stmt_tmp.t (id INT)");
    t_stmt(e1, "apl_stmt_tmp", "INSERT INTO t VALUES (1)");
    t_stmt(e2, "apl_stmt_tmp", "DROP DATABASE apl_stmt_tmp");
    t_stmt(e3, "apl_stmt_tmp", "CREATE DATABASE apl_stmt_tmp");
    t_stmt(e3, "apl_stmt_tmp", "CREATE TABLE t (id INT)"); /* needs USE again */
    apply_one(a, e1);
    apply_one(a, e2);
    apply_one(a, e3);
    assert_int_equal(t_int(db, "SELECT COUNT(*) FROM apl_stmt_tmp.t"), 0);
    t_sql(db, "DROP DATABASE apl_stmt_tmp");
    apl_applier_close(a);
}

static void expect_kind(const char *sql, enum apl_sql_kind kind)
{
    enum apl_sql_kind k = apl_sql_classify((const uint8_t *)sql, strlen(sql));
    if (k != kind)
        fprintf(stderr, "classify '%s': %d, expected %d\n", sql, k, kind);
    assert_int_equal(k, kind);
}

static void stmt__classify(void **state)
{
    (void)state;
    expect_kind("INSERT INTO t VALUES (1)", APL_SQL_PLAIN);
    expect_kind("  create table t (a int)", APL_SQL_IMPLICIT_COMMIT);
    expect_kind("/*!40101 ALTER TABLE t ADD b INT */", APL_SQL_IMPLICIT_COMMIT);
    expect_kind("/*M!100100 CREATE TABLE t (a int) */", APL_SQL_IMPLICIT_COMMIT);
    expect_kind("/* c */ -- x\n# y\nTRUNCATE t", APL_SQL_IMPLICIT_COMMIT);
    expect_kind("CREATE TEMPORARY TABLE t (a int)", APL_SQL_PLAIN);
    expect_kind("create or replace temporary table t (a int)", APL_SQL_PLAIN);
    expect_kind("create or replace table t (a int)", APL_SQL_IMPLICIT_COMMIT);
    expect_kind("DROP TEMPORARY TABLE IF EXISTS t", APL_SQL_PLAIN);
    expect_kind("drop schema s", APL_SQL_DROP_DB);
    expect_kind("CREATE DEFINER=`root`@`localhost` TRIGGER tr", APL_SQL_IMPLICIT_COMMIT);
    expect_kind("BEGIN", APL_SQL_TRX_CONTROL);
    expect_kind("COMMIT WORK", APL_SQL_TRX_CONTROL);
    expect_kind("START TRANSACTION", APL_SQL_TRX_CONTROL);
    expect_kind("ROLLBACK", APL_SQL_TRX_CONTROL);
    expect_kind("ROLLBACK TO SAVEPOINT s1", APL_SQL_PLAIN);
    expect_kind("rollback work to s1", APL_SQL_PLAIN);
    expect_kind("BEGIN NOT ATOMIC SELECT 1; END", APL_SQL_PLAIN);
    expect_kind("XA START 'x'", APL_SQL_XA_START);
    expect_kind("xa end 'x'", APL_SQL_XA_END);
    expect_kind("XA PREPARE 'x'", APL_SQL_XA_PREPARE);
    expect_kind("XA COMMIT 'x'", APL_SQL_XA_FINISH);
    expect_kind("XA ROLLBACK 'x'", APL_SQL_XA_FINISH);
    expect_kind("LOAD DATA INFILE 'f' INTO TABLE t", APL_SQL_PLAIN);
    expect_kind("LOAD INDEX INTO CACHE t", APL_SQL_IMPLICIT_COMMIT);
    expect_kind("SET PASSWORD FOR u = PASSWORD('x')", APL_SQL_IMPLICIT_COMMIT);
    expect_kind("GRANT SELECT ON *.* TO u", APL_SQL_IMPLICIT_COMMIT);
    expect_kind("", APL_SQL_PLAIN);
    expect_kind("/* unterminated", APL_SQL_PLAIN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stmt__session_state),
        cmocka_unit_test(stmt__auto_increment_settings),
        cmocka_unit_test(stmt__unknown_locale_and_time_zone),
        cmocka_unit_test(stmt__user_variables),
        cmocka_unit_test(stmt__foreign_key_checks_flag),
        cmocka_unit_test(stmt__ddl_ends_block),
        cmocka_unit_test(stmt__ddl_crash_window_recovery),
        cmocka_unit_test(stmt__ddl_failure_clears_marker),
        cmocka_unit_test(stmt__nontransactional_crash_window_recovery),
        cmocka_unit_test(stmt__xa_crash_window_recovery),
        cmocka_unit_test(stmt__expected_source_error),
        cmocka_unit_test(stmt__transaction_control_ignored),
        cmocka_unit_test(stmt__xa_transaction),
        cmocka_unit_test(stmt__drop_database_forgets_current),
        cmocka_unit_test(stmt__classify),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
