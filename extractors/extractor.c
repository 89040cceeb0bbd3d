/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extractors/extractor.c - the extract stage: raw events (files or the live dump) through the
 * decoder and the transaction assembler into the THL, resuming exactly after the last complete THL
 * transaction. */
#include "extractors/extractor.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "extractors/writer.h"
#include "replicator/base/log.h"
#include "replicator/base/mem.h"

struct ext_extractor {
    thl_log *log;
    ext_extractor_options opts;
    char source_id[256];
    pthread_mutex_t lock; /* guards status and src */
    ext_extractor_status status;
    ext_source *src;
    ext_writer *writer; /* the THL writer thread of the current run */
};

void ext_extractor_options_init(ext_extractor_options *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->fragment_bytes = 1024 * 1024;
    ext_source_options_init(&opts->source);
    opts->start.kind = EXT_START_NOW;
}

ext_extractor *ext_extractor_new(thl_log *log, const ext_extractor_options *opts)
{
    ext_extractor *x = repl_calloc(1, sizeof(*x));
    x->log = log;
    x->opts = *opts;
    if (opts->source_id != NULL && opts->source_id[0] != '\0')
        snprintf(x->source_id, sizeof(x->source_id), "%s", opts->source_id);
    else if (opts->source.socket != NULL && opts->source.socket[0] != '\0')
        snprintf(x->source_id, sizeof(x->source_id), "localhost");
    else
        snprintf(x->source_id, sizeof(x->source_id), "%s:%u", opts->source.host, opts->source.port);
    x->opts.source_id = x->source_id;
    pthread_mutex_init(&x->lock, NULL);
    return x;
}

void ext_extractor_free(ext_extractor *x)
{
    if (x == NULL)
        return;
    pthread_mutex_destroy(&x->lock);
    repl_free(x);
}

void ext_extractor_status_get(ext_extractor *x, ext_extractor_status *out)
{
    pthread_mutex_lock(&x->lock);
    *out = x->status;
    pthread_mutex_unlock(&x->lock);
}

/* The emitter: hand the event to the writer thread (which encodes and appends it). */
static int extractor_emit(void *ctx, thl_event **ev, repl_error *err)
{
    ext_extractor *x = ctx;
    const int last = ((*ev)->flags & THL_EV_LAST_FRAG) != 0;
    const uint64_t seqno = (*ev)->seqno;
    int rc = ext_writer_push(x->writer, ev, err);
    if (rc == REPL_OK && last) {
        pthread_mutex_lock(&x->lock);
        x->status.emitted_seqno = seqno;
        x->status.has_emitted = 1;
        pthread_mutex_unlock(&x->lock);
    }
    return rc;
}

/* On the writer thread, after an append: publish progress. */
static void extractor_appended(void *ctx, const thl_event *ev)
{
    ext_extractor *x = ctx;
    if (!(ev->flags & THL_EV_LAST_FRAG))
        return;
    pthread_mutex_lock(&x->lock);
    x->status.last_seqno = ev->seqno;
    x->status.has_seqno = 1;
    x->status.transactions++;
    x->status.last_source_tstamp_us = ev->source_tstamp_us;
    snprintf(x->status.last_event_id, sizeof(x->status.last_event_id), "%s", ev->event_id);
    pthread_mutex_unlock(&x->lock);
}

/* Where to resume: after the THL's last complete transaction, else opts->start. The epoch of this
 * extraction run is the first seqno it will write (DESIGN.md section 2). */
typedef struct resume_point {
    int from_thl;
    thl_event_id id;
    uint64_t next_seqno;
} resume_point;

static int extractor_resume_point(ext_extractor *x, resume_point *out, repl_error *err)
{
    thl_log_state st;
    int rc;
    memset(out, 0, sizeof(*out));
    rc = thl_log_discard_incomplete(x->log, err);
    if (rc == REPL_OK)
        rc = thl_log_state_get(x->log, &st, err);
    if (rc != REPL_OK)
        return rc;
    if (st.empty)
        return REPL_OK;
    out->from_thl = 1;
    out->next_seqno = st.max_seqno + 1;
    return thl_event_id_parse(&out->id, st.last_event_id, strlen(st.last_event_id), err);
}

static ext_txn *extractor_txn_new(ext_extractor *x, uint64_t next_seqno)
{
    ext_txn_options to;
    memset(&to, 0, sizeof(to));
    to.service = x->opts.service;
    to.source_id = x->source_id;
    to.fragment_bytes = x->opts.fragment_bytes;
    to.first_seqno = next_seqno;
    to.epoch = next_seqno;
    to.emit = extractor_emit;
    to.emit_ctx = x;
    return ext_txn_new(&to);
}

static void extractor_publish_pos(ext_extractor *x, const ext_txn *txn)
{
    ext_txn_stats ts;
    ext_txn_stats_get(txn, &ts);
    pthread_mutex_lock(&x->lock);
    snprintf(x->status.binlog_file, sizeof(x->status.binlog_file), "%s", ts.file);
    x->status.binlog_offset = ts.offset;
    pthread_mutex_unlock(&x->lock);
}

/* Stop the writer after committing what is complete, even when extraction stopped on an error (rc):
 * a later run resumes after it. Returns rc, or the writer's error if rc was OK. */
static int extractor_writer_close(ext_extractor *x, int rc, repl_error *err)
{
    repl_error werr;
    int wrc = ext_writer_close(x->writer, &werr);
    x->writer = NULL;
    if (wrc != REPL_OK && rc == REPL_OK) {
        *err = werr;
        return wrc;
    }
    return rc;
}

/* ---- files ---- */

static const char *path_base(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

/* Decode one file into txn; events that end at or before skip_to are only decoded (format, tables).
 */
static int extract_one_file(ext_extractor *x, ext_decoder *dec, ext_txn *txn, const char *path,
                            uint64_t skip_to, repl_error *err)
{
    ext_binlog_file *f = NULL;
    ext_raw_event raw;
    const ext_event *ev = NULL;
    int rc = ext_binlog_file_open(&f, path, err);
    if (rc != REPL_OK)
        return rc;
    ext_txn_set_file(txn, path);
    while ((rc = ext_binlog_file_next(f, &raw, err)) == 1) {
        rc = ext_decoder_decode(dec, &raw, &ev, err);
        if (rc != REPL_OK)
            break;
        if (raw.offset < skip_to)
            continue;
        rc = ext_txn_feed(txn, dec, ev, err);
        if (rc != REPL_OK)
            break;
    }
    if (rc == 0)
        rc = REPL_OK;
    if (rc == REPL_OK)
        extractor_publish_pos(x, txn);
    ext_binlog_file_close(f);
    return rc;
}

int ext_extractor_run_files(ext_extractor *x, const char *const *paths, size_t npaths,
                            repl_error *err)
{
    resume_point rp;
    ext_decoder *dec = NULL;
    ext_txn *txn = NULL;
    size_t first = 0;
    int rc = extractor_resume_point(x, &rp, err);
    if (rc != REPL_OK)
        return rc;
    if (rp.from_thl) {
        /* files sort by name; skip those that end before the resume point */
        while (first < npaths && strcmp(path_base(paths[first]), rp.id.file) < 0)
            first++;
    }
    rc = ext_writer_open(&x->writer, x->log, extractor_appended, x, err);
    if (rc != REPL_OK)
        return rc;
    dec = ext_decoder_new();
    txn = extractor_txn_new(x, rp.next_seqno);
    for (size_t i = first; i < npaths && rc == REPL_OK; i++) {
        int same = rp.from_thl && strcmp(path_base(paths[i]), rp.id.file) == 0;
        rc = extract_one_file(x, dec, txn, paths[i], same ? rp.id.offset : 0, err);
    }
    if (rc == REPL_OK && ext_txn_open(txn))
        rc = repl_error_set(err, REPL_ERR_CORRUPT,
                            "extract: the last file %s ends inside a transaction",
                            npaths > 0 ? paths[npaths - 1] : "?");
    rc = extractor_writer_close(x, rc, err);
    ext_txn_free(txn);
    ext_decoder_free(dec);
    return rc;
}

/* ---- live ---- */

static int live_connect(ext_extractor *x, const resume_point *rp, repl_error *err)
{
    ext_start start = x->opts.start;
    ext_source *src = NULL;
    int rc = ext_source_open(&src, &x->opts.source, err);
    if (rc != REPL_OK)
        return rc;
    if (!x->opts.skip_preflight)
        rc = ext_source_preflight(src, err);
    if (rc == REPL_OK && rp->from_thl) {
        memset(&start, 0, sizeof(start));
        start.kind = EXT_START_FILE;
        snprintf(start.file, sizeof(start.file), "%s", rp->id.file);
        start.offset = rp->id.offset;
    }
    if (rc == REPL_OK)
        rc = ext_source_dump_start(src, &start, err);
    if (rc != REPL_OK) {
        ext_source_close(src);
        return rc;
    }
    pthread_mutex_lock(&x->lock);
    x->src = src;
    x->status.connected = 1;
    pthread_mutex_unlock(&x->lock);
    return REPL_OK;
}

static void live_disconnect(ext_extractor *x)
{
    pthread_mutex_lock(&x->lock);
    ext_source_close(x->src);
    x->src = NULL;
    x->status.connected = 0;
    pthread_mutex_unlock(&x->lock);
}

void ext_extractor_interrupt(ext_extractor *x)
{
    pthread_mutex_lock(&x->lock);
    if (x->src != NULL)
        ext_source_interrupt(x->src);
    pthread_mutex_unlock(&x->lock);
}

/* Offset of a streamed event in the master's file: its end position minus its length (0 for
 * artificial events, whose end position is 0). */
static uint64_t raw_event_offset(const ext_raw_event *raw)
{
    uint32_t len, end;
    if (raw->len < EXT_EVENT_HEADER_LEN)
        return 0;
    len = (uint32_t)raw->data[9] | (uint32_t)raw->data[10] << 8 | (uint32_t)raw->data[11] << 16 |
          (uint32_t)raw->data[12] << 24;
    end = (uint32_t)raw->data[13] | (uint32_t)raw->data[14] << 8 | (uint32_t)raw->data[15] << 16 |
          (uint32_t)raw->data[16] << 24;
    return end >= len ? end - len : 0;
}

static int live_loop(ext_extractor *x, ext_decoder *dec, ext_txn *txn, atomic_int *stop,
                     repl_error *err)
{
    ext_raw_event raw;
    const ext_event *ev = NULL;
    int rc = REPL_OK;
    memset(&raw, 0, sizeof(raw));
    raw.source = ext_source_name(x->src);
    while (!atomic_load(stop)) {
        rc = ext_source_next(x->src, &raw.data, &raw.len, err);
        if (rc != REPL_OK)
            break;
        raw.offset = raw_event_offset(&raw);
        rc = ext_decoder_decode(dec, &raw, &ev, err);
        if (rc != REPL_OK)
            break;
        rc = ext_txn_feed(txn, dec, ev, err);
        if (rc != REPL_OK)
            break;
        extractor_publish_pos(x, txn);
    }
    if (atomic_load(stop))
        rc = REPL_OK;
    return rc;
}

int ext_extractor_run_live(ext_extractor *x, atomic_int *stop, repl_error *err)
{
    resume_point rp;
    ext_decoder *dec = NULL;
    ext_txn *txn = NULL;
    int rc = extractor_resume_point(x, &rp, err);
    if (rc == REPL_OK)
        rc = live_connect(x, &rp, err);
    if (rc != REPL_OK)
        return rc;
    rc = ext_writer_open(&x->writer, x->log, extractor_appended, x, err);
    if (rc != REPL_OK) {
        live_disconnect(x);
        return rc;
    }
    REPL_LOG_INFO("extract", "online source=%s next_seqno=%" PRIu64 " resume=%s:%" PRIu64,
                  ext_source_name(x->src), rp.next_seqno, rp.from_thl ? rp.id.file : "(start)",
                  rp.from_thl ? rp.id.offset : 0);
    dec = ext_decoder_new();
    txn = extractor_txn_new(x, rp.next_seqno);
    rc = live_loop(x, dec, txn, stop, err);
    /* keep what is complete; a partial transaction is re-read after the reconnect */
    rc = extractor_writer_close(x, rc, err);
    live_disconnect(x);
    ext_txn_free(txn);
    ext_decoder_free(dec);
    return rc;
}
