/* SPDX-License-Identifier: GPL-2.0-or-later */
/* appliers/applier.h - the MariaDB/MySQL applier: replays THL events (thl/event.h) into a target
 * server exactly and restart-safely (DESIGN.md section 6, docs/applier.md). Row changes become
 * cached prepared statements (binary protocol); statements replay with their session state; tables
 * whose rows must not run the target's own logic again (triggers, system versioning) are applied
 * through BINLOG statements built from the THL rows. Many source transactions share one target
 * transaction (block commit) whose last statement updates trep_<service>.trep_commit_seqno, so the
 * position and the data commit together. One applier owns one connection and serves one thread. */
#ifndef APL_APPLIER_H
#define APL_APPLIER_H

#include <stdint.h>

#include "replicator/base/error.h"
#include "thl/event.h"

typedef struct apl_applier apl_applier;

/** Connection and block-commit settings. Strings are copied by apl_applier_open. */
typedef struct apl_options {
    const char *host;     /* NULL or "" with socket: local socket */
    unsigned port;        /* 0: default 3306 */
    const char *socket;   /* unix socket path, or NULL */
    const char *user;     /* NULL: current user */
    const char *password; /* NULL: none */
    const char *service;  /* catalog schema is trep_<service>; [A-Za-z0-9_], at most 48 chars */
    int channel;          /* task_id: this applier's row in trep_commit_seqno (>= 0) */
    int block_events;     /* source transactions per target transaction (>= 1; default 100) */
    int block_ms;         /* commit an open block at the latest after this (>= 0; default 500) */
    int sql_log_bin;      /* 1 (default): the target binlogs what is applied (a slave can feed
                             another); 0: SET sql_log_bin=0 (needs SUPER or BINLOG ADMIN) */
    int binlog_path;      /* 1 (default): rows of tables with triggers or system versioning
                             go through BINLOG statements (needs BINLOG REPLAY or
                             SUPER); 0: plain SQL for every table (triggers fire again) */
    unsigned connect_timeout_sec; /* default 10 */
} apl_options;

/** Fill o with the defaults above (all strings NULL, service "default"). */
void apl_options_init(apl_options *o);

/** A position as stored in trep_commit_seqno. Timestamps are µs since the epoch (UTC). */
typedef struct apl_position {
    int empty; /* 1: nothing was ever committed for this channel; other fields are zero */
    uint64_t seqno;
    uint16_t fragno;
    int last_frag;
    uint64_t epoch;
    char event_id[1025];
    char source_id[256];
    char shard_id[1025];
    int64_t applied_latency_ms;
    int64_t source_tstamp_us;
    int64_t update_tstamp_us;
} apl_position;

/** What the last failed apply was doing, for trepctl status and the log. */
typedef struct apl_failure {
    uint64_t seqno;
    uint16_t fragno;
    char event_id[1025];
    char sql[2048];         /* the statement, with bound values rendered after it */
    unsigned server_errno;  /* mysql_errno(), or 1032 for "row not found on the slave" */
    char server_error[512]; /* the server's text, or ours */
} apl_failure;

/** Connect to the target, set up the session, create trep_<service>.trep_commit_seqno and
 * trep_<service>.heartbeat if they are missing and read this channel's committed position.
 * *out is set only on success; release with apl_applier_close.
 * Returns REPL_OK, REPL_ERR_INVALID (bad options), REPL_ERR_RETRY (server unreachable) or
 * REPL_ERR_SOURCE (server error, e.g. access denied). */
int apl_applier_open(apl_applier **out, const apl_options *opts, repl_error *err);

/** Close the connection. An open block is NOT committed: the server rolls it back. NULL is a no-op.
 */
void apl_applier_close(apl_applier *a);

/** Read the position committed in the target for this channel (reconnects if needed). */
int apl_applier_position(apl_applier *a, apl_position *out, repl_error *err);

/** Apply one event or fragment inside the current block. Events at or below the committed position
 * are skipped (restart safety); fragments must follow each other. The block is committed when it
 * holds block_events transactions, is block_ms old, or when the event must end it (DDL, unsafe,
 * rolled back, XA, non-transactional tables, heartbeat, start of a fragmented transaction: see
 * docs/applier.md). On error the open block is rolled back and nothing of it stays applied: the
 * caller re-reads apl_applier_position and feeds again from the event after it.
 * Returns REPL_OK; REPL_ERR_RETRY for deadlock, lock wait timeout or a lost connection;
 * REPL_ERR_SOURCE for any other server error or a row not found (apl_applier_last_failure has the
 * details); REPL_ERR_INVALID for events out of order or unusable. */
int apl_applier_apply(apl_applier *a, const thl_event *ev, repl_error *err);

/** Commit the open block now (the caller's input is idle). A no-op when no block is open or when
 * the last event applied is a fragment that is not the last of its transaction. */
int apl_applier_commit(apl_applier *a, repl_error *err);

/** Milliseconds until the open block must be committed (0: now), or -1 if none can be committed. */
int apl_applier_commit_due_ms(apl_applier *a);

/** The last failure, or NULL if the last call succeeded. Borrowed: valid until the next call. */
const apl_failure *apl_applier_last_failure(const apl_applier *a);

/** Record the transaction of ev (its first fragment) as applied without applying it (trepctl online
 * --skip-seqno): commits the open block, then the new position. Already applied: a no-op. */
int apl_applier_skip(apl_applier *a, const thl_event *ev, repl_error *err);

/** Counters for status and benchmarks. */
typedef struct apl_stats {
    uint64_t events;         /* events (fragments) applied */
    uint64_t commits;        /* target transactions committed with a position */
    uint64_t rows;           /* row changes applied */
    uint64_t statements;     /* statements replayed */
    uint64_t binlog_stmts;   /* BINLOG statements sent */
    uint64_t stmt_prepares;  /* prepared statements created (cache misses) */
    unsigned long thread_id; /* the target connection's id (KILL, processlist) */
} apl_stats;

/** Copy the counters into *out (thread_id 0 while disconnected). */
/** Forget this channel's committed position (trepctl reset): the next start applies from the THL's
 * beginning. Service offline only. */
int apl_applier_reset_position(apl_applier *a, repl_error *err);

/** Record pos (seqno, epoch, event_id, source_id, shard_id) as this channel's committed position,
 * in its own transaction: a slave restored from a backup continues after it. No block may be open.
 */
int apl_applier_set_position(apl_applier *a, const apl_position *pos, repl_error *err);

/** The CREATE TABLE IF NOT EXISTS statement of trep_<service>.heartbeat, the table heartbeats
 * travel through: the master creates it with exactly the definition slaves use. */
void apl_heartbeat_create_sql(char *out, size_t size, const char *service);

void apl_applier_stats(const apl_applier *a, apl_stats *out);

#endif
