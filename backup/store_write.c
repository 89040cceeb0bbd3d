/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/store_write.c - the writing side of a backup store: a backup's temporary file (begin,
 * commit, abort) and retention (prune). Callers hold the store lock (store.c). */
#include "backup/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backup/backup_int.h"
#include "backup/store_int.h"
#include "replicator/base/log.h"
#include "replicator/base/mem.h"

#define US_PER_DAY (86400LL * 1000000LL)

static int store_name_ok(const char *s, size_t max)
{
    size_t len = strlen(s);
    if (len == 0 || len > max)
        return 0;
    for (const char *p = s; *p != '\0'; p++) {
        int ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                 *p == '_' || *p == '-';
        if (!ok)
            return 0;
    }
    return 1;
}

static int store_id_taken(const bkp_store *s, const char *id, const bkp_entry *all, size_t n)
{
    char path[STORE_PATH_MAX];
    struct stat st;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(all[i].id, id) == 0)
            return 1;
    }
    snprintf(path, sizeof(path), "%s/%s.tar.zst", s->dir, id);
    return stat(path, &st) == 0;
}

static int store_choose_id(bkp_store *s, const char *service, const char *method, int64_t now_us,
                           char *id, repl_error *err)
{
    char base[BKP_ID_MAX - 8];
    time_t sec = (time_t)(now_us / 1000000);
    struct tm tm;
    bkp_entry *all = NULL;
    size_t n = 0;
    int rc = bkp_store_list(s, &all, &n, err);
    if (rc != REPL_OK)
        return rc;
    gmtime_r(&sec, &tm);
    snprintf(base, sizeof(base), "%04d%02d%02dT%02d%02d%02dZ-%s-%s", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, service, method);
    snprintf(id, BKP_ID_MAX, "%s", base);
    for (int k = 2; store_id_taken(s, id, all, n); k++)
        snprintf(id, BKP_ID_MAX, "%s-%d", base, k);
    repl_free(all);
    return REPL_OK;
}

int bkp_store_begin(bkp_store *store, const char *service, const char *method, int64_t now_us,
                    bkp_pending **out, repl_error *err)
{
    bkp_pending *p;
    int rc;
    *out = NULL;
    if (store->lock_fd < 0)
        return repl_error_set(err, REPL_ERR_INVALID, "backup: store %s is not locked", store->dir);
    if (!store_name_ok(service, 48) || !store_name_ok(method, 15))
        return repl_error_set(err, REPL_ERR_INVALID,
                              "backup: bad service or method name (want [A-Za-z0-9_-], 1-48)");
    p = repl_calloc(1, sizeof(*p));
    p->fd = -1;
    rc = store_choose_id(store, service, method, now_us, p->id, err);
    if (rc == REPL_OK) {
        snprintf(p->path, sizeof(p->path), "%s/.%s.tar.zst.partial", store->dir, p->id);
        snprintf(p->final, sizeof(p->final), "%s/%s.tar.zst", store->dir, p->id);
        p->fd = open(p->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
        if (p->fd < 0)
            rc = repl_error_sys(err, bkp_errno_code(errno), errno, "backup: create %s", p->path);
    }
    if (rc != REPL_OK) {
        repl_free(p);
        return rc;
    }
    *out = p;
    return REPL_OK;
}

int bkp_pending_fd(const bkp_pending *p)
{
    return p->fd;
}

const char *bkp_pending_path(const bkp_pending *p)
{
    return p->path;
}

const char *bkp_pending_id(const bkp_pending *p)
{
    return p->id;
}

void bkp_store_abort(bkp_store *store, bkp_pending *pending)
{
    (void)store;
    if (pending == NULL)
        return;
    if (pending->fd >= 0)
        close(pending->fd);
    if (unlink(pending->path) != 0 && errno != ENOENT)
        REPL_LOG_WARN("backup", "cannot remove %s: %s", pending->path, strerror(errno));
    repl_free(pending);
}

/* fsync, close and rename the temporary file to its final name. */
static int store_seal(bkp_store *store, bkp_pending *p, uint64_t *size, repl_error *err)
{
    struct stat st;
    int rc = REPL_OK;
    if (fsync(p->fd) != 0)
        rc = repl_error_sys(err, bkp_errno_code(errno), errno, "backup: fsync %s", p->path);
    if (rc == REPL_OK && fstat(p->fd, &st) != 0)
        rc = repl_error_sys(err, REPL_ERR_IO, errno, "backup: stat %s", p->path);
    *size = rc == REPL_OK ? (uint64_t)st.st_size : 0;
    if (close(p->fd) != 0 && rc == REPL_OK)
        rc = repl_error_sys(err, bkp_errno_code(errno), errno, "backup: close %s", p->path);
    p->fd = -1;
    if (rc == REPL_OK && rename(p->path, p->final) != 0)
        rc = repl_error_sys(err, REPL_ERR_IO, errno, "backup: rename %s", p->path);
    if (rc == REPL_OK)
        rc = bkp_fsync_dir(store->dir, err);
    return rc;
}

static int store_add_entry(bkp_store *store, const bkp_entry *e, repl_error *err)
{
    bkp_entry *all = NULL;
    size_t n = 0;
    int rc = bkp_store_list(store, &all, &n, err);
    if (rc != REPL_OK)
        return rc;
    all = repl_realloc(all, (n + 1) * sizeof(*all));
    all[n] = *e;
    rc = bkp_store_write_catalog(store->dir, all, n + 1, err);
    repl_free(all);
    return rc;
}

int bkp_store_commit(bkp_store *store, bkp_pending *pending, bkp_entry *entry, repl_error *err)
{
    int rc = store_seal(store, pending, &entry->size_bytes, err);
    snprintf(entry->id, sizeof(entry->id), "%s", pending->id);
    snprintf(entry->archive, sizeof(entry->archive), "%s.tar.zst", pending->id);
    snprintf(entry->status, sizeof(entry->status), "complete");
    entry->duration_ms = entry->finished_us > entry->created_us
                             ? (uint64_t)(entry->finished_us - entry->created_us) / 1000
                             : 0;
    if (rc == REPL_OK)
        rc = store_add_entry(store, entry, err);
    if (rc != REPL_OK) {
        unlink(pending->final);
        unlink(pending->path);
        repl_error_wrap(err, "backup %s not recorded", pending->id);
    }
    repl_free(pending);
    return rc;
}

/* 1 when the retention rules keep all[i] (entries sorted oldest first). */
static int store_keeps(const bkp_entry *all, size_t n, size_t i, const bkp_retention *r,
                       int64_t now_us)
{
    size_t newer = 0;
    for (size_t j = i + 1; j < n; j++) {
        if (strcmp(all[j].service, all[i].service) == 0)
            newer++;
    }
    if (newer == 0 || (r->keep_last == 0 && r->keep_days == 0))
        return 1;
    if (r->keep_last > 0 && newer < r->keep_last)
        return 1;
    return r->keep_days > 0 && now_us - all[i].created_us < (int64_t)r->keep_days * US_PER_DAY;
}

static void store_unlink_archives(bkp_store *store, const bkp_entry *gone, size_t n)
{
    char path[STORE_PATH_MAX];
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", store->dir, gone[i].archive);
        if (unlink(path) != 0 && errno != ENOENT)
            REPL_LOG_WARN("backup", "prune: cannot remove %s: %s", path, strerror(errno));
        else
            REPL_LOG_INFO("backup", "prune: removed backup id=%s", gone[i].id);
    }
    if (n > 0) {
        repl_error e;
        if (bkp_fsync_dir(store->dir, &e) != REPL_OK)
            REPL_LOG_WARN("backup", "%s", e.msg);
    }
}

static int store_prune_locked(bkp_store *store, const bkp_retention *r, int64_t now_us,
                              size_t *removed, repl_error *err)
{
    bkp_entry *all = NULL;
    bkp_entry *keep = NULL;
    bkp_entry *gone = NULL;
    size_t n = 0;
    size_t nk = 0;
    size_t ng = 0;
    int rc = bkp_store_list(store, &all, &n, err);
    if (rc != REPL_OK)
        return rc;
    keep = repl_calloc(n + 1, sizeof(*keep));
    gone = repl_calloc(n + 1, sizeof(*gone));
    for (size_t i = 0; i < n; i++) {
        if (store_keeps(all, n, i, r, now_us))
            keep[nk++] = all[i];
        else
            gone[ng++] = all[i];
    }
    if (ng > 0)
        rc = bkp_store_write_catalog(store->dir, keep, nk, err);
    if (rc == REPL_OK)
        store_unlink_archives(store, gone, ng);
    if (removed != NULL)
        *removed = rc == REPL_OK ? ng : 0;
    repl_free(all);
    repl_free(keep);
    repl_free(gone);
    return rc;
}

int bkp_store_prune(bkp_store *store, const bkp_retention *rules, int64_t now_us, size_t *removed,
                    repl_error *err)
{
    const int had_lock = store->lock_fd >= 0;
    int rc;
    if (removed != NULL)
        *removed = 0;
    rc = bkp_store_lock(store, err);
    if (rc != REPL_OK)
        return rc;
    rc = store_prune_locked(store, rules, now_us, removed, err);
    if (!had_lock)
        bkp_store_unlock(store);
    return rc;
}
