/*
 * req.h: one HTTP request as the handlers see it. The server makes a struct req when a request's
 * headers have arrived, keeps it in libmicrohttpd's per-request slot (*req_cls), and recycles
 * it when the request completes; everything hanging off it comes from its arena.
 *
 * This is the place later features attach per-request state: the signed-in reader (session),
 * the meter and the per-reader bits spliced into cached pages all become fields here, filled
 * once per request before the handler runs.
 */
#ifndef BROADSHEET_REQ_H
#define BROADSHEET_REQ_H

#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"

struct app;

enum method {
    METHOD_GET = 1 << 0,
    METHOD_HEAD = 1 << 1,
    METHOD_POST = 1 << 2,
    METHOD_PUT = 1 << 3,
    METHOD_DELETE = 1 << 4,
    METHOD_OPTIONS = 1 << 5,
    METHOD_PATCH = 1 << 6,
    METHOD_OTHER = 1 << 7, /* TRACE, CONNECT: known to HTTP, never allowed here */
    METHOD_UNKNOWN = 1 << 8,
};

#define REQ_MAX_PARAMS 4
#define REQ_MAX_HEADERS 8  /* headers of its own one response may carry (cookies…) */
#define REQ_MAX_FIELD 8192 /* bytes of one form field kept; longer ones are cut and flagged */
#define REQ_MAX_FIELDS 64  /* fields of one form; a form with more is refused (413) */
/* A route flagged ROUTE_LONG_FORM (an article's body, issue 11) keeps fields up to this many
 * bytes instead of REQ_MAX_FIELD, and takes a form body up to 4 MiB (http.c,
 * MAX_LONG_FORM_BYTES). */
#define REQ_MAX_LONG_FIELD (1024 * 1024)

struct reader;
struct route;
struct paywall_note;

/* One field of a submitted form (application/x-www-form-urlencoded or multipart/form-data),
 * decoded by libmicrohttpd's post processor. The value is as sent: handlers validate it
 * (UTF-8, length) before use. */
struct form_field {
    const char *name;
    char *value;
    size_t len;
    size_t cap;   /* bytes allocated for value (grows as pieces arrive) */
    int too_long; /* the value was longer than REQ_MAX_FIELD (or REQ_MAX_LONG_FIELD) and was cut */
    struct form_field *next;
};

/* A header one response carries for this request alone (Set-Cookie, Location…). */
struct req_extra_header {
    const char *name, *value;
};

/* Room for a page's cache tags (render_depends): a page shows a handful; a feed (issue 12) names
 * each of its 50 items (article:ID) and their authors (author:ID). */
#define REQ_MAX_DEPS 4096

struct req {
    struct app *app;
    struct MHD_Connection *conn;
    struct arena *arena; /* per-request memory, reset when the request completes */
    enum method method;
    const char *method_name; /* as sent */
    const char *version;     /* "HTTP/1.1" */
    const char *raw_url;     /* path as sent, still percent-encoded, without the query */
    const char *path;        /* decoded and validated (UTF-8, no NUL or control characters) */
    const char *params[REQ_MAX_PARAMS]; /* route parameters (":slug"), decoded */
    int param_count;
    int accept_gzip;           /* the client takes Content-Encoding: gzip */
    const char *if_none_match; /* header value or NULL */
    int64_t started_us;        /* monotonic clock at arrival, for the access log */
    unsigned status;           /* the status sent, for the access log */
    uint64_t bytes;            /* body bytes sent, for the access log */
    int answered;              /* a response has been queued */

    const struct route *route;      /* the matched route (matched when the headers arrive) */
    int route_result;               /* enum route_match_result of that match */
    unsigned route_allowed;         /* with ROUTE_METHOD_NOT_ALLOWED: the methods allowed */
    struct MHD_PostProcessor *post; /* parses a form body */
    struct form_field *form;        /* the form's fields, newest first */
    int form_fields;                /* how many */
    size_t body_bytes;              /* body bytes received */
    char *raw_body;                 /* a JSON body as sent (NUL-terminated), for BODY_JSON */
    size_t raw_len;
    size_t raw_cap;      /* bytes allocated for raw_body (grows as it arrives) */
    unsigned body_error; /* 413, 415 or 400 from reading the body; 0 if fine */
    int long_form;       /* a ROUTE_LONG_FORM route's POST from someone it admits: the long
                          * limits apply (http.c), decided before the body is read */

    struct reader *reader;           /* the signed-in reader (reader.h), or NULL */
    int reader_unknown;              /* a session cookie came that the store could not check */
    const char *anonymous_id;        /* the anonymous CSRF binding cookie's value, or NULL */
    const struct paywall_note *note; /* what the paywall tells this reader (paywall.h), or NULL */
    int preview;                     /* the article page is rendered as the paywall's preview */
    /* What the page being rendered shows, as cache tags (render_depends): space-separated, in a
     * fixed buffer so that collecting them allocates nothing; deps_full when they did not fit
     * (the page is then not cached). */
    char deps[REQ_MAX_DEPS];
    size_t deps_len;
    int deps_full;
    /* What a page renderer may say of its output besides the bytes (respond_cached resets both
     * before it renders): its Content-Type (NULL: HTML; anything else is sent whole, never
     * spliced per reader) and its Last-Modified time (unix seconds; 0: none), e.g. a feed's. */
    const char *render_type;
    int64_t render_modified;
    /* The If-Modified-Since header's value or NULL: entity_choose answers it for an entity with
     * a Last-Modified time (a feed's). */
    const char *if_modified_since;
    struct req_extra_header headers[REQ_MAX_HEADERS]; /* respond_header's */
    int header_count;

    /* Work off the HTTP thread. A ROUTE_JOB handler runs on the job pool with the connection
     * suspended (on_job): its response waits in pending until the connection resumes. A handler
     * on an HTTP thread can offload one slow step (http_offload): work runs on the pool, then
     * finish answers on the HTTP thread. */
    int on_job;
    int job_done; /* the job ran: queue pending (or call finish) on the next call */
    struct MHD_Response *pending;
    unsigned pending_status;
    void (*work)(struct req *r);
    enum MHD_Result (*finish)(struct req *r);
    void *work_state; /* the handler's own state across the two halves */

    struct req *next_free; /* free list link while recycled */
};

/* Decodes percent-encoding in in[0..len) strictly into a new arena string: a '%' not followed
 * by two hex digits, an encoded or raw NUL or other control character, or a result that is not
 * UTF-8 is an error. plus_is_space decodes '+' as a space (query strings). Returns 0 with *out
 * set, or -1. */
int req_decode(struct arena *a, const char *in, size_t len, int plus_is_space, char **out);

/* The decoded value of query argument name, or NULL when absent. Arguments were validated when
 * the request arrived, so this never fails otherwise. */
const char *req_query(struct req *r, const char *name);

/* A request header's value, or NULL. */
const char *req_header(struct req *r, const char *name);

/* Parses an Accept-Encoding value: 1 if gzip is acceptable (listed, or "*", with q > 0). */
int req_accepts_gzip(const char *accept_encoding);

/* 1 if an If-None-Match value (a list of entity tags, or "*") matches etag (a quoted strong
 * tag); weak tags compare by their opaque part, as RFC 9110 asks for If-None-Match. */
int req_etag_matches(const char *if_none_match, const char *etag);

/* The value of form field name (the first sent), or NULL. */
const char *req_form(struct req *r, const char *name);
/* The form field itself, or NULL. */
const struct form_field *req_form_field(struct req *r, const char *name);

/* A request cookie's value, or NULL. */
const char *req_cookie(struct req *r, const char *name);

/* The client's address as text ("127.0.0.1", "::1"), into out: the connection's peer, or, when
 * the peer is a trusted proxy (config trusted_proxies), the address X-Forwarded-For names. Every
 * X-Forwarded-For line counts (a proxy may append a line of its own instead of extending the
 * client's): they are joined in order, names compared without case, into the one list that
 * cidr_client_ip walks from the right. */
void req_client_ip(struct req *r, char *out, size_t size);

/* The method bit for a method name. */
enum method req_method_parse(const char *name);

#endif
