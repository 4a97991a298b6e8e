/*
 * cmd_db.c: `broadsheet db copy --from SOURCE --to TARGET`, which moves a site between
 * databases: SQLite to PostgreSQL, back, or SQLite to a new SQLite file. Every row of every
 * table is copied as it is (ids, password hashes, session ids, the secrets that sign cookies),
 * so readers stay signed in and meter cookies stay valid on the new database.
 *
 * The copy follows the schema, not a list kept here: the target is brought to the binary's
 * schema (store_open migrates it) and the source must already be at it; the tables and their
 * columns are read from the target's catalog (sqlite_master and pragma_table_info, or
 * pg_catalog), and must be the same in the source's. Parents are copied before the tables whose
 * foreign keys name them. Bookkeeping is left out: the schema's version (PRAGMA user_version,
 * or PostgreSQL's schema_version table, which the driver keeps) is the migrations', and the rows
 * a fresh migration inserts (meta's counters) are what an empty database holds: a target is
 * empty when no table holds more rows than a freshly migrated database does (counted in one
 * made in memory), and those rows are replaced by the source's. Triggers on the target do not
 * fire (PostgreSQL: ALTER TABLE … DISABLE TRIGGER USER in the transaction, which the tables'
 * owner may do; SQLite: dropped and made again from sqlite_master's text, on the new file), so
 * the change log and the counters end as the source has them, not as the copy's inserts would
 * have moved them. PostgreSQL's identity sequences are then set past the largest id copied.
 *
 * Atomic: the source is read in one snapshot (db_open_read_only); a PostgreSQL target is
 * written in one transaction, which any failure (a refused row, a count that differs) rolls
 * back; a SQLite target is written to a new file beside it, renamed into place only when it is
 * complete (never over an existing non-empty file). Rows are streamed (db_prepare_text): a
 * million articles are never all in memory. Values are bound, never formatted; the SQL text
 * holds only the catalog's names, quoted as identifiers. A URL's password is never printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cmd.h"
#include "db.h"
#include "migrations.h"
#include "store.h"
#include "util.h"

/* One table to copy, as the target's catalog describes it. */
struct table {
    char *name;
    char **columns; /* in the catalog's order */
    size_t ncolumns;
    int identity;     /* PostgreSQL: has an identity column (INSERT … OVERRIDING SYSTEM VALUE) */
    char **sequenced; /* PostgreSQL: columns with a sequence (identity or serial) */
    size_t nsequenced;
    char **parents; /* the tables its foreign keys refer to (not itself) */
    size_t nparents;
    int64_t fresh; /* rows a freshly migrated database holds in it */
    int64_t rows;  /* rows copied */
    int done;      /* ordered (order_tables) */
};

struct tables {
    struct table *items;
    size_t n;
};

/* Frees a string list of n. */
static void free_list(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

static void tables_free(struct tables *t)
{
    for (size_t i = 0; i < t->n; i++) {
        struct table *x = &t->items[i];
        free(x->name);
        free_list(x->columns, x->ncolumns);
        free_list(x->sequenced, x->nsequenced);
        free_list(x->parents, x->nparents);
    }
    free(t->items);
    t->items = NULL;
    t->n = 0;
}

/* Appends s to the list *list of *n. */
static void list_add(char ***list, size_t *n, const char *s)
{
    *list = xrealloc(*list, (*n + 1) * sizeof **list);
    (*list)[(*n)++] = xstrdup(s);
}

static struct table *table_named(struct tables *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->items[i].name, name))
            return &t->items[i];
    return NULL;
}

/* Appends name to b as a quoted identifier ("a""b"): the same in both backends. */
static void quote(struct buf *b, const char *name)
{
    buf_putc(b, '"');
    for (const char *p = name; *p; p++) {
        if (*p == '"')
            buf_putc(b, '"');
        buf_putc(b, *p);
    }
    buf_putc(b, '"');
}

/* --- The catalog -------------------------------------------------------------------------------
 */

/* The catalog's queries, per backend. PostgreSQL's schema_version table is the driver's
 * bookkeeping (db_pgsql.c), as SQLite's PRAGMA user_version is, so it is not copied: each side
 * keeps its own, which the migrations set. Generated columns are left out (neither lists them
 * for insertion). */
/* The search index (migration 014: search_* tables, an FTS5 table and its shadow tables on
 * SQLite, search_docs on PostgreSQL) is not copied either: it differs between the backends and
 * is derived from the articles, so copy_all rebuilds it on the target, in the copy's
 * transaction, at the target's configured preview_paragraphs. */
static const char sqlite_tables[] =
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!'"
    " AND name NOT LIKE 'search!_%' ESCAPE '!' ORDER BY name";
static const char sqlite_columns[] = "SELECT name, 0, 0 FROM pragma_table_info(?1) ORDER BY cid";
static const char sqlite_parents[] = "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?1)";
static const char pgsql_tables[] =
    "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace"
    " AND relkind IN ('r', 'p') AND NOT relispartition AND relname <> 'schema_version'"
    " AND relname NOT LIKE 'search!_%' ESCAPE '!' ORDER BY relname";
#define PG_TABLE "(quote_ident(current_schema()) || '.' || quote_ident(?1))"
static const char pgsql_columns[] =
    "SELECT attname, attidentity <> '', pg_get_serial_sequence(" PG_TABLE ", attname) IS NOT NULL"
    " FROM pg_attribute WHERE attrelid = " PG_TABLE "::regclass AND attnum > 0"
    " AND NOT attisdropped AND attgenerated = '' ORDER BY attnum";
static const char pgsql_parents[] =
    "SELECT DISTINCT r.relname FROM pg_constraint k JOIN pg_class r ON r.oid = k.confrelid"
    " WHERE k.contype = 'f' AND k.conrelid = " PG_TABLE "::regclass";

/* Runs the one-parameter catalog query sql (param bound as ?1 when not NULL) on c, calling
 * row(ctx, stmt) for each row. Returns 0, or -1 with the reason in err. */
static int each_row(struct db_conn *c, const char *sql, const char *param,
                    void (*row)(void *ctx, struct db_stmt *s), void *ctx, char *err, size_t errlen)
{
    struct db_stmt *s = db_prepare_text(c, sql);
    int step = DB_FAIL;
    if (s && (!param || db_bind_text(s, 1, param) == 0))
        while ((step = db_step(s)) == DB_ROW)
            row(ctx, s);
    if (step != DB_DONE)
        snprintf(err, errlen, "reading the catalog: %s", db_errmsg(c));
    db_finalize(s);
    return step == DB_DONE ? 0 : -1;
}

static void add_table(void *ctx, struct db_stmt *s)
{
    struct tables *t = ctx;
    t->items = xrealloc(t->items, (t->n + 1) * sizeof *t->items);
    t->items[t->n++] = (struct table){.name = xstrdup(db_column_text(s, 0))};
}

static void add_column(void *ctx, struct db_stmt *s)
{
    struct table *t = ctx;
    list_add(&t->columns, &t->ncolumns, db_column_text(s, 0));
    t->identity |= db_column_int64(s, 1) != 0;
    if (db_column_int64(s, 2))
        list_add(&t->sequenced, &t->nsequenced, db_column_text(s, 0));
}

static void add_parent(void *ctx, struct db_stmt *s)
{
    struct table *t = ctx;
    if (strcmp(db_column_text(s, 0), t->name) != 0) /* a row may refer to its own table */
        list_add(&t->parents, &t->nparents, db_column_text(s, 0));
}

/* Reads c's tables with their columns and foreign keys into t. Returns 0 or -1 (err). */
static int read_catalog(struct db_conn *c, struct tables *t, char *err, size_t errlen)
{
    int pgsql = db_conn_kind(c) == DB_PGSQL;
    if (each_row(c, pgsql ? pgsql_tables : sqlite_tables, NULL, add_table, t, err, errlen) < 0)
        return -1;
    for (size_t i = 0; i < t->n; i++) {
        struct table *x = &t->items[i];
        if (each_row(c, pgsql ? pgsql_columns : sqlite_columns, x->name, add_column, x, err,
                     errlen) < 0 ||
            each_row(c, pgsql ? pgsql_parents : sqlite_parents, x->name, add_parent, x, err,
                     errlen) < 0)
            return -1;
    }
    return 0;
}

/* 0 if source has the same tables as target, each with the same columns (in any order); else
 * -1 with the first difference in err. */
static int same_tables(struct tables *target, struct tables *source, char *err, size_t errlen)
{
    for (size_t i = 0; i < source->n; i++)
        if (!table_named(target, source->items[i].name)) {
            snprintf(err, errlen, "the source has a table %s that the target's schema has not",
                     source->items[i].name);
            return -1;
        }
    for (size_t i = 0; i < target->n; i++) {
        struct table *t = &target->items[i], *s = table_named(source, t->name);
        if (!s) {
            snprintf(err, errlen, "the target has a table %s that the source has not", t->name);
            return -1;
        }
        int same = s->ncolumns == t->ncolumns;
        for (size_t k = 0; same && k < t->ncolumns; k++) {
            same = 0;
            for (size_t m = 0; m < s->ncolumns; m++)
                same |= !strcmp(s->columns[m], t->columns[k]);
        }
        if (!same) {
            snprintf(err, errlen, "table %s has other columns in the source than in the target",
                     t->name);
            return -1;
        }
    }
    return 0;
}

/* Orders t's tables so that each comes after the tables its foreign keys refer to (by name
 * among equals, so the order is stable). Returns 0, or -1 (err) for a cycle, which only
 * deferred checks could copy. */
static int order_tables(struct tables *t, char *err, size_t errlen)
{
    struct table *ordered = xcalloc(t->n ? t->n : 1, sizeof *ordered);
    for (size_t placed = 0; placed < t->n; placed++) {
        struct table *next = NULL;
        for (size_t i = 0; i < t->n && !next; i++) {
            struct table *x = &t->items[i];
            int ready = !x->done;
            for (size_t p = 0; ready && p < x->nparents; p++) {
                struct table *parent = table_named(t, x->parents[p]);
                ready = !parent || parent->done;
            }
            if (ready)
                next = x;
        }
        if (!next) {
            snprintf(err, errlen, "the tables' foreign keys make a cycle: cannot order them");
            free(ordered);
            return -1;
        }
        next->done = 1;
        ordered[placed] = *next;
    }
    free(t->items);
    t->items = ordered;
    return 0;
}

/* The number of rows in table name on c into *count. Returns 0 or -1 (err). */
static int count_rows(struct db_conn *c, const char *name, int64_t *count, char *err, size_t errlen)
{
    struct buf sql = BUF_INIT;
    buf_puts(&sql, "SELECT count(*) FROM ");
    quote(&sql, name);
    struct db_stmt *s = db_prepare_text(c, sql.data);
    int rc = -1;
    if (s && db_step(s) == DB_ROW) {
        *count = db_column_int64(s, 0);
        rc = 0;
    } else {
        snprintf(err, errlen, "counting the rows of %s: %s", name, db_errmsg(c));
    }
    db_finalize(s);
    buf_free(&sql);
    return rc;
}

/* Sets each table's fresh count: its rows in a database the binary's migrations have just made
 * (SQLite's, in memory, so nothing is left behind). PostgreSQL's migrations insert the same rows
 * (scripts/check-pgsql-schema keeps the schemas together); were one to insert more, a new
 * PostgreSQL target would be refused as not empty, never written over. Returns 0 or -1 (err). */
static int count_fresh(struct tables *t, char *err, size_t errlen)
{
    struct store *st = store_open(":memory:", err, errlen);
    struct db_conn *c = st ? db_conn(store_db(st), err, errlen) : NULL;
    struct tables fresh = {0};
    int rc = -1;
    if (!c || each_row(c, sqlite_tables, NULL, add_table, &fresh, err, errlen) < 0)
        goto out;
    for (size_t i = 0; i < t->n; i++)
        if (table_named(&fresh, t->items[i].name) &&
            count_rows(c, t->items[i].name, &t->items[i].fresh, err, errlen) < 0)
            goto out;
    rc = 0;
out:
    tables_free(&fresh);
    store_close(st);
    return rc;
}

/* --- Copying -----------------------------------------------------------------------------------
 */

/* One value read from the source, kept until its group of rows is inserted. */
struct value {
    enum db_type type;
    int64_t integer;
    char *bytes; /* text or blob, owned; NULL for the others */
    size_t len;
};

/* Reads column col of from's current row into v (freeing what v held), as the value's own
 * type. Returns 0 or -1 (err). */
static int read_value(struct db_stmt *from, int col, struct value *v, const struct table *t,
                      char *err, size_t errlen)
{
    const void *data = NULL;
    free(v->bytes);
    *v = (struct value){.type = db_column_type(from, col)};
    switch (v->type) {
    case DB_TYPE_NULL: return 0;
    case DB_TYPE_INTEGER: v->integer = db_column_int64(from, col); return 0;
    case DB_TYPE_BLOB: data = db_column_blob(from, col, &v->len); break;
    case DB_TYPE_TEXT:
        data = db_column_text(from, col);
        v->len = db_column_bytes(from, col);
        if (strlen(data) != v->len) {
            snprintf(err, errlen, "%s.%s holds text with a NUL byte, which cannot be copied",
                     t->name, t->columns[col]);
            return -1;
        }
        break;
    default: /* DB_TYPE_REAL: no column of the schema holds one, and text would change it */
        snprintf(err, errlen, "%s.%s holds a floating-point number, which the schema never does",
                 t->name, t->columns[col]);
        return -1;
    }
    v->bytes = xmalloc(v->len + 1);
    if (v->len)
        memcpy(v->bytes, data, v->len);
    v->bytes[v->len] = '\0';
    return 0;
}

/* Binds v as parameter param of to (on tc). Returns 0 or -1 (err). */
static int bind_kept(struct db_stmt *to, struct db_conn *tc, int param, const struct value *v,
                     const struct table *t, size_t col, char *err, size_t errlen)
{
    int rc;
    switch (v->type) {
    case DB_TYPE_INTEGER: rc = db_bind_int64(to, param, v->integer); break;
    case DB_TYPE_BLOB: rc = db_bind_blob(to, param, v->bytes, v->len); break;
    case DB_TYPE_TEXT: rc = db_bind_text(to, param, v->bytes); break;
    default: rc = db_bind_null(to, param); break;
    }
    if (rc != 0)
        snprintf(err, errlen, "binding %s.%s: %s", t->name, t->columns[col], db_errmsg(tc));
    return rc;
}

/* The INSERT of rows rows of t's columns, one VALUES list each, parameters numbered in row
 * order ((?1, ?2), (?3, ?4) …): a heap string the caller frees. */
static char *insert_text(const struct table *t, size_t rows)
{
    struct buf sql = BUF_INIT;
    buf_puts(&sql, "INSERT INTO ");
    quote(&sql, t->name);
    buf_puts(&sql, " (");
    for (size_t i = 0; i < t->ncolumns; i++) {
        buf_puts(&sql, i ? ", " : "");
        quote(&sql, t->columns[i]);
    }
    buf_puts(&sql, t->identity ? ") OVERRIDING SYSTEM VALUE VALUES " : ") VALUES ");
    for (size_t r = 0; r < rows; r++) {
        buf_puts(&sql, r ? ", (" : "(");
        for (size_t i = 0; i < t->ncolumns; i++)
            buf_printf(&sql, "%s?%zu", i ? ", " : "", r * t->ncolumns + i + 1);
        buf_puts(&sql, ")");
    }
    return buf_detach(&sql, NULL);
}

/* Rows per INSERT: a statement costs PostgreSQL a round trip, so rows go in groups (a tenth of
 * the time of one INSERT a row), within SQLite's oldest limit on a statement's parameters. */
#define GROUP_ROWS 100
#define MAX_PARAMETERS 999

/* Inserts rows rows of kept (rows × t's columns) with to (on tc), an INSERT of that many rows.
 * Returns 0 or -1 (err). */
static int insert_kept(struct db_stmt *to, struct db_conn *tc, const struct table *t,
                       const struct value *kept, size_t rows, char *err, size_t errlen)
{
    for (size_t i = 0; i < rows * t->ncolumns; i++)
        if (bind_kept(to, tc, (int)i + 1, &kept[i], t, i % t->ncolumns, err, errlen) < 0)
            return -1;
    if (db_step(to) != DB_DONE) {
        snprintf(err, errlen, "copying rows of %s: %s", t->name, db_errmsg(tc));
        return -1;
    }
    db_reset(to);
    return 0;
}

/* Copies every row of t from source (sc) to target (tc), streaming: rows are read one at a
 * time and kept until a group is full, which one INSERT writes; the last rows of the table, a
 * shorter group, go in one INSERT each. At most a group of rows is ever held. Returns 0 or -1
 * (err). */
static int copy_table(struct db_conn *sc, struct db_conn *tc, struct table *t, char *err,
                      size_t errlen)
{
    size_t group = t->ncolumns ? MAX_PARAMETERS / t->ncolumns : 1;
    group = group > GROUP_ROWS ? GROUP_ROWS : group < 1 ? 1 : group;
    struct buf select = BUF_INIT;
    buf_puts(&select, "SELECT ");
    for (size_t i = 0; i < t->ncolumns; i++) {
        buf_puts(&select, i ? ", " : "");
        quote(&select, t->columns[i]);
    }
    buf_puts(&select, " FROM ");
    quote(&select, t->name);
    char *group_sql = insert_text(t, group), *one_sql = insert_text(t, 1);
    struct value *kept = xcalloc(group * t->ncolumns + 1, sizeof *kept);
    size_t held = 0; /* rows in kept */

    struct db_stmt *from = db_prepare_text(sc, select.data);
    struct db_stmt *many = from ? db_prepare_text(tc, group_sql) : NULL;
    struct db_stmt *one = many ? db_prepare_text(tc, one_sql) : NULL;
    int step = DB_FAIL, rc = -1;
    if (!one) {
        snprintf(err, errlen, "preparing the copy of %s: %s", t->name, db_errmsg(from ? tc : sc));
        goto out;
    }
    while ((step = db_step(from)) == DB_ROW) {
        for (size_t i = 0; i < t->ncolumns; i++)
            if (read_value(from, (int)i, &kept[held * t->ncolumns + i], t, err, errlen) < 0)
                goto out;
        if (++held == group) {
            if (insert_kept(many, tc, t, kept, held, err, errlen) < 0)
                goto out;
            t->rows += held;
            held = 0;
        }
    }
    if (step != DB_DONE) {
        snprintf(err, errlen, "reading %s: %s", t->name, db_errmsg(sc));
        goto out;
    }
    for (size_t r = 0; r < held; r++) {
        if (insert_kept(one, tc, t, &kept[r * t->ncolumns], 1, err, errlen) < 0)
            goto out;
        t->rows++;
    }
    rc = 0;
out:
    db_finalize(from); /* reads and drops the rest of a stream that failed half-way */
    db_finalize(many);
    db_finalize(one);
    for (size_t i = 0; i < group * t->ncolumns; i++)
        free(kept[i].bytes);
    free(kept);
    free(group_sql);
    free(one_sql);
    buf_free(&select);
    return rc;
}

/* The target's triggers while they are off: SQLite's, by name and text, to make again. */
struct triggers {
    char **names, **texts;
    size_t n;
};

static void add_trigger(void *ctx, struct db_stmt *s)
{
    struct triggers *t = ctx;
    size_t n = t->n;
    list_add(&t->names, &n, db_column_text(s, 0));
    list_add(&t->texts, &t->n, db_column_text(s, 1));
}

static void triggers_free(struct triggers *t)
{
    free_list(t->names, t->n);
    free_list(t->texts, t->n);
}

/* Runs sql on c. Returns 0, or -1 with what and the database's message in err. */
static int run(struct db_conn *c, const char *sql, const char *what, char *err, size_t errlen)
{
    if (db_exec(c, sql) == 0)
        return 0;
    snprintf(err, errlen, "%s: %s", what, db_errmsg(c));
    return -1;
}

/* Turns the target's triggers off (on set to 0) or on again (1), inside its transaction, so
 * that the copy's inserts move no counter and log no change: those tables are copied too.
 * PostgreSQL: ALTER TABLE … DISABLE/ENABLE TRIGGER USER (every trigger but the ones that
 * enforce foreign keys), which the tables' owner may run and which a rollback undoes. SQLite,
 * which cannot disable one: drops each (keeping its text in saved) and makes it again. Returns
 * 0 or -1 (err). */
static int set_triggers(struct db_conn *c, struct tables *t, struct triggers *saved, int on,
                        char *err, size_t errlen)
{
    struct buf sql = BUF_INIT;
    int rc = 0;
    if (db_conn_kind(c) == DB_PGSQL) {
        for (size_t i = 0; i < t->n; i++) {
            buf_puts(&sql, "ALTER TABLE ");
            quote(&sql, t->items[i].name);
            buf_puts(&sql, on ? " ENABLE TRIGGER USER;" : " DISABLE TRIGGER USER;");
        }
        if (t->n)
            rc = run(c, sql.data, on ? "enabling triggers" : "disabling triggers", err, errlen);
    } else if (!on) {
        rc = each_row(c,
                      "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
                      " AND sql IS NOT NULL ORDER BY name",
                      NULL, add_trigger, saved, err, errlen);
        for (size_t i = 0; rc == 0 && i < saved->n; i++) {
            buf_reset(&sql);
            buf_puts(&sql, "DROP TRIGGER ");
            quote(&sql, saved->names[i]);
            rc = run(c, sql.data, "dropping a trigger for the copy", err, errlen);
        }
    } else {
        for (size_t i = 0; rc == 0 && i < saved->n; i++)
            rc = run(c, saved->texts[i], "making a trigger again", err, errlen);
    }
    buf_free(&sql);
    return rc;
}

/* PostgreSQL: sets each sequence of t's columns (identities, serials) past the largest value
 * copied, so that the next row the site adds takes a new id. Returns 0 or -1 (err). */
static int set_sequences(struct db_conn *c, struct table *t, char *err, size_t errlen)
{
    for (size_t i = 0; i < t->nsequenced; i++) {
        struct buf sql = BUF_INIT;
        buf_puts(&sql, "SELECT setval(pg_get_serial_sequence(" PG_TABLE ", ?2), coalesce(max(");
        quote(&sql, t->sequenced[i]);
        buf_puts(&sql, "), 0) + 1, false) FROM ");
        quote(&sql, t->name);
        struct db_stmt *s = db_prepare_text(c, sql.data);
        int ok = s && db_bind_text(s, 1, t->name) == 0 &&
                 db_bind_text(s, 2, t->sequenced[i]) == 0 && db_step(s) == DB_ROW;
        if (!ok)
            snprintf(err, errlen, "setting the sequence of %s.%s: %s", t->name, t->sequenced[i],
                     db_errmsg(c));
        db_finalize(s);
        buf_free(&sql);
        if (!ok)
            return -1;
    }
    return 0;
}

/* --- The command -------------------------------------------------------------------------------
 */

/* One run of db copy: what it has open, for the one place that closes it. */
struct copy {
    const char *from, *to;
    char *from_shown, *to_shown; /* as messages show them: no password */
    char *temp;                  /* a SQLite target: the new file being written beside it */
    struct db *source;
    struct store *target;
    struct db_conn *sc, *tc;
    struct tables tables; /* the target's, in copy order */
    struct triggers triggers;
    int64_t total;          /* rows copied */
    int preview_paragraphs; /* the configuration's: the target's search index splits there */
};

/* 1 if a and b name the same database: the same text, or two paths of one file. */
static int same_database(const char *a, const char *b)
{
    if (!strcmp(a, b))
        return 1;
    struct stat sa, sb;
    return !db_is_pgsql_url(a) && !db_is_pgsql_url(b) && stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
           sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The number of the binary's last migration for a database of kind: the schema version a
 * source must have. */
static int binary_version(enum db_kind kind)
{
    return (int)(kind == DB_PGSQL ? migrations_pgsql_count : migrations_sqlite_count);
}

/* Opens the source read-only, checks its schema version and starts its snapshot. Returns 0 or
 * -1 (err). */
static int open_source(struct copy *k, char *err, size_t errlen)
{
    char why[768];
    int version;
    k->source = db_open_read_only(k->from, NULL, 0, why, sizeof why);
    if (!k->source) {
        snprintf(err, errlen, "cannot open the source %s", why);
        return -1;
    }
    k->sc = db_conn(k->source, why, sizeof why);
    if (!k->sc) {
        snprintf(err, errlen, "cannot open the source %s", why);
        return -1;
    }
    if (db_schema_version(k->sc, &version) != 0) {
        snprintf(err, errlen, "reading the schema version of %s: %s", k->from_shown,
                 db_errmsg(k->sc));
        return -1;
    }
    int want = binary_version(db_conn_kind(k->sc));
    if (version != want) {
        snprintf(err, errlen,
                 version > want ? "%s has schema version %d, newer than this Broadsheet's (%d): "
                                  "copy it with a newer Broadsheet"
                                : "%s has schema version %d, this Broadsheet's is %d: open it "
                                  "with this version first (broadsheet init --db SOURCE "
                                  "migrates it), then copy it",
                 k->from_shown, version, want);
        return -1;
    }
    /* A copy may stream one table for longer than the driver's bound on a statement. */
    if (db_conn_kind(k->sc) == DB_PGSQL &&
        run(k->sc, "SET statement_timeout = 0", "setting up the source", err, errlen) < 0)
        return -1;
    if (db_begin(k->sc) != 0) {
        snprintf(err, errlen, "starting to read %s: %s", k->from_shown, db_errmsg(k->sc));
        return -1;
    }
    return 0;
}

/* The files of an unfinished SQLite target (the new file and SQLite's beside it), made before
 * they exist, so that an interrupted copy (Ctrl-C, a TERM) removes them from its signal
 * handler, where only unlink may be called. */
static const char *const temp_suffixes[] = {"", "-wal", "-shm", "-journal"};
static char *temp_files[ARRAY_LEN(temp_suffixes)];

static void remove_temp_files(void)
{
    for (size_t i = 0; i < ARRAY_LEN(temp_files); i++)
        if (temp_files[i])
            unlink(temp_files[i]);
}

static void on_interrupt(int sig)
{
    remove_temp_files();
    signal(sig, SIG_DFL); /* and dies of it, as it would have */
    raise(sig);
}

/* Notes temp's files for removal, and removes them if the copy is interrupted. */
static void watch_temp(const char *temp)
{
    for (size_t i = 0; i < ARRAY_LEN(temp_files); i++) {
        size_t len = strlen(temp) + strlen(temp_suffixes[i]) + 1;
        temp_files[i] = xmalloc(len);
        snprintf(temp_files[i], len, "%s%s", temp, temp_suffixes[i]);
    }
    signal(SIGINT, on_interrupt);
    signal(SIGTERM, on_interrupt);
    signal(SIGHUP, on_interrupt);
}

/* Removes what is left of an unfinished SQLite target file (remove set), and forgets it. */
static void forget_temp(int remove)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    if (remove)
        remove_temp_files();
    for (size_t i = 0; i < ARRAY_LEN(temp_files); i++) {
        free(temp_files[i]);
        temp_files[i] = NULL;
    }
}

/* Opens the target through the store, which brings its schema to the binary's: a PostgreSQL
 * database as it is (refused unless new or already at this version, so that a refusal changes
 * nothing), a SQLite one as a new file beside the path (refused if the path holds a file that
 * is not empty). Returns 0, or -1 (err). */
static int open_target(struct copy *k, char *err, size_t errlen)
{
    char why[768];
    if (db_is_pgsql_url(k->to)) {
        struct db *peek = db_open_read_only(k->to, NULL, 0, why, sizeof why);
        struct db_conn *c = peek ? db_conn(peek, why, sizeof why) : NULL;
        int version = -1;
        if (c && db_schema_version(c, &version) != 0)
            snprintf(why, sizeof why, "%s: %s", k->to_shown, db_errmsg(c));
        db_close(peek);
        if (version < 0) {
            snprintf(err, errlen, "cannot open the target %s", why);
            return -1;
        }
        if (version != 0 && version != binary_version(DB_PGSQL)) {
            snprintf(err, errlen,
                     "the target %s has schema version %d: db copy writes into a new database "
                     "or an empty one at this Broadsheet's version (%d)",
                     k->to_shown, version, binary_version(DB_PGSQL));
            return -1;
        }
    } else {
        static const char *const suffixes[] = {"", "-wal", "-journal"};
        for (size_t i = 0; i < ARRAY_LEN(suffixes); i++) {
            char path[4096];
            struct stat st;
            snprintf(path, sizeof path, "%s%s", k->to, suffixes[i]);
            if (stat(path, &st) == 0 && st.st_size > 0) {
                snprintf(err, errlen,
                         "the target %s%s exists and is not empty: db copy writes a new file "
                         "(move it away or name another)",
                         k->to, suffixes[i]);
                return -1;
            }
        }
        size_t len = strlen(k->to) + sizeof ".copy-XXXXXX";
        k->temp = xmalloc(len);
        snprintf(k->temp, len, "%s.copy-XXXXXX", k->to);
        int fd = mkstemp(k->temp);
        if (fd < 0) {
            snprintf(err, errlen, "cannot create a file beside %s: %s", k->to, strerror(errno));
            free(k->temp);
            k->temp = NULL;
            return -1;
        }
        watch_temp(k->temp);
        mode_t mask = umask(0); /* mkstemp's 0600 would make it the only such file */
        umask(mask);
        fchmod(fd, 0666 & ~mask);
        close(fd);
    }
    char msg[1024];
    k->target = store_open(k->temp ? k->temp : k->to, msg, sizeof msg);
    if (k->target)
        store_search_configure(k->target, k->preview_paragraphs);
    k->tc = k->target ? db_conn(store_db(k->target), msg, sizeof msg) : NULL;
    if (!k->tc) {
        snprintf(err, errlen, "cannot open the target: %s", msg);
        return -1;
    }
    return 0;
}

/* Reads both catalogs, checks that they agree and that the target is empty, and orders the
 * tables. Returns 0 or -1 (err). */
static int plan(struct copy *k, char *err, size_t errlen)
{
    struct tables source = {0};
    int rc = -1;
    if (read_catalog(k->tc, &k->tables, err, errlen) < 0 ||
        read_catalog(k->sc, &source, err, errlen) < 0 ||
        same_tables(&k->tables, &source, err, errlen) < 0 ||
        count_fresh(&k->tables, err, errlen) < 0)
        goto out;
    for (size_t i = 0; i < k->tables.n; i++) {
        struct table *t = &k->tables.items[i];
        int64_t n;
        if (count_rows(k->tc, t->name, &n, err, errlen) < 0)
            goto out;
        if (n > t->fresh) {
            snprintf(err, errlen,
                     "the target %s is not empty (%s holds %" PRId64 " rows): db copy only "
                     "writes into an empty database",
                     k->to_shown, t->name, n);
            goto out;
        }
    }
    rc = order_tables(&k->tables, err, errlen);
out:
    tables_free(&source);
    return rc;
}

/* The copy itself, in the target's transaction: triggers off, the fresh rows out, every table
 * in order, sequences, triggers on, then every count checked on both sides. Returns 0 or -1
 * (err). */
static int copy_all(struct copy *k, char *err, size_t errlen)
{
    int pgsql = db_conn_kind(k->tc) == DB_PGSQL;
    if (set_triggers(k->tc, &k->tables, &k->triggers, 0, err, errlen) < 0)
        return -1;
    for (size_t i = 0; i < k->tables.n; i++) { /* what the migrations put there gives way */
        struct table *t = &k->tables.items[i];
        struct buf sql = BUF_INIT;
        buf_puts(&sql, "DELETE FROM ");
        quote(&sql, t->name);
        int rc = t->fresh ? run(k->tc, sql.data, "emptying the target", err, errlen) : 0;
        buf_free(&sql);
        if (rc < 0)
            return -1;
    }
    for (size_t i = 0; i < k->tables.n; i++) {
        struct table *t = &k->tables.items[i];
        if (copy_table(k->sc, k->tc, t, err, errlen) < 0 ||
            (pgsql && set_sequences(k->tc, t, err, errlen) < 0))
            return -1;
        k->total += t->rows;
    }
    if (set_triggers(k->tc, &k->tables, &k->triggers, 1, err, errlen) < 0)
        return -1;
    if (!pgsql) { /* keys were not enforced while the rows went in: check them all now */
        struct db_stmt *s = db_prepare_text(k->tc, "PRAGMA foreign_key_check");
        int step = s ? db_step(s) : DB_FAIL;
        if (step != DB_DONE)
            snprintf(err, errlen, "checking foreign keys: %s",
                     step == DB_ROW ? "a row refers to one that is not there" : db_errmsg(k->tc));
        db_finalize(s);
        if (step != DB_DONE)
            return -1;
    }
    for (size_t i = 0; i < k->tables.n; i++) {
        struct table *t = &k->tables.items[i];
        int64_t in_source, in_target;
        if (count_rows(k->sc, t->name, &in_source, err, errlen) < 0 ||
            count_rows(k->tc, t->name, &in_target, err, errlen) < 0)
            return -1;
        if (in_source != t->rows || in_target != t->rows) {
            snprintf(err, errlen,
                     "%s: %" PRId64 " rows in the source, %" PRId64 " copied, %" PRId64
                     " in the target",
                     t->name, in_source, t->rows, in_target);
            return -1;
        }
    }
    /* The search index, from the articles just copied (see sqlite_tables above). */
    int64_t indexed;
    return store_search_reindex(k->target, &indexed, err, errlen) == STORE_OK ? 0 : -1;
}

/* A SQLite target: the new file, complete, takes the target's name (an empty file there is
 * replaced; anything that appeared there meanwhile is not). Returns 0 or -1 (err). */
static int put_in_place(struct copy *k, char *err, size_t errlen)
{
    struct stat st;
    int rc;
    if (stat(k->to, &st) == 0 && st.st_size == 0 && S_ISREG(st.st_mode))
        rc = rename(k->temp, k->to);
    else
        rc = renameat2(AT_FDCWD, k->temp, AT_FDCWD, k->to, RENAME_NOREPLACE);
    if (rc != 0) {
        snprintf(err, errlen, "cannot rename the copy to %s: %s", k->to, strerror(errno));
        return -1;
    }
    free(k->temp);
    k->temp = NULL;
    return 0;
}

static int command_copy(struct cli_call *call)
{
    struct copy k = {.from = cli_value(call, "from"),
                     .to = cli_value(call, "to"),
                     .preview_paragraphs = call->config.preview_paragraphs};
    char err[2048] = "";
    int rc = 1;
    if (!*k.from || !*k.to)
        return cli_usage_error(call, "--from and --to each name a database");
    if (same_database(k.from, k.to))
        return cli_usage_error(call, "--from and --to name the same database");
    k.from_shown = db_shown(k.from);
    k.to_shown = db_shown(k.to);
    if (open_source(&k, err, sizeof err) < 0 || open_target(&k, err, sizeof err) < 0 ||
        plan(&k, err, sizeof err) < 0)
        goto out;
    if (db_conn_kind(k.tc) == DB_SQLITE &&
        run(k.tc, "PRAGMA foreign_keys = OFF", "setting up the target", err, sizeof err) < 0)
        goto out;
    if (db_begin(k.tc) != 0) {
        snprintf(err, sizeof err, "starting the copy: %s", db_errmsg(k.tc));
        goto out;
    }
    if (copy_all(&k, err, sizeof err) < 0) {
        db_rollback(k.tc);
        goto out;
    }
    if (db_commit(k.tc) != 0) {
        snprintf(err, sizeof err, "committing the copy: %s", db_errmsg(k.tc));
        goto out;
    }
    if (k.temp) { /* the whole file in one piece, with no write-ahead log beside it to lose */
        if (run(k.tc, "PRAGMA journal_mode = DELETE", "finishing the file", err, sizeof err) < 0)
            goto out;
        store_close(k.target);
        k.target = NULL;
        if (put_in_place(&k, err, sizeof err) < 0)
            goto out;
    }
    fprintf(call->out, "copied %zu tables, %" PRId64 " rows, from %s to %s\n", k.tables.n, k.total,
            k.from_shown, k.to_shown);
    for (size_t i = 0; i < k.tables.n; i++)
        fprintf(call->out, "  %-24s %" PRId64 "\n", k.tables.items[i].name, k.tables.items[i].rows);
    rc = 0;
out:
    if (rc != 0)
        fprintf(call->err, "broadsheet: db copy: %s\n", err);
    if (k.sc)
        db_rollback(k.sc); /* ends the read snapshot */
    db_close(k.source);
    store_close(k.target);
    forget_temp(k.temp != NULL);
    free(k.temp);
    tables_free(&k.tables);
    triggers_free(&k.triggers);
    free(k.from_shown);
    free(k.to_shown);
    return rc;
}

static const struct cli_option copy_options[] = {
    {"from", "SOURCE", CLI_REQUIRED},
    {"to", "TARGET", CLI_REQUIRED},
    {NULL, NULL, 0},
};

const struct cli_command cmd_db[] = {
    {"db copy", "", copy_options, 0,
     "copy a whole site, every table with its ids and secrets, from one database (a SQLite "
     "file or a postgresql:// URL) into a new SQLite file or an empty PostgreSQL database, in "
     "one transaction, checking every table's row count",
     command_copy},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
