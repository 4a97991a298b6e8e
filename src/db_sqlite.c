/*
 * db_sqlite.c: the embedded SQLite backend of db.h (db_driver.h).
 *
 * A connection belongs to one thread (SQLITE_OPEN_NOMUTEX: SQLite's own locking would be
 * waste). It is opened with Broadsheet's settings: WAL (readers never block the writer),
 * synchronous=NORMAL (durable across application crashes; a power loss may lose the last
 * transactions, never corrupt), foreign_keys=ON, secure_delete=ON (deleted or overwritten rows,
 * such as a delivered mail's link or an ended session, are zeroed in the file rather than left
 * in free space), and a busy timeout so concurrent writers queue instead of failing. SQLite
 * opens a file it may not write read-only without an error, so connect refuses a connection
 * that came out read-only: it would fail every write for the life of its thread.
 *
 * Statements are prepared with SQLITE_PREPARE_PERSISTENT and kept; parameters are SQLite's own
 * ?N. db_prepare_text's are prepared the same way and are already streamed: a step reads one row.
 * The outermost transaction is BEGIN IMMEDIATE: the write lock is taken at the start, waiting up to
 * the busy timeout, so a transaction cannot fail half-way because another writer came first.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_driver.h"
#include "util.h"

#define BUSY_TIMEOUT_MS 5000

struct sqlite_conn {
    struct db_conn base;
    sqlite3 *handle;
};

struct sqlite_stmt {
    struct db_stmt base;
    sqlite3_stmt *stmt;
};

static sqlite3 *handle_of(struct db_conn *c)
{
    return ((struct sqlite_conn *)c)->handle;
}

static sqlite3_stmt *stmt_of(struct db_stmt *s)
{
    return ((struct sqlite_stmt *)s)->stmt;
}

/* The class of SQLite's extended result code rc.
 *
 * Broken: READONLY (every variant: the file, its write-ahead log or its shared memory could not
 * be opened for writing, or the file was moved or deleted under the connection; SQLite never
 * reopens them itself, so every later write would fail too), CANTOPEN (a file it needs could not
 * be opened), NOTADB and CORRUPT (the file is not, or no longer, what the connection read: it
 * may have been replaced, and a new connection starts without cached pages or schema), and
 * IOERR (a read, write, lock or sync failed: the connection's view of the file is in doubt).
 * Reopening after one of these costs one open and re-preparing statements, and only after an
 * error. The rest say nothing against the connection: BUSY and LOCKED (another writer; the busy
 * timeout already waited), FULL (a new connection would be just as full, and the next write
 * may fit), CONSTRAINT (the data), NOMEM. */
static enum db_error error_class(int rc)
{
    switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY: return DB_ERR_UNIQUE;
    case SQLITE_CONSTRAINT_FOREIGNKEY: return DB_ERR_FOREIGN_KEY;
    case SQLITE_CONSTRAINT_CHECK:
    case SQLITE_CONSTRAINT_NOTNULL: return DB_ERR_CHECK;
    default: break;
    }
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return DB_ERR_BUSY;
    case SQLITE_FULL: return DB_ERR_FULL;
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_IOERR: return DB_ERR_BROKEN;
    default: return DB_ERR_OTHER;
    }
}

/* Records the connection's last error (rc its result code). Returns -1. */
static int fail(struct db_conn *c, int rc)
{
    sqlite3 *h = handle_of(c);
    int extended = h ? sqlite3_extended_errcode(h) : rc;
    db_set_error(c, error_class(extended ? extended : rc), "%s",
                 h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
    return -1;
}

static void sqlite_disconnect(struct db_conn *c)
{
    sqlite3_close(handle_of(c));
    free(c);
}

static void sqlite_set_wait(struct db_conn *c, int wait_ms)
{
    sqlite3_busy_timeout(handle_of(c), wait_ms >= 0 ? wait_ms : BUSY_TIMEOUT_MS);
}

/* A SQLite connection is a file handle of this process: nothing closes it from outside. */
static int sqlite_alive(struct db_conn *c)
{
    (void)c;
    return 1;
}

/* SQLite counts the memory it allocates behind one global mutex (SQLITE_CONFIG_MEMSTATUS),
 * which every connection's every allocation then takes: nothing here reads those counts, and
 * with a connection per thread that mutex was the only lock the threads shared. Turned off
 * once, before SQLite initializes (sqlite3_config refuses it afterwards, harmlessly: a test
 * that opened a file by hand first). */
static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;

static void sqlite_configure(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* A read-only connection (db_open_read_only): the file must exist, nothing is written to it
 * (not even the journal mode, which a reader takes as the file has it), and query_only makes
 * any write fail. */
static struct db_conn *sqlite_connect(struct db *db, int wait_ms, char *err, size_t errlen)
{
    pthread_once(&sqlite_once, sqlite_configure);
    struct sqlite_conn *sc = xcalloc(1, sizeof *sc);
    int flags =
        (db->read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
        SQLITE_OPEN_NOMUTEX;
    char *msg = NULL;
    if (sqlite3_open_v2(db->target, &sc->handle, flags, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s", sc->handle ? sqlite3_errmsg(sc->handle) : "out of memory");
        goto fail;
    }
    /* READWRITE falls back to read-only, without an error, when the file may not be written. */
    if (!db->read_only && sqlite3_db_readonly(sc->handle, "main") != 0) {
        snprintf(err, errlen,
                 "%s could only be opened read-only (no write permission?); "
                 "not keeping the connection",
                 db->target);
        goto fail;
    }
    sqlite3_extended_result_codes(sc->handle, 1);
    sqlite_set_wait(&sc->base, wait_ms);
    if (sqlite3_exec(sc->handle,
                     db->read_only ? "PRAGMA query_only = ON; PRAGMA foreign_keys = ON;"
                                   : "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
                                     "PRAGMA secure_delete = ON; PRAGMA foreign_keys = ON;",
                     NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(sc->handle));
        sqlite3_free(msg);
        goto fail;
    }
    return &sc->base;
fail:
    sqlite3_close(sc->handle);
    free(sc);
    return NULL;
}

static struct db_stmt *sqlite_prepare(struct db_conn *c, size_t id, const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v3(handle_of(c), sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
    if (rc != SQLITE_OK) {
        /* Preparing reads the schema, so a file that is not a database fails here. */
        fail(c, rc);
        snprintf(c->errmsg, sizeof c->errmsg, "preparing statement %zu: %s", id,
                 sqlite3_errmsg(handle_of(c)));
        sqlite3_finalize(stmt);
        return NULL;
    }
    struct sqlite_stmt *s = xcalloc(1, sizeof *s);
    s->stmt = stmt;
    return &s->base;
}

static void sqlite_finalize(struct db_stmt *s)
{
    sqlite3_finalize(stmt_of(s));
    free(s);
}

static int bound(struct db_stmt *s, int rc)
{
    return rc == SQLITE_OK ? 0 : fail(s->conn, rc);
}

static int sqlite_bind_int64(struct db_stmt *s, int index, int64_t value)
{
    return bound(s, sqlite3_bind_int64(stmt_of(s), index, value));
}

static int sqlite_bind_text(struct db_stmt *s, int index, const char *text)
{
    return bound(s, sqlite3_bind_text(stmt_of(s), index, text, -1, SQLITE_TRANSIENT));
}

static int sqlite_bind_null(struct db_stmt *s, int index)
{
    return bound(s, sqlite3_bind_null(stmt_of(s), index));
}

static int sqlite_bind_blob(struct db_stmt *s, int index, const void *data, size_t len)
{
    return bound(s, sqlite3_bind_blob64(stmt_of(s), index, data, len, SQLITE_TRANSIENT));
}

static int sqlite_step(struct db_stmt *s)
{
    int rc = sqlite3_step(stmt_of(s));
    if (rc == SQLITE_ROW)
        return DB_ROW;
    if (rc == SQLITE_DONE) {
        s->conn->changes = sqlite3_changes64(handle_of(s->conn));
        return DB_DONE;
    }
    return fail(s->conn, rc);
}

static int64_t sqlite_column_int64(struct db_stmt *s, int col)
{
    return sqlite3_column_int64(stmt_of(s), col);
}

static const char *sqlite_column_text(struct db_stmt *s, int col)
{
    return (const char *)sqlite3_column_text(stmt_of(s), col);
}

static size_t sqlite_column_bytes(struct db_stmt *s, int col)
{
    return (size_t)sqlite3_column_bytes(stmt_of(s), col);
}

static int sqlite_column_is_null(struct db_stmt *s, int col)
{
    return sqlite3_column_type(stmt_of(s), col) == SQLITE_NULL;
}

static enum db_type sqlite_column_type(struct db_stmt *s, int col)
{
    switch (sqlite3_column_type(stmt_of(s), col)) {
    case SQLITE_INTEGER: return DB_TYPE_INTEGER;
    case SQLITE_FLOAT: return DB_TYPE_REAL;
    case SQLITE_BLOB: return DB_TYPE_BLOB;
    case SQLITE_NULL: return DB_TYPE_NULL;
    default: return DB_TYPE_TEXT;
    }
}

static const void *sqlite_column_blob(struct db_stmt *s, int col, size_t *len)
{
    const void *data = sqlite3_column_blob(stmt_of(s), col);
    *len = (size_t)sqlite3_column_bytes(stmt_of(s), col);
    return data;
}

/* Resets the statement and clears its bindings: a statement left unreset would pin an old WAL
 * snapshot, and the server would stop seeing other processes' writes. */
static void sqlite_reset(struct db_stmt *s)
{
    sqlite3_reset(stmt_of(s));
    sqlite3_clear_bindings(stmt_of(s));
}

static int sqlite_exec(struct db_conn *c, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(handle_of(c), sql, NULL, NULL, &msg);
    if (rc == SQLITE_OK)
        return 0;
    int extended = sqlite3_extended_errcode(handle_of(c));
    db_set_error(c, error_class(extended ? extended : rc), "%s",
                 msg ? msg : sqlite3_errmsg(handle_of(c)));
    sqlite3_free(msg);
    return -1;
}

/* Runs "VERB s<depth>": a savepoint statement for nesting level depth. */
static int savepoint(struct db_conn *c, const char *verb, int depth)
{
    char sql[64];
    snprintf(sql, sizeof sql, "%s s%d", verb, depth);
    return sqlite_exec(c, sql);
}

/* A read-only database's outermost transaction is a read snapshot (db_open_read_only). */
static int sqlite_begin(struct db_conn *c, int depth)
{
    if (depth)
        return savepoint(c, "SAVEPOINT", depth);
    return sqlite_exec(c, c->db->read_only ? "BEGIN" : "BEGIN IMMEDIATE");
}

static int sqlite_commit(struct db_conn *c, int depth)
{
    return depth ? savepoint(c, "RELEASE", depth) : sqlite_exec(c, "COMMIT");
}

static int sqlite_rollback(struct db_conn *c, int depth)
{
    if (!depth)
        return sqlite_exec(c, "ROLLBACK");
    /* undoes the level, then ends it */
    int rc = savepoint(c, "ROLLBACK TO", depth);
    return savepoint(c, "RELEASE", depth) || rc ? -1 : 0;
}

static int sqlite_rolled_back(struct db_conn *c)
{
    return sqlite3_get_autocommit(handle_of(c)) != 0;
}

static int sqlite_schema_version(struct db_conn *c, int *version)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(handle_of(c), "PRAGMA user_version", -1, &s, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        *version = sqlite3_column_int(s, 0);
        sqlite3_finalize(s);
        return 0;
    }
    sqlite3_finalize(s);
    return fail(c, rc);
}

static int sqlite_set_schema_version(struct db_conn *c, int version)
{
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", version);
    return sqlite_exec(c, sql);
}

const struct db_driver db_sqlite_driver = {
    .kind = DB_SQLITE,
    .connect = sqlite_connect,
    .disconnect = sqlite_disconnect,
    .set_wait = sqlite_set_wait,
    .alive = sqlite_alive,
    .prepare = sqlite_prepare,
    .finalize = sqlite_finalize,
    .bind_int64 = sqlite_bind_int64,
    .bind_text = sqlite_bind_text,
    .bind_null = sqlite_bind_null,
    .bind_blob = sqlite_bind_blob,
    .step = sqlite_step,
    .column_int64 = sqlite_column_int64,
    .column_text = sqlite_column_text,
    .column_bytes = sqlite_column_bytes,
    .column_is_null = sqlite_column_is_null,
    .column_blob = sqlite_column_blob,
    .column_type = sqlite_column_type,
    .reset = sqlite_reset,
    .exec = sqlite_exec,
    .begin = sqlite_begin,
    .commit = sqlite_commit,
    .rollback = sqlite_rollback,
    .rolled_back = sqlite_rolled_back,
    .schema_version = sqlite_schema_version,
    .set_schema_version = sqlite_set_schema_version,
};
