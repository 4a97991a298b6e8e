/*
 * test_cache.c: tests of the connection-free parts of src/cache.c, the page cache: a new cache
 * of any size is empty, a lookup in it misses without touching the request, every flush counts
 * as a new generation (also when many threads flush at once), and caches are independent.
 * Inserting (cache_put_send) and hits (cache_send) send on a live connection and are covered by
 * the HTTP tests.
 */
#include <pthread.h>
#include <string.h>

#include "cache.h"
#include "check.h"
#include "req.h"

static void test_new_is_empty(void)
{
    static const size_t sizes[] = {0, 1, 16, 1000, 100000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        struct page_cache *c = cache_new(sizes[i]);
        CHECK(c != NULL);
        CHECK_INT(cache_size(c), 0);
        cache_free(c);
    }
    cache_free(NULL); /* fine, like free */
}

/* A lookup in an empty cache (or after a flush) misses and leaves the request and the result
 * alone, so the caller goes on to render the page. */
static void test_miss(void)
{
    struct page_cache *c = cache_new(16);
    struct req r;
    memset(&r, 0, sizeof r);
    r.method = METHOD_GET;
    r.path = "/articles/x";
    enum MHD_Result result = (enum MHD_Result)77;
    CHECK_INT(cache_send(c, "/articles/x", &r, &result), 0);
    CHECK_INT(cache_send(c, "", &r, &result), 0);
    CHECK_INT(cache_send(c, "/", &r, &result), 0);
    cache_flush(c);
    CHECK_INT(cache_send(c, "/articles/x", &r, &result), 0);
    CHECK_INT(result, 77);
    CHECK_INT(r.answered, 0);
    CHECK_INT(r.status, 0);
    CHECK_INT(r.bytes, 0);
    cache_free(c);
}

static void test_flush_counts_generations(void)
{
    struct page_cache *c = cache_new(16);
    uint64_t start = cache_generation(c);
    CHECK_INT(cache_generation(c), start); /* reading does not change it */
    cache_flush(c);
    CHECK_INT(cache_generation(c), start + 1);
    cache_flush(c);
    cache_flush(c);
    CHECK_INT(cache_generation(c), start + 3);
    CHECK_INT(cache_size(c), 0);
    cache_free(c);
}

static void test_caches_are_independent(void)
{
    struct page_cache *a = cache_new(16), *b = cache_new(16);
    uint64_t a0 = cache_generation(a), b0 = cache_generation(b);
    cache_flush(a);
    cache_flush(a);
    CHECK_INT(cache_generation(a), a0 + 2);
    CHECK_INT(cache_generation(b), b0);
    cache_free(a);
    cache_free(b);
}

enum { FLUSH_THREADS = 8, FLUSHES_PER_THREAD = 500 };

/* Flushes the cache FLUSHES_PER_THREAD times, reading size and generation in between. */
static void *flusher(void *arg)
{
    struct page_cache *c = arg;
    for (int i = 0; i < FLUSHES_PER_THREAD; i++) {
        cache_flush(c);
        (void)cache_size(c);
        (void)cache_generation(c);
    }
    return NULL;
}

/* Concurrent flushes each count: no generation is lost. */
static void test_concurrent_flushes(void)
{
    struct page_cache *c = cache_new(64);
    uint64_t start = cache_generation(c);
    pthread_t threads[FLUSH_THREADS];
    int started = 0;
    for (int i = 0; i < FLUSH_THREADS; i++)
        if (pthread_create(&threads[i], NULL, flusher, c) == 0)
            started++;
        else
            break;
    CHECK_INT(started, FLUSH_THREADS);
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    CHECK_INT(cache_generation(c), start + (uint64_t)started * FLUSHES_PER_THREAD);
    CHECK_INT(cache_size(c), 0);
    cache_free(c);
}

void suite_cache(void)
{
    RUN(test_new_is_empty);
    RUN(test_miss);
    RUN(test_flush_counts_generations);
    RUN(test_caches_are_independent);
    RUN(test_concurrent_flushes);
}
