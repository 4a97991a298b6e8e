/*
 * page_offers.c: /offers, where "Learn More »" leads: the plans from the database (price,
 * period, benefits) and how to take one: online checkout when Stripe is configured and the plan
 * has a Stripe price, "Contact us" for institutional plans, or the contact address otherwise.
 */
#include <stdio.h>
#include <string.h>

#include "account.h"
#include "app.h"
#include "pages.h"
#include "reader.h"
#include "render.h"
#include "respond.h"

/* "$12.99" (or "12.99 EUR") for a price in cents. */
static const char *price_display(struct req *r, int64_t cents, const char *currency)
{
    if (!strcmp(currency, "USD"))
        return arena_printf(r->arena, "$%lld.%02lld", (long long)(cents / 100),
                            (long long)(cents % 100));
    return arena_printf(r->arena, "%lld.%02lld %s", (long long)(cents / 100),
                        (long long)(cents % 100), currency);
}

/* The plan's benefits, one per line, as an array. */
static json_t *benefits(const char *text)
{
    json_t *list = json_array();
    const char *line = text;
    while (line && *line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len)
            json_array_append_new(list, json_stringn(line, len));
        line = end ? end + 1 : NULL;
    }
    return list;
}

enum MHD_Result page_offers(struct req *r)
{
    const struct config *c = r->app->config;
    struct plan *plans;
    size_t n;
    if (store_plans(r->app->store, r->arena, 0, &plans, &n) != STORE_OK)
        return respond_error(r, 500);
    int stripe = *c->stripe_secret_key != '\0';
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct plan *p = &plans[i];
        int contact = !strcmp(p->period, "contact");
        const char *period = !strcmp(p->period, "month")  ? "per month"
                             : !strcmp(p->period, "year") ? "per year"
                                                          : "";
        list = render_append(
            list, render_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:b, s:b}", "slug", p->slug, "name",
                              p->name, "description", p->description, "benefits",
                              benefits(p->benefits), "price_display",
                              contact ? "" : price_display(r, p->price_cents, p->currency),
                              "period_label", period, "contact", contact, "checkout",
                              stripe && !contact && *p->stripe_price_id));
    }
    json_t *ctx = render_context(r, "offers", "Subscribe", "Subscription offers", "/offers", NULL);
    ctx = render_set(ctx, "plans", list);
    json_object_set_new(ctx, "contact_email",
                        json_string(*c->contact_email ? c->contact_email : c->mail_from));
    json_object_set_new(ctx, "signed_in", json_boolean(r->reader != NULL));
    json_object_set_new(ctx, "signin_url", json_string("/login?next=/offers"));
    const char *done = req_query(r, "done");
    int canceled = done && !strcmp(done, "canceled");
    json_object_set_new(ctx, "notice", json_boolean(canceled));
    json_object_set_new(ctx, "notice_message",
                        json_string(canceled ? "Checkout was canceled: nothing was charged." : ""));
    if (r->reader) {
        json_object_set_new(ctx, "csrf", json_string(reader_csrf_token(r)));
        ctx = render_set(ctx, "reader", reader_json(&r->reader->user));
    }
    return account_send(r, 200, "offers", ctx);
}
