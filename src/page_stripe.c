/*
 * page_stripe.c: the pages that talk to Stripe: the webhook (POST /stripe/webhook), starting a
 * Checkout for a plan (POST /subscribe) and opening the billing portal (POST /account/billing).
 *
 * The webhook is Stripe's, not a reader's: it has no session and no CSRF token, and is
 * authenticated by its Stripe-Signature header over the exact body bytes (stripe.h). Its
 * answers are short text/plain lines for Stripe's delivery log: 200 for anything Stripe should
 * not send again (processed, a duplicate, a type we ignore, an event older than the state it
 * would change), 400 for a delivery that would fail the same way again (bad signature,
 * unreadable event), 500 when our store failed (Stripe retries, and nothing of the event was
 * kept, so the retry is processed).
 *
 * The two reader forms call Stripe's API, which can take seconds, on the job pool
 * (http_offload), then answer with a 303 to the page Stripe made.
 */
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "account.h"
#include "app.h"
#include "entity.h"
#include "http.h"
#include "pages.h"
#include "reader.h"
#include "respond.h"
#include "stripe.h"
#include "util.h"

#define SUBSCRIBE_PER_ACCOUNT 20 /* Checkout sessions a reader may start per hour */
#define STRIPE_URL_MAX 2048      /* a Checkout or portal URL (Stripe's are ~150 bytes) */

enum MHD_Result page_stripe_webhook(struct req *r)
{
    const struct config *c = r->app->config;
    if (!c->stripe_webhook_secret || !*c->stripe_webhook_secret)
        return respond_error(r, 404); /* no Stripe here: the endpoint does not exist */
    if (!r->raw_body)
        return respond_text(r, 400, "no body\n");
    int64_t now = util_now();
    int sig = stripe_verify_signature(r->raw_body, r->raw_len, req_header(r, "Stripe-Signature"),
                                      c->stripe_webhook_secret, now, c->stripe_tolerance);
    if (sig != STRIPE_SIG_OK) /* nothing read or changed: say why, for Stripe's log */
        return respond_text(r, 400, stripe_signature_reason(sig));

    char err[512];
    switch (stripe_handle_event(r->app->store, r->raw_body, r->raw_len, now, err, sizeof err)) {
    case STRIPE_EVENT_PROCESSED:
    case STRIPE_EVENT_DUPLICATE:
    case STRIPE_EVENT_IGNORED: return respond_text(r, 200, "ok\n");
    case STRIPE_EVENT_STALE: /* delivered late: acknowledged, so Stripe does not send it again */
        return respond_text(r, 200, "ok (older than the subscription's state: not applied)\n");
    case STRIPE_EVENT_MALFORMED:
        fprintf(stderr, "broadsheet: stripe webhook: malformed event: %s\n", err);
        return respond_text(r, 400, "malformed event\n");
    default:
        fprintf(stderr, "broadsheet: stripe webhook: %s\n", err);
        return respond_text(r, 500, "could not process the event; please retry\n");
    }
}

/* A call to Stripe's API kept in r->work_state between the two halves of an offloaded form. */
struct stripe_call {
    /* in: copied into the arena before the job runs (the job reads nothing else of r but the
     * configuration, which does not change while the server runs) */
    const char *price_id, *plan_slug, *email, *success_url, *cancel_url; /* checkout */
    const char *customer_id, *return_url;                                /* portal */
    int64_t user_id;
    /* out */
    int rc;
    char url[STRIPE_URL_MAX];
    char err[512];
};

/* Job thread: creates the Checkout Session. */
static void checkout_work(struct req *r)
{
    struct stripe_call *call = r->work_state;
    call->rc =
        stripe_create_checkout(r->app->config, call->price_id, call->plan_slug, call->user_id,
                               call->email, call->success_url, call->cancel_url, call->url,
                               sizeof call->url, call->err, sizeof call->err);
}

/* Job thread: creates the billing portal session. */
static void portal_work(struct req *r)
{
    struct stripe_call *call = r->work_state;
    call->rc = stripe_create_portal(r->app->config, call->customer_id, call->return_url, call->url,
                                    sizeof call->url, call->err, sizeof call->err);
}

/* HTTP thread, after either call: to Stripe's page, or an error page (the detail is logged). */
static enum MHD_Result stripe_finish(struct req *r)
{
    struct stripe_call *call = r->work_state;
    if (call->rc == 0)
        return respond_redirect(r, 303, call->url);
    fprintf(stderr, "broadsheet: %s\n", call->err);
    if (call->customer_id)
        return account_message(r, 502, "Billing could not be opened",
                               "We could not reach our payment provider. Nothing has been "
                               "changed. Please try again in a few minutes.",
                               "/account", "Back to My account", 1);
    return account_message(r, 502, "Checkout could not be started",
                           "We could not reach our payment provider. Nothing has been charged. "
                           "Please try again in a few minutes.",
                           "/offers", "Back to the offers", 1);
}

/* 503 when the site has no Stripe secret key. */
static enum MHD_Result checkout_unavailable(struct req *r)
{
    return account_message(r, 503, "Online checkout is not available",
                           "Subscriptions cannot be bought online on this site at the moment. "
                           "Please contact us to subscribe.",
                           "/offers", "Back to the offers", 1);
}

enum MHD_Result page_subscribe(struct req *r)
{
    struct app *app = r->app;
    if (!app->config->stripe_secret_key || !*app->config->stripe_secret_key)
        return checkout_unavailable(r);

    const char *slug = req_form(r, "plan");
    struct plan plan;
    int found =
        slug && *slug ? store_plan_by_slug(app->store, r->arena, slug, &plan) : STORE_NOT_FOUND;
    if (found == STORE_ERROR)
        return respond_error(r, 500);
    if (found != STORE_OK || !plan.active || !*plan.stripe_price_id ||
        !strcmp(plan.period, "contact"))
        return account_message(r, 400, "This plan cannot be bought online",
                               "The plan you chose is not offered for online checkout. Please "
                               "choose another plan.",
                               "/offers", "Back to the offers", 1);

    /* A reader already paying through Stripe would be charged twice: send them to their
     * account, where the billing portal changes plans. */
    const struct user *u = &r->reader->user;
    int64_t now = util_now();
    struct subscription current;
    if (store_subscription_current(app->store, r->arena, u->id, now, &current) == STORE_OK &&
        access_subscription_active(&current, now) && !strcmp(current.source, "stripe"))
        return account_message(r, 409, "You are already a subscriber",
                               "Your subscription is active. To change your plan or your "
                               "payment details, use “Manage billing” on My account.",
                               "/account", "Go to My account", 0);

    int wait = account_limited(r, "subscribe", u->email, SUBSCRIBE_PER_ACCOUNT, 3600);
    if (wait)
        return account_refused(r, wait);

    struct stripe_call *call = arena_calloc(r->arena, 1, sizeof *call);
    call->price_id = plan.stripe_price_id;
    call->plan_slug = plan.slug;
    call->user_id = u->id;
    call->email = u->email;
    call->success_url = arena_printf(r->arena, "%s/account?done=subscribed", app->site_url);
    call->cancel_url = arena_printf(r->arena, "%s/offers?done=canceled", app->site_url);
    r->work_state = call;
    return http_offload(r, checkout_work, stripe_finish);
}

enum MHD_Result page_account_billing(struct req *r)
{
    struct app *app = r->app;
    if (!app->config->stripe_secret_key || !*app->config->stripe_secret_key)
        return account_message(r, 503, "Billing is not managed online",
                               "Payment details cannot be changed online on this site at the "
                               "moment. Please contact us.",
                               "/account", "Back to My account", 1);
    struct subscription sub;
    int found =
        store_subscription_current(app->store, r->arena, r->reader->user.id, util_now(), &sub);
    if (found == STORE_ERROR)
        return respond_error(r, 500);
    if (found != STORE_OK || !*sub.stripe_customer_id)
        return respond_redirect(r, 303, "/offers");

    struct stripe_call *call = arena_calloc(r->arena, 1, sizeof *call);
    call->customer_id = sub.stripe_customer_id;
    call->return_url = arena_printf(r->arena, "%s/account", app->site_url);
    r->work_state = call;
    return http_offload(r, portal_work, stripe_finish);
}
