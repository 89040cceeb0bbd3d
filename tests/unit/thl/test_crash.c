/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/thl/test_crash.c - kill -9 the THL writer at random moments and check what is left: a
 * child process appends events (random sizes, multi-fragment transactions, sync=commit and
 * sync=none on alternate rounds); the parent kills it after a random 5-200 ms, reopens the log and
 * checks that seqnos are dense, every record parses and decodes to the content its seqno implies,
 * the last transaction is complete, nothing acknowledged as durable is lost and no index entry
 * points past the end. The next child continues from there. TREP_CRASH_SEED=N replays a run (the
 * seed is printed). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "replicator/base/log.h"
#include "replicator/base/mem.h"
#include "thl/log.h"

#define CRASH_ROUNDS   20
#define CRASH_KEEP     200 /* transactions kept by the purge after each check */
#define CRASH_MAP_SIZE ((uint64_t)1 << 30)

/* What the child tells the parent, in memory shared across fork. */
typedef struct crash_shared {
    volatile uint64_t durable;  /* highest seqno acknowledged as committed, + 1 (0 = none) */
    volatile uint64_t appended; /* records appended by this child */
} crash_shared;

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* Everything about a seqno follows from it, so the parent can check what it reads. */
static unsigned crash_frags(uint64_t seqno)
{
    uint64_t h = mix64(seqno ^ 0xf7a9);
    return h % 5 == 0 ? 2 + (unsigned)(h >> 8) % 8 : 1;
}

static size_t crash_size(uint64_t seqno, unsigned fragno)
{
    uint64_t h = mix64(seqno * 65537 + fragno);
    return 20 + (size_t)(h % 37 == 0 ? (h >> 8) % 120000 : (h >> 8) % 3000);
}

static void crash_fill(uint8_t *p, size_t len, uint64_t seqno, unsigned fragno)
{
    uint64_t x = mix64(seqno * 131 + fragno) | 1;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        /* half the events compress well, half not */
        p[i] = (uint8_t)('a' + ((seqno & 1) ? x % 26 : (x >> 40) % 3));
    }
}

static thl_event *crash_event(uint64_t seqno, unsigned fragno, uint64_t epoch)
{
    thl_event *ev = thl_event_new();
    thl_statement *st;
    char eid[96];
    uint8_t *sql;
    size_t len = crash_size(seqno, fragno);
    ev->seqno = seqno;
    ev->fragno = (uint16_t)fragno;
    ev->flags = fragno + 1 == crash_frags(seqno) ? THL_EV_LAST_FRAG : 0;
    ev->epoch = epoch;
    snprintf(eid, sizeof(eid), "bin.%06llu:%llu;0-1-%llu", (unsigned long long)(seqno / 1000 + 1),
             (unsigned long long)(seqno % 1000) * 100 + 4, (unsigned long long)seqno + 1);
    thl_event_set_ids(ev, "crash-master", eid, "db");
    st = thl_event_add_statement(ev);
    st->schema = thl_event_strdup(ev, "db");
    sql = thl_event_alloc(ev, len);
    crash_fill(sql, len, seqno, fragno);
    st->sql = sql;
    st->sql_len = len;
    return ev;
}

/* ---- child: append until killed ---- */

static int crash_child_append(thl_log *log, uint64_t seqno, uint64_t epoch, crash_shared *sh,
                              thl_sync_mode sync)
{
    repl_error err;
    for (unsigned f = 0; f < crash_frags(seqno); f++) {
        thl_event *ev = crash_event(seqno, f, epoch);
        int rc = thl_log_append(log, ev, &err);
        thl_event_free(ev);
        if (rc != REPL_OK) {
            fprintf(stderr, "child: append %llu/%u: %s\n", (unsigned long long)seqno, f, err.msg);
            return rc;
        }
        sh->appended++;
    }
    if (sync == THL_SYNC_NONE && seqno % 7 == 0) {
        if (thl_log_commit(log, &err) != REPL_OK) {
            fprintf(stderr, "child: commit: %s\n", err.msg);
            return REPL_ERR_IO;
        }
    }
    /* sync=commit: durable when append returns; sync=none: committed (survives kill) */
    if (sync == THL_SYNC_COMMIT || seqno % 7 == 0)
        sh->durable = seqno + 1;
    return REPL_OK;
}

static void crash_child(const char *dir, thl_sync_mode sync, crash_shared *sh)
{
    thl_log_options o;
    thl_log *log = NULL;
    thl_log_state st;
    repl_error err;
    uint64_t seqno;
    thl_log_options_init(&o);
    o.dir = dir;
    o.service = "crash";
    o.sync = sync;
    o.map_bytes = CRASH_MAP_SIZE;
    o.group_max_events = 4; /* small groups: commits fall inside transactions */
    o.group_max_bytes = 256 * 1024;
    if (thl_log_open(&log, &o, &err) != REPL_OK || thl_log_state_get(log, &st, &err) != REPL_OK) {
        fprintf(stderr, "child: open: %s\n", err.msg);
        _exit(3);
    }
    seqno = st.empty ? 0 : st.max_seqno + 1;
    for (;; seqno++) {
        if (crash_child_append(log, seqno, st.empty ? 0 : st.max_seqno + 1, sh, sync) != REPL_OK)
            _exit(4);
    }
}

/* ---- parent: check what survived ---- */

static void crash_check_record(const uint8_t *rec, size_t len, uint64_t seqno, unsigned fragno)
{
    thl_event *ev = NULL;
    repl_error err;
    const thl_statement *stmt;
    uint8_t *want;
    if (thl_record_decode(&ev, rec, len, &err) != REPL_OK)
        fail_msg("decode seqno=%llu fragno=%u: %s", (unsigned long long)seqno, fragno, err.msg);
    assert_int_equal(ev->seqno, seqno);
    assert_int_equal(ev->fragno, fragno);
    assert_int_equal((ev->flags & THL_EV_LAST_FRAG) != 0, fragno + 1 == crash_frags(seqno));
    assert_int_equal(ev->n_items, 1);
    stmt = &ev->items[0].u.stmt;
    assert_int_equal(stmt->sql_len, crash_size(seqno, fragno));
    want = repl_malloc(stmt->sql_len);
    crash_fill(want, stmt->sql_len, seqno, fragno);
    assert_memory_equal(stmt->sql, want, stmt->sql_len);
    repl_free(want);
    thl_event_free(ev);
}

/* Walk min..max: dense, complete, every record decodes to what its seqno implies. */
static uint64_t crash_check_records(thl_log *log, const thl_log_state *st)
{
    thl_cursor *cur = NULL;
    repl_error err;
    const uint8_t *rec;
    size_t len;
    uint64_t n = 0;
    assert_int_equal(thl_cursor_open(&cur, log, st->min_seqno, &err), REPL_OK);
    for (uint64_t s = st->min_seqno; s <= st->max_seqno; s++) {
        for (unsigned f = 0; f < crash_frags(s); f++) {
            if (thl_cursor_next(cur, &rec, &len, 0, &err) != REPL_OK)
                fail_msg("seqno=%llu fragno=%u: %s", (unsigned long long)s, f, err.msg);
            crash_check_record(rec, len, s, f);
            n++;
        }
    }
    /* nothing after the last complete transaction: no torn fragments */
    assert_int_equal(thl_cursor_next(cur, &rec, &len, 0, &err), REPL_ERR_NOTFOUND);
    thl_cursor_close(cur);
    return n;
}

static void crash_check_indexes(thl_log *log, uint64_t max)
{
    repl_error err;
    uint64_t seqno = 0;
    assert_int_equal(thl_log_find_binlog_pos(log, "bin.999999", UINT64_MAX, &seqno, &err), REPL_OK);
    assert_int_equal(seqno, max);
    assert_int_equal(thl_log_find_gtid(log, 0, max + 1, &seqno, &err), REPL_OK);
    assert_int_equal(seqno, max);
    assert_int_equal(thl_log_find_gtid(log, 0, max + 2, &seqno, &err), REPL_ERR_NOTFOUND);
}

static uint64_t crash_verify(const char *dir, uint64_t durable)
{
    thl_log_options o;
    thl_log *log = NULL;
    thl_log_state st;
    repl_error err;
    uint64_t removed;
    thl_log_options_init(&o);
    o.dir = dir;
    o.service = "crash";
    o.map_bytes = CRASH_MAP_SIZE;
    if (thl_log_open(&log, &o, &err) != REPL_OK)
        fail_msg("reopen: %s", err.msg);
    assert_int_equal(thl_log_state_get(log, &st, &err), REPL_OK);
    if (durable > 0 && (st.empty || st.max_seqno + 1 < durable))
        fail_msg("lost durable seqno %llu (max %llu)", (unsigned long long)durable - 1,
                 (unsigned long long)st.max_seqno);
    if (!st.empty) {
        assert_int_equal(crash_check_records(log, &st), st.record_count);
        crash_check_indexes(log, st.max_seqno);
        if (st.max_seqno > CRASH_KEEP)
            assert_int_equal(thl_log_purge(log, st.max_seqno - CRASH_KEEP, &removed, &err),
                             REPL_OK);
    }
    thl_log_close(log);
    return st.empty ? 0 : st.max_seqno + 1;
}

static void crash_rmdir(const char *dir)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/data.mdb", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/lock.mdb", dir);
    unlink(path);
    rmdir(dir);
}

static void crash__kill_and_reopen(void **state)
{
    char dir[] = "/tmp/trep-test-crash-XXXXXX";
    unsigned seed = getenv("TREP_CRASH_SEED")
                        ? (unsigned)strtoul(getenv("TREP_CRASH_SEED"), NULL, 10)
                        : (unsigned)time(NULL) ^ (unsigned)getpid();
    crash_shared *sh =
        mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    uint64_t next = 0;
    uint64_t total = 0;
    (void)state;
    assert_true(sh != MAP_FAILED);
    assert_non_null(mkdtemp(dir));
    print_message("crash test seed %u (TREP_CRASH_SEED=%u to replay)\n", seed, seed);
    srand(seed);
    for (int round = 0; round < CRASH_ROUNDS; round++) {
        thl_sync_mode sync = round % 2 ? THL_SYNC_NONE : THL_SYNC_COMMIT;
        useconds_t delay = (useconds_t)(5000 + (unsigned)rand() % 195001);
        int status = 0;
        pid_t pid;
        sh->durable = next;
        sh->appended = 0;
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            crash_child(dir, sync, sh);
        usleep(delay);
        kill(pid, SIGKILL);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFSIGNALED(status))
            fail_msg("round %d: child exited by itself (status %d)", round, status);
        total += sh->appended;
        next = crash_verify(dir, sh->durable);
        print_message("round %2d sync=%s killed after %3u ms: %6llu records appended, log ends at "
                      "seqno %llu\n",
                      round, sync == THL_SYNC_NONE ? "none  " : "commit", delay / 1000,
                      (unsigned long long)sh->appended, (unsigned long long)next);
    }
    assert_true(total > 0);
    crash_rmdir(dir);
    munmap(sh, sizeof(*sh));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crash__kill_and_reopen),
    };
    repl_log_set_level(REPL_LOG_LEVEL_ERROR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
