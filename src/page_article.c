/*
 * page_article.c: /articles/SLUG, one story: headline, dek, byline and date, the body, and the
 * syndication footer built from the publication's record; in its head, the share metadata
 * (OpenGraph, Twitter card, canonical link, NewsArticle and BreadcrumbList JSON-LD: issue 12).
 *
 * The paywall is decided here, per request, before the page: the article's id and access level
 * come from the cache's metadata (no query once cached), paywall_decide says full or preview,
 * and the page is sent from one of two cached variants, "full" and "preview". The preview
 * variant is rendered from the first preview_paragraphs blocks of the Markdown alone: the
 * withheld part is never rendered into it, so it cannot leak through any cache, copy or
 * channel. Both variants of a paywalled article carry Google's paywall markup
 * (isAccessibleForFree false, hasPart with cssSelector ".paywalled").
 *
 * A killed article (issue 13: withdrawn for good) answers 410 Gone with a short notice in the
 * site's layout and nothing of its content; an embargoed one is scheduled, so 404 like any
 * article that is not published.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "assets.h"
#include "html.h"
#include "markdown.h"
#include "most_read.h"
#include "pages.h"
#include "paywall.h"
#include "render.h"
#include "respond.h"
#include "share.h"
#include "util.h"

/* ---- Share metadata (issue 12): the head's OpenGraph and Twitter tags, the canonical link and
 * the JSON-LD (docs/architecture.md, "Share metadata"; docs/theme.md, "share"). Everything here
 * is the same for every reader and in both variants: the description is the newsroom's SEO
 * description or the dek, and the picture is the first one of the part of the body that the
 * preview variant shows too, so no withheld word or picture is ever named in the head. ---- */

#define SITE_LANGUAGE "en" /* the theme's <html lang> (header.mustache): JSON-LD's inLanguage */

/* What the share metadata says besides the article's own fields. */
struct share_facts {
    const char *url;         /* the page's own absolute URL: og:url, mainEntityOfPage, url */
    const char *original;    /* where a carried article was first published, or "" */
    const char *description; /* the page's description (page.description) */
    const char *image;       /* the first picture the page shows, absolute; NULL for none */
    const char *site_name;   /* the publisher: the host publication's name, else site_name */
    const char *site_url;    /* the configured base URL, without a trailing slash */
    const char *logo;        /* the theme's static/logo.png, absolute; NULL when it has none */
    char published[32], modified[32]; /* ISO 8601 */
};

/* The NewsArticle and BreadcrumbList of a, as a JSON array of the two (NULL when it could not
 * be built: logged). people (consumed), when not NULL, is the authors' Person objects
 * (page_people_article). Never the body: a paywalled article's JSON-LD names only what its
 * preview shows, and says which part is withheld (Google's paywalled-content markup: the
 * elements of class "paywalled", the withheld part in the full variant and the prompt in the
 * preview). */
static json_t *json_ld(struct req *r, const struct article *a, const struct share_facts *f,
                       const struct correction *corrections, size_t ncorrections, json_t *people)
{
    const char *site = f->site_url;
    json_t *publisher = render_pack("{s:s, s:s, s:s}", "@type", "Organization", "name",
                                    f->site_name, "url", arena_printf(r->arena, "%s/", site));
    if (f->logo)
        publisher = render_set(publisher, "logo",
                               render_pack("{s:s, s:s}", "@type", "ImageObject", "url", f->logo));
    /* Authors with pages are Persons; an article without them (wire copy, "Global Security
     * Newswire Staff") is credited by its byline's text as an Organization, as it was before
     * authors existed (README "Authors and tags"). */
    json_t *author = people;
    if (!author && *a->byline)
        author = render_pack("{s:s, s:s}", "@type", "Organization", "name", a->byline);
    else if (!author)
        author = render_pack("{s:s, s:s}", "@type", "Organization", "name", a->publication.name);
    const char *section_url = arena_printf(r->arena, "%s/sections/%s", site, a->section.slug);
    json_t *ld = render_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:o, s:o, s:b}", "@context",
        "https://schema.org", "@type", "NewsArticle", "headline", a->headline, "description",
        f->description, "url", f->url, "datePublished", f->published, "dateModified", f->modified,
        "articleSection", a->section.name, "inLanguage", SITE_LANGUAGE, "mainEntityOfPage", "@type",
        "WebPage", "@id", f->url, "author", author, "publisher", publisher, "isAccessibleForFree",
        a->access == ACCESS_FREE);
    ld = render_set(
        ld, "isPartOf",
        render_pack("{s:s, s:s, s:s}", "@type", "Periodical", "name", a->publication.name, "url",
                    arena_printf(r->arena, "%s/publications/%s", site, a->publication.slug)));
    if (f->image)
        ld = render_set(ld, "image", render_pack("[s]", f->image));
    if (*f->original)
        ld = render_set(ld, "isBasedOn", json_string(f->original));
    if (a->access != ACCESS_FREE)
        ld = render_set(ld, "hasPart",
                        render_pack("{s:s, s:b, s:s}", "@type", "WebPageElement",
                                    "isAccessibleForFree", 0, "cssSelector", ".paywalled"));
    if (ncorrections) {
        json_t *list = json_array();
        for (size_t i = 0; i < ncorrections; i++) {
            char iso[32], display[64];
            render_dates(corrections[i].created_at, iso, sizeof iso, display, sizeof display);
            list =
                render_append(list, render_pack("{s:s, s:s, s:s}", "@type", "CorrectionComment",
                                                "text", corrections[i].body, "datePublished", iso));
        }
        ld = render_set(ld, "correction", list);
    }
    /* Home › Section › Article */
    json_t *crumbs = render_pack(
        "{s:s, s:s, s:[{s:s, s:i, s:s, s:s}, {s:s, s:i, s:s, s:s}, {s:s, s:i, s:s, s:s}]}",
        "@context", "https://schema.org", "@type", "BreadcrumbList", "itemListElement", "@type",
        "ListItem", "position", 1, "name", f->site_name, "item",
        arena_printf(r->arena, "%s/", site), "@type", "ListItem", "position", 2, "name",
        a->section.name, "item", section_url, "@type", "ListItem", "position", 3, "name",
        a->headline, "item", f->url);
    return render_append(render_append(json_array(), ld), crumbs);
}

/* The share object of the page's context (docs/theme.md): OpenGraph's article fields and the
 * Twitter card's. author_urls is the authors' page URLs (from people, which stays the
 * caller's). NULL when it could not be built (logged). */
static json_t *share_context(const struct article *a, const struct share_facts *f,
                             const json_t *people)
{
    json_t *authors = json_array();
    size_t i;
    json_t *person;
    json_array_foreach(people, i, person)
    {
        const char *url = json_string_value(json_object_get(person, "url"));
        if (url)
            authors = render_append(authors, json_string(url));
    }
    json_t *share = render_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s}", "title", a->headline, "url",
                                f->url, "published", f->published, "modified", f->modified,
                                "section", a->section.name, "authors", authors, "twitter_card",
                                f->image ? "summary_large_image" : "summary");
    if (f->image)
        share = render_set(share, "image", json_string(f->image));
    return share;
}

/* ---- end of share metadata ---- */

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

/* What a slug no reader's article has answers: 410 Gone when it names a killed article (issue
 * 13: withdrawn for good; respond_error's page says so and nothing of the article, and it is
 * shared by every killed article, so it is cached once as any error page), else 404 (which may
 * still be an old slug's redirect: respond_not_found), or 500 when the store failed. Never
 * cached under the path: a kill reaches every node's readers with the change log's tick (the
 * kill drops the article's page and facts, article:ID), and this is read again each time. */
static unsigned gone(struct req *r)
{
    int killed = store_article_killed(r->app->store, r->params[0]);
    return killed == 1 ? 410 : killed == 0 ? 404 : 500;
}

/* Renders the article's page in the variant r->preview asks for. */
static unsigned render_article(struct req *r, struct buf *out)
{
    struct article a;
    int rc = store_article_by_slug(r->app->store, r->arena, r->params[0], &a);
    if (rc == STORE_NOT_FOUND) /* killed since its facts were cached: 410 (see gone) */
        return gone(r);
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
    /* Share metadata: a staff preview (banner) is of an article as it may not be stored, and
     * is no reader's page: it reads nothing more. */
    struct article_share stored = {.seo_description = "", .original_url = ""};
    int share_rc =
        banner ? STORE_NOT_FOUND : store_article_share(r->app->store, r->arena, a.id, &stored);
    if (share_rc == STORE_ERROR)
        return 500;
    const char *description = *stored.seo_description ? stored.seo_description
                              : *a.dek                ? a.dek
                                                      : NULL; /* the site's */
    struct render_current current = {.section_slug = a.section.slug};
    json_t *ctx = render_context(r, "article", a.headline, description, path, &current);

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
    const char *image = NULL; /* the first picture of what both variants show (share.h) */
    if (!paywalled) {
        json_object_set_new(article, "body", html_trusted(a.body_html));
        image = share_first_image(r->arena, a.body_html);
    } else {
        char *head, *tail;
        markdown_split_html(a.body_markdown, strlen(a.body_markdown),
                            r->app->config->preview_paragraphs, &head, &tail);
        json_object_set_new(article, "body_preview", html_trusted(head));
        image = share_first_image(r->arena, head);
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

    /* Share metadata (see above): the facts, the canonical link, the share object, JSON-LD. */
    struct share_facts facts = {.original = "",
                                .site_url = r->app->site_url ? r->app->site_url : ""};
    json_t *page = json_object_get(ctx, "page");
    facts.url = arena_printf(r->arena, "%s%s", facts.site_url, path);
    if (share_url_is_absolute(stored.original_url)) {
        facts.original = stored.original_url;
        /* Google's guidance: a page carried from another publisher names the original as its
         * canonical. og:url stays this page's (a share links to where it was shared from). */
        json_object_set_new(page, "canonical", json_string(facts.original));
    }
    const char *page_description = json_string_value(json_object_get(page, "description"));
    facts.description = page_description ? page_description : "";
    facts.image = share_absolute(r->arena, facts.site_url, image);
    const char *site_name =
        json_string_value(json_object_get(json_object_get(ctx, "site"), "name"));
    facts.site_name = site_name ? site_name : r->app->config->site_name;
    facts.logo = share_absolute(r->arena, facts.site_url, assets_url(r->app->assets, "logo.png"));
    char display[64];
    render_dates(a.published_at, facts.published, sizeof facts.published, display, sizeof display);
    render_dates(modified_at ? modified_at : a.published_at, facts.modified, sizeof facts.modified,
                 display, sizeof display);
    ctx = render_set(ctx, "share", share_context(&a, &facts, people));
    ctx = render_set(ctx, "json_ld",
                     share_ld_script(json_ld(r, &a, &facts, corrections, ncorrections, people)));
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
        if (rc == STORE_NOT_FOUND) {
            unsigned status = gone(r); /* a killed article: 410 */
            if (status == 404)
                return respond_not_found(r); /* an old slug answers 301: only this branch looks */
            return respond_error(r, status);
        }
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
