/*
 * cache.h: the page cache. A rendered page is an entity (entity.h) kept under a key: the
 * request path plus the variant of the page (today one; later the reader's access state and
 * kind: anonymous or signed in, full or preview). Pages are rendered on the first request and
 * sent from here until content changes, when the whole cache is flushed (the server watches
 * the store's content version, so an import from another process flushes it too).
 *
 * Threads: lookups share a read lock and send while holding it, so an entry cannot be freed
 * between finding it and queueing it; inserts and flushes take the write lock.
 *
 * Size: at most max_entries pages; an insert into a full cache flushes it first. A page cache
 * is refilled cheaply from the store, and this keeps a flood of distinct URLs from growing
 * memory without bound. Only rendered pages of real content are inserted: a 404 for an unknown
 * path is never cached under that path.
 */
#ifndef BROADSHEET_CACHE_H
#define BROADSHEET_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "entity.h"
#include "req.h"

struct page_cache;

struct page_cache *cache_new(size_t max_entries);
void cache_free(struct page_cache *c);

/* Sends the page under key if cached: returns 1 and stores the MHD result in *result, or 0 on
 * a miss. */
int cache_send(struct page_cache *c, const char *key, struct req *r, enum MHD_Result *result);

/* Adds e under key (the cache owns e from now on; an entry of that key is replaced) and sends
 * it to r. Returns the MHD result. generation: the cache generation the caller saw before
 * rendering (cache_generation); when a flush happened meanwhile, the page may be stale, so it
 * is sent but not kept. */
enum MHD_Result cache_put_send(struct page_cache *c, const char *key, struct entity *e,
                               uint64_t generation, struct req *r);

/* Adds e under key without sending it (as cache_put_send otherwise). */
void cache_put(struct page_cache *c, const char *key, struct entity *e, uint64_t generation);

/* Calls fn(ctx, body, len) with the identity body of the page under key, under the read lock
 * (so fn must not call back into the cache): 1 if cached, 0 on a miss. For pages that are sent
 * with per-reader bytes spliced in, without copying the cached body first. */
int cache_with_body(struct page_cache *c, const char *key,
                    void (*fn)(void *ctx, const char *body, size_t len), void *ctx);

/* Small facts about content, cached beside the pages and flushed with them: an article's id and
 * access level, looked up on every article request to decide access before the page. A key
 * holds either a page or metadata. cache_meta_get returns 1 and fills meta on a hit. */
int cache_meta_get(struct page_cache *c, const char *key, int64_t meta[2]);
void cache_meta_put(struct page_cache *c, const char *key, const int64_t meta[2],
                    uint64_t generation);

/* Drops every page; counts as a new generation. */
void cache_flush(struct page_cache *c);
uint64_t cache_generation(struct page_cache *c);
/* Number of pages cached (for tests and statistics). */
size_t cache_size(struct page_cache *c);

#endif
