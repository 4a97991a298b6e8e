/*
 * pages.h: the reader site's pages, one file per page family (page_home.c, page_article.c,
 * page_section.c, page_publication.c, page_error.c, page_static.c, and the account pages), so
 * the URL space reads
 * from the file list. Renderers follow route_render_fn (route.h): they render into out and
 * return 200, or return an error status and leave out alone.
 */
#ifndef BROADSHEET_PAGES_H
#define BROADSHEET_PAGES_H

#include <jansson.h>

#include "buf.h"
#include "req.h"

unsigned page_home(struct req *r, struct buf *out);
unsigned page_section(struct req *r, struct buf *out);     /* params[0]: section slug */
unsigned page_publication(struct req *r, struct buf *out); /* params[0]: publication slug */

/* Archives and paging (issue 12). page_section and page_publication also answer their older
 * pages /sections/SLUG/before/ID (params[1]: the article the page starts after). The date
 * archive (page_archive.c): page_archive /archive/ (the months that have articles),
 * page_archive_year /archive/YYYY/ (params[0]), page_archive_month /archive/YYYY/MM/ (params[0],
 * params[1]) and its older pages /archive/YYYY/MM/before/ID (params[2]). */
unsigned page_archive(struct req *r, struct buf *out);
unsigned page_archive_year(struct req *r, struct buf *out);
unsigned page_archive_month(struct req *r, struct buf *out);
struct store_list;
/* The keyset pager every reader's list shares (page_list.c): the page of list (count articles)
 * after the cursor article cursor_text (NULL: the first page) into *ctx (articles, empty, and
 * the pager: paged, has_newer + newer_url, show_newest + newest_url, has_older + older_url,
 * and page.prev / page.next for the head), with base the first page's path. 200, 404 (a bad
 * cursor, or past the end) or 500; on 500 *ctx may be NULL (freed). */
unsigned page_list_part(struct req *r, json_t **ctx, const struct store_list *list,
                        const char *base, const char *cursor_text, int count);

/* The error page for status, titled title, into out. Never fails. */
void page_error(struct req *r, unsigned status, const char *title, struct buf *out);

/* /articles/SLUG: decides access (paywall.h) and sends the full or preview variant. */
enum MHD_Result page_article(struct req *r);

/* The page of article a (in any state) as readers see it, in the variant r->preview asks for
 * (the paywall's preview when set), with its corrections and update when it is published,
 * into out; banner, when not NULL, is shown above it (a newsroom preview's). 200, or 500 with
 * out untouched. The reader's route and the newsroom's preview both render through it. */
struct article;
unsigned page_article_render(struct req *r, const struct article *a, const char *banner,
                             struct buf *out);

/* /offers: the subscription plans ("Learn More »"). */
enum MHD_Result page_offers(struct req *r);

/* /static/FILE: the theme's fingerprinted assets. */
enum MHD_Result page_static(struct req *r);
/* /healthz: "ok" when the database answers, for load balancers. */
enum MHD_Result page_health(struct req *r);

/* Reader accounts (page_login.c, page_register.c, page_password.c, page_account.c). GET shows
 * a form, POST (with a valid CSRF token) acts on it. */
enum MHD_Result page_login(struct req *r);
enum MHD_Result page_logout(struct req *r);
enum MHD_Result page_register(struct req *r);
enum MHD_Result page_verify(struct req *r);
enum MHD_Result page_verify_email(struct req *r);
enum MHD_Result page_forgot(struct req *r);
enum MHD_Result page_reset(struct req *r);
enum MHD_Result page_restore_email(struct req *r);
enum MHD_Result page_account(struct req *r);
enum MHD_Result page_account_name(struct req *r);
enum MHD_Result page_account_email(struct req *r);
enum MHD_Result page_account_password(struct req *r);
enum MHD_Result page_account_verify(struct req *r);
enum MHD_Result page_account_sessions(struct req *r);
enum MHD_Result page_account_delete(struct req *r);

/* Stripe (page_stripe.c): the signed webhook, starting a Checkout for a plan, and the billing
 * portal. */
enum MHD_Result page_stripe_webhook(struct req *r);
/* The partners' API (page_partner_api.c, issue 13): items as IPTC ninjs 2.2, by Bearer key. */
enum MHD_Result page_api_items(struct req *r);
enum MHD_Result page_api_item(struct req *r);
enum MHD_Result page_api_item_version(struct req *r);
enum MHD_Result page_subscribe(struct req *r);
enum MHD_Result page_account_billing(struct req *r);

/* Advertising (page_ads.c): the creatives for a page's slots as JSON, an image creative's file,
 * an HTML creative's sandboxed frame, the impression beacon and the click-through redirect.
 * params[0]: the creative's id. */
enum MHD_Result page_ads_slots(struct req *r);
enum MHD_Result page_ads_image(struct req *r);
enum MHD_Result page_ads_frame(struct req *r);
enum MHD_Result page_ads_impression(struct req *r);
enum MHD_Result page_ads_click(struct req *r);

/* The newsroom's articles (issue 11, "Articles"): the list (/newsroom: page_newsroom_list.c),
 * the editor (/newsroom/articles/new, /newsroom/articles/ID: GET shows, POST saves;
 * page_newsroom_editor.c), the changes of state (POST …/submit, …/publish, …/schedule,
 * …/unpublish, …/draft, …/delete: page_newsroom_states.c), and the editor's autosave (POST
 * …/autosave, answered in JSON; ID "new" makes the draft) and its discarding (POST
 * …/autosave/discard). params[0]: the article's id. */
enum MHD_Result page_newsroom(struct req *r);
enum MHD_Result page_newsroom_new(struct req *r);
enum MHD_Result page_newsroom_article(struct req *r);
enum MHD_Result page_newsroom_submit(struct req *r);
enum MHD_Result page_newsroom_publish(struct req *r);
enum MHD_Result page_newsroom_schedule(struct req *r);
enum MHD_Result page_newsroom_unpublish(struct req *r);
enum MHD_Result page_newsroom_to_draft(struct req *r);
enum MHD_Result page_newsroom_delete(struct req *r);
enum MHD_Result page_newsroom_autosave(struct req *r);
enum MHD_Result page_newsroom_autosave_discard(struct req *r);
/* Killing an article (issue 13, page_newsroom_states.c): the confirmation (GET) and the kill
 * (POST), editors only. */
enum MHD_Result page_newsroom_kill(struct req *r);

/* Revisions, previews and corrections (page_newsroom_history.c): /newsroom/articles/ID/…
 * params[0]: the article's id; params[1]: a revision's version. */
enum MHD_Result page_newsroom_revisions(struct req *r);
enum MHD_Result page_newsroom_diff(struct req *r);
enum MHD_Result page_newsroom_restore(struct req *r);
enum MHD_Result page_newsroom_preview(struct req *r);
enum MHD_Result page_newsroom_corrections(struct req *r);
/* Authors and tags (page_people.c, for readers; page_newsroom_people.c, for the newsroom).
 * page_author and page_tag: /authors/SLUG and /tags/SLUG (params[0]), and their older pages
 * /…/SLUG/before/ID (params[1]: the article the page starts after). */
unsigned page_author(struct req *r, struct buf *out);
unsigned page_tag(struct req *r, struct buf *out);
/* For the article page: sets article's (a context object's) authors [{name, url, sep}] (sep:
 * what comes before the name in "A, B and C"), has_authors, tags [{name, url}] and has_tags
 * for the published article article_id (of any state with any_state: a newsroom preview),
 * records author:ID and tag:ID for each, and sets *ld_authors to the JSON-LD author value
 * (schema.org Person objects, name and url; the caller owns it) when it has authors, else NULL.
 * 0, or -1 when the store failed (logged). */
int page_people_article(struct req *r, int64_t article_id, int any_state, json_t *article,
                        json_t **ld_authors);
/* The newsroom's authors and tags (editors): the lists, new, edit (params[0]: the id), delete. */
enum MHD_Result page_newsroom_authors(struct req *r);
enum MHD_Result page_newsroom_author_new(struct req *r);
enum MHD_Result page_newsroom_author_edit(struct req *r);
enum MHD_Result page_newsroom_author_delete(struct req *r);
enum MHD_Result page_newsroom_tags(struct req *r);
enum MHD_Result page_newsroom_tag_new(struct req *r);
enum MHD_Result page_newsroom_tag_edit(struct req *r);
enum MHD_Result page_newsroom_tag_delete(struct req *r);

/* Newsroom management (page_newsroom_staff.c, page_newsroom_sections.c, page_newsroom_audit.c):
 * the staff (admins), sections (editors), publications (admins) and the audit log (admins).
 * params[0], where there is one, is the account's, section's or publication's id. */
enum MHD_Result page_newsroom_staff(struct req *r);
enum MHD_Result page_newsroom_staff_invite(struct req *r);
enum MHD_Result page_newsroom_staff_role(struct req *r);
enum MHD_Result page_newsroom_staff_disable(struct req *r);
enum MHD_Result page_newsroom_staff_enable(struct req *r);
enum MHD_Result page_newsroom_sections(struct req *r);
enum MHD_Result page_newsroom_section(struct req *r);
enum MHD_Result page_newsroom_section_move(struct req *r);
enum MHD_Result page_newsroom_section_delete(struct req *r);
enum MHD_Result page_newsroom_publications(struct req *r);
enum MHD_Result page_newsroom_publication(struct req *r);
enum MHD_Result page_newsroom_publication_delete(struct req *r);
enum MHD_Result page_newsroom_audit(struct req *r);

/* Feeds (issue 12, page_feed.c): RSS 2.0, Atom 1.0 and JSON Feed 1.1 of the site (no params)
 * or of a section, publication, author or tag (params[0]: its slug; which one is the path's
 * first segment). Cached; they set r->render_type and r->render_modified. */
unsigned page_feed_rss(struct req *r, struct buf *out);
unsigned page_feed_atom(struct req *r, struct buf *out);
unsigned page_feed_json(struct req *r, struct buf *out);
/* Sets ctx's page.feeds to the discovery links of the three feeds under base (a page's path,
 * "" for the site's): [{type, title, href}], title being the page's title and the format's
 * name. Returns ctx, or NULL (ctx freed) when a part failed, as render_set; NULL stays NULL. */
json_t *page_feed_links(json_t *ctx, const char *base);

/* Sitemaps and robots.txt (issue 12: page_sitemap.c): /robots.txt, the sitemap index
 * /sitemap.xml and /sitemaps/FILE (params[0]: the file's name, sitemap.h). Cached; they set
 * r->render_type. */
unsigned page_robots(struct req *r, struct buf *out);
unsigned page_sitemap_index(struct req *r, struct buf *out);
unsigned page_sitemap(struct req *r, struct buf *out);
/* /search?q=… (issue 12, "Search": page_search.c): the readers' search, not cached (it varies
 * by query and by reader). */
enum MHD_Result page_search(struct req *r);

#endif
