/*
 * test_support.h: a fresh database in its own temporary directory, for the suites that test the
 * store (test_store.c, test_accounts_store.c, test_paywall_store.c, test_ads.c), and a tree of
 * files for the import suites (test_import.c, test_import_list.c). The functions
 * are static inline so that the header needs no object file of its own in the Makefile's
 * unit-tests rule, and a suite that does not use one of them is not warned about it.
 */
#ifndef BROADSHEET_TEST_SUPPORT_H
#define BROADSHEET_TEST_SUPPORT_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "check.h"
#include "migrations.h"
#include "store.h"
#include "util.h"

/* A temporary directory and the database the test works on: a SQLite file inside the directory
 * or, when the suites run on PostgreSQL (tmpdb_pg_server), a new database of its own on that
 * server, by its URL. path is what store_open and `--db` take either way. */
struct tmpdb {
    char dir[64];
    char path[256];
    char pg_name[32]; /* the PostgreSQL database's name; "" for SQLite */
};

/* The PostgreSQL server the store suites run on, a URL (BROADSHEET_TEST_STORE_PG, as
 * scripts/pg-test sets it to run them a second time), or NULL: SQLite files. */
static inline const char *tmpdb_pg_server(void)
{
    const char *url = getenv("BROADSHEET_TEST_STORE_PG");
    return url && *url ? url : NULL;
}

static inline int tmpdb_is_pg(const struct tmpdb *t)
{
    return t->pg_name[0] != '\0';
}

/* Runs sql (one or more statements, no parameters) on the server URL names; 0, or -1 with the
 * error printed. */
static inline int tmpdb_pg_exec(const char *url, const char *sql)
{
    PGconn *c = PQconnectdb(url);
    int rc = -1;
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "    connect: %s", PQerrorMessage(c));
    } else {
        PGresult *res = PQexec(c, sql);
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
            rc = 0;
        else
            fprintf(stderr, "    %s: %s", sql, PQerrorMessage(c));
        PQclear(res);
    }
    PQfinish(c);
    return rc;
}

/* Makes a fresh temporary directory, /tmp/broadsheet-NAME-XXXXXX (name tells the suites'
 * directories apart), and the test's database: dir/test.db, or a new PostgreSQL database named
 * after the directory. Returns 0 or -1. */
static inline int tmpdb_make(struct tmpdb *t, const char *name)
{
    memset(t, 0, sizeof *t);
    snprintf(t->dir, sizeof t->dir, "/tmp/broadsheet-%s-XXXXXX", name);
    if (!mkdtemp(t->dir))
        return -1;
    const char *server = tmpdb_pg_server();
    if (!server) {
        snprintf(t->path, sizeof t->path, "%s/test.db", t->dir);
        return 0;
    }
    /* named after the directory, which mkdtemp made unique, and quoted: its letters keep case */
    const char *slash = strrchr(server, '/'); /* the server URL's own database follows it */
    snprintf(t->pg_name, sizeof t->pg_name, "ut_%s", t->dir + strlen(t->dir) - 6);
    snprintf(t->path, sizeof t->path, "%.*s/%s", (int)(slash - server), server, t->pg_name);
    char sql[96];
    snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\"", t->pg_name);
    if (tmpdb_pg_exec(server, sql) < 0) {
        rmdir(t->dir);
        return -1;
    }
    return 0;
}

/* Removes the database (and its WAL files, or the PostgreSQL database) and the directory, which
 * must hold nothing else. */
static inline void tmpdb_remove(struct tmpdb *t)
{
    if (tmpdb_is_pg(t)) {
        char sql[128];
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", t->pg_name);
        tmpdb_pg_exec(tmpdb_pg_server(), sql);
        rmdir(t->dir);
        return;
    }
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char file[300];
    for (size_t i = 0; i < ARRAY_LEN(suffixes); i++) {
        snprintf(file, sizeof file, "%s%s", t->path, suffixes[i]);
        unlink(file);
    }
    rmdir(t->dir);
}

/* Runs sql (statements both backends take, no parameters) on t's database over a connection of
 * its own, bypassing the store. Returns 0, or -1 with the error printed. */
static inline int tdb_exec(const struct tmpdb *t, const char *sql)
{
    if (tmpdb_is_pg(t))
        return tmpdb_pg_exec(t->path, sql);
    sqlite3 *db = NULL;
    char *msg = NULL;
    int rc = -1;
    if (sqlite3_open(t->path, &db) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 5000);
        if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
            rc = 0;
        else
            fprintf(stderr, "    %s: %s\n", sql, msg ? msg : sqlite3_errmsg(db));
    }
    sqlite3_free(msg);
    sqlite3_close(db);
    return rc;
}

/* The first column of sql's first row on t's database, as text in out: "(null)" for NULL,
 * "(none)" when there is no row or the query fails. Returns out. */
static inline const char *tdb_text(const struct tmpdb *t, const char *sql, char *out, size_t outlen)
{
    snprintf(out, outlen, "(none)");
    if (tmpdb_is_pg(t)) {
        PGconn *c = PQconnectdb(t->path);
        PGresult *res = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
        if (res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0)
            snprintf(out, outlen, "%s", PQgetisnull(res, 0, 0) ? "(null)" : PQgetvalue(res, 0, 0));
        else
            fprintf(stderr, "    %s: %s", sql, PQerrorMessage(c));
        PQclear(res);
        PQfinish(c);
        return out;
    }
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    if (sqlite3_open(t->path, &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        snprintf(out, outlen, "%s",
                 sqlite3_column_type(s, 0) == SQLITE_NULL
                     ? "(null)"
                     : (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    sqlite3_close(db);
    return out;
}

/* The first column of sql's first row as an integer (0 for NULL, -1 for no row). */
static inline long long tdb_int(const struct tmpdb *t, const char *sql)
{
    char text[64];
    tdb_text(t, sql, text, sizeof text);
    return strcmp(text, "(none)") == 0 ? -1 : strtoll(text, NULL, 10);
}

/* Sets t's schema version by hand (a test building an old schema itself): SQLite's
 * user_version, PostgreSQL's schema_version table (as db_pgsql.c keeps it). 0 or -1. */
static inline int tdb_set_version(const struct tmpdb *t, int version)
{
    char sql[160];
    if (tmpdb_is_pg(t))
        snprintf(sql, sizeof sql,
                 "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);"
                 "DELETE FROM schema_version; INSERT INTO schema_version VALUES (%d)",
                 version);
    else
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", version);
    return tdb_exec(t, sql);
}

/* t's schema version as the store recorded it, or -1. */
static inline long long tdb_version(const struct tmpdb *t)
{
    return tdb_int(t,
                   tmpdb_is_pg(t) ? "SELECT version FROM schema_version" : "PRAGMA user_version");
}

/* Applies t's backend's migrations up to version `upto` by hand and records that version (a
 * test of a later migration on data written before it). 0 or -1. */
static inline int tdb_migrate_to(const struct tmpdb *t, int upto)
{
    const struct migration *m = tmpdb_is_pg(t) ? migrations_pgsql : migrations_sqlite;
    size_t n = tmpdb_is_pg(t) ? migrations_pgsql_count : migrations_sqlite_count;
    for (size_t i = 0; i < n && m[i].version <= upto; i++)
        if (tdb_exec(t, m[i].sql) < 0)
            return -1;
    return tdb_set_version(t, upto);
}

/* A connection of the test's own to t's database, for what must stay open while the store
 * works (a lock held, a transaction). */
struct tdb_conn {
    sqlite3 *lite;
    PGconn *pg;
};

/* Opens c on t's database; 0 or -1 (printed). */
static inline int tdb_conn_open(const struct tmpdb *t, struct tdb_conn *c)
{
    memset(c, 0, sizeof *c);
    if (tmpdb_is_pg(t)) {
        c->pg = PQconnectdb(t->path);
        if (PQstatus(c->pg) == CONNECTION_OK)
            return 0;
        fprintf(stderr, "    connect: %s", PQerrorMessage(c->pg));
        return -1;
    }
    if (sqlite3_open(t->path, &c->lite) != SQLITE_OK)
        return -1;
    sqlite3_busy_timeout(c->lite, 5000);
    return 0;
}

/* Runs sql on c; 0 or -1 (printed). */
static inline int tdb_conn_exec(struct tdb_conn *c, const char *sql)
{
    if (c->pg) {
        PGresult *res = PQexec(c->pg, sql);
        ExecStatusType st = PQresultStatus(res);
        PQclear(res);
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
            return 0;
        fprintf(stderr, "    %s: %s", sql, PQerrorMessage(c->pg));
        return -1;
    }
    char *msg = NULL;
    int rc = sqlite3_exec(c->lite, sql, NULL, NULL, &msg) == SQLITE_OK ? 0 : -1;
    if (rc < 0)
        fprintf(stderr, "    %s: %s\n", sql, msg ? msg : sqlite3_errmsg(c->lite));
    sqlite3_free(msg);
    return rc;
}

static inline void tdb_conn_close(struct tdb_conn *c)
{
    if (c->pg)
        PQfinish(c->pg);
    sqlite3_close(c->lite);
    memset(c, 0, sizeof *c);
}

/* Makes every INSERT into table fail (a fault for a test) with a trigger that raises, in each
 * backend's dialect, and takes that back. 0 or -1. */
static inline int tdb_refuse_inserts(const struct tmpdb *t, const char *table)
{
    char sql[512];
    if (tmpdb_is_pg(t))
        snprintf(sql, sizeof sql,
                 "CREATE FUNCTION refuse_%s() RETURNS trigger LANGUAGE plpgsql AS "
                 "$$BEGIN RAISE EXCEPTION 'refused by the test'; END$$; "
                 "CREATE TRIGGER refuse_%s BEFORE INSERT ON %s FOR EACH ROW "
                 "EXECUTE FUNCTION refuse_%s()",
                 table, table, table, table);
    else
        snprintf(sql, sizeof sql,
                 "CREATE TRIGGER refuse_%s BEFORE INSERT ON %s "
                 "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
                 table, table);
    return tdb_exec(t, sql);
}

static inline int tdb_allow_inserts(const struct tmpdb *t, const char *table)
{
    char sql[256];
    if (tmpdb_is_pg(t))
        snprintf(sql, sizeof sql, "DROP TRIGGER refuse_%s ON %s; DROP FUNCTION refuse_%s()", table,
                 table, table);
    else
        snprintf(sql, sizeof sql, "DROP TRIGGER refuse_%s", table);
    return tdb_exec(t, sql);
}

/* 1 if nothing has been made in t's database yet: no SQLite file, or no table in PostgreSQL's
 * public schema. */
static inline int tdb_untouched(const struct tmpdb *t)
{
    if (!tmpdb_is_pg(t))
        return access(t->path, F_OK) != 0;
    return tdb_int(t, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == 0;
}

/* Opens a store on t's database, failing the test (and returning NULL) if it cannot. The caller
 * closes it with store_close. */
static inline struct store *open_store(struct tmpdb *t)
{
    char err[256] = "";
    struct store *st = store_open(t->path, err, sizeof err);
    if (!st)
        fprintf(stderr, "    store_open: %s\n", err);
    CHECK(st != NULL);
    return st;
}

/* nftw callback for tree_remove: removes one file, link or (emptied) directory. */
static inline int tree_remove_one(const char *path, const struct stat *sb, int type,
                                  struct FTW *ftw)
{
    (void)sb, (void)ftw;
    if (type == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

/* Removes dir and everything under it (links are removed, not followed). */
static inline void tree_remove(const char *dir)
{
    nftw(dir, tree_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes text to dir/name, making the directories name goes through. Fails the test if it
 * cannot. */
static inline void tree_write(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    for (char *slash = strchr(path + strlen(dir) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        mkdir(path, 0700);
        *slash = '/';
    }
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

#endif
