/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/extractors/test_extractor.c - the extract stage on real MariaDB binlog files
 * (tests/data/binlog/mariadb): one THL event per source transaction with its GTID in the event_id,
 * dense seqnos, exact resume (running again adds nothing; resuming from a partial run adds exactly
 * the rest), fragments of large transactions, statements carrying their session state, and a clear
 * stop at an event trep does not extract. The expected GTIDs are read from the files with
 * mariadb-binlog (not trep). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "extractors/extractor.h"
#include "replicator/base/mem.h"
#include "thl/log.h"

#define MDB TREP_TEST_DATA "/binlog/mariadb/mariadb-bin.00000"

typedef struct fixture {
    char dir[64];
    thl_log *log;
} fixture;

static int setup(void **state)
{
    fixture *f = repl_calloc(1, sizeof(*f));
    thl_log_options o;
    repl_error err;
    snprintf(f->dir, sizeof(f->dir), "/tmp/trep-test-extract-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    thl_log_options_init(&o);
    o.dir = f->dir;
    o.sync = THL_SYNC_NONE;
    o.map_bytes = 64 << 20;
    assert_int_equal(thl_log_open(&f->log, &o, &err), REPL_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[128];
    thl_log_close(f->log);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    repl_free(f);
    return 0;
}

/* GTIDs of files, in order, as mariadb-binlog reads them. */
static int expected_gtids(char gtids[][64], int max, const char *files)
{
    char cmd[1024];
    char line[4096];
    int n = 0;
    FILE *p;
    snprintf(cmd, sizeof(cmd),
             "mariadb-binlog --no-defaults %s 2>/dev/null | grep -o 'GTID [0-9]*-[0-9]*-[0-9]*'",
             files);
    p = popen(cmd, "r");
    assert_non_null(p);
    while (n < max && fgets(line, sizeof(line), p) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        snprintf(gtids[n++], 64, "%s", line + 5);
    }
    pclose(p);
    return n;
}

/* Every complete event's GTID (from its event_id), in seqno order; checks density and decoding. */
static int stored_gtids(thl_log *log, char gtids[][64], int max)
{
    thl_cursor *cur = NULL;
    repl_error err;
    const uint8_t *rec;
    size_t len;
    int n = 0;
    uint64_t next = 0;
    assert_int_equal(thl_cursor_open(&cur, log, 0, &err), REPL_OK);
    while (thl_cursor_next(cur, &rec, &len, 0, &err) == REPL_OK) {
        thl_event *ev = NULL;
        assert_int_equal(thl_record_decode(&ev, rec, len, &err), REPL_OK);
        if (ev->flags & THL_EV_LAST_FRAG) {
            const char *semi = strrchr(ev->event_id, ';');
            assert_int_equal(ev->seqno, next);
            next++;
            assert_true(n < max);
            snprintf(gtids[n++], 64, "%s", semi != NULL ? semi + 1 : "");
        }
        thl_event_free(ev);
    }
    thl_cursor_close(cur);
    return n;
}

static int run_files(thl_log *log, const char *const *paths, size_t n, uint64_t frag,
                     repl_error *err)
{
    ext_extractor_options o;
    ext_extractor *x;
    int rc;
    ext_extractor_options_init(&o);
    o.service = "alpha";
    o.source_id = "test";
    if (frag > 0)
        o.fragment_bytes = frag;
    x = ext_extractor_new(log, &o);
    rc = ext_extractor_run_files(x, paths, n, err);
    if (rc != REPL_OK)
        print_message("run_files: %s\n", err->msg);
    ext_extractor_free(x);
    return rc;
}

static void assert_same(char a[][64], int na, char b[][64], int nb)
{
    assert_int_equal(na, nb);
    for (int i = 0; i < na; i++)
        assert_string_equal(a[i], b[i]);
}

static void extractor__one_event_per_transaction_with_gtid(void **state)
{
    fixture *f = *state;
    const char *paths[] = { MDB "2", MDB "3", MDB "4" };
    char want[64][64], got[64][64];
    repl_error err;
    int nw = expected_gtids(want, 64, MDB "2 " MDB "3 " MDB "4");
    assert_true(nw >= 5);
    assert_int_equal(run_files(f->log, paths, 3, 0, &err), REPL_OK);
    assert_same(want, nw, got, stored_gtids(f->log, got, 64));
}

static void extractor__rerun_and_resume_store_nothing_twice(void **state)
{
    fixture *f = *state;
    const char *paths[] = { MDB "2", MDB "3", MDB "4" };
    char want[64][64], got[64][64];
    repl_error err;
    int nw = expected_gtids(want, 64, MDB "2 " MDB "3 " MDB "4");
    assert_int_equal(run_files(f->log, paths, 1, 0, &err), REPL_OK); /* a partial run */
    assert_int_equal(run_files(f->log, paths, 3, 0, &err), REPL_OK); /* resumes after it */
    assert_int_equal(run_files(f->log, paths, 3, 0, &err), REPL_OK); /* nothing new */
    assert_same(want, nw, got, stored_gtids(f->log, got, 64));
}

static void extractor__large_transactions_are_fragmented(void **state)
{
    fixture *f = *state;
    const char *paths[] = { MDB "2", MDB "3" };
    thl_cursor *cur = NULL;
    repl_error err;
    const uint8_t *rec;
    size_t len;
    int frags = 0, multi = 0;
    char want[64][64], got[64][64];
    int nw = expected_gtids(want, 64, MDB "2 " MDB "3");
    assert_int_equal(run_files(f->log, paths, 2, 4096, &err), REPL_OK);
    assert_int_equal(thl_cursor_open(&cur, f->log, 0, &err), REPL_OK);
    while (thl_cursor_next(cur, &rec, &len, 0, &err) == REPL_OK) {
        thl_record_header h;
        assert_int_equal(thl_record_parse_header(&h, rec, len, &err), REPL_OK);
        frags++;
        if (h.fragno > 0)
            multi++;
    }
    thl_cursor_close(cur);
    assert_true(multi > 0); /* some transaction of these files exceeds 4 KiB */
    assert_true(frags > nw);
    assert_same(want, nw, got, stored_gtids(f->log, got, 64));
}

/* File 1 ends with LOAD DATA logged in statement format: everything before it is stored, then the
 * extractor stops and says why. */
static void extractor__stops_clearly_at_statement_load_data(void **state)
{
    fixture *f = *state;
    const char *paths[] = { MDB "1" };
    char got[64][64];
    repl_error err;
    int rc = run_files(f->log, paths, 1, 0, &err);
    assert_int_equal(rc, REPL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "LOAD DATA"));
    assert_non_null(strstr(err.msg, "mariadb-bin.000001"));
    assert_true(stored_gtids(f->log, got, 64) >= 20);
}

static void extractor__statements_carry_session_state(void **state)
{
    fixture *f = *state;
    const char *paths[] = { MDB "3" };
    thl_cursor *cur = NULL;
    repl_error err;
    const uint8_t *rec;
    size_t len;
    int statements = 0;
    assert_int_equal(run_files(f->log, paths, 1, 0, &err), REPL_OK);
    assert_int_equal(thl_cursor_open(&cur, f->log, 0, &err), REPL_OK);
    while (thl_cursor_next(cur, &rec, &len, 0, &err) == REPL_OK) {
        thl_event *ev = NULL;
        assert_int_equal(thl_record_decode(&ev, rec, len, &err), REPL_OK);
        for (uint32_t i = 0; i < ev->n_items; i++) {
            const thl_statement *s = &ev->items[i].u.stmt;
            if (ev->items[i].kind != THL_ITEM_STATEMENT)
                continue;
            statements++;
            assert_true(s->session.set & THL_SESS_SQL_MODE);
            assert_true(s->session.set & THL_SESS_CHARSET);
            assert_true(s->session.set & THL_SESS_TIMESTAMP);
            assert_true(s->session.timestamp_sec > 0);
        }
        thl_event_free(ev);
    }
    thl_cursor_close(cur);
    assert_true(statements > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(extractor__one_event_per_transaction_with_gtid, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(extractor__rerun_and_resume_store_nothing_twice, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(extractor__large_transactions_are_fragmented, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(extractor__stops_clearly_at_statement_load_data, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(extractor__statements_carry_session_state, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
