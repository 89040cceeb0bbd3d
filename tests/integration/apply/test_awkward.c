/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/integration/apply/test_awkward.c - the cases where a naive SQL apply makes the slave differ
 * from the master. Each test runs the real statements on a "master" schema, builds the THL events
 * the extractor would produce from that master's binlog (the same row changes, including what
 * triggers and system versioning logged, without what InnoDB cascades did not log), applies them to
 * a "slave" schema with the same definitions, and compares the two. Cases: triggers (BINLOG path;
 * the SQL path fails), ON DELETE/UPDATE CASCADE foreign keys, tables without a primary key holding
 * duplicates, system-versioned tables (history rows as logged) and sequences. */
#include "apl_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DBM "apl_awk_m"
#define DBS "apl_awk_s"
#define SVC "t_awk"

static MYSQL *db;

static int setup(void **state)
{
    (void)state;
    db = t_connect();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mysql_close(db);
    return 0;
}

/* Run the same DDL in both schemas (statements separated by ';', '@' stands for the schema). */
static void both(const char *ddl)
{
    const char *dbs[2] = { DBM, DBS };
    for (int k = 0; k < 2; k++) {
        char sql[4096];
        size_t n = 0;
        for (const char *p = ddl; *p != '\0' && n + 64 < sizeof(sql); p++) {
            if (*p == '@')
                n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%s", dbs[k]);
            else
                sql[n++] = *p;
        }
        sql[n] = '\0';
        t_sql(db, "%s", sql);
    }
}

static void fresh(void)
{
    t_fresh_db(db, DBM);
    t_fresh_db(db, DBS);
    t_reset_service(db, SVC);
}

/* ---- triggers ----------------------------------------------------------------------------------
 */

static void trigger_schema(void)
{
    fresh();
    both("CREATE TABLE @.tg (id INT PRIMARY KEY, v INT);"
         "CREATE TABLE @.tg_log (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(8), ref INT);"
         "CREATE TRIGGER @.tg_ai AFTER INSERT ON @.tg FOR EACH ROW "
         "INSERT INTO @.tg_log (what, ref) VALUES ('ins', NEW.id);"
         "CREATE TRIGGER @.tg_au AFTER UPDATE ON @.tg FOR EACH ROW "
         "INSERT INTO @.tg_log (what, ref) VALUES ('upd', NEW.id);"
         "CREATE TRIGGER @.tg_ad AFTER DELETE ON @.tg FOR EACH ROW "
         "INSERT INTO @.tg_log (what, ref) VALUES ('del', OLD.id)");
    t_sql(db, "INSERT INTO " DBM ".tg VALUES (1, 10), (2, 20)");
    t_sql(db, "UPDATE " DBM ".tg SET v = 11 WHERE id = 1");
    t_sql(db, "DELETE FROM " DBM ".tg WHERE id = 2");
}

static void log_row(thl_event *ev, int64_t id, const char *what, int64_t ref)
{
    thl_rows *r = thl_event_add_rows(ev, DBS, "tg_log", THL_ROW_INSERT, 3);
    thl_row *row;
    t_col(&r->cols[0], "id", MYSQL_TYPE_LONG, 0, 0, 0, THL_COL_PK);
    t_col(&r->cols[1], "what", MYSQL_TYPE_VARCHAR, 32, 32, 45, THL_COL_NULLABLE);
    t_col(&r->cols[2], "ref", MYSQL_TYPE_LONG, 0, 0, 0, THL_COL_NULLABLE);
    row = thl_rows_add_row(ev, r);
    t_v_int(&row->after[0], id);
    t_v_str(ev, &row->after[1], what);
    t_v_int(&row->after[2], ref);
}

/* The master's binlog: each change of tg followed by the row its trigger wrote. */
static void trigger_events(thl_event **e)
{
    thl_rows *r;
    e[0] = t_event(1);
    r = t_rows_idv(e[0], DBS, "tg", THL_ROW_INSERT);
    t_row_idv(e[0], r, 0, 0, 1, 10);
    log_row(e[0], 1, "ins", 1);
    r = t_rows_idv(e[0], DBS, "tg", THL_ROW_INSERT);
    t_row_idv(e[0], r, 0, 0, 2, 20);
    log_row(e[0], 2, "ins", 2);
    e[1] = t_event(2);
    r = t_rows_idv(e[1], DBS, "tg", THL_ROW_UPDATE);
    t_row_idv(e[1], r, 1, 10, 1, 11);
    log_row(e[1], 3, "upd", 1);
    e[2] = t_event(3);
    r = t_rows_idv(e[2], DBS, "tg", THL_ROW_DELETE);
    t_row_idv(e[2], r, 2, 20, 0, 0);
    log_row(e[2], 4, "del", 2);
}

static void awkward__triggers_do_not_fire_twice(void **state)
{
    thl_event *e[3];
    apl_applier *a;
    (void)state;
    trigger_schema();
    trigger_events(e);
    a = t_open(SVC);
    for (int i = 0; i < 3; i++)
        t_apply(a, e[i]);
    t_commit(a);
    t_tables_equal(db, DBM ".tg", DBS ".tg");
    t_tables_equal(db, DBM ".tg_log", DBS ".tg_log");
    for (int i = 0; i < 3; i++)
        thl_event_free(e[i]);
    apl_applier_close(a);
}

/* Why the BINLOG path exists: through plain SQL the slave's trigger fires again. */
static void awkward__triggers_fire_again_without_binlog_path(void **state)
{
    thl_event *e[3];
    apl_options o;
    apl_applier *a;
    repl_error err;
    (void)state;
    trigger_schema();
    trigger_events(e);
    t_options(&o, SVC);
    o.binlog_path = 0;
    a = t_open_opts(&o);
    assert_int_equal(apl_applier_apply(a, e[0], &err), REPL_ERR_SOURCE);
    assert_int_equal(apl_applier_last_failure(a)->server_errno, 1062); /* tg_log id 1 twice */
    for (int i = 0; i < 3; i++)
        thl_event_free(e[i]);
    apl_applier_close(a);
}

/* ---- foreign keys
 * -------------------------------------------------------------------------------- */

static thl_rows *fk_rows(thl_event *ev, const char *table, thl_row_action action)
{
    thl_rows *r = t_rows_idv(ev, DBS, table, action);
    if (strcmp(table, "fc") == 0)
        r->cols[1].name = "p";
    return r;
}

/* InnoDB does not log cascaded changes: the slave's cascade must produce them. */
static void awkward__fk_cascade(void **state)
{
    thl_event *e1 = t_event(1), *e2 = t_event(2), *e3 = t_event(3);
    apl_applier *a;
    thl_rows *r;
    (void)state;
    fresh();
    both("CREATE TABLE @.fp (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;"
         "CREATE TABLE @.fc (id INT PRIMARY KEY, p INT, FOREIGN KEY (p) REFERENCES @.fp (id) "
         "ON DELETE CASCADE ON UPDATE CASCADE) ENGINE=InnoDB");
    t_sql(db, "INSERT INTO " DBM ".fp VALUES (1, 1), (2, 2)");
    t_sql(db, "INSERT INTO " DBM ".fc VALUES (10, 1), (11, 1), (20, 2)");
    t_sql(db, "DELETE FROM " DBM ".fp WHERE id = 1");
    t_sql(db, "UPDATE " DBM ".fp SET id = 3 WHERE id = 2");
    r = fk_rows(e1, "fp", THL_ROW_INSERT);
    t_row_idv(e1, r, 0, 0, 1, 1);
    t_row_idv(e1, r, 0, 0, 2, 2);
    r = fk_rows(e1, "fc", THL_ROW_INSERT);
    t_row_idv(e1, r, 0, 0, 10, 1);
    t_row_idv(e1, r, 0, 0, 11, 1);
    t_row_idv(e1, r, 0, 0, 20, 2);
    r = fk_rows(e2, "fp", THL_ROW_DELETE);
    t_row_idv(e2, r, 1, 1, 0, 0);
    r = fk_rows(e3, "fp", THL_ROW_UPDATE);
    t_row_idv(e3, r, 2, 2, 3, 2);
    a = t_open(SVC);
    t_apply(a, e1);
    t_apply(a, e2);
    t_apply(a, e3);
    t_commit(a);
    t_tables_equal(db, DBM ".fp", DBS ".fp");
    t_tables_equal(db, DBM ".fc", DBS ".fc");
    assert_int_equal(t_int(db, "SELECT COUNT(*) FROM " DBS ".fc"), 1);
    thl_event_free(e1);
    thl_event_free(e2);
    thl_event_free(e3);
    apl_applier_close(a);
}

/* ---- no primary key
 * ------------------------------------------------------------------------------ */

static void awkward__no_pk_duplicates(void **state)
{
    thl_event *e1 = t_event(1), *e2 = t_event(2), *e3 = t_event(3);
    apl_applier *a;
    thl_rows *r;
    (void)state;
    fresh();
    both("CREATE TABLE @.np (id INT, v INT)");
    t_sql(db, "INSERT INTO " DBM ".np VALUES (1, 1), (1, 1), (2, 2)");
    t_sql(db, "DELETE FROM " DBM ".np WHERE id = 1 LIMIT 1");
    t_sql(db, "UPDATE " DBM ".np SET v = 5 WHERE id = 1");
    r = t_rows_idv(e1, DBS, "np", THL_ROW_INSERT);
    r->cols[0].flags = 0;
    t_row_idv(e1, r, 0, 0, 1, 1);
    t_row_idv(e1, r, 0, 0, 1, 1);
    t_row_idv(e1, r, 0, 0, 2, 2);
    r = t_rows_idv(e2, DBS, "np", THL_ROW_DELETE);
    r->cols[0].flags = 0;
    t_row_idv(e2, r, 1, 1, 0, 0);
    r = t_rows_idv(e3, DBS, "np", THL_ROW_UPDATE);
    r->cols[0].flags = 0;
    t_row_idv(e3, r, 1, 1, 1, 5);
    a = t_open(SVC);
    t_apply(a, e1);
    t_apply(a, e2);
    t_apply(a, e3);
    t_commit(a);
    t_results_equal(db, "SELECT * FROM " DBM ".np ORDER BY id, v",
                    "SELECT * FROM " DBS ".np ORDER BY id, v");
    thl_event_free(e1);
    thl_event_free(e2);
    thl_event_free(e3);
    apl_applier_close(a);
}

/* ---- system versioning
 * --------------------------------------------------------------------------- */

typedef struct ver_row {
    int64_t id, x, rs_sec, re_sec;
    uint32_t rs_us, re_us;
} ver_row;

static void parse_ts(const char *s, int64_t *sec, uint32_t *us)
{
    const char *dot = strchr(s, '.');
    *sec = strtoll(s, NULL, 10);
    *us = dot != NULL ? (uint32_t)strtoul(dot + 1, NULL, 10) : 0;
}

/* The master's rows, history included, ordered by row_start. */
static int master_versions(ver_row *out, int cap)
{
    MYSQL_RES *res;
    MYSQL_ROW row;
    int n = 0;
    t_sql(db, "SET time_zone = '+00:00'");
    assert_int_equal(mysql_query(db,
                                 "SELECT id, x, UNIX_TIMESTAMP(rs), UNIX_TIMESTAMP(re) FROM " DBM
                                 ".ver FOR SYSTEM_TIME ALL ORDER BY rs, re"),
                     0);
    res = mysql_store_result(db);
    for (row = mysql_fetch_row(res); row != NULL && n < cap; row = mysql_fetch_row(res)) {
        out[n].id = atoll(row[0]);
        out[n].x = atoll(row[1]);
        parse_ts(row[2], &out[n].rs_sec, &out[n].rs_us);
        parse_ts(row[3], &out[n].re_sec, &out[n].re_us);
        n++;
    }
    mysql_free_result(res);
    return n;
}

static thl_rows *ver_rows(thl_event *ev, thl_row_action action)
{
    thl_rows *r = thl_event_add_rows(ev, DBS, "ver", action, 4);
    t_col(&r->cols[0], "id", MYSQL_TYPE_LONG, 0, 0, 0, THL_COL_PK);
    t_col(&r->cols[1], "x", MYSQL_TYPE_LONG, 0, 0, 0, THL_COL_NULLABLE);
    t_col(&r->cols[2], "rs", MYSQL_TYPE_TIMESTAMP2, 6, 0, 0, 0);
    t_col(&r->cols[3], "re", MYSQL_TYPE_TIMESTAMP2, 6, 0, 0, THL_COL_PK);
    return r;
}

static void ver_image(thl_value *img, int64_t id, int64_t x, int64_t rs, uint32_t rsu, int64_t re,
                      uint32_t reu)
{
    t_v_int(&img[0], id);
    t_v_int(&img[1], x);
    t_v_ts(&img[2], rs, rsu);
    t_v_ts(&img[3], re, reu);
}

/* History rows are logged by the master and must be written as logged, never made up again. */
static void awkward__system_versioned_history(void **state)
{
    ver_row m[2];
    thl_event *e1 = t_event(1), *e2 = t_event(2), *e3 = t_event(3);
    const int64_t max = 2147483647;
    apl_applier *a;
    thl_row *row;
    (void)state;
    fresh();
    both("CREATE TABLE @.ver (id INT PRIMARY KEY, x INT, "
         "rs TIMESTAMP(6) GENERATED ALWAYS AS ROW START, "
         "re TIMESTAMP(6) GENERATED ALWAYS AS ROW END, PERIOD FOR SYSTEM_TIME (rs, re)) "
         "WITH SYSTEM VERSIONING");
    t_sql(db, "INSERT INTO " DBM ".ver (id, x) VALUES (1, 10)");
    t_sql(db, "UPDATE " DBM ".ver SET x = 11 WHERE id = 1");
    t_sql(db, "DELETE FROM " DBM ".ver WHERE id = 1");
    assert_int_equal(master_versions(m, 2), 2);
    row = thl_rows_add_row(e1, ver_rows(e1, THL_ROW_INSERT));
    ver_image(row->after, 1, 10, m[0].rs_sec, m[0].rs_us, max, 999999);
    row = thl_rows_add_row(e2, ver_rows(e2, THL_ROW_UPDATE));
    ver_image(row->before, 1, 10, m[0].rs_sec, m[0].rs_us, max, 999999);
    ver_image(row->after, 1, 11, m[1].rs_sec, m[1].rs_us, max, 999999);
    row = thl_rows_add_row(e2, ver_rows(e2, THL_ROW_INSERT));
    ver_image(row->after, 1, 10, m[0].rs_sec, m[0].rs_us, m[0].re_sec, m[0].re_us);
    row = thl_rows_add_row(e3, ver_rows(e3, THL_ROW_UPDATE));
    ver_image(row->before, 1, 11, m[1].rs_sec, m[1].rs_us, max, 999999);
    ver_image(row->after, 1, 11, m[1].rs_sec, m[1].rs_us, m[1].re_sec, m[1].re_us);
    a = t_open(SVC);
    t_apply(a, e1);
    t_apply(a, e2);
    t_apply(a, e3);
    t_commit(a);
    t_results_equal(db, "SELECT id, x, rs, re FROM " DBM ".ver FOR SYSTEM_TIME ALL ORDER BY rs",
                    "SELECT id, x, rs, re FROM " DBS ".ver FOR SYSTEM_TIME ALL ORDER BY rs");
    assert_int_equal(t_int(db, "SELECT COUNT(*) FROM " DBS ".ver FOR SYSTEM_TIME ALL"), 2);
    thl_event_free(e1);
    thl_event_free(e2);
    thl_event_free(e3);
    apl_applier_close(a);
}

/* ---- sequences
 * ----------------------------------------------------------------------------------- */

/* NEXTVAL logs the whole sequence row; the slave takes the state as logged. */
static void awkward__sequence_state(void **state)
{
    static const char *const names[8] = { "next_not_cached_value", "minimum_value", "maximum_value",
                                          "start_value",           "increment",     "cache_size",
                                          "cycle_option",          "cycle_count" };
    thl_event *ev = t_event(1);
    apl_applier *a;
    thl_rows *r;
    thl_row *row;
    MYSQL_RES *res;
    MYSQL_ROW mrow;
    (void)state;
    fresh();
    both("CREATE SEQUENCE @.sq START WITH 100 INCREMENT BY 5 CACHE 10");
    assert_int_equal(t_int(db, "SELECT NEXTVAL(" DBM ".sq)"), 100);
    assert_int_equal(t_int(db, "SELECT NEXTVAL(" DBM ".sq)"), 105);
    r = thl_event_add_rows(ev, DBS, "sq", THL_ROW_INSERT, 8);
    for (int i = 0; i < 8; i++)
        t_col(&r->cols[i], names[i], i == 6 ? MYSQL_TYPE_TINY : MYSQL_TYPE_LONGLONG, 0, 0, 0,
              i == 5 || i == 6 ? THL_COL_UNSIGNED : 0);
    row = thl_rows_add_row(ev, r);
    assert_int_equal(mysql_query(db, "SELECT * FROM " DBM ".sq"), 0);
    res = mysql_store_result(db);
    mrow = mysql_fetch_row(res);
    for (int i = 0; i < 8; i++)
        t_v_int(&row->after[i], atoll(mrow[i]));
    mysql_free_result(res);
    ev->flags |= THL_EV_UNSAFE; /* sequence changes are not transactional on the source */
    a = t_open(SVC);
    t_apply(a, ev);
    t_commit(a);
    t_tables_equal(db, DBM ".sq", DBS ".sq");
    /* a promoted slave never hands out values the master may have given away */
    assert_int_equal(t_int(db, "SELECT NEXTVAL(" DBS ".sq)"), 150);
    thl_event_free(ev);
    apl_applier_close(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(awkward__triggers_do_not_fire_twice),
        cmocka_unit_test(awkward__triggers_fire_again_without_binlog_path),
        cmocka_unit_test(awkward__fk_cascade),
        cmocka_unit_test(awkward__no_pk_duplicates),
        cmocka_unit_test(awkward__system_versioned_history),
        cmocka_unit_test(awkward__sequence_state),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
