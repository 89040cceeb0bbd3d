/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/integration/apply/apl_test.c - helpers for the applier integration tests (see apl_test.h).
 */
#include "apl_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char t_socket_buf[512];

static const char *t_env(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

void t_options(apl_options *o, const char *service)
{
    const char *dir = t_env("APL_TEST_SERVER_DIR");
    apl_options_init(o);
    o->service = service;
    o->block_events = 100;
    o->block_ms = 60000;
    o->host = t_env("REPL_TEST_HOST");
    o->port = t_env("REPL_TEST_PORT") ? (unsigned)atoi(t_env("REPL_TEST_PORT")) : 0;
    o->user = t_env("REPL_TEST_USER") ? t_env("REPL_TEST_USER") : "root";
    o->password = t_env("REPL_TEST_PASSWORD");
    o->socket = t_env("REPL_TEST_SOCKET");
    if (o->host == NULL && o->socket == NULL && dir != NULL) {
        snprintf(t_socket_buf, sizeof(t_socket_buf), "%s/sock", dir);
        o->socket = t_socket_buf;
    }
}

MYSQL *t_connect(void)
{
    apl_options o;
    MYSQL *m = mysql_init(NULL);
    t_options(&o, "x");
    mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    if (mysql_real_connect(m, o.host, o.user, o.password, NULL, o.port, o.socket,
                           CLIENT_MULTI_STATEMENTS) == NULL) {
        fprintf(stderr, "connect: %s\n", mysql_error(m));
        fail();
    }
    return m;
}

__attribute__((format(printf, 2, 0))) static void t_vsql(MYSQL *m, const char *fmt, va_list ap)
{
    char *sql = NULL;
    if (vasprintf(&sql, fmt, ap) < 0)
        fail();
    if (mysql_query(m, sql) != 0) {
        fprintf(stderr, "SQL failed: %s\n  error %u: %s\n", sql, mysql_errno(m), mysql_error(m));
        free(sql);
        fail();
    }
    free(sql);
}

void t_sql(MYSQL *m, const char *fmt, ...)
{
    va_list ap;
    int more;
    va_start(ap, fmt);
    t_vsql(m, fmt, ap);
    va_end(ap);
    do {
        MYSQL_RES *r = mysql_store_result(m);
        mysql_free_result(r);
        more = mysql_next_result(m);
        if (more > 0) {
            fprintf(stderr, "SQL failed: error %u: %s\n", mysql_errno(m), mysql_error(m));
            fail();
        }
    } while (more == 0);
}

__attribute__((format(printf, 2, 0))) static char *t_vstr(MYSQL *m, const char *fmt, va_list ap)
{
    MYSQL_RES *r;
    MYSQL_ROW row;
    char *out;
    t_vsql(m, fmt, ap);
    r = mysql_store_result(m);
    assert_non_null(r);
    row = mysql_fetch_row(r);
    out = strdup(row == NULL ? "" : row[0] == NULL ? "NULL" : row[0]);
    mysql_free_result(r);
    return out;
}

char *t_str(MYSQL *m, const char *fmt, ...)
{
    va_list ap;
    char *s;
    va_start(ap, fmt);
    s = t_vstr(m, fmt, ap);
    va_end(ap);
    return s;
}

long long t_int(MYSQL *m, const char *fmt, ...)
{
    va_list ap;
    char *s;
    long long v;
    va_start(ap, fmt);
    s = t_vstr(m, fmt, ap);
    va_end(ap);
    v = strtoll(s, NULL, 10);
    free(s);
    return v;
}

static MYSQL_RES *t_select(MYSQL *m, const char *sql)
{
    MYSQL_RES *r;
    if (mysql_query(m, sql) != 0) {
        fprintf(stderr, "%s: %s\n", sql, mysql_error(m));
        fail();
    }
    r = mysql_store_result(m);
    assert_non_null(r);
    return r;
}

static void t_cells_equal(MYSQL_RES *r1, MYSQL_RES *r2, MYSQL_ROW a, MYSQL_ROW b, unsigned row)
{
    unsigned long *la = mysql_fetch_lengths(r1), *lb = mysql_fetch_lengths(r2);
    MYSQL_FIELD *f = mysql_fetch_fields(r1);
    for (unsigned i = 0; i < mysql_num_fields(r1); i++) {
        int same = (a[i] == NULL) == (b[i] == NULL) &&
                   (a[i] == NULL || (la[i] == lb[i] && memcmp(a[i], b[i], la[i]) == 0));
        if (!same) {
            fprintf(stderr, "row %u column %s differs: '%.*s' (%lu bytes) vs '%.*s' (%lu bytes)\n",
                    row, f[i].name, (int)(la[i] > 80 ? 80 : la[i]), a[i] ? a[i] : "NULL", la[i],
                    (int)(lb[i] > 80 ? 80 : lb[i]), b[i] ? b[i] : "NULL", lb[i]);
            fail();
        }
    }
}

void t_tables_equal(MYSQL *m, const char *t1, const char *t2)
{
    char q1[512], q2[512];
    snprintf(q1, sizeof(q1), "SELECT * FROM %s ORDER BY 1", t1);
    snprintf(q2, sizeof(q2), "SELECT * FROM %s ORDER BY 1", t2);
    t_results_equal(m, q1, q2);
}

void t_results_equal(MYSQL *m, const char *q1, const char *q2)
{
    MYSQL_RES *r1 = t_select(m, q1), *r2 = t_select(m, q2);
    MYSQL_ROW a, b;
    unsigned row = 0;
    if (mysql_num_rows(r1) != mysql_num_rows(r2)) {
        fprintf(stderr, "%s: %llu rows, %s: %llu\n", q1, (unsigned long long)mysql_num_rows(r1), q2,
                (unsigned long long)mysql_num_rows(r2));
        fail();
    }
    assert_int_equal(mysql_num_fields(r1), mysql_num_fields(r2));
    for (;;) {
        a = mysql_fetch_row(r1);
        b = mysql_fetch_row(r2);
        if (a == NULL || b == NULL)
            break;
        t_cells_equal(r1, r2, a, b, ++row);
    }
    mysql_free_result(r1);
    mysql_free_result(r2);
}

void t_fresh_db(MYSQL *m, const char *db)
{
    t_sql(m, "DROP DATABASE IF EXISTS `%s`", db);
    t_sql(m, "CREATE DATABASE `%s` CHARACTER SET utf8mb4", db);
}

void t_reset_service(MYSQL *m, const char *service)
{
    t_sql(m, "DROP DATABASE IF EXISTS `trep_%s`", service);
}

thl_event *t_event(uint64_t seqno)
{
    thl_event *ev = thl_event_new();
    char id[64];
    ev->seqno = seqno;
    ev->fragno = 0;
    ev->flags = THL_EV_LAST_FRAG;
    ev->epoch = 7;
    ev->source_tstamp_us = 1700000000000000LL + (int64_t)seqno * 1000;
    ev->extract_tstamp_us = ev->source_tstamp_us + 500;
    snprintf(id, sizeof(id), "mariadb-bin.000001:%llu;gtid=0-1-%llu",
             (unsigned long long)(1000 + seqno * 10), (unsigned long long)seqno);
    thl_event_set_ids(ev, "master:3306", id, "test");
    return ev;
}

thl_statement *t_stmt(thl_event *ev, const char *schema, const char *sql)
{
    thl_statement *st = thl_event_add_statement(ev);
    st->schema = thl_event_strdup(ev, schema);
    st->sql = thl_event_memdup(ev, sql, strlen(sql));
    st->sql_len = strlen(sql);
    st->session.set = THL_SESS_SQL_MODE | THL_SESS_CHARSET | THL_SESS_TIMESTAMP;
    st->session.sql_mode = 0;
    st->session.charset_client = 45;
    st->session.collation_connection = 45;
    st->session.collation_server = 45;
    st->session.timestamp_sec = 1700000000;
    return st;
}

void t_apply(apl_applier *a, const thl_event *ev)
{
    repl_error err;
    int rc;
    repl_error_clear(&err);
    rc = apl_applier_apply(a, ev, &err);
    if (rc != REPL_OK) {
        const apl_failure *f = apl_applier_last_failure(a);
        fprintf(stderr, "apply seqno=%llu: %s\n", (unsigned long long)ev->seqno, err.msg);
        if (f != NULL)
            fprintf(stderr, "  failure: errno %u: %s\n  sql: %s\n", f->server_errno,
                    f->server_error, f->sql);
    }
    assert_int_equal(rc, REPL_OK);
}

void t_commit(apl_applier *a)
{
    repl_error err;
    int rc = apl_applier_commit(a, &err);
    if (rc != REPL_OK)
        fprintf(stderr, "commit: %s\n", err.msg);
    assert_int_equal(rc, REPL_OK);
}

apl_applier *t_open_opts(const apl_options *o)
{
    apl_applier *a = NULL;
    repl_error err;
    int rc = apl_applier_open(&a, o, &err);
    if (rc != REPL_OK)
        fprintf(stderr, "open: %s\n", err.msg);
    assert_int_equal(rc, REPL_OK);
    return a;
}

apl_applier *t_open(const char *service)
{
    apl_options o;
    t_options(&o, service);
    return t_open_opts(&o);
}

uint64_t t_pos_seqno(apl_applier *a)
{
    apl_position p;
    repl_error err;
    assert_int_equal(apl_applier_position(a, &p, &err), REPL_OK);
    return p.empty ? UINT64_MAX : p.seqno;
}

void t_col(thl_column *c, const char *name, uint8_t type, uint16_t meta, uint32_t length,
           uint16_t charset, uint8_t flags)
{
    c->name = name;
    c->type = type;
    c->meta = meta;
    c->length = length;
    c->charset = charset;
    c->flags = flags;
    if (type == MYSQL_TYPE_NEWDECIMAL)
        c->scale = (uint8_t)(meta & 0xff);
}

void t_v_int(thl_value *v, int64_t i)
{
    v->kind = THL_VAL_INT;
    v->v.i = i;
}

void t_v_uint(thl_value *v, thl_value_kind kind, uint64_t u)
{
    v->kind = (uint8_t)kind;
    v->v.u = u;
}

void t_v_str(thl_event *ev, thl_value *v, const char *s)
{
    thl_value_set_bytes(ev, v, THL_VAL_STRING, s, strlen(s));
}

void t_v_bytes(thl_event *ev, thl_value *v, const void *p, size_t len)
{
    thl_value_set_bytes(ev, v, THL_VAL_BYTES, p, len);
}

void t_v_dec(thl_event *ev, thl_value *v, const char *s)
{
    thl_value_set_bytes(ev, v, THL_VAL_DECIMAL, s, strlen(s));
}

void t_v_date(thl_value *v, unsigned y, unsigned m, unsigned d)
{
    memset(v, 0, sizeof(*v));
    v->kind = THL_VAL_DATE;
    v->v.t.year = (uint16_t)y;
    v->v.t.month = (uint8_t)m;
    v->v.t.day = (uint8_t)d;
}

void t_v_time(thl_value *v, int neg, unsigned h, unsigned mi, unsigned s, unsigned us)
{
    memset(v, 0, sizeof(*v));
    v->kind = THL_VAL_TIME;
    v->v.t.neg = (uint8_t)neg;
    v->v.t.hour = h;
    v->v.t.minute = (uint8_t)mi;
    v->v.t.second = (uint8_t)s;
    v->v.t.usec = us;
}

void t_v_datetime(thl_value *v, unsigned y, unsigned m, unsigned d, unsigned h, unsigned mi,
                  unsigned s, unsigned us)
{
    t_v_date(v, y, m, d);
    v->kind = THL_VAL_DATETIME;
    v->v.t.hour = h;
    v->v.t.minute = (uint8_t)mi;
    v->v.t.second = (uint8_t)s;
    v->v.t.usec = us;
}

void t_v_ts(thl_value *v, int64_t sec, uint32_t usec)
{
    memset(v, 0, sizeof(*v));
    v->kind = THL_VAL_TIMESTAMP;
    v->v.ts.sec = sec;
    v->v.ts.usec = usec;
}

thl_rows *t_rows_idv(thl_event *ev, const char *schema, const char *table, thl_row_action action)
{
    thl_rows *r = thl_event_add_rows(ev, schema, table, action, 2);
    t_col(&r->cols[0], "id", MYSQL_TYPE_LONG, 0, 0, 0, THL_COL_PK);
    t_col(&r->cols[1], "v", MYSQL_TYPE_LONG, 0, 0, 0, THL_COL_NULLABLE);
    return r;
}

void t_row_idv(thl_event *ev, thl_rows *r, int64_t id_before, int64_t v_before, int64_t id_after,
               int64_t v_after)
{
    thl_row *row = thl_rows_add_row(ev, r);
    if (row->before != NULL) {
        t_v_int(&row->before[0], id_before);
        t_v_int(&row->before[1], v_before);
    }
    if (row->after != NULL) {
        t_v_int(&row->after[0], id_after);
        t_v_int(&row->after[1], v_after);
    }
}
