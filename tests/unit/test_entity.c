/*
 * test_entity.c: tests of the connection-free parts of src/entity.c: an entity keeps its own
 * copy of the body (binary, empty, large and compressible alike), and its ETag is a quoted
 * strong tag that depends on the body only: the same body gives the same tag whatever the
 * status, content type or compression, a one-byte change gives another, and the tag matches an
 * If-None-Match naming it (strongly or weakly). Compressing per send reuses the thread's deflate
 * state instead of setting up 400 KB of it each time. Sending needs a live connection and is
 * covered by the HTTP tests (respond.c); the gzip variant has no accessor and is covered there too.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "check.h"
#include "entity.h"
#include "req.h"

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

void suite_entity(void)
{
    RUN(test_body_is_a_copy);
    RUN(test_binary_and_empty_bodies);
    RUN(test_large_compressible_body);
    RUN(test_etag_depends_on_body_only);
    RUN(test_etag_differs_with_body);
    RUN(test_etag_roundtrips_through_if_none_match);
    RUN(test_gzip_reuses_thread_state);
}
