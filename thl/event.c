/* SPDX-License-Identifier: GPL-2.0-or-later */
/* thl/event.c - the transaction event model: an event, its arena, and the builders that append
 * metadata, statements, row changes and values to it. Every byte reachable from an event lives in
 * the event's arena and is released with it. Knows nothing about encoding, LMDB or MySQL; not
 * thread-safe (one owner at a time). */
#include "thl/event.h"

#include <string.h>

#define EVENT_ARENA_CHUNK 4096

static const char event_empty[] = "";

thl_event *thl_event_new(void)
{
    return thl_event_new_sized(EVENT_ARENA_CHUNK);
}

thl_event *thl_event_new_sized(size_t arena_chunk_bytes)
{
    thl_event *ev = repl_calloc(1, sizeof(*ev));
    ev->arena = repl_arena_new(arena_chunk_bytes);
    ev->source_id = event_empty;
    ev->event_id = event_empty;
    ev->shard_id = event_empty;
    return ev;
}

void thl_event_free(thl_event *ev)
{
    if (ev == NULL)
        return;
    repl_arena_free(ev->arena);
    repl_free(ev);
}

void thl_event_reset(thl_event *ev)
{
    repl_arena *arena = ev->arena;
    repl_arena_reset(arena);
    memset(ev, 0, sizeof(*ev));
    ev->arena = arena;
    ev->source_id = event_empty;
    ev->event_id = event_empty;
    ev->shard_id = event_empty;
}

const char *thl_event_strdup(thl_event *ev, const char *s)
{
    if (s == NULL || s[0] == '\0')
        return event_empty;
    return repl_arena_strndup(ev->arena, s, strlen(s));
}

const char *thl_event_strndup(thl_event *ev, const char *s, size_t len)
{
    if (s == NULL || len == 0)
        return event_empty;
    return repl_arena_strndup(ev->arena, s, len);
}

void *thl_event_memdup(thl_event *ev, const void *src, size_t len)
{
    return repl_arena_memdup(ev->arena, src, len);
}

void *thl_event_alloc(thl_event *ev, size_t len)
{
    return repl_arena_alloc(ev->arena, len);
}

size_t thl_event_mem_bytes(const thl_event *ev)
{
    return sizeof(*ev) + repl_arena_used(ev->arena);
}

void thl_event_set_ids(thl_event *ev, const char *source_id, const char *event_id,
                       const char *shard_id)
{
    ev->source_id = thl_event_strdup(ev, source_id);
    ev->event_id = thl_event_strdup(ev, event_id);
    ev->shard_id = thl_event_strdup(ev, shard_id);
}

/* Grow an arena array of elem_bytes elements to hold at least need; the old copy stays in the arena
 * (released with the event), so the caller must switch to the returned array. */
static void *event_grow(thl_event *ev, void *old, uint32_t *cap, uint32_t count, uint32_t need,
                        size_t elem_bytes)
{
    uint32_t ncap = *cap ? *cap : 4;
    void *p;
    if (need <= *cap)
        return old;
    while (ncap < need)
        ncap *= 2;
    p = repl_arena_alloc(ev->arena, (size_t)ncap * elem_bytes);
    if (count > 0)
        memcpy(p, old, (size_t)count * elem_bytes);
    *cap = ncap;
    return p;
}

void thl_event_set_meta(thl_event *ev, const char *key, const char *value)
{
    thl_meta *m;
    for (uint32_t i = 0; i < ev->n_meta; i++) {
        if (strcmp(ev->meta[i].key, key) == 0) {
            ev->meta[i].value = thl_event_strdup(ev, value);
            return;
        }
    }
    ev->meta = event_grow(ev, ev->meta, &ev->meta_cap, ev->n_meta, ev->n_meta + 1, sizeof(*m));
    m = &ev->meta[ev->n_meta++];
    m->key = thl_event_strdup(ev, key);
    m->value = thl_event_strdup(ev, value);
}

const char *thl_event_get_meta(const thl_event *ev, const char *key)
{
    for (uint32_t i = 0; i < ev->n_meta; i++) {
        if (strcmp(ev->meta[i].key, key) == 0)
            return ev->meta[i].value;
    }
    return NULL;
}

static thl_item *event_add_item(thl_event *ev, thl_item_kind kind)
{
    thl_item *it;
    ev->items =
        event_grow(ev, ev->items, &ev->items_cap, ev->n_items, ev->n_items + 1, sizeof(*it));
    it = &ev->items[ev->n_items++];
    memset(it, 0, sizeof(*it));
    it->kind = (uint8_t)kind;
    return it;
}

thl_statement *thl_event_add_statement(thl_event *ev)
{
    thl_item *it = event_add_item(ev, THL_ITEM_STATEMENT);
    it->u.stmt.schema = event_empty;
    it->u.stmt.session.time_zone = event_empty;
    return &it->u.stmt;
}

/* A bitmap of ncols bits, all set (padding bits of the last byte clear). */
static uint8_t *event_bitmap_all(thl_event *ev, uint32_t ncols)
{
    size_t nbytes = ((size_t)ncols + 7) / 8;
    uint8_t *bm = repl_arena_alloc(ev->arena, nbytes);
    if (nbytes > 0)
        memset(bm, 0xff, nbytes);
    if (ncols % 8 != 0)
        bm[nbytes - 1] = (uint8_t)((1u << (ncols % 8)) - 1);
    return bm;
}

thl_rows *thl_event_add_rows(thl_event *ev, const char *schema, const char *table,
                             thl_row_action action, uint32_t ncols)
{
    thl_item *it = event_add_item(ev, THL_ITEM_ROWS);
    thl_rows *rows = &it->u.rows;
    rows->schema = thl_event_strdup(ev, schema);
    rows->table = thl_event_strdup(ev, table);
    rows->action = (uint8_t)action;
    rows->ncols = ncols;
    rows->cols = repl_arena_alloc(ev->arena, (size_t)ncols * sizeof(thl_column));
    memset(rows->cols, 0, (size_t)ncols * sizeof(thl_column));
    for (uint32_t i = 0; i < ncols; i++)
        rows->cols[i].name = event_empty;
    if (action != THL_ROW_INSERT)
        rows->before_present = event_bitmap_all(ev, ncols);
    if (action != THL_ROW_DELETE)
        rows->after_present = event_bitmap_all(ev, ncols);
    return rows;
}

static thl_value *event_image_new(thl_event *ev, uint32_t ncols)
{
    thl_value *img = repl_arena_alloc(ev->arena, (size_t)ncols * sizeof(thl_value));
    /* THL_VAL_NULL is 0: a zeroed value is NULL */
    memset(img, 0, (size_t)ncols * sizeof(thl_value));
    return img;
}

thl_row *thl_rows_add_row(thl_event *ev, thl_rows *rows)
{
    thl_row *row;
    rows->rows =
        event_grow(ev, rows->rows, &rows->rows_cap, rows->nrows, rows->nrows + 1, sizeof(*row));
    row = &rows->rows[rows->nrows++];
    row->before = NULL;
    row->after = NULL;
    if (rows->action != THL_ROW_INSERT)
        row->before = event_image_new(ev, rows->ncols);
    if (rows->action != THL_ROW_DELETE)
        row->after = event_image_new(ev, rows->ncols);
    return row;
}

void thl_value_set_bytes(thl_event *ev, thl_value *val, thl_value_kind kind, const void *data,
                         size_t len)
{
    val->kind = (uint8_t)kind;
    val->v.bytes.ptr = len > 0 ? repl_arena_memdup(ev->arena, data, len) : NULL;
    val->v.bytes.len = len;
}

static int value_temporal_equal(const thl_temporal *a, const thl_temporal *b, int date, int time)
{
    if (date && (a->year != b->year || a->month != b->month || a->day != b->day))
        return 0;
    if (time && (a->hour != b->hour || a->minute != b->minute || a->second != b->second ||
                 a->usec != b->usec))
        return 0;
    return 1;
}

static int value_bytes_equal(const thl_value *a, const thl_value *b)
{
    if (a->v.bytes.len != b->v.bytes.len)
        return 0;
    if (a->v.bytes.len == 0)
        return 1;
    return memcmp(a->v.bytes.ptr, b->v.bytes.ptr, a->v.bytes.len) == 0;
}

int thl_value_equal(const thl_value *a, const thl_value *b)
{
    if (a->kind != b->kind)
        return 0;
    switch (a->kind) {
    case THL_VAL_NULL:
        return 1;
    case THL_VAL_INT:
        return a->v.i == b->v.i;
    case THL_VAL_UINT:
    case THL_VAL_BIT:
    case THL_VAL_ENUM:
    case THL_VAL_SET:
        return a->v.u == b->v.u;
    case THL_VAL_FLOAT:
        /* bit-exact: NaN payloads and -0.0 must survive replication */
        return memcmp(&a->v.f, &b->v.f, sizeof(float)) == 0;
    case THL_VAL_DOUBLE:
        return memcmp(&a->v.d, &b->v.d, sizeof(double)) == 0;
    case THL_VAL_DECIMAL:
    case THL_VAL_STRING:
    case THL_VAL_BYTES:
        return value_bytes_equal(a, b);
    case THL_VAL_DATE:
        return value_temporal_equal(&a->v.t, &b->v.t, 1, 0);
    case THL_VAL_TIME:
        return a->v.t.neg == b->v.t.neg && value_temporal_equal(&a->v.t, &b->v.t, 0, 1);
    case THL_VAL_DATETIME:
        return value_temporal_equal(&a->v.t, &b->v.t, 1, 1);
    case THL_VAL_TIMESTAMP:
        return a->v.ts.sec == b->v.ts.sec && a->v.ts.usec == b->v.ts.usec;
    default:
        return 0;
    }
}
