/*
 * page_section.c: /sections/SLUG, the newest stories filed under one section.
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
    struct article *list;
    size_t n;
    struct article_query q = {.section_id = section.id, .limit = SECTION_PAGE_COUNT};
    render_depends(r, "list:section:%lld", (long long)section.id);
    if (store_articles_latest(st, r->arena, &q, &list, &n) != STORE_OK)
        return 500;
    char path[300], description[400];
    snprintf(path, sizeof path, "/sections/%s", section.slug);
    snprintf(description, sizeof description, "The latest %s news.", section.name);
    struct render_current current = {.section_slug = section.slug};
    json_t *ctx = render_context(r, "section", section.name, description, path, &current);
    ctx = page_feed_links(ctx, path); /* the feeds' discovery links (issue 12) */
    ctx = render_set(
        ctx, "section",
        render_pack("{s:s, s:s, s:s}", "name", section.name, "slug", section.slug, "url", path));
    ctx = render_set(ctx, "articles", render_cards(list, n));
    json_object_set_new(ctx, "empty", json_boolean(n == 0));
    return render_page(r, "section", ctx, out);
}
