/*
 * page_newsroom_editor.c: the newsroom's article editor (issue 11, "Articles") at
 * /newsroom/articles/new and /newsroom/articles/ID (GET shows, POST saves), and its autosave
 * (…/autosave, …/autosave/discard). The changes of state the editor's buttons post to are
 * page_newsroom_states.c's, which use its form and page through newsroom_editor.h.
 *
 * Embargo and kill (issue 13, "Embargo, corrections, kills"). The schedule's "Embargo" box
 * (field embargo=1) makes scheduling embargo instead (page_newsroom_states.c); the editor then
 * says "Embargoed until TIME". Once an article is killed the editor shows "Killed" with when, by
 * whom and why, and is read-only (store_newsroom_may allows nothing on a killed article).
 *
 * Every page works with plain forms. The permission rules are store_newsroom_may's, checked
 * here on the article as loaded, before anything is written: a refused action answers 403 and
 * changes nothing.
 *
 * A save based on an old version (someone else saved meanwhile) re-shows the form with the
 * person's text as typed, the stored version's headline, dek and body beside it, and "Changed
 * by NAME at TIME since you opened it"; the form then carries the current version, so saving
 * again replaces the stored text deliberately.
 *
 * Autosaves (static/newsroom.js posts the form every few seconds when it changed) go to the
 * autosaves table as a JSON object with the keys headline, dek, byline, body_markdown, slug,
 * section_id, publication_id (numbers), access, authors (an array of ids), tags (as typed),
 * seo_title, seo_description, editor_note, original_url; never to the article. The preview of
 * an autosave (/newsroom/articles/ID/preview?autosave=1, page_newsroom_history.c) reads the
 * same keys.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "diff.h"
#include "html.h"
#include "markdown.h"
#include "newsroom.h"
#include "newsroom_editor.h"
#include "pages.h"
#include "reader.h"
#include "render.h"
#include "respond.h"
#include "share.h"
#include "util.h"

#define AUTHOR_SLOTS 3          /* author pickers the editor shows (more when an article has) */
#define AUTOSAVES_PER_MINUTE 20 /* per person: a burst of 20, then one every 3 s */
#define FIELD_TEXT_MAX 300      /* characters of a headline, slug, SEO title… */
#define ORIGINAL_URL_MAX 2000   /* bytes of "Originally published at" (issue 12) */

/* ---- small helpers ------------------------------------------------------------------------- */

/* t as a datetime-local value in UTC ("2014-06-13T14:30:05"), "" for 0. */
static const char *datetime_value(struct req *r, int64_t t)
{
    if (!t)
        return "";
    time_t tt = (time_t)t;
    struct tm tm;
    char out[32];
    gmtime_r(&tt, &tm);
    strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%S", &tm);
    return arena_strdup(r->arena, out);
}

/* ---- the editor's form --------------------------------------------------------------------- */

void editor_form_from_article(const struct newsroom_article *art, struct editor_form *f)
{
    memset(f, 0, sizeof *f);
    f->headline = art->headline;
    f->dek = art->dek;
    f->byline = art->byline;
    f->body = art->body_markdown;
    f->slug = !strncmp(art->slug, "draft-", 6) && !*art->headline ? "" : art->slug;
    f->tags = art->tags;
    f->seo_title = art->seo_title;
    f->seo_description = art->seo_description;
    f->editor_note = art->editor_note;
    f->original_url = art->original_url;
    f->section_id = art->section_id;
    f->publication_id = art->publication_id;
    f->access = (int)art->access;
    for (size_t i = 0; i < art->author_count && i < ARRAY_LEN(f->authors); i++)
        f->authors[f->author_count++] = art->author_ids[i];
    f->version = art->version;
    f->publish_at = "";
    f->embargo = art->state == ARTICLE_SCHEDULED && art->embargoed;
}

/* A field as posted, checked: NULL (absent) becomes "", and a value that is not UTF-8, was cut
 * (longer than the request allows) or is longer than max bytes sets *problem. */
static const char *field(struct req *r, const char *name, size_t max, const char **problem,
                         const char *label)
{
    const struct form_field *f = req_form_field(r, name);
    if (!f)
        return "";
    if (f->too_long || f->len > max) {
        *problem = arena_printf(r->arena, "%s is too long.", label);
        return "";
    }
    if (!util_utf8_valid(f->value, f->len)) {
        *problem = arena_printf(r->arena, "%s is not valid text.", label);
        return "";
    }
    return f->value;
}

int editor_embargo_ticked(struct req *r)
{
    const char *v = req_form(r, "embargo");
    return v && !strcmp(v, "1");
}

/* What is wrong with url as an article's "Originally published at" (issue 12), or NULL: it is
 * "" or an absolute http or https URL with a host, of at most ORIGINAL_URL_MAX bytes, with no
 * control character or space (its canonical link and JSON-LD name it to every reader, so a
 * javascript: or relative URL, or one a header could be split with, never gets in). */
static const char *original_url_problem(const char *url)
{
    if (!*url)
        return NULL;
    if (strlen(url) > ORIGINAL_URL_MAX)
        return "The original's address is too long (at most 2,000 bytes).";
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= ' ' || *p == 0x7f)
            return "The original's address may not contain spaces or control characters.";
    if (!share_url_is_absolute(url))
        return "The original's address must be a full http:// or https:// address, such as "
               "https://example.com/news/story.";
    return NULL;
}

/* The editor's form from the posted fields into *f, for a save (autosave 0) or an autosave (1,
 * which keeps an "Originally published at" that is not a URL yet: it is being typed). Returns
 * NULL, or what is wrong with it. */
static const char *form_read_post(struct req *r, struct editor_form *f, int autosave)
{
    const char *problem = NULL;
    memset(f, 0, sizeof *f);
    f->headline = field(r, "headline", FIELD_TEXT_MAX * 4, &problem, "The headline");
    f->dek = field(r, "dek", 2000, &problem, "The dek");
    f->byline = field(r, "byline", FIELD_TEXT_MAX * 4, &problem, "The byline");
    f->body = field(r, "body_markdown", REQ_MAX_LONG_FIELD, &problem, "The body");
    f->slug = field(r, "slug", FIELD_TEXT_MAX, &problem, "The slug");
    f->tags = field(r, "tags", 2000, &problem, "The tags");
    f->seo_title = field(r, "seo_title", FIELD_TEXT_MAX * 4, &problem, "The SEO title");
    f->seo_description =
        field(r, "seo_description", 2000, &problem, "The search-engine description");
    f->editor_note = field(r, "editor_note", 4000, &problem, "The editor's note");
    f->original_url =
        field(r, "original_url", ORIGINAL_URL_MAX, &problem, "The original's address");
    f->publish_at = field(r, "publish_at", 40, &problem, "The time");
    f->embargo = editor_embargo_ticked(r);
    f->section_id = util_parse_id(req_form(r, "section_id"));
    f->publication_id = util_parse_id(req_form(r, "publication_id"));
    f->access = store_access_parse(req_form(r, "access"));
    f->version = util_parse_id(req_form(r, "version"));
    /* The author pickers, author_1, author_2 … in the page's order ("" for none). */
    for (size_t i = 1; i <= ARRAY_LEN(f->authors); i++) {
        char name[32];
        snprintf(name, sizeof name, "author_%zu", i);
        int64_t id = util_parse_id(req_form(r, name));
        if (id)
            f->authors[f->author_count++] = id;
    }
    if (problem)
        return problem;
    if (f->access < 0)
        return "Choose an access level.";
    if (!f->section_id || !f->publication_id)
        return "Choose a section and a publication.";
    if (!autosave)
        return original_url_problem(f->original_url);
    return NULL;
}

const char *editor_form_from_post(struct req *r, struct editor_form *f)
{
    return form_read_post(r, f, 0);
}

/* The store's input for f, with the body rendered (*html: the caller frees it). */
static void input_from_form(const struct editor_form *f, struct newsroom_article_input *in,
                            char **html)
{
    *html = markdown_to_html(f->body, strlen(f->body));
    *in = (struct newsroom_article_input){.headline = f->headline,
                                          .dek = f->dek,
                                          .byline = f->byline,
                                          .body_markdown = f->body,
                                          .body_html = *html,
                                          .slug = f->slug,
                                          .publication_id = f->publication_id,
                                          .section_id = f->section_id,
                                          .access = (enum access_level)f->access,
                                          .seo_title = f->seo_title,
                                          .seo_description = f->seo_description,
                                          .editor_note = f->editor_note,
                                          .original_url = f->original_url,
                                          .author_ids = f->authors,
                                          .author_count = f->author_count,
                                          .tags = f->tags};
}

int editor_form_differs(const struct editor_form *f, const struct newsroom_article *art)
{
    struct editor_form stored;
    editor_form_from_article(art, &stored);
    if (strcmp(f->headline, stored.headline) || strcmp(f->dek, stored.dek) ||
        strcmp(f->byline, stored.byline) || strcmp(f->body, stored.body) ||
        strcmp(f->seo_title, stored.seo_title) ||
        strcmp(f->seo_description, stored.seo_description) ||
        strcmp(f->editor_note, stored.editor_note) ||
        strcmp(f->original_url, stored.original_url) || f->section_id != stored.section_id ||
        f->publication_id != stored.publication_id || f->access != stored.access ||
        f->author_count != stored.author_count ||
        memcmp(f->authors, stored.authors, f->author_count * sizeof f->authors[0]))
        return 1;
    if (*f->slug && strcmp(f->slug, stored.slug))
        return 1;
    /* tags: compare the names as a list, whatever the spacing */
    char a[2100], b[2100];
    size_t an = 0, bn = 0;
    for (const char *p = f->tags; *p && an < sizeof a - 1; p++)
        if (*p != ' ')
            a[an++] = *p;
    for (const char *p = stored.tags; *p && bn < sizeof b - 1; p++)
        if (*p != ' ')
            b[bn++] = *p;
    a[an] = b[bn] = '\0';
    return strcmp(a, b) != 0;
}

/* The form restored from an autosave's JSON (keys as the file's header says) into *f, over the
 * stored article's values for any key missing. 0, or -1 when the JSON cannot be read. */
static int form_from_autosave(struct req *r, const struct autosave *as,
                              const struct newsroom_article *art, struct editor_form *f)
{
    json_error_t jerr;
    json_t *j = json_loads(as->fields, 0, &jerr);
    if (!json_is_object(j)) {
        json_decref(j);
        return -1;
    }
    editor_form_from_article(art, f);
    struct {
        const char *key;
        const char **to;
    } texts[] = {{"headline", &f->headline},
                 {"dek", &f->dek},
                 {"byline", &f->byline},
                 {"body_markdown", &f->body},
                 {"slug", &f->slug},
                 {"tags", &f->tags},
                 {"seo_title", &f->seo_title},
                 {"seo_description", &f->seo_description},
                 {"editor_note", &f->editor_note},
                 {"original_url", &f->original_url}};
    for (size_t i = 0; i < ARRAY_LEN(texts); i++) {
        const char *v = json_string_value(json_object_get(j, texts[i].key));
        if (v)
            *texts[i].to = arena_strdup(r->arena, v);
    }
    json_t *v;
    if (json_is_integer(v = json_object_get(j, "section_id")))
        f->section_id = json_integer_value(v);
    if (json_is_integer(v = json_object_get(j, "publication_id")))
        f->publication_id = json_integer_value(v);
    int level = store_access_parse(json_string_value(json_object_get(j, "access")));
    if (level >= 0)
        f->access = level;
    json_t *authors = json_object_get(j, "authors");
    if (json_is_array(authors)) {
        f->author_count = 0;
        size_t i;
        json_array_foreach(authors, i, v)
        {
            if (json_is_integer(v) && f->author_count < ARRAY_LEN(f->authors))
                f->authors[f->author_count++] = json_integer_value(v);
        }
    }
    f->version = as->base_version;
    json_decref(j);
    return 0;
}

/* The autosave JSON of the posted form f (keys as the file's header says): a heap string. */
static char *autosave_json(const struct editor_form *f)
{
    json_t *authors = json_array();
    for (size_t i = 0; i < f->author_count; i++)
        json_array_append_new(authors, json_integer(f->authors[i]));
    json_t *j = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:o, s:s, s:s, s:s, s:s, s:s}", "headline",
        f->headline, "dek", f->dek, "byline", f->byline, "body_markdown", f->body, "slug", f->slug,
        "section_id", (json_int_t)f->section_id, "publication_id", (json_int_t)f->publication_id,
        "access", f->access >= 0 ? store_access_name((enum access_level)f->access) : "", "authors",
        authors, "tags", f->tags, "seo_title", f->seo_title, "seo_description", f->seo_description,
        "editor_note", f->editor_note, "original_url", f->original_url);
    if (!j)
        return NULL;
    char *out = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return out;
}

/* ---- the editor page ----------------------------------------------------------------------- */

/* The picker offers the first STORE_AUTHOR_CHOICES authors by name; an author the form has
 * chosen who is not among them (the 1001st by name) is added to *choices, so that the pickers
 * show them selected and a save keeps them (before, they were dropped from the article on the
 * next save). 0, or -1 when a lookup failed (logged by the store). */
static int with_chosen_authors(struct req *r, const struct editor_form *f,
                               struct author_choice **choices, size_t *n)
{
    struct author_choice *all = NULL;
    size_t count = *n;
    for (size_t k = 0; k < f->author_count; k++) {
        int present = 0;
        for (size_t i = 0; i < count && !present; i++)
            present = (all ? all : *choices)[i].id == f->authors[k];
        if (present)
            continue;
        struct author au;
        int rc = store_author_by_id(r->app->store, r->arena, f->authors[k], &au);
        if (rc == STORE_NOT_FOUND)
            continue; /* deleted since: the save says so */
        if (rc != STORE_OK)
            return -1;
        if (!all) {
            all = arena_alloc(r->arena, (*n + f->author_count) * sizeof *all);
            memcpy(all, *choices, *n * sizeof *all);
        }
        all[count++] = (struct author_choice){.id = au.id, .name = au.name};
    }
    if (all) {
        *choices = all;
        *n = count;
    }
    return 0;
}

enum MHD_Result editor_page(struct req *r, unsigned status, const struct editor_form *f,
                            const struct editor_view *v)
{
    struct store *st = r->app->store;
    const struct user *u = &r->reader->user;
    const struct newsroom_article *art = v->art;
    json_t *ctx = newsroom_context(
        r, "articles", art ? (*art->headline ? art->headline : "Untitled draft") : "New article");

    struct section *sections;
    struct publication *publications;
    struct author_choice *authors;
    size_t nsections, npublications, nauthors;
    if (store_sections(st, r->arena, &sections, &nsections) != STORE_OK ||
        store_publications(st, r->arena, &publications, &npublications) != STORE_OK ||
        store_newsroom_author_choices(st, r->arena, &authors, &nauthors) != STORE_OK) {
        json_decref(ctx);
        return respond_error(r, 500);
    }
    if (with_chosen_authors(r, f, &authors, &nauthors) != 0) {
        json_decref(ctx);
        return respond_error(r, 500);
    }
    json_t *list = json_array();
    for (size_t i = 0; i < nsections; i++)
        list = render_append(list, render_pack("{s:I, s:s, s:b}", "id", (json_int_t)sections[i].id,
                                               "name", sections[i].name, "selected",
                                               sections[i].id == f->section_id));
    ctx = render_set(ctx, "sections", list);
    list = json_array();
    for (size_t i = 0; i < npublications; i++)
        list =
            render_append(list, render_pack("{s:I, s:s, s:b}", "id", (json_int_t)publications[i].id,
                                            "name", publications[i].name, "selected",
                                            publications[i].id == f->publication_id));
    ctx = render_set(ctx, "publications", list);
    list = json_array();
    for (int level = ACCESS_FREE; level <= ACCESS_SUBSCRIBERS; level++)
        list = render_append(list, render_pack("{s:s, s:b}", "value",
                                               store_access_name((enum access_level)level),
                                               "selected", level == f->access));
    ctx = render_set(ctx, "access_levels", list);
    /* The author pickers: one per chosen author, and at least AUTHOR_SLOTS. */
    size_t slots = f->author_count + 1 > AUTHOR_SLOTS ? f->author_count + 1 : AUTHOR_SLOTS;
    list = json_array();
    for (size_t slot = 0; slot < slots; slot++) {
        int64_t chosen = slot < f->author_count ? f->authors[slot] : 0;
        json_t *options = json_array();
        for (size_t i = 0; i < nauthors; i++)
            options = render_append(
                options, render_pack("{s:I, s:s, s:b}", "id", (json_int_t)authors[i].id, "name",
                                     authors[i].name, "selected", authors[i].id == chosen));
        list = render_append(
            list, render_pack("{s:i, s:o}", "number", (int)slot + 1, "options", options));
    }
    ctx = render_set(ctx, "author_slots", list);
    json_object_set_new(ctx, "has_authors", json_boolean(nauthors > 0));

    ctx = render_set(
        ctx, "form",
        render_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s}", "headline",
                    f->headline, "dek", f->dek, "byline", f->byline, "body_markdown", f->body,
                    "slug", f->slug, "tags", f->tags, "seo_title", f->seo_title, "seo_description",
                    f->seo_description, "editor_note", f->editor_note, "original_url",
                    f->original_url, "version", (json_int_t)f->version, "publish_at",
                    *f->publish_at
                        ? f->publish_at
                        : datetime_value(
                              r, art && art->state == ARTICLE_SCHEDULED ? art->published_at : 0)));
    json_object_set_new(json_object_get(ctx, "form"), "embargo", json_boolean(f->embargo));

    enum role role = u->role;
    const char *base = art ? arena_printf(r->arena, "/newsroom/articles/%lld", (long long)art->id)
                           : "/newsroom/articles/new";
    if (art) {
        int editable = store_newsroom_may(art, u->id, role, NEWSROOM_EDIT);
        ctx = render_set(
            ctx, "article",
            render_prune_empty(render_pack(
                "{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b}", "id", (json_int_t)art->id,
                "url", base, "slug", art->slug, "state", store_article_state_name(art->state),
                "updated", render_when(r->arena, art->updated_at), "updated_by",
                art->updated_by_name, "published", render_when(r->arena, art->published_at),
                "created_by", art->created_by_name, "is_published", art->state == ARTICLE_PUBLISHED,
                "is_scheduled", art->state == ARTICLE_SCHEDULED)));
        newsroom_article_fates(r, json_object_get(ctx, "article"), art);
        ctx = render_set(
            ctx, "may",
            render_pack("{s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b}", "edit", editable, "submit",
                        store_newsroom_may(art, u->id, role, NEWSROOM_SUBMIT), "publish",
                        store_newsroom_may(art, u->id, role, NEWSROOM_PUBLISH), "schedule",
                        store_newsroom_may(art, u->id, role, NEWSROOM_SCHEDULE), "unpublish",
                        store_newsroom_may(art, u->id, role, NEWSROOM_UNPUBLISH), "draft",
                        store_newsroom_may(art, u->id, role, NEWSROOM_TO_DRAFT), "delete",
                        store_newsroom_may(art, u->id, role, NEWSROOM_DELETE), "kill",
                        store_newsroom_may(art, u->id, role, NEWSROOM_KILL)));
        json_object_set_new(ctx, "read_only", json_boolean(!editable));
    } else {
        ctx = render_set(ctx, "may", render_pack("{s:b}", "edit", 1));
        json_object_set_new(ctx, "read_only", json_false());
    }
    json_object_set_new(ctx, "is_new", json_boolean(!art));
    json_object_set_new(ctx, "action", json_string(base));
    json_object_set_new(ctx, "autosave_url",
                        json_string(arena_printf(r->arena, "%s/autosave", base)));
    if (v->notice && *v->notice)
        json_object_set_new(ctx, "notice", json_string(v->notice));
    json_object_set_new(ctx, "restored", json_boolean(v->restored));
    if (v->error && *v->error)
        json_object_set_new(ctx, "error", json_string(v->error));
    if (v->conflict && v->stored) {
        ctx = render_set(
            ctx, "conflict",
            render_pack("{s:s, s:s, s:s, s:s}", "message",
                        arena_printf(r->arena,
                                     "Changed by %s at %s since you opened it. Your text is kept "
                                     "in the form below; what is stored now is shown here. "
                                     "Saving again replaces the stored version with yours.",
                                     *v->conflict->updated_by_name ? v->conflict->updated_by_name
                                                                   : "someone",
                                     render_when(r->arena, v->conflict->updated_at)),
                        "headline", v->stored->headline, "dek", v->stored->dek, "body_markdown",
                        v->stored->body_markdown));
        json_t *conflict = json_object_get(ctx, "conflict");
        if (conflict && strcmp(v->stored->body_markdown, f->body) != 0) {
            struct buf out = BUF_INIT;
            diff_html(v->stored->body_markdown, strlen(v->stored->body_markdown), f->body,
                      strlen(f->body), &out, NULL);
            buf_putc(&out, '\0');
            /* diff.c escapes every token and adds only <del> and <ins>: markup Broadsheet
             * built. */
            json_object_set_new(conflict, "has_diff", json_true());
            json_object_set_new(conflict, "diff", html_trusted(out.data));
            buf_free(&out);
        }
    }
    return newsroom_send(r, status, "newsroom-editor", ctx);
}

/* The editor for stored article art, with the person's autosave restored when they have one. */
static enum MHD_Result editor_for_stored(struct req *r, const struct newsroom_article *art,
                                         const char *notice)
{
    struct editor_form f;
    struct editor_view v = {.art = art, .notice = notice};
    struct autosave as;
    int rc = store_autosave_get(r->app->store, r->arena, art->id, r->reader->user.id, &as);
    if (rc == STORE_ERROR)
        return respond_error(r, 500);
    if (rc == STORE_OK &&
        store_newsroom_may(art, r->reader->user.id, r->reader->user.role, NEWSROOM_EDIT) &&
        form_from_autosave(r, &as, art, &f) == 0) {
        v.restored = 1;
        v.notice = as.base_version < art->version
                       ? arena_printf(r->arena,
                                      "Restored your unsaved changes from %s. The article has "
                                      "been saved since you made them: saving will show you "
                                      "what changed.",
                                      render_when(r->arena, as.saved_at))
                       : arena_printf(r->arena, "Restored your unsaved changes from %s.",
                                      render_when(r->arena, as.saved_at));
    } else {
        editor_form_from_article(art, &f);
    }
    return editor_page(r, 200, &f, &v);
}

/* ---- the handlers -------------------------------------------------------------------------- */

/* The defaults of a new article's form: the host publication, the first section, metered. */
static void new_form(struct req *r, struct editor_form *f)
{
    memset(f, 0, sizeof *f);
    f->headline = f->dek = f->byline = f->body = f->slug = f->tags = "";
    f->seo_title = f->seo_description = f->editor_note = f->publish_at = f->original_url = "";
    f->access = ACCESS_METERED;
    struct section *sections;
    struct publication *publications;
    size_t n;
    if (store_sections(r->app->store, r->arena, &sections, &n) == STORE_OK && n)
        f->section_id = sections[0].id;
    if (store_publications(r->app->store, r->arena, &publications, &n) == STORE_OK && n)
        f->publication_id = publications[0].id; /* the host comes first */
}

enum MHD_Result page_newsroom_new(struct req *r)
{
    struct editor_form f;
    struct editor_view v = {0};
    if (r->method != METHOD_POST) {
        new_form(r, &f);
        return editor_page(r, 200, &f, &v);
    }
    const char *problem = editor_form_from_post(r, &f);
    if (problem) {
        v.error = problem;
        return editor_page(r, 422, &f, &v);
    }
    struct newsroom_article_input in;
    char *html, err[300] = "";
    input_from_form(&f, &in, &html);
    int64_t id = 0;
    int rc = store_newsroom_create(r->app->store, &in, r->reader->user.id, util_now(), &id, err,
                                   sizeof err);
    free(html);
    if (rc == STORE_INVALID) {
        v.error = err;
        return editor_page(r, 422, &f, &v);
    }
    if (rc != STORE_OK)
        return respond_error(r, 500);
    return respond_redirect(
        r, 303, arena_printf(r->arena, "/newsroom/articles/%lld?done=created", (long long)id));
}

int editor_save_form(struct req *r, const struct newsroom_article *art, struct editor_form *f,
                     int64_t *version, enum MHD_Result *answer)
{
    struct editor_view v = {.art = art};
    *version = f->version;
    if (f->version == art->version && !editor_form_differs(f, art))
        return 0;
    struct newsroom_article_input in;
    struct newsroom_conflict conflict;
    char *html, err[300] = "";
    input_from_form(f, &in, &html);
    int rc = store_newsroom_save(r->app->store, art->id, f->version, &in, r->reader->user.id,
                                 util_now(), &conflict, err, sizeof err);
    free(html);
    if (rc == STORE_OK) {
        *version = f->version + 1;
        return 0;
    }
    if (rc == STORE_INVALID) {
        v.error = err;
        *answer = editor_page(r, 422, f, &v);
    } else if (rc == STORE_CONFLICT) {
        struct newsroom_article *now = arena_alloc(r->arena, sizeof *now);
        if (store_newsroom_article(r->app->store, r->arena, art->id, now) != STORE_OK) {
            *answer = respond_error(r, 500);
            return 1;
        }
        v.art = now;
        v.conflict = &conflict;
        v.stored = now;
        v.error = "This article was changed since you opened it: nothing was saved.";
        f->version = now->version; /* saving again is deliberate: replaces theirs */
        if (!store_newsroom_may(now, r->reader->user.id, r->reader->user.role, NEWSROOM_EDIT))
            v.error = "This article was changed since you opened it, and you may no longer edit "
                      "it: nothing was saved.";
        *answer = editor_page(r, 409, f, &v);
    } else {
        *answer = newsroom_store_failed(r, rc);
    }
    return 1;
}

enum MHD_Result page_newsroom_article(struct req *r)
{
    struct newsroom_article art;
    int rc = newsroom_load_article(r, &art);
    if (rc != STORE_OK)
        return newsroom_store_failed(r, rc);
    if (r->method != METHOD_POST)
        return editor_for_stored(r, &art, newsroom_article_done_message(req_query(r, "done")));
    if (!store_newsroom_may(&art, r->reader->user.id, r->reader->user.role, NEWSROOM_EDIT))
        return respond_error(r, 403);
    struct editor_form f;
    const char *problem = editor_form_from_post(r, &f);
    if (problem) {
        struct editor_view v = {.art = &art, .error = problem};
        return editor_page(r, 422, &f, &v);
    }
    int64_t version;
    enum MHD_Result answer;
    if (editor_save_form(r, &art, &f, &version, &answer))
        return answer;
    if (version == f.version) /* nothing to save; the autosave the form replaced goes too */
        store_autosave_delete(r->app->store, art.id, r->reader->user.id);
    return respond_redirect(
        r, 303, arena_printf(r->arena, "/newsroom/articles/%lld?done=saved", (long long)art.id));
}

enum MHD_Result page_newsroom_autosave(struct req *r)
{
    struct store *st = r->app->store;
    const struct user *u = &r->reader->user;
    int is_new = !strcmp(r->params[0], "new");
    struct newsroom_article art;
    int rc = STORE_OK;
    if (!is_new) {
        rc = newsroom_load_article(r, &art);
        if (rc != STORE_OK)
            return newsroom_store_failed(r, rc);
        if (!store_newsroom_may(&art, u->id, u->role, NEWSROOM_EDIT))
            return respond_error(r, 403);
    }
    int retry = 0;
    char key[64];
    snprintf(key, sizeof key, "autosave:%lld", (long long)u->id);
    int hit = store_limit_hit(st, key, AUTOSAVES_PER_MINUTE, 60, util_now_ms(), &retry);
    if (hit == 0)
        return respond_too_many(r, retry);
    if (hit < 0)
        return respond_unavailable(r, 5);
    struct editor_form f;
    const char *problem = form_read_post(r, &f, 1);
    if (problem) {
        json_t *j = json_pack("{s:b, s:s}", "ok", 0, "error", problem);
        enum MHD_Result ret = respond_json(r, 422, j);
        json_decref(j);
        return ret;
    }
    int64_t now = util_now(), id = is_new ? 0 : art.id, base = f.version;
    if (is_new) { /* the first autosave of a new article makes its draft, empty */
        struct newsroom_article_input in = {.headline = "",
                                            .body_markdown = "",
                                            .body_html = "",
                                            .publication_id = f.publication_id,
                                            .section_id = f.section_id,
                                            .access = (enum access_level)f.access};
        char err[300] = "";
        rc = store_newsroom_create(st, &in, u->id, now, &id, err, sizeof err);
        if (rc != STORE_OK)
            return respond_error(r, rc == STORE_INVALID ? 422 : 500);
        base = 1;
    } else if (!base || base > art.version) {
        return respond_error(r, 400);
    }
    char *fields = autosave_json(&f);
    if (!fields)
        return respond_error(r, 500);
    rc = store_autosave_put(st, id, u->id, base, now, fields);
    free(fields);
    if (rc != STORE_OK)
        return respond_error(r, 500);
    const char *url = arena_printf(r->arena, "/newsroom/articles/%lld", (long long)id);
    json_t *j = json_pack("{s:b, s:I, s:s, s:s, s:I, s:I, s:s}", "ok", 1, "id", (json_int_t)id,
                          "url", url, "autosave_url", arena_printf(r->arena, "%s/autosave", url),
                          "version", (json_int_t)base, "saved_at", (json_int_t)now, "saved",
                          render_when(r->arena, now));
    enum MHD_Result ret = respond_json(r, 200, j);
    json_decref(j);
    return ret;
}

enum MHD_Result page_newsroom_autosave_discard(struct req *r)
{
    struct newsroom_article art;
    int rc = newsroom_load_article(r, &art);
    if (rc != STORE_OK)
        return newsroom_store_failed(r, rc);
    if (store_autosave_delete(r->app->store, art.id, r->reader->user.id) != STORE_OK)
        return respond_error(r, 500);
    return respond_redirect(
        r, 303,
        arena_printf(r->arena, "/newsroom/articles/%lld?done=discarded", (long long)art.id));
}
