/* SPDX-License-Identifier: GPL-2.0-or-later */
/* thl/log_read.c - THL readers: single record reads, waiting for a seqno, and forward cursors. A
 * cursor owns one MDB_RDONLY transaction (MDB_NOTLS, so it may move between threads with its owner)
 * that it renews every THL_CURSOR_RENEW_RECORDS records or THL_CURSOR_RENEW_MS, and releases
 * whenever it reaches the end, so it never pins old pages for long. Every record is checked
 * (header, CRC, key) before it is returned. Waiters sleep on the log's condition variable, woken by
 * each commit. */
#include "thl/log.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "replicator/base/clock.h"
#include "replicator/base/mem.h"
#include "thl/log_int.h"

#define THL_CURSOR_RENEW_RECORDS 256
#define THL_CURSOR_RENEW_MS      100
#define THL_READ_POLL_MS         100 /* read-only handles poll the db for other processes' commits */

struct thl_cursor {
    thl_log *log;
    MDB_txn *txn;
    MDB_cursor *mc;
    int live;       /* txn holds a snapshot (not reset) */
    int positioned; /* mc is on the last returned record of this snapshot */
    int started;    /* a record has been returned */
    uint64_t next_seqno;
    uint16_t next_fragno;
    uint64_t last_seqno;
    uint16_t last_fragno;
    int last_complete; /* the last returned record ended its transaction */
    uint8_t last_crc[4];
    unsigned since_renew;
    int64_t renew_ms;
    uint64_t gen_seen;
    uint64_t resets_seen;
};

/* ---- single reads ---- */

int thl_log_read_record(thl_log *log, uint64_t seqno, uint16_t fragno, repl_buf *out,
                        repl_error *err)
{
    MDB_txn *txn = NULL;
    uint8_t kb[THL_LOG_KEY_LEN];
    MDB_val k = { sizeof(kb), kb };
    MDB_val v;
    thl_record_header h;
    int rc;
    repl_buf_clear(out);
    rc = thl_log_txn_begin(log, &txn, MDB_RDONLY, err);
    if (rc != REPL_OK)
        return rc;
    thl_log_key_make(kb, seqno, fragno);
    rc = mdb_get(txn, log->db_records, &k, &v);
    if (rc == MDB_NOTFOUND)
        rc = repl_error_set(err, REPL_ERR_NOTFOUND, "thl: seqno=%llu fragno=%u not in the log",
                            (unsigned long long)seqno, fragno);
    else if (rc != 0)
        rc = thl_log_mdb_error(log, err, rc, "read record");
    else
        rc = thl_log_record_check(&h, seqno, fragno, &v, err);
    if (rc == REPL_OK)
        repl_buf_put(out, v.mv_data, v.mv_size);
    mdb_txn_abort(txn);
    return rc;
}

/* ---- waiting ---- */

static int64_t read_deadline_ms(int timeout_ms)
{
    return timeout_ms < 0 ? -1 : repl_clock_mono_ms() + timeout_ms;
}

/* Sleep on cond until woken, the deadline (mono ms, -1 = none) or, for read-only handles, the next
 * poll. Caller holds mu. Returns REPL_ERR_RETRY when the deadline has passed. */
static int read_cond_wait(thl_log *log, int64_t deadline_ms)
{
    struct timespec ts;
    int64_t slice = -1;
    int64_t now = repl_clock_mono_ms();
    if (deadline_ms >= 0 && now >= deadline_ms)
        return REPL_ERR_RETRY;
    if (deadline_ms >= 0)
        slice = deadline_ms - now;
    if (log->read_only && (slice < 0 || slice > THL_READ_POLL_MS))
        slice = THL_READ_POLL_MS;
    log->nwait++;
    if (slice < 0) {
        pthread_cond_wait(&log->cond, &log->mu);
    } else {
        repl_clock_deadline(&ts, slice);
        pthread_cond_timedwait(&log->cond, &log->mu, &ts);
    }
    log->nwait--;
    if (log->closing && log->nwait == 0)
        pthread_cond_broadcast(&log->cond); /* thl_log_close waits for the last waiter */
    return REPL_OK;
}

static int read_closing(repl_error *err)
{
    return repl_error_set(err, REPL_ERR_INVALID, "thl: log closing");
}

/* Read-only handles see other processes' commits only by looking. */
static int read_refresh(thl_log *log, repl_error *err)
{
    MDB_txn *txn = NULL;
    thl_log_tail t;
    int rc = thl_log_txn_begin(log, &txn, MDB_RDONLY, err);
    if (rc != REPL_OK)
        return rc;
    rc = thl_log_tail_read(log, txn, &t, err);
    mdb_txn_abort(txn);
    if (rc == REPL_OK)
        thl_log_publish(log, t.have_complete, t.complete_seqno);
    return rc;
}

int thl_log_wait_seqno(thl_log *log, uint64_t seqno, int timeout_ms, repl_error *err)
{
    int64_t deadline = read_deadline_ms(timeout_ms);
    int rc = REPL_OK;
    if (log->read_only)
        rc = read_refresh(log, err);
    pthread_mutex_lock(&log->mu);
    while (rc == REPL_OK && !(log->has_committed && log->committed_max >= seqno)) {
        if (log->closing) {
            rc = read_closing(err);
            break;
        }
        rc = read_cond_wait(log, deadline);
        if (rc == REPL_OK && log->read_only && !log->closing) {
            pthread_mutex_unlock(&log->mu);
            rc = read_refresh(log, err);
            pthread_mutex_lock(&log->mu);
        }
    }
    pthread_mutex_unlock(&log->mu);
    if (rc == REPL_ERR_RETRY)
        repl_error_set(err, REPL_ERR_RETRY, "thl: timeout waiting for seqno=%llu",
                       (unsigned long long)seqno);
    return rc;
}

/* ---- cursors ---- */

int thl_cursor_open(thl_cursor **out, thl_log *log, uint64_t seqno, repl_error *err)
{
    thl_cursor *cur = NULL;
    int rc;
    *out = NULL;
    cur = repl_calloc(1, sizeof(*cur));
    cur->log = log;
    cur->next_seqno = seqno;
    rc = thl_log_txn_begin(log, &cur->txn, MDB_RDONLY, err);
    if (rc != REPL_OK)
        goto cleanup;
    rc = mdb_cursor_open(cur->txn, log->db_records, &cur->mc);
    if (rc != 0) {
        rc = thl_log_mdb_error(log, err, rc, "open cursor");
        goto cleanup;
    }
    mdb_txn_reset(cur->txn); /* the first next() takes a fresh snapshot */
    pthread_mutex_lock(&log->mu);
    log->refs++;
    pthread_mutex_unlock(&log->mu);
    cur->resets_seen = atomic_load(&log->resets);
    *out = cur;
    cur = NULL;
cleanup:
    if (cur != NULL && cur->txn != NULL)
        mdb_txn_abort(cur->txn);
    repl_free(cur);
    return rc;
}

void thl_cursor_close(thl_cursor *cur)
{
    if (cur == NULL)
        return;
    mdb_cursor_close(cur->mc);
    mdb_txn_abort(cur->txn);
    thl_log_release(cur->log);
    repl_free(cur);
}

/* Take a fresh snapshot; remember the commit generation first so no wakeup is lost. */
static int cursor_renew(thl_cursor *cur, repl_error *err)
{
    thl_log *log = cur->log;
    int rc;
    pthread_mutex_lock(&log->mu);
    cur->gen_seen = log->gen;
    pthread_mutex_unlock(&log->mu);
    if (cur->live)
        mdb_txn_reset(cur->txn);
    cur->live = 0;
    cur->positioned = 0;
    rc = mdb_txn_renew(cur->txn);
    if (rc == 0)
        rc = mdb_cursor_renew(cur->txn, cur->mc);
    if (rc != 0)
        return thl_log_mdb_error(log, err, rc, "renew read transaction");
    cur->live = 1;
    cur->since_renew = 0;
    cur->renew_ms = repl_clock_mono_ms();
    return REPL_OK;
}

static int cursor_renew_due(const thl_cursor *cur)
{
    if (!cur->live || cur->since_renew >= THL_CURSOR_RENEW_RECORDS)
        return 1;
    return (cur->since_renew & 31) == 31 &&
           repl_clock_mono_ms() - cur->renew_ms >= THL_CURSOR_RENEW_MS;
}

/* In a fresh snapshot, put mc back on the last returned record (which must be unchanged when its
 * transaction was still open: a failed writer may have rolled back its fragments). Returns an LMDB
 * code, or -1 (err filled) when the fragments we returned are gone. */
static int cursor_reposition(thl_cursor *cur, MDB_val *k, MDB_val *v, repl_error *err)
{
    uint8_t kb[THL_LOG_KEY_LEN];
    int rc;
    if (!cur->started || cur->last_complete) {
        thl_log_key_make(kb, cur->next_seqno, cur->next_fragno);
        k->mv_size = sizeof(kb);
        k->mv_data = kb;
        return mdb_cursor_get(cur->mc, k, v, MDB_SET_RANGE);
    }
    thl_log_key_make(kb, cur->last_seqno, cur->last_fragno);
    k->mv_size = sizeof(kb);
    k->mv_data = kb;
    rc = mdb_cursor_get(cur->mc, k, v, MDB_SET_KEY);
    if (rc == MDB_NOTFOUND ||
        (rc == 0 && (v->mv_size < 4 || memcmp((const uint8_t *)v->mv_data + v->mv_size - 4,
                                              cur->last_crc, 4) != 0))) {
        repl_error_set(err, REPL_ERR_INVALID,
                       "thl: seqno=%llu: its fragments were rolled back after a writer error; "
                       "reopen the cursor at this seqno",
                       (unsigned long long)cur->last_seqno);
        return -1;
    }
    if (rc == 0)
        rc = mdb_cursor_get(cur->mc, k, v, MDB_NEXT);
    return rc;
}

/* The record found must be exactly the one expected: anything else is a gap. */
static int cursor_check_next(thl_cursor *cur, const MDB_val *k, repl_error *err)
{
    uint64_t seqno;
    uint16_t fragno;
    if (!thl_log_key_parse(k, &seqno, &fragno))
        return repl_error_set(err, REPL_ERR_CORRUPT, "thl: bad records key (%zu bytes)",
                              k->mv_size);
    if (seqno == cur->next_seqno && fragno == cur->next_fragno)
        return REPL_OK;
    if (cur->next_fragno == 0)
        return repl_error_set(err, REPL_ERR_INVALID,
                              "thl: %s: seqno=%llu is no longer in the log (purged; next stored "
                              "is seqno=%llu)",
                              cur->log->dir, (unsigned long long)cur->next_seqno,
                              (unsigned long long)seqno);
    return repl_error_set(err, REPL_ERR_INVALID,
                          "thl: seqno=%llu: fragment %u missing (rolled back after a writer "
                          "error?); reopen the cursor at this seqno",
                          (unsigned long long)cur->next_seqno, cur->next_fragno);
}

static void cursor_advance(thl_cursor *cur, const thl_record_header *h, const MDB_val *v)
{
    cur->started = 1;
    cur->positioned = 1;
    cur->since_renew++;
    cur->last_seqno = h->seqno;
    cur->last_fragno = h->fragno;
    cur->last_complete = (h->flags & THL_EV_LAST_FRAG) != 0;
    memcpy(cur->last_crc, (const uint8_t *)v->mv_data + v->mv_size - 4, 4);
    cur->next_seqno = cur->last_complete ? h->seqno + 1 : h->seqno;
    cur->next_fragno = cur->last_complete ? 0 : (uint16_t)(h->fragno + 1);
}

/* One step: REPL_OK with a record, REPL_ERR_NOTFOUND at the end of the snapshot (released), or an
 * error. */
static int cursor_step(thl_cursor *cur, const uint8_t **rec, size_t *len, repl_error *err)
{
    MDB_val k;
    MDB_val v;
    thl_record_header h;
    int rc;
    if (atomic_load_explicit(&cur->log->resets, memory_order_relaxed) != cur->resets_seen)
        return repl_error_set(err, REPL_ERR_INVALID, "thl: %s: log was reset under the cursor",
                              cur->log->dir);
    if (cursor_renew_due(cur)) {
        rc = cursor_renew(cur, err);
        if (rc != REPL_OK)
            return rc;
    }
    if (cur->positioned)
        rc = mdb_cursor_get(cur->mc, &k, &v, MDB_NEXT);
    else
        rc = cursor_reposition(cur, &k, &v, err);
    if (rc == -1)
        return REPL_ERR_INVALID;
    if (rc == MDB_NOTFOUND) {
        mdb_txn_reset(cur->txn); /* don't pin pages while waiting */
        cur->live = 0;
        return REPL_ERR_NOTFOUND;
    }
    if (rc != 0)
        return thl_log_mdb_error(cur->log, err, rc, "read records");
    rc = cursor_check_next(cur, &k, err);
    if (rc == REPL_OK)
        rc = thl_log_record_check(&h, cur->next_seqno, cur->next_fragno, &v, err);
    if (rc != REPL_OK)
        return rc;
    cursor_advance(cur, &h, &v);
    *rec = v.mv_data;
    *len = v.mv_size;
    return REPL_OK;
}

/* At the end: wait for a commit newer than our snapshot. */
static int cursor_wait(thl_cursor *cur, int64_t deadline_ms, repl_error *err)
{
    thl_log *log = cur->log;
    int rc = REPL_OK;
    pthread_mutex_lock(&log->mu);
    while (log->gen == cur->gen_seen && !log->closing) {
        rc = read_cond_wait(log, deadline_ms);
        if (rc != REPL_OK || log->read_only)
            break;
    }
    if (log->closing)
        rc = read_closing(err);
    pthread_mutex_unlock(&log->mu);
    if (rc == REPL_ERR_RETRY)
        repl_error_set(err, REPL_ERR_RETRY, "thl: timeout waiting for seqno=%llu",
                       (unsigned long long)cur->next_seqno);
    return rc;
}

int thl_cursor_next(thl_cursor *cur, const uint8_t **rec, size_t *len, int wait_ms, repl_error *err)
{
    int64_t deadline = read_deadline_ms(wait_ms);
    int rc;
    *rec = NULL;
    *len = 0;
    for (;;) {
        if (atomic_load_explicit(&cur->log->closing_flag, memory_order_relaxed))
            return read_closing(err);
        rc = cursor_step(cur, rec, len, err);
        if (rc != REPL_ERR_NOTFOUND)
            return rc;
        /* wait_ms 0 still looks once more if commits came after our snapshot */
        rc = cursor_wait(cur, wait_ms == 0 ? 0 : deadline, err);
        if (rc == REPL_ERR_RETRY && wait_ms == 0)
            return repl_error_set(err, REPL_ERR_NOTFOUND, "thl: end of log before seqno=%llu",
                                  (unsigned long long)cur->next_seqno);
        if (rc != REPL_OK)
            return rc;
    }
}
