/*
 * page_newsroom_sections.c: the newsroom's sections (/newsroom/sections, for editors and admins)
 * and publications (/newsroom/publications, for admins): the list, creating one, editing every
 * field, moving a section up or down the navigation, and deleting one that has no article.
 *
 * A section is a name, a slug (its page is /sections/SLUG), a place in the navigation and the
 * default access of its articles; a publication is every field of the syndication footer
 * (name, slug, description, producer, partner, its short name, site and description, whether it
 * is the host), and a default access. Every field is checked here with a message that says what
 * to type (a slug is lowercase letters, digits and hyphens; a partner's site is an http or https
 * address), and the form comes back filled in after a refusal.
 *
 * Changing a slug keeps the old address working: the store adds a row to the redirects table,
 * /sections/OLD (or /publications/OLD) to the new path, answered with 301 as an article's old
 * slug is. Deleting one that still has articles (of any state) is refused with their number,
 * and changes nothing. The nav of every page follows each change through the change log
 * (migration 009's triggers), and every action writes an audit entry in its transaction.
 */
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "app.h"
#include "newsroom.h"
#include "ninjs.h"
#include "pages.h"
#include "reader.h"
#include "render.h"
#include "respond.h"
#include "slug.h"
#include "util.h"

#define SLUG_MAX 100
#define NAME_MAX_BYTES 200
#define TEXT_MAX_BYTES 4000 /* a description */
#define POSITION_MAX 1000000

/* What a finished action reports on a list (?done=CODE): a fixed set. */
static const char *done_message(const char *code)
{
    static const struct {
        const char *code, *message;
    } messages[] = {
        {"created", "Created."},
        {"saved", "Saved."},
        {"moved", "Moved."},
        {"deleted", "Deleted."},
    };
    for (size_t i = 0; code && i < ARRAY_LEN(messages); i++)
        if (!strcmp(code, messages[i].code))
            return messages[i].message;
    return NULL;
}

/* The id in the path (params[0]), or 0 when it is not a positive number. */
static int64_t path_id(struct req *r)
{
    return util_parse_id(r->param_count > 0 ? r->params[0] : NULL);
}

static int64_t actor(struct req *r)
{
    return r->reader ? r->reader->user.id : 0;
}

/* A problem with a slug, or NULL: slug.h's rule (it is a path segment of a reader's URL), the
 * message saying which part of it the slug breaks. */
static const char *slug_problem(const char *slug)
{
    size_t len = strlen(slug);
    if (!len)
        return "Enter a slug: the name in the address, like world-news.";
    if (len > SLUG_MAX)
        return "Use a slug of at most 100 characters.";
    for (const char *p = slug; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return "Use only lowercase letters, digits and hyphens in the slug, like world-news.";
    if (slug[0] == '-' || slug[len - 1] == '-')
        return "Start and end the slug with a letter or a digit.";
    if (!slug_valid(slug, SLUG_MAX))
        return "Join the words of the slug with single hyphens, like world-news.";
    return NULL;
}

/* A problem with a text field (label names it), or NULL: UTF-8, at most max bytes, no control
 * characters but line breaks where lines are allowed; required ones not empty. */
static const char *text_problem(struct req *r, const char *label, const char *text, size_t max,
                                int required, int lines)
{
    size_t len = strlen(text);
    if (required && !len)
        return arena_printf(r->arena, "Enter the %s.", label);
    if (len > max)
        return arena_printf(r->arena, "Use at most %zu bytes for the %s.", max, label);
    if (!util_utf8_valid(text, len))
        return arena_printf(r->arena, "Use letters, numbers and punctuation in the %s.", label);
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if ((*p < 0x20 && !(lines && (*p == '\n' || *p == '\r'))) || *p == 0x7f)
            return arena_printf(r->arena, "Use letters, numbers and punctuation in the %s.", label);
    return NULL;
}

/* A problem with a default access level, or NULL: "" (inherit) or a level's name. */
static const char *access_problem(const char *level)
{
    return !*level || store_access_parse(level) >= 0
               ? NULL
               : "Choose a default access: inherit, free, metered or subscribers.";
}

/* The access levels as options of a <select> ("" is "inherit"), selected the given one. */
static json_t *access_options(const char *selected)
{
    static const char *const values[] = {"", "free", "metered", "subscribers"};
    json_t *options = json_array();
    for (size_t i = 0; i < ARRAY_LEN(values); i++)
        options = render_append(options, render_pack("{s:s, s:s, s:b}", "value", values[i], "label",
                                                     *values[i] ? values[i] : "inherit", "selected",
                                                     !strcmp(values[i], selected)));
    return options;
}

/* The form field name, trimmed ("" when absent). */
static const char *field(struct req *r, const char *name)
{
    return account_trim(r, req_form(r, name));
}

/* A notice (?done=) and an error for a page's context. */
static json_t *messages(json_t *ctx, struct req *r, const char *error)
{
    const char *notice = done_message(req_query(r, "done"));
    ctx = render_set(
        ctx, "notice",
        render_pack("{s:b, s:s}", "show", notice != NULL, "message", notice ? notice : ""));
    return render_set(
        ctx, "error",
        render_pack("{s:b, s:s}", "show", error != NULL, "message", error ? error : ""));
}

/* The refusal of a delete: "World has 12 articles: move or delete them first". */
static const char *still_has(struct req *r, const char *name, int64_t articles)
{
    return arena_printf(
        r->arena, "%s has %lld article%s: move or delete %s first. Nothing was deleted.", name,
        (long long)articles, articles == 1 ? "" : "s", articles == 1 ? "it" : "them");
}

/* --- Sections ------------------------------------------------------------------------------ */

/* A section's fields for a form (the id 0 for a new one). */
static json_t *section_json(const struct section *s)
{
    return render_pack("{s:I, s:s, s:s, s:i, s:o}", "id", (json_int_t)s->id, "slug",
                       account_refill(s->slug), "name", account_refill(s->name), "position",
                       s->position, "access", access_options(s->default_access));
}

/* The sections page: the list in navigation order, and the form for a new one (form: its
 * fields again after a refusal, or NULL). */
static enum MHD_Result sections_page(struct req *r, unsigned status, const struct section *form,
                                     const char *error)
{
    struct section *list = NULL;
    size_t n = 0;
    if (store_sections(r->app->store, r->arena, &list, &n) != STORE_OK)
        return respond_error(r, 500);
    json_t *ctx = newsroom_context(r, "sections", "Sections");
    json_t *rows = json_array();
    for (size_t i = 0; i < n; i++)
        rows = render_append(
            rows,
            render_pack("{s:I, s:s, s:s, s:s, s:b, s:b}", "id", (json_int_t)list[i].id, "slug",
                        account_refill(list[i].slug), "name", account_refill(list[i].name),
                        "access", *list[i].default_access ? list[i].default_access : "inherit",
                        "first", i == 0, "last", i + 1 == n));
    ctx = render_set(ctx, "sections", rows);
    struct section empty = {.slug = "", .name = "", .default_access = ""};
    ctx = render_set(ctx, "new_section", section_json(form ? form : &empty));
    ctx = messages(ctx, r, error);
    return newsroom_send(r, status, "newsroom-sections", ctx);
}

/* The edit page of section s (its fields, or the form's after a refusal). */
static enum MHD_Result section_page(struct req *r, unsigned status, const struct section *s,
                                    const char *error)
{
    json_t *ctx = newsroom_context(r, "sections", "Edit section");
    ctx = render_set(ctx, "section", section_json(s));
    ctx = messages(ctx, r, error);
    return newsroom_send(r, status, "newsroom-section", ctx);
}

/* Reads and checks a section's form into *s; returns the first problem, or NULL. new: the
 * position may be empty (last). */
static const char *section_form(struct req *r, struct section *s, int new)
{
    s->slug = field(r, "slug");
    s->name = field(r, "name");
    s->default_access = field(r, "default_access");
    const char *position = field(r, "position");
    const char *problem = text_problem(r, "name", s->name, NAME_MAX_BYTES, 1, 0);
    if (!problem)
        problem = slug_problem(s->slug);
    if (!problem)
        problem = access_problem(s->default_access);
    if (problem) {
        s->default_access = access_problem(s->default_access) ? "" : s->default_access;
        return problem;
    }
    s->position = 0;
    if (!*position && new)
        return NULL;
    size_t len = strlen(position);
    int ok = len > 0 && len <= 7;
    for (const char *p = position; ok && *p; p++)
        ok = *p >= '0' && *p <= '9';
    if (!ok || atoi(position) < 1 || atoi(position) > POSITION_MAX)
        return "Enter the place in the navigation as a whole number from 1 to 1000000.";
    s->position = atoi(position);
    return NULL;
}

enum MHD_Result page_newsroom_sections(struct req *r)
{
    if (r->method != METHOD_POST)
        return sections_page(r, 200, NULL, NULL);
    struct section s = {0};
    const char *problem = section_form(r, &s, 1);
    if (problem)
        return sections_page(r, 422, &s, problem);
    int rc = store_section_create(r->app->store, actor(r), &s, NULL);
    if (rc == STORE_CONFLICT)
        return sections_page(
            r, 409, &s,
            arena_printf(r->arena, "Another section has the slug %s: choose another.", s.slug));
    if (rc != STORE_OK)
        return respond_error(r, 500);
    return respond_redirect(r, 303, "/newsroom/sections?done=created");
}

enum MHD_Result page_newsroom_section(struct req *r)
{
    int64_t id = path_id(r);
    struct section s;
    int found = id ? store_section_by_id(r->app->store, r->arena, id, &s) : STORE_NOT_FOUND;
    if (found != STORE_OK)
        return respond_error(r, found == STORE_NOT_FOUND ? 404 : 500);
    if (r->method != METHOD_POST)
        return section_page(r, 200, &s, NULL);
    struct section edit = {.id = id};
    const char *problem = section_form(r, &edit, 0);
    if (problem)
        return section_page(r, 422, &edit, problem);
    int rc = store_section_update(r->app->store, actor(r), &edit);
    if (rc == STORE_CONFLICT)
        return section_page(
            r, 409, &edit,
            arena_printf(r->arena, "Another section has the slug %s: choose another.", edit.slug));
    if (rc != STORE_OK)
        return respond_error(r, rc == STORE_NOT_FOUND ? 404 : 500);
    return respond_redirect(r, 303, "/newsroom/sections?done=saved");
}

enum MHD_Result page_newsroom_section_move(struct req *r)
{
    int64_t id = path_id(r);
    const char *direction = req_form(r, "direction");
    if (!id)
        return respond_error(r, 404);
    if (!direction || (strcmp(direction, "up") && strcmp(direction, "down")))
        return sections_page(r, 422, NULL, "Move a section up or down.");
    int rc = store_section_move(r->app->store, actor(r), id, !strcmp(direction, "up") ? -1 : 1);
    if (rc != STORE_OK)
        return respond_error(r, rc == STORE_NOT_FOUND ? 404 : 500);
    return respond_redirect(r, 303, "/newsroom/sections?done=moved");
}

enum MHD_Result page_newsroom_section_delete(struct req *r)
{
    int64_t id = path_id(r);
    struct section s;
    int found = id ? store_section_by_id(r->app->store, r->arena, id, &s) : STORE_NOT_FOUND;
    if (found != STORE_OK)
        return respond_error(r, found == STORE_NOT_FOUND ? 404 : 500);
    int64_t articles = 0;
    int rc = store_section_delete(r->app->store, actor(r), id, &articles);
    if (rc == STORE_CONFLICT)
        return sections_page(r, 409, NULL, still_has(r, s.name, articles));
    if (rc != STORE_OK)
        return respond_error(r, rc == STORE_NOT_FOUND ? 404 : 500);
    return respond_redirect(r, 303, "/newsroom/sections?done=deleted");
}

/* --- Publications -------------------------------------------------------------------------- */

/* A publication's fields for a form (id 0 for a new one). */
static json_t *publication_json(const struct publication *p)
{
    json_t *o = render_pack(
        "{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:o}", "id", (json_int_t)p->id, "slug",
        account_refill(p->slug), "name", account_refill(p->name), "description",
        account_refill(p->description), "producer", account_refill(p->producer), "partner",
        account_refill(p->partner), "partner_short", account_refill(p->partner_short),
        "partner_url", account_refill(p->partner_url), "partner_description",
        account_refill(p->partner_description), "is_host", p->is_host, "access",
        access_options(p->default_access));
    /* Its rights for partners (issue 13, migration 019). */
    o = render_set(o, "copyright_holder", render_pack("s", account_refill(p->copyright_holder)));
    o = render_set(o, "copyright_notice", render_pack("s", account_refill(p->copyright_notice)));
    o = render_set(o, "usage_terms", render_pack("s", account_refill(p->usage_terms)));
    return render_set(o, "rights_url", render_pack("s", account_refill(p->rights_url)));
}

/* A problem with a partner's site, or NULL: "" or an http:// or https:// address with a host
 * and no spaces or control characters (it becomes a link on every syndicated article). */
static const char *url_problem(const char *url)
{
    if (!*url)
        return NULL;
    switch (util_http_url_check(url, 500)) {
    case UTIL_URL_SCHEME:
        return "Enter the partner's site as an address starting with https:// or http://.";
    case UTIL_URL_WHOLE:
        return "Enter the partner's site as a whole address, like https://www.example.org/.";
    case UTIL_URL_CHARACTER:
        return "Enter the partner's site without spaces or special characters (encode them "
               "as %XX).";
    case UTIL_URL_OK: break;
    }
    return NULL;
}

/* Reads and checks a publication's form into *p; returns the first problem, or NULL. */
static const char *publication_form(struct req *r, struct publication *p)
{
    p->slug = field(r, "slug");
    p->name = field(r, "name");
    p->description = field(r, "description");
    p->producer = field(r, "producer");
    p->partner = field(r, "partner");
    p->partner_short = field(r, "partner_short");
    p->partner_url = field(r, "partner_url");
    p->partner_description = field(r, "partner_description");
    p->default_access = field(r, "default_access");
    p->copyright_holder = field(r, "copyright_holder");
    p->copyright_notice = field(r, "copyright_notice");
    p->usage_terms = field(r, "usage_terms");
    p->rights_url = field(r, "rights_url");
    const char *host = req_form(r, "is_host");
    p->is_host = host && !strcmp(host, "1");
    const char *problem = text_problem(r, "name", p->name, NAME_MAX_BYTES, 1, 0);
    if (!problem)
        problem = slug_problem(p->slug);
    if (!problem)
        problem = text_problem(r, "description", p->description, TEXT_MAX_BYTES, 0, 1);
    if (!problem)
        problem = text_problem(r, "producer", p->producer, NAME_MAX_BYTES, 0, 0);
    if (!problem)
        problem = text_problem(r, "partner", p->partner, NAME_MAX_BYTES, 0, 0);
    if (!problem)
        problem = text_problem(r, "partner's short name", p->partner_short, NAME_MAX_BYTES, 0, 0);
    if (!problem)
        problem = url_problem(p->partner_url);
    if (!problem)
        problem =
            text_problem(r, "partner's description", p->partner_description, TEXT_MAX_BYTES, 0, 1);
    if (!problem)
        problem = access_problem(p->default_access);
    if (!problem) /* the rights a partner's copy carries (ninjs.h) */
        problem = ninjs_rights_problem(p);
    if (access_problem(p->default_access))
        p->default_access = "";
    return problem;
}

/* The publications page: the list, and the form for a new one. */
static enum MHD_Result publications_page(struct req *r, unsigned status,
                                         const struct publication *form, const char *error)
{
    struct publication *list = NULL;
    size_t n = 0;
    if (store_publications(r->app->store, r->arena, &list, &n) != STORE_OK)
        return respond_error(r, 500);
    json_t *ctx = newsroom_context(r, "publications", "Publications");
    json_t *rows = json_array();
    for (size_t i = 0; i < n; i++)
        rows = render_append(
            rows,
            render_pack("{s:I, s:s, s:s, s:s, s:b, s:s}", "id", (json_int_t)list[i].id, "slug",
                        account_refill(list[i].slug), "name", account_refill(list[i].name),
                        "partner", account_refill(list[i].partner), "is_host", list[i].is_host,
                        "access", *list[i].default_access ? list[i].default_access : "inherit"));
    ctx = render_set(ctx, "publications_list", rows);
    struct publication empty = {.slug = "",
                                .name = "",
                                .description = "",
                                .producer = "",
                                .partner = "",
                                .partner_short = "",
                                .partner_url = "",
                                .partner_description = "",
                                .default_access = "",
                                .copyright_holder = "",
                                .copyright_notice = "",
                                .usage_terms = "",
                                .rights_url = ""};
    ctx = render_set(ctx, "publication", publication_json(form ? form : &empty));
    ctx = messages(ctx, r, error);
    return newsroom_send(r, status, "newsroom-publications", ctx);
}

static enum MHD_Result publication_page(struct req *r, unsigned status, const struct publication *p,
                                        const char *error)
{
    json_t *ctx = newsroom_context(r, "publications", "Edit publication");
    ctx = render_set(ctx, "publication", publication_json(p));
    ctx = messages(ctx, r, error);
    return newsroom_send(r, status, "newsroom-publication", ctx);
}

enum MHD_Result page_newsroom_publications(struct req *r)
{
    if (r->method != METHOD_POST)
        return publications_page(r, 200, NULL, NULL);
    struct publication p = {0};
    const char *problem = publication_form(r, &p);
    if (problem)
        return publications_page(r, 422, &p, problem);
    int rc = store_publication_create(r->app->store, actor(r), &p, NULL);
    if (rc == STORE_CONFLICT)
        return publications_page(
            r, 409, &p,
            arena_printf(r->arena, "Another publication has the slug %s: choose another.", p.slug));
    if (rc != STORE_OK)
        return respond_error(r, 500);
    return respond_redirect(r, 303, "/newsroom/publications?done=created");
}

enum MHD_Result page_newsroom_publication(struct req *r)
{
    int64_t id = path_id(r);
    struct publication p;
    int found = id ? store_publication_by_id(r->app->store, r->arena, id, &p) : STORE_NOT_FOUND;
    if (found != STORE_OK)
        return respond_error(r, found == STORE_NOT_FOUND ? 404 : 500);
    if (r->method != METHOD_POST)
        return publication_page(r, 200, &p, NULL);
    struct publication edit = {.id = id};
    const char *problem = publication_form(r, &edit);
    if (problem)
        return publication_page(r, 422, &edit, problem);
    int rc = store_publication_update(r->app->store, actor(r), &edit);
    if (rc == STORE_CONFLICT)
        return publication_page(r, 409, &edit,
                                arena_printf(r->arena,
                                             "Another publication has the slug %s: choose another.",
                                             edit.slug));
    if (rc != STORE_OK)
        return respond_error(r, rc == STORE_NOT_FOUND ? 404 : 500);
    return respond_redirect(r, 303, "/newsroom/publications?done=saved");
}

enum MHD_Result page_newsroom_publication_delete(struct req *r)
{
    int64_t id = path_id(r);
    struct publication p;
    int found = id ? store_publication_by_id(r->app->store, r->arena, id, &p) : STORE_NOT_FOUND;
    if (found != STORE_OK)
        return respond_error(r, found == STORE_NOT_FOUND ? 404 : 500);
    int64_t articles = 0;
    int rc = store_publication_delete(r->app->store, actor(r), id, &articles);
    if (rc == STORE_CONFLICT)
        return publications_page(r, 409, NULL, still_has(r, p.name, articles));
    if (rc != STORE_OK)
        return respond_error(r, rc == STORE_NOT_FOUND ? 404 : 500);
    return respond_redirect(r, 303, "/newsroom/publications?done=deleted");
}
