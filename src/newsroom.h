/*
 * newsroom.h: what every page of the newsroom (/newsroom…) shares: its template context and
 * how it answers. Newsroom pages are for staff only (the route table's NEED_WRITER and above
 * decide who may open them, before any handler runs), personal, and never cached: each is
 * rendered for its request and sent private, no-store, with X-Robots-Tag: noindex.
 */
#ifndef BROADSHEET_NEWSROOM_H
#define BROADSHEET_NEWSROOM_H

#include <jansson.h>

#include "req.h"

/* The context of a newsroom page: the site's (render_context: site, assets), and page.kind
 * "newsroom", page.title, staff {name, email, role, is_editor, is_admin}, csrf (the signed-in
 * person's token for every form), and newsroom_nav: the newsroom's areas, each {name, url,
 * current}, current the one whose key is `area` ("articles", "authors", "tags", "sections",
 * "publications", "staff", "audit"), those the person's role may use only. NULL when out of
 * memory (logged); render_page answers NULL with 500. */
json_t *newsroom_context(struct req *r, const char *area, const char *title);

/* Renders the template `name` with ctx (consumed) and sends it with status: private, no-store,
 * X-Robots-Tag: noindex. */
enum MHD_Result newsroom_send(struct req *r, unsigned status, const char *name, json_t *ctx);

#endif
