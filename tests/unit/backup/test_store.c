/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/backup/test_store.c - the backup store: catalog written atomically and read back,
 * a failed rewrite leaves the old catalog, the writer lock refuses a second holder with its pid,
 * partial (aborted, crashed, failed) backups are never listed and are cleaned up, id clashes,
 * latest/find, retention rules (keep_last, keep_days, both, per service, never the newest), a
 * corrupt catalog is an error. */
#include <errno.h>
#include <sys/wait.h>

#include "bkp_test.h"

#include "backup/store.h"
#include "replicator/base/mem.h"

#define DAY_US (86400LL * 1000000LL)
#define T0     (1700000000LL * 1000000LL) /* 2023-11-14T22:13:20Z */

static bkp_store *open_store(const char *dir)
{
    bkp_store *s = NULL;
    repl_error err;
    assert_int_equal(bkp_store_open(&s, dir, 1, &err), REPL_OK);
    return s;
}

/* A complete backup through begin/commit, archive content "data". */
static void add_backup(bkp_store *s, const char *service, int64_t created, bkp_entry *out)
{
    bkp_pending *p = NULL;
    bkp_entry e;
    repl_error err;
    memset(&e, 0, sizeof(e));
    assert_int_equal(bkp_store_begin(s, service, "logical", created, &p, &err), REPL_OK);
    assert_int_equal(write(bkp_pending_fd(p), "data", 4), 4);
    snprintf(e.service, sizeof(e.service), "%s", service);
    snprintf(e.method, sizeof(e.method), "logical");
    e.created_us = created;
    e.finished_us = created + 1500000;
    bkp_position_init(&e.position);
    snprintf(e.position.role, sizeof(e.position.role), "slave");
    e.position.seqno = 42;
    e.archive_crc32c = repl_crc32c(0, "data", 4);
    assert_int_equal(bkp_store_commit(s, p, &e, &err), REPL_OK);
    if (out != NULL)
        *out = e;
}

static size_t count_files(const char *dir)
{
    char cmd[512];
    size_t n = 0;
    FILE *f;
    snprintf(cmd, sizeof(cmd), "ls -A %s | grep -v '^.lock$' | wc -l", dir);
    f = popen(cmd, "r");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%zu", &n), 1);
    pclose(f);
    return n;
}

static void store__commit_lists_and_reads_back(void **state)
{
    char dir[64];
    char path[256];
    bkp_store *s;
    bkp_entry *all = NULL;
    bkp_entry e;
    size_t n = 0;
    repl_error err;
    (void)state;
    bt_mkdtemp(dir, sizeof(dir));
    s = open_store(dir);
    assert_int_equal(bkp_store_lock(s, &err), REPL_OK);
    add_backup(s, "alpha", T0, &e);
    assert_string_equal(e.id, "20231114T221320Z-alpha-logical");
    assert_string_equal(e.archive, "20231114T221320Z-alpha-logical.tar.zst");
    assert_int_equal(e.size_bytes, 4);
    assert_int_equal(e.duration_ms, 1500);
    assert_int_equal(bkp_store_list(s, &all, &n, &err), REPL_OK);
    assert_int_equal(n, 1);
    assert_string_equal(all[0].id, e.id);
    assert_string_equal(all[0].status, "complete");
    assert_int_equal(all[0].created_us, T0);
    assert_int_equal(all[0].finished_us, T0 + 1500000);
    assert_int_equal(all[0].position.seqno, 42);
    assert_int_equal(all[0].archive_crc32c, e.archive_crc32c);
    snprintf(path, sizeof(path), "%s/%s", dir, e.archive);
    assert_true(bt_exists(path));
    assert_int_equal(count_files(dir), 2); /* archive + catalog, no temporary file */
    repl_free(all);
    bkp_store_close(s);
    bt_rmtree(dir);
}

static void store__same_second_gets_suffix(void **state)
{
    char dir[64];
    bkp_store *s;
    bkp_entry a;
    bkp_entry b;
    bkp_entry c;
    repl_error err;
    (void)state;
    bt_mkdtemp(dir, sizeof(dir));
    s = open_store(dir);
    assert_int_equal(bkp_store_lock(s, &err), REPL_OK);
    add_backup(s, "alpha", T0, &a);
    add_backup(s, "alpha", T0 + 10, &b);
    add_backup(s, "alpha", T0 + 20, &c);
    assert_string_equal(b.id, "20231114T221320Z-alpha-logical-2");
    assert_string_equal(c.id, "20231114T221320Z-alpha-logical-3");
    bkp_store_close(s);
    bt_rmtree(dir);
}

static void store__begin_needs_lock_and_good_names(void **state)
{
    char dir[64];
    bkp_store *s;
    bkp_pending *p = NULL;
    repl_error err;
    (void)state;
    bt_mkdtemp(dir, sizeof(dir));
    s = open_store(dir);
    assert_int_equal(bkp_store_begin(s, "alpha", "logical", T0, &p, &err), REPL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "not locked"));
    assert_int_equal(bkp_store_lock(s, &err), REPL_OK);
    assert_int_equal(bkp_store_begin(s, "al/pha", "logical", T0, &p, &err), REPL_ERR_INVALID);
    assert_int_equal(bkp_store_begin(s, "", "logical", T0, &p, &err), REPL_ERR_INVALID);
    assert_null(p);
    bkp_store_close(s);
    bt_rmtree(dir);
}

static void store__abort_leaves_nothing(void **state)
{
    char dir[64];
    char tmp[4096];
    bkp_store *s;
    bkp_pending *p = NULL;
    bkp_entry *all = NULL;
    size_t n = 7;
    repl_error err;
    (void)state;
    bt_mkdtemp(dir, sizeof(dir));
    s = open_store(dir);
    assert_int_equal(bkp_store_lock(s, &err), REPL_OK);
    assert_int_equal(bkp_store_begin(s, "alpha", "logical", T0, &p, &err), REPL_OK);
    snprintf(tmp, sizeof(tmp), "%s", bkp_pending_path(p));
    assert_true(bt_exists(tmp));
    assert_true(strstr(tmp, "/.20231114T221320Z-alpha-logical.tar.zst.partial") != NULL);
    assert_int_equal(write(bkp_pending_fd(p), "half", 4), 4);
    assert_int_equal(bkp_store_list(s, &all, &n, &err), REPL_OK);
    assert_int_equal(n, 0); /* in progress: not listed */
    bkp_store_abort(s, p);
    assert_false(bt_exists(tmp));
    assert_int_equal(count_files(dir), 0);
    bkp_store_close(s);
    bt_rmtree(dir);
}

/* A writer that dies leaves its temporary file: never listed; the next lock holder removes it. */
static void store__crashed_partial_removed_by_next_lock(void **state)
{
    char dir[64];
    char tmp[4096];
    bkp_store *s;
    bkp_pending *p = NULL;
    bkp_entry *all = NULL;
    size_t n = 0;
    repl_error err;
    pid_t pid;
    int status = 0;
    (void)state;
    bt_mkdtemp(dir, sizeof(dir));
    s = open_store(dir);
    assert_int_equal(bkp_store_lock(s, &err), REPL_OK);
    add_backup(s, "alpha", T0, NULL);
    bkp_store_unlock(s);
    snprintf(tmp, sizeof(tmp), "%s/.20231115T221320Z-alpha-logical.tar.zst.partial", dir);
    pid = fork();
    if (pid == 0) {
        bkp_store *c = NULL;
        if (bkp_store_open(&c, dir, 0, &err) != REPL_OK || bkp_store_lock(c, &err) != REPL_OK ||
            bkp_store_begin(c, "alpha", "logical", T0 + DAY_US, &p, &err) != REPL_OK)
            _exit(1);
        if (write(bkp_pending_fd(p), "partial", 7) != 7)
            _exit(1);
        _exit(0); /* "crash": no commit, no abort */
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_true(bt_exists(tmp));
    assert_int_equal(bkp_store_list(s, &all, &n, &err), REPL_OK);
    assert_int_equal(n, 1);
    repl_free(all);
    assert_int_equal(bkp_store_lock(s, &err), REPL_OK);
    assert_false(bt_exists(tmp));
    bkp_store_close(s);
    bt_rmtree(dir);
}

static void store__lock_refuses_second_holder_with_pid(void **state)
{
    char dir[64];
    char want[64];
    bkp_store *a;
    bkp_store *b;
    repl_error err;
    (void)state;
    bt_mkdtemp(dir, sizeof(dir));
    a = open_store(dir);
    b = open_store(dir);
    assert_int_equal(bkp_store_lock(a, &err), REPL_OK);
    assert_int_equal(bkp_store_lock(a, &err), REPL_OK); /* idempotent */
    assert_int_equal(bkp_store_lock(b, &err), REPL_ERR_INVALID);
    snprintf(want, sizeof(want), "another backup is running (pid %ld)", (long)getpid());
    assert_non_null(strstr(err.msg, want));
    bkp_store_unlock(a);
    assert_int_equal(bkp_store_lock(b, &err), REPL_OK);
    assert_int_equal(bkp_store_lock(a, &err), REPL_ERR_INVALID);
    bkp_store_close(a);
    bkp_store_close(b); /* releases */
    a = open_store(dir);
    assert_int_equal(bkp_store_lock(a, &err), REPL_OK);
    bkp_store_close(a);
    bt_rmtree(dir);
}

/* The catalog's temporary file cannot be created: the commit fails, the archive is removed and
 * the old catalog stays as it was. */
static void store__failed_catalog_rewrite_keeps_old(void **state)
{
    char dir[64];
    char tmp[256];
    char *before;
    char *after;
    bkp_store *s;
    bkp_pending *p = NULL;
    bkp_entry e;
    repl_error err;
    (void)state;
    bt_mkdtemp(dir, sizeof(dir));
    s = open_store(dir);
    assert_int_equal(bkp_store_lock(s, &err), REPL_OK);
    add_backup(s, "alpha", T0, NULL);
    snprintf(tmp, sizeof(tmp), "%s/catalog.json", dir);
    before = bt_read_file(tmp, NULL);
    snprintf(tmp, sizeof(tmp), "%s/.catalog.json.tmp", dir);
    assert_int_equal(mkdir(tmp, 0700), 0); /* in the way of the temporary file */
    assert_int_equal(bkp_store_begin(s, "alpha", "logical", T0 + DAY_US, &p, &err), REPL_OK);
    memset(&e, 0, sizeof(e));
    snprintf(e.service, sizeof(e.service), "alpha");
    snprintf(e.method, sizeof(e.method), "logical");
    e.created_us = T0 + DAY_US;
    e.finished_us = T0 + DAY_US;
    assert_int_not_equal(bkp_store_commit(s, p, &e, &err), REPL_OK);
    assert_non_null(strstr(err.msg, "not recorded"));
    snprintf(tmp, sizeof(tmp), "%s/catalog.json", dir);
    after = bt_read_file(tmp, NULL);
    assert_string_equal(before, after);
    snprintf(tmp, sizeof(tmp), "%s/20231115T221320Z-alpha-logical.tar.zst", dir);
    assert_false(bt_exists(tmp));
    free(before);
    free(after);
    bkp_store_close(s);
    bt_rmtree(dir);
}

static void store__latest_and_find(void **state)
{
    char dir[64];
    bkp_store *s;
    bkp_entry e;
    repl_error err;
    (void)state;
    bt_mkdtemp(dir, sizeof(dir));
    s = open_store(dir);
    assert_int_equal(bkp_store_latest(s, NULL, &e, &err), REPL_ERR_NOTFOUND);
    assert_int_equal(bkp_store_lock(s, &err), REPL_OK);
    add_backup(s, "alpha", T0, NULL);
    add_backup(s, "beta", T0 + 2 * DAY_US, NULL);
    add_backup(s, "alpha", T0 + DAY_US, NULL);
    assert_int_equal(bkp_store_latest(s, NULL, &e, &err), REPL_OK);
    assert_string_equal(e.service, "beta");
    assert_int_equal(bkp_store_latest(s, "alpha", &e, &err), REPL_OK);
    assert_int_equal(e.created_us, T0 + DAY_US);
    assert_int_equal(bkp_store_latest(s, "gamma", &e, &err), REPL_ERR_NOTFOUND);
    assert_int_equal(bkp_store_find(s, "20231114T221320Z-alpha-logical", &e, &err), REPL_OK);
    assert_int_equal(e.created_us, T0);
    assert_int_equal(bkp_store_find(s, "nope", &e, &err), REPL_ERR_NOTFOUND);
    bkp_store_close(s);
    bt_rmtree(dir);
}

static void store__corrupt_catalog_is_an_error(void **state)
{
    static const char *const bad[] = {
        "{not json",
        "{\"format\": 2, \"backups\": []}",
        "{\"format\": 1, \"backups\": [{\"id\": 5}]}",
        "{\"format\": 1, \"backups\": [{\"id\": \"x\", \"service\": \"a\", \"method\": "
        "\"logical\", "
        "\"created\": \"yesterday\"}]}",
    };
    char dir[64];
    char path[256];
    bkp_store *s;
    bkp_entry *all = NULL;
    size_t n = 0;
    repl_error err;
    (void)state;
    bt_mkdtemp(dir, sizeof(dir));
    s = open_store(dir);
    snprintf(path, sizeof(path), "%s/catalog.json", dir);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        bt_write_file(path, bad[i], strlen(bad[i]));
        assert_int_equal(bkp_store_list(s, &all, &n, &err), REPL_ERR_CORRUPT);
        assert_non_null(strstr(err.msg, "catalog"));
        assert_null(all);
    }
    bkp_store_close(s);
    bt_rmtree(dir);
}

static size_t prune(bkp_store *s, uint32_t keep, uint32_t days, int64_t now)
{
    bkp_retention r = { keep, days };
    size_t removed = 99;
    repl_error err;
    assert_int_equal(bkp_store_prune(s, &r, now, &removed, &err), REPL_OK);
    return removed;
}

static size_t listed(bkp_store *s, const char *service)
{
    bkp_entry *all = NULL;
    size_t n = 0;
    size_t k = 0;
    repl_error err;
    assert_int_equal(bkp_store_list(s, &all, &n, &err), REPL_OK);
    for (size_t i = 0; i < n; i++)
        k += service == NULL || strcmp(all[i].service, service) == 0;
    repl_free(all);
    return k;
}

/* Ten daily backups of alpha (days 0..9) and one old beta backup. */
static bkp_store *prune_fixture(char *dir, size_t len)
{
    bkp_store *s;
    repl_error err;
    bt_mkdtemp(dir, len);
    s = open_store(dir);
    assert_int_equal(bkp_store_lock(s, &err), REPL_OK);
    for (int d = 0; d < 10; d++)
        add_backup(s, "alpha", T0 + d * DAY_US, NULL);
    add_backup(s, "beta", T0 - 100 * DAY_US, NULL);
    bkp_store_unlock(s);
    return s;
}

static void store__prune_keep_last(void **state)
{
    char dir[64];
    bkp_store *s = prune_fixture(dir, sizeof(dir));
    bkp_entry e;
    repl_error err;
    (void)state;
    assert_int_equal(prune(s, 3, 0, T0 + 20 * DAY_US), 7);
    assert_int_equal(listed(s, "alpha"), 3);
    assert_int_equal(listed(s, "beta"), 1); /* the newest of its service */
    assert_int_equal(bkp_store_latest(s, "alpha", &e, &err), REPL_OK);
    assert_int_equal(e.created_us, T0 + 9 * DAY_US);
    assert_int_equal(count_files(dir), 5); /* 4 archives + catalog */
    assert_int_equal(prune(s, 3, 0, T0 + 20 * DAY_US), 0);
    bkp_store_close(s);
    bt_rmtree(dir);
}

static void store__prune_keep_days(void **state)
{
    char dir[64];
    bkp_store *s = prune_fixture(dir, sizeof(dir));
    (void)state;
    /* now = day 10.5: only the backups of days 8 and 9 are younger than 3 days */
    assert_int_equal(prune(s, 0, 3, T0 + 10 * DAY_US + DAY_US / 2), 8);
    assert_int_equal(listed(s, "alpha"), 2);
    assert_int_equal(listed(s, "beta"), 1);
    /* far future: only the newest of each service survives */
    assert_int_equal(prune(s, 0, 1, T0 + 1000 * DAY_US), 1);
    assert_int_equal(listed(s, "alpha"), 1);
    assert_int_equal(listed(s, "beta"), 1);
    bkp_store_close(s);
    bt_rmtree(dir);
}

static void store__prune_both_rules_keep_union(void **state)
{
    char dir[64];
    bkp_store *s = prune_fixture(dir, sizeof(dir));
    (void)state;
    /* keep 2 newest OR younger than 5 days at day 10: days 6..9 by age, 8..9 by count */
    assert_int_equal(prune(s, 2, 5, T0 + 10 * DAY_US), 6);
    assert_int_equal(listed(s, "alpha"), 4);
    bkp_store_close(s);
    bt_rmtree(dir);
}

static void store__prune_without_rules_keeps_all_and_respects_lock(void **state)
{
    char dir[64];
    bkp_store *s = prune_fixture(dir, sizeof(dir));
    bkp_store *other = open_store(dir);
    bkp_retention r = { 1, 0 };
    repl_error err;
    (void)state;
    assert_int_equal(prune(s, 0, 0, T0 + 1000 * DAY_US), 0);
    assert_int_equal(listed(s, NULL), 11);
    assert_int_equal(bkp_store_lock(other, &err), REPL_OK);
    assert_int_equal(bkp_store_prune(s, &r, T0, NULL, &err), REPL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "another backup is running"));
    assert_int_equal(listed(s, NULL), 11);
    bkp_store_close(other);
    bkp_store_close(s);
    bt_rmtree(dir);
}

static void store__open_missing_without_create_fails(void **state)
{
    bkp_store *s = NULL;
    repl_error err;
    (void)state;
    assert_int_equal(bkp_store_open(&s, "/nonexistent/trep/store", 0, &err), REPL_ERR_IO);
    assert_null(s);
    assert_int_equal(bkp_store_open(&s, "/etc/hostname", 0, &err), REPL_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(store__commit_lists_and_reads_back),
        cmocka_unit_test(store__same_second_gets_suffix),
        cmocka_unit_test(store__begin_needs_lock_and_good_names),
        cmocka_unit_test(store__abort_leaves_nothing),
        cmocka_unit_test(store__crashed_partial_removed_by_next_lock),
        cmocka_unit_test(store__lock_refuses_second_holder_with_pid),
        cmocka_unit_test(store__failed_catalog_rewrite_keeps_old),
        cmocka_unit_test(store__latest_and_find),
        cmocka_unit_test(store__corrupt_catalog_is_an_error),
        cmocka_unit_test(store__prune_keep_last),
        cmocka_unit_test(store__prune_keep_days),
        cmocka_unit_test(store__prune_both_rules_keep_union),
        cmocka_unit_test(store__prune_without_rules_keeps_all_and_respects_lock),
        cmocka_unit_test(store__open_missing_without_create_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
