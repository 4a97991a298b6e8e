/*
 * test_paywall.c: tests of paywall_institution in src/paywall.c, the organisation whose address
 * range holds a client address, from ranges held in memory: IPv4, IPv6 and IPv4-mapped
 * addresses at the edges of their ranges, single hosts, an organisation whose access has ended
 * (and one that ends later), overlapping ranges, addresses that are not addresses, the name
 * copied into the caller's arena, and changes in the store seen only after paywall_refresh.
 * The rest of paywall.c (paywall_decide: the meter) is being reworked and is covered by the
 * HTTP tests.
 */
#include <string.h>

#include "arena.h"
#include "check.h"
#include "config.h"
#include "paywall.h"
#include "store.h"
#include "test_support.h"
#include "util.h"

#define DAY 86400

/* The institution for ip, or "(none)". */
static const char *institution(struct paywall *p, struct arena *a, const char *ip)
{
    const char *name = paywall_institution(p, a, ip);
    return name ? name : "(none)";
}

/* Saves the test organisations: "uni" with an IPv4 and an IPv6 range and no end, "lab" with
 * one host until tomorrow, "old" whose access ended yesterday. */
static void save_organisations(struct store *st)
{
    int64_t now = util_now();
    CHECK_INT(store_org_save(st, "uni", "Example University", 0, NULL), STORE_OK);
    CHECK_INT(store_org_add_range(st, "uni", "192.0.2.0/24"), STORE_OK);
    CHECK_INT(store_org_add_range(st, "uni", "2001:db8::/32"), STORE_OK);
    CHECK_INT(store_org_save(st, "lab", "Research Lab", now + DAY, NULL), STORE_OK);
    CHECK_INT(store_org_add_range(st, "lab", "198.51.100.7"), STORE_OK);
    CHECK_INT(store_org_save(st, "old", "Former Customer", now - DAY, NULL), STORE_OK);
    CHECK_INT(store_org_add_range(st, "old", "203.0.113.0/24"), STORE_OK);
}

static void test_institution(void)
{
    struct tmpdb t;
    struct config config;
    char err[256] = "";
    config_init(&config);
    CHECK(tmpdb_make(&t, "paywall") == 0);
    struct store *st = open_store(&t);
    struct arena *a = arena_new(0);
    if (!st)
        goto out;
    save_organisations(st);
    struct paywall *p = paywall_new(&config, st, err, sizeof err);
    CHECK(p != NULL);
    if (!p)
        goto out;
    static const struct {
        const char *ip, *want;
    } cases[] = {
        {"192.0.2.0", "Example University"},
        {"192.0.2.77", "Example University"},
        {"192.0.2.255", "Example University"},
        {"192.0.1.255", "(none)"},
        {"192.0.3.0", "(none)"},
        {"::ffff:192.0.2.9", "Example University"}, /* IPv4-mapped, as a dual-stack socket has it */
        {"2001:db8::1", "Example University"},
        {"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "Example University"},
        {"2001:db9::", "(none)"},
        {"2001:db7:ffff::1", "(none)"},
        {"198.51.100.7", "Research Lab"}, /* ends tomorrow: still running */
        {"198.51.100.6", "(none)"},
        {"198.51.100.8", "(none)"},
        {"203.0.113.5", "(none)"}, /* ended yesterday */
        {"127.0.0.1", "(none)"},
        {"::1", "(none)"},
        {"-", "(none)"}, /* no address known */
        {"", "(none)"},
        {"192.0.2.1/24", "(none)"},
        {"192.0.2.1 ", "(none)"},
        {"not an address", "(none)"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        const char *got = institution(p, a, cases[i].ip);
        if (strcmp(got, cases[i].want) != 0)
            fprintf(stderr, "    ip [%s]\n", cases[i].ip);
        CHECK_STR(got, cases[i].want);
    }

    /* the name is the caller's (in its arena): it outlives the paywall */
    const char *name = paywall_institution(p, a, "192.0.2.1");
    paywall_free(p);
    CHECK_STR(name, "Example University");
out:
    arena_free(a);
    store_close(st);
    tmpdb_remove(&t);
    config_free(&config);
}

/* Overlapping ranges: an ended organisation's range does not hide a running one's. */
static void test_overlapping_ranges(void)
{
    struct tmpdb t;
    struct config config;
    char err[256] = "";
    config_init(&config);
    CHECK(tmpdb_make(&t, "paywall") == 0);
    struct store *st = open_store(&t);
    struct arena *a = arena_new(0);
    if (!st)
        goto out;
    int64_t now = util_now();
    CHECK_INT(store_org_save(st, "a-ended", "Ended Org", now - 1, NULL), STORE_OK);
    CHECK_INT(store_org_add_range(st, "a-ended", "10.0.0.0/8"), STORE_OK);
    CHECK_INT(store_org_save(st, "b-running", "Running Org", 0, NULL), STORE_OK);
    CHECK_INT(store_org_add_range(st, "b-running", "10.1.0.0/16"), STORE_OK);
    struct paywall *p = paywall_new(&config, st, err, sizeof err);
    CHECK(p != NULL);
    if (!p)
        goto out;
    CHECK_STR(institution(p, a, "10.1.2.3"), "Running Org");
    CHECK_STR(institution(p, a, "10.2.0.1"), "(none)");
    paywall_free(p);
out:
    arena_free(a);
    store_close(st);
    tmpdb_remove(&t);
    config_free(&config);
}

/* The ranges are held in memory: a change in the store is seen after paywall_refresh (which
 * the server's watch loop calls), not before. */
static void test_refresh(void)
{
    struct tmpdb t;
    struct config config;
    char err[256] = "";
    config_init(&config);
    CHECK(tmpdb_make(&t, "paywall") == 0);
    struct store *st = open_store(&t);
    struct arena *a = arena_new(0);
    if (!st)
        goto out;
    struct paywall *p = paywall_new(&config, st, err, sizeof err);
    CHECK(p != NULL);
    if (!p)
        goto out;
    CHECK_STR(institution(p, a, "192.0.2.1"), "(none)"); /* no organisations */

    save_organisations(st);
    CHECK_STR(institution(p, a, "192.0.2.1"), "(none)");
    paywall_refresh(p, st);
    CHECK_STR(institution(p, a, "192.0.2.1"), "Example University");
    paywall_refresh(p, st); /* nothing changed: the same */
    CHECK_STR(institution(p, a, "192.0.2.1"), "Example University");

    /* renamed, then ended */
    CHECK_INT(store_org_save(st, "uni", "Example University Library", 0, NULL), STORE_OK);
    paywall_refresh(p, st);
    CHECK_STR(institution(p, a, "192.0.2.1"), "Example University Library");
    CHECK_INT(store_org_save(st, "uni", "Example University Library", util_now() - 1, NULL),
              STORE_OK);
    paywall_refresh(p, st);
    CHECK_STR(institution(p, a, "192.0.2.1"), "(none)");

    /* a range removed, an organisation deleted */
    CHECK_INT(store_org_remove_range(st, "lab", "198.51.100.7/32"), STORE_OK);
    paywall_refresh(p, st);
    CHECK_STR(institution(p, a, "198.51.100.7"), "(none)");
    CHECK_INT(store_org_save(st, "uni", "Example University", 0, NULL), STORE_OK);
    paywall_refresh(p, st);
    CHECK_STR(institution(p, a, "2001:db8::5"), "Example University");
    CHECK_INT(store_org_delete(st, "uni"), STORE_OK);
    paywall_refresh(p, st);
    CHECK_STR(institution(p, a, "2001:db8::5"), "(none)");
    paywall_free(p);
out:
    arena_free(a);
    store_close(st);
    tmpdb_remove(&t);
    config_free(&config);
}

void suite_paywall(void)
{
    RUN(test_institution);
    RUN(test_overlapping_ranges);
    RUN(test_refresh);
}
