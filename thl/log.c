/* SPDX-License-Identifier: GPL-2.0-or-later */
/* thl/log.c - the THL store on LMDB: options, open (environment, named tables, meta checks, crash
 * recovery of a torn tail), close, state, and the helpers the writer (log_write.c), readers
 * (log_read.c) and indexes (log_index.c) share. Owns the MDB_env; knows the record format only
 * through thl/record.h. The table layout is in docs/thl-format.md ("LMDB layout"). */
#include "thl/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "replicator/base/clock.h"
#include "replicator/base/log.h"
#include "replicator/base/mem.h"
#include "replicator/base/rd.h"
#include "thl/log_int.h"

void thl_log_options_init(thl_log_options *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->sync = THL_SYNC_COMMIT;
    opts->map_bytes = (uint64_t)64 << 30;
    opts->group_max_events = 1000;
    opts->group_max_bytes = (uint64_t)4 << 20;
    opts->group_max_ms = 20;
    thl_codec_options_init(&opts->codec);
}

int thl_sync_mode_parse(const char *name)
{
    if (name == NULL)
        return -1;
    if (strcmp(name, "commit") == 0)
        return THL_SYNC_COMMIT;
    if (strcmp(name, "batch") == 0)
        return THL_SYNC_BATCH;
    if (strcmp(name, "none") == 0)
        return THL_SYNC_NONE;
    return -1;
}

uint64_t thl_log_be64(const void *p)
{
    repl_rd r;
    rd_init(&r, p, 8);
    return rd_u64be(&r);
}

int thl_log_key_parse(const MDB_val *key, uint64_t *seqno, uint16_t *fragno)
{
    repl_rd r;
    if (key->mv_size != THL_LOG_KEY_LEN)
        return 0;
    rd_init(&r, key->mv_data, key->mv_size);
    *seqno = rd_u64be(&r);
    *fragno = rd_u16be(&r);
    return rd_ok(&r);
}

/* "64.0 GiB", "256.0 KiB": for messages */
static void log_format_size(char *out, size_t out_len, uint64_t bytes)
{
    if (bytes >= ((uint64_t)1 << 30))
        snprintf(out, out_len, "%.1f GiB", (double)bytes / (double)((uint64_t)1 << 30));
    else if (bytes >= ((uint64_t)1 << 20))
        snprintf(out, out_len, "%.1f MiB", (double)bytes / (double)((uint64_t)1 << 20));
    else
        snprintf(out, out_len, "%.1f KiB", (double)bytes / 1024.0);
}

int thl_log_mdb_error(thl_log *log, repl_error *err, int rc, const char *what)
{
    char size[32];
    MDB_envinfo info;
    int code;
    if (rc == MDB_MAP_FULL) {
        memset(&info, 0, sizeof(info));
        mdb_env_info(log->env, &info);
        log_format_size(size, sizeof(size), (uint64_t)info.me_mapsize);
        code =
            repl_error_set(err, REPL_ERR_FULL,
                           "thl: %s: map full (%s): raise thl map size or purge", log->dir, size);
    } else if (rc == ENOSPC || rc == EDQUOT) {
        code = repl_error_set(err, REPL_ERR_FULL, "thl: %s: disk full (%s): %s", log->dir, what,
                              mdb_strerror(rc));
    } else {
        code =
            repl_error_set(err, REPL_ERR_IO, "thl: %s: %s: %s", log->dir, what, mdb_strerror(rc));
    }
    if (err != NULL)
        err->sys_errno = rc;
    return code;
}

int thl_log_txn_begin(thl_log *log, MDB_txn **out, unsigned flags, repl_error *err)
{
    int rc = mdb_txn_begin(log->env, NULL, flags, out);
    if (rc == MDB_MAP_RESIZED && (flags & MDB_RDONLY)) {
        /* another process grew the map: adopt its size and retry once */
        rc = mdb_env_set_mapsize(log->env, 0);
        if (rc == 0)
            rc = mdb_txn_begin(log->env, NULL, flags, out);
    }
    if (rc != 0) {
        *out = NULL;
        return thl_log_mdb_error(log, err, rc, "begin transaction");
    }
    return REPL_OK;
}

int thl_log_record_check(thl_record_header *out, uint64_t seqno, uint16_t fragno,
                         const MDB_val *val, repl_error *err)
{
    int rc = thl_record_parse_header(out, val->mv_data, val->mv_size, err);
    if (rc != REPL_OK)
        return rc;
    if (out->seqno != seqno || out->fragno != fragno) {
        return repl_error_set(err, REPL_ERR_CORRUPT,
                              "thl: record stored at seqno=%llu fragno=%u says seqno=%llu "
                              "fragno=%u",
                              (unsigned long long)seqno, fragno, (unsigned long long)out->seqno,
                              out->fragno);
    }
    return REPL_OK;
}

int thl_log_meta_get(thl_log *log, MDB_txn *txn, const char *key, char *out, size_t out_len,
                     repl_error *err)
{
    MDB_val k = { strlen(key), (void *)key };
    MDB_val v;
    size_t n;
    int rc = mdb_get(txn, log->db_meta, &k, &v);
    if (rc == MDB_NOTFOUND)
        return REPL_ERR_NOTFOUND;
    if (rc != 0)
        return thl_log_mdb_error(log, err, rc, "read meta");
    n = v.mv_size < out_len - 1 ? v.mv_size : out_len - 1;
    memcpy(out, v.mv_data, n);
    out[n] = '\0';
    return REPL_OK;
}

int thl_log_meta_put(thl_log *log, MDB_txn *txn, const char *key, const char *value,
                     repl_error *err)
{
    MDB_val k = { strlen(key), (void *)key };
    MDB_val v = { strlen(value), (void *)value };
    int rc = mdb_put(txn, log->db_meta, &k, &v, 0);
    if (rc != 0)
        return thl_log_mdb_error(log, err, rc, "write meta");
    return REPL_OK;
}

void thl_log_publish(thl_log *log, int has_committed, uint64_t committed_max)
{
    pthread_mutex_lock(&log->mu);
    log->has_committed = has_committed;
    log->committed_max = committed_max;
    log->gen++;
    pthread_cond_broadcast(&log->cond);
    pthread_mutex_unlock(&log->mu);
}

/* ---- tail ---- */

/* Header of the record under mc; fills the complete_* fields of out when it ends a transaction. */
static int log_tail_complete(thl_log_tail *out, MDB_val *k, MDB_val *v, repl_error *err)
{
    thl_record_header h;
    uint64_t seqno;
    uint16_t fragno;
    int rc;
    if (!thl_log_key_parse(k, &seqno, &fragno))
        return repl_error_set(err, REPL_ERR_CORRUPT, "thl: bad records key (%zu bytes)",
                              k->mv_size);
    rc = thl_log_record_check(&h, seqno, fragno, v, err);
    if (rc != REPL_OK)
        return rc;
    if (!(h.flags & THL_EV_LAST_FRAG))
        return REPL_ERR_NOTFOUND;
    out->have_complete = 1;
    out->complete_seqno = seqno;
    out->complete_epoch = h.epoch;
    memcpy(out->complete_event_id, h.event_id, h.event_id_len);
    out->complete_event_id[h.event_id_len] = '\0';
    return REPL_OK;
}

/* The tail is an unfinished seqno: its predecessor must be a complete transaction (or absent). */
static int log_tail_before(thl_log *log, MDB_cursor *mc, thl_log_tail *out, repl_error *err)
{
    uint8_t kb[THL_LOG_KEY_LEN];
    MDB_val k = { sizeof(kb), kb };
    MDB_val v;
    int rc;
    thl_log_key_make(kb, out->seqno, 0);
    rc = mdb_cursor_get(mc, &k, &v, MDB_SET_RANGE);
    if (rc == 0)
        rc = mdb_cursor_get(mc, &k, &v, MDB_PREV);
    if (rc == MDB_NOTFOUND)
        return REPL_OK;
    if (rc != 0)
        return thl_log_mdb_error(log, err, rc, "read records");
    rc = log_tail_complete(out, &k, &v, err);
    if (rc == REPL_ERR_NOTFOUND) {
        return repl_error_set(err, REPL_ERR_CORRUPT,
                              "thl: %s: seqno %llu is followed by seqno %llu without its last "
                              "fragment",
                              log->dir, (unsigned long long)out->seqno - 1,
                              (unsigned long long)out->seqno);
    }
    return rc;
}

int thl_log_tail_read(thl_log *log, MDB_txn *txn, thl_log_tail *out, repl_error *err)
{
    MDB_cursor *mc = NULL;
    MDB_val k;
    MDB_val v;
    int rc;
    memset(out, 0, sizeof(*out));
    rc = mdb_cursor_open(txn, log->db_records, &mc);
    if (rc != 0)
        return thl_log_mdb_error(log, err, rc, "open cursor");
    rc = mdb_cursor_get(mc, &k, &v, MDB_LAST);
    if (rc != 0) {
        rc = rc == MDB_NOTFOUND ? REPL_OK : thl_log_mdb_error(log, err, rc, "read records");
        goto cleanup;
    }
    out->have = thl_log_key_parse(&k, &out->seqno, &out->fragno);
    rc = log_tail_complete(out, &k, &v, err);
    out->last = rc == REPL_OK;
    if (rc == REPL_ERR_NOTFOUND)
        rc = log_tail_before(log, mc, out, err);
cleanup:
    mdb_cursor_close(mc);
    return rc;
}

/* ---- recovery ---- */

/* Delete the record under mc and any index entry it wrote. */
static int log_drop_one(thl_log *log, MDB_txn *txn, MDB_cursor *mc, uint64_t seqno,
                        const MDB_val *v, repl_error *err)
{
    thl_record_header h;
    int rc;
    if (thl_record_parse_header(&h, v->mv_data, v->mv_size, NULL) == REPL_OK) {
        rc = thl_log_index_del(log, txn, seqno, h.event_id, h.event_id_len, err);
        if (rc != REPL_OK)
            return rc;
    }
    rc = mdb_cursor_del(mc, 0);
    if (rc != 0)
        return thl_log_mdb_error(log, err, rc, "drop torn tail");
    return REPL_OK;
}

/* Delete every fragment of seqno. */
static int log_drop_seqno(thl_log *log, MDB_txn *txn, uint64_t seqno, size_t *count,
                          repl_error *err)
{
    MDB_cursor *mc = NULL;
    uint8_t kb[THL_LOG_KEY_LEN];
    MDB_val k = { sizeof(kb), kb };
    MDB_val v;
    uint64_t s;
    uint16_t f;
    int rc = REPL_OK;
    int mrc = mdb_cursor_open(txn, log->db_records, &mc);
    if (mrc != 0)
        return thl_log_mdb_error(log, err, mrc, "open cursor");
    thl_log_key_make(kb, seqno, 0);
    mrc = mdb_cursor_get(mc, &k, &v, MDB_SET_RANGE);
    while (mrc == 0 && thl_log_key_parse(&k, &s, &f) && s == seqno) {
        rc = log_drop_one(log, txn, mc, seqno, &v, err);
        if (rc != REPL_OK)
            goto cleanup;
        (*count)++;
        mrc = mdb_cursor_get(mc, &k, &v, MDB_NEXT);
    }
    if (mrc != 0 && mrc != MDB_NOTFOUND)
        rc = thl_log_mdb_error(log, err, mrc, "drop torn tail");
cleanup:
    mdb_cursor_close(mc);
    return rc;
}

static void log_tail_apply(thl_log *log, const thl_log_tail *t, int any_start)
{
    log->have_tail = t->have;
    log->tail_seqno = t->seqno;
    log->tail_fragno = t->fragno;
    log->tail_last = t->last;
    log->has_epoch = t->have_complete;
    log->last_epoch = t->complete_epoch;
    log->any_start = any_start;
    log->broken = 0;
    thl_log_publish(log, t->have_complete, t->complete_seqno);
}

/* In a write txn: drop a torn tail, then load it. Caller holds wmu (or owns the log). */
static int log_recover_txn(thl_log *log, MDB_txn *txn, thl_log_tail *t, int *any_start,
                           repl_error *err)
{
    char flag[8];
    size_t dropped = 0;
    int rc = thl_log_tail_read(log, txn, t, err);
    if (rc == REPL_OK && t->have && !t->last) {
        rc = log_drop_seqno(log, txn, t->seqno, &dropped, err);
        if (rc == REPL_OK) {
            REPL_LOG_WARN(THL_LOG_COMPONENT,
                          "thl: dir=%s removed %zu committed fragment(s) of unfinished "
                          "seqno=%llu (torn tail)",
                          log->dir, dropped, (unsigned long long)t->seqno);
            rc = thl_log_tail_read(log, txn, t, err);
        }
    }
    if (rc != REPL_OK)
        return rc;
    rc = thl_log_meta_get(log, txn, "reset", flag, sizeof(flag), err);
    *any_start = rc == REPL_OK;
    return rc == REPL_ERR_NOTFOUND ? REPL_OK : rc;
}

int thl_log_recover(thl_log *log, repl_error *err)
{
    MDB_txn *txn = NULL;
    thl_log_tail t;
    int any_start = 0;
    int rc = thl_log_txn_begin(log, &txn, 0, err);
    if (rc != REPL_OK)
        return rc;
    rc = log_recover_txn(log, txn, &t, &any_start, err);
    if (rc != REPL_OK) {
        mdb_txn_abort(txn);
        return rc;
    }
    rc = mdb_txn_commit(txn);
    if (rc != 0)
        return thl_log_mdb_error(log, err, rc, "commit recovery");
    log_tail_apply(log, &t, any_start);
    return REPL_OK;
}

/* ---- open / close ---- */

static int log_mkdirs(const char *dir, repl_error *err)
{
    char path[4096];
    size_t len = strlen(dir);
    if (len >= sizeof(path))
        return repl_error_set(err, REPL_ERR_INVALID, "thl: directory name too long: %s", dir);
    memcpy(path, dir, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        path[i] = '\0';
        if (mkdir(path, 0750) != 0 && errno != EEXIST)
            return repl_error_sys(err, REPL_ERR_IO, errno, "thl: create directory %s", path);
        path[i] = dir[i];
    }
    return REPL_OK;
}

static thl_log *log_new(const thl_log_options *opts)
{
    thl_log *log = repl_calloc(1, sizeof(*log));
    log->opts = *opts;
    /* one LMDB write transaction must stay far below its dirty-page limit (MDB_TXN_FULL) */
    if (log->opts.group_max_bytes > THL_LOG_GROUP_MAX_BYTES)
        log->opts.group_max_bytes = THL_LOG_GROUP_MAX_BYTES;
    log->opts.dir = NULL;
    log->opts.service = NULL;
    log->dir = repl_strdup(opts->dir);
    log->read_only = opts->read_only;
    log->refs = 1;
    pthread_mutex_init(&log->wmu, NULL);
    pthread_mutex_init(&log->mu, NULL);
    pthread_cond_init(&log->cond, NULL);
    atomic_init(&log->closing_flag, 0);
    atomic_init(&log->resets, 0);
    repl_buf_init(&log->pend_buf);
    return log;
}

static void log_free(thl_log *log)
{
    if (log == NULL)
        return;
    if (log->env != NULL)
        mdb_env_close(log->env);
    pthread_mutex_destroy(&log->wmu);
    pthread_mutex_destroy(&log->mu);
    pthread_cond_destroy(&log->cond);
    repl_buf_dispose(&log->pend_buf);
    repl_free(log->pend);
    repl_free(log->pend_epochs);
    repl_free(log->dir);
    repl_free(log);
}

static int log_env_open(thl_log *log, repl_error *err)
{
    unsigned flags = MDB_NOTLS;
    int dead = 0;
    int rc = mdb_env_create(&log->env);
    if (rc != 0)
        return thl_log_mdb_error(log, err, rc, "create environment");
    mdb_env_set_maxdbs(log->env, 8);
    mdb_env_set_maxreaders(log->env, THL_LOG_MAX_READERS);
    if (log->read_only)
        flags |= MDB_RDONLY;
    else
        rc = mdb_env_set_mapsize(log->env, (size_t)log->opts.map_bytes);
    if (rc != 0)
        return thl_log_mdb_error(log, err, rc, "set map size");
    if (log->opts.sync == THL_SYNC_NONE)
        flags |= MDB_NOSYNC | MDB_NOMETASYNC;
    rc = mdb_env_open(log->env, log->dir, flags, 0640);
    if (rc != 0)
        return thl_log_mdb_error(log, err, rc, "open environment");
    if (!log->read_only)
        mdb_reader_check(log->env, &dead);
    if (dead > 0)
        REPL_LOG_INFO(THL_LOG_COMPONENT, "thl: dir=%s cleared %d stale reader slot(s)", log->dir,
                      dead);
    return REPL_OK;
}

static int log_dbi_open(thl_log *log, MDB_txn *txn, const char *name, MDB_dbi *out, repl_error *err)
{
    int rc = mdb_dbi_open(txn, name, log->read_only ? 0 : MDB_CREATE, out);
    if (rc == MDB_NOTFOUND)
        return repl_error_set(err, REPL_ERR_NOTFOUND, "thl: %s: not a THL (no table %s)", log->dir,
                              name);
    if (rc != 0)
        return thl_log_mdb_error(log, err, rc, "open table");
    return REPL_OK;
}

/* Check (or, for a writer, record) the format version and the service name. */
static int log_meta_check(thl_log *log, MDB_txn *txn, const char *service, repl_error *err)
{
    char val[256];
    int rc = thl_log_meta_get(log, txn, "version", val, sizeof(val), err);
    if (rc == REPL_OK && strcmp(val, THL_LOG_FORMAT_VERSION) != 0)
        return repl_error_set(err, REPL_ERR_INVALID, "thl: %s: unsupported THL format version %s",
                              log->dir, val);
    if (rc == REPL_ERR_NOTFOUND && !log->read_only)
        rc = thl_log_meta_put(log, txn, "version", THL_LOG_FORMAT_VERSION, err);
    if (rc != REPL_OK && rc != REPL_ERR_NOTFOUND)
        return rc;
    if (service == NULL || service[0] == '\0')
        return REPL_OK;
    rc = thl_log_meta_get(log, txn, "service", val, sizeof(val), err);
    if (rc == REPL_OK && strcmp(val, service) != 0)
        return repl_error_set(err, REPL_ERR_INVALID, "thl: %s belongs to service %s, not %s",
                              log->dir, val, service);
    if (rc == REPL_ERR_NOTFOUND && !log->read_only)
        return thl_log_meta_put(log, txn, "service", service, err);
    return rc == REPL_ERR_NOTFOUND ? REPL_OK : rc;
}

static int log_tables_open(thl_log *log, const char *service, repl_error *err)
{
    MDB_txn *txn = NULL;
    int rc = thl_log_txn_begin(log, &txn, log->read_only ? MDB_RDONLY : 0, err);
    if (rc != REPL_OK)
        return rc;
    rc = log_dbi_open(log, txn, "records", &log->db_records, err);
    if (rc == REPL_OK)
        rc = log_dbi_open(log, txn, "pos", &log->db_pos, err);
    if (rc == REPL_OK)
        rc = log_dbi_open(log, txn, "gtid", &log->db_gtid, err);
    if (rc == REPL_OK)
        rc = log_dbi_open(log, txn, "epochs", &log->db_epochs, err);
    if (rc == REPL_OK)
        rc = log_dbi_open(log, txn, "meta", &log->db_meta, err);
    if (rc == REPL_OK)
        rc = log_meta_check(log, txn, service, err);
    if (rc != REPL_OK) {
        mdb_txn_abort(txn);
        return rc;
    }
    rc = mdb_txn_commit(txn);
    if (rc != 0)
        return thl_log_mdb_error(log, err, rc, "commit tables");
    return REPL_OK;
}

/* Read-only handle: the committed max comes from the db (and is refreshed while waiting). */
static int log_load_committed(thl_log *log, repl_error *err)
{
    MDB_txn *txn = NULL;
    thl_log_tail t;
    repl_error tail_err;
    int rc = thl_log_txn_begin(log, &txn, MDB_RDONLY, err);
    if (rc != REPL_OK)
        return rc;
    rc = thl_log_tail_read(log, txn, &t, &tail_err);
    mdb_txn_abort(txn);
    if (rc != REPL_OK) {
        /* let a reader open a damaged log (thl check); cursors and state report the damage */
        REPL_LOG_WARN(THL_LOG_COMPONENT, "thl: dir=%s read-only open: %s", log->dir, tail_err.msg);
        return REPL_OK;
    }
    thl_log_publish(log, t.have_complete, t.complete_seqno);
    return REPL_OK;
}

int thl_log_open(thl_log **out, const thl_log_options *opts, repl_error *err)
{
    thl_log *log = NULL;
    int rc;
    *out = NULL;
    if (opts->dir == NULL || opts->dir[0] == '\0')
        return repl_error_set(err, REPL_ERR_INVALID, "thl: no THL directory given");
    if (opts->sync != THL_SYNC_COMMIT && opts->sync != THL_SYNC_BATCH &&
        opts->sync != THL_SYNC_NONE)
        return repl_error_set(err, REPL_ERR_INVALID, "thl: bad sync mode %d", (int)opts->sync);
    if (!opts->read_only) {
        rc = log_mkdirs(opts->dir, err);
        if (rc != REPL_OK)
            return rc;
    }
    log = log_new(opts);
    rc = log_env_open(log, err);
    if (rc == REPL_OK)
        rc = log_tables_open(log, opts->service, err);
    if (rc == REPL_OK && log->read_only)
        rc = log_load_committed(log, err);
    else if (rc == REPL_OK)
        rc = thl_log_recover(log, err);
    if (rc != REPL_OK)
        goto cleanup;
    *out = log;
    log = NULL;
cleanup:
    log_free(log);
    return rc;
}

void thl_log_release(thl_log *log)
{
    int last;
    pthread_mutex_lock(&log->mu);
    last = --log->refs == 0;
    pthread_mutex_unlock(&log->mu);
    if (last)
        log_free(log);
}

void thl_log_close(thl_log *log)
{
    repl_error err;
    if (log == NULL)
        return;
    if (!log->read_only && thl_log_commit(log, &err) != REPL_OK)
        REPL_LOG_ERROR(THL_LOG_COMPONENT, "thl: dir=%s close: %s", log->dir, err.msg);
    if (!log->read_only && log->opts.sync == THL_SYNC_NONE)
        mdb_env_sync(log->env, 1);
    pthread_mutex_lock(&log->mu);
    log->closing = 1;
    atomic_store(&log->closing_flag, 1);
    pthread_cond_broadcast(&log->cond);
    while (log->nwait > 0)
        pthread_cond_wait(&log->cond, &log->mu);
    pthread_mutex_unlock(&log->mu);
    thl_log_release(log);
}

/* ---- state ---- */

static int log_state_fill(thl_log *log, MDB_txn *txn, thl_log_state *out, repl_error *err)
{
    thl_log_tail t;
    MDB_cursor *mc = NULL;
    MDB_val k;
    MDB_val v;
    uint16_t fragno;
    int rc = thl_log_tail_read(log, txn, &t, err);
    if (rc != REPL_OK)
        return rc;
    out->empty = !t.have_complete;
    out->max_seqno = t.complete_seqno;
    out->last_epoch = t.complete_epoch;
    memcpy(out->last_event_id, t.complete_event_id, sizeof(out->last_event_id));
    rc = mdb_cursor_open(txn, log->db_records, &mc);
    if (rc == 0)
        rc = mdb_cursor_get(mc, &k, &v, MDB_FIRST);
    if (rc == 0)
        thl_log_key_parse(&k, &out->min_seqno, &fragno);
    mdb_cursor_close(mc);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return thl_log_mdb_error(log, err, rc, "read records");
    if (!t.have_complete)
        return REPL_OK;
    return thl_log_epoch_source(log, txn, t.complete_epoch, out->last_source_id,
                                sizeof(out->last_source_id), err);
}

int thl_log_state_get(thl_log *log, thl_log_state *out, repl_error *err)
{
    MDB_txn *txn = NULL;
    MDB_stat st;
    MDB_envinfo info;
    int rc;
    memset(out, 0, sizeof(*out));
    rc = thl_log_txn_begin(log, &txn, MDB_RDONLY, err);
    if (rc != REPL_OK)
        return rc;
    rc = log_state_fill(log, txn, out, err);
    if (rc == REPL_OK && mdb_stat(txn, log->db_records, &st) == 0 &&
        mdb_env_info(log->env, &info) == 0) {
        out->record_count = st.ms_entries;
        out->used_bytes = ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
        out->map_bytes = info.me_mapsize;
    }
    mdb_txn_abort(txn);
    return rc;
}
