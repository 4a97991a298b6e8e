/*
 * stripe.h: Broadsheet's side of Stripe, without HTTP serving (page_stripe.c is the pages):
 * checking a webhook's Stripe-Signature header, applying a webhook event to the subscriptions,
 * and the two calls the site makes to Stripe's API (libcurl): create a Checkout Session for a
 * plan, and a billing portal session for a customer.
 *
 * Webhooks are authenticated by the signature alone (no CSRF, no cookies): Stripe signs
 * "TIMESTAMP.BODY" with HMAC-SHA256 under the endpoint's signing secret (the whole "whsec_…"
 * string as the key), and puts "t=TIMESTAMP,v1=HEX" in the header. The timestamp bounds replays
 * of a captured delivery to the tolerance window; the event id, recorded once in the store,
 * bounds them to one effect.
 *
 * The secret key never leaves the Authorization header: it is not logged and never appears in
 * an error string.
 */
#ifndef BROADSHEET_STRIPE_H
#define BROADSHEET_STRIPE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "store.h"

enum stripe_signature_result {
    STRIPE_SIG_OK = 0,
    STRIPE_SIG_MISSING,   /* no header, or an empty one */
    STRIPE_SIG_MALFORMED, /* no t=, a t= that is not a number, or no usable v1= signature */
    STRIPE_SIG_MISMATCH,  /* no v1 signature matches the payload under the secret */
    STRIPE_SIG_STALE,     /* signed, but t is more than tolerance seconds from now */
};

/* Checks a Stripe-Signature header value (header, NULL when absent) over the exact request body
 * payload[0..len) with the webhook signing secret, as Stripe documents: the header is a
 * comma-separated list of key=value items in any order; t is the signing time; each v1 is a
 * hex HMAC-SHA256 of "t.payload" (several during a secret rotation: one matching is enough);
 * other schemes (v0…) are ignored. Signatures are compared in constant time. The signature is
 * checked before the time (as Stripe's libraries do), then |now - t| must be at most tolerance.
 * Returns an enum stripe_signature_result. */
int stripe_verify_signature(const char *payload, size_t len, const char *header, const char *secret,
                            int64_t now, int tolerance);

/* A short English reason for a stripe_signature_result, for the webhook's 400 body. */
const char *stripe_signature_reason(int result);

enum stripe_event_result {
    STRIPE_EVENT_PROCESSED = 0, /* applied to the subscriptions */
    STRIPE_EVENT_DUPLICATE,     /* the id was processed before: nothing done */
    STRIPE_EVENT_IGNORED,       /* a type (or object) we do not act on: id recorded, nothing else */
    STRIPE_EVENT_MALFORMED,     /* not a Stripe event we can read: nothing recorded or changed */
    STRIPE_EVENT_FAILED,        /* a store error: nothing recorded or changed, so a retry runs */
    STRIPE_EVENT_STALE, /* older than the subscription's state: id recorded, the state kept (only
                           an unset user, plan or customer filled in) */
};

/* Applies the (already authenticated) event JSON payload[0..len) to st at now, in the order
 * Stripe made it (its `created`, required for the types below), not the order it arrived in:
 * an event older than the subscription's state does not change its status or end
 * (store_subscription_stripe_upsert says exactly, ties included). The types:
 *   checkout.session.completed: the subscription of client_reference_id (our user id) with
 *     metadata.plan, "active" until now + the plan's period (31 or 366 days) until a
 *     customer.subscription.updated says the real end;
 *   customer.subscription.updated: status (active/trialing: "active"; canceled and
 *     incomplete_expired: "canceled"; anything else: "past_due"), current_period_end (on the
 *     object or, in newer API versions, on items.data[0]), the plan whose stripe_price_id is
 *     items.data[0].price.id (else metadata.plan, else unchanged);
 *   customer.subscription.deleted: "canceled", ended at ended_at (or now);
 *   invoice.payment_failed: the invoice's subscription becomes "past_due", its end kept.
 * The whole event is validated before anything is written; then, in one transaction, the id is
 * recorded (a repeat is DUPLICATE) and the one subscription upsert made: both are kept, or
 * neither. Returns an enum stripe_event_result; err (errlen bytes) says why for MALFORMED and
 * FAILED, for the log. */
int stripe_handle_event(struct store *st, const char *payload, size_t len, int64_t now, char *err,
                        size_t errlen);

/* Creates a Stripe Checkout Session (mode subscription) for one price_id, tied to user_id
 * (client_reference_id) and plan_slug (metadata on the session and on the subscription), with
 * the reader's email prefilled, through c->stripe_api_url with c->stripe_secret_key. Blocks for
 * up to 20 s: call it off the HTTP threads. Returns 0 with the Checkout page's https URL in
 * url_out (url_size bytes), or -1 with a reason in err (Stripe's error message, or the
 * transport's) that never contains the key. */
int stripe_create_checkout(const struct config *c, const char *price_id, const char *plan_slug,
                           int64_t user_id, const char *email, const char *success_url,
                           const char *cancel_url, char *url_out, size_t url_size, char *err,
                           size_t errlen);

/* Creates a billing portal session for customer_id that returns to return_url. As
 * stripe_create_checkout: 0 with the portal's URL in url_out, or -1 with err. */
int stripe_create_portal(const struct config *c, const char *customer_id, const char *return_url,
                         char *url_out, size_t url_size, char *err, size_t errlen);

#endif
