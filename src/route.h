/*
 * route.h: the URL space as one static table (as cgit's cmd.c): method mask, path pattern,
 * and what answers it. A pattern is literal segments and ":name" segments, each of which
 * matches one non-empty path segment and becomes a request parameter, in order. The table is
 * in routes.c, so the whole site's URL space reads in one place.
 */
#ifndef BROADSHEET_ROUTE_H
#define BROADSHEET_ROUTE_H

#include "buf.h"
#include "req.h"

/* Renders a cacheable page into out and returns its HTTP status: 200 with out filled, or an
 * error status (404…) with out untouched, for which the server sends its error page. The
 * server caches what a 200 produced under the request path, so a page renderer must depend
 * only on the path, its parameters and the stored content. */
typedef unsigned (*route_render_fn)(struct req *r, struct buf *out);

/* Answers the request itself (queues a response through server.h) and returns MHD_YES/MHD_NO. */
typedef enum MHD_Result (*route_handle_fn)(struct req *r);

enum route_flags {
    ROUTE_RAW_BODY = 1 << 0, /* takes a JSON body as sent (r->raw_body), not a form */
    ROUTE_ANY_BODY = 1 << 1, /* ignores its body: a POST of any type, or none, is let through */
};

struct route {
    unsigned methods;       /* mask of enum method */
    const char *pattern;    /* "/articles/:slug" */
    route_render_fn render; /* a cached page, or */
    route_handle_fn handle; /* a handler of its own */
    unsigned flags;         /* enum route_flags */
};

extern const struct route routes[];
extern const size_t route_count;

enum route_match_result {
    ROUTE_FOUND,
    ROUTE_NOT_FOUND,          /* no pattern matches the path */
    ROUTE_METHOD_NOT_ALLOWED, /* a pattern matches, not for this method; *allowed has their union */
};

/* Finds the route for r->path and r->method in table[0..count), filling r->params. */
enum route_match_result route_match(const struct route *table, size_t count, struct req *r,
                                    const struct route **found, unsigned *allowed);

/* Writes the Allow header value for a method mask ("GET, HEAD") into out (size bytes). */
void route_allow_header(unsigned methods, char *out, size_t size);

#endif
