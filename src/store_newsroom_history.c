/*
 * store_newsroom_history.c: the part of store.h for an article's past and its corrections: the
 * newsroom's view of one article in any state, its revisions (list, one, restore as a new
 * version), corrections (add, list), when it was last updated after publication, and the old
 * paths that redirect to it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "store_impl.h"
#include "util.h"

#define CORRECTIONS_LIMIT 200 /* corrections shown per article, at most */

int store_history_article(struct store *st, struct arena *a, int64_t id,
                          struct history_article *out)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_HISTORY_ARTICLE, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, id);
    rc = store_step_one(c, s, "article %lld", (long long)id);
    if (rc != STORE_OK)
        goto out;
    store_read_article(s, a, &out->article);
    int col = ARTICLE_NCOLUMNS + PUBLICATION_NCOLUMNS + SECTION_NCOLUMNS;
    out->state = store_column_text(s, col, a);
    out->version = db_column_int64(s, col + 1);
    out->created_by = db_column_int64(s, col + 2);
    out->updated_by = db_column_int64(s, col + 3);
    out->updated_by_name = store_column_text(s, col + 4, a);
    out->seo_title = store_column_text(s, col + 5, a);
    out->seo_description = store_column_text(s, col + 6, a);
    out->editor_note = store_column_text(s, col + 7, a);
    out->killed_at = db_column_int64(s, col + 8);
out:
    db_reset(s);
    return rc;
}

/* Reads a revision row (HISTORY_REVISION_SELECT's order; a store_row_reader). */
static void read_revision(struct db_stmt *s, struct arena *a, void *item)
{
    struct revision *r = item;
    r->id = db_column_int64(s, 0);
    r->article_id = db_column_int64(s, 1);
    r->version = db_column_int64(s, 2);
    r->user_id = db_column_int64(s, 3);
    r->user_name = store_column_text(s, 4, a);
    r->created_at = db_column_int64(s, 5);
    r->state = store_column_text(s, 6, a);
    r->slug = store_column_text(s, 7, a);
    r->publication_id = db_column_int64(s, 8);
    r->section_id = db_column_int64(s, 9);
    r->publication_name = store_column_text(s, 10, a);
    r->section_name = store_column_text(s, 11, a);
    r->access = store_column_text(s, 12, a);
    r->headline = store_column_text(s, 13, a);
    r->dek = store_column_text(s, 14, a);
    r->byline = store_column_text(s, 15, a);
    r->author_ids = store_column_text(s, 16, a);
    r->tag_ids = store_column_text(s, 17, a);
    r->seo_title = store_column_text(s, 18, a);
    r->seo_description = store_column_text(s, 19, a);
    r->editor_note = store_column_text(s, 20, a);
    r->body_markdown = store_column_text(s, 21, a);
    r->original_url = store_column_text(s, 22, a);
}

int store_revisions(struct store *st, struct arena *a, int64_t article_id, int64_t before,
                    int limit, struct revision **out, size_t *n)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (limit <= 0)
        limit = 50;
    if (limit > MAX_LIST_LIMIT)
        limit = MAX_LIST_LIMIT;
    if (!c || !(s = store_stmt(c, STMT_HISTORY_REVISIONS, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, article_id);
    db_bind_int64(s, 2, before > 0 ? before : INT64_MAX);
    db_bind_int64(s, 3, limit);
    rc = store_read_rows(c, s, a, sizeof **out, read_revision, "article's revisions", (void **)out,
                         n);
out:
    db_reset(s);
    return rc;
}

int store_revision(struct store *st, struct arena *a, int64_t article_id, int64_t version,
                   struct revision *out)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_HISTORY_REVISION, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, article_id);
    db_bind_int64(s, 2, version);
    rc = store_step_one(c, s, "revision %lld of article %lld", (long long)version,
                        (long long)article_id);
    if (rc == STORE_OK)
        read_revision(s, a, out);
out:
    db_reset(s);
    return rc;
}

/* Replaces the article's links (clear, then link) with the ids listed in ids ("3,7"), in
 * order, skipping those link finds no more. 0 or STORE_ERROR. */
static int relink(struct db_conn *c, enum statement clear, enum statement link, int64_t article_id,
                  const char *ids)
{
    struct db_stmt *s = store_stmt(c, clear, NULL, 0);
    if (!s)
        return STORE_ERROR;
    db_bind_int64(s, 1, article_id);
    int rc = store_step_write(c, s, 0, "article's links");
    db_reset(s);
    if (rc != STORE_OK)
        return STORE_ERROR;
    int position = 0;
    for (const char *p = ids; p && *p;) {
        char *end;
        long long id = strtoll(p, &end, 10);
        if (end == p)
            break; /* the snapshot writes digits and commas only */
        if (id > 0) {
            if (!(s = store_stmt(c, link, NULL, 0)))
                return STORE_ERROR;
            db_bind_int64(s, 1, article_id);
            db_bind_int64(s, 2, id);
            db_bind_int64(s, 3, position++);
            rc = store_step_write(c, s, 0, "article's link");
            db_reset(s);
            if (rc != STORE_OK)
                return STORE_ERROR;
        }
        p = *end == ',' ? end + 1 : end;
    }
    return 0;
}

int store_revision_restore(struct store *st, const struct revision_restore *q, int64_t *new_version)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    struct arena *a = arena_new(0);
    int rc = STORE_ERROR, began = 0;
    struct revision rev;
    int64_t version = 0;
    if (!c || !q->body_html)
        goto out;
    if (store_tx_begin(c, NULL, 0) != 0)
        goto out;
    began = 1;
    if (item_log_lock(c) != 0)
        goto out;
    if ((rc = store_revision(st, a, q->article_id, q->version, &rev)) != STORE_OK)
        goto out;
    rc = STORE_ERROR;
    if (revision_keep(c, q->article_id, NULL) != 0 ||
        !(s = store_stmt(c, STMT_HISTORY_RESTORE, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, q->article_id);
    db_bind_int64(s, 2, q->version);
    db_bind_int64(s, 3, q->seen_version);
    db_bind_int64(s, 4, q->user_id);
    db_bind_int64(s, 5, q->may_edit_any ? 1 : 0);
    db_bind_text(s, 6, q->body_html);
    db_bind_int64(s, 7, q->now);
    rc = store_step_insert(c, s, &version, "restoring a revision");
    db_reset(s);
    s = NULL;
    if (rc == STORE_NOT_FOUND) {
        /* No row: the article is gone, moved on, or no longer this person's to edit. */
        struct history_article now;
        rc = store_history_article(st, a, q->article_id, &now);
        if (rc == STORE_OK)
            rc = STORE_CONFLICT;
        goto out;
    }
    if (rc != STORE_OK)
        goto out;
    rc = STORE_ERROR;
    if (store_search_put(st, c, q->article_id, NULL, 0) != 0) /* its search index row */
        goto out;
    if (relink(c, STMT_HISTORY_AUTHORS_CLEAR, STMT_HISTORY_AUTHOR_LINK, q->article_id,
               rev.author_ids) != 0 ||
        relink(c, STMT_HISTORY_TAGS_CLEAR, STMT_HISTORY_TAG_LINK, q->article_id, rev.tag_ids) != 0)
        goto out;
    if (store_revision_snapshot(st, q->article_id, q->user_id, q->now, NULL) != STORE_OK)
        goto out;
    char detail[96];
    snprintf(detail, sizeof detail, "restored version %lld as version %lld", (long long)q->version,
             (long long)version);
    struct audit_entry e = {.at = q->now,
                            .user_id = q->user_id,
                            .action = "article.restore",
                            .article_id = q->article_id,
                            .subject = rev.headline,
                            .detail = detail};
    if (store_audit_add(st, &e) != STORE_OK)
        goto out;
    if (store_tx_commit(c, NULL, 0) != 0) {
        began = 0; /* a failed commit has rolled back */
        goto out;
    }
    began = 0;
    if (new_version)
        *new_version = version;
    rc = STORE_OK;
out:
    db_reset(s);
    if (began)
        store_tx_rollback(c);
    arena_free(a);
    return rc;
}

int store_correction_add(struct store *st, int64_t article_id, int64_t user_id, const char *body,
                         int64_t now, int64_t *new_version)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    struct arena *a = arena_new(0);
    int rc = STORE_ERROR, began = 0;
    size_t len = body ? strlen(body) : 0;
    if (!c)
        goto out;
    if (!len || len > CORRECTION_MAX_BYTES || !util_utf8_valid(body, len)) {
        store_report(NULL, 0, "store_correction_add: the text must be 1 to %d bytes of UTF-8",
                     CORRECTION_MAX_BYTES);
        goto out;
    }
    if (store_tx_begin(c, NULL, 0) != 0)
        goto out;
    began = 1;
    if (item_log_lock(c) != 0 || !(s = store_stmt(c, STMT_HISTORY_CORRECTION_ADD, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, article_id);
    db_bind_int64(s, 2, user_id);
    db_bind_int64(s, 3, now);
    db_bind_text(s, 4, body);
    if ((rc = store_step_insert(c, s, NULL, "article correction")) != STORE_OK)
        goto out;
    db_reset(s);
    rc = STORE_ERROR;
    if (revision_keep(c, article_id, NULL) != 0 ||
        !(s = store_stmt(c, STMT_HISTORY_CORRECTION_BUMP, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, article_id);
    db_bind_int64(s, 2, user_id);
    db_bind_int64(s, 3, now);
    if ((rc = store_step_write(c, s, 1, "correcting an article")) != STORE_OK)
        goto out;
    db_reset(s);
    s = NULL;
    rc = STORE_ERROR;
    struct history_article art;
    if (store_history_article(st, a, article_id, &art) != STORE_OK ||
        store_revision_snapshot_noted(st, article_id, user_id, now, NULL,
                                      arena_printf(a, "Correction: %s", body)) != STORE_OK)
        goto out;
    struct audit_entry e = {.at = now,
                            .user_id = user_id,
                            .action = "article.correct",
                            .article_id = article_id,
                            .subject = art.article.headline,
                            .detail = body};
    if (store_audit_add(st, &e) != STORE_OK)
        goto out;
    if (store_tx_commit(c, NULL, 0) != 0) {
        began = 0;
        goto out;
    }
    began = 0;
    if (new_version)
        *new_version = art.version;
    rc = STORE_OK;
out:
    db_reset(s);
    if (began)
        store_tx_rollback(c);
    arena_free(a);
    return rc;
}

/* Reads a correction row (a store_row_reader). */
static void read_correction(struct db_stmt *s, struct arena *a, void *item)
{
    struct correction *k = item;
    k->id = db_column_int64(s, 0);
    k->article_id = db_column_int64(s, 1);
    k->user_id = db_column_int64(s, 2);
    k->user_name = store_column_text(s, 3, a);
    k->created_at = db_column_int64(s, 4);
    k->body = store_column_text(s, 5, a);
}

int store_corrections(struct store *st, struct arena *a, int64_t article_id, int live_only,
                      struct correction **out, size_t *n)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c ||
        !(s = store_stmt(c, live_only ? STMT_HISTORY_CORRECTIONS_LIVE : STMT_HISTORY_CORRECTIONS,
                         NULL, 0)))
        goto out;
    db_bind_int64(s, 1, article_id);
    db_bind_int64(s, 2, CORRECTIONS_LIMIT);
    rc = store_read_rows(c, s, a, sizeof **out, read_correction, "article's corrections",
                         (void **)out, n);
out:
    db_reset(s);
    return rc;
}

int store_article_modified_at(struct store *st, int64_t article_id, int64_t *at)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_HISTORY_MODIFIED_AT, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, article_id);
    db_bind_int64(s, 2, HISTORY_UPDATE_GRACE);
    if (store_step_one(c, s, "article %lld's last update", (long long)article_id) != STORE_OK)
        goto out;
    *at = db_column_int64(s, 0);
    rc = STORE_OK;
out:
    db_reset(s);
    return rc;
}

int store_redirect_find(struct store *st, struct arena *a, const char *path, struct redirect *out)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_HISTORY_REDIRECT, NULL, 0)))
        goto out;
    db_bind_text(s, 1, path);
    rc = store_step_one(c, s, "redirect");
    if (rc == STORE_OK) {
        out->article_id = db_column_int64(s, 0);
        out->target = store_column_text(s, 1, a);
        out->slug = store_column_text(s, 2, a);
    }
out:
    db_reset(s);
    return rc;
}

int store_history_names(struct store *st, struct arena *a, int tags, const char *ids,
                        const char **names)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct buf joined = BUF_INIT;
    int rc = STORE_ERROR;
    if (!c)
        goto out;
    for (const char *p = ids; p && *p;) {
        char *end;
        long long id = strtoll(p, &end, 10);
        if (end == p)
            break;
        struct db_stmt *s =
            store_stmt(c, tags ? STMT_HISTORY_TAG_NAME : STMT_HISTORY_AUTHOR_NAME, NULL, 0);
        if (!s)
            goto out;
        db_bind_int64(s, 1, id);
        int found = store_step_one(c, s, "name %lld", id);
        if (found == STORE_OK)
            buf_printf(&joined, "%s%s", joined.len ? ", " : "", db_column_text(s, 0));
        db_reset(s);
        if (found == STORE_ERROR)
            goto out;
        p = *end == ',' ? end + 1 : end;
    }
    *names = arena_strndup(a, joined.data ? joined.data : "", joined.len);
    rc = STORE_OK;
out:
    buf_free(&joined);
    return rc;
}
