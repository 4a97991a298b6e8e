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
#define REQ_MAX_COOKIES 4
#define REQ_MAX_FIELD 8192 /* bytes of one form field kept; longer ones are cut and flagged */

struct reader;
struct route;

/* One field of a submitted form (application/x-www-form-urlencoded or multipart/form-data),
 * decoded by libmicrohttpd's post processor. The value is as sent: handlers validate it
 * (UTF-8, length) before use. */
struct form_field {
    const char *name;
    char *value;
    size_t len;
    int too_long; /* the value was longer than REQ_MAX_FIELD and was cut */
    struct form_field *next;
};

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

    const struct route *route;      /* the matched route (for a body: matched on arrival) */
    struct MHD_PostProcessor *post; /* parses a form body */
    struct form_field *form;        /* the form's fields, newest first */
    size_t body_bytes;              /* body bytes received */
    char *raw_body;                 /* a JSON body as sent (NUL-terminated), for ROUTE_RAW_BODY */
    size_t raw_len;
    unsigned body_error; /* 413, 415 or 400 from reading the body; 0 if fine */

    struct reader *reader;    /* the signed-in reader (reader.h), or NULL */
    const char *anonymous_id; /* the anonymous CSRF binding cookie's value, or NULL */
    const char *reader_note;  /* per-reader words for the page (paywall.h), or NULL */
    int preview;              /* the article page is rendered as the paywall's preview */
    const char *set_cookies[REQ_MAX_COOKIES]; /* Set-Cookie values for this response */
    int set_cookie_count;

    /* Work offloaded to the job pool (server_offload): work runs there while the connection
     * is suspended, then finish answers on the HTTP thread. */
    void (*work)(struct req *r);
    enum MHD_Result (*finish)(struct req *r);
    int offloaded;
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

/* Adds a Set-Cookie header value (copied into the arena) to whatever this request answers.
 * At most REQ_MAX_COOKIES; more are dropped with a log line (a bug, not an input error). */
void req_set_cookie(struct req *r, const char *value);

/* The client's address as text ("127.0.0.1", "::1"), into out: the connection's peer, or, when
 * the peer is a trusted proxy (config trusted_proxies), the address X-Forwarded-For names. */
void req_client_ip(struct req *r, char *out, size_t size);

/* The method bit for a method name. */
enum method req_method_parse(const char *name);

#endif
