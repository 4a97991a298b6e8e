/*
 * ratelimit.c: the token-bucket limiter of ratelimit.h.
 *
 * GCRA: each key keeps one number, its "theoretical arrival time" (tat), the moment its bucket
 * will be full again. A request at `now` moves it to max(tat, now) + interval, where interval =
 * window / limit is the time one token takes to come back; the request is allowed if that is at
 * most one window ahead of now (the bucket held a token), else refused without moving tat, and
 * the client may retry when the new tat would be exactly a window ahead. To stay in integers,
 * time is counted in units of 1/limit second: now is now × limit, the interval is window and a
 * window is window × limit. Exact, with no rounding.
 *
 * Structure: a chained hash table of entries (SipHash of the key under a random key, from
 * libsodium's crypto_shorthash, so that crafted keys cannot pile into one chain) plus a doubly
 * linked list in order of use, most recent first; a new key beyond max_keys evicts the list's
 * tail. One mutex guards it all: each call is a few hundred nanoseconds of work.
 */
#include "ratelimit.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define MAX_LIMIT 1000000          /* requests per window; keeps now × limit far from overflow */
#define MAX_WINDOW (366 * 86400)   /* a year */
#define MAX_NOW ((int64_t)1 << 40) /* about 35,000 years of unix time: clamps a wild clock */

struct entry {
    struct entry *chain;       /* next in the hash bucket */
    struct entry *newer;       /* towards the most recently used */
    struct entry *older;       /* towards the least recently used */
    uint64_t hash;             /* SipHash of key */
    int64_t tat;               /* bucket full again at tat / limit seconds */
    int limit, window_seconds; /* what tat was computed with */
    char key[];                /* NUL-terminated */
};

struct ratelimit {
    pthread_mutex_t lock;
    unsigned char hash_key[crypto_shorthash_KEYBYTES];
    struct entry **buckets;
    size_t nbuckets; /* a power of two, at least max_keys */
    size_t count, max_keys;
    struct entry *newest, *oldest; /* the use list */
};

struct ratelimit *ratelimit_new(size_t max_keys)
{
    struct ratelimit *rl = xcalloc(1, sizeof *rl);
    if (sodium_init() < 0)
        abort(); /* libsodium cannot run on this machine: nothing secure can */
    randombytes_buf(rl->hash_key, sizeof rl->hash_key);
    rl->max_keys = max_keys ? max_keys : 1;
    rl->nbuckets = 16;
    while (rl->nbuckets < rl->max_keys)
        rl->nbuckets *= 2;
    rl->buckets = xcalloc(rl->nbuckets, sizeof *rl->buckets);
    pthread_mutex_init(&rl->lock, NULL);
    return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
    if (!rl)
        return;
    struct entry *e = rl->newest;
    while (e) {
        struct entry *older = e->older;
        free(e);
        e = older;
    }
    pthread_mutex_destroy(&rl->lock);
    free(rl->buckets);
    free(rl);
}

size_t ratelimit_keys(struct ratelimit *rl)
{
    pthread_mutex_lock(&rl->lock);
    size_t n = rl->count;
    pthread_mutex_unlock(&rl->lock);
    return n;
}

/* SipHash-2-4 of key under rl's random key. */
static uint64_t key_hash(const struct ratelimit *rl, const char *key)
{
    unsigned char out[crypto_shorthash_BYTES];
    uint64_t h;
    crypto_shorthash(out, (const unsigned char *)key, strlen(key), rl->hash_key);
    memcpy(&h, out, sizeof h);
    return h;
}

/* Takes e out of the use list. */
static void list_unlink(struct ratelimit *rl, struct entry *e)
{
    if (e->newer)
        e->newer->older = e->older;
    else
        rl->newest = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        rl->oldest = e->newer;
    e->newer = e->older = NULL;
}

/* Puts e (not in the list) at the most recently used end. */
static void list_push_newest(struct ratelimit *rl, struct entry *e)
{
    e->newer = NULL;
    e->older = rl->newest;
    if (rl->newest)
        rl->newest->newer = e;
    rl->newest = e;
    if (!rl->oldest)
        rl->oldest = e;
}

/* The entry for key (with hash h), or NULL. */
static struct entry *find(struct ratelimit *rl, const char *key, uint64_t h)
{
    for (struct entry *e = rl->buckets[h & (rl->nbuckets - 1)]; e; e = e->chain)
        if (e->hash == h && strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

/* Removes and frees the least recently used entry. */
static void evict_oldest(struct ratelimit *rl)
{
    struct entry *victim = rl->oldest;
    if (!victim)
        return;
    struct entry **p = &rl->buckets[victim->hash & (rl->nbuckets - 1)];
    while (*p != victim)
        p = &(*p)->chain;
    *p = victim->chain;
    list_unlink(rl, victim);
    free(victim);
    rl->count--;
}

/* A new entry for key (hash h), in the table and at the newest end of the list, evicting the
 * oldest first if the table is full. */
static struct entry *insert(struct ratelimit *rl, const char *key, uint64_t h)
{
    if (rl->count >= rl->max_keys)
        evict_oldest(rl);
    size_t len = strlen(key);
    struct entry *e = xcalloc(1, sizeof *e + len + 1);
    memcpy(e->key, key, len + 1);
    e->hash = h;
    struct entry **bucket = &rl->buckets[h & (rl->nbuckets - 1)];
    e->chain = *bucket;
    *bucket = e;
    list_push_newest(rl, e);
    rl->count++;
    return e;
}

/* value clamped to [low, high]. */
static int64_t clamp(int64_t value, int64_t low, int64_t high)
{
    return value < low ? low : value > high ? high : value;
}

int ratelimit_hit(struct ratelimit *rl, const char *key, int limit, int window_seconds, int64_t now,
                  int *retry_after)
{
    int64_t l = clamp(limit, 1, MAX_LIMIT), w = clamp(window_seconds, 1, MAX_WINDOW);
    int64_t now_units = clamp(now, 0, MAX_NOW) * l;
    int allowed;
    if (!key)
        key = "";
    uint64_t h = key_hash(rl, key);

    pthread_mutex_lock(&rl->lock);
    struct entry *e = find(rl, key, h);
    if (!e) {
        e = insert(rl, key, h);
    } else {
        list_unlink(rl, e);
        list_push_newest(rl, e);
    }
    if (e->limit != (int)l || e->window_seconds != (int)w) { /* new, or a changed rule */
        e->limit = (int)l;
        e->window_seconds = (int)w;
        e->tat = 0;
    }
    int64_t next = (e->tat > now_units ? e->tat : now_units) + w; /* tat after this request */
    if (next - now_units <= w * l) {
        e->tat = next;
        allowed = 1;
    } else {
        int64_t wait_units = next - w * l - now_units; /* > 0 here */
        if (retry_after)
            *retry_after = (int)((wait_units + l - 1) / l);
        allowed = 0;
    }
    pthread_mutex_unlock(&rl->lock);
    return allowed;
}

void ratelimit_address_key(const char *ip, char *out, size_t size)
{
    struct in6_addr a6;
    struct in_addr a4;
    if (!size)
        return;
    if (!ip)
        ip = "";
    if (inet_pton(AF_INET6, ip, &a6) == 1) {
        if (IN6_IS_ADDR_V4MAPPED(&a6)) { /* an IPv4 client on a dual-stack socket */
            memcpy(&a4, a6.s6_addr + 12, 4);
            if (inet_ntop(AF_INET, &a4, out, (socklen_t)size))
                return;
        } else {
            memset(a6.s6_addr + 8, 0, 8); /* the interface half */
            char text[INET6_ADDRSTRLEN];
            if (inet_ntop(AF_INET6, &a6, text, sizeof text)) {
                snprintf(out, size, "%s/64", text);
                return;
            }
        }
    }
    snprintf(out, size, "%s", ip);
}
