/*
 * respond.c: the one response path. See respond.h.
 *
 * Everything funnels into queue(): it attaches the request's own headers (cookies, a stricter
 * Referrer-Policy…) to a response made for this request, records the status and size for the
 * access log, and queues it, or, on a job thread, keeps it for the HTTP thread (http.c).
 */
#include "respond.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "account.h"
#include "app.h"
#include "cache.h"
#include "html.h"
#include "most_read.h"
#include "pages.h"
#include "splice.h"
#include "util.h"

void respond_security_headers(struct MHD_Response *resp, const char *csp, int no_referrer)
{
    MHD_add_response_header(resp, "Content-Security-Policy", csp ? csp : RESPOND_SITE_CSP);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy",
                            no_referrer ? "no-referrer" : "strict-origin-when-cross-origin");
    if (!csp) /* an own policy (an ad's frame) decides its framing with frame-ancestors */
        MHD_add_response_header(resp, "X-Frame-Options", "DENY");
}

size_t respond_security_header_lines(char *out, size_t size)
{
    int n = snprintf(out, size,
                     "Content-Security-Policy: %s\r\n"
                     "X-Content-Type-Options: nosniff\r\n"
                     "Referrer-Policy: strict-origin-when-cross-origin\r\n"
                     "X-Frame-Options: DENY\r\n",
                     RESPOND_SITE_CSP);
    return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

/* 1 if s is a non-empty cookie name or value made only of characters that need no quoting
 * (RFC 6265's cookie-octet, without the name's separators): what our tokens and numbers are. */
static int cookie_safe(const char *s, int allow_empty)
{
    if (!s || (!*s && !allow_empty))
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || *p == '"' || *p == ',' || *p == ';' || *p == '\\' ||
            *p == '=')
            return 0;
    return 1;
}

void respond_cookie(struct req *r, const char *name, const char *value, int64_t max_age)
{
    if (!cookie_safe(name, 0) || !cookie_safe(value, max_age == 0)) {
        fprintf(stderr, "broadsheet: refusing to set a malformed cookie\n");
        return;
    }
    char age[40] = "";
    if (max_age >= 0)
        snprintf(age, sizeof age, "; Max-Age=%lld", (long long)max_age);
    const char *cookie =
        arena_printf(r->arena, "%s=%s; Path=/%s; HttpOnly; SameSite=Lax%s", name, value, age,
                     r->app && r->app->config->cookie_secure ? "; Secure" : "");
    respond_header(r, "Set-Cookie", cookie);
}

void respond_header(struct req *r, const char *name, const char *value)
{
    if (r->header_count == REQ_MAX_HEADERS) {
        fprintf(stderr, "broadsheet: too many headers for one response; dropped %s\n", name);
        return;
    }
    r->headers[r->header_count].name = arena_strdup(r->arena, name);
    r->headers[r->header_count].value = arena_strdup(r->arena, value);
    r->header_count++;
}

/* 1 if the request's own headers ask for no Referer from the page (a URL with a token). */
static int wants_no_referrer(const struct req *r)
{
    return r->route && (r->route->flags & ROUTE_TOKEN_URL);
}

/* 1 if a failure of this request is the database's being unavailable (store_unavailable). */
static int database_unavailable(const struct req *r)
{
    return r->app && r->app->store && store_unavailable(r->app->store);
}

/* Queues resp (len body bytes) with status. own: made for this request, so its own headers are
 * added and our reference is dropped; else a shared response (an entity's), sent as it is. A
 * 500 while the database is unavailable goes out as 503 with Retry-After, whichever page
 * rendered it (respond_error already makes the 503 page; this catches the forms and texts). */
static enum MHD_Result queue(struct req *r, unsigned status, struct MHD_Response *resp, size_t len,
                             int own)
{
    if (!resp)
        return MHD_NO;
    if (status == 500 && own && database_unavailable(r)) {
        status = 503;
        MHD_add_response_header(resp, "Retry-After", RESPOND_OUTAGE_RETRY);
    }
    if (own)
        for (int i = 0; i < r->header_count; i++)
            MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
    r->answered = 1;
    r->status = status;
    r->bytes = r->method == METHOD_HEAD ? 0 : len;
    if (r->on_job) {
        /* libmicrohttpd takes a response only on its own thread: keep it until the connection
         * resumes (respond_pending). A job's responses are always its own. */
        if (r->pending)
            MHD_destroy_response(r->pending);
        r->pending = resp;
        r->pending_status = status;
        return MHD_YES;
    }
    enum MHD_Result result = MHD_queue_response(r->conn, status, resp);
    if (own)
        MHD_destroy_response(resp);
    return result;
}

enum MHD_Result respond_pending(struct req *r)
{
    struct MHD_Response *resp = r->pending;
    if (!resp) {
        r->on_job = 0;
        return respond_error(r, 500);
    }
    r->pending = NULL;
    r->on_job = 0;
    enum MHD_Result result = MHD_queue_response(r->conn, r->pending_status, resp);
    MHD_destroy_response(resp);
    return result;
}

/* A new response for body (copied), with the security headers and o's choices. */
static struct MHD_Response *own_response(struct req *r, const struct respond_options *o,
                                         const void *body, size_t len)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)(len ? body : ""), MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return NULL;
    respond_security_headers(resp, o ? o->csp : NULL, wants_no_referrer(r));
    MHD_add_response_header(resp, "Content-Type",
                            o && o->content_type ? o->content_type : "text/html; charset=utf-8");
    MHD_add_response_header(resp, "Cache-Control",
                            o && o->cache_control ? o->cache_control : "no-store");
    return resp;
}

enum MHD_Result respond_buffer(struct req *r, unsigned status, const struct respond_options *o,
                               const void *body, size_t len)
{
    return queue(r, status, own_response(r, o, body, len), len, 1);
}

enum MHD_Result respond_file(struct req *r, unsigned status, const struct respond_options *o,
                             int fd, uint64_t size)
{
    struct MHD_Response *resp = MHD_create_response_from_fd64(size, fd);
    if (!resp) {
        close(fd);
        return MHD_NO;
    }
    respond_security_headers(resp, o ? o->csp : NULL, wants_no_referrer(r));
    MHD_add_response_header(resp, "Content-Type",
                            o && o->content_type ? o->content_type : "application/octet-stream");
    MHD_add_response_header(resp, "Cache-Control",
                            o && o->cache_control ? o->cache_control : "no-store");
    return queue(r, status, resp, (size_t)size, 1);
}

enum MHD_Result respond_page(struct req *r, unsigned status, const struct buf *body)
{
    return respond_buffer(r, status, NULL, body->data, body->len);
}

enum MHD_Result respond_text(struct req *r, unsigned status, const char *text)
{
    struct respond_options o = {.content_type = "text/plain; charset=utf-8"};
    return respond_buffer(r, status, &o, text, strlen(text));
}

enum MHD_Result respond_json(struct req *r, unsigned status, const json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT);
    if (!text)
        return respond_error(r, 500);
    struct respond_options o = {.content_type = "application/json; charset=utf-8",
                                .cache_control = "private, no-store"};
    enum MHD_Result result = respond_buffer(r, status, &o, text, strlen(text));
    free(text);
    return result;
}

enum MHD_Result respond_empty(struct req *r, unsigned status, const char *cache_control)
{
    struct respond_options o = {.cache_control = cache_control};
    struct MHD_Response *resp = own_response(r, &o, "", 0);
    return queue(r, status, resp, 0, 1);
}

enum MHD_Result respond_redirect(struct req *r, unsigned status, const char *location)
{
    respond_header(r, "Location", location);
    struct respond_options o = {.content_type = "text/plain; charset=utf-8"};
    return respond_buffer(r, status, &o, "", 0);
}

/* ---- entities ------------------------------------------------------------------------------ */

enum MHD_Result respond_entity(struct req *r, struct entity *e)
{
    struct entity_choice c;
    entity_choose(e, r, &c);
    if (r->header_count == 0 && !r->on_job && !wants_no_referrer(r))
        return queue(r, c.status, c.response, c.len, 0); /* shared as it is */
    /* This request has headers of its own, or its response must wait for the HTTP thread
     * (the entity may be gone by then): a copy of the chosen variant of its own. */
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        c.len, (void *)(c.len ? c.body : ""), MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    entity_copy_headers(e, &c, resp);
    respond_security_headers(resp, NULL, wants_no_referrer(r));
    return queue(r, c.status, resp, c.len, 1);
}

/* ---- error pages --------------------------------------------------------------------------- */

const char *respond_status_title(unsigned status)
{
    switch (status) {
    case 400: return "Bad request";
    case 403: return "Forbidden";
    case 404: return "Page not found";
    case 405: return "Method not allowed";
    case 408: return "Request timeout";
    case 410: return "This article has been withdrawn"; /* a killed article (page_article.c) */
    case 413: return "Request too large";
    case 414: return "Address too long";
    case 415: return "Unsupported form encoding";
    case 429: return "Too many requests";
    case 431: return "Request headers too large";
    case 501: return "Not implemented";
    case 503: return "Service unavailable";
    case 505: return "HTTP version not supported";
    default: return "Something went wrong";
    }
}

/* A fresh error page entity for status (the caller caches or frees it). The page is rendered
 * as for the site's front page: nothing of this request (its path) may appear in it, since it is
 * cached and shared. */
static struct entity *error_entity(struct req *r, unsigned status)
{
    struct buf body = BUF_INIT;
    page_error(r, status, respond_status_title(status), &body);
    struct entity *e =
        entity_new(status, "text/html; charset=utf-8", "no-cache", body.data, body.len, 1);
    buf_free(&body);
    return e;
}

enum MHD_Result respond_error(struct req *r, unsigned status)
{
    if (status == 500 && database_unavailable(r))
        return respond_error_with(r, 503, "Retry-After", RESPOND_OUTAGE_RETRY, 0);
    if (status == 500 || status == 503) /* never cache what a failure rendered */
        return respond_error_with(r, status, NULL, NULL, 0);
    char key[32];
    snprintf(key, sizeof key, "!error:%u", status);
    struct page_cache *cache = r->app->cache;
    struct entity *e = cache_get(cache, key);
    if (!e) {
        /* An error page shows the navigation and nothing of the request: "nav" is its one
         * dependency, whatever the failed page had collected before it gave up. */
        uint64_t epoch = cache_epoch(cache);
        e = error_entity(r, status);
        cache_put(cache, key, e, "nav", epoch);
    }
    enum MHD_Result result = respond_entity(r, e);
    entity_free(e);
    return result;
}

enum MHD_Result respond_error_with(struct req *r, unsigned status, const char *header,
                                   const char *value, int close)
{
    struct entity *e = error_entity(r, status);
    size_t len;
    const char *body = entity_body(e, &len);
    if (header)
        respond_header(r, header, value);
    if (close)
        respond_header(r, "Connection", "close");
    enum MHD_Result result = respond_buffer(r, status, NULL, body, len);
    entity_free(e);
    return result;
}

char *respond_raw_error(struct app *app, unsigned status, size_t *len)
{
    struct req r;
    memset(&r, 0, sizeof r);
    r.app = app;
    r.arena = arena_new(0);
    r.method = METHOD_GET;
    struct buf body = BUF_INIT, out = BUF_INIT;
    page_error(&r, status, respond_status_title(status), &body);
    char security[1024];
    respond_security_header_lines(security, sizeof security);
    buf_printf(&out,
               "HTTP/1.1 %u %s\r\nContent-Type: text/html; charset=utf-8\r\n"
               "Content-Length: %zu\r\nCache-Control: no-store\r\nConnection: close\r\n%s\r\n",
               status, respond_status_title(status), body.len, security);
    buf_append(&out, body.data ? body.data : "", body.len);
    buf_free(&body);
    arena_free(r.arena);
    return buf_detach(&out, len);
}

/* A Retry-After answer for status. */
static enum MHD_Result retry_after(struct req *r, unsigned status, int seconds)
{
    char value[24];
    snprintf(value, sizeof value, "%d", seconds > 0 ? seconds : 1);
    return respond_error_with(r, status, "Retry-After", value, 0);
}

enum MHD_Result respond_too_many(struct req *r, int seconds)
{
    return retry_after(r, 429, seconds);
}

enum MHD_Result respond_unavailable(struct req *r, int seconds)
{
    return retry_after(r, 503, seconds);
}

/* ---- cached pages -------------------------------------------------------------------------- */

/* Sends the page e with the reader's bytes in its holes (splice.h), its gzip variant when the
 * client takes gzip: a private response of its own, never cached or shared, made of e's
 * precompressed pieces around the reader's bytes (entity_parts): nothing of the page is searched
 * or compressed per request, and at most gathered once into the arena (entity_parts_response). */
static enum MHD_Result send_personal(struct req *r, const char *key, struct entity *e)
{
    struct entity_fill fills[SPLICE_SLOTS];
    splice_fills(r, fills, NULL);
    struct entity_parts parts;
    entity_parts(e, fills, SPLICE_SLOTS, r->accept_gzip, r->arena, &parts);
    if (parts.made)
        cache_charge(r->app->cache, key, e, parts.made);
    struct MHD_Response *resp = entity_parts_response(e, &parts, r->arena);
    if (!resp)
        return MHD_NO;
    respond_security_headers(resp, NULL, wants_no_referrer(r));
    MHD_add_response_header(resp, "Content-Type", "text/html; charset=utf-8");
    if (parts.gzip)
        MHD_add_response_header(resp, "Content-Encoding", "gzip");
    MHD_add_response_header(resp, "Cache-Control", "private, no-store");
    MHD_add_response_header(resp, "Vary", "Accept-Encoding, Cookie");
    return queue(r, MHD_HTTP_OK, resp, parts.len, 1);
}

/* Most read (issue 12): sends the page e, cached under key, to a reader who gets the shared
 * page, with the most-read box (fills, its tag box_tag) in its slot: the same bytes for every
 * such reader until the box's next refresh, so the response is public ("no-cache", as the
 * page) with an ETag of its own, the page variant's with the box's tag appended: the bytes
 * change when either does, and so does the ETag. A conditional request naming it is answered
 * 304 without a body. Built like a personal response (entity_parts: the page's pieces around
 * the box, nothing compressed per request), but with the page's headers. A page read more
 * often is sent from its filled variant instead (entity_filled, send_page): the same bytes and
 * headers, made once per box. box_tag NULL: there is no box, and the page goes as it is, with
 * its own ETag (a page with the box's slot has no shared gzip body: ENTITY_GZIP_PARTS). */
static enum MHD_Result send_boxed(struct req *r, const char *key, struct entity *e,
                                  const struct entity_fill fills[SPLICE_SLOTS], const char *box_tag)
{
    int gzip = r->accept_gzip && entity_has_gzip(e);
    const char *page_etag = entity_etag(e); /* "HEX" (quoted) */
    size_t base = strlen(page_etag) - 1;    /* without its closing quote */
    const char *etag =
        arena_printf(r->arena, "%.*s%s%s%s\"", (int)base, page_etag, gzip ? "-gz" : "",
                     box_tag ? "-mr" : "", box_tag ? box_tag : "");
    const char *surrogate = entity_header(e, "Surrogate-Key");
    const char *cache_tag = entity_header(e, "Cache-Tag");
    if (r->if_none_match && req_etag_matches(r->if_none_match, etag)) {
        respond_header(r, "ETag", etag);
        respond_header(r, "Vary", "Accept-Encoding");
        if (surrogate)
            respond_header(r, "Surrogate-Key", surrogate);
        if (cache_tag)
            respond_header(r, "Cache-Tag", cache_tag);
        return respond_empty(r, MHD_HTTP_NOT_MODIFIED, "no-cache");
    }
    struct entity_parts parts;
    entity_parts(e, fills, SPLICE_SLOTS, gzip, r->arena, &parts);
    if (parts.made)
        cache_charge(r->app->cache, key, e, parts.made);
    struct MHD_Response *resp = entity_parts_response(e, &parts, r->arena);
    if (!resp)
        return MHD_NO;
    respond_security_headers(resp, NULL, wants_no_referrer(r));
    MHD_add_response_header(resp, "Content-Type", "text/html; charset=utf-8");
    if (parts.gzip)
        MHD_add_response_header(resp, "Content-Encoding", "gzip");
    MHD_add_response_header(resp, "Cache-Control", "no-cache");
    MHD_add_response_header(resp, "Vary", "Accept-Encoding");
    MHD_add_response_header(resp, "ETag", etag);
    if (surrogate)
        MHD_add_response_header(resp, "Surrogate-Key", surrogate);
    if (cache_tag)
        MHD_add_response_header(resp, "Cache-Tag", cache_tag);
    return queue(r, MHD_HTTP_OK, resp, parts.len, 1);
}

/* Sends the page e, cached under key: as it is to a reader who gets the shared page (with the
 * most-read box in it when it has the slot and there is a box), else with the reader's bytes
 * spliced in. */
static enum MHD_Result send_page(struct req *r, const char *key, struct entity *e, int personal)
{
    if (personal)
        return send_personal(r, key, e);
    if (entity_has_hole(e, SPLICE_MOST_READ)) {
        struct entity_fill fills[SPLICE_SLOTS] = {{0}};
        char box_tag[MOST_READ_TAG_LEN + 1];
        if (splice_most_read_fill(r, fills, box_tag)) {
            /* A page read often enough has the variant for this box (for readers who take
             * gzip, when the page has it): sent as it is. */
            size_t made;
            struct entity *filled =
                entity_filled(e, fills, SPLICE_SLOTS, box_tag, r->accept_gzip, r->arena, &made);
            if (made)
                cache_charge(r->app->cache, key, e, made);
            if (!filled)
                return send_boxed(r, key, e, fills, box_tag);
            enum MHD_Result result = respond_entity(r, filled);
            entity_free(filled);
            return result;
        }
        /* No box: the page as it is, its gzip from its parts (it has no shared gzip body). */
        if (r->accept_gzip)
            return send_boxed(r, key, e, fills, NULL);
    }
    return respond_entity(r, e);
}

enum MHD_Result respond_not_found(struct req *r)
{
    struct redirect to;
    int rc = store_redirect_find(r->app->store, r->arena, r->path, &to);
    if (rc == STORE_ERROR)
        return respond_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR);
    const char *location = NULL;
    if (rc == STORE_OK && to.article_id && *to.slug) {
        struct buf url = BUF_INIT;
        buf_puts(&url, "/articles/");
        html_url_path(&url, to.slug, strlen(to.slug));
        location = arena_strndup(r->arena, url.data, url.len);
        buf_free(&url);
    } else if (rc == STORE_OK && !to.article_id && account_safe_next(to.target) == to.target) {
        location = to.target;
    }
    /* (a row naming its own path would answer 301 forever) */
    if (!location || !strcmp(location, r->path))
        return respond_error(r, MHD_HTTP_NOT_FOUND);
    return respond_redirect(r, MHD_HTTP_MOVED_PERMANENTLY, location);
}

/* 1 if e is an HTML page (its Content-Type says so), which may have per-reader holes. */
static int is_html(const struct entity *e)
{
    return !strncmp(entity_content_type(e), "text/html", 9);
}

enum MHD_Result respond_cached(struct req *r, const char *key, route_render_fn render)
{
    struct page_cache *cache = r->app->cache;
    /* A route whose renderer is not HTML (a feed: render_type) has nothing per reader: sent
     * whole (respond_entity still copies it for a request with headers of its own). */
    int personal = r->reader || r->header_count || r->note || r->on_job;
    enum MHD_Result result;
    struct entity *e = cache_get(cache, key);
    if (e) {
        result = send_page(r, key, e, personal && is_html(e));
        entity_free(e);
        return result;
    }
    uint64_t epoch = cache_epoch(cache); /* before the store is read: see cache.h */
    r->deps_len = 0;
    r->deps[0] = '\0';
    r->deps_full = 0;
    r->render_type = NULL;
    r->render_modified = 0;
    struct buf body = BUF_INIT;
    unsigned status = render(r, &body);
    if (status != MHD_HTTP_OK) {
        buf_free(&body);
        /* A page that is not there may have moved: a section's or publication's old slug
         * (store_section_update) answers 301 to its new path. Only a 404 looks. */
        if (status == MHD_HTTP_NOT_FOUND)
            return respond_not_found(r);
        return respond_error(r, status);
    }
    if (r->render_type) {
        e = entity_new(MHD_HTTP_OK, r->render_type, "no-cache", body.data ? body.data : "",
                       body.len, 1);
        personal = 0;
    } else {
        /* the reader's slots are found once, here, for every personal response of this page */
        struct entity_hole holes[SPLICE_SLOTS];
        size_t nholes = splice_find_holes(body.data ? body.data : "", body.len, holes);
        /* A page with the box's slot is always sent from its parts (send_page): its gzip is
         * made from them, once, when a reader first takes it, not also as a whole at every
         * miss (a body never sent, which held a quarter of such a page's cache entry). */
        int boxed = 0;
        for (size_t i = 0; i < nholes; i++)
            boxed |= holes[i].slot == SPLICE_MOST_READ;
        e = entity_new_holes(MHD_HTTP_OK, "text/html; charset=utf-8", "no-cache", body.data,
                             body.len, boxed ? ENTITY_GZIP_PARTS : 1, holes, nholes);
    }
    buf_free(&body);
    if (r->deps_len)
        entity_set_keys(e, r->deps);
    entity_set_last_modified(e, r->render_modified);
    /* A page whose tags did not all fit could not be invalidated precisely: it is sent, not
     * kept. */
    if (!r->deps_full)
        cache_put(cache, key, e, r->deps, epoch);
    result = send_page(r, key, e, personal);
    entity_free(e);
    return result;
}
