/*
 * newsroom.c: the newsroom's shared page context and response, and what its article pages
 * share (newsroom.h).
 */
#include <string.h>

#include "app.h"
#include "assets.h"
#include "newsroom.h"
#include "reader.h"
#include "render.h"
#include "respond.h"
#include "store.h"
#include "util.h"

static const struct {
    const char *key, *name, *url;
    enum role need;
} areas[] = {
    {"articles", "Articles", "/newsroom", ROLE_WRITER},
    {"authors", "Authors", "/newsroom/authors", ROLE_EDITOR},
    {"tags", "Tags", "/newsroom/tags", ROLE_EDITOR},
    {"sections", "Sections", "/newsroom/sections", ROLE_EDITOR},
    {"publications", "Publications", "/newsroom/publications", ROLE_ADMIN},
    {"staff", "Staff", "/newsroom/staff", ROLE_ADMIN},
    {"audit", "Audit log", "/newsroom/audit", ROLE_ADMIN},
};

json_t *newsroom_context(struct req *r, const char *area, const char *title)
{
    json_t *ctx = render_context(r, "newsroom", title, "", NULL, NULL);
    const struct user *u = r->reader ? &r->reader->user : NULL;
    enum role role = u ? u->role : ROLE_READER;
    json_t *nav = json_array();
    for (size_t i = 0; i < sizeof areas / sizeof areas[0]; i++)
        if (role >= areas[i].need)
            nav = render_append(nav, render_pack("{s:s, s:s, s:b}", "name", areas[i].name, "url",
                                                 areas[i].url, "current",
                                                 area && !strcmp(area, areas[i].key)));
    ctx = render_set(ctx, "newsroom_nav", nav);
    ctx = render_set(ctx, "staff",
                     render_pack("{s:s, s:s, s:s, s:b, s:b}", "name",
                                 u && *u->display_name ? u->display_name
                                 : u                   ? u->email
                                                       : "",
                                 "email", u ? u->email : "", "role", store_role_name(role),
                                 "is_editor", role >= ROLE_EDITOR, "is_admin", role >= ROLE_ADMIN));
    /* The newsroom's own style and script (static/newsroom.css, newsroom.js), which only its
     * pages load. */
    json_t *assets = ctx ? json_object_get(ctx, "assets") : NULL;
    if (assets) {
        const char *css = assets_url(r->app->assets, "newsroom.css");
        const char *js = assets_url(r->app->assets, "newsroom.js");
        json_object_set_new(assets, "newsroom_css", json_string(css ? css : ""));
        json_object_set_new(assets, "newsroom_js", json_string(js ? js : ""));
    }
    if (ctx && r->reader)
        json_object_set_new(ctx, "csrf", json_string(reader_csrf_token(r)));
    return ctx;
}

enum MHD_Result newsroom_send(struct req *r, unsigned status, const char *name, json_t *ctx)
{
    struct buf out = BUF_INIT;
    unsigned rendered = render_page(r, name, ctx, &out);
    if (rendered != 200) {
        buf_free(&out);
        return respond_error(r, rendered);
    }
    respond_header(r, "X-Robots-Tag", "noindex");
    struct respond_options o = {.cache_control = "private, no-store"};
    enum MHD_Result ret = respond_buffer(r, status, &o, out.data ? out.data : "", out.len);
    buf_free(&out);
    return ret;
}

int newsroom_load_article(struct req *r, struct newsroom_article *art)
{
    int64_t id = util_parse_id(r->params[0]);
    if (!id)
        return STORE_NOT_FOUND;
    return store_newsroom_article(r->app->store, r->arena, id, art);
}

enum MHD_Result newsroom_store_failed(struct req *r, int rc)
{
    return respond_error(r, rc == STORE_NOT_FOUND ? 404 : 500);
}

const char *newsroom_article_done_message(const char *code)
{
    static const struct {
        const char *code, *message;
    } messages[] = {
        {"created", "The draft has been created."},
        {"saved", "Saved."},
        {"submitted", "Submitted for review."},
        {"published", "Published: it is on the site now."},
        {"scheduled", "Scheduled."},
        {"unpublished", "Unpublished: readers no longer see it."},
        {"draft", "Moved back to draft."},
        {"discarded", "Your unsaved changes have been discarded."},
        {"deleted", "The article has been deleted."},
        {"embargoed", "Embargoed: partners have it now, not for use before the time set; readers "
                      "see it when it is published then."},
        {"killed", "Killed: its page answers 410 Gone, it has left every listing, and partners "
                   "have been told to take it down."},
    };
    for (size_t i = 0; code && i < ARRAY_LEN(messages); i++)
        if (!strcmp(code, messages[i].code))
            return messages[i].message;
    return NULL;
}

void newsroom_article_fates(struct req *r, json_t *obj, const struct newsroom_article *art)
{
    if (!obj)
        return;
    if (art->killed_at > 0) {
        json_object_set_new(obj, "killed",
                            render_prune_empty(render_pack(
                                "{s:s, s:s, s:s}", "when", render_when(r->arena, art->killed_at),
                                "by", art->updated_by_name, "why", art->kill_note)));
    } else if (art->state == ARTICLE_SCHEDULED && art->embargoed) {
        json_object_set_new(obj, "embargoed_until",
                            json_string(render_when(r->arena, art->published_at)));
    }
}
