/*
 * test_arena.c: tests of src/arena.c, the per-request region allocator. Checks what request code
 * relies on: every pointer is aligned for any type (16 bytes), allocations never overlap, an
 * allocation larger than a block still works, reset forgets everything (arena_used back to 0)
 * and the arena stays usable over many reset cycles, calloc gives zeroes even from reused
 * memory, and strdup/strndup/printf give the exact strings asked for.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "check.h"

/* 1 if p is aligned to 16 bytes (max_align_t on the platforms Broadsheet runs on). */
static int aligned16(const void *p)
{
    return ((uintptr_t)p & 15u) == 0;
}

/* Many small allocations of odd sizes: each aligned, each fully writable, none overlapping
 * another (each keeps the pattern written into it). */
static void test_many_small_allocs(void)
{
    enum { COUNT = 5000 };
    struct arena *a = arena_new(0);
    unsigned char **ptrs = calloc(COUNT, sizeof *ptrs);
    size_t total = 0;
    int misaligned = 0;
    for (size_t i = 0; i < COUNT; i++) {
        size_t size = 1 + i % 37;
        ptrs[i] = arena_alloc(a, size);
        if (!aligned16(ptrs[i]))
            misaligned++;
        memset(ptrs[i], (int)(i & 0xff), size);
        total += size;
    }
    CHECK_INT(misaligned, 0);
    int corrupted = 0;
    for (size_t i = 0; i < COUNT; i++)
        for (size_t k = 0; k < 1 + i % 37; k++)
            if (ptrs[i][k] != (unsigned char)(i & 0xff))
                corrupted++;
    CHECK_INT(corrupted, 0);
    CHECK(arena_used(a) >= total);
    free(ptrs);
    arena_free(a);
}

/* Every size from 0 to 300 gives an aligned, non-NULL pointer, in a tiny first block too. */
static void test_alignment_every_size(void)
{
    struct arena *a = arena_new(32);
    int bad = 0;
    for (size_t size = 0; size <= 300; size++) {
        void *p = arena_alloc(a, size);
        if (!p || !aligned16(p))
            bad++;
    }
    CHECK_INT(bad, 0);
    /* a long double and a pointer stored through arena memory */
    long double *ld = arena_alloc(a, sizeof *ld);
    *ld = 1.5L;
    CHECK(*ld == 1.5L);
    arena_free(a);
}

/* An allocation far bigger than the first block works, is writable in full, and leaves the
 * allocations before it intact; small allocations after it still work. */
static void test_large_alloc(void)
{
    struct arena *a = arena_new(64);
    char *before = arena_strdup(a, "before");
    size_t big_size = 1u << 20;
    unsigned char *big = arena_alloc(a, big_size);
    CHECK(big != NULL);
    CHECK(aligned16(big));
    memset(big, 0xAB, big_size);
    CHECK(big[0] == 0xAB && big[big_size - 1] == 0xAB);
    char *after = arena_strdup(a, "after");
    CHECK_STR(before, "before");
    CHECK_STR(after, "after");
    CHECK(aligned16(after));
    CHECK(after < (char *)big || after >= (char *)big + big_size);
    CHECK(arena_used(a) >= big_size + 6 + 7);
    arena_free(a);
}

/* Reset brings arena_used back to 0 and the arena keeps working, including after blocks beyond
 * the first were added; many cycles (checked for leaks under ASan). */
static void test_reset(void)
{
    struct arena *a = arena_new(128);
    CHECK_INT(arena_used(a), 0);
    for (int cycle = 0; cycle < 50; cycle++) {
        for (int i = 0; i < 20; i++)
            arena_alloc(a, 100);
        arena_alloc(a, 10000); /* beyond the first block */
        CHECK(arena_used(a) >= 20 * 100 + 10000);
        arena_reset(a);
        CHECK_INT(arena_used(a), 0);
    }
    char *s = arena_printf(a, "cycle %d", 51);
    CHECK_STR(s, "cycle 51");
    CHECK(aligned16(s));
    arena_reset(a);
    CHECK_INT(arena_used(a), 0);
    /* a reset of a fresh arena is fine too */
    struct arena *fresh = arena_new(0);
    arena_reset(fresh);
    CHECK_INT(arena_used(fresh), 0);
    CHECK_STR(arena_strdup(fresh, "ok"), "ok");
    arena_free(fresh);
    arena_free(a);
}

/* arena_used grows with every allocation by at least its size. */
static void test_used_counts(void)
{
    struct arena *a = arena_new(0);
    size_t last = arena_used(a);
    int shrank = 0;
    for (size_t size = 1; size < 100; size += 7) {
        arena_alloc(a, size);
        size_t now = arena_used(a);
        if (now < last + size)
            shrank++;
        last = now;
    }
    CHECK_INT(shrank, 0);
    arena_free(a);
}

/* calloc gives zeroes even when the memory was used and dirtied before a reset. */
static void test_calloc_zeroes_reused_memory(void)
{
    struct arena *a = arena_new(4096);
    unsigned char *dirty = arena_alloc(a, 1000);
    memset(dirty, 0xFF, 1000);
    arena_reset(a);
    unsigned char *clean = arena_calloc(a, 250, 4);
    int nonzero = 0;
    for (size_t i = 0; i < 1000; i++)
        if (clean[i])
            nonzero++;
    CHECK_INT(nonzero, 0);
    CHECK(aligned16(clean));
    int *ints = arena_calloc(a, 3000, sizeof *ints); /* beyond the block */
    nonzero = 0;
    for (size_t i = 0; i < 3000; i++)
        if (ints[i])
            nonzero++;
    CHECK_INT(nonzero, 0);
    CHECK(arena_calloc(a, 0, 8) != NULL);
    arena_free(a);
}

static void test_strdup_strndup(void)
{
    struct arena *a = arena_new(16);
    const char *src = "hello, world";
    char *copy = arena_strdup(a, src);
    CHECK_STR(copy, "hello, world");
    CHECK(copy != src);
    CHECK_STR(arena_strdup(a, ""), "");
    CHECK_STR(arena_strndup(a, src, 5), "hello");
    CHECK_STR(arena_strndup(a, src, 0), "");
    CHECK_STR(arena_strndup(a, "caf\xc3\xa9!", 5), "caf\xc3\xa9");
    char longer[5000];
    memset(longer, 'x', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    char *long_copy = arena_strdup(a, longer);
    CHECK_INT(strlen(long_copy), sizeof longer - 1);
    CHECK(strcmp(long_copy, longer) == 0);
    arena_free(a);
}

static void test_printf(void)
{
    struct arena *a = arena_new(32);
    CHECK_STR(arena_printf(a, "%d-%s-%c", 42, "x", 'y'), "42-x-y");
    CHECK_STR(arena_printf(a, "%s", ""), "");
    CHECK_STR(arena_printf(a, "100%%"), "100%");
    CHECK_STR(arena_printf(a, "%05.1f|%-4s|", 3.14159, "ab"), "003.1|ab  |");
    /* output far longer than the block */
    char part[3001];
    memset(part, 'z', 3000);
    part[3000] = '\0';
    char *s = arena_printf(a, "[%s][%s]", part, part);
    CHECK_INT(strlen(s), 6004);
    CHECK(s[0] == '[' && s[3001] == ']' && s[3002] == '[' && s[6003] == ']');
    CHECK(aligned16(s));
    arena_free(a);
}

static void test_free_null(void)
{
    arena_free(NULL); /* documented as fine: must not crash */
    CHECK(1);
}

void suite_arena(void)
{
    RUN(test_many_small_allocs);
    RUN(test_alignment_every_size);
    RUN(test_large_alloc);
    RUN(test_reset);
    RUN(test_used_counts);
    RUN(test_calloc_zeroes_reused_memory);
    RUN(test_strdup_strndup);
    RUN(test_printf);
    RUN(test_free_null);
}
