/*
 * paywall.c: gathering, deciding and counting. See paywall.h.
 */
#include "paywall.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cidr.h"
#include "meter.h"
#include "reader.h"
#include "respond.h"
#include "util.h"

/* One organisation's range, with what is needed to honour it. */
struct range {
    struct cidr cidr;
    char *name;
    int64_t ends_at; /* 0: no end */
};

struct paywall {
    struct meter_key meter_key; /* keyed once here; see meter.h */
    pthread_rwlock_t lock;      /* guards ranges */
    struct range *ranges;
    size_t range_count;
    int64_t version; /* the store's paywall version the ranges were loaded at */
};

/* Frees a range list. */
static void free_ranges(struct range *ranges, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(ranges[i].name);
    free(ranges);
}

/* Loads every organisation's ranges from the store into a new list. -1 on a store error. */
static int load_ranges(struct store *st, struct range **out, size_t *n)
{
    struct arena *a = arena_new(0);
    struct org_range *list;
    size_t count;
    int rc = -1;
    if (store_org_ranges(st, a, &list, &count) != STORE_OK)
        goto out;
    struct range *ranges = xcalloc(count ? count : 1, sizeof *ranges);
    size_t kept = 0;
    for (size_t i = 0; i < count; i++) {
        if (cidr_parse(list[i].cidr, &ranges[kept].cidr) < 0)
            continue; /* stored normalised; never happens */
        ranges[kept].name = xstrdup(list[i].organisation.name);
        ranges[kept].ends_at = list[i].organisation.ends_at;
        kept++;
    }
    *out = ranges;
    *n = kept;
    rc = 0;
out:
    arena_free(a);
    return rc;
}

struct paywall *paywall_new(const struct config *config, struct store *store, char *err,
                            size_t errlen)
{
    struct paywall *p = xcalloc(1, sizeof *p);
    pthread_rwlock_init(&p->lock, NULL);
    unsigned char key[METER_KEY_BYTES];
    if (store_secret(store, "meter", key) != STORE_OK) {
        snprintf(err, errlen, "cannot read or create the meter secret");
        goto fail;
    }
    meter_key_init(&p->meter_key, key);
    sodium_memzero(key, sizeof key);
    store_paywall_version(store, &p->version);
    if (load_ranges(store, &p->ranges, &p->range_count) < 0) {
        snprintf(err, errlen, "cannot load the organisations' address ranges");
        goto fail;
    }
    (void)config;
    return p;
fail:
    paywall_free(p);
    return NULL;
}

void paywall_free(struct paywall *p)
{
    if (!p)
        return;
    free_ranges(p->ranges, p->range_count);
    pthread_rwlock_destroy(&p->lock);
    meter_key_wipe(&p->meter_key);
    free(p);
}

void paywall_refresh(struct paywall *p, struct store *store)
{
    int64_t version;
    if (store_paywall_version(store, &version) != STORE_OK || version == p->version)
        return;
    struct range *ranges;
    size_t n;
    if (load_ranges(store, &ranges, &n) < 0)
        return;
    pthread_rwlock_wrlock(&p->lock);
    struct range *old = p->ranges;
    size_t old_n = p->range_count;
    p->ranges = ranges;
    p->range_count = n;
    p->version = version;
    pthread_rwlock_unlock(&p->lock);
    free_ranges(old, old_n);
}

const char *paywall_institution(struct paywall *p, struct arena *a, const char *ip)
{
    const char *name = NULL;
    int64_t now = util_now();
    pthread_rwlock_rdlock(&p->lock);
    for (size_t i = 0; i < p->range_count && !name; i++) {
        const struct range *r = &p->ranges[i];
        if ((r->ends_at == 0 || r->ends_at > now) && cidr_contains(&r->cidr, ip) == 1)
            name = arena_strdup(a, r->name);
    }
    pthread_rwlock_unlock(&p->lock);
    return name;
}

struct access_decision paywall_decide(struct req *r, int64_t article_id, enum access_level level)
{
    struct app *app = r->app;
    struct store *st = app->store;
    const struct config *c = app->config;
    int64_t now = util_now();
    int64_t since = now - (int64_t)c->meter_period_days * 86400;
    struct access_input in = {.level = level};

    if (level != ACCESS_FREE && r->reader) /* read with the session (reader_load) */
        in.subscriber = access_subscription_active(&r->reader->subscription, now);
    const char *institution = NULL;
    if (level != ACCESS_FREE && !in.subscriber) {
        char ip[64];
        req_client_ip(r, ip, sizeof ip);
        institution = paywall_institution(app->paywall, r->arena, ip);
        in.institution = institution != NULL;
    }

    struct meter meter;
    enum meter_status meter_status = METER_ABSENT;
    int metered = level == ACCESS_METERED && !in.subscriber && !in.institution;
    int unavailable = 0; /* the signed-in meter could not be read or written */
    if (metered && r->reader) {
        /* Judged and recorded in one step (store_meter_take), so parallel requests cannot all
         * see the same count under the allowance; HEAD is safe: it asks, and spends nothing.
         * Any failure (on an HTTP thread, the lock held past HTTP_DB_WAIT_MS) is a preview,
         * never a read served in full unrecorded (issue 8, finding 9). */
        in.signed_in = 1;
        in.allowance = c->meter_signed_in_limit;
        struct meter_take take;
        if (store_meter_take(st, r->reader->user.id, article_id, since, now, in.allowance,
                             r->method != METHOD_HEAD, &take) == STORE_OK) {
            in.already_counted = take.already_counted;
            in.reads_in_period = take.reads_in_period;
        } else {
            unavailable = 1;
        }
    } else if (metered) {
        in.allowance = c->meter_limit;
        meter_status =
            meter_decode(&app->paywall->meter_key, req_cookie(r, PAYWALL_METER_COOKIE), &meter);
        if (meter_status == METER_INVALID) {
            in.meter_invalid = 1;
        } else {
            if (meter_status == METER_ABSENT)
                memset(&meter, 0, sizeof meter);
            meter_prune(&meter, since);
            in.already_counted = meter_has(&meter, article_id);
            in.reads_in_period = (int)meter.count;
        }
    }

    struct access_decision d = access_decide(&in);
    if (unavailable) /* fail closed: nothing was counted, so nothing is given */
        d = (struct access_decision){.outcome = ACCESS_PREVIEW,
                                     .reason = ACCESS_REASON_METER_EXHAUSTED};
    /* HEAD is safe: it may ask what GET would get, but it spends nothing. A signed-in reader's
     * read was recorded by store_meter_take already; an anonymous one's goes in the cookie. */
    if (d.count_this_read && r->method != METHOD_HEAD && !r->reader) {
        meter_add(&meter, article_id, now);
        char value[METER_COOKIE_MAX + 1];
        if (meter_encode(&app->paywall->meter_key, &meter, value, sizeof value) > 0)
            respond_cookie(r, PAYWALL_METER_COOKIE, value, (int64_t)c->meter_period_days * 86400);
    }
    if (institution || metered) {
        struct paywall_note *note = arena_calloc(r->arena, 1, sizeof *note);
        note->institution = institution;
        note->metered = metered;
        note->outcome = d.outcome;
        note->reason = d.reason;
        note->remaining = d.remaining;
        note->allowance = in.allowance;
        note->unavailable = unavailable;
        r->note = note;
    }
    return d;
}
