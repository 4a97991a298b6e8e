/*
 * test_db_pgsql.c: tests of db_pgsql.c, the PostgreSQL driver, on a real server: the database
 * the environment variable BROADSHEET_TEST_PG names (a URL, such as the one
 * `scripts/pg-test-cluster start DIR` prints). Without it the suite says in one line that it
 * is skipped; with it, a server that cannot be reached fails the suite.
 *
 * The tests call the driver's functions directly (db_pgsql_driver), on connections to a
 * struct db made by hand, so that each call's effect on the server is seen on its own: each
 * connection's common part is set the way db.c sets it (db, tx_depth where a test needs it),
 * and errors are recorded by db.c's db_set_error. The tests of db_prepare_text and
 * db_open_read_only go through db.c instead (db_open), as their callers do. Every run works in a
 * schema of its own, test_db_pgsql_<pid>, dropped at the end, so that runs on one database never
 * meet.
 */
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "db_driver.h"

static const struct db_driver *const pg = &db_pgsql_driver;
static struct db test_db;  /* the database BROADSHEET_TEST_PG names */
static char schema[32];    /* this run's schema */
static size_t next_id = 1; /* statement ids: each prepared name ("s<id>") used once per run */

/* Checks that rc, the result of a call on c, is 0, printing c's error if not. */
#define CHECK_OK(c, rc)                                                                            \
    do {                                                                                           \
        int rc_ = (rc);                                                                            \
        if (rc_ != 0)                                                                              \
            fprintf(stderr, "    error %d: %s\n", (int)(c)->error, (c)->errmsg);                   \
        CHECK_INT(rc_, 0);                                                                         \
    } while (0)

/* A new connection with the default waits and this run's schema first in its search_path, or
 * NULL (the test fails). Close it with pg->disconnect. */
static struct db_conn *open_conn(void)
{
    char err[512] = "";
    struct db_conn *c = pg->connect(&test_db, -1, err, sizeof err);
    if (!c) {
        fprintf(stderr, "    connect: %s\n", err);
        CHECK(!"connect");
        return NULL;
    }
    c->db = &test_db;
    struct db_stmt *s = pg->prepare(c, next_id++, "SELECT set_config('search_path', ?1, false)");
    CHECK(s != NULL);
    if (s) {
        CHECK_OK(c, pg->bind_text(s, 1, schema));
        CHECK_INT(pg->step(s), DB_ROW);
        pg->finalize(s);
    }
    return c;
}

/* sql prepared on c under a fresh id, or NULL (printed; the test fails). */
static struct db_stmt *prep(struct db_conn *c, const char *sql)
{
    struct db_stmt *s = pg->prepare(c, next_id++, sql);
    if (!s)
        fprintf(stderr, "    prepare %s: %s\n", sql, c->errmsg);
    CHECK(s != NULL);
    return s;
}

/* The first column of sql's first row on c as text in out ("(null)" for NULL, "(none)" for no
 * row or a failure); returns out. */
static const char *query_text(struct db_conn *c, const char *sql, char *out, size_t outlen)
{
    struct db_stmt *s = prep(c, sql);
    snprintf(out, outlen, "(none)");
    if (s && pg->step(s) == DB_ROW) {
        const char *text = pg->column_text(s, 0);
        snprintf(out, outlen, "%s", text ? text : "(null)");
    }
    if (s)
        pg->finalize(s);
    return out;
}

/* The first column of sql's first row on c as an integer; -1 for no row or a failure. */
static int64_t query_int(struct db_conn *c, const char *sql)
{
    struct db_stmt *s = prep(c, sql);
    int64_t value = s && pg->step(s) == DB_ROW ? pg->column_int64(s, 0) : -1;
    if (s)
        pg->finalize(s);
    return value;
}

/* Prepares sql on c, binds the integer value as ?1 and steps it once; returns the step's result
 * (DB_FAIL if it could not be prepared). */
static int run_with_int(struct db_conn *c, const char *sql, int64_t value)
{
    struct db_stmt *s = prep(c, sql);
    if (!s)
        return DB_FAIL;
    CHECK_OK(c, pg->bind_int64(s, 1, value));
    int rc = pg->step(s);
    pg->finalize(s);
    return rc;
}

/* Checks that connecting to target fails with a reason holding want, on one line, with no part
 * of the password (each test's ends in "cret") nor the target (db.c puts that before it). */
static void check_connect_fails(const char *target, const char *want)
{
    struct db bad = {.driver = pg, .target = (char *)target, .target_shown = "(shown)"};
    char err[512] = "";
    CHECK(pg->connect(&bad, -1, err, sizeof err) == NULL);
    if (!strstr(err, want))
        fprintf(stderr, "    [%s] lacks [%s]\n", err, want);
    CHECK(strstr(err, want) != NULL);
    CHECK(strstr(err, "cret") == NULL);
    CHECK(strstr(err, "postgresql://") == NULL);
    CHECK(strchr(err, '\n') == NULL);
}

/* A connection that cannot be made says why, without the password, also when libpq's own message
 * would quote it. */
static void test_connect_failure(void)
{
    check_connect_fails("postgresql://postgres:secret@127.0.0.1:1/postgres", "Connection refused");
    check_connect_fails("postgresql://postgres:se%zzcret@127.0.0.1:1/postgres",
                        "not a valid connection URL");
    check_connect_fails("postgresql://postgres:secret@127.0.0.1:1/postgres?sslmode=bogus",
                        "invalid sslmode value");
}

/* The session settings, and the waits from set_wait: the defaults for -1, 1 ms for 0 (0 would
 * mean no limit). */
static void test_settings(void)
{
    struct db_conn *c = open_conn();
    char v[64];
    if (!c)
        return;
    CHECK_STR(query_text(c, "SELECT current_setting('TimeZone')", v, sizeof v), "UTC");
    CHECK_STR(query_text(c, "SELECT current_setting('client_min_messages')", v, sizeof v),
              "warning");
    CHECK_STR(query_text(c, "SELECT current_setting('bytea_output')", v, sizeof v), "hex");
    CHECK_STR(query_text(c, "SELECT current_setting('lock_timeout')", v, sizeof v), "5s");
    CHECK_STR(query_text(c, "SELECT current_setting('statement_timeout')", v, sizeof v), "30s");
    pg->set_wait(c, 250); /* the lock wait only: statements keep their bound */
    CHECK_STR(query_text(c, "SELECT current_setting('lock_timeout')", v, sizeof v), "250ms");
    CHECK_STR(query_text(c, "SELECT current_setting('statement_timeout')", v, sizeof v), "30s");
    pg->set_wait(c, 0);
    CHECK_STR(query_text(c, "SELECT current_setting('lock_timeout')", v, sizeof v), "1ms");
    pg->set_wait(c, -1);
    CHECK_STR(query_text(c, "SELECT current_setting('statement_timeout')", v, sizeof v), "30s");
    pg->disconnect(c);
}

/* ?N becomes $N outside quotes and comments only, and only ?N counts as a parameter (the
 * server refuses a statement given more values than it has parameters, so a ?N counted inside a
 * comment would fail the run); ?10 is parameter 10, not ?1 and a 0. */
static void test_placeholders(void)
{
    struct db_conn *c = open_conn();
    if (!c)
        return;
    struct db_stmt *s = prep(c, "SELECT ?2::text || '?1''?3' AS \"?1\"\"?4\", ?1::text "
                                "/* ?5 /* ?6 */ ?7 */ -- ?8 '\n");
    if (s) {
        CHECK_OK(c, pg->bind_text(s, 1, "a"));
        CHECK_OK(c, pg->bind_text(s, 2, "b"));
        CHECK_INT(pg->step(s), DB_ROW);
        CHECK_STR(pg->column_text(s, 0), "b?1'?3");
        CHECK_STR(pg->column_text(s, 1), "a");
        CHECK_INT(pg->bind_text(s, 3, "c"), -1); /* only two parameters */
        pg->finalize(s);
    }
    s = prep(c, "SELECT concat(?1::text, ?10::text, ?2::text, ?3::text, ?4::text, ?5::text, "
                "?6::text, ?7::text, ?8::text, ?9::text)");
    if (s) {
        for (int i = 1; i <= 10; i++)
            CHECK_OK(c, pg->bind_text(s, i, (char[]){(char)('a' + i - 1), '\0'}));
        CHECK_INT(pg->step(s), DB_ROW);
        CHECK_STR(pg->column_text(s, 0), "ajbcdefghi");
        pg->finalize(s);
    }
    static const char *const bad[] = {"SELECT 1 WHERE 1 = ?", "SELECT ?a", "SELECT ?0",
                                      "SELECT ?1, ?", "SELECT ?99999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(pg->prepare(c, next_id++, bad[i]) == NULL);
        CHECK_INT(c->error, DB_ERR_OTHER);
        CHECK(strstr(c->errmsg, "'?'") != NULL);
    }
    pg->disconnect(c);
}

/* Integers (to the ends of int64), text (quotes, UTF-8, empty) and NULL go in bound and come
 * back; rows are stepped in order, the end stays the end, and a reset statement runs again. */
static void test_bind_and_rows(void)
{
    static const struct {
        int64_t id;
        const char *name; /* NULL: bound as NULL */
    } rows[] = {{INT64_MAX, "it's \"quoted\""}, {INT64_MIN, "üñíçødé"}, {3, ""}, {4, NULL}};
    struct db_conn *c = open_conn();
    if (!c)
        return;
    CHECK_OK(c, pg->exec(c, "CREATE TABLE items (id BIGINT PRIMARY KEY, name TEXT)"));
    struct db_stmt *s = prep(c, "INSERT INTO items (id, name) VALUES (?1, ?2)");
    for (size_t i = 0; s && i < sizeof rows / sizeof rows[0]; i++) {
        CHECK_OK(c, pg->bind_int64(s, 1, rows[i].id));
        CHECK_OK(c, pg->bind_text(s, 2, "replaced below"));
        CHECK_OK(c, rows[i].name ? pg->bind_text(s, 2, rows[i].name) : pg->bind_null(s, 2));
        CHECK_INT(pg->step(s), DB_DONE);
        CHECK_INT(pg->bind_int64(s, 1, 0), -1); /* run, not reset */
        pg->reset(s);
    }
    if (s)
        pg->finalize(s);

    s = prep(c, "SELECT id, name FROM items WHERE id <> ?1 ORDER BY id");
    if (!s)
        goto out;
    CHECK_OK(c, pg->bind_int64(s, 1, 3));
    CHECK_INT(pg->step(s), DB_ROW);
    CHECK_INT(pg->column_int64(s, 0), INT64_MIN);
    CHECK_STR(pg->column_text(s, 1), "üñíçødé");
    CHECK_INT(pg->column_bytes(s, 1), strlen("üñíçødé"));
    CHECK_INT(pg->column_is_null(s, 1), 0);
    CHECK_INT(pg->step(s), DB_ROW);
    CHECK_INT(pg->column_int64(s, 0), 4);
    CHECK(pg->column_text(s, 1) == NULL);
    CHECK_INT(pg->column_is_null(s, 1), 1);
    CHECK_INT(pg->column_int64(s, 1), 0);
    CHECK_INT(pg->column_bytes(s, 1), 0);
    CHECK(pg->column_text(s, 2) == NULL); /* no such column */
    CHECK_INT(pg->step(s), DB_ROW);
    CHECK_INT(pg->column_int64(s, 0), INT64_MAX);
    CHECK_STR(pg->column_text(s, 1), "it's \"quoted\"");
    CHECK_INT(pg->step(s), DB_DONE);
    CHECK_INT(pg->step(s), DB_DONE);
    CHECK(pg->column_text(s, 0) == NULL);
    pg->reset(s); /* clears the binding: id <> NULL matches nothing */
    CHECK_INT(pg->step(s), DB_DONE);
    pg->reset(s);
    CHECK_OK(c, pg->bind_int64(s, 1, INT64_MIN));
    CHECK_INT(pg->step(s), DB_ROW);
    CHECK_INT(pg->column_int64(s, 0), 3);
    CHECK_STR(pg->column_text(s, 1), "");
    CHECK_INT(pg->column_is_null(s, 1), 0);
    CHECK_INT(pg->column_bytes(s, 1), 0);
    pg->finalize(s);
out:
    pg->disconnect(c);
}

/* Booleans read as 1 and 0 by their type; a text "t" is not one. */
static void test_booleans(void)
{
    struct db_conn *c = open_conn();
    if (!c)
        return;
    struct db_stmt *s = prep(c, "SELECT true, false, NULL::boolean, 't'::text, ?1 > 2");
    if (s) {
        CHECK_OK(c, pg->bind_int64(s, 1, 3));
        CHECK_INT(pg->step(s), DB_ROW);
        CHECK_INT(pg->column_int64(s, 0), 1);
        CHECK_STR(pg->column_text(s, 0), "t");
        CHECK_INT(pg->column_int64(s, 1), 0);
        CHECK_INT(pg->column_int64(s, 2), 0);
        CHECK_INT(pg->column_is_null(s, 2), 1);
        CHECK_INT(pg->column_int64(s, 3), 0);
        CHECK_INT(pg->column_int64(s, 4), 1);
        pg->finalize(s);
    }
    pg->disconnect(c);
}

/* Checks that column col of s's row is the blob want[0..len). */
static void check_blob(struct db_stmt *s, int col, const void *want, size_t len)
{
    size_t got_len = 99;
    const void *got = pg->column_blob(s, col, &got_len);
    CHECK(got != NULL);
    CHECK_INT(got_len, len);
    CHECK(got && got_len == len && memcmp(got, want, len) == 0);
}

/* Blobs go into bytea and come back byte for byte (zeros, high bytes, the empty blob), several
 * of a row at once; NULL reads as NULL, and a text column as its bytes. */
static void test_blobs(void)
{
    static const unsigned char key[] = {0x00, 0xff, 0x5c, 0x78, 0x27, 0x00, 0x80, 0x01};
    static const unsigned char other[] = {'\\', 'x', '4', '1'}; /* bytes, not hex to decode */
    struct db_conn *c = open_conn();
    size_t len = 99;
    if (!c)
        return;
    CHECK_OK(c, pg->exec(c, "CREATE TABLE blobs (name TEXT PRIMARY KEY, value BYTEA, v2 BYTEA)"));
    struct db_stmt *s = prep(c, "INSERT INTO blobs (name, value, v2) VALUES (?1, ?2, ?3) "
                                "ON CONFLICT (name) DO NOTHING");
    if (s) {
        CHECK_OK(c, pg->bind_text(s, 1, "key"));
        CHECK_OK(c, pg->bind_blob(s, 2, key, sizeof key));
        CHECK_OK(c, pg->bind_blob(s, 3, other, sizeof other));
        CHECK_INT(pg->step(s), DB_DONE);
        pg->reset(s);
        CHECK_OK(c, pg->bind_text(s, 1, "empty"));
        CHECK_OK(c, pg->bind_blob(s, 2, "", 0));
        CHECK_OK(c, pg->bind_null(s, 3));
        CHECK_INT(pg->step(s), DB_DONE);
        pg->finalize(s);
    }
    s = prep(c, "SELECT value, v2, name FROM blobs ORDER BY name DESC");
    if (!s)
        goto out;
    CHECK_INT(pg->step(s), DB_ROW);
    check_blob(s, 1, other, sizeof other);
    check_blob(s, 0, key, sizeof key);
    check_blob(s, 1, other, sizeof other); /* read twice, the first still valid */
    check_blob(s, 2, "key", 3);
    CHECK_INT(pg->step(s), DB_ROW);
    check_blob(s, 0, "", 0);
    CHECK(pg->column_blob(s, 1, &len) == NULL);
    CHECK_INT(len, 0);
    CHECK_INT(pg->step(s), DB_DONE);
    pg->finalize(s);
out:
    pg->disconnect(c);
}

/* Writes set changes, with RETURNING too; reads leave it. */
static void test_returning_and_changes(void)
{
    struct db_conn *c = open_conn();
    if (!c)
        return;
    CHECK_OK(c, pg->exec(c, "CREATE TABLE counted (id BIGINT GENERATED ALWAYS AS IDENTITY "
                            "PRIMARY KEY, v INTEGER NOT NULL UNIQUE)"));
    struct db_stmt *s = prep(c, "INSERT INTO counted (v) VALUES (?1), (?2) RETURNING id");
    if (s) {
        CHECK_OK(c, pg->bind_int64(s, 1, 10));
        CHECK_OK(c, pg->bind_int64(s, 2, 20));
        CHECK_INT(pg->step(s), DB_ROW);
        CHECK_INT(pg->column_int64(s, 0), 1);
        CHECK_INT(pg->step(s), DB_ROW);
        CHECK_INT(pg->column_int64(s, 0), 2);
        CHECK_INT(pg->step(s), DB_DONE);
        CHECK_INT(c->changes, 2);
        pg->finalize(s);
    }
    CHECK_INT(run_with_int(c, "UPDATE counted SET v = v + 1 WHERE v > ?1", 0), DB_DONE);
    CHECK_INT(c->changes, 2);
    CHECK_INT(query_int(c, "SELECT count(*) FROM counted"), 2);
    CHECK_INT(c->changes, 2);
    CHECK_INT(run_with_int(c, "DELETE FROM counted WHERE id = ?1 RETURNING v", 1), DB_ROW);
    CHECK_INT(c->changes, 1);
    CHECK_INT(run_with_int(c, "INSERT INTO counted (v) VALUES (?1) ON CONFLICT DO NOTHING", 21),
              DB_DONE);
    CHECK_INT(c->changes, 0);
    pg->disconnect(c);
}

/* Checks that stepping sql with ?1 bound to value fails with error, and that the message is
 * the server's, on one line, containing want. */
static void check_fails(struct db_conn *c, const char *sql, int64_t value, enum db_error error,
                        const char *want)
{
    CHECK_INT(run_with_int(c, sql, value), DB_FAIL);
    CHECK_INT(c->error, error);
    if (!strstr(c->errmsg, want))
        fprintf(stderr, "    %s: [%s] lacks [%s]\n", sql, c->errmsg, want);
    CHECK(strstr(c->errmsg, want) != NULL);
    CHECK(strchr(c->errmsg, '\n') == NULL);
}

/* Constraint violations are told apart; other failures are DB_ERR_OTHER. */
static void test_error_classes(void)
{
    struct db_conn *c = open_conn();
    if (!c)
        return;
    CHECK_OK(c, pg->exec(c, "CREATE TABLE parent (id INTEGER PRIMARY KEY); "
                            "CREATE TABLE child (id INTEGER PRIMARY KEY, "
                            "parent_id INTEGER REFERENCES parent (id), "
                            "n INTEGER CHECK (n > 0), s TEXT NOT NULL DEFAULT ''); "
                            "INSERT INTO parent VALUES (1)"));
    check_fails(c, "INSERT INTO parent VALUES (?1)", 1, DB_ERR_UNIQUE,
                "duplicate key value violates unique constraint");
    check_fails(c, "INSERT INTO child (id, parent_id) VALUES (1, ?1)", 99, DB_ERR_FOREIGN_KEY,
                "violates foreign key constraint");
    check_fails(c, "INSERT INTO child (id, n) VALUES (1, ?1)", -1, DB_ERR_CHECK,
                "violates check constraint");
    check_fails(c, "INSERT INTO child (id, s) VALUES (?1, NULL)", 1, DB_ERR_CHECK,
                "violates not-null constraint");
    check_fails(c, "SELECT 1 / ?1", 0, DB_ERR_OTHER, "division by zero");
    CHECK(pg->prepare(c, next_id++, "SELEC ?1") == NULL);
    CHECK_INT(c->error, DB_ERR_OTHER);
    CHECK(strstr(c->errmsg, "syntax error") != NULL);
    pg->disconnect(c);
}

/* A statement that runs past statement_timeout, or waits longer than the thread's wait for a
 * lock (lock_timeout, set_wait), is DB_ERR_BUSY. set_wait bounds the lock wait only: a slow
 * statement on a thread with a short wait still runs. */
static void test_timeouts(void)
{
    struct db_conn *a = open_conn(), *b = open_conn();
    if (!a || !b)
        goto out;
    pg->set_wait(a, 100);
    CHECK_OK(a, pg->exec(a, "SELECT pg_sleep(0.3)")); /* longer than the wait, and it runs */
    CHECK_OK(a, pg->exec(a, "SET statement_timeout = '100ms'"));
    CHECK_INT(run_with_int(a, "SELECT pg_sleep(?1)", 5), DB_FAIL);
    CHECK_INT(a->error, DB_ERR_BUSY);
    CHECK(strstr(a->errmsg, "statement timeout") != NULL);
    CHECK_OK(a, pg->exec(a, "SET statement_timeout = '5s'"));

    CHECK_OK(b, pg->exec(b, "CREATE TABLE locked (id INTEGER PRIMARY KEY, n INTEGER); "
                            "INSERT INTO locked VALUES (1, 0)"));
    CHECK_OK(b, pg->begin(b, 0));
    CHECK_INT(run_with_int(b, "UPDATE locked SET n = n + 1 WHERE id = ?1", 1), DB_DONE);
    CHECK_INT(run_with_int(a, "UPDATE locked SET n = n + 1 WHERE id = ?1", 1), DB_FAIL);
    CHECK_INT(a->error, DB_ERR_BUSY);
    CHECK(strstr(a->errmsg, "lock timeout") != NULL);
    CHECK_OK(b, pg->rollback(b, 0));
out:
    if (a)
        pg->disconnect(a);
    if (b)
        pg->disconnect(b);
}

/* The values of nested, as "1,3" ("(null)" when empty). */
static const char *nested_values(struct db_conn *c, char *out, size_t outlen)
{
    return query_text(c, "SELECT string_agg(v::text, ',' ORDER BY v) FROM nested", out, outlen);
}

/* Inserts v into nested; returns the step's result. */
static int insert_nested(struct db_conn *c, int v)
{
    return run_with_int(c, "INSERT INTO nested VALUES (?1)", v);
}

/* Inner levels are savepoints: rolling one back keeps the outer level's writes, committing one
 * leaves them to the outer level; a failed statement is rolled back to its level, and at the
 * outermost one COMMIT then fails, ending the transaction (rolled_back says so). */
static void test_nested_transactions(void)
{
    struct db_conn *c = open_conn();
    char v[64];
    if (!c)
        return;
    CHECK_OK(c, pg->exec(c, "CREATE TABLE nested (v INTEGER PRIMARY KEY)"));

    CHECK_OK(c, pg->begin(c, 0));
    CHECK_INT(insert_nested(c, 1), DB_DONE);
    CHECK_OK(c, pg->begin(c, 1));
    CHECK_INT(insert_nested(c, 2), DB_DONE);
    CHECK_OK(c, pg->rollback(c, 1));
    CHECK_INT(insert_nested(c, 3), DB_DONE);
    CHECK_OK(c, pg->commit(c, 0));
    CHECK_STR(nested_values(c, v, sizeof v), "1,3");

    CHECK_OK(c, pg->begin(c, 0));
    CHECK_OK(c, pg->begin(c, 1));
    CHECK_INT(insert_nested(c, 4), DB_DONE);
    CHECK_OK(c, pg->commit(c, 1));
    CHECK_OK(c, pg->begin(c, 1));
    CHECK_OK(c, pg->begin(c, 2));
    CHECK_INT(insert_nested(c, 5), DB_DONE);
    CHECK_OK(c, pg->commit(c, 2));
    CHECK_OK(c, pg->commit(c, 1));
    CHECK_OK(c, pg->commit(c, 0));
    CHECK_STR(nested_values(c, v, sizeof v), "1,3,4,5");

    /* The outer level's rollback takes the committed inner level with it. */
    CHECK_OK(c, pg->begin(c, 0));
    CHECK_OK(c, pg->begin(c, 1));
    CHECK_INT(insert_nested(c, 6), DB_DONE);
    CHECK_OK(c, pg->commit(c, 1));
    CHECK_OK(c, pg->rollback(c, 0));
    CHECK_STR(nested_values(c, v, sizeof v), "1,3,4,5");

    /* A failure inside a savepoint: its RELEASE fails, its rollback recovers the transaction. */
    c->tx_depth = 2;
    CHECK_OK(c, pg->begin(c, 0));
    CHECK_INT(insert_nested(c, 7), DB_DONE);
    CHECK_OK(c, pg->begin(c, 1));
    CHECK_INT(insert_nested(c, 7), DB_FAIL);
    CHECK_INT(c->error, DB_ERR_UNIQUE);
    CHECK_INT(pg->rolled_back(c), 0);
    CHECK_INT(pg->commit(c, 1), -1);
    CHECK_OK(c, pg->rollback(c, 1));
    CHECK_INT(insert_nested(c, 8), DB_DONE);
    CHECK_OK(c, pg->commit(c, 0));
    CHECK_STR(nested_values(c, v, sizeof v), "1,3,4,5,7,8");

    /* A failure at the outermost level: COMMIT fails and the server has ended the transaction. */
    c->tx_depth = 1;
    CHECK_OK(c, pg->begin(c, 0));
    CHECK_INT(insert_nested(c, 9), DB_DONE);
    CHECK_INT(insert_nested(c, 9), DB_FAIL);
    CHECK_INT(pg->rolled_back(c), 0); /* still open, in error, until ROLLBACK or COMMIT */
    CHECK_INT(pg->commit(c, 0), -1);
    CHECK(strstr(c->errmsg, "rolled back") != NULL);
    CHECK_INT(c->error, DB_ERR_UNIQUE); /* the failed statement's class */
    CHECK_INT(pg->rolled_back(c), 1);
    CHECK_OK(c, pg->rollback(c, 0)); /* harmless after that */
    c->tx_depth = 0;
    CHECK_INT(pg->rolled_back(c), 0);
    CHECK_STR(nested_values(c, v, sizeof v), "1,3,4,5,7,8");
    pg->disconnect(c);
}

/* A script of several statements runs as one: a failure in it keeps none of it. */
static void test_exec_script(void)
{
    struct db_conn *c = open_conn();
    if (!c)
        return;
    CHECK_OK(c, pg->exec(c, "CREATE TABLE script (v INTEGER); INSERT INTO script VALUES (1); "
                            "-- a comment\nINSERT INTO script VALUES (2);"));
    CHECK_OK(c, pg->exec(c, "-- nothing but a comment"));
    CHECK_INT(pg->exec(c, "INSERT INTO script VALUES (3); INSERT INTO missing VALUES (4)"), -1);
    CHECK_INT(c->error, DB_ERR_OTHER);
    CHECK(strstr(c->errmsg, "missing") != NULL);
    CHECK_INT(query_int(c, "SELECT count(*) FROM script"), 2);
    pg->disconnect(c);
}

/* The version reads 0 before the table exists, round-trips inside transactions, is one row,
 * and reading it in a transaction makes another process's transaction wait for it. */
static void test_schema_version(void)
{
    struct db_conn *a = open_conn(), *b = open_conn();
    int version = -1;
    if (!a || !b)
        goto out;
    CHECK_OK(a, pg->begin(a, 0));
    CHECK_OK(a, pg->schema_version(a, &version));
    CHECK_INT(version, 0);
    CHECK_OK(a, pg->set_schema_version(a, 3));
    CHECK_OK(a, pg->commit(a, 0));
    CHECK_OK(a, pg->schema_version(a, &version));
    CHECK_INT(version, 3);

    CHECK_OK(a, pg->begin(a, 0));
    CHECK_OK(a, pg->set_schema_version(a, 4));
    CHECK_OK(a, pg->rollback(a, 0));
    CHECK_OK(a, pg->set_schema_version(a, 5));
    CHECK_OK(a, pg->set_schema_version(a, 6));
    CHECK_OK(b, pg->schema_version(b, &version));
    CHECK_INT(version, 6);
    CHECK_INT(query_int(a, "SELECT count(*) FROM schema_version"), 1);

    CHECK_OK(a, pg->begin(a, 0));
    CHECK_OK(a, pg->schema_version(a, &version));
    pg->set_wait(b, 100);
    CHECK_OK(b, pg->begin(b, 0));
    CHECK_INT(pg->schema_version(b, &version), -1);
    CHECK_INT(b->error, DB_ERR_BUSY);
    CHECK_OK(b, pg->rollback(b, 0));
    CHECK_OK(a, pg->commit(a, 0));
out:
    if (a)
        pg->disconnect(a);
    if (b)
        pg->disconnect(b);
}

/* A connection whose server process was terminated fails with DB_ERR_BROKEN and is marked
 * broken, for a statement prepared before and one prepared after, and inside a transaction. */
static void test_broken_connection(void)
{
    struct db_conn *a = open_conn(), *b = open_conn();
    struct db_stmt *before = NULL;
    if (!a || !b)
        goto out;
    int64_t pid = query_int(a, "SELECT pg_backend_pid()");
    before = prep(a, "SELECT 1");
    CHECK_OK(a, pg->begin(a, 0));
    /* The second argument waits (ms) until the process has gone. */
    struct db_stmt *kill = prep(b, "SELECT pg_terminate_backend(?1::integer, 5000)");
    if (kill) {
        CHECK_OK(b, pg->bind_int64(kill, 1, pid));
        CHECK_INT(pg->step(kill), DB_ROW);
        CHECK_INT(pg->column_int64(kill, 0), 1);
        pg->finalize(kill);
    }
    CHECK_INT(before ? pg->step(before) : DB_FAIL, DB_FAIL);
    CHECK_INT(a->error, DB_ERR_BROKEN);
    CHECK_INT(a->broken, 1);
    CHECK(a->errmsg[0] != '\0' && strchr(a->errmsg, '\n') == NULL);
    a->error = DB_ERR_NONE;
    CHECK(pg->prepare(a, next_id++, "SELECT 2") == NULL);
    CHECK_INT(a->error, DB_ERR_BROKEN);
    CHECK_INT(pg->rollback(a, 0), -1);
    CHECK_INT(query_int(b, "SELECT 1"), 1); /* the other connection goes on */
out:
    if (before)
        pg->finalize(before);
    if (a)
        pg->disconnect(a);
    if (b)
        pg->disconnect(b);
}

/* 1 if fd becomes readable within 5 s. */
static int readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 5000) == 1;
}

/* A listener hears a NOTIFY on its channel once it is committed, not one on another channel nor
 * one rolled back; when its backend is terminated, draining says it is lost (with a one-line
 * reason). SQLite has no listener. */
static void test_listen(void)
{
    char channel[48], err[512] = "", sql[160];
    snprintf(channel, sizeof channel, "test_listen_%ld", (long)getpid());
    struct db_listener *l = db_listen_open(&test_db, channel, err, sizeof err);
    struct db_conn *b = open_conn();
    if (!l)
        fprintf(stderr, "    listen: %s\n", err);
    CHECK(l != NULL);
    if (!l || !b)
        goto out;
    CHECK_INT(db_listen_drain(l), 0);
    snprintf(sql, sizeof sql, "BEGIN; NOTIFY %s; ROLLBACK; NOTIFY other_%s", channel, channel);
    CHECK_OK(b, pg->exec(b, sql));
    snprintf(sql, sizeof sql, "BEGIN; NOTIFY %s, 'a'; NOTIFY %s, 'a'; COMMIT", channel, channel);
    CHECK_OK(b, pg->exec(b, sql));
    CHECK(readable(db_listen_fd(l)));
    CHECK_INT(db_listen_drain(l), 1);
    CHECK_INT(db_listen_drain(l), 0); /* drained: the rolled back one and the other never come */

    snprintf(sql, sizeof sql,
             "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
             "WHERE query = 'LISTEN \"%s\"'",
             channel);
    char out[16];
    CHECK_STR(query_text(b, sql, out, sizeof out), "t");
    CHECK(readable(db_listen_fd(l)));
    int rc = db_listen_drain(l);
    if (rc == 0 && readable(db_listen_fd(l))) /* the farewell first, the end of the stream next */
        rc = db_listen_drain(l);
    CHECK_INT(rc, -1);
    CHECK(db_listen_errmsg(l)[0] != '\0' && strchr(db_listen_errmsg(l), '\n') == NULL);

    struct db lite = {.driver = &db_sqlite_driver};
    err[0] = '\0';
    CHECK(db_listen_open(&lite, channel, err, sizeof err) == NULL);
    CHECK(err[0] != '\0');
out:
    db_listen_close(l);
    if (b)
        pg->disconnect(b);
}

/* Runs sql on a connection of its own without this run's schema (to make or drop it). */
static int admin_exec(const char *sql)
{
    char err[512] = "";
    struct db_conn *c = pg->connect(&test_db, -1, err, sizeof err);
    if (!c) {
        fprintf(stderr, "    connect: %s\n", err);
        return -1;
    }
    c->db = &test_db;
    int rc = pg->exec(c, sql);
    if (rc != 0)
        fprintf(stderr, "    %s: %s\n", sql, c->errmsg);
    pg->disconnect(c);
    return rc;
}

/* Makes this run's schema (the name is ours, from the process id, never outside input). */
/* count(*) or another one-integer query on c through db.c, or -1. */
static int64_t db_count(struct db_conn *c, const char *sql)
{
    struct db_stmt *s = db_prepare_text(c, sql);
    int64_t n = s && db_step(s) == DB_ROW ? db_column_int64(s, 0) : -1;
    db_finalize(s);
    return n;
}

/* A database opened through db.c (db_open or db_open_read_only) on this run's schema, and the
 * thread's connection to it in *c; NULL (the test fails) if it cannot be. */
static struct db *open_db(int read_only, struct db_conn **c)
{
    char err[512] = "", sql[96];
    const char *url = test_db.target;
    struct db *db = read_only ? db_open_read_only(url, NULL, 0, err, sizeof err)
                              : db_open(url, NULL, 0, err, sizeof err);
    *c = db ? db_conn(db, err, sizeof err) : NULL;
    if (!*c)
        fprintf(stderr, "    open: %s\n", err);
    CHECK(*c != NULL);
    snprintf(sql, sizeof sql, "SET search_path = %s", schema);
    if (*c)
        CHECK_OK(*c, db_exec(*c, sql));
    return db;
}

/* db_prepare_text's statements: the caller's (finalize deallocates them on the server),
 * streamed one row at a time (a reset half-way lets the connection go on), typed by column. */
static void test_prepare_text(void)
{
    struct db_conn *c;
    struct db *db = open_db(0, &c);
    if (!c)
        return;
    CHECK_OK(c, db_exec(c, "CREATE TABLE texts (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY "
                           "KEY, n BIGINT, s TEXT, b BYTEA, f DOUBLE PRECISION, flag BOOLEAN)"));
    int64_t prepared = db_count(c, "SELECT count(*) FROM pg_prepared_statements");
    struct db_stmt *insert =
        db_prepare_text(c, "INSERT INTO texts (id, n, s, b, f, flag) OVERRIDING SYSTEM VALUE "
                           "VALUES (?1, ?2, ?3, ?4, 1.5, true)");
    CHECK(insert != NULL);
    CHECK_INT(db_count(c, "SELECT count(*) FROM pg_prepared_statements"), prepared + 1);
    for (int i = 0; insert && i < 3; i++) {
        CHECK_OK(c, db_bind_int64(insert, 1, 100 + i));
        CHECK_OK(c, db_bind_int64(insert, 2, 10 + i));
        CHECK_OK(c, i == 2 ? db_bind_null(insert, 3) : db_bind_text(insert, 3, "x\"y"));
        CHECK_OK(c, db_bind_blob(insert, 4, "\0\1\2", 3));
        CHECK_INT(db_step(insert), DB_DONE);
        CHECK_INT(db_changes(c), 1);
        db_reset(insert);
    }
    db_finalize(insert);
    CHECK_INT(db_count(c, "SELECT count(*) FROM pg_prepared_statements"), prepared);

    struct db_stmt *select =
        db_prepare_text(c, "SELECT n, s, b, f, flag, NULL FROM texts ORDER BY id");
    CHECK(select != NULL);
    if (select) {
        CHECK_INT(db_step(select), DB_ROW);
        CHECK_INT(db_column_type(select, 0), DB_TYPE_INTEGER);
        CHECK_INT(db_column_type(select, 1), DB_TYPE_TEXT);
        CHECK_INT(db_column_type(select, 2), DB_TYPE_BLOB);
        CHECK_INT(db_column_type(select, 3), DB_TYPE_REAL);
        CHECK_INT(db_column_type(select, 4), DB_TYPE_INTEGER);
        CHECK_INT(db_column_type(select, 5), DB_TYPE_NULL);
        CHECK_INT(db_column_int64(select, 0), 10);
        CHECK_INT(db_column_int64(select, 4), 1);
        CHECK_STR(db_column_text(select, 1), "x\"y");
        size_t len;
        const unsigned char *b = db_column_blob(select, 2, &len);
        CHECK_INT(len, 3);
        CHECK(b && b[0] == 0 && b[1] == 1 && b[2] == 2);
        /* Streaming: binding while it runs is refused; a reset half-way reads the rest, and
         * the connection runs other statements again. */
        CHECK(db_bind_int64(select, 1, 1) != 0);
        db_reset(select);
        CHECK_INT(db_count(c, "SELECT count(*) FROM texts"), 3);
        int rows = 0;
        while (db_step(select) == DB_ROW)
            rows++;
        CHECK_INT(rows, 3);
        CHECK_INT(db_step(select), DB_DONE);
        CHECK_INT(db_count(c, "SELECT 7"), 7);
    }
    db_finalize(select);

    CHECK(db_prepare_text(c, "SELEKT 1") == NULL);
    CHECK(strstr(db_errmsg(c), "syntax") != NULL);
    /* A row the table refuses: DB_FAIL with its class, and the connection goes on. */
    struct db_stmt *dup = db_prepare_text(c, "INSERT INTO texts (id) OVERRIDING SYSTEM VALUE "
                                             "VALUES (100)");
    CHECK(dup && db_step(dup) == DB_FAIL);
    CHECK_INT(db_error(c), DB_ERR_UNIQUE);
    db_finalize(dup);
    /* A statement that fails while streaming (a division by zero in the third row). */
    struct db_stmt *bad = db_prepare_text(c, "SELECT 1 / (n - 12) FROM texts");
    int step = DB_FAIL, rows = 0;
    while (bad && (step = db_step(bad)) == DB_ROW)
        rows++;
    CHECK_INT(step, DB_FAIL);
    CHECK_INT(rows, 2);
    db_finalize(bad);
    CHECK_INT(db_count(c, "SELECT count(*) FROM texts"), 3);
    db_close(db);
}

/* db_open_read_only: writes fail, the version is read without creating its table, and a
 * transaction is one snapshot. */
static void test_read_only(void)
{
    struct db_conn *r, *w;
    struct db *reader = open_db(1, &r), *writer = open_db(0, &w);
    if (!r || !w) {
        db_close(reader);
        db_close(writer);
        return;
    }
    CHECK_OK(w, db_exec(w, "DROP TABLE IF EXISTS schema_version")); /* test_schema_version's */
    int version = -1;
    CHECK_OK(r, db_schema_version(r, &version));
    CHECK_INT(version, 0);
    CHECK_INT(db_count(w, "SELECT count(*) FROM pg_tables WHERE tablename = 'schema_version' AND "
                          "schemaname = current_schema()"),
              0);
    CHECK(db_exec(r, "INSERT INTO texts (n) VALUES (1)") != 0);
    CHECK_OK(r, db_begin(r));
    CHECK_INT(db_count(r, "SELECT count(*) FROM texts"), 3);
    CHECK_OK(w, db_exec(w, "INSERT INTO texts (n) VALUES (4)"));
    CHECK_INT(db_count(r, "SELECT count(*) FROM texts"), 3);
    db_rollback(r);
    CHECK_INT(db_count(r, "SELECT count(*) FROM texts"), 4);
    db_close(reader);
    db_close(writer);
}

static void test_make_schema(void)
{
    char sql[128];
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", schema, schema);
    CHECK_INT(admin_exec(sql), 0);
}

static void test_drop_schema(void)
{
    char sql[128];
    snprintf(sql, sizeof sql, "DROP SCHEMA %s CASCADE", schema);
    CHECK_INT(admin_exec(sql), 0);
}

void suite_db_pgsql(void)
{
    const char *url = getenv("BROADSHEET_TEST_PG");
    if (!url || !*url) {
        fprintf(stderr,
                "suite db_pgsql skipped: BROADSHEET_TEST_PG (a PostgreSQL URL) is not set\n");
        return;
    }
    /* Numbered statements, as the store's are (ids past nstatements are db_prepare_text's). */
    test_db = (struct db){.driver = pg,
                          .target = (char *)url,
                          .target_shown = (char *)url,
                          .nstatements = SIZE_MAX / 2};
    snprintf(schema, sizeof schema, "test_db_pgsql_%ld", (long)getpid());
    RUN(test_connect_failure);
    RUN(test_make_schema);
    RUN(test_settings);
    RUN(test_placeholders);
    RUN(test_bind_and_rows);
    RUN(test_booleans);
    RUN(test_blobs);
    RUN(test_returning_and_changes);
    RUN(test_error_classes);
    RUN(test_timeouts);
    RUN(test_nested_transactions);
    RUN(test_exec_script);
    RUN(test_schema_version);
    RUN(test_broken_connection);
    RUN(test_prepare_text);
    RUN(test_read_only);
    RUN(test_listen);
    RUN(test_drop_schema);
}
