/*
 * store_paywall.c: the part of store.h for plans, subscriptions, organisations, the meter, Stripe
 * events and default access.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "store_impl.h"
#include "util.h"

/* --- Paywall (store.h) --------------------------------------------------------------------
 *
 * Like the accounts, each write is one statement where one suffices: the upserts (plans by slug,
 * an admin grant by user, a Stripe subscription by its id, a meter read by user and article) let
 * the UNIQUE constraints decide a race instead of a prior SELECT. Saving an organisation needs
 * its id back, which an upsert does not give on both backends when it updated, so it is an
 * upsert and a lookup in one transaction. Ranges are normalised with cidr.h
 * before they are stored or looked for, so the UNIQUE (organisation, range) holds for spellings.
 */

#define DEFAULT_CURRENCY "USD"

/* Reads a plan from the current row of s, starting at column col (PLAN_COLUMNS order). */
static void read_plan(struct db_stmt *s, int col, struct arena *a, struct plan *p)
{
    p->id = db_column_int64(s, col);
    p->slug = store_column_text(s, col + 1, a);
    p->name = store_column_text(s, col + 2, a);
    p->description = store_column_text(s, col + 3, a);
    p->benefits = store_column_text(s, col + 4, a);
    p->period = store_column_text(s, col + 5, a);
    p->price_cents = db_column_int64(s, col + 6);
    p->currency = store_column_text(s, col + 7, a);
    p->position = (int)db_column_int64(s, col + 8);
    p->stripe_price_id = store_column_text(s, col + 9, a);
    p->active = (int)db_column_int64(s, col + 10) != 0;
}

/* read_plan from column 0 (a store_row_reader). */
static void plan_row(struct db_stmt *s, struct arena *a, void *item)
{
    read_plan(s, 0, a, item);
}

/* Reads a subscription from the current row of s, starting at column col (SUBSCRIPTION_COLUMNS
 * order). A NULL user_id (deleted account) reads as 0; a row of NULLs (none) has id 0. */
void store_read_subscription(struct db_stmt *s, int col, struct arena *a, struct subscription *sub)
{
    sub->id = db_column_int64(s, col);
    sub->user_id = db_column_int64(s, col + 1);
    sub->plan_slug = store_column_text(s, col + 2, a);
    sub->status = store_column_text(s, col + 3, a);
    sub->current_period_end = db_column_int64(s, col + 4);
    sub->stripe_customer_id = store_column_text(s, col + 5, a);
    sub->stripe_subscription_id = store_column_text(s, col + 6, a);
    sub->source = store_column_text(s, col + 7, a);
    sub->created_at = db_column_int64(s, col + 8);
    sub->updated_at = db_column_int64(s, col + 9);
}

/* Reads an organisation from the current row of s, starting at column col
 * (ORGANISATION_COLUMNS order). */
static void read_organisation(struct db_stmt *s, int col, struct arena *a, struct organisation *org)
{
    org->id = db_column_int64(s, col);
    org->slug = store_column_text(s, col + 1, a);
    org->name = store_column_text(s, col + 2, a);
    org->ends_at = db_column_int64(s, col + 3);
}

/* read_organisation from column 0 (a store_row_reader). */
static void organisation_row(struct db_stmt *s, struct arena *a, void *item)
{
    read_organisation(s, 0, a, item);
}

/* 1 if period is one of the plans' periods (the CHECK constraint's list). */
static int plan_period_valid(const char *period)
{
    return period && (strcmp(period, "month") == 0 || strcmp(period, "year") == 0 ||
                      strcmp(period, "contact") == 0);
}

int store_plan_save(struct store *st, const struct plan *p)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c)
        goto out;
    if (!store_present(p->slug) || !store_present(p->name) || !plan_period_valid(p->period) ||
        p->price_cents < 0) {
        store_report(NULL, 0,
                     "plan '%s': a slug, a name, a period (month, year or contact) and a price "
                     "of at least 0 are required",
                     p->slug ? p->slug : "");
        goto out;
    }
    if (!(s = store_stmt(c, STMT_PLAN_UPSERT, NULL, 0)))
        goto out;
    db_bind_text(s, 1, p->slug);
    db_bind_text(s, 2, p->name);
    db_bind_text(s, 3, p->description);
    db_bind_text(s, 4, p->benefits);
    db_bind_text(s, 5, p->period);
    db_bind_int64(s, 6, p->price_cents);
    db_bind_text(s, 7, store_present(p->currency) ? p->currency : DEFAULT_CURRENCY);
    db_bind_int64(s, 8, p->position);
    db_bind_text(s, 9, p->stripe_price_id);
    db_bind_int64(s, 10, p->active ? 1 : 0);
    rc = store_step_write(c, s, 0, "saving a plan");
out:
    db_reset(s);
    return rc;
}

int store_plans(struct store *st, struct arena *a, int include_inactive, struct plan **out,
                size_t *n)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_PLANS, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, include_inactive ? 1 : 0);
    rc = store_read_rows(c, s, a, sizeof **out, plan_row, "listing plans", (void **)out, n);
out:
    db_reset(s);
    return rc;
}

int store_plan_by_slug(struct store *st, struct arena *a, const char *slug, struct plan *out)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_PLAN_BY_SLUG, NULL, 0)))
        goto out;
    db_bind_text(s, 1, slug);
    rc = store_step_one(c, s, "plan '%s'", slug ? slug : "");
    if (rc == STORE_OK)
        read_plan(s, 0, a, out);
out:
    db_reset(s);
    return rc;
}

int store_plan_delete(struct store *st, const char *slug)
{
    return store_write_texts(st, STMT_PLAN_DELETE, 1, slug, NULL, 1, "deleting a plan");
}

int store_subscription_grant(struct store *st, int64_t user_id, const char *plan_slug,
                             int64_t until)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c)
        goto out;
    if (!store_present(plan_slug)) {
        store_report(NULL, 0, "granting a subscription: a plan is required");
        goto out;
    }
    if (!(s = store_stmt(c, STMT_SUBSCRIPTION_GRANT, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, user_id);
    db_bind_text(s, 2, plan_slug);
    db_bind_int64(s, 3, until);
    db_bind_int64(s, 4, util_now());
    rc = store_step_write(c, s, 0, "granting a subscription");
out:
    db_reset(s);
    return rc;
}

int store_subscription_revoke(struct store *st, int64_t user_id)
{
    return store_write_ids(st, STMT_SUBSCRIPTION_REVOKE, 2, user_id, util_now(), 1,
                           "revoking a subscription");
}

/* Runs the one-row subscription lookup id into *out: STMT_SUBSCRIPTION_CURRENT with ?1 =
 * user_id and ?2 = now, or STMT_SUBSCRIPTION_BY_CUSTOMER with ?1 = customer_id. Returns
 * STORE_OK, STORE_NOT_FOUND or STORE_ERROR. */
static int subscription_lookup(struct store *st, struct arena *a, enum statement id,
                               int64_t user_id, int64_t now, const char *customer_id,
                               struct subscription *out)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, id, NULL, 0)))
        goto out;
    if (id == STMT_SUBSCRIPTION_CURRENT) {
        db_bind_int64(s, 1, user_id);
        db_bind_int64(s, 2, now);
    } else {
        db_bind_text(s, 1, customer_id);
    }
    rc = store_step_one(c, s, "looking up a subscription");
    if (rc == STORE_OK)
        store_read_subscription(s, 0, a, out);
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
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (applied)
        *applied = 0;
    if (!c)
        goto out;
    if (!store_present(stripe_subscription_id) || !subscription_status_valid(status)) {
        store_report(NULL, 0,
                     "Stripe subscription '%s': an id and a status (active, past_due or "
                     "canceled) are required",
                     stripe_subscription_id ? stripe_subscription_id : "");
        goto out;
    }
    if (!(s = store_stmt(c, STMT_SUBSCRIPTION_STRIPE_UPSERT, NULL, 0)))
        goto out;
    db_bind_text(s, 1, stripe_subscription_id);
    db_bind_text(s, 2, stripe_customer_id);
    db_bind_int64(s, 3, user_id);
    db_bind_text(s, 4, plan_slug);
    db_bind_text(s, 5, status);
    db_bind_int64(s, 6, current_period_end);
    db_bind_int64(s, 7, util_now());
    db_bind_int64(s, 8, event_at);
    /* RETURNING gives one row, after the whole statement has run. A refused user (the foreign
     * key) leaves the caller's transaction usable for the retry without one. */
    int step = db_step_guarded(s);
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
        store_report(NULL, 0, "saving a Stripe subscription: %s", db_errmsg(c));
    }
out:
    db_reset(s);
    return rc;
}

int store_org_save(struct store *st, const char *slug, const char *name, int64_t ends_at,
                   int64_t *id)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c)
        return STORE_ERROR;
    if (!store_present(slug) || !store_present(name)) {
        store_report(NULL, 0, "organisation '%s': a slug and a name are required",
                     slug ? slug : "");
        return STORE_ERROR;
    }
    if (!(s = store_stmt(c, STMT_ORG_UPSERT, NULL, 0)))
        goto out;
    db_bind_text(s, 1, slug);
    db_bind_text(s, 2, name);
    db_bind_int64(s, 3, ends_at);
    db_bind_int64(s, 4, util_now());
    /* RETURNING id: the new row's or the updated one's, in the same statement */
    if (store_step_insert(c, s, id, "saving an organisation") == STORE_OK)
        rc = STORE_OK;
out:
    db_reset(s);
    return rc;
}

/* Normalises the range text into out (cidr_format's form). Returns 0, or -1 (reported with
 * what) if it is not a range. */
static int normalise_range(const char *text, char out[CIDR_TEXT_MAX], const char *what)
{
    struct cidr range;
    if (cidr_parse(text, &range) != 0 || cidr_format(&range, out, CIDR_TEXT_MAX) < 0) {
        store_report(NULL, 0, "%s: '%s' is not an address range", what, text ? text : "");
        return -1;
    }
    return 0;
}

int store_org_add_range(struct store *st, const char *org_slug, const char *cidr)
{
    char range[CIDR_TEXT_MAX];
    if (normalise_range(cidr, range, "adding a range") != 0)
        return STORE_ERROR;
    return store_write_texts(st, STMT_ORG_ADD_RANGE, 2, org_slug, range, 1, "adding a range");
}

int store_org_remove_range(struct store *st, const char *org_slug, const char *cidr)
{
    char range[CIDR_TEXT_MAX];
    if (normalise_range(cidr, range, "removing a range") != 0)
        return STORE_ERROR;
    return store_write_texts(st, STMT_ORG_REMOVE_RANGE, 2, org_slug, range, 1, "removing a range");
}

int store_orgs(struct store *st, struct arena *a, struct organisation **out, size_t *n)
{
    return store_list_all(st, STMT_ORGS, a, sizeof **out, organisation_row, "listing organisations",
                          (void **)out, n);
}

/* Reads an organisation and one of its ranges (STMT_ORG_RANGES order) into item (a
 * store_row_reader). */
static void org_range_row(struct db_stmt *s, struct arena *a, void *item)
{
    struct org_range *r = item;
    read_organisation(s, 0, a, &r->organisation);
    r->cidr = store_column_text(s, ORGANISATION_NCOLUMNS, a);
}

int store_org_ranges(struct store *st, struct arena *a, struct org_range **out, size_t *n)
{
    return store_list_all(st, STMT_ORG_RANGES, a, sizeof **out, org_range_row,
                          "listing address ranges", (void **)out, n);
}

int store_org_delete(struct store *st, const char *slug)
{
    return store_write_texts(st, STMT_ORG_DELETE, 1, slug, NULL, 1, "deleting an organisation");
}

int store_meter_count(struct store *st, int64_t user_id, int64_t since, int *count)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_METER_COUNT, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, user_id);
    db_bind_int64(s, 2, since);
    if (db_step(s) != DB_ROW) {
        store_report(NULL, 0, "counting a reader's reads: %s", db_errmsg(c));
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
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_METER_READ_AT, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, user_id);
    db_bind_int64(s, 2, article_id);
    rc = store_step_one(c, s, "looking up a read");
    if (rc == STORE_OK)
        *read_at = db_column_int64(s, 0);
out:
    db_reset(s);
    return rc;
}

int store_meter_record(struct store *st, int64_t user_id, int64_t article_id, int64_t since,
                       int64_t now)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_METER_RECORD, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, user_id);
    db_bind_int64(s, 2, article_id);
    db_bind_int64(s, 3, since);
    db_bind_int64(s, 4, now);
    /* A re-read inside the period changes no row and is still STORE_OK: must_change is 0. */
    rc = store_step_write(c, s, 0, "recording a read");
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
    struct db_stmt *s = store_stmt(c, STMT_METER_STATE, NULL, 0);
    int rc = STORE_ERROR;
    if (!s)
        goto out;
    db_bind_int64(s, 1, user_id);
    db_bind_int64(s, 2, article_id);
    db_bind_int64(s, 3, since);
    if (db_step(s) != DB_ROW) {
        store_report(NULL, 0, "reading a reader's meter: %s", db_errmsg(c));
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
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int64_t read_at;
    int count, rc = STORE_ERROR;
    int in_tx = 0; /* a store_tx_begin level of ours is open */
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
    if (store_tx_begin(c, NULL, 0) != 0)
        goto out;
    in_tx = 1;
    /* SQLite's transaction holds the write lock from its start; PostgreSQL's does not, so there
     * the reader's own row is locked first (STMT_METER_LOCK), which queues one reader's
     * parallel reads without holding up anyone else's. */
    if (!(s = store_stmt(c, STMT_METER_LOCK, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, user_id);
    if (store_step_one(c, s, "locking the meter of user %lld", (long long)user_id) == STORE_ERROR)
        goto out;
    db_reset(s);
    s = NULL;
    if (meter_state(c, user_id, article_id, since, &read_at, &count) != STORE_OK)
        goto out;
    if (!meter_judge(read_at, count, since, allowance, out)) {
        rc = STORE_OK; /* another request counted it, or spent the allowance, meanwhile */
        goto out;
    }
    if (!(s = store_stmt(c, STMT_METER_RECORD, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, user_id);
    db_bind_int64(s, 2, article_id);
    db_bind_int64(s, 3, since);
    db_bind_int64(s, 4, now);
    if ((rc = store_step_write(c, s, 0, "recording a read")) != STORE_OK)
        goto out; /* STORE_NOT_FOUND: the user or the article is gone */
    db_reset(s);
    s = NULL;
    in_tx = 0;
    if (store_tx_commit(c, NULL, 0) != 0) {
        rc = STORE_ERROR;
        goto out;
    }
    out->counted = 1;
    rc = STORE_OK;
out:
    db_reset(s);
    if (in_tx)
        store_tx_rollback(c);
    return rc;
}

int store_meter_purge(struct store *st, int64_t before)
{
    return store_write_ids(st, STMT_METER_PURGE, 1, before, 0, 0, "purging reads");
}

int store_stripe_event_record(struct store *st, const char *event_id, const char *type, int64_t now)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c)
        goto out;
    if (!store_present(event_id)) {
        store_report(NULL, 0, "recording a Stripe event: the id is empty");
        goto out;
    }
    if (!(s = store_stmt(c, STMT_STRIPE_EVENT_INSERT, NULL, 0)))
        goto out;
    db_bind_text(s, 1, event_id);
    db_bind_text(s, 2, type);
    db_bind_int64(s, 3, now);
    rc = store_step_write(c, s, 0, "recording a Stripe event"); /* PRIMARY KEY: STORE_CONFLICT */
out:
    db_reset(s);
    return rc;
}

int store_stripe_event_forget(struct store *st, const char *event_id)
{
    return store_write_texts(st, STMT_STRIPE_EVENT_DELETE, 1, event_id, NULL, 1,
                             "forgetting a Stripe event");
}

/* Sets default_access of the row slug through statement id (publications or sections).
 * level "" or NULL inherits; otherwise it must be a level name. */
static int set_default_access(struct store *st, enum statement id, const char *slug,
                              const char *level, const char *what)
{
    if (store_present(level) && store_access_parse(level) < 0) {
        store_report(NULL, 0, "%s '%s': '%s' is not an access level", what, slug ? slug : "",
                     level);
        return STORE_ERROR;
    }
    return store_write_texts(st, id, 2, slug, level, 1, what);
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
    return store_meta_value(st, STMT_PAYWALL_VERSION, version, "paywall version");
}
