/*
 * html.h: output escaping, one escaper per output context (as in cgit's html.c), and the
 * trusted-HTML value type. Markup in Broadsheet is always a template literal; every value goes
 * through one of these escapers. The only way to put raw HTML into a page is a trusted-HTML
 * value, which only this module (html_trusted) makes, called by the Markdown renderer's users
 * and the page code for HTML Broadsheet built itself.
 */
#ifndef BROADSHEET_HTML_H
#define BROADSHEET_HTML_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"

/* Text content: escapes & < > " ' so the result is safe in element content and in quoted
 * attribute values alike. */
void html_text(struct buf *out, const char *s, size_t len);
/* Attribute value (always written inside double quotes by templates): same escaping as text. */
void html_attr(struct buf *out, const char *s, size_t len);
/* One path segment of a URL: percent-encodes everything but unreserved characters. */
void html_url_path(struct buf *out, const char *s, size_t len);
/* A query-string key or value: like a path segment, with space as %20. */
void html_url_arg(struct buf *out, const char *s, size_t len);

/* A new JSON value (a reference the caller owns) marking html as trusted markup, which a
 * template's {{{triple}}} writes unescaped. Only give it HTML that Broadsheet produced (cmark's
 * safe output, markup built in C from escaped parts). */
json_t *html_trusted(const char *html);
/* The markup of a value made by html_trusted, or NULL for any other value. */
const char *html_trusted_get(const json_t *value);

#endif
