/*
 * db.c: what the database backends share (db.h, db_driver.h): the thread key and the list of
 * connections, replacing a broken connection at the thread's next db_conn (unless a transaction
 * is open on it), the statement cache by id, transaction nesting, and the last error.
 */
#include "db.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_driver.h"
#include "util.h"

/* How long this thread's connections wait (db_thread_wait); -1: the backend's default. */
static __thread int thread_wait_ms = -1;

int db_is_pgsql_url(const char *target)
{
    return !strncmp(target, "postgres://", 11) || !strncmp(target, "postgresql://", 13);
}

void db_set_error(struct db_conn *c, enum db_error error, const char *fmt, ...)
{
    c->error = error;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->errmsg, sizeof c->errmsg, fmt, ap);
    va_end(ap);
    if (error == DB_ERR_BROKEN)
        c->broken = 1;
}

/* Finalizes c's statements and disconnects it. Does not unlink c from its db. */
static void conn_free(struct db_conn *c)
{
    const struct db_driver *d = c->db->driver;
    for (size_t i = 0; i < c->db->nstatements; i++)
        if (c->stmts[i])
            d->finalize(c->stmts[i]);
    free(c->stmts);
    d->disconnect(c);
}

/* Removes c from its db's list. */
static void conn_unlink(struct db_conn *c)
{
    struct db *db = c->db;
    pthread_mutex_lock(&db->lock);
    for (struct db_conn **p = &db->conns; *p; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            break;
        }
    }
    pthread_mutex_unlock(&db->lock);
}

/* The key's destructor: a thread ended without db_thread_done. */
static void conn_destructor(void *value)
{
    struct db_conn *c = value;
    conn_unlink(c);
    conn_free(c);
}

/* "postgresql://user:secret@host/db" shown as "postgresql://user:***@host/db". */
char *db_shown(const char *target)
{
    char *shown = xstrdup(target);
    char *scheme = strstr(shown, "://");
    if (!scheme)
        return shown;
    char *auth = scheme + 3, *at = strchr(auth, '@'), *slash = strchr(auth, '/');
    if (!at || (slash && slash < at))
        return shown;
    char *colon = memchr(auth, ':', (size_t)(at - auth));
    if (!colon)
        return shown;
    size_t head = (size_t)(colon + 1 - shown);
    char *out = xmalloc(head + 3 + strlen(at) + 1);
    memcpy(out, shown, head);
    strcpy(out + head, "***");
    strcpy(out + head + 3, at);
    free(shown);
    return out;
}

/* db_open and db_open_read_only. */
static struct db *open_database(const char *target, const struct db_sql *statements,
                                size_t nstatements, int read_only, char *err, size_t errlen)
{
    struct db *db = xcalloc(1, sizeof *db);
    db->read_only = read_only;
    db->driver = db_is_pgsql_url(target) ? &db_pgsql_driver : &db_sqlite_driver;
    db->target = xstrdup(target);
    db->target_shown = db_shown(target);
    db->statements = statements;
    db->nstatements = nstatements;
    pthread_mutex_init(&db->lock, NULL);
    if (pthread_key_create(&db->key, conn_destructor) != 0) {
        snprintf(err, errlen, "cannot create a thread key");
        pthread_mutex_destroy(&db->lock);
        free(db->target);
        free(db->target_shown);
        free(db);
        return NULL;
    }
    if (!db_conn(db, err, errlen)) {
        db_close(db);
        return NULL;
    }
    return db;
}

struct db *db_open(const char *target, const struct db_sql *statements, size_t nstatements,
                   char *err, size_t errlen)
{
    return open_database(target, statements, nstatements, 0, err, errlen);
}

struct db *db_open_read_only(const char *target, const struct db_sql *statements,
                             size_t nstatements, char *err, size_t errlen)
{
    return open_database(target, statements, nstatements, 1, err, errlen);
}

void db_close(struct db *db)
{
    if (!db)
        return;
    pthread_key_delete(db->key);
    while (db->conns) {
        struct db_conn *c = db->conns;
        db->conns = c->next;
        conn_free(c);
    }
    pthread_mutex_destroy(&db->lock);
    free(db->target);
    free(db->target_shown);
    free(db);
}

enum db_kind db_kind(const struct db *db)
{
    return db->driver->kind;
}

enum db_kind db_conn_kind(const struct db_conn *c)
{
    return c->db->driver->kind;
}

const char *db_target_shown(const struct db *db)
{
    return db->target_shown;
}

struct db_conn *db_conn(struct db *db, char *err, size_t errlen)
{
    struct db_conn *c = pthread_getspecific(db->key);
    if (c && !c->broken && c->tx_depth == 0 && !db->driver->alive(c))
        db_set_error(c, DB_ERR_BROKEN, "the server closed the connection");
    if (c && (!c->broken || c->tx_depth > 0))
        return c;
    char replaced[sizeof c->replaced] = "";
    if (c) { /* broken, and no transaction of the caller's on it: a new one */
        snprintf(replaced, sizeof replaced, "%s", c->errmsg);
        pthread_setspecific(db->key, NULL);
        conn_unlink(c);
        conn_free(c);
    }
    char why[512] = "";
    int retry_ms = db->driver->retry_ms;
    if (retry_ms && atomic_load(&db->down)) {
        /* While the database is unavailable the process tries to connect once a retry_ms, the
         * caller that moves retry_at_ms on; the others fail at once instead of each waiting for
         * the server (a stopped one refuses at once, but an unreachable one makes libpq wait
         * out its connect_timeout). */
        long long now = util_monotonic_ms(), at = atomic_load(&db->retry_at_ms);
        if (now < at || !atomic_compare_exchange_strong(&db->retry_at_ms, &at, now + retry_ms)) {
            if (err && errlen)
                snprintf(err, errlen, "%s: unavailable; trying again within %d ms",
                         db->target_shown, retry_ms);
            return NULL;
        }
    }
    c = db->driver->connect(db, thread_wait_ms, why, sizeof why);
    if (!c) {
        if (retry_ms) {
            atomic_store(&db->retry_at_ms, util_monotonic_ms() + retry_ms);
            atomic_store(&db->down, 1);
        }
        if (err && errlen)
            snprintf(err, errlen, "%s: %s", db->target_shown, why);
        return NULL;
    }
    atomic_store(&db->down, 0);
    c->db = db;
    memcpy(c->replaced, replaced, sizeof replaced);
    c->stmts = xcalloc(db->nstatements ? db->nstatements : 1, sizeof *c->stmts);
    if (pthread_setspecific(db->key, c) != 0) {
        if (err && errlen)
            snprintf(err, errlen, "cannot set the thread's connection");
        conn_free(c);
        return NULL;
    }
    pthread_mutex_lock(&db->lock);
    c->next = db->conns;
    db->conns = c;
    pthread_mutex_unlock(&db->lock);
    return c;
}

int db_unavailable(struct db *db)
{
    return atomic_load_explicit(&db->down, memory_order_relaxed);
}

int db_thread_broken(struct db *db)
{
    struct db_conn *c = pthread_getspecific(db->key);
    return c && c->broken;
}

const char *db_conn_replaced(struct db_conn *c)
{
    if (!c->replaced[0])
        return NULL;
    /* handed out once: the caller logs it; the next call finds "" */
    static __thread char told[sizeof c->replaced];
    memcpy(told, c->replaced, sizeof told);
    c->replaced[0] = '\0';
    return told;
}

void db_thread_done(struct db *db)
{
    struct db_conn *c = pthread_getspecific(db->key);
    if (!c)
        return;
    pthread_setspecific(db->key, NULL);
    conn_unlink(c);
    conn_free(c);
}

void db_thread_wait(struct db *db, int ms)
{
    thread_wait_ms = ms;
    struct db_conn *c = pthread_getspecific(db->key);
    if (c)
        db->driver->set_wait(c, ms);
}

struct db_stmt *db_prepare(struct db_conn *c, size_t id)
{
    if (id >= c->db->nstatements) {
        db_set_error(c, DB_ERR_OTHER, "no statement %zu", id);
        return NULL;
    }
    if (!c->stmts[id]) {
        const struct db_sql *q = &c->db->statements[id];
        const char *sql = c->db->driver->kind == DB_PGSQL && q->pgsql ? q->pgsql : q->sql;
        struct db_stmt *s = c->db->driver->prepare(c, id, sql);
        if (!s)
            return NULL;
        s->conn = c;
        s->id = id;
        c->stmts[id] = s;
    }
    return c->stmts[id];
}

/* Numbered after the store's statements, so that a backend that names its statements by id
 * (PostgreSQL) never reuses a name on c. */
struct db_stmt *db_prepare_text(struct db_conn *c, const char *sql)
{
    size_t id = c->db->nstatements + c->texts++;
    struct db_stmt *s = c->db->driver->prepare(c, id, sql);
    if (!s)
        return NULL;
    s->conn = c;
    s->id = id;
    return s;
}

void db_finalize(struct db_stmt *s)
{
    if (s && s->id >= s->conn->db->nstatements)
        s->conn->db->driver->finalize(s);
}

int db_bind_int64(struct db_stmt *s, int index, int64_t value)
{
    return s->conn->db->driver->bind_int64(s, index, value);
}

int db_bind_text(struct db_stmt *s, int index, const char *text)
{
    return s->conn->db->driver->bind_text(s, index, text ? text : "");
}

int db_bind_null(struct db_stmt *s, int index)
{
    return s->conn->db->driver->bind_null(s, index);
}

int db_bind_blob(struct db_stmt *s, int index, const void *data, size_t len)
{
    return s->conn->db->driver->bind_blob(s, index, data, len);
}

int db_step(struct db_stmt *s)
{
    s->conn->error = DB_ERR_NONE;
    return s->conn->db->driver->step(s);
}

int db_step_guarded(struct db_stmt *s)
{
    struct db_conn *c = s->conn;
    if (c->tx_depth == 0 || c->db->driver->kind != DB_PGSQL)
        return db_step(s);
    if (db_begin(c) != 0)
        return DB_FAIL;
    int step = db_step(s); /* PostgreSQL runs the whole statement on the first step */
    if (step == DB_FAIL) {
        db_rollback(c); /* keeps the statement's error */
        return DB_FAIL;
    }
    /* RELEASE leaves db_changes the statement's: only writes set it (note_changes) */
    return db_commit(c) != 0 ? DB_FAIL : step;
}

int64_t db_column_int64(struct db_stmt *s, int col)
{
    return s->conn->db->driver->column_int64(s, col);
}

const char *db_column_text(struct db_stmt *s, int col)
{
    return s->conn->db->driver->column_text(s, col);
}

size_t db_column_bytes(struct db_stmt *s, int col)
{
    return s->conn->db->driver->column_bytes(s, col);
}

int db_column_is_null(struct db_stmt *s, int col)
{
    return s->conn->db->driver->column_is_null(s, col);
}

const void *db_column_blob(struct db_stmt *s, int col, size_t *len)
{
    return s->conn->db->driver->column_blob(s, col, len);
}

enum db_type db_column_type(struct db_stmt *s, int col)
{
    return s->conn->db->driver->column_type(s, col);
}

void db_reset(struct db_stmt *s)
{
    if (s)
        s->conn->db->driver->reset(s);
}

int64_t db_changes(struct db_conn *c)
{
    return c->changes;
}

enum db_error db_error(struct db_conn *c)
{
    return c->error;
}

const char *db_errmsg(struct db_conn *c)
{
    return c->errmsg;
}

int db_exec(struct db_conn *c, const char *sql)
{
    c->error = DB_ERR_NONE;
    return c->db->driver->exec(c, sql);
}

/* Rolls back nesting level depth, keeping c's last error (the one that made the caller undo
 * it) rather than any of the rollback's own. */
static void undo_level(struct db_conn *c, int depth)
{
    enum db_error error = c->error;
    char msg[sizeof c->errmsg];
    memcpy(msg, c->errmsg, sizeof msg);
    c->db->driver->rollback(c, depth);
    c->error = error;
    memcpy(c->errmsg, msg, sizeof msg);
}

int db_begin(struct db_conn *c)
{
    if (c->db->driver->begin(c, c->tx_depth) != 0)
        return -1;
    c->tx_depth++;
    return 0;
}

int db_commit(struct db_conn *c)
{
    const struct db_driver *d = c->db->driver;
    if (c->tx_depth == 0) {
        db_set_error(c, DB_ERR_OTHER, "commit outside a transaction");
        return -1;
    }
    /* The database may have ended the transaction by itself (SQLite after a full disk or an
     * I/O error): then nothing is left to commit, and the caller must hear so. */
    if (d->rolled_back(c)) {
        c->tx_depth = 0;
        db_set_error(c, c->error ? c->error : DB_ERR_OTHER,
                     "the transaction was rolled back by the database");
        return -1;
    }
    int depth = --c->tx_depth;
    if (d->commit(c, depth) != 0) {
        /* the commit's error stays the one the caller hears */
        if (!d->rolled_back(c) || depth > 0)
            undo_level(c, depth);
        return -1;
    }
    return 0;
}

void db_rollback(struct db_conn *c)
{
    if (c->tx_depth == 0)
        return;
    int depth = --c->tx_depth;
    if (c->db->driver->rolled_back(c)) { /* already ended by the database */
        c->tx_depth = 0;
        return;
    }
    undo_level(c, depth); /* the error that led here is the one to report */
}

int db_in_transaction(struct db_conn *c)
{
    return c->tx_depth;
}

int db_schema_version(struct db_conn *c, int *version)
{
    return c->db->driver->schema_version(c, version);
}

int db_set_schema_version(struct db_conn *c, int version)
{
    return c->db->driver->set_schema_version(c, version);
}
