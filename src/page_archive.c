/*
 * page_archive.c: the date archive (issue 12, "Archives and paging"). /archive/ lists the
 * months that have published articles, newest first, by year; /archive/YYYY/ that year's;
 * /archive/YYYY/MM/ the month's articles, newest first, in keyset pages of ARCHIVE_PAGE_COUNT
 * (/archive/YYYY/MM/before/ID, page_list.c). Months are UTC. A malformed year or month, a year
 * or a month with no article, a bad cursor and a page past the end are 404.
 *
 * The months are found by one indexed seek each (store_list_months), never by reading the
 * articles, and every page is cached (tag list:all: any article published, edited or taken
 * down may add or empty a month).
 */
#define _DEFAULT_SOURCE /* timegm */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "pages.h"
#include "render.h"

#define ARCHIVE_PAGE_COUNT 30
#define ARCHIVE_MONTHS_MAX 2400 /* 200 years of months on the index page: a bound, not a limit */

static const char *const month_names[12] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December",
};

/* The first second (UTC) of month (1 to 12) of year; month 13 is January of the next. */
static int64_t month_time(int year, int month)
{
    struct tm tm = {
        .tm_year = year - 1900 + (month - 1) / 12, .tm_mon = (month - 1) % 12, .tm_mday = 1};
    return (int64_t)timegm(&tm);
}

/* text as exactly digits decimal digits into *value: 0, or -1. */
static int parse_digits(const char *text, size_t digits, int *value)
{
    if (!text || strlen(text) != digits || strspn(text, "0123456789") != digits)
        return -1;
    *value = 0;
    for (size_t i = 0; i < digits; i++)
        *value = *value * 10 + (text[i] - '0');
    return 0;
}

/* A year of the address (four digits, 1 to 9999) into *year: 0, or -1. */
static int parse_year(const char *text, int *year)
{
    return parse_digits(text, 4, year) == 0 && *year >= 1 ? 0 : -1;
}

/* The months (month starts, newest first) as [{year, url, months: [{name, number, url}]}]. */
static json_t *years_json(struct req *r, const int64_t *months, size_t n)
{
    json_t *years = json_array(), *year = NULL, *list = NULL;
    int current = -1;
    for (size_t i = 0; years && i < n; i++) {
        time_t when = (time_t)months[i];
        struct tm tm;
        if (!gmtime_r(&when, &tm))
            continue;
        int y = tm.tm_year + 1900;
        if (y != current) {
            if (year)
                years = render_append(years, render_set(year, "months", list));
            current = y;
            list = json_array();
            year = render_pack("{s:i, s:s}", "year", y, "url",
                               arena_printf(r->arena, "/archive/%04d/", y));
        }
        list = render_append(
            list, render_pack("{s:s, s:s, s:s}", "name", month_names[tm.tm_mon], "number",
                              arena_printf(r->arena, "%02d", tm.tm_mon + 1), "url",
                              arena_printf(r->arena, "/archive/%04d/%02d/", y, tm.tm_mon + 1)));
    }
    if (year)
        years = render_append(years, render_set(year, "months", list));
    return years;
}

/* The page of the months in [from, to): /archive/ (year 0) or /archive/YEAR/. */
static unsigned months_page(struct req *r, struct buf *out, int year, int64_t from, int64_t to)
{
    render_depends(r, "list:all");
    int64_t *months = arena_alloc(r->arena, ARCHIVE_MONTHS_MAX * sizeof *months);
    size_t n;
    if (store_list_months(r->app->store, from, to, months, ARCHIVE_MONTHS_MAX, &n) != STORE_OK)
        return 500;
    if (year && n == 0)
        return 404;
    const char *title = year ? arena_printf(r->arena, "Archive: %04d", year) : "Archive";
    const char *description = year ? arena_printf(r->arena, "Articles published in %04d.", year)
                                   : "Every month's articles.";
    json_t *ctx = render_context(r, "archive", title, description, r->path, NULL);
    ctx = render_set(ctx, "years", years_json(r, months, n));
    ctx = render_set(ctx, "empty", json_boolean(n == 0));
    ctx = render_set(ctx, "archive",
                     year ? render_pack("{s:s, s:i, s:b}", "heading",
                                        arena_printf(r->arena, "%04d", year), "year", year,
                                        "is_year", 1)
                          : render_pack("{s:s, s:b}", "heading", "Archive", "is_year", 0));
    return render_page(r, "archive", ctx, out);
}

unsigned page_archive(struct req *r, struct buf *out)
{
    return months_page(r, out, 0, INT64_MIN, INT64_MAX);
}

unsigned page_archive_year(struct req *r, struct buf *out)
{
    int year;
    if (parse_year(r->params[0], &year) != 0)
        return 404;
    return months_page(r, out, year, month_time(year, 1), month_time(year, 13));
}

unsigned page_archive_month(struct req *r, struct buf *out)
{
    int year, month;
    if (parse_year(r->params[0], &year) != 0 || parse_digits(r->params[1], 2, &month) != 0 ||
        month < 1 || month > 12)
        return 404;
    render_depends(r, "list:all");
    struct store_list list = {.kind = STORE_LIST_PERIOD,
                              .from = month_time(year, month),
                              .to = month_time(year, month + 1)};
    const char *base = arena_printf(r->arena, "/archive/%04d/%02d/", year, month);
    const char *name = arena_printf(r->arena, "%s %04d", month_names[month - 1], year);
    json_t *ctx =
        render_context(r, "archive-month", name,
                       arena_printf(r->arena, "Articles published in %s.", name), r->path, NULL);
    unsigned status = page_list_part(r, &ctx, &list, base, r->param_count > 2 ? r->params[2] : NULL,
                                     ARCHIVE_PAGE_COUNT);
    if (status == 200 && json_is_true(json_object_get(ctx, "empty")))
        status = 404; /* a month with no article */
    if (status != 200) {
        json_decref(ctx);
        return status;
    }
    ctx = render_set(ctx, "month",
                     render_pack("{s:s, s:s, s:i, s:s, s:s}", "name", name, "url", base, "year",
                                 year, "year_url", arena_printf(r->arena, "/archive/%04d/", year),
                                 "number", arena_printf(r->arena, "%02d", month)));
    return render_page(r, "archive-month", ctx, out);
}
