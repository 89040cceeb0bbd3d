/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/logical.h - trep's own parallel logical backup and its restore.
 *
 * Dump: N worker connections share ONE consistent snapshot: a control connection holds FLUSH
 * TABLES WITH READ LOCK while the binlog position is read and every worker runs START TRANSACTION
 * WITH CONSISTENT SNAPSHOT; the table list is read under the lock too, non-transactional tables
 * are dumped before it is released, then the lock goes and the workers dump the InnoDB tables in
 * parallel, large ones split by primary-key ranges. Each table's DDL, its data (LOAD DATA text
 * files of bounded size, see tsv.h) and the schema's views, routines, triggers, events and
 * sequence states go into the archive as they are produced; nothing holds a whole table.
 *
 * Restore: the archive is always verified first (every checksum; this pass also reads the manifest,
 * the archive's last entry), so a damaged archive never touches the target; then schemas and tables
 * are created, data files are extracted one at a time into temporary files and loaded in parallel
 * with LOAD DATA LOCAL INFILE (sql_log_bin=0, foreign_key_checks=0, unique_checks=0), every file's
 * row count and warnings checked, and the other objects are created last (triggers after the data).
 */
#ifndef BKP_LOGICAL_H
#define BKP_LOGICAL_H

#include <stddef.h>
#include <stdint.h>

#include "backup/archive.h"
#include "backup/conn.h"
#include "backup/manifest.h"
#include "replicator/base/error.h"
#include "thl/log.h"

typedef struct bkp_logical_options {
    bkp_conn_options conn;
    const char *service; /* the trep service ([A-Za-z0-9_]): its schema is trep_<service> */
    int slave;           /* 1: position from trep_<service>.trep_commit_seqno in the snapshot */
    thl_log *thl;        /* master: map the binlog position to this THL (borrowed; may be NULL) */
    int thl_wait_ms;     /* how long the THL may take to reach the position (default 30000) */
    unsigned threads;    /* worker connections (default 4, 1..64) */
    uint64_t chunk_rows; /* tables with more (estimated) rows are split by key range (default
                            1000000; 0 = never split) */
    size_t file_bytes;   /* a data file is closed at this size (default 16 MiB) */
    const char *const *include; /* schema name patterns (fnmatch) to dump; NULL = all */
    size_t n_include;
    const char *const *exclude; /* schema name patterns to leave out */
    size_t n_exclude;
    unsigned lock_wait_timeout_sec; /* bound on waiting for FLUSH TABLES WITH READ LOCK (60) */
} bkp_logical_options;

void bkp_logical_options_init(bkp_logical_options *o);

/** Dump the server into w (data, DDL, objects; not the manifest) and fill m: server version,
 * position (and channels on a slave), tables and files. Blocks until done. m->created_us is left to
 * the caller. Errors name the table or statement; on error the archive is unusable. */
int bkp_logical_dump(bkp_archive_writer *w, const bkp_logical_options *o, bkp_manifest *m,
                     repl_error *err);

typedef struct bkp_restore_options {
    bkp_conn_options conn; /* logical: the target server */
    const char *datadir;   /* physical: the EMPTY data directory of the stopped target server */
    unsigned threads;      /* loader connections (default 4) */
    int force;             /* logical: restore although user tables exist; the backup's schemas
                              are dropped first */
    const char *tmp_dir;   /* where files are extracted, one per loader at a time (default /tmp) */
    int has_archive_crc;   /* archive_crc32c is known (from the catalog) */
    uint32_t archive_crc32c;
    const char *label;          /* backup id for messages (default: the archive path) */
    int events_disabled;        /* logical: created events are set DISABLE ON SLAVE */
    const char *mariadb_backup; /* physical: program (default "mariadb-backup") */
    const char *mbstream;       /* physical: program (default "mbstream") */
} bkp_restore_options;

void bkp_restore_options_init(bkp_restore_options *o);

/** Restore the logical backup archive into o->conn (see the header comment). Refuses (REPL_ERR_
 * INVALID) a target with user tables unless o->force. A checksum mismatch or damaged archive is
 * REPL_ERR_CORRUPT naming the backup and the file. m: the archive's manifest when already verified
 * (borrowed; NULL: the archive is verified here first, which also reads the manifest). */
int bkp_logical_restore(const char *archive, const bkp_restore_options *o, bkp_manifest *m,
                        repl_error *err);

#endif
