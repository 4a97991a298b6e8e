/*
 * store_webhooks.c: the part of store.h for partners' webhooks (issue 13, "Push", migration
 * 022): a webhook per partner with its cursor in the item log and its lease, and the delivery
 * log. The delivery itself is webhook.c's.
 *
 * Claiming is the mail queue's way (store_mail.c): a read chooses due webhooks, and one
 * conditional UPDATE per webhook, committed at once, leases it; of two workers that chose the
 * same webhook one UPDATE changes nothing and that worker leaves it. Every later write of a
 * delivery's outcome names the lease's owner, so a worker that lost its lease (it expired while
 * the database refused a write) cannot move another's cursor or undo its outcome.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"
#include "util.h"

#define CLAIM_MAX 64 /* webhooks one claim looks at, at most */

/* Reads the current row of s (STMT_WEBHOOK_GET order) into w (strings from a). */
static void read_webhook(struct db_stmt *s, struct arena *a, struct partner_webhook *w)
{
    w->partner_id = db_column_int64(s, 0);
    w->partner_slug = store_column_text(s, 1, a);
    w->content = store_column_text(s, 2, a);
    w->url = store_column_text(s, 3, a);
    w->secret = store_column_text(s, 4, a);
    w->cursor = db_column_int64(s, 5);
    w->attempts = (int)db_column_int64(s, 6);
    w->next_attempt_at = db_column_int64(s, 7);
    w->lease_owner = store_column_text(s, 8, a);
    w->lease_until = db_column_int64(s, 9);
    w->last_status = (int)db_column_int64(s, 10);
    w->last_error = store_column_text(s, 11, a);
    w->created_at = db_column_int64(s, 12);
}

/* store_webhook_get on connection c. */
static int webhook_get(struct db_conn *c, struct arena *a, int64_t partner_id,
                       struct partner_webhook *out)
{
    struct db_stmt *s = store_stmt(c, STMT_WEBHOOK_GET, NULL, 0);
    if (!s)
        return STORE_ERROR;
    db_bind_int64(s, 1, partner_id);
    int rc = store_step_one(c, s, "reading partner %lld's webhook", (long long)partner_id);
    if (rc == STORE_OK)
        read_webhook(s, a, out);
    db_reset(s);
    return rc;
}

int store_webhook_get(struct store *st, struct arena *a, int64_t partner_id,
                      struct partner_webhook *out)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    return c ? webhook_get(c, a, partner_id, out) : STORE_ERROR;
}

int store_webhook_add(struct store *st, int64_t partner_id, const char *url, const char *secret,
                      int64_t now)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_WEBHOOK_INSERT, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, partner_id);
    db_bind_text(s, 2, url);
    db_bind_text(s, 3, secret);
    db_bind_int64(s, 4, now);
    rc = store_step_insert(c, s, NULL, "adding a webhook");
    db_reset(s);
    s = NULL;
    /* No row: the partner has a webhook already (ON CONFLICT DO NOTHING), or it is gone (a
     * foreign key refused it). Which one, the row tells. */
    if (rc == STORE_NOT_FOUND || rc == STORE_CONFLICT) {
        struct arena *a = arena_new(0);
        struct partner_webhook w;
        int found = webhook_get(c, a, partner_id, &w);
        arena_free(a);
        rc = found == STORE_OK          ? STORE_CONFLICT
             : found == STORE_NOT_FOUND ? STORE_NOT_FOUND
                                        : STORE_ERROR;
    }
out:
    db_reset(s);
    return rc;
}

/* Runs statement id with ?1 = partner_id and ?2 = text, which must change a row. */
static int write_text(struct store *st, enum statement id, int64_t partner_id, const char *text,
                      const char *what)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, id, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, partner_id);
    db_bind_text(s, 2, text);
    rc = store_step_write(c, s, 1, what);
out:
    db_reset(s);
    return rc;
}

int store_webhook_set_url(struct store *st, int64_t partner_id, const char *url)
{
    return write_text(st, STMT_WEBHOOK_SET_URL, partner_id, url, "changing a webhook's URL");
}

int store_webhook_set_secret(struct store *st, int64_t partner_id, const char *secret)
{
    return write_text(st, STMT_WEBHOOK_SET_SECRET, partner_id, secret,
                      "changing a webhook's secret");
}

int store_webhook_remove(struct store *st, int64_t partner_id)
{
    return store_write_ids(st, STMT_WEBHOOK_DELETE, 1, partner_id, 0, 1, "removing a webhook");
}

int store_webhooks_claim(struct store *st, struct arena *a, const char *owner, int64_t now,
                         int64_t lease_until, size_t max, struct partner_webhook **out, size_t *n)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int64_t ids[CLAIM_MAX], last = 0;
    size_t nids = 0;
    int rc = STORE_ERROR, step;
    *out = NULL;
    *n = 0;
    if (!c)
        return STORE_ERROR;
    if (!store_present(owner) || lease_until <= now) {
        store_report(NULL, 0,
                     "claiming webhooks: an owner and a lease ending after now are "
                     "required");
        return STORE_ERROR;
    }
    if (max == 0)
        return STORE_OK;
    if (max > CLAIM_MAX)
        max = CLAIM_MAX;
    /* The log's end first: a webhook whose cursor is there has nothing to deliver. */
    if (!(s = store_stmt(c, STMT_ITEM_LOG_LAST, NULL, 0)))
        goto out;
    if ((rc = store_step_one(c, s, "reading the item log's end")) != STORE_OK)
        goto out;
    last = db_column_int64(s, 0);
    db_reset(s);
    rc = STORE_ERROR;
    if (!(s = store_stmt(c, STMT_WEBHOOK_DUE, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, now);
    db_bind_int64(s, 2, last);
    db_bind_int64(s, 3, (int64_t)max);
    while (nids < max && (step = db_step(s)) == DB_ROW)
        ids[nids++] = db_column_int64(s, 0);
    if (nids < max && step != DB_DONE) {
        store_step_failed(c, "looking for due webhooks");
        goto out;
    }
    db_reset(s);
    s = NULL;
    struct partner_webhook *claimed = arena_alloc(a, (nids ? nids : 1) * sizeof *claimed);
    size_t count = 0;
    for (size_t i = 0; i < nids; i++) {
        if (!(s = store_stmt(c, STMT_WEBHOOK_CLAIM, NULL, 0)))
            goto out;
        db_bind_int64(s, 1, ids[i]);
        db_bind_int64(s, 2, now);
        db_bind_text(s, 3, owner);
        db_bind_int64(s, 4, lease_until);
        int won = store_step_write(c, s, 1, "claiming a webhook");
        db_reset(s);
        s = NULL;
        if (won == STORE_NOT_FOUND)
            continue; /* another worker took it first, or it was removed */
        if (won != STORE_OK)
            break; /* what is claimed so far is returned; the rest waits */
        int got = webhook_get(c, a, ids[i], &claimed[count]);
        if (got == STORE_OK && !strcmp(claimed[count].lease_owner, owner))
            count++;
        else if (got == STORE_ERROR)
            break; /* the lease ends by itself */
    }
    *out = claimed;
    *n = count;
    rc = STORE_OK;
out:
    db_reset(s);
    return rc;
}

/* Statement id on the calling thread's connection (into *c) with ?1 = partner_id and ?2 =
 * owner bound, or NULL (reported). */
static struct db_stmt *lease_stmt(struct store *st, struct db_conn **c, enum statement id,
                                  int64_t partner_id, const char *owner)
{
    *c = store_conn(st, NULL, 0);
    struct db_stmt *s = *c ? store_stmt(*c, id, NULL, 0) : NULL;
    if (s) {
        db_bind_int64(s, 1, partner_id);
        db_bind_text(s, 2, owner);
    }
    return s;
}

int store_webhook_delivered(struct store *st, int64_t partner_id, const char *owner, int64_t seq,
                            int status, int64_t lease_until)
{
    struct db_conn *c;
    struct db_stmt *s = lease_stmt(st, &c, STMT_WEBHOOK_DELIVERED, partner_id, owner);
    if (!s)
        return STORE_ERROR;
    db_bind_int64(s, 3, seq);
    db_bind_int64(s, 4, lease_until);
    db_bind_int64(s, 5, status);
    int rc = store_step_write(c, s, 1, "recording a webhook delivery");
    db_reset(s);
    return rc;
}

int store_webhook_failed(struct store *st, int64_t partner_id, const char *owner,
                         int64_t next_attempt_at, int status, const char *error)
{
    struct db_conn *c;
    struct db_stmt *s = lease_stmt(st, &c, STMT_WEBHOOK_FAILED, partner_id, owner);
    if (!s)
        return STORE_ERROR;
    db_bind_int64(s, 3, next_attempt_at);
    db_bind_int64(s, 4, status);
    db_bind_text(s, 5, error ? error : "");
    int rc = store_step_write(c, s, 1, "recording a failed webhook delivery");
    db_reset(s);
    return rc;
}

int store_webhook_release(struct store *st, int64_t partner_id, const char *owner, int64_t cursor)
{
    struct db_conn *c;
    struct db_stmt *s = lease_stmt(st, &c, STMT_WEBHOOK_RELEASE, partner_id, owner);
    if (!s)
        return STORE_ERROR;
    db_bind_int64(s, 3, cursor);
    int rc = store_step_write(c, s, 1, "releasing a webhook");
    db_reset(s);
    return rc;
}

int store_webhook_log(struct store *st, int64_t partner_id, const struct webhook_delivery *d)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_WEBHOOK_LOG_ADD, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, partner_id);
    db_bind_int64(s, 2, d->seq);
    db_bind_int64(s, 3, d->article_id);
    db_bind_int64(s, 4, d->version);
    db_bind_int64(s, 5, d->attempt);
    db_bind_int64(s, 6, d->status);
    db_bind_text(s, 7, d->error ? d->error : "");
    db_bind_int64(s, 8, d->duration_ms);
    db_bind_int64(s, 9, d->at);
    rc = store_step_write(c, s, 0, "logging a webhook delivery");
out:
    db_reset(s);
    return rc;
}

/* A delivery log row (STMT_WEBHOOK_DELIVERIES order) into item, a struct webhook_delivery. */
static void read_delivery(struct db_stmt *s, struct arena *a, void *item)
{
    struct webhook_delivery *d = item;
    d->id = db_column_int64(s, 0);
    d->seq = db_column_int64(s, 1);
    d->article_id = db_column_int64(s, 2);
    d->version = db_column_int64(s, 3);
    d->attempt = (int)db_column_int64(s, 4);
    d->status = (int)db_column_int64(s, 5);
    d->error = store_column_text(s, 6, a);
    d->duration_ms = db_column_int64(s, 7);
    d->at = db_column_int64(s, 8);
}

int store_webhook_deliveries(struct store *st, struct arena *a, int64_t partner_id, int limit,
                             struct webhook_delivery **out, size_t *n)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (limit < 1 || limit > 1000)
        return STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_WEBHOOK_DELIVERIES, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, partner_id);
    db_bind_int64(s, 2, limit);
    void *rows = NULL;
    rc =
        store_read_rows(c, s, a, sizeof **out, read_delivery, "reading the delivery log", &rows, n);
    if (rc == STORE_OK)
        *out = rows;
out:
    db_reset(s);
    return rc;
}

/* Deletes all but the newest keep attempts of partner_id's log. */
static int prune_one(struct db_conn *c, int64_t partner_id, int keep)
{
    struct db_stmt *s = store_stmt(c, STMT_WEBHOOK_PRUNE_CUT, NULL, 0);
    if (!s)
        return STORE_ERROR;
    db_bind_int64(s, 1, partner_id);
    db_bind_int64(s, 2, keep);
    int rc = store_step_one(c, s, "finding where a delivery log ends");
    int64_t cut = rc == STORE_OK ? db_column_int64(s, 0) : 0;
    db_reset(s);
    if (rc != STORE_OK)
        return rc == STORE_NOT_FOUND ? STORE_OK : STORE_ERROR; /* no more than keep */
    if (!(s = store_stmt(c, STMT_WEBHOOK_PRUNE, NULL, 0)))
        return STORE_ERROR;
    db_bind_int64(s, 1, partner_id);
    db_bind_int64(s, 2, cut);
    rc = store_step_write(c, s, 0, "pruning a delivery log");
    db_reset(s);
    return rc;
}

int store_webhook_prune(struct store *st, int keep)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    if (!c || keep < 0)
        return STORE_ERROR;
    int64_t after = 0;
    for (;;) {
        int64_t ids[100];
        size_t n = 0;
        int step;
        struct db_stmt *s = store_stmt(c, STMT_WEBHOOK_PARTNERS_AFTER, NULL, 0);
        if (!s)
            return STORE_ERROR;
        db_bind_int64(s, 1, after);
        while (n < 100 && (step = db_step(s)) == DB_ROW)
            ids[n++] = db_column_int64(s, 0);
        int failed = n < 100 && step != DB_DONE;
        if (failed)
            store_step_failed(c, "listing webhooks");
        db_reset(s);
        if (failed)
            return STORE_ERROR;
        for (size_t i = 0; i < n; i++)
            if (prune_one(c, ids[i], keep) != STORE_OK)
                return STORE_ERROR;
        if (n < 100)
            return STORE_OK;
        after = ids[n - 1];
    }
}
