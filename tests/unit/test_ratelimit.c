/*
 * test_ratelimit.c: tests of src/ratelimit.c: N requests per window then refusals with a
 * Retry-After, tokens coming back one interval at a time and all of them after a window, keys
 * independent of each other, a changed rule starting afresh, the bound on tracked keys (the
 * least recently used goes first), several threads hitting one limiter, and the key of a
 * client address (an IPv6 client's /64).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "ratelimit.h"
#include "util.h"

#define T0 1700000000 /* an arbitrary "now" */

static void test_limit_per_window(void)
{
    struct ratelimit *rl = ratelimit_new(100);
    int retry = -1;
    /* 5 per 60 s: a burst of 5 is allowed, the 6th is not. */
    for (int i = 0; i < 5; i++)
        CHECK_INT(ratelimit_hit(rl, "login-ip:192.0.2.1", 5, 60, T0, &retry), 1);
    CHECK_INT(retry, -1); /* untouched when allowed */
    CHECK_INT(ratelimit_hit(rl, "login-ip:192.0.2.1", 5, 60, T0, &retry), 0);
    CHECK_INT(retry, 12); /* one token back every 60/5 s */
    /* Refusals are not counted: still 12 s to wait, and less as time passes. */
    CHECK_INT(ratelimit_hit(rl, "login-ip:192.0.2.1", 5, 60, T0, &retry), 0);
    CHECK_INT(retry, 12);
    CHECK_INT(ratelimit_hit(rl, "login-ip:192.0.2.1", 5, 60, T0 + 11, &retry), 0);
    CHECK_INT(retry, 1);
    CHECK(retry > 0);
    /* At 12 s one request is allowed, then refused again. */
    CHECK_INT(ratelimit_hit(rl, "login-ip:192.0.2.1", 5, 60, T0 + 12, &retry), 1);
    CHECK_INT(ratelimit_hit(rl, "login-ip:192.0.2.1", 5, 60, T0 + 12, &retry), 0);
    CHECK_INT(retry, 12);

    /* Another key is not affected. */
    CHECK_INT(ratelimit_hit(rl, "login-account:a@b.example", 5, 60, T0, &retry), 1);
    CHECK_INT(ratelimit_hit(rl, "login-ip:192.0.2.2", 5, 60, T0, &retry), 1);
    CHECK_INT(ratelimit_keys(rl), 3);
    ratelimit_free(rl);
}

static void test_window_expiry(void)
{
    struct ratelimit *rl = ratelimit_new(10);
    int retry = 0;
    for (int i = 0; i < 3; i++)
        CHECK_INT(ratelimit_hit(rl, "reset-account:r@example.com", 3, 3600, T0, &retry), 1);
    CHECK_INT(ratelimit_hit(rl, "reset-account:r@example.com", 3, 3600, T0 + 100, &retry), 0);
    CHECK_INT(retry, 1100); /* 1200 s per token, 100 s of it gone */
    /* A full window later, the whole burst is back. */
    for (int i = 0; i < 3; i++)
        CHECK_INT(ratelimit_hit(rl, "reset-account:r@example.com", 3, 3600, T0 + 3700, &retry), 1);
    CHECK_INT(ratelimit_hit(rl, "reset-account:r@example.com", 3, 3600, T0 + 3700, &retry), 0);

    /* Limit 1: one per window, retry after the rest of the window. */
    CHECK_INT(ratelimit_hit(rl, "one", 1, 30, T0, &retry), 1);
    CHECK_INT(ratelimit_hit(rl, "one", 1, 30, T0 + 10, &retry), 0);
    CHECK_INT(retry, 20);
    CHECK_INT(ratelimit_hit(rl, "one", 1, 30, T0 + 30, &retry), 1);

    /* A rate that is not a whole number of seconds per request: 3 per 10 s (3.33 s each). */
    for (int i = 0; i < 3; i++)
        CHECK_INT(ratelimit_hit(rl, "frac", 3, 10, T0, &retry), 1);
    CHECK_INT(ratelimit_hit(rl, "frac", 3, 10, T0, &retry), 0);
    CHECK_INT(retry, 4); /* rounded up: at 3 s it would still be refused */
    CHECK_INT(ratelimit_hit(rl, "frac", 3, 10, T0 + 3, &retry), 0);
    CHECK_INT(ratelimit_hit(rl, "frac", 3, 10, T0 + 4, &retry), 1);

    /* A changed rule starts the key afresh. */
    CHECK_INT(ratelimit_hit(rl, "one", 1, 30, T0 + 31, &retry), 0);
    CHECK_INT(ratelimit_hit(rl, "one", 2, 30, T0 + 31, &retry), 1);
    /* Nonsense limits are clamped to 1 rather than refusing everything or nothing. */
    CHECK_INT(ratelimit_hit(rl, "zero", 0, 0, T0, &retry), 1);
    CHECK_INT(ratelimit_hit(rl, "zero", 0, 0, T0, &retry), 0);
    CHECK_INT(retry, 1);
    CHECK_INT(ratelimit_hit(rl, NULL, 1, 10, T0, NULL), 1);
    CHECK_INT(ratelimit_hit(rl, NULL, 1, 10, T0, NULL), 0); /* NULL retry_after is fine */
    ratelimit_free(rl);
}

static void test_eviction_bound(void)
{
    struct ratelimit *rl = ratelimit_new(4);
    int retry;
    char key[32];
    /* Exhaust "a", then touch four others: "a" is the least recently used and is forgotten. */
    CHECK_INT(ratelimit_hit(rl, "a", 1, 60, T0, &retry), 1);
    CHECK_INT(ratelimit_hit(rl, "a", 1, 60, T0, &retry), 0);
    for (int i = 0; i < 3; i++) {
        snprintf(key, sizeof key, "k%d", i);
        CHECK_INT(ratelimit_hit(rl, key, 1, 60, T0, &retry), 1);
    }
    CHECK_INT(ratelimit_keys(rl), 4);
    CHECK_INT(ratelimit_hit(rl, "a", 1, 60, T0, &retry), 0);  /* still tracked; now most recent */
    CHECK_INT(ratelimit_hit(rl, "k3", 1, 60, T0, &retry), 1); /* evicts k0, the oldest */
    CHECK_INT(ratelimit_keys(rl), 4);
    CHECK_INT(ratelimit_hit(rl, "a", 1, 60, T0, &retry), 0);  /* a survived */
    CHECK_INT(ratelimit_hit(rl, "k0", 1, 60, T0, &retry), 1); /* k0 was forgotten */
    /* Many keys: the count never passes the bound. */
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "flood-%d", i);
        ratelimit_hit(rl, key, 5, 60, T0, &retry);
        if (ratelimit_keys(rl) > 4) {
            CHECK(0);
            break;
        }
    }
    CHECK_INT(ratelimit_keys(rl), 4);
    ratelimit_free(rl);

    rl = ratelimit_new(0); /* at least one key */
    CHECK_INT(ratelimit_hit(rl, "x", 1, 60, T0, &retry), 1);
    CHECK_INT(ratelimit_hit(rl, "y", 1, 60, T0, &retry), 1);
    CHECK_INT(ratelimit_keys(rl), 1);
    ratelimit_free(rl);
    ratelimit_free(NULL);
}

#define HIT_THREADS 4
#define HITS_PER_THREAD 500

struct hitter {
    struct ratelimit *rl;
    int allowed;
};

/* Hits the shared key HITS_PER_THREAD times at one instant, counting what was allowed, and a
 * key of its own to churn the table. */
static void *hitter_run(void *arg)
{
    struct hitter *h = arg;
    char key[32];
    for (int i = 0; i < HITS_PER_THREAD; i++) {
        h->allowed += ratelimit_hit(h->rl, "shared", 100, 60, T0, NULL);
        snprintf(key, sizeof key, "own-%p-%d", (void *)h, i % 50);
        ratelimit_hit(h->rl, key, 10, 60, T0, NULL);
    }
    return NULL;
}

/* IPv6 clients are keyed by their /64, IPv4 ones by their address. */
static void test_address_key(void)
{
    static const struct {
        const char *ip, *key;
    } cases[] = {
        {"192.0.2.1", "192.0.2.1"},
        {"::ffff:192.0.2.1", "192.0.2.1"},
        {"2001:db8:1:2::1", "2001:db8:1:2::/64"},
        {"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
        {"2001:DB8:1:2:0:0:0:99", "2001:db8:1:2::/64"},
        {"2001:db8:1:3::1", "2001:db8:1:3::/64"},
        {"::1", "::/64"},
        {"fe80::1:2:3:4", "fe80::/64"},
        {"not an address", "not an address"},
        {"", ""},
    };
    char out[64];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ratelimit_address_key(cases[i].ip, out, sizeof out);
        CHECK_STR(out, cases[i].key);
    }
    ratelimit_address_key(NULL, out, sizeof out);
    CHECK_STR(out, "");
    char small[8];
    ratelimit_address_key("2001:db8:1:2::1", small, sizeof small); /* cut, never overrun */
    CHECK_INT(strlen(small), 7);
}

static void test_threads(void)
{
    struct ratelimit *rl = ratelimit_new(64);
    pthread_t threads[HIT_THREADS];
    struct hitter h[HIT_THREADS];
    for (int i = 0; i < HIT_THREADS; i++) {
        h[i] = (struct hitter){.rl = rl};
        CHECK(pthread_create(&threads[i], NULL, hitter_run, &h[i]) == 0);
    }
    int total = 0;
    for (int i = 0; i < HIT_THREADS; i++) {
        pthread_join(threads[i], NULL);
        total += h[i].allowed;
    }
    /* The shared key may have been evicted by the churn and started over, so at least 100 of
     * the 2000 got through; without eviction exactly 100 would. */
    CHECK(total >= 100);
    CHECK(ratelimit_keys(rl) <= 64);
    ratelimit_free(rl);
}

void suite_ratelimit(void)
{
    RUN(test_limit_per_window);
    RUN(test_window_expiry);
    RUN(test_eviction_bound);
    RUN(test_threads);
    RUN(test_address_key);
}
