/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/archive.c - backup archives through libarchive: pax tar + zstd filter, written through our
 * own write callback (CRC32C of the file, precise errno such as ENOSPC) and read through our own
 * read callback (CRC32C of the file as it is consumed). Entry data CRCs on both sides. */
#include "backup/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backup/backup_int.h"
#include "replicator/base/crc32c.h"
#include "replicator/base/mem.h"

#define ARCHIVE_READ_BLOCK (1u << 20)

struct bkp_archive_writer {
    struct archive *a;
    pthread_mutex_t lock; /* serialises entries */
    int fd;
    char *path;
    uint64_t bytes;
    uint32_t crc;
    int io_errno;        /* errno of the failed write, 0 if none */
    int failed;          /* sticky: the libarchive handle is unusable */
    repl_error fail_err; /* why (every later call reports it again) */
};

struct bkp_archive_reader {
    struct archive *a;
    int fd;
    char *path;
    uint8_t *block;
    uint64_t raw_bytes;
    uint32_t raw_crc;
    int io_errno;
    char name[4096]; /* current entry */
    uint32_t entry_crc;
    uint64_t entry_bytes;
    int entry_done;
};

static la_ssize_t archive_cb_write(struct archive *a, void *ud, const void *buf, size_t len)
{
    bkp_archive_writer *w = ud;
    repl_error e;
    if (bkp_write_all(w->fd, buf, len, w->path, &e) != REPL_OK) {
        w->io_errno = e.sys_errno;
        archive_set_error(a, e.sys_errno, "%s", e.msg);
        return -1;
    }
    w->crc = repl_crc32c(w->crc, buf, len);
    w->bytes += len;
    return (la_ssize_t)len;
}

static int archive_writer_error(bkp_archive_writer *w, repl_error *err, const char *what)
{
    w->failed = 1;
    if (w->io_errno != 0)
        repl_error_sys(&w->fail_err, bkp_errno_code(w->io_errno), w->io_errno,
                       "backup: %s: write %s", what, w->path);
    else
        repl_error_set(&w->fail_err, REPL_ERR_IO, "backup: %s %s: %s", what, w->path,
                       archive_error_string(w->a) != NULL ? archive_error_string(w->a)
                                                          : "libarchive error");
    if (err != NULL)
        *err = w->fail_err;
    return w->fail_err.code;
}

/* A call after a failure reports the failure itself, so whichever thread reports first says
 * what really happened (the disk is full, not "already failed"). */
static int archive_writer_failed(bkp_archive_writer *w, repl_error *err)
{
    if (w->fail_err.code == REPL_OK)
        return repl_error_set(err, REPL_ERR_INVALID, "backup: archive %s is closed", w->path);
    if (err != NULL)
        *err = w->fail_err;
    return w->fail_err.code;
}

static int archive_writer_setup(bkp_archive_writer *w, int zstd_level, repl_error *err)
{
    char level[16];
    snprintf(level, sizeof(level), "%d", zstd_level > 0 ? zstd_level : 3);
    if (archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK ||
        archive_write_add_filter_zstd(w->a) != ARCHIVE_OK ||
        archive_write_set_filter_option(w->a, "zstd", "compression-level", level) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(w->a, 1) != ARCHIVE_OK)
        return archive_writer_error(w, err, "set up archive");
    if (archive_write_open2(w->a, w, NULL, archive_cb_write, NULL, NULL) != ARCHIVE_OK)
        return archive_writer_error(w, err, "open archive");
    return REPL_OK;
}

int bkp_archive_writer_open(bkp_archive_writer **out, int fd, const char *path, int zstd_level,
                            repl_error *err)
{
    bkp_archive_writer *w = repl_calloc(1, sizeof(*w));
    int rc;
    *out = NULL;
    w->fd = fd;
    w->path = repl_strdup(path);
    pthread_mutex_init(&w->lock, NULL);
    w->a = archive_write_new();
    if (w->a == NULL) {
        bkp_archive_writer_free(w);
        return repl_error_set(err, REPL_ERR_IO, "backup: archive_write_new failed");
    }
    rc = archive_writer_setup(w, zstd_level, err);
    if (rc != REPL_OK) {
        bkp_archive_writer_free(w);
        return rc;
    }
    *out = w;
    return REPL_OK;
}

static struct archive_entry *archive_entry_make(const char *name, size_t len)
{
    struct archive_entry *e = archive_entry_new();
    if (e == NULL)
        return NULL;
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0640);
    archive_entry_set_size(e, (la_int64_t)len);
    archive_entry_set_mtime(e, time(NULL), 0);
    return e;
}

static int archive_add_locked(bkp_archive_writer *w, const char *name, const void *data, size_t len,
                              repl_error *err)
{
    struct archive_entry *e;
    const uint8_t *p = data;
    int rc = REPL_OK;
    if (w->failed)
        return archive_writer_failed(w, err);
    e = archive_entry_make(name, len);
    if (e == NULL)
        return repl_error_set(err, REPL_ERR_IO, "backup: archive_entry_new failed");
    if (archive_write_header(w->a, e) != ARCHIVE_OK)
        rc = archive_writer_error(w, err, "write entry header");
    while (rc == REPL_OK && len > 0) {
        size_t n = len < (1u << 20) ? len : (1u << 20);
        la_ssize_t done = archive_write_data(w->a, p, n);
        if (done <= 0) {
            rc = archive_writer_error(w, err, "write entry");
            break;
        }
        p += done;
        len -= (size_t)done;
    }
    if (rc == REPL_OK && archive_write_finish_entry(w->a) != ARCHIVE_OK)
        rc = archive_writer_error(w, err, "finish entry");
    archive_entry_free(e);
    return rc;
}

int bkp_archive_add(bkp_archive_writer *w, const char *name, const void *data, size_t len,
                    repl_error *err)
{
    int rc;
    pthread_mutex_lock(&w->lock);
    rc = archive_add_locked(w, name, data, len, err);
    pthread_mutex_unlock(&w->lock);
    if (rc != REPL_OK)
        repl_error_wrap(err, "entry %s", name);
    return rc;
}

int bkp_archive_writer_finish(bkp_archive_writer *w, uint64_t *bytes, uint32_t *crc,
                              repl_error *err)
{
    int rc = REPL_OK;
    pthread_mutex_lock(&w->lock);
    if (w->failed)
        rc = archive_writer_failed(w, err);
    else if (archive_write_close(w->a) != ARCHIVE_OK)
        rc = archive_writer_error(w, err, "close archive");
    w->failed = 1; /* closed: nothing more may be added */
    if (bytes != NULL)
        *bytes = w->bytes;
    if (crc != NULL)
        *crc = w->crc;
    pthread_mutex_unlock(&w->lock);
    return rc;
}

void bkp_archive_writer_free(bkp_archive_writer *w)
{
    if (w == NULL)
        return;
    if (w->a != NULL)
        archive_write_free(w->a);
    pthread_mutex_destroy(&w->lock);
    repl_free(w->path);
    repl_free(w);
}

/* ---- reader ---- */

static la_ssize_t archive_cb_read(struct archive *a, void *ud, const void **buf)
{
    bkp_archive_reader *r = ud;
    ssize_t n;
    do {
        n = read(r->fd, r->block, ARCHIVE_READ_BLOCK);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        r->io_errno = errno;
        archive_set_error(a, errno, "read %s: %s", r->path, strerror(errno));
        return -1;
    }
    r->raw_crc = repl_crc32c(r->raw_crc, r->block, (size_t)n);
    r->raw_bytes += (uint64_t)n;
    *buf = r->block;
    return n;
}

int bkp_archive_reader_open(bkp_archive_reader **out, const char *path, repl_error *err)
{
    bkp_archive_reader *r;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    *out = NULL;
    if (fd < 0)
        return repl_error_sys(err, REPL_ERR_IO, errno, "backup: open archive %s", path);
    r = repl_calloc(1, sizeof(*r));
    r->fd = fd;
    r->path = repl_strdup(path);
    r->block = repl_malloc(ARCHIVE_READ_BLOCK);
    r->entry_done = 1;
    r->a = archive_read_new();
    if (r->a == NULL || archive_read_support_filter_zstd(r->a) != ARCHIVE_OK ||
        archive_read_support_format_tar(r->a) != ARCHIVE_OK ||
        archive_read_open(r->a, r, NULL, archive_cb_read, NULL) != ARCHIVE_OK) {
        repl_error_set(err, REPL_ERR_CORRUPT, "backup: open archive %s: %s", path,
                       r->a != NULL && archive_error_string(r->a) != NULL
                           ? archive_error_string(r->a)
                           : "not a zstd-compressed tar archive");
        bkp_archive_reader_free(r);
        return REPL_ERR_CORRUPT;
    }
    *out = r;
    return REPL_OK;
}

static int archive_reader_error(bkp_archive_reader *r, repl_error *err, const char *what)
{
    const char *msg = archive_error_string(r->a);
    if (r->io_errno != 0)
        return repl_error_sys(err, REPL_ERR_IO, r->io_errno, "backup: archive %s: %s", r->path,
                              what);
    return repl_error_set(err, REPL_ERR_CORRUPT, "backup: archive %s: %s: %s", r->path, what,
                          msg != NULL ? msg : "damaged archive");
}

static int archive_reader_drain(bkp_archive_reader *r, repl_error *err)
{
    uint8_t buf[65536];
    size_t got = 1;
    while (!r->entry_done) {
        int rc = bkp_archive_reader_read(r, buf, sizeof(buf), &got, err);
        if (rc != REPL_OK)
            return rc;
    }
    return REPL_OK;
}

int bkp_archive_reader_next(bkp_archive_reader *r, const char **name, uint64_t *size,
                            repl_error *err)
{
    struct archive_entry *e = NULL;
    char what[4200];
    int rc = archive_reader_drain(r, err);
    if (rc != REPL_OK)
        return rc;
    rc = archive_read_next_header(r->a, &e);
    if (rc == ARCHIVE_EOF)
        return REPL_ERR_NOTFOUND;
    if (rc != ARCHIVE_OK) {
        snprintf(what, sizeof(what), "entry after %s", r->name[0] != '\0' ? r->name : "the start");
        return archive_reader_error(r, err, what);
    }
    snprintf(r->name, sizeof(r->name), "%s", archive_entry_pathname(e));
    r->entry_crc = 0;
    r->entry_bytes = 0;
    r->entry_done = 0;
    *name = r->name;
    *size = archive_entry_size_is_set(e) ? (uint64_t)archive_entry_size(e) : 0;
    return REPL_OK;
}

int bkp_archive_reader_read(bkp_archive_reader *r, void *buf, size_t cap, size_t *got,
                            repl_error *err)
{
    char what[4200];
    la_ssize_t n;
    *got = 0;
    if (r->entry_done)
        return REPL_OK;
    n = archive_read_data(r->a, buf, cap);
    if (n < 0) {
        snprintf(what, sizeof(what), "file %s", r->name);
        return archive_reader_error(r, err, what);
    }
    if (n == 0)
        r->entry_done = 1;
    r->entry_crc = repl_crc32c(r->entry_crc, buf, (size_t)n);
    r->entry_bytes += (uint64_t)n;
    *got = (size_t)n;
    return REPL_OK;
}

uint32_t bkp_archive_reader_entry_crc(const bkp_archive_reader *r)
{
    return r->entry_crc;
}

uint64_t bkp_archive_reader_entry_bytes(const bkp_archive_reader *r)
{
    return r->entry_bytes;
}

int bkp_archive_reader_finish(bkp_archive_reader *r, uint64_t *bytes, uint32_t *crc,
                              repl_error *err)
{
    for (;;) {
        ssize_t n = read(r->fd, r->block, ARCHIVE_READ_BLOCK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return repl_error_sys(err, REPL_ERR_IO, errno, "backup: read %s", r->path);
        if (n == 0)
            break;
        r->raw_crc = repl_crc32c(r->raw_crc, r->block, (size_t)n);
        r->raw_bytes += (uint64_t)n;
    }
    *bytes = r->raw_bytes;
    *crc = r->raw_crc;
    return REPL_OK;
}

void bkp_archive_reader_free(bkp_archive_reader *r)
{
    if (r == NULL)
        return;
    if (r->a != NULL)
        archive_read_free(r->a);
    if (r->fd >= 0)
        close(r->fd);
    repl_free(r->block);
    repl_free(r->path);
    repl_free(r);
}
