/*
 * test_cache.c: the page cache (src/cache.c): hits hand out a reference that outlives an
 * eviction, the byte budget holds, entries are evicted singly, a scan of pages read once does not
 * push out pages in use (S3-FIFO), a key evicted unread and asked for again is kept (the ghost
 * queue), invalidation drops exactly the entries with a changed tag, a page rendered before a
 * change is not kept, facts live beside pages, and concurrent hits, inserts and invalidations
 * are safe (run under ASan and UBSan by `make asan-test`).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "cache.h"
#include "check.h"
#include "entity.h"

/* An entity with a body of len bytes of c (not compressed: its size is then predictable). */
static struct entity *page(size_t len, char c)
{
    char body[65536];
    if (len > sizeof body)
        len = sizeof body;
    memset(body, c, len);
    return entity_new(200, "text/html", "no-cache", body, len, 0);
}

/* Puts a new page of len bytes under key with tags, at the current epoch. */
static void put_page(struct page_cache *c, const char *key, size_t len, const char *tags)
{
    struct entity *e = page(len, 'x');
    cache_put(c, key, e, tags, cache_epoch(c));
    entity_free(e);
}

/* Looks key up as a request would: 1 on a hit. */
static int hit(struct page_cache *c, const char *key)
{
    struct entity *e = cache_get(c, key);
    entity_free(e);
    return e != NULL;
}

static void test_new_is_empty(void)
{
    static const size_t budgets[] = {0, 1, 65536, 1 << 20, (size_t)1 << 30};
    for (size_t i = 0; i < sizeof budgets / sizeof budgets[0]; i++) {
        struct page_cache *c = cache_new(budgets[i]);
        struct cache_stats s;
        cache_stats(c, &s);
        CHECK_INT(s.entries, 0);
        CHECK_INT(s.bytes, 0);
        CHECK(s.budget >= 65536); /* a floor, so that one page always fits */
        CHECK(!hit(c, "/"));
        cache_free(c);
    }
    cache_free(NULL); /* fine, like free */
}

/* A hit is the very entity put, with a reference of its own: a flush meanwhile does not free
 * it under the request that is sending it. */
static void test_hit_outlives_flush(void)
{
    struct page_cache *c = cache_new(1 << 20);
    struct entity *e = page(1000, 'a');
    cache_put(c, "/a", e, "nav", cache_epoch(c));
    entity_free(e); /* the cache keeps its own */
    struct entity *got = cache_get(c, "/a");
    CHECK(got == e);
    cache_flush(c);
    CHECK(!hit(c, "/a"));
    size_t len;
    const char *body = entity_body(got, &len);
    CHECK_INT(len, 1000);
    CHECK(body[0] == 'a' && body[999] == 'a');
    entity_free(got);
    struct cache_stats s;
    cache_stats(c, &s);
    CHECK_INT(s.hits, 1);
    CHECK_INT(s.misses, 1);
    CHECK_INT(s.flushes, 1);
    cache_free(c);
}

/* The budget holds whatever is inserted, pages go one at a time (never all at once), and a
 * replaced key is counted once. */
static void test_budget_and_single_evictions(void)
{
    size_t budget = 1 << 20;
    struct page_cache *c = cache_new(budget);
    char key[32];
    struct cache_stats s;
    for (int i = 0; i < 2000; i++) {
        snprintf(key, sizeof key, "/p/%d", i);
        put_page(c, key, 5000 + (size_t)(i % 7) * 1000, NULL);
        cache_stats(c, &s);
        CHECK(s.bytes <= budget);
        if (s.bytes > budget)
            break;
    }
    CHECK(s.evictions > 0);
    CHECK(s.entries > 50);    /* about 1 MiB / 9 KiB of pages stay */
    CHECK(hit(c, "/p/1999")); /* the newest is there */
    CHECK(!hit(c, "/p/0"));   /* the oldest, never read, is not */
    size_t entries = s.entries;
    put_page(c, "/p/1999", 5000, NULL); /* replaced in place */
    cache_stats(c, &s);
    CHECK_INT(s.entries, entries);
    cache_free(c);
}

/* What a cached page makes later (its pieces' gzip segments) is charged to its entry: the count
 * grows by it, the budget holds (others are evicted), and a charge for an entity that is no
 * longer the key's (a newer version was put) or for a key not cached changes nothing. */
static void test_charge(void)
{
    size_t budget = 1 << 20;
    struct page_cache *c = cache_new(budget);
    char key[32];
    for (int i = 0; i < 50; i++) { /* about 400 KiB */
        snprintf(key, sizeof key, "/p/%d", i);
        put_page(c, key, 5000, NULL);
    }
    struct cache_stats before, after;
    cache_stats(c, &before);
    CHECK_INT(before.evictions, 0);
    struct entity *e = cache_get(c, "/p/25");
    CHECK(e != NULL);
    cache_charge(c, "/p/25", e, 1000);
    cache_stats(c, &after);
    CHECK_INT(after.bytes, before.bytes + 1000);
    cache_charge(c, "/nowhere", e, 1000);
    put_page(c, "/p/25", 5000, NULL); /* a newer version: the old entity's charge is not its */
    cache_stats(c, &before);
    cache_charge(c, "/p/25", e, 1000);
    cache_stats(c, &after);
    CHECK_INT(after.bytes, before.bytes);
    entity_free(e);
    e = cache_get(c, "/p/49");
    cache_charge(c, "/p/49", e, budget * 3 / 4); /* pushes the cache over: others go */
    cache_stats(c, &after);
    CHECK(after.bytes <= budget);
    CHECK(after.evictions > 0);
    entity_free(e);
    cache_free(c);
}

/* The home page and today's stories, read often, survive a crawl through ten times the budget
 * of pages each read once; under an LRU they would be gone. */
static void test_scan_keeps_hot_set(void)
{
    struct page_cache *c = cache_new(1 << 20);
    char key[32];
    for (int i = 0; i < 20; i++) {
        snprintf(key, sizeof key, "/hot/%d", i);
        put_page(c, key, 10000, NULL);
    }
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 20; i++) {
            snprintf(key, sizeof key, "/hot/%d", i);
            CHECK(hit(c, key));
        }
    for (int i = 0; i < 1000; i++) { /* the crawl: 10 MB of pages, each read once */
        snprintf(key, sizeof key, "/old/%d", i);
        if (!hit(c, key))
            put_page(c, key, 10000, NULL);
    }
    int kept = 0;
    for (int i = 0; i < 20; i++) {
        snprintf(key, sizeof key, "/hot/%d", i);
        kept += cache_has(c, key);
    }
    CHECK_INT(kept, 20);
    struct cache_stats s;
    cache_stats(c, &s);
    CHECK(s.evictions >= 900);
    cache_free(c);
}

/* A page evicted before anyone read it, then asked for again (a ghost hit), goes to the main
 * queue: a following crawl does not evict it although it was never read since. */
static void test_ghost_readmits_to_main(void)
{
    struct page_cache *c = cache_new(1 << 20);
    char key[32];
    put_page(c, "/back", 10000, NULL);
    for (int i = 0; i < 200; i++) { /* pushes /back out unread */
        snprintf(key, sizeof key, "/a/%d", i);
        put_page(c, key, 10000, NULL);
    }
    CHECK(!cache_has(c, "/back"));
    put_page(c, "/back", 10000, NULL); /* asked for again: rendered and put */
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "/b/%d", i);
        put_page(c, key, 10000, NULL);
    }
    CHECK(cache_has(c, "/back"));
    cache_free(c);
}

/* An edit drops exactly the pages that show it. */
static void test_invalidate_by_tag(void)
{
    struct page_cache *c = cache_new(1 << 20);
    put_page(c, "/", 1000, "nav list:all");
    put_page(c, "/sections/a", 1000, "nav list:section:1");
    put_page(c, "/sections/b", 1000, "nav list:section:2");
    put_page(c, "/articles/one", 1000, "nav article:1");
    put_page(c, "/articles/two", 1000, "nav article:2");
    put_page(c, "/articles/twelve", 1000, "nav article:12");
    put_page(c, "/untagged", 1000, NULL);
    const char *edit[] = {"article:1", "list:all", "list:section:1", "list:publication:1"};
    CHECK_INT(cache_invalidate(c, edit, 4), 3);
    CHECK(!cache_has(c, "/"));
    CHECK(!cache_has(c, "/sections/a"));
    CHECK(!cache_has(c, "/articles/one"));
    CHECK(cache_has(c, "/sections/b"));
    CHECK(cache_has(c, "/articles/two"));
    CHECK(cache_has(c, "/articles/twelve")); /* "article:1" is not a prefix match */
    CHECK(cache_has(c, "/untagged"));
    const char *nav[] = {"nav"};
    CHECK_INT(cache_invalidate(c, nav, 1), 3);
    CHECK(cache_has(c, "/untagged"));
    struct cache_stats s;
    cache_stats(c, &s);
    CHECK_INT(s.invalidations, 6);
    CHECK_INT(s.entries, 1);
    cache_free(c);
}

/* A page rendered from the data before a change, put after the change was invalidated, is not
 * kept (it would be stale for good); one put at the new epoch is. */
static void test_stale_put_refused(void)
{
    struct page_cache *c = cache_new(1 << 20);
    uint64_t before = cache_epoch(c);
    const char *edit[] = {"article:1"};
    cache_invalidate(c, edit, 1);
    struct entity *e = page(1000, 'o');
    cache_put(c, "/articles/one", e, "article:1", before);
    CHECK(!cache_has(c, "/articles/one"));
    cache_put(c, "/articles/one", e, "article:1", cache_epoch(c));
    CHECK(cache_has(c, "/articles/one"));
    entity_free(e);
    struct cache_stats s;
    cache_stats(c, &s);
    CHECK_INT(s.stale, 1);
    cache_free(c);
}

/* cache_expire (the clock's pages, issue 12) drops exactly the entries with the tag, as
 * cache_invalidate does, but moves no epoch: a page rendered before it is still kept. */
static void test_expire_keeps_epoch(void)
{
    struct page_cache *c = cache_new(1 << 20);
    struct entity *e = page(1000, 'n');
    cache_put(c, "/sitemaps/news.xml", e, "list:all clock:minute", cache_epoch(c));
    cache_put(c, "/", e, "list:all nav", cache_epoch(c));
    uint64_t before = cache_epoch(c);
    const char *clock[] = {"clock:minute"};
    CHECK_INT(cache_expire(c, clock, 1), 1);
    CHECK(!cache_has(c, "/sitemaps/news.xml"));
    CHECK(cache_has(c, "/"));
    CHECK(cache_epoch(c) == before);
    cache_put(c, "/sitemaps/news.xml", e, "list:all clock:minute", before);
    CHECK(cache_has(c, "/sitemaps/news.xml"));
    entity_free(e);
    cache_free(c);
}

/* An entity of more than an eighth of the budget is not kept: it would push out too much. */
static void test_oversize_not_kept(void)
{
    struct page_cache *c = cache_new(65536);
    put_page(c, "/small", 1000, NULL);
    put_page(c, "/big", 20000, NULL);
    CHECK(cache_has(c, "/small"));
    CHECK(!cache_has(c, "/big"));
    cache_free(c);
}

static void test_facts(void)
{
    struct page_cache *c = cache_new(1 << 20);
    int64_t facts[2] = {12, 1}, got[2] = {0, 0};
    CHECK(!cache_get_facts(c, "/articles/x", got));
    cache_put_facts(c, "/articles/x", facts, "article:12", cache_epoch(c));
    CHECK(cache_get_facts(c, "/articles/x", got));
    CHECK_INT(got[0], 12);
    CHECK_INT(got[1], 1);
    const char *edit[] = {"article:12"};
    CHECK_INT(cache_invalidate(c, edit, 1), 1);
    CHECK(!cache_get_facts(c, "/articles/x", got));
    cache_free(c);
}

#define THREADS 4
#define OPS 4000

struct worker {
    struct page_cache *c;
    unsigned seed;
};

static void *churn(void *arg)
{
    struct worker *w = arg;
    char key[32], tag[32];
    for (int i = 0; i < OPS; i++) {
        w->seed = w->seed * 1103515245u + 12345u;
        unsigned k = (w->seed >> 8) % 300, op = (w->seed >> 20) % 10;
        snprintf(key, sizeof key, "/k/%u", k);
        snprintf(tag, sizeof tag, "article:%u", k % 50);
        if (op < 6) {
            struct entity *e = cache_get(w->c, key);
            if (e) {
                size_t len;
                const char *body = entity_body(e, &len);
                if (len && body[len - 1] != 'x') /* read it, as a send would */
                    CHECK(0);
                entity_free(e);
            }
        } else if (op < 9) {
            put_page(w->c, key, 2000 + k * 10, tag);
        } else {
            const char *tags[] = {tag};
            cache_invalidate(w->c, tags, 1);
        }
    }
    return NULL;
}

static void test_concurrent(void)
{
    size_t budget = 256 * 1024;
    struct page_cache *c = cache_new(budget);
    pthread_t threads[THREADS];
    struct worker workers[THREADS];
    int started = 0;
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (struct worker){c, (unsigned)i * 7919u + 1};
        if (pthread_create(&threads[i], NULL, churn, &workers[i]) != 0)
            break;
        started++;
    }
    CHECK_INT(started, THREADS);
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    struct cache_stats s;
    cache_stats(c, &s);
    CHECK(s.bytes <= budget);
    CHECK(s.hits > 0 && s.inserts > 0);
    cache_free(c);
}

void suite_cache(void)
{
    RUN(test_charge);
    RUN(test_new_is_empty);
    RUN(test_hit_outlives_flush);
    RUN(test_budget_and_single_evictions);
    RUN(test_scan_keeps_hot_set);
    RUN(test_ghost_readmits_to_main);
    RUN(test_invalidate_by_tag);
    RUN(test_stale_put_refused);
    RUN(test_expire_keeps_epoch);
    RUN(test_oversize_not_kept);
    RUN(test_facts);
    RUN(test_concurrent);
}
