/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replicator/base/mem.h - allocation wrappers. repl_malloc & co abort on OOM (Redis zmalloc); sizes
 * that come from input use repl_try_malloc and report failure. Also a simple arena for per-event
 * data. */
#ifndef REPL_MEM_H
#define REPL_MEM_H

#include <stddef.h>

void *repl_malloc(size_t size);
void *repl_calloc(size_t count, size_t size);
void *repl_realloc(void *ptr, size_t size);
char *repl_strdup(const char *s);
char *repl_strndup(const char *s, size_t len);
/** Returns NULL on failure instead of aborting: for sizes read from disk or the wire. */
void *repl_try_malloc(size_t size);
void repl_free(void *ptr);

/** A bump allocator: many small allocations released together (one THL event's strings and values).
 * Not thread-safe; owned by whoever owns the object it serves. */
typedef struct repl_arena repl_arena;

repl_arena *repl_arena_new(size_t chunk_bytes);
void repl_arena_free(repl_arena *arena);
/** Forget every allocation, keep the first chunk for reuse. */
void repl_arena_reset(repl_arena *arena);
/** Aligned to 8 bytes; aborts on OOM. Size 0 returns a valid unique pointer. */
void *repl_arena_alloc(repl_arena *arena, size_t size);
void *repl_arena_memdup(repl_arena *arena, const void *src, size_t size);
/** Copy len bytes and add a terminating NUL. */
char *repl_arena_strndup(repl_arena *arena, const char *s, size_t len);
/** Total bytes handed out since the last reset. */
size_t repl_arena_used(const repl_arena *arena);

#endif
