/* SPDX-License-Identifier: GPL-2.0-or-later */
/* thl/log_write.c - the THL writer: appends (dense seqno and fragment order checks) into an
 * in-memory pending group, group commit in one LMDB write transaction per group (sync mode and
 * bounds from the options), error handling that leaves the log as of the last commit, purge and
 * reset. The pending group is private to the writer (guarded by wmu); no LMDB write transaction
 * outlives a call, so purge, reset and close may be called from other threads. */
#include "thl/log.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "replicator/base/clock.h"
#include "replicator/base/log.h"
#include "replicator/base/mem.h"
#include "thl/log_int.h"

#define WRITE_PURGE_CHUNK 10000 /* records deleted per write transaction while purging */

static int write_read_only(thl_log *log, repl_error *err)
{
    return repl_error_set(err, REPL_ERR_INVALID, "thl: %s: opened read-only", log->dir);
}

/* ---- order ---- */

static int write_check_order(thl_log *log, const thl_record_header *h, repl_error *err)
{
    uint64_t want_seqno = log->tail_seqno + 1;
    uint16_t want_fragno = 0;
    if (!log->have_tail) {
        if (h->fragno == 0 && (h->seqno == 0 || log->any_start))
            return REPL_OK;
        return repl_error_set(err, REPL_ERR_INVALID,
                              "thl: %s: append seqno=%llu fragno=%u to an empty log: expected "
                              "seqno=0 fragno=0",
                              log->dir, (unsigned long long)h->seqno, h->fragno);
    }
    if (!log->tail_last) {
        if (log->tail_fragno == UINT16_MAX)
            return repl_error_set(err, REPL_ERR_INVALID,
                                  "thl: %s: seqno=%llu has too many fragments", log->dir,
                                  (unsigned long long)log->tail_seqno);
        want_seqno = log->tail_seqno;
        want_fragno = (uint16_t)(log->tail_fragno + 1);
    }
    if (h->seqno == want_seqno && h->fragno == want_fragno)
        return REPL_OK;
    return repl_error_set(err, REPL_ERR_INVALID,
                          "thl: %s: append seqno=%llu fragno=%u out of order: expected "
                          "seqno=%llu fragno=%u",
                          log->dir, (unsigned long long)h->seqno, h->fragno,
                          (unsigned long long)want_seqno, want_fragno);
}

/* ---- pending group ---- */

static void write_pend_clear(thl_log *log)
{
    repl_buf_clear(&log->pend_buf);
    log->pend_count = 0;
    log->pend_epoch_count = 0;
}

/* A new epoch starts with this complete transaction: remember it with its source id. */
static int write_note_epoch(thl_log *log, const thl_record_header *h, const uint8_t *rec,
                            size_t len, const char *source_id, repl_error *err)
{
    thl_log_pend_epoch *ep;
    thl_event *ev = NULL;
    if (source_id == NULL) {
        /* a record from the network: its source id is in the payload */
        int rc = thl_record_decode(&ev, rec, len, err);
        if (rc != REPL_OK)
            return rc;
        source_id = ev->source_id;
    }
    if (log->pend_epoch_count == log->pend_epoch_cap) {
        log->pend_epoch_cap = log->pend_epoch_cap ? log->pend_epoch_cap * 2 : 4;
        log->pend_epochs =
            repl_realloc(log->pend_epochs, log->pend_epoch_cap * sizeof(*log->pend_epochs));
    }
    ep = &log->pend_epochs[log->pend_epoch_count++];
    ep->epoch = h->epoch;
    ep->first_seqno = h->seqno;
    snprintf(ep->source_id, sizeof(ep->source_id), "%s", source_id);
    thl_event_free(ev);
    return REPL_OK;
}

static void write_pend_push(thl_log *log, const thl_record_header *h, size_t off, size_t len)
{
    thl_log_pend *p;
    if (log->pend_count == log->pend_cap) {
        log->pend_cap = log->pend_cap ? log->pend_cap * 2 : 256;
        log->pend = repl_realloc(log->pend, log->pend_cap * sizeof(*log->pend));
    }
    if (log->pend_count == 0)
        log->pend_since_ms = repl_clock_mono_ms();
    p = &log->pend[log->pend_count++];
    p->seqno = h->seqno;
    p->fragno = h->fragno;
    p->flags = h->flags;
    p->epoch = h->epoch;
    p->off = off;
    p->len = len;
    p->event_id_off = 0;
    if (h->event_id_len > 0)
        p->event_id_off = (size_t)((const uint8_t *)h->event_id - log->pend_buf.data);
    p->event_id_len = h->event_id_len;
    log->have_tail = 1;
    log->tail_seqno = h->seqno;
    log->tail_fragno = h->fragno;
    log->tail_last = (h->flags & THL_EV_LAST_FRAG) != 0;
    if (log->tail_last) {
        log->has_epoch = 1;
        log->last_epoch = h->epoch;
    }
}

/* ---- commit ---- */

static int write_put_one(thl_log *log, MDB_txn *txn, const thl_log_pend *p, repl_error *err)
{
    uint8_t kb[THL_LOG_KEY_LEN];
    MDB_val k = { sizeof(kb), kb };
    MDB_val v = { p->len, log->pend_buf.data + p->off };
    int rc;
    thl_log_key_make(kb, p->seqno, p->fragno);
    rc = mdb_put(txn, log->db_records, &k, &v, MDB_APPEND);
    if (rc == MDB_KEYEXIST) {
        return repl_error_set(err, REPL_ERR_INVALID,
                              "thl: %s: seqno=%llu fragno=%u is not above the stored records",
                              log->dir, (unsigned long long)p->seqno, p->fragno);
    }
    if (rc != 0)
        return thl_log_mdb_error(log, err, rc, "append");
    if (!(p->flags & THL_EV_LAST_FRAG))
        return REPL_OK;
    return thl_log_index_put(log, txn, p->seqno, (const char *)log->pend_buf.data + p->event_id_off,
                             p->event_id_len, err);
}

static int write_put_all(thl_log *log, MDB_txn *txn, repl_error *err)
{
    int rc = REPL_OK;
    for (size_t i = 0; i < log->pend_count && rc == REPL_OK; i++)
        rc = write_put_one(log, txn, &log->pend[i], err);
    for (size_t i = 0; i < log->pend_epoch_count && rc == REPL_OK; i++)
        rc = thl_log_epoch_put(log, txn, &log->pend_epochs[i], err);
    return rc;
}

/* The group is lost: say which records, and resync from the db before the next append. */
static void write_fail(thl_log *log, repl_error *err)
{
    const thl_log_pend *first = &log->pend[0];
    const thl_log_pend *last = &log->pend[log->pend_count - 1];
    size_t len;
    if (err != NULL) {
        len = strlen(err->msg);
        snprintf(err->msg + len, sizeof(err->msg) - len,
                 "; %zu uncommitted record(s) discarded (seqno=%llu fragno=%u to seqno=%llu "
                 "fragno=%u)",
                 log->pend_count, (unsigned long long)first->seqno, first->fragno,
                 (unsigned long long)last->seqno, last->fragno);
    }
    write_pend_clear(log);
    log->broken = 1;
}

static void write_published(thl_log *log)
{
    int has_complete = 0;
    uint64_t max = 0;
    for (size_t i = log->pend_count; i > 0; i--) {
        if (log->pend[i - 1].flags & THL_EV_LAST_FRAG) {
            has_complete = 1;
            max = log->pend[i - 1].seqno;
            break;
        }
    }
    pthread_mutex_lock(&log->mu);
    if (has_complete) {
        log->has_committed = 1;
        log->committed_max = max;
    }
    log->gen++;
    pthread_cond_broadcast(&log->cond);
    pthread_mutex_unlock(&log->mu);
}

/* Commit the pending group. Caller holds wmu. */
static int write_commit(thl_log *log, repl_error *err)
{
    MDB_txn *txn = NULL;
    int rc;
    if (log->pend_count == 0)
        return REPL_OK;
    rc = thl_log_txn_begin(log, &txn, 0, err);
    if (rc == REPL_OK)
        rc = write_put_all(log, txn, err);
    if (rc != REPL_OK) {
        mdb_txn_abort(txn);
        goto cleanup;
    }
    rc = mdb_txn_commit(txn);
    if (rc != 0) {
        rc = thl_log_mdb_error(log, err, rc, "commit");
        goto cleanup;
    }
    write_published(log);
    write_pend_clear(log);
cleanup:
    if (rc != REPL_OK)
        write_fail(log, err);
    return rc;
}

static int write_commit_due(const thl_log *log, const thl_record_header *h)
{
    if (log->pend_count >= log->opts.group_max_events)
        return 1;
    if (log->pend_buf.len >= log->opts.group_max_bytes)
        return 1;
    if (log->opts.sync == THL_SYNC_COMMIT && (h->flags & THL_EV_LAST_FRAG))
        return 1;
    return repl_clock_mono_ms() - log->pend_since_ms >= (int64_t)log->opts.group_max_ms;
}

/* ---- append ---- */

/* The record at pend_buf[off, off+len) was just added: check it, queue it, maybe commit. */
static int write_add(thl_log *log, size_t off, size_t len, const char *source_id, repl_error *err)
{
    thl_record_header h;
    const uint8_t *rec = log->pend_buf.data + off;
    int rc = thl_record_parse_header(&h, rec, len, err);
    if (rc == REPL_OK)
        rc = write_check_order(log, &h, err);
    if (rc == REPL_OK && (h.flags & THL_EV_LAST_FRAG) &&
        (!log->has_epoch || h.epoch != log->last_epoch))
        rc = write_note_epoch(log, &h, rec, len, source_id, err);
    if (rc != REPL_OK) {
        log->pend_buf.len = off; /* forget the rejected record */
        return rc;
    }
    write_pend_push(log, &h, off, len);
    if (!write_commit_due(log, &h))
        return REPL_OK;
    return write_commit(log, err);
}

/* Caller holds wmu. After a failed commit, the db is the truth: drop a torn tail and reload. */
static int write_prepare(thl_log *log, repl_error *err)
{
    int rc;
    if (log->read_only)
        return write_read_only(log, err);
    if (!log->broken)
        return REPL_OK;
    rc = thl_log_recover(log, err);
    if (rc != REPL_OK)
        return repl_error_wrap(err, "thl: %s: resync after a failed commit", log->dir);
    return REPL_OK;
}

int thl_log_append(thl_log *log, const thl_event *ev, repl_error *err)
{
    size_t off;
    int rc;
    pthread_mutex_lock(&log->wmu);
    rc = write_prepare(log, err);
    if (rc != REPL_OK)
        goto cleanup;
    off = log->pend_buf.len;
    rc = thl_record_encode(&log->pend_buf, ev, &log->opts.codec, err);
    if (rc != REPL_OK) {
        log->pend_buf.len = off;
        goto cleanup;
    }
    rc = write_add(log, off, log->pend_buf.len - off, ev->source_id != NULL ? ev->source_id : "",
                   err);
cleanup:
    pthread_mutex_unlock(&log->wmu);
    return rc;
}

int thl_log_append_record(thl_log *log, const uint8_t *rec, size_t len, repl_error *err)
{
    size_t off;
    int rc;
    pthread_mutex_lock(&log->wmu);
    rc = write_prepare(log, err);
    if (rc != REPL_OK)
        goto cleanup;
    if (len > THL_RECORD_MAX_BYTES) {
        rc = repl_error_set(err, REPL_ERR_CORRUPT, "thl: record of %zu bytes exceeds %u", len,
                            THL_RECORD_MAX_BYTES);
        goto cleanup;
    }
    off = log->pend_buf.len;
    repl_buf_put(&log->pend_buf, rec, len);
    rc = write_add(log, off, len, NULL, err);
cleanup:
    pthread_mutex_unlock(&log->wmu);
    return rc;
}

int thl_log_commit(thl_log *log, repl_error *err)
{
    int rc;
    if (log->read_only)
        return write_read_only(log, err);
    pthread_mutex_lock(&log->wmu);
    rc = write_commit(log, err);
    pthread_mutex_unlock(&log->wmu);
    return rc;
}

int thl_log_commit_due_ms(thl_log *log)
{
    int64_t left = -1;
    pthread_mutex_lock(&log->wmu);
    if (log->pend_count > 0) {
        left = log->pend_since_ms + (int64_t)log->opts.group_max_ms - repl_clock_mono_ms();
        if (left < 0)
            left = 0;
        if (left > INT_MAX)
            left = INT_MAX;
    }
    pthread_mutex_unlock(&log->wmu);
    return (int)left;
}

/* ---- discarding an unfinished transaction ---- */

/* Forget pending fragments of the unfinished tail seqno (they are at the end of the group). */
static void write_pend_drop_seqno(thl_log *log, uint64_t seqno)
{
    size_t i = log->pend_count;
    while (i > 0 && log->pend[i - 1].seqno == seqno)
        i--;
    if (i == log->pend_count)
        return;
    log->pend_buf.len = log->pend[i].off;
    log->pend_count = i;
}

int thl_log_discard_incomplete(thl_log *log, repl_error *err)
{
    int rc;
    if (log->read_only)
        return write_read_only(log, err);
    pthread_mutex_lock(&log->wmu);
    rc = REPL_OK;
    if (log->broken || (log->have_tail && !log->tail_last)) {
        if (!log->broken)
            write_pend_drop_seqno(log, log->tail_seqno);
        rc = write_commit(log, err); /* complete transactions still pending */
        if (rc == REPL_OK)
            rc = thl_log_recover(log, err);
    }
    pthread_mutex_unlock(&log->wmu);
    return rc;
}

/* ---- purge ---- */

/* Delete up to WRITE_PURGE_CHUNK records below below (capped at the last complete seqno). */
static int write_purge_chunk(thl_log *log, MDB_txn *txn, uint64_t below, uint64_t *removed,
                             int *done, repl_error *err)
{
    MDB_cursor *mc = NULL;
    thl_log_tail t;
    thl_record_header h;
    MDB_val k;
    MDB_val v;
    uint64_t seqno;
    uint16_t fragno;
    size_t n = 0;
    int mrc;
    int rc = thl_log_tail_read(log, txn, &t, err);
    if (rc != REPL_OK)
        return rc;
    if (t.have_complete && t.complete_seqno < below)
        below = t.complete_seqno;
    *done = 1;
    mrc = mdb_cursor_open(txn, log->db_records, &mc);
    if (mrc == 0)
        mrc = mdb_cursor_get(mc, &k, &v, MDB_FIRST);
    while (mrc == 0 && t.have_complete && thl_log_key_parse(&k, &seqno, &fragno) && seqno < below) {
        if (n++ == WRITE_PURGE_CHUNK) {
            *done = 0;
            break;
        }
        rc = thl_log_record_check(&h, seqno, fragno, &v, err);
        if (rc == REPL_OK && (h.flags & THL_EV_LAST_FRAG))
            rc = thl_log_index_del(log, txn, seqno, h.event_id, h.event_id_len, err);
        if (rc != REPL_OK)
            goto cleanup;
        mrc = mdb_cursor_del(mc, 0);
        if (mrc == 0) {
            (*removed)++;
            mrc = mdb_cursor_get(mc, &k, &v, MDB_NEXT);
        }
    }
    if (mrc != 0 && mrc != MDB_NOTFOUND)
        rc = thl_log_mdb_error(log, err, mrc, "purge");
cleanup:
    mdb_cursor_close(mc);
    return rc;
}

static int write_purge_mark(thl_log *log, MDB_txn *txn, uint64_t below, repl_error *err)
{
    char val[32];
    snprintf(val, sizeof(val), "%llu", (unsigned long long)below);
    return thl_log_meta_put(log, txn, "purged_below", val, err);
}

int thl_log_purge(thl_log *log, uint64_t below, uint64_t *removed, repl_error *err)
{
    MDB_txn *txn = NULL;
    uint64_t count = 0;
    int done = 0;
    int rc = REPL_OK;
    if (log->read_only)
        rc = write_read_only(log, err);
    while (rc == REPL_OK && !done) {
        rc = thl_log_txn_begin(log, &txn, 0, err);
        if (rc != REPL_OK)
            break;
        rc = write_purge_chunk(log, txn, below, &count, &done, err);
        if (rc == REPL_OK && done && count > 0)
            rc = write_purge_mark(log, txn, below, err);
        if (rc != REPL_OK) {
            mdb_txn_abort(txn);
            break;
        }
        rc = mdb_txn_commit(txn);
        if (rc != 0)
            rc = thl_log_mdb_error(log, err, rc, "commit purge");
    }
    if (removed != NULL)
        *removed = count;
    return rc;
}

/* ---- reset ---- */

static int write_reset_txn(thl_log *log, MDB_txn *txn, repl_error *err)
{
    const MDB_dbi dbs[] = { log->db_records, log->db_pos, log->db_gtid, log->db_epochs };
    MDB_val k = { strlen("purged_below"), (void *)"purged_below" };
    int rc;
    for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++) {
        rc = mdb_drop(txn, dbs[i], 0);
        if (rc != 0)
            return thl_log_mdb_error(log, err, rc, "reset");
    }
    rc = mdb_del(txn, log->db_meta, &k, NULL);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return thl_log_mdb_error(log, err, rc, "reset");
    return thl_log_meta_put(log, txn, "reset", "1", err);
}

int thl_log_reset(thl_log *log, repl_error *err)
{
    MDB_txn *txn = NULL;
    int rc;
    if (log->read_only)
        return write_read_only(log, err);
    pthread_mutex_lock(&log->wmu);
    write_pend_clear(log);
    log->broken = 1; /* until the reset is committed the db is the truth */
    rc = thl_log_txn_begin(log, &txn, 0, err);
    if (rc == REPL_OK)
        rc = write_reset_txn(log, txn, err);
    if (rc != REPL_OK) {
        mdb_txn_abort(txn);
        goto cleanup;
    }
    rc = mdb_txn_commit(txn);
    if (rc != 0) {
        rc = thl_log_mdb_error(log, err, rc, "commit reset");
        goto cleanup;
    }
    atomic_fetch_add(&log->resets, 1);
    rc = thl_log_recover(log, err);
cleanup:
    pthread_mutex_unlock(&log->wmu);
    return rc;
}
