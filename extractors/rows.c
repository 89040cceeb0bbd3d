/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extractors/rows.c - decode a rows event body (v1, v2, PARTIAL_UPDATE_ROWS) into a thl_rows item:
 * post-header, column count, the present-column bitmap(s), then row images (NULL bitmap sized by
 * the image's present columns, values of present non-NULL columns in column order) until the end of
 * the body. Values go through the plan compiled with the ext_table_map (extractors/values.c);
 * partial JSON diffs through extractors/json_binary.c. Layout: MariaDB sql/log_event.cc
 * (Rows_log_event), MySQL libs/mysql/binlog/event/rows_event.h and sql/rpl_record.h (shared image
 * of partial updates). */
#include "extractors/rows.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "extractors/binlog_types.h"
#include "extractors/json_binary.h"
#include "extractors/values_int.h"
#include "replicator/base/mem.h"
#include "replicator/base/rd.h"

#define ROWS_VALUE_OPTION_PARTIAL_JSON 1u

/* Columns present in one row image. */
typedef struct rows_image {
    const uint8_t *bitmap; /* (ncols + 7) / 8 bytes from the event */
    uint32_t *cols;        /* indices of the present columns, ascending */
    uint32_t n;
} rows_image;

typedef struct rows_dec {
    const ext_table_map *map;
    thl_event *ev;
    thl_rows *rows;
    repl_rd rd;
    ext_rows_info info;
    rows_image img[2]; /* before/after for UPDATE; img[0] alone otherwise */
    uint32_t row_no;   /* 1-based, for messages */
    ext_val_ctx vc;
    repl_error *err;
} rows_dec;

/* ---- post-header ----------------------------------------------------------------------------- */

static int rows_kind(int type, ext_rows_info *info)
{
    info->version = 1;
    info->partial = 0;
    switch (type) {
    case EXT_EV_WRITE_ROWS_V2:
        info->version = 2;
        /* fall through */
    case EXT_EV_WRITE_ROWS_V1:
        info->action = THL_ROW_INSERT;
        return 0;
    case EXT_EV_PARTIAL_UPDATE_ROWS:
        info->partial = 1;
        /* fall through */
    case EXT_EV_UPDATE_ROWS_V2:
        info->version = 2;
        /* fall through */
    case EXT_EV_UPDATE_ROWS_V1:
        info->action = THL_ROW_UPDATE;
        return 0;
    case EXT_EV_DELETE_ROWS_V2:
        info->version = 2;
        /* fall through */
    case EXT_EV_DELETE_ROWS_V1:
        info->action = THL_ROW_DELETE;
        return 0;
    default:
        return -1;
    }
}

/* table_id(4 or 6) flags(2) [v2: extra_len(2, counting itself) extra data]; leaves rd at the
 * column count. */
static int rows_parse_head(ext_rows_info *info, repl_rd *rd, int type, const uint8_t *body,
                           size_t len, unsigned phl, repl_error *err)
{
    memset(info, 0, sizeof(*info));
    if (rows_kind(type, info) != 0)
        return repl_error_set(err, REPL_ERR_INVALID, "rows: event type %d is not a rows event",
                              type);
    if (phl != 6 && phl < 8)
        return repl_error_set(err, REPL_ERR_CORRUPT, "rows: bad post-header length %u", phl);
    rd_init(rd, body, len);
    info->table_id = phl == 6 ? rd_u32le(rd) : rd_u48le(rd);
    info->flags = rd_u16le(rd);
    if (info->version == 2) {
        uint16_t extra = rd_u16le(rd);
        if (rd_ok(rd) && extra < 2)
            return repl_error_set(err, REPL_ERR_CORRUPT, "rows: bad extra data length %u", extra);
        rd_skip(rd, extra >= 2 ? extra - 2u : 0);
    } else if (phl > 8) {
        rd_skip(rd, phl - 8);
    }
    if (!rd_ok(rd))
        return repl_error_set(err, REPL_ERR_CORRUPT, "rows: truncated post-header (%zu bytes)",
                              len);
    return REPL_OK;
}

int ext_rows_peek(ext_rows_info *out, int event_type, const uint8_t *body, size_t len,
                  unsigned post_header_len, repl_error *err)
{
    repl_rd rd;
    return rows_parse_head(out, &rd, event_type, body, len, post_header_len, err);
}

/* ---- errors ---------------------------------------------------------------------------------- */

static int rows_fail(rows_dec *d, const char *fmt, ...) REPL_PRINTF(2, 3);

static int rows_fail(rows_dec *d, const char *fmt, ...)
{
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return repl_error_set(d->err, REPL_ERR_CORRUPT, "rows: `%s`.`%s`%s", d->map->schema,
                          d->map->table, what);
}

static int rows_col_fail(rows_dec *d, uint32_t i, const char *reason)
{
    const thl_column *c = &d->map->cols[i];
    char name[96] = "";
    if (c->name[0] != '\0')
        snprintf(name, sizeof(name), " `%s`", c->name);
    return rows_fail(d, " column %u%s (type %u %s): %s at row %u", i + 1, name, c->type,
                     ext_col_type_name(c->type), reason, d->row_no);
}

/* ---- setup ----------------------------------------------------------------------------------- */

/* The rows item carries its own copy of the column specs: the map may go before the event. */
static void rows_copy_columns(rows_dec *d)
{
    const ext_table_map *m = d->map;
    thl_column *cols = d->rows->cols;
    memcpy(cols, m->cols, (size_t)m->ncols * sizeof(thl_column));
    for (uint32_t i = 0; i < m->ncols; i++) {
        cols[i].name = thl_event_strdup(d->ev, m->cols[i].name);
        if (m->cols[i].n_members == 0)
            continue;
        const char **mem = thl_event_alloc(d->ev, m->cols[i].n_members * sizeof(char *));
        for (uint32_t k = 0; k < m->cols[i].n_members; k++)
            mem[k] = thl_event_strdup(d->ev, m->cols[i].members[k]);
        cols[i].members = mem;
    }
}

/* Take one present-column bitmap; list its columns; copy it (trailing bits cleared) to dst. */
static int rows_image_init(rows_dec *d, rows_image *im, uint8_t *dst)
{
    uint32_t n = d->map->ncols;
    im->bitmap = rd_take(&d->rd, (n + 7) / 8);
    if (im->bitmap == NULL)
        return rows_fail(d, ": truncated column bitmap");
    im->cols = repl_malloc((size_t)n * sizeof(uint32_t));
    im->n = 0;
    memset(dst, 0, (n + 7) / 8);
    for (uint32_t i = 0; i < n; i++) {
        if (thl_bit_get(im->bitmap, i)) {
            im->cols[im->n++] = i;
            thl_bit_set(dst, i, 1);
        }
    }
    return REPL_OK;
}

static int rows_setup(rows_dec *d)
{
    uint64_t ncols = rd_packed(&d->rd);
    if (!rd_ok(&d->rd))
        return rows_fail(d, ": truncated column count");
    if (ncols != d->map->ncols)
        return rows_fail(d, ": the event has %llu columns, its TABLE_MAP %u",
                         (unsigned long long)ncols, d->map->ncols);
    d->rows =
        thl_event_add_rows(d->ev, d->map->schema, d->map->table, d->info.action, d->map->ncols);
    if (d->info.flags & EXT_ROWS_NO_FOREIGN_KEY_F)
        d->rows->flags |= THL_ROWS_NO_FK_CHECKS;
    if (d->info.flags & EXT_ROWS_RELAXED_UNIQUE_F)
        d->rows->flags |= THL_ROWS_NO_UNIQUE_CHECKS;
    rows_copy_columns(d);
    switch (d->info.action) {
    case THL_ROW_INSERT:
        return rows_image_init(d, &d->img[0], d->rows->after_present);
    case THL_ROW_DELETE:
        return rows_image_init(d, &d->img[0], d->rows->before_present);
    default:
        if (rows_image_init(d, &d->img[0], d->rows->before_present) != REPL_OK)
            return REPL_ERR_CORRUPT;
        return rows_image_init(d, &d->img[1], d->rows->after_present);
    }
}

/* ---- images ---------------------------------------------------------------------------------- */

/* A partial JSON value: length (plan width bytes) then the diff list (json_diff.cc). */
static int rows_partial_json(rows_dec *d, uint32_t i, thl_value *out)
{
    const ext_col_plan *p = &d->map->plan[i];
    repl_error jerr;
    char ref[16];
    uint64_t len = rd_uint_le(&d->rd, p->width);
    if (!rd_ok(&d->rd) || len > rd_left(&d->rd))
        return rows_col_fail(d, i, "truncated partial JSON value");
    const uint8_t *diff = rd_take(&d->rd, len);
    snprintf(ref, sizeof(ref), "@%u", i + 1);
    repl_buf_clear(&d->vc.scratch);
    if (ext_json_diff_to_text(&d->vc.scratch, diff, len, ref, &jerr) != REPL_OK)
        return rows_col_fail(d, i, jerr.msg);
    thl_value_set_bytes(d->ev, out, THL_VAL_STRING, d->vc.scratch.data, d->vc.scratch.len);
    d->rows->cols[i].flags |= EXT_COL_JSON_PARTIAL;
    return REPL_OK;
}

static int rows_is_partial(const rows_dec *d, uint32_t i, const uint8_t *partial)
{
    if (partial == NULL || d->map->binlog_types[i] != EXT_COL_JSON)
        return 0;
    return thl_bit_get(partial, d->map->json_index[i]);
}

/* NULL bitmap (one bit per present column) then the present non-NULL values. */
static int rows_image_decode(rows_dec *d, const rows_image *im, thl_value *vals,
                             const uint8_t *partial)
{
    const uint8_t *nulls = rd_take(&d->rd, (im->n + 7) / 8);
    if (nulls == NULL)
        return rows_fail(d, ": truncated NULL bitmap at row %u", d->row_no);
    for (uint32_t k = 0; k < im->n; k++) {
        uint32_t i = im->cols[k];
        if (thl_bit_get(nulls, k))
            continue;
        if (rows_is_partial(d, i, partial)) {
            if (rows_partial_json(d, i, &vals[i]) != REPL_OK)
                return REPL_ERR_CORRUPT;
            continue;
        }
        if (ext_value_decode(&d->map->plan[i], &d->rd, &vals[i], &d->vc) != REPL_OK)
            return rows_col_fail(d, i, d->vc.reason);
    }
    return REPL_OK;
}

/* PARTIAL_UPDATE_ROWS: value_options (packed) and, with PARTIAL_JSON, one bit per JSON column of
 * the table telling whether its after-image value is a diff list. */
static int rows_shared_image(rows_dec *d, const uint8_t **partial)
{
    uint64_t opts = rd_packed(&d->rd);
    *partial = NULL;
    if (!rd_ok(&d->rd))
        return rows_fail(d, ": truncated shared image at row %u", d->row_no);
    if (opts & ~(uint64_t)ROWS_VALUE_OPTION_PARTIAL_JSON)
        return rows_fail(d, ": unknown binlog_row_value_options %llu at row %u",
                         (unsigned long long)opts, d->row_no);
    if ((opts & ROWS_VALUE_OPTION_PARTIAL_JSON) == 0)
        return REPL_OK;
    *partial = rd_take(&d->rd, (d->map->n_json + 7) / 8);
    if (*partial == NULL)
        return rows_fail(d, ": truncated partial JSON bitmap at row %u", d->row_no);
    return REPL_OK;
}

static int rows_decode_row(rows_dec *d)
{
    thl_row *row = thl_rows_add_row(d->ev, d->rows);
    const uint8_t *partial = NULL;
    d->row_no++;
    switch (d->info.action) {
    case THL_ROW_INSERT:
        return rows_image_decode(d, &d->img[0], row->after, NULL);
    case THL_ROW_DELETE:
        return rows_image_decode(d, &d->img[0], row->before, NULL);
    default:
        if (rows_image_decode(d, &d->img[0], row->before, NULL) != REPL_OK)
            return REPL_ERR_CORRUPT;
        if (d->info.partial && rows_shared_image(d, &partial) != REPL_OK)
            return REPL_ERR_CORRUPT;
        return rows_image_decode(d, &d->img[1], row->after, partial);
    }
}

int ext_rows_decode(thl_rows **out, thl_event *ev, const ext_table_map *map, int event_type,
                    const uint8_t *body, size_t len, unsigned post_header_len, repl_error *err)
{
    rows_dec d;
    int rc;
    memset(&d, 0, sizeof(d));
    *out = NULL;
    d.map = map;
    d.ev = ev;
    d.err = err;
    ext_val_ctx_init(&d.vc, ev);
    rc = rows_parse_head(&d.info, &d.rd, event_type, body, len, post_header_len, err);
    if (rc != REPL_OK)
        goto cleanup;
    if (d.info.table_id != map->table_id) {
        rc = rows_fail(&d, ": the event is for table id %llu, the TABLE_MAP for %llu",
                       (unsigned long long)d.info.table_id, (unsigned long long)map->table_id);
        goto cleanup;
    }
    rc = rows_setup(&d);
    while (rc == REPL_OK && rd_left(&d.rd) > 0) {
        size_t left = rd_left(&d.rd);
        rc = rows_decode_row(&d);
        /* images without columns take no bytes: what remains cannot be rows */
        if (rc == REPL_OK && rd_left(&d.rd) == left)
            rc = rows_fail(&d, ": %zu bytes after the rows, whose images have no columns", left);
    }
    if (rc == REPL_OK)
        *out = d.rows;
cleanup:
    repl_free(d.img[0].cols);
    repl_free(d.img[1].cols);
    ext_val_ctx_dispose(&d.vc);
    return rc;
}
