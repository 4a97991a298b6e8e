/*
 * page_section.c: /sections/SLUG, the newest stories filed under one section, and its older
 * pages /sections/SLUG/before/ID in keyset pages of SECTION_PAGE_COUNT (page_list.c).
 *
 * Cache tags: list:section:ID, which every article of the section that is published, edited,
 * moved or taken down notes (migration 012's triggers): each page, and the true previous page
 * each links to, depends on that list alone.
 */
#include <stdio.h>

#include "app.h"
#include "pages.h"
#include "render.h"

#define SECTION_PAGE_COUNT 30

unsigned page_section(struct req *r, struct buf *out)
{
    struct store *st = r->app->store;
    struct section section;
    int rc = store_section_by_slug(st, r->arena, r->params[0], &section);
    if (rc == STORE_NOT_FOUND)
        return 404;
    if (rc != STORE_OK)
        return 500;
    render_depends(r, "list:section:%lld", (long long)section.id);
    char path[300], description[400];
    snprintf(path, sizeof path, "/sections/%s", section.slug);
    snprintf(description, sizeof description, "The latest %s news.", section.name);
    struct render_current current = {.section_slug = section.slug};
    json_t *ctx = render_context(r, "section", section.name, description, r->path, &current);
    ctx = page_feed_links(ctx, path); /* the feeds' discovery links (issue 12) */
    struct store_list list = {.kind = STORE_LIST_SECTION, .id = section.id};
    unsigned status = page_list_part(r, &ctx, &list, path, r->param_count > 1 ? r->params[1] : NULL,
                                     SECTION_PAGE_COUNT);
    if (status != 200) {
        json_decref(ctx);
        return status;
    }
    ctx = render_set(
        ctx, "section",
        render_pack("{s:s, s:s, s:s}", "name", section.name, "slug", section.slug, "url", path));
    return render_page(r, "section", ctx, out);
}
