/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extractors/json_binary.c - MySQL binary JSON to the JSON text MySQL prints
 * (sql-common/json_binary.cc for the layout, sql-common/json_dom.cc wrapper_to_string for the text,
 * strings/dtoa.cc my_gcvt for doubles), and partial JSON diffs (sql-common/json_diff.cc) to
 * mysqlbinlog -v's expression (MySQL sql/log_event.cc print_json_diff). Every offset and length is
 * checked against the enclosing value; recursion is bounded by EXT_JSON_MAX_DEPTH. Appends to a
 * caller's repl_buf; no other allocation. */
#include "extractors/json_binary.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extractors/binlog_types.h"
#include "extractors/values_int.h"

/* value types of the binary format */
enum {
    JB_SMALL_OBJECT = 0x00,
    JB_LARGE_OBJECT = 0x01,
    JB_SMALL_ARRAY = 0x02,
    JB_LARGE_ARRAY = 0x03,
    JB_LITERAL = 0x04,
    JB_INT16 = 0x05,
    JB_UINT16 = 0x06,
    JB_INT32 = 0x07,
    JB_UINT32 = 0x08,
    JB_INT64 = 0x09,
    JB_UINT64 = 0x0a,
    JB_DOUBLE = 0x0b,
    JB_STRING = 0x0c,
    JB_OPAQUE = 0x0f
};

/* how a scalar prints in a diff expression (json_wrapper_to_string in mysqlbinlog) */
typedef enum jb_class {
    JB_CLASS_BARE = 0,   /* null, true/false, numbers */
    JB_CLASS_QUOTED = 1, /* strings, temporals, opaque */
    JB_CLASS_DOC = 2     /* objects and arrays: CAST('...' AS JSON) */
} jb_class;

typedef struct jb_ctx {
    repl_buf *out;
    repl_error *err;
    size_t limit; /* out->len never needs to pass this for a document of its size */
} jb_ctx;

/* A stored document prints to at most ~6x its size (a string of control characters); values shared
 * between elements, which MySQL never writes, could print exponentially larger: refuse those. */
#define JB_TEXT_LIMIT(start, len) ((start) + 16 * (len) + 64)

static int jb_value(jb_ctx *j, uint8_t type, const uint8_t *p, size_t len, int quoted,
                    unsigned depth);

static int jb_fail(jb_ctx *j, const char *what)
{
    return repl_error_set(j->err, REPL_ERR_CORRUPT, "binary JSON: %s", what);
}

static uint64_t jb_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = n; i > 0; i--)
        v = (v << 8) | p[i - 1];
    return v;
}

/* ---- text helpers ---------------------------------------------------------------------------- */

/* The two-character escape of c in a JSON string (escape_character() of json_dom.cc), or NULL. */
static const char *jb_escape(uint8_t c)
{
    switch (c) {
    case '"':
        return "\\\"";
    case '\\':
        return "\\\\";
    case '\b':
        return "\\b";
    case '\t':
        return "\\t";
    case '\n':
        return "\\n";
    case '\f':
        return "\\f";
    case '\r':
        return "\\r";
    default:
        return NULL;
    }
}

/* double_quote() of json_dom.cc: escape " \ and control characters (\u00xx when no short form). */
static void jb_put_quoted(repl_buf *out, const uint8_t *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = 0;
    repl_buf_put_u8(out, '"');
    for (size_t i = 0; i < len; i++) {
        uint8_t c = s[i];
        if (c > 0x1f && c != '"' && c != '\\')
            continue;
        repl_buf_put(out, s + run, i - run);
        run = i + 1;
        const char *esc = jb_escape(c);
        if (esc != NULL) {
            repl_buf_put(out, esc, 2);
        } else {
            char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
            repl_buf_put(out, u, 6);
        }
    }
    repl_buf_put(out, s + run, len - run);
    repl_buf_put_u8(out, '"');
}

/* base64_encode() of mysys/base64.cc: a newline before every group once 76 characters are out;
 * newline is "\n" itself, or its JSON escape when the text is being quoted. */
static void jb_put_base64(repl_buf *out, const uint8_t *s, size_t len, const char *newline)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t line = 0;
    for (size_t i = 0; i < len; i += 3, line += 4) {
        uint32_t c = (uint32_t)s[i] << 16;
        char q[4];
        if (line == 76) {
            repl_buf_put(out, newline, strlen(newline));
            line = 0;
        }
        if (i + 1 < len)
            c |= (uint32_t)s[i + 1] << 8;
        if (i + 2 < len)
            c |= s[i + 2];
        q[0] = tab[(c >> 18) & 63];
        q[1] = tab[(c >> 12) & 63];
        q[2] = i + 1 < len ? tab[(c >> 6) & 63] : '=';
        q[3] = i + 2 < len ? tab[c & 63] : '=';
        repl_buf_put(out, q, 4);
    }
}

/* Shortest round-trip digits of |x| (dtoa mode 0): digits without trailing zeros, decpt = position
 * of the decimal point relative to the first digit. */
static int jb_shortest(double x, char *digits, int *decpt)
{
    char buf[40];
    int len = 0;
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*e", prec - 1, fabs(x));
        if (strtod(buf, NULL) == fabs(x) || prec == 17)
            break;
    }
    char *e = strchr(buf, 'e');
    *decpt = atoi(e + 1) + 1;
    for (const char *c = buf; c < e; c++) {
        if (*c != '.')
            digits[len++] = *c;
    }
    while (len > 1 && digits[len - 1] == '0')
        len--;
    digits[len] = '\0';
    return len;
}

static void jb_put_e_format(repl_buf *out, const char *d, int len, int decpt)
{
    repl_buf_put_u8(out, (uint8_t)d[0]);
    if (len > 1) {
        repl_buf_put_u8(out, '.');
        repl_buf_put(out, d + 1, (size_t)len - 1);
    }
    repl_buf_printf(out, "e%d", decpt - 1);
}

static void jb_put_f_format(repl_buf *out, const char *d, int len, int decpt)
{
    if (decpt <= 0) {
        repl_buf_put(out, "0.", 2);
        for (int i = decpt; i < 0; i++)
            repl_buf_put_u8(out, '0');
        repl_buf_put(out, d, (size_t)len);
        return;
    }
    for (int i = 0; i < len || i < decpt; i++) {
        if (i == decpt)
            repl_buf_put_u8(out, '.');
        repl_buf_put_u8(out, i < len ? (uint8_t)d[i] : '0');
    }
}

/* my_gcvt(x, MY_GCVT_ARG_DOUBLE, MY_GCVT_MAX_FIELD_WIDTH = 34) followed by json_dom.cc's ".0" for
 * values printed without a point or exponent. */
static void jb_put_double(repl_buf *out, double x)
{
    char d[24];
    int decpt;
    int width = 34 - (x < 0.0);
    size_t start = out->len;
    if (!isfinite(x)) {
        repl_buf_put(out, "0.0", 3); /* my_gcvt prints 0 on overflow */
        return;
    }
    int len = jb_shortest(x, d, &decpt);
    if (x == 0.0)
        decpt = 1;
    int flen = decpt <= 0 ? len - decpt + 2 : decpt < len ? len + 1 : decpt;
    int have_space = flen <= width;
    if (signbit(x))
        repl_buf_put_u8(out, '-');
    if (have_space && decpt >= -15 + 1 && (decpt <= 15 || len > decpt))
        jb_put_f_format(out, d, len, decpt);
    else
        jb_put_e_format(out, d, len, decpt);
    if (memchr(out->data + start, '.', out->len - start) == NULL &&
        memchr(out->data + start, 'e', out->len - start) == NULL)
        repl_buf_put(out, ".0", 2);
}

/* ---- scalars --------------------------------------------------------------------------------- */

/* read_variable_length of json_binary.cc: 7 bits a byte, at most 5 bytes, below 2^32. */
static int jb_varlen(const uint8_t *p, size_t len, size_t *value, size_t *used)
{
    uint64_t v = 0;
    for (size_t i = 0; i < 5 && i < len; i++) {
        v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if ((p[i] & 0x80) == 0) {
            if (v > UINT32_MAX)
                return -1;
            *value = (size_t)v;
            *used = i + 1;
            return 0;
        }
    }
    return -1;
}

static int jb_int(jb_ctx *j, uint8_t type, const uint8_t *p, size_t len)
{
    static const uint8_t sizes[] = { 2, 2, 4, 4, 8, 8, 8 };
    unsigned n = sizes[type - JB_INT16];
    if (len < n)
        return jb_fail(j, "number past the end of its container");
    uint64_t u = jb_le(p, n);
    switch (type) {
    case JB_INT16:
        repl_buf_printf(j->out, "%d", (int)(int16_t)u);
        break;
    case JB_INT32:
        repl_buf_printf(j->out, "%ld", (long)(int32_t)u);
        break;
    case JB_INT64:
        repl_buf_printf(j->out, "%lld", (long long)(int64_t)u);
        break;
    case JB_DOUBLE: {
        double d;
        memcpy(&d, &u, sizeof(d));
        jb_put_double(j->out, d);
        break;
    }
    default:
        repl_buf_printf(j->out, "%llu", (unsigned long long)u);
        break;
    }
    return REPL_OK;
}

static int jb_literal(jb_ctx *j, const uint8_t *p, size_t len)
{
    static const char *const names[] = { "null", "true", "false" };
    if (len < 1 || p[0] > 2)
        return jb_fail(j, "bad literal");
    repl_buf_put(j->out, names[p[0]], strlen(names[p[0]]));
    return REPL_OK;
}

static void jb_put_text(repl_buf *out, const uint8_t *s, size_t len, int quoted)
{
    if (quoted)
        jb_put_quoted(out, s, len);
    else
        repl_buf_put(out, s, len);
}

static int jb_string(jb_ctx *j, const uint8_t *p, size_t len, int quoted)
{
    size_t n, used;
    if (jb_varlen(p, len, &n, &used) != 0 || n > len - used)
        return jb_fail(j, "string length past the end of its container");
    jb_put_text(j->out, p + used, n, quoted);
    return REPL_OK;
}

static int jb_decimal(jb_ctx *j, const uint8_t *p, size_t n)
{
    char text[EXT_DECIMAL_TEXT_MAX];
    if (n < 2 || p[0] == 0 || p[0] > 65 || p[1] > 30 || p[1] > p[0] ||
        ext_decimal_bin_size(p[0], p[1]) != n - 2)
        return jb_fail(j, "bad opaque DECIMAL");
    int tl = ext_decimal_to_text(text, p + 2, p[0], p[1]);
    if (tl < 0)
        return jb_fail(j, "bad opaque DECIMAL digits");
    repl_buf_put(j->out, text, (size_t)tl);
    return REPL_OK;
}

/* Json_datetime::from_packed + my_TIME_to_str(..., 6). */
static int jb_temporal(jb_ctx *j, uint8_t ftype, const uint8_t *p, size_t n, int quoted)
{
    thl_temporal t;
    if (n != 8)
        return jb_fail(j, "bad opaque temporal length");
    int64_t packed = (int64_t)jb_le(p, 8);
    if (quoted)
        repl_buf_put_u8(j->out, '"');
    if (ftype == EXT_COL_TIME) {
        ext_time_from_packed(&t, packed);
        repl_buf_printf(j->out, "%s%02u:%02u:%02u.%06u", t.neg ? "-" : "", t.hour, t.minute,
                        t.second, t.usec);
    } else {
        ext_datetime_from_packed(&t, packed);
        repl_buf_printf(j->out, "%04u-%02u-%02u", t.year, t.month, t.day);
        if (ftype != EXT_COL_DATE)
            repl_buf_printf(j->out, " %02u:%02u:%02u.%06u", t.hour, t.minute, t.second, t.usec);
    }
    if (quoted)
        repl_buf_put_u8(j->out, '"');
    return REPL_OK;
}

static int jb_opaque(jb_ctx *j, const uint8_t *p, size_t len, int quoted)
{
    size_t n, used;
    if (len < 1 || jb_varlen(p + 1, len - 1, &n, &used) != 0 || n > len - 1 - used)
        return jb_fail(j, "opaque value past the end of its container");
    uint8_t ftype = p[0];
    const uint8_t *v = p + 1 + used;
    switch (ftype) {
    case EXT_COL_NEWDECIMAL:
        return jb_decimal(j, v, n);
    case EXT_COL_DATE:
    case EXT_COL_TIME:
    case EXT_COL_DATETIME:
    case EXT_COL_TIMESTAMP:
        return jb_temporal(j, ftype, v, n, quoted);
    case EXT_COL_VAR_STRING: /* strings saved as opaque print as plain strings */
        jb_put_text(j->out, v, n, quoted);
        return REPL_OK;
    default:
        break;
    }
    if (quoted)
        repl_buf_put_u8(j->out, '"');
    repl_buf_printf(j->out, "base64:type%u:", ftype);
    jb_put_base64(j->out, v, n, quoted ? "\\n" : "\n");
    if (quoted)
        repl_buf_put_u8(j->out, '"');
    return REPL_OK;
}

/* ---- containers ------------------------------------------------------------------------------ */

typedef struct jb_container {
    const uint8_t *p; /* first byte after the type byte */
    size_t size;      /* bytes of the container (its own size field) */
    size_t count;
    unsigned osize; /* offset size: 2 small, 4 large */
    int object;
} jb_container;

static int jb_container_open(jb_ctx *j, jb_container *c, uint8_t type, const uint8_t *p, size_t len)
{
    c->p = p;
    c->object = type == JB_SMALL_OBJECT || type == JB_LARGE_OBJECT;
    c->osize = (type == JB_SMALL_OBJECT || type == JB_SMALL_ARRAY) ? 2 : 4;
    if (len < 2u * c->osize)
        return jb_fail(j, "container header past the end of the document");
    c->count = (size_t)jb_le(p, c->osize);
    c->size = (size_t)jb_le(p + c->osize, c->osize);
    if (c->size > len || c->size < 2u * c->osize)
        return jb_fail(j, "container size past the end of the document or below its header");
    size_t entry = (c->object ? c->osize + 2u : 0) + 1u + c->osize;
    if (c->count > (c->size - 2u * c->osize) / entry)
        return jb_fail(j, "container element count past its size");
    return REPL_OK;
}

static int jb_inlined(uint8_t type, unsigned osize)
{
    return type == JB_LITERAL || type == JB_INT16 || type == JB_UINT16 ||
           (osize == 4 && (type == JB_INT32 || type == JB_UINT32));
}

static int jb_element(jb_ctx *j, const jb_container *c, size_t i, unsigned depth)
{
    size_t keys = c->object ? c->count * (c->osize + 2u) : 0;
    const uint8_t *e = c->p + 2u * c->osize + keys + i * (1u + c->osize);
    uint8_t type = e[0];
    if (jb_inlined(type, c->osize))
        return jb_value(j, type, e + 1, c->osize, 1, depth);
    size_t off = (size_t)jb_le(e + 1, c->osize);
    if (off >= c->size)
        return jb_fail(j, "value offset past the end of its container");
    return jb_value(j, type, c->p + off, c->size - off, 1, depth);
}

static int jb_key(jb_ctx *j, const jb_container *c, size_t i)
{
    const uint8_t *e = c->p + 2u * c->osize + i * (c->osize + 2u);
    size_t off = (size_t)jb_le(e, c->osize);
    size_t klen = (size_t)jb_le(e + c->osize, 2);
    if (off > c->size || klen > c->size - off)
        return jb_fail(j, "key past the end of its object");
    jb_put_quoted(j->out, c->p + off, klen);
    repl_buf_put(j->out, ": ", 2);
    return REPL_OK;
}

static int jb_print_container(jb_ctx *j, uint8_t type, const uint8_t *p, size_t len, unsigned depth)
{
    jb_container c = { NULL, 0, 0, 0, 0 };
    if (depth + 1 > EXT_JSON_MAX_DEPTH)
        return jb_fail(j, "nesting deeper than 100");
    if (jb_container_open(j, &c, type, p, len) != REPL_OK)
        return REPL_ERR_CORRUPT;
    repl_buf_put_u8(j->out, c.object ? '{' : '[');
    for (size_t i = 0; i < c.count; i++) {
        if (i > 0)
            repl_buf_put(j->out, ", ", 2);
        if (c.object && jb_key(j, &c, i) != REPL_OK)
            return REPL_ERR_CORRUPT;
        if (jb_element(j, &c, i, depth + 1) != REPL_OK)
            return REPL_ERR_CORRUPT;
        if (j->out->len > j->limit)
            return jb_fail(j, "document prints larger than its size allows (shared values)");
    }
    repl_buf_put_u8(j->out, c.object ? '}' : ']');
    return REPL_OK;
}

/* p/len: the value's bytes up to the end of the enclosing container (or the document). */
static int jb_value(jb_ctx *j, uint8_t type, const uint8_t *p, size_t len, int quoted,
                    unsigned depth)
{
    switch (type) {
    case JB_SMALL_OBJECT:
    case JB_LARGE_OBJECT:
    case JB_SMALL_ARRAY:
    case JB_LARGE_ARRAY:
        return jb_print_container(j, type, p, len, depth);
    case JB_LITERAL:
        return jb_literal(j, p, len);
    case JB_INT16:
    case JB_UINT16:
    case JB_INT32:
    case JB_UINT32:
    case JB_INT64:
    case JB_UINT64:
    case JB_DOUBLE:
        return jb_int(j, type, p, len);
    case JB_STRING:
        return jb_string(j, p, len, quoted);
    case JB_OPAQUE:
        return jb_opaque(j, p, len, quoted);
    default: {
        char what[48];
        snprintf(what, sizeof(what), "unknown value type 0x%02x", type);
        return jb_fail(j, what);
    }
    }
}

int ext_json_binary_to_text(repl_buf *out, const uint8_t *data, size_t len, repl_error *err)
{
    jb_ctx j = { out, err, JB_TEXT_LIMIT(out->len, len) };
    if (len == 0) { /* an empty JSON column value reads as JSON null (Field_json::val_json) */
        repl_buf_put(out, "null", 4);
        return REPL_OK;
    }
    return jb_value(&j, data[0], data + 1, len - 1, 1, 0);
}

/* ---- partial JSON diffs ---------------------------------------------------------------------- */

enum {
    JD_REPLACE = 0,
    JD_INSERT = 1,
    JD_REMOVE = 2
};

typedef struct jb_diff {
    uint8_t op;   /* JD_* */
    uint8_t name; /* index into jd_names */
    const uint8_t *path;
    size_t path_len;
    const uint8_t *value; /* document (type byte first); NULL for JD_REMOVE */
    size_t value_len;
} jb_diff;

static const char *const jd_names[] = { "JSON_REPLACE", "JSON_INSERT", "JSON_REMOVE",
                                        "JSON_ARRAY_INSERT" };

/* One diff: operation(1) path(packed length + bytes) [value(packed length + document)]. */
static int jd_read(jb_ctx *j, repl_rd *rd, jb_diff *d)
{
    d->op = rd_u8(rd);
    if (rd_ok(rd) && d->op > JD_REMOVE)
        return jb_fail(j, "partial update: bad operation code");
    d->path_len = (size_t)rd_packed(rd);
    d->path = rd_ok(rd) && d->path_len <= rd_left(rd) ? rd_take(rd, d->path_len) : NULL;
    d->value = NULL;
    d->value_len = 0;
    if (d->path != NULL && d->op != JD_REMOVE) {
        d->value_len = (size_t)rd_packed(rd);
        d->value = rd_ok(rd) && d->value_len <= rd_left(rd) ? rd_take(rd, d->value_len) : NULL;
        if (d->value != NULL && d->value_len == 0)
            return jb_fail(j, "partial update: empty value");
    }
    if (d->path == NULL || (d->op != JD_REMOVE && d->value == NULL))
        return jb_fail(j, "partial update: diff past the end of the value");
    d->name = d->op;
    if (d->op == JD_INSERT && d->path_len > 0 && d->path[d->path_len - 1] == ']')
        d->name = 3;
    return REPL_OK;
}

/* The backslash escape of c inside an SQL string literal, or NULL to copy c as it is. */
static const char *jd_sql_escape(uint8_t c)
{
    switch (c) {
    case '\'':
        return "\\'";
    case '\\':
        return "\\\\";
    case 0:
        return "\\0";
    case '\n':
        return "\\n";
    case '\r':
        return "\\r";
    case 0x1a:
        return "\\Z";
    default:
        return NULL;
    }
}

/* SQL string literal; backslash escapes understood by MySQL and MariaDB. */
static void jd_put_sql_string(repl_buf *out, const uint8_t *s, size_t len)
{
    repl_buf_put_u8(out, '\'');
    for (size_t i = 0; i < len; i++) {
        const char *esc = jd_sql_escape(s[i]);
        if (esc != NULL)
            repl_buf_put(out, esc, 2);
        else
            repl_buf_put_u8(out, s[i]);
    }
    repl_buf_put_u8(out, '\'');
}

static jb_class jd_class(const uint8_t *doc)
{
    if (doc[0] <= JB_LARGE_ARRAY)
        return JB_CLASS_DOC;
    if (doc[0] == JB_STRING)
        return JB_CLASS_QUOTED;
    if (doc[0] == JB_OPAQUE)
        return doc[1] == EXT_COL_NEWDECIMAL ? JB_CLASS_BARE : JB_CLASS_QUOTED;
    return JB_CLASS_BARE;
}

/* A diff value as json_wrapper_to_string(json_type = false) of mysqlbinlog prints it. */
static int jd_put_value(jb_ctx *j, const jb_diff *d, repl_buf *tmp)
{
    jb_ctx t = { tmp, j->err, JB_TEXT_LIMIT(0, d->value_len) };
    jb_class cls = d->value_len >= 2 ? jd_class(d->value) : JB_CLASS_BARE;
    repl_buf_clear(tmp);
    if (jb_value(&t, d->value[0], d->value + 1, d->value_len - 1, 0, 0) != REPL_OK)
        return REPL_ERR_CORRUPT;
    if (cls == JB_CLASS_BARE) {
        repl_buf_put(j->out, tmp->data, tmp->len);
        return REPL_OK;
    }
    if (cls == JB_CLASS_DOC)
        repl_buf_put(j->out, "CAST(", 5);
    jd_put_sql_string(j->out, tmp->data, tmp->len);
    if (cls == JB_CLASS_DOC)
        repl_buf_put(j->out, " AS JSON)", 9);
    return REPL_OK;
}

/* Validate every diff and record each one's function name, in order. */
static int jd_scan(jb_ctx *j, const uint8_t *data, size_t len, repl_buf *names)
{
    repl_rd rd;
    jb_diff d;
    rd_init(&rd, data, len);
    while (rd_left(&rd) > 0) {
        if (jd_read(j, &rd, &d) != REPL_OK)
            return REPL_ERR_CORRUPT;
        repl_buf_put_u8(names, d.name);
    }
    return REPL_OK;
}

/* Second pass: paths and values, closing a call where the function name changes. */
static int jd_args(jb_ctx *j, const uint8_t *data, size_t len, const repl_buf *names, repl_buf *tmp)
{
    repl_rd rd;
    jb_diff d;
    rd_init(&rd, data, len);
    for (size_t i = 0; i < names->len; i++) {
        if (jd_read(j, &rd, &d) != REPL_OK)
            return REPL_ERR_CORRUPT;
        jd_put_sql_string(j->out, d.path, d.path_len);
        if (d.op != JD_REMOVE) {
            repl_buf_put(j->out, ", ", 2);
            if (jd_put_value(j, &d, tmp) != REPL_OK)
                return REPL_ERR_CORRUPT;
        }
        if (i + 1 == names->len || names->data[i + 1] != names->data[i])
            repl_buf_put_u8(j->out, ')');
        if (i + 1 < names->len)
            repl_buf_put(j->out, ", ", 2);
    }
    return REPL_OK;
}

int ext_json_diff_to_text(repl_buf *out, const uint8_t *data, size_t len, const char *col_ref,
                          repl_error *err)
{
    jb_ctx j = { out, err, 0 };
    repl_buf names, tmp;
    int rc;
    repl_buf_init(&names);
    repl_buf_init(&tmp);
    rc = jd_scan(&j, data, len, &names);
    if (rc != REPL_OK)
        goto cleanup;
    for (size_t i = names.len; i > 0; i--) {
        if (i == 1 || names.data[i - 2] != names.data[i - 1])
            repl_buf_printf(out, "%s(", jd_names[names.data[i - 1]]);
    }
    repl_buf_put(out, col_ref, strlen(col_ref));
    if (names.len > 0) {
        repl_buf_put(out, ", ", 2);
        rc = jd_args(&j, data, len, &names, &tmp);
    }
cleanup:
    repl_buf_dispose(&names);
    repl_buf_dispose(&tmp);
    return rc;
}
