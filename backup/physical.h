/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/physical.h - the physical method: `mariadb-backup --backup --stream=xbstream` run as a
 * child process, its stdout cut into pieces of bounded size that go into the archive (zstd) as
 * they arrive, the binlog position taken from mariadb-backup's log. Restore: the pieces are piped
 * in order into `mbstream -x`, then `mariadb-backup --prepare` and `--copy-back` into an EMPTY data
 * directory given by the caller, whose owner then owns every file. Stopping the target server
 * before, and starting it after, is the caller's job. */
#ifndef BKP_PHYSICAL_H
#define BKP_PHYSICAL_H

#include <stddef.h>
#include <stdint.h>

#include "backup/archive.h"
#include "backup/conn.h"
#include "backup/logical.h"
#include "backup/manifest.h"
#include "replicator/base/error.h"
#include "thl/log.h"

typedef struct bkp_physical_options {
    bkp_conn_options conn;      /* the server to back up (mariadb-backup connects to it) */
    const char *service;        /* recorded in the manifest */
    int slave;                  /* role "slave": the position is the trep_commit_seqno rows
                                   inside the copied data (the manifest's seqno stays -1) */
    thl_log *thl;               /* master: map the binlog position to this THL (may be NULL) */
    int thl_wait_ms;            /* default 30000 */
    const char *mariadb_backup; /* program (default "mariadb-backup") */
    const char *tmp_dir;        /* scratch space for mariadb-backup (default "/tmp") */
    size_t piece_bytes;         /* archive entries of this size (default 16 MiB) */
    unsigned parallel;          /* mariadb-backup --parallel (default 1) */
} bkp_physical_options;

void bkp_physical_options_init(bkp_physical_options *o);

/** Run mariadb-backup and stream its output into w; fill m (method, server version, position,
 * files). Fails with mariadb-backup's own error line when it exits non-zero. */
int bkp_physical_backup(bkp_archive_writer *w, const bkp_physical_options *o, bkp_manifest *m,
                        repl_error *err);

/** Restore the physical backup archive into o->datadir (must exist and be empty). m: its manifest
 * when already verified (borrowed), else the archive is verified first. On failure the data
 * directory is emptied again. */
int bkp_physical_restore(const char *archive, const bkp_restore_options *o, bkp_manifest *m,
                         repl_error *err);

#endif
