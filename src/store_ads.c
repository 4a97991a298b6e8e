/*
 * store_ads.c: the part of store.h for campaigns, creatives and their counts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"
#include "util.h"

/* --- Advertising (store.h) ----------------------------------------------------------------
 *
 * Saving a campaign needs its id back, so it is an upsert and a lookup in one
 * transaction, as for an organisation. A creative is inserted through a SELECT of its campaign
 * by slug, so an unknown campaign inserts nothing (STORE_NOT_FOUND) without a prior lookup.
 * Counts are added with an upsert per creative and day, all in one transaction per flush, in the
 * order of (creative, day): each upsert locks its row until the commit, and several nodes flush
 * onto the same rows, so two flushes that took their rows in opposite orders (each node's in the
 * order its counts came) would each wait for the other's lock until PostgreSQL's deadlock
 * detector refused one of them.
 */

/* Reads a campaign from the current row of s, starting at column col (CAMPAIGN_COLUMNS
 * order). */
static void read_campaign(struct db_stmt *s, int col, struct arena *a, struct campaign *c)
{
    c->id = db_column_int64(s, col);
    c->slug = store_column_text(s, col + 1, a);
    c->name = store_column_text(s, col + 2, a);
    c->starts_at = db_column_int64(s, col + 3);
    c->ends_at = db_column_int64(s, col + 4);
    c->weight = (int)db_column_int64(s, col + 5);
    c->publication_slug = store_column_text(s, col + 6, a);
    c->section_slug = store_column_text(s, col + 7, a);
    c->created_at = db_column_int64(s, col + 8);
}

/* read_campaign from column 0 (a store_row_reader). */
static void campaign_row(struct db_stmt *s, struct arena *a, void *item)
{
    read_campaign(s, 0, a, item);
}

/* Reads a creative and its campaign from the current row of s (CREATIVE_SELECT order). */
static void read_creative(struct db_stmt *s, struct arena *a, struct creative *k)
{
    k->id = db_column_int64(s, 0);
    k->placement = store_column_text(s, 1, a);
    k->kind = store_column_text(s, 2, a);
    k->image_path = store_column_text(s, 3, a);
    k->image_type = store_column_text(s, 4, a);
    k->width = (int)db_column_int64(s, 5);
    k->height = (int)db_column_int64(s, 6);
    k->alt = store_column_text(s, 7, a);
    k->click_url = store_column_text(s, 8, a);
    k->html = store_column_text(s, 9, a);
    k->created_at = db_column_int64(s, 10);
    read_campaign(s, CREATIVE_NCOLUMNS, a, &k->campaign);
}

/* read_creative (a store_row_reader). */
static void creative_row(struct db_stmt *s, struct arena *a, void *item)
{
    read_creative(s, a, item);
}

int store_campaign_save(struct store *st, const struct campaign *camp, int64_t *id)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c)
        return STORE_ERROR;
    if (!store_present(camp->slug) || !store_present(camp->name) || camp->weight < 1 ||
        camp->ends_at <= camp->starts_at) {
        store_report(NULL, 0,
                     "campaign '%s': a slug, a name, a weight of at least 1 and an end after the "
                     "start are required",
                     camp->slug ? camp->slug : "");
        return STORE_ERROR;
    }
    if (!(s = store_stmt(c, STMT_CAMPAIGN_UPSERT, NULL, 0)))
        goto out;
    db_bind_text(s, 1, camp->slug);
    db_bind_text(s, 2, camp->name);
    db_bind_int64(s, 3, camp->starts_at);
    db_bind_int64(s, 4, camp->ends_at);
    db_bind_int64(s, 5, camp->weight);
    db_bind_text(s, 6, camp->publication_slug);
    db_bind_text(s, 7, camp->section_slug);
    db_bind_int64(s, 8, util_now());
    /* RETURNING id: the new row's or the updated one's, in the same statement */
    if (store_step_insert(c, s, id, "saving a campaign") == STORE_OK)
        rc = STORE_OK;
out:
    db_reset(s);
    return rc;
}

int store_campaign_by_slug(struct store *st, struct arena *a, const char *slug,
                           struct campaign *out)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_CAMPAIGN_BY_SLUG, NULL, 0)))
        goto out;
    db_bind_text(s, 1, slug);
    rc = store_step_one(c, s, "campaign '%s'", slug ? slug : "");
    if (rc == STORE_OK)
        read_campaign(s, 0, a, out);
out:
    db_reset(s);
    return rc;
}

int store_campaigns(struct store *st, struct arena *a, struct campaign **out, size_t *n)
{
    return store_list_all(st, STMT_CAMPAIGNS, a, sizeof **out, campaign_row, "listing campaigns",
                          (void **)out, n);
}

int store_campaign_delete(struct store *st, const char *slug)
{
    return store_write_texts(st, STMT_CAMPAIGN_DELETE, 1, slug, NULL, 1, "deleting a campaign");
}

int store_creative_add(struct store *st, const struct creative *k, int64_t *id)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_CREATIVE_INSERT, NULL, 0)))
        goto out;
    db_bind_text(s, 1, k->campaign.slug);
    db_bind_text(s, 2, k->placement);
    db_bind_text(s, 3, k->kind);
    db_bind_text(s, 4, k->image_path);
    db_bind_text(s, 5, k->image_type);
    db_bind_int64(s, 6, k->width);
    db_bind_int64(s, 7, k->height);
    db_bind_text(s, 8, k->alt);
    db_bind_text(s, 9, k->click_url);
    db_bind_text(s, 10, k->html);
    db_bind_int64(s, 11, util_now());
    /* A CHECK that refuses the row is a bug in the caller's validation: STORE_ERROR, logged. */
    rc = store_step_insert(c, s, id, "adding a creative");
out:
    db_reset(s);
    return rc;
}

int store_creative_by_id(struct store *st, struct arena *a, int64_t id, struct creative *out)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_CREATIVE_BY_ID, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, id);
    rc = store_step_one(c, s, "creative %lld", (long long)id);
    if (rc == STORE_OK)
        read_creative(s, a, out);
out:
    db_reset(s);
    return rc;
}

int store_creatives(struct store *st, struct arena *a, struct creative **out, size_t *n)
{
    return store_list_all(st, STMT_CREATIVES, a, sizeof **out, creative_row, "listing creatives",
                          (void **)out, n);
}

int store_creative_delete(struct store *st, int64_t id)
{
    return store_write_ids(st, STMT_CREATIVE_DELETE, 1, id, 0, 1, "deleting a creative");
}

int store_creatives_eligible(struct store *st, struct arena *a, const char *placement,
                             const char *publication, const char *section, int64_t now,
                             struct creative **out, size_t *n)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_CREATIVES_ELIGIBLE, NULL, 0)))
        goto out;
    db_bind_text(s, 1, placement);
    db_bind_text(s, 2, publication);
    db_bind_text(s, 3, section);
    db_bind_int64(s, 4, now);
    rc =
        store_read_rows(c, s, a, sizeof **out, creative_row, "choosing creatives", (void **)out, n);
out:
    db_reset(s);
    return rc;
}

/* qsort order of struct ad_count: by creative, then day (the order rows are locked in). */
static int ad_count_order(const void *x, const void *y)
{
    const struct ad_count *a = x, *b = y;
    if (a->creative_id != b->creative_id)
        return a->creative_id < b->creative_id ? -1 : 1;
    return strcmp(a->day, b->day);
}

int store_ad_stats_add(struct store *st, const struct ad_count *unsorted, size_t n)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    struct ad_count *counts = NULL; /* a copy of unsorted, sorted */
    int rc = STORE_ERROR;
    int in_tx = 0; /* a store_tx_begin level of ours is open */
    if (!c)
        return STORE_ERROR;
    if (n == 0)
        return STORE_OK;
    counts = xmalloc(n * sizeof *counts);
    memcpy(counts, unsorted, n * sizeof *counts);
    qsort(counts, n, sizeof *counts, ad_count_order);
    if (store_tx_begin(c, NULL, 0) != 0)
        goto out;
    in_tx = 1;
    if (!(s = store_stmt(c, STMT_AD_STATS_ADD, NULL, 0)))
        goto out;
    for (size_t i = 0; i < n; i++) {
        db_bind_int64(s, 1, counts[i].creative_id);
        db_bind_text(s, 2, counts[i].day);
        db_bind_int64(s, 3, counts[i].impressions);
        db_bind_int64(s, 4, counts[i].clicks);
        /* A creative deleted since it was counted inserts nothing: its counts are dropped. */
        int step = store_step_write(c, s, 0, "adding ad counts");
        if (step != STORE_OK && step != STORE_NOT_FOUND)
            goto out;
        db_reset(s);
    }
    db_reset(s);
    s = NULL;
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

/* Reads an ad store_report row (STMT_AD_REPORT order) into item (a store_row_reader). */
static void ad_report_row(struct db_stmt *s, struct arena *a, void *item)
{
    struct ad_report_row *row = item;
    row->day = store_column_text(s, 0, a);
    row->campaign_slug = store_column_text(s, 1, a);
    row->creative_id = db_column_int64(s, 2);
    row->placement = store_column_text(s, 3, a);
    row->impressions = db_column_int64(s, 4);
    row->clicks = db_column_int64(s, 5);
}

int store_ad_report(struct store *st, struct arena *a, const char *from, const char *to,
                    struct ad_report_row **out, size_t *n)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_AD_REPORT, NULL, 0)))
        goto out;
    db_bind_text(s, 1, from);
    db_bind_text(s, 2, to);
    rc = store_read_rows(c, s, a, sizeof **out, ad_report_row, "reading the ad store_report",
                         (void **)out, n);
out:
    db_reset(s);
    return rc;
}
