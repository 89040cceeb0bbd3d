/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/integration/apply/test_values.c - every value kind round trip: the same rows are written
 * once with SQL literals into a "master" table and once through the applier from THL rows shaped
 * like the extractor's (BINARY without trailing zeros, TIMESTAMP as epoch seconds, ENUM/SET as
 * numbers, ...); the two tables must then be identical byte for byte. Run through the
 * prepared-statement path and through the BINLOG path (a table with a trigger), plus a 16 MB blob,
 * generated columns and columns without names. */
#include "apl_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "appliers/applier_int.h"

#define DBM "apl_values_m"
#define DBS "apl_values_s"
#define SVC "t_values"

static MYSQL *db;

static const char table_ddl[] =
    "(id INT NOT NULL PRIMARY KEY, ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, mi MEDIUMINT, "
    "bi BIGINT, bu BIGINT UNSIGNED, f FLOAT, d DOUBLE, d65 DECIMAL(65,30), d10 DECIMAL(10,2), "
    "y YEAR, dt DATE, tm TIME(6), tm2 TIME(2), dtm DATETIME(6), dtm0 DATETIME, "
    "ts TIMESTAMP(6) NULL DEFAULT NULL, c CHAR(10) CHARACTER SET utf8mb4, "
    "vc VARCHAR(100) CHARACTER SET utf8mb4, l1 VARCHAR(20) CHARACTER SET latin1, bin BINARY(16), "
    "vb VARBINARY(20), bl LONGBLOB, tx TEXT CHARACTER SET utf8mb4, b1 BIT(1), b64 BIT(64), "
    "e ENUM('a','b','c'), s SET(%s), j JSON, g GEOMETRY, u UUID, i6 INET6) ENGINE=InnoDB";

enum {
    NCOLS = 33
};

static char set_members[1024];

static void make_set_members(void)
{
    size_t n = 0;
    for (int i = 0; i < 64; i++)
        n += (size_t)snprintf(set_members + n, sizeof(set_members) - n, "%s'm%d'", i ? "," : "", i);
}

static void create_table(const char *db_name, const char *table)
{
    char ddl[4096];
    snprintf(ddl, sizeof(ddl), table_ddl, set_members);
    t_sql(db, "CREATE TABLE `%s`.`%s` %s", db_name, table, ddl);
}

static int setup(void **state)
{
    (void)state;
    make_set_members();
    db = t_connect();
    t_sql(db, "SET GLOBAL max_allowed_packet = 67108864");
    t_fresh_db(db, DBM);
    t_fresh_db(db, DBS);
    t_reset_service(db, SVC);
    create_table(DBM, "v");
    t_sql(db, "SET SESSION sql_mode = '', time_zone = '+00:00'");
    t_sql(db, "INSERT INTO " DBM ".v VALUES (1, -5, 200, -1234, 1234567, -1234567890123, "
              "12345678901234567890, 1.5, 3.141592653589793, 1.5, 12.34, 2024, '2024-02-29', "
              "'12:34:56.789012', '-01:02:03.45', '2024-02-29 23:59:59.999999', "
              "'1999-12-31 23:59:59', '2024-03-10 02:30:00.123456', 'ab', "
              "_utf8mb4 X'68C3A96C6C6F20F09F9880', _latin1 X'E974E9', "
              "X'01020000000000000000000000000000', X'00FF00', X'DEADBEEF', "
              "_utf8mb4 X'7465787420F09F988020F09D849E', b'1', 0xFFFFFFFFFFFFFFFF, 'b', 'm0,m63', "
              "'{\"a\": [1, 2.5, \"x\"]}', ST_GeomFromText('POINT(1 2)'), "
              "'6ccd780c-baba-1026-9564-5b8c65602400', '2001:db8::')");
    t_sql(db, "INSERT INTO " DBM ".v VALUES (2, -128, 255, -32768, -8388608, "
              "-9223372036854775808, 18446744073709551615, 3.40282e38, -1.7976931348623157e308, "
              "'-99999999999999999999999999999999999.999999999999999999999999999999', "
              "-99999999.99, 0, '0000-00-00', '-838:59:59.000000', '838:59:59.99', "
              "'0000-00-00 00:00:00', '1000-01-01 00:00:00', '0000-00-00 00:00:00', '', '', '', "
              "X'00000000000000000000000000000000', X'', X'', '', b'0', 0, 0, '', 'null', "
              "ST_GeomFromText('LINESTRING(0 0,1 1,2 2)', 4326), "
              "'00000000-0000-0000-0000-000000000000', '::')");
    t_sql(db, "INSERT INTO " DBM ".v (id) VALUES (3)");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mysql_close(db);
    return 0;
}

static void describe(thl_rows *r)
{
    thl_column *c = r->cols;
    const uint8_t bin = THL_COL_BINARY;
    t_col(&c[0], "id", MYSQL_TYPE_LONG, 0, 0, 0, THL_COL_PK);
    t_col(&c[1], "ti", MYSQL_TYPE_TINY, 0, 0, 0, 0);
    t_col(&c[2], "tu", MYSQL_TYPE_TINY, 0, 0, 0, THL_COL_UNSIGNED);
    t_col(&c[3], "si", MYSQL_TYPE_SHORT, 0, 0, 0, 0);
    t_col(&c[4], "mi", MYSQL_TYPE_INT24, 0, 0, 0, 0);
    t_col(&c[5], "bi", MYSQL_TYPE_LONGLONG, 0, 0, 0, 0);
    t_col(&c[6], "bu", MYSQL_TYPE_LONGLONG, 0, 0, 0, THL_COL_UNSIGNED);
    t_col(&c[7], "f", MYSQL_TYPE_FLOAT, 4, 0, 0, 0);
    t_col(&c[8], "d", MYSQL_TYPE_DOUBLE, 8, 0, 0, 0);
    t_col(&c[9], "d65", MYSQL_TYPE_NEWDECIMAL, (65 << 8) | 30, 65, 0, 0);
    t_col(&c[10], "d10", MYSQL_TYPE_NEWDECIMAL, (10 << 8) | 2, 10, 0, 0);
    t_col(&c[11], "y", MYSQL_TYPE_YEAR, 0, 0, 0, 0);
    t_col(&c[12], "dt", MYSQL_TYPE_DATE, 0, 0, 0, 0);
    t_col(&c[13], "tm", MYSQL_TYPE_TIME2, 6, 0, 0, 0);
    t_col(&c[14], "tm2", MYSQL_TYPE_TIME2, 2, 0, 0, 0);
    t_col(&c[15], "dtm", MYSQL_TYPE_DATETIME2, 6, 0, 0, 0);
    t_col(&c[16], "dtm0", MYSQL_TYPE_DATETIME2, 0, 0, 0, 0);
    t_col(&c[17], "ts", MYSQL_TYPE_TIMESTAMP2, 6, 0, 0, 0);
    t_col(&c[18], "c", MYSQL_TYPE_STRING, 0xfe28, 40, 45, 0);
    t_col(&c[19], "vc", MYSQL_TYPE_VARCHAR, 400, 400, 45, 0);
    t_col(&c[20], "l1", MYSQL_TYPE_VARCHAR, 20, 20, 8, 0);
    t_col(&c[21], "bin", MYSQL_TYPE_STRING, 0xfe10, 16, 63, bin);
    t_col(&c[22], "vb", MYSQL_TYPE_VARCHAR, 20, 20, 63, bin);
    t_col(&c[23], "bl", MYSQL_TYPE_BLOB, 4, 0, 63, bin);
    t_col(&c[24], "tx", MYSQL_TYPE_BLOB, 2, 0, 45, 0);
    t_col(&c[25], "b1", MYSQL_TYPE_BIT, 1, 0, 0, 0);
    t_col(&c[26], "b64", MYSQL_TYPE_BIT, 8 << 8, 0, 0, 0);
    t_col(&c[27], "e", MYSQL_TYPE_ENUM, (MYSQL_TYPE_ENUM << 8) | 1, 0, 45, 0);
    t_col(&c[28], "s", MYSQL_TYPE_SET, (MYSQL_TYPE_SET << 8) | 8, 0, 45, 0);
    t_col(&c[29], "j", MYSQL_TYPE_BLOB, 4, 0, 46, 0);
    t_col(&c[30], "g", MYSQL_TYPE_GEOMETRY, 4, 0, 63, bin);
    t_col(&c[31], "u", MYSQL_TYPE_STRING, 0xfe10, 16, 63, bin);
    t_col(&c[32], "i6", MYSQL_TYPE_STRING, 0xfe10, 16, 63, bin);
    for (uint32_t i = 1; i < NCOLS; i++)
        c[i].flags |= THL_COL_NULLABLE;
}

static void put_le_double(uint8_t *p, double d)
{
    memcpy(p, &d, 8); /* the test host is little-endian like the binlog */
}

static size_t wkb_point(uint8_t *p, uint32_t srid, double x, double y)
{
    memcpy(p, &srid, 4);
    p[4] = 1;
    memcpy(p + 5, "\x01\x00\x00\x00", 4);
    put_le_double(p + 9, x);
    put_le_double(p + 17, y);
    return 25;
}

static size_t wkb_line(uint8_t *p, uint32_t srid)
{
    uint32_t n = 3;
    memcpy(p, &srid, 4);
    p[4] = 1;
    memcpy(p + 5, "\x02\x00\x00\x00", 4);
    memcpy(p + 9, &n, 4);
    for (int i = 0; i < 3; i++) {
        put_le_double(p + 13 + 16 * i, i);
        put_le_double(p + 21 + 16 * i, i);
    }
    return 13 + 48;
}

static int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return (int64_t)timegm(&tm);
}

static void row1(thl_event *ev, thl_value *v)
{
    uint8_t g[32], u[15];
    memcpy(u, "\x6c\xcd\x78\x0c\xba\xba\x10\x26\x95\x64\x5b\x8c\x65\x60\x24", 15);
    t_v_int(&v[0], 1);
    t_v_int(&v[1], -5);
    t_v_uint(&v[2], THL_VAL_UINT, 200);
    t_v_int(&v[3], -1234);
    t_v_int(&v[4], 1234567);
    t_v_int(&v[5], -1234567890123LL);
    t_v_uint(&v[6], THL_VAL_UINT, 12345678901234567890ULL);
    v[7].kind = THL_VAL_FLOAT;
    v[7].v.f = 1.5f;
    v[8].kind = THL_VAL_DOUBLE;
    v[8].v.d = 3.141592653589793;
    t_v_dec(ev, &v[9], "1.500000000000000000000000000000");
    t_v_dec(ev, &v[10], "12.34");
    t_v_int(&v[11], 2024);
    t_v_date(&v[12], 2024, 2, 29);
    t_v_time(&v[13], 0, 12, 34, 56, 789012);
    t_v_time(&v[14], 1, 1, 2, 3, 450000);
    t_v_datetime(&v[15], 2024, 2, 29, 23, 59, 59, 999999);
    t_v_datetime(&v[16], 1999, 12, 31, 23, 59, 59, 0);
    t_v_ts(&v[17], utc(2024, 3, 10, 2, 30, 0), 123456);
    t_v_str(ev, &v[18], "ab");
    t_v_str(ev, &v[19], "h\xc3\xa9llo \xf0\x9f\x98\x80");
    t_v_str(ev, &v[20], "\xe9t\xe9");
    t_v_bytes(ev, &v[21], "\x01\x02", 2); /* BINARY(16): trailing zeros stripped */
    t_v_bytes(ev, &v[22], "\x00\xff\x00", 3);
    t_v_bytes(ev, &v[23], "\xde\xad\xbe\xef", 4);
    t_v_str(ev, &v[24], "text \xf0\x9f\x98\x80 \xf0\x9d\x84\x9e");
    t_v_uint(&v[25], THL_VAL_BIT, 1);
    t_v_uint(&v[26], THL_VAL_BIT, UINT64_MAX);
    t_v_uint(&v[27], THL_VAL_ENUM, 2);
    t_v_uint(&v[28], THL_VAL_SET, 1ULL | (1ULL << 63));
    t_v_str(ev, &v[29], "{\"a\": [1, 2.5, \"x\"]}");
    t_v_bytes(ev, &v[30], g, wkb_point(g, 0, 1, 2));
    t_v_bytes(ev, &v[31], u, 15);
    t_v_bytes(ev, &v[32], "\x20\x01\x0d\xb8", 4);
}

static void row2(thl_event *ev, thl_value *v)
{
    uint8_t g[64];
    t_v_int(&v[0], 2);
    t_v_int(&v[1], -128);
    t_v_uint(&v[2], THL_VAL_UINT, 255);
    t_v_int(&v[3], -32768);
    t_v_int(&v[4], -8388608);
    t_v_int(&v[5], INT64_MIN);
    t_v_uint(&v[6], THL_VAL_UINT, UINT64_MAX);
    v[7].kind = THL_VAL_FLOAT;
    v[7].v.f = 3.40282e38f;
    v[8].kind = THL_VAL_DOUBLE;
    v[8].v.d = -1.7976931348623157e308;
    t_v_dec(ev, &v[9], "-99999999999999999999999999999999999.999999999999999999999999999999");
    t_v_dec(ev, &v[10], "-99999999.99");
    t_v_int(&v[11], 0);
    t_v_date(&v[12], 0, 0, 0);
    t_v_time(&v[13], 1, 838, 59, 59, 0);
    t_v_time(&v[14], 0, 838, 59, 59, 990000);
    t_v_datetime(&v[15], 0, 0, 0, 0, 0, 0, 0);
    t_v_datetime(&v[16], 1000, 1, 1, 0, 0, 0, 0);
    t_v_ts(&v[17], 0, 0);
    t_v_str(ev, &v[18], "");
    t_v_str(ev, &v[19], "");
    t_v_str(ev, &v[20], "");
    t_v_bytes(ev, &v[21], "", 0);
    t_v_bytes(ev, &v[22], "", 0);
    t_v_bytes(ev, &v[23], "", 0);
    t_v_str(ev, &v[24], "");
    t_v_uint(&v[25], THL_VAL_BIT, 0);
    t_v_uint(&v[26], THL_VAL_BIT, 0);
    t_v_uint(&v[27], THL_VAL_ENUM, 0);
    t_v_uint(&v[28], THL_VAL_SET, 0);
    t_v_str(ev, &v[29], "null");
    t_v_bytes(ev, &v[30], g, wkb_line(g, 4326));
    t_v_bytes(ev, &v[31], "", 0);
    t_v_bytes(ev, &v[32], "", 0);
}

static thl_event *values_event(uint64_t seqno, const char *table)
{
    thl_event *ev = t_event(seqno);
    thl_rows *r = thl_event_add_rows(ev, DBS, table, THL_ROW_INSERT, NCOLS);
    thl_row *row;
    describe(r);
    row = thl_rows_add_row(ev, r);
    row1(ev, row->after);
    row = thl_rows_add_row(ev, r);
    row2(ev, row->after);
    row = thl_rows_add_row(ev, r);
    t_v_int(&row->after[0], 3); /* everything else NULL */
    return ev;
}

/* Prepared statements: every kind lands exactly as the master's SQL literals did. */
static void values__prepared_path_round_trip(void **state)
{
    apl_applier *a;
    thl_event *ev;
    (void)state;
    create_table(DBS, "v");
    a = t_open(SVC);
    ev = values_event(1, "v");
    t_apply(a, ev);
    t_commit(a);
    t_tables_equal(db, DBM ".v", DBS ".v");
    assert_int_equal(t_int(db, "SELECT HEX(bin) = '01020000000000000000000000000000' FROM " DBS
                               ".v WHERE id = 1"),
                     1);
    thl_event_free(ev);
    apl_applier_close(a);
}

/* The BINLOG path encodes the same values as binlog rows; the trigger must not fire. */
static void values__binlog_path_round_trip(void **state)
{
    apl_applier *a;
    apl_stats st;
    thl_event *ev;
    (void)state;
    create_table(DBS, "vt");
    t_sql(db, "CREATE TABLE " DBS ".vt_log (n INT)");
    t_sql(db, "CREATE TRIGGER " DBS ".vt_ai AFTER INSERT ON " DBS ".vt FOR EACH ROW "
              "INSERT INTO " DBS ".vt_log VALUES (NEW.id)");
    a = t_open(SVC);
    ev = values_event(2, "vt");
    t_apply(a, ev);
    t_commit(a);
    apl_applier_stats(a, &st);
    assert_true(st.binlog_stmts >= 2); /* the format description and the rows */
    t_tables_equal(db, DBM ".v", DBS ".vt");
    assert_int_equal(t_int(db, "SELECT COUNT(*) FROM " DBS ".vt_log"), 0);
    thl_event_free(ev);
    apl_applier_close(a);
}

static void big_blob_event(thl_event *ev, const char *table, uint8_t *blob, size_t len)
{
    thl_rows *r = thl_event_add_rows(ev, DBS, table, THL_ROW_INSERT, 2);
    thl_row *row;
    t_col(&r->cols[0], "id", MYSQL_TYPE_LONG, 0, 0, 0, THL_COL_PK);
    t_col(&r->cols[1], "bl", MYSQL_TYPE_BLOB, 4, 0, 63, THL_COL_BINARY | THL_COL_NULLABLE);
    row = thl_rows_add_row(ev, r);
    t_v_int(&row->after[0], 1);
    t_v_bytes(ev, &row->after[1], blob, len);
}

/* A 16 MB value goes through one prepared statement (max_allowed_packet raised to 64 MB). */
static void values__sixteen_mb_blob(void **state)
{
    const size_t len = 16u << 20;
    uint8_t *blob = malloc(len);
    apl_applier *a;
    thl_event *ev = t_event(3);
    char *md5;
    (void)state;
    for (size_t i = 0; i < len; i++)
        blob[i] = (uint8_t)(i * 7 + (i >> 16));
    t_sql(db, "CREATE TABLE " DBS ".big (id INT PRIMARY KEY, bl LONGBLOB)");
    big_blob_event(ev, "big", blob, len);
    a = t_open(SVC);
    t_apply(a, ev);
    t_commit(a);
    assert_int_equal(t_int(db, "SELECT LENGTH(bl) FROM " DBS ".big"), (long long)len);
    md5 = t_str(db, "SELECT MD5(bl) FROM " DBS ".big");
    t_sql(db, "SET @b = (SELECT bl FROM " DBS ".big)");
    assert_int_equal(t_int(db, "SELECT SUBSTRING(@b, 1000001, 1) = X'%02X'", blob[1000000]), 1);
    assert_int_equal(strlen(md5), 32);
    free(md5);
    free(blob);
    thl_event_free(ev);
    apl_applier_close(a);
}

/* Generated columns are never written; the THL may carry their values. */
static void values__generated_columns_skipped(void **state)
{
    apl_applier *a;
    thl_event *ev = t_event(4);
    thl_rows *r;
    thl_row *row;
    (void)state;
    t_sql(db, "CREATE TABLE " DBS ".gen (id INT PRIMARY KEY, a INT, "
              "gv INT AS (a + 1) VIRTUAL, gs INT AS (a * 2) STORED, z INT)");
    r = thl_event_add_rows(ev, DBS, "gen", THL_ROW_INSERT, 5);
    t_col(&r->cols[0], "id", MYSQL_TYPE_LONG, 0, 0, 0, THL_COL_PK);
    t_col(&r->cols[1], "a", MYSQL_TYPE_LONG, 0, 0, 0, THL_COL_NULLABLE);
    t_col(&r->cols[2], "gv", MYSQL_TYPE_LONG, 0, 0, 0, THL_COL_NULLABLE);
    t_col(&r->cols[3], "gs", MYSQL_TYPE_LONG, 0, 0, 0, THL_COL_NULLABLE);
    t_col(&r->cols[4], "z", MYSQL_TYPE_LONG, 0, 0, 0, THL_COL_NULLABLE);
    row = thl_rows_add_row(ev, r);
    t_v_int(&row->after[0], 1);
    t_v_int(&row->after[1], 10);
    t_v_int(&row->after[2], 11);
    t_v_int(&row->after[3], 20);
    t_v_int(&row->after[4], 5);
    a = t_open(SVC);
    t_apply(a, ev);
    t_commit(a);
    assert_int_equal(t_int(db, "SELECT gv + gs + z FROM " DBS ".gen WHERE id = 1"), 36);
    thl_event_free(ev);
    apl_applier_close(a);
}

/* Without column names (binlog_row_metadata below FULL) columns map by position. */
static void values__unnamed_columns_by_position(void **state)
{
    apl_applier *a;
    thl_event *ev = t_event(5);
    thl_rows *r;
    (void)state;
    t_sql(db, "CREATE TABLE " DBS ".unnamed (id INT PRIMARY KEY, v INT)");
    r = t_rows_idv(ev, DBS, "unnamed", THL_ROW_INSERT);
    r->cols[0].name = "";
    r->cols[1].name = "";
    t_row_idv(ev, r, 0, 0, 7, 70);
    a = t_open(SVC);
    t_apply(a, ev);
    t_commit(a);
    assert_int_equal(t_int(db, "SELECT v FROM " DBS ".unnamed WHERE id = 7"), 70);
    thl_event_free(ev);
    apl_applier_close(a);
}

static thl_event *frac_event(uint64_t seqno, const char *table)
{
    static const uint16_t fsp[6] = { 0, 1, 3, 4, 5, 6 };
    thl_event *ev = t_event(seqno);
    thl_rows *r = thl_event_add_rows(ev, DBS, table, THL_ROW_INSERT, 10);
    char name[8];
    t_col(&r->cols[0], "id", MYSQL_TYPE_LONG, 0, 0, 0, THL_COL_PK);
    for (int i = 0; i < 6; i++) {
        snprintf(name, sizeof(name), "t%u", fsp[i]);
        t_col(&r->cols[1 + i], thl_event_strdup(ev, name), MYSQL_TYPE_TIME2, fsp[i], 0, 0,
              THL_COL_NULLABLE);
    }
    t_col(&r->cols[7], "d3", MYSQL_TYPE_DATETIME2, 3, 0, 0, THL_COL_NULLABLE);
    t_col(&r->cols[8], "s2", MYSQL_TYPE_TIMESTAMP2, 2, 0, 0, THL_COL_NULLABLE);
    t_col(&r->cols[9], "s4", MYSQL_TYPE_TIMESTAMP2, 4, 0, 0, THL_COL_NULLABLE);
    for (int k = 0; k < 2; k++) {
        thl_row *row = thl_rows_add_row(ev, r);
        t_v_int(&row->after[0], k + 1);
        t_v_time(&row->after[1], k, 1, 2, 3, 0);
        t_v_time(&row->after[2], k, 0, 0, 1, 100000);
        t_v_time(&row->after[3], k, 0, 0, 0, 1000);
        t_v_time(&row->after[4], k, 100, 59, 59, 999900);
        t_v_time(&row->after[5], k, 0, 0, 0, 10);
        t_v_time(&row->after[6], k, 0, 0, 1, 999999);
        t_v_datetime(&row->after[7], 2001, 2, 3, 4, 5, 6, 789000);
        t_v_ts(&row->after[8], 1000000000 + k, 120000);
        t_v_ts(&row->after[9], 1000000000 + k, 123400);
    }
    return ev;
}

/* Fractional seconds of every width, negative times included, through both paths. */
static void values__fractional_seconds(void **state)
{
    static const char ddl[] = "(id INT PRIMARY KEY, t0 TIME, t1 TIME(1), t3 TIME(3), t4 TIME(4), "
                              "t5 TIME(5), t6 TIME(6), d3 DATETIME(3), s2 TIMESTAMP(2) NULL, "
                              "s4 TIMESTAMP(4) NULL)";
    apl_applier *a;
    thl_event *e1 = frac_event(6, "fr"), *e2 = frac_event(7, "frt");
    (void)state;
    t_sql(db, "CREATE TABLE " DBM ".fr %s", ddl);
    t_sql(db, "CREATE TABLE " DBS ".fr %s", ddl);
    t_sql(db, "CREATE TABLE " DBS ".frt %s", ddl);
    t_sql(db, "CREATE TRIGGER " DBS ".frt_bi BEFORE INSERT ON " DBS ".frt FOR EACH ROW SET @x = 1");
    t_sql(db, "SET SESSION time_zone = '+00:00'");
    t_sql(db, "INSERT INTO " DBM ".fr VALUES (1, '01:02:03', '00:00:01.1', '00:00:00.001', "
              "'100:59:59.9999', '00:00:00.00001', '00:00:01.999999', '2001-02-03 04:05:06.789', "
              "FROM_UNIXTIME(1000000000.12), FROM_UNIXTIME(1000000000.1234)), (2, '-01:02:03', "
              "'-00:00:01.1', '-00:00:00.001', '-100:59:59.9999', '-00:00:00.00001', "
              "'-00:00:01.999999', '2001-02-03 04:05:06.789', FROM_UNIXTIME(1000000001.12), "
              "FROM_UNIXTIME(1000000001.1234))");
    a = t_open(SVC);
    t_apply(a, e1);
    t_apply(a, e2);
    t_commit(a);
    t_tables_equal(db, DBM ".fr", DBS ".fr");
    t_tables_equal(db, DBM ".fr", DBS ".frt");
    thl_event_free(e1);
    thl_event_free(e2);
    apl_applier_close(a);
}

static void expect_decimal(const char *txt, unsigned p, unsigned s, const char *hex)
{
    repl_buf b;
    repl_error err;
    char got[128] = "";
    repl_buf_init(&b);
    assert_int_equal(apl_binlog_decimal(&b, (const uint8_t *)txt, strlen(txt), p, s, &err),
                     REPL_OK);
    for (size_t i = 0; i < b.len && i * 2 + 2 < sizeof(got); i++)
        snprintf(got + i * 2, 3, "%02X", b.data[i]);
    assert_string_equal(got, hex);
    repl_buf_dispose(&b);
}

/* The binary DECIMAL form (the example from MySQL's decimal2bin) and refused texts. */
static void values__decimal_binary_form(void **state)
{
    static const char *const bad[] = { "", "-", "1a", "12345678901", "1.23456", "1..2", "." };
    repl_buf b;
    repl_error err;
    (void)state;
    expect_decimal("1234567890.1234", 14, 4, "810DFB38D204D2");
    expect_decimal("-1234567890.1234", 14, 4, "7EF204C72DFB2D");
    expect_decimal("0.0000", 14, 4, "80000000000000");
    expect_decimal("-0.0000", 14, 4, "80000000000000");
    expect_decimal(".5", 3, 3, "81F4");
    repl_buf_init(&b);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(
            apl_binlog_decimal(&b, (const uint8_t *)bad[i], strlen(bad[i]), 14, 4, &err),
            REPL_ERR_INVALID);
    assert_int_equal(apl_binlog_decimal(&b, (const uint8_t *)"1", 1, 66, 0, &err),
                     REPL_ERR_INVALID);
    repl_buf_dispose(&b);
}

/* A value the binlog form cannot carry is refused, not truncated. */
static void values__binlog_path_refuses_bad_value(void **state)
{
    apl_applier *a;
    repl_error err;
    thl_event *ev = t_event(8);
    thl_rows *r;
    thl_row *row;
    (void)state;
    t_sql(db, "CREATE TABLE " DBS ".bad (id INT PRIMARY KEY, v INT)");
    t_sql(db, "CREATE TRIGGER " DBS ".bad_bi BEFORE INSERT ON " DBS ".bad FOR EACH ROW SET @x = 1");
    r = t_rows_idv(ev, DBS, "bad", THL_ROW_INSERT);
    row = thl_rows_add_row(ev, r);
    t_v_int(&row->after[0], 1);
    t_v_str(ev, &row->after[1], "not a number");
    a = t_open(SVC);
    assert_int_equal(apl_applier_apply(a, ev, &err), REPL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "`v`"));
    assert_non_null(apl_applier_last_failure(a));
    thl_event_free(ev);
    apl_applier_close(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(values__prepared_path_round_trip),
        cmocka_unit_test(values__binlog_path_round_trip),
        cmocka_unit_test(values__sixteen_mb_blob),
        cmocka_unit_test(values__generated_columns_skipped),
        cmocka_unit_test(values__unnamed_columns_by_position),
        cmocka_unit_test(values__fractional_seconds),
        cmocka_unit_test(values__decimal_binary_form),
        cmocka_unit_test(values__binlog_path_refuses_bad_value),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
