/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/physical_restore.c - restore a physical backup into an empty data directory: the
 * archive's xbstream pieces, checked in order and against the manifest, are piped into
 * `mbstream -x` in a scratch directory; then `mariadb-backup --prepare` and `--copy-back`, and the
 * data directory's owner gets every file. Any failure empties the data directory again. */
#include "backup/physical.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backup/proc_int.h"
#include "backup/verify.h"
#include "replicator/base/log.h"
#include "replicator/base/mem.h"

#define PR_PATH_MAX 4096

typedef struct pr_run {
    const bkp_restore_options *o;
    bkp_manifest *m;
    const char *label;
    char dir[PR_PATH_MAX]; /* scratch: restore.log, extract/ */
    char log[PR_PATH_MAX];
    char extract[PR_PATH_MAX];
    int log_fd;
    int touched; /* the data directory may hold restored files */
} pr_run;

static int pr_check_datadir(const char *datadir, repl_error *err)
{
    DIR *d;
    struct dirent *de;
    int used = 0;
    if (datadir == NULL || datadir[0] != '/')
        return repl_error_set(err, REPL_ERR_INVALID, "backup: restore needs an absolute datadir");
    d = opendir(datadir);
    if (d == NULL)
        return repl_error_sys(err, REPL_ERR_INVALID, errno, "backup: datadir %s", datadir);
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
            strcmp(de->d_name, "lost+found") != 0)
            used = 1;
    }
    closedir(d);
    if (used)
        return repl_error_set(err, REPL_ERR_INVALID,
                              "backup: datadir %s is not empty (stop the server and empty it)",
                              datadir);
    return REPL_OK;
}

static int pr_run_tool(pr_run *r, const char *const argv[], const char *what, repl_error *err)
{
    bkp_proc p;
    char tail[1024];
    int rc = bkp_proc_spawn(&p, argv, 0, 0, r->log_fd, err);
    if (rc != REPL_OK)
        return rc;
    rc = bkp_proc_wait(&p, what, err);
    if (rc != REPL_OK) {
        bkp_proc_log_tail(r->log, tail, sizeof(tail));
        repl_error_wrap(err, "backup %s", r->label);
        return repl_error_set(err, err->code, "%s: %s", err->msg, tail);
    }
    return REPL_OK;
}

/* Feed one piece (its number checked) into mbstream's stdin. */
static int pr_piece(pr_run *r, bkp_archive_reader *ar, const char *name, uint32_t *next, int fd,
                    repl_error *err)
{
    const bkp_file_info *f = bkp_manifest_find_file(r->m, name);
    uint8_t buf[1 << 16];
    char want[64];
    size_t got = 0;
    snprintf(want, sizeof(want), "physical/backup.xbstream.%06" PRIu32, (*next)++);
    if (f == NULL || strcmp(name, want) != 0)
        return repl_error_set(err, REPL_ERR_CORRUPT, "file %s: expected %s", name, want);
    do {
        int rc = bkp_archive_reader_read(ar, buf, sizeof(buf), &got, err);
        if (rc == REPL_OK)
            rc = bkp_write_all(fd, buf, got, "mbstream's input", err);
        if (rc != REPL_OK)
            return rc;
    } while (got > 0);
    if (bkp_archive_reader_entry_crc(ar) != f->crc32c ||
        bkp_archive_reader_entry_bytes(ar) != f->bytes)
        return repl_error_set(err, REPL_ERR_CORRUPT, "file %s: checksum mismatch", name);
    return REPL_OK;
}

static int pr_feed(pr_run *r, const char *archive, int fd, repl_error *err)
{
    bkp_archive_reader *ar = NULL;
    const char *name = NULL;
    uint64_t size = 0;
    uint32_t next = 0;
    int rc = bkp_archive_reader_open(&ar, archive, err);
    while (rc == REPL_OK) {
        rc = bkp_archive_reader_next(ar, &name, &size, err);
        if (rc == REPL_ERR_NOTFOUND) {
            rc = REPL_OK;
            break;
        }
        if (rc == REPL_OK && strcmp(name, BKP_MANIFEST_NAME) != 0)
            rc = pr_piece(r, ar, name, &next, fd, err);
    }
    bkp_archive_reader_free(ar);
    return rc;
}

/* mbstream may exit early (bad input): its stdin then raises SIGPIPE, which must become EPIPE. */
static int pr_extract(pr_run *r, const char *archive, repl_error *err)
{
    const char *argv[] = { r->o->mbstream, "-x", "-C", r->extract, NULL };
    const struct timespec zero = { 0, 0 };
    sigset_t pipe_set;
    sigset_t old;
    bkp_proc p;
    repl_error werr;
    int rc;
    int wrc;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    rc = bkp_proc_spawn(&p, argv, 1, 0, r->log_fd, err);
    if (rc != REPL_OK)
        return rc;
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    rc = pr_feed(r, archive, p.in_fd, err);
    if (rc != REPL_OK)
        bkp_proc_kill(&p);
    wrc = bkp_proc_wait(&p, r->o->mbstream, &werr);
    while (sigtimedwait(&pipe_set, NULL, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc == REPL_OK && wrc != REPL_OK)
        *err = werr;
    if (rc != REPL_OK || wrc != REPL_OK)
        return repl_error_wrap(err, "backup %s", r->label);
    return REPL_OK;
}

static int pr_prepare_and_copy(pr_run *r, repl_error *err)
{
    char a_target[PR_PATH_MAX + 32];
    char a_datadir[PR_PATH_MAX + 32];
    const char *prep[] = { r->o->mariadb_backup, "--no-defaults", "--prepare", a_target, NULL };
    const char *copy[] = {
        r->o->mariadb_backup, "--no-defaults", "--copy-back", a_target, a_datadir, NULL
    };
    int rc;
    snprintf(a_target, sizeof(a_target), "--target-dir=%s", r->extract);
    snprintf(a_datadir, sizeof(a_datadir), "--datadir=%s", r->o->datadir);
    rc = pr_run_tool(r, prep, "mariadb-backup --prepare", err);
    if (rc != REPL_OK)
        return rc;
    r->touched = 1;
    return pr_run_tool(r, copy, "mariadb-backup --copy-back", err);
}

static int pr_scratch(pr_run *r, repl_error *err)
{
    const char *tmp = r->o->tmp_dir != NULL ? r->o->tmp_dir : "/tmp";
    int rc = bkp_scratch_dir(r->dir, sizeof(r->dir), tmp, "mbr", err);
    if (rc != REPL_OK)
        return rc;
    snprintf(r->log, sizeof(r->log), "%s/restore.log", r->dir);
    snprintf(r->extract, sizeof(r->extract), "%s/extract", r->dir);
    if (mkdir(r->extract, 0700) != 0)
        return repl_error_sys(err, REPL_ERR_IO, errno, "backup: mkdir %s", r->extract);
    r->log_fd = open(r->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (r->log_fd < 0)
        return repl_error_sys(err, REPL_ERR_IO, errno, "backup: create %s", r->log);
    return REPL_OK;
}

static int pr_run_all(pr_run *r, const char *archive, repl_error *err)
{
    struct stat st;
    int rc = pr_check_datadir(r->o->datadir, err);
    if (rc == REPL_OK)
        rc = pr_scratch(r, err);
    if (rc == REPL_OK)
        rc = pr_extract(r, archive, err);
    if (rc == REPL_OK)
        rc = pr_prepare_and_copy(r, err);
    if (rc == REPL_OK && stat(r->o->datadir, &st) != 0)
        rc = repl_error_sys(err, REPL_ERR_IO, errno, "backup: stat %s", r->o->datadir);
    if (rc == REPL_OK)
        rc = bkp_chown_tree(r->o->datadir, st.st_uid, st.st_gid, err);
    return rc;
}

int bkp_physical_restore(const char *archive, const bkp_restore_options *o, bkp_manifest *m,
                         repl_error *err)
{
    const uint32_t *crc = o->has_archive_crc ? &o->archive_crc32c : NULL;
    bkp_manifest *own = NULL;
    pr_run r;
    int rc = REPL_OK;
    memset(&r, 0, sizeof(r));
    r.o = o;
    r.log_fd = -1;
    r.label = o->label != NULL ? o->label : archive;
    if (m == NULL)
        rc = bkp_verify_archive(archive, r.label, crc, &own, NULL, err);
    r.m = m != NULL ? m : own;
    if (rc == REPL_OK && strcmp(r.m->method, "physical") != 0)
        rc = repl_error_set(err, REPL_ERR_INVALID, "backup %s is a %s backup, not physical",
                            r.label, r.m->method);
    if (rc == REPL_OK)
        rc = pr_run_all(&r, archive, err);
    if (rc != REPL_OK && r.touched)
        bkp_empty_dir(o->datadir);
    if (rc == REPL_OK)
        REPL_LOG_INFO("backup", "restore: backup=%s physical datadir=%s", r.label, o->datadir);
    if (r.log_fd >= 0)
        close(r.log_fd);
    if (r.dir[0] != '\0')
        bkp_remove_tree(r.dir);
    bkp_manifest_free(own);
    return rc;
}
