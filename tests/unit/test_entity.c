/*
 * test_entity.c: tests of the connection-free parts of src/entity.c: an entity keeps its own
 * copy of the body (binary, empty, large and compressible alike), and its ETag is a quoted
 * strong tag that depends on the body only: the same body gives the same tag whatever the
 * status, content type or compression, a one-byte change gives another, and the tag matches an
 * If-None-Match naming it (strongly or weakly). Compressing per send reuses the thread's deflate
 * state instead of setting up 400 KB of it each time. Sending needs a live connection and is
 * covered by the HTTP tests (respond.c); the gzip variant has no accessor and is covered there too.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "arena.h"
#include "check.h"
#include "entity.h"
#include "req.h"
#include "splice.h"

/* A text entity for s, compressed when worth it. */
static struct entity *text_entity(const char *s)
{
    return entity_new(200, "text/html; charset=utf-8", "no-cache", s, strlen(s), 1);
}

/* 1 if etag is a quoted strong tag: "..." with at least one character and no quote inside. */
static int strong_quoted(const char *etag)
{
    size_t len = etag ? strlen(etag) : 0;
    if (len < 3 || etag[0] != '"' || etag[len - 1] != '"')
        return 0;
    return memchr(etag + 1, '"', len - 2) == NULL;
}

static void test_body_is_a_copy(void)
{
    char src[] = "<p>Hello</p>";
    struct entity *e = text_entity(src);
    size_t len = 0;
    const char *body = entity_body(e, &len);
    CHECK_INT(len, strlen("<p>Hello</p>"));
    CHECK(body != src);
    CHECK(memcmp(body, "<p>Hello</p>", len) == 0);
    src[1] = 'X'; /* changing the caller's bytes afterwards does not change the entity */
    body = entity_body(e, &len);
    CHECK(memcmp(body, "<p>Hello</p>", len) == 0);
    entity_free(e);
}

static void test_binary_and_empty_bodies(void)
{
    const unsigned char bin[] = {0x89, 'P', 'N', 'G', 0x00, 0x0d, 0x0a, 0x00, 0xff};
    struct entity *e = entity_new(200, "image/png", "max-age=3600", bin, sizeof bin, 0);
    size_t len = 0;
    const char *body = entity_body(e, &len);
    CHECK_INT(len, sizeof bin);
    CHECK(memcmp(body, bin, sizeof bin) == 0);
    CHECK(strong_quoted(entity_etag(e)));
    entity_free(e);

    struct entity *empty = entity_new(200, "text/plain", "no-cache", "", 0, 1);
    len = 99;
    entity_body(empty, &len);
    CHECK_INT(len, 0);
    CHECK(strong_quoted(entity_etag(empty)));
    entity_free(empty);
    entity_free(NULL); /* fine, like free */
}

/* A large, very compressible body (gzip is made for it) keeps its identity body intact. */
static void test_large_compressible_body(void)
{
    size_t n = 200000;
    char *text = malloc(n);
    for (size_t i = 0; i < n; i++)
        text[i] = "<p>news</p>\n"[i % 12];
    struct entity *e = entity_new(200, "text/html", "no-cache", text, n, 1);
    size_t len = 0;
    const char *body = entity_body(e, &len);
    CHECK_INT(len, n);
    CHECK(memcmp(body, text, n) == 0);
    CHECK(strong_quoted(entity_etag(e)));
    entity_free(e);
    free(text);
}

static void test_etag_depends_on_body_only(void)
{
    const char *page = "<html><body>Same page</body></html>";
    struct entity *a = text_entity(page);
    struct entity *b = text_entity(page);
    struct entity *c = entity_new(404, "text/plain", "max-age=60", page, strlen(page), 0);
    CHECK(strong_quoted(entity_etag(a)));
    CHECK_STR(entity_etag(a), entity_etag(b));
    CHECK_STR(entity_etag(a), entity_etag(c)); /* status, type, compression don't matter */
    CHECK_STR(entity_etag(a), entity_etag(a)); /* stable across calls */
    entity_free(a);
    entity_free(b);
    entity_free(c);
}

static void test_etag_differs_with_body(void)
{
    struct entity *a = text_entity("<p>Version 1</p>");
    struct entity *b = text_entity("<p>Version 2</p>");
    struct entity *c = text_entity("<p>Version 1</p> ");
    struct entity *d = text_entity("");
    CHECK(strcmp(entity_etag(a), entity_etag(b)) != 0);
    CHECK(strcmp(entity_etag(a), entity_etag(c)) != 0);
    CHECK(strcmp(entity_etag(a), entity_etag(d)) != 0);
    CHECK(strcmp(entity_etag(b), entity_etag(c)) != 0);

    /* many distinct bodies, all distinct tags */
    enum { COUNT = 200 };
    struct entity *many[COUNT];
    for (int i = 0; i < COUNT; i++) {
        char body[32];
        snprintf(body, sizeof body, "body %d", i);
        many[i] = text_entity(body);
    }
    int collisions = 0;
    for (int i = 0; i < COUNT; i++)
        for (int k = i + 1; k < COUNT; k++)
            if (!strcmp(entity_etag(many[i]), entity_etag(many[k])))
                collisions++;
    CHECK_INT(collisions, 0);
    for (int i = 0; i < COUNT; i++)
        entity_free(many[i]);
    entity_free(a);
    entity_free(b);
    entity_free(c);
    entity_free(d);
}

/* A client that got the tag sends it back in If-None-Match: it must match, weak or strong. */
static void test_etag_roundtrips_through_if_none_match(void)
{
    struct entity *e = text_entity("<p>cached</p>");
    struct entity *other = text_entity("<p>changed</p>");
    const char *etag = entity_etag(e);
    char weak[64], list[128];
    snprintf(weak, sizeof weak, "W/%s", etag);
    snprintf(list, sizeof list, "%s, %s", entity_etag(other), etag);
    CHECK_INT(req_etag_matches(etag, etag), 1);
    CHECK_INT(req_etag_matches(weak, etag), 1);
    CHECK_INT(req_etag_matches(list, etag), 1);
    CHECK_INT(req_etag_matches(entity_etag(other), etag), 0);
    entity_free(e);
    entity_free(other);
}

/* HTTP dates (Last-Modified, If-Modified-Since): IMF-fixdate out, and only IMF-fixdate in. */
static void test_http_dates(void)
{
    char date[40];
    entity_http_date(784111777, date, sizeof date);
    CHECK_STR(date, "Sun, 06 Nov 1994 08:49:37 GMT");
    int64_t when = 0;
    CHECK_INT(entity_http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT", &when), 0);
    CHECK_INT(when, 784111777);
    CHECK_INT(entity_http_date_parse("Thu, 01 Jan 1970 00:00:00 GMT", &when), 0);
    CHECK_INT(when, 0);
    const char *bad[] = {
        "Sunday, 06-Nov-94 08:49:37 GMT", /* RFC 850: obsolete, ignored */
        "Sun Nov  6 08:49:37 1994",       /* asctime */
        "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 31 Feb 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:49:37 GMT",
        "Sun, 06 Xyz 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT ",
        "Sun, 0a Nov 1994 08:49:37 GMT",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        when = 42;
        CHECK_INT(entity_http_date_parse(bad[i], &when), -1);
        CHECK_INT(when, 42);
    }
    CHECK_INT(entity_http_date_parse(NULL, &when), -1);
}

/* If-Modified-Since: 304 when the entity's Last-Modified is no later; ignored when the entity
 * has none, when the date is not one, and whenever If-None-Match is sent (it decides). */
static void test_if_modified_since(void)
{
    struct entity *e = text_entity("<rss>feed</rss>");
    struct entity *page = text_entity("<p>page</p>");
    entity_set_last_modified(e, 784111777);
    struct req r;
    memset(&r, 0, sizeof r);
    struct entity_choice c;
    struct {
        const char *since, *none_match;
        unsigned want;
    } cases[] = {
        {"Sun, 06 Nov 1994 08:49:37 GMT", NULL, 304},    /* the same second */
        {"Mon, 07 Nov 1994 00:00:00 GMT", NULL, 304},    /* later */
        {"Sun, 06 Nov 1994 08:49:36 GMT", NULL, 200},    /* a second earlier */
        {"Sunday, 06-Nov-94 08:49:37 GMT", NULL, 200},   /* not IMF-fixdate */
        {"Mon, 07 Nov 1994 00:00:00 GMT", "\"x\"", 200}, /* If-None-Match decides: no match */
        {NULL, NULL, 200},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        r.if_modified_since = cases[i].since;
        r.if_none_match = cases[i].none_match;
        entity_choose(e, &r, &c);
        CHECK_INT(c.status, cases[i].want);
    }
    r.if_none_match = entity_etag(e); /* and a matching one: 304 whatever the date */
    r.if_modified_since = "Sat, 05 Nov 1994 00:00:00 GMT";
    entity_choose(e, &r, &c);
    CHECK_INT(c.status, 304);
    r.if_none_match = NULL;
    r.if_modified_since = "Mon, 07 Nov 1994 00:00:00 GMT";
    entity_choose(page, &r, &c); /* no Last-Modified: a page answers in full */
    CHECK_INT(c.status, 200);
    entity_set_last_modified(page, 0); /* 0: none */
    entity_choose(page, &r, &c);
    CHECK_INT(c.status, 200);
    entity_free(e);
    entity_free(page);
}

/* Decompresses a gzip body and compares it with want. */
static int gunzips_to(const unsigned char *gz, size_t len, const char *want)
{
    char out[8192];
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 16) != Z_OK)
        return 0;
    zs.next_in = (Bytef *)(uintptr_t)gz;
    zs.avail_in = (uInt)len;
    zs.next_out = (Bytef *)out;
    zs.avail_out = sizeof out;
    int rc = inflate(&zs, Z_FINISH);
    size_t n = zs.total_out;
    inflateEnd(&zs);
    return rc == Z_STREAM_END && n == strlen(want) && !memcmp(out, want, n);
}

/* A thread compresses many bodies (a personal page per request) with one deflate stream per
 * level, reset for each: setting one up per body made the allocator churn (finding 17). Each
 * body still comes out whole and right. */
static void *compress_many(void *arg)
{
    int *ok = arg;
    for (int i = 0; i < 200; i++) {
        char body[600];
        snprintf(body, sizeof body, "<p>reader %d: %s</p>", i,
                 "a page worth compressing, a page worth compressing, a page worth compressing");
        size_t len;
        unsigned char *gz = entity_gzip(body, strlen(body), i % 4 ? 1 : 9, &len);
        if (!gz || !gunzips_to(gz, len, body))
            *ok = 0;
        free(gz);
    }
    return NULL;
}

static void test_gzip_reuses_thread_state(void)
{
    int ok = 1;
    unsigned long before = entity_deflate_setups();
    pthread_t t;
    CHECK(pthread_create(&t, NULL, compress_many, &ok) == 0);
    pthread_join(t, NULL);
    CHECK(ok);
    /* 200 bodies at two levels: two streams, not 200 */
    CHECK_INT(entity_deflate_setups() - before, 2);
}

#if defined(__SANITIZE_ADDRESS__)
#define HEAP_MEASURED 0 /* ASan's allocator keeps its own books: mallinfo2 says nothing */
#else
#define HEAP_MEASURED 1
#endif

/* A page like an article's: paragraphs of words from a small vocabulary picked by a fixed
 * generator (so gzip makes it about a third of its size, as it does real pages), with the
 * meter's hole markers where a metered page has them. */
static char *article_like(size_t want, size_t *len)
{
    static const char *words[] = {"the",    "minister",   "said",    "on",        "nuclear",
                                  "treaty", "talks",      "Tuesday", "would",     "resume",
                                  "after",  "inspectors", "found",   "uranium",   "stocks",
                                  "in",     "a",          "report",  "published", "by"};
    char *s = malloc(want + 256);
    size_t n = 0;
    unsigned x = 12345;
    n += (size_t)sprintf(s, "<html><body><!--account--><a href=/login>Log in</a>"
                            "<!--/account--><article>");
    while (n < want) {
        n += (size_t)sprintf(s + n, "<p>");
        for (int w = 0; w < 40 && n < want; w++) {
            x = x * 1103515245u + 12345u;
            n += (size_t)sprintf(s + n, "%s ", words[(x >> 16) % 20]);
        }
        n += (size_t)sprintf(s + n, "</p>\n");
    }
    n += (size_t)sprintf(s + n, "</article><!--reader-note--><!--/reader-note--></body></html>");
    *len = n;
    return s;
}

/* The page cache's budget is in entity_bytes: an entity must not hold more heap than it says,
 * or a cache at its budget holds twice it (the gzip buffers were once left at deflateBound, the
 * input's size, and a cache "at 256 MiB" took 515 MiB). Each of a thousand entities made and
 * kept measures the heap the process gained, compressed, with and without holes. */
static void test_bytes_count_the_heap(void)
{
    if (!HEAP_MEASURED)
        return;
    size_t len;
    char *page = article_like(24000, &len);
    struct entity_hole holes[SPLICE_SLOTS];
    size_t nholes = splice_find_holes(page, len, holes);
    CHECK_INT(nholes, 2);
    enum { N = 200 };
    for (int with_holes = 0; with_holes < 2; with_holes++) {
        static struct entity *kept[N];
        entity_free(entity_new(200, "text/html", "no-cache", page, len, 1)); /* warm zlib */
        size_t counted = 0;
        struct arena *arena = arena_new(0);
        arena_alloc(arena, 4096); /* its first block, before the measure */
        struct mallinfo2 before = mallinfo2();
        for (int i = 0; i < N; i++) {
            page[len - 20] = (char)('a' + i % 26); /* another body, as another page */
            kept[i] = entity_new_holes(200, "text/html; charset=utf-8", "no-cache", page, len, 1,
                                       with_holes ? holes : NULL, with_holes ? nholes : 0);
            if (i % 2) /* a feed's Last-Modified header on every response, counted too */
                entity_set_last_modified(kept[i], 784111777);
            size_t bytes = entity_bytes(kept[i]);
            /* a personal response in gzip makes the pieces' segments, and counts them; the
             * second makes nothing */
            struct entity_fill fills[SPLICE_SLOTS] = {{"<a href=/account>You</a>", 24, 1}};
            struct entity_parts parts;
            entity_parts(kept[i], fills, SPLICE_SLOTS, 1, arena, &parts);
            CHECK_INT(parts.gzip, 1);
            CHECK(with_holes ? parts.made > 0 : parts.made == 0);
            CHECK_INT(entity_bytes(kept[i]), bytes + parts.made);
            entity_parts(kept[i], fills, SPLICE_SLOTS, 1, arena, &parts);
            CHECK_INT(parts.made, 0);
            counted += entity_bytes(kept[i]);
        }
        struct mallinfo2 after = mallinfo2();
        size_t held = (after.uordblks + after.hblkhd) - (before.uordblks + before.hblkhd);
        if (getenv("SHOW_HEAP") || held > counted || held < counted / 2)
            fprintf(stderr, "    heap %zu bytes for %d entities that count %zu (holes %d)\n", held,
                    N, counted, with_holes);
        CHECK(held <= counted);     /* never more than the cache is told */
        CHECK(held >= counted / 2); /* nor so much less that the budget is wasted */
        for (int i = 0; i < N; i++)
            entity_free(kept[i]);
        arena_free(arena);
    }
    free(page);
}

void suite_entity(void)
{
    RUN(test_bytes_count_the_heap);
    RUN(test_body_is_a_copy);
    RUN(test_binary_and_empty_bodies);
    RUN(test_large_compressible_body);
    RUN(test_etag_depends_on_body_only);
    RUN(test_etag_differs_with_body);
    RUN(test_etag_roundtrips_through_if_none_match);
    RUN(test_gzip_reuses_thread_state);
    RUN(test_http_dates);
    RUN(test_if_modified_since);
}
