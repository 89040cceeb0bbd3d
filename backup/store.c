/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/store.c - the backup store directory: open, writer lock (flock with the holder's pid),
 * listing, retention, and the life of a backup file (hidden temporary name, then rename and
 * catalog update, or removal). The catalog file itself is handled by catalog.c. */
#include "backup/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backup/backup_int.h"
#include "backup/store_int.h"
#include "replicator/base/log.h"
#include "replicator/base/mem.h"

#define STORE_SUFFIX  ".tar.zst"
#define STORE_PARTIAL ".partial"

static int store_mkdirs(const char *dir, repl_error *err)
{
    char tmp[STORE_PATH_MAX];
    size_t len = strlen(dir);
    if (len == 0 || len >= sizeof(tmp))
        return repl_error_set(err, REPL_ERR_INVALID, "backup: bad store directory \"%s\"", dir);
    memcpy(tmp, dir, len + 1);
    for (char *p = tmp + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0750) != 0 && errno != EEXIST)
            return repl_error_sys(err, REPL_ERR_IO, errno, "backup: mkdir %s", tmp);
        *p = '/';
    }
    if (mkdir(tmp, 0750) != 0 && errno != EEXIST)
        return repl_error_sys(err, REPL_ERR_IO, errno, "backup: mkdir %s", tmp);
    return REPL_OK;
}

int bkp_store_open(bkp_store **out, const char *dir, int create, repl_error *err)
{
    bkp_store *s;
    struct stat st;
    *out = NULL;
    if (dir == NULL || dir[0] == '\0' || strlen(dir) > STORE_PATH_MAX - 256)
        return repl_error_set(err, REPL_ERR_INVALID, "backup: bad store directory");
    if (create) {
        int rc = store_mkdirs(dir, err);
        if (rc != REPL_OK)
            return rc;
    }
    if (stat(dir, &st) != 0)
        return repl_error_sys(err, REPL_ERR_IO, errno, "backup: store %s", dir);
    if (!S_ISDIR(st.st_mode))
        return repl_error_set(err, REPL_ERR_INVALID, "backup: store %s is not a directory", dir);
    s = repl_calloc(1, sizeof(*s));
    s->dir = repl_strdup(dir);
    s->lock_fd = -1;
    *out = s;
    return REPL_OK;
}

void bkp_store_close(bkp_store *store)
{
    if (store == NULL)
        return;
    bkp_store_unlock(store);
    repl_free(store->dir);
    repl_free(store);
}

const char *bkp_store_dir(const bkp_store *store)
{
    return store->dir;
}

static int store_is_stale(const char *name)
{
    size_t len = strlen(name);
    size_t plen = strlen(STORE_PARTIAL);
    if (name[0] != '.')
        return 0;
    if (strcmp(name, ".catalog.json.tmp") == 0)
        return 1;
    return len > plen && strcmp(name + len - plen, STORE_PARTIAL) == 0;
}

/* With the lock held, every temporary file belongs to a writer that died. */
static void store_remove_stale(bkp_store *s)
{
    DIR *d = opendir(s->dir);
    struct dirent *de;
    char path[STORE_PATH_MAX];
    if (d == NULL)
        return;
    while ((de = readdir(d)) != NULL) {
        if (!store_is_stale(de->d_name))
            continue;
        snprintf(path, sizeof(path), "%s/%s", s->dir, de->d_name);
        if (unlink(path) == 0)
            REPL_LOG_INFO("backup", "removed a stale temporary file: %s", path);
    }
    closedir(d);
}

static int store_lock_busy(bkp_store *s, int fd, repl_error *err)
{
    char pid[32];
    ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);
    pid[n > 0 ? n : 0] = '\0';
    pid[strcspn(pid, "\n")] = '\0';
    return repl_error_set(err, REPL_ERR_INVALID, "backup: another backup is running (pid %s) on %s",
                          pid[0] != '\0' ? pid : "unknown", s->dir);
}

int bkp_store_lock(bkp_store *store, repl_error *err)
{
    char path[STORE_PATH_MAX];
    char pid[32];
    int fd;
    int n;
    if (store->lock_fd >= 0)
        return REPL_OK;
    snprintf(path, sizeof(path), "%s/.lock", store->dir);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        return repl_error_sys(err, REPL_ERR_IO, errno, "backup: open lock file %s", path);
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        int rc = e == EWOULDBLOCK ? store_lock_busy(store, fd, err)
                                  : repl_error_sys(err, REPL_ERR_IO, e, "backup: lock %s", path);
        close(fd);
        return rc;
    }
    n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n)
        REPL_LOG_WARN("backup", "cannot record our pid in %s: %s", path, strerror(errno));
    store->lock_fd = fd;
    store_remove_stale(store);
    return REPL_OK;
}

void bkp_store_unlock(bkp_store *store)
{
    if (store->lock_fd < 0)
        return;
    flock(store->lock_fd, LOCK_UN);
    close(store->lock_fd);
    store->lock_fd = -1;
}

static int store_cmp_created(const void *a, const void *b)
{
    const bkp_entry *x = a;
    const bkp_entry *y = b;
    if (x->created_us != y->created_us)
        return x->created_us < y->created_us ? -1 : 1;
    return strcmp(x->id, y->id);
}

int bkp_store_list(bkp_store *store, bkp_entry **out, size_t *count, repl_error *err)
{
    int rc = bkp_catalog_read(store->dir, out, count, err);
    if (rc == REPL_OK && *count > 1)
        qsort(*out, *count, sizeof(**out), store_cmp_created);
    return rc;
}

int bkp_store_latest(bkp_store *store, const char *service, bkp_entry *out, repl_error *err)
{
    bkp_entry *all = NULL;
    size_t n = 0;
    int rc = bkp_store_list(store, &all, &n, err);
    const bkp_entry *best = NULL;
    if (rc != REPL_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (service == NULL || strcmp(all[i].service, service) == 0)
            best = &all[i];
    }
    if (best != NULL)
        *out = *best;
    else
        rc = repl_error_set(err, REPL_ERR_NOTFOUND, "backup: no complete backup%s%s in %s",
                            service != NULL ? " of service " : "", service != NULL ? service : "",
                            store->dir);
    repl_free(all);
    return rc;
}

int bkp_store_find(bkp_store *store, const char *id, bkp_entry *out, repl_error *err)
{
    bkp_entry *all = NULL;
    size_t n = 0;
    int rc = bkp_store_list(store, &all, &n, err);
    if (rc != REPL_OK)
        return rc;
    rc = repl_error_set(err, REPL_ERR_NOTFOUND, "backup: no backup %s in %s", id, store->dir);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(all[i].id, id) == 0) {
            *out = all[i];
            rc = REPL_OK;
            repl_error_clear(err);
        }
    }
    repl_free(all);
    return rc;
}

int bkp_store_archive_path(const bkp_store *store, const bkp_entry *entry, char *out,
                           size_t out_len, repl_error *err)
{
    int n = snprintf(out, out_len, "%s/%s", store->dir, entry->archive);
    if (n < 0 || (size_t)n >= out_len)
        return repl_error_set(err, REPL_ERR_INVALID, "backup: path of %s too long", entry->id);
    return REPL_OK;
}
