/*
 * store.c: store.h over the database driver (db.h), its SQL written once for every backend.
 *
 * Connections: each thread that touches the store gets its own (db_conn), opened on first use,
 * and replaced at the thread's next call after a failure that says the connection itself
 * cannot go on (db.h), unless a transaction of the caller's is open on it. It is replaced then
 * and not at the failure, because the failing function still holds the connection's
 * statements.
 *
 * Statements: every statement is a compile-time literal in the `statements` table, prepared on a
 * connection the first time it is used there and kept; values are always bound, never
 * formatted into SQL. Every statement is reset at the end of the function that stepped it,
 * which also ends SQLite's implicit read transaction: a statement left unreset would pin an old
 * WAL snapshot, and the server would stop seeing other processes' writes.
 *
 * Schema: the number of the last migration applied (migrations.h) is the schema's version
 * (db_schema_version); each missing migration runs in its own transaction, which rechecks the
 * version so two processes opening a fresh database together do not both apply it. A database
 * whose version is newer than the binary's is refused rather than misread.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrations.h"
#include "store_impl.h"
#include "util.h"

/* Errors reported since the process started (store_error_count). */
static atomic_ulong store_errors_reported;

/* 1 from the line that says the database is unavailable to the one that says it is back
 * (note_outage): meanwhile every request that needs the database fails, and the log says so
 * once rather than once a request. Process-wide, as the count is: a server has one store. */
static atomic_int outage_told;

/* Formats a message, logs it to stderr (unless an outage was told: it is why) and copies it
 * into err (when err is not NULL), and counts it: every failure of the store passes here. */
__attribute__((format(printf, 3, 4))) void store_report(char *err, size_t errlen, const char *fmt,
                                                        ...)
{
    atomic_fetch_add_explicit(&store_errors_reported, 1, memory_order_relaxed);
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!atomic_load_explicit(&outage_told, memory_order_relaxed))
        fprintf(stderr, "broadsheet: store: %s\n", msg);
    if (err && errlen)
        snprintf(err, errlen, "%s", msg);
}

/* Runs literal SQL text with no parameters or results (migrations, the import's table).
 * Returns 0, or -1 with the reason reported and in err. */
int store_exec(struct db_conn *c, const char *sql, char *err, size_t errlen)
{
    if (db_exec(c, sql) != 0) {
        store_report(err, errlen, "%s", db_errmsg(c));
        return -1;
    }
    return 0;
}

void store_thread_wait(struct store *st, int ms)
{
    db_thread_wait(st->db, ms);
}

/* Logs the start of an outage (why: the reason a connection could not be opened, NULL when
 * one was) or its end, each once, as db_unavailable changes. */
static void note_outage(struct store *st, const char *why)
{
    if (why && db_unavailable(st->db)) {
        if (!atomic_exchange(&outage_told, 1))
            fprintf(stderr,
                    "broadsheet: store: the database is unavailable (%s); requests that need it "
                    "get 503 until it is back\n",
                    why);
    } else if (!why && atomic_load_explicit(&outage_told, memory_order_relaxed) &&
               !db_unavailable(st->db) && atomic_exchange(&outage_told, 0)) {
        fprintf(stderr, "broadsheet: store: the database is available again\n");
    }
}

int store_unavailable(struct store *st)
{
    return db_unavailable(st->db) || db_thread_broken(st->db);
}

int store_can_listen(struct store *st)
{
    return db_kind(st->db) == DB_PGSQL;
}

struct db_listener *store_listen_open(struct store *st, char *err, size_t errlen)
{
    return db_listen_open(st->db, STORE_CHANNEL, err, errlen);
}

/* The calling thread's connection (db_conn: opened on first use, and anew after one broke,
 * unless a transaction of the caller's is open on it). Returns NULL (reported, and written
 * into err when given) if it cannot be opened; the next call tries again. The caller must not
 * hold a statement of the thread's connection: every store function calls this once, first. */
struct db_conn *store_conn(struct store *st, char *err, size_t errlen)
{
    char why[768] = "";
    struct db_conn *c = db_conn(st->db, why, sizeof why);
    note_outage(st, c ? NULL : why);
    if (!c) {
        store_report(err, errlen, "%s", why);
        return NULL;
    }
    const char *broken = db_conn_replaced(c);
    if (broken) /* logged and counted as an error, though this call goes on */
        store_report(NULL, 0, "closed this thread's connection after \"%s\"; opened a new one",
                     broken);
    return c;
}

/* Statement id on c, prepared on first use and kept. The caller resets it when done
 * (db_reset). Returns NULL (reported) if it cannot be prepared: a bug in this file, or a file
 * that is not (or no longer) a database, which also marks c broken. */
struct db_stmt *store_stmt(struct db_conn *c, enum statement id, char *err, size_t errlen)
{
    struct db_stmt *s = db_prepare(c, id);
    if (!s)
        store_report(err, errlen, "preparing statement %d: %s", (int)id, db_errmsg(c));
    return s;
}

/* Transactions nest (db.h): the outermost holds the write lock from its start, so it cannot
 * fail half-way because another writer came first; an inner one is a savepoint, so a store
 * function that needs its own transaction (store_token_consume) composes into a caller's
 * (store_begin). Every store_tx_begin is matched by exactly one store_tx_commit or
 * store_tx_rollback. Return 0 or -1 (reported; a failed commit has rolled its level back). */
int store_tx_begin(struct db_conn *c, char *err, size_t errlen)
{
    if (db_begin(c) != 0) {
        store_report(err, errlen, "beginning a transaction: %s", db_errmsg(c));
        return -1;
    }
    return 0;
}

int store_tx_commit(struct db_conn *c, char *err, size_t errlen)
{
    if (db_commit(c) != 0) {
        store_report(err, errlen, "committing: %s", db_errmsg(c));
        return -1;
    }
    return 0;
}

void store_tx_rollback(struct db_conn *c)
{
    db_rollback(c);
}

int store_begin(struct store *st)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    return c && store_tx_begin(c, NULL, 0) == 0 ? STORE_OK : STORE_ERROR;
}

int store_commit(struct store *st)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    return c && store_tx_commit(c, NULL, 0) == 0 ? STORE_OK : STORE_ERROR;
}

void store_rollback(struct store *st)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    if (c)
        store_tx_rollback(c);
}

int store_finish(struct store *st, int rc)
{
    if (rc != STORE_OK) {
        store_rollback(st);
        return rc;
    }
    return store_commit(st) == STORE_OK ? STORE_OK : STORE_ERROR;
}

/* Column col of the current row as a string in a ("" for NULL). */
const char *store_column_text(struct db_stmt *s, int col, struct arena *a)
{
    const char *text = db_column_text(s, col);
    if (!text)
        return "";
    return arena_strndup(a, text, db_column_bytes(s, col));
}

/* Doubles the arena array *items (holding n of cap elements of size bytes) when it is full.
 * The old copy stays in the arena until it is reset: lists are small. */
static void grow(struct arena *a, void **items, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return;
    size_t new_cap = *cap ? *cap * 2 : 8;
    void *bigger = arena_alloc(a, new_cap * size);
    if (n)
        memcpy(bigger, *items, n * size);
    *items = bigger;
    *cap = new_cap;
}

/* Reads the current row of a statement into item, one element of the caller's array (strings
 * from a). The *_row functions below adapt the read_* functions, which take a typed pointer and
 * a first column, to this shape for store_read_rows. */
typedef void (*store_row_reader)(struct db_stmt *s, struct arena *a, void *item);

/* Steps s (on c, bound by the caller) to its end, reading each row with read_row into a new
 * element of item_size bytes of an array from a. On STORE_OK sets *out (NULL when there are no
 * rows) and *n; on STORE_ERROR (reported as "what: <the database's message>") leaves them alone.
 * Does not reset s: the caller's stmt_done does. */
int store_read_rows(struct db_conn *c, struct db_stmt *s, struct arena *a, size_t item_size,
                    store_row_reader read_row, const char *what, void **out, size_t *n)
{
    void *items = NULL;
    size_t count = 0, cap = 0;
    int step;
    while ((step = db_step(s)) == DB_ROW) {
        grow(a, &items, count, &cap, item_size);
        read_row(s, a, (char *)items + count++ * item_size);
    }
    if (step != DB_DONE) {
        store_report(NULL, 0, "%s: %s", what, db_errmsg(c));
        return STORE_ERROR;
    }
    *out = items;
    *n = count;
    return STORE_OK;
}

/* store_read_rows for statement id, which takes no parameters, on the calling thread's connection;
 * resets the statement. Returns STORE_OK or STORE_ERROR (reported). */
int store_list_all(struct store *st, enum statement id, struct arena *a, size_t item_size,
                   store_row_reader read_row, const char *what, void **out, size_t *n)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (c && (s = store_stmt(c, id, NULL, 0)))
        rc = store_read_rows(c, s, a, item_size, read_row, what, out, n);
    db_reset(s);
    return rc;
}

/* Steps the bound one-row lookup s (on c) once. Returns STORE_OK with s on the row, for the
 * caller to read; STORE_NOT_FOUND when there is no row; or STORE_ERROR, reported as
 * "<fmt's text>: <the database's message>" (fmt is formatted only then, so a lookup that works
 * formats nothing). Does not reset s. */
__attribute__((format(printf, 3, 4))) int store_step_one(struct db_conn *c, struct db_stmt *s,
                                                         const char *fmt, ...)
{
    int step = db_step(s);
    if (step == DB_ROW)
        return STORE_OK;
    if (step == DB_DONE)
        return STORE_NOT_FOUND;
    char what[1024]; /* store_report's own limit: the message is cut where it was before */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    store_report(NULL, 0, "%s: %s", what, db_errmsg(c));
    return STORE_ERROR;
}
/* The schema's version into *version. Returns 0 or -1 (reported). */
static int schema_version(struct db_conn *c, int *version, char *err, size_t errlen)
{
    if (db_schema_version(c, version) != 0) {
        store_report(err, errlen, "reading the schema version: %s", db_errmsg(c));
        return -1;
    }
    return 0;
}

/* Whether a row's foreign key points nowhere after a SQLite migration (PRAGMA
 * foreign_key_check finds one, or cannot run); PostgreSQL checks its keys itself. */
static int foreign_keys_broken(struct db_conn *c)
{
    if (db_conn_kind(c) != DB_SQLITE)
        return 0;
    struct db_stmt *s = db_prepare(c, STMT_FOREIGN_KEY_CHECK);
    int broken = !s || db_step(s) != DB_DONE;
    db_reset(s);
    return broken;
}

static int migrate_all(struct db_conn *c, char *err, size_t errlen);

/* Applies migration m (version m->version) in its own transaction, unless another process did
 * meanwhile. Returns 0 or -1 (reported; the transaction is rolled back). */
static int apply_migration(struct db_conn *c, const struct migration *m, char *err, size_t errlen)
{
    int version, rc = -1;
    if (store_tx_begin(c, err, errlen) != 0)
        return -1;
    if (schema_version(c, &version, err, errlen) != 0)
        goto out;
    if (version >= m->version) { /* another process got there first */
        rc = 0;
        goto out;
    }
    char msg[900];
    if (store_exec(c, m->sql, msg, sizeof msg) != 0) {
        store_report(err, errlen, "migration %s: %s", m->name, msg);
        goto out;
    }
    if (foreign_keys_broken(c)) {
        store_report(err, errlen, "migration %s: it would leave a foreign key pointing nowhere",
                     m->name);
        goto out;
    }
    if (db_set_schema_version(c, m->version) != 0) {
        store_report(err, errlen, "migration %s: setting the version: %s", m->name, db_errmsg(c));
        goto out;
    }
    return store_tx_commit(c, err, errlen);
out:
    store_tx_rollback(c);
    return rc;
}

/* Brings the schema up to the binary's latest migration. Returns 0 or -1 (reported).
 *
 * SQLite: foreign keys are not enforced while migrations run: a migration that rebuilds a
 * table (the only way SQLite reorders or retypes columns) drops the old one, and with
 * enforcement on that would delete, by ON DELETE CASCADE, every row that refers to it. The
 * pragma cannot change inside a transaction, so it is set around them, and each migration
 * instead checks every key (PRAGMA foreign_key_check) before it commits. */
static int migrate(struct db_conn *c, char *err, size_t errlen)
{
    int sqlite = db_conn_kind(c) == DB_SQLITE;
    if (sqlite && store_exec(c, "PRAGMA foreign_keys = OFF", err, errlen) != 0)
        return -1;
    int rc = migrate_all(c, err, errlen);
    if (sqlite && store_exec(c, "PRAGMA foreign_keys = ON", rc == 0 ? err : NULL, errlen) != 0)
        return -1;
    return rc;
}

/* migrate's work. */
static int migrate_all(struct db_conn *c, char *err, size_t errlen)
{
    int pgsql = db_conn_kind(c) == DB_PGSQL;
    const struct migration *list = pgsql ? migrations_pgsql : migrations_sqlite;
    size_t count = pgsql ? migrations_pgsql_count : migrations_sqlite_count;
    int version;
    if (schema_version(c, &version, err, errlen) != 0)
        return -1;
    if (version < 0 || (size_t)version > count) {
        store_report(err, errlen,
                     "schema version %d is newer than this program's (%zu); use a newer Broadsheet",
                     version, count);
        return -1;
    }
    for (size_t i = (size_t)version; i < count; i++)
        if (apply_migration(c, &list[i], err, errlen) != 0)
            return -1;
    return 0;
}

const char *store_access_name(enum access_level level)
{
    switch (level) {
    case ACCESS_FREE: return "free";
    case ACCESS_METERED: return "metered";
    case ACCESS_SUBSCRIBERS: return "subscribers";
    }
    return "subscribers"; /* not reachable for a valid enum; the strictest level is the safe one */
}

int store_access_parse(const char *name)
{
    if (!name)
        return -1;
    if (strcmp(name, "free") == 0)
        return ACCESS_FREE;
    if (strcmp(name, "metered") == 0)
        return ACCESS_METERED;
    if (strcmp(name, "subscribers") == 0)
        return ACCESS_SUBSCRIBERS;
    return -1;
}

struct store *store_open(const char *path, char *err, size_t errlen)
{
    struct store *st = xcalloc(1, sizeof *st);
    st->search_preview_paragraphs = 1; /* config.c's default, until store_search_configure */
    for (size_t i = 0; i < STMT_COUNT; i++)
        st->sql[i] = (struct db_sql){store_statements[i], store_statements_pgsql[i]};
    char why[768];
    st->db = db_open(path, st->sql, STMT_COUNT, why, sizeof why);
    if (!st->db) {
        store_report(err, errlen, "%s", why);
        free(st);
        return NULL;
    }
    struct db_conn *c = store_conn(st, err, errlen);
    if (!c || migrate(c, err, errlen) != 0) {
        store_close(st);
        return NULL;
    }
    return st;
}

const char *store_shown(const struct store *st)
{
    return db_target_shown(st->db);
}

char *store_shown_target(const char *target)
{
    return db_shown(target);
}

struct db *store_db(struct store *st)
{
    return st->db;
}

void store_close(struct store *st)
{
    if (!st)
        return;
    db_close(st->db);
    free(st);
}

void store_thread_done(struct store *st)
{
    db_thread_done(st->db);
}

/* The integer value of the one row read by statement id (STMT_CHANGE_SEQ, STMT_PAYWALL_VERSION,
 * STMT_MAIL_WAITING) into *value. STORE_OK or STORE_ERROR (reported with what). */
int store_meta_value(struct store *st, enum statement id, int64_t *value, const char *what)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, id, NULL, 0)))
        goto out;
    if (db_step(s) != DB_ROW) {
        store_report(NULL, 0, "reading the %s: %s", what, db_errmsg(c));
        goto out;
    }
    *value = db_column_int64(s, 0);
    rc = STORE_OK;
out:
    db_reset(s);
    return rc;
}

int store_change_seq(struct store *st, int64_t *seq)
{
    return store_meta_value(st, STMT_CHANGE_SEQ, seq, "change log's sequence number");
}

int store_changes_since(struct store *st, int64_t after, int max,
                        void (*fn)(void *ctx, const char *tag, int64_t seq), void *ctx)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR, n = 0;
    if (!c || !(s = store_stmt(c, STMT_CHANGES_SINCE, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, after);
    db_bind_int64(s, 2, max);
    int step;
    while ((step = db_step(s)) == DB_ROW) {
        fn(ctx, db_column_text(s, 0), db_column_int64(s, 1));
        n++;
    }
    if (step != DB_DONE) {
        store_report(NULL, 0, "reading the change log: %s", db_errmsg(c));
        goto out;
    }
    rc = n;
out:
    db_reset(s);
    return rc;
}

/* Returns 1 (no publication), 0, or STORE_ERROR (-1) when the database cannot be read. */
int store_is_empty(struct store *st)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_ANY_PUBLICATION, NULL, 0)))
        goto out;
    if (db_step(s) != DB_ROW) {
        store_report(NULL, 0, "checking for publications: %s", db_errmsg(c));
        goto out;
    }
    rc = (int)db_column_int64(s, 0) ? 0 : 1;
out:
    db_reset(s);
    return rc;
}

/* 1 if s is a usable required string (not NULL, not empty). */
int store_present(const char *s)
{
    return s && *s;
}

/* The store's status for c's failed write: STORE_CONFLICT for a uniqueness rule,
 * STORE_NOT_FOUND for a foreign key, else STORE_ERROR (reported with what). */
int store_step_failed(struct db_conn *c, const char *what)
{
    switch (db_error(c)) {
    case DB_ERR_UNIQUE: return STORE_CONFLICT;
    case DB_ERR_FOREIGN_KEY: return STORE_NOT_FOUND;
    default: store_report(NULL, 0, "%s: %s", what, db_errmsg(c)); return STORE_ERROR;
    }
}

/* Steps the bound write statement s (on c) once and maps the outcome: STORE_OK; STORE_CONFLICT
 * for a UNIQUE or PRIMARY KEY violation; STORE_NOT_FOUND for a FOREIGN KEY violation (the
 * referenced user is gone) or, when must_change is set, for a statement that changed no row;
 * STORE_ERROR otherwise (reported with what). Does not reset s. */
int store_step_write(struct db_conn *c, struct db_stmt *s, int must_change, const char *what)
{
    int step = db_step_guarded(s); /* a refusal leaves a caller's transaction usable */
    if (step == DB_DONE)
        return must_change && db_changes(c) == 0 ? STORE_NOT_FOUND : STORE_OK;
    return store_step_failed(c, what);
}

/* Steps s, an INSERT … RETURNING id (on c), to its end, with the new row's id in *id (when
 * id is not NULL). Returns STORE_OK; STORE_NOT_FOUND when it inserted no row (an INSERT …
 * SELECT whose SELECT found none) or a foreign key refused it; STORE_CONFLICT when a
 * uniqueness rule refused it; STORE_ERROR otherwise (reported with what). */
int store_step_insert(struct db_conn *c, struct db_stmt *s, int64_t *id, const char *what)
{
    int step = db_step_guarded(s); /* a refusal leaves a caller's transaction usable */
    if (step == DB_ROW) {
        if (id)
            *id = db_column_int64(s, 0);
        step = db_step(s);
        if (step == DB_DONE)
            return STORE_OK;
    }
    if (step == DB_DONE)
        return STORE_NOT_FOUND;
    return store_step_failed(c, what);
}

/* Runs statement id with ?1 = first, ?2 = second (when nparams >= 2) and ?3 = util_now() (when
 * nparams is 3), steps it once and maps the outcome as store_step_write does. */
int store_write_ids(struct store *st, enum statement id, int nparams, int64_t first, int64_t second,
                    int must_change, const char *what)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, id, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, first);
    if (nparams >= 2)
        db_bind_int64(s, 2, second);
    if (nparams >= 3)
        db_bind_int64(s, 3, util_now());
    rc = store_step_write(c, s, must_change, what);
out:
    db_reset(s);
    return rc;
}

unsigned long store_error_count(void)
{
    return atomic_load_explicit(&store_errors_reported, memory_order_relaxed);
}

/* Runs statement id with ?1 = first and, when nparams is 2, ?2 = second (text), steps it once
 * and maps the outcome as store_step_write does. */
int store_write_texts(struct store *st, enum statement id, int nparams, const char *first,
                      const char *second, int must_change, const char *what)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, id, NULL, 0)))
        goto out;
    db_bind_text(s, 1, first);
    if (nparams >= 2)
        db_bind_text(s, 2, second);
    rc = store_step_write(c, s, must_change, what);
out:
    db_reset(s);
    return rc;
}

/* The id of the row named slug, by statement id (STMT_PUBLICATION_ID or STMT_SECTION_ID), into
 * *row_id. Returns STORE_OK, STORE_NOT_FOUND or STORE_ERROR (reported). */
int store_id_by_slug(struct db_conn *c, enum statement id, const char *slug, int64_t *row_id,
                     char *err, size_t errlen)
{
    struct db_stmt *s = store_stmt(c, id, err, errlen);
    int rc = STORE_ERROR;
    if (!s)
        goto out;
    db_bind_text(s, 1, slug);
    int step = db_step(s);
    if (step == DB_ROW) {
        *row_id = db_column_int64(s, 0);
        rc = STORE_OK;
    } else if (step == DB_DONE) {
        rc = STORE_NOT_FOUND;
    } else {
        store_report(err, errlen, "looking up '%s': %s", slug, db_errmsg(c));
    }
out:
    db_reset(s);
    return rc;
}
