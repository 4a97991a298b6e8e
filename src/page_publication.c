/*
 * page_publication.c: /publications/SLUG, a publication's masthead (who produces it, under
 * contract with whom) and its newest stories.
 */
#include <stdio.h>

#include "app.h"
#include "pages.h"
#include "render.h"

#define PUBLICATION_PAGE_COUNT 30

unsigned page_publication(struct req *r, struct buf *out)
{
    struct store *st = r->app->store;
    struct publication p;
    int rc = store_publication_by_slug(st, r->arena, r->params[0], &p);
    if (rc == STORE_NOT_FOUND)
        return 404;
    if (rc != STORE_OK)
        return 500;
    struct article *list;
    size_t n;
    struct article_query q = {.publication_id = p.id, .limit = PUBLICATION_PAGE_COUNT};
    render_depends(r, "list:publication:%lld", (long long)p.id);
    if (store_articles_latest(st, r->arena, &q, &list, &n) != STORE_OK)
        return 500;
    char path[300];
    snprintf(path, sizeof path, "/publications/%s", p.slug);
    struct render_current current = {.publication_slug = p.slug};
    json_t *ctx = render_context(r, "publication", p.name, p.description, path, &current);
    ctx = page_feed_links(ctx, path); /* the feeds' discovery links (issue 12) */
    ctx = render_set(ctx, "publication", render_publication(&p));
    ctx = render_set(ctx, "articles", render_cards(list, n));
    json_object_set_new(ctx, "empty", json_boolean(n == 0));
    return render_page(r, "publication", ctx, out);
}
