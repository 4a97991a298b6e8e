/*
 * page_sitemap.c: what crawlers read (issue 12, "Sitemaps and robots"): /robots.txt, the
 * sitemap index /sitemap.xml and the sitemaps under /sitemaps/ (sitemap.h names them): the
 * published articles by month (articles-YYYY-MM.xml, split into -2, -3 … parts of at most
 * SITEMAP_MAX_URLS), the home page and sections, the publications, the authors and the tags
 * (in parts by ranges of id), and the Google News sitemap (news.xml: the last 48 hours). Every
 * URL is absolute (the site URL, as canonical links have it), every value XML-escaped.
 *
 * All of them are cached pages (route render functions, keyed by path; r->render_type gives
 * them their Content-Type, and they are sent whole, never spliced) with their tags: the
 * article sitemaps and the index list:all (any published article's change; a finer tag per
 * month would need the change log to know months), the name lists list:authors and list:tags
 * (migration 017), sections and publications nav; the news sitemap list:all and clock:minute,
 * which the app's tick drops every minute (app.c), so that an article leaves it within a minute
 * of its 48 hours even when nothing is written.
 *
 * A month's sitemap is written as its rows are read (store_sitemap_articles calls back per
 * row): no array of articles, whatever the month's size.
 */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "config.h"
#include "html.h"
#include "pages.h"
#include "render.h"
#include "sitemap.h"
#include "util.h"
#include "xml.h"

/* sitemaps.org's limit on one sitemap, uncompressed (50 MiB). A month's part of
 * SITEMAP_MAX_URLS URLs of slugs of at most 80 bytes is far below it; the check is there for a
 * site URL or an imported slug far longer than those. */
#define SITEMAP_MAX_BYTES 52428800
/* The Google News sitemap: articles of the last NEWS_WINDOW seconds, at most NEWS_MAX. */
#define NEWS_WINDOW (48 * 3600)
#define NEWS_MAX 1000
/* news:language, ISO 639: the site has no setting for it (docs/architecture.md, "Sitemaps"). */
#define NEWS_LANGUAGE "en"

#define XML_TYPE "application/xml; charset=utf-8"
#define XML_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define SITEMAP_NS "http://www.sitemaps.org/schemas/sitemap/0.9"
#define NEWS_NS "http://www.google.com/schemas/sitemap-news/0.9"

/* The site's URL (no trailing slash), XML-escaped, into out. */
static void put_site(struct req *r, struct buf *out)
{
    const char *site = r->app->site_url ? r->app->site_url : "";
    xml_text(out, site, strlen(site));
}

/* <loc>SITE PREFIX SLUG</loc>: the slug percent-encoded as a path segment (html_url_path
 * leaves only unreserved characters, which XML takes as they are). */
static void put_loc(struct req *r, struct buf *out, const char *prefix, const char *slug)
{
    buf_puts(out, "<loc>");
    put_site(r, out);
    buf_puts(out, prefix);
    if (slug)
        html_url_path(out, slug, strlen(slug));
    buf_puts(out, "</loc>");
}

/* What a streamed sitemap's rows are written with. */
struct writer {
    struct req *r;
    struct buf *out;
    const char *prefix;    /* "/articles/", "/authors/", "/tags/" */
    const char *site_name; /* the news sitemap's publication */
};

/* A store_sitemap_fn: one <url> of an article (with lastmod) or a name (without). */
static int write_url(void *ctx, const struct sitemap_row *row)
{
    struct writer *w = ctx;
    buf_puts(w->out, "<url>");
    put_loc(w->r, w->out, w->prefix, row->slug);
    if (row->lastmod > 0) {
        char when[32];
        xml_time(row->lastmod, when, sizeof when);
        buf_printf(w->out, "<lastmod>%s</lastmod>", when);
    }
    buf_puts(w->out, "</url>\n");
    if (w->out->len > SITEMAP_MAX_BYTES) {
        fprintf(stderr, "broadsheet: sitemap %s passed %d bytes: not sent\n", w->r->path,
                SITEMAP_MAX_BYTES);
        return -1;
    }
    return 0;
}

/* A store_sitemap_fn: one <url> of the news sitemap. */
static int write_news(void *ctx, const struct sitemap_row *row)
{
    struct writer *w = ctx;
    char when[32];
    xml_time(row->published_at, when, sizeof when);
    buf_puts(w->out, "<url>");
    put_loc(w->r, w->out, "/articles/", row->slug);
    buf_puts(w->out, "<news:news><news:publication><news:name>");
    xml_text(w->out, w->site_name, strlen(w->site_name));
    buf_printf(w->out,
               "</news:name><news:language>%s</news:language></news:publication>"
               "<news:publication_date>%s</news:publication_date><news:title>",
               NEWS_LANGUAGE, when);
    xml_text(w->out, row->headline, strlen(row->headline));
    buf_puts(w->out, "</news:title></news:news></url>\n");
    return 0;
}

/* The site's name as its pages show it: the host publication's, else the configured one. */
static const char *site_name(struct req *r)
{
    render_depends(r, "nav");
    struct publication *list;
    size_t n;
    if (store_publications(r->app->store, r->arena, &list, &n) == STORE_OK)
        for (size_t i = 0; i < n; i++)
            if (list[i].is_host)
                return list[i].name;
    return r->app->config->site_name;
}

/* Gives up what was written to out since start (a sitemap that is not sent) and returns
 * status, so that out is as the renderer found it. */
static unsigned fail(struct buf *out, size_t start, unsigned status)
{
    out->len = start;
    if (out->data)
        out->data[start] = '\0';
    return status;
}

/* <sitemap><loc>SITE/sitemaps/NAME</loc>[<lastmod>…</lastmod>]</sitemap> */
static void index_entry(struct req *r, struct buf *out, const char *name, int64_t lastmod)
{
    buf_puts(out, "<sitemap><loc>");
    put_site(r, out);
    buf_puts(out, "/sitemaps/");
    xml_text(out, name, strlen(name));
    buf_puts(out, "</loc>");
    if (lastmod > 0) {
        char when[32];
        xml_time(lastmod, when, sizeof when);
        buf_printf(out, "<lastmod>%s</lastmod>", when);
    }
    buf_puts(out, "</sitemap>\n");
}

/* The index's entries for the parts of the authors or tags that hold any: from id to id, a
 * probe each (parts by ranges of id: see sitemap_id_range). 0 or -1. */
static int index_names(struct req *r, struct buf *out, enum store_sitemap_names which)
{
    const char *kind = which == STORE_SITEMAP_AUTHORS ? "authors" : "tags";
    int64_t from = 1, id;
    for (;;) {
        int rc = store_sitemap_next_id(r->app->store, which, from, &id);
        if (rc == STORE_NOT_FOUND)
            return 0;
        if (rc != STORE_OK)
            return -1;
        int64_t part = sitemap_id_part(id > 0 ? id : 1), to;
        char name[64];
        snprintf(name, sizeof name, "%s-%lld.xml", kind, (long long)part);
        index_entry(r, out, name, 0);
        sitemap_id_range(part, &from, &to);
        from = to;
    }
}

/* The index's entries for the months that have published articles, oldest first: from the
 * first published_at on or after the month's start, a count of the month's range each, so
 * that empty months are skipped and the months' rows are read once between them. 0 or -1. */
static int index_months(struct req *r, struct buf *out)
{
    struct store *st = r->app->store;
    int64_t from = 0, at;
    for (;;) {
        int rc = store_sitemap_next_published(st, from, &at);
        if (rc == STORE_NOT_FOUND)
            return 0;
        if (rc != STORE_OK)
            return -1;
        int year, month;
        sitemap_month_of(at, &year, &month);
        if (year > 9999) /* no name for it (sitemap.h): nothing later has one either */
            return 0;
        int64_t start, end, count, lastmod;
        sitemap_month_range(year, month, &start, &end);
        if (store_sitemap_range(st, start, end, &count, &lastmod) != STORE_OK)
            return -1;
        int64_t parts = sitemap_parts(count);
        for (int64_t part = 1; part <= parts; part++) {
            char name[64];
            sitemap_month_name(year, month, part, name, sizeof name);
            index_entry(r, out, name, lastmod);
        }
        from = end;
    }
}

unsigned page_sitemap_index(struct req *r, struct buf *out)
{
    size_t start = out->len;
    r->render_type = XML_TYPE;
    render_depends(r, "list:all");
    render_depends(r, "list:authors");
    render_depends(r, "list:tags");
    buf_puts(out, XML_HEAD "<sitemapindex xmlns=\"" SITEMAP_NS "\">\n");
    index_entry(r, out, "sections.xml", 0);
    index_entry(r, out, "publications.xml", 0);
    index_entry(r, out, "news.xml", 0);
    if (index_names(r, out, STORE_SITEMAP_AUTHORS) != 0 ||
        index_names(r, out, STORE_SITEMAP_TAGS) != 0 || index_months(r, out) != 0)
        return fail(out, start, 500);
    buf_puts(out, "</sitemapindex>\n");
    return 200;
}

/* A month's part: 404 when it has no articles. */
static unsigned month_sitemap(struct req *r, struct buf *out, const struct sitemap_file *f)
{
    size_t start = out->len;
    render_depends(r, "list:all");
    int64_t from, to;
    sitemap_month_range(f->year, f->month, &from, &to);
    buf_puts(out, XML_HEAD "<urlset xmlns=\"" SITEMAP_NS "\">\n");
    struct writer w = {.r = r, .out = out, .prefix = "/articles/"};
    size_t n;
    if (store_sitemap_articles(r->app->store, from, to, sitemap_part_offset(f->part),
                               SITEMAP_MAX_URLS, write_url, &w, &n) != STORE_OK)
        return fail(out, start, 500);
    if (n == 0)
        return fail(out, start, 404);
    buf_puts(out, "</urlset>\n");
    return 200;
}

/* The authors' or tags' part: 404 when none of its ids is left. */
static unsigned names_sitemap(struct req *r, struct buf *out, const struct sitemap_file *f)
{
    size_t start = out->len;
    int authors = f->kind == SITEMAP_AUTHORS;
    render_depends(r, authors ? "list:authors" : "list:tags");
    int64_t from, to;
    sitemap_id_range(f->part, &from, &to);
    buf_puts(out, XML_HEAD "<urlset xmlns=\"" SITEMAP_NS "\">\n");
    struct writer w = {.r = r, .out = out, .prefix = authors ? "/authors/" : "/tags/"};
    size_t n;
    if (store_sitemap_slugs(r->app->store, authors ? STORE_SITEMAP_AUTHORS : STORE_SITEMAP_TAGS,
                            from, to, write_url, &w, &n) != STORE_OK)
        return fail(out, start, 500);
    if (n == 0)
        return fail(out, start, 404);
    buf_puts(out, "</urlset>\n");
    return 200;
}

/* The home page and the sections, or the publications. */
static unsigned nav_sitemap(struct req *r, struct buf *out, int sections)
{
    size_t start = out->len;
    render_depends(r, "nav");
    struct writer w = {.r = r, .out = out};
    struct sitemap_row row = {0};
    buf_puts(out, XML_HEAD "<urlset xmlns=\"" SITEMAP_NS "\">\n");
    size_t n;
    if (sections) {
        struct section *list;
        if (store_sections(r->app->store, r->arena, &list, &n) != STORE_OK)
            return fail(out, start, 500);
        w.prefix = "/";
        row.slug = "";
        write_url(&w, &row); /* the home page */
        w.prefix = "/sections/";
        for (size_t i = 0; i < n; i++) {
            row.slug = list[i].slug;
            write_url(&w, &row);
        }
    } else {
        struct publication *list;
        if (store_publications(r->app->store, r->arena, &list, &n) != STORE_OK)
            return fail(out, start, 500);
        w.prefix = "/publications/";
        for (size_t i = 0; i < n; i++) {
            row.slug = list[i].slug;
            write_url(&w, &row);
        }
    }
    buf_puts(out, "</urlset>\n");
    return 200;
}

/* The articles published in the last NEWS_WINDOW seconds, newest first. */
static unsigned news_sitemap(struct req *r, struct buf *out)
{
    size_t start = out->len;
    render_depends(r, "list:all");
    render_depends(r, "clock:minute");
    struct writer w = {.r = r, .out = out, .site_name = site_name(r)};
    int64_t now = util_now();
    buf_puts(out, XML_HEAD "<urlset xmlns=\"" SITEMAP_NS "\" xmlns:news=\"" NEWS_NS "\">\n");
    size_t n;
    if (store_sitemap_news(r->app->store, now - NEWS_WINDOW, now, NEWS_MAX, write_news, &w, &n) !=
        STORE_OK)
        return fail(out, start, 500);
    buf_puts(out, "</urlset>\n");
    return 200;
}

unsigned page_sitemap(struct req *r, struct buf *out)
{
    struct sitemap_file f;
    if (r->param_count < 1 || sitemap_parse_file(r->params[0], &f) != 0)
        return 404;
    r->render_type = XML_TYPE;
    switch (f.kind) {
    case SITEMAP_ARTICLES: return month_sitemap(r, out, &f);
    case SITEMAP_NEWS: return news_sitemap(r, out);
    case SITEMAP_SECTIONS: return nav_sitemap(r, out, 1);
    case SITEMAP_PUBLICATIONS: return nav_sitemap(r, out, 0);
    case SITEMAP_AUTHORS:
    case SITEMAP_TAGS: return names_sitemap(r, out, &f);
    }
    return 404;
}

unsigned page_robots(struct req *r, struct buf *out)
{
    /* Private pages (accounts, the newsroom), forms and what only scripts fetch: nothing a
     * search engine should list, and /search, whose query strings never end. */
    static const char *const disallow[] = {
        "/newsroom", "/account",       "/login",     "/logout",  "/register", "/verify", "/forgot",
        "/reset",    "/restore-email", "/subscribe", "/stripe/", "/ads/",     "/search", "/healthz",
    };
    r->render_type = "text/plain; charset=utf-8";
    buf_puts(out, "User-agent: *\nAllow: /\n");
    for (size_t i = 0; i < sizeof disallow / sizeof disallow[0]; i++)
        buf_printf(out, "Disallow: %s\n", disallow[i]);
    buf_printf(out, "\nSitemap: %s/sitemap.xml\n", r->app->site_url ? r->app->site_url : "");
    return 200;
}
