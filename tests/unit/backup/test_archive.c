/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/backup/test_archive.c - backup archives: entries written by several threads read back
 * whole with their CRC32C, the writer's and reader's CRC of the whole file equal the file's, a full
 * disk (/dev/full) is REPL_ERR_FULL, garbage and truncated files are REPL_ERR_CORRUPT naming the
 * entry. */
#include <errno.h>
#include <pthread.h>

#include "bkp_test.h"

#include "replicator/base/mem.h"

#define THREADS    4
#define PER_THREAD 25

typedef struct writer_arg {
    bkp_archive_writer *w;
    int id;
    int failures;
} writer_arg;

static size_t entry_len(int t, int i)
{
    return (size_t)((t * 7919 + i * 104729) % 300000);
}

static void *writer_main(void *p)
{
    writer_arg *a = p;
    repl_error err;
    for (int i = 0; i < PER_THREAD; i++) {
        char name[64];
        size_t len = entry_len(a->id, i);
        uint8_t *buf = malloc(len + 1);
        bt_fill(buf, len, (uint32_t)(a->id * 1000 + i));
        snprintf(name, sizeof(name), "data/t%d/f%03d.tsv", a->id, i);
        if (bkp_archive_add(a->w, name, buf, len, &err) != REPL_OK)
            a->failures++;
        free(buf);
    }
    return NULL;
}

static void check_entry(bkp_archive_reader *r, const char *name, uint64_t size)
{
    int t = 0;
    int i = 0;
    size_t len;
    uint8_t *want;
    uint8_t *got;
    size_t off = 0;
    size_t n = 0;
    repl_error err;
    assert_int_equal(sscanf(name, "data/t%d/f%d.tsv", &t, &i), 2);
    len = entry_len(t, i);
    assert_int_equal(size, len);
    want = malloc(len + 1);
    got = malloc(len + 1);
    bt_fill(want, len, (uint32_t)(t * 1000 + i));
    do {
        assert_int_equal(bkp_archive_reader_read(r, got + off, len + 1 - off, &n, &err), REPL_OK);
        off += n;
    } while (n > 0 && off <= len);
    assert_int_equal(off, len);
    assert_memory_equal(got, want, len);
    assert_int_equal(bkp_archive_reader_entry_bytes(r), len);
    assert_int_equal(bkp_archive_reader_entry_crc(r), repl_crc32c(0, want, len));
    free(want);
    free(got);
}

static void archive__threads_round_trip_with_crcs(void **state)
{
    char dir[64];
    char path[128];
    writer_arg args[THREADS];
    pthread_t th[THREADS];
    bkp_archive_writer *w = NULL;
    bkp_archive_reader *r = NULL;
    const char *name;
    uint64_t size = 0;
    uint64_t bytes = 0;
    uint64_t rbytes = 0;
    uint32_t crc = 0;
    uint32_t rcrc = 0;
    size_t file_len = 0;
    char *file;
    int count = 0;
    repl_error err;
    int fd;
    (void)state;
    bt_mkdtemp(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/a.tar.zst", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(bkp_archive_writer_open(&w, fd, path, 3, &err), REPL_OK);
    for (int t = 0; t < THREADS; t++) {
        args[t] = (writer_arg){ w, t, 0 };
        assert_int_equal(pthread_create(&th[t], NULL, writer_main, &args[t]), 0);
    }
    for (int t = 0; t < THREADS; t++) {
        pthread_join(th[t], NULL);
        assert_int_equal(args[t].failures, 0);
    }
    assert_int_equal(bkp_archive_writer_finish(w, &bytes, &crc, &err), REPL_OK);
    assert_int_not_equal(bkp_archive_add(w, "late", "x", 1, &err), REPL_OK);
    bkp_archive_writer_free(w);
    close(fd);
    file = bt_read_file(path, &file_len);
    assert_int_equal(bytes, file_len);
    assert_int_equal(crc, repl_crc32c(0, file, file_len));
    assert_int_equal(bkp_archive_reader_open(&r, path, &err), REPL_OK);
    while (bkp_archive_reader_next(r, &name, &size, &err) == REPL_OK) {
        check_entry(r, name, size);
        count++;
    }
    assert_int_equal(count, THREADS * PER_THREAD);
    assert_int_equal(bkp_archive_reader_finish(r, &rbytes, &rcrc, &err), REPL_OK);
    assert_int_equal(rbytes, file_len);
    assert_int_equal(rcrc, crc);
    bkp_archive_reader_free(r);
    free(file);
    bt_rmtree(dir);
}

/* Entries skipped without reading are still checksummed on the way. */
static void archive__skipped_entries_still_counted(void **state)
{
    char dir[64];
    char path[128];
    bkp_archive_writer *w = NULL;
    bkp_archive_reader *r = NULL;
    const char *name;
    uint64_t size;
    uint64_t bytes = 0;
    uint32_t crc = 0;
    repl_error err;
    int fd;
    (void)state;
    bt_mkdtemp(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/a.tar.zst", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_int_equal(bkp_archive_writer_open(&w, fd, path, 1, &err), REPL_OK);
    assert_int_equal(bkp_archive_add(w, "one", "first", 5, &err), REPL_OK);
    assert_int_equal(bkp_archive_add(w, "empty", "", 0, &err), REPL_OK);
    assert_int_equal(bkp_archive_writer_finish(w, NULL, &crc, &err), REPL_OK);
    bkp_archive_writer_free(w);
    close(fd);
    assert_int_equal(bkp_archive_reader_open(&r, path, &err), REPL_OK);
    assert_int_equal(bkp_archive_reader_next(r, &name, &size, &err), REPL_OK);
    assert_string_equal(name, "one");
    assert_int_equal(bkp_archive_reader_next(r, &name, &size, &err), REPL_OK);
    assert_string_equal(name, "empty");
    assert_int_equal(size, 0);
    assert_int_equal(bkp_archive_reader_next(r, &name, &size, &err), REPL_ERR_NOTFOUND);
    {
        uint32_t rcrc = 0;
        size_t file_len = 0;
        char *file = bt_read_file(path, &file_len);
        assert_int_equal(bkp_archive_reader_finish(r, &bytes, &rcrc, &err), REPL_OK);
        assert_int_equal(bytes, file_len);
        assert_int_equal(rcrc, crc);
        assert_int_equal(rcrc, repl_crc32c(0, file, file_len));
        free(file);
    }
    bkp_archive_reader_free(r);
    bt_rmtree(dir);
}

/* ENOSPC from the file system: the add or the finish fails with REPL_ERR_FULL and the message
 * says so; afterwards every call fails. */
static void archive__full_disk_is_full(void **state)
{
    bkp_archive_writer *w = NULL;
    uint8_t *big = malloc(4 << 20);
    repl_error err;
    int fd = open("/dev/full", O_WRONLY);
    int rc;
    (void)state;
    if (fd < 0) {
        free(big);
        skip();
    }
    bt_fill(big, 4 << 20, 7); /* incompressible: the compressor must write */
    assert_int_equal(bkp_archive_writer_open(&w, fd, "/dev/full", 3, &err), REPL_OK);
    rc = bkp_archive_add(w, "data/x.tsv", big, 4 << 20, &err);
    if (rc == REPL_OK)
        rc = bkp_archive_writer_finish(w, NULL, NULL, &err);
    assert_int_equal(rc, REPL_ERR_FULL);
    assert_int_equal(err.sys_errno, ENOSPC);
    assert_non_null(strstr(err.msg, "No space left on device"));
    assert_int_not_equal(bkp_archive_add(w, "more", "x", 1, &err), REPL_OK);
    bkp_archive_writer_free(w);
    close(fd);
    free(big);
}

static void archive__garbage_is_corrupt(void **state)
{
    char dir[64];
    char path[128];
    bkp_archive_reader *r = NULL;
    const char *name;
    uint64_t size;
    repl_error err;
    int rc;
    (void)state;
    bt_mkdtemp(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/g.tar.zst", dir);
    bt_write_file(path, "this is not an archive at all, just text", 40);
    rc = bkp_archive_reader_open(&r, path, &err);
    if (rc == REPL_OK)
        rc = bkp_archive_reader_next(r, &name, &size, &err);
    assert_int_equal(rc, REPL_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, path));
    bkp_archive_reader_free(r);
    assert_int_equal(bkp_archive_reader_open(&r, "/nonexistent/x.tar.zst", &err), REPL_ERR_IO);
    bt_rmtree(dir);
}

/* Cut the archive at many lengths: reading never crashes and fails (or ends early) cleanly. */
static void archive__truncated_fails_cleanly(void **state)
{
    char dir[64];
    char path[128];
    char cut[128];
    uint8_t data[50000];
    bt_file files[] = { { "data/bt/t.000000.tsv", "data", data, sizeof(data) } };
    uint64_t bytes = 0;
    uint32_t crc = 0;
    char *whole;
    size_t len = 0;
    bkp_manifest *m;
    int fd;
    (void)state;
    bt_fill(data, sizeof(data), 3);
    bt_mkdtemp(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/a.tar.zst", dir);
    snprintf(cut, sizeof(cut), "%s/cut.tar.zst", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    m = bt_write_archive(fd, "id", files, 1, &bytes, &crc);
    close(fd);
    bkp_manifest_free(m);
    whole = bt_read_file(path, &len);
    for (size_t n = 0; n < len; n += 997) {
        bkp_archive_reader *r = NULL;
        const char *name;
        uint64_t size;
        uint8_t buf[4096];
        size_t got = 1;
        repl_error err;
        int rc;
        int entries = 0;
        bt_write_file(cut, whole, n);
        rc = bkp_archive_reader_open(&r, cut, &err);
        while (rc == REPL_OK && (rc = bkp_archive_reader_next(r, &name, &size, &err)) == REPL_OK) {
            entries++;
            do {
                rc = bkp_archive_reader_read(r, buf, sizeof(buf), &got, &err);
            } while (rc == REPL_OK && got > 0);
        }
        /* never the full content: either an error, or an early end without the manifest */
        assert_true(rc != REPL_ERR_NOTFOUND || entries < 2);
        bkp_archive_reader_free(r);
    }
    free(whole);
    bt_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(archive__threads_round_trip_with_crcs),
        cmocka_unit_test(archive__skipped_entries_still_counted),
        cmocka_unit_test(archive__full_disk_is_full),
        cmocka_unit_test(archive__garbage_is_corrupt),
        cmocka_unit_test(archive__truncated_fails_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
