/*
 * routes.c: the reader site's URL space, with each route's policy (route.h): what body it
 * takes, who may use it, how its POSTs are protected from cross-site forgery, whether its
 * handler runs off the HTTP threads. Pages with a render function are cached; the rest answer
 * for themselves. The server enforces every column before a handler runs, so a handler never
 * checks CSRF or sign-in by hand.
 */
#include "pages.h"
#include "route.h"

#define GET_HEAD (METHOD_GET | METHOD_HEAD)
#define FORM (METHOD_GET | METHOD_HEAD | METHOD_POST)

/* A form a reader posts: parsed, CSRF-checked, its POST handled on the job pool (it writes). */
#define FORM_POLICY .body = BODY_FORM, .csrf = CSRF_CHECK, .flags = ROUTE_JOB_POST
/* … and one that needs a signed-in reader, who comes back to next after logging in. */
#define READER_FORM(next) FORM_POLICY, .need = NEED_READER, .login_next = next
/* The page a mailed link opens (its URL carries the link's token): GET shows it, and only its
 * form's POST, on the job pool, uses the link. */
#define LINK_POLICY .body = BODY_FORM, .csrf = CSRF_CHECK, .flags = ROUTE_JOB_POST | ROUTE_TOKEN_URL
/* A newsroom management form: for editors (sections) or admins (staff, publications). */
#define EDITOR_FORM FORM_POLICY, .need = NEED_EDITOR
#define STAFF_FORM FORM_POLICY, .need = NEED_ADMIN
/* A newsroom form (issue 11, "Articles"): a writer or above, CSRF-checked, its POSTs on the job
 * pool. */
#define NEWSROOM_FORM FORM_POLICY, .need = NEED_WRITER
/* … and the editor's, which carries an article's body (up to REQ_MAX_LONG_FIELD). */
#define NEWSROOM_LONG_FORM                                                                         \
    .body = BODY_FORM, .csrf = CSRF_CHECK, .flags = ROUTE_JOB_POST | ROUTE_LONG_FORM,              \
    .need = NEED_WRITER

const struct route routes[] = {
    {GET_HEAD, "/", .render = page_home},
    {GET_HEAD, "/articles/:slug", .handle = page_article},
    {GET_HEAD, "/sections/:slug", .render = page_section},
    {GET_HEAD, "/publications/:slug", .render = page_publication},
    /* Archives and paging (issue 12: page_section.c, page_publication.c, page_archive.c): the
     * older pages of sections and publications by keyset in the path, and the date archive. */
    {GET_HEAD, "/sections/:slug/before/:id", .render = page_section},
    {GET_HEAD, "/publications/:slug/before/:id", .render = page_publication},
    {GET_HEAD, "/archive/", .render = page_archive},
    {GET_HEAD, "/archive/:year/", .render = page_archive_year},
    {GET_HEAD, "/archive/:year/:month/", .render = page_archive_month},
    {GET_HEAD, "/archive/:year/:month/before/:id", .render = page_archive_month},
    {GET_HEAD, "/static/:file", .handle = page_static, .flags = ROUTE_NO_SESSION},
    {GET_HEAD, "/healthz", .handle = page_health, .flags = ROUTE_NO_SESSION},
    {GET_HEAD, "/offers", .handle = page_offers},

    /* reader accounts */
    {FORM, "/login", .handle = page_login, FORM_POLICY},
    {METHOD_POST, "/logout", .handle = page_logout, FORM_POLICY},
    {FORM, "/register", .handle = page_register, FORM_POLICY},
    {FORM, "/verify", .handle = page_verify, LINK_POLICY},
    {FORM, "/verify-email", .handle = page_verify_email, LINK_POLICY},
    {FORM, "/forgot", .handle = page_forgot, FORM_POLICY},
    {FORM, "/reset", .handle = page_reset, LINK_POLICY},
    {FORM, "/restore-email", .handle = page_restore_email, LINK_POLICY},
    {GET_HEAD, "/account", .handle = page_account, .need = NEED_READER},
    {METHOD_POST, "/account/name", .handle = page_account_name, READER_FORM("/account")},
    {METHOD_POST, "/account/email", .handle = page_account_email, READER_FORM("/account")},
    {METHOD_POST, "/account/password", .handle = page_account_password, READER_FORM("/account")},
    {METHOD_POST, "/account/verify", .handle = page_account_verify, READER_FORM("/account")},
    {METHOD_POST, "/account/sessions/end", .handle = page_account_sessions,
     READER_FORM("/account")},
    {METHOD_POST, "/account/delete", .handle = page_account_delete, READER_FORM("/account")},

    /* Stripe */
    {METHOD_POST, "/stripe/webhook", .handle = page_stripe_webhook, .body = BODY_JSON,
     .csrf = CSRF_EXEMPT,
     .csrf_exempt_why = "Stripe's server posts it; its Stripe-Signature HMAC authenticates it",
     .flags = ROUTE_NO_SESSION | ROUTE_JOB},
    {METHOD_POST, "/subscribe", .handle = page_subscribe, READER_FORM("/offers")},
    {METHOD_POST, "/account/billing", .handle = page_account_billing, READER_FORM("/account")},

    /* The partners' API (issue 13, page_partner_api.c): a Bearer key, no cookies, no forms;
     * on the job pool (each request reads the database and counts against the key's limit). */
    {GET_HEAD, "/api/ninjs/2.2/items", .handle = page_api_items,
     .flags = ROUTE_NO_SESSION | ROUTE_JOB},
    {GET_HEAD, "/api/ninjs/2.2/items/:id", .handle = page_api_item,
     .flags = ROUTE_NO_SESSION | ROUTE_JOB},
    {GET_HEAD, "/api/ninjs/2.2/items/:id/versions/:version", .handle = page_api_item_version,
     .flags = ROUTE_NO_SESSION | ROUTE_JOB},

    /* advertising (page_ads.c) */
    {GET_HEAD, "/ads/slots", .handle = page_ads_slots},
    {GET_HEAD, "/ads/image/:id", .handle = page_ads_image, .flags = ROUTE_NO_SESSION},
    {GET_HEAD, "/ads/frame/:id", .handle = page_ads_frame, .flags = ROUTE_NO_SESSION},
    {GET_HEAD, "/ads/click/:id", .handle = page_ads_click, .flags = ROUTE_NO_SESSION},
    {METHOD_POST, "/ads/impression/:id", .handle = page_ads_impression, .body = BODY_ANY,
     .csrf = CSRF_EXEMPT,
     .csrf_exempt_why = "navigator.sendBeacon cannot carry a token; it changes no reader's "
                        "state, counts only in memory, and is capped per client",
     .flags = ROUTE_NO_SESSION},
    /* The newsroom's articles (issue 11, "Articles": page_newsroom_list.c,
     * page_newsroom_editor.c, page_newsroom_states.c). Staff only (NEED_WRITER); who may do what
     * to which article is store_newsroom_may's, checked by the handlers. */
    {GET_HEAD, "/newsroom", .handle = page_newsroom, .need = NEED_WRITER},
    {FORM, "/newsroom/articles/new", .handle = page_newsroom_new, NEWSROOM_LONG_FORM},
    {FORM, "/newsroom/articles/:id", .handle = page_newsroom_article, NEWSROOM_LONG_FORM},
    {METHOD_POST, "/newsroom/articles/:id/submit", .handle = page_newsroom_submit,
     NEWSROOM_LONG_FORM},
    {METHOD_POST, "/newsroom/articles/:id/publish", .handle = page_newsroom_publish,
     NEWSROOM_LONG_FORM},
    {METHOD_POST, "/newsroom/articles/:id/schedule", .handle = page_newsroom_schedule,
     NEWSROOM_LONG_FORM},
    {METHOD_POST, "/newsroom/articles/:id/unpublish", .handle = page_newsroom_unpublish,
     NEWSROOM_LONG_FORM},
    {METHOD_POST, "/newsroom/articles/:id/draft", .handle = page_newsroom_to_draft,
     NEWSROOM_LONG_FORM},
    {METHOD_POST, "/newsroom/articles/:id/delete", .handle = page_newsroom_delete, NEWSROOM_FORM},
    {METHOD_POST, "/newsroom/articles/:id/autosave", .handle = page_newsroom_autosave,
     NEWSROOM_LONG_FORM},
    {METHOD_POST, "/newsroom/articles/:id/autosave/discard",
     .handle = page_newsroom_autosave_discard, NEWSROOM_FORM},

    /* Newsroom: revisions, previews and corrections (page_newsroom_history.c). Writers and up;
     * the handlers keep a writer to their own articles. */
    {GET_HEAD, "/newsroom/articles/:id/revisions", .handle = page_newsroom_revisions,
     .need = NEED_WRITER},
    /* A diff of two long bodies is CPU work (bounded: diff.h): off the HTTP threads. */
    {GET_HEAD, "/newsroom/articles/:id/revisions/diff", .handle = page_newsroom_diff,
     .need = NEED_WRITER, .flags = ROUTE_JOB},
    {METHOD_POST, "/newsroom/articles/:id/revisions/:n/restore", .handle = page_newsroom_restore,
     .body = BODY_FORM, .csrf = CSRF_CHECK, .flags = ROUTE_JOB, .need = NEED_WRITER},
    {GET_HEAD, "/newsroom/articles/:id/preview", .handle = page_newsroom_preview,
     .need = NEED_WRITER},
    {FORM, "/newsroom/articles/:id/corrections", .handle = page_newsroom_corrections, FORM_POLICY,
     .need = NEED_EDITOR},
    /* Authors and tags (issue 11, nr-people): readers' pages, cached (page_people.c), and the
     * newsroom's, for editors (page_newsroom_people.c). "new" comes before ":id". */
    {GET_HEAD, "/authors/:slug", .render = page_author},
    {GET_HEAD, "/authors/:slug/before/:id", .render = page_author},
    {GET_HEAD, "/tags/:slug", .render = page_tag},
    {GET_HEAD, "/tags/:slug/before/:id", .render = page_tag},
    /* Feeds (issue 12, page_feed.c): cached like pages, each with its own Content-Type. */
    {GET_HEAD, "/feed.xml", .render = page_feed_rss},
    {GET_HEAD, "/atom.xml", .render = page_feed_atom},
    {GET_HEAD, "/feed.json", .render = page_feed_json},
    {GET_HEAD, "/sections/:slug/feed.xml", .render = page_feed_rss},
    {GET_HEAD, "/sections/:slug/atom.xml", .render = page_feed_atom},
    {GET_HEAD, "/sections/:slug/feed.json", .render = page_feed_json},
    {GET_HEAD, "/publications/:slug/feed.xml", .render = page_feed_rss},
    {GET_HEAD, "/publications/:slug/atom.xml", .render = page_feed_atom},
    {GET_HEAD, "/publications/:slug/feed.json", .render = page_feed_json},
    {GET_HEAD, "/authors/:slug/feed.xml", .render = page_feed_rss},
    {GET_HEAD, "/authors/:slug/atom.xml", .render = page_feed_atom},
    {GET_HEAD, "/authors/:slug/feed.json", .render = page_feed_json},
    {GET_HEAD, "/tags/:slug/feed.xml", .render = page_feed_rss},
    {GET_HEAD, "/tags/:slug/atom.xml", .render = page_feed_atom},
    {GET_HEAD, "/tags/:slug/feed.json", .render = page_feed_json},
    {GET_HEAD, "/newsroom/authors", .handle = page_newsroom_authors, .need = NEED_EDITOR},
    {FORM, "/newsroom/authors/new", .handle = page_newsroom_author_new, FORM_POLICY,
     .need = NEED_EDITOR, .login_next = "/newsroom/authors"},
    {FORM, "/newsroom/authors/:id", .handle = page_newsroom_author_edit, FORM_POLICY,
     .need = NEED_EDITOR, .login_next = "/newsroom/authors"},
    {METHOD_POST, "/newsroom/authors/:id/delete", .handle = page_newsroom_author_delete,
     FORM_POLICY, .need = NEED_EDITOR, .login_next = "/newsroom/authors"},
    {GET_HEAD, "/newsroom/tags", .handle = page_newsroom_tags, .need = NEED_EDITOR},
    {FORM, "/newsroom/tags/new", .handle = page_newsroom_tag_new, FORM_POLICY, .need = NEED_EDITOR,
     .login_next = "/newsroom/tags"},
    {FORM, "/newsroom/tags/:id", .handle = page_newsroom_tag_edit, FORM_POLICY, .need = NEED_EDITOR,
     .login_next = "/newsroom/tags"},
    {METHOD_POST, "/newsroom/tags/:id/delete", .handle = page_newsroom_tag_delete, FORM_POLICY,
     .need = NEED_EDITOR, .login_next = "/newsroom/tags"},

    /* Newsroom management: staff, sections, publications, the audit log (page_newsroom_staff.c,
     * page_newsroom_sections.c, page_newsroom_audit.c). Every POST changes something: a form,
     * CSRF-checked, on the job pool. */
    {GET_HEAD, "/newsroom/staff", .handle = page_newsroom_staff, .need = NEED_ADMIN},
    {METHOD_POST, "/newsroom/staff/invite", .handle = page_newsroom_staff_invite, STAFF_FORM},
    {METHOD_POST, "/newsroom/staff/:id/role", .handle = page_newsroom_staff_role, STAFF_FORM},
    {METHOD_POST, "/newsroom/staff/:id/disable", .handle = page_newsroom_staff_disable, STAFF_FORM},
    {METHOD_POST, "/newsroom/staff/:id/enable", .handle = page_newsroom_staff_enable, STAFF_FORM},
    {FORM, "/newsroom/sections", .handle = page_newsroom_sections, EDITOR_FORM},
    {FORM, "/newsroom/sections/:id", .handle = page_newsroom_section, EDITOR_FORM},
    {METHOD_POST, "/newsroom/sections/:id/move", .handle = page_newsroom_section_move, EDITOR_FORM},
    {METHOD_POST, "/newsroom/sections/:id/delete", .handle = page_newsroom_section_delete,
     EDITOR_FORM},
    {FORM, "/newsroom/publications", .handle = page_newsroom_publications, STAFF_FORM},
    {FORM, "/newsroom/publications/:id", .handle = page_newsroom_publication, STAFF_FORM},
    {METHOD_POST, "/newsroom/publications/:id/delete", .handle = page_newsroom_publication_delete,
     STAFF_FORM},
    {GET_HEAD, "/newsroom/audit", .handle = page_newsroom_audit, .need = NEED_ADMIN},

    /* Sitemaps and robots.txt (issue 12: page_sitemap.c), cached like pages, for crawlers. */
    {GET_HEAD, "/robots.txt", .render = page_robots},
    {GET_HEAD, "/sitemap.xml", .render = page_sitemap_index},
    {GET_HEAD, "/sitemaps/:file", .render = page_sitemap},
    /* Readers' search (issue 12, "Search": page_search.c). Not a cached page: its results
     * depend on the query string and the reader. Only reads, but a query can keep the database
     * busy for a while: on the job pool, as the diff is. */
    {GET_HEAD, "/search", .handle = page_search, .flags = ROUTE_JOB},

    /* Killing an article (issue 13, page_newsroom_states.c): GET the confirmation, which says
     * what a kill does and asks why; POST kills. Editors (store_newsroom_may's NEWSROOM_KILL). */
    {FORM, "/newsroom/articles/:id/kill", .handle = page_newsroom_kill, NEWSROOM_FORM},
};

const size_t route_count = sizeof routes / sizeof routes[0];
