/*
 * arena.h: a region allocator. Every request gets one (as in h2o's per-request pool); all its
 * strings, parsed query, store results and so on come from it and die together when the request
 * completes, so request code never frees anything and cannot leak. Store lookups outside a
 * request (the command line) use an arena too.
 */
#ifndef BROADSHEET_ARENA_H
#define BROADSHEET_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena;

/* A new arena whose first block holds first_block bytes (0: a default). Free with arena_free. */
struct arena *arena_new(size_t first_block);
/* Frees every block and the arena itself. NULL is fine. */
void arena_free(struct arena *a);
/* Forgets every allocation but keeps the first block, ready for the next request. */
void arena_reset(struct arena *a);
/* size bytes aligned for any type, valid until the arena is reset or freed. Never NULL. */
void *arena_alloc(struct arena *a, size_t size);
/* Zeroed count * size bytes. */
void *arena_calloc(struct arena *a, size_t count, size_t size);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t len);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Total bytes handed out since the last reset (for tests and statistics). */
size_t arena_used(const struct arena *a);

#endif
