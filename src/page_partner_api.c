/*
 * page_partner_api.c: the partners' API (issue 13, docs/partners.md): the items of a partner's
 * product as IPTC ninjs 2.2, from the item log (store.h, "The item log").
 *
 *   GET /api/ninjs/2.2/items?after=CURSOR&limit=N   the versions after CURSOR, oldest first
 *   GET /api/ninjs/2.2/items/ID                     the item's latest version
 *   GET /api/ninjs/2.2/items/ID/versions/N          version N
 *
 * Every request carries `Authorization: Bearer KEY`. A missing, malformed, unknown or rotated
 * key gets 401 (RFC 6750's WWW-Authenticate); an item outside the partner's product gets the
 * same 404 as one that does not exist, so a partner cannot learn what else the site holds. Each
 * key may make partner_rate_limit requests a minute (a token bucket in the database, so every
 * node counts against one allowance); beyond, 429 with Retry-After (a request the database
 * cannot count, its write lock held by a long import, is served uncounted). Answers are JSON
 * with a strong ETag (If-None-Match: 304) and Cache-Control private, no-cache: a partner's
 * answer is its own, and a changed item changes it.
 *
 * The cursor is the log's seq as decimal digits. Partners are told to treat it as opaque: a
 * later version may encode more in it, and the answer's `next` is always the cursor to send.
 * The handlers run on the job pool (ROUTE_JOB): each reads the database.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app.h"
#include "entity.h"
#include "ninjs.h"
#include "pages.h"
#include "partner.h"
#include "respond.h"
#include "util.h"

#define API_PAGE_DEFAULT 20
#define API_CACHE_CONTROL "private, no-cache"

/* A JSON error ({"error": code, "message": message}) with status, and header: value when set. */
static enum MHD_Result api_error(struct req *r, unsigned status, const char *code,
                                 const char *message, const char *header, const char *value)
{
    json_t *e = json_pack("{s:s, s:s}", "error", code, "message", message);
    char *text = e ? json_dumps(e, JSON_COMPACT) : NULL;
    json_decref(e);
    if (header)
        respond_header(r, header, value);
    struct respond_options o = {.content_type = "application/json", .cache_control = "no-store"};
    enum MHD_Result result =
        text ? respond_buffer(r, status, &o, text, strlen(text)) : respond_error(r, 500);
    free(text);
    return result;
}

static enum MHD_Result api_unavailable(struct req *r)
{
    return api_error(r, 503, "unavailable", "The store did not answer; try again shortly.",
                     "Retry-After", "5");
}

/* The partner r's Bearer key names, into *p: 1, or 0 after answering (401, 429, 503). */
static int api_partner(struct req *r, struct partner *p, enum MHD_Result *answered)
{
    static const char challenge[] = "Bearer realm=\"broadsheet\"";
    const char *auth = req_header(r, "Authorization");
    if (!auth || strncasecmp(auth, "Bearer ", 7) != 0) {
        *answered =
            api_error(r, 401, "unauthorized", "Send your API key as: Authorization: Bearer KEY.",
                      "WWW-Authenticate", challenge);
        return 0;
    }
    const char *key = auth + 7;
    while (*key == ' ')
        key++;
    int rc = partner_key_valid(key) ? store_partner_by_key(r->app->store, r->arena, key, p)
                                    : STORE_NOT_FOUND;
    if (rc == STORE_NOT_FOUND) {
        *answered =
            api_error(r, 401, "invalid_key",
                      "This API key is not valid: it is unknown, or was rotated or revoked.",
                      "WWW-Authenticate", "Bearer realm=\"broadsheet\", error=\"invalid_token\"");
        return 0;
    }
    if (rc != STORE_OK) {
        *answered = api_unavailable(r);
        return 0;
    }
    char limit_key[48];
    snprintf(limit_key, sizeof limit_key, "partner-api:%lld", (long long)p->id);
    int retry = 0;
    int allowed = store_limit_hit(r->app->store, limit_key, r->app->config->partner_rate_limit, 60,
                                  util_now_ms(), &retry);
    if (allowed == 0) {
        char value[16];
        snprintf(value, sizeof value, "%d", retry > 0 ? retry : 1);
        *answered = api_error(r, 429, "rate_limited",
                              "Too many requests for this key: wait as Retry-After says.",
                              "Retry-After", value);
        return 0;
    }
    /* The database could not count the request (its write lock held past the busy timeout,
     * say by a long import on SQLite): serve it uncounted. The key is valid and what it asks
     * for is a read, which needs no write lock; refusing would make every partner's poll fail
     * for as long as an import runs. */
    return 1;
}

/* The site every item names. */
static struct ninjs_site api_site(struct req *r)
{
    const struct config *c = r->app->config;
    return (struct ninjs_site){c->site_name, r->app->site_url, c->preview_paragraphs};
}

/* The publication pub_id, from the n already read (pubs, room for max) or the store (kept in
 * pubs while there is room, else read into r's arena each time): NULL when it is gone. */
static const struct publication *api_publication(struct req *r, int64_t pub_id,
                                                 struct publication *pubs, size_t *n, size_t max)
{
    for (size_t i = 0; i < *n; i++)
        if (pubs[i].id == pub_id)
            return &pubs[i];
    struct publication *p = *n < max ? &pubs[*n] : arena_alloc(r->arena, sizeof *p);
    if (store_publication_by_id(r->app->store, r->arena, pub_id, p) != STORE_OK)
        return NULL;
    if (*n < max)
        (*n)++;
    return p;
}

/* Sends value as the answer: 200 with a strong ETag over its bytes, or 304. */
static enum MHD_Result api_send(struct req *r, json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(value);
    if (!text)
        return respond_error(r, 500);
    struct entity *e =
        entity_new(200, "application/json", API_CACHE_CONTROL, text, strlen(text), 1);
    free(text);
    enum MHD_Result result = respond_entity(r, e);
    entity_free(e);
    return result;
}

/* A cursor: absent, "" or "0" is the start (0); else decimal digits without a leading zero that
 * fit the log's seq. -1 when it is not one. */
static int64_t parse_cursor(const char *text)
{
    if (!text || !*text || !strcmp(text, "0"))
        return 0;
    int64_t seq = util_parse_path_id(text); /* 0: not one */
    return seq > 0 ? seq : -1;
}

enum MHD_Result page_api_items(struct req *r)
{
    struct partner p;
    enum MHD_Result answered;
    if (!api_partner(r, &p, &answered))
        return answered;
    int64_t after = parse_cursor(req_query(r, "after"));
    if (after < 0)
        return api_error(r, 400, "bad_cursor",
                         "after must be a cursor this API gave you (the answer's next), or absent "
                         "to start from the beginning.",
                         NULL, NULL);
    int limit = API_PAGE_DEFAULT;
    const char *limit_text = req_query(r, "limit");
    if (limit_text) {
        int64_t n = util_parse_path_id(limit_text);
        if (n < 1 || n > ITEMS_PAGE_MAX)
            return api_error(r, 400, "bad_limit", "limit must be a whole number from 1 to 100.",
                             NULL, NULL);
        limit = (int)n;
    }
    struct item_version *items;
    size_t n;
    int more;
    int64_t next_seq;
    if (store_items_after(r->app->store, r->arena, p.id, after, limit, &items, &n, &next_seq,
                          &more) != STORE_OK)
        return api_unavailable(r);
    struct ninjs_site site = api_site(r);
    int preview = !strcmp(p.content, "preview");
    struct publication pubs[16];
    size_t npubs = 0;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct publication *pub =
            api_publication(r, items[i].publication_id, pubs, &npubs, 16);
        json_array_append_new(list, ninjs_version_item(&items[i], pub, &site, preview));
    }
    char next[24];
    snprintf(next, sizeof next, "%lld", (long long)next_seq);
    json_t *page = json_object();
    json_object_set_new(page, "items", list);
    json_object_set_new(page, "next", json_string(next));
    json_object_set_new(page, "more", json_boolean(more));
    return api_send(r, page);
}

/* items/ID (version 0: the latest) and items/ID/versions/N. */
static enum MHD_Result api_item(struct req *r, int64_t id, int64_t version)
{
    struct partner p;
    enum MHD_Result answered;
    if (!api_partner(r, &p, &answered))
        return answered;
    if (id <= 0 || version < 0)
        return api_error(r, 404, "not_found", "No such item.", NULL, NULL);
    struct item_version v;
    int rc = store_item_get(r->app->store, r->arena, p.id, id, version, &v);
    if (rc == STORE_NOT_FOUND)
        return api_error(r, 404, "not_found", "No such item.", NULL, NULL);
    if (rc != STORE_OK)
        return api_unavailable(r);
    struct ninjs_site site = api_site(r);
    struct publication pub;
    int have = store_publication_by_id(r->app->store, r->arena, v.publication_id, &pub);
    if (have == STORE_ERROR)
        return api_unavailable(r);
    return api_send(r, ninjs_version_item(&v, have == STORE_OK ? &pub : NULL, &site,
                                          !strcmp(p.content, "preview")));
}

enum MHD_Result page_api_item(struct req *r)
{
    return api_item(r, util_parse_path_id(r->params[0]), 0);
}

enum MHD_Result page_api_item_version(struct req *r)
{
    int64_t version = util_parse_path_id(r->params[1]);
    return api_item(r, util_parse_path_id(r->params[0]), version > 0 ? version : -1);
}
