/*
 * store_lists.c: the part of store.h for readers' lists in keyset pages (issue 12, "Archives
 * and paging"): a section's, a publication's, an author's, a tag's or a month's published
 * articles, newest first, a page at a time from a cursor; the cursor of an article named in a
 * page's address; the true previous page of a page (store_list_newer); and the months that
 * have articles, for the date archive.
 *
 * Every search starts at the cursor in the list's partial index (store_sql.c's LIST_PAGE and
 * LIST_NEWER): articles_section_latest, articles_publication_latest, or articles_latest for a
 * month and for the walk of a prolific author's or tag's articles. Authors' and tags' pages
 * themselves are store_people.c's; only their "newer" search is here.
 */
#define _DEFAULT_SOURCE /* timegm */
#include <stdint.h>
#include <time.h>

#include "store_impl.h"

/* store_read_article as a store_row_reader. */
static void article_row(struct db_stmt *s, struct arena *a, void *item)
{
    store_read_article(s, a, item);
}

/* The page statement of a section's, publication's or period's list. */
static enum statement page_statement(enum store_list_kind kind)
{
    return kind == STORE_LIST_SECTION       ? STMT_LIST_SECTION_PAGE
           : kind == STORE_LIST_PUBLICATION ? STMT_LIST_PUBLICATION_PAGE
                                            : STMT_LIST_PERIOD_PAGE;
}

static int clamp_limit(int limit)
{
    return limit < 1 ? 1 : limit > STORE_ARTICLE_PAGE_MAX ? STORE_ARTICLE_PAGE_MAX : limit;
}

int store_list_page(struct store *st, struct arena *a, const struct store_list *list,
                    const struct article_cursor *after, int limit, struct article **out, size_t *n,
                    int *more)
{
    if (list->kind == STORE_LIST_AUTHOR)
        return store_author_articles(st, a, list->id, after, limit, out, n, more);
    if (list->kind == STORE_LIST_TAG)
        return store_tag_articles(st, a, list->id, after, limit, out, n, more);
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    limit = clamp_limit(limit);
    if (!c || !(s = store_stmt(c, page_statement(list->kind), NULL, 0)))
        goto out;
    int period = list->kind == STORE_LIST_PERIOD;
    db_bind_int64(s, 1, period ? list->from : list->id);
    /* No cursor: after a key greater than any of the list's: (INT64_MAX, INT64_MAX), or for a
     * period (its end, 0), before which come exactly the articles published before its end. */
    db_bind_int64(s, 2, after ? after->published_at : period ? list->to : INT64_MAX);
    db_bind_int64(s, 3, after ? after->id : period ? 0 : INT64_MAX);
    db_bind_int64(s, 4, limit + 1); /* one more than asked: whether there is a next page */
    struct article *items;
    size_t count;
    rc = store_read_rows(c, s, a, sizeof *items, article_row, "listing a list's articles",
                         (void **)&items, &count);
    if (rc == STORE_OK) {
        *more = count > (size_t)limit;
        *n = *more ? (size_t)limit : count;
        *out = *n ? items : NULL;
    }
out:
    db_reset(s);
    return rc;
}

int store_list_cursor(struct store *st, const struct store_list *list, int64_t article_id,
                      struct article_cursor *out)
{
    if (list->kind == STORE_LIST_AUTHOR)
        return store_author_article_cursor(st, list->id, article_id, out);
    if (list->kind == STORE_LIST_TAG)
        return store_tag_article_cursor(st, list->id, article_id, out);
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_LIST_KEY, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, article_id);
    rc = store_step_one(c, s, "looking up a list's cursor");
    if (rc != STORE_OK)
        goto out;
    int64_t published_at = db_column_int64(s, 0);
    int in_list = list->kind == STORE_LIST_SECTION ? db_column_int64(s, 2) == list->id
                  : list->kind == STORE_LIST_PUBLICATION
                      ? db_column_int64(s, 3) == list->id
                      : published_at >= list->from && published_at < list->to;
    if (!in_list) {
        rc = STORE_NOT_FOUND;
        goto out;
    }
    out->published_at = published_at;
    out->id = db_column_int64(s, 1);
out:
    db_reset(s);
    return rc;
}

/* The "newer" statement of list, and the value of its ?1; for an author or a tag, chosen by
 * how many articles name it, as store_people.c chooses its pages' plan (WALK_FROM). */
static int newer_statement(struct db_conn *c, const struct store_list *list, enum statement *id,
                           int64_t *first)
{
    *first = list->id;
    switch (list->kind) {
    case STORE_LIST_SECTION: *id = STMT_LIST_SECTION_NEWER; return STORE_OK;
    case STORE_LIST_PUBLICATION: *id = STMT_LIST_PUBLICATION_NEWER; return STORE_OK;
    case STORE_LIST_PERIOD:
        *id = STMT_LIST_PERIOD_NEWER;
        *first = list->to;
        return STORE_OK;
    case STORE_LIST_AUTHOR:
    case STORE_LIST_TAG: break;
    }
    int author = list->kind == STORE_LIST_AUTHOR;
    struct db_stmt *s =
        store_stmt(c, author ? STMT_AUTHOR_LINKS_UP_TO : STMT_TAG_LINKS_UP_TO, NULL, 0);
    if (!s)
        return STORE_ERROR;
    db_bind_int64(s, 1, list->id);
    db_bind_int64(s, 2, WALK_FROM);
    int rc = store_step_one(c, s, "counting a list's articles");
    int64_t links = rc == STORE_OK ? db_column_int64(s, 0) : 0;
    db_reset(s);
    if (links >= WALK_FROM)
        *id = author ? STMT_LIST_AUTHOR_NEWER_LATEST : STMT_LIST_TAG_NEWER_LATEST;
    else
        *id = author ? STMT_LIST_AUTHOR_NEWER : STMT_LIST_TAG_NEWER;
    return rc;
}

int store_list_newer(struct store *st, const struct store_list *list,
                     const struct article_cursor *at, int count, int64_t *id)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    enum statement which;
    int64_t first;
    count = clamp_limit(count);
    if (!c || newer_statement(c, list, &which, &first) != STORE_OK ||
        !(s = store_stmt(c, which, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, first);
    db_bind_int64(s, 2, at->published_at);
    db_bind_int64(s, 3, at->id);
    db_bind_int64(s, 4, count);
    int seen = 0, step;
    int64_t last = 0;
    while ((step = db_step(s)) == DB_ROW) {
        last = db_column_int64(s, 0);
        seen++;
    }
    if (step != DB_DONE) {
        store_report(NULL, 0, "looking for a page's newer articles: %s", db_errmsg(c));
        goto out;
    }
    *id = seen == count ? last : 0;
    rc = STORE_OK;
out:
    db_reset(s);
    return rc;
}

/* The first second (UTC) of the month of t. */
static int64_t month_start(int64_t t)
{
    time_t when = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&when, &tm))
        return t;
    tm.tm_mday = 1;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    return (int64_t)timegm(&tm);
}

int store_list_months(struct store *st, int64_t from, int64_t to, int64_t *months, size_t max,
                      size_t *n)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    *n = 0;
    if (!c || !(s = store_stmt(c, STMT_LIST_NEWEST_BEFORE, NULL, 0)))
        goto out;
    /* From the end down: the newest article before the bound names a month that has articles;
     * the next search starts below that month's first second, so each month costs one seek. */
    int64_t bound = to;
    while (*n < max) {
        db_bind_int64(s, 1, bound);
        int step = db_step(s);
        if (step == DB_FAIL) {
            store_report(NULL, 0, "listing the archive's months: %s", db_errmsg(c));
            goto out;
        }
        if (step != DB_ROW)
            break;
        int64_t newest = db_column_int64(s, 0);
        db_reset(s);
        if (newest < from)
            break;
        int64_t month = month_start(newest);
        if (month >= bound) /* cannot be, unless the clock's calendar is broken: stop, not spin */
            break;
        months[(*n)++] = month;
        bound = month;
    }
    rc = STORE_OK;
out:
    db_reset(s);
    return rc;
}
