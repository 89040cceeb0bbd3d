/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/logical_table.c - the dump workers: a task queue shared by N threads, each with its own
 * connection inside the common snapshot. A task dumps a whole table or one key range of it; a
 * large table's first task splits it into ranges that any worker can take. Rows are streamed
 * (mysql_use_result) into a buffer that becomes one archive entry whenever it reaches
 * file_bytes, so memory stays bounded by threads x file_bytes. */
#include "backup/logical.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/logical_int.h"
#include "backup/tsv.h"
#include "replicator/base/crc32c.h"
#include "replicator/base/log.h"
#include "replicator/base/mem.h"

#define TABLE_MAX_RANGES 4096

typedef struct table_worker {
    bkp_ld *d;
    MYSQL *conn;
    pthread_t thread;
} table_worker;

/* lock held */
static void queue_push(bkp_ld *d, const bkp_ld_task *t)
{
    if (d->q_head + d->q_len == d->q_cap) {
        if (d->q_head > 0) {
            memmove(d->queue, d->queue + d->q_head, d->q_len * sizeof(*d->queue));
            d->q_head = 0;
        } else {
            d->q_cap = d->q_cap != 0 ? d->q_cap * 2 : 64;
            d->queue = repl_realloc(d->queue, d->q_cap * sizeof(*d->queue));
        }
    }
    d->queue[d->q_head + d->q_len++] = *t;
    pthread_cond_signal(&d->cond);
}

/* Wait for a task; 0 when every task is done (or the dump failed). */
static int queue_pop(bkp_ld *d, bkp_ld_task *out)
{
    int got = 0;
    pthread_mutex_lock(&d->lock);
    while (!d->failed && d->q_len == 0 && d->busy > 0)
        pthread_cond_wait(&d->cond, &d->lock);
    if (!d->failed && d->q_len > 0) {
        *out = d->queue[d->q_head++];
        d->q_len--;
        d->busy++;
        got = 1;
    }
    if (!got)
        pthread_cond_broadcast(&d->cond);
    pthread_mutex_unlock(&d->lock);
    return got;
}

static void queue_done(bkp_ld *d, int rc, const repl_error *err)
{
    pthread_mutex_lock(&d->lock);
    d->busy--;
    if (rc != REPL_OK && !d->failed) {
        d->first_err = *err;
        __atomic_store_n(&d->failed, 1, __ATOMIC_RELAXED);
    }
    pthread_cond_broadcast(&d->cond);
    pthread_mutex_unlock(&d->lock);
}

static int table_failed(bkp_ld *d)
{
    return __atomic_load_n(&d->failed, __ATOMIC_RELAXED);
}

static void table_from_int(char *out, size_t len, __int128 v)
{
    if (v < 0)
        snprintf(out, len, "%" PRId64, (int64_t)v);
    else
        snprintf(out, len, "%" PRIu64, (uint64_t)v);
}

static __int128 table_to_int(const char *s)
{
    if (s[0] == '-')
        return (__int128)strtoll(s, NULL, 10);
    return (__int128)strtoull(s, NULL, 10);
}

/* Queue ranges 2..k of [lo, hi] and make t the first one. */
static void table_split_range(bkp_ld *d, bkp_ld_task *t, __int128 lo, __int128 hi, uint64_t k)
{
    const __int128 span = hi - lo + 1;
    const __int128 step = span / (__int128)k;
    bkp_ld_task r = *t;
    r.ranged = 1;
    r.may_split = 0;
    pthread_mutex_lock(&d->lock);
    for (uint64_t i = 0; i < k; i++) {
        __int128 a = lo + (__int128)i * step;
        __int128 b = i + 1 == k ? hi : a + step - 1;
        table_from_int(r.lo, sizeof(r.lo), a);
        table_from_int(r.hi, sizeof(r.hi), b);
        if (i == 0)
            *t = r;
        else
            queue_push(d, &r);
    }
    pthread_mutex_unlock(&d->lock);
}

/* A whole-table task of a large table with an integer key becomes ranges (bounds read in the
 * snapshot). Small, empty or keyless tables stay whole. */
static int table_maybe_split(bkp_ld *d, MYSQL *c, bkp_ld_task *t, repl_error *err)
{
    const bkp_ld_table *tb = &d->tables[t->table];
    const uint64_t chunk = d->o->chunk_rows;
    char cols[2][1024];
    unsigned nulls = 0;
    repl_buf sql;
    uint64_t k;
    int rc;
    if (!t->may_split || tb->pk == NULL || chunk == 0 || tb->est_rows <= chunk)
        return REPL_OK;
    repl_buf_init(&sql);
    bkp_buf_puts(&sql, "SELECT MIN(");
    bkp_quote_ident(&sql, tb->pk);
    bkp_buf_puts(&sql, "), MAX(");
    bkp_quote_ident(&sql, tb->pk);
    bkp_buf_puts(&sql, ") FROM ");
    bkp_quote_ident(&sql, tb->schema);
    repl_buf_put_u8(&sql, '.');
    bkp_quote_ident(&sql, tb->name);
    rc = bkp_conn_query_row(c, bkp_buf_str(&sql), cols, 2, &nulls, err);
    repl_buf_dispose(&sql);
    if (rc != REPL_OK || nulls != 0)
        return rc;
    k = tb->est_rows / chunk + 1;
    if (k > TABLE_MAX_RANGES)
        k = TABLE_MAX_RANGES;
    if ((__int128)k > table_to_int(cols[1]) - table_to_int(cols[0]) + 1)
        k = (uint64_t)(table_to_int(cols[1]) - table_to_int(cols[0]) + 1);
    table_split_range(d, t, table_to_int(cols[0]), table_to_int(cols[1]), k);
    return REPL_OK;
}

static void table_select_sql(const bkp_ld *d, const bkp_ld_task *t, repl_buf *sql)
{
    const bkp_ld_table *tb = &d->tables[t->table];
    repl_buf_clear(sql);
    bkp_buf_puts(sql, "SELECT ");
    repl_buf_put(sql, tb->select.data, tb->select.len);
    bkp_buf_puts(sql, " FROM ");
    bkp_quote_ident(sql, tb->schema);
    repl_buf_put_u8(sql, '.');
    bkp_quote_ident(sql, tb->name);
    if (t->ranged) {
        bkp_buf_puts(sql, " WHERE ");
        bkp_quote_ident(sql, tb->pk);
        repl_buf_printf(sql, " BETWEEN %s AND %s", t->lo, t->hi);
    }
    (void)bkp_buf_str(sql);
}

/* One data file: an archive entry, then its manifest record. */
static int table_flush(bkp_ld *d, size_t ti, repl_buf *buf, uint64_t rows, repl_error *err)
{
    bkp_ld_table *tb = &d->tables[ti];
    char suffix[32];
    repl_buf name;
    uint32_t n;
    int rc;
    pthread_mutex_lock(&d->lock);
    n = tb->next_file++;
    pthread_mutex_unlock(&d->lock);
    snprintf(suffix, sizeof(suffix), ".%06" PRIu32 ".tsv", n);
    repl_buf_init(&name);
    bkp_ld_entry_name(&name, "data", tb->schema, tb->name, suffix);
    rc = bkp_archive_add(d->w, (const char *)name.data, buf->data, buf->len, err);
    if (rc == REPL_OK) {
        const uint32_t crc = repl_crc32c(0, buf->data, buf->len);
        pthread_mutex_lock(&d->lock);
        bkp_manifest_add_file(d->m, (const char *)name.data, "data", tb->schema, tb->name, buf->len,
                              rows, crc);
        d->m->tables[tb->info].rows += rows;
        d->m->tables[tb->info].files++;
        pthread_mutex_unlock(&d->lock);
    }
    repl_buf_dispose(&name);
    repl_buf_clear(buf);
    return rc;
}

static void table_encode_row(repl_buf *buf, MYSQL_ROW row, const unsigned long *lens, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (i > 0)
            repl_buf_put_u8(buf, '\t');
        bkp_tsv_put_field(buf, row[i], row[i] != NULL ? lens[i] : 0);
    }
    repl_buf_put_u8(buf, '\n');
}

static int table_stream(bkp_ld *d, MYSQL *c, MYSQL_RES *res, size_t ti, repl_buf *buf,
                        repl_error *err)
{
    const unsigned n = mysql_num_fields(res);
    uint64_t rows = 0;
    MYSQL_ROW row;
    int rc = REPL_OK;
    while (rc == REPL_OK && (row = mysql_fetch_row(res)) != NULL) {
        table_encode_row(buf, row, mysql_fetch_lengths(res), n);
        rows++;
        if (buf->len < d->o->file_bytes)
            continue;
        rc = table_flush(d, ti, buf, rows, err);
        rows = 0;
        if (rc == REPL_OK && table_failed(d))
            rc = repl_error_set(err, REPL_ERR_INVALID, "backup: stopped (another worker failed)");
    }
    if (rc == REPL_OK && mysql_errno(c) != 0)
        rc = bkp_conn_error(c, err, "backup: read rows");
    if (rc == REPL_OK && buf->len > 0)
        rc = table_flush(d, ti, buf, rows, err);
    return rc;
}

static int table_task(bkp_ld *d, MYSQL *c, bkp_ld_task *t, repl_buf *sql, repl_buf *buf,
                      repl_error *err)
{
    const bkp_ld_table *tb = &d->tables[t->table];
    MYSQL_RES *res;
    int rc = table_maybe_split(d, c, t, err);
    if (rc == REPL_OK) {
        table_select_sql(d, t, sql);
        if (mysql_real_query(c, (const char *)sql->data, sql->len) != 0 ||
            (res = mysql_use_result(c)) == NULL)
            rc = bkp_conn_error(c, err, "backup: select");
        else {
            rc = table_stream(d, c, res, t->table, buf, err);
            mysql_free_result(res);
        }
    }
    repl_buf_clear(buf);
    if (rc != REPL_OK)
        repl_error_wrap(err, "table %s.%s%s%s%s%s", tb->schema, tb->name, t->ranged ? " keys " : "",
                        t->ranged ? t->lo : "", t->ranged ? ".." : "", t->ranged ? t->hi : "");
    return rc;
}

static void *table_worker_main(void *arg)
{
    table_worker *w = arg;
    bkp_ld_task t;
    repl_buf sql;
    repl_buf buf;
    repl_error err;
    mysql_thread_init();
    repl_buf_init(&sql);
    repl_buf_init(&buf);
    repl_error_clear(&err);
    while (queue_pop(w->d, &t)) {
        int rc = table_task(w->d, w->conn, &t, &sql, &buf, &err);
        queue_done(w->d, rc, &err);
    }
    repl_buf_dispose(&sql);
    repl_buf_dispose(&buf);
    mysql_thread_end();
    return NULL;
}

static int table_cmp_size(const void *a, const void *b, void *arg)
{
    const bkp_ld *d = arg;
    const bkp_ld_task *x = a;
    const bkp_ld_task *y = b;
    const uint64_t rx = d->tables[x->table].est_rows;
    const uint64_t ry = d->tables[y->table].est_rows;
    return rx == ry ? 0 : (rx > ry ? -1 : 1);
}

/* Biggest tables first: they split early and keep every worker busy to the end. */
static size_t table_queue_phase(bkp_ld *d, int transactional)
{
    bkp_ld_task t;
    memset(&t, 0, sizeof(t));
    d->q_head = 0;
    d->q_len = 0;
    for (size_t i = 0; i < d->n_tables; i++) {
        if (d->tables[i].is_sequence || d->tables[i].transactional != transactional)
            continue;
        t.table = i;
        t.may_split = 1;
        queue_push(d, &t);
    }
    qsort_r(d->queue, d->q_len, sizeof(*d->queue), table_cmp_size, d);
    return d->q_len;
}

int bkp_ld_run(bkp_ld *d, int transactional, repl_error *err)
{
    table_worker *w;
    unsigned started = 0;
    if (table_queue_phase(d, transactional) == 0)
        return REPL_OK;
    w = repl_calloc(d->n_conns, sizeof(*w));
    for (unsigned i = 0; i < d->n_conns; i++) {
        w[i].d = d;
        w[i].conn = d->conns[i];
        if (pthread_create(&w[i].thread, NULL, table_worker_main, &w[i]) != 0)
            break;
        started++;
    }
    if (started == 0) {
        repl_free(w);
        return repl_error_set(err, REPL_ERR_IO, "backup: cannot start dump threads");
    }
    for (unsigned i = 0; i < started; i++)
        pthread_join(w[i].thread, NULL);
    repl_free(w);
    if (d->failed) {
        *err = d->first_err;
        return err->code != REPL_OK ? err->code : REPL_ERR_IO;
    }
    return REPL_OK;
}
