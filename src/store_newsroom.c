/*
 * store_newsroom.c: the part of store.h the newsroom's pieces share: the audit log's writes and
 * an article's revisions as they are made (each noted in the item log, store_items.c).
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "store_impl.h"
#include "util.h"

int store_audit_add(struct store *st, const struct audit_entry *e)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!e->action || !*e->action) {
        store_report(NULL, 0, "store_audit_add: no action");
        return STORE_ERROR;
    }
    if (!c || !(s = store_stmt(c, STMT_AUDIT_ADD, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, e->at ? e->at : util_now());
    db_bind_int64(s, 2, e->user_id);
    db_bind_text(s, 3, e->action);
    db_bind_int64(s, 4, e->article_id);
    db_bind_text(s, 5, e->subject ? e->subject : "");
    db_bind_text(s, 6, e->detail ? e->detail : "");
    db_bind_text(s, 7, e->user_id ? "(deleted account)" : "broadsheet (command line)");
    rc = store_step_write(c, s, 1, "audit log entry");
out:
    db_reset(s);
    return rc;
}

/* The ids statement id (one column, ?1 = article_id) yields, comma-separated in order, into
 * out. 0 or STORE_ERROR. */
static int id_list(struct db_conn *c, enum statement id, int64_t article_id, struct buf *out)
{
    struct db_stmt *s = store_stmt(c, id, NULL, 0);
    if (!s)
        return STORE_ERROR;
    db_bind_int64(s, 1, article_id);
    int step;
    while ((step = db_step(s)) == DB_ROW)
        buf_printf(out, "%s%lld", out->len ? "," : "", (long long)db_column_int64(s, 0));
    /* the failure is read before the reset, which may clear it */
    int rc = step == DB_DONE ? 0 : store_step_failed(c, "article's authors or tags");
    db_reset(s);
    return rc;
}

int store_revision_snapshot(struct store *st, int64_t article_id, int64_t user_id, int64_t now,
                            int64_t *revision_id)
{
    return store_revision_snapshot_noted(st, article_id, user_id, now, revision_id, NULL);
}

/* The revision of article_id's current version, at `at` by user_id (0: none), its id into
 * *revision_id. STORE_OK, STORE_NOT_FOUND, STORE_CONFLICT or STORE_ERROR. */
static int revision_insert(struct db_conn *c, int64_t article_id, int64_t user_id, int64_t at,
                           int64_t *revision_id)
{
    struct db_stmt *s = NULL;
    struct buf authors = BUF_INIT, tags = BUF_INIT;
    int rc = STORE_ERROR;
    if (id_list(c, STMT_ARTICLE_AUTHOR_IDS, article_id, &authors) != 0 ||
        id_list(c, STMT_ARTICLE_TAG_IDS, article_id, &tags) != 0)
        goto out;
    if (!(s = store_stmt(c, STMT_REVISION_SNAPSHOT, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, article_id);
    db_bind_int64(s, 2, user_id);
    db_bind_int64(s, 3, at);
    db_bind_text(s, 4, authors.len ? authors.data : "");
    db_bind_text(s, 5, tags.len ? tags.data : "");
    rc = store_step_insert(c, s, revision_id, "article revision");
out:
    db_reset(s);
    buf_free(&authors);
    buf_free(&tags);
    return rc;
}

int revision_keep(struct db_conn *c, int64_t article_id, const char *slug)
{
    struct db_stmt *s =
        store_stmt(c, slug ? STMT_REVISION_MISSING_SLUG : STMT_REVISION_MISSING, NULL, 0);
    if (!s)
        return STORE_ERROR;
    if (slug)
        db_bind_text(s, 1, slug);
    else
        db_bind_int64(s, 1, article_id);
    int rc = store_step_one(c, s, "looking for an article's revision");
    int64_t id = rc == STORE_OK ? db_column_int64(s, 0) : 0;
    int64_t at = rc == STORE_OK ? db_column_int64(s, 1) : 0;
    db_reset(s);
    if (rc != STORE_OK) /* none to keep: a new article, or its version has its revision */
        return rc == STORE_NOT_FOUND ? 0 : STORE_ERROR;
    return revision_insert(c, id, 0, at, NULL) == STORE_OK ? 0 : STORE_ERROR;
}

int store_revision_snapshot_noted(struct store *st, int64_t article_id, int64_t user_id,
                                  int64_t now, int64_t *revision_id, const char *ednote)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    if (!c)
        return STORE_ERROR;
    int rc = revision_insert(c, article_id, user_id, now, revision_id);
    /* the version, for partners when they may see it (store_items.c) */
    if (rc == STORE_OK && item_log_note(c, article_id, now, ednote) != 0)
        rc = STORE_ERROR;
    return rc;
}
