/*
 * server.c: libmicrohttpd set-up, the request life cycle, and shutdown. See server.h.
 *
 * Life of a request: libmicrohttpd calls access_handler once when the headers are in (we take a
 * struct req from the free list, validate the request line and headers, and answer bad input
 * with a 4xx at once), again for any body, and once more with no body left, when we route and
 * answer. Answering on that later call keeps keep-alive connections open (answering on the
 * first call makes libmicrohttpd close them). request_completed logs the request and puts the
 * struct req back.
 *
 * Hot path of a cached page: validate (no allocation), route (the path parameters go to the
 * request's arena, whose first block is reused), cache lookup under a read lock, queue a
 * prepared response. No rendering, compression or malloc.
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "ads.h"
#include "app.h"
#include "auth.h"
#include "buf.h"
#include "entity.h"
#include "jobs.h"
#include "listener.h"
#include "mailer.h"
#include "pages.h"
#include "paywall.h"
#include "ratelimit.h"
#include "reader.h"
#include "route.h"
#include "util.h"

#define MAX_URL_LENGTH 2048             /* longer request targets get 414 */
#define DRAIN_SECONDS 10                /* how long shutdown waits for requests in flight */
#define WATCH_INTERVAL_MS 500           /* how often the content version is checked */
#define MAX_BODY_BYTES 65536            /* form bodies larger than this get 413 */
#define MAX_RAW_BODY_BYTES (512 * 1024) /* JSON bodies (Stripe's events can be large) */

/* Requests being handled right now (taken and not yet completed). */
static atomic_int requests_in_flight;

/* Recycled requests: their arenas keep their first block, so a steady stream of requests
 * allocates nothing. */
static pthread_mutex_t free_lock = PTHREAD_MUTEX_INITIALIZER;
static struct req *free_list;

/* A request from the free list, or a new one. */
static struct req *req_acquire(struct app *app)
{
    pthread_mutex_lock(&free_lock);
    struct req *r = free_list;
    if (r)
        free_list = r->next_free;
    pthread_mutex_unlock(&free_lock);
    if (!r) {
        r = xcalloc(1, sizeof *r);
        r->arena = arena_new(16384);
    }
    struct arena *arena = r->arena;
    memset(r, 0, sizeof *r);
    r->arena = arena;
    r->app = app;
    atomic_fetch_add(&requests_in_flight, 1);
    return r;
}

/* Returns r to the free list. */
static void req_release(struct req *r)
{
    if (r->post)
        MHD_destroy_post_processor(r->post);
    r->post = NULL;
    arena_reset(r->arena);
    pthread_mutex_lock(&free_lock);
    r->next_free = free_list;
    free_list = r;
    pthread_mutex_unlock(&free_lock);
    atomic_fetch_sub(&requests_in_flight, 1);
}

/* Frees the free list (at shutdown, when no request is in flight). */
static void free_requests(void)
{
    pthread_mutex_lock(&free_lock);
    while (free_list) {
        struct req *next = free_list->next_free;
        arena_free(free_list->arena);
        free(free_list);
        free_list = next;
    }
    pthread_mutex_unlock(&free_lock);
}

/* ---- error pages ------------------------------------------------------------------------ */

/* The reason phrase we show for a status. */
static const char *status_title(unsigned status)
{
    switch (status) {
    case 400: return "Bad request";
    case 403: return "Forbidden";
    case 415: return "Unsupported form encoding";
    case 429: return "Too many requests";
    case 404: return "Page not found";
    case 405: return "Method not allowed";
    case 413: return "Request too large";
    case 414: return "Address too long";
    case 431: return "Request headers too large";
    case 501: return "Not implemented";
    case 503: return "Service unavailable";
    default: return "Something went wrong";
    }
}

/* A fresh error page entity for status (the caller caches or frees it). */
static struct entity *error_entity(struct req *r, unsigned status)
{
    struct buf body = BUF_INIT;
    page_error(r, status, status_title(status), &body);
    struct entity *e =
        entity_new(status, "text/html; charset=utf-8", "no-cache", body.data, body.len, 1);
    buf_free(&body);
    return e;
}

/* Adds the request's pending Set-Cookie values to resp. */
static void add_cookies(struct req *r, struct MHD_Response *resp)
{
    for (int i = 0; i < r->set_cookie_count; i++)
        MHD_add_response_header(resp, "Set-Cookie", r->set_cookies[i]);
}

/* Queues a response made for this request alone (copying body) with the common headers, the
 * request's cookies and the given extra header (name may be NULL). */
static enum MHD_Result send_own(struct req *r, unsigned status, const char *content_type,
                                const char *cache_control, const char *body, size_t len,
                                const char *header, const char *value)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    entity_add_common_headers(resp);
    if (content_type)
        MHD_add_response_header(resp, "Content-Type", content_type);
    MHD_add_response_header(resp, "Cache-Control", cache_control);
    if (header)
        MHD_add_response_header(resp, header, value);
    add_cookies(r, resp);
    r->answered = 1;
    r->status = status;
    r->bytes = r->method == METHOD_HEAD ? 0 : len;
    enum MHD_Result result = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    return result;
}

/* Sends the error page for status with an extra header (Allow, Retry-After…) and/or
 * Connection: close, in a response of its own (these are rare, so a copy is fine). */
static enum MHD_Result send_error_with(struct req *r, unsigned status, const char *header,
                                       const char *value, int close_connection)
{
    struct entity *e = error_entity(r, status);
    size_t len;
    const char *body = entity_body(e, &len);
    enum MHD_Result result;
    if (close_connection) {
        struct MHD_Response *resp =
            MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
        entity_add_common_headers(resp);
        MHD_add_response_header(resp, "Content-Type", "text/html; charset=utf-8");
        MHD_add_response_header(resp, "Cache-Control", "no-store");
        MHD_add_response_header(resp, "Connection", "close");
        if (header)
            MHD_add_response_header(resp, header, value);
        r->answered = 1;
        r->status = status;
        r->bytes = r->method == METHOD_HEAD ? 0 : len;
        result = MHD_queue_response(r->conn, status, resp);
        MHD_destroy_response(resp);
    } else {
        result =
            send_own(r, status, "text/html; charset=utf-8", "no-store", body, len, header, value);
    }
    entity_free(e);
    return result;
}

enum MHD_Result server_send_error(struct req *r, unsigned status)
{
    if (r->set_cookie_count) /* a shared cached response cannot carry this reader's cookies */
        return send_error_with(r, status, NULL, NULL, 0);
    char key[32];
    snprintf(key, sizeof key, "!error:%u", status);
    enum MHD_Result result;
    if (cache_send(r->app->cache, key, r, &result))
        return result;
    uint64_t generation = cache_generation(r->app->cache);
    return cache_put_send(r->app->cache, key, error_entity(r, status), generation, r);
}

enum MHD_Result server_send_page(struct req *r, unsigned status, const struct buf *body)
{
    return send_own(r, status, "text/html; charset=utf-8", "no-store", body->data ? body->data : "",
                    body->len, NULL, NULL);
}

enum MHD_Result server_send_text(struct req *r, unsigned status, const char *body)
{
    return send_own(r, status, "text/plain; charset=utf-8", "no-store", body, strlen(body), NULL,
                    NULL);
}

enum MHD_Result server_redirect(struct req *r, const char *location)
{
    return send_own(r, MHD_HTTP_SEE_OTHER, "text/plain; charset=utf-8", "no-store", "", 0,
                    "Location", location);
}

enum MHD_Result server_too_many_requests(struct req *r, int retry_after)
{
    char seconds[24];
    snprintf(seconds, sizeof seconds, "%d", retry_after > 0 ? retry_after : 1);
    return send_error_with(r, MHD_HTTP_TOO_MANY_REQUESTS, "Retry-After", seconds, 0);
}

/* ---- work off the HTTP threads -------------------------------------------------------- */

/* Runs on a job thread: the offloaded work, then wakes the connection. */
static void run_offloaded(void *arg)
{
    struct req *r = arg;
    r->work(r);
    MHD_resume_connection(r->conn);
}

enum MHD_Result server_offload(struct req *r, void (*work)(struct req *r),
                               enum MHD_Result (*finish)(struct req *r))
{
    r->work = work;
    r->finish = finish;
    r->offloaded = 1;
    MHD_suspend_connection(r->conn);
    /* TODO(integrator of branch rely with the server.c rewrite): -1 means the queue is full;
     * resume the connection and answer 503 with Retry-After. Never -1 while unbounded. */
    (void)jobs_submit(r->app->jobs, run_offloaded, r);
    return MHD_YES;
}

/* ---- validating a request -------------------------------------------------------------- */

struct header_counts {
    int content_length;
    int transfer_encoding;
    int host;
    int bad_value; /* a value with a control character other than tab */
};

/* MHD_KeyValueIterator counting the headers that must not repeat or combine, and noting
 * values with control characters. */
static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    struct header_counts *c = cls;
    if (!strcasecmp(key, "Content-Length"))
        c->content_length++;
    else if (!strcasecmp(key, "Transfer-Encoding"))
        c->transfer_encoding++;
    else if (!strcasecmp(key, "Host"))
        c->host++;
    for (const unsigned char *p = (const unsigned char *)value; p && *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            c->bad_value = 1;
    return MHD_YES;
}

/* MHD_KeyValueIterator checking that every query argument decodes; cls is the request. */
static enum MHD_Result check_argument(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    struct req *r = cls;
    char *decoded;
    if (req_decode(r->arena, key, strlen(key), 1, &decoded) < 0 ||
        (value && req_decode(r->arena, value, strlen(value), 1, &decoded) < 0)) {
        r->status = 400;
        return MHD_NO;
    }
    return MHD_YES;
}

/* Checks what arrived with the headers. Returns 0 if the request is acceptable, else the 4xx
 * or 501 status to answer with. Fills r's path, negotiation and validator fields. */
static unsigned validate(struct req *r, const char *url, const char *version)
{
    if (r->method == METHOD_UNKNOWN)
        return 501;
    size_t url_len = strlen(url);
    if (url_len > MAX_URL_LENGTH)
        return 414;
    r->raw_url = url;
    struct header_counts counts = {0};
    MHD_get_connection_values(r->conn, MHD_HEADER_KIND, count_header, &counts);
    if (counts.host > 1 || (counts.host == 0 && !strcmp(version, MHD_HTTP_VERSION_1_1)))
        return 400;
    if (counts.content_length > 1 || (counts.content_length && counts.transfer_encoding) ||
        counts.bad_value)
        return 400;
    char *path;
    if (url[0] != '/' || req_decode(r->arena, url, url_len, 0, &path) < 0)
        return 400;
    r->path = path;
    r->status = 0;
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, check_argument, r);
    if (r->status == 400)
        return 400;
    r->accept_gzip = req_accepts_gzip(req_header(r, MHD_HTTP_HEADER_ACCEPT_ENCODING));
    r->if_none_match = req_header(r, MHD_HTTP_HEADER_IF_NONE_MATCH);
    return 0;
}

/* ---- answering ------------------------------------------------------------------------- */

/* The account links for a signed-in reader (template account-links), appended to out. */
static void render_account_links(struct req *r, struct buf *out)
{
    json_t *ctx = json_pack("{s:o, s:s}", "reader", reader_json(&r->reader->user), "csrf",
                            reader_csrf_token(r));
    tmpl_render(r->app->templates, "account-links", ctx, out);
    json_decref(ctx);
}

/* A page's bytes, cached or just rendered. */
struct page_bytes {
    const char *data;
    size_t len;
};

/* Appends page with text spliced between <!--NAME--> and <!--/NAME--> (the theme's markers)
 * to out, where page[from..] is searched; returns the offset in page after the closing marker,
 * or from when the markers are missing (nothing appended then). */
static size_t splice_between(struct buf *out, const struct page_bytes *page, size_t from,
                             const char *name, void (*fill)(struct req *r, struct buf *out),
                             struct req *r)
{
    char open[64], close[64];
    int open_len = snprintf(open, sizeof open, "<!--%s-->", name);
    int close_len = snprintf(close, sizeof close, "<!--/%s-->", name);
    const char *start = memmem(page->data + from, page->len - from, open, (size_t)open_len);
    if (!start)
        return from;
    const char *after_open = start + open_len;
    const char *end =
        memmem(after_open, page->len - (size_t)(after_open - page->data), close, (size_t)close_len);
    if (!end)
        return from;
    buf_append(out, page->data + from, (size_t)(after_open - (page->data + from)));
    fill(r, out);
    buf_append(out, end, (size_t)close_len);
    return (size_t)(end - page->data) + (size_t)close_len;
}

/* splice fillers: the account links, and the paywall's reader note. */
static void fill_account(struct req *r, struct buf *out)
{
    if (r->reader)
        render_account_links(r, out);
    else
        tmpl_render(r->app->templates, "account-links", NULL, out);
}

static void fill_note(struct req *r, struct buf *out)
{
    if (r->reader_note)
        buf_puts(out, r->reader_note);
}

/* Sends a cached page's body with the per-reader bytes spliced in: the account links and the
 * reader note, between the theme's markers (in page order). A response of its own, never
 * cached or shared. */
static enum MHD_Result send_personal(struct req *r, const struct page_bytes *page)
{
    struct buf out = BUF_INIT;
    buf_grow(&out, page->len + 1024);
    size_t at = 0;
    if (r->reader)
        at = splice_between(&out, page, at, "account", fill_account, r);
    if (r->reader_note)
        at = splice_between(&out, page, at, "reader-note", fill_note, r);
    buf_append(&out, page->data + at, page->len - at);
    /* Compressed per send, quickly, when the client takes gzip: these bytes are this reader's
     * alone. Either way the buffer is handed to libmicrohttpd, not copied again. */
    size_t len;
    void *body;
    unsigned char *gz = r->accept_gzip ? entity_gzip(out.data, out.len, 1, &len) : NULL;
    if (gz) {
        body = gz;
        buf_free(&out);
    } else {
        body = buf_detach(&out, &len);
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    entity_add_common_headers(resp);
    MHD_add_response_header(resp, "Content-Type", "text/html; charset=utf-8");
    if (gz)
        MHD_add_response_header(resp, "Content-Encoding", "gzip");
    MHD_add_response_header(resp, "Cache-Control", "private, no-store");
    MHD_add_response_header(resp, "Vary", "Accept-Encoding, Cookie");
    add_cookies(r, resp);
    r->answered = 1;
    r->status = MHD_HTTP_OK;
    r->bytes = r->method == METHOD_HEAD ? 0 : len;
    enum MHD_Result result = MHD_queue_response(r->conn, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return result;
}

/* What cache_with_body hands the cached body to: the request and its result. */
struct personal_send {
    struct req *r;
    enum MHD_Result result;
};

/* cache_with_body's callback: sends the cached body with the reader's bytes spliced in. */
static void send_personal_cached(void *ctx, const char *body, size_t len)
{
    struct personal_send *p = ctx;
    struct page_bytes page = {body, len};
    p->result = send_personal(p->r, &page);
}

enum MHD_Result server_send_cached(struct req *r, const char *key, route_render_fn render)
{
    struct page_cache *cache = r->app->cache;
    int personal = r->reader || r->set_cookie_count || r->reader_note;
    enum MHD_Result result;
    if (!personal && cache_send(cache, key, r, &result))
        return result;
    struct personal_send p = {r, MHD_NO};
    if (personal && cache_with_body(cache, key, send_personal_cached, &p))
        return p.result;
    uint64_t generation = cache_generation(cache);
    struct buf body = BUF_INIT;
    unsigned status = render(r, &body);
    if (status != MHD_HTTP_OK) {
        buf_free(&body);
        return server_send_error(r, status);
    }
    struct entity *e =
        entity_new(MHD_HTTP_OK, "text/html; charset=utf-8", "no-cache", body.data, body.len, 1);
    if (personal) {
        cache_put(cache, key, e, generation);
        struct page_bytes page = {body.data, body.len};
        result = send_personal(r, &page);
    } else {
        result = cache_put_send(cache, key, e, generation, r);
    }
    buf_free(&body);
    return result;
}

/* Routes r and answers it. */
static enum MHD_Result dispatch(struct req *r)
{
    const struct route *route = NULL;
    unsigned allowed;
    switch (route_match(routes, route_count, r, &route, &allowed)) {
    case ROUTE_NOT_FOUND: return server_send_error(r, MHD_HTTP_NOT_FOUND);
    case ROUTE_METHOD_NOT_ALLOWED: {
        char allow[128];
        route_allow_header(allowed, allow, sizeof allow);
        return send_error_with(r, MHD_HTTP_METHOD_NOT_ALLOWED, "Allow", allow, 0);
    }
    case ROUTE_FOUND: break;
    }
    r->route = route;
    /* A route that ignores its body (the ad beacon) takes any type, or none: only the size
     * limit applies to it. */
    int any_body = (route->flags & ROUTE_ANY_BODY) != 0;
    if (r->body_error && !(any_body && r->body_error == MHD_HTTP_UNSUPPORTED_MEDIA_TYPE))
        return server_send_error(r, r->body_error);
    /* A form where JSON is expected, or the other way round. */
    if (r->method == METHOD_POST && !any_body &&
        !!(route->flags & ROUTE_RAW_BODY) != (r->raw_body != NULL))
        return server_send_error(r, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE);
    if (req_cookie(r, READER_SESSION_COOKIE))
        reader_load(r);
    if (route->handle)
        return route->handle(r);
    return server_send_cached(r, r->path, route->render);
}

/* MHD_PostProcessor iterator: collects form fields into r->form (values may arrive in pieces;
 * off says where this piece goes). */
static enum MHD_Result collect_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *filename, const char *content_type,
                                     const char *transfer_encoding, const char *data, uint64_t off,
                                     size_t size)
{
    struct req *r = cls;
    struct form_field *f = r->form;
    if (off == 0 || !f || strcmp(f->name, key) != 0) {
        f = arena_calloc(r->arena, 1, sizeof *f);
        f->name = arena_strdup(r->arena, key);
        f->value = arena_alloc(r->arena, REQ_MAX_FIELD + 1);
        f->value[0] = '\0';
        f->next = r->form;
        r->form = f;
    }
    size_t room = REQ_MAX_FIELD - f->len;
    if (size > room) {
        f->too_long = 1;
        size = room;
    }
    memcpy(f->value + f->len, data, size);
    f->len += size;
    f->value[f->len] = '\0';
    return MHD_YES;
}

/* The largest body r may send: forms are small; a JSON body (a webhook event) may be larger. */
static size_t body_limit(const struct req *r)
{
    return r->raw_body ? MAX_RAW_BODY_BYTES : MAX_BODY_BYTES;
}

/* Prepares to read a POST body: a form is parsed as it streams in; anything else is refused
 * with 415 once the route is known. */
static void begin_body(struct req *r)
{
    const char *type = req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (type && (!strncasecmp(type, "application/x-www-form-urlencoded", 33) ||
                 !strncasecmp(type, "multipart/form-data", 19))) {
        r->post = MHD_create_post_processor(r->conn, 8192, collect_field, r);
        if (!r->post)
            r->body_error = MHD_HTTP_BAD_REQUEST;
    } else if (type && !strncasecmp(type, "application/json", 16)) {
        r->raw_body = arena_alloc(r->arena, MAX_RAW_BODY_BYTES + 1);
        r->raw_body[0] = '\0';
    } else {
        r->body_error = MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
    }
}

/* MHD_AccessHandlerCallback: see the life of a request at the top of the file. */
static enum MHD_Result access_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **req_cls)
{
    struct req *r = *req_cls;
    if (!r) {
        r = req_acquire(cls);
        *req_cls = r;
        r->conn = conn;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        r->started_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
        r->method_name = method;
        r->method = req_method_parse(method);
        r->version = version;
        r->raw_url = url;
        unsigned bad = validate(r, url, version);
        if (bad)
            return send_error_with(r, bad, NULL, NULL, 1);
        if (r->method == METHOD_POST)
            begin_body(r);
        /* A declared body over the limit is refused before any of it is read. */
        const char *length = req_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (length && strtoull(length, NULL, 10) > body_limit(r))
            return send_error_with(r, MHD_HTTP_CONTENT_TOO_LARGE, NULL, NULL, 1);
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t size = *upload_data_size;
        *upload_data_size = 0;
        r->body_bytes += size;
        if (r->answered)
            return MHD_YES;
        /* A chunked body that grows past the limit: read and drop a little more so the answer
         * can follow it, but close the connection rather than read without end. */
        if (r->body_bytes > body_limit(r)) {
            r->body_error = MHD_HTTP_CONTENT_TOO_LARGE;
            return r->body_bytes > 16 * MAX_BODY_BYTES ? MHD_NO : MHD_YES;
        }
        if (r->post && !r->body_error && MHD_post_process(r->post, upload_data, size) != MHD_YES)
            r->body_error = MHD_HTTP_BAD_REQUEST;
        if (r->raw_body) {
            memcpy(r->raw_body + r->raw_len, upload_data, size);
            r->raw_len += size;
            r->raw_body[r->raw_len] = '\0';
        }
        return MHD_YES;
    }
    if (r->answered)
        return MHD_YES;
    if (r->offloaded)
        return r->finish(r);
    return dispatch(r);
}

/* ---- the access log ---------------------------------------------------------------------- */

/* A log line being built in a fixed buffer: logging allocates nothing, and a line that would
 * not fit is cut (it still ends with a newline). */
struct log_line {
    char data[2048];
    size_t len;
};

/* Appends formatted text, cutting at the buffer's end. */
static void log_printf(struct log_line *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void log_printf(struct log_line *l, const char *fmt, ...)
{
    size_t room = sizeof l->data - 1 - l->len; /* one byte kept for the newline */
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(l->data + l->len, room + 1, fmt, ap);
    va_end(ap);
    if (n > 0)
        l->len += (size_t)n < room ? (size_t)n : room;
}

/* Appends s with quotes, backslashes and control or non-ASCII bytes as \xHH, so a client
 * cannot forge log lines. NULL appends "-". */
static void log_escaped(struct log_line *l, const char *s)
{
    if (!s) {
        log_printf(l, "-");
        return;
    }
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
            log_printf(l, "\\x%02x", c);
        else if (l->len < sizeof l->data - 1)
            l->data[l->len++] = (char)c;
    }
}

/* Writes one line in the combined log format plus the time taken. The query string is left
 * out: it may carry tokens (reset links, later), and secrets are never logged. */
static void log_request(struct app *app, struct req *r)
{
    if (app->log_fd < 0)
        return;
    char client[INET6_ADDRSTRLEN] = "-";
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (info && info->client_addr) {
        const struct sockaddr *sa = info->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, client,
                      sizeof client);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, client,
                      sizeof client);
    }
    char when[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%d/%b/%Y:%H:%M:%S +0000", &tm);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t took = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 - r->started_us;

    struct log_line line;
    line.len = 0;
    log_printf(&line, "%s - - [%s] \"", client, when);
    log_escaped(&line, r->method_name);
    log_printf(&line, " ");
    log_escaped(&line, r->raw_url);
    log_printf(&line, " ");
    log_escaped(&line, r->version);
    log_printf(&line, "\" %u %llu \"", r->status, (unsigned long long)r->bytes);
    log_escaped(&line, req_header(r, "Referer"));
    log_printf(&line, "\" \"");
    log_escaped(&line, req_header(r, "User-Agent"));
    log_printf(&line, "\" %.3fms", (double)took / 1000.0);
    line.data[line.len++] = '\n';
    ssize_t ignored = write(app->log_fd, line.data, line.len);
    (void)ignored;
}

/* MHD_RequestCompletedCallback: logs the request and recycles its struct req. */
static void request_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                              enum MHD_RequestTerminationCode toe)
{
    struct req *r = *req_cls;
    if (!r)
        return;
    if (r->answered)
        log_request(cls, r);
    req_release(r);
    *req_cls = NULL;
}

/* MHD_UnescapeCallback that leaves the URL and query as sent: we decode them ourselves,
 * strictly, so bad percent-encoding is an error rather than passed through. */
static size_t keep_escaped(void *cls, struct MHD_Connection *conn, char *s)
{
    return strlen(s);
}

/* MHD_LogCallback: libmicrohttpd's own complaints, to stderr. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    fputs("broadsheet: libmicrohttpd: ", stderr);
    vfprintf(stderr, fmt, ap);
}

/* ---- start and stop ----------------------------------------------------------------------- */

/* Resolves address:port into *ss. Returns 0 or -1 (printed). */
static int resolve(const char *address, int port, struct sockaddr_storage *ss, socklen_t *len)
{
    struct addrinfo hints = {0}, *res;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    int rc = getaddrinfo(address, service, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "broadsheet: cannot use address '%s': %s\n", address, gai_strerror(rc));
        return -1;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

/* Lets the process hold as many sockets as the connection limit needs. */
static void raise_file_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* The site's name for mail: the host publication's, or the configured one. The string lives in
 * app's scratch arena. */
static const char *site_name(struct app *app, struct store *store)
{
    struct publication *list;
    size_t n;
    app->scratch = arena_new(0);
    if (store_publications(store, app->scratch, &list, &n) == STORE_OK)
        for (size_t i = 0; i < n; i++)
            if (list[i].is_host)
                return list[i].name;
    return app->config->site_name;
}

/* Parses the comma-separated CIDR list of trusted proxies into app. -1 (printed) on a bad one. */
static int parse_trusted_proxies(struct app *app, const char *list)
{
    char *copy = xstrdup(list), *save = NULL;
    int rc = 0;
    for (char *item = strtok_r(copy, ", ", &save); item; item = strtok_r(NULL, ", ", &save)) {
        struct cidr range;
        if (cidr_parse(item, &range) < 0) {
            fprintf(stderr, "broadsheet: trusted_proxies: '%s' is not an address range\n", item);
            rc = -1;
            break;
        }
        app->trusted_proxies =
            xrealloc(app->trusted_proxies, (app->trusted_proxy_count + 1) * sizeof range);
        app->trusted_proxies[app->trusted_proxy_count++] = range;
    }
    free(copy);
    return rc;
}

/* Loads templates, assets and the cache into app. Returns 0 or -1 (printed). */
static int app_init(struct app *app, const struct config *config, struct store *store)
{
    char err[1024];
    memset(app, 0, sizeof *app);
    app->config = config;
    app->store = store;
    app->log_fd = -1;
    app->templates = tmpl_set_new(0);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", config->theme);
    if (tmpl_set_load_dir(app->templates, dir, err, sizeof err) < 0) {
        fprintf(stderr, "broadsheet: theme: %s\n", err);
        return -1;
    }
    static const char *required[] = {"home", "article", "section", "publication", "error"};
    for (size_t i = 0; i < ARRAY_LEN(required); i++) {
        if (!tmpl_set_has(app->templates, required[i])) {
            fprintf(stderr, "broadsheet: theme %s has no %s.mustache\n", dir, required[i]);
            return -1;
        }
    }
    snprintf(dir, sizeof dir, "%s/static", config->theme);
    app->assets = assets_load(dir, err, sizeof err);
    if (!app->assets) {
        fprintf(stderr, "broadsheet: theme: %s\n", err);
        return -1;
    }
    app->cache = cache_new((size_t)config->cache_entries);
    if (store_secret(store, "csrf", app->csrf_key) != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot read or create the server secret\n");
        return -1;
    }
    app->limits = ratelimit_new(100000);
    if (auth_init(config->hash_threads) < 0) {
        fprintf(stderr, "broadsheet: cannot initialise libsodium\n");
        return -1;
    }
    /* TODO(integrator of branch rely with the server.c rewrite): pass a queue bound here (0 is
     * unbounded, as before) once server_offload answers a refused jobs_submit with 503. */
    app->jobs = jobs_start((unsigned)config->hash_threads, 0);
    if (parse_trusted_proxies(app, config->trusted_proxies) < 0)
        return -1;
    app->paywall = paywall_new(config, store, err, sizeof err);
    if (!app->paywall) {
        fprintf(stderr, "broadsheet: %s\n", err);
        return -1;
    }
    app->mailer = mailer_start(config, store, site_name(app, store));
    if (!strcmp(config->access_log, "-")) {
        app->log_fd = STDOUT_FILENO;
    } else if (strcmp(config->access_log, "off") != 0) {
        app->log_fd = open(config->access_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        if (app->log_fd < 0) {
            fprintf(stderr, "broadsheet: access log %s: %s\n", config->access_log, strerror(errno));
            return -1;
        }
    }
    return 0;
}

static void app_free(struct app *app)
{
    jobs_stop(app->jobs);
    mailer_stop(app->mailer);
    paywall_free(app->paywall);
    free(app->trusted_proxies);
    ratelimit_free(app->limits);
    cache_free(app->cache);
    assets_free(app->assets);
    tmpl_set_free(app->templates);
    free(app->site_url);
    arena_free(app->scratch);
    if (app->log_fd > STDERR_FILENO)
        close(app->log_fd);
}

/* Prints where the site is, and its newest article, for the operator. */
static void announce(struct app *app, const char *base)
{
    fprintf(stderr, "broadsheet: listening on %s/ (database %s)\n", base, app->config->db);
    struct arena *a = arena_new(0);
    struct article_query q = {.limit = 1};
    struct article *latest;
    size_t n;
    if (store_articles_latest(app->store, a, &q, &latest, &n) == STORE_OK && n)
        fprintf(stderr, "broadsheet: newest article: %s/articles/%s\n", base, latest[0].slug);
    arena_free(a);
}

int server_run(const struct config *config, struct store *store)
{
    struct app app;
    int rc = -1;
    struct MHD_Daemon *daemon = NULL;
    struct listener *listener = NULL;
    /* Stop signals are taken by this thread with sigtimedwait. Block them before any thread
     * starts (the job pool and the mailer start in app_init, libmicrohttpd's workers later) so
     * every thread inherits the mask: a SIGTERM delivered to another thread would otherwise
     * kill the process instead of draining it. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (app_init(&app, config, store) < 0)
        goto out;

    struct sockaddr_storage ss;
    socklen_t ss_len;
    if (resolve(config->address, config->port, &ss, &ss_len) < 0)
        goto out;
    raise_file_limit();

    char err[512];
    listener = listener_open((struct sockaddr *)&ss, ss_len, err, sizeof err);
    if (!listener) {
        fprintf(stderr, "broadsheet: cannot listen on %s port %d: %s\n", config->address,
                config->port, err);
        goto out;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads =
        config->threads ? (unsigned)config->threads : (unsigned)(cores > 0 ? cores : 1);
    /* No listening socket of its own: listener.c accepts and screens connections and hands
     * them over with MHD_add_connection. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | MHD_USE_NO_LISTEN_SOCKET | MHD_ALLOW_SUSPEND_RESUME;
    daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, access_handler, &app, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)config->connection_limit, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)config->per_ip_limit, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)config->timeout,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768, MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
        MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, NULL, MHD_OPTION_NOTIFY_COMPLETED,
        request_completed, &app, MHD_OPTION_END);
    if (!daemon) {
        fprintf(stderr, "broadsheet: cannot start the HTTP server: %s\n", strerror(errno));
        goto out;
    }
    if (listener_start(listener, daemon, config->timeout) < 0) {
        fprintf(stderr, "broadsheet: cannot start accepting connections: %s\n", strerror(errno));
        goto out;
    }
    unsigned port = listener_port(listener);
    char base[512];
    if (*config->site_url) {
        snprintf(base, sizeof base, "%s", config->site_url);
    } else if (ss.ss_family == AF_INET6) {
        snprintf(base, sizeof base, "http://[%s]:%u", config->address, port);
    } else {
        snprintf(base, sizeof base, "http://%s:%u", config->address, port);
    }
    size_t base_len = strlen(base);
    while (base_len && base[base_len - 1] == '/')
        base[--base_len] = '\0';
    app.site_url = xstrdup(base);
    if (*config->site_url)
        fprintf(stderr, "broadsheet: bound to %s port %u\n", config->address, port);
    char local[512];
    snprintf(local, sizeof local, ss.ss_family == AF_INET6 ? "http://[%s]:%u" : "http://%s:%u",
             config->address, port);
    announce(&app, local);

    /* Wait for a stop signal; meanwhile flush the page cache whenever the content changes
     * (an import by another process, or an edit). */
    int64_t version = 0, next_purge = 0;
    store_content_version(store, &version);
    for (;;) {
        if (util_now() >= next_purge) { /* expired sessions and links, hourly */
            store_accounts_purge(store, util_now());
            next_purge = util_now() + 3600;
        }
        struct timespec wait = {0, WATCH_INTERVAL_MS * 1000000L};
        int sig = sigtimedwait(&stop_signals, NULL, &wait);
        if (sig == SIGTERM || sig == SIGINT) {
            fprintf(stderr, "broadsheet: %s: finishing requests in flight\n",
                    sig == SIGTERM ? "SIGTERM" : "SIGINT");
            break;
        }
        int64_t now_version;
        if (store_content_version(store, &now_version) == STORE_OK && now_version != version) {
            version = now_version;
            cache_flush(app.cache);
        }
        paywall_refresh(app.paywall, store); /* organisations' ranges */
        ads_flush(store);                    /* impressions and clicks counted meanwhile */
    }

    /* Drain: stop accepting, let the requests in flight finish, then close what is left
     * (idle keep-alive connections). */
    listener_close(listener);
    listener = NULL;
    int64_t deadline = util_monotonic_ms() + DRAIN_SECONDS * 1000;
    while (atomic_load(&requests_in_flight) > 0 && util_monotonic_ms() < deadline) {
        struct timespec tick = {0, 20 * 1000000L};
        nanosleep(&tick, NULL);
    }
    jobs_stop(app.jobs); /* finishes offloaded work, which resumes its connections */
    app.jobs = NULL;
    MHD_stop_daemon(daemon);
    daemon = NULL;
    ads_flush(store); /* the last requests' counts */
    store_thread_done(store);
    free_requests();
    fprintf(stderr, "broadsheet: stopped\n");
    rc = 0;
out:
    listener_close(listener);
    if (daemon)
        MHD_stop_daemon(daemon);
    app_free(&app);
    return rc;
}
