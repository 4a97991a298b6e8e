/*
 * store_sqlite.c: the embedded SQLite backend of store.h.
 *
 * Connections: SQLite connections must not be shared between threads without its own mutex, so
 * each thread that touches the store gets its own, opened on first use and found again through a
 * pthread key. The store also keeps every connection in a list (under a mutex) so store_close
 * can close them all; a thread that ends without store_thread_done has its connection closed by
 * the key's destructor (libmicrohttpd's pool threads have no exit hook of our own).
 *
 * A degraded connection is never kept, because a thread keeps its connection for its lifetime:
 * a connection kept in a state it cannot leave would fail every call of that thread until a
 * restart. SQLite opens a file it may not write read-only without an error, so conn_open refuses
 * a connection that came out read-only (the call fails, reported; the next call tries again).
 * And a statement that fails with an error that is about the connection or the file under it,
 * rather than about the statement or the moment (see connection_broken), marks the connection
 * broken; the thread's next call closes it and opens a new one. It is replaced then and not at
 * the failure, because the failing function still holds the connection's statements.
 *
 * Statements: every statement is a compile-time literal in the `statements` table, prepared on a
 * connection the first time it is used there and kept (SQLITE_PREPARE_PERSISTENT); values are
 * always bound, never formatted into SQL. Every statement is reset at the end of the function
 * that stepped it, which also ends its implicit read transaction: a statement left unreset would
 * pin an old WAL snapshot, and the server would stop seeing other processes' writes.
 *
 * Settings per connection: WAL (readers never block the writer), synchronous=NORMAL (durable
 * across application crashes; a power loss may lose the last transactions, never corrupt),
 * foreign_keys=ON, secure_delete=ON (deleted or overwritten rows, such as a delivered mail's
 * link or an ended session, are zeroed in the file rather than left in free space), and a busy
 * timeout so concurrent writers queue instead of failing.
 *
 * Schema: PRAGMA user_version is the number of the last migration applied (migrations.h); each
 * missing migration runs in its own BEGIN IMMEDIATE transaction, which rechecks the version so
 * two processes opening a fresh database together do not both apply it. A database whose version
 * is newer than the binary's is refused rather than misread.
 */
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "cidr.h"
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
    STMT_BEGIN_IMMEDIATE,
    STMT_COMMIT,
    STMT_ROLLBACK,
    STMT_SAVEPOINT,
    STMT_RELEASE,
    STMT_ROLLBACK_TO,
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
    [STMT_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
    [STMT_COMMIT] = "COMMIT",
    [STMT_ROLLBACK] = "ROLLBACK",
    /* Nested transactions (tx_begin): savepoints nest LIFO, so one name serves every level. */
    [STMT_SAVEPOINT] = "SAVEPOINT nested",
    [STMT_RELEASE] = "RELEASE nested",
    [STMT_ROLLBACK_TO] = "ROLLBACK TO nested",
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
    [STMT_USER_INSERT] =
        "INSERT INTO users (email, display_name, password_hash, role, created_at, "
        "updated_at) SELECT ?1, ?2, ?3, ?4, ?5, ?5 WHERE NOT EXISTS (" EMAIL_HELD("?1", "?5") ")",
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
                            "expires_at, user_agent, ip) VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6)",
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
        "SELECT id, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11 FROM campaigns WHERE slug = ?1",
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

/* One thread's connection and its prepared statements. */
struct conn {
    sqlite3 *db;
    sqlite3_stmt *stmts[STMT_COUNT]; /* NULL until first used */
    struct store *store;
    struct conn *next; /* in store->conns */
    int tx_depth;      /* open tx_begin levels: 0 outside a transaction */
    int broken;        /* 0, or the SQLite error that made it unusable: conn_get replaces it */
};

struct store {
    char *path;
    pthread_key_t key;    /* the calling thread's struct conn */
    pthread_mutex_t lock; /* guards conns */
    struct conn *conns;
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

/* Finalizes c's statements and closes its database. Does not unlink c from its store. */
static void conn_free(struct conn *c)
{
    for (size_t i = 0; i < STMT_COUNT; i++)
        sqlite3_finalize(c->stmts[i]);
    sqlite3_close(c->db);
    free(c);
}

/* Removes c from its store's list (under the lock). */
static void conn_unlink(struct conn *c)
{
    struct store *st = c->store;
    pthread_mutex_lock(&st->lock);
    for (struct conn **p = &st->conns; *p; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            break;
        }
    }
    pthread_mutex_unlock(&st->lock);
}

/* The key's destructor: a thread ended without store_thread_done; close its connection. */
static void conn_destructor(void *value)
{
    struct conn *c = value;
    conn_unlink(c);
    conn_free(c);
}

/* Runs one literal SQL text with no parameters or results (PRAGMAs, migrations). Returns 0, or
 * -1 with the reason in err. */
static int exec_sql(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        report(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* How long this thread's connections wait for a lock (store_thread_wait); -1: the default. */
static __thread int thread_wait_ms = -1;

/* 1 if SQLite's result code rc says that the connection itself, or the file under it, cannot
 * go on, so that a new connection is the way out; 0 for errors about a statement, the data or
 * the moment, which a connection survives.
 *
 * Broken: READONLY (every variant: the file, its write-ahead log or its shared memory could not
 * be opened for writing, or the file was moved or deleted under the connection; SQLite never
 * reopens them itself, so every later write would fail too), CANTOPEN (a file it needs could not
 * be opened), NOTADB and CORRUPT (the file is not, or no longer, what the connection read: it
 * may have been replaced, and a new connection starts without cached pages or schema), and
 * IOERR (a read, write, lock or sync failed: the connection's view of the file is in doubt).
 * Reopening after one of these costs one open and re-preparing statements, and only after an
 * error.
 *
 * Kept: BUSY and LOCKED (another writer; the busy timeout already waited), FULL (the disk or the
 * database is full: a new connection would be just as full, and the next write may fit),
 * CONSTRAINT (the data), NOMEM, and the rest, which say nothing against the connection. */
static int connection_broken(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_IOERR: return 1;
    default: return 0;
    }
}

/* Notes in c that rc, the result of a call on it, broke it (connection_broken), so that the
 * thread's next conn_get replaces it. Returns rc. */
static int conn_check(struct conn *c, int rc)
{
    if (!c->broken && connection_broken(rc))
        c->broken = sqlite3_extended_errcode(c->db);
    return rc;
}

/* sqlite3_step on a statement of c, noting an error that breaks c. Every statement of a
 * connection is stepped through here. */
static int conn_step(struct conn *c, sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? rc : conn_check(c, rc);
}

/* Opens a new connection to st's database with Broadsheet's settings. Returns NULL and writes
 * why into err on failure, also when SQLite could only open the file read-only: such a
 * connection would fail every write for the life of its thread. The caller links it into
 * st->conns. */
static struct conn *conn_open(struct store *st, char *err, size_t errlen)
{
    struct conn *c = xcalloc(1, sizeof *c);
    c->store = st;
    /* NOMUTEX: a connection belongs to one thread, so SQLite's own locking would be waste. */
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(st->path, &c->db, flags, NULL) != SQLITE_OK) {
        report(err, errlen, "%s", c->db ? sqlite3_errmsg(c->db) : "out of memory");
        goto fail;
    }
    /* READWRITE falls back to read-only, without an error, when the file may not be written. */
    if (sqlite3_db_readonly(c->db, "main") != 0) {
        report(err, errlen,
               "%s could only be opened read-only (no write permission?); "
               "not keeping the connection",
               st->path);
        goto fail;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, thread_wait_ms >= 0 ? thread_wait_ms : BUSY_TIMEOUT_MS);
    if (exec_sql(
            c->db,
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA secure_delete = ON; "
            "PRAGMA foreign_keys = ON;",
            err, errlen) != 0)
        goto fail;
    return c;
fail:
    conn_free(c);
    return NULL;
}

void store_thread_wait(struct store *st, int ms)
{
    thread_wait_ms = ms;
    struct conn *c = pthread_getspecific(st->key);
    if (c)
        sqlite3_busy_timeout(c->db, ms);
}

/* The calling thread's connection, opened on first use, and opened anew when an earlier call
 * found it broken (conn_check) and no transaction of the caller's (store_begin) is open on it:
 * replacing it inside one would quietly drop the transaction's first part and run the rest
 * outside it, so a broken connection is kept, failing, until the caller's store_rollback (or
 * store_commit) ends the transaction. Returns NULL (logged, and written into err when given) if
 * it cannot be opened; the next call tries again. The caller must not hold a statement of the
 * thread's connection: every store function calls this once, first. */
static struct conn *conn_get(struct store *st, char *err, size_t errlen)
{
    struct conn *c = pthread_getspecific(st->key);
    if (c && (!c->broken || c->tx_depth > 0))
        return c;
    if (c) {
        report(NULL, 0, "closing this thread's connection after \"%s\"; opening a new one",
               sqlite3_errstr(c->broken));
        pthread_setspecific(st->key, NULL);
        conn_unlink(c);
        conn_free(c);
    }
    c = conn_open(st, err, errlen);
    if (!c)
        return NULL;
    if (pthread_setspecific(st->key, c) != 0) {
        report(err, errlen, "cannot set the thread's connection");
        conn_free(c);
        return NULL;
    }
    pthread_mutex_lock(&st->lock);
    c->next = st->conns;
    st->conns = c;
    pthread_mutex_unlock(&st->lock);
    return c;
}

/* Statement id on c, prepared on first use and cached. The caller resets it when done (see
 * stmt_done). Returns NULL (reported) if it cannot be prepared: a bug in this file, or a file
 * that is not (or no longer) a database, which also marks c broken. */
static sqlite3_stmt *stmt_get(struct conn *c, enum statement id, char *err, size_t errlen)
{
    if (!c->stmts[id] &&
        conn_check(c, sqlite3_prepare_v3(c->db, statements[id], -1, SQLITE_PREPARE_PERSISTENT,
                                         &c->stmts[id], NULL)) != SQLITE_OK) {
        /* Preparing reads the schema, so a file that is not a database fails here. */
        report(err, errlen, "preparing statement %d: %s", (int)id, sqlite3_errmsg(c->db));
        c->stmts[id] = NULL;
        return NULL;
    }
    return c->stmts[id];
}

/* Resets s and clears its bindings so it can be reused and holds no read snapshot. NULL is
 * fine. */
static void stmt_done(sqlite3_stmt *s)
{
    if (s) {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
    }
}

/* Runs a statement that returns no rows (BEGIN, COMMIT, ROLLBACK). Returns 0 or -1 (reported). */
static int run(struct conn *c, enum statement id, char *err, size_t errlen)
{
    sqlite3_stmt *s = stmt_get(c, id, err, errlen);
    int rc = -1;
    if (!s)
        goto out;
    if (conn_step(c, s) != SQLITE_DONE) {
        report(err, errlen, "%s: %s", statements[id], sqlite3_errmsg(c->db));
        goto out;
    }
    rc = 0;
out:
    stmt_done(s);
    return rc;
}

/* Transactions nest: the outermost tx_begin is BEGIN IMMEDIATE (the write lock is taken now,
 * waiting up to the busy timeout, so the transaction cannot fail half-way because another
 * writer came first); an inner one is a savepoint, so a store function that needs its own
 * transaction (store_token_consume) composes into a caller's (store_begin). Every tx_begin is
 * matched by exactly one tx_commit or tx_rollback. Returns 0 or -1 (reported). */
static int tx_begin(struct conn *c, char *err, size_t errlen)
{
    if (run(c, c->tx_depth ? STMT_SAVEPOINT : STMT_BEGIN_IMMEDIATE, err, errlen) != 0)
        return -1;
    c->tx_depth++;
    return 0;
}

/* Ends the innermost level, keeping its writes (the outermost level commits). Returns 0, or -1
 * (reported) with the level rolled back: nothing of it is kept. */
static int tx_commit(struct conn *c, char *err, size_t errlen)
{
    if (c->tx_depth == 0)
        return -1;
    /* SQLite rolls a whole transaction back by itself after some errors (a full disk, an I/O
     * error): then there is nothing left to commit, and the caller must hear so. */
    if (sqlite3_get_autocommit(c->db)) {
        c->tx_depth = 0;
        report(err, errlen, "the transaction was rolled back by the database");
        return -1;
    }
    if (run(c, c->tx_depth > 1 ? STMT_RELEASE : STMT_COMMIT, err, errlen) != 0) {
        c->tx_depth--;
        if (c->tx_depth == 0 && !sqlite3_get_autocommit(c->db))
            run(c, STMT_ROLLBACK, NULL, 0);
        else if (c->tx_depth > 0)
            run(c, STMT_ROLLBACK_TO, NULL, 0), run(c, STMT_RELEASE, NULL, 0);
        return -1;
    }
    c->tx_depth--;
    return 0;
}

/* Undoes the innermost level (the whole transaction at the outermost). Safe after SQLite has
 * rolled back by itself, and a no-op outside a transaction. */
static void tx_rollback(struct conn *c)
{
    if (c->tx_depth == 0)
        return;
    c->tx_depth--;
    if (sqlite3_get_autocommit(c->db)) { /* already rolled back by the database */
        c->tx_depth = 0;
        return;
    }
    if (c->tx_depth == 0) {
        run(c, STMT_ROLLBACK, NULL, 0);
    } else {
        run(c, STMT_ROLLBACK_TO, NULL, 0); /* undoes the level … */
        run(c, STMT_RELEASE, NULL, 0);     /* … and ends it */
    }
}

int store_begin(struct store *st)
{
    struct conn *c = conn_get(st, NULL, 0);
    return c && tx_begin(c, NULL, 0) == 0 ? STORE_OK : STORE_ERROR;
}

int store_commit(struct store *st)
{
    struct conn *c = conn_get(st, NULL, 0);
    return c && tx_commit(c, NULL, 0) == 0 ? STORE_OK : STORE_ERROR;
}

void store_rollback(struct store *st)
{
    struct conn *c = conn_get(st, NULL, 0);
    if (c)
        tx_rollback(c);
}

/* Binds s (never NULL: NULL binds as ""), so optional strings store as '' as store.h promises. */
static int bind_text(sqlite3_stmt *stmt, int index, const char *s)
{
    return sqlite3_bind_text(stmt, index, s ? s : "", -1, SQLITE_TRANSIENT);
}

/* Column col of the current row as a string in a ("" for NULL). */
static const char *column_text(sqlite3_stmt *s, int col, struct arena *a)
{
    const unsigned char *text = sqlite3_column_text(s, col);
    if (!text)
        return "";
    return arena_strndup(a, (const char *)text, (size_t)sqlite3_column_bytes(s, col));
}

/* Reads a publication from the current row of s, starting at column col
 * (PUBLICATION_COLUMNS order). */
static void read_publication(sqlite3_stmt *s, int col, struct arena *a, struct publication *p)
{
    p->id = sqlite3_column_int64(s, col);
    p->slug = column_text(s, col + 1, a);
    p->name = column_text(s, col + 2, a);
    p->description = column_text(s, col + 3, a);
    p->producer = column_text(s, col + 4, a);
    p->partner = column_text(s, col + 5, a);
    p->partner_short = column_text(s, col + 6, a);
    p->partner_url = column_text(s, col + 7, a);
    p->partner_description = column_text(s, col + 8, a);
    p->is_host = sqlite3_column_int(s, col + 9) != 0;
    p->default_access = column_text(s, col + 10, a);
}

/* Reads a section from the current row of s, starting at column col (SECTION_COLUMNS order). */
static void read_section(sqlite3_stmt *s, int col, struct arena *a, struct section *sec)
{
    sec->id = sqlite3_column_int64(s, col);
    sec->slug = column_text(s, col + 1, a);
    sec->name = column_text(s, col + 2, a);
    sec->position = sqlite3_column_int(s, col + 3);
    sec->default_access = column_text(s, col + 4, a);
}

/* Reads a joined article row (ARTICLE_SELECT order) from s. */
static void read_article(sqlite3_stmt *s, struct arena *a, struct article *art)
{
    art->id = sqlite3_column_int64(s, 0);
    art->slug = column_text(s, 1, a);
    art->headline = column_text(s, 2, a);
    art->dek = column_text(s, 3, a);
    art->byline = column_text(s, 4, a);
    art->body_html = column_text(s, 5, a);
    art->body_markdown = column_text(s, 6, a);
    art->published_at = sqlite3_column_int64(s, 7);
    art->updated_at = sqlite3_column_int64(s, 8);
    int level = store_access_parse((const char *)sqlite3_column_text(s, 9));
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
typedef void (*row_reader)(sqlite3_stmt *s, struct arena *a, void *item);

/* Steps s (on c, bound by the caller) to its end, reading each row with read_row into a new
 * element of item_size bytes of an array from a. On STORE_OK sets *out (NULL when there are no
 * rows) and *n; on STORE_ERROR (reported as "what: <SQLite's message>") leaves them alone.
 * Does not reset s: the caller's stmt_done does. */
static int read_rows(struct conn *c, sqlite3_stmt *s, struct arena *a, size_t item_size,
                     row_reader read_row, const char *what, void **out, size_t *n)
{
    void *items = NULL;
    size_t count = 0, cap = 0;
    int step;
    while ((step = conn_step(c, s)) == SQLITE_ROW) {
        grow(a, &items, count, &cap, item_size);
        read_row(s, a, (char *)items + count++ * item_size);
    }
    if (step != SQLITE_DONE) {
        report(NULL, 0, "%s: %s", what, sqlite3_errmsg(c->db));
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
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (c && (s = stmt_get(c, id, NULL, 0)))
        rc = read_rows(c, s, a, item_size, read_row, what, out, n);
    stmt_done(s);
    return rc;
}

/* Steps the bound one-row lookup s (on c) once. Returns STORE_OK with s on the row, for the
 * caller to read; STORE_NOT_FOUND when there is no row; or STORE_ERROR, reported as
 * "<fmt's text>: <SQLite's message>" (fmt is formatted only then, so a lookup that works formats
 * nothing). Does not reset s. */
__attribute__((format(printf, 3, 4))) static int step_one(struct conn *c, sqlite3_stmt *s,
                                                          const char *fmt, ...)
{
    int step = conn_step(c, s);
    if (step == SQLITE_ROW)
        return STORE_OK;
    if (step == SQLITE_DONE)
        return STORE_NOT_FOUND;
    char what[1024]; /* report's own limit: the message is cut where it was before */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    report(NULL, 0, "%s: %s", what, sqlite3_errmsg(c->db));
    return STORE_ERROR;
}

/* read_publication from column 0 (a row_reader). */
static void publication_row(sqlite3_stmt *s, struct arena *a, void *item)
{
    read_publication(s, 0, a, item);
}

/* read_section from column 0 (a row_reader). */
static void section_row(sqlite3_stmt *s, struct arena *a, void *item)
{
    read_section(s, 0, a, item);
}

/* read_article (a row_reader). */
static void article_row(sqlite3_stmt *s, struct arena *a, void *item)
{
    read_article(s, a, item);
}

/* PRAGMA user_version of db into *version. Returns 0 or -1 (reported). */
static int schema_version(sqlite3 *db, int *version, char *err, size_t errlen)
{
    sqlite3_stmt *s = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_ROW) {
        report(err, errlen, "reading the schema version: %s", sqlite3_errmsg(db));
        goto out;
    }
    *version = sqlite3_column_int(s, 0);
    rc = 0;
out:
    sqlite3_finalize(s);
    return rc;
}

/* Applies migration m (version m->version) in its own transaction, unless another process did
 * meanwhile. Returns 0 or -1 (reported; the transaction is rolled back). */
/* Whether PRAGMA foreign_key_check finds a row whose key points nowhere (or cannot run). */
static int foreign_keys_broken(sqlite3 *db)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &s, NULL) != SQLITE_OK)
        return 1;
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc != SQLITE_DONE;
}

static int migrate_all(sqlite3 *db, char *err, size_t errlen);

static int apply_migration(sqlite3 *db, const struct migration *m, char *err, size_t errlen)
{
    int version, rc = -1;
    if (exec_sql(db, "BEGIN IMMEDIATE", err, errlen) != 0)
        return -1;
    if (schema_version(db, &version, err, errlen) != 0)
        goto out;
    if (version >= m->version) { /* another process got there first */
        rc = 0;
        goto out;
    }
    char msg[900];
    if (exec_sql(db, m->sql, msg, sizeof msg) != 0) {
        report(err, errlen, "migration %s: %s", m->name, msg);
        goto out;
    }
    if (foreign_keys_broken(db)) {
        report(err, errlen, "migration %s: it would leave a foreign key pointing nowhere",
               m->name);
        goto out;
    }
    /* PRAGMA takes no bound parameters; the number is the compiled-in migration's own version,
     * never outside data, so formatting it is safe. */
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", m->version);
    if (exec_sql(db, pragma, err, errlen) != 0 || exec_sql(db, "COMMIT", err, errlen) != 0)
        goto out;
    rc = 0;
out:
    if (!sqlite3_get_autocommit(db))
        exec_sql(db, "ROLLBACK", NULL, 0);
    return rc;
}

/* Brings db's schema up to the binary's latest migration. Returns 0 or -1 (reported).
 *
 * Foreign keys are not enforced while migrations run: a migration that rebuilds a table (the
 * only way SQLite reorders or retypes columns) drops the old one, and with enforcement on that
 * would delete, by ON DELETE CASCADE, every row that refers to it. The pragma cannot change
 * inside a transaction, so it is set around them, and each migration instead checks every key
 * (PRAGMA foreign_key_check) before it commits. */
static int migrate(sqlite3 *db, char *err, size_t errlen)
{
    if (exec_sql(db, "PRAGMA foreign_keys = OFF", err, errlen) != 0)
        return -1;
    int rc = migrate_all(db, err, errlen);
    if (exec_sql(db, "PRAGMA foreign_keys = ON", rc == 0 ? err : NULL, errlen) != 0)
        return -1;
    return rc;
}

/* migrate's work. */
static int migrate_all(sqlite3 *db, char *err, size_t errlen)
{
    int version;
    if (schema_version(db, &version, err, errlen) != 0)
        return -1;
    if (version < 0 || (size_t)version > migrations_sqlite_count) {
        report(err, errlen,
               "schema version %d is newer than this program's (%zu); use a newer Broadsheet",
               version, migrations_sqlite_count);
        return -1;
    }
    for (size_t i = (size_t)version; i < migrations_sqlite_count; i++)
        if (apply_migration(db, &migrations_sqlite[i], err, errlen) != 0)
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
    st->path = xstrdup(path);
    pthread_mutex_init(&st->lock, NULL);
    if (pthread_key_create(&st->key, conn_destructor) != 0) {
        report(err, errlen, "cannot create a thread key");
        pthread_mutex_destroy(&st->lock);
        free(st->path);
        free(st);
        return NULL;
    }
    struct conn *c = conn_get(st, err, errlen);
    if (!c || migrate(c->db, err, errlen) != 0) {
        store_close(st);
        return NULL;
    }
    return st;
}

void store_close(struct store *st)
{
    if (!st)
        return;
    pthread_setspecific(st->key, NULL);
    /* After this no destructor runs for the key, so the list below is ours alone. */
    pthread_key_delete(st->key);
    struct conn *c = st->conns;
    while (c) {
        struct conn *next = c->next;
        conn_free(c);
        c = next;
    }
    pthread_mutex_destroy(&st->lock);
    free(st->path);
    free(st);
}

void store_thread_done(struct store *st)
{
    struct conn *c = pthread_getspecific(st->key);
    if (!c)
        return;
    pthread_setspecific(st->key, NULL);
    conn_unlink(c);
    conn_free(c);
}

/* The integer value of the one row read by statement id (STMT_CHANGE_SEQ, STMT_PAYWALL_VERSION,
 * STMT_MAIL_WAITING) into *value. STORE_OK or STORE_ERROR (reported with what). */
static int meta_value(struct store *st, enum statement id, int64_t *value, const char *what)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, id, NULL, 0)))
        goto out;
    if (conn_step(c, s) != SQLITE_ROW) {
        report(NULL, 0, "reading the %s: %s", what, sqlite3_errmsg(c->db));
        goto out;
    }
    *value = sqlite3_column_int64(s, 0);
    rc = STORE_OK;
out:
    stmt_done(s);
    return rc;
}

int store_change_seq(struct store *st, int64_t *seq)
{
    return meta_value(st, STMT_CHANGE_SEQ, seq, "change log's sequence number");
}

int store_changes_since(struct store *st, int64_t after, int max,
                        void (*fn)(void *ctx, const char *tag, int64_t seq), void *ctx)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR, n = 0;
    if (!c || !(s = stmt_get(c, STMT_CHANGES_SINCE, NULL, 0)))
        goto out;
    sqlite3_bind_int64(s, 1, after);
    sqlite3_bind_int(s, 2, max);
    int step;
    while ((step = conn_step(c, s)) == SQLITE_ROW) {
        fn(ctx, (const char *)sqlite3_column_text(s, 0), sqlite3_column_int64(s, 1));
        n++;
    }
    if (step != SQLITE_DONE) {
        report(NULL, 0, "reading the change log: %s", sqlite3_errmsg(c->db));
        goto out;
    }
    rc = n;
out:
    stmt_done(s);
    return rc;
}

/* Returns 1 (no publication), 0, or STORE_ERROR (-1) when the database cannot be read. */
int store_is_empty(struct store *st)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_ANY_PUBLICATION, NULL, 0)))
        goto out;
    if (conn_step(c, s) != SQLITE_ROW) {
        report(NULL, 0, "checking for publications: %s", sqlite3_errmsg(c->db));
        goto out;
    }
    rc = sqlite3_column_int(s, 0) ? 0 : 1;
out:
    stmt_done(s);
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
    struct conn *c = conn_get(st, err, errlen);
    sqlite3_stmt *s = NULL;
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
    sqlite3_bind_int(s, 9, p->is_host ? 1 : 0);
    if (conn_step(c, s) != SQLITE_DONE) {
        report(err, errlen, "publication '%s': %s", p->slug, sqlite3_errmsg(c->db));
        goto out;
    }
    rc = STORE_OK;
out:
    stmt_done(s);
    return rc;
}

int store_section_save(struct store *st, const struct section *sec, char *err, size_t errlen)
{
    struct conn *c = conn_get(st, err, errlen);
    sqlite3_stmt *s = NULL;
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
    sqlite3_bind_int(s, 3, sec->position);
    if (conn_step(c, s) != SQLITE_DONE) {
        report(err, errlen, "section '%s': %s", sec->slug, sqlite3_errmsg(c->db));
        goto out;
    }
    rc = STORE_OK;
out:
    stmt_done(s);
    return rc;
}

/* The id of the row named slug, by statement id (STMT_PUBLICATION_ID or STMT_SECTION_ID), into
 * *row_id. Returns STORE_OK, STORE_NOT_FOUND or STORE_ERROR (reported). */
static int id_by_slug(struct conn *c, enum statement id, const char *slug, int64_t *row_id,
                      char *err, size_t errlen)
{
    sqlite3_stmt *s = stmt_get(c, id, err, errlen);
    int rc = STORE_ERROR;
    if (!s)
        goto out;
    bind_text(s, 1, slug);
    int step = conn_step(c, s);
    if (step == SQLITE_ROW) {
        *row_id = sqlite3_column_int64(s, 0);
        rc = STORE_OK;
    } else if (step == SQLITE_DONE) {
        rc = STORE_NOT_FOUND;
    } else {
        report(err, errlen, "looking up '%s': %s", slug, sqlite3_errmsg(c->db));
    }
out:
    stmt_done(s);
    return rc;
}

/* Saves article in (index i of the batch) inside the caller's transaction, stamped updated_at
 * now. Returns 0, or -1 with "article I: reason" reported. */
static int article_upsert(struct conn *c, const struct article_input *in, size_t i, int64_t now,
                          char *err, size_t errlen)
{
    sqlite3_stmt *s = NULL;
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
    sqlite3_bind_int64(s, 2, publication_id);
    sqlite3_bind_int64(s, 3, section_id);
    bind_text(s, 4, in->headline);
    bind_text(s, 5, in->dek);
    bind_text(s, 6, in->byline);
    bind_text(s, 7, in->body_markdown);
    bind_text(s, 8, in->body_html);
    sqlite3_bind_int64(s, 9, in->published_at);
    sqlite3_bind_int64(s, 10, now);
    bind_text(s, 11, store_access_name(in->access));
    if (conn_step(c, s) != SQLITE_DONE) {
        report(err, errlen, "article %zu: %s", i, sqlite3_errmsg(c->db));
        goto out;
    }
    rc = 0;
out:
    stmt_done(s);
    return rc;
}

int store_articles_save(struct store *st, const struct article_input *in, size_t n, char *err,
                        size_t errlen)
{
    struct conn *c = conn_get(st, err, errlen);
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
    struct conn *c = conn_get(st, NULL, 0);
    return c && exec_sql(c->db,
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
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_IMPORT_SLUG_ADD, NULL, 0)))
        goto out;
    sqlite3_bind_int64(s, 1, position);
    bind_text(s, 2, slug);
    bind_text(s, 3, path);
    if (conn_step(c, s) != SQLITE_DONE) {
        report(NULL, 0, "recording the slug '%s': %s", slug, sqlite3_errmsg(c->db));
        goto out;
    }
    if (sqlite3_changes(c->db) == 1) {
        rc = STORE_OK;
        goto out;
    }
    stmt_done(s);
    if (!(s = stmt_get(c, STMT_IMPORT_SLUG_PATH, NULL, 0)))
        goto out;
    bind_text(s, 1, slug);
    if (conn_step(c, s) != SQLITE_ROW) {
        report(NULL, 0, "reading the slug '%s': %s", slug, sqlite3_errmsg(c->db));
        goto out;
    }
    *other = column_text(s, 0, a);
    rc = STORE_CONFLICT;
out:
    stmt_done(s);
    return rc;
}

int store_import_slug_at(struct store *st, struct arena *a, int64_t position, const char **slug)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_IMPORT_SLUG_AT, NULL, 0)))
        goto out;
    sqlite3_bind_int64(s, 1, position);
    rc = step_one(c, s, "the import's slug at %lld", (long long)position);
    if (rc == STORE_OK)
        *slug = column_text(s, 0, a);
out:
    stmt_done(s);
    return rc;
}

void store_import_slugs_end(struct store *st)
{
    struct conn *c = conn_get(st, NULL, 0);
    if (c)
        exec_sql(c->db, "DROP TABLE IF EXISTS temp.import_slugs", NULL, 0);
}

int store_publication_by_slug(struct store *st, struct arena *a, const char *slug,
                              struct publication *out)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_PUBLICATION_BY_SLUG, NULL, 0)))
        goto out;
    bind_text(s, 1, slug);
    rc = step_one(c, s, "publication '%s'", slug);
    if (rc == STORE_OK)
        read_publication(s, 0, a, out);
out:
    stmt_done(s);
    return rc;
}

int store_section_by_slug(struct store *st, struct arena *a, const char *slug, struct section *out)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_SECTION_BY_SLUG, NULL, 0)))
        goto out;
    bind_text(s, 1, slug);
    rc = step_one(c, s, "section '%s'", slug);
    if (rc == STORE_OK)
        read_section(s, 0, a, out);
out:
    stmt_done(s);
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
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_ARTICLE_BY_SLUG, NULL, 0)))
        goto out;
    bind_text(s, 1, slug);
    rc = step_one(c, s, "article '%s'", slug);
    if (rc == STORE_OK)
        read_article(s, a, out);
out:
    stmt_done(s);
    return rc;
}

int store_article_meta(struct store *st, const char *slug, int64_t *id, enum access_level *level)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_ARTICLE_META, NULL, 0)))
        goto out;
    bind_text(s, 1, slug);
    rc = step_one(c, s, "article '%s'", slug);
    if (rc == STORE_OK) {
        *id = sqlite3_column_int64(s, 0);
        int parsed = store_access_parse((const char *)sqlite3_column_text(s, 1));
        *level = parsed < 0 ? ACCESS_SUBSCRIBERS : (enum access_level)parsed;
    }
out:
    stmt_done(s);
    return rc;
}

/* A limit of 0 or less means the default; more than MAX_LIST_LIMIT is capped. */
int store_articles_latest(struct store *st, struct arena *a, const struct article_query *q,
                          struct article **out, size_t *n)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
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
    sqlite3_bind_int64(s, 1, q->publication_id);
    sqlite3_bind_int64(s, 2, q->section_id);
    sqlite3_bind_int(s, 3, limit);
    sqlite3_bind_int(s, 4, q->offset > 0 ? q->offset : 0);
    rc = read_rows(c, s, a, sizeof **out, article_row, "listing articles", (void **)out, n);
out:
    stmt_done(s);
    return rc;
}

int store_articles_page(struct store *st, struct arena *a, const struct article_cursor *after,
                        int limit, struct article **out, size_t *n, int *more)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (limit < 1)
        limit = 1;
    if (limit > STORE_ARTICLE_PAGE_MAX)
        limit = STORE_ARTICLE_PAGE_MAX;
    if (!c || !(s = stmt_get(c, STMT_ARTICLES_PAGE, NULL, 0)))
        goto out;
    /* No cursor: after a key greater than any article's. */
    sqlite3_bind_int64(s, 1, after ? after->published_at : INT64_MAX);
    sqlite3_bind_int64(s, 2, after ? after->id : INT64_MAX);
    sqlite3_bind_int(s, 3, limit + 1); /* one more than asked: whether there is a next page */
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
    stmt_done(s);
    return rc;
}

int store_articles_count(struct store *st, int64_t *count)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_ARTICLES_COUNT, NULL, 0)))
        goto out;
    if (conn_step(c, s) != SQLITE_ROW) {
        report(NULL, 0, "counting articles: %s", sqlite3_errmsg(c->db));
        goto out;
    }
    *count = sqlite3_column_int64(s, 0);
    rc = STORE_OK;
out:
    stmt_done(s);
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
static int step_write(struct conn *c, sqlite3_stmt *s, int must_change, const char *what)
{
    int step = conn_step(c, s);
    if (step == SQLITE_DONE)
        return must_change && sqlite3_changes(c->db) == 0 ? STORE_NOT_FOUND : STORE_OK;
    switch (sqlite3_extended_errcode(c->db)) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY: return STORE_CONFLICT;
    case SQLITE_CONSTRAINT_FOREIGNKEY: return STORE_NOT_FOUND;
    default: report(NULL, 0, "%s: %s", what, sqlite3_errmsg(c->db)); return STORE_ERROR;
    }
}

/* Reads a user from the current row of s, starting at column col (USER_COLUMNS order). */
static void read_user(sqlite3_stmt *s, int col, struct arena *a, struct user *u)
{
    u->id = sqlite3_column_int64(s, col);
    u->email = column_text(s, col + 1, a);
    u->display_name = column_text(s, col + 2, a);
    u->password_hash = column_text(s, col + 3, a);
    int role = store_role_parse((const char *)sqlite3_column_text(s, col + 4));
    u->role = role < 0 ? ROLE_READER : (enum role)role;      /* CHECK forbids; least privilege */
    u->email_verified_at = sqlite3_column_int64(s, col + 5); /* NULL reads as 0 */
    u->created_at = sqlite3_column_int64(s, col + 6);
}

/* read_user from column 0 (a row_reader). */
static void user_row(sqlite3_stmt *s, struct arena *a, void *item)
{
    read_user(s, 0, a, item);
}

/* Reads a session from the current row of s, starting at column col (SESSION_COLUMNS order). */
static void read_session(sqlite3_stmt *s, int col, struct arena *a, struct session *sess)
{
    sess->id = sqlite3_column_int64(s, col);
    sess->user_id = sqlite3_column_int64(s, col + 1);
    sess->created_at = sqlite3_column_int64(s, col + 2);
    sess->last_seen_at = sqlite3_column_int64(s, col + 3);
    sess->expires_at = sqlite3_column_int64(s, col + 4);
    sess->user_agent = column_text(s, col + 5, a);
    sess->ip = column_text(s, col + 6, a);
}

/* read_session from column 0 (a row_reader). */
static void session_row(sqlite3_stmt *s, struct arena *a, void *item)
{
    read_session(s, 0, a, item);
}

int store_user_create(struct store *st, const char *email, const char *display_name,
                      const char *password_hash, enum role role, int64_t *id)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
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
    sqlite3_bind_int64(s, 5, util_now());
    rc = step_write(c, s, 1, "creating a user");
    if (rc == STORE_NOT_FOUND) /* no row: an undo link holds the address */
        rc = STORE_CONFLICT;
    if (rc == STORE_OK && id)
        *id = sqlite3_last_insert_rowid(c->db);
out:
    stmt_done(s);
    free(lower);
    return rc;
}

/* Runs the one-row user lookup id into *out: STMT_USER_BY_EMAIL with ?1 = email, or
 * STMT_USER_BY_ID with ?1 = user_id. Returns STORE_OK, STORE_NOT_FOUND or STORE_ERROR. */
static int user_lookup(struct store *st, struct arena *a, enum statement id, const char *email,
                       int64_t user_id, struct user *out)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, id, NULL, 0)))
        goto out;
    if (id == STMT_USER_BY_EMAIL)
        bind_text(s, 1, email);
    else
        sqlite3_bind_int64(s, 1, user_id);
    rc = step_one(c, s, "looking up a user");
    if (rc == STORE_OK)
        read_user(s, 0, a, out);
out:
    stmt_done(s);
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
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, id, NULL, 0)))
        goto out;
    sqlite3_bind_int64(s, 1, user_id);
    bind_text(s, 2, value);
    sqlite3_bind_int64(s, 3, util_now());
    rc = step_write(c, s, 1, what);
out:
    stmt_done(s);
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
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
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
    sqlite3_bind_int64(s, 1, id);
    bind_text(s, 2, lower);
    if (verified_at)
        sqlite3_bind_int64(s, 3, verified_at);
    else
        sqlite3_bind_null(s, 3);
    sqlite3_bind_int64(s, 4, util_now());
    rc = step_write(c, s, 1, "changing an email");
    if (rc == STORE_NOT_FOUND) { /* no such user, or an undo link holds the address */
        stmt_done(s);
        s = NULL;
        struct arena *a = arena_new(0);
        struct user u;
        rc = store_user_by_id(st, a, id, &u);
        arena_free(a);
        if (rc == STORE_OK)
            rc = STORE_CONFLICT;
    }
out:
    stmt_done(s);
    free(lower);
    return rc;
}

/* Runs statement id with ?1 = first, ?2 = second (when nparams >= 2) and ?3 = util_now() (when
 * nparams is 3), steps it once and maps the outcome as step_write does. */
static int write_ids(struct store *st, enum statement id, int nparams, int64_t first,
                     int64_t second, int must_change, const char *what)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, id, NULL, 0)))
        goto out;
    sqlite3_bind_int64(s, 1, first);
    if (nparams >= 2)
        sqlite3_bind_int64(s, 2, second);
    if (nparams >= 3)
        sqlite3_bind_int64(s, 3, util_now());
    rc = step_write(c, s, must_change, what);
out:
    stmt_done(s);
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
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c)
        goto out;
    if (!present(token_hash_hex)) {
        report(NULL, 0, "creating a session: the token hash is empty");
        goto out;
    }
    if (!(s = stmt_get(c, STMT_SESSION_INSERT, NULL, 0)))
        goto out;
    sqlite3_bind_int64(s, 1, user_id);
    bind_text(s, 2, token_hash_hex);
    sqlite3_bind_int64(s, 3, now);
    sqlite3_bind_int64(s, 4, expires_at);
    bind_text(s, 5, user_agent);
    bind_text(s, 6, ip);
    rc = step_write(c, s, 0, "creating a session");
    if (rc == STORE_OK && id)
        *id = sqlite3_last_insert_rowid(c->db);
out:
    stmt_done(s);
    return rc;
}

int store_session_by_token(struct store *st, struct arena *a, const char *token_hash_hex,
                           struct session *session, struct user *user)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
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
    stmt_done(s);
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
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_SESSIONS_FOR_USER, NULL, 0)))
        goto out;
    sqlite3_bind_int64(s, 1, user_id);
    rc = read_rows(c, s, a, sizeof **out, session_row, "listing sessions", (void **)out, n);
out:
    stmt_done(s);
    return rc;
}

int store_token_create(struct store *st, int64_t user_id, const char *kind,
                       const char *token_hash_hex, const char *payload, int64_t now,
                       int64_t expires_at)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c)
        goto out;
    if (!present(token_hash_hex) || !present(kind)) {
        report(NULL, 0, "creating a token: a kind and a token hash are required");
        goto out;
    }
    if (!(s = stmt_get(c, STMT_TOKEN_INSERT, NULL, 0)))
        goto out;
    sqlite3_bind_int64(s, 1, user_id);
    bind_text(s, 2, kind); /* the CHECK constraint refuses an unknown kind: STORE_ERROR */
    bind_text(s, 3, token_hash_hex);
    bind_text(s, 4, payload);
    sqlite3_bind_int64(s, 5, now);
    sqlite3_bind_int64(s, 6, expires_at);
    rc = step_write(c, s, 0, "creating a token");
out:
    stmt_done(s);
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
static int token_find(struct conn *c, struct arena *a, const char *kind, const char *token_hash_hex,
                      int64_t now, struct token_row *row)
{
    sqlite3_stmt *find = stmt_get(c, STMT_TOKEN_FIND, NULL, 0);
    int rc = STORE_ERROR;
    if (!find)
        goto out;
    bind_text(find, 1, token_hash_hex);
    bind_text(find, 2, kind);
    int step = conn_step(c, find);
    if (step == SQLITE_DONE) {
        rc = TOKEN_UNKNOWN;
        goto out;
    }
    if (step != SQLITE_ROW) {
        report(NULL, 0, "looking up a token: %s", sqlite3_errmsg(c->db));
        goto out;
    }
    row->id = sqlite3_column_int64(find, 0);
    row->user_id = sqlite3_column_int64(find, 1);
    row->payload = column_text(find, 2, a);
    int64_t expires_at = sqlite3_column_int64(find, 3);
    int used = sqlite3_column_int(find, 4);
    rc = used ? TOKEN_USED : expires_at <= now ? TOKEN_EXPIRED : TOKEN_VALID;
out:
    stmt_done(find);
    return rc;
}

int store_token_peek(struct store *st, struct arena *a, const char *kind,
                     const char *token_hash_hex, int64_t now, int64_t *user_id,
                     const char **payload)
{
    struct conn *c = conn_get(st, NULL, 0);
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
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *use = NULL;
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
    sqlite3_bind_int64(use, 1, row.id);
    sqlite3_bind_int64(use, 2, now);
    int changed = step_write(c, use, 1, "using a token");
    stmt_done(use);
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
    stmt_done(use);
    if (in_tx) /* every outcome but VALID (committed above) changed nothing: end it */
        tx_rollback(c);
    return rc;
}

int store_tokens_delete_for_user(struct store *st, int64_t user_id, const char *kind)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_TOKENS_DELETE_FOR_USER, NULL, 0)))
        goto out;
    sqlite3_bind_int64(s, 1, user_id);
    bind_text(s, 2, kind); /* NULL binds "": every kind */
    rc = step_write(c, s, 0, "deleting a user's tokens");
out:
    stmt_done(s);
    return rc;
}

int store_tokens_void(struct store *st, int64_t user_id, const char *undo_hash_hex)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_TOKENS_VOID, NULL, 0)))
        goto out;
    sqlite3_bind_int64(s, 1, user_id);
    bind_text(s, 2, undo_hash_hex); /* NULL binds "", which names no token: every undo kept */
    rc = step_write(c, s, 0, "voiding a user's links");
out:
    stmt_done(s);
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
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
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
    sqlite3_bind_blob(s, 2, fresh, (int)sizeof fresh, SQLITE_TRANSIENT);
    if (step_write(c, s, 0, "storing a secret") != STORE_OK)
        goto out;
    stmt_done(s);
    if (!(s = stmt_get(c, STMT_SECRET_GET, NULL, 0)))
        goto out;
    bind_text(s, 1, name);
    if (conn_step(c, s) != SQLITE_ROW) {
        report(NULL, 0, "secret '%s': %s", name, sqlite3_errmsg(c->db));
        goto out;
    }
    const void *value = sqlite3_column_blob(s, 0);
    if (!value || sqlite3_column_bytes(s, 0) != SECRET_BYTES) {
        report(NULL, 0, "secret '%s': the stored value is not %d bytes", name, SECRET_BYTES);
        goto out;
    }
    memcpy(out, value, SECRET_BYTES);
    rc = STORE_OK;
out:
    stmt_done(s);
    sodium_memzero(fresh, sizeof fresh);
    return rc;
}

/* ---- the mail queue ------------------------------------------------------------------------ */

int store_mail_enqueue(struct store *st, const char *to, const char *subject, const char *text,
                       const char *html, int64_t now)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_MAIL_INSERT, NULL, 0)))
        goto out;
    bind_text(s, 1, to);
    bind_text(s, 2, subject);
    bind_text(s, 3, text);
    bind_text(s, 4, html);
    sqlite3_bind_int64(s, 5, now);
    rc = step_write(c, s, 1, "queueing mail");
out:
    stmt_done(s);
    return rc;
}

/* Reads a queued mail row (STMT_MAIL_BY_ID order) into m (strings from a). */
static void read_mail(sqlite3_stmt *s, struct arena *a, struct queued_mail *m)
{
    m->id = sqlite3_column_int64(s, 0);
    m->to = column_text(s, 1, a);
    m->subject = column_text(s, 2, a);
    m->text = column_text(s, 3, a);
    m->html = column_text(s, 4, a);
    m->attempts = sqlite3_column_int(s, 5);
}

/* Rounds of store_mail_claim: a round that loses its message to another mailer tries the next
 * due one; this many lost races in a row end the call as if nothing were due (the caller comes
 * back soon). */
#define MAIL_CLAIM_ROUNDS 4

int store_mail_claim(struct store *st, struct arena *a, const char *owner, int64_t now,
                     int64_t lease_until, struct queued_mail *out)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
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
        sqlite3_bind_int64(s, 1, now);
        if ((rc = step_one(c, s, "looking for due mail")) != STORE_OK)
            goto out; /* STORE_NOT_FOUND: nothing is due */
        id = sqlite3_column_int64(s, 0);
        stmt_done(s);
        s = NULL;
        rc = STORE_ERROR;
        if (!(s = stmt_get(c, STMT_MAIL_CLAIM, NULL, 0)))
            goto out;
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_int64(s, 2, now);
        sqlite3_bind_int64(s, 3, lease_until);
        bind_text(s, 4, owner);
        rc = step_write(c, s, 1, "claiming mail");
        stmt_done(s);
        s = NULL;
        if (rc == STORE_NOT_FOUND)
            continue; /* another mailer took it first */
        if (rc != STORE_OK)
            goto out;
        rc = STORE_ERROR;
        if (!(s = stmt_get(c, STMT_MAIL_BY_ID, NULL, 0)))
            goto out;
        sqlite3_bind_int64(s, 1, id);
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
    stmt_done(s);
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
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_MAIL_FAILED, NULL, 0)))
        goto out;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, next_attempt_at);
    bind_text(s, 3, error);
    bind_text(s, 4, owner);
    /* No row changed: the lease is no longer owner's (STORE_NOT_FOUND). */
    rc = step_write(c, s, 1, "recording a failed delivery");
out:
    stmt_done(s);
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
static void read_plan(sqlite3_stmt *s, int col, struct arena *a, struct plan *p)
{
    p->id = sqlite3_column_int64(s, col);
    p->slug = column_text(s, col + 1, a);
    p->name = column_text(s, col + 2, a);
    p->description = column_text(s, col + 3, a);
    p->benefits = column_text(s, col + 4, a);
    p->period = column_text(s, col + 5, a);
    p->price_cents = sqlite3_column_int64(s, col + 6);
    p->currency = column_text(s, col + 7, a);
    p->position = sqlite3_column_int(s, col + 8);
    p->stripe_price_id = column_text(s, col + 9, a);
    p->active = sqlite3_column_int(s, col + 10) != 0;
}

/* read_plan from column 0 (a row_reader). */
static void plan_row(sqlite3_stmt *s, struct arena *a, void *item)
{
    read_plan(s, 0, a, item);
}

/* Reads a subscription from the current row of s, starting at column col (SUBSCRIPTION_COLUMNS
 * order). A NULL user_id (deleted account) reads as 0. */
static void read_subscription(sqlite3_stmt *s, int col, struct arena *a, struct subscription *sub)
{
    sub->id = sqlite3_column_int64(s, col);
    sub->user_id = sqlite3_column_int64(s, col + 1);
    sub->plan_slug = column_text(s, col + 2, a);
    sub->status = column_text(s, col + 3, a);
    sub->current_period_end = sqlite3_column_int64(s, col + 4);
    sub->stripe_customer_id = column_text(s, col + 5, a);
    sub->stripe_subscription_id = column_text(s, col + 6, a);
    sub->source = column_text(s, col + 7, a);
    sub->created_at = sqlite3_column_int64(s, col + 8);
    sub->updated_at = sqlite3_column_int64(s, col + 9);
}

/* Reads an organisation from the current row of s, starting at column col
 * (ORGANISATION_COLUMNS order). */
static void read_organisation(sqlite3_stmt *s, int col, struct arena *a, struct organisation *org)
{
    org->id = sqlite3_column_int64(s, col);
    org->slug = column_text(s, col + 1, a);
    org->name = column_text(s, col + 2, a);
    org->ends_at = sqlite3_column_int64(s, col + 3);
}

/* read_organisation from column 0 (a row_reader). */
static void organisation_row(sqlite3_stmt *s, struct arena *a, void *item)
{
    read_organisation(s, 0, a, item);
}

/* Runs statement id with ?1 = first and, when nparams is 2, ?2 = second (text), steps it once
 * and maps the outcome as step_write does. */
static int write_texts(struct store *st, enum statement id, int nparams, const char *first,
                       const char *second, int must_change, const char *what)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, id, NULL, 0)))
        goto out;
    bind_text(s, 1, first);
    if (nparams >= 2)
        bind_text(s, 2, second);
    rc = step_write(c, s, must_change, what);
out:
    stmt_done(s);
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
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
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
    sqlite3_bind_int64(s, 6, p->price_cents);
    bind_text(s, 7, present(p->currency) ? p->currency : DEFAULT_CURRENCY);
    sqlite3_bind_int(s, 8, p->position);
    bind_text(s, 9, p->stripe_price_id);
    sqlite3_bind_int(s, 10, p->active ? 1 : 0);
    rc = step_write(c, s, 0, "saving a plan");
out:
    stmt_done(s);
    return rc;
}

int store_plans(struct store *st, struct arena *a, int include_inactive, struct plan **out,
                size_t *n)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_PLANS, NULL, 0)))
        goto out;
    sqlite3_bind_int(s, 1, include_inactive ? 1 : 0);
    rc = read_rows(c, s, a, sizeof **out, plan_row, "listing plans", (void **)out, n);
out:
    stmt_done(s);
    return rc;
}

int store_plan_by_slug(struct store *st, struct arena *a, const char *slug, struct plan *out)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_PLAN_BY_SLUG, NULL, 0)))
        goto out;
    bind_text(s, 1, slug);
    rc = step_one(c, s, "plan '%s'", slug ? slug : "");
    if (rc == STORE_OK)
        read_plan(s, 0, a, out);
out:
    stmt_done(s);
    return rc;
}

int store_plan_delete(struct store *st, const char *slug)
{
    return write_texts(st, STMT_PLAN_DELETE, 1, slug, NULL, 1, "deleting a plan");
}

int store_subscription_grant(struct store *st, int64_t user_id, const char *plan_slug,
                             int64_t until)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c)
        goto out;
    if (!present(plan_slug)) {
        report(NULL, 0, "granting a subscription: a plan is required");
        goto out;
    }
    if (!(s = stmt_get(c, STMT_SUBSCRIPTION_GRANT, NULL, 0)))
        goto out;
    sqlite3_bind_int64(s, 1, user_id);
    bind_text(s, 2, plan_slug);
    sqlite3_bind_int64(s, 3, until);
    sqlite3_bind_int64(s, 4, util_now());
    rc = step_write(c, s, 0, "granting a subscription");
out:
    stmt_done(s);
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
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, id, NULL, 0)))
        goto out;
    if (id == STMT_SUBSCRIPTION_CURRENT) {
        sqlite3_bind_int64(s, 1, user_id);
        sqlite3_bind_int64(s, 2, now);
    } else {
        bind_text(s, 1, customer_id);
    }
    rc = step_one(c, s, "looking up a subscription");
    if (rc == STORE_OK)
        read_subscription(s, 0, a, out);
out:
    stmt_done(s);
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
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
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
    sqlite3_bind_int64(s, 3, user_id);
    bind_text(s, 4, plan_slug);
    bind_text(s, 5, status);
    sqlite3_bind_int64(s, 6, current_period_end);
    sqlite3_bind_int64(s, 7, util_now());
    sqlite3_bind_int64(s, 8, event_at);
    /* RETURNING gives one row, after the whole statement has run. */
    int step = conn_step(c, s);
    int took = 0;
    if (step == SQLITE_ROW) {
        took = sqlite3_column_int(s, 0) != 0;
        step = conn_step(c, s);
    }
    if (step == SQLITE_DONE) {
        rc = STORE_OK;
        if (applied)
            *applied = took;
    } else if (sqlite3_extended_errcode(c->db) == SQLITE_CONSTRAINT_FOREIGNKEY) {
        rc = STORE_NOT_FOUND; /* the user is gone */
    } else {
        report(NULL, 0, "saving a Stripe subscription: %s", sqlite3_errmsg(c->db));
    }
out:
    stmt_done(s);
    return rc;
}

int store_org_save(struct store *st, const char *slug, const char *name, int64_t ends_at,
                   int64_t *id)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
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
    sqlite3_bind_int64(s, 3, ends_at);
    sqlite3_bind_int64(s, 4, util_now());
    if (step_write(c, s, 0, "saving an organisation") != STORE_OK)
        goto out;
    stmt_done(s);
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
    stmt_done(s);
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
static void org_range_row(sqlite3_stmt *s, struct arena *a, void *item)
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
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_METER_COUNT, NULL, 0)))
        goto out;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, since);
    if (conn_step(c, s) != SQLITE_ROW) {
        report(NULL, 0, "counting a reader's reads: %s", sqlite3_errmsg(c->db));
        goto out;
    }
    *count = sqlite3_column_int(s, 0);
    rc = STORE_OK;
out:
    stmt_done(s);
    return rc;
}

int store_meter_read_at(struct store *st, int64_t user_id, int64_t article_id, int64_t *read_at)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_METER_READ_AT, NULL, 0)))
        goto out;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, article_id);
    rc = step_one(c, s, "looking up a read");
    if (rc == STORE_OK)
        *read_at = sqlite3_column_int64(s, 0);
out:
    stmt_done(s);
    return rc;
}

int store_meter_record(struct store *st, int64_t user_id, int64_t article_id, int64_t since,
                       int64_t now)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_METER_RECORD, NULL, 0)))
        goto out;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, article_id);
    sqlite3_bind_int64(s, 3, since);
    sqlite3_bind_int64(s, 4, now);
    /* A re-read inside the period changes no row and is still STORE_OK: must_change is 0. */
    rc = step_write(c, s, 0, "recording a read");
out:
    stmt_done(s);
    return rc;
}

/* The meter's state for user_id and article_id at since, on c, from one snapshot: *read_at is
 * when the article was counted (-1: never) and *count the reads at or after since. Returns
 * STORE_OK or STORE_ERROR (reported). */
static int meter_state(struct conn *c, int64_t user_id, int64_t article_id, int64_t since,
                       int64_t *read_at, int *count)
{
    sqlite3_stmt *s = stmt_get(c, STMT_METER_STATE, NULL, 0);
    int rc = STORE_ERROR;
    if (!s)
        goto out;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, article_id);
    sqlite3_bind_int64(s, 3, since);
    if (conn_step(c, s) != SQLITE_ROW) {
        report(NULL, 0, "reading a reader's meter: %s", sqlite3_errmsg(c->db));
        goto out;
    }
    *read_at = sqlite3_column_type(s, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 0);
    *count = sqlite3_column_int(s, 1);
    rc = STORE_OK;
out:
    stmt_done(s);
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
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
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
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, article_id);
    sqlite3_bind_int64(s, 3, since);
    sqlite3_bind_int64(s, 4, now);
    if ((rc = step_write(c, s, 0, "recording a read")) != STORE_OK)
        goto out; /* STORE_NOT_FOUND: the user or the article is gone */
    stmt_done(s);
    s = NULL;
    in_tx = 0;
    if (tx_commit(c, NULL, 0) != 0) {
        rc = STORE_ERROR;
        goto out;
    }
    out->counted = 1;
    rc = STORE_OK;
out:
    stmt_done(s);
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
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
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
    sqlite3_bind_int64(s, 3, now);
    rc = step_write(c, s, 0, "recording a Stripe event"); /* PRIMARY KEY: STORE_CONFLICT */
out:
    stmt_done(s);
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
static void read_campaign(sqlite3_stmt *s, int col, struct arena *a, struct campaign *c)
{
    c->id = sqlite3_column_int64(s, col);
    c->slug = column_text(s, col + 1, a);
    c->name = column_text(s, col + 2, a);
    c->starts_at = sqlite3_column_int64(s, col + 3);
    c->ends_at = sqlite3_column_int64(s, col + 4);
    c->weight = sqlite3_column_int(s, col + 5);
    c->publication_slug = column_text(s, col + 6, a);
    c->section_slug = column_text(s, col + 7, a);
    c->created_at = sqlite3_column_int64(s, col + 8);
}

/* read_campaign from column 0 (a row_reader). */
static void campaign_row(sqlite3_stmt *s, struct arena *a, void *item)
{
    read_campaign(s, 0, a, item);
}

/* Reads a creative and its campaign from the current row of s (CREATIVE_SELECT order). */
static void read_creative(sqlite3_stmt *s, struct arena *a, struct creative *k)
{
    k->id = sqlite3_column_int64(s, 0);
    k->placement = column_text(s, 1, a);
    k->kind = column_text(s, 2, a);
    k->image_path = column_text(s, 3, a);
    k->image_type = column_text(s, 4, a);
    k->width = sqlite3_column_int(s, 5);
    k->height = sqlite3_column_int(s, 6);
    k->alt = column_text(s, 7, a);
    k->click_url = column_text(s, 8, a);
    k->html = column_text(s, 9, a);
    k->created_at = sqlite3_column_int64(s, 10);
    read_campaign(s, CREATIVE_NCOLUMNS, a, &k->campaign);
}

/* read_creative (a row_reader). */
static void creative_row(sqlite3_stmt *s, struct arena *a, void *item)
{
    read_creative(s, a, item);
}

int store_campaign_save(struct store *st, const struct campaign *camp, int64_t *id)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
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
    sqlite3_bind_int64(s, 3, camp->starts_at);
    sqlite3_bind_int64(s, 4, camp->ends_at);
    sqlite3_bind_int(s, 5, camp->weight);
    bind_text(s, 6, camp->publication_slug);
    bind_text(s, 7, camp->section_slug);
    sqlite3_bind_int64(s, 8, util_now());
    if (step_write(c, s, 0, "saving a campaign") != STORE_OK)
        goto out;
    stmt_done(s);
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
    stmt_done(s);
    if (in_tx)
        tx_rollback(c);
    return rc;
}

int store_campaign_by_slug(struct store *st, struct arena *a, const char *slug,
                           struct campaign *out)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_CAMPAIGN_BY_SLUG, NULL, 0)))
        goto out;
    bind_text(s, 1, slug);
    rc = step_one(c, s, "campaign '%s'", slug ? slug : "");
    if (rc == STORE_OK)
        read_campaign(s, 0, a, out);
out:
    stmt_done(s);
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
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_CREATIVE_INSERT, NULL, 0)))
        goto out;
    bind_text(s, 1, k->campaign.slug);
    bind_text(s, 2, k->placement);
    bind_text(s, 3, k->kind);
    bind_text(s, 4, k->image_path);
    bind_text(s, 5, k->image_type);
    sqlite3_bind_int(s, 6, k->width);
    sqlite3_bind_int(s, 7, k->height);
    bind_text(s, 8, k->alt);
    bind_text(s, 9, k->click_url);
    bind_text(s, 10, k->html);
    sqlite3_bind_int64(s, 11, util_now());
    /* A CHECK that refuses the row is a bug in the caller's validation: STORE_ERROR, logged. */
    rc = step_write(c, s, 1, "adding a creative");
    if (rc == STORE_OK && id)
        *id = sqlite3_last_insert_rowid(c->db);
out:
    stmt_done(s);
    return rc;
}

int store_creative_by_id(struct store *st, struct arena *a, int64_t id, struct creative *out)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_CREATIVE_BY_ID, NULL, 0)))
        goto out;
    sqlite3_bind_int64(s, 1, id);
    rc = step_one(c, s, "creative %lld", (long long)id);
    if (rc == STORE_OK)
        read_creative(s, a, out);
out:
    stmt_done(s);
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
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_CREATIVES_ELIGIBLE, NULL, 0)))
        goto out;
    bind_text(s, 1, placement);
    bind_text(s, 2, publication);
    bind_text(s, 3, section);
    sqlite3_bind_int64(s, 4, now);
    rc = read_rows(c, s, a, sizeof **out, creative_row, "choosing creatives", (void **)out, n);
out:
    stmt_done(s);
    return rc;
}

int store_ad_stats_add(struct store *st, const struct ad_count *counts, size_t n)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
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
        sqlite3_bind_int64(s, 1, counts[i].creative_id);
        bind_text(s, 2, counts[i].day);
        sqlite3_bind_int64(s, 3, counts[i].impressions);
        sqlite3_bind_int64(s, 4, counts[i].clicks);
        /* A failed statement is undone alone (the transaction stays): a creative deleted since
         * it was counted fails its foreign key, and its counts are dropped. */
        int step = step_write(c, s, 0, "adding ad counts");
        if (step != STORE_OK && step != STORE_NOT_FOUND)
            goto out;
        sqlite3_reset(s);
    }
    stmt_done(s);
    s = NULL;
    in_tx = 0;
    if (tx_commit(c, NULL, 0) != 0)
        goto out;
    rc = STORE_OK;
out:
    stmt_done(s);
    if (in_tx)
        tx_rollback(c);
    return rc;
}

/* Reads an ad report row (STMT_AD_REPORT order) into item (a row_reader). */
static void ad_report_row(sqlite3_stmt *s, struct arena *a, void *item)
{
    struct ad_report_row *row = item;
    row->day = column_text(s, 0, a);
    row->campaign_slug = column_text(s, 1, a);
    row->creative_id = sqlite3_column_int64(s, 2);
    row->placement = column_text(s, 3, a);
    row->impressions = sqlite3_column_int64(s, 4);
    row->clicks = sqlite3_column_int64(s, 5);
}

int store_ad_report(struct store *st, struct arena *a, const char *from, const char *to,
                    struct ad_report_row **out, size_t *n)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_AD_REPORT, NULL, 0)))
        goto out;
    bind_text(s, 1, from);
    bind_text(s, 2, to);
    rc = read_rows(c, s, a, sizeof **out, ad_report_row, "reading the ad report", (void **)out, n);
out:
    stmt_done(s);
    return rc;
}
