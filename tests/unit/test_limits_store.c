/*
 * test_limits_store.c: tests of store_limit_hit and store_limits_purge (store_limits.c), the
 * rate limits kept in the database: N hits per window then refusals with a Retry-After, tokens
 * coming back one interval at a time and all of them after a window, keys independent of each
 * other, a changed rule starting afresh, clamped nonsense, the purge (only full buckets go),
 * two stores on one database (two nodes) counting against one allowance, threads racing on one
 * key and on a key's first insert, and a database that cannot take the write.
 *
 * Every test runs on SQLite (a fresh file) and, when the environment variable
 * BROADSHEET_TEST_PG names a PostgreSQL database (a URL, as test_db_pgsql.c takes it), on that
 * database too: store_open migrates it, and this run's keys carry its process id, so runs on
 * one database never meet.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "store.h"
#include "store_impl.h"
#include "test_support.h"

#define T0 ((int64_t)1700000000 * 1000) /* an arbitrary "now", in ms */

static const char *target;  /* the database the tests run on: a file path or a URL */
static char prefix[64];     /* this run's and backend's key prefix */
static struct tmpdb sqlite; /* the SQLite database, while the SQLite round runs */

/* This run's key for name, in buf. */
static const char *key(char buf[128], const char *name)
{
    snprintf(buf, 128, "%s%s", prefix, name);
    return buf;
}

/* A new store on the round's database, failing the test (and returning NULL) if it cannot. */
static struct store *open_target(void)
{
    char err[256] = "";
    struct store *st = store_open(target, err, sizeof err);
    if (!st)
        fprintf(stderr, "    store_open: %s\n", err);
    CHECK(st != NULL);
    return st;
}

/* 1 if the key has a row, 0 if not, -1 if the database cannot say. */
static int row_exists(struct store *st, const char *k)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = c ? store_stmt(c, STMT_LIMIT_STATE, NULL, 0) : NULL;
    if (!s)
        return -1;
    db_bind_text(s, 1, k);
    int rc = store_step_one(c, s, "test: reading a limit");
    db_reset(s);
    return rc == STORE_OK ? 1 : rc == STORE_NOT_FOUND ? 0 : -1;
}

static void test_limit_per_window(void)
{
    struct store *st = open_target();
    char k[128], k2[128], k3[128];
    int retry = -1;
    if (!st)
        return;
    /* 5 per 60 s: a burst of 5 is allowed, the 6th is not. */
    for (int i = 0; i < 5; i++)
        CHECK_INT(store_limit_hit(st, key(k, "login-ip:192.0.2.1"), 5, 60, T0, &retry), 1);
    CHECK_INT(retry, -1); /* untouched while allowed */
    CHECK_INT(store_limit_hit(st, k, 5, 60, T0, &retry), 0);
    CHECK_INT(retry, 12); /* one token comes back every 60 / 5 = 12 s */
    /* Refused hits are not counted: the wait stays what it was. */
    CHECK_INT(store_limit_hit(st, k, 5, 60, T0, &retry), 0);
    CHECK_INT(retry, 12);
    CHECK_INT(store_limit_hit(st, k, 5, 60, T0 + 11000, &retry), 0);
    CHECK_INT(retry, 1);
    CHECK_INT(store_limit_hit(st, k, 5, 60, T0 + 11001, &retry), 0);
    CHECK_INT(retry, 1); /* 999 ms: rounded up to a whole second */
    /* After 12 s exactly one token is back. */
    CHECK_INT(store_limit_hit(st, k, 5, 60, T0 + 12000, &retry), 1);
    CHECK_INT(store_limit_hit(st, k, 5, 60, T0 + 12000, &retry), 0);
    CHECK_INT(retry, 12);
    /* Other keys have their own allowance. */
    CHECK_INT(store_limit_hit(st, key(k2, "login-account:a@b.example"), 5, 60, T0, &retry), 1);
    CHECK_INT(store_limit_hit(st, key(k3, "login-ip:192.0.2.2"), 5, 60, T0, &retry), 1);
    store_close(st);
}

static void test_window_expiry(void)
{
    struct store *st = open_target();
    char k[128];
    int retry = 0;
    if (!st)
        return;
    /* 3 per hour, spent: after a whole window all 3 are back, and no more. */
    for (int i = 0; i < 3; i++)
        CHECK_INT(store_limit_hit(st, key(k, "reset-account:r@example.com"), 3, 3600, T0, &retry),
                  1);
    CHECK_INT(store_limit_hit(st, k, 3, 3600, T0 + 100000, &retry), 0);
    CHECK_INT(retry, 1100); /* the first token is back at T0 + 1200 s */
    for (int i = 0; i < 3; i++)
        CHECK_INT(store_limit_hit(st, k, 3, 3600, T0 + 3700000, &retry), 1);
    CHECK_INT(store_limit_hit(st, k, 3, 3600, T0 + 3700000, &retry), 0);
    /* One per 30 s. */
    CHECK_INT(store_limit_hit(st, key(k, "one"), 1, 30, T0, &retry), 1);
    CHECK_INT(store_limit_hit(st, k, 1, 30, T0 + 10000, &retry), 0);
    CHECK_INT(retry, 20);
    CHECK_INT(store_limit_hit(st, k, 1, 30, T0 + 30000, &retry), 1);
    /* An interval that is not whole milliseconds: 3 per 10 s, one back every 3333.33 ms. */
    for (int i = 0; i < 3; i++)
        CHECK_INT(store_limit_hit(st, key(k, "frac"), 3, 10, T0, &retry), 1);
    CHECK_INT(store_limit_hit(st, k, 3, 10, T0, &retry), 0);
    CHECK_INT(retry, 4); /* 3.334 s, rounded up */
    CHECK_INT(store_limit_hit(st, k, 3, 10, T0 + 3333, &retry), 0);
    CHECK_INT(retry, 1);
    CHECK_INT(store_limit_hit(st, k, 3, 10, T0 + 3334, &retry), 1);
    CHECK_INT(store_limit_hit(st, k, 3, 10, T0 + 3334, &retry), 0);
    /* Two nodes' clocks a second apart: the one behind sees the bucket emptier by the
     * difference, never fuller. 2 per 60 s: a hit at 5 s leaves a token until 35 s... */
    CHECK_INT(store_limit_hit(st, key(k, "skew"), 2, 60, T0 + 5000, &retry), 1);
    CHECK_INT(store_limit_hit(st, k, 2, 60, T0 + 4000, &retry), 0);
    CHECK_INT(retry, 1);
    CHECK_INT(store_limit_hit(st, k, 2, 60, T0 + 5000, &retry), 1);
    CHECK_INT(store_limit_hit(st, k, 2, 60, T0 + 5000, &retry), 0);
    CHECK_INT(retry, 30);
    store_close(st);
}

static void test_rules_and_clamps(void)
{
    struct store *st = open_target();
    char k[128];
    int retry = 0;
    if (!st)
        return;
    /* A changed rule starts the key afresh. */
    CHECK_INT(store_limit_hit(st, key(k, "rule"), 1, 30, T0, &retry), 1);
    CHECK_INT(store_limit_hit(st, k, 1, 30, T0, &retry), 0);
    CHECK_INT(store_limit_hit(st, k, 2, 30, T0, &retry), 1);
    CHECK_INT(store_limit_hit(st, k, 2, 30, T0, &retry), 1);
    CHECK_INT(store_limit_hit(st, k, 2, 30, T0, &retry), 0);
    CHECK_INT(store_limit_hit(st, k, 2, 31, T0, &retry), 1);
    /* Nonsense limits are clamped to 1 rather than refusing everything or nothing. */
    CHECK_INT(store_limit_hit(st, key(k, "zero"), 0, 0, T0, &retry), 1);
    CHECK_INT(store_limit_hit(st, k, 0, 0, T0, &retry), 0);
    CHECK_INT(retry, 1);
    CHECK_INT(store_limit_hit(st, k, -5, -5, T0 + 1000, NULL), 1); /* NULL retry_after is fine */
    CHECK_INT(store_limit_hit(st, k, -5, -5, T0 + 1000, NULL), 0);
    /* Huge values stay exact (no overflow): a limit of 2^31 - 1 is clamped, a far clock too. */
    CHECK_INT(store_limit_hit(st, key(k, "huge"), 2147483647, 2147483647, INT64_MAX, &retry), 1);
    CHECK_INT(store_limit_hit(st, k, 2147483647, 2147483647, INT64_MAX, &retry), 1);
    CHECK_INT(store_limit_hit(st, key(k, "past"), 1, 60, -1, &retry), 1);
    CHECK_INT(store_limit_hit(st, k, 1, 60, -1, &retry), 0);
    CHECK_INT(retry, 60);
    /* No key: refused as malformed, nothing counted. */
    CHECK_INT(store_limit_hit(st, NULL, 1, 60, T0, &retry), STORE_ERROR);
    CHECK_INT(store_limit_hit(st, "", 1, 60, T0, &retry), STORE_ERROR);
    store_close(st);
}

static void test_purge(void)
{
    struct store *st = open_target();
    char spent[128], full[128];
    int retry = 0;
    if (!st)
        return;
    /* "spent": 2 per 100 s, both used at T0: full again at T0 + 100 s. "full": 1 per 10 s at
     * T0: full again at T0 + 10 s. */
    CHECK_INT(store_limit_hit(st, key(spent, "purge-spent"), 2, 100, T0, &retry), 1);
    CHECK_INT(store_limit_hit(st, spent, 2, 100, T0, &retry), 1);
    CHECK_INT(store_limit_hit(st, key(full, "purge-full"), 1, 10, T0, &retry), 1);
    CHECK_INT(store_limits_purge(st, T0 + 9999), STORE_OK);
    CHECK_INT(row_exists(st, full), 1);
    CHECK_INT(store_limits_purge(st, T0 + 10000), STORE_OK);
    CHECK_INT(row_exists(st, full), 0);
    CHECK_INT(row_exists(st, spent), 1);
    /* The spent key is still refused after the purge: its state was kept. */
    CHECK_INT(store_limit_hit(st, spent, 2, 100, T0 + 10000, &retry), 0);
    CHECK_INT(retry, 40);
    CHECK_INT(store_limits_purge(st, T0 + 100000), STORE_OK);
    CHECK_INT(row_exists(st, spent), 0);
    /* Forgetting a full bucket loses nothing: the whole allowance, as it would have been. */
    CHECK_INT(store_limit_hit(st, spent, 2, 100, T0 + 100000, &retry), 1);
    CHECK_INT(store_limit_hit(st, spent, 2, 100, T0 + 100000, &retry), 1);
    CHECK_INT(store_limit_hit(st, spent, 2, 100, T0 + 100000, &retry), 0);
    store_close(st);
}

/* Two stores on one database, as two nodes: hits alternated between them are counted against
 * one allowance, and the refusal on either names the same wait. */
static void test_two_stores(void)
{
    struct store *a = open_target(), *b = open_target();
    char k[128];
    int retry = 0;
    if (!a || !b)
        goto out;
    key(k, "password-ip-login:198.51.100.7");
    for (int i = 0; i < 10; i++)
        CHECK_INT(store_limit_hit(i % 2 ? b : a, k, 10, 900, T0 + i, &retry), 1);
    CHECK_INT(store_limit_hit(a, k, 10, 900, T0 + 10, &retry), 0);
    CHECK_INT(retry, 90);
    retry = 0;
    CHECK_INT(store_limit_hit(b, k, 10, 900, T0 + 10, &retry), 0);
    CHECK_INT(retry, 90);
    /* A token back, taken on b, is gone for a. */
    CHECK_INT(store_limit_hit(b, k, 10, 900, T0 + 90000, &retry), 1);
    CHECK_INT(store_limit_hit(a, k, 10, 900, T0 + 90000, &retry), 0);
out:
    if (a)
        store_close(a);
    if (b)
        store_close(b);
}

#define RACE_THREADS 4
#define RACE_HITS 150

struct racer {
    struct store *st;
    pthread_barrier_t *start;
    const char *key;
    int limit, hits, allowed, errors;
};

/* Waits for the others, then hits r->key r->hits times at T0, counting what was allowed. */
static void *racer_run(void *arg)
{
    struct racer *r = arg;
    pthread_barrier_wait(r->start);
    for (int i = 0; i < r->hits; i++) {
        int rc = store_limit_hit(r->st, r->key, r->limit, 60, T0, NULL);
        r->allowed += rc == 1;
        r->errors += rc == STORE_ERROR;
    }
    store_thread_done(r->st);
    return NULL;
}

/* Runs RACE_THREADS racers on stores[i % 2] against k, each `hits` times under limit; returns
 * how many hits were allowed (failing the test on any error). */
static int race(struct store *stores[2], const char *k, int limit, int hits)
{
    pthread_barrier_t start;
    pthread_t threads[RACE_THREADS];
    struct racer r[RACE_THREADS];
    int allowed = 0;
    pthread_barrier_init(&start, NULL, RACE_THREADS);
    for (int i = 0; i < RACE_THREADS; i++) {
        r[i] = (struct racer){
            .st = stores[i % 2], .start = &start, .key = k, .limit = limit, .hits = hits};
        CHECK(pthread_create(&threads[i], NULL, racer_run, &r[i]) == 0);
    }
    for (int i = 0; i < RACE_THREADS; i++) {
        pthread_join(threads[i], NULL);
        allowed += r[i].allowed;
        CHECK_INT(r[i].errors, 0);
    }
    pthread_barrier_destroy(&start);
    return allowed;
}

/* Threads on two stores hitting one key at one instant: exactly the limit gets through, never
 * more; and racing for a key's first insert, one hit on a limit of 1. */
static void test_threads(void)
{
    struct store *stores[2] = {open_target(), open_target()};
    char k[128];
    if (!stores[0] || !stores[1])
        goto out;
    CHECK_INT(race(stores, key(k, "shared"), 100, RACE_HITS), 100);
    for (int round = 0; round < 20; round++) {
        char name[32];
        snprintf(name, sizeof name, "first-%d", round);
        CHECK_INT(race(stores, key(k, name), 1, 1), 1);
        snprintf(name, sizeof name, "first-three-%d", round);
        CHECK_INT(race(stores, key(k, name), 3, 2), 3);
    }
out:
    for (int i = 0; i < 2; i++)
        if (stores[i])
            store_close(stores[i]);
}

/* SQLite only: a database whose write lock another connection holds past the wait refuses the
 * hit with STORE_ERROR and counts nothing. */
static void test_locked(void)
{
    struct store *st = open_target();
    sqlite3 *other = NULL;
    char k[128];
    int retry = 0;
    if (!st)
        return;
    key(k, "locked");
    CHECK_INT(store_limit_hit(st, k, 1, 60, T0, &retry), 1);
    CHECK(sqlite3_open(sqlite.path, &other) == SQLITE_OK);
    CHECK(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK);
    store_thread_wait(st, 50);
    CHECK_INT(store_limit_hit(st, key(k, "locked-new"), 1, 60, T0, &retry), STORE_ERROR);
    CHECK_INT(store_limit_hit(st, key(k, "locked"), 1, 60, T0 + 60000, &retry), STORE_ERROR);
    CHECK(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(other);
    /* Nothing was counted while locked: the new key has its whole allowance. */
    CHECK_INT(store_limit_hit(st, key(k, "locked-new"), 1, 60, T0, &retry), 1);
    store_close(st);
}

/* Runs every test on the database target names. */
static void run_all(void)
{
    RUN(test_limit_per_window);
    RUN(test_window_expiry);
    RUN(test_rules_and_clamps);
    RUN(test_purge);
    RUN(test_two_stores);
    RUN(test_threads);
}

void suite_limits_store(void)
{
    snprintf(prefix, sizeof prefix, "sqlite-%ld:", (long)getpid());
    if (tmpdb_make(&sqlite, "limits") != 0) {
        CHECK(!"tmpdb_make");
        return;
    }
    target = sqlite.path;
    run_all();
    RUN(test_locked);
    tmpdb_remove(&sqlite);

    const char *url = getenv("BROADSHEET_TEST_PG");
    if (!url || !*url) {
        fprintf(stderr, "suite limits_store: PostgreSQL skipped: BROADSHEET_TEST_PG (a "
                        "PostgreSQL URL) is not set\n");
        return;
    }
    snprintf(prefix, sizeof prefix, "pgsql-%ld:", (long)getpid());
    target = url;
    run_all();
}
