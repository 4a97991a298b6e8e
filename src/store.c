/*
 * store.c: store.h over the database driver (db.h), its SQL written once for every backend.
 *
 * Connections: each thread that touches the store gets its own (db_conn), opened on first use,
 * and replaced at the thread's next call after a failure that says the connection itself
 * cannot go on (db.h), unless a transaction of the caller's is open on it. It is replaced then
 * and not at the failure, because the failing function still holds the connection's
 * statements.
 *
 * Statements: every statement is a compile-time literal in the `statements` table, prepared on a
 * connection the first time it is used there and kept; values are always bound, never
 * formatted into SQL. Every statement is reset at the end of the function that stepped it,
 * which also ends SQLite's implicit read transaction: a statement left unreset would pin an old
 * WAL snapshot, and the server would stop seeing other processes' writes.
 *
 * Schema: the number of the last migration applied (migrations.h) is the schema's version
 * (db_schema_version); each missing migration runs in its own transaction, which rechecks the
 * version so two processes opening a fresh database together do not both apply it. A database
 * whose version is newer than the binary's is refused rather than misread.
 */
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "cidr.h"
#include "db.h"
#include "migrations.h"
#include "store.h"
#include "util.h"

#define BUSY_TIMEOUT_MS 5000
#define DEFAULT_LIST_LIMIT 20
#define MAX_LIST_LIMIT 1000 /* a list request larger than this is a bug; cap the allocation */

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
      ".default_access"
#define PUBLICATION_NCOLUMNS 11
#define SECTION_COLUMNS(T) T ".id, " T ".slug, " T ".name, " T ".position, " T ".default_access"
#define SECTION_NCOLUMNS 5
#define ARTICLE_NCOLUMNS 10 /* before the joined publication and section */
#define LATEST_ORDER " ORDER BY a.published_at DESC, a.id DESC LIMIT ?3 OFFSET ?4"
#define USER_COLUMNS(T)                                                                            \
    T ".id, " T ".email, " T ".display_name, " T ".password_hash, " T ".role, " T                  \
      ".email_verified_at, " T ".created_at"
#define USER_NCOLUMNS 7
/* The pending undo links holding the address ADDRESS at NOW (SQL expressions): while one is
 * unused and unexpired, no other account may register or move to its address (store.h). */
#define EMAIL_HELD(ADDRESS, NOW)                                                                   \
    "SELECT 1 FROM tokens WHERE kind = 'email_undo' AND used_at IS NULL AND payload = " ADDRESS    \
    " COLLATE NOCASE AND expires_at > " NOW
#define SESSION_COLUMNS(T)                                                                         \
    T ".id, " T ".user_id, " T ".created_at, " T ".last_seen_at, " T ".expires_at, " T             \
      ".user_agent, " T ".ip"
#define SESSION_NCOLUMNS 7
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
    "stripe_event_at) VALUES (NULLIF(?3, 0), ?4, ?5, ?6, ?2, ?1, 'stripe', ?7, ?7, ?8) "           \
    "ON CONFLICT (stripe_subscription_id) WHERE stripe_subscription_id <> '' DO UPDATE SET "      \
    "user_id = CASE WHEN " STRIPE_NEWER " THEN COALESCE(excluded.user_id, "                        \
    "subscriptions.user_id) ELSE COALESCE(subscriptions.user_id, excluded.user_id) END, "          \
    "plan_slug = " STRIPE_FILL("plan_slug") ", "                                                   \
    "stripe_customer_id = " STRIPE_FILL("stripe_customer_id") ", "                                 \
    "status = " STRIPE_IF_NEWER("status") ", "                                                     \
    "current_period_end = " STRIPE_IF_NEWER("current_period_end") ", "                             \
    "updated_at = " STRIPE_IF_NEWER("updated_at") ", "                                             \
    "stripe_event_at = " STRIPE_IF_NEWER("stripe_event_at") " "                                    \
    "RETURNING stripe_event_at = ?8 AND status = ?5 AND current_period_end = ?6"
/* An active subscription still running at ?2: what store_subscription_current prefers. */
#define SUBSCRIPTION_RUNNING "(s.status = 'active' AND s.current_period_end > ?2)"
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
// clang-format on

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
    STMT_SESSION_BY_TOKEN,
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
    STMT_ORG_ID,
    STMT_ORG_ADD_RANGE,
    STMT_ORG_REMOVE_RANGE,
    STMT_ORGS,
    STMT_ORG_RANGES,
    STMT_ORG_DELETE,
    STMT_METER_COUNT,
    STMT_METER_READ_AT,
    STMT_METER_RECORD,
    STMT_METER_PURGE,
    STMT_METER_STATE,
    STMT_STRIPE_EVENT_INSERT,
    STMT_STRIPE_EVENT_DELETE,
    STMT_PUBLICATION_SET_DEFAULT_ACCESS,
    STMT_SECTION_SET_DEFAULT_ACCESS,
    STMT_PAYWALL_VERSION,
    STMT_CAMPAIGN_UPSERT,
    STMT_CAMPAIGN_ID,
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
    STMT_COUNT
};

/* Indexed by enum statement. The latest-article statements all take ?1 publication id, ?2
 * section id, ?3 limit, ?4 offset (each uses what it needs), one per filter so that each can use
 * its own index. */
static const char *const statements[STMT_COUNT] = {
    /* SQLite only: after a migration, a row whose foreign key points nowhere */
    [STMT_FOREIGN_KEY_CHECK] = "PRAGMA foreign_key_check",
    [STMT_CHANGE_SEQ] = "SELECT value FROM meta WHERE key = 'change_seq'",
    [STMT_CHANGES_SINCE] = "SELECT tag, seq FROM changes WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    [STMT_ANY_PUBLICATION] = "SELECT EXISTS (SELECT 1 FROM publications)",
    [STMT_PUBLICATION_UPSERT] =
        "INSERT INTO publications (slug, name, description, producer, partner, partner_short, "
        "partner_url, partner_description, is_host) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
        "ON CONFLICT (slug) DO UPDATE SET name = excluded.name, "
        "description = excluded.description, producer = excluded.producer, "
        "partner = excluded.partner, partner_short = excluded.partner_short, "
        "partner_url = excluded.partner_url, partner_description = excluded.partner_description, "
        "is_host = excluded.is_host",
    [STMT_SECTION_UPSERT] = "INSERT INTO sections (slug, name, position) VALUES (?1, ?2, ?3) "
                            "ON CONFLICT (slug) DO UPDATE SET name = excluded.name, "
                            "position = excluded.position",
    [STMT_PUBLICATION_ID] = "SELECT id FROM publications WHERE slug = ?1",
    [STMT_SECTION_ID] = "SELECT id FROM sections WHERE slug = ?1",
    [STMT_ARTICLE_UPSERT] =
        "INSERT INTO articles (slug, publication_id, section_id, headline, dek, byline, "
        "body_markdown, body_html, published_at, updated_at, access) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
        "ON CONFLICT (slug) DO UPDATE SET publication_id = excluded.publication_id, "
        "section_id = excluded.section_id, headline = excluded.headline, dek = excluded.dek, "
        "byline = excluded.byline, body_markdown = excluded.body_markdown, "
        "body_html = excluded.body_html, published_at = excluded.published_at, "
        "updated_at = excluded.updated_at, access = excluded.access",
    [STMT_PUBLICATION_BY_SLUG] =
        "SELECT " PUBLICATION_COLUMNS("p") " FROM publications p WHERE p.slug = ?1",
    [STMT_SECTION_BY_SLUG] = "SELECT " SECTION_COLUMNS("s") " FROM sections s WHERE s.slug = ?1",
    [STMT_PUBLICATIONS] =
        "SELECT " PUBLICATION_COLUMNS("p") " FROM publications p ORDER BY p.is_host DESC, p.name, "
                                           "p.id",
    [STMT_SECTIONS] = "SELECT " SECTION_COLUMNS("s") " FROM sections s ORDER BY s.position, s.id",
    [STMT_ARTICLE_BY_SLUG] = ARTICLE_SELECT("a.body_html, a.body_markdown") "WHERE a.slug = ?1",
    [STMT_ARTICLE_META] = "SELECT id, access FROM articles WHERE slug = ?1",
    [STMT_LATEST] = ARTICLE_SELECT("'', ''") LATEST_ORDER,
    [STMT_LATEST_PUBLICATION] = ARTICLE_SELECT("'', ''") "WHERE a.publication_id = ?1" LATEST_ORDER,
    [STMT_LATEST_SECTION] = ARTICLE_SELECT("'', ''") "WHERE a.section_id = ?2" LATEST_ORDER,
    [STMT_LATEST_PUBLICATION_SECTION] =
        ARTICLE_SELECT("'', ''") "WHERE a.publication_id = ?1 AND a.section_id = ?2" LATEST_ORDER,
    /* Keyset paging (store_articles_page): the row value compares (published_at, id) as one
     * key, in the order of the articles_latest index, which the search starts from. */
    [STMT_ARTICLES_PAGE] = ARTICLE_SELECT("'', ''") "WHERE (a.published_at, a.id) < (?1, ?2) "
                                                    "ORDER BY a.published_at DESC, a.id DESC "
                                                    "LIMIT ?3",
    [STMT_ARTICLES_COUNT] = "SELECT count(*) FROM articles",
    /* Accounts. users.email is COLLATE NOCASE, so `email = ?1` compares without case and uses
     * the UNIQUE index. */
    [STMT_USER_INSERT] = "INSERT INTO users (email, display_name, password_hash, role, created_at, "
                         "updated_at) SELECT ?1, ?2, ?3, ?4, ?5, ?5 WHERE NOT EXISTS (" EMAIL_HELD(
                             "?1", "?5") ") "
                                         "RETURNING id",
    [STMT_USER_BY_EMAIL] = "SELECT " USER_COLUMNS("u") " FROM users u WHERE u.email = ?1",
    [STMT_USER_BY_ID] = "SELECT " USER_COLUMNS("u") " FROM users u WHERE u.id = ?1",
    [STMT_USERS] = "SELECT u.id, u.email, u.display_name, '', u.role, u.email_verified_at, "
                   "u.created_at FROM users u ORDER BY u.id",
    [STMT_USER_SET_NAME] = "UPDATE users SET display_name = ?2, updated_at = ?3 WHERE id = ?1",
    [STMT_USER_SET_EMAIL] =
        "UPDATE users SET email = ?2, email_verified_at = ?3, updated_at = ?4 "
        "WHERE id = ?1 AND NOT EXISTS (" EMAIL_HELD("?2", "?4") " AND "
                                                                "user_id <> ?1)",
    [STMT_USER_SET_PASSWORD_HASH] =
        "UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE id = ?1",
    [STMT_USER_SET_ROLE] = "UPDATE users SET role = ?2, updated_at = ?3 WHERE id = ?1",
    [STMT_USER_MARK_VERIFIED] =
        "UPDATE users SET email_verified_at = ?2, updated_at = ?3 WHERE id = ?1",
    [STMT_USER_DELETE] = "DELETE FROM users WHERE id = ?1",
    [STMT_SESSION_INSERT] = "INSERT INTO sessions (user_id, token_hash, created_at, last_seen_at, "
                            "expires_at, user_agent, ip) VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6) "
                            "RETURNING id",
    [STMT_SESSION_BY_TOKEN] = "SELECT " SESSION_COLUMNS("s") ", " USER_COLUMNS(
        "u") " FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?1",
    [STMT_SESSION_TOUCH] = "UPDATE sessions SET last_seen_at = ?2 WHERE id = ?1",
    [STMT_SESSION_DELETE] = "DELETE FROM sessions WHERE id = ?1",
    [STMT_SESSIONS_DELETE_FOR_USER] = "DELETE FROM sessions WHERE user_id = ?1 AND id <> ?2",
    [STMT_SESSIONS_FOR_USER] = "SELECT " SESSION_COLUMNS(
        "s") " FROM sessions s WHERE s.user_id = ?1 ORDER BY s.last_seen_at DESC, s.id DESC",
    [STMT_SESSIONS_PURGE] = "DELETE FROM sessions WHERE expires_at <= ?1",
    [STMT_TOKEN_INSERT] = "INSERT INTO tokens (user_id, kind, token_hash, payload, created_at, "
                          "expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [STMT_TOKEN_FIND] = "SELECT id, user_id, payload, expires_at, used_at IS NOT NULL FROM tokens "
                        "WHERE token_hash = ?1 AND kind = ?2",
    [STMT_TOKEN_USE] = "UPDATE tokens SET used_at = ?2 WHERE id = ?1 AND used_at IS NULL",
    [STMT_TOKENS_DELETE_FOR_USER] =
        "DELETE FROM tokens WHERE user_id = ?1 AND (?2 = '' OR kind = ?2) AND used_at IS NULL",
    [STMT_TOKENS_PURGE] = "DELETE FROM tokens WHERE expires_at <= ?1",
    [STMT_TOKENS_VOID] = "DELETE FROM tokens WHERE user_id = ?1 AND used_at IS NULL AND "
                         "(kind <> 'email_undo' OR id > (SELECT id FROM tokens WHERE "
                         "token_hash = ?2 AND kind = 'email_undo'))",
    [STMT_SECRET_INSERT] = "INSERT INTO secrets (name, value) VALUES (?1, ?2) "
                           "ON CONFLICT (name) DO NOTHING",
    [STMT_SECRET_GET] = "SELECT value FROM secrets WHERE name = ?1",
    [STMT_MAIL_INSERT] = "INSERT INTO mail_queue (recipient, subject, body_text, body_html, "
                         "created_at, next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
    /* The mail queue (store_mail_claim). A leased message's next_attempt_at is its lease's
     * expiry, so an expired lease is simply due. */
    [STMT_MAIL_NEXT_DUE] = "SELECT id FROM mail_queue WHERE next_attempt_at IS NOT NULL AND "
                           "next_attempt_at <= ?1 ORDER BY next_attempt_at, id LIMIT 1",
    /* ?1 id, ?2 now, ?3 lease expiry, ?4 owner. Changes the row only while it is still due, so
     * of two mailers that chose the same message only one takes it. */
    [STMT_MAIL_CLAIM] = "UPDATE mail_queue SET next_attempt_at = ?3, lease_owner = ?4 "
                        "WHERE id = ?1 AND next_attempt_at IS NOT NULL AND next_attempt_at <= ?2",
    [STMT_MAIL_BY_ID] = "SELECT id, recipient, subject, body_text, body_html, attempts FROM "
                        "mail_queue WHERE id = ?1",
    /* Once a message has gone (or been given up on) its bodies are cleared: they hold live
     * single-use links, which must not stay at rest in the database. A delivery is a fact, so
     * whoever holds the lease now, it is recorded (once: sent_at is only set when unset). */
    [STMT_MAIL_SENT] = "UPDATE mail_queue SET sent_at = ?2, next_attempt_at = NULL, "
                       "lease_owner = '', body_text = '', body_html = '' "
                       "WHERE id = ?1 AND sent_at IS NULL",
    /* ?4 owner: a failed attempt is recorded only by the lease's owner, so a mailer whose lease
     * expired cannot push back a message another mailer has taken (or delivered) since. */
    [STMT_MAIL_FAILED] = "UPDATE mail_queue SET attempts = attempts + 1, next_attempt_at = "
                         "NULLIF(?2, 0), lease_owner = '', last_error = ?3, "
                         "body_text = CASE WHEN ?2 = 0 THEN '' ELSE body_text END, "
                         "body_html = CASE WHEN ?2 = 0 THEN '' ELSE body_html END "
                         "WHERE id = ?1 AND lease_owner = ?4 AND sent_at IS NULL",
    /* Messages not yet delivered nor given up (leased ones too): a count over the partial
     * index mail_queue_due, never the rows. */
    [STMT_MAIL_WAITING] = "SELECT count(*) FROM mail_queue WHERE next_attempt_at IS NOT NULL",
    /* Paywall. The upserts name a partial unique index as their conflict target together with
     * its WHERE clause, as SQLite (and PostgreSQL) require for a partial index. */
    [STMT_PLAN_UPSERT] =
        "INSERT INTO plans (slug, name, description, benefits, period, price_cents, currency, "
        "position, stripe_price_id, active) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
        "ON CONFLICT (slug) DO UPDATE SET name = excluded.name, "
        "description = excluded.description, benefits = excluded.benefits, "
        "period = excluded.period, price_cents = excluded.price_cents, "
        "currency = excluded.currency, position = excluded.position, "
        "stripe_price_id = excluded.stripe_price_id, active = excluded.active",
    [STMT_PLANS] = "SELECT " PLAN_COLUMNS("p") " FROM plans p WHERE p.active = 1 OR ?1 "
                                               "ORDER BY p.position, p.id",
    [STMT_PLAN_BY_SLUG] = "SELECT " PLAN_COLUMNS("p") " FROM plans p WHERE p.slug = ?1",
    [STMT_PLAN_DELETE] = "DELETE FROM plans WHERE slug = ?1",
    [STMT_SUBSCRIPTION_GRANT] =
        "INSERT INTO subscriptions (user_id, plan_slug, status, current_period_end, source, "
        "created_at, updated_at) VALUES (?1, ?2, 'active', ?3, 'admin', ?4, ?4) "
        "ON CONFLICT (user_id) WHERE source = 'admin' DO UPDATE SET "
        "plan_slug = excluded.plan_slug, status = 'active', "
        "current_period_end = excluded.current_period_end, updated_at = excluded.updated_at",
    [STMT_SUBSCRIPTION_REVOKE] = "UPDATE subscriptions SET status = 'canceled', updated_at = ?2 "
                                 "WHERE user_id = ?1 AND source = 'admin' AND status <> 'canceled'",
    [STMT_SUBSCRIPTION_CURRENT] =
        "SELECT " SUBSCRIPTION_COLUMNS("s") " FROM subscriptions s WHERE s.user_id = ?1 "
                                            "ORDER BY " SUBSCRIPTION_RUNNING " DESC, "
                                            "CASE WHEN " SUBSCRIPTION_RUNNING
                                            " THEN s.current_period_end ELSE 0 END DESC, "
                                            "s.updated_at DESC, s.id DESC LIMIT 1",
    /* STRIPE_UPSERT_SQL (above) says what each parameter is and how events are ordered. */
    [STMT_SUBSCRIPTION_STRIPE_UPSERT] = STRIPE_UPSERT_SQL,
    [STMT_SUBSCRIPTION_BY_CUSTOMER] = "SELECT " SUBSCRIPTION_COLUMNS(
        "s") " FROM subscriptions s "
             "WHERE s.stripe_customer_id = ?1 AND ?1 <> '' "
             "ORDER BY s.status = 'active' DESC, s.updated_at DESC, s.id DESC LIMIT 1",
    [STMT_ORG_UPSERT] = "INSERT INTO organisations (slug, name, ends_at, created_at) "
                        "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (slug) DO UPDATE SET "
                        "name = excluded.name, ends_at = excluded.ends_at",
    [STMT_ORG_ID] = "SELECT id FROM organisations WHERE slug = ?1",
    /* Inserts nothing for an unknown organisation: the store reports STORE_NOT_FOUND. */
    [STMT_ORG_ADD_RANGE] = "INSERT INTO organisation_ranges (organisation_id, cidr) "
                           "SELECT id, ?2 FROM organisations WHERE slug = ?1",
    [STMT_ORG_REMOVE_RANGE] = "DELETE FROM organisation_ranges WHERE cidr = ?2 AND "
                              "organisation_id = (SELECT id FROM organisations WHERE slug = ?1)",
    [STMT_ORGS] = "SELECT " ORGANISATION_COLUMNS("o") " FROM organisations o ORDER BY o.slug",
    [STMT_ORG_RANGES] = "SELECT " ORGANISATION_COLUMNS(
        "o") ", r.cidr FROM organisation_ranges r "
             "JOIN organisations o ON o.id = r.organisation_id ORDER BY o.slug, r.cidr, r.id",
    [STMT_ORG_DELETE] = "DELETE FROM organisations WHERE slug = ?1",
    [STMT_METER_COUNT] = "SELECT count(*) FROM meter_reads WHERE user_id = ?1 AND read_at >= ?2",
    [STMT_METER_READ_AT] = "SELECT read_at FROM meter_reads WHERE user_id = ?1 AND article_id = ?2",
    /* ?3 since, ?4 now: a read inside the period keeps its time, an older one restarts at now. */
    [STMT_METER_RECORD] = "INSERT INTO meter_reads (user_id, article_id, read_at) "
                          "VALUES (?1, ?2, ?4) ON CONFLICT (user_id, article_id) DO UPDATE SET "
                          "read_at = excluded.read_at WHERE meter_reads.read_at < ?3",
    [STMT_METER_PURGE] = "DELETE FROM meter_reads WHERE read_at < ?1",
    /* ?1 user, ?2 article, ?3 since: when the article was counted (NULL: never) and how many
     * reads the period holds, from one snapshot (store_meter_take). */
    [STMT_METER_STATE] =
        "SELECT (SELECT read_at FROM meter_reads WHERE user_id = ?1 AND article_id = ?2), "
        "(SELECT count(*) FROM meter_reads WHERE user_id = ?1 AND read_at >= ?3)",
    [STMT_STRIPE_EVENT_INSERT] =
        "INSERT INTO stripe_events (id, type, received_at) VALUES (?1, ?2, ?3)",
    [STMT_STRIPE_EVENT_DELETE] = "DELETE FROM stripe_events WHERE id = ?1",
    [STMT_PUBLICATION_SET_DEFAULT_ACCESS] =
        "UPDATE publications SET default_access = ?2 WHERE slug = ?1",
    [STMT_SECTION_SET_DEFAULT_ACCESS] = "UPDATE sections SET default_access = ?2 WHERE slug = ?1",
    [STMT_PAYWALL_VERSION] = "SELECT value FROM meta WHERE key = 'paywall_version'",
    /* Advertising. created_at is kept when a campaign is updated. */
    [STMT_CAMPAIGN_UPSERT] =
        "INSERT INTO campaigns (slug, name, starts_at, ends_at, weight, publication_slug, "
        "section_slug, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
        "ON CONFLICT (slug) DO UPDATE SET name = excluded.name, starts_at = excluded.starts_at, "
        "ends_at = excluded.ends_at, weight = excluded.weight, "
        "publication_slug = excluded.publication_slug, section_slug = excluded.section_slug",
    [STMT_CAMPAIGN_ID] = "SELECT id FROM campaigns WHERE slug = ?1",
    [STMT_CAMPAIGN_BY_SLUG] = "SELECT " CAMPAIGN_COLUMNS("c") " FROM campaigns c WHERE c.slug = ?1",
    [STMT_CAMPAIGNS] =
        "SELECT " CAMPAIGN_COLUMNS("c") " FROM campaigns c ORDER BY c.starts_at, c.slug",
    [STMT_CAMPAIGN_DELETE] = "DELETE FROM campaigns WHERE slug = ?1",
    /* Inserts nothing for an unknown campaign: the store reports STORE_NOT_FOUND. */
    [STMT_CREATIVE_INSERT] =
        "INSERT INTO creatives (campaign_id, placement, kind, image_path, image_type, width, "
        "height, alt, click_url, html, created_at) "
        "SELECT id, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11 FROM campaigns WHERE slug = ?1 "
        "RETURNING id",
    [STMT_CREATIVE_BY_ID] = CREATIVE_SELECT "WHERE k.id = ?1",
    [STMT_CREATIVES] = CREATIVE_SELECT "ORDER BY c.slug, k.id",
    [STMT_CREATIVE_DELETE] = "DELETE FROM creatives WHERE id = ?1",
    /* ?1 placement, ?2 publication slug, ?3 section slug, ?4 now. */
    [STMT_CREATIVES_ELIGIBLE] =
        CREATIVE_SELECT "WHERE k.placement = ?1 AND c.starts_at <= ?4 AND c.ends_at > ?4 "
                        "AND (c.publication_slug = '' OR c.publication_slug = ?2) "
                        "AND (c.section_slug = '' OR c.section_slug = ?3) ORDER BY c.id, k.id",
    /* In DO UPDATE, a bare column is the stored row's: the counts add up. */
    [STMT_AD_STATS_ADD] =
        "INSERT INTO ad_stats (creative_id, day, impressions, clicks) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (creative_id, day) DO UPDATE SET "
        "impressions = impressions + excluded.impressions, clicks = clicks + excluded.clicks",
    [STMT_AD_REPORT] =
        "SELECT s.day, c.slug, k.id, k.placement, s.impressions, s.clicks FROM ad_stats s "
        "JOIN creatives k ON k.id = s.creative_id JOIN campaigns c ON c.id = k.campaign_id "
        "WHERE (?1 = '' OR s.day >= ?1) AND (?2 = '' OR s.day <= ?2) "
        "ORDER BY s.day, c.slug, k.id",
    /* The import's slugs (store_import_slugs_begin makes the table). */
    [STMT_IMPORT_SLUG_ADD] = "INSERT INTO temp.import_slugs (position, slug, path) "
                             "VALUES (?1, ?2, ?3) ON CONFLICT (slug) DO NOTHING",
    [STMT_IMPORT_SLUG_PATH] = "SELECT path FROM temp.import_slugs WHERE slug = ?1",
    [STMT_IMPORT_SLUG_AT] = "SELECT slug FROM temp.import_slugs WHERE position = ?1",
};

struct store {
    struct db *db;
    struct db_sql sql[STMT_COUNT]; /* statements, as db_open takes them */
};

/* Errors reported since the process started (store_error_count). */
static atomic_ulong errors_reported;

/* Formats a message, logs it to stderr and copies it into err (when err is not NULL), and
 * counts it: every failure of the store passes here. */
__attribute__((format(printf, 3, 4))) static void report(char *err, size_t errlen, const char *fmt,
                                                         ...)
{
    atomic_fetch_add_explicit(&errors_reported, 1, memory_order_relaxed);
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "broadsheet: store: %s\n", msg);
    if (err && errlen)
        snprintf(err, errlen, "%s", msg);
}

/* Runs literal SQL text with no parameters or results (migrations, the import's table).
 * Returns 0, or -1 with the reason reported and in err. */
static int exec_sql(struct db_conn *c, const char *sql, char *err, size_t errlen)
{
    if (db_exec(c, sql) != 0) {
        report(err, errlen, "%s", db_errmsg(c));
        return -1;
    }
    return 0;
}

void store_thread_wait(struct store *st, int ms)
{
    db_thread_wait(st->db, ms);
}

/* The calling thread's connection (db_conn: opened on first use, and anew after one broke,
 * unless a transaction of the caller's is open on it). Returns NULL (reported, and written
 * into err when given) if it cannot be opened; the next call tries again. The caller must not
 * hold a statement of the thread's connection: every store function calls this once, first. */
static struct db_conn *conn_get(struct store *st, char *err, size_t errlen)
{
    char why[768];
    struct db_conn *c = db_conn(st->db, why, sizeof why);
    if (!c)
        report(err, errlen, "%s", why);
    return c;
}

/* Statement id on c, prepared on first use and kept. The caller resets it when done
 * (db_reset). Returns NULL (reported) if it cannot be prepared: a bug in this file, or a file
 * that is not (or no longer) a database, which also marks c broken. */
static struct db_stmt *stmt_get(struct db_conn *c, enum statement id, char *err, size_t errlen)
{
    struct db_stmt *s = db_prepare(c, id);
    if (!s)
        report(err, errlen, "preparing statement %d: %s", (int)id, db_errmsg(c));
    return s;
}

/* Transactions nest (db.h): the outermost holds the write lock from its start, so it cannot
 * fail half-way because another writer came first; an inner one is a savepoint, so a store
 * function that needs its own transaction (store_token_consume) composes into a caller's
 * (store_begin). Every tx_begin is matched by exactly one tx_commit or tx_rollback. Return 0 or
 * -1 (reported; a failed commit has rolled its level back). */
static int tx_begin(struct db_conn *c, char *err, size_t errlen)
{
    if (db_begin(c) != 0) {
        report(err, errlen, "beginning a transaction: %s", db_errmsg(c));
        return -1;
    }
    return 0;
}

static int tx_commit(struct db_conn *c, char *err, size_t errlen)
{
    if (db_commit(c) != 0) {
        report(err, errlen, "committing: %s", db_errmsg(c));
        return -1;
    }
    return 0;
}

static void tx_rollback(struct db_conn *c)
{
    db_rollback(c);
}

int store_begin(struct store *st)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    return c && tx_begin(c, NULL, 0) == 0 ? STORE_OK : STORE_ERROR;
}

int store_commit(struct store *st)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    return c && tx_commit(c, NULL, 0) == 0 ? STORE_OK : STORE_ERROR;
}

void store_rollback(struct store *st)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    if (c)
        tx_rollback(c);
}

/* Binds s (never NULL: NULL binds as ""), so optional strings store as '' as store.h promises. */
static int bind_text(struct db_stmt *stmt, int index, const char *s)
{
    return db_bind_text(stmt, index, s);
}

/* Column col of the current row as a string in a ("" for NULL). */
static const char *column_text(struct db_stmt *s, int col, struct arena *a)
{
    const char *text = db_column_text(s, col);
    if (!text)
        return "";
    return arena_strndup(a, text, db_column_bytes(s, col));
}

/* Reads a publication from the current row of s, starting at column col
 * (PUBLICATION_COLUMNS order). */
static void read_publication(struct db_stmt *s, int col, struct arena *a, struct publication *p)
{
    p->id = db_column_int64(s, col);
    p->slug = column_text(s, col + 1, a);
    p->name = column_text(s, col + 2, a);
    p->description = column_text(s, col + 3, a);
    p->producer = column_text(s, col + 4, a);
    p->partner = column_text(s, col + 5, a);
    p->partner_short = column_text(s, col + 6, a);
    p->partner_url = column_text(s, col + 7, a);
    p->partner_description = column_text(s, col + 8, a);
    p->is_host = (int)db_column_int64(s, col + 9) != 0;
    p->default_access = column_text(s, col + 10, a);
}

/* Reads a section from the current row of s, starting at column col (SECTION_COLUMNS order). */
static void read_section(struct db_stmt *s, int col, struct arena *a, struct section *sec)
{
    sec->id = db_column_int64(s, col);
    sec->slug = column_text(s, col + 1, a);
    sec->name = column_text(s, col + 2, a);
    sec->position = (int)db_column_int64(s, col + 3);
    sec->default_access = column_text(s, col + 4, a);
}

/* Reads a joined article row (ARTICLE_SELECT order) from s. */
static void read_article(struct db_stmt *s, struct arena *a, struct article *art)
{
    art->id = db_column_int64(s, 0);
    art->slug = column_text(s, 1, a);
    art->headline = column_text(s, 2, a);
    art->dek = column_text(s, 3, a);
    art->byline = column_text(s, 4, a);
    art->body_html = column_text(s, 5, a);
    art->body_markdown = column_text(s, 6, a);
    art->published_at = db_column_int64(s, 7);
    art->updated_at = db_column_int64(s, 8);
    int level = store_access_parse(db_column_text(s, 9));
    art->access = level < 0 ? ACCESS_SUBSCRIBERS : (enum access_level)level; /* CHECK forbids */
    read_publication(s, ARTICLE_NCOLUMNS, a, &art->publication);
    read_section(s, ARTICLE_NCOLUMNS + PUBLICATION_NCOLUMNS, a, &art->section);
}

/* Doubles the arena array *items (holding n of cap elements of size bytes) when it is full.
 * The old copy stays in the arena until it is reset: lists are small. */
static void grow(struct arena *a, void **items, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return;
    size_t new_cap = *cap ? *cap * 2 : 8;
    void *bigger = arena_alloc(a, new_cap * size);
    if (n)
        memcpy(bigger, *items, n * size);
    *items = bigger;
    *cap = new_cap;
}

/* Reads the current row of a statement into item, one element of the caller's array (strings
 * from a). The *_row functions below adapt the read_* functions, which take a typed pointer and
 * a first column, to this shape for read_rows. */
typedef void (*row_reader)(struct db_stmt *s, struct arena *a, void *item);

/* Steps s (on c, bound by the caller) to its end, reading each row with read_row into a new
 * element of item_size bytes of an array from a. On STORE_OK sets *out (NULL when there are no
 * rows) and *n; on STORE_ERROR (reported as "what: <SQLite's message>") leaves them alone.
 * Does not reset s: the caller's stmt_done does. */
static int read_rows(struct db_conn *c, struct db_stmt *s, struct arena *a, size_t item_size,
                     row_reader read_row, const char *what, void **out, size_t *n)
{
    void *items = NULL;
    size_t count = 0, cap = 0;
    int step;
    while ((step = db_step(s)) == DB_ROW) {
        grow(a, &items, count, &cap, item_size);
        read_row(s, a, (char *)items + count++ * item_size);
    }
    if (step != DB_DONE) {
        report(NULL, 0, "%s: %s", what, db_errmsg(c));
        return STORE_ERROR;
    }
    *out = items;
    *n = count;
    return STORE_OK;
}

/* read_rows for statement id, which takes no parameters, on the calling thread's connection;
 * resets the statement. Returns STORE_OK or STORE_ERROR (reported). */
static int list_all(struct store *st, enum statement id, struct arena *a, size_t item_size,
                    row_reader read_row, const char *what, void **out, size_t *n)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (c && (s = stmt_get(c, id, NULL, 0)))
        rc = read_rows(c, s, a, item_size, read_row, what, out, n);
    db_reset(s);
    return rc;
}

/* Steps the bound one-row lookup s (on c) once. Returns STORE_OK with s on the row, for the
 * caller to read; STORE_NOT_FOUND when there is no row; or STORE_ERROR, reported as
 * "<fmt's text>: <SQLite's message>" (fmt is formatted only then, so a lookup that works formats
 * nothing). Does not reset s. */
__attribute__((format(printf, 3, 4))) static int step_one(struct db_conn *c, struct db_stmt *s,
                                                          const char *fmt, ...)
{
    int step = db_step(s);
    if (step == DB_ROW)
        return STORE_OK;
    if (step == DB_DONE)
        return STORE_NOT_FOUND;
    char what[1024]; /* report's own limit: the message is cut where it was before */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    report(NULL, 0, "%s: %s", what, db_errmsg(c));
    return STORE_ERROR;
}

/* read_publication from column 0 (a row_reader). */
static void publication_row(struct db_stmt *s, struct arena *a, void *item)
{
    read_publication(s, 0, a, item);
}

/* read_section from column 0 (a row_reader). */
static void section_row(struct db_stmt *s, struct arena *a, void *item)
{
    read_section(s, 0, a, item);
}

/* read_article (a row_reader). */
static void article_row(struct db_stmt *s, struct arena *a, void *item)
{
    read_article(s, a, item);
}

/* The schema's version into *version. Returns 0 or -1 (reported). */
static int schema_version(struct db_conn *c, int *version, char *err, size_t errlen)
{
    if (db_schema_version(c, version) != 0) {
        report(err, errlen, "reading the schema version: %s", db_errmsg(c));
        return -1;
    }
    return 0;
}

/* Whether a row's foreign key points nowhere after a SQLite migration (PRAGMA
 * foreign_key_check finds one, or cannot run); PostgreSQL checks its keys itself. */
static int foreign_keys_broken(struct db_conn *c)
{
    if (db_conn_kind(c) != DB_SQLITE)
        return 0;
    struct db_stmt *s = db_prepare(c, STMT_FOREIGN_KEY_CHECK);
    int broken = !s || db_step(s) != DB_DONE;
    db_reset(s);
    return broken;
}

static int migrate_all(struct db_conn *c, char *err, size_t errlen);

/* Applies migration m (version m->version) in its own transaction, unless another process did
 * meanwhile. Returns 0 or -1 (reported; the transaction is rolled back). */
static int apply_migration(struct db_conn *c, const struct migration *m, char *err, size_t errlen)
{
    int version, rc = -1;
    if (tx_begin(c, err, errlen) != 0)
        return -1;
    if (schema_version(c, &version, err, errlen) != 0)
        goto out;
    if (version >= m->version) { /* another process got there first */
        rc = 0;
        goto out;
    }
    char msg[900];
    if (exec_sql(c, m->sql, msg, sizeof msg) != 0) {
        report(err, errlen, "migration %s: %s", m->name, msg);
        goto out;
    }
    if (foreign_keys_broken(c)) {
        report(err, errlen, "migration %s: it would leave a foreign key pointing nowhere", m->name);
        goto out;
    }
    if (db_set_schema_version(c, m->version) != 0) {
        report(err, errlen, "migration %s: setting the version: %s", m->name, db_errmsg(c));
        goto out;
    }
    return tx_commit(c, err, errlen);
out:
    tx_rollback(c);
    return rc;
}

/* Brings the schema up to the binary's latest migration. Returns 0 or -1 (reported).
 *
 * SQLite: foreign keys are not enforced while migrations run: a migration that rebuilds a
 * table (the only way SQLite reorders or retypes columns) drops the old one, and with
 * enforcement on that would delete, by ON DELETE CASCADE, every row that refers to it. The
 * pragma cannot change inside a transaction, so it is set around them, and each migration
 * instead checks every key (PRAGMA foreign_key_check) before it commits. */
static int migrate(struct db_conn *c, char *err, size_t errlen)
{
    int sqlite = db_conn_kind(c) == DB_SQLITE;
    if (sqlite && exec_sql(c, "PRAGMA foreign_keys = OFF", err, errlen) != 0)
        return -1;
    int rc = migrate_all(c, err, errlen);
    if (sqlite && exec_sql(c, "PRAGMA foreign_keys = ON", rc == 0 ? err : NULL, errlen) != 0)
        return -1;
    return rc;
}

/* migrate's work. */
static int migrate_all(struct db_conn *c, char *err, size_t errlen)
{
    const struct migration *list = migrations_sqlite;
    size_t count = migrations_sqlite_count;
    int version;
    if (schema_version(c, &version, err, errlen) != 0)
        return -1;
    if (version < 0 || (size_t)version > count) {
        report(err, errlen,
               "schema version %d is newer than this program's (%zu); use a newer Broadsheet",
               version, count);
        return -1;
    }
    for (size_t i = (size_t)version; i < count; i++)
        if (apply_migration(c, &list[i], err, errlen) != 0)
            return -1;
    return 0;
}

const char *store_access_name(enum access_level level)
{
    switch (level) {
    case ACCESS_FREE: return "free";
    case ACCESS_METERED: return "metered";
    case ACCESS_SUBSCRIBERS: return "subscribers";
    }
    return "subscribers"; /* not reachable for a valid enum; the strictest level is the safe one */
}

int store_access_parse(const char *name)
{
    if (!name)
        return -1;
    if (strcmp(name, "free") == 0)
        return ACCESS_FREE;
    if (strcmp(name, "metered") == 0)
        return ACCESS_METERED;
    if (strcmp(name, "subscribers") == 0)
        return ACCESS_SUBSCRIBERS;
    return -1;
}

struct store *store_open(const char *path, char *err, size_t errlen)
{
    struct store *st = xcalloc(1, sizeof *st);
    for (size_t i = 0; i < STMT_COUNT; i++)
        st->sql[i].sql = statements[i];
    char why[768];
    st->db = db_open(path, st->sql, STMT_COUNT, why, sizeof why);
    if (!st->db) {
        report(err, errlen, "%s", why);
        free(st);
        return NULL;
    }
    struct db_conn *c = conn_get(st, err, errlen);
    if (!c || migrate(c, err, errlen) != 0) {
        store_close(st);
        return NULL;
    }
    return st;
}

void store_close(struct store *st)
{
    if (!st)
        return;
    db_close(st->db);
    free(st);
}

void store_thread_done(struct store *st)
{
    db_thread_done(st->db);
}

/* The integer value of the one row read by statement id (STMT_CHANGE_SEQ, STMT_PAYWALL_VERSION,
 * STMT_MAIL_WAITING) into *value. STORE_OK or STORE_ERROR (reported with what). */
static int meta_value(struct store *st, enum statement id, int64_t *value, const char *what)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, id, NULL, 0)))
        goto out;
    if (db_step(s) != DB_ROW) {
        report(NULL, 0, "reading the %s: %s", what, db_errmsg(c));
        goto out;
    }
    *value = db_column_int64(s, 0);
    rc = STORE_OK;
out:
    db_reset(s);
    return rc;
}

int store_change_seq(struct store *st, int64_t *seq)
{
    return meta_value(st, STMT_CHANGE_SEQ, seq, "change log's sequence number");
}

int store_changes_since(struct store *st, int64_t after, int max,
                        void (*fn)(void *ctx, const char *tag, int64_t seq), void *ctx)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR, n = 0;
    if (!c || !(s = stmt_get(c, STMT_CHANGES_SINCE, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, after);
    db_bind_int64(s, 2, max);
    int step;
    while ((step = db_step(s)) == DB_ROW) {
        fn(ctx, db_column_text(s, 0), db_column_int64(s, 1));
        n++;
    }
    if (step != DB_DONE) {
        report(NULL, 0, "reading the change log: %s", db_errmsg(c));
        goto out;
    }
    rc = n;
out:
    db_reset(s);
    return rc;
}

/* Returns 1 (no publication), 0, or STORE_ERROR (-1) when the database cannot be read. */
int store_is_empty(struct store *st)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_ANY_PUBLICATION, NULL, 0)))
        goto out;
    if (db_step(s) != DB_ROW) {
        report(NULL, 0, "checking for publications: %s", db_errmsg(c));
        goto out;
    }
    rc = (int)db_column_int64(s, 0) ? 0 : 1;
out:
    db_reset(s);
    return rc;
}

/* 1 if s is a usable required string (not NULL, not empty). */
static int present(const char *s)
{
    return s && *s;
}

/* Saving a publication or a section leaves its default_access alone (the upserts do not name
 * the column): a default is the operator's choice (store_*_set_default_access), and re-seeding or
 * re-saving a record whose struct does not carry it must not quietly reset it to inherit. */
int store_publication_save(struct store *st, const struct publication *p, char *err, size_t errlen)
{
    struct db_conn *c = conn_get(st, err, errlen);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c)
        goto out;
    if (!present(p->slug) || !present(p->name)) {
        report(err, errlen, "publication '%s': slug and name are required", p->slug ? p->slug : "");
        goto out;
    }
    if (!(s = stmt_get(c, STMT_PUBLICATION_UPSERT, err, errlen)))
        goto out;
    bind_text(s, 1, p->slug);
    bind_text(s, 2, p->name);
    bind_text(s, 3, p->description);
    bind_text(s, 4, p->producer);
    bind_text(s, 5, p->partner);
    bind_text(s, 6, p->partner_short);
    bind_text(s, 7, p->partner_url);
    bind_text(s, 8, p->partner_description);
    db_bind_int64(s, 9, p->is_host ? 1 : 0);
    if (db_step(s) != DB_DONE) {
        report(err, errlen, "publication '%s': %s", p->slug, db_errmsg(c));
        goto out;
    }
    rc = STORE_OK;
out:
    db_reset(s);
    return rc;
}

int store_section_save(struct store *st, const struct section *sec, char *err, size_t errlen)
{
    struct db_conn *c = conn_get(st, err, errlen);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c)
        goto out;
    if (!present(sec->slug) || !present(sec->name)) {
        report(err, errlen, "section '%s': slug and name are required", sec->slug ? sec->slug : "");
        goto out;
    }
    if (!(s = stmt_get(c, STMT_SECTION_UPSERT, err, errlen)))
        goto out;
    bind_text(s, 1, sec->slug);
    bind_text(s, 2, sec->name);
    db_bind_int64(s, 3, sec->position);
    if (db_step(s) != DB_DONE) {
        report(err, errlen, "section '%s': %s", sec->slug, db_errmsg(c));
        goto out;
    }
    rc = STORE_OK;
out:
    db_reset(s);
    return rc;
}

/* The id of the row named slug, by statement id (STMT_PUBLICATION_ID or STMT_SECTION_ID), into
 * *row_id. Returns STORE_OK, STORE_NOT_FOUND or STORE_ERROR (reported). */
static int id_by_slug(struct db_conn *c, enum statement id, const char *slug, int64_t *row_id,
                      char *err, size_t errlen)
{
    struct db_stmt *s = stmt_get(c, id, err, errlen);
    int rc = STORE_ERROR;
    if (!s)
        goto out;
    bind_text(s, 1, slug);
    int step = db_step(s);
    if (step == DB_ROW) {
        *row_id = db_column_int64(s, 0);
        rc = STORE_OK;
    } else if (step == DB_DONE) {
        rc = STORE_NOT_FOUND;
    } else {
        report(err, errlen, "looking up '%s': %s", slug, db_errmsg(c));
    }
out:
    db_reset(s);
    return rc;
}

/* Saves article in (index i of the batch) inside the caller's transaction, stamped updated_at
 * now. Returns 0, or -1 with "article I: reason" reported. */
static int article_upsert(struct db_conn *c, const struct article_input *in, size_t i, int64_t now,
                          char *err, size_t errlen)
{
    struct db_stmt *s = NULL;
    int64_t publication_id, section_id;
    int rc = -1, found;
    char why[512];

    if (!present(in->slug) || !present(in->headline) || !in->body_markdown || !in->body_html) {
        report(err, errlen, "article %zu: slug, headline and body are required", i);
        goto out;
    }
    if ((unsigned)in->access > ACCESS_SUBSCRIBERS) {
        report(err, errlen, "article %zu: invalid access level %d", i, (int)in->access);
        goto out;
    }
    found = id_by_slug(c, STMT_PUBLICATION_ID, in->publication_slug ? in->publication_slug : "",
                       &publication_id, why, sizeof why);
    if (found != STORE_OK) {
        if (found == STORE_NOT_FOUND)
            report(err, errlen, "article %zu: unknown publication '%s'", i,
                   in->publication_slug ? in->publication_slug : "");
        else
            report(err, errlen, "article %zu: %s", i, why);
        goto out;
    }
    found = id_by_slug(c, STMT_SECTION_ID, in->section_slug ? in->section_slug : "", &section_id,
                       why, sizeof why);
    if (found != STORE_OK) {
        if (found == STORE_NOT_FOUND)
            report(err, errlen, "article %zu: unknown section '%s'", i,
                   in->section_slug ? in->section_slug : "");
        else
            report(err, errlen, "article %zu: %s", i, why);
        goto out;
    }
    if (!(s = stmt_get(c, STMT_ARTICLE_UPSERT, err, errlen)))
        goto out;
    bind_text(s, 1, in->slug);
    db_bind_int64(s, 2, publication_id);
    db_bind_int64(s, 3, section_id);
    bind_text(s, 4, in->headline);
    bind_text(s, 5, in->dek);
    bind_text(s, 6, in->byline);
    bind_text(s, 7, in->body_markdown);
    bind_text(s, 8, in->body_html);
    db_bind_int64(s, 9, in->published_at);
    db_bind_int64(s, 10, now);
    bind_text(s, 11, store_access_name(in->access));
    if (db_step(s) != DB_DONE) {
        report(err, errlen, "article %zu: %s", i, db_errmsg(c));
        goto out;
    }
    rc = 0;
out:
    db_reset(s);
    return rc;
}

int store_articles_save(struct store *st, const struct article_input *in, size_t n, char *err,
                        size_t errlen)
{
    struct db_conn *c = conn_get(st, err, errlen);
    int rc = STORE_ERROR;
    int in_tx = 0; /* a tx_begin level of ours is open */
    if (!c)
        return STORE_ERROR;
    /* IMMEDIATE takes the write lock now (waiting up to the busy timeout), so the transaction
     * cannot fail half-way because another writer came first. */
    if (tx_begin(c, err, errlen) != 0)
        goto out;
    in_tx = 1;
    int64_t now = util_now();
    for (size_t i = 0; i < n; i++)
        if (article_upsert(c, &in[i], i, now, err, errlen) != 0)
            goto out;
    in_tx = 0;
    if (tx_commit(c, err, errlen) != 0)
        goto out;
    rc = STORE_OK;
out:
    if (in_tx)
        tx_rollback(c);
    return rc;
}

/* The import's slugs live in the temp schema, which SQLite keeps in a temporary file of its own
 * (this build's SQLITE_TEMP_STORE is 1: a file unless a PRAGMA says otherwise, and none does), so
 * a million rows cost disk, not memory. Statements on it are prepared on first use, after the
 * table exists; dropping it leaves them to be prepared again against the next one. */
int store_import_slugs_begin(struct store *st)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    return c && exec_sql(c,
                         "DROP TABLE IF EXISTS temp.import_slugs; "
                         "CREATE TEMP TABLE import_slugs (position INTEGER PRIMARY KEY, "
                         "slug TEXT NOT NULL UNIQUE, path TEXT NOT NULL)",
                         NULL, 0) == 0
               ? STORE_OK
               : STORE_ERROR;
}

int store_import_slug_add(struct store *st, struct arena *a, int64_t position, const char *slug,
                          const char *path, const char **other)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_IMPORT_SLUG_ADD, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, position);
    bind_text(s, 2, slug);
    bind_text(s, 3, path);
    if (db_step(s) != DB_DONE) {
        report(NULL, 0, "recording the slug '%s': %s", slug, db_errmsg(c));
        goto out;
    }
    if (db_changes(c) == 1) {
        rc = STORE_OK;
        goto out;
    }
    db_reset(s);
    if (!(s = stmt_get(c, STMT_IMPORT_SLUG_PATH, NULL, 0)))
        goto out;
    bind_text(s, 1, slug);
    if (db_step(s) != DB_ROW) {
        report(NULL, 0, "reading the slug '%s': %s", slug, db_errmsg(c));
        goto out;
    }
    *other = column_text(s, 0, a);
    rc = STORE_CONFLICT;
out:
    db_reset(s);
    return rc;
}

int store_import_slug_at(struct store *st, struct arena *a, int64_t position, const char **slug)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_IMPORT_SLUG_AT, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, position);
    rc = step_one(c, s, "the import's slug at %lld", (long long)position);
    if (rc == STORE_OK)
        *slug = column_text(s, 0, a);
out:
    db_reset(s);
    return rc;
}

void store_import_slugs_end(struct store *st)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    if (c)
        exec_sql(c, "DROP TABLE IF EXISTS temp.import_slugs", NULL, 0);
}

int store_publication_by_slug(struct store *st, struct arena *a, const char *slug,
                              struct publication *out)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_PUBLICATION_BY_SLUG, NULL, 0)))
        goto out;
    bind_text(s, 1, slug);
    rc = step_one(c, s, "publication '%s'", slug);
    if (rc == STORE_OK)
        read_publication(s, 0, a, out);
out:
    db_reset(s);
    return rc;
}

int store_section_by_slug(struct store *st, struct arena *a, const char *slug, struct section *out)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_SECTION_BY_SLUG, NULL, 0)))
        goto out;
    bind_text(s, 1, slug);
    rc = step_one(c, s, "section '%s'", slug);
    if (rc == STORE_OK)
        read_section(s, 0, a, out);
out:
    db_reset(s);
    return rc;
}

int store_publications(struct store *st, struct arena *a, struct publication **out, size_t *n)
{
    return list_all(st, STMT_PUBLICATIONS, a, sizeof **out, publication_row, "listing publications",
                    (void **)out, n);
}

int store_sections(struct store *st, struct arena *a, struct section **out, size_t *n)
{
    return list_all(st, STMT_SECTIONS, a, sizeof **out, section_row, "listing sections",
                    (void **)out, n);
}

int store_article_by_slug(struct store *st, struct arena *a, const char *slug, struct article *out)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_ARTICLE_BY_SLUG, NULL, 0)))
        goto out;
    bind_text(s, 1, slug);
    rc = step_one(c, s, "article '%s'", slug);
    if (rc == STORE_OK)
        read_article(s, a, out);
out:
    db_reset(s);
    return rc;
}

int store_article_meta(struct store *st, const char *slug, int64_t *id, enum access_level *level)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_ARTICLE_META, NULL, 0)))
        goto out;
    bind_text(s, 1, slug);
    rc = step_one(c, s, "article '%s'", slug);
    if (rc == STORE_OK) {
        *id = db_column_int64(s, 0);
        int parsed = store_access_parse(db_column_text(s, 1));
        *level = parsed < 0 ? ACCESS_SUBSCRIBERS : (enum access_level)parsed;
    }
out:
    db_reset(s);
    return rc;
}

/* A limit of 0 or less means the default; more than MAX_LIST_LIMIT is capped. */
int store_articles_latest(struct store *st, struct arena *a, const struct article_query *q,
                          struct article **out, size_t *n)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    int limit = q->limit <= 0 ? DEFAULT_LIST_LIMIT : q->limit;
    if (limit > MAX_LIST_LIMIT)
        limit = MAX_LIST_LIMIT;
    enum statement id = q->publication_id && q->section_id ? STMT_LATEST_PUBLICATION_SECTION
                        : q->publication_id                ? STMT_LATEST_PUBLICATION
                        : q->section_id                    ? STMT_LATEST_SECTION
                                                           : STMT_LATEST;
    if (!c || !(s = stmt_get(c, id, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, q->publication_id);
    db_bind_int64(s, 2, q->section_id);
    db_bind_int64(s, 3, limit);
    db_bind_int64(s, 4, q->offset > 0 ? q->offset : 0);
    rc = read_rows(c, s, a, sizeof **out, article_row, "listing articles", (void **)out, n);
out:
    db_reset(s);
    return rc;
}

int store_articles_page(struct store *st, struct arena *a, const struct article_cursor *after,
                        int limit, struct article **out, size_t *n, int *more)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (limit < 1)
        limit = 1;
    if (limit > STORE_ARTICLE_PAGE_MAX)
        limit = STORE_ARTICLE_PAGE_MAX;
    if (!c || !(s = stmt_get(c, STMT_ARTICLES_PAGE, NULL, 0)))
        goto out;
    /* No cursor: after a key greater than any article's. */
    db_bind_int64(s, 1, after ? after->published_at : INT64_MAX);
    db_bind_int64(s, 2, after ? after->id : INT64_MAX);
    db_bind_int64(s, 3, limit + 1); /* one more than asked: whether there is a next page */
    struct article *items;
    size_t count;
    rc =
        read_rows(c, s, a, sizeof *items, article_row, "listing articles", (void **)&items, &count);
    if (rc == STORE_OK) {
        *more = count > (size_t)limit;
        *n = *more ? (size_t)limit : count;
        *out = items;
    }
out:
    db_reset(s);
    return rc;
}

int store_articles_count(struct store *st, int64_t *count)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_ARTICLES_COUNT, NULL, 0)))
        goto out;
    if (db_step(s) != DB_ROW) {
        report(NULL, 0, "counting articles: %s", db_errmsg(c));
        goto out;
    }
    *count = db_column_int64(s, 0);
    rc = STORE_OK;
out:
    db_reset(s);
    return rc;
}

/* --- Accounts (store.h) -------------------------------------------------------------------
 *
 * Single-row writes are one autocommit statement each: SQLite's busy handler queues them behind
 * other writers, and the UNIQUE and FOREIGN KEY constraints, not a prior SELECT, decide a race
 * (two registrations of one email, a session created for a user being deleted). The extended
 * result code tells those apart (sqlite3_extended_result_codes is on for every connection).
 * Consuming a token reads then writes, so it runs in a BEGIN IMMEDIATE transaction.
 */

const char *store_role_name(enum role role)
{
    switch (role) {
    case ROLE_READER: return "reader";
    case ROLE_WRITER: return "writer";
    case ROLE_EDITOR: return "editor";
    case ROLE_ADMIN: return "admin";
    }
    return "reader"; /* not reachable for a valid enum; the least privilege is the safe one */
}

int store_role_parse(const char *name)
{
    static const char *const names[] = {"reader", "writer", "editor", "admin"};
    if (!name)
        return -1;
    for (size_t i = 0; i < ARRAY_LEN(names); i++)
        if (strcmp(name, names[i]) == 0)
            return (int)i;
    return -1;
}

/* 1 if role is one of enum role's values (a cast int may not be). */
static int role_valid(enum role role)
{
    return (unsigned)role <= ROLE_ADMIN;
}

/* A heap copy of s with ASCII letters lowercased (the caller frees it). Only ASCII: that is
 * what COLLATE NOCASE folds too, so lookups and the UNIQUE constraint agree with it. */
static char *lowercase_ascii(const char *s)
{
    char *copy = xstrdup(s ? s : "");
    for (char *p = copy; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return copy;
}

/* Steps the bound write statement s (on c) once and maps the outcome: STORE_OK; STORE_CONFLICT
 * for a UNIQUE or PRIMARY KEY violation; STORE_NOT_FOUND for a FOREIGN KEY violation (the
 * referenced user is gone) or, when must_change is set, for a statement that changed no row;
 * STORE_ERROR otherwise (reported with what). Does not reset s. */
/* The store's status for c's failed write: STORE_CONFLICT for a uniqueness rule,
 * STORE_NOT_FOUND for a foreign key, else STORE_ERROR (reported with what). */
static int step_write_failed(struct db_conn *c, const char *what)
{
    switch (db_error(c)) {
    case DB_ERR_UNIQUE: return STORE_CONFLICT;
    case DB_ERR_FOREIGN_KEY: return STORE_NOT_FOUND;
    default: report(NULL, 0, "%s: %s", what, db_errmsg(c)); return STORE_ERROR;
    }
}

static int step_write(struct db_conn *c, struct db_stmt *s, int must_change, const char *what)
{
    int step = db_step(s);
    if (step == DB_DONE)
        return must_change && db_changes(c) == 0 ? STORE_NOT_FOUND : STORE_OK;
    return step_write_failed(c, what);
}

/* Steps s, an INSERT … RETURNING id (on c), to its end, with the new row's id in *id (when
 * id is not NULL). Returns STORE_OK; STORE_NOT_FOUND when it inserted no row (an INSERT …
 * SELECT whose SELECT found none) or a foreign key refused it; STORE_CONFLICT when a
 * uniqueness rule refused it; STORE_ERROR otherwise (reported with what). */
static int step_insert(struct db_conn *c, struct db_stmt *s, int64_t *id, const char *what)
{
    int step = db_step(s);
    if (step == DB_ROW) {
        if (id)
            *id = db_column_int64(s, 0);
        step = db_step(s);
        if (step == DB_DONE)
            return STORE_OK;
    }
    if (step == DB_DONE)
        return STORE_NOT_FOUND;
    return step_write_failed(c, what);
}

/* Reads a user from the current row of s, starting at column col (USER_COLUMNS order). */
static void read_user(struct db_stmt *s, int col, struct arena *a, struct user *u)
{
    u->id = db_column_int64(s, col);
    u->email = column_text(s, col + 1, a);
    u->display_name = column_text(s, col + 2, a);
    u->password_hash = column_text(s, col + 3, a);
    int role = store_role_parse(db_column_text(s, col + 4));
    u->role = role < 0 ? ROLE_READER : (enum role)role; /* CHECK forbids; least privilege */
    u->email_verified_at = db_column_int64(s, col + 5); /* NULL reads as 0 */
    u->created_at = db_column_int64(s, col + 6);
}

/* read_user from column 0 (a row_reader). */
static void user_row(struct db_stmt *s, struct arena *a, void *item)
{
    read_user(s, 0, a, item);
}

/* Reads a session from the current row of s, starting at column col (SESSION_COLUMNS order). */
static void read_session(struct db_stmt *s, int col, struct arena *a, struct session *sess)
{
    sess->id = db_column_int64(s, col);
    sess->user_id = db_column_int64(s, col + 1);
    sess->created_at = db_column_int64(s, col + 2);
    sess->last_seen_at = db_column_int64(s, col + 3);
    sess->expires_at = db_column_int64(s, col + 4);
    sess->user_agent = column_text(s, col + 5, a);
    sess->ip = column_text(s, col + 6, a);
}

/* read_session from column 0 (a row_reader). */
static void session_row(struct db_stmt *s, struct arena *a, void *item)
{
    read_session(s, 0, a, item);
}

int store_user_create(struct store *st, const char *email, const char *display_name,
                      const char *password_hash, enum role role, int64_t *id)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    char *lower = NULL;
    int rc = STORE_ERROR;
    if (!c)
        goto out;
    if (!present(email) || !role_valid(role)) {
        report(NULL, 0, "creating a user: an email and a valid role are required");
        goto out;
    }
    if (!(s = stmt_get(c, STMT_USER_INSERT, NULL, 0)))
        goto out;
    lower = lowercase_ascii(email);
    bind_text(s, 1, lower);
    bind_text(s, 2, display_name);
    bind_text(s, 3, password_hash);
    bind_text(s, 4, store_role_name(role));
    db_bind_int64(s, 5, util_now());
    rc = step_insert(c, s, id, "creating a user");
    if (rc == STORE_NOT_FOUND) /* no row: an undo link holds the address */
        rc = STORE_CONFLICT;
out:
    db_reset(s);
    free(lower);
    return rc;
}

/* Runs the one-row user lookup id into *out: STMT_USER_BY_EMAIL with ?1 = email, or
 * STMT_USER_BY_ID with ?1 = user_id. Returns STORE_OK, STORE_NOT_FOUND or STORE_ERROR. */
static int user_lookup(struct store *st, struct arena *a, enum statement id, const char *email,
                       int64_t user_id, struct user *out)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, id, NULL, 0)))
        goto out;
    if (id == STMT_USER_BY_EMAIL)
        bind_text(s, 1, email);
    else
        db_bind_int64(s, 1, user_id);
    rc = step_one(c, s, "looking up a user");
    if (rc == STORE_OK)
        read_user(s, 0, a, out);
out:
    db_reset(s);
    return rc;
}

int store_user_by_email(struct store *st, struct arena *a, const char *email, struct user *out)
{
    return user_lookup(st, a, STMT_USER_BY_EMAIL, email ? email : "", 0, out);
}

int store_user_by_id(struct store *st, struct arena *a, int64_t id, struct user *out)
{
    return user_lookup(st, a, STMT_USER_BY_ID, NULL, id, out);
}

int store_users(struct store *st, struct arena *a, struct user **out, size_t *n)
{
    return list_all(st, STMT_USERS, a, sizeof **out, user_row, "listing users", (void **)out, n);
}

/* Runs the user update id: UPDATE users SET <column> = ?2, updated_at = ?3 WHERE id = ?1, with
 * ?2 the text value. Returns STORE_OK, STORE_NOT_FOUND, STORE_CONFLICT or STORE_ERROR. */
static int user_update_text(struct store *st, enum statement id, int64_t user_id, const char *value,
                            const char *what)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, id, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, user_id);
    bind_text(s, 2, value);
    db_bind_int64(s, 3, util_now());
    rc = step_write(c, s, 1, what);
out:
    db_reset(s);
    return rc;
}

int store_user_set_name(struct store *st, int64_t id, const char *display_name)
{
    return user_update_text(st, STMT_USER_SET_NAME, id, display_name, "renaming a user");
}

int store_user_set_password_hash(struct store *st, int64_t id, const char *password_hash)
{
    return user_update_text(st, STMT_USER_SET_PASSWORD_HASH, id, password_hash,
                            "setting a password");
}

int store_user_set_role(struct store *st, int64_t id, enum role role)
{
    if (!role_valid(role)) {
        report(NULL, 0, "setting a role: invalid role %d", (int)role);
        return STORE_ERROR;
    }
    return user_update_text(st, STMT_USER_SET_ROLE, id, store_role_name(role), "setting a role");
}

int store_user_set_email(struct store *st, int64_t id, const char *email, int64_t verified_at)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    char *lower = NULL;
    int rc = STORE_ERROR;
    if (!c)
        goto out;
    if (!present(email)) {
        report(NULL, 0, "changing an email: the new email is empty");
        goto out;
    }
    if (!(s = stmt_get(c, STMT_USER_SET_EMAIL, NULL, 0)))
        goto out;
    lower = lowercase_ascii(email);
    db_bind_int64(s, 1, id);
    bind_text(s, 2, lower);
    if (verified_at)
        db_bind_int64(s, 3, verified_at);
    else
        db_bind_null(s, 3);
    db_bind_int64(s, 4, util_now());
    rc = step_write(c, s, 1, "changing an email");
    if (rc == STORE_NOT_FOUND) { /* no such user, or an undo link holds the address */
        db_reset(s);
        s = NULL;
        struct arena *a = arena_new(0);
        struct user u;
        rc = store_user_by_id(st, a, id, &u);
        arena_free(a);
        if (rc == STORE_OK)
            rc = STORE_CONFLICT;
    }
out:
    db_reset(s);
    free(lower);
    return rc;
}

/* Runs statement id with ?1 = first, ?2 = second (when nparams >= 2) and ?3 = util_now() (when
 * nparams is 3), steps it once and maps the outcome as step_write does. */
static int write_ids(struct store *st, enum statement id, int nparams, int64_t first,
                     int64_t second, int must_change, const char *what)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, id, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, first);
    if (nparams >= 2)
        db_bind_int64(s, 2, second);
    if (nparams >= 3)
        db_bind_int64(s, 3, util_now());
    rc = step_write(c, s, must_change, what);
out:
    db_reset(s);
    return rc;
}

int store_user_mark_verified(struct store *st, int64_t id, int64_t when)
{
    return write_ids(st, STMT_USER_MARK_VERIFIED, 3, id, when, 1, "marking a user verified");
}

int store_user_delete(struct store *st, int64_t id)
{
    return write_ids(st, STMT_USER_DELETE, 1, id, 0, 1, "deleting a user");
}

int store_session_create(struct store *st, int64_t user_id, const char *token_hash_hex, int64_t now,
                         int64_t expires_at, const char *user_agent, const char *ip, int64_t *id)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c)
        goto out;
    if (!present(token_hash_hex)) {
        report(NULL, 0, "creating a session: the token hash is empty");
        goto out;
    }
    if (!(s = stmt_get(c, STMT_SESSION_INSERT, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, user_id);
    bind_text(s, 2, token_hash_hex);
    db_bind_int64(s, 3, now);
    db_bind_int64(s, 4, expires_at);
    bind_text(s, 5, user_agent);
    bind_text(s, 6, ip);
    rc = step_insert(c, s, id, "creating a session");
out:
    db_reset(s);
    return rc;
}

int store_session_by_token(struct store *st, struct arena *a, const char *token_hash_hex,
                           struct session *session, struct user *user)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_SESSION_BY_TOKEN, NULL, 0)))
        goto out;
    bind_text(s, 1, token_hash_hex);
    rc = step_one(c, s, "looking up a session");
    if (rc == STORE_OK) {
        read_session(s, 0, a, session);
        if (user)
            read_user(s, SESSION_NCOLUMNS, a, user);
    }
out:
    db_reset(s);
    return rc;
}

int store_session_touch(struct store *st, int64_t id, int64_t now)
{
    return write_ids(st, STMT_SESSION_TOUCH, 2, id, now, 1, "touching a session");
}

int store_session_delete(struct store *st, int64_t id)
{
    return write_ids(st, STMT_SESSION_DELETE, 1, id, 0, 1, "deleting a session");
}

int store_session_delete_for_user(struct store *st, int64_t user_id, int64_t except_session_id)
{
    /* Session ids start at 1, so except 0 excludes nothing. */
    return write_ids(st, STMT_SESSIONS_DELETE_FOR_USER, 2, user_id, except_session_id, 0,
                     "ending a user's sessions");
}

int store_sessions_for_user(struct store *st, struct arena *a, int64_t user_id,
                            struct session **out, size_t *n)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_SESSIONS_FOR_USER, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, user_id);
    rc = read_rows(c, s, a, sizeof **out, session_row, "listing sessions", (void **)out, n);
out:
    db_reset(s);
    return rc;
}

int store_token_create(struct store *st, int64_t user_id, const char *kind,
                       const char *token_hash_hex, const char *payload, int64_t now,
                       int64_t expires_at)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c)
        goto out;
    if (!present(token_hash_hex) || !present(kind)) {
        report(NULL, 0, "creating a token: a kind and a token hash are required");
        goto out;
    }
    if (!(s = stmt_get(c, STMT_TOKEN_INSERT, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, user_id);
    bind_text(s, 2, kind); /* the CHECK constraint refuses an unknown kind: STORE_ERROR */
    bind_text(s, 3, token_hash_hex);
    bind_text(s, 4, payload);
    db_bind_int64(s, 5, now);
    db_bind_int64(s, 6, expires_at);
    rc = step_write(c, s, 0, "creating a token");
out:
    db_reset(s);
    return rc;
}

/* A token's row, as token_find read it. */
struct token_row {
    int64_t id;
    int64_t user_id;
    const char *payload; /* from the caller's arena */
};

/* Looks the token of kind whose hash is token_hash_hex up on c and judges it at now:
 * TOKEN_VALID (unused and unexpired) or TOKEN_USED / TOKEN_EXPIRED, with its row in *row;
 * TOKEN_UNKNOWN; or STORE_ERROR (reported). A read: it changes nothing. */
static int token_find(struct db_conn *c, struct arena *a, const char *kind,
                      const char *token_hash_hex, int64_t now, struct token_row *row)
{
    struct db_stmt *find = stmt_get(c, STMT_TOKEN_FIND, NULL, 0);
    int rc = STORE_ERROR;
    if (!find)
        goto out;
    bind_text(find, 1, token_hash_hex);
    bind_text(find, 2, kind);
    int step = db_step(find);
    if (step == DB_DONE) {
        rc = TOKEN_UNKNOWN;
        goto out;
    }
    if (step != DB_ROW) {
        report(NULL, 0, "looking up a token: %s", db_errmsg(c));
        goto out;
    }
    row->id = db_column_int64(find, 0);
    row->user_id = db_column_int64(find, 1);
    row->payload = column_text(find, 2, a);
    int64_t expires_at = db_column_int64(find, 3);
    int used = (int)db_column_int64(find, 4);
    rc = used ? TOKEN_USED : expires_at <= now ? TOKEN_EXPIRED : TOKEN_VALID;
out:
    db_reset(find);
    return rc;
}

int store_token_peek(struct store *st, struct arena *a, const char *kind,
                     const char *token_hash_hex, int64_t now, int64_t *user_id,
                     const char **payload)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    if (!c)
        return STORE_ERROR;
    struct token_row row;
    int rc = token_find(c, a, kind, token_hash_hex, now, &row);
    if (rc == TOKEN_VALID) {
        if (user_id)
            *user_id = row.user_id;
        if (payload)
            *payload = row.payload;
    }
    return rc;
}

int store_token_consume(struct store *st, struct arena *a, const char *kind,
                        const char *token_hash_hex, int64_t now, int64_t *user_id,
                        const char **payload)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *use = NULL;
    int rc = STORE_ERROR;
    int in_tx = 0; /* a tx_begin level of ours is open */
    if (!c)
        return STORE_ERROR;
    /* IMMEDIATE takes the write lock before the read, so the token is judged on the state the
     * UPDATE will change; the UPDATE's "used_at IS NULL" keeps the rule even where the database
     * would let two transactions interleave (PostgreSQL's READ COMMITTED): only one of them can
     * change the row. */
    if (tx_begin(c, NULL, 0) != 0)
        goto out;
    in_tx = 1;
    struct token_row row;
    int judged = token_find(c, a, kind, token_hash_hex, now, &row);
    if (judged != TOKEN_VALID) {
        rc = judged;
        goto out;
    }
    if (!(use = stmt_get(c, STMT_TOKEN_USE, NULL, 0)))
        goto out;
    db_bind_int64(use, 1, row.id);
    db_bind_int64(use, 2, now);
    int changed = step_write(c, use, 1, "using a token");
    db_reset(use);
    use = NULL;
    if (changed == STORE_ERROR)
        goto out;
    if (changed == STORE_NOT_FOUND) { /* another transaction used it first */
        rc = TOKEN_USED;
        goto out;
    }
    in_tx = 0;
    if (tx_commit(c, NULL, 0) != 0)
        goto out;
    if (user_id)
        *user_id = row.user_id;
    if (payload)
        *payload = row.payload;
    rc = TOKEN_VALID;
out:
    db_reset(use);
    if (in_tx) /* every outcome but VALID (committed above) changed nothing: end it */
        tx_rollback(c);
    return rc;
}

int store_tokens_delete_for_user(struct store *st, int64_t user_id, const char *kind)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_TOKENS_DELETE_FOR_USER, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, user_id);
    bind_text(s, 2, kind); /* NULL binds "": every kind */
    rc = step_write(c, s, 0, "deleting a user's tokens");
out:
    db_reset(s);
    return rc;
}

int store_tokens_void(struct store *st, int64_t user_id, const char *undo_hash_hex)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_TOKENS_VOID, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, user_id);
    bind_text(s, 2, undo_hash_hex); /* NULL binds "", which names no token: every undo kept */
    rc = step_write(c, s, 0, "voiding a user's links");
out:
    db_reset(s);
    return rc;
}

int store_accounts_purge(struct store *st, int64_t now)
{
    int rc = write_ids(st, STMT_SESSIONS_PURGE, 1, now, 0, 0, "purging sessions");
    if (rc == STORE_OK)
        rc = write_ids(st, STMT_TOKENS_PURGE, 1, now - TOKEN_PURGE_GRACE, 0, 0, "purging tokens");
    return rc;
}

int store_secret(struct store *st, const char *name, unsigned char out[32])
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    unsigned char fresh[SECRET_BYTES];
    int rc = STORE_ERROR;
    if (!c || !present(name))
        goto out;
    /* sodium_init is idempotent and thread-safe; randombytes_buf must not run before it. */
    if (sodium_init() < 0) {
        report(NULL, 0, "secret '%s': libsodium cannot initialise", name);
        goto out;
    }
    /* Every caller proposes a fresh value; the first insert wins and the rest are ignored, so
     * the SELECT below returns the same secret to every process. */
    randombytes_buf(fresh, sizeof fresh);
    if (!(s = stmt_get(c, STMT_SECRET_INSERT, NULL, 0)))
        goto out;
    bind_text(s, 1, name);
    db_bind_blob(s, 2, fresh, sizeof fresh);
    if (step_write(c, s, 0, "storing a secret") != STORE_OK)
        goto out;
    db_reset(s);
    if (!(s = stmt_get(c, STMT_SECRET_GET, NULL, 0)))
        goto out;
    bind_text(s, 1, name);
    if (db_step(s) != DB_ROW) {
        report(NULL, 0, "secret '%s': %s", name, db_errmsg(c));
        goto out;
    }
    size_t len;
    const void *value = db_column_blob(s, 0, &len);
    if (!value || len != SECRET_BYTES) {
        report(NULL, 0, "secret '%s': the stored value is not %d bytes", name, SECRET_BYTES);
        goto out;
    }
    memcpy(out, value, SECRET_BYTES);
    rc = STORE_OK;
out:
    db_reset(s);
    sodium_memzero(fresh, sizeof fresh);
    return rc;
}

/* ---- the mail queue ------------------------------------------------------------------------ */

int store_mail_enqueue(struct store *st, const char *to, const char *subject, const char *text,
                       const char *html, int64_t now)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_MAIL_INSERT, NULL, 0)))
        goto out;
    bind_text(s, 1, to);
    bind_text(s, 2, subject);
    bind_text(s, 3, text);
    bind_text(s, 4, html);
    db_bind_int64(s, 5, now);
    rc = step_write(c, s, 1, "queueing mail");
out:
    db_reset(s);
    return rc;
}

/* Reads a queued mail row (STMT_MAIL_BY_ID order) into m (strings from a). */
static void read_mail(struct db_stmt *s, struct arena *a, struct queued_mail *m)
{
    m->id = db_column_int64(s, 0);
    m->to = column_text(s, 1, a);
    m->subject = column_text(s, 2, a);
    m->text = column_text(s, 3, a);
    m->html = column_text(s, 4, a);
    m->attempts = (int)db_column_int64(s, 5);
}

/* Rounds of store_mail_claim: a round that loses its message to another mailer tries the next
 * due one; this many lost races in a row end the call as if nothing were due (the caller comes
 * back soon). */
#define MAIL_CLAIM_ROUNDS 4

int store_mail_claim(struct store *st, struct arena *a, const char *owner, int64_t now,
                     int64_t lease_until, struct queued_mail *out)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c)
        return STORE_ERROR;
    if (!present(owner) || lease_until <= now) {
        report(NULL, 0, "claiming mail: an owner and a lease ending after now are required");
        return STORE_ERROR;
    }
    /* Looking is a read, so a mailer with nothing to do never takes the write lock; the claim
     * is one conditional UPDATE (PostgreSQL: the same, or SELECT … FOR UPDATE SKIP LOCKED). */
    for (int round = 0; round < MAIL_CLAIM_ROUNDS; round++) {
        int64_t id;
        rc = STORE_ERROR;
        if (!(s = stmt_get(c, STMT_MAIL_NEXT_DUE, NULL, 0)))
            goto out;
        db_bind_int64(s, 1, now);
        if ((rc = step_one(c, s, "looking for due mail")) != STORE_OK)
            goto out; /* STORE_NOT_FOUND: nothing is due */
        id = db_column_int64(s, 0);
        db_reset(s);
        s = NULL;
        rc = STORE_ERROR;
        if (!(s = stmt_get(c, STMT_MAIL_CLAIM, NULL, 0)))
            goto out;
        db_bind_int64(s, 1, id);
        db_bind_int64(s, 2, now);
        db_bind_int64(s, 3, lease_until);
        bind_text(s, 4, owner);
        rc = step_write(c, s, 1, "claiming mail");
        db_reset(s);
        s = NULL;
        if (rc == STORE_NOT_FOUND)
            continue; /* another mailer took it first */
        if (rc != STORE_OK)
            goto out;
        rc = STORE_ERROR;
        if (!(s = stmt_get(c, STMT_MAIL_BY_ID, NULL, 0)))
            goto out;
        db_bind_int64(s, 1, id);
        int found = step_one(c, s, "reading claimed mail %lld", (long long)id);
        if (found == STORE_OK) {
            read_mail(s, a, out);
            rc = STORE_OK;
        } else if (found == STORE_NOT_FOUND) { /* deleted meanwhile, which nothing does */
            report(NULL, 0, "claimed mail %lld is gone", (long long)id);
        }
        goto out;
    }
    rc = STORE_NOT_FOUND;
out:
    db_reset(s);
    return rc;
}

int store_mail_waiting(struct store *st, int64_t *count)
{
    return meta_value(st, STMT_MAIL_WAITING, count, "mail queue's length");
}

unsigned long store_error_count(void)
{
    return atomic_load_explicit(&errors_reported, memory_order_relaxed);
}

int store_mail_sent(struct store *st, int64_t id, int64_t now)
{
    return write_ids(st, STMT_MAIL_SENT, 2, id, now, 0, "marking mail sent");
}

int store_mail_failed(struct store *st, int64_t id, const char *owner, int64_t next_attempt_at,
                      const char *error)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_MAIL_FAILED, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, id);
    db_bind_int64(s, 2, next_attempt_at);
    bind_text(s, 3, error);
    bind_text(s, 4, owner);
    /* No row changed: the lease is no longer owner's (STORE_NOT_FOUND). */
    rc = step_write(c, s, 1, "recording a failed delivery");
out:
    db_reset(s);
    return rc;
}

/* --- Paywall (store.h) --------------------------------------------------------------------
 *
 * Like the accounts, each write is one statement where one suffices: the upserts (plans by slug,
 * an admin grant by user, a Stripe subscription by its id, a meter read by user and article) let
 * the UNIQUE constraints decide a race instead of a prior SELECT. Saving an organisation needs
 * its id back, which an upsert's last_insert_rowid does not give when it updated, so it is an
 * upsert and a lookup in one BEGIN IMMEDIATE transaction. Ranges are normalised with cidr.h
 * before they are stored or looked for, so the UNIQUE (organisation, range) holds for spellings.
 */

#define DEFAULT_CURRENCY "USD"

/* Reads a plan from the current row of s, starting at column col (PLAN_COLUMNS order). */
static void read_plan(struct db_stmt *s, int col, struct arena *a, struct plan *p)
{
    p->id = db_column_int64(s, col);
    p->slug = column_text(s, col + 1, a);
    p->name = column_text(s, col + 2, a);
    p->description = column_text(s, col + 3, a);
    p->benefits = column_text(s, col + 4, a);
    p->period = column_text(s, col + 5, a);
    p->price_cents = db_column_int64(s, col + 6);
    p->currency = column_text(s, col + 7, a);
    p->position = (int)db_column_int64(s, col + 8);
    p->stripe_price_id = column_text(s, col + 9, a);
    p->active = (int)db_column_int64(s, col + 10) != 0;
}

/* read_plan from column 0 (a row_reader). */
static void plan_row(struct db_stmt *s, struct arena *a, void *item)
{
    read_plan(s, 0, a, item);
}

/* Reads a subscription from the current row of s, starting at column col (SUBSCRIPTION_COLUMNS
 * order). A NULL user_id (deleted account) reads as 0. */
static void read_subscription(struct db_stmt *s, int col, struct arena *a, struct subscription *sub)
{
    sub->id = db_column_int64(s, col);
    sub->user_id = db_column_int64(s, col + 1);
    sub->plan_slug = column_text(s, col + 2, a);
    sub->status = column_text(s, col + 3, a);
    sub->current_period_end = db_column_int64(s, col + 4);
    sub->stripe_customer_id = column_text(s, col + 5, a);
    sub->stripe_subscription_id = column_text(s, col + 6, a);
    sub->source = column_text(s, col + 7, a);
    sub->created_at = db_column_int64(s, col + 8);
    sub->updated_at = db_column_int64(s, col + 9);
}

/* Reads an organisation from the current row of s, starting at column col
 * (ORGANISATION_COLUMNS order). */
static void read_organisation(struct db_stmt *s, int col, struct arena *a, struct organisation *org)
{
    org->id = db_column_int64(s, col);
    org->slug = column_text(s, col + 1, a);
    org->name = column_text(s, col + 2, a);
    org->ends_at = db_column_int64(s, col + 3);
}

/* read_organisation from column 0 (a row_reader). */
static void organisation_row(struct db_stmt *s, struct arena *a, void *item)
{
    read_organisation(s, 0, a, item);
}

/* Runs statement id with ?1 = first and, when nparams is 2, ?2 = second (text), steps it once
 * and maps the outcome as step_write does. */
static int write_texts(struct store *st, enum statement id, int nparams, const char *first,
                       const char *second, int must_change, const char *what)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, id, NULL, 0)))
        goto out;
    bind_text(s, 1, first);
    if (nparams >= 2)
        bind_text(s, 2, second);
    rc = step_write(c, s, must_change, what);
out:
    db_reset(s);
    return rc;
}

/* 1 if period is one of the plans' periods (the CHECK constraint's list). */
static int plan_period_valid(const char *period)
{
    return period && (strcmp(period, "month") == 0 || strcmp(period, "year") == 0 ||
                      strcmp(period, "contact") == 0);
}

int store_plan_save(struct store *st, const struct plan *p)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c)
        goto out;
    if (!present(p->slug) || !present(p->name) || !plan_period_valid(p->period) ||
        p->price_cents < 0) {
        report(NULL, 0,
               "plan '%s': a slug, a name, a period (month, year or contact) and a price "
               "of at least 0 are required",
               p->slug ? p->slug : "");
        goto out;
    }
    if (!(s = stmt_get(c, STMT_PLAN_UPSERT, NULL, 0)))
        goto out;
    bind_text(s, 1, p->slug);
    bind_text(s, 2, p->name);
    bind_text(s, 3, p->description);
    bind_text(s, 4, p->benefits);
    bind_text(s, 5, p->period);
    db_bind_int64(s, 6, p->price_cents);
    bind_text(s, 7, present(p->currency) ? p->currency : DEFAULT_CURRENCY);
    db_bind_int64(s, 8, p->position);
    bind_text(s, 9, p->stripe_price_id);
    db_bind_int64(s, 10, p->active ? 1 : 0);
    rc = step_write(c, s, 0, "saving a plan");
out:
    db_reset(s);
    return rc;
}

int store_plans(struct store *st, struct arena *a, int include_inactive, struct plan **out,
                size_t *n)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_PLANS, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, include_inactive ? 1 : 0);
    rc = read_rows(c, s, a, sizeof **out, plan_row, "listing plans", (void **)out, n);
out:
    db_reset(s);
    return rc;
}

int store_plan_by_slug(struct store *st, struct arena *a, const char *slug, struct plan *out)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_PLAN_BY_SLUG, NULL, 0)))
        goto out;
    bind_text(s, 1, slug);
    rc = step_one(c, s, "plan '%s'", slug ? slug : "");
    if (rc == STORE_OK)
        read_plan(s, 0, a, out);
out:
    db_reset(s);
    return rc;
}

int store_plan_delete(struct store *st, const char *slug)
{
    return write_texts(st, STMT_PLAN_DELETE, 1, slug, NULL, 1, "deleting a plan");
}

int store_subscription_grant(struct store *st, int64_t user_id, const char *plan_slug,
                             int64_t until)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c)
        goto out;
    if (!present(plan_slug)) {
        report(NULL, 0, "granting a subscription: a plan is required");
        goto out;
    }
    if (!(s = stmt_get(c, STMT_SUBSCRIPTION_GRANT, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, user_id);
    bind_text(s, 2, plan_slug);
    db_bind_int64(s, 3, until);
    db_bind_int64(s, 4, util_now());
    rc = step_write(c, s, 0, "granting a subscription");
out:
    db_reset(s);
    return rc;
}

int store_subscription_revoke(struct store *st, int64_t user_id)
{
    return write_ids(st, STMT_SUBSCRIPTION_REVOKE, 2, user_id, util_now(), 1,
                     "revoking a subscription");
}

/* Runs the one-row subscription lookup id into *out: STMT_SUBSCRIPTION_CURRENT with ?1 =
 * user_id and ?2 = now, or STMT_SUBSCRIPTION_BY_CUSTOMER with ?1 = customer_id. Returns
 * STORE_OK, STORE_NOT_FOUND or STORE_ERROR. */
static int subscription_lookup(struct store *st, struct arena *a, enum statement id,
                               int64_t user_id, int64_t now, const char *customer_id,
                               struct subscription *out)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, id, NULL, 0)))
        goto out;
    if (id == STMT_SUBSCRIPTION_CURRENT) {
        db_bind_int64(s, 1, user_id);
        db_bind_int64(s, 2, now);
    } else {
        bind_text(s, 1, customer_id);
    }
    rc = step_one(c, s, "looking up a subscription");
    if (rc == STORE_OK)
        read_subscription(s, 0, a, out);
out:
    db_reset(s);
    return rc;
}

int store_subscription_current(struct store *st, struct arena *a, int64_t user_id, int64_t now,
                               struct subscription *out)
{
    return subscription_lookup(st, a, STMT_SUBSCRIPTION_CURRENT, user_id, now, NULL, out);
}

int store_subscription_by_stripe_customer(struct store *st, struct arena *a,
                                          const char *customer_id, struct subscription *out)
{
    return subscription_lookup(st, a, STMT_SUBSCRIPTION_BY_CUSTOMER, 0, 0, customer_id, out);
}

/* 1 if status is one of the subscriptions' statuses (the CHECK constraint's list). */
static int subscription_status_valid(const char *status)
{
    return status && (strcmp(status, "active") == 0 || strcmp(status, "past_due") == 0 ||
                      strcmp(status, "canceled") == 0);
}

int store_subscription_stripe_upsert(struct store *st, const char *stripe_subscription_id,
                                     const char *stripe_customer_id, int64_t user_id,
                                     const char *plan_slug, const char *status,
                                     int64_t current_period_end, int64_t event_at, int *applied)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (applied)
        *applied = 0;
    if (!c)
        goto out;
    if (!present(stripe_subscription_id) || !subscription_status_valid(status)) {
        report(NULL, 0,
               "Stripe subscription '%s': an id and a status (active, past_due or "
               "canceled) are required",
               stripe_subscription_id ? stripe_subscription_id : "");
        goto out;
    }
    if (!(s = stmt_get(c, STMT_SUBSCRIPTION_STRIPE_UPSERT, NULL, 0)))
        goto out;
    bind_text(s, 1, stripe_subscription_id);
    bind_text(s, 2, stripe_customer_id);
    db_bind_int64(s, 3, user_id);
    bind_text(s, 4, plan_slug);
    bind_text(s, 5, status);
    db_bind_int64(s, 6, current_period_end);
    db_bind_int64(s, 7, util_now());
    db_bind_int64(s, 8, event_at);
    /* RETURNING gives one row, after the whole statement has run. */
    int step = db_step(s);
    int took = 0;
    if (step == DB_ROW) {
        took = (int)db_column_int64(s, 0) != 0;
        step = db_step(s);
    }
    if (step == DB_DONE) {
        rc = STORE_OK;
        if (applied)
            *applied = took;
    } else if (db_error(c) == DB_ERR_FOREIGN_KEY) {
        rc = STORE_NOT_FOUND; /* the user is gone */
    } else {
        report(NULL, 0, "saving a Stripe subscription: %s", db_errmsg(c));
    }
out:
    db_reset(s);
    return rc;
}

int store_org_save(struct store *st, const char *slug, const char *name, int64_t ends_at,
                   int64_t *id)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int64_t org_id = 0;
    int rc = STORE_ERROR;
    int in_tx = 0; /* a tx_begin level of ours is open */
    if (!c)
        return STORE_ERROR;
    if (!present(slug) || !present(name)) {
        report(NULL, 0, "organisation '%s': a slug and a name are required", slug ? slug : "");
        return STORE_ERROR;
    }
    if (tx_begin(c, NULL, 0) != 0)
        goto out;
    in_tx = 1;
    if (!(s = stmt_get(c, STMT_ORG_UPSERT, NULL, 0)))
        goto out;
    bind_text(s, 1, slug);
    bind_text(s, 2, name);
    db_bind_int64(s, 3, ends_at);
    db_bind_int64(s, 4, util_now());
    if (step_write(c, s, 0, "saving an organisation") != STORE_OK)
        goto out;
    db_reset(s);
    s = NULL;
    if (id_by_slug(c, STMT_ORG_ID, slug, &org_id, NULL, 0) != STORE_OK)
        goto out;
    in_tx = 0;
    if (tx_commit(c, NULL, 0) != 0)
        goto out;
    if (id)
        *id = org_id;
    rc = STORE_OK;
out:
    db_reset(s);
    if (in_tx)
        tx_rollback(c);
    return rc;
}

/* Normalises the range text into out (cidr_format's form). Returns 0, or -1 (reported with
 * what) if it is not a range. */
static int normalise_range(const char *text, char out[CIDR_TEXT_MAX], const char *what)
{
    struct cidr range;
    if (cidr_parse(text, &range) != 0 || cidr_format(&range, out, CIDR_TEXT_MAX) < 0) {
        report(NULL, 0, "%s: '%s' is not an address range", what, text ? text : "");
        return -1;
    }
    return 0;
}

int store_org_add_range(struct store *st, const char *org_slug, const char *cidr)
{
    char range[CIDR_TEXT_MAX];
    if (normalise_range(cidr, range, "adding a range") != 0)
        return STORE_ERROR;
    return write_texts(st, STMT_ORG_ADD_RANGE, 2, org_slug, range, 1, "adding a range");
}

int store_org_remove_range(struct store *st, const char *org_slug, const char *cidr)
{
    char range[CIDR_TEXT_MAX];
    if (normalise_range(cidr, range, "removing a range") != 0)
        return STORE_ERROR;
    return write_texts(st, STMT_ORG_REMOVE_RANGE, 2, org_slug, range, 1, "removing a range");
}

int store_orgs(struct store *st, struct arena *a, struct organisation **out, size_t *n)
{
    return list_all(st, STMT_ORGS, a, sizeof **out, organisation_row, "listing organisations",
                    (void **)out, n);
}

/* Reads an organisation and one of its ranges (STMT_ORG_RANGES order) into item (a
 * row_reader). */
static void org_range_row(struct db_stmt *s, struct arena *a, void *item)
{
    struct org_range *r = item;
    read_organisation(s, 0, a, &r->organisation);
    r->cidr = column_text(s, ORGANISATION_NCOLUMNS, a);
}

int store_org_ranges(struct store *st, struct arena *a, struct org_range **out, size_t *n)
{
    return list_all(st, STMT_ORG_RANGES, a, sizeof **out, org_range_row, "listing address ranges",
                    (void **)out, n);
}

int store_org_delete(struct store *st, const char *slug)
{
    return write_texts(st, STMT_ORG_DELETE, 1, slug, NULL, 1, "deleting an organisation");
}

int store_meter_count(struct store *st, int64_t user_id, int64_t since, int *count)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_METER_COUNT, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, user_id);
    db_bind_int64(s, 2, since);
    if (db_step(s) != DB_ROW) {
        report(NULL, 0, "counting a reader's reads: %s", db_errmsg(c));
        goto out;
    }
    *count = (int)db_column_int64(s, 0);
    rc = STORE_OK;
out:
    db_reset(s);
    return rc;
}

int store_meter_read_at(struct store *st, int64_t user_id, int64_t article_id, int64_t *read_at)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_METER_READ_AT, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, user_id);
    db_bind_int64(s, 2, article_id);
    rc = step_one(c, s, "looking up a read");
    if (rc == STORE_OK)
        *read_at = db_column_int64(s, 0);
out:
    db_reset(s);
    return rc;
}

int store_meter_record(struct store *st, int64_t user_id, int64_t article_id, int64_t since,
                       int64_t now)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_METER_RECORD, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, user_id);
    db_bind_int64(s, 2, article_id);
    db_bind_int64(s, 3, since);
    db_bind_int64(s, 4, now);
    /* A re-read inside the period changes no row and is still STORE_OK: must_change is 0. */
    rc = step_write(c, s, 0, "recording a read");
out:
    db_reset(s);
    return rc;
}

/* The meter's state for user_id and article_id at since, on c, from one snapshot: *read_at is
 * when the article was counted (-1: never) and *count the reads at or after since. Returns
 * STORE_OK or STORE_ERROR (reported). */
static int meter_state(struct db_conn *c, int64_t user_id, int64_t article_id, int64_t since,
                       int64_t *read_at, int *count)
{
    struct db_stmt *s = stmt_get(c, STMT_METER_STATE, NULL, 0);
    int rc = STORE_ERROR;
    if (!s)
        goto out;
    db_bind_int64(s, 1, user_id);
    db_bind_int64(s, 2, article_id);
    db_bind_int64(s, 3, since);
    if (db_step(s) != DB_ROW) {
        report(NULL, 0, "reading a reader's meter: %s", db_errmsg(c));
        goto out;
    }
    *read_at = db_column_is_null(s, 0) ? -1 : db_column_int64(s, 0);
    *count = (int)db_column_int64(s, 1);
    rc = STORE_OK;
out:
    db_reset(s);
    return rc;
}

/* Fills *out from a meter state (meter_state) for a read against allowance: a re-read inside
 * the period, or not. Returns 1 if the read is one to count (neither a re-read nor past the
 * allowance), else 0. */
static int meter_judge(int64_t read_at, int count, int64_t since, int allowance,
                       struct meter_take *out)
{
    out->already_counted = read_at >= 0 && read_at >= since;
    out->reads_in_period = count;
    out->counted = 0;
    return !out->already_counted && count < allowance;
}

int store_meter_take(struct store *st, int64_t user_id, int64_t article_id, int64_t since,
                     int64_t now, int allowance, int record, struct meter_take *out)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int64_t read_at;
    int count, rc = STORE_ERROR;
    int in_tx = 0; /* a tx_begin level of ours is open */
    memset(out, 0, sizeof *out);
    if (!c)
        return STORE_ERROR;
    /* A first look without the write lock: most reads (re-reads, a spent meter, HEAD) write
     * nothing, so they never wait for another writer. The count only grows while we look, so
     * a read judged past the allowance here is past it. */
    if (meter_state(c, user_id, article_id, since, &read_at, &count) != STORE_OK)
        return STORE_ERROR;
    if (!meter_judge(read_at, count, since, allowance, out) || !record)
        return STORE_OK;
    /* A read to count: judge again holding the write lock, and record in the same transaction,
     * so that parallel reads by one reader are judged one after another and never all see the
     * same count under the allowance. */
    if (tx_begin(c, NULL, 0) != 0)
        goto out;
    in_tx = 1;
    if (meter_state(c, user_id, article_id, since, &read_at, &count) != STORE_OK)
        goto out;
    if (!meter_judge(read_at, count, since, allowance, out)) {
        rc = STORE_OK; /* another request counted it, or spent the allowance, meanwhile */
        goto out;
    }
    if (!(s = stmt_get(c, STMT_METER_RECORD, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, user_id);
    db_bind_int64(s, 2, article_id);
    db_bind_int64(s, 3, since);
    db_bind_int64(s, 4, now);
    if ((rc = step_write(c, s, 0, "recording a read")) != STORE_OK)
        goto out; /* STORE_NOT_FOUND: the user or the article is gone */
    db_reset(s);
    s = NULL;
    in_tx = 0;
    if (tx_commit(c, NULL, 0) != 0) {
        rc = STORE_ERROR;
        goto out;
    }
    out->counted = 1;
    rc = STORE_OK;
out:
    db_reset(s);
    if (in_tx)
        tx_rollback(c);
    return rc;
}

int store_meter_purge(struct store *st, int64_t before)
{
    return write_ids(st, STMT_METER_PURGE, 1, before, 0, 0, "purging reads");
}

int store_stripe_event_record(struct store *st, const char *event_id, const char *type, int64_t now)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c)
        goto out;
    if (!present(event_id)) {
        report(NULL, 0, "recording a Stripe event: the id is empty");
        goto out;
    }
    if (!(s = stmt_get(c, STMT_STRIPE_EVENT_INSERT, NULL, 0)))
        goto out;
    bind_text(s, 1, event_id);
    bind_text(s, 2, type);
    db_bind_int64(s, 3, now);
    rc = step_write(c, s, 0, "recording a Stripe event"); /* PRIMARY KEY: STORE_CONFLICT */
out:
    db_reset(s);
    return rc;
}

int store_stripe_event_forget(struct store *st, const char *event_id)
{
    return write_texts(st, STMT_STRIPE_EVENT_DELETE, 1, event_id, NULL, 1,
                       "forgetting a Stripe event");
}

/* Sets default_access of the row slug through statement id (publications or sections).
 * level "" or NULL inherits; otherwise it must be a level name. */
static int set_default_access(struct store *st, enum statement id, const char *slug,
                              const char *level, const char *what)
{
    if (present(level) && store_access_parse(level) < 0) {
        report(NULL, 0, "%s '%s': '%s' is not an access level", what, slug ? slug : "", level);
        return STORE_ERROR;
    }
    return write_texts(st, id, 2, slug, level, 1, what);
}

int store_publication_set_default_access(struct store *st, const char *slug, const char *level)
{
    return set_default_access(st, STMT_PUBLICATION_SET_DEFAULT_ACCESS, slug, level,
                              "publication default access");
}

int store_section_set_default_access(struct store *st, const char *slug, const char *level)
{
    return set_default_access(st, STMT_SECTION_SET_DEFAULT_ACCESS, slug, level,
                              "section default access");
}

int store_paywall_version(struct store *st, int64_t *version)
{
    return meta_value(st, STMT_PAYWALL_VERSION, version, "paywall version");
}

/* --- Advertising (store.h) ----------------------------------------------------------------
 *
 * Saving a campaign needs its id back, so it is an upsert and a lookup in one BEGIN IMMEDIATE
 * transaction, as for an organisation. A creative is inserted through a SELECT of its campaign
 * by slug, so an unknown campaign inserts nothing (STORE_NOT_FOUND) without a prior lookup.
 * Counts are added with an upsert per creative and day, all in one transaction per flush.
 */

/* Reads a campaign from the current row of s, starting at column col (CAMPAIGN_COLUMNS
 * order). */
static void read_campaign(struct db_stmt *s, int col, struct arena *a, struct campaign *c)
{
    c->id = db_column_int64(s, col);
    c->slug = column_text(s, col + 1, a);
    c->name = column_text(s, col + 2, a);
    c->starts_at = db_column_int64(s, col + 3);
    c->ends_at = db_column_int64(s, col + 4);
    c->weight = (int)db_column_int64(s, col + 5);
    c->publication_slug = column_text(s, col + 6, a);
    c->section_slug = column_text(s, col + 7, a);
    c->created_at = db_column_int64(s, col + 8);
}

/* read_campaign from column 0 (a row_reader). */
static void campaign_row(struct db_stmt *s, struct arena *a, void *item)
{
    read_campaign(s, 0, a, item);
}

/* Reads a creative and its campaign from the current row of s (CREATIVE_SELECT order). */
static void read_creative(struct db_stmt *s, struct arena *a, struct creative *k)
{
    k->id = db_column_int64(s, 0);
    k->placement = column_text(s, 1, a);
    k->kind = column_text(s, 2, a);
    k->image_path = column_text(s, 3, a);
    k->image_type = column_text(s, 4, a);
    k->width = (int)db_column_int64(s, 5);
    k->height = (int)db_column_int64(s, 6);
    k->alt = column_text(s, 7, a);
    k->click_url = column_text(s, 8, a);
    k->html = column_text(s, 9, a);
    k->created_at = db_column_int64(s, 10);
    read_campaign(s, CREATIVE_NCOLUMNS, a, &k->campaign);
}

/* read_creative (a row_reader). */
static void creative_row(struct db_stmt *s, struct arena *a, void *item)
{
    read_creative(s, a, item);
}

int store_campaign_save(struct store *st, const struct campaign *camp, int64_t *id)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int64_t campaign_id = 0;
    int rc = STORE_ERROR;
    int in_tx = 0; /* a tx_begin level of ours is open */
    if (!c)
        return STORE_ERROR;
    if (!present(camp->slug) || !present(camp->name) || camp->weight < 1 ||
        camp->ends_at <= camp->starts_at) {
        report(NULL, 0,
               "campaign '%s': a slug, a name, a weight of at least 1 and an end after the "
               "start are required",
               camp->slug ? camp->slug : "");
        return STORE_ERROR;
    }
    if (tx_begin(c, NULL, 0) != 0)
        goto out;
    in_tx = 1;
    if (!(s = stmt_get(c, STMT_CAMPAIGN_UPSERT, NULL, 0)))
        goto out;
    bind_text(s, 1, camp->slug);
    bind_text(s, 2, camp->name);
    db_bind_int64(s, 3, camp->starts_at);
    db_bind_int64(s, 4, camp->ends_at);
    db_bind_int64(s, 5, camp->weight);
    bind_text(s, 6, camp->publication_slug);
    bind_text(s, 7, camp->section_slug);
    db_bind_int64(s, 8, util_now());
    if (step_write(c, s, 0, "saving a campaign") != STORE_OK)
        goto out;
    db_reset(s);
    s = NULL;
    if (id_by_slug(c, STMT_CAMPAIGN_ID, camp->slug, &campaign_id, NULL, 0) != STORE_OK)
        goto out;
    in_tx = 0;
    if (tx_commit(c, NULL, 0) != 0)
        goto out;
    if (id)
        *id = campaign_id;
    rc = STORE_OK;
out:
    db_reset(s);
    if (in_tx)
        tx_rollback(c);
    return rc;
}

int store_campaign_by_slug(struct store *st, struct arena *a, const char *slug,
                           struct campaign *out)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_CAMPAIGN_BY_SLUG, NULL, 0)))
        goto out;
    bind_text(s, 1, slug);
    rc = step_one(c, s, "campaign '%s'", slug ? slug : "");
    if (rc == STORE_OK)
        read_campaign(s, 0, a, out);
out:
    db_reset(s);
    return rc;
}

int store_campaigns(struct store *st, struct arena *a, struct campaign **out, size_t *n)
{
    return list_all(st, STMT_CAMPAIGNS, a, sizeof **out, campaign_row, "listing campaigns",
                    (void **)out, n);
}

int store_campaign_delete(struct store *st, const char *slug)
{
    return write_texts(st, STMT_CAMPAIGN_DELETE, 1, slug, NULL, 1, "deleting a campaign");
}

int store_creative_add(struct store *st, const struct creative *k, int64_t *id)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_CREATIVE_INSERT, NULL, 0)))
        goto out;
    bind_text(s, 1, k->campaign.slug);
    bind_text(s, 2, k->placement);
    bind_text(s, 3, k->kind);
    bind_text(s, 4, k->image_path);
    bind_text(s, 5, k->image_type);
    db_bind_int64(s, 6, k->width);
    db_bind_int64(s, 7, k->height);
    bind_text(s, 8, k->alt);
    bind_text(s, 9, k->click_url);
    bind_text(s, 10, k->html);
    db_bind_int64(s, 11, util_now());
    /* A CHECK that refuses the row is a bug in the caller's validation: STORE_ERROR, logged. */
    rc = step_insert(c, s, id, "adding a creative");
out:
    db_reset(s);
    return rc;
}

int store_creative_by_id(struct store *st, struct arena *a, int64_t id, struct creative *out)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_CREATIVE_BY_ID, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, id);
    rc = step_one(c, s, "creative %lld", (long long)id);
    if (rc == STORE_OK)
        read_creative(s, a, out);
out:
    db_reset(s);
    return rc;
}

int store_creatives(struct store *st, struct arena *a, struct creative **out, size_t *n)
{
    return list_all(st, STMT_CREATIVES, a, sizeof **out, creative_row, "listing creatives",
                    (void **)out, n);
}

int store_creative_delete(struct store *st, int64_t id)
{
    return write_ids(st, STMT_CREATIVE_DELETE, 1, id, 0, 1, "deleting a creative");
}

int store_creatives_eligible(struct store *st, struct arena *a, const char *placement,
                             const char *publication, const char *section, int64_t now,
                             struct creative **out, size_t *n)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_CREATIVES_ELIGIBLE, NULL, 0)))
        goto out;
    bind_text(s, 1, placement);
    bind_text(s, 2, publication);
    bind_text(s, 3, section);
    db_bind_int64(s, 4, now);
    rc = read_rows(c, s, a, sizeof **out, creative_row, "choosing creatives", (void **)out, n);
out:
    db_reset(s);
    return rc;
}

int store_ad_stats_add(struct store *st, const struct ad_count *counts, size_t n)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    int in_tx = 0; /* a tx_begin level of ours is open */
    if (!c)
        return STORE_ERROR;
    if (n == 0)
        return STORE_OK;
    if (tx_begin(c, NULL, 0) != 0)
        goto out;
    in_tx = 1;
    if (!(s = stmt_get(c, STMT_AD_STATS_ADD, NULL, 0)))
        goto out;
    for (size_t i = 0; i < n; i++) {
        db_bind_int64(s, 1, counts[i].creative_id);
        bind_text(s, 2, counts[i].day);
        db_bind_int64(s, 3, counts[i].impressions);
        db_bind_int64(s, 4, counts[i].clicks);
        /* A failed statement is undone alone (the transaction stays): a creative deleted since
         * it was counted fails its foreign key, and its counts are dropped. */
        int step = step_write(c, s, 0, "adding ad counts");
        if (step != STORE_OK && step != STORE_NOT_FOUND)
            goto out;
        db_reset(s);
    }
    db_reset(s);
    s = NULL;
    in_tx = 0;
    if (tx_commit(c, NULL, 0) != 0)
        goto out;
    rc = STORE_OK;
out:
    db_reset(s);
    if (in_tx)
        tx_rollback(c);
    return rc;
}

/* Reads an ad report row (STMT_AD_REPORT order) into item (a row_reader). */
static void ad_report_row(struct db_stmt *s, struct arena *a, void *item)
{
    struct ad_report_row *row = item;
    row->day = column_text(s, 0, a);
    row->campaign_slug = column_text(s, 1, a);
    row->creative_id = db_column_int64(s, 2);
    row->placement = column_text(s, 3, a);
    row->impressions = db_column_int64(s, 4);
    row->clicks = db_column_int64(s, 5);
}

int store_ad_report(struct store *st, struct arena *a, const char *from, const char *to,
                    struct ad_report_row **out, size_t *n)
{
    struct db_conn *c = conn_get(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_AD_REPORT, NULL, 0)))
        goto out;
    bind_text(s, 1, from);
    bind_text(s, 2, to);
    rc = read_rows(c, s, a, sizeof **out, ad_report_row, "reading the ad report", (void **)out, n);
out:
    db_reset(s);
    return rc;
}
