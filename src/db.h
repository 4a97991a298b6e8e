/*
 * db.h: the database driver under the store. The store's modules (store_*.c) are written once,
 * in the SQL that SQLite and PostgreSQL both speak, against this interface; a driver per
 * backend implements it: db_sqlite.c (the embedded default, a file path) and db_pgsql.c
 * (libpq, a postgres:// or postgresql:// URL). Nothing above the store knows which one runs.
 *
 * The SQL both speak: parameters written ?1, ?2 … (the PostgreSQL driver rewrites them to $1,
 * $2 … when it prepares a statement; a ?N inside a quoted string or identifier is left alone),
 * INSERT … ON CONFLICT … DO UPDATE/NOTHING, RETURNING instead of last_insert_rowid, integers
 * for times (unix seconds computed in C) and for booleans (0/1), CASE rather than either
 * backend's own functions. Where the two truly differ (the schema, triggers, later full-text
 * search), the store keeps one text per backend (struct db_sql).
 *
 * Connections: each thread gets its own, opened on first use (db_conn) and found again through
 * a thread key, with its prepared statements; a thread that ends without db_thread_done has
 * its connection closed by the key's destructor. A connection that failed in a way that says
 * the connection itself cannot go on (SQLite: the file is gone, read-only, replaced or failing;
 * PostgreSQL: the server closed it or went away) is marked broken and replaced by the thread's
 * next db_conn, unless a transaction is open on it (db_begin): then it stays, failing, until
 * the caller's db_rollback ends the transaction, so that no transaction is ever split across
 * two connections. On PostgreSQL, when a connection cannot be opened (the server is down or
 * restarting), the database is unavailable (db_unavailable) until one can: meanwhile one attempt
 * a second is made for the whole process and every other db_conn fails at once, so that no
 * thread waits on a server that is not there (libpq gives up connecting after 5 s, or the URL's
 * connect_timeout), and the first attempt after it is back succeeds. SQLite, a file on this
 * machine, has no server to lose: a file it cannot open fails that call alone.
 *
 * Statements: each is a compile-time literal the store numbers (0 … nstatements-1, given to
 * db_open), prepared on a connection the first time that connection uses it and kept. Values
 * are always bound, never formatted into SQL. A statement is stepped (db_step) until DB_DONE
 * or until the caller has read what it wants, then reset (db_reset), which also ends SQLite's
 * implicit read transaction and frees PostgreSQL's result. The one exception to numbered
 * literals is db_prepare_text, for text a tool builds from the catalog's names (db copy).
 *
 * Transactions nest: the outermost db_begin starts a transaction that holds the write lock
 * from its start (SQLite: BEGIN IMMEDIATE; PostgreSQL: BEGIN, with writers serialised by the
 * rows they touch), an inner one is a savepoint. Each db_begin is matched by exactly one
 * db_commit or db_rollback.
 *
 * Errors: a failing call returns DB_FAIL (or -1) and leaves the class of the error in
 * db_error (uniqueness, foreign key, busy, broken …) and the database's message in db_errmsg,
 * which the store reports. The driver itself never prints.
 */
#ifndef BROADSHEET_DB_H
#define BROADSHEET_DB_H

#include <stddef.h>
#include <stdint.h>

enum db_kind { DB_SQLITE, DB_PGSQL };

/* db_step's results. */
enum { DB_DONE = 0, DB_ROW = 1, DB_FAIL = -1 };

/* The class of a connection's last error. */
enum db_error {
    DB_ERR_NONE = 0,
    DB_ERR_UNIQUE,      /* a unique or primary key refused the row */
    DB_ERR_FOREIGN_KEY, /* a foreign key refused the row */
    DB_ERR_CHECK,       /* a CHECK or NOT NULL constraint refused the row */
    DB_ERR_BUSY,        /* another writer held the lock too long, or a deadlock/serialization */
    DB_ERR_BROKEN,      /* the connection cannot go on (see above): it will be replaced */
    DB_ERR_FULL,        /* the disk or database is full */
    DB_ERR_OTHER,       /* anything else: the statement, the data, a bug */
};

/* One statement's text: the SQL both speak (sql), or per backend where they differ (pgsql not
 * NULL: PostgreSQL runs it instead of sql). */
struct db_sql {
    const char *sql;
    const char *pgsql;
};

struct db;      /* a database: its URL, its connections */
struct db_conn; /* one thread's connection */
struct db_stmt; /* a statement prepared on a connection */

/* 1 if target names a PostgreSQL database (a postgres:// or postgresql:// URL), 0 for a
 * SQLite file path. */
int db_is_pgsql_url(const char *target);

/* Opens the database target (a path, or a PostgreSQL URL) for statements[0..nstatements),
 * which must outlive it. Connects once to check that it can (the connection is kept for the
 * calling thread). Returns NULL with the reason in err. */
struct db *db_open(const char *target, const struct db_sql *statements, size_t nstatements,
                   char *err, size_t errlen);

/* As db_open, for a database that is only read (db copy's source): SQLite opens an existing
 * file read-only (a missing file is an error, never created) and sets query_only; PostgreSQL
 * sets default_transaction_read_only, so any write fails. Its outermost transaction is a
 * read snapshot rather than a write lock: SQLite's BEGIN (deferred: the snapshot is taken at
 * the first read), PostgreSQL's BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; every
 * statement in it sees the database as of one moment. */
struct db *db_open_read_only(const char *target, const struct db_sql *statements,
                             size_t nstatements, char *err, size_t errlen);

/* Closes every connection and frees db. No thread may use it any more. NULL is fine. */
void db_close(struct db *db);

enum db_kind db_kind(const struct db *db);
enum db_kind db_conn_kind(const struct db_conn *c);

/* target (a path or a URL) with any password in a URL replaced by "***", for logs and messages:
 * a new string the caller frees. */
char *db_shown(const char *target);

/* The target as given to db_open, shown as db_shown does. */
const char *db_target_shown(const struct db *db);

/* The calling thread's connection: opened on first use, and opened anew when the last one
 * broke and no transaction is open on it. NULL with the reason in err if it cannot be opened
 * now (the next call tries again). */
struct db_conn *db_conn(struct db *db, char *err, size_t errlen);

/* 1 while the database is unavailable: the last attempt to open a connection to its server
 * failed (and no later one succeeded). Always 0 on SQLite. */
int db_unavailable(struct db *db);

/* 1 if the calling thread's connection is marked broken (its last call failed because the
 * connection itself is gone) and not yet replaced. */
int db_thread_broken(struct db *db);

/* If c replaced the thread's broken connection and no one has asked yet: the error that broke
 * it (for the caller's log; valid until the thread's next call); else NULL. */
const char *db_conn_replaced(struct db_conn *c);

/* Closes the calling thread's connection, if it has one (a thread about to end). */
void db_thread_done(struct db *db);

/* How long the calling thread's statements wait for another writer's lock, in milliseconds
 * (SQLite: the busy timeout; PostgreSQL: lock_timeout; every PostgreSQL statement also stops
 * after 30 s, whatever the thread's wait); -1 restores the default. Applies to its connection
 * now and to any it opens later. */
void db_thread_wait(struct db *db, int ms);

/* Statement id on c, prepared on first use and kept. NULL if it cannot be prepared (db_errmsg
 * says why). */
struct db_stmt *db_prepare(struct db_conn *c, size_t id);

/* Statement text built at run time (db copy's per-table SELECT and INSERT from the catalog's
 * names, quoted as identifiers; values are still always bound), prepared on c outside the
 * numbered statements, in the SQL both speak (?N parameters). The caller owns it: it is
 * db_finalize'd by the caller, before c is closed (db_close, db_thread_done), and only used on
 * c's thread. Its rows are streamed: SQLite steps as ever, and PostgreSQL hands them over one
 * at a time (libpq's single-row mode) instead of fetching the whole result at the first step,
 * so a statement reading a whole table holds one row, not the table; while such a statement
 * is running (stepped, not yet DB_DONE or reset), nothing else may run on c, and resetting it
 * early reads and drops the rest of its rows. NULL if it cannot be prepared (db_errmsg says
 * why). */
struct db_stmt *db_prepare_text(struct db_conn *c, const char *sql);

/* Frees a statement of db_prepare_text's (PostgreSQL: and the server's prepared statement).
 * NULL, and db_prepare's statements, which the connection keeps, are left alone. */
void db_finalize(struct db_stmt *s);

/* Binds parameter index (1-based, ?index in the SQL). Text is copied; NULL text binds as ""
 * (the store keeps optional strings as ''), db_bind_null binds SQL NULL. Return 0 or -1. */
int db_bind_int64(struct db_stmt *s, int index, int64_t value);
int db_bind_text(struct db_stmt *s, int index, const char *text);
int db_bind_null(struct db_stmt *s, int index);
/* Binds len bytes of data (copied) as a blob (SQLite BLOB, PostgreSQL bytea). 0 or -1. */
int db_bind_blob(struct db_stmt *s, int index, const void *data, size_t len);

/* Runs s (on the first call after binding) and moves to its next row: DB_ROW (the columns
 * are readable), DB_DONE, or DB_FAIL (db_error and db_errmsg say why; a broken connection is
 * marked). */
int db_step(struct db_stmt *s);

/* db_step for a write the database may refuse (a unique or foreign key, a CHECK) inside a
 * transaction the caller means to go on with: a refused write leaves the transaction usable
 * on both backends. SQLite undoes only the failed statement by itself; PostgreSQL aborts the
 * whole transaction on any error, so there the first step runs under a savepoint of its own
 * (two more round trips), which a failure rolls back. Outside a transaction, or on SQLite, it
 * is db_step. */
int db_step_guarded(struct db_stmt *s);

/* Column col (0-based) of the current row. Integers: 0 for NULL; PostgreSQL's booleans read
 * as 1 and 0. Text: NULL for SQL NULL, valid until the next step or reset. */
int64_t db_column_int64(struct db_stmt *s, int col);
const char *db_column_text(struct db_stmt *s, int col);
size_t db_column_bytes(struct db_stmt *s, int col);
int db_column_is_null(struct db_stmt *s, int col);
/* Column col as a blob: its bytes (NULL for SQL NULL), their count in *len; valid until the
 * next step or reset. */
const void *db_column_blob(struct db_stmt *s, int col, size_t *len);

/* The type of column col's value in the current row: SQLite's type of the value itself (a
 * column may hold any), PostgreSQL's of the column (integers and booleans read as
 * DB_TYPE_INTEGER, floating point and numeric as DB_TYPE_REAL, bytea as DB_TYPE_BLOB, anything
 * else in its text form as DB_TYPE_TEXT); DB_TYPE_NULL for SQL NULL. */
enum db_type { DB_TYPE_NULL, DB_TYPE_INTEGER, DB_TYPE_REAL, DB_TYPE_TEXT, DB_TYPE_BLOB };
enum db_type db_column_type(struct db_stmt *s, int col);

/* Ends s's run and clears its bindings, so that it can be bound again and holds no snapshot
 * or result. NULL is fine. */
void db_reset(struct db_stmt *s);

/* Rows the last finished INSERT, UPDATE or DELETE on c changed. */
int64_t db_changes(struct db_conn *c);

/* The class and the database's message of c's last error. */
enum db_error db_error(struct db_conn *c);
const char *db_errmsg(struct db_conn *c);

/* Runs SQL text with no parameters and no results, one or more statements separated by ';'
 * (migrations, settings). Returns 0 or -1 (db_errmsg says why). */
int db_exec(struct db_conn *c, const char *sql);

/* Transactions (see above). db_begin and db_commit return 0 or -1; a failed db_commit has
 * rolled the level back. db_rollback is a no-op outside a transaction and safe after the
 * database rolled back by itself. db_in_transaction: the open levels. */
int db_begin(struct db_conn *c);
int db_commit(struct db_conn *c);
void db_rollback(struct db_conn *c);
int db_in_transaction(struct db_conn *c);

/* The schema's version (the number of the last migration applied; 0 for a new database) and
 * setting it, inside the migration's transaction. SQLite keeps it in PRAGMA user_version,
 * PostgreSQL in a one-row table schema_version. Return 0 or -1. */
int db_schema_version(struct db_conn *c, int *version);
int db_set_schema_version(struct db_conn *c, int version);

/* Notifications (PostgreSQL's LISTEN/NOTIFY), on a connection of their own that runs nothing
 * else: the owner (one thread) waits for its socket to be readable (poll(2)) and then drains
 * it. SQLite has none: db_listen_open returns NULL there. */
struct db_listener;

/* Opens a connection to db's database that listens on channel (a name of letters, digits and
 * '_'). NULL with the reason in err if it cannot (on SQLite: always). The caller owns it:
 * db_listen_close. */
struct db_listener *db_listen_open(struct db *db, const char *channel, char *err, size_t errlen);

/* The socket to poll for input (POLLIN). */
int db_listen_fd(struct db_listener *l);

/* Reads what the server sent, without waiting: 1 if one or more notifications arrived, 0 if
 * none, -1 if the connection is lost (db_listen_errmsg says why; close it and open a new one). */
int db_listen_drain(struct db_listener *l);
const char *db_listen_errmsg(struct db_listener *l);

/* Closes l. NULL is fine. */
void db_listen_close(struct db_listener *l);

#endif
