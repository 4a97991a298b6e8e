/*
 * test_sitemap.c: tests of src/sitemap.c, the sitemaps' arithmetic and text. The split of a
 * month into parts of at most SITEMAP_MAX_URLS (50,000) is checked here on the numbers
 * themselves, since an HTTP test would need more than 50,000 articles in one month: 50,000
 * URLs are one part, 50,001 two, and part N starts at offset (N - 1) * 50,000; the authors'
 * and tags' parts by ranges of id meet without a gap. Also: which names are sitemaps (and that
 * a month's first part has no number, leading zeros and months out of range are refused), a
 * month's range of unix times across leap years and year ends. (Their XML text and dates are
 * test_xml.c's.)
 */
#include <string.h>

#include "buf.h"
#include "check.h"
#include "sitemap.h"

static void test_parts(void)
{
    CHECK_INT(SITEMAP_MAX_URLS, 50000);
    CHECK_INT(sitemap_parts(0), 0);
    CHECK_INT(sitemap_parts(1), 1);
    CHECK_INT(sitemap_parts(49999), 1);
    CHECK_INT(sitemap_parts(50000), 1);
    CHECK_INT(sitemap_parts(50001), 2);
    CHECK_INT(sitemap_parts(100000), 2);
    CHECK_INT(sitemap_parts(100001), 3);
    CHECK_INT(sitemap_parts(1000000), 20);
    CHECK_INT(sitemap_part_offset(1), 0);
    CHECK_INT(sitemap_part_offset(2), 50000);
    CHECK_INT(sitemap_part_offset(3), 100000);
    /* every URL of a month of 120,000 is in exactly one part, none of more than 50,000 */
    int64_t count = 120000, covered = 0;
    for (int64_t part = 1; part <= sitemap_parts(count); part++) {
        int64_t offset = sitemap_part_offset(part);
        int64_t in_part = count - offset < SITEMAP_MAX_URLS ? count - offset : SITEMAP_MAX_URLS;
        CHECK(in_part > 0 && in_part <= SITEMAP_MAX_URLS);
        CHECK_INT(offset, covered);
        covered += in_part;
    }
    CHECK_INT(covered, count);
}

static void test_id_parts(void)
{
    int64_t from, to;
    sitemap_id_range(1, &from, &to);
    CHECK_INT(from, 1);
    CHECK_INT(to, 50001);
    sitemap_id_range(2, &from, &to);
    CHECK_INT(from, 50001);
    CHECK_INT(to, 100001);
    CHECK_INT(sitemap_id_part(1), 1);
    CHECK_INT(sitemap_id_part(50000), 1);
    CHECK_INT(sitemap_id_part(50001), 2);
    CHECK_INT(sitemap_id_part(100000), 2);
    CHECK_INT(sitemap_id_part(100001), 3);
    /* the part of an id holds it */
    for (int64_t id = 49998; id < 50003; id++) {
        sitemap_id_range(sitemap_id_part(id), &from, &to);
        CHECK(from <= id && id < to);
    }
}

static void test_parse(void)
{
    struct sitemap_file f;
    CHECK_INT(sitemap_parse_file("articles-2026-12.xml", &f), 0);
    CHECK_INT(f.kind, SITEMAP_ARTICLES);
    CHECK_INT(f.year, 2026);
    CHECK_INT(f.month, 12);
    CHECK_INT(f.part, 1);
    CHECK_INT(sitemap_parse_file("articles-1970-01-2.xml", &f), 0);
    CHECK_INT(f.year, 1970);
    CHECK_INT(f.month, 1);
    CHECK_INT(f.part, 2);
    CHECK_INT(sitemap_parse_file("news.xml", &f), 0);
    CHECK_INT(f.kind, SITEMAP_NEWS);
    CHECK_INT(sitemap_parse_file("sections.xml", &f), 0);
    CHECK_INT(f.kind, SITEMAP_SECTIONS);
    CHECK_INT(sitemap_parse_file("publications.xml", &f), 0);
    CHECK_INT(f.kind, SITEMAP_PUBLICATIONS);
    CHECK_INT(sitemap_parse_file("authors-1.xml", &f), 0);
    CHECK_INT(f.kind, SITEMAP_AUTHORS);
    CHECK_INT(f.part, 1);
    CHECK_INT(sitemap_parse_file("tags-12.xml", &f), 0);
    CHECK_INT(f.kind, SITEMAP_TAGS);
    CHECK_INT(f.part, 12);
    const char *bad[] = {
        "articles-2026-13.xml",
        "articles-2026-00.xml",
        "articles-1969-12.xml",
        "articles-2026-1.xml",
        "articles-26-01.xml",
        "articles-2026-01-1.xml",
        "articles-2026-01-0.xml",
        "articles-2026-01-02.xml",
        "articles-2026-01.xml.gz",
        "articles-2026-01",
        "articles-2026-01-.xml",
        "articles-+026-01.xml",
        "authors-0.xml",
        "authors-01.xml",
        "authors-.xml",
        "authors-1.XML",
        "tags-1234567890123.xml",
        "news.xml.gz",
        "",
        "sitemap.xml",
        "articles-2026-01-2x.xml",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (sitemap_parse_file(bad[i], &f) != -1) {
            check_fail(__FILE__, __LINE__, "a bad name was taken");
            fprintf(stderr, "    name: [%s]\n", bad[i]);
        }
    }
    CHECK_INT(sitemap_parse_file(NULL, &f), -1);
    char name[64];
    sitemap_month_name(2026, 3, 1, name, sizeof name);
    CHECK_STR(name, "articles-2026-03.xml");
    sitemap_month_name(2026, 3, 2, name, sizeof name);
    CHECK_STR(name, "articles-2026-03-2.xml");
    /* a name made is a name parsed */
    CHECK_INT(sitemap_parse_file(name, &f), 0);
    CHECK_INT(f.part, 2);
}

static void test_months(void)
{
    int64_t start, end;
    sitemap_month_range(1970, 1, &start, &end);
    CHECK_INT(start, 0);
    CHECK_INT(end, 31 * 86400);
    sitemap_month_range(2024, 2, &start, &end); /* a leap year */
    CHECK_INT(start, 1706745600);
    CHECK_INT(end - start, 29 * 86400);
    sitemap_month_range(2100, 2, &start, &end); /* not a leap year */
    CHECK_INT(end - start, 28 * 86400);
    sitemap_month_range(2026, 12, &start, &end);
    CHECK_INT(start, 1796083200);
    CHECK_INT(end, 1798761600); /* 2027-01-01 */
    int year, month;
    sitemap_month_of(1798761599, &year, &month);
    CHECK_INT(year, 2026);
    CHECK_INT(month, 12);
    sitemap_month_of(1798761600, &year, &month);
    CHECK_INT(year, 2027);
    CHECK_INT(month, 1);
    /* every month's range holds its own times and meets the next one's */
    for (int y = 1999; y <= 2001; y++)
        for (int m = 1; m <= 12; m++) {
            int64_t s, e, s2, e2;
            sitemap_month_range(y, m, &s, &e);
            sitemap_month_range(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, &s2, &e2);
            CHECK_INT(e, s2);
            sitemap_month_of(s, &year, &month);
            CHECK(year == y && month == m);
            sitemap_month_of(e - 1, &year, &month);
            CHECK(year == y && month == m);
        }
}

void suite_sitemap(void)
{
    RUN(test_parts);
    RUN(test_id_parts);
    RUN(test_parse);
    RUN(test_months);
}
