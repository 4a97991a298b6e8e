/*
 * access.h: may this reader see this article in full, or only its preview? The decision alone,
 * as a pure function of facts the caller gathered (the article's level, the reader's
 * subscription, institution and meter): no I/O, no clock, no state, so every rule is tested by
 * a table (tests/unit/test_access.c) and the same answer comes out whatever the request path.
 *
 * What the caller gathers, per request:
 *   - level: the article's own access level (store.h; always set, defaults applied at import:
 *     access_effective_level);
 *   - subscriber: the reader is signed in and store_subscription_current gives a subscription
 *     that access_subscription_active accepts;
 *   - institution: the client address (cidr_client_ip) is in a range of an organisation whose
 *     access has not ended (access_organisation_active);
 *   - the meter: for an anonymous reader the signed cookie (meter.h) after meter_prune to the
 *     period; for a signed-in reader the database (store_meter_take, which also records the
 *     read when it is one to count, in the same step, so parallel requests cannot overspend).
 * and then acts on the decision: sends the full body or the preview, and, when count_this_read
 * is set for an anonymous reader, records the read (meter_add and a new cookie).
 */
#ifndef BROADSHEET_ACCESS_H
#define BROADSHEET_ACCESS_H

#include <stdint.h>

#include "store.h"

enum access_outcome { ACCESS_FULL = 0, ACCESS_PREVIEW = 1 };

/* Why: the page says it ("Access provided by…", "2 free articles left", the prompt). */
enum access_reason {
    ACCESS_REASON_FREE_ARTICLE = 0,     /* full: the article is free */
    ACCESS_REASON_SUBSCRIBER = 1,       /* full: an active subscription */
    ACCESS_REASON_INSTITUTION = 2,      /* full: from an organisation's address range */
    ACCESS_REASON_METER_COUNTED = 3,    /* full: counted against the meter now */
    ACCESS_REASON_METER_REREAD = 4,     /* full: already counted in this period, costs nothing */
    ACCESS_REASON_METER_EXHAUSTED = 5,  /* preview: no free reads left (or a tampered meter) */
    ACCESS_REASON_SUBSCRIBERS_ONLY = 6, /* preview: a subscribers article, and not a subscriber */
};

struct access_input {
    enum access_level level; /* the article's; a value outside the enum counts as subscribers */
    int subscriber;          /* 1: an active subscription (access_subscription_active) */
    int institution;         /* 1: the address is in an active organisation's range */
    int signed_in;           /* 1: metered in the database, so meter_invalid does not apply */
    int already_counted;     /* 1: the article is among the reader's reads of this period */
    int reads_in_period;     /* reads counted in the period (this article included if counted) */
    int allowance;           /* metered articles per period for this kind of reader */
    int meter_invalid;       /* 1: the anonymous meter cookie was METER_INVALID */
};

struct access_decision {
    enum access_outcome outcome;
    enum access_reason reason;
    int count_this_read; /* 1: record this read (only for ACCESS_REASON_METER_COUNTED) */
    int remaining;       /* metered reads left after this one, >= 0 ("2 free articles left") */
};

/* Decides, by these rules, in order:
 *   1. a free article: full (FREE_ARTICLE), whoever asks, whatever the meter;
 *   2. a subscriber: full (SUBSCRIBER), at every level; else an institution: full (INSTITUTION);
 *   3. a subscribers article: preview (SUBSCRIBERS_ONLY);
 *   4. an anonymous reader whose meter cookie is invalid: preview (METER_EXHAUSTED), remaining
 *      0, as if the meter were spent, so tampering never yields a fresh meter (this comes before
 *      rule 5: nothing read from a tampered cookie is believed, "already counted" included);
 *   5. a metered article already counted in the period: full (METER_REREAD), nothing counted;
 *   6. fewer reads in the period than the allowance: full (METER_COUNTED), count this read;
 *   7. otherwise: preview (METER_EXHAUSTED).
 * remaining is allowance - reads_in_period (minus one when this read is counted), never below
 * 0, and 0 for an invalid meter; it is reported whatever the outcome, so a subscribers-only
 * preview can still say how many free articles are left. A negative allowance or count is
 * taken as 0. */
struct access_decision access_decide(const struct access_input *in);

/* A stable lowercase name for a reason, for logs, tests and template flags:
 * "free_article", "subscriber", "institution", "meter_counted", "meter_reread",
 * "meter_exhausted", "subscribers_only" ("unknown" outside the enum). */
const char *access_reason_name(enum access_reason reason);

/* The level an article gets at import, from its own level and its section's and publication's
 * defaults (store_*_set_default_access), each a level name or "" / NULL for "not set": the first
 * that is set wins, in that order (article, section, publication); none set means metered. A
 * name that is set but not a level counts as subscribers: an unreadable rule fails closed. */
enum access_level access_effective_level(const char *article_level, const char *section_default,
                                         const char *publication_default);

/* 1 if the subscription entitles its reader at now: status "active" and current_period_end
 * after now. "past_due" does not (Stripe's payment failed; the reader is back on the meter until
 * a payment succeeds and the webhook makes it active again), nor does "canceled". */
int access_subscription_active(const struct subscription *s, int64_t now);

/* 1 if the organisation's access is running at now: ends_at is 0 (no end date) or after now. */
int access_organisation_active(const struct organisation *org, int64_t now);

#endif
