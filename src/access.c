/*
 * access.c: the access decision and its small helpers. See access.h for the rules; each branch
 * below is one numbered rule there, in the same order.
 */
#include "access.h"

#include <string.h>

/* max(0, allowance - reads), with negative inputs taken as 0. */
static int left(int allowance, int reads)
{
    if (allowance < 0)
        allowance = 0;
    if (reads < 0)
        reads = 0;
    return reads >= allowance ? 0 : allowance - reads;
}

/* A decision with no read counted. */
static struct access_decision decision(enum access_outcome outcome, enum access_reason reason,
                                       int remaining)
{
    struct access_decision d = {outcome, reason, 0, remaining};
    return d;
}

struct access_decision access_decide(const struct access_input *in)
{
    int before = left(in->allowance, in->reads_in_period);
    int level_valid = (unsigned)in->level <= ACCESS_SUBSCRIBERS;
    enum access_level level = level_valid ? in->level : ACCESS_SUBSCRIBERS; /* fail closed */
    int meter_invalid = in->meter_invalid && !in->signed_in;

    if (meter_invalid)
        before = 0;
    if (level == ACCESS_FREE) /* 1 */
        return decision(ACCESS_FULL, ACCESS_REASON_FREE_ARTICLE, before);
    if (in->subscriber) /* 2 */
        return decision(ACCESS_FULL, ACCESS_REASON_SUBSCRIBER, before);
    if (in->institution)
        return decision(ACCESS_FULL, ACCESS_REASON_INSTITUTION, before);
    if (level == ACCESS_SUBSCRIBERS) /* 3 */
        return decision(ACCESS_PREVIEW, ACCESS_REASON_SUBSCRIBERS_ONLY, before);
    if (meter_invalid) /* 4 */
        return decision(ACCESS_PREVIEW, ACCESS_REASON_METER_EXHAUSTED, 0);
    if (in->already_counted) /* 5 */
        return decision(ACCESS_FULL, ACCESS_REASON_METER_REREAD, before);
    if (before > 0) { /* 6 */
        struct access_decision d = {ACCESS_FULL, ACCESS_REASON_METER_COUNTED, 1, before - 1};
        return d;
    }
    return decision(ACCESS_PREVIEW, ACCESS_REASON_METER_EXHAUSTED, 0); /* 7 */
}

const char *access_reason_name(enum access_reason reason)
{
    switch (reason) {
    case ACCESS_REASON_FREE_ARTICLE: return "free_article";
    case ACCESS_REASON_SUBSCRIBER: return "subscriber";
    case ACCESS_REASON_INSTITUTION: return "institution";
    case ACCESS_REASON_METER_COUNTED: return "meter_counted";
    case ACCESS_REASON_METER_REREAD: return "meter_reread";
    case ACCESS_REASON_METER_EXHAUSTED: return "meter_exhausted";
    case ACCESS_REASON_SUBSCRIBERS_ONLY: return "subscribers_only";
    }
    return "unknown";
}

enum access_level access_effective_level(const char *article_level, const char *section_default,
                                         const char *publication_default)
{
    const char *candidates[] = {article_level, section_default, publication_default};
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        if (!candidates[i] || !*candidates[i])
            continue;
        int level = store_access_parse(candidates[i]);
        return level < 0 ? ACCESS_SUBSCRIBERS : (enum access_level)level;
    }
    return ACCESS_METERED;
}

int access_subscription_active(const struct subscription *s, int64_t now)
{
    return s->status && strcmp(s->status, "active") == 0 && s->current_period_end > now;
}

int access_organisation_active(const struct organisation *org, int64_t now)
{
    return org->ends_at == 0 || org->ends_at > now;
}
