/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/logical_load.c - the restore loaders: N threads, each with its own connection, loading
 * extracted data files with LOAD DATA LOCAL INFILE through a local-infile handler that reads only
 * the file we extracted (never a path chosen by the server). Each load must insert exactly the
 * manifest's row count without a warning. The queue holds at most one waiting file per loader, so
 * temporary disk use stays bounded. */
#include "backup/logical.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backup/restore_int.h"
#include "replicator/base/mem.h"

struct bkp_rs_loader {
    bkp_rs *rs;
    MYSQL *conn;
    pthread_t thread;
    int started;
    const char *path; /* the file being loaded */
    int fd;
    int io_errno;
};

static int load_infile_init(void **ptr, const char *filename, void *userdata)
{
    bkp_rs_loader *l = userdata;
    (void)filename; /* ours is l->path, whatever the server asks for */
    *ptr = l;
    l->fd = open(l->path, O_RDONLY | O_CLOEXEC);
    l->io_errno = l->fd < 0 ? errno : 0;
    return l->fd < 0 ? 1 : 0;
}

static int load_infile_read(void *ptr, char *buf, unsigned int len)
{
    bkp_rs_loader *l = ptr;
    ssize_t n;
    do {
        n = read(l->fd, buf, len);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        l->io_errno = errno;
    return (int)n;
}

static void load_infile_end(void *ptr)
{
    bkp_rs_loader *l = ptr;
    if (l->fd >= 0)
        close(l->fd);
    l->fd = -1;
}

static int load_infile_error(void *ptr, char *msg, unsigned int len)
{
    bkp_rs_loader *l = ptr;
    snprintf(msg, len, "read %s: %s", l->path, strerror(l->io_errno));
    return l->io_errno != 0 ? l->io_errno : EIO;
}

static void load_sql(repl_buf *sql, const bkp_table_info *t)
{
    repl_buf_clear(sql);
    repl_buf_printf(sql, "LOAD DATA LOCAL INFILE 'trep-backup' INTO TABLE ");
    bkp_quote_ident(sql, t->schema);
    repl_buf_put_u8(sql, '.');
    bkp_quote_ident(sql, t->name);
    repl_buf_printf(sql, " CHARACTER SET binary FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' "
                         "LINES TERMINATED BY '\\n' (");
    for (size_t i = 0; i < t->n_columns; i++) {
        if (i > 0)
            repl_buf_put_u8(sql, ',');
        bkp_quote_ident(sql, t->columns[i]);
    }
    repl_buf_put_u8(sql, ')');
    (void)bkp_buf_str(sql);
}

/* 1 when column col of the job's table is an ENUM: the invalid-value entry '' (index 0) can only
 * be loaded with warning 1265, and loads back as index 0, exactly what was dumped. */
static int load_is_enum(bkp_rs_loader *l, const bkp_table_info *t, const char *col)
{
    repl_buf sql;
    char cols[1][1024];
    repl_error e;
    int rc;
    repl_buf_init(&sql);
    bkp_buf_puts(&sql, "SELECT DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ");
    bkp_quote_string(&sql, t->schema);
    bkp_buf_puts(&sql, " AND TABLE_NAME = ");
    bkp_quote_string(&sql, t->name);
    bkp_buf_puts(&sql, " AND COLUMN_NAME = ");
    bkp_quote_string(&sql, col);
    rc = bkp_conn_query_row(l->conn, bkp_buf_str(&sql), cols, 1, NULL, &e);
    repl_buf_dispose(&sql);
    return rc == REPL_OK && strcmp(cols[0], "enum") == 0;
}

/* 1 when the warning is 1265 on an ENUM column ("Data truncated for column 'c' at row N"). */
static int load_warning_ok(bkp_rs_loader *l, const bkp_table_info *t, MYSQL_ROW w)
{
    char col[256];
    if (w[1] == NULL || strcmp(w[1], "1265") != 0 || w[2] == NULL)
        return 0;
    if (sscanf(w[2], "Data truncated for column '%255[^']'", col) != 1)
        return 0;
    return load_is_enum(l, t, col);
}

/* Any warning but the ENUM one fails the load, naming the first. */
static int load_warnings(bkp_rs_loader *l, const bkp_table_info *t, unsigned count, repl_error *err)
{
    MYSQL_RES *res;
    MYSQL_ROW w;
    int rc = REPL_OK;
    if (mysql_query(l->conn, "SHOW WARNINGS") != 0 || (res = mysql_store_result(l->conn)) == NULL)
        return bkp_conn_error(l->conn, err, "SHOW WARNINGS");
    if (mysql_num_rows(res) < count)
        rc = repl_error_set(err, REPL_ERR_SOURCE, "%u warnings, more than could be checked", count);
    while (rc == REPL_OK && (w = mysql_fetch_row(res)) != NULL) {
        if (mysql_num_fields(res) >= 3 && !load_warning_ok(l, t, w))
            rc = repl_error_set(err, REPL_ERR_SOURCE, "%u warning(s), first: %s %s: %s", count,
                                w[0] != NULL ? w[0] : "", w[1] != NULL ? w[1] : "",
                                w[2] != NULL ? w[2] : "");
    }
    mysql_free_result(res);
    return rc;
}

static int load_one(bkp_rs_loader *l, const bkp_rs_job *job, repl_buf *sql, repl_error *err)
{
    my_ulonglong rows;
    unsigned warnings;
    int rc = REPL_OK;
    l->path = job->path;
    l->fd = -1;
    load_sql(sql, job->table);
    mysql_set_local_infile_handler(l->conn, load_infile_init, load_infile_read, load_infile_end,
                                   load_infile_error, l);
    if (mysql_real_query(l->conn, (const char *)sql->data, sql->len) != 0)
        rc = bkp_conn_error(l->conn, err, "LOAD DATA");
    rows = rc == REPL_OK ? mysql_affected_rows(l->conn) : 0;
    warnings = rc == REPL_OK ? mysql_warning_count(l->conn) : 0;
    if (rc == REPL_OK && warnings > 0)
        rc = load_warnings(l, job->table, warnings, err);
    if (rc == REPL_OK && rows != job->file->rows)
        rc = repl_error_set(err, REPL_ERR_CORRUPT, "loaded %llu rows, the manifest lists %" PRIu64,
                            (unsigned long long)rows, job->file->rows);
    if (rc != REPL_OK)
        repl_error_wrap(err, "backup %s: file %s into %s.%s", l->rs->label, job->file->name,
                        job->table->schema, job->table->name);
    unlink(job->path);
    return rc;
}

/* Next job, or 0 when closing and the queue is empty (or after a failure). */
static int load_pop(bkp_rs *rs, bkp_rs_job *out)
{
    int got = 0;
    pthread_mutex_lock(&rs->lock);
    while (rs->j_len == 0 && !rs->closing && !rs->failed)
        pthread_cond_wait(&rs->cond, &rs->lock);
    if (rs->j_len > 0 && !rs->failed) {
        *out = rs->jobs[rs->j_head];
        rs->j_head = (rs->j_head + 1) % rs->n_loaders;
        rs->j_len--;
        rs->busy++;
        got = 1;
    }
    pthread_cond_broadcast(&rs->cond);
    pthread_mutex_unlock(&rs->lock);
    return got;
}

static void load_done(bkp_rs *rs, const bkp_rs_job *job, int rc, const repl_error *err)
{
    pthread_mutex_lock(&rs->lock);
    rs->busy--;
    if (rc == REPL_OK)
        rs->rows_loaded += job->file->rows;
    else if (!rs->failed) {
        rs->failed = 1;
        rs->first_err = *err;
    }
    pthread_cond_broadcast(&rs->cond);
    pthread_mutex_unlock(&rs->lock);
}

static void *load_main(void *arg)
{
    bkp_rs_loader *l = arg;
    bkp_rs_job job;
    repl_buf sql;
    repl_error err;
    mysql_thread_init();
    repl_buf_init(&sql);
    repl_error_clear(&err);
    while (load_pop(l->rs, &job)) {
        int rc = load_one(l, &job, &sql, &err);
        load_done(l->rs, &job, rc, &err);
    }
    repl_buf_dispose(&sql);
    mysql_thread_end();
    return NULL;
}

int bkp_rs_loaders_start(bkp_rs *rs, repl_error *err)
{
    const unsigned n = rs->o->threads > 0 ? rs->o->threads : 4;
    int rc = REPL_OK;
    rs->loaders = repl_calloc(n, sizeof(*rs->loaders));
    rs->jobs = repl_calloc(n, sizeof(*rs->jobs));
    rs->n_loaders = n;
    for (unsigned i = 0; i < n && rc == REPL_OK; i++) {
        bkp_rs_loader *l = &rs->loaders[i];
        l->rs = rs;
        l->fd = -1;
        rc = bkp_conn_open(&l->conn, &rs->o->conn, 1, err);
        if (rc == REPL_OK)
            rc = bkp_rs_session(l->conn, err);
        if (rc == REPL_OK && pthread_create(&l->thread, NULL, load_main, l) != 0)
            rc = repl_error_set(err, REPL_ERR_IO, "backup: cannot start a loader thread");
        l->started = rc == REPL_OK;
    }
    return rc;
}

int bkp_rs_submit(bkp_rs *rs, const bkp_rs_job *job, repl_error *err)
{
    int rc = REPL_OK;
    pthread_mutex_lock(&rs->lock);
    while (rs->j_len == rs->n_loaders && !rs->failed)
        pthread_cond_wait(&rs->cond, &rs->lock);
    if (rs->failed) {
        *err = rs->first_err;
        rc = err->code != REPL_OK ? err->code : REPL_ERR_IO;
    } else {
        rs->jobs[(rs->j_head + rs->j_len) % rs->n_loaders] = *job;
        rs->j_len++;
        pthread_cond_broadcast(&rs->cond);
    }
    pthread_mutex_unlock(&rs->lock);
    return rc;
}

int bkp_rs_drain(bkp_rs *rs, repl_error *err)
{
    int rc = REPL_OK;
    pthread_mutex_lock(&rs->lock);
    while ((rs->j_len > 0 || rs->busy > 0) && !rs->failed)
        pthread_cond_wait(&rs->cond, &rs->lock);
    while (rs->busy > 0)
        pthread_cond_wait(&rs->cond, &rs->lock);
    if (rs->failed) {
        *err = rs->first_err;
        rc = err->code != REPL_OK ? err->code : REPL_ERR_IO;
    }
    pthread_mutex_unlock(&rs->lock);
    return rc;
}

void bkp_rs_loaders_stop(bkp_rs *rs, int abandon)
{
    pthread_mutex_lock(&rs->lock);
    rs->closing = 1;
    if (abandon)
        rs->failed = 1; /* loaders take no further job */
    pthread_cond_broadcast(&rs->cond);
    pthread_mutex_unlock(&rs->lock);
    for (unsigned i = 0; i < rs->n_loaders; i++) {
        if (rs->loaders[i].started)
            pthread_join(rs->loaders[i].thread, NULL);
        if (rs->loaders[i].conn != NULL)
            mysql_close(rs->loaders[i].conn);
    }
    for (size_t k = 0; k < rs->j_len; k++)
        unlink(rs->jobs[(rs->j_head + k) % rs->n_loaders].path);
    rs->j_len = 0;
    repl_free(rs->loaders);
    repl_free(rs->jobs);
    rs->loaders = NULL;
    rs->jobs = NULL;
    rs->n_loaders = 0;
}
