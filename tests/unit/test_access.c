/*
 * test_access.c: tests of access.h: a table that walks every rule of access_decide (free,
 * subscriber, institution, subscribers-only, re-read, tampered meter, counted, exhausted) for
 * anonymous and signed-in readers, the reason names, how defaults give an article its level,
 * and when a subscription or an organisation is running.
 */
#include "access.h"
#include "check.h"
#include "util.h"

/* Short names, so that each case of the table fits on one line. */
#define F ACCESS_FULL
#define P ACCESS_PREVIEW
#define FREE ACCESS_FREE
#define MET ACCESS_METERED
#define SUBS ACCESS_SUBSCRIBERS
#define R(reason) ACCESS_REASON_##reason
#define BAD_LEVEL(n) ((enum access_level)(n)) /* a cast int outside the enum */

static void test_decide_table(void)
{
    static const struct {
        const char *name;
        struct access_input in;
        enum access_outcome outcome;
        enum access_reason reason;
        int count, remaining;
    } cases[] = {
        // clang-format off
        /* name, {level, subscriber, institution, signed_in, already_counted, reads, allowance,
         *  meter_invalid}, outcome, reason, count, remaining */
        /* 1. free articles: full for everyone, the meter untouched */
        {"free, anonymous", {FREE, 0, 0, 0, 0, 0, 3, 0}, F, R(FREE_ARTICLE), 0, 3},
        {"free, meter spent", {FREE, 0, 0, 0, 0, 3, 3, 0}, F, R(FREE_ARTICLE), 0, 0},
        {"free, tampered meter", {FREE, 0, 0, 0, 0, 0, 3, 1}, F, R(FREE_ARTICLE), 0, 0},
        {"free, subscriber", {FREE, 1, 0, 1, 0, 0, 10, 0}, F, R(FREE_ARTICLE), 0, 10},
        /* 2. subscribers and institutions: full at every level, nothing counted */
        {"metered, subscriber", {MET, 1, 0, 1, 0, 10, 10, 0}, F, R(SUBSCRIBER), 0, 0},
        {"subscribers, subscriber", {SUBS, 1, 0, 1, 0, 0, 10, 0}, F, R(SUBSCRIBER), 0, 10},
        {"metered, institution", {MET, 0, 1, 0, 0, 3, 3, 0}, F, R(INSTITUTION), 0, 0},
        {"subscribers, institution", {SUBS, 0, 1, 0, 0, 0, 3, 0}, F, R(INSTITUTION), 0, 3},
        {"institution, tampered meter", {MET, 0, 1, 0, 0, 0, 3, 1}, F, R(INSTITUTION), 0, 0},
        {"subscriber and institution", {SUBS, 1, 1, 1, 0, 0, 10, 0}, F, R(SUBSCRIBER), 0, 10},
        /* 3. subscribers articles for everyone else: preview, the meter untouched */
        {"subscribers, anonymous", {SUBS, 0, 0, 0, 0, 0, 3, 0}, P, R(SUBSCRIBERS_ONLY), 0, 3},
        {"subscribers, signed in", {SUBS, 0, 0, 1, 0, 4, 10, 0}, P, R(SUBSCRIBERS_ONLY), 0, 6},
        {"subscribers, already counted", {SUBS, 0, 0, 0, 1, 1, 3, 0}, P, R(SUBSCRIBERS_ONLY), 0, 2},
        /* 4. a tampered anonymous meter is exhausted, even for "already counted" */
        {"tampered", {MET, 0, 0, 0, 0, 0, 3, 1}, P, R(METER_EXHAUSTED), 0, 0},
        {"tampered, already counted", {MET, 0, 0, 0, 1, 1, 3, 1}, P, R(METER_EXHAUSTED), 0, 0},
        /* …but a signed-in reader's meter is the database, not the cookie */
        {"signed in, stray bad cookie", {MET, 0, 0, 1, 0, 2, 10, 1}, F, R(METER_COUNTED), 1, 7},
        /* 5. re-reads cost nothing, also when the meter is spent */
        {"reread", {MET, 0, 0, 0, 1, 2, 3, 0}, F, R(METER_REREAD), 0, 1},
        {"reread, meter spent", {MET, 0, 0, 0, 1, 3, 3, 0}, F, R(METER_REREAD), 0, 0},
        {"reread, signed in", {MET, 0, 0, 1, 1, 10, 10, 0}, F, R(METER_REREAD), 0, 0},
        /* 6. reads left: full, counted */
        {"first read", {MET, 0, 0, 0, 0, 0, 3, 0}, F, R(METER_COUNTED), 1, 2},
        {"last free read", {MET, 0, 0, 0, 0, 2, 3, 0}, F, R(METER_COUNTED), 1, 0},
        {"signed in, 9 of 10", {MET, 0, 0, 1, 0, 9, 10, 0}, F, R(METER_COUNTED), 1, 0},
        /* 7. none left: preview */
        {"fourth read", {MET, 0, 0, 0, 0, 3, 3, 0}, P, R(METER_EXHAUSTED), 0, 0},
        {"signed in, 10 of 10", {MET, 0, 0, 1, 0, 10, 10, 0}, P, R(METER_EXHAUSTED), 0, 0},
        {"over the allowance", {MET, 0, 0, 0, 0, 7, 3, 0}, P, R(METER_EXHAUSTED), 0, 0},
        {"no allowance", {MET, 0, 0, 0, 0, 0, 0, 0}, P, R(METER_EXHAUSTED), 0, 0},
        {"negative allowance", {MET, 0, 0, 0, 0, 0, -4, 0}, P, R(METER_EXHAUSTED), 0, 0},
        {"negative reads", {MET, 0, 0, 0, 0, -2, 3, 0}, F, R(METER_COUNTED), 1, 2},
        /* a level outside the enum fails closed, as subscribers */
        {"unknown level", {BAD_LEVEL(9), 0, 0, 0, 0, 0, 3, 0}, P, R(SUBSCRIBERS_ONLY), 0, 3},
        {"unknown, subscriber", {BAD_LEVEL(-1), 1, 0, 1, 0, 0, 3, 0}, F, R(SUBSCRIBER), 0, 3},
        // clang-format on
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct access_decision d = access_decide(&cases[i].in);
        int bad = check_failures_in_test;
        CHECK_INT(d.outcome, cases[i].outcome);
        CHECK_STR(access_reason_name(d.reason), access_reason_name(cases[i].reason));
        CHECK_INT(d.count_this_read, cases[i].count);
        CHECK_INT(d.remaining, cases[i].remaining);
        if (check_failures_in_test != bad)
            fprintf(stderr, "    case: %s\n", cases[i].name);
    }
}

/* A whole anonymous period: three reads, a re-read, the fourth refused. */
static void test_decide_sequence(void)
{
    struct access_input in = {.level = ACCESS_METERED, .allowance = 3};
    int full = 0, previews = 0;
    for (int article = 1; article <= 4; article++) {
        struct access_decision d = access_decide(&in);
        if (d.outcome == ACCESS_FULL)
            full++;
        else
            previews++;
        if (d.count_this_read)
            in.reads_in_period++;
        if (article == 2) { /* re-reading the first article is free */
            struct access_input again = in;
            again.already_counted = 1;
            CHECK_INT(access_decide(&again).reason, ACCESS_REASON_METER_REREAD);
        }
    }
    CHECK_INT(full, 3);
    CHECK_INT(previews, 1);
    CHECK_INT(in.reads_in_period, 3);
}

static void test_reason_names(void)
{
    CHECK_STR(access_reason_name(ACCESS_REASON_FREE_ARTICLE), "free_article");
    CHECK_STR(access_reason_name(ACCESS_REASON_SUBSCRIBER), "subscriber");
    CHECK_STR(access_reason_name(ACCESS_REASON_INSTITUTION), "institution");
    CHECK_STR(access_reason_name(ACCESS_REASON_METER_COUNTED), "meter_counted");
    CHECK_STR(access_reason_name(ACCESS_REASON_METER_REREAD), "meter_reread");
    CHECK_STR(access_reason_name(ACCESS_REASON_METER_EXHAUSTED), "meter_exhausted");
    CHECK_STR(access_reason_name(ACCESS_REASON_SUBSCRIBERS_ONLY), "subscribers_only");
    CHECK_STR(access_reason_name((enum access_reason)42), "unknown");
}

static void test_effective_level(void)
{
    CHECK_INT(access_effective_level("free", "subscribers", "subscribers"), ACCESS_FREE);
    CHECK_INT(access_effective_level("", "subscribers", "free"), ACCESS_SUBSCRIBERS);
    CHECK_INT(access_effective_level(NULL, "", "free"), ACCESS_FREE);
    CHECK_INT(access_effective_level(NULL, NULL, "subscribers"), ACCESS_SUBSCRIBERS);
    CHECK_INT(access_effective_level("", "", ""), ACCESS_METERED);
    CHECK_INT(access_effective_level(NULL, NULL, NULL), ACCESS_METERED);
    CHECK_INT(access_effective_level("metered", "free", ""), ACCESS_METERED);
    CHECK_INT(access_effective_level("Free", "", ""), ACCESS_SUBSCRIBERS); /* fails closed */
    CHECK_INT(access_effective_level("", "premium", "free"), ACCESS_SUBSCRIBERS);
}

static void test_subscription_and_organisation_running(void)
{
    struct subscription s = {.status = "active", .current_period_end = 1000};
    CHECK(access_subscription_active(&s, 999));
    CHECK(!access_subscription_active(&s, 1000)); /* ends at that instant */
    CHECK(!access_subscription_active(&s, 5000));
    s.status = "past_due";
    CHECK(!access_subscription_active(&s, 999));
    s.status = "canceled";
    CHECK(!access_subscription_active(&s, 999));
    s.status = NULL;
    CHECK(!access_subscription_active(&s, 999));

    struct organisation org = {.name = "Example University", .ends_at = 0};
    CHECK(access_organisation_active(&org, 1));
    CHECK(access_organisation_active(&org, INT64_C(1) << 40));
    org.ends_at = 1000;
    CHECK(access_organisation_active(&org, 999));
    CHECK(!access_organisation_active(&org, 1000));
}

void suite_access(void)
{
    RUN(test_decide_table);
    RUN(test_decide_sequence);
    RUN(test_reason_names);
    RUN(test_effective_level);
    RUN(test_subscription_and_organisation_running);
}
