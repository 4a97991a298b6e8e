/*
 * page_list.c: the keyset pager every reader's list shares (sections, publications, authors,
 * tags, the archive's months): one page of a store_list from the cursor in the page's address
 * (BASE/before/ID), and its links to the pages around it, both visible (pager.mustache:
 * "Newer articles", "Older articles") and in the head (<link rel="prev"> and rel="next").
 *
 * Paging is by keyset, in the path: BASE/before/ID is the page of the articles that come after
 * article ID (the last one of the page before), so every page is a cacheable path of its own
 * (the page cache is keyed by path, never by the query string) and the thousandth page costs
 * what the first does. A cursor that is not one of the list's published articles (another
 * list's, a draft, not a number) and a page with nothing on it are 404.
 *
 * "Newer" is the true previous page, the one whose last article is this page's cursor: the
 * page after the count-th article newer than the cursor, found by one small indexed search
 * (store_list_newer); when fewer are newer, the previous page is the list's first. So paging
 * back from any page retraces the pages paged forward, article for article.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "pages.h"
#include "render.h"
#include "util.h"

/* Sets the head's link rel (page.prev, page.next) to the site's URL + path. */
static json_t *set_head_link(struct req *r, json_t *ctx, const char *rel, const char *path)
{
    json_t *page = ctx ? json_object_get(ctx, "page") : NULL;
    if (!page)
        return ctx;
    const char *site = r->app->site_url ? r->app->site_url : "";
    if (json_object_set_new(page, rel, json_string(arena_printf(r->arena, "%s%s", site, path))))
        return render_set(ctx, "page", NULL); /* not UTF-8 (cannot be: a slug): fail the page */
    return ctx;
}

unsigned page_list_part(struct req *r, json_t **ctx, const struct store_list *list,
                        const char *base, const char *cursor_text, int count)
{
    struct store *st = r->app->store;
    struct article_cursor cursor, *after = NULL;
    if (cursor_text) {
        int64_t article_id = util_parse_path_id(cursor_text);
        if (!article_id)
            return 404;
        int rc = store_list_cursor(st, list, article_id, &cursor);
        if (rc == STORE_NOT_FOUND)
            return 404;
        if (rc != STORE_OK)
            return 500;
        after = &cursor;
    }
    struct article *items;
    size_t n;
    int more;
    if (store_list_page(st, r->arena, list, after, count, &items, &n, &more) != STORE_OK)
        return 500;
    if (after && n == 0)
        return 404; /* past the end */
    /* BASE/before/ID, or BASEbefore/ID for a base that ends in a slash (/archive/2024/03/) */
    const char *before = arena_printf(r->arena, "%s%sbefore/", base,
                                      base[0] && base[strlen(base) - 1] == '/' ? "" : "/");
    const char *newer_url = NULL, *older_url = NULL;
    int newer_is_newest = 1;
    if (after) {
        int64_t newer_id;
        if (store_list_newer(st, list, after, count, &newer_id) != STORE_OK)
            return 500;
        newer_is_newest = newer_id == 0;
        newer_url =
            newer_is_newest ? base : arena_printf(r->arena, "%s%lld", before, (long long)newer_id);
    }
    if (more)
        older_url = arena_printf(r->arena, "%s%lld", before, (long long)items[n - 1].id);

    json_t *c = render_set(*ctx, "articles", render_cards(items, n));
    c = render_set(c, "empty", json_boolean(n == 0));
    c = render_set(c, "paged", json_boolean(after != NULL || more));
    c = render_set(c, "has_newer", json_boolean(after != NULL));
    c = render_set(c, "has_older", json_boolean(more));
    /* "Newest articles" too, when the newer page is not the first */
    c = render_set(c, "show_newest", json_boolean(after != NULL && !newer_is_newest));
    c = render_set(c, "newest_url", json_string(base));
    if (newer_url) {
        c = render_set(c, "newer_url", json_string(newer_url));
        c = set_head_link(r, c, "prev", newer_url);
    }
    if (older_url) {
        c = render_set(c, "older_url", json_string(older_url));
        c = set_head_link(r, c, "next", older_url);
    }
    *ctx = c;
    return c ? 200 : 500;
}
