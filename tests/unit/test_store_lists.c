/*
 * test_store_lists.c: tests of src/store_lists.c against store.h (issue 12, "Archives and
 * paging"), on a fresh database (SQLite, or PostgreSQL when the suite is run against one):
 * keyset pages of a section, a publication and a month, with ties on published_at ordered by
 * id; cursors that must be the list's own published articles; the true previous page
 * (store_list_newer); the months that have articles, at their UTC edges.
 */
#define _DEFAULT_SOURCE /* timegm */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "check.h"
#include "store.h"
#include "test_support.h"

/* 00:00:00 UTC on the first of month (1 to 12) of year, plus seconds. */
static int64_t utc(int year, int month, int64_t seconds)
{
    struct tm tm = {.tm_year = year - 1900, .tm_mon = month - 1, .tm_mday = 1};
    return (int64_t)timegm(&tm) + seconds;
}

/* Saves publications "nj" and "gsn", sections "politics" and "security", and the articles:
 * s0 … s9 in security (nj), two to a second (s0 and s1 share one, s2 and s3…), twenty days
 * apart from January 1st, 2010 (s8 and s9 on March 22nd); p0 in politics (gsn) on the last second
 * of March 2010 and p1 on the first of April. */
static void save_site(struct store *st)
{
    char err[256] = "";
    struct publication nj = {.slug = "nj", .name = "National Journal", .is_host = 1};
    struct publication gsn = {.slug = "gsn", .name = "GSN", .producer = "NJ"};
    struct section politics = {.slug = "politics", .name = "Politics", .position = 1};
    struct section security = {.slug = "security", .name = "Security", .position = 2};
    CHECK_INT(store_publication_save(st, &nj, err, sizeof err), STORE_OK);
    CHECK_INT(store_publication_save(st, &gsn, err, sizeof err), STORE_OK);
    CHECK_INT(store_section_save(st, &politics, err, sizeof err), STORE_OK);
    CHECK_INT(store_section_save(st, &security, err, sizeof err), STORE_OK);
    struct article_input in[12];
    char slugs[12][8];
    for (int i = 0; i < 12; i++) {
        int politics_one = i >= 10;
        snprintf(slugs[i], sizeof slugs[i], politics_one ? "p%d" : "s%d", i % 10);
        in[i] =
            (struct article_input){.slug = slugs[i],
                                   .headline = "A headline",
                                   .publication_slug = politics_one ? "gsn" : "nj",
                                   .section_slug = politics_one ? "politics" : "security",
                                   .body_markdown = "x",
                                   .body_html = "<p>x</p>",
                                   .published_at = i == 10   ? utc(2010, 4, -1)
                                                   : i == 11 ? utc(2010, 4, 0)
                                                             : utc(2010, 1, (i / 2) * 20 * 86400),
                                   .access = ACCESS_FREE};
    }
    int rc = store_articles_save(st, in, 12, err, sizeof err);
    if (rc != STORE_OK)
        fprintf(stderr, "    store_articles_save: %s\n", err);
    CHECK_INT(rc, STORE_OK);
}

/* The article's id by slug (0 when missing). */
static int64_t id_of(struct store *st, struct arena *a, const char *slug)
{
    struct article art;
    return store_article_by_slug(st, a, slug, &art) == STORE_OK ? art.id : 0;
}

/* The slugs of a page joined by spaces into out. */
static const char *slugs_of(const struct article *list, size_t n, char *out, size_t size)
{
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(out);
        snprintf(out + len, size - len, "%s%s", i ? " " : "", list[i].slug);
    }
    return out;
}

static void test_section_pages_and_newer(void)
{
    struct tmpdb t;
    struct arena *a = arena_new(0);
    CHECK(tmpdb_make(&t, "lists") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    save_site(st);
    struct section sec;
    CHECK_INT(store_section_by_slug(st, a, "security", &sec), STORE_OK);
    struct store_list list = {.kind = STORE_LIST_SECTION, .id = sec.id};
    struct article *page;
    size_t n;
    int more;
    char text[200];
    /* Newest first; a tie on published_at goes by id, the later saved first. */
    CHECK_INT(store_list_page(st, a, &list, NULL, 4, &page, &n, &more), STORE_OK);
    CHECK_STR(slugs_of(page, n, text, sizeof text), "s9 s8 s7 s6");
    CHECK_INT(more, 1);
    struct article_cursor cursor;
    CHECK_INT(store_list_cursor(st, &list, page[3].id, &cursor), STORE_OK);
    CHECK_INT(store_list_page(st, a, &list, &cursor, 4, &page, &n, &more), STORE_OK);
    CHECK_STR(slugs_of(page, n, text, sizeof text), "s5 s4 s3 s2");
    /* The page before the one after s6 is the first: only three articles are newer than s6. */
    int64_t newer = -1;
    CHECK_INT(store_list_newer(st, &list, &cursor, 4, &newer), STORE_OK);
    CHECK_INT(newer, 0);
    CHECK_INT(store_list_cursor(st, &list, page[3].id, &cursor), STORE_OK);
    CHECK_INT(store_list_page(st, a, &list, &cursor, 4, &page, &n, &more), STORE_OK);
    CHECK_STR(slugs_of(page, n, text, sizeof text), "s1 s0");
    CHECK_INT(more, 0);
    /* After s2 (the cursor): the four newer are s3 s4 s5 s6, so the page before starts after
     * s6 and ends with s2. */
    CHECK_INT(store_list_newer(st, &list, &cursor, 4, &newer), STORE_OK);
    CHECK_INT(newer, id_of(st, a, "s6"));
    /* Past the end: nothing, and no more. */
    CHECK_INT(store_list_cursor(st, &list, id_of(st, a, "s0"), &cursor), STORE_OK);
    CHECK_INT(store_list_page(st, a, &list, &cursor, 4, &page, &n, &more), STORE_OK);
    CHECK_INT((long long)n, 0);
    CHECK_INT(more, 0);
    /* Not the list's: another section's article, no such article. */
    CHECK_INT(store_list_cursor(st, &list, id_of(st, a, "p0"), &cursor), STORE_NOT_FOUND);
    CHECK_INT(store_list_cursor(st, &list, 999999, &cursor), STORE_NOT_FOUND);
    /* The publication's list: gsn has p1 and p0 only. */
    struct publication gsn;
    CHECK_INT(store_publication_by_slug(st, a, "gsn", &gsn), STORE_OK);
    struct store_list pub = {.kind = STORE_LIST_PUBLICATION, .id = gsn.id};
    CHECK_INT(store_list_page(st, a, &pub, NULL, 30, &page, &n, &more), STORE_OK);
    CHECK_STR(slugs_of(page, n, text, sizeof text), "p1 p0");
    CHECK_INT(store_list_cursor(st, &pub, id_of(st, a, "s9"), &cursor), STORE_NOT_FOUND);
    store_close(st);
out:
    arena_free(a);
    tmpdb_remove(&t);
}

static void test_months_and_periods(void)
{
    struct tmpdb t;
    struct arena *a = arena_new(0);
    CHECK(tmpdb_make(&t, "lists") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    save_site(st);
    int64_t months[12];
    size_t n = 99;
    /* s0–s9 span January to March 2010 (days 0 to 80), p0 March's last second, p1 April's
     * first: four months, newest first, each the first second of its month. */
    CHECK_INT(store_list_months(st, INT64_MIN, INT64_MAX, months, 12, &n), STORE_OK);
    CHECK_INT((long long)n, 4);
    if (n == 4) {
        CHECK_INT(months[0], utc(2010, 4, 0));
        CHECK_INT(months[1], utc(2010, 3, 0));
        CHECK_INT(months[2], utc(2010, 2, 0));
        CHECK_INT(months[3], utc(2010, 1, 0));
    }
    /* At most max; and only within [from, to). */
    CHECK_INT(store_list_months(st, INT64_MIN, INT64_MAX, months, 2, &n), STORE_OK);
    CHECK_INT((long long)n, 2);
    CHECK_INT(store_list_months(st, utc(2010, 2, 0), utc(2010, 4, 0), months, 12, &n), STORE_OK);
    CHECK_INT((long long)n, 2);
    CHECK_INT(store_list_months(st, utc(2011, 1, 0), utc(2012, 1, 0), months, 12, &n), STORE_OK);
    CHECK_INT((long long)n, 0);
    /* March 2010: s6 s7 (March 2nd), s8 s9 (March 22nd) and p0, its last second. */
    struct store_list march = {
        .kind = STORE_LIST_PERIOD, .from = utc(2010, 3, 0), .to = utc(2010, 4, 0)};
    struct article *page;
    size_t count;
    int more;
    char text[200];
    CHECK_INT(store_list_page(st, a, &march, NULL, 2, &page, &count, &more), STORE_OK);
    CHECK_STR(slugs_of(page, count, text, sizeof text), "p0 s9");
    CHECK_INT(more, 1);
    struct article_cursor cursor;
    CHECK_INT(store_list_cursor(st, &march, page[1].id, &cursor), STORE_OK);
    CHECK_INT(store_list_page(st, a, &march, &cursor, 2, &page, &count, &more), STORE_OK);
    CHECK_STR(slugs_of(page, count, text, sizeof text), "s8 s7");
    int64_t newer = -1;
    CHECK_INT(store_list_newer(st, &march, &cursor, 1, &newer), STORE_OK);
    CHECK_INT(newer, id_of(st, a, "p0"));
    CHECK_INT(store_list_newer(st, &march, &cursor, 2, &newer), STORE_OK);
    CHECK_INT(newer, 0); /* p1 is newer, but April's */
    CHECK_INT(store_list_cursor(st, &march, id_of(st, a, "p1"), &cursor), STORE_NOT_FOUND);
    CHECK_INT(store_list_cursor(st, &march, id_of(st, a, "s5"), &cursor), STORE_NOT_FOUND);
    store_close(st);
out:
    arena_free(a);
    tmpdb_remove(&t);
}

void suite_store_lists(void)
{
    RUN(test_section_pages_and_newer);
    RUN(test_months_and_periods);
}
