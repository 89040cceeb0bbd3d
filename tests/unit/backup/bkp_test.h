/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/backup/bkp_test.h - helpers shared by the backup unit tests: scratch directories,
 * small files, and archives built from (name, bytes) pairs with a matching manifest. Header-only
 * (static functions), included by the test files of this folder only. */
#ifndef BKP_TEST_H
#define BKP_TEST_H

#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "backup/archive.h"
#include "backup/manifest.h"
#include "replicator/base/crc32c.h"

static inline void bt_mkdtemp(char *out, size_t len)
{
    snprintf(out, len, "/tmp/trep-bkp-unit-XXXXXX");
    assert_non_null(mkdtemp(out));
}

static int bt_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static inline void bt_rmtree(const char *path)
{
    nftw(path, bt_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static inline void bt_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Whole file into a malloc'ed buffer (NUL-terminated); *len its size. */
static inline char *bt_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (len != NULL)
        *len = (size_t)n;
    return buf;
}

static inline int bt_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Deterministic pseudo-random bytes (xorshift). */
static inline void bt_fill(uint8_t *p, size_t len, uint32_t seed)
{
    uint32_t x = seed | 1;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)x;
    }
}

typedef struct bt_file {
    const char *name;
    const char *kind;
    const void *data;
    size_t len;
} bt_file;

/* Write an archive of files plus a manifest listing them (id given) to fd. Returns the manifest
 * (caller frees). The table bt.t is declared for data files. */
static inline bkp_manifest *bt_write_archive(int fd, const char *id, const bt_file *files, size_t n,
                                             uint64_t *bytes, uint32_t *crc)
{
    bkp_archive_writer *w = NULL;
    bkp_manifest *m = bkp_manifest_new();
    repl_error err;
    char *text;
    snprintf(m->id, sizeof(m->id), "%s", id);
    snprintf(m->service, sizeof(m->service), "alpha");
    snprintf(m->method, sizeof(m->method), "logical");
    snprintf(m->server_version, sizeof(m->server_version), "10.11-test");
    m->created_us = 1700000000000000;
    m->finished_us = 1700000001000000;
    bkp_table_add_column(bkp_manifest_add_table(m, "bt", "t", "table", "InnoDB"), "a");
    assert_int_equal(bkp_archive_writer_open(&w, fd, "test", 3, &err), REPL_OK);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(bkp_archive_add(w, files[i].name, files[i].data, files[i].len, &err),
                         REPL_OK);
        bkp_manifest_add_file(m, files[i].name, files[i].kind, "bt", "t", files[i].len, 1,
                              repl_crc32c(0, files[i].data, files[i].len));
    }
    text = bkp_manifest_format(m);
    assert_int_equal(bkp_archive_add(w, BKP_MANIFEST_NAME, text, strlen(text), &err), REPL_OK);
    free(text);
    assert_int_equal(bkp_archive_writer_finish(w, bytes, crc, &err), REPL_OK);
    bkp_archive_writer_free(w);
    return m;
}

#endif
