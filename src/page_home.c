/*
 * page_home.c: the front page: the newest story as the lead, the next few as "latest", then
 * the newest stories of each section.
 */
#include "app.h"
#include "pages.h"
#include "render.h"

#define LATEST_COUNT 6      /* stories under the lead */
#define PER_SECTION_COUNT 4 /* stories per section block */

unsigned page_home(struct req *r, struct buf *out)
{
    struct store *st = r->app->store;
    json_t *ctx = render_context(r, "home", NULL, NULL, "/", NULL);
    ctx = page_feed_links(ctx, ""); /* the feeds' discovery links (issue 12) */
    struct article *latest;
    size_t n;
    struct article_query q = {.limit = LATEST_COUNT + 1};
    render_depends(r, "list:all"); /* every article's change names it: the section blocks too */
    if (store_articles_latest(st, r->arena, &q, &latest, &n) != STORE_OK)
        goto fail;
    if (n) {
        ctx = render_set(ctx, "lead", render_card(&latest[0]));
        ctx = render_set(ctx, "latest", render_cards(latest + 1, n - 1));
    }
    json_object_set_new(ctx, "empty", json_boolean(n == 0));

    struct section *sections;
    size_t section_count;
    if (store_sections(st, r->arena, &sections, &section_count) != STORE_OK)
        goto fail;
    json_t *blocks = json_array();
    for (size_t i = 0; i < section_count; i++) {
        struct article_query sq = {.section_id = sections[i].id, .limit = PER_SECTION_COUNT};
        struct article *list;
        size_t count;
        if (store_articles_latest(st, r->arena, &sq, &list, &count) != STORE_OK) {
            json_decref(blocks);
            goto fail;
        }
        if (!count)
            continue;
        char url[300];
        snprintf(url, sizeof url, "/sections/%s", sections[i].slug);
        blocks =
            render_append(blocks, render_pack("{s:s, s:s, s:o}", "name", sections[i].name, "url",
                                              url, "articles", render_cards(list, count)));
    }
    ctx = render_set(ctx, "sections", blocks);
    return render_page(r, "home", ctx, out);
fail:
    json_decref(ctx);
    return 500;
}
