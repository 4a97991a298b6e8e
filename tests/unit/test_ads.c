/*
 * test_ads.c: tests of ads.h and the advertising part of store.h: placements and their lists,
 * click-through URLs, image types told by content and their sizes from headers, storing an
 * image by content hash, the weighted draw (exactly, with a scripted random source, and roughly
 * proportionally over many real draws), selection by dates, targeting and placement on a fresh
 * database, campaigns and creatives saved, listed and deleted, the counters flushed into the
 * report, and the report's click-through rate.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ads.h"
#include "arena.h"
#include "check.h"
#include "store.h"
#include "test_support.h"
#include "util.h"

#define DAY 86400
#define NOW 1700000000     /* a fixed "now" for selection: 2023-11-14 22:13:20 UTC */
#define CLIENT "192.0.2.1" /* the client address of the counting tests */

/* Removes t's directory and everything under it (a shell's rm -r: the test made it all, images
 * as well as the database). */
static void tmpdb_remove_all(struct tmpdb *t)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "    could not remove %s\n", t->dir);
}

/* Writes data[0..len) to dir/name; returns the path (static buffer, one at a time). */
static const char *write_file(const char *dir, const char *name, const void *data, size_t len)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) {
        CHECK(fwrite(data, 1, len, f) == len);
        fclose(f);
    }
    return path;
}

/* ---- placements, URLs --------------------------------------------------------------------- */

static void test_placements(void)
{
    CHECK(ads_placement_valid("interstitial"));
    CHECK(ads_placement_valid("leaderboard"));
    CHECK(ads_placement_valid("in-article"));
    CHECK(ads_placement_valid("sidebar"));
    CHECK(!ads_placement_valid("Sidebar"));
    CHECK(!ads_placement_valid(""));
    CHECK(!ads_placement_valid(NULL));
    CHECK(!ads_placement_valid("popup"));

    CHECK(ads_list_has("interstitial,leaderboard,in-article,sidebar", "in-article"));
    CHECK(ads_list_has(" leaderboard , sidebar ", "sidebar"));
    CHECK(ads_list_has("leaderboard", "leaderboard"));
    CHECK(!ads_list_has("leaderboard", "leader"));
    CHECK(!ads_list_has("leaderboards", "leaderboard"));
    CHECK(!ads_list_has("", "leaderboard"));
    CHECK(!ads_list_has(",,", "leaderboard"));
    CHECK(!ads_list_has(NULL, "leaderboard"));

    int w, h;
    ads_placement_size("leaderboard", &w, &h);
    CHECK_INT(w, 728);
    CHECK_INT(h, 90);
    ads_placement_size("sidebar", &w, &h);
    CHECK_INT(w, 300);
    CHECK_INT(h, 250);
}

static void test_url_valid(void)
{
    CHECK(ads_url_valid("https://www.nti.org/"));
    CHECK(ads_url_valid("http://example.com"));
    CHECK(ads_url_valid("https://example.com:8443/a/b?c=d&e=f#g"));
    CHECK(ads_url_valid("https://example.com/%E2%80%94"));
    CHECK(!ads_url_valid(NULL));
    CHECK(!ads_url_valid(""));
    CHECK(!ads_url_valid("javascript:alert(1)"));
    CHECK(!ads_url_valid("data:text/html,hi"));
    CHECK(!ads_url_valid("ftp://example.com/"));
    CHECK(!ads_url_valid("//evil.example/"));
    CHECK(!ads_url_valid("/local/path"));
    CHECK(!ads_url_valid("HTTPS://EXAMPLE.COM/")); /* the stored form is lowercase-scheme */
    CHECK(!ads_url_valid("https://"));
    CHECK(!ads_url_valid("https:///path"));
    CHECK(!ads_url_valid("https://exa mple.com/"));
    CHECK(!ads_url_valid("https://example.com/\r\nSet-Cookie: x=1"));
    CHECK(!ads_url_valid("https://example.com/\"><script>"));
    CHECK(!ads_url_valid("https://example.com/\xc3\xa9"));
    CHECK(!ads_url_valid("https://example.com\\@evil.example/"));
    char long_url[ADS_URL_MAX + 16];
    memset(long_url, 'a', sizeof long_url);
    memcpy(long_url, "https://x.example/", 18);
    long_url[sizeof long_url - 1] = '\0';
    CHECK(!ads_url_valid(long_url));
    long_url[ADS_URL_MAX] = '\0';
    CHECK(ads_url_valid(long_url));
}

/* ---- image types and sizes -------------------------------------------------------------- */

/* A minimal PNG header: signature and IHDR of w x h. */
static size_t make_png(unsigned char *out, uint32_t w, uint32_t h)
{
    static const unsigned char head[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
                                         0,    0,   0,   13,  'I',  'H',  'D',  'R'};
    memcpy(out, head, sizeof head);
    unsigned char *p = out + sizeof head;
    p[0] = (unsigned char)(w >> 24), p[1] = (unsigned char)(w >> 16);
    p[2] = (unsigned char)(w >> 8), p[3] = (unsigned char)w;
    p[4] = (unsigned char)(h >> 24), p[5] = (unsigned char)(h >> 16);
    p[6] = (unsigned char)(h >> 8), p[7] = (unsigned char)h;
    memset(p + 8, 0, 17); /* depth, colour, …, CRC: not read */
    return sizeof head + 25;
}

#define TYPE_OF(literal) ads_image_type((const unsigned char *)(literal), sizeof(literal) - 1)

static void test_image_type(void)
{
    unsigned char png[64];
    size_t png_len = make_png(png, 728, 90);
    CHECK_STR(ads_image_type(png, png_len), "image/png");
    CHECK_STR(TYPE_OF("\xFF\xD8\xFF\xE0\0\x10JFIF"), "image/jpeg");
    CHECK_STR(TYPE_OF("GIF89a\x01\0\x01\0"), "image/gif");
    CHECK_STR(TYPE_OF("GIF87a\x01\0\x01\0"), "image/gif");
    CHECK_STR(TYPE_OF("RIFF\x24\0\0\0WEBPVP8X"), "image/webp");
    CHECK_STR(TYPE_OF("<svg xmlns=\"http://www.w3.org/2000/svg\"/>"), "image/svg+xml");
    CHECK_STR(TYPE_OF("<svg>"), "image/svg+xml");
    CHECK_STR(TYPE_OF("\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<!-- made by hand -->\n"
                      "<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" "
                      "\"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd\">\n"
                      "  <svg width=\"1\" height=\"1\"></svg>"),
              "image/svg+xml");

    CHECK(ads_image_type(NULL, 0) == NULL);
    CHECK(TYPE_OF("") == NULL);
    CHECK(TYPE_OF("hello") == NULL);
    CHECK(TYPE_OF("\x89PNG\r\n") == NULL);            /* cut short */
    CHECK(TYPE_OF("RIFF\x24\0\0\0WAVEfmt ") == NULL); /* RIFF, not WebP */
    CHECK(TYPE_OF("%PDF-1.7\n") == NULL);
    CHECK(TYPE_OF("<html><body><svg></svg></body></html>") == NULL); /* svg, not the root */
    CHECK(TYPE_OF("<svgx>") == NULL);
    CHECK(TYPE_OF("<!DOCTYPE svg [<!ENTITY a \"b\">]><svg/>") == NULL); /* entities: refused */
    CHECK(TYPE_OF("<!-- never closed <svg>") == NULL);
    CHECK(TYPE_OF("<svg>\xff</svg>") == NULL);                                 /* not UTF-8 */
    CHECK(ads_image_type((const unsigned char *)"<svg>\0</svg>", 12) == NULL); /* NUL */

    CHECK_STR(ads_image_extension("image/png"), "png");
    CHECK_STR(ads_image_extension("image/jpeg"), "jpg");
    CHECK_STR(ads_image_extension("image/gif"), "gif");
    CHECK_STR(ads_image_extension("image/webp"), "webp");
    CHECK_STR(ads_image_extension("image/svg+xml"), "svg");
    CHECK(ads_image_extension("text/html") == NULL);
    CHECK(ads_image_extension(NULL) == NULL);
}

#define SIZE_OF(type, literal, w, h)                                                               \
    ads_image_size(type, (const unsigned char *)(literal), sizeof(literal) - 1, w, h)

static void test_image_size(void)
{
    int w = 0, h = 0;
    unsigned char png[64];
    size_t png_len = make_png(png, 728, 90);
    CHECK_INT(ads_image_size("image/png", png, png_len, &w, &h), 0);
    CHECK_INT(w, 728);
    CHECK_INT(h, 90);
    png_len = make_png(png, 100000, 90); /* absurd */
    CHECK_INT(ads_image_size("image/png", png, png_len, &w, &h), -1);

    CHECK_INT(SIZE_OF("image/gif", "GIF89a\x2c\x01\xfa\0\0\0\0", &w, &h), 0);
    CHECK_INT(w, 300);
    CHECK_INT(h, 250);

    /* SOI, an APP0 segment of 16 bytes, then SOF0 with height 90 and width 728. */
    static const unsigned char jpeg[] = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J',  'F',  'I',  'F',
                                         0,    1,    1,    0,    0,    1,    0,    1,    0,    0,
                                         0xFF, 0xC0, 0x00, 0x11, 0x08, 0x00, 0x5A, 0x02, 0xD8, 0x03,
                                         0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01};
    CHECK_INT(ads_image_size("image/jpeg", jpeg, sizeof jpeg, &w, &h), 0);
    CHECK_INT(w, 728);
    CHECK_INT(h, 90);
    CHECK_INT(ads_image_size("image/jpeg", jpeg, 20, &w, &h), -1); /* no frame yet */

    /* WebP, extended: canvas 728 x 90 stored minus one, 24-bit little-endian. */
    unsigned char webp[40] = "RIFF\0\0\0\0WEBPVP8X";
    webp[24] = 727 & 0xff, webp[25] = 727 >> 8, webp[26] = 0;
    webp[27] = 89, webp[28] = 0, webp[29] = 0;
    CHECK_INT(ads_image_size("image/webp", webp, 30, &w, &h), 0);
    CHECK_INT(w, 728);
    CHECK_INT(h, 90);
    /* WebP, lossy: after the start code, 14-bit width and height. */
    unsigned char vp8[40] = "RIFF\0\0\0\0WEBPVP8 ";
    vp8[23] = 0x9d, vp8[24] = 0x01, vp8[25] = 0x2a;
    vp8[26] = 300 & 0xff, vp8[27] = 300 >> 8, vp8[28] = 250, vp8[29] = 0;
    CHECK_INT(ads_image_size("image/webp", vp8, 30, &w, &h), 0);
    CHECK_INT(w, 300);
    CHECK_INT(h, 250);
    /* WebP, lossless: signature 0x2f, then width-1 and height-1 in 14 bits each. */
    unsigned char vp8l[40] = "RIFF\0\0\0\0WEBPVP8L";
    uint32_t bits = (300 - 1) | ((uint32_t)(250 - 1) << 14);
    vp8l[20] = 0x2f;
    vp8l[21] = (unsigned char)bits, vp8l[22] = (unsigned char)(bits >> 8);
    vp8l[23] = (unsigned char)(bits >> 16), vp8l[24] = (unsigned char)(bits >> 24);
    CHECK_INT(ads_image_size("image/webp", vp8l, 30, &w, &h), 0);
    CHECK_INT(w, 300);
    CHECK_INT(h, 250);

    CHECK_INT(SIZE_OF("image/svg+xml", "<svg width=\"728\" height='90'>", &w, &h), 0);
    CHECK_INT(w, 728);
    CHECK_INT(h, 90);
    CHECK_INT(SIZE_OF("image/svg+xml", "<svg width=\"300px\" height=\"249.6\"/>", &w, &h), 0);
    CHECK_INT(w, 300);
    CHECK_INT(h, 250);
    CHECK_INT(SIZE_OF("image/svg+xml", "<svg width=\"100%\" viewBox=\"0 0 468,60\">", &w, &h), 0);
    CHECK_INT(w, 468);
    CHECK_INT(h, 60);
    CHECK_INT(SIZE_OF("image/svg+xml", "<svg xmlns=\"http://www.w3.org/2000/svg\">", &w, &h), -1);
    CHECK_INT(SIZE_OF("image/svg+xml", "<svg width=\"2em\" height=\"1em\">", &w, &h), -1);
    CHECK_INT(SIZE_OF("image/png", "\x89PNG\r\n\x1a\n", &w, &h), -1);
}

static void test_image_path_valid(void)
{
    char path[128];
    snprintf(path, sizeof path, "ads/%064d.svg", 0);
    CHECK(ads_image_path_valid(path));
    snprintf(path, sizeof path, "ads/%s.png",
             "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    CHECK(ads_image_path_valid(path));
    CHECK(!ads_image_path_valid(NULL));
    CHECK(!ads_image_path_valid(""));
    CHECK(!ads_image_path_valid("ads/../../etc/passwd"));
    snprintf(path, sizeof path, "ads/%064d.html", 0);
    CHECK(!ads_image_path_valid(path));
    snprintf(path, sizeof path, "ads/%064d.svg/x", 0);
    CHECK(!ads_image_path_valid(path));
    snprintf(path, sizeof path, "/ads/%064d.svg", 0);
    CHECK(!ads_image_path_valid(path));
    snprintf(path, sizeof path, "ads/%063d.svg", 0);
    CHECK(!ads_image_path_valid(path));
    snprintf(path, sizeof path, "ads/%s.png",
             "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef");
    CHECK(!ads_image_path_valid(path));
}

/* ---- storing an image --------------------------------------------------------------------- */

static void test_store_image(void)
{
    struct tmpdb t;
    if (tmpdb_make(&t, "ads") != 0) {
        CHECK(0);
        return;
    }
    struct arena *a = arena_new(0);
    char uploads[160], err[600] = "";
    snprintf(uploads, sizeof uploads, "%s/data/uploads", t.dir); /* made on demand */
    unsigned char png[64];
    size_t png_len = make_png(png, 728, 90);
    const char *src = write_file(t.dir, "banner.png", png, png_len);

    const char *path = NULL, *type = NULL;
    int w = 0, h = 0;
    CHECK_INT(ads_store_image(uploads, src, a, &path, &type, &w, &h, err, sizeof err),
              ADS_IMAGE_OK);
    unsigned char hash[32];
    char hex[65], want[128];
    CHECK(sodium_init() >= 0);
    crypto_generichash(hash, sizeof hash, png, png_len, NULL, 0);
    sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
    snprintf(want, sizeof want, "ads/%s.png", hex);
    CHECK_STR(path, want);
    CHECK(ads_image_path_valid(path));
    CHECK_STR(type, "image/png");
    CHECK_INT(w, 728);
    CHECK_INT(h, 90);
    char stored[300];
    snprintf(stored, sizeof stored, "%s/%s", uploads, path ? path : "");
    size_t len = 0;
    char *copy = util_read_file(stored, &len);
    CHECK(copy != NULL);
    CHECK(copy && len == png_len && !memcmp(copy, png, len));
    free(copy);
    struct stat sb;
    CHECK(stat(stored, &sb) == 0 && (sb.st_mode & 0777) == 0644);

    /* The same bytes under another name: the same stored file. */
    const char *again = NULL;
    src = write_file(t.dir, "other-name.png", png, png_len);
    CHECK_INT(ads_store_image(uploads, src, a, &again, &type, &w, &h, err, sizeof err),
              ADS_IMAGE_OK);
    CHECK_STR(again, path);

    /* An SVG whose size is not in it leaves width and height alone. */
    static const char svg[] = "<svg xmlns=\"http://www.w3.org/2000/svg\"><rect/></svg>";
    src = write_file(t.dir, "plain.svg", svg, sizeof svg - 1);
    w = h = -7;
    CHECK_INT(ads_store_image(uploads, src, a, &path, &type, &w, &h, err, sizeof err),
              ADS_IMAGE_OK);
    CHECK_STR(type, "image/svg+xml");
    CHECK(path && strstr(path, ".svg"));
    CHECK_INT(w, -7);

    /* Refused: not an image (whatever the name says), empty, too large; missing is an error. */
    src = write_file(t.dir, "page.png", "<html><script>alert(1)</script>", 31);
    CHECK_INT(ads_store_image(uploads, src, a, &path, &type, &w, &h, err, sizeof err),
              ADS_IMAGE_INVALID);
    CHECK(strstr(err, "not a PNG, JPEG, GIF, WebP or SVG image") != NULL);
    src = write_file(t.dir, "empty.gif", "", 0);
    CHECK_INT(ads_store_image(uploads, src, a, &path, &type, &w, &h, err, sizeof err),
              ADS_IMAGE_INVALID);
    size_t big_len = ADS_IMAGE_MAX_BYTES + 1;
    unsigned char *big = xcalloc(1, big_len);
    memcpy(big, png, png_len);
    src = write_file(t.dir, "big.png", big, big_len);
    free(big);
    CHECK_INT(ads_store_image(uploads, src, a, &path, &type, &w, &h, err, sizeof err),
              ADS_IMAGE_INVALID);
    CHECK(strstr(err, "larger than 2 MiB") != NULL);
    snprintf(stored, sizeof stored, "%s/missing.png", t.dir);
    CHECK_INT(ads_store_image(uploads, stored, a, &path, &type, &w, &h, err, sizeof err),
              ADS_IMAGE_ERROR);
    CHECK_INT(ads_store_image(uploads, t.dir, a, &path, &type, &w, &h, err, sizeof err),
              ADS_IMAGE_INVALID); /* a directory */

    arena_free(a);
    tmpdb_remove_all(&t);
}

/* ---- the weighted draw -------------------------------------------------------------------- */

/* A scripted random source: each call returns the next value of script (checked < upper). */
static uint32_t script[8];
static int script_at;
static uint32_t scripted(uint32_t upper)
{
    uint32_t v = script[script_at++];
    CHECK(v < upper);
    return v;
}

/* Candidates for the draw: campaign ids and weights, one creative each unless repeated. */
static void candidate(struct creative *c, int64_t creative_id, int64_t campaign_id, int weight)
{
    memset(c, 0, sizeof *c);
    c->id = creative_id;
    c->campaign.id = campaign_id;
    c->campaign.weight = weight;
}

static void test_pick_exact(void)
{
    /* Campaign 1 (weight 1) has creatives 10 and 11; campaign 2 (weight 3) has creative 20. */
    struct creative c[3];
    candidate(&c[0], 10, 1, 1);
    candidate(&c[1], 11, 1, 1);
    candidate(&c[2], 20, 2, 3);
    int chosen[3] = {0};
    /* Every campaign draw (0..3) with every creative draw (0..1): exactly a quarter of the
     * campaign draws go to campaign 1, and its two creatives share them evenly. */
    for (uint32_t r = 0; r < 4; r++) {
        for (uint32_t k = 0; k < 2; k++) {
            script[0] = r;
            script[1] = k;
            script_at = 0;
            size_t i = ads_pick(c, 3, scripted);
            CHECK(i < 3);
            if (i < 3)
                chosen[i]++;
            CHECK_INT(script_at, r == 0 ? 2 : 1); /* one creative: no second draw */
        }
    }
    CHECK_INT(chosen[0], 1);
    CHECK_INT(chosen[1], 1);
    CHECK_INT(chosen[2], 6);

    CHECK_INT(ads_pick(c, 0, scripted), 0); /* nothing to pick */
    script[0] = 0;
    script_at = 0;
    CHECK_INT(ads_pick(&c[2], 1, scripted), 0);

    /* A weight below 1 (the table forbids it; a bug elsewhere) counts as 1. */
    candidate(&c[0], 10, 1, 0);
    candidate(&c[1], 20, 2, -5);
    script[0] = 1;
    script_at = 0;
    CHECK_INT(ads_pick(c, 2, scripted), 1);
}

/* The square root of x > 0 by Newton's method (no libm in the test link). */
static double sqrt_approx(double x)
{
    double r = x > 1 ? x : 1;
    for (int i = 0; i < 60; i++)
        r = (r + x / r) / 2;
    return r;
}

/* libsodium's draw, as ads_choose makes it. */
static uint32_t real_uniform(uint32_t upper)
{
    return randombytes_uniform(upper);
}

/* Counts over many real draws fall within five standard deviations of the weights' shares: a
 * check that fails by chance about once in two million runs, and at once if weights are
 * ignored or misapplied. */
static void test_pick_distribution(void)
{
    enum { DRAWS = 40000 };
    struct creative c[4];
    candidate(&c[0], 1, 1, 1); /* campaign 1: 1/8 */
    candidate(&c[1], 2, 2, 2); /* campaign 2: 2/8, split between creatives 2 and 3 */
    candidate(&c[2], 3, 2, 2);
    candidate(&c[3], 4, 3, 5); /* campaign 3: 5/8 */
    CHECK(sodium_init() >= 0);
    int counts[4] = {0};
    for (int i = 0; i < DRAWS; i++) {
        size_t k = ads_pick(c, 4, real_uniform);
        CHECK(k < 4);
        if (k < 4)
            counts[k]++;
    }
    const double share[4] = {1.0 / 8, 1.0 / 8, 1.0 / 8, 5.0 / 8};
    for (int k = 0; k < 4; k++) {
        double expected = DRAWS * share[k];
        double sigma = sqrt_approx(expected * (1 - share[k]));
        double off = counts[k] - expected;
        if (off < 0)
            off = -off;
        if (off > 5 * sigma)
            fprintf(stderr, "    creative %d: %d draws, expected %.0f +- %.0f\n", k + 1, counts[k],
                    expected, 5 * sigma);
        CHECK(off <= 5 * sigma);
    }
}

/* ---- campaigns, creatives and selection on a database ----------------------------------- */

/* Saves a campaign running [start, end) with weight and targeting; returns its id. */
static int64_t campaign(struct store *st, const char *slug, int64_t start, int64_t end, int weight,
                        const char *publication, const char *section)
{
    struct campaign c = {.slug = slug,
                         .name = slug,
                         .starts_at = start,
                         .ends_at = end,
                         .weight = weight,
                         .publication_slug = publication,
                         .section_slug = section};
    int64_t id = 0;
    CHECK_INT(store_campaign_save(st, &c, &id), STORE_OK);
    CHECK(id > 0);
    return id;
}

/* Adds an image creative for placement to campaign slug; returns its id. */
static int64_t creative(struct store *st, const char *slug, const char *placement)
{
    struct creative k = {.placement = placement,
                         .kind = "image",
                         .image_path = "ads/0000000000000000000000000000000000000000000000000000"
                                       "000000000000.png",
                         .image_type = "image/png",
                         .width = 728,
                         .height = 90,
                         .alt = "An ad",
                         .click_url = "https://example.com/"};
    k.campaign.slug = slug;
    int64_t id = 0;
    CHECK_INT(store_creative_add(st, &k, &id), STORE_OK);
    CHECK(id > 0);
    return id;
}

/* The ids of the creatives eligible for (placement, publication, section) at now, as a string
 * "3,5" (from a) to compare at once. */
static const char *eligible(struct store *st, struct arena *a, const char *placement,
                            const char *publication, const char *section, int64_t now)
{
    struct creative *list;
    size_t n;
    if (store_creatives_eligible(st, a, placement, publication, section, now, &list, &n) !=
        STORE_OK)
        return "(error)";
    char *out = arena_strdup(a, "");
    for (size_t i = 0; i < n; i++)
        out = arena_printf(a, "%s%s%lld", out, i ? "," : "", (long long)list[i].id);
    return out;
}

static void test_selection(void)
{
    struct tmpdb t;
    if (tmpdb_make(&t, "ads") != 0) {
        CHECK(0);
        return;
    }
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    struct arena *a = arena_new(0);
    int64_t today = NOW - NOW % DAY;
    /* Runs now, anywhere. */
    campaign(st, "house", today - 30 * DAY, today + 30 * DAY, 1, "", "");
    int64_t house = creative(st, "house", "leaderboard");
    int64_t house_side = creative(st, "house", "sidebar");
    /* Ended yesterday (its last day was the day before today), starts tomorrow. */
    campaign(st, "ended", today - 30 * DAY, today, 1, "", "");
    creative(st, "ended", "leaderboard");
    campaign(st, "future", today + DAY, today + 60 * DAY, 1, "", "");
    creative(st, "future", "leaderboard");
    /* Targeted: a publication, a section, both. */
    campaign(st, "gsn", today - DAY, today + DAY, 1, "gsn", "");
    int64_t gsn = creative(st, "gsn", "leaderboard");
    campaign(st, "security", today - DAY, today + DAY, 1, "", "security");
    int64_t security = creative(st, "security", "leaderboard");
    campaign(st, "gsn-security", today - DAY, today + DAY, 1, "gsn", "security");
    int64_t both = creative(st, "gsn-security", "leaderboard");

    char want[128];
    snprintf(want, sizeof want, "%lld", (long long)house);
    CHECK_STR(eligible(st, a, "leaderboard", "", "", NOW), want);
    CHECK_STR(eligible(st, a, "leaderboard", "national-journal", "politics", NOW), want);
    snprintf(want, sizeof want, "%lld,%lld", (long long)house, (long long)gsn);
    CHECK_STR(eligible(st, a, "leaderboard", "gsn", "politics", NOW), want);
    snprintf(want, sizeof want, "%lld,%lld", (long long)house, (long long)security);
    CHECK_STR(eligible(st, a, "leaderboard", "national-journal", "security", NOW), want);
    snprintf(want, sizeof want, "%lld,%lld,%lld,%lld", (long long)house, (long long)gsn,
             (long long)security, (long long)both);
    CHECK_STR(eligible(st, a, "leaderboard", "gsn", "security", NOW), want);
    snprintf(want, sizeof want, "%lld", (long long)house);
    CHECK_STR(eligible(st, a, "leaderboard", NULL, NULL, NOW), want);

    /* The placement filters: only house has a sidebar creative, nobody an interstitial. */
    snprintf(want, sizeof want, "%lld", (long long)house_side);
    CHECK_STR(eligible(st, a, "sidebar", "gsn", "security", NOW), want);
    CHECK_STR(eligible(st, a, "interstitial", "gsn", "security", NOW), "");
    struct creative k;
    CHECK_INT(ads_choose(st, a, "interstitial", "", "", NOW, &k), STORE_NOT_FOUND);
    CHECK_INT(ads_choose(st, a, "sidebar", "", "", NOW, &k), STORE_OK);
    CHECK_INT(k.id, house_side);
    CHECK_STR(k.campaign.slug, "house");
    CHECK_STR(k.click_url, "https://example.com/");

    /* Dates: a campaign runs from its first second, and no longer at its end (house is
     * creative 1, ended 3, future 4, in a fresh database). */
    CHECK_INT(house, 1);
    CHECK_STR(eligible(st, a, "leaderboard", "", "", today - 30 * DAY - 1), "");
    CHECK_STR(eligible(st, a, "leaderboard", "", "", today - 30 * DAY), "1,3");
    CHECK_STR(eligible(st, a, "leaderboard", "", "", today - 1), "1,3");
    CHECK_STR(eligible(st, a, "leaderboard", "", "", today), "1");
    CHECK_STR(eligible(st, a, "leaderboard", "", "", today + DAY - 1), "1");
    CHECK_STR(eligible(st, a, "leaderboard", "", "", today + DAY), "1,4");
    CHECK_STR(eligible(st, a, "leaderboard", "", "", today + 30 * DAY), "4");
    CHECK_STR(eligible(st, a, "leaderboard", "", "", today + 60 * DAY), "");

    /* Chosen by weight through ads_choose: a heavy campaign wins most draws. */
    campaign(st, "gsn", today - DAY, today + DAY, 1000000, "gsn", "");
    int wins = 0;
    for (int i = 0; i < 200; i++)
        if (ads_choose(st, a, "leaderboard", "gsn", "", NOW, &k) == STORE_OK && k.id == gsn)
            wins++;
    CHECK(wins >= 195);
    arena_free(a);
    store_close(st);
out:
    tmpdb_remove_all(&t);
}

static void test_campaigns_and_creatives(void)
{
    struct tmpdb t;
    if (tmpdb_make(&t, "ads") != 0) {
        CHECK(0);
        return;
    }
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    struct arena *a = arena_new(0);

    /* Upsert by slug: the same id, every field updated. */
    int64_t id = campaign(st, "spring", NOW, NOW + DAY, 2, "gsn", "");
    CHECK_INT(campaign(st, "spring", NOW - DAY, NOW + 2 * DAY, 5, "", "security"), id);
    struct campaign c;
    CHECK_INT(store_campaign_by_slug(st, a, "spring", &c), STORE_OK);
    CHECK_INT(c.id, id);
    CHECK_STR(c.name, "spring");
    CHECK_INT(c.starts_at, NOW - DAY);
    CHECK_INT(c.ends_at, NOW + 2 * DAY);
    CHECK_INT(c.weight, 5);
    CHECK_STR(c.publication_slug, "");
    CHECK_STR(c.section_slug, "security");
    CHECK(c.created_at > 0);
    CHECK_INT(store_campaign_by_slug(st, a, "autumn", &c), STORE_NOT_FOUND);

    /* Refused: no name, weight 0, an end not after the start. */
    struct campaign bad = {
        .slug = "bad", .name = "", .starts_at = NOW, .ends_at = NOW + 1, .weight = 1};
    CHECK_INT(store_campaign_save(st, &bad, NULL), STORE_ERROR);
    bad.name = "Bad";
    bad.weight = 0;
    CHECK_INT(store_campaign_save(st, &bad, NULL), STORE_ERROR);
    bad.weight = 1;
    bad.ends_at = NOW;
    CHECK_INT(store_campaign_save(st, &bad, NULL), STORE_ERROR);

    campaign(st, "early", NOW - 9 * DAY, NOW, 1, "", "");
    struct campaign *list;
    size_t n;
    CHECK_INT(store_campaigns(st, a, &list, &n), STORE_OK);
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_STR(list[0].slug, "early"); /* by start */
        CHECK_STR(list[1].slug, "spring");
    }

    /* Creatives: an image and an HTML tag; an unknown campaign; what the table refuses. */
    int64_t image = creative(st, "spring", "leaderboard");
    struct creative tag = {.placement = "sidebar",
                           .kind = "html",
                           .width = 300,
                           .height = 250,
                           .html = "<script src=\"https://ads.example/tag.js\"></script>"};
    tag.campaign.slug = "spring";
    int64_t html = 0;
    CHECK_INT(store_creative_add(st, &tag, &html), STORE_OK);
    tag.campaign.slug = "autumn";
    CHECK_INT(store_creative_add(st, &tag, NULL), STORE_NOT_FOUND);
    tag.campaign.slug = "spring";
    tag.placement = "popup";
    CHECK_INT(store_creative_add(st, &tag, NULL), STORE_ERROR);
    tag.placement = "sidebar";
    tag.click_url = "javascript:alert(1)";
    CHECK_INT(store_creative_add(st, &tag, NULL), STORE_ERROR);
    tag.click_url = "";
    tag.html = "";
    CHECK_INT(store_creative_add(st, &tag, NULL), STORE_ERROR); /* an html creative needs a tag */

    struct creative k;
    CHECK_INT(store_creative_by_id(st, a, html, &k), STORE_OK);
    CHECK_STR(k.kind, "html");
    CHECK_STR(k.placement, "sidebar");
    CHECK_STR(k.html, "<script src=\"https://ads.example/tag.js\"></script>");
    CHECK_STR(k.image_path, "");
    CHECK_STR(k.click_url, "");
    CHECK_STR(k.campaign.slug, "spring");
    CHECK_INT(k.campaign.weight, 5);
    CHECK_INT(store_creative_by_id(st, a, image, &k), STORE_OK);
    CHECK_STR(k.kind, "image");
    CHECK_STR(k.alt, "An ad");
    CHECK_INT(k.width, 728);
    CHECK_INT(store_creative_by_id(st, a, 9999, &k), STORE_NOT_FOUND);
    struct creative *all;
    CHECK_INT(store_creatives(st, a, &all, &n), STORE_OK);
    CHECK_INT(n, 2);

    /* Deleting: a creative, then a campaign with the rest (and their counts). */
    struct ad_count counts[2] = {{.creative_id = image, .day = "2023-11-14", .impressions = 3},
                                 {.creative_id = html, .day = "2023-11-14", .clicks = 1}};
    CHECK_INT(store_ad_stats_add(st, counts, 2), STORE_OK);
    CHECK_INT(store_creative_delete(st, image), STORE_OK);
    CHECK_INT(store_creative_delete(st, image), STORE_NOT_FOUND);
    struct ad_report_row *rows;
    CHECK_INT(store_ad_report(st, a, "", "", &rows, &n), STORE_OK);
    CHECK_INT(n, 1);
    CHECK_INT(store_campaign_delete(st, "spring"), STORE_OK);
    CHECK_INT(store_campaign_delete(st, "spring"), STORE_NOT_FOUND);
    CHECK_INT(store_creatives(st, a, &all, &n), STORE_OK);
    CHECK_INT(n, 0);
    CHECK_INT(store_ad_report(st, a, NULL, NULL, &rows, &n), STORE_OK);
    CHECK_INT(n, 0);
    arena_free(a);
    store_close(st);
out:
    tmpdb_remove_all(&t);
}

/* ---- counting and the report ------------------------------------------------------------- */

static void test_counts_and_report(void)
{
    struct tmpdb t;
    if (tmpdb_make(&t, "ads") != 0) {
        CHECK(0);
        return;
    }
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    struct arena *a = arena_new(0);
    campaign(st, "house", NOW - 10 * DAY, NOW + 10 * DAY, 1, "", "");
    campaign(st, "other", NOW - 10 * DAY, NOW + 10 * DAY, 1, "", "");
    int64_t one = creative(st, "house", "leaderboard");
    int64_t two = creative(st, "other", "sidebar");
    int64_t gone = creative(st, "house", "sidebar");

    ads_flush(st); /* nothing counted: nothing written */
    struct ad_report_row *rows;
    size_t n;
    CHECK_INT(store_ad_report(st, a, "", "", &rows, &n), STORE_OK);
    CHECK_INT(n, 0);

    /* NOW is 2023-11-14 (UTC); NOW - DAY the 13th. */
    for (int i = 0; i < 3; i++)
        ads_count_impression(CLIENT, one, NOW, 0);
    ads_count_click(CLIENT, one, NOW, 0);
    ads_count_impression(CLIENT, one, NOW - DAY, 0);
    ads_count_impression(CLIENT, two, NOW, 0);
    ads_count_impression(CLIENT, gone, NOW, 0);
    CHECK_INT(store_creative_delete(st, gone), STORE_OK); /* deleted before the flush */
    ads_flush(st);
    /* Flushed again later: the counts add up onto the same rows. */
    ads_count_impression(CLIENT, one, NOW, 0);
    ads_count_click(CLIENT, two, NOW, 0);
    ads_flush(st);

    CHECK_INT(store_ad_report(st, a, "", "", &rows, &n), STORE_OK);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_STR(rows[0].day, "2023-11-13");
        CHECK_INT(rows[0].creative_id, one);
        CHECK_INT(rows[0].impressions, 1);
        CHECK_INT(rows[0].clicks, 0);
        CHECK_STR(rows[1].day, "2023-11-14"); /* by day, then campaign slug */
        CHECK_STR(rows[1].campaign_slug, "house");
        CHECK_STR(rows[1].placement, "leaderboard");
        CHECK_INT(rows[1].impressions, 4);
        CHECK_INT(rows[1].clicks, 1);
        CHECK_STR(rows[2].campaign_slug, "other");
        CHECK_INT(rows[2].creative_id, two);
        CHECK_INT(rows[2].impressions, 1);
        CHECK_INT(rows[2].clicks, 1);
    }
    CHECK_INT(store_ad_report(st, a, "2023-11-14", "", &rows, &n), STORE_OK);
    CHECK_INT(n, 2);
    CHECK_INT(store_ad_report(st, a, "", "2023-11-13", &rows, &n), STORE_OK);
    CHECK_INT(n, 1);
    CHECK_INT(store_ad_report(st, a, "2023-11-15", "2023-12-31", &rows, &n), STORE_OK);
    CHECK_INT(n, 0);
    arena_free(a);
    store_close(st);
out:
    tmpdb_remove_all(&t);
}

static void test_ctr(void)
{
    char out[32];
    ads_ctr_format(0, 0, out, sizeof out);
    CHECK_STR(out, "-");
    ads_ctr_format(3, 0, out, sizeof out); /* clicks without a counted impression */
    CHECK_STR(out, "-");
    ads_ctr_format(0, 10, out, sizeof out);
    CHECK_STR(out, "0.00%");
    ads_ctr_format(1, 3, out, sizeof out);
    CHECK_STR(out, "33.33%");
    ads_ctr_format(2, 3, out, sizeof out);
    CHECK_STR(out, "66.67%");
    ads_ctr_format(1, 8, out, sizeof out);
    CHECK_STR(out, "12.50%");
    ads_ctr_format(1, 800, out, sizeof out); /* 0.125%: half up */
    CHECK_STR(out, "0.13%");
    ads_ctr_format(1, 1, out, sizeof out);
    CHECK_STR(out, "100.00%");
    ads_ctr_format(5, 2, out, sizeof out);
    CHECK_STR(out, "250.00%");
    ads_ctr_format(1, 1000000000000LL, out, sizeof out);
    CHECK_STR(out, "0.00%");
}

/* The per-client caps (issue 8, finding 13): per address (IPv6 by /64, a mapped IPv4 address
 * as IPv4), per creative, per UTC day, impressions and clicks apart; a new day starts afresh; a
 * cap of 0 caps nothing; and 200,000 clients, one impression each, are all counted (the sketch
 * has room), while a client already capped stays capped among them. */
static void test_count_caps(void)
{
    struct tmpdb t;
    if (tmpdb_make(&t, "ads") != 0) {
        CHECK(0);
        return;
    }
    const int64_t day2 = NOW + DAY;
    int counted = 0;
    for (int i = 0; i < 5; i++)
        counted += ads_count_impression("198.51.100.7", 9001, day2, 3);
    CHECK_INT(counted, 3);
    CHECK_INT(ads_count_impression("198.51.100.7", 9001, day2, 3), 0);
    CHECK_INT(ads_count_impression("::ffff:198.51.100.7", 9001, day2, 3), 0); /* the same client */
    CHECK_INT(ads_count_impression("198.51.100.8", 9001, day2, 3), 1);        /* another client */
    CHECK_INT(ads_count_impression("198.51.100.7", 9002, day2, 3), 1);        /* another creative */
    CHECK_INT(ads_count_click("198.51.100.7", 9001, day2, 1), 1); /* clicks are counted apart */
    CHECK_INT(ads_count_click("198.51.100.7", 9001, day2, 1), 0);
    CHECK_INT(ads_count_impression("198.51.100.7", 9001, day2, 0), 1); /* no cap */
    /* IPv6: one /64 is one client. */
    CHECK_INT(ads_count_impression("2001:db8:1:2::1", 9001, day2, 2), 1);
    CHECK_INT(ads_count_impression("2001:db8:1:2:ffff:ffff:ffff:ffff", 9001, day2, 2), 1);
    CHECK_INT(ads_count_impression("2001:db8:1:2::99", 9001, day2, 2), 0);
    CHECK_INT(ads_count_impression("2001:db8:1:3::1", 9001, day2, 2), 1);
    /* Text that is not an address is one client of its own. */
    CHECK_INT(ads_count_impression("-", 9001, day2, 1), 1);
    CHECK_INT(ads_count_impression("-", 9001, day2, 1), 0);
    /* Many clients: every one counted, the capped one still capped. */
    counted = 0;
    for (int i = 0; i < 200000; i++) {
        char ip[32];
        snprintf(ip, sizeof ip, "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
        counted += ads_count_impression(ip, 9003, day2, 100);
    }
    CHECK_INT(counted, 200000);
    CHECK_INT(ads_count_impression("198.51.100.7", 9001, day2, 3), 0);
    /* The next UTC day starts afresh. */
    CHECK_INT(ads_count_impression("198.51.100.7", 9001, day2 + DAY, 3), 1);
    /* The counts go nowhere: their creatives do not exist in this database. */
    struct store *st = open_store(&t);
    if (st) {
        ads_flush(st);
        store_close(st);
    }
    tmpdb_remove_all(&t);
}

void suite_ads(void)
{
    RUN(test_placements);
    RUN(test_url_valid);
    RUN(test_image_type);
    RUN(test_image_size);
    RUN(test_image_path_valid);
    RUN(test_store_image);
    RUN(test_pick_exact);
    RUN(test_pick_distribution);
    RUN(test_selection);
    RUN(test_campaigns_and_creatives);
    RUN(test_counts_and_report);
    RUN(test_count_caps);
    RUN(test_ctr);
}
