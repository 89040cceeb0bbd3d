/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/verify.h - check a backup without restoring it: re-read the whole archive, decompress
 * every entry, compare each file's size and CRC32C with the manifest (no file missing, none
 * unlisted, the manifest last), and the CRC32C of the archive file with the catalog. Restore runs
 * the same check first. Read-only; needs no lock; safe from any thread on distinct backups. */
#ifndef BKP_VERIFY_H
#define BKP_VERIFY_H

#include <stdint.h>

#include "backup/manifest.h"
#include "backup/store.h"
#include "replicator/base/error.h"

typedef struct bkp_verify_report {
    uint64_t files;         /* entries checked (the manifest not counted) */
    uint64_t data_bytes;    /* their uncompressed size */
    uint64_t archive_bytes; /* size of the archive file */
    uint32_t archive_crc32c;
} bkp_verify_report;

/** Verify the archive at path. label names the backup in messages (its id). expected_crc: the
 * catalog's CRC32C of the file, or NULL. out (may be NULL) receives the parsed manifest (free with
 * bkp_manifest_free); report may be NULL. REPL_ERR_CORRUPT "backup ID: file NAME: ..." for a
 * damaged archive or a mismatch; REPL_ERR_IO when the file cannot be read. */
int bkp_verify_archive(const char *path, const char *label, const uint32_t *expected_crc,
                       bkp_manifest **out, bkp_verify_report *report, repl_error *err);

/** Verify the backup id of store: its archive against the catalog entry (size, CRC32C) and the
 * manifest (which must carry the same id). */
int bkp_verify(bkp_store *store, const char *id, bkp_verify_report *report, repl_error *err);

#endif
