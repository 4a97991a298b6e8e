/*
 * test_mail_queue_store.c: tests of the mail queue part of store.h (store.c), on a fresh
 * database each: claiming (oldest due first, one mailer per message, a lease that keeps it from
 * being due and that any mailer may take over once expired), recording a delivery (by anyone,
 * once) and a failed attempt (only by the lease's owner), giving up, the count of waiting mail
 * the metrics show, and looking for due mail without taking the write lock. Times are made-up unix
 * seconds, so nothing here waits.
 */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "check.h"
#include "store.h"
#include "test_support.h"
#include "util.h"

/* The text (or integer as text) of the query's first column, "NULL" for NULL, or "(none)"; into
 * out. */
static const char *query_text(const struct tmpdb *t, const char *sql, char *out, size_t outlen)
{
    if (strcmp(tdb_text(t, sql, out, outlen), "(null)") == 0)
        snprintf(out, outlen, "NULL");
    return out;
}

static void test_claim_lease_and_takeover(void)
{
    struct tmpdb t;
    struct arena *a = arena_new(0);
    struct queued_mail q;
    char v[128];
    CHECK(tmpdb_make(&t, "mailqueue") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    int64_t waiting = -1;
    CHECK_INT(store_mail_claim(st, a, "A", 1000, 1300, &q), STORE_NOT_FOUND); /* empty queue */
    CHECK_INT(store_mail_waiting(st, &waiting), STORE_OK);
    CHECK_INT(waiting, 0);
    CHECK_INT(store_mail_enqueue(st, "one@example.com", "One", "text one", "<p>one</p>", 1000),
              STORE_OK);
    CHECK_INT(store_mail_enqueue(st, "two@example.com", "Two", "text two", "", 1001), STORE_OK);
    CHECK_INT(store_mail_waiting(st, &waiting), STORE_OK);
    CHECK_INT(waiting, 2);
    CHECK_INT(store_mail_claim(st, a, "A", 999, 1300, &q), STORE_NOT_FOUND); /* not due yet */

    /* Oldest first, with its content; a claimed message is nobody else's. */
    CHECK_INT(store_mail_claim(st, a, "A", 1001, 1300, &q), STORE_OK);
    CHECK_INT(q.id, 1);
    CHECK_STR(q.to, "one@example.com");
    CHECK_STR(q.subject, "One");
    CHECK_STR(q.text, "text one");
    CHECK_STR(q.html, "<p>one</p>");
    CHECK_INT(q.attempts, 0);
    CHECK_STR(query_text(&t,
                         "SELECT lease_owner || ' ' || next_attempt_at FROM mail_queue "
                         "WHERE id = 1",
                         v, sizeof v),
              "A 1300");
    CHECK_INT(store_mail_claim(st, a, "B", 1001, 1301, &q), STORE_OK);
    CHECK_INT(q.id, 2);
    CHECK_INT(store_mail_claim(st, a, "B", 1299, 1600, &q), STORE_NOT_FOUND);
    CHECK_INT(store_mail_waiting(st, &waiting), STORE_OK); /* being sent is still waiting */
    CHECK_INT(waiting, 2);

    /* A's lease expires unrecorded (its process died): B takes the message over, and A can no
     * longer record a failure over B's claim. */
    CHECK_INT(store_mail_claim(st, a, "B", 1300, 1600, &q), STORE_OK);
    CHECK_INT(q.id, 1);
    CHECK_INT(store_mail_failed(st, 1, "A", 1400, "late"), STORE_NOT_FOUND);
    CHECK_STR(query_text(&t,
                         "SELECT lease_owner || ' ' || attempts || ' ' || next_attempt_at "
                         "FROM mail_queue WHERE id = 1",
                         v, sizeof v),
              "B 0 1600");

    /* B's failed attempt: due again at the time given, and the lease is over. */
    CHECK_INT(store_mail_failed(st, 1, "B", 2000, "421 try later"), STORE_OK);
    CHECK_STR(query_text(&t,
                         "SELECT lease_owner || '|' || attempts || '|' || next_attempt_at || "
                         "'|' || last_error || '|' || body_text FROM mail_queue WHERE id = 1",
                         v, sizeof v),
              "|1|2000|421 try later|text one");
    CHECK_INT(store_mail_failed(st, 1, "B", 2000, "again"), STORE_NOT_FOUND); /* recorded */

    /* A delivery is recorded whoever holds the lease, once, and clears the bodies. */
    CHECK_INT(store_mail_sent(st, 2, 1500), STORE_OK);
    CHECK_INT(store_mail_sent(st, 2, 1700), STORE_OK); /* already: kept as it was */
    CHECK_STR(
        query_text(
            &t,
            "SELECT sent_at || '|' || coalesce(CAST(next_attempt_at AS TEXT), 'NULL') || '|' || "
            "lease_owner || '|' || body_text || body_html FROM mail_queue "
            "WHERE id = 2",
            v, sizeof v),
        "1500|NULL||");
    CHECK_INT(store_mail_waiting(st, &waiting), STORE_OK); /* delivered: no longer waiting */
    CHECK_INT(waiting, 1);
    CHECK_INT(store_mail_failed(st, 2, "B", 3000, "late"), STORE_NOT_FOUND);
    CHECK_INT(store_mail_claim(st, a, "C", 1999, 2300, &q), STORE_NOT_FOUND);

    /* Giving up (next attempt 0): never due again, bodies cleared. */
    CHECK_INT(store_mail_claim(st, a, "C", 2000, 2300, &q), STORE_OK);
    CHECK_INT(q.id, 1);
    CHECK_INT(q.attempts, 1);
    CHECK_INT(store_mail_failed(st, 1, "C", 0, "550 no such user"), STORE_OK);
    CHECK_STR(
        query_text(&t,
                   "SELECT coalesce(CAST(next_attempt_at AS TEXT), 'NULL') || '|' || body_text || "
                   "body_html || '|' || attempts FROM mail_queue WHERE id = 1",
                   v, sizeof v),
        "NULL||2");
    CHECK_INT(store_mail_claim(st, a, "C", 999999, 1000300, &q), STORE_NOT_FOUND);
    CHECK_INT(store_mail_waiting(st, &waiting), STORE_OK); /* given up: not waiting either */
    CHECK_INT(waiting, 0);

    /* Refused: no owner, a lease that has already ended; each counts as an error the store
     * reported (broadsheet_db_errors_total). */
    unsigned long errors = store_error_count();
    CHECK_INT(store_mail_claim(st, a, "", 1000, 1300, &q), STORE_ERROR);
    CHECK_INT(store_mail_claim(st, a, "A", 1000, 1000, &q), STORE_ERROR);
    CHECK_INT(store_error_count() - errors, 2);
    store_close(st);
out:
    arena_free(a);
    tmpdb_remove(&t);
}

/* The mailer looks for due mail every few seconds; with nothing due that must not take the
 * write lock, or it would queue behind (and in front of) every other writer. Another connection
 * holds the write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: the queue's table locked against
 * writers): looking still answers at once, where a claim would wait out the busy timeout (5 s)
 * and fail. */
static void test_looking_takes_no_write_lock(void)
{
    struct tmpdb t;
    struct arena *a = arena_new(0);
    struct queued_mail q;
    struct tdb_conn db;
    CHECK(tmpdb_make(&t, "mailqueue") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    CHECK_INT(store_mail_enqueue(st, "one@example.com", "One", "text", "", 5000), STORE_OK);
    CHECK_INT(tdb_conn_open(&t, &db), 0);
    CHECK_INT(tdb_conn_exec(&db, tmpdb_is_pg(&t) ? "BEGIN; LOCK TABLE mail_queue IN EXCLUSIVE MODE"
                                                 : "BEGIN IMMEDIATE"),
              0);
    int64_t start = util_monotonic_ms();
    CHECK_INT(store_mail_claim(st, a, "A", 4000, 4300, &q), STORE_NOT_FOUND);
    CHECK(util_monotonic_ms() - start < 2000);
    CHECK_INT(tdb_conn_exec(&db, "COMMIT"), 0);
    tdb_conn_close(&db);
    store_close(st);
out:
    arena_free(a);
    tmpdb_remove(&t);
}

void suite_mail_queue_store(void)
{
    RUN(test_claim_lease_and_takeover);
    RUN(test_looking_takes_no_write_lock);
}
