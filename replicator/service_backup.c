/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replicator/service_backup.c - backups, restores and provisioning of a service (DESIGN.md section
 * 7) over the backup/ module: `trepctl backup` (consistent backup with its position, then
 * retention), `trepctl restore` and `provision` on a slave (restore, record the position, empty the
 * THL so the slave fetches what follows), and auto-provisioning of a slave started on an empty
 * database. A marker file in the THL directory makes an interrupted restore start over instead of
 * going online half-restored. */
#include "replicator/service_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backup/backup.h"
#include "backup/store.h"
#include "backup/verify.h"
#include "replicator/base/clock.h"
#include "replicator/base/log.h"

#define PROVISION_MARKER "PROVISIONING"

static void svc_conn_options(const repl_service_config *c, bkp_conn_options *o)
{
    memset(o, 0, sizeof(*o));
    if (c->mysql_socket[0] != '\0') {
        o->socket = c->mysql_socket;
    } else {
        o->host = c->mysql_host;
        o->port = (unsigned)c->mysql_port;
    }
    o->user = c->mysql_user;
    o->password = c->mysql_password;
}

static int svc_store_open(repl_service *svc, bkp_store **out, repl_error *err)
{
    if (svc->cfg.backup_store[0] == '\0')
        return repl_error_set(err, REPL_ERR_INVALID,
                              "service %s: no backup store: set backup-store in the configuration",
                              svc->cfg.name);
    return bkp_store_open(out, svc->cfg.backup_store, 1, err);
}

static json_t *entry_json(const bkp_entry *e)
{
    return json_pack("{s:s,s:s,s:I,s:I,s:{s:s,s:I,s:I,s:s,s:s,s:I}}", "id", e->id, "method",
                     e->method, "size_bytes", (json_int_t)e->size_bytes, "duration_ms",
                     (json_int_t)e->duration_ms, "position", "role", e->position.role, "seqno",
                     (json_int_t)e->position.seqno, "epoch", (json_int_t)e->position.epoch,
                     "event_id", e->position.event_id, "binlog_file", e->position.binlog_file,
                     "binlog_pos", (json_int_t)e->position.binlog_pos);
}

int repl_service_backup(repl_service *svc, const char *method, json_t **out, repl_error *err)
{
    bkp_store *store = NULL;
    bkp_backup_options o;
    bkp_retention ret;
    bkp_entry e;
    size_t removed = 0;
    int rc = svc_store_open(svc, &store, err);
    *out = NULL;
    if (rc != REPL_OK)
        return rc;
    bkp_backup_options_init(&o);
    o.method = method != NULL ? method : (svc->cfg.backup_method == 1 ? "physical" : "logical");
    svc_conn_options(&svc->cfg, &o.logical.conn);
    o.logical.service = svc->cfg.name;
    o.logical.slave = svc->cfg.role == REPL_ROLE_SLAVE;
    o.logical.thl = svc->cfg.role == REPL_ROLE_MASTER ? svc->log : NULL;
    o.logical.threads = (unsigned)svc->cfg.backup_threads;
    rc = bkp_backup_run(store, &o, &e, err);
    if (rc == REPL_OK) {
        ret.keep_last = (uint32_t)svc->cfg.backup_keep;
        ret.keep_days = (uint32_t)svc->cfg.backup_keep_days;
        if (ret.keep_last > 0 || ret.keep_days > 0)
            rc = bkp_store_prune(store, &ret, repl_clock_now_us(), &removed, err);
    }
    bkp_store_close(store);
    if (rc != REPL_OK)
        return repl_error_wrap(err, "service %s: backup", svc->cfg.name);
    REPL_LOG_INFO("backup",
                  "service=%s backup id=%s bytes=%" PRIu64 " ms=%" PRIu64 " seqno=%" PRId64,
                  svc->cfg.name, e.id, e.size_bytes, e.duration_ms, e.position.seqno);
    *out = entry_json(&e);
    json_object_set_new(*out, "pruned", json_integer((json_int_t)removed));
    return REPL_OK;
}

int repl_service_verify(repl_service *svc, const char *id, json_t **out, repl_error *err)
{
    bkp_store *store = NULL;
    bkp_verify_report rep;
    int rc = svc_store_open(svc, &store, err);
    *out = NULL;
    if (rc != REPL_OK)
        return rc;
    rc = bkp_verify(store, id, &rep, err);
    bkp_store_close(store);
    if (rc != REPL_OK)
        return rc;
    *out = json_pack("{s:s,s:s,s:I,s:I,s:I}", "id", id, "verified", "ok", "files",
                     (json_int_t)rep.files, "data_bytes", (json_int_t)rep.data_bytes,
                     "archive_bytes", (json_int_t)rep.archive_bytes);
    return REPL_OK;
}

/* ---- restore and provisioning ---- */

static void marker_path(const repl_service *svc, char *out, size_t size)
{
    snprintf(out, size, "%s/%s", svc->cfg.thl_dir, PROVISION_MARKER);
}

static int marker_write(const repl_service *svc, repl_error *err)
{
    char path[600];
    int fd;
    marker_path(svc, path, sizeof(path));
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || fsync(fd) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return repl_error_sys(err, REPL_ERR_IO, e, "provision: write %s", path);
    }
    close(fd);
    return REPL_OK;
}

int svc_provision_interrupted(const repl_service *svc)
{
    char path[600];
    marker_path(svc, path, sizeof(path));
    return access(path, F_OK) == 0;
}

/* Record the backup's position as the applier's, so the slave continues right after it. */
static int restore_set_position(repl_service *svc, const bkp_entry *e, repl_error *err)
{
    apl_options ao;
    apl_applier *apl = NULL;
    apl_position pos;
    int rc;
    if (e->position.seqno < 0)
        return repl_error_set(err, REPL_ERR_INVALID,
                              "restore: backup %s carries no THL position: it cannot seed a slave",
                              e->id);
    memset(&pos, 0, sizeof(pos));
    pos.seqno = (uint64_t)e->position.seqno;
    pos.last_frag = 1;
    pos.epoch = e->position.epoch > 0 ? (uint64_t)e->position.epoch : 0;
    snprintf(pos.event_id, sizeof(pos.event_id), "%s", e->position.event_id);
    snprintf(pos.source_id, sizeof(pos.source_id), "%s", e->position.source_id);
    snprintf(pos.shard_id, sizeof(pos.shard_id), "#UNKNOWN");
    svc_applier_options(&svc->cfg, &ao);
    rc = apl_applier_open(&apl, &ao, err);
    if (rc == REPL_OK)
        rc = apl_applier_set_position(apl, &pos, err);
    apl_applier_close(apl);
    return rc;
}

/* Restore backup id (NULL: the newest of this service) into the local database, record its
 * position, empty the THL. The service must not be running its pipeline. */
static int svc_restore(repl_service *svc, const char *id, int force, bkp_entry *e, repl_error *err)
{
    bkp_store *store = NULL;
    bkp_restore_options ro;
    char path[600];
    int rc = svc_store_open(svc, &store, err);
    if (rc != REPL_OK)
        return rc;
    rc = marker_write(svc, err);
    bkp_restore_options_init(&ro);
    svc_conn_options(&svc->cfg, &ro.conn);
    ro.threads = (unsigned)svc->cfg.backup_threads;
    ro.force = force;
    ro.events_disabled = 1;
    if (rc == REPL_OK)
        rc = bkp_restore_from_store(store, id, svc->cfg.name, &ro, e, err);
    bkp_store_close(store);
    if (rc == REPL_OK)
        rc = restore_set_position(svc, e, err);
    if (rc == REPL_OK)
        rc = thl_log_reset(svc->log, err);
    if (rc != REPL_OK)
        return repl_error_wrap(err, "service %s: restore", svc->cfg.name);
    marker_path(svc, path, sizeof(path));
    unlink(path);
    REPL_LOG_INFO("backup", "service=%s restored backup id=%s seqno=%" PRId64 " event_id=%s",
                  svc->cfg.name, e->id, e->position.seqno, e->position.event_id);
    return REPL_OK;
}

int repl_service_restore(repl_service *svc, const char *id, json_t **out, repl_error *err)
{
    bkp_entry e;
    int rc;
    *out = NULL;
    if (svc->cfg.role != REPL_ROLE_SLAVE)
        return repl_error_set(err, REPL_ERR_INVALID,
                              "restore: service %s is a master; restore a slave (or setrole first)",
                              svc->cfg.name);
    pthread_mutex_lock(&svc->lock);
    int running = svc->running;
    pthread_mutex_unlock(&svc->lock);
    if (running)
        return repl_error_set(err, REPL_ERR_INVALID, "restore: take service %s offline first",
                              svc->cfg.name);
    rc = svc_restore(svc, id, 1, &e, err);
    if (rc == REPL_OK)
        *out = entry_json(&e);
    return rc;
}

/* Whether the store holds a backup of this service (no store configured: no). */
static int svc_has_backup(repl_service *svc)
{
    bkp_store *store = NULL;
    bkp_entry e;
    repl_error err;
    int found;
    if (svc->cfg.backup_store[0] == '\0' || bkp_store_open(&store, svc->cfg.backup_store, 1, &err))
        return 0;
    found = bkp_store_latest(store, svc->cfg.name, &e, &err) == REPL_OK;
    bkp_store_close(store);
    return found;
}

/* Whether the local database holds no user table (trep's own schemas aside). */
static int svc_db_empty(repl_service *svc, int *empty, repl_error *err)
{
    static const char sql[] =
        "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA NOT IN "
        "('mysql','information_schema','performance_schema','sys') AND TABLE_SCHEMA NOT LIKE "
        "'trep\\_%'";
    MYSQL *m = NULL;
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc = svc_mysql_connect(svc, &m, err);
    if (rc != REPL_OK)
        return rc;
    if (mysql_query(m, sql) != 0 || (res = mysql_store_result(m)) == NULL ||
        (row = mysql_fetch_row(res)) == NULL || row[0] == NULL)
        rc = repl_error_set(err, REPL_ERR_RETRY, "provision: count tables: %s", mysql_error(m));
    else
        *empty = strcmp(row[0], "0") == 0;
    if (res != NULL)
        mysql_free_result(res);
    mysql_close(m);
    return rc;
}

int svc_provision_if_needed(repl_service *svc, repl_error *err)
{
    bkp_entry e;
    int empty = 0;
    int redo = svc_provision_interrupted(svc);
    int rc = REPL_OK;
    if (!redo) {
        if (!svc->cfg.auto_provision)
            return REPL_OK;
        rc = svc_db_empty(svc, &empty, err);
        if (rc != REPL_OK || !empty)
            return rc;
        if (!svc_has_backup(svc)) {
            /* a new topology: the master's THL holds everything from its first transaction */
            REPL_LOG_INFO("backup",
                          "service=%s empty database and no backup in %s: replicating "
                          "from the master's first transaction",
                          svc->cfg.name,
                          svc->cfg.backup_store[0] ? svc->cfg.backup_store : "(none)");
            return REPL_OK;
        }
    }
    REPL_LOG_INFO("backup", "service=%s provisioning from the latest backup%s", svc->cfg.name,
                  redo ? " (an earlier provisioning was interrupted: starting over)" : "");
    pthread_mutex_lock(&svc->lock);
    svc->provisioning = 1;
    pthread_mutex_unlock(&svc->lock);
    rc = svc_restore(svc, NULL, redo, &e, err);
    pthread_mutex_lock(&svc->lock);
    svc->provisioning = 0;
    pthread_mutex_unlock(&svc->lock);
    return rc;
}

int repl_service_provision(repl_service *svc, const char *donor, json_t **out, repl_error *err)
{
    repl_online_args oa;
    int rc;
    *out = NULL;
    if (donor != NULL && donor[0] != '\0')
        return repl_error_set(err, REPL_ERR_INVALID,
                              "provision: streaming a backup from a donor is not supported yet; "
                              "take a backup on %s into the shared backup store and run provision "
                              "without --donor",
                              donor);
    rc = repl_service_restore(svc, NULL, out, err);
    if (rc != REPL_OK)
        return rc;
    memset(&oa, 0, sizeof(oa));
    rc = repl_service_online(svc, &oa, err);
    if (rc != REPL_OK) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}
