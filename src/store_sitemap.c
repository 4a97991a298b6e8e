/*
 * store_sitemap.c: the store's part of the sitemaps (issue 12; page_sitemap.c renders them).
 * The monthly article sitemaps are the large ones (up to 50,000 rows), so their rows are never
 * gathered: each row goes to the caller's function as the statement yields it, and the caller
 * writes it into the page. SQLite steps through the index; PostgreSQL's driver holds the
 * statement's result in libpq (db.h), never in the request's arena.
 *
 * How the sitemap index finds the months of a million articles: a probe for the first
 * published_at at or after a time (store_sitemap_next_published), then a count of that month's
 * range (store_sitemap_range), an index-only range scan of articles_sitemap; the caller skips
 * from month to month, so empty months cost nothing and the whole index is one pass over the
 * published rows' index entries, once per fill of the cached page.
 */
#include "store_impl.h"

/* Steps s to the end, handing each row to fn as read_row makes it. Returns STORE_OK, or
 * STORE_ERROR (the step failed, reported as what; or fn asked to stop). */
static int stream(struct db_conn *c, struct db_stmt *s,
                  void (*read_row)(struct db_stmt *s, struct sitemap_row *row), store_sitemap_fn fn,
                  void *ctx, size_t *n, const char *what)
{
    *n = 0;
    int step;
    while ((step = db_step(s)) == DB_ROW) {
        struct sitemap_row row = {0};
        read_row(s, &row);
        if (!row.slug) {
            store_report(NULL, 0, "%s: a row without a slug", what);
            return STORE_ERROR;
        }
        if (fn(ctx, &row) != 0)
            return STORE_ERROR;
        (*n)++;
    }
    if (step != DB_DONE) {
        store_report(NULL, 0, "%s: %s", what, db_errmsg(c));
        return STORE_ERROR;
    }
    return STORE_OK;
}

/* Row readers: (slug, lastmod), (slug, headline, published_at), (slug). */
static void read_article(struct db_stmt *s, struct sitemap_row *row)
{
    row->slug = db_column_text(s, 0);
    row->lastmod = db_column_int64(s, 1);
}

static void read_news(struct db_stmt *s, struct sitemap_row *row)
{
    row->slug = db_column_text(s, 0);
    row->headline = db_column_text(s, 1);
    row->published_at = db_column_int64(s, 2);
    if (!row->headline)
        row->headline = "";
}

static void read_slug(struct db_stmt *s, struct sitemap_row *row)
{
    row->slug = db_column_text(s, 0);
}

/* A MIN(…) of statement id over ?1 = from into *value: STORE_OK, STORE_NOT_FOUND (NULL: no
 * row) or STORE_ERROR. */
static int next_value(struct store *st, enum statement id, int64_t from, int64_t *value,
                      const char *what)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, id, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, from);
    rc = store_step_one(c, s, "%s", what);
    if (rc != STORE_OK)
        goto out;
    if (db_column_is_null(s, 0))
        rc = STORE_NOT_FOUND;
    else
        *value = db_column_int64(s, 0);
out:
    db_reset(s);
    return rc;
}

int store_sitemap_next_published(struct store *st, int64_t from, int64_t *at)
{
    return next_value(st, STMT_SITEMAP_NEXT_PUBLISHED, from, at,
                      "finding the next published article for the sitemap");
}

int store_sitemap_range(struct store *st, int64_t from, int64_t to, int64_t *count,
                        int64_t *lastmod)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_SITEMAP_RANGE, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, from);
    db_bind_int64(s, 2, to);
    rc = store_step_one(c, s, "counting a month's published articles for the sitemap");
    if (rc == STORE_NOT_FOUND) { /* an aggregate always has its row */
        rc = STORE_ERROR;
        goto out;
    }
    if (rc != STORE_OK)
        goto out;
    *count = db_column_int64(s, 0);
    *lastmod = db_column_int64(s, 1);
out:
    db_reset(s);
    return rc;
}

int store_sitemap_articles(struct store *st, int64_t from, int64_t to, int64_t offset,
                           int64_t limit, store_sitemap_fn fn, void *ctx, size_t *n)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    *n = 0;
    if (!c || !(s = store_stmt(c, STMT_SITEMAP_ARTICLES, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, from);
    db_bind_int64(s, 2, to);
    db_bind_int64(s, 3, limit);
    db_bind_int64(s, 4, offset);
    rc = stream(c, s, read_article, fn, ctx, n, "reading a month's articles for the sitemap");
out:
    db_reset(s);
    return rc;
}

int store_sitemap_news(struct store *st, int64_t since, int64_t until, int64_t limit,
                       store_sitemap_fn fn, void *ctx, size_t *n)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    *n = 0;
    if (!c || !(s = store_stmt(c, STMT_SITEMAP_NEWS, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, since);
    db_bind_int64(s, 2, until);
    db_bind_int64(s, 3, limit);
    rc = stream(c, s, read_news, fn, ctx, n, "reading the news sitemap's articles");
out:
    db_reset(s);
    return rc;
}

int store_sitemap_next_id(struct store *st, enum store_sitemap_names which, int64_t from,
                          int64_t *id)
{
    return which == STORE_SITEMAP_AUTHORS
               ? next_value(st, STMT_SITEMAP_NEXT_AUTHOR, from, id, "finding the next author")
               : next_value(st, STMT_SITEMAP_NEXT_TAG, from, id, "finding the next tag");
}

int store_sitemap_slugs(struct store *st, enum store_sitemap_names which, int64_t from, int64_t to,
                        store_sitemap_fn fn, void *ctx, size_t *n)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    *n = 0;
    enum statement id = which == STORE_SITEMAP_AUTHORS ? STMT_SITEMAP_AUTHORS : STMT_SITEMAP_TAGS;
    if (!c || !(s = store_stmt(c, id, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, from);
    db_bind_int64(s, 2, to);
    rc = stream(c, s, read_slug, fn, ctx, n,
                which == STORE_SITEMAP_AUTHORS ? "reading the authors for the sitemap"
                                               : "reading the tags for the sitemap");
out:
    db_reset(s);
    return rc;
}
