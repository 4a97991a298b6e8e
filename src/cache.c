/*
 * cache.c: the page cache: an open hash table (FNV-1a, linear probing, power-of-two size) of
 * key -> entity behind one reader-writer lock. See cache.h.
 */
#include "cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "respond.h"
#include "util.h"

struct slot {
    char *key; /* NULL: empty */
    uint64_t hash;
    struct entity *entity; /* NULL for a metadata entry (cache_meta_put) */
    int64_t meta[2];
};

struct page_cache {
    pthread_rwlock_t lock;
    struct slot *slots;
    size_t capacity; /* slots; a power of two, at least twice max_entries */
    size_t count;    /* used slots */
    size_t max_entries;
    _Atomic uint64_t generation;
};

/* FNV-1a over the key. */
static uint64_t hash_key(const char *key)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return h;
}

struct page_cache *cache_new(size_t max_entries)
{
    struct page_cache *c = xcalloc(1, sizeof *c);
    pthread_rwlock_init(&c->lock, NULL);
    c->max_entries = max_entries;
    c->capacity = 16;
    while (c->capacity < max_entries * 2)
        c->capacity *= 2;
    c->slots = xcalloc(c->capacity, sizeof *c->slots);
    return c;
}

/* Empties every slot. Caller holds the write lock. */
static void clear_slots(struct page_cache *c)
{
    for (size_t i = 0; i < c->capacity; i++) {
        if (c->slots[i].key) {
            free(c->slots[i].key);
            entity_free(c->slots[i].entity);
            c->slots[i].key = NULL;
            c->slots[i].entity = NULL;
        }
    }
    c->count = 0;
}

void cache_free(struct page_cache *c)
{
    if (!c)
        return;
    clear_slots(c);
    free(c->slots);
    pthread_rwlock_destroy(&c->lock);
    free(c);
}

/* The slot holding key, or the empty slot where it would go. Caller holds a lock. */
static struct slot *find_slot(struct page_cache *c, const char *key, uint64_t hash)
{
    size_t mask = c->capacity - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        struct slot *s = &c->slots[i];
        if (!s->key || (s->hash == hash && !strcmp(s->key, key)))
            return s;
    }
}

int cache_send(struct page_cache *c, const char *key, struct req *r, enum MHD_Result *result)
{
    uint64_t hash = hash_key(key);
    pthread_rwlock_rdlock(&c->lock);
    struct slot *s = find_slot(c, key, hash);
    int hit = s->key != NULL && s->entity != NULL;
    if (hit)
        *result = respond_entity(r, s->entity);
    pthread_rwlock_unlock(&c->lock);
    return hit;
}

/* Inserts e (or, when e is NULL, the metadata meta) under key unless a flush happened since
 * generation (then frees e). Caller holds the write lock. */
static void insert_locked(struct page_cache *c, const char *key, struct entity *e,
                          const int64_t meta[2], uint64_t generation)
{
    if (atomic_load(&c->generation) != generation) {
        entity_free(e); /* rendered from content that has changed since */
        return;
    }
    uint64_t hash = hash_key(key);
    struct slot *s = find_slot(c, key, hash);
    if (s->key) {
        entity_free(s->entity);
        s->entity = e;
        if (meta)
            memcpy(s->meta, meta, sizeof s->meta);
        return;
    }
    if (c->count >= c->max_entries) {
        clear_slots(c);
        s = find_slot(c, key, hash);
    }
    s->key = xstrdup(key);
    s->hash = hash;
    s->entity = e;
    if (meta)
        memcpy(s->meta, meta, sizeof s->meta);
    c->count++;
}

enum MHD_Result cache_put_send(struct page_cache *c, const char *key, struct entity *e,
                               uint64_t generation, struct req *r)
{
    pthread_rwlock_wrlock(&c->lock);
    enum MHD_Result result = respond_entity(r, e);
    insert_locked(c, key, e, NULL, generation);
    pthread_rwlock_unlock(&c->lock);
    return result;
}

void cache_put(struct page_cache *c, const char *key, struct entity *e, uint64_t generation)
{
    pthread_rwlock_wrlock(&c->lock);
    insert_locked(c, key, e, NULL, generation);
    pthread_rwlock_unlock(&c->lock);
}

int cache_with_body(struct page_cache *c, const char *key,
                    void (*fn)(void *ctx, const char *body, size_t len), void *ctx)
{
    uint64_t hash = hash_key(key);
    pthread_rwlock_rdlock(&c->lock);
    struct slot *s = find_slot(c, key, hash);
    int hit = s->key != NULL && s->entity != NULL;
    if (hit) {
        size_t len;
        const char *body = entity_body(s->entity, &len);
        fn(ctx, body, len);
    }
    pthread_rwlock_unlock(&c->lock);
    return hit;
}

int cache_meta_get(struct page_cache *c, const char *key, int64_t meta[2])
{
    uint64_t hash = hash_key(key);
    pthread_rwlock_rdlock(&c->lock);
    struct slot *s = find_slot(c, key, hash);
    int hit = s->key != NULL && s->entity == NULL;
    if (hit)
        memcpy(meta, s->meta, sizeof s->meta);
    pthread_rwlock_unlock(&c->lock);
    return hit;
}

void cache_meta_put(struct page_cache *c, const char *key, const int64_t meta[2],
                    uint64_t generation)
{
    pthread_rwlock_wrlock(&c->lock);
    insert_locked(c, key, NULL, meta, generation);
    pthread_rwlock_unlock(&c->lock);
}

void cache_flush(struct page_cache *c)
{
    pthread_rwlock_wrlock(&c->lock);
    atomic_fetch_add(&c->generation, 1);
    clear_slots(c);
    pthread_rwlock_unlock(&c->lock);
}

uint64_t cache_generation(struct page_cache *c)
{
    return atomic_load(&c->generation);
}

size_t cache_size(struct page_cache *c)
{
    pthread_rwlock_rdlock(&c->lock);
    size_t n = c->count;
    pthread_rwlock_unlock(&c->lock);
    return n;
}
