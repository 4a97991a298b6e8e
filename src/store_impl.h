/*
 * store_impl.h: what the store's files share (store.c, store_sql.c and store_content.c,
 * store_accounts.c, store_mail.c, store_paywall.c, store_ads.c, one per part of store.h), and
 * nothing outside them includes: the statements by number with the SQL macros they are built
 * from, struct store, and the helpers every part uses to get a connection and a statement, to
 * step, read and report (store.c). Each function's comment is at its definition.
 */
#ifndef BROADSHEET_STORE_IMPL_H
#define BROADSHEET_STORE_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "db.h"
#include "store.h"

#define BUSY_TIMEOUT_MS 5000
#define DEFAULT_LIST_LIMIT 20
#define MAX_LIST_LIMIT 1000 /* a list request larger than this is a bug; cap the allocation */
/* From how many articles naming an author (or tag), of any state, its list walks the newest
 * articles (STMT_*_ARTICLES_LATEST) instead of sorting its own (STMT_*_ARTICLES). A page costs
 * about `links` rows by the links, and about 21 × published / links by the walk: even at a
 * million articles, a walk for an author of 3,000 probes some 7,000 links by primary key, while
 * sorting 50,000 took 0.2 s (docs/architecture.md has what was measured). store_people.c's
 * pages and store_lists.c's "newer" lookups choose the same way. */
#define WALK_FROM 3000

/* What readers may see of articles T: the published ones (migrations/sqlite/012_newsroom.sql).
 * Every statement that serves a reader says it, in these words, which are also the predicate of
 * the readers' partial indexes (so the planners use them). */
#define LIVE(T) T ".state = 'published'"
/* A number macro as SQL text: "LIMIT " STORE_SQL_NUMBER(STORE_AUTHOR_CHOICES). */
#define STORE_SQL_NUMBER_(n) #n
#define STORE_SQL_NUMBER(n) STORE_SQL_NUMBER_(n)
/* The columns of a joined article row, in the order read_article expects. BODY is either the two
 * body columns or two empty strings (lists do not need the bodies: they are most of a row). */
// clang-format off
#define ARTICLE_SELECT(BODY)                                                                       \
    "SELECT a.id, a.slug, a.headline, a.dek, a.byline, " BODY ", a.published_at, a.updated_at, "   \
    "a.access, " PUBLICATION_COLUMNS("p") ", " SECTION_COLUMNS("s") " FROM articles a "            \
    "JOIN publications p ON p.id = a.publication_id JOIN sections s ON s.id = a.section_id "
#define PUBLICATION_COLUMNS(T)                                                                     \
    T ".id, " T ".slug, " T ".name, " T ".description, " T ".producer, " T ".partner, " T          \
      ".partner_short, " T ".partner_url, " T ".partner_description, " T ".is_host, " T           \
      ".default_access, " T ".copyright_holder, " T ".copyright_notice, " T ".usage_terms, " T     \
      ".rights_url"
#define PUBLICATION_NCOLUMNS 15
#define SECTION_COLUMNS(T) T ".id, " T ".slug, " T ".name, " T ".position, " T ".default_access"
#define SECTION_NCOLUMNS 5
#define ARTICLE_NCOLUMNS 10 /* before the joined publication and section */
/* The latest-article lists' order, with their limit and offset as parameters LIMIT and OFFSET
 * (numbered after the filter's: PostgreSQL needs every number up to the highest used). */
#define LATEST_ORDER(LIMIT, OFFSET)                                                                \
    " ORDER BY a.published_at DESC, a.id DESC LIMIT " LIMIT " OFFSET " OFFSET
#define USER_COLUMNS(T)                                                                            \
    T ".id, " T ".email, " T ".display_name, " T ".password_hash, " T ".role, " T                  \
      ".email_verified_at, " T ".created_at, " T ".disabled_at"
#define USER_NCOLUMNS 8
/* The pending undo links holding the address ADDRESS at NOW (SQL expressions): while one is
 * unused and unexpired, no other account may register or move to its address (store.h). */
#define EMAIL_HELD(ADDRESS, NOW)                                                                   \
    "SELECT 1 FROM tokens WHERE kind = 'email_undo' AND used_at IS NULL AND payload = " ADDRESS    \
    " COLLATE NOCASE AND expires_at > " NOW
/* The same on PostgreSQL, which has no NOCASE: the addresses are stored lower-cased (a CHECK
 * there says so) and compared lower-cased, as the store always passes them. */
#define EMAIL_HELD_PG(ADDRESS, NOW)                                                                \
    "SELECT 1 FROM tokens WHERE kind = 'email_undo' AND used_at IS NULL AND payload = " ADDRESS    \
    " AND expires_at > " NOW
/* The user insert and address change, each refused while an undo link holds the address, with
 * HELD one of the two above. */
#define USER_INSERT(HELD)                                                                          \
    "INSERT INTO users (email, display_name, password_hash, role, created_at, updated_at) "        \
    "SELECT ?1, ?2, ?3, ?4, ?5, ?5 WHERE NOT EXISTS (" HELD("?1", "?5") ") RETURNING id"
#define USER_SET_EMAIL(HELD)                                                                       \
    "UPDATE users SET email = ?2, email_verified_at = ?3, updated_at = ?4 "                        \
    "WHERE id = ?1 AND NOT EXISTS (" HELD("?2", "?4") " AND user_id <> ?1)"
#define SESSION_COLUMNS(T)                                                                         \
    T ".id, " T ".user_id, " T ".created_at, " T ".last_seen_at, " T ".expires_at, " T             \
      ".user_agent, " T ".ip"
#define SESSION_NCOLUMNS 7
/* An audit log entry l with its article's headline now (store_admin.c's read_audit order). */
#define AUDIT_COLUMNS                                                                              \
    "l.id, l.at, COALESCE(l.user_id, 0), l.user_name, l.action, COALESCE(l.article_id, 0), "      \
    "COALESCE(a.headline, ''), l.subject, l.detail FROM audit_log l "                              \
    "LEFT JOIN articles a ON a.id = l.article_id"
#define PLAN_COLUMNS(T)                                                                            \
    T ".id, " T ".slug, " T ".name, " T ".description, " T ".benefits, " T ".period, " T           \
      ".price_cents, " T ".currency, " T ".position, " T ".stripe_price_id, " T ".active"
#define SUBSCRIPTION_COLUMNS(T)                                                                    \
    T ".id, " T ".user_id, " T ".plan_slug, " T ".status, " T ".current_period_end, " T            \
      ".stripe_customer_id, " T ".stripe_subscription_id, " T ".source, " T ".created_at, " T      \
      ".updated_at"
#define ORGANISATION_COLUMNS(T) T ".id, " T ".slug, " T ".name, " T ".ends_at"
#define ORGANISATION_NCOLUMNS 4
/* The Stripe upsert (store_subscription_stripe_upsert): ?1 subscription id, ?2 customer id (''
 * keeps), ?3 user id (0 keeps), ?4 plan slug ('' keeps), ?5 status, ?6 period end, ?7 now, ?8 the
 * event's time. An event as new as the stored state (STRIPE_NEWER) sets everything it carries;
 * an older one only fills in the user, plan and customer where they are unset. Every SET
 * expression reads the row as it was, so STRIPE_NEWER means the same in each. RETURNING:
 * whether the state is now this event's.
 *
 * STRIPE_NEWER: the incoming event is at least as new as the stored state, so it applies. At
 * the same second a canceled state is kept against any other status: Stripe never reactivates
 * a canceled subscription, so of a deletion and an update made in one second the deletion is
 * the later. */
#define STRIPE_NEWER                                                                               \
    "(excluded.stripe_event_at > subscriptions.stripe_event_at OR "                                \
    "(excluded.stripe_event_at = subscriptions.stripe_event_at AND "                               \
    "(subscriptions.status <> 'canceled' OR excluded.status = 'canceled')))"
/* Column C: the event's value when it applies, else the stored one. */
#define STRIPE_IF_NEWER(C)                                                                         \
    "CASE WHEN " STRIPE_NEWER " THEN excluded." C " ELSE subscriptions." C " END"
/* Text column C: kept when the event has none (''); the event's when it applies or the stored
 * one is unset (an older event still fills in what no event has said yet). */
#define STRIPE_FILL(C)                                                                             \
    "CASE WHEN excluded." C " = '' THEN subscriptions." C " WHEN subscriptions." C " = '' OR "     \
    STRIPE_NEWER " THEN excluded." C " ELSE subscriptions." C " END"
#define STRIPE_UPSERT_SQL                                                                          \
    "INSERT INTO subscriptions (user_id, plan_slug, status, current_period_end, "                  \
    "stripe_customer_id, stripe_subscription_id, source, created_at, updated_at, "                 \
    "stripe_event_at) VALUES (NULLIF(CAST(?3 AS BIGINT), 0), ?4, ?5, ?6, ?2, ?1, 'stripe', ?7, ?7, ?8) "           \
    "ON CONFLICT (stripe_subscription_id) WHERE stripe_subscription_id <> '' DO UPDATE SET "      \
    "user_id = CASE WHEN " STRIPE_NEWER " THEN COALESCE(excluded.user_id, "                        \
    "subscriptions.user_id) ELSE COALESCE(subscriptions.user_id, excluded.user_id) END, "          \
    "plan_slug = " STRIPE_FILL("plan_slug") ", "                                                   \
    "stripe_customer_id = " STRIPE_FILL("stripe_customer_id") ", "                                 \
    "status = " STRIPE_IF_NEWER("status") ", "                                                     \
    "current_period_end = " STRIPE_IF_NEWER("current_period_end") ", "                             \
    "updated_at = " STRIPE_IF_NEWER("updated_at") ", "                                             \
    "stripe_event_at = " STRIPE_IF_NEWER("stripe_event_at") " "                                    \
    "RETURNING CASE WHEN stripe_event_at = ?8 AND status = ?5 AND current_period_end = ?6 "         \
    "THEN 1 ELSE 0 END"
/* An active subscription still running at ?2: what store_subscription_current prefers. */
/* Whether subscription T runs at ?2 (now), and the order that puts the one that counts first:
 * a running one, the latest ending, the latest updated (store_subscription_current). */
#define SUBSCRIPTION_RUNNING_T(T) "(" T ".status = 'active' AND " T ".current_period_end > ?2)"
#define SUBSCRIPTION_RUNNING SUBSCRIPTION_RUNNING_T("s")
#define SUBSCRIPTION_ORDER(T)                                                                      \
    SUBSCRIPTION_RUNNING_T(T) " DESC, CASE WHEN " SUBSCRIPTION_RUNNING_T(                         \
        T) " THEN " T ".current_period_end ELSE 0 END DESC, " T ".updated_at DESC, " T ".id DESC"
#define CAMPAIGN_COLUMNS(T)                                                                        \
    T ".id, " T ".slug, " T ".name, " T ".starts_at, " T ".ends_at, " T ".weight, " T              \
      ".publication_slug, " T ".section_slug, " T ".created_at"
#define CAMPAIGN_NCOLUMNS 9
#define CREATIVE_COLUMNS(T)                                                                        \
    T ".id, " T ".placement, " T ".kind, " T ".image_path, " T ".image_type, " T ".width, " T      \
      ".height, " T ".alt, " T ".click_url, " T ".html, " T ".created_at"
#define CREATIVE_NCOLUMNS 11
/* A creative row joined with its campaign (read_creative's order). */
#define CREATIVE_SELECT                                                                            \
    "SELECT " CREATIVE_COLUMNS("k") ", " CAMPAIGN_COLUMNS("c") " FROM creatives k "                \
    "JOIN campaigns c ON c.id = k.campaign_id "
/* Revisions, previews and corrections (store_newsroom_history.c): a user's name as shown (u
 * joined), and a revision row (r) with its user and its publication's and section's names
 * (HISTORY_REVISION_NCOLUMNS columns, read_revision's order), BODY its Markdown or ''. */
#define HISTORY_USER_NAME                                                                          \
    "COALESCE(CASE WHEN u.display_name <> '' THEN u.display_name ELSE u.email END, '')"
#define HISTORY_REVISION_SELECT(BODY)                                                              \
    "SELECT r.id, r.article_id, r.version, COALESCE(r.user_id, 0), " HISTORY_USER_NAME ", "       \
    "r.created_at, r.state, r.slug, r.publication_id, r.section_id, COALESCE(p.name, ''), "       \
    "COALESCE(s.name, ''), r.access, r.headline, r.dek, r.byline, r.author_ids, r.tag_ids, "      \
    "r.seo_title, r.seo_description, r.editor_note, " BODY ", r.original_url "                    \
    "FROM article_revisions r "                                                                    \
    "LEFT JOIN users u ON u.id = r.user_id LEFT JOIN publications p ON p.id = r.publication_id "  \
    "LEFT JOIN sections s ON s.id = r.section_id "
// clang-format on

/* Partners (issue 13, store_partners.c). A partner row's columns (read_partner's order), and
 * the product rule as a predicate on article A for the partner whose id is the SQL expression
 * PARTNER: its publication is one of the partner's and, when the partner lists sections, its
 * section is one of them. Each EXISTS is a lookup by partner_publications' or partner_sections'
 * primary key, so a statement that walks articles (the partner API's change log, next round)
 * can apply the product in SQL per row at the cost of two or three index probes. It says
 * nothing of the article's state: which states a partner receives is the API's rule. */
// clang-format off
#define PARTNER_COLUMNS                                                                            \
    "id, slug, name, content, key_prefix, created_at, key_created_at"
#define PARTNER_SEES(PARTNER, A)                                                                   \
    "(EXISTS (SELECT 1 FROM partner_publications pp WHERE pp.partner_id = " PARTNER               \
    " AND pp.publication_id = " A ".publication_id) AND (NOT EXISTS (SELECT 1 FROM "              \
    "partner_sections ps WHERE ps.partner_id = " PARTNER ") OR EXISTS (SELECT 1 FROM "            \
    "partner_sections ps WHERE ps.partner_id = " PARTNER " AND ps.section_id = " A                \
    ".section_id)))"
// clang-format on

/* The item log (store_items.c). item_log_lock: on PostgreSQL, takes the log's write lock
 * (migration 021: seq in commit order), a no-op on SQLite; call it first in every transaction
 * that may note a version, before it locks any article row. item_log_note: notes article
 * article_id's current version in the log when a partner may see it (ednote: the editors' note
 * for it, NULL or "" for none; a kill's is made from its kill_note). 0 or STORE_ERROR. */
int item_log_lock(struct db_conn *c);
int item_log_note(struct db_conn *c, int64_t article_id, int64_t now, const char *ednote);
/* Before article article_id (or the one called slug, when slug is not NULL) is overwritten:
 * records its current version as a revision (dated when it was made) when it has none, as an
 * imported version has none, so that every version partners were sent keeps its content.
 * 0 or STORE_ERROR. */
int revision_keep(struct db_conn *c, int64_t article_id, const char *slug);
/* store_revision_snapshot, noting the version with ednote (a correction's). */
int store_revision_snapshot_noted(struct store *st, int64_t article_id, int64_t user_id,
                                  int64_t now, int64_t *revision_id, const char *ednote);

#define SECRET_BYTES 32         /* store_secret's size (store.h) */
#define TOKEN_PURGE_GRACE 86400 /* keep expired tokens a day, so a late click hears "expired" */

enum statement {
    STMT_FOREIGN_KEY_CHECK,
    STMT_CHANGE_SEQ,
    STMT_CHANGES_SINCE,
    STMT_ANY_PUBLICATION,
    STMT_PUBLICATION_UPSERT,
    STMT_SECTION_UPSERT,
    STMT_PUBLICATION_ID,
    STMT_SECTION_ID,
    STMT_ARTICLE_UPSERT,
    STMT_PUBLICATION_BY_SLUG,
    STMT_SECTION_BY_SLUG,
    STMT_PUBLICATIONS,
    STMT_SECTIONS,
    STMT_ARTICLE_BY_SLUG,
    STMT_ARTICLE_META,
    STMT_LATEST,
    STMT_LATEST_PUBLICATION,
    STMT_LATEST_SECTION,
    STMT_LATEST_PUBLICATION_SECTION,
    STMT_ARTICLES_PAGE,
    STMT_ARTICLES_COUNT,
    STMT_USER_INSERT,
    STMT_USER_BY_EMAIL,
    STMT_USER_BY_ID,
    STMT_USERS,
    STMT_USER_SET_NAME,
    STMT_USER_SET_EMAIL,
    STMT_USER_SET_PASSWORD_HASH,
    STMT_USER_SET_ROLE,
    STMT_USER_MARK_VERIFIED,
    STMT_USER_DELETE,
    STMT_SESSION_INSERT,
    STMT_SESSION_READER,
    STMT_SESSION_TOUCH,
    STMT_SESSION_DELETE,
    STMT_SESSIONS_DELETE_FOR_USER,
    STMT_SESSIONS_FOR_USER,
    STMT_SESSIONS_PURGE,
    STMT_TOKEN_INSERT,
    STMT_TOKEN_FIND,
    STMT_TOKEN_USE,
    STMT_TOKENS_DELETE_FOR_USER,
    STMT_TOKENS_PURGE,
    STMT_TOKENS_VOID,
    STMT_SECRET_INSERT,
    STMT_SECRET_GET,
    STMT_MAIL_INSERT,
    STMT_MAIL_NEXT_DUE,
    STMT_MAIL_CLAIM,
    STMT_MAIL_BY_ID,
    STMT_MAIL_SENT,
    STMT_MAIL_FAILED,
    STMT_MAIL_WAITING,
    STMT_PLAN_UPSERT,
    STMT_PLANS,
    STMT_PLAN_BY_SLUG,
    STMT_PLAN_DELETE,
    STMT_SUBSCRIPTION_GRANT,
    STMT_SUBSCRIPTION_REVOKE,
    STMT_SUBSCRIPTION_CURRENT,
    STMT_SUBSCRIPTION_STRIPE_UPSERT,
    STMT_SUBSCRIPTION_BY_CUSTOMER,
    STMT_ORG_UPSERT,
    STMT_ORG_ADD_RANGE,
    STMT_ORG_REMOVE_RANGE,
    STMT_ORGS,
    STMT_ORG_RANGES,
    STMT_ORG_DELETE,
    STMT_METER_COUNT,
    STMT_METER_READ_AT,
    STMT_METER_RECORD,
    STMT_METER_LOCK,
    STMT_METER_PURGE,
    STMT_METER_STATE,
    STMT_STRIPE_EVENT_INSERT,
    STMT_STRIPE_EVENT_DELETE,
    STMT_PUBLICATION_SET_DEFAULT_ACCESS,
    STMT_SECTION_SET_DEFAULT_ACCESS,
    STMT_PAYWALL_VERSION,
    STMT_CAMPAIGN_UPSERT,
    STMT_CAMPAIGN_BY_SLUG,
    STMT_CAMPAIGNS,
    STMT_CAMPAIGN_DELETE,
    STMT_CREATIVE_INSERT,
    STMT_CREATIVE_BY_ID,
    STMT_CREATIVES,
    STMT_CREATIVE_DELETE,
    STMT_CREATIVES_ELIGIBLE,
    STMT_AD_STATS_ADD,
    STMT_AD_REPORT,
    STMT_IMPORT_SLUG_ADD,
    STMT_IMPORT_SLUG_PATH,
    STMT_IMPORT_SLUG_AT,
    STMT_LIMIT_HIT,
    STMT_LIMIT_STATE,
    STMT_LIMITS_PURGE,
    STMT_AUDIT_ADD,
    STMT_ARTICLE_AUTHOR_IDS,
    STMT_ARTICLE_TAG_IDS,
    STMT_REVISION_SNAPSHOT,
    /* The newsroom's articles (issue 11, "Articles": store_newsroom_articles.c) */
    STMT_NR_ARTICLE,
    STMT_NR_ARTICLE_TAGS,
    STMT_NR_SLUG_TAKEN,
    STMT_NR_INSERT,
    STMT_NR_UPDATE,
    STMT_NR_AUTHORS_CLEAR,
    STMT_NR_AUTHOR_LINK,
    STMT_NR_TAGS_CLEAR,
    STMT_NR_TAG_LINK,
    STMT_NR_TAG_INSERT,
    STMT_NR_TAG_ID,
    STMT_NR_REDIRECT_DROP,
    STMT_NR_REDIRECT_ADD,
    STMT_NR_TRANSITION,
    STMT_NR_DELETE,
    STMT_NR_DUE_ANY,
    STMT_NR_PUBLISH_DUE,
    STMT_NR_LIST_ALL,
    STMT_NR_LIST_STATE,
    STMT_NR_LIST_AUTHOR,
    STMT_NR_LIST_PUBLISHED,
    STMT_NR_LIST_OFFSET,
    STMT_NR_COUNT_MY_DRAFTS,
    STMT_NR_COUNT_REVIEW,
    STMT_NR_AUTHOR_CHOICES,
    STMT_AUTOSAVE_PUT,
    STMT_AUTOSAVE_GET,
    STMT_AUTOSAVE_DELETE,
    /* Revisions, previews and corrections (store_newsroom_history.c) */
    STMT_HISTORY_ARTICLE,
    STMT_HISTORY_REVISIONS,
    STMT_HISTORY_REVISION,
    STMT_HISTORY_RESTORE,
    STMT_HISTORY_AUTHORS_CLEAR,
    STMT_HISTORY_AUTHOR_LINK,
    STMT_HISTORY_TAGS_CLEAR,
    STMT_HISTORY_TAG_LINK,
    STMT_HISTORY_CORRECTION_ADD,
    STMT_HISTORY_CORRECTION_BUMP,
    STMT_HISTORY_CORRECTIONS_LIVE,
    STMT_HISTORY_CORRECTIONS,
    STMT_HISTORY_MODIFIED_AT,
    STMT_HISTORY_REDIRECT,
    STMT_HISTORY_AUTHOR_NAME,
    STMT_HISTORY_TAG_NAME,
    /* Authors and tags (store_people.c) */
    STMT_AUTHORS_PAGE,
    STMT_AUTHOR_BY_ID,
    STMT_AUTHOR_BY_SLUG,
    STMT_AUTHOR_INSERT,
    STMT_AUTHOR_UPDATE,
    STMT_AUTHOR_USES,
    STMT_AUTHOR_DELETE,
    STMT_TAGS_PAGE,
    STMT_TAG_BY_ID,
    STMT_TAG_BY_SLUG,
    STMT_TAG_INSERT,
    STMT_TAG_UPDATE,
    STMT_TAG_USES,
    STMT_TAG_DELETE,
    STMT_AUTHOR_ARTICLE_KEY,
    STMT_AUTHOR_ARTICLES,
    STMT_TAG_ARTICLE_KEY,
    STMT_TAG_ARTICLES,
    STMT_ARTICLE_PEOPLE,
    STMT_AUTHOR_ARTICLES_LATEST,
    STMT_TAG_ARTICLES_LATEST,
    STMT_AUTHOR_LINKS_UP_TO,
    STMT_TAG_LINKS_UP_TO,
    STMT_ARTICLE_PEOPLE_ANY,
    /* Newsroom management: staff, sections, publications, the audit log (store_admin.c) */
    STMT_STAFF,
    STMT_STAFF_OTHER_ADMINS,
    STMT_USER_SET_DISABLED,
    STMT_SECTION_BY_ID,
    STMT_PUBLICATION_BY_ID,
    STMT_SECTION_INSERT,
    STMT_SECTION_UPDATE,
    STMT_SECTION_SET_POSITION,
    STMT_SECTION_ARTICLES,
    STMT_SECTION_DELETE,
    STMT_PUBLICATION_INSERT,
    STMT_PUBLICATION_UPDATE,
    STMT_PUBLICATION_ARTICLES,
    STMT_PUBLICATION_DELETE,
    STMT_PUBLICATION_UNHOST,
    STMT_NR_ARTICLE_TAG_NAMED,
    STMT_REDIRECT_PATH_SET,
    STMT_REDIRECT_PATH_DELETE,
    STMT_AUDIT_PAGE,
    STMT_AUDIT_PAGE_ARTICLE,
    /* Feeds (issue 12, store_feeds.c) */
    STMT_FEED_ARTICLE_BODY,
    /* Readers' lists in keyset pages: sections, publications, months (store_lists.c) */
    STMT_LIST_KEY,
    STMT_LIST_SECTION_PAGE,
    STMT_LIST_SECTION_NEWER,
    STMT_LIST_PUBLICATION_PAGE,
    STMT_LIST_PUBLICATION_NEWER,
    STMT_LIST_PERIOD_PAGE,
    STMT_LIST_PERIOD_NEWER,
    STMT_LIST_AUTHOR_NEWER,
    STMT_LIST_AUTHOR_NEWER_LATEST,
    STMT_LIST_TAG_NEWER,
    STMT_LIST_TAG_NEWER_LATEST,
    STMT_LIST_NEWEST_BEFORE,
    /* Most read (issue 12): article views by hour (store_most_read.c) */
    STMT_ARTICLE_VIEWS_ADD,
    STMT_ARTICLE_VIEWS_PURGE,
    STMT_MOST_READ,
    /* share metadata (issue 12) */
    STMT_ARTICLE_SHARE,
    /* Sitemaps (issue 12: store_sitemap.c) */
    STMT_SITEMAP_NEXT_PUBLISHED,
    STMT_SITEMAP_RANGE,
    STMT_SITEMAP_ARTICLES,
    STMT_SITEMAP_NEWS,
    STMT_SITEMAP_NEXT_AUTHOR,
    STMT_SITEMAP_AUTHORS,
    STMT_SITEMAP_NEXT_TAG,
    STMT_SITEMAP_TAGS,
    /* Readers' search (issue 12, "Search": store_search.c) */
    STMT_SEARCH_SOURCE,
    STMT_SEARCH_SOURCES,
    STMT_SEARCH_PUT,
    STMT_SEARCH_MISSING,
    STMT_SEARCH_BUILT_WITH,
    STMT_SEARCH_SET_BUILT_WITH,
    STMT_SEARCH_PUBLIC,
    STMT_SEARCH_FULL,
    STMT_SEARCH_COUNT_PUBLIC,
    STMT_SEARCH_COUNT_FULL,
    /* Publication rights (issue 13, store_content.c). */
    STMT_PUBLICATION_SET_RIGHTS,
    /* Partners and their products (issue 13, "Partners": store_partners.c) */
    STMT_PARTNER_INSERT,
    STMT_PARTNER_PUBLICATION_ADD,
    STMT_PARTNER_SECTION_ADD,
    STMT_PARTNER_BY_SLUG,
    STMT_PARTNER_BY_KEY_HASH,
    STMT_PARTNERS,
    STMT_PARTNER_PUBLICATIONS,
    STMT_PARTNER_SECTIONS,
    STMT_PARTNER_SET_KEY,
    STMT_PARTNER_DELETE,
    STMT_PARTNER_SEES,
    /* The item log (issue 13, store_items.c) and kills */
    STMT_ITEM_LOG_STATE,
    STMT_ITEM_LOG_ADD,
    STMT_ITEMS_AFTER,
    STMT_ITEM_LATEST,
    STMT_ITEM_VERSION,
    STMT_ITEM_LOG_LAST,
    STMT_ITEM_TAG,
    STMT_ITEM_TAGS_NOW,
    STMT_NR_KILL,
    STMT_ARTICLE_KILLED,
    STMT_REVISION_MISSING,
    STMT_REVISION_MISSING_SLUG,
    STMT_ITEMS_WINDOW,
    /* Webhooks: push to partners (issue 13, "Push": store_webhooks.c) */
    STMT_WEBHOOK_GET,
    STMT_WEBHOOK_INSERT,
    STMT_WEBHOOK_SET_URL,
    STMT_WEBHOOK_SET_SECRET,
    STMT_WEBHOOK_DELETE,
    STMT_WEBHOOK_DUE,
    STMT_WEBHOOK_CLAIM,
    STMT_WEBHOOK_DELIVERED,
    STMT_WEBHOOK_FAILED,
    STMT_WEBHOOK_RELEASE,
    STMT_WEBHOOK_LOG_ADD,
    STMT_WEBHOOK_DELIVERIES,
    STMT_WEBHOOK_PARTNERS_AFTER,
    STMT_WEBHOOK_PRUNE_CUT,
    STMT_WEBHOOK_PRUNE,
    STMT_COUNT
};

/* The SQL of each statement, indexed by enum statement (store_sql.c), and, for the few that
 * PostgreSQL must run differently, its own text (NULL for the rest). */
extern const char *const store_statements[STMT_COUNT];
extern const char *const store_statements_pgsql[STMT_COUNT];

struct store {
    struct db *db;
    struct db_sql sql[STMT_COUNT]; /* store_statements, as db_open takes them */
    int search_preview_paragraphs; /* the paywall's preview the search index splits at */
};

/* Reads the current row of a statement into item, one element of the caller's array (strings
 * from a). The *_row functions adapt the read_* functions, which take a typed pointer and a
 * first column, to this shape for store_read_rows. */
typedef void (*store_row_reader)(struct db_stmt *s, struct arena *a, void *item);

__attribute__((format(printf, 3, 4))) void store_report(char *err, size_t errlen, const char *fmt,
                                                        ...);
int store_exec(struct db_conn *c, const char *sql, char *err, size_t errlen);
struct db_conn *store_conn(struct store *st, char *err, size_t errlen);
struct db_stmt *store_stmt(struct db_conn *c, enum statement id, char *err, size_t errlen);
int store_tx_begin(struct db_conn *c, char *err, size_t errlen);
int store_tx_commit(struct db_conn *c, char *err, size_t errlen);
void store_tx_rollback(struct db_conn *c);

const char *store_column_text(struct db_stmt *s, int col, struct arena *a);
int store_read_rows(struct db_conn *c, struct db_stmt *s, struct arena *a, size_t item_size,
                    store_row_reader read_row, const char *what, void **out, size_t *n);
int store_list_all(struct store *st, enum statement id, struct arena *a, size_t item_size,
                   store_row_reader read_row, const char *what, void **out, size_t *n);
__attribute__((format(printf, 3, 4))) int store_step_one(struct db_conn *c, struct db_stmt *s,
                                                         const char *fmt, ...);
int store_step_failed(struct db_conn *c, const char *what);
/* Ends the transaction store_begin began for a change: commits when rc is STORE_OK
 * (STORE_ERROR if the commit fails), else rolls back. Returns the outcome. */
int store_finish(struct store *st, int rc);
int store_step_write(struct db_conn *c, struct db_stmt *s, int must_change, const char *what);
int store_step_insert(struct db_conn *c, struct db_stmt *s, int64_t *id, const char *what);
int store_present(const char *s);
int store_write_ids(struct store *st, enum statement id, int nparams, int64_t first, int64_t second,
                    int must_change, const char *what);
int store_write_texts(struct store *st, enum statement id, int nparams, const char *first,
                      const char *second, int must_change, const char *what);
int store_id_by_slug(struct db_conn *c, enum statement id, const char *slug, int64_t *row_id,
                     char *err, size_t errlen);
int store_meta_value(struct store *st, enum statement id, int64_t *value, const char *what);

/* Readers' search (store_search.c): rewrites article id's row of the search index from the
 * article as it now is, on c, inside the caller's transaction (every write that changes an
 * article's headline, dek, body or access calls it before it commits). 0, or -1 with the
 * reason reported and in err. */
int store_search_put(struct store *st, struct db_conn *c, int64_t id, char *err, size_t errlen);

/* Rows of publications, sections and articles (store_content.c), which other parts join. */
void store_read_publication(struct db_stmt *s, int col, struct arena *a, struct publication *p);
void store_read_section(struct db_stmt *s, int col, struct arena *a, struct section *sec);
void store_read_article(struct db_stmt *s, struct arena *a, struct article *art);
/* A subscription (store_paywall.c), which the signed-in reader's lookup joins. */
void store_read_subscription(struct db_stmt *s, int col, struct arena *a, struct subscription *sub);

#endif
