/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/manifest.h - manifest.json, the last entry of every backup archive: what the backup is
 * (id, service, method, server version, times), its replication position, every other entry of the
 * archive with its kind, size, row count and CRC32C, and for logical backups the tables with the
 * columns their data files hold. Format in docs/backup.md. A manifest is built by one thread at a
 * time (the dump serialises additions) and read-only once parsed. */
#ifndef BKP_MANIFEST_H
#define BKP_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "backup/position.h"
#include "backup/store.h"
#include "replicator/base/error.h"

#define BKP_MANIFEST_NAME   "manifest.json"
#define BKP_MANIFEST_FORMAT 1

/** One archive entry. */
typedef struct bkp_file_info {
    char *name;    /* entry name ("data/sbtest/sbtest1.000000.tsv") */
    char kind[16]; /* "database", "table", "data", "objects", "xbstream" */
    char *schema;  /* NULL when not about one schema */
    char *table;   /* NULL when not about one table */
    uint64_t bytes;
    uint64_t rows; /* data files: rows in the file */
    uint32_t crc32c;
} bkp_file_info;

/** One dumped table or sequence (logical backups). */
typedef struct bkp_table_info {
    char *schema;
    char *name;
    char kind[16]; /* "table" or "sequence" */
    char *engine;
    size_t n_columns;
    char **columns; /* columns of its data files, in file order (generated columns left out) */
    uint64_t rows;  /* rows dumped */
    uint32_t files; /* data files */
} bkp_table_info;

typedef struct bkp_manifest {
    int format;
    char id[BKP_ID_MAX];
    char service[64];
    char method[16]; /* "logical" or "physical" */
    char server_version[128];
    int64_t created_us;
    int64_t finished_us;
    uint32_t threads;
    bkp_position position;
    bkp_channel_pos *channels; /* slave backups: trep_commit_seqno rows */
    size_t n_channels;
    bkp_file_info *files;
    size_t n_files;
    size_t files_cap;
    bkp_table_info *tables;
    size_t n_tables;
    size_t tables_cap;
    bkp_file_info **by_name; /* sorted index built by bkp_manifest_find_file */
} bkp_manifest;

/** New empty manifest (format set, position empty). Aborts on OOM. */
bkp_manifest *bkp_manifest_new(void);
void bkp_manifest_free(bkp_manifest *m);

/** Append a file record (strings copied; schema/table may be NULL). Not thread-safe. Returns it
 * (valid until the next addition). */
bkp_file_info *bkp_manifest_add_file(bkp_manifest *m, const char *name, const char *kind,
                                     const char *schema, const char *table, uint64_t bytes,
                                     uint64_t rows, uint32_t crc32c);
/** Append a table record with no columns yet (strings copied). Not thread-safe. */
bkp_table_info *bkp_manifest_add_table(bkp_manifest *m, const char *schema, const char *name,
                                       const char *kind, const char *engine);
/** Append a column name to t. */
void bkp_table_add_column(bkp_table_info *t, const char *column);

/** The file record named name, or NULL. Builds a sorted index on first use; do not add files
 * afterwards. */
const bkp_file_info *bkp_manifest_find_file(bkp_manifest *m, const char *name);
/** The table record (schema, name), or NULL. */
const bkp_table_info *bkp_manifest_find_table(const bkp_manifest *m, const char *schema,
                                              const char *name);

/** The manifest as JSON text (malloc'ed: release with free). Aborts on OOM. */
char *bkp_manifest_format(const bkp_manifest *m);
/** Parse and validate manifest JSON: known format, method and kinds, safe unique entry names,
 * tables referenced by data files present. REPL_ERR_CORRUPT with the reason. */
int bkp_manifest_parse(bkp_manifest **out, const char *text, size_t len, repl_error *err);

#endif
