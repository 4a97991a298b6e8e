/*
 * arena.c: region allocator. Memory comes in blocks chained from the arena; an allocation
 * bumps a pointer in the current block, and one that does not fit starts a new block at least
 * twice as large as the previous (or the size asked, for a large allocation). Reset keeps the
 * first block so a request that stays small never calls malloc after the first one.
 */
#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define ALIGNMENT 16 /* max_align_t on x86_64 and aarch64 */

struct block {
    struct block *next; /* the block allocated before this one */
    size_t size;        /* usable bytes in data */
    size_t used;        /* bytes handed out */
    _Alignas(ALIGNMENT) unsigned char data[];
};

struct arena {
    struct block *head;  /* the current (newest) block */
    struct block *first; /* kept across resets */
    size_t total;        /* bytes handed out since reset */
};

/* A new block with room for size bytes. */
static struct block *block_new(size_t size)
{
    struct block *b = xmalloc(sizeof *b + size);
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

struct arena *arena_new(size_t first_block)
{
    struct arena *a = xmalloc(sizeof *a);
    a->first = a->head = block_new(first_block ? first_block : 8192);
    a->total = 0;
    return a;
}

void arena_free(struct arena *a)
{
    if (!a)
        return;
    struct block *b = a->head;
    while (b) {
        struct block *next = b->next;
        free(b);
        b = next;
    }
    free(a);
}

void arena_reset(struct arena *a)
{
    struct block *b = a->head;
    while (b != a->first) {
        struct block *next = b->next;
        free(b);
        b = next;
    }
    a->head = a->first;
    a->first->used = 0;
    a->total = 0;
}

void *arena_alloc(struct arena *a, size_t size)
{
    size_t rounded = (size + ALIGNMENT - 1) & ~(size_t)(ALIGNMENT - 1);
    if (rounded < size) { /* overflow */
        fprintf(stderr, "broadsheet: arena allocation of %zu bytes overflows\n", size);
        abort();
    }
    struct block *b = a->head;
    if (b->size - b->used < rounded) {
        size_t want = b->size * 2;
        if (want < rounded)
            want = rounded;
        struct block *nb = block_new(want);
        nb->next = b;
        a->head = b = nb;
    }
    void *p = b->data + b->used;
    b->used += rounded;
    a->total += rounded;
    return p;
}

void *arena_calloc(struct arena *a, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) {
        fprintf(stderr, "broadsheet: arena allocation of %zu x %zu overflows\n", count, size);
        abort();
    }
    void *p = arena_alloc(a, count * size);
    memset(p, 0, count * size);
    return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t len)
{
    char *p = arena_alloc(a, len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
    va_list ap, copy;
    va_start(ap, fmt);
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        n = 0;
    char *p = arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

size_t arena_used(const struct arena *a)
{
    return a->total;
}
