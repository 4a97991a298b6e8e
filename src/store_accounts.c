/*
 * store_accounts.c: the part of store.h for users, sessions, mailed-link tokens and secrets.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"
#include "util.h"

/* --- Accounts (store.h) -------------------------------------------------------------------
 *
 * Single-row writes are one autocommit statement each: the database queues them behind
 * other writers, and the UNIQUE and FOREIGN KEY constraints, not a prior SELECT, decide a race
 * (two registrations of one email, a session created for a user being deleted). The driver's
 * error class tells those apart (db_error).
 * Consuming a token reads then writes, so it runs in a transaction.
 */

const char *store_role_name(enum role role)
{
    switch (role) {
    case ROLE_READER: return "reader";
    case ROLE_WRITER: return "writer";
    case ROLE_EDITOR: return "editor";
    case ROLE_ADMIN: return "admin";
    }
    return "reader"; /* not reachable for a valid enum; the least privilege is the safe one */
}

int store_role_parse(const char *name)
{
    static const char *const names[] = {"reader", "writer", "editor", "admin"};
    if (!name)
        return -1;
    for (size_t i = 0; i < ARRAY_LEN(names); i++)
        if (strcmp(name, names[i]) == 0)
            return (int)i;
    return -1;
}

/* 1 if role is one of enum role's values (a cast int may not be). */
static int role_valid(enum role role)
{
    return (unsigned)role <= ROLE_ADMIN;
}

/* A heap copy of s with ASCII letters lowercased (the caller frees it). Only ASCII: that is
 * what COLLATE NOCASE folds too, so lookups and the UNIQUE constraint agree with it. */
static char *lowercase_ascii(const char *s)
{
    char *copy = xstrdup(s ? s : "");
    for (char *p = copy; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return copy;
}

/* Reads a user from the current row of s, starting at column col (USER_COLUMNS order). */
static void read_user(struct db_stmt *s, int col, struct arena *a, struct user *u)
{
    u->id = db_column_int64(s, col);
    u->email = store_column_text(s, col + 1, a);
    u->display_name = store_column_text(s, col + 2, a);
    u->password_hash = store_column_text(s, col + 3, a);
    int role = store_role_parse(db_column_text(s, col + 4));
    u->role = role < 0 ? ROLE_READER : (enum role)role; /* CHECK forbids; least privilege */
    u->email_verified_at = db_column_int64(s, col + 5); /* NULL reads as 0 */
    u->created_at = db_column_int64(s, col + 6);
    u->disabled_at = db_column_int64(s, col + 7); /* NULL reads as 0: enabled */
}

/* read_user from column 0 (a store_row_reader). */
static void user_row(struct db_stmt *s, struct arena *a, void *item)
{
    read_user(s, 0, a, item);
}

/* Reads a session from the current row of s, starting at column col (SESSION_COLUMNS order). */
static void read_session(struct db_stmt *s, int col, struct arena *a, struct session *sess)
{
    sess->id = db_column_int64(s, col);
    sess->user_id = db_column_int64(s, col + 1);
    sess->created_at = db_column_int64(s, col + 2);
    sess->last_seen_at = db_column_int64(s, col + 3);
    sess->expires_at = db_column_int64(s, col + 4);
    sess->user_agent = store_column_text(s, col + 5, a);
    sess->ip = store_column_text(s, col + 6, a);
}

/* read_session from column 0 (a store_row_reader). */
static void session_row(struct db_stmt *s, struct arena *a, void *item)
{
    read_session(s, 0, a, item);
}

int store_user_create(struct store *st, const char *email, const char *display_name,
                      const char *password_hash, enum role role, int64_t *id)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    char *lower = NULL;
    int rc = STORE_ERROR;
    if (!c)
        goto out;
    if (!store_present(email) || !role_valid(role)) {
        store_report(NULL, 0, "creating a user: an email and a valid role are required");
        goto out;
    }
    if (!(s = store_stmt(c, STMT_USER_INSERT, NULL, 0)))
        goto out;
    lower = lowercase_ascii(email);
    db_bind_text(s, 1, lower);
    db_bind_text(s, 2, display_name);
    db_bind_text(s, 3, password_hash);
    db_bind_text(s, 4, store_role_name(role));
    db_bind_int64(s, 5, util_now());
    rc = store_step_insert(c, s, id, "creating a user");
    if (rc == STORE_NOT_FOUND) /* no row: an undo link holds the address */
        rc = STORE_CONFLICT;
out:
    db_reset(s);
    free(lower);
    return rc;
}

/* Runs the one-row user lookup id into *out: STMT_USER_BY_EMAIL with ?1 = email, or
 * STMT_USER_BY_ID with ?1 = user_id. Returns STORE_OK, STORE_NOT_FOUND or STORE_ERROR. */
static int user_lookup(struct store *st, struct arena *a, enum statement id, const char *email,
                       int64_t user_id, struct user *out)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, id, NULL, 0)))
        goto out;
    if (id == STMT_USER_BY_EMAIL)
        db_bind_text(s, 1, email);
    else
        db_bind_int64(s, 1, user_id);
    rc = store_step_one(c, s, "looking up a user");
    if (rc == STORE_OK)
        read_user(s, 0, a, out);
out:
    db_reset(s);
    return rc;
}

int store_user_by_email(struct store *st, struct arena *a, const char *email, struct user *out)
{
    /* stored lower-cased: compared lower-cased (SQLite's NOCASE column would fold it anyway;
     * PostgreSQL compares bytes) */
    char *lower = lowercase_ascii(email ? email : "");
    int rc = user_lookup(st, a, STMT_USER_BY_EMAIL, lower, 0, out);
    free(lower);
    return rc;
}

int store_user_by_id(struct store *st, struct arena *a, int64_t id, struct user *out)
{
    return user_lookup(st, a, STMT_USER_BY_ID, NULL, id, out);
}

int store_users(struct store *st, struct arena *a, struct user **out, size_t *n)
{
    return store_list_all(st, STMT_USERS, a, sizeof **out, user_row, "listing users", (void **)out,
                          n);
}

/* Runs the user update id: UPDATE users SET <column> = ?2, updated_at = ?3 WHERE id = ?1, with
 * ?2 the text value. Returns STORE_OK, STORE_NOT_FOUND, STORE_CONFLICT or STORE_ERROR. */
static int user_update_text(struct store *st, enum statement id, int64_t user_id, const char *value,
                            const char *what)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, id, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, user_id);
    db_bind_text(s, 2, value);
    db_bind_int64(s, 3, util_now());
    rc = store_step_write(c, s, 1, what);
out:
    db_reset(s);
    return rc;
}

int store_user_set_name(struct store *st, int64_t id, const char *display_name)
{
    return user_update_text(st, STMT_USER_SET_NAME, id, display_name, "renaming a user");
}

int store_user_set_password_hash(struct store *st, int64_t id, const char *password_hash)
{
    return user_update_text(st, STMT_USER_SET_PASSWORD_HASH, id, password_hash,
                            "setting a password");
}

int store_user_set_role(struct store *st, int64_t id, enum role role)
{
    if (!role_valid(role)) {
        store_report(NULL, 0, "setting a role: invalid role %d", (int)role);
        return STORE_ERROR;
    }
    return user_update_text(st, STMT_USER_SET_ROLE, id, store_role_name(role), "setting a role");
}

int store_user_set_email(struct store *st, int64_t id, const char *email, int64_t verified_at)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    char *lower = NULL;
    int rc = STORE_ERROR;
    if (!c)
        goto out;
    if (!store_present(email)) {
        store_report(NULL, 0, "changing an email: the new email is empty");
        goto out;
    }
    if (!(s = store_stmt(c, STMT_USER_SET_EMAIL, NULL, 0)))
        goto out;
    lower = lowercase_ascii(email);
    db_bind_int64(s, 1, id);
    db_bind_text(s, 2, lower);
    if (verified_at)
        db_bind_int64(s, 3, verified_at);
    else
        db_bind_null(s, 3);
    db_bind_int64(s, 4, util_now());
    rc = store_step_write(c, s, 1, "changing an email");
    if (rc == STORE_NOT_FOUND) { /* no such user, or an undo link holds the address */
        db_reset(s);
        s = NULL;
        struct arena *a = arena_new(0);
        struct user u;
        rc = store_user_by_id(st, a, id, &u);
        arena_free(a);
        if (rc == STORE_OK)
            rc = STORE_CONFLICT;
    }
out:
    db_reset(s);
    free(lower);
    return rc;
}

int store_user_mark_verified(struct store *st, int64_t id, int64_t when)
{
    return store_write_ids(st, STMT_USER_MARK_VERIFIED, 3, id, when, 1, "marking a user verified");
}

int store_user_delete(struct store *st, int64_t id)
{
    return store_write_ids(st, STMT_USER_DELETE, 1, id, 0, 1, "deleting a user");
}

int store_session_create(struct store *st, int64_t user_id, const char *token_hash_hex, int64_t now,
                         int64_t expires_at, const char *user_agent, const char *ip, int64_t *id)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c)
        goto out;
    if (!store_present(token_hash_hex)) {
        store_report(NULL, 0, "creating a session: the token hash is empty");
        goto out;
    }
    if (!(s = store_stmt(c, STMT_SESSION_INSERT, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, user_id);
    db_bind_text(s, 2, token_hash_hex);
    db_bind_int64(s, 3, now);
    db_bind_int64(s, 4, expires_at);
    db_bind_text(s, 5, user_agent);
    db_bind_text(s, 6, ip);
    rc = store_step_insert(c, s, id, "creating a session");
out:
    db_reset(s);
    return rc;
}

int store_session_by_token(struct store *st, struct arena *a, const char *token_hash_hex,
                           struct session *session, struct user *user)
{
    struct user unused;
    struct subscription sub;
    return store_session_reader(st, a, token_hash_hex, util_now(), session, user ? user : &unused,
                                &sub);
}

int store_session_reader(struct store *st, struct arena *a, const char *token_hash_hex, int64_t now,
                         struct session *session, struct user *user, struct subscription *sub)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_SESSION_READER, NULL, 0)))
        goto out;
    db_bind_text(s, 1, token_hash_hex);
    db_bind_int64(s, 2, now);
    rc = store_step_one(c, s, "looking up a session");
    if (rc == STORE_OK) {
        read_session(s, 0, a, session);
        read_user(s, SESSION_NCOLUMNS, a, user);
        store_read_subscription(s, SESSION_NCOLUMNS + USER_NCOLUMNS, a, sub);
    }
out:
    db_reset(s);
    return rc;
}

int store_session_touch(struct store *st, int64_t id, int64_t now)
{
    return store_write_ids(st, STMT_SESSION_TOUCH, 2, id, now, 1, "touching a session");
}

int store_session_delete(struct store *st, int64_t id)
{
    return store_write_ids(st, STMT_SESSION_DELETE, 1, id, 0, 1, "deleting a session");
}

int store_session_delete_for_user(struct store *st, int64_t user_id, int64_t except_session_id)
{
    /* Session ids start at 1, so except 0 excludes nothing. */
    return store_write_ids(st, STMT_SESSIONS_DELETE_FOR_USER, 2, user_id, except_session_id, 0,
                           "ending a user's sessions");
}

int store_sessions_for_user(struct store *st, struct arena *a, int64_t user_id,
                            struct session **out, size_t *n)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_SESSIONS_FOR_USER, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, user_id);
    rc = store_read_rows(c, s, a, sizeof **out, session_row, "listing sessions", (void **)out, n);
out:
    db_reset(s);
    return rc;
}

int store_token_create(struct store *st, int64_t user_id, const char *kind,
                       const char *token_hash_hex, const char *payload, int64_t now,
                       int64_t expires_at)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c)
        goto out;
    if (!store_present(token_hash_hex) || !store_present(kind)) {
        store_report(NULL, 0, "creating a token: a kind and a token hash are required");
        goto out;
    }
    if (!(s = store_stmt(c, STMT_TOKEN_INSERT, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, user_id);
    db_bind_text(s, 2, kind); /* the CHECK constraint refuses an unknown kind: STORE_ERROR */
    db_bind_text(s, 3, token_hash_hex);
    db_bind_text(s, 4, payload);
    db_bind_int64(s, 5, now);
    db_bind_int64(s, 6, expires_at);
    rc = store_step_write(c, s, 0, "creating a token");
out:
    db_reset(s);
    return rc;
}

/* A token's row, as token_find read it. */
struct token_row {
    int64_t id;
    int64_t user_id;
    const char *payload; /* from the caller's arena */
};

/* Looks the token of kind whose hash is token_hash_hex up on c and judges it at now:
 * TOKEN_VALID (unused and unexpired) or TOKEN_USED / TOKEN_EXPIRED, with its row in *row;
 * TOKEN_UNKNOWN; or STORE_ERROR (reported). A read: it changes nothing. */
static int token_find(struct db_conn *c, struct arena *a, const char *kind,
                      const char *token_hash_hex, int64_t now, struct token_row *row)
{
    struct db_stmt *find = store_stmt(c, STMT_TOKEN_FIND, NULL, 0);
    int rc = STORE_ERROR;
    if (!find)
        goto out;
    db_bind_text(find, 1, token_hash_hex);
    db_bind_text(find, 2, kind);
    int step = db_step(find);
    if (step == DB_DONE) {
        rc = TOKEN_UNKNOWN;
        goto out;
    }
    if (step != DB_ROW) {
        store_report(NULL, 0, "looking up a token: %s", db_errmsg(c));
        goto out;
    }
    row->id = db_column_int64(find, 0);
    row->user_id = db_column_int64(find, 1);
    row->payload = store_column_text(find, 2, a);
    int64_t expires_at = db_column_int64(find, 3);
    int used = (int)db_column_int64(find, 4);
    rc = used ? TOKEN_USED : expires_at <= now ? TOKEN_EXPIRED : TOKEN_VALID;
out:
    db_reset(find);
    return rc;
}

int store_token_peek(struct store *st, struct arena *a, const char *kind,
                     const char *token_hash_hex, int64_t now, int64_t *user_id,
                     const char **payload)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    if (!c)
        return STORE_ERROR;
    struct token_row row;
    int rc = token_find(c, a, kind, token_hash_hex, now, &row);
    if (rc == TOKEN_VALID && user_id)
        *user_id = row.user_id;
    if ((rc == TOKEN_VALID || rc == TOKEN_USED || rc == TOKEN_EXPIRED) && payload)
        *payload = row.payload; /* what the link was, for the page that says it cannot be used */
    return rc;
}

int store_token_consume(struct store *st, struct arena *a, const char *kind,
                        const char *token_hash_hex, int64_t now, int64_t *user_id,
                        const char **payload)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *use = NULL;
    int rc = STORE_ERROR;
    int in_tx = 0; /* a store_tx_begin level of ours is open */
    if (!c)
        return STORE_ERROR;
    /* IMMEDIATE takes the write lock before the read, so the token is judged on the state the
     * UPDATE will change; the UPDATE's "used_at IS NULL" keeps the rule even where the database
     * would let two transactions interleave (PostgreSQL's READ COMMITTED): only one of them can
     * change the row. */
    if (store_tx_begin(c, NULL, 0) != 0)
        goto out;
    in_tx = 1;
    struct token_row row;
    int judged = token_find(c, a, kind, token_hash_hex, now, &row);
    if (judged != TOKEN_VALID) {
        rc = judged;
        goto out;
    }
    if (!(use = store_stmt(c, STMT_TOKEN_USE, NULL, 0)))
        goto out;
    db_bind_int64(use, 1, row.id);
    db_bind_int64(use, 2, now);
    int changed = store_step_write(c, use, 1, "using a token");
    db_reset(use);
    use = NULL;
    if (changed == STORE_ERROR)
        goto out;
    if (changed == STORE_NOT_FOUND) { /* another transaction used it first */
        rc = TOKEN_USED;
        goto out;
    }
    in_tx = 0;
    if (store_tx_commit(c, NULL, 0) != 0)
        goto out;
    if (user_id)
        *user_id = row.user_id;
    if (payload)
        *payload = row.payload;
    rc = TOKEN_VALID;
out:
    db_reset(use);
    if (in_tx) /* every outcome but VALID (committed above) changed nothing: end it */
        store_tx_rollback(c);
    return rc;
}

int store_tokens_delete_for_user(struct store *st, int64_t user_id, const char *kind)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_TOKENS_DELETE_FOR_USER, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, user_id);
    db_bind_text(s, 2, kind); /* NULL binds "": every kind */
    rc = store_step_write(c, s, 0, "deleting a user's tokens");
out:
    db_reset(s);
    return rc;
}

int store_tokens_void(struct store *st, int64_t user_id, const char *undo_hash_hex)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_TOKENS_VOID, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, user_id);
    db_bind_text(s, 2, undo_hash_hex); /* NULL binds "", which names no token: every undo kept */
    rc = store_step_write(c, s, 0, "voiding a user's links");
out:
    db_reset(s);
    return rc;
}

int store_accounts_purge(struct store *st, int64_t now)
{
    int rc = store_write_ids(st, STMT_SESSIONS_PURGE, 1, now, 0, 0, "purging sessions");
    if (rc == STORE_OK)
        rc = store_write_ids(st, STMT_TOKENS_PURGE, 1, now - TOKEN_PURGE_GRACE, 0, 0,
                             "purging tokens");
    return rc;
}

int store_secret(struct store *st, const char *name, unsigned char out[32])
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    unsigned char fresh[SECRET_BYTES];
    int rc = STORE_ERROR;
    if (!c || !store_present(name))
        goto out;
    /* sodium_init is idempotent and thread-safe; randombytes_buf must not run before it. */
    if (sodium_init() < 0) {
        store_report(NULL, 0, "secret '%s': libsodium cannot initialise", name);
        goto out;
    }
    /* Every caller proposes a fresh value; the first insert wins and the rest are ignored, so
     * the SELECT below returns the same secret to every process. */
    randombytes_buf(fresh, sizeof fresh);
    if (!(s = store_stmt(c, STMT_SECRET_INSERT, NULL, 0)))
        goto out;
    db_bind_text(s, 1, name);
    db_bind_blob(s, 2, fresh, sizeof fresh);
    if (store_step_write(c, s, 0, "storing a secret") != STORE_OK)
        goto out;
    db_reset(s);
    if (!(s = store_stmt(c, STMT_SECRET_GET, NULL, 0)))
        goto out;
    db_bind_text(s, 1, name);
    if (db_step(s) != DB_ROW) {
        store_report(NULL, 0, "secret '%s': %s", name, db_errmsg(c));
        goto out;
    }
    size_t len;
    const void *value = db_column_blob(s, 0, &len);
    if (!value || len != SECRET_BYTES) {
        store_report(NULL, 0, "secret '%s': the stored value is not %d bytes", name, SECRET_BYTES);
        goto out;
    }
    memcpy(out, value, SECRET_BYTES);
    rc = STORE_OK;
out:
    db_reset(s);
    sodium_memzero(fresh, sizeof fresh);
    return rc;
}
