/*
 * test_paywall_store.c: tests of the paywall part of store.h (store.c), each on a fresh
 * database in its own temporary directory: plans (save, upsert by slug, order, inactive ones,
 * refused fields, delete), admin subscriptions (grant, re-grant replacing, revoke, the current
 * one with expiry and with Stripe ones beside it), Stripe subscriptions (upsert by id, repeated
 * webhooks, fields kept when not given), Stripe events recorded once, organisations and their
 * normalised ranges, the signed-in meter (count, first read, re-read inside and after the
 * period, purge; deciding and recording in one step, also while another connection holds the
 * write lock), subscriptions surviving their account's deletion with no user, default access
 * levels (stored, and read back by every query that reads a publication or a section, the
 * article's joined ones included), and the paywall version seen from a second store on the same
 * file.
 *
 * Some checks read the database directly (a connection of their own), to see what a column holds
 * whatever the store makes of it, or to count rows a test must prove are kept or gone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "check.h"
#include "store.h"
#include "test_support.h"
#include "util.h"

#define DAY 86400

/* The first column of the first row of the literal query sql, run on its own connection to
 * t's database, as text into out ("(none)" for no row or an error, "(null)" for NULL). */
static const char *query_text(const struct tmpdb *t, const char *sql, char *out, size_t size)
{
    return tdb_text(t, sql, out, size);
}

/* query_text as an integer (-1 when it is not a number). */
static long long query_int(const struct tmpdb *t, const char *sql)
{
    char buf[64], *end;
    query_text(t, sql, buf, sizeof buf);
    long long value = strtoll(buf, &end, 10);
    return end != buf && *end == '\0' ? value : -1;
}

/* Creates a reader with this email, checking it succeeds; returns its id (0 on failure). */
static int64_t make_user(struct store *st, const char *email)
{
    int64_t id = 0;
    CHECK_INT(store_user_create(st, email, "A Reader", "", ROLE_READER, &id), STORE_OK);
    CHECK(id > 0);
    return id;
}

/* The paywall version, failing the test if it cannot be read. */
static int64_t paywall_version(struct store *st)
{
    int64_t v = -1;
    CHECK_INT(store_paywall_version(st, &v), STORE_OK);
    return v;
}

/* Saves a publication "nj", a section "politics" and articles "one" and "two"; stores their ids
 * in ids[0..2). */
static void save_articles(struct store *st, struct arena *a, int64_t ids[2])
{
    char err[256] = "";
    struct publication nj = {.slug = "nj", .name = "National Journal", .is_host = 1};
    struct section politics = {.slug = "politics", .name = "Politics", .position = 1};
    CHECK_INT(store_publication_save(st, &nj, err, sizeof err), STORE_OK);
    CHECK_INT(store_section_save(st, &politics, err, sizeof err), STORE_OK);
    static const char *const slugs[2] = {"one", "two"};
    for (int i = 0; i < 2; i++) {
        struct article_input in = {.slug = slugs[i],
                                   .headline = "A headline",
                                   .publication_slug = "nj",
                                   .section_slug = "politics",
                                   .body_markdown = "Body.",
                                   .body_html = "<p>Body.</p>\n",
                                   .published_at = 1400000000 + i,
                                   .access = ACCESS_METERED};
        struct article art;
        CHECK_INT(store_articles_save(st, &in, 1, err, sizeof err), STORE_OK);
        CHECK_INT(store_article_by_slug(st, a, slugs[i], &art), STORE_OK);
        ids[i] = art.id;
    }
}

static void test_plans(void)
{
    struct tmpdb t;
    struct arena *a = arena_new(0);
    CHECK(tmpdb_make(&t, "paywall") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    int64_t v0 = paywall_version(st);
    struct plan monthly = {.slug = "monthly",
                           .name = "Monthly",
                           .description = "Everything, month by month.",
                           .benefits = "Unlimited articles\nThe daily newsletter",
                           .period = "month",
                           .price_cents = 1500,
                           .position = 2,
                           .stripe_price_id = "price_123"};
    monthly.active = 1;
    struct plan annual = {.slug = "annual",
                          .name = "Annual",
                          .period = "year",
                          .price_cents = 15000,
                          .currency = "EUR",
                          .position = 1,
                          .active = 1};
    struct plan institutional = {.slug = "institutional",
                                 .name = "Institutions",
                                 .period = "contact",
                                 .position = 3,
                                 .active = 1};
    struct plan old = {.slug = "old",
                       .name = "Old offer",
                       .period = "month",
                       .price_cents = 500,
                       .position = 0,
                       .active = 0};
    CHECK_INT(store_plan_save(st, &monthly), STORE_OK);
    int64_t v1 = paywall_version(st);
    CHECK(v1 > v0);
    CHECK_INT(store_plan_save(st, &annual), STORE_OK);
    CHECK_INT(store_plan_save(st, &institutional), STORE_OK);
    CHECK_INT(store_plan_save(st, &old), STORE_OK);

    /* The offers page: active plans by position. */
    struct plan *list = NULL;
    size_t n = 99;
    CHECK_INT(store_plans(st, a, 0, &list, &n), STORE_OK);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_STR(list[0].slug, "annual");
        CHECK_STR(list[0].currency, "EUR");
        CHECK_INT(list[0].price_cents, 15000);
        CHECK_STR(list[1].slug, "monthly");
        CHECK_STR(list[1].name, "Monthly");
        CHECK_STR(list[1].description, "Everything, month by month.");
        CHECK_STR(list[1].benefits, "Unlimited articles\nThe daily newsletter");
        CHECK_STR(list[1].period, "month");
        CHECK_STR(list[1].currency, "USD"); /* the default */
        CHECK_STR(list[1].stripe_price_id, "price_123");
        CHECK_INT(list[1].position, 2);
        CHECK_INT(list[1].active, 1);
        CHECK_STR(list[2].slug, "institutional");
        CHECK_STR(list[2].period, "contact");
        CHECK_INT(list[2].price_cents, 0);
        CHECK_STR(list[2].stripe_price_id, "");
    }
    /* With the withdrawn ones, for the operator. */
    CHECK_INT(store_plans(st, a, 1, &list, &n), STORE_OK);
    CHECK_INT(n, 4);
    if (n == 4) {
        CHECK_STR(list[0].slug, "old");
        CHECK_INT(list[0].active, 0);
    }

    /* Upsert by slug: same id, every field replaced. */
    struct plan got;
    CHECK_INT(store_plan_by_slug(st, a, "monthly", &got), STORE_OK);
    int64_t monthly_id = got.id;
    monthly.price_cents = 1800;
    monthly.name = "Monthly (new price)";
    monthly.position = 9;
    monthly.active = 0;
    int64_t before = paywall_version(st);
    CHECK_INT(store_plan_save(st, &monthly), STORE_OK);
    CHECK(paywall_version(st) > before);
    CHECK_INT(store_plan_by_slug(st, a, "monthly", &got), STORE_OK);
    CHECK_INT(got.id, monthly_id);
    CHECK_INT(got.price_cents, 1800);
    CHECK_STR(got.name, "Monthly (new price)");
    CHECK_INT(got.active, 0);
    CHECK_INT(store_plans(st, a, 0, &list, &n), STORE_OK);
    CHECK_INT(n, 2);
    CHECK_INT(store_plan_by_slug(st, a, "nope", &got), STORE_NOT_FOUND);

    /* Refused: no slug, no name, an unknown period, a negative price. Nothing changes. */
    struct plan bad = annual;
    bad.period = "week";
    CHECK_INT(store_plan_save(st, &bad), STORE_ERROR);
    bad.period = NULL;
    CHECK_INT(store_plan_save(st, &bad), STORE_ERROR);
    bad = annual;
    bad.price_cents = -1;
    CHECK_INT(store_plan_save(st, &bad), STORE_ERROR);
    bad = annual;
    bad.name = "";
    CHECK_INT(store_plan_save(st, &bad), STORE_ERROR);
    bad = annual;
    bad.slug = NULL;
    CHECK_INT(store_plan_save(st, &bad), STORE_ERROR);
    CHECK_INT(store_plan_by_slug(st, a, "annual", &got), STORE_OK);
    CHECK_INT(got.price_cents, 15000);

    /* Delete. */
    before = paywall_version(st);
    CHECK_INT(store_plan_delete(st, "old"), STORE_OK);
    CHECK(paywall_version(st) > before);
    CHECK_INT(store_plan_delete(st, "old"), STORE_NOT_FOUND);
    CHECK_INT(store_plan_by_slug(st, a, "old", &got), STORE_NOT_FOUND);
    CHECK_INT(store_plans(st, a, 1, &list, &n), STORE_OK);
    CHECK_INT(n, 3);
    store_close(st);
out:
    arena_free(a);
    tmpdb_remove(&t);
}

/* The subscription the signed-in reader's lookup (store_session_reader: the session, its user
 * and the current subscription in one query) gives for the session hashed hash at now: its id, 0
 * for none, -1 when the lookup failed. */
static int64_t reader_subscription(struct store *st, struct arena *a, const char *hash, int64_t now)
{
    struct session session;
    struct user user;
    struct subscription sub;
    if (store_session_reader(st, a, hash, now, &session, &user, &sub) != STORE_OK)
        return -1;
    return sub.id;
}

/* 1 if the reader's lookup agrees with store_subscription_current for user at now. */
static int reader_agrees(struct store *st, struct arena *a, const char *hash, int64_t user,
                         int64_t now)
{
    struct subscription sub;
    int rc = store_subscription_current(st, a, user, now, &sub);
    int64_t want = rc == STORE_OK ? sub.id : rc == STORE_NOT_FOUND ? 0 : -2;
    return reader_subscription(st, a, hash, now) == want;
}

static void test_admin_subscriptions(void)
{
    struct tmpdb t;
    struct arena *a = arena_new(0);
    struct subscription sub;
    CHECK(tmpdb_make(&t, "paywall") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    int64_t now = util_now();
    int64_t reader = make_user(st, "reader@example.com");
    int64_t other = make_user(st, "other@example.com");
    int64_t v0 = paywall_version(st);
    const char *hash = "00000000000000000000000000000000000000000000000000000000000000c1";
    CHECK_INT(store_session_create(st, reader, hash, now, now + DAY, "test", "192.0.2.1", NULL),
              STORE_OK);

    CHECK_INT(store_subscription_current(st, a, reader, now, &sub), STORE_NOT_FOUND);
    CHECK_INT(reader_subscription(st, a, hash, now), 0);
    CHECK_INT(store_subscription_revoke(st, reader), STORE_NOT_FOUND);

    CHECK_INT(store_subscription_grant(st, reader, "annual", now + 365 * DAY), STORE_OK);
    CHECK_INT(store_subscription_current(st, a, reader, now, &sub), STORE_OK);
    CHECK_INT(sub.user_id, reader);
    CHECK_STR(sub.plan_slug, "annual");
    CHECK_STR(sub.status, "active");
    CHECK_INT(sub.current_period_end, now + 365 * DAY);
    CHECK_STR(sub.source, "admin");
    CHECK_STR(sub.stripe_customer_id, "");
    CHECK_STR(sub.stripe_subscription_id, "");
    CHECK(sub.created_at >= now - 5 && sub.created_at <= now + 5);
    CHECK(reader_agrees(st, a, hash, reader, now));
    int64_t first_id = sub.id;
    CHECK_INT(store_subscription_current(st, a, other, now, &sub), STORE_NOT_FOUND);

    /* A second grant replaces the first: one admin row per user. */
    CHECK_INT(store_subscription_grant(st, reader, "monthly", now + 30 * DAY), STORE_OK);
    CHECK_INT(store_subscription_current(st, a, reader, now, &sub), STORE_OK);
    CHECK_INT(sub.id, first_id);
    CHECK_STR(sub.plan_slug, "monthly");
    CHECK_INT(sub.current_period_end, now + 30 * DAY);
    CHECK_INT(query_int(&t, "SELECT count(*) FROM subscriptions"), 1);

    /* Revoke: canceled, kept; a second revoke finds nothing to revoke. */
    CHECK_INT(store_subscription_revoke(st, reader), STORE_OK);
    CHECK_INT(store_subscription_current(st, a, reader, now, &sub), STORE_OK);
    CHECK_STR(sub.status, "canceled");
    CHECK_INT(store_subscription_revoke(st, reader), STORE_NOT_FOUND);
    /* A new grant makes it active again. */
    CHECK_INT(store_subscription_grant(st, reader, "annual", now + DAY), STORE_OK);
    CHECK_INT(store_subscription_current(st, a, reader, now, &sub), STORE_OK);
    CHECK_STR(sub.status, "active");
    CHECK_INT(sub.id, first_id);

    /* Expiry is the caller's judgement: after the end the row is still "current" (the most
     * recent), with its end in the past. */
    CHECK_INT(store_subscription_current(st, a, reader, now + 2 * DAY, &sub), STORE_OK);
    CHECK_INT(sub.current_period_end, now + DAY);

    /* A running Stripe subscription is preferred to an expired grant, and vice versa. */
    CHECK_INT(store_subscription_stripe_upsert(st, "sub_1", "cus_1", reader, "monthly", "active",
                                               now + 10 * DAY, 1, NULL),
              STORE_OK);
    CHECK_INT(store_subscription_current(st, a, reader, now + 2 * DAY, &sub), STORE_OK);
    CHECK_STR(sub.source, "stripe");
    CHECK(reader_agrees(st, a, hash, reader, now + 2 * DAY));
    /* Both running: the later-ending one. */
    CHECK_INT(store_subscription_current(st, a, reader, now, &sub), STORE_OK);
    CHECK_STR(sub.source, "stripe");
    CHECK(reader_agrees(st, a, hash, reader, now));
    CHECK_INT(store_subscription_grant(st, reader, "annual", now + 100 * DAY), STORE_OK);
    CHECK_INT(store_subscription_current(st, a, reader, now, &sub), STORE_OK);
    CHECK_STR(sub.source, "admin");
    CHECK(reader_agrees(st, a, hash, reader, now));
    /* A canceled grant that ends later loses to the running Stripe one. */
    CHECK_INT(store_subscription_revoke(st, reader), STORE_OK);
    CHECK_INT(store_subscription_current(st, a, reader, now, &sub), STORE_OK);
    CHECK_STR(sub.source, "stripe");
    CHECK(reader_agrees(st, a, hash, reader, now));
    CHECK(reader_agrees(st, a, hash, reader, now + 20 * DAY)); /* all ended */
    /* Revoke leaves Stripe subscriptions alone. */
    CHECK_INT(store_subscription_revoke(st, reader), STORE_NOT_FOUND);
    CHECK_STR(query_text(&t, "SELECT status FROM subscriptions WHERE source = 'stripe'",
                         (char[32]){0}, 32),
              "active");

    /* Refused: an unknown user, an empty plan. */
    CHECK_INT(store_subscription_grant(st, other + 100, "annual", now + DAY), STORE_NOT_FOUND);
    CHECK_INT(store_subscription_grant(st, other, "", now + DAY), STORE_ERROR);
    CHECK_INT(store_subscription_grant(st, other, NULL, now + DAY), STORE_ERROR);
    CHECK_INT(store_subscription_current(st, a, other, now, &sub), STORE_NOT_FOUND);

    /* Subscriptions do not bump the paywall version (they are looked up per request). */
    CHECK_INT(paywall_version(st), v0);
    store_close(st);
out:
    arena_free(a);
    tmpdb_remove(&t);
}

static void test_stripe_subscriptions(void)
{
    struct tmpdb t;
    struct arena *a = arena_new(0);
    struct subscription sub;
    CHECK(tmpdb_make(&t, "paywall") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    int64_t now = util_now();
    int64_t reader = make_user(st, "reader@example.com");

    /* An event before the user is known (webhooks arrive in any order). */
    CHECK_INT(store_subscription_stripe_upsert(st, "sub_A", "cus_A", 0, "", "active",
                                               now + 30 * DAY, 2, NULL),
              STORE_OK);
    CHECK_INT(store_subscription_by_stripe_customer(st, a, "cus_A", &sub), STORE_OK);
    CHECK_INT(sub.user_id, 0);
    CHECK_STR(sub.plan_slug, "");
    CHECK_STR(sub.source, "stripe");
    CHECK_STR(sub.stripe_subscription_id, "sub_A");
    int64_t id = sub.id;

    /* checkout.session.completed fills in the user and the plan. */
    CHECK_INT(store_subscription_stripe_upsert(st, "sub_A", "cus_A", reader, "monthly", "active",
                                               now + 30 * DAY, 3, NULL),
              STORE_OK);
    CHECK_INT(store_subscription_current(st, a, reader, now, &sub), STORE_OK);
    CHECK_INT(sub.id, id);
    CHECK_INT(sub.user_id, reader);
    CHECK_STR(sub.plan_slug, "monthly");
    CHECK_STR(sub.stripe_customer_id, "cus_A");

    /* The same webhook again: idempotent. */
    for (int i = 0; i < 3; i++)
        CHECK_INT(store_subscription_stripe_upsert(st, "sub_A", "cus_A", reader, "monthly",
                                                   "active", now + 30 * DAY, 4, NULL),
                  STORE_OK);
    CHECK_INT(query_int(&t, "SELECT count(*) FROM subscriptions"), 1);
    CHECK_INT(store_subscription_current(st, a, reader, now, &sub), STORE_OK);
    CHECK_INT(sub.id, id);
    CHECK_STR(sub.status, "active");

    /* invoice.payment_failed: only the status and the end are known; the rest is kept. */
    CHECK_INT(store_subscription_stripe_upsert(st, "sub_A", "", 0, "", "past_due", now + 30 * DAY,
                                               5, NULL),
              STORE_OK);
    CHECK_INT(store_subscription_by_stripe_customer(st, a, "cus_A", &sub), STORE_OK);
    CHECK_INT(sub.id, id);
    CHECK_STR(sub.status, "past_due");
    CHECK_INT(sub.user_id, reader);
    CHECK_STR(sub.plan_slug, "monthly");
    CHECK_STR(sub.stripe_customer_id, "cus_A");

    /* Renewal, then deletion. */
    CHECK_INT(store_subscription_stripe_upsert(st, "sub_A", "cus_A", 0, "annual", "active",
                                               now + 365 * DAY, 6, NULL),
              STORE_OK);
    CHECK_INT(store_subscription_current(st, a, reader, now, &sub), STORE_OK);
    CHECK_STR(sub.plan_slug, "annual");
    CHECK_INT(sub.current_period_end, now + 365 * DAY);
    CHECK_INT(store_subscription_stripe_upsert(st, "sub_A", "", 0, "", "canceled", now, 7, NULL),
              STORE_OK);
    CHECK_INT(store_subscription_current(st, a, reader, now, &sub), STORE_OK);
    CHECK_STR(sub.status, "canceled");

    /* A second subscription of the same customer: an active one comes first. */
    CHECK_INT(store_subscription_stripe_upsert(st, "sub_B", "cus_A", reader, "monthly", "active",
                                               now + 30 * DAY, 8, NULL),
              STORE_OK);
    CHECK_INT(store_subscription_by_stripe_customer(st, a, "cus_A", &sub), STORE_OK);
    CHECK_STR(sub.stripe_subscription_id, "sub_B");
    CHECK_INT(store_subscription_current(st, a, reader, now, &sub), STORE_OK);
    CHECK_STR(sub.stripe_subscription_id, "sub_B");

    /* Lookups that find nothing. */
    CHECK_INT(store_subscription_by_stripe_customer(st, a, "cus_nobody", &sub), STORE_NOT_FOUND);
    CHECK_INT(store_subscription_by_stripe_customer(st, a, "", &sub), STORE_NOT_FOUND);
    CHECK_INT(store_subscription_by_stripe_customer(st, a, NULL, &sub), STORE_NOT_FOUND);

    /* Refused: an unknown status, an empty id, an unknown user; nothing changes. */
    CHECK_INT(
        store_subscription_stripe_upsert(st, "sub_A", "cus_A", 0, "", "trialing", now, 9, NULL),
        STORE_ERROR);
    CHECK_INT(store_subscription_stripe_upsert(st, "sub_A", "cus_A", 0, "", NULL, now, 10, NULL),
              STORE_ERROR);
    CHECK_INT(
        store_subscription_stripe_upsert(st, "", "cus_A", 0, "monthly", "active", now, 11, NULL),
        STORE_ERROR);
    CHECK_INT(
        store_subscription_stripe_upsert(st, NULL, "cus_A", 0, "monthly", "active", now, 12, NULL),
        STORE_ERROR);
    CHECK_INT(store_subscription_stripe_upsert(st, "sub_A", "cus_A", reader + 100, "", "active",
                                               now + DAY, 13, NULL),
              STORE_NOT_FOUND);
    CHECK_INT(store_subscription_stripe_upsert(st, "sub_C", "cus_C", reader + 100, "monthly",
                                               "active", now + DAY, 14, NULL),
              STORE_NOT_FOUND);
    CHECK_INT(query_int(&t, "SELECT count(*) FROM subscriptions"), 2);
    CHECK_STR(query_text(&t,
                         "SELECT status FROM subscriptions WHERE "
                         "stripe_subscription_id = 'sub_A'",
                         (char[32]){0}, 32),
              "canceled");
    store_close(st);
out:
    arena_free(a);
    tmpdb_remove(&t);
}

static void test_stripe_events(void)
{
    struct tmpdb t;
    CHECK(tmpdb_make(&t, "paywall") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    int64_t now = util_now();
    CHECK_INT(store_stripe_event_record(st, "evt_1", "checkout.session.completed", now), STORE_OK);
    CHECK_INT(store_stripe_event_record(st, "evt_1", "checkout.session.completed", now + 5),
              STORE_CONFLICT);
    CHECK_INT(store_stripe_event_record(st, "evt_2", "invoice.payment_failed", now), STORE_OK);
    CHECK_INT(query_int(&t, "SELECT count(*) FROM stripe_events"), 2);
    CHECK_STR(
        query_text(&t, "SELECT type FROM stripe_events WHERE id = 'evt_2'", (char[64]){0}, 64),
        "invoice.payment_failed");

    /* Processing failed: forget it, and Stripe's retry is new again. */
    CHECK_INT(store_stripe_event_forget(st, "evt_1"), STORE_OK);
    CHECK_INT(store_stripe_event_forget(st, "evt_1"), STORE_NOT_FOUND);
    CHECK_INT(store_stripe_event_record(st, "evt_1", "checkout.session.completed", now), STORE_OK);
    CHECK_INT(store_stripe_event_record(st, "evt_1", "checkout.session.completed", now),
              STORE_CONFLICT);

    CHECK_INT(store_stripe_event_record(st, "", "x", now), STORE_ERROR);
    CHECK_INT(store_stripe_event_record(st, NULL, "x", now), STORE_ERROR);
    store_close(st);
out:
    tmpdb_remove(&t);
}

/* The Stripe upsert in Stripe's order (issue 8, finding 10): an older event leaves status and
 * end and only fills in what is unset; at the same second a canceled state is kept against any
 * other; *applied says which. */
static void test_stripe_event_order(void)
{
    struct tmpdb t;
    struct arena *a = arena_new(0);
    struct subscription sub;
    int applied = -1;
    CHECK(tmpdb_make(&t, "paywall") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    int64_t now = util_now();
    int64_t reader = make_user(st, "order@example.com");

    /* An update at 100 comes first, without a user or a plan. */
    CHECK_INT(store_subscription_stripe_upsert(st, "sub_O", "cus_O", 0, "", "active",
                                               now + 30 * DAY, 100, &applied),
              STORE_OK);
    CHECK_INT(applied, 1);
    /* The checkout at 90 arrives after it: the user and the plan are filled in, the status and
     * the end (the checkout's guess) are not taken. */
    CHECK_INT(store_subscription_stripe_upsert(st, "sub_O", "cus_other", reader, "monthly",
                                               "active", now + 31 * DAY, 90, &applied),
              STORE_OK);
    CHECK_INT(applied, 0);
    CHECK_INT(store_subscription_by_stripe_customer(st, a, "cus_O", &sub), STORE_OK);
    CHECK_INT(sub.user_id, reader);
    CHECK_STR(sub.plan_slug, "monthly");
    CHECK_INT(sub.current_period_end, now + 30 * DAY);
    /* An older event does not replace what is set. */
    CHECK_INT(store_subscription_stripe_upsert(st, "sub_O", "", 0, "annual", "past_due", now, 95,
                                               &applied),
              STORE_OK);
    CHECK_INT(applied, 0);
    CHECK_INT(store_subscription_by_stripe_customer(st, a, "cus_O", &sub), STORE_OK);
    CHECK_STR(sub.plan_slug, "monthly");
    CHECK_STR(sub.status, "active");
    /* Deleted at 110; an update of the same second, before or after, does not undo it. */
    CHECK_INT(store_subscription_stripe_upsert(st, "sub_O", "", 0, "", "canceled", now + 10, 110,
                                               &applied),
              STORE_OK);
    CHECK_INT(applied, 1);
    CHECK_INT(store_subscription_stripe_upsert(st, "sub_O", "", 0, "", "active", now + 30 * DAY,
                                               110, &applied),
              STORE_OK);
    CHECK_INT(applied, 0);
    CHECK_INT(store_subscription_stripe_upsert(st, "sub_O", "", 0, "", "active", now + 30 * DAY,
                                               105, &applied),
              STORE_OK);
    CHECK_INT(applied, 0);
    CHECK_INT(store_subscription_by_stripe_customer(st, a, "cus_O", &sub), STORE_OK);
    CHECK_STR(sub.status, "canceled");
    CHECK_INT(sub.current_period_end, now + 10);
    /* The same deletion again (a repeat with a new id) is its state: applied. */
    CHECK_INT(store_subscription_stripe_upsert(st, "sub_O", "", 0, "", "canceled", now + 10, 110,
                                               &applied),
              STORE_OK);
    CHECK_INT(applied, 1);
    CHECK_INT(query_int(&t, "SELECT stripe_event_at FROM subscriptions"), 110);
    store_close(st);
out:
    arena_free(a);
    tmpdb_remove(&t);
}

static void test_organisations(void)
{
    struct tmpdb t;
    struct arena *a = arena_new(0);
    CHECK(tmpdb_make(&t, "paywall") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    int64_t v = paywall_version(st), id = 0, again = 0;

    CHECK_INT(store_org_save(st, "uni", "Example University", 0, &id), STORE_OK);
    CHECK(id > 0);
    CHECK(paywall_version(st) > v);
    CHECK_INT(store_org_save(st, "agency", "An Agency", 1900000000, NULL), STORE_OK);
    /* Saving again updates in place and gives the same id. */
    v = paywall_version(st);
    CHECK_INT(store_org_save(st, "uni", "Example University Library", 2000000000, &again),
              STORE_OK);
    CHECK_INT(again, id);
    CHECK(paywall_version(st) > v);
    CHECK_INT(store_org_save(st, "", "No slug", 0, NULL), STORE_ERROR);
    CHECK_INT(store_org_save(st, "noname", "", 0, NULL), STORE_ERROR);

    struct organisation *orgs = NULL;
    size_t n = 99;
    CHECK_INT(store_orgs(st, a, &orgs, &n), STORE_OK);
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_STR(orgs[0].slug, "agency");
        CHECK_INT(orgs[0].ends_at, 1900000000);
        CHECK_STR(orgs[1].slug, "uni");
        CHECK_STR(orgs[1].name, "Example University Library");
        CHECK_INT(orgs[1].ends_at, 2000000000);
        CHECK_INT(orgs[1].id, id);
    }

    /* Ranges, stored normalised. */
    v = paywall_version(st);
    CHECK_INT(store_org_add_range(st, "uni", "192.0.2.77/24"), STORE_OK);
    CHECK(paywall_version(st) > v);
    CHECK_INT(store_org_add_range(st, "uni", "2001:DB8:0::/32"), STORE_OK);
    CHECK_INT(store_org_add_range(st, "uni", "198.51.100.9"), STORE_OK);
    CHECK_INT(store_org_add_range(st, "agency", "203.0.113.0/25"), STORE_OK);
    /* The same range in another spelling is the same range. */
    CHECK_INT(store_org_add_range(st, "uni", "192.0.2.0/24"), STORE_CONFLICT);
    CHECK_INT(store_org_add_range(st, "uni", "2001:db8::1/32"), STORE_CONFLICT);
    CHECK_INT(store_org_add_range(st, "uni", "198.51.100.9/32"), STORE_CONFLICT);
    /* …but another organisation may hold it too. */
    CHECK_INT(store_org_add_range(st, "agency", "192.0.2.0/24"), STORE_OK);
    /* Refused. */
    CHECK_INT(store_org_add_range(st, "nobody", "192.0.2.0/24"), STORE_NOT_FOUND);
    CHECK_INT(store_org_add_range(st, "uni", "192.0.2.0/33"), STORE_ERROR);
    CHECK_INT(store_org_add_range(st, "uni", "not a range"), STORE_ERROR);
    CHECK_INT(store_org_add_range(st, "uni", NULL), STORE_ERROR);

    struct org_range *ranges = NULL;
    CHECK_INT(store_org_ranges(st, a, &ranges, &n), STORE_OK);
    CHECK_INT(n, 5);
    if (n == 5) {
        CHECK_STR(ranges[0].organisation.slug, "agency");
        CHECK_STR(ranges[0].cidr, "192.0.2.0/24");
        CHECK_STR(ranges[1].cidr, "203.0.113.0/25");
        CHECK_INT(ranges[1].organisation.ends_at, 1900000000);
        CHECK_STR(ranges[2].organisation.slug, "uni");
        CHECK_STR(ranges[2].organisation.name, "Example University Library");
        CHECK_INT(ranges[2].organisation.id, id);
        CHECK_STR(ranges[2].cidr, "192.0.2.0/24");
        CHECK_STR(ranges[3].cidr, "198.51.100.9/32");
        CHECK_STR(ranges[4].cidr, "2001:db8::/32");
    }

    /* Removing, in any spelling. */
    v = paywall_version(st);
    CHECK_INT(store_org_remove_range(st, "uni", "198.51.100.9"), STORE_OK);
    CHECK(paywall_version(st) > v);
    CHECK_INT(store_org_remove_range(st, "uni", "198.51.100.9/32"), STORE_NOT_FOUND);
    CHECK_INT(store_org_remove_range(st, "uni", "203.0.113.0/25"), STORE_NOT_FOUND); /* agency's */
    CHECK_INT(store_org_remove_range(st, "nobody", "192.0.2.0/24"), STORE_NOT_FOUND);
    CHECK_INT(store_org_remove_range(st, "uni", "junk"), STORE_ERROR);
    CHECK_INT(store_org_remove_range(st, "uni", "2001:db8:0:0::/32"), STORE_OK);
    CHECK_INT(store_org_ranges(st, a, &ranges, &n), STORE_OK);
    CHECK_INT(n, 3);

    /* Deleting an organisation deletes its ranges. */
    v = paywall_version(st);
    CHECK_INT(store_org_delete(st, "uni"), STORE_OK);
    CHECK(paywall_version(st) > v);
    CHECK_INT(store_org_delete(st, "uni"), STORE_NOT_FOUND);
    CHECK_INT(store_org_ranges(st, a, &ranges, &n), STORE_OK);
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_STR(ranges[0].organisation.slug, "agency");
        CHECK_STR(ranges[1].organisation.slug, "agency");
    }
    CHECK_INT(query_int(&t, "SELECT count(*) FROM organisation_ranges"), 2);
    CHECK_INT(store_orgs(st, a, &orgs, &n), STORE_OK);
    CHECK_INT(n, 1);
    store_close(st);
out:
    arena_free(a);
    tmpdb_remove(&t);
}

static void test_meter(void)
{
    struct tmpdb t;
    struct arena *a = arena_new(0);
    int64_t articles[2] = {0, 0}, read_at = 0;
    int count = -1;
    CHECK(tmpdb_make(&t, "paywall") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    save_articles(st, a, articles);
    int64_t reader = make_user(st, "reader@example.com");
    int64_t v = paywall_version(st);
    const int64_t t0 = 1767225600, period = 30 * DAY;

    CHECK_INT(store_meter_count(st, reader, t0 - period, &count), STORE_OK);
    CHECK_INT(count, 0);
    CHECK_INT(store_meter_read_at(st, reader, articles[0], &read_at), STORE_NOT_FOUND);

    /* First read. */
    CHECK_INT(store_meter_record(st, reader, articles[0], t0 - period, t0), STORE_OK);
    CHECK_INT(store_meter_read_at(st, reader, articles[0], &read_at), STORE_OK);
    CHECK_INT(read_at, t0);
    CHECK_INT(store_meter_count(st, reader, t0 - period, &count), STORE_OK);
    CHECK_INT(count, 1);

    /* A re-read inside the period keeps its time and counts once. */
    int64_t later = t0 + 10 * DAY;
    CHECK_INT(store_meter_record(st, reader, articles[0], later - period, later), STORE_OK);
    CHECK_INT(store_meter_read_at(st, reader, articles[0], &read_at), STORE_OK);
    CHECK_INT(read_at, t0);
    CHECK_INT(store_meter_record(st, reader, articles[1], later - period, later), STORE_OK);
    CHECK_INT(store_meter_count(st, reader, later - period, &count), STORE_OK);
    CHECK_INT(count, 2);
    /* The count is of reads at or after since. */
    CHECK_INT(store_meter_count(st, reader, t0, &count), STORE_OK);
    CHECK_INT(count, 2);
    CHECK_INT(store_meter_count(st, reader, t0 + 1, &count), STORE_OK);
    CHECK_INT(count, 1);

    /* After the period the first read no longer counts; reading it again counts anew. */
    int64_t next = t0 + period + DAY;
    CHECK_INT(store_meter_count(st, reader, next - period, &count), STORE_OK);
    CHECK_INT(count, 1);
    CHECK_INT(store_meter_record(st, reader, articles[0], next - period, next), STORE_OK);
    CHECK_INT(store_meter_read_at(st, reader, articles[0], &read_at), STORE_OK);
    CHECK_INT(read_at, next);
    CHECK_INT(store_meter_count(st, reader, next - period, &count), STORE_OK);
    CHECK_INT(count, 2);
    /* A read stored exactly at since is inside the period: kept. */
    CHECK_INT(store_meter_record(st, reader, articles[1], later, later + 5), STORE_OK);
    CHECK_INT(store_meter_read_at(st, reader, articles[1], &read_at), STORE_OK);
    CHECK_INT(read_at, later);

    /* Other readers are metered apart. */
    int64_t other = make_user(st, "other@example.com");
    CHECK_INT(store_meter_count(st, other, 0, &count), STORE_OK);
    CHECK_INT(count, 0);

    /* Unknown user or article. */
    CHECK_INT(store_meter_record(st, other + 100, articles[0], 0, t0), STORE_NOT_FOUND);
    CHECK_INT(store_meter_record(st, reader, articles[1] + 100, 0, t0), STORE_NOT_FOUND);

    /* Purge: reads before `before` go. */
    CHECK_INT(store_meter_purge(st, later + 1), STORE_OK);
    CHECK_INT(store_meter_read_at(st, reader, articles[1], &read_at), STORE_NOT_FOUND);
    CHECK_INT(store_meter_read_at(st, reader, articles[0], &read_at), STORE_OK);

    /* Deleting the reader deletes its reads. */
    CHECK_INT(store_user_delete(st, reader), STORE_OK);
    CHECK_INT(query_int(&t, "SELECT count(*) FROM meter_reads"), 0);
    CHECK_INT(paywall_version(st), v); /* the meter is no part of the paywall version */
    store_close(st);
out:
    arena_free(a);
    tmpdb_remove(&t);
}

/* store_meter_take: judged and recorded in one step. A read to count is recorded; a re-read
 * and a read past the allowance write nothing; HEAD (record 0) writes nothing; while another
 * connection holds the write lock, a read to count fails after the thread's short wait with
 * nothing recorded, and reads that write nothing are still answered (issue 8, finding 9). */
static void test_meter_take(void)
{
    struct tmpdb t;
    struct arena *a = arena_new(0);
    int64_t articles[2] = {0, 0};
    struct meter_take take;
    struct tdb_conn holder = {0};
    CHECK(tmpdb_make(&t, "paywall") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    save_articles(st, a, articles);
    int64_t reader = make_user(st, "take@example.com");
    const int64_t now = 1767225600, since = now - 30 * DAY;

    /* HEAD: a read to count, not recorded. */
    CHECK_INT(store_meter_take(st, reader, articles[0], since, now, 1, 0, &take), STORE_OK);
    CHECK_INT(take.already_counted, 0);
    CHECK_INT(take.reads_in_period, 0);
    CHECK_INT(take.counted, 0);
    CHECK_INT(query_int(&t, "SELECT count(*) FROM meter_reads"), 0);

    /* The first read is counted; with an allowance of 1 the second article is past it. */
    CHECK_INT(store_meter_take(st, reader, articles[0], since, now, 1, 1, &take), STORE_OK);
    CHECK_INT(take.counted, 1);
    CHECK_INT(take.reads_in_period, 0);
    CHECK_INT(store_meter_take(st, reader, articles[1], since, now + 1, 1, 1, &take), STORE_OK);
    CHECK_INT(take.counted, 0);
    CHECK_INT(take.already_counted, 0);
    CHECK_INT(take.reads_in_period, 1);
    /* A re-read costs nothing and keeps its time. */
    CHECK_INT(store_meter_take(st, reader, articles[0], since + 5, now + 5, 1, 1, &take), STORE_OK);
    CHECK_INT(take.already_counted, 1);
    CHECK_INT(take.counted, 0);
    CHECK_INT(take.reads_in_period, 1);
    CHECK_INT(query_int(&t, "SELECT count(*) FROM meter_reads"), 1);
    CHECK_INT(query_int(&t, "SELECT read_at FROM meter_reads"), now);
    /* After the period the first read no longer counts: reading it again counts anew. */
    int64_t next = now + 31 * DAY;
    CHECK_INT(store_meter_take(st, reader, articles[0], next - 30 * DAY, next, 1, 1, &take),
              STORE_OK);
    CHECK_INT(take.counted, 1);
    CHECK_INT(query_int(&t, "SELECT read_at FROM meter_reads"), next);
    /* An unknown user or article: not found, nothing recorded. */
    CHECK_INT(store_meter_take(st, reader + 100, articles[0], since, now, 5, 1, &take),
              STORE_NOT_FOUND);
    CHECK_INT(store_meter_take(st, reader, articles[1] + 100, since, now, 5, 1, &take),
              STORE_NOT_FOUND);
    CHECK_INT(take.counted, 0);

    /* Another connection holds the write lock: this thread waits 50 ms, not 5 s. */
    int64_t other = make_user(st, "locked@example.com");
    store_thread_wait(st, 50);
    CHECK_INT(tdb_conn_open(&t, &holder), 0);
    CHECK_INT(tdb_conn_exec(&holder, tmpdb_is_pg(&t)
                                         ? "BEGIN; LOCK TABLE meter_reads IN EXCLUSIVE MODE"
                                         : "BEGIN IMMEDIATE"),
              0);
    int64_t started = util_monotonic_ms();
    CHECK_INT(store_meter_take(st, other, articles[0], since, now, 5, 1, &take), STORE_ERROR);
    CHECK_INT(take.counted, 0);
    CHECK(util_monotonic_ms() - started < 1000);
    /* Past the allowance, a re-read and HEAD write nothing, so they are answered. */
    CHECK_INT(store_meter_take(st, other, articles[0], since, now, 0, 1, &take), STORE_OK);
    CHECK_INT(take.counted, 0);
    CHECK_INT(store_meter_take(st, other, articles[0], since, now, 5, 0, &take), STORE_OK);
    CHECK_INT(store_meter_take(st, reader, articles[0], next - 30 * DAY, next, 1, 1, &take),
              STORE_OK);
    CHECK_INT(take.already_counted, 1);
    CHECK_INT(tdb_conn_exec(&holder, "COMMIT"), 0);
    store_thread_wait(st, 5000); /* the default again, for the suites after this one */
    CHECK_INT(query_int(&t, "SELECT count(*) FROM meter_reads WHERE user_id = (SELECT max(id) "
                            "FROM users)"),
              0);
    /* Once the lock is gone the same read is counted. */
    CHECK_INT(store_meter_take(st, other, articles[0], since, now, 5, 1, &take), STORE_OK);
    CHECK_INT(take.counted, 1);
    store_close(st);
out:
    tdb_conn_close(&holder);
    arena_free(a);
    tmpdb_remove(&t);
}

static void test_deleted_user_keeps_subscriptions(void)
{
    struct tmpdb t;
    struct arena *a = arena_new(0);
    struct subscription sub;
    CHECK(tmpdb_make(&t, "paywall") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    int64_t now = util_now();
    int64_t reader = make_user(st, "reader@example.com");
    int64_t other = make_user(st, "other@example.com");
    CHECK_INT(store_subscription_grant(st, reader, "annual", now + DAY), STORE_OK);
    CHECK_INT(store_subscription_stripe_upsert(st, "sub_X", "cus_X", reader, "monthly", "active",
                                               now + DAY, 15, NULL),
              STORE_OK);
    CHECK_INT(store_subscription_grant(st, other, "annual", now + DAY), STORE_OK);

    CHECK_INT(store_user_delete(st, reader), STORE_OK);
    CHECK_INT(query_int(&t, "SELECT count(*) FROM subscriptions"), 3);
    CHECK_INT(query_int(&t, "SELECT count(*) FROM subscriptions WHERE user_id IS NULL"), 2);
    CHECK_INT(store_subscription_current(st, a, reader, now, &sub), STORE_NOT_FOUND);
    CHECK_INT(store_subscription_by_stripe_customer(st, a, "cus_X", &sub), STORE_OK);
    CHECK_INT(sub.user_id, 0);
    CHECK_STR(sub.plan_slug, "monthly");
    /* The other reader's grant is untouched, and its one-per-user rule still holds beside the
     * orphaned admin row. */
    CHECK_INT(store_subscription_current(st, a, other, now, &sub), STORE_OK);
    CHECK_INT(sub.user_id, other);
    CHECK_INT(store_subscription_grant(st, other, "monthly", now + DAY), STORE_OK);
    CHECK_INT(query_int(&t, "SELECT count(*) FROM subscriptions"), 3);
    /* A later webhook for the orphaned subscription keeps it without a user. */
    CHECK_INT(store_subscription_stripe_upsert(st, "sub_X", "", 0, "", "canceled", now, 16, NULL),
              STORE_OK);
    CHECK_INT(store_subscription_by_stripe_customer(st, a, "cus_X", &sub), STORE_OK);
    CHECK_INT(sub.user_id, 0);
    CHECK_STR(sub.status, "canceled");
    store_close(st);
out:
    arena_free(a);
    tmpdb_remove(&t);
}

static void test_default_access(void)
{
    struct tmpdb t;
    struct arena *a = arena_new(0);
    int64_t articles[2];
    char buf[64];
    CHECK(tmpdb_make(&t, "paywall") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    save_articles(st, a, articles);
    const char *pub_sql = "SELECT default_access FROM publications WHERE slug = 'nj'";
    const char *sec_sql = "SELECT default_access FROM sections WHERE slug = 'politics'";
    CHECK_STR(query_text(&t, pub_sql, buf, sizeof buf), ""); /* inherit, by default */
    CHECK_STR(query_text(&t, sec_sql, buf, sizeof buf), "");

    int64_t v0 = 0, v1 = 0;
    CHECK_INT(store_change_seq(st, &v0), STORE_OK);
    CHECK_INT(store_publication_set_default_access(st, "nj", "subscribers"), STORE_OK);
    CHECK_STR(query_text(&t, pub_sql, buf, sizeof buf), "subscribers");
    CHECK_INT(store_change_seq(st, &v1), STORE_OK);
    CHECK_INT(v1, v0); /* defaults are read by imports only: no page shows them */
    CHECK_INT(store_section_set_default_access(st, "politics", "free"), STORE_OK);
    CHECK_STR(query_text(&t, sec_sql, buf, sizeof buf), "free");

    CHECK_INT(store_publication_set_default_access(st, "nj", ""), STORE_OK);
    CHECK_STR(query_text(&t, pub_sql, buf, sizeof buf), "");
    CHECK_INT(store_section_set_default_access(st, "politics", NULL), STORE_OK);
    CHECK_STR(query_text(&t, sec_sql, buf, sizeof buf), "");

    CHECK_INT(store_publication_set_default_access(st, "nj", "premium"), STORE_ERROR);
    CHECK_INT(store_section_set_default_access(st, "politics", "Free"), STORE_ERROR);
    CHECK_INT(store_publication_set_default_access(st, "nobody", "free"), STORE_NOT_FOUND);
    CHECK_INT(store_section_set_default_access(st, "nobody", ""), STORE_NOT_FOUND);
    CHECK_STR(query_text(&t, pub_sql, buf, sizeof buf), "");

    /* Saving a publication again (an import) keeps its default. */
    char err[256];
    struct publication nj = {.slug = "nj", .name = "National Journal", .is_host = 1};
    CHECK_INT(store_publication_set_default_access(st, "nj", "metered"), STORE_OK);
    CHECK_INT(store_publication_save(st, &nj, err, sizeof err), STORE_OK);
    CHECK_STR(query_text(&t, pub_sql, buf, sizeof buf), "metered");
    store_close(st);
out:
    arena_free(a);
    tmpdb_remove(&t);
}

/* Every query that reads a publication or a section reads its default_access ("" for inherit),
 * and the columns after it in a joined article row are still read from the right place. */
static void test_default_access_read(void)
{
    struct tmpdb t;
    struct arena *a = arena_new(0);
    int64_t ids[2];
    struct publication p, *pubs;
    struct section sec, *secs;
    struct article art, *list;
    size_t n;
    CHECK(tmpdb_make(&t, "paywall") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    save_articles(st, a, ids);
    CHECK_INT(store_publication_by_slug(st, a, "nj", &p), STORE_OK);
    CHECK_STR(p.default_access, "");
    CHECK_INT(store_section_by_slug(st, a, "politics", &sec), STORE_OK);
    CHECK_STR(sec.default_access, "");

    CHECK_INT(store_publication_set_default_access(st, "nj", "subscribers"), STORE_OK);
    CHECK_INT(store_section_set_default_access(st, "politics", "free"), STORE_OK);
    CHECK_INT(store_publication_by_slug(st, a, "nj", &p), STORE_OK);
    CHECK_STR(p.default_access, "subscribers");
    CHECK_INT(p.is_host, 1);
    CHECK_STR(p.name, "National Journal");
    CHECK_INT(store_section_by_slug(st, a, "politics", &sec), STORE_OK);
    CHECK_STR(sec.default_access, "free");
    CHECK_INT(sec.position, 1);
    CHECK_INT(store_publications(st, a, &pubs, &n), STORE_OK);
    CHECK_INT(n, 1);
    if (n == 1)
        CHECK_STR(pubs[0].default_access, "subscribers");
    CHECK_INT(store_sections(st, a, &secs, &n), STORE_OK);
    CHECK_INT(n, 1);
    if (n == 1)
        CHECK_STR(secs[0].default_access, "free");

    /* The joined article row: the article's own level, then the publication and the section,
     * each whole (a default changes no article: "one" stays metered). */
    CHECK_INT(store_article_by_slug(st, a, "one", &art), STORE_OK);
    CHECK_INT(art.id, ids[0]);
    CHECK_INT(art.access, ACCESS_METERED);
    CHECK_STR(art.body_html, "<p>Body.</p>\n");
    CHECK_STR(art.publication.slug, "nj");
    CHECK_INT(art.publication.is_host, 1);
    CHECK_STR(art.publication.default_access, "subscribers");
    CHECK_INT(art.section.id, sec.id);
    CHECK_STR(art.section.slug, "politics");
    CHECK_STR(art.section.name, "Politics");
    CHECK_INT(art.section.position, 1);
    CHECK_STR(art.section.default_access, "free");
    struct article_query q = {.section_id = sec.id};
    CHECK_INT(store_articles_latest(st, a, &q, &list, &n), STORE_OK);
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_STR(list[0].slug, "two");
        CHECK_STR(list[0].publication.default_access, "subscribers");
        CHECK_STR(list[0].section.slug, "politics");
        CHECK_STR(list[0].section.default_access, "free");
    }
    store_close(st);
out:
    arena_free(a);
    tmpdb_remove(&t);
}

static void test_paywall_version_across_processes(void)
{
    struct tmpdb t;
    CHECK(tmpdb_make(&t, "paywall") == 0);
    struct store *server = open_store(&t);
    struct store *shell = server ? open_store(&t) : NULL; /* `broadsheet org add` beside it */
    if (!server || !shell)
        goto out;
    int64_t seen = paywall_version(server);
    CHECK_INT(seen, 0); /* a fresh database */
    CHECK_INT(store_org_save(shell, "uni", "Example University", 0, NULL), STORE_OK);
    int64_t now_seen = paywall_version(server);
    CHECK(now_seen > seen);
    seen = now_seen;
    CHECK_INT(store_org_add_range(shell, "uni", "192.0.2.0/24"), STORE_OK);
    CHECK(paywall_version(server) > seen);
    seen = paywall_version(server);
    struct plan p = {.slug = "monthly", .name = "Monthly", .period = "month", .active = 1};
    CHECK_INT(store_plan_save(shell, &p), STORE_OK);
    CHECK(paywall_version(server) > seen);
    CHECK_INT(paywall_version(server), paywall_version(shell));
out:
    store_close(shell);
    store_close(server);
    tmpdb_remove(&t);
}

void suite_paywall_store(void)
{
    RUN(test_plans);
    RUN(test_admin_subscriptions);
    RUN(test_stripe_subscriptions);
    RUN(test_stripe_events);
    RUN(test_stripe_event_order);
    RUN(test_organisations);
    RUN(test_meter);
    RUN(test_meter_take);
    RUN(test_deleted_user_keeps_subscriptions);
    RUN(test_default_access);
    RUN(test_default_access_read);
    RUN(test_paywall_version_across_processes);
}
