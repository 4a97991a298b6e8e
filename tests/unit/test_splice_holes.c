/*
 * test_splice_holes.c: a personal response sent as parts (entity_parts on an entity made with
 * holes) against the page copied with the reader's bytes spliced in, as splice_personal did
 * before holes (kept here, as reference_splice, for comparison). For pages with no slot, one,
 * two in either order, markers missing, repeated, and holes at the very start and end of the
 * body, and for many random fills (set or not, empty, short, longer than a stored deflate block):
 *
 *   - the identity parts, concatenated, are the reference's bytes;
 *   - the gzip parts, concatenated, are one gzip member that zlib inflates to the same bytes
 *     (and the shared gzip variant, built of the same segments, inflates to the page itself);
 *   - a response made of the parts keeps its entity alive after every other reference is gone,
 *     until libmicrohttpd destroys it (ASan sees any read of a freed entity, LSan a leak).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "arena.h"
#include "buf.h"
#include "check.h"
#include "entity.h"
#include "req.h"
#include "splice.h"

/* The pages here have the reader's two slots; most-read's fills find no hole and are unused. */
static const char *const slot_names[SPLICE_SLOTS] = {"account", "reader-note", "most-read"};

/* ---- the reference: splice_personal before holes, with the fills given ---------------------- */

/* Appends page[from..] up to and including <!--NAME-->, then fill, then resumes at <!--/NAME-->;
 * returns where the caller goes on, or from when the markers are missing. */
static size_t reference_between(struct buf *out, const char *page, size_t len, size_t from,
                                const char *name, const struct entity_fill *fill)
{
    char open[64], close[64];
    int open_len = snprintf(open, sizeof open, "<!--%s-->", name);
    int close_len = snprintf(close, sizeof close, "<!--/%s-->", name);
    const char *start = memmem(page + from, len - from, open, (size_t)open_len);
    if (!start)
        return from;
    const char *after_open = start + open_len;
    const char *end =
        memmem(after_open, len - (size_t)(after_open - page), close, (size_t)close_len);
    if (!end)
        return from;
    buf_append(out, page + from, (size_t)(after_open - (page + from)));
    buf_append(out, fill->data, fill->len);
    return (size_t)(end - page);
}

static size_t reference_marker_at(const char *page, size_t len, const char *name)
{
    char open[64];
    int open_len = snprintf(open, sizeof open, "<!--%s-->", name);
    const char *found = memmem(page, len, open, (size_t)open_len);
    return found ? (size_t)(found - page) : len;
}

/* What splice_personal made of page for a reader whose fills are set. */
static void reference_splice(const char *page, size_t len, const struct entity_fill *fills,
                             struct buf *out)
{
    int order[2] = {SPLICE_ACCOUNT, SPLICE_NOTE};
    if (fills[0].set && fills[1].set &&
        reference_marker_at(page, len, slot_names[1]) <
            reference_marker_at(page, len, slot_names[0])) {
        order[0] = SPLICE_NOTE;
        order[1] = SPLICE_ACCOUNT;
    }
    size_t at = 0;
    for (int i = 0; i < 2; i++)
        if (fills[order[i]].set)
            at = reference_between(out, page, len, at, slot_names[order[i]], &fills[order[i]]);
    buf_append(out, page + at, len - at);
}

/* ---- helpers ----------------------------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Appends n random bytes: words of text mostly (compressible, like a page), sometimes any byte. */
static void random_bytes(struct buf *b, size_t n, int binary)
{
    static const char *const words[] = {
        "<p>",  "the ",  "news ",    "</p>\n", "Tehran ", "<a href=\"/x\">",
        "</a>", "free ", "article ", "é ",     "<!--",    "-->"};
    while (n > 0) {
        if (binary) {
            buf_putc(b, (char)(rng() & 0xff));
            n--;
            continue;
        }
        const char *w = words[rng() % (sizeof words / sizeof words[0])];
        size_t wl = strlen(w) < n ? strlen(w) : n;
        buf_append(b, w, wl);
        n -= wl;
    }
}

/* The parts concatenated, in a heap buffer of parts->len bytes (plus a NUL). */
static char *concatenated(const struct entity_parts *parts)
{
    char *all = malloc(parts->len + 1);
    size_t at = 0;
    for (size_t i = 0; i < parts->count; i++) {
        memcpy(all + at, parts->iov[i].iov_base, parts->iov[i].iov_len);
        at += parts->iov[i].iov_len;
    }
    all[at] = '\0';
    CHECK_INT(at, parts->len);
    return all;
}

/* gz[0..len) inflated as one gzip member into out; 0, or -1 if zlib refuses it or anything
 * follows the member. */
static int gunzip(const void *gz, size_t len, struct buf *out)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 16) != Z_OK)
        return -1;
    zs.next_in = (Bytef *)(uintptr_t)gz;
    zs.avail_in = (uInt)len;
    unsigned char chunk[16384];
    int rc;
    do {
        zs.next_out = chunk;
        zs.avail_out = sizeof chunk;
        rc = inflate(&zs, Z_NO_FLUSH);
        buf_append(out, chunk, sizeof chunk - zs.avail_out);
    } while (rc == Z_OK);
    int ok = rc == Z_STREAM_END && zs.avail_in == 0;
    inflateEnd(&zs);
    return ok ? 0 : -1;
}

/* Checks that e's parts for fills, identity and gzip, give want[0..want_len). */
static void check_parts(struct entity *e, const struct entity_fill *fills, const char *want,
                        size_t want_len, int expect_gzip)
{
    struct arena *arena = arena_new(0);
    struct entity_parts parts;
    entity_parts(e, fills, SPLICE_SLOTS, 0, arena, &parts);
    CHECK_INT(parts.gzip, 0);
    char *got = concatenated(&parts);
    CHECK_INT(parts.len, want_len);
    CHECK(parts.len == want_len && memcmp(got, want, want_len) == 0);
    free(got);

    entity_parts(e, fills, SPLICE_SLOTS, 1, arena, &parts);
    CHECK_INT(parts.gzip, expect_gzip);
    got = concatenated(&parts);
    if (parts.gzip) {
        struct buf plain = BUF_INIT;
        CHECK_INT(gunzip(got, parts.len, &plain), 0);
        CHECK_INT(plain.len, want_len);
        CHECK(plain.len == want_len && memcmp(plain.data ? plain.data : "", want, want_len) == 0);
        buf_free(&plain);
    } else {
        CHECK(parts.len == want_len && memcmp(got, want, want_len) == 0);
    }
    free(got);
    arena_free(arena);
}

/* The shared gzip variant of e (what entity_choose gives a client that takes gzip) inflates to
 * page. */
static void check_shared_gzip(struct entity *e, const char *page, size_t len)
{
    struct req r;
    memset(&r, 0, sizeof r);
    r.accept_gzip = 1;
    struct entity_choice c;
    entity_choose(e, &r, &c);
    CHECK(c.gzip);
    struct buf plain = BUF_INIT;
    CHECK_INT(gunzip(c.body, c.len, &plain), 0);
    CHECK(plain.len == len && memcmp(plain.data ? plain.data : "", page, len) == 0);
    buf_free(&plain);
}

/* A page entity with the holes splice_find_holes finds in it. */
static struct entity *page_entity(const char *page, size_t len)
{
    struct entity_hole holes[SPLICE_SLOTS];
    size_t n = splice_find_holes(page, len, holes);
    return entity_new_holes(200, "text/html; charset=utf-8", "no-cache", page, len, 1, holes, n);
}

/* Random fills: each slot set or not, its bytes empty, short, or longer than a stored block. */
static void random_fills(struct entity_fill fills[SPLICE_SLOTS], struct buf bufs[SPLICE_SLOTS])
{
    for (int s = 0; s < SPLICE_SLOTS; s++) {
        buf_reset(&bufs[s]);
        unsigned kind = (unsigned)(rng() % 8);
        size_t n = kind == 0 ? 0 : kind == 7 ? 65535 + rng() % 70000 : rng() % 1500;
        random_bytes(&bufs[s], n, kind == 6 || kind == 7);
        fills[s] = (struct entity_fill){
            .data = bufs[s].data ? bufs[s].data : "", .len = bufs[s].len, .set = rng() % 4 != 0};
    }
}

/* ---- tests ------------------------------------------------------------------------------- */

/* Pages built of random text around 0, 1 or 2 slots in either order, with or without default
 * contents, at the page's start or end, some with a marker missing or repeated: the parts equal
 * the reference for random fills, identity and gzip. */
static void test_random_pages_match_reference(void)
{
    struct buf fill_bufs[SPLICE_SLOTS] = {BUF_INIT, BUF_INIT, BUF_INIT};
    int gzip_seen = 0;
    for (int round = 0; round < 400; round++) {
        struct buf page = BUF_INIT;
        unsigned shape = (unsigned)(rng() % 8);
        int binary = rng() % 10 == 0;
        int first = (int)(rng() % 2);
        int nslots = shape == 0 ? 0 : shape < 3 ? 1 : 2;
        if (rng() % 5) /* usually some text before the first slot; sometimes none */
            random_bytes(&page, rng() % 3000, binary);
        for (int i = 0; i < nslots; i++) {
            const char *name = slot_names[(first + i) % 2];
            buf_printf(&page, "<!--%s-->", name);
            if (rng() % 2)
                random_bytes(&page, rng() % 200, binary); /* the signed-out default */
            if (shape != 7 || i == 0) /* shape 7: the second slot's closing marker is missing */
                buf_printf(&page, "<!--/%s-->", name);
            if (i + 1 < nslots || rng() % 5)
                random_bytes(&page, rng() % 3000, binary);
        }
        if (shape == 6) /* a second pair of the first slot's markers, to be left alone */
            buf_printf(&page, "<!--%s-->again<!--/%s-->tail", slot_names[first], slot_names[first]);
        const char *p = page.data ? page.data : "";
        struct entity *e = page_entity(p, page.len);
        struct entity_choice probe;
        struct req gz_req;
        memset(&gz_req, 0, sizeof gz_req);
        gz_req.accept_gzip = 1;
        entity_choose(e, &gz_req, &probe);
        if (probe.gzip) {
            gzip_seen++;
            check_shared_gzip(e, p, page.len);
        }
        for (int k = 0; k < 8; k++) {
            struct entity_fill fills[SPLICE_SLOTS];
            random_fills(fills, fill_bufs);
            struct buf want = BUF_INIT;
            reference_splice(p, page.len, fills, &want);
            check_parts(e, fills, want.data ? want.data : "", want.len, probe.gzip);
            buf_free(&want);
        }
        entity_free(e);
        buf_free(&page);
    }
    CHECK(gzip_seen > 200); /* most pages were large and compressible enough for gzip */
    for (int i = 0; i < SPLICE_SLOTS; i++)
        buf_free(&fill_bufs[i]);
}

/* Fixed pages: each slot alone, both in either order, a missing or reversed marker, a page that
 * is nothing but its slots. */
static void test_fixed_pages(void)
{
    static const char *const pages[] = {
        "",
        "no slots at all",
        "<!--account--><!--/account-->",
        "<!--account-->Log in<!--/account--><!--reader-note--><!--/reader-note-->",
        "<!--reader-note--><!--/reader-note--><!--account-->Log in<!--/account-->",
        "<h><!--account-->Log in<!--/account--></h><p>text</p><!--reader-note-->"
        "<!--/reader-note--><p>more</p>",
        "<!--/account-->reversed<!--account-->",
        "<!--account-->no close",
        "a<!--account-->x<!--/account-->b<!--account-->y<!--/account-->c",
    };
    const struct entity_fill fill_sets[][SPLICE_SLOTS] = {
        {{0}, {0}},
        {{"[links]", 7, 1}, {0}},
        {{0}, {"(note)", 6, 1}},
        {{"[links]", 7, 1}, {"(note)", 6, 1}},
        {{"", 0, 1}, {"", 0, 1}},
    };
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        /* padded with text so the page is worth compressing and the gzip path is taken too */
        struct buf page = BUF_INIT;
        for (int k = 0; k < 40; k++)
            buf_puts(&page, "<p>Padding paragraph of the page.</p>\n");
        buf_puts(&page, pages[i]);
        for (int pass = 0; pass < 2; pass++) {
            const char *p = pass ? page.data : pages[i];
            size_t len = strlen(p);
            struct entity *e = page_entity(p, len);
            for (size_t f = 0; f < sizeof fill_sets / sizeof fill_sets[0]; f++) {
                struct buf want = BUF_INIT;
                reference_splice(p, len, fill_sets[f], &want);
                check_parts(e, fill_sets[f], want.data ? want.data : "", want.len, pass);
                buf_free(&want);
            }
            entity_free(e);
        }
        buf_free(&page);
    }
}

/* Holes given directly at the very start and the very end of the body (empty gaps), and a
 * whole-body hole. */
static void test_holes_at_the_edges(void)
{
    struct buf page = BUF_INIT;
    for (int k = 0; k < 50; k++)
        buf_puts(&page, "<li>an item of a long list</li>\n");
    size_t len = page.len;
    const struct entity_hole edge[2] = {{0, 100, SPLICE_ACCOUNT}, {len - 80, len, SPLICE_NOTE}};
    const struct entity_hole whole[1] = {{0, len, SPLICE_NOTE}};
    const struct entity_hole empty_ones[2] = {{0, 0, SPLICE_ACCOUNT}, {len, len, SPLICE_NOTE}};
    const struct entity_hole *sets[] = {edge, whole, empty_ones};
    size_t counts[] = {2, 1, 2};
    struct buf fill_bufs[SPLICE_SLOTS] = {BUF_INIT, BUF_INIT, BUF_INIT};
    for (size_t s = 0; s < 3; s++) {
        struct entity *e =
            entity_new_holes(200, "text/html", "no-cache", page.data, len, 1, sets[s], counts[s]);
        check_shared_gzip(e, page.data, len);
        for (int k = 0; k < 50; k++) {
            struct entity_fill fills[SPLICE_SLOTS];
            random_fills(fills, fill_bufs);
            /* the expected body, built from the holes directly */
            struct buf want = BUF_INIT;
            size_t at = 0;
            for (size_t h = 0; h < counts[s]; h++) {
                const struct entity_hole *hole = &sets[s][h];
                buf_append(&want, page.data + at, hole->start - at);
                if (fills[hole->slot].set)
                    buf_append(&want, fills[hole->slot].data, fills[hole->slot].len);
                else
                    buf_append(&want, page.data + hole->start, hole->end - hole->start);
                at = hole->end;
            }
            buf_append(&want, page.data + at, len - at);
            check_parts(e, fills, want.data ? want.data : "", want.len, 1);
            buf_free(&want);
        }
        entity_free(e);
    }
    for (int i = 0; i < SPLICE_SLOTS; i++)
        buf_free(&fill_bufs[i]);
    buf_free(&page);
}

/* Holes out of order or outside the body are left out; the page is sent as it is there. */
static void test_bad_holes_left_out(void)
{
    const char *page = "0123456789";
    const struct entity_hole bad[3] = {
        {4, 6, SPLICE_ACCOUNT}, {2, 3, SPLICE_NOTE}, {8, 20, SPLICE_NOTE}};
    struct entity *e = entity_new_holes(200, "text/plain", "no-cache", page, 10, 0, bad, 3);
    const struct entity_fill fills[SPLICE_SLOTS] = {{"A", 1, 1}, {"N", 1, 1}};
    check_parts(e, fills, "0123A6789", 9, 0);
    entity_free(e);
}

/* An entity made without holes gives its body whole, either encoding. */
static void test_no_holes(void)
{
    struct buf page = BUF_INIT;
    for (int k = 0; k < 30; k++)
        buf_puts(&page, "<p>an ordinary page</p>\n");
    struct entity *e = entity_new(200, "text/html", "no-cache", page.data, page.len, 1);
    const struct entity_fill fills[SPLICE_SLOTS] = {{"A", 1, 1}, {"N", 1, 1}};
    check_parts(e, fills, page.data, page.len, 1);
    entity_free(e);
    buf_free(&page);
}

/* A page past ENTITY_GATHER_MAX is sent from the entity's own bytes, so the response holds the
 * entity: with the cache's and the request's references dropped, the parts are still readable
 * until the response is destroyed, and then the entity is freed (under ASan, a read after free
 * or a leak fails the run). A smaller page is gathered into the arena and holds nothing. */
static void test_response_keeps_entity(void)
{
    for (int large = 0; large < 2; large++) {
        struct buf page = BUF_INIT;
        /* hex digits: compressible enough for gzip, not below the gathering limit */
        while (page.len < (large ? 3 * ENTITY_GATHER_MAX : 2000))
            buf_printf(&page, "<p>%016llx</p>", (unsigned long long)rng());
        buf_puts(&page, "<!--reader-note--><!--/reader-note--><p>end</p>");
        for (int gzip = 0; gzip < 2; gzip++) {
            struct entity *e = page_entity(page.data, page.len);
            struct arena *arena = arena_new(0);
            const struct entity_fill fills[SPLICE_SLOTS] = {{0}, {"3 free articles left", 20, 1}};
            struct entity_parts parts;
            entity_parts(e, fills, SPLICE_SLOTS, gzip, arena, &parts);
            CHECK_INT(parts.gzip, gzip);
            CHECK(parts.count > 1);
            CHECK_INT(parts.len > ENTITY_GATHER_MAX, large);
            struct MHD_Response *resp = entity_parts_response(e, &parts, arena);
            CHECK(resp != NULL);
            entity_free(e); /* the last reference besides the response's, if it took one */
            if (parts.len > ENTITY_GATHER_MAX) {
                size_t sum = 0;
                for (size_t i = 0; i < parts.count; i++) {
                    const unsigned char *b = parts.iov[i].iov_base;
                    for (size_t k = 0; k < parts.iov[i].iov_len; k++)
                        sum += b[k];
                }
                CHECK(sum > 0);
            }
            MHD_destroy_response(resp); /* frees the entity, if it held it */
            arena_free(arena);
        }
        buf_free(&page);
    }
}

/* splice_find_holes on the default theme's slot markup, and a slot nested in another. */
static void test_find_holes(void)
{
    const char *page = "<div class=\"slot\" data-slot=\"account\"><!--account--><a>Log in</a>"
                       "<!--/account--></div><main><div class=\"slot\" data-slot=\"reader-note\">"
                       "<!--reader-note--><!--/reader-note--></div></main>";
    struct entity_hole holes[SPLICE_SLOTS];
    CHECK_INT(splice_find_holes(page, strlen(page), holes), 2);
    CHECK_INT(holes[0].slot, SPLICE_ACCOUNT);
    CHECK(strncmp(page + holes[0].start, "<a>Log in</a><!--/account-->", 28) == 0);
    CHECK_INT(holes[0].end - holes[0].start, strlen("<a>Log in</a>"));
    CHECK_INT(holes[1].slot, SPLICE_NOTE);
    CHECK_INT(holes[1].end, holes[1].start);
    CHECK(strncmp(page + holes[1].start, "<!--/reader-note-->", 19) == 0);

    /* nested: the second slot is looked for after the first one's closing marker */
    const char *nested = "<!--account--><!--reader-note-->x<!--/reader-note--><!--/account-->";
    CHECK_INT(splice_find_holes(nested, strlen(nested), holes), 1);
    CHECK_INT(holes[0].slot, SPLICE_ACCOUNT);
    CHECK_INT(splice_find_holes("", 0, holes), 0);
}

void suite_splice_holes(void)
{
    RUN(test_random_pages_match_reference);
    RUN(test_fixed_pages);
    RUN(test_holes_at_the_edges);
    RUN(test_bad_holes_left_out);
    RUN(test_no_holes);
    RUN(test_response_keeps_entity);
    RUN(test_find_holes);
}
