/*
 * render.h: from stored records to a page. Builds the template context every page shares
 * (site, assets, navigation, page metadata) and the pieces pages have in common (article
 * cards), and renders a theme template. The JSON shapes are the theme's contract, written down
 * in docs/theme.md.
 */
#ifndef BROADSHEET_RENDER_H
#define BROADSHEET_RENDER_H

#include <jansson.h>

#include "buf.h"
#include "req.h"
#include "store.h"

/* Which navigation entry is the current page's. */
struct render_current {
    const char *section_slug;     /* or NULL */
    const char *publication_slug; /* or NULL */
};

/* A new context (the caller owns the reference; NULL when a part failed, logged) with site,
 * assets, nav, publications, year and page {title, description (the host publication's when
 * NULL), canonical (site URL + path; absent when path is NULL, for pages that are not at an
 * address of their own, such as error pages), kind}. title is the page's own title; the site's
 * name is appended (or it is the site's name alone when NULL). */
json_t *render_context(struct req *r, const char *kind, const char *title, const char *description,
                       const char *path, const struct render_current *current);

/* Renders template name with ctx (consumed) into out. Returns 200, or 500 if the template is
 * missing, ctx is NULL (a context that could not be built) or its render passed tmpl.c's caps
 * on work (logged every time). */
unsigned render_page(struct req *r, const char *name, json_t *ctx, struct buf *out);

/* Records that the page being rendered shows what the cache tag fmt… names (cache.h): "nav"
 * (sections and publications, on every page), "article:ID", "list:all" (the newest articles),
 * "list:section:ID", "list:publication:ID". They are the keys of the store's change log
 * (migrations/sqlite/009_changes.sql): a page is dropped from the cache exactly when one of its
 * tags changes. A page that reads something from the store must name it here. */
void render_depends(struct req *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A card (headline, dek, url, byline, dates, section, publication) for a list of articles. */
json_t *render_card(const struct article *a);
/* An array of cards for list[0..n). */
json_t *render_cards(const struct article *list, size_t n);

/* Building a context that cannot lose a part without a word. jansson's json_pack fails (NULL)
 * on text that is not UTF-8 or on a NULL string, and json_object_set_new and
 * json_array_append_new drop a NULL value silently, so a page went out without the part (a
 * signed-in reader whose name was not UTF-8 looked signed out). So a context and its parts are
 * built with these: render_pack is json_pack that logs why it failed (jansson's reason, never
 * the value); render_set and render_append put value into object or array and return it, but
 * given a NULL value (a part that failed) or a NULL object (a context that failed already) they
 * free what they were given and return NULL. The first part that fails makes the whole context
 * NULL, and render_page answers a NULL context with 500. render_context, render_card,
 * render_cards and render_publication return NULL the same way. */
json_t *render_pack(const char *fmt, ...);
json_t *render_set(json_t *object, const char *key, json_t *value);
json_t *render_append(json_t *array, json_t *value);

/* obj without its members that are the empty string, so that a template's {{#name}} section
 * (which shows for "": tmpl.h) shows only what has a value. Returns obj. */
json_t *render_prune_empty(json_t *obj);

/* ISO 8601 ("2014-06-13T14:30:00Z") and display ("June 13, 2014") forms of a time. */
void render_dates(int64_t when, char *iso, size_t iso_size, char *display, size_t display_size);
/* A date and time to show ("June 13, 2014, 14:30 UTC"): an article's update, a revision's save. */
void render_time(int64_t when, char *out, size_t size);
/* The same ("June 13, 2014, 14:30 UTC") from the arena a, or "" for 0 (no time). */
const char *render_when(struct arena *a, int64_t t);

/* The publication fields the templates use (name, url, description, producer, partner…, and
 * syndicated: produced under contract with a partner). */
json_t *render_publication(const struct publication *p);

#endif
