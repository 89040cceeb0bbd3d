/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/extractors/test_events.c - the per-type event decoders (extractors/events.h) on event
 * bytes built by hand: every QUERY status variable, QUERY_COMPRESSED, EXECUTE_LOAD_QUERY, USER_VAR
 * of every type, MariaDB and MySQL GTIDs (tagged too), GTID lists, PREVIOUS_GTIDS, XA, the small
 * events, TABLE_MAP and rows (plain and MariaDB-compressed) through extractors/rows.h, the table
 * cache, and the formats that must be refused. Decodes through ext_decoder after a hand-made
 * FORMAT_DESCRIPTION. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>
#include <zlib.h>

#include "extractors/binlog.h"
#include "replicator/base/buf.h"
#include "thl/event.h"

/* ---- event builders ------------------------------------------------------------------------- */

static unsigned post_header_default(int type)
{
    switch (type) {
    case EXT_EV_QUERY:
    case EXT_EV_MARIA_QUERY_COMPRESSED:
        return 13;
    case EXT_EV_ROTATE:
    case EXT_EV_TABLE_MAP:
    case EXT_EV_WRITE_ROWS_V1:
    case EXT_EV_UPDATE_ROWS_V1:
    case EXT_EV_DELETE_ROWS_V1:
    case EXT_EV_MARIA_WRITE_ROWS_COMPRESSED_V1:
    case EXT_EV_MARIA_UPDATE_ROWS_COMPRESSED_V1:
    case EXT_EV_MARIA_DELETE_ROWS_COMPRESSED_V1:
        return 8;
    case EXT_EV_WRITE_ROWS_V2:
    case EXT_EV_UPDATE_ROWS_V2:
    case EXT_EV_DELETE_ROWS_V2:
    case EXT_EV_PARTIAL_UPDATE_ROWS:
    case EXT_EV_MARIA_WRITE_ROWS_COMPRESSED:
        return 10;
    case EXT_EV_EXECUTE_LOAD_QUERY:
        return 26;
    case EXT_EV_APPEND_BLOCK:
    case EXT_EV_BEGIN_LOAD_QUERY:
    case EXT_EV_DELETE_FILE:
    case EXT_EV_MARIA_BINLOG_CHECKPOINT:
    case EXT_EV_MARIA_GTID_LIST:
        return 4;
    case EXT_EV_INCIDENT:
        return 2;
    case EXT_EV_GTID:
    case EXT_EV_ANONYMOUS_GTID:
        return 42;
    case EXT_EV_MARIA_GTID:
        return 19;
    case EXT_EV_TRANSACTION_PAYLOAD:
        return 40; /* what MySQL really writes; the payload decoder must not use it */
    default:
        return 0;
    }
}

static uint32_t crc_of(const uint8_t *p, size_t len, int fde)
{
    uint8_t head[19];
    uLong c = crc32(0L, Z_NULL, 0);
    memcpy(head, p, 19);
    if (fde)
        head[17] &= 0xfe;
    c = crc32(c, head, 19);
    return (uint32_t)crc32(c, p + 19, (uInt)(len - 19));
}

/* Common header (server id 7) + body (+ CRC32). */
static void build(repl_buf *b, int type, uint16_t flags, const void *body, size_t blen, int crc)
{
    size_t len = 19 + blen + (crc ? 4 : 0);
    repl_buf_clear(b);
    repl_buf_put_u32le(b, 1700000000);
    repl_buf_put_u8(b, (uint8_t)type);
    repl_buf_put_u32le(b, 7);
    repl_buf_put_u32le(b, (uint32_t)len);
    repl_buf_put_u32le(b, (uint32_t)(1000 + len));
    repl_buf_put_u16le(b, flags);
    repl_buf_put(b, body, blen);
    if (crc)
        repl_buf_put_u32le(b, crc_of(b->data, b->len, type == EXT_EV_FORMAT_DESCRIPTION));
}

static void fde_body(repl_buf *body, const char *version, int alg, int ntypes)
{
    char v[50] = { 0 };
    strncpy(v, version, sizeof(v) - 1);
    repl_buf_clear(body);
    repl_buf_put_u16le(body, 4);
    repl_buf_put(body, v, 50);
    repl_buf_put_u32le(body, 0);
    repl_buf_put_u8(body, 19);
    for (int t = 1; t <= ntypes; t++)
        repl_buf_put_u8(body, (uint8_t)post_header_default(t));
    if (alg >= 0) {
        repl_buf_put_u8(body, (uint8_t)alg);
        if (alg != 1)
            repl_buf_put_u32le(body, 0); /* room for the CRC */
    }
}

typedef struct fixture {
    ext_decoder *dec;
    repl_buf b;
    repl_buf body;
    repl_error err;
    int crc;
} fixture;

static int decode(fixture *f, const ext_event **ev)
{
    ext_raw_event raw = { f->b.data, f->b.len, 4242, "test.bin" };
    repl_error_clear(&f->err);
    return ext_decoder_decode(f->dec, &raw, ev, &f->err);
}

/* Build an event of type from f->body and decode it; fails the test on error. */
static const ext_event *decode_ok(fixture *f, int type, uint16_t flags)
{
    const ext_event *ev = NULL;
    build(&f->b, type, flags, f->body.data, f->body.len, f->crc);
    if (decode(f, &ev) != REPL_OK)
        fail_msg("decode failed: %s", f->err.msg);
    assert_non_null(ev);
    assert_int_equal(ev->type, type);
    return ev;
}

static int decode_err(fixture *f, int type, uint16_t flags)
{
    const ext_event *ev = NULL;
    int rc;
    build(&f->b, type, flags, f->body.data, f->body.len, f->crc);
    rc = decode(f, &ev);
    assert_int_not_equal(rc, REPL_OK);
    assert_null(ev);
    assert_non_null(strstr(f->err.msg, "test.bin at 4242"));
    return rc;
}

static int setup_mariadb(void **state)
{
    fixture *f = test_calloc(1, sizeof(*f));
    const ext_event *ev = NULL;
    f->dec = ext_decoder_new();
    repl_buf_init(&f->b);
    repl_buf_init(&f->body);
    f->crc = 1;
    fde_body(&f->body, "10.11.19-MariaDB-log", 1, 171);
    build(&f->b, EXT_EV_FORMAT_DESCRIPTION, 0, f->body.data, f->body.len, 1);
    assert_int_equal(decode(f, &ev), REPL_OK);
    repl_buf_clear(&f->body);
    *state = f;
    return 0;
}

static int setup_mysql(void **state)
{
    fixture *f = test_calloc(1, sizeof(*f));
    const ext_event *ev = NULL;
    f->dec = ext_decoder_new();
    repl_buf_init(&f->b);
    repl_buf_init(&f->body);
    f->crc = 1;
    fde_body(&f->body, "8.0.32", 1, 42);
    build(&f->b, EXT_EV_FORMAT_DESCRIPTION, 0, f->body.data, f->body.len, 1);
    assert_int_equal(decode(f, &ev), REPL_OK);
    repl_buf_clear(&f->body);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ext_decoder_free(f->dec);
    repl_buf_dispose(&f->b);
    repl_buf_dispose(&f->body);
    test_free(f);
    return 0;
}

static void put_str8(repl_buf *b, const char *s)
{
    repl_buf_put_u8(b, (uint8_t)strlen(s));
    repl_buf_put(b, s, strlen(s));
}

/* MariaDB compressed block: 0x80|len_bytes, big-endian length, zlib stream. */
static void put_compressed(repl_buf *b, const void *src, size_t len)
{
    uLongf clen = compressBound((uLong)len);
    uint8_t *tmp = test_malloc(clen);
    assert_int_equal(compress(tmp, &clen, src, (uLong)len), Z_OK);
    repl_buf_put_u8(b, 0x80 | 2);
    repl_buf_put_u8(b, (uint8_t)(len >> 8));
    repl_buf_put_u8(b, (uint8_t)len);
    repl_buf_put(b, tmp, clen);
    test_free(tmp);
}

/* ---- FORMAT_DESCRIPTION -----------------------------------------------------------------------
 */

static void events__fde_mariadb(void **state)
{
    fixture *f = *state;
    const ext_fde *fde = ext_decoder_fde(f->dec);
    assert_non_null(fde);
    assert_string_equal(fde->server_version, "10.11.19-MariaDB-log");
    assert_true(fde->is_mariadb);
    assert_int_equal(fde->version[0], 10);
    assert_int_equal(fde->version[1], 11);
    assert_int_equal(fde->version[2], 19);
    assert_int_equal(fde->checksum_alg, EXT_CHECKSUM_CRC32);
    assert_int_equal(fde->n_post_header, 171);
    assert_int_equal(ext_decoder_stats_get(f->dec)->crc_verified, 1);
}

static void events__fde_old_mysql_has_no_checksum(void **state)
{
    fixture *f = *state;
    const ext_event *ev;
    f->crc = 0;
    fde_body(&f->body, "5.5.62-log", -1, 27);
    ev = decode_ok(f, EXT_EV_FORMAT_DESCRIPTION, 0);
    assert_false(ev->u.fde.is_mariadb);
    assert_int_equal(ev->u.fde.checksum_alg, EXT_CHECKSUM_UNDEF);
    assert_int_equal(ev->u.fde.n_post_header, 27);
    assert_false(ev->crc_present);
    /* the following events have no checksum: a QUERY's last bytes are its statement */
    repl_buf_clear(&f->body);
    repl_buf_put_u32le(&f->body, 1);
    repl_buf_put_u32le(&f->body, 0);
    repl_buf_put_u8(&f->body, 0);
    repl_buf_put_u16le(&f->body, 0);
    repl_buf_put_u16le(&f->body, 0);
    repl_buf_put_u8(&f->body, 0);
    repl_buf_put(&f->body, "BEGIN", 5);
    ev = decode_ok(f, EXT_EV_QUERY, 0);
    assert_int_equal(ev->u.query.sql.len, 5);
    assert_memory_equal(ev->u.query.sql.ptr, "BEGIN", 5);
}

static void events__fde_in_use_flag_not_in_crc(void **state)
{
    fixture *f = *state;
    const ext_event *ev;
    fde_body(&f->body, "10.6.1-MariaDB", 1, 171);
    ev = decode_ok(f, EXT_EV_FORMAT_DESCRIPTION, EXT_LOG_EVENT_BINLOG_IN_USE_F);
    assert_true(ev->crc_verified);
}

static void events__fde_checksum_off_keeps_crc_room(void **state)
{
    fixture *f = *state;
    const ext_event *ev;
    f->crc = 0;
    fde_body(&f->body, "10.11.19-MariaDB-log", 0, 171);
    ev = decode_ok(f, EXT_EV_FORMAT_DESCRIPTION, 0);
    assert_int_equal(ev->u.fde.checksum_alg, EXT_CHECKSUM_OFF);
    assert_int_equal(ev->body_len, f->body.len - 4);
    assert_false(ev->crc_present);
}

static void events__fde_bad_version_refused(void **state)
{
    fixture *f = *state;
    fde_body(&f->body, "10.11.19-MariaDB-log", 1, 171);
    f->body.data[0] = 3; /* binlog version 3 */
    assert_int_equal(decode_err(f, EXT_EV_FORMAT_DESCRIPTION, 0), REPL_ERR_INVALID);
    assert_non_null(strstr(f->err.msg, "binlog version 3"));
}

static void events__fde_malformed(void **state)
{
    fixture *f = *state;
    fde_body(&f->body, "10.11.19-MariaDB-log", 1, 171);
    f->body.data[56] = 18; /* common header length below 19 */
    assert_int_equal(decode_err(f, EXT_EV_FORMAT_DESCRIPTION, 0), REPL_ERR_CORRUPT);
    assert_non_null(strstr(f->err.msg, "common header length 18"));
    f->crc = 0;
    fde_body(&f->body, "10.11.19-MariaDB-log", 7, 171); /* unknown algorithm */
    assert_int_equal(decode_err(f, EXT_EV_FORMAT_DESCRIPTION, 0), REPL_ERR_CORRUPT);
    assert_non_null(strstr(f->err.msg, "unknown checksum algorithm 7"));
    fde_body(&f->body, "8.0.32", -1, 0); /* a checksum-era server without the algorithm byte */
    assert_int_equal(decode_err(f, EXT_EV_FORMAT_DESCRIPTION, 0), REPL_ERR_CORRUPT);
    f->body.len = 40;
    assert_int_equal(decode_err(f, EXT_EV_FORMAT_DESCRIPTION, 0), REPL_ERR_CORRUPT);
}

static void events__fde_drop_tree_renumbers_types(void **state)
{
    fixture *f = *state;
    const ext_event *ev;
    f->crc = 0;
    fde_body(&f->body, "5.2.2-a_drop6p13-debug-log", -1, 22);
    ev = decode_ok(f, EXT_EV_FORMAT_DESCRIPTION, 0);
    assert_true(ev->u.fde.permuted_types);
    repl_buf_clear(&f->body);
    repl_buf_put_u64le(&f->body, 5);
    build(&f->b, 20, 0, f->body.data, f->body.len, 0); /* their 20 is today's XID */
    assert_int_equal(decode(f, &ev), REPL_OK);
    assert_int_equal(ev->type, EXT_EV_XID);
    assert_int_equal(ev->u.xid.xid, 5);
    fde_body(&f->body, "5.1.2-a_drop5p10", -1, 27); /* such servers list exactly 22 lengths */
    assert_int_equal(decode_err(f, EXT_EV_FORMAT_DESCRIPTION, 0), REPL_ERR_CORRUPT);
}

/* ---- QUERY ------------------------------------------------------------------------------------
 */

static void query_body(repl_buf *body, const repl_buf *vars, const char *db, const char *sql)
{
    repl_buf_clear(body);
    repl_buf_put_u32le(body, 77); /* thread id */
    repl_buf_put_u32le(body, 2);  /* exec time */
    repl_buf_put_u8(body, (uint8_t)strlen(db));
    repl_buf_put_u16le(body, 1146);
    repl_buf_put_u16le(body, (uint16_t)vars->len);
    repl_buf_put(body, vars->data, vars->len);
    repl_buf_put(body, db, strlen(db) + 1);
    repl_buf_put(body, sql, strlen(sql));
}

static void put_mysql_vars(repl_buf *v)
{
    repl_buf_put_u8(v, EXT_Q_FLAGS2);
    repl_buf_put_u32le(v, 0x04080000);
    repl_buf_put_u8(v, EXT_Q_SQL_MODE);
    repl_buf_put_u64le(v, 0x1234567890ULL);
    repl_buf_put_u8(v, EXT_Q_CATALOG);
    put_str8(v, "old");
    repl_buf_put_u8(v, 0);
    repl_buf_put_u8(v, EXT_Q_AUTO_INCREMENT);
    repl_buf_put_u16le(v, 5);
    repl_buf_put_u16le(v, 3);
    repl_buf_put_u8(v, EXT_Q_CHARSET);
    repl_buf_put_u16le(v, 45);
    repl_buf_put_u16le(v, 46);
    repl_buf_put_u16le(v, 8);
    repl_buf_put_u8(v, EXT_Q_TIME_ZONE);
    put_str8(v, "+02:00");
    repl_buf_put_u8(v, EXT_Q_CATALOG_NZ);
    put_str8(v, "std");
    repl_buf_put_u8(v, EXT_Q_LC_TIME_NAMES);
    repl_buf_put_u16le(v, 5);
    repl_buf_put_u8(v, EXT_Q_CHARSET_DATABASE);
    repl_buf_put_u16le(v, 33);
    repl_buf_put_u8(v, EXT_Q_TABLE_MAP_FOR_UPDATE);
    repl_buf_put_u64le(v, 0x5);
    repl_buf_put_u8(v, EXT_Q_MASTER_DATA_WRITTEN);
    repl_buf_put_u32le(v, 321);
    repl_buf_put_u8(v, EXT_Q_INVOKER);
    put_str8(v, "root");
    put_str8(v, "localhost");
    repl_buf_put_u8(v, EXT_Q_UPDATED_DB_NAMES);
    repl_buf_put_u8(v, 2);
    repl_buf_put(v, "db1", 4);
    repl_buf_put(v, "db2", 4);
    repl_buf_put_u8(v, EXT_Q_MICROSECONDS);
    repl_buf_put_u8(v, 0x40);
    repl_buf_put_u8(v, 0xe2);
    repl_buf_put_u8(v, 0x01); /* 123456 */
    repl_buf_put_u8(v, EXT_Q_COMMIT_TS);
    repl_buf_put_u64le(v, 99);
}

static void put_mysql8_vars(repl_buf *v)
{
    repl_buf_put_u8(v, EXT_Q_EXPLICIT_DEFAULTS_FOR_TIMESTAMP);
    repl_buf_put_u8(v, 1);
    repl_buf_put_u8(v, EXT_Q_DDL_LOGGED_WITH_XID);
    repl_buf_put_u64le(v, 4242);
    repl_buf_put_u8(v, EXT_Q_DEFAULT_COLLATION_FOR_UTF8MB4);
    repl_buf_put_u16le(v, 255);
    repl_buf_put_u8(v, EXT_Q_SQL_REQUIRE_PRIMARY_KEY);
    repl_buf_put_u8(v, 1);
    repl_buf_put_u8(v, EXT_Q_DEFAULT_TABLE_ENCRYPTION);
    repl_buf_put_u8(v, 0);
    repl_buf_put_u8(v, EXT_Q_ENABLE_CASCADE_TRIGGERS);
    repl_buf_put_u8(v, 1);
}

static void put_mariadb_vars(repl_buf *v)
{
    repl_buf_put_u8(v, EXT_Q_HRNOW);
    repl_buf_put_u8(v, 0x3f);
    repl_buf_put_u8(v, 0x42);
    repl_buf_put_u8(v, 0x0f); /* 999999 */
    repl_buf_put_u8(v, EXT_Q_XID);
    repl_buf_put_u64le(v, 0xabcdef);
    repl_buf_put_u8(v, EXT_Q_GTID_FLAGS3);
    repl_buf_put_u8(v, EXT_MGTID_FLX_COMMIT_ALTER);
    repl_buf_put_u64le(v, 18);
    repl_buf_put_u8(v, EXT_Q_CHARACTER_SET_COLLATIONS);
    repl_buf_put_u8(v, 2);
    repl_buf_put_u16le(v, 33);
    repl_buf_put_u16le(v, 2048);
    repl_buf_put_u16le(v, 45);
    repl_buf_put_u16le(v, 2049);
}

static void check_mysql_vars(const ext_query_status *st)
{
    assert_int_equal(st->flags2, 0x04080000);
    assert_true(st->sql_mode == 0x1234567890ULL);
    assert_string_equal(st->catalog, "std"); /* Q_CATALOG_NZ came after Q_CATALOG */
    assert_int_equal(st->auto_increment_increment, 5);
    assert_int_equal(st->auto_increment_offset, 3);
    assert_int_equal(st->charset_client, 45);
    assert_int_equal(st->collation_connection, 46);
    assert_int_equal(st->collation_server, 8);
    assert_string_equal(st->time_zone, "+02:00");
    assert_int_equal(st->lc_time_names, 5);
    assert_int_equal(st->charset_database, 33);
    assert_int_equal(st->table_map_for_update, 5);
    assert_int_equal(st->master_data_written, 321);
    assert_string_equal(st->invoker_user, "root");
    assert_string_equal(st->invoker_host, "localhost");
    assert_int_equal(st->updated_db_count, 2);
    assert_string_equal(st->updated_dbs[0], "db1");
    assert_string_equal(st->updated_dbs[1], "db2");
    assert_int_equal(st->microseconds, 123456);
    assert_int_equal(st->commit_seq_no, 99);
}

static void events__query_every_status_var(void **state)
{
    fixture *f = *state;
    repl_buf v;
    const ext_event *ev;
    const ext_query_status *st;
    repl_buf_init(&v);
    put_mysql_vars(&v);
    put_mysql8_vars(&v);
    put_mariadb_vars(&v);
    query_body(&f->body, &v, "trep", "CREATE TABLE t (a INT)");
    ev = decode_ok(f, EXT_EV_QUERY, 0);
    st = &ev->u.query.st;
    assert_int_equal(ev->u.query.thread_id, 77);
    assert_int_equal(ev->u.query.exec_time, 2);
    assert_int_equal(ev->u.query.error_code, 1146);
    assert_string_equal(ev->u.query.db, "trep");
    assert_int_equal(ev->u.query.sql.len, strlen("CREATE TABLE t (a INT)"));
    assert_memory_equal(ev->u.query.sql.ptr, "CREATE TABLE t (a INT)", ev->u.query.sql.len);
    check_mysql_vars(st);
    assert_int_equal(st->explicit_defaults_ts, 1);
    assert_int_equal(st->ddl_xid, 4242);
    assert_int_equal(st->default_collation_utf8mb4, 255);
    assert_int_equal(st->sql_require_primary_key, 1);
    assert_int_equal(st->default_table_encryption, 0);
    assert_int_equal(st->enable_cascade_triggers, 1);
    assert_int_equal(st->hrnow_usec, 999999);
    assert_int_equal(st->xid, 0xabcdef);
    assert_int_equal(st->gtid_flags_extra, EXT_MGTID_FLX_COMMIT_ALTER);
    assert_int_equal(st->sa_seq_no, 18);
    assert_int_equal(st->n_charset_collations, 2);
    assert_int_equal(st->charset_collations[4], 45);
    for (unsigned code = 0; code <= 21; code++)
        assert_int_equal((st->present & ext_qvar_bit(code)) != 0, code != 15);
    for (unsigned code = 128; code <= 131; code++)
        assert_true(st->present & ext_qvar_bit(code));
    repl_buf_dispose(&v);
}

static void events__query_too_many_dbs(void **state)
{
    fixture *f = *state;
    repl_buf v;
    const ext_event *ev;
    repl_buf_init(&v);
    repl_buf_put_u8(&v, EXT_Q_UPDATED_DB_NAMES);
    repl_buf_put_u8(&v, EXT_QUERY_OVER_MAX_DBS);
    query_body(&f->body, &v, "", "DROP DATABASE a");
    ev = decode_ok(f, EXT_EV_QUERY, 0);
    assert_int_equal(ev->u.query.st.updated_db_count, EXT_QUERY_OVER_MAX_DBS);
    assert_string_equal(ev->u.query.db, "");
    repl_buf_dispose(&v);
}

static void events__query_unknown_status_var_is_an_error(void **state)
{
    fixture *f = *state;
    repl_buf v;
    repl_buf_init(&v);
    repl_buf_put_u8(&v, EXT_Q_FLAGS2);
    repl_buf_put_u32le(&v, 0);
    repl_buf_put_u8(&v, 0x7e);
    repl_buf_put_u8(&v, 0);
    query_body(&f->body, &v, "", "SELECT 1");
    assert_int_equal(decode_err(f, EXT_EV_QUERY, 0), REPL_ERR_CORRUPT);
    assert_non_null(strstr(f->err.msg, "QUERY_EVENT"));
    assert_non_null(strstr(f->err.msg, "unknown status variable code 126 at byte 5"));
    repl_buf_clear(&v);
    repl_buf_put_u8(&v, EXT_Q_COMMIT_TS2);
    query_body(&f->body, &v, "", "SELECT 1");
    assert_int_equal(decode_err(f, EXT_EV_QUERY, 0), REPL_ERR_CORRUPT);
    assert_non_null(strstr(f->err.msg, "code 15"));
    repl_buf_dispose(&v);
}

static void events__query_truncated_status_var(void **state)
{
    fixture *f = *state;
    repl_buf v;
    repl_buf_init(&v);
    repl_buf_put_u8(&v, EXT_Q_TIME_ZONE);
    repl_buf_put_u8(&v, 40); /* longer than the block */
    repl_buf_put(&v, "UTC", 3);
    query_body(&f->body, &v, "", "SELECT 1");
    assert_int_equal(decode_err(f, EXT_EV_QUERY, 0), REPL_ERR_CORRUPT);
    assert_non_null(strstr(f->err.msg, "code 5 at byte 0 of 5 is truncated"));
    repl_buf_clear(&v);
    repl_buf_put_u8(&v, EXT_Q_UPDATED_DB_NAMES);
    repl_buf_put_u8(&v, 1);
    repl_buf_put(&v, "nonul", 5);
    query_body(&f->body, &v, "", "SELECT 1");
    assert_int_equal(decode_err(f, EXT_EV_QUERY, 0), REPL_ERR_CORRUPT);
    repl_buf_dispose(&v);
}

static void events__query_bad_lengths(void **state)
{
    fixture *f = *state;
    repl_buf v;
    repl_buf_init(&v);
    query_body(&f->body, &v, "db", "X");
    f->body.data[8] = 200; /* db_len beyond the event */
    assert_int_equal(decode_err(f, EXT_EV_QUERY, 0), REPL_ERR_CORRUPT);
    assert_non_null(strstr(f->err.msg, "database name"));
    query_body(&f->body, &v, "db", "X");
    f->body.data[11] = 0xff; /* status_vars_len */
    assert_int_equal(decode_err(f, EXT_EV_QUERY, 0), REPL_ERR_CORRUPT);
    assert_non_null(strstr(f->err.msg, "status variables"));
    repl_buf_dispose(&v);
}

static void events__query_compressed(void **state)
{
    fixture *f = *state;
    const char *sql = "INSERT INTO t2 VALUES (30, 'compressed statement', 3)";
    repl_buf v;
    const ext_event *ev;
    repl_buf_init(&v);
    query_body(&f->body, &v, "trep_t", "");
    put_compressed(&f->body, sql, strlen(sql));
    ev = decode_ok(f, EXT_EV_MARIA_QUERY_COMPRESSED, 0);
    assert_string_equal(ev->u.query.db, "trep_t");
    assert_int_equal(ev->u.query.sql.len, strlen(sql));
    assert_memory_equal(ev->u.query.sql.ptr, sql, strlen(sql));
    /* a corrupt zlib stream */
    f->body.data[f->body.len - 3] ^= 0x55;
    assert_int_equal(decode_err(f, EXT_EV_MARIA_QUERY_COMPRESSED, 0), REPL_ERR_CORRUPT);
    assert_non_null(strstr(f->err.msg, "compressed statement"));
    repl_buf_dispose(&v);
}

static void events__execute_load_query(void **state)
{
    fixture *f = *state;
    const char *sql = "LOAD DATA INFILE '/tmp/x.txt' INTO TABLE t";
    const ext_event *ev;
    repl_buf_clear(&f->body);
    repl_buf_put_u32le(&f->body, 5);
    repl_buf_put_u32le(&f->body, 0);
    repl_buf_put_u8(&f->body, 1);
    repl_buf_put_u16le(&f->body, 0);
    repl_buf_put_u16le(&f->body, 0);
    repl_buf_put_u32le(&f->body, 9);  /* file id */
    repl_buf_put_u32le(&f->body, 17); /* fn_pos_start */
    repl_buf_put_u32le(&f->body, 29); /* fn_pos_end */
    repl_buf_put_u8(&f->body, 2);     /* REPLACE */
    repl_buf_put(&f->body, "d", 2);
    repl_buf_put(&f->body, sql, strlen(sql));
    ev = decode_ok(f, EXT_EV_EXECUTE_LOAD_QUERY, 0);
    assert_int_equal(ev->u.query.file_id, 9);
    assert_int_equal(ev->u.query.fn_pos_start, 17);
    assert_int_equal(ev->u.query.fn_pos_end, 29);
    assert_int_equal(ev->u.query.dup_handling, 2);
    assert_memory_equal(ev->u.query.sql.ptr + 17, "'/tmp/x.txt'", 12);
    f->body.data[21] = 200; /* fn_pos_end past the statement */
    assert_int_equal(decode_err(f, EXT_EV_EXECUTE_LOAD_QUERY, 0), REPL_ERR_CORRUPT);
}

/* ---- statement context ------------------------------------------------------------------------
 */

static void events__intvar_rand_xid(void **state)
{
    fixture *f = *state;
    const ext_event *ev;
    repl_buf_clear(&f->body);
    repl_buf_put_u8(&f->body, EXT_INTVAR_INSERT_ID);
    repl_buf_put_u64le(&f->body, 3);
    ev = decode_ok(f, EXT_EV_INTVAR, 0);
    assert_int_equal(ev->u.intvar.type, EXT_INTVAR_INSERT_ID);
    assert_int_equal(ev->u.intvar.value, 3);
    f->body.data[0] = 9;
    assert_int_equal(decode_err(f, EXT_EV_INTVAR, 0), REPL_ERR_CORRUPT);
    repl_buf_clear(&f->body);
    repl_buf_put_u64le(&f->body, 111);
    repl_buf_put_u64le(&f->body, 222);
    ev = decode_ok(f, EXT_EV_RAND, 0);
    assert_int_equal(ev->u.rand.seed1, 111);
    assert_int_equal(ev->u.rand.seed2, 222);
    repl_buf_clear(&f->body);
    repl_buf_put_u64le(&f->body, 0x1122334455ULL);
    ev = decode_ok(f, EXT_EV_XID, 0);
    assert_true(ev->u.xid.xid == 0x1122334455ULL);
    f->body.len = 5;
    assert_int_equal(decode_err(f, EXT_EV_XID, 0), REPL_ERR_CORRUPT);
}

static void user_var_body(repl_buf *b, const char *name, int type, uint32_t cs, const void *val,
                          uint32_t len, int flags)
{
    repl_buf_clear(b);
    repl_buf_put_u32le(b, (uint32_t)strlen(name));
    repl_buf_put(b, name, strlen(name));
    repl_buf_put_u8(b, 0);
    repl_buf_put_u8(b, (uint8_t)type);
    repl_buf_put_u32le(b, cs);
    repl_buf_put_u32le(b, len);
    repl_buf_put(b, val, len);
    if (flags >= 0)
        repl_buf_put_u8(b, (uint8_t)flags);
}

static void events__user_var_every_type(void **state)
{
    fixture *f = *state;
    const ext_event *ev;
    uint8_t i8[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    double d = 1.5e10;
    /* DECIMAL(20,4) -123.4500: precision, scale, then MySQL binary decimal */
    uint8_t dec[2 + 10] = { 20, 4, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x84, 0xee, 0x6b };
    user_var_body(&f->body, "s", EXT_UV_STRING, 45, "h\xc3\xa9llo", 6, 0);
    ev = decode_ok(f, EXT_EV_USER_VAR, 0);
    assert_string_equal(ev->u.user_var.name, "s");
    assert_int_equal(ev->u.user_var.charset, 45);
    assert_memory_equal(ev->u.user_var.value.ptr, "h\xc3\xa9llo", 6);
    user_var_body(&f->body, "u", EXT_UV_INT, 63, i8, 8, EXT_UV_UNSIGNED_F);
    ev = decode_ok(f, EXT_EV_USER_VAR, 0);
    assert_true(ev->u.user_var.has_flags && ev->u.user_var.flags == EXT_UV_UNSIGNED_F);
    assert_true((uint64_t)ev->u.user_var.int_value == UINT64_MAX);
    user_var_body(&f->body, "i", EXT_UV_INT, 63, i8, 8, -1); /* a 5.0 event: no flags byte */
    ev = decode_ok(f, EXT_EV_USER_VAR, 0);
    assert_false(ev->u.user_var.has_flags);
    assert_int_equal(ev->u.user_var.int_value, -1);
    user_var_body(&f->body, "d", EXT_UV_REAL, 63, &d, 8, 0);
    ev = decode_ok(f, EXT_EV_USER_VAR, 0);
    assert_true(ev->u.user_var.real_value == 1.5e10);
    user_var_body(&f->body, "m", EXT_UV_DECIMAL, 63, dec, sizeof(dec), 0);
    ev = decode_ok(f, EXT_EV_USER_VAR, 0);
    assert_string_equal(ev->u.user_var.decimal_text, "-123.4500");
}

static void events__user_var_null_and_errors(void **state)
{
    fixture *f = *state;
    const ext_event *ev;
    repl_buf_clear(&f->body);
    repl_buf_put_u32le(&f->body, 1);
    repl_buf_put(&f->body, "n", 1);
    repl_buf_put_u8(&f->body, 1);
    ev = decode_ok(f, EXT_EV_USER_VAR, 0);
    assert_true(ev->u.user_var.is_null);
    assert_string_equal(ev->u.user_var.name, "n");
    user_var_body(&f->body, "x", 9, 63, "abc", 3, 0);
    assert_int_equal(decode_err(f, EXT_EV_USER_VAR, 0), REPL_ERR_CORRUPT);
    user_var_body(&f->body, "x", EXT_UV_INT, 63, "abc", 3, 0);
    assert_int_equal(decode_err(f, EXT_EV_USER_VAR, 0), REPL_ERR_CORRUPT);
    user_var_body(&f->body, "x", EXT_UV_DECIMAL, 63, "\x50\x01\x00", 3, 0); /* precision 80 */
    assert_int_equal(decode_err(f, EXT_EV_USER_VAR, 0), REPL_ERR_CORRUPT);
    user_var_body(&f->body, "x", EXT_UV_STRING, 63, "abc", 3, 0);
    f->body.data[0] = 200; /* name longer than the event */
    assert_int_equal(decode_err(f, EXT_EV_USER_VAR, 0), REPL_ERR_CORRUPT);
    user_var_body(&f->body, "x", EXT_UV_STRING, 63, "abc", 3, 0);
    f->body.len -= 3; /* value shorter than its length */
    assert_int_equal(decode_err(f, EXT_EV_USER_VAR, 0), REPL_ERR_CORRUPT);
}

/* ---- small server events ------------------------------------------------------------------------
 */

static void events__rotate_stop_incident(void **state)
{
    fixture *f = *state;
    const ext_event *ev;
    repl_buf_clear(&f->body);
    repl_buf_put_u64le(&f->body, 4);
    repl_buf_put(&f->body, "mariadb-bin.000002", 18);
    ev = decode_ok(f, EXT_EV_ROTATE, 0);
    assert_int_equal(ev->u.rotate.position, 4);
    assert_string_equal(ev->u.rotate.next_file, "mariadb-bin.000002");
    f->body.len = 8;
    assert_int_equal(decode_err(f, EXT_EV_ROTATE, 0), REPL_ERR_CORRUPT);
    repl_buf_clear(&f->body);
    ev = decode_ok(f, EXT_EV_STOP, 0);
    assert_int_equal(ev->body_len, 0);
    repl_buf_put_u16le(&f->body, 1);
    put_str8(&f->body, "error writing to the binary log");
    ev = decode_ok(f, EXT_EV_INCIDENT, 0);
    assert_int_equal(ev->u.incident.number, 1);
    assert_string_equal(ev->u.incident.message, "error writing to the binary log");
    f->body.len = 10;
    assert_int_equal(decode_err(f, EXT_EV_INCIDENT, 0), REPL_ERR_CORRUPT);
}

static void events__heartbeats(void **state)
{
    fixture *f = *state;
    const ext_event *ev;
    repl_buf_clear(&f->body);
    repl_buf_put(&f->body, "mariadb-bin.000007", 18);
    ev = decode_ok(f, EXT_EV_HEARTBEAT, EXT_LOG_EVENT_ARTIFICIAL_F);
    assert_string_equal(ev->u.heartbeat.log_file, "mariadb-bin.000007");
    assert_int_equal(ev->u.heartbeat.log_pos, ev->log_pos);
    repl_buf_clear(&f->body);
    repl_buf_put_u8(&f->body, 1);
    put_str8(&f->body, "binlog.000003");
    repl_buf_put_u8(&f->body, 2);
    repl_buf_put_u8(&f->body, 3);
    repl_buf_put_u8(&f->body, 0xfd);
    repl_buf_put_u8(&f->body, 0x01);
    repl_buf_put_u8(&f->body, 0x02);
    repl_buf_put_u8(&f->body, 0x03);
    repl_buf_put_u8(&f->body, 9); /* an unknown field, skipped */
    repl_buf_put_u8(&f->body, 2);
    repl_buf_put_u16le(&f->body, 0);
    repl_buf_put_u8(&f->body, 0);
    ev = decode_ok(f, EXT_EV_HEARTBEAT_V2, 0);
    assert_string_equal(ev->u.heartbeat.log_file, "binlog.000003");
    assert_int_equal(ev->u.heartbeat.log_pos, 0x030201);
    f->body.len = 4;
    assert_int_equal(decode_err(f, EXT_EV_HEARTBEAT_V2, 0), REPL_ERR_CORRUPT);
}

static void events__annotate_rows_query_checkpoint(void **state)
{
    fixture *f = *state;
    const ext_event *ev;
    repl_buf_clear(&f->body);
    repl_buf_put(&f->body, "INSERT INTO t VALUES (1)", 24);
    ev = decode_ok(f, EXT_EV_MARIA_ANNOTATE_ROWS, 0);
    assert_int_equal(ev->u.text.sql.len, 24);
    assert_memory_equal(ev->u.text.sql.ptr, "INSERT INTO t VALUES (1)", 24);
    repl_buf_clear(&f->body);
    repl_buf_put_u8(&f->body, 8);
    repl_buf_put(&f->body, "DELETE x", 8);
    ev = decode_ok(f, EXT_EV_ROWS_QUERY, EXT_LOG_EVENT_IGNORABLE_F);
    assert_false(ev->skipped); /* known types are decoded even when flagged ignorable */
    assert_int_equal(ev->u.text.sql.len, 8);
    repl_buf_clear(&f->body);
    repl_buf_put_u32le(&f->body, 18);
    repl_buf_put(&f->body, "mariadb-bin.000001", 18);
    ev = decode_ok(f, EXT_EV_MARIA_BINLOG_CHECKPOINT, 0);
    assert_string_equal(ev->u.checkpoint.file, "mariadb-bin.000001");
    f->body.data[0] = 30;
    assert_int_equal(decode_err(f, EXT_EV_MARIA_BINLOG_CHECKPOINT, 0), REPL_ERR_CORRUPT);
}

static void events__xa_prepare(void **state)
{
    fixture *f = *state;
    const ext_event *ev;
    repl_buf_clear(&f->body);
    repl_buf_put_u8(&f->body, 0);
    repl_buf_put_u32le(&f->body, 7);
    repl_buf_put_u32le(&f->body, 3);
    repl_buf_put_u32le(&f->body, 2);
    repl_buf_put(&f->body, "xa1bq", 5);
    ev = decode_ok(f, EXT_EV_XA_PREPARE, 0);
    assert_int_equal(ev->u.xa_prepare.format_id, 7);
    assert_int_equal(ev->u.xa_prepare.gtrid_len, 3);
    assert_int_equal(ev->u.xa_prepare.bqual_len, 2);
    assert_memory_equal(ev->u.xa_prepare.data.ptr, "xa1bq", 5);
    f->body.data[5] = 65; /* gtrid longer than 64 */
    assert_int_equal(decode_err(f, EXT_EV_XA_PREPARE, 0), REPL_ERR_CORRUPT);
}

static void events__load_blocks(void **state)
{
    fixture *f = *state;
    const ext_event *ev;
    repl_buf_clear(&f->body);
    repl_buf_put_u32le(&f->body, 12);
    repl_buf_put(&f->body, "1\tone\n", 6);
    ev = decode_ok(f, EXT_EV_BEGIN_LOAD_QUERY, 0);
    assert_int_equal(ev->u.load.file_id, 12);
    assert_int_equal(ev->u.load.block.len, 6);
    assert_memory_equal(ev->u.load.block.ptr, "1\tone\n", 6);
    ev = decode_ok(f, EXT_EV_APPEND_BLOCK, 0);
    assert_int_equal(ev->u.load.block.len, 6);
    f->body.len = 4;
    ev = decode_ok(f, EXT_EV_DELETE_FILE, 0);
    assert_int_equal(ev->u.load.file_id, 12);
    assert_int_equal(ev->u.load.block.len, 0);
    f->body.len = 2;
    assert_int_equal(decode_err(f, EXT_EV_DELETE_FILE, 0), REPL_ERR_CORRUPT);
}

/* ---- MariaDB GTIDs ----------------------------------------------------------------------------
 */

static void events__mariadb_gtid(void **state)
{
    fixture *f = *state;
    const ext_event *ev;
    repl_buf_clear(&f->body);
    repl_buf_put_u64le(&f->body, 33);
    repl_buf_put_u32le(&f->body, 2);
    repl_buf_put_u8(&f->body, 0x0c);
    repl_buf_put(&f->body, "\0\0\0\0\0\0", 6); /* zero padding to 19 bytes */
    ev = decode_ok(f, EXT_EV_MARIA_GTID, 0);
    assert_int_equal(ev->u.mgtid.gtid.seq_no, 33);
    assert_int_equal(ev->u.mgtid.gtid.domain_id, 2);
    assert_int_equal(ev->u.mgtid.gtid.server_id, 7);
    assert_int_equal(ev->u.mgtid.flags2, 0x0c);
    assert_int_equal(ev->u.mgtid.flags_extra, 0);
    repl_buf_clear(&f->body);
    repl_buf_put_u64le(&f->body, 34);
    repl_buf_put_u32le(&f->body, 0);
    repl_buf_put_u8(&f->body, EXT_MGTID_FL_GROUP_COMMIT_ID | EXT_MGTID_FL_PREPARED_XA);
    repl_buf_put_u64le(&f->body, 900);
    repl_buf_put_u32le(&f->body, 1);
    repl_buf_put_u8(&f->body, 3);
    repl_buf_put_u8(&f->body, 1);
    repl_buf_put(&f->body, "xa1b", 4);
    repl_buf_put_u8(&f->body, EXT_MGTID_FLX_MULTI_ENGINE | EXT_MGTID_FLX_COMMIT_ALTER);
    repl_buf_put_u8(&f->body, 2);
    repl_buf_put_u64le(&f->body, 31);
    ev = decode_ok(f, EXT_EV_MARIA_GTID, 0);
    assert_int_equal(ev->u.mgtid.commit_id, 900);
    assert_int_equal(ev->u.mgtid.xa_format_id, 1);
    assert_int_equal(ev->u.mgtid.xa_gtrid_len, 3);
    assert_memory_equal(ev->u.mgtid.xa_data, "xa1b", 4);
    assert_int_equal(ev->u.mgtid.extra_engines, 2);
    assert_int_equal(ev->u.mgtid.sa_seq_no, 31);
    f->body.len -= 4; /* sa_seq_no cut */
    assert_int_equal(decode_err(f, EXT_EV_MARIA_GTID, 0), REPL_ERR_CORRUPT);
    f->body.len = 10;
    assert_int_equal(decode_err(f, EXT_EV_MARIA_GTID, 0), REPL_ERR_CORRUPT);
}

static void events__gtid_list(void **state)
{
    fixture *f = *state;
    const ext_event *ev;
    repl_buf_clear(&f->body);
    repl_buf_put_u32le(&f->body, 2 | (1u << 28));
    for (uint32_t i = 0; i < 2; i++) {
        repl_buf_put_u32le(&f->body, i);
        repl_buf_put_u32le(&f->body, 10 + i);
        repl_buf_put_u64le(&f->body, 100 + i);
    }
    ev = decode_ok(f, EXT_EV_MARIA_GTID_LIST, 0);
    assert_int_equal(ev->u.gtid_list.count, 2);
    assert_int_equal(ev->u.gtid_list.flags, 1);
    assert_int_equal(ev->u.gtid_list.list[1].domain_id, 1);
    assert_int_equal(ev->u.gtid_list.list[1].server_id, 11);
    assert_int_equal(ev->u.gtid_list.list[1].seq_no, 101);
    f->body.data[0] = 3;
    assert_int_equal(decode_err(f, EXT_EV_MARIA_GTID_LIST, 0), REPL_ERR_CORRUPT);
}

/* ---- MySQL GTIDs ------------------------------------------------------------------------------
 */

static const uint8_t sid[16] = { 0x3e, 0x11, 0xfa, 0x47, 0x71, 0xca, 0x11, 0xe1,
                                 0x9e, 0x33, 0xc8, 0x0a, 0xa9, 0x42, 0x95, 0x62 };

static void mysql_gtid_head(repl_buf *b, int64_t gno)
{
    repl_buf_clear(b);
    repl_buf_put_u8(b, 1);
    repl_buf_put(b, sid, 16);
    repl_buf_put_u64le(b, (uint64_t)gno);
}

static void put_u56(repl_buf *b, uint64_t v)
{
    for (int i = 0; i < 7; i++)
        repl_buf_put_u8(b, (uint8_t)(v >> (8 * i)));
}

static void events__mysql_gtid(void **state)
{
    fixture *f = *state;
    const ext_event *ev;
    mysql_gtid_head(&f->body, 23);
    ev = decode_ok(f, EXT_EV_GTID, 0); /* 5.6: no logical clock */
    assert_string_equal(ev->u.gtid.uuid_text, "3e11fa47-71ca-11e1-9e33-c80aa9429562");
    assert_int_equal(ev->u.gtid.gno, 23);
    assert_false(ev->u.gtid.has_logical_clock);
    repl_buf_put_u8(&f->body, 2);
    repl_buf_put_u64le(&f->body, 5);
    repl_buf_put_u64le(&f->body, 6);
    ev = decode_ok(f, EXT_EV_GTID, 0); /* 5.7 */
    assert_true(ev->u.gtid.has_logical_clock);
    assert_int_equal(ev->u.gtid.last_committed, 5);
    assert_int_equal(ev->u.gtid.sequence_number, 6);
    assert_false(ev->u.gtid.has_commit_ts);
    put_u56(&f->body, 1700000000123456ULL | (1ULL << 55));
    put_u56(&f->body, 1600000000000001ULL);
    repl_buf_put_u8(&f->body, 0xfc);
    repl_buf_put_u16le(&f->body, 300);
    repl_buf_put_u32le(&f->body, 80032u | 0x80000000u);
    repl_buf_put_u32le(&f->body, 50744);
    ev = decode_ok(f, EXT_EV_GTID, 0); /* 8.0 on a replica */
    assert_int_equal(ev->u.gtid.immediate_commit_ts, 1700000000123456ULL);
    assert_int_equal(ev->u.gtid.original_commit_ts, 1600000000000001ULL);
    assert_int_equal(ev->u.gtid.transaction_length, 300);
    assert_int_equal(ev->u.gtid.immediate_server_version, 80032);
    assert_int_equal(ev->u.gtid.original_server_version, 50744);
    f->body.len -= 2; /* the original server version cut */
    assert_int_equal(decode_err(f, EXT_EV_GTID, 0), REPL_ERR_CORRUPT);
    mysql_gtid_head(&f->body, 0);
    assert_int_equal(decode_err(f, EXT_EV_GTID, 0), REPL_ERR_CORRUPT); /* GNO 0 */
    ev = decode_ok(f, EXT_EV_ANONYMOUS_GTID, 0);
    assert_int_equal(ev->u.gtid.gno, 0);
    mysql_gtid_head(&f->body, 5);
    assert_int_equal(decode_err(f, EXT_EV_ANONYMOUS_GTID, 0), REPL_ERR_CORRUPT);
}

/* The body of a MySQL 9.6 GTID_TAGGED_LOG_EVENT (binlog_transaction_with_GTID_TAG.000001). */
static const uint8_t tagged_body[] = {
    0x02, 0x78, 0x00, 0x00, 0x00, 0x02, 0xaa, 0xee, 0x25, 0x02, 0x08, 0x04, 0x65, 0x02, 0x22,
    0xc5, 0x03, 0xc5, 0x02, 0xe1, 0x02, 0x9c, 0xc1, 0x03, 0x11, 0x03, 0x55, 0x02, 0xde, 0xad,
    0x03, 0x04, 0x0c, 0x06, 0x0a, 0x6d, 0x79, 0x74, 0x61, 0x67, 0x08, 0x00, 0x0a, 0x04, 0x0c,
    0x7f, 0x1c, 0xf3, 0xb8, 0x14, 0x24, 0x4a, 0x06, 0x10, 0xa1, 0x04, 0x12, 0x43, 0x0f, 0x0b,
};

static void events__gtid_tagged(void **state)
{
    fixture *f = *state;
    const ext_event *ev;
    repl_buf_clear(&f->body);
    repl_buf_put(&f->body, tagged_body, sizeof(tagged_body));
    ev = decode_ok(f, EXT_EV_GTID_TAGGED, 0);
    assert_string_equal(ev->u.gtid.uuid_text, "55778904-0299-11f1-b1b8-4ef0c4956feb");
    assert_string_equal(ev->u.gtid.tag, "mytag");
    assert_int_equal(ev->u.gtid.gno, 3);
    assert_int_equal(ev->u.gtid.last_committed, 0);
    assert_int_equal(ev->u.gtid.sequence_number, 1);
    assert_int_equal(ev->u.gtid.transaction_length, 296);
    assert_int_equal(ev->u.gtid.immediate_server_version, 90600);
    assert_int_equal(ev->u.gtid.original_server_version, 90600);
    assert_true(ev->u.gtid.original_commit_ts == ev->u.gtid.immediate_commit_ts);
    assert_true(ev->u.gtid.immediate_commit_ts > 1700000000000000ULL);
    f->body.data[1] = 0xf0; /* message size beyond the event */
    assert_int_equal(decode_err(f, EXT_EV_GTID_TAGGED, 0), REPL_ERR_CORRUPT);
    f->body.data[1] = 0x4c;
    f->body.len = 38; /* a consistent message size, cut inside the tag */
    assert_int_equal(decode_err(f, EXT_EV_GTID_TAGGED, 0), REPL_ERR_CORRUPT);
    /* a field this decoder does not know: ignorable after the last non-ignorable id only */
    repl_buf_clear(&f->body);
    repl_buf_put(&f->body, tagged_body, sizeof(tagged_body));
    repl_buf_put_u8(&f->body, 15 << 1);
    repl_buf_put_u8(&f->body, 2);
    f->body.data[1] = (uint8_t)(f->body.len << 1);
    ev = decode_ok(f, EXT_EV_GTID_TAGGED, 0);
    assert_int_equal(ev->u.gtid.gno, 3);
    f->body.data[2] = 20 << 1; /* last non-ignorable field 20 */
    assert_int_equal(decode_err(f, EXT_EV_GTID_TAGGED, 0), REPL_ERR_CORRUPT);
    assert_non_null(strstr(f->err.msg, "unknown field 15"));
}

static void put_interval_set(repl_buf *b, uint64_t start, uint64_t end)
{
    repl_buf_put_u64le(b, 1);
    repl_buf_put_u64le(b, start);
    repl_buf_put_u64le(b, end);
}

static void events__previous_gtids(void **state)
{
    fixture *f = *state;
    const ext_event *ev;
    repl_buf_clear(&f->body);
    repl_buf_put_u64le(&f->body, 1);
    repl_buf_put(&f->body, sid, 16);
    repl_buf_put_u64le(&f->body, 2);
    repl_buf_put_u64le(&f->body, 1);
    repl_buf_put_u64le(&f->body, 6);
    repl_buf_put_u64le(&f->body, 9);
    repl_buf_put_u64le(&f->body, 10);
    ev = decode_ok(f, EXT_EV_PREVIOUS_GTIDS, 0);
    assert_string_equal(ev->u.prev_gtids.text, "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:9");
    /* MySQL 8.3+ tagged format: the same uuid untagged then tagged */
    repl_buf_clear(&f->body);
    repl_buf_put_u64le(&f->body, (1ULL << 56) | (2u << 8) | 1);
    repl_buf_put(&f->body, sid, 16);
    repl_buf_put_u8(&f->body, 0);
    put_interval_set(&f->body, 1, 14);
    repl_buf_put(&f->body, sid, 16);
    repl_buf_put_u8(&f->body, 10);
    repl_buf_put(&f->body, "mytag", 5);
    put_interval_set(&f->body, 1, 3);
    ev = decode_ok(f, EXT_EV_PREVIOUS_GTIDS, 0);
    assert_string_equal(ev->u.prev_gtids.text,
                        "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-13:mytag:1-2");
    f->body.len -= 8;
    assert_int_equal(decode_err(f, EXT_EV_PREVIOUS_GTIDS, 0), REPL_ERR_CORRUPT);
    f->body.data[7] = 2; /* an unknown GTID format */
    assert_int_equal(decode_err(f, EXT_EV_PREVIOUS_GTIDS, 0), REPL_ERR_CORRUPT);
}

static void events__group_replication_headers(void **state)
{
    fixture *f = *state;
    const ext_event *ev;
    char view[40] = "1695000000:1";
    repl_buf_clear(&f->body);
    repl_buf_put_u8(&f->body, 36);
    repl_buf_put_u32le(&f->body, 88);
    repl_buf_put_u8(&f->body, 1);
    repl_buf_put_u32le(&f->body, 0);
    repl_buf_put_u32le(&f->body, 2);
    repl_buf_put_u32le(&f->body, 0);
    repl_buf_put(&f->body, "3e11fa47-71ca-11e1-9e33-c80aa9429562", 36);
    ev = decode_ok(f, EXT_EV_TRANSACTION_CONTEXT, 0);
    assert_string_equal(ev->u.trx_context.server_uuid, "3e11fa47-71ca-11e1-9e33-c80aa9429562");
    assert_int_equal(ev->u.trx_context.thread_id, 88);
    assert_int_equal(ev->u.trx_context.write_set_len, 2);
    repl_buf_clear(&f->body);
    repl_buf_put(&f->body, view, 40);
    repl_buf_put_u64le(&f->body, 1234);
    repl_buf_put_u32le(&f->body, 0);
    ev = decode_ok(f, EXT_EV_VIEW_CHANGE, 0);
    assert_string_equal(ev->u.view_change.view_id, "1695000000:1");
    assert_int_equal(ev->u.view_change.seq_number, 1234);
    f->body.len = 30;
    assert_int_equal(decode_err(f, EXT_EV_VIEW_CHANGE, 0), REPL_ERR_CORRUPT);
}

/* ---- refused formats --------------------------------------------------------------------------
 */

static void events__refused_formats(void **state)
{
    fixture *f = *state;
    static const int types[] = { EXT_EV_START_V3,
                                 EXT_EV_LOAD,
                                 EXT_EV_CREATE_FILE,
                                 EXT_EV_EXEC_LOAD,
                                 EXT_EV_NEW_LOAD,
                                 EXT_EV_PRE_GA_WRITE_ROWS,
                                 EXT_EV_PRE_GA_UPDATE_ROWS,
                                 EXT_EV_PRE_GA_DELETE_ROWS,
                                 EXT_EV_MARIA_START_ENCRYPTION,
                                 EXT_EV_MARIA_PARTIAL_ROW_DATA };
    repl_buf_clear(&f->body);
    repl_buf_put(&f->body, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11",
                 17);
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        assert_int_equal(decode_err(f, types[i], 0), REPL_ERR_INVALID);
        assert_non_null(strstr(f->err.msg, ext_event_type_name(types[i])));
    }
    assert_int_equal(decode_err(f, EXT_EV_MARIA_START_ENCRYPTION, 0), REPL_ERR_INVALID);
    assert_non_null(strstr(f->err.msg, "encrypted binlog: cannot decode without key"));
    assert_int_equal(decode_err(f, EXT_EV_PRE_GA_WRITE_ROWS, 0), REPL_ERR_INVALID);
    assert_non_null(strstr(f->err.msg, "pre-GA"));
}

static void events__type_names(void **state)
{
    (void)state;
    assert_string_equal(ext_event_type_name(EXT_EV_QUERY), "QUERY_EVENT");
    assert_string_equal(ext_event_type_name(EXT_EV_GTID_TAGGED), "GTID_TAGGED_LOG_EVENT");
    assert_string_equal(ext_event_type_name(EXT_EV_MARIA_GTID), "GTID_EVENT");
    assert_string_equal(ext_event_type_name(EXT_EV_MARIA_PARTIAL_ROW_DATA),
                        "PARTIAL_ROW_DATA_EVENT");
    assert_string_equal(ext_event_type_name(99), "UNKNOWN_EVENT");
    assert_string_equal(ext_event_type_name(200), "UNKNOWN_EVENT");
    assert_int_equal(ext_event_rows_plain_type(EXT_EV_MARIA_UPDATE_ROWS_COMPRESSED_V1),
                     EXT_EV_UPDATE_ROWS_V1);
    assert_int_equal(ext_event_rows_plain_type(EXT_EV_MARIA_DELETE_ROWS_COMPRESSED),
                     EXT_EV_DELETE_ROWS_V2);
    assert_true(ext_event_type_is_rows(EXT_EV_PARTIAL_UPDATE_ROWS));
    assert_false(ext_event_type_is_rows(EXT_EV_TABLE_MAP));
}

/* ---- TABLE_MAP and rows ------------------------------------------------------------------------
 */

/* `db`.`t` (a INT, b VARCHAR(20)) with column names (binlog_row_metadata=FULL) */
static void table_map_body(repl_buf *b, uint64_t table_id)
{
    repl_buf_clear(b);
    for (int i = 0; i < 6; i++)
        repl_buf_put_u8(b, (uint8_t)(table_id >> (8 * i)));
    repl_buf_put_u16le(b, 1);
    put_str8(b, "db");
    repl_buf_put_u8(b, 0);
    put_str8(b, "t");
    repl_buf_put_u8(b, 0);
    repl_buf_put_u8(b, 2);
    repl_buf_put_u8(b, EXT_COL_LONG);
    repl_buf_put_u8(b, EXT_COL_VARCHAR);
    repl_buf_put_u8(b, 2); /* metadata: VARCHAR max length 20 */
    repl_buf_put_u16le(b, 20);
    repl_buf_put_u8(b, 0x02); /* b nullable */
    repl_buf_put_u8(b, 4);    /* COLUMN_NAME */
    repl_buf_put_u8(b, 4);
    put_str8(b, "a");
    put_str8(b, "b");
}

/* one row (a, b) per value pair; b NULL when NULL */
static void write_rows_prefix(repl_buf *b, uint64_t table_id, uint16_t flags)
{
    repl_buf_clear(b);
    for (int i = 0; i < 6; i++)
        repl_buf_put_u8(b, (uint8_t)(table_id >> (8 * i)));
    repl_buf_put_u16le(b, flags);
    repl_buf_put_u8(b, 2);
    repl_buf_put_u8(b, 0x03);
}

static void put_row(repl_buf *b, int32_t a, const char *s)
{
    repl_buf_put_u8(b, s ? 0x00 : 0x02);
    repl_buf_put_u32le(b, (uint32_t)a);
    if (s)
        put_str8(b, s);
}

static void check_rows(fixture *f, const ext_event *ev)
{
    thl_event *tev = thl_event_new();
    thl_rows *rows = NULL;
    if (ext_decoder_rows(f->dec, ev, tev, &rows, &f->err) != REPL_OK)
        fail_msg("rows: %s", f->err.msg);
    assert_string_equal(rows->schema, "db");
    assert_string_equal(rows->table, "t");
    assert_int_equal(rows->nrows, 2);
    assert_string_equal(rows->cols[1].name, "b");
    assert_int_equal(rows->rows[0].after[0].kind, THL_VAL_INT);
    assert_int_equal(rows->rows[0].after[0].v.i, -5);
    assert_int_equal(rows->rows[0].after[1].v.bytes.len, 3);
    assert_memory_equal(rows->rows[0].after[1].v.bytes.ptr, "abc", 3);
    assert_int_equal(rows->rows[1].after[0].v.i, 7);
    assert_int_equal(rows->rows[1].after[1].kind, THL_VAL_NULL);
    thl_event_free(tev);
}

static void events__table_map_and_rows(void **state)
{
    fixture *f = *state;
    const ext_event *ev;
    table_map_body(&f->body, 70);
    ev = decode_ok(f, EXT_EV_TABLE_MAP, 0);
    assert_int_equal(ev->u.table_map.table_id, 70);
    assert_non_null(ev->u.table_map.map);
    assert_int_equal(ext_decoder_table_count(f->dec), 1);
    write_rows_prefix(&f->body, 70, EXT_ROWS_STMT_END_F);
    put_row(&f->body, -5, "abc");
    put_row(&f->body, 7, NULL);
    ev = decode_ok(f, EXT_EV_WRITE_ROWS_V1, 0);
    assert_int_equal(ev->u.rows.plain_type, EXT_EV_WRITE_ROWS_V1);
    assert_int_equal(ev->u.rows.table_id, 70);
    assert_int_equal(ev->u.rows.flags, EXT_ROWS_STMT_END_F);
    assert_int_equal(ev->u.rows.action, THL_ROW_INSERT);
    assert_ptr_not_equal(ev->u.rows.map, NULL);
    check_rows(f, ev);
    /* STMT_END_F: the next event no longer sees table 70 */
    assert_int_equal(decode_err(f, EXT_EV_WRITE_ROWS_V1, 0), REPL_ERR_CORRUPT);
    assert_non_null(strstr(f->err.msg, "table_id 70"));
    assert_int_equal(ext_decoder_table_count(f->dec), 0);
}

static void events__compressed_rows(void **state)
{
    fixture *f = *state;
    repl_buf rows;
    const ext_event *ev;
    repl_buf_init(&rows);
    table_map_body(&f->body, 71);
    decode_ok(f, EXT_EV_TABLE_MAP, 0);
    put_row(&rows, -5, "abc");
    put_row(&rows, 7, NULL);
    write_rows_prefix(&f->body, 71, EXT_ROWS_STMT_END_F);
    put_compressed(&f->body, rows.data, rows.len);
    ev = decode_ok(f, EXT_EV_MARIA_WRITE_ROWS_COMPRESSED_V1, 0);
    assert_true(ev->u.rows.compressed);
    assert_int_equal(ev->u.rows.plain_type, EXT_EV_WRITE_ROWS_V1);
    check_rows(f, ev);
    /* a damaged compressed block */
    table_map_body(&f->body, 71);
    decode_ok(f, EXT_EV_TABLE_MAP, 0);
    write_rows_prefix(&f->body, 71, EXT_ROWS_STMT_END_F);
    put_compressed(&f->body, rows.data, rows.len);
    f->body.data[10] = 0x97; /* algorithm 1 */
    assert_int_equal(decode_err(f, EXT_EV_MARIA_WRITE_ROWS_COMPRESSED_V1, 0), REPL_ERR_CORRUPT);
    assert_non_null(strstr(f->err.msg, "compression header"));
    /* an uncompressed length beyond any event */
    table_map_body(&f->body, 71);
    decode_ok(f, EXT_EV_TABLE_MAP, 0);
    write_rows_prefix(&f->body, 71, EXT_ROWS_STMT_END_F);
    repl_buf_put(&f->body, "\x84\xff\xff\xff\xff\x00", 6);
    assert_int_equal(decode_err(f, EXT_EV_MARIA_WRITE_ROWS_COMPRESSED_V1, 0), REPL_ERR_CORRUPT);
    assert_non_null(strstr(f->err.msg, "too large"));
    /* v2 extra data shorter than its own length field */
    repl_buf_clear(&f->body);
    repl_buf_put(&f->body, "\x47\0\0\0\0\0\x01\0\x01\0\x02\x03", 12);
    assert_int_equal(decode_err(f, EXT_EV_MARIA_WRITE_ROWS_COMPRESSED, 0), REPL_ERR_CORRUPT);
    assert_non_null(strstr(f->err.msg, "extra data"));
    /* a column count without its bitmap */
    write_rows_prefix(&f->body, 71, EXT_ROWS_STMT_END_F);
    f->body.data[8] = 200;
    f->body.len = 9;
    assert_int_equal(decode_err(f, EXT_EV_MARIA_UPDATE_ROWS_COMPRESSED_V1, 0), REPL_ERR_CORRUPT);
    repl_buf_dispose(&rows);
}

static void events__table_cache_lifetime(void **state)
{
    fixture *f = *state;
    const ext_event *ev;
    table_map_body(&f->body, 72);
    decode_ok(f, EXT_EV_TABLE_MAP, 0);
    table_map_body(&f->body, 73);
    decode_ok(f, EXT_EV_TABLE_MAP, 0);
    table_map_body(&f->body, 72); /* the same id again replaces the map */
    decode_ok(f, EXT_EV_TABLE_MAP, 0);
    assert_int_equal(ext_decoder_table_count(f->dec), 2);
    write_rows_prefix(&f->body, 72, 0); /* no STMT_END_F: the maps stay */
    put_row(&f->body, -5, "abc");
    put_row(&f->body, 7, NULL);
    ev = decode_ok(f, EXT_EV_WRITE_ROWS_V1, 0);
    check_rows(f, ev);
    assert_int_equal(ext_decoder_table_count(f->dec), 2);
    repl_buf_clear(&f->body);
    repl_buf_put_u64le(&f->body, 4);
    repl_buf_put(&f->body, "next.000002", 11);
    decode_ok(f, EXT_EV_ROTATE, 0);
    assert_int_equal(ext_decoder_table_count(f->dec), 0);
    /* a table-less end-of-statement marker of old servers */
    write_rows_prefix(&f->body, 0xffffff, EXT_ROWS_STMT_END_F);
    f->body.data[8] = 0;
    f->body.len = 9;
    ev = decode_ok(f, EXT_EV_WRITE_ROWS_V1, 0);
    assert_true(ev->u.rows.dummy);
}

static void events__rows_truncated(void **state)
{
    fixture *f = *state;
    repl_buf_clear(&f->body);
    repl_buf_put(&f->body, "\x46\0\0", 3); /* post-header cut */
    assert_int_equal(decode_err(f, EXT_EV_WRITE_ROWS_V1, 0), REPL_ERR_CORRUPT);
    assert_non_null(strstr(f->err.msg, "WRITE_ROWS_EVENT_V1 (type 23)"));
}

static void events__rows_decode_needs_a_rows_event(void **state)
{
    fixture *f = *state;
    thl_event *tev = thl_event_new();
    thl_rows *rows = NULL;
    const ext_event *ev;
    repl_buf_clear(&f->body);
    repl_buf_put_u64le(&f->body, 1);
    ev = decode_ok(f, EXT_EV_XID, 0);
    assert_int_equal(ext_decoder_rows(f->dec, ev, tev, &rows, &f->err), REPL_ERR_INVALID);
    assert_null(rows);
    thl_event_free(tev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(events__fde_mariadb, setup_mariadb, teardown),
        cmocka_unit_test_setup_teardown(events__fde_old_mysql_has_no_checksum, setup_mariadb,
                                        teardown),
        cmocka_unit_test_setup_teardown(events__fde_in_use_flag_not_in_crc, setup_mariadb,
                                        teardown),
        cmocka_unit_test_setup_teardown(events__fde_checksum_off_keeps_crc_room, setup_mariadb,
                                        teardown),
        cmocka_unit_test_setup_teardown(events__fde_bad_version_refused, setup_mariadb, teardown),
        cmocka_unit_test_setup_teardown(events__fde_malformed, setup_mariadb, teardown),
        cmocka_unit_test_setup_teardown(events__fde_drop_tree_renumbers_types, setup_mariadb,
                                        teardown),
        cmocka_unit_test_setup_teardown(events__query_every_status_var, setup_mariadb, teardown),
        cmocka_unit_test_setup_teardown(events__query_too_many_dbs, setup_mysql, teardown),
        cmocka_unit_test_setup_teardown(events__query_unknown_status_var_is_an_error, setup_mariadb,
                                        teardown),
        cmocka_unit_test_setup_teardown(events__query_truncated_status_var, setup_mariadb,
                                        teardown),
        cmocka_unit_test_setup_teardown(events__query_bad_lengths, setup_mariadb, teardown),
        cmocka_unit_test_setup_teardown(events__query_compressed, setup_mariadb, teardown),
        cmocka_unit_test_setup_teardown(events__execute_load_query, setup_mariadb, teardown),
        cmocka_unit_test_setup_teardown(events__intvar_rand_xid, setup_mariadb, teardown),
        cmocka_unit_test_setup_teardown(events__user_var_every_type, setup_mariadb, teardown),
        cmocka_unit_test_setup_teardown(events__user_var_null_and_errors, setup_mariadb, teardown),
        cmocka_unit_test_setup_teardown(events__rotate_stop_incident, setup_mysql, teardown),
        cmocka_unit_test_setup_teardown(events__heartbeats, setup_mysql, teardown),
        cmocka_unit_test_setup_teardown(events__annotate_rows_query_checkpoint, setup_mariadb,
                                        teardown),
        cmocka_unit_test_setup_teardown(events__xa_prepare, setup_mariadb, teardown),
        cmocka_unit_test_setup_teardown(events__load_blocks, setup_mariadb, teardown),
        cmocka_unit_test_setup_teardown(events__mariadb_gtid, setup_mariadb, teardown),
        cmocka_unit_test_setup_teardown(events__gtid_list, setup_mariadb, teardown),
        cmocka_unit_test_setup_teardown(events__mysql_gtid, setup_mysql, teardown),
        cmocka_unit_test_setup_teardown(events__gtid_tagged, setup_mysql, teardown),
        cmocka_unit_test_setup_teardown(events__previous_gtids, setup_mysql, teardown),
        cmocka_unit_test_setup_teardown(events__group_replication_headers, setup_mysql, teardown),
        cmocka_unit_test_setup_teardown(events__refused_formats, setup_mariadb, teardown),
        cmocka_unit_test(events__type_names),
        cmocka_unit_test_setup_teardown(events__table_map_and_rows, setup_mariadb, teardown),
        cmocka_unit_test_setup_teardown(events__compressed_rows, setup_mariadb, teardown),
        cmocka_unit_test_setup_teardown(events__table_cache_lifetime, setup_mariadb, teardown),
        cmocka_unit_test_setup_teardown(events__rows_truncated, setup_mariadb, teardown),
        cmocka_unit_test_setup_teardown(events__rows_decode_needs_a_rows_event, setup_mariadb,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
