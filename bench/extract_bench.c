/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench/extract_bench.c - extract stage benchmark (run through bench/extract) over one binlog
 * corpus: a plain read of the files (page cache warm-up and raw read rate); the anchor,
 * `mariadb-binlog -vv --base64-output=decode-rows FILES > /dev/null`, before and after trep's
 * phases; trep's decode rate (every event through ext_decoder_decode and every row value through
 * ext_decoder_rows into a reused thl_event); trep's extract-into-THL rate (ext_extractor_run_files
 * into a fresh THL, sync=batch); the extraction of a binlog holding one big transaction (default
 * 1 MiB fragments). Each trep phase runs in a child process so its peak RSS (getrusage ru_maxrss)
 * is its own. Prints one line per phase and, last, the RESULT line. A program, not library code:
 * it prints. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "extractors/binlog.h"
#include "extractors/extractor.h"
#include "replicator/base/log.h"
#include "replicator/base/mem.h"
#include "thl/log.h"

#define BENCH_MAX_BIG        16
#define BENCH_RESET_BYTES    ((size_t)4 << 20) /* reset the decode target past this much arena */
#define BENCH_READ_BUF_BYTES ((size_t)1 << 20)

typedef struct bench_opts {
    const char *dir;  /* scratch directory for THLs */
    const char *only; /* run only this phase; NULL = all */
    const char *zstd; /* -z: THL codec for diagnosis ("off" or a zstd level); NULL = default */
    const char *const *files;
    size_t nfiles;
    const char *big[BENCH_MAX_BIG];
    size_t nbig;
} bench_opts;

/* What a phase reports back to the parent through a pipe. */
typedef struct bench_phase {
    int ok;
    char msg[600];
    double secs;
    uint64_t bytes;
    uint64_t events;
    uint64_t rows;   /* row changes */
    uint64_t images; /* row images: 1 per INSERT/DELETE row, 2 per UPDATE row */
    uint64_t transactions;
    uint64_t fragments; /* THL records */
    uint64_t thl_bytes; /* LMDB pages in use */
    long rss_kb;        /* ru_maxrss of the phase's process */
    long anon_kb;       /* RssAnon and RssFile at the end of the work (before cleanup) */
    long file_kb;
} bench_phase;

typedef void (*bench_phase_fn)(const bench_opts *o, bench_phase *r);

static double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long bench_maxrss_kb(int who)
{
    struct rusage ru;
    getrusage(who, &ru);
    return ru.ru_maxrss;
}

/* RssAnon (heap, stacks) and RssFile (mapped files: the binary, libraries, LMDB's map) now. */
static void bench_rss_now(bench_phase *r)
{
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "RssAnon:", 8) == 0)
            r->anon_kb = atol(line + 8);
        else if (strncmp(line, "RssFile:", 8) == 0)
            r->file_kb = atol(line + 8);
    }
    fclose(f);
}

static uint64_t bench_file_bytes(const char *const *files, size_t n)
{
    uint64_t total = 0;
    struct stat st;
    for (size_t i = 0; i < n; i++) {
        if (stat(files[i], &st) == 0)
            total += (uint64_t)st.st_size;
    }
    return total;
}

static void bench_fail(bench_phase *r, const char *what, const repl_error *err)
{
    r->ok = 0;
    snprintf(r->msg, sizeof(r->msg), "%s: %s", what, err != NULL ? err->msg : strerror(errno));
}

/* ---- read: page cache warm-up ---- */

static void phase_read(const bench_opts *o, bench_phase *r)
{
    char *buf = repl_malloc(BENCH_READ_BUF_BYTES);
    double t0 = bench_now();
    for (size_t i = 0; i < o->nfiles + o->nbig && r->ok; i++) {
        const char *path = i < o->nfiles ? o->files[i] : o->big[i - o->nfiles];
        int fd = open(path, O_RDONLY);
        ssize_t n = 1;
        if (fd < 0) {
            bench_fail(r, path, NULL);
            break;
        }
        while (n > 0) {
            n = read(fd, buf, BENCH_READ_BUF_BYTES);
            if (n > 0)
                r->bytes += (uint64_t)n;
        }
        if (n < 0)
            bench_fail(r, path, NULL);
        close(fd);
    }
    r->secs = bench_now() - t0;
    repl_free(buf);
}

/* ---- decode: every event, every row value ---- */

static int decode_rows(ext_decoder *dec, const ext_event *ev, thl_event *tev, bench_phase *r,
                       repl_error *err)
{
    thl_rows *rows = NULL;
    int rc;
    if (!ext_event_type_is_rows(ev->type))
        return REPL_OK;
    rc = ext_decoder_rows(dec, ev, tev, &rows, err);
    if (rc != REPL_OK || rows == NULL)
        return rc;
    r->rows += rows->nrows;
    r->images += (uint64_t)rows->nrows * (rows->action == THL_ROW_UPDATE ? 2 : 1);
    if (thl_event_mem_bytes(tev) >= BENCH_RESET_BYTES)
        thl_event_reset(tev);
    return REPL_OK;
}

/* One event, and the inner events of a TRANSACTION_PAYLOAD. */
static int decode_event(ext_decoder *dec, const ext_event *ev, thl_event *tev, bench_phase *r,
                        repl_error *err)
{
    const ext_event *inner = NULL;
    int rc;
    r->events++;
    if (ev->type != EXT_EV_TRANSACTION_PAYLOAD)
        return decode_rows(dec, ev, tev, r, err);
    while ((rc = ext_decoder_next_inner(dec, &inner, err)) == 1) {
        r->events++;
        rc = decode_rows(dec, inner, tev, r, err);
        if (rc != REPL_OK)
            return rc;
    }
    return rc;
}

static int decode_file(ext_decoder *dec, thl_event *tev, const char *path, bench_phase *r,
                       repl_error *err)
{
    ext_binlog_file *f = NULL;
    ext_raw_event raw;
    const ext_event *ev = NULL;
    int rc = ext_binlog_file_open(&f, path, err);
    if (rc != REPL_OK)
        return rc;
    while ((rc = ext_binlog_file_next(f, &raw, err)) == 1) {
        rc = ext_decoder_decode(dec, &raw, &ev, err);
        if (rc == REPL_OK)
            rc = decode_event(dec, ev, tev, r, err);
        if (rc != REPL_OK)
            break;
    }
    ext_binlog_file_close(f);
    return rc < 0 ? rc : REPL_OK;
}

static void phase_decode(const bench_opts *o, bench_phase *r)
{
    ext_decoder *dec = ext_decoder_new();
    thl_event *tev = thl_event_new();
    repl_error err;
    double t0 = bench_now();
    for (size_t i = 0; i < o->nfiles; i++) {
        if (decode_file(dec, tev, o->files[i], r, &err) != REPL_OK) {
            bench_fail(r, "decode", &err);
            break;
        }
    }
    r->secs = bench_now() - t0;
    r->bytes = bench_file_bytes(o->files, o->nfiles);
    bench_rss_now(r);
    thl_event_free(tev);
    ext_decoder_free(dec);
}

/* ---- extract into a THL ---- */

static void bench_rmdir(const char *dir)
{
    char p[4096];
    snprintf(p, sizeof(p), "%s/data.mdb", dir);
    unlink(p);
    snprintf(p, sizeof(p), "%s/lock.mdb", dir);
    unlink(p);
    rmdir(dir);
}

/* A fresh THL in dir: sync=batch with the default group bounds, the codec of -z. */
static thl_log *bench_thl_open(const bench_opts *o, const char *dir, bench_phase *r)
{
    thl_log_options lo;
    thl_log *log = NULL;
    repl_error err;
    bench_rmdir(dir);
    thl_log_options_init(&lo);
    lo.dir = dir;
    lo.service = "bench";
    lo.sync = THL_SYNC_BATCH;
    if (o->zstd != NULL && strcmp(o->zstd, "off") == 0)
        lo.codec.compress_min_bytes = 0;
    else if (o->zstd != NULL)
        lo.codec.zstd_level = atoi(o->zstd);
    if (thl_log_open(&log, &lo, &err) != REPL_OK)
        bench_fail(r, "thl open", &err);
    return log;
}

static void extract_files(const bench_opts *o, const char *dir, const char *const *files, size_t n,
                          bench_phase *r)
{
    thl_log *log = bench_thl_open(o, dir, r);
    ext_extractor_options xo;
    ext_extractor *x = NULL;
    ext_extractor_status xs;
    thl_log_state st;
    repl_error err;
    double t0;
    if (log == NULL)
        return;
    ext_extractor_options_init(&xo);
    xo.service = "bench";
    xo.source_id = "bench:3306";
    x = ext_extractor_new(log, &xo);
    t0 = bench_now();
    if (ext_extractor_run_files(x, files, n, &err) != REPL_OK)
        bench_fail(r, "extract", &err);
    r->secs = bench_now() - t0;
    bench_rss_now(r);
    ext_extractor_status_get(x, &xs);
    r->transactions = xs.transactions;
    if (r->ok && thl_log_state_get(log, &st, &err) == REPL_OK) {
        r->fragments = st.record_count;
        r->thl_bytes = st.used_bytes;
    }
    r->bytes = bench_file_bytes(files, n);
    ext_extractor_free(x);
    thl_log_close(log);
    bench_rmdir(dir);
}

static void phase_extract(const bench_opts *o, bench_phase *r)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/extract", o->dir);
    extract_files(o, dir, o->files, o->nfiles, r);
}

static void phase_bigtxn(const bench_opts *o, bench_phase *r)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/bigtxn", o->dir);
    extract_files(o, dir, o->big, o->nbig, r);
}

/* ---- anchor: mariadb-binlog ---- */

static void anchor_exec(const bench_opts *o)
{
    const char **argv = repl_calloc(o->nfiles + 5, sizeof(*argv));
    size_t k = 0;
    int fd = open("/dev/null", O_WRONLY);
    if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
        _exit(126);
    argv[k++] = "mariadb-binlog";
    argv[k++] = "--no-defaults";
    argv[k++] = "-vv";
    argv[k++] = "--base64-output=decode-rows";
    for (size_t i = 0; i < o->nfiles; i++)
        argv[k++] = o->files[i];
    execvp(argv[0], (char *const *)argv);
    _exit(127);
}

/* Runs in the parent: fork/exec the anchor and take its rusage from wait4. */
static void phase_anchor(const bench_opts *o, bench_phase *r)
{
    struct rusage ru;
    int status = 0;
    double t0 = bench_now();
    pid_t pid = fork();
    if (pid == 0)
        anchor_exec(o);
    if (pid < 0 || wait4(pid, &status, 0, &ru) < 0) {
        bench_fail(r, "mariadb-binlog", NULL);
        return;
    }
    r->secs = bench_now() - t0;
    r->bytes = bench_file_bytes(o->files, o->nfiles);
    r->rss_kb = ru.ru_maxrss;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        r->ok = 0;
        snprintf(r->msg, sizeof(r->msg), "mariadb-binlog failed (wait status %d)", status);
    }
}

/* ---- driver ---- */

/* Run fn in a child process; its result comes back through a pipe. */
static void bench_run_child(const bench_opts *o, bench_phase_fn fn, bench_phase *r)
{
    int fds[2];
    int status = 0;
    pid_t pid = -1;
    memset(r, 0, sizeof(*r));
    r->ok = 1;
    if (pipe(fds) == 0)
        pid = fork();
    if (pid < 0) {
        bench_fail(r, "pipe/fork", NULL);
        return;
    }
    if (pid == 0) {
        close(fds[0]);
        fn(o, r);
        r->rss_kb = bench_maxrss_kb(RUSAGE_SELF);
        _exit(write(fds[1], r, sizeof(*r)) == (ssize_t)sizeof(*r) ? 0 : 1);
    }
    close(fds[1]);
    if (read(fds[0], r, sizeof(*r)) != (ssize_t)sizeof(*r)) {
        r->ok = 0;
        snprintf(r->msg, sizeof(r->msg), "child process died");
    }
    close(fds[0]);
    waitpid(pid, &status, 0);
}

static int bench_want(const bench_opts *o, const char *name)
{
    return o->only == NULL || strcmp(o->only, name) == 0;
}

static double mbps(const bench_phase *r)
{
    return r->secs > 0 ? (double)r->bytes / 1e6 / r->secs : 0;
}

static double per_s(uint64_t n, const bench_phase *r)
{
    return r->secs > 0 ? (double)n / r->secs : 0;
}

static double rss_mb(const bench_phase *r)
{
    return (double)r->rss_kb / 1024.0;
}

static int bench_report(const char *name, const bench_phase *r)
{
    if (!r->ok) {
        fprintf(stderr, "extract_bench: %s: %s\n", name, r->msg);
        return -1;
    }
    printf("%-15s %9.1f MB/s %8.2f s  peak RSS %7.1f MB", name, mbps(r), r->secs, rss_mb(r));
    if (r->anon_kb + r->file_kb > 0)
        printf(" (at the end: anon %.1f MB, file %.1f MB)", (double)r->anon_kb / 1024.0,
               (double)r->file_kb / 1024.0);
    if (r->events > 0)
        printf("  %.0f events/s  %.0f row images/s (%" PRIu64 " events, %" PRIu64 " rows, %" PRIu64
               " images)",
               per_s(r->events, r), per_s(r->images, r), r->events, r->rows, r->images);
    if (r->transactions > 0)
        printf("  %.*f transactions/s (%" PRIu64 " transactions, %" PRIu64
               " THL records, %.0f MB of LMDB pages)",
               per_s(r->transactions, r) < 10 ? 3 : 0, per_s(r->transactions, r), r->transactions,
               r->fragments, (double)r->thl_bytes / 1e6);
    printf("\n");
    fflush(stdout);
    return 0;
}

typedef struct bench_all {
    bench_phase read, anchor, decode, extract, bigtxn;
    bench_phase anchor_before, anchor_after;
} bench_all;

/* The anchor runs before and after trep's decode and extract phases (the machine is shared); its
 * figure is the total bytes over the total time of both runs. */
static int bench_anchor(const bench_opts *o, bench_phase *r, const char *name)
{
    memset(r, 0, sizeof(*r));
    r->ok = 1;
    phase_anchor(o, r);
    return bench_report(name, r);
}

static void bench_anchor_merge(bench_all *a)
{
    const bench_phase *b = &a->anchor_before;
    const bench_phase *c = &a->anchor_after;
    a->anchor = *b;
    a->anchor.bytes = b->bytes + c->bytes;
    a->anchor.secs = b->secs + c->secs;
    a->anchor.rss_kb = b->rss_kb > c->rss_kb ? b->rss_kb : c->rss_kb;
}

static int bench_run(const bench_opts *o, bench_all *a)
{
    int rc = 0;
    int anchor = bench_want(o, "anchor");
    memset(a, 0, sizeof(*a));
    bench_run_child(o, phase_read, &a->read); /* always: warms the page cache */
    rc |= bench_report("read", &a->read);
    if (anchor)
        rc |= bench_anchor(o, &a->anchor_before, "mariadb-binlog");
    if (bench_want(o, "decode")) {
        bench_run_child(o, phase_decode, &a->decode);
        rc |= bench_report("decode", &a->decode);
    }
    if (bench_want(o, "extract")) {
        bench_run_child(o, phase_extract, &a->extract);
        rc |= bench_report("extract", &a->extract);
    }
    if (anchor) {
        rc |= bench_anchor(o, &a->anchor_after, "mariadb-binlog");
        bench_anchor_merge(a);
    }
    if (bench_want(o, "bigtxn") && o->nbig > 0) {
        bench_run_child(o, phase_bigtxn, &a->bigtxn);
        rc |= bench_report("bigtxn", &a->bigtxn);
    }
    return rc;
}

static double ratio(double a, double b)
{
    return b > 0 ? a / b : 0;
}

static void bench_result_line(const bench_opts *o, const bench_all *a)
{
    double anchor = mbps(&a->anchor);
    printf("RESULT name=extract bytes=%" PRIu64 " decode_mbps=%.1f extract_mbps=%.1f "
           "mariadb_binlog_mbps=%.1f decode_vs_mariadb_binlog=%.2f "
           "extract_vs_mariadb_binlog=%.2f decode_rss_mb=%.1f extract_rss_mb=%.1f "
           "bigtxn_rss_mb=%.1f bigtxn_fragments=%" PRIu64 " bigtxn_bytes=%" PRIu64
           " bigtxn_mbps=%.1f decode_events_per_s=%.0f decode_images_per_s=%.0f "
           "extract_txn_per_s=%.0f mariadb_binlog_rss_mb=%.1f read_mbps=%.1f\n",
           bench_file_bytes(o->files, o->nfiles), mbps(&a->decode), mbps(&a->extract), anchor,
           ratio(mbps(&a->decode), anchor), ratio(mbps(&a->extract), anchor), rss_mb(&a->decode),
           rss_mb(&a->extract), rss_mb(&a->bigtxn), a->bigtxn.fragments, a->bigtxn.bytes,
           mbps(&a->bigtxn), per_s(a->decode.events, &a->decode),
           per_s(a->decode.images, &a->decode), per_s(a->extract.transactions, &a->extract),
           rss_mb(&a->anchor), mbps(&a->read));
}

static int bench_usage(void)
{
    fprintf(stderr, "usage: extract_bench -d DIR [-b BIGTXN_FILE]... [-p PHASE] [-z off|LEVEL] -- "
                    "BINLOG...\n"
                    "  PHASE: anchor decode extract bigtxn\n"
                    "  -z: THL compression of the extract phases (default: the store's, zstd 1)\n");
    return 2;
}

int main(int argc, char **argv)
{
    bench_opts o;
    bench_all a;
    int c;
    memset(&o, 0, sizeof(o));
    while ((c = getopt(argc, argv, "d:b:p:z:")) != -1) {
        if (c == 'd')
            o.dir = optarg;
        else if (c == 'z')
            o.zstd = optarg;
        else if (c == 'p')
            o.only = optarg;
        else if (c == 'b' && o.nbig < BENCH_MAX_BIG)
            o.big[o.nbig++] = optarg;
        else
            return bench_usage();
    }
    if (o.dir == NULL || optind >= argc)
        return bench_usage();
    o.files = (const char *const *)&argv[optind];
    o.nfiles = (size_t)(argc - optind);
    repl_log_set_level(REPL_LOG_LEVEL_WARN);
    printf("parent process peak RSS before the phases: %.1f MB\n",
           (double)bench_maxrss_kb(RUSAGE_SELF) / 1024.0);
    if (bench_run(&o, &a) != 0)
        return 1;
    bench_result_line(&o, &a);
    return 0;
}
