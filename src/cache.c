/*
 * cache.c: the page cache: a chained hash table of entries, each also on one of two queues
 * (S3-FIFO's small and main), plus a ghost queue of evicted keys' hashes. See cache.h.
 */
#include "cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define MIN_BUDGET (64 * 1024)
#define MAX_FREQ 3     /* hits an entry may bank in the main queue's CLOCK */
#define SMALL_SHARE 10 /* the small queue's target: a tenth of the budget */

enum queue { Q_SMALL, Q_MAIN };

struct entry {
    struct entry *chain;       /* next in the hash bucket */
    struct entry *prev, *next; /* in its queue: prev toward the head (newest) */
    uint64_t hash;
    struct entity *entity; /* NULL in a facts cache */
    int64_t facts[2];
    size_t bytes;
    atomic_uchar freq; /* hits since insertion or the last pass of the CLOCK, capped */
    unsigned char queue;
    unsigned ntags;
    uint64_t *tags; /* hashes of its tags */
    char key[];
};

struct fifo {
    struct entry *head, *tail;
    size_t bytes;
};

/* Hashes of keys evicted from the small queue without a hit: a ring in eviction order, and an
 * open-addressed set of the same hashes (0 marks an empty slot; stored hashes are never 0). */
struct ghost {
    uint64_t *ring;
    size_t ring_cap, ring_len, ring_next;
    uint64_t *set;
    size_t set_mask;
};

struct page_cache {
    pthread_rwlock_t lock;
    struct entry **buckets;
    size_t bucket_mask;
    size_t count;
    size_t budget;
    struct fifo small, main;
    struct ghost ghost;
    _Atomic uint64_t epoch;
    /* counters: atomics, since hits and misses are counted under the read lock */
    _Atomic uint64_t hits, misses, inserts, stale, evictions, invalidations, flushes;
};

/* FNV-1a over s[0..len), never 0 (the ghost set's empty mark). */
static uint64_t hash_bytes(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h ? h : 1;
}

static uint64_t hash_key(const char *key)
{
    return hash_bytes(key, strlen(key));
}

/* ---- the ghost queue ----------------------------------------------------------------------- */

static void ghost_init(struct ghost *g, size_t cap)
{
    g->ring_cap = cap;
    g->ring = xcalloc(cap, sizeof *g->ring);
    size_t slots = 16;
    while (slots < cap * 2)
        slots *= 2;
    g->set = xcalloc(slots, sizeof *g->set);
    g->set_mask = slots - 1;
}

static size_t ghost_find(const struct ghost *g, uint64_t h)
{
    size_t i = h & g->set_mask;
    while (g->set[i] && g->set[i] != h)
        i = (i + 1) & g->set_mask;
    return i;
}

static int ghost_has(const struct ghost *g, uint64_t h)
{
    return g->set[ghost_find(g, h)] == h;
}

/* Removes h from the set (one occurrence), shifting later entries of its run back so that
 * lookups never meet a hole (linear probing without tombstones). */
static void ghost_set_remove(struct ghost *g, uint64_t h)
{
    size_t i = ghost_find(g, h);
    if (!g->set[i])
        return;
    g->set[i] = 0;
    for (size_t j = (i + 1) & g->set_mask; g->set[j]; j = (j + 1) & g->set_mask) {
        size_t home = g->set[j] & g->set_mask;
        /* move set[j] into the hole at i when its home is not in (i, j] cyclically */
        if (((j - home) & g->set_mask) >= ((j - i) & g->set_mask)) {
            g->set[i] = g->set[j];
            g->set[j] = 0;
            i = j;
        }
    }
}

static void ghost_add(struct ghost *g, uint64_t h)
{
    if (ghost_has(g, h))
        return;
    if (g->ring_len == g->ring_cap) { /* forget the oldest */
        ghost_set_remove(g, g->ring[g->ring_next]);
        g->ring_len--;
    }
    g->ring[g->ring_next] = h;
    g->ring_next = (g->ring_next + 1) % g->ring_cap;
    g->ring_len++;
    g->set[ghost_find(g, h)] = h;
}

/* Takes h out of the ghost if there (its ring slot stays, harmlessly: forgetting it later
 * removes nothing). Returns whether it was there. */
static int ghost_take(struct ghost *g, uint64_t h)
{
    if (!ghost_has(g, h))
        return 0;
    ghost_set_remove(g, h);
    return 1;
}

/* ---- queues and the table ------------------------------------------------------------------ */

static void fifo_push(struct fifo *q, struct entry *e)
{
    e->prev = NULL;
    e->next = q->head;
    if (q->head)
        q->head->prev = e;
    q->head = e;
    if (!q->tail)
        q->tail = e;
    q->bytes += e->bytes;
}

static void fifo_remove(struct fifo *q, struct entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        q->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        q->tail = e->prev;
    q->bytes -= e->bytes;
}

static struct fifo *queue_of(struct page_cache *c, const struct entry *e)
{
    return e->queue == Q_MAIN ? &c->main : &c->small;
}

struct page_cache *cache_new(size_t budget)
{
    struct page_cache *c = xcalloc(1, sizeof *c);
    pthread_rwlock_init(&c->lock, NULL);
    c->budget = budget < MIN_BUDGET ? MIN_BUDGET : budget;
    size_t buckets = 64;
    c->buckets = xcalloc(buckets, sizeof *c->buckets);
    c->bucket_mask = buckets - 1;
    /* As many ghosts as the main queue would hold entries of 4 KiB, within sane bounds. */
    size_t ghosts = c->budget / 4096;
    ghost_init(&c->ghost, ghosts < 256 ? 256 : ghosts > (1u << 20) ? (1u << 20) : ghosts);
    return c;
}

static struct entry **bucket_of(struct page_cache *c, uint64_t hash)
{
    return &c->buckets[hash & c->bucket_mask];
}

static struct entry *find(struct page_cache *c, const char *key, uint64_t hash)
{
    for (struct entry *e = *bucket_of(c, hash); e; e = e->chain)
        if (e->hash == hash && !strcmp(e->key, key))
            return e;
    return NULL;
}

static void grow(struct page_cache *c)
{
    size_t n = (c->bucket_mask + 1) * 2;
    struct entry **buckets = xcalloc(n, sizeof *buckets);
    for (size_t i = 0; i <= c->bucket_mask; i++) {
        struct entry *e = c->buckets[i];
        while (e) {
            struct entry *next = e->chain;
            struct entry **b = &buckets[e->hash & (n - 1)];
            e->chain = *b;
            *b = e;
            e = next;
        }
    }
    free(c->buckets);
    c->buckets = buckets;
    c->bucket_mask = n - 1;
}

/* Unlinks e from its bucket and queue and frees it. Caller holds the write lock. */
static void drop(struct page_cache *c, struct entry *e)
{
    struct entry **p = bucket_of(c, e->hash);
    while (*p != e)
        p = &(*p)->chain;
    *p = e->chain;
    fifo_remove(queue_of(c, e), e);
    c->count--;
    entity_free(e->entity);
    free(e->tags);
    free(e);
}

/* One step of S3-FIFO's eviction. Caller holds the write lock and the cache is not empty. */
static void evict_one(struct page_cache *c)
{
    for (;;) {
        int from_small =
            c->small.tail && (c->small.bytes * SMALL_SHARE >= c->budget || !c->main.tail);
        struct fifo *q = from_small ? &c->small : &c->main;
        struct entry *e = q->tail;
        unsigned char f = atomic_load_explicit(&e->freq, memory_order_relaxed);
        if (f > 0) {
            /* From the small queue: read while on probation, it earns the main queue. From the
             * main queue: CLOCK, it spends one hit and goes round again. */
            atomic_store_explicit(&e->freq, (unsigned char)(f - 1), memory_order_relaxed);
            fifo_remove(q, e);
            e->queue = Q_MAIN;
            fifo_push(&c->main, e);
            continue;
        }
        if (from_small) /* never read: remember it, in case it is asked for again soon */
            ghost_add(&c->ghost, e->hash);
        drop(c, e);
        atomic_fetch_add_explicit(&c->evictions, 1, memory_order_relaxed);
        return;
    }
}

/* Parses tags (space-separated) into hashes; returns how many, the array in *out (NULL: none). */
static unsigned tag_hashes(const char *tags, uint64_t **out)
{
    *out = NULL;
    if (!tags)
        return 0;
    unsigned n = 0, cap = 0;
    for (const char *p = tags; *p;) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, " ");
        if (!len)
            break;
        if (n == cap) {
            cap = cap ? cap * 2 : 4;
            *out = xrealloc(*out, cap * sizeof **out);
        }
        (*out)[n++] = hash_bytes(p, len);
        p += len;
    }
    return n;
}

static void put(struct page_cache *c, const char *key, struct entity *entity,
                const int64_t facts[2], const char *tags, uint64_t epoch)
{
    size_t key_len = strlen(key);
    uint64_t *hashes;
    unsigned ntags = tag_hashes(tags, &hashes);
    size_t bytes = sizeof(struct entry) + key_len + 1 + ntags * sizeof *hashes +
                   (entity ? entity_bytes(entity) : 0);
    if (bytes > c->budget / 8) { /* would push out too much for one entry */
        free(hashes);
        atomic_fetch_add_explicit(&c->stale, 1, memory_order_relaxed);
        return;
    }
    uint64_t hash = hash_key(key);
    pthread_rwlock_wrlock(&c->lock);
    if (atomic_load(&c->epoch) != epoch) { /* rendered from content changed since */
        pthread_rwlock_unlock(&c->lock);
        free(hashes);
        atomic_fetch_add_explicit(&c->stale, 1, memory_order_relaxed);
        return;
    }
    struct entry *old = find(c, key, hash);
    enum queue q = Q_SMALL;
    unsigned char freq = 0;
    if (old) { /* a new version of a page in use: it keeps its place and its hits */
        q = old->queue;
        freq = atomic_load_explicit(&old->freq, memory_order_relaxed);
        drop(c, old);
    } else if (ghost_take(&c->ghost, hash)) {
        q = Q_MAIN; /* evicted recently for want of a hit, and asked for again */
    }
    struct entry *e = xcalloc(1, sizeof *e + key_len + 1);
    memcpy(e->key, key, key_len + 1);
    e->hash = hash;
    e->entity = entity ? entity_ref(entity) : NULL;
    if (facts)
        memcpy(e->facts, facts, sizeof e->facts);
    e->bytes = bytes;
    e->tags = hashes;
    e->ntags = ntags;
    e->queue = (unsigned char)q;
    atomic_init(&e->freq, freq);
    struct entry **b = bucket_of(c, hash);
    e->chain = *b;
    *b = e;
    fifo_push(queue_of(c, e), e);
    c->count++;
    atomic_fetch_add_explicit(&c->inserts, 1, memory_order_relaxed);
    while (c->small.bytes + c->main.bytes > c->budget)
        evict_one(c);
    if (c->count > c->bucket_mask + 1)
        grow(c);
    pthread_rwlock_unlock(&c->lock);
}

/* The entry under key, with its hit counted, under the read lock (held by the caller). */
static struct entry *lookup(struct page_cache *c, const char *key)
{
    struct entry *e = find(c, key, hash_key(key));
    if (!e) {
        atomic_fetch_add_explicit(&c->misses, 1, memory_order_relaxed);
        return NULL;
    }
    /* A racy increment is fine: the count is a hint, capped. Reading first keeps the cache
     * line shared while the count is full. */
    unsigned char f = atomic_load_explicit(&e->freq, memory_order_relaxed);
    if (f < MAX_FREQ)
        atomic_store_explicit(&e->freq, (unsigned char)(f + 1), memory_order_relaxed);
    atomic_fetch_add_explicit(&c->hits, 1, memory_order_relaxed);
    return e;
}

struct entity *cache_get(struct page_cache *c, const char *key)
{
    pthread_rwlock_rdlock(&c->lock);
    struct entry *e = lookup(c, key);
    struct entity *entity = e && e->entity ? entity_ref(e->entity) : NULL;
    pthread_rwlock_unlock(&c->lock);
    return entity;
}

int cache_has(struct page_cache *c, const char *key)
{
    pthread_rwlock_rdlock(&c->lock);
    int has = find(c, key, hash_key(key)) != NULL;
    pthread_rwlock_unlock(&c->lock);
    return has;
}

uint64_t cache_epoch(struct page_cache *c)
{
    return atomic_load(&c->epoch);
}

void cache_put(struct page_cache *c, const char *key, struct entity *e, const char *tags,
               uint64_t epoch)
{
    put(c, key, e, NULL, tags, epoch);
}

void cache_charge(struct page_cache *c, const char *key, const struct entity *e, size_t bytes)
{
    pthread_rwlock_wrlock(&c->lock);
    struct entry *entry = find(c, key, hash_key(key));
    if (entry && entry->entity == e) { /* not a newer version put since */
        entry->bytes += bytes;
        queue_of(c, entry)->bytes += bytes;
        while (c->small.bytes + c->main.bytes > c->budget)
            evict_one(c);
    }
    pthread_rwlock_unlock(&c->lock);
}

int cache_get_facts(struct page_cache *c, const char *key, int64_t facts[2])
{
    pthread_rwlock_rdlock(&c->lock);
    struct entry *e = lookup(c, key);
    if (e)
        memcpy(facts, e->facts, sizeof e->facts);
    pthread_rwlock_unlock(&c->lock);
    return e != NULL;
}

void cache_put_facts(struct page_cache *c, const char *key, const int64_t facts[2],
                     const char *tags, uint64_t epoch)
{
    put(c, key, NULL, facts, tags, epoch);
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Drops the entries of q that carry a tag whose hash is in sorted[0..n). */
static size_t invalidate_queue(struct page_cache *c, struct fifo *q, const uint64_t *sorted,
                               size_t n)
{
    size_t dropped = 0;
    struct entry *e = q->head;
    while (e) {
        struct entry *next = e->next;
        for (unsigned i = 0; i < e->ntags; i++) {
            if (bsearch(&e->tags[i], sorted, n, sizeof *sorted, compare_u64)) {
                drop(c, e);
                dropped++;
                break;
            }
        }
        e = next;
    }
    return dropped;
}

/* Drops every entry tagged with one of tags[0..n), moving the epoch when move_epoch is set. */
static size_t drop_tagged(struct page_cache *c, const char *const *tags, size_t n, int move_epoch)
{
    if (!n)
        return 0;
    /* One pass over the entries however many tags changed: their hashes sorted, each entry's
     * few tags looked up in them. Invalidations are rare (an edit, a publish), the pass is over
     * the cached entries only, and a hash collision only drops a page more. */
    uint64_t *sorted = xmalloc(n * sizeof *sorted);
    for (size_t i = 0; i < n; i++)
        sorted[i] = hash_key(tags[i]);
    qsort(sorted, n, sizeof *sorted, compare_u64);
    pthread_rwlock_wrlock(&c->lock);
    if (move_epoch)
        atomic_fetch_add(&c->epoch, 1);
    size_t dropped =
        invalidate_queue(c, &c->small, sorted, n) + invalidate_queue(c, &c->main, sorted, n);
    pthread_rwlock_unlock(&c->lock);
    free(sorted);
    atomic_fetch_add_explicit(&c->invalidations, dropped, memory_order_relaxed);
    return dropped;
}

size_t cache_invalidate(struct page_cache *c, const char *const *tags, size_t n)
{
    return drop_tagged(c, tags, n, 1);
}

size_t cache_expire(struct page_cache *c, const char *const *tags, size_t n)
{
    return drop_tagged(c, tags, n, 0);
}

/* Drops every entry. Caller holds the write lock. */
static void clear(struct page_cache *c)
{
    while (c->small.head)
        drop(c, c->small.head);
    while (c->main.head)
        drop(c, c->main.head);
}

void cache_flush(struct page_cache *c)
{
    pthread_rwlock_wrlock(&c->lock);
    atomic_fetch_add(&c->epoch, 1);
    clear(c);
    pthread_rwlock_unlock(&c->lock);
    atomic_fetch_add_explicit(&c->flushes, 1, memory_order_relaxed);
}

void cache_free(struct page_cache *c)
{
    if (!c)
        return;
    clear(c);
    free(c->buckets);
    free(c->ghost.ring);
    free(c->ghost.set);
    pthread_rwlock_destroy(&c->lock);
    free(c);
}

void cache_stats(struct page_cache *c, struct cache_stats *s)
{
    pthread_rwlock_rdlock(&c->lock);
    s->entries = c->count;
    s->bytes = c->small.bytes + c->main.bytes;
    pthread_rwlock_unlock(&c->lock);
    s->budget = c->budget;
    s->hits = atomic_load(&c->hits);
    s->misses = atomic_load(&c->misses);
    s->inserts = atomic_load(&c->inserts);
    s->stale = atomic_load(&c->stale);
    s->evictions = atomic_load(&c->evictions);
    s->invalidations = atomic_load(&c->invalidations);
    s->flushes = atomic_load(&c->flushes);
}
