/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/logical_restore.c - restore a logical backup: verify the archive (which also yields the
 * manifest), check that the target is empty (or drop the backup's schemas when forced), then one
 * pass over the archive: CREATE DATABASE / TABLE on the control connection, data files extracted
 * one by one into temporary files (checksummed again) and handed to the loaders, objects kept for
 * the end. Every connection runs with sql_log_bin=0, so nothing restored is binlogged. */
#include "backup/logical.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "backup/archive.h"
#include "backup/backup_int.h"
#include "backup/restore_int.h"
#include "backup/verify.h"
#include "replicator/base/log.h"
#include "replicator/base/mem.h"

#define RS_SMALL_MAX ((size_t)64 << 20)

void bkp_restore_options_init(bkp_restore_options *o)
{
    memset(o, 0, sizeof(*o));
    o->threads = 4;
    o->tmp_dir = "/tmp";
    o->mariadb_backup = "mariadb-backup";
    o->mbstream = "mbstream";
}

int bkp_rs_session(MYSQL *m, repl_error *err)
{
    int rc = bkp_conn_exec(m, "SET SESSION sql_log_bin = 0", err);
    if (rc != REPL_OK)
        return repl_error_wrap(err, "restore needs SUPER or BINLOG ADMIN to disable binlogging");
    return bkp_conn_exec(
        m,
        "SET SESSION foreign_key_checks = 0, unique_checks = 0, "
        "sql_mode = 'NO_AUTO_VALUE_ON_ZERO', time_zone = '+00:00', "
        "net_read_timeout = 3600, net_write_timeout = 3600, max_error_count = 65535, "
        "character_set_client = utf8mb4, character_set_results = utf8mb4, "
        "collation_connection = utf8mb4_general_ci",
        err);
}

static int rs_drop_schemas(bkp_rs *rs, repl_error *err)
{
    repl_buf sql;
    int rc = REPL_OK;
    repl_buf_init(&sql);
    for (size_t i = 0; i < rs->m->n_files && rc == REPL_OK; i++) {
        if (strcmp(rs->m->files[i].kind, "database") != 0 || rs->m->files[i].schema == NULL)
            continue;
        repl_buf_clear(&sql);
        bkp_buf_puts(&sql, "DROP DATABASE IF EXISTS ");
        bkp_quote_ident(&sql, rs->m->files[i].schema);
        rc = bkp_conn_exec(rs->control, bkp_buf_str(&sql), err);
    }
    repl_buf_dispose(&sql);
    return rc;
}

static int rs_check_target(bkp_rs *rs, repl_error *err)
{
    char cols[2][1024];
    char where[600];
    int rc = bkp_conn_query_row(
        rs->control,
        "SELECT COUNT(*), MIN(CONCAT(TABLE_SCHEMA, '.', TABLE_NAME)) FROM "
        "information_schema.TABLES "
        "WHERE TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')",
        cols, 2, NULL, err);
    if (rc != REPL_OK)
        return rc;
    if (strcmp(cols[0], "0") == 0)
        return REPL_OK;
    if (rs->o->force) {
        REPL_LOG_WARN("backup", "restore: backup=%s forced over %s existing tables", rs->label,
                      cols[0]);
        return rs_drop_schemas(rs, err);
    }
    bkp_conn_describe(&rs->o->conn, where, sizeof(where));
    return repl_error_set(err, REPL_ERR_INVALID,
                          "backup %s: the target %s already has %s user table(s) (%s, ...); "
                          "restore only into an empty server, or force it",
                          rs->label, where, cols[0], cols[1]);
}

static int rs_read_small(bkp_archive_reader *r, const bkp_file_info *f, repl_buf *out,
                         repl_error *err)
{
    uint8_t buf[65536];
    size_t got = 0;
    repl_buf_clear(out);
    do {
        int rc = bkp_archive_reader_read(r, buf, sizeof(buf), &got, err);
        if (rc != REPL_OK)
            return rc;
        if (out->len + got > RS_SMALL_MAX)
            return repl_error_set(err, REPL_ERR_CORRUPT, "file %s too large", f->name);
        repl_buf_put(out, buf, got);
    } while (got > 0);
    if (bkp_archive_reader_entry_crc(r) != f->crc32c || out->len != f->bytes)
        return repl_error_set(err, REPL_ERR_CORRUPT, "file %s: checksum mismatch", f->name);
    (void)bkp_buf_str(out);
    return REPL_OK;
}

static int rs_copy_out(bkp_archive_reader *r, int fd, const char *path, repl_error *err)
{
    uint8_t buf[1 << 16];
    size_t got = 0;
    do {
        int rc = bkp_archive_reader_read(r, buf, sizeof(buf), &got, err);
        if (rc == REPL_OK)
            rc = bkp_write_all(fd, buf, got, path, err);
        if (rc != REPL_OK)
            return rc;
    } while (got > 0);
    return REPL_OK;
}

/* Extract one data file to a temporary file (checksummed) and queue it for a loader. */
static int rs_data(bkp_rs *rs, bkp_archive_reader *r, const bkp_file_info *f, repl_error *err)
{
    bkp_rs_job job;
    int fd;
    int rc;
    job.file = f;
    job.table = bkp_manifest_find_table(rs->m, f->schema, f->table);
    snprintf(job.path, sizeof(job.path), "%s/.trep-restore-%ld-%" PRIu64 ".tsv", rs->o->tmp_dir,
             (long)getpid(), rs->tmp_seq++);
    fd = open(job.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return repl_error_sys(err, bkp_errno_code(errno), errno, "backup: create %s", job.path);
    rc = rs_copy_out(r, fd, job.path, err);
    if (close(fd) != 0 && rc == REPL_OK)
        rc = repl_error_sys(err, bkp_errno_code(errno), errno, "backup: close %s", job.path);
    if (rc == REPL_OK && (bkp_archive_reader_entry_crc(r) != f->crc32c ||
                          bkp_archive_reader_entry_bytes(r) != f->bytes))
        rc = repl_error_set(err, REPL_ERR_CORRUPT, "file %s: checksum mismatch", f->name);
    if (rc == REPL_OK)
        rc = bkp_rs_submit(rs, &job, err);
    if (rc != REPL_OK)
        unlink(job.path);
    return rc;
}

static int rs_ddl(bkp_rs *rs, const bkp_file_info *f, const char *sql, repl_error *err)
{
    repl_buf use;
    int rc = REPL_OK;
    if (strcmp(f->kind, "table") == 0) {
        repl_buf_init(&use);
        bkp_buf_puts(&use, "USE ");
        bkp_quote_ident(&use, f->schema);
        rc = bkp_conn_exec(rs->control, bkp_buf_str(&use), err);
        repl_buf_dispose(&use);
    }
    if (rc == REPL_OK)
        rc = bkp_conn_exec(rs->control, sql, err);
    return rc;
}

static int rs_objects(bkp_rs *rs, const bkp_file_info *f, const repl_buf *text, repl_error *err)
{
    json_error_t jerr;
    json_t *o = json_loadb((const char *)text->data, text->len, 0, &jerr);
    if (o == NULL || !json_is_string(json_object_get(o, "schema")) ||
        !json_is_array(json_object_get(o, "objects"))) {
        json_decref(o);
        return repl_error_set(err, REPL_ERR_CORRUPT, "file %s: bad objects file", f->name);
    }
    if (rs->objects == NULL)
        rs->objects = json_array();
    json_array_append_new(rs->objects, o);
    return REPL_OK;
}

static int rs_entry(bkp_rs *rs, bkp_archive_reader *r, const char *name, repl_buf *small,
                    repl_error *err)
{
    const bkp_file_info *f = bkp_manifest_find_file(rs->m, name);
    int rc;
    if (strcmp(name, BKP_MANIFEST_NAME) == 0)
        return REPL_OK;
    if (f == NULL)
        return repl_error_set(err, REPL_ERR_CORRUPT, "file %s is not in the manifest", name);
    if (strcmp(f->kind, "data") == 0)
        return rs_data(rs, r, f, err);
    rc = rs_read_small(r, f, small, err);
    if (rc == REPL_OK && strcmp(f->kind, "objects") == 0)
        return rs_objects(rs, f, small, err);
    if (rc == REPL_OK && (strcmp(f->kind, "database") == 0 || strcmp(f->kind, "table") == 0))
        return rs_ddl(rs, f, (const char *)small->data, err);
    return rc == REPL_OK
               ? repl_error_set(err, REPL_ERR_CORRUPT, "file %s: unexpected kind %s", name, f->kind)
               : rc;
}

static int rs_stream(bkp_rs *rs, const char *archive, repl_error *err)
{
    bkp_archive_reader *r = NULL;
    repl_buf small;
    const char *name = NULL;
    uint64_t size = 0;
    int rc = bkp_archive_reader_open(&r, archive, err);
    repl_buf_init(&small);
    while (rc == REPL_OK) {
        rc = bkp_archive_reader_next(r, &name, &size, err);
        if (rc == REPL_ERR_NOTFOUND) {
            rc = REPL_OK;
            break;
        }
        if (rc == REPL_OK)
            rc = rs_entry(rs, r, name, &small, err);
    }
    repl_buf_dispose(&small);
    bkp_archive_reader_free(r);
    return rc;
}

static int rs_run(bkp_rs *rs, const char *archive, repl_error *err)
{
    int rc = bkp_conn_open(&rs->control, &rs->o->conn, 0, err);
    if (rc == REPL_OK)
        rc = bkp_rs_session(rs->control, err);
    if (rc == REPL_OK)
        rc = rs_check_target(rs, err);
    if (rc == REPL_OK)
        rc = bkp_rs_loaders_start(rs, err);
    if (rc == REPL_OK)
        rc = rs_stream(rs, archive, err);
    if (rc == REPL_OK)
        rc = bkp_rs_drain(rs, err);
    if (rc == REPL_OK)
        rc = bkp_rs_apply_objects(rs, err);
    return rc;
}

int bkp_logical_restore(const char *archive, const bkp_restore_options *o, bkp_manifest *m,
                        repl_error *err)
{
    const uint32_t *crc = o->has_archive_crc ? &o->archive_crc32c : NULL;
    bkp_manifest *own = NULL;
    bkp_rs rs;
    int rc = REPL_OK;
    memset(&rs, 0, sizeof(rs));
    rs.o = o;
    rs.label = o->label != NULL ? o->label : archive;
    if (m == NULL)
        rc = bkp_verify_archive(archive, rs.label, crc, &own, NULL, err);
    rs.m = m != NULL ? m : own;
    if (rc == REPL_OK && strcmp(rs.m->method, "logical") != 0)
        rc = repl_error_set(err, REPL_ERR_INVALID, "backup %s is a %s backup, not logical",
                            rs.label, rs.m->method);
    if (rc != REPL_OK) {
        bkp_manifest_free(own);
        return rc;
    }
    pthread_mutex_init(&rs.lock, NULL);
    pthread_cond_init(&rs.cond, NULL);
    bkp_conn_library_init();
    rc = rs_run(&rs, archive, err);
    if (rc != REPL_OK && strncmp(err->msg, "backup ", 7) != 0)
        repl_error_wrap(err, "backup %s", rs.label);
    if (rs.loaders != NULL)
        bkp_rs_loaders_stop(&rs, rc != REPL_OK);
    if (rs.control != NULL)
        mysql_close(rs.control);
    if (rc == REPL_OK)
        REPL_LOG_INFO("backup", "restore: backup=%s tables=%zu rows=%" PRIu64, rs.label,
                      rs.m->n_tables, rs.rows_loaded);
    json_decref(rs.objects);
    pthread_mutex_destroy(&rs.lock);
    pthread_cond_destroy(&rs.cond);
    bkp_manifest_free(own);
    return rc;
}
