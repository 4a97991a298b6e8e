/*
 * page_newsroom_history.c: an article's past, its previews and its corrections, in the newsroom:
 *
 *   GET  /newsroom/articles/ID/revisions                 every revision, newest first (paged
 *                                                        by ?before=VERSION), each with its
 *                                                        preview, diff and restore
 *   GET  /newsroom/articles/ID/revisions/diff?from=N&to=M a word diff of headline, dek and body,
 *                                                        and the other fields that changed
 *   POST /newsroom/articles/ID/revisions/N/restore        revision N's content as a new version
 *                                                        (the form's version: the one seen)
 *   GET  /newsroom/articles/ID/preview                    the article as readers would see it
 *                                                        (?variant=paywall, ?revision=N,
 *                                                        ?autosave=1)
 *   GET  /newsroom/articles/ID/corrections                an editor's list and form; POST adds
 *
 * Who may: the route table lets writers and up in (editors and up for corrections); here a
 * writer sees only the articles they created (403 otherwise), and restores only onto their own
 * article while it is a draft or in review; an editor may do it all, on any article.
 *
 * Previews render through page_article_render, the reader's own article page, so what staff see
 * is what readers will: the same template, the same paywall split (?variant=paywall), the same
 * cmark safe mode for a revision's or an autosave's Markdown (no raw HTML, no javascript:
 * links), under the site's Content-Security-Policy (script only from the site's own files). A
 * preview is never cached: private, no-store, X-Robots-Tag: noindex, as every newsroom page.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "app.h"
#include "diff.h"
#include "html.h"
#include "markdown.h"
#include "newsroom.h"
#include "pages.h"
#include "reader.h"
#include "render.h"
#include "respond.h"
#include "store.h"
#include "util.h"

#define REVISIONS_PAGE 50
#define NOBODY "the command line or a deleted account" /* a save with no user */

/* A positive decimal integer (no sign, no spaces, at most 18 digits), else 0. */
static int64_t parse_id(const char *s)
{
    if (!s || !*s || strlen(s) > 18)
        return 0;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    return errno || v <= 0 ? 0 : (int64_t)v;
}

static const struct user *me(struct req *r)
{
    return &r->reader->user;
}

/* Whether the signed-in person may see the article's revisions and previews: an editor any,
 * a writer the ones they created. */
static int may_view(struct req *r, const struct history_article *h)
{
    return me(r)->role >= ROLE_EDITOR || (h->created_by && h->created_by == me(r)->id);
}

/* Whether they may restore onto it: whoever may edit it (store_newsroom_may: an editor any;
 * its writer while it is a draft or in review), the rule the store checks again in the
 * transaction. */
static int may_restore(struct req *r, const struct history_article *h)
{
    const struct newsroom_article as_edited = {.created_by = h->created_by,
                                               .state = store_article_state_parse(h->state),
                                               .killed_at = h->killed_at}; /* killed: none */
    return store_newsroom_may(&as_edited, me(r)->id, me(r)->role, NEWSROOM_EDIT);
}

/* Loads the article params[0] names into *h and checks the person may see it; on any failure
 * answers (404, 403, 500) into *ret and returns -1. */
static int load(struct req *r, struct history_article *h, enum MHD_Result *ret)
{
    int64_t id = parse_id(r->params[0]);
    int rc = id ? store_history_article(r->app->store, r->arena, id, h) : STORE_NOT_FOUND;
    if (rc != STORE_OK) {
        *ret = respond_error(r, rc == STORE_NOT_FOUND ? 404 : 500);
        return -1;
    }
    if (!may_view(r, h)) {
        *ret = respond_error(r, 403);
        return -1;
    }
    return 0;
}

/* The article's fields every page of this file shows. */
static json_t *article_json(struct req *r, const struct history_article *h)
{
    char base[64], when[80];
    snprintf(base, sizeof base, "/newsroom/articles/%lld", (long long)h->article.id);
    render_time(h->article.updated_at, when, sizeof when);
    json_t *j = render_pack(
        "{s:I, s:s, s:s, s:I, s:s, s:s, s:b, s:b, s:b}", "id", (json_int_t)h->article.id,
        "headline", h->article.headline, "state", h->state, "version", (json_int_t)h->version,
        "updated_display", when, "updated_by", *h->updated_by_name ? h->updated_by_name : NOBODY,
        "published", !strcmp(h->state, "published"), "may_restore", may_restore(r, h),
        "may_correct", me(r)->role >= ROLE_EDITOR && !strcmp(h->state, "published"));
    if (!j)
        return NULL;
    json_object_set_new(j, "edit_url", json_string(base));
    json_object_set_new(j, "revisions_url",
                        json_string(arena_printf(r->arena, "%s/revisions", base)));
    json_object_set_new(j, "preview_url", json_string(arena_printf(r->arena, "%s/preview", base)));
    json_object_set_new(j, "corrections_url",
                        json_string(arena_printf(r->arena, "%s/corrections", base)));
    struct buf url = BUF_INIT;
    buf_puts(&url, "/articles/");
    html_url_path(&url, h->article.slug, strlen(h->article.slug));
    buf_putc(&url, '\0');
    json_object_set_new(j, "public_url", json_string(url.data));
    buf_free(&url);
    return j;
}

/* The "Changed by NAME at TIME since you opened it" message for an article that moved on. */
static const char *conflict_message(struct req *r, const struct history_article *h)
{
    char when[80];
    render_time(h->article.updated_at, when, sizeof when);
    return arena_printf(r->arena, "Changed by %s at %s since you opened it.",
                        *h->updated_by_name ? h->updated_by_name : "someone", when);
}

/* The revisions page for h, with an optional error (status 409…) or notice. */
static enum MHD_Result revisions_page(struct req *r, const struct history_article *h,
                                      unsigned status, const char *error, const char *notice)
{
    struct store *st = r->app->store;
    int64_t before = parse_id(req_query(r, "before"));
    struct revision *list = NULL;
    size_t n = 0;
    /* One more than a page: whether there are older ones, and whether the last one shown has
     * its previous version stored (an imported article's history starts where it was
     * imported, so "Changes" is offered only where there is something to compare with). */
    if (store_revisions(st, r->arena, h->article.id, before, REVISIONS_PAGE + 1, &list, &n) !=
        STORE_OK)
        return respond_error(r, 500);
    size_t fetched = n;
    if (n > REVISIONS_PAGE)
        n = REVISIONS_PAGE;
    char title[200];
    snprintf(title, sizeof title, "Revisions: %s", h->article.headline);
    json_t *ctx = newsroom_context(r, "articles", title);
    ctx = render_set(ctx, "article", article_json(r, h));
    json_t *rows = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct revision *v = &list[i];
        char when[80];
        render_time(v->created_at, when, sizeof when);
        json_t *row =
            render_pack("{s:I, s:s, s:s, s:s, s:s, s:b, s:b}", "version", (json_int_t)v->version,
                        "user", *v->user_name ? v->user_name : NOBODY, "when", when, "state",
                        v->state, "headline", v->headline, "current", v->version == h->version,
                        "has_previous", i + 1 < fetched && list[i + 1].version == v->version - 1);
        if (row) {
            json_object_set_new(
                row, "preview_url",
                json_string(arena_printf(r->arena, "/newsroom/articles/%lld/preview?revision=%lld",
                                         (long long)h->article.id, (long long)v->version)));
            json_object_set_new(
                row, "diff_url",
                json_string(arena_printf(
                    r->arena, "/newsroom/articles/%lld/revisions/diff?from=%lld&to=%lld",
                    (long long)h->article.id, (long long)(v->version - 1), (long long)v->version)));
            json_object_set_new(
                row, "restore_url",
                json_string(arena_printf(r->arena, "/newsroom/articles/%lld/revisions/%lld/restore",
                                         (long long)h->article.id, (long long)v->version)));
        }
        rows = render_append(rows, row);
    }
    ctx = render_set(ctx, "revisions", rows);
    if (ctx && fetched > REVISIONS_PAGE)
        json_object_set_new(
            ctx, "older_url",
            json_string(arena_printf(r->arena, "/newsroom/articles/%lld/revisions?before=%lld",
                                     (long long)h->article.id, (long long)list[n - 1].version)));
    if (ctx && error)
        json_object_set_new(ctx, "error", json_string(error));
    if (ctx && notice)
        json_object_set_new(ctx, "notice", json_string(notice));
    if (ctx)
        json_object_set_new(
            ctx, "diff_action",
            json_string(arena_printf(r->arena, "/newsroom/articles/%lld/revisions/diff",
                                     (long long)h->article.id)));
    return newsroom_send(r, status, "newsroom-revisions", ctx);
}

enum MHD_Result page_newsroom_revisions(struct req *r)
{
    struct history_article h;
    enum MHD_Result ret;
    if (load(r, &h, &ret) != 0)
        return ret;
    const char *restored = req_query(r, "restored");
    const char *notice = NULL;
    if (restored && parse_id(restored))
        notice = arena_printf(r->arena, "Restored: the article is now at version %lld.",
                              (long long)parse_id(restored));
    return revisions_page(r, &h, 200, NULL, notice);
}

/* A field of two revisions for the diff page: word-level for text (word), else before/after
 * (only when it changed). */
static json_t *field_diff(const char *name, const char *before, const char *after, int word)
{
    if (!word)
        return render_pack("{s:s, s:s, s:s, s:b}", "name", name, "before", before, "after", after,
                           "word", 0);
    struct buf out = BUF_INIT;
    struct diff_stats stats;
    diff_html(before, strlen(before), after, strlen(after), &out, &stats);
    buf_putc(&out, '\0');
    /* diff.c escapes every token and adds only <del> and <ins>: markup Broadsheet built. */
    json_t *j = render_pack("{s:s, s:o, s:b, s:b, s:b}", "name", name, "html",
                            html_trusted(out.data), "word", 1, "changed",
                            stats.inserted || stats.deleted, "coarse", stats.coarse > 0);
    buf_free(&out);
    return j;
}

enum MHD_Result page_newsroom_diff(struct req *r)
{
    struct history_article h;
    enum MHD_Result ret;
    if (load(r, &h, &ret) != 0)
        return ret;
    int64_t from = parse_id(req_query(r, "from")), to = parse_id(req_query(r, "to"));
    if (!from || !to)
        return respond_error(r, 400);
    struct store *st = r->app->store;
    struct revision a, b;
    int rc = store_revision(st, r->arena, h.article.id, from, &a);
    if (rc == STORE_OK)
        rc = store_revision(st, r->arena, h.article.id, to, &b);
    if (rc != STORE_OK)
        return respond_error(r, rc == STORE_NOT_FOUND ? 404 : 500);
    const char *authors_a, *authors_b, *tags_a, *tags_b;
    if (store_history_names(st, r->arena, 0, a.author_ids, &authors_a) != STORE_OK ||
        store_history_names(st, r->arena, 0, b.author_ids, &authors_b) != STORE_OK ||
        store_history_names(st, r->arena, 1, a.tag_ids, &tags_a) != STORE_OK ||
        store_history_names(st, r->arena, 1, b.tag_ids, &tags_b) != STORE_OK)
        return respond_error(r, 500);

    json_t *text = json_array();
    text = render_append(text, field_diff("Headline", a.headline, b.headline, 1));
    text = render_append(text, field_diff("Dek", a.dek, b.dek, 1));
    text = render_append(text, field_diff("Body", a.body_markdown, b.body_markdown, 1));
    /* The other fields, before and after, when they changed. */
    const struct {
        const char *name, *before, *after;
    } others[] = {
        {"State", a.state, b.state},
        {"Slug", a.slug, b.slug},
        {"Publication", a.publication_name, b.publication_name},
        {"Section", a.section_name, b.section_name},
        {"Access", a.access, b.access},
        {"Byline", a.byline, b.byline},
        {"Authors", authors_a, authors_b},
        {"Tags", tags_a, tags_b},
        {"Search-engine title", a.seo_title, b.seo_title},
        {"Search-engine description", a.seo_description, b.seo_description},
        {"Originally published at", a.original_url, b.original_url},
        {"Editor's note", a.editor_note, b.editor_note},
    };
    json_t *changed = json_array();
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        if (strcmp(others[i].before, others[i].after) != 0)
            changed = render_append(
                changed, field_diff(others[i].name, others[i].before, others[i].after, 0));
    char title[200], when_a[80], when_b[80];
    snprintf(title, sizeof title, "Changes from version %lld to %lld", (long long)from,
             (long long)to);
    render_time(a.created_at, when_a, sizeof when_a);
    render_time(b.created_at, when_b, sizeof when_b);
    json_t *ctx = newsroom_context(r, "articles", title);
    ctx = render_set(ctx, "article", article_json(r, &h));
    ctx = render_set(ctx, "text_fields", text);
    int any_other = changed && json_array_size(changed) > 0;
    ctx = render_set(ctx, "other_fields", changed);
    if (ctx)
        json_object_set_new(ctx, "has_other_fields", json_boolean(any_other));
    ctx = render_set(ctx, "from",
                     render_pack("{s:I, s:s, s:s}", "version", (json_int_t)from, "user",
                                 *a.user_name ? a.user_name : NOBODY, "when", when_a));
    ctx = render_set(ctx, "to",
                     render_pack("{s:I, s:s, s:s}", "version", (json_int_t)to, "user",
                                 *b.user_name ? b.user_name : NOBODY, "when", when_b));
    return newsroom_send(r, 200, "newsroom-diff", ctx);
}

enum MHD_Result page_newsroom_restore(struct req *r)
{
    struct history_article h;
    enum MHD_Result ret;
    if (load(r, &h, &ret) != 0)
        return ret;
    if (!may_restore(r, &h))
        return respond_error(r, 403);
    int64_t version = parse_id(r->params[1]);
    int64_t seen = parse_id(req_form(r, "version"));
    if (!seen)
        return revisions_page(r, &h, 400, "The form did not say which version you saw.", NULL);
    struct revision rev;
    int rc = version ? store_revision(r->app->store, r->arena, h.article.id, version, &rev)
                     : STORE_NOT_FOUND;
    if (rc != STORE_OK)
        return respond_error(r, rc == STORE_NOT_FOUND ? 404 : 500);
    if (seen != h.version)
        return revisions_page(r, &h, 409, conflict_message(r, &h), NULL);
    /* The same safe rendering the importer uses (markdown.h). */
    char *html = markdown_to_html(rev.body_markdown, strlen(rev.body_markdown));
    struct revision_restore q = {.article_id = h.article.id,
                                 .version = version,
                                 .seen_version = seen,
                                 .user_id = me(r)->id,
                                 .may_edit_any = me(r)->role >= ROLE_EDITOR,
                                 .body_html = html,
                                 .now = util_now()};
    int64_t new_version = 0;
    rc = store_revision_restore(r->app->store, &q, &new_version);
    free(html);
    if (rc == STORE_CONFLICT) {
        /* Moved on between the read above and the write: say by whom, as the editor does. */
        struct history_article now;
        if (store_history_article(r->app->store, r->arena, h.article.id, &now) != STORE_OK)
            return respond_error(r, 500);
        if (!may_restore(r, &now))
            return respond_error(r, 403);
        return revisions_page(r, &now, 409, conflict_message(r, &now), NULL);
    }
    if (rc != STORE_OK)
        return respond_error(r, rc == STORE_NOT_FOUND ? 404 : 500);
    return respond_redirect(r, 303,
                            arena_printf(r->arena,
                                         "/newsroom/articles/%lld/revisions?restored=%lld",
                                         (long long)h.article.id, (long long)new_version));
}

/* A string field of the autosave's JSON, or fallback when it is absent or not a string. */
static const char *json_text(struct req *r, json_t *fields, const char *key, const char *fallback)
{
    const char *s = json_string_value(json_object_get(fields, key));
    return s ? arena_strdup(r->arena, s) : fallback;
}

/* An id field of the autosave's JSON (a number or a string of digits), or 0. */
static int64_t json_id(json_t *fields, const char *key)
{
    json_t *v = json_object_get(fields, key);
    if (json_is_integer(v))
        return json_integer_value(v) > 0 ? (int64_t)json_integer_value(v) : 0;
    return parse_id(json_string_value(v));
}

/* Points a at publication and section ids (0: keep), when they still exist. -1 on a store
 * failure. */
static int place(struct req *r, struct article *a, int64_t publication_id, int64_t section_id)
{
    struct store *st = r->app->store;
    struct publication p;
    struct section s;
    int rc;
    if (publication_id && publication_id != a->publication.id) {
        if ((rc = store_publication_by_id(st, r->arena, publication_id, &p)) == STORE_OK)
            a->publication = p;
        else if (rc != STORE_NOT_FOUND)
            return -1;
    }
    if (section_id && section_id != a->section.id) {
        if ((rc = store_section_by_id(st, r->arena, section_id, &s)) == STORE_OK)
            a->section = s;
        else if (rc != STORE_NOT_FOUND)
            return -1;
    }
    return 0;
}

/* The article's Markdown, rendered into the arena with the importer's safe mode. */
static const char *safe_html(struct req *r, const char *markdown)
{
    char *html = markdown_to_html(markdown, strlen(markdown));
    const char *copy = arena_strdup(r->arena, html);
    free(html);
    return copy;
}

enum MHD_Result page_newsroom_preview(struct req *r)
{
    struct history_article h;
    enum MHD_Result ret;
    if (load(r, &h, &ret) != 0)
        return ret;
    struct article a = h.article;
    const char *variant = req_query(r, "variant");
    const char *revision = req_query(r, "revision");
    const char *autosave = req_query(r, "autosave");
    if (variant && strcmp(variant, "paywall") != 0 && strcmp(variant, "full") != 0)
        return respond_error(r, 400);
    int paywall = variant && !strcmp(variant, "paywall");
    const char *what;
    if (revision) {
        struct revision v;
        int64_t n = parse_id(revision);
        int rc = n ? store_revision(r->app->store, r->arena, a.id, n, &v) : STORE_NOT_FOUND;
        if (rc != STORE_OK)
            return respond_error(r, rc == STORE_NOT_FOUND ? 404 : 500);
        a.headline = v.headline;
        a.dek = v.dek;
        a.byline = v.byline;
        a.body_markdown = v.body_markdown;
        int level = store_access_parse(v.access);
        if (level >= 0)
            a.access = (enum access_level)level;
        if (place(r, &a, v.publication_id, v.section_id) != 0)
            return respond_error(r, 500);
        what = arena_printf(r->arena, "revision %lld (%s)", (long long)n, v.state);
    } else if (autosave && !strcmp(autosave, "1")) {
        struct autosave saved;
        int rc = store_autosave_get(r->app->store, r->arena, a.id, me(r)->id, &saved);
        if (rc != STORE_OK)
            return respond_error(r, rc == STORE_NOT_FOUND ? 404 : 500);
        json_t *fields = json_loads(saved.fields, 0, NULL);
        if (!json_is_object(fields)) {
            json_decref(fields);
            return respond_error(r, 404); /* nothing the editor could have written */
        }
        a.headline = json_text(r, fields, "headline", a.headline);
        a.dek = json_text(r, fields, "dek", a.dek);
        a.byline = json_text(r, fields, "byline", a.byline);
        a.body_markdown = json_text(r, fields, "body_markdown", a.body_markdown);
        int level = store_access_parse(json_text(r, fields, "access", ""));
        if (level >= 0)
            a.access = (enum access_level)level;
        int64_t publication_id = json_id(fields, "publication_id");
        int64_t section_id = json_id(fields, "section_id");
        json_decref(fields);
        if (place(r, &a, publication_id, section_id) != 0)
            return respond_error(r, 500);
        char when[80];
        render_time(saved.saved_at, when, sizeof when);
        what = arena_printf(r->arena, "your autosave of %s (based on version %lld)", when,
                            (long long)saved.base_version);
    } else if (autosave) {
        return respond_error(r, 400);
    } else {
        what =
            arena_printf(r->arena, "the %s article, version %lld", h.state, (long long)h.version);
    }
    /* Whatever is stored, the preview's body is the Markdown through the safe mode, as a save
     * renders it: nothing in a draft can put markup of its own into the page. */
    a.body_html = safe_html(r, a.body_markdown);
    if (!a.published_at)
        a.published_at = util_now(); /* never published: dated as if it were now */
    const char *banner = arena_printf(
        r->arena,
        "Preview of %s, %s. Only staff can open this page; readers see the article at "
        "its address once it is published.",
        what,
        paywall ? (a.access == ACCESS_FREE ? "as readers see it (it is free: no paywall)"
                                           : "as the paywall's preview shows it")
                : "in full, as a subscriber sees it");
    r->preview = paywall;
    struct buf out = BUF_INIT;
    unsigned status = page_article_render(r, &a, banner, &out);
    if (status != 200) {
        buf_free(&out);
        return respond_error(r, status);
    }
    respond_header(r, "X-Robots-Tag", "noindex");
    struct respond_options o = {.cache_control = "private, no-store"};
    ret = respond_buffer(r, 200, &o, out.data ? out.data : "", out.len);
    buf_free(&out);
    return ret;
}

/* The corrections page for h, with the text typed (kept on an error) and an error or notice. */
static enum MHD_Result corrections_page(struct req *r, const struct history_article *h,
                                        unsigned status, const char *text, const char *error,
                                        const char *notice)
{
    struct correction *list = NULL;
    size_t n = 0;
    if (store_corrections(r->app->store, r->arena, h->article.id, 0, &list, &n) != STORE_OK)
        return respond_error(r, 500);
    char title[200];
    snprintf(title, sizeof title, "Corrections: %s", h->article.headline);
    json_t *ctx = newsroom_context(r, "articles", title);
    ctx = render_set(ctx, "article", article_json(r, h));
    json_t *rows = json_array();
    for (size_t i = 0; i < n; i++) {
        char iso[32], display[64], when[80];
        render_dates(list[i].created_at, iso, sizeof iso, display, sizeof display);
        render_time(list[i].created_at, when, sizeof when);
        rows =
            render_append(rows, render_pack("{s:s, s:s, s:s, s:s}", "iso", iso, "when", when,
                                            "user", *list[i].user_name ? list[i].user_name : NOBODY,
                                            "text", list[i].body));
    }
    ctx = render_set(ctx, "corrections", rows);
    if (ctx) {
        json_object_set_new(ctx, "text", json_string(text ? text : ""));
        json_object_set_new(ctx, "max_bytes", json_integer(CORRECTION_MAX_BYTES));
        if (error)
            json_object_set_new(ctx, "error", json_string(error));
        if (notice)
            json_object_set_new(ctx, "notice", json_string(notice));
    }
    return newsroom_send(r, status, "newsroom-corrections", ctx);
}

enum MHD_Result page_newsroom_corrections(struct req *r)
{
    struct history_article h;
    enum MHD_Result ret;
    if (load(r, &h, &ret) != 0)
        return ret;
    if (r->method != METHOD_POST) {
        const char *added = req_query(r, "added");
        return corrections_page(r, &h, 200, NULL, NULL,
                                added ? "The correction is published under the article." : NULL);
    }
    const struct form_field *f = req_form_field(r, "text");
    int valid = !f || (util_utf8_valid(f->value, f->len) && strlen(f->value) == f->len);
    const char *kept = f && valid ? f->value : "";
    const char *text = account_trim(r, kept); /* a correction of blanks is none */
    size_t len = strlen(text);
    if (!valid)
        return corrections_page(r, &h, 400, kept, "The correction is not valid text.", NULL);
    if (!len)
        return corrections_page(r, &h, 400, kept, "Write the correction's text.", NULL);
    if ((f && f->too_long) || len > CORRECTION_MAX_BYTES)
        return corrections_page(r, &h, 400, kept,
                                arena_printf(r->arena,
                                             "A correction has at most %d characters (bytes).",
                                             CORRECTION_MAX_BYTES),
                                NULL);
    if (strcmp(h.state, "published") != 0)
        return corrections_page(r, &h, 409, kept,
                                "Only a published article takes corrections; edit a draft "
                                "instead.",
                                NULL);
    int rc = store_correction_add(r->app->store, h.article.id, me(r)->id, text, util_now(), NULL);
    if (rc == STORE_NOT_FOUND)
        return corrections_page(r, &h, 409, kept,
                                "The article is no longer published: the correction was not "
                                "added.",
                                NULL);
    if (rc != STORE_OK)
        return respond_error(r, 500);
    return respond_redirect(r, 303,
                            arena_printf(r->arena, "/newsroom/articles/%lld/corrections?added=1",
                                         (long long)h.article.id));
}
