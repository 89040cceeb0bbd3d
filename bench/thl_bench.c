/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench/thl_bench.c - THL store benchmark (run through bench/thl): append rates of small (~200-byte
 * row change) and large (~100 KB) events with each sync mode, sequential read rates with and
 * without decoding, and, as the anchor, the file system's fsync rate (4 KB write + fdatasync) in
 * the same directory. Prints one line per figure and, last, the RESULT line. A program, not library
 * code: it prints. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "extractors/binlog_types.h"
#include "replicator/base/log.h"
#include "replicator/base/mem.h"
#include "thl/log.h"

#define BENCH_LARGE_ROWS 48 /* rows of ~2 KB: ~100 KB per event */

typedef struct bench_opts {
    const char *dir;
    double phase_s;   /* seconds per append phase */
    const char *only; /* run only this phase (profiling); NULL = all */
} bench_opts;

typedef struct bench_result {
    double fsync_per_s;
    double fsync2_per_s;
    double small_batch_eps;
    double small_commit_eps;
    double small_none_eps;
    double large_batch_eps;
    double large_commit_eps;
    double large_none_eps;
    double read_eps;
    double read_decode_eps;
    double small_record_bytes;
    double large_record_bytes;
} bench_result;

static double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void bench_die(const char *what, const repl_error *err)
{
    fprintf(stderr, "thl_bench: %s: %s\n", what, err != NULL ? err->msg : strerror(errno));
    exit(1);
}

static void bench_rmdir(const char *dir)
{
    char p[4096];
    snprintf(p, sizeof(p), "%s/data.mdb", dir);
    unlink(p);
    snprintf(p, sizeof(p), "%s/lock.mdb", dir);
    unlink(p);
    rmdir(dir);
}

/* ---- anchor: the disk's fsync rate ---- */

/* 4 KB write + fdatasync per round; with meta, also a 4 KB O_DSYNC write afterwards: the shape of
 * an LMDB commit (data pages flushed, then the meta page written synchronously: two device
 * flushes). */
static double bench_fsync(const char *dir, double secs, int meta)
{
    char path[4096];
    char block[4096];
    double t0;
    double el;
    long n = 0;
    int fd;
    int mfd;
    snprintf(path, sizeof(path), "%s/fsync.bin", dir);
    memset(block, 'x', sizeof(block));
    fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    mfd = open(path, O_WRONLY | O_DSYNC);
    if (fd < 0 || mfd < 0 || pwrite(fd, block, sizeof(block), 257 * 4096) < 0 || fsync(fd) != 0)
        bench_die(path, NULL);
    t0 = bench_now();
    do {
        if (pwrite(fd, block, sizeof(block), (off_t)(2 + n % 255) * 4096) < 0 || fdatasync(fd) != 0)
            bench_die("fsync loop", NULL);
        if (meta && pwrite(mfd, block, sizeof(block), (off_t)(n % 2) * 4096) < 0)
            bench_die("fsync loop", NULL);
        n++;
        el = bench_now() - t0;
    } while (el < secs);
    close(fd);
    close(mfd);
    unlink(path);
    return (double)n / el;
}

/* ---- events ---- */

static void bench_col(thl_column *c, thl_event *ev, const char *name, uint8_t type, uint32_t len)
{
    c->name = thl_event_strdup(ev, name);
    c->type = type;
    c->length = len;
    c->charset = 45;
}

/* sysbench-like text: groups of 11 digits joined by '-' */
static void bench_text(char *out, size_t len, unsigned *seed)
{
    for (size_t i = 0; i < len; i++)
        out[i] = (i + 1) % 12 == 0 ? '-' : (char)('0' + (unsigned)rand_r(seed) % 10);
}

static void bench_row(thl_event *ev, thl_rows *rows, int64_t id, size_t pad_len, unsigned *seed)
{
    thl_row *row = thl_rows_add_row(ev, rows);
    char c[120];
    char *pad = repl_malloc(pad_len);
    row->after[0].kind = THL_VAL_INT;
    row->after[0].v.i = id;
    row->after[1].kind = THL_VAL_INT;
    row->after[1].v.i = (int64_t)(rand_r(seed) % 100000);
    bench_text(c, sizeof(c), seed);
    thl_value_set_bytes(ev, &row->after[2], THL_VAL_STRING, c, sizeof(c));
    bench_text(pad, pad_len, seed);
    thl_value_set_bytes(ev, &row->after[3], THL_VAL_STRING, pad, pad_len);
    repl_free(pad);
}

/* One INSERT into sbtest.sbtest1 (id, k, c, pad) with nrows rows. */
static thl_event *bench_event(uint32_t nrows, size_t pad_len)
{
    thl_event *ev = thl_event_new();
    thl_rows *rows;
    unsigned seed = 12345;
    ev->flags = THL_EV_LAST_FRAG;
    thl_event_set_ids(ev, "db1:3306", "", "sbtest");
    thl_event_set_meta(ev, "service", "alpha");
    rows = thl_event_add_rows(ev, "sbtest", "sbtest1", THL_ROW_INSERT, 4);
    bench_col(&rows->cols[0], ev, "id", EXT_COL_LONG, 11);
    rows->cols[0].flags = THL_COL_PK;
    bench_col(&rows->cols[1], ev, "k", EXT_COL_LONG, 11);
    bench_col(&rows->cols[2], ev, "c", EXT_COL_STRING, 480);
    bench_col(&rows->cols[3], ev, "pad", pad_len > 255 ? EXT_COL_BLOB : EXT_COL_STRING,
              (uint32_t)pad_len * 4);
    for (uint32_t i = 0; i < nrows; i++)
        bench_row(ev, rows, (int64_t)i + 1, pad_len, &seed);
    return ev;
}

/* ---- append ---- */

static thl_log *bench_open(const char *dir, thl_sync_mode sync, int read_only)
{
    thl_log_options o;
    thl_log *log = NULL;
    repl_error err;
    thl_log_options_init(&o);
    o.dir = dir;
    o.service = "bench";
    o.sync = sync;
    o.read_only = read_only;
    if (thl_log_open(&log, &o, &err) != REPL_OK)
        bench_die("open", &err);
    return log;
}

/* Append copies of ev for secs seconds (or max events); returns events per second. */
static double bench_append(const char *dir, thl_sync_mode sync, thl_event *ev, double secs,
                           uint64_t max, double *record_bytes)
{
    thl_log *log = bench_open(dir, sync, 0);
    thl_log_state st;
    repl_error err;
    char eid[96];
    uint64_t n = 0;
    double t0 = bench_now();
    double el;
    ev->event_id = eid;
    while (n < max) {
        if (n % 64 == 0 && bench_now() - t0 >= secs)
            break;
        ev->seqno = n;
        ev->source_tstamp_us = 1700000000000000 + (int64_t)n;
        snprintf(eid, sizeof(eid), "mysql-bin.%06llu:%llu;0-1-%llu",
                 (unsigned long long)(n / 1000000 + 1), (unsigned long long)(n % 1000000) * 300,
                 (unsigned long long)n + 1);
        if (thl_log_append(log, ev, &err) != REPL_OK)
            bench_die("append", &err);
        n++;
    }
    if (thl_log_commit(log, &err) != REPL_OK)
        bench_die("commit", &err);
    el = bench_now() - t0;
    if (thl_log_state_get(log, &st, &err) != REPL_OK)
        bench_die("state", &err);
    if (record_bytes != NULL)
        *record_bytes = (double)st.used_bytes / (double)n;
    thl_log_close(log);
    ev->event_id = "";
    return (double)n / el;
}

/* ---- read ---- */

static double bench_read(const char *dir, int decode)
{
    thl_log *log = bench_open(dir, THL_SYNC_BATCH, 1);
    thl_cursor *cur = NULL;
    repl_error err;
    const uint8_t *rec;
    size_t len;
    uint64_t n = 0;
    double t0 = bench_now();
    int rc;
    if (thl_cursor_open(&cur, log, 0, &err) != REPL_OK)
        bench_die("cursor", &err);
    for (;;) {
        thl_event *ev = NULL;
        rc = thl_cursor_next(cur, &rec, &len, 0, &err);
        if (rc != REPL_OK)
            break;
        if (decode && thl_record_decode(&ev, rec, len, &err) != REPL_OK)
            bench_die("decode", &err);
        thl_event_free(ev);
        n++;
    }
    if (rc != REPL_ERR_NOTFOUND)
        bench_die("read", &err);
    t0 = bench_now() - t0;
    thl_cursor_close(cur);
    thl_log_close(log);
    return (double)n / t0;
}

/* ---- driver ---- */

static double bench_phase(const bench_opts *o, const char *name, thl_sync_mode sync, thl_event *ev,
                          uint64_t max, double *record_bytes, int keep)
{
    char dir[4096];
    double eps;
    if (o->only != NULL && strcmp(o->only, name) != 0 && !(keep && strcmp(o->only, "read") == 0))
        return 0;
    snprintf(dir, sizeof(dir), "%s/%s", o->dir, name);
    eps = bench_append(dir, sync, ev, o->phase_s, max, record_bytes);
    printf("%-14s %12.0f events/s\n", name, eps);
    fflush(stdout);
    if (!keep)
        bench_rmdir(dir);
    return eps;
}

static void bench_run(const bench_opts *o, bench_result *r)
{
    thl_event *small = bench_event(1, 60);
    thl_event *large = bench_event(BENCH_LARGE_ROWS, 1900);
    char dir[4096];
    double fsync_before = 0;
    double fsync2_before = 0;
    if (o->only == NULL) {
        fsync_before = bench_fsync(o->dir, 1.0, 0);
        fsync2_before = bench_fsync(o->dir, 1.0, 1);
    }
    r->small_commit_eps =
        bench_phase(o, "small_commit", THL_SYNC_COMMIT, small, UINT64_MAX, NULL, 0);
    r->large_commit_eps =
        bench_phase(o, "large_commit", THL_SYNC_COMMIT, large, UINT64_MAX, NULL, 0);
    /* the disk is shared: measure the anchors on both sides of the durable phases */
    if (o->only == NULL) {
        r->fsync_per_s = (fsync_before + bench_fsync(o->dir, 1.0, 0)) / 2;
        r->fsync2_per_s = (fsync2_before + bench_fsync(o->dir, 1.0, 1)) / 2;
    }
    printf("%-14s %12.0f fsync/s (4 KB write + fdatasync)\n", "fsync", r->fsync_per_s);
    printf("%-14s %12.0f rounds/s (4 KB write + fdatasync + 4 KB O_DSYNC write: an LMDB commit's "
           "two flushes)\n",
           "fsync2", r->fsync2_per_s);
    r->small_none_eps = bench_phase(o, "small_none", THL_SYNC_NONE, small, UINT64_MAX, NULL, 0);
    r->large_none_eps = bench_phase(o, "large_none", THL_SYNC_NONE, large, 20000, NULL, 0);
    r->large_batch_eps =
        bench_phase(o, "large_batch", THL_SYNC_BATCH, large, 20000, &r->large_record_bytes, 0);
    r->small_batch_eps =
        bench_phase(o, "small_batch", THL_SYNC_BATCH, small, UINT64_MAX, &r->small_record_bytes, 1);
    snprintf(dir, sizeof(dir), "%s/small_batch", o->dir);
    if (o->only != NULL && strcmp(o->only, "read") != 0) {
        bench_rmdir(dir);
        goto cleanup;
    }
    r->read_eps = bench_read(dir, 0);
    printf("%-14s %12.0f records/s (cursor, header+CRC checked)\n", "read", r->read_eps);
    r->read_decode_eps = bench_read(dir, 1);
    printf("%-14s %12.0f records/s (cursor + thl_record_decode)\n", "read_decode",
           r->read_decode_eps);
    bench_rmdir(dir);
    printf("stored bytes per event (LMDB pages incl. indexes): small %.0f, large %.0f\n",
           r->small_record_bytes, r->large_record_bytes);
cleanup:
    thl_event_free(small);
    thl_event_free(large);
}

int main(int argc, char **argv)
{
    bench_opts o = { NULL, 3.0, NULL };
    bench_result r;
    int c;
    for (;;) {
        c = getopt(argc, argv, "d:s:p:");
        if (c == -1)
            break;
        if (c == 'd')
            o.dir = optarg;
        else if (c == 'p')
            o.only = optarg;
        else if (c == 's')
            o.phase_s = atof(optarg);
        else
            return 2;
    }
    if (o.dir == NULL) {
        fprintf(stderr, "usage: thl_bench -d DIR [-s SECONDS_PER_PHASE] [-p PHASE]\n"
                        "  PHASE: small_commit small_none small_batch large_commit large_none "
                        "large_batch read\n");
        return 2;
    }
    repl_log_set_level(REPL_LOG_LEVEL_WARN);
    memset(&r, 0, sizeof(r));
    bench_run(&o, &r);
    printf("RESULT name=thl small_batch_eps=%.0f small_commit_eps=%.0f small_none_eps=%.0f "
           "large_batch_eps=%.0f read_eps=%.0f read_decode_eps=%.0f fsync_per_s=%.0f "
           "commit_vs_fsync=%.2f large_commit_eps=%.0f large_none_eps=%.0f fsync2_per_s=%.0f "
           "commit_vs_fsync2=%.2f\n",
           r.small_batch_eps, r.small_commit_eps, r.small_none_eps, r.large_batch_eps, r.read_eps,
           r.read_decode_eps, r.fsync_per_s, r.small_commit_eps / r.fsync_per_s, r.large_commit_eps,
           r.large_none_eps, r.fsync2_per_s, r.small_commit_eps / r.fsync2_per_s);
    return 0;
}
