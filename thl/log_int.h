/* SPDX-License-Identifier: GPL-2.0-or-later */
/* thl/log_int.h - private to thl/log*.c: the thl_log body, the LMDB key layouts
 * (docs/thl-format.md, "LMDB layout") and the helpers shared by open/close/state (log.c), the
 * writer (log_write.c), readers (log_read.c) and the secondary indexes (log_index.c). No other file
 * may include it.
 *
 * Threads: the writer thread appends into an in-memory pending group (no LMDB write transaction is
 * held between calls, so purge, reset and close may run on any thread); a commit writes the group
 * in one LMDB write transaction inside the calling thread. Readers use their own MDB_RDONLY
 * transactions (MDB_NOTLS) and wait on mu/cond, which the writer broadcasts after every commit. */
#ifndef THL_LOG_INT_H
#define THL_LOG_INT_H

#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>

#include "thl/log.h"

#define THL_LOG_FORMAT_VERSION  "1"
#define THL_LOG_KEY_LEN         10 /* records key: seqno BE64 + fragno BE16 */
#define THL_LOG_POS_KEY_MAX     (255 + 1 + 8)
#define THL_LOG_GTID_KEY_LEN    12 /* domain BE32 + seq BE64 */
#define THL_LOG_MAX_READERS     512
#define THL_LOG_COMPONENT       "thl"
#define THL_LOG_GROUP_MAX_BYTES ((uint64_t)64 << 20) /* cap on group_max_bytes */

/** One record of the pending (not yet committed) group; bytes live in thl_log.pend_buf. */
typedef struct thl_log_pend {
    uint64_t seqno;
    uint64_t epoch;
    size_t off;
    size_t len;
    size_t event_id_off; /* offset of the header's event_id in pend_buf */
    uint16_t event_id_len;
    uint16_t fragno;
    uint8_t flags;
} thl_log_pend;

/** An epoch change waiting in the pending group. */
typedef struct thl_log_pend_epoch {
    uint64_t epoch;
    uint64_t first_seqno;
    char source_id[256];
} thl_log_pend_epoch;

/** What the end of the records table looks like. */
typedef struct thl_log_tail {
    int have; /* any record stored */
    uint64_t seqno;
    uint16_t fragno;
    int last; /* the last record carries THL_EV_LAST_FRAG */
    int have_complete;
    uint64_t complete_seqno;
    uint64_t complete_epoch;
    char complete_event_id[THL_ID_MAX + 1];
} thl_log_tail;

struct thl_log {
    /* immutable after open */
    MDB_env *env;
    MDB_dbi db_records;
    MDB_dbi db_pos;
    MDB_dbi db_gtid;
    MDB_dbi db_epochs;
    MDB_dbi db_meta;
    char *dir;
    thl_log_options opts; /* dir and service point into nothing: use log->dir */
    int read_only;

    /* writer state: guarded by wmu (the writer thread, and reset/close from any thread) */
    pthread_mutex_t wmu;
    int have_tail; /* tail_* describe the last appended record (pending included) */
    uint64_t tail_seqno;
    uint16_t tail_fragno;
    int tail_last;
    int has_epoch;
    uint64_t last_epoch; /* epoch of the last complete appended transaction */
    int any_start;       /* log emptied by reset: the first seqno may be any value */
    int broken;          /* a commit failed: resync from the db before the next append */
    repl_buf pend_buf;
    thl_log_pend *pend;
    size_t pend_count;
    size_t pend_cap;
    thl_log_pend_epoch *pend_epochs;
    size_t pend_epoch_count;
    size_t pend_epoch_cap;
    int64_t pend_since_ms;

    /* shared with readers: guarded by mu */
    pthread_mutex_t mu;
    pthread_cond_t cond;
    uint64_t gen;         /* number of commits (and resets) so far */
    atomic_ullong resets; /* number of thl_log_reset calls: cursors stop across one */
    int has_committed;
    uint64_t committed_max; /* highest complete committed seqno when has_committed */
    int nwait;              /* threads blocked on cond */
    int refs;               /* 1 for the open handle + 1 per open cursor */
    int closing;
    atomic_int closing_flag; /* closing, readable without mu */
};

/* ---- keys ---- */

static inline void thl_log_key_make(uint8_t key[THL_LOG_KEY_LEN], uint64_t seqno, uint16_t fragno)
{
    repl_store_u64be(key, seqno);
    key[8] = (uint8_t)(fragno >> 8);
    key[9] = (uint8_t)fragno;
}

/** Decode a records key; 0 if it has the wrong size. */
int thl_log_key_parse(const MDB_val *key, uint64_t *seqno, uint16_t *fragno);
uint64_t thl_log_be64(const void *p);

/* ---- errors and transactions (log.c) ---- */

/** Fill err from an LMDB (or errno) code: MDB_MAP_FULL and ENOSPC become REPL_ERR_FULL. */
int thl_log_mdb_error(thl_log *log, repl_error *err, int rc, const char *what);
int thl_log_txn_begin(thl_log *log, MDB_txn **out, unsigned flags, repl_error *err);
/** Read the tail of the records table inside txn. */
int thl_log_tail_read(thl_log *log, MDB_txn *txn, thl_log_tail *out, repl_error *err);
/** Parse a stored record's header, checking it matches its key. */
int thl_log_record_check(thl_record_header *out, uint64_t seqno, uint16_t fragno,
                         const MDB_val *val, repl_error *err);
/** Set the committed max seqno (tail of the db) and wake every waiter. */
void thl_log_publish(thl_log *log, int has_committed, uint64_t committed_max);
/** Writer open and error resync: drop fragments of an unfinished trailing seqno, load the tail. */
int thl_log_recover(thl_log *log, repl_error *err);
/** Drop one reference (the handle's or a cursor's); the last one closes the environment. */
void thl_log_release(thl_log *log);
/** Meta table string lookup: REPL_OK, REPL_ERR_NOTFOUND, or an error. */
int thl_log_meta_get(thl_log *log, MDB_txn *txn, const char *key, char *out, size_t out_len,
                     repl_error *err);
int thl_log_meta_put(thl_log *log, MDB_txn *txn, const char *key, const char *value,
                     repl_error *err);

/* ---- indexes (log_index.c) ---- */

/** Add the pos and gtid entries for a complete transaction ending with this event_id. */
int thl_log_index_put(thl_log *log, MDB_txn *txn, uint64_t seqno, const char *event_id, size_t len,
                      repl_error *err);
/** Remove the entries of event_id that still point at seqno. */
int thl_log_index_del(thl_log *log, MDB_txn *txn, uint64_t seqno, const char *event_id, size_t len,
                      repl_error *err);
int thl_log_epoch_put(thl_log *log, MDB_txn *txn, const thl_log_pend_epoch *ep, repl_error *err);
/** Source id of the epoch entry for epoch (or the latest before it), "" if none. */
int thl_log_epoch_source(thl_log *log, MDB_txn *txn, uint64_t epoch, char *out, size_t out_len,
                         repl_error *err);

#endif
