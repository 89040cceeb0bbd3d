/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/backup/test_position.c - mapping a master backup's binlog position to the THL: by
 * GTID (several domains: the highest seqno), by file:offset when there is no GTID, the epoch,
 * event_id and source_id of the mapped seqno, a THL that has not reached the position yet
 * (REPL_ERR_NOTFOUND after the wait), and a position before any transaction. */
#include "bkp_test.h"

#include "backup/position.h"
#include "replicator/base/clock.h"
#include "thl/log.h"

/* seqno n ends at mariadb-bin.000001:(1000 + 100 n), GTID 0-1-(n+1); seqnos 5.. are a new epoch
 * from master-5, and seqno 7 also has a domain-1 GTID. */
static thl_log *make_thl(const char *dir, uint64_t count)
{
    thl_log_options o;
    thl_log *log = NULL;
    repl_error err;
    thl_log_options_init(&o);
    o.dir = dir;
    o.map_bytes = 64 << 20;
    assert_int_equal(thl_log_open(&log, &o, &err), REPL_OK);
    for (uint64_t n = 0; n < count; n++) {
        thl_event *ev = thl_event_new();
        char eid[128];
        uint64_t epoch = n < 5 ? 0 : 5;
        if (n == 7)
            snprintf(eid, sizeof(eid), "mariadb-bin.000001:%llu;1-1-3",
                     (unsigned long long)(1000 + 100 * n));
        else
            snprintf(eid, sizeof(eid), "mariadb-bin.000001:%llu;0-1-%llu",
                     (unsigned long long)(1000 + 100 * n), (unsigned long long)n + 1);
        ev->seqno = n;
        ev->flags = THL_EV_LAST_FRAG;
        ev->epoch = epoch;
        thl_event_set_ids(ev, epoch == 0 ? "master-0" : "master-5", eid, "db1");
        assert_int_equal(thl_log_append(log, ev, &err), REPL_OK);
        thl_event_free(ev);
    }
    assert_int_equal(thl_log_commit(log, &err), REPL_OK);
    return log;
}

static void at(bkp_position *p, const char *file, uint64_t off, const char *gtid)
{
    bkp_position_init(p);
    snprintf(p->binlog_file, sizeof(p->binlog_file), "%s", file);
    p->binlog_pos = off;
    snprintf(p->gtid, sizeof(p->gtid), "%s", gtid);
}

static void position__map_by_gtid(void **state)
{
    char dir[64];
    thl_log *log;
    bkp_position p;
    repl_error err;
    (void)state;
    bt_mkdtemp(dir, sizeof(dir));
    log = make_thl(dir, 10);
    at(&p, "mariadb-bin.000001", 1400, "0-1-5");
    assert_int_equal(bkp_position_map_thl(&p, log, 0, &err), REPL_OK);
    assert_string_equal(p.role, "master");
    assert_int_equal(p.seqno, 4);
    assert_int_equal(p.epoch, 0);
    assert_string_equal(p.event_id, "mariadb-bin.000001:1400;0-1-5");
    assert_string_equal(p.source_id, "master-0");
    at(&p, "mariadb-bin.000001", 1800, "0-1-7,1-1-3");
    assert_int_equal(bkp_position_map_thl(&p, log, 0, &err), REPL_OK);
    assert_int_equal(p.seqno, 7);
    assert_int_equal(p.epoch, 5);
    assert_string_equal(p.source_id, "master-5");
    at(&p, "x", 1, "0-1-");
    assert_int_equal(bkp_position_map_thl(&p, log, 0, &err), REPL_ERR_CORRUPT);
    thl_log_close(log);
    bt_rmtree(dir);
}

static void position__map_by_file_offset(void **state)
{
    char dir[64];
    thl_log *log;
    bkp_position p;
    repl_error err;
    (void)state;
    bt_mkdtemp(dir, sizeof(dir));
    log = make_thl(dir, 10);
    at(&p, "mariadb-bin.000001", 1650, ""); /* between seqno 6 (1600) and 7 (1700) */
    assert_int_equal(bkp_position_map_thl(&p, log, 0, &err), REPL_OK);
    assert_int_equal(p.seqno, 6);
    assert_string_equal(p.event_id, "mariadb-bin.000001:1600;0-1-7");
    thl_log_close(log);
    bt_rmtree(dir);
}

static void position__thl_behind_is_notfound_after_wait(void **state)
{
    char dir[64];
    thl_log *log;
    bkp_position p;
    repl_error err;
    int64_t t0;
    (void)state;
    bt_mkdtemp(dir, sizeof(dir));
    log = make_thl(dir, 3);
    at(&p, "mariadb-bin.000001", 1900, "0-1-10");
    t0 = repl_clock_mono_ms();
    assert_int_equal(bkp_position_map_thl(&p, log, 300, &err), REPL_ERR_NOTFOUND);
    assert_true(repl_clock_mono_ms() - t0 >= 300);
    assert_non_null(strstr(err.msg, "map binlog"));
    assert_int_equal(p.seqno, -1);
    at(&p, "mariadb-bin.000001", 1900, "");
    assert_int_equal(bkp_position_map_thl(&p, log, 0, &err), REPL_ERR_NOTFOUND);
    assert_non_null(strstr(err.msg, "has only reached"));
    at(&p, "mariadb-bin.000002", 4, "");
    assert_int_equal(bkp_position_map_thl(&p, log, 0, &err), REPL_ERR_NOTFOUND);
    thl_log_close(log);
    bt_rmtree(dir);
}

static void position__before_any_transaction(void **state)
{
    char dir[64];
    thl_log *log;
    bkp_position p;
    repl_error err;
    (void)state;
    bt_mkdtemp(dir, sizeof(dir));
    log = make_thl(dir, 0);
    at(&p, "", 0, "");
    assert_int_equal(bkp_position_map_thl(&p, log, 0, &err), REPL_OK);
    assert_int_equal(p.seqno, -1);
    assert_string_equal(p.role, "master");
    thl_log_close(log);
    bt_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(position__map_by_gtid),
        cmocka_unit_test(position__map_by_file_offset),
        cmocka_unit_test(position__thl_behind_is_notfound_after_wait),
        cmocka_unit_test(position__before_any_transaction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
