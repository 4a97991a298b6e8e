/*
 * page_newsroom_audit.c: the audit log (/newsroom/audit), for admins only (NEED_ADMIN): every
 * editorial and staff action, newest first, with who, what, when, on which article (a link to
 * it in the newsroom), on what else, and the detail. Filters: ?article=ID and ?action=PREFIX
 * ("staff." or "section.delete"). Paged by id (?before=ID, the last entry of the page before):
 * keyset paging, so an old page costs what the first does and entries written meanwhile shift
 * nothing.
 */
#include <string.h>
#include <time.h>

#include "account.h"
#include "app.h"
#include "newsroom.h"
#include "pages.h"
#include "render.h"
#include "respond.h"
#include "util.h"

#define AUDIT_PAGE_SIZE 50
#define ACTION_PREFIX_MAX 64

/* A query parameter as a positive number (0 when absent); -1 when present but not one. */
static int64_t query_id(struct req *r, const char *name)
{
    const char *text = req_query(r, name);
    if (!text || !*text)
        return 0;
    int64_t id = util_parse_id(text);
    return id ? id : -1;
}

/* 1 if prefix can be an action's beginning: lowercase letters, '.', '_' and '-'. */
static int prefix_valid(const char *prefix)
{
    if (strlen(prefix) > ACTION_PREFIX_MAX)
        return 0;
    for (const char *p = prefix; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || *p == '.' || *p == '_' || *p == '-'))
            return 0;
    return 1;
}

/* "2014-06-13 14:30:05 UTC" */
static const char *when(struct req *r, int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    char out[32];
    gmtime_r(&tt, &tm);
    strftime(out, sizeof out, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return arena_strdup(r->arena, out);
}

enum MHD_Result page_newsroom_audit(struct req *r)
{
    int64_t article = query_id(r, "article"), before = query_id(r, "before");
    const char *prefix = req_query(r, "action");
    prefix = prefix ? account_trim(r, prefix) : "";
    json_t *ctx;
    if (article < 0 || before < 0 || !prefix_valid(prefix)) {
        ctx = newsroom_context(r, "audit", "Audit log");
        ctx = render_set(ctx, "entries", json_array());
        ctx = render_set(ctx, "filter", render_pack("{s:s, s:s}", "article", "", "action", ""));
        ctx = render_set(ctx, "error",
                         render_pack("{s:b, s:s}", "show", 1, "message",
                                     "Filter by an article's number and an action's beginning "
                                     "(letters, dots, hyphens), like staff. or article.publish."));
        return newsroom_send(r, 400, "newsroom-audit", ctx);
    }
    struct audit_row *rows = NULL;
    size_t n = 0;
    int more = 0;
    if (store_audit_page(r->app->store, r->arena, before, article, prefix, AUDIT_PAGE_SIZE, &rows,
                         &n, &more) != STORE_OK)
        return respond_error(r, 500);
    ctx = newsroom_context(r, "audit", "Audit log");
    json_t *entries = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct audit_row *e = &rows[i];
        /* A deleted article has no headline (""): null, so that the template's {{^headline}}
         * names it "#ID (deleted)" (an empty string would be truthy, tmpl.c, and leave an empty
         * link). */
        entries = render_append(
            entries,
            render_pack("{s:I, s:s, s:s, s:s, s:I, s:b, s:s?, s:s, s:s}", "id", (json_int_t)e->id,
                        "when", when(r, e->at), "who", account_refill(e->user_name), "action",
                        account_refill(e->action), "article_id", (json_int_t)e->article_id,
                        "has_article", e->article_id != 0, "headline",
                        *e->headline ? e->headline : NULL, "subject", account_refill(e->subject),
                        "detail", account_refill(e->detail)));
    }
    ctx = render_set(ctx, "entries", entries);
    ctx = render_set(ctx, "filter",
                     render_pack("{s:s, s:s}", "article",
                                 article ? arena_printf(r->arena, "%lld", (long long)article) : "",
                                 "action", prefix));
    /* The next page keeps the filters: ?before=LAST&article=…&action=… */
    const char *older = "";
    if (more && n) {
        older = arena_printf(r->arena, "/newsroom/audit?before=%lld", (long long)rows[n - 1].id);
        if (article)
            older = arena_printf(r->arena, "%s&article=%lld", older, (long long)article);
        if (*prefix)
            older = arena_printf(r->arena, "%s&action=%s", older, prefix);
    }
    ctx = render_set(ctx, "older", render_pack("{s:b, s:s}", "show", *older != '\0', "url", older));
    ctx = render_set(ctx, "error", render_pack("{s:b, s:s}", "show", 0, "message", ""));
    return newsroom_send(r, 200, "newsroom-audit", ctx);
}
