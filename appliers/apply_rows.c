/* SPDX-License-Identifier: GPL-2.0-or-later */
/* appliers/apply_rows.c - row changes as prepared statements (binary protocol: values are bound,
 * never escaped). Maps THL columns to target columns (by name, else by position), leaves generated
 * columns out, picks the key (primary key, else every present column with <=> and LIMIT 1), batches
 * inserts into multi-row statements, caches statements by their text, binds each value by kind and
 * checks the affected rows: a row that is not found is an error, never skipped. Owner thread only.
 */
#include "appliers/applier_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "replicator/base/log.h"

#define ROWS_BATCH_MAX   64
#define ROWS_BATCH_BYTES (1u << 20)
#define ROWS_PARAMS_MAX  65535u
#define ROWS_STMT_FAILED 1 /* rows_exec: the statement failed; the caller renders the failure */

/** The columns one rows item writes and the columns that find its rows (THL column indexes). */
typedef struct rows_plan {
    const thl_rows *rows;
    const apl_table *tbl;
    int *map; /* THL column -> target column, -1 = not written */
    uint32_t *set_cols;
    uint32_t n_set;
    uint32_t *key_cols;
    uint32_t n_key;
    int pk_mode; /* key is the primary key: `=`, no LIMIT */
} rows_plan;

/* ---- statement cache ---------------------------------------------------------------------------
 */

static uint32_t rows_hash(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

void apl_pstmt_clear(apl_applier *a)
{
    for (int b = 0; b < APL_PSTMT_BUCKETS; b++) {
        apl_pstmt *p = a->pstmts[b];
        while (p != NULL) {
            apl_pstmt *next = p->next;
            mysql_stmt_close(p->stmt);
            repl_free(p->sql);
            repl_free(p);
            p = next;
        }
        a->pstmts[b] = NULL;
    }
    a->n_pstmts = 0;
}

static int rows_prepare(apl_applier *a, const char *sql, size_t len, MYSQL_STMT **out,
                        repl_error *err)
{
    uint32_t h = rows_hash(sql, len);
    apl_pstmt *p;
    MYSQL_STMT *st;
    *out = NULL;
    for (p = a->pstmts[h % APL_PSTMT_BUCKETS]; p != NULL; p = p->next) {
        if (p->hash == h && p->sql_len == len && memcmp(p->sql, sql, len) == 0) {
            *out = p->stmt;
            return REPL_OK;
        }
    }
    if (a->n_pstmts >= APL_PSTMT_MAX)
        apl_pstmt_clear(a);
    st = mysql_stmt_init(a->conn);
    if (st == NULL || mysql_stmt_prepare(st, sql, (unsigned long)len) != 0) {
        int rc = apl_fail_server(a, st, sql, len, err);
        if (st != NULL)
            mysql_stmt_close(st);
        return rc;
    }
    p = repl_calloc(1, sizeof(*p));
    p->hash = h;
    p->sql = repl_strndup(sql, len);
    p->sql_len = len;
    p->stmt = st;
    p->next = a->pstmts[h % APL_PSTMT_BUCKETS];
    a->pstmts[h % APL_PSTMT_BUCKETS] = p;
    a->n_pstmts++;
    a->stats.stmt_prepares++;
    *out = st;
    return REPL_OK;
}

/* ---- rendering (failures) ----------------------------------------------------------------------
 */

static void render_bytes(repl_buf *b, const thl_value *v)
{
    size_t n = v->v.bytes.len < 64 ? v->v.bytes.len : 64;
    int printable = v->kind != THL_VAL_BYTES;
    for (size_t i = 0; i < n && printable; i++)
        printable = v->v.bytes.ptr[i] >= 0x20 && v->v.bytes.ptr[i] != 0x7f;
    if (!printable) {
        apl_put_hex_literal(b, v->v.bytes.ptr, n);
    } else {
        repl_buf_put_u8(b, '\'');
        for (size_t i = 0; i < n; i++) {
            if (v->v.bytes.ptr[i] == '\'' || v->v.bytes.ptr[i] == '\\')
                repl_buf_put_u8(b, '\\');
            repl_buf_put_u8(b, v->v.bytes.ptr[i]);
        }
        repl_buf_put_u8(b, '\'');
    }
    if (n < v->v.bytes.len)
        repl_buf_printf(b, "...(%zu bytes)", v->v.bytes.len);
}

static void render_temporal(repl_buf *b, const thl_value *v)
{
    const thl_temporal *t = &v->v.t;
    if (v->kind == THL_VAL_DATE) {
        repl_buf_printf(b, "'%04u-%02u-%02u'", t->year, t->month, t->day);
    } else if (v->kind == THL_VAL_TIME) {
        repl_buf_printf(b, "'%s%02u:%02u:%02u.%06u'", t->neg ? "-" : "", t->hour, t->minute,
                        t->second, t->usec);
    } else {
        repl_buf_printf(b, "'%04u-%02u-%02u %02u:%02u:%02u.%06u'", t->year, t->month, t->day,
                        t->hour, t->minute, t->second, t->usec);
    }
}

void apl_render_value(repl_buf *b, const thl_value *v)
{
    switch (v->kind) {
    case THL_VAL_NULL:
        repl_buf_printf(b, "NULL");
        break;
    case THL_VAL_INT:
        repl_buf_printf(b, "%" PRId64, v->v.i);
        break;
    case THL_VAL_FLOAT:
        repl_buf_printf(b, "%.9g", (double)v->v.f);
        break;
    case THL_VAL_DOUBLE:
        repl_buf_printf(b, "%.17g", v->v.d);
        break;
    case THL_VAL_DECIMAL:
    case THL_VAL_STRING:
    case THL_VAL_BYTES:
        render_bytes(b, v);
        break;
    case THL_VAL_DATE:
    case THL_VAL_TIME:
    case THL_VAL_DATETIME:
        render_temporal(b, v);
        break;
    case THL_VAL_TIMESTAMP:
        repl_buf_printf(b, "FROM_UNIXTIME(%" PRId64 ".%06u)", v->v.ts.sec, v->v.ts.usec);
        break;
    default: /* UINT, BIT, ENUM, SET */
        repl_buf_printf(b, "%" PRIu64, v->v.u);
        break;
    }
}

/* The failure's SQL: the statement text, then the bound values of the rows [first, first+n). */
static void rows_render(const rows_plan *pl, const char *sql, size_t len, uint32_t first,
                        uint32_t n, repl_buf *out)
{
    const thl_rows *r = pl->rows;
    repl_buf_put(out, sql, len);
    repl_buf_printf(out, " -- values:");
    for (uint32_t k = first; k < first + n && out->len < 4096; k++) {
        repl_buf_printf(out, " (");
        for (uint32_t i = 0; i < pl->n_set && r->rows[k].after != NULL; i++) {
            repl_buf_printf(out, "%s", i ? ", " : "");
            apl_render_value(out, &r->rows[k].after[pl->set_cols[i]]);
        }
        for (uint32_t i = 0; i < pl->n_key; i++) {
            repl_buf_printf(out, "%s", i || (pl->n_set && r->rows[k].after) ? ", " : "");
            apl_render_value(out, &r->rows[k].before[pl->key_cols[i]]);
        }
        repl_buf_printf(out, ")");
    }
}

static int rows_fail(apl_applier *a, const rows_plan *pl, MYSQL_STMT *st, const char *sql,
                     size_t len, uint32_t first, uint32_t n, repl_error *err)
{
    repl_buf text;
    int rc;
    repl_buf_init(&text);
    rows_render(pl, sql, len, first, n, &text);
    rc = apl_fail_server(a, st, (const char *)text.data, text.len, err);
    repl_buf_dispose(&text);
    return rc;
}

static int rows_not_found(apl_applier *a, const rows_plan *pl, const char *sql, size_t len,
                          uint32_t k, repl_error *err)
{
    repl_buf text;
    if (a->recovering) {
        REPL_LOG_WARN(APL_LOG,
                      "seqno=%" PRIu64 " recovery: `%s`.`%s` row %u not found: taken as already "
                      "applied",
                      a->cur_ev->seqno, pl->rows->schema, pl->rows->table, k);
        return REPL_OK;
    }
    repl_buf_init(&text);
    rows_render(pl, sql, len, k, 1, &text);
    apl_fail_set(a, 1032, (const char *)text.data, text.len, "row not found on the slave");
    repl_buf_put_u8(&text, 0);
    repl_error_set(err, REPL_ERR_SOURCE, "apply: seqno=%" PRIu64 ": row not found on the slave: %s",
                   a->cur_ev->seqno, (const char *)text.data);
    repl_buf_dispose(&text);
    return REPL_ERR_SOURCE;
}

/* ---- binding -----------------------------------------------------------------------------------
 */

/* Declared byte length of a fixed CHAR/BINARY column (binlog meta byte0/byte1 when length is 0). */
static uint32_t rows_fixed_len(const thl_column *c)
{
    unsigned b0 = c->meta >> 8, b1 = c->meta & 0xff;
    if (c->length > 0)
        return c->length;
    if ((b0 & 0x30) != 0x30)
        return b1 | (((b0 & 0x30) ^ 0x30) << 4);
    return b1;
}

static void bind_bytes(apl_applier *a, MYSQL_BIND *b, const thl_value *v, const thl_column *c)
{
    static uint8_t empty[1];
    const uint8_t *p = v->v.bytes.len > 0 ? v->v.bytes.ptr : empty;
    size_t len = v->v.bytes.len;
    b->buffer_type = v->kind == THL_VAL_STRING ? MYSQL_TYPE_STRING : MYSQL_TYPE_BLOB;
    if (v->kind == THL_VAL_DECIMAL)
        b->buffer_type = MYSQL_TYPE_NEWDECIMAL;
    /* the binlog strips trailing zero bytes of BINARY(n), UUID and INET6 values: restore them */
    if (v->kind == THL_VAL_BYTES && c->type == MYSQL_TYPE_STRING && rows_fixed_len(c) > len) {
        uint8_t *pad = repl_arena_alloc(a->binds, rows_fixed_len(c));
        memcpy(pad, p, len);
        memset(pad + len, 0, rows_fixed_len(c) - len);
        p = pad;
        len = rows_fixed_len(c);
    }
    b->buffer = (void *)p;
    b->buffer_length = (unsigned long)len;
}

static void bind_time(apl_applier *a, MYSQL_BIND *b, const thl_value *v)
{
    MYSQL_TIME *t = repl_arena_alloc(a->binds, sizeof(*t));
    memset(t, 0, sizeof(*t));
    t->neg = v->kind == THL_VAL_TIME && v->v.t.neg;
    t->second_part = v->v.t.usec;
    if (v->kind != THL_VAL_TIME) {
        t->year = v->v.t.year;
        t->month = v->v.t.month;
        t->day = v->v.t.day;
    }
    if (v->kind == THL_VAL_TIME) {
        /* the binary protocol carries days and a one-byte hour: TIME may exceed 24 hours */
        t->day = v->v.t.hour / 24;
        t->hour = v->v.t.hour % 24;
        t->minute = v->v.t.minute;
        t->second = v->v.t.second;
    } else if (v->kind != THL_VAL_DATE) {
        t->hour = v->v.t.hour;
        t->minute = v->v.t.minute;
        t->second = v->v.t.second;
    }
    t->time_type = v->kind == THL_VAL_DATE   ? MYSQL_TIMESTAMP_DATE
                   : v->kind == THL_VAL_TIME ? MYSQL_TIMESTAMP_TIME
                                             : MYSQL_TIMESTAMP_DATETIME;
    b->buffer_type = v->kind == THL_VAL_DATE   ? MYSQL_TYPE_DATE
                     : v->kind == THL_VAL_TIME ? MYSQL_TYPE_TIME
                                               : MYSQL_TYPE_DATETIME;
    b->buffer = t;
}

/* TIMESTAMP: UTC broken-down time; the session time zone is +00:00 during row apply. */
static void bind_timestamp(apl_applier *a, MYSQL_BIND *b, const thl_value *v)
{
    MYSQL_TIME *t = repl_arena_alloc(a->binds, sizeof(*t));
    time_t sec = (time_t)v->v.ts.sec;
    struct tm tm;
    memset(t, 0, sizeof(*t));
    t->time_type = MYSQL_TIMESTAMP_DATETIME;
    if ((v->v.ts.sec != 0 || v->v.ts.usec != 0) && gmtime_r(&sec, &tm) != NULL) {
        t->year = (unsigned)tm.tm_year + 1900;
        t->month = (unsigned)tm.tm_mon + 1;
        t->day = (unsigned)tm.tm_mday;
        t->hour = (unsigned)tm.tm_hour;
        t->minute = (unsigned)tm.tm_min;
        t->second = (unsigned)tm.tm_sec;
        t->second_part = v->v.ts.usec;
    }
    b->buffer_type = MYSQL_TYPE_TIMESTAMP;
    b->buffer = t;
}

static void bind_scalar(apl_applier *a, MYSQL_BIND *b, const thl_value *v)
{
    void *p = repl_arena_alloc(a->binds, 8);
    if (v->kind == THL_VAL_FLOAT) {
        memcpy(p, &v->v.f, sizeof(float));
        b->buffer_type = MYSQL_TYPE_FLOAT;
    } else if (v->kind == THL_VAL_DOUBLE) {
        memcpy(p, &v->v.d, sizeof(double));
        b->buffer_type = MYSQL_TYPE_DOUBLE;
    } else {
        /* INT, UINT, BIT, ENUM (index), SET (bitmap): the server takes numbers for all of them.
         * A SET is bound signed: MariaDB compares a SET column as a signed number, so a bitmap with
         * member 64 (bit 63) only matches as a negative value (stored the same either way). */
        memcpy(p, &v->v.u, sizeof(uint64_t));
        b->buffer_type = MYSQL_TYPE_LONGLONG;
        b->is_unsigned = v->kind != THL_VAL_INT && v->kind != THL_VAL_SET;
    }
    b->buffer = p;
}

static int bind_value(apl_applier *a, MYSQL_BIND *b, const thl_value *v, const thl_column *c,
                      repl_error *err)
{
    memset(b, 0, sizeof(*b));
    switch (v->kind) {
    case THL_VAL_NULL:
        b->buffer_type = MYSQL_TYPE_NULL;
        return REPL_OK;
    case THL_VAL_DECIMAL:
    case THL_VAL_STRING:
    case THL_VAL_BYTES:
        bind_bytes(a, b, v, c);
        return REPL_OK;
    case THL_VAL_DATE:
    case THL_VAL_TIME:
    case THL_VAL_DATETIME:
        bind_time(a, b, v);
        return REPL_OK;
    case THL_VAL_TIMESTAMP:
        bind_timestamp(a, b, v);
        return REPL_OK;
    case THL_VAL_INT:
    case THL_VAL_UINT:
    case THL_VAL_FLOAT:
    case THL_VAL_DOUBLE:
    case THL_VAL_BIT:
    case THL_VAL_ENUM:
    case THL_VAL_SET:
        bind_scalar(a, b, v);
        return REPL_OK;
    default:
        return repl_error_set(err, REPL_ERR_INVALID, "apply: column %s: unknown value kind %u",
                              c->name, (unsigned)v->kind);
    }
}

/* Execute st with the values of rows [first, first+n): per row the SET/INSERT columns of the
 * after image, then the key columns of the before image. */
static int rows_exec(apl_applier *a, const rows_plan *pl, MYSQL_STMT *st, uint32_t first,
                     uint32_t n, repl_error *err)
{
    const thl_rows *r = pl->rows;
    uint32_t per_row = pl->n_set + pl->n_key;
    MYSQL_BIND *b;
    repl_arena_reset(a->binds);
    b = repl_arena_alloc(a->binds, (size_t)per_row * n * sizeof(MYSQL_BIND) + 1);
    MYSQL_BIND *p = b;
    int rc = REPL_OK;
    for (uint32_t k = first; k < first + n && rc == REPL_OK; k++) {
        for (uint32_t i = 0; i < pl->n_set && rc == REPL_OK; i++, p++)
            rc = bind_value(a, p, &r->rows[k].after[pl->set_cols[i]], &r->cols[pl->set_cols[i]],
                            err);
        for (uint32_t i = 0; i < pl->n_key && rc == REPL_OK; i++, p++)
            rc = bind_value(a, p, &r->rows[k].before[pl->key_cols[i]], &r->cols[pl->key_cols[i]],
                            err);
    }
    if (rc != REPL_OK)
        return rc;
    if (mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0)
        return ROWS_STMT_FAILED;
    return REPL_OK;
}

/* ---- planning ----------------------------------------------------------------------------------
 */

static int plan_find_col(const apl_table *t, const thl_column *c, uint32_t i)
{
    if (c->name[0] == '\0')
        return i < (uint32_t)t->ncols ? (int)i : -2;
    for (int k = 0; k < t->ncols; k++) {
        if (strcasecmp(t->cols[k].name, c->name) == 0)
            return k;
    }
    return -2;
}

static int plan_map(apl_applier *a, rows_plan *pl, repl_error *err)
{
    const thl_rows *r = pl->rows;
    char msg[512];
    pl->map = repl_arena_alloc(a->scratch, (size_t)r->ncols * sizeof(int) + 1);
    for (uint32_t i = 0; i < r->ncols; i++) {
        int k = plan_find_col(pl->tbl, &r->cols[i], i);
        if (k == -2) {
            snprintf(msg, sizeof(msg), "column %u `%s` of `%s`.`%s` is not in the target table",
                     i + 1, r->cols[i].name, r->schema, r->table);
            apl_fail_set(a, 1054, "", 0, msg);
            return repl_error_set(err, REPL_ERR_SOURCE, "apply: seqno=%" PRIu64 ": %s",
                                  a->cur_ev->seqno, msg);
        }
        pl->map[i] = pl->tbl->cols[k].generated ? -1 : k;
    }
    return REPL_OK;
}

static uint32_t plan_collect(const rows_plan *pl, const uint8_t *present, uint32_t *out, int pk_thl,
                             int pk_target)
{
    const thl_rows *r = pl->rows;
    uint32_t n = 0;
    for (uint32_t i = 0; i < r->ncols; i++) {
        if (pl->map[i] < 0 || present == NULL || !thl_bit_get(present, i))
            continue;
        if (pk_thl && !(r->cols[i].flags & THL_COL_PK))
            continue;
        if (pk_target && !pl->tbl->cols[pl->map[i]].pk)
            continue;
        out[n++] = i;
    }
    return n;
}

static uint32_t plan_count_pk(const rows_plan *pl, int thl)
{
    uint32_t n = 0;
    if (thl) {
        for (uint32_t i = 0; i < pl->rows->ncols; i++)
            n += (pl->rows->cols[i].flags & THL_COL_PK) != 0;
    } else {
        for (int k = 0; k < pl->tbl->ncols; k++)
            n += pl->tbl->cols[k].pk != 0;
    }
    return n;
}

/* Key: the THL's primary key, else the target's, when all of it is in the before image; else
 * every present column. */
static void plan_key(rows_plan *pl)
{
    const uint8_t *bp = pl->rows->before_present;
    uint32_t npk = plan_count_pk(pl, 1);
    pl->n_key = npk ? plan_collect(pl, bp, pl->key_cols, 1, 0) : 0;
    pl->pk_mode = npk > 0 && pl->n_key == npk;
    if (!pl->pk_mode) {
        npk = plan_count_pk(pl, 0);
        pl->n_key = npk ? plan_collect(pl, bp, pl->key_cols, 0, 1) : 0;
        pl->pk_mode = npk > 0 && pl->n_key == npk;
    }
    if (!pl->pk_mode)
        pl->n_key = plan_collect(pl, bp, pl->key_cols, 0, 0);
}

static int plan_build(apl_applier *a, rows_plan *pl, repl_error *err)
{
    const thl_rows *r = pl->rows;
    int rc = plan_map(a, pl, err);
    if (rc != REPL_OK)
        return rc;
    pl->set_cols = repl_arena_alloc(a->scratch, (size_t)r->ncols * sizeof(uint32_t) + 1);
    pl->key_cols = repl_arena_alloc(a->scratch, (size_t)r->ncols * sizeof(uint32_t) + 1);
    if (r->action != THL_ROW_DELETE)
        pl->n_set = plan_collect(pl, r->after_present, pl->set_cols, 0, 0);
    if (r->action != THL_ROW_INSERT)
        plan_key(pl);
    if (r->action != THL_ROW_INSERT && pl->n_key == 0) {
        apl_fail_set(a, 0, "", 0, "no key column in the before image");
        return repl_error_set(err, REPL_ERR_INVALID,
                              "apply: seqno=%" PRIu64 ": `%s`.`%s`: no key column in the before "
                              "image",
                              a->cur_ev->seqno, r->schema, r->table);
    }
    return REPL_OK;
}

/* ---- SQL text ----------------------------------------------------------------------------------
 */

static void sql_table(repl_buf *b, const thl_rows *r)
{
    apl_put_ident(b, r->schema);
    repl_buf_put_u8(b, '.');
    apl_put_ident(b, r->table);
}

static void sql_insert(repl_buf *b, const rows_plan *pl, uint32_t nrows)
{
    repl_buf_printf(b, "INSERT INTO ");
    sql_table(b, pl->rows);
    repl_buf_printf(b, " (");
    for (uint32_t i = 0; i < pl->n_set; i++) {
        repl_buf_printf(b, "%s", i ? "," : "");
        apl_put_ident(b, pl->tbl->cols[pl->map[pl->set_cols[i]]].name);
    }
    repl_buf_printf(b, ") VALUES ");
    for (uint32_t k = 0; k < nrows; k++) {
        repl_buf_printf(b, "%s(", k ? "," : "");
        for (uint32_t i = 0; i < pl->n_set; i++)
            repl_buf_printf(b, "%s?", i ? "," : "");
        repl_buf_put_u8(b, ')');
    }
}

/* Character columns compare under a collation: 'a' = 'A' = 'a ' in many. */
static int rows_is_text(const thl_column *c)
{
    switch (c->type) {
    case MYSQL_TYPE_VARCHAR:
    case MYSQL_TYPE_VAR_STRING:
    case MYSQL_TYPE_STRING:
    case MYSQL_TYPE_BLOB:
    case MYSQL_TYPE_TINY_BLOB:
    case MYSQL_TYPE_MEDIUM_BLOB:
    case MYSQL_TYPE_LONG_BLOB:
        return c->charset != APL_COLL_BINARY && !(c->flags & THL_COL_BINARY);
    default:
        return 0;
    }
}

static void sql_where(repl_buf *b, const rows_plan *pl)
{
    repl_buf_printf(b, " WHERE ");
    for (uint32_t i = 0; i < pl->n_key; i++) {
        const apl_tcol *c = &pl->tbl->cols[pl->map[pl->key_cols[i]]];
        repl_buf_printf(b, "%s", i ? " AND " : "");
        if (pl->pk_mode) {
            /* unique under the column's collation: the index finds exactly the source's row */
            apl_put_ident(b, c->name);
            repl_buf_printf(b, "=?");
            continue;
        }
        /* no key: match the image exactly ('A' is not 'a'), NULL-safe */
        if (rows_is_text(&pl->rows->cols[pl->key_cols[i]]))
            repl_buf_printf(b, "BINARY ");
        apl_put_ident(b, c->name);
        repl_buf_printf(b, "<=>?");
    }
    if (!pl->pk_mode)
        repl_buf_printf(b, " LIMIT 1");
}

static void sql_update_delete(repl_buf *b, const rows_plan *pl)
{
    if (pl->rows->action == THL_ROW_DELETE) {
        repl_buf_printf(b, "DELETE FROM ");
        sql_table(b, pl->rows);
    } else {
        repl_buf_printf(b, "UPDATE ");
        sql_table(b, pl->rows);
        repl_buf_printf(b, " SET ");
        for (uint32_t i = 0; i < pl->n_set; i++) {
            repl_buf_printf(b, "%s", i ? "," : "");
            apl_put_ident(b, pl->tbl->cols[pl->map[pl->set_cols[i]]].name);
            repl_buf_printf(b, "=?");
        }
    }
    sql_where(b, pl);
}

/* ---- execution ---------------------------------------------------------------------------------
 */

static uint32_t rows_value_bytes(const thl_rows *r, uint32_t k)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < r->ncols; i++) {
        const thl_value *v = &r->rows[k].after[i];
        n += 16;
        if (v->kind == THL_VAL_STRING || v->kind == THL_VAL_BYTES || v->kind == THL_VAL_DECIMAL)
            n += (uint32_t)(v->v.bytes.len > ROWS_BATCH_BYTES ? ROWS_BATCH_BYTES : v->v.bytes.len);
    }
    return n;
}

/* Rows in the next insert batch from row first: a power of two (few distinct statements), bounded
 * by count, bytes and the protocol's parameter limit; 1 while recovering (per-row tolerance). */
static uint32_t rows_batch(const apl_applier *a, const rows_plan *pl, uint32_t first)
{
    uint32_t cap = ROWS_BATCH_MAX, n = 0, bytes = 0, p = 1;
    if (pl->n_set > 0 && ROWS_PARAMS_MAX / pl->n_set < cap)
        cap = ROWS_PARAMS_MAX / pl->n_set;
    if (a->recovering || cap == 0)
        cap = 1;
    while (n < cap && first + n < pl->rows->nrows) {
        bytes += rows_value_bytes(pl->rows, first + n);
        n++;
        if (bytes >= ROWS_BATCH_BYTES)
            break;
    }
    while (p * 2 <= n)
        p *= 2;
    return p;
}

static int rows_stmt_error(apl_applier *a, const rows_plan *pl, MYSQL_STMT *st, uint32_t first,
                           uint32_t n, repl_error *err)
{
    unsigned e = st != NULL ? mysql_stmt_errno(st) : 0;
    if (e != 0 && apl_recovery_tolerates(a, e)) {
        REPL_LOG_WARN(APL_LOG,
                      "seqno=%" PRIu64 " recovery: `%s`.`%s` row %u: error %u taken as "
                      "already applied",
                      a->cur_ev->seqno, pl->rows->schema, pl->rows->table, first, e);
        return REPL_OK;
    }
    return rows_fail(a, pl, st, (const char *)a->sql.data, a->sql.len, first, n, err);
}

static int rows_insert(apl_applier *a, const rows_plan *pl, repl_error *err)
{
    MYSQL_STMT *st = NULL;
    uint32_t first = 0, n;
    int rc = REPL_OK;
    while (rc == REPL_OK && first < pl->rows->nrows) {
        n = rows_batch(a, pl, first);
        repl_buf_clear(&a->sql);
        sql_insert(&a->sql, pl, n);
        rc = rows_prepare(a, (const char *)a->sql.data, a->sql.len, &st, err);
        if (rc != REPL_OK)
            return rc;
        rc = rows_exec(a, pl, st, first, n, err);
        if (rc == ROWS_STMT_FAILED)
            rc = rows_stmt_error(a, pl, st, first, n, err);
        first += n;
    }
    return rc;
}

static int rows_update_delete(apl_applier *a, const rows_plan *pl, repl_error *err)
{
    MYSQL_STMT *st = NULL;
    int rc;
    if (pl->rows->action == THL_ROW_UPDATE && pl->n_set == 0)
        return REPL_OK; /* only generated columns changed */
    repl_buf_clear(&a->sql);
    sql_update_delete(&a->sql, pl);
    rc = rows_prepare(a, (const char *)a->sql.data, a->sql.len, &st, err);
    for (uint32_t k = 0; rc == REPL_OK && k < pl->rows->nrows; k++) {
        rc = rows_exec(a, pl, st, k, 1, err);
        if (rc == ROWS_STMT_FAILED) {
            rc = rows_stmt_error(a, pl, st, k, 1, err);
        } else if (rc == REPL_OK && mysql_stmt_affected_rows(st) == 0) {
            rc = rows_not_found(a, pl, (const char *)a->sql.data, a->sql.len, k, err);
        }
    }
    return rc;
}

static int rows_missing_table(apl_applier *a, const thl_rows *r, repl_error *err)
{
    char msg[600];
    snprintf(msg, sizeof(msg), "table `%s`.`%s` does not exist on the target", r->schema, r->table);
    apl_fail_set(a, 1146, "", 0, msg);
    return repl_error_set(err, REPL_ERR_SOURCE, "apply: seqno=%" PRIu64 ": %s", a->cur_ev->seqno,
                          msg);
}

int apl_rows_apply(apl_applier *a, const thl_rows *rows, repl_error *err)
{
    rows_plan pl;
    apl_sess want;
    apl_table *t = NULL;
    int rc = apl_meta_table(a, rows->schema, rows->table, &t, err);
    if (rc != REPL_OK)
        return rc;
    if (t->catalog_pos || rows->nrows == 0)
        return REPL_OK; /* another applier's position: never ours to write */
    if (!t->exists)
        return rows_missing_table(a, rows, err);
    rc = apl_trx_need(a, err);
    if (rc != REPL_OK)
        return rc;
    a->stats.rows += rows->nrows;
    if (t->binlog_path)
        return apl_binlog_rows(a, rows, err);
    apl_sess_want_rows(&want, rows->flags);
    rc = apl_sess_sync(a, &want, NULL, 0, err);
    if (rc != REPL_OK)
        return rc;
    memset(&pl, 0, sizeof(pl));
    pl.rows = rows;
    pl.tbl = t;
    repl_arena_reset(a->scratch);
    rc = plan_build(a, &pl, err);
    if (rc != REPL_OK)
        return rc;
    if (rows->action == THL_ROW_INSERT)
        return rows_insert(a, &pl, err);
    return rows_update_delete(a, &pl, err);
}
