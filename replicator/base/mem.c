/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replicator/base/mem.c - aborting allocation wrappers and the bump arena. */
#include "replicator/base/mem.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void mem_oom(size_t size)
{
    fprintf(stderr, "trep: out of memory allocating %zu bytes\n", size);
    abort();
}

void *repl_malloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (p == NULL)
        mem_oom(size);
    return p;
}

void *repl_calloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (p == NULL)
        mem_oom(count * size);
    return p;
}

void *repl_realloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (p == NULL)
        mem_oom(size);
    return p;
}

char *repl_strdup(const char *s)
{
    return repl_strndup(s, strlen(s));
}

char *repl_strndup(const char *s, size_t len)
{
    char *p = repl_malloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

void *repl_try_malloc(size_t size)
{
    return malloc(size ? size : 1);
}

void repl_free(void *ptr)
{
    free(ptr);
}

typedef struct arena_chunk {
    struct arena_chunk *next;
    size_t size;
    size_t used;
    _Alignas(8) unsigned char data[];
} arena_chunk;

struct repl_arena {
    arena_chunk *head;
    size_t chunk_bytes;
    size_t total_used;
};

static arena_chunk *arena_chunk_new(size_t size)
{
    arena_chunk *c = repl_malloc(sizeof(*c) + size);
    c->next = NULL;
    c->size = size;
    c->used = 0;
    return c;
}

repl_arena *repl_arena_new(size_t chunk_bytes)
{
    repl_arena *a = repl_calloc(1, sizeof(*a));
    a->chunk_bytes = chunk_bytes < 256 ? 256 : chunk_bytes;
    a->head = arena_chunk_new(a->chunk_bytes);
    return a;
}

void repl_arena_free(repl_arena *arena)
{
    arena_chunk *c;
    if (arena == NULL)
        return;
    c = arena->head;
    while (c != NULL) {
        arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    free(arena);
}

void repl_arena_reset(repl_arena *arena)
{
    arena_chunk *keep = arena->head;
    arena_chunk *c;
    /* keep the last chunk in the list: it is the oldest, of the base size */
    while (keep->next != NULL) {
        c = keep;
        keep = keep->next;
        free(c);
    }
    keep->used = 0;
    arena->head = keep;
    arena->total_used = 0;
}

void *repl_arena_alloc(repl_arena *arena, size_t size)
{
    size_t need = (size + 7) & ~(size_t)7;
    arena_chunk *c = arena->head;
    void *p;
    if (need == 0)
        need = 8;
    if (c->size - c->used < need) {
        size_t csize = need > arena->chunk_bytes ? need : arena->chunk_bytes;
        c = arena_chunk_new(csize);
        c->next = arena->head;
        arena->head = c;
    }
    p = c->data + c->used;
    c->used += need;
    arena->total_used += need;
    return p;
}

void *repl_arena_memdup(repl_arena *arena, const void *src, size_t size)
{
    void *p = repl_arena_alloc(arena, size);
    if (size > 0)
        memcpy(p, src, size);
    return p;
}

char *repl_arena_strndup(repl_arena *arena, const char *s, size_t len)
{
    char *p = repl_arena_alloc(arena, len + 1);
    if (len > 0)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

size_t repl_arena_used(const repl_arena *arena)
{
    return arena->total_used;
}
