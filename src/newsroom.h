/*
 * newsroom.h: what every page of the newsroom (/newsroom…) shares: its template context and
 * how it answers; and, below, what the article pages (page_newsroom_list.c,
 * page_newsroom_editor.c, page_newsroom_states.c) share. Newsroom pages are for staff only (the
 * route table's NEED_WRITER and above decide who may open them, before any handler runs),
 * personal, and never cached: each is rendered for its request and sent private, no-store,
 * with X-Robots-Tag: noindex.
 */
#ifndef BROADSHEET_NEWSROOM_H
#define BROADSHEET_NEWSROOM_H

#include <jansson.h>

#include "req.h"

struct newsroom_article;

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

/* ---- what the article pages share ------------------------------------------------------------ */

/* The article this request's :id names into *art: STORE_OK, STORE_NOT_FOUND (no such id) or
 * STORE_ERROR. */
int newsroom_load_article(struct req *r, struct newsroom_article *art);

/* Answers a failed newsroom_load_article (or store call) rc: 404 for STORE_NOT_FOUND, else
 * 500. */
enum MHD_Result newsroom_store_failed(struct req *r, int rc);

/* What ?done=CODE says on the articles' list and editor: a fixed set, so a query cannot put
 * text there. NULL for an unknown or NULL code. */
const char *newsroom_article_done_message(const char *code);

/* Adds to obj (an article's context in the list or the editor) what issue 13 tells of it:
 * embargoed_until ("June 13, 2014, 14:30 UTC") while it is scheduled under embargo, and killed
 * {when, by?, why} once it is killed (by: who last changed it, which the kill was; absent when
 * unknown). Nothing for any other article. */
void newsroom_article_fates(struct req *r, json_t *obj, const struct newsroom_article *art);

#endif
