/*
 * store_mail.c: the part of store.h for the mail queue.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"
#include "util.h"

/* ---- the mail queue ------------------------------------------------------------------------ */

int store_mail_enqueue(struct store *st, const char *to, const char *subject, const char *text,
                       const char *html, int64_t now)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_MAIL_INSERT, NULL, 0)))
        goto out;
    db_bind_text(s, 1, to);
    db_bind_text(s, 2, subject);
    db_bind_text(s, 3, text);
    db_bind_text(s, 4, html);
    db_bind_int64(s, 5, now);
    rc = store_step_write(c, s, 1, "queueing mail");
out:
    db_reset(s);
    return rc;
}

/* Reads a queued mail row (STMT_MAIL_BY_ID order) into m (strings from a). */
static void read_mail(struct db_stmt *s, struct arena *a, struct queued_mail *m)
{
    m->id = db_column_int64(s, 0);
    m->to = store_column_text(s, 1, a);
    m->subject = store_column_text(s, 2, a);
    m->text = store_column_text(s, 3, a);
    m->html = store_column_text(s, 4, a);
    m->attempts = (int)db_column_int64(s, 5);
}

/* Rounds of store_mail_claim: a round that loses its message to another mailer tries the next
 * due one; this many lost races in a row end the call as if nothing were due (the caller comes
 * back soon). */
#define MAIL_CLAIM_ROUNDS 4

int store_mail_claim(struct store *st, struct arena *a, const char *owner, int64_t now,
                     int64_t lease_until, struct queued_mail *out)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c)
        return STORE_ERROR;
    if (!store_present(owner) || lease_until <= now) {
        store_report(NULL, 0, "claiming mail: an owner and a lease ending after now are required");
        return STORE_ERROR;
    }
    /* Looking is a read, so a mailer with nothing to do never takes the write lock; the claim
     * is one conditional UPDATE, committed at once, on both backends. Two mailers that look at
     * the same moment choose the same message; one claim changes nothing (STMT_MAIL_CLAIM) and
     * its mailer looks again, now past the message the other leased: every lost round is
     * another mailer's won claim, so nobody fights over one row for long. SELECT … FOR UPDATE
     * SKIP LOCKED would only spare that second look: it skips rows locked by a transaction
     * still open, and a claim's transaction ends with its UPDATE (holding it open for the
     * send would hold a connection and row locks for up to 30 s per message). */
    for (int round = 0; round < MAIL_CLAIM_ROUNDS; round++) {
        int64_t id;
        rc = STORE_ERROR;
        if (!(s = store_stmt(c, STMT_MAIL_NEXT_DUE, NULL, 0)))
            goto out;
        db_bind_int64(s, 1, now);
        if ((rc = store_step_one(c, s, "looking for due mail")) != STORE_OK)
            goto out; /* STORE_NOT_FOUND: nothing is due */
        id = db_column_int64(s, 0);
        db_reset(s);
        s = NULL;
        rc = STORE_ERROR;
        if (!(s = store_stmt(c, STMT_MAIL_CLAIM, NULL, 0)))
            goto out;
        db_bind_int64(s, 1, id);
        db_bind_int64(s, 2, now);
        db_bind_int64(s, 3, lease_until);
        db_bind_text(s, 4, owner);
        rc = store_step_write(c, s, 1, "claiming mail");
        db_reset(s);
        s = NULL;
        if (rc == STORE_NOT_FOUND)
            continue; /* another mailer took it first */
        if (rc != STORE_OK)
            goto out;
        rc = STORE_ERROR;
        if (!(s = store_stmt(c, STMT_MAIL_BY_ID, NULL, 0)))
            goto out;
        db_bind_int64(s, 1, id);
        int found = store_step_one(c, s, "reading claimed mail %lld", (long long)id);
        if (found == STORE_OK) {
            read_mail(s, a, out);
            rc = STORE_OK;
        } else if (found == STORE_NOT_FOUND) { /* deleted meanwhile, which nothing does */
            store_report(NULL, 0, "claimed mail %lld is gone", (long long)id);
        }
        goto out;
    }
    rc = STORE_NOT_FOUND;
out:
    db_reset(s);
    return rc;
}

int store_mail_waiting(struct store *st, int64_t *count)
{
    return store_meta_value(st, STMT_MAIL_WAITING, count, "mail queue's length");
}

int store_mail_sent(struct store *st, int64_t id, int64_t now)
{
    return store_write_ids(st, STMT_MAIL_SENT, 2, id, now, 0, "marking mail sent");
}

int store_mail_failed(struct store *st, int64_t id, const char *owner, int64_t next_attempt_at,
                      const char *error)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_MAIL_FAILED, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, id);
    db_bind_int64(s, 2, next_attempt_at);
    db_bind_text(s, 3, error);
    db_bind_text(s, 4, owner);
    /* No row changed: the lease is no longer owner's (STORE_NOT_FOUND). */
    rc = store_step_write(c, s, 1, "recording a failed delivery");
out:
    db_reset(s);
    return rc;
}
