/*
 * store_most_read.c: the part of store.h for article views by hour, which the "Most read" box
 * is made from (most_read.h; migrations/sqlite/015_article_views.sql).
 *
 * A flush adds each (hour, article)'s views with an upsert, all in one transaction, in
 * (hour, article) order: each upsert locks its row until the commit, and on PostgreSQL several
 * nodes add onto the same rows, so two flushes that took their rows in opposite orders would
 * wait for each other until the deadlock detector refused one (as store_ads.c does for ad
 * counts). The same transaction deletes the hours too old to be summed, a range of the primary
 * key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"
#include "util.h"

/* qsort order of struct article_view_count: by hour, then article (the order rows are locked
 * in). */
static int view_count_order(const void *x, const void *y)
{
    const struct article_view_count *a = x, *b = y;
    if (a->hour != b->hour)
        return a->hour < b->hour ? -1 : 1;
    if (a->article_id != b->article_id)
        return a->article_id < b->article_id ? -1 : 1;
    return 0;
}

int store_article_views_add(struct store *st, const struct article_view_count *unsorted, size_t n,
                            int64_t purge_before)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    struct article_view_count *counts = NULL; /* a copy of unsorted, sorted */
    int rc = STORE_ERROR;
    int in_tx = 0; /* a store_tx_begin level of ours is open */
    if (!c)
        return STORE_ERROR;
    if (n == 0 && purge_before <= 0)
        return STORE_OK;
    if (n) {
        counts = xmalloc(n * sizeof *counts);
        memcpy(counts, unsorted, n * sizeof *counts);
        qsort(counts, n, sizeof *counts, view_count_order);
    }
    if (store_tx_begin(c, NULL, 0) != 0)
        goto out;
    in_tx = 1;
    if (n && !(s = store_stmt(c, STMT_ARTICLE_VIEWS_ADD, NULL, 0)))
        goto out;
    for (size_t i = 0; i < n;) {
        /* The same (hour, article) more than once (the counter's table may hold an article in
         * two slots): one upsert of the sum. */
        size_t j = i + 1;
        int64_t views = counts[i].views;
        while (j < n && !view_count_order(&counts[i], &counts[j]))
            views += counts[j++].views;
        db_bind_int64(s, 1, counts[i].hour);
        db_bind_int64(s, 2, counts[i].article_id);
        db_bind_int64(s, 3, views);
        /* An article deleted since it was counted inserts nothing: its views are dropped. */
        int step = store_step_write(c, s, 0, "adding article views");
        if (step != STORE_OK && step != STORE_NOT_FOUND)
            goto out;
        db_reset(s);
        i = j;
    }
    db_reset(s);
    s = NULL;
    if (purge_before > 0) {
        if (!(s = store_stmt(c, STMT_ARTICLE_VIEWS_PURGE, NULL, 0)))
            goto out;
        db_bind_int64(s, 1, purge_before);
        int step = store_step_write(c, s, 0, "deleting old article views");
        if (step != STORE_OK && step != STORE_NOT_FOUND)
            goto out;
        db_reset(s);
        s = NULL;
    }
    in_tx = 0;
    if (store_tx_commit(c, NULL, 0) != 0)
        goto out;
    rc = STORE_OK;
out:
    db_reset(s);
    if (in_tx)
        store_tx_rollback(c);
    free(counts);
    return rc;
}

/* Reads a STMT_MOST_READ row into item (a store_row_reader). */
static void most_read_row(struct db_stmt *s, struct arena *a, void *item)
{
    struct most_read_item *row = item;
    row->id = db_column_int64(s, 0);
    row->slug = store_column_text(s, 1, a);
    row->headline = store_column_text(s, 2, a);
    row->views = db_column_int64(s, 3);
}

int store_most_read(struct store *st, struct arena *a, int64_t since_hour, int limit,
                    struct most_read_item **out, size_t *n)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    *out = NULL;
    *n = 0;
    if (!c || !(s = store_stmt(c, STMT_MOST_READ, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, since_hour);
    db_bind_int64(s, 2, limit > 0 ? limit : 0);
    rc = store_read_rows(c, s, a, sizeof **out, most_read_row, "reading the most read articles",
                         (void **)out, n);
out:
    db_reset(s);
    return rc;
}
