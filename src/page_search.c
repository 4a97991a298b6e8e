/*
 * page_search.c: /search, the readers' search (issue 12, "Search"; store.h "Readers' search").
 *
 *   /search?q=…&section=SLUG&publication=SLUG&from=YYYY-MM-DD&to=YYYY-MM-DD&page=N
 *
 * The query text is parsed here (search_query.h) and the store runs it; the page shows the
 * form with its filters, "N results" (counted up to what the pages can show: "more than N"
 * beyond), SEARCH_PAGE_SIZE results a page, best first, each with a snippet whose matches are
 * <mark>ed, and links to the pages before and after, up to SEARCH_PAGES_MAX pages (a reader
 * refines a query rather than read page 51; each page deeper costs the database more).
 *
 * Not a cached page: the results depend on the query string, which the page cache does not key
 * on, and on the reader (a subscriber, or a reader at an institution's address, is matched and
 * shown snippets from whole articles; anyone else from what the paywall lets them read), so it
 * is a handler of its own, sent with Cache-Control no-store, on the job pool (the database's
 * work for a query can be long; the HTTP threads stay free).
 *
 * Each client address may run search_rate_limit searches a minute (the account forms' token
 * bucket in the database, key "search-ip:ADDRESS", so nodes share one allowance); beyond, 429
 * with Retry-After. Only a search that runs counts: the empty form and a refused filter do not;
 * a search the database cannot count (its write lock held past the store's wait) runs uncounted.
 *
 * Nothing a reader types gives a 500: a text with nothing to search for shows the form with a
 * message (200), and a filter that is not one (an unknown section, a date that is not a date, a
 * page that is not a number or past the last) is a 400 with the form and what was wrong. The
 * server has already refused (400) a query string that is not UTF-8 or holds a control
 * character (NUL included).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "account.h"
#include "app.h"
#include "buf.h"
#include "cmd.h"
#include "html.h"
#include "pages.h"
#include "paywall.h"
#include "reader.h"
#include "render.h"
#include "respond.h"
#include "search_query.h"
#include "util.h"

#define SEARCH_PAGE_SIZE 20
#define SEARCH_PAGES_MAX 50

/* The request's filters, as typed (for the form and the links) and as the store takes them. */
struct search_form {
    const char *q, *section, *publication, *from, *to;
    long page;
    struct search_filter filter;
    const char *error; /* what was wrong with a filter, or NULL */
};

/* The query argument name, or "" when absent. */
static const char *arg(struct req *r, const char *name)
{
    const char *value = req_query(r, name);
    return value ? value : "";
}

/* Reads and checks the filters into f. Returns 0, or -1 with f->error set, or -2 when the
 * store failed. */
static int read_form(struct req *r, struct search_form *f)
{
    struct store *st = r->app->store;
    f->q = arg(r, "q");
    f->section = arg(r, "section");
    f->publication = arg(r, "publication");
    f->from = arg(r, "from");
    f->to = arg(r, "to");
    f->page = 1;
    const char *page = arg(r, "page");
    if (*page && cmd_parse_whole(page, 1, SEARCH_PAGES_MAX, &f->page) != 0) {
        f->error = "Results are shown up to page 50: the page must be a number from 1 to 50.";
        return -1;
    }
    if (*f->section) {
        struct section s;
        int rc = store_section_by_slug(st, r->arena, f->section, &s);
        if (rc == STORE_ERROR)
            return -2;
        if (rc != STORE_OK) {
            f->error = "There is no such section.";
            return -1;
        }
        f->filter.section_id = s.id;
    }
    if (*f->publication) {
        struct publication p;
        int rc = store_publication_by_slug(st, r->arena, f->publication, &p);
        if (rc == STORE_ERROR)
            return -2;
        if (rc != STORE_OK) {
            f->error = "There is no such publication.";
            return -1;
        }
        f->filter.publication_id = p.id;
    }
    if ((*f->from && cmd_parse_day_start(f->from, &f->filter.from) != 0) ||
        (*f->to && cmd_parse_day_end(f->to, &f->filter.to) != 0)) {
        f->error = "Dates are written YYYY-MM-DD, such as 2024-03-31.";
        return -1;
    }
    return 0;
}

/* 1 if the reader may read every article in full without spending a metered read: a
 * subscriber, or a reader at an active organisation's address (access.h's rule 2). */
static int entitled(struct req *r)
{
    if (r->reader && access_subscription_active(&r->reader->subscription, util_now()))
        return 1;
    char ip[64];
    req_client_ip(r, ip, sizeof ip);
    return paywall_institution(r->app->paywall, r->arena, ip) != NULL;
}

/* The snippet as trusted HTML: its text escaped, each STORE_SEARCH_MARK_START …
 * STORE_SEARCH_MARK_END span as <mark>…</mark> (an unclosed one closed at the end). The
 * index's text is never trusted as HTML: a '<' in an article is text here. */
static json_t *snippet_html(const char *snippet)
{
    char *repaired = util_utf8_valid(snippet, strlen(snippet)) ? NULL : util_utf8_repair(snippet);
    const char *p = repaired ? repaired : snippet;
    struct buf out = BUF_INIT;
    int open = 0;
    while (*p) {
        size_t run = strcspn(p, "\x02\x03");
        html_text(&out, p, run);
        p += run;
        if (*p == STORE_SEARCH_MARK_START && !open) {
            buf_puts(&out, "<mark>");
            open = 1;
        } else if (*p == STORE_SEARCH_MARK_END && open) {
            buf_puts(&out, "</mark>");
            open = 0;
        }
        if (*p)
            p++;
    }
    if (open)
        buf_puts(&out, "</mark>");
    buf_putc(&out, '\0');
    json_t *html = html_trusted(out.data);
    buf_free(&out);
    free(repaired);
    return html;
}

/* The /search URL of form f at page (the query and the filters kept), into a. */
static const char *page_url(struct arena *a, const struct search_form *f, long page)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, "/search?q=");
    html_url_arg(&b, f->q, strlen(f->q));
    const struct {
        const char *name, *value;
    } args[] = {
        {"section", f->section}, {"publication", f->publication}, {"from", f->from}, {"to", f->to}};
    for (size_t i = 0; i < sizeof args / sizeof args[0]; i++)
        if (*args[i].value) {
            buf_printf(&b, "&%s=", args[i].name);
            html_url_arg(&b, args[i].value, strlen(args[i].value));
        }
    if (page > 1)
        buf_printf(&b, "&page=%ld", page);
    const char *url = arena_strdup(a, b.data ? b.data : "/search");
    buf_free(&b);
    return url;
}

/* The filters' choices for the form: [{slug, name, selected}] of the sections and the
 * publications. NULL when the store failed. */
static json_t *choices(struct req *r, int sections, const char *selected)
{
    json_t *list = json_array();
    size_t n;
    if (sections) {
        struct section *all;
        if (store_sections(r->app->store, r->arena, &all, &n) != STORE_OK) {
            json_decref(list);
            return NULL;
        }
        for (size_t i = 0; i < n; i++)
            list = render_append(list, render_pack("{s:s, s:s, s:b}", "slug", all[i].slug, "name",
                                                   all[i].name, "selected",
                                                   !strcmp(all[i].slug, selected)));
    } else {
        struct publication *all;
        if (store_publications(r->app->store, r->arena, &all, &n) != STORE_OK) {
            json_decref(list);
            return NULL;
        }
        for (size_t i = 0; i < n; i++)
            list = render_append(list, render_pack("{s:s, s:s, s:b}", "slug", all[i].slug, "name",
                                                   all[i].name, "selected",
                                                   !strcmp(all[i].slug, selected)));
    }
    return list;
}

/* Runs the search of f into ctx: results, count and pager. Returns 0, 1 when f's page is past
 * the last one, or -1 when the store failed. */
static int results(struct req *r, json_t **ctx, const struct search_form *f,
                   const struct search_query *q)
{
    struct store *st = r->app->store;
    int full = entitled(r);
    int64_t cap = (int64_t)SEARCH_PAGE_SIZE * SEARCH_PAGES_MAX + 1, count;
    if (store_search_count(st, q, &f->filter, full, cap, &count) != STORE_OK)
        return -1;
    struct search_hit *hits = NULL;
    size_t n = 0;
    long offset = (f->page - 1) * SEARCH_PAGE_SIZE;
    if (offset < count && store_search(st, r->arena, q, &f->filter, full, (int)offset,
                                       SEARCH_PAGE_SIZE, &hits, &n) != STORE_OK)
        return -1;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *card = render_card(&hits[i].article);
        if (card)
            json_object_set_new(card, "snippet", snippet_html(hits[i].snippet));
        list = render_append(list, card);
    }
    *ctx = render_set(*ctx, "results", list);
    const char *shown = count >= cap
                            ? arena_printf(r->arena, "More than %lld results", (long long)(cap - 1))
                        : count == 1 ? "1 result"
                                     : arena_printf(r->arena, "%lld results", (long long)count);
    json_object_set_new(*ctx, "count_text", json_string(shown));
    json_object_set_new(*ctx, "searched", json_true());
    json_object_set_new(*ctx, "empty", json_boolean(n == 0));
    long last =
        count >= cap ? SEARCH_PAGES_MAX : (long)((count + SEARCH_PAGE_SIZE - 1) / SEARCH_PAGE_SIZE);
    if (f->page > 1 && f->page > last)
        return 1; /* past the last page */
    int has_prev = f->page > 1, has_next = f->page < last;
    json_object_set_new(*ctx, "paged", json_boolean(has_prev || has_next));
    json_object_set_new(*ctx, "has_prev", json_boolean(has_prev));
    json_object_set_new(*ctx, "has_next", json_boolean(has_next));
    if (has_prev)
        json_object_set_new(*ctx, "prev_url", json_string(page_url(r->arena, f, f->page - 1)));
    if (has_next)
        json_object_set_new(*ctx, "next_url", json_string(page_url(r->arena, f, f->page + 1)));
    json_object_set_new(*ctx, "page_number", json_integer(f->page));
    json_object_set_new(*ctx, "page_last", json_integer(last));
    json_object_set_new(*ctx, "pages_capped", json_boolean(count >= cap));
    return 0;
}

enum MHD_Result page_search(struct req *r)
{
    struct search_form f = {0};
    int form = read_form(r, &f);
    if (form == -2)
        return respond_error(r, 500);
    struct search_query q;
    search_query_parse(f.q, strlen(f.q), &q);
    const char *title = *f.q ? arena_printf(r->arena, "Search: %s", f.q) : "Search";
    json_t *ctx = render_context(r, "search", title, "Search the articles.", "/search", NULL);
    ctx = render_set(ctx, "search",
                     render_pack("{s:s, s:s, s:s, s:s, s:s}", "q", f.q, "section", f.section,
                                 "publication", f.publication, "from", f.from, "to", f.to));
    ctx = render_set(ctx, "section_choices", choices(r, 1, f.section));
    ctx = render_set(ctx, "publication_choices", choices(r, 0, f.publication));
    unsigned status = 200;
    const char *message = NULL;
    if (form == -1) {
        status = 400;
        message = f.error;
    } else if (*f.q && q.included == 0) {
        message = "Type one or more words to search for (a word with - before it leaves "
                  "articles with that word out, and needs another word beside it).";
    } else if (q.included > 0) {
        /* Each search costs the database real work (the page is not cached): a client address
         * may run search_rate_limit a minute, so that a crawler of searches cannot fill the
         * job pool the site's writes need. */
        int limit = r->app->config->search_rate_limit;
        if (limit > 0) {
            char key[64];
            account_client_key(r, key, sizeof key);
            /* wait < 0: the database could not count it (its write lock held by a long
             * import): the search, a read, runs uncounted rather than fail */
            int wait = account_limited(r, "search-ip", key, limit, 60);
            if (wait > 0) {
                json_decref(ctx);
                return account_refused(r, wait);
            }
        }
        int rc = results(r, &ctx, &f, &q);
        if (rc < 0) {
            json_decref(ctx);
            return respond_error(r, 500);
        }
        if (rc > 0) {
            status = 404;
            message = "There are not that many pages of results.";
        }
    }
    json_object_set_new(ctx, "message", json_string(message ? message : ""));
    json_object_set_new(ctx, "has_message", json_boolean(message != NULL));
    return account_send(r, status, "search", ctx);
}
