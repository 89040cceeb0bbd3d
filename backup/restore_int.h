/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/restore_int.h - private to the logical restore (logical_restore.c, logical_load.c,
 * logical_apply.c): the restore context, the loader pool fed with extracted data files, and the
 * creation of non-table objects. */
#ifndef BKP_RESTORE_INT_H
#define BKP_RESTORE_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "backup/logical.h"

/** A data file extracted to a temporary file, waiting for a loader. */
typedef struct bkp_rs_job {
    char path[4096];
    const bkp_file_info *file;   /* in the manifest */
    const bkp_table_info *table; /* in the manifest */
} bkp_rs_job;

typedef struct bkp_rs_loader bkp_rs_loader;

typedef struct bkp_rs {
    const bkp_restore_options *o;
    bkp_manifest *m;
    const char *label;
    MYSQL *control;
    bkp_rs_loader *loaders;
    unsigned n_loaders;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bkp_rs_job *jobs; /* ring of n_loaders slots */
    size_t j_head;
    size_t j_len;
    unsigned busy;
    int closing; /* no more jobs will come */
    int failed;
    repl_error first_err;
    uint64_t tmp_seq;
    uint64_t rows_loaded;
    json_t *objects; /* every objects/<schema>.json, applied after the data */
} bkp_rs;

/** Session settings of every restore connection (control and loaders). */
int bkp_rs_session(MYSQL *m, repl_error *err);

/* logical_load.c */
/** Connect and start o->threads loaders. */
int bkp_rs_loaders_start(bkp_rs *rs, repl_error *err);
/** Queue a job (waits for a free slot). REPL_ERR_* of a loader failure already seen. */
int bkp_rs_submit(bkp_rs *rs, const bkp_rs_job *job, repl_error *err);
/** Wait until every queued job is loaded; returns the first loader error if any. */
int bkp_rs_drain(bkp_rs *rs, repl_error *err);
/** Stop and join the loaders (abandon: after the jobs being loaded, without the queued ones),
 * close their connections, remove queued temporary files. */
void bkp_rs_loaders_stop(bkp_rs *rs, int abandon);

/* logical_apply.c */
/** Create routines, views, triggers, events and set sequences from rs->objects. */
int bkp_rs_apply_objects(bkp_rs *rs, repl_error *err);

#endif
