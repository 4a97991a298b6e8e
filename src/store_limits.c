/*
 * store_limits.c: the part of store.h for rate limits, kept in the database so that every node
 * serving the site from it counts against one allowance per key (migrations 010).
 *
 * The rule is GCRA, the generic cell rate algorithm: each key keeps one number, its
 * "theoretical arrival time" (tat), the moment its bucket will be full again. A hit at `now`
 * moves it to max(tat, now) + interval, where interval = window / limit is the time one token
 * takes to come back; the hit is allowed if that is at most one window ahead of now (the bucket
 * held a token), else refused without moving tat, and the client may retry when the new tat
 * would be exactly a window ahead. To stay in integers, time is counted in units of 1/limit
 * millisecond: now is now_ms × limit, the interval is window_ms and a window is window_ms ×
 * limit. Exact, with no rounding; the bounds below keep every value far below 2^63.
 *
 * Why one statement: the decision and the write must be one step, or two nodes (or two threads)
 * reading the same tat could both take the last token. STMT_LIMIT_HIT is an INSERT … ON
 * CONFLICT (key) DO UPDATE … WHERE <allowed> RETURNING 1: a new key is inserted as a fresh
 * bucket (a first hit is always allowed); an existing one is updated only if the hit is
 * allowed, and a row comes back exactly then. SQLite runs it under its single write lock.
 * PostgreSQL's DO UPDATE locks the conflicting row and evaluates the WHERE against its latest
 * committed version, so concurrent hits on one key queue on that row lock and each sees the
 * tat its predecessor wrote; two first hits racing to insert become one insert and one update
 * (the loser of the insert waits for the winner's commit, then takes the DO UPDATE path).
 *
 * Before it, a read of the key's state refuses what that state refuses (store_limit_hit says
 * why that is safe): refused attempts, the bulk of an attack, then take no write lock. Only a
 * hit the read would allow runs the upsert, which decides again, atomically.
 */
#include "store_impl.h"

#define LIMIT_MAX_PER_WINDOW 100000    /* hits per window; keeps now × limit below 2^60 */
#define LIMIT_MAX_WINDOW (366 * 86400) /* seconds: a year */
/* Unix milliseconds, about the year 2248: clamps a wild clock. */
#define LIMIT_MAX_NOW_MS ((int64_t)1 << 43)

/* value clamped to [low, high]. */
static int64_t clamp(int64_t value, int64_t low, int64_t high)
{
    return value < low ? low : value > high ? high : value;
}

/* The whole seconds (at least 1) until a hit on a bucket at tat (units of 1/l ms, rule l per
 * w_ms) is allowed at now_units. */
static int wait_seconds(int64_t tat, int64_t l, int64_t w_ms, int64_t now_units)
{
    int64_t wait_units = tat + w_ms - w_ms * l - now_units;
    if (wait_units <= 0)
        return 1; /* the bucket refilled since the refusal */
    int64_t wait_ms = (wait_units + l - 1) / l;
    return (int)clamp((wait_ms + 999) / 1000, 1, LIMIT_MAX_WINDOW);
}

/* Judges a hit on key (rule l per w_ms, at now_units) from its stored state, with a read: 1 if
 * that state refuses it (*retry_after, when not NULL, set to the wait); 0 if it does not (no
 * row, a full bucket, a token left, or another rule); STORE_ERROR if the database cannot say. */
static int stored_refusal(struct db_conn *c, const char *key, int64_t l, int64_t w_ms,
                          int64_t now_units, int *retry_after)
{
    struct db_stmt *s = store_stmt(c, STMT_LIMIT_STATE, NULL, 0);
    int rc = STORE_ERROR;
    if (!s)
        return STORE_ERROR;
    db_bind_text(s, 1, key);
    int found = store_step_one(c, s, "reading a rate limit");
    if (found == STORE_NOT_FOUND) {
        rc = 0;
    } else if (found == STORE_OK) {
        int64_t tat = db_column_int64(s, 2);
        rc = db_column_int64(s, 0) == l && db_column_int64(s, 1) == w_ms &&
             tat + w_ms - now_units > w_ms * l;
        if (rc && retry_after)
            *retry_after = wait_seconds(tat, l, w_ms, now_units);
    }
    db_reset(s);
    return rc;
}

int store_limit_hit(struct store *st, const char *key, int limit, int window_seconds,
                    int64_t now_ms, int *retry_after)
{
    int64_t l = clamp(limit, 1, LIMIT_MAX_PER_WINDOW);
    int64_t w_ms = clamp(window_seconds, 1, LIMIT_MAX_WINDOW) * 1000;
    int64_t now_units = clamp(now_ms, 0, LIMIT_MAX_NOW_MS) * l;
    int64_t fresh_tat = now_units + w_ms; /* the tat after a hit on a full bucket */
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c)
        return STORE_ERROR;
    if (!store_present(key)) {
        store_report(NULL, 0, "counting a rate-limited hit: a key is required");
        return STORE_ERROR;
    }
    /* A refusal costs a read, without the write lock, so a stream of refused attempts does not
     * queue the database's writers (SQLite has one lock for all). Safe: under one rule a key's
     * tat only moves forward, and the purge removes only full buckets, so a state that refuses
     * this hit refuses it whatever was written since the read. */
    int refused = stored_refusal(c, key, l, w_ms, now_units, retry_after);
    if (refused != 0)
        return refused == 1 ? 0 : STORE_ERROR;
    if (!(s = store_stmt(c, STMT_LIMIT_HIT, NULL, 0)))
        goto out;
    db_bind_text(s, 1, key);
    db_bind_int64(s, 2, l);
    db_bind_int64(s, 3, w_ms);
    db_bind_int64(s, 4, fresh_tat);
    db_bind_int64(s, 5, (fresh_tat + l - 1) / l);
    db_bind_int64(s, 6, now_units);
    db_bind_int64(s, 7, w_ms * l);
    int step = db_step(s);
    if (step == DB_ROW) {
        step = db_step(s); /* to the end, so the write is complete when this returns */
        if (step == DB_DONE)
            rc = 1;
    } else if (step == DB_DONE) {
        rc = 0;
    }
    if (rc == STORE_ERROR) {
        store_step_failed(c, "counting a rate-limited hit");
        goto out;
    }
    db_reset(s);
    s = NULL;
    if (rc == 0 && retry_after) {
        /* Another process took the last token between the read and the upsert: the wait from
         * the row as it is now (1 second if it no longer refuses; the refusal stands). */
        *retry_after = 1;
        stored_refusal(c, key, l, w_ms, now_units, retry_after);
    }
out:
    db_reset(s);
    return rc;
}

int store_limits_purge(struct store *st, int64_t now_ms)
{
    return store_write_ids(st, STMT_LIMITS_PURGE, 1, now_ms, 0, 0, "purging rate limits");
}
