/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/thl/test_log.c - the THL store on LMDB (thl/log.h): append and read back, dense seqno
 * rules, fragments and torn tails, purge, indexes, epochs, state, a full map, reader threads
 * waiting on a writer, timeouts, corruption, read-only access from another process. Each test uses
 * its own temporary directory. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "replicator/base/clock.h"
#include "replicator/base/log.h"
#include "replicator/base/mem.h"
#include "thl/log.h"

/* ---- helpers ---- */

typedef struct tdir {
    char path[64];
} tdir;

static void tdir_make(tdir *d)
{
    snprintf(d->path, sizeof(d->path), "/tmp/trep-test-log-XXXXXX");
    assert_non_null(mkdtemp(d->path));
}

static void tdir_remove(const tdir *d)
{
    char p[128];
    snprintf(p, sizeof(p), "%s/data.mdb", d->path);
    unlink(p);
    snprintf(p, sizeof(p), "%s/lock.mdb", d->path);
    unlink(p);
    rmdir(d->path);
}

static thl_log *log_open_opts(const char *dir, thl_sync_mode sync, uint64_t map_bytes,
                              uint32_t group_events)
{
    thl_log_options o;
    thl_log *log = NULL;
    repl_error err;
    thl_log_options_init(&o);
    o.dir = dir;
    o.service = "alpha";
    o.sync = sync;
    if (map_bytes)
        o.map_bytes = map_bytes;
    if (group_events)
        o.group_max_events = group_events;
    if (thl_log_open(&log, &o, &err) != REPL_OK)
        fail_msg("open %s: %s", dir, err.msg);
    return log;
}

static thl_log *log_open_dir(const char *dir)
{
    return log_open_opts(dir, THL_SYNC_BATCH, 0, 0);
}

/* An event with a statement of sql_len bytes (incompressible when noisy). */
static thl_event *ev_make(uint64_t seqno, uint16_t fragno, int last, uint64_t epoch,
                          const char *event_id, size_t sql_len, int noisy)
{
    thl_event *ev = thl_event_new();
    thl_statement *st;
    uint8_t *sql;
    char src[32];
    ev->seqno = seqno;
    ev->fragno = fragno;
    ev->flags = last ? THL_EV_LAST_FRAG : 0;
    ev->epoch = epoch;
    ev->source_tstamp_us = 1700000000000000 + (int64_t)seqno;
    snprintf(src, sizeof(src), "master-%llu", (unsigned long long)epoch);
    thl_event_set_ids(ev, src, event_id, "db1");
    st = thl_event_add_statement(ev);
    st->schema = thl_event_strdup(ev, "db1");
    sql = thl_event_alloc(ev, sql_len + 1);
    for (size_t i = 0; i < sql_len; i++)
        sql[i] = noisy ? (uint8_t)('a' + (unsigned)rand() % 26) : (uint8_t)('a' + i % 7);
    st->sql = sql;
    st->sql_len = sql_len;
    return ev;
}

static void event_id_for(char *out, size_t len, uint64_t seqno)
{
    snprintf(out, len, "mysql-bin.%06llu:%llu;0-1-%llu", (unsigned long long)(1 + seqno / 100),
             (unsigned long long)(1000 + (seqno % 100) * 100), (unsigned long long)seqno + 1);
}

static int append_ev(thl_log *log, uint64_t seqno, uint16_t fragno, int last, uint64_t epoch,
                     size_t sql_len, repl_error *err)
{
    char eid[128];
    thl_event *ev;
    int rc;
    event_id_for(eid, sizeof(eid), seqno);
    ev = ev_make(seqno, fragno, last, epoch, eid, sql_len, 0);
    rc = thl_log_append(log, ev, err);
    thl_event_free(ev);
    return rc;
}

static void append_ok(thl_log *log, uint64_t seqno, uint16_t fragno, int last, uint64_t epoch)
{
    repl_error err;
    if (append_ev(log, seqno, fragno, last, epoch, 40, &err) != REPL_OK)
        fail_msg("append seqno=%llu fragno=%u: %s", (unsigned long long)seqno, fragno, err.msg);
}

static void append_range(thl_log *log, uint64_t from, uint64_t to)
{
    for (uint64_t s = from; s <= to; s++)
        append_ok(log, s, 0, 1, 0);
}

static void commit_ok(thl_log *log)
{
    repl_error err;
    if (thl_log_commit(log, &err) != REPL_OK)
        fail_msg("commit: %s", err.msg);
}

static void state_ok(thl_log *log, thl_log_state *st)
{
    repl_error err;
    if (thl_log_state_get(log, st, &err) != REPL_OK)
        fail_msg("state: %s", err.msg);
}

/* Read every record from seqno with a cursor (no wait): check order and decode; returns count. */
static uint64_t read_all(thl_log *log, uint64_t from, uint64_t *last_seqno)
{
    thl_cursor *cur = NULL;
    repl_error err;
    const uint8_t *rec;
    size_t len;
    uint64_t n = 0;
    int rc;
    assert_int_equal(thl_cursor_open(&cur, log, from, &err), REPL_OK);
    for (;;) {
        thl_event *ev = NULL;
        rc = thl_cursor_next(cur, &rec, &len, 0, &err);
        if (rc != REPL_OK)
            break;
        if (thl_record_decode(&ev, rec, len, &err) != REPL_OK)
            fail_msg("decode: %s", err.msg);
        *last_seqno = ev->seqno;
        thl_event_free(ev);
        n++;
    }
    assert_int_equal(rc, REPL_ERR_NOTFOUND);
    thl_cursor_close(cur);
    return n;
}

/* ---- basics ---- */

static void log__options_and_sync_names(void **state)
{
    thl_log_options o;
    (void)state;
    thl_log_options_init(&o);
    assert_int_equal(o.sync, THL_SYNC_COMMIT);
    assert_true(o.map_bytes == (uint64_t)64 << 30);
    assert_int_equal(o.group_max_events, 1000);
    assert_int_equal(thl_sync_mode_parse("commit"), THL_SYNC_COMMIT);
    assert_int_equal(thl_sync_mode_parse("batch"), THL_SYNC_BATCH);
    assert_int_equal(thl_sync_mode_parse("none"), THL_SYNC_NONE);
    assert_int_equal(thl_sync_mode_parse("fast"), -1);
    assert_int_equal(thl_sync_mode_parse(NULL), -1);
}

static void log__append_read_back(void **state)
{
    tdir d;
    thl_log *log;
    thl_cursor *cur = NULL;
    repl_error err;
    repl_buf buf;
    const uint8_t *rec;
    size_t len;
    (void)state;
    tdir_make(&d);
    log = log_open_opts(d.path, THL_SYNC_COMMIT, 0, 0);
    append_range(log, 0, 99);
    assert_int_equal(thl_cursor_open(&cur, log, 0, &err), REPL_OK);
    for (uint64_t s = 0; s < 100; s++) {
        thl_event *ev = NULL;
        char eid[128];
        assert_int_equal(thl_cursor_next(cur, &rec, &len, 0, &err), REPL_OK);
        assert_int_equal(thl_record_decode(&ev, rec, len, &err), REPL_OK);
        event_id_for(eid, sizeof(eid), s);
        assert_int_equal(ev->seqno, s);
        assert_string_equal(ev->event_id, eid);
        assert_int_equal(ev->n_items, 1);
        assert_int_equal(ev->items[0].u.stmt.sql_len, 40);
        thl_event_free(ev);
    }
    assert_int_equal(thl_cursor_next(cur, &rec, &len, 0, &err), REPL_ERR_NOTFOUND);
    thl_cursor_close(cur);
    repl_buf_init(&buf);
    assert_int_equal(thl_log_read_record(log, 42, 0, &buf, &err), REPL_OK);
    assert_true(buf.len > 40);
    assert_int_equal(thl_log_read_record(log, 100, 0, &buf, &err), REPL_ERR_NOTFOUND);
    assert_int_equal(buf.len, 0);
    repl_buf_dispose(&buf);
    thl_log_close(log);
    tdir_remove(&d);
}

static void log__dense_seqno_violations_rejected(void **state)
{
    tdir d;
    thl_log *log;
    repl_error err;
    thl_log_state st;
    (void)state;
    tdir_make(&d);
    log = log_open_dir(d.path);
    assert_int_equal(append_ev(log, 1, 0, 1, 0, 10, &err), REPL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "expected seqno=0"));
    assert_int_equal(append_ev(log, 0, 1, 1, 0, 10, &err), REPL_ERR_INVALID);
    append_ok(log, 0, 0, 1, 0);
    assert_int_equal(append_ev(log, 0, 0, 1, 0, 10, &err), REPL_ERR_INVALID);
    assert_int_equal(append_ev(log, 2, 0, 1, 0, 10, &err), REPL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "expected seqno=1 fragno=0"));
    assert_int_equal(append_ev(log, 1, 1, 1, 0, 10, &err), REPL_ERR_INVALID);
    append_ok(log, 1, 0, 0, 0); /* first fragment of 1 */
    assert_int_equal(append_ev(log, 2, 0, 1, 0, 10, &err), REPL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "expected seqno=1 fragno=1"));
    assert_int_equal(append_ev(log, 1, 2, 1, 0, 10, &err), REPL_ERR_INVALID);
    append_ok(log, 1, 1, 1, 0);
    append_ok(log, 2, 0, 1, 0);
    commit_ok(log);
    state_ok(log, &st);
    assert_false(st.empty);
    assert_int_equal(st.min_seqno, 0);
    assert_int_equal(st.max_seqno, 2);
    assert_int_equal(st.record_count, 4);
    thl_log_close(log);
    /* the rule survives a reopen */
    log = log_open_dir(d.path);
    assert_int_equal(append_ev(log, 4, 0, 1, 0, 10, &err), REPL_ERR_INVALID);
    append_ok(log, 3, 0, 1, 0);
    thl_log_close(log);
    tdir_remove(&d);
}

static void log__bad_record_rejected(void **state)
{
    tdir d;
    thl_log *log;
    repl_error err;
    repl_buf buf;
    thl_event *ev = ev_make(0, 0, 1, 0, "f:1", 30, 0);
    (void)state;
    tdir_make(&d);
    log = log_open_dir(d.path);
    repl_buf_init(&buf);
    assert_int_equal(thl_record_encode(&buf, ev, NULL, &err), REPL_OK);
    buf.data[buf.len - 10] ^= 0x40;
    assert_int_equal(thl_log_append_record(log, buf.data, buf.len, &err), REPL_ERR_CORRUPT);
    assert_int_equal(thl_log_append_record(log, buf.data, 7, &err), REPL_ERR_CORRUPT);
    buf.data[buf.len - 10] ^= 0x40;
    assert_int_equal(thl_log_append_record(log, buf.data, buf.len, &err), REPL_OK);
    commit_ok(log);
    assert_int_equal(thl_log_append_record(log, buf.data, buf.len, &err), REPL_ERR_INVALID);
    repl_buf_dispose(&buf);
    thl_event_free(ev);
    thl_log_close(log);
    tdir_remove(&d);
}

/* ---- fragments ---- */

static void log__fragments_read_in_order(void **state)
{
    tdir d;
    thl_log *log;
    thl_cursor *cur = NULL;
    repl_error err;
    const uint8_t *rec;
    size_t len;
    thl_record_header h;
    (void)state;
    tdir_make(&d);
    log = log_open_dir(d.path);
    append_ok(log, 0, 0, 1, 0);
    for (uint16_t f = 0; f < 5; f++)
        append_ok(log, 1, f, f == 4, 0);
    append_ok(log, 2, 0, 1, 0);
    commit_ok(log);
    assert_int_equal(thl_cursor_open(&cur, log, 1, &err), REPL_OK);
    for (uint16_t f = 0; f < 5; f++) {
        assert_int_equal(thl_cursor_next(cur, &rec, &len, 0, &err), REPL_OK);
        assert_int_equal(thl_record_parse_header(&h, rec, len, &err), REPL_OK);
        assert_int_equal(h.seqno, 1);
        assert_int_equal(h.fragno, f);
        assert_int_equal((h.flags & THL_EV_LAST_FRAG) != 0, f == 4);
    }
    assert_int_equal(thl_cursor_next(cur, &rec, &len, 0, &err), REPL_OK);
    assert_int_equal(thl_record_parse_header(&h, rec, len, &err), REPL_OK);
    assert_int_equal(h.seqno, 2);
    thl_cursor_close(cur);
    thl_log_close(log);
    tdir_remove(&d);
}

static void log__torn_tail_removed_on_reopen(void **state)
{
    tdir d;
    thl_log *log;
    thl_cursor *cur = NULL;
    repl_error err;
    thl_log_state st;
    const uint8_t *rec;
    size_t len;
    uint64_t seqno;
    uint64_t last = 0;
    (void)state;
    tdir_make(&d);
    log = log_open_dir(d.path);
    append_range(log, 0, 9);
    append_ok(log, 10, 0, 0, 0);
    append_ok(log, 10, 1, 0, 0);
    commit_ok(log);
    /* committed fragments of an unfinished seqno are visible to cursors */
    assert_int_equal(thl_cursor_open(&cur, log, 10, &err), REPL_OK);
    assert_int_equal(thl_cursor_next(cur, &rec, &len, 0, &err), REPL_OK);
    assert_int_equal(thl_cursor_next(cur, &rec, &len, 0, &err), REPL_OK);
    assert_int_equal(thl_cursor_next(cur, &rec, &len, 0, &err), REPL_ERR_NOTFOUND);
    thl_cursor_close(cur);
    state_ok(log, &st);
    assert_int_equal(st.max_seqno, 9);
    assert_int_equal(st.record_count, 12);
    thl_log_close(log); /* the crash: seqno 10 never finished */
    log = log_open_dir(d.path);
    state_ok(log, &st);
    assert_int_equal(st.max_seqno, 9);
    assert_int_equal(st.record_count, 10);
    assert_int_equal(thl_log_find_gtid(log, 0, 11, &seqno, &err), REPL_ERR_NOTFOUND);
    assert_int_equal(append_ev(log, 10, 2, 1, 0, 10, &err), REPL_ERR_INVALID);
    append_ok(log, 10, 0, 1, 0);
    commit_ok(log);
    assert_int_equal(read_all(log, 0, &last), 11);
    assert_int_equal(last, 10);
    thl_log_close(log);
    tdir_remove(&d);
}

static void log__discard_incomplete_pending(void **state)
{
    tdir d;
    thl_log *log;
    repl_error err;
    thl_log_state st;
    (void)state;
    tdir_make(&d);
    log = log_open_opts(d.path, THL_SYNC_BATCH, 0, 100);
    assert_int_equal(thl_log_discard_incomplete(log, &err), REPL_OK); /* nothing to do */
    append_ok(log, 0, 0, 1, 0);
    append_ok(log, 1, 0, 0, 0);
    append_ok(log, 1, 1, 0, 0);
    assert_int_equal(thl_log_discard_incomplete(log, &err), REPL_OK);
    state_ok(log, &st);
    assert_int_equal(st.max_seqno, 0); /* the complete transaction was kept and committed */
    assert_int_equal(st.record_count, 1);
    assert_int_equal(append_ev(log, 1, 2, 1, 0, 10, &err), REPL_ERR_INVALID);
    append_ok(log, 1, 0, 1, 0);
    commit_ok(log);
    state_ok(log, &st);
    assert_int_equal(st.max_seqno, 1);
    assert_int_equal(st.record_count, 2);
    thl_log_close(log);
    tdir_remove(&d);
}

/* Committed fragments go too; a cursor that returned one of them fails instead of mixing. */
static void log__discard_incomplete_committed(void **state)
{
    tdir d;
    thl_log *log;
    thl_cursor *cur = NULL;
    repl_error err;
    thl_log_state st;
    thl_record_header h;
    const uint8_t *rec;
    size_t len;
    int rc = REPL_OK;
    (void)state;
    tdir_make(&d);
    log = log_open_opts(d.path, THL_SYNC_COMMIT, 0, 2);
    append_range(log, 0, 1);
    for (uint16_t f = 0; f < 3; f++)
        append_ok(log, 2, f, 0, 0); /* f0, f1 committed by the group bound; f2 pending */
    assert_int_equal(thl_cursor_open(&cur, log, 2, &err), REPL_OK);
    assert_int_equal(thl_cursor_next(cur, &rec, &len, 0, &err), REPL_OK);
    assert_int_equal(thl_log_discard_incomplete(log, &err), REPL_OK);
    state_ok(log, &st);
    assert_int_equal(st.max_seqno, 1);
    assert_int_equal(st.record_count, 2);
    assert_int_equal(append_ev(log, 2, 0, 0, 0, 77, &err), REPL_OK);
    assert_int_equal(append_ev(log, 2, 1, 1, 0, 88, &err), REPL_OK);
    for (int i = 0; i < 3 && rc == REPL_OK; i++) {
        rc = thl_cursor_next(cur, &rec, &len, 0, &err);
        if (rc == REPL_OK) { /* only the old, unfinished version from the old snapshot */
            assert_int_equal(thl_record_parse_header(&h, rec, len, &err), REPL_OK);
            assert_false(h.flags & THL_EV_LAST_FRAG);
        }
    }
    assert_int_equal(rc, REPL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "rolled back"));
    thl_cursor_close(cur);
    thl_log_close(log);
    tdir_remove(&d);
}

/* ---- purge and reset ---- */

static void log__purge_removes_records_and_indexes(void **state)
{
    tdir d;
    thl_log *log;
    thl_cursor *cur = NULL;
    repl_error err;
    thl_log_state st;
    uint64_t removed = 0;
    uint64_t seqno = 0;
    const uint8_t *rec;
    size_t len;
    (void)state;
    tdir_make(&d);
    log = log_open_dir(d.path);
    append_range(log, 0, 99);
    commit_ok(log);
    assert_int_equal(thl_log_purge(log, 50, &removed, &err), REPL_OK);
    assert_int_equal(removed, 50);
    state_ok(log, &st);
    assert_int_equal(st.min_seqno, 50);
    assert_int_equal(st.max_seqno, 99);
    assert_int_equal(st.record_count, 50);
    assert_int_equal(thl_log_find_gtid(log, 0, 10, &seqno, &err), REPL_ERR_NOTFOUND);
    assert_int_equal(thl_log_find_gtid(log, 0, 51, &seqno, &err), REPL_OK);
    assert_int_equal(seqno, 50);
    /* position of seqno 20 is gone; nothing of file 1 at or before it remains */
    assert_int_equal(thl_log_find_binlog_pos(log, "mysql-bin.000001", 3000, &seqno, &err),
                     REPL_ERR_NOTFOUND);
    /* a cursor behind the purge point fails instead of skipping */
    assert_int_equal(thl_cursor_open(&cur, log, 10, &err), REPL_OK);
    assert_int_equal(thl_cursor_next(cur, &rec, &len, 0, &err), REPL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "purged"));
    thl_cursor_close(cur);
    /* below is capped at the last complete seqno */
    assert_int_equal(thl_log_purge(log, 1000, &removed, &err), REPL_OK);
    assert_int_equal(removed, 49);
    state_ok(log, &st);
    assert_int_equal(st.min_seqno, 99);
    assert_int_equal(st.max_seqno, 99);
    append_ok(log, 100, 0, 1, 0);
    commit_ok(log);
    thl_log_close(log);
    tdir_remove(&d);
}

static void log__purge_large_in_chunks(void **state)
{
    tdir d;
    thl_log *log;
    repl_error err;
    thl_log_state st;
    uint64_t removed = 0;
    uint64_t last = 0;
    (void)state;
    tdir_make(&d);
    log = log_open_opts(d.path, THL_SYNC_NONE, 0, 5000);
    append_range(log, 0, 24999);
    commit_ok(log);
    assert_int_equal(thl_log_purge(log, 24000, &removed, &err), REPL_OK);
    assert_int_equal(removed, 24000);
    state_ok(log, &st);
    assert_int_equal(st.min_seqno, 24000);
    assert_int_equal(read_all(log, 24000, &last), 1000);
    assert_int_equal(last, 24999);
    thl_log_close(log);
    tdir_remove(&d);
}

static void log__reset_allows_any_start(void **state)
{
    tdir d;
    thl_log *log;
    thl_cursor *cur = NULL;
    repl_error err;
    thl_log_state st;
    thl_epoch_entry *eps = NULL;
    size_t neps = 0;
    const uint8_t *rec;
    size_t len;
    (void)state;
    tdir_make(&d);
    log = log_open_dir(d.path);
    append_range(log, 0, 9);
    commit_ok(log);
    assert_int_equal(thl_cursor_open(&cur, log, 0, &err), REPL_OK);
    assert_int_equal(thl_cursor_next(cur, &rec, &len, 0, &err), REPL_OK);
    append_ok(log, 10, 0, 1, 0); /* pending: dropped by reset */
    assert_int_equal(thl_log_reset(log, &err), REPL_OK);
    assert_int_equal(thl_cursor_next(cur, &rec, &len, 0, &err), REPL_ERR_INVALID);
    thl_cursor_close(cur);
    state_ok(log, &st);
    assert_true(st.empty);
    assert_int_equal(st.record_count, 0);
    assert_int_equal(thl_log_epochs(log, &eps, &neps, &err), REPL_OK);
    assert_int_equal(neps, 0);
    repl_free(eps);
    append_ok(log, 500, 0, 1, 7);
    commit_ok(log);
    thl_log_close(log);
    log = log_open_dir(d.path);
    state_ok(log, &st);
    assert_int_equal(st.min_seqno, 500);
    assert_int_equal(st.max_seqno, 500);
    assert_int_equal(append_ev(log, 502, 0, 1, 7, 10, &err), REPL_ERR_INVALID);
    thl_log_close(log);
    tdir_remove(&d);
}

/* ---- indexes and epochs ---- */

static void log__event_id_parse(void **state)
{
    thl_event_id id;
    repl_error err;
    const char *s = "mysql-bin.000003:4567;0-11-99";
    (void)state;
    assert_int_equal(thl_event_id_parse(&id, s, strlen(s), &err), REPL_OK);
    assert_string_equal(id.file, "mysql-bin.000003");
    assert_int_equal(id.offset, 4567);
    assert_true(id.has_gtid);
    assert_int_equal(id.gtid_domain, 0);
    assert_int_equal(id.gtid_server, 11);
    assert_int_equal(id.gtid_seq, 99);
    s = "binlog.000001:120";
    assert_int_equal(thl_event_id_parse(&id, s, strlen(s), &err), REPL_OK);
    assert_false(id.has_gtid);
    assert_int_equal(id.offset, 120);
    s = "/var/log/my:bin.000001:120;gtid=4294967295-1-18446744073709551615";
    assert_int_equal(thl_event_id_parse(&id, s, strlen(s), &err), REPL_OK);
    assert_string_equal(id.file, "/var/log/my:bin.000001");
    assert_int_equal(id.gtid_domain, 4294967295u);
    assert_true(id.gtid_seq == UINT64_MAX);
    s = "binlog.000001:120;3E11FA47-71CA-11E1-9E33-C80AA9429562:23";
    assert_int_equal(thl_event_id_parse(&id, s, strlen(s), &err), REPL_OK);
    assert_false(id.has_gtid);
    const char *bad[] = { "",          "binlog.000001",          ":12",      "f:",
                          "f:12x",     "f:99999999999999999999", "f:1;",     "f:1;1-2",
                          "f:1;a-b-c", "f:1;4294967296-1-1",     "f:1;1--3", "f:1;1-2-" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (thl_event_id_parse(&id, bad[i], strlen(bad[i]), &err) != REPL_ERR_INVALID)
            fail_msg("accepted bad event_id \"%s\"", bad[i]);
    }
    /* a length bound, not the NUL, ends the string */
    assert_int_equal(thl_event_id_parse(&id, "f:12;0-1-2", 4, &err), REPL_OK);
    assert_int_equal(id.offset, 12);
    assert_false(id.has_gtid);
}

static void log__index_lookups(void **state)
{
    tdir d;
    thl_log *log;
    repl_error err;
    uint64_t seqno = 0;
    (void)state;
    tdir_make(&d);
    log = log_open_dir(d.path);
    append_range(log, 0, 249); /* files 000001..000003, offsets 1000..10900 */
    append_ok(log, 250, 0, 0, 0);
    commit_ok(log);
    /* exact position: seqno 105 ends at mysql-bin.000002:1500 */
    assert_int_equal(thl_log_find_binlog_pos(log, "mysql-bin.000002", 1500, &seqno, &err), REPL_OK);
    assert_int_equal(seqno, 105);
    assert_int_equal(thl_log_find_binlog_pos(log, "mysql-bin.000002", 1599, &seqno, &err), REPL_OK);
    assert_int_equal(seqno, 105);
    /* before the first position of file 2: the last of file 1 */
    assert_int_equal(thl_log_find_binlog_pos(log, "mysql-bin.000002", 4, &seqno, &err), REPL_OK);
    assert_int_equal(seqno, 99);
    assert_int_equal(thl_log_find_binlog_pos(log, "mysql-bin.000009", 4, &seqno, &err), REPL_OK);
    assert_int_equal(seqno, 249); /* 250 is unfinished: not indexed */
    assert_int_equal(thl_log_find_binlog_pos(log, "mysql-bin.000001", 999, &seqno, &err),
                     REPL_ERR_NOTFOUND);
    assert_int_equal(thl_log_find_binlog_pos(log, "", 999, &seqno, &err), REPL_ERR_INVALID);
    assert_int_equal(thl_log_find_gtid(log, 0, 200, &seqno, &err), REPL_OK);
    assert_int_equal(seqno, 199);
    assert_int_equal(thl_log_find_gtid(log, 0, 251, &seqno, &err), REPL_ERR_NOTFOUND);
    assert_int_equal(thl_log_find_gtid(log, 1, 200, &seqno, &err), REPL_ERR_NOTFOUND);
    thl_log_close(log);
    tdir_remove(&d);
}

static void log__same_position_keeps_latest(void **state)
{
    tdir d;
    thl_log *log;
    repl_error err;
    thl_event *ev;
    uint64_t seqno = 0;
    uint64_t removed = 0;
    (void)state;
    tdir_make(&d);
    log = log_open_dir(d.path);
    for (uint64_t s = 0; s < 3; s++) {
        ev = ev_make(s, 0, 1, 0, "bin.000001:500", 10, 0); /* heartbeats at one position */
        assert_int_equal(thl_log_append(log, ev, &err), REPL_OK);
        thl_event_free(ev);
    }
    ev = ev_make(3, 0, 1, 0, "not an event id", 10, 0); /* stored, not indexed */
    assert_int_equal(thl_log_append(log, ev, &err), REPL_OK);
    thl_event_free(ev);
    commit_ok(log);
    assert_int_equal(thl_log_find_binlog_pos(log, "bin.000001", 500, &seqno, &err), REPL_OK);
    assert_int_equal(seqno, 2);
    assert_int_equal(thl_log_purge(log, 2, &removed, &err), REPL_OK);
    assert_int_equal(thl_log_find_binlog_pos(log, "bin.000001", 500, &seqno, &err), REPL_OK);
    assert_int_equal(seqno, 2);
    thl_log_close(log);
    tdir_remove(&d);
}

static void log__epoch_history(void **state)
{
    tdir d;
    thl_log *log;
    repl_error err;
    thl_log_state st;
    thl_epoch_entry *eps = NULL;
    size_t n = 0;
    (void)state;
    tdir_make(&d);
    log = log_open_dir(d.path);
    for (uint64_t s = 0; s < 30; s++)
        append_ok(log, s, 0, 1, s < 10 ? 0 : s < 20 ? 10 : 20);
    commit_ok(log);
    assert_int_equal(thl_log_epochs(log, &eps, &n, &err), REPL_OK);
    assert_int_equal(n, 3);
    assert_int_equal(eps[0].epoch, 0);
    assert_int_equal(eps[0].first_seqno, 0);
    assert_string_equal(eps[0].source_id, "master-0");
    assert_int_equal(eps[1].epoch, 10);
    assert_int_equal(eps[1].first_seqno, 10);
    assert_string_equal(eps[2].source_id, "master-20");
    assert_int_equal(eps[2].first_seqno, 20);
    repl_free(eps);
    state_ok(log, &st);
    assert_int_equal(st.last_epoch, 20);
    assert_string_equal(st.last_source_id, "master-20");
    assert_non_null(strstr(st.last_event_id, ";0-1-30"));
    assert_true(st.used_bytes > 0);
    assert_true(st.map_bytes == (uint64_t)64 << 30);
    thl_log_close(log);
    tdir_remove(&d);
}

/* Records copied byte for byte (the slave's path): epochs learn their source id from the payload.
 */
static void log__append_record_copies(void **state)
{
    tdir a;
    tdir b;
    thl_log *src;
    thl_log *dst;
    thl_cursor *cur = NULL;
    repl_error err;
    thl_epoch_entry *eps = NULL;
    size_t n = 0;
    const uint8_t *rec;
    size_t len;
    repl_buf copy;
    (void)state;
    tdir_make(&a);
    tdir_make(&b);
    src = log_open_dir(a.path);
    dst = log_open_dir(b.path);
    for (uint64_t s = 0; s < 20; s++)
        append_ok(src, s, 0, 1, s < 5 ? 0 : 5);
    commit_ok(src);
    assert_int_equal(thl_cursor_open(&cur, src, 0, &err), REPL_OK);
    while (thl_cursor_next(cur, &rec, &len, 0, &err) == REPL_OK)
        assert_int_equal(thl_log_append_record(dst, rec, len, &err), REPL_OK);
    thl_cursor_close(cur);
    commit_ok(dst);
    assert_int_equal(thl_log_epochs(dst, &eps, &n, &err), REPL_OK);
    assert_int_equal(n, 2);
    assert_string_equal(eps[1].source_id, "master-5");
    assert_int_equal(eps[1].first_seqno, 5);
    repl_free(eps);
    repl_buf_init(&copy);
    assert_int_equal(thl_log_read_record(dst, 7, 0, &copy, &err), REPL_OK);
    assert_int_equal(thl_log_read_record(src, 7, 0, &copy, &err), REPL_OK);
    repl_buf_dispose(&copy);
    thl_log_close(src);
    thl_log_close(dst);
    tdir_remove(&a);
    tdir_remove(&b);
}

static void log__service_checked(void **state)
{
    tdir d;
    thl_log_options o;
    thl_log *log = NULL;
    repl_error err;
    (void)state;
    tdir_make(&d);
    thl_log_close(log_open_dir(d.path));
    thl_log_options_init(&o);
    o.dir = d.path;
    o.service = "beta";
    assert_int_equal(thl_log_open(&log, &o, &err), REPL_ERR_INVALID);
    assert_null(log);
    assert_non_null(strstr(err.msg, "alpha"));
    o.dir = "";
    assert_int_equal(thl_log_open(&log, &o, &err), REPL_ERR_INVALID);
    o.dir = "/proc/no-such-place/thl";
    assert_int_equal(thl_log_open(&log, &o, &err), REPL_ERR_IO);
    o.dir = "/tmp/trep-test-log-missing-dir";
    o.read_only = 1;
    assert_int_not_equal(thl_log_open(&log, &o, &err), REPL_OK);
    tdir_remove(&d);
}

/* ---- commit policy ---- */

static void log__batch_commit_due_and_visibility(void **state)
{
    tdir d;
    thl_log_options o;
    thl_log *log = NULL;
    repl_error err;
    thl_log_state st;
    int due;
    (void)state;
    tdir_make(&d);
    thl_log_options_init(&o);
    o.dir = d.path;
    o.sync = THL_SYNC_BATCH;
    o.group_max_ms = 5000;
    assert_int_equal(thl_log_open(&log, &o, &err), REPL_OK);
    assert_int_equal(thl_log_commit_due_ms(log), -1);
    append_ok(log, 0, 0, 1, 0);
    due = thl_log_commit_due_ms(log);
    assert_true(due > 4000 && due <= 5000);
    state_ok(log, &st);
    assert_true(st.empty); /* not committed: invisible */
    assert_int_equal(thl_log_wait_seqno(log, 0, 0, &err), REPL_ERR_RETRY);
    commit_ok(log);
    assert_int_equal(thl_log_commit_due_ms(log), -1);
    assert_int_equal(thl_log_wait_seqno(log, 0, 0, &err), REPL_OK);
    state_ok(log, &st);
    assert_false(st.empty);
    /* the event bound commits by itself */
    thl_log_close(log);
    o.group_max_events = 3;
    assert_int_equal(thl_log_open(&log, &o, &err), REPL_OK);
    append_range(log, 1, 3);
    state_ok(log, &st);
    assert_int_equal(st.max_seqno, 3);
    assert_int_equal(thl_log_commit_due_ms(log), -1);
    thl_log_close(log);
    tdir_remove(&d);
}

static void log__commit_mode_commits_each_transaction(void **state)
{
    tdir d;
    thl_log *log;
    thl_log_state st;
    (void)state;
    tdir_make(&d);
    log = log_open_opts(d.path, THL_SYNC_COMMIT, 0, 0);
    append_ok(log, 0, 0, 0, 0);
    append_ok(log, 0, 1, 0, 0);
    assert_true(thl_log_commit_due_ms(log) >= 0); /* fragments wait for their transaction */
    append_ok(log, 0, 2, 1, 0);
    assert_int_equal(thl_log_commit_due_ms(log), -1);
    state_ok(log, &st);
    assert_int_equal(st.max_seqno, 0);
    assert_int_equal(st.record_count, 3);
    thl_log_close(log);
    tdir_remove(&d);
}

/* A transaction larger than the group bounds is committed in pieces, never in one LMDB txn. */
static void log__large_transaction_committed_in_pieces(void **state)
{
    tdir d;
    thl_log *log;
    thl_log_state st;
    (void)state;
    tdir_make(&d);
    log = log_open_opts(d.path, THL_SYNC_COMMIT, 0, 4);
    for (uint16_t f = 0; f < 10; f++)
        append_ok(log, 0, f, 0, 0);
    state_ok(log, &st);
    assert_true(st.empty);
    assert_int_equal(st.record_count, 8);
    append_ok(log, 0, 10, 1, 0);
    state_ok(log, &st);
    assert_false(st.empty);
    assert_int_equal(st.record_count, 11);
    thl_log_close(log);
    tdir_remove(&d);
}

/* ---- full map ---- */

static uint64_t fill_until_full(thl_log *log, repl_error *err)
{
    uint64_t s = 0;
    for (;; s++) {
        char eid[64];
        thl_event *ev;
        int rc;
        snprintf(eid, sizeof(eid), "bin.000001:%llu", (unsigned long long)s * 10 + 10);
        ev = ev_make(s, 0, 1, 0, eid, 3000, 1);
        rc = thl_log_append(log, ev, err);
        thl_event_free(ev);
        if (rc != REPL_OK) {
            assert_int_equal(rc, REPL_ERR_FULL);
            return s;
        }
        assert_true(s < 100000);
    }
}

static void check_consistent(thl_log *log, uint64_t *max)
{
    thl_log_state st;
    uint64_t last = 0;
    uint64_t n;
    state_ok(log, &st);
    assert_false(st.empty);
    n = read_all(log, st.min_seqno, &last);
    assert_int_equal(last, st.max_seqno);
    assert_int_equal(n, st.record_count);
    assert_int_equal(n, st.max_seqno - st.min_seqno + 1);
    *max = st.max_seqno;
}

static void log__map_full_is_reported_and_log_stays_consistent(void **state)
{
    tdir d;
    thl_log *log;
    repl_error err;
    uint64_t failed_at;
    uint64_t max = 0;
    uint64_t seqno = 0;
    int rc;
    (void)state;
    tdir_make(&d);
    log = log_open_opts(d.path, THL_SYNC_BATCH, 1 << 20, 8);
    failed_at = fill_until_full(log, &err);
    assert_non_null(strstr(err.msg, "map full (1.0 MiB): raise thl map size or purge"));
    assert_non_null(strstr(err.msg, "uncommitted record(s) discarded"));
    check_consistent(log, &max);
    assert_true(max < failed_at);
    assert_int_equal(thl_log_find_binlog_pos(log, "bin.000001", 1000000000, &seqno, &err), REPL_OK);
    assert_int_equal(seqno, max); /* no index entry past max */
    /* the next append resyncs: the expected seqno is max + 1, whatever was lost */
    rc = append_ev(log, max + 2, 0, 1, 0, 10, &err);
    assert_int_equal(rc, REPL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "expected seqno="));
    rc = append_ev(log, max + 1, 0, 1, 0, 10, &err);
    assert_true(rc == REPL_OK || rc == REPL_ERR_FULL);
    thl_log_close(log);
    /* a bigger map: appending continues */
    log = log_open_opts(d.path, THL_SYNC_BATCH, 4 << 20, 8);
    check_consistent(log, &max);
    append_ok(log, max + 1, 0, 1, 0);
    commit_ok(log);
    check_consistent(log, &seqno);
    assert_int_equal(seqno, max + 1);
    thl_log_close(log);
    tdir_remove(&d);
}

/* Map full in the middle of a transaction committed in pieces: its fragments go on resync. */
static void log__map_full_mid_transaction(void **state)
{
    tdir d;
    thl_log *log;
    repl_error err;
    thl_log_state st;
    uint64_t max = 0;
    uint16_t f;
    int rc = REPL_OK;
    (void)state;
    tdir_make(&d);
    log = log_open_opts(d.path, THL_SYNC_COMMIT, 1 << 20, 2);
    append_range(log, 0, 4);
    for (f = 0; rc == REPL_OK; f++) {
        thl_event *ev = ev_make(5, f, 0, 0, "", 3000, 1);
        rc = thl_log_append(log, ev, &err);
        thl_event_free(ev);
    }
    assert_int_equal(rc, REPL_ERR_FULL);
    state_ok(log, &st);
    assert_int_equal(st.max_seqno, 4);
    assert_true(st.record_count > 5); /* committed fragments of seqno 5 */
    thl_log_close(log);
    log = log_open_opts(d.path, THL_SYNC_COMMIT, 4 << 20, 2);
    check_consistent(log, &max);
    assert_int_equal(max, 4);
    append_ok(log, 5, 0, 1, 0);
    thl_log_close(log);
    tdir_remove(&d);
}

/* ---- waiting ---- */

static void log__wait_timeouts(void **state)
{
    tdir d;
    thl_log *log;
    thl_cursor *cur = NULL;
    repl_error err;
    const uint8_t *rec;
    size_t len;
    int64_t t0;
    (void)state;
    tdir_make(&d);
    log = log_open_dir(d.path);
    t0 = repl_clock_mono_ms();
    assert_int_equal(thl_log_wait_seqno(log, 0, 60, &err), REPL_ERR_RETRY);
    assert_true(repl_clock_mono_ms() - t0 >= 59);
    assert_non_null(strstr(err.msg, "timeout"));
    assert_int_equal(thl_cursor_open(&cur, log, 0, &err), REPL_OK);
    assert_int_equal(thl_cursor_next(cur, &rec, &len, 0, &err), REPL_ERR_NOTFOUND);
    t0 = repl_clock_mono_ms();
    assert_int_equal(thl_cursor_next(cur, &rec, &len, 60, &err), REPL_ERR_RETRY);
    assert_true(repl_clock_mono_ms() - t0 >= 59);
    append_ok(log, 0, 0, 1, 0);
    commit_ok(log);
    assert_int_equal(thl_log_wait_seqno(log, 0, 60, &err), REPL_OK);
    assert_int_equal(thl_cursor_next(cur, &rec, &len, 60, &err), REPL_OK);
    assert_int_equal(thl_log_wait_seqno(log, 1, 0, &err), REPL_ERR_RETRY);
    thl_cursor_close(cur);
    thl_log_close(log);
    tdir_remove(&d);
}

typedef struct waiter_arg {
    thl_log *log;
    thl_cursor *cur;
    int rc_wait;
    int rc_cursor;
} waiter_arg;

static void *waiter_seqno(void *p)
{
    waiter_arg *a = p;
    repl_error err;
    a->rc_wait = thl_log_wait_seqno(a->log, 5, -1, &err);
    return NULL;
}

static void *waiter_cursor(void *p)
{
    waiter_arg *a = p;
    repl_error err;
    const uint8_t *rec;
    size_t len;
    a->rc_cursor = thl_cursor_next(a->cur, &rec, &len, -1, &err);
    return NULL;
}

static void log__close_wakes_waiters(void **state)
{
    tdir d;
    waiter_arg a = { 0 };
    pthread_t t1;
    pthread_t t2;
    repl_error err;
    (void)state;
    tdir_make(&d);
    a.log = log_open_dir(d.path);
    assert_int_equal(thl_cursor_open(&a.cur, a.log, 0, &err), REPL_OK);
    pthread_create(&t1, NULL, waiter_seqno, &a);
    pthread_create(&t2, NULL, waiter_cursor, &a);
    usleep(50000); /* let them block (a late start still sees closing and fails the same way) */
    thl_log_close(a.log);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    assert_int_equal(a.rc_wait, REPL_ERR_INVALID);
    assert_int_equal(a.rc_cursor, REPL_ERR_INVALID);
    thl_cursor_close(a.cur); /* the last reference closes the environment */
    tdir_remove(&d);
}

/* ---- one writer, four readers ---- */

#define RW_READERS 4

typedef struct rw_shared {
    thl_log *log;
    atomic_ullong final_seqno; /* set by the writer when done (+1; 0 = running) */
} rw_shared;

typedef struct rw_reader {
    rw_shared *sh;
    int use_wait_seqno;
    uint64_t seen;
    char error[512];
} rw_reader;

static int rw_reader_check(rw_reader *r, const uint8_t *rec, size_t len, uint64_t *want_seqno,
                           uint16_t *want_fragno)
{
    thl_record_header h;
    repl_error err;
    if (thl_record_parse_header(&h, rec, len, &err) != REPL_OK) {
        snprintf(r->error, sizeof(r->error), "%s", err.msg);
        return 0;
    }
    if (h.seqno != *want_seqno || h.fragno != *want_fragno) {
        snprintf(r->error, sizeof(r->error), "got %llu/%u want %llu/%u",
                 (unsigned long long)h.seqno, h.fragno, (unsigned long long)*want_seqno,
                 *want_fragno);
        return 0;
    }
    r->seen++;
    *want_fragno = (h.flags & THL_EV_LAST_FRAG) ? 0 : (uint16_t)(h.fragno + 1);
    *want_seqno = (h.flags & THL_EV_LAST_FRAG) ? h.seqno + 1 : h.seqno;
    return 1;
}

/* Short waits, so a reader notices the writer has finished; a stall of 10 s fails. */
static int rw_reader_step(rw_reader *r, thl_cursor *cur, uint64_t *want, uint16_t *want_frag)
{
    repl_error err;
    const uint8_t *rec;
    size_t len;
    int rc = REPL_OK;
    if (r->use_wait_seqno && *want_frag == 0)
        rc = thl_log_wait_seqno(r->sh->log, *want, 100, &err);
    if (rc == REPL_OK)
        rc = thl_cursor_next(cur, &rec, &len, 100, &err);
    if (rc == REPL_ERR_RETRY)
        return 1;
    if (rc != REPL_OK) {
        snprintf(r->error, sizeof(r->error), "seqno %llu: %s", (unsigned long long)*want, err.msg);
        return 0;
    }
    return rw_reader_check(r, rec, len, want, want_frag);
}

static void *rw_reader_main(void *p)
{
    rw_reader *r = p;
    thl_cursor *cur = NULL;
    repl_error err;
    uint64_t want = 0;
    uint16_t want_frag = 0;
    int64_t stall_end = repl_clock_mono_ms() + 10000;
    if (thl_cursor_open(&cur, r->sh->log, 0, &err) != REPL_OK) {
        snprintf(r->error, sizeof(r->error), "%s", err.msg);
        return NULL;
    }
    for (;;) {
        uint64_t fin = atomic_load(&r->sh->final_seqno);
        uint64_t before = r->seen;
        if (fin != 0 && want == fin && want_frag == 0)
            break;
        if (!rw_reader_step(r, cur, &want, &want_frag))
            break;
        if (r->seen != before)
            stall_end = repl_clock_mono_ms() + 10000;
        if (repl_clock_mono_ms() > stall_end) {
            snprintf(r->error, sizeof(r->error), "stalled at seqno %llu", (unsigned long long)want);
            break;
        }
    }
    thl_cursor_close(cur);
    return NULL;
}

static uint64_t rw_write(thl_log *log, int64_t run_ms)
{
    int64_t end = repl_clock_mono_ms() + run_ms;
    uint64_t s = 0;
    uint64_t records = 0;
    while (repl_clock_mono_ms() < end) {
        unsigned frags = (unsigned)rand() % 8 == 0 ? 1 + (unsigned)rand() % 5 : 1;
        for (unsigned f = 0; f < frags; f++)
            append_ok(log, s, (uint16_t)f, f + 1 == frags, s / 1000);
        records += frags;
        s++;
        if (rand() % 16 == 0)
            commit_ok(log);
        if (rand() % 64 == 0)
            usleep(200); /* let readers catch up and wait sometimes */
    }
    commit_ok(log);
    return records;
}

static void log__writer_and_four_readers(void **state)
{
    tdir d;
    rw_shared sh;
    rw_reader r[RW_READERS];
    pthread_t t[RW_READERS];
    thl_log_state st;
    uint64_t records;
    (void)state;
    srand(42);
    tdir_make(&d);
    sh.log = log_open_opts(d.path, THL_SYNC_NONE, 0, 64);
    atomic_init(&sh.final_seqno, 0);
    for (int i = 0; i < RW_READERS; i++) {
        memset(&r[i], 0, sizeof(r[i]));
        r[i].sh = &sh;
        r[i].use_wait_seqno = i % 2;
        pthread_create(&t[i], NULL, rw_reader_main, &r[i]);
    }
    records = rw_write(sh.log, 2000);
    state_ok(sh.log, &st);
    atomic_store(&sh.final_seqno, st.max_seqno + 1);
    for (int i = 0; i < RW_READERS; i++) {
        pthread_join(t[i], NULL);
        if (r[i].error[0] != '\0')
            fail_msg("reader %d: %s", i, r[i].error);
        assert_int_equal(r[i].seen, records);
    }
    print_message("writer: %llu records, %llu transactions in 2 s\n", (unsigned long long)records,
                  (unsigned long long)st.max_seqno + 1);
    thl_log_close(sh.log);
    tdir_remove(&d);
}

/* ---- corruption and other processes ---- */

/* Flip one byte of the stored record that holds marker. */
static void corrupt_marker(const char *dir, const char *marker)
{
    char path[128];
    struct stat sb;
    uint8_t *map;
    uint8_t *hit;
    int fd;
    snprintf(path, sizeof(path), "%s/data.mdb", dir);
    fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(fstat(fd, &sb), 0);
    map = mmap(NULL, (size_t)sb.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    assert_true(map != MAP_FAILED);
    hit = memmem(map, (size_t)sb.st_size, marker, strlen(marker));
    assert_non_null(hit);
    hit[0] ^= 0x20;
    munmap(map, (size_t)sb.st_size);
    close(fd);
}

static void log__corrupt_record_is_reported(void **state)
{
    tdir d;
    thl_log *log;
    thl_cursor *cur = NULL;
    repl_error err;
    thl_event *ev;
    repl_buf buf;
    const uint8_t *rec;
    size_t len;
    (void)state;
    tdir_make(&d);
    log = log_open_dir(d.path);
    append_range(log, 0, 2);
    ev = ev_make(3, 0, 1, 0, "f:1", 10, 0);
    ev->items[0].u.stmt.sql = (const uint8_t *)thl_event_strdup(ev, "UPDATE MARKER-XYZZY");
    ev->items[0].u.stmt.sql_len = strlen("UPDATE MARKER-XYZZY");
    assert_int_equal(thl_log_append(log, ev, &err), REPL_OK);
    thl_event_free(ev);
    append_range(log, 4, 5);
    thl_log_close(log);
    corrupt_marker(d.path, "MARKER-XYZZY");
    log = log_open_dir(d.path);
    assert_int_equal(thl_cursor_open(&cur, log, 0, &err), REPL_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(thl_cursor_next(cur, &rec, &len, 0, &err), REPL_OK);
    assert_int_equal(thl_cursor_next(cur, &rec, &len, 0, &err), REPL_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "seqno=3"));
    thl_cursor_close(cur);
    repl_buf_init(&buf);
    assert_int_equal(thl_log_read_record(log, 3, 0, &buf, &err), REPL_ERR_CORRUPT);
    repl_buf_dispose(&buf);
    thl_log_close(log);
    tdir_remove(&d);
}

/* The child opens read-only while the parent holds the writer open. */
static int child_read_only(const char *dir, uint64_t want_max)
{
    thl_log_options o;
    thl_log *log = NULL;
    thl_log_state st;
    repl_error err;
    thl_log_options_init(&o);
    o.dir = dir;
    o.read_only = 1;
    if (thl_log_open(&log, &o, &err) != REPL_OK)
        return 2;
    if (thl_log_state_get(log, &st, &err) != REPL_OK || st.max_seqno != want_max)
        return 3;
    if (thl_log_append(log, NULL, &err) != REPL_ERR_INVALID)
        return 4;
    if (thl_log_purge(log, 1, NULL, &err) != REPL_ERR_INVALID)
        return 5;
    /* the parent commits want_max + 1 within a second: polling sees it */
    if (thl_log_wait_seqno(log, want_max + 1, 5000, &err) != REPL_OK)
        return 6;
    thl_log_close(log);
    return 0;
}

static void log__read_only_other_process(void **state)
{
    tdir d;
    thl_log *log;
    pid_t pid;
    int status = 0;
    (void)state;
    tdir_make(&d);
    log = log_open_dir(d.path);
    append_range(log, 0, 9);
    commit_ok(log);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(child_read_only(d.path, 9));
    usleep(200000);
    append_ok(log, 10, 0, 1, 0);
    commit_ok(log);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    thl_log_close(log);
    tdir_remove(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(log__options_and_sync_names),
        cmocka_unit_test(log__append_read_back),
        cmocka_unit_test(log__dense_seqno_violations_rejected),
        cmocka_unit_test(log__bad_record_rejected),
        cmocka_unit_test(log__fragments_read_in_order),
        cmocka_unit_test(log__torn_tail_removed_on_reopen),
        cmocka_unit_test(log__discard_incomplete_pending),
        cmocka_unit_test(log__discard_incomplete_committed),
        cmocka_unit_test(log__purge_removes_records_and_indexes),
        cmocka_unit_test(log__purge_large_in_chunks),
        cmocka_unit_test(log__reset_allows_any_start),
        cmocka_unit_test(log__event_id_parse),
        cmocka_unit_test(log__index_lookups),
        cmocka_unit_test(log__same_position_keeps_latest),
        cmocka_unit_test(log__epoch_history),
        cmocka_unit_test(log__append_record_copies),
        cmocka_unit_test(log__service_checked),
        cmocka_unit_test(log__batch_commit_due_and_visibility),
        cmocka_unit_test(log__commit_mode_commits_each_transaction),
        cmocka_unit_test(log__large_transaction_committed_in_pieces),
        cmocka_unit_test(log__map_full_is_reported_and_log_stays_consistent),
        cmocka_unit_test(log__map_full_mid_transaction),
        cmocka_unit_test(log__wait_timeouts),
        cmocka_unit_test(log__close_wakes_waiters),
        cmocka_unit_test(log__writer_and_four_readers),
        cmocka_unit_test(log__corrupt_record_is_reported),
        cmocka_unit_test(log__read_only_other_process),
    };
    repl_log_set_level(REPL_LOG_LEVEL_ERROR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
