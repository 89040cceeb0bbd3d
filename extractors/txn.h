/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extractors/txn.h - transaction assembly: turns the stream of decoded binlog events into THL
 * events, one per source transaction (GTID ... XID/COMMIT, a standalone DDL, an XA PREPARE or XA
 * COMMIT group), split into fragments when large. Tracks the binlog position (file:offset of each
 * transaction's end, and its GTID) that becomes the event_id, the session state statements need
 * (INTVAR, RAND, USER_VAR, QUERY status variables), the shard, timestamps and metadata. Hands
 * finished events to an emit callback (the extractor appends them to the THL). Owned by one thread.
 */
#ifndef EXT_TXN_H
#define EXT_TXN_H

#include <stdint.h>

#include "extractors/binlog.h"
#include "replicator/base/error.h"
#include "thl/event.h"

/** Receives each finished event or fragment (seqno, fragno, epoch, flags and ids filled in) in *ev.
 * The callee may take the event and leave another empty one (thl_event_new or recycled) in *ev;
 * otherwise the event is reused after the call returns. A non-OK return stops the feed. */
typedef int (*ext_txn_emit_fn)(void *ctx, thl_event **ev, repl_error *err);

typedef struct ext_txn_options {
    const char *service;
    const char *source_id;   /* master name for thl_event.source_id */
    uint64_t fragment_bytes; /* emit a fragment when a transaction's event holds this much */
    uint64_t first_seqno;    /* seqno of the next transaction */
    uint64_t epoch;          /* epoch stamped on every event */
    ext_txn_emit_fn emit;
    void *emit_ctx;
} ext_txn_options;

typedef struct ext_txn ext_txn;

typedef struct ext_txn_stats {
    uint64_t transactions;
    uint64_t fragments;
    uint64_t rows;
    uint64_t statements;
    uint64_t rolled_back;
    uint64_t events;
    uint64_t next_seqno;
    char file[256];  /* current binlog file */
    uint64_t offset; /* end of the last event seen */
    char last_event_id[THL_ID_MAX + 1];
    int in_transaction;
} ext_txn_stats;

ext_txn *ext_txn_new(const ext_txn_options *opts);
void ext_txn_free(ext_txn *txn);

/** Set the binlog file name the following events come from (file mode; live mode learns it from the
 * master's ROTATE events). */
void ext_txn_set_file(ext_txn *txn, const char *file);

/** Feed one decoded event (rows are decoded through dec). REPL_ERR_CORRUPT or REPL_ERR_INVALID on a
 * stream that breaks transaction rules (a GTID inside an open transaction, rows outside one, an
 * INCIDENT, LOAD DATA in statement format), naming the file, offset and event type. */
int ext_txn_feed(ext_txn *txn, ext_decoder *dec, const ext_event *ev, repl_error *err);

/** Whether a transaction is open (its events are not yet all emitted). */
int ext_txn_open(const ext_txn *txn);

/** Forget a partly assembled transaction (the stream is restarted from its last boundary). */
void ext_txn_abandon(ext_txn *txn);

void ext_txn_stats_get(const ext_txn *txn, ext_txn_stats *out);

#endif
