/*
 * routes.c: the reader site's URL space. Pages with a render function are cached (route.h);
 * the rest answer for themselves.
 */
#include "pages.h"
#include "route.h"

#define GET_HEAD (METHOD_GET | METHOD_HEAD)
#define FORM (METHOD_GET | METHOD_HEAD | METHOD_POST)

const struct route routes[] = {
    {GET_HEAD, "/", page_home, NULL, 0},
    {GET_HEAD, "/articles/:slug", NULL, page_article, 0},
    {GET_HEAD, "/sections/:slug", page_section, NULL, 0},
    {GET_HEAD, "/publications/:slug", page_publication, NULL, 0},
    {GET_HEAD, "/static/:file", NULL, page_static, 0},
    {GET_HEAD, "/healthz", NULL, page_health, 0},
    {GET_HEAD, "/offers", NULL, page_offers, 0},

    /* reader accounts */
    {FORM, "/login", NULL, page_login, 0},
    {METHOD_POST, "/logout", NULL, page_logout, 0},
    {FORM, "/register", NULL, page_register, 0},
    {GET_HEAD, "/verify", NULL, page_verify, 0},
    {GET_HEAD, "/verify-email", NULL, page_verify_email, 0},
    {FORM, "/forgot", NULL, page_forgot, 0},
    {FORM, "/reset", NULL, page_reset, 0},
    {GET_HEAD, "/account", NULL, page_account, 0},
    {METHOD_POST, "/account/name", NULL, page_account_name, 0},
    {METHOD_POST, "/account/email", NULL, page_account_email, 0},
    {METHOD_POST, "/account/password", NULL, page_account_password, 0},
    {METHOD_POST, "/account/verify", NULL, page_account_verify, 0},
    {METHOD_POST, "/account/sessions/end", NULL, page_account_sessions, 0},
    {METHOD_POST, "/account/delete", NULL, page_account_delete, 0},

    /* Stripe: the webhook is authenticated by its signature, not CSRF */
    {METHOD_POST, "/stripe/webhook", NULL, page_stripe_webhook, ROUTE_RAW_BODY},
    {METHOD_POST, "/subscribe", NULL, page_subscribe, 0},
    {METHOD_POST, "/account/billing", NULL, page_account_billing, 0},

    /* advertising (page_ads.c): the beacon takes any body or none (navigator.sendBeacon) */
    {GET_HEAD, "/ads/slots", NULL, page_ads_slots, 0},
    {GET_HEAD, "/ads/image/:id", NULL, page_ads_image, 0},
    {GET_HEAD, "/ads/frame/:id", NULL, page_ads_frame, 0},
    {GET_HEAD, "/ads/click/:id", NULL, page_ads_click, 0},
    {METHOD_POST, "/ads/impression/:id", NULL, page_ads_impression, ROUTE_ANY_BODY},
};

const size_t route_count = sizeof routes / sizeof routes[0];
