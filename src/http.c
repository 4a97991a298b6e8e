/*
 * http.c: the request life cycle. See http.h.
 *
 * libmicrohttpd calls access_handler once when the headers are in (we take a struct req from
 * the free list, validate, match the route and prepare for the body), again for each piece of
 * body, and once more with no body left, when we answer. Answering on that later call keeps
 * keep-alive connections open (answering on the first call makes libmicrohttpd close them);
 * requests refused on the first call are answered at once, with Connection: close.
 * request_completed logs the request and puts the struct req back.
 *
 * Hot path of a cached page: validate (no allocation), route (the path parameters go to the
 * request's arena, whose first block is reused), cache lookup under a read lock, queue a
 * prepared response. No rendering, compression or malloc.
 */
#include "http.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "accesslog.h"
#include "account.h"
#include "app.h"
#include "jobs.h"
#include "reader.h"
#include "respond.h"
#include "route.h"
#include "screen_io.h"
#include "util.h"

#define MAX_URL_LENGTH 2048             /* longer request targets get 414 */
#define MAX_FORM_BYTES 65536            /* form bodies larger than this get 413 */
#define MAX_LONG_FORM_BYTES (4 << 20)   /* … on a ROUTE_LONG_FORM route (an article's body) */
#define MAX_JSON_BYTES (512 * 1024)     /* JSON bodies (Stripe's events can be large) */
#define MAX_DROPPED_BYTES (1024 * 1024) /* a body we do not want is read this far, then closed */
#define JOB_RETRY_SECONDS 5             /* Retry-After when the job pool's queue is full */
#define FIELD_FIRST_CAP 64              /* a form value's first allocation; it doubles */

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
    if (r->pending) /* a job's answer the connection did not live to send */
        MHD_destroy_response(r->pending);
    r->pending = NULL;
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

int http_in_flight(void)
{
    return atomic_load(&requests_in_flight);
}

/* ---- work off the HTTP threads -------------------------------------------------------------
 *
 * A job runs with the connection suspended; when it is done it resumes the connection, and
 * libmicrohttpd calls access_handler again, which answers (job_done). */

/* Suspends r's connection and runs fn(r) on the job pool. When the pool's queue is full, the
 * answer is 503 instead, sent as soon as the connection resumes. */
static enum MHD_Result to_job(struct req *r, void (*fn)(void *arg))
{
    MHD_suspend_connection(r->conn);
    if (jobs_submit(r->app->jobs, fn, r) == 0)
        return MHD_YES;
    r->work = NULL;
    r->finish = NULL;
    r->on_job = 1; /* keeps the answer for the resumed call, like a job's */
    respond_unavailable(r, JOB_RETRY_SECONDS);
    r->job_done = 1;
    MHD_resume_connection(r->conn);
    return MHD_YES;
}

/* Job thread: an offloaded step; its finish answers on the HTTP thread. */
static void run_offloaded(void *arg)
{
    struct req *r = arg;
    r->work(r);
    r->job_done = 1;
    MHD_resume_connection(r->conn);
}

enum MHD_Result http_offload(struct req *r, void (*work)(struct req *r),
                             enum MHD_Result (*finish)(struct req *r))
{
    if (r->on_job) { /* already off the HTTP thread: both halves here */
        work(r);
        return finish(r);
    }
    r->work = work;
    r->finish = finish;
    return to_job(r, run_offloaded);
}

/* Job thread: a ROUTE_JOB route's whole handler; its answer waits in r->pending. */
static void run_handler(void *arg)
{
    struct req *r = arg;
    r->on_job = 1;
    r->route->handle(r);
    r->job_done = 1;
    MHD_resume_connection(r->conn);
}

/* ---- validating a request ------------------------------------------------------------------ */

struct header_counts {
    int content_length;
    int transfer_encoding;
    int host;
    int bad; /* a malformed name or value, or a Transfer-Encoding other than chunked */
};

/* 1 if c may appear in a header name (RFC 9110's token characters). */
static int token_char(unsigned char c)
{
    return c > 0x20 && c < 0x7f && !strchr("\"(),/:;<=>?@[\\]{}", c);
}

/* MHD_KeyValueIterator counting the headers that must not repeat or combine, and noting
 * malformed names and values. request screening (screen.h) refuses these before
 * libmicrohttpd parses them; this is the second line, on what libmicrohttpd made of them. */
static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    struct header_counts *c = cls;
    if (!*key)
        c->bad = 1;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        if (!token_char(*p))
            c->bad = 1; /* "Transfer-Encoding " (space before the colon) and friends */
    if (!strcasecmp(key, "Content-Length")) {
        c->content_length++;
        if (!value || !*value || strspn(value, "0123456789") != strlen(value))
            c->bad = 1;
    } else if (!strcasecmp(key, "Transfer-Encoding")) {
        c->transfer_encoding++;
        if (!value || strcasecmp(value, "chunked") != 0)
            c->bad = 1; /* the only coding we read; "xchunked", "chunked, identity"… */
    } else if (!strcasecmp(key, "Host")) {
        c->host++;
    }
    for (const unsigned char *p = (const unsigned char *)value; p && *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            c->bad = 1;
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
    if (counts.content_length > 1 || counts.transfer_encoding > 1 ||
        (counts.content_length && counts.transfer_encoding) || counts.bad)
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
    r->if_modified_since = req_header(r, MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
    return 0;
}

/* ---- the body ------------------------------------------------------------------------------ */

/* 1 if r's signed-in reader has the role r's route needs (a need other than NEED_ANYONE): the
 * one rule for both dispatch's 403 and begin_body's long-form limits, so that nobody the route
 * would refuse is given its long limits. */
static int reader_meets_need(const struct req *r)
{
    return r->reader && (int)r->reader->user.role >= (int)r->route->need - (int)NEED_READER;
}

/* The bytes one form field of r keeps: REQ_MAX_LONG_FIELD on a ROUTE_LONG_FORM route, for
 * someone the route admits (r->long_form). */
static size_t field_limit(const struct req *r)
{
    return r->long_form ? REQ_MAX_LONG_FIELD : REQ_MAX_FIELD;
}

/* MHD_PostProcessor iterator: collects form fields into r->form. A value may arrive in pieces
 * (off says where this one goes); it gets memory as its bytes arrive, never more than twice what
 * it holds, so a flood of empty fields costs what it carries. More than REQ_MAX_FIELDS fields
 * refuse the form (413) and stop the parsing. */
static enum MHD_Result collect_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *filename, const char *content_type,
                                     const char *transfer_encoding, const char *data, uint64_t off,
                                     size_t size)
{
    struct req *r = cls;
    struct form_field *f = r->form;
    if (off == 0 || !f || strcmp(f->name, key) != 0) {
        if (r->form_fields == REQ_MAX_FIELDS) {
            r->body_error = MHD_HTTP_CONTENT_TOO_LARGE;
            return MHD_NO;
        }
        f = arena_calloc(r->arena, 1, sizeof *f);
        f->name = arena_strdup(r->arena, key);
        f->value = (char *)"";
        f->next = r->form;
        r->form = f;
        r->form_fields++;
    }
    size_t max = field_limit(r);
    size_t room = max - f->len;
    if (size > room) {
        f->too_long = 1;
        size = room;
    }
    if (f->len + size + 1 > f->cap) {
        size_t cap = f->cap ? f->cap : FIELD_FIRST_CAP;
        while (cap < f->len + size + 1)
            cap *= 2;
        if (cap > max + 1)
            cap = max + 1;
        char *bigger = arena_alloc(r->arena, cap);
        memcpy(bigger, f->value, f->len);
        f->value = bigger;
        f->cap = cap;
    }
    memcpy(f->value + f->len, data, size);
    f->len += size;
    f->value[f->len] = '\0';
    return MHD_YES;
}

/* The largest body r may send: a form is small; a JSON event may be larger; a body the route
 * does not want is read only so far (to answer it), then the connection closes. */
static size_t body_limit(const struct req *r)
{
    if (r->raw_body)
        return MAX_JSON_BYTES;
    if (r->post)
        return r->long_form ? MAX_LONG_FORM_BYTES : MAX_FORM_BYTES;
    return MAX_DROPPED_BYTES;
}

/* Prepares to read a POST body as r's route takes it: a form is parsed as it streams in, a JSON
 * body kept as sent; a body of the wrong type is refused (415) once the route answers, and a
 * body the route does not take (or the request matched no route) is read and dropped. */
static void begin_body(struct req *r)
{
    if (r->route_result != ROUTE_FOUND)
        return;
    const char *type = req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
    /* The long limits (megabytes of an article's body) are only for someone the route admits:
     * the session is read now, before the body, so that nobody else can make the server hold
     * megabytes per request (they get the ordinary form's limits, then the route's answer). */
    if (r->route->flags & ROUTE_LONG_FORM) {
        if (req_cookie(r, READER_SESSION_COOKIE))
            reader_load(r);
        r->long_form = r->route->need != NEED_ANYONE && reader_meets_need(r);
    }
    switch (r->route->body) {
    case BODY_FORM:
        if (type && (!strncasecmp(type, "application/x-www-form-urlencoded", 33) ||
                     !strncasecmp(type, "multipart/form-data", 19))) {
            r->post = MHD_create_post_processor(r->conn, 8192, collect_field, r);
            if (!r->post)
                r->body_error = MHD_HTTP_BAD_REQUEST;
        } else {
            r->body_error = MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
        }
        break;
    case BODY_JSON:
        if (type && !strncasecmp(type, "application/json", 16)) {
            r->raw_body = arena_alloc(r->arena, 1024); /* grows as the body arrives */
            r->raw_body[0] = '\0';
            r->raw_cap = 1024;
        } else {
            r->body_error = MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
        }
        break;
    case BODY_NONE:
    case BODY_ANY: break;
    }
}

/* Takes one piece of body. Returns MHD_NO to close the connection (a body far past its
 * limit). */
static enum MHD_Result take_body(struct req *r, const char *data, size_t size)
{
    r->body_bytes += size;
    if (r->answered)
        return MHD_YES;
    /* A chunked body that grows past the limit: read and drop a little more so the answer can
     * follow it, but close the connection rather than read without end. */
    if (r->body_bytes > body_limit(r)) {
        r->body_error = MHD_HTTP_CONTENT_TOO_LARGE;
        return r->body_bytes > 2 * body_limit(r) ? MHD_NO : MHD_YES;
    }
    if (r->body_error)
        return MHD_YES;
    if (r->post && MHD_post_process(r->post, data, size) != MHD_YES && !r->body_error)
        r->body_error = MHD_HTTP_BAD_REQUEST;
    if (r->raw_body) {
        if (r->raw_len + size + 1 > r->raw_cap) {
            size_t cap = r->raw_cap * 2;
            while (cap < r->raw_len + size + 1)
                cap *= 2;
            char *bigger = arena_alloc(r->arena, cap);
            memcpy(bigger, r->raw_body, r->raw_len);
            r->raw_body = bigger;
            r->raw_cap = cap;
        }
        memcpy(r->raw_body + r->raw_len, data, size);
        r->raw_len += size;
        r->raw_body[r->raw_len] = '\0';
    }
    return MHD_YES;
}

/* ---- answering ----------------------------------------------------------------------------- */

/* The log-in page's address that brings a reader back to next (a local path), percent-encoded
 * as a query value but for its slashes. */
static const char *login_location(struct req *r, const char *next)
{
    static const char hex[] = "0123456789ABCDEF";
    struct buf out = BUF_INIT;
    buf_puts(&out, "/login?next=");
    for (const unsigned char *p = (const unsigned char *)next; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~/", *p)) {
            buf_putc(&out, (char)*p);
        } else {
            char enc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            buf_append(&out, enc, 3);
        }
    }
    const char *location = arena_strndup(r->arena, out.data, out.len);
    buf_free(&out);
    return location;
}

/* Applies r's route's policy, then answers with its handler or its cached page. */
static enum MHD_Result dispatch(struct req *r)
{
    if (r->route_result == ROUTE_NOT_FOUND)
        return respond_error(r, MHD_HTTP_NOT_FOUND);
    if (r->route_result == ROUTE_METHOD_NOT_ALLOWED) {
        char allow[128];
        route_allow_header(r->route_allowed, allow, sizeof allow);
        return respond_error_with(r, MHD_HTTP_METHOD_NOT_ALLOWED, "Allow", allow, 0);
    }
    const struct route *route = r->route;
    if (r->body_error)
        return respond_error(r, r->body_error);
    if (r->method == METHOD_POST && route->body == BODY_FORM && !r->post)
        return respond_error(r, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE);
    if (r->method == METHOD_POST && route->body == BODY_JSON && !r->raw_body)
        return respond_error(r, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE);
    if (!(route->flags & ROUTE_NO_SESSION) &&
        !(route->flags & ROUTE_LONG_FORM && r->method == METHOD_POST) &&
        req_cookie(r, READER_SESSION_COOKIE))
        reader_load(r); /* (a long form's POST had it read before its body: begin_body) */
    /* A POST changes something: it must come from our own form, whatever else it claims. */
    if (r->method == METHOD_POST && route->csrf != CSRF_EXEMPT && !reader_csrf_valid(r))
        return account_forbidden(r);
    if (route->need != NEED_ANYONE) {
        if (!r->reader) {
            const char *next =
                r->method == METHOD_POST ? (route->login_next ? route->login_next : "/") : r->path;
            return respond_redirect(r, MHD_HTTP_SEE_OTHER, login_location(r, next));
        }
        if (!reader_meets_need(r))
            return respond_error(r, MHD_HTTP_FORBIDDEN);
    }
    if (route->render)
        return respond_cached(r, r->path, route->render);
    if ((route->flags & ROUTE_JOB) || ((route->flags & ROUTE_JOB_POST) && r->method == METHOD_POST))
        return to_job(r, run_handler);
    return route->handle(r);
}

/* MHD_AccessHandlerCallback: see the life of a request at the top of the file. */
static enum MHD_Result access_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **req_cls)
{
    struct req *r = *req_cls;
    if (!r) {
        struct app *app = cls;
        /* This thread's database connection waits for a lock only briefly (http.h). */
        static __thread int wait_set;
        if (!wait_set) {
            store_thread_wait(app->store, HTTP_DB_WAIT_MS);
            wait_set = 1;
        }
        r = req_acquire(app);
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
            return respond_error_with(r, bad, NULL, NULL, 1);
        const struct route *route = NULL;
        r->route_result = route_match(routes, route_count, r, &route, &r->route_allowed);
        r->route = route;
        if (r->method == METHOD_POST)
            begin_body(r);
        /* A declared body over the limit is refused before any of it is read. */
        const char *length = req_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (length && strtoull(length, NULL, 10) > body_limit(r))
            return respond_error_with(r, MHD_HTTP_CONTENT_TOO_LARGE, NULL, NULL, 1);
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t size = *upload_data_size;
        *upload_data_size = 0;
        return take_body(r, upload_data, size);
    }
    if (r->job_done) { /* back from the job pool */
        r->job_done = 0;
        if (r->finish) {
            enum MHD_Result (*finish)(struct req * r) = r->finish;
            r->finish = NULL;
            return finish(r);
        }
        return respond_pending(r);
    }
    if (r->answered)
        return MHD_YES;
    return dispatch(r);
}

/* ---- metrics -------------------------------------------------------------------------------- */

/* The labels after the routes' own (http_metrics_new), in this order. */
static const char *const unrouted_labels[] = {"notfound", "notallowed", "invalid"};

struct metrics *http_metrics_new(void)
{
    size_t count = route_count + ARRAY_LEN(unrouted_labels);
    const char **names = xcalloc(count, sizeof *names);
    for (size_t i = 0; i < route_count; i++)
        names[i] = routes[i].pattern;
    for (size_t i = 0; i < ARRAY_LEN(unrouted_labels); i++)
        names[route_count + i] = unrouted_labels[i];
    struct metrics *m = metrics_new(names, count);
    free(names); /* metrics_new copies the array; the strings are static */
    return m;
}

/* r's label index in http_metrics_new's order. */
static size_t metrics_label(const struct req *r)
{
    if (r->route)
        return (size_t)(r->route - routes);
    if (r->route_result == ROUTE_NOT_FOUND)
        return route_count;
    if (r->route_result == ROUTE_METHOD_NOT_ALLOWED)
        return route_count + 1;
    return route_count + 2; /* refused by validate, before route_match ran */
}

/* MHD_RequestCompletedCallback: logs and counts the request and recycles its struct req. */
static void request_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                              enum MHD_RequestTerminationCode toe)
{
    struct app *app = cls;
    struct req *r = *req_cls;
    if (!r)
        return;
    if (r->answered) {
        accesslog_write(app->log_fd, r);
        if (app->metrics) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            int64_t now_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
            metrics_count_request(app->metrics, metrics_label(r), r->status,
                                  now_us - r->started_us);
        }
    }
    req_release(r);
    *req_cls = NULL;
}

/* MHD_UnescapeCallback that leaves the URL and query as sent: we decode them ourselves,
 * strictly, so bad percent-encoding is an error rather than passed through. */
static size_t keep_escaped(void *cls, struct MHD_Connection *conn, char *s)
{
    return strlen(s);
}

/* MHD_LogCallback: libmicrohttpd's own complaints, to stderr. fmt is libmicrohttpd's own
 * format string, never outside data. */
__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    fputs("broadsheet: libmicrohttpd: ", stderr);
    vfprintf(stderr, fmt, ap);
}

struct MHD_Daemon *http_start(struct app *app, unsigned threads)
{
    const struct config *config = app->config;
    /* No listening socket of its own: listener.c accepts connections and hands them over with
     * MHD_add_connection. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | MHD_USE_NO_LISTEN_SOCKET | MHD_ALLOW_SUSPEND_RESUME;
    struct MHD_Daemon *daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, access_handler, app, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)config->connection_limit, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)config->per_ip_limit, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)config->timeout,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SCREEN_IO_MHD_MEMORY,
        MHD_OPTION_STRICT_FOR_CLIENT, (int)1, MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, NULL,
        MHD_OPTION_NOTIFY_COMPLETED, request_completed, app, MHD_OPTION_NOTIFY_CONNECTION,
        screen_io_notify, NULL, MHD_OPTION_END);
    if (!daemon)
        perror("broadsheet: cannot start the HTTP server");
    return daemon;
}

void http_stop(struct MHD_Daemon *daemon)
{
    if (daemon)
        MHD_stop_daemon(daemon);
    free_requests();
}
