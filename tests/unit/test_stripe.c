/*
 * test_stripe.c: tests of stripe.h. Signatures: a header made as Stripe makes it passes; several
 * v1 values with one right, fields in another order, extra schemes and spaces pass; a wrong
 * secret, a body changed by one byte, a missing t or v1, bad hex, and a time outside the
 * tolerance either way each fail with their own result. Events, each on a fresh database with a
 * reader and plans: the four handled types change the subscription as stripe.h says (both
 * places of current_period_end, both places of an invoice's subscription); a repeated id is a
 * duplicate and changes nothing; an unknown type is ignored but recorded; malformed events are
 * refused before anything is recorded, so a later valid event with the same id still acts; a
 * store failure forgets the id again, so Stripe's retry acts.
 * The API calls: refused without a key, over plain http to another host, and on a connection
 * failure, never with the key in the error.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "check.h"
#include "config.h"
#include "store.h"
#include "stripe.h"
#include "test_support.h"
#include "util.h"

#define SECRET "whsec_test_5WbX5kEWLlfzsGNjH64I8lOOqUB6e8FH"
#define NOW 1750000000
#define DAY 86400

/* --- signatures ------------------------------------------------------------------------------ */

/* Hex HMAC-SHA256 of "t.payload" under secret, as Stripe computes a v1 signature, into hex
 * (65 bytes). */
static void sign(const char *secret, long long t, const char *payload, char hex[65])
{
    char *signed_payload = NULL;
    CHECK(asprintf(&signed_payload, "%lld.%s", t, payload) > 0);
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)signed_payload,
                                  strlen(signed_payload));
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(hex, 65, mac, sizeof mac);
    free(signed_payload);
}

/* stripe_verify_signature on a NUL-terminated payload at NOW with a 300 s tolerance. */
static int verify(const char *payload, const char *header, const char *secret)
{
    return stripe_verify_signature(payload, strlen(payload), header, secret, NOW, 300);
}

static const char *const PAYLOAD =
    "{\n  \"id\": \"evt_1\",\n  \"object\": \"event\",\n  \"type\": \"customer.created\"\n}";

static void test_signature_valid(void)
{
    char hex[65], header[256];
    sign(SECRET, NOW, PAYLOAD, hex);
    snprintf(header, sizeof header, "t=%d,v1=%s", NOW, hex);
    CHECK_INT(verify(PAYLOAD, header, SECRET), STRIPE_SIG_OK);
    /* Upper-case hex is the same signature. */
    char upper[65];
    for (int i = 0; i < 65; i++)
        upper[i] = (char)(hex[i] >= 'a' && hex[i] <= 'f' ? hex[i] - 32 : hex[i]);
    snprintf(header, sizeof header, "t=%d,v1=%s", NOW, upper);
    CHECK_INT(verify(PAYLOAD, header, SECRET), STRIPE_SIG_OK);
    /* Inside the tolerance, either way. */
    sign(SECRET, NOW - 300, PAYLOAD, hex);
    snprintf(header, sizeof header, "t=%d,v1=%s", NOW - 300, hex);
    CHECK_INT(verify(PAYLOAD, header, SECRET), STRIPE_SIG_OK);
    sign(SECRET, NOW + 300, PAYLOAD, hex);
    snprintf(header, sizeof header, "t=%d,v1=%s", NOW + 300, hex);
    CHECK_INT(verify(PAYLOAD, header, SECRET), STRIPE_SIG_OK);
    /* An empty body can be signed too. */
    sign(SECRET, NOW, "", hex);
    snprintf(header, sizeof header, "t=%d,v1=%s", NOW, hex);
    CHECK_INT(stripe_verify_signature("", 0, header, SECRET, NOW, 300), STRIPE_SIG_OK);
}

static void test_signature_multiple_and_order(void)
{
    char good[65], other[65], header[512];
    sign(SECRET, NOW, PAYLOAD, good);
    sign("whsec_old_secret", NOW, PAYLOAD, other);
    /* During a secret rotation Stripe sends one v1 per secret: either may be ours. */
    snprintf(header, sizeof header, "t=%d,v1=%s,v1=%s", NOW, other, good);
    CHECK_INT(verify(PAYLOAD, header, SECRET), STRIPE_SIG_OK);
    snprintf(header, sizeof header, "t=%d,v1=%s,v1=%s", NOW, good, other);
    CHECK_INT(verify(PAYLOAD, header, SECRET), STRIPE_SIG_OK);
    /* Any order, other schemes ignored, spaces after commas tolerated. */
    snprintf(header, sizeof header, "v0=%s,v1=%s,t=%d", other, good, NOW);
    CHECK_INT(verify(PAYLOAD, header, SECRET), STRIPE_SIG_OK);
    snprintf(header, sizeof header, "v1=%s, t=%d, v0=deadbeef, x=1", good, NOW);
    CHECK_INT(verify(PAYLOAD, header, SECRET), STRIPE_SIG_OK);
    /* A v0 (test-mode legacy scheme) that matches does not count: only v1 does. */
    snprintf(header, sizeof header, "t=%d,v0=%s,v1=%s", NOW, good, other);
    CHECK_INT(verify(PAYLOAD, header, SECRET), STRIPE_SIG_MISMATCH);
}

static void test_signature_mismatch(void)
{
    char hex[65], header[256];
    sign(SECRET, NOW, PAYLOAD, hex);
    snprintf(header, sizeof header, "t=%d,v1=%s", NOW, hex);
    /* Wrong secret; the secret without its whsec_ prefix (Stripe keys the HMAC with all of
     * it). */
    CHECK_INT(verify(PAYLOAD, header, "whsec_another"), STRIPE_SIG_MISMATCH);
    CHECK_INT(verify(PAYLOAD, header, SECRET + 6), STRIPE_SIG_MISMATCH);
    /* The body changed by one byte, or cut short by one. */
    char changed[256];
    snprintf(changed, sizeof changed, "%s", PAYLOAD);
    changed[10] ^= 1;
    CHECK_INT(verify(changed, header, SECRET), STRIPE_SIG_MISMATCH);
    CHECK_INT(stripe_verify_signature(PAYLOAD, strlen(PAYLOAD) - 1, header, SECRET, NOW, 300),
              STRIPE_SIG_MISMATCH);
    /* The signature of another time: t is part of what is signed. */
    snprintf(header, sizeof header, "t=%d,v1=%s", NOW + 1, hex);
    CHECK_INT(verify(PAYLOAD, header, SECRET), STRIPE_SIG_MISMATCH);
    /* One hex digit changed. */
    snprintf(header, sizeof header, "t=%d,v1=%s", NOW, hex);
    char *digit = strstr(header, "v1=") + 3;
    *digit = *digit == '0' ? '1' : '0';
    CHECK_INT(verify(PAYLOAD, header, SECRET), STRIPE_SIG_MISMATCH);
}

static void test_signature_missing_and_malformed(void)
{
    char hex[65], header[256];
    sign(SECRET, NOW, PAYLOAD, hex);
    CHECK_INT(verify(PAYLOAD, NULL, SECRET), STRIPE_SIG_MISSING);
    CHECK_INT(verify(PAYLOAD, "", SECRET), STRIPE_SIG_MISSING);
    /* No t. */
    snprintf(header, sizeof header, "v1=%s", hex);
    CHECK_INT(verify(PAYLOAD, header, SECRET), STRIPE_SIG_MALFORMED);
    /* No v1 (only another scheme). */
    snprintf(header, sizeof header, "t=%d,v0=%s", NOW, hex);
    CHECK_INT(verify(PAYLOAD, header, SECRET), STRIPE_SIG_MALFORMED);
    snprintf(header, sizeof header, "t=%d", NOW);
    CHECK_INT(verify(PAYLOAD, header, SECRET), STRIPE_SIG_MALFORMED);
    CHECK_INT(verify(PAYLOAD, "garbage", SECRET), STRIPE_SIG_MALFORMED);
    /* t not a number, negative, or given twice. */
    snprintf(header, sizeof header, "t=12x4,v1=%s", hex);
    CHECK_INT(verify(PAYLOAD, header, SECRET), STRIPE_SIG_MALFORMED);
    snprintf(header, sizeof header, "t=-%d,v1=%s", NOW, hex);
    CHECK_INT(verify(PAYLOAD, header, SECRET), STRIPE_SIG_MALFORMED);
    snprintf(header, sizeof header, "t=,v1=%s", hex);
    CHECK_INT(verify(PAYLOAD, header, SECRET), STRIPE_SIG_MALFORMED);
    snprintf(header, sizeof header, "t=%d,t=%d,v1=%s", NOW, NOW, hex);
    CHECK_INT(verify(PAYLOAD, header, SECRET), STRIPE_SIG_MALFORMED);
    /* Bad hex: a non-hex digit, too short, too long. */
    char bad[65];
    snprintf(bad, sizeof bad, "%s", hex);
    bad[5] = 'g';
    snprintf(header, sizeof header, "t=%d,v1=%s", NOW, bad);
    CHECK_INT(verify(PAYLOAD, header, SECRET), STRIPE_SIG_MALFORMED);
    snprintf(header, sizeof header, "t=%d,v1=%.62s", NOW, hex);
    CHECK_INT(verify(PAYLOAD, header, SECRET), STRIPE_SIG_MALFORMED);
    snprintf(header, sizeof header, "t=%d,v1=%s00", NOW, hex);
    CHECK_INT(verify(PAYLOAD, header, SECRET), STRIPE_SIG_MALFORMED);
    /* A bad v1 beside a good one does not spoil it. */
    snprintf(header, sizeof header, "t=%d,v1=%s,v1=%s", NOW, bad, hex);
    CHECK_INT(verify(PAYLOAD, header, SECRET), STRIPE_SIG_OK);
    CHECK(strlen(stripe_signature_reason(STRIPE_SIG_STALE)) > 0);
}

static void test_signature_stale(void)
{
    char hex[65], header[256];
    /* Signed 301 s ago, or 301 s ahead: outside a 300 s window. */
    sign(SECRET, NOW - 301, PAYLOAD, hex);
    snprintf(header, sizeof header, "t=%d,v1=%s", NOW - 301, hex);
    CHECK_INT(verify(PAYLOAD, header, SECRET), STRIPE_SIG_STALE);
    sign(SECRET, NOW + 301, PAYLOAD, hex);
    snprintf(header, sizeof header, "t=%d,v1=%s", NOW + 301, hex);
    CHECK_INT(verify(PAYLOAD, header, SECRET), STRIPE_SIG_STALE);
    sign(SECRET, 0, PAYLOAD, hex);
    snprintf(header, sizeof header, "t=0,v1=%s", hex);
    CHECK_INT(verify(PAYLOAD, header, SECRET), STRIPE_SIG_STALE);
    /* A stale forgery is a mismatch: the signature is checked first. */
    snprintf(header, sizeof header, "t=%d,v1=%s", NOW - 301, hex);
    CHECK_INT(verify(PAYLOAD, header, SECRET), STRIPE_SIG_MISMATCH);
    /* A wider tolerance accepts it. */
    sign(SECRET, NOW - 301, PAYLOAD, hex);
    snprintf(header, sizeof header, "t=%d,v1=%s", NOW - 301, hex);
    CHECK_INT(stripe_verify_signature(PAYLOAD, strlen(PAYLOAD), header, SECRET, NOW, 600),
              STRIPE_SIG_OK);
}

/* --- events ---------------------------------------------------------------------------------- */

/* A temporary database with a store on it, a reader and three plans. */
struct fixture {
    struct tmpdb t;
    struct store *st;
    struct arena *a;
    int64_t user_id;
};

/* Makes the fixture: reader "reader@example.test", plans monthly (price_month), annual
 * (price_year) and institutional (contact). Returns 0 or -1 (with a failed check). */
static int fixture_open(struct fixture *f)
{
    memset(f, 0, sizeof *f);
    if (tmpdb_make(&f->t, "stripe") < 0) {
        CHECK(!"tmpdb_make");
        return -1;
    }
    char err[256] = "";
    f->st = store_open(f->t.path, err, sizeof err);
    if (!f->st) {
        fprintf(stderr, "    store_open: %s\n", err);
        CHECK(f->st != NULL);
        return -1;
    }
    f->a = arena_new(0);
    CHECK_INT(
        store_user_create(f->st, "reader@example.test", "A Reader", "", ROLE_READER, &f->user_id),
        STORE_OK);
    struct plan monthly = {.slug = "monthly",
                           .name = "Monthly",
                           .period = "month",
                           .price_cents = 1500,
                           .stripe_price_id = "price_month",
                           .active = 1};
    struct plan annual = {.slug = "annual",
                          .name = "Annual",
                          .period = "year",
                          .price_cents = 15000,
                          .stripe_price_id = "price_year",
                          .active = 1};
    struct plan institutional = {
        .slug = "institutional", .name = "Institutions", .period = "contact", .active = 1};
    CHECK_INT(store_plan_save(f->st, &monthly), STORE_OK);
    CHECK_INT(store_plan_save(f->st, &annual), STORE_OK);
    CHECK_INT(store_plan_save(f->st, &institutional), STORE_OK);
    return 0;
}

static void fixture_close(struct fixture *f)
{
    if (f->st)
        store_close(f->st);
    arena_free(f->a);
    tmpdb_remove(&f->t);
}

/* An integer query on the fixture's database, on its own connection (-1 for none). */
static long long query_int(struct fixture *f, const char *sql)
{
    return tdb_int(&f->t, sql);
}

/* Runs stripe_handle_event on a NUL-terminated payload at now. */
static int handle(struct fixture *f, const char *payload, int64_t now)
{
    char err[256] = "";
    int rc = stripe_handle_event(f->st, payload, strlen(payload), now, err, sizeof err);
    if ((rc == STRIPE_EVENT_MALFORMED || rc == STRIPE_EVENT_FAILED) && !*err)
        CHECK(!"a refused event has no reason");
    return rc;
}

/* The Stripe subscription of customer cus into *out (STORE_OK expected). */
static int by_customer(struct fixture *f, const char *cus, struct subscription *out)
{
    return store_subscription_by_stripe_customer(f->st, f->a, cus, out);
}

/* An event document of type with data.object object (JSON text). Into out (size bytes). */
static const char *event(char *out, size_t size, const char *id, const char *type,
                         const char *object)
{
    snprintf(out, size,
             "{\"id\":\"%s\",\"object\":\"event\",\"api_version\":\"2024-06-20\","
             "\"created\":%d,\"livemode\":false,\"pending_webhooks\":1,\"type\":\"%s\","
             "\"data\":{\"object\":%s}}",
             id, NOW, type, object);
    return out;
}

/* A checkout.session.completed object for user id user_text and plan. */
static const char *checkout_object(char *out, size_t size, const char *user_text, const char *plan,
                                   const char *sub)
{
    snprintf(out, size,
             "{\"id\":\"cs_test_1\",\"object\":\"checkout.session\",\"mode\":\"subscription\","
             "\"client_reference_id\":%s,\"customer\":\"cus_A\",\"customer_email\":"
             "\"reader@example.test\",\"payment_status\":\"paid\",\"status\":\"complete\","
             "\"subscription\":\"%s\",\"metadata\":{\"plan\":\"%s\"}}",
             user_text, sub, plan);
    return out;
}

static void test_event_checkout_completed(void)
{
    struct fixture f;
    if (fixture_open(&f) < 0)
        goto out;
    char object[1024], doc[2048], user[40];
    snprintf(user, sizeof user, "\"%lld\"", (long long)f.user_id);

    checkout_object(object, sizeof object, user, "monthly", "sub_A");
    CHECK_INT(
        handle(&f, event(doc, sizeof doc, "evt_c1", "checkout.session.completed", object), NOW),
        STRIPE_EVENT_PROCESSED);
    struct subscription s;
    CHECK_INT(by_customer(&f, "cus_A", &s), STORE_OK);
    CHECK_INT(s.user_id, f.user_id);
    CHECK_STR(s.plan_slug, "monthly");
    CHECK_STR(s.status, "active");
    CHECK_INT(s.current_period_end, NOW + 31 * DAY);
    CHECK_STR(s.stripe_subscription_id, "sub_A");
    CHECK_STR(s.source, "stripe");
    /* The reader's current subscription is this one. */
    struct subscription cur;
    CHECK_INT(store_subscription_current(f.st, f.a, f.user_id, NOW, &cur), STORE_OK);
    CHECK_STR(cur.stripe_subscription_id, "sub_A");

    /* An annual plan runs 366 days; the event is recorded under its type. */
    checkout_object(object, sizeof object, user, "annual", "sub_B");
    event(doc, sizeof doc, "evt_c2", "checkout.session.completed", object);
    char *cus = strstr(doc, "cus_A");
    cus[4] = 'B';
    CHECK_INT(handle(&f, doc, NOW), STRIPE_EVENT_PROCESSED);
    CHECK_INT(by_customer(&f, "cus_B", &s), STORE_OK);
    CHECK_STR(s.plan_slug, "annual");
    CHECK_INT(s.current_period_end, NOW + 366 * DAY);
    CHECK_INT(query_int(&f, "SELECT count(*) FROM stripe_events WHERE id = 'evt_c2' AND "
                            "type = 'checkout.session.completed'"),
              1);

    /* A one-off payment session: acknowledged, nothing saved. */
    CHECK_INT(handle(&f,
                     event(doc, sizeof doc, "evt_c3", "checkout.session.completed",
                           "{\"mode\":\"payment\",\"customer\":\"cus_C\",\"subscription\":null}"),
                     NOW),
              STRIPE_EVENT_IGNORED);
    CHECK_INT(query_int(&f, "SELECT count(*) FROM subscriptions"), 2);
out:
    fixture_close(&f);
}

/* A customer.subscription.updated object. period_end_field: the JSON for where the end is. */
static const char *subscription_object(char *out, size_t size, const char *status,
                                       const char *price, const char *top_level_end,
                                       const char *item_end)
{
    snprintf(out, size,
             "{\"id\":\"sub_A\",\"object\":\"subscription\",\"customer\":\"cus_A\","
             "\"status\":\"%s\",%s\"items\":{\"object\":\"list\",\"data\":[{\"id\":\"si_1\","
             "\"object\":\"subscription_item\",%s\"price\":{\"id\":\"%s\",\"object\":\"price\"}"
             "}]},\"metadata\":{\"plan\":\"monthly\"}}",
             status, top_level_end, item_end, price);
    return out;
}

static void test_event_subscription_updated(void)
{
    struct fixture f;
    if (fixture_open(&f) < 0)
        goto out;
    char object[1024], doc[2048], user[40];
    snprintf(user, sizeof user, "\"%lld\"", (long long)f.user_id);
    checkout_object(object, sizeof object, user, "monthly", "sub_A");
    CHECK_INT(
        handle(&f, event(doc, sizeof doc, "evt_1", "checkout.session.completed", object), NOW),
        STRIPE_EVENT_PROCESSED);

    /* The real end (on the subscription, as before API 2025-03-31), and a plan switched to
     * annual's price. */
    subscription_object(object, sizeof object, "active", "price_year",
                        "\"current_period_end\":1760000000,", "");
    CHECK_INT(
        handle(&f, event(doc, sizeof doc, "evt_2", "customer.subscription.updated", object), NOW),
        STRIPE_EVENT_PROCESSED);
    struct subscription s;
    CHECK_INT(by_customer(&f, "cus_A", &s), STORE_OK);
    CHECK_STR(s.status, "active");
    CHECK_INT(s.current_period_end, 1760000000);
    CHECK_STR(s.plan_slug, "annual");
    CHECK_INT(s.user_id, f.user_id); /* kept */

    /* The end on the item (newer API versions); an unknown price keeps the plan; each of
     * Stripe's statuses maps onto ours. */
    static const struct {
        const char *stripe, *ours;
    } statuses[] = {
        {"trialing", "active"},   {"past_due", "past_due"},
        {"unpaid", "past_due"},   {"incomplete", "past_due"},
        {"paused", "past_due"},   {"active", "active"},
        {"canceled", "canceled"}, {"incomplete_expired", "canceled"},
    };
    for (size_t i = 0; i < ARRAY_LEN(statuses); i++) {
        char id[32];
        snprintf(id, sizeof id, "evt_s%zu", i);
        subscription_object(object, sizeof object, statuses[i].stripe, "price_elsewhere", "",
                            "\"current_period_end\":1770000000,");
        CHECK_INT(
            handle(&f, event(doc, sizeof doc, id, "customer.subscription.updated", object), NOW),
            STRIPE_EVENT_PROCESSED);
        CHECK_INT(by_customer(&f, "cus_A", &s), STORE_OK);
        CHECK_STR(s.status, statuses[i].ours);
        CHECK_INT(s.current_period_end, 1770000000);
        CHECK_STR(s.plan_slug, "annual");
    }

    /* An update for a subscription not seen yet (events arrive in any order): a row without a
     * user, which checkout.session.completed fills in later. */
    snprintf(object, sizeof object,
             "{\"id\":\"sub_Z\",\"customer\":\"cus_Z\",\"status\":\"active\","
             "\"current_period_end\":1780000000,\"items\":{\"data\":[{\"price\":{\"id\":"
             "\"price_month\"}}]}}");
    CHECK_INT(
        handle(&f, event(doc, sizeof doc, "evt_z1", "customer.subscription.updated", object), NOW),
        STRIPE_EVENT_PROCESSED);
    CHECK_INT(by_customer(&f, "cus_Z", &s), STORE_OK);
    CHECK_INT(s.user_id, 0);
    CHECK_STR(s.plan_slug, "monthly");
    checkout_object(object, sizeof object, user, "monthly", "sub_Z");
    event(doc, sizeof doc, "evt_z2", "checkout.session.completed", object);
    memcpy(strstr(doc, "cus_A"), "cus_Z", 5);
    CHECK_INT(handle(&f, doc, NOW), STRIPE_EVENT_PROCESSED);
    CHECK_INT(by_customer(&f, "cus_Z", &s), STORE_OK);
    CHECK_INT(s.user_id, f.user_id);
out:
    fixture_close(&f);
}

static void test_event_subscription_deleted(void)
{
    struct fixture f;
    if (fixture_open(&f) < 0)
        goto out;
    char object[1024], doc[2048], user[40];
    snprintf(user, sizeof user, "\"%lld\"", (long long)f.user_id);
    checkout_object(object, sizeof object, user, "monthly", "sub_A");
    CHECK_INT(
        handle(&f, event(doc, sizeof doc, "evt_1", "checkout.session.completed", object), NOW),
        STRIPE_EVENT_PROCESSED);
    CHECK_INT(handle(&f,
                     event(doc, sizeof doc, "evt_2", "customer.subscription.deleted",
                           "{\"id\":\"sub_A\",\"object\":\"subscription\",\"customer\":"
                           "\"cus_A\",\"status\":\"canceled\",\"ended_at\":1750001234}"),
                     NOW + 10),
              STRIPE_EVENT_PROCESSED);
    struct subscription s;
    CHECK_INT(by_customer(&f, "cus_A", &s), STORE_OK);
    CHECK_STR(s.status, "canceled");
    CHECK_INT(s.current_period_end, 1750001234);
    CHECK_STR(s.plan_slug, "monthly");
    CHECK_INT(s.user_id, f.user_id);
    /* Without ended_at the subscription ends now. */
    CHECK_INT(handle(&f,
                     event(doc, sizeof doc, "evt_3", "customer.subscription.deleted",
                           "{\"id\":\"sub_A\",\"customer\":\"cus_A\",\"ended_at\":null}"),
                     NOW + 99),
              STRIPE_EVENT_PROCESSED);
    CHECK_INT(by_customer(&f, "cus_A", &s), STORE_OK);
    CHECK_INT(s.current_period_end, NOW + 99);
out:
    fixture_close(&f);
}

static void test_event_payment_failed(void)
{
    struct fixture f;
    if (fixture_open(&f) < 0)
        goto out;
    char object[1024], doc[2048], user[40];
    snprintf(user, sizeof user, "\"%lld\"", (long long)f.user_id);
    checkout_object(object, sizeof object, user, "monthly", "sub_A");
    CHECK_INT(
        handle(&f, event(doc, sizeof doc, "evt_1", "checkout.session.completed", object), NOW),
        STRIPE_EVENT_PROCESSED);
    CHECK_INT(handle(&f,
                     event(doc, sizeof doc, "evt_2", "invoice.payment_failed",
                           "{\"id\":\"in_1\",\"object\":\"invoice\",\"customer\":\"cus_A\","
                           "\"subscription\":\"sub_A\",\"attempt_count\":1}"),
                     NOW + 5 * DAY),
              STRIPE_EVENT_PROCESSED);
    struct subscription s;
    CHECK_INT(by_customer(&f, "cus_A", &s), STORE_OK);
    CHECK_STR(s.status, "past_due");
    CHECK_INT(s.current_period_end, NOW + 31 * DAY); /* kept */
    CHECK_STR(s.plan_slug, "monthly");

    /* Newer API versions: parent.subscription_details.subscription. */
    subscription_object(object, sizeof object, "active", "price_month",
                        "\"current_period_end\":1760000000,", "");
    CHECK_INT(
        handle(&f, event(doc, sizeof doc, "evt_3", "customer.subscription.updated", object), NOW),
        STRIPE_EVENT_PROCESSED);
    CHECK_INT(handle(&f,
                     event(doc, sizeof doc, "evt_4", "invoice.payment_failed",
                           "{\"id\":\"in_2\",\"customer\":\"cus_A\",\"parent\":{\"type\":"
                           "\"subscription_details\",\"subscription_details\":{"
                           "\"subscription\":\"sub_A\"}}}"),
                     NOW),
              STRIPE_EVENT_PROCESSED);
    CHECK_INT(by_customer(&f, "cus_A", &s), STORE_OK);
    CHECK_STR(s.status, "past_due");
    CHECK_INT(s.current_period_end, 1760000000);

    /* An invoice without a subscription (a one-off): acknowledged, nothing changed. */
    CHECK_INT(handle(&f,
                     event(doc, sizeof doc, "evt_5", "invoice.payment_failed",
                           "{\"id\":\"in_3\",\"customer\":\"cus_A\",\"subscription\":null}"),
                     NOW),
              STRIPE_EVENT_IGNORED);
    CHECK_INT(query_int(&f, "SELECT count(*) FROM subscriptions"), 1);
out:
    fixture_close(&f);
}

static void test_event_duplicate_and_unknown(void)
{
    struct fixture f;
    if (fixture_open(&f) < 0)
        goto out;
    char object[1024], doc[2048], again[2048], user[40];
    snprintf(user, sizeof user, "\"%lld\"", (long long)f.user_id);
    checkout_object(object, sizeof object, user, "monthly", "sub_A");
    CHECK_INT(
        handle(&f, event(doc, sizeof doc, "evt_1", "checkout.session.completed", object), NOW),
        STRIPE_EVENT_PROCESSED);
    subscription_object(object, sizeof object, "active", "price_month",
                        "\"current_period_end\":1760000000,", "");
    CHECK_INT(
        handle(&f, event(doc, sizeof doc, "evt_2", "customer.subscription.updated", object), NOW),
        STRIPE_EVENT_PROCESSED);
    long long updated = query_int(&f, "SELECT updated_at FROM subscriptions");

    /* The same id again, even with another body: nothing happens. */
    CHECK_INT(handle(&f, doc, NOW), STRIPE_EVENT_DUPLICATE);
    subscription_object(object, sizeof object, "canceled", "price_year",
                        "\"current_period_end\":1,", "");
    CHECK_INT(handle(&f,
                     event(again, sizeof again, "evt_2", "customer.subscription.updated", object),
                     NOW),
              STRIPE_EVENT_DUPLICATE);
    struct subscription s;
    CHECK_INT(by_customer(&f, "cus_A", &s), STORE_OK);
    CHECK_STR(s.status, "active");
    CHECK_INT(s.current_period_end, 1760000000);
    CHECK_STR(s.plan_slug, "monthly");
    CHECK_INT(query_int(&f, "SELECT updated_at FROM subscriptions"), updated);

    /* An unknown type: acknowledged and recorded, so its repeat is a duplicate. */
    CHECK_INT(handle(&f,
                     event(doc, sizeof doc, "evt_3", "customer.created",
                           "{\"id\":\"cus_A\",\"object\":\"customer\"}"),
                     NOW),
              STRIPE_EVENT_IGNORED);
    CHECK_INT(query_int(&f, "SELECT count(*) FROM stripe_events WHERE id = 'evt_3'"), 1);
    CHECK_INT(handle(&f, doc, NOW), STRIPE_EVENT_DUPLICATE);
    CHECK_INT(query_int(&f, "SELECT count(*) FROM subscriptions"), 1);
out:
    fixture_close(&f);
}

static void test_event_malformed(void)
{
    struct fixture f;
    if (fixture_open(&f) < 0)
        goto out;
    char user[40], object[1024], doc[2048];
    snprintf(user, sizeof user, "\"%lld\"", (long long)f.user_id);
    static const char *const bad[] = {
        "",
        "not json",
        "{\"id\":\"evt_m\",\"type\":\"checkout.session.completed\",\"data\":{\"object\":{}}",
        "[1,2,3]",
        "\"evt_m\"",
        /* missing or wrongly typed id, type, data, data.object */
        "{\"type\":\"customer.subscription.deleted\",\"data\":{\"object\":{\"id\":\"sub_A\"}}}",
        "{\"id\":\"\",\"type\":\"customer.subscription.deleted\",\"data\":{\"object\":{\"id\":"
        "\"sub_A\"}}}",
        "{\"id\":42,\"type\":\"customer.subscription.deleted\",\"data\":{\"object\":{\"id\":"
        "\"sub_A\"}}}",
        "{\"id\":\"evt_m\",\"data\":{\"object\":{\"id\":\"sub_A\"}}}",
        "{\"id\":\"evt_m\",\"type\":[],\"data\":{\"object\":{}}}",
        "{\"id\":\"evt_m\",\"type\":\"customer.created\"}",
        "{\"id\":\"evt_m\",\"type\":\"customer.created\",\"data\":\"x\"}",
        "{\"id\":\"evt_m\",\"type\":\"customer.created\",\"data\":{\"object\":null}}",
        "{\"id\":\"evt_m\",\"type\":\"customer.created\",\"data\":{\"object\":[]}}",
        /* fields of the handled types with the wrong type, or missing */
        "{\"id\":\"evt_m\",\"type\":\"customer.subscription.updated\",\"data\":{\"object\":{"
        "\"id\":\"sub_A\",\"status\":\"active\"}}}",
        "{\"id\":\"evt_m\",\"type\":\"customer.subscription.updated\",\"data\":{\"object\":{"
        "\"id\":\"sub_A\",\"status\":\"active\",\"current_period_end\":\"soon\"}}}",
        "{\"id\":\"evt_m\",\"type\":\"customer.subscription.updated\",\"data\":{\"object\":{"
        "\"id\":\"sub_A\",\"status\":7,\"current_period_end\":1}}}",
        "{\"id\":\"evt_m\",\"type\":\"customer.subscription.updated\",\"data\":{\"object\":{"
        "\"status\":\"active\",\"current_period_end\":1}}}",
        "{\"id\":\"evt_m\",\"type\":\"customer.subscription.updated\",\"data\":{\"object\":{"
        "\"id\":\"sub_A\",\"status\":\"active\",\"items\":{\"data\":{}}}}}",
        "{\"id\":\"evt_m\",\"type\":\"customer.subscription.deleted\",\"data\":{\"object\":{"
        "\"id\":\"sub_A\",\"ended_at\":\"yesterday\"}}}",
        "{\"id\":\"evt_m\",\"type\":\"checkout.session.completed\",\"data\":{\"object\":{"
        "\"mode\":\"subscription\",\"subscription\":\"sub_A\",\"client_reference_id\":5}}}",
        "{\"id\":\"evt_m\",\"type\":\"checkout.session.completed\",\"data\":{\"object\":{"
        "\"mode\":\"subscription\",\"subscription\":\"sub_A\",\"client_reference_id\":\"x1\"}}}",
        "{\"id\":\"evt_m\",\"type\":\"checkout.session.completed\",\"data\":{\"object\":{"
        "\"mode\":\"subscription\",\"subscription\":\"sub_A\",\"metadata\":{\"plan\":1}}}}",
        "{\"id\":\"evt_m\",\"type\":\"invoice.payment_failed\",\"data\":{\"object\":{"
        "\"subscription\":{\"id\":\"sub_A\"}}}}",
        /* a duplicate key: which value counts would be the parser's guess */
        "{\"id\":\"evt_m\",\"id\":\"evt_n\",\"type\":\"customer.created\",\"data\":{\"object\":{}}"
        "}",
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        int rc = handle(&f, bad[i], NOW);
        if (rc != STRIPE_EVENT_MALFORMED)
            fprintf(stderr, "    malformed body %zu: %s\n", i, bad[i]);
        CHECK_INT(rc, STRIPE_EVENT_MALFORMED);
    }
    CHECK_INT(stripe_handle_event(f.st, NULL, 0, NOW, NULL, 0), STRIPE_EVENT_MALFORMED);
    /* Bytes after a NUL are not ignored: the length is what counts. */
    CHECK_INT(stripe_handle_event(f.st, "{}\0{}", 5, NOW, NULL, 0), STRIPE_EVENT_MALFORMED);
    CHECK_INT(query_int(&f, "SELECT count(*) FROM stripe_events"), 0);
    CHECK_INT(query_int(&f, "SELECT count(*) FROM subscriptions"), 0);

    /* Nothing was recorded, so a valid event with the same id is processed. */
    checkout_object(object, sizeof object, user, "monthly", "sub_A");
    CHECK_INT(
        handle(&f, event(doc, sizeof doc, "evt_m", "checkout.session.completed", object), NOW),
        STRIPE_EVENT_PROCESSED);
    struct subscription s;
    CHECK_INT(by_customer(&f, "cus_A", &s), STORE_OK);
    CHECK_STR(s.status, "active");
out:
    fixture_close(&f);
}

/* A user deleted between paying and the webhook: the subscription is kept without a user. */
static void test_event_deleted_user(void)
{
    struct fixture f;
    if (fixture_open(&f) < 0)
        goto out;
    char object[1024], doc[2048];
    checkout_object(object, sizeof object, "\"999999\"", "monthly", "sub_A");
    CHECK_INT(
        handle(&f, event(doc, sizeof doc, "evt_1", "checkout.session.completed", object), NOW),
        STRIPE_EVENT_PROCESSED);
    struct subscription s;
    CHECK_INT(by_customer(&f, "cus_A", &s), STORE_OK);
    CHECK_INT(s.user_id, 0);
    CHECK_STR(s.status, "active");
out:
    fixture_close(&f);
}

/* A store failure while saving: FAILED, nothing recorded (the id and the change are one
 * transaction), so Stripe's retry is processed. */
static void test_event_store_failure(void)
{
    struct fixture f;
    if (fixture_open(&f) < 0)
        goto out;
    char object[1024], doc[2048], user[40];
    snprintf(user, sizeof user, "\"%lld\"", (long long)f.user_id);
    checkout_object(object, sizeof object, user, "monthly", "sub_A");
    event(doc, sizeof doc, "evt_f", "checkout.session.completed", object);
    CHECK_INT(tdb_refuse_inserts(&f.t, "subscriptions"), 0);
    CHECK_INT(handle(&f, doc, NOW), STRIPE_EVENT_FAILED);
    CHECK_INT(query_int(&f, "SELECT count(*) FROM stripe_events"), 0);
    CHECK_INT(query_int(&f, "SELECT count(*) FROM subscriptions"), 0);
    CHECK_INT(tdb_allow_inserts(&f.t, "subscriptions"), 0);
    CHECK_INT(handle(&f, doc, NOW), STRIPE_EVENT_PROCESSED);
    CHECK_INT(query_int(&f, "SELECT count(*) FROM subscriptions"), 1);
    CHECK_INT(handle(&f, doc, NOW), STRIPE_EVENT_DUPLICATE);
out:
    fixture_close(&f);
}

/* Events in Stripe's order, not the order they arrive in (issue 8, finding 10): a delayed older
 * update does not revive a canceled subscription (STALE, id recorded), an older failed payment
 * changes nothing, at the same second a cancellation wins, and an event without its `created`
 * stamp is malformed. */
static void test_event_order(void)
{
    struct fixture f;
    if (fixture_open(&f) < 0)
        goto out;
    char object[1024], doc[2048], user[40];
    snprintf(user, sizeof user, "\"%lld\"", (long long)f.user_id);
    checkout_object(object, sizeof object, user, "monthly", "sub_A");
    CHECK_INT(
        handle(&f, event(doc, sizeof doc, "evt_1", "checkout.session.completed", object), NOW),
        STRIPE_EVENT_PROCESSED);
    /* Deleted a minute after NOW, delivered first. */
    snprintf(doc, sizeof doc,
             "{\"id\":\"evt_2\",\"type\":\"customer.subscription.deleted\",\"created\":%d,"
             "\"data\":{\"object\":{\"id\":\"sub_A\",\"customer\":\"cus_A\",\"ended_at\":%d}}}",
             NOW + 60, NOW + 60);
    CHECK_INT(handle(&f, doc, NOW + 70), STRIPE_EVENT_PROCESSED);
    /* An update made at NOW + 30, delivered after: stale. */
    subscription_object(object, sizeof object, "active", "price_year",
                        "\"current_period_end\":1760000000,", "");
    snprintf(doc, sizeof doc,
             "{\"id\":\"evt_3\",\"type\":\"customer.subscription.updated\",\"created\":%d,"
             "\"data\":{\"object\":%s}}",
             NOW + 30, object);
    CHECK_INT(handle(&f, doc, NOW + 80), STRIPE_EVENT_STALE);
    CHECK_INT(handle(&f, doc, NOW + 81), STRIPE_EVENT_DUPLICATE);
    struct subscription s;
    CHECK_INT(by_customer(&f, "cus_A", &s), STORE_OK);
    CHECK_STR(s.status, "canceled");
    CHECK_INT(s.current_period_end, NOW + 60);
    CHECK_STR(s.plan_slug, "monthly");
    /* The same second as the deletion: the cancellation stays. */
    snprintf(doc, sizeof doc,
             "{\"id\":\"evt_4\",\"type\":\"customer.subscription.updated\",\"created\":%d,"
             "\"data\":{\"object\":%s}}",
             NOW + 60, object);
    CHECK_INT(handle(&f, doc, NOW + 90), STRIPE_EVENT_STALE);
    CHECK_INT(by_customer(&f, "cus_A", &s), STORE_OK);
    CHECK_STR(s.status, "canceled");
    /* No `created`: malformed, nothing recorded. */
    snprintf(doc, sizeof doc,
             "{\"id\":\"evt_5\",\"type\":\"customer.subscription.updated\","
             "\"data\":{\"object\":%s}}",
             object);
    CHECK_INT(handle(&f, doc, NOW + 90), STRIPE_EVENT_MALFORMED);
    CHECK_INT(query_int(&f, "SELECT count(*) FROM stripe_events WHERE id = 'evt_5'"), 0);
out:
    fixture_close(&f);
}

/* --- the API --------------------------------------------------------------------------------- */

static void test_api_refusals(void)
{
    struct config c = {0};
    char url[256] = "", err[512] = "";
    c.stripe_secret_key = "";
    c.stripe_api_url = "https://api.stripe.com";
    CHECK_INT(stripe_create_checkout(&c, "price_1", "monthly", 1, "a@example.test",
                                     "https://x.test/ok", "https://x.test/no", url, sizeof url, err,
                                     sizeof err),
              -1);
    CHECK(strstr(err, "secret key") != NULL);

    /* The key never goes over plain http to another machine. */
    c.stripe_secret_key = "sk_test_SECRETVALUE";
    c.stripe_api_url = "http://api.stripe.com";
    err[0] = '\0';
    CHECK_INT(stripe_create_portal(&c, "cus_A", "https://x.test/account", url, sizeof url, err,
                                   sizeof err),
              -1);
    CHECK(strstr(err, "https") != NULL);
    CHECK(strstr(err, "SECRETVALUE") == NULL);

    /* Nothing listens on port 1 of the loopback: a transport error, without the key. */
    c.stripe_api_url = "http://127.0.0.1:1";
    err[0] = '\0';
    CHECK_INT(stripe_create_checkout(&c, "price_1", "monthly", 1, "a@example.test",
                                     "https://x.test/ok", "https://x.test/no", url, sizeof url, err,
                                     sizeof err),
              -1);
    CHECK(*err != '\0');
    CHECK(strstr(err, "SECRETVALUE") == NULL);
}

void suite_stripe(void)
{
    RUN(test_signature_valid);
    RUN(test_signature_multiple_and_order);
    RUN(test_signature_mismatch);
    RUN(test_signature_missing_and_malformed);
    RUN(test_signature_stale);
    RUN(test_event_checkout_completed);
    RUN(test_event_subscription_updated);
    RUN(test_event_subscription_deleted);
    RUN(test_event_payment_failed);
    RUN(test_event_duplicate_and_unknown);
    RUN(test_event_malformed);
    RUN(test_event_deleted_user);
    RUN(test_event_store_failure);
    RUN(test_event_order);
    RUN(test_api_refusals);
}
