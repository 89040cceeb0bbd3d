/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/store.h - a backup store: one directory holding complete backup archives, catalog.json
 * listing them, and a lock file. The catalog is only ever replaced atomically (temp file, fsync,
 * rename, fsync of the directory) and lists complete backups only: an archive is written under a
 * hidden temporary name and becomes visible (renamed, then cataloged) only once it is complete.
 * A failed or interrupted backup leaves nothing behind (the next writer removes stale temporary
 * files). Writers (backup, prune) hold the lock: flock, non-blocking, so an overlapping backup
 * fails at once. Readers (list, latest, find) need no lock. A bkp_store handle is used by one
 * thread at a time; several processes may open the same store. Format: docs/backup.md. */
#ifndef BKP_STORE_H
#define BKP_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "backup/position.h"
#include "replicator/base/error.h"

#define BKP_ID_MAX 128

typedef enum bkp_checksum_kind {
    BKP_SUM_CRC32C = 0 /* CRC32C (Castagnoli) of the bytes, as 8 lower-case hex digits */
} bkp_checksum_kind;

/** One catalog entry: a complete backup. */
typedef struct bkp_entry {
    char id[BKP_ID_MAX];  /* "20261122T031500Z-alpha-logical" (UTC start time, service, method) */
    char service[64];     /* replication service */
    char method[16];      /* "logical" or "physical" */
    int64_t created_us;   /* start, µs since the epoch (UTC) */
    int64_t finished_us;  /* end */
    char status[16];      /* always "complete" in a catalog */
    uint64_t size_bytes;  /* archive file size */
    uint64_t duration_ms; /* finished - created */
    char server_version[128];
    bkp_position position;
    char archive[BKP_ID_MAX + 16]; /* file name inside the store directory: "<id>.tar.zst" */
    uint32_t archive_crc32c;       /* CRC32C of the whole archive file */
} bkp_entry;

typedef struct bkp_store bkp_store;

/** Open the store in dir; create: make dir (mode 0750) if missing. Does not take the lock. */
int bkp_store_open(bkp_store **out, const char *dir, int create, repl_error *err);
/** Release the lock if held, close. NULL is a no-op. */
void bkp_store_close(bkp_store *store);
/** The store directory (borrowed, lives as long as the store). */
const char *bkp_store_dir(const bkp_store *store);

/** Take the store's writer lock without waiting. REPL_ERR_INVALID "another backup is running (pid
 * N)" when another process (or another handle) holds it. Records our pid in the lock file. Also
 * removes temporary files a crashed writer left behind. Idempotent for the holder. */
int bkp_store_lock(bkp_store *store, repl_error *err);
/** Release the lock (no-op if not held). */
void bkp_store_unlock(bkp_store *store);

/** Every complete backup, oldest first; *out is repl_malloc'ed (NULL when count is 0), freed by the
 * caller with repl_free. A missing catalog is an empty store. REPL_ERR_CORRUPT for a catalog that
 * does not parse. */
int bkp_store_list(bkp_store *store, bkp_entry **out, size_t *count, repl_error *err);
/** The newest complete backup, of service when not NULL. REPL_ERR_NOTFOUND when there is none. */
int bkp_store_latest(bkp_store *store, const char *service, bkp_entry *out, repl_error *err);
/** The backup with this id. REPL_ERR_NOTFOUND when there is none. */
int bkp_store_find(bkp_store *store, const char *id, bkp_entry *out, repl_error *err);
/** Full path of entry's archive into out; REPL_ERR_INVALID if it does not fit. */
int bkp_store_archive_path(const bkp_store *store, const bkp_entry *entry, char *out,
                           size_t out_len, repl_error *err);

/** Retention rules; a rule with 0 is not used. With both, a backup is kept when either rule keeps
 * it. Applied per service; the newest complete backup of each service is always kept. */
typedef struct bkp_retention {
    uint32_t keep_last; /* keep the N newest backups */
    uint32_t keep_days; /* keep backups created less than D days before now */
} bkp_retention;

/** Remove the backups the rules do not keep: the catalog is rewritten first, then the archives are
 * deleted (a crash in between leaves an unlisted file, never a listed missing one). Takes the lock
 * if not held (and releases it again). removed (may be NULL) gets the number of backups removed.
 * With no rule set, nothing is removed. now_us: the current time (tests pass their own). */
int bkp_store_prune(bkp_store *store, const bkp_retention *rules, int64_t now_us, size_t *removed,
                    repl_error *err);

/* ---- writing a backup (lock held) ---- */

/** A backup being written: a hidden temporary file in the store. */
typedef struct bkp_pending bkp_pending;

/** Start a backup: choose a unique id from now_us, service and method ("-2", "-3"... on a clash),
 * create the temporary file (".<id>.tar.zst.partial"). Requires the lock (REPL_ERR_INVALID). */
int bkp_store_begin(bkp_store *store, const char *service, const char *method, int64_t now_us,
                    bkp_pending **out, repl_error *err);
/** The temporary file's descriptor (owned by pending) and its path, id (borrowed). */
int bkp_pending_fd(const bkp_pending *p);
const char *bkp_pending_path(const bkp_pending *p);
const char *bkp_pending_id(const bkp_pending *p);

/** Finish: fsync and rename the archive to "<id>.tar.zst", fsync the directory, add entry (its id,
 * archive and size_bytes are filled here) to the catalog and rewrite it atomically. On any failure
 * (a full disk included) the archive is removed and the catalog is unchanged. Frees pending either
 * way. entry is updated with what was recorded. */
int bkp_store_commit(bkp_store *store, bkp_pending *pending, bkp_entry *entry, repl_error *err);
/** Abandon: close and remove the temporary file, free pending. NULL is a no-op. */
void bkp_store_abort(bkp_store *store, bkp_pending *pending);

/** Write the catalog (a list of entries) atomically into dir/catalog.json. Exposed for tests. */
int bkp_store_write_catalog(const char *dir, const bkp_entry *entries, size_t count,
                            repl_error *err);

#endif
