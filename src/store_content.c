/*
 * store_content.c: the part of store.h for publications, sections and articles, and the import's
 * slugs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ninjs.h"
#include "store_impl.h"
#include "util.h"

/* Reads a publication from the current row of s, starting at column col
 * (PUBLICATION_COLUMNS order). */
void store_read_publication(struct db_stmt *s, int col, struct arena *a, struct publication *p)
{
    p->id = db_column_int64(s, col);
    p->slug = store_column_text(s, col + 1, a);
    p->name = store_column_text(s, col + 2, a);
    p->description = store_column_text(s, col + 3, a);
    p->producer = store_column_text(s, col + 4, a);
    p->partner = store_column_text(s, col + 5, a);
    p->partner_short = store_column_text(s, col + 6, a);
    p->partner_url = store_column_text(s, col + 7, a);
    p->partner_description = store_column_text(s, col + 8, a);
    p->is_host = (int)db_column_int64(s, col + 9) != 0;
    p->default_access = store_column_text(s, col + 10, a);
    p->copyright_holder = store_column_text(s, col + 11, a);
    p->copyright_notice = store_column_text(s, col + 12, a);
    p->usage_terms = store_column_text(s, col + 13, a);
    p->rights_url = store_column_text(s, col + 14, a);
}

/* Reads a section from the current row of s, starting at column col (SECTION_COLUMNS order). */
void store_read_section(struct db_stmt *s, int col, struct arena *a, struct section *sec)
{
    sec->id = db_column_int64(s, col);
    sec->slug = store_column_text(s, col + 1, a);
    sec->name = store_column_text(s, col + 2, a);
    sec->position = (int)db_column_int64(s, col + 3);
    sec->default_access = store_column_text(s, col + 4, a);
}

/* Reads a joined article row (ARTICLE_SELECT order) from s. */
void store_read_article(struct db_stmt *s, struct arena *a, struct article *art)
{
    art->id = db_column_int64(s, 0);
    art->slug = store_column_text(s, 1, a);
    art->headline = store_column_text(s, 2, a);
    art->dek = store_column_text(s, 3, a);
    art->byline = store_column_text(s, 4, a);
    art->body_html = store_column_text(s, 5, a);
    art->body_markdown = store_column_text(s, 6, a);
    art->published_at = db_column_int64(s, 7);
    art->updated_at = db_column_int64(s, 8);
    int level = store_access_parse(db_column_text(s, 9));
    art->access = level < 0 ? ACCESS_SUBSCRIBERS : (enum access_level)level; /* CHECK forbids */
    store_read_publication(s, ARTICLE_NCOLUMNS, a, &art->publication);
    store_read_section(s, ARTICLE_NCOLUMNS + PUBLICATION_NCOLUMNS, a, &art->section);
}

/* store_read_publication from column 0 (a store_row_reader). */
static void publication_row(struct db_stmt *s, struct arena *a, void *item)
{
    store_read_publication(s, 0, a, item);
}

/* store_read_section from column 0 (a store_row_reader). */
static void section_row(struct db_stmt *s, struct arena *a, void *item)
{
    store_read_section(s, 0, a, item);
}

/* store_read_article (a store_row_reader). */
static void article_row(struct db_stmt *s, struct arena *a, void *item)
{
    store_read_article(s, a, item);
}

/* Saving a publication or a section leaves its default_access alone (the upserts do not name
 * the column): a default is the operator's choice (store_*_set_default_access), and re-seeding or
 * re-saving a record whose struct does not carry it must not quietly reset it to inherit. */
int store_publication_save(struct store *st, const struct publication *p, char *err, size_t errlen)
{
    struct db_conn *c = store_conn(st, err, errlen);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c)
        goto out;
    if (!store_present(p->slug) || !store_present(p->name)) {
        store_report(err, errlen, "publication '%s': slug and name are required",
                     p->slug ? p->slug : "");
        goto out;
    }
    if (!(s = store_stmt(c, STMT_PUBLICATION_UPSERT, err, errlen)))
        goto out;
    db_bind_text(s, 1, p->slug);
    db_bind_text(s, 2, p->name);
    db_bind_text(s, 3, p->description);
    db_bind_text(s, 4, p->producer);
    db_bind_text(s, 5, p->partner);
    db_bind_text(s, 6, p->partner_short);
    db_bind_text(s, 7, p->partner_url);
    db_bind_text(s, 8, p->partner_description);
    db_bind_int64(s, 9, p->is_host ? 1 : 0);
    if (db_step(s) != DB_DONE) {
        store_report(err, errlen, "publication '%s': %s", p->slug, db_errmsg(c));
        goto out;
    }
    rc = STORE_OK;
out:
    db_reset(s);
    return rc;
}

int store_section_save(struct store *st, const struct section *sec, char *err, size_t errlen)
{
    struct db_conn *c = store_conn(st, err, errlen);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c)
        goto out;
    if (!store_present(sec->slug) || !store_present(sec->name)) {
        store_report(err, errlen, "section '%s': slug and name are required",
                     sec->slug ? sec->slug : "");
        goto out;
    }
    if (!(s = store_stmt(c, STMT_SECTION_UPSERT, err, errlen)))
        goto out;
    db_bind_text(s, 1, sec->slug);
    db_bind_text(s, 2, sec->name);
    db_bind_int64(s, 3, sec->position);
    if (db_step(s) != DB_DONE) {
        store_report(err, errlen, "section '%s': %s", sec->slug, db_errmsg(c));
        goto out;
    }
    rc = STORE_OK;
out:
    db_reset(s);
    return rc;
}

/* Saves article in (index i of the batch) inside the caller's transaction, stamped updated_at
 * now. Returns 0, or -1 with "article I: reason" reported. */
static int article_upsert(struct store *st, struct db_conn *c, const struct article_input *in,
                          size_t i, int64_t now, char *err, size_t errlen)
{
    struct db_stmt *s = NULL;
    int64_t publication_id, section_id;
    int rc = -1, found;
    char why[512];

    if (!store_present(in->slug) || !store_present(in->headline) || !in->body_markdown ||
        !in->body_html) {
        store_report(err, errlen, "article %zu: slug, headline and body are required", i);
        goto out;
    }
    if ((unsigned)in->access > ACCESS_SUBSCRIBERS) {
        store_report(err, errlen, "article %zu: invalid access level %d", i, (int)in->access);
        goto out;
    }
    found =
        store_id_by_slug(c, STMT_PUBLICATION_ID, in->publication_slug ? in->publication_slug : "",
                         &publication_id, why, sizeof why);
    if (found != STORE_OK) {
        if (found == STORE_NOT_FOUND)
            store_report(err, errlen, "article %zu: unknown publication '%s'", i,
                         in->publication_slug ? in->publication_slug : "");
        else
            store_report(err, errlen, "article %zu: %s", i, why);
        goto out;
    }
    found = store_id_by_slug(c, STMT_SECTION_ID, in->section_slug ? in->section_slug : "",
                             &section_id, why, sizeof why);
    if (found != STORE_OK) {
        if (found == STORE_NOT_FOUND)
            store_report(err, errlen, "article %zu: unknown section '%s'", i,
                         in->section_slug ? in->section_slug : "");
        else
            store_report(err, errlen, "article %zu: %s", i, why);
        goto out;
    }
    /* an article imported before keeps the version it is replacing (partners may have it) */
    if (revision_keep(c, 0, in->slug) != 0) {
        store_report(err, errlen, "article %zu: cannot keep its current version", i);
        goto out;
    }
    if (!(s = store_stmt(c, STMT_ARTICLE_UPSERT, err, errlen)))
        goto out;
    db_bind_text(s, 1, in->slug);
    db_bind_int64(s, 2, publication_id);
    db_bind_int64(s, 3, section_id);
    db_bind_text(s, 4, in->headline);
    db_bind_text(s, 5, in->dek);
    db_bind_text(s, 6, in->byline);
    db_bind_text(s, 7, in->body_markdown);
    db_bind_text(s, 8, in->body_html);
    db_bind_int64(s, 9, in->published_at);
    db_bind_int64(s, 10, now);
    db_bind_text(s, 11, store_access_name(in->access));
    int step = db_step(s);
    if (step == DB_DONE) { /* a killed article of that slug: it stays as it was (migration 021) */
        rc = 0;
        goto out;
    }
    if (step != DB_ROW) {
        store_report(err, errlen, "article %zu: %s", i, db_errmsg(c));
        goto out;
    }
    int64_t id = db_column_int64(s, 0);
    db_reset(s);
    s = NULL;
    /* Its search index row, in this transaction (store.h, "Readers' search"). */
    if (store_search_put(st, c, id, err, errlen) != 0)
        goto out;
    /* and its version in the item log, for partners (store_items.c) */
    if (item_log_note(c, id, now, NULL) != 0) {
        store_report(err, errlen, "article %zu: cannot note it in the item log", i);
        goto out;
    }
    rc = 0;
out:
    db_reset(s);
    return rc;
}

int store_articles_save(struct store *st, const struct article_input *in, size_t n, char *err,
                        size_t errlen)
{
    struct db_conn *c = store_conn(st, err, errlen);
    int rc = STORE_ERROR;
    int in_tx = 0; /* a store_tx_begin level of ours is open */
    if (!c)
        return STORE_ERROR;
    /* IMMEDIATE takes the write lock now (waiting up to the busy timeout), so the transaction
     * cannot fail half-way because another writer came first. */
    if (store_tx_begin(c, err, errlen) != 0)
        goto out;
    in_tx = 1;
    if (item_log_lock(c) != 0) {
        store_report(err, errlen, "cannot lock the item log");
        goto out;
    }
    int64_t now = util_now();
    for (size_t i = 0; i < n; i++)
        if (article_upsert(st, c, &in[i], i, now, err, errlen) != 0)
            goto out;
    in_tx = 0;
    if (store_tx_commit(c, err, errlen) != 0)
        goto out;
    rc = STORE_OK;
out:
    if (in_tx)
        store_tx_rollback(c);
    return rc;
}

/* The import's slugs live in the connection's temporary schema, which SQLite keeps in a
 * temporary file of its own (this build's SQLITE_TEMP_STORE is 1: a file unless a PRAGMA says
 * otherwise, and none does), so a million rows cost disk, not memory; PostgreSQL keeps temporary
 * tables in files too. The statements name it unqualified, which both resolve to the temporary
 * schema first. They are prepared on first use, after the table exists; dropping it leaves them
 * to be planned again against the next one. */
int store_import_slugs_begin(struct store *st)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    if (!c)
        return STORE_ERROR;
    const char *sql = db_conn_kind(c) == DB_PGSQL
                          ? "DROP TABLE IF EXISTS pg_temp.import_slugs; "
                            "CREATE TEMP TABLE import_slugs (position BIGINT PRIMARY KEY, "
                            "slug TEXT COLLATE \"C\" NOT NULL UNIQUE, path TEXT NOT NULL)"
                          : "DROP TABLE IF EXISTS temp.import_slugs; "
                            "CREATE TEMP TABLE import_slugs (position INTEGER PRIMARY KEY, "
                            "slug TEXT NOT NULL UNIQUE, path TEXT NOT NULL)";
    return store_exec(c, sql, NULL, 0) == 0 ? STORE_OK : STORE_ERROR;
}

int store_import_slug_add(struct store *st, struct arena *a, int64_t position, const char *slug,
                          const char *path, const char **other)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_IMPORT_SLUG_ADD, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, position);
    db_bind_text(s, 2, slug);
    db_bind_text(s, 3, path);
    if (db_step(s) != DB_DONE) {
        store_report(NULL, 0, "recording the slug '%s': %s", slug, db_errmsg(c));
        goto out;
    }
    if (db_changes(c) == 1) {
        rc = STORE_OK;
        goto out;
    }
    db_reset(s);
    if (!(s = store_stmt(c, STMT_IMPORT_SLUG_PATH, NULL, 0)))
        goto out;
    db_bind_text(s, 1, slug);
    if (db_step(s) != DB_ROW) {
        store_report(NULL, 0, "reading the slug '%s': %s", slug, db_errmsg(c));
        goto out;
    }
    *other = store_column_text(s, 0, a);
    rc = STORE_CONFLICT;
out:
    db_reset(s);
    return rc;
}

int store_import_slug_at(struct store *st, struct arena *a, int64_t position, const char **slug)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_IMPORT_SLUG_AT, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, position);
    rc = store_step_one(c, s, "the import's slug at %lld", (long long)position);
    if (rc == STORE_OK)
        *slug = store_column_text(s, 0, a);
out:
    db_reset(s);
    return rc;
}

void store_import_slugs_end(struct store *st)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    if (c)
        store_exec(c,
                   db_conn_kind(c) == DB_PGSQL ? "DROP TABLE IF EXISTS pg_temp.import_slugs"
                                               : "DROP TABLE IF EXISTS temp.import_slugs",
                   NULL, 0);
}

int store_publication_by_slug(struct store *st, struct arena *a, const char *slug,
                              struct publication *out)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_PUBLICATION_BY_SLUG, NULL, 0)))
        goto out;
    db_bind_text(s, 1, slug);
    rc = store_step_one(c, s, "publication '%s'", slug);
    if (rc == STORE_OK)
        store_read_publication(s, 0, a, out);
out:
    db_reset(s);
    return rc;
}

int store_section_by_slug(struct store *st, struct arena *a, const char *slug, struct section *out)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_SECTION_BY_SLUG, NULL, 0)))
        goto out;
    db_bind_text(s, 1, slug);
    rc = store_step_one(c, s, "section '%s'", slug);
    if (rc == STORE_OK)
        store_read_section(s, 0, a, out);
out:
    db_reset(s);
    return rc;
}

int store_publications(struct store *st, struct arena *a, struct publication **out, size_t *n)
{
    return store_list_all(st, STMT_PUBLICATIONS, a, sizeof **out, publication_row,
                          "listing publications", (void **)out, n);
}

int store_sections(struct store *st, struct arena *a, struct section **out, size_t *n)
{
    return store_list_all(st, STMT_SECTIONS, a, sizeof **out, section_row, "listing sections",
                          (void **)out, n);
}

int store_article_by_slug(struct store *st, struct arena *a, const char *slug, struct article *out)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_ARTICLE_BY_SLUG, NULL, 0)))
        goto out;
    db_bind_text(s, 1, slug);
    rc = store_step_one(c, s, "article '%s'", slug);
    if (rc == STORE_OK)
        store_read_article(s, a, out);
out:
    db_reset(s);
    return rc;
}

int store_article_meta(struct store *st, const char *slug, int64_t *id, enum access_level *level)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_ARTICLE_META, NULL, 0)))
        goto out;
    db_bind_text(s, 1, slug);
    rc = store_step_one(c, s, "article '%s'", slug);
    if (rc == STORE_OK) {
        *id = db_column_int64(s, 0);
        int parsed = store_access_parse(db_column_text(s, 1));
        *level = parsed < 0 ? ACCESS_SUBSCRIBERS : (enum access_level)parsed;
    }
out:
    db_reset(s);
    return rc;
}

/* A limit of 0 or less means the default; more than MAX_LIST_LIMIT is capped. */
int store_articles_latest(struct store *st, struct arena *a, const struct article_query *q,
                          struct article **out, size_t *n)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    int limit = q->limit <= 0 ? DEFAULT_LIST_LIMIT : q->limit;
    if (limit > MAX_LIST_LIMIT)
        limit = MAX_LIST_LIMIT;
    enum statement id = q->publication_id && q->section_id ? STMT_LATEST_PUBLICATION_SECTION
                        : q->publication_id                ? STMT_LATEST_PUBLICATION
                        : q->section_id                    ? STMT_LATEST_SECTION
                                                           : STMT_LATEST;
    if (!c || !(s = store_stmt(c, id, NULL, 0)))
        goto out;
    int next = 1; /* the filter's ids, then the limit and the offset */
    if (q->publication_id)
        db_bind_int64(s, next++, q->publication_id);
    if (q->section_id)
        db_bind_int64(s, next++, q->section_id);
    db_bind_int64(s, next++, limit);
    db_bind_int64(s, next, q->offset > 0 ? q->offset : 0);
    rc = store_read_rows(c, s, a, sizeof **out, article_row, "listing articles", (void **)out, n);
out:
    db_reset(s);
    return rc;
}

int store_articles_page(struct store *st, struct arena *a, const struct article_cursor *after,
                        int limit, struct article **out, size_t *n, int *more)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (limit < 1)
        limit = 1;
    if (limit > STORE_ARTICLE_PAGE_MAX)
        limit = STORE_ARTICLE_PAGE_MAX;
    if (!c || !(s = store_stmt(c, STMT_ARTICLES_PAGE, NULL, 0)))
        goto out;
    /* No cursor: after a key greater than any article's. */
    db_bind_int64(s, 1, after ? after->published_at : INT64_MAX);
    db_bind_int64(s, 2, after ? after->id : INT64_MAX);
    db_bind_int64(s, 3, limit + 1); /* one more than asked: whether there is a next page */
    struct article *items;
    size_t count;
    rc = store_read_rows(c, s, a, sizeof *items, article_row, "listing articles", (void **)&items,
                         &count);
    if (rc == STORE_OK) {
        *more = count > (size_t)limit;
        *n = *more ? (size_t)limit : count;
        *out = items;
    }
out:
    db_reset(s);
    return rc;
}

int store_articles_count(struct store *st, int64_t *count)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_ARTICLES_COUNT, NULL, 0)))
        goto out;
    if (db_step(s) != DB_ROW) {
        store_report(NULL, 0, "counting articles: %s", db_errmsg(c));
        goto out;
    }
    *count = db_column_int64(s, 0);
    rc = STORE_OK;
out:
    db_reset(s);
    return rc;
}

/* Publication rights (issue 13). */
int store_publication_set_rights(struct store *st, const char *slug, const struct publication *p)
{
    const char *problem = ninjs_rights_problem(p);
    if (problem) {
        store_report(NULL, 0, "publication '%s': %s", slug ? slug : "", problem);
        return STORE_ERROR;
    }
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_PUBLICATION_SET_RIGHTS, NULL, 0)))
        goto out;
    const char *texts[] = {slug, p->copyright_holder, p->copyright_notice, p->usage_terms,
                           p->rights_url};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        db_bind_text(s, (int)i + 1, texts[i] ? texts[i] : "");
    rc = store_step_write(c, s, 1, "setting a publication's rights");
out:
    db_reset(s);
    return rc;
}
