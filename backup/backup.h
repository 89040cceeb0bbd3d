/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/backup.h - the backup module's entry points for trepd, trepctl and tools/trep-backup:
 * take a backup into a store (lock, temporary archive, method, manifest, catalog) and restore one
 * (verify, then the method's restore). Everything blocks until done and reports through
 * repl_error; nothing prints. See docs/backup.md. */
#ifndef BKP_BACKUP_H
#define BKP_BACKUP_H

#include "backup/logical.h"
#include "backup/physical.h"
#include "backup/store.h"
#include "backup/verify.h"
#include "replicator/base/error.h"

typedef struct bkp_backup_options {
    const char *method;            /* "logical" (default) or "physical" */
    bkp_logical_options logical;   /* conn, service, slave, thl, thl_wait_ms apply to both methods;
                                      the rest to the logical method */
    bkp_physical_options physical; /* mariadb_backup, tmp_dir, piece_bytes, parallel */
    int zstd_level;                /* 1..19, default 3 */
} bkp_backup_options;

/** Defaults of both methods; method "logical". */
void bkp_backup_options_init(bkp_backup_options *o);

/** Take a backup into store: take the store lock without waiting (REPL_ERR_INVALID "another backup
 * is running (pid N)"), write the archive under a temporary name, add the manifest, then rename it
 * and record it in the catalog. On failure (a full disk included) nothing is left: no file, no
 * catalog entry. out (may be NULL) receives the catalog entry. The lock is released at return
 * unless the caller held it already. */
int bkp_backup_run(bkp_store *store, const bkp_backup_options *o, bkp_entry *out, repl_error *err);

/** Restore the archive at path: verify it (every checksum; o->has_archive_crc adds the archive's
 * own), then restore by its method: logical into o->conn, physical into o->datadir. */
int bkp_restore(const char *archive, const bkp_restore_options *o, repl_error *err);

/** Restore backup id of store (NULL: the newest, of service when service is not NULL), checked
 * against its catalog entry. out (may be NULL) receives the entry restored. */
int bkp_restore_from_store(bkp_store *store, const char *id, const char *service,
                           const bkp_restore_options *o, bkp_entry *out, repl_error *err);

#endif
