/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/backup/test_manifest.c - manifest.json and the position: format/parse round trip of
 * every field (position, channels, tables with columns, files with checksums), lookups, and every
 * rule of the parser (bad JSON, format, method, kinds, unsafe or duplicate names, data files
 * without a table, bad checksums, missing members). */
#include "bkp_test.h"

#include "backup/position.h"
#include "replicator/base/mem.h"

static bkp_manifest *sample(void)
{
    bkp_manifest *m = bkp_manifest_new();
    bkp_table_info *t;
    snprintf(m->id, sizeof(m->id), "20261122T031500Z-alpha-logical");
    snprintf(m->service, sizeof(m->service), "alpha");
    snprintf(m->method, sizeof(m->method), "logical");
    snprintf(m->server_version, sizeof(m->server_version), "10.11.19-MariaDB");
    m->created_us = 1795000000123456LL;
    m->finished_us = 1795000009000001LL;
    m->threads = 4;
    snprintf(m->position.role, sizeof(m->position.role), "slave");
    m->position.seqno = 1042;
    m->position.epoch = 7;
    snprintf(m->position.event_id, sizeof(m->position.event_id), "mariadb-bin.000003:1234;0-1-77");
    snprintf(m->position.source_id, sizeof(m->position.source_id), "db1:3306");
    snprintf(m->position.binlog_file, sizeof(m->position.binlog_file), "mariadb-bin.000009");
    m->position.binlog_pos = 4567;
    snprintf(m->position.gtid, sizeof(m->position.gtid), "0-2-99,1-2-5");
    m->channels = repl_calloc(2, sizeof(*m->channels));
    m->n_channels = 2;
    m->channels[0] = (bkp_channel_pos){ 0, 1042, 0, 1, 7, "db1:3306", "f:1;0-1-77" };
    m->channels[1] = (bkp_channel_pos){ 1, -1, 0, 0, -1, "", "" };
    t = bkp_manifest_add_table(m, "sbtest", "sbtest1", "table", "InnoDB");
    bkp_table_add_column(t, "id");
    bkp_table_add_column(t, "k ü`");
    t->rows = 1000;
    t->files = 2;
    bkp_manifest_add_table(m, "sbtest", "seq", "sequence", "InnoDB");
    bkp_manifest_add_file(m, "schema/sbtest.sql", "database", "sbtest", NULL, 40, 0, 0xdeadbeef);
    bkp_manifest_add_file(m, "data/sbtest/sbtest1.000000.tsv", "data", "sbtest", "sbtest1", 999,
                          600, 0x00000001);
    bkp_manifest_add_file(m, "data/sbtest/sbtest1.000001.tsv", "data", "sbtest", "sbtest1", 700,
                          400, 0xffffffff);
    return m;
}

static void manifest__round_trip(void **state)
{
    bkp_manifest *m = sample();
    bkp_manifest *back = NULL;
    char *text = bkp_manifest_format(m);
    char *again;
    const bkp_file_info *f;
    const bkp_table_info *t;
    repl_error err;
    (void)state;
    assert_int_equal(bkp_manifest_parse(&back, text, strlen(text), &err), REPL_OK);
    assert_string_equal(back->id, m->id);
    assert_string_equal(back->method, "logical");
    assert_int_equal(back->created_us, m->created_us);
    assert_int_equal(back->finished_us, m->finished_us);
    assert_int_equal(back->threads, 4);
    assert_int_equal(back->position.seqno, 1042);
    assert_int_equal(back->position.epoch, 7);
    assert_string_equal(back->position.event_id, m->position.event_id);
    assert_string_equal(back->position.gtid, "0-2-99,1-2-5");
    assert_int_equal(back->position.binlog_pos, 4567);
    assert_int_equal(back->n_channels, 2);
    assert_int_equal(back->channels[0].seqno, 1042);
    assert_int_equal(back->channels[0].last_frag, 1);
    assert_int_equal(back->channels[1].seqno, -1);
    assert_int_equal(back->channels[1].task_id, 1);
    t = bkp_manifest_find_table(back, "sbtest", "sbtest1");
    assert_non_null(t);
    assert_int_equal(t->n_columns, 2);
    assert_string_equal(t->columns[1], "k ü`");
    assert_int_equal(t->rows, 1000);
    assert_null(bkp_manifest_find_table(back, "sbtest", "nope"));
    f = bkp_manifest_find_file(back, "data/sbtest/sbtest1.000001.tsv");
    assert_non_null(f);
    assert_int_equal(f->crc32c, 0xffffffff);
    assert_int_equal(f->rows, 400);
    assert_string_equal(f->table, "sbtest1");
    assert_null(bkp_manifest_find_file(back, "data/x"));
    assert_null(bkp_manifest_find_file(back, "schema/sbtest.sql")->table);
    again = bkp_manifest_format(back);
    assert_string_equal(text, again); /* stable */
    free(text);
    free(again);
    bkp_manifest_free(m);
    bkp_manifest_free(back);
}

/* Replace the first occurrence of from by to in a formatted sample and expect a parse error
 * whose message contains want. */
static void expect_bad(const char *from, const char *to, const char *want)
{
    bkp_manifest *m = sample();
    bkp_manifest *back = NULL;
    char *text = bkp_manifest_format(m);
    char *p = strstr(text, from);
    char buf[16384];
    repl_error err;
    assert_non_null(p);
    snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(p - text), text, to, p + strlen(from));
    assert_int_equal(bkp_manifest_parse(&back, buf, strlen(buf), &err), REPL_ERR_CORRUPT);
    assert_null(back);
    if (strstr(err.msg, want) == NULL)
        fail_msg("replacing %s by %s: \"%s\" lacks \"%s\"", from, to, err.msg, want);
    free(text);
    bkp_manifest_free(m);
}

static void manifest__parser_rules(void **state)
{
    (void)state;
    expect_bad("\"format\": 1", "\"format\": 9", "format");
    expect_bad("\"method\": \"logical\"", "\"method\": \"magic\"", "method");
    expect_bad("\"kind\": \"data\"", "\"kind\": \"weird\"", "kind");
    expect_bad("\"kind\": \"table\"", "\"kind\": \"view\"", "table kind");
    expect_bad("data/sbtest/sbtest1.000000.tsv", "../etc/passwd", "unsafe");
    expect_bad("data/sbtest/sbtest1.000000.tsv", "/abs/path", "unsafe");
    expect_bad("data/sbtest/sbtest1.000000.tsv", "manifest.json", "unsafe");
    expect_bad("data/sbtest/sbtest1.000000.tsv", "data/sbtest/sbtest1.000001.tsv", "twice");
    expect_bad("\"table\": \"sbtest1\"", "\"table\": \"other\"", "no table entry");
    expect_bad("\"crc32c\": \"00000001\"", "\"crc32c\": \"xyz\"", "crc32c");
    expect_bad("\"crc32c\": \"00000001\"", "\"crc32c\": 1", "crc32c");
    expect_bad("\"bytes\": 999", "\"bytes\": -1", "bytes");
    expect_bad("\"created\": \"", "\"created\": \"x", "timestamp");
    expect_bad("\"seqno\": 1042", "\"seqno\": \"1042\"", "seqno");
    expect_bad("\"tables\": [", "\"tables\": {\"a\": [", "");
    expect_bad("\"columns\": [", "\"columns\": [5, ", "column");
    expect_bad("{", "[", "");
}

static void manifest__garbage_is_corrupt(void **state)
{
    bkp_manifest *m = NULL;
    repl_error err;
    (void)state;
    assert_int_equal(bkp_manifest_parse(&m, "", 0, &err), REPL_ERR_CORRUPT);
    assert_int_equal(bkp_manifest_parse(&m, "{\"format\": 1}", 13, &err), REPL_ERR_CORRUPT);
    assert_int_equal(bkp_manifest_parse(&m, "\x01\x02\x03", 3, &err), REPL_ERR_CORRUPT);
    assert_null(m);
}

static void position__json_round_trip_and_nulls(void **state)
{
    bkp_position p;
    bkp_position back;
    json_t *j;
    char line[2048];
    repl_error err;
    (void)state;
    bkp_position_init(&p);
    j = bkp_position_to_json(&p);
    assert_true(json_is_null(json_object_get(j, "seqno")));
    assert_true(json_is_null(json_object_get(j, "gtid")));
    assert_int_equal(bkp_position_from_json(&back, j, &err), REPL_OK);
    assert_int_equal(back.seqno, -1);
    assert_int_equal(back.epoch, -1);
    assert_string_equal(back.gtid, "");
    json_decref(j);
    snprintf(p.role, sizeof(p.role), "master");
    p.seqno = 0;
    p.epoch = 0;
    snprintf(p.binlog_file, sizeof(p.binlog_file), "b.000001");
    p.binlog_pos = 330;
    j = bkp_position_to_json(&p);
    assert_int_equal(bkp_position_from_json(&back, j, &err), REPL_OK);
    assert_int_equal(back.seqno, 0);
    assert_string_equal(back.binlog_file, "b.000001");
    json_decref(j);
    bkp_position_format(&back, line, sizeof(line));
    assert_string_equal(line, "role=master seqno=0 epoch=0 binlog=b.000001:330 gtid=-");
    assert_int_equal(bkp_position_from_json(&back, NULL, &err), REPL_ERR_CORRUPT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(manifest__round_trip),
        cmocka_unit_test(manifest__parser_rules),
        cmocka_unit_test(manifest__garbage_is_corrupt),
        cmocka_unit_test(position__json_round_trip_and_nulls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
