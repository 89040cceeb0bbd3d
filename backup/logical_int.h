/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/logical_int.h - private to the logical dump (logical_dump.c, logical_table.c,
 * logical_schema.c, logical_objects.c): the dump context shared by the control thread and the
 * workers, the table list and the task queue. */
#ifndef BKP_LOGICAL_INT_H
#define BKP_LOGICAL_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "backup/logical.h"
#include "replicator/base/buf.h"

/** One table to dump. Fixed after the listing, except the counters (guarded by bkp_ld.lock). */
typedef struct bkp_ld_table {
    char *schema;
    char *name;
    char *engine;
    int is_sequence;
    int transactional;
    uint64_t est_rows;  /* information_schema TABLE_ROWS */
    repl_buf select;    /* the select list, NUL-terminated ("`a`,CAST(`f` AS DOUBLE)") */
    char *pk;           /* the single integer key column used for ranges, or NULL */
    int pk_count;       /* columns in the primary key */
    size_t info;        /* index of its bkp_table_info in the manifest */
    uint32_t next_file; /* next data file number (lock) */
} bkp_ld_table;

/** A unit of work: a whole table, or one key range of it. */
typedef struct bkp_ld_task {
    size_t table;
    int ranged;    /* 1: WHERE pk BETWEEN lo AND hi */
    int may_split; /* a whole-table task that may still be split into ranges */
    char lo[24];
    char hi[24];
} bkp_ld_task;

typedef struct bkp_ld {
    const bkp_logical_options *o;
    bkp_archive_writer *w;
    bkp_manifest *m; /* guarded by lock while workers run */
    MYSQL *control;
    MYSQL **conns; /* one per worker, each inside the shared snapshot */
    unsigned n_conns;
    bkp_ld_table *tables;
    size_t n_tables;
    char **schemas;
    size_t n_schemas;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bkp_ld_task *queue;
    size_t q_head;
    size_t q_len;
    size_t q_cap;
    unsigned busy; /* workers running a task (they may still queue more) */
    int failed;
    repl_error first_err; /* the first worker error */
    json_t *seq_states;   /* [{schema, name, next, round}] read under the lock */
} bkp_ld;

/* logical_schema.c */
/** List the schemas to dump (include/exclude applied) and their tables and columns. */
int bkp_ld_list(bkp_ld *d, repl_error *err);
/** Write the CREATE DATABASE and CREATE TABLE entries of every listed schema and table. */
int bkp_ld_write_ddl(bkp_ld *d, repl_error *err);

/* logical_objects.c */
/** Read the sequences' states into d->seq_states (call under the read lock). */
int bkp_ld_read_sequences(bkp_ld *d, repl_error *err);
/** Write objects/<schema>.json for every schema: sequence states, routines, views, triggers,
 * events. */
int bkp_ld_write_objects(bkp_ld *d, repl_error *err);

/* logical_table.c */
/** Run the tasks of the tables selected by transactional (0 or 1) on all workers; blocks. */
int bkp_ld_run(bkp_ld *d, int transactional, repl_error *err);

/** Encode schema/table as "<dir>/<schema>/<table>" in b (NUL-terminated), names escaped. */
void bkp_ld_entry_name(repl_buf *b, const char *dir, const char *schema, const char *table,
                       const char *suffix);

#endif
