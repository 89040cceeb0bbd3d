/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/backup.c - take a backup into a store and restore one (backup.h): the sequence around
 * the methods - lock, temporary archive, manifest last, catalog - and the clean-up of every
 * failure path. */
#include "backup/backup.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replicator/base/clock.h"
#include "replicator/base/crc32c.h"
#include "replicator/base/log.h"
#include "replicator/base/mem.h"

void bkp_backup_options_init(bkp_backup_options *o)
{
    memset(o, 0, sizeof(*o));
    o->method = "logical";
    bkp_logical_options_init(&o->logical);
    bkp_physical_options_init(&o->physical);
    o->zstd_level = 3;
}

static int backup_method(const bkp_backup_options *o, bkp_archive_writer *w, bkp_manifest *m,
                         repl_error *err)
{
    bkp_physical_options p;
    if (strcmp(o->method, "logical") == 0)
        return bkp_logical_dump(w, &o->logical, m, err);
    p = o->physical;
    p.conn = o->logical.conn;
    p.service = o->logical.service;
    p.slave = o->logical.slave;
    p.thl = o->logical.thl;
    p.thl_wait_ms = o->logical.thl_wait_ms;
    return bkp_physical_backup(w, &p, m, err);
}

static int backup_manifest_add(bkp_archive_writer *w, bkp_manifest *m, repl_error *err)
{
    char *text;
    int rc;
    m->finished_us = repl_clock_now_us();
    text = bkp_manifest_format(m);
    rc = bkp_archive_add(w, BKP_MANIFEST_NAME, text, strlen(text), err);
    free(text);
    return rc;
}

static void backup_entry_fill(bkp_entry *e, const bkp_manifest *m, uint32_t crc)
{
    memset(e, 0, sizeof(*e));
    snprintf(e->service, sizeof(e->service), "%s", m->service);
    snprintf(e->method, sizeof(e->method), "%s", m->method);
    snprintf(e->server_version, sizeof(e->server_version), "%s", m->server_version);
    e->created_us = m->created_us;
    e->finished_us = m->finished_us;
    e->position = m->position;
    e->archive_crc32c = crc;
}

/* Write the whole archive into pending's file; the entry is filled on success. */
static int backup_write(const bkp_backup_options *o, bkp_pending *p, bkp_manifest *m, bkp_entry *e,
                        repl_error *err)
{
    bkp_archive_writer *w = NULL;
    uint64_t bytes = 0;
    uint32_t crc = 0;
    int rc =
        bkp_archive_writer_open(&w, bkp_pending_fd(p), bkp_pending_path(p), o->zstd_level, err);
    if (rc == REPL_OK)
        rc = backup_method(o, w, m, err);
    if (rc == REPL_OK)
        rc = backup_manifest_add(w, m, err);
    if (rc == REPL_OK)
        rc = bkp_archive_writer_finish(w, &bytes, &crc, err);
    bkp_archive_writer_free(w);
    if (rc == REPL_OK)
        backup_entry_fill(e, m, crc);
    return rc;
}

static int backup_locked(bkp_store *store, const bkp_backup_options *o, bkp_entry *e,
                         repl_error *err)
{
    const int64_t now = repl_clock_now_us();
    bkp_pending *p = NULL;
    bkp_manifest *m = bkp_manifest_new();
    int rc = bkp_store_begin(store, o->logical.service, o->method, now, &p, err);
    if (rc == REPL_OK) {
        snprintf(m->id, sizeof(m->id), "%s", bkp_pending_id(p));
        snprintf(m->service, sizeof(m->service), "%s", o->logical.service);
        m->created_us = now;
        rc = backup_write(o, p, m, e, err);
        if (rc != REPL_OK)
            repl_error_wrap(err, "backup %s failed", bkp_pending_id(p));
    }
    if (rc == REPL_OK)
        rc = bkp_store_commit(store, p, e, err); /* frees p, removes the file on failure */
    else
        bkp_store_abort(store, p);
    bkp_manifest_free(m);
    return rc;
}

int bkp_backup_run(bkp_store *store, const bkp_backup_options *o, bkp_entry *out, repl_error *err)
{
    char pos[2048];
    bkp_entry e;
    int rc;
    if (o->method == NULL ||
        (strcmp(o->method, "logical") != 0 && strcmp(o->method, "physical") != 0))
        return repl_error_set(err, REPL_ERR_INVALID, "backup: unknown method \"%s\"",
                              o->method != NULL ? o->method : "");
    if (o->logical.service == NULL || o->logical.service[0] == '\0')
        return repl_error_set(err, REPL_ERR_INVALID, "backup: no service name");
    rc = bkp_store_lock(store, err);
    if (rc != REPL_OK)
        return rc;
    rc = backup_locked(store, o, &e, err);
    bkp_store_unlock(store);
    if (rc != REPL_OK)
        return rc;
    bkp_position_format(&e.position, pos, sizeof(pos));
    REPL_LOG_INFO("backup", "backup complete: id=%s size=%" PRIu64 " duration_ms=%" PRIu64 " %s",
                  e.id, e.size_bytes, e.duration_ms, pos);
    if (out != NULL)
        *out = e;
    return REPL_OK;
}

static int restore_dispatch(const char *archive, const bkp_restore_options *o, repl_error *err)
{
    const char *label = o->label != NULL ? o->label : archive;
    const uint32_t *crc = o->has_archive_crc ? &o->archive_crc32c : NULL;
    bkp_manifest *m = NULL;
    int rc = bkp_verify_archive(archive, label, crc, &m, NULL, err);
    if (rc != REPL_OK)
        return rc;
    if (strcmp(m->method, "physical") == 0)
        rc = bkp_physical_restore(archive, o, m, err);
    else
        rc = bkp_logical_restore(archive, o, m, err);
    bkp_manifest_free(m);
    return rc;
}

int bkp_restore(const char *archive, const bkp_restore_options *o, repl_error *err)
{
    return restore_dispatch(archive, o, err);
}

int bkp_restore_from_store(bkp_store *store, const char *id, const char *service,
                           const bkp_restore_options *o, bkp_entry *out, repl_error *err)
{
    char path[4096];
    bkp_restore_options ro = *o;
    bkp_entry e;
    int rc =
        id != NULL ? bkp_store_find(store, id, &e, err) : bkp_store_latest(store, service, &e, err);
    if (rc == REPL_OK)
        rc = bkp_store_archive_path(store, &e, path, sizeof(path), err);
    if (rc != REPL_OK)
        return rc;
    ro.label = e.id;
    ro.has_archive_crc = 1;
    ro.archive_crc32c = e.archive_crc32c;
    rc = restore_dispatch(path, &ro, err);
    if (rc == REPL_OK && out != NULL)
        *out = e;
    return rc;
}
