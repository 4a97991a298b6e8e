/*
 * page_newsroom_people.c: the newsroom's authors and tags, for editors (the route table's
 * NEED_EDITOR): /newsroom/authors and /newsroom/tags (lists by slug, in keyset pages of
 * LIST_COUNT, ?after=SLUG), …/new (a form; its POST creates), …/ID (the form filled in; its POST
 * saves) and …/ID/delete (POST; refused with the count while an article names it).
 *
 * A form that fails is shown again with what was typed and each problem next to its field
 * (422), and nothing is saved; a refused deletion shows the form with the reason (409). Every
 * change writes its audit entry in its own transaction (store_people.c). The POSTs run on the
 * job pool (ROUTE_JOB_POST) with their CSRF token checked by the route table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "app.h"
#include "auth.h"
#include "markdown.h"
#include "newsroom.h"
#include "pages.h"
#include "people.h"
#include "reader.h"
#include "render.h"
#include "respond.h"
#include "slug.h"
#include "util.h"

#define LIST_COUNT 100

/* The field names of an author's form, in the order of its errors (FIELD_FORM: the form's
 * own, not a field's). */
enum { FIELD_NAME, FIELD_SLUG, FIELD_BIO, FIELD_LINKS, FIELD_ACCOUNT, FIELD_FORM, FIELD_COUNT };
static const char *const field_names[FIELD_COUNT] = {"name",  "slug",    "bio",
                                                     "links", "account", "form"};

/* A form of either kind, as typed or as stored, with its problems. */
struct people_form {
    int64_t id; /* 0: a new one */
    const char *values[FIELD_COUNT - 1];
    const char *errors[FIELD_COUNT];
};

/* The signed-in editor's user id, for the audit log. */
static int64_t actor(struct req *r)
{
    return r->reader ? r->reader->user.id : 0;
}

/* The id in params[0] (digits, not 0) into *id: 0, or -1. */
static int param_id(struct req *r, int64_t *id)
{
    *id = util_parse_id(r->param_count > 0 ? r->params[0] : NULL);
    return *id > 0 ? 0 : -1;
}

/* The notice for ?done=… after a change ("" none). */
static const char *done_notice(struct req *r, const char *what)
{
    const char *done = req_query(r, "done");
    if (!done)
        return "";
    if (!strcmp(done, "created"))
        return arena_printf(r->arena, "The %s was created.", what);
    if (!strcmp(done, "saved"))
        return arena_printf(r->arena, "The %s was saved.", what);
    if (!strcmp(done, "deleted"))
        return arena_printf(r->arena, "The %s was deleted.", what);
    return "";
}

/* Shows form f of kind ("author" or "tag") with status. */
static enum MHD_Result show_form(struct req *r, unsigned status, const char *kind,
                                 const struct people_form *f)
{
    int is_author = kind[0] == 'a';
    const char *title =
        f->id ? arena_printf(r->arena, "Edit %s", kind) : arena_printf(r->arena, "New %s", kind);
    json_t *ctx = newsroom_context(r, is_author ? "authors" : "tags", title);
    json_t *values = json_object(), *errors = json_object();
    int any = 0;
    for (int i = 0; i < FIELD_COUNT; i++) {
        if (i < FIELD_FORM)
            json_object_set_new(values, field_names[i],
                                json_string(account_refill(f->values[i] ? f->values[i] : "")));
        json_object_set_new(errors, field_names[i], json_string(f->errors[i] ? f->errors[i] : ""));
        any |= i < FIELD_FORM && f->errors[i] != NULL;
    }
    ctx = render_set(ctx, "values", values);
    ctx = render_set(ctx, "errors", errors);
    json_object_set_new(ctx, "has_errors", json_boolean(any));
    json_object_set_new(ctx, "is_new", json_boolean(f->id == 0));
    json_object_set_new(ctx, "heading", json_string(title));
    const char *base = is_author ? "/newsroom/authors" : "/newsroom/tags";
    json_object_set_new(ctx, "list_url", json_string(base));
    json_object_set_new(ctx, "action",
                        json_string(f->id
                                        ? arena_printf(r->arena, "%s/%lld", base, (long long)f->id)
                                        : arena_printf(r->arena, "%s/new", base)));
    json_object_set_new(
        ctx, "delete_action",
        json_string(arena_printf(r->arena, "%s/%lld/delete", base, (long long)f->id)));
    json_object_set_new(
        ctx, "public_url",
        json_string(arena_printf(r->arena, "/%s/%s", is_author ? "authors" : "tags",
                                 f->values[FIELD_SLUG] ? f->values[FIELD_SLUG] : "")));
    return newsroom_send(r, status, is_author ? "newsroom-authors-form" : "newsroom-tags-form",
                         ctx);
}

/* Reads the typed name and slug into f, checks them and makes the slug from the name when
 * none was typed. 0 when both are fine. */
static int read_name_and_slug(struct req *r, struct people_form *f)
{
    const char *name = account_trim(r, req_form(r, "name"));
    const char *slug = account_trim(r, req_form(r, "slug"));
    f->values[FIELD_NAME] = name;
    f->values[FIELD_SLUG] = slug;
    f->errors[FIELD_NAME] = people_name_problem(name);
    if (!*slug && !f->errors[FIELD_NAME]) {
        char *made = arena_alloc(r->arena, PEOPLE_SLUG_MAX + 1);
        slug_make(name, made, PEOPLE_SLUG_MAX + 1);
        f->values[FIELD_SLUG] = slug = made;
        if (!*slug)
            f->errors[FIELD_SLUG] = "The name has no letters or digits to make a slug from: "
                                    "type one.";
    } else if (*slug) {
        f->errors[FIELD_SLUG] = people_slug_problem(slug);
    }
    return f->errors[FIELD_NAME] || f->errors[FIELD_SLUG] ? -1 : 0;
}

/* --- Authors --------------------------------------------------------------------------------- */

enum MHD_Result page_newsroom_authors(struct req *r)
{
    struct author *list;
    size_t n;
    int more;
    const char *after = req_query(r, "after");
    if (store_authors(r->app->store, r->arena, after, LIST_COUNT, &list, &n, &more) != STORE_OK)
        return respond_error(r, 500);
    json_t *ctx = newsroom_context(r, "authors", "Authors");
    json_t *rows = json_array();
    for (size_t i = 0; i < n; i++)
        rows = render_append(
            rows,
            render_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "name", list[i].name, "slug",
                        list[i].slug, "edit_url",
                        arena_printf(r->arena, "/newsroom/authors/%lld", (long long)list[i].id),
                        "public_url", arena_printf(r->arena, "/authors/%s", list[i].slug),
                        "account", list[i].user_email, "staff", list[i].user_id != 0));
    ctx = render_set(ctx, "authors", rows);
    json_object_set_new(ctx, "empty", json_boolean(n == 0));
    json_object_set_new(ctx, "has_more", json_boolean(more));
    if (more)
        json_object_set_new(
            ctx, "more_url",
            json_string(arena_printf(r->arena, "/newsroom/authors?after=%s", list[n - 1].slug)));
    const char *notice = done_notice(r, "author");
    json_object_set_new(ctx, "notice", json_string(notice));
    json_object_set_new(ctx, "has_notice", json_boolean(*notice != '\0'));
    return newsroom_send(r, 200, "newsroom-authors", ctx);
}

/* Fills f with author au as stored. */
static void author_values(struct people_form *f, const struct author *au)
{
    f->id = au->id;
    f->values[FIELD_NAME] = au->name;
    f->values[FIELD_SLUG] = au->slug;
    f->values[FIELD_BIO] = au->bio;
    f->values[FIELD_LINKS] = au->links;
    f->values[FIELD_ACCOUNT] = au->user_email;
}

/* The POST of an author's form (f->id 0: new): checks, saves, and answers. */
static enum MHD_Result save_author(struct req *r, struct people_form *f)
{
    struct store *st = r->app->store;
    read_name_and_slug(r, f);
    const char *bio = req_form(r, "bio");
    const char *links = req_form(r, "links");
    const char *account = account_trim(r, req_form(r, "account"));
    f->values[FIELD_BIO] = bio ? bio : "";
    f->values[FIELD_LINKS] = links ? links : "";
    f->values[FIELD_ACCOUNT] = account;
    f->errors[FIELD_BIO] = people_bio_problem(f->values[FIELD_BIO]);
    const char *clean_links = "";
    f->errors[FIELD_LINKS] = people_links_check(r->arena, f->values[FIELD_LINKS], &clean_links);
    int64_t user_id = 0;
    if (*account) {
        struct user u;
        int rc = auth_email_valid(account) ? store_user_by_email(st, r->arena, account, &u)
                                           : STORE_NOT_FOUND;
        if (rc == STORE_ERROR)
            return respond_error(r, 500);
        if (rc == STORE_NOT_FOUND || u.role < ROLE_WRITER)
            f->errors[FIELD_ACCOUNT] = "No staff account has this email address.";
        else
            user_id = u.id;
    }
    /* A field cut at REQ_MAX_FIELD must not pass as what was typed. */
    for (int i = 0; i < FIELD_FORM; i++) {
        const struct form_field *field = req_form_field(r, field_names[i]);
        if (field && field->too_long)
            f->errors[i] = "This is too long.";
    }
    for (int i = 0; i < FIELD_FORM; i++)
        if (f->errors[i])
            return show_form(r, 422, "author", f);

    char *bio_html = markdown_to_html(f->values[FIELD_BIO], strlen(f->values[FIELD_BIO]));
    struct author_input in = {.slug = f->values[FIELD_SLUG],
                              .name = f->values[FIELD_NAME],
                              .bio = f->values[FIELD_BIO],
                              .bio_html = bio_html,
                              .links = clean_links,
                              .user_id = user_id};
    const char *taken = NULL;
    int creating = f->id == 0;
    int rc = store_author_save(st, f->id, &in, actor(r), NULL, &taken);
    free(bio_html);
    if (rc == STORE_CONFLICT) {
        if (taken && !strcmp(taken, "user"))
            f->errors[FIELD_ACCOUNT] = "This staff account is another author's already.";
        else
            f->errors[FIELD_SLUG] = "Another author has this slug: choose another.";
        return show_form(r, 422, "author", f);
    }
    if (rc == STORE_NOT_FOUND)
        return respond_error(r, 404); /* deleted meanwhile (or the account was) */
    if (rc != STORE_OK) {
        f->errors[FIELD_FORM] = "The author could not be saved just now. Please try again.";
        return show_form(r, 500, "author", f);
    }
    return respond_redirect(
        r, 303, creating ? "/newsroom/authors?done=created" : "/newsroom/authors?done=saved");
}

enum MHD_Result page_newsroom_author_new(struct req *r)
{
    struct people_form *f = arena_calloc(r->arena, 1, sizeof *f);
    if (r->method == METHOD_POST)
        return save_author(r, f);
    return show_form(r, 200, "author", f);
}

enum MHD_Result page_newsroom_author_edit(struct req *r)
{
    struct people_form *f = arena_calloc(r->arena, 1, sizeof *f);
    struct author au;
    if (param_id(r, &f->id) != 0)
        return respond_error(r, 404);
    int rc = store_author_by_id(r->app->store, r->arena, f->id, &au);
    if (rc == STORE_NOT_FOUND)
        return respond_error(r, 404);
    if (rc != STORE_OK)
        return respond_error(r, 500);
    if (r->method == METHOD_POST)
        return save_author(r, f);
    author_values(f, &au);
    return show_form(r, 200, "author", f);
}

/* The answer to a refused or failed deletion: the stored form with the reason. */
static enum MHD_Result refused(struct req *r, const char *kind, struct people_form *f, int rc,
                               int64_t uses)
{
    if (rc == STORE_NOT_FOUND)
        return respond_error(r, 404);
    if (rc == STORE_CONFLICT) {
        f->errors[FIELD_FORM] = arena_printf(
            r->arena,
            "Not deleted: %s is on %lld article%s. Take it off %s first; nothing was changed.",
            f->values[FIELD_NAME], (long long)uses, uses == 1 ? "" : "s",
            uses == 1 ? "that article" : "those articles");
        return show_form(r, 409, kind, f);
    }
    f->errors[FIELD_FORM] = "It could not be deleted just now. Please try again.";
    return show_form(r, 500, kind, f);
}

enum MHD_Result page_newsroom_author_delete(struct req *r)
{
    struct people_form *f = arena_calloc(r->arena, 1, sizeof *f);
    struct author au;
    if (param_id(r, &f->id) != 0)
        return respond_error(r, 404);
    int rc = store_author_by_id(r->app->store, r->arena, f->id, &au);
    if (rc == STORE_NOT_FOUND)
        return respond_error(r, 404);
    if (rc != STORE_OK)
        return respond_error(r, 500);
    author_values(f, &au);
    int64_t uses = 0;
    rc = store_author_delete(r->app->store, f->id, actor(r), &uses);
    if (rc != STORE_OK)
        return refused(r, "author", f, rc, uses);
    return respond_redirect(r, 303, "/newsroom/authors?done=deleted");
}

/* --- Tags ------------------------------------------------------------------------------------ */

enum MHD_Result page_newsroom_tags(struct req *r)
{
    struct tag *list;
    size_t n;
    int more;
    const char *after = req_query(r, "after");
    if (store_tags(r->app->store, r->arena, after, LIST_COUNT, &list, &n, &more) != STORE_OK)
        return respond_error(r, 500);
    json_t *ctx = newsroom_context(r, "tags", "Tags");
    json_t *rows = json_array();
    for (size_t i = 0; i < n; i++)
        rows = render_append(
            rows, render_pack("{s:s, s:s, s:s, s:s}", "name", list[i].name, "slug", list[i].slug,
                              "edit_url",
                              arena_printf(r->arena, "/newsroom/tags/%lld", (long long)list[i].id),
                              "public_url", arena_printf(r->arena, "/tags/%s", list[i].slug)));
    ctx = render_set(ctx, "tags", rows);
    json_object_set_new(ctx, "empty", json_boolean(n == 0));
    json_object_set_new(ctx, "has_more", json_boolean(more));
    if (more)
        json_object_set_new(
            ctx, "more_url",
            json_string(arena_printf(r->arena, "/newsroom/tags?after=%s", list[n - 1].slug)));
    const char *notice = done_notice(r, "tag");
    json_object_set_new(ctx, "notice", json_string(notice));
    json_object_set_new(ctx, "has_notice", json_boolean(*notice != '\0'));
    return newsroom_send(r, 200, "newsroom-tags", ctx);
}

/* The POST of a tag's form (f->id 0: new). */
static enum MHD_Result save_tag(struct req *r, struct people_form *f)
{
    if (read_name_and_slug(r, f) != 0)
        return show_form(r, 422, "tag", f);
    int creating = f->id == 0;
    int rc = store_tag_save(r->app->store, f->id, f->values[FIELD_NAME], f->values[FIELD_SLUG],
                            actor(r), NULL);
    if (rc == STORE_CONFLICT) {
        f->errors[FIELD_SLUG] = "Another tag has this slug: choose another.";
        return show_form(r, 422, "tag", f);
    }
    if (rc == STORE_NOT_FOUND)
        return respond_error(r, 404);
    if (rc != STORE_OK) {
        f->errors[FIELD_FORM] = "The tag could not be saved just now. Please try again.";
        return show_form(r, 500, "tag", f);
    }
    return respond_redirect(r, 303,
                            creating ? "/newsroom/tags?done=created" : "/newsroom/tags?done=saved");
}

enum MHD_Result page_newsroom_tag_new(struct req *r)
{
    struct people_form *f = arena_calloc(r->arena, 1, sizeof *f);
    if (r->method == METHOD_POST)
        return save_tag(r, f);
    return show_form(r, 200, "tag", f);
}

enum MHD_Result page_newsroom_tag_edit(struct req *r)
{
    struct people_form *f = arena_calloc(r->arena, 1, sizeof *f);
    struct tag t;
    if (param_id(r, &f->id) != 0)
        return respond_error(r, 404);
    int rc = store_tag_by_id(r->app->store, r->arena, f->id, &t);
    if (rc == STORE_NOT_FOUND)
        return respond_error(r, 404);
    if (rc != STORE_OK)
        return respond_error(r, 500);
    if (r->method == METHOD_POST)
        return save_tag(r, f);
    f->values[FIELD_NAME] = t.name;
    f->values[FIELD_SLUG] = t.slug;
    return show_form(r, 200, "tag", f);
}

enum MHD_Result page_newsroom_tag_delete(struct req *r)
{
    struct people_form *f = arena_calloc(r->arena, 1, sizeof *f);
    struct tag t;
    if (param_id(r, &f->id) != 0)
        return respond_error(r, 404);
    int rc = store_tag_by_id(r->app->store, r->arena, f->id, &t);
    if (rc == STORE_NOT_FOUND)
        return respond_error(r, 404);
    if (rc != STORE_OK)
        return respond_error(r, 500);
    f->values[FIELD_NAME] = t.name;
    f->values[FIELD_SLUG] = t.slug;
    int64_t uses = 0;
    rc = store_tag_delete(r->app->store, f->id, actor(r), &uses);
    if (rc != STORE_OK)
        return refused(r, "tag", f, rc, uses);
    return respond_redirect(r, 303, "/newsroom/tags?done=deleted");
}
