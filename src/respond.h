/*
 * respond.h: the one response path. Every answer to a request is queued through here, and only
 * here: this is the code that hands a response to libmicrohttpd, records its status and size
 * for the access log, adds the security headers to it, and attaches the request's cookies and
 * extra headers. Page files never call libmicrohttpd's response functions themselves.
 *
 * Shared and own responses: a cached entity (entity.h) is one response object sent to every
 * reader, with its headers fixed when it was made; it can carry nothing of one request. So a
 * request that has cookies or extra headers to send gets a response of its own (a copy), and
 * respond_entity does that by itself.
 *
 * Job threads: a handler that runs on the job pool (a route with ROUTE_JOB, http.h) may call
 * any function here; the response is kept in the request and queued on the HTTP thread when
 * the connection resumes (libmicrohttpd takes responses only from its own threads).
 *
 * Every function returns libmicrohttpd's result, which the handler returns.
 */
#ifndef BROADSHEET_RESPOND_H
#define BROADSHEET_RESPOND_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "entity.h"
#include "req.h"
#include "route.h"

struct app;

/* The site's Content-Security-Policy, and the other headers every response carries. */
#define RESPOND_SITE_CSP                                                                           \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "              \
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

/* Adds the security headers to resp: csp (NULL: the site's policy), X-Content-Type-Options,
 * Referrer-Policy (no-referrer when no_referrer, else strict-origin-when-cross-origin) and,
 * with the site's policy, X-Frame-Options: DENY. */
void respond_security_headers(struct MHD_Response *resp, const char *csp, int no_referrer);

/* Writes the same security headers as "Name: value\r\n" lines into out (size bytes), for the
 * answers written to a socket before libmicrohttpd has it (screen_io.c). Returns the length, or
 * 0 if they do not fit. */
size_t respond_security_header_lines(char *out, size_t size);

/* Cookies. Every cookie Broadsheet sets is built here: Path=/, HttpOnly, SameSite=Lax, and
 * Secure when the site is served over HTTPS (config cookie_secure). max_age: seconds; 0 deletes
 * the cookie; -1 makes a session cookie (no Max-Age). name and value must be cookie-safe (the
 * caller's own tokens and numbers); a value that is not is dropped with a log line. */
void respond_cookie(struct req *r, const char *name, const char *value, int64_t max_age);

/* Adds a header to whatever this request answers (name and value copied into the arena). At
 * most REQ_MAX_HEADERS; more are dropped with a log line (a bug, not an input error). */
void respond_header(struct req *r, const char *name, const char *value);

/* How an own response is made. NULL fields take the defaults: content type text/html (UTF-8),
 * Cache-Control no-store, the site's CSP. */
struct respond_options {
    const char *content_type;
    const char *cache_control;
    const char *csp;
};

/* A response made for this request, body[0..len) copied. */
enum MHD_Result respond_buffer(struct req *r, unsigned status, const struct respond_options *o,
                               const void *body, size_t len);
/* The same from an open file of size bytes, sent from the descriptor (which is taken: closed
 * when the response is done, also on failure). */
enum MHD_Result respond_file(struct req *r, unsigned status, const struct respond_options *o,
                             int fd, uint64_t size);

/* An HTML page for this request alone (no-store). */
enum MHD_Result respond_page(struct req *r, unsigned status, const struct buf *body);
/* A short text/plain answer (no-store): health checks, webhook replies. */
enum MHD_Result respond_text(struct req *r, unsigned status, const char *text);
/* value as compact JSON (private, no-store); value is not consumed. */
enum MHD_Result respond_json(struct req *r, unsigned status, const json_t *value);
/* A body-less answer (204, 304…) with Cache-Control cache_control (NULL: no-store). */
enum MHD_Result respond_empty(struct req *r, unsigned status, const char *cache_control);
/* A redirect (303 after a form, 302…) to location, a local path or a checked URL. */
enum MHD_Result respond_redirect(struct req *r, unsigned status, const char *location);

/* A prepared entity: its gzip variant when the client takes it, 304 when If-None-Match names
 * it. Shared as it is when the request has nothing of its own to add. */
enum MHD_Result respond_entity(struct req *r, struct entity *e);

/* The site's error page for status (404, 405, 500…). The page names no request path (finding:
 * a cached error page must carry nothing of its first requester), so it is cached per status
 * and shared. 500 while the database is unavailable (store_unavailable) is sent as 503 with
 * Retry-After: RESPOND_OUTAGE_RETRY seconds, as is any other 500 response then. */
#define RESPOND_OUTAGE_RETRY "5"
enum MHD_Result respond_error(struct req *r, unsigned status);
/* The answer to a path that found no page: 301 when it is an old address in redirects
 * (store_redirect_find), to its article's current address while that article is published or to
 * the row's target when that is a path on this site (account_safe_next's rule: never "//host"
 * or a backslash), else the 404 page (500 when the lookup failed). It reads the store: call it
 * only once a page is known to be missing, never on the way to one that exists. */
enum MHD_Result respond_not_found(struct req *r);
/* The error page with one extra header (Allow, Retry-After) on a response of its own; close
 * asks the client to close the connection (for requests refused before their body was read). */
enum MHD_Result respond_error_with(struct req *r, unsigned status, const char *header,
                                   const char *value, int close);
/* 429 and 503 with Retry-After: seconds (at least 1). */
enum MHD_Result respond_too_many(struct req *r, int retry_after);
enum MHD_Result respond_unavailable(struct req *r, int retry_after);

/* The page cached under key, rendered with render (route.h) on a miss and cached; sent shared
 * to an anonymous reader with nothing personal, else with the reader's account links and note
 * spliced in (splice.h) as a private response. A renderer that sets r->render_type (a feed)
 * is cached with that Content-Type and sent whole to everyone, never spliced; one that sets
 * r->render_modified gives its entity that Last-Modified (entity_set_last_modified). */
enum MHD_Result respond_cached(struct req *r, const char *key, route_render_fn render);

/* The reason phrase for status ("Bad request"). */
const char *respond_status_title(unsigned status);

/* A whole HTTP/1.1 response for status, as bytes for a socket: the status line, the security
 * headers, Connection: close, and the site's error page (rendered without any request, so it is
 * the same for everyone). For answers sent before libmicrohttpd has the request (screen_io.c).
 * The caller frees the result; *len is its length. */
char *respond_raw_error(struct app *app, unsigned status, size_t *len);

/* The response a handler on a job thread produced, queued now on the HTTP thread (http.c). 500
 * when the handler produced none. */
enum MHD_Result respond_pending(struct req *r);

#endif
