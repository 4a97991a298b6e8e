/*
 * test_most_read.c: the "Most read" box (src/most_read.c, src/store_most_read.c): the counter
 * table (exact counts, ids out of range, a full table drops and says so, a slot whose count is
 * full goes on in another, no view lost or counted twice when threads count while another takes
 * the counts), the flush into article_views (adds up, per hour, deleted articles dropped, old
 * hours purged), the top list (order, published articles only, the 24-hour window), the box's
 * rendering (escaped headlines, the tag changes with the bytes), the box remade at once when the
 * change log names one of its articles (and only then), the splice slot's holes in
 * every order of a page's three slots, and a page's filled variant (entity_filled).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "arena.h"
#include "buf.h"
#include "check.h"
#include "entity.h"
#include "most_read.h"
#include "splice.h"
#include "store.h"
#include "test_support.h"
#include "tmpl.h"
#include "util.h"

#define NOW 1700000000 /* 2023-11-14 22:13:20 UTC */
#define HOUR 3600

/* The sum of views per id in list[0..n) for id. */
static int64_t views_of(const struct article_view_count *list, size_t n, int64_t id)
{
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        if (list[i].article_id == id)
            sum += list[i].views;
    return sum;
}

static void test_counts_exact(void)
{
    struct most_read *m = most_read_new(64, 5);
    for (int id = 1; id <= 20; id++)
        for (int k = 0; k < id; k++)
            CHECK_INT(most_read_count(m, id), 1);
    CHECK_INT(most_read_used(m), 20);
    struct article_view_count *list = NULL;
    size_t n = 0, cap = 0;
    most_read_take(m, NOW, &list, &n, &cap);
    CHECK_INT(n, 20);
    for (int id = 1; id <= 20; id++)
        CHECK_INT(views_of(list, n, id), id);
    for (size_t i = 0; i < n; i++)
        CHECK_INT(list[i].hour, NOW);
    /* taken: the table is empty again */
    n = 0;
    most_read_take(m, NOW, &list, &n, &cap);
    CHECK_INT(n, 0);
    CHECK_INT(most_read_used(m), 0);
    CHECK_INT(most_read_dropped(m), 0);
    free(list);
    most_read_free(m);
}

static void test_ids_out_of_range_and_off(void)
{
    struct most_read *m = most_read_new(16, 5);
    CHECK_INT(most_read_count(m, 0), 0);
    CHECK_INT(most_read_count(m, -3), 0);
    CHECK_INT(most_read_count(m, INT64_C(1) << MOST_READ_ID_BITS), 0);
    CHECK_INT(most_read_count(m, (INT64_C(1) << MOST_READ_ID_BITS) - 1), 1);
    CHECK_INT(most_read_count(NULL, 1), 0);
    most_read_free(m);
    /* a box of 0 articles is off: nothing is counted */
    struct most_read *off = most_read_new(16, 0);
    CHECK_INT(most_read_count(off, 7), 0);
    CHECK_INT(most_read_used(off), 0);
    most_read_free(off);
}

/* A table of 16 slots holds 16 articles; the 17th is dropped and tallied, the ones in it still
 * count, and after a take there is room again. */
static void test_full_table(void)
{
    struct most_read *m = most_read_new(16, 5);
    for (int id = 1; id <= 16; id++)
        CHECK_INT(most_read_count(m, id), 1);
    CHECK_INT(most_read_count(m, 17), 0);
    CHECK_INT(most_read_count(m, 18), 0);
    CHECK_INT(most_read_dropped(m), 2);
    CHECK_INT(most_read_count(m, 5), 1); /* an article already in keeps counting */
    struct article_view_count *list = NULL;
    size_t n = 0, cap = 0;
    most_read_take(m, NOW, &list, &n, &cap);
    CHECK_INT(n, 16);
    CHECK_INT(views_of(list, n, 5), 2);
    CHECK_INT(views_of(list, n, 17), 0);
    CHECK_INT(most_read_count(m, 17), 1);
    free(list);
    most_read_free(m);
}

/* A slot's count is 24 bits: past it, the article's views go on in another slot, and the take
 * gives both, which add up to the truth. */
static void test_count_overflow(void)
{
    struct most_read *m = most_read_new(16, 5);
    int64_t total = MOST_READ_COUNT_MAX + 10;
    for (int64_t i = 0; i < total; i++)
        most_read_count(m, 3);
    struct article_view_count *list = NULL;
    size_t n = 0, cap = 0;
    most_read_take(m, NOW, &list, &n, &cap);
    CHECK_INT(n, 2);
    CHECK(views_of(list, n, 3) == total);
    free(list);
    most_read_free(m);
}

/* Threads counting while another takes: every view is in exactly one take. */
struct counting {
    struct most_read *m;
    int base;
};

#define THREAD_VIEWS 200000

static void *count_views(void *arg)
{
    struct counting *c = arg;
    for (int i = 0; i < THREAD_VIEWS; i++)
        most_read_count(c->m, c->base + i % 7);
    return NULL;
}

static void test_threads_lose_nothing(void)
{
    struct most_read *m = most_read_new(256, 5);
    pthread_t threads[4];
    struct counting args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (struct counting){.m = m, .base = 1 + (i % 2) * 3}; /* ids overlap */
        pthread_create(&threads[i], NULL, count_views, &args[i]);
    }
    struct article_view_count *list = NULL;
    size_t n = 0, cap = 0;
    for (int k = 0; k < 200; k++)
        most_read_take(m, NOW, &list, &n, &cap);
    for (int i = 0; i < 4; i++)
        pthread_join(threads[i], NULL);
    most_read_take(m, NOW, &list, &n, &cap);
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += list[i].views;
    CHECK(sum == 4 * (int64_t)THREAD_VIEWS);
    CHECK_INT(most_read_dropped(m), 0);
    free(list);
    most_read_free(m);
}

/* ---- the store and the box ----------------------------------------------------------------- */

/* Saves publication "nj", section "news" and published articles a1…a4 ("<b>&" in a4's headline);
 * their ids into ids[0..4). */
static void save_articles(struct store *st, int64_t ids[4])
{
    char err[256] = "";
    struct publication nj = {.slug = "nj", .name = "National Journal", .is_host = 1};
    struct section news = {.slug = "news", .name = "News", .position = 1};
    CHECK_INT(store_publication_save(st, &nj, err, sizeof err), STORE_OK);
    CHECK_INT(store_section_save(st, &news, err, sizeof err), STORE_OK);
    const char *slugs[4] = {"a1", "a2", "a3", "a4"};
    const char *headlines[4] = {"One", "Two", "Three", "Bold <b> & \"quoted\""};
    for (int i = 0; i < 4; i++) {
        struct article_input in = {.slug = slugs[i],
                                   .headline = headlines[i],
                                   .dek = "Dek",
                                   .byline = "A. Reporter",
                                   .publication_slug = "nj",
                                   .section_slug = "news",
                                   .body_markdown = "Body.",
                                   .body_html = "<p>Body.</p>\n",
                                   .published_at = NOW - 10 * HOUR + i,
                                   .access = ACCESS_FREE};
        CHECK_INT(store_articles_save(st, &in, 1, err, sizeof err), STORE_OK);
        enum access_level level;
        CHECK_INT(store_article_meta(st, slugs[i], &ids[i], &level), STORE_OK);
    }
}

static void test_flush_and_top(void)
{
    struct tmpdb t;
    if (tmpdb_make(&t, "most-read") != 0) {
        CHECK(0);
        return;
    }
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    int64_t ids[4];
    save_articles(st, ids);
    struct arena *a = arena_new(0);
    struct most_read *m = most_read_new(64, 3);
    /* a1: 2 views two days ago (purged, and outside the window anyway); now: a1 1, a2 5,
     * a3 3 then 2 more in a second flush, a4 4 */
    for (int i = 0; i < 2; i++)
        most_read_count(m, ids[0]);
    most_read_flush(m, st, NOW - 48 * HOUR);
    CHECK_INT(tdb_int(&t, "SELECT count(*) FROM article_views"), 1);
    int counts[4] = {1, 5, 3, 4};
    for (int k = 0; k < 4; k++)
        for (int i = 0; i < counts[k]; i++)
            most_read_count(m, ids[k]);
    most_read_flush(m, st, NOW);
    /* the 48-hour-old row is gone: older than the window and its spare hour */
    CHECK_INT(tdb_int(&t, "SELECT count(*) FROM article_views"), 4);
    for (int i = 0; i < 2; i++)
        most_read_count(m, ids[2]);
    most_read_flush(m, st, NOW + 60); /* the same hour: the rows add up */
    CHECK_INT(tdb_int(&t, "SELECT count(*) FROM article_views"), 4);
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT views FROM article_views WHERE article_id = %lld",
             (long long)ids[2]);
    CHECK_INT(tdb_int(&t, sql), 5);
    /* an hour 23 hours back is in the window, one 24 hours back is not */
    most_read_count(m, ids[0]);
    most_read_flush(m, st, NOW - 23 * HOUR);
    most_read_count(m, ids[3]);
    most_read_count(m, ids[3]);
    most_read_count(m, ids[3]);
    most_read_flush(m, st, NOW - 24 * HOUR);

    struct most_read_item *items;
    size_t n;
    CHECK_INT(store_most_read(st, a, NOW - NOW % HOUR - 23 * HOUR, 3, &items, &n), STORE_OK);
    CHECK_INT(n, 3);
    if (n == 3) {
        /* a2 5 and a3 5 (the newer first), a4 4; a1 has 2 */
        CHECK_INT(items[0].id, ids[2]);
        CHECK_INT(items[0].views, 5);
        CHECK_INT(items[1].id, ids[1]);
        CHECK_STR(items[1].slug, "a2");
        CHECK_STR(items[1].headline, "Two");
        CHECK_INT(items[2].id, ids[3]);
        CHECK_INT(items[2].views, 4);
    }

    /* The box: rendered with the template, headlines escaped, the tag a function of the bytes. */
    struct tmpl_set *templates = tmpl_set_new(0);
    char err[256];
    const char *source = "<ol>{{#articles}}<li>{{rank}} <a href=\"{{url}}\">{{headline}}</a> "
                         "{{views}}</li>{{/articles}}</ol>";
    CHECK_INT(tmpl_set_add(templates, "most-read", source, strlen(source), err, sizeof err), 0);
    const char *html;
    size_t len;
    char tag[MOST_READ_TAG_LEN + 1], first_tag[MOST_READ_TAG_LEN + 1];
    CHECK_INT(most_read_box(m, a, &html, &len, tag), -1); /* not refreshed yet */
    CHECK_INT(most_read_refresh(m, st, templates, NOW), 0);
    CHECK_INT(most_read_box(m, a, &html, &len, first_tag), 0);
    CHECK_STR(html, "<ol><li>1 <a href=\"/articles/a3\">Three</a> 5</li>"
                    "<li>2 <a href=\"/articles/a2\">Two</a> 5</li>"
                    "<li>3 <a href=\"/articles/a4\">Bold &lt;b&gt; &amp; &quot;quoted&quot;</a> "
                    "4</li></ol>");
    CHECK_INT(strlen(first_tag), MOST_READ_TAG_LEN);
    CHECK_INT(most_read_refresh(m, st, templates, NOW), 0);
    CHECK_INT(most_read_box(m, a, &html, &len, tag), 0);
    CHECK_STR(tag, first_tag); /* the same bytes, the same tag */

    /* An unpublished article leaves at the next refresh; the tag changes with the bytes. */
    snprintf(sql, sizeof sql, "UPDATE articles SET state = 'unpublished' WHERE id = %lld",
             (long long)ids[2]);
    CHECK_INT(tdb_exec(&t, sql), 0);
    CHECK_INT(most_read_refresh(m, st, templates, NOW), 0);
    CHECK_INT(most_read_box(m, a, &html, &len, tag), 0);
    CHECK(strstr(html, "/articles/a3") == NULL);
    CHECK(strstr(html, "<li>3 <a href=\"/articles/a1\">One</a> 2</li>") != NULL);
    CHECK(strcmp(tag, first_tag) != 0);

    /* A deleted article's views are dropped at the flush, and the rest are written. */
    most_read_count(m, ids[1]);
    most_read_count(m, 999999);
    most_read_flush(m, st, NOW + 120);
    snprintf(sql, sizeof sql, "SELECT views FROM article_views WHERE article_id = %lld",
             (long long)ids[1]);
    CHECK_INT(tdb_int(&t, sql), 6);
    CHECK_INT(tdb_int(&t, "SELECT count(*) FROM article_views WHERE article_id = 999999"), 0);

    /* Nothing read in the window: no box. */
    CHECK_INT(most_read_refresh(m, st, templates, NOW + 30 * HOUR), 0);
    CHECK_INT(most_read_box(m, a, &html, &len, tag), -1);

    tmpl_set_free(templates);
    most_read_free(m);
    arena_free(a);
    store_close(st);
out:
    tmpdb_remove(&t);
}

/* The box follows the change log between its refreshes: a change to an article it shows (an
 * edited headline, an unpublished story) remakes it at the next tick, from the counts already in
 * the database; a change to anything else leaves it as it is until its time. */
static void test_follows_changes(void)
{
    struct tmpdb t;
    if (tmpdb_make(&t, "most-read-follow") != 0) {
        CHECK(0);
        return;
    }
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    int64_t ids[4];
    save_articles(st, ids);
    struct arena *a = arena_new(0);
    struct most_read *m = most_read_new(64, 2);
    struct tmpl_set *templates = tmpl_set_new(0);
    char err[256], sql[200], tag[MOST_READ_TAG_LEN + 1];
    const char *source = "{{#articles}}[{{headline}}]{{/articles}}";
    CHECK_INT(tmpl_set_add(templates, "most-read", source, strlen(source), err, sizeof err), 0);
    const char *html;
    size_t len;

    most_read_count(m, ids[0]);
    for (int i = 0; i < 2; i++)
        most_read_count(m, ids[1]);
    most_read_tick(m, st, templates, 60, 1000, NOW); /* the first tick: flush and refresh */
    CHECK_INT(most_read_box(m, a, &html, &len, tag), 0);
    CHECK_STR(html, "[Two][One]");

    snprintf(sql, sizeof sql, "UPDATE articles SET headline = 'Two, edited' WHERE id = %lld",
             (long long)ids[1]);
    CHECK_INT(tdb_exec(&t, sql), 0);
    /* tags of other things: the box stays until its minute is up */
    char other[32];
    snprintf(other, sizeof other, "article:%lld", (long long)ids[2]);
    const char *unrelated[] = {"list:all", "nav", other, "article:x", "articles:1"};
    most_read_follow(m, unrelated, 5);
    most_read_tick(m, st, templates, 60, 2000, NOW + 1);
    CHECK_INT(most_read_box(m, a, &html, &len, tag), 0);
    CHECK_STR(html, "[Two][One]");

    /* one of its articles: remade at the next tick */
    char mine[32];
    snprintf(mine, sizeof mine, "article:%lld", (long long)ids[1]);
    const char *changed[] = {"list:all", mine};
    most_read_follow(m, changed, 2);
    most_read_tick(m, st, templates, 60, 3000, NOW + 2);
    CHECK_INT(most_read_box(m, a, &html, &len, tag), 0);
    CHECK_STR(html, "[Two, edited][One]");

    /* an unpublished one leaves at once; a3, never read, does not take its place */
    snprintf(sql, sizeof sql, "UPDATE articles SET state = 'unpublished' WHERE id = %lld",
             (long long)ids[0]);
    CHECK_INT(tdb_exec(&t, sql), 0);
    snprintf(mine, sizeof mine, "article:%lld", (long long)ids[0]);
    const char *gone[] = {mine};
    most_read_follow(m, gone, 1);
    most_read_tick(m, st, templates, 60, 4000, NOW + 3);
    CHECK_INT(most_read_box(m, a, &html, &len, tag), 0);
    CHECK_STR(html, "[Two, edited]");

    /* the caches flushed (a large import): anything may have changed */
    snprintf(sql, sizeof sql, "UPDATE articles SET headline = 'Two again' WHERE id = %lld",
             (long long)ids[1]);
    CHECK_INT(tdb_exec(&t, sql), 0);
    most_read_follow(m, NULL, 0);
    most_read_tick(m, st, templates, 60, 5000, NOW + 4);
    CHECK_INT(most_read_box(m, a, &html, &len, tag), 0);
    CHECK_STR(html, "[Two again]");
    most_read_follow(NULL, NULL, 0); /* no box: nothing */

    tmpl_set_free(templates);
    most_read_free(m);
    arena_free(a);
    store_close(st);
out:
    tmpdb_remove(&t);
}

/* The three slots are found in whatever order a theme puts them. */
static void test_holes_in_any_order(void)
{
    static const char *const orders[][3] = {
        {"account", "reader-note", "most-read"},
        {"most-read", "account", "reader-note"},
        {"reader-note", "most-read", "account"},
        {"account", "most-read", "reader-note"},
    };
    static const int slots[][3] = {
        {SPLICE_ACCOUNT, SPLICE_NOTE, SPLICE_MOST_READ},
        {SPLICE_MOST_READ, SPLICE_ACCOUNT, SPLICE_NOTE},
        {SPLICE_NOTE, SPLICE_MOST_READ, SPLICE_ACCOUNT},
        {SPLICE_ACCOUNT, SPLICE_MOST_READ, SPLICE_NOTE},
    };
    for (size_t k = 0; k < 4; k++) {
        char page[400];
        snprintf(page, sizeof page,
                 "a<!--%s-->x<!--/%s-->b<!--%s-->y<!--/%s-->c<!--%s--><!--/%s-->d", orders[k][0],
                 orders[k][0], orders[k][1], orders[k][1], orders[k][2], orders[k][2]);
        struct entity_hole holes[SPLICE_SLOTS];
        size_t n = splice_find_holes(page, strlen(page), holes);
        CHECK_INT(n, 3);
        for (size_t i = 0; i < n && i < 3; i++)
            CHECK_INT(holes[i].slot, slots[k][i]);
        if (n == 3) {
            CHECK(!memcmp(page + holes[0].start, "x", holes[0].end - holes[0].start));
            CHECK_INT(holes[2].end - holes[2].start, 0);
        }
    }
    /* Only the box's slot: one hole. */
    const char *home = "<main><!--most-read--><!--/most-read--></main>";
    struct entity_hole holes[SPLICE_SLOTS];
    CHECK_INT(splice_find_holes(home, strlen(home), holes), 1);
    CHECK_INT(holes[0].slot, SPLICE_MOST_READ);
}

/* inflate's whole output of gzip data[0..len) into out. 0 or -1. */
static int gunzip(const void *data, size_t len, struct buf *out)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
        return -1;
    zs.next_in = (Bytef *)(uintptr_t)data;
    zs.avail_in = (uInt)len;
    int rc;
    do {
        unsigned char chunk[4096];
        zs.next_out = chunk;
        zs.avail_out = sizeof chunk;
        rc = inflate(&zs, Z_NO_FLUSH);
        buf_append(out, (const char *)chunk, sizeof chunk - zs.avail_out);
    } while (rc == Z_OK);
    inflateEnd(&zs);
    return rc == Z_STREAM_END ? 0 : -1;
}

/* What the filled variant f sends a reader who takes gzip, inflated when it is gzip, into out. */
static void filled_text(struct entity *f, struct buf *out)
{
    struct req r;
    memset(&r, 0, sizeof r);
    r.accept_gzip = 1;
    struct entity_choice c;
    entity_choose(f, &r, &c);
    if (c.gzip)
        CHECK_INT(gunzip(c.body, c.len, out), 0);
    else
        buf_append(out, c.body, c.len);
}

/* The filled variant of a page (entity_filled): none before the ENTITY_FILLED_AFTER-th request
 * for a tag, then one whose body is the page with the box (gzip, which inflates to it; no
 * identity copy: a reader who does not take gzip gets none, and is not counted) and whose ETag
 * carries the tag; the same one while the tag stays, a new one after. A page without a gzip
 * variant gets an identity one, for every reader. */
static void test_filled_variant(void)
{
    struct buf page = BUF_INIT;
    for (int i = 0; i < 60; i++)
        buf_puts(&page, "<p>Padding paragraph of the page, for gzip.</p>\n");
    buf_puts(&page, "<aside><!--most-read--><!--/most-read--></aside><p>end</p>");
    struct entity_hole holes[SPLICE_SLOTS];
    size_t nholes = splice_find_holes(page.data, page.len, holes);
    CHECK_INT(nholes, 1);
    struct entity *e = entity_new_holes(200, "text/html; charset=utf-8", "no-cache", page.data,
                                        page.len, 1, holes, nholes);
    entity_set_keys(e, "article:1 nav");
    struct arena *a = arena_new(0);
    struct entity_fill fills[SPLICE_SLOTS] = {{0}};
    fills[SPLICE_MOST_READ] = (struct entity_fill){"<ol><li>Box</li></ol>", 21, 1};
    size_t made, charged = 0;
    for (int i = 1; i < ENTITY_FILLED_AFTER; i++) {
        CHECK(entity_filled(e, fills, SPLICE_SLOTS, "0123456789abcdef", 1, a, &made) == NULL);
        charged += made;
        /* readers who do not take gzip are not counted, and never get it */
        CHECK(entity_filled(e, fills, SPLICE_SLOTS, "0123456789abcdef", 0, a, &made) == NULL);
        CHECK_INT(made, 0);
    }
    struct entity *f = entity_filled(e, fills, SPLICE_SLOTS, "0123456789abcdef", 1, a, &made);
    charged += made;
    CHECK(f != NULL);
    CHECK(charged > 0);
    char *want = arena_printf(a, "%.*s<ol><li>Box</li></ol>%s",
                              (int)(strstr(page.data, "<!--/most-read-->") - page.data), page.data,
                              strstr(page.data, "<!--/most-read-->"));
    char *page_etag = arena_strndup(a, entity_etag(e), strlen(entity_etag(e)) - 1);
    if (f) {
        struct req r;
        memset(&r, 0, sizeof r);
        r.accept_gzip = 1;
        struct entity_choice c;
        entity_choose(f, &r, &c);
        CHECK(c.gzip);
        struct buf plain = BUF_INIT;
        filled_text(f, &plain);
        CHECK(plain.len == strlen(want) && !memcmp(plain.data, want, plain.len));
        buf_free(&plain);
        CHECK_STR(MHD_get_response_header(c.response, "ETag"),
                  arena_printf(a, "%s-gz-mr0123456789abcdef\"", page_etag));
        CHECK_STR(MHD_get_response_header(c.response, "Surrogate-Key"), "article:1 nav");
        /* it holds the gzip body only: less than the page's own two */
        CHECK(entity_bytes(f) < entity_bytes(e) - page.len);
        CHECK(f == NULL ||
              entity_filled(e, fills, SPLICE_SLOTS, "0123456789abcdef", 0, a, &made) == NULL);
        /* 304 for its own ETag */
        r.if_none_match = MHD_get_response_header(c.response, "ETag");
        entity_choose(f, &r, &c);
        CHECK_INT(c.status, 304);
    }
    /* the same tag: the same variant, nothing more charged */
    struct entity *again = entity_filled(e, fills, SPLICE_SLOTS, "0123456789abcdef", 1, a, &made);
    CHECK(again == f);
    CHECK_INT(made, 0);
    entity_free(again);
    /* another tag: none until its own ENTITY_FILLED_AFTER-th request; f stays valid for whoever
     * holds it */
    fills[SPLICE_MOST_READ] = (struct entity_fill){"<ol><li>New</li></ol>", 21, 1};
    CHECK(entity_filled(e, fills, SPLICE_SLOTS, "fedcba9876543210", 1, a, &made) == NULL);
    struct buf text = BUF_INIT;
    filled_text(f, &text);
    buf_putc(&text, '\0');
    CHECK(strstr(text.data, "<li>Box</li>") != NULL);
    buf_free(&text);
    entity_free(f);
    for (int i = 2; i < ENTITY_FILLED_AFTER; i++)
        CHECK(entity_filled(e, fills, SPLICE_SLOTS, "fedcba9876543210", 1, a, &made) == NULL);
    struct entity *g = entity_filled(e, fills, SPLICE_SLOTS, "fedcba9876543210", 1, a, &made);
    CHECK(g != NULL);
    CHECK_INT(made, 0); /* charged once per page */
    if (g) {
        filled_text(g, &text);
        buf_putc(&text, '\0');
        CHECK(strstr(text.data, "<li>New</li>") != NULL);
        buf_free(&text);
    }
    entity_free(g);
    /* a tag too long for the entity: never a variant */
    CHECK(entity_filled(e, fills, SPLICE_SLOTS, "0123456789abcdef0123456789", 1, a, &made) == NULL);
    entity_free(e);

    /* A page without a gzip variant (compress 0): an identity one, for any reader. */
    e = entity_new_holes(200, "text/html; charset=utf-8", "no-cache", page.data, page.len, 0, holes,
                         nholes);
    fills[SPLICE_MOST_READ] = (struct entity_fill){"<ol><li>Box</li></ol>", 21, 1};
    for (int i = 1; i < ENTITY_FILLED_AFTER; i++)
        CHECK(entity_filled(e, fills, SPLICE_SLOTS, "0123456789abcdef", 0, a, &made) == NULL);
    f = entity_filled(e, fills, SPLICE_SLOTS, "0123456789abcdef", 0, a, &made);
    CHECK(f != NULL);
    if (f) {
        size_t len;
        const char *body = entity_body(f, &len);
        CHECK(len == strlen(want) && !memcmp(body, want, len));
        CHECK_STR(entity_etag(f), arena_printf(a, "%s-mr0123456789abcdef\"", page_etag));
    }
    entity_free(f);
    entity_free(e);
    arena_free(a);
    buf_free(&page);
}

/* A page with the box's slot is made with ENTITY_GZIP_PARTS: no shared gzip body (a gzip
 * reader of the page as it is gets its parts), so it holds less than the same page made with
 * one; its parts in gzip inflate to the page, and its filled variant is gzip as before. */
static void test_gzip_from_parts_only(void)
{
    struct buf page = BUF_INIT;
    for (int i = 0; i < 60; i++)
        buf_puts(&page, "<p>Padding paragraph of the page, for gzip.</p>\n");
    buf_puts(&page, "<aside><!--most-read--><!--/most-read--></aside><p>end</p>");
    struct entity_hole holes[SPLICE_SLOTS];
    size_t nholes = splice_find_holes(page.data, page.len, holes);
    struct entity *whole = entity_new_holes(200, "text/html; charset=utf-8", "no-cache", page.data,
                                            page.len, 1, holes, nholes);
    struct entity *e = entity_new_holes(200, "text/html; charset=utf-8", "no-cache", page.data,
                                        page.len, ENTITY_GZIP_PARTS, holes, nholes);
    CHECK(entity_has_gzip(e));
    CHECK(entity_has_gzip(whole));
    CHECK(entity_bytes(e) + 200 < entity_bytes(whole)); /* no gzip body, no two responses */
    CHECK_STR(entity_etag(e), entity_etag(whole));
    struct req r;
    memset(&r, 0, sizeof r);
    r.accept_gzip = 1;
    struct entity_choice c;
    entity_choose(e, &r, &c);
    CHECK(!c.gzip); /* the shared response is identity only */
    struct arena *a = arena_new(0);
    struct entity_parts parts;
    entity_parts(e, NULL, 0, 1, a, &parts);
    CHECK(parts.gzip);
    CHECK(parts.made > 0); /* the segments, made on this first use */
    struct buf gz = BUF_INIT, plain = BUF_INIT;
    for (size_t i = 0; i < parts.count; i++)
        buf_append(&gz, parts.iov[i].iov_base, parts.iov[i].iov_len);
    CHECK_INT(gz.len, parts.len);
    CHECK_INT(gunzip(gz.data, gz.len, &plain), 0);
    CHECK(plain.len == page.len && !memcmp(plain.data, page.data, page.len));
    /* the filled variant: gzip, as for a page with a shared gzip body */
    struct entity_fill fills[SPLICE_SLOTS] = {{0}};
    fills[SPLICE_MOST_READ] = (struct entity_fill){"<ol><li>Box</li></ol>", 21, 1};
    size_t made;
    for (int i = 1; i < ENTITY_FILLED_AFTER; i++)
        CHECK(entity_filled(e, fills, SPLICE_SLOTS, "0123456789abcdef", 1, a, &made) == NULL);
    CHECK(entity_filled(e, fills, SPLICE_SLOTS, "0123456789abcdef", 0, a, &made) == NULL);
    struct entity *f = entity_filled(e, fills, SPLICE_SLOTS, "0123456789abcdef", 1, a, &made);
    CHECK(f != NULL);
    if (f) {
        entity_choose(f, &r, &c);
        CHECK(c.gzip);
        struct buf text = BUF_INIT;
        filled_text(f, &text);
        buf_putc(&text, '\0');
        CHECK(strstr(text.data, "<li>Box</li>") != NULL);
        buf_free(&text);
    }
    entity_free(f);
    buf_free(&gz);
    buf_free(&plain);
    arena_free(a);
    entity_free(e);
    entity_free(whole);
    buf_free(&page);
}

void suite_most_read(void)
{
    RUN(test_counts_exact);
    RUN(test_ids_out_of_range_and_off);
    RUN(test_full_table);
    RUN(test_count_overflow);
    RUN(test_threads_lose_nothing);
    RUN(test_flush_and_top);
    RUN(test_follows_changes);
    RUN(test_holes_in_any_order);
    RUN(test_filled_variant);
    RUN(test_gzip_from_parts_only);
}
