/*
 * stripe.c: webhook signatures, webhook events and the two Stripe API calls (stripe.h).
 *
 * Events are handled in steps so that a bad or repeated delivery changes nothing:
 *   1. read: parse the JSON and pull out everything the event type needs, with its type
 *      checked (a malformed event is refused here, before anything is written);
 *   then, in one store transaction (store_begin), so that the event id is kept exactly when its
 *   change is made, whatever fails or crashes in between:
 *   2. record the event id (the insert decides which of two racing deliveries acts);
 *   3. resolve: the store reads the change depends on (the plan's period, the plan of a Stripe
 *      price, the subscription's current end), under the transaction's write lock;
 *   4. apply: one subscription upsert, which Stripe's own order decides: an event older than
 *      the subscription's state (its `created` against the time stored with the state) leaves
 *      status and end alone, so a delayed update cannot revive a canceled subscription
 *      (store_subscription_stripe_upsert has the rule, ties included).
 * Any failure rolls the whole transaction back, id included, so Stripe's retry is processed.
 * (The id used to be recorded first and forgotten after a failure, which a crash, or a failed
 * forget, turned into an event acknowledged and never applied.)
 *
 * API calls use libcurl, blocking (callers run them off the HTTP threads), with short timeouts.
 * The key goes only into the Authorization header, whose memory is wiped after the call.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "buf.h"
#include "stripe.h"
#include "util.h"

#define SIGNATURE_BYTES crypto_auth_hmacsha256_BYTES /* 32: a v1 signature, decoded */
#define MAX_SIGNATURES 8           /* v1 values looked at in one header (a rotation has 2) */
#define MONTH_SECONDS (31 * 86400) /* until customer.subscription.updated says the real end */
#define YEAR_SECONDS (366 * 86400)
#define RESPONSE_MAX (256 * 1024) /* bytes of an API response read; Stripe's are a few KB */

/* Formats a message into err (errlen bytes), when err is not NULL. */
__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t errlen, const char *fmt,
                                                          ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* --- signatures ----------------------------------------------------------------------------- */

/* Parses s[0..len) as a Unix time: 1 to 18 decimal digits, nothing else (no sign, no space).
 * Returns 0 with *out, or -1. */
static int parse_timestamp(const char *s, size_t len, int64_t *out)
{
    if (len == 0 || len > 18)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int stripe_verify_signature(const char *payload, size_t len, const char *header, const char *secret,
                            int64_t now, int tolerance)
{
    if (!header || !*header)
        return STRIPE_SIG_MISSING;
    int64_t t = 0;
    int t_count = 0, t_bad = 0;
    unsigned char signatures[MAX_SIGNATURES][SIGNATURE_BYTES];
    size_t signature_count = 0;

    /* "t=1492774577,v1=5257a8…,v0=6ffbb5…": items in any order. An item without '=' or with
     * another key is skipped, as Stripe's libraries do; so is a v1 that is not 64 hex digits
     * (it cannot match), which leaves a header with no usable v1 malformed. */
    for (const char *p = header; *p;) {
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        const char *item = p, *item_end = end;
        while (item < item_end && (*item == ' ' || *item == '\t'))
            item++;
        while (item_end > item && (item_end[-1] == ' ' || item_end[-1] == '\t'))
            item_end--;
        const char *eq = memchr(item, '=', (size_t)(item_end - item));
        if (eq) {
            size_t key_len = (size_t)(eq - item);
            const char *value = eq + 1;
            size_t value_len = (size_t)(item_end - value);
            if (key_len == 1 && item[0] == 't') {
                t_count++;
                if (parse_timestamp(value, value_len, &t) < 0)
                    t_bad = 1;
            } else if (key_len == 2 && item[0] == 'v' && item[1] == '1' &&
                       value_len == 2 * SIGNATURE_BYTES && signature_count < MAX_SIGNATURES) {
                size_t bin_len = 0;
                const char *hex_end = NULL;
                if (sodium_hex2bin(signatures[signature_count], SIGNATURE_BYTES, value, value_len,
                                   NULL, &bin_len, &hex_end) == 0 &&
                    bin_len == SIGNATURE_BYTES && hex_end == value + value_len)
                    signature_count++;
            }
        }
        p = *end ? end + 1 : end;
    }
    /* Two t= items would leave "which time was signed" to the parser: refuse the header. */
    if (t_count != 1 || t_bad || signature_count == 0)
        return STRIPE_SIG_MALFORMED;

    /* Stripe's libraries sign `${timestamp}.${payload}` with the number as they parsed it, so
     * the canonical decimal form is what is signed (the same digits unless zero-padded). */
    char stamp[24];
    int stamp_len = snprintf(stamp, sizeof stamp, "%lld.", (long long)t);
    unsigned char expected[SIGNATURE_BYTES];
    crypto_auth_hmacsha256_state state;
    const char *key = secret ? secret : "";
    crypto_auth_hmacsha256_init(&state, (const unsigned char *)key, strlen(key));
    crypto_auth_hmacsha256_update(&state, (const unsigned char *)stamp, (size_t)stamp_len);
    if (len)
        crypto_auth_hmacsha256_update(&state, (const unsigned char *)payload, len);
    crypto_auth_hmacsha256_final(&state, expected);

    /* Every candidate is compared, each in constant time, so the time taken says nothing about
     * which (or how much of one) matched. */
    int matched = 0;
    for (size_t i = 0; i < signature_count; i++)
        matched |= sodium_memcmp(expected, signatures[i], SIGNATURE_BYTES) == 0;
    sodium_memzero(&state, sizeof state);
    if (!matched)
        return STRIPE_SIG_MISMATCH;
    if (now - t > tolerance || t - now > tolerance)
        return STRIPE_SIG_STALE;
    return STRIPE_SIG_OK;
}

const char *stripe_signature_reason(int result)
{
    switch (result) {
    case STRIPE_SIG_OK: return "signature valid";
    case STRIPE_SIG_MISSING: return "missing Stripe-Signature header";
    case STRIPE_SIG_MALFORMED: return "malformed Stripe-Signature header";
    case STRIPE_SIG_MISMATCH: return "signature does not match";
    case STRIPE_SIG_STALE: return "signature timestamp outside the tolerance";
    }
    return "bad signature";
}

/* --- events: reading -------------------------------------------------------------------------- */

/* What one event does to the subscriptions, as read from its JSON (step 1). Strings point into
 * the parsed JSON, or are literals. */
struct change {
    int ignore;                  /* record the id and do nothing else */
    const char *subscription_id; /* sub_… */
    const char *customer_id;     /* cus_…, "" keeps the stored one */
    int64_t user_id;             /* 0 keeps the stored one */
    const char *plan_slug;       /* "" keeps the stored one */
    const char *status;          /* active, past_due, canceled */
    int64_t period_end;
    int period_from_plan; /* checkout: now + plan_slug's period */
    const char *price_id; /* subscription.updated: find the plan by price */
    int keep_period_end;  /* invoice.payment_failed: keep the stored end */
    int64_t created;      /* when Stripe made the event: its place in the subscription's story */
};

/* The field key of obj as a string: 0 with *out the string, or NULL when absent or JSON null;
 * -1 (with err) for another type. */
static int opt_string(json_t *obj, const char *key, const char **out, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v)) {
        set_err(err, errlen, "'%s' is not a string", key);
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}

/* As opt_string for an object (*out NULL when absent or null). */
static int opt_object(json_t *obj, const char *key, json_t **out, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_object(v)) {
        set_err(err, errlen, "'%s' is not an object", key);
        return -1;
    }
    *out = v;
    return 0;
}

/* As opt_string for an integer: 0 with *present set and *out, or *present 0; -1 otherwise. */
static int opt_integer(json_t *obj, const char *key, int64_t *out, int *present, char *err,
                       size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    *present = 0;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v)) {
        set_err(err, errlen, "'%s' is not an integer", key);
        return -1;
    }
    *out = json_integer_value(v);
    *present = 1;
    return 0;
}

/* A required non-empty string field: 0 with *out, or -1 with err. */
static int need_string(json_t *obj, const char *key, const char **out, char *err, size_t errlen)
{
    if (opt_string(obj, key, out, err, errlen) < 0)
        return -1;
    if (!*out || !**out) {
        set_err(err, errlen, "'%s' is missing", key);
        return -1;
    }
    return 0;
}

/* The first element of the subscription's items.data list (an object), or NULL when there is
 * none; -1 for a list of the wrong shape. */
static int first_item(json_t *object, json_t **out, char *err, size_t errlen)
{
    json_t *items;
    *out = NULL;
    if (opt_object(object, "items", &items, err, errlen) < 0)
        return -1;
    if (!items)
        return 0;
    json_t *data = json_object_get(items, "data");
    if (!data || json_is_null(data))
        return 0;
    if (!json_is_array(data)) {
        set_err(err, errlen, "'items.data' is not a list");
        return -1;
    }
    if (json_array_size(data) == 0)
        return 0;
    json_t *first = json_array_get(data, 0);
    if (!json_is_object(first)) {
        set_err(err, errlen, "'items.data[0]' is not an object");
        return -1;
    }
    *out = first;
    return 0;
}

/* Stripe's subscription statuses onto ours. Anything not paid up (past_due, unpaid,
 * incomplete, paused, and statuses Stripe adds later) becomes past_due: no access, but not
 * over, so a later "active" restores it. */
static const char *map_status(const char *stripe_status)
{
    if (!strcmp(stripe_status, "active") || !strcmp(stripe_status, "trialing"))
        return "active";
    if (!strcmp(stripe_status, "canceled") || !strcmp(stripe_status, "incomplete_expired"))
        return "canceled";
    return "past_due";
}

/* checkout.session.completed: a Checkout Session we created (stripe_create_checkout). */
static int read_checkout(json_t *object, struct change *ch, char *err, size_t errlen)
{
    const char *mode, *subscription, *customer, *reference, *plan = NULL;
    json_t *metadata;
    if (opt_string(object, "mode", &mode, err, errlen) < 0 ||
        opt_string(object, "subscription", &subscription, err, errlen) < 0 ||
        opt_string(object, "customer", &customer, err, errlen) < 0 ||
        opt_string(object, "client_reference_id", &reference, err, errlen) < 0 ||
        opt_object(object, "metadata", &metadata, err, errlen) < 0 ||
        (metadata && opt_string(metadata, "plan", &plan, err, errlen) < 0))
        return -1;
    /* A one-off payment, or a subscription made some other way (a payment link without our
     * reference is still recorded below, without a user). */
    if ((mode && strcmp(mode, "subscription") != 0) || !subscription || !*subscription) {
        ch->ignore = 1;
        return 0;
    }
    int64_t user_id = 0;
    if (reference && *reference) {
        if (parse_timestamp(reference, strlen(reference), &user_id) < 0 || user_id <= 0) {
            set_err(err, errlen, "'client_reference_id' is not a user id");
            return -1;
        }
    }
    ch->subscription_id = subscription;
    ch->customer_id = customer ? customer : "";
    ch->user_id = user_id;
    ch->plan_slug = plan ? plan : "";
    ch->status = "active";
    ch->period_from_plan = 1;
    return 0;
}

/* customer.subscription.updated and .deleted: a Subscription object. */
static int read_subscription(json_t *object, int deleted, int64_t now, struct change *ch, char *err,
                             size_t errlen)
{
    const char *id, *customer, *status = NULL;
    json_t *item;
    if (need_string(object, "id", &id, err, errlen) < 0 ||
        opt_string(object, "customer", &customer, err, errlen) < 0 ||
        (!deleted && need_string(object, "status", &status, err, errlen) < 0) ||
        first_item(object, &item, err, errlen) < 0)
        return -1;
    ch->subscription_id = id;
    ch->customer_id = customer ? customer : "";
    ch->plan_slug = "";
    if (deleted) {
        int present;
        int64_t ended_at = 0;
        if (opt_integer(object, "ended_at", &ended_at, &present, err, errlen) < 0)
            return -1;
        ch->status = "canceled";
        ch->period_end = present ? ended_at : now;
        return 0;
    }
    ch->status = map_status(status);
    /* current_period_end moved from the subscription to its items in API version 2025-03-31;
     * the endpoint's version decides which one arrives. */
    int present = 0;
    if (opt_integer(object, "current_period_end", &ch->period_end, &present, err, errlen) < 0)
        return -1;
    if (!present && item &&
        opt_integer(item, "current_period_end", &ch->period_end, &present, err, errlen) < 0)
        return -1;
    if (!present) {
        set_err(err, errlen, "'current_period_end' is missing");
        return -1;
    }
    if (item) {
        json_t *price;
        if (opt_object(item, "price", &price, err, errlen) < 0 ||
            (price && opt_string(price, "id", &ch->price_id, err, errlen) < 0))
            return -1;
    }
    return 0;
}

/* invoice.payment_failed: an Invoice object. */
static int read_invoice(json_t *object, struct change *ch, char *err, size_t errlen)
{
    const char *subscription, *customer;
    if (opt_string(object, "subscription", &subscription, err, errlen) < 0 ||
        opt_string(object, "customer", &customer, err, errlen) < 0)
        return -1;
    /* API version 2025-03-31 moved it to parent.subscription_details.subscription. */
    if (!subscription) {
        json_t *parent, *details;
        if (opt_object(object, "parent", &parent, err, errlen) < 0 ||
            (parent && opt_object(parent, "subscription_details", &details, err, errlen) < 0))
            return -1;
        if (parent && details &&
            opt_string(details, "subscription", &subscription, err, errlen) < 0)
            return -1;
    }
    if (!subscription || !*subscription) { /* a one-off invoice: not ours to act on */
        ch->ignore = 1;
        return 0;
    }
    ch->subscription_id = subscription;
    ch->customer_id = customer ? customer : "";
    ch->plan_slug = "";
    ch->status = "past_due";
    ch->keep_period_end = 1;
    return 0;
}

/* Step 1: the event's id and type, and its change. Returns 0, or -1 (malformed) with err. */
static int read_event(json_t *root, int64_t now, const char **id, const char **type,
                      struct change *ch, char *err, size_t errlen)
{
    if (!json_is_object(root)) {
        set_err(err, errlen, "not a JSON object");
        return -1;
    }
    json_t *data, *object = NULL;
    if (need_string(root, "id", id, err, errlen) < 0 ||
        need_string(root, "type", type, err, errlen) < 0 ||
        opt_object(root, "data", &data, err, errlen) < 0 ||
        (data && opt_object(data, "object", &object, err, errlen) < 0))
        return -1;
    if (!object) {
        set_err(err, errlen, "'data.object' is missing");
        return -1;
    }
    int has_created = 0, rc;
    if (opt_integer(root, "created", &ch->created, &has_created, err, errlen) < 0)
        return -1;
    if (!strcmp(*type, "checkout.session.completed"))
        rc = read_checkout(object, ch, err, errlen);
    else if (!strcmp(*type, "customer.subscription.updated"))
        rc = read_subscription(object, 0, now, ch, err, errlen);
    else if (!strcmp(*type, "customer.subscription.deleted"))
        rc = read_subscription(object, 1, now, ch, err, errlen);
    else if (!strcmp(*type, "invoice.payment_failed"))
        rc = read_invoice(object, ch, err, errlen);
    else
        ch->ignore = rc = 1; /* one of Stripe's many other types: acknowledged, not acted on */
    if (rc < 0)
        return -1;
    /* Stripe stamps every event; without the stamp an event could not be put in order. */
    if (!ch->ignore && (!has_created || ch->created <= 0)) {
        set_err(err, errlen, "'created' is missing");
        return -1;
    }
    return 0;
}

/* --- events: resolving and writing ------------------------------------------------------------ */

/* Step 2: fills in what the change needs from the store, with strings from a. Returns STORE_OK,
 * or STORE_ERROR with err. */
static int resolve(struct store *st, struct arena *a, struct change *ch, int64_t now, char *err,
                   size_t errlen)
{
    if (ch->period_from_plan) {
        struct plan plan;
        int found =
            *ch->plan_slug ? store_plan_by_slug(st, a, ch->plan_slug, &plan) : STORE_NOT_FOUND;
        if (found == STORE_ERROR) {
            set_err(err, errlen, "looking up plan '%s' failed", ch->plan_slug);
            return STORE_ERROR;
        }
        /* A plan unknown here (deleted since, or a session made elsewhere) still paid for at
         * least a month; customer.subscription.updated brings the real end. */
        int yearly = found == STORE_OK && !strcmp(plan.period, "year");
        ch->period_end = now + (yearly ? YEAR_SECONDS : MONTH_SECONDS);
    }
    if (ch->price_id && *ch->price_id) {
        struct plan *plans;
        size_t n = 0;
        if (store_plans(st, a, 1, &plans, &n) != STORE_OK) {
            set_err(err, errlen, "listing the plans failed");
            return STORE_ERROR;
        }
        for (size_t i = 0; i < n; i++) {
            if (*plans[i].stripe_price_id && !strcmp(plans[i].stripe_price_id, ch->price_id)) {
                ch->plan_slug = plans[i].slug;
                break;
            }
        }
    }
    if (ch->keep_period_end) {
        /* The store finds Stripe subscriptions by customer, not by id: the customer's
         * subscription is the one to keep the end of when it is this one. Otherwise (not seen
         * yet, or the customer has another) the end is now: past_due grants nothing anyway,
         * and customer.subscription.updated brings the real end. */
        struct subscription sub;
        int found = *ch->customer_id
                        ? store_subscription_by_stripe_customer(st, a, ch->customer_id, &sub)
                        : STORE_NOT_FOUND;
        if (found == STORE_ERROR) {
            set_err(err, errlen, "looking up customer '%s' failed", ch->customer_id);
            return STORE_ERROR;
        }
        ch->period_end =
            found == STORE_OK && !strcmp(sub.stripe_subscription_id, ch->subscription_id)
                ? sub.current_period_end
                : now;
    }
    return STORE_OK;
}

/* Step 4: the subscription upsert; *applied says whether the event's state was taken (not
 * older than the stored one). Returns STORE_OK or STORE_ERROR. */
static int apply(struct store *st, const struct change *ch, int *applied)
{
    int rc = store_subscription_stripe_upsert(st, ch->subscription_id, ch->customer_id, ch->user_id,
                                              ch->plan_slug, ch->status, ch->period_end,
                                              ch->created, applied);
    /* The reader deleted the account between paying and this event: the payment record is
     * kept without a user, as the store keeps deleted readers' subscriptions. */
    if (rc == STORE_NOT_FOUND && ch->user_id)
        rc = store_subscription_stripe_upsert(st, ch->subscription_id, ch->customer_id, 0,
                                              ch->plan_slug, ch->status, ch->period_end,
                                              ch->created, applied);
    return rc == STORE_OK ? STORE_OK : STORE_ERROR;
}

int stripe_handle_event(struct store *st, const char *payload, size_t len, int64_t now, char *err,
                        size_t errlen)
{
    set_err(err, errlen, "%s", "");
    json_error_t json_error;
    json_t *root = payload ? json_loadb(payload, len, JSON_REJECT_DUPLICATES, &json_error) : NULL;
    struct arena *a = NULL;
    int result = STRIPE_EVENT_MALFORMED;
    int in_tx = 0; /* a store_begin of ours is open */
    const char *id = NULL, *type = NULL;
    struct change ch = {0};
    if (!root) {
        set_err(err, errlen, "not JSON: %s", payload ? json_error.text : "no body");
        goto out;
    }
    if (read_event(root, now, &id, &type, &ch, err, errlen) < 0)
        goto out;

    a = arena_new(0);
    /* From here every failure is FAILED, with the transaction rolled back: nothing recorded,
     * so Stripe's retry starts afresh. */
    result = STRIPE_EVENT_FAILED;
    if (store_begin(st) != STORE_OK) {
        set_err(err, errlen, "event %s: the database is not available", id);
        goto out;
    }
    in_tx = 1;
    switch (store_stripe_event_record(st, id, type, now)) {
    case STORE_OK: break;
    case STORE_CONFLICT: result = STRIPE_EVENT_DUPLICATE; goto out;
    default: set_err(err, errlen, "event %s: recording it failed", id); goto out;
    }
    int applied = 0;
    if (!ch.ignore) {
        if (resolve(st, a, &ch, now, err, errlen) != STORE_OK)
            goto out;
        if (apply(st, &ch, &applied) != STORE_OK) {
            set_err(err, errlen, "event %s (%s): saving subscription %s failed", id, type,
                    ch.subscription_id);
            goto out;
        }
    }
    in_tx = 0;
    if (store_commit(st) != STORE_OK) {
        set_err(err, errlen, "event %s (%s): the database did not keep it", id, type);
        goto out;
    }
    result = ch.ignore ? STRIPE_EVENT_IGNORED
             : applied ? STRIPE_EVENT_PROCESSED
                       : STRIPE_EVENT_STALE;
out:
    if (in_tx)
        store_rollback(st);
    if (result == STRIPE_EVENT_MALFORMED && id && err && errlen) {
        char reason[256];
        snprintf(reason, sizeof reason, "%s", err);
        set_err(err, errlen, "event %s: %s", id, reason);
    }
    arena_free(a);
    json_decref(root);
    return result;
}

/* --- the API ---------------------------------------------------------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result; /* written once under curl_once, read after it */

/* atexit handler: releases what curl_global_init took (libcurl counts its initialisations, so
 * this and mail.c's each release their own). */
static void curl_cleanup_at_exit(void)
{
    curl_global_cleanup();
}

/* pthread_once routine: initialises libcurl for the process (as mail.c does for SMTP). */
static void curl_init_once(void)
{
    curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (curl_init_result == CURLE_OK)
        atexit(curl_cleanup_at_exit);
}

/* 1 if base (stripe_api_url) may carry the secret key: https, or plain http only to this
 * machine (tests run a fake Stripe on the loopback). */
static int api_url_allowed(const char *base)
{
    if (!strncasecmp(base, "https://", 8))
        return 1;
    static const char *const local[] = {"http://127.0.0.1", "http://localhost", "http://[::1]"};
    for (size_t i = 0; i < ARRAY_LEN(local); i++) {
        size_t n = strlen(local[i]);
        if (!strncasecmp(base, local[i], n) &&
            (base[n] == '\0' || base[n] == ':' || base[n] == '/'))
            return 1;
    }
    return 0;
}

/* 1 if url is an https URL we may put in a Location header: no spaces or control bytes. */
static int redirect_url_valid(const char *url)
{
    if (strncmp(url, "https://", 8) != 0 || !url[8])
        return 0;
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

/* A response body as it arrives, up to RESPONSE_MAX bytes. */
struct response {
    struct buf body;
    int too_big;
};

/* CURLOPT_WRITEFUNCTION: collects the body; a body over the limit ends the transfer. */
static size_t collect_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct response *resp = userdata;
    size_t n = size * nmemb;
    if (resp->body.len + n > RESPONSE_MAX) {
        resp->too_big = 1;
        return 0;
    }
    buf_append(&resp->body, data, n);
    return n;
}

/* Appends "key=value" (both percent-encoded, '&' first when not the first) to the form. Returns
 * 0, or -1 when libcurl cannot allocate. */
static int form_add(struct buf *form, CURL *curl, const char *key, const char *value)
{
    char *k = curl_easy_escape(curl, key, 0);
    char *v = curl_easy_escape(curl, value ? value : "", 0);
    int ok = k && v;
    if (ok)
        buf_printf(form, "%s%s=%s", form->len ? "&" : "", k, v);
    curl_free(k);
    curl_free(v);
    return ok ? 0 : -1;
}

/* One form field of a call. */
struct field {
    const char *key, *value;
};

/* POSTs the fields[0..n) to the API path with the secret key, and copies the `url` of a 2xx
 * answer into url_out. Returns 0, or -1 with err (Stripe's error.message when it gave one). */
static int api_post(const struct config *c, const char *path, const struct field *fields, size_t n,
                    char *url_out, size_t url_size, char *err, size_t errlen)
{
    if (!c->stripe_secret_key || !*c->stripe_secret_key) {
        set_err(err, errlen, "stripe: no secret key is configured");
        return -1;
    }
    const char *base =
        c->stripe_api_url && *c->stripe_api_url ? c->stripe_api_url : "https://api.stripe.com";
    if (!api_url_allowed(base)) {
        set_err(err, errlen, "stripe: stripe_api_url must be an https:// URL");
        return -1;
    }
    pthread_once(&curl_once, curl_init_once);
    if (curl_init_result != CURLE_OK) {
        set_err(err, errlen, "stripe: curl_global_init: %s", curl_easy_strerror(curl_init_result));
        return -1;
    }

    int ret = -1;
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = NULL;
    struct buf url = BUF_INIT, form = BUF_INIT, auth = BUF_INIT;
    struct response resp = {BUF_INIT, 0};
    char detail[CURL_ERROR_SIZE] = "";
    json_t *root = NULL;
    CURLcode rc = CURLE_OK;
    if (!curl) {
        set_err(err, errlen, "stripe: curl_easy_init failed");
        goto out;
    }
    size_t base_len = strlen(base);
    while (base_len && base[base_len - 1] == '/')
        base_len--;
    buf_printf(&url, "%.*s%s", (int)base_len, base, path);
    for (size_t i = 0; i < n; i++) {
        if (form_add(&form, curl, fields[i].key, fields[i].value) < 0) {
            set_err(err, errlen, "stripe: cannot encode the request");
            goto out;
        }
    }
    buf_printf(&auth, "Authorization: Bearer %s", c->stripe_secret_key);
    struct curl_slist *h = curl_slist_append(NULL, auth.data);
    if (h)
        headers = curl_slist_append(h, "Accept: application/json");
    if (!h || !headers) {
        headers = h;
        set_err(err, errlen, "stripe: out of memory");
        goto out;
    }

#define SET(option, value)                                                                         \
    do {                                                                                           \
        if ((rc = curl_easy_setopt(curl, option, value)) != CURLE_OK)                              \
            goto curl_failed;                                                                      \
    } while (0)
    SET(CURLOPT_ERRORBUFFER, detail);
    SET(CURLOPT_URL, url.data);
#if LIBCURL_VERSION_NUM >= 0x075500
    SET(CURLOPT_PROTOCOLS_STR, "http,https"); /* http only to the loopback: api_url_allowed */
#else
    SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    SET(CURLOPT_FOLLOWLOCATION, 0L); /* a redirect must not take the key elsewhere */
    SET(CURLOPT_HTTPHEADER, headers);
    SET(CURLOPT_POSTFIELDS, form.data ? form.data : "");
    SET(CURLOPT_POSTFIELDSIZE, (long)form.len);
    SET(CURLOPT_USERAGENT, "Broadsheet");
    SET(CURLOPT_CONNECTTIMEOUT, 10L);
    SET(CURLOPT_TIMEOUT, 20L);
    SET(CURLOPT_NOSIGNAL, 1L); /* timeouts without SIGALRM: this runs on a job thread */
    SET(CURLOPT_WRITEFUNCTION, collect_body);
    SET(CURLOPT_WRITEDATA, &resp);
#undef SET
    rc = curl_easy_perform(curl);
curl_failed:
    if (rc != CURLE_OK) {
        if (resp.too_big)
            set_err(err, errlen, "stripe: %s: the answer is larger than %d bytes", path,
                    RESPONSE_MAX);
        else
            set_err(err, errlen, "stripe: %s: %s%s%s", path, curl_easy_strerror(rc),
                    *detail ? ": " : "", detail);
        goto out;
    }
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    json_error_t json_error;
    root = resp.body.data ? json_loadb(resp.body.data, resp.body.len, 0, &json_error) : NULL;
    if (status < 200 || status > 299) {
        json_t *e = json_object_get(root, "error");
        const char *message = json_string_value(json_object_get(e, "message"));
        set_err(err, errlen, "stripe: %s: HTTP %ld: %s", path, status,
                message ? message : "no error message");
        goto out;
    }
    const char *answer = json_string_value(json_object_get(root, "url"));
    if (!answer || !redirect_url_valid(answer)) {
        set_err(err, errlen, "stripe: %s: the answer has no https url", path);
        goto out;
    }
    if (strlen(answer) >= url_size) {
        set_err(err, errlen, "stripe: %s: the url is too long", path);
        goto out;
    }
    snprintf(url_out, url_size, "%s", answer);
    ret = 0;
out:
    /* The key is wiped from every copy we made (libcurl's own copies of the header list are
     * the list itself, wiped here). */
    for (struct curl_slist *p = headers; p; p = p->next)
        sodium_memzero(p->data, strlen(p->data));
    if (auth.data)
        sodium_memzero(auth.data, auth.len);
    curl_slist_free_all(headers);
    if (curl)
        curl_easy_cleanup(curl);
    json_decref(root);
    buf_free(&url);
    buf_free(&form);
    buf_free(&auth);
    buf_free(&resp.body);
    return ret;
}

int stripe_create_checkout(const struct config *c, const char *price_id, const char *plan_slug,
                           int64_t user_id, const char *email, const char *success_url,
                           const char *cancel_url, char *url_out, size_t url_size, char *err,
                           size_t errlen)
{
    char user[24];
    snprintf(user, sizeof user, "%lld", (long long)user_id);
    struct field fields[9] = {
        {"mode", "subscription"},         {"line_items[0][price]", price_id},
        {"line_items[0][quantity]", "1"}, {"success_url", success_url},
        {"cancel_url", cancel_url},       {"client_reference_id", user},
        {"metadata[plan]", plan_slug},    {"subscription_data[metadata][plan]", plan_slug},
    };
    size_t n = 8;
    if (email && *email)
        fields[n++] = (struct field){"customer_email", email};
    return api_post(c, "/v1/checkout/sessions", fields, n, url_out, url_size, err, errlen);
}

int stripe_create_portal(const struct config *c, const char *customer_id, const char *return_url,
                         char *url_out, size_t url_size, char *err, size_t errlen)
{
    const struct field fields[] = {
        {"customer", customer_id},
        {"return_url", return_url},
    };
    return api_post(c, "/v1/billing_portal/sessions", fields, ARRAY_LEN(fields), url_out, url_size,
                    err, errlen);
}
