/*
 * store_feeds.c: what the feeds (issue 12, page_feed.c) read beyond the reader's lists: an
 * item's bodies. See store.h.
 */
#include "store_impl.h"

int store_article_body(struct store *st, struct arena *a, int64_t id, const char **html,
                       const char **markdown)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_FEED_ARTICLE_BODY, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, id);
    rc = store_step_one(c, s, "article %lld's body", (long long)id);
    if (rc == STORE_OK) {
        *html = store_column_text(s, 0, a);
        *markdown = store_column_text(s, 1, a);
    }
out:
    db_reset(s);
    return rc;
}
