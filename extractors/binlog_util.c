/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extractors/binlog_util.c - small containers of the decoder: the scratch buffer that holds
 * decompressed event bodies (sized from input, so failures are errors, not aborts) and the table
 * map cache (table_id -> parsed TABLE_MAP, open addressing, cleared as a whole). */
#include "extractors/binlog_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "extractors/binlog.h"
#include "extractors/table_map.h"

/* ---- scratch ------------------------------------------------------------------------------------
 */

int ext_scratch_reserve(ext_scratch *s, size_t n, repl_error *err)
{
    uint8_t *p;
    size_t cap;
    if (n <= s->cap)
        return REPL_OK;
    if (n > EXT_MAX_EVENT_BYTES + 4096)
        return repl_error_set(err, REPL_ERR_FULL, "buffer of %zu bytes is beyond the %zu limit", n,
                              EXT_MAX_EVENT_BYTES);
    cap = s->cap ? s->cap : 4096;
    while (cap < n)
        cap *= 2;
    p = repl_try_malloc(cap);
    if (p == NULL)
        return repl_error_sys(err, REPL_ERR_FULL, ENOMEM, "allocate %zu bytes", cap);
    repl_free(s->data);
    s->data = p;
    s->cap = cap;
    return REPL_OK;
}

int ext_scratch_reserve_keep(ext_scratch *s, size_t n, repl_error *err)
{
    ext_scratch bigger = { NULL, 0 };
    int rc;
    if (n <= s->cap)
        return REPL_OK;
    bigger.cap = s->cap;
    rc = ext_scratch_reserve(&bigger, n, err);
    if (rc != REPL_OK)
        return rc;
    if (s->cap > 0)
        memcpy(bigger.data, s->data, s->cap);
    ext_scratch_dispose(s);
    *s = bigger;
    return REPL_OK;
}

void ext_scratch_dispose(ext_scratch *s)
{
    repl_free(s->data);
    s->data = NULL;
    s->cap = 0;
}

/* ---- table cache --------------------------------------------------------------------------------
 */

static size_t slot_of(const ext_table_cache *c, uint64_t id)
{
    uint64_t h = id * 0x9e3779b97f4a7c15ULL;
    size_t i = (size_t)(h >> 32) & (c->cap - 1);
    while (c->slots[i].map != NULL && c->slots[i].id != id)
        i = (i + 1) & (c->cap - 1);
    return i;
}

static void cache_grow(ext_table_cache *c)
{
    ext_table_cache bigger = { NULL, c->cap ? c->cap * 2 : 16, 0 };
    bigger.slots = repl_calloc(bigger.cap, sizeof(*bigger.slots));
    for (size_t i = 0; i < c->cap; i++) {
        if (c->slots[i].map != NULL) {
            size_t j = slot_of(&bigger, c->slots[i].id);
            bigger.slots[j] = c->slots[i];
            bigger.count++;
        }
    }
    repl_free(c->slots);
    *c = bigger;
}

void ext_table_cache_put_take(ext_table_cache *c, uint64_t id, ext_table_map *map)
{
    size_t i;
    if ((c->count + 1) * 4 > c->cap * 3)
        cache_grow(c);
    i = slot_of(c, id);
    if (c->slots[i].map != NULL) {
        ext_table_map_free(c->slots[i].map);
        c->count--;
    }
    c->slots[i].id = id;
    c->slots[i].map = map;
    c->count++;
}

const ext_table_map *ext_table_cache_get(const ext_table_cache *c, uint64_t id)
{
    if (c->count == 0)
        return NULL;
    return c->slots[slot_of(c, id)].map;
}

void ext_table_cache_clear(ext_table_cache *c)
{
    if (c->count == 0)
        return;
    for (size_t i = 0; i < c->cap; i++) {
        ext_table_map_free(c->slots[i].map);
        c->slots[i].map = NULL;
    }
    c->count = 0;
}

void ext_table_cache_dispose(ext_table_cache *c)
{
    ext_table_cache_clear(c);
    repl_free(c->slots);
    c->slots = NULL;
    c->cap = 0;
}
