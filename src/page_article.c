/*
 * page_article.c: /articles/SLUG, one story: headline, dek, byline and date, the body (HTML
 * rendered from Markdown by cmark's safe mode when it was imported), and the syndication
 * footer built from the publication's record. The page also carries schema.org NewsArticle
 * JSON-LD for search engines.
 *
 * The paywall (a later feature) decides here which part of the body a reader receives; the
 * template already has the slot for its prompt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "html.h"
#include "pages.h"
#include "render.h"
#include "util.h"

/* The JSON-LD <script> element for a, as trusted HTML. jansson writes the JSON; every '<' is
 * escaped as \u003c so no value can close the script element early. */
static json_t *json_ld(struct req *r, const struct article *a, const char *canonical)
{
    char published[32], modified[32], display[64];
    render_dates(a->published_at, published, sizeof published, display, sizeof display);
    render_dates(a->updated_at, modified, sizeof modified, display, sizeof display);
    const char *site_name = a->publication.name;
    json_t *ld = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s}, s:{s:s, s:s}}",
        "@context", "https://schema.org", "@type", "NewsArticle", "headline", a->headline,
        "description", a->dek, "datePublished", published, "dateModified", modified,
        "articleSection", a->section.name, "mainEntityOfPage", "@type", "WebPage", "@id",
        canonical, "author", "@type", "Organization", "name", *a->byline ? a->byline : site_name,
        "publisher", "@type", "Organization", "name", site_name);
    char *text = json_dumps(ld, JSON_COMPACT | JSON_ESCAPE_SLASH);
    json_decref(ld);
    struct buf html = BUF_INIT;
    buf_puts(&html, "<script type=\"application/ld+json\">");
    for (const char *p = text; p && *p; p++) {
        if (*p == '<')
            buf_puts(&html, "\\u003c");
        else
            buf_putc(&html, *p);
    }
    buf_puts(&html, "</script>");
    free(text);
    json_t *trusted = html_trusted(html.data);
    buf_free(&html);
    (void)r;
    return trusted;
}

unsigned page_article(struct req *r, struct buf *out)
{
    struct article a;
    int rc = store_article_by_slug(r->app->store, r->arena, r->params[0], &a);
    if (rc == STORE_NOT_FOUND)
        return 404;
    if (rc != STORE_OK)
        return 500;

    char path[300];
    snprintf(path, sizeof path, "/articles/%s", a.slug);
    struct render_current current = {.section_slug = a.section.slug};
    json_t *ctx = render_context(r, "article", a.headline, a.dek, path, &current);

    json_t *article = render_card(&a);
    char updated_iso[32], updated_display[64];
    render_dates(a.updated_at, updated_iso, sizeof updated_iso, updated_display,
                 sizeof updated_display);
    json_object_set_new(article, "updated_iso", json_string(updated_iso));
    json_object_set_new(article, "access", json_string(store_access_name(a.access)));
    /* The body is cmark's output in safe mode: markup Broadsheet produced, so trusted. */
    json_object_set_new(article, "body", html_trusted(a.body_html));
    json_object_set_new(ctx, "article", article);

    const char *canonical = json_string_value(json_object_get(json_object_get(ctx, "page"),
                                                              "canonical"));
    json_object_set_new(ctx, "json_ld", json_ld(r, &a, canonical ? canonical : path));
    return render_page(r, "article", ctx, out);
}
