/*
 * page_article.c: /articles/SLUG, one story: headline, dek, byline and date, the body, and the
 * syndication footer built from the publication's record, with schema.org NewsArticle JSON-LD.
 *
 * The paywall is decided here, per request, before the page: the article's id and access level
 * come from the cache's metadata (no query once cached), paywall_decide says full or preview,
 * and the page is sent from one of two cached variants, "full" and "preview". The preview
 * variant is rendered from the first preview_paragraphs blocks of the Markdown alone: the
 * withheld part is never rendered into it, so it cannot leak through any cache, copy or
 * channel. Both variants of a paywalled article carry Google's paywall markup
 * (isAccessibleForFree false, hasPart with cssSelector ".paywalled").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "html.h"
#include "markdown.h"
#include "most_read.h"
#include "pages.h"
#include "paywall.h"
#include "render.h"
#include "respond.h"
#include "util.h"

/* The JSON-LD <script> element for a, as trusted HTML. jansson writes the JSON; every '<' is
 * escaped as \u003c so no value can close the script element early. people (consumed), when
 * not NULL, is the author: its Person objects (page_people_article). NULL when it could not be
 * built (logged). */
static json_t *json_ld(const struct article *a, const char *canonical, int64_t modified_at,
                       const struct correction *corrections, size_t ncorrections, json_t *people)
{
    char published[32], modified[32], display[64];
    render_dates(a->published_at, published, sizeof published, display, sizeof display);
    render_dates(modified_at ? modified_at : a->published_at, modified, sizeof modified, display,
                 sizeof display);
    const char *site_name = a->publication.name;
    json_t *ld = render_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s}, s:{s:s, s:s}, s:b}",
        "@context", "https://schema.org", "@type", "NewsArticle", "headline", a->headline,
        "description", a->dek, "datePublished", published, "dateModified", modified,
        "articleSection", a->section.name, "mainEntityOfPage", "@type", "WebPage", "@id", canonical,
        "author", "@type", "Organization", "name", *a->byline ? a->byline : site_name, "publisher",
        "@type", "Organization", "name", site_name, "isAccessibleForFree",
        a->access == ACCESS_FREE);
    if (people)
        ld = render_set(ld, "author", people);
    if (a->access != ACCESS_FREE)
        ld = render_set(ld, "hasPart",
                        render_pack("{s:s, s:b, s:s}", "@type", "WebPageElement",
                                    "isAccessibleForFree", 0, "cssSelector", ".paywalled"));
    if (ncorrections) {
        json_t *list = json_array();
        for (size_t i = 0; i < ncorrections; i++) {
            char iso[32];
            render_dates(corrections[i].created_at, iso, sizeof iso, display, sizeof display);
            list =
                render_append(list, render_pack("{s:s, s:s, s:s}", "@type", "CorrectionComment",
                                                "text", corrections[i].body, "datePublished", iso));
        }
        ld = render_set(ld, "correction", list);
    }
    char *text = ld ? json_dumps(ld, JSON_COMPACT | JSON_ESCAPE_SLASH) : NULL;
    json_decref(ld);
    if (!text)
        return NULL;
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
    return trusted;
}

/* The article's corrections ("Correction, June 14, 2014: …") and its update into article and
 * *modified_at (0 when it was not updated after publication: store_article_modified_at), as
 * readers see them: none unless it is published. -1 when the store failed. */
static int corrections_and_update(struct req *r, const struct article *a, json_t *article,
                                  struct correction **list, size_t *n, int64_t *modified_at)
{
    struct store *st = r->app->store;
    if (store_corrections(st, r->arena, a->id, 1, list, n) != STORE_OK ||
        store_article_modified_at(st, a->id, modified_at) != STORE_OK)
        return -1;
    json_t *shown = json_array();
    for (size_t i = 0; i < *n; i++) {
        char iso[32], display[64];
        render_dates((*list)[i].created_at, iso, sizeof iso, display, sizeof display);
        shown = render_append(shown, render_pack("{s:s, s:s, s:s}", "iso", iso, "display", display,
                                                 "text", (*list)[i].body));
        if ((*list)[i].created_at > *modified_at)
            *modified_at = (*list)[i].created_at;
    }
    if (!shown)
        return -1;
    json_object_set_new(article, "has_corrections", json_boolean(*n > 0));
    json_object_set_new(article, "corrections", shown);
    if (*modified_at) {
        char iso[32], display[64], when[80];
        render_dates(*modified_at, iso, sizeof iso, display, sizeof display);
        render_time(*modified_at, when, sizeof when);
        json_object_set_new(article, "modified_iso", json_string(iso));
        json_object_set_new(article, "modified_display", json_string(when));
    }
    return 0;
}

/* Renders the article's page in the variant r->preview asks for. */
static unsigned render_article(struct req *r, struct buf *out)
{
    struct article a;
    int rc = store_article_by_slug(r->app->store, r->arena, r->params[0], &a);
    if (rc == STORE_NOT_FOUND)
        return 404;
    if (rc != STORE_OK)
        return 500;
    render_depends(r, "article:%lld", (long long)a.id);
    return page_article_render(r, &a, NULL, out);
}

unsigned page_article_render(struct req *r, const struct article *art, const char *banner,
                             struct buf *out)
{
    const struct article a = *art;
    char path[300];
    snprintf(path, sizeof path, "/articles/%s", a.slug);
    struct render_current current = {.section_slug = a.section.slug};
    json_t *ctx = render_context(r, "article", a.headline, a.dek, path, &current);

    json_t *article = render_card(&a);
    struct correction *corrections = NULL;
    size_t ncorrections = 0;
    int64_t modified_at = 0;
    json_t *people = NULL; /* the byline and tags from the article's authors and tags */
    if (!article ||
        corrections_and_update(r, &a, article, &corrections, &ncorrections, &modified_at) != 0 ||
        page_people_article(r, a.id, banner != NULL, article, &people) != 0) {
        json_decref(article);
        json_decref(ctx);
        return 500;
    }
    if (banner) {
        json_object_set_new(ctx, "preview_banner", json_string(banner));
        /* A staff preview shows no ads: an interstitial would cover the article, and a view
         * by the newsroom is no impression to count for an advertiser. */
        json_object_set_new(json_object_get(ctx, "ads"), "enabled", json_false());
    }
    json_object_set_new(article, "access", json_string(store_access_name(a.access)));
    int paywalled = a.access != ACCESS_FREE;
    json_object_set_new(article, "paywalled", json_boolean(paywalled));
    /* Bodies are cmark's output in safe mode: markup Broadsheet produced, so trusted. */
    if (!paywalled) {
        json_object_set_new(article, "body", html_trusted(a.body_html));
    } else {
        char *head, *tail;
        markdown_split_html(a.body_markdown, strlen(a.body_markdown),
                            r->app->config->preview_paragraphs, &head, &tail);
        json_object_set_new(article, "body_preview", html_trusted(head));
        /* The withheld part exists only in the full variant. */
        json_object_set_new(article, "body_rest", html_trusted(r->preview ? "" : tail));
        free(head);
        free(tail);
    }
    ctx = render_set(ctx, "article", article);
    json_object_set_new(ctx, "paywall", json_boolean(paywalled && r->preview));
    json_object_set_new(ctx, "paywall_subscribers_only",
                        json_boolean(a.access == ACCESS_SUBSCRIBERS));
    json_object_set_new(ctx, "offers_url", json_string("/offers"));
    char login[400];
    snprintf(login, sizeof login, "/login?next=%s", path);
    json_object_set_new(ctx, "login_url", json_string(login));

    const char *canonical =
        json_string_value(json_object_get(json_object_get(ctx, "page"), "canonical"));
    ctx = render_set(
        ctx, "json_ld",
        json_ld(&a, canonical ? canonical : path, modified_at, corrections, ncorrections, people));
    return render_page(r, "article", ctx, out);
}

enum MHD_Result page_article(struct req *r)
{
    struct page_cache *facts = r->app->facts;
    char key[600];
    snprintf(key, sizeof key, "%s", r->path);
    int64_t meta[2]; /* id, access level */
    if (!cache_get_facts(facts, key, meta)) {
        uint64_t epoch = cache_epoch(facts);
        enum access_level level;
        int rc = store_article_meta(r->app->store, r->params[0], &meta[0], &level);
        if (rc == STORE_NOT_FOUND)
            return respond_not_found(r); /* an old slug answers 301: only this branch looks */
        if (rc != STORE_OK)
            return respond_error(r, 500);
        meta[1] = level;
        char tag[32];
        snprintf(tag, sizeof tag, "article:%lld", (long long)meta[0]);
        cache_put_facts(facts, key, meta, tag, epoch);
    }
    /* Who the reader is, or what they may read, could not be read from a database that is
     * unavailable: 503 rather than a paywall's answer for someone else (a subscriber shown the
     * preview, or a read counted in the anonymous meter's cookie). An anonymous reader's meter
     * is in a cookie and needs no database. Sent as 503 by respond_error. */
    struct store *st = r->app->store;
    if (r->reader_unknown && meta[1] != ACCESS_FREE && store_unavailable(st))
        return respond_error(r, 500);
    struct access_decision d = paywall_decide(r, meta[0], (enum access_level)meta[1]);
    if (r->note && r->note->unavailable && store_unavailable(st))
        return respond_error(r, 500); /* nothing was recorded (paywall_decide) */
    r->preview = d.outcome == ACCESS_PREVIEW;
    snprintf(key, sizeof key, "%s\x1f%s", r->path, r->preview ? "preview" : "full");
    enum MHD_Result result = respond_cached(r, key, render_article);
    /* Most read (issue 12): a view of a page served (a 304 is one the reader already had);
     * counted after the answer, so a failed render counts nothing. HEAD reads no page. */
    if (r->method == METHOD_GET && (r->status == MHD_HTTP_OK || r->status == MHD_HTTP_NOT_MODIFIED))
        most_read_count(r->app->most_read, meta[0]);
    return result;
}
