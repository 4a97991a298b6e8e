/*
 * most_read.h: the "Most read" box (issue 12): article views counted in memory, added to the
 * database about once a minute, and the box of the articles most read in the last 24 hours,
 * rendered once per refresh and spliced into the home and article pages as they are sent.
 *
 * Counting: most_read_count is called once per article page served to a reader (cached or
 * not), on the HTTP threads. It is a few atomic operations on a fixed table of slots, each one
 * 64-bit word holding an article id (40 bits) and its views since the last flush (24 bits):
 * no lock, no allocation, nothing about the reader (no address, cookie or account). An article
 * takes the first free slot along a short probe sequence from its id's hash; a slot whose
 * count is full sends the next views to another slot of the same article (the flush adds
 * them up). When every slot of the sequence is taken by other articles the view is not
 * counted, only tallied as dropped (most_read_dropped): the table's size bounds the memory
 * whatever the traffic, and the articles read most get their slots first in every period, so
 * a crawl of the archive that fills the table costs counts of the long tail, not of the box.
 * The server flushes early when the table is half full.
 *
 * Flushing: most_read_flush takes every slot's count with an atomic exchange (a view counted
 * meanwhile lands in the emptied slot, for the next flush: none is lost or counted twice) and
 * adds them to the hour of the flush in article_views (store_article_views_add), deleting the
 * hours no box needs any more. If the write fails the counts are kept for the next flush (at
 * most MOST_READ_PENDING_MAX of them; more are dropped with a log line). On PostgreSQL every
 * node adds its own counts to the same rows, so the table is the sum over nodes.
 *
 * The box: most_read_refresh reads the top articles of the last 24 hours (published ones only),
 * renders the theme's most-read template with them and publishes the bytes with a short tag (a
 * hash of them) that goes into the ETag of the pages that carry it (respond.c). most_read_tick
 * does both, from the server's main thread, every most_read_refresh_seconds; and at once, with
 * the counts already in the database, when the change log names an article the box shows
 * (most_read_follow): an edited headline, an unpublished or killed story is not left in the box
 * for a minute on pages that are otherwise current.
 */
#ifndef BROADSHEET_MOST_READ_H
#define BROADSHEET_MOST_READ_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "store.h"
#include "tmpl.h"

#define MOST_READ_SLOTS 16384             /* the counter table (128 KiB); a power of two */
#define MOST_READ_PROBES 32               /* slots an article may take, from its hash on */
#define MOST_READ_ID_BITS 40              /* article ids up to 2^40 - 1 are counted */
#define MOST_READ_COUNT_MAX 0xFFFFFF      /* views one slot holds (24 bits) */
#define MOST_READ_PENDING_MAX (4 * 16384) /* counts kept while the database refuses them */
#define MOST_READ_HOURS 24                /* the box sums this many hours, the current one too */
#define MOST_READ_TAG_LEN 16              /* hex digits of the box's tag */

struct most_read;

/* A new box and counter table of slots slots (a power of two; 0: MOST_READ_SLOTS) that shows
 * up to limit articles (0: the box is off: nothing is counted or shown). The caller owns it
 * (most_read_free). */
struct most_read *most_read_new(size_t slots, int limit);
void most_read_free(struct most_read *m);

/* Counts one view of article id (ids from 1 to 2^40 - 1). Returns 1 if counted, 0 if not (the
 * box is off, the id is out of range, or the article's probe sequence is full of others).
 * Thread-safe and lock-free; m may be NULL (nothing counted). */
int most_read_count(struct most_read *m, int64_t id);

/* Views not counted because the table was full, since m was made. */
uint64_t most_read_dropped(const struct most_read *m);
/* Slots taken since the last flush (approximate while views are being counted). */
size_t most_read_used(const struct most_read *m);

/* Takes every count out of the table, as (id, views) pairs added to *out (grown with
 * xrealloc; *n entries, *cap its capacity); an id may come more than once. Thread-safe with
 * most_read_count; one taker at a time. Exposed for the unit tests; most_read_flush uses it. */
void most_read_take(struct most_read *m, int64_t hour, struct article_view_count **out, size_t *n,
                    size_t *cap);

/* Adds the views counted since the last flush to article_views at now (its hour), and deletes
 * the hours before the box's window (one spare). Counts a failed write could not save are kept
 * for the next flush. From one thread at a time (the server's main loop, then at shutdown). */
void most_read_flush(struct most_read *m, struct store *st, int64_t now);

/* Reads the box's articles at now and renders them with the template "most-read" of
 * templates (its context: docs/theme.md) into the published box. Returns 0, or -1 when the
 * store or the template failed (the box shown stays as it was; logged). */
int most_read_refresh(struct most_read *m, struct store *st, struct tmpl_set *templates,
                      int64_t now);

/* Tells the box what the change log named (the cache tags of app.c's follow_changes): when one
 * is "article:ID" of an article the box shows, the box is refreshed at the next most_read_tick.
 * tags NULL: anything may have changed (the caches were flushed), so it is refreshed too. From
 * the thread that calls most_read_tick. m may be NULL. */
void most_read_follow(struct most_read *m, const char *const *tags, size_t n);

/* The server's periodic work, from app_tick (every tick: it is a comparison of times unless
 * there is work): flushes and refreshes every refresh_seconds (the first call at once),
 * refreshes without flushing when most_read_follow saw a change to the box's articles, and
 * flushes sooner when the table is half full. now_ms: a monotonic clock (util_monotonic_ms);
 * now: the wall clock's seconds. */
void most_read_tick(struct most_read *m, struct store *st, struct tmpl_set *templates,
                    int refresh_seconds, int64_t now_ms, int64_t now);

/* The box as published, copied into arena: *html (NUL-terminated) and *len, and its tag
 * (MOST_READ_TAG_LEN hex digits and a NUL) into tag. Returns 0, or -1 when there is no box
 * (off, not refreshed yet, or no article read): then the pages keep their own, empty, bytes.
 * Thread-safe. m may be NULL. */
int most_read_box(struct most_read *m, struct arena *arena, const char **html, size_t *len,
                  char tag[MOST_READ_TAG_LEN + 1]);

#endif
