/*
 * store_sqlite.c: the embedded SQLite backend of store.h.
 *
 * Connections: SQLite connections must not be shared between threads without its own mutex, so
 * each thread that touches the store gets its own, opened on first use and found again through a
 * pthread key. The store also keeps every connection in a list (under a mutex) so store_close
 * can close them all; a thread that ends without store_thread_done has its connection closed by
 * the key's destructor (libmicrohttpd's pool threads have no exit hook of our own).
 *
 * Statements: every statement is a compile-time literal in the `statements` table, prepared on a
 * connection the first time it is used there and kept (SQLITE_PREPARE_PERSISTENT); values are
 * always bound, never formatted into SQL. Every statement is reset at the end of the function
 * that stepped it, which also ends its implicit read transaction: a statement left unreset would
 * pin an old WAL snapshot, and the server would stop seeing other processes' writes.
 *
 * Settings per connection: WAL (readers never block the writer), synchronous=NORMAL (durable
 * across application crashes; a power loss may lose the last transactions, never corrupt),
 * foreign_keys=ON, and a busy timeout so concurrent writers queue instead of failing.
 *
 * Schema: PRAGMA user_version is the number of the last migration applied (migrations.h); each
 * missing migration runs in its own BEGIN IMMEDIATE transaction, which rechecks the version so
 * two processes opening a fresh database together do not both apply it. A database whose version
 * is newer than the binary's is refused rather than misread.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "migrations.h"
#include "store.h"
#include "util.h"

#define BUSY_TIMEOUT_MS 5000
#define DEFAULT_LIST_LIMIT 20
#define MAX_LIST_LIMIT 1000 /* a list request larger than this is a bug; cap the allocation */

/* The columns of a joined article row, in the order read_article expects. BODY is either the two
 * body columns or two empty strings (lists do not need the bodies: they are most of a row). */
// clang-format off
#define ARTICLE_SELECT(BODY)                                                                       \
    "SELECT a.id, a.slug, a.headline, a.dek, a.byline, " BODY ", a.published_at, a.updated_at, "   \
    "a.access, " PUBLICATION_COLUMNS("p") ", " SECTION_COLUMNS("s") " FROM articles a "            \
    "JOIN publications p ON p.id = a.publication_id JOIN sections s ON s.id = a.section_id "
#define PUBLICATION_COLUMNS(T)                                                                     \
    T ".id, " T ".slug, " T ".name, " T ".description, " T ".producer, " T ".partner, " T          \
      ".partner_short, " T ".partner_url, " T ".partner_description, " T ".is_host"
#define PUBLICATION_NCOLUMNS 10
#define SECTION_COLUMNS(T) T ".id, " T ".slug, " T ".name, " T ".position"
#define SECTION_NCOLUMNS 4
#define ARTICLE_NCOLUMNS 10 /* before the joined publication and section */
#define LATEST_ORDER " ORDER BY a.published_at DESC, a.id DESC LIMIT ?3 OFFSET ?4"
// clang-format on

enum statement {
    STMT_BEGIN_IMMEDIATE,
    STMT_COMMIT,
    STMT_ROLLBACK,
    STMT_CONTENT_VERSION,
    STMT_ANY_PUBLICATION,
    STMT_PUBLICATION_UPSERT,
    STMT_SECTION_UPSERT,
    STMT_PUBLICATION_ID,
    STMT_SECTION_ID,
    STMT_ARTICLE_UPSERT,
    STMT_PUBLICATION_BY_SLUG,
    STMT_SECTION_BY_SLUG,
    STMT_PUBLICATIONS,
    STMT_SECTIONS,
    STMT_ARTICLE_BY_SLUG,
    STMT_LATEST,
    STMT_LATEST_PUBLICATION,
    STMT_LATEST_SECTION,
    STMT_LATEST_PUBLICATION_SECTION,
    STMT_COUNT
};

/* Indexed by enum statement. The latest-article statements all take ?1 publication id, ?2
 * section id, ?3 limit, ?4 offset (each uses what it needs), one per filter so that each can use
 * its own index. */
static const char *const statements[STMT_COUNT] = {
    [STMT_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
    [STMT_COMMIT] = "COMMIT",
    [STMT_ROLLBACK] = "ROLLBACK",
    [STMT_CONTENT_VERSION] = "SELECT value FROM meta WHERE key = 'content_version'",
    [STMT_ANY_PUBLICATION] = "SELECT EXISTS (SELECT 1 FROM publications)",
    [STMT_PUBLICATION_UPSERT] =
        "INSERT INTO publications (slug, name, description, producer, partner, partner_short, "
        "partner_url, partner_description, is_host) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
        "ON CONFLICT (slug) DO UPDATE SET name = excluded.name, "
        "description = excluded.description, producer = excluded.producer, "
        "partner = excluded.partner, partner_short = excluded.partner_short, "
        "partner_url = excluded.partner_url, partner_description = excluded.partner_description, "
        "is_host = excluded.is_host",
    [STMT_SECTION_UPSERT] = "INSERT INTO sections (slug, name, position) VALUES (?1, ?2, ?3) "
                            "ON CONFLICT (slug) DO UPDATE SET name = excluded.name, "
                            "position = excluded.position",
    [STMT_PUBLICATION_ID] = "SELECT id FROM publications WHERE slug = ?1",
    [STMT_SECTION_ID] = "SELECT id FROM sections WHERE slug = ?1",
    [STMT_ARTICLE_UPSERT] =
        "INSERT INTO articles (slug, publication_id, section_id, headline, dek, byline, "
        "body_markdown, body_html, published_at, updated_at, access) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
        "ON CONFLICT (slug) DO UPDATE SET publication_id = excluded.publication_id, "
        "section_id = excluded.section_id, headline = excluded.headline, dek = excluded.dek, "
        "byline = excluded.byline, body_markdown = excluded.body_markdown, "
        "body_html = excluded.body_html, published_at = excluded.published_at, "
        "updated_at = excluded.updated_at, access = excluded.access",
    [STMT_PUBLICATION_BY_SLUG] =
        "SELECT " PUBLICATION_COLUMNS("p") " FROM publications p WHERE p.slug = ?1",
    [STMT_SECTION_BY_SLUG] = "SELECT " SECTION_COLUMNS("s") " FROM sections s WHERE s.slug = ?1",
    [STMT_PUBLICATIONS] =
        "SELECT " PUBLICATION_COLUMNS("p") " FROM publications p ORDER BY p.is_host DESC, p.name, "
                                           "p.id",
    [STMT_SECTIONS] = "SELECT " SECTION_COLUMNS("s") " FROM sections s ORDER BY s.position, s.id",
    [STMT_ARTICLE_BY_SLUG] = ARTICLE_SELECT("a.body_html, a.body_markdown") "WHERE a.slug = ?1",
    [STMT_LATEST] = ARTICLE_SELECT("'', ''") LATEST_ORDER,
    [STMT_LATEST_PUBLICATION] = ARTICLE_SELECT("'', ''") "WHERE a.publication_id = ?1" LATEST_ORDER,
    [STMT_LATEST_SECTION] = ARTICLE_SELECT("'', ''") "WHERE a.section_id = ?2" LATEST_ORDER,
    [STMT_LATEST_PUBLICATION_SECTION] =
        ARTICLE_SELECT("'', ''") "WHERE a.publication_id = ?1 AND a.section_id = ?2" LATEST_ORDER,
};

/* One thread's connection and its prepared statements. */
struct conn {
    sqlite3 *db;
    sqlite3_stmt *stmts[STMT_COUNT]; /* NULL until first used */
    struct store *store;
    struct conn *next; /* in store->conns */
};

struct store {
    char *path;
    pthread_key_t key;    /* the calling thread's struct conn */
    pthread_mutex_t lock; /* guards conns */
    struct conn *conns;
};

/* Formats a message, logs it to stderr and copies it into err (when err is not NULL). */
__attribute__((format(printf, 3, 4))) static void report(char *err, size_t errlen, const char *fmt,
                                                         ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "broadsheet: store: %s\n", msg);
    if (err && errlen)
        snprintf(err, errlen, "%s", msg);
}

/* Finalizes c's statements and closes its database. Does not unlink c from its store. */
static void conn_free(struct conn *c)
{
    for (size_t i = 0; i < STMT_COUNT; i++)
        sqlite3_finalize(c->stmts[i]);
    sqlite3_close(c->db);
    free(c);
}

/* Removes c from its store's list (under the lock). */
static void conn_unlink(struct conn *c)
{
    struct store *st = c->store;
    pthread_mutex_lock(&st->lock);
    for (struct conn **p = &st->conns; *p; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            break;
        }
    }
    pthread_mutex_unlock(&st->lock);
}

/* The key's destructor: a thread ended without store_thread_done; close its connection. */
static void conn_destructor(void *value)
{
    struct conn *c = value;
    conn_unlink(c);
    conn_free(c);
}

/* Runs one literal SQL text with no parameters or results (PRAGMAs, migrations). Returns 0, or
 * -1 with the reason in err. */
static int exec_sql(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        report(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* Opens a new connection to st's database with Broadsheet's settings. Returns NULL and writes
 * why into err on failure. The caller links it into st->conns. */
static struct conn *conn_open(struct store *st, char *err, size_t errlen)
{
    struct conn *c = xcalloc(1, sizeof *c);
    c->store = st;
    /* NOMUTEX: a connection belongs to one thread, so SQLite's own locking would be waste. */
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(st->path, &c->db, flags, NULL) != SQLITE_OK) {
        report(err, errlen, "%s", c->db ? sqlite3_errmsg(c->db) : "out of memory");
        goto fail;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS);
    if (exec_sql(c->db,
                 "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
                 "PRAGMA foreign_keys = ON;",
                 err, errlen) != 0)
        goto fail;
    return c;
fail:
    conn_free(c);
    return NULL;
}

/* The calling thread's connection, opened on first use. Returns NULL (logged, and written into
 * err when given) if it cannot be opened. */
static struct conn *conn_get(struct store *st, char *err, size_t errlen)
{
    struct conn *c = pthread_getspecific(st->key);
    if (c)
        return c;
    c = conn_open(st, err, errlen);
    if (!c)
        return NULL;
    if (pthread_setspecific(st->key, c) != 0) {
        report(err, errlen, "cannot set the thread's connection");
        conn_free(c);
        return NULL;
    }
    pthread_mutex_lock(&st->lock);
    c->next = st->conns;
    st->conns = c;
    pthread_mutex_unlock(&st->lock);
    return c;
}

/* Statement id on c, prepared on first use and cached. The caller resets it when done (see
 * stmt_done). Returns NULL (reported) if it cannot be prepared, which is a bug in this file. */
static sqlite3_stmt *stmt_get(struct conn *c, enum statement id, char *err, size_t errlen)
{
    if (!c->stmts[id] && sqlite3_prepare_v3(c->db, statements[id], -1, SQLITE_PREPARE_PERSISTENT,
                                            &c->stmts[id], NULL) != SQLITE_OK) {
        report(err, errlen, "preparing statement %d: %s", (int)id, sqlite3_errmsg(c->db));
        c->stmts[id] = NULL;
        return NULL;
    }
    return c->stmts[id];
}

/* Resets s and clears its bindings so it can be reused and holds no read snapshot. NULL is
 * fine. */
static void stmt_done(sqlite3_stmt *s)
{
    if (s) {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
    }
}

/* Runs a statement that returns no rows (BEGIN, COMMIT, ROLLBACK). Returns 0 or -1 (reported). */
static int run(struct conn *c, enum statement id, char *err, size_t errlen)
{
    sqlite3_stmt *s = stmt_get(c, id, err, errlen);
    int rc = -1;
    if (!s)
        goto out;
    if (sqlite3_step(s) != SQLITE_DONE) {
        report(err, errlen, "%s: %s", statements[id], sqlite3_errmsg(c->db));
        goto out;
    }
    rc = 0;
out:
    stmt_done(s);
    return rc;
}

/* Undoes the open transaction on c, if there is one (SQLite may have rolled back already). */
static void rollback(struct conn *c)
{
    if (!sqlite3_get_autocommit(c->db))
        run(c, STMT_ROLLBACK, NULL, 0);
}

/* Binds s (never NULL: NULL binds as ""), so optional strings store as '' as store.h promises. */
static int bind_text(sqlite3_stmt *stmt, int index, const char *s)
{
    return sqlite3_bind_text(stmt, index, s ? s : "", -1, SQLITE_TRANSIENT);
}

/* Column col of the current row as a string in a ("" for NULL). */
static const char *column_text(sqlite3_stmt *s, int col, struct arena *a)
{
    const unsigned char *text = sqlite3_column_text(s, col);
    if (!text)
        return "";
    return arena_strndup(a, (const char *)text, (size_t)sqlite3_column_bytes(s, col));
}

/* Reads a publication from the current row of s, starting at column col
 * (PUBLICATION_COLUMNS order). */
static void read_publication(sqlite3_stmt *s, int col, struct arena *a, struct publication *p)
{
    p->id = sqlite3_column_int64(s, col);
    p->slug = column_text(s, col + 1, a);
    p->name = column_text(s, col + 2, a);
    p->description = column_text(s, col + 3, a);
    p->producer = column_text(s, col + 4, a);
    p->partner = column_text(s, col + 5, a);
    p->partner_short = column_text(s, col + 6, a);
    p->partner_url = column_text(s, col + 7, a);
    p->partner_description = column_text(s, col + 8, a);
    p->is_host = sqlite3_column_int(s, col + 9) != 0;
}

/* Reads a section from the current row of s, starting at column col (SECTION_COLUMNS order). */
static void read_section(sqlite3_stmt *s, int col, struct arena *a, struct section *sec)
{
    sec->id = sqlite3_column_int64(s, col);
    sec->slug = column_text(s, col + 1, a);
    sec->name = column_text(s, col + 2, a);
    sec->position = sqlite3_column_int(s, col + 3);
}

/* Reads a joined article row (ARTICLE_SELECT order) from s. */
static void read_article(sqlite3_stmt *s, struct arena *a, struct article *art)
{
    art->id = sqlite3_column_int64(s, 0);
    art->slug = column_text(s, 1, a);
    art->headline = column_text(s, 2, a);
    art->dek = column_text(s, 3, a);
    art->byline = column_text(s, 4, a);
    art->body_html = column_text(s, 5, a);
    art->body_markdown = column_text(s, 6, a);
    art->published_at = sqlite3_column_int64(s, 7);
    art->updated_at = sqlite3_column_int64(s, 8);
    int level = store_access_parse((const char *)sqlite3_column_text(s, 9));
    art->access = level < 0 ? ACCESS_SUBSCRIBERS : (enum access_level)level; /* CHECK forbids */
    read_publication(s, ARTICLE_NCOLUMNS, a, &art->publication);
    read_section(s, ARTICLE_NCOLUMNS + PUBLICATION_NCOLUMNS, a, &art->section);
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

/* PRAGMA user_version of db into *version. Returns 0 or -1 (reported). */
static int schema_version(sqlite3 *db, int *version, char *err, size_t errlen)
{
    sqlite3_stmt *s = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_ROW) {
        report(err, errlen, "reading the schema version: %s", sqlite3_errmsg(db));
        goto out;
    }
    *version = sqlite3_column_int(s, 0);
    rc = 0;
out:
    sqlite3_finalize(s);
    return rc;
}

/* Applies migration m (version m->version) in its own transaction, unless another process did
 * meanwhile. Returns 0 or -1 (reported; the transaction is rolled back). */
static int apply_migration(sqlite3 *db, const struct migration *m, char *err, size_t errlen)
{
    int version, rc = -1;
    if (exec_sql(db, "BEGIN IMMEDIATE", err, errlen) != 0)
        return -1;
    if (schema_version(db, &version, err, errlen) != 0)
        goto out;
    if (version >= m->version) { /* another process got there first */
        rc = 0;
        goto out;
    }
    char msg[900];
    if (exec_sql(db, m->sql, msg, sizeof msg) != 0) {
        report(err, errlen, "migration %s: %s", m->name, msg);
        goto out;
    }
    /* PRAGMA takes no bound parameters; the number is the compiled-in migration's own version,
     * never outside data, so formatting it is safe. */
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", m->version);
    if (exec_sql(db, pragma, err, errlen) != 0 || exec_sql(db, "COMMIT", err, errlen) != 0)
        goto out;
    rc = 0;
out:
    if (!sqlite3_get_autocommit(db))
        exec_sql(db, "ROLLBACK", NULL, 0);
    return rc;
}

/* Brings db's schema up to the binary's latest migration. Returns 0 or -1 (reported). */
static int migrate(sqlite3 *db, char *err, size_t errlen)
{
    int version;
    if (schema_version(db, &version, err, errlen) != 0)
        return -1;
    if (version < 0 || (size_t)version > migrations_sqlite_count) {
        report(err, errlen,
               "schema version %d is newer than this program's (%zu); use a newer Broadsheet",
               version, migrations_sqlite_count);
        return -1;
    }
    for (size_t i = (size_t)version; i < migrations_sqlite_count; i++)
        if (apply_migration(db, &migrations_sqlite[i], err, errlen) != 0)
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
    st->path = xstrdup(path);
    pthread_mutex_init(&st->lock, NULL);
    if (pthread_key_create(&st->key, conn_destructor) != 0) {
        report(err, errlen, "cannot create a thread key");
        pthread_mutex_destroy(&st->lock);
        free(st->path);
        free(st);
        return NULL;
    }
    struct conn *c = conn_get(st, err, errlen);
    if (!c || migrate(c->db, err, errlen) != 0) {
        store_close(st);
        return NULL;
    }
    return st;
}

void store_close(struct store *st)
{
    if (!st)
        return;
    pthread_setspecific(st->key, NULL);
    /* After this no destructor runs for the key, so the list below is ours alone. */
    pthread_key_delete(st->key);
    struct conn *c = st->conns;
    while (c) {
        struct conn *next = c->next;
        conn_free(c);
        c = next;
    }
    pthread_mutex_destroy(&st->lock);
    free(st->path);
    free(st);
}

void store_thread_done(struct store *st)
{
    struct conn *c = pthread_getspecific(st->key);
    if (!c)
        return;
    pthread_setspecific(st->key, NULL);
    conn_unlink(c);
    conn_free(c);
}

int store_content_version(struct store *st, int64_t *version)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_CONTENT_VERSION, NULL, 0)))
        goto out;
    if (sqlite3_step(s) != SQLITE_ROW) {
        report(NULL, 0, "reading the content version: %s", sqlite3_errmsg(c->db));
        goto out;
    }
    *version = sqlite3_column_int64(s, 0);
    rc = STORE_OK;
out:
    stmt_done(s);
    return rc;
}

/* Returns 1 (no publication), 0, or STORE_ERROR (-1) when the database cannot be read. */
int store_is_empty(struct store *st)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_ANY_PUBLICATION, NULL, 0)))
        goto out;
    if (sqlite3_step(s) != SQLITE_ROW) {
        report(NULL, 0, "checking for publications: %s", sqlite3_errmsg(c->db));
        goto out;
    }
    rc = sqlite3_column_int(s, 0) ? 0 : 1;
out:
    stmt_done(s);
    return rc;
}

/* 1 if s is a usable required string (not NULL, not empty). */
static int present(const char *s)
{
    return s && *s;
}

int store_publication_save(struct store *st, const struct publication *p, char *err, size_t errlen)
{
    struct conn *c = conn_get(st, err, errlen);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c)
        goto out;
    if (!present(p->slug) || !present(p->name)) {
        report(err, errlen, "publication '%s': slug and name are required", p->slug ? p->slug : "");
        goto out;
    }
    if (!(s = stmt_get(c, STMT_PUBLICATION_UPSERT, err, errlen)))
        goto out;
    bind_text(s, 1, p->slug);
    bind_text(s, 2, p->name);
    bind_text(s, 3, p->description);
    bind_text(s, 4, p->producer);
    bind_text(s, 5, p->partner);
    bind_text(s, 6, p->partner_short);
    bind_text(s, 7, p->partner_url);
    bind_text(s, 8, p->partner_description);
    sqlite3_bind_int(s, 9, p->is_host ? 1 : 0);
    if (sqlite3_step(s) != SQLITE_DONE) {
        report(err, errlen, "publication '%s': %s", p->slug, sqlite3_errmsg(c->db));
        goto out;
    }
    rc = STORE_OK;
out:
    stmt_done(s);
    return rc;
}

int store_section_save(struct store *st, const struct section *sec, char *err, size_t errlen)
{
    struct conn *c = conn_get(st, err, errlen);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c)
        goto out;
    if (!present(sec->slug) || !present(sec->name)) {
        report(err, errlen, "section '%s': slug and name are required", sec->slug ? sec->slug : "");
        goto out;
    }
    if (!(s = stmt_get(c, STMT_SECTION_UPSERT, err, errlen)))
        goto out;
    bind_text(s, 1, sec->slug);
    bind_text(s, 2, sec->name);
    sqlite3_bind_int(s, 3, sec->position);
    if (sqlite3_step(s) != SQLITE_DONE) {
        report(err, errlen, "section '%s': %s", sec->slug, sqlite3_errmsg(c->db));
        goto out;
    }
    rc = STORE_OK;
out:
    stmt_done(s);
    return rc;
}

/* The id of the row named slug, by statement id (STMT_PUBLICATION_ID or STMT_SECTION_ID), into
 * *row_id. Returns STORE_OK, STORE_NOT_FOUND or STORE_ERROR (reported). */
static int id_by_slug(struct conn *c, enum statement id, const char *slug, int64_t *row_id,
                      char *err, size_t errlen)
{
    sqlite3_stmt *s = stmt_get(c, id, err, errlen);
    int rc = STORE_ERROR;
    if (!s)
        goto out;
    bind_text(s, 1, slug);
    int step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        *row_id = sqlite3_column_int64(s, 0);
        rc = STORE_OK;
    } else if (step == SQLITE_DONE) {
        rc = STORE_NOT_FOUND;
    } else {
        report(err, errlen, "looking up '%s': %s", slug, sqlite3_errmsg(c->db));
    }
out:
    stmt_done(s);
    return rc;
}

/* Saves article in (index i of the batch) inside the caller's transaction, stamped updated_at
 * now. Returns 0, or -1 with "article I: reason" reported. */
static int article_upsert(struct conn *c, const struct article_input *in, size_t i, int64_t now,
                          char *err, size_t errlen)
{
    sqlite3_stmt *s = NULL;
    int64_t publication_id, section_id;
    int rc = -1, found;
    char why[512];

    if (!present(in->slug) || !present(in->headline) || !in->body_markdown || !in->body_html) {
        report(err, errlen, "article %zu: slug, headline and body are required", i);
        goto out;
    }
    if ((unsigned)in->access > ACCESS_SUBSCRIBERS) {
        report(err, errlen, "article %zu: invalid access level %d", i, (int)in->access);
        goto out;
    }
    found = id_by_slug(c, STMT_PUBLICATION_ID, in->publication_slug ? in->publication_slug : "",
                       &publication_id, why, sizeof why);
    if (found != STORE_OK) {
        if (found == STORE_NOT_FOUND)
            report(err, errlen, "article %zu: unknown publication '%s'", i,
                   in->publication_slug ? in->publication_slug : "");
        else
            report(err, errlen, "article %zu: %s", i, why);
        goto out;
    }
    found = id_by_slug(c, STMT_SECTION_ID, in->section_slug ? in->section_slug : "", &section_id,
                       why, sizeof why);
    if (found != STORE_OK) {
        if (found == STORE_NOT_FOUND)
            report(err, errlen, "article %zu: unknown section '%s'", i,
                   in->section_slug ? in->section_slug : "");
        else
            report(err, errlen, "article %zu: %s", i, why);
        goto out;
    }
    if (!(s = stmt_get(c, STMT_ARTICLE_UPSERT, err, errlen)))
        goto out;
    bind_text(s, 1, in->slug);
    sqlite3_bind_int64(s, 2, publication_id);
    sqlite3_bind_int64(s, 3, section_id);
    bind_text(s, 4, in->headline);
    bind_text(s, 5, in->dek);
    bind_text(s, 6, in->byline);
    bind_text(s, 7, in->body_markdown);
    bind_text(s, 8, in->body_html);
    sqlite3_bind_int64(s, 9, in->published_at);
    sqlite3_bind_int64(s, 10, now);
    bind_text(s, 11, store_access_name(in->access));
    if (sqlite3_step(s) != SQLITE_DONE) {
        report(err, errlen, "article %zu: %s", i, sqlite3_errmsg(c->db));
        goto out;
    }
    rc = 0;
out:
    stmt_done(s);
    return rc;
}

int store_articles_save(struct store *st, const struct article_input *in, size_t n, char *err,
                        size_t errlen)
{
    struct conn *c = conn_get(st, err, errlen);
    int rc = STORE_ERROR;
    if (!c)
        return STORE_ERROR;
    /* IMMEDIATE takes the write lock now (waiting up to the busy timeout), so the transaction
     * cannot fail half-way because another writer came first. */
    if (run(c, STMT_BEGIN_IMMEDIATE, err, errlen) != 0)
        goto out;
    int64_t now = util_now();
    for (size_t i = 0; i < n; i++)
        if (article_upsert(c, &in[i], i, now, err, errlen) != 0)
            goto out;
    if (run(c, STMT_COMMIT, err, errlen) != 0)
        goto out;
    rc = STORE_OK;
out:
    if (rc != STORE_OK)
        rollback(c);
    return rc;
}

int store_publication_by_slug(struct store *st, struct arena *a, const char *slug,
                              struct publication *out)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_PUBLICATION_BY_SLUG, NULL, 0)))
        goto out;
    bind_text(s, 1, slug);
    int step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        read_publication(s, 0, a, out);
        rc = STORE_OK;
    } else if (step == SQLITE_DONE) {
        rc = STORE_NOT_FOUND;
    } else {
        report(NULL, 0, "publication '%s': %s", slug, sqlite3_errmsg(c->db));
    }
out:
    stmt_done(s);
    return rc;
}

int store_section_by_slug(struct store *st, struct arena *a, const char *slug, struct section *out)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_SECTION_BY_SLUG, NULL, 0)))
        goto out;
    bind_text(s, 1, slug);
    int step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        read_section(s, 0, a, out);
        rc = STORE_OK;
    } else if (step == SQLITE_DONE) {
        rc = STORE_NOT_FOUND;
    } else {
        report(NULL, 0, "section '%s': %s", slug, sqlite3_errmsg(c->db));
    }
out:
    stmt_done(s);
    return rc;
}

int store_publications(struct store *st, struct arena *a, struct publication **out, size_t *n)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    struct publication *items = NULL;
    size_t count = 0, cap = 0;
    int rc = STORE_ERROR, step;
    if (!c || !(s = stmt_get(c, STMT_PUBLICATIONS, NULL, 0)))
        goto out;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        grow(a, (void **)&items, count, &cap, sizeof *items);
        read_publication(s, 0, a, &items[count++]);
    }
    if (step != SQLITE_DONE) {
        report(NULL, 0, "listing publications: %s", sqlite3_errmsg(c->db));
        goto out;
    }
    *out = items;
    *n = count;
    rc = STORE_OK;
out:
    stmt_done(s);
    return rc;
}

int store_sections(struct store *st, struct arena *a, struct section **out, size_t *n)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    struct section *items = NULL;
    size_t count = 0, cap = 0;
    int rc = STORE_ERROR, step;
    if (!c || !(s = stmt_get(c, STMT_SECTIONS, NULL, 0)))
        goto out;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        grow(a, (void **)&items, count, &cap, sizeof *items);
        read_section(s, 0, a, &items[count++]);
    }
    if (step != SQLITE_DONE) {
        report(NULL, 0, "listing sections: %s", sqlite3_errmsg(c->db));
        goto out;
    }
    *out = items;
    *n = count;
    rc = STORE_OK;
out:
    stmt_done(s);
    return rc;
}

int store_article_by_slug(struct store *st, struct arena *a, const char *slug, struct article *out)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = stmt_get(c, STMT_ARTICLE_BY_SLUG, NULL, 0)))
        goto out;
    bind_text(s, 1, slug);
    int step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        read_article(s, a, out);
        rc = STORE_OK;
    } else if (step == SQLITE_DONE) {
        rc = STORE_NOT_FOUND;
    } else {
        report(NULL, 0, "article '%s': %s", slug, sqlite3_errmsg(c->db));
    }
out:
    stmt_done(s);
    return rc;
}

/* A limit of 0 or less means the default; more than MAX_LIST_LIMIT is capped. */
int store_articles_latest(struct store *st, struct arena *a, const struct article_query *q,
                          struct article **out, size_t *n)
{
    struct conn *c = conn_get(st, NULL, 0);
    sqlite3_stmt *s = NULL;
    int rc = STORE_ERROR, step;
    int limit = q->limit <= 0 ? DEFAULT_LIST_LIMIT : q->limit;
    if (limit > MAX_LIST_LIMIT)
        limit = MAX_LIST_LIMIT;
    enum statement id = q->publication_id && q->section_id ? STMT_LATEST_PUBLICATION_SECTION
                        : q->publication_id                ? STMT_LATEST_PUBLICATION
                        : q->section_id                    ? STMT_LATEST_SECTION
                                                           : STMT_LATEST;
    struct article *items = NULL;
    size_t count = 0, cap = 0;
    if (!c || !(s = stmt_get(c, id, NULL, 0)))
        goto out;
    sqlite3_bind_int64(s, 1, q->publication_id);
    sqlite3_bind_int64(s, 2, q->section_id);
    sqlite3_bind_int(s, 3, limit);
    sqlite3_bind_int(s, 4, q->offset > 0 ? q->offset : 0);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        grow(a, (void **)&items, count, &cap, sizeof *items);
        read_article(s, a, &items[count++]);
    }
    if (step != SQLITE_DONE) {
        report(NULL, 0, "listing articles: %s", sqlite3_errmsg(c->db));
        goto out;
    }
    *out = items;
    *n = count;
    rc = STORE_OK;
out:
    stmt_done(s);
    return rc;
}
