/*
 * store_share.c: what the article page's share metadata reads of an article beyond the reader's
 * record (issue 12, "Share metadata"): its search-engine description and the URL of the
 * original it was carried from (migration 016). See store.h.
 */
#include "store_impl.h"

int store_article_share(struct store *st, struct arena *a, int64_t id, struct article_share *out)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_ARTICLE_SHARE, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, id);
    rc = store_step_one(c, s, "article %lld's share fields", (long long)id);
    if (rc == STORE_OK) {
        out->seo_description = store_column_text(s, 0, a);
        out->original_url = store_column_text(s, 1, a);
    }
out:
    db_reset(s);
    return rc;
}
