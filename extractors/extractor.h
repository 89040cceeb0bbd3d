/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extractors/extractor.h - the extract stage: binlog (live from the master, or files) -> decoder ->
 * transaction assembly -> THL. Restart-safe: it resumes right after the event_id (binlog
 * file:offset) of the last complete transaction in the THL, so no transaction is lost or stored
 * twice; fragments of a transaction cut short by a crash or a lost connection are removed before
 * resuming. */
#ifndef EXT_EXTRACTOR_H
#define EXT_EXTRACTOR_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "extractors/source.h"
#include "extractors/txn.h"
#include "replicator/base/error.h"
#include "thl/log.h"

typedef struct ext_extractor_options {
    const char *service;
    const char *source_id;     /* NULL: the source's host:port */
    uint64_t fragment_bytes;   /* default 1 MiB */
    ext_source_options source; /* live mode */
    ext_start start;           /* where to start when the THL is empty */
    int skip_preflight;
} ext_extractor_options;

void ext_extractor_options_init(ext_extractor_options *opts);

/** Live status, updated by the running extractor under its own lock and read by other threads. */
typedef struct ext_extractor_status {
    char binlog_file[256];
    uint64_t binlog_offset;
    uint64_t last_seqno; /* last complete seqno appended to the THL (maybe not yet committed) */
    int has_seqno;
    uint64_t emitted_seqno; /* last complete seqno handed to the THL writer */
    int has_emitted;
    char last_event_id[THL_ID_MAX + 1];
    int64_t last_source_tstamp_us;
    uint64_t transactions;
    uint64_t ignorable_skipped;
    int connected;
} ext_extractor_status;

typedef struct ext_extractor ext_extractor;

ext_extractor *ext_extractor_new(thl_log *log, const ext_extractor_options *opts);
void ext_extractor_free(ext_extractor *x);

/** Extract from binlog files in the given order (resuming after the THL's last event_id if its file
 * is among them; files before it are skipped). Returns REPL_OK at the end of the last file. */
int ext_extractor_run_files(ext_extractor *x, const char *const *paths, size_t npaths,
                            repl_error *err);

/** Extract live until *stop becomes non-zero (REPL_OK) or an error: REPL_ERR_RETRY for a lost or
 * refused connection (the caller waits and calls again: it resumes exactly), REPL_ERR_INVALID for a
 * badly configured source (preflight), others for corrupt input or a THL failure. */
int ext_extractor_run_live(ext_extractor *x, atomic_int *stop, repl_error *err);

/** Interrupt a blocking read of run_live from another thread (it then sees *stop). */
void ext_extractor_interrupt(ext_extractor *x);

/** A snapshot of the live status (thread-safe). */
void ext_extractor_status_get(ext_extractor *x, ext_extractor_status *out);

#endif
