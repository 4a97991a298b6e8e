/*
 * cmd_paywall.c: the paywall's operator commands: `broadsheet plan add|list|remove` (the offers
 * page), `subscription grant|revoke|list` (subscriptions given by hand; Stripe's come through
 * its webhook) and `org add|range add|range remove|list|remove` (organisations whose address
 * ranges read everything). A running server picks their changes up by itself.
 *
 * Plans and organisations are keyed by slug; subscriptions by the account's email. Dates on the
 * command line are whole days, YYYY-MM-DD, meaning the end of that day in UTC (23:59:59), so
 * "--until 2027-12-31" covers all of New Year's Eve wherever the reader is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "arena.h"
#include "auth.h"
#include "cidr.h"
#include "cmd.h"
#include "store.h"
#include "util.h"

/* Parses a price in major units into minor units: "12.99" is 1299, "12" is 1200, "12.5" is
 * 1250. Digits only, at most 9 of them before the point and 1 or 2 after it; no sign, no
 * spaces, no exponent, no thousands separator. Returns 0, or -1 (*cents untouched). */
static int parse_price(const char *text, int64_t *cents)
{
    int64_t units = 0, fraction = 0;
    size_t i = 0, digits = 0;
    while (text[i] >= '0' && text[i] <= '9') {
        if (++digits > 9)
            return -1;
        units = units * 10 + (text[i++] - '0');
    }
    if (digits == 0)
        return -1;
    if (text[i] == '.') {
        size_t decimals = 0;
        i++;
        while (text[i] >= '0' && text[i] <= '9') {
            if (++decimals > 2)
                return -1;
            fraction = fraction * 10 + (text[i++] - '0');
        }
        if (decimals == 0)
            return -1;
        if (decimals == 1)
            fraction *= 10;
    }
    if (text[i] != '\0')
        return -1;
    *cents = units * 100 + fraction;
    return 0;
}

/* A plan's price for listings, from a: "12.99 USD per month", "129.00 USD per year" or
 * "contact us". */
static const char *plan_price_text(struct arena *a, const struct plan *p)
{
    if (!strcmp(p->period, "contact"))
        return "contact us";
    return arena_printf(a, "%lld.%02lld %s per %s", (long long)(p->price_cents / 100),
                        (long long)(p->price_cents % 100), p->currency, p->period);
}

/* Looks up the account email (normalised as at log-in) into *u (strings from a). Returns 0, or
 * -1 after printing why. */
static int find_account(struct store *st, struct arena *a, const char *email, struct user *u)
{
    int status = store_user_by_email(st, a, auth_email_normalize(a, email), u);
    if (status == STORE_NOT_FOUND)
        fprintf(stderr, "broadsheet: no account %s\n", email);
    else if (status != STORE_OK)
        fprintf(stderr, "broadsheet: cannot read the account %s\n", email);
    return status == STORE_OK ? 0 : -1;
}

static int command_plan_add(struct cli_call *call)
{
    const char *name = cli_value(call, "name");
    const char *period = cli_value(call, "period");
    const char *price_text = cli_value(call, "price");
    const char *currency_text = cli_value(call, "currency");
    const char *position_text = cli_value(call, "position");
    const char *stripe_price = cli_value(call, "stripe-price");
    const char *description = cli_value(call, "description");
    const char *benefit = cli_value(call, "benefit");
    const char *slug = call->arguments[0];
    if (!cmd_slug_valid(slug))
        return cli_usage_error(
            call, "'%s' is not a valid plan slug (lowercase letters, digits and hyphens)", slug);
    if (!*name)
        return cli_usage_error(call, "%s", "--name is empty");
    if (strcmp(period, "month") != 0 && strcmp(period, "year") != 0 &&
        strcmp(period, "contact") != 0)
        return cli_usage_error(call, "unknown period '%s' (month, year or contact)", period);
    int contact = !strcmp(period, "contact");
    int64_t price = -1;
    if (price_text && parse_price(price_text, &price) < 0)
        return cli_usage_error(
            call,
            "'%s' is not a price: write it like 12.99 or 12 (no sign, at most two "
            "decimals)",
            price_text);
    if (contact && price_text)
        return cli_usage_error(call, "%s", "a contact plan has no price: leave out --price");
    char currency[4] = "";
    if (currency_text) {
        if (strlen(currency_text) != 3)
            return cli_usage_error(call, "'%s' is not a currency code (three letters, like USD)",
                                   currency_text);
        for (int i = 0; i < 3; i++) {
            char c = currency_text[i];
            if (c >= 'a' && c <= 'z')
                c = (char)(c - 'a' + 'A');
            if (c < 'A' || c > 'Z')
                return cli_usage_error(
                    call, "'%s' is not a currency code (three letters, like USD)", currency_text);
            currency[i] = c;
        }
    }
    int position = 0;
    if (position_text) {
        char *end;
        errno = 0;
        long n = strtol(position_text, &end, 10);
        if (errno || end == position_text || *end || n < 0 || n > 1000000)
            return cli_usage_error(
                call, "'%s' is not a position (a whole number from 0 to 1000000)", position_text);
        position = (int)n;
    }
    if (stripe_price && *stripe_price && strncmp(stripe_price, "price_", 6) != 0)
        return cli_usage_error(call, "'%s' is not a Stripe price id (price_...)", stripe_price);
    if (contact && stripe_price && *stripe_price)
        return cli_usage_error(call, "%s",
                               "a contact plan is not sold through Stripe: leave out "
                               "--stripe-price");

    struct store *st = cli_store(call);
    if (!st)
        return 1;
    struct arena *a = arena_new(0);
    int rc = 1;
    struct plan p;
    int status = store_plan_by_slug(st, a, slug, &p);
    int existed = status == STORE_OK;
    if (status == STORE_ERROR) {
        fprintf(stderr, "broadsheet: cannot read the plans\n");
        goto out;
    }
    if (!existed) {
        /* A new plan goes after every other one unless --position says otherwise. */
        struct plan *plans;
        size_t n;
        memset(&p, 0, sizeof p);
        if (store_plans(st, a, 1, &plans, &n) != STORE_OK) {
            fprintf(stderr, "broadsheet: cannot read the plans\n");
            goto out;
        }
        p.position = 1;
        for (size_t i = 0; i < n; i++)
            if (plans[i].position >= p.position)
                p.position = plans[i].position + 1;
    }
    /* A priced plan needs a price: given now, or kept from the priced plan it updates. */
    if (!contact && price < 0 && (!existed || !strcmp(p.period, "contact"))) {
        rc = cli_usage_error(call, "a %s plan needs --price", period);
        goto out;
    }
    p.slug = slug;
    p.name = name;
    p.period = period;
    p.active = 1;
    if (contact) {
        p.price_cents = 0;
        p.stripe_price_id = "";
    } else if (price >= 0) {
        p.price_cents = price;
    }
    if (currency_text)
        p.currency = currency;
    if (description)
        p.description = description;
    if (benefit)
        p.benefits = benefit;
    if (position_text)
        p.position = position;
    if (stripe_price)
        p.stripe_price_id = stripe_price;
    if (store_plan_save(st, &p) != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot save the plan %s\n", slug);
        goto out;
    }
    if (store_plan_by_slug(st, a, slug, &p) != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot read the plan %s back\n", slug);
        goto out;
    }
    printf("%s plan %s: %s, %s\n", existed ? "updated" : "created", p.slug, p.name,
           plan_price_text(a, &p));
    rc = 0;
out:
    arena_free(a);
    return rc;
}

static int command_plan_list(struct cli_call *call)
{
    struct store *st = cli_store(call);
    if (!st)
        return 1;
    struct arena *a = arena_new(0);
    struct plan *plans;
    size_t n;
    int rc = 0;
    if (store_plans(st, a, 1, &plans, &n) != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot list plans\n");
        rc = 1;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const struct plan *p = &plans[i];
        printf("%3d  %-16s %-22s %s%s\n", p->position, p->slug, plan_price_text(a, p), p->name,
               p->active ? "" : " (withdrawn)");
        if (*p->description)
            printf("       %s\n", p->description);
        for (const char *line = p->benefits; *line;) {
            size_t len = strcspn(line, "\n");
            if (len)
                printf("       - %.*s\n", (int)len, line);
            line += len + (line[len] == '\n');
        }
        if (*p->stripe_price_id)
            printf("       Stripe price %s\n", p->stripe_price_id);
    }
    printf("%zu plan%s\n", n, n == 1 ? "" : "s");
out:
    arena_free(a);
    return rc;
}

static int command_plan_remove(struct cli_call *call)
{
    struct store *st = cli_store(call);
    if (!st)
        return 1;
    int rc = 1;
    int status = store_plan_delete(st, call->arguments[0]);
    if (status == STORE_NOT_FOUND)
        fprintf(stderr, "broadsheet: no plan %s\n", call->arguments[0]);
    else if (status != STORE_OK)
        fprintf(stderr, "broadsheet: cannot remove the plan %s\n", call->arguments[0]);
    else {
        printf("removed plan %s\n", call->arguments[0]);
        rc = 0;
    }
    return rc;
}

static int command_subscription_grant(struct cli_call *call)
{
    const char *plan = cli_value(call, "plan");
    const char *until_text = cli_value(call, "until");
    if (!*plan)
        return cli_usage_error(call, "%s", "--plan is empty");
    int64_t until;
    if (cmd_parse_day_end(until_text, &until) < 0)
        return cli_usage_error(call, "'%s' is not a date (YYYY-MM-DD)", until_text);
    const char *email = call->arguments[0];
    struct store *st = cli_store(call);
    if (!st)
        return 1;
    struct arena *a = arena_new(0);
    struct user u;
    struct plan p;
    int rc = 1, status;
    if (find_account(st, a, email, &u) < 0)
        goto out;
    status = store_plan_by_slug(st, a, plan, &p);
    if (status == STORE_NOT_FOUND) {
        fprintf(stderr, "broadsheet: no plan %s (see `broadsheet plan list`)\n", plan);
        goto out;
    }
    if (status != STORE_OK || store_subscription_grant(st, u.id, p.slug, until) != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot grant the subscription\n");
        goto out;
    }
    printf("%s has the %s plan until the end of %s (UTC)%s\n", u.email, p.slug, until_text,
           until <= util_now() ? ": that day is over, so it has already ended" : "");
    rc = 0;
out:
    arena_free(a);
    return rc;
}

static int command_subscription_revoke(struct cli_call *call)
{
    struct store *st = cli_store(call);
    if (!st)
        return 1;
    struct arena *a = arena_new(0);
    struct user u;
    int rc = 1, status;
    if (find_account(st, a, call->arguments[0], &u) < 0)
        goto out;
    status = store_subscription_revoke(st, u.id);
    if (status == STORE_NOT_FOUND) {
        /* Stripe's own subscriptions are ended in Stripe, whose webhook then tells us. */
        fprintf(stderr, "broadsheet: %s has no granted subscription to revoke\n", u.email);
        goto out;
    }
    if (status != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot revoke the subscription\n");
        goto out;
    }
    printf("revoked the subscription granted to %s\n", u.email);
    rc = 0;
out:
    arena_free(a);
    return rc;
}

/* Lists each account's current subscription (store_subscription_current: the one that counts,
 * else the latest), one line each. A subscription whose account was deleted has no email to
 * show and is not listed. */
static int command_subscription_list(struct cli_call *call)
{
    struct store *st = cli_store(call);
    if (!st)
        return 1;
    struct arena *a = arena_new(0);
    struct user *users;
    size_t n, shown = 0;
    int64_t now = util_now();
    int rc = 1;
    if (store_users(st, a, &users, &n) != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot list accounts\n");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        struct subscription s;
        char until[16];
        int status = store_subscription_current(st, a, users[i].id, now, &s);
        if (status == STORE_NOT_FOUND)
            continue;
        if (status != STORE_OK) {
            fprintf(stderr, "broadsheet: cannot read the subscription of %s\n", users[i].email);
            goto out;
        }
        /* "active" past its end is shown as what it is for the reader: ended. */
        const char *state = s.status;
        if (!strcmp(state, "active") && !access_subscription_active(&s, now))
            state = "ended";
        cmd_format_day(s.current_period_end, until, sizeof until);
        printf("%-32s %-16s %-9s %s  %s\n", users[i].email, *s.plan_slug ? s.plan_slug : "-", state,
               until, s.source);
        shown++;
    }
    printf("%zu subscription%s\n", shown, shown == 1 ? "" : "s");
    rc = 0;
out:
    arena_free(a);
    return rc;
}

static int command_org_add(struct cli_call *call)
{
    const char *name = cli_value(call, "name");
    const char *until_text = cli_value(call, "until");
    const char *slug = call->arguments[0];
    if (!cmd_slug_valid(slug))
        return cli_usage_error(
            call,
            "'%s' is not a valid organisation slug (lowercase letters, digits and "
            "hyphens)",
            slug);
    if (!*name)
        return cli_usage_error(call, "%s", "--name is empty");
    int64_t until = 0;
    if (until_text && cmd_parse_day_end(until_text, &until) < 0)
        return cli_usage_error(call, "'%s' is not a date (YYYY-MM-DD)", until_text);
    struct store *st = cli_store(call);
    if (!st)
        return 1;
    int rc = 1;
    if (store_org_save(st, slug, name, until, NULL) != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot save the organisation %s\n", slug);
        goto out;
    }
    if (until_text)
        printf("organisation %s (%s): access until the end of %s (UTC)%s\n", slug, name, until_text,
               until <= util_now() ? ": that day is over, so it has already ended" : "");
    else
        printf("organisation %s (%s): access with no end date\n", slug, name);
    rc = 0;
out:
    return rc;
}

/* 1 if the organisation slug exists, 0 if not, -1 if the database cannot tell. */
static int org_exists(struct store *st, struct arena *a, const char *slug)
{
    struct organisation *orgs;
    size_t n;
    if (store_orgs(st, a, &orgs, &n) != STORE_OK)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(orgs[i].slug, slug))
            return 1;
    return 0;
}

/* org range add and org range remove: `add` says which. */
static int org_range_change(struct cli_call *call, int add)
{
    const char *verb = add ? "add" : "remove";
    const char *slug = call->arguments[0];
    struct cidr range;
    char text[CIDR_TEXT_MAX];
    if (cidr_parse(call->arguments[1], &range) < 0 || cidr_format(&range, text, sizeof text) < 0)
        return cli_usage_error(call,
                               "'%s' is not an address range (like 192.0.2.0/24, 2001:db8::/32 or "
                               "one address)",
                               call->arguments[1]);
    struct store *st = cli_store(call);
    if (!st)
        return 1;
    struct arena *a = arena_new(0);
    int rc = 1;
    int status = add ? store_org_add_range(st, slug, text) : store_org_remove_range(st, slug, text);
    if (status == STORE_OK) {
        printf(add ? "added %s to %s\n" : "removed %s from %s\n", text, slug);
        rc = 0;
    } else if (status == STORE_CONFLICT) {
        fprintf(stderr, "broadsheet: %s already has the range %s\n", slug, text);
    } else if (status == STORE_NOT_FOUND && org_exists(st, a, slug) == 0) {
        fprintf(stderr, "broadsheet: no organisation %s\n", slug);
    } else if (status == STORE_NOT_FOUND) {
        fprintf(stderr, "broadsheet: %s has no range %s\n", slug, text);
    } else {
        fprintf(stderr, "broadsheet: cannot %s the range\n", verb);
    }
    arena_free(a);
    return rc;
}

static int command_org_range_add(struct cli_call *call)
{
    return org_range_change(call, 1);
}

static int command_org_range_remove(struct cli_call *call)
{
    return org_range_change(call, 0);
}

static int command_org_list(struct cli_call *call)
{
    struct store *st = cli_store(call);
    if (!st)
        return 1;
    struct arena *a = arena_new(0);
    struct organisation *orgs;
    struct org_range *ranges;
    size_t n, nranges;
    int64_t now = util_now();
    int rc = 1;
    if (store_orgs(st, a, &orgs, &n) != STORE_OK ||
        store_org_ranges(st, a, &ranges, &nranges) != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot list organisations\n");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        char day[16];
        const char *ends = "no end date";
        if (orgs[i].ends_at) {
            cmd_format_day(orgs[i].ends_at, day, sizeof day);
            ends = arena_printf(a, "%s %s",
                                access_organisation_active(&orgs[i], now) ? "until" : "ended", day);
        }
        printf("%-24s %-17s %s\n", orgs[i].slug, ends, orgs[i].name);
        size_t count = 0;
        for (size_t j = 0; j < nranges; j++) {
            if (strcmp(ranges[j].organisation.slug, orgs[i].slug) != 0)
                continue;
            printf("    %s\n", ranges[j].cidr);
            count++;
        }
        if (!count)
            printf("    (no address ranges)\n");
    }
    printf("%zu organisation%s\n", n, n == 1 ? "" : "s");
    rc = 0;
out:
    arena_free(a);
    return rc;
}

static int command_org_remove(struct cli_call *call)
{
    struct store *st = cli_store(call);
    if (!st)
        return 1;
    int rc = 1;
    int status = store_org_delete(st, call->arguments[0]);
    if (status == STORE_NOT_FOUND)
        fprintf(stderr, "broadsheet: no organisation %s\n", call->arguments[0]);
    else if (status != STORE_OK)
        fprintf(stderr, "broadsheet: cannot remove the organisation %s\n", call->arguments[0]);
    else {
        printf("removed organisation %s and its ranges\n", call->arguments[0]);
        rc = 0;
    }
    return rc;
}

static const struct cli_option plan_add_options[] = {
    {"name", "NAME", CLI_REQUIRED},
    {"period", "month|year|contact", CLI_REQUIRED},
    {"price", "12.99", 0},
    {"currency", "USD", 0},
    {"description", "TEXT", 0},
    {"benefit", "TEXT", CLI_REPEATABLE},
    {"position", "N", 0},
    {"stripe-price", "price_...", 0},
    {NULL, NULL, 0},
};

static const struct cli_option subscription_grant_options[] = {
    {"plan", "SLUG", CLI_REQUIRED},
    {"until", "YYYY-MM-DD", CLI_REQUIRED},
    {NULL, NULL, 0},
};

static const struct cli_option org_add_options[] = {
    {"name", "NAME", CLI_REQUIRED},
    {"until", "YYYY-MM-DD", 0},
    {NULL, NULL, 0},
};

const struct cli_command cmd_paywall[] = {
    {"plan add", "SLUG", plan_add_options, CLI_STORE,
     "create or update (by SLUG) a plan on the offers page; month and year plans need a price, "
     "contact plans (\"contact us\") have none; each --benefit is one line of the plan's list; "
     "options left out keep an existing plan's values; a new plan goes last unless --position "
     "says otherwise",
     command_plan_add},
    {"plan list", "", NULL, CLI_STORE, "list the plans in offer order", command_plan_list},
    {"plan remove", "SLUG", NULL, CLI_STORE, "delete a plan (subscriptions to it are kept)",
     command_plan_remove},
    {"subscription grant", "EMAIL", subscription_grant_options, CLI_STORE,
     "give an account a subscription to a plan until the end of that day (UTC); replaces the "
     "account's earlier grant",
     command_subscription_grant},
    {"subscription revoke", "EMAIL", NULL, CLI_STORE,
     "end the subscription granted to an account, now", command_subscription_revoke},
    {"subscription list", "", NULL, CLI_STORE,
     "list each account's subscription: email, plan, status, until, source (admin or stripe)",
     command_subscription_list},
    {"org add", "SLUG", org_add_options, CLI_STORE,
     "create or update an organisation: readers at its addresses read everything until the end "
     "of that day (UTC; no --until: no end), and see \"Access provided by NAME\"",
     command_org_add},
    {"org range add", "SLUG CIDR", NULL, CLI_STORE,
     "add an address range to an organisation: IPv4 or IPv6, \"192.0.2.0/24\", "
     "\"2001:db8::/32\", or one address",
     command_org_range_add},
    {"org range remove", "SLUG CIDR", NULL, CLI_STORE, "remove an address range",
     command_org_range_remove},
    {"org list", "", NULL, CLI_STORE, "list organisations with their ranges", command_org_list},
    {"org remove", "SLUG", NULL, CLI_STORE, "delete an organisation and its ranges",
     command_org_remove},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
