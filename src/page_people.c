/*
 * page_people.c: what readers see of authors and tags. /authors/SLUG (the author's name, bio,
 * links and published articles) and /tags/SLUG (the tag's published articles), newest first,
 * in pages of PEOPLE_PAGE_COUNT; and the byline and tags of the article page
 * (page_people_article, which page_article.c calls).
 *
 * Paging is by keyset, in the path: /authors/SLUG/before/ID is the page of the articles that
 * come after article ID in the list (the last one of the page before), so every page is a
 * cacheable path of its own (the page cache is keyed by path, never by the query) and the
 * thousandth page costs what the first does. A cursor that is not one of the list's articles
 * (not theirs, not published, not a number) and a page with nothing on it are 404. The pager,
 * with its "newer" link to the true previous page, is page_list.c's.
 *
 * Cache tags: author:ID (tag:ID) for the record shown, list:author:ID (list:tag:ID), which the
 * triggers of migration 012 note when an article gains or loses the author, and list:all: an
 * article already naming the author that is published, edited or taken down notes only its own
 * tags and list:all, not list:author:ID, so these pages follow list:all as the home page does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "html.h"
#include "pages.h"
#include "render.h"

#define PEOPLE_PAGE_COUNT 20

/* What the author's and the tag's pages share: the list of kind ("authors", "tags") for the
 * record with this id and slug, from the cursor in params[1] if any, through page_list.c's
 * pager (articles, empty, the pager's links). Returns 200 or the status to answer. */
static unsigned list_part(struct req *r, json_t **ctx, const char *kind, int64_t id,
                          const char *slug)
{
    struct store_list list = {.kind = kind[0] == 'a' ? STORE_LIST_AUTHOR : STORE_LIST_TAG,
                              .id = id};
    const char *base = arena_printf(r->arena, "/%s/%s", kind, slug);
    return page_list_part(r, ctx, &list, base, r->param_count > 1 ? r->params[1] : NULL,
                          PEOPLE_PAGE_COUNT);
}

/* The author's links as [{url, text}]: text is the URL without its scheme. */
static json_t *links_json(struct arena *a, const char *links)
{
    json_t *list = json_array();
    for (const char *p = links; list && *p;) {
        size_t len = strcspn(p, "\n");
        char *url = arena_strndup(a, p, len);
        const char *text = strstr(url, "://");
        list = render_append(list,
                             render_pack("{s:s, s:s}", "url", url, "text", text ? text + 3 : url));
        p += len;
        if (*p)
            p++;
    }
    return list;
}

unsigned page_author(struct req *r, struct buf *out)
{
    struct author au;
    int rc = store_author_by_slug(r->app->store, r->arena, r->params[0], &au);
    if (rc == STORE_NOT_FOUND)
        return 404;
    if (rc != STORE_OK)
        return 500;
    render_depends(r, "author:%lld", (long long)au.id);
    render_depends(r, "list:author:%lld", (long long)au.id);
    render_depends(r, "list:all");
    /* Not a fixed buffer: a name of 100 characters is up to 400 bytes, and text cut inside a
     * character is not UTF-8, which fails the whole page. */
    const char *description = arena_printf(r->arena, "Articles by %s.", au.name);
    json_t *ctx = render_context(r, "author", au.name, description, r->path, NULL);
    ctx = page_feed_links(ctx, arena_printf(r->arena, "/authors/%s", au.slug)); /* issue 12 */
    unsigned status = list_part(r, &ctx, "authors", au.id, au.slug);
    if (status != 200) {
        json_decref(ctx);
        return status;
    }
    char url[300];
    snprintf(url, sizeof url, "/authors/%s", au.slug);
    ctx = render_set(ctx, "author",
                     render_pack("{s:s, s:s, s:s, s:o, s:b, s:o, s:b}", "name", au.name, "slug",
                                 au.slug, "url", url, "bio", html_trusted(au.bio_html), "has_bio",
                                 *au.bio_html != '\0', "links", links_json(r->arena, au.links),
                                 "has_links", *au.links != '\0'));
    return render_page(r, "author", ctx, out);
}

unsigned page_tag(struct req *r, struct buf *out)
{
    struct tag t;
    int rc = store_tag_by_slug(r->app->store, r->arena, r->params[0], &t);
    if (rc == STORE_NOT_FOUND)
        return 404;
    if (rc != STORE_OK)
        return 500;
    render_depends(r, "tag:%lld", (long long)t.id);
    render_depends(r, "list:tag:%lld", (long long)t.id);
    render_depends(r, "list:all");
    const char *description = arena_printf(r->arena, "Articles about %s.", t.name);
    json_t *ctx = render_context(r, "tag", t.name, description, r->path, NULL);
    ctx = page_feed_links(ctx, arena_printf(r->arena, "/tags/%s", t.slug)); /* issue 12 */
    unsigned status = list_part(r, &ctx, "tags", t.id, t.slug);
    if (status != 200) {
        json_decref(ctx);
        return status;
    }
    char url[300];
    snprintf(url, sizeof url, "/tags/%s", t.slug);
    ctx = render_set(ctx, "tag",
                     render_pack("{s:s, s:s, s:s}", "name", t.name, "slug", t.slug, "url", url));
    return render_page(r, "tag", ctx, out);
}

int page_people_article(struct req *r, int64_t article_id, int any_state, json_t *article,
                        json_t **ld_authors)
{
    struct article_person *authors, *tags;
    size_t n_authors, n_tags;
    *ld_authors = NULL;
    if (store_article_people(r->app->store, r->arena, article_id, any_state, &authors, &n_authors,
                             &tags, &n_tags) != STORE_OK)
        return -1;
    const char *site = r->app->site_url ? r->app->site_url : "";
    json_t *byline = json_array(), *people = json_array(), *tag_list = json_array();
    for (size_t i = 0; i < n_authors; i++) {
        render_depends(r, "author:%lld", (long long)authors[i].id);
        char url[300], absolute[600];
        snprintf(url, sizeof url, "/authors/%s", authors[i].slug);
        snprintf(absolute, sizeof absolute, "%s%s", site, url);
        /* "A", "A and B", "A, B and C": what comes before each name */
        const char *sep = i == 0 ? "" : i + 1 == n_authors ? " and " : ", ";
        byline = render_append(byline, render_pack("{s:s, s:s, s:s}", "name", authors[i].name,
                                                   "url", url, "sep", sep));
        people = render_append(people, render_pack("{s:s, s:s, s:s}", "@type", "Person", "name",
                                                   authors[i].name, "url", absolute));
    }
    for (size_t i = 0; i < n_tags; i++) {
        render_depends(r, "tag:%lld", (long long)tags[i].id);
        char url[300];
        snprintf(url, sizeof url, "/tags/%s", tags[i].slug);
        tag_list =
            render_append(tag_list, render_pack("{s:s, s:s}", "name", tags[i].name, "url", url));
    }
    if (!byline || !people || !tag_list) {
        json_decref(byline);
        json_decref(people);
        json_decref(tag_list);
        return -1;
    }
    json_object_set_new(article, "authors", byline);
    json_object_set_new(article, "has_authors", json_boolean(n_authors > 0));
    json_object_set_new(article, "tags", tag_list);
    json_object_set_new(article, "has_tags", json_boolean(n_tags > 0));
    if (n_authors)
        *ld_authors = people;
    else
        json_decref(people);
    return 0;
}
