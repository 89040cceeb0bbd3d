/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/logical_dump.c - the logical dump's control thread: connections, the shared snapshot
 * under FLUSH TABLES WITH READ LOCK with the position read inside it, the order of the phases
 * (DDL, non-transactional tables under the lock, InnoDB tables in parallel after it, objects), and
 * the position mapping. The workers are in logical_table.c. */
#include "backup/logical.h"

#include <stdio.h>
#include <string.h>

#include "backup/logical_int.h"
#include "replicator/base/clock.h"
#include "replicator/base/log.h"
#include "replicator/base/mem.h"

void bkp_logical_options_init(bkp_logical_options *o)
{
    memset(o, 0, sizeof(*o));
    o->threads = 4;
    o->chunk_rows = 1000000;
    o->file_bytes = (size_t)16 << 20;
    o->thl_wait_ms = 30000;
    o->lock_wait_timeout_sec = 60;
}

static int dump_validate(const bkp_logical_options *o, repl_error *err)
{
    size_t len = o->service != NULL ? strlen(o->service) : 0;
    if (len == 0 || len > 48 ||
        strspn(o->service, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"
                           "RSTUVWXYZ0123456789_") != len)
        return repl_error_set(err, REPL_ERR_INVALID,
                              "backup: bad service name (want [A-Za-z0-9_], 1-48 characters)");
    if (o->threads < 1 || o->threads > 64)
        return repl_error_set(err, REPL_ERR_INVALID, "backup: threads must be 1..64");
    if (o->file_bytes < 4096)
        return repl_error_set(err, REPL_ERR_INVALID, "backup: file size below 4096 bytes");
    if (o->conn.user == NULL || o->conn.user[0] == '\0')
        return repl_error_set(err, REPL_ERR_INVALID, "backup: no user to connect as");
    return REPL_OK;
}

static const char *const dump_worker_session[] = {
    "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
    "SET NAMES utf8mb4",
    "SET character_set_results = binary", /* values as stored, no conversion */
    "SET time_zone = '+00:00'",           /* TIMESTAMP values in UTC, no DST gaps */
    "SET SESSION net_write_timeout = 3600, net_read_timeout = 3600, wait_timeout = 86400",
};

static int dump_connect(bkp_ld *d, repl_error *err)
{
    int rc = bkp_conn_open(&d->control, &d->o->conn, 0, err);
    if (rc == REPL_OK)
        rc = bkp_conn_execf(d->control, err,
                            "SET SESSION lock_wait_timeout = %u, wait_timeout = 86400",
                            d->o->lock_wait_timeout_sec != 0 ? d->o->lock_wait_timeout_sec : 60);
    d->conns = repl_calloc(d->o->threads, sizeof(*d->conns));
    for (unsigned i = 0; i < d->o->threads && rc == REPL_OK; i++) {
        rc = bkp_conn_open(&d->conns[i], &d->o->conn, 0, err);
        if (rc != REPL_OK)
            break;
        d->n_conns++;
        for (size_t k = 0; k < sizeof(dump_worker_session) / sizeof(char *) && rc == REPL_OK; k++)
            rc = bkp_conn_exec(d->conns[i], dump_worker_session[k], err);
    }
    return rc;
}

static int dump_version(bkp_ld *d, repl_error *err)
{
    char cols[1][1024];
    int rc = bkp_conn_query_row(d->control, "SELECT VERSION()", cols, 1, NULL, err);
    if (rc == REPL_OK)
        snprintf(d->m->server_version, sizeof(d->m->server_version), "%s", cols[0]);
    return rc;
}

/* Under the read lock: position, every worker's snapshot, the slave position inside it, the list
 * of what to dump, the sequences' states. */
static int dump_snapshot(bkp_ld *d, repl_error *err)
{
    int rc = bkp_position_read_binlog(&d->m->position, d->control, err);
    for (unsigned i = 0; i < d->n_conns && rc == REPL_OK; i++)
        rc = bkp_conn_exec(d->conns[i], "START TRANSACTION WITH CONSISTENT SNAPSHOT", err);
    if (rc == REPL_OK && d->o->slave)
        rc = bkp_position_read_slave(&d->m->position, &d->m->channels, &d->m->n_channels,
                                     d->conns[0], d->o->service, err);
    if (rc == REPL_OK)
        rc = bkp_ld_list(d, err);
    if (rc == REPL_OK)
        rc = bkp_ld_read_sequences(d, err);
    return rc;
}

static int dump_has_nontrx(const bkp_ld *d)
{
    for (size_t i = 0; i < d->n_tables; i++) {
        if (!d->tables[i].transactional && !d->tables[i].is_sequence)
            return 1;
    }
    return 0;
}

/* Take the lock, snapshot, and release it as early as possible: right away when every table is
 * transactional, else after the DDL and the non-transactional tables were dumped. */
static int dump_locked(bkp_ld *d, repl_error *err)
{
    const int64_t t0 = repl_clock_mono_ms();
    int nontrx;
    int rc = bkp_conn_exec(d->control, "FLUSH TABLES WITH READ LOCK", err);
    if (rc == REPL_OK)
        rc = dump_snapshot(d, err);
    nontrx = dump_has_nontrx(d);
    if (rc == REPL_OK && nontrx)
        rc = bkp_ld_write_ddl(d, err);
    if (rc == REPL_OK && nontrx)
        rc = bkp_ld_run(d, 0, err);
    if (rc == REPL_OK)
        rc = bkp_conn_exec(d->control, "UNLOCK TABLES", err);
    if (rc == REPL_OK)
        REPL_LOG_INFO("backup", "snapshot taken: read lock held %lld ms, %zu schemas, %zu tables",
                      (long long)(repl_clock_mono_ms() - t0), d->n_schemas, d->n_tables);
    if (rc == REPL_OK && !nontrx)
        rc = bkp_ld_write_ddl(d, err);
    return rc;
}

static int dump_position(bkp_ld *d, repl_error *err)
{
    if (d->o->slave)
        return REPL_OK;
    if (d->o->thl == NULL) {
        snprintf(d->m->position.role, sizeof(d->m->position.role), "master");
        return REPL_OK;
    }
    return bkp_position_map_thl(&d->m->position, d->o->thl, d->o->thl_wait_ms, err);
}

static void dump_dispose(bkp_ld *d)
{
    for (unsigned i = 0; i < d->n_conns; i++)
        mysql_close(d->conns[i]);
    repl_free(d->conns);
    if (d->control != NULL)
        mysql_close(d->control); /* also releases the read lock after a failure */
    for (size_t i = 0; i < d->n_tables; i++) {
        repl_free(d->tables[i].schema);
        repl_free(d->tables[i].name);
        repl_free(d->tables[i].engine);
        repl_free(d->tables[i].pk);
        repl_buf_dispose(&d->tables[i].select);
    }
    for (size_t i = 0; i < d->n_schemas; i++)
        repl_free(d->schemas[i]);
    repl_free(d->schemas);
    repl_free(d->tables);
    repl_free(d->queue);
    json_decref(d->seq_states);
    pthread_mutex_destroy(&d->lock);
    pthread_cond_destroy(&d->cond);
}

int bkp_logical_dump(bkp_archive_writer *w, const bkp_logical_options *o, bkp_manifest *m,
                     repl_error *err)
{
    bkp_ld d;
    int rc = dump_validate(o, err);
    if (rc != REPL_OK)
        return rc;
    memset(&d, 0, sizeof(d));
    d.o = o;
    d.w = w;
    d.m = m;
    pthread_mutex_init(&d.lock, NULL);
    pthread_cond_init(&d.cond, NULL);
    snprintf(m->method, sizeof(m->method), "logical");
    m->threads = o->threads;
    rc = dump_connect(&d, err);
    if (rc == REPL_OK)
        rc = dump_version(&d, err);
    if (rc == REPL_OK)
        rc = dump_locked(&d, err);
    if (rc == REPL_OK)
        rc = bkp_ld_run(&d, 1, err);
    if (rc == REPL_OK)
        rc = bkp_ld_write_objects(&d, err);
    if (rc == REPL_OK)
        rc = dump_position(&d, err);
    dump_dispose(&d);
    return rc;
}
