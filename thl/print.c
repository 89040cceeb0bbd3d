/* SPDX-License-Identifier: GPL-2.0-or-later */
/* thl/print.c - renderings of THL values and events for people and scripts: SQL-style literals for
 * values, a multi-line listing per event (the thl tool's "list", trep-binlog, trepctl) and JSON
 * built with jansson. Pure functions; thread-safe. Never writes anywhere itself: callers get text
 * in a repl_buf or a json_t. Knows nothing about records, LMDB or MySQL connections. */
#include "thl/print.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const print_kinds[] = { "NULL",    "INT",    "UINT",  "FLOAT",    "DOUBLE",
                                           "DECIMAL", "STRING", "BYTES", "BIT",      "ENUM",
                                           "SET",     "DATE",   "TIME",  "DATETIME", "TIMESTAMP" };

const char *thl_print_kind_name(int kind)
{
    if (kind < 0 || kind >= (int)(sizeof(print_kinds) / sizeof(print_kinds[0])))
        return "?";
    return print_kinds[kind];
}

const char *thl_print_action_name(int action)
{
    switch (action) {
    case THL_ROW_INSERT:
        return "INSERT";
    case THL_ROW_UPDATE:
        return "UPDATE";
    case THL_ROW_DELETE:
        return "DELETE";
    default:
        return "?";
    }
}

/* ---- strings --------------------------------------------------------------------------------- */

/* Length (1..4) of the valid UTF-8 sequence at p, 0 if none starts there. */
static size_t print_utf8_len(const uint8_t *p, size_t left)
{
    size_t n;
    uint32_t cp;
    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        n = 2;
    else if (p[0] >= 0xe0 && p[0] <= 0xef)
        n = 3;
    else if (p[0] >= 0xf0 && p[0] <= 0xf4)
        n = 4;
    else
        return 0;
    if (left < n)
        return 0;
    cp = p[0] & (0x7f >> n);
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

static int print_utf8_valid(const uint8_t *p, size_t len)
{
    size_t i = 0;
    while (i < len) {
        const size_t n = print_utf8_len(p + i, len - i);
        if (n == 0)
            return 0;
        i += n;
    }
    return 1;
}

/* The escape for c inside a quoted literal (quoted) or in raw SQL text (!quoted); NULL if none. */
static const char *print_escape_of(uint8_t c, int quoted)
{
    switch (c) {
    case '\\':
        return quoted ? "\\\\" : NULL;
    case '\'':
        return quoted ? "\\'" : NULL;
    case '\n':
        return quoted ? "\\n" : NULL;
    case '\t':
        return quoted ? "\\t" : NULL;
    case '\r':
        return "\\r";
    case 0:
        return "\\0";
    case 0x1a:
        return "\\Z";
    default:
        return NULL;
    }
}

/* Append the character at p (escaped if need be); returns the bytes consumed. */
static size_t print_escaped_one(repl_buf *out, const uint8_t *p, size_t left, int quoted)
{
    const uint8_t c = p[0];
    const char *esc = print_escape_of(c, quoted);
    size_t n;
    if (esc != NULL) {
        repl_buf_put(out, esc, 2);
        return 1;
    }
    if ((c >= 0x20 && c < 0x7f) || (!quoted && (c == '\n' || c == '\t'))) {
        repl_buf_put_u8(out, c);
        return 1;
    }
    n = c >= 0x80 ? print_utf8_len(p, left) : 0;
    if (n > 0) {
        repl_buf_put(out, p, n);
        return n;
    }
    repl_buf_printf(out, "\\x%02X", c);
    return 1;
}

static void print_escaped(repl_buf *out, const uint8_t *p, size_t len, int quoted)
{
    size_t i = 0;
    while (i < len)
        i += print_escaped_one(out, p + i, len - i, quoted);
}

void thl_print_quoted(repl_buf *out, const uint8_t *p, size_t len)
{
    repl_buf_put_u8(out, '\'');
    print_escaped(out, p, len, 1);
    repl_buf_put_u8(out, '\'');
}

static void print_hex(repl_buf *out, const uint8_t *p, size_t len)
{
    static const char digits[] = "0123456789ABCDEF";
    repl_buf_reserve(out, len * 2);
    for (size_t i = 0; i < len; i++) {
        out->data[out->len++] = (uint8_t)digits[p[i] >> 4];
        out->data[out->len++] = (uint8_t)digits[p[i] & 15];
    }
}

/* ---- numbers --------------------------------------------------------------------------------- */

/* The shortest %g rendering that reads back to the same value. */
static void print_real(repl_buf *out, double d, int is_float)
{
    char tmp[48];
    if (isnan(d)) {
        repl_buf_printf(out, "NaN");
        return;
    }
    if (isinf(d)) {
        repl_buf_printf(out, "%s", d < 0 ? "-Infinity" : "Infinity");
        return;
    }
    for (int prec = is_float ? 6 : 15; prec <= (is_float ? 9 : 17); prec++) {
        snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
        if (is_float ? strtof(tmp, NULL) == (float)d : strtod(tmp, NULL) == d)
            break;
    }
    repl_buf_printf(out, "%s", tmp);
}

static void print_bits(repl_buf *out, uint64_t u)
{
    int top = 63;
    while (top > 0 && ((u >> top) & 1) == 0)
        top--;
    repl_buf_printf(out, "b'");
    for (int i = top; i >= 0; i--)
        repl_buf_put_u8(out, (uint8_t)('0' + ((u >> i) & 1)));
    repl_buf_put_u8(out, '\'');
}

static void print_enum(repl_buf *out, uint64_t u, const thl_column *col)
{
    const char *name;
    repl_buf_printf(out, "%" PRIu64, u);
    if (col == NULL || col->members == NULL || u == 0 || u > col->n_members)
        return;
    name = col->members[u - 1];
    repl_buf_printf(out, " (");
    thl_print_quoted(out, (const uint8_t *)name, strlen(name));
    repl_buf_put_u8(out, ')');
}

static void print_set(repl_buf *out, uint64_t u, const thl_column *col)
{
    repl_buf names;
    repl_buf_printf(out, "0x%" PRIx64, u);
    if (col == NULL || col->members == NULL || col->n_members == 0)
        return;
    repl_buf_init(&names);
    for (uint32_t i = 0; i < col->n_members && i < 64; i++) {
        if (((u >> i) & 1) == 0)
            continue;
        if (names.len > 0)
            repl_buf_put_u8(&names, ',');
        repl_buf_put(&names, col->members[i], strlen(col->members[i]));
    }
    repl_buf_printf(out, " (");
    thl_print_quoted(out, names.data, names.len);
    repl_buf_put_u8(out, ')');
    repl_buf_dispose(&names);
}

/* ---- temporal values ------------------------------------------------------------------------- */

/* ".ffffff" with the column's fractional digits, or 6 digits when the value needs them. */
static void print_frac(repl_buf *out, uint32_t usec, const thl_column *col)
{
    static const uint32_t div[] = { 1000000, 100000, 10000, 1000, 100, 10, 1 };
    unsigned digits = col != NULL && col->scale <= 6 ? col->scale : 0;
    if (usec % div[digits] != 0)
        digits = 6;
    if (digits == 0)
        return;
    repl_buf_printf(out, ".%0*" PRIu32, (int)digits, usec / div[digits]);
}

static void print_date(repl_buf *out, const thl_temporal *t)
{
    repl_buf_printf(out, "%04u-%02u-%02u", t->year, t->month, t->day);
}

static void print_time_of_day(repl_buf *out, const thl_temporal *t, const thl_column *col)
{
    repl_buf_printf(out, "%02" PRIu32 ":%02u:%02u", t->hour, t->minute, t->second);
    print_frac(out, t->usec, col);
}

static void print_timestamp(repl_buf *out, int64_t sec, uint32_t usec, const thl_column *col)
{
    struct tm tm;
    const time_t tt = (time_t)sec;
    if (sec == 0 && usec == 0) {
        repl_buf_printf(out, "0000-00-00 00:00:00");
        return;
    }
    if (gmtime_r(&tt, &tm) == NULL) {
        repl_buf_printf(out, "@%" PRId64, sec);
        print_frac(out, usec, col);
        return;
    }
    repl_buf_printf(out, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    print_frac(out, usec, col);
}

/* Temporal kinds without quotes (JSON uses them as they are). */
static void print_temporal(repl_buf *out, const thl_value *v, const thl_column *col)
{
    switch (v->kind) {
    case THL_VAL_DATE:
        print_date(out, &v->v.t);
        break;
    case THL_VAL_TIME:
        if (v->v.t.neg)
            repl_buf_put_u8(out, '-');
        print_time_of_day(out, &v->v.t, col);
        break;
    case THL_VAL_DATETIME:
        print_date(out, &v->v.t);
        repl_buf_put_u8(out, ' ');
        print_time_of_day(out, &v->v.t, col);
        break;
    default:
        print_timestamp(out, v->v.ts.sec, v->v.ts.usec, col);
        break;
    }
}

void thl_print_tstamp(repl_buf *out, int64_t us)
{
    struct tm tm;
    int64_t sec = us / 1000000;
    int64_t rem = us % 1000000;
    time_t tt;
    if (rem < 0) {
        rem += 1000000;
        sec--;
    }
    tt = (time_t)sec;
    if (gmtime_r(&tt, &tm) == NULL) {
        repl_buf_printf(out, "@%" PRId64 "us", us);
        return;
    }
    repl_buf_printf(out, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)rem);
}

/* DECIMAL as its text, STRING quoted, BYTES as X'hex'. */
static void print_bytes_value(repl_buf *out, const thl_value *v)
{
    if (v->kind == THL_VAL_DECIMAL) {
        print_escaped(out, v->v.bytes.ptr, v->v.bytes.len, 1);
    } else if (v->kind == THL_VAL_STRING) {
        thl_print_quoted(out, v->v.bytes.ptr, v->v.bytes.len);
    } else {
        repl_buf_printf(out, "X'");
        print_hex(out, v->v.bytes.ptr, v->v.bytes.len);
        repl_buf_put_u8(out, '\'');
    }
}

void thl_print_value(repl_buf *out, const thl_value *v, const thl_column *col)
{
    if (v->kind >= THL_VAL_DATE && v->kind <= THL_VAL_TIMESTAMP) {
        repl_buf_put_u8(out, '\'');
        print_temporal(out, v, col);
        repl_buf_put_u8(out, '\'');
        return;
    }
    switch (v->kind) {
    case THL_VAL_NULL:
        repl_buf_printf(out, "NULL");
        break;
    case THL_VAL_INT:
        repl_buf_printf(out, "%" PRId64, v->v.i);
        break;
    case THL_VAL_UINT:
        repl_buf_printf(out, "%" PRIu64, v->v.u);
        break;
    case THL_VAL_FLOAT:
    case THL_VAL_DOUBLE:
        print_real(out, v->kind == THL_VAL_FLOAT ? (double)v->v.f : v->v.d,
                   v->kind == THL_VAL_FLOAT);
        break;
    case THL_VAL_DECIMAL:
    case THL_VAL_STRING:
    case THL_VAL_BYTES:
        print_bytes_value(out, v);
        break;
    case THL_VAL_BIT:
        print_bits(out, v->v.u);
        break;
    case THL_VAL_ENUM:
        print_enum(out, v->v.u, col);
        break;
    case THL_VAL_SET:
        print_set(out, v->v.u, col);
        break;
    default:
        repl_buf_printf(out, "?kind%u", v->kind);
        break;
    }
}

/* ---- events as text -------------------------------------------------------------------------- */

static const struct {
    uint8_t bit;
    const char *name;
} print_ev_flags[] = {
    { THL_EV_LAST_FRAG, "last_frag" },
    { THL_EV_HEARTBEAT, "heartbeat" },
    { THL_EV_UNSAFE, "unsafe" },
    { THL_EV_ROLLBACK, "rollback" },
    { THL_EV_DDL, "ddl" },
};

#define PRINT_NFLAGS (sizeof(print_ev_flags) / sizeof(print_ev_flags[0]))

static void print_flags(repl_buf *out, uint8_t flags)
{
    const size_t start = out->len;
    uint8_t known = 0;
    for (size_t i = 0; i < PRINT_NFLAGS; i++) {
        known |= print_ev_flags[i].bit;
        if (flags & print_ev_flags[i].bit)
            repl_buf_printf(out, "%s%s", out->len > start ? " " : "", print_ev_flags[i].name);
    }
    if (flags & ~known)
        repl_buf_printf(out, "%s0x%02x", out->len > start ? " " : "", (unsigned)(flags & ~known));
    if (out->len == start)
        repl_buf_printf(out, "none");
}

static void print_event_header(repl_buf *out, const thl_event *ev)
{
    repl_buf_printf(out, "SEQ# = %" PRIu64 " / FRAG# = %u%s\n", ev->seqno, ev->fragno,
                    (ev->flags & THL_EV_LAST_FRAG) ? " (last_frag)" : "");
    repl_buf_printf(out, "- TIME = ");
    thl_print_tstamp(out, ev->source_tstamp_us);
    repl_buf_printf(out, "\n- EXTRACTED = ");
    thl_print_tstamp(out, ev->extract_tstamp_us);
    repl_buf_printf(out, "\n- EPOCH# = %" PRIu64 "\n", ev->epoch);
    repl_buf_printf(out,
                    "- EVENTID = %s\n- SOURCEID = %s\n- SHARDID = %s\n- FLAGS = ", ev->event_id,
                    ev->source_id, ev->shard_id);
    print_flags(out, ev->flags);
    repl_buf_printf(out, "\n- METADATA = [");
    for (uint32_t i = 0; i < ev->n_meta; i++)
        repl_buf_printf(out, "%s%s=%s", i > 0 ? ";" : "", ev->meta[i].key, ev->meta[i].value);
    repl_buf_printf(out, "]\n");
}

static void print_flags2(repl_buf *out, uint32_t f)
{
    repl_buf_printf(out,
                    " flags2=0x%08" PRIx32 " (foreign_key_checks=%d unique_checks=%d "
                    "autocommit=%d sql_auto_is_null=%d)",
                    f, !(f & THL_FLAGS2_NO_FOREIGN_KEY_CHK), !(f & THL_FLAGS2_RELAXED_UNIQUE_CHK),
                    !(f & THL_FLAGS2_NOT_AUTOCOMMIT), !!(f & THL_FLAGS2_AUTO_IS_NULL));
}

static void print_session_more(repl_buf *out, const thl_session *s)
{
    if (s->set & THL_SESS_INSERT_ID)
        repl_buf_printf(out, " insert_id=%" PRIu64, s->insert_id);
    if (s->set & THL_SESS_LAST_INSERT_ID)
        repl_buf_printf(out, " last_insert_id=%" PRIu64, s->last_insert_id);
    if (s->set & THL_SESS_RAND)
        repl_buf_printf(out, " rand_seed1=%" PRIu64 " rand_seed2=%" PRIu64, s->rand_seed1,
                        s->rand_seed2);
    if (s->set & THL_SESS_LC_TIME_NAMES)
        repl_buf_printf(out, " lc_time_names=%u", s->lc_time_names);
    if (s->set & THL_SESS_DEFAULT_COLL)
        repl_buf_printf(out, " default_collation=%u", s->default_collation);
    if (s->set & THL_SESS_PSEUDO_THREAD)
        repl_buf_printf(out, " pseudo_thread_id=%" PRIu32, s->pseudo_thread_id);
    if (s->set & THL_SESS_EXPLICIT_TS)
        repl_buf_printf(out, " explicit_defaults_for_timestamp=%u", s->explicit_defaults_ts);
}

void thl_print_session(repl_buf *out, const thl_session *s)
{
    const size_t start = out->len;
    if (s->set & THL_SESS_SQL_MODE)
        repl_buf_printf(out, " sql_mode=0x%" PRIx64, s->sql_mode);
    if (s->set & THL_SESS_CHARSET)
        repl_buf_printf(out, " charset_client=%u collation_connection=%u collation_server=%u",
                        s->charset_client, s->collation_connection, s->collation_server);
    if (s->set & THL_SESS_TIME_ZONE) {
        repl_buf_printf(out, " time_zone=");
        thl_print_quoted(out, (const uint8_t *)s->time_zone, strlen(s->time_zone));
    }
    if (s->set & THL_SESS_TIMESTAMP)
        repl_buf_printf(out, " timestamp=%" PRId64 ".%06" PRIu32, s->timestamp_sec,
                        s->timestamp_usec);
    if (s->set & THL_SESS_AUTO_INC)
        repl_buf_printf(out, " auto_increment_increment=%u auto_increment_offset=%u",
                        s->auto_increment_increment, s->auto_increment_offset);
    if (s->set & THL_SESS_FLAGS2)
        print_flags2(out, s->flags2);
    print_session_more(out, s);
    if (out->len > start) {
        /* drop the leading space */
        memmove(out->data + start, out->data + start + 1, out->len - start - 1);
        out->len--;
    }
}

static void print_statement(repl_buf *out, uint32_t idx, const thl_statement *st)
{
    repl_buf_printf(out, "- STATEMENT(%" PRIu32 ")\n  - SCHEMA = %s\n", idx, st->schema);
    if (st->session.set != 0) {
        repl_buf_printf(out, "  - SESSION = ");
        thl_print_session(out, &st->session);
        repl_buf_put_u8(out, '\n');
    }
    for (uint32_t i = 0; i < st->session.n_user_vars; i++) {
        const thl_user_var *uv = &st->session.user_vars[i];
        repl_buf_printf(out, "  - USER_VAR @%s = ", uv->name);
        thl_print_value(out, &uv->value, NULL);
        if (uv->charset != 0)
            repl_buf_printf(out, " (charset %u)", uv->charset);
        repl_buf_put_u8(out, '\n');
    }
    if (st->error_code != 0)
        repl_buf_printf(out, "  - ERROR_CODE = %u\n", st->error_code);
    repl_buf_printf(out, "  - SQL = ");
    print_escaped(out, st->sql, st->sql_len, 0);
    repl_buf_put_u8(out, '\n');
}

static void print_image(repl_buf *out, const char *label, const thl_rows *r, const thl_value *img,
                        const uint8_t *present)
{
    if (img == NULL || present == NULL)
        return;
    repl_buf_printf(out, "    - %s\n", label);
    for (uint32_t i = 0; i < r->ncols; i++) {
        if (!thl_bit_get(present, i))
            continue;
        if (r->cols[i].name[0] != '\0')
            repl_buf_printf(out, "      %s = ", r->cols[i].name);
        else
            repl_buf_printf(out, "      @%" PRIu32 " = ", i + 1);
        thl_print_value(out, &img[i], &r->cols[i]);
        repl_buf_put_u8(out, '\n');
    }
}

static void print_rows(repl_buf *out, uint32_t idx, const thl_rows *r)
{
    repl_buf_printf(out, "- ROWS(%" PRIu32 ") = %s.%s %s (%" PRIu32 " row%s)\n", idx, r->schema,
                    r->table, thl_print_action_name(r->action), r->nrows, r->nrows == 1 ? "" : "s");
    for (uint32_t i = 0; i < r->nrows; i++) {
        repl_buf_printf(out, "  - ROW# = %" PRIu32 "\n", i);
        print_image(out, "BEFORE (key)", r, r->rows[i].before, r->before_present);
        print_image(out, "AFTER", r, r->rows[i].after, r->after_present);
    }
}

void thl_print_event(repl_buf *out, const thl_event *ev)
{
    print_event_header(out, ev);
    for (uint32_t i = 0; i < ev->n_items; i++) {
        const thl_item *it = &ev->items[i];
        if (it->kind == THL_ITEM_STATEMENT)
            print_statement(out, i, &it->u.stmt);
        else if (it->kind == THL_ITEM_ROWS)
            print_rows(out, i, &it->u.rows);
        else
            repl_buf_printf(out, "- ITEM(%" PRIu32 ") = unknown kind %u\n", i, it->kind);
    }
}

/* ---- JSON ------------------------------------------------------------------------------------ */

static json_t *json_u64(uint64_t u)
{
    char tmp[24];
    if (u <= (uint64_t)INT64_MAX)
        return json_integer((json_int_t)u);
    snprintf(tmp, sizeof(tmp), "%" PRIu64, u);
    return json_string(tmp);
}

static json_t *json_hex(const uint8_t *p, size_t len)
{
    repl_buf b;
    json_t *j;
    repl_buf_init(&b);
    print_hex(&b, p, len);
    j = json_pack("{s:s%}", "hex", b.data != NULL ? (const char *)b.data : "", b.len);
    repl_buf_dispose(&b);
    return j;
}

/* A string when the bytes are UTF-8 without NULs, else {"hex": ...}. */
static json_t *json_text(const void *p, size_t len)
{
    if (len == 0)
        return json_string("");
    if (memchr(p, 0, len) == NULL && print_utf8_valid(p, len))
        return json_stringn(p, len);
    return json_hex(p, len);
}

static json_t *json_real_or_text(double d)
{
    if (isnan(d))
        return json_string("NaN");
    if (isinf(d))
        return json_string(d < 0 ? "-Infinity" : "Infinity");
    return json_real(d);
}

static json_t *json_rendered(const thl_value *v, const thl_column *col)
{
    repl_buf b;
    json_t *j;
    repl_buf_init(&b);
    print_temporal(&b, v, col);
    j = json_stringn((const char *)b.data, b.len);
    repl_buf_dispose(&b);
    return j;
}

json_t *thl_print_value_json(const thl_value *v, const thl_column *col)
{
    switch (v->kind) {
    case THL_VAL_NULL:
        return json_null();
    case THL_VAL_INT:
        return json_integer((json_int_t)v->v.i);
    case THL_VAL_UINT:
    case THL_VAL_BIT:
    case THL_VAL_ENUM:
    case THL_VAL_SET:
        return json_u64(v->v.u);
    case THL_VAL_FLOAT:
        return json_real_or_text((double)v->v.f);
    case THL_VAL_DOUBLE:
        return json_real_or_text(v->v.d);
    case THL_VAL_DECIMAL:
    case THL_VAL_STRING:
        return json_text(v->v.bytes.ptr, v->v.bytes.len);
    case THL_VAL_BYTES:
        return json_hex(v->v.bytes.ptr, v->v.bytes.len);
    case THL_VAL_DATE:
    case THL_VAL_TIME:
    case THL_VAL_DATETIME:
    case THL_VAL_TIMESTAMP:
        return json_rendered(v, col);
    default:
        return json_null();
    }
}

static json_t *json_tstamp(int64_t us)
{
    repl_buf b;
    json_t *j;
    repl_buf_init(&b);
    thl_print_tstamp(&b, us);
    j = json_stringn((const char *)b.data, b.len);
    repl_buf_dispose(&b);
    return j;
}

static json_t *json_flag_names(uint8_t flags)
{
    json_t *a = json_array();
    for (size_t i = 0; i < PRINT_NFLAGS; i++) {
        if (flags & print_ev_flags[i].bit)
            json_array_append_new(a, json_string(print_ev_flags[i].name));
    }
    return a;
}

static json_t *json_session_fields(const thl_session *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "set", json_integer(s->set));
    if (s->set & THL_SESS_SQL_MODE)
        json_object_set_new(o, "sql_mode", json_u64(s->sql_mode));
    if (s->set & THL_SESS_CHARSET) {
        json_object_set_new(o, "charset_client", json_integer(s->charset_client));
        json_object_set_new(o, "collation_connection", json_integer(s->collation_connection));
        json_object_set_new(o, "collation_server", json_integer(s->collation_server));
    }
    if (s->set & THL_SESS_TIME_ZONE)
        json_object_set_new(o, "time_zone", json_text(s->time_zone, strlen(s->time_zone)));
    if (s->set & THL_SESS_TIMESTAMP) {
        json_object_set_new(o, "timestamp_sec", json_integer(s->timestamp_sec));
        json_object_set_new(o, "timestamp_usec", json_integer(s->timestamp_usec));
    }
    if (s->set & THL_SESS_AUTO_INC) {
        json_object_set_new(o, "auto_increment_increment",
                            json_integer(s->auto_increment_increment));
        json_object_set_new(o, "auto_increment_offset", json_integer(s->auto_increment_offset));
    }
    if (s->set & THL_SESS_FLAGS2)
        json_object_set_new(o, "flags2", json_integer(s->flags2));
    return o;
}

static void json_session_more(json_t *o, const thl_session *s)
{
    if (s->set & THL_SESS_INSERT_ID)
        json_object_set_new(o, "insert_id", json_u64(s->insert_id));
    if (s->set & THL_SESS_LAST_INSERT_ID)
        json_object_set_new(o, "last_insert_id", json_u64(s->last_insert_id));
    if (s->set & THL_SESS_RAND) {
        json_object_set_new(o, "rand_seed1", json_u64(s->rand_seed1));
        json_object_set_new(o, "rand_seed2", json_u64(s->rand_seed2));
    }
    if (s->set & THL_SESS_LC_TIME_NAMES)
        json_object_set_new(o, "lc_time_names", json_integer(s->lc_time_names));
    if (s->set & THL_SESS_DEFAULT_COLL)
        json_object_set_new(o, "default_collation", json_integer(s->default_collation));
    if (s->set & THL_SESS_PSEUDO_THREAD)
        json_object_set_new(o, "pseudo_thread_id", json_integer(s->pseudo_thread_id));
    if (s->set & THL_SESS_EXPLICIT_TS)
        json_object_set_new(o, "explicit_defaults_for_timestamp",
                            json_integer(s->explicit_defaults_ts));
}

static json_t *json_session(const thl_session *s)
{
    json_t *o = json_session_fields(s);
    json_t *vars = json_array();
    json_session_more(o, s);
    for (uint32_t i = 0; i < s->n_user_vars; i++) {
        const thl_user_var *uv = &s->user_vars[i];
        json_array_append_new(vars, json_pack("{s:o,s:i,s:s,s:o}", "name",
                                              json_text(uv->name, strlen(uv->name)), "charset",
                                              (int)uv->charset, "kind",
                                              thl_print_kind_name(uv->value.kind), "value",
                                              thl_print_value_json(&uv->value, NULL)));
    }
    json_object_set_new(o, "user_vars", vars);
    return o;
}

static json_t *json_statement(const thl_statement *st)
{
    return json_pack("{s:s,s:o,s:o,s:i,s:o}", "type", "statement", "schema",
                     json_text(st->schema, strlen(st->schema)), "sql",
                     json_text(st->sql, st->sql_len), "error_code", (int)st->error_code, "session",
                     json_session(&st->session));
}

static json_t *json_column(const thl_column *c, uint32_t idx)
{
    json_t *members = json_array();
    for (uint32_t i = 0; i < c->n_members && c->members != NULL; i++)
        json_array_append_new(members, json_text(c->members[i], strlen(c->members[i])));
    return json_pack("{s:i,s:o,s:i,s:i,s:I,s:i,s:i,s:i,s:o}", "index", (int)idx, "name",
                     json_text(c->name, strlen(c->name)), "type", (int)c->type, "meta",
                     (int)c->meta, "length", (json_int_t)c->length, "scale", (int)c->scale,
                     "charset", (int)c->charset, "flags", (int)c->flags, "members", members);
}

static json_t *json_bitmap(const uint8_t *bm, uint32_t ncols)
{
    json_t *a;
    if (bm == NULL)
        return json_null();
    a = json_array();
    for (uint32_t i = 0; i < ncols; i++) {
        if (thl_bit_get(bm, i))
            json_array_append_new(a, json_integer(i));
    }
    return a;
}

static json_t *json_image(const thl_rows *r, const thl_value *img, const uint8_t *bm)
{
    json_t *a;
    if (img == NULL || bm == NULL)
        return json_null();
    a = json_array();
    for (uint32_t i = 0; i < r->ncols; i++) {
        const thl_column *c = &r->cols[i];
        if (!thl_bit_get(bm, i))
            continue;
        json_array_append_new(a, json_pack("{s:i,s:o,s:s,s:o}", "index", (int)i, "name",
                                           json_text(c->name, strlen(c->name)), "kind",
                                           thl_print_kind_name(img[i].kind), "value",
                                           thl_print_value_json(&img[i], c)));
    }
    return a;
}

static json_t *json_rows(const thl_rows *r)
{
    json_t *cols = json_array();
    json_t *rows = json_array();
    for (uint32_t i = 0; i < r->ncols; i++)
        json_array_append_new(cols, json_column(&r->cols[i], i));
    for (uint32_t i = 0; i < r->nrows; i++)
        json_array_append_new(rows, json_pack("{s:o,s:o}", "before",
                                              json_image(r, r->rows[i].before, r->before_present),
                                              "after",
                                              json_image(r, r->rows[i].after, r->after_present)));
    return json_pack("{s:s,s:o,s:o,s:s,s:o,s:o,s:o,s:o}", "type", "rows", "schema",
                     json_text(r->schema, strlen(r->schema)), "table",
                     json_text(r->table, strlen(r->table)), "action",
                     thl_print_action_name(r->action), "columns", cols, "before_present",
                     json_bitmap(r->before_present, r->ncols), "after_present",
                     json_bitmap(r->after_present, r->ncols), "rows", rows);
}

static json_t *json_items(const thl_event *ev)
{
    json_t *a = json_array();
    for (uint32_t i = 0; i < ev->n_items; i++) {
        const thl_item *it = &ev->items[i];
        if (it->kind == THL_ITEM_STATEMENT)
            json_array_append_new(a, json_statement(&it->u.stmt));
        else if (it->kind == THL_ITEM_ROWS)
            json_array_append_new(a, json_rows(&it->u.rows));
        else
            json_array_append_new(a,
                                  json_pack("{s:s,s:i}", "type", "unknown", "kind", (int)it->kind));
    }
    return a;
}

json_t *thl_print_event_json(const thl_event *ev)
{
    json_t *meta = json_object();
    json_t *o;
    for (uint32_t i = 0; i < ev->n_meta; i++)
        json_object_set_new(meta, ev->meta[i].key,
                            json_text(ev->meta[i].value, strlen(ev->meta[i].value)));
    o = json_pack("{s:o,s:i,s:b,s:i,s:o,s:o}", "seqno", json_u64(ev->seqno), "fragno",
                  (int)ev->fragno, "last_frag", (ev->flags & THL_EV_LAST_FRAG) != 0, "flags",
                  (int)ev->flags, "flag_names", json_flag_names(ev->flags), "epoch",
                  json_u64(ev->epoch));
    json_object_set_new(o, "source_tstamp_us", json_integer(ev->source_tstamp_us));
    json_object_set_new(o, "source_tstamp", json_tstamp(ev->source_tstamp_us));
    json_object_set_new(o, "extract_tstamp_us", json_integer(ev->extract_tstamp_us));
    json_object_set_new(o, "extract_tstamp", json_tstamp(ev->extract_tstamp_us));
    json_object_set_new(o, "source_id", json_text(ev->source_id, strlen(ev->source_id)));
    json_object_set_new(o, "event_id", json_text(ev->event_id, strlen(ev->event_id)));
    json_object_set_new(o, "shard_id", json_text(ev->shard_id, strlen(ev->shard_id)));
    json_object_set_new(o, "metadata", meta);
    json_object_set_new(o, "items", json_items(ev));
    return o;
}
