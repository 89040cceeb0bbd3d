/* SPDX-License-Identifier: GPL-2.0-or-later */
/* thl/log.h - the THL store: one LMDB environment per service holding records keyed by (seqno,
 * fragno), with an event_id index, epoch history and a meta table (DESIGN.md section 3). One writer
 * thread appends with group commit; any number of reader threads (cursors) read concurrently and
 * may block until a seqno is committed. A process opens a given THL directory once and shares the
 * handle between its threads (LMDB forbids two environments on one file in a process). After a
 * crash the log holds a prefix of complete transactions: trailing fragments of an unfinished seqno
 * are removed when the writer opens. */
#ifndef THL_LOG_H
#define THL_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "replicator/base/buf.h"
#include "replicator/base/error.h"
#include "thl/event.h"
#include "thl/record.h"

typedef struct thl_log thl_log;
typedef struct thl_cursor thl_cursor;

typedef enum thl_sync_mode {
    THL_SYNC_COMMIT = 0, /* every transaction durable (fsync) before append returns */
    THL_SYNC_BATCH = 1,  /* groups of transactions committed and fsynced together (bounds below) */
    THL_SYNC_NONE = 2    /* no fsync: survives a process crash, not a power loss */
} thl_sync_mode;

typedef struct thl_log_options {
    const char *dir;     /* THL directory (created if missing unless read_only) */
    const char *service; /* recorded in the meta table; checked on open when set */
    int read_only;       /* open for reading only (the thl tool, other processes) */
    thl_sync_mode sync;
    uint64_t map_bytes;        /* LMDB map size: the log's maximum size */
    uint32_t group_max_events; /* batch: commit after this many records ... */
    uint64_t group_max_bytes;  /* ... or this many bytes ... */
    uint32_t group_max_ms;     /* ... or when the oldest uncommitted record is this old */
    thl_codec_options codec;
} thl_log_options;

/** Defaults: sync commit, map 64 GiB, group 1000 events / 4 MiB / 20 ms, codec defaults. */
void thl_log_options_init(thl_log_options *opts);
/** Parse "commit|batch|none"; -1 if unknown. */
int thl_sync_mode_parse(const char *name);

int thl_log_open(thl_log **out, const thl_log_options *opts, repl_error *err);
/** Commits pending records, wakes and fails waiting readers, closes. NULL is a no-op. */
void thl_log_close(thl_log *log);

/* ---- writer (one thread) ---- */

/** Append one event (or fragment). Seqnos are dense: ev->seqno must be the last seqno + 1 (or 0 on
 * an empty log, or any value on an empty log after purge), fragments of one seqno come in fragno
 * order 0,1,2... and a new seqno may only start after a THL_EV_LAST_FRAG. May commit (group bounds,
 * sync mode). REPL_ERR_FULL when the map or the disk is full: the log is left as of the last
 * commit. */
int thl_log_append(thl_log *log, const thl_event *ev, repl_error *err);
/** Append an already encoded record (from the network): CRC and order are checked, bytes stored as
 * is. */
int thl_log_append_record(thl_log *log, const uint8_t *rec, size_t len, repl_error *err);
/** Commit (and per sync mode fsync) every pending record; then readers can see them. */
int thl_log_commit(thl_log *log, repl_error *err);
/** Milliseconds until the pending group must be committed (-1 when nothing is pending). A writer
 * that waits for input uses it as its timeout, then calls thl_log_commit. */
int thl_log_commit_due_ms(thl_log *log);

/* ---- state ---- */

typedef struct thl_log_state {
    int empty;           /* no complete transaction stored */
    uint64_t min_seqno;  /* lowest stored seqno */
    uint64_t max_seqno;  /* highest complete (last fragment committed) seqno */
    uint64_t last_epoch; /* epoch of max_seqno */
    char last_event_id[THL_ID_MAX + 1];
    char last_source_id[256];
    uint64_t record_count;
    uint64_t used_bytes; /* LMDB pages in use */
    uint64_t map_bytes;
} thl_log_state;

int thl_log_state_get(thl_log *log, thl_log_state *out, repl_error *err);

/** Block until seqno is committed and complete, or timeout_ms passes (-1 = forever). Returns
 * REPL_OK, REPL_ERR_RETRY on timeout, REPL_ERR_INVALID if the log is closing. Only in-process
 * commits wake it. */
int thl_log_wait_seqno(thl_log *log, uint64_t seqno, int timeout_ms, repl_error *err);

/* ---- reading ---- */

/** Copy the record (seqno, fragno) into out (cleared first). REPL_ERR_NOTFOUND if absent. */
int thl_log_read_record(thl_log *log, uint64_t seqno, uint16_t fragno, repl_buf *out,
                        repl_error *err);

/** A forward cursor from seqno (fragno 0). Owned by one thread. Renews its LMDB read transaction
 * every few hundred records or milliseconds so it never pins old pages for long. */
int thl_cursor_open(thl_cursor **out, thl_log *log, uint64_t seqno, repl_error *err);
void thl_cursor_close(thl_cursor *cur);
/** Next record in (seqno, fragno) order. wait_ms: 0 = don't wait, -1 forever, else bound. Returns
 * REPL_OK with rec/len valid until the next call, REPL_ERR_NOTFOUND at the end (no wait),
 * REPL_ERR_RETRY on timeout, REPL_ERR_CORRUPT on a bad record (with its seqno). Only committed
 * complete data is seen... except fragments of a seqno whose later fragments are not yet committed,
 * which are returned too. */
int thl_cursor_next(thl_cursor *cur, const uint8_t **rec, size_t *len, int wait_ms,
                    repl_error *err);

/* ---- indexes ---- */

/** Parsed event_id: "FILE:OFFSET" optionally followed by ";D-S-N" (MariaDB GTID) or ";UUID:N". */
typedef struct thl_event_id {
    char file[256];
    uint64_t offset;
    int has_gtid;
    uint32_t gtid_domain;
    uint32_t gtid_server;
    uint64_t gtid_seq;
} thl_event_id;

int thl_event_id_parse(thl_event_id *out, const char *s, size_t len, repl_error *err);

/** Seqno of the last transaction that ends at or before binlog position (file, offset). */
int thl_log_find_binlog_pos(thl_log *log, const char *file, uint64_t offset, uint64_t *out_seqno,
                            repl_error *err);
/** Seqno of MariaDB GTID domain-seq (any server id). REPL_ERR_NOTFOUND if absent. */
int thl_log_find_gtid(thl_log *log, uint32_t domain, uint64_t seq, uint64_t *out_seqno,
                      repl_error *err);

typedef struct thl_epoch_entry {
    uint64_t epoch; /* epoch number (= first seqno of that master term) */
    uint64_t first_seqno;
    char source_id[256];
} thl_epoch_entry;

/** Epoch history in order; *out is repl_malloc'ed, caller frees with repl_free. */
int thl_log_epochs(thl_log *log, thl_epoch_entry **out, size_t *count, repl_error *err);

/* ---- maintenance ---- */

/** Delete every record with seqno < below (and their index entries). Never deletes the last
 * complete seqno: below is capped at max_seqno. Returns the number of records removed in *removed.
 */
int thl_log_purge(thl_log *log, uint64_t below, uint64_t *removed, repl_error *err);
/** Remove committed fragments of a transaction whose last fragment is missing (the writer lost its
 * source mid-transaction and will re-read it). Writer thread only. */
int thl_log_discard_incomplete(thl_log *log, repl_error *err);
/** Delete everything (trepctl reset). */
int thl_log_reset(thl_log *log, repl_error *err);

#endif
