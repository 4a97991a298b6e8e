/*
 * page_publication.c: /publications/SLUG, a publication's masthead (who produces it, under
 * contract with whom) and its newest stories, and its older pages /publications/SLUG/before/ID
 * in keyset pages of PUBLICATION_PAGE_COUNT (page_list.c).
 *
 * Cache tags: list:publication:ID (migration 012's triggers note it for every change to one of
 * its articles); the publication's own record is on every page's nav ("nav").
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
    render_depends(r, "list:publication:%lld", (long long)p.id);
    char path[300];
    snprintf(path, sizeof path, "/publications/%s", p.slug);
    struct render_current current = {.publication_slug = p.slug};
    json_t *ctx = render_context(r, "publication", p.name, p.description, r->path, &current);
    ctx = page_feed_links(ctx, path); /* the feeds' discovery links (issue 12) */
    struct store_list list = {.kind = STORE_LIST_PUBLICATION, .id = p.id};
    unsigned status = page_list_part(r, &ctx, &list, path, r->param_count > 1 ? r->params[1] : NULL,
                                     PUBLICATION_PAGE_COUNT);
    if (status != 200) {
        json_decref(ctx);
        return status;
    }
    ctx = render_set(ctx, "publication", render_publication(&p));
    return render_page(r, "publication", ctx, out);
}
