/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extractors/binlog.c - binlog files as a raw event source: checks the "\xfebin" magic, then frames
 * events by the length in their common header, bounds-checked against the file, tracking offsets.
 * Holds one event buffer (grown to the largest event) and a read-ahead buffer. A truncated or
 * impossible event is REPL_ERR_CORRUPT naming the file, the offset and the event type. Decoding is
 * binlog_decoder.c's job. One reader per thread. */
#include "extractors/binlog.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "extractors/binlog_int.h"
#include "replicator/base/mem.h"

#define READ_AHEAD_BYTES (256 * 1024)
#define MAGIC_LEN        4

struct ext_binlog_file {
    int fd;
    char *path;
    uint64_t offset; /* file offset of the next event */
    uint64_t size;   /* file size when last looked at */
    uint8_t *rbuf;   /* read-ahead */
    size_t rlen;
    size_t rpos;
    ext_scratch ev; /* the current event */
};

/* Copy up to n bytes at the current position into dst; returns the count (short at end of file). */
static int file_read(ext_binlog_file *f, uint8_t *dst, size_t n, size_t *got, repl_error *err)
{
    *got = 0;
    while (*got < n) {
        ssize_t r;
        if (f->rpos < f->rlen) {
            size_t k = f->rlen - f->rpos < n - *got ? f->rlen - f->rpos : n - *got;
            memcpy(dst + *got, f->rbuf + f->rpos, k);
            f->rpos += k;
            *got += k;
            continue;
        }
        r = read(f->fd, f->rbuf, READ_AHEAD_BYTES);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return repl_error_sys(err, REPL_ERR_IO, errno, "binlog: read %s", f->path);
        if (r == 0)
            break;
        f->rlen = (size_t)r;
        f->rpos = 0;
    }
    return REPL_OK;
}

static int check_magic(ext_binlog_file *f, repl_error *err)
{
    uint8_t magic[MAGIC_LEN];
    size_t got = 0;
    int rc = file_read(f, magic, MAGIC_LEN, &got, err);
    if (rc != REPL_OK)
        return rc;
    if (got < MAGIC_LEN || memcmp(magic, EXT_BINLOG_MAGIC, MAGIC_LEN) != 0)
        return repl_error_set(err, REPL_ERR_CORRUPT,
                              "binlog: %s is not a binlog file (no \\xfebin magic)", f->path);
    f->offset = MAGIC_LEN;
    return REPL_OK;
}

int ext_binlog_file_open(ext_binlog_file **out, const char *path, repl_error *err)
{
    ext_binlog_file *f = NULL;
    int rc;
    *out = NULL;
    f = repl_calloc(1, sizeof(*f));
    f->path = repl_strdup(path);
    f->rbuf = repl_malloc(READ_AHEAD_BYTES);
    f->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (f->fd < 0) {
        rc = repl_error_sys(err, REPL_ERR_IO, errno, "binlog: open %s", path);
        goto cleanup;
    }
    rc = check_magic(f, err);
    if (rc != REPL_OK)
        goto cleanup;
    *out = f;
    f = NULL;
cleanup:
    ext_binlog_file_close(f);
    return rc;
}

static int truncated_event(ext_binlog_file *f, const uint8_t *hdr, size_t have, repl_error *err)
{
    if (have < EXT_EVENT_HEADER_LEN)
        return repl_error_set(err, REPL_ERR_CORRUPT,
                              "binlog: %s: truncated event header at offset %llu: %zu of %d bytes",
                              f->path, (unsigned long long)f->offset, have, EXT_EVENT_HEADER_LEN);
    return repl_error_set(err, REPL_ERR_CORRUPT,
                          "binlog: %s: truncated %s (type %u) at offset %llu: length %u, only %zu "
                          "bytes left in the file",
                          f->path, ext_event_type_name(hdr[4]), hdr[4],
                          (unsigned long long)f->offset,
                          (unsigned)hdr[9] | (unsigned)hdr[10] << 8 | (unsigned)hdr[11] << 16 |
                              (unsigned)hdr[12] << 24,
                          have);
}

/* The event's bytes after its header hdr into the event buffer. */
static int read_body(ext_binlog_file *f, const uint8_t *hdr, uint32_t len, repl_error *err)
{
    size_t got = 0;
    int rc;
    if (len < EXT_EVENT_HEADER_LEN || len > EXT_MAX_EVENT_BYTES)
        return repl_error_set(err, REPL_ERR_CORRUPT,
                              "binlog: %s: %s (type %u) at offset %llu has impossible length %u",
                              f->path, ext_event_type_name(hdr[4]), hdr[4],
                              (unsigned long long)f->offset, len);
    rc = ext_scratch_reserve(&f->ev, len, err);
    if (rc != REPL_OK)
        return repl_error_wrap(err, "binlog: %s at offset %llu", f->path,
                               (unsigned long long)f->offset);
    memcpy(f->ev.data, hdr, EXT_EVENT_HEADER_LEN);
    rc = file_read(f, f->ev.data + EXT_EVENT_HEADER_LEN, len - EXT_EVENT_HEADER_LEN, &got, err);
    if (rc != REPL_OK)
        return rc;
    if (got < len - EXT_EVENT_HEADER_LEN)
        return truncated_event(f, f->ev.data, EXT_EVENT_HEADER_LEN + got, err);
    return REPL_OK;
}

/* Whether a regular file is too short for an event of len bytes at the current offset (checked
 * before allocating a buffer for a length that may be garbage). */
static int past_end_of_file(ext_binlog_file *f, uint32_t len)
{
    struct stat st;
    if (f->offset + len <= f->size)
        return 0;
    if (fstat(f->fd, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    f->size = (uint64_t)st.st_size;
    return f->offset + len > f->size;
}

int ext_binlog_file_next(ext_binlog_file *f, ext_raw_event *raw, repl_error *err)
{
    uint8_t hdr[EXT_EVENT_HEADER_LEN];
    size_t got = 0;
    uint32_t len;
    int rc = file_read(f, hdr, sizeof(hdr), &got, err);
    if (rc != REPL_OK)
        return rc;
    if (got == 0)
        return 0;
    if (got < sizeof(hdr))
        return truncated_event(f, hdr, got, err);
    len = (uint32_t)hdr[9] | (uint32_t)hdr[10] << 8 | (uint32_t)hdr[11] << 16 |
          (uint32_t)hdr[12] << 24;
    if (past_end_of_file(f, len))
        return truncated_event(f, hdr, (size_t)(f->size - f->offset), err);
    rc = read_body(f, hdr, len, err);
    if (rc != REPL_OK)
        return rc;
    raw->data = f->ev.data;
    raw->len = len;
    raw->offset = f->offset;
    raw->source = f->path;
    f->offset += len;
    return 1;
}

int ext_binlog_file_seek(ext_binlog_file *f, uint64_t offset, repl_error *err)
{
    if (offset < MAGIC_LEN)
        return repl_error_set(err, REPL_ERR_INVALID, "binlog: %s: cannot seek to %llu", f->path,
                              (unsigned long long)offset);
    if (lseek(f->fd, (off_t)offset, SEEK_SET) < 0)
        return repl_error_sys(err, REPL_ERR_IO, errno, "binlog: seek %s to %llu", f->path,
                              (unsigned long long)offset);
    f->rlen = f->rpos = 0;
    f->offset = offset;
    return REPL_OK;
}

uint64_t ext_binlog_file_offset(const ext_binlog_file *f)
{
    return f->offset;
}

const char *ext_binlog_file_path(const ext_binlog_file *f)
{
    return f->path;
}

void ext_binlog_file_close(ext_binlog_file *f)
{
    if (f == NULL)
        return;
    if (f->fd >= 0)
        close(f->fd);
    ext_scratch_dispose(&f->ev);
    repl_free(f->rbuf);
    repl_free(f->path);
    repl_free(f);
}
