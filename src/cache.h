/*
 * cache.h: the page cache. A rendered page is an entity (entity.h) kept under a key: the request
 * path plus the variant of the page (an article in full or as the paywall's preview). Pages are
 * rendered on the first request and sent from here until something they show changes.
 *
 * Size: a byte budget (`cache_bytes`), counted from each entity's bodies and headers plus the
 * entry's own bookkeeping. An insert past the budget evicts single entries, chosen by S3-FIFO
 * (Yang et al., SOSP 2023): new entries go into a small FIFO queue (a tenth of the budget); an
 * entry that was hit while there moves on to the main queue, one that was not is evicted and
 * its key's hash remembered in a ghost queue, so that a key which comes back soon after goes
 * straight to the main queue. The main queue is a CLOCK: its tail entry goes round again while
 * it has hits left (at most 3), else it is evicted. A crawl through old articles, each read
 * once, thus only churns the small queue and never pushes the home page or today's stories
 * out of the main one. docs/architecture.md says why S3-FIFO rather than an LRU or TinyLFU.
 *
 * Dependencies: each entry carries the tags of what it shows ("nav", "article:12",
 * "list:section:3"; render_depends collects them while the page renders). cache_invalidate
 * drops exactly the entries that carry one of the given tags: the server follows the store's
 * change log (store_changes_since), which names the tags a write touched, so an edit, an
 * import from another process or, later, another node's write re-renders only what shows it.
 *
 * A render races with a change: a page rendered from the data before a change but inserted
 * after the change's invalidation would be stale for good. So callers read cache_epoch before
 * rendering and pass it to cache_put, and every invalidation moves the epoch: a put with an
 * older epoch is not kept.
 *
 * Threads: a hit takes the read lock, bumps the entry's hit count (an atomic, capped) and takes
 * a reference to its entity; the caller sends it after the lock is released and drops the
 * reference. Inserts, evictions and invalidations take the write lock.
 *
 * Facts: a second, much smaller cache of the same kind holds small facts about content (an
 * article's id and access level, looked up on every article request to decide access before
 * the page), so that they never take a page's place: cache_get_facts and cache_put_facts.
 */
#ifndef BROADSHEET_CACHE_H
#define BROADSHEET_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "entity.h"

struct page_cache;

/* Counters since the cache was made, and its present size. */
struct cache_stats {
    uint64_t hits, misses;
    uint64_t inserts;       /* entries added (a replaced key counts too) */
    uint64_t stale;         /* puts not kept: rendered before a change */
    uint64_t evictions;     /* entries evicted to keep the budget */
    uint64_t invalidations; /* entries dropped because something they show changed */
    uint64_t flushes;       /* cache_flush calls */
    size_t entries, bytes, budget;
};

/* A cache of at most budget bytes (at least 64 KiB). */
struct page_cache *cache_new(size_t budget);
void cache_free(struct page_cache *c);

/* The entity under key with a reference taken for the caller (entity_free when sent), or NULL
 * on a miss. */
struct entity *cache_get(struct page_cache *c, const char *key);

/* Whether key is cached, without counting a hit or a miss (for tests). */
int cache_has(struct page_cache *c, const char *key);

/* The epoch to read before rendering what will be put (see above). */
uint64_t cache_epoch(struct page_cache *c);

/* Keeps e under key, tagged with tags (space-separated, as render_depends collects them; NULL
 * or "" for none), unless an invalidation happened since epoch or e alone would take more than
 * an eighth of the budget. The cache takes its own reference to e: the caller still owns its
 * own. An entry of the same key is replaced. */
void cache_put(struct page_cache *c, const char *key, struct entity *e, const char *tags,
               uint64_t epoch);

/* Adds bytes to the count of key's entry if it still holds e: what e made after it was put (the
 * pieces' gzip segments of a page, made by its first personal response in gzip: entity_parts),
 * evicting as needed to stay within the budget. Nothing if key now holds another entity or none. */
void cache_charge(struct page_cache *c, const char *key, const struct entity *e, size_t bytes);

/* Facts: two integers under key, in a cache made for them (as cache_get and cache_put). */
int cache_get_facts(struct page_cache *c, const char *key, int64_t facts[2]);
void cache_put_facts(struct page_cache *c, const char *key, const int64_t facts[2],
                     const char *tags, uint64_t epoch);

/* Drops every entry tagged with one of tags[0..n) and moves the epoch. Returns how many. */
size_t cache_invalidate(struct page_cache *c, const char *const *tags, size_t n);

/* Drops every entry tagged with one of tags[0..n) without moving the epoch: for pages that age
 * with the clock (the news sitemap's clock:minute, app.c) rather than show content that changed,
 * so that a render already under way, which read current content, is still kept (a page that
 * was a moment early lives one period more) and the ticks never cost other pages their puts.
 * Returns how many. */
size_t cache_expire(struct page_cache *c, const char *const *tags, size_t n);

/* Drops every entry and moves the epoch. */
void cache_flush(struct page_cache *c);

void cache_stats(struct page_cache *c, struct cache_stats *s);

#endif
