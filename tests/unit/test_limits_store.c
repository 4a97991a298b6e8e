/*
 * test_limits_store.c: tests of store_limit_hit and store_limits_purge (store_limits.c), the
 * rate limits kept in the database: N hits per window then refusals with a Retry-After, tokens
 * coming back one interval at a time and all of them after a window, keys independent of each
 * other, a changed rule starting afresh, clamped nonsense, the purge (only full buckets go),
 * two stores on one database (two nodes) counting against one allowance, threads racing on one
 * key and on a key's first insert, and a database that cannot take the write.
 *
 * The suite's tests share one fresh database (test_support.h: a SQLite file, or a new
 * PostgreSQL database when BROADSHEET_TEST_STORE_PG names a server, as scripts/pg-test sets
 * it), each with keys of its own.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "store.h"
#include "test_support.h"

#define T0 ((int64_t)1700000000 * 1000) /* an arbitrary "now", in ms */

static struct tmpdb db; /* the suite's database */

/* A new store on the suite's database, failing the test (and returning NULL) if it cannot. */
static struct store *open_target(void)
{
    return open_store(&db);
}

/* 1 if the key (no quotes in it) has a row, 0 if not. */
static int row_exists(const char *k)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM rate_limits WHERE key = '%s'", k);
    return (int)tdb_int(&db, sql);
}

static void test_limit_per_window(void)
{
    struct store *st = open_target();
    const char *k, *k2, *k3;
    int retry = -1;
    if (!st)
        return;
    /* 5 per 60 s: a burst of 5 is allowed, the 6th is not. */
    k = "login-ip:192.0.2.1";
    for (int i = 0; i < 5; i++)
        CHECK_INT(store_limit_hit(st, k, 5, 60, T0, &retry), 1);
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
    k2 = "login-account:a@b.example";
    CHECK_INT(store_limit_hit(st, k2, 5, 60, T0, &retry), 1);
    k3 = "login-ip:192.0.2.2";
    CHECK_INT(store_limit_hit(st, k3, 5, 60, T0, &retry), 1);
    store_close(st);
}

static void test_window_expiry(void)
{
    struct store *st = open_target();
    const char *k;
    int retry = 0;
    if (!st)
        return;
    /* 3 per hour, spent: after a whole window all 3 are back, and no more. */
    k = "reset-account:r@example.com";
    for (int i = 0; i < 3; i++)
        CHECK_INT(store_limit_hit(st, k, 3, 3600, T0, &retry), 1);
    CHECK_INT(store_limit_hit(st, k, 3, 3600, T0 + 100000, &retry), 0);
    CHECK_INT(retry, 1100); /* the first token is back at T0 + 1200 s */
    for (int i = 0; i < 3; i++)
        CHECK_INT(store_limit_hit(st, k, 3, 3600, T0 + 3700000, &retry), 1);
    CHECK_INT(store_limit_hit(st, k, 3, 3600, T0 + 3700000, &retry), 0);
    /* One per 30 s. */
    k = "one";
    CHECK_INT(store_limit_hit(st, k, 1, 30, T0, &retry), 1);
    CHECK_INT(store_limit_hit(st, k, 1, 30, T0 + 10000, &retry), 0);
    CHECK_INT(retry, 20);
    CHECK_INT(store_limit_hit(st, k, 1, 30, T0 + 30000, &retry), 1);
    /* An interval that is not whole milliseconds: 3 per 10 s, one back every 3333.33 ms. */
    k = "frac";
    for (int i = 0; i < 3; i++)
        CHECK_INT(store_limit_hit(st, k, 3, 10, T0, &retry), 1);
    CHECK_INT(store_limit_hit(st, k, 3, 10, T0, &retry), 0);
    CHECK_INT(retry, 4); /* 3.334 s, rounded up */
    CHECK_INT(store_limit_hit(st, k, 3, 10, T0 + 3333, &retry), 0);
    CHECK_INT(retry, 1);
    CHECK_INT(store_limit_hit(st, k, 3, 10, T0 + 3334, &retry), 1);
    CHECK_INT(store_limit_hit(st, k, 3, 10, T0 + 3334, &retry), 0);
    /* Two nodes' clocks a second apart: the one behind sees the bucket emptier by the
     * difference, never fuller. 2 per 60 s: a hit at 5 s leaves a token until 35 s... */
    k = "skew";
    CHECK_INT(store_limit_hit(st, k, 2, 60, T0 + 5000, &retry), 1);
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
    const char *k;
    int retry = 0;
    if (!st)
        return;
    /* A changed rule starts the key afresh. */
    k = "rule";
    CHECK_INT(store_limit_hit(st, k, 1, 30, T0, &retry), 1);
    CHECK_INT(store_limit_hit(st, k, 1, 30, T0, &retry), 0);
    CHECK_INT(store_limit_hit(st, k, 2, 30, T0, &retry), 1);
    CHECK_INT(store_limit_hit(st, k, 2, 30, T0, &retry), 1);
    CHECK_INT(store_limit_hit(st, k, 2, 30, T0, &retry), 0);
    CHECK_INT(store_limit_hit(st, k, 2, 31, T0, &retry), 1);
    /* Nonsense limits are clamped to 1 rather than refusing everything or nothing. */
    k = "zero";
    CHECK_INT(store_limit_hit(st, k, 0, 0, T0, &retry), 1);
    CHECK_INT(store_limit_hit(st, k, 0, 0, T0, &retry), 0);
    CHECK_INT(retry, 1);
    CHECK_INT(store_limit_hit(st, k, -5, -5, T0 + 1000, NULL), 1); /* NULL retry_after is fine */
    CHECK_INT(store_limit_hit(st, k, -5, -5, T0 + 1000, NULL), 0);
    /* Huge values stay exact (no overflow): a limit of 2^31 - 1 is clamped, a far clock too. */
    k = "huge";
    CHECK_INT(store_limit_hit(st, k, 2147483647, 2147483647, INT64_MAX, &retry), 1);
    CHECK_INT(store_limit_hit(st, k, 2147483647, 2147483647, INT64_MAX, &retry), 1);
    k = "past";
    CHECK_INT(store_limit_hit(st, k, 1, 60, -1, &retry), 1);
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
    const char *spent, *full;
    int retry = 0;
    if (!st)
        return;
    /* "spent": 2 per 100 s, both used at T0: full again at T0 + 100 s. "full": 1 per 10 s at
     * T0: full again at T0 + 10 s. */
    CHECK_INT(store_limit_hit(st, (spent = "purge-spent"), 2, 100, T0, &retry), 1);
    CHECK_INT(store_limit_hit(st, spent, 2, 100, T0, &retry), 1);
    CHECK_INT(store_limit_hit(st, (full = "purge-full"), 1, 10, T0, &retry), 1);
    CHECK_INT(store_limits_purge(st, T0 + 9999), STORE_OK);
    CHECK_INT(row_exists(full), 1);
    CHECK_INT(store_limits_purge(st, T0 + 10000), STORE_OK);
    CHECK_INT(row_exists(full), 0);
    CHECK_INT(row_exists(spent), 1);
    /* The spent key is still refused after the purge: its state was kept. */
    CHECK_INT(store_limit_hit(st, spent, 2, 100, T0 + 10000, &retry), 0);
    CHECK_INT(retry, 40);
    CHECK_INT(store_limits_purge(st, T0 + 100000), STORE_OK);
    CHECK_INT(row_exists(spent), 0);
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
    const char *k;
    int retry = 0;
    if (!a || !b)
        goto out;
    k = "password-ip-login:198.51.100.7";
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
    if (!stores[0] || !stores[1])
        goto out;
    CHECK_INT(race(stores, "shared", 100, RACE_HITS), 100);
    for (int round = 0; round < 20; round++) {
        char name[32];
        snprintf(name, sizeof name, "first-%d", round);
        CHECK_INT(race(stores, name, 1, 1), 1);
        snprintf(name, sizeof name, "first-three-%d", round);
        CHECK_INT(race(stores, name, 3, 2), 3);
    }
out:
    for (int i = 0; i < 2; i++)
        if (stores[i])
            store_close(stores[i]);
}

/* A database whose write lock another connection holds past the wait (SQLite: BEGIN
 * IMMEDIATE; PostgreSQL: the table locked EXCLUSIVE, and lock_timeout) refuses the hit with
 * STORE_ERROR and counts nothing. */
static void test_locked(void)
{
    struct store *st = open_target();
    struct tdb_conn other;
    int retry = 0;
    if (!st)
        return;
    CHECK_INT(store_limit_hit(st, "locked", 1, 60, T0, &retry), 1);
    CHECK_INT(tdb_conn_open(&db, &other), 0);
    CHECK_INT(tdb_conn_exec(&other, tmpdb_is_pg(&db)
                                        ? "BEGIN; LOCK TABLE rate_limits IN EXCLUSIVE MODE"
                                        : "BEGIN IMMEDIATE"),
              0);
    store_thread_wait(st, 50);
    CHECK_INT(store_limit_hit(st, "locked-new", 1, 60, T0, &retry), STORE_ERROR);
    CHECK_INT(store_limit_hit(st, "locked", 1, 60, T0 + 60000, &retry), STORE_ERROR);
    /* A refusal is read, so the lock does not stop it. */
    CHECK_INT(store_limit_hit(st, "locked", 1, 60, T0 + 1000, &retry), 0);
    CHECK_INT(retry, 59);
    CHECK_INT(tdb_conn_exec(&other, "ROLLBACK"), 0);
    tdb_conn_close(&other);
    /* Nothing was counted while locked: the new key has its whole allowance. */
    CHECK_INT(store_limit_hit(st, "locked-new", 1, 60, T0, &retry), 1);
    store_close(st);
}

void suite_limits_store(void)
{
    if (tmpdb_make(&db, "limits") != 0) {
        CHECK(!"tmpdb_make");
        return;
    }
    RUN(test_limit_per_window);
    RUN(test_window_expiry);
    RUN(test_rules_and_clamps);
    RUN(test_purge);
    RUN(test_two_stores);
    RUN(test_threads);
    RUN(test_locked);
    tmpdb_remove(&db);
}
