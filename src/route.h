/*
 * route.h: the URL space as one static table (as cgit's cmd.c): method mask, path pattern,
 * and what answers it. A pattern is literal segments and ":name" segments, each of which
 * matches one non-empty path segment and becomes a request parameter, in order. The table is
 * in routes.c, so the whole site's URL space reads in one place.
 */
#ifndef BROADSHEET_ROUTE_H
#define BROADSHEET_ROUTE_H

#include <stdio.h>

#include "buf.h"
#include "req.h"

/* Renders a cacheable page into out and returns its HTTP status: 200 with out filled, or an
 * error status (404…) with out untouched, for which the server sends its error page. The
 * server caches what a 200 produced under the request path, so a page renderer must depend
 * only on the path, its parameters and the stored content. */
typedef unsigned (*route_render_fn)(struct req *r, struct buf *out);

/* Answers the request itself (queues a response through respond.h) and returns
 * MHD_YES/MHD_NO. */
typedef enum MHD_Result (*route_handle_fn)(struct req *r);

/* What a POST to the route may carry. The body is parsed only when the route takes it: a form
 * for a route that takes none is read and dropped unparsed. */
enum route_body {
    BODY_NONE = 0, /* no body (GET and HEAD routes) */
    BODY_FORM,     /* application/x-www-form-urlencoded or multipart/form-data, parsed */
    BODY_JSON,     /* application/json as sent (r->raw_body): a webhook */
    BODY_ANY,      /* any type or none, ignored: navigator.sendBeacon's */
};

/* Who may use the route. Anyone else who is not signed in is sent to log in (and back: the
 * route's login_next, or the page they asked for); a signed-in reader without the role gets
 * 403. The roles are store.h's, in rising order. */
enum route_need {
    NEED_ANYONE = 0,
    NEED_READER, /* any signed-in account */
    NEED_WRITER,
    NEED_EDITOR,
    NEED_ADMIN,
};

/* CSRF for POSTs: checked (the form's csrf field, reader.h) before the handler runs, unless the
 * route is exempt, with its reason. A POST route must say which: the unit test of the table
 * refuses one that says neither, and the server treats it as checked. */
enum route_csrf {
    CSRF_UNSAID = 0,
    CSRF_CHECK,
    CSRF_EXEMPT,
};

enum route_flags {
    ROUTE_NO_SESSION = 1 << 0, /* never loads the reader's session (static files, health) */
    ROUTE_JOB = 1 << 1,        /* the handler runs on the job pool: it writes to the database,
                                * which may wait on a lock; an HTTP thread never does */
    ROUTE_JOB_POST = 1 << 2,   /* only its POSTs run on the job pool (a form: GET shows it) */
    ROUTE_TOKEN_URL = 1 << 3,  /* its URL may carry a secret (?token=): its pages send
                                * Referrer-Policy: no-referrer */
    ROUTE_LONG_FORM = 1 << 4,  /* its form carries long text (an article's body): fields up to
                                * REQ_MAX_LONG_FIELD bytes, the body up to 4 MiB, for someone
                                * the route's need admits (read before the body); anyone else
                                * has an ordinary form's limits */
};

struct route {
    unsigned methods;       /* mask of enum method */
    const char *pattern;    /* "/articles/:slug" */
    route_render_fn render; /* a cached page, or */
    route_handle_fn handle; /* a handler of its own */
    enum route_body body;
    enum route_need need;
    enum route_csrf csrf;
    const char *csrf_exempt_why; /* with CSRF_EXEMPT: what authenticates the POST instead */
    const char *login_next;      /* NEED_*: where log-in returns to for a POST ("/account") */
    unsigned flags;              /* enum route_flags */
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

/* Checks a route table's policy: every route that takes POST says how CSRF is handled (an
 * exemption with its reason) and what body it takes; no GET-only route takes a body. Returns
 * the number of problems, each described on err (a line each). For the unit test and for the
 * server's start, which refuses to serve a table that fails it. */
int route_table_check(const struct route *table, size_t count, FILE *err);

/* Writes the Allow header value for a method mask ("GET, HEAD") into out (size bytes). */
void route_allow_header(unsigned methods, char *out, size_t size);

#endif
