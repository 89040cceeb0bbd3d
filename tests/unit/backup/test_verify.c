/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/backup/test_verify.c - verification of backup archives: a good archive passes with
 * the right report; a byte flipped anywhere fails, and one in the middle names the backup and the
 * damaged file; a missing manifest, a file missing from the archive, an unlisted file, a wrong
 * archive checksum, and a catalog entry that does not match all fail with their reason. */
#include "bkp_test.h"

#include "backup/store.h"
#include "backup/verify.h"
#include "replicator/base/mem.h"

#define BIG 200000

static uint8_t big_a[BIG];
static uint8_t big_b[BIG];

/* Three files, two of them large and incompressible, into dir/a.tar.zst. */
static bkp_manifest *make_archive(const char *path, const char *id, uint32_t *crc)
{
    static const char ddl[] = "CREATE TABLE t (a INT PRIMARY KEY)";
    const bt_file files[] = {
        { "schema/bt/t.sql", "table", ddl, sizeof(ddl) - 1 },
        { "data/bt/t.000000.tsv", "data", big_a, BIG },
        { "data/bt/t.000001.tsv", "data", big_b, BIG },
    };
    uint64_t bytes = 0;
    bkp_manifest *m;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    bt_fill(big_a, BIG, 11);
    bt_fill(big_b, BIG, 12);
    m = bt_write_archive(fd, id, files, 3, &bytes, crc);
    close(fd);
    return m;
}

static void flip(const char *path, size_t at)
{
    size_t len = 0;
    char *b = bt_read_file(path, &len);
    assert_true(at < len);
    b[at] ^= 0x20;
    bt_write_file(path, b, len);
    free(b);
}

static void verify__good_archive_passes(void **state)
{
    char dir[64];
    char path[128];
    uint32_t crc = 0;
    bkp_manifest *m;
    bkp_manifest *back = NULL;
    bkp_verify_report rep;
    repl_error err;
    size_t len = 0;
    char *file;
    (void)state;
    bt_mkdtemp(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/a.tar.zst", dir);
    m = make_archive(path, "good-1", &crc);
    assert_int_equal(bkp_verify_archive(path, "good-1", &crc, &back, &rep, &err), REPL_OK);
    file = bt_read_file(path, &len);
    assert_int_equal(rep.files, 3);
    assert_int_equal(rep.data_bytes, 2 * BIG + strlen("CREATE TABLE t (a INT PRIMARY KEY)"));
    assert_int_equal(rep.archive_bytes, len);
    assert_int_equal(rep.archive_crc32c, crc);
    assert_string_equal(back->id, "good-1");
    assert_int_equal(back->n_files, 3);
    assert_non_null(bkp_manifest_find_file(back, "data/bt/t.000001.tsv"));
    assert_int_equal(bkp_verify_archive(path, "good-1", NULL, NULL, NULL, &err), REPL_OK);
    free(file);
    bkp_manifest_free(m);
    bkp_manifest_free(back);
    bt_rmtree(dir);
}

static void verify__middle_flip_names_backup_and_file(void **state)
{
    char dir[64];
    char path[128];
    uint32_t crc = 0;
    size_t len = 0;
    bkp_manifest *m;
    repl_error err;
    char *file;
    (void)state;
    bt_mkdtemp(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/a.tar.zst", dir);
    m = make_archive(path, "mid-1", &crc);
    file = bt_read_file(path, &len);
    free(file);
    flip(path, len / 2);
    assert_int_equal(bkp_verify_archive(path, "mid-1", &crc, NULL, NULL, &err), REPL_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "backup mid-1"));
    assert_non_null(strstr(err.msg, "data/bt/t.00000"));
    /* without the catalog's checksum too */
    assert_int_equal(bkp_verify_archive(path, "mid-1", NULL, NULL, NULL, &err), REPL_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "data/bt/t.00000"));
    bkp_manifest_free(m);
    bt_rmtree(dir);
}

/* Whatever byte is damaged, verification with the catalog's checksum fails. */
static void verify__any_flip_fails(void **state)
{
    char dir[64];
    char path[128];
    char copy[128];
    uint32_t crc = 0;
    size_t len = 0;
    bkp_manifest *m;
    char *orig;
    (void)state;
    bt_mkdtemp(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/a.tar.zst", dir);
    snprintf(copy, sizeof(copy), "%s/b.tar.zst", dir);
    m = make_archive(path, "any-1", &crc);
    orig = bt_read_file(path, &len);
    for (size_t at = 0; at < len; at += len / 97 + 1) {
        repl_error err;
        orig[at] ^= 0x01;
        bt_write_file(copy, orig, len);
        orig[at] ^= 0x01;
        assert_int_not_equal(bkp_verify_archive(copy, "any-1", &crc, NULL, NULL, &err), REPL_OK);
        assert_non_null(strstr(err.msg, "backup any-1"));
    }
    free(orig);
    bkp_manifest_free(m);
    bt_rmtree(dir);
}

static void verify__wrong_archive_checksum(void **state)
{
    char dir[64];
    char path[128];
    uint32_t crc = 0;
    uint32_t wrong;
    bkp_manifest *m;
    repl_error err;
    (void)state;
    bt_mkdtemp(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/a.tar.zst", dir);
    m = make_archive(path, "crc-1", &crc);
    wrong = crc ^ 1;
    assert_int_equal(bkp_verify_archive(path, "crc-1", &wrong, NULL, NULL, &err), REPL_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "archive checksum mismatch"));
    bkp_manifest_free(m);
    bt_rmtree(dir);
}

/* Archives whose entries and manifest disagree. */
static void write_raw(const char *path, const char *const *names, size_t n, const char *manifest)
{
    bkp_archive_writer *w = NULL;
    repl_error err;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_int_equal(bkp_archive_writer_open(&w, fd, path, 3, &err), REPL_OK);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(bkp_archive_add(w, names[i], "x\n", 2, &err), REPL_OK);
    if (manifest != NULL)
        assert_int_equal(bkp_archive_add(w, BKP_MANIFEST_NAME, manifest, strlen(manifest), &err),
                         REPL_OK);
    assert_int_equal(bkp_archive_writer_finish(w, NULL, NULL, &err), REPL_OK);
    bkp_archive_writer_free(w);
    close(fd);
}

static char *manifest_listing(const char *const *names, size_t n)
{
    bkp_manifest *m = bkp_manifest_new();
    char *text;
    snprintf(m->id, sizeof(m->id), "x");
    snprintf(m->service, sizeof(m->service), "alpha");
    snprintf(m->method, sizeof(m->method), "logical");
    for (size_t i = 0; i < n; i++)
        bkp_manifest_add_file(m, names[i], "objects", "bt", NULL, 2, 0, repl_crc32c(0, "x\n", 2));
    text = bkp_manifest_format(m);
    bkp_manifest_free(m);
    return text;
}

static void verify__manifest_and_entries_must_agree(void **state)
{
    const char *const two[] = { "objects/a.json", "objects/b.json" };
    const char *const one[] = { "objects/a.json" };
    char dir[64];
    char path[128];
    char *m_two = manifest_listing(two, 2);
    char *m_one = manifest_listing(one, 1);
    repl_error err;
    (void)state;
    bt_mkdtemp(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/a.tar.zst", dir);
    write_raw(path, two, 2, m_two);
    assert_int_equal(bkp_verify_archive(path, "x", NULL, NULL, NULL, &err), REPL_OK);
    write_raw(path, two, 2, NULL);
    assert_int_equal(bkp_verify_archive(path, "x", NULL, NULL, NULL, &err), REPL_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "incomplete archive"));
    write_raw(path, one, 1, m_two);
    assert_int_equal(bkp_verify_archive(path, "x", NULL, NULL, NULL, &err), REPL_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "objects/b.json is missing"));
    write_raw(path, two, 2, m_one);
    assert_int_equal(bkp_verify_archive(path, "x", NULL, NULL, NULL, &err), REPL_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "objects/b.json is not in the manifest"));
    write_raw(path, two, 2, "{\"format\": 1");
    assert_int_equal(bkp_verify_archive(path, "x", NULL, NULL, NULL, &err), REPL_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "manifest"));
    free(m_two);
    free(m_one);
    bt_rmtree(dir);
}

static void verify__store_backup_against_catalog(void **state)
{
    char dir[64];
    char path[4200];
    char id[BKP_ID_MAX];
    bkp_store *s = NULL;
    bkp_pending *p = NULL;
    bkp_manifest *m;
    bkp_verify_report rep;
    bkp_entry e;
    uint8_t data[1000];
    const bt_file files[] = { { "data/bt/t.000000.tsv", "data", data, sizeof(data) } };
    uint64_t bytes = 0;
    uint32_t crc = 0;
    size_t len = 0;
    repl_error err;
    (void)state;
    bt_fill(data, sizeof(data), 5);
    bt_mkdtemp(dir, sizeof(dir));
    assert_int_equal(bkp_store_open(&s, dir, 0, &err), REPL_OK);
    assert_int_equal(bkp_store_lock(s, &err), REPL_OK);
    assert_int_equal(bkp_store_begin(s, "alpha", "logical", 1700000000000000LL, &p, &err), REPL_OK);
    snprintf(id, sizeof(id), "%s", bkp_pending_id(p));
    m = bt_write_archive(bkp_pending_fd(p), id, files, 1, &bytes, &crc);
    memset(&e, 0, sizeof(e));
    snprintf(e.service, sizeof(e.service), "alpha");
    snprintf(e.method, sizeof(e.method), "logical");
    e.archive_crc32c = crc;
    assert_int_equal(bkp_store_commit(s, p, &e, &err), REPL_OK);
    assert_int_equal(e.size_bytes, bytes);
    assert_int_equal(bkp_verify(s, id, &rep, &err), REPL_OK);
    assert_int_equal(rep.files, 1);
    assert_int_equal(bkp_verify(s, "no-such-backup", &rep, &err), REPL_ERR_NOTFOUND);
    snprintf(path, sizeof(path), "%s/%s", dir, e.archive);
    free(bt_read_file(path, &len));
    flip(path, len / 2);
    assert_int_equal(bkp_verify(s, id, &rep, &err), REPL_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, id));
    bkp_manifest_free(m);
    bkp_store_close(s);
    bt_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(verify__good_archive_passes),
        cmocka_unit_test(verify__middle_flip_names_backup_and_file),
        cmocka_unit_test(verify__any_flip_fails),
        cmocka_unit_test(verify__wrong_archive_checksum),
        cmocka_unit_test(verify__manifest_and_entries_must_agree),
        cmocka_unit_test(verify__store_backup_against_catalog),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
