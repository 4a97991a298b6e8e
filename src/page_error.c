/*
 * page_error.c: the error page (404 and every other status), in the site's layout so a reader
 * who took a wrong turn still has the navigation.
 */
#include <stdio.h>

#include "pages.h"
#include "render.h"

/* What we tell the reader for a status. */
static const char *explain(unsigned status)
{
    switch (status) {
    case 404:
        return "We could not find that page. It may have moved, or the address may be mistyped.";
    case 400: return "The request could not be understood.";
    case 405: return "That kind of request is not accepted at this address.";
    case 408: return "The request took too long to arrive. Please try again.";
    /* Only a killed article answers respond_error(410) (issue 13: page_article.c); the mailed
     * links that expire answer 410 with a message page of their own. Nothing of the article. */
    case 410: return "This article has been withdrawn by its publisher and is no longer available.";
    case 414: return "The address is too long.";
    case 431: return "The request's headers are too large.";
    case 505: return "That version of HTTP is not supported.";
    case 501: return "That request method is not supported.";
    case 403: return "That request was refused. Nothing was changed.";
    case 413: return "What you sent is too large.";
    case 415: return "That kind of content is not accepted at this address.";
    case 429: return "Too many attempts. Please wait a little and try again.";
    case 503: return "The site is briefly unavailable. Please try again in a moment.";
    default: return "Something went wrong on our side. Please try again in a moment.";
    }
}

void page_error(struct req *r, unsigned status, const char *title, struct buf *out)
{
    /* No path: the page is cached per status and shared, so nothing of the request that first
     * asked for it (its path, as a canonical link) may be in it. */
    json_t *ctx = render_context(r, "error", title, NULL, NULL, NULL);
    ctx = render_set(ctx, "error",
                     render_pack("{s:i, s:s, s:s}", "status", (int)status, "title", title,
                                 "message", explain(status)));
    size_t before = out->len;
    if (render_page(r, "error", ctx, out) != 200 || out->len == before) {
        /* a theme without an error page still gets an answer */
        buf_printf(out, "<!doctype html><title>%u</title><h1>%u</h1>\n", status, status);
    }
}
