/*
 * sitemap.h: the arithmetic and the text of the sitemaps (issue 12), apart from the pages and
 * the store so that a unit test can check it: which file a /sitemaps/NAME names, a month's
 * range of unix times, how a month is split into parts of at most SITEMAP_MAX_URLS, an
 * author's or tag's part by id. page_sitemap.c uses it, with xml.h for the text and dates.
 */
#ifndef BROADSHEET_SITEMAP_H
#define BROADSHEET_SITEMAP_H

#include <stddef.h>
#include <stdint.h>

/* URLs in one sitemap at most (sitemaps.org): a month with more is split into parts, and the
 * authors and tags are listed in parts of this many ids. */
#define SITEMAP_MAX_URLS 50000

/* What a /sitemaps/NAME file is. */
enum sitemap_kind {
    SITEMAP_ARTICLES,     /* articles-YYYY-MM.xml, articles-YYYY-MM-N.xml (N >= 2) */
    SITEMAP_NEWS,         /* news.xml */
    SITEMAP_SECTIONS,     /* sections.xml: the home page and every section */
    SITEMAP_PUBLICATIONS, /* publications.xml */
    SITEMAP_AUTHORS,      /* authors-N.xml (N >= 1) */
    SITEMAP_TAGS,         /* tags-N.xml (N >= 1) */
};

struct sitemap_file {
    enum sitemap_kind kind;
    int year, month; /* SITEMAP_ARTICLES */
    int64_t part;    /* SITEMAP_ARTICLES, SITEMAP_AUTHORS, SITEMAP_TAGS: from 1 */
};

/* Parses a file name (the path's last segment) into *f: 0, or -1 for a name no sitemap has
 * (a month out of 1970-01 … 9999-12, a part 0, a part 1 spelled out for a month, leading
 * zeros, anything else). */
int sitemap_parse_file(const char *name, struct sitemap_file *f);

/* The file name of a month's part ("articles-2026-12.xml", "articles-2026-12-2.xml") into out
 * (size bytes). */
void sitemap_month_name(int year, int month, int64_t part, char *out, size_t size);

/* The unix times at which month month (1-12) of year begins and the next one begins, UTC. */
void sitemap_month_range(int year, int month, int64_t *start, int64_t *end);
/* The UTC year and month (1-12) of unix time t. */
void sitemap_month_of(int64_t t, int *year, int *month);

/* How many parts of at most SITEMAP_MAX_URLS count URLs take (0 for none). */
int64_t sitemap_parts(int64_t count);
/* The offset of part (from 1) in its month's list: (part - 1) * SITEMAP_MAX_URLS. */
int64_t sitemap_part_offset(int64_t part);
/* The ids part (from 1) of the authors or tags holds: [*from, *to). */
void sitemap_id_range(int64_t part, int64_t *from, int64_t *to);
/* The part that holds id (>= 1). */
int64_t sitemap_id_part(int64_t id);

#endif
