/*
 * page_feed.c: the feeds (issue 12, "Feeds"): RSS 2.0 at /feed.xml, Atom 1.0 at /atom.xml and
 * JSON Feed 1.1 at /feed.json for the whole site, and the same three under /sections/SLUG,
 * /publications/SLUG, /authors/SLUG and /tags/SLUG, each the newest FEED_ITEMS published
 * articles of its list; and the pages' discovery links to them (page_feed_links).
 *
 * Feeds are cached pages (routes with .render): the renderer names its Content-Type and
 * Last-Modified (r->render_type, r->render_modified; respond_cached), and the same cache tags
 * as the matching page (list:all, list:section:ID, list:publication:ID, author:ID and
 * list:author:ID, tag:ID and list:tag:ID), plus nav (the site's, section's and publication's
 * names are shown), article:ID of each item and author:ID of each item's authors. Last-Modified
 * is the time the feed was rendered: it is rendered again exactly when one of those tags
 * changes, and unlike the newest item's time it cannot go back when the newest article is taken
 * down (a reader's If-Modified-Since would then keep it).
 *
 * The paywall's rule, as on the article page: a free article's item carries its whole body
 * (cmark's safe HTML); a metered or subscribers-only one carries its dek, the first
 * preview_paragraphs blocks of its body (markdown_split_html) and a "Read the full article"
 * link, and the rest of its body is never read into the feed. A feed is the same for everyone
 * (it is cached by path), so no reader's entitlement changes it.
 *
 * GUIDs: SITE_URL/articles/ID (isPermaLink="false" in RSS; Atom's id, JSON Feed's id). The id
 * never changes, so an edit of the headline or slug does not make a new item in anyone's feed
 * reader; the link is the article's current address.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "config.h"
#include "feed.h"
#include "html.h"
#include "markdown.h"
#include "pages.h"
#include "render.h"
#include "util.h"

#define FEED_ITEMS 50

enum feed_format { FEED_RSS, FEED_ATOM, FEED_JSON };

static const struct {
    const char *file;  /* the last segment of its path */
    const char *type;  /* its Content-Type */
    const char *media; /* the discovery link's type */
    const char *name;  /* in the discovery link's title */
} formats[] = {
    [FEED_RSS] = {"feed.xml", "application/rss+xml; charset=utf-8", "application/rss+xml", "RSS"},
    [FEED_ATOM] = {"atom.xml", "application/atom+xml; charset=utf-8", "application/atom+xml",
                   "Atom"},
    [FEED_JSON] = {"feed.json", "application/feed+json; charset=utf-8", "application/feed+json",
                   "JSON Feed"},
};

/* What a feed follows, read from the request's path and the store. */
struct feed_source {
    const char *base;        /* the matching page's path ("" for the site's home) */
    const char *title;       /* the feed's title */
    const char *description; /* its description (never empty) */
    struct article *list;    /* its newest articles */
    size_t n;
};

/* The site's name (the host publication's, else the configured one) and description ("" when
 * none), as render_context finds them. 0, or -1 when the store failed. */
static int site_names(struct req *r, const char **name, const char **description)
{
    struct publication *pubs;
    size_t n;
    *name = r->app->config->site_name;
    *description = "";
    if (store_publications(r->app->store, r->arena, &pubs, &n) != STORE_OK)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (pubs[i].is_host) {
            *name = pubs[i].name;
            *description = pubs[i].description;
        }
    }
    return 0;
}

/* Fills src from r's path (/feed.xml, or /KIND/SLUG/FILE with the slug in params[0]): the
 * record, its newest articles and the cache tags of both. Returns 200 or the status to answer
 * (404: no such record). */
static unsigned find_source(struct req *r, const char *site, const char *site_description,
                            struct feed_source *src)
{
    struct store *st = r->app->store;
    struct arena *a = r->arena;
    int rc;
    if (r->param_count == 0) {
        render_depends(r, "list:all");
        src->base = "";
        src->title = site;
        src->description = *site_description ? site_description
                                             : arena_printf(a, "The latest news from %s.", site);
        struct article_query q = {.limit = FEED_ITEMS};
        rc = store_articles_latest(st, a, &q, &src->list, &src->n);
    } else if (!strncmp(r->path, "/sections/", 10)) {
        struct section s;
        rc = store_section_by_slug(st, a, r->params[0], &s);
        if (rc != STORE_OK)
            return rc == STORE_NOT_FOUND ? 404 : 500;
        render_depends(r, "list:section:%lld", (long long)s.id);
        src->base = arena_printf(a, "/sections/%s", s.slug);
        src->title = arena_printf(a, "%s — %s", s.name, site);
        src->description = arena_printf(a, "The latest %s news.", s.name);
        struct article_query q = {.section_id = s.id, .limit = FEED_ITEMS};
        rc = store_articles_latest(st, a, &q, &src->list, &src->n);
    } else if (!strncmp(r->path, "/publications/", 14)) {
        struct publication p;
        rc = store_publication_by_slug(st, a, r->params[0], &p);
        if (rc != STORE_OK)
            return rc == STORE_NOT_FOUND ? 404 : 500;
        render_depends(r, "list:publication:%lld", (long long)p.id);
        src->base = arena_printf(a, "/publications/%s", p.slug);
        src->title = arena_printf(a, "%s — %s", p.name, site);
        src->description =
            *p.description ? p.description : arena_printf(a, "The latest from %s.", p.name);
        struct article_query q = {.publication_id = p.id, .limit = FEED_ITEMS};
        rc = store_articles_latest(st, a, &q, &src->list, &src->n);
    } else if (!strncmp(r->path, "/authors/", 9)) {
        struct author au;
        rc = store_author_by_slug(st, a, r->params[0], &au);
        if (rc != STORE_OK)
            return rc == STORE_NOT_FOUND ? 404 : 500;
        /* as page_people.c's author page: see its header for why list:all */
        render_depends(r, "author:%lld", (long long)au.id);
        render_depends(r, "list:author:%lld", (long long)au.id);
        render_depends(r, "list:all");
        src->base = arena_printf(a, "/authors/%s", au.slug);
        src->title = arena_printf(a, "%s — %s", au.name, site);
        src->description = arena_printf(a, "Articles by %s.", au.name);
        int more;
        rc = store_author_articles(st, a, au.id, NULL, FEED_ITEMS, &src->list, &src->n, &more);
    } else if (!strncmp(r->path, "/tags/", 6)) {
        struct tag t;
        rc = store_tag_by_slug(st, a, r->params[0], &t);
        if (rc != STORE_OK)
            return rc == STORE_NOT_FOUND ? 404 : 500;
        render_depends(r, "tag:%lld", (long long)t.id);
        render_depends(r, "list:tag:%lld", (long long)t.id);
        render_depends(r, "list:all");
        src->base = arena_printf(a, "/tags/%s", t.slug);
        src->title = arena_printf(a, "%s — %s", t.name, site);
        src->description = arena_printf(a, "Articles about %s.", t.name);
        int more;
        rc = store_tag_articles(st, a, t.id, NULL, FEED_ITEMS, &src->list, &src->n, &more);
    } else {
        return 404; /* a route in routes.c that this file does not know */
    }
    return rc == STORE_OK ? 200 : 500;
}

/* What of article art a reader who is not entitled may see, as HTML from r's arena: the whole
 * body of a free article; else the dek, the preview blocks and a link to the article (url). */
static const char *visible_html(struct req *r, const struct article *art, const char *body_html,
                                const char *body_markdown, const char *url)
{
    if (art->access == ACCESS_FREE)
        return body_html;
    char *head, *tail;
    markdown_split_html(body_markdown, strlen(body_markdown), r->app->config->preview_paragraphs,
                        &head, &tail);
    free(tail); /* the withheld part: never in a feed */
    struct buf html = BUF_INIT;
    if (*art->dek) {
        buf_puts(&html, "<p><em>");
        html_text(&html, art->dek, strlen(art->dek));
        buf_puts(&html, "</em></p>\n");
    }
    buf_puts(&html, head);
    free(head);
    buf_puts(&html, "<p><a href=\"");
    html_attr(&html, url, strlen(url));
    buf_puts(&html, "\">Read the full article</a></p>\n");
    const char *shown = arena_strndup(r->arena, html.data ? html.data : "", html.len);
    buf_free(&html);
    return shown;
}

/* The feed item for art (the newest published articles of a list), its bodies and authors read
 * and its tags recorded. Returns STORE_OK, STORE_NOT_FOUND (taken down since the list was read:
 * left out) or STORE_ERROR. */
static int make_item(struct req *r, const char *site_url, const struct article *art,
                     struct feed_item *item)
{
    struct store *st = r->app->store;
    struct arena *a = r->arena;
    render_depends(r, "article:%lld", (long long)art->id);
    const char *html, *markdown;
    int rc = store_article_body(st, a, art->id, &html, &markdown);
    if (rc != STORE_OK)
        return rc;
    struct article_person *people, *tags;
    size_t n_people, n_tags;
    if (store_article_people(st, a, art->id, 0, &people, &n_people, &tags, &n_tags) != STORE_OK)
        return STORE_ERROR;
    *item = (struct feed_item){
        .id = arena_printf(a, "%s/articles/%lld", site_url, (long long)art->id),
        .url = arena_printf(a, "%s/articles/%s", site_url, art->slug),
        .title = art->headline,
        .summary = art->dek,
        .published = art->published_at,
        .updated = art->updated_at > art->published_at ? art->updated_at : art->published_at,
        .category = art->section.name,
    };
    item->content_html = visible_html(r, art, html, markdown, item->url);
    if (n_people) {
        struct feed_person *authors = arena_alloc(a, n_people * sizeof *authors);
        for (size_t i = 0; i < n_people; i++) {
            render_depends(r, "author:%lld", (long long)people[i].id);
            authors[i].name = people[i].name;
            authors[i].url = arena_printf(a, "%s/authors/%s", site_url, people[i].slug);
        }
        item->authors = authors;
        item->n_authors = n_people;
    } else if (*art->byline) {
        struct feed_person *byline = arena_alloc(a, sizeof *byline);
        *byline = (struct feed_person){.name = art->byline, .url = ""};
        item->authors = byline;
        item->n_authors = 1;
    }
    return STORE_OK;
}

/* Renders r's feed in format into out. */
static unsigned render_feed(struct req *r, struct buf *out, enum feed_format format)
{
    const char *site, *site_description;
    render_depends(r, "nav");
    if (site_names(r, &site, &site_description) != 0)
        return 500;
    struct feed_source src;
    unsigned status = find_source(r, site, site_description, &src);
    if (status != 200)
        return status;
    const char *site_url = r->app->site_url ? r->app->site_url : "";
    struct feed_item *items = arena_alloc(r->arena, (src.n ? src.n : 1) * sizeof *items);
    size_t n = 0;
    int64_t now = util_now(), updated = 0;
    for (size_t i = 0; i < src.n; i++) {
        int rc = make_item(r, site_url, &src.list[i], &items[n]);
        if (rc == STORE_ERROR)
            return 500;
        if (rc != STORE_OK)
            continue;
        if (items[n].updated > updated)
            updated = items[n].updated;
        n++;
    }
    struct feed f = {
        .title = src.title,
        .description = src.description,
        .home_url = arena_printf(r->arena, "%s%s", site_url, *src.base ? src.base : "/"),
        .self_url = arena_printf(r->arena, "%s%s/%s", site_url, src.base, formats[format].file),
        .author = site,
        .language = "en",
        .updated = updated ? updated : now,
        .items = items,
        .n = n,
    };
    struct buf body = BUF_INIT;
    if (format == FEED_RSS) {
        feed_rss(&f, &body);
    } else if (format == FEED_ATOM) {
        feed_atom(&f, &body);
    } else if (feed_json(&f, &body) != 0) {
        fprintf(stderr, "broadsheet: the JSON feed of %s could not be built\n", r->path);
        buf_free(&body);
        return 500;
    }
    buf_append(out, body.data ? body.data : "", body.len);
    buf_free(&body);
    r->render_type = formats[format].type;
    r->render_modified = now;
    return 200;
}

unsigned page_feed_rss(struct req *r, struct buf *out)
{
    return render_feed(r, out, FEED_RSS);
}

unsigned page_feed_atom(struct req *r, struct buf *out)
{
    return render_feed(r, out, FEED_ATOM);
}

unsigned page_feed_json(struct req *r, struct buf *out)
{
    return render_feed(r, out, FEED_JSON);
}

json_t *page_feed_links(json_t *ctx, const char *base)
{
    json_t *page = json_object_get(ctx, "page");
    if (!page)
        return ctx; /* a context that failed already (NULL): render_page answers it with 500 */
    const char *title = json_string_value(json_object_get(page, "title"));
    json_t *links = json_array();
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        struct buf href = BUF_INIT, name = BUF_INIT;
        buf_printf(&href, "%s/%s", base, formats[i].file);
        buf_printf(&name, "%s (%s)", title ? title : "", formats[i].name);
        links = render_append(links, render_pack("{s:s, s:s, s:s}", "type", formats[i].media,
                                                 "title", name.data, "href", href.data));
        buf_free(&href);
        buf_free(&name);
    }
    if (!links) {
        json_decref(ctx);
        return NULL;
    }
    json_object_set_new(page, "feeds", links);
    return ctx;
}
