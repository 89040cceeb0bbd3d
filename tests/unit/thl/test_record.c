/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/thl/test_record.c - the THL record codec: round trips of every value and item kind
 * (compressed and not), single-byte corruption at every position, truncation at every length,
 * hand-made payloads that break each rule of the grammar, encoder input checks, threads. */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zstd.h>

#include "replicator/base/crc32c.h"
#include "thl/record.h"

/* ---- building events ------------------------------------------------------------------------- */

static float float_bits(uint32_t bits)
{
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static double double_bits(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, 8);
    return d;
}

static void set_temporal(thl_value *v, thl_value_kind kind, int neg, unsigned y, unsigned mo,
                         unsigned d, unsigned h, unsigned mi, unsigned s, unsigned us)
{
    memset(v, 0, sizeof(*v));
    v->kind = (uint8_t)kind;
    v->v.t.neg = (uint8_t)neg;
    v->v.t.year = (uint16_t)y;
    v->v.t.month = (uint8_t)mo;
    v->v.t.day = (uint8_t)d;
    v->v.t.hour = h;
    v->v.t.minute = (uint8_t)mi;
    v->v.t.second = (uint8_t)s;
    v->v.t.usec = us;
}

static void set_str(thl_event *ev, thl_value *v, thl_value_kind kind, const char *s)
{
    thl_value_set_bytes(ev, v, kind, s, strlen(s));
}

static void set_session(thl_event *ev, thl_session *s)
{
    static const thl_value_kind kinds[] = { THL_VAL_NULL,   THL_VAL_INT,     THL_VAL_UINT,
                                            THL_VAL_DOUBLE, THL_VAL_DECIMAL, THL_VAL_STRING,
                                            THL_VAL_STRING };
    const uint32_t n = sizeof(kinds) / sizeof(kinds[0]);
    s->set = 0x1fff;
    s->sql_mode = UINT64_MAX;
    s->flags2 = THL_FLAGS2_NO_FOREIGN_KEY_CHK | THL_FLAGS2_NOT_AUTOCOMMIT;
    s->charset_client = 33;
    s->collation_connection = 224;
    s->collation_server = 65535;
    s->default_collation = 45;
    s->time_zone = thl_event_strdup(ev, "+02:00");
    s->timestamp_sec = -1;
    s->timestamp_usec = 999999;
    s->auto_increment_increment = 2;
    s->auto_increment_offset = 65535;
    s->insert_id = UINT64_MAX;
    s->last_insert_id = 42;
    s->rand_seed1 = 0x123456789abcdefULL;
    s->rand_seed2 = 1;
    s->lc_time_names = 7;
    s->pseudo_thread_id = UINT32_MAX;
    s->explicit_defaults_ts = 1;
    s->n_user_vars = n;
    s->user_vars = thl_event_alloc(ev, n * sizeof(thl_user_var));
    memset(s->user_vars, 0, n * sizeof(thl_user_var));
    for (uint32_t i = 0; i < n; i++) {
        char name[8] = { 'v', (char)('a' + i), 0 };
        s->user_vars[i].name = thl_event_strdup(ev, name);
        s->user_vars[i].charset = (uint16_t)(i * 11);
        s->user_vars[i].value.kind = (uint8_t)kinds[i];
    }
    s->user_vars[1].value.v.i = INT64_MIN;
    s->user_vars[2].value.v.u = UINT64_MAX;
    s->user_vars[3].value.v.d = double_bits(0x7ff8000000000abcULL);
    set_str(ev, &s->user_vars[4].value, THL_VAL_DECIMAL, "-12.3400");
    set_str(ev, &s->user_vars[5].value, THL_VAL_STRING, "h\xc3\xa9llo");
    set_str(ev, &s->user_vars[6].value, THL_VAL_STRING, "");
}

static void add_statements(thl_event *ev)
{
    static const char sql[] = "INSERT INTO t VALUES (@va, @vb)";
    thl_statement *st = thl_event_add_statement(ev);
    st->schema = thl_event_strdup(ev, "test");
    st->sql = thl_event_memdup(ev, sql, sizeof(sql) - 1);
    st->sql_len = sizeof(sql) - 1;
    st->error_code = 1062;
    set_session(ev, &st->session);
    st = thl_event_add_statement(ev); /* everything empty, nothing set */
    st = thl_event_add_statement(ev);
    st->session.set = THL_SESS_TIME_ZONE | THL_SESS_PSEUDO_THREAD;
    st->session.time_zone = thl_event_strdup(ev, "SYSTEM");
    st->session.pseudo_thread_id = 5;
    st->sql = thl_event_memdup(ev, "\0x\0", 3); /* statement bytes may hold NULs */
    st->sql_len = 3;
}

/* Columns of the all-types table: one per value kind, plus ENUM/SET member names. */
static void set_columns(thl_event *ev, thl_rows *r)
{
    static const char *const members[] = { "a", "b", "" };
    for (uint32_t i = 0; i < r->ncols; i++) {
        char name[16];
        thl_column *c = &r->cols[i];
        snprintf(name, sizeof(name), "c%u", i);
        c->name = thl_event_strdup(ev, name);
        c->type = (uint8_t)(240 + i);
        c->meta = (uint16_t)(i * 4099);
        c->length = UINT32_MAX - i;
        c->scale = (uint8_t)i;
        c->charset = (uint16_t)(i == 0 ? 63 : 65535);
        c->flags = (uint8_t)(i & 0x1f);
    }
    r->cols[9].n_members = 3;
    r->cols[9].members = thl_event_memdup(ev, members, sizeof(members));
    r->cols[10].n_members = 1;
    r->cols[10].members = thl_event_memdup(ev, members, sizeof(members[0]));
}

/* Row 0: maxima and special floats; row 1: minima, zero and empty values. */
static void fill_all_kinds(thl_event *ev, thl_value *img, int variant, size_t blob_len)
{
    uint8_t *blob = thl_event_alloc(ev, blob_len);
    for (size_t i = 0; i < blob_len; i++)
        blob[i] = (uint8_t)(variant ? (i * 2654435761u) >> 13 : i % 7);
    img[1].kind = THL_VAL_INT;
    img[1].v.i = variant ? INT64_MIN : INT64_MAX;
    img[2].kind = THL_VAL_UINT;
    img[2].v.u = variant ? 0 : UINT64_MAX;
    img[3].kind = THL_VAL_FLOAT;
    img[3].v.f = variant ? float_bits(0x80000000u) : float_bits(0x7fc01234u);
    img[4].kind = THL_VAL_DOUBLE;
    img[4].v.d = variant ? double_bits(0x8000000000000000ULL) : double_bits(0x7ff0000000000001ULL);
    set_str(ev, &img[5], THL_VAL_DECIMAL, variant ? "" : "-99999999999999999999.123456789");
    set_str(ev, &img[6], THL_VAL_STRING, variant ? "" : "it's \"q\"\n\\\x01");
    thl_value_set_bytes(ev, &img[7], THL_VAL_BYTES, blob, variant ? 0 : blob_len);
    img[8].kind = THL_VAL_BIT;
    img[8].v.u = variant ? 0 : 0xffffffffffffffffULL;
    img[9].kind = THL_VAL_ENUM;
    img[9].v.u = variant ? 0 : 3;
    img[10].kind = THL_VAL_SET;
    img[10].v.u = variant ? 0 : 1;
    set_temporal(&img[11], THL_VAL_DATE, 0, variant ? 0 : 9999, variant ? 0 : 12, variant ? 0 : 31,
                 0, 0, 0, 0);
    set_temporal(&img[12], THL_VAL_TIME, !variant, 0, 0, 0, variant ? 0 : 838, variant ? 0 : 59,
                 variant ? 0 : 59, variant ? 0 : 999999);
    set_temporal(&img[13], THL_VAL_DATETIME, 0, variant ? 0 : 9999, 12, 31, 23, 59, 59, 999999);
    img[14].kind = THL_VAL_TIMESTAMP;
    img[14].v.ts.sec = variant ? 0 : INT64_MIN;
    img[14].v.ts.usec = variant ? 0 : 999999;
    thl_value_set_bytes(ev, &img[15], THL_VAL_BYTES, blob, variant ? blob_len : 0);
}

static void add_rows(thl_event *ev, size_t blob_len)
{
    thl_rows *r = thl_event_add_rows(ev, "test", "all_types", THL_ROW_INSERT, 16);
    set_columns(ev, r);
    fill_all_kinds(ev, thl_rows_add_row(ev, r)->after, 0, blob_len);
    fill_all_kinds(ev, thl_rows_add_row(ev, r)->after, 1, blob_len);
    /* UPDATE with partial images: before {0,3,9}, after {1,2,9} of 10 columns */
    r = thl_event_add_rows(ev, "s2", "upd", THL_ROW_UPDATE, 10);
    memset(r->before_present, 0, 2);
    memset(r->after_present, 0, 2);
    thl_bit_set(r->before_present, 0, 1);
    thl_bit_set(r->before_present, 3, 1);
    thl_bit_set(r->before_present, 9, 1);
    thl_bit_set(r->after_present, 1, 1);
    thl_bit_set(r->after_present, 2, 1);
    thl_bit_set(r->after_present, 9, 1);
    for (int i = 0; i < 3; i++) {
        thl_row *row = thl_rows_add_row(ev, r);
        row->before[0].kind = THL_VAL_INT;
        row->before[0].v.i = i;
        row->before[9].kind = THL_VAL_UINT;
        row->before[9].v.u = (uint64_t)i << 40;
        set_str(ev, &row->after[1], THL_VAL_STRING, "new");
        row->after[2].kind = THL_VAL_INT;
        row->after[2].v.i = -i;
    }
    /* DELETE of 9 columns (a second bitmap byte), before {0,8} */
    r = thl_event_add_rows(ev, "s3", "del", THL_ROW_DELETE, 9);
    memset(r->before_present, 0, 2);
    thl_bit_set(r->before_present, 0, 1);
    thl_bit_set(r->before_present, 8, 1);
    for (int i = 0; i < 2; i++) {
        thl_row *row = thl_rows_add_row(ev, r);
        row->before[8].kind = THL_VAL_DATE;
        row->before[8].v.t.year = (uint16_t)(2000 + i);
    }
    /* rows with no present column at all, and an empty item */
    r = thl_event_add_rows(ev, "s4", "none", THL_ROW_DELETE, 3);
    memset(r->before_present, 0, 1);
    thl_rows_add_row(ev, r);
    thl_rows_add_row(ev, r);
    thl_event_add_rows(ev, "", "", THL_ROW_INSERT, 0);
}

static thl_event *full_event(size_t blob_len)
{
    thl_event *ev = thl_event_new();
    ev->seqno = 12;
    ev->fragno = 0;
    ev->flags = THL_EV_LAST_FRAG | THL_EV_DDL;
    ev->epoch = 7;
    ev->source_tstamp_us = 1700000000123456LL;
    ev->extract_tstamp_us = -5;
    thl_event_set_ids(ev, "db1:3306", "mysql-bin.000001:1234;0-1-77", "test");
    thl_event_set_meta(ev, "service", "alpha");
    thl_event_set_meta(ev, "dbms_type", "mariadb");
    thl_event_set_meta(ev, "empty", "");
    add_statements(ev);
    add_rows(ev, blob_len);
    return ev;
}

/* ---- comparing events ------------------------------------------------------------------------ */

static void assert_session_equal(const thl_session *a, const thl_session *b)
{
    assert_int_equal(a->set, b->set);
    if (a->set & THL_SESS_SQL_MODE)
        assert_true(a->sql_mode == b->sql_mode);
    if (a->set & THL_SESS_CHARSET) {
        assert_int_equal(a->charset_client, b->charset_client);
        assert_int_equal(a->collation_connection, b->collation_connection);
        assert_int_equal(a->collation_server, b->collation_server);
    }
    if (a->set & THL_SESS_TIME_ZONE)
        assert_string_equal(a->time_zone, b->time_zone);
    if (a->set & THL_SESS_TIMESTAMP) {
        assert_true(a->timestamp_sec == b->timestamp_sec);
        assert_int_equal(a->timestamp_usec, b->timestamp_usec);
    }
    if (a->set & THL_SESS_AUTO_INC) {
        assert_int_equal(a->auto_increment_increment, b->auto_increment_increment);
        assert_int_equal(a->auto_increment_offset, b->auto_increment_offset);
    }
    if (a->set & THL_SESS_FLAGS2)
        assert_int_equal(a->flags2, b->flags2);
    if (a->set & THL_SESS_INSERT_ID)
        assert_true(a->insert_id == b->insert_id);
    if (a->set & THL_SESS_LAST_INSERT_ID)
        assert_true(a->last_insert_id == b->last_insert_id);
    if (a->set & THL_SESS_RAND)
        assert_true(a->rand_seed1 == b->rand_seed1 && a->rand_seed2 == b->rand_seed2);
    if (a->set & THL_SESS_LC_TIME_NAMES)
        assert_int_equal(a->lc_time_names, b->lc_time_names);
    if (a->set & THL_SESS_DEFAULT_COLL)
        assert_int_equal(a->default_collation, b->default_collation);
    if (a->set & THL_SESS_PSEUDO_THREAD)
        assert_int_equal(a->pseudo_thread_id, b->pseudo_thread_id);
    if (a->set & THL_SESS_EXPLICIT_TS)
        assert_int_equal(a->explicit_defaults_ts, b->explicit_defaults_ts);
    assert_int_equal(a->n_user_vars, b->n_user_vars);
    for (uint32_t i = 0; i < a->n_user_vars; i++) {
        assert_string_equal(a->user_vars[i].name, b->user_vars[i].name);
        assert_int_equal(a->user_vars[i].charset, b->user_vars[i].charset);
        assert_true(thl_value_equal(&a->user_vars[i].value, &b->user_vars[i].value));
    }
}

static void assert_statement_equal(const thl_statement *a, const thl_statement *b)
{
    assert_string_equal(a->schema, b->schema);
    assert_int_equal(a->sql_len, b->sql_len);
    if (a->sql_len > 0)
        assert_memory_equal(a->sql, b->sql, a->sql_len);
    assert_int_equal(a->error_code, b->error_code);
    assert_session_equal(&a->session, &b->session);
}

static void assert_column_equal(const thl_column *a, const thl_column *b)
{
    assert_string_equal(a->name, b->name);
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->meta, b->meta);
    assert_int_equal(a->length, b->length);
    assert_int_equal(a->scale, b->scale);
    assert_int_equal(a->charset, b->charset);
    assert_int_equal(a->flags, b->flags);
    assert_int_equal(a->n_members, b->n_members);
    for (uint32_t i = 0; i < a->n_members; i++)
        assert_string_equal(a->members[i], b->members[i]);
}

/* Present values equal; absent ones decode as NULL. */
static void assert_image_equal(const thl_rows *r, const uint8_t *bm, const thl_value *a,
                               const thl_value *b)
{
    if (bm == NULL) {
        assert_null(b);
        return;
    }
    assert_non_null(b);
    for (uint32_t i = 0; i < r->ncols; i++) {
        if (thl_bit_get(bm, i))
            assert_true(thl_value_equal(&a[i], &b[i]));
        else
            assert_int_equal(b[i].kind, THL_VAL_NULL);
    }
}

static void assert_rows_equal(const thl_rows *a, const thl_rows *b)
{
    const size_t nbytes = (a->ncols + 7) / 8;
    assert_string_equal(a->schema, b->schema);
    assert_string_equal(a->table, b->table);
    assert_int_equal(a->action, b->action);
    assert_int_equal(a->ncols, b->ncols);
    for (uint32_t i = 0; i < a->ncols; i++)
        assert_column_equal(&a->cols[i], &b->cols[i]);
    assert_int_equal(a->before_present == NULL, b->before_present == NULL);
    assert_int_equal(a->after_present == NULL, b->after_present == NULL);
    if (a->before_present != NULL && nbytes > 0)
        assert_memory_equal(a->before_present, b->before_present, nbytes);
    if (a->after_present != NULL && nbytes > 0)
        assert_memory_equal(a->after_present, b->after_present, nbytes);
    assert_int_equal(a->nrows, b->nrows);
    for (uint32_t i = 0; i < a->nrows; i++) {
        assert_image_equal(b, b->before_present, a->rows[i].before, b->rows[i].before);
        assert_image_equal(b, b->after_present, a->rows[i].after, b->rows[i].after);
    }
}

static void assert_event_equal(const thl_event *a, const thl_event *b)
{
    assert_true(a->seqno == b->seqno);
    assert_int_equal(a->fragno, b->fragno);
    assert_int_equal(a->flags, b->flags);
    assert_true(a->epoch == b->epoch);
    assert_true(a->source_tstamp_us == b->source_tstamp_us);
    assert_true(a->extract_tstamp_us == b->extract_tstamp_us);
    assert_string_equal(a->source_id, b->source_id);
    assert_string_equal(a->event_id, b->event_id);
    assert_string_equal(a->shard_id, b->shard_id);
    assert_int_equal(a->n_meta, b->n_meta);
    for (uint32_t i = 0; i < a->n_meta; i++) {
        assert_string_equal(a->meta[i].key, b->meta[i].key);
        assert_string_equal(a->meta[i].value, b->meta[i].value);
    }
    assert_int_equal(a->n_items, b->n_items);
    for (uint32_t i = 0; i < a->n_items; i++) {
        assert_int_equal(a->items[i].kind, b->items[i].kind);
        if (a->items[i].kind == THL_ITEM_STATEMENT)
            assert_statement_equal(&a->items[i].u.stmt, &b->items[i].u.stmt);
        else
            assert_rows_equal(&a->items[i].u.rows, &b->items[i].u.rows);
    }
}

/* ---- helpers --------------------------------------------------------------------------------- */

static void encode(repl_buf *out, const thl_event *ev, size_t compress_min)
{
    thl_codec_options opts;
    repl_error err;
    thl_codec_options_init(&opts);
    opts.compress_min_bytes = compress_min;
    repl_buf_init(out);
    assert_int_equal(thl_record_encode(out, ev, &opts, &err), REPL_OK);
}

static void round_trip(const thl_event *ev, size_t compress_min, int want_codec)
{
    repl_buf rec;
    thl_record_header h;
    thl_event *back = NULL;
    repl_error err;
    encode(&rec, ev, compress_min);
    assert_int_equal(thl_record_parse_header(&h, rec.data, rec.len, &err), REPL_OK);
    assert_int_equal(h.codec, want_codec);
    assert_int_equal(h.version, THL_RECORD_VERSION);
    assert_true(h.seqno == ev->seqno);
    assert_int_equal(h.fragno, ev->fragno);
    assert_int_equal(h.flags, ev->flags);
    assert_int_equal(h.shard_len, strlen(ev->shard_id));
    assert_memory_equal(h.shard_id, ev->shard_id, h.shard_len);
    assert_int_equal(h.event_id_len, strlen(ev->event_id));
    assert_memory_equal(h.event_id, ev->event_id, h.event_id_len);
    assert_int_equal(h.header_len + h.payload_len + 4, rec.len);
    if (want_codec == THL_CODEC_ZSTD)
        assert_true(h.payload_len < h.raw_len);
    else
        assert_int_equal(h.payload_len, h.raw_len);
    assert_int_equal(thl_record_decode(&back, rec.data, rec.len, &err), REPL_OK);
    assert_event_equal(ev, back);
    thl_event_free(back);
    repl_buf_dispose(&rec);
}

static void expect_corrupt(const uint8_t *rec, size_t len, const char *needle)
{
    thl_event *ev = (thl_event *)1;
    repl_error err;
    repl_error_clear(&err);
    assert_int_equal(thl_record_decode(&ev, rec, len, &err), REPL_ERR_CORRUPT);
    assert_null(ev);
    assert_int_equal(err.code, REPL_ERR_CORRUPT);
    if (needle != NULL && strstr(err.msg, needle) == NULL)
        fail_msg("error '%s' does not contain '%s'", err.msg, needle);
}

/* ---- round trips ----------------------------------------------------------------------------- */

static void record__round_trip_uncompressed(void **state)
{
    thl_event *ev = full_event(40);
    (void)state;
    round_trip(ev, 0, THL_CODEC_NONE);
    thl_event_free(ev);
}

static void record__round_trip_compressed(void **state)
{
    thl_event *ev = full_event(4000);
    (void)state;
    round_trip(ev, 1, THL_CODEC_ZSTD);
    thl_event_free(ev);
}

static void record__round_trip_1mb_blobs(void **state)
{
    thl_event *ev = full_event(1024 * 1024);
    (void)state;
    round_trip(ev, 0, THL_CODEC_NONE);
    round_trip(ev, 512, THL_CODEC_ZSTD);
    thl_event_free(ev);
}

static void record__empty_event_round_trips(void **state)
{
    thl_event *ev = thl_event_new();
    (void)state;
    ev->flags = THL_EV_HEARTBEAT | THL_EV_LAST_FRAG;
    ev->seqno = UINT64_MAX;
    ev->fragno = UINT16_MAX;
    ev->epoch = UINT64_MAX;
    ev->source_tstamp_us = INT64_MIN;
    ev->extract_tstamp_us = INT64_MAX;
    round_trip(ev, 0, THL_CODEC_NONE);
    round_trip(ev, 1, THL_CODEC_NONE); /* too small to gain from zstd: stored raw */
    thl_event_free(ev);
}

static void record__incompressible_payload_is_stored_raw(void **state)
{
    thl_event *ev = thl_event_new();
    thl_statement *st = thl_event_add_statement(ev);
    uint8_t *sql = thl_event_alloc(ev, 4096);
    uint64_t x = 88172645463325252ULL;
    (void)state;
    for (int i = 0; i < 4096; i++) {
        x ^= x << 13; /* xorshift64: no pattern zstd could use */
        x ^= x >> 7;
        x ^= x << 17;
        sql[i] = (uint8_t)(x >> 32);
    }
    st->sql = sql;
    st->sql_len = 4096;
    round_trip(ev, 1, THL_CODEC_NONE);
    thl_event_free(ev);
}

static void record__compress_threshold_is_inclusive(void **state)
{
    thl_event *ev = full_event(4000);
    thl_record_header h;
    repl_buf rec;
    repl_error err;
    (void)state;
    encode(&rec, ev, 0);
    assert_int_equal(thl_record_parse_header(&h, rec.data, rec.len, &err), REPL_OK);
    repl_buf_dispose(&rec);
    round_trip(ev, h.raw_len, THL_CODEC_ZSTD);
    round_trip(ev, h.raw_len + 1, THL_CODEC_NONE);
    thl_event_free(ev);
}

static void record__default_options_when_null(void **state)
{
    thl_event *ev = full_event(4000);
    thl_codec_options opts;
    thl_record_header h;
    repl_buf rec;
    repl_error err;
    (void)state;
    thl_codec_options_init(&opts);
    assert_int_equal(opts.compress_min_bytes, 512);
    assert_int_equal(opts.zstd_level, 1);
    repl_buf_init(&rec);
    assert_int_equal(thl_record_encode(&rec, ev, NULL, &err), REPL_OK);
    assert_int_equal(thl_record_parse_header(&h, rec.data, rec.len, &err), REPL_OK);
    assert_int_equal(h.codec, THL_CODEC_ZSTD);
    repl_buf_dispose(&rec);
    thl_event_free(ev);
}

static void record__encode_appends(void **state)
{
    thl_event *ev = full_event(10);
    thl_event *back = NULL;
    repl_buf rec;
    repl_error err;
    size_t first;
    (void)state;
    encode(&rec, ev, 0);
    first = rec.len;
    ev->seqno = 13;
    assert_int_equal(thl_record_encode(&rec, ev, NULL, &err), REPL_OK);
    assert_int_equal(thl_record_decode(&back, rec.data + first, rec.len - first, &err), REPL_OK);
    assert_true(back->seqno == 13);
    thl_event_free(back);
    assert_int_equal(thl_record_decode(&back, rec.data, first, &err), REPL_OK);
    assert_true(back->seqno == 12);
    thl_event_free(back);
    repl_buf_dispose(&rec);
    thl_event_free(ev);
}

/* ---- corruption ------------------------------------------------------------------------------ */

static void flip_every_byte(const thl_event *ev, size_t compress_min, int want_codec)
{
    static const uint8_t masks[] = { 0x01, 0x80, 0xff, 0x5a };
    thl_record_header h;
    repl_buf rec;
    repl_error err;
    encode(&rec, ev, compress_min);
    assert_int_equal(thl_record_parse_header(&h, rec.data, rec.len, &err), REPL_OK);
    assert_int_equal(h.codec, want_codec);
    for (size_t pos = 0; pos < rec.len; pos++) {
        for (size_t m = 0; m < sizeof(masks); m++) {
            rec.data[pos] ^= masks[m];
            if (thl_record_parse_header(&h, rec.data, rec.len, &err) != REPL_ERR_CORRUPT)
                fail_msg("flip 0x%02x at %zu of %zu not detected", masks[m], pos, rec.len);
            expect_corrupt(rec.data, rec.len, NULL);
            rec.data[pos] ^= masks[m];
        }
    }
    repl_buf_dispose(&rec);
}

static void record__any_flipped_byte_is_corrupt(void **state)
{
    thl_event *ev = full_event(30);
    (void)state;
    flip_every_byte(ev, 0, THL_CODEC_NONE);
    thl_event_free(ev);
}

static void record__any_flipped_byte_is_corrupt_compressed(void **state)
{
    thl_event *ev = full_event(3000);
    (void)state;
    flip_every_byte(ev, 1, THL_CODEC_ZSTD);
    thl_event_free(ev);
}

static void record__every_truncation_is_corrupt(void **state)
{
    thl_event *ev = full_event(600);
    thl_record_header h;
    repl_buf rec;
    repl_error err;
    (void)state;
    for (int compressed = 0; compressed < 2; compressed++) {
        encode(&rec, ev, compressed ? 1 : 0);
        for (size_t len = 0; len < rec.len; len++) {
            assert_int_equal(thl_record_parse_header(&h, rec.data, len, &err), REPL_ERR_CORRUPT);
            expect_corrupt(rec.data, len, NULL);
        }
        repl_buf_dispose(&rec);
    }
    thl_event_free(ev);
}

static void record__bad_crc_message_names_seqno(void **state)
{
    thl_event *ev = full_event(10);
    repl_buf rec;
    (void)state;
    encode(&rec, ev, 0);
    rec.data[rec.len - 10] ^= 1;
    expect_corrupt(rec.data, rec.len, "thl: record seqno=12 fragno=0: CRC mismatch (stored 0x");
    repl_buf_dispose(&rec);
    thl_event_free(ev);
}

static void record__garbage_is_not_a_record(void **state)
{
    uint8_t junk[200];
    (void)state;
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (uint8_t)(i * 37 + 11);
    expect_corrupt(junk, sizeof(junk), "bad magic");
    expect_corrupt(junk, 3, "shorter than a header");
    expect_corrupt(NULL, 0, "shorter than a header");
}

/* ---- hand-made records: each rule of the grammar
 * -------------------------------------------------- */

typedef struct rec_spec {
    uint8_t version;
    uint8_t codec;
    uint16_t shard_len;   /* 0: use "s" */
    int64_t raw_len_diff; /* added to the true raw length */
    const char *event_id;
    uint16_t event_id_len;
    int dup_frame;          /* store the zstd frame twice */
    const repl_buf *stored; /* stored payload bytes made by the test (else from the payload) */
} rec_spec;

static const rec_spec spec_ok = { THL_RECORD_VERSION, THL_CODEC_NONE, 0, 0, "e", 1, 0, NULL };

/* Header + payload + CRC around a payload written by the test, with a valid CRC. */
static void wrap(repl_buf *out, const rec_spec *sp, const repl_buf *payload)
{
    repl_buf stored;
    const char *shard = "s";
    size_t shard_len = 1;
    char big[THL_ID_MAX + 2];
    repl_buf_init(&stored);
    if (sp->stored != NULL) {
        repl_buf_put(&stored, sp->stored->data, sp->stored->len);
    } else if (sp->codec == THL_CODEC_ZSTD) {
        repl_buf_reserve(&stored, ZSTD_compressBound(payload->len));
        stored.len = ZSTD_compress(stored.data, stored.cap, payload->data, payload->len, 1);
        assert_false(ZSTD_isError(stored.len));
        if (sp->dup_frame)
            repl_buf_put(&stored, stored.data, stored.len);
    } else {
        repl_buf_put(&stored, payload->data, payload->len);
    }
    if (sp->shard_len > 0) {
        memset(big, 'x', sizeof(big));
        shard = big;
        shard_len = sp->shard_len;
    }
    repl_buf_init(out);
    repl_buf_put(out, "THL", 3);
    repl_buf_put_u8(out, sp->version);
    repl_buf_put_u8(out, THL_EV_LAST_FRAG);
    repl_buf_put_u8(out, sp->codec);
    repl_buf_put_u16le(out, 0);
    repl_buf_put_u64le(out, 12);
    repl_buf_put_u64le(out, 1);
    repl_buf_put_u64le(out, 2);
    repl_buf_put_u64le(out, 3);
    repl_buf_put_u32le(out, (uint32_t)stored.len);
    repl_buf_put_u32le(out, (uint32_t)((int64_t)payload->len + sp->raw_len_diff));
    repl_buf_put_u16le(out, (uint16_t)shard_len);
    repl_buf_put_u16le(out, sp->event_id_len);
    repl_buf_put(out, shard, shard_len);
    repl_buf_put(out, sp->event_id, sp->event_id_len);
    repl_buf_put(out, stored.data, stored.len);
    repl_buf_put_u32le(out, repl_crc32c(0, out->data, out->len));
    repl_buf_dispose(&stored);
}

static void expect_payload(const repl_buf *payload, const rec_spec *sp, const char *needle)
{
    repl_buf rec;
    thl_event *ev = NULL;
    repl_error err;
    wrap(&rec, sp, payload);
    if (needle == NULL) {
        if (thl_record_decode(&ev, rec.data, rec.len, &err) != REPL_OK)
            fail_msg("decode failed: %s", err.msg);
        thl_event_free(ev);
    } else {
        expect_corrupt(rec.data, rec.len, needle);
    }
    repl_buf_dispose(&rec);
}

/* source_id "", no meta, n_items, then the item bytes the test appends. */
static void payload_start(repl_buf *p, uint64_t n_items)
{
    repl_buf_init(p);
    repl_buf_put_varint(p, 0);
    repl_buf_put_varint(p, 0);
    repl_buf_put_varint(p, n_items);
}

static void record__crafted_minimal_payload_decodes(void **state)
{
    repl_buf p;
    (void)state;
    payload_start(&p, 0);
    expect_payload(&p, &spec_ok, NULL);
    repl_buf_put_u8(&p, 0);
    expect_payload(&p, &spec_ok, "trailing bytes after the last item: 1");
    repl_buf_dispose(&p);
}

static void record__crafted_header_rules(void **state)
{
    repl_buf p;
    rec_spec sp;
    (void)state;
    payload_start(&p, 0);
    sp = spec_ok;
    sp.version = 2;
    expect_payload(&p, &sp, "seqno=12 fragno=0: unsupported format version 2");
    sp = spec_ok;
    sp.codec = 2;
    expect_payload(&p, &sp, "unknown payload codec 2");
    sp = spec_ok;
    sp.raw_len_diff = 1;
    expect_payload(&p, &sp, "raw payload of 4 bytes stored as 3");
    sp = spec_ok;
    sp.shard_len = THL_ID_MAX + 1;
    expect_payload(&p, &sp, "longer than THL_ID_MAX");
    sp = spec_ok;
    sp.shard_len = THL_ID_MAX;
    expect_payload(&p, &sp, NULL);
    sp = spec_ok;
    sp.event_id = "a\0b";
    sp.event_id_len = 3;
    expect_payload(&p, &sp, "NUL byte inside shard_id or event_id");
    repl_buf_dispose(&p);
    repl_buf_init(&p);
    repl_buf_put_u16le(&p, 0);
    expect_payload(&p, &spec_ok, "raw payload length 2 out of range");
    repl_buf_dispose(&p);
}

static void record__crafted_zstd_rules(void **state)
{
    repl_buf p;
    rec_spec sp = spec_ok;
    (void)state;
    repl_buf_init(&p);
    repl_buf_put_lenbytes(&p, "src", 3);
    repl_buf_put_varint(&p, 0);
    repl_buf_put_varint(&p, 0);
    sp.codec = THL_CODEC_ZSTD;
    expect_payload(&p, &sp, NULL);
    sp.raw_len_diff = 1;
    expect_payload(&p, &sp, "zstd frame does not match the header lengths");
    sp.raw_len_diff = -1;
    expect_payload(&p, &sp, "zstd frame does not match the header lengths");
    /* a valid frame followed by a second one: the lengths no longer agree */
    sp.raw_len_diff = 0;
    sp.dup_frame = 1;
    expect_payload(&p, &sp, "zstd frame does not match the header lengths");
    repl_buf_dispose(&p);
}

/* Size of a zstd frame header (RFC 8878 section 3.1.1.1), to find the first block header. */
static size_t zstd_frame_header_size(const uint8_t *f)
{
    static const size_t did_size[] = { 0, 1, 2, 4 };
    static const size_t fcs_size[] = { 0, 2, 4, 8 };
    const uint8_t fhd = f[4];
    const int single = (fhd >> 5) & 1;
    size_t fcs = fcs_size[fhd >> 6];
    if (fcs == 0 && single)
        fcs = 1;
    return 4 + 1 + (single ? 0 : 1) + did_size[fhd & 3] + fcs;
}

static void record__crafted_zstd_garbage_frame(void **state)
{
    repl_buf p;
    repl_buf rec;
    rec_spec sp = spec_ok;
    const size_t payload_at = 52 + 1 + 1;
    size_t fhs;
    (void)state;
    repl_buf_init(&p);
    for (int i = 0; i < 300; i++)
        repl_buf_put_u8(&p, (uint8_t)(i % 3)); /* not a valid payload, but compresses */
    sp.codec = THL_CODEC_ZSTD;
    wrap(&rec, &sp, &p);
    expect_corrupt(rec.data, rec.len, "seqno=12 fragno=0: payload");
    /* make the first block's type "reserved" and fix the CRC: zstd itself must refuse it */
    fhs = zstd_frame_header_size(rec.data + payload_at);
    rec.data[payload_at + fhs] |= 0x06;
    rec.len -= 4;
    repl_buf_put_u32le(&rec, repl_crc32c(0, rec.data, rec.len));
    expect_corrupt(rec.data, rec.len, "seqno=12 fragno=0: zstd");
    repl_buf_dispose(&rec);
    repl_buf_dispose(&p);
}

/* A well-formed frame whose only (raw) block is one byte shorter than its stated content size. */
static void record__crafted_zstd_short_block(void **state)
{
    static const uint8_t frame[] = { 0x28, 0xb5, 0x2f, 0xfd, 0x20, 10,  0x49, 0x00, 0x00,
                                     0,    0,    0,    'a',  'b',  'c', 'd',  'e',  'f' };
    repl_buf p;
    repl_buf stored;
    rec_spec sp = spec_ok;
    (void)state;
    repl_buf_init(&p);
    repl_buf_put(&p, frame, 10); /* stands for the 10 raw bytes the header announces */
    repl_buf_init(&stored);
    repl_buf_put(&stored, frame, sizeof(frame));
    sp.codec = THL_CODEC_ZSTD;
    sp.stored = &stored;
    expect_payload(&p, &sp, "seqno=12 fragno=0: zstd payload does not decompress to raw_len bytes");
    repl_buf_dispose(&stored);
    repl_buf_dispose(&p);
}

static void record__crafted_counts_bounded(void **state)
{
    repl_buf p;
    (void)state;
    repl_buf_init(&p);
    repl_buf_put_varint(&p, 0);
    repl_buf_put_varint(&p, 1000); /* meta pairs */
    repl_buf_put_varint(&p, 0);
    expect_payload(&p, &spec_ok, "count larger than the bytes left: 1000");
    repl_buf_dispose(&p);
    payload_start(&p, UINT64_MAX);
    expect_payload(&p, &spec_ok, "count larger than the bytes left");
    repl_buf_dispose(&p);
    repl_buf_init(&p); /* source_id longer than the payload */
    repl_buf_put_varint(&p, 100);
    repl_buf_put_varint(&p, 0);
    repl_buf_put_varint(&p, 0);
    expect_payload(&p, &spec_ok, "payload truncated or malformed at offset");
    repl_buf_dispose(&p);
}

static void record__crafted_overlong_varint(void **state)
{
    repl_buf p;
    (void)state;
    repl_buf_init(&p);
    for (int i = 0; i < 10; i++)
        repl_buf_put_u8(&p, 0x80);
    repl_buf_put_u8(&p, 0x00);
    repl_buf_put_varint(&p, 0);
    repl_buf_put_varint(&p, 0);
    expect_payload(&p, &spec_ok, "payload truncated or malformed at offset");
    repl_buf_dispose(&p);
}

static void record__crafted_item_and_value_kinds(void **state)
{
    repl_buf p;
    (void)state;
    payload_start(&p, 1);
    repl_buf_put_u8(&p, 3);
    expect_payload(&p, &spec_ok, "unknown item kind 3");
    repl_buf_dispose(&p);
    /* statement: schema "", sql "", error 0, session set 0, one user var of kind 15 */
    payload_start(&p, 1);
    repl_buf_put_u8(&p, THL_ITEM_STATEMENT);
    repl_buf_put_varint(&p, 0);
    repl_buf_put_varint(&p, 0);
    repl_buf_put_varint(&p, 0);
    repl_buf_put_varint(&p, 0);
    repl_buf_put_varint(&p, 1);
    repl_buf_put_lenbytes(&p, "v", 1);
    repl_buf_put_varint(&p, 0);
    repl_buf_put_u8(&p, 15);
    expect_payload(&p, &spec_ok, "unknown value kind 15");
    p.data[p.len - 1] = THL_VAL_TIME;
    repl_buf_put_u8(&p, 2);
    expect_payload(&p, &spec_ok, "TIME sign byte not 0 or 1: 2");
    repl_buf_dispose(&p);
}

static void statement_start(repl_buf *p, uint64_t error_code, uint64_t set)
{
    payload_start(p, 1);
    repl_buf_put_u8(p, THL_ITEM_STATEMENT);
    repl_buf_put_lenbytes(p, "db", 2);
    repl_buf_put_varint(p, 0);
    repl_buf_put_varint(p, error_code);
    repl_buf_put_varint(p, set);
}

static void record__crafted_statement_rules(void **state)
{
    repl_buf p;
    (void)state;
    statement_start(&p, 70000, 0);
    repl_buf_put_varint(&p, 0);
    expect_payload(&p, &spec_ok, "value out of range: 70000");
    repl_buf_dispose(&p);
    statement_start(&p, 0, 0x2000);
    repl_buf_put_varint(&p, 0);
    expect_payload(&p, &spec_ok, "unknown session flags 8192");
    repl_buf_dispose(&p);
    statement_start(&p, 0, THL_SESS_AUTO_INC);
    repl_buf_put_varint(&p, 65536);
    repl_buf_put_varint(&p, 1);
    repl_buf_put_varint(&p, 0);
    expect_payload(&p, &spec_ok, "value out of range: 65536");
    repl_buf_dispose(&p);
    statement_start(&p, 0, THL_SESS_TIME_ZONE);
    repl_buf_put_lenbytes(&p, "a\0b", 3);
    repl_buf_put_varint(&p, 0);
    expect_payload(&p, &spec_ok, "NUL byte inside a string of length 3");
    repl_buf_dispose(&p);
    statement_start(&p, 0, THL_SESS_TIME_ZONE);
    repl_buf_put_lenbytes(&p, "UTC", 3);
    repl_buf_put_varint(&p, 0);
    expect_payload(&p, &spec_ok, NULL);
    repl_buf_dispose(&p);
}

/* A rows item header: schema, table, action, ncols plain columns, then the caller's bitmaps. */
static void rows_start_flags(repl_buf *p, uint8_t action, uint8_t flags, uint32_t ncols)
{
    payload_start(p, 1);
    repl_buf_put_u8(p, THL_ITEM_ROWS);
    repl_buf_put_lenbytes(p, "s", 1);
    repl_buf_put_lenbytes(p, "t", 1);
    repl_buf_put_u8(p, action);
    repl_buf_put_u8(p, flags);
    repl_buf_put_varint(p, ncols);
    for (uint32_t i = 0; i < ncols; i++) {
        repl_buf_put_varint(p, 0); /* name "" */
        repl_buf_put_u8(p, 3);
        repl_buf_put_varint(p, 0);
        repl_buf_put_varint(p, 0);
        repl_buf_put_u8(p, 0);
        repl_buf_put_varint(p, 0);
        repl_buf_put_u8(p, 0);
        repl_buf_put_varint(p, 0); /* no members */
    }
}

static void rows_start(repl_buf *p, uint8_t action, uint32_t ncols)
{
    rows_start_flags(p, action, 0, ncols);
}

static void record__crafted_rows_rules(void **state)
{
    repl_buf p;
    (void)state;
    rows_start(&p, 4, 0);
    expect_payload(&p, &spec_ok, "unknown row action 4");
    repl_buf_dispose(&p);
    rows_start_flags(&p, THL_ROW_INSERT, 0x80, 0);
    expect_payload(&p, &spec_ok, "unknown rows flags 128");
    repl_buf_dispose(&p);
    rows_start(&p, THL_ROW_INSERT, 3);
    repl_buf_put_u8(&p, 0x09); /* bit 3 is padding for 3 columns */
    repl_buf_put_varint(&p, 0);
    expect_payload(&p, &spec_ok, "present bitmap has padding bits set, columns 3");
    repl_buf_dispose(&p);
    rows_start(&p, THL_ROW_DELETE, 3);
    repl_buf_put_u8(&p, 0x00);
    repl_buf_put_varint(&p, 2);
    repl_buf_put_u8(&p, 0);
    repl_buf_put_u8(&p, 7);
    expect_payload(&p, &spec_ok, "bad empty-row marker in row 1");
    p.data[p.len - 1] = 0;
    expect_payload(&p, &spec_ok, NULL);
    repl_buf_dispose(&p);
    rows_start(&p, THL_ROW_INSERT, 2);
    repl_buf_put_u8(&p, 0x03);
    repl_buf_put_varint(&p, 2); /* two rows of two values need at least 4 bytes */
    repl_buf_put_u8(&p, 0);
    repl_buf_put_u8(&p, 0);
    repl_buf_put_u8(&p, 0);
    expect_payload(&p, &spec_ok, "count larger than the bytes left: 2");
    repl_buf_dispose(&p);
}

static void record__crafted_huge_expansion_refused(void **state)
{
    repl_buf p;
    (void)state;
    /* 4096 columns, one present: each 1-byte row would expand to 128 KiB of values */
    rows_start(&p, THL_ROW_INSERT, 4096);
    repl_buf_put_u8(&p, 0x01);
    for (int i = 1; i < 512; i++)
        repl_buf_put_u8(&p, 0x00);
    repl_buf_put_varint(&p, 10000);
    for (int i = 0; i < 10000; i++)
        repl_buf_put_u8(&p, THL_VAL_NULL);
    expect_payload(&p, &spec_ok, "decoded rows larger than the limit, rows: 10000");
    repl_buf_dispose(&p);
}

/* ---- encoder input checks
 * ------------------------------------------------------------------------ */

static void expect_invalid(const thl_event *ev, const char *needle)
{
    repl_buf out;
    repl_error err;
    repl_buf_init(&out);
    repl_buf_put(&out, "xyz", 3);
    assert_int_equal(thl_record_encode(&out, ev, NULL, &err), REPL_ERR_INVALID);
    assert_int_equal(out.len, 3);
    if (strstr(err.msg, needle) == NULL)
        fail_msg("error '%s' does not contain '%s'", err.msg, needle);
    repl_buf_dispose(&out);
}

static void record__id_too_long_rejected(void **state)
{
    char id[THL_ID_MAX + 2];
    thl_event *ev = thl_event_new();
    repl_buf out;
    repl_error err;
    (void)state;
    memset(id, 'a', sizeof(id));
    id[THL_ID_MAX] = '\0';
    thl_event_set_ids(ev, "src", id, id);
    round_trip(ev, 0, THL_CODEC_NONE);
    id[THL_ID_MAX] = 'a';
    id[THL_ID_MAX + 1] = '\0';
    thl_event_set_ids(ev, "src", id, "s");
    expect_invalid(ev, "event_id of 1025 bytes (max 1024)");
    thl_event_set_ids(ev, "src", "e", id);
    expect_invalid(ev, "shard_id of 1025 bytes (max 1024)");
    repl_buf_init(&out);
    thl_event_set_ids(ev, NULL, NULL, NULL);
    assert_int_equal(thl_record_encode(&out, ev, NULL, &err), REPL_OK);
    repl_buf_dispose(&out);
    thl_event_free(ev);
}

static void record__invalid_event_rejected(void **state)
{
    thl_event *ev = thl_event_new();
    thl_statement *st = thl_event_add_statement(ev);
    thl_rows *r;
    (void)state;
    st->session.set = 0x4000;
    expect_invalid(ev, "unknown session flags 16384");
    st->session.set = 0;
    st->session.n_user_vars = 1;
    st->session.user_vars = thl_event_alloc(ev, sizeof(thl_user_var));
    memset(st->session.user_vars, 0, sizeof(thl_user_var));
    st->session.user_vars[0].value.kind = 99;
    expect_invalid(ev, "unknown value kind 99");
    st->session.n_user_vars = 0;
    r = thl_event_add_rows(ev, "s", "t", THL_ROW_INSERT, 1);
    r->cols[0].n_members = 2;
    expect_invalid(ev, "column without its ENUM/SET member names");
    r->cols[0].n_members = 0;
    thl_rows_add_row(ev, r)->after = NULL;
    expect_invalid(ev, "row image missing for action 1");
    r->action = 0;
    expect_invalid(ev, "unknown row action 0");
    r->action = THL_ROW_INSERT;
    ev->items[0].kind = 7;
    expect_invalid(ev, "unknown item kind 7");
    thl_event_free(ev);
}

/* ---- threads
 * ------------------------------------------------------------------------------------- */

static void *thread_round_trips(void *arg)
{
    thl_event *ev = full_event((size_t)(uintptr_t)arg);
    repl_buf rec;
    repl_error err;
    int ok = 1;
    repl_buf_init(&rec);
    for (int i = 0; i < 200 && ok; i++) {
        thl_event *back = NULL;
        repl_buf_clear(&rec);
        ev->seqno = (uint64_t)i;
        ok = thl_record_encode(&rec, ev, NULL, &err) == REPL_OK &&
             thl_record_decode(&back, rec.data, rec.len, &err) == REPL_OK &&
             back->seqno == ev->seqno;
        thl_event_free(back);
    }
    repl_buf_dispose(&rec);
    thl_event_free(ev);
    return ok ? arg : NULL;
}

static void record__threads_use_own_contexts(void **state)
{
    pthread_t th[3];
    void *res;
    (void)state;
    for (uintptr_t i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&th[i], NULL, thread_round_trips, (void *)(i * 3000 + 1)),
                         0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pthread_join(th[i], &res), 0);
        assert_non_null(res);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(record__round_trip_uncompressed),
        cmocka_unit_test(record__round_trip_compressed),
        cmocka_unit_test(record__round_trip_1mb_blobs),
        cmocka_unit_test(record__empty_event_round_trips),
        cmocka_unit_test(record__incompressible_payload_is_stored_raw),
        cmocka_unit_test(record__compress_threshold_is_inclusive),
        cmocka_unit_test(record__default_options_when_null),
        cmocka_unit_test(record__encode_appends),
        cmocka_unit_test(record__any_flipped_byte_is_corrupt),
        cmocka_unit_test(record__any_flipped_byte_is_corrupt_compressed),
        cmocka_unit_test(record__every_truncation_is_corrupt),
        cmocka_unit_test(record__bad_crc_message_names_seqno),
        cmocka_unit_test(record__garbage_is_not_a_record),
        cmocka_unit_test(record__crafted_minimal_payload_decodes),
        cmocka_unit_test(record__crafted_header_rules),
        cmocka_unit_test(record__crafted_zstd_rules),
        cmocka_unit_test(record__crafted_zstd_garbage_frame),
        cmocka_unit_test(record__crafted_zstd_short_block),
        cmocka_unit_test(record__crafted_counts_bounded),
        cmocka_unit_test(record__crafted_overlong_varint),
        cmocka_unit_test(record__crafted_item_and_value_kinds),
        cmocka_unit_test(record__crafted_statement_rules),
        cmocka_unit_test(record__crafted_rows_rules),
        cmocka_unit_test(record__crafted_huge_expansion_refused),
        cmocka_unit_test(record__id_too_long_rejected),
        cmocka_unit_test(record__invalid_event_rejected),
        cmocka_unit_test(record__threads_use_own_contexts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
