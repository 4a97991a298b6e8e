/*
 * page_newsroom_list.c: the newsroom's list of articles (issue 11, "Articles") at /newsroom,
 * with its filters, sorts, pages and counters (my drafts, waiting for review). The editor is
 * page_newsroom_editor.c's, the changes of state page_newsroom_states.c's.
 *
 * Embargo and kill (issue 13, "Embargo, corrections, kills"): the list says "Embargoed until
 * TIME" of an article scheduled under embargo, and "Killed" with when, by whom and why of one
 * killed (newsroom_article_fates).
 *
 * Every page works with plain forms: the filters are a GET form, and the next page a link that
 * keeps them.
 */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "html.h"
#include "newsroom.h"
#include "pages.h"
#include "reader.h"
#include "render.h"
#include "respond.h"
#include "util.h"

/* The list's sort names, in enum newsroom_sort's order. */
static const char *const sort_names[] = {"updated", "published", "headline"};

enum MHD_Result page_newsroom(struct req *r)
{
    struct store *st = r->app->store;
    const struct user *u = &r->reader->user;
    struct newsroom_query q = {.state = store_article_state_parse(req_query(r, "state")),
                               .section_id = util_parse_id(req_query(r, "section")),
                               .publication_id = util_parse_id(req_query(r, "publication")),
                               .words = req_query(r, "q"),
                               .limit = 25};
    const char *author = req_query(r, "author");
    q.created_by = author && !strcmp(author, "me") ? u->id : util_parse_id(author);
    const char *sort = req_query(r, "sort");
    for (size_t i = 0; sort && i < ARRAY_LEN(sort_names); i++)
        if (!strcmp(sort, sort_names[i]))
            q.sort = (enum newsroom_sort)i;
    const char *after = req_query(r, "after");
    if (after) {
        long long key, id;
        int n = 0;
        if (sscanf(after, "%lld.%lld%n", &key, &id, &n) == 2 && !after[n] && key >= 0 && id > 0) {
            q.after_key = key;
            q.after_id = id;
        }
    }
    /* Any offset past the deepest page stays one (the store refuses it where it pages by
     * offset): a plain cast would wrap 4294967297 round to 1. */
    int64_t offset = util_parse_id(req_query(r, "offset"));
    q.offset = offset > NEWSROOM_OFFSET_MAX ? NEWSROOM_OFFSET_MAX + 1 : (int)offset;
    int64_t per = util_parse_id(req_query(r, "per"));
    if (per > 0 && per <= NEWSROOM_PAGE_MAX)
        q.limit = (int)per;
    if (q.words && strlen(q.words) > 200)
        return respond_error(r, 400);

    struct newsroom_article *rows;
    size_t n;
    int more, keyset;
    int rc = store_newsroom_articles(st, r->arena, &q, &rows, &n, &more, &keyset);
    if (rc == STORE_INVALID)
        return respond_error(r, 400);
    int64_t my_drafts, waiting;
    struct section *sections;
    struct publication *publications;
    size_t nsections, npublications;
    if (rc != STORE_OK || store_newsroom_counts(st, u->id, &my_drafts, &waiting) != STORE_OK ||
        store_sections(st, r->arena, &sections, &nsections) != STORE_OK ||
        store_publications(st, r->arena, &publications, &npublications) != STORE_OK)
        return respond_error(r, 500);

    json_t *ctx = newsroom_context(r, "articles", "Articles");
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct newsroom_article *a = &rows[i];
        list = render_append(
            list, render_prune_empty(render_pack(
                      "{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s}", "id",
                      (json_int_t)a->id, "url",
                      arena_printf(r->arena, "/newsroom/articles/%lld", (long long)a->id),
                      "headline", *a->headline ? a->headline : "(no headline yet)", "state",
                      store_article_state_name(a->state), "section", a->section_name, "publication",
                      a->publication_name, "created_by",
                      *a->created_by_name ? a->created_by_name : "—", "author_url",
                      a->created_by ? arena_printf(r->arena, "/newsroom?author=%lld",
                                                   (long long)a->created_by)
                                    : "",
                      "version", (json_int_t)a->version, "updated",
                      render_when(r->arena, a->updated_at), "updated_by", a->updated_by_name,
                      "published", render_when(r->arena, a->published_at))));
        newsroom_article_fates(r, json_array_get(list, json_array_size(list) - 1), a);
    }
    ctx = render_set(ctx, "articles", list);
    json_object_set_new(ctx, "empty", json_boolean(n == 0));

    /* The filters as chosen, and the links that keep them. */
    const char *words = q.words ? q.words : "";
    list = json_array();
    list = render_append(list, render_pack("{s:s, s:s, s:b}", "value", "", "name", "Any state",
                                           "selected", q.state < 0));
    for (int s = ARTICLE_DRAFT; s <= ARTICLE_UNPUBLISHED; s++)
        list =
            render_append(list, render_pack("{s:s, s:s, s:b}", "value",
                                            store_article_state_name((enum article_state)s), "name",
                                            store_article_state_name((enum article_state)s),
                                            "selected", q.state == s));
    ctx = render_set(ctx, "states", list);
    list = json_array();
    for (size_t i = 0; i < nsections; i++)
        list = render_append(list, render_pack("{s:I, s:s, s:b}", "id", (json_int_t)sections[i].id,
                                               "name", sections[i].name, "selected",
                                               sections[i].id == q.section_id));
    ctx = render_set(ctx, "sections", list);
    list = json_array();
    for (size_t i = 0; i < npublications; i++)
        list =
            render_append(list, render_pack("{s:I, s:s, s:b}", "id", (json_int_t)publications[i].id,
                                            "name", publications[i].name, "selected",
                                            publications[i].id == q.publication_id));
    ctx = render_set(ctx, "publications", list);
    list = json_array();
    for (size_t i = 0; i < ARRAY_LEN(sort_names); i++)
        list = render_append(list, render_pack("{s:s, s:s, s:b}", "value", sort_names[i], "name",
                                               i == 0   ? "Last changed"
                                               : i == 1 ? "Published time"
                                                        : "Headline (A–Z)",
                                               "selected", (size_t)q.sort == i));
    ctx = render_set(ctx, "sorts", list);
    struct buf keep = BUF_INIT; /* the filters as a query, for the next page's link */
    buf_printf(&keep, "sort=%s", sort_names[q.sort]);
    if (per > 0 && per <= NEWSROOM_PAGE_MAX)
        buf_printf(&keep, "&per=%lld", (long long)per);
    if (q.state >= 0)
        buf_printf(&keep, "&state=%s", store_article_state_name((enum article_state)q.state));
    if (q.section_id)
        buf_printf(&keep, "&section=%lld", (long long)q.section_id);
    if (q.publication_id)
        buf_printf(&keep, "&publication=%lld", (long long)q.publication_id);
    if (q.created_by)
        buf_printf(&keep, "&author=%lld", (long long)q.created_by);
    if (*words) {
        buf_puts(&keep, "&q=");
        html_url_arg(&keep, words, strlen(words));
    }
    const char *next = "";
    if (more && n) {
        const struct newsroom_article *last = &rows[n - 1];
        if (keyset)
            next = arena_printf(r->arena, "/newsroom?%s&after=%lld.%lld", keep.data,
                                (long long)(q.sort == NEWSROOM_SORT_PUBLISHED ? last->published_at
                                                                              : last->updated_at),
                                (long long)last->id);
        else if (q.offset + (int)n <= NEWSROOM_OFFSET_MAX)
            next = arena_printf(r->arena, "/newsroom?%s&offset=%d", keep.data, q.offset + (int)n);
    }
    const char *first =
        q.after_id || q.offset ? arena_printf(r->arena, "/newsroom?%s", keep.data) : "";
    buf_free(&keep);
    ctx = render_set(
        ctx, "filters",
        render_prune_empty(render_pack("{s:s, s:b, s:s, s:s, s:b}", "q", words, "mine",
                                       q.created_by == u->id && u->id, "next", next, "first", first,
                                       "capped", more && !keyset && !*next)));
    ctx = render_set(ctx, "counts",
                     render_pack("{s:I, s:I}", "my_drafts", (json_int_t)my_drafts, "waiting",
                                 (json_int_t)waiting));
    json_object_set_new(ctx, "offset_max", json_integer(NEWSROOM_OFFSET_MAX));
    const char *done = newsroom_article_done_message(req_query(r, "done"));
    if (done)
        json_object_set_new(ctx, "notice", json_string(done));
    return newsroom_send(r, 200, "newsroom-articles", ctx);
}
