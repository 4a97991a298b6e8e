/*
 * most_read.c: counting article views, flushing them, and the "Most read" box. See most_read.h.
 */
#include "most_read.h"

#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "util.h"

#define COUNT_BITS 24 /* the low bits of a slot: its views; the high ones: the article id */
#define ID_MAX ((INT64_C(1) << MOST_READ_ID_BITS) - 1)

struct most_read {
    int limit;                    /* articles in the box; 0: off */
    size_t mask;                  /* slots - 1 */
    _Atomic uint64_t *slots;      /* id << COUNT_BITS | views; 0: free */
    atomic_size_t used;           /* slots taken since the last take */
    atomic_uint_fast64_t dropped; /* views the full table could not count */

    /* The flush's own state (one flusher at a time: no lock). */
    struct article_view_count *pending; /* taken, not yet written */
    size_t pending_n, pending_cap;
    int64_t next_refresh_ms; /* monotonic; 0: at the first tick */
    int64_t *shown;          /* the ids of the box's articles (limit of them at most) */
    size_t shown_n;
    int stale; /* most_read_follow saw one of them change: refresh at the next tick */

    /* The published box, read by the HTTP threads (most_read_box) under box_lock: held for a
     * copy of a kilobyte, never for the database or the template. */
    pthread_mutex_t box_lock;
    char *box; /* NULL: no box */
    size_t box_len;
    char box_tag[MOST_READ_TAG_LEN + 1];
};

struct most_read *most_read_new(size_t slots, int limit)
{
    struct most_read *m = xcalloc(1, sizeof *m);
    if (slots == 0)
        slots = MOST_READ_SLOTS;
    if (slots & (slots - 1)) { /* a power of two, so that a hash masks onto it */
        size_t p = 1;
        while (p < slots)
            p <<= 1;
        slots = p;
    }
    m->limit = limit > 0 ? limit : 0;
    m->mask = slots - 1;
    m->slots = xcalloc(slots, sizeof *m->slots);
    m->shown = xcalloc(m->limit ? (size_t)m->limit : 1, sizeof *m->shown);
    for (size_t i = 0; i < slots; i++)
        atomic_init(&m->slots[i], 0);
    atomic_init(&m->used, 0);
    atomic_init(&m->dropped, 0);
    pthread_mutex_init(&m->box_lock, NULL);
    return m;
}

void most_read_free(struct most_read *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->box_lock);
    free(m->box);
    free(m->pending);
    free(m->shown);
    free(m->slots);
    free(m);
}

/* Where id's probe sequence starts: a 64-bit mix (splitmix64's finaliser) of the id, so that
 * consecutive ids spread over the table. The ids are the site's own, not a client's choice of
 * key, so no keyed hash is needed: a reader can only choose among published articles. */
static size_t slot_of(const struct most_read *m, int64_t id)
{
    uint64_t x = (uint64_t)id;
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return (size_t)x & m->mask;
}

int most_read_count(struct most_read *m, int64_t id)
{
    if (!m || m->limit == 0 || id < 1 || id > ID_MAX)
        return 0;
    uint64_t mine = (uint64_t)id << COUNT_BITS;
    size_t start = slot_of(m, id);
    size_t probes = m->mask + 1 < MOST_READ_PROBES ? m->mask + 1 : MOST_READ_PROBES;
    for (size_t i = 0; i < probes; i++) {
        _Atomic uint64_t *slot = &m->slots[(start + i) & m->mask];
        uint64_t word = atomic_load_explicit(slot, memory_order_relaxed);
        for (;;) {
            if (word == 0) {
                /* A free slot: take it with this first view. A failed exchange reloads word
                 * (another article took it, or this one did, or a flush emptied it). */
                if (atomic_compare_exchange_weak_explicit(
                        slot, &word, mine | 1, memory_order_relaxed, memory_order_relaxed)) {
                    atomic_fetch_add_explicit(&m->used, 1, memory_order_relaxed);
                    return 1;
                }
                continue;
            }
            if ((word & ~(uint64_t)MOST_READ_COUNT_MAX) != mine ||
                (word & MOST_READ_COUNT_MAX) == MOST_READ_COUNT_MAX)
                break; /* another article's, or this one's and full: the next slot */
            if (atomic_compare_exchange_weak_explicit(slot, &word, word + 1, memory_order_relaxed,
                                                      memory_order_relaxed))
                return 1;
        }
    }
    atomic_fetch_add_explicit(&m->dropped, 1, memory_order_relaxed);
    return 0;
}

uint64_t most_read_dropped(const struct most_read *m)
{
    return m ? atomic_load_explicit(&m->dropped, memory_order_relaxed) : 0;
}

size_t most_read_used(const struct most_read *m)
{
    return m ? atomic_load_explicit(&m->used, memory_order_relaxed) : 0;
}

/* Appends (id, hour, views) to the list *out. */
static void append(struct article_view_count **out, size_t *n, size_t *cap, int64_t id,
                   int64_t hour, int64_t views)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *out = xrealloc(*out, *cap * sizeof **out);
    }
    (*out)[(*n)++] = (struct article_view_count){.article_id = id, .hour = hour, .views = views};
}

void most_read_take(struct most_read *m, int64_t hour, struct article_view_count **out, size_t *n,
                    size_t *cap)
{
    /* used first: a slot taken during the pass is counted towards the next flush, or towards
     * this one and the next (an early flush comes a little sooner: harmless). */
    atomic_store_explicit(&m->used, 0, memory_order_relaxed);
    for (size_t i = 0; i <= m->mask; i++) {
        if (atomic_load_explicit(&m->slots[i], memory_order_relaxed) == 0)
            continue;
        uint64_t word = atomic_exchange_explicit(&m->slots[i], 0, memory_order_relaxed);
        if (word)
            append(out, n, cap, (int64_t)(word >> COUNT_BITS), hour,
                   (int64_t)(word & MOST_READ_COUNT_MAX));
    }
}

/* The start of t's hour (UTC; Unix time has no leap seconds). */
static int64_t hour_of(int64_t t)
{
    return t >= 0 ? t - t % 3600 : t - (3600 + t % 3600) % 3600;
}

void most_read_flush(struct most_read *m, struct store *st, int64_t now)
{
    if (!m || m->limit == 0)
        return;
    size_t before = m->pending_n;
    most_read_take(m, hour_of(now), &m->pending, &m->pending_n, &m->pending_cap);
    /* The hours before the window, with one spare for nodes whose clocks differ a little. */
    int64_t purge_before = hour_of(now) - MOST_READ_HOURS * 3600;
    if (store_article_views_add(st, m->pending, m->pending_n, purge_before) == STORE_OK) {
        m->pending_n = 0;
        return;
    }
    fprintf(stderr, "broadsheet: most read: could not write %zu view counts; keeping them\n",
            m->pending_n);
    if (m->pending_n > MOST_READ_PENDING_MAX) {
        /* The database has refused them for a long while: the newest take goes, so memory
         * stays bounded (the box shows the database's counts, which miss these views). */
        fprintf(stderr, "broadsheet: most read: dropping %zu view counts\n", m->pending_n - before);
        m->pending_n = before;
    }
}

/* The box's context (docs/theme.md, most-read.mustache) for items[0..n), or NULL (logged). */
static json_t *box_context(const struct most_read_item *items, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < n; i++) {
        char url[600];
        snprintf(url, sizeof url, "/articles/%s", items[i].slug);
        json_t *item =
            json_pack("{s:I, s:s, s:s, s:I}", "rank", (json_int_t)(i + 1), "headline",
                      items[i].headline, "url", url, "views", (json_int_t)items[i].views);
        if (!item || json_array_append_new(list, item) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    if (!list) {
        fprintf(stderr, "broadsheet: most read: cannot build the box's context\n");
        return NULL;
    }
    return json_pack("{s:o}", "articles", list);
}

/* Publishes html[0..len) (taken; NULL: no box) as the box. */
static void publish(struct most_read *m, char *html, size_t len)
{
    char tag[MOST_READ_TAG_LEN + 1] = "";
    if (html) {
        unsigned char hash[MOST_READ_TAG_LEN / 2];
        crypto_generichash(hash, sizeof hash, (const unsigned char *)html, len, NULL, 0);
        sodium_bin2hex(tag, sizeof tag, hash, sizeof hash);
    }
    pthread_mutex_lock(&m->box_lock);
    char *old = m->box;
    m->box = html;
    m->box_len = len;
    memcpy(m->box_tag, tag, sizeof tag);
    pthread_mutex_unlock(&m->box_lock);
    free(old);
}

int most_read_refresh(struct most_read *m, struct store *st, struct tmpl_set *templates,
                      int64_t now)
{
    if (!m || m->limit == 0)
        return 0;
    struct arena *a = arena_new(0);
    struct most_read_item *items;
    size_t n;
    int rc = -1;
    int64_t since = hour_of(now) - (MOST_READ_HOURS - 1) * 3600;
    m->stale = 0; /* a change after this read is followed again */
    if (store_most_read(st, a, since, m->limit, &items, &n) != STORE_OK)
        goto out;
    m->shown_n = 0;
    for (size_t i = 0; i < n && i < (size_t)m->limit; i++)
        m->shown[m->shown_n++] = items[i].id;
    if (n == 0 || !tmpl_set_has(templates, "most-read")) { /* nothing read, or a theme
                                                            * without the box */
        publish(m, NULL, 0);
        rc = 0;
        goto out;
    }
    json_t *ctx = box_context(items, n);
    struct buf html = BUF_INIT;
    if (!ctx || tmpl_render(templates, "most-read", ctx, &html) != 0) {
        json_decref(ctx);
        buf_free(&html);
        goto out;
    }
    json_decref(ctx);
    size_t len = html.len;
    char *bytes = buf_detach(&html, &len);
    publish(m, bytes ? bytes : xstrdup(""), len);
    rc = 0;
out:
    if (rc != 0)
        fprintf(stderr, "broadsheet: most read: could not refresh the box; keeping it\n");
    arena_free(a);
    return rc;
}

void most_read_follow(struct most_read *m, const char *const *tags, size_t n)
{
    if (!m || m->limit == 0 || m->stale)
        return;
    if (!tags) {
        m->stale = 1;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (strncmp(tags[i], "article:", 8) != 0)
            continue;
        int64_t id = util_parse_id(tags[i] + 8);
        for (size_t k = 0; id && k < m->shown_n; k++)
            if (m->shown[k] == id) {
                m->stale = 1;
                return;
            }
    }
}

void most_read_tick(struct most_read *m, struct store *st, struct tmpl_set *templates,
                    int refresh_seconds, int64_t now_ms, int64_t now)
{
    if (!m || m->limit == 0)
        return;
    if (now_ms >= m->next_refresh_ms) {
        most_read_flush(m, st, now);
        most_read_refresh(m, st, templates, now);
        m->next_refresh_ms = now_ms + (int64_t)refresh_seconds * 1000;
    } else if (m->stale) {
        most_read_refresh(m, st, templates, now);
    } else if (most_read_used(m) > (m->mask + 1) / 2) {
        most_read_flush(m, st, now);
    }
}

int most_read_box(struct most_read *m, struct arena *arena, const char **html, size_t *len,
                  char tag[MOST_READ_TAG_LEN + 1])
{
    if (!m)
        return -1;
    int rc = -1;
    pthread_mutex_lock(&m->box_lock);
    if (m->box) {
        *html = arena_strndup(arena, m->box, m->box_len);
        *len = m->box_len;
        memcpy(tag, m->box_tag, MOST_READ_TAG_LEN + 1);
        rc = 0;
    }
    pthread_mutex_unlock(&m->box_lock);
    return rc;
}
