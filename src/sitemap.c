/*
 * sitemap.c: the sitemaps' arithmetic (sitemap.h). Pure functions: no store, no
 * request.
 */
#include "sitemap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define YEAR_MIN 1970
#define YEAR_MAX 9999
#define PART_DIGITS_MAX 12 /* a part number longer than this names nothing that can exist */

/* Days from 1970-01-01 to the civil date y-m-d (proleptic Gregorian; Howard Hinnant's
 * days_from_civil), so that a month's range needs no time zone and no timegm. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void sitemap_month_range(int year, int month, int64_t *start, int64_t *end)
{
    *start = days_from_civil(year, month, 1) * 86400;
    *end = month == 12 ? days_from_civil(year + 1, 1, 1) * 86400
                       : days_from_civil(year, month + 1, 1) * 86400;
}

void sitemap_month_of(int64_t t, int *year, int *month)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm)) {
        *year = YEAR_MAX + 1;
        *month = 1;
        return;
    }
    *year = tm.tm_year + 1900;
    *month = tm.tm_mon + 1;
}

int64_t sitemap_parts(int64_t count)
{
    return count <= 0 ? 0 : (count - 1) / SITEMAP_MAX_URLS + 1;
}

int64_t sitemap_part_offset(int64_t part)
{
    return (part - 1) * SITEMAP_MAX_URLS;
}

void sitemap_id_range(int64_t part, int64_t *from, int64_t *to)
{
    *from = (part - 1) * SITEMAP_MAX_URLS + 1;
    *to = part * SITEMAP_MAX_URLS + 1;
}

int64_t sitemap_id_part(int64_t id)
{
    return (id - 1) / SITEMAP_MAX_URLS + 1;
}

/* Reads exactly n digits at *p into *value (no sign, no space): 0 or -1. */
static int fixed_digits(const char **p, int n, int *value)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *value = v;
    return 0;
}

/* Reads a part number at *p (1 to PART_DIGITS_MAX digits, no leading zero, not 0) into *part:
 * 0 or -1. */
static int part_number(const char **p, int64_t *part)
{
    size_t n = strspn(*p, "0123456789");
    if (n == 0 || n > PART_DIGITS_MAX || **p == '0')
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + ((*p)[i] - '0');
    *p += n;
    *part = v;
    return 0;
}

int sitemap_parse_file(const char *name, struct sitemap_file *f)
{
    memset(f, 0, sizeof *f);
    if (!name)
        return -1;
    if (!strcmp(name, "news.xml")) {
        f->kind = SITEMAP_NEWS;
        return 0;
    }
    if (!strcmp(name, "sections.xml")) {
        f->kind = SITEMAP_SECTIONS;
        return 0;
    }
    if (!strcmp(name, "publications.xml")) {
        f->kind = SITEMAP_PUBLICATIONS;
        return 0;
    }
    const char *p;
    if (!strncmp(name, "authors-", 8) || !strncmp(name, "tags-", 5)) {
        f->kind = name[0] == 'a' ? SITEMAP_AUTHORS : SITEMAP_TAGS;
        p = name + (name[0] == 'a' ? 8 : 5);
        if (part_number(&p, &f->part) != 0)
            return -1;
        return strcmp(p, ".xml") ? -1 : 0;
    }
    if (strncmp(name, "articles-", 9))
        return -1;
    p = name + 9;
    f->kind = SITEMAP_ARTICLES;
    if (fixed_digits(&p, 4, &f->year) != 0 || *p++ != '-' || fixed_digits(&p, 2, &f->month) != 0)
        return -1;
    if (f->year < YEAR_MIN || f->year > YEAR_MAX || f->month < 1 || f->month > 12)
        return -1;
    f->part = 1;
    if (*p == '-') {
        p++;
        if (part_number(&p, &f->part) != 0 || f->part < 2) /* part 1 has no number */
            return -1;
    }
    return strcmp(p, ".xml") ? -1 : 0;
}

void sitemap_month_name(int year, int month, int64_t part, char *out, size_t size)
{
    if (part > 1)
        snprintf(out, size, "articles-%04d-%02d-%lld.xml", year, month, (long long)part);
    else
        snprintf(out, size, "articles-%04d-%02d.xml", year, month);
}
