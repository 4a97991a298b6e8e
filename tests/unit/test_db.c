/*
 * test_db.c: tests of db.h's calls for statements built at run time (db_prepare_text,
 * db_finalize, db_column_type) and of db_open_read_only, on SQLite (a file of the test's own).
 * test_db_pgsql.c runs the same on PostgreSQL when BROADSHEET_TEST_PG is set.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "db.h"
#include "test_support.h"

/* Runs sql on c, failing the test (with the database's message) if it fails. */
static void exec_ok(struct db_conn *c, const char *sql)
{
    int rc = db_exec(c, sql);
    if (rc != 0)
        fprintf(stderr, "    %s: %s\n", sql, db_errmsg(c));
    CHECK_INT(rc, 0);
}

/* count(*) of table t on c, or -1. */
static int64_t count_of(struct db_conn *c, const char *sql)
{
    struct db_stmt *s = db_prepare_text(c, sql);
    int64_t n = s && db_step(s) == DB_ROW ? db_column_int64(s, 0) : -1;
    db_finalize(s);
    return n;
}

static void test_prepare_text(void)
{
    struct tmpdb t;
    CHECK_INT(tmpdb_make(&t, "db"), 0);
    char err[512] = "";
    struct db *db = db_open(t.path, NULL, 0, err, sizeof err);
    CHECK(db != NULL);
    if (!db)
        return;
    struct db_conn *c = db_conn(db, err, sizeof err);
    exec_ok(c, "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, s TEXT, b BLOB, f REAL)");

    /* Two statements of the caller's on one connection, each bound and stepped. */
    struct db_stmt *insert =
        db_prepare_text(c, "INSERT INTO t (n, s, b, f) VALUES (?1, ?2, ?3, 1.5)");
    CHECK(insert != NULL);
    for (int i = 0; insert && i < 3; i++) {
        CHECK_INT(db_bind_int64(insert, 1, 10 + i), 0);
        CHECK_INT(i == 2 ? db_bind_null(insert, 2) : db_bind_text(insert, 2, "x\"y"), 0);
        CHECK_INT(db_bind_blob(insert, 3, "\0\1\2", 3), 0);
        CHECK_INT(db_step(insert), DB_DONE);
        CHECK_INT(db_changes(c), 1);
        db_reset(insert);
    }
    db_finalize(insert);

    struct db_stmt *select = db_prepare_text(c, "SELECT n, s, b, f, NULL FROM t ORDER BY id");
    CHECK(select != NULL);
    if (select) {
        CHECK_INT(db_step(select), DB_ROW);
        CHECK_INT(db_column_type(select, 0), DB_TYPE_INTEGER);
        CHECK_INT(db_column_type(select, 1), DB_TYPE_TEXT);
        CHECK_INT(db_column_type(select, 2), DB_TYPE_BLOB);
        CHECK_INT(db_column_type(select, 3), DB_TYPE_REAL);
        CHECK_INT(db_column_type(select, 4), DB_TYPE_NULL);
        CHECK_INT(db_column_int64(select, 0), 10);
        CHECK_STR(db_column_text(select, 1), "x\"y");
        size_t len;
        const unsigned char *b = db_column_blob(select, 2, &len);
        CHECK_INT(len, 3);
        CHECK(b && b[0] == 0 && b[1] == 1 && b[2] == 2);
        /* Reset half-way: the connection runs other statements, and the run starts again. */
        db_reset(select);
        CHECK_INT(count_of(c, "SELECT count(*) FROM t"), 3);
        int rows = 0;
        while (db_step(select) == DB_ROW)
            rows++;
        CHECK_INT(rows, 3);
    }
    db_finalize(select);
    db_finalize(NULL); /* fine */

    /* Text that is not SQL: NULL, and the reason. */
    CHECK(db_prepare_text(c, "SELEKT 1") == NULL);
    CHECK(strstr(db_errmsg(c), "syntax") != NULL);
    /* A failing step: the class, and the connection goes on. */
    struct db_stmt *dup = db_prepare_text(c, "INSERT INTO t (id) VALUES (1)");
    CHECK(dup && db_step(dup) == DB_FAIL);
    CHECK_INT(db_error(c), DB_ERR_UNIQUE);
    db_finalize(dup);
    CHECK_INT(count_of(c, "SELECT count(*) FROM t"), 3);
    db_close(db);
    tmpdb_remove(&t);
}

static void test_read_only(void)
{
    struct tmpdb t;
    CHECK_INT(tmpdb_make(&t, "db"), 0);
    char err[512] = "";
    /* A missing file is an error, and is not created. */
    CHECK(db_open_read_only(t.path, NULL, 0, err, sizeof err) == NULL);
    struct stat st;
    CHECK(stat(t.path, &st) != 0);

    struct db *writer = db_open(t.path, NULL, 0, err, sizeof err);
    struct db_conn *w = writer ? db_conn(writer, err, sizeof err) : NULL;
    CHECK(w != NULL);
    if (!w)
        return;
    exec_ok(w, "CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1); PRAGMA user_version = 7");
    struct db *reader = db_open_read_only(t.path, NULL, 0, err, sizeof err);
    struct db_conn *r = reader ? db_conn(reader, err, sizeof err) : NULL;
    CHECK(r != NULL);
    if (r) {
        int version = -1;
        CHECK_INT(db_schema_version(r, &version), 0);
        CHECK_INT(version, 7);
        CHECK(db_exec(r, "INSERT INTO t VALUES (2)") != 0);
        /* Its transaction is a snapshot, and takes no write lock. */
        CHECK_INT(db_begin(r), 0);
        CHECK_INT(count_of(r, "SELECT count(*) FROM t"), 1);
        exec_ok(w, "INSERT INTO t VALUES (3)");
        CHECK_INT(count_of(r, "SELECT count(*) FROM t"), 1);
        db_rollback(r);
        CHECK_INT(count_of(r, "SELECT count(*) FROM t"), 2);
    }
    db_close(reader);
    db_close(writer);
    tmpdb_remove(&t);
}

void suite_db(void)
{
    RUN(test_prepare_text);
    RUN(test_read_only);
}
